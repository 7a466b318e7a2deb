//! What each fuzz target checks, one function per target, each taking the raw fuzz input.
//!
//! Shared by the libFuzzer targets (`tests/fuzz/fuzz_targets/*.rs`, nightly, `cargo fuzz`)
//! and by the stable replay test `tests/fuzz_regressions.rs`, which includes this file with
//! `#[path]` and runs every input kept under `tests/fuzz/regressions/<target>/` through the
//! same function. Every check panics on a broken invariant; no panic means the input passed.

use std::io::{BufRead, Read};
use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Utc};
use serde_json::{Map, Number, Value};

use claude_logscan::catalog::{Catalog, CLUSTERS};
use claude_logscan::classify::{self, MESSAGE_MAX_CHARS};
use claude_logscan::fuzzing::{self, DocumentKind, ReprError, PYREPR_MAX_DEPTH};
use claude_logscan::input::{self, FileScan, ScanOptions};
use claude_logscan::record::{error_type_for_status, Outcome, Record, SourceKind, Stamp};
use claude_logscan::{redact, time};

/// One target's checks over one input; panics on a violation.
pub type Check = fn(&[u8]);

/// The targets, by the name of their directory under `regressions/` and `corpus/`.
pub const TARGETS: [(&str, Check); 7] = [
    ("scan", scan),
    ("documents", documents),
    ("pyrepr", pyrepr),
    ("sse", sse),
    ("catalog", catalog),
    ("redact", redaction),
    ("time", timestamps),
];

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::load(&[] as &[&str]).expect("the built-in catalog loads"));

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("zero offset")
}

// ---------------------------------------------------------------------------------------------
// (1) scan: arbitrary bytes through the reader every file and stdin go through.

/// A reader that hands out the first 64 KiB at once (what [`input::scan`] sniffs), then the
/// rest a few bytes at a time, so every buffer boundary falls somewhere new.
struct Trickle<'a> {
    data: &'a [u8],
    pos: usize,
    step: usize,
}

impl<'a> Trickle<'a> {
    fn new(data: &'a [u8]) -> Self {
        let step = 1 + usize::from(data.first().copied().unwrap_or(0) % 7);
        Trickle { data, pos: 0, step }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let end = if self.pos == 0 {
            self.data.len().min(64 * 1024)
        } else {
            self.data.len().min(self.pos + self.step)
        };
        Ok(&self.data[self.pos..end])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }
}

fn stamp_key(s: &Stamp) -> NaiveDateTime {
    match s {
        Stamp::Utc(t) => t.naive_utc(),
        Stamp::Naive(n) => *n,
    }
}

/// What holds for any scan of `data`.
fn check_scan(s: &FileScan, data: &[u8]) {
    let l = &s.lines;
    assert_eq!(
        l.read,
        l.relevant + l.noise + l.unparseable,
        "every line counted once: {l:?}"
    );
    assert_eq!(
        l.reasons.values().sum::<u64>(),
        l.unparseable,
        "a reason per unparseable line: {l:?}"
    );
    assert!(l.invalid_utf8 <= l.read && l.truncated <= l.read, "{l:?}");
    assert!(
        l.read <= data.len() as u64 + 1,
        "more lines than bytes: {l:?}"
    );
    assert!(s.warnings.len() <= 100, "{} warnings", s.warnings.len());
    if s.unreadable.is_some() {
        assert!(s.failures.is_empty() || l.read > 0);
    }
    for f in &s.failures {
        assert_eq!(
            f.outcome,
            Outcome::Failure,
            "a success kept as failure: {f:?}"
        );
        if let Some(n) = f.line {
            assert!(n >= 1, "line numbers are 1-based: {f:?}");
        }
    }
    for n in s.successes.values() {
        assert!(*n > 0);
    }
    if let Some((a, b)) = &s.span {
        assert!(
            stamp_key(a) <= stamp_key(b),
            "span backwards: {a:?} > {b:?}"
        );
    }
    // The rest of the pipeline: every failure classifies, into a known cluster.
    for r in &s.failures {
        let f = classify::classify("fuzz", r.clone(), &CATALOG, utc());
        assert!(CLUSTERS.contains(&&*f.cluster), "{}", f.cluster);
    }
}

