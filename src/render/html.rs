//! HTML: the report as one self-contained page. Nothing on it makes a request: styles and the
//! sorting script are inline, charts are inline SVG from [`super::svg`], and a
//! Content-Security-Policy forbids every fetch, so the page works offline and when mailed.
//! Every string from the input goes through [`escape`] (the report's messages and examples are
//! already redacted). Totals carry `data-total` attributes and chart marks `data-value`, so a
//! browser test can read the numbers back and compare them with the JSON report.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::svg::{nice_scale, Svg};
use super::{clip_line, key_label, percent, retry_note, summary_lines, time_or_dash};
use crate::report::{Group, Report, SignatureRow, Timeline};

/// Escape text for HTML element content and quoted attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Clusters drawn in their own colour; the rest share the `other` colour.
const PALETTE: usize = 10;

const STYLE: &str = r#"
:root{color-scheme:light dark;--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--card:#f5f7fa;
--accent:#b4451f;--c0:#2f6fdf;--c1:#e0762f;--c2:#2a9d6f;--c3:#c0392b;--c4:#8e5cc2;--c5:#b08a1e;
--c6:#1f9fb5;--c7:#d4569b;--c8:#6b7a2a;--c9:#7f5539;--other:#9aa3b2}
@media (prefers-color-scheme:dark){:root{--bg:#14171d;--fg:#e6e9ef;--muted:#9aa3b2;--line:#343a46;
--card:#1d222b;--accent:#f08a5d;--c0:#6b9cf2;--c1:#f2a064;--c2:#4fc79a;--c3:#ec6f61;--c4:#b592e0;
--c5:#d9b44a;--c6:#4cc6dc;--c7:#ee8cc1;--c8:#a5b654;--c9:#c49a7c;--other:#6b7383}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:1.5rem;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:break-word}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
h3{font-size:1rem;margin:1.25rem 0 .25rem}
p.lead,.muted{color:var(--muted)}
p.muted{font-size:.85rem}
code,pre{font:13px/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--card);padding:.4rem .6rem;border-radius:4px;margin:.25rem 0}
a{color:var(--c0)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.75rem;margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}
.card .label{display:block;font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.card .value{display:block;font-size:1.45rem;font-weight:600;overflow-wrap:anywhere}
.card .sub{display:block;font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}
.wide{grid-column:span 2}
svg{width:100%;height:auto;display:block;margin:.5rem 0}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}
svg text.muted{fill:var(--muted)}
svg line.grid{stroke:var(--line);stroke-width:1}
svg line.axis{stroke:var(--muted);stroke-width:1}
svg rect.bar{fill:var(--c0)}
svg rect.burst{stroke:var(--accent);stroke-width:2}
svg polygon.burst{fill:var(--accent)}
.c0{fill:var(--c0);background:var(--c0)}.c1{fill:var(--c1);background:var(--c1)}
.c2{fill:var(--c2);background:var(--c2)}.c3{fill:var(--c3);background:var(--c3)}
.c4{fill:var(--c4);background:var(--c4)}.c5{fill:var(--c5);background:var(--c5)}
.c6{fill:var(--c6);background:var(--c6)}.c7{fill:var(--c7);background:var(--c7)}
.c8{fill:var(--c8);background:var(--c8)}.c9{fill:var(--c9);background:var(--c9)}
.other{fill:var(--other);background:var(--other)}
ul.legend{list-style:none;padding:0;margin:.25rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.85rem}
ul.legend span{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(520px,100%),1fr));gap:0 2rem}
.grid2>section{min-width:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td code,.nw{white-space:nowrap}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
th{white-space:nowrap;user-select:none}
th[aria-sort]::after{content:" \25BE"}th[aria-sort=ascending]::after{content:" \25B4"}
.js th{cursor:pointer}
article.sig{border-left:3px solid var(--line);padding:.1rem 0 .1rem .9rem;margin:1rem 0;overflow-wrap:anywhere}
article.sig p{margin:.3rem 0}
article.sig ul{margin:.25rem 0;padding-left:1.2rem;overflow-wrap:anywhere}
footer{margin-top:2rem;font-size:.8rem;color:var(--muted)}
@media (max-width:600px){body{padding:.75rem}.card .value{font-size:1.2rem}.chart svg.timeline{min-width:640px}.chart svg.bars{min-width:480px}}
.chart{overflow-x:auto}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#bbb}body{max-width:none;padding:0;font-size:11pt}
h2{break-after:avoid}article.sig,.card,svg,tr{break-inside:avoid}a{color:#000}
article.sig a::after{content:""}.scroll{overflow:visible}}
"#;

/// Sorts a table when its header is clicked; without scripts the table keeps its order.
const SCRIPT: &str = r#"
document.documentElement.classList.add('js');
document.querySelectorAll('table.sortable th').forEach(function(th){
th.tabIndex=0;
function sort(){var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,num=th.classList.contains('num');
var dir=th.getAttribute('aria-sort')==='descending'?1:-1;
var rows=Array.prototype.slice.call(b.rows);
rows.sort(function(a,c){var x=a.cells[i],y=c.cells[i];
var p=x.getAttribute('data-sort')||x.textContent,q=y.getAttribute('data-sort')||y.textContent;
return dir*(num?parseFloat(p)-parseFloat(q):p.localeCompare(q));});
t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',dir<0?'descending':'ascending');
rows.forEach(function(r){b.appendChild(r);});}
th.addEventListener('click',sort);
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});
});
"#;

