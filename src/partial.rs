//! Partial reports: what a run over some of the inputs knows before its final merge, written
//! to a file (`--format partial`), and `merge`, which makes the report of one run over all of
//! their inputs from them.
//!
//! A partial holds the [`State`] of its run: per input its line accounting, warnings, formats,
//! successes and call counts, and the failure records that wait for the join by request id
//! (redacted as they were held); the settled failures as a fine fold ([`Fold::fine`]): counts
//! and first/last per (file, minute, status, type, cluster, signature, model as named,
//! provider, endpoint, source), the three earliest examples per (signature, minute, status,
//! model), the unknown signatures' templates. Merging puts the inputs of every partial in one
//! order (the order of a directory walk: [`path_order`]), numbers them as one run would,
//! folds the cells and examples that pass the filters into an ordinary fold for `--by`, and
//! hands the whole to [`crate::state::finish`], the second half of every run: the join by
//! request id across files, the grouping of unknown failures and the report are the run's.
//!
//! The file: one line `claude-logscan partial v<VERSION>`, then a gzip stream of one JSON
//! document ([`Doc`]). ARCHITECTURE.md, "Partial reports", describes it and what bumps the
//! version.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Cell, ExampleKey, Fold, Key};
use crate::catalog::Catalog;
use crate::classify::Failure;
use crate::discover::Problem;
use crate::input::{Held, LineStats, Spill};
use crate::model::normalize_model;
use crate::record::SourceKind;
use crate::state::{self, FileState, State, Unit};
use crate::{redact, render, Config, RunOutcome};

/// The version of the partial format; a partial of another version is refused. Bump it on
/// any change to [`Doc`] or to what it means, including the record encoding of
/// [`Held::encode`] and the order of [`SourceKind::ALL`].
pub const VERSION: u32 = 1;

/// The first line of every partial, before the version number.
const MAGIC: &str = "claude-logscan partial v";

/// The order of inputs in a merge, and of the inputs of a run that writes a partial: the
/// order of a directory walk, path component by component (`a/b` before `a-b`).
pub fn path_order(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// A fingerprint of the catalog's signatures (ids, clusters, titles, priorities, keywords,
/// fixes): partials classified with another catalog are refused.
pub fn catalog_fingerprint(catalog: &Catalog) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    };
    for s in catalog.signatures() {
        eat(&s.id);
        eat(&s.cluster);
        eat(&s.title);
        eat(&s.priority.to_string());
        eat(if s.retryable { "1" } else { "0" });
        for k in &s.keywords {
            eat(k);
        }
        eat(&s.fix);
    }
    format!("{h:016x}")
}

// ---------------------------------------------------------------------------------------------
// The document.

/// A partial report, as written (after the first line, gzip-compressed JSON).
#[derive(Serialize, Deserialize)]
struct Doc {
    /// The version of claude-logscan that wrote it (informational).
    tool: String,
    /// [`catalog_fingerprint`] of the catalog its failures were classified with.
    catalog: String,
    /// `--tz` of its run, seconds east of UTC.
    tz: i32,
    files: Vec<DocFile>,
    /// Paths that could not be listed or opened: (path, reason).
    problems: Vec<(String, String)>,
    /// The strings the cells and examples refer to by index.
    strings: Vec<String>,
    cells: Vec<DocCell>,
    /// Unknown signatures: (signature, template, error type, status).
    unknown: Vec<(String, String, String, Option<u16>)>,
    examples: Vec<DocExamples>,
}

#[derive(Serialize, Deserialize)]
struct DocFile {
    name: String,
    unreadable: Option<String>,
    warnings: Vec<String>,
    formats: Vec<(String, u64)>,
    lines: [u64; 6],
    reasons: Vec<(String, u64)>,
    settled: u64,
    successes: u64,
    /// (dimension, value, calls).
    calls: Vec<(String, Option<String>, u64)>,
    /// (seconds, nanoseconds) of the earliest and latest time stamp.
    span: Option<[(i64, u32); 2]>,
    units: Vec<DocUnit>,
}

#[derive(Serialize, Deserialize)]
struct DocUnit {
    part: u32,
    delta: u64,
    index: Vec<u32>,
    /// Each record as [`Held::encode`] writes it, in base64.
    held: Vec<String>,
}

