//! claude-logscan: find every failed Claude API call in a folder of logs, classify it by
//! status, error type, model and root cause, and say what to do about it.
//!
//! The pipeline runs one way, and each module only knows the ones before it:
//!
//! ```text
//! discover (paths, gzip, stdin) -> input (detect format, parse into records)
//!     -> classify (records + catalog -> failures with cluster, signature)
//!     -> aggregate (failures folded into counts) -> report (polars grouping -> plain structs)
//!     -> render (table, markdown, html, csv, json); parquet (events, through polars)
//! ```
//!
//! `input` and `catalog` never import each other: both speak [`record::Record`]. `render` never
//! sees polars. Only the binary sees clap. Workers never print: files, and the chunks of large
//! files, are scanned in parallel; each worker classifies and folds the failures it found
//! (those with a request id wait, since another file may tell the same attempt); results come
//! back in input order and are merged on one thread, so output is byte-identical at any
//! thread count. `template` serves `classify` (masking one message) and `aggregate` (grouping
//! the unknown failures' templates once every fold is merged).
//!
//! A run is two halves: [`scan_inputs`] reads the inputs into a [`state::State`], and
//! [`state::finish`] joins, classifies the waiting records and builds the report. A partial
//! report ([`partial`]) is the first half written to a file; `merge` feeds the second half
//! with the State rebuilt from partials.

pub mod aggregate;
pub mod catalog;
pub mod check;
pub mod classify;
pub mod discover;
pub mod input;
pub mod model;
pub mod parquet;
pub mod partial;
pub mod record;
pub mod redact;
pub mod render;
pub mod report;
pub mod state;
pub mod template;
pub mod time;

/// Entry points for the fuzz targets in `tests/fuzz` and `tests/fuzz_regressions.rs`: the
/// private parsers, without making their modules public. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::input::fuzzing::*;
}

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use rayon::prelude::*;

use crate::aggregate::Fold;
use crate::catalog::Catalog;
use crate::classify::Failure;
use crate::discover::Input;
use crate::input::{FileScan, Part, ScanOptions};
use crate::record::Record;

/// The main output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Html,
    Csv,
    Json,
    Ndjson,
    /// Events only (`--events`, `--events-out FILE.parquet`).
    Parquet,
}

/// Which failures a report covers.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub models: Vec<String>,
    pub clusters: Vec<String>,
    pub statuses: Vec<StatusFilter>,
}

/// `429`, `5xx`, or `none` (no response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
    NoStatus,
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<StatusFilter> {
        let s = s.trim().to_ascii_lowercase();
        if s == "none" || s == "null" {
            return Some(StatusFilter::NoStatus);
        }
        if s.len() == 3 && s.ends_with("xx") {
            let d = s.as_bytes()[0];
            return (b'1'..=b'5')
                .contains(&d)
                .then(|| StatusFilter::Class(u16::from(d - b'0')));
        }
        s.parse()
            .ok()
            .filter(|n| (100..1000).contains(n))
            .map(StatusFilter::Exact)
    }

    pub fn matches(self, status: Option<u16>) -> bool {
        match (self, status) {
            (StatusFilter::NoStatus, None) => true,
            (StatusFilter::Exact(a), Some(b)) => a == b,
            (StatusFilter::Class(c), Some(b)) => b / 100 == c,
            _ => false,
        }
    }
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.models.is_empty()
            && self.clusters.is_empty()
            && self.statuses.is_empty()
    }

    pub fn keep(&self, f: &Failure) -> bool {
        self.keep_fields(f.timestamp, f.model.as_deref(), &f.cluster, f.status)
    }

    /// [`Filters::keep`] from the fields it reads: time, model as the failure names it,
    /// cluster and effective status.
    pub fn keep_fields(
        &self,
        timestamp: Option<DateTime<Utc>>,
        model: Option<&str>,
        cluster: &str,
        status: Option<u16>,
    ) -> bool {
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = timestamp else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u) {
                return false;
            }
        }
        if !self.models.is_empty() {
            let key = model.map(model::normalize_model);
            let raw = model.unwrap_or("");
            if !self.models.iter().any(|m| {
                let want = model::normalize_model(m);
                key.as_deref().is_some_and(|k| k.contains(&want)) || raw.contains(m.as_str())
            }) {
                return false;
            }
        }
        if !self.clusters.is_empty() && !self.clusters.iter().any(|c| c == cluster) {
            return false;
        }
        if !self.statuses.is_empty() && !self.statuses.iter().any(|s| s.matches(status)) {
            return false;
        }
        true
    }
}

