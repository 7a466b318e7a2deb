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

use crate::input::sink::{Claim, LineParser, MarkerGroup, Position, Sink};
use crate::input::toolkit::api::{endpoint_of, mentions_claude, strip_ansi};
use crate::input::toolkit::cloud_text::str_at;
use crate::input::toolkit::limits::JOIN_DISTANCE;
use crate::input::toolkit::litellm_text::{
    cut_tail, exception, is_continuation, litellm_class_info, proxy_status, CLASS, RETRIED,
};
use crate::input::toolkit::traceback;
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

impl LitellmParser {
    /// A parser whose marker words are group `markers` of the marker pass.
    pub(crate) fn new(markers: MarkerGroup) -> LitellmParser {
        LitellmParser {
            markers,
            ..LitellmParser::default()
        }
    }
}

/// Words that a line of this format holds (one of); also part of the shared per-line pass
/// (`Sink::marks`).
pub(crate) const MARKERS: [&str; 8] = [
    "litellm.",
    "LiteLLM",
    "Exception - ",
    "Error - ",
    "HTTP/1.1\" ",
    "HTTP/1.0\" ",
    "HTTP/2\" ",
    "Received Model Group=",
];

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

#[derive(Debug, Default)]
pub(crate) struct LitellmParser {
    /// This format's group in the per-line marker pass (given by the dispatcher).
    markers: MarkerGroup,
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
        if !sink.marks(line).has(self.markers) {
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
                r.stamp = crate::input::toolkit::api::stamp_near_start(line);
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
            sink.push_told(r);
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
    let mut r = Record::new(SourceKind::Litellm, Outcome::of(failed));
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
    let Some(crate::input::sink::Last::Failure(i, at)) = sink.last else {
        return false;
    };
    if lineno.saturating_sub(at) > JOIN_DISTANCE {
        return false;
    }
    let Some(f) = sink.scan.failures.get_mut(i) else {
        return false;
    };
    let class = f
        .provider_code
        .as_deref()
        .filter(|c| litellm_class_info(c).is_some());
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
        sink.push_told(r);
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
    let from_trace = stacktrace.and_then(|t| traceback::traceback_record(t, false));
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
    sink.push_told(r);
    Claim::Relevant
}

/// Whether `r` tells again the LiteLLM failure read just before (within 10 lines): the same
/// status and message.
fn tells_last_failure(r: &Record, at: Position, sink: &Sink) -> bool {
    let (Position::Line(n), Some((i, last))) = (at, sink.last_failure()) else {
        return false;
    };
    let Some(f) = sink.failure(i) else {
        return false;
    };
    n.saturating_sub(last) <= 10
        && f.source_kind == SourceKind::Litellm
        && f.http_status == r.http_status
        && f.message.is_some()
        && f.message == r.message
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
    let mut r = Record::new(SourceKind::Litellm, Outcome::of(failed));
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
