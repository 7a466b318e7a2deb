//! Claude on the clouds (FORMATS.md): Bedrock errors as boto3/botocore,
//! the AWS SDK for JavaScript v3 and the Rust SDK print them, Bedrock model invocation logs,
//! and Vertex AI errors as `google.api_core.exceptions` and Google's JSON error envelope.
//!
//! Provider wrappers keep their own name in `provider_code` and get the error type of their
//! meaning (ThrottlingException and RESOURCE_EXHAUSTED are `rate_limit_error`). Decisions:
//! Bedrock's 503 `ServiceUnavailableException` ("Bedrock is unable to process your request")
//! and Vertex's `UNAVAILABLE` are capacity, so `overloaded_error`; an error event inside a
//! Bedrock response stream (botocore's lowerCamel codes, `throttlingException`) is a failure
//! inside a 200 response whose effective status is the code's, and
//! `modelStreamErrorException` (the stream broke after it began) has no status and is a
//! `stream_error`.
//!
//! Only Claude traffic counts: Bedrock runtime operations unless the line names another
//! vendor's model, Vertex errors only when the line names Anthropic or Claude (Gemini shares
//! the same errors), invocation logs of Anthropic models.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::api::{
    endpoint_of, error_body, google_status_error_type, mentions_claude, stamp_near_start,
    strip_ansi,
};
use super::json::Position;
use super::python::{model_in_text, push_told};
use super::{Claim, LineParser, Sink};
use crate::record::{Evidence, Outcome, Record, SourceKind};

/// Bounds of an AWS SDK for JavaScript error dump.
const MAX_DUMP_LINES: u64 = 80;

pub(crate) fn parsers() -> Vec<Box<dyn LineParser>> {
    vec![Box::new(CloudsParser::default())]
}

/// Bedrock's exception names (HTTP and event-stream spellings): the status they stand for
/// and their meaning.
pub(crate) fn bedrock_code(code: &str) -> Option<(Option<u16>, &'static str)> {
    let mut chars = code.chars();
    let first = chars.next()?;
    let upper: String = first.to_ascii_uppercase().to_string() + chars.as_str();
    Some(match upper.as_str() {
        "ThrottlingException" | "TooManyRequestsException" | "ModelNotReadyException" => {
            (Some(429), "rate_limit_error")
        }
        // A quota, not a malformed request, although AWS answers 400.
        "ServiceQuotaExceededException" => (Some(400), "rate_limit_error"),
        "ValidationException" => (Some(400), "invalid_request_error"),
        "AccessDeniedException" => (Some(403), "permission_error"),
        "UnrecognizedClientException" | "InvalidSignatureException" => {
            (Some(403), "authentication_error")
        }
        "ExpiredTokenException" => (Some(400), "authentication_error"),
        "ResourceNotFoundException" => (Some(404), "not_found_error"),
        "ServiceUnavailableException" => (Some(503), "overloaded_error"),
        "ModelTimeoutException" => (Some(408), "timeout_error"),
        "ModelErrorException" => (Some(424), "api_error"),
        "InternalServerException" | "InternalFailure" => (Some(500), "api_error"),
        "ModelStreamErrorException" => (None, "stream_error"),
        _ => return None,
    })
}

/// The REST path of a Bedrock runtime operation on a model.
fn bedrock_path(operation: &str, model: &str) -> Option<String> {
    let action = match operation {
        "InvokeModel" => "invoke",
        "InvokeModelWithResponseStream" => "invoke-with-response-stream",
        "Converse" => "converse",
        "ConverseStream" => "converse-stream",
        "CountTokens" => "count-tokens",
        _ => return None,
    };
    Some(format!("/model/{model}/{action}"))
}

const BEDROCK_RUNTIME_OPERATIONS: [&str; 7] = [
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "InvokeModelWithBidirectionalStream",
    "Converse",
    "ConverseStream",
    "CountTokens",
    "StartAsyncInvoke",
];

/// Messages only Bedrock writes: they tell a dump without other context is Bedrock's.
fn bedrock_message(text: &str) -> bool {
    [
        "Too many requests, please wait before trying again",
        "Too many tokens, please wait before trying again",
        "Bedrock is unable to process your request",
        "with on-demand throughput isn",
        "You don't have access to the model with the specified model ID",
        "The provided model identifier is invalid",
        "Model use case details have not been submitted",
    ]
    .iter()
    .any(|m| text.contains(m))
}

static BEDROCK_MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:arn:aws[\w-]*:bedrock:[\w-]*:\d*:(?:foundation-model|inference-profile|application-inference-profile)/)?",
        r"(?:(?:us|eu|apac|jp|au|global|us-gov)\.)?anthropic\.claude-[a-z0-9.-]*[a-z0-9](?::\d+)?"
    ))
    .expect("static regex")
});

/// Another vendor's Bedrock model id: the error is not about Claude.
static OTHER_BEDROCK_MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:amazon|meta|mistral|cohere|ai21|stability|deepseek|openai|qwen|writer|twelvelabs|luma)\.[a-z0-9-]+")
        .expect("static regex")
});

static BOTO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"An error occurred \((?P<code>[\w.:#-]+)\) when calling the (?P<op>\w+) operation(?: \(reached max retries: (?P<retries>\d+)\))?(?::\s?(?P<msg>.*))?$")
        .expect("static regex")
});

static GOOGLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"google\.api_core\.exceptions\.(?P<class>\w+): (?:(?P<code>\d{3}) )?(?P<msg>.*)$")
        .expect("static regex")
});

/// `ThrottlingException: Too many requests...` opening an AWS SDK for JavaScript error dump.
static JS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s:])(?P<name>[A-Z][A-Za-z]+Exception): (?P<msg>.*?)(?: \{)?$")
        .expect("static regex")
});

