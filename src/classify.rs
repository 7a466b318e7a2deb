//! From records to failures: resolve the effective status and error type, join the same
//! attempt seen in several files (shared request id), redact and cut the message, and pick the
//! catalog signature (or an `unknown.<hash>` of the message template).
//!
//! Invariants: every string a [`Failure`] holds is already redacted; the unknown signature of a
//! message is the same on every machine and run.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};
use regex::Regex;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::record::{error_type_for_status, Record, SourceKind};
use crate::redact::{redact, truncate_chars};
use crate::time;

/// Longest message kept, in characters (design.md section 8).
pub const MESSAGE_MAX_CHARS: usize = 500;

/// One failed attempt, classified. Field order is the event schema of design.md section 6.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    #[serde(serialize_with = "ser_time")]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_str")]
    pub file: Arc<str>,
    pub line: Option<u64>,
    /// 0-based entry of a JSON document (clamped to u32, like `latency_ms`).
    pub entry: Option<u32>,
    pub source_kind: SourceKind,
    pub provider: Option<String>,
    pub endpoint: Option<String>,
    pub status: Option<u16>,
    pub http_status: Option<u16>,
    pub error_type: String,
    pub provider_code: Option<String>,
    pub message: Option<String>,
    pub model: Option<String>,
    pub request_id: Option<String>,
    #[serde(serialize_with = "ser_str")]
    pub cluster: Arc<str>,
    #[serde(serialize_with = "ser_str")]
    pub signature: Arc<str>,
    pub retryable: Option<bool>,
    pub attempt: Option<u32>,
    /// Milliseconds (a u32 holds 49 days; longer is clamped). Kept small so a failure fits in
    /// the place of the record it is made from (see [`join_and_classify`]).
    pub latency_ms: Option<u32>,
}

/// The event fields, in order (for CSV headers and tests).
pub const EVENT_FIELDS: [&str; 19] = [
    "timestamp",
    "file",
    "line",
    "entry",
    "source_kind",
    "provider",
    "endpoint",
    "status",
    "http_status",
    "error_type",
    "provider_code",
    "message",
    "model",
    "request_id",
    "cluster",
    "signature",
    "retryable",
    "attempt",
    "latency_ms",
];

fn ser_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

fn ser_time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&time::format_rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// Join failures that share a request id across files: one attempt seen by several sources.
/// The first file (in input order) keeps the failure; later sightings fill its gaps. Every
/// record whose request id an earlier file already told is moved into that earlier record and
/// marked dead.
fn absorb_across_files(per_file: &mut [(String, Vec<Record>)]) -> Vec<Vec<bool>> {
    let mut dead: Vec<Vec<bool>> = per_file.iter().map(|(_, r)| vec![false; r.len()]).collect();
    let mut by_id: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (f, dead_here) in dead.iter_mut().enumerate() {
        // Earlier files on the left of the split, this one on the right.
        let (left, right) = per_file.split_at_mut(f);
        for (i, slot) in right[0].1.iter_mut().enumerate() {
            let Some(id) = slot.request_id.clone() else {
                continue;
            };
            if let Some(&(g, j)) = by_id.get(&id) {
                if g != f {
                    let placeholder = Record::new(slot.source_kind, slot.outcome);
                    left[g].1[j].absorb(std::mem::replace(slot, placeholder));
                    dead_here[i] = true;
                    continue;
                }
            }
            by_id.insert(id, (f, i));
        }
    }
    dead
}

/// The cross-file join and [`classify_with`] for a whole run, in input order, without a
/// second copy of every failure: each file's records become its failures in place.
pub fn join_and_classify(
    per_file: Vec<(String, Vec<Record>)>,
    catalog: &Catalog,
    tz: FixedOffset,
) -> Vec<Failure> {
    let mut per_file = per_file;
    let dead = absorb_across_files(&mut per_file);
    let mut names = Names::default();
    let mut all: Vec<Failure> = Vec::new();
    for ((file, records), dead) in per_file.into_iter().zip(dead) {
        let file: Arc<str> = Arc::from(file);
        let mut failures: Vec<Failure> = records
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !dead[*i])
            .map(|(_, r)| classify_with(file.clone(), r, catalog, tz, &mut names))
            .collect();
        // The larger vector takes the other in, so the big one is never copied.
        if failures.len() > all.len() {
            failures.reserve_exact(all.len());
            failures.splice(0..0, all);
            all = failures;
        } else {
            all.reserve_exact(failures.len());
            all.append(&mut failures);
        }
    }
    all
}

/// Strings that many failures share (cluster and signature ids), kept once.
#[derive(Debug, Default)]
pub struct Names(HashSet<Arc<str>>);

impl Names {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }
}

/// Classify one failure record.
pub fn classify(file: &str, record: Record, catalog: &Catalog, tz: FixedOffset) -> Failure {
    classify_with(Arc::from(file), record, catalog, tz, &mut Names::default())
}

