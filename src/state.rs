//! What a scan knows before its final merge, and how that becomes the report.
//!
//! A run is two halves: the scan ([`crate::scan_inputs`]) reads every input into a [`State`]
//! (settled failures folded, the records that wait for the join by request id held, the line
//! accounting of every input), and [`finish`] joins the waiting records across files,
//! classifies and folds them, groups the unknown failures and builds the report. A merge of
//! partial reports (`src/partial.rs`) rebuilds the [`State`] of one run over all their inputs
//! and hands it to the same [`finish`], which is why its output is the run's.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};

use crate::aggregate::{self, Fold};
use crate::catalog::Catalog;
use crate::classify::{self, Failure};
use crate::discover::Problem;
use crate::input::{self, Held, LineStats, Spill};
use crate::report::{self, CallCounts, Summary, Warning};
use crate::{redact, Analysis, Filters, Tally};

/// What the scan of all the inputs knows before the join by request id.
pub struct State {
    /// Every input, in input order (file `k` of the fold's keys is `files[k]`).
    pub files: Vec<FileState>,
    /// Paths that could not be listed or opened, in the order met.
    pub problems: Vec<Problem>,
    /// The settled failures (those without a request id), folded. For a run, filtered and
    /// folded for its `--by`; for a partial report, fine ([`Fold::fine`]) and unfiltered.
    pub fold: Fold,
    /// The settled failures themselves with their place, when events are wanted.
    pub events: Option<Vec<(aggregate::Order, Failure)>>,
}

/// One input, scanned.
pub struct FileState {
    pub name: Arc<str>,
    /// Why it could not be read (to the end), unredacted.
    pub unreadable: Option<String>,
    /// Problems met while reading it, unredacted.
    pub warnings: Vec<String>,
    /// Records per detected format.
    pub formats: Vec<(String, u64)>,
    pub lines: LineStats,
    /// Failure records settled (classified and folded) while scanning, before filters.
    pub settled: u64,
    pub successes: u64,
    /// When the file shows successes: calls per (dimension, value) of its successes and of
    /// its settled failures (its held ones are counted once joined). Empty otherwise.
    pub calls: BTreeMap<(String, Option<String>), u64>,
    /// Earliest and latest time stamp of any call.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The file's parts (one, or the chunks of a large file), in order.
    pub units: Vec<Unit>,
}

/// The records of one part of a file that wait for the join by request id.
pub struct Unit {
    /// The part's number within its file.
    pub part: u32,
    /// What to add to the line numbers of the records (see `chunk::Part::delta`).
    pub delta: u64,
    /// For each held record, its index among the part's failure records.
    pub index: Vec<u32>,
    pub held: Vec<Held>,
}

/// What [`finish`] needs of the configuration.
pub struct Finish<'a> {
    pub catalog: &'a Catalog,
    pub tz: FixedOffset,
    pub filters: &'a Filters,
    pub by: &'a [String],
    /// Keep every failure for events.
    pub events: bool,
}

/// For each record that others join (see [`input::join_plan`]), those records in the order
/// they join, as (unit, index). Records that no other joins have no entry.
type Joins = BTreeMap<(usize, usize), Vec<(usize, usize)>>;

/// Add a join plan's joins to `joins`, its unit numbers offset by `base`.
fn joined_into(plan: &[input::Join], base: usize, joins: &mut Joins) {
    for &((u, i), (g, j)) in plan {
        joins.entry((base + g, j)).or_default().push((base + u, i));
    }
}

/// The records that join record `i` of unit `u`.
fn joining(joins: &Joins, u: usize, i: usize) -> &[(usize, usize)] {
    joins.get(&(u, i)).map_or(&[], Vec::as_slice)
}

