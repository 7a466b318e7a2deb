//! The signature catalog: TOML data in `patterns/`, compiled into the binary and extendable at
//! run time with `--patterns DIR`, and the matcher that picks the signature for a record.
//!
//! Matching is: one Aho-Corasick pass over the record's text finds the signatures whose
//! keywords occur; signatures without keywords (which must name a status or an error type)
//! are always candidates; only candidates evaluate their conditions and regexes. The winner is
//! the highest priority, then the most conditions, then the smallest id: never file order.
//!
//! Invariants: every id starts with its cluster and a dot; clusters are the closed list of
//! README.md, "Clusters and signatures"; keywords are lowercase and matched case-insensitively.

use std::collections::BTreeMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Deserialize;

use crate::record::{Record, SourceKind};

/// The root-cause clusters of README.md, "Clusters and signatures", in the order reports list them.
pub const CLUSTERS: [&str; 22] = [
    "auth",
    "permission",
    "billing",
    "model_not_found",
    "request_validation",
    "tool_use",
    "context_length",
    "request_size",
    "rate_limit",
    "overloaded",
    "server_error",
    "timeout",
    "connection",
    "streaming",
    "bedrock_routing",
    "vertex_routing",
    "gateway",
    "prompt_caching",
    "content_policy",
    "batch",
    "sdk_environment",
    "unknown",
];

/// The catalog compiled into the binary: (file stem, TOML text) of every `patterns/*.toml`.
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("{origin}: cannot read: {source}")]
    Io {
        origin: String,
        source: std::io::Error,
    },
}

fn invalid(origin: &str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        origin: origin.to_string(),
        message: message.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    cluster: String,
    #[serde(default)]
    signature: Vec<SignatureSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureSpec {
    id: String,
    title: String,
    #[serde(default = "default_priority")]
    priority: i32,
    retryable: bool,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default, rename = "match")]
    conditions: MatchSpec,
    fix: String,
    #[serde(default)]
    docs: Vec<String>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    counterexamples: Vec<Example>,
}

fn default_priority() -> i32 {
    50
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    #[serde(default)]
    status: Vec<u16>,
    #[serde(default)]
    http_status: Vec<u16>,
    #[serde(default)]
    no_status: bool,
    #[serde(default)]
    error_type: Vec<String>,
    #[serde(default)]
    provider_code: Vec<String>,
    #[serde(default)]
    message: Vec<String>,
    #[serde(default)]
    not_message: Vec<String>,
    #[serde(default)]
    provider: Vec<String>,
    #[serde(default)]
    source_kind: Vec<String>,
    #[serde(default)]
    endpoint: Vec<String>,
    #[serde(default)]
    header: BTreeMap<String, String>,
}

/// A signature's own test case: either a raw log excerpt (`text`, parsed by the real input
/// parsers) or the fields of a record.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// One compiled catalog entry.
#[derive(Debug)]
pub struct Signature {
    pub id: String,
    pub cluster: String,
    pub title: String,
    pub priority: i32,
    pub retryable: bool,
    pub keywords: Vec<String>,
    pub fix: String,
    pub docs: Vec<String>,
    pub examples: Vec<Example>,
    pub counterexamples: Vec<Example>,
    /// Where it was defined (`builtin:auth.toml` or a path).
    pub origin: String,
    conditions: Conditions,
    /// See [`Signature::is_status_only`].
    status_only: bool,
}

#[derive(Debug, Default)]
struct Conditions {
    status: Vec<u16>,
    http_status: Vec<u16>,
    no_status: bool,
    error_type: Vec<String>,
    provider_code: Vec<String>,
    message: Vec<LazyRegex>,
    not_message: Vec<LazyRegex>,
    provider: Vec<String>,
    source_kind: Vec<SourceKind>,
    endpoint: Vec<LazyRegex>,
    header: Vec<(String, LazyRegex)>,
}

