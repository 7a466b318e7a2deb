//! Aggregation: folded failures ([`crate::aggregate`]) and call counts become a [`Report`] of
//! plain structs. polars does the grouping (sums of the fold's counts); everything it returns
//! is copied into owned rows and sorted here (count descending, then key), so the renderers
//! never see polars and the order never depends on hashing or threads.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;

use std::sync::Arc;

use crate::aggregate::{Cell, Fold, Grain, Key};
use crate::catalog::Catalog;

/// Version of the CSV/JSON schemas; bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Dimensions a report can be grouped by (`--by`).
pub const DIMENSIONS: [&str; 13] = [
    "status",
    "http_status",
    "error_type",
    "cluster",
    "signature",
    "model",
    "provider",
    "endpoint",
    "source_kind",
    "file",
    "minute",
    "hour",
    "day",
];

/// The value of one dimension for one group of failures (`files` names the inputs).
pub fn dimension(k: &Key, files: &[Arc<str>], dim: &str) -> Option<String> {
    let fmt_time = |pattern: &str| {
        k.time
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| t.format(pattern).to_string())
    };
    let text = |v: &Option<Arc<str>>| v.as_deref().map(str::to_string);
    match dim {
        "status" => k.status.map(|s| s.to_string()),
        "http_status" => k.http_status.map(|s| s.to_string()),
        "error_type" => Some(k.error_type.to_string()),
        "cluster" => Some(k.cluster.to_string()),
        "signature" => Some(k.signature.to_string()),
        "model" => text(&k.model),
        "provider" => text(&k.provider),
        "endpoint" => text(&k.endpoint),
        "source_kind" => Some(k.source_kind.as_str().to_string()),
        "file" => files.get(k.file as usize).map(|f| f.to_string()),
        "minute" => fmt_time("%Y-%m-%dT%H:%M:00Z"),
        "hour" => fmt_time("%Y-%m-%dT%H:00:00Z"),
        "day" => fmt_time("%Y-%m-%d"),
        _ => None,
    }
}

/// Facts about the run that are not failures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files: u64,
    pub files_unreadable: u64,
    /// Records per detected format (source kind).
    pub formats: BTreeMap<String, u64>,
    /// Files in which each format was detected.
    pub format_files: BTreeMap<String, u64>,
    pub lines_read: u64,
    pub lines_relevant: u64,
    pub lines_noise: u64,
    pub lines_unparseable: u64,
    pub lines_invalid_utf8: u64,
    pub lines_truncated: u64,
    pub unparseable_reasons: BTreeMap<String, u64>,
    /// API calls seen: successes plus failures.
    pub calls: u64,
    pub successes: u64,
    pub failures: u64,
    /// Failures over calls, counted only in inputs that show successful calls too.
    pub failure_rate: Option<f64>,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Share of failures matched by a known signature.
    pub coverage: Option<f64>,
}

fn ser_time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::time::format_rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// One group of failures.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The value of each grouping dimension, in `--by` order.
    pub keys: Vec<Option<String>>,
    pub count: u64,
    /// Fraction of all failures (0..1).
    pub share: f64,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Distinct effective statuses (`none` for no response), ascending.
    pub statuses: Vec<String>,
    pub error_types: Vec<String>,
    /// Most frequent models first, at most five.
    pub models: Vec<String>,
    /// How many distinct models the group has (`models` keeps five): for `+N` in tables.
    #[serde(skip)]
    pub models_distinct: usize,
    /// Calls seen for this group, when it is a dimension that successes have too.
    pub calls: Option<u64>,
    pub failure_rate: Option<f64>,
}

/// A signature row of the main table, with what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureRow {
    pub cluster: String,
    pub signature: String,
    pub title: String,
    /// For an unknown signature, the template of its messages (`<*>` where they vary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    pub count: u64,
    pub share: f64,
    pub statuses: Vec<String>,
    pub models: Vec<String>,
    /// How many distinct models the signature has (`models` keeps five).
    #[serde(skip)]
    pub models_distinct: usize,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<DateTime<Utc>>,
    pub retryable: Option<bool>,
    pub fix: String,
    pub docs: Vec<String>,
    /// Up to three failures of this signature, in input order.
    pub examples: Vec<Example>,
}

/// One failure shown as an example: where it is and what it said (already redacted).
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// `file:line`, or `file#entry` for JSON array documents.
    pub location: String,
    pub request_id: Option<String>,
    pub excerpt: String,
}

