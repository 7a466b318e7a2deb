//! TypeScript, Go and Java SDK log lines and error strings (FORMATS.md).
//!
//! The SDKs print their text inside whatever the application logs with (timestamps, levels,
//! logger names, container prefixes), so every marker is searched anywhere in the line, after
//! one cheap multi-pattern scan that rejects foreign lines without allocating.
//!
//! Invariants: a line is claimed only when it is about a Claude API call (a Claude URL, an
//! Anthropic error body, an Anthropic SDK stack frame or class, or the SDK's own log line for a
//! client that talks to Claude); errors that other libraries raise with the same words (a bare
//! `Error: read ECONNRESET`, the OpenAI SDK's identical classes) stay noise. Multi-line records
//! (util.inspect objects, stack traces with their property block, Go debug dumps, Java stack
//! traces) are held while they last, at most [`MAX_LINES`] lines and [`MAX_BYTES`] bytes.
//!
//! Attempts: TS `[log_...]` lines carry their own per-attempt id and the first attempt's id in
//! `retryOf`, so attempt numbers are exact; the info line and its debug object (same log id)
//! are joined here. The line that opens an attempt (TS info line, Go response dump, Java `<--`
//! line) is pushed as `Evidence::Whole`: it never merges into an earlier record (a transport
//! line always comes first in its attempt, so a record before it is another attempt), while the
//! exception the caller prints afterwards (`Evidence::Exception`) still merges into it through
//! the sink (same request id, or adjacent with the same status).

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde_json::Value;

use super::api::{self, ErrorBody, JsonScanner};
use super::har::is_kept_header;
use super::json::Position;
use super::{Claim, LineParser, Sink};
use crate::record::{Evidence, Outcome, Record, SourceKind};

/// Longest multi-line record, in lines and bytes; past that, what was read is emitted.
pub(crate) const MAX_LINES: u64 = 200;
pub(crate) const MAX_BYTES: usize = 256 * 1024;
/// Longest message kept from a log line (the report cuts further).
const MAX_MESSAGE: usize = 2000;
/// How far back a Claude transport line makes an ambiguous exception a Claude one.
const CONTEXT_LINES: u64 = 12;

/// The SDK, Claude Code and gateway parsers run as one family: one multi-pattern scan per
/// line finds the markers of all of them (scanning once instead of once per parser is most of
/// their cost on lines that are not theirs). `claude_code::parsers()` and
/// `gateways::parsers()` are empty for that reason; the order inside the family is the order
/// they had as separate parsers.
pub(crate) fn parsers() -> Vec<Box<dyn LineParser>> {
    vec![Box::new(Family::default())]
}

/// The parser groups that look for markers: the members of [`Family`], then the trigger
/// words of the Python, cloud and LiteLLM parsers. One pass over a line finds them all
/// ([`marks`], cached per line by `Sink::marks`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Group {
    Ts = 0,
    Go = 1,
    Java = 2,
    Terminal = 3,
    Gateway = 4,
    Python = 5,
    Cloud = 6,
    Litellm = 7,
}

/// The groups of [`Family`] members.
const FAMILY_GROUPS: usize = 5;

/// For each group, the index (in that group's pattern list) of its marker that ends first in
/// the line, as a separate scan of that group would have found it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Marks {
    first: [Option<u8>; 8],
}

impl Marks {
    pub(crate) fn first(&self, group: Group) -> Option<usize> {
        self.first[group as usize].map(usize::from)
    }

    /// Whether a marker of any [`Family`] member is in the line.
    fn any(&self) -> bool {
        self.first[..FAMILY_GROUPS].iter().any(Option::is_some)
    }

    pub(crate) fn has(&self, group: Group) -> bool {
        self.first[group as usize].is_some()
    }
}

struct FamilyScan {
    automaton: super::words::Words,
    /// Group and index in the group, per pattern.
    owner: Vec<(usize, u8)>,
}

static FAMILY_SCAN: LazyLock<FamilyScan> = LazyLock::new(|| {
    let groups: [&[&str]; 8] = [
        &TS_PATTERNS,
        &GO_PATTERNS,
        &JAVA_PATTERNS,
        &super::claude_code::TERMINAL_PATTERNS,
        &super::gateways::GATEWAY_PATTERNS,
        &super::python::PYTHON_TRIGGERS,
        &super::clouds::CLOUD_TRIGGERS,
        &super::litellm::LITELLM_TRIGGERS,
    ];
    let mut patterns = Vec::new();
    let mut owner = Vec::new();
    for (g, list) in groups.iter().enumerate() {
        for (i, p) in list.iter().enumerate() {
            patterns.push(*p);
            owner.push((g, i as u8));
        }
    }
    FamilyScan {
        automaton: super::words::Words::new(&patterns),
        owner,
    }
});

/// Scan a line once for every group's markers.
pub(crate) fn marks(line: &str) -> Marks {
    let scan = &*FAMILY_SCAN;
    // Per group, the occurrence that ends first (then the longest, then the first word):
    // what a search for that group's words alone reports first.
    let mut best: [Option<(usize, usize, usize)>; 8] = [None; 8];
    scan.automaton
        .each_by_start(line.as_bytes(), |start, end, word| {
            let (g, _) = scan.owner[word];
            let key = (end, start, word);
            if best[g].is_none_or(|b| key < b) {
                best[g] = Some(key);
            }
            true
        });
    let mut m = Marks::default();
    for (g, b) in best.iter().enumerate() {
        m.first[g] = b.map(|(_, _, word)| scan.owner[word].1);
    }
    m
}

#[derive(Default)]
pub(crate) struct Family {
    ts: TsParser,
    go: GoParser,
    java: JavaParser,
    debug: super::claude_code::DebugParser,
    errors: super::claude_code::ErrorsArrayParser,
    terminal: super::claude_code::TerminalParser,
    gateway: super::gateways::GatewayParser,
}

impl Family {
    /// Offer the line to member `i`, busy or not.
    fn offer(&mut self, i: usize, line: &str, lineno: u64, sink: &mut Sink, m: &Marks) -> Claim {
        match i {
            0 => self.ts.feed(line, lineno, sink, m),
            1 => self.go.feed(line, lineno, sink, m),
            2 => self.java.feed(line, lineno, sink, m),
            3 => self.debug.feed(line, lineno, sink),
            4 => self.errors.feed(line, lineno, sink),
            5 => self.terminal.feed(line, lineno, sink, m),
            _ => self.gateway.feed(line, lineno, sink, m),
        }
    }

    fn member_busy(&self, i: usize) -> bool {
        match i {
            0 => self.ts.busy(),
            1 => self.go.busy(),
            2 => self.java.busy(),
            3 => false,
            4 => self.errors.busy(),
            5 => self.terminal.busy(),
            _ => self.gateway.busy(),
        }
    }
}

const FAMILY_SIZE: usize = 7;

impl LineParser for Family {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let m = sink.marks(line);
        // Members in the middle of a multi-line record see the line first, as in `dispatch`.
        let mut offered = [false; FAMILY_SIZE];
        for (i, done) in offered.iter_mut().enumerate() {
            if self.member_busy(i) {
                *done = true;
                let claim = self.offer(i, line, lineno, sink, &m);
                if claim != Claim::NotMine {
                    return claim;
                }
            }
        }
        // Members that need no marker: the Java stamp memory, the debug log and errors array
        // byte checks; the others only when one of their markers is in the line.
        let quick = !m.any();
        if !quick {
            sink.follow_producer(line);
        }
        for (i, done) in offered.iter().enumerate() {
            if *done {
                continue;
            }
            let needs_marks = matches!(i, 0 | 1 | 5 | 6);
            if quick && needs_marks {
                continue;
            }
            let claim = self.offer(i, line, lineno, sink, &m);
            if claim != Claim::NotMine {
                return claim;
            }
        }
        Claim::NotMine
    }

    fn busy(&self) -> bool {
        (0..FAMILY_SIZE).any(|i| self.member_busy(i))
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.ts.finish(sink);
        self.go.finish(sink);
        self.java.finish(sink);
        self.debug.finish(sink);
        self.errors.finish(sink);
        self.terminal.finish(sink);
        self.gateway.finish(sink);
    }
}

fn regex(re: &str) -> Regex {
    Regex::new(re).expect("static regex")
}

// ---------------------------------------------------------------------------------------------
// What an SDK error message says (shared with the Claude Code parser, which prints the same
// TypeScript SDK messages).

/// What one error message says about a failed attempt.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Said {
    pub http_status: Option<u16>,
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub provider_code: Option<String>,
    pub provider: Option<&'static str>,
    /// The text alone shows a Claude API failure (an Anthropic error body, a Claude host).
    pub claude: bool,
}

impl Said {
    fn from_body(status: Option<u16>, body: ErrorBody, raw: &str) -> Said {
        let provider = api::provider_of_body(&body);
        let claude = is_anthropic_envelope(raw)
            || provider.is_some()
            || (status == Some(529))
            || body
                .request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("req_"));
        let mut s = Said {
            http_status: status.or(body.status),
            error_type: body.error_type,
            message: body.message.map(|m| one_line(&m)),
            request_id: body.request_id,
            provider_code: body.provider_code,
            provider,
            claude,
        };
        if s.message.is_none() && s.error_type.is_none() && s.provider_code.is_none() {
            s.message = Some(one_line(raw));
        }
        s
    }

    /// Copy what was said into a record (only fields the record lacks).
    pub fn apply(self, r: &mut Record) {
        if r.http_status.is_none() {
            r.http_status = self.http_status;
        }
        if r.error_type.is_none() {
            r.error_type = self.error_type;
        }
        if r.provider_code.is_none() {
            r.provider_code = self.provider_code;
        }
        if r.request_id.is_none() {
            r.request_id = self.request_id;
        }
        if let Some(p) = self.provider {
            r.provider = Some(p.to_string());
        }
        match (&r.message, self.message) {
            (None, m) => r.message = m,
            (Some(a), Some(b)) if b.len() > a.len() && !a.contains(b.as_str()) => {
                r.message = Some(b)
            }
            _ => {}
        }
    }
}

/// The Anthropic error envelope (`{"type":"error","error":{...}}`), possibly JSON-escaped.
pub(crate) fn is_anthropic_envelope(text: &str) -> bool {
    static ENVELOPE: LazyLock<Regex> =
        LazyLock::new(|| regex(r#"\{\s*\\?"type\\?"\s*:\s*\\?"error\\?"\s*,\s*\\?"error\\?"\s*:"#));
    text.contains("error") && ENVELOPE.is_match(text)
}

/// Collapse a text to one line and bound it.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_MESSAGE));
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if out.len() + w.len() > MAX_MESSAGE {
            let room = MAX_MESSAGE.saturating_sub(out.len());
            let mut cut = room.min(w.len());
            while !w.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&w[..cut]);
            break;
        }
        out.push_str(w);
    }
    out
}

/// An error body, read even when it is cut short or was quoted inside JSON.
pub(crate) fn lenient_body(text: &str) -> ErrorBody {
    let t = api::unescape_json_text(text.trim());
    if let Some(json) = api::leading_json(&t) {
        if let Ok(v) = serde_json::from_str::<Value>(json) {
            return api::error_body(&v);
        }
    }
    static TYPE: LazyLock<Regex> =
        LazyLock::new(|| regex(r#""error"\s*:\s*\{[^{}]*?"type"\s*:\s*"([A-Za-z_]+)""#));
    static MESSAGE: LazyLock<Regex> =
        LazyLock::new(|| regex(r#""message"\s*:\s*"((?:[^"\\]|\\.)*)"#));
    static REQUEST: LazyLock<Regex> =
        LazyLock::new(|| regex(r#""request_id"\s*:\s*"(req_[A-Za-z0-9]+)""#));
    let mut b = ErrorBody {
        error_type: TYPE.captures(&t).map(|c| c[1].to_string()),
        message: MESSAGE
            .captures(&t)
            .map(|c| c[1].replace("\\\"", "\"").replace("\\n", " ")),
        request_id: REQUEST.captures(&t).map(|c| c[1].to_string()),
        ..ErrorBody::default()
    };
    if b.is_empty() {
        b.message = Some(api::plain_text(&t));
    }
    b
}

/// What a TypeScript SDK error message says (`429 {"type":"error",...}`, `400 status code (no
/// body)`, a mid-stream `{"type":"error",...}`, `Connection error.`, `fetch failed`, ...).
/// `None` when the text is not one of them.
pub(crate) fn sdk_message(msg: &str) -> Option<Said> {
    let m = msg.trim();
    let b = m.as_bytes();
    if b.len() >= 3 && b[..3].iter().all(u8::is_ascii_digit) && (b.len() == 3 || b[3] == b' ') {
        let status: u16 = m.get(..3)?.parse().ok()?;
        if !(400..600).contains(&status) {
            return None;
        }
        let rest = m.get(3..).unwrap_or("").trim_start();
        if rest.starts_with('{') || rest.starts_with('[') || rest.starts_with("{\\\"") {
            return Some(Said::from_body(Some(status), lenient_body(rest), rest));
        }
        let mut s = Said {
            http_status: Some(status),
            claude: status == 529,
            ..Said::default()
        };
        if rest.starts_with("status code (no body)") {
            s.message = Some(one_line(rest));
        } else if !rest.is_empty() {
            let body = ErrorBody {
                message: Some(one_line(rest)),
                ..ErrorBody::default()
            };
            s.provider = api::provider_of_body(&body);
            s.claude |= s.provider.is_some();
            s.message = body.message;
        }
        return Some(s);
    }
    if m.starts_with('{') {
        if !is_anthropic_envelope(m) {
            return None;
        }
        // An `error` event inside a 200 stream: the message is only the body.
        let mut s = Said::from_body(Some(200), lenient_body(m), m);
        s.http_status = Some(200);
        return Some(s);
    }
    transport_message(m)
}

/// A failure without a response, as the TS SDK or Node/Bun word it.
pub(crate) fn transport_message(m: &str) -> Option<Said> {
    let kind = if m.starts_with("Connection error") {
        "connection_error"
    } else if m.starts_with("Request timed out") {
        "client_timeout"
    } else if m.starts_with("Request was aborted") {
        "client_closed"
    } else {
        transport_kind(m)?
    };
    Some(Said {
        error_type: Some(kind.to_string()),
        message: Some(one_line(m)),
        claude: mentions_claude_host(m),
        ..Said::default()
    })
}

/// The error type of a transport error text, or `None` when the text is not one.
pub(crate) fn transport_kind(text: &str) -> Option<&'static str> {
    static CONNECTION: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::new([
            "fetch failed",
            "ECONNRESET",
            "ECONNREFUSED",
            "ENOTFOUND",
            "EAI_AGAIN",
            "EPIPE",
            "EHOSTUNREACH",
            "ENETUNREACH",
            "ECONNABORTED",
            "socket hang up",
            "other side closed",
            "UND_ERR_SOCKET",
            "socket connection was closed unexpectedly",
            "network socket disconnected",
            "FailedToOpenSocket",
            "ConnectionRefused",
            "ConnectionClosed",
            "getaddrinfo",
            "certificate",
            "EPROTO",
            "Unable to connect to API",
            "connection reset by peer",
            "connection refused",
            "no such host",
            "broken pipe",
            "TLS handshake",
            "unexpected EOF",
        ])
        .expect("static patterns")
    });
    static TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r"(?i)timed? ?out|timeout error|UND_ERR_(?:CONNECT|HEADERS|BODY)_TIMEOUT|deadline exceeded|Client\.Timeout",
        )
    });
    let t = text.trim();
    if t == "terminated" || t.starts_with("terminated ") || t.starts_with("Premature close") {
        return Some("stream_error");
    }
    if TIMEOUT.is_match(t) {
        return Some("client_timeout");
    }
    if CONNECTION.is_match(t) {
        return Some("connection_error");
    }
    None
}

