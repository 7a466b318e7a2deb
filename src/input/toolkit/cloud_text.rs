//! What Bedrock's and Vertex AI's errors say: Bedrock exception names, botocore and
//! google.api_core exception strings, wherever they are printed.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::api::{endpoint_of, mentions_claude, model_in_text};
use crate::record::{Evidence, Outcome, Record, SourceKind};

/// Bedrock's exception names (HTTP and event-stream spellings): the status they stand for
/// and their meaning.
pub(crate) fn bedrock_code(code: &str) -> Option<(Option<u16>, &'static str)> {
    let mut chars = code.chars();
    let first = chars.next()?;
    let upper: String = first.to_ascii_uppercase().to_string() + chars.as_str();
    Some(match upper.as_str() {
        "ThrottlingException" | "TooManyRequestsException" | "ModelNotReadyException" => {
            (Some(429), "rate_limit_error")
        }
        // A quota, not a malformed request, although AWS answers 400.
        "ServiceQuotaExceededException" => (Some(400), "rate_limit_error"),
        "ValidationException" => (Some(400), "invalid_request_error"),
        "AccessDeniedException" => (Some(403), "permission_error"),
        "UnrecognizedClientException" | "InvalidSignatureException" => {
            (Some(403), "authentication_error")
        }
        "ExpiredTokenException" => (Some(400), "authentication_error"),
        "ResourceNotFoundException" => (Some(404), "not_found_error"),
        "ServiceUnavailableException" => (Some(503), "overloaded_error"),
        "ModelTimeoutException" => (Some(408), "timeout_error"),
        "ModelErrorException" => (Some(424), "api_error"),
        "InternalServerException" | "InternalFailure" => (Some(500), "api_error"),
        "ModelStreamErrorException" => (None, "stream_error"),
        _ => return None,
    })
}

/// The REST path of a Bedrock runtime operation on a model.
pub(crate) fn bedrock_path(operation: &str, model: &str) -> Option<String> {
    let action = match operation {
        "InvokeModel" => "invoke",
        "InvokeModelWithResponseStream" => "invoke-with-response-stream",
        "Converse" => "converse",
        "ConverseStream" => "converse-stream",
        "CountTokens" => "count-tokens",
        _ => return None,
    };
    Some(format!("/model/{model}/{action}"))
}

const BEDROCK_RUNTIME_OPERATIONS: [&str; 7] = [
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "InvokeModelWithBidirectionalStream",
    "Converse",
    "ConverseStream",
    "CountTokens",
    "StartAsyncInvoke",
];

/// Messages only Bedrock writes: they tell a dump without other context is Bedrock's.
pub(crate) fn bedrock_message(text: &str) -> bool {
    [
        "Too many requests, please wait before trying again",
        "Too many tokens, please wait before trying again",
        "Bedrock is unable to process your request",
        "with on-demand throughput isn",
        "You don't have access to the model with the specified model ID",
        "The provided model identifier is invalid",
        "Model use case details have not been submitted",
    ]
    .iter()
    .any(|m| text.contains(m))
}

/// The exception behind one of Bedrock's plain-text messages, when a client printed only the
/// message (`503 Too many connections, please wait before trying again.`).
pub(crate) fn bedrock_message_exception(text: &str) -> Option<&'static str> {
    [
        (
            "Too many requests, please wait before trying again",
            "ThrottlingException",
        ),
        (
            "Too many tokens, please wait before trying again",
            "ThrottlingException",
        ),
        (
            "Too many connections, please wait before trying again",
            "ServiceUnavailableException",
        ),
        (
            "Bedrock is unable to process your request",
            "ServiceUnavailableException",
        ),
    ]
    .iter()
    .find(|(m, _)| text.contains(m))
    .map(|(_, e)| *e)
}