/// Failures per time bucket and cluster, with the peak and the bursts.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// `minute`, `hour` or `day`, chosen from the time span.
    pub bucket: String,
    pub rows: Vec<TimelineRow>,
    pub peak: Option<TimelineRow>,
    pub bursts: Vec<Burst>,
    /// Failures without a time stamp (not in the rows).
    pub undated: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub start: String,
    pub total: u64,
    /// Clusters in this bucket, most failures first.
    pub clusters: Vec<(String, u64)>,
}

/// A bucket where a cluster ran far above its own baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    pub cluster: String,
    pub start: String,
    pub count: u64,
    /// The cluster's mean per bucket over the whole span.
    pub baseline: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub file: String,
    pub message: String,
}

/// How the lines of one input were accounted for: `lines_read = lines_relevant + lines_noise +
/// lines_unparseable`, file by file, in input order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileLines {
    pub file: String,
    pub lines_read: u64,
    pub lines_relevant: u64,
    pub lines_noise: u64,
    pub lines_unparseable: u64,
    pub lines_invalid_utf8: u64,
    pub lines_truncated: u64,
    /// Failed and successful calls found in this file (failures before filters, and before
    /// the same request id seen in several files is joined).
    pub failures: u64,
    pub successes: u64,
    /// Why the file was skipped or not read to the end, if it was.
    pub skipped: Option<String>,
}

/// The whole report: what every output format renders.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub summary: Summary,
    /// The `--by` dimensions of `groups`.
    pub by: Vec<String>,
    pub groups: Vec<Group>,
    pub signatures: Vec<SignatureRow>,
    pub by_cluster: Vec<Group>,
    pub by_status: Vec<Group>,
    pub by_error_type: Vec<Group>,
    pub by_model: Vec<Group>,
    pub by_provider: Vec<Group>,
    pub by_endpoint: Vec<Group>,
    pub timeline: Timeline,
    pub warnings: Vec<Warning>,
    /// Line accounting per input (JSON output).
    pub files: Vec<FileLines>,
}

/// Successful and failed calls by the dimensions that successes know about.
#[derive(Debug, Clone, Default)]
pub struct CallCounts {
    /// (dimension, value) -> calls seen (successes + failures) in inputs that show successes.
    pub calls: BTreeMap<(String, Option<String>), u64>,
}

/// One polars group: (keys, count, first ms, last ms).
type RawGroup = (Vec<Option<String>>, u64, Option<i64>, Option<i64>);

/// Statuses, error types and model counts of one group.
type GroupDetail = (BTreeSet<String>, BTreeSet<String>, BTreeMap<String, u64>);

/// Group the fold's cells by `dims` with polars: (keys, count, first ms, last ms).
fn polars_groups(
    cells: &[(&Key, &Cell)],
    files: &[Arc<str>],
    dims: &[String],
) -> PolarsResult<Vec<RawGroup>> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns: Vec<Column> = Vec::with_capacity(dims.len() + 3);
    for (i, d) in dims.iter().enumerate() {
        let values: Vec<Option<String>> =
            cells.iter().map(|(k, _)| dimension(k, files, d)).collect();
        columns.push(Column::new(format!("k{i}").into(), values));
    }
    let count: Vec<u64> = cells.iter().map(|(_, c)| c.count).collect();
    let first: Vec<Option<i64>> = cells.iter().map(|(_, c)| c.first).collect();
    let last: Vec<Option<i64>> = cells.iter().map(|(_, c)| c.last).collect();
    columns.push(Column::new("n".into(), count));
    columns.push(Column::new("lo".into(), first));
    columns.push(Column::new("hi".into(), last));
    let df = DataFrame::new_infer_height(columns)?;
    let keys: Vec<Expr> = (0..dims.len()).map(|i| col(format!("k{i}"))).collect();
    let out = df
        .lazy()
        .group_by(keys)
        .agg([
            col("n").sum().alias("count"),
            col("lo").min().alias("first"),
            col("hi").max().alias("last"),
        ])
        .collect()?;
    let counts = out.column("count")?.cast(&DataType::UInt64)?;
    let counts = counts.u64()?;
    let first = out.column("first")?.i64()?;
    let last = out.column("last")?.i64()?;
    let key_cols: Vec<&StringChunked> = (0..dims.len())
        .map(|i| out.column(&format!("k{i}")).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    let mut rows = Vec::with_capacity(out.height());
    for r in 0..out.height() {
        let keys = key_cols
            .iter()
            .map(|c| c.get(r).map(str::to_string))
            .collect();
        rows.push((keys, counts.get(r).unwrap_or(0), first.get(r), last.get(r)));
    }
    Ok(rows)
}

