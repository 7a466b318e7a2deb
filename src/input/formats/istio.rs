//! Istio's default access log: Envoy's default text format with the response code details,
//! the connection termination details and the upstream transport failure reason after the
//! flags, then the request id, authority and upstream of the call:
//!
//! ```text
//! [START_TIME] "METHOD PATH PROTO" CODE FLAGS DETAILS TERMINATION "TRANSPORT_FAILURE"
//!     RX TX DURATION UPSTREAM_TIME "XFF" "UA" "X-REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST"
//!     UPSTREAM_CLUSTER ...
//! ```
//!
//! A line is a Claude call when its path is an API path, or when its authority or upstream
//! cluster is Anthropic's host (an egress to `api.anthropic.com`). The flags mean what they
//! mean in Envoy's own logs (same record, same source kind: the sidecar is Envoy); the details
//! (`local_rate_limited`, `upstream_reset_before_response_started{...}`, `response_timeout`)
//! and a transport failure reason go into the message, so a 429 the mesh made itself is told
//! apart from one the API sent (`via_upstream`).

use crate::input::sink::{Claim, LineParser, Sink};
use crate::input::toolkit::api::endpoint_of;
use crate::input::toolkit::envoy::envoy_record;
use crate::time;

/// The fields of an Istio line that the parser uses.
#[derive(Debug, PartialEq, Eq)]
struct IstioLine<'l> {
    time: &'l str,
    path: &'l str,
    status: &'l str,
    flags: &'l str,
    details: &'l str,
    transport_failure: &'l str,
    duration: &'l str,
    /// `:authority` and the upstream cluster, when the line goes on that far.
    authority: Option<&'l str>,
    cluster: Option<&'l str>,
}

/// One space-separated word and the rest.
fn word(s: &str) -> Option<(&str, &str)> {
    let (w, rest) = s.split_once(' ')?;
    (!w.is_empty()).then_some((w, rest))
}

/// A double-quoted field (Envoy writes `"-"` for none) and the rest after its space.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('"')?;
    let end = inner.find('"')?;
    let rest = inner[end + 1..].strip_prefix(' ').unwrap_or("");
    Some((&inner[..end], rest))
}

fn is_number_or_dash(w: &str) -> bool {
    w == "-" || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
}

/// Read an Istio line by position; `None` when it is not one (Envoy's own default format
/// has the byte counts right after the flags).
fn istio_line(line: &str) -> Option<IstioLine<'_>> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let time = &rest[..close];
    let rest = rest[close + 1..].strip_prefix(" \"")?;
    let (method, rest) = word(rest)?;
    let (path, rest) = word(rest)?;
    if method.contains(char::is_whitespace) || method.contains('"') {
        return None;
    }
    let rest = &rest[rest.find("\" ")? + 2..];
    let (status, rest) = word(rest)?;
    if status.len() > 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (flags, rest) = word(rest)?;
    if !flags
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b',' || b == b'-')
    {
        return None;
    }
    // The details are one word (Envoy writes them without spaces): a number there is Envoy's
    // default format, not Istio's.
    let (details, rest) = word(rest)?;
    if is_number_or_dash(details) && details != "-" {
        return None;
    }
    let (_termination, rest) = word(rest)?;
    let (transport_failure, rest) = quoted(rest)?;
    let (received, rest) = word(rest)?;
    let (sent, rest) = word(rest)?;
    let (duration, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if !is_number_or_dash(received) || !is_number_or_dash(sent) || !is_number_or_dash(duration) {
        return None;
    }
    // Optional tail: upstream service time, then XFF, user agent, request id, authority,
    // upstream host (quoted), upstream cluster.
    let tail = || -> Option<(&str, &str)> {
        let (_upstream_time, rest) = word(rest)?;
        let (_xff, rest) = quoted(rest)?;
        let (_agent, rest) = quoted(rest)?;
        let (_request_id, rest) = quoted(rest)?;
        let (authority, rest) = quoted(rest)?;
        let (_upstream_host, rest) = quoted(rest)?;
        let cluster = rest.split(' ').next().unwrap_or("");
        Some((authority, cluster))
    };
    let (authority, cluster) = match tail() {
        Some((a, c)) => (Some(a), Some(c)),
        None => (None, None),
    };
    Some(IstioLine {
        time,
        path,
        status,
        flags,
        details,
        transport_failure,
        duration,
        authority,
        cluster,
    })
}

/// Anthropic's API host as the authority (`api.anthropic.com[:443]`) or in the upstream
/// cluster (`outbound|443||api.anthropic.com`).
fn anthropic_upstream(l: &IstioLine) -> bool {
    let host = |h: &str| {
        let h = h.rsplit('|').next().unwrap_or(h);
        let h = h.split(':').next().unwrap_or(h);
        h == "api.anthropic.com"
    };
    l.authority.is_some_and(host) || l.cluster.is_some_and(host)
}

pub(crate) struct IstioParser;

