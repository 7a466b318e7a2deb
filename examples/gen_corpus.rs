//! Writes a realistic mixed corpus of any size, with its ground truth, for the benchmark.
//!
//!     cargo run --release --example gen_corpus -- DIR [MEGABYTES]
//!
//! About half nginx access logs in front of the API (mostly 200s, realistic shares of
//! 400/401/403/404/413/429/499/500/502/504/529, health checks and other paths), 10% the same
//! traffic as nginx JSON lines, 33% application logs (Python SDK debug lines with retries and
//! tracebacks, buried in unrelated noise: app lines, SQL, OpenAI SDK errors and httpx calls to
//! other hosts, which are not Claude failures), 5% a service log whose eight worker threads
//! interleave their lines, and a HAR with SSE streams. `DIR/truth.json`
//! holds the failures per effective status and error type, and the successful calls, in all
//! and per file.
//! Deterministic: the same size gives the same bytes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A small deterministic generator (PCG-style LCG), so the corpus needs no extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }
}

#[derive(Default)]
struct Truth {
    status: BTreeMap<String, u64>,
    error_type: BTreeMap<String, u64>,
    successes: u64,
}

impl Truth {
    fn fail(&mut self, status: &str, error_type: &str) {
        *self.status.entry(status.to_string()).or_default() += 1;
        *self.error_type.entry(error_type.to_string()).or_default() += 1;
    }
}

/// (status, error type, per-million share) of API calls in the access logs.
const ACCESS_MIX: &[(u16, &str, u64)] = &[
    (400, "invalid_request_error", 5_000),
    (401, "authentication_error", 2_000),
    (403, "permission_error", 1_000),
    (404, "not_found_error", 3_000),
    (413, "request_too_large", 500),
    (429, "rate_limit_error", 20_000),
    (499, "client_closed", 3_000),
    (500, "api_error", 3_000),
    (502, "api_error", 2_000),
    (504, "timeout_error", 2_000),
    (529, "overloaded_error", 10_000),
];

const AGENTS: &[&str] = &[
    "Anthropic/Python 0.69.0",
    "Anthropic/JS 0.65.0",
    "claude-cli/2.1.76 (external, sdk-ts)",
    "litellm/1.77.3",
];

fn stamp(second: u64) -> (String, String) {
    // 2025-10-02T00:00:00Z plus `second`, in nginx and ISO forms.
    let s = second % 86_400;
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    (
        format!("02/Oct/2025:{h:02}:{m:02}:{sec:02} +0000"),
        format!("2025-10-02T{h:02}:{m:02}:{sec:02}+00:00"),
    )
}

fn pick_status(rng: &mut Rng) -> Option<(u16, &'static str)> {
    let mut roll = rng.below(1_000_000);
    for &(status, ty, share) in ACCESS_MIX {
        if roll < share {
            return Some((status, ty));
        }
        roll -= share;
    }
    None
}