fn from_millis(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

/// The failures of a run, folded, with the names of its inputs.
pub struct Folded<'a> {
    pub cells: Vec<(&'a Key, &'a Cell)>,
    pub fold: &'a Fold,
    pub files: &'a [Arc<str>],
    pub total: u64,
}

impl<'a> Folded<'a> {
    pub fn new(fold: &'a Fold, files: &'a [Arc<str>]) -> Folded<'a> {
        let cells: Vec<(&Key, &Cell)> = fold.cells().collect();
        Folded {
            total: cells.iter().map(|(_, c)| c.count).sum(),
            cells,
            fold,
            files,
        }
    }
}

/// Groups with their details, sorted by count descending then keys.
fn groups(data: &Folded, dims: &[String], calls: &CallCounts) -> PolarsResult<Vec<Group>> {
    let total = data.total as f64;
    let mut details: BTreeMap<Vec<Option<String>>, GroupDetail> = BTreeMap::new();
    for (k, c) in &data.cells {
        let key: Vec<Option<String>> = dims.iter().map(|d| dimension(k, data.files, d)).collect();
        let e = details.entry(key).or_default();
        e.0.insert(
            k.status
                .map_or_else(|| "none".to_string(), |s| s.to_string()),
        );
        e.1.insert(k.error_type.to_string());
        if let Some(m) = k.model.as_deref() {
            *e.2.entry(m.to_string()).or_default() += c.count;
        }
    }
    let mut out = Vec::new();
    for (keys, count, first, last) in polars_groups(&data.cells, data.files, dims)? {
        let (statuses, error_types, models) = details.remove(&keys).unwrap_or_default();
        let mut statuses: Vec<String> = statuses.into_iter().collect();
        statuses.sort_by_key(|s| (s == "none", s.len(), s.clone()));
        let mut models: Vec<(String, u64)> = models.into_iter().collect();
        models.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let group_calls = if dims.len() == 1 {
            calls
                .calls
                .get(&(dims[0].clone(), keys[0].clone()))
                .copied()
        } else {
            None
        };
        out.push(Group {
            share: if total > 0.0 {
                count as f64 / total
            } else {
                0.0
            },
            first_seen: from_millis(first),
            last_seen: from_millis(last),
            statuses,
            error_types: error_types.into_iter().collect(),
            models_distinct: models.len(),
            models: models.into_iter().take(5).map(|m| m.0).collect(),
            failure_rate: group_calls
                .filter(|c| *c > 0)
                .map(|c| (count as f64 / c as f64).min(1.0)),
            calls: group_calls,
            count,
            keys,
        });
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.keys.cmp(&b.keys)));
    Ok(out)
}

/// Build the report. `by` are the dimensions of the main groups.
pub fn build(
    data: &Folded,
    by: &[String],
    calls: &CallCounts,
    summary: Summary,
    catalog: &Catalog,
    warnings: Vec<Warning>,
) -> PolarsResult<Report> {
    let one = |d: &str| groups(data, &[d.to_string()], calls);
    let sig_groups = groups(data, &["cluster".into(), "signature".into()], calls)?;
    let signatures = sig_groups
        .into_iter()
        .map(|g| {
            let cluster = g.keys[0].clone().unwrap_or_default();
            let signature = g.keys[1].clone().unwrap_or_default();
            let sig = catalog.get(&signature);
            SignatureRow {
                title: sig.map_or_else(|| "Unrecognised failure".to_string(), |s| s.title.clone()),
                retryable: sig.map(|s| s.retryable),
                fix: sig.map_or_else(
                    || "No known signature matched. Look at the examples below; if this is a recurring API failure, add a signature (see patterns/README.md).".to_string(),
                    |s| s.fix.clone(),
                ),
                docs: sig.map(|s| s.docs.clone()).unwrap_or_default(),
                template: data.fold.template(&signature).map(str::to_string),
                cluster,
                signature,
                count: g.count,
                share: g.share,
                statuses: g.statuses,
                models: g.models,
                models_distinct: g.models_distinct,
                first_seen: g.first_seen,
                last_seen: g.last_seen,
                examples: examples_of(data.fold, &g.keys),
            }
        })
        .collect();
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        summary,
        by: by.to_vec(),
        groups: groups(data, by, calls)?,
        signatures,
        by_cluster: one("cluster")?,
        by_status: one("status")?,
        by_error_type: one("error_type")?,
        by_model: one("model")?,
        by_provider: one("provider")?,
        by_endpoint: one("endpoint")?,
        timeline: timeline(data, calls)?,
        warnings,
        files: Vec::new(),
    })
}

