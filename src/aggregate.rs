//! Failures folded into counts as they are classified, so the report needs no list of every
//! failure: memory grows with the number of distinct (file, time bucket, status, type,
//! cluster, signature, model, provider, endpoint, source) combinations, not with failures.
//!
//! A [`Fold`] is made per part of a file in the worker that read it and merged on one thread
//! in input order. Merging is commutative (sums, minima, maxima; examples keep the three
//! earliest by input position), so the result does not depend on which worker finished first.
//!
//! Time is kept at the coarsest bucket that still answers every question the report asks:
//! the `--by` time dimensions and the timeline, whose bucket (minute, hour, day) depends on
//! the whole span. A fold starts at minutes and coarsens, one way, as its span grows: a part's
//! span is never wider than the run's, so a part is never coarser than the run needs.
//!
//! Unknown failures are folded under a provisional signature, the hash of their message's
//! masked template; the fold keeps each one's template. Once every part is merged,
//! [`Fold::group_unknown`] learns from those templates which words vary and renames the
//! provisional signatures to final ones: a function of the set of templates alone, so any
//! split of the inputs, merged, groups as one run does.
//!
//! A fold made for a partial report ([`Fold::fine`], see `src/partial.rs`) keeps what the
//! filters and `--by` of a later merge need: time by the minute, the model as the failure
//! names it (not normalized), and the earliest examples of each (signature, minute, status,
//! model) rather than of each signature. [`Fold::add_cell`] and [`Fold::add_examples`] fold
//! its contents into an ordinary fold.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::classify::{template, unknown_id, Failure, Names};
use crate::model::normalize_model;
use crate::record::SourceKind;

/// Where a failure is in the input: (file, part of the file, record within the part). The
/// order of failures is the order of these keys.
pub type Order = (u32, u32, u32);

/// Examples kept per signature.
pub const EXAMPLES: usize = 3;

/// A time bucket size, finest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    Minute,
    Hour,
    Day,
}

impl Grain {
    pub fn seconds(self) -> i64 {
        match self {
            Grain::Minute => 60,
            Grain::Hour => 3600,
            Grain::Day => 86_400,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
            Grain::Day => "day",
        }
    }

    /// The `--by` dimension of this name, if it is a time dimension.
    pub fn of_dimension(dim: &str) -> Option<Grain> {
        match dim {
            "minute" => Some(Grain::Minute),
            "hour" => Some(Grain::Hour),
            "day" => Some(Grain::Day),
            _ => None,
        }
    }

    /// The timeline's bucket for a span: minutes up to two hours, hours up to three days, then
    /// days.
    pub fn for_span(span: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Grain {
        match span {
            Some((a, b)) if (b - a).num_minutes() <= 120 => Grain::Minute,
            Some((a, b)) if (b - a).num_hours() <= 72 => Grain::Hour,
            _ => Grain::Day,
        }
    }

    /// The start of the bucket holding `secs`, in seconds since the epoch (no earlier than the
    /// earliest time there is: a bucket cut by it still prints as the bucket).
    fn floor(self, secs: i64) -> i64 {
        (secs.div_euclid(self.seconds()) * self.seconds()).max(DateTime::<Utc>::MIN_UTC.timestamp())
    }
}

/// What a group of failures is grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// Index of the input, in input order (the report has the names).
    pub file: u32,
    /// Start of the time bucket (seconds since the epoch, at the fold's grain); `None` for a
    /// failure without a time stamp.
    pub time: Option<i64>,
    pub status: Option<u16>,
    pub http_status: Option<u16>,
    pub source_kind: SourceKind,
    pub error_type: Arc<str>,
    pub cluster: Arc<str>,
    pub signature: Arc<str>,
    /// Normalized (see [`normalize_model`]).
    pub model: Option<Arc<str>>,
    pub provider: Option<Arc<str>>,
    pub endpoint: Option<Arc<str>>,
}