fn same_scan(what: &str, a: &FileScan, b: &FileScan) {
    assert_eq!(a.lines, b.lines, "{what}: line counts differ");
    assert_eq!(a.failures, b.failures, "{what}: failures differ");
    assert_eq!(a.successes, b.successes, "{what}: successes differ");
    assert_eq!(a.span, b.span, "{what}: span differs");
    assert_eq!(a.formats, b.formats, "{what}: formats differ");
    assert_eq!(a.warnings, b.warnings, "{what}: warnings differ");
    assert_eq!(a.unreadable, b.unreadable, "{what}: unreadable differs");
}

/// Target `scan`: any bytes, read as a file is read (format sniffed from the content).
pub fn scan(data: &[u8]) {
    let opts = ScanOptions::default();
    let whole = input::scan("fuzz", &mut &data[..], &opts);
    check_scan(&whole, data);
    // Buffer boundaries must not change anything.
    let trickled = input::scan("fuzz", &mut Trickle::new(data), &opts);
    same_scan("read in small pieces", &whole, &trickled);
    // Handing final records over as the scan goes (as the CLI does) must not change them.
    let eager = ScanOptions {
        settle_batch: 1,
        ..ScanOptions::default()
    };
    let settled = fuzzing::scan_settled(&mut &data[..], &eager);
    same_scan("settled at every record", &whole, &settled);
    // JSON lines read in place (nginx JSON access logs) read as a full parse reads them.
    for line in String::from_utf8_lossy(data).lines() {
        fuzzing::marks_agree(line);
        let t = line.trim();
        if t.starts_with('{') {
            fuzzing::json_flat_agrees(t);
        }
    }
    // Cutting long lines changes what lines say, never how many there are.
    let short = ScanOptions {
        max_line_bytes: 1 + data.len() % 97,
        ..ScanOptions::default()
    };
    let cut = input::scan("fuzz", &mut &data[..], &short);
    check_scan(&cut, data);
    assert_eq!(
        cut.lines.read, whole.lines.read,
        "cut lines change the count"
    );
    assert_eq!(cut.unreadable, whole.unreadable);
}

// ---------------------------------------------------------------------------------------------
// (2) documents: HAR, JSON arrays, Cloudflare API responses, read as streams.

/// Target `documents`: the input as each kind of JSON document, and as sniffed.
pub fn documents(data: &[u8]) {
    let opts = ScanOptions::default();
    for kind in DocumentKind::ALL {
        let a = fuzzing::document(&mut &data[..], kind, &opts);
        check_scan(&a, data);
        for f in &a.failures {
            assert!(f.line.is_none(), "{kind:?}: entries have no line: {f:?}");
            if let Some(e) = f.entry {
                assert!(e < a.lines.read, "{kind:?}: entry {e} of {}", a.lines.read);
            }
        }
        let b = fuzzing::document(&mut Trickle::new(data), kind, &opts);
        same_scan(&format!("{kind:?} read in small pieces"), &a, &b);
    }
    check_scan(&input::scan("fuzz", &mut &data[..], &opts), data);
}

// ---------------------------------------------------------------------------------------------
// (3) pyrepr: the Python-literal parser.

fn is_suffix(text: &str, rest: &str) -> bool {
    let (t, r) = (text.as_ptr() as usize, rest.as_ptr() as usize);
    r >= t && r + rest.len() == t + text.len()
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// A Python value, for printing as `repr()` would and reading back.
#[derive(Debug, Arbitrary)]
enum Py {
    None,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Bytes(String),
    List(Vec<Py>),
    Tuple(Vec<Py>),
    Dict(Vec<(String, Py)>),
    Call(u8, Vec<(Option<Ident>, Py)>),
}

#[derive(Debug)]
struct Ident(String);

impl<'a> Arbitrary<'a> for Ident {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=8)?;
        let mut s = String::new();
        for i in 0..n {
            let c = *u.choose(b"abcdefghijklmnopqrstuvwxyzABCXYZ_0123456789")?;
            s.push(if i == 0 && c.is_ascii_digit() {
                'k'
            } else {
                c as char
            });
        }
        Ok(Ident(s))
    }
}

const CALLS: [&str; 4] = ["Timeout", "Headers", "httpx.Timeout", "Limits"];
const MAX_PY_DEPTH: usize = 40;

struct Printer<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    out: String,
}