fn examples_of(fold: &Fold, keys: &[Option<String>]) -> Vec<Example> {
    let signature = keys.get(1).cloned().flatten().unwrap_or_default();
    fold.examples(&signature)
        .iter()
        .map(|(_, f)| Example {
            location: match (f.line, f.entry) {
                (Some(l), _) => format!("{}:{l}", f.file),
                (None, Some(e)) => format!("{}#{e}", f.file),
                _ => f.file.to_string(),
            },
            request_id: f.request_id.clone(),
            excerpt: f.message.clone().unwrap_or_else(|| {
                format!(
                    "HTTP {} {}",
                    f.http_status
                        .map_or("(no response)".into(), |s| s.to_string()),
                    f.endpoint.as_deref().unwrap_or("")
                )
            }),
        })
        .collect()
}

/// A burst: at least 5 failures in a bucket and at least three times the cluster's mean
/// per bucket over the span (a count_tokens probe storm, a 529 wave).
const BURST_MIN: u64 = 5;
const BURST_FACTOR: f64 = 3.0;

fn timeline(data: &Folded, calls: &CallCounts) -> PolarsResult<Timeline> {
    let span = data.fold.span();
    let bucket = Grain::for_span(span).name();
    // Undated failures have no bucket key: `groups` gives them a `None` start, skipped below.
    let undated = data
        .cells
        .iter()
        .filter(|(k, _)| k.time.is_none())
        .map(|(_, c)| c.count)
        .sum();
    let cells = groups(data, &[bucket.to_string(), "cluster".to_string()], calls)?;
    let mut rows: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for g in &cells {
        let (Some(start), Some(cluster)) = (g.keys[0].clone(), g.keys[1].clone()) else {
            continue;
        };
        rows.entry(start).or_default().insert(cluster, g.count);
    }
    let n_buckets = bucket_count(span, bucket).max(1) as f64;
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for g in &cells {
        if let (Some(_), Some(c)) = (&g.keys[0], g.keys[1].clone()) {
            *totals.entry(c).or_default() += g.count;
        }
    }
    let mut bursts = Vec::new();
    let rows: Vec<TimelineRow> = rows
        .into_iter()
        .map(|(start, clusters)| {
            for (c, n) in &clusters {
                let baseline = totals.get(c).copied().unwrap_or(0) as f64 / n_buckets;
                if *n >= BURST_MIN && (*n as f64) >= BURST_FACTOR * baseline {
                    bursts.push(Burst {
                        cluster: c.clone(),
                        start: start.clone(),
                        count: *n,
                        baseline: (baseline * 100.0).round() / 100.0,
                    });
                }
            }
            let mut clusters: Vec<(String, u64)> = clusters.into_iter().collect();
            clusters.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            TimelineRow {
                total: clusters.iter().map(|c| c.1).sum(),
                start,
                clusters,
            }
        })
        .collect();
    let peak = rows
        .iter()
        .max_by(|a, b| a.total.cmp(&b.total).then(b.start.cmp(&a.start)))
        .cloned();
    bursts.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.start.cmp(&b.start))
            .then(a.cluster.cmp(&b.cluster))
    });
    Ok(Timeline {
        bucket: bucket.to_string(),
        rows,
        peak,
        bursts,
        undated,
    })
}

/// How many buckets the span of the dated failures covers (empty ones included).
fn bucket_count(span: Option<(DateTime<Utc>, DateTime<Utc>)>, bucket: &str) -> i64 {
    let Some((lo, hi)) = span else {
        return 0;
    };
    let span = hi - lo;
    1 + match bucket {
        "minute" => span.num_minutes(),
        "hour" => span.num_hours(),
        _ => span.num_days(),
    }
}
