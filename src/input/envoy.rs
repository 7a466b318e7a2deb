//! Envoy access logs in the default format: status, response flags, duration.

use std::sync::LazyLock;

use regex::Regex;

use super::api::{endpoint_of, model_of_path, provider_of_url};
use super::{Claim, LineParser, Sink};
use crate::record::{Outcome, Record, SourceKind};
use crate::time;

static DEFAULT_FORMAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"^\[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) (?P<proto>[^"]*)" "#,
        r#"(?P<status>\d{1,3}) (?P<flags>[A-Za-z,\-]+) (?:\d+|-) (?:\d+|-) (?P<duration>\d+|-)"#,
        r#"(?: (?P<upstream_time>\d+|-))?(?P<rest>.*)$"#
    ))
    .expect("static regex")
});

/// What each response flag means, for the message.
fn describe(flag: &str) -> &'static str {
    match flag {
        "UH" => "no healthy upstream",
        "UF" => "upstream connection failure",
        "UO" => "upstream overflow (circuit breaker)",
        "NR" => "no route configured",
        "URX" => "upstream retry limit exceeded",
        "NC" => "upstream cluster not found",
        "DT" => "request exceeded max duration",
        "LH" => "local health check failed",
        "UT" => "upstream request timeout",
        "LR" => "connection local reset",
        "UR" => "upstream remote reset",
        "UC" => "upstream connection termination",
        "DC" => "downstream connection termination",
        "DI" => "fault-injected delay",
        "FI" => "fault-injected abort",
        "RL" => "local rate limit",
        "UAEX" => "external authorization denied",
        "RLSE" => "rate limit service error",
        "IH" => "invalid header",
        "SI" => "stream idle timeout",
        "DPE" => "downstream protocol error",
        "UPE" => "upstream protocol error",
        "UMSDR" => "max stream duration reached",
        "OM" => "overload manager",
        "DF" => "DNS resolution failure",
        _ => "response flag",
    }
}

pub(crate) struct EnvoyParser;

impl LineParser for EnvoyParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let b = line.as_bytes();
        if b.len() < 30 || b[0] != b'[' || !b[1].is_ascii_digit() || b[5] != b'-' {
            return Claim::NotMine;
        }
        let Some(c) = DEFAULT_FORMAT.captures(line) else {
            return Claim::NotMine;
        };
        let Some(endpoint) = endpoint_of(&c["path"], &sink.opts.api_paths) else {
            return Claim::Noise;
        };
        let Ok(code) = c["status"].parse::<u16>() else {
            return Claim::Bad("envoy: response code is not a number");
        };
        let flags: Vec<&str> = c["flags"]
            .split(',')
            .filter(|f| !f.is_empty() && *f != "-")
            .collect();
        let stream_broke = flags
            .iter()
            .any(|f| matches!(*f, "UC" | "UR" | "LR" | "SI" | "UPE" | "UMSDR" | "DT"));
        let client_left = flags.contains(&"DC");
        let failed = code == 0 || code >= 400 || stream_broke || client_left;
        let mut r = Record::new(
            SourceKind::Envoy,
            if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
        );
        r.line = Some(lineno);
        r.stamp = time::iso(&c["time"]);
        r.http_status = (code != 0).then_some(code);
        r.latency_ms = c["duration"].parse().ok();
        r.model = model_of_path(&endpoint);
        if flags.is_empty() {
            r.provider = Some(provider_of_url(&endpoint).to_string());
        } else {
            let joined = flags.join(",");
            let described: Vec<&str> = flags.iter().map(|f| describe(f)).collect();
            r.message = Some(format!(
                "envoy response flags {joined}: {}",
                described.join("; ")
            ));
            r.provider_code = Some(joined);
            r.provider = Some("envoy".into());
        }
        if failed && (code == 0 || (200..300).contains(&code)) {
            r.error_type = Some(
                if client_left && !stream_broke {
                    "client_closed"
                } else if code == 0 && flags.iter().any(|f| matches!(*f, "UT" | "SI" | "DT")) {
                    "client_timeout"
                } else if code == 0 {
                    "connection_error"
                } else {
                    "stream_error"
                }
                .into(),
            );
        }
        r.endpoint = Some(endpoint);
        sink.push(r);
        Claim::Relevant
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn upstream_failure_line() {
        let s = parse_text(
            r#"[2025-10-02T16:31:12.408Z] "POST /v1/messages HTTP/1.1" 503 UF 2311 91 30012 - "-" "Anthropic/JS 0.65.0" "5b1f0c2e-7d44-4e0a-9a1b-0c2d3e4f5a6b" "api.anthropic.com" "203.0.113.9:443""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(503));
        assert_eq!(f.provider_code.as_deref(), Some("UF"));
        assert_eq!(f.provider.as_deref(), Some("envoy"));
        assert_eq!(f.latency_ms, Some(30012));
        assert!(f
            .message
            .as_deref()
            .unwrap()
            .starts_with("envoy response flags UF: "));
    }

    #[test]
    fn no_response_is_null_status_not_zero() {
        let s = parse_text(
            r#"[2025-10-02T16:31:12.408Z] "POST /v1/messages HTTP/1.1" 0 DC 2311 0 812 - "-" "x" "id" "api.anthropic.com" "-""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.http_status, None);
        assert_eq!(f.effective_status(), None);
        assert_eq!(f.error_type.as_deref(), Some("client_closed"));
    }

    #[test]
    fn success_and_other_paths() {
        let s = parse_text(
            "[2025-10-02T16:31:12.408Z] \"POST /v1/messages HTTP/1.1\" 200 - 2311 812 1200 1187 \"-\" \"x\" \"id\" \"h\" \"u\"\n[2025-10-02T16:31:13.000Z] \"GET /ready HTTP/1.1\" 200 - 0 2 0 - \"-\" \"kube\" \"id\" \"h\" \"u\"\n",
            &ScanOptions::default(),
        );
        assert!(s.failures.is_empty());
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.relevant, 1);
        assert_eq!(s.lines.noise, 1);
    }
}
