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

use super::api::{
    endpoint_of, error_body, google_status_error_type, mentions_claude, model_of_path,
    other_vendor_url, path_of, plain_text, provider_of_url, stamp_near_start, strip_ansi,
    ErrorBody,
};
use super::json::Position;
use super::{clouds, har, litellm, pyrepr, Claim, LineParser, Sink};
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

/// Bounds of one multi-line record.
const MAX_TRACEBACK_LINES: u64 = 200;
const MAX_TRACEBACK_BYTES: usize = 256 * 1024;
/// Lines a held transport failure waits for its traceback or final exception.
const PENDING_SPAN: u64 = 30;

pub(crate) fn parsers() -> Vec<Box<dyn LineParser>> {
    vec![Box::new(PythonParser::default())]
}

/// Cheap test for "might be mine": one pass over the line.
/// Words that a line of this format holds (one of); also part of the shared per-line pass
/// (`Sink::marks`).
pub(crate) const PYTHON_TRIGGERS: [&str; 25] = [
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

static TRIGGERS: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(PYTHON_TRIGGERS).expect("static automaton"));

/// A substring searcher for a literal, built once: `str::find` builds one per call, which
/// cost more than the search on the lines this parser sees.
macro_rules! finder {
    ($lit:expr) => {{
        static FINDER: LazyLock<memchr::memmem::Finder<'static>> =
            LazyLock::new(|| memchr::memmem::Finder::new($lit));
        &*FINDER
    }};
}

/// Whether `line` holds a literal, with the literal's searcher built once.
macro_rules! has {
    ($hay:expr, $lit:expr) => {
        finder!($lit).find($hay.as_bytes()).is_some()
    };
}

/// `HTTP Request: POST https://... "HTTP/1.1 529 <reason>"` (httpx's INFO line).
struct HttpxLine<'l> {
    url: &'l str,
    status: u16,
}

/// `HTTP Response: POST https://... "529 <reason>" Headers({...})` (SDK debug line).
struct ResponseLine<'l> {
    url: &'l str,
    status: u16,
    headers: Option<&'l str>,
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
fn httpx_line(line: &str) -> Option<HttpxLine<'_>> {
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
fn response_line(line: &str) -> Option<ResponseLine<'_>> {
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
fn sending_line(line: &str) -> Option<&str> {
    const MARK: &str = "Sending HTTP Request: ";
    finder!(MARK)
        .find_iter(line.as_bytes())
        .find_map(|at| method_url(&line[at + MARK.len()..]).map(|(url, _)| url))
}

/// `(?:^|[\s\]:-])request_id: (?P<id>\S+)\s*$`: the id.
fn request_id_line(line: &str) -> Option<&str> {
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
/// `anthropic.RateLimitError: ...`, `anthropic._exceptions.OverloadedError: ...`.
static MODULE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])anthropic\.(?:_exceptions\.)?(?P<class>[A-Z]\w*): ?(?P<rest>.*)$")
        .expect("static regex")
});
/// `RateLimitError('Error code: 429 - ...')` (repr) or `RateLimitError: ...` (no module).
static BARE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])(?P<class>[A-Z]\w*(?:Error|Exception))(?P<sep>\(|: ?)")
        .expect("static regex")
});
static ERROR_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w])Error code: (?P<status>\d{3})(?: - (?P<body>.*))?$")
        .expect("static regex")
});
/// What a record's surroundings say about it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Context {
    /// The text or its traceback frames name the anthropic package or a Claude model.
    pub anthropic: bool,
    /// Frames or text of the AnthropicBedrock / AnthropicVertex clients.
    pub bedrock: bool,
    pub vertex: bool,
    /// The file already showed Anthropic SDK activity.
    pub seen_anthropic: bool,
}

impl Context {
    fn of_text(text: &str) -> Context {
        Context {
            anthropic: mentions_claude(text),
            // The client or the host, not any word: a `[bedrock-worker]` thread name says
            // little.
            bedrock: text.contains("AnthropicBedrock") || text.contains("bedrock-runtime"),
            vertex: text.contains("AnthropicVertex") || text.contains("aiplatform.googleapis.com"),
            seen_anthropic: false,
        }
    }
}

/// What the class name alone says: the status the SDK maps it from, or the error type of an
/// error that had no status.
struct ClassInfo {
    status: Option<u16>,
    error_type: Option<&'static str>,
    /// Only the anthropic package has a class of this name.
    anthropic_only: bool,
}

fn class_info(class: &str) -> Option<ClassInfo> {
    let (status, error_type, anthropic_only) = match class {
        "BadRequestError" => (Some(400), None, false),
        "AuthenticationError" => (Some(401), None, false),
        "PermissionDeniedError" => (Some(403), None, false),
        "NotFoundError" => (Some(404), None, false),
        "ConflictError" => (Some(409), None, false),
        "RequestTooLargeError" => (Some(413), None, true),
        "UnprocessableEntityError" => (Some(422), None, false),
        "RateLimitError" => (Some(429), None, false),
        "InternalServerError" => (Some(500), None, false),
        "OverloadedError" => (Some(529), None, true),
        // AnthropicBedrock / AnthropicVertex only.
        "ServiceUnavailableError" => (Some(503), None, true),
        "DeadlineExceededError" => (Some(504), None, true),
        "GatewayTimeoutError" => (Some(504), None, true),
        "APIStatusError" => (None, None, false),
        "APIConnectionError" => (None, Some("connection_error"), false),
        "APITimeoutError" => (None, Some("client_timeout"), false),
        "APIResponseValidationError" => (None, Some("sdk_error"), false),
        "APIError" => (None, None, false),
        "AnthropicError" => (None, Some("sdk_error"), true),
        _ => return None,
    };
    Some(ClassInfo {
        status,
        error_type,
        anthropic_only,
    })
}

fn new_record(outcome: Outcome, evidence: Evidence) -> Record {
    let mut r = Record::new(SourceKind::SdkPython, outcome);
    r.provider = Some("anthropic".into());
    r.evidence = evidence;
    r
}

/// The record of an HTTP exchange the SDK logged (httpx line, debug response line).
fn http_record(url: &str, endpoint: String, status: u16, evidence: Evidence) -> Record {
    let ok = (200..300).contains(&status);
    let mut r = new_record(
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        evidence,
    );
    r.http_status = Some(status).filter(|s| *s > 0);
    r.provider = Some(provider_of_url(url).into());
    r.model = model_of_path(&endpoint);
    r.endpoint = Some(endpoint);
    r
}

/// Read a body the SDK printed after `Error code: N - ` (or alone, mid-stream): a dict repr,
/// sometimes JSON, sometimes cut short; anything else (an HTML page) is plain text.
fn read_body(body: &str) -> (ErrorBody, Option<Value>) {
    let t = body.trim();
    if t.starts_with("b'") || t.starts_with("b\"") {
        // The raw body as Python bytes (`response.content`): decoded, `\xc3\xa9` escapes
        // and all, then read as any body.
        if let Some((decoded, _)) = pyrepr::string_literal(t) {
            if !decoded.trim_start().starts_with("b'") {
                return read_body(&decoded);
            }
        }
    }
    if t.starts_with('{') || t.starts_with('[') {
        let value = pyrepr::parse_prefix(t)
            .map(|(v, _)| v)
            .ok()
            .or_else(|| {
                serde_json::Deserializer::from_str(t)
                    .into_iter::<Value>()
                    .next()
                    .and_then(Result::ok)
            })
            .or_else(|| pyrepr::parse_lenient(t).ok().map(|(v, _)| v));
        if let Some(v) = value.filter(|v| v.is_object() || v.is_array()) {
            return (error_body(&v), Some(v));
        }
    }
    let message = Some(plain_text(t)).filter(|m| !m.is_empty());
    (
        ErrorBody {
            message,
            ..ErrorBody::default()
        },
        None,
    )
}

