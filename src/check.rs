//! The catalog's own tests and `explain`: both go through the production path (the real input
//! parsers for text, the real classifier for fields), so what passes here is what a scan does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::FixedOffset;
use regex::Regex;

use crate::catalog::{Catalog, Example, Signature};
use crate::classify::{classify, classify_by_text, template, unknown_id, Failure};
use crate::input::{self, error_body_text, ScanOptions};
use crate::record::{Outcome, Record, SourceKind};

#[derive(Debug, Default)]
pub struct CheckResult {
    pub signatures: usize,
    pub examples: usize,
    pub counterexamples: usize,
    /// One line per example that did not select its signature, or counterexample that did.
    pub misses: Vec<String>,
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"))
}

/// Classify an example the way a scan would. Text examples are parsed by the input parsers;
/// the first failure they yield is the one that counts.
pub fn classify_example(catalog: &Catalog, ex: &Example) -> Option<Failure> {
    if let Some(text) = &ex.text {
        let scan = input::parse_text(text, &ScanOptions::default());
        let record = scan.failures.into_iter().next()?;
        return Some(classify("example", record, catalog, utc()));
    }
    let record = ex.to_record()?;
    Some(classify("example", record, catalog, utc()))
}

pub fn run(catalog: &Catalog) -> CheckResult {
    let mut result = CheckResult {
        signatures: catalog.signatures().len(),
        ..CheckResult::default()
    };
    for sig in catalog.signatures() {
        for (i, ex) in sig.examples.iter().enumerate() {
            result.examples += 1;
            let got = classify_example(catalog, ex).map(|f| f.signature);
            if got.as_deref() != Some(sig.id.as_str()) {
                result.misses.push(format!(
                    "{}: example {} selected {} ({})",
                    sig.id,
                    i + 1,
                    got.as_deref().unwrap_or("no failure"),
                    sig.origin
                ));
            }
        }
        for (i, ex) in sig.counterexamples.iter().enumerate() {
            result.counterexamples += 1;
            let got = classify_example(catalog, ex).map(|f| f.signature);
            if got.as_deref() == Some(sig.id.as_str()) {
                result.misses.push(format!(
                    "{}: counterexample {} selected it ({})",
                    sig.id,
                    i + 1,
                    sig.origin
                ));
            }
        }
    }
    result
}

/// What `explain` found in a pasted text.
pub struct Explained<'c> {
    pub failure: Failure,
    /// The catalog entry of the failure's signature (`None` for `unknown.<hash>`).
    pub signature: Option<&'c Signature>,
    /// A status-only signature the text's status alone would have selected, not given because
    /// the text tells no error (see [`classify_message`]).
    pub set_aside: Option<&'c Signature>,
}

pub enum Explanation<'c> {
    Signature(&'c Signature),
    Failures(Vec<Explained<'c>>),
    Unknown,
}

static ID_LIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z_]+\.[a-z0-9_.]+$").expect("static regex"));
/// A status the text names as one: `Error code: 429 - {...}`, `API Error: 529 ...`,
/// `status code 404`, `HTTP/1.1 503 ...`.
static SAID_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^.*?(?:Error code|API Error|status(?: code)?|HTTP(?:/[0-9.]+)?)[:=]?\s*(?P<status>[1-5]\d\d)\b\s*[-:]?\s*(?P<rest>.*)$")
        .expect("static regex")
});
/// An error status alone at the start: a status only when an error body or the status's
/// reason phrase follows (`529 {"type":"error",...}`, `429 Too Many Requests`), not any number
/// that begins a message (`162 double-hummer alignment exceptions`, `183.62.156.108:22 ...`).
static BARE_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<status>[45]\d\d)(?:\s*[-:]\s*|\s+)(?P<rest>.*)$").expect("static regex")
});
static REASON_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:bad request|unauthorized|payment required|forbidden|not found|page not found|method not allowed|request timeout|conflict|payload too large|request entity too large|unprocessable entity|too many requests|internal server error|not implemented|bad gateway|service unavailable|gateway timeout|overloaded)\b")
        .expect("static regex")
});
/// Words by which a text calls itself an error: a level (`ERROR`, `FATAL`), `failed`,
/// `Error code:`, `API Error:`, an exception's name (`RateLimitError`, `IOException`).
static ERROR_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i:\b(?:errors?|err|fatal|critical|fail|fails|failed|failing|failure|exception)\b)|[a-z](?:Error|Exception)\b")
        .expect("static regex")
});

