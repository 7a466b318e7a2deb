//! one-api, new-api and sub2api gateway logs with their [GIN] access lines (FORMATS.md).
//!
//! One client request through a gateway may make several upstream attempts: one-api and
//! new-api log each failed attempt as a `relay error` line (one-api's DEBUG level adds the
//! upstream body on the lines after `error happened, status code: n, response: `), then one
//! `[GIN]` access line when the client gets its answer. Lines of one request share the
//! gateway's request id, so they are joined here by that id, not by adjacency (requests
//! interleave): an attempt is held until the request's next line (the relay line of an attempt
//! whose DEBUG body came first joins it; `won't retry` names its status; the access line gives
//! a single attempt its latency and path). Each upstream attempt is one failure; a `[GIN]`
//! line adds a failure only when no relay line told about its request (the gateway failed it by
//! itself), and a success when the client got a 2xx on an API path. Records are pushed as
//! `Evidence::Whole`: the joining is done here.
//!
//! sub2api logs with plain Go `log` lines: `Account 12: upstream error 529, retry 1/3 after 2s`
//! is one failed attempt; the line written when retries are exhausted (`marked as error after
//! n retries`, `... (retry exhausted, failover)`) is the last attempt, and `switching account`
//! or an access line right after it repeats that attempt. Upstream statuses are the API's
//! answers (provider `anthropic`, or `bedrock` for `[Bedrock]` lines); the bodies sub2api
//! returns to its clients (`upstream_error`, `Upstream ...`, with sub2api's own status
//! mapping: 429, 503, else 502) and the one-api/new-api saturation message
//! (`当前分组上游负载已饱和`, 429 `gateway_error`) are the gateway's own answers (provider =
//! the gateway) and count as failures of their own. Request ids are the API's (`req_...`) from
//! the upstream bodies, never the gateway's ids. The `[GIN]` line alone does not say which
//! gateway wrote it: the other lines of the file do (one-api when nothing tells).

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::input::sink::{Claim, Position, Sink};
use crate::input::toolkit::api::{self, ErrorBody, JsonScanner};
use crate::input::toolkit::limits::{JOIN_DISTANCE, MAX_BYTES, MAX_LINES};
use crate::input::toolkit::regex;
use crate::input::toolkit::sdk_text::{self, one_line};
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

/// one-api / new-api's answer when every channel of a group is saturated.
const SATURATED: &str = "当前分组上游负载已饱和";
/// Requests waiting for their access line; past that many, they are emitted as they are.
const MAX_OPEN_REQUESTS: usize = 4096;

/// The strings a gateway line holds (index = the branch taken).
pub(crate) const MARKERS: [&str; 8] = [
    "[GIN] ",
    "] 20",
    "pstream error",
    "upstream_error",
    "Upstream ",
    SATURATED,
    // sub2api's account states (`Account 7 rate limited until 2025-...`).
    " until 20",
    "disabled due to",
];

/// A Gin access line's time and the columns after it
/// (`[GIN] 2025/10/02 - 16:20:11 | 200 | ...`), wherever `[GIN] ` is in the line; read by
/// position, as the regex in the test below matched (it was a third of a Gin log's time).
pub(crate) fn gin_parts(line: &str) -> Option<(&str, &str)> {
    memchr::memmem::find_iter(line.as_bytes(), b"[GIN] ").find_map(|at| {
        let from = at + 6;
        let b = line.as_bytes().get(from..)?;
        let shape = crate::time::slashed_shape(b) == Some(21) && b.get(21..23) == Some(b" |");
        shape.then(|| (&line[from..from + 21], &line[from + 23..]))
    })
}
static APP_LINE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\[(DEBUG|INFO|WARN|ERR|ERROR|FATAL|SYS)\] (\d{4}/\d\d/\d\d - \d\d:\d\d:\d\d)(?: \|)? (.*)$",
    )
});
static GO_SOURCE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[\w/.-]+\.go:\d+ (?:\[[^\]]*\] )?"));
/// One upstream attempt: `relay error (channel #7, status code: 529): ...` (one-api, older
/// new-api), `channel error (channel #7, status code: 529): ...` (new-api, which then tells the
/// client's answer once as `relay error: ...`).
static RELAY_ERROR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:relay|channel) error \(channel (?:#|id )(\d+)([^)]*)\): ?(.*)$"));
static STATUS_IN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:status code: |bad response status code |status code is |Status=)(\d{3})\b")
});
static ERROR_HAPPENED: LazyLock<Regex> =
    LazyLock::new(|| regex(r"error happened, status code: (\d{3}), response: ?(.*)$"));
