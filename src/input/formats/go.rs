//! Go SDK log lines and error strings.

use std::sync::LazyLock;

use regex::Regex;

use crate::input::sink::{Claim, Sink};
use crate::input::toolkit::api::{self};
use crate::input::toolkit::limits::{MAX_BYTES, MAX_LINES};
use crate::input::toolkit::regex;
use crate::input::toolkit::sdk_text::{
    is_anthropic_envelope, keep_header, lenient_body, one_line, transport_kind, Said,
};
use crate::record::{Evidence, Outcome, Record, SourceKind};

// ---------------------------------------------------------------------------------------------
// Go SDK.

/// The strings a Go SDK line holds.
pub(crate) const MARKERS: [&str; 6] = [
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
        let Some(first) = marker else {
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

    pub(crate) fn busy(&self) -> bool {
        self.held.is_some()
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
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
