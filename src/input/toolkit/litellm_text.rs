//! LiteLLM's exception strings (`litellm.RateLimitError: AnthropicException - {...}`): which
//! call they tell and how it failed, wherever they are printed (LiteLLM's own logs, a Python
//! traceback, a client's terminal).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::api::{
    error_body, google_status_error_type, mentions_claude, model_in_text, plain_text, ErrorBody,
};
use super::pyrepr;
use crate::record::{status_for_error_type, Evidence, Outcome, Record, SourceKind};

/// The status a LiteLLM exception class stands for, and the error type when it is not the
/// one the status implies.
pub(crate) fn litellm_class_info(class: &str) -> Option<(Option<u16>, Option<&'static str>)> {
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
pub(crate) fn proxy_status(class: &str) -> Option<u16> {
    match class {
        "Timeout" => Some(408),
        "APIConnectionError" => Some(500),
        other => litellm_class_info(other).and_then(|(s, _)| s),
    }
}

pub(crate) static CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])litellm\.(?:exceptions\.)?(?P<class>[A-Z]\w*): ")
        .expect("static regex")
});
/// Another class stacked after the first (`litellm.BadRequestError: `, `APIError: `).
pub(crate) static STACKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:litellm\.(?:exceptions\.)?)?(?P<class>[A-Z]\w*(?:Error|Timeout)): ")
        .expect("static regex")
});
pub(crate) static PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<provider>[A-Za-z_]+?)(?:Exception|Error) - ").expect("static regex")
});
pub(crate) static MODEL_GROUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Received Model Group=(?P<m>[^\s,]+)").expect("static regex"));
pub(crate) static PASSED_MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:Passed model=|model=|LiteLLM model: ?)(?P<m>[\w./:@-]*claude[\w./:@-]*)")
        .expect("static regex")
});
pub(crate) static RETRIED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"LiteLLM Retried: (?P<n>\d+) times?").expect("static regex"));
/// Where the text that follows a provider's name ends: LiteLLM's own suffixes.
pub(crate) fn cut_tail(text: &str) -> &str {
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
pub(crate) fn read_provider_text(text: &str) -> (ErrorBody, bool) {
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
pub(crate) fn exception(text: &str) -> Option<Result<Record, ()>> {
    let c = CLASS.captures(text)?;
    let first = c.name("class")?.as_str();
    litellm_class_info(first)?;
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
        .find_map(|c| litellm_class_info(c).filter(|(s, t)| s.is_some() || t.is_some()))
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
pub(crate) fn without_route(model: &str) -> String {
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

/// A LiteLLM exception ending a Python traceback.
pub(crate) fn litellm_exception_record(text: &str) -> Option<Record> {
    exception(text).and_then(Result::ok)
}
