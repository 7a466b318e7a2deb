//! The parsers the fuzz targets (`tests/fuzz`) and their stable replay test
//! (`tests/fuzz_regressions.rs`) drive directly, reachable through [`crate::fuzzing`] without
//! making the input modules public. Not a stable API.

use super::read::json;
use super::sink::Sink;
use super::toolkit::{pyrepr, sse};
use super::{FileScan, ScanOptions};

pub use super::toolkit::pyrepr::{ReprError, MAX_DEPTH as PYREPR_MAX_DEPTH};
pub use super::toolkit::sse::StreamSummary;

/// Which JSON document reader to use, as [`super::scan`] picks it from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Har,
    Array,
    Wrapped,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::Har,
        DocumentKind::Array,
        DocumentKind::Wrapped,
    ];
}

/// Read `reader` as a JSON document of this kind, whatever its first bytes say.
pub fn document(
    reader: &mut dyn std::io::BufRead,
    kind: DocumentKind,
    opts: &ScanOptions,
) -> FileScan {
    let mut sink = Sink::new("fuzz", opts);
    let kind = match kind {
        DocumentKind::Har => json::Document::Har,
        DocumentKind::Array => json::Document::Array,
        DocumentKind::Wrapped => json::Document::Wrapped,
    };
    json::document(reader, kind, &mut sink);
    sink.finish()
}

/// [`super::scan`] through the settling path the CLI uses (records handed over as they
/// become final, at `opts.settle_batch`), put back together: must equal a plain scan.
pub fn scan_settled(reader: &mut dyn std::io::BufRead, opts: &ScanOptions) -> FileScan {
    let (mut scan, parts) = super::scan_parts("fuzz", reader, opts, &Vec::new);
    scan.failures = super::read::chunk::reassemble(parts);
    scan
}

/// The in-place reader of flat JSON objects (nginx JSON lines) agrees with a full parse on
/// whatever it accepts: same strings, numbers and string fields. Panics where it does not.
pub fn json_flat_agrees(text: &str) {
    super::toolkit::flat_json::flat_agrees(text);
}

/// The shared per-line marker pass finds what each parser group's own search would find.
/// Panics where it does not.
pub fn marks_agree(line: &str) {
    super::dispatch::marks_agree(line);
}

/// The Python literal at the start of `text` and the text after it.
pub fn pyrepr_prefix(text: &str) -> Result<(serde_json::Value, &str), ReprError> {
    pyrepr::parse_prefix(text)
}

/// Like [`pyrepr_prefix`], closing what a cut-off text leaves open.
pub fn pyrepr_lenient(text: &str) -> Result<(serde_json::Value, &str), ReprError> {
    pyrepr::parse_lenient(text)
}

/// One Python string or bytes literal at the start of `text` and the text after it.
pub fn pyrepr_string_literal(text: &str) -> Option<(String, &str)> {
    pyrepr::string_literal(text)
}

/// Read a `text/event-stream` body event by event.
pub fn sse_summarize(body: &str) -> StreamSummary {
    sse::summarize(body)
}

/// Whether a response body looks like an event stream.
pub fn sse_looks_like(body: &str) -> bool {
    sse::looks_like_sse(body)
}