/// `Error { code: "ThrottlingException", message: "...", aws_request_id: "..." }` (Rust SDK).
static RUST_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"code: (?:Some\()?"(?P<code>\w+)"\)?, message: (?:Some\()?"(?P<msg>(?:[^"\\]|\\.)*)"\)?.*?aws_request_id: (?:Some\()?"(?P<id>[\w-]+)""#)
        .expect("static regex")
});

/// Words that a line of this format holds (one of); also part of the shared per-line pass
/// (`Sink::marks`).
pub(crate) const CLOUD_TRIGGERS: [&str; 18] = [
    "An error occurred (",
    "endpoint URL",
    "google.api_core.exceptions.",
    "Exception: ",
    "aws_request_id",
    "\"RESOURCE_EXHAUSTED\"",
    "\"NOT_FOUND\"",
    "\"PERMISSION_DENIED\"",
    "\"FAILED_PRECONDITION\"",
    "\"INVALID_ARGUMENT\"",
    "\"UNAVAILABLE\"",
    "\"DEADLINE_EXCEEDED\"",
    "\"UNAUTHENTICATED\"",
    "\"INTERNAL\"",
    "amazonaws.com:",
    "Retry needed, ",
    "Response received to retry",
    "'x-amzn-ErrorType': '",
];

fn bedrock_record(evidence: Evidence) -> Record {
    let mut r = Record::new(SourceKind::Bedrock, Outcome::Failure);
    r.provider = Some("bedrock".into());
    r.evidence = evidence;
    r
}

/// Fill status and type from a Bedrock exception name. Event-stream spellings (lowerCamel)
/// arrive inside a 200 response.
fn apply_bedrock_code(r: &mut Record, code: &str) {
    r.provider_code = Some(code.to_string());
    let Some((status, error_type)) = bedrock_code(code) else {
        return;
    };
    r.error_type = Some(error_type.into());
    if code.starts_with(|c: char| c.is_ascii_lowercase()) {
        r.http_status = Some(200);
        r.status = status;
    } else {
        r.http_status = status;
    }
}

/// botocore's transport errors on a Bedrock runtime URL: `Read timeout on endpoint URL:
/// "https://bedrock-runtime.../model/.../invoke"` and the like. No response arrived.
fn boto_transport(text: &str) -> Option<Record> {
    static TRANSPORT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?P<what>Read timeout|Connect timeout|Could not connect to the endpoint URL|Connection was closed before we received a valid response from endpoint URL)(?: on endpoint URL)?: ?"(?P<url>[^"]+)""#)
            .expect("static regex")
    });
    let c = TRANSPORT.captures(text)?;
    let url = &c["url"];
    if !url.contains("bedrock-runtime") {
        return None;
    }
    let mut r = bedrock_record(Evidence::Summary);
    r.error_type = Some(
        if c["what"].ends_with("timeout") {
            "client_timeout"
        } else {
            "connection_error"
        }
        .into(),
    );
    r.endpoint = endpoint_of(url, &[]);
    r.model = r.endpoint.as_deref().and_then(super::api::model_of_path);
    let from = c.get(0).map_or(0, |m| m.start());
    r.message = Some(text[from..].trim().to_string());
    Some(r)
}

/// A botocore `ClientError` / `EventStreamError` string anywhere in the text.
fn boto_record(text: &str) -> Option<Result<Record, ()>> {
    let c = BOTO.captures(text)?;
    let op = c.name("op").map_or("", |m| m.as_str());
    if !BEDROCK_RUNTIME_OPERATIONS.contains(&op) {
        return Some(Err(()));
    }
    let model = BEDROCK_MODEL.find(text).map(|m| m.as_str().to_string());
    if model.is_none() && OTHER_BEDROCK_MODEL.is_match(text) {
        return Some(Err(()));
    }
    let mut r = bedrock_record(Evidence::Summary);
    apply_bedrock_code(&mut r, &c["code"]);
    r.message = c
        .name("msg")
        .map(|m| m.as_str().trim().to_string())
        .filter(|m| !m.is_empty());
    r.attempt = c
        .name("retries")
        .and_then(|m| m.as_str().parse::<u32>().ok())
        .and_then(|n| n.checked_add(1));
    r.endpoint = model.as_deref().and_then(|m| bedrock_path(op, m));
    r.model = model;
    Some(Ok(r))
}

/// A `google.api_core.exceptions.X: 429 ...` string; `claude` says whether the record
/// around it names Claude.
fn google_record(text: &str, claude: bool) -> Option<Result<Record, ()>> {
    let c = GOOGLE.captures(text)?;
    if !(claude || mentions_claude(text)) {
        return Some(Err(()));
    }
    let class = &c["class"];
    let mut msg = c.name("msg").map_or("", |m| m.as_str()).trim();
    let mut code: Option<u16> = c.name("code").and_then(|m| m.as_str().parse().ok());
    if class == "RetryError" {
        // `Timeout of 600.0s exceeded, last exception: 429 Quota exceeded ...`
        if let Some(i) = msg.find("last exception: ") {
            let inner = &msg[i + "last exception: ".len()..];
            code = inner.get(..3).and_then(|d| d.parse().ok());
            msg = inner.get(4..).unwrap_or(inner).trim();
        }
    }
    let (status, error_type) = match class {
        "ResourceExhausted" | "TooManyRequests" => (Some(429), Some("rate_limit_error")),
        "NotFound" => (Some(404), Some("not_found_error")),
        "PermissionDenied" | "Forbidden" => (Some(403), Some("permission_error")),
        "Unauthenticated" | "Unauthorized" => (Some(401), Some("authentication_error")),
        "InvalidArgument" | "BadRequest" | "FailedPrecondition" | "OutOfRange" => {
            (Some(400), Some("invalid_request_error"))
        }
        "ServiceUnavailable" => (Some(503), Some("overloaded_error")),
        "DeadlineExceeded" | "GatewayTimeout" => (Some(504), Some("timeout_error")),
        "InternalServerError" | "Unknown" | "BadGateway" | "DataLoss" => {
            (Some(500), Some("api_error"))
        }
        "Aborted" | "Conflict" | "AlreadyExists" => (Some(409), Some("conflict_error")),
        "Cancelled" => (Some(499), Some("client_closed")),
        _ => (None, None),
    };
    let mut r = Record::new(SourceKind::Vertex, Outcome::Failure);
    r.provider = Some("vertex".into());
    r.evidence = Evidence::Summary;
    r.provider_code = Some(class.to_string());
    r.http_status = code.or(status).filter(|s| *s != 499);
    r.error_type = error_type.map(str::to_string);
    if r.http_status.is_none() && r.error_type.is_none() {
        return Some(Err(()));
    }
    r.message = Some(msg.to_string()).filter(|m| !m.is_empty());
    r.model = model_in_text(msg);
    Some(Ok(r))
}

