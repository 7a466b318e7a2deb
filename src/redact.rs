//! The one redaction step applied to every string that leaves the tool.
//!
//! Masks Anthropic keys and OAuth tokens, `x-api-key` / `Authorization` / cookie header values
//! in the shapes logs write them (JSON, Python and JS dict reprs, HAR header objects, plain
//! `name: value`), Bearer tokens, AWS access keys, secrets, session tokens and SigV4
//! signatures, Google OAuth tokens and private keys. The mask keeps a short, harmless prefix
//! so a reader can still tell which kind of credential was there.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

const MASK: &str = "[REDACTED]";

struct Rule {
    re: Regex,
    /// Replacement; `$pre` (and `$end`) keep the non-secret parts of the match.
    with: &'static str,
}

impl Rule {
    /// Mask every match in `hay`, except those whose secret is already the mask (or the
    /// mask without its `]`, where a value pattern stops at a bracket): redacting twice must
    /// change nothing.
    fn apply(&self, hay: &str) -> String {
        self.re
            .replace_all(hay, |caps: &Captures<'_>| {
                let whole = caps.get(0).expect("group 0 always matches");
                let start = caps.name("pre").map_or(whole.start(), |m| m.end());
                let end = caps.name("end").map_or(whole.end(), |m| m.start());
                let secret = &hay[start..end];
                let masked = secret == MASK
                    || (secret == &MASK[..MASK.len() - 1] && hay[end..].starts_with(']'));
                if masked {
                    whole.as_str().to_string()
                } else {
                    let mut out = String::new();
                    caps.expand(self.with, &mut out);
                    out
                }
            })
            .into_owned()
    }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |re: &str, with: &'static str| Rule {
        re: Regex::new(re).expect("static redaction regex"),
        with,
    };
    vec![
        // Anthropic keys: sk-ant-api03-..., sk-ant-oat01-..., sk-ant-admin01-...
        rule(
            r"(?P<pre>sk-ant-[a-z]+[0-9]*-)[A-Za-z0-9_\-]+",
            "${pre}[REDACTED]",
        ),
        rule(r"(?P<pre>sk-ant-)[A-Za-z0-9_\-]{8,}", "${pre}[REDACTED]"),
        // Header values in any quoting: "x-api-key": "v", 'x-api-key': 'v', x-api-key: v,
        // {"name":"x-api-key","value":"v"} (HAR).
        rule(
            r#"(?i)(?P<pre>["']?(?:x-api-key|api-key|authorization|proxy-authorization|cookie|set-cookie|x-goog-api-key|x-amz-security-token|anthropic-admin-key)["']?\s*[:=]\s*["']?)(?:Bearer\s+|Basic\s+)?[^\s"',}\]]+"#,
            "${pre}[REDACTED]",
        ),
        rule(
            r#"(?i)(?P<pre>"name"\s*:\s*"(?:x-api-key|api-key|authorization|proxy-authorization|cookie|set-cookie|x-goog-api-key|x-amz-security-token)"\s*,\s*"value"\s*:\s*")[^"]*"#,
            "${pre}[REDACTED]",
        ),
        rule(
            r"(?i)(?P<pre>\bbearer\s+)[A-Za-z0-9_\-.~+/=]{8,}",
            "${pre}[REDACTED]",
        ),
        // AWS: access key ids, secret keys, session tokens, SigV4 signatures.
        rule(
            r"\b(?P<pre>(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{4})[A-Z0-9]{12}\b",
            "${pre}[REDACTED]",
        ),
        rule(
            r#"(?i)(?P<pre>(?:aws_secret_access_key|secretaccesskey|aws_session_token|sessiontoken|secret_key|x-amz-signature|signature)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}"#,
            "${pre}[REDACTED]",
        ),
        // Google: OAuth access tokens and service-account private keys.
        rule(r"(?P<pre>\bya29\.)[A-Za-z0-9_\-.]+", "${pre}[REDACTED]"),
        rule(
            r"(?s)(?P<pre>-----BEGIN (?:RSA |EC )?PRIVATE KEY-----).*?(?P<end>-----END (?:RSA |EC )?PRIVATE KEY-----|$)",
            "${pre}[REDACTED]${end}",
        ),
        rule(r#"(?P<pre>"private_key"\s*:\s*")[^"]*"#, "${pre}[REDACTED]"),
        // Generic long secrets behind well-known key names.
        rule(
            r#"(?i)(?P<pre>(?:api_key|apikey|access_token|refresh_token|client_secret|auth_token|password)["']?\s*[:=]\s*["']?)[^\s"',}&]{6,}"#,
            "${pre}[REDACTED]",
        ),
    ]
});