/// A cell: file, minute, status, HTTP status, then indices into `strings` for source kind,
/// error type, cluster, signature, model, provider and endpoint, then count, first, last.
#[derive(Serialize, Deserialize)]
#[allow(clippy::type_complexity)]
struct DocCell(
    u32,
    Option<i64>,
    Option<u16>,
    Option<u16>,
    u32,
    u32,
    u32,
    u32,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    u64,
    Option<i64>,
    Option<i64>,
);

#[derive(Serialize, Deserialize)]
struct DocExamples {
    /// Signature, cluster, minute, status, model (strings by index).
    key: (u32, u32, Option<i64>, Option<u16>, Option<u32>),
    failures: Vec<DocFailure>,
}

/// A failure of an example; the file is the one of `order`.
#[derive(Serialize, Deserialize)]
struct DocFailure {
    order: (u32, u32, u32),
    timestamp: Option<(i64, u32)>,
    line: Option<u64>,
    entry: Option<u32>,
    source_kind: String,
    provider: Option<String>,
    endpoint: Option<String>,
    status: Option<u16>,
    http_status: Option<u16>,
    error_type: String,
    provider_code: Option<String>,
    message: Option<String>,
    model: Option<String>,
    request_id: Option<String>,
    cluster: String,
    signature: String,
    retryable: Option<bool>,
    attempt: Option<u32>,
    latency_ms: Option<u32>,
}

/// Strings written once, referred to by index.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: BTreeMap<String, u32>,
}

