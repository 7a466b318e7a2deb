//! The table for a terminal (the default output). It is made to be read at 120 columns: a
//! cell wraps only between words, never inside an identifier (each column is at least as wide
//! as its longest word); model lists show the most frequent model and `+N`; by default each
//! table shows its top rows and ends with `... N more (see ...)`, and `--full` shows them all.
//! Small tables stand side by side when both fit the width.

use std::io::{self, Write};

use comfy_table::{
    presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
};

use super::{clip_line, cluster_list, key_label, percent, retry_note, summary_lines};
use crate::report::{Group, Report, SignatureRow};

/// How much of each part the report shows.
struct Limits {
    clusters: usize,
    signatures: usize,
    fixes: usize,
    examples: usize,
    buckets: usize,
    bursts: usize,
    /// Clusters named in each timeline row.
    bucket_clusters: usize,
    groups: usize,
}

const SHORT: Limits = Limits {
    clusters: 8,
    signatures: 8,
    fixes: 3,
    examples: 1,
    buckets: 6,
    bursts: 3,
    bucket_clusters: 4,
    groups: 4,
};

const FULL: Limits = Limits {
    clusters: usize::MAX,
    signatures: usize::MAX,
    fixes: usize::MAX,
    examples: usize::MAX,
    buckets: 200,
    bursts: usize::MAX,
    bucket_clusters: usize::MAX,
    groups: usize::MAX,
};

fn new_table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

/// A table whose columns never split a word: each is at least as wide as its longest word
/// (header included), so only prose wraps, between words.
fn whole_words(width: u16, header: &[&str], rows: Vec<Vec<Cell>>, texts: &[Vec<String>]) -> Table {
    let mut t = new_table(width);
    t.set_header(header.to_vec());
    let mut longest: Vec<usize> = header.iter().map(|h| longest_word(h)).collect();
    for row in texts {
        for (i, text) in row.iter().enumerate() {
            if let Some(l) = longest.get_mut(i) {
                *l = (*l).max(longest_word(text));
            }
        }
    }
    for row in rows {
        t.add_row(row);
    }
    // On a terminal too narrow for every whole word, let comfy-table squeeze as it can.
    let needed: usize = longest.iter().map(|l| l + 3).sum::<usize>() + 1;
    if needed > usize::from(width) {
        return t;
    }
    for (i, l) in longest.iter().enumerate() {
        if let Some(c) = t.column_mut(i) {
            // comfy-table's lower boundary counts the padding (one space either side).
            let w = u16::try_from(*l + 2).unwrap_or(u16::MAX);
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
        }
    }
    t
}

fn longest_word(s: &str) -> usize {
    s.split_whitespace()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0)
}

/// Builds rows of text and right-aligned flags, then the table.
struct Rows {
    cells: Vec<Vec<Cell>>,
    texts: Vec<Vec<String>>,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            cells: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// One row; cells whose flag is `true` are numbers (right-aligned).
    fn push(&mut self, row: Vec<(String, bool)>) {
        self.cells.push(
            row.iter()
                .map(|(text, right)| {
                    let c = Cell::new(text);
                    if *right {
                        c.set_alignment(CellAlignment::Right)
                    } else {
                        c
                    }
                })
                .collect(),
        );
        self.texts.push(row.into_iter().map(|(t, _)| t).collect());
    }

    fn table(self, width: u16, header: &[&str]) -> Table {
        whole_words(width, header, self.cells, &self.texts)
    }
}

/// `... 11 more (see HINT)` when `shown` is less than `total`.
fn more(total: usize, shown: usize, hint: &str) -> Option<String> {
    (total > shown).then(|| format!("... {} more (see {hint})", total - shown))
}

