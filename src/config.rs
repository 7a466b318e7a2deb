//! What a run is asked to do: inputs, output format, filters, grouping, exit policy; and what
//! it tells the caller at the end.

use chrono::{DateTime, FixedOffset, Utc};

use crate::aggregate::Fold;
use crate::catalog::Catalog;
use crate::classify::Failure;
use crate::input::ScanOptions;
use crate::{model, state, Analysis};

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