impl Strings {
    fn of(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

fn stamp_parts(t: DateTime<Utc>) -> (i64, u32) {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

fn unstamp((s, n): (i64, u32)) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(s, n)
}

/// Text that leaves the tool: redacted (again; redacting twice changes nothing).
fn clean(s: &str) -> String {
    redact::redact(s).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// Scan `cfg.paths` and write their partial report to `out`, and their events to
/// `events_out` when asked (the events this part tells: its own joins by request id, its own
/// grouping of unknown failures).
pub fn write_partial(
    cfg: &Config,
    out: &mut dyn Write,
    events_out: Option<(&mut dyn Write, crate::Format)>,
) -> anyhow::Result<RunOutcome> {
    let spill = Spill::new(cfg.scan.held_in_memory);
    let mut scanned = crate::scan_inputs(cfg, events_out.is_some(), true, &spill)?;
    let files = scanned.files.len();
    let readable = scanned
        .files
        .iter()
        .filter(|f| f.unreadable.is_none() || f.lines.read > 0)
        .count();
    let mut diagnostics: Vec<String> = scanned
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.file, clean(&p.reason)))
        .collect();
    for f in &scanned.files {
        for w in f.unreadable.iter().chain(&f.warnings) {
            diagnostics.push(format!("{}: {}", f.name, clean(w)));
        }
    }
    let events = events_out.is_some();
    let doc = to_doc(&mut scanned, &spill, &cfg.catalog, cfg.tz, events)?;
    write_doc(&doc, out)?;
    drop(doc);
    if let Some((w, format)) = events_out {
        let analysis = state::finish(scanned, &cfg.finish(true), &spill)?;
        crate::write_events(analysis.events.as_deref().unwrap_or(&[]), format, w)?;
    }
    Ok(RunOutcome {
        failures: 0,
        fail_on_held: false,
        nothing_read: files == 0 || readable == 0,
        diagnostics,
    })
}

/// The document of a scan. The waiting records are read back (from the spill file too); with
/// `keep`, they are left in memory in `scanned`, for the events.
fn to_doc(
    scanned: &mut State,
    spill: &Spill,
    catalog: &Catalog,
    tz: FixedOffset,
    keep: bool,
) -> anyhow::Result<Doc> {
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let mut strings = Strings::default();
    let mut files = Vec::with_capacity(scanned.files.len());
    let mut bytes = Vec::new();
    for f in &mut scanned.files {
        let l = &f.lines;
        let mut units = Vec::with_capacity(f.units.len());
        for u in &mut f.units {
            let mut held = Vec::with_capacity(u.held.len());
            for h in std::mem::take(&mut u.held) {
                let r = spill
                    .take(h)
                    .context("a waiting failure record could not be read back")?;
                bytes.clear();
                Held::encode(&r, &mut bytes);
                held.push(b64.encode(&bytes));
                if keep {
                    u.held.push(Held::Here(Box::new(r)));
                }
            }
            units.push(DocUnit {
                part: u.part,
                delta: u.delta,
                index: u.index.clone(),
                held,
            });
        }
        files.push(DocFile {
            name: f.name.to_string(),
            unreadable: f.unreadable.as_deref().map(clean),
            warnings: f.warnings.iter().map(|w| clean(w)).collect(),
            formats: f.formats.clone(),
            lines: [
                l.read,
                l.relevant,
                l.noise,
                l.unparseable,
                l.invalid_utf8,
                l.truncated,
            ],
            reasons: l.reasons.iter().map(|(r, n)| (r.clone(), *n)).collect(),
            settled: f.settled,
            successes: f.successes,
            calls: f
                .calls
                .iter()
                .map(|((d, v), n)| (d.clone(), v.clone(), *n))
                .collect(),
            span: f.span.map(|(a, b)| [stamp_parts(a), stamp_parts(b)]),
            units,
        });
    }
    let fold = &scanned.fold;
    // Cells sorted, so that the same run writes the same bytes.
    let mut cells: Vec<(&Key, &Cell)> = fold.cells().collect();
    cells.sort_by(|(a, _), (b, _)| key_order(a, b));
    let cells = cells
        .into_iter()
        .map(|(k, c)| {
            let mut s = |v: &str| strings.of(v);
            DocCell(
                k.file,
                k.time,
                k.status,
                k.http_status,
                s(k.source_kind.as_str()),
                s(&k.error_type),
                s(&k.cluster),
                s(&k.signature),
                k.model.as_deref().map(&mut s),
                k.provider.as_deref().map(&mut s),
                k.endpoint.as_deref().map(&mut s),
                c.count,
                c.first,
                c.last,
            )
        })
        .collect();
    let unknown = fold
        .unknowns()
        .map(|(sig, (t, e, st))| (sig.to_string(), t.to_string(), e.to_string(), st))
        .collect();
    let examples = fold
        .example_groups()
        .map(|(k, kept)| DocExamples {
            key: (
                strings.of(&k.signature),
                strings.of(&k.cluster),
                k.time,
                k.status,
                k.model.as_deref().map(|m| strings.of(m)),
            ),
            failures: kept.iter().map(|(o, f)| doc_failure(*o, f)).collect(),
        })
        .collect();
    Ok(Doc {
        tool: env!("CARGO_PKG_VERSION").to_string(),
        catalog: catalog_fingerprint(catalog),
        tz: tz.local_minus_utc(),
        files,
        problems: scanned
            .problems
            .iter()
            .map(|p| (p.file.clone(), clean(&p.reason)))
            .collect(),
        strings: strings.list,
        cells,
        unknown,
        examples,
    })
}

/// A total order of keys (the fold's map has none).
fn key_order(a: &Key, b: &Key) -> Ordering {
    let tuple = |k: &Key| {
        (
            k.file,
            k.time,
            k.status,
            k.http_status,
            k.source_kind.as_str(),
            k.error_type.clone(),
            k.cluster.clone(),
            k.signature.clone(),
            k.model.clone(),
            k.provider.clone(),
            k.endpoint.clone(),
        )
    };
    tuple(a).cmp(&tuple(b))
}

fn doc_failure(order: (u32, u32, u32), f: &Failure) -> DocFailure {
    DocFailure {
        order,
        timestamp: f.timestamp.map(stamp_parts),
        line: f.line,
        entry: f.entry,
        source_kind: f.source_kind.as_str().to_string(),
        provider: f.provider.clone(),
        endpoint: f.endpoint.clone(),
        status: f.status,
        http_status: f.http_status,
        error_type: f.error_type.clone(),
        provider_code: f.provider_code.clone(),
        message: f.message.clone(),
        model: f.model.clone(),
        request_id: f.request_id.clone(),
        cluster: f.cluster.to_string(),
        signature: f.signature.to_string(),
        retryable: f.retryable,
        attempt: f.attempt,
        latency_ms: f.latency_ms,
    }
}

fn write_doc(doc: &Doc, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "{MAGIC}{VERSION}")?;
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    serde_json::to_writer(&mut gz, doc)?;
    gz.finish()?.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// Why a partial cannot be merged.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BadPartial {
    pub path: String,
    pub reason: String,
}

fn bad(path: &Path, reason: impl Into<String>) -> anyhow::Error {
    anyhow!(BadPartial {
        path: path.display().to_string(),
        reason: reason.into(),
    })
}

