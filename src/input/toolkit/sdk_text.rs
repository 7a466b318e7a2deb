//! What SDK error messages say: shared by every format that prints the SDKs' messages (the
//! SDK logs themselves, Claude Code, gateways).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde_json::Value;

use super::api::{self, is_kept_header, ErrorBody};
use super::cloud_text::{bedrock_code, bedrock_message_exception};
use super::limits::MAX_MESSAGE;
use super::regex;
use crate::record::Record;

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
    pub(crate) fn from_body(status: Option<u16>, body: ErrorBody, raw: &str) -> Said {
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
    // A body that is JSON as it stands (its message may itself be escaped JSON: a relay's
    // envelope around its upstream's error) is read as it stands; an escaped one is unescaped.
    if let Some(json) = api::leading_json(text.trim()) {
        if let Ok(v) = serde_json::from_str::<Value>(json) {
            let mut b = api::error_body(&v);
            // A relay's generic `api_error` around the API's own envelope, escaped once or
            // more in its message: the API's type is the cause.
            if matches!(b.error_type.as_deref(), None | Some("api_error")) {
                if let Some(inner) = b.message.as_deref().and_then(inner_api_type) {
                    b.error_type = Some(inner);
                }
            }
            return b;
        }
    }
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

/// The error type of an Anthropic envelope (`{"type":"error","error":{"type":...}}`) quoted
/// inside a text, however many times its quotes were escaped.
fn inner_api_type(text: &str) -> Option<String> {
    if !text.contains("error") || !text.contains('\\') {
        return None;
    }
    static ENVELOPE: LazyLock<Regex> = LazyLock::new(|| {
        regex(r#""type"\s*:\s*"error"\s*,\s*"error"\s*:\s*\{[^{}]*?"type"\s*:\s*"([a-z_]+)""#)
    });
    let plain = text.replace('\\', "");
    ENVELOPE
        .captures(&plain)
        .map(|c| c[1].to_string())
        .filter(|t| crate::record::status_for_error_type(t).is_some())
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
        let mut rest = m.get(3..).unwrap_or("").trim_start();
        // A relay that answered with an SSE error frame as the body of a plain response:
        // `400 event: error data: {...}`.
        if let Some(frame) = rest.strip_prefix("event: error") {
            let frame = frame.trim_start();
            if let Some(data) = frame.strip_prefix("data:") {
                rest = data.trim_start();
            }
        }
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
            // Bedrock's plain-text messages name their exception's error type.
            s.error_type = bedrock_message_exception(rest)
                .and_then(bedrock_code)
                .filter(|(code, _)| code.is_none_or(|c| c == status))
                .map(|(_, t)| t.to_string());
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
            // Python's spellings (urllib3, http.client, socket).
            "Connection reset by peer",
            "Connection refused",
            "Failed to establish a new connection",
            "RemoteDisconnected",
            "Name or service not known",
            "Temporary failure in name resolution",
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
pub(crate) fn keep_header(r: &mut Record, name: &str, value: &str) {
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

/// A Go SDK error string (`POST \"https://...\": 429 ...`).
pub(crate) fn is_go_error_line(line: &str) -> bool {
    memchr::memmem::find(line.as_bytes(), b"\": ").is_some() && line.contains(" \"http")
}
