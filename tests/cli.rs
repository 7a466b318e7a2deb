//! The command-line surface: README quick-start, event schema, determinism, exit codes.

use crate::common;

use std::io::Write;
use std::process::Stdio;

/// The commands between the quick-start markers of the README.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- quickstart -->")
        .expect("README has a quick-start block");
    let end = readme
        .find("<!-- /quickstart -->")
        .expect("quick-start block is closed");
    readme[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("cargo "))
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_quickstart_runs() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands.contains(&"cargo test".to_string()), "{commands:?}");
    let run = commands
        .iter()
        .find(|c| c.starts_with("cargo run"))
        .expect("a cargo run command");
    // Run what `cargo run ... -- ARGS` runs, with the binary this test build made.
    let args: Vec<&str> = run
        .split_once(" -- ")
        .map(|(_, a)| a.split_whitespace().collect())
        .unwrap_or_default();
    let o = common::run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = common::stdout(&o);
    assert!(out.contains("Failures by cluster"), "{out}");
    assert!(out.contains("What to do"), "{out}");
    assert!(out.contains("overloaded.mid_stream"), "{out}");
}

#[test]
fn events_have_exactly_the_design_fields_in_order() {
    let o = common::run(&["--events", "-q", "samples/har/chat-app.har"]);
    let first = common::stdout(&o).lines().next().unwrap().to_string();
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&first).unwrap();
    let keys: Vec<&str> = v.keys().map(String::as_str).collect();
    let expected = [
        "timestamp",
        "file",
        "line",
        "entry",
        "source_kind",
        "provider",
        "endpoint",
        "status",
        "http_status",
        "error_type",
        "provider_code",
        "message",
        "model",
        "request_id",
        "cluster",
        "signature",
        "retryable",
        "attempt",
        "latency_ms",
    ];
    // serde_json's map is sorted unless preserve_order; compare as sets, then check order in CSV.
    let mut sorted_expected = expected.to_vec();
    sorted_expected.sort();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    assert_eq!(sorted_keys, sorted_expected);
    assert!(first.starts_with("{\"timestamp\":"), "{first}");
    let o = common::run(&[
        "--events",
        "--format",
        "csv",
        "-q",
        "samples/har/chat-app.har",
    ]);
    let header = common::stdout(&o).lines().next().unwrap().to_string();
    assert_eq!(header, expected.join(","));
}

#[test]
fn output_is_identical_at_any_thread_count() {
    for format in ["json", "csv", "markdown", "table"] {
        let run = |threads: &str| {
            common::stdout(&common::run(&[
                "samples/",
                "-q",
                "--format",
                format,
                "--threads",
                threads,
            ]))
        };
        let one = run("1");
        assert!(!one.is_empty());
        assert_eq!(one, run("2"), "{format}");
        assert_eq!(one, run("4"), "{format}");
    }
    let events = |threads: &str| {
        common::stdout(&common::run(&[
            "samples/",
            "-q",
            "--events",
            "--threads",
            threads,
        ]))
    };
    assert_eq!(events("1"), events("3"));
}

