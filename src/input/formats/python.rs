//! Python anthropic SDK (FORMATS.md): `ANTHROPIC_LOG` lines of `anthropic._base_client`
//! and `httpx`, tracebacks, and exception strings logged by applications in their own format.
//!
//! The SDK text is matched anywhere in a line, so the same messages are found under any logging
//! prefix (`[%Y-%m-%d %H:%M:%S - logger:lineno - LEVEL]`, `2025-10-02 16:20:11,123 ERROR
//! [worker-3] ...`, container runtime prefixes).
//!
//! One attempt is told by several lines; each line kind is one [`Evidence`] kind so the sink
//! joins them: the httpx `HTTP Request:` line is `Transport` (one per attempt), the debug
//! `HTTP Response: ... Headers(...)` line `ResponseDump`, `request_id: req_...` `RequestId`, a
//! traceback `Exception`, an exception string inside an application's log message `Summary`.
//! Transport failures without a response (`Encountered httpx.TimeoutException` + the SDK's
//! own traceback) are held here until the retry notice or the final exception tells how the
//! attempt ended, because their tracebacks are often longer than the sink's join distance.
//!
//! Tracebacks are collected here for every library (Python prints them all alike) and the
//! exception that ends the chain is read by the module that knows it: anthropic here,
//! botocore and google.api_core in `clouds`, LiteLLM in `litellm`. A traceback that ends in
//! none of these is noise.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde_json::Value;

use crate::input::sink::{Claim, LineParser, MarkerGroup, Position, Sink};
use crate::input::toolkit::api::plain_text;
use crate::input::toolkit::api::{
    endpoint_of, is_kept_header, model_of_path, other_vendor_url, path_of, provider_of_url,
    stamp_near_start, strip_ansi,
};
use crate::input::toolkit::limits::{JOIN_DISTANCE, MAX_LINES};
use crate::input::toolkit::traceback::{
    anthropic_exception, client_side_failure, http_record, is_timeout_class, new_record, open_html,
    page_status, root_cause, traceback_record, Context, TbStep, Traceback,
};
use crate::input::toolkit::{finder, has, pyrepr};
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

/// Lines a held transport failure waits for its traceback or final exception.
const PENDING_SPAN: u64 = 30;

impl PythonParser {
    /// A parser whose marker words are group `markers` of the marker pass.
    pub(crate) fn new(markers: MarkerGroup) -> PythonParser {
        PythonParser {
            markers,
            ..PythonParser::default()
        }
    }
}

/// Cheap test for "might be mine": one pass over the line.
/// Words that a line of this format holds (one of); also part of the shared per-line pass
/// (`Sink::marks`).
pub(crate) const MARKERS: [&str; 25] = [
    "Traceback (most recent call last):",
    "HTTP Request: ",
    "HTTP Response: ",
    "Sending HTTP Request",
    "Request options: ",
    "request_id: ",
    "Retrying request to ",
    "retries left",
    "retry left",
    "Retrying as header",
    "Retrying due to status",
    "Not retrying",
    "Encountered ",
    "Raising timeout error",
    "Raising connection error",
    "Re-raising status error",
    "anthropic.",
    "Error code: ",
    "Error(",
    "Connection error.",
    "Request timed out",
    "Streaming is ",
    "RemoteProtocolError",
    "'anthropic",
    "Could not resolve authentication method",
];

static MARKER_SEARCH: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(MARKERS).expect("static automaton"));

/// `HTTP Request: POST https://... "HTTP/1.1 529 <reason>"` (httpx's INFO line).
pub(crate) struct HttpxLine<'l> {
    pub(crate) url: &'l str,
    pub(crate) status: u16,
}

/// `HTTP Response: POST https://... "529 <reason>" Headers({...})` (SDK debug line).
pub(crate) struct ResponseLine<'l> {
    pub(crate) url: &'l str,
    pub(crate) status: u16,
    pub(crate) headers: Option<&'l str>,
}

// The SDK and httpx lines are read by hand, not with regex captures: they are most of what
// an application log with ANTHROPIC_LOG=debug holds, and captures cost several times more
// than the whole rest of the line's handling. Each reader answers what the regex in its
// comment would, on the first occurrence of the marker where it matches.

