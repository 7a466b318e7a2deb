//! Reading one input: detect its shape from the content (never the name), parse it into
//! [`Record`]s, join the lines that tell one attempt, and count every line.
//!
//! Two shapes: JSON documents (HAR, JSON arrays such as Cloudflare exports or the Claude Code
//! errors array) are parsed as streams, entry by entry, whatever their line length; everything
//! else is read line by line, each line offered to the line parsers, so one file may mix
//! formats. Invariants: every line read is counted exactly once as relevant, noise or
//! unparseable; nothing here panics on input; memory is bounded by the longest kept line and
//! the failures found, not by the size of the input.

mod agnostic;
mod dispatch;
mod formats;
pub(crate) mod fuzzing;
mod read;
mod sink;
mod sniff;
#[cfg(test)]
mod tests;
mod toolkit;

use std::collections::BTreeMap;
use std::io::BufRead;

use regex::Regex;

use crate::record::{Record, SourceKind, Stamp};

pub use read::chunk::{
    join_plan, join_units, scan_file, scan_file_parts, scan_parts, single_pass_weight, Join, Part,
};
pub use read::held::{Held, Spill};
pub use toolkit::api::{endpoint_of, error_body_text, ErrorBody};

use read::json;
use sink::Sink;
use sniff::{sniff, Shape};

/// Takes a scan's failure records as soon as no later line can change them (see
/// [`scan_file_parts`]): so a scan holds only the records still open, whatever the size of
/// the input.
pub trait Settler: Send {
    /// Final records, each with its index among the failure records the part created (the
    /// order of the input).
    fn settle(&mut self, records: Vec<(u32, Record)>);

    /// The records a part still holds when it ends (those with a request id, in order; line
    /// numbers of the part's own reader): the settler may take them, and returns what it
    /// leaves in the part's `pending`. By default it takes none.
    fn hold(&mut self, records: Vec<Record>) -> Vec<Record> {
        records
    }
}

/// A settler that keeps everything (for whole-file results).
impl Settler for Vec<(u32, Record)> {
    fn settle(&mut self, records: Vec<(u32, Record)>) {
        self.extend(records);
    }
}

/// Settings that change how inputs are read.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Longest line kept whole; longer lines are cut there, with a warning.
    pub max_line_bytes: usize,
    /// Extra URL paths (regexes) that count as Claude API calls in access logs.
    pub api_paths: Vec<Regex>,
    /// Line-oriented files at least twice this size are split into chunks of about this
    /// many bytes, scanned in parallel (see `chunk.rs`). A constant, never derived from the
    /// thread count, so the output does not depend on it.
    pub chunk_bytes: u64,
    /// How far before its chunk a chunk's scan starts, to catch up with records that began
    /// before it.
    pub warmup_bytes: u64,
    /// Bytes of input files scanned so far, for a progress display: a file's size once it
    /// is scanned, a chunk's as each chunk ends.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// With a [`Settler`], hand final records over once this many are held (then again when
    /// the held ones double); tests set 1 to settle at every record.
    pub settle_batch: usize,
    /// Failure records that wait for the end of the run (those with a request id) are kept
    /// in memory up to this many, the rest in a temporary file (see `held.rs`).
    pub held_in_memory: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_line_bytes: 1 << 20,
            api_paths: Vec::new(),
            chunk_bytes: 32 << 20,
            warmup_bytes: 1 << 20,
            progress: None,
            settle_batch: 4096,
            held_in_memory: 8192,
        }
    }
}

/// Counts of what was read from one input; `read = relevant + noise + unparseable`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    pub read: u64,
    pub relevant: u64,
    pub noise: u64,
    pub unparseable: u64,
    /// Why lines were unparseable, with counts.
    pub reasons: BTreeMap<String, u64>,
    /// Lines that were not valid UTF-8 (decoded lossily, still parsed).
    pub invalid_utf8: u64,
    /// Lines longer than the limit (cut, still parsed).
    pub truncated: u64,
}

impl LineStats {
    pub fn add(&mut self, other: &LineStats) {
        self.read += other.read;
        self.relevant += other.relevant;
        self.noise += other.noise;
        self.unparseable += other.unparseable;
        self.invalid_utf8 += other.invalid_utf8;
        self.truncated += other.truncated;
        for (k, v) in &other.reasons {
            *self.reasons.entry(k.clone()).or_default() += v;
        }
    }

