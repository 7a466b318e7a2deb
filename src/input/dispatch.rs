//! The dispatcher: the only place that knows the list of formats. It offers each line to the
//! line parsers (a parser inside a multi-line record first, then the one that claimed the
//! previous line, then the others in registry order, the format-agnostic layer last), runs
//! the one marker pass over all formats' marker words, and fans JSON objects out to the
//! formats that read JSON lines.
//!
//! Adding a format: a leaf in `formats/`, a line in [`line_parsers`] (or in [`Family`] when it
//! has marker words, or in [`object`] when it reads JSON objects), a `SourceKind` if it is a
//! new kind, a sample and its `samples.toml` row.

use std::sync::LazyLock;

use serde_json::Value;

use crate::input::agnostic;
use crate::input::formats::{
    claude_code, cloudflare, clouds, envoy, gateways, go, har, istio, java, litellm, nginx, python,
    typescript,
};
use crate::input::sink::{Claim, LineParser, MarkerGroup, Marks, Position, Sink};
use crate::input::toolkit::words;
use crate::record::{Record, SourceKind};
use aho_corasick::AhoCorasick;

/// The line parsers of one file, in the order they are offered a line.
pub(crate) fn line_parsers() -> Vec<Box<dyn LineParser>> {
    vec![
        Box::<nginx::AccessParser>::default(),
        Box::new(nginx::ErrorParser),
        Box::<envoy::EnvoyParser>::default(),
        Box::new(istio::IstioParser),
        Box::new(python::PythonParser::new(PYTHON)),
        Box::new(clouds::CloudsParser::new(CLOUD)),
        Box::new(litellm::LitellmParser::new(LITELLM)),
        Box::new(Family::new()),
        // Last, and outside the sticky rotation (see `dispatch`): the format-agnostic layer.
        Box::<agnostic::Agnostic>::default(),
    ]
}

// ---------------------------------------------------------------------------------------------
// The marker pass.

/// The marker groups: the members of [`Family`] that need a marker, then the trigger words
/// of the Python, cloud and LiteLLM parsers. One pass over a line finds them all ([`marks`],
/// cached per line by `Sink::marks`).
const TS: MarkerGroup = MarkerGroup(0);
const GO: MarkerGroup = MarkerGroup(1);
const JAVA: MarkerGroup = MarkerGroup(2);
const TERMINAL: MarkerGroup = MarkerGroup(3);
const GATEWAY: MarkerGroup = MarkerGroup(4);
const PYTHON: MarkerGroup = MarkerGroup(5);
const CLOUD: MarkerGroup = MarkerGroup(6);
const LITELLM: MarkerGroup = MarkerGroup(7);

/// Each group's words, in group order.
const MARKER_WORDS: [(MarkerGroup, &[&str]); 8] = [
    (TS, &typescript::MARKERS),
    (GO, &go::MARKERS),
    (JAVA, &java::MARKERS),
    (TERMINAL, &claude_code::MARKERS),
    (GATEWAY, &gateways::MARKERS),
    (PYTHON, &python::MARKERS),
    (CLOUD, &clouds::MARKERS),
    (LITELLM, &litellm::MARKERS),
];

/// The groups of [`Family`] members.
const FAMILY_GROUPS: usize = 5;

/// Whether a marker of any [`Family`] member is in the line.
fn any_family(m: &Marks) -> bool {
    m.first[..FAMILY_GROUPS].iter().any(Option::is_some)
}

struct FamilyScan {
    automaton: words::Words,
    /// Group and index in the group, per pattern.
    owner: Vec<(usize, u8)>,
}

static FAMILY_SCAN: LazyLock<FamilyScan> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    let mut owner = Vec::new();
    for (g, list) in MARKER_WORDS.iter() {
        for (i, p) in list.iter().enumerate() {
            patterns.push(*p);
            owner.push((usize::from(g.0), i as u8));
        }
    }
    FamilyScan {
        automaton: words::Words::new(&patterns),
        owner,
    }
});

/// Scan a line once for every group's markers.
pub(crate) fn marks(line: &str) -> Marks {
    let scan = &*FAMILY_SCAN;
    // Per group, the occurrence that ends first (then the longest, then the first word):
    // what a search for that group's words alone reports first.
    let mut best: [Option<(usize, usize, usize)>; 8] = [None; 8];
    scan.automaton
        .each_by_start(line.as_bytes(), |start, end, word| {
            let (g, _) = scan.owner[word];
            let key = (end, start, word);
            if best[g].is_none_or(|b| key < b) {
                best[g] = Some(key);
            }
            true
        });
    let mut m = Marks::default();
    for (g, b) in best.iter().enumerate() {
        m.first[g] = b.map(|(_, _, word)| scan.owner[word].1);
    }
    m
}

// ---------------------------------------------------------------------------------------------
// The family: the SDK, Claude Code and gateway parsers run as one entry of the rotation, so
// that one marker pass per line serves them all (scanning once instead of once per parser is
// most of their cost on lines that are not theirs); the order inside the family is fixed.