/// `(?P<method>[A-Z]+) (?P<url>\S+)` at the start of `s`: the URL and what follows it.
fn method_url(s: &str) -> Option<(&str, &str)> {
    let method = s.bytes().take_while(u8::is_ascii_uppercase).count();
    if method == 0 || s.as_bytes().get(method) != Some(&b' ') {
        return None;
    }
    let rest = &s[method + 1..];
    let url_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    (url_len > 0).then(|| rest.split_at(url_len))
}

/// `(?P<status>\d{3})(?: [^"]*)?"` at the start of `s`: the status and what follows the quote.
fn status_quoted(s: &str) -> Option<(u16, &str)> {
    let b = s.as_bytes();
    if b.len() < 4 || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let status = s[..3].parse().ok()?;
    match b[3] {
        b'"' => Some((status, &s[4..])),
        b' ' => {
            let q = s[4..].find('"')?;
            Some((status, &s[4 + q + 1..]))
        }
        _ => None,
    }
}

/// `HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+) "HTTP/[\d.]+ (?P<status>\d{3})(?: [^"]*)?"`
pub(crate) fn httpx_line(line: &str) -> Option<HttpxLine<'_>> {
    const MARK: &str = "HTTP Request: ";
    finder!(MARK).find_iter(line.as_bytes()).find_map(|at| {
        let (url, rest) = method_url(&line[at + MARK.len()..])?;
        let rest = rest.strip_prefix(" \"HTTP/")?;
        let version = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if version == 0 {
            return None;
        }
        let (status, _) = status_quoted(rest[version..].strip_prefix(' ')?)?;
        Some(HttpxLine { url, status })
    })
}

/// `HTTP Response: (?P<method>[A-Z]+) (?P<url>\S+) "(?P<status>\d{3})(?: [^"]*)?"(?: (?P<headers>Headers\(.*))?`
pub(crate) fn response_line(line: &str) -> Option<ResponseLine<'_>> {
    const MARK: &str = "HTTP Response: ";
    finder!(MARK).find_iter(line.as_bytes()).find_map(|at| {
        let (url, rest) = method_url(&line[at + MARK.len()..])?;
        let (status, rest) = status_quoted(rest.strip_prefix(" \"")?)?;
        let headers = rest.strip_prefix(' ').filter(|h| h.starts_with("Headers("));
        Some(ResponseLine {
            url,
            status,
            headers,
        })
    })
}

/// `Sending HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+)`: the URL.
pub(crate) fn sending_line(line: &str) -> Option<&str> {
    const MARK: &str = "Sending HTTP Request: ";
    finder!(MARK)
        .find_iter(line.as_bytes())
        .find_map(|at| method_url(&line[at + MARK.len()..]).map(|(url, _)| url))
}

/// `(?:^|[\s\]:-])request_id: (?P<id>\S+)\s*$`: the id.
pub(crate) fn request_id_line(line: &str) -> Option<&str> {
    const MARK: &str = "request_id: ";
    finder!(MARK).find_iter(line.as_bytes()).find_map(|at| {
        let before_ok = line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ']' | ':' | '-'));
        let id = line[at + MARK.len()..].trim_end();
        (before_ok && !id.is_empty() && !id.contains(char::is_whitespace)).then_some(id)
    })
}

static RETRYING_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Retrying request to (?P<path>\S+) in (?P<secs>[\d.]+) seconds")
        .expect("static regex")
});
static RETRIES_LEFT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s\]])\d+ retr(?:y|ies) left\s*$").expect("static regex"));
/// A failed attempt without a response, held until its end is known.
#[derive(Debug)]
struct Pending {
    record: Record,
    touched: u64,
}

/// The attempts of one call: the SDK announces each retry before it happens.
#[derive(Debug, Default)]
struct RetryChain {
    attempts: u32,
    retry_announced: bool,
    model: Option<String>,
    /// From the last `Request options:`, for the next attempt.
    requested_model: Option<String>,
    /// From the last `Sending HTTP Request:`.
    endpoint: Option<String>,
    provider: Option<&'static str>,
}