/// A regex checked when the catalog loads but compiled on first use: a run meets a few
/// dozen signatures, and compiling all of them took a tenth of a second at every start.
#[derive(Debug)]
struct LazyRegex {
    source: String,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    fn new(source: &str) -> Result<LazyRegex, String> {
        regex_syntax::Parser::new()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            source: source.to_string(),
            compiled: std::sync::OnceLock::new(),
        })
    }

    fn is_match(&self, text: &str) -> bool {
        // The syntax was checked at load; a size limit is the only way compiling can still
        // fail, and such a regex matches nothing.
        self.compiled
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(text))
    }
}

impl Conditions {
    /// How specific the signature is: the number of condition kinds it sets.
    fn count(&self) -> usize {
        [
            !self.status.is_empty(),
            !self.http_status.is_empty(),
            self.no_status,
            !self.error_type.is_empty(),
            !self.provider_code.is_empty(),
            !self.message.is_empty(),
            !self.not_message.is_empty(),
            !self.provider.is_empty(),
            !self.source_kind.is_empty(),
            !self.endpoint.is_empty(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
            + self.header.len()
    }

    fn matches(&self, record: &Record, status: Option<u16>) -> bool {
        if !self.status.is_empty() && !status.is_some_and(|s| self.status.contains(&s)) {
            return false;
        }
        if !self.http_status.is_empty()
            && !record
                .http_status
                .is_some_and(|s| self.http_status.contains(&s))
        {
            return false;
        }
        if self.no_status && status.is_some() {
            return false;
        }
        if !self.error_type.is_empty()
            && !record
                .error_type
                .as_deref()
                .is_some_and(|t| self.error_type.iter().any(|e| e == t))
        {
            return false;
        }
        if !self.provider_code.is_empty()
            && !record
                .provider_code
                .as_deref()
                .is_some_and(|c| self.provider_code.iter().any(|p| p.eq_ignore_ascii_case(c)))
        {
            return false;
        }
        if !self.provider.is_empty()
            && !record
                .provider
                .as_deref()
                .is_some_and(|p| self.provider.iter().any(|x| x == p))
        {
            return false;
        }
        if !self.source_kind.is_empty() && !self.source_kind.contains(&record.source_kind) {
            return false;
        }
        if !self.endpoint.is_empty()
            && !record
                .endpoint
                .as_deref()
                .is_some_and(|e| self.endpoint.iter().any(|r| r.is_match(e)))
        {
            return false;
        }
        for (name, re) in &self.header {
            match record.header(name) {
                Some(v) if re.is_match(v) => {}
                _ => return false,
            }
        }
        let message = record.message.as_deref().unwrap_or("");
        if !self.message.is_empty() && !self.message.iter().any(|r| r.is_match(message)) {
            return false;
        }
        if self.not_message.iter().any(|r| r.is_match(message)) {
            return false;
        }
        true
    }
}

impl Signature {
    /// A catch-all for a status: the signature matches on the status (and on where the call
    /// went: provider, source, endpoint, headers), never on the failure's text, error type or
    /// code (`gateway.bare_404`, `rate_limit.generic`).
    pub fn is_status_only(&self) -> bool {
        self.status_only
    }
}

/// The compiled catalog with its keyword prefilter.
#[derive(Debug)]
pub struct Catalog {
    signatures: Vec<Signature>,
    prefilter: Option<AhoCorasick>,
    /// For each prefilter pattern, the signatures that own that keyword.
    owners: Vec<Vec<usize>>,
    /// Signatures without keywords: always candidates.
    always: Vec<usize>,
}

impl Catalog {
    /// The built-in catalog, plus every `*.toml` of each directory in `extra` (later
    /// definitions of an id replace earlier ones).
    pub fn load(extra: &[impl AsRef<Path>]) -> Result<Catalog, CatalogError> {
        let mut specs = Vec::new();
        for (name, text) in BUILTIN {
            specs.push(parse_file(&format!("builtin:{name}.toml"), name, text)?);
        }
        for dir in extra {
            specs.extend(read_dir_specs(dir.as_ref())?);
        }
        Catalog::build(specs)
    }

    /// Only the signatures in `dir` (for `patterns check DIR`).
    pub fn load_dir_only(dir: &Path) -> Result<Catalog, CatalogError> {
        Catalog::build(read_dir_specs(dir)?)
    }

    fn build(files: Vec<Vec<Signature>>) -> Result<Catalog, CatalogError> {
        let mut by_id: BTreeMap<String, Signature> = BTreeMap::new();
        for file in files {
            for sig in file {
                by_id.insert(sig.id.clone(), sig);
            }
        }
        let signatures: Vec<Signature> = by_id.into_values().collect();
        let mut keyword_index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut always = Vec::new();
        for (i, sig) in signatures.iter().enumerate() {
            if sig.keywords.is_empty() {
                always.push(i);
            }
            for k in &sig.keywords {
                keyword_index.entry(k.clone()).or_default().push(i);
            }
        }
        let (patterns, owners): (Vec<String>, Vec<Vec<usize>>) = keyword_index.into_iter().unzip();
        let prefilter = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|e| invalid("catalog", format!("keyword automaton: {e}")))?,
            )
        };
        Ok(Catalog {
            signatures,
            prefilter,
            owners,
            always,
        })
    }

    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    pub fn get(&self, id: &str) -> Option<&Signature> {
        self.signatures
            .binary_search_by(|s| s.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.signatures[i])
    }

    /// The best signature for a failure record, or `None` when nothing matches.
    pub fn classify(&self, record: &Record) -> Option<&Signature> {
        self.best(record, true)
    }

    /// [`Catalog::classify`] among the signatures that read the failure's text, type or code:
    /// no status-only catch-all ([`Signature::is_status_only`]).
    pub fn classify_by_text(&self, record: &Record) -> Option<&Signature> {
        self.best(record, false)
    }

    fn best(&self, record: &Record, catch_alls: bool) -> Option<&Signature> {
        let status = record.effective_status();
        let mut candidate = vec![false; self.signatures.len()];
        for &i in &self.always {
            candidate[i] = true;
        }
        if let Some(ac) = &self.prefilter {
            for hay in [
                record.message.as_deref(),
                record.error_type.as_deref(),
                record.provider_code.as_deref(),
            ]
            .into_iter()
            .flatten()
            {
                for m in ac.find_overlapping_iter(hay) {
                    for &i in &self.owners[m.pattern().as_usize()] {
                        candidate[i] = true;
                    }
                }
            }
        }
        let mut best: Option<&Signature> = None;
        for (i, sig) in self.signatures.iter().enumerate() {
            if !candidate[i]
                || (sig.status_only && !catch_alls)
                || !sig.conditions.matches(record, status)
            {
                continue;
            }
            best = match best {
                None => Some(sig),
                Some(b) if better(sig, b) => Some(sig),
                keep => keep,
            };
        }
        best
    }

    /// What [`Catalog::classify`] must answer, without the keyword automaton: every signature
    /// is tried, its keywords looked for by plain case-insensitive search. Slow; the fuzz
    /// target `catalog` checks the fast matcher against it.
    #[doc(hidden)]
    pub fn classify_exhaustive(&self, record: &Record) -> Option<&Signature> {
        let status = record.effective_status();
        let hays: Vec<String> = [
            record.message.as_deref(),
            record.error_type.as_deref(),
            record.provider_code.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(str::to_ascii_lowercase)
        .collect();
        let mut best: Option<&Signature> = None;
        for sig in &self.signatures {
            let keyword_found = sig.keywords.is_empty()
                || sig.keywords.iter().any(|k| {
                    let k = k.to_ascii_lowercase();
                    hays.iter().any(|h| h.contains(&k))
                });
            if !keyword_found || !sig.conditions.matches(record, status) {
                continue;
            }
            if best.is_none_or(|b| better(sig, b)) {
                best = Some(sig);
            }
        }
        best
    }
}

