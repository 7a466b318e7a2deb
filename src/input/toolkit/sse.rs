//! Server-sent event streams of the Messages API (`text/event-stream`), read event by event:
//! the model from `message_start`, the stop reason from `message_delta`, whether
//! `message_stop` arrived, and the first `error` event.

use serde_json::Value;

use crate::input::toolkit::api::{error_body, ErrorBody};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    pub events: usize,
    pub model: Option<String>,
    pub message_start: bool,
    pub message_stop: bool,
    pub stop_reason: Option<String>,
    pub error: Option<ErrorBody>,
}

/// Does this body look like an SSE stream?
pub fn looks_like_sse(body: &str) -> bool {
    let mut end = body.len().min(512);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let head = &body[..end];
    head.trim_start().starts_with("event:") || head.trim_start().starts_with("data:")
}

pub fn summarize(body: &str) -> StreamSummary {
    let mut out = StreamSummary::default();
    let mut name: Option<&str> = None;
    let mut data = String::new();
    for raw in body.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            dispatch(name.take(), &data, &mut out);
            data.clear();
            continue;
        }
        if line.starts_with(':') {
            continue; // comment / keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => name = Some(value),
            "data" => {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            _ => {}
        }
    }
    dispatch(name, &data, &mut out);
    out
}

fn dispatch(name: Option<&str>, data: &str, out: &mut StreamSummary) {
    if name.is_none() && data.is_empty() {
        return;
    }
    out.events += 1;
    let value: Option<Value> = serde_json::from_str(data).ok();
    let kind = name
        .map(str::to_string)
        .or_else(|| {
            value
                .as_ref()
                .and_then(|v| v.get("type"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    match kind.as_str() {
        "message_start" => {
            out.message_start = true;
            if let Some(m) = value
                .as_ref()
                .and_then(|v| v.pointer("/message/model"))
                .and_then(Value::as_str)
            {
                out.model = Some(m.to_string());
            }
        }
        "message_delta" => {
            if let Some(r) = value
                .as_ref()
                .and_then(|v| v.pointer("/delta/stop_reason"))
                .and_then(Value::as_str)
            {
                out.stop_reason = Some(r.to_string());
            }
        }
        "message_stop" => out.message_stop = true,
        "error" if out.error.is_none() => {
            out.error = Some(match &value {
                Some(v) => error_body(v),
                None => ErrorBody {
                    message: Some(data.trim().to_string()).filter(|m| !m.is_empty()),
                    ..ErrorBody::default()
                },
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_event_after_start() {
        let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5-20250929\"}}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let s = summarize(body);
        assert_eq!(s.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert!(!s.message_stop);
        let e = s.error.unwrap();
        assert_eq!(e.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(e.message.as_deref(), Some("Overloaded"));
    }

    #[test]
    fn regression_sniffing_a_body_never_cuts_inside_a_character() {
        let body = format!("{}é and more", "a".repeat(511));
        assert!(!looks_like_sse(&body));
        assert!(looks_like_sse("event: ping\ndata: {}\n\n"));
    }

    #[test]
    fn complete_stream_with_crlf() {
        let body = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\r\n\r\nevent: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}\r\n\r\nevent: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n";
        let s = summarize(body);
        assert!(s.message_start && s.message_stop);
        assert_eq!(s.stop_reason.as_deref(), Some("end_turn"));
        assert!(s.error.is_none());
        assert_eq!(s.events, 3);
    }
}