/// A botocore or google.api_core exception line (alone or ending a Python traceback).
pub(crate) fn exception_record(text: &str, claude: bool) -> Option<Record> {
    boto_record(text)
        .or_else(|| google_record(text, claude))
        .and_then(Result::ok)
        .or_else(|| boto_transport(text))
}

/// Google's error envelope (`{"error":{"code":429,...,"status":"RESOURCE_EXHAUSTED"}}`, also
/// inside `[...]`) somewhere in a line.
fn google_envelope(line: &str) -> Option<Record> {
    let finder = memchr::memmem::find_iter(line.as_bytes(), b"\"error\"");
    for at in finder {
        let before = line[..at].trim_end();
        let Some(open) = before.strip_suffix('{') else {
            continue;
        };
        let start = match open.trim_end().strip_suffix('[') {
            Some(outer) => outer.len(),
            None => open.len(),
        };
        let Some(Ok(value)) = serde_json::Deserializer::from_str(&line[start..])
            .into_iter::<Value>()
            .next()
        else {
            continue;
        };
        let body = error_body(&value);
        let (Some(code), Some(status)) = (body.status, body.provider_code.as_deref()) else {
            continue;
        };
        let mut r = Record::new(SourceKind::Vertex, Outcome::Failure);
        r.provider = Some("vertex".into());
        r.evidence = Evidence::Summary;
        r.http_status = Some(code);
        r.error_type = body
            .error_type
            .clone()
            .or_else(|| google_status_error_type(status).map(str::to_string));
        r.provider_code = Some(status.to_string());
        r.message = body.message.clone();
        r.model = model_in_text(line);
        if let Some(url) = line
            .split_whitespace()
            .find(|w| w.contains("aiplatform.googleapis.com"))
        {
            let url = url.trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';' | '(' | ')'));
            r.endpoint = endpoint_of(url, &[]);
        }
        return Some(r);
    }
    None
}

/// An AWS SDK for JavaScript v3 error printed by `console.error(err)`: the `Name: message`
/// line, the stack, then `{ '$fault': ..., '$metadata': { httpStatusCode, requestId,
/// attempts, ... } }`.
#[derive(Debug)]
struct JsDump {
    record: Record,
    lines: u64,
    metadata: bool,
    bedrock: bool,
}

#[derive(Debug, Default)]
pub(crate) struct CloudsParser {
    dump: Option<JsDump>,
    /// A pretty-printed JSON value being read (Google's error envelope over several lines).
    pretty: Option<PrettyJson>,
    /// The start of the line before, for the context of a pretty-printed body after it.
    prev: PrevLine,
    /// botocore's attempts at one call, from its DEBUG lines.
    boto: BotoChain,
    /// The last `XxxException: message` line read: its line, name and the start of its
    /// message. The same error on the very next line is that error told again (a Go
    /// `errorVerbose` field that repeats `error`, hard-wrapped onto a line of its own).
    last_exception: Option<(u64, String, String)>,
}

/// How much of an exception's message two lines must share to tell the same error.
const SAME_MESSAGE_BYTES: usize = 80;

/// The start of a message, cut on a character boundary.
fn message_head(msg: &str) -> &str {
    let mut end = msg.len().min(SAME_MESSAGE_BYTES);
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    &msg[..end]
}

#[derive(Debug, Default)]
struct PrevLine {
    lineno: u64,
    text: String,
}

/// Bytes of the line before kept for context.
const PREV_BYTES: usize = 512;
/// Bounds of a pretty-printed JSON value.
const MAX_PRETTY_LINES: u64 = 200;
const MAX_PRETTY_BYTES: usize = 64 * 1024;

#[derive(Debug)]
struct PrettyJson {
    start: u64,
    text: String,
    lines: u64,
    scanner: super::api::JsonScanner,
    /// The line before the value, when it was the line just before.
    context: Option<String>,
}

/// botocore DEBUG: urllib3 logs each attempt (`https://bedrock-runtime...:443 "POST
/// /model/.../invoke HTTP/1.1" 429 65`), the retry handler says when another one follows.
#[derive(Debug, Default)]
struct BotoChain {
    attempts: u32,
    retry_announced: bool,
    last_attempt_line: Option<u64>,
}

/// Lines from the last attempt within which a retry notice belongs to it.
const BOTO_RETRY_SPAN: u64 = 60;

static URLLIB3_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"https?://(?P<host>bedrock-runtime[\w.-]*\.amazonaws\.com)(?::\d+)? "(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/[\d.]+" (?P<status>\d{3}) "#)
        .expect("static regex")
});