/// Who answered, from the shape of the body: Google's envelope is Vertex, a bare
/// `{'message': ...}` is Bedrock.
fn provider_of_body(body: &Option<Value>, parsed: &ErrorBody) -> Option<&'static str> {
    let v = body.as_ref()?;
    let v = v.as_array().and_then(|a| a.first()).unwrap_or(v);
    if parsed.provider_code.is_some() && v.pointer("/error/status").is_some() {
        return Some("vertex");
    }
    if v.get("error").is_none() && (v.get("message").is_some() || v.get("Message").is_some()) {
        return Some("bedrock");
    }
    None
}

fn is_anthropic_envelope(body: &Option<Value>) -> bool {
    body.as_ref().is_some_and(|v| {
        v.get("type").and_then(Value::as_str) == Some("error") && v.get("error").is_some()
    })
}

/// The record an anthropic exception's text stands for. `class` is the class name when the
/// text came with one. Returns the record and whether its text alone shows it is Anthropic's.
fn from_exception_text(class: Option<&str>, text: &str, ctx: Context) -> Option<(Record, bool)> {
    let info = class.and_then(class_info);
    let text = text.trim();
    let mut r = new_record(Outcome::Failure, Evidence::Summary);
    let mut specific = info.as_ref().is_some_and(|i| i.anthropic_only);
    let mut body_value = None;
    let mut parsed = ErrorBody::default();
    if let Some(c) = ERROR_CODE
        .captures(text)
        .filter(|c| c.get(0).is_some_and(|m| m.start() <= 1))
    {
        r.http_status = c["status"].parse().ok();
        if let Some(body) = c.name("body") {
            let (p, v) = read_body(body.as_str());
            parsed = p;
            body_value = v;
        }
    } else if text.starts_with('{') {
        let (p, v) = read_body(text);
        parsed = p;
        body_value = Some(v?);
        // A mid-stream `error` event: the class follows the stream's status, 200.
        r.http_status = match &info {
            Some(i) if i.status.is_some() => i.status,
            _ => Some(200),
        };
    } else if text.starts_with("Connection error.") {
        r.error_type = Some("connection_error".into());
        r.message = Some(text.to_string());
    } else if text.starts_with("Request timed out") {
        r.error_type = Some("client_timeout".into());
        r.message = Some(text.to_string());
        specific |= text.contains("docs.anthropic.com") || text.contains("docs.claude.com");
    } else {
        let i = info.as_ref()?;
        if text.is_empty() && i.status.is_none() && i.error_type.is_none() {
            return None;
        }
        r.http_status = i.status;
        let message = if text.starts_with('<') {
            plain_text(text)
        } else {
            text.to_string()
        };
        if i.status == Some(500) {
            r.http_status = page_status(&message).or(r.http_status);
        }
        r.message = Some(message).filter(|m| !m.is_empty());
    }
    if let Some(i) = &info {
        if r.error_type.is_none() {
            r.error_type = i.error_type.map(str::to_string);
        }
        if r.http_status.is_none() && r.error_type.is_none() {
            r.http_status = i.status;
        }
    }
    let provider = provider_of_body(&body_value, &parsed)
        .or(if ctx.bedrock { Some("bedrock") } else { None })
        .or(if ctx.vertex { Some("vertex") } else { None });
    specific |= is_anthropic_envelope(&body_value);
    if let Some(p) = provider {
        r.provider = Some(p.into());
    }
    if body_value.is_some() || parsed.message.is_some() {
        r.error_type = parsed.error_type.or(r.error_type);
        if r.error_type.is_none() {
            if let Some(code) = parsed.provider_code.as_deref() {
                r.error_type = google_status_error_type(code).map(str::to_string);
            }
        }
        r.message = parsed.message.or(r.message);
        r.request_id = parsed.request_id;
        r.provider_code = parsed.provider_code;
        if r.http_status.is_none() {
            r.http_status = parsed.status;
        }
    }
    if r.model.is_none() {
        r.model = model_in_text(text);
    }
    if r.http_status.is_none() && r.error_type.is_none() {
        return None;
    }
    Some((r, specific))
}

/// A proxy's HTML error page names the real status in its title (`502 Bad Gateway`); the SDK
/// files every 5xx it cannot name under `InternalServerError`.
fn page_status(message: &str) -> Option<u16> {
    message
        .get(..3)
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|s| (500..600).contains(s))
}

/// An HTML page that goes on in the next lines (the SDK prints a non-JSON body raw).
fn open_html(text: &str) -> bool {
    (text.contains("<html") || text.contains("<!DOCTYPE") || text.contains("<!doctype"))
        && !text.contains("</html>")
}

/// A Claude model named in an error text (Vertex paths and base-model names, Bedrock ids).
pub(crate) fn model_in_text(text: &str) -> Option<String> {
    static MODEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"publishers/anthropic/models/(?P<v>[\w.@-]+)|base model: (?P<b>anthropic-claude[\w.-]*\w)|(?P<m>(?:(?:us|eu|apac|jp|au|global)\.)?anthropic\.claude-[\w.-]+(?::\d+)?)")
            .expect("static regex")
    });
    let c = MODEL.captures(text)?;
    c.name("v")
        .or(c.name("b"))
        .or(c.name("m"))
        .map(|m| m.as_str().to_string())
}

/// An anthropic exception anywhere in a line (or in the last line of a traceback). `None`
/// when the text is not one, or could be another SDK's (openai prints the same shapes).
pub(crate) fn anthropic_exception(text: &str, ctx: Context) -> Option<Record> {
    let foreign = text.contains("openai") || text.contains("OpenAI");
    let context_ok = (ctx.anthropic || mentions_claude(text)) && !foreign;
    // `anthropic.RateLimitError: ...`: the module says whose it is.
    // The literal first: a regex that ends in `.*$` is searched backwards from the end of the
    // line, whatever the line holds.
    let module_class = if has!(text, "anthropic.") {
        MODULE_CLASS.captures(text)
    } else {
        None
    };
    if let Some(c) = module_class {
        let class = c.name("class").map_or("", |m| m.as_str());
        if class_info(class).is_some() {
            let rest = c.name("rest").map_or("", |m| m.as_str());
            if let Some((r, _)) = from_exception_text(Some(class), rest, ctx) {
                return Some(r);
            }
        }
    }
    if foreign && !text.contains("anthropic") {
        return None;
    }
    // `RateLimitError('Error code: 429 - ...')` (repr) or `RateLimitError: Error code: ...`.
    for c in BARE_CLASS.captures_iter(text) {
        let class = c.name("class").map_or("", |m| m.as_str());
        if class_info(class).is_none() {
            continue;
        }
        let after = c.get(0).map_or(text.len(), |m| m.end());
        let message = if c.name("sep").is_some_and(|s| s.as_str() == "(") {
            let inner = text.get(after..).unwrap_or("");
            let Some((message, _)) = pyrepr::string_literal(inner) else {
                continue;
            };
            std::borrow::Cow::Owned(message)
        } else {
            std::borrow::Cow::Borrowed(text.get(after..).unwrap_or(""))
        };
        // Without the module, only the SDK's own message shapes say it is the SDK's (other
        // libraries have a `NotFoundError` too).
        let m = message.trim_start();
        if ![
            "Error code: ",
            "{",
            "Connection error.",
            "Request timed out",
        ]
        .iter()
        .any(|p| m.starts_with(p))
        {
            continue;
        }
        match from_exception_text(Some(class), m, ctx) {
            Some((r, specific)) if specific || context_ok => return Some(r),
            _ => {}
        }
    }
    // `Error code: 529 - {...}` without a class.
    let error_code = if has!(text, "Error code: ") {
        ERROR_CODE.captures(text)
    } else {
        None
    };
    if let Some(c) = error_code {
        let start = c.get(0).map_or(0, |m| m.start());
        let from = text[start..]
            .find("Error code: ")
            .map_or(start, |i| start + i);
        if let Some((r, specific)) = from_exception_text(None, &text[from..], ctx) {
            if specific || context_ok {
                return Some(r);
            }
        }
    }
    None
}

