//! Error text anywhere in a line, whatever printed it: a status phrase a client prints
//! (`API Error: 529`, `Error code: 429`, `status code 404`, `HTTP 500`, `"statusCode": 429`,
//! `StatusCode:404`, `[429]`), an error type in any encoding (JSON, escaped JSON, Python and Go
//! reprs, `type=...`), a cloud's exception or status word (`ThrottlingException`,
//! `RESOURCE_EXHAUSTED`), an SDK's exception class (`RateLimitError`), or a message the catalog
//! knows (`prompt is too long`, `Overloaded`, `credit balance is too low`...).
//!
//! What a line says is read here; whether it is about a Claude call is the caller's question
//! (see [`super::context`]).

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use crate::input::toolkit::api::{google_status_code, google_status_error_type};
use crate::input::toolkit::cloud_text::bedrock_code;
use crate::input::toolkit::words::AnyOf;
use crate::record::{error_type_for_status, status_for_error_type};

/// What an error line says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Said {
    pub status: Option<u16>,
    /// The status is written on the line (a status phrase), not implied by a type or code.
    pub stated: bool,
    pub error_type: Option<&'static str>,
    /// A cloud's or SDK's own code (`ThrottlingException`, `RESOURCE_EXHAUSTED`).
    pub code: Option<String>,
    pub message: Option<String>,
    pub model: Option<String>,
    pub request_id: Option<String>,
    /// The line names no status, type or code: only a message the catalog knows.
    pub phrase_only: bool,
    /// The line tells only a transport failure (`unexpected EOF`, `ECONNRESET`): a failure
    /// only where the line itself is about a Claude call.
    pub transport_only: bool,
}

/// Words without which a line holds no error text (one case-blind pass).
/// Spelled as logs write them (matched case-sensitively, so that the search is a vectorized
/// one: this runs on every line no parser claimed).
const TRIGGERS: [&str; 44] = [
    "error",
    "Error",
    "ERROR",
    "ERR",
    "exception",
    "Exception",
    "fail",
    "Fail",
    "FAIL",
    "verloaded",
    "xceeded",
    "EXCEEDED",
    "oo many",
    "oo long",
    "oo low",
    "hrottl",
    "enied",
    "DENIED",
    "nvalid",
    "INVALID",
    "navailable",
    "UNAVAILABLE",
    "imed out",
    "imeout",
    "efused",
    "uota",
    "udget",
    "tatus",
    "STATUS",
    "HTTP 4",
    "HTTP 5",
    "http 4",
    "http 5",
    "eset",
    "o such host",
    "pstream",
    "EOF",
    "eof",
    "roken pipe",
    "isabled",
    "RESOURCE_",
    "UNAUTHENTICATED",
    "❌",
    "xpired",
];

static TRIGGER: LazyLock<AnyOf> = LazyLock::new(|| AnyOf::new(&TRIGGERS));

/// Status phrases: the status is the first group that matched.
static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:",
        r"API Error:? \(?[^|)\n]{0,80}\|\s*(\d{3})\b",
        r"|API Error:?\s+(\d{3})\b",
        r"|Error code:\s*(\d{3})\b",
        r"|status(?:[ _-]?code)?\b['\x22\\]*\s*(?:[:=]|is|of)?\s*['\x22\\]*(\d{3})\b",
        r"|\bHTTP(?:/[\d.]+)?(?: status(?: code)?:?)?\s+(\d{3})\b",
        r"|\b(\d{3}) <unknown status code>",
        r"|\berror\s+(\d{3})\b",
        r"|\[(\d{3})\]:?\s",
        r"|returned (?:an? )?(?:error )?(?:status )?(\d{3})\b",
        r"|\x22code\x22\s*:\s*(\d{3})\b",
        r"|'code'\s*:\s*(\d{3})\b",
        r"|^\s*(\d{3})\s+(?:[A-Z][a-z]+|\{)",
        // A quoted value that is an SDK's error message: `"err":"404 {\"error\":...`.
        r"|[\x22'](\d{3}) \\?\{",
        // Python HTTP clients: httpx `Server error '529 ' for url`, requests `429 Client Error:`,
        // aiohttp `ClientResponseError: 429, message=`.
        r"|(?:server|client) error '(\d{3})\b",
        r"|\b(\d{3}) (?:client|server) error:",
        r"|ClientResponseError:?\s*\(?(\d{3}),",
        r")"
    ))
    .expect("static regex")
});