pub(crate) static BEDROCK_MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:arn:aws[\w-]*:bedrock:[\w-]*:\d*:(?:foundation-model|inference-profile|application-inference-profile)/)?",
        r"(?:(?:us|eu|apac|jp|au|global|us-gov)\.)?anthropic\.claude-[a-z0-9.-]*[a-z0-9](?::\d+)?"
    ))
    .expect("static regex")
});

/// Another vendor's Bedrock model id: the error is not about Claude.
pub(crate) static OTHER_BEDROCK_MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:amazon|meta|mistral|cohere|ai21|stability|deepseek|openai|qwen|writer|twelvelabs|luma)\.[a-z0-9-]+")
        .expect("static regex")
});

pub(crate) static BOTO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"An error occurred \((?P<code>[\w.:#-]+)\) when calling the (?P<op>\w+) operation(?: \(reached max retries: (?P<retries>\d+)\))?(?::\s?(?P<msg>.*))?$")
        .expect("static regex")
});

pub(crate) static GOOGLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"google\.api_core\.exceptions\.(?P<class>\w+): (?:(?P<code>\d{3}) )?(?P<msg>.*)$")
        .expect("static regex")
});

/// `ThrottlingException: Too many requests...` opening an AWS SDK for JavaScript error dump.
pub(crate) static JS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s:])(?P<name>[A-Z][A-Za-z]+Exception): (?P<msg>.*?)(?: \{)?$")
        .expect("static regex")
});

/// `Error { code: "ThrottlingException", message: "...", aws_request_id: "..." }` (Rust SDK).
pub(crate) static RUST_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"code: (?:Some\()?"(?P<code>\w+)"\)?, message: (?:Some\()?"(?P<msg>(?:[^"\\]|\\.)*)"\)?.*?aws_request_id: (?:Some\()?"(?P<id>[\w-]+)""#)
        .expect("static regex")
});

pub(crate) fn bedrock_record(evidence: Evidence) -> Record {
    let mut r = Record::new(SourceKind::Bedrock, Outcome::Failure);
    r.provider = Some("bedrock".into());
    r.evidence = evidence;
    r
}

/// Fill status and type from a Bedrock exception name. Event-stream spellings (lowerCamel)
/// arrive inside a 200 response.
pub(crate) fn apply_bedrock_code(r: &mut Record, code: &str) {
    r.provider_code = Some(code.to_string());
    let Some((status, error_type)) = bedrock_code(code) else {
        return;
    };
    r.error_type = Some(error_type.into());
    if code.starts_with(|c: char| c.is_ascii_lowercase()) {
        r.http_status = Some(200);
        r.status = status;
    } else {
        r.http_status = status;
    }
}

/// botocore's transport errors on a Bedrock runtime URL: `Read timeout on endpoint URL:
/// "https://bedrock-runtime.../model/.../invoke"` and the like. No response arrived.
pub(crate) fn boto_transport(text: &str) -> Option<Record> {
    static TRANSPORT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?P<what>Read timeout|Connect timeout|Could not connect to the endpoint URL|Connection was closed before we received a valid response from endpoint URL)(?: on endpoint URL)?: ?"(?P<url>[^"]+)""#)
            .expect("static regex")
    });
    let c = TRANSPORT.captures(text)?;
    let url = &c["url"];
    if !url.contains("bedrock-runtime") {
        return None;
    }
    let mut r = bedrock_record(Evidence::Summary);
    r.error_type = Some(
        if c["what"].ends_with("timeout") {
            "client_timeout"
        } else {
            "connection_error"
        }
        .into(),
    );
    r.endpoint = endpoint_of(url, &[]);
    r.model = r
        .endpoint
        .as_deref()
        .and_then(crate::input::toolkit::api::model_of_path);
    let from = c.get(0).map_or(0, |m| m.start());
    r.message = Some(text[from..].trim().to_string());
    Some(r)
}