impl LineParser for CloudsParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        if self.dump.is_some() {
            if let Some(claim) = self.dump_line(line, sink) {
                return claim;
            }
        }
        if self.pretty.is_some() {
            return self.pretty_line(line, sink);
        }
        let opens = line.len() <= 16 && matches!(line.trim(), "{" | "[" | "[{");
        if opens {
            let context = (self.prev.lineno + 1 == lineno && !self.prev.text.is_empty())
                .then(|| self.prev.text.clone());
            let mut scanner = super::api::JsonScanner::default();
            let _ = scanner.feed(line);
            self.pretty = Some(PrettyJson {
                start: lineno,
                text: line.trim().to_string(),
                lines: 1,
                scanner,
                context,
            });
            return Claim::Relevant;
        }
        self.note_prev(line, lineno);
        if !sink.marks(line).has(super::sdks::Group::Cloud) {
            return Claim::NotMine;
        }
        if let Some(claim) = self.boto_debug(line, lineno, sink) {
            return claim;
        }
        let clean = strip_ansi(line);
        let line = clean.as_ref();
        // Lines other parsers read better: LiteLLM wraps cloud errors (`litellm.XError:`,
        // its `LiteLLM` loggers), the Python SDK prints Vertex bodies as
        // `Error code: N - {...}`, Claude Code as `API Error (429 {...})`. A bare `litellm` in
        // a path or a key name is not LiteLLM's line.
        if line.contains("litellm.")
            || line.contains("LiteLLM")
            || line.contains("Exception - ")
            || line.contains("Error code: ")
            || line.contains("API Error")
        {
            return Claim::NotMine;
        }
        let stamp = stamp_near_start(line);
        let found = boto_record(line)
            .or_else(|| google_record(line, false))
            .or_else(|| boto_transport(line).map(Ok));
        match found {
            Some(Ok(mut r)) => {
                r.line = Some(lineno);
                r.stamp = stamp;
                push_told(sink, r);
                return Claim::Relevant;
            }
            Some(Err(())) => return Claim::Noise,
            None => {}
        }
        if let Some(c) = RUST_ERROR.captures(line) {
            if bedrock_code(&c["code"]).is_some()
                && (bedrock_message(line) || mentions_claude(line) || line.contains("bedrock"))
            {
                let mut r = bedrock_record(Evidence::Summary);
                r.line = Some(lineno);
                r.stamp = stamp;
                apply_bedrock_code(&mut r, &c["code"]);
                r.message = Some(c["msg"].to_string());
                r.request_id = Some(c["id"].to_string());
                r.model = BEDROCK_MODEL.find(line).map(|m| m.as_str().to_string());
                push_told(sink, r);
                return Claim::Relevant;
            }
        }
        if let Some(c) = JS_ERROR.captures(line) {
            let name = &c["name"];
            if bedrock_code(name).is_some() && !line.contains("botocore") {
                let head = message_head(c["msg"].trim());
                let again = self.last_exception.as_ref().is_some_and(|(at, n, m)| {
                    *at + 1 == lineno && n == name && head.len() >= 20 && m.as_str() == head
                });
                self.last_exception = Some((lineno, name.to_string(), head.to_string()));
                if again {
                    return Claim::Relevant;
                }
                let mut r = bedrock_record(Evidence::Exception);
                r.line = Some(lineno);
                r.stamp = stamp;
                apply_bedrock_code(&mut r, name);
                r.message = Some(c["msg"].trim().to_string()).filter(|m| !m.is_empty());
                r.model = BEDROCK_MODEL.find(line).map(|m| m.as_str().to_string());
                self.dump = Some(JsDump {
                    bedrock: bedrock_message(line) || mentions_claude(line),
                    record: r,
                    lines: 1,
                    metadata: false,
                });
                return Claim::Relevant;
            }
        }
        if mentions_claude(line) {
            if let Some(mut r) = google_envelope(line) {
                r.line = Some(lineno);
                r.stamp = stamp;
                push_told(sink, r);
                return Claim::Relevant;
            }
        }
        Claim::NotMine
    }

    fn busy(&self) -> bool {
        self.dump.is_some() || self.pretty.is_some()
    }

    fn finish(&mut self, sink: &mut Sink) {
        let _ = self.end_dump(sink);
        self.end_pretty(sink);
    }
}

impl CloudsParser {
    fn note_prev(&mut self, line: &str, lineno: u64) {
        let mut end = line.len().min(PREV_BYTES);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        self.prev.text.clear();
        self.prev.text.push_str(&line[..end]);
        self.prev.lineno = lineno;
    }

    /// The next line of a pretty-printed value: every line is its, until it closes.
    fn pretty_line(&mut self, line: &str, sink: &mut Sink) -> Claim {
        // Inner lines of pretty JSON are indented or close a bracket; anything else is a new
        // record, and the value was not JSON after all.
        let inner = matches!(
            line.as_bytes().first(),
            Some(b' ' | b'\t' | b'}' | b']' | b'"' | b',')
        );
        if !inner {
            self.end_pretty(sink);
            return Claim::NotMine;
        }
        let Some(p) = self.pretty.as_mut() else {
            return Claim::NotMine;
        };
        p.lines += 1;
        p.text.push('\n');
        p.text.push_str(line);
        let closed = p.scanner.feed(line).is_some();
        if closed || p.lines >= MAX_PRETTY_LINES || p.text.len() > MAX_PRETTY_BYTES {
            self.end_pretty(sink);
        }
        Claim::Relevant
    }

    /// A pretty-printed value ended: a Google error envelope about Claude is a failure (the
    /// log line or traceback before it tells the same failure, and joins it); anything else
    /// was noise.
    fn end_pretty(&mut self, sink: &mut Sink) {
        let Some(p) = self.pretty.take() else { return };
        let record = serde_json::from_str::<Value>(&p.text)
            .ok()
            .filter(|v| {
                v.pointer("/error/status").is_some() || v.pointer("/0/error/status").is_some()
            })
            .and_then(|v| {
                let context = p.context.as_deref().unwrap_or("");
                let text = format!("{context} {v}");
                // The same failure told just before by a record another parser read (a
                // traceback), with the same status. A plain line before that names no
                // Claude says whose error it is.
                let code = v
                    .pointer("/error/code")
                    .or_else(|| v.pointer("/0/error/code"))
                    .and_then(Value::as_u64);
                let near = p.context.is_none()
                    && sink.recent_failure(p.start, 40).is_some_and(|f| {
                        (f.source_kind == SourceKind::Vertex
                            || matches!(f.provider.as_deref(), Some("vertex" | "anthropic")))
                            && f.effective_status().map(u64::from) == code
                    });
                if !(near || mentions_claude(&text) || context.contains("aiplatform")) {
                    return None;
                }
                let mut r = google_envelope(&text)?;
                r.line = Some(p.start);
                r.stamp = stamp_near_start(context);
                Some(r)
            });
        match record {
            Some(r) => push_told(sink, r),
            None => sink.relevant_lines_were_noise(p.lines),
        }
    }

