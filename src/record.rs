//! The shared vocabulary between the input parsers and the catalog: what one log record says
//! about one attempt of a Claude API call.
//!
//! `input` produces [`Record`]s, `catalog` matches them, `classify` turns them into failures.
//! This module depends on nothing else in the crate, so `input` and `catalog` never need to
//! import each other.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

/// Which kind of log told us about the call (FORMATS.md, `source_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    SdkPython,
    SdkTypescript,
    SdkGo,
    SdkJava,
    ClaudeCode,
    Bedrock,
    Vertex,
    Litellm,
    Gateway,
    Nginx,
    NginxError,
    Envoy,
    CloudflareAig,
    Har,
    /// An access line of a proxy, load balancer or server whose layout no precise parser
    /// knows (read by the format-agnostic layer).
    AccessLog,
    /// Error text in a log whose layout no precise parser knows: a status phrase, an error
    /// envelope, a message the catalog knows (read by the format-agnostic layer).
    ErrorText,
}

impl SourceKind {
    pub const ALL: [SourceKind; 16] = [
        SourceKind::SdkPython,
        SourceKind::SdkTypescript,
        SourceKind::SdkGo,
        SourceKind::SdkJava,
        SourceKind::ClaudeCode,
        SourceKind::Bedrock,
        SourceKind::Vertex,
        SourceKind::Litellm,
        SourceKind::Gateway,
        SourceKind::Nginx,
        SourceKind::NginxError,
        SourceKind::Envoy,
        SourceKind::CloudflareAig,
        SourceKind::Har,
        SourceKind::AccessLog,
        SourceKind::ErrorText,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::SdkPython => "sdk_python",
            SourceKind::SdkTypescript => "sdk_typescript",
            SourceKind::SdkGo => "sdk_go",
            SourceKind::SdkJava => "sdk_java",
            SourceKind::ClaudeCode => "claude_code",
            SourceKind::Bedrock => "bedrock",
            SourceKind::Vertex => "vertex",
            SourceKind::Litellm => "litellm",
            SourceKind::Gateway => "gateway",
            SourceKind::Nginx => "nginx",
            SourceKind::NginxError => "nginx_error",
            SourceKind::Envoy => "envoy",
            SourceKind::CloudflareAig => "cloudflare_aig",
            SourceKind::Har => "har",
            SourceKind::AccessLog => "access_log",
            SourceKind::ErrorText => "error_text",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A time as the log wrote it. Zone-less stamps are resolved later with `--tz` (UTC by
/// default), never with the machine's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Utc(DateTime<Utc>),
    Naive(NaiveDateTime),
}

/// Whether the attempt succeeded. Only failures are kept; successes are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    /// `Failure` when `failed`, else `Success`.
    pub fn of(failed: bool) -> Outcome {
        if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        }
    }
}

/// What kind of line told about the attempt. Lines of different kinds that are adjacent and
/// agree on endpoint and status describe one attempt (the httpx line, the debug response line,
/// the traceback); two lines of the same kind are two attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Evidence {
    /// A line that by itself is one attempt (access log line, HAR entry, JSON record).
    Whole,
    /// The transport line of an SDK (httpx `HTTP Request:`, TS `[log_..]`, Java `<--`).
    Transport,
    /// The SDK's debug dump of the response (`HTTP Response: ... Headers(...)`).
    ResponseDump,
    /// A `request_id: ...` or similar line that adds the id.
    RequestId,
    /// The exception / error string the caller saw (traceback, `Error: 429 {...}`).
    Exception,
    /// A retry notice or a gateway's relay line.
    Notice,
    /// A summary written after the fact (Claude Code errors array, final `API Error:` line).
    Summary,
}