/// Failures that are not anthropic exceptions but happen to Claude calls only: the SDK's own
/// guards, a broken stream, a broken install. `anthropic_frames` says the traceback ran
/// through the anthropic package.
fn client_side_failure(text: &str, ctx: Context, anthropic_frames: bool) -> Option<Record> {
    let mut r = new_record(Outcome::Failure, Evidence::Summary);
    let from = |needle: &str| text.find(needle).map(|i| text[i..].trim().to_string());
    let streaming = has!(text, "Streaming is");
    if let Some(m) = streaming
        .then(|| {
            from("Streaming is required for operations that may take longer than 10 minutes")
                .or_else(|| {
                    from(
            "Streaming is strongly recommended for operations that may take longer than 10 minutes",
        )
                })
        })
        .flatten()
    {
        r.error_type = Some("sdk_error".into());
        r.message = Some(m);
        return Some(r);
    }
    if let Some(m) = has!(text, "Could not resolve authentication method")
        .then(|| from("Could not resolve authentication method"))
        .flatten()
    {
        r.error_type = Some("sdk_error".into());
        r.message = Some(m);
        return Some(r);
    }
    if has!(text, "No module named 'anthropic") || has!(text, "from 'anthropic") {
        r.error_type = Some("sdk_error".into());
        r.message = Some(exception_message(text));
        return Some(r);
    }
    let ours = anthropic_frames || ctx.anthropic || ctx.seen_anthropic || mentions_claude(text);
    if !ours {
        return None;
    }
    if has!(text, "RemoteProtocolError") {
        // Cut mid-body is a broken stream; cut before any response, a connection error.
        if has!(text, "incomplete chunked read") || has!(text, "peer closed connection") {
            r.error_type = Some("stream_error".into());
        } else if has!(text, "Server disconnected without sending a response") {
            r.error_type = Some("connection_error".into());
        } else {
            return None;
        }
        r.message = Some(exception_message(text));
        return Some(r);
    }
    if anthropic_frames && has!(text, "google.auth.exceptions.") {
        // AnthropicVertex could not get a Google token.
        r.error_type = Some("sdk_error".into());
        r.provider = Some("vertex".into());
        r.message = Some(text.trim().to_string());
        return Some(r);
    }
    if (anthropic_frames || mentions_claude(text))
        && has!(text, "unexpected keyword argument 'proxies'")
    {
        r.error_type = Some("sdk_error".into());
        r.message = Some(exception_message(text));
        return Some(r);
    }
    None
}

/// `module.Class: message` from wherever it starts in a line.
fn exception_message(text: &str) -> String {
    static HEAD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|\s)((?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Timeout): .*)$")
            .expect("static regex")
    });
    HEAD.captures(text)
        .and_then(|c| c.get(1))
        .map_or(text.trim(), |m| m.as_str().trim())
        .to_string()
}

/// One exception line of a traceback chain read by whichever module knows it.
fn exception_line_record(text: &str, ctx: Context, anthropic_frames: bool) -> Option<Record> {
    if text.contains("litellm.") {
        return litellm::exception_record(text);
    }
    if text.contains("An error occurred (")
        || text.contains("google.api_core")
        || text.contains("botocore")
        || text.contains("endpoint URL")
    {
        return clouds::exception_record(text, ctx.anthropic);
    }
    anthropic_exception(text, ctx).or_else(|| client_side_failure(text, ctx, anthropic_frames))
}

