//! Facts about the Claude API shared by the parsers: which URL paths are API calls, which
//! host or path names the provider, and what an error body says.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

static API_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:^|/)v1/(?:messages(?:/count_tokens|/batches(?:/[^/?#\s]*(?:/results|/cancel)?)?)?",
        r"|complete|models(?:/[^/?#\s]+)?|files(?:/[^/?#\s]+(?:/content)?)?)/?$",
        r"|/model/[^/\s]*(?:anthropic|claude)[^/\s]*/(?:invoke|invoke-with-response-stream|converse|converse-stream|count-tokens)$",
        r"|/publishers/anthropic/models/[^/\s:]+:(?:rawPredict|streamRawPredict|countTokens)$",
    ))
    .expect("static regex")
});

/// The path of a URL or request target, without scheme, host, query or fragment.
pub fn path_of(target: &str) -> &str {
    let t = target.trim();
    let after_scheme = match t.find("://") {
        Some(i) => {
            let rest = &t[i + 3..];
            match rest.find('/') {
                Some(j) => &rest[j..],
                None => "/",
            }
        }
        None => t,
    };
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    &after_scheme[..end]
}

/// The endpoint (URL path) when `target` is a Claude API call, else `None`.
pub fn endpoint_of(target: &str, extra: &[Regex]) -> Option<String> {
    let path = path_of(target);
    // Most calls are exactly this; skip the regex for them.
    if path == "/v1/messages" {
        return Some(path.to_string());
    }
    let decoded;
    let path = if path.contains('%') {
        decoded = path.replace("%3A", ":").replace("%3a", ":");
        decoded.as_str()
    } else {
        path
    };
    if API_PATH.is_match(path) || extra.iter().any(|r| r.is_match(path)) {
        Some(path.to_string())
    } else {
        None
    }
}

/// The provider a URL points at: the host or the path tell.
pub fn provider_of_url(url: &str) -> &'static str {
    // One case-insensitive pass, no allocation: this runs for every access log line.
    static MARKERS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "gateway.ai.cloudflare.com",
                "bedrock-runtime",
                "/invoke",
                "aiplatform.googleapis.com",
                "/publishers/anthropic/",
            ])
            .expect("static automaton")
    });
    let mut invoke = false;
    for m in MARKERS.find_overlapping_iter(url) {
        match m.pattern().as_usize() {
            0 => return "cloudflare",
            1 => return "bedrock",
            2 => invoke = true,
            _ => return "vertex",
        }
    }
    if invoke && url.contains("/model/") {
        "bedrock"
    } else {
        "anthropic"
    }
}

/// What an error body says, in any of the shapes the API and the clouds use.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    /// A cloud's own code (Vertex `RESOURCE_EXHAUSTED`, Bedrock `__type`).
    pub provider_code: Option<String>,
    /// A status named inside the body (Vertex `error.code`).
    pub status: Option<u16>,
}

impl ErrorBody {
    pub fn is_empty(&self) -> bool {
        self.error_type.is_none() && self.message.is_none() && self.provider_code.is_none()
    }
}

/// Read an error body: Anthropic (`{"type":"error","error":{...}}`), Google
/// (`{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}`, also wrapped in an array),
/// Bedrock (`{"message":"..."}`, `{"__type":"...","message":"..."}`), OpenAI-shaped gateway
/// errors (`{"error":{"message":..,"type":..,"code":..}}`).
pub fn error_body(v: &Value) -> ErrorBody {
    let v = match v {
        Value::Array(items) => match items.first() {
            Some(first) => first,
            None => return ErrorBody::default(),
        },
        other => other,
    };
    let str_of = |x: Option<&Value>| x.and_then(Value::as_str).map(str::to_string);
    let mut out = ErrorBody {
        request_id: str_of(v.get("request_id")),
        ..ErrorBody::default()
    };
    if let Some(err) = v.get("error") {
        if let Some(s) = err.as_str() {
            out.message = Some(s.to_string());
        } else {
            out.error_type = str_of(err.get("type"));
            out.message = str_of(err.get("message"));
            if let Some(status) = err.get("status").and_then(Value::as_str) {
                out.provider_code = Some(status.to_string());
            }
            out.status = match err.get("code") {
                Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            };
            // Gateways put their own code in `code` (`bad_response_status_code`).
            if out.provider_code.is_none() {
                if let Some(code) = err.get("code").and_then(Value::as_str) {
                    if code.parse::<u16>().is_err() {
                        out.provider_code = Some(code.to_string());
                    }
                }
            }
        }
    } else {
        out.message = str_of(v.get("message")).or_else(|| str_of(v.get("Message")));
        out.provider_code = str_of(v.get("__type")).map(|t| {
            // `com.amazon.coral.service#ThrottlingException` -> `ThrottlingException`.
            t.rsplit(['#', ':']).next().unwrap_or(&t).to_string()
        });
        if v.get("type").and_then(Value::as_str) == Some("error") {
            out.error_type = str_of(v.get("error_type"));
        }
    }
    out
}