impl Printer<'_, '_> {
    fn flag(&mut self) -> bool {
        self.u.arbitrary().unwrap_or(false)
    }

    fn space(&mut self) {
        let k: u8 = self.u.arbitrary().unwrap_or(0);
        self.out.push_str(match k % 8 {
            0 => " ",
            1 => "\n ",
            2 => "\t",
            _ => "",
        });
    }

    fn string(&mut self, s: &str, bytes: bool) {
        let q = if self.flag() { '"' } else { '\'' };
        let raw = !bytes && !s.contains(['\\', q]) && self.flag();
        if bytes {
            self.out.push('b');
        } else if raw {
            self.out.push('r');
        } else if self.flag() {
            self.out.push('u');
        }
        self.out.push(q);
        if raw {
            self.out.push_str(s);
        } else if bytes {
            for &b in s.as_bytes() {
                match b {
                    b'\\' => self.out.push_str("\\\\"),
                    b'\n' => self.out.push_str("\\n"),
                    _ if b == q as u8 => {
                        self.out.push('\\');
                        self.out.push(q);
                    }
                    0x20..=0x7e => self.out.push(b as char),
                    _ => self.out.push_str(&format!("\\x{b:02x}")),
                }
            }
        } else {
            for c in s.chars() {
                let escape = self.flag();
                match c {
                    '\\' => self.out.push_str("\\\\"),
                    '\n' => self.out.push_str("\\n"),
                    '\r' => self.out.push_str("\\r"),
                    '\t' => self.out.push_str("\\t"),
                    _ if c == q => {
                        self.out.push('\\');
                        self.out.push(q);
                    }
                    '\0'..='\u{1f}' | '\u{7f}' => {
                        self.out.push_str(&format!("\\x{:02x}", c as u32))
                    }
                    '\u{80}'..='\u{ff}' if escape => {
                        self.out.push_str(&format!("\\x{:02x}", c as u32))
                    }
                    '\u{100}'..='\u{ffff}' if escape => {
                        self.out.push_str(&format!("\\u{:04x}", c as u32))
                    }
                    '\u{10000}'.. if escape => self.out.push_str(&format!("\\U{:08x}", c as u32)),
                    _ => self.out.push(c),
                }
            }
        }
        self.out.push(q);
    }

    fn items<T>(&mut self, items: &[T], close: &str, one: impl Fn(&mut Self, &T)) {
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                self.out.push(',');
                self.space();
            }
            one(self, item);
        }
        if !items.is_empty() && self.flag() {
            self.out.push(',');
        }
        self.space();
        self.out.push_str(close);
    }

    /// Print `v`, returning the value the parser must read from it.
    fn value(&mut self, v: &Py, depth: usize) -> Value {
        let deep = depth >= MAX_PY_DEPTH;
        match v {
            Py::None => {
                self.out.push_str("None");
                Value::Null
            }
            Py::Bool(b) => {
                self.out.push_str(if *b { "True" } else { "False" });
                Value::Bool(*b)
            }
            Py::Int(n) => {
                if *n >= 0 && self.flag() {
                    self.out.push('+');
                }
                self.out.push_str(&n.to_string());
                Value::Number(Number::from(*n))
            }
            Py::UInt(n) => {
                self.out.push_str(&n.to_string());
                Value::Number(Number::from(*n))
            }
            Py::Float(f) => match Number::from_f64(*f) {
                Some(n) => {
                    self.out.push_str(&format!("{f:?}"));
                    Value::Number(n)
                }
                None => {
                    self.out.push_str(if f.is_nan() { "nan" } else { "inf" });
                    Value::Null
                }
            },
            Py::Str(s) => {
                self.string(s, false);
                Value::String(s.clone())
            }
            Py::Bytes(s) => {
                self.string(s, true);
                Value::String(s.clone())
            }
            Py::List(_) | Py::Tuple(_) | Py::Dict(_) | Py::Call(..) if deep => {
                self.out.push_str("None");
                Value::Null
            }
            Py::List(items) | Py::Tuple(items) => {
                let tuple = matches!(v, Py::Tuple(_));
                self.out.push(if tuple { '(' } else { '[' });
                self.space();
                let mut got = Vec::new();
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        self.out.push(',');
                        self.space();
                    }
                    got.push(self.value(item, depth + 1));
                }
                if tuple && items.len() == 1 || !items.is_empty() && self.flag() {
                    self.out.push(',');
                }
                self.space();
                self.out.push(if tuple { ')' } else { ']' });
                Value::Array(got)
            }
            Py::Dict(entries) => {
                self.out.push('{');
                self.space();
                let mut map = Map::new();
                let mut got = Vec::new();
                for (k, val) in entries {
                    let mut key = Printer {
                        u: &mut *self.u,
                        out: String::new(),
                    };
                    key.string(k, false);
                    let key = key.out;
                    let mut p = Printer {
                        u: &mut *self.u,
                        out: String::new(),
                    };
                    let value = p.value(val, depth + 1);
                    got.push(format!("{key}: {}", p.out));
                    map.insert(k.clone(), value);
                }
                self.items(&got, "}", |p, s| p.out.push_str(s));
                Value::Object(map)
            }
            Py::Call(name, args) => {
                self.out.push_str(CALLS[usize::from(*name) % CALLS.len()]);
                self.out.push('(');
                let mut kwargs = Map::new();
                let mut positional = Vec::new();
                let mut got = Vec::new();
                for (k, val) in args {
                    let mut p = Printer {
                        u: &mut *self.u,
                        out: String::new(),
                    };
                    let value = p.value(val, depth + 1);
                    match k {
                        Some(Ident(k)) => {
                            got.push(format!("{k}={}", p.out));
                            kwargs.insert(k.clone(), value);
                        }
                        None => {
                            got.push(p.out);
                            positional.push(value);
                        }
                    }
                }
                self.items(&got, ")", |p, s| p.out.push_str(s));
                if kwargs.is_empty() {
                    Value::Array(positional)
                } else {
                    Value::Object(kwargs)
                }
            }
        }
    }
}