/// Priority first, then specificity, then the smaller id (deterministic, never file order).
fn better(a: &Signature, b: &Signature) -> bool {
    (a.priority, a.conditions.count(), std::cmp::Reverse(&a.id))
        > (b.priority, b.conditions.count(), std::cmp::Reverse(&b.id))
}

fn read_dir_specs(dir: &Path) -> Result<Vec<Vec<Signature>>, CatalogError> {
    let origin = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Io {
        origin: origin.clone(),
        source,
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(invalid(
            &origin,
            "no *.toml signature files in this directory",
        ));
    }
    let mut out = Vec::new();
    for path in paths {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Io {
            origin: origin.clone(),
            source,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        out.push(parse_file(&origin, &stem, &text)?);
    }
    Ok(out)
}

fn parse_file(origin: &str, stem: &str, text: &str) -> Result<Vec<Signature>, CatalogError> {
    let file: ClusterFile = toml::from_str(text).map_err(|e| invalid(origin, e.to_string()))?;
    if !CLUSTERS.contains(&file.cluster.as_str()) || file.cluster == "unknown" {
        return Err(invalid(
            origin,
            format!(
                "cluster `{}` is not one of: {}",
                file.cluster,
                CLUSTERS[..CLUSTERS.len() - 1].join(", ")
            ),
        ));
    }
    if stem != file.cluster {
        return Err(invalid(
            origin,
            format!(
                "file is named `{stem}.toml` but declares cluster `{}`",
                file.cluster
            ),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(file.signature.len());
    for spec in file.signature {
        let origin = format!("{origin}: {}", spec.id);
        if !seen.insert(spec.id.clone()) {
            return Err(invalid(&origin, "duplicate id in this file"));
        }
        out.push(compile(&origin, &file.cluster, spec)?);
    }
    Ok(out)
}

fn compile(origin: &str, cluster: &str, spec: SignatureSpec) -> Result<Signature, CatalogError> {
    let prefix = format!("{cluster}.");
    let rest = spec.id.strip_prefix(&prefix).unwrap_or("");
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
    {
        return Err(invalid(
            origin,
            format!("id must be `{cluster}.<name>` in lowercase letters, digits, `_` and `.`"),
        ));
    }
    for k in &spec.keywords {
        if k.trim().is_empty() || k.to_lowercase() != *k {
            return Err(invalid(
                origin,
                format!("keyword `{k}` must be non-empty and lowercase"),
            ));
        }
    }
    let m = spec.conditions;
    if spec.keywords.is_empty() && m.status.is_empty() && m.error_type.is_empty() && !m.no_status {
        return Err(invalid(
            origin,
            "a signature without keywords needs a `status`, `no_status` or `error_type` condition",
        ));
    }
    if spec.fix.trim().is_empty() {
        return Err(invalid(origin, "`fix` is empty"));
    }
    let regexes = |list: &[String], what: &str| -> Result<Vec<LazyRegex>, CatalogError> {
        list.iter()
            .map(|r| LazyRegex::new(r).map_err(|e| invalid(origin, format!("{what} regex: {e}"))))
            .collect()
    };
    let mut source_kind = Vec::new();
    for s in &m.source_kind {
        source_kind.push(
            SourceKind::parse(s)
                .ok_or_else(|| invalid(origin, format!("unknown source_kind `{s}`")))?,
        );
    }
    let mut header = Vec::new();
    for (name, re) in &m.header {
        let re = LazyRegex::new(re).map_err(|e| invalid(origin, format!("header regex: {e}")))?;
        header.push((name.to_ascii_lowercase(), re));
    }
    let conditions = Conditions {
        message: regexes(&m.message, "message")?,
        not_message: regexes(&m.not_message, "not_message")?,
        endpoint: regexes(&m.endpoint, "endpoint")?,
        status: m.status,
        http_status: m.http_status,
        no_status: m.no_status,
        error_type: m.error_type,
        provider_code: m.provider_code,
        provider: m.provider,
        source_kind,
        header,
    };
    if spec.examples.is_empty() {
        return Err(invalid(origin, "at least one example is required"));
    }
    let status_only = spec.keywords.is_empty()
        && (!conditions.status.is_empty() || !conditions.http_status.is_empty())
        && conditions.error_type.is_empty()
        && conditions.provider_code.is_empty()
        && conditions.message.is_empty();
    Ok(Signature {
        id: spec.id,
        cluster: cluster.to_string(),
        title: spec.title,
        priority: spec.priority,
        retryable: spec.retryable,
        keywords: spec.keywords,
        fix: spec.fix.trim().to_string(),
        docs: spec.docs,
        examples: spec.examples,
        counterexamples: spec.counterexamples,
        origin: origin.to_string(),
        conditions,
        status_only,
    })
}

impl Example {
    /// The record a field example stands for (`None` for text examples).
    pub fn to_record(&self) -> Option<Record> {
        if self.text.is_some() {
            return None;
        }
        let kind = self
            .source_kind
            .as_deref()
            .and_then(SourceKind::parse)
            .unwrap_or(SourceKind::SdkPython);
        let mut r = Record::new(kind, crate::record::Outcome::Failure);
        r.http_status = self.http_status.or(self.status);
        r.status = self.status;
        r.error_type = self.error_type.clone();
        r.provider_code = self.provider_code.clone();
        r.message = self.message.clone();
        r.provider = self.provider.clone();
        r.endpoint = self.endpoint.clone();
        r.headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Outcome;

    fn catalog(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::build(vec![parse_file("test", "rate_limit", text)?])
    }

    const TWO: &str = r#"
cluster = "rate_limit"
[[signature]]
id = "rate_limit.generic"
title = "Rate limited"
retryable = true
match = { status = [429] }
fix = "Slow down."
examples = [{ status = 429 }]

[[signature]]
id = "rate_limit.output_tokens"
title = "Output tokens per minute"
retryable = true
keywords = ["output tokens per minute"]
match = { status = [429], message = ["(?i)output tokens per minute"] }
fix = "Lower max_tokens."
examples = [{ status = 429, message = "... of 8,000 output tokens per minute ..." }]
"#;

    fn failure(status: u16, message: &str) -> Record {
        let mut r = Record::new(SourceKind::Nginx, Outcome::Failure);
        r.http_status = Some(status);
        r.message = Some(message.into());
        r
    }

    #[test]
    fn more_specific_signature_wins_at_equal_priority() {
        let c = catalog(TWO).unwrap();
        let r = failure(429, "rate limit of 8,000 Output Tokens Per Minute");
        assert_eq!(c.classify(&r).unwrap().id, "rate_limit.output_tokens");
        let r = failure(429, "slow down");
        assert_eq!(c.classify(&r).unwrap().id, "rate_limit.generic");
        assert!(c.classify(&failure(500, "x")).is_none());
    }

    #[test]
    fn rejects_signature_without_keywords_or_status() {
        let text = r#"
cluster = "rate_limit"
[[signature]]
id = "rate_limit.everything"
title = "x"
retryable = true
match = { message = ["."] }
fix = "x"
examples = [{ message = "x" }]
"#;
        let e = catalog(text).unwrap_err().to_string();
        assert!(e.contains("without keywords"), "{e}");
    }

    #[test]
    fn rejects_id_outside_its_cluster() {
        let text = TWO.replace("rate_limit.generic", "auth.generic");
        assert!(catalog(&text).is_err());
    }

    #[test]
    fn a_status_only_signature_is_told_from_one_that_reads_the_text() {
        let c = catalog(TWO).unwrap();
        let get = |id| c.get(id).unwrap().is_status_only();
        assert!(get("rate_limit.generic"));
        assert!(!get("rate_limit.output_tokens"));
        let builtin = Catalog::load(&[] as &[&Path]).unwrap();
        let get = |id| builtin.get(id).unwrap().is_status_only();
        assert!(get("gateway.bare_404"));
        // A 404 whose message names a model; an error type is the failure's own word.
        assert!(!get("model_not_found.generic"));
        assert!(!get("overloaded.overloaded_error_type"));
        // Without the catch-alls, a 429 that says nothing more matches nothing; one whose
        // text a signature reads still gets it.
        assert!(c.classify_by_text(&failure(429, "slow down")).is_none());
        let r = failure(429, "8,000 output tokens per minute");
        assert_eq!(
            c.classify_by_text(&r).unwrap().id,
            "rate_limit.output_tokens"
        );
    }

    #[test]
    fn builtin_catalog_loads() {
        let c = Catalog::load(&[] as &[&Path]).unwrap();
        assert!(!c.signatures().is_empty());
    }
}
