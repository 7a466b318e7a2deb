//! From records to failures: resolve the effective status and error type, redact and cut the
//! message, and pick the catalog signature (or an `unknown.<hash>` of the message template).
//! (The same attempt seen in several files is joined before, by [`crate::input::join_units`].)
//!
//! Invariants: every string a [`Failure`] holds is already redacted; the unknown signature of a
//! message is the same on every machine and run. It is provisional: the hash of the message's
//! masked template, until the run's templates are grouped ([`crate::aggregate::Fold::group_unknown`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::record::{error_type_for_status, Record, SourceKind};
use crate::redact::{redact, truncate_chars};
use crate::time;

/// Longest message kept, in characters (FORMATS.md).
pub const MESSAGE_MAX_CHARS: usize = 500;

/// One failed attempt, classified. Field order is the event schema of README.md, "Events".
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
    /// Milliseconds (a u32 holds 49 days; longer is clamped), like `entry`: a failure stays
    /// small where many are kept (`--events`).
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
    classify_among(file, record, catalog, tz, names, true)
}

/// [`classify`] without the catalog's status-only catch-alls
/// ([`crate::catalog::Signature::is_status_only`]): a signature that reads the failure's
/// text, type or code, else `unknown.<hash>`.
pub fn classify_by_text(file: &str, record: Record, catalog: &Catalog, tz: FixedOffset) -> Failure {
    classify_among(
        Arc::from(file),
        record,
        catalog,
        tz,
        &mut Names::default(),
        false,
    )
}

fn classify_among(
    file: Arc<str>,
    record: Record,
    catalog: &Catalog,
    tz: FixedOffset,
    names: &mut Names,
    catch_alls: bool,
) -> Failure {
    let mut record = record;
    let status = record.effective_status();
    let error_type = record
        .error_type
        .clone()
        .unwrap_or_else(|| status.map_or("unknown", error_type_for_status).to_string());
    record.error_type = Some(error_type.clone());
    let known = if catch_alls {
        catalog.classify(&record)
    } else {
        catalog.classify_by_text(&record)
    };
    let known = known.map(|sig| (names.get(&sig.cluster), names.get(&sig.id), sig.retryable));
    // Redacted; the string itself when there was nothing to mask.
    let clean = |s: Option<String>| {
        s.map(|s| match redact(&s) {
            Cow::Borrowed(_) => s,
            Cow::Owned(o) => o,
        })
    };
    // The type is open-ended text from the body: it leaves the tool too.
    let error_type = clean(Some(error_type)).unwrap_or_default();
    let message = record
        .message
        .take()
        .map(|m| truncate_chars(&redact(&m), MESSAGE_MAX_CHARS));
    // The unknown signature is a hash of what leaves the tool (redacted, cut), so that the
    // fold can tell it again from the failure alone.
    let (cluster, signature, mut retryable) = match known {
        Some((cluster, id, retryable)) => (cluster, id, Some(retryable)),
        None => (
            names.get("unknown"),
            names.get(&unknown_signature(message.as_deref(), &error_type, status)),
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
        error_type,
        provider_code: clean(record.provider_code),
        message,
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

/// The message with what is surely variable masked (see [`crate::template::mask`]). A
/// message cut at [`MESSAGE_MAX_CHARS`] ends in a piece of a word, which is left out.
pub fn template(message: &str) -> String {
    match message.strip_suffix('…') {
        Some(kept) if message.chars().count() >= MESSAGE_MAX_CHARS => {
            let whole = kept.rsplit_once(char::is_whitespace).map_or("", |(w, _)| w);
            format!("{} …", crate::template::mask(whole))
        }
        _ => crate::template::mask(message),
    }
}

/// The provisional `unknown.<hash>` of a message: [`unknown_id`] of its masked template.
pub fn unknown_signature(message: Option<&str>, error_type: &str, status: Option<u16>) -> String {
    unknown_id(
        &message.map(template).unwrap_or_default(),
        error_type,
        status,
    )
}

/// `unknown.<hash>`: FNV-1a over the template text, the same on every machine and run. The
/// status and error type are fields of the failure, not of its group: they enter the hash only
/// of a failure without a message, whose template is empty.
pub fn unknown_id(template: &str, error_type: &str, status: Option<u16>) -> String {
    let key = if template.is_empty() {
        format!(
            "|{error_type}|{}",
            status.map(|s| s.to_string()).unwrap_or_default()
        )
    } else {
        template.to_string()
    };
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
        let b = template("Widget 'alpha' failed after 99 ms on node-12 id=0a1b2c3d4e5f");
        assert_eq!(a, b);
        assert_eq!(a, "Widget 'alpha' failed after <*> on node-<*> id=<*>");
        // A quoted word is a variable only where the run shows it varies (see `template`).
        assert_ne!(
            a,
            template("Widget 'beta' failed after 1 ms on node-1 id=aaaaaaaa1")
        );
        assert_eq!(
            unknown_signature(
                Some("Widget 'x' failed after 1 ms on node-1 id=aaaaaaaa1"),
                "api_error",
                Some(500)
            ),
            unknown_signature(
                Some("Widget 'x' failed after 2 ms on node-2 id=bbbbbbbb2"),
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
    fn a_cut_message_leaves_out_the_piece_of_a_word() {
        // The cut falls in the last word, which differs.
        let long = |tail: &str| format!("{}{tail}", "x ".repeat(245));
        let a = truncate_chars(&long("abcdefghijklmnop"), MESSAGE_MAX_CHARS);
        let b = truncate_chars(&long("zyxwvutsrqponmlk"), MESSAGE_MAX_CHARS);
        assert!(a.ends_with('…') && a != b);
        assert_eq!(template(&a), template(&b));
        assert!(template(&a).ends_with(" …"));
    }

    #[test]
    fn unknown_signature_is_pinned() {
        // The hash is part of the output contract: it must not change between releases.
        assert_eq!(
            unknown_signature(Some("Something new happened"), "api_error", Some(500)),
            "unknown.6db4a016c8"
        );
        // The status and type are fields of the failure, not of its group.
        assert_eq!(
            unknown_signature(
                Some("Something new happened"),
                "overloaded_error",
                Some(529)
            ),
            "unknown.6db4a016c8"
        );
        // A failure without a message: its type and status are all there is to group by.
        assert_eq!(
            unknown_signature(None, "api_error", Some(500)),
            "unknown.7f6c405154"
        );
    }

    #[test]
    fn same_request_id_in_two_files_is_one_attempt() {
        let mut a = Record::new(SourceKind::Nginx, Outcome::Failure);
        a.request_id = Some("req_1".into());
        a.http_status = Some(529);
        let mut b = Record::new(SourceKind::SdkPython, Outcome::Failure);
        b.request_id = Some("req_1".into());
        b.message = Some("Overloaded".into());
        let mut c = Record::new(SourceKind::Nginx, Outcome::Failure);
        c.http_status = Some(429);
        let mut units = vec![vec![a], vec![b, c]];
        let dead = crate::input::join_units(&mut units, &mut Vec::new());
        assert_eq!(dead, [vec![false], vec![true, false]]);
        assert_eq!(units[0][0].message.as_deref(), Some("Overloaded"));
        assert_eq!(units[0][0].http_status, Some(529));
        assert_eq!(units[1][1].http_status, Some(429));
    }
}