/// A relay's own words for an upstream answer, which call it a failure by themselves:
/// `upstream 429 (retry 1/3)`, `upstream error: 529: {...}`, `rate-limited (429)`,
/// `Error at <url>: 429 - {` (a body on the next lines), `failed for account x: 503 Service
/// Unavailable`.
static RELAY_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:",
        r"\bupstream(?: error| status)?:?\s+(\d{3})\b",
        r"|\b(?:rate[- ]limited|unavailable|failed|error)\s+\((\d{3})\)",
        r"|:\s+(\d{3})\s+-\s+\{",
        r"|:\s+(429|5\d\d) (?:Too Many Requests|Service Unavailable|Bad Gateway|Gateway Timeout|Internal Server Error)\b",
        r")"
    ))
    .expect("static regex")
});

/// The Anthropic API's error types, in any encoding.
static API_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(invalid_request_error|authentication_error|permission_error|not_found_error|request_too_large|rate_limit_error|api_error|overloaded_error|billing_error|timeout_error)\b")
        .expect("static regex")
});

/// Cloud and SDK codes: Bedrock exceptions, Google status words, SDK exception classes.
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(ThrottlingException|ValidationException|AccessDeniedException|ServiceUnavailableException",
        r"|ModelTimeoutException|ResourceNotFoundException|ServiceQuotaExceededException",
        r"|ModelNotReadyException|ModelErrorException|InternalServerException",
        r"|RESOURCE_EXHAUSTED|PERMISSION_DENIED|FAILED_PRECONDITION|INVALID_ARGUMENT|DEADLINE_EXCEEDED|UNAUTHENTICATED",
        r"|RateLimitError|OverloadedError|AuthenticationError|PermissionDeniedError|NotFoundError",
        r"|BadRequestError|InternalServerError|ServiceUnavailableError|APIConnectionError",
        r"|APITimeoutError|ContextWindowExceededError|ResourceExhausted(?:Exception)?|TooManyRequests)\b"
    ))
    .expect("static regex")
});

/// The message of an error envelope in any encoding: `"message": "..."`, `'message': '...'`,
/// `\"message\":\"...\"`, `message=...`, Go's `Message:...`.
static MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:\\?["']message\\?["']\s*:\s*\\?["']|\bmessage=\\?"?|\bMessage:\s?)([^"'\\}\n]{1,300})"#)
        .expect("static regex")
});

static MODEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:(?:us|eu|apac|global)\.)?(?:anthropic\.)?claude-[a-z0-9][a-z0-9.@:-]*[a-z0-9]")
        .expect("static regex")
});

static REQUEST_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\breq_[A-Za-z0-9]{8,}").expect("static regex"));

/// Messages the catalog knows, which tell the status and type when the line names neither.
/// The first [`VERBATIM`] are verbatim API or cloud messages, specific enough to tell an error
/// by themselves; the others need a second sign.
const VERBATIM: usize = 11;
#[rustfmt::skip]
const PHRASES: [(&str, u16, &str); 20] = [
    ("overloaded_error", 529, "overloaded_error"),
    ("invalid x-api-key", 401, "authentication_error"),
    ("x-api-key header is required", 401, "authentication_error"),
    ("with on-demand throughput isn", 400, "invalid_request_error"),
    ("too many requests, please wait before trying again", 429, "rate_limit_error"),
    ("too many tokens, please wait before trying again", 429, "rate_limit_error"),
    ("would exceed your organization", 429, "rate_limit_error"),
    ("quota exceeded for aiplatform.googleapis.com", 429, "rate_limit_error"),
    ("don't have access to the model with the specified model id", 403, "permission_error"),
    ("provided model identifier is invalid", 400, "invalid_request_error"),
    ("budget has been exceeded", 400, "invalid_request_error"),
    ("prompt is too long", 400, "invalid_request_error"),
    ("credit balance is too low", 400, "invalid_request_error"),
    ("exceed the rate limit for your organization", 429, "rate_limit_error"),
    ("exceed context limit", 400, "invalid_request_error"),
    ("context window", 400, "invalid_request_error"),
    ("no deployments available for selected model", 429, "gateway_error"),
    ("request too large", 413, "request_too_large"),
    ("could not load the default credentials", 0, "sdk_error"),
    (": overloaded", 529, "overloaded_error"),
];

