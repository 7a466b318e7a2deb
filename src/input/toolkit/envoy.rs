//! What Envoy's response flags mean, and the record of one Envoy access entry (Envoy's own
//! formats, Istio's, and any layout that gives a status and flags).

use crate::input::toolkit::api::{model_of_path, provider_of_url};
use crate::record::{Outcome, Record, SourceKind};

/// What an Envoy response flag (`%RESPONSE_FLAGS%`: `UF`, `URX`, `RL`...) means, for a message.
pub(crate) fn flag_meaning(flag: &str) -> &'static str {
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

/// The record of one access log entry: status 0 is no response; response flags tell what
/// Envoy itself did (and make the provider Envoy).
pub(crate) fn envoy_record(code: u16, flags: &str, endpoint: String) -> Record {
    let flags: Vec<&str> = flags
        .split(',')
        .filter(|f| !f.is_empty() && *f != "-")
        .collect();
    let stream_broke = flags.iter().any(|f| {
        matches!(
            *f,
            "UC" | "UR" | "LR" | "SI" | "UT" | "UPE" | "UMSDR" | "DT"
        )
    });
    let client_left = flags.contains(&"DC");
    let failed = code == 0 || code >= 400 || stream_broke || client_left;
    let mut r = Record::new(SourceKind::Envoy, Outcome::of(failed));
    r.http_status = (code != 0).then_some(code);
    r.model = model_of_path(&endpoint);
    if flags.is_empty() {
        r.provider = Some(provider_of_url(&endpoint).to_string());
    } else {
        let joined = flags.join(",");
        let described: Vec<&str> = flags.iter().map(|f| flag_meaning(f)).collect();
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
    r
}