/// Failures of one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub count: u64,
    /// Earliest and latest time stamp, milliseconds since the epoch.
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl Cell {
    fn add(&mut self, other: Cell) {
        self.count += other.count;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) | (None, x) => x,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) | (None, x) => x,
    }
}

/// What an unknown signature stands for: its id is the hash of the template (see
/// [`unknown_id`]: the type and status count only when the template is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unknown {
    template: Arc<str>,
    error_type: Arc<str>,
    status: Option<u16>,
}

/// What a fine fold keeps examples by: every field a filter reads (cluster, minute, status,
/// model as named), so that a filter keeps or drops an example group whole.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExampleKey {
    pub signature: Arc<str>,
    pub cluster: Arc<str>,
    /// Start of the minute, seconds since the epoch.
    pub time: Option<i64>,
    pub status: Option<u16>,
    pub model: Option<Arc<str>>,
}

/// The failures of one example group, earliest by input position first.
pub type Examples = Vec<(Order, Failure)>;

/// Failures folded into counts, with the first examples of each signature.
#[derive(Debug)]
pub struct Fold {
    /// The finest grain a `--by` dimension asks for (time is never folded finer than needed,
    /// and never coarser than this).
    cap: Grain,
    grain: Grain,
    cells: HashMap<Key, Cell>,
    /// Earliest and latest time stamp of any failure.
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Per signature, the earliest failures by input position.
    examples: BTreeMap<Arc<str>, Vec<(Order, Failure)>>,
    /// Per unknown signature, its template (masked, until [`Fold::group_unknown`]).
    unknown: BTreeMap<Arc<str>, Unknown>,
    names: Names,
    /// Set for a fold kept for a partial report ([`Fold::fine`]): the examples by
    /// [`ExampleKey`] (`examples` stays empty).
    fine: Option<BTreeMap<ExampleKey, Examples>>,
}

impl Fold {
    /// An empty fold for a report grouped by `by` (its time dimensions set the finest grain).
    pub fn new(by: &[String]) -> Fold {
        let cap = by
            .iter()
            .filter_map(|d| Grain::of_dimension(d))
            .min()
            .unwrap_or(Grain::Day);
        Fold {
            cap,
            grain: Grain::Minute,
            cells: HashMap::new(),
            span: None,
            examples: BTreeMap::new(),
            unknown: BTreeMap::new(),
            names: Names::default(),
            fine: None,
        }
    }

    /// An empty fold for a partial report: time is kept by the minute, the model as the
    /// failure names it, and examples per [`ExampleKey`], so that the filters and `--by` of a
    /// merge can be applied to it exactly (see [`Fold::add_cell`]).
    pub fn fine() -> Fold {
        Fold {
            fine: Some(BTreeMap::new()),
            ..Fold::new(&["minute".to_string()])
        }
    }