/// A botocore `ClientError` / `EventStreamError` string anywhere in the text.
pub(crate) fn boto_record(text: &str) -> Option<Result<Record, ()>> {
    let c = BOTO.captures(text)?;
    let op = c.name("op").map_or("", |m| m.as_str());
    if !BEDROCK_RUNTIME_OPERATIONS.contains(&op) {
        return Some(Err(()));
    }
    let model = BEDROCK_MODEL.find(text).map(|m| m.as_str().to_string());
    if model.is_none() && OTHER_BEDROCK_MODEL.is_match(text) {
        return Some(Err(()));
    }
    let mut r = bedrock_record(Evidence::Summary);
    apply_bedrock_code(&mut r, &c["code"]);
    r.message = c
        .name("msg")
        .map(|m| m.as_str().trim().to_string())
        .filter(|m| !m.is_empty());
    r.attempt = c
        .name("retries")
        .and_then(|m| m.as_str().parse::<u32>().ok())
        .and_then(|n| n.checked_add(1));
    r.endpoint = model.as_deref().and_then(|m| bedrock_path(op, m));
    r.model = model;
    Some(Ok(r))
}

/// A `google.api_core.exceptions.X: 429 ...` string; `claude` says whether the record
/// around it names Claude.
pub(crate) fn google_record(text: &str, claude: bool) -> Option<Result<Record, ()>> {
    let c = GOOGLE.captures(text)?;
    if !(claude || mentions_claude(text)) {
        return Some(Err(()));
    }
    let class = &c["class"];
    let mut msg = c.name("msg").map_or("", |m| m.as_str()).trim();
    let mut code: Option<u16> = c.name("code").and_then(|m| m.as_str().parse().ok());
    if class == "RetryError" {
        // `Timeout of 600.0s exceeded, last exception: 429 Quota exceeded ...`
        if let Some(i) = msg.find("last exception: ") {
            let inner = &msg[i + "last exception: ".len()..];
            code = inner.get(..3).and_then(|d| d.parse().ok());
            msg = inner.get(4..).unwrap_or(inner).trim();
        }
    }
    let (status, error_type) = match class {
        "ResourceExhausted" | "TooManyRequests" => (Some(429), Some("rate_limit_error")),
        "NotFound" => (Some(404), Some("not_found_error")),
        "PermissionDenied" | "Forbidden" => (Some(403), Some("permission_error")),
        "Unauthenticated" | "Unauthorized" => (Some(401), Some("authentication_error")),
        "InvalidArgument" | "BadRequest" | "FailedPrecondition" | "OutOfRange" => {
            (Some(400), Some("invalid_request_error"))
        }
        "ServiceUnavailable" => (Some(503), Some("overloaded_error")),
        "DeadlineExceeded" | "GatewayTimeout" => (Some(504), Some("timeout_error")),
        "InternalServerError" | "Unknown" | "BadGateway" | "DataLoss" => {
            (Some(500), Some("api_error"))
        }
        "Aborted" | "Conflict" | "AlreadyExists" => (Some(409), Some("conflict_error")),
        "Cancelled" => (Some(499), Some("client_closed")),
        _ => (None, None),
    };
    let mut r = Record::new(SourceKind::Vertex, Outcome::Failure);
    r.provider = Some("vertex".into());
    r.evidence = Evidence::Summary;
    r.provider_code = Some(class.to_string());
    r.http_status = code.or(status).filter(|s| *s != 499);
    r.error_type = error_type.map(str::to_string);
    if r.http_status.is_none() && r.error_type.is_none() {
        return Some(Err(()));
    }
    r.message = Some(msg.to_string()).filter(|m| !m.is_empty());
    r.model = model_in_text(msg);
    Some(Ok(r))
}

/// A botocore or google.api_core exception line (alone or ending a Python traceback).
pub(crate) fn cloud_exception_record(text: &str, claude: bool) -> Option<Record> {
    boto_record(text)
        .or_else(|| google_record(text, claude))
        .and_then(Result::ok)
        .or_else(|| boto_transport(text))
}

/// A non-empty string at a JSON pointer.
pub(crate) fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}