/// The status a bare error message states, and the text after it.
fn stated_status(text: &str) -> Option<(u16, &str)> {
    fn read<'t>(c: regex::Captures<'t>) -> Option<(u16, &'t str)> {
        let rest = c.name("rest").map_or("", |m| m.as_str());
        c["status"].parse().ok().map(|s| (s, rest))
    }
    if let Some((status, rest)) = BARE_STATUS.captures(text).and_then(read) {
        let body = error_body_text(rest);
        if body.error_type.is_some() || body.provider_code.is_some() || REASON_PHRASE.is_match(rest)
        {
            return Some((status, rest));
        }
    }
    SAID_STATUS.captures(text).and_then(read)
}

/// A failure record from a bare error message: a status where the text states one, then a
/// JSON body or plain text. With it, whether the text tells an error besides a number: an
/// error body, the status's reason phrase (`503 Service Unavailable`), or words that call it an
/// error (`Error code: 429`, `request failed`, `RateLimitError`).
fn record_from_message(text: &str) -> (Record, bool) {
    let mut r = Record::new(SourceKind::SdkPython, Outcome::Failure);
    let (status, rest) = match stated_status(text) {
        Some((status, rest)) => (Some(status), rest),
        None => (None, text),
    };
    r.http_status = status;
    let body = error_body_text(rest);
    let has_body = body.error_type.is_some() || body.provider_code.is_some();
    let tells_error =
        has_body || (status.is_some() && REASON_PHRASE.is_match(rest)) || ERROR_WORD.is_match(text);
    if has_body {
        r.error_type = body.error_type;
        r.provider_code = body.provider_code;
        r.message = body.message;
        r.request_id = body.request_id;
        if r.http_status.is_none() {
            r.http_status = body.status;
        }
    } else {
        r.message = Some(text.to_string());
    }
    (r, tells_error)
}

/// A bare message classified as `explain` and `templates` read it, with the status-only
/// signature set aside, if any.
///
/// A status-only signature ([`Signature::is_status_only`]) stands for failures of an API call
/// that say nothing beyond their status. A bare text gives no call around it: its status is
/// a failure's only when the text tells an error besides the number. A text that merely states
/// one (another service's access line, `"GET /v2/.../servers/detail HTTP/1.1" status: 404
/// len: 1893`) gets the signature that reads its words, else its `unknown.<hash>`: a scan
/// counts no failure in such a line either (an access line is a failure by its request, a
/// status alone in other text is not enough).
fn classify_message<'c>(catalog: &'c Catalog, text: &str) -> (Failure, Option<&'c Signature>) {
    let (record, tells_error) = record_from_message(text);
    if tells_error {
        return (classify("-", record, catalog, utc()), None);
    }
    let f = classify("-", record.clone(), catalog, utc());
    match catalog.get(&f.signature).filter(|s| s.is_status_only()) {
        Some(catch_all) => (
            classify_by_text("-", record, catalog, utc()),
            Some(catch_all),
        ),
        None => (f, None),
    }
}

/// What `templates` makes of each line: the signature the line gets as a failure message (a
/// catalog id, or `unknown.<hash>` of its template) and its template, learned from all lines.
pub struct LineTemplates {
    /// Per line, an index into `named`.
    rows: Vec<u32>,
    named: Vec<(String, String)>,
}

impl LineTemplates {
    /// (signature, template) of each line, in input order.
    pub fn lines(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.rows.iter().map(|&i| {
            let (sig, t) = &self.named[i as usize];
            (sig.as_str(), t.as_str())
        })
    }
}