pub(super) fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // The page may run its own inline style and script and show data: images; nothing else.
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    h.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    h.push_str("<title>Claude API failures: claude-logscan report</title>\n");
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    h.push_str("<header>\n<h1>Claude API failures</h1>\n");
    let s = &r.summary;
    let span = match (s.first_seen, s.last_seen) {
        (Some(a), Some(b)) => format!(
            "{} .. {} (UTC)",
            time_or_dash(Some(a)),
            time_or_dash(Some(b))
        ),
        _ => "time span unknown".into(),
    };
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} failure{} in {} API call{} seen, {}</p>\n</header>",
        s.failures,
        if s.failures == 1 { "" } else { "s" },
        s.calls,
        if s.calls == 1 { "" } else { "s" },
        escape(&span)
    );
    cards(&mut h, r);
    if r.signatures.is_empty() {
        h.push_str("<p>No failed Claude API calls found.</p>\n");
    } else {
        let colours = cluster_colours(r);
        timeline(&mut h, &r.timeline, &colours);
        signatures_table(&mut h, &r.signatures);
        h.push_str("<div class=\"grid2\">\n");
        for (id, title, dim, groups) in [
            ("cluster", "By cluster", "Cluster", &r.by_cluster),
            ("status", "By status", "Status", &r.by_status),
            ("model", "By model", "Model", &r.by_model),
            ("provider", "By provider", "Provider", &r.by_provider),
            ("endpoint", "By endpoint", "Endpoint", &r.by_endpoint),
            (
                "error_type",
                "By error type",
                "Error type",
                &r.by_error_type,
            ),
        ] {
            dimension(&mut h, id, title, dim, groups);
        }
        h.push_str("</div>\n");
        fixes(&mut h, &r.signatures);
    }
    inputs(&mut h, r);
    if !r.warnings.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"warnings\">Input warnings ({})</h2>\n<ul>",
            r.warnings.len()
        );
        for w in &r.warnings {
            let _ = writeln!(
                h,
                "<li><code>{}</code>: {}</li>",
                escape(&w.file),
                escape(&w.message)
            );
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(
        h,
        "<footer>Written by claude-logscan (report schema {}). Times are UTC. This page makes no \
         network request; links open only when followed.</footer>",
        r.schema_version
    );
    let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out.write_all(h.as_bytes())
}

