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
    let b = t.as_bytes();
    // `://` by its colon (memchr), not `str::find`, which builds a searcher per call: this
    // runs for every access log line.
    let scheme_end = memchr::memchr_iter(b':', b).find(|&i| b.get(i + 1..i + 3) == Some(b"//"));
    let after_scheme = match scheme_end {
        Some(i) => {
            let rest = &t[i + 3..];
            match rest.find('/') {
                Some(j) => &rest[j..],
                None => "/",
            }
        }
        None => t,
    };
    let end = memchr::memchr2(b'?', b'#', after_scheme.as_bytes()).unwrap_or(after_scheme.len());
    &after_scheme[..end]
}

/// The endpoint (URL path) when `target` is a Claude API call, else `None`.
pub fn endpoint_of(target: &str, extra: &[Regex]) -> Option<String> {
    endpoint_in(target, extra).map(std::borrow::Cow::into_owned)
}

/// [`endpoint_of`], borrowed from `target` when it needs no decoding.
pub(crate) fn endpoint_in<'t>(
    target: &'t str,
    extra: &[Regex],
) -> Option<std::borrow::Cow<'t, str>> {
    let path = path_of(target);
    // Most calls are exactly this; skip the regex for them.
    if path == "/v1/messages" {
        return Some(path.into());
    }
    let path: std::borrow::Cow<'t, str> = if path.contains('%') {
        path.replace("%3A", ":").replace("%3a", ":").into()
    } else {
        path.into()
    };
    if API_PATH.is_match(&path) || extra.iter().any(|r| r.is_match(&path)) {
        Some(path)
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
    // Standard (not leftmost) matches, one after another: each is the marker that ends first
    // from where the last one ended. No marker can start inside `/invoke`, so this finds what
    // an overlapping search would, without its per-call cost.
    let mut invoke = false;
    for m in MARKERS.find_iter(url) {
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
            out.error_type = str_of(err.get("type")).map(relay_type);
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

/// A relay's own error type (one-api's `one_api_error`, new-api's `new_api_error`) is a
/// gateway's error: `gateway_error`, as every other gateway's own answer.
fn relay_type(t: String) -> String {
    match t.as_str() {
        "one_api_error" | "new_api_error" => "gateway_error".to_string(),
        _ => t,
    }
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
    // Both shapes hold `/model`; most paths (`/v1/messages`) have none.
    memchr::memmem::find(path.as_bytes(), b"/model")?;
    let c = MODEL.captures(path)?;
    let m = c.get(1).or(c.get(2))?.as_str();
    Some(m.replace("%3A", ":").replace("%3a", ":"))
}

/// Headers kept for classification.
pub(crate) fn is_kept_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("anthropic-ratelimit-")
        || n == "x-should-retry"
        || n == "retry-after"
        || n == "retry-after-ms"
        || n == "x-amzn-errortype"
}

/// A Claude model named in an error text (Vertex paths and base-model names, Bedrock ids).
pub(crate) fn model_in_text(text: &str) -> Option<String> {
    static MODEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"publishers/anthropic/models/(?P<v>[\w.@-]+)|base model: (?P<b>anthropic-claude[\w.-]*\w)|(?P<m>(?:(?:us|eu|apac|jp|au|global)\.)?anthropic\.claude-[\w.-]+(?::\d+)?)")
            .expect("static regex")
    });
    let c = MODEL.captures(text)?;
    c.name("v")
        .or(c.name("b"))
        .or(c.name("m"))
        .map(|m| m.as_str().to_string())
}

#[cfg(test)]
mod vendor_tests {
    use super::{claude_endpoint, other_vendor_url};

    #[test]
    fn other_vendors_hosts_in_any_case_are_not_claude() {
        for url in [
            "https://api.openai.com/v1/models",
            "https://API.OpenAI.com/v1/files",
            "https://my-res.OPENAI.AZURE.COM/v1/messages",
            "https://api.x.ai/v1/messages?x=1",
            "https://api.deepseek.com/v1/models",
            "https://api.cohere.com/v1/models",
        ] {
            assert!(other_vendor_url(url), "{url}");
            assert_eq!(claude_endpoint(url, &[]), None, "{url}");
        }
        // A gateway's route to Anthropic, and the API itself, are Claude's.
        assert!(!other_vendor_url(
            "https://gw.openai.com/anthropic/v1/messages"
        ));
        assert_eq!(
            claude_endpoint("https://api.anthropic.com/v1/models", &[]).as_deref(),
            Some("/v1/models")
        );
        // Only the host counts: a path that names a vendor does not.
        assert!(!other_vendor_url(
            "https://api.anthropic.com/v1/messages?ref=openai.com"
        ));
    }
}