fn access_logs(
    dir: &Path,
    bytes: u64,
    json: bool,
    rng: &mut Rng,
    truth: &mut Truth,
) -> std::io::Result<()> {
    let name = if json {
        "access.json.log"
    } else {
        "access.log"
    };
    let mut w = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
    let mut written = 0u64;
    let mut second = 0u64;
    while written < bytes {
        second += rng.below(2);
        let (local, iso) = stamp(second);
        let ip = format!("10.0.{}.{}", rng.below(8), rng.below(250) + 2);
        let other = rng.chance(200_000);
        let (path, status, ty) = if other {
            let p = [
                "/healthz",
                "/metrics",
                "/static/app.js",
                "/v1/chat/completions",
                "/favicon.ico",
            ][rng.below(5) as usize];
            (p, if p == "/favicon.ico" { 404 } else { 200 }, None)
        } else {
            let path = if rng.chance(30_000) {
                "/v1/messages/count_tokens"
            } else {
                "/v1/messages"
            };
            match pick_status(rng) {
                Some((s, t)) => (path, s, Some(t)),
                None => (path, 200, None),
            }
        };
        if !other {
            if status >= 400 {
                truth.fail(&status.to_string(), ty.unwrap_or("unknown"));
            } else {
                truth.successes += 1;
            }
        }
        let rt = (rng.below(9000) + 50) as f64 / 1000.0;
        let agent = AGENTS[rng.below(AGENTS.len() as u64) as usize];
        let upstream = if status == 499 {
            "-".to_string()
        } else {
            status.to_string()
        };
        let line = if json {
            format!(
                "{{\"time_iso8601\":\"{iso}\",\"remote_addr\":\"{ip}\",\"request_method\":\"POST\",\"request_uri\":\"{path}\",\"status\":\"{status}\",\"body_bytes_sent\":\"{}\",\"request_time\":\"{rt:.3}\",\"upstream_status\":\"{upstream}\",\"http_user_agent\":\"{agent}\"}}\n",
                rng.below(4000)
            )
        } else {
            format!(
                "{ip} - - [{local}] \"POST {path} HTTP/1.1\" {status} {} \"-\" \"{agent}\" rt={rt:.3} uct=\"0.003\" us=\"{upstream}\"\n",
                rng.below(4000)
            )
        };
        written += line.len() as u64;
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

const NOISE: &[&str] = &[
    "2025-10-02 10:00:01,104 INFO [worker-3] app.jobs: picked job 8812 from queue summaries (attempt 1)",
    "2025-10-02 10:00:01,233 DEBUG [worker-3] sqlalchemy.engine.Engine: SELECT tickets.id, tickets.body FROM tickets WHERE tickets.id = %(id_1)s",
    "2025-10-02 10:00:02,010 INFO [worker-1] httpx: HTTP Request: POST https://api.openai.com/v1/chat/completions \"HTTP/1.1 429 Too Many Requests\"",
    "2025-10-02 10:00:02,011 ERROR [worker-1] app.fallback: openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o', 'type': 'requests', 'code': 'rate_limit_exceeded'}}",
    "2025-10-02 10:00:03,500 INFO [web-2] uvicorn.access: 10.0.3.4:51234 - \"GET /api/tickets/8812 HTTP/1.1\" 200",
    "2025-10-02 10:00:03,777 WARNING [worker-2] app.cache: redis timeout after 50ms, falling back to database",
    "2025-10-02 10:00:04,002 INFO [worker-2] httpx: HTTP Request: GET https://hooks.slack.com/services/T000/B000 \"HTTP/1.1 500 Internal Server Error\"",
    "2025-10-02 10:00:04,100 ERROR [worker-4] app.export: KeyError: 'customer_id' while building CSV export 551",
];

fn app_log(dir: &Path, bytes: u64, rng: &mut Rng, truth: &mut Truth) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(dir.join("app.log"))?);
    let mut written = 0u64;
    let mut n = 0u64;
    let url = "https://api.anthropic.com/v1/messages";
    while written < bytes {
        let mut chunk = String::new();
        for _ in 0..rng.below(12) {
            chunk.push_str(NOISE[rng.below(NOISE.len() as u64) as usize]);
            chunk.push('\n');
        }
        n += 1;
        let t = format!("2025-10-02 10:{:02}:{:02}", (n / 60) % 60, n % 60);
        let id = format!("req_011CV{:017}", n);
        chunk.push_str(&format!(
            "[{t} - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST {url}\n"
        ));
        let outcome = rng.below(100);
        let (status, reason, ty) = match outcome {
            0..=5 => (529, "", "overloaded_error"),
            6..=9 => (429, "Too Many Requests", "rate_limit_error"),
            10 => (500, "Internal Server Error", "api_error"),
            _ => (200, "OK", ""),
        };
        chunk.push_str(&format!(
            "[{t} - httpx:1025 - INFO] HTTP Request: POST {url} \"HTTP/1.1 {status} {reason}\"\n"
        ));
        chunk.push_str(&format!(
            "[{t} - anthropic._base_client:1311 - DEBUG] HTTP Response: POST {url} \"{status} {reason}\" Headers({{'date': 'Thu, 02 Oct 2025 10:00:00 GMT', 'content-type': 'application/json', 'request-id': '{id}', 'server': 'cloudflare'}})\n"
        ));
        chunk.push_str(&format!(
            "[{t} - anthropic._base_client:1319 - DEBUG] request_id: {id}\n"
        ));
        if status == 200 {
            truth.successes += 1;
        } else {
            truth.fail(&status.to_string(), ty);
            if status == 429 && rng.chance(500_000) {
                // The final attempt also raises: the traceback is the same failure.
                chunk.push_str(&format!(
                    "Traceback (most recent call last):\n  File \"/srv/app/summarize.py\", line 41, in <module>\n    reply = client.messages.create(\n  File \"/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py\", line 1195, in request\n    raise self._make_status_error_from_response(response) from None\nanthropic.RateLimitError: Error code: 429 - {{'type': 'error', 'error': {{'type': 'rate_limit_error', 'message': 'Rate limited'}}, 'request_id': '{id}'}}\n"
                ));
            } else {
                chunk.push_str(&format!("[{t} - anthropic._base_client:848 - DEBUG] Retrying due to status code {status}\n"));
            }
        }
        written += chunk.len() as u64;
        w.write_all(chunk.as_bytes())?;
    }
    w.flush()
}

