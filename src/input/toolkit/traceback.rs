//! Python exceptions and tracebacks: the text of an anthropic exception (class, `Error code:`
//! status, body), the traceback that ends in it, and which library raised it. Python prints
//! them alike wherever they are logged (SDK logs, LiteLLM, JSON logs, terminals).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::api::{
    error_body, google_status_error_type, mentions_claude, model_in_text, model_of_path,
    plain_text, provider_of_url, stamp_near_start, ErrorBody,
};
use super::limits::{MAX_BYTES, MAX_LINES};
use super::{cloud_text, has, litellm_text, pyrepr};
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

/// `anthropic.RateLimitError: ...`, `anthropic._exceptions.OverloadedError: ...`.
/// httpx's `HTTPStatusError` and requests' `HTTPError` messages, with the URL they name.
static HTTP_CLIENT_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:(?:Server|Client) error '(?P<a>\d{3})[^']*' for url '(?P<url>[^']+)'",
        r"|\b(?P<b>\d{3}) (?:Client|Server) Error: .*? for url: (?P<url2>\S+))",
    ))
    .expect("static regex")
});

/// The API endpoint of a full URL, when its host is Anthropic's (or Bedrock's or Vertex's).
fn claude_endpoint_of_url(url: &str) -> Option<String> {
    let host_ok = url.contains("api.anthropic.com")
        || url.contains("bedrock-runtime")
        || url.contains("publishers/anthropic");
    host_ok.then(|| super::api::endpoint_of(url, &[])).flatten()
}