/// Whether a text names a Claude API host (`api.anthropic.com`, a Bedrock or Vertex endpoint).
pub(crate) fn mentions_claude_host(text: &str) -> bool {
    text.contains("anthropic.com")
        || text.contains("bedrock-runtime")
        || (text.contains("aiplatform.googleapis.com") && text.contains("anthropic"))
}

/// Keep a response header when it matters for classification.
fn keep_header(r: &mut Record, name: &str, value: &str) {
    let name = name.trim().trim_matches(['\'', '"']).to_ascii_lowercase();
    if name == "request-id" {
        let v = value.trim().trim_matches(['\'', '"', ',']);
        if r.request_id.is_none() && !v.is_empty() {
            r.request_id = Some(v.to_string());
        }
        return;
    }
    if is_kept_header(&name) && r.header(&name).is_none() {
        let v = value.trim().trim_end_matches(',').trim_matches(['\'', '"']);
        r.headers.push((name, v.to_string()));
    }
}

// ---------------------------------------------------------------------------------------------
// util.inspect objects: brace depth with JavaScript string quoting.

#[derive(Debug, Default, Clone)]
struct InspectDepth {
    depth: i32,
    quote: Option<u8>,
    escaped: bool,
}

impl InspectDepth {
    /// Feed a piece of text; true when every brace opened so far is closed again.
    fn feed(&mut self, s: &str) -> bool {
        for b in s.bytes() {
            if let Some(q) = self.quote {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == q {
                    self.quote = None;
                }
                continue;
            }
            match b {
                b'\'' | b'"' | b'`' => self.quote = Some(b),
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
        }
        // A quote never spans lines in inspect output; a stray apostrophe must not swallow
        // the rest of the record.
        self.quote = None;
        self.escaped = false;
        self.depth <= 0
    }
}

/// Fields of an inspected object or a Node error's property block.
#[derive(Debug, Default)]
struct Inspected {
    url: Option<String>,
    status: Option<u16>,
    duration_ms: Option<u64>,
    model: Option<String>,
    message: Option<String>,
    error_type: Option<String>,
    request_id: Option<String>,
    headers: Vec<(String, String)>,
    causes: Vec<String>,
    codes: Vec<String>,
    anthropic: bool,
    openai: bool,
}

fn inspect(text: &str) -> Inspected {
    static URL: LazyLock<Regex> = LazyLock::new(|| regex(r#"\burl: ['"](https?://[^'"\s]+)['"]"#));
    static STATUS: LazyLock<Regex> = LazyLock::new(|| regex(r"\bstatus: (\d{3})\b"));
    static DURATION: LazyLock<Regex> = LazyLock::new(|| regex(r"\bdurationMs: (\d+)"));
    static MODEL: LazyLock<Regex> = LazyLock::new(|| regex(r#"\bmodel: ['"]([^'"\s]+)['"]"#));
    static MESSAGE: LazyLock<Regex> =
        LazyLock::new(|| regex(r#"(?m)^\s*message: (?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")"#));
    static TYPE: LazyLock<Regex> = LazyLock::new(|| regex(r#"\btype: '([a-z_]+_error)'"#));
    static REQUEST_ID: LazyLock<Regex> =
        LazyLock::new(|| regex(r#"(?:'request-id'|requestID|request_id): ['"]([^'"\s]+)['"]"#));
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r#"'?(anthropic-ratelimit-[a-z0-9-]+|retry-after(?:-ms)?|x-should-retry)'?: '([^']*)'"#,
        )
    });
    static CAUSE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^\s*\[?cause\]?: (.+?)(?: \{)?$"));
    static CODE: LazyLock<Regex> = LazyLock::new(|| regex(r"\bcode: '([A-Za-z_]+)'"));
    let cap = |re: &Regex| re.captures(text).map(|c| c[1].to_string());
    let mut out = Inspected {
        url: cap(&URL),
        status: STATUS.captures(text).and_then(|c| c[1].parse().ok()),
        duration_ms: DURATION.captures(text).and_then(|c| c[1].parse().ok()),
        model: cap(&MODEL),
        message: MESSAGE
            .captures(text)
            .and_then(|c| c.get(1).or(c.get(2)).map(|m| one_line(m.as_str()))),
        error_type: cap(&TYPE),
        request_id: cap(&REQUEST_ID).filter(|id| id != "undefined"),
        ..Inspected::default()
    };
    for c in HEADER.captures_iter(text) {
        out.headers.push((c[1].to_string(), c[2].to_string()));
    }
    for c in CAUSE.captures_iter(text) {
        out.causes.push(c[1].trim().to_string());
    }
    for c in CODE.captures_iter(text) {
        out.codes.push(c[1].to_string());
    }
    out.anthropic = text.contains("anthropic") || text.contains("'request-id'");
    out.openai = text.contains("openai") || text.contains("x-request-id");
    out
}

// ---------------------------------------------------------------------------------------------
// TypeScript SDK.

/// The strings a TypeScript SDK line holds (index = the branch taken).
const TS_PATTERNS: [&str; 8] = [
    "[log_",
    "Anthropic:DEBUG:",
    "Error: ",
    "Error]: ",
    "{\"type\":\"error\"",
    "{\\\"type\\\":\\\"error\\\"",
    "socket connection was closed unexpectedly",
    "status code (no body)",
];

/// Lines that belong to other parsers even though they hold TS-like text.
fn foreign_to_ts(line: &str) -> bool {
    static OTHERS: LazyLock<super::words::AnyOf> = LazyLock::new(|| {
        super::words::AnyOf::new(&[
            "API Error",
            "API error (attempt",
            "API error ·",
            "relay error",
            "Exception: ",
            "Exception - ",
            "Error code: ",
            "error while streaming",
            "[{\"error\":",
        ])
    });
    OTHERS.is_match(line) || is_go_error_line(line) || is_claude_code_debug(line)
}

/// `2026-06-23T15:57:59.225Z [ERROR] ` at the start: a Claude Code debug log line.
pub(crate) fn is_claude_code_debug(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 27
        && b[4] == b'-'
        && b[10] == b'T'
        && b[0].is_ascii_digit()
        && line.get(19..).is_some_and(|rest| {
            let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
            rest.starts_with("Z [")
        })
}

fn is_go_error_line(line: &str) -> bool {
    memchr::memmem::find(line.as_bytes(), b"\": ").is_some() && line.contains(" \"http")
}

static TS_INFO: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"\[(log_[0-9a-f]{4,8})((?:, [^\]]*)?)\] (?i:(get|post|put|patch|delete|head)) (\S+) (succeeded|failed) with status (\d{3}) in (\d+)ms(?: - (.*))?"#,
    )
});
static TS_EVENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"\[(log_[0-9a-f]{4,8})((?:, [^\]]*)?)\] (sending request|response start|response error \(([^)]*)\)|connection (timed out|failed)(?: - (.*)| \(([^)]*)\))?|middleware error \(not retryable\))(.*)$"#,
    )
});
/// The `Class: ` before an error message; the message is the rest of the line. Searched
/// without the message so that every candidate in a line is tried (`error: job failed
/// Error: 429 {...}`).
static TS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?:^|[^\w.$/])((?:[A-Za-z_$][\w$]*)?Error|[A-Za-z_$][\w$]* \[Error\]|error)(?: \[[A-Z_]+\])?: ",
    )
});