/// Every line read as a failure message, its template grouped with those of all the lines
/// (see [`crate::template::group`]). Memory grows with distinct templates, plus 4 bytes a line.
pub fn templates(catalog: &Catalog, lines: impl IntoIterator<Item = String>) -> LineTemplates {
    // (masked template, catalog id, error type, status) of each distinct kind of line.
    type Seen = (String, Option<String>, String, Option<u16>);
    let mut kinds: Vec<Seen> = Vec::new();
    let mut index: HashMap<Seen, u32> = HashMap::new();
    let mut rows = Vec::new();
    for line in lines {
        let (f, _) = classify_message(catalog, line.trim());
        let known = (&*f.cluster != "unknown").then(|| f.signature.to_string());
        let seen = (
            template(f.message.as_deref().unwrap_or("")),
            known,
            f.error_type,
            f.status,
        );
        let next = u32::try_from(kinds.len()).unwrap_or(u32::MAX);
        let i = *index.entry(seen.clone()).or_insert_with(|| {
            kinds.push(seen);
            next
        });
        rows.push(i);
    }
    let learned = crate::template::group(kinds.iter().map(|k| k.0.as_str()));
    let named = kinds
        .into_iter()
        .map(|(masked, known, error_type, status)| {
            let t = learned.get(&masked).cloned().unwrap_or(masked);
            let sig = known.unwrap_or_else(|| unknown_id(&t, &error_type, status));
            (sig, t)
        })
        .collect();
    LineTemplates { rows, named }
}

pub fn explain<'c>(catalog: &'c Catalog, text: &str) -> Explanation<'c> {
    if let Some(sig) = catalog.get(text) {
        return Explanation::Signature(sig);
    }
    if ID_LIKE.is_match(text) {
        return Explanation::Unknown;
    }
    let scan = input::parse_text(text, &ScanOptions::default());
    let found: Vec<(Failure, Option<&Signature>)> = if scan.failures.is_empty() {
        vec![classify_message(catalog, text)]
    } else {
        scan.failures
            .into_iter()
            .map(|r| (classify("-", r, catalog, utc()), None))
            .collect()
    };
    Explanation::Failures(
        found
            .into_iter()
            .map(|(failure, set_aside)| Explained {
                signature: catalog.get(&failure.signature),
                failure,
                set_aside,
            })
            .collect(),
    )
}

impl Explanation<'_> {
    pub fn render(&self) -> String {
        let mut s = String::new();
        match self {
            Explanation::Unknown => {}
            Explanation::Signature(sig) => describe(&mut s, sig),
            Explanation::Failures(list) => {
                for (i, e) in list.iter().enumerate() {
                    let (f, sig) = (&e.failure, e.signature);
                    if i > 0 {
                        s.push('\n');
                    }
                    let _ = writeln!(
                        s,
                        "failure: status {}, http_status {}, error_type {}{}",
                        f.status.map_or("none".into(), |x| x.to_string()),
                        f.http_status.map_or("none".into(), |x| x.to_string()),
                        f.error_type,
                        f.provider_code
                            .as_deref()
                            .map(|c| format!(", provider_code {c}"))
                            .unwrap_or_default()
                    );
                    if let Some(m) = &f.message {
                        let _ = writeln!(s, "message: {m}");
                    }
                    match sig {
                        Some(sig) => describe(&mut s, sig),
                        None => {
                            let _ = writeln!(
                                s,
                                "signature: {} (cluster unknown: no catalog entry matched{})\ntemplate: {}\nfix: No known signature. If this failure recurs, add one: see patterns/README.md.",
                                f.signature,
                                if e.set_aside.is_some() { " its words" } else { "" },
                                template(f.message.as_deref().unwrap_or(""))
                            );
                        }
                    }
                    if let Some(aside) = e.set_aside {
                        let _ = writeln!(
                            s,
                            "note: {} matches any {} and is not given: the text tells no error besides its status",
                            aside.id,
                            f.status.map_or("status".into(), |x| x.to_string()),
                        );
                    }
                }
            }
        }
        s
    }
}