/// The summary as cards; each number the browser test reads back carries `data-total`.
fn cards(h: &mut String, r: &Report) {
    let s = &r.summary;
    let lines = summary_lines(r);
    let line = |label: &str| {
        lines
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    h.push_str("<section class=\"cards\" aria-label=\"Summary\">\n");
    let card = |h: &mut String, label: &str, key: &str, value: String, sub: String, wide: bool| {
        let _ = writeln!(
            h,
            "<div class=\"card{}\"><span class=\"label\">{}</span><span class=\"value\"{}>{}</span>{}</div>",
            if wide { " wide" } else { "" },
            escape(label),
            if key.is_empty() {
                String::new()
            } else {
                format!(" data-total=\"{key}\"")
            },
            escape(&value),
            if sub.is_empty() {
                String::new()
            } else {
                format!("<span class=\"sub\">{sub}</span>")
            }
        );
    };
    card(
        h,
        "Failures",
        "failures",
        s.failures.to_string(),
        String::new(),
        false,
    );
    card(
        h,
        "API calls seen",
        "calls",
        s.calls.to_string(),
        format!(
            "<span data-total=\"successes\">{}</span> succeeded",
            s.successes
        ),
        false,
    );
    card(
        h,
        "Failure rate",
        "",
        s.failure_rate.map(percent).unwrap_or_else(|| "n/a".into()),
        if s.failure_rate.is_none() {
            "no successful calls in the input".into()
        } else {
            "where successes are logged".into()
        },
        false,
    );
    card(
        h,
        "Known signatures",
        "",
        s.coverage.map(percent).unwrap_or_else(|| "-".into()),
        "of failures matched the catalog".into(),
        false,
    );
    card(
        h,
        "Inputs",
        "files",
        s.files.to_string(),
        escape(&format!(
            "file{}{}",
            if s.files == 1 { "" } else { "s" },
            if s.files_unreadable > 0 {
                format!(", {} unreadable", s.files_unreadable)
            } else {
                String::new()
            }
        )),
        false,
    );
    card(
        h,
        "Lines read",
        "lines_read",
        s.lines_read.to_string(),
        format!(
            "<span data-total=\"lines_relevant\">{}</span> about API calls, \
             <span data-total=\"lines_noise\">{}</span> noise, \
             <span data-total=\"lines_unparseable\">{}</span> unparseable",
            s.lines_relevant, s.lines_noise, s.lines_unparseable
        ),
        false,
    );
    let span = match (s.first_seen, s.last_seen) {
        (Some(a), Some(b)) => format!(
            "{}\u{2009}..\u{2009}{}",
            time_or_dash(Some(a)),
            time_or_dash(Some(b))
        ),
        _ => "unknown".into(),
    };
    let _ = writeln!(
        h,
        "<div class=\"card wide\"><span class=\"label\">Time span (UTC)</span><span class=\"sub\">{}</span></div>",
        escape(&span)
    );
    card(
        h,
        "Formats detected",
        "",
        s.format_files.len().to_string(),
        escape(&line("Formats detected")),
        true,
    );
    card(
        h,
        "Lines skipped",
        "",
        (s.lines_noise + s.lines_unparseable).to_string(),
        escape(&line("Lines skipped")),
        true,
    );
    h.push_str("</section>\n");
}

/// The colour class of each cluster: the most frequent get their own, the rest `other`.
fn cluster_colours(r: &Report) -> Vec<(String, String)> {
    r.by_cluster
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let class = if i < PALETTE {
                format!("c{i}")
            } else {
                "other".into()
            };
            (key_label(g), class)
        })
        .collect()
}

fn colour_of<'a>(colours: &'a [(String, String)], cluster: &str) -> &'a str {
    colours
        .iter()
        .find(|(c, _)| c == cluster)
        .map_or("other", |(_, class)| class.as_str())
}