#[derive(Debug, Default)]
pub(crate) struct PythonParser {
    /// This format's group in the per-line marker pass (given by the dispatcher).
    markers: MarkerGroup,
    traceback: Option<Traceback>,
    chain: RetryChain,
    pending: Option<Pending>,
    /// The SDK's own logger was seen, so retries are visible and attempts can be counted.
    sdk_logger: bool,
    /// httpx's `HTTP Request:` lines are logged in this file: an attempt that got a response
    /// shows one, so a retry after none had no response.
    httpx_seen: bool,
    /// Per producer (thread, process), the failure a retry notice already stood for: the next
    /// notice is another attempt's.
    retried: Vec<(u64, usize)>,
    /// Anything Anthropic was seen in this file.
    seen_anthropic: bool,
    /// The line of the last transport line, and whether it was a Claude call.
    last_transport: Option<(u64, bool)>,
    /// `Encountered ...` announced the SDK's own traceback of a failed attempt.
    expect_internal: Option<u64>,
    /// The start of the previous line, whose stamp a traceback after it takes (its own
    /// lines have none). Copied, not parsed: parsing a stamp per line would cost more than
    /// everything else this parser does with a line it does not claim.
    prev_head: PrevHead,
    /// An exception string whose HTML body goes on in the next lines.
    html: Option<HtmlBody>,
}

#[derive(Debug, Default)]
struct PrevHead {
    lineno: u64,
    /// Reused: no allocation per line once it has grown.
    bytes: Vec<u8>,
    /// The end of the same line: the message that `logger.exception()` prints before its
    /// traceback.
    tail: Vec<u8>,
}

const PREV_HEAD: usize = 72;
const PREV_TAIL: usize = 240;

impl PrevHead {
    /// Whether the dated line right before `lineno` ends with the message of one of
    /// `exceptions` (`ERROR request failed: Connection error.` before a traceback ending in
    /// `anthropic.APIConnectionError: Connection error.`): the failure's text starts there.
    fn tells_before(&self, lineno: u64, exceptions: &[String]) -> bool {
        if self.lineno + 1 != lineno || self.tail.is_empty() {
            return false;
        }
        let tail = String::from_utf8_lossy(&self.tail);
        exceptions.iter().any(|e| {
            let message = e.split_once(": ").map_or("", |(_, m)| m).trim();
            message.len() >= 8 && tail.contains(message)
        })
    }

    fn stamp_before(&self, lineno: u64) -> Option<Stamp> {
        if self.lineno + 1 != lineno || self.bytes.is_empty() {
            return None;
        }
        let head = &self.bytes[..];
        let text = match std::str::from_utf8(head) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
        };
        stamp_near_start(text)
    }
}

#[derive(Debug)]
struct HtmlBody {
    record: Record,
    text: String,
    lines: u64,
}

impl LineParser for PythonParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let clean = strip_ansi(line);
        let line = clean.as_ref();
        if let Some(tb) = self.traceback.as_mut() {
            match tb.feed(line) {
                TbStep::Took(true) => return Claim::Relevant,
                TbStep::Took(false) => return Claim::Noise,
                TbStep::Ended => self.end_traceback(sink),
            }
        }
        if self.html.is_some() {
            if let Some(claim) = self.html_line(line, sink) {
                return claim;
            }
        }
        if let Some(p) = &self.pending {
            if lineno > p.touched + PENDING_SPAN {
                self.flush_pending(sink);
            }
        }
        if !sink.marks(line).has(self.markers) {
            self.note_stamp(line, lineno);
            return Claim::NotMine;
        }
        sink.follow_producer(line);
        let claim = self.line(line, lineno, sink);
        self.note_stamp(line, lineno);
        claim
    }

    fn busy(&self) -> bool {
        self.traceback.is_some() || self.html.is_some()
    }

    fn finish(&mut self, sink: &mut Sink) {
        if self.traceback.is_some() {
            self.end_traceback(sink);
        }
        self.end_html(sink);
        self.flush_pending(sink);
    }
}

