//! The one redaction step applied to every string that leaves the tool.
//!
//! Masks Anthropic keys and OAuth tokens (`sk-ant-<kind>-...`, also session cookies
//! `sk-ant-sid01-...`) and other `sk-` keys (gateway and proxy virtual keys); the values of
//! `x-api-key`, `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie` and similar
//! headers in every shape logs write them (JSON and escaped JSON, Python and JS dict reprs with
//! `b'...'` bytes, httpx `Headers([(name, value)])` tuples, HAR `{"name", "value"}` objects,
//! `Name: value` dumps, nginx `$http_x_api_key` fields); Bearer tokens; AWS access key ids,
//! secret keys, session tokens (also bare `IQoJ...`/`FwoG...` tokens) and SigV4 signatures;
//! Google OAuth tokens (`ya29.`), API keys (`AIza...`) and private keys; passwords in URLs; and
//! values behind well-known secret names (`api_key=`, `password=`, `client_secret`...).
//!
//! The mask keeps only the kind of credential (`sk-ant-api03-[REDACTED]`, `Bearer [REDACTED]`,
//! `AKIA[REDACTED]`) so a reader can tell what was there, never a fragment of the value.
//! Cost: a single case-insensitive Aho-Corasick pass decides whether any rule can apply; only
//! strings that hold a hint run the regexes, and they run on failure messages only.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;

const MASK: &str = "[REDACTED]";

