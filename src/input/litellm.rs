//! LiteLLM (FORMATS.md): exception strings of the SDK and the proxy
//! (`litellm.RateLimitError: AnthropicException - {...}`), proxy text logs with ANSI colours,
//! uvicorn access lines, JSON logs (`JSON_LOGS`), the OpenAI-shaped error the proxy returns,
//! and callback payloads with `error_information`.
//!
//! Only Claude traffic counts: Anthropic exceptions, Bedrock/Vertex exceptions and other
//! providers' only when the line names Claude, and the proxy's own budget and routing
//! errors. The provider is `anthropic` when the embedded body is an Anthropic error, `bedrock`
//! or `vertex` for those providers, else `litellm`.
//!
//! One failure is often told three times: the proxy's exception line, its traceback and the
//! uvicorn access line of the response. The exception line is `Summary` evidence, the
//! traceback (read by the Python module) `Exception`, the returned error JSON
//! `ResponseDump`, so they join. The access line does not become a record when it reports
//! the failure just told (same status, or the status LiteLLM's class maps to, a few lines
//! after it): it only adds the endpoint. Alone, an access line is one attempt (`Whole`),
//! counted as a call whatever its status.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::api::{
    endpoint_of, error_body, google_status_error_type, mentions_claude, plain_text, strip_ansi,
    ErrorBody,
};
use super::clouds::str_at;
use super::json::Position;
use super::python::{model_in_text, push_told};
use super::{pyrepr, Claim, LineParser, Sink};
use crate::record::{status_for_error_type, Evidence, Outcome, Record, SourceKind, Stamp};

/// Lines an access line may follow the exception it reports.
const ACCESS_JOIN: u64 = 40;

pub(crate) fn parsers() -> Vec<Box<dyn LineParser>> {
    vec![Box::new(LitellmParser::default())]
}

/// Words that a line of this format holds (one of); also part of the shared per-line pass
/// (`Sink::marks`).
pub(crate) const LITELLM_TRIGGERS: [&str; 8] = [
    "litellm.",
    "LiteLLM",
    "Exception - ",
    "Error - ",
    "HTTP/1.1\" ",
    "HTTP/1.0\" ",
    "HTTP/2\" ",
    "Received Model Group=",
];

/// The status a LiteLLM exception class stands for, and the error type when it is not the
/// one the status implies.
fn class_info(class: &str) -> Option<(Option<u16>, Option<&'static str>)> {
    Some(match class {
        "AuthenticationError" => (Some(401), None),
        "NotFoundError" => (Some(404), None),
        "BadRequestError"
        | "UnsupportedParamsError"
        | "ContextWindowExceededError"
        | "RejectedRequestError"
        | "ContentPolicyViolationError" => (Some(400), None),
        "UnprocessableEntityError" => (Some(422), None),
        "PermissionDeniedError" => (Some(403), None),
        "RateLimitError" => (Some(429), None),
        "InternalServerError"
        | "APIError"
        | "APIResponseValidationError"
        | "JSONSchemaValidationError" => (Some(500), None),
        "ServiceUnavailableError" => (Some(503), None),
        "BadGatewayError" => (Some(502), None),
        // LiteLLM's own timeout of the upstream call: no response arrived.
        "Timeout" => (None, Some("client_timeout")),
        "APIConnectionError" => (None, Some("connection_error")),
        // The proxy's own policy: spend limit, no deployment left (cooldown).
        "BudgetExceededError" => (Some(400), Some("gateway_error")),
        "RouterRateLimitError" => (Some(429), Some("gateway_error")),
        _ => return None,
    })
}

/// The status LiteLLM answers the client with for an exception class.
fn proxy_status(class: &str) -> Option<u16> {
    match class {
        "Timeout" => Some(408),
        "APIConnectionError" => Some(500),
        other => class_info(other).and_then(|(s, _)| s),
    }
}

static CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])litellm\.(?:exceptions\.)?(?P<class>[A-Z]\w*): ")
        .expect("static regex")
});
/// Another class stacked after the first (`litellm.BadRequestError: `, `APIError: `).
static STACKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:litellm\.(?:exceptions\.)?)?(?P<class>[A-Z]\w*(?:Error|Timeout)): ")
        .expect("static regex")
});
static PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<provider>[A-Za-z_]+?)(?:Exception|Error) - ").expect("static regex")
});
static MODEL_GROUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Received Model Group=(?P<m>[^\s,]+)").expect("static regex"));
static PASSED_MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:Passed model=|model=|LiteLLM model: ?)(?P<m>[\w./:@-]*claude[\w./:@-]*)")
        .expect("static regex")
});
static RETRIED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"LiteLLM Retried: (?P<n>\d+) times?").expect("static regex"));
static ACCESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)(?:INFO|WARNING|ERROR|DEBUG|CRITICAL):\s+(?P<client>\S+) - "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3})\b"#)
        .expect("static regex")
});
/// The same access line as the message of a JSON log record (no level prefix).
static ACCESS_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?P<client>[\w.:\[\]-]+) - "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3})\b"#)
        .expect("static regex")
});
/// Colour codes whose escape character a log viewer already dropped (`[92m`).
static BARE_COLOUR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[[0-9;]{1,8}m").expect("static regex"));

/// Where the text that follows a provider's name ends: LiteLLM's own suffixes.
fn cut_tail(text: &str) -> &str {
    let mut end = text.len();
    for marker in [
        ". Received Model Group=",
        " Received Model Group=",
        "Received Model Group=",
        "\nAvailable Model Group Fallbacks",
        " Available Model Group Fallbacks",
        ". Handle with `litellm.",
        " Handle with `litellm.",
        " LiteLLM Retried: ",
        ", LiteLLM Max Retries",
        " LiteLLM Max Retries",
    ] {
        if let Some(i) = text.find(marker) {
            end = end.min(i);
        }
    }
    text[..end].trim()
}

/// A provider's text: JSON, a Python bytes repr of JSON, a dict repr, or plain text.
fn read_provider_text(text: &str) -> (ErrorBody, bool) {
    let t = text.trim();
    let decoded;
    let t = if t.starts_with("b'") || t.starts_with("b\"") {
        match pyrepr::string_literal(t) {
            Some((s, _)) => {
                decoded = s;
                decoded.as_str()
            }
            None => t,
        }
    } else {
        t
    };
    if t.starts_with('{') || t.starts_with('[') {
        let value = serde_json::Deserializer::from_str(t)
            .into_iter::<Value>()
            .next()
            .and_then(Result::ok)
            .or_else(|| pyrepr::parse_prefix(t).ok().map(|(v, _)| v))
            .or_else(|| pyrepr::parse_lenient(t).ok().map(|(v, _)| v));
        if let Some(v) = value.filter(|v| v.is_object() || v.is_array()) {
            let anthropic = v.get("type").and_then(Value::as_str) == Some("error")
                || v.pointer("/error/type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| status_for_error_type(t).is_some());
            return (error_body(&v), anthropic);
        }
    }
    let message = cut_tail(t).trim_end_matches('.').trim();
    (
        ErrorBody {
            message: Some(plain_text(message)).filter(|m| !m.is_empty()),
            ..ErrorBody::default()
        },
        false,
    )
}

/// A LiteLLM exception string anywhere in `text`: the record, or `Err` when it is LiteLLM's
/// but not about Claude.
fn exception(text: &str) -> Option<Result<Record, ()>> {
    let c = CLASS.captures(text)?;
    let first = c.name("class")?.as_str();
    class_info(first)?;
    let mut classes = vec![first];
    let mut rest = &text[c.get(0)?.end()..];
    while let Some(s) = STACKED.captures(rest) {
        let class = s.name("class").map_or("", |m| m.as_str());
        classes.push(class);
        rest = &rest[s.get(0).map_or(0, |m| m.end())..];
    }
    let (provider, body_text) = match PROVIDER.captures(rest) {
        Some(p) => (
            Some(p["provider"].to_ascii_lowercase()),
            &rest[p.get(0).map_or(0, |m| m.end())..],
        ),
        None => (None, rest),
    };
    let (body, anthropic_body) = read_provider_text(cut_tail(body_text));
    let claude = mentions_claude(text);
    let gateway_own = classes
        .iter()
        .any(|c| matches!(*c, "BudgetExceededError" | "RouterRateLimitError"));
    let provider_name = match provider.as_deref() {
        Some("anthropic") => {
            if anthropic_body {
                "anthropic"
            } else {
                "litellm"
            }
        }
        Some("bedrock") if claude => "bedrock",
        Some("vertexai" | "vertex_ai" | "vertex_ai_beta") if claude => "vertex",
        _ if claude || gateway_own => "litellm",
        // A client of a LiteLLM proxy, or a cloud's error whose line names no model: whose
        // call it was, the file's context tells (the format-agnostic layer reads it).
        Some("litellm_proxy" | "bedrock" | "vertexai" | "vertex_ai" | "vertex_ai_beta") => {
            return None
        }
        _ => return Some(Err(())),
    };
    let mut r = Record::new(SourceKind::Litellm, Outcome::Failure);
    r.provider = Some(provider_name.into());
    r.evidence = Evidence::Summary;
    let (class_status, class_type) = classes
        .iter()
        .find_map(|c| class_info(c).filter(|(s, t)| s.is_some() || t.is_some()))
        .unwrap_or((None, None));
    r.error_type = body
        .error_type
        .clone()
        .or_else(|| {
            body.provider_code
                .as_deref()
                .and_then(google_status_error_type)
                .map(str::to_string)
        })
        .or_else(|| class_type.map(str::to_string));
    let message = body.message.clone().unwrap_or_default();
    if r.error_type.is_none() && message.eq_ignore_ascii_case("overloaded") {
        r.error_type = Some("overloaded_error".into());
    }
    if matches!(r.error_type.as_deref(), Some("connection_error"))
        && (message.contains("incomplete chunked read")
            || message.contains("peer closed connection"))
    {
        r.error_type = Some("stream_error".into());
    }
    let no_response = matches!(
        r.error_type.as_deref(),
        Some("connection_error" | "client_timeout" | "stream_error")
    );
    r.http_status = if no_response {
        None
    } else {
        r.error_type
            .as_deref()
            .filter(|_| body.error_type.is_some() || message.eq_ignore_ascii_case("overloaded"))
            .and_then(status_for_error_type)
            .or(body.status)
            .or(class_status)
    };
    r.provider_code = body
        .provider_code
        .clone()
        .or_else(|| Some(first.to_string()));
    r.message = body.message;
    r.request_id = body.request_id;
    r.attempt = RETRIED
        .captures(text)
        .and_then(|m| m["n"].parse::<u32>().ok())
        .and_then(|n| n.checked_add(1));
    r.model = MODEL_GROUP
        .captures(text)
        .map(|m| m["m"].trim_end_matches(['.', '\\']).to_string())
        .or_else(|| {
            PASSED_MODEL
                .captures(text)
                .map(|m| without_route(m["m"].trim_end_matches('.')))
        })
        .or_else(|| model_in_text(text));
    Some(Ok(r))
}

/// `anthropic/claude-sonnet-4-5` -> `claude-sonnet-4-5`: LiteLLM's provider route is not part
/// of the model id.
fn without_route(model: &str) -> String {
    match model.split_once('/') {
        Some((
            "anthropic" | "bedrock" | "vertex_ai" | "vertex_ai_beta" | "converse" | "invoke",
            id,
        )) => without_route(id),
        _ => model.to_string(),
    }
}

/// The lines LiteLLM's exception message goes on with after `Received Model Group=...`.
pub(crate) fn is_continuation(line: &str) -> bool {
    [
        "Available Model Group Fallbacks",
        "Error doing the fallback",
        "LiteLLM Retried",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

/// How far below a proxy's exception line its traceback's last line may be.
const TRACEBACK_LINES: u64 = 40;

/// Whether `key` (`litellm.exceptions.X: litellm.X: ...`, a traceback's last line) tells the
/// exception `told` (`litellm.X: ...`, perhaps cut short) again.
fn ends_traceback_of(key: &str, told: &str) -> bool {
    let Some(rest) = key.strip_prefix("litellm.exceptions.") else {
        return false;
    };
    let told = told.strip_prefix("litellm.").unwrap_or(told).trim_end();
    told.len() >= 20 && rest.starts_with(told)
}

/// A LiteLLM exception ending a Python traceback.
pub(crate) fn exception_record(text: &str) -> Option<Record> {
    exception(text).and_then(Result::ok)
}

#[derive(Debug, Default)]
pub(crate) struct LitellmParser {
    /// An exception line whose message goes on in the next line
    /// (`Available Model Group Fallbacks=None LiteLLM Retried: 2 times`).
    held: Option<Record>,
    held_lines: u32,
    /// The failure an access line already reported (its id in the sink).
    reported: Option<u32>,
    /// The last exception text pushed and who told it (`router`, `proxy`), to join the
    /// proxy's second telling of it.
    last_text: Option<(u64, String, &'static str)>,
}

impl LineParser for LitellmParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        // A call the router answered since: an exception told next is another call's.
        if self.last_text.is_some() && line.contains("LiteLLM Router") && line.contains(" 200 OK") {
            self.last_text = None;
        }
        if let Some(mut held) = self.held.take() {
            let clean = strip_ansi(line);
            let t = clean.trim_start();
            if is_continuation(t) && self.held_lines < 3 {
                if let Some(m) = RETRIED.captures(t) {
                    held.attempt = m["n"].parse::<u32>().ok().and_then(|n| n.checked_add(1));
                }
                if held.attempt.is_some() {
                    self.push(held, sink);
                } else {
                    // `Error doing the fallback: ... LiteLLM Retried: 1 times` may follow.
                    self.held = Some(held);
                    self.held_lines += 1;
                }
                return Claim::Relevant;
            }
            self.push(held, sink);
        }
        if !sink.marks(line).has(super::sdks::Group::Litellm) {
            return Claim::NotMine;
        }
        let mut clean = strip_ansi(line);
        if clean.contains("m")
            && BARE_COLOUR.is_match(&clean)
            && (clean.contains("LiteLLM") || clean.contains("litellm"))
        {
            clean = std::borrow::Cow::Owned(BARE_COLOUR.replace_all(&clean, "").into_owned());
        }
        let line = clean.as_ref();
        if let Some(c) = ACCESS.captures(line) {
            let status = c["status"].parse().unwrap_or(0);
            let at = Position::Line(lineno);
            return access_line(&c["target"], status, at, None, &mut self.reported, sink);
        }
        match exception(line) {
            Some(Ok(mut r)) => {
                r.line = Some(lineno);
                r.stamp = super::api::stamp_near_start(line);
                // Raised while the proxy streamed its answer: the client had its 200.
                if line.contains("async_data_generator") && r.http_status.is_some() {
                    r.http_status = Some(200);
                }
                let from = CLASS.find(line).map_or(0, |m| m.start());
                let key = cut_tail(&line[from..]).to_string();
                let logger = if line.contains("LiteLLM Router") {
                    "router"
                } else if line.contains("LiteLLM Proxy") {
                    "proxy"
                } else {
                    ""
                };
                if let Some((at, text, last_logger)) = &self.last_text {
                    // The proxy tells the same exception twice (router, then proxy); the
                    // router telling it again is its next attempt.
                    let same_teller = !logger.is_empty() && logger == *last_logger;
                    if lineno.saturating_sub(*at) <= 10 && *text == key && !same_teller {
                        r.evidence = Evidence::Notice;
                    }
                    // The last line of the traceback below a proxy's exception line
                    // (`litellm.exceptions.X: ...`), when no Python reader took the traceback
                    // (a collector's prefix on every line): the same exception, the message
                    // of the first telling possibly cut where the log entry was split.
                    if lineno.saturating_sub(*at) <= TRACEBACK_LINES
                        && *last_logger == "proxy"
                        && logger.is_empty()
                        && ends_traceback_of(&key, text)
                    {
                        r.evidence = Evidence::Notice;
                    }
                }
                self.last_text = Some((lineno, key, logger));
                if r.attempt.is_none() && line.contains("Received Model Group=") {
                    self.held = Some(r);
                    self.held_lines = 0;
                } else {
                    self.push(r, sink);
                }
                Claim::Relevant
            }
            Some(Err(())) => Claim::Noise,
            // LiteLLM's own chatter; other lines that merely name it, and its own ERROR lines
            // (a router refusing a call), are left to others.
            None if (line.contains("- LiteLLM") && !line.contains(":ERROR"))
                || line.starts_with("LiteLLM.Info")
                || line.starts_with("Give Feedback / Get Help") =>
            {
                Claim::Noise
            }
            None => Claim::NotMine,
        }
    }

    fn busy(&self) -> bool {
        self.held.is_some()
    }

    fn finish(&mut self, sink: &mut Sink) {
        if let Some(r) = self.held.take() {
            self.push(r, sink);
        }
    }
}

impl LitellmParser {
    fn push(&mut self, r: Record, sink: &mut Sink) {
        if r.evidence == Evidence::Notice {
            sink.push(r);
        } else {
            push_told(sink, r);
        }
    }
}

/// A uvicorn access line of the proxy
/// (`INFO:     10.0.0.7:51522 - "POST /v1/messages HTTP/1.1" 429 Too Many Requests`).
/// `reported` is the failure an earlier access line already reported, when known.
fn access_line(
    target: &str,
    status: u16,
    at: Position,
    stamp: Option<Stamp>,
    reported: &mut Option<u32>,
    sink: &mut Sink,
) -> Claim {
    let Some(endpoint) = endpoint_of(target, &sink.opts.api_paths) else {
        return Claim::Noise;
    };
    let failed = status >= 400;
    if failed {
        let last = sink.last_failure_id();
        let (Position::Line(line) | Position::Entry(line)) = at;
        if *reported != last && reports_last_failure(status, &endpoint, line, sink) {
            *reported = last;
            return Claim::Relevant;
        }
    }
    let mut r = Record::new(
        SourceKind::Litellm,
        if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    );
    at.place(&mut r);
    r.stamp = stamp;
    r.provider = Some("litellm".into());
    r.http_status = Some(status);
    r.endpoint = Some(endpoint);
    sink.push(r);
    Claim::Relevant
}

/// Whether an access line reports the failure LiteLLM just told (within a few lines, with
/// the status of its class or its own); it then only adds its endpoint to it.
fn reports_last_failure(status: u16, endpoint: &str, lineno: u64, sink: &mut Sink) -> bool {
    let Some(super::Last::Failure(i, at)) = sink.last else {
        return false;
    };
    if lineno.saturating_sub(at) > ACCESS_JOIN {
        return false;
    }
    let Some(f) = sink.scan.failures.get_mut(i) else {
        return false;
    };
    let class = f
        .provider_code
        .as_deref()
        .filter(|c| class_info(c).is_some());
    if f.source_kind != SourceKind::Litellm && class.is_none() {
        return false;
    }
    // A LiteLLM record gets its endpoint from an access line only: this one was reported.
    if f.source_kind == SourceKind::Litellm && f.endpoint.is_some() {
        return false;
    }
    let effective = f.effective_status();
    let same = class.and_then(proxy_status) == Some(status)
        || effective == Some(status)
        || f.http_status == Some(status)
        || (effective.is_none() && status >= 500);
    if !same {
        return false;
    }
    if f.endpoint.is_none() {
        f.endpoint = Some(endpoint.to_string());
    }
    true
}

/// JSON objects: proxy JSON logs, the error the proxy returns, callback payloads.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    // `{"error":{"message":"litellm.RateLimitError: ...","type":...,"param":null,"code":"429"}}`
    if let Some(message) = str_at(v, "/error/message").filter(|m| m.contains("litellm.")) {
        let mut r = match exception(message) {
            Some(Ok(r)) => r,
            Some(Err(())) => return Claim::Noise,
            None => return Claim::NotMine,
        };
        let code = match v.pointer("/error/code") {
            Some(Value::String(s)) => s.parse::<u16>().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            _ => None,
        };
        if r.http_status.is_none()
            && !matches!(
                r.error_type.as_deref(),
                Some("connection_error" | "client_timeout" | "stream_error")
            )
        {
            r.http_status = code;
        }
        r.evidence = Evidence::ResponseDump;
        at.place(&mut r);
        push_told(sink, r);
        return Claim::Relevant;
    }
    if v.get("error_information").is_some() && v.get("status").and_then(Value::as_str).is_some() {
        return payload(v, at, sink);
    }
    let (Some(message), Some(_)) = (str_at(v, "/message"), v.get("level")) else {
        return Claim::NotMine;
    };
    let stacktrace = str_at(v, "/stacktrace");
    let litellm = |t: &str| t.contains("litellm") || t.contains("LiteLLM");
    let access = ACCESS_MESSAGE
        .captures(message)
        .or_else(|| ACCESS.captures(message));
    if !litellm(message) && !stacktrace.is_some_and(litellm) && access.is_none() {
        return Claim::NotMine;
    }
    let stamp = str_at(v, "/timestamp").and_then(crate::time::iso);
    if let Some(c) = access {
        let status = c["status"].parse().unwrap_or(0);
        return access_line(&c["target"], status, at, stamp, &mut None, sink);
    }
    let from_message = exception(message);
    let from_trace = stacktrace.and_then(|t| super::python::traceback_record(t, false));
    let mut r = match (from_message, from_trace) {
        (Some(Ok(mut a)), Some(b)) => {
            a.absorb(b);
            a
        }
        (Some(Ok(a)), None) => a,
        (None, Some(b)) if b.source_kind == SourceKind::Litellm => b,
        (Some(Err(())), _) | (None, _) => return Claim::Noise,
    };
    r.evidence = if message.contains("proxy_server.") && tells_last_failure(&r, at, sink) {
        // The proxy telling the router's last failure again (as in the text logs).
        Evidence::Notice
    } else {
        Evidence::Summary
    };
    r.stamp = stamp;
    at.place(&mut r);
    push_told(sink, r);
    Claim::Relevant
}

/// Whether `r` tells again the LiteLLM failure read just before (within 10 lines): the same
/// status and message.
fn tells_last_failure(r: &Record, at: Position, sink: &Sink) -> bool {
    let (Position::Line(n), Some(super::Last::Failure(i, last))) = (at, sink.last) else {
        return false;
    };
    let Some(f) = sink.scan.failures.get(i) else {
        return false;
    };
    n.saturating_sub(last) <= 10
        && f.source_kind == SourceKind::Litellm
        && f.http_status == r.http_status
        && f.message.is_some()
        && f.message == r.message
}

/// A StandardLoggingPayload or spend-log row: `status` is `success` or `failure`.
fn payload(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let provider = str_at(v, "/custom_llm_provider")
        .or_else(|| str_at(v, "/error_information/llm_provider"))
        .unwrap_or("");
    let model = str_at(v, "/model").or_else(|| str_at(v, "/model_group"));
    if !(provider.contains("anthropic") || model.is_some_and(mentions_claude)) {
        return Claim::Noise;
    }
    let failed = str_at(v, "/status") == Some("failure");
    let mut r = Record::new(
        SourceKind::Litellm,
        if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    );
    at.place(&mut r);
    r.provider = Some(
        match provider {
            "anthropic" => "anthropic",
            "bedrock" => "bedrock",
            p if p.starts_with("vertex") => "vertex",
            _ => "litellm",
        }
        .into(),
    );
    r.model = model.map(str::to_string);
    r.stamp = v
        .get("startTime")
        .and_then(Value::as_f64)
        .and_then(crate::time::epoch_seconds)
        .or_else(|| str_at(v, "/startTime").and_then(crate::time::iso));
    if let (Some(s), Some(e)) = (
        v.get("startTime").and_then(Value::as_f64),
        v.get("endTime").and_then(Value::as_f64),
    ) {
        if e >= s {
            r.latency_ms = Some(((e - s) * 1000.0).round() as u64);
        }
    }
    if failed {
        let info = v.get("error_information").cloned().unwrap_or(Value::Null);
        let message = str_at(&info, "/error_message").or_else(|| str_at(v, "/error_str"));
        if let Some(Ok(from_text)) = message.and_then(exception) {
            r.absorb(from_text);
        }
        if r.http_status.is_none() && r.error_type.is_none() {
            r.http_status = str_at(&info, "/error_code").and_then(|c| c.parse().ok());
        }
        if r.provider_code.is_none() {
            r.provider_code = str_at(&info, "/error_class").map(str::to_string);
        }
        if r.message.is_none() {
            r.message = message.map(|m| cut_tail(m).to_string());
        }
        r.evidence = Evidence::Whole;
    }
    r.request_id = r
        .request_id
        .or_else(|| str_at(v, "/id").map(str::to_string));
    sink.push(r);
    Claim::Relevant
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, FileScan, ScanOptions};
    use super::*;

    fn scan(text: &str) -> FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn exception_strings() {
        let cases: &[(&str, Option<u16>, Option<&str>, &str)] = &[
            (r#"litellm.RateLimitError: AnthropicException - {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#, Some(429), Some("rate_limit_error"), "anthropic"),
            ("litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.", Some(529), Some("overloaded_error"), "litellm"),
            (r#"litellm.InternalServerError: AnthropicError - {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, Some(529), Some("overloaded_error"), "anthropic"),
            (r#"litellm.ContextWindowExceededError: litellm.BadRequestError: AnthropicError - {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#, Some(400), Some("invalid_request_error"), "anthropic"),
            (r#"litellm.BadRequestError: AnthropicException - b'{"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2026-09-01 at 00:00 UTC."},"request_id":"req_011CAbCdEfGhIjKlMnOpQrSt"}'"#, Some(400), Some("invalid_request_error"), "anthropic"),
            ("litellm.APIConnectionError: AnthropicException - peer closed connection without sending complete message body (incomplete chunked read)", None, Some("stream_error"), "litellm"),
            ("litellm.Timeout: AnthropicException - Connection timed out after 600.0 seconds.", None, Some("client_timeout"), "litellm"),
            ("litellm.BudgetExceededError: Budget has been exceeded! Current cost: 10.52, Max budget: 10.0", Some(400), Some("gateway_error"), "litellm"),
            (r#"litellm.RateLimitError: VertexAIException - {"error": {"code": 429, "message": "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet-v2.", "status": "RESOURCE_EXHAUSTED"}}"#, Some(429), Some("rate_limit_error"), "vertex"),
            (r#"litellm.RateLimitError: BedrockException - {"message":"Too many requests, please wait before trying again."}. Received Model Group=bedrock-claude-sonnet"#, Some(429), None, "bedrock"),
        ];
        for (line, status, error_type, provider) in cases {
            let s = scan(line);
            assert_eq!(s.failures.len(), 1, "{line}");
            let f = &s.failures[0];
            assert_eq!(f.effective_status(), *status, "{line}");
            assert_eq!(f.error_type.as_deref(), *error_type, "{line}");
            assert_eq!(f.provider.as_deref(), Some(*provider), "{line}");
            assert_eq!(f.source_kind, SourceKind::Litellm);
        }
    }

    #[test]
    fn message_continues_over_three_lines() {
        let s = scan(concat!(
            "litellm.RateLimitError: BedrockException - {\"message\":\"Too many tokens, please wait before trying again.\"}. Received Model Group=anthropic.claude-sonnet-4-20250514-v1:0\n",
            "Available Model Group Fallbacks=None\n",
            "Error doing the fallback: list index out of range LiteLLM Retried: 1 times, LiteLLM Max Retries: 2\n",
            "16:43:14 - LiteLLM Router:INFO: router.py:1644 - litellm.acompletion(model=anthropic/claude-3-5-haiku-20241022) Exception litellm.RateLimitError: RateLimitError: AnthropicException - Rate limited LiteLLM Retried: 10 times\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        assert_eq!(s.failures[0].attempt, Some(2));
        assert_eq!(s.failures[0].provider.as_deref(), Some("bedrock"));
        assert_eq!(
            s.failures[0].model.as_deref(),
            Some("anthropic.claude-sonnet-4-20250514-v1:0")
        );
        assert_eq!(s.failures[1].attempt, Some(11));
        assert_eq!(s.failures[1].http_status, Some(429));
        assert_eq!(
            s.failures[1].model.as_deref(),
            Some("claude-3-5-haiku-20241022")
        );
        assert_eq!(s.lines.relevant, 4);
    }

    #[test]
    fn router_and_proxy_telling_one_failure_join() {
        let s = scan(concat!(
            "10:15:20 - LiteLLM Router:INFO: router.py:2932 - litellm.acompletion(model=anthropic/claude-opus-4-1) Exception litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.\n",
            "10:15:20 - LiteLLM Proxy:ERROR: proxy_server.py:3012 - litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.. Received Model Group=claude-opus-4-1\n",
            "Available Model Group Fallbacks=None\n",
        ));
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].effective_status(), Some(529));
    }

    #[test]
    fn other_providers_are_noise() {
        let s = scan(concat!(
            "litellm.RateLimitError: OpenAIException - Rate limit reached for gpt-4o. Received Model Group=gpt-4o\n",
            "litellm.RateLimitError: VertexAIException - {\"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}}. Received Model Group=gemini-1.5-pro\n",
            "INFO:     10.0.0.7:51522 - \"POST /chat/completions HTTP/1.1\" 429 Too Many Requests\n",
            "INFO:     10.0.0.7:51523 - \"GET /health/readiness HTTP/1.1\" 200 OK\n",
        ));
        assert!(s.failures.is_empty(), "{:#?}", s.failures);
        assert_eq!(s.lines.noise, 4);
    }

    #[test]
    fn exception_line_traceback_and_access_line_are_one_failure() {
        let s = scan(concat!(
            "\x1b[92m10:14:02 - LiteLLM Proxy:ERROR\x1b[0m: proxy_server.py:3012 - litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"}}. Received Model Group=claude-sonnet-4-5\n",
            "Available Model Group Fallbacks=None LiteLLM Retried: 2 times, LiteLLM Max Retries: 2\n",
            "Traceback (most recent call last):\n",
            "  File \"/usr/lib/python3.11/site-packages/litellm/proxy/proxy_server.py\", line 3001, in anthropic_response\n",
            "    response = await llm_router.aanthropic_messages(**data)\n",
            "litellm.exceptions.RateLimitError: litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"}}. Received Model Group=claude-sonnet-4-5\n",
            "Available Model Group Fallbacks=None LiteLLM Retried: 2 times, LiteLLM Max Retries: 2\n",
            "INFO:     10.0.0.7:51522 - \"POST /v1/messages?beta=true HTTP/1.1\" 429 Too Many Requests\n",
            "INFO:     10.0.0.7:51530 - \"POST /v1/messages HTTP/1.1\" 200 OK\n",
            "INFO:     10.0.0.7:51531 - \"POST /v1/messages HTTP/1.1\" 500 Internal Server Error\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.attempt, Some(3));
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(f.endpoint.as_deref(), Some("/v1/messages"));
        assert!(f.stamp.is_none(), "a time without a date is null");
        assert_eq!(s.failures[1].http_status, Some(500));
        assert_eq!(s.failures[1].provider.as_deref(), Some("litellm"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.relevant, 10);
    }

    /// Each line behind a collector's prefix (Cloud Logging): the proxy's exception line and
    /// its traceback's last line are one failure.
    #[test]
    fn a_prefixed_traceback_end_is_the_proxy_exception_again() {
        let proxy = "ERROR 2025-05-22T04:07:00.312291Z \x1b[92m04:07:00 - LiteLLM Proxy:ERROR\x1b[0m: proxy_server.py:3714 - litellm.proxy.proxy_server.chat_completion(): Exception occured - litellm.InternalServerError: litellm.InternalServerError: VertexAIException - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-sonnet\nERROR 2025-05-22T04:07:00.312297Z Available Model Group Fallbacks=None\n";
        let frames = "DEFAULT 2025-05-22T04:07:00.312303Z Traceback (most recent call last):\nDEFAULT 2025-05-22T04:07:00.312309Z File \"/usr/local/lib/python3.11/site-packages/litellm/router.py\", line 395, in acompletion\n";
        let last = "DEFAULT 2025-05-22T04:07:00.312417Z litellm.exceptions.InternalServerError: litellm.InternalServerError: VertexAIException - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-sonnet\n";
        let s = scan(&format!("{proxy}{frames}{last}"));
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].line, Some(1));
        // Without the proxy's line before it, the traceback's end is a failure of its own.
        let s = scan(&format!("{frames}{last}"));
        assert_eq!(s.failures.len(), 1);
    }

    #[test]
    fn json_logs_and_returned_errors() {
        let s = scan(concat!(
            r#"{"message": "litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.InternalServerError: AnthropicError - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-opus-4-1\nAvailable Model Group Fallbacks=None", "level": "ERROR", "timestamp": "2025-10-02T08:41:17.123456", "stacktrace": "Traceback (most recent call last):\n  File \"/app/litellm/proxy/proxy_server.py\", line 3001, in anthropic_response\n    raise e\nlitellm.exceptions.InternalServerError: litellm.InternalServerError: AnthropicError - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}"#,
            "\n",
            r#"{"error":{"message":"litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CRq2\"}. Received Model Group=claude-sonnet-4\nAvailable Model Group Fallbacks=None","type":"throttling_error","param":null,"code":"429"}}"#,
            "\n",
            r#"{"message": "Initialized router with Routing strategy: simple-shuffle", "level": "INFO", "timestamp": "2025-10-02T08:41:00.000001"}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.effective_status(), Some(529));
        assert_eq!(f.model.as_deref(), Some("claude-opus-4-1"));
        assert!(f.stamp.is_some());
        assert_eq!(s.failures[1].request_id.as_deref(), Some("req_011CRq2"));
        assert_eq!(s.lines.noise, 1);
    }

    /// JSON logs: the router's exception, then the proxy's record of the same error, are one
    /// failure; the router's attempt before is another.
    #[test]
    fn json_logs_proxy_repeats_the_router_failure() {
        let router = r#"{"message": "litellm.acompletion(model=bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0)\u001b[31m Exception litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}\u001b[0m", "level": "INFO", "timestamp": "2025-10-02T08:41:14.693204"}"#;
        let proxy = r#"{"message": "litellm.proxy.proxy_server.chat_completion(): Exception occured - litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}. Received Model Group=claude-sonnet\nAvailable Model Group Fallbacks=None LiteLLM Retried: 2 times, LiteLLM Max Retries: 2", "level": "ERROR", "timestamp": "2025-10-02T08:41:14.703204"}"#;
        let first = router.replace("08:41:14.693204", "08:41:13.391204");
        let s = scan(&format!("{first}\n{router}\n{proxy}\n"));
        let lines: Vec<_> = s.failures.iter().map(|f| f.line).collect();
        assert_eq!(lines, [Some(1), Some(2)], "{:#?}", s.failures);
    }

    #[test]
    fn callback_payloads() {
        let s = scan(concat!(
            r#"{"id":"chatcmpl-1","call_type":"acompletion","status":"failure","custom_llm_provider":"anthropic","model":"claude-sonnet-4-5","startTime":1759394477.1,"endTime":1759394477.6,"error_str":"litellm.RateLimitError: AnthropicException - rate limited","error_information":{"error_code":"429","error_class":"RateLimitError","llm_provider":"anthropic","error_message":"litellm.RateLimitError: AnthropicException - rate limited"}}"#,
            "\n",
            r#"{"id":"chatcmpl-2","call_type":"acompletion","status":"success","custom_llm_provider":"anthropic","model":"claude-sonnet-4-5","startTime":1759394478.1,"endTime":1759394479.6,"error_information":{}}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(429));
        assert_eq!(s.failures[0].latency_ms, Some(500));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
    }

    type Row<'a> = (
        Option<u16>,
        Option<&'a str>,
        Option<&'a str>,
        Option<u32>,
        Option<&'a str>,
    );

    fn rows(s: &FileScan) -> Vec<Row<'_>> {
        s.failures
            .iter()
            .map(|f| {
                (
                    f.effective_status(),
                    f.error_type.as_deref(),
                    f.request_id.as_deref(),
                    f.attempt,
                    f.provider.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn sample_proxy_log() {
        let s = scan(include_str!("../../samples/litellm/proxy.log"));
        let (a, l) = (Some("anthropic"), Some("litellm"));
        let want: Vec<Row> = vec![
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CRa1Bc2De3Fg4Hi5Jk6Lm"),
                None,
                a,
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CRa1Nn7Op8Qr9St0Uv1Wx"),
                None,
                a,
            ),
            (
                Some(429),
                Some("rate_limit_error"),
                Some("req_011CRa1Yz2Ab3Cd4Ef5Gh6Ij"),
                Some(3),
                a,
            ),
            (Some(529), Some("overloaded_error"), None, None, l),
            (Some(400), Some("invalid_request_error"), None, None, a),
            (
                Some(400),
                Some("invalid_request_error"),
                Some("req_011CRb7Kl8Mn9Op0Qr1St2Uv"),
                None,
                a,
            ),
            (None, Some("stream_error"), None, None, l),
            (Some(400), Some("gateway_error"), None, None, l),
            (Some(429), None, None, None, Some("bedrock")),
            (None, Some("client_timeout"), None, None, l),
            (Some(502), None, None, None, l),
        ];
        assert_eq!(rows(&s), want, "{:#?}", s.failures);
        assert_eq!(
            s.failures[0].source_kind,
            SourceKind::SdkPython,
            "the httpx line came first"
        );
        assert!(s.failures[1..]
            .iter()
            .all(|f| f.source_kind == SourceKind::Litellm));
        assert_eq!(
            s.failures[1].model.as_deref(),
            Some("claude-sonnet-4-5-20250929")
        );
        assert_eq!(s.failures[3].model.as_deref(), Some("claude-opus-4-1"));
        assert_eq!(s.failures[2].endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(s.failures[3].endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(
            s.failures[4].provider_code.as_deref(),
            Some("ContextWindowExceededError")
        );
        assert_eq!(
            s.failures[8].endpoint.as_deref(),
            Some("/anthropic/v1/messages")
        );
        assert!(
            s.failures.iter().all(|f| f.stamp.is_none()),
            "time-only stamps are null"
        );
        assert_eq!(s.successes.values().sum::<u64>(), 4);
        assert_eq!(s.lines.unparseable, 0);
    }

    #[test]
    fn sample_proxy_json_log() {
        let s = scan(include_str!("../../samples/litellm/proxy-json.log"));
        let (a, l) = (Some("anthropic"), Some("litellm"));
        let want: Vec<Row> = vec![
            (Some(529), Some("overloaded_error"), None, Some(2), a),
            (
                Some(401),
                Some("authentication_error"),
                Some("req_011CRc3Hi4Jk5Lm6No7Pq8Rs"),
                None,
                a,
            ),
            (
                Some(404),
                Some("not_found_error"),
                Some("req_011CRc4St5Uv6Wx7Yz8Ab9Cd"),
                None,
                a,
            ),
            (Some(429), Some("gateway_error"), None, None, l),
        ];
        assert_eq!(rows(&s), want, "{:#?}", s.failures);
        assert_eq!(s.failures[0].endpoint.as_deref(), Some("/v1/messages"));
        assert!(s.failures.iter().all(|f| f.stamp.is_some()));
        assert_eq!(s.successes.values().sum::<u64>(), 2);
        assert_eq!(s.lines.noise, 4);
    }
}
