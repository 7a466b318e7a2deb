//! The table for a terminal (the default output).

use std::io::{self, Write};

use comfy_table::{presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table};

use super::{cluster_list, key_label, one_line, percent, retry_note, summary_lines};
use crate::report::{Group, Report};

fn new_table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

pub(super) fn report(r: &Report, width: u16, out: &mut dyn Write) -> io::Result<()> {
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