fn check_repr_result(text: &str, r: &Result<(Value, &str), ReprError>) {
    match r {
        Ok((v, rest)) => {
            assert!(
                is_suffix(text, rest),
                "{rest:?} is not what is left of {text:?}"
            );
            assert!(depth(v) <= PYREPR_MAX_DEPTH, "nested deeper than the limit");
        }
        Err(ReprError::Syntax { at }) => assert!(*at <= text.len()),
        Err(ReprError::TooDeep) => {}
    }
}

/// Target `pyrepr`: the input as text for the parser; and the input as the choices that
/// build a Python value, printed as `repr()` prints it, which must read back as that value.
pub fn pyrepr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let strict = fuzzing::pyrepr_prefix(&text);
    check_repr_result(&text, &strict);
    let lenient = fuzzing::pyrepr_lenient(&text);
    check_repr_result(&text, &lenient);
    if let Ok((v, rest)) = &strict {
        let Ok((lv, lrest)) = &lenient else {
            panic!("lenient mode refuses what strict mode reads: {lenient:?}");
        };
        assert_eq!(lv, v, "lenient mode reads a literal differently");
        assert_eq!(lrest, rest);
    }
    if let Some((_, rest)) = fuzzing::pyrepr_string_literal(&text) {
        assert!(is_suffix(&text, rest));
    }

    let mut u = Unstructured::new(data);
    let Ok(py) = Py::arbitrary(&mut u) else {
        return;
    };
    let mut p = Printer {
        u: &mut u,
        out: String::new(),
    };
    let want = p.value(&py, 0);
    let printed = p.out;
    match fuzzing::pyrepr_prefix(&printed) {
        Ok((got, rest)) => {
            assert_eq!(got, want, "{printed:?} read back wrong");
            assert!(rest.is_empty(), "{printed:?} left {rest:?}");
        }
        Err(e) => panic!("{printed:?} does not read back: {e}"),
    }
    assert_eq!(
        fuzzing::pyrepr_lenient(&printed).ok().map(|x| x.0),
        Some(want)
    );
    // A cut-off repr (a truncated log line) never panics and ends where the text does.
    let mut cut = usize::from(u.arbitrary::<u16>().unwrap_or(0)) % (printed.len() + 1);
    while !printed.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &printed[..cut];
    check_repr_result(head, &fuzzing::pyrepr_lenient(head));
}

// ---------------------------------------------------------------------------------------------
// (4) SSE streams.

