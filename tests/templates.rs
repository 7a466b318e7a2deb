//! Unknown failures grouped by template: the same groups and ids at any thread count, chunk
//! size and split of the inputs, and the `templates` subcommand.

mod common;

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

/// The README's example, pinned: the id is a hash of the template text and must not change
/// between releases.
#[test]
fn templates_readme_example_keeps_its_id() {
    let input = "Failed password for root from 10.0.0.1 port 22\n\
                 Failed password for git from 10.0.0.2 port 22\n\
                 Failed password for uucp from 10.0.0.3 port 22\n";
    let row = "unknown.1bbbf63066\tFailed password for <*> from <*> port <*>\n";
    assert_eq!(templates_of(input, &[]).1, row.repeat(3));
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(readme.contains(row), "README shows the example's output");
}