/// Literals one of which every match of [`CODE`] holds.
static CODE_HINT: LazyLock<AnyOf> = LazyLock::new(|| {
    AnyOf::new(&[
        "Exception",
        "Error",
        "RESOURCE_EXHAUSTED",
        "PERMISSION_DENIED",
        "FAILED_PRECONDITION",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "UNAUTHENTICATED",
        "TooManyRequests",
        "ResourceExhausted",
    ])
});

/// [`PHRASES`] in one case-blind pass; the earliest-listed phrase that occurs wins.
static PHRASE_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(PHRASES.iter().map(|(p, _, _)| p))
        .expect("static automaton")
});

/// Whether the line holds a number that may be a failed status: three digits 4xx, 5xx or 200,
/// not inside a longer number.
pub(crate) fn has_status_number(line: &str) -> bool {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(at) = memchr::memchr3(b'2', b'4', b'5', &b[i..]) {
        let k = i + at;
        // Not part of a longer number, a fraction (`,233`, `0.245`), a date or an id.
        let before_ok = k == 0
            || !(b[k - 1].is_ascii_alphanumeric() || matches!(b[k - 1], b',' | b'.' | b'-' | b'_'));
        let after_ok = match b.get(k + 3) {
            None => true,
            // `429, message=...` (aiohttp), not `429,000`.
            Some(b',') => b.get(k + 4).is_none_or(|c| *c == b' '),
            Some(c) => !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'/')),
        };
        if before_ok
            && b.get(k + 1).is_some_and(u8::is_ascii_digit)
            && b.get(k + 2).is_some_and(u8::is_ascii_digit)
            && after_ok
        {
            return true;
        }
        i = k + 1;
    }
    false
}

/// An SDK exception class or a cloud code: status and type.
fn code_meaning(code: &str) -> Option<(Option<u16>, &'static str)> {
    if let Some(m) = bedrock_code(code) {
        return Some(m);
    }
    if let Some(t) = google_status_error_type(code) {
        return Some((google_status_code(code), t));
    }
    Some(match code {
        "RateLimitError"
        | "TooManyRequests"
        | "ResourceExhausted"
        | "ResourceExhaustedException" => (Some(429), "rate_limit_error"),
        "OverloadedError" => (Some(529), "overloaded_error"),
        "AuthenticationError" => (Some(401), "authentication_error"),
        "PermissionDeniedError" => (Some(403), "permission_error"),
        "NotFoundError" => (Some(404), "not_found_error"),
        "BadRequestError" | "ContextWindowExceededError" => (Some(400), "invalid_request_error"),
        "InternalServerError" => (Some(500), "api_error"),
        "ServiceUnavailableError" => (Some(503), "api_error"),
        "APIConnectionError" => (None, "connection_error"),
        "APITimeoutError" => (None, "client_timeout"),
        _ => return None,
    })
}

fn first_group(c: &regex::Captures) -> Option<u16> {
    c.iter()
        .skip(1)
        .flatten()
        .next()
        .and_then(|m| m.as_str().parse().ok())
}

/// Whether the line could hold error text at all (cheap).
pub(crate) fn may_hold_error(line: &str) -> bool {
    TRIGGER.is_match(line)
}

/// What error `line` tells, if any.
#[cfg(test)]
pub(crate) fn read(line: &str) -> Option<Said> {
    if !may_hold_error(line) {
        return None;
    }
    read_triggered(line)
}