fn is_timeout_class(class: &str) -> bool {
    class.ends_with("Timeout")
        || class.ends_with("TimeoutException")
        || class.ends_with("TimeoutError")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TbState {
    Frames,
    AfterException,
    Blank,
    Marker,
}

/// A traceback being read, with its chained tracebacks.
#[derive(Debug)]
struct Traceback {
    start: u64,
    stamp: Option<Stamp>,
    /// A per-line prefix (container runtime, docker compose) to cut, by shape.
    prefix_len: usize,
    prefix_shape: Vec<u8>,
    state: TbState,
    exceptions: Vec<String>,
    /// The line each exception starts on: a failure sits where its error text is.
    exception_lines: Vec<u64>,
    lines: u64,
    relevant_lines: u64,
    bytes: usize,
    anthropic_frames: bool,
    ctx: Context,
    /// Printed by the SDK right after `Encountered ...`: detail for the held attempt.
    internal: bool,
}

enum TbStep {
    /// The line belongs to the traceback (relevant or a blank separator).
    Took(Claim),
    /// The traceback ended before this line.
    Ended,
}

fn shape(prefix: &[u8]) -> Vec<u8> {
    prefix
        .iter()
        .map(|b| if b.is_ascii_digit() { b'0' } else { *b })
        .collect()
}

impl Traceback {
    fn new(line: &str, at: usize, lineno: u64, stamp: Option<Stamp>) -> Traceback {
        let prefix = &line.as_bytes()[..at];
        let keep_prefix = !prefix.is_empty() && !prefix.iter().all(u8::is_ascii_whitespace);
        Traceback {
            start: lineno,
            stamp: stamp_near_start(line).or(stamp),
            prefix_len: if keep_prefix { at } else { 0 },
            prefix_shape: if keep_prefix {
                shape(prefix)
            } else {
                Vec::new()
            },
            state: TbState::Frames,
            exceptions: Vec::new(),
            exception_lines: Vec::new(),
            lines: 1,
            relevant_lines: 1,
            bytes: line.len(),
            anthropic_frames: false,
            ctx: Context::default(),
            internal: false,
        }
    }

    /// The line without the prefix the traceback's first line had.
    fn body<'l>(&self, line: &'l str) -> &'l str {
        if self.prefix_len > 0 && line.is_char_boundary(self.prefix_len) {
            if let Some(head) = line.as_bytes().get(..self.prefix_len) {
                if shape(head) == self.prefix_shape {
                    return &line[self.prefix_len..];
                }
            }
        }
        line
    }

    fn feed(&mut self, raw: &str) -> TbStep {
        if self.lines >= MAX_TRACEBACK_LINES || self.bytes + raw.len() > MAX_TRACEBACK_BYTES {
            return TbStep::Ended;
        }
        let line = self.body(raw);
        let trimmed = line.trim();
        let step = match self.state {
            TbState::Frames => {
                if line.starts_with([' ', '\t'])
                    || line.starts_with("> File")
                    || line.starts_with('│')
                {
                    self.frame(line);
                    TbStep::Took(Claim::Relevant)
                } else if trimmed.starts_with("Traceback (most recent call last):") {
                    TbStep::Took(Claim::Relevant)
                } else if trimmed.is_empty() {
                    TbStep::Ended
                } else {
                    self.exception(trimmed);
                    self.state = TbState::AfterException;
                    TbStep::Took(Claim::Relevant)
                }
            }
            TbState::AfterException | TbState::Blank | TbState::Marker => {
                if trimmed.is_empty() {
                    if self.state == TbState::AfterException {
                        self.state = TbState::Blank;
                    }
                    TbStep::Took(Claim::Noise)
                } else if trimmed.starts_with("The above exception was the direct cause")
                    || trimmed.starts_with("During handling of the above exception")
                {
                    self.state = TbState::Marker;
                    TbStep::Took(Claim::Relevant)
                } else if trimmed.starts_with("Traceback (most recent call last):") {
                    self.state = TbState::Frames;
                    TbStep::Took(Claim::Relevant)
                } else if self.state == TbState::AfterException
                    && (self.exceptions.last().is_some_and(|e| open_html(e))
                        || trimmed.starts_with("For more information check:")
                        || litellm::is_continuation(trimmed))
                {
                    if let Some(last) = self.exceptions.last_mut() {
                        last.push(' ');
                        last.push_str(trimmed);
                    }
                    TbStep::Took(Claim::Relevant)
                } else {
                    TbStep::Ended
                }
            }
        };
        if let TbStep::Took(claim) = step {
            self.lines += 1;
            self.bytes += raw.len();
            if claim == Claim::Relevant {
                self.relevant_lines += 1;
            }
        }
        step
    }

    fn frame(&mut self, line: &str) {
        if has!(line, "anthropic") {
            self.anthropic_frames = true;
            self.ctx.anthropic = true;
            if has!(line, "/lib/bedrock") {
                self.ctx.bedrock = true;
            }
            if has!(line, "/lib/vertex") {
                self.ctx.vertex = true;
            }
        } else if has!(line, "claude") || has!(line, "Claude") {
            self.ctx.anthropic = true;
        }
    }

    fn exception(&mut self, line: &str) {
        let lineno = self.start + self.lines;
        if self.exceptions.len() < 16 {
            self.exceptions.push(line.to_string());
            self.exception_lines.push(lineno);
        } else if let Some(last) = self.exceptions.last_mut() {
            *last = line.to_string();
            if let Some(at) = self.exception_lines.last_mut() {
                *at = lineno;
            }
        }
    }

    /// The record the whole chain stands for: the last exception any module reads decides;
    /// the exceptions before it explain a connection error.
    fn verdict(&self, seen_anthropic: bool) -> Option<Record> {
        let mut ctx = self.ctx;
        ctx.seen_anthropic = seen_anthropic;
        for text in &self.exceptions {
            if mentions_claude(text) {
                ctx.anthropic = true;
            }
        }
        for (i, text) in self.exceptions.iter().enumerate().rev() {
            let Some(mut r) = exception_line_record(text, ctx, self.anthropic_frames) else {
                continue;
            };
            if r.source_kind == SourceKind::SdkPython
                && matches!(
                    r.error_type.as_deref(),
                    Some("connection_error" | "client_timeout")
                )
                && r.http_status.is_none()
            {
                if let Some(cause) = root_cause(&self.exceptions[..i]) {
                    if is_timeout_class(cause.split(':').next().unwrap_or("")) {
                        r.error_type = Some("client_timeout".into());
                    }
                    let base = r.message.take().unwrap_or_default();
                    r.message = Some(format!("{base} ({cause})").trim().to_string());
                }
            }
            r.line = Some(self.exception_lines.get(i).copied().unwrap_or(self.start));
            r.stamp = self.stamp;
            r.evidence = Evidence::Exception;
            return Some(r);
        }
        None
    }
}

/// The transport exception under an SDK connection error: the last httpx one, else httpcore,
/// else the first one (a socket or ssl error).
fn root_cause(chain: &[String]) -> Option<String> {
    let pick = chain
        .iter()
        .rev()
        .find(|t| t.starts_with("httpx."))
        .or_else(|| chain.iter().rev().find(|t| t.starts_with("httpcore.")))
        .or_else(|| chain.first())?;
    let pick = pick.trim();
    Some(pick.strip_suffix(':').unwrap_or(pick).to_string()).filter(|p| !p.is_empty())
}

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
    traceback: Option<Traceback>,
    chain: RetryChain,
    pending: Option<Pending>,
    /// The SDK's own logger was seen, so retries are visible and attempts can be counted.
    sdk_logger: bool,
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
}

const PREV_HEAD: usize = 72;