#[derive(Default)]
pub(crate) struct Family {
    ts: typescript::TsParser,
    go: go::GoParser,
    java: java::JavaParser,
    debug: claude_code::DebugParser,
    errors: claude_code::ErrorsArrayParser,
    terminal: claude_code::TerminalParser,
    gateway: gateways::GatewayParser,
}

impl Family {
    fn new() -> Family {
        Family::default()
    }

    /// Offer the line to member `i`, busy or not.
    fn offer(&mut self, i: usize, line: &str, lineno: u64, sink: &mut Sink, m: &Marks) -> Claim {
        match i {
            0 => self.ts.feed(line, lineno, sink, m.first(TS)),
            1 => self.go.feed(line, lineno, sink, m.first(GO)),
            2 => self.java.feed(line, lineno, sink, m.first(JAVA)),
            3 => self.debug.feed(line, lineno, sink),
            4 => self.errors.feed(line, lineno, sink),
            5 => self.terminal.feed(line, lineno, sink, m.first(TERMINAL)),
            _ => self.gateway.feed(line, lineno, sink, m.first(GATEWAY)),
        }
    }

    fn member_busy(&self, i: usize) -> bool {
        match i {
            0 => self.ts.busy(),
            1 => self.go.busy(),
            2 => self.java.busy(),
            3 => false,
            4 => self.errors.busy(),
            5 => self.terminal.busy(),
            _ => self.gateway.busy(),
        }
    }
}

const FAMILY_SIZE: usize = 7;

impl LineParser for Family {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let m = sink.marks(line);
        // Members in the middle of a multi-line record see the line first, as in `dispatch`.
        let mut offered = [false; FAMILY_SIZE];
        for (i, done) in offered.iter_mut().enumerate() {
            if self.member_busy(i) {
                *done = true;
                let claim = self.offer(i, line, lineno, sink, &m);
                if claim != Claim::NotMine {
                    return claim;
                }
            }
        }
        // Members that need no marker: the Java stamp memory, the debug log and errors array
        // byte checks; the others only when one of their markers is in the line.
        let quick = !any_family(&m);
        if !quick {
            sink.follow_producer(line);
        }
        for (i, done) in offered.iter().enumerate() {
            if *done {
                continue;
            }
            let needs_marks = matches!(i, 0 | 1 | 5 | 6);
            if quick && needs_marks {
                continue;
            }
            let claim = self.offer(i, line, lineno, sink, &m);
            if claim != Claim::NotMine {
                return claim;
            }
        }
        Claim::NotMine
    }

    fn busy(&self) -> bool {
        (0..FAMILY_SIZE).any(|i| self.member_busy(i))
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.ts.finish(sink);
        self.go.finish(sink);
        self.java.finish(sink);
        self.debug.finish(sink);
        self.errors.finish(sink);
        self.terminal.finish(sink);
        self.gateway.finish(sink);
    }
}

// ---------------------------------------------------------------------------------------------
// Lines.

pub(crate) fn dispatch(
    text: &str,
    lineno: u64,
    parsers: &mut [Box<dyn LineParser>],
    sticky: &mut usize,
    sink: &mut Sink,
) -> Claim {
    // Markers found for an earlier line do not hold for this one (which may sit at the
    // same address).
    sink.marks = None;
    sink.producer_read = None;
    // A parser in the middle of a multi-line record sees the line first.
    for p in parsers.iter_mut() {
        if p.busy() {
            let claim = p.feed(text, lineno, sink);
            if claim != Claim::NotMine {
                return claim;
            }
        }
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Claim::Noise;
    }
    if trimmed.starts_with('{') && trimmed.ends_with('}') {
        // JSON access logs: a flat object of nginx variables is read in place.
        if let Some(claim) = nginx::json_line(trimmed, Position::Line(lineno), sink) {
            if claim != Claim::NotMine {
                return claim;
            }
        } else if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) {
            let claim = object(&value, Position::Line(lineno), sink);
            if claim != Claim::NotMine {
                return claim;
            }
        } else if let Some(claim) = nginx::repaired_json_line(trimmed, Position::Line(lineno), sink)
        {
            // An nginx JSON template that writes some variables unquoted.
            if claim != Claim::NotMine {
                return claim;
            }
        }
    }
    // The parser that claimed the previous line goes first: files are mostly one format. The
    // last parser, the format-agnostic layer, only sees what all the others passed on.
    let n = parsers.len() - 1;
    for k in 0..n {
        let i = (*sticky + k) % n;
        let claim = parsers[i].feed(text, lineno, sink);
        if claim != Claim::NotMine {
            *sticky = i;
            return claim;
        }
    }
    parsers[n].feed(text, lineno, sink)
}

// ---------------------------------------------------------------------------------------------
// JSON objects (a JSON-lines line, or an element of an array document).

