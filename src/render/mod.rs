//! Writing the report and the events, one module per output format. Renderers take plain
//! structs ([`Report`], [`Failure`]) and never see the report's polars frames; rows arrive
//! sorted. Column orders in the modules are the documented schemas.

use std::io::{self, Write};

use crate::classify::Failure;
use crate::report::{Group, Report};
use crate::time::format_rfc3339;
use crate::Format;

mod csv;
mod html;
mod json;
mod markdown;
mod svg;
mod table;

/// Table width for files and pipes: fixed, so output never depends on the terminal.
pub const PIPE_WIDTH: u16 = 120;

pub fn report(
    r: &Report,
    format: Format,
    width: Option<u16>,
    full: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::report(r, width.unwrap_or(PIPE_WIDTH), full, out),
        Format::Markdown => markdown::report(r, out),
        Format::Html => html::report(r, out),
        Format::Csv => csv::groups(r, out),
        Format::Json | Format::Ndjson => json::report(r, out),
        Format::Parquet => Err(io::Error::other(
            "Parquet holds events: use --events or --events-out FILE.parquet",
        )),
    }
}

pub fn events(failures: &[Failure], format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Csv => csv::events(failures, out),
        _ => json::events(failures, out),
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn time_or_dash(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(format_rfc3339).unwrap_or_else(|| "-".into())
}

/// The summary as (label, value) lines, shared by the table and Markdown.
fn summary_lines(r: &Report) -> Vec<(String, String)> {
    let s = &r.summary;
    let formats = if s.format_files.is_empty() {
        "none recognised".to_string()
    } else {
        s.format_files
            .iter()
            .map(|(k, n)| format!("{k} ({n} file{})", if *n == 1 { "" } else { "s" }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut skipped = format!(
        "{} noise, {} unparseable",
        s.lines_noise, s.lines_unparseable
    );
    if !s.unparseable_reasons.is_empty() {
        let reasons: Vec<String> = s
            .unparseable_reasons
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        skipped.push_str(&format!(" ({})", reasons.join("; ")));
    }
    if s.lines_truncated > 0 {
        skipped.push_str(&format!(", {} cut at the line limit", s.lines_truncated));
    }
    if s.lines_invalid_utf8 > 0 {
        skipped.push_str(&format!(", {} with invalid UTF-8", s.lines_invalid_utf8));
    }
    vec![
        (
            "Inputs".into(),
            format!(
                "{} file{}{}",
                s.files,
                if s.files == 1 { "" } else { "s" },
                if s.files_unreadable > 0 {
                    format!(", {} unreadable", s.files_unreadable)
                } else {
                    String::new()
                }
            ),
        ),
        ("Formats detected".into(), formats),
        (
            "Lines read".into(),
            format!("{} ({} about API calls)", s.lines_read, s.lines_relevant),
        ),
        ("Lines skipped".into(), skipped),
        (
            "API calls seen".into(),
            format!("{} ({} succeeded)", s.calls, s.successes),
        ),
        ("Failures".into(), s.failures.to_string()),
        (
            "Failure rate".into(),
            s.failure_rate
                .map(percent)
                .unwrap_or_else(|| "n/a (no successful calls in the input)".into()),
        ),
        (
            "Time span".into(),
            match (s.first_seen, s.last_seen) {
                (Some(a), Some(b)) => format!("{} .. {}", format_rfc3339(a), format_rfc3339(b)),
                _ => "unknown".into(),
            },
        ),
        (
            "Known signatures".into(),
            s.coverage
                .map(|c| format!("{} of failures", percent(c)))
                .unwrap_or_else(|| "-".into()),
        ),
    ]
}

fn retry_note(retryable: Option<bool>) -> &'static str {
    match retryable {
        Some(true) => ", retryable",
        Some(false) => ", not retryable",
        None => "",
    }
}

fn clip_line(s: &str, max: usize) -> String {
    crate::redact::truncate_chars(&s.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

fn cluster_list(clusters: &[(String, u64)]) -> String {
    clusters
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_label(g: &Group) -> String {
    g.keys
        .iter()
        .map(|k| k.clone().unwrap_or_else(|| "(none)".into()))
        .collect::<Vec<_>>()
        .join(" / ")
}
