//! Writing the report and the events. Renderers take plain structs ([`Report`], [`Failure`])
//! and never see polars; rows arrive sorted. Column orders here are the documented schemas.

use std::io::{self, Write};

use comfy_table::{presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table};

use crate::classify::{Failure, EVENT_FIELDS};
use crate::report::{Group, Report};
use crate::time::format_rfc3339;
use crate::Format;

/// Table width for files and pipes: fixed, so output never depends on the terminal.
pub const PIPE_WIDTH: u16 = 120;

pub fn report(
    r: &Report,
    format: Format,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table(r, width.unwrap_or(PIPE_WIDTH), out),
        Format::Markdown => markdown(r, out),
        Format::Csv => groups_csv(r, out),
        Format::Json | Format::Ndjson => {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)
        }
    }
}

pub fn events(failures: &[Failure], format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Csv => {
            csv_row(out, EVENT_FIELDS.iter().map(|s| s.to_string()))?;
            for f in failures {
                csv_row(out, event_cells(f))?;
            }
            Ok(())
        }
        _ => {
            for f in failures {
                serde_json::to_writer(&mut *out, f)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
    }
}

fn event_cells(f: &Failure) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    vec![
        f.timestamp.map(format_rfc3339).unwrap_or_default(),
        f.file.to_string(),
        n(f.line),
        n(f.entry.map(u64::from)),
        f.source_kind.as_str().to_string(),
        o(&f.provider),
        o(&f.endpoint),
        n(f.status.map(u64::from)),
        n(f.http_status.map(u64::from)),
        f.error_type.clone(),
        o(&f.provider_code),
        o(&f.message),
        o(&f.model),
        o(&f.request_id),
        f.cluster.to_string(),
        f.signature.to_string(),
        f.retryable.map(|b| b.to_string()).unwrap_or_default(),
        n(f.attempt.map(u64::from)),
        n(f.latency_ms.map(u64::from)),
    ]
}