#[cfg(test)]
mod provider_tests {
    use super::provider_of_url;

    #[test]
    fn the_host_or_the_path_names_the_provider() {
        let cases = [
            ("/v1/messages", "anthropic"),
            ("https://api.anthropic.com/v1/messages", "anthropic"),
            (
                "https://gateway.ai.cloudflare.com/v1/acct/gw/anthropic/v1/messages",
                "cloudflare",
            ),
            (
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20241022-v2:0/invoke",
                "bedrock",
            ),
            ("/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", "bedrock"),
            ("/model/x/INVOKE-with-response-stream", "bedrock"),
            ("/invoke", "anthropic"),
            (
                "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict",
                "vertex",
            ),
            // The path names Vertex before `/invoke` could say Bedrock.
            ("/v1/publishers/anthropic/invoke/model/x", "vertex"),
            ("/model/x/invoke/publishers/anthropic/", "vertex"),
            ("HTTPS://GATEWAY.AI.CLOUDFLARE.COM/v1/a/b/anthropic", "cloudflare"),
        ];
        for (url, want) in cases {
            assert_eq!(provider_of_url(url), want, "{url}");
        }
    }
}

#[cfg(test)]
mod stamp_by_position_tests {
    use super::{leading_stamp, leading_stamp_by_regex};