fn read_doc(path: &Path) -> anyhow::Result<Doc> {
    let file = std::fs::File::open(path).map_err(|e| bad(path, crate::discover::io_reason(&e)))?;
    let mut r = BufReader::new(file);
    let mut first = Vec::new();
    r.by_ref()
        .take(64)
        .read_until(b'\n', &mut first)
        .map_err(|e| bad(path, e.to_string()))?;
    let first = String::from_utf8_lossy(&first);
    let Some(version) = first.strip_prefix(MAGIC) else {
        return Err(bad(
            path,
            "not a claude-logscan partial report (write one with --format partial)",
        ));
    };
    let version = version.trim_end_matches('\n');
    if version != VERSION.to_string() {
        return Err(bad(
            path,
            format!(
                "a partial of version {version}; this claude-logscan reads version {VERSION}: \
                 make the partials and merge them with the same version of claude-logscan"
            ),
        ));
    }
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(r)
        .read_to_end(&mut body)
        .map_err(|e| bad(path, format!("cut short or corrupt ({e})")))?;
    serde_json::from_slice(&body).map_err(|e| bad(path, format!("corrupt ({e})")))
}

/// A partial's document checked for references that point nowhere, so that merging it
/// cannot fail half way.
fn check(path: &Path, doc: &Doc) -> anyhow::Result<()> {
    let n_strings = doc.strings.len() as u32;
    let n_files = doc.files.len() as u32;
    let string_ok = |i: u32| i < n_strings;
    // Counts far past any real run's would overflow the sums: a crafted file, not a run's.
    const MAX_COUNT: u64 = 1 << 48;
    for c in &doc.cells {
        let ok = c.0 < n_files
            && (1..=MAX_COUNT).contains(&c.11)
            && [c.4, c.5, c.6, c.7].into_iter().all(string_ok)
            && [c.8, c.9, c.10].into_iter().flatten().all(string_ok)
            && SourceKind::parse(&doc.strings[c.4 as usize]).is_some();
        if !ok {
            return Err(bad(path, "corrupt (a cell refers to nothing)"));
        }
    }
    for e in &doc.examples {
        let (s, c, _, _, m) = e.key;
        let ok = string_ok(s)
            && string_ok(c)
            && m.is_none_or(string_ok)
            && e.failures
                .iter()
                .all(|f| f.order.0 < n_files && SourceKind::parse(&f.source_kind).is_some());
        if !ok {
            return Err(bad(path, "corrupt (an example refers to nothing)"));
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    for f in &doc.files {
        if f.units.iter().any(|u| u.index.len() != u.held.len()) {
            return Err(bad(path, "corrupt (a part's records and places differ)"));
        }
        let mut records = f.units.iter().flat_map(|u| &u.held);
        if let Some(n) =
            records.position(|h| b64.decode(h).ok().and_then(|b| Held::decode(&b)).is_none())
        {
            return Err(bad(
                path,
                format!("corrupt (waiting failure record {n} of {})", f.name),
            ));
        }
        let counts = f.lines.iter().chain([&f.settled, &f.successes]);
        if counts
            .chain(f.calls.iter().map(|c| &c.2))
            .any(|n| *n > MAX_COUNT)
        {
            return Err(bad(path, "corrupt (a count out of range)"));
        }
    }
    Ok(())
}

/// Merge the partials `cfg.paths` into the report of one run over all of their inputs,
/// written to `out` in `cfg.format`, with `cfg`'s filters, `--by` and `--fail-on`.
pub fn merge(cfg: &Config, out: &mut dyn Write) -> anyhow::Result<RunOutcome> {
    for (flag, t) in [
        ("--since", cfg.filters.since),
        ("--until", cfg.filters.until),
    ] {
        if t.is_some_and(|t| t.timestamp().rem_euclid(60) != 0 || t.timestamp_subsec_nanos() != 0) {
            bail!(
                "{flag}: partials keep time by the minute; give a whole minute \
                 (2025-10-02T14:05:00Z) to merge"
            );
        }
    }
    let paths: Vec<PathBuf> = cfg.paths.iter().map(PathBuf::from).collect();
    if paths.is_empty() {
        bail!("merge: no partial reports given");
    }
    let fingerprint = catalog_fingerprint(&cfg.catalog);
    // Two passes, so that one partial at a time is in memory: the first checks every partial
    // and learns the names of their inputs, the second merges them.
    let read = |p: &Path| -> anyhow::Result<Doc> {
        let doc = read_doc(p)?;
        check(p, &doc)?;
        if doc.catalog != fingerprint {
            return Err(bad(
                p,
                "made with another signature catalog (another version or --patterns); \
                 merge with the catalog the partials were made with",
            ));
        }
        Ok(doc)
    };
    let mut heads: Vec<(i32, Vec<String>)> = Vec::with_capacity(paths.len());
    for p in &paths {
        let doc = read(p)?;
        heads.push((doc.tz, doc.files.into_iter().map(|f| f.name).collect()));
    }
    let tz = heads[0].0;
    if let Some((p, (other, _))) = paths.iter().zip(&heads).find(|(_, h)| h.0 != tz) {
        return Err(bad(
            p,
            format!(
                "made with --tz of {other}s east of UTC, the first partial with {tz}s: make all of them with one --tz"
            ),
        ));
    }
    let tz = FixedOffset::east_opt(tz).ok_or_else(|| bad(&paths[0], "corrupt (time zone)"))?;
    if tz != cfg.tz {
        bail!(
            "the partials were made with --tz {tz}: give merge the same --tz, as one run would have \
             it (it reads the waiting records' time stamps and --since/--until)"
        );
    }

    // Every input in one order, numbered as one run over all of them numbers them.
    let mut all: Vec<(usize, usize)> = heads
        .iter()
        .enumerate()
        .flat_map(|(d, h)| (0..h.1.len()).map(move |f| (d, f)))
        .collect();
    let name = |(d, f): (usize, usize)| heads[d].1[f].as_str();
    all.sort_by(|a, b| path_order(name(*a), name(*b)).then(a.cmp(b)));
    for w in all.windows(2) {
        if name(w[0]) == name(w[1]) {
            bail!(
                "{} is in two partials ({} and {}): give each input to one part only",
                name(w[0]),
                paths[w[0].0].display(),
                paths[w[1].0].display()
            );
        }
    }
    let mut global: Vec<Vec<u32>> = heads.iter().map(|h| vec![0; h.1.len()]).collect();
    for (g, &(d, f)) in all.iter().enumerate() {
        global[d][f] = u32::try_from(g).unwrap_or(u32::MAX);
    }
    let names: Vec<Arc<str>> = all.iter().map(|&i| Arc::from(name(i))).collect();

    let mut fold = Fold::new(&cfg.by);
    let spill = Spill::new(cfg.scan.held_in_memory);
    let mut files: Vec<Option<FileState>> = (0..all.len()).map(|_| None).collect();
    let mut problems: Vec<Problem> = Vec::new();
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    for ((path, global), head) in paths.iter().zip(&global).zip(&heads) {
        let doc = read(path)?;
        if doc.files.len() != head.1.len()
            || doc.files.iter().zip(&head.1).any(|(f, n)| f.name != *n)
            || doc.tz != heads[0].0
        {
            return Err(bad(path, "changed while it was being merged"));
        }
        let path = path.as_path();
        let s = &doc.strings;
        let arc = |i: u32| Arc::<str>::from(s[i as usize].as_str());
        let unknown: BTreeMap<&str, (&str, &str, Option<u16>)> = doc
            .unknown
            .iter()
            .map(|(sig, t, e, st)| (sig.as_str(), (t.as_str(), e.as_str(), *st)))
            .collect();
        for c in &doc.cells {
            let (cluster, signature) = (&s[c.6 as usize], &s[c.7 as usize]);
            let model = c.8.map(|m| s[m as usize].as_str());
            let time = c.1.and_then(|t| DateTime::from_timestamp(t, 0));
            if !cfg.filters.keep_fields(time, model, cluster, c.2) {
                continue;
            }
            let key = Key {
                file: global[c.0 as usize],
                time: c.1,
                status: c.2,
                http_status: c.3,
                source_kind: SourceKind::parse(&s[c.4 as usize]).unwrap_or(SourceKind::ALL[0]),
                error_type: arc(c.5),
                cluster: arc(c.6),
                signature: arc(c.7),
                model: model.map(|m| Arc::from(normalize_model(m))),
                provider: c.9.map(arc),
                endpoint: c.10.map(arc),
            };
            let cell = Cell {
                count: c.11,
                first: c.12,
                last: c.13,
            };
            let u = unknown.get(signature.as_str()).copied();
            fold.add_cell(key, cell, u);
        }
        for e in doc.examples {
            let (sig, cluster, time, status, model) = e.key;
            let key = ExampleKey {
                signature: arc(sig),
                cluster: arc(cluster),
                time,
                status,
                model: model.map(arc),
            };
            let t = key.time.and_then(|t| DateTime::from_timestamp(t, 0));
            if !cfg
                .filters
                .keep_fields(t, key.model.as_deref(), &key.cluster, key.status)
            {
                continue;
            }
            let kept = e
                .failures
                .into_iter()
                .map(|f| {
                    let file = global[f.order.0 as usize];
                    (
                        (file, f.order.1, f.order.2),
                        failure(f, names[file as usize].clone()),
                    )
                })
                .collect();
            fold.add_examples(&key.signature, kept);
        }
        for (f, df) in doc.files.into_iter().enumerate() {
            let mut units = Vec::with_capacity(df.units.len());
            for u in df.units {
                let mut records = Vec::with_capacity(u.held.len());
                for h in &u.held {
                    let r = b64
                        .decode(h)
                        .ok()
                        .and_then(|b| Held::decode(&b))
                        .ok_or_else(|| bad(path, "corrupt (a waiting failure record)"))?;
                    records.push(r);
                }
                units.push(Unit {
                    part: u.part,
                    delta: u.delta,
                    index: u.index,
                    held: spill.hold(records),
                });
            }
            let [read, relevant, noise, unparseable, invalid_utf8, truncated] = df.lines;
            let lines = LineStats {
                read,
                relevant,
                noise,
                unparseable,
                reasons: df.reasons.into_iter().collect(),
                invalid_utf8,
                truncated,
            };
            let span = match df.span {
                None => None,
                Some([a, b]) => Some(
                    unstamp(a)
                        .zip(unstamp(b))
                        .ok_or_else(|| bad(path, "corrupt (a time span)"))?,
                ),
            };
            files[global[f] as usize] = Some(FileState {
                name: names[global[f] as usize].clone(),
                unreadable: df.unreadable,
                warnings: df.warnings,
                formats: df.formats,
                lines,
                settled: df.settled,
                successes: df.successes,
                calls: df.calls.into_iter().map(|(d, v, n)| ((d, v), n)).collect(),
                span,
                units,
            });
        }
        problems.extend(
            doc.problems
                .into_iter()
                .map(|(file, reason)| Problem { file, reason }),
        );
    }
    problems.sort_by(|a, b| path_order(&a.file, &b.file));
    let merged = State {
        files: files.into_iter().flatten().collect(),
        problems,
        fold,
        events: None,
    };
    let finish = state::Finish {
        catalog: &cfg.catalog,
        tz,
        filters: &cfg.filters,
        by: &cfg.by,
        events: false,
    };
    let analysis = state::finish(merged, &finish, &spill)?;
    render::report(&analysis.report, cfg.format, cfg.width, cfg.full, out)?;
    Ok(RunOutcome::of(analysis, &cfg.fail_on))
}

fn failure(f: DocFailure, file: Arc<str>) -> Failure {
    Failure {
        timestamp: f.timestamp.and_then(unstamp),
        file,
        line: f.line,
        entry: f.entry,
        source_kind: SourceKind::parse(&f.source_kind).unwrap_or(SourceKind::ALL[0]),
        provider: f.provider,
        endpoint: f.endpoint,
        status: f.status,
        http_status: f.http_status,
        error_type: f.error_type,
        provider_code: f.provider_code,
        message: f.message,
        model: f.model,
        request_id: f.request_id,
        cluster: Arc::from(f.cluster),
        signature: Arc::from(f.signature),
        retryable: f.retryable,
        attempt: f.attempt,
        latency_ms: f.latency_ms,
    }
}

/// Whether `path` begins as a partial report does (for telling a user who passed one to a
/// scan what to do).
pub fn looks_like_partial(path: &Path) -> bool {
    let mut head = [0u8; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == *MAGIC.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_ordered_as_a_directory_walk_orders_them() {
        let mut v = vec!["a-b", "a/z", "a/b/c", "a.log", "a/b-c", "b"];
        v.sort_by(|a, b| path_order(a, b));
        assert_eq!(v, ["a/b/c", "a/b-c", "a/z", "a-b", "a.log", "b"]);
    }
}