impl PythonParser {
    fn note_stamp(&mut self, line: &str, lineno: u64) {
        // Only lines that start like a dated log record; cheap byte test first.
        let b = line.as_bytes();
        let dated = |i: usize| {
            b.len() > i + 10 && b[i].is_ascii_digit() && b[i + 4] == b'-' && b[i + 7] == b'-'
        };
        if dated(0) || dated(1) {
            self.prev_head.bytes.clear();
            self.prev_head
                .bytes
                .extend_from_slice(&b[..b.len().min(PREV_HEAD)]);
            self.prev_head.tail.clear();
            self.prev_head
                .tail
                .extend_from_slice(&b[b.len().saturating_sub(PREV_TAIL)..]);
            self.prev_head.lineno = lineno;
        }
    }

    fn line(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        if let Some(at) = finder!("Traceback (most recent call last):").find(line.as_bytes()) {
            let stamp = self.prev_head.stamp_before(lineno);
            let mut tb = Traceback::new(line, at, lineno, stamp);
            if self.expect_internal.is_some_and(|l| lineno <= l + 2) {
                tb.internal = true;
            }
            self.expect_internal = None;
            self.traceback = Some(tb);
            return Claim::Relevant;
        }
        if let Some(h) = httpx_line(line) {
            return self.transport(line, h.url, h.status, lineno, sink);
        }
        if let Some(r) = response_line(line) {
            return self.response(line, r.url, r.status, r.headers, lineno, sink);
        }
        let logger = logger_of(line);
        if let Some(url) = sending_line(line) {
            let Some(endpoint) = sdk_endpoint(url, &sink.opts.api_paths) else {
                return Claim::Noise;
            };
            self.flush_pending(sink);
            self.sdk_logger = true;
            self.seen_anthropic = true;
            self.chain.endpoint = Some(endpoint);
            self.chain.provider = Some(provider_of_url(url));
            return Claim::Relevant;
        }
        if let Some(i) = finder!("Request options: ").find(line.as_bytes()) {
            return self.request_options(&line[i + "Request options: ".len()..], logger, sink);
        }
        if let Some(id) = request_id_line(line) {
            if !self.ours(logger, lineno) {
                return Claim::Noise;
            }
            if id != "None" {
                let mut r = new_record(Outcome::Failure, Evidence::RequestId);
                r.line = Some(lineno);
                r.request_id = Some(id.to_string());
                sink.push(r);
            }
            return Claim::Relevant;
        }
        if let Some(c) = RETRYING_LINE.captures(line) {
            if logger == Logger::Foreign {
                return Claim::Noise;
            }
            let Some(endpoint) = endpoint_of(&c["path"], &sink.opts.api_paths) else {
                return Claim::Noise;
            };
            if self.pending.is_none() && !self.retry_explained(sink, lineno) {
                self.unanswered_attempt(line, lineno, endpoint, sink);
            }
            self.retry_announced(sink);
            return Claim::Relevant;
        }
        if RETRIES_LEFT.is_match(line) {
            if !self.ours(logger, lineno) {
                return Claim::Noise;
            }
            self.retry_announced(sink);
            return Claim::Relevant;
        }
        if let Some(claim) = self.notice(line, logger, lineno, sink) {
            return claim;
        }
        self.exception_string(line, lineno, sink)
    }

    /// Whether an SDK line without a URL belongs to the anthropic client: its logger says,
    /// else the transport line just before it.
    fn ours(&self, logger: Logger, lineno: u64) -> bool {
        match logger {
            Logger::Anthropic => true,
            Logger::Foreign => false,
            Logger::Unknown => match self.last_transport {
                Some((at, ours)) if lineno.saturating_sub(at) <= 40 => ours,
                _ => self.seen_anthropic,
            },
        }
    }

    /// Whether the attempt a retry notice is about already has its failure (the current
    /// producer's last record, near, and not yet the reason of an earlier notice); if so it is
    /// now taken as this notice's.
    fn retry_explained(&mut self, sink: &Sink, lineno: u64) -> bool {
        let producer = sink.producer_key();
        let span = if producer == 0 {
            JOIN_DISTANCE
        } else {
            MAX_LINES
        };
        let Some((i, at)) = sink.last_failure() else {
            return false;
        };
        if lineno.saturating_sub(at) > span || self.retried.contains(&(producer, i)) {
            return false;
        }
        self.note_retried(producer, i);
        true
    }

    fn note_retried(&mut self, producer: u64, failure: usize) {
        if let Some(k) = self.retried.iter().position(|(p, _)| *p == producer) {
            self.retried.remove(k);
        }
        if self.retried.len() >= 64 {
            self.retried.remove(0);
        }
        self.retried.push((producer, failure));
    }