#[test]
fn exit_codes() {
    let ok = common::run(&["samples/proxy/nginx-access.log", "-q"]);
    assert_eq!(ok.status.code(), Some(0));
    let held = common::run(&["samples/proxy/nginx-access.log", "-q", "--fail-on", "5xx"]);
    assert_eq!(held.status.code(), Some(1));
    let not_held = common::run(&[
        "samples/proxy/nginx-access.log",
        "-q",
        "--fail-on",
        "billing",
    ]);
    assert_eq!(not_held.status.code(), Some(0));
    let missing = common::run(&["does/not/exist.log"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does/not/exist.log"));
    let bad_flag = common::run(&["--by", "colour", "samples/"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    let bad_combo = common::run(&["--events", "--format", "markdown", "samples/"]);
    assert_eq!(bad_combo.status.code(), Some(2));
}

#[test]
fn stdin_is_read_with_a_dash() {
    let mut child = common::bin()
        .args(["-", "--events", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"10.0.0.1 - - [02/Oct/2025:16:20:11 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"x\"\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = common::stdout(&o);
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains("\"file\":\"-\""), "{out}");
}

#[test]
fn gzip_files_are_read_and_truncated_gzip_warns() {
    let dir = common::temp_dir("gzip");
    let line = b"10.0.0.1 - - [02/Oct/2025:16:20:11 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"x\"\n";
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..50 {
        enc.write_all(line).unwrap();
    }
    let gz = enc.finish().unwrap();
    std::fs::write(dir.join("access.log.gz"), &gz).unwrap();
    std::fs::write(dir.join("cut.log.gz"), &gz[..gz.len() / 2]).unwrap();
    let o = common::run(&["--events", dir.join("access.log.gz").to_str().unwrap()]);
    assert_eq!(common::stdout(&o).lines().count(), 50);
    // Alone, a corrupt file means nothing could be read: exit 2, with the reason.
    let alone = common::run(&["-q", dir.join("cut.log.gz").to_str().unwrap()]);
    assert_eq!(alone.status.code(), Some(2));
    let o = common::run(&["--format", "json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cut.log.gz"), "{err}");
    let report: serde_json::Value = serde_json::from_str(&common::stdout(&o)).unwrap();
    assert_eq!(report["summary"]["files_unreadable"], 1);
    assert_eq!(report["summary"]["failures"], 50);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn csv_report_has_schema_version_first_and_loads_as_rfc4180() {
    let o = common::run(&["--format", "csv", "-q", "samples/"]);
    let text = common::stdout(&o);
    let mut lines = text.split("\r\n");
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("schema_version,cluster,signature,count,share,"),
        "{header}"
    );
    assert!(text.ends_with("\r\n"));
}

#[test]
fn explain_names_the_cluster_of_a_pasted_error_for_every_cluster() {
    let cases = std::fs::read_to_string(common::root().join("tests/explain_cases.txt")).unwrap();
    let mut clusters = std::collections::BTreeSet::new();
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (want, text) = line.split_once('|').unwrap();
        let o = common::run(&["explain", text]);
        assert_eq!(o.status.code(), Some(0), "{text}");
        let out = common::stdout(&o);
        assert!(
            out.contains(&format!("cluster: {want} ")),
            "{text}\n=> {out}"
        );
        assert!(out.contains("fix: "), "{out}");
        clusters.insert(want.to_string());
    }
    let all: std::collections::BTreeSet<String> = claude_logscan::catalog::CLUSTERS
        .iter()
        .filter(|c| **c != "unknown")
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        clusters, all,
        "tests/explain_cases.txt must cover every cluster"
    );
}

#[test]
fn explain_of_an_unknown_id_exits_2_and_a_known_id_shows_the_fix() {
    let o = common::run(&["explain", "rate_limit.no_such_signature"]);
    assert_eq!(o.status.code(), Some(2));
    let o = common::run(&["explain", "auth.wrong_header"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(common::stdout(&o).contains("fix: "));
}

#[test]
fn patterns_check_fails_on_a_broken_example_and_list_lists() {
    let dir = common::temp_dir("patterns");
    std::fs::write(
        dir.join("billing.toml"),
        "cluster = \"billing\"\n[[signature]]\nid = \"billing.x\"\ntitle = \"t\"\nretryable = false\nkeywords = [\"credit\"]\nmatch = { message = ['credit balance'] }\nfix = \"f\"\nexamples = [{ status = 400, message = \"no match here\" }]\n",
    )
    .unwrap();
    let o = common::run(&["patterns", "check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stdout(&o).contains("MISS billing.x"));
    std::fs::write(
        dir.join("billing.toml"),
        "cluster = \"billing\"\n[[signature]]\nid = \"nope\"\n",
    )
    .unwrap();
    let o = common::run(&["patterns", "check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = common::run(&["patterns", "list"]);
    assert!(common::stdout(&o).lines().count() >= 80);
    std::fs::remove_dir_all(dir).unwrap();
}
