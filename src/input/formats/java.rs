//! Java SDK log lines and error strings.

use std::sync::LazyLock;

use regex::Regex;

use crate::input::sink::{Claim, Sink};
use crate::input::toolkit::api::{self, ErrorBody};
use crate::input::toolkit::limits::{MAX_BYTES, MAX_LINES};
use crate::input::toolkit::regex;
use crate::input::toolkit::sdk_text::{
    is_anthropic_envelope, keep_header, lenient_body, one_line, Said,
};
use crate::record::{Evidence, Outcome, Record, SourceKind};

// ---------------------------------------------------------------------------------------------
// Java SDK.

/// The strings a Java SDK line holds.
pub(crate) const MARKERS: [&str; 3] = ["com.anthropic.errors.", "--> ", "<-- "];
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
        let stream = msg.starts_with("Stream failed");
        // `Stream failed`: the SDK was reading a stream whose response (a 200) had come.
        r.http_status = stream.then_some(200);
        r.error_type = Some(
            if stream {
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
    pub(crate) fn feed(
        &mut self,
        raw: &str,
        lineno: u64,
        sink: &mut Sink,
        marker: Option<usize>,
    ) -> Claim {
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
        let Some(first) = marker else {
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
                    let mut r = Record::new(SourceKind::SdkJava, Outcome::of(status >= 400));
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

    pub(crate) fn busy(&self) -> bool {
        self.held.is_some()
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        self.finish_held(sink);
        self.flush_pending(sink);
    }
}
