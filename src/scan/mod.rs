//! The first half of a run: discover the inputs, scan them in parallel (files, and the chunks
//! of large files), and merge what each worker found in input order into a [`State`].

mod progress;
pub(crate) mod worker;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::aggregate::{self, Fold};
use crate::classify::{self, Failure};
use crate::discover::Input;
use crate::input::{self, FileScan, Part, ScanOptions};
use crate::state;
use crate::{discover, model, partial, redact, time, Analysis, Config};
use progress::Progress;
use worker::{Classifier, Settled, Tally};

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