    /// Failures folded so far.
    pub fn total(&self) -> u64 {
        self.cells.values().map(|c| c.count).sum()
    }

    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.span
    }

    /// The grain time is kept at.
    pub fn grain(&self) -> Grain {
        self.grain
    }

    /// Count one failure of input `file` found at `order`.
    pub fn add(&mut self, f: &Failure, file: u32, order: Order) {
        let ms = f.timestamp.map(|t| t.timestamp_millis());
        if let Some(ms) = ms {
            self.widen(ms);
        }
        let time = f.timestamp.map(|t| self.grain.floor(t.timestamp()));
        let fine = self.fine.is_some();
        let names = &mut self.names;
        let mut intern = |s: &str| names.get(s);
        let key = Key {
            file,
            time,
            status: f.status,
            http_status: f.http_status,
            source_kind: f.source_kind,
            error_type: intern(&f.error_type),
            cluster: f.cluster.clone(),
            signature: f.signature.clone(),
            model: f.model.as_deref().map(|m| {
                if fine {
                    intern(m)
                } else {
                    intern(&normalize_model(m))
                }
            }),
            provider: f.provider.as_deref().map(&mut intern),
            endpoint: f.endpoint.as_deref().map(&mut intern),
        };
        if &*f.cluster == "unknown" && !self.unknown.contains_key(&f.signature) {
            let template: Arc<str> = Arc::from(template(f.message.as_deref().unwrap_or("")));
            // The type and status name the group only when there is no template; kept only
            // then, so that what a fold holds does not depend on which failure came first.
            let unknown = if template.is_empty() {
                Unknown {
                    template,
                    error_type: key.error_type.clone(),
                    status: f.status,
                }
            } else {
                Unknown {
                    template,
                    error_type: Arc::from(""),
                    status: None,
                }
            };
            self.unknown.insert(f.signature.clone(), unknown);
        }
        let kept = match &mut self.fine {
            None => self.examples.entry(f.signature.clone()).or_default(),
            Some(fine) => fine
                .entry(ExampleKey {
                    signature: key.signature.clone(),
                    cluster: key.cluster.clone(),
                    time: key.time,
                    status: key.status,
                    model: key.model.clone(),
                })
                .or_default(),
        };
        if kept.len() < EXAMPLES || kept.last().is_some_and(|(o, _)| order < *o) {
            let at = kept.partition_point(|(o, _)| *o < order);
            kept.insert(at, (order, f.clone()));
            kept.truncate(EXAMPLES);
        }
        self.cells.entry(key).or_default().add(Cell {
            count: 1,
            first: ms,
            last: ms,
        });
    }

    /// Take a time stamp (milliseconds) into the span, and coarsen as the span asks. The span
    /// is kept to the millisecond, as cells are, so that a fold rebuilt from cells
    /// ([`Fold::add_cell`]) has the same span.
    fn widen(&mut self, ms: i64) {
        let Some(t) = DateTime::from_timestamp_millis(ms) else {
            return;
        };
        self.span = Some(match self.span {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        });
        self.coarsen_to(Grain::for_span(self.span).min(self.cap));
    }

    /// Add a cell of a fine fold ([`Fold::fine`]): `key` with its model normalized as
    /// [`Fold::add`] does, its time a minute or `None`. `unknown` is the (template, error
    /// type, status) of an unknown signature, as [`Fold::unknowns`] lists it. Folding every
    /// cell of a fine fold that passes the filters gives the counts, span and templates that
    /// adding the failures themselves gives.
    pub fn add_cell(
        &mut self,
        mut key: Key,
        cell: Cell,
        unknown: Option<(&str, &str, Option<u16>)>,
    ) {
        for ms in [cell.first, cell.last].into_iter().flatten() {
            self.widen(ms);
        }
        key.time = key.time.map(|t| self.grain.floor(t));
        if &*key.cluster == "unknown" && !self.unknown.contains_key(&key.signature) {
            if let Some((template, error_type, status)) = unknown {
                self.unknown.insert(
                    key.signature.clone(),
                    Unknown {
                        template: Arc::from(template),
                        error_type: Arc::from(error_type),
                        status,
                    },
                );
            }
        }
        self.cells.entry(key).or_default().add(cell);
    }

    /// Add the examples of one example group of a fine fold (those of a group whose failures
    /// pass the filters).
    pub fn add_examples(&mut self, signature: &Arc<str>, examples: Examples) {
        let kept = self.examples.entry(signature.clone()).or_default();
        kept.extend(examples);
        kept.sort_by_key(|(o, _)| *o);
        kept.truncate(EXAMPLES);
    }

    /// The examples of a fine fold, by group (empty for other folds).
    pub fn example_groups(&self) -> impl Iterator<Item = (&ExampleKey, &Examples)> {
        self.fine.iter().flat_map(|f| f.iter())
    }

    /// Every unknown signature with its (template, error type, status), by signature.
    pub fn unknowns(&self) -> impl Iterator<Item = (&Arc<str>, (&str, &str, Option<u16>))> {
        self.unknown
            .iter()
            .map(|(s, u)| (s, (&*u.template, &*u.error_type, u.status)))
    }

    /// Keep time in buckets of `grain` (never finer than now).
    fn coarsen_to(&mut self, grain: Grain) {
        if grain <= self.grain {
            return;
        }
        self.grain = grain;
        let cells = std::mem::take(&mut self.cells);
        self.cells.reserve(cells.len());
        for (mut key, cell) in cells {
            key.time = key.time.map(|t| grain.floor(t));
            self.cells.entry(key).or_default().add(cell);
        }
    }

    /// Place a fold made for one part: its examples were numbered as (file, 0, record) with
    /// lines of the part's reader; they become (file, `part`, record) with lines + `delta`.
    pub fn place(&mut self, part: u32, delta: u64) {
        let fine = self.fine.iter_mut().flat_map(|f| f.values_mut());
        for kept in self.examples.values_mut().chain(fine) {
            for (order, f) in kept.iter_mut() {
                order.1 = part;
                f.line = f.line.map(|l| l + delta);
            }
        }
    }

    /// Add another fold in.
    pub fn merge(&mut self, other: Fold) {
        self.span = match (self.span, other.span) {
            (None, x) | (x, None) => x,
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        };
        self.cap = self.cap.min(other.cap);
        // No time seen yet asks for no coarser grain (`for_span(None)` is for reporting).
        let by_span = self
            .span
            .map_or(Grain::Minute, |s| Grain::for_span(Some(s)).min(self.cap));
        let grain = self.grain.max(other.grain).max(by_span);
        self.coarsen_to(grain);
        for (mut key, cell) in other.cells {
            key.time = key.time.map(|t| grain.floor(t));
            self.cells.entry(key).or_default().add(cell);
        }
        for (sig, theirs) in other.examples {
            let kept = self.examples.entry(sig).or_default();
            kept.extend(theirs);
            kept.sort_by_key(|(o, _)| *o);
            kept.truncate(EXAMPLES);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.fine, other.fine) {
            for (k, theirs) in theirs {
                let kept = mine.entry(k).or_default();
                kept.extend(theirs);
                kept.sort_by_key(|(o, _)| *o);
                kept.truncate(EXAMPLES);
            }
        }
        for (sig, unknown) in other.unknown {
            self.unknown.entry(sig).or_insert(unknown);
        }
    }

    /// Group the unknown failures by what the templates of the whole run show to vary (see
    /// [`crate::template::group`]): each provisional `unknown.<hash>` becomes the hash of its
    /// final template, error type and status; counts and examples move with it. Call once,
    /// after the last fold is merged in. Returns the new name of every provisional signature.
    pub fn group_unknown(&mut self) -> BTreeMap<Arc<str>, Arc<str>> {
        let learned = crate::template::group(self.unknown.values().map(|u| &*u.template));
        let mut renamed: BTreeMap<Arc<str>, Arc<str>> = BTreeMap::new();
        let mut grouped: BTreeMap<Arc<str>, Unknown> = BTreeMap::new();
        for (sig, u) in &self.unknown {
            let template: Arc<str> = learned
                .get(&*u.template)
                .map_or_else(|| u.template.clone(), |t| Arc::from(t.as_str()));
            let id = self
                .names
                .get(&unknown_id(&template, &u.error_type, u.status));
            grouped.entry(id.clone()).or_insert_with(|| Unknown {
                template,
                error_type: u.error_type.clone(),
                status: u.status,
            });
            renamed.insert(sig.clone(), id);
        }
        self.unknown = grouped;
        let cells = std::mem::take(&mut self.cells);
        self.cells.reserve(cells.len());
        for (mut key, cell) in cells {
            if let Some(id) = renamed.get(&key.signature) {
                key.signature = id.clone();
            }
            self.cells.entry(key).or_default().add(cell);
        }
        for (sig, kept) in std::mem::take(&mut self.examples) {
            let sig = renamed.get(&sig).cloned().unwrap_or(sig);
            let all = self.examples.entry(sig.clone()).or_default();
            all.extend(kept.into_iter().map(|(o, mut f)| {
                f.signature = sig.clone();
                (o, f)
            }));
            all.sort_by_key(|(o, _)| *o);
            all.truncate(EXAMPLES);
        }
        renamed
    }

    /// The template of an unknown signature.
    pub fn template(&self, signature: &str) -> Option<&str> {
        self.unknown.get(signature).map(|u| &*u.template)
    }

    /// Every key with its counts, in no particular order.
    pub fn cells(&self) -> impl Iterator<Item = (&Key, &Cell)> {
        self.cells.iter()
    }

    /// The earliest failures of a signature, in input order.
    pub fn examples(&self, signature: &str) -> &[(Order, Failure)] {
        self.examples.get(signature).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SourceKind;

    fn failure(ts: Option<&str>, sig: &str, line: u64) -> Failure {
        Failure {
            timestamp: ts.map(|t| t.parse().unwrap()),
            file: Arc::from("a.log"),
            line: Some(line),
            entry: None,
            source_kind: SourceKind::Nginx,
            provider: Some("anthropic".into()),
            endpoint: Some("/v1/messages".into()),
            status: Some(429),
            http_status: Some(429),
            error_type: "rate_limit_error".into(),
            provider_code: None,
            message: None,
            model: Some("us.anthropic.claude-sonnet-4-20250514-v1:0".into()),
            request_id: None,
            cluster: Arc::from("rate_limit"),
            signature: Arc::from(sig),
            retryable: Some(true),
            attempt: None,
            latency_ms: None,
        }
    }

    #[test]
    fn time_coarsens_with_the_span_but_not_past_the_by_dimensions() {
        let mut f = Fold::new(&[]);
        f.add(&failure(Some("2025-10-02T00:00:10Z"), "s", 1), 0, (0, 0, 0));
        f.add(&failure(Some("2025-10-02T00:01:50Z"), "s", 2), 0, (0, 0, 1));
        assert_eq!(f.grain(), Grain::Minute);
        assert_eq!(f.cells().count(), 2);
        f.add(&failure(Some("2025-10-02T05:00:00Z"), "s", 3), 0, (0, 0, 2));
        assert_eq!(f.grain(), Grain::Hour);
        // The first two share an hour now; first and last stay exact.
        let (_, c) = f
            .cells()
            .find(|(k, _)| k.time == Some(1_759_363_200))
            .unwrap();
        assert_eq!(c.count, 2);
        assert_eq!(c.first, Some(1_759_363_210_000));
        assert_eq!(c.last, Some(1_759_363_310_000));
        assert_eq!(f.total(), 3);

        let mut by_minute = Fold::new(&["minute".to_string()]);
        by_minute.add(&failure(Some("2025-10-02T00:00:10Z"), "s", 1), 0, (0, 0, 0));
        by_minute.add(&failure(Some("2025-10-09T00:00:10Z"), "s", 2), 0, (0, 0, 1));
        assert_eq!(by_minute.grain(), Grain::Minute);
    }

    #[test]
    fn the_earliest_time_there_is_still_has_a_bucket() {
        let min = DateTime::<Utc>::MIN_UTC.timestamp();
        for g in [Grain::Minute, Grain::Hour, Grain::Day] {
            let t = g.floor(min + 1);
            assert!(DateTime::from_timestamp(t, 0).is_some(), "{g:?}");
        }
    }

    /// Folds of inputs without failures (clean files, quiet chunks) have no time; merging
    /// them must not coarsen the timeline of the inputs that have failures.
    #[test]
    fn folds_without_time_keep_the_grain() {
        let mut all = Fold::new(&[]);
        all.merge(Fold::new(&[]));
        all.merge(Fold::new(&[]));
        let mut timed = Fold::new(&[]);
        timed.add(&failure(Some("2025-10-02T00:00:10Z"), "s", 1), 0, (0, 0, 0));
        timed.add(&failure(Some("2025-10-02T00:05:10Z"), "s", 2), 0, (0, 0, 1));
        all.merge(timed);
        assert_eq!(all.grain(), Grain::Minute);
        assert_eq!(all.cells().count(), 2);
    }

    #[test]
    fn merging_in_any_order_gives_the_same_fold() {
        let times = [
            "2025-10-02T00:00:10Z",
            "2025-10-02T00:30:00Z",
            "2025-10-03T10:00:00Z",
            "2025-10-09T00:00:00Z",
        ];
        let part = |p: u32, sig: &str| {
            let mut f = Fold::new(&[]);
            for (i, t) in times.iter().enumerate() {
                if (i as u32 + p) % 2 == 0 {
                    f.add(&failure(Some(t), sig, i as u64 + 1), 0, (0, 0, i as u32));
                }
            }
            f.add(&failure(None, sig, 9), 0, (0, 0, 9));
            f.place(p, 100 * u64::from(p));
            f
        };
        let mut a = part(0, "x");
        a.merge(part(1, "x"));
        a.merge(part(2, "y"));
        let mut b = part(2, "y");
        b.merge(part(1, "x"));
        b.merge(part(0, "x"));
        let sorted = |f: &Fold| {
            let mut v: Vec<String> = f.cells().map(|(k, c)| format!("{k:?} {c:?}")).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&a), sorted(&b));
        assert_eq!(a.grain(), Grain::Day);
        assert_eq!(a.total(), 1 + 2 + 1 + 2 + 1 + 2);
        let ex: Vec<Order> = a.examples("x").iter().map(|(o, _)| *o).collect();
        assert_eq!(ex, [(0, 0, 0), (0, 0, 2), (0, 0, 9)]);
        let lines: Vec<Option<u64>> = a.examples("y").iter().map(|(_, f)| f.line).collect();
        assert_eq!(lines, [Some(201), Some(203), Some(209)]);
        let same: Vec<Order> = b.examples("x").iter().map(|(o, _)| *o).collect();
        assert_eq!(ex, same);
    }

    /// An unknown failure with `message`, classified as a scan classifies it.
    fn unknown(message: &str, line: u64) -> Failure {
        static CATALOG: std::sync::LazyLock<crate::catalog::Catalog> =
            std::sync::LazyLock::new(|| {
                crate::catalog::Catalog::load(&[] as &[&std::path::Path]).expect("catalog")
            });
        let mut r =
            crate::record::Record::new(SourceKind::SdkPython, crate::record::Outcome::Failure);
        r.http_status = Some(409);
        r.error_type = Some("conflict_error".into());
        r.message = Some(message.into());
        r.line = Some(line);
        let utc = chrono::FixedOffset::east_opt(0).expect("UTC");
        let f = crate::classify::classify("a.log", r, &CATALOG, utc);
        assert_eq!(&*f.cluster, "unknown", "{message}");
        f
    }

    /// The unknown groups, counts and templates of a fold, in a comparable form.
    fn grouped(mut fold: Fold) -> Vec<String> {
        fold.group_unknown();
        let mut v: Vec<String> = fold
            .cells()
            .map(|(k, c)| {
                format!(
                    "{} {:?} {}",
                    k.signature,
                    fold.template(&k.signature),
                    c.count
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn grouping_over_any_split_equals_one_run() {
        let messages: Vec<String> = ["alpha", "beta", "gamma", "delta", "epsilon"]
            .iter()
            .enumerate()
            .flat_map(|(i, w)| {
                [
                    format!("Lock held by worker {w} on job {i}"),
                    format!("Queue {w} is paused since {i} ms"),
                    format!("Lease for shard-{i} expired"),
                ]
            })
            .collect();
        let fold_of = |which: &dyn Fn(usize) -> bool, part: u32| {
            let mut f = Fold::new(&[]);
            for (i, m) in messages.iter().enumerate().filter(|(i, _)| which(*i)) {
                f.add(&unknown(m, i as u64 + 1), 0, (0, part, i as u32));
            }
            f
        };
        let one = grouped(fold_of(&|_| true, 0));
        // Worker and queue names vary over the run: one group each, whatever each part saw.
        assert_eq!(one.len(), 3, "{one:#?}");
        assert!(one
            .iter()
            .any(|g| g.contains("Lock held by worker <*> on job <*>") && g.ends_with(" 5")));
        let splits: [&dyn Fn(usize) -> bool; 3] = [&|i| i % 2 == 0, &|i| i < 4, &|i| i % 3 == 1];
        for (n, split) in splits.iter().enumerate() {
            // Each part alone sees too few names to learn anything; merged, they group as one.
            let mut a = fold_of(&|i| split(i), 0);
            a.merge(fold_of(&|i| !split(i), 1));
            assert_eq!(grouped(a), one, "split {n}");
            let mut b = fold_of(&|i| !split(i), 1);
            b.merge(fold_of(&|i| split(i), 0));
            assert_eq!(grouped(b), one, "split {n}, other order");
        }
        // One part per failure.
        let mut each = Fold::new(&[]);
        for (i, m) in messages.iter().enumerate() {
            let mut f = Fold::new(&[]);
            f.add(&unknown(m, i as u64 + 1), 0, (0, i as u32, 0));
            each.merge(f);
        }
        assert_eq!(grouped(each), one);
    }

    /// Failures folded into a fine fold, and its cells and examples folded into an ordinary
    /// fold, give the fold of the failures themselves: counts, grain, span and examples.
    #[test]
    fn a_fine_fold_refolded_is_the_fold_of_its_failures() {
        let times = [
            Some("2025-10-02T00:00:10.250Z"),
            Some("2025-10-02T00:00:59.999Z"),
            Some("2025-10-02T00:07:00Z"),
            Some("2025-10-02T01:59:00Z"),
            None,
            Some("2025-10-03T10:00:00Z"),
            Some("2025-10-06T23:59:59.001Z"),
        ];
        let models = [
            Some("claude-sonnet-4-5-20250929"),
            None,
            Some("us.anthropic.claude-sonnet-4-20250514-v1:0"),
        ];
        let mut failures = Vec::new();
        for i in 0..60u32 {
            let mut f = failure(
                times[i as usize % times.len()],
                ["a", "b", "c"][i as usize % 3],
                u64::from(i),
            );
            f.status = [Some(429), Some(529), None][i as usize % 3 / 2 + (i as usize / 7) % 2];
            f.model = models[i as usize % models.len()].map(str::to_string);
            failures.push(((i % 2, 0, i * 7 % 60), f));
        }
        let sorted = |f: &Fold| {
            let mut cells: Vec<(Key, Cell)> = f.cells().map(|(k, c)| (k.clone(), *c)).collect();
            cells.sort_by_key(|(k, _)| format!("{k:?}"));
            let ex: Vec<_> = ["a", "b", "c"]
                .iter()
                .map(|s| {
                    f.examples(s)
                        .iter()
                        .map(|(o, f)| (*o, f.line))
                        .collect::<Vec<_>>()
                })
                .collect();
            (f.grain(), f.span(), cells, ex)
        };
        for n in 1..=times.len() {
            for by in [vec![], vec!["hour".to_string()], vec!["minute".to_string()]] {
                let mut direct = Fold::new(&by);
                let mut fine = Fold::fine();
                for (order, f) in failures
                    .iter()
                    .filter(|(o, _)| o.2 as usize % times.len() < n)
                {
                    direct.add(f, order.0, *order);
                    fine.add(f, order.0, *order);
                }
                let mut refolded = Fold::new(&by);
                for (k, c) in fine.cells() {
                    let mut k = k.clone();
                    k.model = k.model.map(|m| Arc::from(normalize_model(&m)));
                    refolded.add_cell(k, *c, None);
                }
                for (k, ex) in fine.example_groups() {
                    refolded.add_examples(&k.signature, ex.clone());
                }
                assert_eq!(sorted(&refolded), sorted(&direct), "{n} {by:?}");
            }
        }
    }
}