    pub(crate) fn unparseable(&mut self, reason: &str) {
        self.unparseable += 1;
        *self.reasons.entry(reason.to_string()).or_default() += 1;
    }
}

/// A successful call, reduced to what the report groups by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallKey {
    pub source_kind: SourceKind,
    pub provider: Option<String>,
    pub endpoint: Option<String>,
    pub model: Option<String>,
}

/// Everything learned from one input.
#[derive(Debug, Default)]
pub struct FileScan {
    pub file: String,
    /// Records per detected format (source kind).
    pub formats: BTreeMap<SourceKind, u64>,
    pub lines: LineStats,
    /// Failed attempts, in file order, each attempt once.
    pub failures: Vec<Record>,
    /// Successful attempts, counted.
    pub successes: BTreeMap<CallKey, u64>,
    /// Earliest and latest time stamp of any call.
    pub span: Option<(Stamp, Stamp)>,
    /// Problems worth telling the user (with line numbers where known).
    pub warnings: Vec<String>,
    /// Set when the input could not be read at all.
    pub unreadable: Option<String>,
}

/// Read one input completely. Never panics on content; problems become warnings and counts.
pub fn scan(display: &str, reader: &mut dyn BufRead, opts: &ScanOptions) -> FileScan {
    let mut sink = Sink::new(display, opts);
    read_into(reader, &mut sink);
    sink.finish()
}

/// [`scan`] with a settler: the failures left in the scan are those with a request id, with
/// their indices (see [`Settler`]).
pub(crate) fn scan_settling(
    display: &str,
    reader: &mut dyn BufRead,
    opts: &ScanOptions,
    settler: &mut dyn Settler,
) -> (FileScan, Vec<u32>) {
    let mut sink = Sink::settling(display, opts, settler);
    read_into(reader, &mut sink);
    sink.finish_indexed()
}

fn read_into(reader: &mut dyn BufRead, sink: &mut Sink) {
    match sniff(reader) {
        Err(e) => {
            sink.scan.unreadable = Some(read_error(&e));
        }
        Ok(Shape::Binary) => {
            sink.scan.unreadable = Some("binary file (NUL bytes near the start), skipped".into());
        }
        Ok(Shape::Empty) => {}
        Ok(Shape::Har) => json::document(reader, json::Document::Har, sink),
        Ok(Shape::JsonArray) => json::document(reader, json::Document::Array, sink),
        Ok(Shape::Wrapped) => json::document(reader, json::Document::Wrapped, sink),
        Ok(Shape::Lines) => read::text::scan_lines(reader, sink),
    }
}

pub(crate) fn read_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => {
            format!("corrupt data: {e}")
        }
        std::io::ErrorKind::UnexpectedEof => format!("truncated input: {e}"),
        _ => crate::discover::io_reason(e),
    }
}

/// Parse a pasted excerpt (for `explain` and the catalog's text examples): the records it
/// holds, failures first.
pub fn parse_text(text: &str, opts: &ScanOptions) -> FileScan {
    let mut bytes = text.as_bytes();
    scan("-", &mut bytes, opts)
}

/// Every line of every text file under `samples/` (tests that hold a fast reader to the one
/// it replaced run it on real lines).
#[cfg(test)]
pub(crate) fn sample_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                lines.extend(text.lines().map(str::to_string));
            }
        }
    }
    lines
}

#[cfg(test)]
mod scan_tests {
    use super::*;
    use crate::record::{Evidence, Outcome};

    fn scan_str(s: &str) -> FileScan {
        parse_text(s, &ScanOptions::default())
    }

    /// The samples whose point is where a failure starts and which lines join it.
    fn sample(path: &str) -> String {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
            .unwrap()
    }