/// One observation of one attempt of an API call, as parsed from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line of the first line of the record; `None` for JSON array documents.
    pub line: Option<u64>,
    /// 0-based index in a JSON array document (HAR entries, exports); `None` otherwise.
    pub entry: Option<u64>,
    pub stamp: Option<Stamp>,
    pub source_kind: SourceKind,
    pub provider: Option<String>,
    pub endpoint: Option<String>,
    /// Status as seen on the wire (`None` when no response arrived).
    pub http_status: Option<u16>,
    /// Effective status when the parser knows better than the wire (an `event: error` in a
    /// 200 stream). `None` means: derive it from `http_status` and `error_type`.
    pub status: Option<u16>,
    pub error_type: Option<String>,
    pub provider_code: Option<String>,
    pub message: Option<String>,
    pub model: Option<String>,
    pub request_id: Option<String>,
    pub attempt: Option<u32>,
    pub latency_ms: Option<u64>,
    /// Response headers that matter for classification (lowercase names): rate-limit
    /// remaining counters, `x-should-retry`, `retry-after`.
    pub headers: Vec<(String, String)>,
    pub outcome: Outcome,
    pub evidence: Evidence,
}

impl Record {
    pub fn new(source_kind: SourceKind, outcome: Outcome) -> Record {
        Record {
            line: None,
            entry: None,
            stamp: None,
            source_kind,
            provider: None,
            endpoint: None,
            http_status: None,
            status: None,
            error_type: None,
            provider_code: None,
            message: None,
            model: None,
            request_id: None,
            attempt: None,
            latency_ms: None,
            headers: Vec::new(),
            outcome,
            evidence: Evidence::Whole,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The effective status: explicit, else implied by a mid-stream error type, else the wire.
    pub fn effective_status(&self) -> Option<u16> {
        if self.status.is_some() {
            return self.status;
        }
        match self.http_status {
            // A failure inside a 2xx response (an `event: error` in a stream, a stream cut
            // short): the status is the one its error type stands for, or none at all.
            Some(s) if (200..300).contains(&s) && self.outcome == Outcome::Failure => {
                self.error_type.as_deref().and_then(status_for_error_type)
            }
            other => other,
        }
    }

    /// Fill in what is missing here from another record of the same attempt.
    pub fn absorb(&mut self, other: Record) {
        macro_rules! fill {
            ($($f:ident),*) => {$( if self.$f.is_none() { self.$f = other.$f; } )*};
        }
        fill!(
            line,
            entry,
            stamp,
            provider,
            endpoint,
            http_status,
            status,
            error_type,
            provider_code,
            model,
            request_id,
            attempt,
            latency_ms
        );
        // The longer message usually carries the API's body; keep it.
        match (&self.message, other.message) {
            (None, m) => self.message = m,
            (Some(a), Some(b)) if b.len() > a.len() && !a.contains(b.as_str()) => {
                self.message = Some(b)
            }
            _ => {}
        }
        for (n, v) in other.headers {
            if self.header(&n).is_none() {
                self.headers.push((n, v));
            }
        }
        if other.outcome == Outcome::Failure {
            self.outcome = Outcome::Failure;
        }
    }
}

/// The status an API error type stands for (used for errors inside a 200 stream and for
/// records that name a type but no status).
pub fn status_for_error_type(error_type: &str) -> Option<u16> {
    Some(match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "conflict_error" => 409,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => return None,
    })
}

/// The error type a status implies when no body names one.
pub fn error_type_for_status(status: u16) -> &'static str {
    match status {
        400 | 405 | 415 | 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 => "timeout_error",
        409 => "conflict_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        499 => "client_closed",
        504 => "timeout_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_error_in_200_takes_status_from_type() {
        let mut r = Record::new(SourceKind::Har, Outcome::Failure);
        r.http_status = Some(200);
        r.error_type = Some("overloaded_error".into());
        assert_eq!(r.effective_status(), Some(529));
    }

    #[test]
    fn absorb_keeps_first_values_and_longer_message() {
        let mut a = Record::new(SourceKind::SdkPython, Outcome::Failure);
        a.http_status = Some(429);
        a.message = Some("429".into());
        let mut b = Record::new(SourceKind::SdkPython, Outcome::Failure);
        b.http_status = Some(500);
        b.request_id = Some("req_1".into());
        b.message = Some("rate limited by the API".into());
        a.absorb(b);
        assert_eq!(a.http_status, Some(429));
        assert_eq!(a.request_id.as_deref(), Some("req_1"));
        assert_eq!(a.message.as_deref(), Some("rate limited by the API"));
    }

    #[test]
    fn source_kind_names_round_trip() {
        for k in SourceKind::ALL {
            assert_eq!(SourceKind::parse(k.as_str()), Some(k));
        }
    }
}