    /// botocore / urllib3 DEBUG lines about Bedrock attempts.
    fn boto_debug(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Option<Claim> {
        if line.contains("Retry needed, ") || line.contains("Response received to retry") {
            let recent = self
                .boto
                .last_attempt_line
                .is_some_and(|at| lineno.saturating_sub(at) <= BOTO_RETRY_SPAN);
            if !recent {
                return Some(Claim::Noise);
            }
            self.boto.retry_announced = true;
            return Some(Claim::Relevant);
        }
        if let Some(at) = line.find("'x-amzn-ErrorType': '") {
            // botocore's dump of the response headers, right after the attempt: the error
            // code and the request id of that attempt.
            let recent = self
                .boto
                .last_attempt_line
                .is_some_and(|l| lineno.saturating_sub(l) <= 3);
            let rest = &line[at + "'x-amzn-ErrorType': '".len()..];
            let code = rest.split([':', '\'']).next().unwrap_or("");
            if !recent || bedrock_code(code).is_none() {
                return Some(Claim::Noise);
            }
            let mut r = bedrock_record(Evidence::ResponseDump);
            r.line = Some(lineno);
            apply_bedrock_code(&mut r, code);
            r.request_id = line.find("'x-amzn-RequestId': '").and_then(|i| {
                let id = &line[i + "'x-amzn-RequestId': '".len()..];
                id.split('\'').next().map(str::to_string)
            });
            push_told(sink, r);
            return Some(Claim::Relevant);
        }
        if !line.contains("amazonaws.com") {
            return None;
        }
        let c = URLLIB3_LINE.captures(line)?;
        let path = c["path"].replace("%3A", ":").replace("%3a", ":");
        let Some(endpoint) = endpoint_of(&path, &sink.opts.api_paths) else {
            return Some(Claim::Noise);
        };
        let status: u16 = c["status"].parse().ok()?;
        let recent = self
            .boto
            .last_attempt_line
            .is_some_and(|at| lineno.saturating_sub(at) <= BOTO_RETRY_SPAN);
        let attempt = if self.boto.retry_announced && recent {
            self.boto.attempts.saturating_add(1)
        } else {
            1
        };
        self.boto = BotoChain {
            attempts: attempt,
            retry_announced: false,
            last_attempt_line: Some(lineno),
        };
        let ok = (200..300).contains(&status);
        let mut r = bedrock_record(Evidence::Transport);
        r.outcome = if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        r.line = Some(lineno);
        r.stamp = stamp_near_start(line);
        r.http_status = Some(status);
        r.model = super::api::model_of_path(&endpoint);
        r.endpoint = Some(endpoint);
        r.attempt = Some(attempt);
        if !ok {
            // urllib3 logs an attempt before anything else about it.
            super::python::close_last_failure(sink);
        }
        sink.push(r);
        Some(Claim::Relevant)
    }
}

static JS_PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*['"]?(?P<key>\$?\w+)['"]?: (?P<value>.*?),?\s*$"#).expect("static regex")
});

impl CloudsParser {
    /// The next line of a held error dump; `None` when the dump ended before it.
    fn dump_line(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let dump = self.dump.as_mut()?;
        let closing = line.trim_end() == "}";
        let indented = line.starts_with([' ', '\t']);
        if !(indented || closing) || dump.lines >= MAX_DUMP_LINES {
            let _ = self.end_dump(sink);
            return None;
        }
        dump.lines += 1;
        if line.contains("bedrock") {
            dump.bedrock = true;
        }
        if let Some(c) = JS_PROPERTY.captures(line) {
            let value = c["value"].trim_matches(|ch| ch == '\'' || ch == '"');
            match &c["key"] {
                "$metadata" => dump.metadata = true,
                "httpStatusCode" => {
                    if let Ok(s) = value.parse::<u16>() {
                        if dump.record.status.is_none() {
                            dump.record.http_status = Some(s);
                        }
                    }
                }
                "requestId" => {
                    dump.record.request_id = Some(value.to_string()).filter(|v| v != "undefined")
                }
                "attempts" => dump.record.attempt = value.parse().ok(),
                _ => {}
            }
        }
        if closing {
            // This line is not counted yet: it follows the verdict.
            dump.lines -= 1;
            return Some(if self.end_dump(sink) {
                Claim::Relevant
            } else {
                Claim::Noise
            });
        }
        Some(Claim::Relevant)
    }

    /// Emit the held dump if it is about Bedrock; else its lines were noise.
    fn end_dump(&mut self, sink: &mut Sink) -> bool {
        let Some(dump) = self.dump.take() else {
            return false;
        };
        let ours = if dump.metadata {
            dump.bedrock || dump.record.model.is_some()
        } else {
            dump.bedrock && dump.lines == 1
        };
        if ours {
            push_told(sink, dump.record);
        } else {
            sink.relevant_lines_were_noise(dump.lines);
        }
        ours
    }
}

/// A non-empty string at a JSON pointer.
pub(crate) fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// JSON objects: Bedrock model invocation log records, and AWS SDK errors serialized as JSON
/// (`{"name":"ThrottlingException","$fault":"client","$metadata":{...}}`, also under `err`).
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    if v.get("schemaType").and_then(Value::as_str) == Some("ModelInvocationLog") {
        return invocation_log(v, at, sink);
    }
    let err = if v.get("$metadata").is_some() {
        v
    } else {
        match ["err", "error"]
            .iter()
            .find_map(|k| v.get(*k).filter(|e| e.get("$metadata").is_some()))
        {
            Some(e) => e,
            None => return Claim::NotMine,
        }
    };
    let name = ["/name", "/type", "/Code", "/__type"]
        .iter()
        .find_map(|p| str_at(err, p));
    let Some(name) = name.filter(|n| bedrock_code(n).is_some()) else {
        return Claim::NotMine;
    };
    let message = str_at(err, "/message").or_else(|| str_at(err, "/Message"));
    let text = v.to_string();
    if !(text.contains("bedrock") || mentions_claude(&text) || message.is_some_and(bedrock_message))
    {
        return Claim::Noise;
    }
    let mut r = bedrock_record(Evidence::Exception);
    at.place(&mut r);
    apply_bedrock_code(&mut r, name);
    if let Some(s) = err
        .pointer("/$metadata/httpStatusCode")
        .and_then(Value::as_u64)
    {
        if r.status.is_none() {
            r.http_status = u16::try_from(s).ok();
        }
    }
    r.request_id = str_at(err, "/$metadata/requestId").map(str::to_string);
    r.attempt = err
        .pointer("/$metadata/attempts")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    r.message = message.map(str::to_string);
    r.model = BEDROCK_MODEL.find(&text).map(|m| m.as_str().to_string());
    r.stamp = ["/time", "/timestamp", "/@timestamp"]
        .iter()
        .find_map(|p| str_at(v, p))
        .and_then(crate::time::iso);
    push_told(sink, r);
    Claim::Relevant
}

