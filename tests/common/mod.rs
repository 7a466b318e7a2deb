//! Helpers shared by the end-to-end tests: they run the binary that `cargo test` built.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_claude-logscan"));
    c.current_dir(root());
    c.env_remove("COLUMNS");
    c
}

pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// The events of a run, parsed.
pub fn events(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--events", "--format", "ndjson", "-q"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(
        o.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each event line is JSON"))
        .collect()
}

pub fn report(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--format", "json", "-q"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(
        o.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&stdout(&o)).expect("the report is JSON")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("claude-logscan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Scan `path` with `rest` and `option` set to `reference`, then to each of `values`, and
/// assert the report and the events are the same every time (for hidden options that must
/// change nothing). Returns the events.
pub fn same_output_for(
    path: &str,
    rest: &[&str],
    option: &str,
    reference: &str,
    values: &[&str],
) -> Vec<serde_json::Value> {
    let scan = |value: &str| {
        let mut args = vec![path, option, value];
        args.extend_from_slice(rest);
        (report(&args), events(&args), format!("{args:?}"))
    };
    let (want_report, want_events, _) = scan(reference);
    for value in values {
        let (got_report, got_events, args) = scan(value);
        assert_eq!(got_report, want_report, "report {args}");
        assert_eq!(got_events, want_events, "events {args}");
    }
    want_events
}