/// A `--fail-on` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum FailOn {
    /// Any failure at all.
    Any,
    Status(StatusFilter),
    /// A cluster or error type name (or signature id).
    Name(String),
    /// Failure rate above this fraction.
    RateAbove(f64),
}

impl FailOn {
    pub fn parse(s: &str) -> Result<FailOn, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty --fail-on condition".into());
        }
        if t == "any" {
            return Ok(FailOn::Any);
        }
        if let Some(rest) = t
            .strip_prefix("rate>")
            .or_else(|| t.strip_prefix("failure_rate>"))
        {
            let (num, pct) = match rest.strip_suffix('%') {
                Some(n) => (n, true),
                None => (rest, false),
            };
            let v: f64 = num
                .trim()
                .parse()
                .map_err(|_| format!("`{t}`: expected a number after `rate>`"))?;
            return Ok(FailOn::RateAbove(if pct { v / 100.0 } else { v }));
        }
        if let Some(st) = StatusFilter::parse(t) {
            return Ok(FailOn::Status(st));
        }
        if t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Ok(FailOn::Name(t.to_string()));
        }
        Err(format!(
            "`{t}`: expected `any`, a status (`429`, `5xx`, `none`), a cluster, an error type, a signature id, or `rate>0.05` / `rate>5%`"
        ))
    }

    fn holds(&self, fold: &Fold, rate: Option<f64>) -> bool {
        let mut keys = fold.cells().filter(|(_, c)| c.count > 0).map(|(k, _)| k);
        match self {
            FailOn::Any => keys.next().is_some(),
            FailOn::Status(s) => keys.any(|k| s.matches(k.status)),
            FailOn::Name(n) => {
                keys.any(|k| *k.cluster == **n || *k.error_type == **n || *k.signature == **n)
            }
            FailOn::RateAbove(x) => rate.is_some_and(|r| r > *x),
        }
    }
}

/// Everything a run needs, resolved and validated.
pub struct Config {
    pub paths: Vec<String>,
    pub format: Format,
    pub events: bool,
    pub threads: Option<usize>,
    pub tz: FixedOffset,
    pub catalog: Catalog,
    pub scan: ScanOptions,
    pub by: Vec<String>,
    pub filters: Filters,
    pub fail_on: Vec<FailOn>,
    /// Table width when writing to a terminal; `None` gives the fixed width used for files
    /// and pipes, so output does not depend on the terminal.
    pub width: Option<u16>,
    /// Table output shows every row and every fix (by default it shows the top rows and says
    /// how many more there are).
    pub full: bool,
    /// Show progress on stderr (the binary sets this only when stderr is a terminal).
    pub progress: bool,
}

impl Config {
    /// What the report half of a run needs of the configuration.
    pub fn finish(&self, events: bool) -> state::Finish<'_> {
        state::Finish {
            catalog: &self.catalog,
            tz: self.tz,
            filters: &self.filters,
            by: &self.by,
            events,
        }
    }
}

/// What the binary needs to know after a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub failures: usize,
    pub fail_on_held: bool,
    /// No input could be read at all.
    pub nothing_read: bool,
    /// Per-file problems, `file: reason`, for stderr.
    pub diagnostics: Vec<String>,
}

impl RunOutcome {
    /// What a run or a merge that made `analysis` tells its caller, with `fail_on` checked.
    pub fn of(analysis: Analysis, fail_on: &[FailOn]) -> RunOutcome {
        let rate = analysis.report.summary.failure_rate;
        RunOutcome {
            failures: analysis.report.summary.failures as usize,
            fail_on_held: fail_on.iter().any(|c| c.holds(&analysis.fold, rate)),
            nothing_read: analysis.nothing_read,
            diagnostics: analysis.diagnostics,
        }
    }
}

/// The result of scanning and classifying, before rendering.
pub struct Analysis {
    /// Every failure, in input order: only when asked for (`--events`, `--events-out`).
    pub events: Option<Vec<Failure>>,
    /// Every failure, folded into counts.
    pub fold: Fold,
    pub report: report::Report,
    pub nothing_read: bool,
    pub diagnostics: Vec<String>,
}