/// Cheap check before running the regexes: every rule needs one of these substrings.
fn may_hold_secret(s: &str) -> bool {
    const HINTS: &[&str] = &[
        "sk-ant-",
        "key",
        "Key",
        "KEY",
        "uthoriz",
        "UTHORIZ",
        "ookie",
        "OOKIE",
        "earer",
        "EARER",
        "AKIA",
        "ASIA",
        "AROA",
        "AIDA",
        "ecret",
        "ECRET",
        "oken",
        "OKEN",
        "ignature",
        "IGNATURE",
        "ya29.",
        "PRIVATE",
        "assword",
        "ASSWORD",
        "security-token",
    ];
    HINTS.iter().any(|h| s.contains(h))
}

/// The string with every secret masked.
pub fn redact(s: &str) -> Cow<'_, str> {
    if !may_hold_secret(s) {
        return Cow::Borrowed(s);
    }
    let mut out: Cow<'_, str> = Cow::Borrowed(s);
    for rule in RULES.iter() {
        if rule.re.is_match(&out) {
            out = Cow::Owned(rule.apply(&out));
        }
    }
    out
}

/// Cut a string to at most `max` characters on a character boundary, marking the cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => {
            let keep = s[..cut]
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(cut, |(i, _)| i);
            format!("{}…", &s[..keep])
        }
    }
}

pub const MASK_TEXT: &str = MASK;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_kind_of_secret() {
        let cases = [
            "key sk-ant-api03-FAKEfakeFAKEfake_0123456789-abc here",
            "oauth sk-ant-oat01-FAKEfakeFAKEfake0123456789",
            r#"{"x-api-key": "sk-test-FAKE-1234567890"}"#,
            "{'authorization': 'Bearer FAKETOKENVALUE123'}",
            r#"{"name":"x-api-key","value":"FAKE-plain-value-xyz"}"#,
            "Authorization: Bearer abc.def.FAKE123456",
            "AKIAFAKEFAKEFAKE1234 used",
            "aws_secret_access_key=FAKEfakeFAKEfake/FAKEfake+FAKEfake1234",
            "X-Amz-Signature=0123456789abcdef0123456789abcdef",
            "token ya29.a0FAKE_fake-FAKE.fake",
            "-----BEGIN PRIVATE KEY-----\nMIIFAKE\n-----END PRIVATE KEY-----",
            "cookie: session=FAKESESSIONVALUE",
        ];
        let secrets = [
            "FAKEfakeFAKEfake_0123456789",
            "FAKEfakeFAKEfake0123456789",
            "sk-test-FAKE-1234567890",
            "FAKETOKENVALUE123",
            "FAKE-plain-value-xyz",
            "abc.def.FAKE123456",
            "FAKEFAKE1234",
            "FAKEfake+FAKEfake1234",
            "0123456789abcdef0123456789abcdef",
            "a0FAKE_fake",
            "MIIFAKE",
            "FAKESESSIONVALUE",
        ];
        for (case, secret) in cases.iter().zip(secrets) {
            let out = redact(case);
            assert!(!out.contains(secret), "{case} -> {out}");
            assert!(out.contains("[REDACTED]"), "{case} -> {out}");
        }
    }

    #[test]
    fn regression_redacting_twice_changes_nothing() {
        // Found by the `redact` fuzz target: the header rule took `[REDACTED` for a value
        // and masked it again (`[REDACTED]]`); a private key without its END line lost the
        // text after the mask on a second pass.
        for case in [
            "X-Api-Key: abcdef123",
            "password=hunter22 and more",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIFAKE\n-----END RSA PRIVATE KEY----- after",
            "-----BEGIN PRIVATE KEY-----\nMIIFAKE cut off",
        ] {
            let once = redact(case).into_owned();
            assert!(once.contains(MASK), "{once}");
            assert!(!once.contains("MIIFAKE") && !once.contains("abcdef123"));
            assert_eq!(redact(&once), once, "{case}");
        }
        assert_eq!(
            redact("k -----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY----- tail"),
            "k -----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY----- tail"
        );
        // An attacker's `[REDACTED]` prefix does not shield what follows it.
        assert!(!redact("password=[REDACTED]realsecret").contains("realsecret"));
    }

    #[test]
    fn leaves_ordinary_messages_alone() {
        let m = "This request would exceed the rate limit of 50,000 input tokens per minute.";
        assert!(matches!(redact(m), Cow::Borrowed(_)));
        assert_eq!(
            redact("max_tokens: 100000 > 64000"),
            "max_tokens: 100000 > 64000"
        );
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        let t = truncate_chars("ééééé", 3);
        assert_eq!(t.chars().count(), 3);
        assert!(t.ends_with('…'));
    }
}