    #[test]
    fn a_curl_response_failure_starts_at_its_status_line() {
        let s = scan_str(&sample("samples/vertex/curl-i-probe.txt"));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].line, Some(2));
        assert_eq!(s.failures[0].http_status, Some(429));
    }

    #[test]
    fn interleaved_threads_join_their_own_lines() {
        let s = scan_str(&sample("samples/app/python-threads.log"));
        let got: Vec<(Option<u64>, Option<u16>, Option<&str>)> = s
            .failures
            .iter()
            .map(|f| (f.line, f.http_status, f.request_id.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(5), Some(429), Some("req_011CWfakeThread429A0001")),
                (Some(11), Some(529), Some("req_011CWfakeThread529B0001")),
                (Some(23), Some(529), Some("req_011CWfakeThread529B0002")),
            ]
        );
        assert_eq!(s.successes.values().sum::<u64>(), 2);
    }

    #[test]
    fn every_line_is_counted_once() {
        let text = "hello\n\n198.51.100.23 - - [02/Oct/2025:16:20:11 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"Anthropic/Python 0.69.0\"\n198.51.100.23 - - [02/Oct/2025:16:20:12 +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\"\n";
        let s = scan_str(text);
        assert_eq!(s.lines.read, 4);
        assert_eq!(s.lines.relevant, 1);
        assert_eq!(s.lines.noise, 3);
        assert_eq!(s.failures.len(), 1);
    }

    #[test]
    fn regression_no_status_line_is_not_folded_into_an_adjacent_429() {
        let opts = ScanOptions::default();
        let mut sink = Sink::new("t", &opts);
        let mut a = Record::new(SourceKind::SdkPython, Outcome::Failure);
        a.line = Some(1);
        a.http_status = Some(429);
        a.evidence = Evidence::Transport;
        let mut b = Record::new(SourceKind::SdkPython, Outcome::Failure);
        b.line = Some(2);
        b.error_type = Some("connection_error".into());
        b.evidence = Evidence::Exception;
        let mut notice = Record::new(SourceKind::SdkPython, Outcome::Failure);
        notice.line = Some(3);
        notice.evidence = Evidence::Notice;
        sink.push(a);
        sink.push(b);
        sink.push(notice);
        let scan = sink.finish();
        assert_eq!(scan.failures.len(), 2);
        assert_eq!(
            scan.failures[1].error_type.as_deref(),
            Some("connection_error")
        );
    }

    #[test]
    fn binary_input_is_refused_with_a_reason() {
        let s = scan_str("\0\0\0ELF");
        assert!(s.unreadable.unwrap().contains("binary"));
    }

    #[test]
    fn sniffs_documents_and_lines() {
        let shape = |s: &str| sniff(&mut s.as_bytes()).unwrap();
        assert_eq!(shape("{\"log\": {\"version\":\"1.2\"}}"), Shape::Har);
        assert_eq!(shape("[\n  {\"id\": 1}\n]"), Shape::JsonArray);
        assert_eq!(shape("[GIN] 2025/10/02 - 16:20:11 | x"), Shape::Lines);
        assert_eq!(
            shape("{\"status\": 200}\n{\"status\": 500}\n"),
            Shape::Lines
        );
        assert_eq!(shape(""), Shape::Empty);
        assert_eq!(
            shape("{\n  \"result\": [\n {\"id\": 1}], \"success\": true}"),
            Shape::Wrapped
        );
    }

    #[test]
    fn envelope_partial_lines_are_counted_with_the_line_they_end() {
        let text = concat!(
            "2025-10-02T16:20:11.100000000Z stderr P [2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic\n",
            "2025-10-02T16:20:11.200000000Z stdout F hello\n",
            "2025-10-02T16:20:11.300000000Z stderr F .com/v1/messages \"HTTP/1.1 529 \"\n",
            "{\"log\":\"Traceback (most recent call last):\\n\",\"stream\":\"stderr\",\"time\":\"2025-10-02T16:20:12.5Z\"}\n",
            "{\"log\":\"anthropic.APIConnectionError: Connection \",\"stream\":\"stderr\",\"time\":\"2025-10-02T16:20:12.6Z\"}\n",
            "{\"log\":\"error.\\n\",\"stream\":\"stderr\",\"time\":\"2025-10-02T16:20:12.7Z\"}\n",
            "2025-10-02T16:20:13.000000000Z stderr P never ended\n",
        );
        let s = scan_str(text);
        assert_eq!(s.lines.read, 7);
        assert_eq!(
            s.lines.read,
            s.lines.relevant + s.lines.noise + s.lines.unparseable
        );
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].http_status, Some(529));
        assert_eq!(s.failures[0].line, Some(1));
        assert_eq!(
            s.failures[1].error_type.as_deref(),
            Some("connection_error")
        );
        // The failure sits at its exception line, whose own text tells no time: the
        // envelope's is taken.
        assert_eq!(s.failures[1].line, Some(5));
        assert_eq!(
            s.failures[1].stamp,
            crate::time::iso("2025-10-02T16:20:12.6Z")
        );
    }
}