/// [`read`] for a line [`may_hold_error`] already passed.
pub(crate) fn read_triggered(line: &str) -> Option<Said> {
    if line.len() > 64 * 1024 {
        return None;
    }
    let mut s = Said::default();
    // Each regex runs only when its cheap precondition holds (most lines hold none).
    let status = if has_status_number(line) {
        STATUS
            .captures_iter(line)
            .filter_map(|c| first_group(&c))
            .find(|n| (400..600).contains(n) || *n == 200)
    } else {
        None
    };
    let relay = if has_status_number(line) {
        RELAY_STATUS
            .captures(line)
            .and_then(|c| first_group(&c))
            .filter(|n| (400..600).contains(n))
    } else {
        None
    };
    let status = status.or(relay);
    static ERROR_SUFFIX: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new("_error"));
    static TOO_LARGE: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new("request_too_large"));
    let api_type = if ERROR_SUFFIX.find(line.as_bytes()).is_some()
        || TOO_LARGE.find(line.as_bytes()).is_some()
    {
        API_TYPE
            .captures(line)
            .and_then(|c| c.get(1))
            // A count keyed by the type (`"api_error": 20149,` in a stats dump) is no error.
            .filter(|m| !counted_key(&line[m.end()..]))
            .map(|m| m.as_str())
    } else {
        None
    };
    let code = if CODE_HINT.is_match(line) {
        CODE.captures(line)
            .map(|c| c.get(1).map_or("", |m| m.as_str()))
    } else {
        None
    };
    let phrase = PHRASE_FINDER.find(line).map(|m| m.pattern().as_usize());
    if status.is_none() && api_type.is_none() && code.is_none() && phrase.is_none() {
        return transport_only(line);
    }
    // Prose, lists, quotes and questions (a README, a user's prompt) tell no error, and
    // neither does one count of a stats dump (`"overloaded_error": 53269,`).
    let t = line.trim();
    if one_count(t)
        || t.starts_with("> ")
        || t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with('#')
        || t.ends_with('?')
    {
        return None;
    }
    // One strong sign (an API error type, a cloud code, an exception class with its message,
    // a verbatim API message, a request id), or two of the weaker ones (a status phrase, a
    // known message, the line's own error word).
    let strong = api_type.is_some()
        || code.is_some_and(|c| has_headline(line, c) || !c.ends_with("Error"))
        || phrase.is_some_and(|i| i < VERBATIM)
        || REQUEST_ID.is_match(line);
    // urllib3's retry notice says the attempt failed (`after connection broken by ...`).
    let weak = usize::from(line.contains("connection broken by"))
        + usize::from(status.is_some())
        + usize::from(relay.is_some())
        + usize::from(phrase.is_some())
        + usize::from(error_word(line));
    if !strong && weak < 2 {
        return None;
    }
    let phrase = phrase.map(|i| &PHRASES[i]);
    if status == Some(200) && api_type.is_none() {
        return None;
    }
    let coded = code.and_then(code_meaning);
    // An error event of a stream that had started (`"details": null` is only in those): the
    // wire said 200, the type tells the rest.
    s.stated = status.is_some();
    let status = status.or_else(|| (api_type.is_some() && stream_error_event(line)).then_some(200));
    s.status = status
        .or_else(|| api_type.and_then(status_for_error_type))
        .or_else(|| coded.and_then(|(st, _)| st))
        .or_else(|| phrase.map(|(_, st, _)| *st).filter(|st| *st > 0));
    s.error_type = match api_type {
        Some(t) => API_TYPE_NAMES.iter().copied().find(|n| *n == t),
        None => None,
    }
    .or_else(|| coded.map(|(_, t)| t))
    .or_else(|| phrase.map(|(_, _, t)| *t))
    .or_else(|| s.status.map(error_type_for_status));
    s.code = code.map(str::to_string);
    s.phrase_only = status.is_none() && api_type.is_none() && code.is_none();
    s.message = MESSAGE
        .captures(line)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim().to_string())
        .filter(|m| !m.is_empty() && m != "null" && m != "None")
        .or_else(|| Some(tail_message(line)));
    s.model = MODEL.find(line).map(|m| m.as_str().to_string());
    s.request_id = REQUEST_ID.find(line).map(|m| m.as_str().to_string());
    Some(s)
}

/// A line that is one key and a number: `"api_error": 20149,`, `429: 3`, `timeouts=12`.
fn one_count(t: &str) -> bool {
    let t = t.trim_end_matches(',');
    let Some((key, value)) = t.split_once([':', '=']) else {
        return false;
    };
    let key = key.trim().trim_matches(['"', '\'']);
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && !value.trim().is_empty()
        && value
            .trim()
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
}