    /// A retry notice with no failure before it, in a file where httpx logs every response:
    /// the attempt it retries got no response (a connection error; the SDK does not log why
    /// at INFO).
    fn unanswered_attempt(&mut self, line: &str, lineno: u64, endpoint: String, sink: &mut Sink) {
        if !self.httpx_seen {
            return;
        }
        let (attempt, model) = self.next_attempt(true);
        let mut r = new_record(Outcome::Failure, Evidence::Notice);
        r.line = Some(lineno);
        r.stamp = stamp_near_start(line);
        r.error_type = Some("connection_error".into());
        r.message = Some("no response before the SDK retried the request".into());
        r.provider = Some(provider_of_url(&endpoint).to_string());
        r.endpoint = Some(endpoint);
        r.model = model;
        r.attempt = attempt;
        sink.close_last_failure();
        sink.push(r);
        if let Some((i, _)) = sink.last_failure() {
            let producer = sink.producer_key();
            self.note_retried(producer, i);
        }
    }

    fn retry_announced(&mut self, sink: &mut Sink) {
        self.flush_pending(sink);
        self.chain.retry_announced = true;
        self.sdk_logger = true;
        self.seen_anthropic = true;
    }

    /// The attempt number of an attempt that just ended, and its model. `Request options`
    /// names the model before an attempt; retries resend the same body, so it holds for the
    /// whole chain (newer SDKs log the options once per call, older ones per attempt).
    fn next_attempt(&mut self, knows_retries: bool) -> (Option<u32>, Option<String>) {
        let n = if self.chain.retry_announced {
            self.chain.attempts + 1
        } else {
            1
        };
        self.chain.attempts = n;
        self.chain.retry_announced = false;
        if n == 1 {
            self.chain.model = self.chain.requested_model.take();
        } else if let Some(m) = self.chain.requested_model.take() {
            self.chain.model = Some(m);
        }
        let known = knows_retries || self.sdk_logger;
        (known.then_some(n), self.chain.model.clone())
    }

    fn transport(
        &mut self,
        line: &str,
        url: &str,
        status: u16,
        lineno: u64,
        sink: &mut Sink,
    ) -> Claim {
        self.httpx_seen = true;
        let Some(endpoint) = sdk_endpoint(url, &sink.opts.api_paths) else {
            self.last_transport = Some((lineno, false));
            if other_vendor_url(url) {
                sink.other_provider_line = Some(lineno);
            }
            return Claim::Noise;
        };
        self.flush_pending(sink);
        self.last_transport = Some((lineno, true));
        self.seen_anthropic = true;
        // `[2025-11-03 09:14:03 - httpx:1025 - INFO]`: ANTHROPIC_LOG set, so retries are logged.
        let sdk_format = line.starts_with('[') && has!(line, " - httpx:");
        let (attempt, model) = self.next_attempt(sdk_format);
        let mut r = http_record(url, endpoint, status, Evidence::Transport);
        r.line = Some(lineno);
        r.stamp = stamp_near_start(line);
        r.model = r.model.or(model);
        r.attempt = attempt;
        if r.outcome == Outcome::Failure {
            // httpx logs an attempt first, before any other line about it.
            sink.close_last_failure();
        }
        sink.push(r);
        Claim::Relevant
    }

    fn response(
        &mut self,
        line: &str,
        url: &str,
        status: u16,
        headers: Option<&str>,
        lineno: u64,
        sink: &mut Sink,
    ) -> Claim {
        let Some(endpoint) = sdk_endpoint(url, &sink.opts.api_paths) else {
            self.last_transport = Some((lineno, false));
            return Claim::Noise;
        };
        self.last_transport = Some((lineno, true));
        self.sdk_logger = true;
        self.seen_anthropic = true;
        let mut r = http_record(url, endpoint, status, Evidence::ResponseDump);
        r.line = Some(lineno);
        r.stamp = stamp_near_start(line);
        if let Some(h) = headers {
            let (kept, request_id) = read_headers(h);
            r.headers = kept;
            r.request_id = request_id;
        }
        sink.push(r);
        Claim::Relevant
    }