struct Rule {
    re: Regex,
    /// Replacement; `$pre` keeps the non-secret part of the match.
    with: &'static str,
    /// Matches for which this holds are left alone (another rule owns them).
    keep: Option<fn(&regex::Captures<'_>) -> bool>,
}

/// Header and field names whose value is a credential, `-` or `_` between words (HTTP dumps
/// write `x-api-key`, nginx variables `http_x_api_key`).
const HEADER_NAMES: &str = r"(?:x[-_]api[-_]key|api[-_]key|x[-_]goog[-_]api[-_]key|proxy[-_]authorization|authorization|x[-_]amz[-_]security[-_]token|anthropic[-_]admin[-_]key|x[-_]auth[-_]token|x[-_]access[-_]token)";

/// Auth schemes kept in front of the mask.
const SCHEMES: &str = r"(?:Bearer|Basic|Token|Digest|AWS4-HMAC-SHA256|OAuth)";

/// Names whose value is a secret wherever they appear (`name=value`, `"name": "value"`).
const SECRET_NAMES: &str = r"(?:api[-_]?key|access[-_]?token|refresh[-_]?token|id[-_]token|auth[-_]?token|client[-_]?secret|password|passwd|private[-_]key[-_]id|session[-_]?key|session[-_]?token|security[-_]?token|secret[-_]?access[-_]?key|secret[-_]?key|x[-_]amz[-_]signature|x[-_]amz[-_]credential|\bsignature|\bsecret|\btoken)";

static SCHEME_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?i)^{SCHEMES}$")).expect("static redaction regex"));

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |re: &str, with: &'static str| Rule {
        re: Regex::new(re).expect("static redaction regex"),
        with,
        keep: None,
    };
    // An optional quote, possibly escaped (`\"` inside a JSON string inside JSON).
    let q = r#"(?:\\*["'])"#;
    vec![
        // Private keys first: their bodies hold `+`, `/`, `=` that other rules would cut.
        rule(
            r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
            "-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----",
        ),
        // HAR header objects: {"name":"x-api-key","value":"..."}.
        rule(
            &format!(
                r#"(?i)(?P<pre>"name"\s*:\s*"(?:{HEADER_NAMES}|cookie|set-cookie)"\s*,\s*"value"\s*:\s*")[^"]*"#
            ),
            "${pre}[REDACTED]",
        ),
        // httpx Headers([('x-api-key', 'v'), ...]) tuples.
        rule(
            &format!(
                r#"(?i)(?P<pre>\(\s*b?["'](?:{HEADER_NAMES}|cookie|set-cookie)["']\s*,\s*b?["'](?:{SCHEMES}\s+)?)[^"']*"#
            ),
            "${pre}[REDACTED]",
        ),
        // Cookies: every `name=value` pair of the header, up to the closing quote or the end of
        // the pair list.
        rule(
            &format!(
                r#"(?i)(?P<pre>(?:set[-_])?cookie{q}?\s*[:=]\s*b?{q}?)[^\s;"'\\,]+(?:;\s?[^\s;"'\\,]+)*"#
            ),
            "${pre}[REDACTED]",
        ),
        // Quoted header values: the whole value up to the closing quote (it may hold spaces:
        // `AWS4-HMAC-SHA256 Credential=..., Signature=...`).
        rule(
            &format!(
                r#"(?i)(?P<pre>{HEADER_NAMES}{q}?\s*[:=]\s*b?{q}(?:{SCHEMES}\s+)?)[^"'\\\r\n]+"#
            ),
            "${pre}[REDACTED]",
        ),
        // Unquoted header values (`X-Api-Key: v`, `Authorization: Bearer v`, `x_api_key=v`).
        Rule {
            // `Authorization: Bearer [REDACTED]` must not lose its scheme on a second pass.
            keep: Some(|caps| SCHEME_ONLY.is_match(&caps["value"])),
            ..rule(
                &format!(
                    r#"(?i)(?P<pre>{HEADER_NAMES}\s*[:=]\s*(?:{SCHEMES}\s+)?)(?P<value>[^\s"',;}})\]\\\[]+)"#
                ),
                "${pre}[REDACTED]",
            )
        },
        // Anthropic keys: sk-ant-api03-..., sk-ant-oat01-..., sk-ant-admin01-..., sk-ant-sid01-...
        // The body must end in a letter or digit so `sk-ant-admin01-[REDACTED]` stays as it is.
        rule(
            r"(?P<pre>sk-ant-[a-z]+[0-9]*-)[A-Za-z0-9_\-]*[A-Za-z0-9_]",
            "${pre}[REDACTED]",
        ),
        rule(
            r"(?P<pre>sk-ant-)[A-Za-z0-9_\-]{7,}[A-Za-z0-9_]",
            "${pre}[REDACTED]",
        ),
        // Other `sk-` keys: OpenAI-style, LiteLLM virtual keys, one-api / new-api tokens.
        Rule {
            keep: Some(|caps| caps[0].starts_with("sk-ant-")),
            ..rule(
                r"\b(?P<pre>sk-(?:proj-|svcacct-|live-|test-)?)[A-Za-z0-9_\-]{12,}",
                "${pre}[REDACTED]",
            )
        },
        rule(
            r"(?i)(?P<pre>\bbearer\s+)[A-Za-z0-9_\-.~+/=]{8,}",
            "${pre}[REDACTED]",
        ),
        // AWS: access key ids, bare session tokens.
        rule(
            r"\b(?P<pre>AKIA|ASIA|AROA|AIDA|ABIA|ACCA|AGPA|AIPA|ANPA|ANVA|APKA|ASCA)[A-Z0-9]{16}\b",
            "${pre}[REDACTED]",
        ),
        rule(
            r"(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=%]+",
            "[REDACTED]",
        ),
        // Google: OAuth access tokens, API keys.
        rule(r"(?P<pre>\bya29\.)[A-Za-z0-9_\-.]+", "${pre}[REDACTED]"),
        rule(r"\bAIza[0-9A-Za-z_\-]{30,}", "AIza[REDACTED]"),
        // user:password@ in URLs (proxy settings, gateway URLs).
        rule(
            r#"(?i)(?P<pre>\b[a-z][a-z0-9+.\-]*://)[^/\s:@"']+:[^/\s@"']+@"#,
            "${pre}[REDACTED]@",
        ),
        // The same without a scheme (`getaddrinfo ENOTFOUND user:password@proxy.internal`).
        rule(
            r#"(?P<pre>[\s(=,'"])[^\s/:@"'(\[]+:[^\s/@"'\[]+@(?P<host>[A-Za-z0-9\-]+\.)"#,
            "${pre}[REDACTED]@${host}",
        ),
        // Values behind well-known secret names, quoted or not, `b'...'` included. Quoted
        // values run to the closing quote; an escaped quote is `\"`.
        rule(
            &format!(r#"(?i)(?P<pre>{SECRET_NAMES}{q}?\s*[:=]\s*b?{q})[^"'\\\r\n]{{6,}}"#),
            "${pre}[REDACTED]",
        ),
        rule(
            &format!(r#"(?i)(?P<pre>{SECRET_NAMES}\s*[:=]\s*)[^\s"',;}})\]&\\\[]{{6,}}"#),
            "${pre}[REDACTED]",
        ),
    ]
});

/// Every rule needs one of these substrings (ASCII case-insensitive).
const HINTS: &[&str] = &[
    "sk-",
    "key",
    "authoriz",
    "cookie",
    "bearer",
    "akia",
    "asia",
    "aroa",
    "aida",
    "abia",
    "acca",
    "agpa",
    "aipa",
    "anpa",
    "anva",
    "apka",
    "asca",
    "iqojb3jpz2lux2vj",
    "zxivyxdz",
    "ecret",
    "token",
    "ignature",
    "credential",
    "ya29.",
    "aiza",
    "private",
    "passw",
    "@",
];