/// What follows a word that makes it a key whose value is a number (`": 20149`, `=3`).
fn counted_key(after: &str) -> bool {
    let t = after.trim_start_matches(['"', '\'']);
    let Some(t) = t.strip_prefix(':').or_else(|| t.strip_prefix('=')) else {
        return false;
    };
    t.trim_start().starts_with(|c: char| c.is_ascii_digit())
}

const API_TYPE_NAMES: [&str; 10] = [
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
    "billing_error",
    "timeout_error",
];

/// A line that calls itself an error and names only a transport failure (`stream error ...
/// after 512 events: unexpected EOF`, `request failed: read ECONNRESET`).
fn transport_only(line: &str) -> Option<Said> {
    let kind = crate::input::toolkit::sdk_text::transport_kind(line)?;
    let t = line.trim();
    let prose =
        t.starts_with("> ") || t.starts_with("- ") || t.starts_with("* ") || t.ends_with('?');
    let calls_itself_failed = error_word(line)
        || line.contains(" error")
        || line.contains("aborted")
        || line.contains("failed")
        // urllib3's retry notice: `Retrying (Retry(total=2, ...)) after connection broken by
        // 'ReadTimeoutError(...)'`.
        || line.contains("connection broken by");
    if prose || !calls_itself_failed {
        return None;
    }
    // `after 512 events`, `mid-stream`: the stream had begun, the wire said 200.
    let streamed = STREAMED.is_match(line);
    Some(Said {
        status: streamed.then_some(200),
        error_type: Some(if streamed { "stream_error" } else { kind }),
        message: Some(tail_message(line)),
        model: MODEL.find(line).map(|m| m.as_str().to_string()),
        request_id: REQUEST_ID.find(line).map(|m| m.as_str().to_string()),
        transport_only: true,
        ..Said::default()
    })
}

static STREAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bafter \d+ (?:events|chunks|tokens)\b|\bmid-?stream\b").expect("static regex")
});

/// The envelope of a stream's `error` event: its error object has a `details` field, null
/// (`{"type": "error", "error": {"details": null, "type": "overloaded_error", ...}}`), which
/// the API's error responses do not have.
fn stream_error_event(line: &str) -> bool {
    static DETAILS: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new("details"));
    DETAILS.find_iter(line.as_bytes()).any(|at| {
        let rest = line[at + "details".len()..].trim_start_matches(['"', '\\', '\'']);
        let rest = rest.strip_prefix(':').map(str::trim_start);
        rest.is_some_and(|r| r.starts_with("null") || r.starts_with("None"))
    })
}

/// `RateLimitError:` / `RateLimitError [..]:`: the class heads a message.
fn has_headline(line: &str, class: &str) -> bool {
    line.match_indices(class).any(|(at, _)| {
        let rest = &line[at + class.len()..];
        rest.starts_with(':') || rest.starts_with(" [") || rest.starts_with(" -")
    })
}

/// The line calls itself an error: a level word, an exception's headline, `failed`, a cross.
fn error_word(line: &str) -> bool {
    static WORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:ERROR|ERR|FATAL|CRITICAL|error:|Error:|failed|Failed|FAILED)|❌|\w(?:Error|Exception)(?::| \[)")
            .expect("static regex")
    });
    // `API Error:` is the status phrase itself, not a second sign.
    WORD.find_iter(line)
        .any(|m| !line[..m.start()].ends_with("API "))
}

