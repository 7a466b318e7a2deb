//! JSON: the whole report as one object, and the events as NDJSON.

use std::io::{self, Write};

use crate::classify::Failure;
use crate::report::Report;

pub(super) fn report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)
}

/// One JSON object per failure and line, in input order.
pub(super) fn events(failures: &[Failure], out: &mut dyn Write) -> io::Result<()> {
    for f in failures {
        serde_json::to_writer(&mut *out, f)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