/// Parse a body string (JSON or not) into what it says. Non-JSON bodies (an HTML error page
/// from a proxy) give their title or first text as the message.
pub fn error_body_text(body: &str) -> ErrorBody {
    let t = body.trim();
    if t.is_empty() {
        return ErrorBody::default();
    }
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            return error_body(&v);
        }
    }
    ErrorBody {
        message: Some(plain_text(t)),
        ..ErrorBody::default()
    }
}

/// The readable part of an HTML page, or the text itself, on one line.
pub fn plain_text(body: &str) -> String {
    static TITLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)<title>(.*?)</title>").expect("static regex"));
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("static regex"));
    if body.contains('<') && body.contains('>') {
        if let Some(c) = TITLE.captures(body) {
            return c[1].split_whitespace().collect::<Vec<_>>().join(" ");
        }
        let text = TAG.replace_all(body, " ");
        return text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `model` of a request body, without ever keeping the rest of the body.
pub fn model_of_request(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Only {
        model: Option<String>,
    }
    serde_json::from_str::<Only>(body)
        .ok()
        .and_then(|o| o.model)
}

/// The model id inside a Bedrock or Vertex URL path.
pub fn model_of_path(path: &str) -> Option<String> {
    static MODEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:/model/([^/]+)/|/publishers/anthropic/models/([^/:]+))")
            .expect("static regex")
    });
    let c = MODEL.captures(path)?;
    let m = c.get(1).or(c.get(2))?.as_str();
    Some(m.replace("%3A", ":").replace("%3a", ":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_api_paths_and_not_others() {
        let yes = [
            "/v1/messages",
            "/v1/messages?beta=true",
            "https://api.anthropic.com/v1/messages/count_tokens",
            "/anthropic/v1/messages",
            "/v1/acct123/my-gw/anthropic/v1/messages",
            "/v1/messages/batches/msgbatch_01/results",
            "/v1/complete",
            "/v1/models",
            "/model/us.anthropic.claude-sonnet-4-20250514-v1:0/invoke",
            "/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke-with-response-stream",
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict",
        ];
        for p in yes {
            assert!(endpoint_of(p, &[]).is_some(), "{p}");
        }
        for p in [
            "/healthz",
            "/v1/chat/completions",
            "/static/v1/messages.js",
            "/metrics",
            "/v1/embeddings",
        ] {
            assert!(endpoint_of(p, &[]).is_none(), "{p}");
        }
        assert_eq!(
            endpoint_of("/v1/messages?beta=true", &[]).as_deref(),
            Some("/v1/messages")
        );
        let extra = [Regex::new("^/llm/").unwrap()];
        assert!(endpoint_of("/llm/chat", &extra).is_some());
    }

    #[test]
    fn reads_every_error_body_shape() {
        let a = error_body_text(
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#,
        );
        assert_eq!(a.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(a.request_id.as_deref(), Some("req_1"));
        let g = error_body_text(
            r#"[{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]"#,
        );
        assert_eq!(g.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(g.status, Some(429));
        let b = error_body_text(
            r#"{"__type":"com.amazon#ThrottlingException","message":"Too many requests"}"#,
        );
        assert_eq!(b.provider_code.as_deref(), Some("ThrottlingException"));
        let h = error_body_text(
            "<html><head><title>413 Request Entity Too Large</title></head></html>",
        );
        assert_eq!(h.message.as_deref(), Some("413 Request Entity Too Large"));
    }

    #[test]
    fn finds_models_in_paths_and_bodies() {
        assert_eq!(
            model_of_path("/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke").as_deref(),
            Some("anthropic.claude-3-5-sonnet-20241022-v2:0")
        );
        assert_eq!(
            model_of_request(r#"{"max_tokens":5,"model":"claude-haiku-4-5","messages":[]}"#)
                .as_deref(),
            Some("claude-haiku-4-5")
        );
    }
}

// ---- Helpers for log lines that embed SDK and cloud text (Python SDK, Bedrock, Vertex,
// LiteLLM parsers). Self-contained: each brings its own imports.

/// A line without its ANSI colour and style codes (`\x1b[92m...\x1b[0m`); borrowed when it
/// has none.
pub fn strip_ansi(line: &str) -> std::borrow::Cow<'_, str> {
    static ANSI: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]").expect("static regex")
    });
    if memchr::memchr(0x1b, line.as_bytes()).is_none() {
        return std::borrow::Cow::Borrowed(line);
    }
    ANSI.replace_all(line, "")
}