fn describe(s: &mut String, sig: &Signature) {
    let _ = writeln!(s, "signature: {} ({})", sig.id, sig.title);
    let _ = writeln!(
        s,
        "cluster: {}  priority: {}  retryable: {}",
        sig.cluster, sig.priority, sig.retryable
    );
    let _ = writeln!(s, "fix: {}", sig.fix);
    for d in &sig.docs {
        let _ = writeln!(s, "docs: {d}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_builtin_example_selects_its_signature() {
        let catalog = Catalog::load(&[] as &[&Path]).unwrap();
        let result = run(&catalog);
        assert!(result.examples > 0);
        assert!(result.misses.is_empty(), "{:#?}", result.misses);
    }

    #[test]
    fn a_broken_example_is_reported() {
        let dir = std::env::temp_dir().join(format!("cls-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("billing.toml"),
            r#"
cluster = "billing"
[[signature]]
id = "billing.test_credit"
title = "t"
retryable = false
keywords = ["credit balance"]
match = { message = ['(?i)credit balance is too low'] }
fix = "Buy credits."
examples = [{ status = 400, message = "Your credit balance is too low" }, { status = 400, message = "something else" }]
counterexamples = [{ status = 400, message = "Your credit balance is too low" }]
"#,
        )
        .unwrap();
        let catalog = Catalog::load_dir_only(&dir).unwrap();
        let result = run(&catalog);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(result.examples, 2);
        assert_eq!(result.misses.len(), 2, "{:?}", result.misses);
    }

    #[test]
    fn explain_classifies_a_pasted_body_and_refuses_unknown_ids() {
        let catalog = Catalog::load(&[] as &[&Path]).unwrap();
        let pasted =
            r#"529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        match explain(&catalog, pasted) {
            Explanation::Failures(list) => {
                assert_eq!(list[0].failure.status, Some(529));
                assert_eq!(&*list[0].failure.cluster, "overloaded");
            }
            _ => panic!("expected a classification"),
        }
        assert!(matches!(
            explain(&catalog, "rate_limit.no_such_thing"),
            Explanation::Unknown
        ));
    }

    /// What `templates` and `explain` give a bare text whose status only a status-only
    /// signature would read.
    #[test]
    fn a_status_alone_is_no_failure_for_a_catch_all() {
        let catalog = Catalog::load(&[] as &[&Path]).unwrap();
        let sig = |text: &str| classify_message(&catalog, text).0.signature.to_string();
        // Another service's access line states its status and no error.
        let access = r#"10.11.10.1 "GET /v2/54fadb41/servers/detail HTTP/1.1" status: 404 len: 1893 time: 0.2477829"#;
        let (f, aside) = classify_message(&catalog, access);
        assert_eq!(&*f.cluster, "unknown");
        assert_eq!(aside.map(|s| s.id.as_str()), Some("gateway.bare_404"));
        // The status stays a field of the line; the id is its template's, as for any unknown.
        assert_eq!(f.status, Some(404));
        let post = r#"10.11.10.1 "GET /v2/9f3e2a11/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.1"#;
        assert_eq!(sig(access), sig(post));
        // A status told as an error keeps its catch-all: by the client's words, a reason
        // phrase, an error body, the line's own error words.
        for text in [
            "Error code: 404 - {'type': 'error', 'error': {'type': 'not_found_error', 'message': 'Not Found'}}",
            "API Error: 404",
            "HTTP/1.1 404 Not Found",
            "404 Not Found",
            "POST /v1/messages failed, status: 404",
            r#"NotFoundError: status code 404"#,
        ] {
            let (f, aside) = classify_message(&catalog, text);
            assert_eq!(&*f.signature, "gateway.bare_404", "{text}");
            assert!(aside.is_none(), "{text}");
        }
        assert_eq!(
            sig("Request failed with status code 429"),
            "rate_limit.generic"
        );
        assert!(sig("status code 429").starts_with("unknown."));
        // A signature that reads the text is given whatever tells the status.
        assert_eq!(
            sig("status: 404 model: claude-sonet-4 len: 12"),
            "model_not_found.generic"
        );
        match explain(&catalog, access) {
            Explanation::Failures(list) => {
                assert_eq!(
                    list[0].set_aside.map(|s| s.id.as_str()),
                    Some("gateway.bare_404")
                );
                let text = Explanation::Failures(list).render();
                assert!(
                    text.contains("note: gateway.bare_404 matches any 404"),
                    "{text}"
                );
            }
            _ => panic!("expected a classification"),
        }
    }
}
