//! The real-world corpus (`tests/realworld/cases`): every development case is scanned and its
//! events compared with its labels, per family (found, right cluster, precision), as
//! `tests/realworld/score.py` does for any binary. Blind cases are not scored here.
//!
//! The product's target is 95% found, 90% right cluster and 95% precision in every family. The
//! floors below are what the tool reaches today (each at or above that target), so that no
//! change makes it worse; raise them as it gets better.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Floors per family: (found, right cluster, precision), in percent.
const FLOORS: [(&str, f64, f64, f64); 15] = [
    ("bedrock", 100.0, 100.0, 96.0),
    ("claude_code", 98.0, 98.0, 98.0),
    ("clients_agents", 96.0, 96.0, 100.0),
    ("cloud_audit", 100.0, 100.0, 100.0),
    ("envoy_istio", 100.0, 100.0, 100.0),
    ("gateways_relays", 100.0, 100.0, 100.0),
    ("go_sdk", 100.0, 100.0, 100.0),
    ("har", 100.0, 100.0, 100.0),
    ("java_sdk", 100.0, 100.0, 100.0),
    ("litellm", 100.0, 100.0, 100.0),
    ("nginx", 100.0, 100.0, 98.0),
    ("proxies_lb", 97.0, 95.0, 100.0),
    ("python_sdk", 100.0, 100.0, 99.0),
    ("typescript_sdk", 96.0, 96.0, 100.0),
    ("vertex", 100.0, 100.0, 100.0),
];

#[derive(Default, Debug)]
struct Tally {
    labels: usize,
    found: usize,
    cluster: usize,
    events: usize,
    true_events: usize,
}

fn events(case: &Path) -> Vec<Value> {
    // The case's inputs, without its labels.
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(case)
        .expect("case directory")
        .map(|e| e.expect("case entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "expected.json"))
        .collect();
    inputs.sort();
    let out = Command::new(env!("CARGO_BIN_EXE_claude-logscan"))
        .args(&inputs)
        .args(["--events", "--format", "ndjson", "-q", "-j", "1"])
        .output()
        .expect("run claude-logscan");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an event is JSON"))
        .collect()
}

/// Where an event or a label sits: file name, and line or JSON document entry.
type Place = (String, &'static str, u64);

fn event_place(e: &Value) -> Place {
    let file = Path::new(e["file"].as_str().unwrap_or(""))
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match e["line"].as_u64() {
        Some(l) => (file, "line", l),
        None => (file, "entry", e["entry"].as_u64().unwrap_or(u64::MAX)),
    }
}

fn score(case: &Path, expected: &Value, tally: &mut Tally) {
    let files: Vec<String> = std::fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != "expected.json")
        .collect();
    let default_file = (files.len() == 1).then(|| files[0].clone());
    let evs = events(case);
    let mut used = vec![false; evs.len()];
    let labels: Vec<(Place, &Value)> = expected["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"]
                .as_str()
                .map(str::to_string)
                .or_else(|| default_file.clone())
                .unwrap_or_default();
            let place = match f["line"].as_u64() {
                Some(l) => (file, "line", l),
                None => (file, "entry", f["har_entry"].as_u64().unwrap_or(u64::MAX)),
            };
            (place, f)
        })
        .collect();
    let mut matched = vec![false; labels.len()];
    // Found: place, status (effective or on the wire) and error type right.
    for (k, (place, f)) in labels.iter().enumerate() {
        for (i, e) in evs.iter().enumerate() {
            if used[i] || &event_place(e) != place {
                continue;
            }
            let status_ok = f["status"] == e["status"] || f["status"] == e["http_status"];
            if status_ok && f["error_type"] == e["error_type"] {
                used[i] = true;
                matched[k] = true;
                tally.found += 1;
                if f["cluster"] == e["cluster"] {
                    tally.cluster += 1;
                }
                break;
            }
        }
    }
    // Events at a labelled place with a wrong status or type are still true events.
    for (k, (place, _)) in labels.iter().enumerate() {
        if matched[k] {
            continue;
        }
        if let Some(i) = (0..evs.len()).find(|&i| !used[i] && &event_place(&evs[i]) == place) {
            used[i] = true;
        }
    }
    tally.labels += labels.len();
    tally.events += evs.len();
    tally.true_events += used.iter().filter(|u| **u).count();
}

#[test]
fn real_world_corpus_per_family() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    let mut families: BTreeMap<String, Tally> = BTreeMap::new();
    for case in cases {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
                .unwrap();
        if expected["blind"].as_bool() == Some(true) {
            continue;
        }
        let family = expected["family"].as_str().unwrap().to_string();
        score(&case, &expected, families.entry(family).or_default());
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let mut report = String::new();
    let mut failed = Vec::new();
    for (name, found, cluster, precision) in FLOORS {
        let t = families
            .get(name)
            .unwrap_or_else(|| panic!("no development case of family {name}"));
        let got = (
            pct(t.found, t.labels),
            pct(t.cluster, t.labels),
            pct(t.true_events, t.events),
        );
        report.push_str(&format!(
            "{name:16} found {:5.1}% cluster {:5.1}% precision {:5.1}%\n",
            got.0, got.1, got.2
        ));
        if got.0 < found || got.1 < cluster || got.2 < precision {
            failed.push(format!(
                "{name}: {:.1}/{:.1}/{:.1} below {found}/{cluster}/{precision}",
                got.0, got.1, got.2
            ));
        }
    }
    assert_eq!(
        families.len(),
        FLOORS.len(),
        "families: {:?}",
        families.keys()
    );
    assert!(failed.is_empty(), "{}\n{report}", failed.join("\n"));
}