static SUB2API: LazyLock<Regex> = LazyLock::new(|| {
    regex(concat!(
        r"(?i)account (?P<account>\d+)(?:\([^)]*\))?:? (?:",
        r"upstream error (?P<s1>\d{3}), retry (?P<k>\d+)/(?P<max>\d+) after (?P<wait>\S+)",
        r"|upstream error (?P<s2>\d{3}), switching account (?P<sk>\d+)/(?P<smax>\d+)",
        r"|marked as error after (?P<n1>\d+) retries for status (?P<s3>\d{3})",
        r"|upstream error (?P<s4>\d{3}) after (?P<n2>\d+) retries",
        r"|received upstream error (?P<s5>\d{3})",
        r")"
    ))
});
/// sub2api's words about an account right before the attempt line that names its status: the
/// failure's detail, and its line.
static ACCOUNT_STATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\baccount (\d+)(?:\([^)]*\))?:? ((?:rate limited|overloaded) until .*|disabled due to .*)$",
    )
});
static EXHAUSTED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"Upstream error \(retry exhausted[^)]*\): Account=(\d+)(?:\([^)]*\))? Status=(\d{3})(?: RequestID=(\S*))?(?: Body=(.*))?$",
    )
});

/// What is known of one gateway request until its access line.
#[derive(Debug, Default)]
struct Request {
    /// Failed upstream attempts told so far.
    attempts: u32,
    /// The last attempt, kept until the request's next line (which may add its status, or be
    /// the relay line of an attempt whose DEBUG body came first).
    held: Option<Record>,
    /// Whether `held` was told by a `relay error` line (else by a DEBUG body line).
    held_relay: bool,
}

/// The body that follows `error happened, status code: n, response: `.
struct BodyWait {
    request: Option<String>,
    record: Record,
    text: String,
    scanner: JsonScanner,
    lines: u64,
}

#[derive(Default)]
pub(crate) struct GatewayParser {
    /// Which gateway wrote this file, once a line told.
    flavor: Option<&'static str>,
    open: HashMap<String, Request>,
    body: Option<BodyWait>,
    /// The last failure told without a request id (sub2api, old relay lines): its line and
    /// status, so that the access line or `switching account` line of the same request is
    /// not a second failure.
    recent: Option<(u64, Option<u16>)>,
    /// sub2api: the last retry number per account.
    retries: HashMap<u64, u32>,
    /// sub2api: the account whose state a line just told, the line and the words.
    account_state: Option<(u64, u64, String)>,
}

/// Read an upstream body into a record; returns whether it was the Anthropic envelope.
fn apply_body(r: &mut Record, body: &str) -> bool {
    let text = body.trim();
    if text.is_empty() {
        return false;
    }
    let b: ErrorBody = if text.starts_with('{') || text.starts_with('[') {
        sdk_text::lenient_body(text)
    } else {
        api::error_body_text(text)
    };
    let anthropic = sdk_text::is_anthropic_envelope(text);
    if r.error_type.is_none() {
        r.error_type = b.error_type;
    }
    if r.provider_code.is_none() {
        r.provider_code = b.provider_code;
    }
    if r.request_id.is_none() {
        r.request_id = b.request_id.filter(|id| id.starts_with("req_"));
    }
    if let Some(m) = b.message {
        r.message = Some(one_line(&m));
    }
    if r.http_status.is_none() {
        r.http_status = b.status;
    }
    anthropic
}