/// What a worker makes of one part of a file: it takes the part's final failure records as
/// the scan goes (see [`input::Settler`]), classifies, filters and folds them.
struct Settled<'c> {
    classifier: &'c Classifier<'c>,
    file: u32,
    name: Arc<str>,
    names: classify::Names,
    fold: Fold,
    /// The classified failures with their index in the part, when events are wanted.
    events: Vec<(u32, Failure)>,
    /// Failure records settled here.
    records: u64,
    /// Calls per (dimension, value) of the settled records, for failure rates.
    tally: Tally,
    /// The part's records that wait for the end of the run (see [`input::Held`]), line
    /// numbers of the part's reader (add the part's `delta`).
    held: Vec<input::Held>,
    spill: &'c input::Spill,
}

impl input::Settler for Settled<'_> {
    fn settle(&mut self, records: Vec<(u32, Record)>) {
        self.records += records.len() as u64;
        for (i, r) in records {
            tally(&mut self.tally, &r);
            let f = classify::classify_with(
                self.name.clone(),
                r,
                self.classifier.catalog,
                self.classifier.tz,
                &mut self.names,
            );
            let order = (self.file, 0, i);
            if let Some(f) = self.classifier.keep(f, self.file, order, &mut self.fold) {
                self.events.push((i, f));
            }
        }
    }

    /// Records with a request id wait for the end of the run: in memory up to a budget,
    /// then in a temporary file (taken as each part ends, so that a large file's do not
    /// pile up in memory while its other parts are read).
    fn hold(&mut self, records: Vec<Record>) -> Vec<Record> {
        self.held.extend(self.spill.hold(records));
        Vec::new()
    }
}

pub(crate) type Tally = BTreeMap<(&'static str, Option<String>), u64>;

/// Count a failure record towards the calls of its model, provider and endpoint (redacted,
/// as the failure's own keys are, so that they meet and a partial report holds no secret).
pub(crate) fn tally(t: &mut Tally, r: &Record) {
    let clean = |v: &Option<String>| v.as_deref().map(|v| redact::redact(v).into_owned());
    let dims = [
        ("model", clean(&r.model).map(|m| model::normalize_model(&m))),
        ("provider", r.provider.clone()),
        ("endpoint", clean(&r.endpoint)),
    ];
    for (d, v) in dims {
        *t.entry((d, v)).or_default() += 1;
    }
}

/// How a run classifies and folds the failures it finds.
struct Classifier<'a> {
    catalog: &'a Catalog,
    tz: FixedOffset,
    filters: &'a Filters,
    by: &'a [String],
    events: bool,
}

impl Classifier<'_> {
    /// Fold a failure that passes the filters; hand it back when events are wanted.
    fn keep(
        &self,
        f: Failure,
        file: u32,
        order: aggregate::Order,
        fold: &mut Fold,
    ) -> Option<Failure> {
        if !self.filters.keep(&f) {
            return None;
        }
        fold.add(&f, file, order);
        self.events.then_some(f)
    }
}

/// The order in which inputs are scanned (results are put back in input order): inputs read
/// in one pass (gzip, HAR, JSON documents, stdin, files under two chunks) first, largest
/// first, then the files split into chunks, so that a big single-pass input does not run
/// alone at the end while the other workers have nothing left to take. Only for runs of a
/// few thousand inputs at most (it opens the large ones to look at their first bytes).
fn schedule(inputs: &[Input], opts: &ScanOptions) -> Vec<usize> {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    if inputs.len() > 1 && inputs.len() <= 4096 {
        let weights: Vec<u64> = inputs
            .iter()
            .map(|i| match i {
                Input::Stdin => u64::MAX,
                Input::File { path, .. } => input::single_pass_weight(path, opts),
            })
            .collect();
        order.sort_by_key(|&k| std::cmp::Reverse(weights[k]));
    }
    order
}

/// Scan every input and build the report.
pub fn analyze(cfg: &Config) -> anyhow::Result<Analysis> {
    analyze_with(cfg, cfg.events)
}

/// [`analyze`], keeping every failure for events when `events` is set: the scan
/// ([`scan_inputs`]), then the report from what it found ([`state::finish`]).
pub fn analyze_with(cfg: &Config, events: bool) -> anyhow::Result<Analysis> {
    let spill = input::Spill::new(cfg.scan.held_in_memory);
    let scanned = scan_inputs(cfg, events, false, &spill)?;
    state::finish(scanned, &cfg.finish(events), &spill)
}