/// Target `sse`: the input as an event-stream body.
pub fn sse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = fuzzing::sse_looks_like(&text);
    let s = fuzzing::sse_summarize(&text);
    assert!(s.events <= text.matches('\n').count() + 1, "{s:?}");
    if s.model.is_some() {
        assert!(s.message_start, "a model without message_start: {s:?}");
    }
    if s.error.is_some() || s.message_stop || s.stop_reason.is_some() {
        assert!(s.events >= 1, "{s:?}");
    }
    // CRLF line ends read as LF ones.
    if !text.contains('\r') {
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(fuzzing::sse_summarize(&crlf), s, "CRLF changes the summary");
    }
    // Two streams one after the other have the events of both.
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    let (a, b) = text.split_at(mid);
    let joined = format!("{a}\n\n{b}");
    assert_eq!(
        fuzzing::sse_summarize(&joined).events,
        fuzzing::sse_summarize(a).events + fuzzing::sse_summarize(b).events,
        "events are not additive over {a:?} + {b:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// (5) The catalog matcher and the classifier.

const ERROR_TYPES: [&str; 20] = [
    "invalid_request_error",
    "authentication_error",
    "billing_error",
    "permission_error",
    "not_found_error",
    "conflict_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "overloaded_error",
    "client_closed",
    "client_timeout",
    "connection_error",
    "gateway_error",
    "sdk_error",
    "stream_error",
    "upstream_error",
    "AccessDeniedException",
    "ValidationException",
];
const PROVIDERS: [&str; 6] = [
    "anthropic",
    "bedrock",
    "vertex",
    "nginx",
    "litellm",
    "gateway",
];
const HEADERS: [&str; 8] = [
    "x-should-retry",
    "retry-after",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-output-tokens-remaining",
    "anthropic-ratelimit-unified-status",
    "X-Should-Retry",
];
const STATUSES: [u16; 16] = [
    200, 400, 401, 402, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504, 520, 529,
];
const ENDPOINTS: [&str; 4] = [
    "/v1/messages",
    "/v1/messages/batches",
    "/v1/messages/count_tokens",
    "/v1/complete",
];

/// A string from a list of names that matter, or any string.
#[derive(Debug, Arbitrary)]
enum Pick {
    Known(u8),
    Any(String),
}

impl Pick {
    fn get(&self, known: &[&str]) -> String {
        match self {
            Pick::Known(i) => known[usize::from(*i) % known.len()].to_string(),
            Pick::Any(s) => s.clone(),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Status {
    Known(u8),
    Any(u16),
}

impl Status {
    fn get(&self) -> u16 {
        match self {
            Status::Known(i) => STATUSES[usize::from(*i) % STATUSES.len()],
            Status::Any(n) => *n,
        }
    }
}

/// A piece of a message: a catalog keyword (in any case) or free text.
#[derive(Debug, Arbitrary)]
enum Piece {
    Keyword(u16, bool),
    Text(String),
}

#[derive(Debug, Arbitrary)]
struct FuzzRecord {
    source_kind: u8,
    success: bool,
    status: Option<Status>,
    http_status: Option<Status>,
    error_type: Option<Pick>,
    provider_code: Option<Pick>,
    provider: Option<Pick>,
    endpoint: Option<Pick>,
    message: Option<Vec<Piece>>,
    headers: Vec<(Pick, String)>,
    model: Option<String>,
    request_id: Option<String>,
    stamp: Option<(i64, bool)>,
}

fn keyword(i: u16, upper: bool) -> String {
    let all: Vec<&str> = CATALOG
        .signatures()
        .iter()
        .flat_map(|s| s.keywords.iter().map(String::as_str))
        .collect();
    if all.is_empty() {
        return String::new();
    }
    let k = all[usize::from(i) % all.len()];
    if upper {
        k.to_ascii_uppercase()
    } else {
        k.to_string()
    }
}

impl FuzzRecord {
    fn record(&self) -> Record {
        let kind = SourceKind::ALL[usize::from(self.source_kind) % SourceKind::ALL.len()];
        let outcome = if self.success {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let mut r = Record::new(kind, outcome);
        r.status = self.status.as_ref().map(Status::get);
        r.http_status = self.http_status.as_ref().map(Status::get);
        r.error_type = self.error_type.as_ref().map(|p| p.get(&ERROR_TYPES));
        r.provider_code = self.provider_code.as_ref().map(|p| {
            p.get(&[
                "RESOURCE_EXHAUSTED",
                "ThrottlingException",
                "ValidationException",
                "PERMISSION_DENIED",
                "UNAVAILABLE",
            ])
        });
        r.provider = self.provider.as_ref().map(|p| p.get(&PROVIDERS));
        r.endpoint = self.endpoint.as_ref().map(|p| p.get(&ENDPOINTS));
        r.message = self.message.as_ref().map(|pieces| {
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Keyword(i, up) => keyword(*i, *up),
                    Piece::Text(t) => t.clone(),
                })
                .collect()
        });
        r.headers = self
            .headers
            .iter()
            .map(|(n, v)| (n.get(&HEADERS), v.clone()))
            .collect();
        r.model = self.model.clone();
        r.request_id = self.request_id.clone();
        r.stamp = self.stamp.and_then(|(ms, naive)| {
            let t = DateTime::from_timestamp_millis(ms)?;
            Some(if naive {
                Stamp::Naive(t.naive_utc())
            } else {
                Stamp::Utc(t)
            })
        });
        r
    }
}

/// Target `catalog`: a failure record built from the input, matched and classified.
pub fn catalog(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(fr) = FuzzRecord::arbitrary(&mut u) else {
        return;
    };
    let tz_secs: i32 = u.int_in_range(-86_399..=86_399).unwrap_or(0);
    let tz = FixedOffset::east_opt(tz_secs).expect("in range");
    let r = fr.record();
    let fast = CATALOG.classify(&r).map(|s| s.id.as_str());
    let slow = CATALOG.classify_exhaustive(&r).map(|s| s.id.as_str());
    assert_eq!(
        fast, slow,
        "the keyword prefilter changes the match for {r:?}"
    );
    // The classifier names the error type a status implies before it matches.
    let mut filled = r.clone();
    let status = r.effective_status();
    filled
        .error_type
        .get_or_insert_with(|| status.map_or("unknown", error_type_for_status).to_string());
    let fast = CATALOG.classify(&filled).map(|s| s.id.as_str());
    let slow = CATALOG.classify_exhaustive(&filled).map(|s| s.id.as_str());
    assert_eq!(
        fast, slow,
        "the keyword prefilter changes the match for {filled:?}"
    );

    let f = classify::classify("fuzz", r.clone(), &CATALOG, tz);
    assert_eq!(f.status, r.effective_status());
    assert!(CLUSTERS.contains(&&*f.cluster), "{}", f.cluster);
    match CATALOG.get(&f.signature) {
        Some(sig) => {
            assert_eq!(Some(sig.id.as_str()), fast);
            assert_eq!(*f.cluster, *sig.cluster);
            assert!(sig.id.starts_with(&format!("{}.", sig.cluster)));
        }
        None => {
            assert_eq!(fast, None);
            assert_eq!(&*f.cluster, "unknown");
            let hash = f
                .signature
                .strip_prefix("unknown.")
                .expect("unknown.<hash>");
            assert!(hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
    if let Some(m) = &f.message {
        assert!(m.chars().count() <= MESSAGE_MAX_CHARS, "message not cut");
    }
    match r.header("x-should-retry").map(str::trim) {
        Some("true") => assert_eq!(f.retryable, Some(true)),
        Some("false") => assert_eq!(f.retryable, Some(false)),
        _ => {}
    }
    if let Some(s) = r.stamp {
        assert_eq!(f.timestamp, time::resolve(s, tz));
    }
    // The same record gives the same answer.
    let again = classify::classify("fuzz", r, &CATALOG, tz);
    assert_eq!(
        (again.signature, again.cluster),
        (f.signature, f.cluster),
        "classification is not deterministic"
    );
}

// ---------------------------------------------------------------------------------------------
// (6) Redaction.

#[derive(Debug, Arbitrary)]
struct Planted {
    before: String,
    secret: Vec<u8>,
    after: String,
    header: Option<(Vec<u8>, bool)>,
}

fn alnum(bytes: &[u8], min: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s: String = bytes
        .iter()
        .map(|b| SET[usize::from(*b) % SET.len()] as char)
        .collect();
    while s.len() < min {
        s.push(SET[s.len() % SET.len()] as char);
    }
    s
}

/// Target `redact`: the input as text, and as text with a planted Anthropic key (and maybe
/// an `x-api-key` header on a line of its own) that must never come out.
pub fn redaction(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let once = redact::redact(&text).into_owned();
    let twice = redact::redact(&once).into_owned();
    assert_eq!(twice, once, "redacting twice changes the text");
    let n = data.len() % 50;
    let cut = redact::truncate_chars(&text, n);
    if text.chars().count() <= n {
        assert_eq!(cut, text);
    } else {
        assert!(cut.chars().count() <= n.max(1), "{cut:?} longer than {n}");
    }

    let mut u = Unstructured::new(data);
    let Ok(p) = Planted::arbitrary(&mut u) else {
        return;
    };
    let key = format!("sk-ant-api03-{}", alnum(&p.secret, 20));
    let mut planted = format!("{}{key}{}", p.before, p.after);
    let mut header_value = None;
    if let Some((v, quoted)) = &p.header {
        let v = alnum(v, 12);
        if *quoted {
            planted.push_str(&format!("\n{{\"x-api-key\": \"{v}\"}}\n"));
        } else {
            planted.push_str(&format!("\nx-api-key: {v}\n"));
        }
        header_value = Some(v);
    }
    let out = redact::redact(&planted);
    assert!(!out.contains(&key), "the key survives redaction: {out:?}");
    if let Some(v) = header_value {
        assert!(!out.contains(&format!("x-api-key: {v}")), "{out:?}");
        assert!(!out.contains(&format!("\"x-api-key\": \"{v}")), "{out:?}");
    }
    assert_eq!(
        redact::redact(&out),
        out,
        "redacting twice changes the text"
    );
}

// ---------------------------------------------------------------------------------------------
// (7) Time stamps.

fn year_ok(t: &DateTime<Utc>) -> bool {
    (1..=9999).contains(&t.year())
}

/// Target `time`: the input as a time stamp in every notation, and as a `--since` value.
pub fn timestamps(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut u = Unstructured::new(data);
    let tz = FixedOffset::east_opt(u.int_in_range(-86_399..=86_399).unwrap_or(0)).expect("range");
    let now_ms: i64 = u.arbitrary().unwrap_or(0);
    let now = DateTime::from_timestamp_millis(now_ms).unwrap_or_default();

    if let Some(stamp) = time::iso(&text) {
        match stamp {
            Stamp::Utc(t) if year_ok(&t) => {
                let printed = time::format_rfc3339(t);
                assert_eq!(time::iso(&printed), Some(Stamp::Utc(t)), "{printed}");
            }
            Stamp::Naive(n) => {
                if let Some(t) = time::resolve(stamp, tz) {
                    assert_eq!(t.with_timezone(&tz).naive_local(), n);
                }
            }
            Stamp::Utc(_) => {}
        }
    }
    if let Some(Stamp::Utc(t)) = time::nginx_local(&text) {
        if year_ok(&t) {
            let printed = t.format("%d/%b/%Y:%H:%M:%S +0000").to_string();
            assert_eq!(
                time::nginx_local(&printed),
                Some(Stamp::Utc(t)),
                "{printed}"
            );
            // The fast path and chrono's parser agree.
            if let Ok(c) = DateTime::parse_from_str(text.trim(), "%d/%b/%Y:%H:%M:%S %z") {
                assert_eq!(c.with_timezone(&Utc), t, "nginx fast path disagrees");
            }
        }
    }
    if let Some(stamp) = time::slashed(&text) {
        let _ = time::resolve(stamp, tz);
    }
    if let Some(o) = time::parse_offset(&text) {
        let secs = o.local_minus_utc();
        assert!(secs.abs() < 86_400);
        let printed = format!(
            "{}{:02}:{:02}",
            if secs < 0 { '-' } else { '+' },
            secs.abs() / 3600,
            secs.abs() % 3600 / 60
        );
        assert_eq!(time::parse_offset(&printed), Some(o));
    }
    let _ = time::parse_when(&text, now, tz);
    let v = f64::from_bits(u.arbitrary().unwrap_or(0));
    if let Some(Stamp::Utc(t)) = time::epoch_seconds(v) {
        assert!(t.timestamp() >= 0);
    }
}