/// Join the waiting records within their file and then across files, classify and fold
/// them, group the unknown failures, and build the report. `state.fold` must be an ordinary
/// fold, filtered and folded for `cfg.by`.
pub fn finish(state: State, cfg: &Finish, spill: &Spill) -> anyhow::Result<Analysis> {
    let State {
        files: scanned,
        problems,
        mut fold,
        events: kept,
    } = state;
    let file_names: Vec<Arc<str>> = scanned.iter().map(|f| f.name.clone()).collect();
    let mut summary = Summary {
        files: scanned.len() as u64,
        ..Summary::default()
    };
    let mut warnings: Vec<Warning> = Vec::new();
    let mut diagnostics = Vec::new();
    // Warnings leave the tool too: they go through the same redaction as failures. The
    // redacted text is handed back for the `files` rows.
    let mut warn = |file: &str, message: &str| -> String {
        let message = redact::redact(message).into_owned();
        diagnostics.push(format!("{file}: {message}"));
        warnings.push(Warning {
            file: file.to_string(),
            message: message.clone(),
        });
        message
    };
    let mut files: Vec<report::FileLines> = Vec::with_capacity(scanned.len() + problems.len());
    for p in &problems {
        summary.files_unreadable += 1;
        let reason = warn(&p.file, &p.reason);
        files.push(report::FileLines {
            file: p.file.clone(),
            skipped: Some(reason),
            ..Default::default()
        });
    }
    let mut calls = CallCounts::default();
    let mut rate_calls = 0u64;
    let mut rate_failures = 0u64;
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let mut readable = 0usize;
    // The records that wait for the cross-file join: one unit per part, in input order, with
    // the joins within their file (see `Joins`).
    let mut units: Vec<Vec<Option<Held>>> = Vec::new();
    let mut file_joins = Joins::new();
    // Per unit, what to add to its records' line numbers (see `chunk::Part::delta`).
    let mut deltas: Vec<u64> = Vec::new();
    let mut lost = 0u64;
    let mut unit_of: Vec<(u32, u32, Vec<u32>)> = Vec::new();
    // Per unit: whether its file has failure rates (its waiting records are tallied).
    let mut rated_units: Vec<bool> = Vec::new();
    let mut held_tally = Tally::new();
    let mut dead: Vec<Vec<bool>> = Vec::new();
    for (k, s) in scanned.into_iter().enumerate() {
        let file = u32::try_from(k).unwrap_or(u32::MAX);
        let skipped = s.unreadable.as_deref().map(|reason| {
            summary.files_unreadable += 1;
            warn(&s.name, reason)
        });
        if s.unreadable.is_none() || s.lines.read > 0 {
            readable += 1;
        }
        for w in &s.warnings {
            warn(&s.name, w);
        }
        for (k, n) in &s.formats {
            *summary.formats.entry(k.clone()).or_default() += n;
            *summary.format_files.entry(k.clone()).or_default() += 1;
        }
        let l = &s.lines;
        summary.lines_read += l.read;
        summary.lines_relevant += l.relevant;
        summary.lines_noise += l.noise;
        summary.lines_unparseable += l.unparseable;
        summary.lines_invalid_utf8 += l.invalid_utf8;
        summary.lines_truncated += l.truncated;
        for (r, n) in &l.reasons {
            *summary.unparseable_reasons.entry(r.clone()).or_default() += n;
        }

        // The file's waiting records are joined within the file first (what the file alone
        // tells), then across files below.
        let mut records = s.settled;
        let mut file_units = Vec::with_capacity(s.units.len());
        for unit in s.units {
            records += unit.held.len() as u64;
            file_units.push(unit.held);
            unit_of.push((file, unit.part, unit.index));
            deltas.push(unit.delta);
        }
        let ids: Vec<Vec<Option<&str>>> = file_units
            .iter()
            .map(|u| u.iter().map(Held::request_id).collect())
            .collect();
        let (file_dead, plan) = input::join_plan(&ids, &mut Vec::new());
        let base = units.len();
        let mut joins = Joins::new();
        joined_into(&plan, base, &mut joins);
        // Sightings joined into an earlier one of the file are not failures of their own.
        records -= file_dead.iter().flatten().filter(|d| **d).count() as u64;
        units.extend(
            file_units
                .into_iter()
                .map(|u| u.into_iter().map(Some).collect::<Vec<_>>()),
        );
        file_joins.append(&mut joins);
        dead.extend(file_dead);

        // The file's waiting records count towards the calls at the end, once joined.
        rated_units.resize(units.len(), s.successes > 0);
        summary.successes += s.successes;
        files.push(report::FileLines {
            file: s.name.to_string(),
            lines_read: l.read,
            lines_relevant: l.relevant,
            lines_noise: l.noise,
            lines_unparseable: l.unparseable,
            lines_invalid_utf8: l.invalid_utf8,
            lines_truncated: l.truncated,
            failures: records,
            successes: s.successes,
            skipped,
        });
        if s.successes > 0 {
            rate_calls += s.successes + records;
            rate_failures += records;
            for (key, n) in s.calls {
                *calls.calls.entry(key).or_default() += n;
            }
        }
        if let Some((a, b)) = s.span {
            span = Some(match span {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            });
        }
    }

    // The same attempt told by several files (shared request id) is one failure: the first
    // sighting keeps it, later ones fill its gaps (each after its own file's later sightings
    // filled its own). Then the survivors are classified.
    let ids: Vec<Vec<Option<&str>>> = units
        .iter()
        .map(|u| {
            u.iter()
                .map(|h| h.as_ref().and_then(Held::request_id))
                .collect()
        })
        .collect();
    let (dead, plan) = input::join_plan(&ids, &mut dead);
    drop(ids);
    let mut cross_joins = Joins::new();
    joined_into(&plan, 0, &mut cross_joins);
    drop(plan);
    let mut take = |units: &mut Vec<Vec<Option<Held>>>, u: usize, i: usize| {
        let r = units[u][i].take().map(|h| spill.take(h));
        match r {
            Some(Ok(mut r)) => {
                r.line = r.line.map(|l| l.saturating_add(deltas[u]));
                Some(r)
            }
            _ => {
                lost += 1;
                None
            }
        }
    };
    // A record with its own file's later sightings joined in: what the file alone tells,
    // which is what its failure-rate tally counts.
    let mut in_file = |units: &mut Vec<Vec<Option<Held>>>, u: usize, i: usize| {
        let mut r = take(units, u, i)?;
        for &(a, b) in joining(&file_joins, u, i) {
            if let Some(other) = take(units, a, b) {
                r.absorb(other);
            }
        }
        if rated_units[u] {
            crate::tally(&mut held_tally, &r);
        }
        Some(r)
    };
    let mut names = classify::Names::default();
    let mut events_late = Vec::new();
    for (u, (dead_here, (file, part, index))) in dead.iter().zip(unit_of).enumerate() {
        let name = &file_names[file as usize];
        for (i, (d, k)) in dead_here.iter().zip(index).enumerate() {
            if *d {
                continue;
            }
            let Some(mut r) = in_file(&mut units, u, i) else {
                continue;
            };
            for &(a, b) in joining(&cross_joins, u, i) {
                if let Some(other) = in_file(&mut units, a, b) {
                    r.absorb(other);
                }
            }
            let f = classify::classify_with(name.clone(), r, cfg.catalog, cfg.tz, &mut names);
            let order = (file, part, k);
            if cfg.filters.keep(&f) {
                fold.add(&f, file, order);
                if cfg.events {
                    events_late.push((order, f));
                }
            }
        }
    }
    for ((d, v), n) in held_tally {
        *calls.calls.entry((d.to_string(), v)).or_default() += n;
    }
    if lost > 0 {
        warn(
            "(temporary file)",
            &format!("{lost} failure records could not be read back and are not counted"),
        );
    }
    // Every failure is folded: the unknown ones are grouped by what the whole run shows.
    let renamed = fold.group_unknown();
    let events = kept.filter(|_| cfg.events).map(|mut kept| {
        kept.extend(events_late);
        kept.sort_unstable_by_key(|(order, _)| *order);
        kept.into_iter()
            .map(|(_, mut f)| {
                if let Some(id) = renamed.get(&f.signature) {
                    f.signature = id.clone();
                }
                f
            })
            .collect::<Vec<Failure>>()
    });

    let data = report::Folded::new(&fold, &file_names);
    summary.failures = data.total;
    summary.calls = summary.successes + summary.failures;
    summary.failure_rate = (rate_calls > 0).then(|| rate_failures as f64 / rate_calls as f64);
    summary.first_seen = span.map(|s| s.0);
    summary.last_seen = span.map(|s| s.1);
    summary.coverage = (data.total > 0).then(|| {
        let known: u64 = data
            .cells
            .iter()
            .filter(|(k, _)| &*k.cluster != "unknown")
            .map(|(_, c)| c.count)
            .sum();
        known as f64 / data.total as f64
    });
    let mut report = report::build(&data, cfg.by, &calls, summary, cfg.catalog, warnings)?;
    report.files = files;
    let inputs = file_names.len();
    Ok(Analysis {
        nothing_read: inputs > 0 && readable == 0 || inputs == 0,
        events,
        fold,
        report,
        diagnostics,
    })
}