/// The gateway's own saturation answer.
fn saturated(r: &mut Record, text: &str, flavor: &str) -> bool {
    if !text.contains(SATURATED) {
        return false;
    }
    r.http_status = Some(429);
    r.error_type = Some("gateway_error".into());
    r.provider = Some(flavor.into());
    r.message = Some(one_line(text));
    true
}

impl GatewayParser {
    fn flavor(&self) -> &'static str {
        self.flavor.unwrap_or("one_api")
    }

    fn record(&self, lineno: u64, stamp: Option<Stamp>) -> Record {
        let mut r = Record::new(SourceKind::Gateway, Outcome::Failure);
        r.line = Some(lineno);
        r.stamp = stamp;
        r.evidence = Evidence::Whole;
        r.endpoint = Some("/v1/messages".into());
        r
    }

    /// Push a failure told without a request id, remembering it for the lines that repeat it.
    fn push_unkeyed(&mut self, record: Record, sink: &mut Sink) {
        self.recent = Some((record.line.unwrap_or(0), record.http_status));
        sink.push(record);
    }

    /// Whether a failure with this status was just told without a request id.
    fn repeats_recent(&mut self, lineno: u64, status: Option<u16>) -> bool {
        match self.recent {
            Some((at, s))
                if lineno.saturating_sub(at) <= JOIN_DISTANCE
                    && (s == status
                        || s.is_none()
                        || status.is_none()
                        // A relay may pass a server error on as another server error.
                        || s.zip(status).is_some_and(|(a, b)| a >= 500 && b >= 500)) =>
            {
                self.recent = None;
                true
            }
            _ => false,
        }
    }

    /// The request a line belongs to; its held attempt is emitted (the line comes after it).
    fn request(&mut self, id: &str, sink: &mut Sink) -> &mut Request {
        if self.open.len() >= MAX_OPEN_REQUESTS && !self.open.contains_key(id) {
            self.flush_open(sink);
        }
        self.open.entry(id.to_string()).or_default()
    }

    /// A failed attempt of a request: held until the request's next line.
    fn attempt(&mut self, request: Option<&str>, mut record: Record, relay: bool, sink: &mut Sink) {
        let Some(id) = request.filter(|id| !id.is_empty() && *id != "SYSTEM") else {
            self.push_unkeyed(record, sink);
            return;
        };
        let req = self.request(id, sink);
        if relay && !req.held_relay {
            if let Some(held) = &mut req.held {
                let agree = match (held.http_status, record.http_status) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                if agree {
                    // The relay line of the attempt whose DEBUG body came first.
                    held.absorb(record);
                    req.held_relay = true;
                    return;
                }
            }
        }
        if let Some(prev) = req.held.take() {
            sink.push(prev);
        }
        req.attempts += 1;
        record.attempt = Some(req.attempts);
        req.held = Some(record);
        req.held_relay = relay;
    }

    fn flush_open(&mut self, sink: &mut Sink) {
        let mut all: Vec<Record> = self.open.drain().filter_map(|(_, r)| r.held).collect();
        all.sort_by_key(|r| r.line);
        for r in all {
            sink.push(r);
        }
    }

    /// `[GIN] 2025/02/21 - 19:30:16 | request-id | 429 |    1.934521s |     203.0.113.7 |    POST /v1/messages`
    fn gin(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let Some((time, columns)) = gin_parts(line) else {
            return Claim::NotMine;
        };
        let stamp = crate::time::slashed(time);
        let fields: Vec<&str> = columns.split('|').map(str::trim).collect();
        let Some(si) = fields
            .iter()
            .position(|f| f.len() == 3 && f.bytes().all(|b| b.is_ascii_digit()))
        else {
            return Claim::Bad("gin: no status column");
        };
        let Ok(status) = fields[si].parse::<u16>() else {
            return Claim::Bad("gin: status is not a number");
        };
        let request = if si > 0 {
            Some(fields[0]).filter(|f| !f.is_empty())
        } else {
            None
        };
        let latency = fields.get(si + 1).and_then(|f| api::duration_ms(f));
        let target = fields.last().copied().unwrap_or("");
        let mut parts = target.split_whitespace();
        let _method = parts.next();
        let path = parts.next().unwrap_or("").trim_matches('"');
        let endpoint = api::endpoint_of(path, &sink.opts.api_paths);
        let told = request.and_then(|id| self.open.remove(id));
        let attempts = told.as_ref().map_or(0, |r| r.attempts);
        if let Some(mut held) = told.and_then(|r| r.held) {
            // With one attempt, the request's time is that attempt's.
            if attempts == 1 && status >= 400 {
                held.latency_ms = held.latency_ms.or(latency);
                // A refusal of the gateway's own names no status: the client got this one.
                held.http_status = held.http_status.or(Some(status));
            }
            if let Some(e) = &endpoint {
                held.endpoint = Some(e.clone());
            }
            sink.push(held);
        }
        let Some(endpoint) = endpoint else {
            return if attempts > 0 {
                Claim::Relevant
            } else {
                Claim::Noise
            };
        };
        let failed = status >= 400;
        if failed
            && (attempts > 0 || (request.is_none() && self.repeats_recent(lineno, Some(status))))
        {
            // The client's answer is its last upstream attempt's failure, already told.
            return Claim::Relevant;
        }
        let mut r = Record::new(SourceKind::Gateway, Outcome::of(failed));
        r.line = Some(lineno);
        r.stamp = stamp;
        r.evidence = Evidence::Whole;
        r.http_status = Some(status);
        r.latency_ms = latency;
        r.provider = Some(self.flavor().into());
        r.model = api::model_of_path(&endpoint);
        r.endpoint = Some(endpoint);
        sink.push(r);
        Claim::Relevant
    }

    /// one-api / new-api application lines.
    fn app_line(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let Some(c) = APP_LINE.captures(line) else {
            return Claim::NotMine;
        };
        let level = &c[1];
        let stamp = crate::time::slashed(&c[2]);
        let rest = c.get(3).map_or("", |m| m.as_str());
        // `reqid | message` (new-api, one-api) or just the message.
        let (request, msg) = match rest.split_once(" | ") {
            Some((id, msg)) if !id.contains(' ') => (Some(id.trim()), msg),
            _ => (None, rest.trim_start_matches("| ")),
        };
        let msg = msg.trim();
        let msg = match GO_SOURCE.find(msg) {
            Some(m) => {
                self.flavor.get_or_insert("one_api");
                &msg[m.end()..]
            }
            None => msg,
        };
        if level == "ERR" {
            self.flavor.get_or_insert("new_api");
        }
        if let Some(rc) = RELAY_ERROR.captures(msg) {
            let head = rc.get(2).map_or("", |m| m.as_str());
            if msg.contains("relay error (channel #") || msg.contains("channel error (channel #") {
                self.flavor.get_or_insert("new_api");
            }
            let text = rc.get(3).map_or("", |m| m.as_str());
            let mut r = self.record(lineno, stamp);
            r.http_status = STATUS_IN
                .captures(head)
                .or_else(|| STATUS_IN.captures(text))
                .and_then(|s| s[1].parse().ok());
            let flavor = self.flavor();
            if !saturated(&mut r, text, flavor) {
                let body = text.find("body: ").map(|i| &text[i + "body: ".len()..]);
                let anthropic = match body {
                    Some(b) => apply_body(&mut r, b),
                    None => {
                        r.message = Some(one_line(text));
                        false
                    }
                };
                if r.message.is_none() {
                    r.message = Some(one_line(text));
                }
                r.provider = Some(if anthropic { "anthropic" } else { flavor }.into());
            }
            self.attempt(request, r, true, sink);
            return Claim::Relevant;
        }
        if let Some(ec) = ERROR_HAPPENED.captures(msg) {
            let mut r = self.record(lineno, stamp);
            r.http_status = ec[1].parse().ok();
            r.provider = Some(self.flavor().into());
            let first = ec.get(2).map_or("", |m| m.as_str());
            let mut scanner = JsonScanner::default();
            let closed = !first.is_empty()
                && (scanner.feed(first).is_some() || !first.trim_start().starts_with(['{', '[']));
            if closed {
                if apply_body(&mut r, first) {
                    r.provider = Some("anthropic".into());
                }
                self.attempt(request, r, false, sink);
            } else {
                self.body = Some(BodyWait {
                    request: request.map(str::to_string),
                    record: r,
                    text: first.to_string(),
                    scanner,
                    lines: 1,
                });
            }
            return Claim::Relevant;
        }
        if let Some(text) = msg.strip_prefix("relay error: ") {
            return self.client_answer(request, text, lineno, stamp, sink);
        }
        if msg.contains(SATURATED) {
            let mut r = self.record(lineno, stamp);
            let flavor = self.flavor();
            saturated(&mut r, msg, flavor);
            self.attempt(request, r, true, sink);
            return Claim::Relevant;
        }
        let retry = msg.contains("to retry (remain times");
        let about_upstream = retry || msg.contains("won't retry");
        if let Some(id) = request.filter(|_| about_upstream) {
            // `relay error happen, status code is 400, won't retry in this case` names the
            // status of the attempt before; `using channel #5 to retry (remain times 2)` says
            // it is complete.
            let status = STATUS_IN
                .captures(msg)
                .and_then(|s| s[1].parse::<u16>().ok());
            if let Some(req) = self.open.get_mut(id) {
                if let Some(held) = &mut req.held {
                    if held.http_status.is_none() {
                        held.http_status = status;
                    }
                }
                if retry {
                    if let Some(held) = req.held.take() {
                        sink.push(held);
                    }
                }
            }
            return Claim::Relevant;
        }
        if about_upstream {
            return Claim::Relevant;
        }
        Claim::Noise
    }

    /// new-api's `relay error: ...`: the answer its client got. After the request's channel
    /// errors it repeats the last one; alone, the gateway refused by itself (its own quota,
    /// `用户额度不足`), and the request's access line gives the status.
    fn client_answer(
        &mut self,
        request: Option<&str>,
        text: &str,
        lineno: u64,
        stamp: Option<Stamp>,
        sink: &mut Sink,
    ) -> Claim {
        let told = request
            .and_then(|id| self.open.get(id))
            .is_some_and(|r| r.attempts > 0);
        if told {
            return Claim::Relevant;
        }
        let mut r = self.record(lineno, stamp);
        r.http_status = STATUS_IN.captures(text).and_then(|s| s[1].parse().ok());
        let flavor = self.flavor();
        if !saturated(&mut r, text, flavor) {
            let relayed = match text.find("body: ") {
                Some(i) => apply_body(&mut r, &text[i + "body: ".len()..]),
                None => false,
            };
            if r.message.is_none() {
                r.message = Some(one_line(text));
            }
            if r.http_status.is_none() && r.error_type.is_none() {
                r.error_type = Some("gateway_error".into());
            }
            r.provider = Some(if relayed { "anthropic" } else { flavor }.into());
        }
        self.attempt(request, r, true, sink);
        Claim::Relevant
    }

    /// sub2api's Go `log` lines about upstream attempts.
    fn sub2api(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let stamp = api::leading_stamp(line);
        if let Some(c) = EXHAUSTED.captures(line) {
            self.flavor.get_or_insert("sub2api");
            let mut r = self.record(lineno, stamp);
            r.http_status = c[2].parse().ok();
            r.provider = Some(
                if line.contains("[Bedrock]") {
                    "bedrock"
                } else {
                    "anthropic"
                }
                .into(),
            );
            let account: u64 = c[1].parse().unwrap_or(0);
            r.attempt = self.retries.remove(&account).and_then(|k| k.checked_add(1));
            if let Some(b) = c.get(4) {
                apply_body(&mut r, b.as_str());
            }
            r.request_id = r.request_id.take().or_else(|| {
                c.get(3)
                    .map(|m| m.as_str().to_string())
                    .filter(|id| id.starts_with("req_"))
            });
            self.push_unkeyed(r, sink);
            return Claim::Relevant;
        }
        let Some(c) = SUB2API.captures(line) else {
            if let Some(c) = ACCOUNT_STATE.captures(line) {
                if let Ok(account) = c[1].parse() {
                    self.account_state = Some((account, lineno, c[2].to_string()));
                    return Claim::Relevant;
                }
            }
            return Claim::NotMine;
        };
        self.flavor.get_or_insert("sub2api");
        let account: u64 = c["account"].parse().unwrap_or(0);
        // The account's state told on the line before: the failure starts there.
        let told = self
            .account_state
            .take()
            .filter(|(a, at, _)| *a == account && lineno.saturating_sub(*at) <= 2);
        let status = ["s1", "s2", "s3", "s4", "s5"]
            .iter()
            .find_map(|n| c.name(n))
            .and_then(|m| m.as_str().parse::<u16>().ok());
        let mut r = self.record(lineno, stamp);
        if let Some((_, at, words)) = told {
            r.line = Some(at);
            r.message = Some(words);
        }
        r.http_status = status;
        r.provider = Some(
            if line.contains("[Bedrock]") {
                "bedrock"
            } else {
                "anthropic"
            }
            .into(),
        );
        if let Some(k) = c.name("k") {
            // One failed attempt, retried.
            let k: u32 = k.as_str().parse().unwrap_or(1);
            self.retries.insert(account, k);
            r.attempt = Some(k);
            sink.push(r);
            return Claim::Relevant;
        }
        if (c.name("sk").is_some() || c.name("s5").is_some()) && self.repeats_recent(lineno, status)
        {
            // `switching account` / `received upstream error` after the attempt just told.
            self.recent = Some((lineno, status));
            return Claim::Relevant;
        }
        // Retries exhausted (or a failover without retries): the last attempt.
        r.attempt = self.retries.remove(&account).and_then(|k| k.checked_add(1));
        self.push_unkeyed(r, sink);
        Claim::Relevant
    }

    /// A body sub2api returns to its clients, or the saturation message, inside a log line.
    fn client_body(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let Some(start) = line.find('{') else {
            return Claim::NotMine;
        };
        let Some(json) = api::leading_json(&line[start..]) else {
            return Claim::NotMine;
        };
        let Ok(v) = serde_json::from_str::<Value>(json) else {
            return Claim::NotMine;
        };
        let mut r = self.record(lineno, api::leading_stamp(line));
        if !gateway_body(&v, &mut r, self.flavor()) {
            return Claim::NotMine;
        }
        sink.push(r);
        Claim::Relevant
    }

    fn continue_body(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let w = self.body.as_mut()?;
        let t = line.trim();
        let next_entry = t.starts_with("[GIN] ")
            || APP_LINE.is_match(line) && line.trim_start().starts_with('[');
        if !next_entry && w.lines < MAX_LINES && w.text.len() < MAX_BYTES {
            w.text.push('\n');
            w.text.push_str(line);
            w.lines += 1;
            let done = w.scanner.feed(line).is_some() || (!w.scanner.is_open() && !t.is_empty());
            if done {
                self.finish_body(sink);
            }
            return Some(Claim::Relevant);
        }
        self.finish_body(sink);
        None
    }

    fn finish_body(&mut self, sink: &mut Sink) {
        let Some(mut w) = self.body.take() else {
            return;
        };
        if apply_body(&mut w.record, &w.text) {
            w.record.provider = Some("anthropic".into());
        }
        self.attempt(w.request.as_deref(), w.record, false, sink);
    }
}