/// [`classify`] for many records: the file name and the ids are shared, not copied.
pub fn classify_with(
    file: Arc<str>,
    record: Record,
    catalog: &Catalog,
    tz: FixedOffset,
    names: &mut Names,
) -> Failure {
    let mut record = record;
    let status = record.effective_status();
    let error_type = record
        .error_type
        .clone()
        .unwrap_or_else(|| status.map_or("unknown", error_type_for_status).to_string());
    record.error_type = Some(error_type.clone());
    let (cluster, signature, mut retryable) = match catalog.classify(&record) {
        Some(sig) => (
            names.get(&sig.cluster),
            names.get(&sig.id),
            Some(sig.retryable),
        ),
        None => (
            names.get("unknown"),
            names.get(&unknown_signature(
                record.message.as_deref(),
                &error_type,
                status,
            )),
            None,
        ),
    };
    if let Some(v) = record.header("x-should-retry") {
        match v.trim() {
            "true" => retryable = Some(true),
            "false" => retryable = Some(false),
            _ => {}
        }
    }
    // Redacted; the string itself when there was nothing to mask.
    let clean = |s: Option<String>| {
        s.map(|s| match redact(&s) {
            Cow::Borrowed(_) => s,
            Cow::Owned(o) => o,
        })
    };
    Failure {
        timestamp: record.stamp.and_then(|s| time::resolve(s, tz)),
        file,
        line: record.line,
        entry: record.entry.map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
        source_kind: record.source_kind,
        provider: record.provider,
        endpoint: clean(record.endpoint),
        status,
        http_status: record.http_status,
        // The type is open-ended text from the body: it leaves the tool too.
        error_type: clean(Some(error_type)).unwrap_or_default(),
        provider_code: clean(record.provider_code),
        message: record
            .message
            .map(|m| truncate_chars(&redact(&m), MESSAGE_MAX_CHARS)),
        model: clean(record.model),
        request_id: clean(record.request_id),
        cluster,
        signature,
        retryable,
        attempt: record.attempt,
        latency_ms: record
            .latency_ms
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
    }
}

/// The message with its variable parts masked, so one kind of error forms one group.
pub fn template(message: &str) -> String {
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"'[^']*'|"[^"]*"|`[^`]*`"#).expect("static regex"));
    static ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b[A-Za-z_]*[0-9][A-Za-z0-9_\-.:/]*\b|\b[0-9a-fA-F]{8,}\b")
            .expect("static regex")
    });
    static SPACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").expect("static regex"));
    let t = QUOTED.replace_all(message, "<q>");
    let t = ID.replace_all(&t, "<n>");
    SPACE.replace_all(t.trim(), " ").into_owned()
}

/// `unknown.<hash>`: FNV-1a over the template, error type and status; stable everywhere.
pub fn unknown_signature(message: Option<&str>, error_type: &str, status: Option<u16>) -> String {
    let key = format!(
        "{}|{}|{}",
        message.map(template).unwrap_or_default(),
        error_type,
        status.map(|s| s.to_string()).unwrap_or_default()
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("unknown.{:010x}", h >> 24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Outcome;

    #[test]
    fn templates_mask_variable_parts() {
        let a = template("Widget 'alpha' failed after 1234 ms on node-7 id=4f9a8b7c6d5e");
        let b = template("Widget 'beta' failed after 99 ms on node-12 id=0a1b2c3d4e5f");
        assert_eq!(a, b);
        assert_eq!(
            unknown_signature(
                Some("Widget 'x' failed after 1 ms on node-1 id=aaaaaaaa1"),
                "api_error",
                Some(500)
            ),
            unknown_signature(
                Some("Widget 'y' failed after 2 ms on node-2 id=bbbbbbbb2"),
                "api_error",
                Some(500)
            ),
        );
        assert_ne!(
            unknown_signature(Some("a thing broke"), "api_error", Some(500)),
            unknown_signature(Some("another thing broke"), "api_error", Some(500)),
        );
    }

    #[test]
    fn unknown_signature_is_pinned() {
        // The hash is part of the output contract: it must not change between releases.
        assert_eq!(
            unknown_signature(Some("Something new happened"), "api_error", Some(500)),
            "unknown.7783d82809"
        );
    }

    #[test]
    fn same_request_id_in_two_files_is_one_failure() {
        let mut a = Record::new(SourceKind::Nginx, Outcome::Failure);
        a.request_id = Some("req_1".into());
        a.http_status = Some(529);
        let mut b = Record::new(SourceKind::SdkPython, Outcome::Failure);
        b.request_id = Some("req_1".into());
        b.message = Some("Overloaded".into());
        let mut c = Record::new(SourceKind::Nginx, Outcome::Failure);
        c.http_status = Some(429);
        let catalog = Catalog::load(&[] as &[&std::path::Path]).unwrap();
        let utc = FixedOffset::east_opt(0).unwrap();
        let failures = join_and_classify(
            vec![("a.log".into(), vec![a]), ("b.log".into(), vec![b, c])],
            &catalog,
            utc,
        );
        assert_eq!(failures.len(), 2);
        assert_eq!(&*failures[0].file, "a.log");
        assert_eq!(failures[0].message.as_deref(), Some("Overloaded"));
        assert_eq!(failures[0].http_status, Some(529));
        assert_eq!(&*failures[1].file, "b.log");
        assert_eq!(failures[1].http_status, Some(429));
    }
}
#[cfg(test)]
mod layout {
    /// [`super::join_and_classify`] turns each file's records into failures in the same
    /// allocation; that needs a failure to be no larger than a record (else memory doubles).
    #[test]
    fn a_failure_fits_where_its_record_was() {
        use std::mem::{align_of, size_of};
        assert!(size_of::<super::Failure>() <= size_of::<crate::record::Record>());
        assert_eq!(
            align_of::<super::Failure>(),
            align_of::<crate::record::Record>()
        );
    }
}
