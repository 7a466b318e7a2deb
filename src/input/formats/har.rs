//! HAR 1.2 entries (any browser): one entry is one attempt. Bodies come from
//! `response.content.text`, base64-decoded when `encoding` says so; SSE bodies are read event
//! by event; `status: 0` with `_error` is a call that got no response.

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::input::sink::Sink;
use crate::input::toolkit::api::{
    endpoint_of, error_body_text, is_kept_header, model_of_path, model_of_request, provider_of_url,
};
use crate::input::toolkit::sse;
use crate::record::{Outcome, Record, SourceKind};
use crate::time;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Entry {
    #[serde(rename = "startedDateTime")]
    started: Option<String>,
    time: Option<f64>,
    request: Request,
    response: Response,
    #[serde(rename = "_error")]
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Request {
    method: Option<String>,
    url: String,
    headers: Vec<Header>,
    #[serde(rename = "postData")]
    post_data: Option<PostData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PostData {
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Response {
    status: Option<i64>,
    headers: Vec<Header>,
    content: Content,
    #[serde(rename = "_error")]
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Content {
    #[serde(rename = "mimeType")]
    mime_type: Option<String>,
    text: Option<String>,
    encoding: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Header {
    name: String,
    value: String,
}

fn header<'h>(headers: &'h [Header], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The error type of a browser network error (`net::ERR_...`).
fn network_error_type(error: &str) -> &'static str {
    if error.contains("ABORTED") {
        "client_closed"
    } else if error.contains("TIMED_OUT") {
        "client_timeout"
    } else {
        "connection_error"
    }
}

/// Read one HAR entry. Returns whether it was a Claude API call.
pub(crate) fn entry(value: Value, index: u64, sink: &mut Sink) -> Result<bool, String> {
    let e: Entry = serde_json::from_value(value).map_err(|err| format!("entry {index}: {err}"))?;
    let Some(endpoint) = endpoint_of(&e.request.url, &sink.opts.api_paths) else {
        return Ok(false);
    };
    // A CORS preflight is the browser's, not an API call; the call after it may be blocked.
    if e.request
        .method
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("OPTIONS"))
    {
        if sink.har_preflights.len() >= 16 {
            sink.har_preflights.pop_front();
        }
        sink.har_preflights.push_back(e.request.url.clone());
        return Ok(false);
    }
    let status = e.response.status.unwrap_or(0);
    let net_error = e
        .response
        .error
        .as_deref()
        .or(e.error.as_deref())
        .filter(|s| !s.is_empty());
    let body = decode_body(&e.response.content);
    let mut r = Record::new(SourceKind::Har, Outcome::Success);
    r.entry = Some(index);
    r.stamp = e.started.as_deref().and_then(time::iso);
    r.latency_ms = e
        .time
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(|t| t.round() as u64);
    r.provider = Some(provider_of_url(&e.request.url).to_string());
    r.model = e
        .request
        .post_data
        .as_ref()
        .and_then(|p| p.text.as_deref())
        .and_then(model_of_request)
        .or_else(|| model_of_path(&endpoint));
    r.attempt = header(&e.request.headers, "x-stainless-retry-count")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .and_then(|n| n.checked_add(1));
    r.request_id = header(&e.response.headers, "request-id")
        .or_else(|| header(&e.response.headers, "x-amzn-requestid"))
        .map(str::to_string);
    r.headers = e
        .response
        .headers
        .iter()
        .filter(|h| is_kept_header(&h.name))
        .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
        .collect();

    if status <= 0 || status > 999 {
        // No response at all: the browser tells why in `_error`.
        r.outcome = Outcome::Failure;
        let why = net_error.unwrap_or("no response (status 0)");
        r.error_type = Some(network_error_type(why).into());
        r.message = Some(why.to_string());
        // After a preflight to the same URL, a call that got nothing and a generic network
        // failure (Chrome's `net::ERR_FAILED`, Firefox's no error at all) was blocked by the
        // browser's CORS check: the page called the API straight from the browser.
        let generic = net_error.is_none_or(|w| w == "net::ERR_FAILED");
        if generic && sink.har_preflights.iter().any(|u| *u == e.request.url) {
            r.message = Some(format!(
                "{why}: no response after a CORS preflight (blocked by CORS policy)"
            ));
        }
    } else {
        let status = status as u16;
        r.http_status = Some(status);
        let is_sse = e
            .response
            .content
            .mime_type
            .as_deref()
            .is_some_and(|m| m.contains("event-stream"))
            || body.as_deref().is_some_and(sse::looks_like_sse);
        if status >= 400 {
            r.outcome = Outcome::Failure;
            let b = body.as_deref().map(error_body_text).unwrap_or_default();
            fill_error(&mut r, b);
        } else if is_sse && body.as_deref().is_some_and(|b| !b.trim().is_empty()) {
            let s = sse::summarize(body.as_deref().unwrap_or(""));
            if r.model.is_none() {
                r.model = s.model.clone();
            }
            if let Some(err) = s.error {
                r.outcome = Outcome::Failure;
                fill_error(&mut r, err);
            } else if s.stop_reason.as_deref() == Some("refusal") {
                r.outcome = Outcome::Failure;
                r.error_type = Some("refusal".into());
                r.message = Some("stop_reason: refusal".into());
            } else if !s.message_stop {
                r.outcome = Outcome::Failure;
                r.error_type = Some("stream_error".into());
                r.message = Some(match net_error {
                    Some(err) => format!("stream ended without message_stop ({err})"),
                    None => "stream ended without message_stop".into(),
                });
            }
        } else if let Some(err) = net_error {
            // A 2xx whose body never finished arriving.
            r.outcome = Outcome::Failure;
            r.error_type = Some(
                if err.contains("ABORTED") {
                    "client_closed"
                } else {
                    "stream_error"
                }
                .into(),
            );
            r.message = Some(err.to_string());
        } else if let Some(b) = body.as_deref() {
            if b.contains("\"refusal\"") {
                if let Ok(v) = serde_json::from_str::<Value>(b) {
                    if v.get("stop_reason").and_then(Value::as_str) == Some("refusal") {
                        r.outcome = Outcome::Failure;
                        r.error_type = Some("refusal".into());
                        r.message = Some("stop_reason: refusal".into());
                    }
                }
            }
        }
    }
    r.endpoint = Some(endpoint);
    sink.push(r);
    Ok(true)
}

fn fill_error(r: &mut Record, b: crate::input::toolkit::api::ErrorBody) {
    r.error_type = b.error_type;
    r.message = b.message;
    r.provider_code = b.provider_code;
    if r.request_id.is_none() {
        r.request_id = b.request_id;
    }
}

fn decode_body(content: &Content) -> Option<String> {
    let text = content.text.as_deref()?;
    if content
        .encoding
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"))
    {
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned.as_bytes())
            .ok()?;
        return Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    use crate::input::{parse_text, ScanOptions};
    use crate::record::Outcome;

    fn har(entries: &str) -> String {
        format!(
            r#"{{"log":{{"version":"1.2","creator":{{"name":"WebInspector","version":"537.36"}},"pages":[],"entries":[{entries}]}}}}"#
        )
    }

    const STREAM_ERROR: &str = r#"{"startedDateTime":"2025-10-02T16:40:03.125Z","time":812.4,"request":{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[{"name":"x-stainless-retry-count","value":"1"}],"postData":{"mimeType":"application/json","text":"{\"model\":\"claude-haiku-4-5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"secret prompt\"}]}"}},"response":{"status":200,"statusText":"","headers":[{"name":"request-id","value":"req_011CVd4Kp9Wm2Tx6Rb8Nq3Jh"}],"content":{"size":300,"mimeType":"text/event-stream","text":"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-haiku-4-5-20251001\"}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"}},"timings":{"send":0,"wait":800,"receive":12}}"#;

    #[test]
    fn overloaded_inside_a_200_stream() {
        let s = parse_text(&har(STREAM_ERROR), &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(200));
        assert_eq!(f.effective_status(), Some(529));
        assert_eq!(f.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(f.model.as_deref(), Some("claude-haiku-4-5"));
        assert_eq!(f.attempt, Some(2));
        assert_eq!(f.entry, Some(0));
        assert_eq!(f.line, None);
        assert_eq!(f.latency_ms, Some(812));
    }

    #[test]
    fn base64_body_and_network_failure() {
        let body = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}"#,
        );
        let e1 = format!(
            r#"{{"startedDateTime":"2025-10-02T16:40:03.125Z","time":10,"request":{{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[]}},"response":{{"status":429,"headers":[],"content":{{"mimeType":"application/json","text":"{body}","encoding":"base64"}}}}}}"#
        );
        let e2 = r#"{"startedDateTime":"2025-10-02T16:40:04Z","time":3,"request":{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[]},"response":{"status":0,"statusText":"","headers":[],"content":{"size":0,"mimeType":"x-unknown"},"_error":"net::ERR_CONNECTION_RESET"}}"#;
        let e3 = r#"{"startedDateTime":"2025-10-02T16:40:05Z","time":3,"request":{"method":"GET","url":"https://example.com/app.js","headers":[]},"response":{"status":200,"headers":[],"content":{"size":0,"mimeType":"text/javascript"}}}"#;
        let s = parse_text(&har(&format!("{e1},{e2},{e3}")), &ScanOptions::default());
        assert_eq!(s.failures.len(), 2);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("rate_limit_error")
        );
        assert_eq!(s.failures[1].http_status, None);
        assert_eq!(
            s.failures[1].error_type.as_deref(),
            Some("connection_error")
        );
        assert_eq!(s.failures[1].entry, Some(1));
        assert_eq!(s.lines.read, 3);
        assert_eq!(s.lines.noise, 1);
    }

    /// A call that got no response after a CORS preflight to the same URL was blocked by the
    /// browser; without the preflight it is a plain network failure.
    #[test]
    fn no_response_after_a_preflight_is_cors() {
        let pre = r#"{"startedDateTime":"2026-12-07T10:00:01Z","time":120,"request":{"method":"OPTIONS","url":"https://api.anthropic.com/v1/messages","headers":[]},"response":{"status":200,"headers":[],"content":{}}}"#;
        let call = r#"{"startedDateTime":"2026-12-07T10:00:01.2Z","time":0,"request":{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[]},"response":{"status":0,"headers":[],"content":{},"_error":"net::ERR_FAILED"}}"#;
        let doc = |entries: &str| format!(r#"{{"log":{{"entries":[{entries}]}}}}"#);
        let s = parse_text(&doc(&format!("{pre},{call}")), &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert!(s.failures[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("blocked by CORS policy")));
        let s = parse_text(&doc(call), &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert!(!s.failures[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("CORS")));
    }

    #[test]
    fn regression_huge_retry_count_does_not_overflow() {
        let e = r#"{"startedDateTime":"2025-10-02T16:40:03Z","time":10,"request":{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[{"name":"x-stainless-retry-count","value":"4294967295"}]},"response":{"status":529,"headers":[],"content":{"mimeType":"application/json","text":"{}"}}}"#;
        let s = parse_text(&har(e), &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].attempt, None);
    }

    #[test]
    fn stream_without_message_stop_is_a_stream_error() {
        let e = r#"{"startedDateTime":"2025-10-02T16:40:03Z","time":10,"request":{"method":"POST","url":"https://api.anthropic.com/v1/messages","headers":[]},"response":{"status":200,"headers":[],"content":{"mimeType":"text/event-stream","text":"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\n\n"}}}"#;
        let s = parse_text(&har(e), &ScanOptions::default());
        assert_eq!(s.failures[0].error_type.as_deref(), Some("stream_error"));
        assert_eq!(s.failures[0].effective_status(), None);
        assert_eq!(s.failures[0].outcome, Outcome::Failure);
    }

    #[test]
    fn truncated_har_keeps_entries_before_the_cut() {
        let text = har(STREAM_ERROR);
        let cut = &text[..text.len() - 40];
        let full_entry_then_cut = format!("{},{cut}", &text[..text.len() - 3]);
        let s = parse_text(&full_entry_then_cut, &ScanOptions::default());
        assert!(!s.failures.is_empty());
        assert!(s.lines.unparseable >= 1, "{:?}", s.lines);
        assert!(!s.warnings.is_empty());
    }
}