impl LineParser for IstioParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let b = line.as_bytes();
        if b.len() < 30 || b[0] != b'[' || !b[1].is_ascii_digit() || b[5] != b'-' {
            return Claim::NotMine;
        }
        let Some(l) = istio_line(line) else {
            return Claim::NotMine;
        };
        let path = l.path.split('?').next().unwrap_or(l.path);
        let endpoint = match endpoint_of(l.path, &sink.opts.api_paths) {
            Some(e) => e,
            None if anthropic_upstream(&l) => path.to_string(),
            None => return Claim::Noise,
        };
        let Ok(code) = l.status.parse::<u16>() else {
            return Claim::Bad("istio: response code is not a number");
        };
        let mut r = envoy_record(code, l.flags, endpoint);
        r.line = Some(lineno);
        r.stamp = time::iso(l.time);
        r.latency_ms = l.duration.parse().ok();
        if r.outcome == crate::record::Outcome::Failure {
            let mut said: Vec<String> = r.message.take().into_iter().collect();
            if l.details != "-" && l.details != "via_upstream" {
                said.push(format!("proxy response details: {}", l.details));
            }
            if !l.transport_failure.is_empty() && l.transport_failure != "-" {
                said.push(format!(
                    "upstream transport failure: {}",
                    l.transport_failure
                ));
            }
            r.message = (!said.is_empty()).then(|| said.join("; "));
        }
        sink.push(r);
        Claim::Relevant
    }
}

#[cfg(test)]
mod tests {
    use super::istio_line;
    use crate::input::{parse_text, ScanOptions};

    const UPSTREAM_429: &str = r#"[2026-11-02T09:14:07.512Z] "POST /v1/messages HTTP/1.1" 429 - via_upstream - "-" 2318 312 418 417 "-" "anthropic-python/0.72.0" "5d0c1b7e-2f44-4c1a-9a11-7e3c2b9d0f15" "api.anthropic.com" "198.51.100.20:443" outbound|443||api.anthropic.com 10.8.2.14:50712 240.240.0.1:443 10.8.2.14:50708 api.anthropic.com -"#;

    #[test]
    fn reads_the_default_layout_by_position() {
        let l = istio_line(UPSTREAM_429).unwrap();
        assert_eq!(l.status, "429");
        assert_eq!(l.flags, "-");
        assert_eq!(l.details, "via_upstream");
        assert_eq!(l.duration, "418");
        assert_eq!(l.authority, Some("api.anthropic.com"));
        assert_eq!(l.cluster, Some("outbound|443||api.anthropic.com"));
        // Envoy's own default format (byte counts right after the flags) is not Istio's.
        let envoy = r#"[2025-10-02T16:20:11.482Z] "POST /v1/messages HTTP/1.1" 503 UF 1234 91 3 - "-" "node" "id" "api.anthropic.com" "-""#;
        assert!(istio_line(envoy).is_none());
    }

    #[test]
    fn the_mesh_own_answers_are_told_apart_from_the_api() {
        let text = [
            UPSTREAM_429,
            r#"[2026-11-02T09:14:09.007Z] "POST /v1/messages HTTP/1.1" 429 RL local_rate_limited - "-" 2318 18 0 - "-" "anthropic-python/0.72.0" "0b5f7a61-93c2-4d8e-b3f0-5a4c9e2d7b18" "api.anthropic.com" "-" outbound|443||api.anthropic.com - 240.240.0.1:443 10.8.2.14:50720 api.anthropic.com -"#,
            r#"[2026-11-02T09:14:12.301Z] "POST /v1/messages HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} - "delayed connect error: 111" 2318 91 3 - "-" "anthropic-python/0.72.0" "c41e2a90-6b7d-4f3a-8e25-91d0b6f3a7c4" "api.anthropic.com" "198.51.100.20:443" outbound|443||api.anthropic.com - 240.240.0.1:443 10.8.2.14:50722 api.anthropic.com -"#,
            r#"[2026-11-02T09:14:15.880Z] "POST /v1/messages HTTP/1.1" 200 - via_upstream - "-" 2318 5120 2210 2209 "-" "anthropic-python/0.72.0" "e7a9c3d2-1f5b-4e80-b6a4-3c2d8e9f0a71" "api.anthropic.com" "198.51.100.20:443" outbound|443||api.anthropic.com 10.8.2.14:50730 240.240.0.1:443 10.8.2.14:50726 api.anthropic.com -"#,
            r#"[2026-11-02T09:14:16.002Z] "GET /healthz/ready HTTP/1.1" 503 - via_upstream - "-" 0 0 1 1 "-" "kube-probe/1.31" "aa11bb22-cc33-dd44-ee55-ff6677889900" "10.8.2.14:15021" "127.0.0.1:15020" inbound|15021|| 127.0.0.6:44101 10.8.2.14:15021 10.8.1.1:39240 - default"#,
        ]
        .join("\n");
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 3, "{:?}", s.failures);
        let upstream = &s.failures[0];
        assert_eq!(upstream.http_status, Some(429));
        assert_eq!(upstream.provider.as_deref(), Some("anthropic"));
        assert_eq!(upstream.message, None);
        let local = &s.failures[1];
        assert_eq!(local.provider.as_deref(), Some("envoy"));
        assert_eq!(
            local.message.as_deref(),
            Some("envoy response flags RL: local rate limit; proxy response details: local_rate_limited")
        );
        let reset = &s.failures[2];
        assert_eq!(reset.provider_code.as_deref(), Some("UF"));
        assert!(
            reset.message.as_deref().is_some_and(
                |m| m.ends_with("upstream transport failure: delayed connect error: 111")
            )
        );
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.relevant, 4);
    }

    #[test]
    fn an_egress_to_anthropic_counts_whatever_its_path() {
        let line = r#"[2026-11-02T09:20:00.100Z] "POST /proxy/claude HTTP/2" 504 UT response_timeout - "-" 900 24 60001 - "-" "node" "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b" "api.anthropic.com" "198.51.100.20:443" outbound|443||api.anthropic.com - 240.240.0.1:443 10.8.2.14:51000 api.anthropic.com -"#;
        let s = parse_text(line, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].endpoint.as_deref(), Some("/proxy/claude"));
        assert_eq!(s.failures[0].latency_ms, Some(60001));
    }
}