/// A Python service whose worker threads call the API at once (2 processes x 4 threads, the
/// `[pid:threadName]` prefix of Python's logging formats): the lines of one attempt are not
/// adjacent, and a `request_id:` line may follow another thread's failed attempt. Each attempt
/// that got an error status is one failure.
fn service_log(dir: &Path, bytes: u64, rng: &mut Rng, truth: &mut Truth) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(dir.join("service.log"))?);
    let url = "https://api.anthropic.com/v1/messages";
    // Per producer: the lines of its current attempt still to write.
    let mut queues: Vec<std::collections::VecDeque<String>> = vec![Default::default(); 8];
    let mut written = 0u64;
    let mut n = 0u64;
    while written < bytes {
        let k = rng.below(8) as usize;
        let pid = if k < 4 { 41213 } else { 41377 };
        if queues[k].is_empty() {
            n += 1;
            let at = n;
            let prefix = |ms: u64, level: &str, logger: &str| {
                format!(
                    "2025-10-02 11:{:02}:{:02},{:03} [{pid}:ThreadPoolExecutor-0_{}] {level} {logger}: ",
                    (at / 600) % 60,
                    (at / 10) % 60,
                    ms % 1000,
                    k % 4
                )
            };
            let id = format!("req_011CW{:017}", n);
            let ms = rng.below(1000);
            let (status, reason, ty) = match rng.below(100) {
                0..=9 => (429, "Too Many Requests", "rate_limit_error"),
                10..=13 => (529, "", "overloaded_error"),
                14 => (500, "Internal Server Error", "api_error"),
                _ => (200, "OK", ""),
            };
            let q = &mut queues[k];
            let base = "anthropic._base_client";
            q.push_back(format!(
                "{}Sending HTTP Request: POST {url}",
                prefix(ms, "DEBUG", base)
            ));
            q.push_back(format!(
                "{}HTTP Request: POST {url} \"HTTP/1.1 {status} {reason}\"",
                prefix(ms + 400, "INFO", "httpx")
            ));
            q.push_back(format!(
                "{}HTTP Response: POST {url} \"{status} {reason}\" Headers({{'date': 'Thu, 02 Oct 2025 11:00:00 GMT', 'content-type': 'application/json', 'request-id': '{id}', 'server': 'cloudflare'}})",
                prefix(ms + 401, "DEBUG", base)
            ));
            q.push_back(format!(
                "{}request_id: {id}",
                prefix(ms + 401, "DEBUG", base)
            ));
            if status == 200 {
                truth.successes += 1;
            } else {
                truth.fail(&status.to_string(), ty);
                q.push_back(format!(
                    "{}Retrying due to status code {status}",
                    prefix(ms + 402, "DEBUG", base)
                ));
                q.push_back(format!(
                    "{}Retrying request to /v1/messages in 0.{:06} seconds",
                    prefix(ms + 402, "INFO", base),
                    rng.below(1_000_000)
                ));
            }
            if rng.chance(300_000) {
                q.push_back(format!(
                    "{}picked job {} from queue summaries",
                    prefix(ms + 403, "INFO", "app.jobs"),
                    n
                ));
            }
        }
        if let Some(line) = queues[k].pop_front() {
            written += line.len() as u64 + 1;
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
        }
    }
    // The attempts under way when the log ends are written out.
    for q in &mut queues {
        for line in q.drain(..) {
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()
}

fn har(dir: &Path, bytes: u64, rng: &mut Rng, truth: &mut Truth) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(dir.join("browser.har"))?);
    w.write_all(b"{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"WebInspector\",\"version\":\"537.36\"},\"entries\":[\n")?;
    let mut written = 0u64;
    let mut i = 0u64;
    let ok = "event: message_start\\ndata: {\\\"type\\\":\\\"message_start\\\",\\\"message\\\":{\\\"model\\\":\\\"claude-sonnet-4-5-20250929\\\"}}\\n\\nevent: content_block_delta\\ndata: {\\\"type\\\":\\\"content_block_delta\\\",\\\"index\\\":0,\\\"delta\\\":{\\\"type\\\":\\\"text_delta\\\",\\\"text\\\":\\\"Hello there, here is the summary you asked for.\\\"}}\\n\\nevent: message_delta\\ndata: {\\\"type\\\":\\\"message_delta\\\",\\\"delta\\\":{\\\"stop_reason\\\":\\\"end_turn\\\"}}\\n\\nevent: message_stop\\ndata: {\\\"type\\\":\\\"message_stop\\\"}\\n\\n";
    let overloaded = "event: message_start\\ndata: {\\\"type\\\":\\\"message_start\\\",\\\"message\\\":{\\\"model\\\":\\\"claude-sonnet-4-5-20250929\\\"}}\\n\\nevent: error\\ndata: {\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"details\\\":null,\\\"type\\\":\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"}}\\n\\n";
    while written < bytes {
        let failed = rng.chance(50_000);
        let text = if failed { overloaded } else { ok };
        if failed {
            truth.fail("529", "overloaded_error");
        } else {
            truth.successes += 1;
        }
        let entry = format!(
            "{}{{\"startedDateTime\":\"2025-10-02T12:00:{:02}.000Z\",\"time\":812.5,\"request\":{{\"method\":\"POST\",\"url\":\"https://api.anthropic.com/v1/messages\",\"httpVersion\":\"h2\",\"headers\":[{{\"name\":\"x-stainless-retry-count\",\"value\":\"0\"}}],\"postData\":{{\"mimeType\":\"application/json\",\"text\":\"{{\\\"model\\\":\\\"claude-sonnet-4-5\\\",\\\"stream\\\":true}}\"}}}},\"response\":{{\"status\":200,\"statusText\":\"\",\"httpVersion\":\"h2\",\"headers\":[{{\"name\":\"request-id\",\"value\":\"req_011CH{:017}\"}}],\"content\":{{\"size\":{},\"mimeType\":\"text/event-stream\",\"text\":\"{text}\"}}}},\"timings\":{{\"send\":0.2,\"wait\":800,\"receive\":12.3}}}}\n",
            if i == 0 { "" } else { "," },
            i % 60,
            i,
            text.len()
        );
        i += 1;
        written += entry.len() as u64;
        w.write_all(entry.as_bytes())?;
    }
    w.write_all(b"]}}\n")?;
    w.flush()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: gen_corpus DIR [MEGABYTES]");
        std::process::exit(2);
    };
    let mb: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let total = mb << 20;
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(0x5eed_c1a0_de00_0001);
    // Per file, then summed.
    let mut files: BTreeMap<&str, Truth> = BTreeMap::new();
    access_logs(
        dir,
        total / 2,
        false,
        &mut rng,
        files.entry("access.log").or_default(),
    )?;
    access_logs(
        dir,
        total / 10,
        true,
        &mut rng,
        files.entry("access.json.log").or_default(),
    )?;
    app_log(
        dir,
        total * 33 / 100,
        &mut rng,
        files.entry("app.log").or_default(),
    )?;
    service_log(
        dir,
        total * 5 / 100,
        &mut rng,
        files.entry("service.log").or_default(),
    )?;
    har(
        dir,
        total * 2 / 100,
        &mut rng,
        files.entry("browser.har").or_default(),
    )?;
    let mut truth = Truth::default();
    for t in files.values() {
        for (k, v) in &t.status {
            *truth.status.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &t.error_type {
            *truth.error_type.entry(k.clone()).or_default() += v;
        }
        truth.successes += t.successes;
    }
    let per_file: BTreeMap<&str, serde_json::Value> = files
        .iter()
        .map(|(name, t)| {
            let v = serde_json::json!({
                "failures": t.status.values().sum::<u64>(),
                "successes": t.successes,
                "status": t.status,
            });
            (*name, v)
        })
        .collect();
    let t = serde_json::json!({
        "failures": truth.status.values().sum::<u64>(),
        "successes": truth.successes,
        "status": truth.status,
        "error_type": truth.error_type,
        "files": per_file,
    });
    std::fs::write(
        dir.join("truth.json"),
        serde_json::to_string_pretty(&t)? + "\n",
    )?;
    eprintln!("wrote {mb} MB to {}", dir.display());
    Ok(())
}