/// The line's words after its prefix, for the catalog: at most 300 bytes.
fn tail_message(line: &str) -> String {
    let t = line.trim();
    let mut end = t.len().min(300);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    t[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_phrases_clients_print() {
        let st = |l: &str| read(l).and_then(|s| s.status);
        assert_eq!(
            st("  ⎿  API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}"),
            Some(529)
        );
        assert_eq!(
            st("ERROR API Error (claude.example.com | 504: Gateway Timeout)"),
            Some(504)
        );
        assert_eq!(
            st("anthropic.RateLimitError: Error code: 429 - {}"),
            Some(429)
        );
        assert_eq!(st("ERROR: request failed with status code 404"), Some(404));
        assert_eq!(st("[ERROR] [429]: Error"), Some(429));
        assert_eq!(st("Error: 529 <unknown status code>"), Some(529));
        assert_eq!(
            st(
                r#"{"msg":"digest failed","err":"404 {\"error\":{\"type\":\"invalid_request_error\"}}"}"#
            ),
            Some(404)
        );
        assert_eq!(st("INFO request finished in 3.2s"), None);
    }

    #[test]
    fn transport_failures_alone() {
        let s = read("2025/12/03 18:03:44 stream error conv=n-104 model=claude-sonnet-4-5 after 512 events: unexpected EOF").unwrap();
        assert!(s.transport_only);
        assert_eq!((s.status, s.error_type), (Some(200), Some("stream_error")));
        assert_eq!(s.model.as_deref(), Some("claude-sonnet-4-5"));
        let s = read("ERROR summarize failed: read ECONNRESET").unwrap();
        assert_eq!((s.status, s.error_type), (None, Some("connection_error")));
        // Not calling itself an error, or prose.
        assert_eq!(
            read("WARNING redis timeout after 50ms, falling back to database"),
            None
        );
        assert_eq!(read("- fixed: stream error on unexpected EOF?"), None);
    }

    #[test]
    fn one_weak_sign_and_prose_are_not_errors() {
        assert_eq!(read("Error code: 500"), None);
        assert_eq!(read("If you see API Error: 529 just wait."), None);
        assert_eq!(
            read("> API Error: 529 {\"type\":\"overloaded_error\"}"),
            None
        );
        assert_eq!(read("why do I keep getting API Error: 529?"), None);
        assert_eq!(
            read("es lookup failed: NotFoundError('index [docs] not found')"),
            None
        );
    }

    #[test]
    fn types_codes_and_known_messages() {
        let s = read(
            "{'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}",
        )
        .unwrap();
        // A stream's error event: the wire said 200.
        let streamed = read("Anthropic completion error: {'type': 'error', 'error': {'details': None, 'type': 'overloaded_error', 'message': 'Overloaded'}}").unwrap();
        assert_eq!(streamed.status, Some(200));
        assert_eq!(streamed.error_type, Some("overloaded_error"));
        assert_eq!(
            (s.status, s.error_type),
            (Some(529), Some("overloaded_error"))
        );
        assert_eq!(s.message.as_deref(), Some("Overloaded"));
        let s = read("Error invoking the model: ThrottlingException(message: \"Too many tokens\")")
            .unwrap();
        assert_eq!(
            (s.status, s.error_type),
            (Some(429), Some("rate_limit_error"))
        );
        let s =
            read("AI_APICallError: input length and `max_tokens` exceed context limit: 1 + 2 > 3")
                .unwrap();
        assert_eq!(s.status, Some(400));
        assert!(s.phrase_only);
    }

    /// A stats dump keyed by error type tells no error.
    #[test]
    fn counts_keyed_by_type_are_no_error() {
        assert!(read("  \"api_error\": 20149,").is_none());
        assert!(read("overloaded_error=53").is_none());
        assert!(read("  \"type\": \"api_error\",").is_some());
    }

    /// Python HTTP clients' own error strings.
    #[test]
    fn python_http_clients() {
        let st = |l: &str| read(l).and_then(|s| s.status);
        assert_eq!(st("httpx.HTTPStatusError: Server error '529 ' for url 'https://api.anthropic.com/v1/messages'"), Some(529));
        assert_eq!(st("requests.exceptions.HTTPError: 500 Server Error: Internal Server Error for url: https://api.anthropic.com/v1/messages"), Some(500));
        assert_eq!(st("aiohttp.client_exceptions.ClientResponseError: 429, message='Too Many Requests', url=URL('https://api.anthropic.com/v1/messages')"), Some(429));
        let s = read("WARNING urllib3.connectionpool: Retrying (Retry(total=2, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='api.anthropic.com', port=443): Read timed out. (read timeout=60)\")': /v1/messages").unwrap();
        assert_eq!(s.status, None);
        assert_eq!(s.error_type, Some("client_timeout"));
    }
}