pub(super) fn report(r: &Report, width: u16, full: bool, out: &mut dyn Write) -> io::Result<()> {
    let limits = if full { &FULL } else { &SHORT };
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
        let (t, more_line) =
            count_table("Cluster", "cluster", &r.by_cluster, width, limits.clusters);
        writeln!(out, "{t}")?;
        if let Some(m) = more_line {
            writeln!(out, "{m}")?;
        }
        writeln!(out, "\nFailures by signature")?;
        writeln!(
            out,
            "{}",
            signature_table(&r.signatures, width, limits.signatures)
        )?;
        if let Some(m) = more(
            r.signatures.len(),
            limits.signatures,
            "--full or --format csv",
        ) {
            writeln!(out, "{m}")?;
        }
        fixes(r, width, limits, out)?;
        timeline_table(r, width, limits, out)?;
        let blocks: Vec<Vec<String>> = [
            ("Failures by status", "Status", "status", &r.by_status),
            (
                "Failures by error type",
                "Error type",
                "error_type",
                &r.by_error_type,
            ),
            ("Failures by model", "Model", "model", &r.by_model),
            (
                "Failures by provider",
                "Provider",
                "provider",
                &r.by_provider,
            ),
            (
                "Failures by endpoint",
                "Endpoint",
                "endpoint",
                &r.by_endpoint,
            ),
        ]
        .into_iter()
        .map(|(title, dim, by, groups)| {
            let (t, more_line) = count_table(dim, by, groups, width, limits.groups);
            let mut lines = vec![title.to_string()];
            lines.extend(t.to_string().lines().map(str::to_string));
            lines.extend(more_line);
            lines
        })
        .collect();
        for block in side_by_side(blocks, usize::from(width)) {
            writeln!(out)?;
            for line in block {
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    if !r.warnings.is_empty() {
        writeln!(out, "\nWarnings ({})", r.warnings.len())?;
        for w in r.warnings.iter().take(20) {
            writeln!(out, "  {}: {}", w.file, w.message)?;
        }
        if r.warnings.len() > 20 {
            writeln!(out, "  ... {} more (see stderr)", r.warnings.len() - 20)?;
        }
    }
    Ok(())
}

/// Pairs of blocks of lines joined side by side when the pair fits `width`, in order.
fn side_by_side(blocks: Vec<Vec<String>>, width: usize) -> Vec<Vec<String>> {
    const GAP: usize = 3;
    let cols = |b: &[String]| b.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut out = Vec::new();
    let mut blocks = blocks.into_iter().peekable();
    while let Some(left) = blocks.next() {
        let lw = cols(&left);
        match blocks.peek() {
            Some(right) if lw + GAP + cols(right) <= width => {
                let right = blocks.next().unwrap_or_default();
                let rows = left.len().max(right.len());
                let joined = (0..rows)
                    .map(|i| {
                        let l = left.get(i).map(String::as_str).unwrap_or("");
                        let r = right.get(i).map(String::as_str).unwrap_or("");
                        let pad = lw + GAP - l.chars().count();
                        format!("{l}{}{r}", " ".repeat(pad))
                    })
                    .collect();
                out.push(joined);
            }
            _ => out.push(left),
        }
    }
    out
}

/// `claude-sonnet-4-5-20250929 +2`: the most frequent model and how many others.
fn models_cell(models: &[String], distinct: usize) -> String {
    match models.first() {
        None => "-".into(),
        Some(top) => {
            let others = distinct.max(models.len()).saturating_sub(1);
            if others == 0 {
                top.clone()
            } else {
                format!("{top} +{others}")
            }
        }
    }
}

fn signature_table(sigs: &[SignatureRow], width: u16, limit: usize) -> Table {
    let mut rows = Rows::new();
    for s in sigs.iter().take(limit) {
        rows.push(vec![
            (s.signature.clone(), false),
            (s.count.to_string(), true),
            (percent(s.share), true),
            (s.statuses.join(", "), false),
            (models_cell(&s.models, s.models_distinct), false),
            (
                format!("{}\n{}", short_time(s.first_seen), short_time(s.last_seen)),
                false,
            ),
        ]);
    }
    // Signature ids begin with their cluster, so the id alone names both.
    let mut t = rows.table(
        width,
        &[
            "Signature",
            "Count",
            "Share",
            "Statuses",
            "Top model",
            "First / last seen (UTC)",
        ],
    );
    // The time column keeps each time on one line.
    if let Some(c) = t.column_mut(5) {
        c.set_constraint(ColumnConstraint::ContentWidth);
    }
    t
}

fn fixes(r: &Report, width: u16, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\nWhat to do")?;
    for s in r.signatures.iter().take(limits.fixes) {
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
            writeln!(out, "    Template: {}", clip_line(t, 300))?;
        }
        for line in wrap(&s.fix, usize::from(width).saturating_sub(4).max(40)) {
            writeln!(out, "    {line}")?;
        }
        for d in &s.docs {
            writeln!(out, "    {d}")?;
        }
        for e in s.examples.iter().take(limits.examples) {
            let id = e
                .request_id
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            let head = format!("    e.g. {}{id}: ", e.location);
            let room = usize::from(width)
                .saturating_sub(head.chars().count())
                .max(40);
            writeln!(out, "{head}{}", clip_line(&e.excerpt, room))?;
        }
    }
    if r.signatures.len() > limits.fixes {
        writeln!(
            out,
            "\n  ... {} more (see --full, or `claude-logscan explain SIGNATURE`)",
            r.signatures.len() - limits.fixes
        )?;
    }
    Ok(())
}

fn timeline_table(r: &Report, width: u16, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    let tl = &r.timeline;
    if tl.rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nTimeline (failures per {}, UTC)", tl.bucket)?;
    // The busiest buckets, shown in time order.
    let mut shown: Vec<usize> = (0..tl.rows.len()).collect();
    if tl.rows.len() > limits.buckets {
        shown.sort_by(|a, b| {
            tl.rows[*b]
                .total
                .cmp(&tl.rows[*a].total)
                .then(tl.rows[*a].start.cmp(&tl.rows[*b].start))
        });
        shown.truncate(limits.buckets);
        shown.sort_unstable();
    }
    let mut rows = Rows::new();
    for i in &shown {
        let row = &tl.rows[*i];
        rows.push(vec![
            (row.start.clone(), false),
            (row.total.to_string(), true),
            (
                bucket_clusters(&row.clusters, limits.bucket_clusters),
                false,
            ),
        ]);
    }
    writeln!(
        out,
        "{}",
        rows.table(width, &["Bucket", "Failures", "Clusters"])
    )?;
    if let Some(m) = more(
        tl.rows.len(),
        shown.len(),
        &format!("--full or --format csv --by {}", tl.bucket),
    ) {
        writeln!(out, "{m}")?;
    }
    if let Some(p) = &tl.peak {
        writeln!(
            out,
            "Peak: {} failures in the {} starting {}",
            p.total, tl.bucket, p.start
        )?;
    }
    for b in tl.bursts.iter().take(limits.bursts) {
        writeln!(
            out,
            "Burst: {} {} failures in the {} starting {} (baseline {:.1} per {})",
            b.count, b.cluster, tl.bucket, b.start, b.baseline, tl.bucket
        )?;
    }
    if tl.bursts.len() > limits.bursts {
        writeln!(
            out,
            "... {} more bursts (see --full or --format json)",
            tl.bursts.len() - limits.bursts
        )?;
    }
    Ok(())
}

/// `rate_limit 31, overloaded 27, +15 more`: the biggest clusters of a bucket.
fn bucket_clusters(clusters: &[(String, u64)], limit: usize) -> String {
    let shown = clusters.len().min(limit);
    let mut text = cluster_list(&clusters[..shown]);
    if clusters.len() > shown {
        text.push_str(&format!(", +{} more", clusters.len() - shown));
    }
    text
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

/// Counts of one dimension (top `limit` rows), and the `... N more` line if rows were left out.
fn count_table(
    dim: &str,
    by: &str,
    groups: &[Group],
    width: u16,
    limit: usize,
) -> (Table, Option<String>) {
    let with_rate = groups.iter().any(|g| g.calls.is_some());
    let mut header = vec![dim, "Count", "Share"];
    if with_rate {
        header.extend(["Calls", "Failure rate"]);
    }
    let mut rows = Rows::new();
    for g in groups.iter().take(limit) {
        let mut row = vec![
            (key_label(g), false),
            (g.count.to_string(), true),
            (percent(g.share), true),
        ];
        if with_rate {
            row.push((g.calls.map_or("-".into(), |c| c.to_string()), true));
            row.push((g.failure_rate.map_or("-".into(), percent), true));
        }
        rows.push(row);
    }
    let hint = format!("--full or --format csv --by {by}");
    (
        rows.table(width, &header),
        more(groups.len(), limit.min(groups.len()), &hint),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lists_name_the_top_model_and_count_the_rest() {
        let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(models_cell(&[], 0), "-");
        assert_eq!(models_cell(&m(&["claude-opus-4-1"]), 1), "claude-opus-4-1");
        assert_eq!(
            models_cell(&m(&["claude-sonnet-4-5", "claude-opus-4-1"]), 7),
            "claude-sonnet-4-5 +6"
        );
    }

    #[test]
    fn identifiers_are_never_split_inside_a_cell() {
        let mut rows = Rows::new();
        for _ in 0..3 {
            rows.push(vec![
                ("request_validation.max_tokens_over_limit".into(), false),
                ("claude-sonnet-4-5-20250929 +4".into(), false),
                (
                    "a long prose cell that may wrap between its words".into(),
                    false,
                ),
            ]);
        }
        let t = rows.table(100, &["Signature", "Model", "Note"]).to_string();
        assert!(
            t.contains("request_validation.max_tokens_over_limit"),
            "{t}"
        );
        assert!(t.contains("claude-sonnet-4-5-20250929"), "{t}");
    }

    #[test]
    fn a_narrow_terminal_still_gets_a_table_within_its_width() {
        let mut rows = Rows::new();
        rows.push(vec![
            ("request_validation.max_tokens_over_limit".into(), false),
            ("claude-sonnet-4-5-20250929 +4".into(), false),
        ]);
        let t = rows.table(50, &["Signature", "Model"]).to_string();
        assert!(t.lines().all(|l| l.chars().count() <= 50), "{t}");
    }

    #[test]
    fn small_tables_stand_side_by_side_when_they_fit() {
        let block = |w: usize| vec!["x".repeat(w), "y".into()];
        let joined = side_by_side(vec![block(50), block(50), block(50)], 120);
        assert_eq!(joined.len(), 2);
        assert_eq!(joined[0][0].chars().count(), 103);
        assert!(joined[0][1].starts_with("y "));
        assert_eq!(side_by_side(vec![block(70), block(70)], 120).len(), 2);
    }
}