pub(crate) static MODULE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])anthropic\.(?:_exceptions\.)?(?P<class>[A-Z]\w*): ?(?P<rest>.*)$")
        .expect("static regex")
});
/// `RateLimitError('Error code: 429 - ...')` (repr) or `RateLimitError: ...` (no module).
pub(crate) static BARE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])(?P<class>[A-Z]\w*(?:Error|Exception))(?P<sep>\(|: ?)")
        .expect("static regex")
});
pub(crate) static ERROR_CODE: LazyLock<Regex> = LazyLock::new(|| {
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
    pub(crate) fn of_text(text: &str) -> Context {
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
pub(crate) struct ClassInfo {
    status: Option<u16>,
    error_type: Option<&'static str>,
    /// Only the anthropic package has a class of this name.
    anthropic_only: bool,
}

pub(crate) fn class_info(class: &str) -> Option<ClassInfo> {
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

pub(crate) fn new_record(outcome: Outcome, evidence: Evidence) -> Record {
    let mut r = Record::new(SourceKind::SdkPython, outcome);
    r.provider = Some("anthropic".into());
    r.evidence = evidence;
    r
}

/// The record of an HTTP exchange the SDK logged (httpx line, debug response line).
pub(crate) fn http_record(url: &str, endpoint: String, status: u16, evidence: Evidence) -> Record {
    let ok = (200..300).contains(&status);
    let mut r = new_record(Outcome::of(!ok), evidence);
    r.http_status = Some(status).filter(|s| *s > 0);
    r.provider = Some(provider_of_url(url).into());
    r.model = model_of_path(&endpoint);
    r.endpoint = Some(endpoint);
    r
}

/// Read a body the SDK printed after `Error code: N - ` (or alone, mid-stream): a dict repr,
/// sometimes JSON, sometimes cut short; anything else (an HTML page) is plain text.
pub(crate) fn read_body(body: &str) -> (ErrorBody, Option<Value>) {
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
pub(crate) fn cloud_of_body(body: &Option<Value>, parsed: &ErrorBody) -> Option<&'static str> {
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

pub(crate) fn is_anthropic_envelope_value(body: &Option<Value>) -> bool {
    body.as_ref().is_some_and(|v| {
        v.get("type").and_then(Value::as_str) == Some("error") && v.get("error").is_some()
    })
}

/// The record an anthropic exception's text stands for. `class` is the class name when the
/// text came with one. Returns the record and whether its text alone shows it is Anthropic's.
pub(crate) fn from_exception_text(
    class: Option<&str>,
    text: &str,
    ctx: Context,
) -> Option<(Record, bool)> {
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
    let provider = cloud_of_body(&body_value, &parsed)
        .or(if ctx.bedrock { Some("bedrock") } else { None })
        .or(if ctx.vertex { Some("vertex") } else { None });
    specific |= is_anthropic_envelope_value(&body_value);
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
pub(crate) fn page_status(message: &str) -> Option<u16> {
    message
        .get(..3)
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|s| (500..600).contains(s))
}

/// An HTML page that goes on in the next lines (the SDK prints a non-JSON body raw).
pub(crate) fn open_html(text: &str) -> bool {
    (text.contains("<html") || text.contains("<!DOCTYPE") || text.contains("<!doctype"))
        && !text.contains("</html>")
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
    // An HTTP client's own status error for a call to the API (the app used httpx or
    // requests directly): httpx `Server error '529 ' for url '...'`, requests `429 Client
    // Error: Too Many Requests for url: ...`.
    if has!(text, " for url") {
        if let Some(c) = HTTP_CLIENT_ERROR.captures(text) {
            let status = c
                .name("a")
                .or(c.name("b"))
                .and_then(|m| m.as_str().parse::<u16>().ok());
            let url = c.name("url").or(c.name("url2")).map_or("", |m| m.as_str());
            if let (Some(status), Some(endpoint)) = (status, claude_endpoint_of_url(url)) {
                // No message of its own: the body printed after it (a Google envelope) gives
                // one, and joins it.
                return Some(http_record(url, endpoint, status, Evidence::Summary));
            }
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
pub(crate) fn client_side_failure(
    text: &str,
    ctx: Context,
    anthropic_frames: bool,
) -> Option<Record> {
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
            // The response had started: the wire said 200.
            r.http_status = Some(200);
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
pub(crate) fn exception_message(text: &str) -> String {
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
pub(crate) fn exception_line_record(
    text: &str,
    ctx: Context,
    anthropic_frames: bool,
) -> Option<Record> {
    if text.contains("litellm.") {
        return litellm_text::litellm_exception_record(text);
    }
    if text.contains("An error occurred (")
        || text.contains("google.api_core")
        || text.contains("botocore")
        || text.contains("endpoint URL")
    {
        return cloud_text::cloud_exception_record(text, ctx.anthropic);
    }
    anthropic_exception(text, ctx).or_else(|| client_side_failure(text, ctx, anthropic_frames))
}

pub(crate) fn is_timeout_class(class: &str) -> bool {
    class.ends_with("Timeout")
        || class.ends_with("TimeoutException")
        || class.ends_with("TimeoutError")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TbState {
    Frames,
    AfterException,
    Blank,
    Marker,
}

/// A traceback being read, with its chained tracebacks.
#[derive(Debug)]
pub(crate) struct Traceback {
    pub(crate) start: u64,
    pub(crate) stamp: Option<Stamp>,
    /// A per-line prefix (container runtime, docker compose) to cut, by shape.
    pub(crate) prefix_len: usize,
    pub(crate) prefix_shape: Vec<u8>,
    pub(crate) state: TbState,
    pub(crate) exceptions: Vec<String>,
    /// The line each exception starts on: a failure sits where its error text is.
    pub(crate) exception_lines: Vec<u64>,
    pub(crate) lines: u64,
    pub(crate) relevant_lines: u64,
    pub(crate) bytes: usize,
    pub(crate) anthropic_frames: bool,
    pub(crate) ctx: Context,
    /// Printed by the SDK right after `Encountered ...`: detail for the held attempt.
    pub(crate) internal: bool,
}

pub(crate) enum TbStep {
    /// The line belongs to the traceback (relevant or a blank separator).
    Took(bool),
    /// The traceback ended before this line.
    Ended,
}

pub(crate) fn shape(prefix: &[u8]) -> Vec<u8> {
    prefix
        .iter()
        .map(|b| if b.is_ascii_digit() { b'0' } else { *b })
        .collect()
}

impl Traceback {
    pub(crate) fn new(line: &str, at: usize, lineno: u64, stamp: Option<Stamp>) -> Traceback {
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

    pub(crate) fn feed(&mut self, raw: &str) -> TbStep {
        if self.lines >= MAX_LINES || self.bytes + raw.len() > MAX_BYTES {
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
                    TbStep::Took(true)
                } else if trimmed.starts_with("Traceback (most recent call last):") {
                    TbStep::Took(true)
                } else if trimmed.is_empty() {
                    TbStep::Ended
                } else {
                    self.exception(trimmed);
                    self.state = TbState::AfterException;
                    TbStep::Took(true)
                }
            }
            TbState::AfterException | TbState::Blank | TbState::Marker => {
                if trimmed.is_empty() {
                    if self.state == TbState::AfterException {
                        self.state = TbState::Blank;
                    }
                    TbStep::Took(false)
                } else if trimmed.starts_with("The above exception was the direct cause")
                    || trimmed.starts_with("During handling of the above exception")
                {
                    self.state = TbState::Marker;
                    TbStep::Took(true)
                } else if trimmed.starts_with("Traceback (most recent call last):") {
                    self.state = TbState::Frames;
                    TbStep::Took(true)
                } else if self.state == TbState::AfterException
                    && (self.exceptions.last().is_some_and(|e| open_html(e))
                        || trimmed.starts_with("For more information check:")
                        || litellm_text::is_continuation(trimmed))
                {
                    if let Some(last) = self.exceptions.last_mut() {
                        last.push(' ');
                        last.push_str(trimmed);
                    }
                    TbStep::Took(true)
                } else {
                    TbStep::Ended
                }
            }
        };
        if let TbStep::Took(relevant) = step {
            self.lines += 1;
            self.bytes += raw.len();
            if relevant {
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
    pub(crate) fn verdict(&self, seen_anthropic: bool) -> Option<Record> {
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
pub(crate) fn root_cause(chain: &[String]) -> Option<String> {
    let pick = chain
        .iter()
        .rev()
        .find(|t| t.starts_with("httpx."))
        .or_else(|| chain.iter().rev().find(|t| t.starts_with("httpcore.")))
        .or_else(|| chain.first())?;
    let pick = pick.trim();
    Some(pick.strip_suffix(':').unwrap_or(pick).to_string()).filter(|p| !p.is_empty())
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