/// Failures per bucket, stacked by cluster (most frequent cluster at the bottom), bursts marked
/// with a triangle above the bar and an outlined segment. Buckets without failures are not
/// drawn: the axis lists the buckets that have some, in time order.
fn timeline(h: &mut String, tl: &Timeline, colours: &[(String, String)]) {
    if tl.rows.is_empty() {
        if tl.undated > 0 {
            let _ = writeln!(
                h,
                "<p class=\"muted\">No failure had a time stamp ({} undated): no timeline.</p>",
                tl.undated
            );
        }
        return;
    }
    let _ = writeln!(
        h,
        "<h2 id=\"timeline\">Failures per {} (UTC)</h2>",
        escape(&tl.bucket)
    );
    let (width, top, bottom, left, right) = (960.0, 24.0, 86.0, 44.0, 8.0);
    let plot_h = 200.0;
    let height = top + plot_h + bottom;
    let n = tl.rows.len();
    let max = tl.rows.iter().map(|r| r.total).max().unwrap_or(1);
    let (scale_max, step) = nice_scale(max);
    let plot_w = width - left - right;
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.8).max(1.0);
    let y_of = |v: u64| top + plot_h - plot_h * v as f64 / scale_max as f64;
    let mut svg = Svg::new(
        width,
        height,
        "timeline",
        &format!("Failures per {}, stacked by cluster", tl.bucket),
    );
    let mut tick = 0;
    while tick <= scale_max {
        let y = y_of(tick);
        svg.line(
            left,
            y,
            width - right,
            y,
            if tick == 0 { "axis" } else { "grid" },
        );
        svg.text(left - 6.0, y + 4.0, "end", "muted", &tick.to_string());
        tick += step;
    }
    let label_every = n.div_ceil(24).max(1);
    let mut order: Vec<&str> = colours.iter().map(|(c, _)| c.as_str()).collect();
    for row in &tl.rows {
        for (c, _) in &row.clusters {
            if !order.contains(&c.as_str()) {
                order.push(c);
            }
        }
    }
    for (i, row) in tl.rows.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut base = 0u64;
        for cluster in &order {
            let Some((_, n)) = row.clusters.iter().find(|(c, _)| c == cluster) else {
                continue;
            };
            let burst = tl
                .bursts
                .iter()
                .find(|b| b.start == row.start && b.cluster == *cluster);
            let class = format!(
                "{}{}",
                colour_of(colours, cluster),
                if burst.is_some() { " burst" } else { "" }
            );
            let title = format!("{}: {} {} failures", row.start, n, cluster);
            svg.rect(
                x,
                y_of(base + n),
                bar_w,
                y_of(base) - y_of(base + n),
                &class,
                Some(&title),
                &[
                    ("bucket", row.start.clone()),
                    ("cluster", cluster.to_string()),
                    ("value", n.to_string()),
                ],
            );
            base += n;
        }
        if tl.bursts.iter().any(|b| b.start == row.start) {
            let cx = x + bar_w / 2.0;
            let ty = y_of(row.total) - 4.0;
            let what: Vec<String> = tl
                .bursts
                .iter()
                .filter(|b| b.start == row.start)
                .map(|b| {
                    format!(
                        "{} {} (baseline {:.1} per {})",
                        b.count, b.cluster, b.baseline, tl.bucket
                    )
                })
                .collect();
            svg.polygon(
                &[(cx - 5.0, ty - 8.0), (cx + 5.0, ty - 8.0), (cx, ty)],
                "burst",
                &format!(
                    "Burst in the {} starting {}: {}",
                    tl.bucket,
                    row.start,
                    what.join(", ")
                ),
            );
        }
        if i % label_every == 0 || i + 1 == n {
            let lx = left + slot * (i as f64 + 0.5);
            svg.text_rotated(
                lx,
                top + plot_h + 14.0,
                "end",
                "muted",
                &short_bucket(&row.start),
                -40.0,
            );
        }
    }
    let _ = writeln!(h, "<div class=\"chart\">{}</div>", svg.finish());
    h.push_str("<ul class=\"legend\">");
    for (cluster, class) in colours.iter().take(PALETTE) {
        let _ = write!(
            h,
            "<li><span class=\"{}\"></span>{}</li>",
            class,
            escape(cluster)
        );
    }
    if colours.len() > PALETTE {
        let _ = write!(
            h,
            "<li><span class=\"other\"></span>{} other clusters</li>",
            colours.len() - PALETTE
        );
    }
    h.push_str("</ul>\n");
    if let Some(p) = &tl.peak {
        let _ = writeln!(
            h,
            "<p>Peak: <strong>{} failures</strong> in the {} starting {}.</p>",
            p.total,
            escape(&tl.bucket),
            escape(&p.start)
        );
    }
    for (i, b) in tl.bursts.iter().enumerate() {
        if i == 0 {
            h.push_str("<ul class=\"bursts\">\n");
        }
        if i == BURSTS_SHOWN {
            let _ = writeln!(
                h,
                "</ul>\n<details><summary>{} more bursts</summary>\n<ul class=\"bursts\">",
                tl.bursts.len() - BURSTS_SHOWN
            );
        }
        {
            let _ = writeln!(
                h,
                "<li>Burst: {} <code>{}</code> failures in the {} starting {} (baseline {:.1} per {}).</li>",
                b.count,
                escape(&b.cluster),
                escape(&tl.bucket),
                escape(&b.start),
                b.baseline,
                escape(&tl.bucket)
            );
        }
    }
    if !tl.bursts.is_empty() {
        h.push_str("</ul>\n");
    }
    if tl.bursts.len() > BURSTS_SHOWN {
        h.push_str("</details>\n");
    }
    if tl.undated > 0 {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{} failures had no time stamp and are not drawn.</p>",
            tl.undated
        );
    }
}

/// `2025-10-02T16:00:00Z` -> `2025-10-02 16:00`, for axis labels.
fn short_bucket(start: &str) -> String {
    let s = start.trim_end_matches('Z').replace('T', " ");
    s.strip_suffix(":00").map(str::to_string).unwrap_or(s)
}