/// Scan every input into a [`state::State`]: the settled failures folded, the records that
/// wait for the join by request id held in `spill`, the line accounting of every input. With
/// `fine`, for a partial report: the inputs in path order ([`partial::path_order`]) and the
/// fold fine ([`Fold::fine`]); the filters and `--by` are then left to the merge.
pub(crate) fn scan_inputs(
    cfg: &Config,
    events: bool,
    fine: bool,
    spill: &input::Spill,
) -> anyhow::Result<state::State> {
    let (mut inputs, problems) = discover::discover(&cfg.paths);
    if fine {
        inputs.sort_by(|a, b| partial::path_order(a.display(), b.display()));
    }
    let done = AtomicUsize::new(0);
    let bytes_done = std::sync::Arc::new(AtomicU64::new(0));
    let mut scan_opts = cfg.scan.clone();
    let mut total_bytes = 0u64;
    if cfg.progress {
        scan_opts.progress = Some(bytes_done.clone());
        total_bytes = inputs
            .iter()
            .filter_map(|i| match i {
                Input::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
                Input::Stdin => None,
            })
            .sum();
    }
    let classifier = Classifier {
        catalog: &cfg.catalog,
        tz: cfg.tz,
        filters: &cfg.filters,
        by: &cfg.by,
        events,
    };
    let file_names: Vec<Arc<str>> = inputs.iter().map(|i| Arc::from(i.display())).collect();
    let scan_opts = &scan_opts;
    let scan_one = |(k, input): (usize, &Input)| -> (FileScan, Vec<Part<Settled>>) {
        let file = u32::try_from(k).unwrap_or(u32::MAX);
        let make = || Settled {
            classifier: &classifier,
            file,
            name: file_names[k].clone(),
            names: classify::Names::default(),
            fold: if fine {
                Fold::fine()
            } else {
                Fold::new(classifier.by)
            },
            events: Vec::new(),
            records: 0,
            tally: Tally::new(),
            held: Vec::new(),
            spill,
        };
        let opened = match input {
            Input::File { display, path } => {
                input::scan_file_parts(display, path, scan_opts, &make)
            }
            Input::Stdin => discover::open(input).map(|mut reader| {
                input::scan_parts(input.display(), &mut *reader, scan_opts, &make)
            }),
        };
        let scan = match opened {
            Ok(scan) => scan,
            Err(e) => (
                FileScan {
                    file: input.display().to_string(),
                    unreadable: Some(discover::io_reason(&e)),
                    ..FileScan::default()
                },
                Vec::new(),
            ),
        };
        done.fetch_add(1, Ordering::Relaxed);
        scan
    };
    let finished = AtomicBool::new(false);
    let scans: Vec<(FileScan, Vec<Part<Settled>>)> =
        std::thread::scope(|scope| -> anyhow::Result<Vec<_>> {
            if cfg.progress {
                let shown = Progress {
                    files_done: &done,
                    files: inputs.len(),
                    bytes_done: &bytes_done,
                    bytes: total_bytes,
                    finished: &finished,
                };
                scope.spawn(move || shown.draw());
            }
            // One pool for files and the chunks of large files alike (`-j 1` is one thread).
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(cfg.threads.unwrap_or(0))
                .build()?;
            let order = schedule(&inputs, scan_opts);
            let scanned: Vec<(usize, _)> = pool.install(|| {
                order
                    .par_iter()
                    .map(|&k| (k, scan_one((k, &inputs[k]))))
                    .collect()
            });
            finished.store(true, Ordering::Relaxed);
            // Back in input order, whatever order they were scanned in.
            let mut scans: Vec<Option<_>> = (0..inputs.len()).map(|_| None).collect();
            for (k, scan) in scanned {
                scans[k] = Some(scan);
            }
            Ok(scans.into_iter().flatten().collect())
        })?;

    let mut fold = if fine {
        Fold::fine()
    } else {
        Fold::new(&cfg.by)
    };
    let mut kept: Vec<(aggregate::Order, Failure)> = Vec::new();
    let mut files = Vec::with_capacity(scans.len());
    for (k, (s, parts)) in scans.into_iter().enumerate() {
        let file = u32::try_from(k).unwrap_or(u32::MAX);
        let mut settled_records = 0u64;
        let mut file_tally = Tally::new();
        let mut units = Vec::with_capacity(parts.len());
        for (p, part) in parts.into_iter().enumerate() {
            let p = u32::try_from(p).unwrap_or(u32::MAX);
            let mut settled = part.settled;
            settled_records += settled.records;
            for (key, n) in settled.tally {
                *file_tally.entry(key).or_default() += n;
            }
            settled.fold.place(p, part.delta);
            fold.merge(settled.fold);
            kept.extend(settled.events.into_iter().map(|(i, mut f)| {
                f.line = f.line.map(|l| l + part.delta);
                ((file, p, i), f)
            }));
            units.push(state::Unit {
                part: p,
                delta: part.delta,
                index: part.pending_index,
                held: std::mem::take(&mut settled.held),
            });
        }
        let successes: u64 = s.successes.values().sum();
        let mut calls = BTreeMap::new();
        if successes > 0 {
            for (key, n) in &s.successes {
                // Redacted like the failures' values, so the keys meet.
                let clean = |v: Option<&str>| v.map(|v| redact::redact(v).into_owned());
                let dims = [
                    (
                        "model",
                        clean(key.model.as_deref()).map(|m| model::normalize_model(&m)),
                    ),
                    ("provider", key.provider.clone()),
                    ("endpoint", clean(key.endpoint.as_deref())),
                ];
                for (d, v) in dims {
                    *calls.entry((d.to_string(), v)).or_default() += n;
                }
            }
            for ((d, v), n) in file_tally {
                *calls.entry((d.to_string(), v)).or_default() += n;
            }
        }
        let span = s
            .span
            .and_then(|(a, b)| Some((time::resolve(a, cfg.tz)?, time::resolve(b, cfg.tz)?)));
        files.push(state::FileState {
            name: file_names[k].clone(),
            unreadable: s.unreadable,
            warnings: s.warnings,
            formats: s
                .formats
                .iter()
                .map(|(k, n)| (k.as_str().to_string(), *n))
                .collect(),
            lines: s.lines,
            settled: settled_records,
            successes,
            calls,
            span,
            units,
        });
    }
    Ok(state::State {
        files,
        problems,
        fold,
        events: events.then_some(kept),
    })
}

