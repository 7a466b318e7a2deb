//! Every sample yields exactly its expected failures, through the real binary.

use crate::common;

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    sample: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: String,
    failures: usize,
    successes: u64,
    status: BTreeMap<String, usize>,
    error_type: BTreeMap<String, usize>,
    #[serde(default)]
    events: Vec<Event>,
}

/// One failure as `samples.toml` lists it.
#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct Event {
    line: Option<u64>,
    entry: Option<u64>,
    status: toml::Value,
    error_type: String,
    signature: String,
    request_id: Option<String>,
    attempt: Option<u64>,
    model: Option<String>,
}

impl Event {
    /// The same fields of an event of the output.
    fn of(e: &serde_json::Value) -> Event {
        let s = |k: &str| e[k].as_str().map(str::to_string);
        Event {
            line: e["line"].as_u64(),
            entry: e["entry"].as_u64(),
            status: match e["status"].as_i64() {
                Some(n) => toml::Value::Integer(n),
                None => toml::Value::String("none".into()),
            },
            error_type: s("error_type").unwrap_or_default(),
            signature: s("signature").unwrap_or_default(),
            request_id: s("request_id"),
            attempt: e["attempt"].as_u64(),
            model: s("model"),
        }
    }
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(common::root().join("tests/samples.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

#[test]
fn each_sample_yields_exactly_its_failures() {
    for case in expected().sample {
        let events = common::events(&[&case.file]);
        assert_eq!(events.len(), case.failures, "{}: failures", case.file);
        let mut status = BTreeMap::new();
        let mut types = BTreeMap::new();
        for e in &events {
            let s = match &e["status"] {
                serde_json::Value::Null => "none".to_string(),
                v => v.to_string(),
            };
            *status.entry(s).or_insert(0) += 1;
            *types
                .entry(e["error_type"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        assert_eq!(status, case.status, "{}: statuses", case.file);
        let got: Vec<Event> = events.iter().map(Event::of).collect();
        assert_eq!(got, case.events, "{}: events", case.file);
        assert_eq!(types, case.error_type, "{}: error types", case.file);
        let report = common::report(&[&case.file]);
        assert_eq!(
            report["summary"]["successes"].as_u64(),
            Some(case.successes),
            "{}: successes",
            case.file
        );
    }
}

#[test]
fn every_sample_file_has_expectations() {
    let listed: Vec<String> = expected().sample.into_iter().map(|c| c.file).collect();
    let mut missing = Vec::new();
    let mut stack = vec![common::root().join("samples")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(common::root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if !rel.ends_with("README.md") && !listed.contains(&rel) {
                missing.push(rel);
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "samples without expectations in tests/samples.toml: {missing:?}"
    );
}

#[test]
fn har_stream_error_in_a_200_is_one_529_overloaded_failure() {
    let events = common::events(&["samples/har/chat-app.har"]);
    let mid: Vec<_> = events
        .iter()
        .filter(|e| e["http_status"] == 200 && e["error_type"] == "overloaded_error")
        .collect();
    assert_eq!(mid.len(), 1);
    let e = mid[0];
    assert_eq!(e["status"], 529);
    assert_eq!(e["cluster"], "overloaded");
    assert_eq!(e["signature"], "overloaded.mid_stream");
    assert_eq!(e["entry"], 3);
    assert_eq!(e["line"], serde_json::Value::Null);
    assert_eq!(e["model"], "claude-sonnet-4-5");
    assert_eq!(e["request_id"], "req_011CVd4Kp9Wm2Tx6Rb8Nq3Jh");
}

#[test]
fn har_network_failure_has_null_status_not_zero() {
    let events = common::events(&["samples/har/chat-app.har"]);
    let reset = events
        .iter()
        .find(|e| e["message"] == "net::ERR_CONNECTION_RESET")
        .expect("the reset entry is a failure");
    assert_eq!(reset["status"], serde_json::Value::Null);
    assert_eq!(reset["http_status"], serde_json::Value::Null);
    assert_eq!(reset["cluster"], "connection");
}

#[test]
fn har_retry_count_header_gives_the_attempt() {
    let events = common::events(&["samples/har/chat-app.har"]);
    let limited = events.iter().find(|e| e["status"] == 429).unwrap();
    assert_eq!(limited["attempt"], 2);
    assert_eq!(limited["signature"], "rate_limit.output_tokens");
    assert_eq!(limited["retryable"], true);
}

/// An application log that mixes every line format with noise yields exactly the failures of
/// its parts: all line-format samples, concatenated into one stream on stdin.
/// Every line-format sample, concatenated with a few unrelated lines between the parts, and
/// the number of failures the parts hold.
fn mixed_stream() -> (Vec<u8>, usize) {
    let cases = expected().sample;
    let mut mixed = Vec::new();
    let mut want = 0;
    for case in &cases {
        let text = std::fs::read(common::root().join(&case.file)).unwrap();
        let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
        // JSON documents (HAR, arrays, API responses) are files of their own, not lines.
        if case.file.ends_with(".har") || case.file.ends_with(".json") || first == Some(b'[') {
            continue;
        }
        mixed.extend_from_slice(&text);
        if !mixed.ends_with(b"\n") {
            mixed.push(b'\n');
        }
        // A few unrelated lines between the parts, as in a real application log.
        mixed.extend_from_slice(b"2025-10-02 10:00:01,104 INFO [worker-3] app.jobs: picked job 8812\nGET /healthz 200\n\n");
        want += case.failures;
    }
    (mixed, want)
}

#[test]
fn all_line_formats_mixed_in_one_stream_yield_exactly_their_failures() {
    use std::io::Write;
    let (mixed, want) = mixed_stream();
    let mut child = common::bin()
        .args(["-", "--events", "-q"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&mixed));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let got = common::stdout(&o).lines().count();
    assert_eq!(got, want, "failures in the mixed stream");
}

/// Large files are split into chunks scanned in parallel; each chunk owns the records its
/// lines start and reads a warm-up before itself. Here chunks are far smaller than the
/// records (600 bytes, about 150 chunks).
#[test]
fn a_file_scanned_in_chunks_gives_the_same_report_and_events() {
    let (mixed, _) = mixed_stream();
    let dir = common::temp_dir("chunks");
    let file = dir.join("mixed.log");
    std::fs::write(&file, &mixed).unwrap();
    let path = file.to_str().unwrap();
    let whole_report = common::report(&[path, "--chunk-bytes", "0"]);
    let whole_events = common::events(&[path, "--chunk-bytes", "0"]);
    assert!(whole_events.len() > 100);
    // A warm-up as long as the file (the default 1 MB): every chunk sees all that came
    // before it, so ownership, cool-down and merging alone decide, and they must give
    // exactly one pass's report and events, at one thread and at four.
    for threads in ["1", "4"] {
        let args = [path, "--chunk-bytes", "600", "-j", threads];
        assert_eq!(
            common::report(&args),
            whole_report,
            "report at -j {threads}"
        );
        assert_eq!(
            common::events(&args),
            whole_events,
            "events at -j {threads}"
        );
    }
    // A 16 KB warm-up (longer than any record chain here): the same counts in every table.
    // Only file-wide memory older than the warm-up may differ in the events (whether the
    // file has SDK debug lines, which makes attempt numbers known).
    let short = common::report(&[path, "--chunk-bytes", "600", "--warmup-bytes", "16000"]);
    assert_eq!(short, whole_report, "report with a 16 KB warm-up");
    // Without a warm-up in bytes, a chunk still warms up over the lines that one record and
    // its joins can span (a few hundred), however short or long they are: the same report
    // (with long lines, a byte warm-up alone once let a success be counted by two chunks).
    let cold = common::report(&[path, "--chunk-bytes", "600", "--warmup-bytes", "0"]);
    assert_eq!(cold, whole_report, "report without a byte warm-up");
    let lines = mixed.iter().filter(|&&b| b == b'\n').count() as u64;
    let summary = &cold["summary"];
    assert_eq!(summary["lines_read"].as_u64(), Some(lines));
    let parts = ["lines_relevant", "lines_noise", "lines_unparseable"]
        .map(|k| summary[k].as_u64().unwrap())
        .iter()
        .sum::<u64>();
    assert_eq!(parts, lines);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A timeline over inputs of which only some have failures keeps the grain their span asks
/// for: folds without any time (clean files) once merged into day buckets.
#[test]
fn clean_files_do_not_coarsen_the_timeline() {
    let dir = common::temp_dir("clean-files");
    std::fs::write(dir.join("a.log"), "service started\n").unwrap();
    std::fs::write(dir.join("b.log"), "nothing to see\n").unwrap();
    std::fs::copy(
        common::root().join("samples/app/node-service.log"),
        dir.join("c.log"),
    )
    .unwrap();
    let alone = common::report(&[dir.join("c.log").to_str().unwrap()]);
    let all = common::report(&[dir.to_str().unwrap()]);
    assert_eq!(alone["timeline"]["bucket"], "minute");
    assert!(alone["timeline"]["rows"].as_array().unwrap().len() > 3);
    assert_eq!(all["timeline"], alone["timeline"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Workers classify and fold the records a scan no longer holds open while the scan goes on
/// (so memory does not grow with a file): settling after every record, or only at the end,
/// must give the same report and events, whole or in chunks, for every sample format.
#[test]
fn settling_records_early_changes_nothing() {
    let (mixed, _) = mixed_stream();
    let dir = common::temp_dir("settle");
    let file = dir.join("mixed.log");
    std::fs::write(&file, &mixed).unwrap();
    let samples = common::root().join("samples");
    for path in [file.to_str().unwrap(), samples.to_str().unwrap()] {
        for chunking in [
            &["--chunk-bytes", "0"][..],
            &["--chunk-bytes", "600", "-j", "3"],
            &["--chunk-bytes", "2000", "--warmup-bytes", "500", "-j", "1"],
        ] {
            let events =
                common::same_output_for(path, chunking, "--settle-batch", "100000000", &["1", "2"]);
            assert!(events.len() > 100, "{path} {chunking:?}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Failure records that wait for the end of the run (those with a request id: another part
/// or file may tell the same attempt) are kept in memory up to a budget and the rest in a
/// temporary file. Where they wait must change nothing: the same report (per-file counts
/// included) and events, with every one in the file, with a few in memory, and with all in
/// memory; in chunks (joins across parts of a file) and over two copies of one log (joins
/// across files, after each file's own).
#[test]
fn records_waiting_in_a_temporary_file_change_nothing() {
    let (mixed, _) = mixed_stream();
    let dir = common::temp_dir("held");
    std::fs::write(dir.join("mixed.log"), &mixed).unwrap();
    // Two files that tell the same 40 attempts (after a third file): the access log (long,
    // so that its later chunks number their lines from far into the file) without the
    // model, the JSON log with it; and the access log tells some twice (joins within the
    // file).
    let pair = dir.join("pair");
    std::fs::create_dir(&pair).unwrap();
    let (mut access, mut json) = (String::new(), String::new());
    for i in 0..600 {
        access.push_str(&format!(
            "10.0.0.{} - - [02/Oct/2025:16:{:02}:{:02} +0000] \"POST /v1/messages HTTP/1.1\" 200 812 \"-\" \"ua\" rt=0.5\n",
            i % 7,
            i / 60,
            i % 60
        ));
        if i >= 300 && i % 5 == 0 {
            // Ids 0-19 come twice, the second time naming the model.
            let n = (i - 300) / 5 % 40;
            let model = if i >= 500 {
                format!(" model=claude-again-{}", n % 2)
            } else {
                String::new()
            };
            access.push_str(&format!(
                "10.0.0.9 - - [02/Oct/2025:17:00:{:02} +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"ua\" rt=1.{n} req_id=req_011CHELD{n:04}{model}\n",
                n % 60
            ));
        }
    }
    for n in 20..40 {
        json.push_str(&format!(
            "{{\"time_iso8601\":\"2025-10-02T17:00:{:02}+00:00\",\"request_uri\":\"/v1/messages\",\"status\":\"529\",\"request_id\":\"req_011CHELD{n:04}\",\"model\":\"claude-held-{}\"}}\n",
            n % 60,
            n % 3
        ));
    }
    std::fs::write(pair.join("a-access.log"), access).unwrap();
    // A file before them, so that their parts are not the run's first.
    std::fs::write(
        pair.join("0-first.log"),
        "10.0.0.1 - - [02/Oct/2025:15:00:00 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"ua\" rt=1.0 req_id=req_011CFIRST0001\n",
    )
    .unwrap();
    std::fs::write(pair.join("b-gateway.json.log"), json).unwrap();
    // Joins fill the model: across files (held) and within the access log (again).
    let pair_path = pair.to_str().unwrap();
    let pair_chunked = [pair_path, "--chunk-bytes", "600", "--warmup-bytes", "0"];
    for held in ["0", "100000000"] {
        let whole = [pair_path, "--chunk-bytes", "0", "--held-in-memory", held];
        let named = common::report(&whole)["by_model"].to_string();
        assert!(named.contains("claude-held-2"), "{named}");
        assert!(named.contains("claude-again-1"), "{named}");
        // Chunks number their lines from where they start reading; held records get the
        // file's numbers back.
        let chunked = [&pair_chunked[..], &["--held-in-memory", held]].concat();
        assert_eq!(
            common::events(&chunked),
            common::events(&whole),
            "{chunked:?}"
        );
    }
    let mixed_path = dir.join("mixed.log");
    let samples = common::root().join("samples");
    for path in [
        mixed_path.to_str().unwrap(),
        pair.to_str().unwrap(),
        samples.to_str().unwrap(),
    ] {
        for chunking in [
            &["--chunk-bytes", "0"][..],
            &["--chunk-bytes", "600", "--warmup-bytes", "0", "-j", "3"],
        ] {
            let events = common::same_output_for(
                path,
                chunking,
                "--held-in-memory",
                "100000000",
                &["0", "3"],
            );
            let ids = events
                .iter()
                .filter(|e| e["request_id"].is_string())
                .count();
            assert!(
                ids > 20,
                "{path} {chunking:?}: {ids} failures with a request id"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
