//! Container and CI envelopes change nothing but the times: every line-format sample, wrapped
//! line by line as Docker's json-file driver, a CRI runtime, `kubectl logs --timestamps`, GitHub
//! Actions, `gh run view --log` or `docker compose logs` would write it, yields the failures and
//! successes it yields bare.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;

/// Every line-format sample listed in tests/samples.toml, concatenated.
fn bare_stream() -> Vec<u8> {
    let text = std::fs::read_to_string(common::root().join("tests/samples.toml")).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(file) = line
            .strip_prefix("file = \"")
            .and_then(|l| l.strip_suffix('"'))
        else {
            continue;
        };
        let bytes = std::fs::read(common::root().join(file)).unwrap();
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if file.ends_with(".har") || file.ends_with(".json") || first == Some(b'[') {
            continue;
        }
        // Samples that are themselves enveloped stay out: an envelope inside an envelope is
        // not what a runtime writes.
        if file.starts_with("samples/containers/") {
            continue;
        }
        out.extend_from_slice(&bytes);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

fn wrap(bare: &[u8], how: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bare);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let nanos = 100_000_000 + i;
        match how {
            "docker" => {
                let log = serde_json::to_string(&format!("{line}\n")).unwrap();
                out.push_str(&format!(
                    "{{\"log\":{log},\"stream\":\"stderr\",\"time\":\"2025-10-02T16:20:11.{nanos}Z\"}}\n"
                ));
            }
            "cri" => out.push_str(&format!("2025-10-02T16:20:11.{nanos}Z stdout F {line}\n")),
            "kubectl" => out.push_str(&format!("2025-10-02T16:20:11.{nanos}Z {line}\n")),
            "actions" => out.push_str(&format!(
                "2025-10-02T16:20:11.{}Z {line}\n",
                1_000_000 + i % 8_000_000
            )),
            "compose" => out.push_str(&format!("api-1  | {line}\n")),
            _ => out.push_str(&format!(
                "build\tRun app\t2025-10-02T16:20:11.{}Z {line}\n",
                1_000_000 + i % 8_000_000
            )),
        }
    }
    out.into_bytes()
}

/// (failures by status, error type and signature; successes) of a stream read on stdin.
fn outcome(input: Vec<u8>) -> (BTreeMap<String, usize>, u64) {
    let run = |args: &[&str]| {
        let mut child = common::bin()
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = input.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let o = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        common::stdout(&o)
    };
    let mut counts = BTreeMap::new();
    for line in run(&["-", "--events", "--format", "ndjson", "-q"]).lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = format!(
            "{} {} {} {}",
            e["status"], e["error_type"], e["signature"], e["source_kind"]
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    let report: serde_json::Value =
        serde_json::from_str(&run(&["-", "--format", "json", "-q"])).unwrap();
    let successes = report["summary"]["successes"].as_u64().unwrap();
    (counts, successes)
}

#[test]
fn every_envelope_yields_the_failures_of_the_bare_lines() {
    let bare = bare_stream();
    let want = outcome(bare.clone());
    assert!(want.0.values().sum::<usize>() > 100);
    for how in ["docker", "cri", "kubectl", "actions", "gh", "compose"] {
        let got = outcome(wrap(&bare, how));
        assert_eq!(got, want, "wrapped as {how}");
    }
}