/// Bursts listed under the timeline; the rest fold into a `<details>`.
const BURSTS_SHOWN: usize = 3;

/// Rows drawn in a bar chart; the table below the chart has them all.
const CHART_ROWS: usize = 12;

/// A horizontal bar chart of one dimension (top rows), then the sortable table of all rows.
fn dimension(h: &mut String, id: &str, title: &str, dim: &str, groups: &[Group]) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(h, "<section id=\"by-{id}\">\n<h2>{}</h2>", escape(title));
    let with_rate = groups.iter().any(|g| g.calls.is_some());
    let shown = &groups[..groups.len().min(CHART_ROWS)];
    let label_chars = shown
        .iter()
        .map(|g| key_label(g).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 30);
    let (width, row_h) = (560.0, 22.0);
    let label_w = label_chars as f64 * 7.0 + 8.0;
    let value_w = if with_rate { 190.0 } else { 90.0 };
    let bar_max = width - label_w - value_w;
    let max = shown.iter().map(|g| g.count).max().unwrap_or(1).max(1);
    let height = row_h * shown.len() as f64 + 4.0;
    let mut svg = Svg::new(
        width,
        height,
        "bars",
        &format!("Failures by {}", dim.to_lowercase()),
    );
    for (i, g) in shown.iter().enumerate() {
        let y = 2.0 + row_h * i as f64;
        let label = key_label(g);
        let display = if label.chars().count() > label_chars {
            let cut: String = label.chars().take(label_chars - 1).collect();
            format!("{cut}\u{2026}")
        } else {
            label.clone()
        };
        svg.text(label_w - 8.0, y + 15.0, "end", "", &display);
        let w = bar_max * g.count as f64 / max as f64;
        let mut title = format!("{label}: {} failures, {} of all", g.count, percent(g.share));
        if let (Some(c), Some(rate)) = (g.calls, g.failure_rate) {
            title.push_str(&format!(", failure rate {} of {c} calls", percent(rate)));
        }
        svg.rect(
            label_w,
            y + 3.0,
            w.max(1.0),
            row_h - 6.0,
            "bar",
            Some(&title),
            &[("key", label.clone()), ("value", g.count.to_string())],
        );
        let mut value = format!("{} ({})", g.count, percent(g.share));
        if let Some(rate) = g.failure_rate {
            value.push_str(&format!(" \u{b7} rate {}", percent(rate)));
        }
        svg.text(
            label_w + w.max(1.0) + 6.0,
            y + 15.0,
            "start",
            "muted",
            &value,
        );
    }
    let _ = writeln!(h, "<div class=\"chart\">{}</div>", svg.finish());
    if groups.len() > CHART_ROWS {
        let _ = writeln!(
            h,
            "<p class=\"muted\">The chart shows the top {CHART_ROWS}; the table has all {}.</p>",
            groups.len()
        );
    }
    let _ = write!(
        h,
        "<div class=\"scroll\"><table class=\"sortable\" id=\"table-{id}\">\n<thead><tr><th>{}</th>\
         <th class=\"num\">Count</th><th class=\"num\">Share</th>",
        escape(dim)
    );
    if with_rate {
        h.push_str("<th class=\"num\">Calls</th><th class=\"num\">Failure rate</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for g in groups {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td>{}{}",
            escape(&key_label(g)),
            num_cell(g.count.to_string(), g.count as f64),
            num_cell(percent(g.share), g.share)
        );
        if with_rate {
            h.push_str(&num_cell(
                g.calls.map_or("-".into(), |c| c.to_string()),
                g.calls.map_or(-1.0, |c| c as f64),
            ));
            h.push_str(&num_cell(
                g.failure_rate.map_or("-".into(), percent),
                g.failure_rate.unwrap_or(-1.0),
            ));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn num_cell(text: String, sort: f64) -> String {
    format!(
        "<td class=\"num\" data-sort=\"{sort}\">{}</td>",
        escape(&text)
    )
}

fn signatures_table(h: &mut String, sigs: &[SignatureRow]) {
    h.push_str("<h2 id=\"signatures\">Failures by signature</h2>\n");
    h.push_str(
        "<div class=\"scroll\"><table class=\"sortable\" id=\"table-signature\">\n<thead><tr>\
         <th>Signature</th><th class=\"num\">Count</th><th class=\"num\">Share</th>\
         <th>Statuses</th><th>Models</th><th>First seen (UTC)</th><th>Last seen (UTC)</th></tr></thead>\n<tbody>\n",
    );
    for s in sigs {
        let models = if s.models.is_empty() {
            "-".to_string()
        } else {
            s.models
                .iter()
                .map(|m| format!("<span class=\"nw\">{}</span>", escape(m)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#sig-{}\"><code>{}</code></a></td>{}{}<td>{}</td><td>{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td></tr>",
            escape(&s.signature),
            escape(&s.signature),
            num_cell(s.count.to_string(), s.count as f64),
            num_cell(percent(s.share), s.share),
            escape(&s.statuses.join(", ")),
            models,
            escape(&cell_time(s.first_seen)),
            escape(&cell_time(s.last_seen)),
        );
    }
    h.push_str("</tbody></table></div>\n");
}

/// `2025-10-02 16:22:30`: a table cell (the heading says UTC); sorts as text.
fn cell_time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// How the lines of each input were accounted for, folded away: the cards hold the totals.
fn inputs(h: &mut String, r: &Report) {
    if r.files.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h2 id=\"inputs\">Inputs</h2>\n<details><summary>Line accounting of the {} input{}</summary>",
        r.files.len(),
        if r.files.len() == 1 { "" } else { "s" }
    );
    h.push_str(
        "<div class=\"scroll\"><table class=\"sortable\" id=\"table-file\">\n<thead><tr><th>File</th>\
         <th class=\"num\">Lines read</th><th class=\"num\">About API calls</th>\
         <th class=\"num\">Noise</th><th class=\"num\">Unparseable</th>\
         <th class=\"num\">Failures</th><th class=\"num\">Successes</th><th>Skipped</th></tr></thead>\n<tbody>\n",
    );
    for f in &r.files {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td>{}{}{}{}{}{}<td>{}</td></tr>",
            escape(&f.file),
            num_cell(f.lines_read.to_string(), f.lines_read as f64),
            num_cell(f.lines_relevant.to_string(), f.lines_relevant as f64),
            num_cell(f.lines_noise.to_string(), f.lines_noise as f64),
            num_cell(f.lines_unparseable.to_string(), f.lines_unparseable as f64),
            num_cell(f.failures.to_string(), f.failures as f64),
            num_cell(f.successes.to_string(), f.successes as f64),
            escape(f.skipped.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</tbody></table></div>\n</details>\n");
}

/// Only web links become links; anything else (a `javascript:` URL in a user's catalog) is text.
fn link(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            escape(url),
            escape(url)
        )
    } else {
        format!("<code>{}</code>", escape(url))
    }
}

fn fixes(h: &mut String, sigs: &[SignatureRow]) {
    h.push_str("<h2 id=\"fixes\">What to do</h2>\n");
    for s in sigs {
        let _ = writeln!(
            h,
            "<article class=\"sig\" id=\"sig-{}\">\n<h3>{}</h3>\n<p class=\"muted\"><code>{}</code>, {} failure{}{}</p>\n<p>{}</p>",
            escape(&s.signature),
            escape(&s.title),
            escape(&s.signature),
            s.count,
            if s.count == 1 { "" } else { "s" },
            retry_note(s.retryable),
            escape(&s.fix)
        );
        if let Some(t) = &s.template {
            let _ = writeln!(h, "<p>Template: <code>{}</code></p>", escape(t));
        }
        if !s.docs.is_empty() {
            h.push_str("<ul class=\"docs\">");
            for d in &s.docs {
                let _ = write!(h, "<li>{}</li>", link(d));
            }
            h.push_str("</ul>\n");
        }
        for e in &s.examples {
            let id = e
                .request_id
                .as_deref()
                .map(|i| format!(" (<code>{}</code>)", escape(i)))
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<p class=\"muted\">e.g. <code>{}</code>{id}</p><pre>{}</pre>",
                escape(&e.location),
                escape(&clip_line(&e.excerpt, 500))
            );
        }
        h.push_str("</article>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>"x" & 'y'</script>"#),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn only_web_links_are_links() {
        assert!(link("https://docs.claude.com/x").starts_with("<a href"));
        assert_eq!(
            link("javascript:alert(1)"),
            "<code>javascript:alert(1)</code>"
        );
    }

    #[test]
    fn bucket_labels_are_short() {
        assert_eq!(short_bucket("2025-10-02T16:00:00Z"), "2025-10-02 16:00");
        assert_eq!(short_bucket("2025-10-02"), "2025-10-02");
    }
}