static HINT_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(HINTS)
        .expect("static hint set")
});

/// Cheap check before running the regexes: one pass over the string.
fn may_hold_secret(s: &str) -> bool {
    HINT_FINDER.is_match(s)
}

/// The string with every secret masked.
pub fn redact(s: &str) -> Cow<'_, str> {
    if !may_hold_secret(s) {
        return Cow::Borrowed(s);
    }
    let mut out: Cow<'_, str> = Cow::Borrowed(s);
    for rule in RULES.iter() {
        if !rule.re.is_match(&out) {
            continue;
        }
        let replaced = match rule.keep {
            None => rule.re.replace_all(&out, rule.with).into_owned(),
            Some(keep) => rule
                .re
                .replace_all(&out, |caps: &regex::Captures<'_>| {
                    if keep(caps) {
                        caps[0].to_string()
                    } else {
                        let mut s = String::new();
                        caps.expand(rule.with, &mut s);
                        s
                    }
                })
                .into_owned(),
        };
        out = Cow::Owned(replaced);
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

    /// (input, the secret that must vanish, what must stay).
    const CASES: &[(&str, &str, &str)] = &[
        ("key sk-ant-api03-FAKEfakeFAKEfake_0123456789-abc here", "FAKEfakeFAKEfake_0123456789-abc", "sk-ant-api03-[REDACTED] here"),
        ("oauth sk-ant-oat01-FAKEfakeFAKEfake0123456789", "FAKEfakeFAKEfake0123456789", "sk-ant-oat01-[REDACTED]"),
        ("admin sk-ant-admin01-FAKEadminFAKEadmin99", "FAKEadminFAKEadmin99", "sk-ant-admin01-[REDACTED]"),
        ("Cookie: sessionKey=sk-ant-sid01-FAKEsidFAKEsid77", "FAKEsidFAKEsid77", "Cookie: [REDACTED]"),
        ("litellm api_key=sk-FAKEvirtualKEY12345 model=x", "FAKEvirtualKEY12345", "model=x"),
        ("one-api token sk-FAKEoneapiTOKEN0123456789abcdef", "FAKEoneapiTOKEN0123456789abcdef", "one-api token sk-[REDACTED]"),
        (r#"{"x-api-key": "FAKE-test-1234567890"}"#, "FAKE-test-1234567890", r#"{"x-api-key": "[REDACTED]"}"#),
        ("{'X-Api-Key': 'FAKEgatewayKEY'}", "FAKEgatewayKEY", "{'X-Api-Key': '[REDACTED]'}"),
        ("{'authorization': 'Bearer FAKETOKENVALUE123'}", "FAKETOKENVALUE123", "{'authorization': 'Bearer [REDACTED]'}"),
        (r#"{"name":"x-api-key","value":"FAKE-plain-value-xyz"}"#, "FAKE-plain-value-xyz", r#""value":"[REDACTED]""#),
        (r#"{"name":"Authorization","value":"Basic RkFLRTpGQUtF"}"#, "RkFLRTpGQUtF", r#""value":"[REDACTED]""#),
        ("Headers([('x-api-key', 'FAKEtupleKEY'), ('cookie', 'a=FAKEcookieA; b=FAKEcookieB')])", "FAKE", "('x-api-key', '[REDACTED]')"),
        ("Authorization: Bearer abc.def.FAKE123456", "abc.def.FAKE123456", "Authorization: Bearer [REDACTED]"),
        ("X-Api-Key: FAKEgoDumpKEY\nContent-Type: application/json", "FAKEgoDumpKEY", "\nContent-Type: application/json"),
        ("x-api-key: FAKEinline Authorization: Bearer FAKEbearer99, client: 10.0.0.1", "FAKE", ", client: 10.0.0.1"),
        (r#"{"http_x_api_key":"FAKEnginxHEADER","http_authorization":"Bearer FAKEnginxBEARER","status":"401"}"#, "FAKE", r#""status":"401""#),
        (r#"{\"x-api-key\": \"FAKEescapedKEY\"}"#, "FAKEescapedKEY", r#"\"x-api-key\": \"[REDACTED]\""#),
        ("Cookie: a=FAKEcookie1; b=FAKEcookie2; Path=/", "FAKEcookie", "Cookie: [REDACTED]"),
        ("Set-Cookie: __cf_bm=FAKEcfbm.value-1; path=/; HttpOnly", "FAKEcfbm", "Set-Cookie: [REDACTED]"),
        ("'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE1234/20251002/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdefdeadbeef', 'X-Amz-Security-Token': b'IQoJb3JpZ2luX2VjFAKEsessionTOKEN+/=='", "FAKE", "'Authorization': b'AWS4-HMAC-SHA256 [REDACTED]'"),
        ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE1234/20251002/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdefdeadbeef", "deadbeef", "SignedHeaders=host;x-amz-date, Signature=[REDACTED]"),
        ("AKIAFAKEFAKEFAKE1234 used", "FAKEFAKE", "AKIA[REDACTED] used"),
        ("ASIAFAKEFAKEFAKE5678 used", "FAKEFAKE", "ASIA[REDACTED] used"),
        ("aws_secret_access_key=FAKEfakeFAKEfake/FAKEfake+FAKEfake1234", "FAKEfake", "aws_secret_access_key=[REDACTED]"),
        (r#"{"SecretAccessKey": "FAKEfakeFAKEfake/FAKEfake+FAKEfake1234", "SessionToken": "FwoGZXIvYXdzFAKE"}"#, "FAKE", r#""SessionToken": "[REDACTED]""#),
        ("token IQoJb3JpZ2luX2VjFAKEbareSESSION+token/== end", "FAKEbare", " end"),
        ("X-Amz-Signature=0123456789abcdef0123456789abcdeffeedface&X-Amz-Security-Token=IQoJb3JpZ2luX2VjFAKE%2Fx", "feedface", "X-Amz-Signature=[REDACTED]"),
        ("token ya29.a0FAKE_fake-FAKE.fake", "a0FAKE_fake", "token ya29.[REDACTED]"),
        ("key=AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE12345", "SyFAKEfake", "[REDACTED]"),
        ("-----BEGIN PRIVATE KEY-----\nMIIFAKE+/=\n-----END PRIVATE KEY-----\n", "MIIFAKE", "-----BEGIN PRIVATE KEY-----[REDACTED]"),
        (r#"{"private_key_id": "0123456789abcdef0123456789abcdefcafebabe", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvFAKE\n-----END PRIVATE KEY-----\n"}"#, "FAKE", "[REDACTED]"),
        ("private key cut: -----BEGIN RSA PRIVATE KEY-----\nMIIEcutFAKE", "MIIEcutFAKE", "private key cut: "),
        ("ProxyError: http://svc:FAKEpassw0rd@proxy.internal:3128", "FAKEpassw0rd", "http://[REDACTED]@proxy.internal:3128"),
        ("curl -H 'x-api-key: FAKEcurlKEY' -H 'Authorization: Bearer FAKEcurlBEARER'", "FAKEcurl", "curl -H 'x-api-key: [REDACTED]'"),
        ("ENOTFOUND svc:FAKEpass@proxy.internal", "FAKEpass", "ENOTFOUND [REDACTED]@proxy.internal"),
        ("client_secret=FAKEclientSECRET&grant_type=x", "FAKEclientSECRET", "&grant_type=x"),
    ];

    #[test]
    fn masks_every_kind_of_secret() {
        // Every case is checked, then all that fail are shown at once.
        let mut failed = Vec::new();
        for (case, secret, kept) in CASES {
            let out = redact(case);
            if out.contains(secret) || !out.contains(MASK) || !out.contains(kept) {
                failed.push(format!("{case}\n -> {out}\n wants {kept}"));
            }
            if !may_hold_secret(case) {
                failed.push(format!("{case}: the prefilter must let it through"));
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    }

    #[test]
    fn redaction_is_idempotent() {
        for (case, _, _) in CASES {
            let once = redact(case).into_owned();
            assert_eq!(redact(&once), once, "{case}");
        }
    }

    #[test]
    fn regression_redacting_twice_changes_nothing() {
        // Found by the `redact` fuzz target: a header rule took `[REDACTED` for a value and
        // masked it again (`[REDACTED]]`); a private key without its END line lost the text
        // after the mask on a second pass.
        for case in [
            "X-Api-Key: ***",
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
    }

    #[test]
    fn leaves_ordinary_messages_alone() {
        for m in [
            "This request would exceed the rate limit of 50,000 input tokens per minute.",
            "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens",
            "prompt is too long: 208310 tokens > 200000 maximum",
            "invalid x-api-key",
            "OAuth token has expired. Re-authenticate to continue.",
            "Has Authorization header: false",
            "Publisher Model `projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514` was not found",
            "POST https://api.anthropic.com/v1/messages?beta=true",
            "The specified key does not exist.",
            "task-manager disk-usage",
        ] {
            assert_eq!(redact(m), m);
        }
        let m = "Overloaded";
        assert!(matches!(redact(m), Cow::Borrowed(_)));
        assert!(!may_hold_secret("Internal server error"));
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        let t = truncate_chars("ééééé", 3);
        assert_eq!(t.chars().count(), 3);
        assert!(t.ends_with('…'));
    }
}