    /// Reading the time stamp by position answers exactly what the regex answers, on every
    /// combination of well-formed and broken pieces (Unicode digits included).
    #[test]
    fn by_position_agrees_with_the_regex() {
        let mut n = 0;
        for lead in ["", "[", "  ["] {
            for date in [
                "2025-10-02",
                "2025/10/02",
                "2025-10/02",
                "2025.10.02",
                "20x5-10-02",
                "2025-1-02",
                "2025-10-0\u{0662}",
            ] {
                for sep in ["T", " ", " - ", "  ", "t", "-"] {
                    for clock in [
                        "16:20:11",
                        "16:2:11",
                        "16:20:1x",
                        "16-20-11",
                        "1\u{0661}:20:11",
                    ] {
                        for frac in [
                            "",
                            ".",
                            ".1",
                            ",123",
                            ".123456789",
                            ".1234567890",
                            ".12a",
                            ".1\u{0663}",
                            ",\u{0663}",
                        ] {
                            for zone in [
                                "",
                                "Z",
                                "+05:30",
                                "+0530",
                                "-05:3",
                                "+05",
                                "+05:30x",
                                "z",
                                "+0\u{0665}:30",
                                "+05:\u{0663}0",
                            ] {
                                for tail in ["", " INFO x", "\u{0661}", "]"] {
                                    let line =
                                        format!("{lead}{date}{sep}{clock}{frac}{zone}{tail}");
                                    let t = line.trim_start_matches([' ', '[']);
                                    assert_eq!(
                                        leading_stamp(&line),
                                        leading_stamp_by_regex(t).filter(|_| {
                                            let b = t.as_bytes();
                                            b.len() >= 19
                                                && b[0].is_ascii_digit()
                                                && (b[4] == b'-' || b[4] == b'/')
                                        }),
                                        "{line:?}"
                                    );
                                    n += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(n > 100_000, "{n} cases");
    }
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
        // A relay's own error type is a gateway's error.
        let relay = error_body_text(
            r#"{"error":{"code":"","message":"rate_limit_check_failed","type":"new_api_error"}}"#,
        );
        assert_eq!(relay.error_type.as_deref(), Some("gateway_error"));
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

/// The date and time a log line starts with, in the shapes Python logging, syslog-less
/// container runtimes and most app loggers write (`[2025-11-03 09:14:02 - ...`,
/// `2025-10-02 16:20:11,123 ERROR ...`, `2025-10-02T16:20:11.123456789Z stderr F ...`).
/// A time without a date gives nothing.
pub fn stamp_near_start(line: &str) -> Option<crate::record::Stamp> {
    let mut end = line.len().min(72);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let b = &line.as_bytes()[..end];
    let at = (0..=40.min(b.len().saturating_sub(19))).find(|&i| stamp_core(&b[i..]))?;
    let len = stamp_len(&b[at..]);
    let text = &line[at..at + len];
    if text.contains(',') {
        crate::time::iso(&text.replacen(',', ".", 1))
    } else {
        crate::time::iso(text)
    }
}

/// `\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d` at the start of `b`, tested by position (once per
/// dated line of an application log).
fn stamp_core(b: &[u8]) -> bool {
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && b[16] == b':'
        && DIGITS.iter().all(|&i| b[i].is_ascii_digit())
}

/// The length of the stamp whose core starts `b`: the core, then an optional `[.,]` and one
/// to nine digits, then an optional `Z` or `[+-]HH:?MM`.
fn stamp_len(b: &[u8]) -> usize {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut n = 19;
    if matches!(b.get(n), Some(b'.' | b',')) && digit(n + 1) {
        let digits = (n + 1..b.len().min(n + 10))
            .take_while(|&i| digit(i))
            .count();
        n += 1 + digits;
    }
    match b.get(n) {
        Some(b'Z') => n + 1,
        Some(b'+' | b'-') if digit(n + 1) && digit(n + 2) => {
            if b.get(n + 3) == Some(&b':') && digit(n + 4) && digit(n + 5) {
                n + 6
            } else if digit(n + 3) && digit(n + 4) {
                n + 5
            } else {
                n
            }
        }
        _ => n,
    }
}

/// Whether a text names Anthropic or Claude (any case): the test that keeps other
/// providers' errors out when a format is shared (Vertex, Bedrock, LiteLLM).
pub fn mentions_claude(text: &str) -> bool {
    // The first four letters of either word in every mix of cases, found by the vectorized
    // packed searcher (this runs for many lines of application logs); each hit is checked
    // case-blind for the whole word.
    static STARTS: LazyLock<Option<aho_corasick::packed::Searcher>> = LazyLock::new(|| {
        let mut builder = aho_corasick::packed::Config::new().builder();
        for word in ["clau", "anth"] {
            for mask in 0..16u8 {
                let v: Vec<u8> = word
                    .bytes()
                    .enumerate()
                    .map(|(i, c)| {
                        if mask & (1 << i) != 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect();
                builder.add(v);
            }
        }
        builder.build()
    });
    let b = text.as_bytes();
    let at = |i: usize, word: &[u8]| {
        b.get(i..i + word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
    };
    let Some(starts) = STARTS.as_ref() else {
        return b.iter().enumerate().any(|(i, &c)| match c | 0x20 {
            b'c' => at(i, b"claude"),
            b'a' => at(i, b"anthropic"),
            _ => false,
        });
    };
    let mut from = 0;
    while let Some(m) = starts.find_in(b, aho_corasick::Span::from(from..b.len())) {
        let i = m.start();
        if at(i, b"claude") || at(i, b"anthropic") {
            return true;
        }
        from = i + 1;
    }
    false
}

/// The HTTP status a Google status word stands for (Vertex AI envelopes, audit logs).
pub fn google_status_code(status: &str) -> Option<u16> {
    Some(match status {
        "CANCELLED" => 499,
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "DEADLINE_EXCEEDED" => 504,
        "NOT_FOUND" => 404,
        "PERMISSION_DENIED" => 403,
        "RESOURCE_EXHAUSTED" => 429,
        "ABORTED" | "ALREADY_EXISTS" => 409,
        "UNAVAILABLE" => 503,
        "UNAUTHENTICATED" => 401,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => 500,
        _ => return None,
    })
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
        let naive = |s: &str| match stamp_near_start(s) {
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
            stamp_near_start("2025-10-02T16:20:11.5Z stderr F x"),
            Some(Stamp::Utc(_))
        ));
        assert!(stamp_near_start("10:14:02 - LiteLLM Proxy:ERROR").is_none());
        assert!(stamp_near_start(
            "a long message text that eventually mentions 2025-10-02 16:20:11 here"
        )
        .is_none());
        assert!(stamp_near_start("ééééééééééééééééééééééééééééééééééééééé").is_none());
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

// Helpers shared by the SDK, Claude Code and gateway line parsers (appended; they read text
// that other programs printed around the API's own strings).

/// The text without ANSI escape sequences (terminal colours); borrowed when there are none.
pub fn strip_ansi(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.as_bytes().contains(&0x1b) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            // CSI: ESC [ params final-byte
            Some('[') => {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            // OSC: ESC ] ... BEL or ESC \
            Some(']') => {
                chars.next();
                while let Some(d) = chars.next() {
                    if d == '\u{7}' {
                        break;
                    }
                    if d == '\u{1b}' {
                        chars.next();
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Follows a JSON value (object or array) across pieces of text, strings and escapes
/// respected, to tell where it ends.
#[derive(Debug, Default, Clone)]
pub struct JsonScanner {
    depth: u32,
    started: bool,
    in_string: bool,
    escaped: bool,
}

impl JsonScanner {
    /// Feed the next piece; returns the byte offset just after the value when it closes in
    /// this piece. Text before the first `{` or `[` is skipped.
    pub fn feed(&mut self, piece: &str) -> Option<usize> {
        for (i, b) in piece.bytes().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' if self.started => self.in_string = true,
                b'{' | b'[' => {
                    self.started = true;
                    self.depth += 1;
                }
                b'}' | b']' if self.started => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    pub fn is_open(&self) -> bool {
        self.started && self.depth > 0
    }
}

/// The JSON value at the start of `s` (after leading blanks), when it is complete.
pub fn leading_json(s: &str) -> Option<&str> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let end = JsonScanner::default().feed(t)?;
    t.get(..end)
}

/// A JSON text that was itself quoted inside JSON (`{\"type\":\"error\"...}`), unquoted.
pub fn unescape_json_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("\\\"") {
        return std::borrow::Cow::Borrowed(s);
    }
    let quoted = format!("\"{s}\"");
    match serde_json::from_str::<String>(&quoted) {
        Ok(u) => std::borrow::Cow::Owned(u),
        Err(_) => std::borrow::Cow::Owned(s.replace("\\\"", "\"").replace("\\\\", "\\")),
    }
}

/// A Go `time.Duration` string (`1.934521s`, `512ms`, `83.2µs`, `1m2.5s`, `1h0m3s`) or a Java
/// SDK duration (`1s 834ms`, `1m 40s 467ms`) in whole milliseconds.
pub fn duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
    let mut any = false;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest.get(..num_len)?.parse().ok()?;
        rest = rest.get(num_len..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == ' ' || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_len)?;
        rest = rest.get(unit_len..)?;
        let factor = match unit {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            "µs" | "us" | "μs" => 0.001,
            "ns" => 0.000_001,
            "d" => 86_400_000.0,
            _ => return None,
        };
        total += n * factor;
        any = true;
    }
    if !any || !total.is_finite() {
        return None;
    }
    Some(total.round() as u64)
}

/// The time stamp an outer logger put at the start of a line: ISO 8601 (`2025-10-02T16:20:11.123Z`,
/// `2025-10-02 16:20:11,123`), Go `log` (`2025/08/19 12:34:56`), Gin (`2025/02/21 - 19:30:16`),
/// optionally inside `[...]`.
pub fn leading_stamp(line: &str) -> Option<crate::record::Stamp> {
    let t = line.trim_start_matches([' ', '[']);
    let b = t.as_bytes();
    if b.len() < 19 || !b[0].is_ascii_digit() || !(b[4] == b'-' || b[4] == b'/') {
        return None;
    }
    let mut buf = [0u8; 40];
    match stamp_by_position(b, &mut buf) {
        Some(n) => std::str::from_utf8(&buf[..n])
            .ok()
            .and_then(crate::time::iso),
        None => leading_stamp_by_regex(t),
    }
}

/// [`leading_stamp`]'s layouts read by position into `out` as ISO 8601 (`YYYY-MM-DDTHH:MM:SS`,
/// then `.fraction` and the zone as written): the length written, or `None` when the text is
/// not plainly one of them (the regex then decides, so this only ever answers what it would).
fn stamp_by_position(b: &[u8], out: &mut [u8; 40]) -> Option<usize> {
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .filter(|d| d.iter().all(u8::is_ascii_digit))
    };
    let year = digits(0, 4)?;
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    if !matches!(b[7], b'-' | b'/') {
        return None;
    }
    let clock = |at: usize| {
        let c = b.get(at..at + 8)?;
        let ok = c[2] == b':'
            && c[5] == b':'
            && [0, 1, 3, 4, 6, 7].iter().all(|&i| c[i].is_ascii_digit());
        ok.then_some(c)
    };
    let (time, mut at) = match b.get(10) {
        Some(b'T' | b' ') if clock(11).is_some() => (clock(11)?, 19),
        Some(b' ') if b.get(10..13) == Some(b" - ") => (clock(13)?, 21),
        _ => return None,
    };
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        out[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    put(year);
    put(b"-");
    put(month);
    put(b"-");
    put(day);
    put(b"T");
    put(time);
    // A fraction of one to nine digits.
    if matches!(b.get(at), Some(b'.' | b',')) {
        let f = b[at + 1..]
            .iter()
            .take(9)
            .take_while(|c| c.is_ascii_digit())
            .count();
        // A non-ASCII byte where a digit could follow may be a digit to the regex.
        if b.get(at + 1 + f).is_some_and(|c| !c.is_ascii()) && f < 9 {
            return None;
        }
        if f > 0 {
            put(b".");
            put(&b[at + 1..at + 1 + f]);
            at += 1 + f;
        }
    }
    // The zone: `Z`, `+HH:MM` or `+HHMM`; anything else is no zone.
    match b.get(at) {
        Some(b'Z') => put(b"Z"),
        Some(b'+' | b'-') => {
            let rest = &b[at + 1..];
            if rest.iter().take(5).any(|c| !c.is_ascii()) {
                return None;
            }
            let d = |i: usize| rest.get(i).is_some_and(u8::is_ascii_digit);
            if d(0) && d(1) && rest.get(2) == Some(&b':') && d(3) && d(4) {
                put(&b[at..at + 6]);
            } else if d(0) && d(1) && d(2) && d(3) {
                put(&b[at..at + 5]);
            }
        }
        _ => {}
    }
    Some(n)
}

fn leading_stamp_by_regex(t: &str) -> Option<crate::record::Stamp> {
    static STAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})[-/](\d\d)[-/](\d\d)(?:[T ]| - )(\d\d:\d\d:\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?")
            .expect("static regex")
    });
    let c = STAMP.captures(t)?;
    let mut iso = format!("{}-{}-{}T{}", &c[1], &c[2], &c[3], &c[4]);
    if let Some(f) = c.get(5) {
        iso.push('.');
        iso.push_str(f.as_str());
    }
    if let Some(z) = c.get(6) {
        iso.push_str(z.as_str());
    }
    crate::time::iso(&iso)
}

/// A URL of another vendor's API (OpenAI, Mistral...), not a gateway's route to Anthropic.
pub fn other_vendor_url(url: &str) -> bool {
    foreign_host(url) && !url.contains("/anthropic/")
}

/// Hosts that serve other vendors' APIs: their URLs are never Claude API calls even when the
/// path looks like one (`/v1/models`, `/v1/files`). One list for every parser.
pub(crate) fn foreign_host(url: &str) -> bool {
    // One case-blind pass over the host, no allocation (this runs for many SDK lines).
    static OTHERS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "openai.com",
                "openai.azure.com",
                "api.mistral.ai",
                "api.groq.com",
                "api.cohere",
                "cohere.",
                "generativelanguage.googleapis.com",
                "api.together",
                "api.fireworks.ai",
                "api.x.ai",
                "api.deepseek.com",
            ])
            .expect("static automaton")
    });
    // `://` by its colon (memchr): `split_once` builds a substring searcher per call.
    let b = url.as_bytes();
    let Some(colon) = memchr::memchr_iter(b':', b).find(|&i| b.get(i + 1..i + 3) == Some(b"//"))
    else {
        return false;
    };
    let rest = &url[colon + 3..];
    let end = rest
        .bytes()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let host = &rest[..end];
    // Most hosts in these logs are the API's own.
    if host.eq_ignore_ascii_case("api.anthropic.com") {
        return false;
    }
    OTHERS.is_match(host)
}

/// The endpoint when an absolute URL logged by a client is a Claude API call: a Claude API
/// path on a host that is not another vendor's.
pub fn claude_endpoint(url: &str, extra: &[Regex]) -> Option<String> {
    if url.contains("://") && foreign_host(url) && !url.contains("/anthropic/") {
        return None;
    }
    endpoint_of(url, extra)
}

/// The provider an error body points at when it is not the Anthropic envelope.
pub fn provider_of_body(body: &ErrorBody) -> Option<&'static str> {
    const BEDROCK: [&str; 7] = [
        "Too many requests, please wait before trying again",
        "Too many tokens, please wait before trying again",
        "Too many connections, please wait before trying again",
        "Bedrock is unable to process your request",
        "with on-demand throughput isn",
        "The provided model identifier is invalid",
        "You don't have access to the model with the specified model ID",
    ];
    if body.error_type.is_some() {
        return None;
    }
    if body
        .provider_code
        .as_deref()
        .is_some_and(|c| c.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    {
        return Some("vertex");
    }
    let m = body.message.as_deref().unwrap_or("");
    if BEDROCK.iter().any(|b| m.contains(b))
        || body
            .provider_code
            .as_deref()
            .is_some_and(|c| c.ends_with("Exception"))
    {
        return Some("bedrock");
    }
    None
}

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn strips_colours_and_follows_json() {
        assert_eq!(strip_ansi("\u{1b}[97;43m 429 \u{1b}[0m|"), " 429 |");
        assert_eq!(
            leading_json(r#"{"a":"}{","b":[1]} tail"#),
            Some(r#"{"a":"}{","b":[1]}"#)
        );
        let mut s = JsonScanner::default();
        assert_eq!(s.feed(r#"{"type":"error","error":{"message":"a"#), None);
        assert!(s.is_open());
        assert_eq!(s.feed(r#"b"}}"#), Some(4));
        assert_eq!(
            unescape_json_text(r#"{\"type\":\"error\"}"#),
            r#"{"type":"error"}"#
        );
    }

    #[test]
    fn reads_go_and_java_durations() {
        assert_eq!(duration_ms("1.934521s"), Some(1935));
        assert_eq!(duration_ms("512ms"), Some(512));
        assert_eq!(duration_ms("83.2µs"), Some(0));
        assert_eq!(duration_ms("1m2.5s"), Some(62_500));
        assert_eq!(duration_ms("1s 834ms"), Some(1834));
        assert_eq!(duration_ms("1m 40s 467ms"), Some(100_467));
        assert_eq!(duration_ms("fast"), None);
    }

    #[test]
    fn finds_stamps_that_loggers_prepend() {
        use crate::record::Stamp;
        assert!(matches!(
            leading_stamp("2025-10-02T16:20:11.123Z ERROR x"),
            Some(Stamp::Utc(_))
        ));
        assert!(matches!(
            leading_stamp("2025-10-02 16:20:11.123 ERROR 4711 ---"),
            Some(Stamp::Naive(_))
        ));
        assert!(matches!(
            leading_stamp("2025/08/19 12:34:56 POST"),
            Some(Stamp::Naive(_))
        ));
        assert!(matches!(
            leading_stamp("[2025-10-02 16:20:11,123] x"),
            Some(Stamp::Naive(_))
        ));
        assert!(leading_stamp("12:34:56 x").is_none());
    }

    #[test]
    fn other_vendors_urls_are_not_claude_calls() {
        assert!(claude_endpoint("https://api.openai.com/v1/models", &[]).is_none());
        assert_eq!(
            claude_endpoint("https://api.anthropic.com/v1/messages?beta=true", &[]).as_deref(),
            Some("/v1/messages")
        );
    }
}

/// The line without the prefix a log collector puts on every line (docker compose
/// `service  | `, kubectl `[pod/name/container] `, journald `Oct 02 16:20:11 host app[42]: `), so
/// that the continuation lines of a multi-line record (stack frames) are seen as such.
pub fn without_collector_prefix(line: &str) -> &str {
    let b = line.as_bytes();
    if b.is_empty() {
        return line;
    }
    // docker compose: a name, padding, `| `.
    if let Some(bar) = memchr::memmem::find(&b[..b.len().min(64)], b"| ") {
        let name = line[..bar].trim_end();
        if !name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        {
            return &line[bar + 2..];
        }
    }
    // kubectl logs --prefix
    if line.starts_with("[pod/") {
        if let Some(end) = line.find("] ") {
            return &line[end + 2..];
        }
    }
    // journald short format
    static JOURNALD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w.@/-]+(?:\[\d+\])?: ")
            .expect("static regex")
    });
    if b[0].is_ascii_uppercase() {
        if let Some(m) = JOURNALD.find(line) {
            return &line[m.end()..];
        }
    }
    line
}

#[cfg(test)]
mod collector_tests {
    use super::without_collector_prefix as strip;

    #[test]
    fn strips_collector_prefixes() {
        assert_eq!(strip("api-1  |     at x (y.js:1:1)"), "    at x (y.js:1:1)");
        assert_eq!(strip("[pod/api-7f9c/api]     at x"), "    at x");
        assert_eq!(
            strip("Oct 02 16:20:11 web1 node[4711]:     at x"),
            "    at x"
        );
        assert_eq!(strip("    at x"), "    at x");
        assert_eq!(strip("a | b with spaces | c"), "b with spaces | c");
    }
}

#[cfg(test)]
mod stamp_tests {
    use super::{mentions_claude, stamp_near_start};

    /// The positional reader finds the stamp a regex would: the leftmost one starting within
    /// the first 40 bytes, inside the first 72.
    #[test]
    fn finds_the_stamp_the_regex_finds() {
        let re = regex::Regex::new(
            r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?",
        )
        .unwrap();
        let by_regex = |line: &str| {
            let mut end = line.len().min(72);
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            let m = re.find(&line[..end]).filter(|m| m.start() <= 40)?;
            crate::time::iso(&m.as_str().replacen(',', ".", 1))
        };
        let lines = [
            "2025-10-02 16:20:11,123 ERROR x",
            "[2025-11-03 09:14:02 - httpx:1025 - INFO] HTTP Request",
            "2025-10-02T16:20:11.123456789Z stderr F msg",
            "2025-10-02T16:20:11.1234567890Z too many digits",
            "2025-10-02T16:20:11+02:00 x",
            "2025-10-02T16:20:11+0200 x",
            "2025-10-02T16:20:11+02:0x x",
            "2025-10-02T16:20:11-05 x",
            "12025-10-02 16:20:11 five-digit year run",
            "2025-10-02 16:20:1 short",
            "2025-10-02 16:20:11.",
            "2025-10-02 16:20:11,",
            "é2025-10-02 16:20:11 after a multi-byte char",
            "                                         2025-10-02 16:20:11 at 41",
            "                                        2025-10-02 16:20:11 at 40",
            "INFO some text 2025-10-02 16:20:11 and 2025-10-03 00:00:00",
            "                                                    2025-10-02 16:20:11.123456 cut",
            "2025-13-02 16:20:11 invalid month",
            "no stamp at all",
            "",
        ];
        for line in lines {
            assert_eq!(stamp_near_start(line), by_regex(line), "{line:?}");
        }
        assert!(stamp_near_start(lines[0]).is_some());
    }

    #[test]
    fn mentions_claude_in_any_case() {
        for (text, yes) in [
            ("model claude-sonnet-4-5", true),
            ("ANTHROPIC_API_KEY missing", true),
            ("via Claude Code", true),
            ("anthropi", false),
            ("clau de", false),
            ("openai gpt-4o", false),
            ("", false),
            ("é Anthropic", true),
            ("cclaude", true),
        ] {
            assert_eq!(mentions_claude(text), yes, "{text}");
        }
    }
}

#[cfg(test)]
mod mentions_tests {
    use super::mentions_claude;

    /// The byte loop the vectorized search replaces.
    fn reference(text: &str) -> bool {
        let b = text.as_bytes();
        let at = |i: usize, word: &[u8]| {
            b.get(i..i + word.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(word))
        };
        b.iter().enumerate().any(|(i, &c)| match c | 0x20 {
            b'c' => at(i, b"claude"),
            b'a' => at(i, b"anthropic"),
            _ => false,
        })
    }

    #[test]
    fn agrees_with_a_case_blind_byte_loop() {
        let mut lines = crate::input::sample_lines();
        lines.extend(
            [
                "",
                "ClAuDe",
                "ANTHROPIC_API_KEY",
                "claud",
                "anthropi",
                "clauclaude",
                "xanthxanthropicx",
                "é claude é",
                "CLAUDE-3",
            ]
            .map(str::to_string),
        );
        for line in &lines {
            assert_eq!(mentions_claude(line), reference(line), "{line:?}");
        }
    }
}