/// Each `(class, message)` candidate of a line, left to right.
fn ts_errors(line: &str) -> impl Iterator<Item = (&str, &str, usize)> + '_ {
    TS_ERROR.captures_iter(line).filter_map(move |c| {
        let class = c.get(1)?.as_str();
        let end = c.get(0)?.end();
        Some((class, line.get(end..)?, end))
    })
}
static TS_BARE: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?:^|[\s:>|\]])([45]\d\d) (\{\\?"type\\?":\\?"error\\?".*)$"#));
static RETRY_OF: LazyLock<Regex> = LazyLock::new(|| regex(r"retryOf: (log_[0-9a-f]+)"));
static BRACKET_REQUEST_ID: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"request-id: \\?"([^"\\]+)\\?""#));
static ATTEMPTS_LEFT: LazyLock<Regex> = LazyLock::new(|| regex(r"(\d+) attempts? remaining"));

#[derive(Debug)]
enum Stage {
    /// A `[log_...]` info line, held to see whether its debug object follows.
    Info,
    /// Reading a util.inspect object (debug line, old `Anthropic:DEBUG:` line).
    Object(InspectDepth),
    /// An exception: its JSON body may continue, then stack frames and the property block.
    Exception {
        body: Option<(String, JsonScanner)>,
        block: Option<InspectDepth>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `post URL failed/succeeded` or `connection failed` info line (maybe with its object).
    Info,
    /// A debug object alone (`response error (...)`, `connection failed (...)`).
    Debug,
    /// `sending request`: context only (URL, model).
    Sending,
    /// Old `Anthropic:DEBUG:request`: context only.
    OldRequest,
    /// Old `Anthropic:DEBUG:response ...`.
    OldResponse,
    /// An error string, with frames and block.
    Exception,
}

struct Held {
    kind: Kind,
    stage: Stage,
    record: Record,
    log_id: Option<String>,
    /// Accumulated object / property block text.
    text: String,
    lines: u64,
    bytes: usize,
    /// Known from the URL or the body: `Some(true)` Claude, `Some(false)` other vendor.
    claude: Option<bool>,
    anthropic_frames: bool,
    openai_frames: bool,
    /// The first line mentions Anthropic or Claude.
    named: bool,
    /// The error is one the Anthropic SDK raises itself (an HTTP status, or the SDK's own
    /// connection classes and messages), not a raw Node error another library may raise.
    sdk_words: bool,
    /// The SDK gave up on this attempt (no retry follows).
    last_try: bool,
}

/// Per-attempt bookkeeping of `[log_...]` ids.
#[derive(Debug, Default, Clone)]
struct LogInfo {
    attempt: u32,
    claude: Option<bool>,
    model: Option<String>,
}

#[derive(Default)]
pub(crate) struct TsParser {
    held: Option<Held>,
    logs: HashMap<String, LogInfo>,
    /// First-attempt log id -> the log ids of its attempts, in order.
    chains: HashMap<String, Vec<String>>,
    /// The last URL-bearing SDK line: its line number and whether it was a Claude call.
    last_sdk_line: Option<(u64, bool)>,
    /// The line of the last Claude attempt the SDK gave up on (`no more retries left`, `not
    /// retryable`): the exception the caller prints next is about it.
    last_final_failure: Option<u64>,
    /// Log ids already emitted (a debug object read apart from its info line adds nothing).
    emitted: std::collections::HashSet<String>,
    claude_calls: u64,
    other_calls: u64,
    /// The line of the last call to another vendor.
    last_other_call: Option<u64>,
    /// Old SDK: (attempt, attempts remaining) of the last retried response.
    old_chain: Option<(u32, u32)>,
    old_model: Option<String>,
    /// Connection failures without a URL in a file that calls several vendors: held until a
    /// retry of the same chain names its URL (first attempt's log id, record, lines, line).
    deferred: Vec<(String, Record, u64, u64)>,
}

/// Lines a deferred connection failure waits for a retry that names the vendor.
const DEFER_SPAN: u64 = 200;
/// How near another vendor's call makes a connection failure without a URL ambiguous.
const OTHER_VENDOR_SPAN: u64 = 200;

impl TsParser {
    fn remember_log(&mut self, id: &str, retry_of: Option<&str>) -> u32 {
        if self.logs.len() > 8192 {
            self.logs.clear();
            self.chains.clear();
        }
        if let Some(info) = self.logs.get(id) {
            if info.attempt > 0 {
                return info.attempt;
            }
        }
        let attempt = match retry_of {
            None => 1,
            Some(root) => {
                let chain = self
                    .chains
                    .entry(root.to_string())
                    .or_insert_with(|| vec![root.to_string()]);
                if !chain.iter().any(|x| x == id) {
                    chain.push(id.to_string());
                }
                chain
                    .iter()
                    .position(|x| x == id)
                    .map_or(1, |p| p as u32 + 1)
            }
        };
        let root_info = retry_of.and_then(|r| self.logs.get(r)).cloned();
        let info = self.logs.entry(id.to_string()).or_default();
        info.attempt = attempt;
        if let Some(ri) = root_info {
            info.claude = info.claude.or(ri.claude);
            info.model = info.model.clone().or(ri.model);
        }
        attempt
    }

    fn note_call(&mut self, lineno: u64, claude: bool) {
        self.last_sdk_line = Some((lineno, claude));
        if claude {
            self.claude_calls += 1;
        } else {
            self.other_calls += 1;
            self.last_other_call = Some(lineno);
        }
    }

    fn hold(
        &mut self,
        kind: Kind,
        stage: Stage,
        record: Record,
        log_id: Option<String>,
        line: &str,
    ) {
        self.held = Some(Held {
            kind,
            stage,
            record,
            log_id,
            text: String::new(),
            lines: 1,
            bytes: line.len(),
            claude: None,
            anthropic_frames: false,
            openai_frames: false,
            named: api::mentions_claude(line),
            sdk_words: false,
            last_try: line.contains("no more retries left") || line.contains("not retryable"),
        });
    }

    /// Offer a line to the held record. `Some(claim)` when it took the line; `None` when the
    /// record is complete (it was emitted) and the line must be read afresh.
    fn continue_held(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let h = self.held.as_mut()?;
        if h.lines >= MAX_LINES || h.bytes >= MAX_BYTES {
            self.finish_held(sink);
            return None;
        }
        match &mut h.stage {
            Stage::Info => {
                // Its debug object: `[log_x] response error (...) {` with the same id.
                if let (Some(id), Some(c)) = (h.log_id.as_deref(), TS_EVENT.captures(line)) {
                    if &c[1] == id && !c[3].starts_with("sending") {
                        let rest = c.get(8).map_or("", |m| m.as_str());
                        h.lines += 1;
                        h.bytes += line.len();
                        if let Some(extra) = c.get(7) {
                            h.text.push_str(extra.as_str());
                        }
                        h.text.push_str(rest);
                        h.text.push('\n');
                        let mut depth = InspectDepth::default();
                        if depth.feed(rest) {
                            self.finish_held(sink);
                        } else {
                            h.stage = Stage::Object(depth);
                        }
                        return Some(Claim::Relevant);
                    }
                }
                self.finish_held(sink);
                None
            }
            Stage::Object(depth) => {
                h.lines += 1;
                h.bytes += line.len();
                if h.text.len() < MAX_BYTES {
                    h.text.push_str(line);
                    h.text.push('\n');
                }
                if depth.feed(line) {
                    self.finish_held(sink);
                }
                Some(Claim::Relevant)
            }
            Stage::Exception { body, block } => {
                let line = api::without_collector_prefix(line);
                if let Some((text, scanner)) = body {
                    // The JSON body goes on (a logger broke it, or it is pretty-printed).
                    let frame = line.trim_start().starts_with("at ");
                    if !frame {
                        text.push('\n');
                        text.push_str(line);
                        let closed = scanner.feed(line).is_some();
                        h.lines += 1;
                        h.bytes += line.len();
                        if closed {
                            let said = sdk_message(text).unwrap_or_default();
                            h.claude = h.claude.or(Some(said.claude).filter(|c| *c));
                            said.apply(&mut h.record);
                            *body = None;
                        } else if h.lines > 20 {
                            *body = None;
                        }
                        return Some(Claim::Relevant);
                    }
                    *body = None;
                }
                if let Some(depth) = block {
                    h.lines += 1;
                    h.bytes += line.len();
                    if h.text.len() < MAX_BYTES {
                        h.text.push_str(line);
                        h.text.push('\n');
                    }
                    if line.contains("@anthropic-ai") || line.contains("anthropic") {
                        h.anthropic_frames = true;
                    }
                    if depth.feed(line) {
                        self.finish_held(sink);
                    }
                    return Some(Claim::Relevant);
                }
                let t = line.trim_start();
                let indented = line.len() > t.len();
                if indented
                    && (t.starts_with("at ") || t.starts_with("... ") || t.starts_with("[..."))
                {
                    h.lines += 1;
                    h.bytes += line.len();
                    let l = t.to_ascii_lowercase();
                    if l.contains("anthropic") || l.contains("claude") || l.contains("$bunfs") {
                        h.anthropic_frames = true;
                    }
                    if l.contains("/openai/") || l.contains("openai.") || l.contains("openai@") {
                        h.openai_frames = true;
                    }
                    if t.ends_with('{') {
                        let mut depth = InspectDepth::default();
                        depth.feed("{");
                        *block = Some(depth);
                    }
                    return Some(Claim::Relevant);
                }
                // The property block right after the message when there are no frames.
                if t == "{" || (t.starts_with('{') && t.contains(": ") && !t.contains("\"type\"")) {
                    h.lines += 1;
                    h.bytes += line.len();
                    h.text.push_str(line);
                    h.text.push('\n');
                    let mut depth = InspectDepth::default();
                    if !depth.feed(line) {
                        *block = Some(depth);
                    } else {
                        self.finish_held(sink);
                    }
                    return Some(Claim::Relevant);
                }
                self.finish_held(sink);
                None
            }
        }
    }

    /// Emit the held record (or forget it when it was not about the Claude API).
    fn finish_held(&mut self, sink: &mut Sink) -> bool {
        let Some(mut h) = self.held.take() else {
            return false;
        };
        let obj = if h.text.is_empty() {
            Inspected::default()
        } else {
            inspect(&h.text)
        };
        match h.kind {
            Kind::Sending | Kind::OldRequest => {
                let claude = obj
                    .url
                    .as_deref()
                    .map(|u| api::claude_endpoint(u, &sink.opts.api_paths).is_some())
                    .or(h.claude);
                if h.kind == Kind::OldRequest {
                    self.old_model = obj.model.clone();
                }
                if let Some(id) = &h.log_id {
                    let info = self.logs.entry(id.clone()).or_default();
                    info.claude = info.claude.or(claude);
                    if obj.model.is_some() {
                        info.model = obj.model.clone();
                    }
                }
                if claude != Some(true) {
                    sink.relevant_lines_were_noise(h.lines);
                    return false;
                }
                return true;
            }
            _ => {}
        }
        let r = &mut h.record;
        // Fields from the debug object / property block.
        if let Some(url) = &obj.url {
            match api::claude_endpoint(url, &sink.opts.api_paths) {
                Some(ep) => {
                    r.endpoint.get_or_insert(ep);
                    r.provider
                        .get_or_insert_with(|| api::provider_of_url(url).to_string());
                    h.claude = Some(true);
                }
                None => h.claude = h.claude.or(Some(false)),
            }
        }
        if r.http_status.is_none() && h.kind != Kind::Exception {
            r.http_status = obj.status;
        }
        if h.kind == Kind::Exception && r.http_status.is_none() {
            r.http_status = obj.status;
        }
        r.latency_ms = r.latency_ms.or(obj.duration_ms);
        if r.request_id.is_none() {
            r.request_id = obj.request_id.clone();
        }
        for (n, v) in &obj.headers {
            keep_header(r, n, v);
        }
        if obj.anthropic {
            h.anthropic_frames = true;
        }
        if obj.openai && !obj.anthropic {
            h.openai_frames = true;
        }
        if r.error_type.is_none() && r.outcome == Outcome::Failure && r.http_status.is_some() {
            r.error_type = obj.error_type.clone();
        }
        // Transport failures: the root cause goes into the message.
        if r.outcome == Outcome::Failure && r.http_status.is_none() {
            let mut cause = obj.causes.last().cloned();
            if cause.is_none() && h.kind != Kind::Exception {
                cause = obj.message.clone();
            }
            let code = obj.codes.last().cloned();
            let base = r.message.clone().unwrap_or_default();
            let cause = cause.or(code.filter(|_| !base.contains("(cause:")));
            if let Some(c) = cause {
                let c = c.strip_prefix("Error: ").unwrap_or(&c).to_string();
                if !base.contains(c.as_str()) {
                    r.message = Some(one_line(&format!("{base} (cause: {c})")));
                }
                // A raw `fetch failed` takes its kind from the cause.
                if base.starts_with("fetch failed") || base.starts_with("connection") {
                    if let Some(k) = transport_kind(&c) {
                        if k == "client_timeout" {
                            r.error_type = Some(k.into());
                        }
                    }
                }
            }
            if r.error_type.is_none() {
                r.error_type = Some("connection_error".into());
            }
        }
        if let Some(id) = &h.log_id {
            if let Some(m) = self.logs.get(id).and_then(|i| i.model.clone()) {
                r.model.get_or_insert(m);
            }
            if let Some(c) = h.claude {
                self.logs.entry(id.clone()).or_default().claude = Some(c);
            }
        }
        if let Some(m) = obj.model.clone() {
            r.model.get_or_insert(m);
        }
        // Is it about the Claude API?
        let claude = match h.kind {
            Kind::Exception => {
                // An exception is about the attempt the SDK last gave up on, once.
                let recent = self
                    .last_final_failure
                    .take()
                    .is_some_and(|at| r.line.unwrap_or(0).saturating_sub(at) <= CONTEXT_LINES);
                if h.claude == Some(true) {
                    true
                } else if h.openai_frames {
                    false
                } else if h.anthropic_frames || (h.named && h.sdk_words) {
                    true
                } else {
                    recent
                }
            }
            _ => match h.claude {
                Some(c) => c,
                None => {
                    let known = h
                        .log_id
                        .as_ref()
                        .and_then(|id| self.logs.get(id))
                        .and_then(|i| i.claude);
                    // A connection failure names no URL, and the OpenAI SDK writes the same
                    // lines: it is Claude's when its retry chain says so, or when the file
                    // shows no other vendor's calls (here or in other loggers' lines). Where
                    // both vendors are called, the call just before says nothing: calls
                    // interleave.
                    let at = r.line.unwrap_or(0);
                    let near =
                        |l: Option<u64>| l.is_some_and(|o| at.abs_diff(o) <= OTHER_VENDOR_SPAN);
                    let others = near(self.last_other_call) || near(sink.other_provider_line);
                    match (known, &h.log_id) {
                        (Some(c), _) => c,
                        (None, Some(id)) if others && r.outcome == Outcome::Failure => {
                            // A retry may still tell whose call it was.
                            let root = self
                                .chains
                                .iter()
                                .find(|(_, ids)| ids.contains(id))
                                .map_or_else(|| id.clone(), |(root, _)| root.clone());
                            if self.deferred.len() >= 64 {
                                let (_, _, lines, _) = self.deferred.remove(0);
                                sink.relevant_lines_were_noise(lines);
                            }
                            let mut held = r.clone();
                            held.provider = Some("anthropic".into());
                            let at = held.line.unwrap_or(0);
                            self.deferred.push((root, held, h.lines, at));
                            return true;
                        }
                        (None, _) => !others,
                    }
                }
            },
        };
        if !claude {
            sink.relevant_lines_were_noise(h.lines);
            return false;
        }
        if r.provider.is_none() {
            r.provider = Some("anthropic".into());
        }
        if h.kind != Kind::Exception {
            if let Some(line) = r.line {
                self.last_sdk_line = Some((line, true));
                if h.last_try && r.outcome == Outcome::Failure {
                    self.last_final_failure = Some(line);
                }
            }
        }
        if let Some(id) = &h.log_id {
            if h.kind == Kind::Debug && self.emitted.contains(id) {
                // Its info line was read (and emitted) apart from it: join only through the
                // request id, never as a second attempt.
                if r.request_id.is_none() {
                    return true;
                }
                r.evidence = Evidence::ResponseDump;
            }
            if self.emitted.len() > 8192 {
                self.emitted.clear();
            }
            self.emitted.insert(id.clone());
        }
        if h.record.evidence == Evidence::Transport && h.record.outcome == Outcome::Failure {
            // The SDK logs an attempt first, before any other line about it: the failure
            // before is another attempt.
            super::python::close_last_failure(sink);
        }
        sink.push(h.record);
        true
    }

    /// Finish a record whose only line is the current one (not yet counted): its claim.
    fn finish_now(&mut self, sink: &mut Sink) -> Claim {
        if let Some(h) = &mut self.held {
            h.lines = 0;
        }
        if self.finish_held(sink) {
            Claim::Relevant
        } else {
            Claim::Noise
        }
    }

    fn fresh(&mut self, raw: &str, lineno: u64, sink: &mut Sink, marks: &Marks) -> Claim {
        let Some(first) = marks.first(Group::Ts) else {
            return Claim::NotMine;
        };
        let line = api::strip_ansi(raw);
        let line = line.as_ref();
        match first {
            0 => {
                if let Some(claim) = self.log_line(line, lineno, sink) {
                    return claim;
                }
            }
            1 => {
                if let Some(claim) = self.old_debug(line, lineno, sink) {
                    return claim;
                }
            }
            _ => {}
        }
        if foreign_to_ts(line) {
            return Claim::NotMine;
        }
        self.error_line(line, lineno)
    }

    /// `[log_...] ...` lines of SDK >= 0.50.
    fn log_line(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Option<Claim> {
        if let Some(c) = TS_INFO.captures(line) {
            let id = c[1].to_string();
            let extras = c.get(2).map_or("", |m| m.as_str());
            let retry_of = RETRY_OF.captures(extras).map(|m| m[1].to_string());
            let url = &c[4];
            let endpoint = api::claude_endpoint(url, &sink.opts.api_paths);
            self.note_call(lineno, endpoint.is_some());
            if let Some(root) = &retry_of {
                self.resolve_deferred(Some(root), endpoint.is_some(), lineno, sink);
            }
            let attempt = self.remember_log(&id, retry_of.as_deref());
            if let Some(info) = self.logs.get_mut(&id) {
                info.claude = Some(endpoint.is_some());
            }
            let Some(endpoint) = endpoint else {
                return Some(Claim::Noise);
            };
            let status: u16 = c[6].parse().ok()?;
            let failed = &c[5] == "failed" || status >= 400;
            let mut r = Record::new(
                SourceKind::SdkTypescript,
                if failed {
                    Outcome::Failure
                } else {
                    Outcome::Success
                },
            );
            r.line = Some(lineno);
            r.stamp = api::leading_stamp(line);
            r.http_status = Some(status);
            r.latency_ms = c[7].parse().ok();
            r.attempt = Some(attempt);
            r.request_id = BRACKET_REQUEST_ID
                .captures(extras)
                .map(|m| m[1].to_string());
            r.provider = Some(api::provider_of_url(url).to_string());
            r.model = api::model_of_path(&endpoint);
            r.endpoint = Some(endpoint);
            r.evidence = Evidence::Transport;
            self.hold(Kind::Info, Stage::Info, r, Some(id), line);
            if let Some(h) = &mut self.held {
                h.claude = Some(true);
            }
            return Some(Claim::Relevant);
        }
        let c = TS_EVENT.captures(line)?;
        let id = c[1].to_string();
        let extras = c.get(2).map_or("", |m| m.as_str());
        let retry_of = RETRY_OF.captures(extras).map(|m| m[1].to_string());
        let what = &c[3];
        let rest = c.get(8).map_or("", |m| m.as_str());
        let stamp = api::leading_stamp(line);
        let mut depth = InspectDepth::default();
        let closed = depth.feed(rest);
        let stage = if closed {
            Stage::Info
        } else {
            Stage::Object(depth)
        };
        let mut text = rest.to_string();
        text.push('\n');
        if what == "sending request" {
            let r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
            self.hold(Kind::Sending, stage, r, Some(id), line);
            if let Some(h) = &mut self.held {
                h.text = text;
            }
            if closed {
                return Some(self.finish_now(sink));
            }
            return Some(Claim::Relevant);
        }
        let attempt = self.remember_log(&id, retry_of.as_deref());
        let mut r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
        r.line = Some(lineno);
        r.stamp = stamp;
        r.attempt = Some(attempt);
        r.evidence = Evidence::Transport;
        r.request_id = BRACKET_REQUEST_ID
            .captures(extras)
            .map(|m| m[1].to_string());
        if what == "response start" {
            r.outcome = Outcome::Success;
        } else if let Some(how) = c.get(5) {
            // `connection timed out - retrying, ...` (info) or `... (retrying, ...)` (debug).
            let timed_out = how.as_str() == "timed out";
            r.error_type = Some(
                if timed_out {
                    "client_timeout"
                } else {
                    "connection_error"
                }
                .into(),
            );
            r.message = Some(format!("connection {}", how.as_str()));
        } else if what.starts_with("middleware") {
            r.error_type = Some("sdk_error".into());
            r.message = Some("middleware error (not retryable)".into());
        }
        let kind = if c.get(6).is_some()
            || (c.get(5).is_some() && c.get(7).is_none() && rest.is_empty())
        {
            Kind::Info
        } else {
            Kind::Debug
        };
        let stage = if kind == Kind::Info {
            Stage::Info
        } else {
            stage
        };
        self.hold(kind, stage, r, Some(id), line);
        if let Some(h) = &mut self.held {
            if kind == Kind::Debug {
                h.text = text;
            }
        }
        if kind == Kind::Debug && closed {
            return Some(self.finish_now(sink));
        }
        Some(Claim::Relevant)
    }

    /// `Anthropic:DEBUG:request ...` / `Anthropic:DEBUG:response ...` (SDK < 0.50).
    fn old_debug(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Option<Claim> {
        static RESPONSE: LazyLock<Regex> = LazyLock::new(|| {
            regex(
                r"Anthropic:DEBUG:response (?:\((?P<what>.*?)\)+ )?(?P<status>\d{3}) (?P<url>https?://\S+)(?P<rest>.*)$",
            )
        });
        static REQUEST: LazyLock<Regex> =
            LazyLock::new(|| regex(r"Anthropic:DEBUG:request (?P<url>https?://\S+)(?P<rest>.*)$"));
        if let Some(c) = REQUEST.captures(line) {
            let url = &c["url"];
            let claude = api::claude_endpoint(url, &sink.opts.api_paths).is_some();
            let rest = c.name("rest").map_or("", |m| m.as_str());
            let mut depth = InspectDepth::default();
            let closed = depth.feed(rest);
            let r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
            self.hold(Kind::OldRequest, Stage::Object(depth), r, None, line);
            if let Some(h) = &mut self.held {
                h.claude = Some(claude);
                h.text = format!("url: '{url}'\n{rest}\n");
            }
            if closed {
                return Some(self.finish_now(sink));
            }
            return Some(Claim::Relevant);
        }
        let c = RESPONSE.captures(line)?;
        let url = &c["url"];
        let endpoint = api::claude_endpoint(url, &sink.opts.api_paths);
        self.note_call(lineno, endpoint.is_some());
        let Some(endpoint) = endpoint else {
            return Some(Claim::Noise);
        };
        let status: u16 = c["status"].parse().ok()?;
        let what = c.name("what").map_or("", |m| m.as_str());
        let failed = status >= 400 || what.starts_with("error");
        let mut r = Record::new(
            SourceKind::SdkTypescript,
            if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
        );
        r.line = Some(lineno);
        r.stamp = api::leading_stamp(line);
        r.http_status = Some(status);
        r.provider = Some(api::provider_of_url(url).to_string());
        r.model = self
            .old_model
            .take()
            .or_else(|| api::model_of_path(&endpoint));
        r.endpoint = Some(endpoint);
        r.evidence = Evidence::Whole;
        if failed {
            // Attempts are not numbered in old logs: follow the "attempts remaining" countdown.
            let remaining = ATTEMPTS_LEFT
                .captures(what)
                .and_then(|m| m[1].parse::<u32>().ok());
            let attempt = match (remaining, self.old_chain) {
                (Some(k), Some((a, prev))) if k.checked_add(1) == Some(prev) => {
                    Some(a.saturating_add(1))
                }
                (Some(k), _) => Some(2u32.saturating_sub(k) + 1),
                (None, Some((a, 1))) if what.contains("no more retries") => {
                    Some(a.saturating_add(1))
                }
                (None, _) if what.contains("not retryable") => Some(1),
                _ => None,
            };
            self.old_chain = match (remaining, attempt) {
                (Some(k), Some(a)) => Some((a, k)),
                _ => None,
            };
            r.attempt = attempt;
        } else {
            self.old_chain = None;
        }
        let rest = c.name("rest").map_or("", |m| m.as_str());
        let mut depth = InspectDepth::default();
        let closed = depth.feed(rest);
        self.hold(Kind::OldResponse, Stage::Object(depth), r, None, line);
        if let Some(h) = &mut self.held {
            h.claude = Some(true);
            h.text = format!("{rest}\n");
        }
        if closed {
            return Some(self.finish_now(sink));
        }
        Some(Claim::Relevant)
    }

    /// An error string anywhere in the line: `Error: 429 {...}`, `RateLimitError: 529 {...}`,
    /// `APIConnectionError: Connection error.`, `TypeError: fetch failed`, a bare `429 {...}`.
    fn error_line(&mut self, line: &str, lineno: u64) -> Claim {
        let mut found: Option<(Said, usize)> = None;
        let mut sdk_words = false;
        for (class, msg, msg_start) in ts_errors(line) {
            if msg.is_empty() {
                continue;
            }
            sdk_words = matches!(
                class,
                "APIConnectionError" | "APIConnectionTimeoutError" | "APIUserAbortError"
            ) || msg.starts_with("Connection error.")
                || msg.starts_with("Request timed out")
                || msg.starts_with("Request was aborted");
            let said = if class == "error" {
                // Bun prints `error: The socket connection was closed unexpectedly`.
                if msg.starts_with("The socket connection was closed") {
                    transport_message(msg)
                } else {
                    None
                }
            } else if class == "FetchError" {
                // node-fetch: `request to URL failed, reason: socket hang up`.
                msg.strip_prefix("request to ").and_then(|m| {
                    let (url, reason) = m.split_once(" failed, reason: ")?;
                    let mut s = transport_message(reason).unwrap_or(Said {
                        error_type: Some("connection_error".into()),
                        ..Said::default()
                    });
                    s.message = Some(one_line(&format!("Connection error. (cause: {reason})")));
                    s.claude = mentions_claude_host(url);
                    if !s.claude && url.contains("://") {
                        return None;
                    }
                    Some(s)
                })
            } else {
                sdk_message(msg)
            };
            if let Some(s) = said {
                found = Some((s, msg_start));
                break;
            }
        }
        // `"type` is in every match: the literal first, as the regex (ending in `.*$`) is
        // searched backwards from the end of the line.
        if found.is_none() && line.contains("\"type") {
            if let Some(c) = TS_BARE.captures(line) {
                if let Ok(status) = c[1].parse::<u16>() {
                    let body = c.get(2).map_or("", |m| m.as_str());
                    let start = c.get(1).map_or(0, |m| m.start());
                    found = Some((
                        Said::from_body(Some(status), lenient_body(body), body),
                        start,
                    ));
                }
            }
        }
        let Some((said, at)) = found else {
            return Claim::NotMine;
        };
        let mut r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
        r.line = Some(lineno);
        r.stamp = api::leading_stamp(line);
        r.evidence = Evidence::Exception;
        let claude = said.claude;
        // A body cut at the end of the line continues on the next ones.
        let tail = line.get(at..).unwrap_or("");
        let body_start = tail.find(['{', '[']);
        let mut body = None;
        if let Some(bs) = body_start {
            let mut scanner = JsonScanner::default();
            let piece = &tail[bs..];
            if scanner.feed(piece).is_none() && scanner.is_open() {
                body = Some((tail.to_string(), scanner));
            }
        }
        said.apply(&mut r);
        self.hold(
            Kind::Exception,
            Stage::Exception { body, block: None },
            r,
            None,
            line,
        );
        if let Some(h) = &mut self.held {
            if claude {
                h.claude = Some(true);
            }
            h.sdk_words = sdk_words || h.record.http_status.is_some();
        }
        Claim::Relevant
    }
}

impl TsParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink, marks: &Marks) -> Claim {
        if self.held.is_some() {
            if let Some(claim) = self.continue_held(line, sink) {
                return claim;
            }
        }
        self.fresh(line, lineno, sink, marks)
    }

    fn busy(&self) -> bool {
        self.held.is_some()
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.finish_held(sink);
        self.resolve_deferred(None, false, u64::MAX, sink);
    }

    /// A retry named the vendor of chain `root` (`None`: the end of the input): its held
    /// connection failures are Claude's or noise. Failures waiting too long go too.
    fn resolve_deferred(&mut self, root: Option<&str>, claude: bool, lineno: u64, sink: &mut Sink) {
        let mut i = 0;
        while i < self.deferred.len() {
            let (id, _, _, at) = &self.deferred[i];
            let mine = root.is_none_or(|r| r == id);
            if !mine && lineno.saturating_sub(*at) <= DEFER_SPAN {
                i += 1;
                continue;
            }
            let (_, r, lines, _) = self.deferred.remove(i);
            if mine && claude {
                sink.push(r);
            } else {
                sink.relevant_lines_were_noise(lines);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Go SDK.

/// The strings a Go SDK line holds.
const GO_PATTERNS: [&str; 6] = [
    " \"http",
    "received error while streaming",
    "Request Content:",
    "Response Content:",
    "looking for beginning of value",
    // logrus / zap text: the error string quoted again (`error="POST \"https://...\": 429 ..."`).
    " \\\"http",
];

static GO_API: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"\b(GET|POST|PUT|PATCH|DELETE|HEAD) "(https?://[^"\s]+)": (\d{3}) (.*)$"#)
});
static GO_TRANSPORT: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"\b(Get|Post|Put|Patch|Delete|Head) "(https?://[^"\s]+)": (.+)$"#));

/// Go's `http.StatusText` for the statuses the API returns (529 has none).
fn go_status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[derive(Debug)]
enum GoDump {
    Request {
        path: Option<String>,
        host: Option<String>,
        retry_count: Option<u32>,
        body: bool,
    },
    Response {
        record: Box<Record>,
        body: bool,
        claude_hint: bool,
    },
}

struct GoHeld {
    dump: GoDump,
    lines: u64,
    bytes: usize,
}

/// What the last `Request Content:` dump said about the call its response answers.
#[derive(Debug, Default, Clone)]
struct GoRequest {
    /// The endpoint when the request went to the Claude API; `None` for another host.
    endpoint: Option<String>,
    model: Option<String>,
    attempt: Option<u32>,
    line: u64,
}

#[derive(Default)]
pub(crate) struct GoParser {
    held: Option<GoHeld>,
    last_request: Option<GoRequest>,
    pending_model: Option<String>,
    /// The model of the last request dump and its line, for the error string that follows.
    last_model: Option<(String, u64)>,
}

fn starts_with_go_stamp(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 20
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[0].is_ascii_digit()
}

impl GoParser {
    fn continue_held(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let h = self.held.as_mut()?;
        if starts_with_go_stamp(line) || h.lines >= MAX_LINES || h.bytes >= MAX_BYTES {
            self.finish_held(sink);
            return None;
        }
        h.lines += 1;
        h.bytes += line.len();
        let offset = h.lines - 1;
        let t = line.trim_end_matches('\r');
        match &mut h.dump {
            GoDump::Request {
                path,
                host,
                retry_count,
                body,
            } => {
                if *body {
                    if t.trim_start().starts_with('{') {
                        if let Some(m) = api::model_of_request(t.trim()) {
                            self.pending_model = Some(m);
                        }
                    }
                } else if t.is_empty() {
                    *body = true;
                } else if path.is_none() {
                    *path = t.split(' ').nth(1).map(str::to_string);
                } else if let Some((name, value)) = t.split_once(": ") {
                    if name.eq_ignore_ascii_case("host") {
                        *host = Some(value.trim().to_string());
                    } else if name.eq_ignore_ascii_case("x-stainless-retry-count") {
                        *retry_count = value.trim().parse().ok();
                    }
                }
                Some(Claim::Relevant)
            }
            GoDump::Response {
                record,
                body,
                claude_hint,
            } => {
                if *body {
                    let tt = t.trim();
                    let data = tt.strip_prefix("data: ").unwrap_or(tt);
                    if data.starts_with('{') && is_anthropic_envelope(data) {
                        let said = Said::from_body(record.http_status, lenient_body(data), data);
                        record.outcome = Outcome::Failure;
                        *claude_hint = true;
                        said.apply(record);
                    } else if tt.is_empty() && record.outcome == Outcome::Failure {
                        self.finish_held(sink);
                    }
                } else if t.is_empty() {
                    *body = true;
                } else if record.http_status.is_none() {
                    // `HTTP/1.1 429 Too Many Requests`
                    let status = t.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok());
                    record.http_status = status;
                    if status.is_some_and(|s| s >= 400) {
                        record.outcome = Outcome::Failure;
                        // The failure starts at its status line, under `Response Content:`.
                        record.line = record.line.map(|l| l + offset);
                    }
                } else if let Some((name, value)) = t.split_once(": ") {
                    let lname = name.to_ascii_lowercase();
                    if lname == "request-id" || lname.starts_with("anthropic-ratelimit") {
                        *claude_hint = true;
                    }
                    keep_header(record, name, value);
                }
                Some(Claim::Relevant)
            }
        }
    }

    fn finish_held(&mut self, sink: &mut Sink) {
        let Some(h) = self.held.take() else { return };
        match h.dump {
            GoDump::Request {
                path,
                host,
                retry_count,
                ..
            } => {
                let path = path.unwrap_or_default();
                let endpoint = match &host {
                    Some(host) => {
                        api::claude_endpoint(&format!("https://{host}{path}"), &sink.opts.api_paths)
                    }
                    None => api::endpoint_of(&path, &sink.opts.api_paths),
                };
                if endpoint.is_none() {
                    sink.relevant_lines_were_noise(h.lines);
                }
                let line = self.last_request.as_ref().map_or(0, |r| r.line);
                let model = self.pending_model.take();
                if let Some(m) = &model {
                    self.last_model = Some((m.clone(), line));
                }
                self.last_request = Some(GoRequest {
                    endpoint,
                    model,
                    attempt: retry_count.and_then(|n| n.checked_add(1)),
                    line,
                });
            }
            GoDump::Response {
                mut record,
                claude_hint,
                ..
            } => {
                let at = record.line.unwrap_or(0);
                let context = self
                    .last_request
                    .take()
                    .filter(|r| at.saturating_sub(r.line) <= MAX_LINES);
                let claude = match &context {
                    Some(req) => req.endpoint.is_some(),
                    None => claude_hint,
                };
                if !claude || record.http_status.is_none() {
                    sink.relevant_lines_were_noise(h.lines);
                    return;
                }
                let req = context.unwrap_or_default();
                record.endpoint = req.endpoint.or_else(|| Some("/v1/messages".into()));
                record.model = req.model;
                record.attempt = req.attempt;
                record.provider = Some("anthropic".into());
                sink.push(*record);
            }
        }
    }
}

impl GoParser {
    fn feed(&mut self, raw: &str, lineno: u64, sink: &mut Sink, marks: &Marks) -> Claim {
        if self.held.is_some() {
            if let Some(claim) = self.continue_held(raw, sink) {
                return claim;
            }
        }
        let Some(first) = marks.first(Group::Go) else {
            return Claim::NotMine;
        };
        let line = api::strip_ansi(raw);
        let line = line.as_ref();
        match first {
            2 | 3 => {
                let t = line.trim_end();
                if t.ends_with("Request Content:") {
                    self.last_request = Some(GoRequest {
                        line: lineno,
                        ..GoRequest::default()
                    });
                    self.held = Some(GoHeld {
                        dump: GoDump::Request {
                            path: None,
                            host: None,
                            retry_count: None,
                            body: false,
                        },
                        lines: 1,
                        bytes: line.len(),
                    });
                    return Claim::Relevant;
                }
                if t.ends_with("Response Content:") {
                    let mut r = Record::new(SourceKind::SdkGo, Outcome::Success);
                    r.line = Some(lineno);
                    r.stamp = api::leading_stamp(line);
                    r.evidence = Evidence::Whole;
                    self.held = Some(GoHeld {
                        dump: GoDump::Response {
                            record: Box::new(r),
                            body: false,
                            claude_hint: false,
                        },
                        lines: 1,
                        bytes: line.len(),
                    });
                    return Claim::Relevant;
                }
                Claim::NotMine
            }
            4 => {
                // The SDK got a body that is not JSON (an HTML page or plain text from a proxy);
                // `invalid character '}'` and the like are config files, not responses.
                static NOT_JSON: LazyLock<Regex> = LazyLock::new(|| {
                    regex(r"invalid character '(?:<|[A-Za-z])' looking for beginning of value")
                });
                if !NOT_JSON.is_match(line) || !api::mentions_claude(line) {
                    return Claim::NotMine;
                }
                let mut r = Record::new(SourceKind::SdkGo, Outcome::Failure);
                r.line = Some(lineno);
                r.stamp = api::leading_stamp(line);
                r.evidence = Evidence::Exception;
                r.error_type = Some("sdk_error".into());
                r.provider = Some("anthropic".into());
                let start = line.find("invalid character").unwrap_or(0);
                r.message = Some(one_line(&format!(
                    "response body is not JSON: {}",
                    line.get(start..).unwrap_or("")
                )));
                sink.push(r);
                Claim::Relevant
            }
            1 => {
                let Some(i) = line.find("received error while streaming:") else {
                    return Claim::NotMine;
                };
                let body = line
                    .get(i + "received error while streaming:".len()..)
                    .unwrap_or("");
                if !is_anthropic_envelope(body) {
                    return Claim::NotMine;
                }
                let mut r = Record::new(SourceKind::SdkGo, Outcome::Failure);
                r.line = Some(lineno);
                r.stamp = api::leading_stamp(line);
                r.evidence = Evidence::Exception;
                r.provider = Some("anthropic".into());
                Said::from_body(Some(200), lenient_body(body), body).apply(&mut r);
                r.http_status = Some(200);
                sink.push(r);
                Claim::Relevant
            }
            5 => {
                let unquoted = line.replace("\\\"", "\"");
                self.error_string(&unquoted, lineno, sink)
            }
            _ => self.error_string(line, lineno, sink),
        }
    }

    fn busy(&self) -> bool {
        self.held.is_some()
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.finish_held(sink);
    }
}

impl GoParser {
    fn recent_model(&self, lineno: u64) -> Option<String> {
        self.last_model
            .as_ref()
            .filter(|(_, at)| lineno.saturating_sub(*at) <= 2 * MAX_LINES)
            .map(|(m, _)| m.clone())
    }

    /// `POST "URL": 429 Too Many Requests (Request-ID: ...) {...}` and `Post "URL": <net error>`.
    fn error_string(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        match go_error(line, &sink.opts.api_paths) {
            GoError::Record(mut r) => {
                r.line = Some(lineno);
                r.stamp = api::leading_stamp(line);
                if r.model.is_none() {
                    r.model = self.recent_model(lineno);
                }
                sink.push(*r);
                Claim::Relevant
            }
            GoError::OtherHost => Claim::Noise,
            GoError::None => Claim::NotMine,
        }
    }
}

/// What a Go SDK error string says.
pub(crate) enum GoError {
    Record(Box<Record>),
    /// The same shape about another host.
    OtherHost,
    None,
}

/// `POST "URL": 429 Too Many Requests (Request-ID: ...) {...}` (`*apierror.Error`) and
/// `Post "URL": <net error>` (`*url.Error`), anywhere in a text. The record has no line.
pub(crate) fn go_error(text: &str, extra: &[Regex]) -> GoError {
    if let Some(c) = GO_API.captures(text) {
        let url = &c[2];
        let Some(endpoint) = api::claude_endpoint(url, extra) else {
            return GoError::OtherHost;
        };
        let Ok(status) = c[3].parse::<u16>() else {
            return GoError::None;
        };
        let mut rest = c.get(4).map_or("", |m| m.as_str());
        let status_text = go_status_text(status);
        if !status_text.is_empty() {
            rest = rest.strip_prefix(status_text).unwrap_or(rest);
        }
        let rest = rest.trim_start();
        let mut r = Record::new(SourceKind::SdkGo, Outcome::Failure);
        r.evidence = Evidence::Exception;
        r.http_status = Some(status);
        r.provider = Some(api::provider_of_url(url).to_string());
        r.model = api::model_of_path(&endpoint);
        r.endpoint = Some(endpoint);
        let body = match rest.strip_prefix("(Request-ID: ") {
            Some(after) => {
                let (id, body) = after.split_once(')').unwrap_or((after, ""));
                r.request_id = Some(id.trim().to_string());
                body.trim_start()
            }
            None => rest,
        };
        if status < 400 && !is_anthropic_envelope(body) {
            return GoError::OtherHost;
        }
        if !body.is_empty() {
            let said = if body.starts_with('{') || body.starts_with('[') {
                Said::from_body(Some(status), lenient_body(body), body)
            } else {
                Said {
                    message: Some(api::plain_text(body)),
                    ..Said::default()
                }
            };
            said.apply(&mut r);
        }
        r.http_status = Some(status);
        return GoError::Record(Box::new(r));
    }
    if let Some(c) = GO_TRANSPORT.captures(text) {
        let url = &c[2];
        let Some(endpoint) = api::claude_endpoint(url, extra) else {
            return GoError::OtherHost;
        };
        let err = c[3].trim();
        let kind = if err.contains("context canceled") {
            "client_closed"
        } else {
            transport_kind(err).unwrap_or("connection_error")
        };
        let kind = if kind == "stream_error" {
            "connection_error"
        } else {
            kind
        };
        let mut r = Record::new(SourceKind::SdkGo, Outcome::Failure);
        r.evidence = Evidence::Exception;
        r.error_type = Some(kind.into());
        r.message = Some(one_line(err));
        r.provider = Some(api::provider_of_url(url).to_string());
        r.model = api::model_of_path(&endpoint);
        r.endpoint = Some(endpoint);
        return GoError::Record(Box::new(r));
    }
    GoError::None
}

// ---------------------------------------------------------------------------------------------
// Java SDK.

/// The strings a Java SDK line holds.
const JAVA_PATTERNS: [&str; 3] = ["com.anthropic.errors.", "--> ", "<-- "];
static JAVA_ERROR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"com\.anthropic\.errors\.(\w+)(?:: (.*))?$"));
static JAVA_REQUEST: LazyLock<Regex> =
    LazyLock::new(|| regex(r"--> (GET|POST|PUT|PATCH|DELETE) (https?://\S+)(?: \(.*\))?\s*$"));
static JAVA_RESPONSE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"<-- (\d{3})(?: [^(]*?)?(?: (https?://\S+))? \(([^)]*)\)\s*$"));
static JAVA_FAILURE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"<-- !! (\w+)(?:: (.*?))? \(([^)]*)\)\s*$"));

/// A Kotlin `Map.toString()` error body (`{type=error, error={type=rate_limit_error,
/// message=...}, request_id=req_...}`), read with the known keys as anchors since values are
/// not quoted and may hold commas.
pub(crate) fn kotlin_map_body(text: &str) -> ErrorBody {
    static TYPE: LazyLock<Regex> =
        LazyLock::new(|| regex(r"error=\{(?:[^{}]*?, )?type=([A-Za-z_]+)"));
    static REQUEST: LazyLock<Regex> = LazyLock::new(|| regex(r"request_id=(req_[A-Za-z0-9]+)"));
    let mut b = ErrorBody {
        error_type: TYPE.captures(text).map(|c| c[1].to_string()),
        request_id: REQUEST.captures(text).map(|c| c[1].to_string()),
        ..ErrorBody::default()
    };
    if let Some(i) = text.find("message=") {
        let tail = &text[i + "message=".len()..];
        let end = [
            tail.find("}, request_id="),
            tail.find(", details="),
            tail.find(", type="),
            tail.rfind("}}"),
            tail.rfind('}'),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(tail.len());
        let m = tail[..end].trim();
        if !m.is_empty() {
            b.message = Some(one_line(m));
        }
    }
    b
}

struct JavaHeld {
    record: Record,
    /// A `<--` response block (headers and body follow) rather than a stack trace.
    response: bool,
    lines: u64,
    bytes: usize,
    claude: bool,
}

#[derive(Default)]
pub(crate) struct JavaParser {
    held: Option<JavaHeld>,
    /// The last `--> METHOD url`: its endpoint when a Claude call, and its line.
    last_request: Option<(Option<String>, u64)>,
    /// A `<-- !! AnthropicIoException: Request failed` line waits for the stack trace the
    /// application prints next, which names the cause (a timeout or a reset).
    pending: Option<Record>,
    /// The start of the last line that began with a date (logback, log4j): the stack trace
    /// and the SDK's own stderr lines carry no time of their own.
    last_prefix: Option<(u64, [u8; 32], usize)>,
}

fn java_cause_kind(cause: &str) -> Option<&'static str> {
    if cause.contains("SocketTimeoutException")
        || cause.contains("InterruptedIOException")
        || cause.contains("HttpTimeoutException")
        || cause.contains("TimeoutException")
    {
        return Some("client_timeout");
    }
    if cause.contains("UnknownHostException")
        || cause.contains("ConnectException")
        || cause.contains("SSLException")
        || cause.contains("SSLHandshakeException")
        || cause.contains("SocketException")
        || cause.contains("EOFException")
        || cause.contains("StreamResetException")
        || cause.contains("ConnectionShutdownException")
    {
        return Some("connection_error");
    }
    None
}

/// How far a stack trace may come after the `<-- !!` line it explains.
const JAVA_PENDING_LINES: u64 = 20;

impl JavaParser {
    /// The time of a line, or of the dated line just before it.
    fn stamp_for(&self, line: &str, lineno: u64) -> Option<crate::record::Stamp> {
        api::leading_stamp(line).or_else(|| {
            let (at, buf, len) = self.last_prefix.as_ref()?;
            if lineno.saturating_sub(*at) > 20 {
                return None;
            }
            api::leading_stamp(std::str::from_utf8(&buf[..*len]).ok()?)
        })
    }

    fn remember_prefix(&mut self, line: &str, lineno: u64) {
        let b = line.as_bytes();
        if b.len() >= 19 && b[0].is_ascii_digit() && b[4] == b'-' && b[7] == b'-' {
            let mut buf = [0u8; 32];
            let mut n = b.len().min(32);
            while !line.is_char_boundary(n) {
                n -= 1;
            }
            buf[..n].copy_from_slice(&b[..n]);
            self.last_prefix = Some((lineno, buf, n));
        }
    }

    fn flush_pending(&mut self, sink: &mut Sink) {
        if let Some(r) = self.pending.take() {
            sink.push(r);
        }
    }

    fn continue_held(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let h = self.held.as_mut()?;
        if h.lines >= MAX_LINES || h.bytes >= MAX_BYTES {
            self.finish_held(sink);
            return None;
        }
        let t = api::without_collector_prefix(line).trim_end_matches('\r');
        let tt = t.trim_start();
        if h.response {
            if tt.starts_with("<-- END HTTP") {
                h.lines += 1;
                self.finish_held(sink);
                return Some(Claim::Relevant);
            }
            if tt.starts_with("-->") || tt.starts_with("<--") || api::leading_stamp(t).is_some() {
                self.finish_held(sink);
                return None;
            }
            h.lines += 1;
            h.bytes += t.len();
            let data = tt.strip_prefix("data: ").unwrap_or(tt);
            if data.starts_with('{') {
                if is_anthropic_envelope(data) {
                    h.claude = true;
                    h.record.outcome = Outcome::Failure;
                    let status = h.record.http_status;
                    Said::from_body(status, lenient_body(data), data).apply(&mut h.record);
                }
            } else if let Some((name, value)) = tt.split_once(": ") {
                if name.eq_ignore_ascii_case("request-id")
                    || name.starts_with("anthropic-ratelimit")
                {
                    h.claude = true;
                }
                keep_header(&mut h.record, name, value);
            }
            return Some(Claim::Relevant);
        }
        // A stack trace: frames, `Caused by:` and `... N more`.
        let indented = t.len() > tt.len();
        if (indented
            && (tt.starts_with("at ") || tt.starts_with("... ") || tt.starts_with("Suppressed: ")))
            || tt.starts_with("Caused by: ")
        {
            h.lines += 1;
            h.bytes += t.len();
            if let Some(cause) = tt.strip_prefix("Caused by: ") {
                if h.record.http_status.is_none() && !cause.contains("com.anthropic.errors.") {
                    if let Some(kind) = java_cause_kind(cause) {
                        if kind == "client_timeout" || h.record.error_type.is_none() {
                            h.record.error_type = Some(kind.into());
                        }
                    }
                    let base = h.record.message.clone().unwrap_or_default();
                    h.record.message = Some(one_line(&format!("{base} (cause: {cause})")));
                }
            }
            return Some(Claim::Relevant);
        }
        self.finish_held(sink);
        None
    }

    fn finish_held(&mut self, sink: &mut Sink) {
        let Some(h) = self.held.take() else { return };
        if !h.claude {
            sink.relevant_lines_were_noise(h.lines);
            return;
        }
        if !h.response && h.record.http_status.is_none() {
            // The trace explains the `<-- !!` line just before: one attempt, told twice.
            if let Some(mut p) = self.pending.take() {
                let here = h.record.line.unwrap_or(0);
                if here.saturating_sub(p.line.unwrap_or(0)) <= JAVA_PENDING_LINES {
                    // Let the trace's kind win when the sink joins the two (it keeps the
                    // first value of each field).
                    if h.record.error_type.as_deref() == Some("client_timeout") {
                        p.error_type = None;
                    }
                }
                sink.push(p);
            }
        } else {
            self.flush_pending(sink);
        }
        sink.push(h.record);
    }

    fn exception(&mut self, line: &str, lineno: u64) -> Claim {
        let Some(mut r) = java_error(line) else {
            return Claim::NotMine;
        };
        r.line = Some(lineno);
        r.stamp = self.stamp_for(line, lineno);
        self.held = Some(JavaHeld {
            record: r,
            response: false,
            lines: 1,
            bytes: line.len(),
            claude: true,
        });
        Claim::Relevant
    }
}

/// `com.anthropic.errors.XxxException: NNN: {body}` (JSON, Kotlin map or `Unknown`),
/// `SseException: ...`, `AnthropicIoException: Request failed|Stream failed`, anywhere in a
/// text; `None` for the SDK's client-side errors. The record has no line.
pub(crate) fn java_error(text: &str) -> Option<Record> {
    let c = JAVA_ERROR.captures(text)?;
    let class = &c[1];
    let msg = c.get(2).map_or("", |m| m.as_str()).trim();
    let mut r = Record::new(SourceKind::SdkJava, Outcome::Failure);
    r.evidence = Evidence::Exception;
    r.provider = Some("anthropic".into());
    let b = msg.as_bytes();
    let status_prefix = b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b':';
    if status_prefix || class == "SseException" {
        let (status, body) = if status_prefix {
            (msg[..3].parse::<u16>().ok(), msg[4..].trim())
        } else {
            (Some(200), msg)
        };
        r.http_status = status;
        if body.starts_with('{') || body.starts_with('[') {
            let parsed = if body.starts_with("{\"") || body.starts_with('[') {
                lenient_body(body)
            } else {
                kotlin_map_body(body)
            };
            Said::from_body(status, parsed, body).apply(&mut r);
            r.http_status = status;
        } else if !body.is_empty() && body != "Unknown" {
            r.message = Some(one_line(body));
        }
    } else if class == "AnthropicIoException" || class.ends_with("IoException") {
        r.error_type = Some(
            if msg.starts_with("Stream failed") {
                "stream_error"
            } else {
                "connection_error"
            }
            .into(),
        );
        r.message = Some(one_line(if msg.is_empty() {
            "Request failed"
        } else {
            msg
        }));
    } else if class.contains("Retryable") || class.contains("Timeout") {
        r.error_type = Some(
            if class.contains("Timeout") || msg.to_ascii_lowercase().contains("timeout") {
                "client_timeout"
            } else {
                "connection_error"
            }
            .into(),
        );
        r.message = Some(one_line(msg));
    } else {
        // AnthropicInvalidDataException and other client-side errors: no API call failed.
        return None;
    }
    Some(r)
}

impl JavaParser {
    fn feed(&mut self, raw: &str, lineno: u64, sink: &mut Sink, marks: &Marks) -> Claim {
        if self.held.is_some() {
            if let Some(claim) = self.continue_held(raw, sink) {
                return claim;
            }
        }
        if self
            .pending
            .as_ref()
            .is_some_and(|p| lineno.saturating_sub(p.line.unwrap_or(0)) > JAVA_PENDING_LINES)
        {
            self.flush_pending(sink);
        }
        let Some(first) = marks.first(Group::Java) else {
            self.remember_prefix(raw, lineno);
            return Claim::NotMine;
        };
        let line = api::strip_ansi(raw);
        let line = line.as_ref();
        match first {
            0 => self.exception(line, lineno),
            1 => {
                if let Some(c) = JAVA_REQUEST.captures(line) {
                    self.flush_pending(sink);
                    let endpoint = api::claude_endpoint(&c[2], &sink.opts.api_paths);
                    let claude = endpoint.is_some();
                    self.last_request = Some((endpoint, lineno));
                    return if claude {
                        Claim::Relevant
                    } else {
                        Claim::Noise
                    };
                }
                if line.contains("--> END ") {
                    return match self.last_request {
                        Some((Some(_), _)) => Claim::Relevant,
                        _ => Claim::Noise,
                    };
                }
                Claim::NotMine
            }
            _ => {
                let context = self
                    .last_request
                    .clone()
                    .filter(|(_, at)| lineno.saturating_sub(*at) <= 2 * MAX_LINES);
                if let Some(c) = JAVA_FAILURE.captures(line) {
                    let Some((Some(endpoint), _)) = context else {
                        return Claim::Noise;
                    };
                    self.flush_pending(sink);
                    let class = &c[1];
                    let msg = c.get(2).map_or("", |m| m.as_str());
                    let mut r = Record::new(SourceKind::SdkJava, Outcome::Failure);
                    r.line = Some(lineno);
                    r.stamp = self.stamp_for(line, lineno);
                    r.evidence = Evidence::Whole;
                    r.provider = Some("anthropic".into());
                    r.latency_ms = api::duration_ms(&c[3]);
                    r.error_type = Some(
                        java_cause_kind(class)
                            .unwrap_or(if msg.starts_with("Stream failed") {
                                "stream_error"
                            } else {
                                "connection_error"
                            })
                            .into(),
                    );
                    r.message = Some(one_line(&format!("{class}: {msg}")));
                    r.endpoint = Some(endpoint);
                    self.pending = Some(r);
                    return Claim::Relevant;
                }
                if let Some(c) = JAVA_RESPONSE.captures(line) {
                    self.flush_pending(sink);
                    let own = c
                        .get(2)
                        .map(|u| api::claude_endpoint(u.as_str(), &sink.opts.api_paths));
                    let endpoint = match own {
                        Some(e) => e,
                        None => context.and_then(|(e, _)| e),
                    };
                    let Ok(status) = c[1].parse::<u16>() else {
                        return Claim::Bad("java: status is not a number");
                    };
                    let mut r = Record::new(
                        SourceKind::SdkJava,
                        if status >= 400 {
                            Outcome::Failure
                        } else {
                            Outcome::Success
                        },
                    );
                    r.line = Some(lineno);
                    r.stamp = self.stamp_for(line, lineno);
                    r.evidence = Evidence::Whole;
                    r.provider = Some("anthropic".into());
                    r.http_status = Some(status);
                    let timing = c[3].split(',').next().unwrap_or("");
                    r.latency_ms = api::duration_ms(timing);
                    let claude = endpoint.is_some();
                    r.endpoint = endpoint.or_else(|| Some("/v1/messages".into()));
                    self.held = Some(JavaHeld {
                        record: r,
                        response: true,
                        lines: 1,
                        bytes: line.len(),
                        claude,
                    });
                    return Claim::Relevant;
                }
                Claim::NotMine
            }
        }
    }

    fn busy(&self) -> bool {
        self.held.is_some()
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.finish_held(sink);
        self.flush_pending(sink);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON log lines (pino, winston, bunyan) holding an SDK error.

/// A JSON log record whose error (`err`/`error` object with `message`/`stack`, or a `msg`)
/// is a Claude API failure printed by the TypeScript SDK.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let Some(map) = v.as_object() else {
        return Claim::NotMine;
    };
    fn str_of<'v>(x: Option<&'v Value>, k: &str) -> Option<&'v str> {
        x.and_then(|x| x.get(k)).and_then(Value::as_str)
    }
    // pino/bunyan `err`, winston `error`: objects with `message` and `stack`.
    let err = ["err", "error"]
        .iter()
        .find_map(|k| map.get(*k).filter(|e| e.is_object()));
    // The texts that may hold an SDK error: the error's message or stack, the log message,
    // a Go `err`/`error` string, a Java `stack_trace`.
    let mut texts: Vec<&str> = Vec::with_capacity(4);
    texts.extend(str_of(err, "message"));
    for k in [
        "err",
        "error",
        "msg",
        "message",
        "stack_trace",
        "exception",
        "stack",
    ] {
        texts.extend(map.get(k).and_then(Value::as_str));
    }
    texts.extend(str_of(err, "stack"));
    let stamp = ["time", "timestamp", "@timestamp", "ts"]
        .iter()
        .find_map(|k| match map.get(*k) {
            Some(Value::String(s)) => crate::time::iso(s),
            Some(Value::Number(n)) => n.as_f64().and_then(crate::time::epoch_seconds),
            _ => None,
        });
    for text in texts {
        let first = text.lines().next().unwrap_or("");
        let record = if first.contains("com.anthropic.errors.") {
            java_error(first)
        } else if first.contains(" \"http") {
            match go_error(first, &sink.opts.api_paths) {
                GoError::Record(r) => Some(*r),
                GoError::OtherHost => return Claim::NotMine,
                GoError::None => None,
            }
        } else if foreign_to_ts(first) {
            None
        } else {
            ts_record(first, text, err)
        };
        if let Some(mut r) = record {
            at.place(&mut r);
            r.stamp = stamp;
            sink.push(r);
            return Claim::Relevant;
        }
    }
    Claim::NotMine
}