fn invocation_log(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let model = str_at(v, "/modelId");
    let claude = model.is_some_and(mentions_claude)
        || v.pointer("/input/inputBodyJson/anthropic_version")
            .is_some();
    if !claude {
        return Claim::Noise;
    }
    let error_code = str_at(v, "/errorCode");
    let error_message = str_at(v, "/errorMessage");
    let failed = error_code.is_some() || (v.get("output").is_none() && error_message.is_some());
    let mut r = Record::new(
        SourceKind::Bedrock,
        if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    );
    r.provider = Some("bedrock".into());
    at.place(&mut r);
    r.stamp = str_at(v, "/timestamp").and_then(crate::time::iso);
    r.request_id = str_at(v, "/requestId").map(str::to_string);
    r.model = model.map(str::to_string);
    r.endpoint = match (str_at(v, "/operation"), model) {
        (Some(op), Some(m)) => bedrock_path(op, m),
        _ => None,
    };
    if failed {
        if let Some(code) = error_code {
            apply_bedrock_code(&mut r, code);
        }
        r.message = error_message.map(str::to_string);
        if r.http_status.is_none() && r.error_type.is_none() {
            r.error_type = Some("unknown".into());
        }
    } else {
        r.http_status = Some(200);
    }
    sink.push(r);
    Claim::Relevant
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, FileScan, ScanOptions};
    use super::*;
    use crate::record::Stamp;

    fn scan(text: &str) -> FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn a_botocore_error_that_mentions_litellm_in_passing_is_still_read() {
        // Found by the planted-secrets test: a virtual key named `sk-...litellm...` made the
        // line look like LiteLLM's, and neither parser took it.
        let s = scan(concat!(
            "2025-10-02 08:41:00,533 ERROR [app] invoke failed: botocore.errorfactory.ValidationException: An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request (key sk-FAKElitellmVirtualKey, config /etc/litellm/config.yaml)\n",
            "litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        assert_eq!(s.failures[0].http_status, Some(400));
        assert_eq!(s.failures[0].source_kind, SourceKind::Bedrock);
        // The LiteLLM line names no model: the Bedrock call just before makes it Claude's
        // (read by the format-agnostic layer).
        assert_eq!(s.failures[1].http_status, Some(429));
        assert_eq!(s.failures[1].source_kind, SourceKind::ErrorText);
        assert_eq!(s.failures[1].provider.as_deref(), Some("bedrock"));
    }

    #[test]
    fn botocore_client_errors() {
        let s = scan(concat!(
            "botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4): Too many requests, please wait before trying again.\n",
            "2025-10-02 08:41:17,001 ERROR [main] An error occurred (ValidationException) when calling the Converse operation: Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.\n",
            "botocore.exceptions.EventStreamError: An error occurred (modelStreamErrorException) when calling the ConverseStream operation: Model produced invalid sequence as part of ToolUse. Please refer to the model tool use troubleshooting guide.\n",
            "botocore.exceptions.EventStreamError: An error occurred (throttlingException) when calling the InvokeModelWithResponseStream operation: Too many requests, please wait before trying again.\n",
            "botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.\n",
            "An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request for amazon.titan-embed-text-v2:0\n",
        ));
        assert_eq!(s.failures.len(), 4, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!((f.http_status, f.attempt), (Some(429), Some(5)));
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.provider_code.as_deref(), Some("ThrottlingException"));
        assert_eq!(f.source_kind, SourceKind::Bedrock);
        let v = &s.failures[1];
        assert_eq!(
            v.model.as_deref(),
            Some("anthropic.claude-3-5-sonnet-20241022-v2:0")
        );
        assert_eq!(
            v.endpoint.as_deref(),
            Some("/model/anthropic.claude-3-5-sonnet-20241022-v2:0/converse")
        );
        assert!(matches!(v.stamp, Some(Stamp::Naive(_))));
        let m = &s.failures[2];
        assert_eq!(m.effective_status(), None);
        assert_eq!(m.error_type.as_deref(), Some("stream_error"));
        assert_eq!(
            m.provider_code.as_deref(),
            Some("modelStreamErrorException")
        );
        let t = &s.failures[3];
        assert_eq!(
            (t.http_status, t.effective_status()),
            (Some(200), Some(429))
        );
        assert_eq!(s.lines.noise, 2);
    }

    #[test]
    fn botocore_transport_errors_on_bedrock_urls() {
        let s = scan(concat!(
            "botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: \"https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke\"\n",
            "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: \"https://bedrock-runtime.eu-west-9.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1:0/converse\"\n",
            "botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: \"https://s3.amazonaws.com/bucket/key\"\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let t = &s.failures[0];
        assert_eq!(t.error_type.as_deref(), Some("client_timeout"));
        assert_eq!(
            t.model.as_deref(),
            Some("us.anthropic.claude-sonnet-4-20250514-v1:0")
        );
        assert_eq!(
            s.failures[1].error_type.as_deref(),
            Some("connection_error")
        );
    }

    #[test]
    fn google_api_core_needs_claude() {
        let s = scan(concat!(
            "google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet-v2. Please submit a quota increase request.\n",
            "google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model with base model: gemini-1.5-pro.\n",
            "google.api_core.exceptions.RetryError: Timeout of 600.0s exceeded, last exception: 429 Quota exceeded for base model: anthropic-claude-opus-4\n",
        ));
        assert_eq!(s.failures.len(), 2);
        let f = &s.failures[0];
        assert_eq!(f.source_kind, SourceKind::Vertex);
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.provider_code.as_deref(), Some("ResourceExhausted"));
        assert_eq!(f.model.as_deref(), Some("anthropic-claude-3-5-sonnet-v2"));
        assert_eq!(s.failures[1].http_status, Some(429));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn google_envelopes_in_lines() {
        let s = scan(concat!(
            "2025-10-02T08:41:17Z ERROR rawPredict publishers/anthropic/models/claude-sonnet-4@20250514 failed: [{\"error\": {\"code\": 429, \"message\": \"Resource exhausted. Please try again later.\", \"status\": \"RESOURCE_EXHAUSTED\"}}]\n",
            "2025-10-02T08:41:18Z ERROR gemini failed: {\"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}}\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4@20250514"));
    }

    /// A Go `errorVerbose` that repeats `error`, hard-wrapped onto the next line: one error.
    /// The same error on a later line is another attempt.
    #[test]
    fn an_exception_told_again_on_the_next_line_is_one_failure() {
        let told = "relay error {\"model\": \"claude-sonnet-4-5\", \"error\": \"StatusCode: 400, ValidationException: Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported.\", \"errorVerbose\": \"StatusCode: 400, \n";
        let wrapped = "ValidationException: Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported.\\nInvokeModel\\n\\t/app/main.go:188\"}\n";
        let s = scan(&format!("{told}{wrapped}"));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].line, Some(1));
        let s = scan(&format!("{told}{wrapped}next request\n{told}"));
        assert_eq!(s.failures.len(), 2);
    }

    #[test]
    fn aws_js_error_dump() {
        let s = scan("Bedrock call failed: ThrottlingException: Too many requests, please wait before trying again.\n    at de_ThrottlingExceptionRes (/app/node_modules/@aws-sdk/client-bedrock-runtime/dist-cjs/index.js:1423:21)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {\n  '$fault': 'client',\n  '$metadata': {\n    httpStatusCode: 429,\n    requestId: '9b2c4d6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f',\n    extendedRequestId: undefined,\n    cfId: undefined,\n    attempts: 3,\n    totalRetryDelay: 1280\n  }\n}\nnext\n");
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!((f.http_status, f.attempt), (Some(429), Some(3)));
        assert_eq!(
            f.request_id.as_deref(),
            Some("9b2c4d6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f")
        );
        assert_eq!(s.lines.relevant, 13);
        let s = scan("ValidationException: One or more parameter values were invalid\n    at de (/app/node_modules/@aws-sdk/client-dynamodb/index.js:1:1) {\n  '$fault': 'client',\n  '$metadata': {\n    httpStatusCode: 400,\n  }\n}\n");
        assert!(s.failures.is_empty());
        assert_eq!(s.lines.relevant, 0);
    }

    #[test]
    fn invocation_logs() {
        let s = scan(concat!(
            r#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2025-10-02T08:41:17Z","accountId":"123456789012","region":"us-east-1","requestId":"6f1c2e3d-0a9b-4c8d-9e7f-112233445566","operation":"InvokeModel","modelId":"us.anthropic.claude-sonnet-4-20250514-v1:0","input":{"inputContentType":"application/json","inputTokenCount":812},"output":{"outputContentType":"application/json","outputTokenCount":96}}"#,
            "\n",
            r#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2025-10-02T08:41:19Z","requestId":"7a2d3e4f-1b0c-4d9e-8f70-223344556677","operation":"InvokeModel","modelId":"us.anthropic.claude-sonnet-4-20250514-v1:0","errorCode":"ThrottlingException","errorMessage":"Too many requests, please wait before trying again."}"#,
            "\n",
            r#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2025-10-02T08:41:19Z","requestId":"8","operation":"InvokeModel","modelId":"amazon.titan-text-express-v1","errorCode":"ThrottlingException"}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(
            f.request_id.as_deref(),
            Some("7a2d3e4f-1b0c-4d9e-8f70-223344556677")
        );
        assert_eq!(
            f.endpoint.as_deref(),
            Some("/model/us.anthropic.claude-sonnet-4-20250514-v1:0/invoke")
        );
        assert_eq!(s.lines.noise, 1);
    }

    type Row<'a> = (
        Option<u16>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<u32>,
    );

    fn rows(s: &FileScan) -> Vec<Row<'_>> {
        s.failures
            .iter()
            .map(|f| {
                (
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.provider_code.as_deref(),
                    f.request_id.as_deref(),
                    f.attempt,
                )
            })
            .collect()
    }

    #[test]
    fn sample_boto3_log() {
        let s = scan(include_str!("../../samples/bedrock/boto3.log"));
        let want: Vec<Row> = vec![
            (
                Some(400),
                Some("invalid_request_error"),
                Some("ValidationException"),
                None,
                None,
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("ThrottlingException"),
                None,
                Some(5),
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("ThrottlingException"),
                None,
                Some(3),
            ),
            (
                Some(503),
                Some("overloaded_error"),
                Some("ServiceUnavailableException"),
                None,
                None,
            ),
            (
                None,
                Some("stream_error"),
                Some("modelStreamErrorException"),
                None,
                None,
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("throttlingException"),
                None,
                None,
            ),
            (
                Some(403),
                Some("permission_error"),
                Some("AccessDeniedException"),
                None,
                None,
            ),
            (
                Some(404),
                Some("not_found_error"),
                Some("ResourceNotFoundException"),
                None,
                None,
            ),
            (
                Some(400),
                Some("authentication_error"),
                Some("ExpiredTokenException"),
                None,
                None,
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("ThrottlingException"),
                Some("9b2c4d6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f"),
                Some(3),
            ),
        ];
        assert_eq!(rows(&s), want, "{:#?}", s.failures);
        assert!(s
            .failures
            .iter()
            .all(|f| f.source_kind == SourceKind::Bedrock));
        let first = &s.failures[0];
        // At the exception line, not the traceback's header.
        assert_eq!(first.line, Some(11));
        assert_eq!(
            first.model.as_deref(),
            Some("anthropic.claude-3-5-sonnet-20241022-v2:0")
        );
        assert_eq!(s.failures[5].http_status, Some(200));
        assert_eq!(s.lines.unparseable, 0);
    }

    #[test]
    fn sample_vertex_log() {
        let s = scan(include_str!("../../samples/vertex/vertex.log"));
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.source_kind,
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.provider_code.as_deref(),
                )
            })
            .collect();
        let (py, vx) = (SourceKind::SdkPython, SourceKind::Vertex);
        let want = vec![
            (
                py,
                Some(429),
                Some("rate_limit_error"),
                Some("RESOURCE_EXHAUSTED"),
            ),
            (
                vx,
                Some(429),
                Some("rate_limit_error"),
                Some("ResourceExhausted"),
            ),
            (vx, Some(404), Some("not_found_error"), Some("NotFound")),
            (
                vx,
                Some(403),
                Some("permission_error"),
                Some("PermissionDenied"),
            ),
            (
                vx,
                Some(400),
                Some("invalid_request_error"),
                Some("FailedPrecondition"),
            ),
            (
                vx,
                Some(429),
                Some("rate_limit_error"),
                Some("RESOURCE_EXHAUSTED"),
            ),
            (vx, Some(503), Some("overloaded_error"), Some("UNAVAILABLE")),
            (py, Some(404), Some("not_found_error"), Some("NOT_FOUND")),
            (
                py,
                Some(504),
                Some("timeout_error"),
                Some("DEADLINE_EXCEEDED"),
            ),
            (py, Some(529), Some("overloaded_error"), None),
        ];
        assert_eq!(got, want, "{:#?}", s.failures);
        let first = &s.failures[0];
        assert_eq!(first.provider.as_deref(), Some("vertex"));
        assert_eq!(first.model.as_deref(), Some("claude-sonnet-4@20250514"));
        assert!(first
            .endpoint
            .as_deref()
            .is_some_and(|e| e.ends_with(":rawPredict")));
        assert_eq!(s.failures[1].line, Some(11));
        assert_eq!(
            s.failures[3].model.as_deref(),
            Some("claude-opus-4-1@20250805")
        );
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.noise, 5);
    }

    #[test]
    fn sample_invocation_jsonl() {
        let s = scan(include_str!("../../samples/bedrock/invocation.jsonl"));
        let want: Vec<Row> = vec![
            (
                Some(429),
                Some("rate_limit_error"),
                Some("ThrottlingException"),
                Some("7a2d3e4f-1b0c-4d9e-8f70-223344556677"),
                None,
            ),
            (
                Some(400),
                Some("invalid_request_error"),
                Some("ValidationException"),
                Some("9c4f5061-3d2e-4f10-8b92-445566778899"),
                None,
            ),
            (
                Some(408),
                Some("timeout_error"),
                Some("ModelTimeoutException"),
                Some("d0e1f2a3-4b5c-4d6e-8f70-8192a3b4c5d6"),
                None,
            ),
        ];
        assert_eq!(rows(&s), want, "{:#?}", s.failures);
        assert_eq!(s.successes.values().sum::<u64>(), 3);
        assert_eq!(s.lines.noise, 2);
        assert_eq!(s.failures[0].line, Some(2));
        assert!(s.failures[0].stamp.is_some());
        assert_eq!(
            s.failures[2].endpoint.as_deref(),
            Some("/model/eu.anthropic.claude-3-7-sonnet-20250219-v1:0/invoke-with-response-stream")
        );
    }

    #[test]
    fn pretty_printed_google_error_after_a_log_line_is_one_failure() {
        let s = scan(concat!(
            "2025-10-02 16:20:11,482 ERROR [w] claude call failed, body:\n",
            "{\n",
            "  \"error\": {\n",
            "    \"code\": 429,\n",
            "    \"message\": \"Resource exhausted. Please try again later.\",\n",
            "    \"status\": \"RESOURCE_EXHAUSTED\"\n",
            "  }\n",
            "}\n",
            "2025-10-02 16:20:12,000 INFO [w] gemini call failed, body:\n",
            "{\n",
            "  \"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}\n",
            "}\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.line, Some(2));
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert!(f.stamp.is_some());
        assert_eq!(s.lines.relevant, 7);
        assert_eq!(s.lines.read, 12);
    }

    #[test]
    fn an_open_brace_that_is_not_json_does_not_swallow_the_next_lines() {
        let s = scan(concat!(
            "{\n",
            "[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 529 \"\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(529));
    }

    #[test]
    fn botocore_debug_attempts_and_the_final_error_are_one_failure_each_attempt() {
        let s = scan(concat!(
            "2025-10-02 08:41:17,120 urllib3.connectionpool [DEBUG] https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke HTTP/1.1\" 429 65\n",
            "2025-10-02 08:41:17,121 botocore.parsers [DEBUG] Response headers: {'x-amzn-RequestId': '6f1c2e3d-0a9b-4c8d-9e7f-112233445566', 'x-amzn-ErrorType': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'}\n",
            "2025-10-02 08:41:17,122 botocore.retries.standard [DEBUG] Retry needed, retrying request after delay of: 0.68\n",
            "2025-10-02 08:41:18,120 urllib3.connectionpool [DEBUG] https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke HTTP/1.1\" 429 65\n",
            "2025-10-02 08:41:18,200 app [ERROR] failed: An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 1): Too many requests, please wait before trying again.\n",
            "2025-10-02 08:41:19,120 urllib3.connectionpool [DEBUG] https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/meta.llama3-70b-instruct-v1%3A0/invoke HTTP/1.1\" 429 65\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].attempt, Some(1));
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("6f1c2e3d-0a9b-4c8d-9e7f-112233445566")
        );
        assert_eq!(s.failures[1].attempt, Some(2));
        assert_eq!(
            s.failures[1].provider_code.as_deref(),
            Some("ThrottlingException")
        );
        assert_eq!(
            s.failures[1].endpoint.as_deref(),
            Some("/model/anthropic.claude-3-5-sonnet-20241022-v2:0/invoke")
        );
    }
}