impl GatewayParser {
    pub(crate) fn feed(
        &mut self,
        raw: &str,
        lineno: u64,
        sink: &mut Sink,
        marker: Option<usize>,
    ) -> Claim {
        if self.body.is_some() {
            if let Some(claim) = self.continue_body(raw, sink) {
                return claim;
            }
        }
        let Some(first) = marker else {
            return Claim::NotMine;
        };
        let line = api::strip_ansi(raw);
        let line = line.as_ref();
        match first {
            0 => self.gin(line, lineno, sink),
            1 => match self.app_line(line, lineno, sink) {
                Claim::NotMine if line.contains("pstream error") => {
                    self.sub2api(line, lineno, sink)
                }
                claim => claim,
            },
            _ if line.contains("pstream error") || ACCOUNT_STATE.is_match(line) => {
                match self.sub2api(line, lineno, sink) {
                    Claim::NotMine => self.client_body(line, lineno, sink),
                    claim => claim,
                }
            }
            _ => self.client_body(line, lineno, sink),
        }
    }

    pub(crate) fn busy(&self) -> bool {
        self.body.is_some()
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        self.finish_body(sink);
        self.flush_open(sink);
    }
}

/// A body a gateway answered its client with: sub2api's Anthropic-shaped bodies with its own
/// messages, one-api / new-api OpenAI-shaped bodies (`bad_response_status_code`, the
/// saturation message). Fills the record; false when the value is none of them.
fn gateway_body(v: &Value, r: &mut Record, flavor: &str) -> bool {
    let Some(err) = v.get("error").filter(|e| e.is_object()) else {
        return false;
    };
    let str_of = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("");
    let message = str_of("message");
    let kind = str_of("type");
    if saturated(
        r,
        message,
        if flavor == "sub2api" {
            "one_api"
        } else {
            flavor
        },
    ) {
        return true;
    }
    let envelope = v.get("type").and_then(Value::as_str) == Some("error");
    if envelope
        && (kind == "upstream_error"
            || message.starts_with("Upstream ")
            || message.starts_with("No available accounts")
            || message.starts_with("Too many pending requests"))
    {
        // sub2api maps the upstream status to its own (403 -> 502, 529 -> 503, ...).
        let m = message.to_ascii_lowercase();
        r.http_status = Some(
            if m.contains("rate limit") || m.starts_with("too many pending") {
                429
            } else if m.contains("overloaded") || m.starts_with("no available accounts") {
                503
            } else {
                502
            },
        );
        r.error_type = Some(kind.to_string()).filter(|k| !k.is_empty());
        r.message = Some(one_line(message));
        r.provider = Some("sub2api".into());
        return true;
    }
    if str_of("code") == "bad_response_status_code" {
        static STATUS: LazyLock<Regex> = LazyLock::new(|| regex(r"status code (\d{3})"));
        r.http_status = STATUS
            .captures(message)
            .and_then(|c| c[1].parse().ok())
            .or_else(|| str_of("param").parse().ok());
        r.provider_code = Some("bad_response_status_code".into());
        r.message = Some(one_line(message));
        r.provider = Some(
            if flavor == "sub2api" {
                "one_api"
            } else {
                flavor
            }
            .into(),
        );
        return r.http_status.is_some();
    }
    false
}

/// A JSON line that is a gateway's answer to its client.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let mut r = Record::new(SourceKind::Gateway, Outcome::Failure);
    if !gateway_body(v, &mut r, "one_api") {
        return Claim::NotMine;
    }
    at.place(&mut r);
    r.evidence = Evidence::Whole;
    r.endpoint = Some("/v1/messages".into());
    sink.push(r);
    Claim::Relevant
}