/// What the progress line shows: files and bytes scanned so far, of how many.
struct Progress<'a> {
    files_done: &'a AtomicUsize,
    files: usize,
    bytes_done: &'a AtomicU64,
    bytes: u64,
    finished: &'a AtomicBool,
}

impl Progress<'_> {
    /// Redraw the line on stderr in place every 100 ms; silent for runs under a second.
    /// Bytes move as files and the chunks of large files end.
    fn draw(self) {
        let started = std::time::Instant::now();
        let mut shown = false;
        while !self.finished.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if started.elapsed().as_millis() < 1000 {
                continue;
            }
            shown = true;
            let done = self.bytes_done.load(Ordering::Relaxed).min(self.bytes);
            let pct = if self.bytes > 0 {
                done as f64 * 100.0 / self.bytes as f64
            } else {
                0.0
            };
            eprint!(
                "\r\x1b[2Kclaude-logscan: {pct:3.0}% {} of {}, {}/{} files, {:.0}s",
                human_bytes(done),
                human_bytes(self.bytes),
                self.files_done.load(Ordering::Relaxed),
                self.files,
                started.elapsed().as_secs_f64()
            );
        }
        if shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `512 B`, `3.4 MB`, `1.2 GB` (powers of 1000, as disk sizes are usually read).
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The events in `format`: Parquet through polars, the text formats through `render`.
pub(crate) fn write_events(
    events: &[Failure],
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        Format::Parquet => parquet::write_events(events, out)?,
        _ => render::events(events, format, out)?,
    }
    Ok(())
}

/// Scan, classify and write the main output to `out` (and the events to `events_out` when
/// asked for in the same pass).
pub fn run(
    cfg: &Config,
    out: &mut dyn Write,
    events_out: Option<(&mut dyn Write, Format)>,
) -> anyhow::Result<RunOutcome> {
    let analysis = analyze_with(cfg, cfg.events || events_out.is_some())?;
    let events = analysis.events.as_deref().unwrap_or(&[]);
    if cfg.events {
        write_events(events, cfg.format, out)?;
    } else {
        render::report(&analysis.report, cfg.format, cfg.width, cfg.full, out)?;
    }
    if let Some((w, format)) = events_out {
        write_events(events, format, w)?;
    }
    Ok(RunOutcome::of(analysis, &cfg.fail_on))
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn byte_counts_read_as_disk_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(512_000_000), "512.0 MB");
        assert_eq!(human_bytes(1_073_741_824), "1.1 GB");
        assert_eq!(human_bytes(u64::MAX), "18446744.1 TB");
    }
}
