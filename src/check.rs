//! The catalog's own tests and `explain`: both go through the production path (the real input
//! parsers for text, the real classifier for fields), so what passes here is what a scan does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::FixedOffset;
use regex::Regex;

use crate::catalog::{Catalog, Example, Signature};
use crate::classify::{classify, template, unknown_id, Failure};
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

pub enum Explanation<'c> {
    Signature(&'c Signature),
    Failures(Vec<(Failure, Option<&'c Signature>)>),
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
/// JSON body or plain text.
fn record_from_message(text: &str) -> Record {
    let mut r = Record::new(SourceKind::SdkPython, Outcome::Failure);
    let (status, rest) = match stated_status(text) {
        Some((status, rest)) => (Some(status), rest),
        None => (None, text),
    };
    r.http_status = status;
    let body = error_body_text(rest);
    if body.error_type.is_some() || body.provider_code.is_some() {
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
    r
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
        let f = classify("-", record_from_message(line.trim()), catalog, utc());
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
    let records = if scan.failures.is_empty() {
        vec![record_from_message(text)]
    } else {
        scan.failures
    };
    Explanation::Failures(
        records
            .into_iter()
            .map(|r| {
                let f = classify("-", r, catalog, utc());
                let sig = catalog.get(&f.signature);
                (f, sig)
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
                for (i, (f, sig)) in list.iter().enumerate() {
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
                                "signature: {} (cluster unknown: no catalog entry matched)\ntemplate: {}\nfix: No known signature. If this failure recurs, add one: see patterns/README.md.",
                                f.signature,
                                template(f.message.as_deref().unwrap_or(""))
                            );
                        }
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
                assert_eq!(list[0].0.status, Some(529));
                assert_eq!(&*list[0].0.cluster, "overloaded");
            }
            _ => panic!("expected a classification"),
        }
        assert!(matches!(
            explain(&catalog, "rate_limit.no_such_thing"),
            Explanation::Unknown
        ));
    }
}
