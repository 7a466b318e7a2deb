//! Partial reports and `merge`: the report merged from the partials of any split of the
//! inputs is byte for byte the report of one run over all of them, in every format, with
//! filters and `--by` given to the merge; damaged partials and partials of another version are
//! refused with the file and the reason.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

/// Every file under `dir` as the scan names them (relative to the repository), in the order
/// of a directory walk.
fn files_under(dir: &str) -> Vec<String> {
    fn walk(root: &Path, rel: &str, out: &mut Vec<String>) {
        let mut names: Vec<String> = std::fs::read_dir(root.join(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            let child = format!("{rel}/{n}");
            if root.join(&child).is_dir() {
                walk(root, &child, out);
            } else {
                out.push(child);
            }
        }
    }
    let mut out = Vec::new();
    walk(&common::root(), dir, &mut out);
    out
}

fn ok(o: Output, what: &str) -> Vec<u8> {
    assert!(
        o.status.success(),
        "{what}: exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// The partial of `files` (given in reverse: a partial orders its inputs itself), written
/// to `out`, with `extra` options.
fn partial(files: &[String], out: &Path, extra: &[&str]) {
    let mut args: Vec<String> = vec!["-q".into(), "--format".into(), "partial".into()];
    args.push("-o".into());
    args.push(out.to_str().unwrap().into());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(files.iter().rev().cloned());
    let o = common::bin().args(&args).output().unwrap();
    ok(o, &format!("partial of {files:?}"));
}

/// The report merged from `parts` (given in reverse order) with `args`.
fn merged(parts: &[PathBuf], args: &[&str]) -> Vec<u8> {
    let mut all: Vec<String> = vec!["merge".into(), "-q".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    all.extend(parts.iter().rev().map(|p| p.to_str().unwrap().to_string()));
    let o = common::bin().args(&all).output().unwrap();
    ok(o, &format!("merge {args:?}"))
}

/// One run's report over `paths` with `args`.
fn single(paths: &[&str], args: &[&str]) -> Vec<u8> {
    let mut all = vec!["-q"];
    all.extend_from_slice(args);
    all.extend_from_slice(paths);
    ok(common::run(&all), &format!("run {all:?}"))
}

/// Split `files` into `n` parts: round robin, in blocks, or by a seeded shuffle.
fn splits(files: &[String], n: usize) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    let mut rr = vec![Vec::new(); n];
    for (i, f) in files.iter().enumerate() {
        rr[i % n].push(f.clone());
    }
    out.push(("round robin".to_string(), rr));
    let per = files.len().div_ceil(n);
    out.push((
        "blocks".to_string(),
        files.chunks(per).map(|c| c.to_vec()).collect(),
    ));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ n as u64;
    let mut shuffled = vec![Vec::new(); n];
    for f in files {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        shuffled[(seed >> 33) as usize % n].push(f.clone());
    }
    out.push((
        "shuffled".to_string(),
        shuffled.into_iter().filter(|p| !p.is_empty()).collect(),
    ));
    out
}

/// What the tests compare: every report format, and `--by`, filters and `--fail-on` given
/// to the merge as to the run.
const VIEWS: [&[&str]; 9] = [
    &["--format", "json"],
    &["--format", "table", "--full"],
    &["--format", "csv"],
    &["--format", "markdown"],
    &["--format", "html"],
    &[
        "--format",
        "json",
        "--by",
        "model,provider,endpoint,file,hour",
    ],
    &[
        "--format",
        "json",
        "--status",
        "5xx,none",
        "--by",
        "status,minute",
    ],
    &[
        "--format",
        "json",
        "--cluster",
        "rate_limit,overloaded",
        "--model",
        "sonnet",
    ],
    &[
        "--format",
        "csv",
        "--since",
        "2025-10-02T14:05:00Z",
        "--until",
        "2025-10-03T00:00:00Z",
        "--by",
        "signature,day",
    ],
];

#[test]
fn merging_any_split_of_the_samples_gives_one_runs_report() {
    let files = files_under("samples");
    assert!(files.len() > 20, "{files:?}");
    let want: Vec<Vec<u8>> = VIEWS.iter().map(|v| single(&["samples"], v)).collect();
    // The views are not empty: the samples have failures that the filters keep.
    let json: serde_json::Value = serde_json::from_slice(&want[0]).unwrap();
    assert!(json["summary"]["failures"].as_u64().unwrap() > 100);
    for (i, w) in want.iter().enumerate().skip(5) {
        let text = String::from_utf8_lossy(w);
        assert!(
            text.lines().count() > 3,
            "view {:?} is empty: {text}",
            VIEWS[i]
        );
    }
    let dir = common::temp_dir("partial-samples");
    for n in 2..=5 {
        for (how, parts) in splits(&files, n) {
            let paths: Vec<PathBuf> = (0..parts.len())
                .map(|k| dir.join(format!("{n}-{k}.clsp")))
                .collect();
            for (files, path) in parts.iter().zip(&paths) {
                partial(files, path, &[]);
            }
            for (view, want) in VIEWS.iter().zip(&want) {
                let got = merged(&paths, view);
                assert!(
                    got == *want,
                    "{n} parts, {how}, {view:?}: merged report differs from one run's:\n{}",
                    first_difference(want, &got)
                );
            }
        }
    }
    // Files read in chunks inside their part, as in the one run.
    let chunked = ["--chunk-bytes", "600", "--warmup-bytes", "0"];
    let want = single(
        &["samples"],
        &[&chunked[..], &["--format", "json"]].concat(),
    );
    for (how, parts) in splits(&files, 3) {
        let paths: Vec<PathBuf> = (0..parts.len())
            .map(|k| dir.join(format!("chunked-{k}.clsp")))
            .collect();
        for (files, path) in parts.iter().zip(&paths) {
            partial(files, path, &chunked);
        }
        let got = merged(&paths, &["--format", "json"]);
        assert!(
            got == want,
            "chunked, {how}:\n{}",
            first_difference(&want, &got)
        );
    }
    // A merge reads time as the partials' runs did.
    let first = dir.join("2-0.clsp");
    let o = common::run(&["merge", "-q", "--tz", "+02:00", first.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give merge the same --tz"));
    // --fail-on reads the merged fold as it reads a run's.
    let parts: Vec<PathBuf> = (0..2).map(|k| dir.join(format!("2-{k}.clsp"))).collect();
    for cond in ["rate_limit", "418", "rate>0.99"] {
        let run = common::run(&["-q", "--fail-on", cond, "samples"]);
        let mut args = vec!["merge", "-q", "--fail-on", cond];
        args.extend(parts.iter().map(|p| p.to_str().unwrap()));
        let merge = common::run(&args);
        assert_eq!(merge.status.code(), run.status.code(), "--fail-on {cond}");
        assert_eq!(merge.stdout, run.stdout, "--fail-on {cond}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  run:   {x}\n  merge: {y}", i + 1);
        }
    }
    format!("lengths {} and {}", a.len(), b.len())
}

/// Attempts told by two files (a long access log and a JSON log that shares its request ids,
/// the access log telling some twice) land in different partials, and the long log is read in
/// chunks: the merge joins them as one run does, and numbers the chunks' lines as one run.
#[test]
fn attempts_told_in_two_partials_are_one_failure_and_chunks_stay_whole() {
    let dir = common::temp_dir("partial-joins");
    let logs = dir.join("logs");
    std::fs::create_dir_all(logs.join("b")).unwrap();
    let (mut access, mut json) = (String::new(), String::new());
    for i in 0..3000 {
        access.push_str(&format!(
            "10.0.0.{} - - [02/Oct/2025:16:{:02}:{:02} +0000] \"POST /v1/messages HTTP/1.1\" 200 812 \"-\" \"ua\" rt=0.5\n",
            i % 7,
            i / 60 % 60,
            i % 60
        ));
        if i >= 300 && i % 25 == 0 {
            let n = (i - 300) / 25 % 60;
            let model = if i >= 2000 {
                format!(" model=claude-again-{}", n % 2)
            } else {
                String::new()
            };
            access.push_str(&format!(
                "10.0.0.9 - - [02/Oct/2025:17:{:02}:{:02} +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"ua\" rt=1.{n} req_id=req_011CJOIN{n:04}{model}\n",
                i / 60 % 60,
                n % 60
            ));
        }
    }
    for n in 20..60 {
        json.push_str(&format!(
            "{{\"time_iso8601\":\"2025-10-02T17:00:{:02}+00:00\",\"request_uri\":\"/v1/messages\",\"status\":\"529\",\"request_id\":\"req_011CJOIN{n:04}\",\"model\":\"claude-joined-{}\"}}\n",
            n % 60,
            n % 3
        ));
    }
    std::fs::write(logs.join("a-access.log"), &access).unwrap();
    std::fs::write(logs.join("b/gateway.json.log"), &json).unwrap();
    std::fs::write(
        logs.join("0-first.log"),
        "10.0.0.1 - - [02/Oct/2025:15:00:00 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"ua\" rt=1.0 req_id=req_011CJOIN0003\n",
    )
    .unwrap();
    let root = logs.to_str().unwrap();
    let names: Vec<String> = ["0-first.log", "a-access.log", "b/gateway.json.log"]
        .iter()
        .map(|f| format!("{root}/{f}"))
        .collect();
    // Small chunks, a short warm-up: the access log is cut into dozens of chunks.
    let chunked = ["--chunk-bytes", "2000", "--warmup-bytes", "0"];
    for held in ["0", "100000"] {
        let scan = [&chunked[..], &["--held-in-memory", held]].concat();
        let json_args = [&scan[..], &["--format", "json"]].concat();
        let want = single(&[root], &json_args);
        let report: serde_json::Value = serde_json::from_slice(&want).unwrap();
        // The joins happened: the JSON log's models reached the access log's failures.
        let models = report["by_model"].to_string();
        assert!(models.contains("claude-joined-2"), "{models}");
        assert!(models.contains("claude-again-1"), "{models}");
        for parts in [
            vec![vec![0, 1], vec![2]],
            vec![vec![0], vec![1], vec![2]],
            vec![vec![2, 0], vec![1]],
        ] {
            let paths: Vec<PathBuf> = (0..parts.len())
                .map(|k| dir.join(format!("{held}-{k}.clsp")))
                .collect();
            for (p, path) in parts.iter().zip(&paths) {
                let files: Vec<String> = p.iter().map(|&i| names[i].clone()).collect();
                partial(&files, path, &scan);
            }
            for view in [&["--format", "json"][..], &["--format", "table", "--full"]] {
                let merge_args = [view, &["--held-in-memory", held]].concat();
                let got = merged(&paths, &merge_args);
                let want = single(&[root], &[&scan[..], view].concat());
                assert!(
                    got == want,
                    "{parts:?} held {held} {view:?}:\n{}",
                    first_difference(&want, &got)
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A partial is the same bytes at any thread count.
#[test]
fn a_partial_is_the_same_at_any_thread_count() {
    let dir = common::temp_dir("partial-threads");
    let files = files_under("samples");
    let (a, b) = (dir.join("a.clsp"), dir.join("b.clsp"));
    partial(&files, &a, &["-j", "1"]);
    partial(&files, &b, &["-j", "4", "--chunk-bytes", "0"]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn merge_fails(parts: &[&Path], extra: &[&str]) -> String {
    let mut args = vec!["merge", "-q"];
    args.extend_from_slice(extra);
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    let o = common::run(&args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?} should be refused: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty());
    String::from_utf8(o.stderr).unwrap()
}

#[test]
fn damaged_or_foreign_partials_are_refused_by_name() {
    let dir = common::temp_dir("partial-bad");
    let good = dir.join("good.clsp");
    partial(&files_under("samples/proxy"), &good, &[]);
    let bytes = std::fs::read(&good).unwrap();
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let write = |name: &str, b: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, b).unwrap();
        p
    };

    let mut other = b"claude-logscan partial v999\n".to_vec();
    other.extend_from_slice(&bytes[header_end..]);
    let other = write("other.clsp", &other);
    let err = merge_fails(&[&good, &other], &[]);
    assert!(
        err.contains("other.clsp") && err.contains("version 999"),
        "{err}"
    );

    for cut in [
        header_end,
        header_end + 10,
        bytes.len() / 2,
        bytes.len() - 3,
    ] {
        let cut_file = write("cut.clsp", &bytes[..cut]);
        let err = merge_fails(&[&cut_file], &[]);
        assert!(
            err.contains("cut.clsp: ") && err.contains("corrupt"),
            "{cut}: {err}"
        );
    }
    let mut flipped = bytes.clone();
    let mid = header_end + (bytes.len() - header_end) / 2;
    flipped[mid] ^= 0x55;
    let flipped = write("flipped.clsp", &flipped);
    let err = merge_fails(&[&flipped], &[]);
    assert!(
        err.contains("flipped.clsp: ") && err.contains("corrupt"),
        "{err}"
    );

    // A well-formed document whose waiting record is not a record.
    let all = dir.join("all.clsp");
    partial(&files_under("samples"), &all, &[]);
    let bytes = std::fs::read(&all).unwrap();
    let (head, body) = bytes.split_at(bytes.iter().position(|&b| b == b'\n').unwrap() + 1);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body), &mut text).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let held = doc["files"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|f| f["units"].as_array_mut().unwrap())
        .find_map(|u| u["held"].as_array_mut().filter(|h| !h.is_empty()))
        .expect("the samples have failures that wait for the join");
    held[0] = "AAAA".into();
    let mut gz = flate2::write::GzEncoder::new(head.to_vec(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, doc.to_string().as_bytes()).unwrap();
    let forged = write("forged.clsp", &gz.finish().unwrap());
    let err = merge_fails(&[&forged], &[]);
    assert!(
        err.contains("forged.clsp: corrupt (waiting failure record 0 of samples/"),
        "{err}"
    );

    let log = common::root().join("samples/proxy/nginx-access.log");
    let err = merge_fails(&[&log], &[]);
    assert!(
        err.contains("nginx-access.log: not a claude-logscan partial"),
        "{err}"
    );
    let err = merge_fails(&[&dir.join("missing.clsp")], &[]);
    assert!(err.contains("missing.clsp: no such file"), "{err}");

    // One input in two partials would be counted twice.
    let err = merge_fails(&[&good, &good], &[]);
    assert!(
        err.contains("samples/proxy/") && err.contains(" is in two partials"),
        "{err}"
    );
    // Partials keep time by the minute.
    let err = merge_fails(&[&good], &["--since", "2025-10-02T14:05:30Z"]);
    assert!(
        err.contains("--since") && err.contains("whole minute"),
        "{err}"
    );
    // A partial is written without filters: they are the merge's.
    let x = dir.join("x.clsp");
    let o = common::run(&[
        "-q",
        "--format",
        "partial",
        "-o",
        x.to_str().unwrap(),
        "--status",
        "429",
        "samples",
    ]);
    assert!(!x.exists());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give filters"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--events-out` beside a partial writes the part's events: for a part that holds every
/// input, one run's events.
#[test]
fn a_partial_of_everything_has_one_runs_events() {
    let dir = common::temp_dir("partial-events");
    let (part, events) = (dir.join("all.clsp"), dir.join("events.ndjson"));
    let events_arg = format!("--events-out={}", events.display());
    partial(&files_under("samples"), &part, &[&events_arg]);
    let want = single(&["samples"], &["--events"]);
    assert!(want.len() > 10_000, "{}", want.len());
    assert_eq!(std::fs::read(&events).unwrap(), want);
    std::fs::remove_dir_all(&dir).unwrap();
}
