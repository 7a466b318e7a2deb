//! Hostile input: the run never panics, every problem is a warning with the file and the
//! reason, the counts add up, and no secret reaches any output. The corpus is generated here,
//! in a temporary directory, so nothing large or binary is committed.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

const ACCESS_529: &str =
    "10.0.0.1 - - [02/Oct/2025:16:20:11 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"x\"\n";

fn report_of(dir: &Path) -> (serde_json::Value, String, Option<i32>) {
    let o = common::run(&["--format", "json", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_str(&common::stdout(&o))
        .unwrap_or_else(|e| panic!("report is JSON ({e}); stderr: {stderr}"));
    (v, stderr, o.status.code())
}

#[test]
fn hostile_corpus_runs_without_panic_and_counts_add_up() {
    let dir = common::temp_dir("hostile");
    std::fs::write(dir.join("empty.log"), b"").unwrap();
    let mut bad_utf8 = b"caf\xe9 \xff\xfe broken\n".to_vec();
    bad_utf8.extend_from_slice(b"10.0.0.1 - - [02/Oct/2025:16:20:12 +0000] \"POST /v1/messages HTTP/1.1\" 429 97 \"-\" \"\xff\"\n");
    std::fs::write(dir.join("latin1.log"), bad_utf8).unwrap();
    std::fs::write(
        dir.join("program.bin"),
        [0x7f, b'E', b'L', b'F', 0, 0, 0, 1, 2, 3],
    )
    .unwrap();
    // One 12 MB line, then a failure that must still be found.
    let mut long = vec![b'x'; 12 << 20];
    long.push(b'\n');
    long.extend_from_slice(ACCESS_529.as_bytes());
    std::fs::write(dir.join("long-line.log"), long).unwrap();
    std::fs::write(
        dir.join("cut.har"),
        br#"{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"2025-10-02T16:40:03Z","time":1,"request":{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[]},"response":{"status":529,"headers":[],"content":{"mimeType":"application/json","text":"{}"}}},{"startedDateTime":"2025-10-02T16:40:04Z","request":{"method":"PO"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("not-json.har"),
        b"{\"log\": {\"entries\": [ this is not json",
    )
    .unwrap();
    let deep = format!(
        "{}{}\n{}",
        "[".repeat(200_000),
        "]".repeat(200_000),
        ACCESS_529
    );
    std::fs::write(dir.join("deep.log"), deep).unwrap();
    let deep_har = format!(
        "{{\"log\":{{\"entries\":[{{\"x\":{}1{}}}]}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.join("deep.har"), deep_har).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
        std::os::unix::fs::symlink(dir.join("missing-target"), dir.join("dangling.log")).unwrap();
    }

    let (r, stderr, code) = report_of(&dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let s = &r["summary"];
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(
        n("lines_read"),
        n("lines_relevant") + n("lines_noise") + n("lines_unparseable"),
        "{s}"
    );
    // File by file too, and every input (read, skipped or missing) is listed once.
    let files = r["files"].as_array().unwrap();
    for f in files {
        let m = |k: &str| f[k].as_u64().unwrap();
        assert_eq!(
            m("lines_read"),
            m("lines_relevant") + m("lines_noise") + m("lines_unparseable"),
            "{f}"
        );
    }
    assert_eq!(
        files
            .iter()
            .map(|f| f["lines_read"].as_u64().unwrap())
            .sum::<u64>(),
        n("lines_read")
    );
    let skipped = |name: &str| {
        files
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(name))
            .and_then(|f| f["skipped"].as_str().map(str::to_string))
    };
    assert!(
        skipped("program.bin").unwrap().contains("binary"),
        "{files:?}"
    );
    assert_eq!(skipped("empty.log"), None);
    assert_eq!(
        files
            .iter()
            .filter(|f| f["file"].as_str().unwrap().ends_with("/empty.log"))
            .count(),
        1
    );
    // 529 (cut.har entry 0) + 429 (latin1) + 529 (after the long line) + 529 (after deep JSON).
    assert_eq!(n("failures"), 4, "{s}");
    assert_eq!(n("lines_invalid_utf8"), 2, "{s}");
    assert_eq!(n("lines_truncated"), 1, "{s}");
    for (file, reason) in [
        ("program.bin", "binary"),
        ("cut.har", "malformed HAR"),
        ("not-json.har", "malformed HAR"),
        ("deep.har", "malformed HAR"),
        ("long-line.log", "longer than"),
        ("latin1.log", "invalid UTF-8"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(reason)),
            "no warning for {file} ({reason}):\n{stderr}"
        );
    }
    #[cfg(unix)]
    {
        assert!(stderr.contains("symlink loop"), "{stderr}");
        assert!(stderr.contains("dangling.log"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run of the binary with its JSON report, its stderr (without the memory line) and its own
/// peak resident memory, which it reports itself (`CLAUDE_LOGSCAN_PEAK_RSS`, Linux).
#[cfg(target_os = "linux")]
fn measured_report(args: &[&str]) -> (serde_json::Value, String, u64) {
    let o = common::bin()
        .env("CLAUDE_LOGSCAN_PEAK_RSS", "1")
        .args(["--format", "json"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{args:?}: {stderr}");
    let report = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("report is JSON ({e}); stderr: {stderr}"));
    let mut rss = None;
    let mut rest = String::new();
    for l in stderr.lines() {
        match l.strip_prefix("claude-logscan: peak resident memory ") {
            Some(kb) => rss = kb.strip_suffix(" KiB").and_then(|k| k.parse::<u64>().ok()),
            None => {
                rest.push_str(l);
                rest.push('\n');
            }
        }
    }
    let rss = rss.unwrap_or_else(|| panic!("no peak memory line in {stderr}"));
    (report, rest, rss * 1024)
}

const MB: u64 = 1 << 20;

#[test]
#[cfg(target_os = "linux")]
fn a_100_mb_line_is_cut_and_memory_stays_bounded() {
    let dir = common::temp_dir("line100");
    // 100 MB without a newline between two failures.
    let mut text = ACCESS_529.as_bytes().to_vec();
    text.extend(std::iter::repeat_n(b'x', 100 << 20));
    text.push(b'\n');
    text.extend_from_slice(ACCESS_529.as_bytes());
    std::fs::write(dir.join("huge-line.log"), &text).unwrap();
    drop(text);
    let (r, stderr, rss) = measured_report(&[dir.to_str().unwrap()]);
    let s = &r["summary"];
    assert_eq!(s["failures"], 2, "{s}");
    assert_eq!(s["lines_read"], 3, "{s}");
    assert_eq!(s["lines_truncated"], 1, "{s}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("huge-line.log") && l.contains("longer than")),
        "{stderr}"
    );
    assert!(rss < 256 * MB, "peak memory {} MB", rss / MB);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[cfg(target_os = "linux")]
fn a_hundred_thousand_small_files() {
    let dir = common::temp_dir("many");
    for d in 0..500 {
        let sub = dir.join(format!("d{d:03}"));
        std::fs::create_dir_all(&sub).unwrap();
        for f in 0..200 {
            // Every tenth file holds a failure, the others a line of noise.
            let text = if f % 10 == 0 {
                ACCESS_529
            } else {
                "worker started\n"
            };
            std::fs::write(sub.join(format!("f{f:03}.log")), text).unwrap();
        }
    }
    let (r, stderr, rss) = measured_report(&["-q", dir.to_str().unwrap()]);
    let s = &r["summary"];
    assert_eq!(s["files"], 100_000, "{s}");
    assert_eq!(s["lines_read"], 100_000, "{s}");
    assert_eq!(s["failures"], 10_000, "{s}");
    assert_eq!(s["lines_noise"], 90_000, "{s}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(rss < 256 * MB, "peak memory {} MB", rss / MB);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[cfg(target_os = "linux")]
fn a_har_with_a_million_entries_is_streamed() {
    let dir = common::temp_dir("har-million");
    let mut har =
        String::from(r#"{"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":["#);
    for i in 0..1_000_000u32 {
        if i > 0 {
            har.push(',');
        }
        let status = if i % 1000 == 999 { 529 } else { 200 };
        har.push_str(&format!(
            r#"{{"startedDateTime":"2025-10-02T16:40:03Z","time":1,"request":{{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[]}},"response":{{"status":{status},"headers":[],"content":{{"mimeType":"application/json","text":"{{}}"}}}}}}"#
        ));
    }
    har.push_str("]}}");
    std::fs::write(dir.join("big.har"), &har).unwrap();
    let har_mb = har.len() as u64 / MB;
    drop(har);
    let (r, stderr, rss) = measured_report(&["-q", dir.to_str().unwrap()]);
    let s = &r["summary"];
    assert_eq!(s["failures"], 1_000, "{s}\n{stderr}");
    assert_eq!(s["successes"], 999_000, "{s}");
    assert!(
        rss < 256 * MB,
        "peak memory {} MB for a {har_mb} MB HAR",
        rss / MB
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The failures of a file are classified and counted as the scan goes (see `aggregate.rs`):
/// twice the failures in one file, plain or gzip (read in one pass), costs no more memory.
/// (Before, every failure was kept until the report: ~0.65 KB each, 130 MB more here.)
#[test]
#[cfg(target_os = "linux")]
fn memory_does_not_grow_with_the_failures_of_a_file() {
    let dir = common::temp_dir("growth");
    let access_log = |n: u32| {
        let mut text = String::with_capacity(n as usize * 120);
        for i in 0..n {
            let status = [429, 500, 529, 401][(i % 4) as usize];
            let (h, m, s) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
            text.push_str(&format!(
                "10.0.{}.{} - - [02/Oct/2025:{h:02}:{m:02}:{s:02} +0000] \"POST /v1/messages HTTP/1.1\" {status} 97 \"-\" \"anthropic-python/0.40.0\"\n",
                i % 200,
                i % 250
            ));
        }
        text
    };
    let small = dir.join("small.log");
    std::fs::write(&small, access_log(200_000)).unwrap();
    let big = dir.join("big.log");
    let text = access_log(400_000);
    std::fs::write(&big, &text).unwrap();
    let big_gz = dir.join("big.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&big_gz).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
    drop(text);
    let mut peaks = Vec::new();
    for (path, want) in [(&small, 200_000), (&big, 400_000), (&big_gz, 400_000)] {
        let (r, stderr, rss) = measured_report(&["-q", path.to_str().unwrap()]);
        assert_eq!(r["summary"]["failures"], want, "{path:?}: {stderr}");
        assert_eq!(r["by_status"][0]["count"], want / 4, "{path:?}");
        peaks.push(rss);
    }
    for (name, rss) in [("plain", peaks[1]), ("gzip", peaks[2])] {
        assert!(
            rss < peaks[0] + 16 * MB,
            "{name}: 400,000 failures peak at {} MB, 200,000 at {} MB",
            rss / MB,
            peaks[0] / MB
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Run the binary with `args`; a run that has not ended after a minute hangs (test fails).
#[cfg(unix)]
fn run_within_a_minute(args: &[&str]) -> std::process::Output {
    let mut child = common::bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the run hangs: {args:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
#[cfg(unix)]
fn fifos_and_sockets_in_a_directory_are_skipped_with_a_warning() {
    let dir = common::temp_dir("special");
    std::fs::write(dir.join("a.log"), ACCESS_529).unwrap();
    let fifo = dir.join("pipe.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("app.sock")).unwrap();
    // Opening the FIFO would block for ever: the run must end on its own.
    let o = run_within_a_minute(&["--format", "json", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["failures"], 1);
    assert_eq!(r["summary"]["files_unreadable"], 2, "{stderr}");
    for (file, reason) in [("pipe.log", "named pipe"), ("app.sock", "socket")] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(reason) && l.contains("skipped")),
            "no warning for {file}:\n{stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Named pipes given on the command line (`<(zcat a.gz) <(zcat b.gz)`) are read, each once:
/// nothing may open one before its scan (a reader that opens and closes a pipe lets the writer
/// die of SIGPIPE or makes the scan wait for a writer that has left).
#[test]
#[cfg(unix)]
fn named_pipes_on_the_command_line_are_each_read_once() {
    let dir = common::temp_dir("fifos-args");
    let mut pipes = Vec::new();
    for name in ["a.pipe", "b.pipe"] {
        let p = dir.join(name);
        let made = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(made.success());
        pipes.push(p);
    }
    // Writers that write once and end, as `zcat` into a process substitution does.
    let writers: Vec<_> = pipes
        .iter()
        .map(|p| {
            let p = p.clone();
            std::thread::spawn(move || {
                let mut f = std::fs::OpenOptions::new().write(true).open(&p)?;
                f.write_all(ACCESS_529.repeat(3).as_bytes())
            })
        })
        .collect();
    let mut args = vec!["--format", "json"];
    args.extend(pipes.iter().map(|p| p.to_str().unwrap()));
    let o = run_within_a_minute(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    for w in writers {
        w.join().unwrap().unwrap();
    }
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["failures"], 6, "{stderr}");
    assert_eq!(r["summary"]["lines_read"], 6, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn closed_output_pipe_exits_quietly_with_zero() {
    let dir = common::temp_dir("pipe");
    let mut text = String::new();
    for _ in 0..20_000 {
        text.push_str(ACCESS_529);
    }
    std::fs::write(dir.join("a.log"), text).unwrap();
    let mut child = common::bin()
        .args(["--events", "-q", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The read end is dropped here: the next writes hit a closed pipe.
    let o = child.wait_with_output().unwrap();
    assert!(first.starts_with('{'));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stderr).is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_closed_early_is_an_empty_input() {
    let mut child = common::bin()
        .args(["-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["failures"], 0);
}

/// Every kind of secret, each planted where the parsers take the message from.
const SECRETS: [&str; 7] = [
    "sk-ant-api03-PLANTEDsecretPLANTEDsecretPLANTEDsecret_0000",
    "sk-ant-oat01-PLANTEDoauthPLANTEDoauthPLANTEDoauth",
    "sk-ant-admin01-PLANTEDadminPLANTEDadminPLANTED",
    "AKIAPLANTEDKEY123456",
    "ya29.PLANTEDgoogleTOKENvalue",
    "PLANTEDbearerTOKEN0123456789",
    "PLANTEDrawApiKeyValue42",
];

fn plant(dir: &Path) {
    let [api, oat, admin, aws, google, bearer, raw] = SECRETS;
    let har_body = format!(
        r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {api} (also tried Bearer {bearer})"}}}}"#
    );
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": [{
        "startedDateTime": "2025-10-02T16:40:03Z", "time": 5,
        "request": {"method": "POST", "url": format!("https://api.anthropic.com/v1/messages?key={raw}"),
            "headers": [{"name": "x-api-key", "value": raw}, {"name": "authorization", "value": format!("Bearer {oat}")}],
            "postData": {"mimeType": "application/json", "text": format!("{{\"model\":\"claude-haiku-4-5\",\"messages\":[{{\"role\":\"user\",\"content\":\"my key is {admin}\"}}]}}")}},
        "response": {"status": 401, "headers": [{"name": "request-id", "value": "req_011CZtestOnly"}],
            "content": {"mimeType": "application/json", "text": har_body}}}]}});
    std::fs::write(
        dir.join("secrets.har"),
        serde_json::to_string(&har).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("nginx-error.log"),
        format!("2025/10/02 16:22:12 [error] 9#9: *1 upstream timed out (110: Connection timed out) while reading response header from upstream x-api-key: {raw} Authorization: Bearer {bearer} {aws} {google} {admin}, client: 10.0.0.1, server: s, request: \"POST /v1/messages?api_key={raw} HTTP/1.1\", upstream: \"https://203.0.113.9:443/v1/messages\", host: \"h\"\n"),
    )
    .unwrap();
    let cf = serde_json::json!([{"id": "1", "created_at": "2025-10-02T16:50:00Z", "provider": "anthropic",
        "model": "claude-sonnet-4-5", "path": "v1/messages", "status_code": 401, "success": false,
        "cached": false, "duration": 3, "tokens_in": 0, "tokens_out": 0,
        "response": {"type": "error", "error": {"type": "authentication_error",
            "message": format!("bad key {api} {oat} aws_secret_access_key={aws}PLANTEDsecretKEYvalue ya29.{google}")}}}]);
    std::fs::write(
        dir.join("cloudflare.json"),
        serde_json::to_string(&cf).unwrap(),
    )
    .unwrap();
}

#[test]
fn planted_secrets_never_reach_any_output() {
    let dir = common::temp_dir("secrets");
    plant(&dir);
    let d = dir.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec![d],
        vec![d, "--format", "markdown"],
        vec![d, "--format", "csv"],
        vec![d, "--format", "json"],
        vec![d, "--format", "csv", "--by", "error_type,model,endpoint"],
        vec![d, "--events"],
        vec![d, "--events", "--format", "csv"],
    ];
    let mut seen_failures = false;
    for args in runs {
        let o = common::run(&args);
        let out = format!(
            "{}{}",
            common::stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}: {out}");
        seen_failures |= out.contains("authentication_error");
        for s in SECRETS {
            assert!(!out.contains(s), "{args:?} leaks {s}:\n{out}");
        }
        assert!(
            !out.contains("PLANTED"),
            "{args:?} leaks a planted value:\n{out}"
        );
        assert!(
            !out.contains("my key is"),
            "{args:?} leaks prompt text:\n{out}"
        );
    }
    assert!(seen_failures, "the planted failures must be found");
    let explain = common::bin()
        .args(["explain", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key {}\"}}}}", SECRETS[0]).as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let text = common::stdout(&explain);
    assert!(text.contains("auth"), "{text}");
    assert!(!text.contains("PLANTED"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn regression_attempt_counters_at_u32_max_do_not_overflow() {
    let dir = common::temp_dir("overflow");
    std::fs::write(
        dir.join("app.log"),
        "  ⎿  API error · Retrying in 0s · attempt 4294967295/10\nAPI Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\
2025/12/27 21:36:26 Account 1: upstream error 429, retry 4294967295/3 after 1s\n\
litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}} LiteLLM Retried: 4294967295 times\n\
botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4294967295): Too many requests, please wait before trying again.\n",
    )
    .unwrap();
    let (r, stderr, code) = report_of(&dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        r["summary"]["failures"].as_u64().unwrap() >= 4,
        "{}",
        r["summary"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
