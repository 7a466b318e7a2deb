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
//! `input` is laid out by role: `input::formats` holds one leaf per log format, which imports
//! only the toolkit (`input::toolkit`, format-blind helpers, one definition each), the sink
//! (`input::sink`, through which records are emitted and the lines of one attempt joined) and
//! `record`, never another format; the toolkit imports neither the sink nor a format; only
//! `input::dispatch` knows the list of formats.
//!
//! A run is two halves: [`scan::scan_inputs`] reads the inputs into a [`state::State`], and
//! [`state::finish`] joins, classifies the waiting records and builds the report. A partial
//! report ([`partial`]) is the first half written to a file; `merge` feeds the second half
//! with the State rebuilt from partials.

pub mod aggregate;
pub mod catalog;
pub mod check;
pub mod classify;
mod config;
pub mod discover;
pub mod input;
pub mod model;
pub mod parquet;
pub mod partial;
pub mod record;
pub mod redact;
pub mod render;
pub mod report;
mod scan;
pub mod state;
pub mod template;
pub mod time;

/// Entry points for the fuzz targets in `tests/fuzz` and `tests/fuzz_regressions.rs`: the
/// private parsers, without making their modules public. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::input::fuzzing::*;
}

use std::io::Write;

use crate::aggregate::Fold;
use crate::classify::Failure;

pub use crate::config::{Config, FailOn, Filters, Format, RunOutcome, StatusFilter};
pub(crate) use crate::scan::scan_inputs;
pub(crate) use crate::scan::worker::{tally, Tally};
pub use crate::scan::{analyze, analyze_with};

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