impl PrevHead {
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
                TbStep::Took(claim) => return claim,
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
        if !sink.marks(line).has(super::sdks::Group::Python) {
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
            let Some(endpoint) = claude_endpoint(url, &sink.opts.api_paths) else {
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
            if logger == Logger::Foreign || endpoint_of(&c["path"], &sink.opts.api_paths).is_none()
            {
                return Claim::Noise;
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
        let Some(endpoint) = claude_endpoint(url, &sink.opts.api_paths) else {
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
            close_last_failure(sink);
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
        let Some(endpoint) = claude_endpoint(url, &sink.opts.api_paths) else {
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
                close_last_failure(sink);
                sink.push(r);
                return;
            }
        }
        self.flush_pending(sink);
        push_told(sink, r);
    }

    fn flush_pending(&mut self, sink: &mut Sink) {
        if let Some(p) = self.pending.take() {
            close_last_failure(sink);
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
            Some(r) => {
                if r.source_kind == SourceKind::SdkPython {
                    self.seen_anthropic = true;
                }
                self.push_exception(r, sink);
            }
            None => sink.relevant_lines_were_noise(tb.relevant_lines),
        }
    }
}

/// The SDK said a new attempt failed without a response: nothing joins it to the failure
/// before, although having no status it agrees with any (the sink joins adjacent records that
/// do not disagree). Closing that failure is the sink's own bookkeeping, done here because
/// only this parser knows the attempts apart.
pub(crate) fn close_last_failure(sink: &mut Sink) {
    if let Some(super::Last::Failure(i, _)) = sink.last {
        if let Some(mask) = sink.evidence.get_mut(i) {
            *mask = u32::MAX;
        }
    }
}

/// Push an exception told by a log line or traceback. The sink joins it to the failure just
/// before unless they disagree on status, endpoint or request id, and a missing value agrees
/// with any. What else tells two failures apart, as far as these lines know: a status on one
/// side only (a stream cut after a 429), two errors without a status but of different kinds,
/// two different messages. (Models are not compared: one failure spells its model in several
/// ways, `claude-sonnet-4@20250514` in the URL, `anthropic-claude-sonnet-4` in the quota text.)
pub(crate) fn push_told(sink: &mut Sink, r: Record) {
    if let Some(super::Last::Failure(i, _)) = sink.last {
        if let Some(f) = sink.scan.failures.get(i) {
            let differ = |a: &Option<String>, b: &Option<String>| match (a, b) {
                (Some(a), Some(b)) => !a.contains(b.as_str()) && !b.contains(a.as_str()),
                _ => false,
            };
            let distinct = match (f.effective_status(), r.effective_status()) {
                (Some(_), Some(_)) => false,
                (None, None) => f.error_type != r.error_type,
                _ => true,
            } || differ(&f.message, &r.message);
            if distinct {
                close_last_failure(sink);
            }
        }
    }
    sink.push(r);
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
fn claude_endpoint(url: &str, extra: &[regex::Regex]) -> Option<String> {
    if super::api::foreign_host(url) {
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
        if har::is_kept_header(&k) && !kept.iter().any(|(n, _)| *n == k) {
            kept.push((k, v));
        }
    }
    (kept, request_id)
}

/// A whole traceback given as one text (a JSON log's `exc_info`, LiteLLM's `stacktrace`).
pub(crate) fn traceback_record(text: &str, seen_anthropic: bool) -> Option<Record> {
    let mut lines = text.lines();
    let first = lines
        .by_ref()
        .find(|l| l.contains("Traceback (most recent call last):"))?;
    let at = first.find("Traceback (most recent call last):")?;
    let mut tb = Traceback::new(first, at, 0, None);
    for l in lines {
        if let TbStep::Ended = tb.feed(l) {
            break;
        }
    }
    let mut r = tb.verdict(seen_anthropic)?;
    r.line = None;
    Some(r)
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
    let hit = |t: Option<&str>| t.is_some_and(|t| TRIGGERS.is_match(t));
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
            let Some(endpoint) = claude_endpoint(url, &sink.opts.api_paths) else {
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
    push_told(sink, r);
    Claim::Relevant
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, FileScan, ScanOptions};
    use super::*;

    /// The hand-written readers of the SDK's transport lines answer what the regexes they
    /// replaced answer.
    #[test]
    fn transport_line_readers_agree_with_their_regexes() {
        let httpx = Regex::new(r#"HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+) "HTTP/[\d.]+ (?P<status>\d{3})(?: [^"]*)?""#).unwrap();
        let response = Regex::new(r#"HTTP Response: (?P<method>[A-Z]+) (?P<url>\S+) "(?P<status>\d{3})(?: [^"]*)?"(?: (?P<headers>Headers\(.*))?"#).unwrap();
        let sending = Regex::new(r"Sending HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+)").unwrap();
        let request_id = Regex::new(r"(?:^|[\s\]:-])request_id: (?P<id>\S+)\s*$").unwrap();
        let lines = [
            r#"2025-11-03 09:14:03,101 INFO httpx: HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 " "#,
            r#"[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 200 OK""#,
            r#"HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/2 429 Too Many Requests" extra"#,
            r#"HTTP Request: POST https://x "HTTP/1.1 5290 X""#,
            r#"HTTP Request: POST https://x "HTTP/1.1 529 no closing quote"#,
            r#"HTTP Request: post https://x "HTTP/1.1 529""#,
            r#"HTTP Request: POST  https://x "HTTP/1.1 529""#,
            "HTTP Request: POST https://x\t\"HTTP/1.1 529\"",
            r#"HTTP Request: broken HTTP Request: GET https://y "HTTP/1.0 404 Not Found""#,
            r#"HTTP Request: POST https://x "HTTP/ 529""#,
            r#"DEBUG anthropic._base_client: HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers({'request-id': 'req_1'})"#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "400 Bad Request""#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "400 Bad Request"Headers(x)"#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "400" Headers([('a', 'b')])"#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "40" Headers()"#,
            "DEBUG anthropic._base_client: Sending HTTP Request: POST https://api.anthropic.com/v1/messages",
            "Sending HTTP Request: POST",
            "Sending HTTP Request: POST https://\u{e9}.example/v1/messages\u{a0}tail",
            "DEBUG anthropic._base_client: request_id: req_011CUpBqYDfgxbYnHAhb3ePW",
            "request_id: req_1   ",
            "x-request_id: req_1",
            "xrequest_id: req_1",
            "request_id: req_1 and more",
            "request_id: None",
            "request_id:    ",
            "a]request_id: req_2 request_id: req_3",
            "\u{2003}request_id: req_4",
            "",
        ];
        for line in lines {
            let by_regex = httpx
                .captures(line)
                .map(|c| (c["url"].to_string(), c["status"].parse::<u16>().unwrap()));
            let by_hand = httpx_line(line).map(|h| (h.url.to_string(), h.status));
            assert_eq!(by_hand, by_regex, "httpx: {line:?}");
            let by_regex = response.captures(line).map(|c| {
                (
                    c["url"].to_string(),
                    c["status"].parse::<u16>().unwrap(),
                    c.name("headers").map(|m| m.as_str().to_string()),
                )
            });
            let by_hand = response_line(line)
                .map(|r| (r.url.to_string(), r.status, r.headers.map(str::to_string)));
            assert_eq!(by_hand, by_regex, "response: {line:?}");
            let by_regex = sending.captures(line).map(|c| c["url"].to_string());
            assert_eq!(
                sending_line(line).map(str::to_string),
                by_regex,
                "sending: {line:?}"
            );
            let by_regex = request_id.captures(line).map(|c| c["id"].to_string());
            assert_eq!(
                request_id_line(line).map(str::to_string),
                by_regex,
                "request_id: {line:?}"
            );
        }
        assert!(httpx_line(lines[0]).is_some());
        assert!(response_line(lines[10]).is_some());
    }

    fn scan(text: &str) -> FileScan {
        parse_text(text, &ScanOptions::default())
    }

    fn successes(s: &FileScan) -> u64 {
        s.successes.values().sum()
    }

    #[test]
    fn httpx_lines_are_attempts() {
        let s = scan(concat!(
            "[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 529 \"\n",
            "[2025-11-03 09:14:04 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages?beta=true \"HTTP/1.1 200 OK\"\n",
            "[2025-11-03 09:14:05 - httpx:1025 - INFO] HTTP Request: POST https://api.openai.com/v1/chat/completions \"HTTP/1.1 429 Too Many Requests\"\n",
            "[2025-11-03 09:14:05 - httpx:1025 - INFO] HTTP Request: GET https://api.openai.com/v1/models \"HTTP/1.1 500 Internal Server Error\"\n",
            "[2025-11-03 09:14:06 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/chat/completions \"HTTP/1.1 200 OK\"\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(529));
        assert_eq!(f.endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(f.attempt, Some(1));
        assert!(matches!(f.stamp, Some(Stamp::Naive(_))));
        assert_eq!(successes(&s), 2);
        assert_eq!(s.lines.relevant, 3);
        assert_eq!(s.lines.noise, 2);
    }

    #[test]
    fn one_retried_529_then_a_final_529_are_three_attempts() {
        let s = scan(
            r#"[2025-11-03 09:14:02 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages
[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 "
[2025-11-03 09:14:03 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers({'date': 'Mon, 03 Nov 2025 09:14:03 GMT', 'content-type': 'application/json', 'request-id': 'req_011CUk2fQw8PzX4nR7tYb3Lm', 'x-should-retry': 'true', 'server': 'cloudflare'})
[2025-11-03 09:14:03 - anthropic._base_client:1319 - DEBUG] request_id: req_011CUk2fQw8PzX4nR7tYb3Lm
[2025-11-03 09:14:03 - anthropic._base_client:848 - DEBUG] Retrying as header `x-should-retry` is set to `true`
[2025-11-03 09:14:03 - anthropic._base_client:1330 - DEBUG] 2 retries left
[2025-11-03 09:14:03 - anthropic._base_client:1333 - INFO] Retrying request to /v1/messages in 0.438127 seconds
[2025-11-03 09:14:04 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages
[2025-11-03 09:14:05 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 "
[2025-11-03 09:14:05 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers({'request-id': 'req_011CUk2gAb3kLm9Pq2Rs4Tu6', 'x-should-retry': 'true'})
[2025-11-03 09:14:05 - anthropic._base_client:1319 - DEBUG] request_id: req_011CUk2gAb3kLm9Pq2Rs4Tu6
[2025-11-03 09:14:05 - anthropic._base_client:1330 - DEBUG] 1 retry left
[2025-11-03 09:14:05 - anthropic._base_client:1333 - INFO] Retrying request to /v1/messages in 0.912000 seconds
[2025-11-03 09:14:06 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages
[2025-11-03 09:14:07 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 "
[2025-11-03 09:14:07 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers([('request-id', 'req_011CUk2hXy7zQw1Er5Ty8Ui0'), ('set-cookie', 'a'), ('set-cookie', 'b'), ('retry-after', '3')])
[2025-11-03 09:14:07 - anthropic._base_client:1319 - DEBUG] request_id: req_011CUk2hXy7zQw1Er5Ty8Ui0
Traceback (most recent call last):
  File "/srv/app/summarize.py", line 41, in <module>
    reply = client.messages.create(
  File "/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py", line 1195, in request
    raise self._make_status_error_from_response(response) from None
anthropic.OverloadedError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}, 'request_id': 'req_011CUk2hXy7zQw1Er5Ty8Ui0'}
"#,
        );
        assert_eq!(s.failures.len(), 3, "{:#?}", s.failures);
        let ids: Vec<_> = s
            .failures
            .iter()
            .map(|f| f.request_id.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            ids,
            [
                "req_011CUk2fQw8PzX4nR7tYb3Lm",
                "req_011CUk2gAb3kLm9Pq2Rs4Tu6",
                "req_011CUk2hXy7zQw1Er5Ty8Ui0"
            ]
        );
        let attempts: Vec<_> = s.failures.iter().map(|f| f.attempt).collect();
        assert_eq!(attempts, [Some(1), Some(2), Some(3)]);
        assert_eq!(s.failures[0].header("x-should-retry"), Some("true"));
        assert_eq!(s.failures[2].header("retry-after"), Some("3"));
        assert_eq!(
            s.failures[2].error_type.as_deref(),
            Some("overloaded_error")
        );
        assert_eq!(s.failures[2].message.as_deref(), Some("Overloaded"));
        assert_eq!(s.lines.relevant, s.lines.read);
    }

    #[test]
    fn exception_strings_of_every_shape() {
        let cases: &[(&str, Option<u16>, Option<&str>)] = &[
            (r#"2025-10-02 16:20:11,123 ERROR [worker-3] summarize failed: anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': "This request would exceed your account's rate limit. Please try again later."}, 'request_id': 'req_011CWa9dVh2KsLm4Tq8yPz1N'}"#, Some(429), Some("rate_limit_error")),
            (r#"ERROR call failed: RateLimitError("Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Rate limited'}}")"#, Some(429), Some("rate_limit_error")),
            ("anthropic._exceptions.OverloadedError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}", Some(529), Some("overloaded_error")),
            ("anthropic.APIStatusError: {'type': 'error', 'error': {'details': None, 'type': 'overloaded_error', 'message': 'Overloaded'}}", Some(529), Some("overloaded_error")),
            ("WARNING retrying: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}", Some(529), Some("overloaded_error")),
            ("anthropic.InternalServerError: <html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", Some(502), None),
            ("anthropic.InternalServerError: Error code: 503", Some(503), None),
            ("anthropic.APIConnectionError: Connection error.", None, Some("connection_error")),
            ("anthropic.APITimeoutError: Request timed out.", None, Some("client_timeout")),
            ("APITimeoutError: Request timed out or interrupted. This could be due to a network timeout, dropped connection, or request cancellation. See https://docs.anthropic.com/en/api/errors#long-requests for more details.", None, Some("client_timeout")),
            ("anthropic._exceptions.ServiceUnavailableError: Error code: 503 - {'message': 'Bedrock is unable to process your request.'}", Some(503), None),
            ("anthropic.APIResponseValidationError: Data returned by API invalid for expected schema.", None, Some("sdk_error")),
            ("ValueError: Streaming is required for operations that may take longer than 10 minutes. See https://github.com/anthropics/anthropic-sdk-python#long-requests for more details", None, Some("sdk_error")),
            ("ModuleNotFoundError: No module named 'anthropic'", None, Some("sdk_error")),
        ];
        for (line, status, error_type) in cases {
            let s = scan(line);
            assert_eq!(s.failures.len(), 1, "{line}");
            let f = &s.failures[0];
            assert_eq!(f.effective_status(), *status, "{line}");
            if error_type.is_some() {
                assert_eq!(f.error_type.as_deref(), *error_type, "{line}");
            }
            assert_eq!(f.source_kind, SourceKind::SdkPython);
        }
    }

    #[test]
    fn mid_stream_error_keeps_the_wire_status() {
        let s = scan("anthropic.APIStatusError: {'type': 'error', 'error': {'details': None, 'type': 'overloaded_error', 'message': 'Overloaded'}}");
        assert_eq!(s.failures[0].http_status, Some(200));
        assert_eq!(s.failures[0].effective_status(), Some(529));
    }

    #[test]
    fn vertex_and_bedrock_bodies_name_their_provider() {
        let s = scan("anthropic.RateLimitError: Error code: 429 - {'error': {'code': 429, 'message': 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet-v2. Please submit a quota increase request.', 'status': 'RESOURCE_EXHAUSTED'}}");
        let f = &s.failures[0];
        assert_eq!(f.provider.as_deref(), Some("vertex"));
        assert_eq!(f.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.model.as_deref(), Some("anthropic-claude-3-5-sonnet-v2"));
        let s = scan("anthropic.RateLimitError: Error code: 429 - {'message': 'Too many requests, please wait before trying again.'}");
        assert_eq!(s.failures[0].provider.as_deref(), Some("bedrock"));
        assert_eq!(s.failures[0].http_status, Some(429));
    }

    #[test]
    fn other_sdks_and_mentions_are_not_failures() {
        let s = scan(concat!(
            "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}\n",
            "RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}\n",
            "APIConnectionError: Connection error.\n",
            "Error code: 500\n",
            "see docs at https://docs.anthropic.com/en/api/errors\n",
            "[2025-11-03 09:14:03 - openai._base_client:1330 - DEBUG] 2 retries left\n",
            "[2025-11-03 09:14:03 - openai._base_client:1333 - INFO] Retrying request to /chat/completions in 0.438127 seconds\n",
            "[2025-11-03 09:14:03 - openai._base_client:1319 - DEBUG] request_id: req_abc\n",
            "[claude-worker] es lookup failed: NotFoundError('index [docs] not found')\n",
            "[claude-worker] cache: ConflictError: version conflict, document already exists\n",
        ));
        assert!(s.failures.is_empty(), "{:#?}", s.failures);
        assert_eq!(s.lines.relevant, 0);
    }

    #[test]
    fn chained_connection_error_names_its_root_cause() {
        let s = scan(
            r#"2025-10-02 16:20:11,123 ERROR [worker-1] request failed
Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/httpx/_transports/default.py", line 72, in map_httpcore_exceptions
    yield
httpcore.ConnectError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py", line 1002, in request
    response = self._client.send(
httpx.ConnectError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/app/main.py", line 12, in <module>
    client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[])
anthropic.APIConnectionError: Connection error.
2025-10-02 16:20:12,001 INFO [worker-1] next job
"#,
        );
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("connection_error"));
        assert_eq!(
            f.message.as_deref(),
            Some("Connection error. (httpx.ConnectError: [Errno 111] Connection refused)")
        );
        // The failure sits at the exception that says what went wrong.
        assert_eq!(f.line, Some(19));
        assert!(f.stamp.is_some());
        assert_eq!(s.lines.read, 20);
        assert_eq!(s.lines.relevant + s.lines.noise, 20);
    }

    #[test]
    fn unrelated_tracebacks_are_noise() {
        let s = scan("Traceback (most recent call last):\n  File \"/srv/app/x.py\", line 3, in <module>\n    d['k']\nKeyError: 'k'\nnext line\nTraceback (most recent call last):\n  File \"/srv/app/y.py\", line 9, in f\n    client.chat.completions.create()\nopenai.RateLimitError: Error code: 429 - {'error': {'message': 'x', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}\n");
        assert!(s.failures.is_empty());
        assert_eq!(s.lines.relevant, 0);
        assert_eq!(s.lines.noise, 9);
    }

    #[test]
    fn timeouts_with_sdk_tracebacks_are_one_failure_per_attempt() {
        let mut text = String::from("[2025-11-03 10:00:00 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages\n");
        let internal = |t: &mut String| {
            t.push_str("Traceback (most recent call last):\n");
            for i in 0..30 {
                t.push_str(&format!("  File \"/srv/venv/lib/python3.12/site-packages/httpcore/_sync/x.py\", line {i}, in f\n    pass\n"));
            }
            t.push_str("httpcore.ReadTimeout: The read operation timed out\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py\", line 1002, in request\n    response = self._client.send(\nhttpx.ReadTimeout: The read operation timed out\n");
        };
        text.push_str("[2025-11-03 10:10:00 - anthropic._base_client:1010 - DEBUG] Encountered httpx.TimeoutException\n");
        internal(&mut text);
        text.push_str("[2025-11-03 10:10:00 - anthropic._base_client:1330 - DEBUG] 1 retry left\n");
        text.push_str("[2025-11-03 10:10:00 - anthropic._base_client:1333 - INFO] Retrying request to /v1/messages in 0.800000 seconds\n");
        text.push_str("[2025-11-03 10:10:01 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages\n");
        text.push_str("[2025-11-03 10:20:01 - anthropic._base_client:1010 - DEBUG] Encountered httpx.TimeoutException\n");
        internal(&mut text);
        text.push_str(
            "[2025-11-03 10:20:01 - anthropic._base_client:1025 - DEBUG] Raising timeout error\n",
        );
        text.push_str("Traceback (most recent call last):\n  File \"/srv/app/main.py\", line 12, in <module>\n    client.messages.create()\nhttpx.ReadTimeout: The read operation timed out\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"/srv/app/main.py\", line 12, in <module>\n    client.messages.create()\nanthropic.APITimeoutError: Request timed out.\n");
        let s = scan(&text);
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let a = &s.failures[0];
        assert_eq!(a.attempt, Some(1));
        assert_eq!(a.error_type.as_deref(), Some("client_timeout"));
        assert_eq!(
            a.message.as_deref(),
            Some("httpx.ReadTimeout: The read operation timed out")
        );
        assert_eq!(a.endpoint.as_deref(), Some("/v1/messages"));
        let b = &s.failures[1];
        assert_eq!(b.attempt, Some(2));
        assert_eq!(
            b.message.as_deref(),
            Some("Request timed out. (httpx.ReadTimeout: The read operation timed out)")
        );
        assert_eq!(b.evidence, Evidence::Exception);
        assert_eq!(s.lines.noise, 6, "blank separators only");
    }

    #[test]
    fn raising_timeout_error_alone_is_one_failure() {
        let s = scan(
            "[2025-11-03 10:20:01 - anthropic._base_client:1025 - DEBUG] Raising timeout error\n",
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].error_type.as_deref(), Some("client_timeout"));
    }

    #[test]
    fn old_sdk_status_error_traceback_is_not_a_second_failure() {
        let s = scan(
            r#"[2025-03-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 429 Too Many Requests"
[2025-03-03 09:14:03 - anthropic._base_client:1040 - DEBUG] Encountered httpx.HTTPStatusError
Traceback (most recent call last):
  File "/srv/venv/lib/python3.11/site-packages/anthropic/_base_client.py", line 1038, in _request
    response.raise_for_status()
httpx.HTTPStatusError: Client error '429 Too Many Requests' for url 'https://api.anthropic.com/v1/messages'
For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429
[2025-03-03 09:14:03 - anthropic._base_client:1057 - DEBUG] Re-raising status error
anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}
"#,
        );
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("rate_limit_error")
        );
        assert_eq!(s.lines.relevant, s.lines.read);
    }

    #[test]
    fn request_options_give_the_model_without_the_prompt() {
        let s = scan(
            r#"[2025-11-03 09:14:02 - anthropic._base_client:482 - DEBUG] Request options: {'method': 'post', 'url': '/v1/messages', 'timeout': Timeout(connect=5.0, read=600, write=600, pool=600), 'files': None, 'json_data': {'max_tokens': 1024, 'messages': [{'role': 'user', 'content': 'secret prompt'}], 'model': 'claude-sonnet-4-5-20250929'}}
[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 400 Bad Request"
"#,
        );
        let f = &s.failures[0];
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert!(format!("{f:?}").find("secret").is_none());
    }

    #[test]
    fn prefixed_tracebacks_and_ansi() {
        let s = scan("2025-10-02T16:20:11.123456789Z stderr F Traceback (most recent call last):\n2025-10-02T16:20:11.123456789Z stderr F   File \"/app/main.py\", line 3, in <module>\n2025-10-02T16:20:11.123456789Z stderr F     client.messages.create()\n2025-10-02T16:20:11.123456789Z stderr F anthropic.\x1b[1mNotFoundError\x1b[0m: Error code: 404 - {'type': 'error', 'error': {'type': 'not_found_error', 'message': 'model: claude-3-5-sonnet'}}\n");
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(404));
        assert!(matches!(s.failures[0].stamp, Some(Stamp::Utc(_))));
    }

    #[test]
    fn stream_cut_and_environment_failures() {
        let s = scan("Traceback (most recent call last):\n  File \"/srv/venv/lib/python3.12/site-packages/anthropic/_streaming.py\", line 80, in __stream__\n    for sse in iterator:\nhttpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)\n");
        assert_eq!(s.failures[0].error_type.as_deref(), Some("stream_error"));
        assert_eq!(s.failures[0].effective_status(), None);
        let s = scan("Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    client = anthropic.Anthropic()\n  File \"/venv/lib/python3.9/site-packages/anthropic/_client.py\", line 120, in __init__\n    super().__init__(\nTypeError: Client.__init__() got an unexpected keyword argument 'proxies'\n");
        assert_eq!(s.failures[0].error_type.as_deref(), Some("sdk_error"));
        let s = scan("httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)\n");
        assert!(s.failures.is_empty(), "no Anthropic context");
        let s = scan("Traceback (most recent call last):\n  File \"/venv/lib/python3.12/site-packages/anthropic/lib/vertex/_client.py\", line 88, in _ensure_access_token\n    self.credentials, project = load_auth(project_id=self.project_id)\ngoogle.auth.exceptions.DefaultCredentialsError: Your default credentials were not found. To set up Application Default Credentials, see https://cloud.google.com/docs/authentication/external/set-up-adc for more information.\n");
        assert_eq!(s.failures[0].error_type.as_deref(), Some("sdk_error"));
        assert_eq!(s.failures[0].provider.as_deref(), Some("vertex"));
    }

    #[test]
    fn json_application_logs() {
        let s = scan(
            r#"{"asctime": "2025-10-02 16:20:11,123", "levelname": "ERROR", "message": "summarize failed", "exc_info": "Traceback (most recent call last):\n  File \"/app/x.py\", line 1, in f\n    client.messages.create()\nanthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Rate limited'}, 'request_id': 'req_1'}"}
{"asctime": "2025-10-02 16:20:12,000", "levelname": "INFO", "name": "httpx", "message": "HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\""}
{"asctime": "2025-10-02 16:20:12,000", "levelname": "INFO", "message": "nothing here"}
"#,
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].request_id.as_deref(), Some("req_1"));
        assert!(s.failures[0].stamp.is_some());
        assert_eq!(successes(&s), 1);
    }

    #[test]
    fn sample_python_sdk_log() {
        let s = scan(include_str!("../../samples/app/python-sdk.log"));
        type Row<'a> = (Option<u16>, Option<&'a str>, Option<&'a str>, Option<u32>);
        let got: Vec<Row> = s
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
        let want: Vec<Row> = vec![
            (
                Some(529),
                None,
                Some("req_011CUk2fQw8PzX4nR7tYb3Lm"),
                Some(1),
            ),
            (
                Some(529),
                None,
                Some("req_011CUk2gAb3kLm9Pq2Rs4Tu6"),
                Some(2),
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CWa9dVh2KsLm4Tq8yPz1N"),
                Some(1),
            ),
            (None, Some("connection_error"), None, Some(1)),
            (None, Some("connection_error"), None, Some(2)),
            (None, Some("connection_error"), None, Some(3)),
            (
                Some(429),
                None,
                Some("req_011CPy6dHb2Qx8Lr4Zt1Wm7N"),
                Some(1),
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CPy6eKc3Ry9Ms5Au2Xn8P"),
                Some(2),
            ),
            (Some(529), Some("overloaded_error"), None, None),
            (None, Some("client_timeout"), None, Some(1)),
            (None, Some("client_timeout"), None, Some(2)),
            (None, Some("stream_error"), None, None),
        ];
        assert_eq!(got, want, "{:#?}", s.failures);
        assert_eq!(successes(&s), 4);
        assert_eq!(
            s.failures[5].message.as_deref(),
            Some("Connection error. (httpx.ConnectError: [Errno 111] Connection refused)")
        );
        assert_eq!(
            s.failures[0].model.as_deref(),
            Some("claude-sonnet-4-5-20250929")
        );
        assert_eq!(s.lines.unparseable, 0);
    }

    #[test]
    fn sample_worker_log() {
        let s = scan(include_str!("../../samples/app/worker.log"));
        type Row<'a> = (
            Option<u16>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let got: Vec<Row> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.request_id.as_deref(),
                    f.provider.as_deref(),
                )
            })
            .collect();
        let a = Some("anthropic");
        let want: Vec<Row> = vec![
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CWb2WorkerLogSample01"),
                a,
            ),
            (
                Some(529),
                Some("overloaded_error"),
                Some("req_011CWaA2Lk9Pq3Rs5Tu7Vw1X"),
                a,
            ),
            (
                Some(529),
                Some("overloaded_error"),
                Some("req_011CWaA3Mn0Qr4St6Uv8Wx2Y"),
                a,
            ),
            (Some(502), None, None, a),
            (Some(503), None, None, a),
            (
                Some(400),
                Some("invalid_request_error"),
                Some("req_011CVb3Xq8Lm2Nw5Rt7Yz9Kd"),
                a,
            ),
            (Some(429), Some("rate_limit_error"), None, a),
            (Some(429), None, None, Some("bedrock")),
            (Some(503), None, None, Some("bedrock")),
            (Some(429), Some("rate_limit_error"), None, Some("vertex")),
            (Some(404), Some("not_found_error"), None, Some("vertex")),
            (None, Some("connection_error"), None, a),
            (None, Some("client_timeout"), None, a),
            (None, Some("client_timeout"), None, a),
            (None, Some("stream_error"), None, a),
            (None, Some("sdk_error"), None, a),
            (Some(529), Some("overloaded_error"), None, a),
            (
                Some(401),
                Some("authentication_error"),
                Some("req_011CVd5Zs0Nn4Py7Tv9Ab1Mf"),
                a,
            ),
            (None, Some("sdk_error"), None, a),
        ];
        assert_eq!(got, want, "{:#?}", s.failures);
        assert_eq!(s.failures[3].message.as_deref(), Some("502 Bad Gateway"));
        assert_eq!(s.failures[3].line, Some(7));
        assert_eq!(
            s.failures[9].provider_code.as_deref(),
            Some("RESOURCE_EXHAUSTED")
        );
        assert_eq!(
            s.failures[10].model.as_deref(),
            Some("claude-3-5-sonnet-v2@20241022")
        );
        assert_eq!(s.failures[17].line, Some(40));
        assert_eq!(s.lines.unparseable, 0);
    }

    /// Whatever the lines, nothing panics and every line is counted once.
    #[test]
    fn fuzz_mixed_fragments_of_every_sample() {
        let samples = [
            include_str!("../../samples/app/python-sdk.log"),
            include_str!("../../samples/app/worker.log"),
            include_str!("../../samples/bedrock/boto3.log"),
            include_str!("../../samples/bedrock/invocation.jsonl"),
            include_str!("../../samples/vertex/vertex.log"),
            include_str!("../../samples/litellm/proxy.log"),
            include_str!("../../samples/litellm/proxy-json.log"),
        ];
        let lines: Vec<&str> = samples.iter().flat_map(|s| s.lines()).collect();
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let mut text = String::new();
            let n = 1 + next() % 40;
            for _ in 0..n {
                let line = lines[(next() % lines.len() as u64) as usize];
                let mut cut = (next() % (line.len() as u64 + 1)) as usize;
                if next() % 3 != 0 {
                    cut = line.len();
                }
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                let prefix =
                    ["", "→ ", "2025-10-02T16:20:11.5Z stderr F ", "é"][(next() % 4) as usize];
                text.push_str(prefix);
                text.push_str(&line[..cut]);
                text.push('\n');
            }
            let s = scan(&text);
            let l = &s.lines;
            assert_eq!(l.relevant + l.noise + l.unparseable, l.read, "{text}");
        }
        let s = scan("→Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error'}}");
        assert_eq!(s.failures.len(), 1);
    }
}