/// A TypeScript SDK failure told by a JSON log record: the message alone (`429 {...}`), the
/// whole `Error: 429 {...}` string, or a status and body after the application's own words;
/// `err` (pino's serialized error) may add the request id and headers.
fn ts_record(first: &str, text: &str, err: Option<&Value>) -> Option<Record> {
    let said = sdk_message(first)
        .or_else(|| ts_errors(first).find_map(|(_, msg, _)| sdk_message(msg)))
        .or_else(|| {
            let c = TS_BARE.captures(first)?;
            let body = c.get(2)?.as_str();
            Some(Said::from_body(c[1].parse().ok(), lenient_body(body), body))
        })?;
    let stack = err
        .and_then(|e| e.get("stack"))
        .and_then(Value::as_str)
        .unwrap_or(text);
    let request_id = err
        .and_then(|e| e.get("requestID"))
        .and_then(Value::as_str)
        .filter(|id| id.starts_with("req_"));
    let sdk_frames = stack.contains("@anthropic-ai/sdk") || stack.contains("Anthropic.");
    let claude = said.claude || sdk_frames || request_id.is_some();
    if !claude {
        return None;
    }
    let mut r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
    r.evidence = Evidence::Exception;
    r.provider = Some("anthropic".into());
    r.request_id = request_id.map(str::to_string);
    if let Some(h) = err
        .and_then(|e| e.get("headers"))
        .and_then(Value::as_object)
    {
        for (n, val) in h {
            if let Some(val) = val.as_str() {
                keep_header(&mut r, n, val);
            }
        }
    }
    said.apply(&mut r);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, ScanOptions};
    use super::*;

    fn scan(text: &str) -> super::super::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn sdk_messages() {
        let s = sdk_message(r#"429 {"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"},"request_id":"req_011CYb3Nd5QpWk7Ls2Xc9Vh4"}"#).unwrap();
        assert_eq!(s.http_status, Some(429));
        assert_eq!(s.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(
            s.request_id.as_deref(),
            Some("req_011CYb3Nd5QpWk7Ls2Xc9Vh4")
        );
        assert!(s.claude);
        let s = sdk_message("400 status code (no body)").unwrap();
        assert_eq!((s.http_status, s.claude), (Some(400), false));
        let s = sdk_message("429 Too many requests, please wait before trying again.").unwrap();
        assert_eq!(s.provider, Some("bedrock"));
        let s = sdk_message(r#"429 [{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]"#).unwrap();
        assert_eq!(s.provider, Some("vertex"));
        assert_eq!(s.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        let s = sdk_message(r#"{"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"}}"#).unwrap();
        assert_eq!(s.http_status, Some(200));
        assert_eq!(s.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(
            sdk_message("Request timed out.")
                .unwrap()
                .error_type
                .as_deref(),
            Some("client_timeout")
        );
        assert_eq!(
            sdk_message("terminated").unwrap().error_type.as_deref(),
            Some("stream_error")
        );
        assert!(sdk_message("ENOENT: no such file or directory").is_none());
        assert!(sdk_message("200 OK").is_none());
    }

    #[test]
    fn ts_info_lines_count_attempts_through_retry_of() {
        let s = scan(concat!(
            "[log_3f2a1c, request-id: \"req_011CXq4LmNp8RsTu2VwX9yZa\"] post https://api.anthropic.com/v1/messages failed with status 529 in 1843ms - retrying, 2 attempts remaining\n",
            "[log_8b90de, retryOf: log_3f2a1c, request-id: \"req_011CXq4Mb7Vc6Xd5Ze4Af3Bg\"] post https://api.anthropic.com/v1/messages failed with status 529 in 1710ms - retrying, 1 attempts remaining\n",
            "[log_8b90df, retryOf: log_3f2a1c] post https://api.anthropic.com/v1/messages succeeded with status 200 in 912ms\n",
            "[log_aaaaaa] post https://api.openai.com/v1/chat/completions failed with status 429 in 12ms - error; not retryable\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].attempt, Some(1));
        assert_eq!(s.failures[1].attempt, Some(2));
        assert_eq!(s.failures[1].latency_ms, Some(1710));
        assert_eq!(
            s.failures[1].request_id.as_deref(),
            Some("req_011CXq4Mb7Vc6Xd5Ze4Af3Bg")
        );
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn ts_exception_with_frames_and_block_is_one_record() {
        let s = scan(concat!(
            "2025-10-02T16:20:11.123Z error summarize failed RateLimitError: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CWa9dVh2KsLm4Tq8yPz1N\"}\n",
            "    at APIError.generate (/app/node_modules/@anthropic-ai/sdk/core/error.js:60:20)\n",
            "    at process.processTicksAndRejections (node:internal/process/task_queues:105:5) {\n",
            "  status: 429,\n",
            "  headers: {\n",
            "    'retry-after': '9',\n",
            "    'request-id': 'req_011CWa9dVh2KsLm4Tq8yPz1N'\n",
            "  },\n",
            "  requestID: 'req_011CWa9dVh2KsLm4Tq8yPz1N',\n",
            "  error: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }\n",
            "}\n",
            "done\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.header("retry-after"), Some("9"));
        assert_eq!(f.line, Some(1));
        assert!(f.stamp.is_some());
        assert_eq!(s.lines.relevant, 11);
    }

    #[test]
    fn bare_transport_errors_need_claude_context() {
        let s = scan(concat!(
            "Error: read ECONNRESET\n",
            "    at TLSWrap.onStreamRead (node:internal/stream_base_commons:218:20)\n",
            "TypeError: fetch failed\n",
            "    at node:internal/deps/undici/undici:13502:13\n",
            "    at async Anthropic.fetchWithTimeout (/app/node_modules/@anthropic-ai/sdk/client.js:510:18) {\n",
            "  [cause]: SocketError: other side closed\n",
            "      at TLSSocket.onSocketEnd (node:internal/deps/undici/undici:6142:26) {\n",
            "    code: 'UND_ERR_SOCKET'\n",
            "  }\n",
            "}\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("connection_error"));
        assert!(
            f.message.as_deref().unwrap().contains("other side closed"),
            "{:?}",
            f.message
        );
        assert_eq!(s.lines.noise, 2);
    }

    #[test]
    fn old_debug_lines_with_doubled_error() {
        let s = scan(concat!(
            "Anthropic:DEBUG:request https://api.anthropic.com/v1/messages { method: 'post', path: '/v1/messages', body: { model: 'claude-3-5-sonnet-20241022', max_tokens: 1024 } } { 'x-api-key': 'sk-ant-api03-FAKE' }\n",
            "Anthropic:DEBUG:response (error; retrying, 2 attempts remaining) 429 https://api.anthropic.com/v1/messages { 'retry-after': '9', 'request-id': 'req_011CA' }\n",
            "Anthropic:DEBUG:response (error; retrying, 1 attempts remaining) 429 https://api.anthropic.com/v1/messages { 'request-id': 'req_011CB' }\n",
            "Anthropic:DEBUG:response (error; (error; no more retries left)) 529 https://api.anthropic.com/v1/messages {\n",
            "  'request-id': 'req_011CC',\n",
            "  'x-should-retry': 'true'\n",
            "} undefined\n",
        ));
        assert_eq!(s.failures.len(), 3);
        assert_eq!(
            s.failures[0].model.as_deref(),
            Some("claude-3-5-sonnet-20241022")
        );
        assert_eq!(s.failures[0].request_id.as_deref(), Some("req_011CA"));
        assert_eq!(
            s.failures.iter().map(|f| f.attempt).collect::<Vec<_>>(),
            vec![Some(1), Some(2), Some(3)]
        );
        assert_eq!(s.failures[2].header("x-should-retry"), Some("true"));
    }

    #[test]
    fn go_error_strings() {
        let s = scan(concat!(
            "2025/08/19 12:34:56 POST \"https://api.anthropic.com/v1/messages\": 429 Too Many Requests (Request-ID: req_011CYb3Nd5QpWk7Ls2Xc9Vh4) {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}\n",
            "POST \"https://api.anthropic.com/v1/messages\": 529  {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "POST \"https://api.anthropic.com/v1/messages\": 200 OK (Request-ID: req_2) {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "Post \"https://api.anthropic.com/v1/messages\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)\n",
            "Post \"https://hooks.slack.com/services/x\": dial tcp: lookup hooks.slack.com: no such host\n",
        ));
        assert_eq!(s.failures.len(), 4);
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("req_011CYb3Nd5QpWk7Ls2Xc9Vh4")
        );
        assert_eq!(s.failures[1].effective_status(), Some(529));
        assert_eq!(s.failures[2].effective_status(), Some(529));
        assert_eq!(s.failures[2].http_status, Some(200));
        assert_eq!(s.failures[3].error_type.as_deref(), Some("client_timeout"));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn java_kotlin_map_and_json() {
        let b = kotlin_map_body("{type=error, error={type=rate_limit_error, message=Number of tokens has exceeded your per-minute rate limit, see headers}, request_id=req_011CJ}");
        assert_eq!(b.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(
            b.message.as_deref(),
            Some("Number of tokens has exceeded your per-minute rate limit, see headers")
        );
        assert_eq!(b.request_id.as_deref(), Some("req_011CJ"));
        let s = scan(concat!(
            "com.anthropic.errors.InternalServerException: 529: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "\tat com.anthropic.core.handlers.ErrorHandler.handle(ErrorHandler.kt:48)\n",
            "com.anthropic.errors.AnthropicIoException: Request failed\n",
            "\tat com.anthropic.client.okhttp.OkHttpClient.execute(OkHttpClient.kt:60)\n",
            "Caused by: java.net.SocketTimeoutException: timeout\n",
            "\t... 12 more\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("overloaded_error")
        );
        assert_eq!(s.failures[1].error_type.as_deref(), Some("client_timeout"));
        assert_eq!(s.lines.relevant, 6);
    }
}

#[cfg(test)]
mod sample_tests {
    use super::super::{parse_text, ScanOptions};
    use crate::record::Record;

    fn summary(f: &Record) -> (Option<u16>, Option<&str>, Option<&str>, Option<u32>) {
        (
            f.effective_status(),
            f.error_type.as_deref(),
            f.request_id.as_deref(),
            f.attempt,
        )
    }

    #[test]
    fn node_service_sample() {
        let s = parse_text(
            include_str!("../../samples/app/node-service.log"),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s.failures.iter().map(summary).collect();
        for f in &s.failures {
            eprintln!(
                "{:?} {:?} {:?} {:?} {:?} {:?}",
                f.line,
                f.effective_status(),
                f.error_type,
                f.request_id,
                f.attempt,
                f.message
            );
        }
        let want = vec![
            (
                Some(529),
                None,
                Some("req_011CXq4LmNp8RsTu2VwX9yZa"),
                Some(1),
            ),
            (
                Some(529),
                None,
                Some("req_011CXq4Mb7Vc6Xd5Ze4Af3Bg"),
                Some(2),
            ),
            (
                Some(529),
                Some("overloaded_error"),
                Some("req_011CXq4Nc8Wd7Ye6Af5Bg4Ch"),
                Some(3),
            ),
            (
                Some(429),
                None,
                Some("req_011CWb2Ek4Lm6Np8Qr0St2Uv"),
                Some(1),
            ),
            (Some(529), Some("overloaded_error"), None, None),
            (None, Some("connection_error"), None, Some(1)),
            (None, Some("client_timeout"), None, Some(2)),
            (None, Some("connection_error"), None, Some(3)),
            (None, Some("client_timeout"), None, None),
            (None, Some("connection_error"), None, None),
            (None, Some("stream_error"), None, None),
            (None, Some("client_timeout"), None, None),
            (None, Some("client_closed"), None, None),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CWc4Gn6Op8Qr0St2Uv4Wx"),
                None,
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CWd5Ho7Pq9Rs1Tu3Vw5Xy"),
                None,
            ),
            (Some(400), None, None, None),
            (Some(429), None, None, None),
        ];
        assert_eq!(got, want);
        assert_eq!(s.successes.values().sum::<u64>(), 2);
        let f = &s.failures;
        assert_eq!(f[3].model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(f[3].header("retry-after"), Some("14"));
        assert_eq!(
            f[3].header("anthropic-ratelimit-input-tokens-remaining"),
            Some("0")
        );
        assert_eq!(f[4].http_status, Some(200));
        assert_eq!(
            f[7].message.as_deref(),
            Some("Connection error. (cause: read ECONNRESET)")
        );
        assert_eq!(f[14].header("retry-after"), Some("21"));
        assert_eq!(f[16].provider.as_deref(), Some("bedrock"));
        assert_eq!(
            s.lines.read,
            s.lines.relevant + s.lines.noise + s.lines.unparseable
        );
    }
}

#[cfg(test)]
mod old_sample_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn node_old_sdk_sample() {
        let s = parse_text(
            include_str!("../../samples/app/node-old-sdk.log"),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.request_id.as_deref(),
                    f.attempt,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some(429),
                    None,
                    Some("req_01FAKEo1dSdkRetry00000001"),
                    Some(1)
                ),
                (
                    Some(529),
                    None,
                    Some("req_01FAKEo1dSdkRetry00000002"),
                    Some(2)
                ),
                (
                    Some(529),
                    Some("overloaded_error"),
                    Some("req_01FAKEo1dSdkRetry00000003"),
                    Some(3)
                ),
                (
                    Some(400),
                    Some("invalid_request_error"),
                    Some("req_01FAKEo1dSdkBadReq000001"),
                    Some(1)
                ),
                (None, Some("connection_error"), None, None),
                (None, Some("client_timeout"), None, None),
            ]
        );
        assert_eq!(
            s.failures[0].model.as_deref(),
            Some("claude-3-5-sonnet-20241022")
        );
        assert_eq!(s.failures[0].header("retry-after"), Some("9"));
        assert_eq!(
            s.failures[3].model.as_deref(),
            Some("claude-3-5-haiku-20241022")
        );
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        // The API key in the request headers never reaches a record.
        for f in &s.failures {
            assert!(!format!("{f:?}").contains("sk-ant"), "{f:?}");
        }
    }
}

#[cfg(test)]
mod go_sample_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn go_service_sample() {
        let s = parse_text(
            include_str!("../../samples/app/go-service.log"),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.request_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some(429),
                    Some("rate_limit_error"),
                    Some("req_011CSg1FakeGoDump000000001")
                ),
                (
                    Some(529),
                    Some("overloaded_error"),
                    Some("req_011CSg2FakeGo529000000001")
                ),
                (
                    Some(400),
                    Some("invalid_request_error"),
                    Some("req_011CSg3FakeGo400000000001")
                ),
                (Some(401), Some("authentication_error"), None),
                (Some(529), Some("overloaded_error"), None),
                (
                    Some(529),
                    Some("overloaded_error"),
                    Some("req_011CSg4FakeGoStream0000001")
                ),
                (Some(500), Some("api_error"), None),
                (None, Some("client_timeout"), None),
                (None, Some("connection_error"), None),
                (None, Some("connection_error"), None),
                (None, Some("sdk_error"), None),
            ]
        );
        let f = &s.failures[0];
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(f.attempt, Some(1));
        assert_eq!(f.header("retry-after"), Some("7"));
        assert_eq!(
            f.header("anthropic-ratelimit-requests-remaining"),
            Some("0")
        );
        assert_eq!(s.failures[5].http_status, Some(200));
        assert!(s.failures.iter().all(|f| f.stamp.is_some()));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(
            s.lines.read,
            s.lines.relevant + s.lines.noise + s.lines.unparseable
        );
    }
}

#[cfg(test)]
mod java_sample_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn java_service_sample() {
        let s = parse_text(
            include_str!("../../samples/app/java-service.log"),
            &ScanOptions::default(),
        );
        for f in &s.failures {
            eprintln!(
                "{:?} {:?} {:?} {:?} {:?}",
                f.line,
                f.effective_status(),
                f.error_type,
                f.request_id,
                f.message
            );
        }
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.request_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(429), None, None),
                (Some(529), None, None),
                (
                    Some(529),
                    Some("overloaded_error"),
                    Some("req_011CJavaFake529000000003")
                ),
                (
                    Some(400),
                    Some("invalid_request_error"),
                    Some("req_011CJavaFake400000000001")
                ),
                (Some(429), Some("rate_limit_error"), None),
                (Some(429), None, None),
                (
                    Some(403),
                    Some("permission_error"),
                    Some("req_011CJavaFake403000000001")
                ),
                (Some(529), Some("overloaded_error"), None),
                (None, Some("client_timeout"), None),
                (None, Some("stream_error"), None),
            ]
        );
        let f = &s.failures;
        assert_eq!(f[0].latency_ms, Some(1834));
        assert_eq!(f[1].latency_ms, Some(2101));
        assert_eq!(f[3].header("x-should-retry"), Some("false"));
        assert_eq!(
            f[4].message
                .as_deref()
                .map(|m| m.starts_with("Number of request tokens")),
            Some(true)
        );
        assert_eq!(f[7].http_status, Some(200));
        assert_eq!(f[8].latency_ms, Some(30012));
        assert!(f[8]
            .message
            .as_deref()
            .unwrap()
            .contains("SocketTimeoutException"));
        assert!(f.iter().all(|f| f.stamp.is_some()));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(
            s.lines.read,
            s.lines.relevant + s.lines.noise + s.lines.unparseable
        );
    }
}

#[cfg(test)]
mod tolerance_tests {
    use super::super::{parse_text, ScanOptions};

    fn scan(text: &str) -> super::super::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn pino_and_winston_json_lines() {
        let s = scan(concat!(
            r#"{"level":50,"time":1759422011123,"pid":1,"hostname":"api-7f9c","err":{"type":"RateLimitError","message":"429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CPinoFake0000000001\"}","stack":"Error: 429 ...\n    at APIError.generate (/app/node_modules/@anthropic-ai/sdk/core/error.js:60:20)","status":429,"headers":{"retry-after":"9"},"requestID":"req_011CPinoFake0000000001"},"msg":"summarize failed"}"#,
            "\n",
            r#"{"level":"error","message":"claude call failed: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}","timestamp":"2025-10-02T16:20:11.123Z"}"#,
            "\n",
            r#"{"level":"error","message":"db call failed: Error: read ECONNRESET","timestamp":"2025-10-02T16:20:12.000Z"}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("req_011CPinoFake0000000001")
        );
        assert_eq!(s.failures[0].header("retry-after"), Some("9"));
        assert!(s.failures[0].stamp.is_some());
        assert_eq!(s.failures[1].effective_status(), Some(529));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn raw_node_errors_in_a_service_named_claude_stay_noise() {
        let s = scan(concat!(
            "2025-10-02T16:20:11Z ERROR [claude-sync] redis: Error: read ECONNRESET\n",
            "2025-10-02T16:20:12Z ERROR [claude-sync] summarize failed: APIConnectionError: Connection error.\n",
            "2025/08/19 12:37:00 claude: config reload failed: invalid character '}' looking for beginning of object key string\n",
            "2025/08/19 12:37:01 claude: messages.New: invalid character '<' looking for beginning of value\n",
        ));
        let kinds: Vec<_> = s.failures.iter().map(|f| f.error_type.as_deref()).collect();
        assert_eq!(kinds, vec![Some("connection_error"), Some("sdk_error")]);
        assert_eq!(s.failures[0].line, Some(2));
    }

    #[test]
    fn ansi_colours_and_container_prefixes() {
        let s = scan(concat!(
            "api-1  | \u{1b}[31m2025-10-02T16:20:11.123Z ERROR\u{1b}[39m summarize failed RateLimitError: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}\r\n",
            "api-1  |     at APIError.generate (/app/node_modules/@anthropic-ai/sdk/core/error.js:60:20)\r\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("rate_limit_error")
        );
    }
}

#[cfg(test)]
mod collector_prefix_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn frames_under_docker_prefix_give_context() {
        let s = parse_text(
            concat!(
                "api-1  | 2025-10-02T16:20:11.123Z ERROR TypeError: fetch failed\n",
                "api-1  |     at node:internal/deps/undici/undici:13502:13\n",
                "api-1  |     at async Anthropic.fetchWithTimeout (/app/node_modules/@anthropic-ai/sdk/client.js:510:18) {\n",
                "api-1  |   [cause]: Error: read ECONNRESET\n",
                "api-1  | }\n",
                "api-1  | 2025-10-02T16:20:12.000Z INFO next\n",
            ),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(
            s.failures[0].message.as_deref(),
            Some("fetch failed (cause: read ECONNRESET)")
        );
        assert_eq!(s.lines.relevant, 5);
    }
}

#[cfg(test)]
mod no_panic_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn broken_and_odd_lines_never_panic() {
        let pieces = [
            "[log_", "[log_abcdef] post", "[log_abcdef, retryOf: log_] connection failed (", "Anthropic:DEBUG:response (", "Anthropic:DEBUG:request https://api.anthropic.com/v1/messages {",
            "Error: ", "Error: 4", "Error: 429 {", "Error: 429 {\"type\":\"error\",\"error\":{", "RateLimitError: 529 [", "    at x {", "  [cause]: ", "}", "{",
            "POST \"https://api.anthropic.com/v1/messages\": ", "POST \"https://api.anthropic.com/v1/messages\": 529", "Post \"https://api.anthropic.com/v1/messages\": ",
            "Response Content:", "Request Content:", "HTTP/1.1", "com.anthropic.errors.", "com.anthropic.errors.RateLimitException: 429:", "<-- ", "<-- !! X ()", "--> POST",
            "⎿  API Error (", "API Error:", "API Error: 400 {\"ty", "API error · Retrying in", "⎿  TypeError (", "Claude AI usage limit reached|", "You've hit your limit",
            "2026-06-23T15:57:59.225Z [ERROR] API error (attempt 1/11): ", "2026-06-23T15:57:59.225Z [", "2026-06-03 15:02:24.293 [info] From claude: ",
            "[{\"error\":", "[{\"error\":\"Error: 529\",\"timestamp\":1}]", "[GIN] 2025/02/21 - 19:30:16 |", "[GIN] 2025/02/21 - 19:30:16 | x | 429 | é | ip | POST",
            "[ERR] 2025/10/02 - 16:20:11 | id | relay error (channel #7, status code: 529): body: {", "error happened, status code: 429, response: ",
            "[DEBUG] 2025/02/21 - 19:30:17 | id | error happened, status code: 529, response: {\"a\":",
            "2025/12/27 21:36:26 Account 12: upstream error 529, retry 1/3 after", "Upstream error (retry exhausted): Account=1 Status=500 Body={",
            "é⎿·…", "\u{1b}[", "\u{1b}]0;title", "ÿÿÿ Error: ❤", "{\"type\":\"error\",\"error\":{\"type\":\"upstream_error\"}}",
        ];
        let mut text = String::new();
        for (i, a) in pieces.iter().enumerate() {
            for b in pieces.iter().skip(i % 7).step_by(5) {
                text.push_str(a);
                text.push_str(b);
                text.push('\n');
                text.push_str(a);
                text.push('\n');
            }
        }
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(
            s.lines.read,
            s.lines.relevant + s.lines.noise + s.lines.unparseable
        );
        // Truncated input in the middle of every multi-line record.
        for cut in (0..text.len()).step_by(97) {
            if text.is_char_boundary(cut) {
                let s = parse_text(&text[..cut], &ScanOptions::default());
                assert_eq!(
                    s.lines.read,
                    s.lines.relevant + s.lines.noise + s.lines.unparseable
                );
            }
        }
    }
}

#[cfg(test)]
mod structured_log_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn go_slog_and_java_logstash_json() {
        let s = parse_text(
            concat!(
                r#"{"time":"2025-08-19T12:31:02.114Z","level":"ERROR","msg":"triage failed","ticket":4411,"err":"POST \"https://api.anthropic.com/v1/messages\": 529  (Request-ID: req_011CSlogFake529000001) {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}"#,
                "\n",
                r#"{"time":"2025-08-19T12:31:03.000Z","level":"ERROR","msg":"notify failed","err":"Post \"https://hooks.slack.com/services/x\": context deadline exceeded"}"#,
                "\n",
                r#"{"@timestamp":"2025-10-02T16:20:11.123+02:00","message":"reply failed","logger_name":"c.e.ReplyService","level":"ERROR","stack_trace":"com.anthropic.errors.RateLimitException: 429: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}\n\tat com.anthropic.core.handlers.ErrorHandler.handle(ErrorHandler.kt:58)\n"}"#,
                "\n",
            ),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.source_kind.as_str(),
                    f.effective_status(),
                    f.request_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("sdk_go", Some(529), Some("req_011CSlogFake529000001")),
                ("sdk_java", Some(429), None),
            ]
        );
        assert!(s.failures.iter().all(|f| f.stamp.is_some()));
    }
}

#[cfg(test)]
mod logfmt_tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn logrus_text_with_quoted_error() {
        let s = parse_text(
            "time=\"2025-08-19T12:34:56Z\" level=error msg=\"claude call failed\" error=\"POST \\\"https://api.anthropic.com/v1/messages\\\": 429 Too Many Requests (Request-ID: req_011CLogrusFake0000001) {\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"rate_limit_error\\\",\\\"message\\\":\\\"Rate limited\\\"}}\"\n",
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.request_id.as_deref(), Some("req_011CLogrusFake0000001"));
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
    }
}

#[cfg(test)]
mod mixed_sample_tests {
    use super::super::{parse_text, ScanOptions};

    /// The line samples of this family pasted one after the other: no parser takes another's
    /// lines, and nothing joins across them.
    #[test]
    fn samples_side_by_side() {
        let files = [
            include_str!("../../samples/app/node-service.log"),
            include_str!("../../samples/app/node-old-sdk.log"),
            include_str!("../../samples/app/go-service.log"),
            include_str!("../../samples/app/java-service.log"),
            include_str!("../../samples/claude-code/terminal.txt"),
            include_str!("../../samples/claude-code/debug.txt"),
            include_str!("../../samples/claude-code/bug-report.md"),
            include_str!("../../samples/gateway/one-api.log"),
            include_str!("../../samples/gateway/new-api.log"),
            include_str!("../../samples/gateway/sub2api.log"),
        ];
        let opts = ScanOptions::default();
        let mut failures = 0;
        let mut successes = 0;
        let mut all = String::new();
        for f in files {
            let s = parse_text(f, &opts);
            failures += s.failures.len();
            successes += s.successes.values().sum::<u64>();
            all.push_str(f);
            if !f.ends_with('\n') {
                all.push('\n');
            }
            // Far apart, as separate files would be.
            all.push_str(&"filler line\n".repeat(50));
        }
        let s = parse_text(&all, &opts);
        assert_eq!(s.failures.len(), failures);
        assert_eq!(s.successes.values().sum::<u64>(), successes);
    }
}

/// The shared marker pass finds each group's words exactly where a search for that group's
/// words alone would (the parsers used to run one each). Panics where it does not; for the
/// sample test below and the fuzz `scan` check.
pub(crate) fn marks_agree(line: &str) {
    static ALONE: LazyLock<Vec<(Group, AhoCorasick)>> = LazyLock::new(|| {
        let groups: [(Group, &[&str]); 8] = [
            (Group::Ts, &TS_PATTERNS),
            (Group::Go, &GO_PATTERNS),
            (Group::Java, &JAVA_PATTERNS),
            (Group::Terminal, &super::claude_code::TERMINAL_PATTERNS),
            (Group::Gateway, &super::gateways::GATEWAY_PATTERNS),
            (Group::Python, &super::python::PYTHON_TRIGGERS),
            (Group::Cloud, &super::clouds::CLOUD_TRIGGERS),
            (Group::Litellm, &super::litellm::LITELLM_TRIGGERS),
        ];
        groups
            .iter()
            .map(|(g, words)| (*g, AhoCorasick::new(*words).expect("static patterns")))
            .collect()
    });
    let m = marks(line);
    for (g, ac) in ALONE.iter() {
        // The first word of the group, as the group alone finds it first.
        let first = ac.find_overlapping_iter(line).next();
        assert_eq!(
            m.first(*g),
            first.map(|h| h.pattern().as_usize()),
            "{g:?}: {line:?}"
        );
    }
}

#[cfg(test)]
mod marker_pass_tests {
    use super::marks_agree;

    /// [`marks_agree`] on every line of the samples.
    #[test]
    fn one_pass_finds_what_each_group_would_find_alone() {
        let lines = super::super::sample_lines();
        for line in &lines {
            marks_agree(line);
        }
        let lines = lines.len();
        assert!(lines > 1000, "{lines} sample lines");
    }
}