/// The date and time a log line starts with, in the shapes Python logging, syslog-less
/// container runtimes and most app loggers write (`[2025-11-03 09:14:02 - ...`,
/// `2025-10-02 16:20:11,123 ERROR ...`, `2025-10-02T16:20:11.123456789Z stderr F ...`).
/// A time without a date gives nothing.
pub fn leading_stamp(line: &str) -> Option<crate::record::Stamp> {
    static STAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?")
            .expect("static regex")
    });
    let mut end = line.len().min(72);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let m = STAMP.find(&line[..end])?;
    if m.start() > 40 {
        return None;
    }
    let text = m.as_str();
    if text.contains(',') {
        crate::time::iso(&text.replacen(',', ".", 1))
    } else {
        crate::time::iso(text)
    }
}

/// Whether a text names Anthropic or Claude (any case): the test that keeps other
/// providers' errors out when a format is shared (Vertex, Bedrock, LiteLLM).
pub fn mentions_claude(text: &str) -> bool {
    static WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["claude", "anthropic"])
            .expect("static automaton")
    });
    WORDS.is_match(text)
}

/// The error type a Google status word stands for (Vertex AI envelopes, gRPC codes).
pub fn google_status_error_type(status: &str) -> Option<&'static str> {
    Some(match status {
        "RESOURCE_EXHAUSTED" => "rate_limit_error",
        "NOT_FOUND" => "not_found_error",
        "PERMISSION_DENIED" => "permission_error",
        "UNAUTHENTICATED" => "authentication_error",
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => "invalid_request_error",
        // Vertex answers 503 when the model has no capacity: the overloaded family.
        "UNAVAILABLE" => "overloaded_error",
        "DEADLINE_EXCEEDED" => "timeout_error",
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => "api_error",
        "ABORTED" | "ALREADY_EXISTS" => "conflict_error",
        "CANCELLED" => "client_closed",
        _ => return None,
    })
}

#[cfg(test)]
mod log_line_helper_tests {
    use super::*;
    use crate::record::Stamp;

    #[test]
    fn stamps_at_the_start_of_log_lines() {
        let naive = |s: &str| match leading_stamp(s) {
            Some(Stamp::Naive(t)) => t.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            naive("[2025-11-03 09:14:02 - httpx:1025 - INFO] x"),
            "2025-11-03 09:14:02"
        );
        assert_eq!(
            naive("2025-10-02 16:20:11,123 ERROR [w] x"),
            "2025-10-02 16:20:11.123"
        );
        assert!(matches!(
            leading_stamp("2025-10-02T16:20:11.5Z stderr F x"),
            Some(Stamp::Utc(_))
        ));
        assert!(leading_stamp("10:14:02 - LiteLLM Proxy:ERROR").is_none());
        assert!(leading_stamp(
            "a long message text that eventually mentions 2025-10-02 16:20:11 here"
        )
        .is_none());
        assert!(leading_stamp("ééééééééééééééééééééééééééééééééééééééé").is_none());
    }

    #[test]
    fn ansi_codes_and_claude_mentions() {
        assert_eq!(
            strip_ansi("\x1b[92m10:14:02 - LiteLLM\x1b[0m: x"),
            "10:14:02 - LiteLLM: x"
        );
        assert!(matches!(strip_ansi("plain"), std::borrow::Cow::Borrowed(_)));
        assert!(mentions_claude("model=Claude-Sonnet"));
        assert!(!mentions_claude("gemini-1.5-pro"));
    }
}
