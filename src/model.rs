//! One key per model across providers, so "by model" adds up: Bedrock ids, inference
//! profiles and ARNs, Vertex `@` ids and the API's own ids all map to the API's spelling.
//! The raw id stays in events; only aggregation uses the key.

/// `us.anthropic.claude-sonnet-4-20250514-v1:0` -> `claude-sonnet-4-20250514`,
/// `claude-3-5-sonnet-v2@20241022` -> `claude-3-5-sonnet-20241022`,
/// `arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0`
/// -> `claude-3-haiku-20240307`.
pub fn normalize_model(raw: &str) -> String {
    let mut m = raw.trim().to_ascii_lowercase();
    if let Some(i) = m.rfind('/') {
        if m.starts_with("arn:") || m.contains("publishers/anthropic/models/") {
            m = m[i + 1..].to_string();
        }
    }
    if let Some(rest) = m.strip_prefix("anthropic/") {
        m = rest.to_string(); // LiteLLM style `anthropic/claude-...`
    }
    for region in ["us.", "eu.", "apac.", "jp.", "au.", "global.", "us-gov."] {
        if let Some(rest) = m.strip_prefix(region) {
            if rest.starts_with("anthropic.") {
                m = rest.to_string();
                break;
            }
        }
    }
    if let Some(rest) = m.strip_prefix("anthropic.") {
        m = rest.to_string();
        // Bedrock version suffix: `-v1:0`, `-v2:0`, `-v1`.
        if let Some(i) = m.rfind("-v") {
            let tail = &m[i + 2..];
            if !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit() || c == ':') {
                m.truncate(i);
            }
        }
    }
    if let Some(at) = m.find('@') {
        // Vertex: `claude-3-5-sonnet-v2@20241022`: the date moves to the end, `-v2` goes.
        let (base, date) = (m[..at].to_string(), m[at + 1..].to_string());
        let base = base.strip_suffix("-v2").unwrap_or(&base).to_string();
        m = if date.is_empty() {
            base
        } else {
            format!("{base}-{date}")
        };
    }
    if m.starts_with("anthropic-claude-") {
        m = m["anthropic-".len()..].to_string();
    }
    m
}

#[cfg(test)]
mod tests {
    use super::normalize_model as n;

    #[test]
    fn one_key_across_providers() {
        assert_eq!(
            n("us.anthropic.claude-sonnet-4-20250514-v1:0"),
            "claude-sonnet-4-20250514"
        );
        assert_eq!(
            n("anthropic.claude-3-5-sonnet-20241022-v2:0"),
            "claude-3-5-sonnet-20241022"
        );
        assert_eq!(
            n("claude-3-5-sonnet-v2@20241022"),
            "claude-3-5-sonnet-20241022"
        );
        assert_eq!(n("claude-sonnet-4@20250514"), "claude-sonnet-4-20250514");
        assert_eq!(
            n("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
            "claude-3-haiku-20240307"
        );
        assert_eq!(n("claude-sonnet-4-20250514"), "claude-sonnet-4-20250514");
        assert_eq!(n("anthropic.claude-sonnet-4-6"), "claude-sonnet-4-6");
        assert_eq!(n("anthropic/claude-haiku-4-5"), "claude-haiku-4-5");
    }
}
