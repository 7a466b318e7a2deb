//! Unknown failures grouped by template: the same groups and ids at any thread count, chunk
//! size and split of the inputs, and the `templates` subcommand.

use crate::common;

use std::io::Write;
use std::process::Stdio;

const WORKERS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];

/// Python SDK lines whose API error no signature knows, in a few kinds whose words vary.
fn unknown_lines(workers: &[&str]) -> String {
    let mut s = String::new();
    for (i, w) in workers.iter().enumerate() {
        for (kind, message) in [
            (
                "conflict_error",
                format!("Lock held by worker {w} on job {i}"),
            ),
            (
                "conflict_error",
                format!("Queue {w} is paused since {i} ms"),
            ),
        ] {
            s.push_str(&format!(
                "2025-10-02 10:0{i}:00 ERROR anthropic.ConflictError: Error code: 409 - \
                 {{'type': 'error', 'error': {{'type': '{kind}', 'message': '{message}'}}}}\n"
            ));
        }
    }
    s
}

fn unknown_groups(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .filter(|s| s["cluster"] == "unknown")
        .map(|s| {
            (
                s["signature"].as_str().unwrap_or_default().to_string(),
                s["template"].as_str().unwrap_or_default().to_string(),
                s["count"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn unknown_failures_group_the_same_at_any_thread_count_and_chunk_size() {
    let dir = common::temp_dir("templates-threads");
    let path = dir.join("app.log");
    std::fs::write(&path, unknown_lines(&WORKERS)).unwrap();
    let path = path.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec![path, "-q", "--format", "json"];
        all.extend_from_slice(args);
        common::stdout(&common::run(&all))
    };
    let one = run(&["-j", "1"]);
    for args in [&["-j", "4"][..], &["-j", "3", "--chunk-bytes", "300"]] {
        assert_eq!(run(args), one, "{args:?}");
    }
    let report: serde_json::Value = serde_json::from_str(&one).unwrap();
    let groups = unknown_groups(&report);
    let mut templates: Vec<&str> = groups.iter().map(|g| g.1.as_str()).collect();
    templates.sort_unstable();
    assert_eq!(
        templates,
        [
            "Lock held by worker <*> on job <*>",
            "Queue <*> is paused since <*>"
        ]
    );
    assert_eq!(groups.len(), 2, "{groups:#?}");
    assert!(groups.iter().all(|g| g.2 == 5), "{groups:#?}");
    // The events carry the final ids, the same as the report.
    let events = common::events(&[path, "-j", "2"]);
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e["signature"].as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut want: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
    want.sort_unstable();
    assert_eq!(ids, want);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Work really split over threads (several files, each in several chunks), run on one thread
/// and on two, set by `-j` or by `RAYON_NUM_THREADS` (the default thread count): the same
/// report, and the same events with the same ids in the same order.
#[test]
fn unknown_groups_and_ids_are_the_same_on_one_thread_and_on_two() {
    let dir = common::temp_dir("templates-one-two");
    // No file sees enough worker names to learn that they vary: only the whole run does.
    for (name, workers) in [
        ("a.log", &WORKERS[..2]),
        ("b.log", &WORKERS[2..4]),
        ("c.log", &WORKERS[4..]),
    ] {
        std::fs::write(dir.join(name), unknown_lines(workers).repeat(20)).unwrap();
    }
    let path = dir.to_str().unwrap();
    let scan = |threads: Option<&str>, rayon: Option<&str>, events: bool| {
        let mut c = common::bin();
        c.args([path, "-q", "--chunk-bytes", "2000"]);
        c.args(if events {
            &["--events", "--format", "ndjson"][..]
        } else {
            &["--format", "json"][..]
        });
        if let Some(j) = threads {
            c.args(["-j", j]);
        }
        match rayon {
            Some(n) => c.env("RAYON_NUM_THREADS", n),
            None => c.env_remove("RAYON_NUM_THREADS"),
        };
        let o = c.stdin(Stdio::null()).output().expect("the binary runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        common::stdout(&o)
    };
    for events in [false, true] {
        let one = scan(Some("1"), None, events);
        assert_eq!(scan(Some("2"), None, events), one, "-j 2, events: {events}");
        assert_eq!(scan(None, Some("1"), events), one, "RAYON_NUM_THREADS=1");
        assert_eq!(scan(None, Some("2"), events), one, "RAYON_NUM_THREADS=2");
    }
    // The groups are those of the whole run, not of a file or a chunk.
    let report: serde_json::Value = serde_json::from_str(&scan(Some("2"), None, false)).unwrap();
    let groups = unknown_groups(&report);
    let mut shape: Vec<(&str, u64)> = groups.iter().map(|g| (g.1.as_str(), g.2)).collect();
    shape.sort_unstable();
    assert_eq!(
        shape,
        [
            ("Lock held by worker <*> on job <*>", 100),
            ("Queue <*> is paused since <*>", 100)
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The ids are a hash of the final template text: pinned, they must not change between
/// releases, and they are the same whichever files the failures came from.
#[test]
fn unknown_ids_are_stable_and_the_same_over_any_split_of_the_inputs() {
    let dir = common::temp_dir("templates-split");
    std::fs::write(dir.join("all.log"), unknown_lines(&WORKERS)).unwrap();
    let split = dir.join("split");
    std::fs::create_dir_all(&split).unwrap();
    // No part sees enough worker names to learn that they vary.
    std::fs::write(split.join("a.log"), unknown_lines(&WORKERS[..2])).unwrap();
    std::fs::write(split.join("b.log"), unknown_lines(&WORKERS[2..4])).unwrap();
    std::fs::write(split.join("c.log"), unknown_lines(&WORKERS[4..])).unwrap();
    let whole = unknown_groups(&common::report(&[dir.join("all.log").to_str().unwrap()]));
    let parts = unknown_groups(&common::report(&[split.to_str().unwrap(), "-j", "3"]));
    assert_eq!(whole.len(), 2, "{whole:#?}");
    // The split's job numbers restart in each file; the groups are the same.
    let shape = |g: &[(String, String, u64)]| {
        g.iter()
            .map(|(id, t, _)| (id.clone(), t.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&parts), shape(&whole));
    let pinned: Vec<&str> = whole.iter().map(|g| g.0.as_str()).collect();
    assert!(pinned.contains(&"unknown.cf9693ab70"), "{whole:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn templates_of(input: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut child = common::bin()
        .arg("templates")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    (o.status.code(), common::stdout(&o))
}

#[test]
fn templates_prints_one_signature_and_template_per_line_in_order() {
    let input = "\
Failed password for root from 10.0.0.1 port 22 ssh2
Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}
Failed password for uucp from 10.0.0.2 port 2201 ssh2

Failed password for git from 10.0.0.3 port 3 ssh2
162 double-hummer alignment exceptions
63543 double-hummer alignment exceptions
";
    let (code, out) = templates_of(input, &[]);
    assert_eq!(code, Some(0));
    let rows: Vec<(&str, &str)> = out
        .lines()
        .map(|l| l.split_once('\t').expect("signature, tab, template"))
        .collect();
    assert_eq!(rows.len(), input.lines().count());
    let password = "Failed password for <*> from <*> port <*> ssh<*>";
    for i in [0, 2, 4] {
        assert_eq!(rows[i].1, password);
        assert_eq!(rows[i].0, rows[0].0);
    }
    assert!(rows[0].0.starts_with("unknown."));
    assert!(rows[1].0.starts_with("rate_limit."), "{}", rows[1].0);
    // A number that begins a message is not a status: one template, one id.
    assert_eq!(rows[5], rows[6]);
    assert_eq!(rows[5].1, "<*> double-hummer alignment exceptions");
    // Stdin by default equals `-`; the order and the ids do not depend on how it is read.
    assert_eq!(templates_of(input, &["-"]).1, out);
}

/// A status-only signature (`gateway.bare_404`: any 404) is the signature of a line only
/// when the line tells an error; a line that merely states a status keeps its template's
/// group, whatever the status.
#[test]
fn templates_gives_a_status_only_signature_only_to_a_line_that_tells_an_error() {
    let input = "\
10.11.10.1 \"GET /v2/54fadb41/servers/detail HTTP/1.1\" status: 200 len: 1893 time: 0.2477829
10.11.10.1 \"GET /v2/54fadb41/servers/detail HTTP/1.1\" status: 404 len: 1893 time: 0.2577181
Error code: 404 - {'type': 'error', 'error': {'type': 'not_found_error', 'message': 'Not Found'}}
POST /v1/messages failed: status: 404
";
    let (code, out) = templates_of(input, &[]);
    assert_eq!(code, Some(0));
    let rows: Vec<(&str, &str)> = out
        .lines()
        .map(|l| l.split_once('\t').expect("signature, tab, template"))
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], rows[1]);
    assert!(rows[0].0.starts_with("unknown."), "{out}");
    assert_eq!(rows[2].0, "gateway.bare_404");
    assert_eq!(rows[3].0, "gateway.bare_404");
}

#[test]
fn templates_reads_files_and_exits_2_when_nothing_can_be_read() {
    let dir = common::temp_dir("templates-files");
    std::fs::write(dir.join("a.log"), "Queue alpha is paused\n").unwrap();
    let o = common::run(&["templates", dir.join("a.log").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(common::stdout(&o).lines().count(), 1);
    let missing = common::run(&["templates", dir.join("missing.log").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The documented example (ARCHITECTURE.md, `claude-logscan templates`), pinned: the id is a
/// hash of the template text and must not change between releases.
#[test]
fn templates_documented_example_keeps_its_id() {
    let input = "Failed password for root from 10.0.0.1 port 22\n\
                 Failed password for git from 10.0.0.2 port 22\n\
                 Failed password for uucp from 10.0.0.3 port 22\n";
    let row = "unknown.1bbbf63066\tFailed password for <*> from <*> port <*>\n";
    assert_eq!(templates_of(input, &[]).1, row.repeat(3));
    let doc = std::fs::read_to_string(common::root().join("ARCHITECTURE.md")).unwrap();
    assert!(
        doc.contains(row),
        "ARCHITECTURE.md shows the example's output"
    );
}

/// Partials of files that each see too few worker names to learn that they vary, merged: the
/// groups, ids and report of one run over all the files.
#[test]
fn merged_partials_group_unknown_failures_as_one_run_does() {
    let dir = common::temp_dir("templates-partials");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut parts = Vec::new();
    for (name, workers) in [
        ("a.log", &WORKERS[..2]),
        ("b.log", &WORKERS[2..4]),
        ("c.log", &WORKERS[4..]),
    ] {
        let file = logs.join(name);
        std::fs::write(&file, unknown_lines(workers).repeat(5)).unwrap();
        let part = dir.join(format!("{name}.clsp"));
        let o = common::bin()
            .args(["-q", "--format", "partial", "-o"])
            .arg(&part)
            .arg(&file)
            .output()
            .expect("the binary runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        parts.push(part);
    }
    let one = common::run(&[logs.to_str().unwrap(), "-q", "--format", "json"]);
    assert!(one.status.success());
    let merged = common::bin()
        .args(["merge", "-q", "--format", "json"])
        .args(parts.iter().rev())
        .output()
        .expect("the binary runs");
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(common::stdout(&merged), common::stdout(&one));
    let report: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    let mut shape: Vec<(String, u64)> = unknown_groups(&report)
        .into_iter()
        .map(|g| (g.1, g.2))
        .collect();
    shape.sort_unstable();
    assert_eq!(
        shape,
        [
            ("Lock held by worker <*> on job <*>".to_string(), 25),
            ("Queue <*> is paused since <*>".to_string(), 25)
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