/// Recognise one JSON object by its keys and read it.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let Some(map) = v.as_object() else {
        return agnostic::object(v, at, sink);
    };
    let nginx_shaped = || {
        map.contains_key("status")
            && ["request_uri", "request", "uri", "path", "request_path"]
                .iter()
                .any(|k| map.get(*k).is_some_and(Value::is_string))
    };
    // The hot path of JSON access logs: an object whose keys are all nginx variables holds
    // none of the keys the readers below look for (`error`, `message`, `type`, `sessionId`,
    // `$metadata`, `response_code`, `tokens_in`...), so it goes straight to the nginx reader.
    if map.keys().all(|k| nginx::is_nginx_variable(k)) && nginx_shaped() {
        return nginx::json_object(v, at, sink);
    }
    for handler in [
        claude_code::object,
        python::object,
        sdk_object,
        clouds::object,
        litellm::object,
        gateways::object,
    ] {
        let claim = handler(v, at, sink);
        if claim != Claim::NotMine {
            return claim;
        }
    }
    if cloudflare::is_cloudflare_object(map) {
        return cloudflare::object(v, at, sink);
    }
    if map.contains_key("response_code") {
        let claim = envoy::json_object(v, at, sink);
        if claim != Claim::NotMine {
            return claim;
        }
    }
    if nginx_shaped() {
        return nginx::json_object(v, at, sink);
    }
    agnostic::object(v, at, sink)
}

/// One entry of a HAR document.
pub(crate) fn har_entry(value: Value, index: u64, sink: &mut Sink) -> Claim {
    match har::entry(value, index, sink) {
        Ok(true) => Claim::Relevant,
        Ok(false) => Claim::Noise,
        Err(reason) => {
            sink.warn(format!("HAR {reason}"));
            Claim::Bad("HAR entry with unexpected shape")
        }
    }
}

/// A JSON log record (pino, winston, bunyan, slog, logstash) whose error (`err`/`error` object
/// with `message`/`stack`, or a `msg`) is a Claude API failure printed by an SDK: the first of
/// its texts that an SDK's error reader takes.
fn sdk_object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let Some(map) = v.as_object() else {
        return Claim::NotMine;
    };
    fn str_of<'v>(x: Option<&'v Value>, k: &str) -> Option<&'v str> {
        x.and_then(|x| x.get(k)).and_then(Value::as_str)
    }
    // pino/bunyan `err`, winston `error`: objects with `message` and `stack`.
    let err = ["err", "error"]
        .iter()
        .find_map(|k| map.get(*k).filter(|e| e.is_object()));
    // The texts that may hold an SDK error: the error's message or stack, the log message,
    // a Go `err`/`error` string, a Java `stack_trace`.
    let mut texts: Vec<&str> = Vec::with_capacity(4);
    texts.extend(str_of(err, "message"));
    for k in [
        "err",
        "error",
        "msg",
        "message",
        "stack_trace",
        "exception",
        "stack",
    ] {
        texts.extend(map.get(k).and_then(Value::as_str));
    }
    texts.extend(str_of(err, "stack"));
    let stamp = ["time", "timestamp", "@timestamp", "ts"]
        .iter()
        .find_map(|k| match map.get(*k) {
            Some(Value::String(s)) => crate::time::iso(s),
            Some(Value::Number(n)) => n.as_f64().and_then(crate::time::epoch_seconds),
            _ => None,
        });
    // The SDK's own line of the attempt just before (`[log_...] post ... failed with status
    // 404`, no body): the app's error line right after it tells the same attempt's body.
    let joins = match at {
        Position::Line(n) => sink
            .recent_failure(n, 2)
            .filter(|f| f.source_kind == SourceKind::SdkTypescript && f.message.is_none())
            .and_then(Record::effective_status),
        Position::Entry(_) => None,
    };
    for text in texts {
        let first = text.lines().next().unwrap_or("");
        let record = if first.contains("com.anthropic.errors.") {
            java::java_error(first)
        } else if first.contains(" \"http") {
            match go::go_error(first, &sink.opts.api_paths) {
                go::GoError::Record(r) => Some(*r),
                go::GoError::OtherHost => return Claim::NotMine,
                go::GoError::None => None,
            }
        } else if typescript::foreign_to_ts(first) {
            None
        } else {
            typescript::json_record(first, text, err, joins)
        };
        if let Some(mut r) = record {
            at.place(&mut r);
            r.stamp = stamp;
            sink.push(r);
            return Claim::Relevant;
        }
    }
    Claim::NotMine
}

/// The shared marker pass finds each group's words exactly where a search for that group's
/// words alone would (the parsers used to run one each). Panics where it does not; for the
/// sample test below and the fuzz `scan` check.
pub(crate) fn marks_agree(line: &str) {
    static ALONE: LazyLock<Vec<(MarkerGroup, AhoCorasick)>> = LazyLock::new(|| {
        MARKER_WORDS
            .iter()
            .map(|(g, words)| (*g, AhoCorasick::new(*words).expect("static patterns")))
            .collect()
    });
    let m = marks(line);
    for (g, ac) in ALONE.iter() {
        // The first word of the group, as the group alone finds it first.
        let first = ac.find_overlapping_iter(line).next();
        assert_eq!(
            m.first(*g),
            first.map(|h| h.pattern().as_usize()),
            "{g:?}: {line:?}"
        );
    }
}