/// One RFC 4180 row: fields quoted when they hold a comma, quote, CR or LF; CRLF ends rows.
fn csv_row(out: &mut dyn Write, cells: impl IntoIterator<Item = String>) -> io::Result<()> {
    let mut first = true;
    for c in cells {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        if c.contains([',', '"', '\r', '\n']) {
            write!(out, "\"{}\"", c.replace('"', "\"\""))?;
        } else {
            out.write_all(c.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

fn fraction(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.6}")).unwrap_or_default()
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn time_or_dash(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(format_rfc3339).unwrap_or_else(|| "-".into())
}

/// The aggregated CSV: `schema_version`, the `--by` dimensions, then the measures.
fn groups_csv(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let with_fix = r.by.iter().any(|d| d == "signature");
    let mut header: Vec<String> = vec!["schema_version".into()];
    header.extend(r.by.iter().cloned());
    for h in [
        "count",
        "share",
        "calls",
        "failure_rate",
        "first_seen",
        "last_seen",
        "statuses",
        "error_types",
        "models",
    ] {
        header.push(h.into());
    }
    if with_fix {
        header.extend(["title".into(), "retryable".into(), "fix".into()]);
    }
    csv_row(out, header)?;
    for g in &r.groups {
        let mut row = vec![r.schema_version.to_string()];
        row.extend(g.keys.iter().map(|k| k.clone().unwrap_or_default()));
        row.push(g.count.to_string());
        row.push(fraction(Some(g.share)));
        row.push(g.calls.map(|c| c.to_string()).unwrap_or_default());
        row.push(fraction(g.failure_rate));
        row.push(g.first_seen.map(format_rfc3339).unwrap_or_default());
        row.push(g.last_seen.map(format_rfc3339).unwrap_or_default());
        row.push(g.statuses.join(";"));
        row.push(g.error_types.join(";"));
        row.push(g.models.join(";"));
        if with_fix {
            let pos = r.by.iter().position(|d| d == "signature").unwrap_or(0);
            let sig = g.keys.get(pos).cloned().flatten().unwrap_or_default();
            let row_sig = r.signatures.iter().find(|s| s.signature == sig);
            // An unknown group's best title is its template.
            row.push(
                row_sig
                    .map(|s| s.template.clone().unwrap_or_else(|| s.title.clone()))
                    .unwrap_or_default(),
            );
            row.push(
                row_sig
                    .and_then(|s| s.retryable)
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
            );
            row.push(row_sig.map(|s| s.fix.clone()).unwrap_or_default());
        }
        csv_row(out, row)?;
    }
    Ok(())
}

fn new_table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

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

fn table(r: &Report, width: u16, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "claude-logscan report")?;
    let mut t = new_table(width);
    for (k, v) in summary_lines(r) {
        t.add_row(vec![Cell::new(k), Cell::new(v)]);
    }
    writeln!(out, "{t}")?;
    if r.signatures.is_empty() {
        writeln!(out, "\nNo failed Claude API calls found.")?;
    } else {
        writeln!(out, "\nFailures by cluster")?;
        writeln!(out, "{}", count_table("Cluster", &r.by_cluster, width))?;
        writeln!(out, "\nFailures by signature")?;
        let mut t = new_table(width);
        // Signature ids begin with their cluster, so the id alone names both.
        t.set_header(vec![
            "Signature",
            "Count",
            "Share",
            "Statuses",
            "Models",
            "First / last seen (UTC)",
        ]);
        for s in &r.signatures {
            t.add_row(vec![
                Cell::new(&s.signature),
                Cell::new(s.count).set_alignment(CellAlignment::Right),
                Cell::new(percent(s.share)).set_alignment(CellAlignment::Right),
                Cell::new(s.statuses.join(", ")),
                Cell::new(if s.models.is_empty() {
                    "-".into()
                } else {
                    s.models.join("\n")
                }),
                Cell::new(format!(
                    "{}\n{}",
                    short_time(s.first_seen),
                    short_time(s.last_seen)
                )),
            ]);
        }
        for i in [0, 1, 2, 5] {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
        writeln!(out, "{t}")?;
        writeln!(out, "\nWhat to do")?;
        for s in &r.signatures {
            writeln!(
                out,
                "\n  {} ({}, {} failure{}{})",
                s.title,
                s.signature,
                s.count,
                if s.count == 1 { "" } else { "s" },
                retry_note(s.retryable)
            )?;
            if let Some(t) = &s.template {
                writeln!(out, "    Template: {}", one_line(t, 300))?;
            }
            for line in wrap(&s.fix, usize::from(width).saturating_sub(4).max(40)) {
                writeln!(out, "    {line}")?;
            }
            for d in &s.docs {
                writeln!(out, "    {d}")?;
            }
            for e in &s.examples {
                let id = e
                    .request_id
                    .as_deref()
                    .map(|i| format!(" ({i})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "    e.g. {}{id}: {}",
                    e.location,
                    one_line(&e.excerpt, 160)
                )?;
            }
        }
        timeline_table(r, width, out)?;
        for (title, dim, groups) in [
            ("Failures by status", "Status", &r.by_status),
            ("Failures by error type", "Error type", &r.by_error_type),
            ("Failures by model", "Model", &r.by_model),
            ("Failures by provider", "Provider", &r.by_provider),
            ("Failures by endpoint", "Endpoint", &r.by_endpoint),
        ] {
            writeln!(out, "\n{title}")?;
            writeln!(out, "{}", count_table(dim, groups, width))?;
        }
    }
    if !r.warnings.is_empty() {
        writeln!(out, "\nWarnings ({})", r.warnings.len())?;
        for w in r.warnings.iter().take(20) {
            writeln!(out, "  {}: {}", w.file, w.message)?;
        }
        if r.warnings.len() > 20 {
            writeln!(out, "  … {} more (see stderr)", r.warnings.len() - 20)?;
        }
    }
    Ok(())
}

fn retry_note(retryable: Option<bool>) -> &'static str {
    match retryable {
        Some(true) => ", retryable",
        Some(false) => ", not retryable",
        None => "",
    }
}

fn one_line(s: &str, max: usize) -> String {
    crate::redact::truncate_chars(&s.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

fn cluster_list(clusters: &[(String, u64)]) -> String {
    clusters
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn timeline_table(r: &Report, width: u16, out: &mut dyn Write) -> io::Result<()> {
    let tl = &r.timeline;
    if tl.rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nTimeline (failures per {}, UTC)", tl.bucket)?;
    let mut t = new_table(width);
    t.set_header(vec!["Bucket", "Failures", "Clusters"]);
    for row in tl.rows.iter().take(200) {
        t.add_row(vec![
            Cell::new(&row.start),
            Cell::new(row.total).set_alignment(CellAlignment::Right),
            Cell::new(cluster_list(&row.clusters)),
        ]);
    }
    writeln!(out, "{t}")?;
    if tl.rows.len() > 200 {
        writeln!(
            out,
            "  … {} more buckets (use --format json)",
            tl.rows.len() - 200
        )?;
    }
    if let Some(p) = &tl.peak {
        writeln!(
            out,
            "Peak: {} failures in the {} starting {}",
            p.total, tl.bucket, p.start
        )?;
    }
    for b in &tl.bursts {
        writeln!(
            out,
            "Burst: {} {} failures in the {} starting {} (baseline {:.1} per {})",
            b.count, b.cluster, tl.bucket, b.start, b.baseline, tl.bucket
        )?;
    }
    Ok(())
}

/// `2025-10-02 16:22:30` (UTC): a table cell, not a schema.
fn short_time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Greedy word wrap (a word longer than the width gets its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn key_label(g: &Group) -> String {
    g.keys
        .iter()
        .map(|k| k.clone().unwrap_or_else(|| "(none)".into()))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn count_table(dim: &str, groups: &[Group], width: u16) -> Table {
    let mut t = new_table(width);
    let with_rate = groups.iter().any(|g| g.calls.is_some());
    let mut header = vec![dim, "Count", "Share"];
    if with_rate {
        header.extend(["Calls", "Failure rate"]);
    }
    t.set_header(header);
    for g in groups {
        let mut row = vec![
            Cell::new(key_label(g)),
            Cell::new(g.count).set_alignment(CellAlignment::Right),
            Cell::new(percent(g.share)).set_alignment(CellAlignment::Right),
        ];
        if with_rate {
            row.push(
                Cell::new(g.calls.map_or("-".into(), |c| c.to_string()))
                    .set_alignment(CellAlignment::Right),
            );
            row.push(
                Cell::new(g.failure_rate.map_or("-".into(), percent))
                    .set_alignment(CellAlignment::Right),
            );
        }
        t.add_row(row);
    }
    t
}

/// Inline code that survives backticks in the text.
fn md_code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {} ``", s.replace('|', "\\|"))
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

/// Escape text for a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# Claude API failures\n")?;
    writeln!(out, "## Summary\n")?;
    writeln!(out, "| | |\n|---|---|")?;
    for (k, v) in summary_lines(r) {
        writeln!(out, "| {} | {} |", md(&k), md(&v))?;
    }
    if r.signatures.is_empty() {
        writeln!(out, "\nNo failed Claude API calls found.")?;
        return Ok(());
    }
    writeln!(out, "\n## Top clusters\n")?;
    writeln!(out, "| Cluster | Count | Share |\n|---|--:|--:|")?;
    for g in &r.by_cluster {
        writeln!(
            out,
            "| {} | {} | {} |",
            md(&key_label(g)),
            g.count,
            percent(g.share)
        )?;
    }
    writeln!(out, "\n## Failures by root cause\n")?;
    writeln!(
        out,
        "| Cluster | Signature | Count | Share | Statuses | Models | First seen | Last seen |"
    )?;
    writeln!(out, "|---|---|--:|--:|---|---|---|---|")?;
    for s in &r.signatures {
        writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} | {} | {} |",
            s.cluster,
            s.signature,
            s.count,
            percent(s.share),
            s.statuses.join(", "),
            md(&s.models.join(", ")),
            time_or_dash(s.first_seen),
            time_or_dash(s.last_seen)
        )?;
    }
    writeln!(out, "\n## What to do\n")?;
    for s in &r.signatures {
        writeln!(
            out,
            "### {} (`{}`, {} failure{}{})\n",
            s.title,
            s.signature,
            s.count,
            if s.count == 1 { "" } else { "s" },
            retry_note(s.retryable)
        )?;
        if let Some(t) = &s.template {
            writeln!(out, "Template: {}\n", md_code(&one_line(t, 300)))?;
        }
        writeln!(out, "{}\n", s.fix)?;
        if !s.docs.is_empty() {
            let links: Vec<String> = s.docs.iter().map(|d| format!("<{d}>")).collect();
            writeln!(out, "Docs: {}\n", links.join(", "))?;
        }
        if !s.examples.is_empty() {
            writeln!(out, "Examples:\n")?;
            for e in &s.examples {
                let id = e
                    .request_id
                    .as_deref()
                    .map(|i| format!(" (`{i}`)"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "- `{}`{id}: {}",
                    md(&e.location),
                    md_code(&one_line(&e.excerpt, 300))
                )?;
            }
            writeln!(out)?;
        }
    }
    let tl = &r.timeline;
    if !tl.rows.is_empty() {
        writeln!(out, "## Timeline\n")?;
        if let Some(p) = &tl.peak {
            writeln!(
                out,
                "Peak: **{} failures** in the {} starting {} (UTC).\n",
                p.total, tl.bucket, p.start
            )?;
        }
        for b in &tl.bursts {
            writeln!(
                out,
                "- Burst: {} `{}` failures in the {} starting {} (baseline {:.1} per {}).",
                b.count, b.cluster, tl.bucket, b.start, b.baseline, tl.bucket
            )?;
        }
        if !tl.bursts.is_empty() {
            writeln!(out)?;
        }
        writeln!(
            out,
            "| {} (UTC) | Failures | Clusters |\n|---|--:|---|",
            tl.bucket
        )?;
        for row in tl.rows.iter().take(500) {
            writeln!(
                out,
                "| {} | {} | {} |",
                row.start,
                row.total,
                md(&cluster_list(&row.clusters))
            )?;
        }
        if tl.undated > 0 {
            writeln!(out, "\n{} failures had no time stamp.", tl.undated)?;
        }
        writeln!(out)?;
    }
    for (title, dim, groups) in [
        ("By status", "Status", &r.by_status),
        ("By error type", "Error type", &r.by_error_type),
        ("By model", "Model", &r.by_model),
        ("By provider", "Provider", &r.by_provider),
        ("By endpoint", "Endpoint", &r.by_endpoint),
    ] {
        writeln!(out, "## {title}\n")?;
        writeln!(out, "| {dim} | Count | Share | Calls | Failure rate |")?;
        writeln!(out, "|---|--:|--:|--:|--:|")?;
        for g in groups {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(&key_label(g)),
                g.count,
                percent(g.share),
                g.calls.map_or("-".into(), |c| c.to_string()),
                g.failure_rate.map_or("-".into(), percent)
            )?;
        }
        writeln!(out)?;
    }
    if !r.warnings.is_empty() {
        writeln!(out, "## Input warnings\n")?;
        for w in &r.warnings {
            writeln!(out, "- `{}`: {}", md(&w.file), md(&w.message))?;
        }
    }
    Ok(())
}
