//! Cloudflare AI Gateway logs: the dashboard's export (a JSON array) and the Logs API's
//! response (`{"result": [...], "success": true}`), one object per request.

use serde_json::Value;

use crate::input::sink::{Claim, Position, Sink};
use crate::input::toolkit::api::{endpoint_of, error_body, error_body_text};
use crate::record::{Outcome, Record, SourceKind};
use crate::time;

/// An object of a Cloudflare AI Gateway log: it counts tokens and durations of its own.
pub(crate) fn is_cloudflare_object(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("tokens_in")
        || map.contains_key("tokens_out")
        || (map.contains_key("cached")
            && map.contains_key("duration")
            && map.contains_key("status_code"))
}

fn str_field<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty() && *s != "-")
}

fn num_field(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// One request of a Cloudflare AI Gateway log: a call when its provider or model is Claude's.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let provider = str_field(v, &["provider"]).unwrap_or("");
    let model = str_field(v, &["model"]);
    let is_claude = provider.contains("anthropic") || model.is_some_and(|m| m.contains("claude"));
    if !is_claude {
        return Claim::Noise;
    }
    let path = str_field(v, &["path"]).unwrap_or("v1/messages");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let endpoint = endpoint_of(&path, &sink.opts.api_paths).unwrap_or(path);
    let status = num_field(v, &["status_code", "status"])
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1000.0)
        .map(|s| s as u16);
    let success = v.get("success").and_then(Value::as_bool);
    let failed = success == Some(false) || status.is_some_and(|s| s >= 400 || s == 0);
    let mut r = Record::new(SourceKind::CloudflareAig, Outcome::of(failed));
    at.place(&mut r);
    r.stamp = str_field(v, &["created_at", "timestamp"]).and_then(time::iso);
    r.http_status = status.filter(|s| *s != 0);
    r.latency_ms = num_field(v, &["duration"])
        .filter(|d| *d >= 0.0)
        .map(|d| d.round() as u64);
    r.model = model.map(str::to_string);
    r.endpoint = Some(endpoint);
    r.provider = Some("cloudflare".into());
    if failed {
        // Bodies are present only when payload logging is on; they may be strings or objects.
        let body = ["response", "response_body", "error"]
            .iter()
            .find_map(|k| v.get(*k))
            .map(|b| match b {
                Value::String(s) => error_body_text(s),
                other => error_body(other),
            })
            .unwrap_or_default();
        if body.error_type.is_some() {
            r.provider = Some("anthropic".into());
        }
        r.error_type = body.error_type;
        r.message = body.message;
        r.request_id = body.request_id;
        if r.http_status.is_none() {
            r.error_type
                .get_or_insert_with(|| "connection_error".into());
        }
    }
    sink.push(r);
    Claim::Relevant
}

#[cfg(test)]
mod tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn regression_cloudflare_status_out_of_range_is_not_a_failure() {
        let text = r#"[{"id":"1","created_at":"2025-10-02T16:50:00Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":-5,"success":true,"cached":false,"duration":1,"tokens_in":1,"tokens_out":1},{"id":"2","created_at":"2025-10-02T16:50:00Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":70000,"success":true,"cached":false,"duration":1,"tokens_in":1,"tokens_out":1}]"#;
        let s = parse_text(text, &ScanOptions::default());
        assert!(s.failures.is_empty(), "{:?}", s.failures);
    }

    #[test]
    fn cloudflare_export_array() {
        let text = r#"[
 {"id":"01J9ZQ","created_at":"2025-10-02T16:50:00.000Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":429,"success":false,"cached":false,"duration":231,"tokens_in":0,"tokens_out":0},
 {"id":"01J9ZR","created_at":"2025-10-02T16:50:01.000Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":200,"success":true,"cached":false,"duration":1800,"tokens_in":120,"tokens_out":40},
 {"id":"01J9ZS","created_at":"2025-10-02T16:50:02.000Z","provider":"openai","model":"gpt-4o","path":"chat/completions","status_code":500,"success":false,"cached":false,"duration":10,"tokens_in":0,"tokens_out":0}
]"#;
        let s = parse_text(text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].entry, Some(0));
        assert_eq!(s.failures[0].endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.read, 3);
    }
}
