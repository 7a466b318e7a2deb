//! Markdown: the report as a document for an incident review.

use std::io::{self, Write};

use super::{clip_line, cluster_list, key_label, percent, retry_note, summary_lines, time_or_dash};
use crate::report::Report;

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

pub(super) fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
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
    timeline_chart(r, out)?;
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
            writeln!(out, "Template: {}\n", md_code(&clip_line(t, 300)))?;
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
                    md_code(&clip_line(&e.excerpt, 300))
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

/// Buckets drawn in the Mermaid chart; the timeline table below it has them all.
const CHART_BUCKETS: usize = 200;

/// Failures per bucket as a Mermaid `xychart-beta` bar chart (GitHub and GitLab draw it; other
/// viewers show the block as text). Only buckets with failures are drawn, in time order.
fn timeline_chart(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let tl = &r.timeline;
    if tl.rows.is_empty() {
        return Ok(());
    }
    let rows = &tl.rows[..tl.rows.len().min(CHART_BUCKETS)];
    let max = rows.iter().map(|r| r.total).max().unwrap_or(0);
    // `16:20` when every bucket is on one day, else `2025-10-02 16:20` (or the date alone).
    let one_day = rows
        .iter()
        .all(|r| r.start.get(..10) == rows[0].start.get(..10));
    let labels: Vec<String> = rows
        .iter()
        .map(|r| {
            let s = r.start.trim_end_matches('Z').replace(['T', '"'], " ");
            let s = s.strip_suffix(":00").unwrap_or(&s);
            let s = if one_day && s.len() > 11 { &s[11..] } else { s };
            format!("\"{s}\"")
        })
        .collect();
    let values: Vec<String> = rows.iter().map(|r| r.total.to_string()).collect();
    writeln!(out, "\n## Failures per {} (UTC)\n", tl.bucket)?;
    writeln!(out, "```mermaid\nxychart-beta")?;
    let day = match rows[0].start.get(..10) {
        Some(d) if one_day && tl.bucket != "day" => format!(" on {d}"),
        _ => String::new(),
    };
    writeln!(out, "    title \"Failures per {}{day} (UTC)\"", tl.bucket)?;
    writeln!(out, "    x-axis [{}]", labels.join(", "))?;
    writeln!(out, "    y-axis \"Failures\" 0 --> {}", max.max(1))?;
    writeln!(out, "    bar [{}]", values.join(", "))?;
    writeln!(out, "```")?;
    if tl.rows.len() > CHART_BUCKETS {
        writeln!(
            out,
            "\nThe chart shows the first {CHART_BUCKETS} of {} {}s with failures; the timeline \
             table below has them all.",
            tl.rows.len(),
            tl.bucket
        )?;
    }
    Ok(())
}
