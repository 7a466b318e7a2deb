//! CSV (RFC 4180): the aggregated rows (`--format csv`) and the events (`--events`).

use std::io::{self, Write};

use crate::classify::{Failure, EVENT_FIELDS};
use crate::report::Report;
use crate::time::format_rfc3339;

pub(super) fn events(failures: &[Failure], out: &mut dyn Write) -> io::Result<()> {
    csv_row(out, EVENT_FIELDS.iter().map(|s| s.to_string()))?;
    for f in failures {
        csv_row(out, event_cells(f))?;
    }
    Ok(())
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

/// The aggregated CSV: `schema_version`, the `--by` dimensions, then the measures.
pub(super) fn groups(r: &Report, out: &mut dyn Write) -> io::Result<()> {
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