    fn request_options(&mut self, repr: &str, logger: Logger, sink: &mut Sink) -> Claim {
        if logger == Logger::Foreign {
            return Claim::Noise;
        }
        let value = pyrepr::parse_prefix(repr)
            .or_else(|_| pyrepr::parse_lenient(repr))
            .map(|(v, _)| v)
            .unwrap_or(Value::Null);
        let url = value.get("url").and_then(Value::as_str);
        if let Some(url) = url {
            if endpoint_of(url, &sink.opts.api_paths).is_none() {
                return Claim::Noise;
            }
        } else if logger != Logger::Anthropic {
            return Claim::NotMine;
        }
        self.flush_pending(sink);
        self.sdk_logger = true;
        self.seen_anthropic = true;
        // Only the model: the rest of the body is the user's prompt.
        self.chain.requested_model = value
            .pointer("/json_data/model")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| url.and_then(model_of_path));
        Claim::Relevant
    }

    /// The SDK's debug notices around a failed attempt.
    fn notice(
        &mut self,
        line: &str,
        logger: Logger,
        lineno: u64,
        sink: &mut Sink,
    ) -> Option<Claim> {
        let kind = if has!(line, "Encountered httpx.TimeoutException") {
            Notice::Encountered("client_timeout")
        } else if has!(line, "Encountered Exception") {
            Notice::Encountered("connection_error")
        } else if has!(line, "Encountered httpx.HTTPStatusError") {
            Notice::StatusError
        } else if has!(line, "Raising timeout error") {
            Notice::Raising("client_timeout")
        } else if has!(line, "Raising connection error") {
            Notice::Raising("connection_error")
        } else if has!(line, "Re-raising status error")
            || has!(line, "Retrying as header")
            || has!(line, "Retrying due to status")
            || has!(line, "Not retrying")
        {
            Notice::Quiet
        } else {
            return None;
        };
        if !self.ours(logger, lineno) {
            return Some(Claim::Noise);
        }
        self.sdk_logger = true;
        self.seen_anthropic = true;
        match kind {
            Notice::Encountered(error_type) => {
                self.flush_pending(sink);
                let (attempt, model) = self.next_attempt(true);
                let mut r = new_record(Outcome::Failure, Evidence::Transport);
                r.line = Some(lineno);
                r.stamp = stamp_near_start(line);
                r.error_type = Some(error_type.into());
                r.message = Some(
                    line[line.find("Encountered").unwrap_or(0)..]
                        .trim()
                        .to_string(),
                );
                r.endpoint = self.chain.endpoint.clone();
                r.provider = Some(self.chain.provider.unwrap_or("anthropic").into());
                r.model = r.endpoint.as_deref().and_then(model_of_path).or(model);
                r.attempt = attempt;
                self.pending = Some(Pending {
                    record: r,
                    touched: lineno,
                });
                self.expect_internal = Some(lineno);
            }
            Notice::StatusError => self.expect_internal = Some(lineno),
            Notice::Raising(error_type) => match self.pending.as_mut() {
                Some(p) => p.touched = lineno,
                None => {
                    // The only trace of this attempt.
                    let (attempt, model) = self.next_attempt(true);
                    let mut r = new_record(Outcome::Failure, Evidence::Notice);
                    r.line = Some(lineno);
                    r.stamp = stamp_near_start(line);
                    r.error_type = Some(error_type.into());
                    r.message = Some(line[line.find("Raising").unwrap_or(0)..].trim().to_string());
                    r.endpoint = self.chain.endpoint.clone();
                    r.provider = Some(self.chain.provider.unwrap_or("anthropic").into());
                    r.model = model;
                    r.attempt = attempt;
                    self.pending = Some(Pending {
                        record: r,
                        touched: lineno,
                    });
                }
            },
            Notice::Quiet => {}
        }
        Some(Claim::Relevant)
    }

    fn exception_string(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let ctx = Context {
            seen_anthropic: self.seen_anthropic,
            ..Context::of_text(line)
        };
        let found = if has!(line, "litellm.")
            || has!(line, "An error occurred (")
            || has!(line, "google.api_core")
        {
            // Their modules read these; they are not the Python SDK's.
            None
        } else {
            anthropic_exception(line, ctx).or_else(|| client_side_failure(line, ctx, false))
        };
        let Some(mut r) = found else {
            return Claim::NotMine;
        };
        self.seen_anthropic = true;
        r.line = Some(lineno);
        r.stamp = stamp_near_start(line);
        r.evidence = Evidence::Summary;
        if open_html(line) {
            let from = line.find('<').unwrap_or(0);
            self.html = Some(HtmlBody {
                record: r,
                text: line[from..].to_string(),
                lines: 1,
            });
            return Claim::Relevant;
        }
        self.push_exception(r, sink);
        Claim::Relevant
    }

    /// The next line of a held HTML body; `None` when the line is not part of it.
    fn html_line(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let body = self.html.as_mut()?;
        let b = line.as_bytes();
        let new_record = stamp_near_start(line).is_some()
            || line.starts_with("Traceback")
            || b.first().is_some_and(|c| c.is_ascii_digit());
        if new_record || body.lines >= 60 || body.text.len() + line.len() > 64 * 1024 {
            self.end_html(sink);
            return None;
        }
        body.text.push(' ');
        body.text.push_str(line.trim());
        body.lines += 1;
        if has!(line, "</html>") {
            self.end_html(sink);
        }
        Some(Claim::Relevant)
    }

    fn end_html(&mut self, sink: &mut Sink) {
        let Some(body) = self.html.take() else {
            return;
        };
        let mut r = body.record;
        let message = plain_text(&body.text);
        if r.http_status == Some(500) {
            r.http_status = page_status(&message).or(r.http_status);
        }
        r.message = Some(message).filter(|m| !m.is_empty());
        self.push_exception(r, sink);
    }

    /// An exception record: the end of a held transport failure when it is the same kind
    /// of failure, else an attempt of its own.
    fn push_exception(&mut self, mut r: Record, sink: &mut Sink) {
        let transport = r.http_status.is_none()
            && matches!(
                r.error_type.as_deref(),
                Some("connection_error" | "client_timeout")
            );
        if transport && r.source_kind == SourceKind::SdkPython {
            if let Some(p) = self.pending.take() {
                let held = p.record;
                r.line = held.line;
                r.stamp = held.stamp.or(r.stamp);
                r.absorb(held);
                sink.close_last_failure();
                sink.push(r);
                return;
            }
        }
        self.flush_pending(sink);
        sink.push_told(r);
    }

    fn flush_pending(&mut self, sink: &mut Sink) {
        if let Some(p) = self.pending.take() {
            sink.close_last_failure();
            sink.push(p.record);
        }
    }

    fn end_traceback(&mut self, sink: &mut Sink) {
        let Some(tb) = self.traceback.take() else {
            return;
        };
        let end = tb.start + tb.lines.saturating_sub(1);
        if tb.internal {
            // The SDK's own traceback of a failed attempt: it explains the held failure.
            if let Some(p) = self.pending.as_mut() {
                if let Some(cause) = root_cause(&tb.exceptions) {
                    if is_timeout_class(cause.split(':').next().unwrap_or("")) {
                        p.record.error_type = Some("client_timeout".into());
                    }
                    p.record.message = Some(cause);
                }
                p.touched = end;
            }
            return;
        }
        match tb.verdict(self.seen_anthropic) {
            Some(mut r) => {
                if self.prev_head.tells_before(tb.start, &tb.exceptions) {
                    r.line = Some(tb.start - 1);
                }
                if r.source_kind == SourceKind::SdkPython {
                    self.seen_anthropic = true;
                }
                self.push_exception(r, sink);
            }
            None => sink.relevant_lines_were_noise(tb.relevant_lines),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Notice {
    Encountered(&'static str),
    StatusError,
    Raising(&'static str),
    Quiet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Logger {
    Anthropic,
    Foreign,
    Unknown,
}

/// The logger named in a line's prefix, when the format shows it.
fn logger_of(line: &str) -> Logger {
    let head = &line[..floor_boundary(line, 160)];
    if head.contains("anthropic._base_client")
        || head.contains(" - anthropic")
        || head.contains("anthropic:")
    {
        Logger::Anthropic
    } else if head.contains("openai._base_client")
        || head.contains(" - openai")
        || head.contains("openai:")
    {
        Logger::Foreign
    } else {
        Logger::Unknown
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The endpoint of a URL the SDK called when it is a Claude API call: an API path on any host
/// but other providers', or any path on Anthropic's own host (its OpenAI-compatible
/// `/v1/chat/completions` serves Claude only).
fn sdk_endpoint(url: &str, extra: &[regex::Regex]) -> Option<String> {
    if crate::input::toolkit::api::foreign_host(url) {
        return None;
    }
    endpoint_of(url, extra).or_else(|| {
        let host = url.split("://").nth(1)?.split(['/', ':']).next()?;
        host.ends_with("anthropic.com")
            .then(|| path_of(url).to_string())
    })
}

/// The kept headers and the request id of an httpx `Headers({...})` / `Headers([(k, v)])`
/// repr.
fn read_headers(text: &str) -> (Vec<(String, String)>, Option<String>) {
    let inner = text.strip_prefix("Headers(").unwrap_or(text);
    let Ok((value, _)) = pyrepr::parse_prefix(inner).or_else(|_| pyrepr::parse_lenient(inner))
    else {
        return (Vec::new(), None);
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    match &value {
        Value::Object(map) => {
            for (k, v) in map {
                if let Some(v) = v.as_str() {
                    pairs.push((k.to_ascii_lowercase(), v.to_string()));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                if let (Some(k), Some(v)) = (
                    item.get(0).and_then(Value::as_str),
                    item.get(1).and_then(Value::as_str),
                ) {
                    pairs.push((k.to_ascii_lowercase(), v.to_string()));
                }
            }
        }
        _ => {}
    }
    let request_id = pairs
        .iter()
        .find(|(k, _)| k == "request-id")
        .or_else(|| pairs.iter().find(|(k, _)| k == "x-amzn-requestid"))
        .map(|(_, v)| v.clone());
    let mut kept: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        if is_kept_header(&k) && !kept.iter().any(|(n, _)| *n == k) {
            kept.push((k, v));
        }
    }
    (kept, request_id)
}

/// JSON application logs (python-json-logger, structlog) holding SDK messages or exceptions.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let field = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str));
    let message = field(&["message", "msg", "event", "textPayload"]);
    let exc = field(&[
        "exc_info",
        "exception",
        "exc_text",
        "stack_trace",
        "traceback",
        "error",
    ]);
    let hit = |t: Option<&str>| t.is_some_and(|t| MARKER_SEARCH.is_match(t));
    if !hit(message) && !hit(exc) {
        return Claim::NotMine;
    }
    let litellm =
        |t: Option<&str>| t.is_some_and(|t| t.contains("litellm") || t.contains("LiteLLM"));
    if litellm(message) || litellm(exc) {
        return Claim::NotMine;
    }
    let stamp = field(&["timestamp", "asctime", "time", "@timestamp", "ts"]).and_then(|t| {
        if t.contains(',') {
            crate::time::iso(&t.replacen(',', ".", 1))
        } else {
            crate::time::iso(t)
        }
    });
    if let Some(m) = message {
        if let Some(HttpxLine { url, status }) = httpx_line(m) {
            let Some(endpoint) = sdk_endpoint(url, &sink.opts.api_paths) else {
                return Claim::Noise;
            };
            let mut r = http_record(url, endpoint, status, Evidence::Transport);
            at.place(&mut r);
            r.stamp = stamp;
            sink.push(r);
            return Claim::Relevant;
        }
    }
    let from_traceback = exc.and_then(|t| traceback_record(t, false));
    let from_message = message.and_then(|m| {
        let ctx = Context::of_text(m);
        anthropic_exception(m, ctx).or_else(|| client_side_failure(m, ctx, false))
    });
    let exc_line = exc.filter(|t| !t.contains('\n')).and_then(|t| {
        let ctx = Context::of_text(t);
        anthropic_exception(t, ctx)
    });
    let mut r = match (from_traceback.or(exc_line), from_message) {
        (Some(mut a), Some(b)) => {
            a.absorb(b);
            a
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => return Claim::NotMine,
    };
    at.place(&mut r);
    r.stamp = stamp;
    r.evidence = Evidence::Exception;
    sink.push_told(r);
    Claim::Relevant
}
