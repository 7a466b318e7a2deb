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

use crate::input::sink::{Claim, LineParser, MarkerGroup, Position, Sink};
use crate::input::toolkit::api::{
    endpoint_of, error_body, google_status_error_type, mentions_claude, model_in_text,
    stamp_near_start, strip_ansi,
};
use crate::input::toolkit::cloud_text::{
    apply_bedrock_code, bedrock_code, bedrock_message, bedrock_path, bedrock_record, boto_record,
    boto_transport, google_record, str_at, BEDROCK_MODEL, JS_ERROR, RUST_ERROR,
};
use crate::input::toolkit::producer;
use crate::record::{Evidence, Outcome, Record, SourceKind};

/// Bounds of an AWS SDK for JavaScript error dump.
const MAX_DUMP_LINES: u64 = 80;

impl CloudsParser {
    /// A parser whose marker words are group `markers` of the marker pass.
    pub(crate) fn new(markers: MarkerGroup) -> CloudsParser {
        CloudsParser {
            markers,
            ..CloudsParser::default()
        }
    }
}

/// Words that a line of this format holds (one of); also part of the shared per-line pass
/// (`Sink::marks`).
pub(crate) const MARKERS: [&str; 18] = [
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
    /// This format's group in the per-line marker pass (given by the dispatcher).
    markers: MarkerGroup,
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
    scanner: crate::input::toolkit::api::JsonScanner,
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
            let mut scanner = crate::input::toolkit::api::JsonScanner::default();
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
        if !sink.marks(line).has(self.markers) {
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
            // A Bedrock error that names no model, from a producer (a Lambda log stream, a
            // thread) whose last model words were another vendor's: that call's error.
            Some(Ok(r))
                if r.model.is_none()
                    && sink.producer_words(producer::of(line)).is_some_and(
                        |(claude, other)| {
                            other > claude && other.is_some_and(|o| lineno.saturating_sub(o) <= 200)
                        },
                    ) =>
            {
                return Claim::Noise;
            }
            Some(Ok(mut r)) => {
                r.line = Some(lineno);
                r.stamp = stamp;
                sink.push_told(r);
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
                sink.push_told(r);
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
                sink.push_told(r);
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
        // A Google error envelope's first member is `"error"` (`[` then `{` for an array of
        // them). Any other pretty-printed value (a Worker's tail event, a debug dump) is for
        // the other readers, line by line.
        if p.lines == 1 {
            let t = line.trim();
            if !(t.starts_with("\"error\"") || (p.text == "[" && t == "{")) {
                self.pretty = None;
                sink.relevant_lines_were_noise(1);
                return Claim::NotMine;
            }
        }
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
            Some(r) => sink.push_told(r),
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
            sink.push_told(r);
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
        r.outcome = Outcome::of(!ok);
        r.line = Some(lineno);
        r.stamp = stamp_near_start(line);
        r.http_status = Some(status);
        r.model = crate::input::toolkit::api::model_of_path(&endpoint);
        r.endpoint = Some(endpoint);
        r.attempt = Some(attempt);
        if !ok {
            // urllib3 logs an attempt before anything else about it.
            sink.close_last_failure();
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
            sink.push_told(dump.record);
        } else {
            sink.relevant_lines_were_noise(dump.lines);
        }
        ours
    }
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
    sink.push_told(r);
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
    let mut r = Record::new(SourceKind::Bedrock, Outcome::of(failed));
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
