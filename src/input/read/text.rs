//! Text files read line by line: container and CI envelopes come off, each line goes to the
//! dispatcher, and every line read is counted once (relevant, noise or unparseable).

use std::io::BufRead;

use crate::input::dispatch::{dispatch, line_parsers};
use crate::input::read::{envelope, lines};
use crate::input::read_error;
use crate::input::sink::{Claim, Sink, PRODUCER_JOIN_DISTANCE};
use crate::input::toolkit::limits::JOIN_DISTANCE;

/// The part of a reader's lines that a chunked scan owns, as byte offsets from where the
/// reader starts: lines before `start` only warm the parsers up, lines from `end` on only
/// finish the records this chunk owns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: u64,
    /// `None` for the last chunk of a file.
    pub end: Option<u64>,
}

/// How many lines past its end a chunk reads at most to finish its own records.
const MAX_COOLDOWN_LINES: u64 = 10_000;

pub(crate) fn scan_lines(reader: &mut dyn BufRead, sink: &mut Sink) {
    scan_lines_in(reader, sink, None);
}

/// Read lines and offer each to the parsers. With a window, count and keep only what the
/// window owns (see [`Window`]); returns the number of lines read before the window.
pub(crate) fn scan_lines_in(
    reader: &mut dyn BufRead,
    sink: &mut Sink,
    window: Option<Window>,
) -> u64 {
    let mut parsers = line_parsers();
    let mut envelopes = envelope::Envelopes::new(sink.opts.max_line_bytes);
    let mut reader = lines::LineReader::new(reader, sink.opts.max_line_bytes);
    let mut sticky = 0usize;
    let mut before = 0u64;
    let mut past_end = 0u64;
    sink.chunked = window.is_some();
    loop {
        let line = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                let n = reader.lineno();
                sink.warn_line(n + 1, format!("stopped reading: {}", read_error(&e)));
                if sink.owned_now {
                    sink.scan.unreadable =
                        Some(format!("stopped after line {n}: {}", read_error(&e)));
                }
                break;
            }
        };
        let lineno = line.number;
        if let Some(w) = window {
            if line.start < w.start {
                sink.owned_now = false;
                before = lineno;
            } else if w.end.is_some_and(|end| line.start >= end) {
                sink.owned_now = false;
                // Past the end: read on only while a record that may be this chunk's is
                // still open (a parser inside a multi-line record, or lines near enough to
                // join the last record).
                past_end += 1;
                let open = parsers.iter().any(|p| p.busy());
                let join = if sink.producer == 0 {
                    JOIN_DISTANCE
                } else {
                    PRODUCER_JOIN_DISTANCE
                };
                if (!open && past_end > join) || past_end > MAX_COOLDOWN_LINES {
                    break;
                }
            } else {
                sink.owned_now = true;
            }
        }
        if sink.owned_now {
            let stats = &mut sink.scan.lines;
            stats.read += 1;
            if line.invalid_utf8 {
                stats.invalid_utf8 += 1;
                if stats.invalid_utf8 == 1 {
                    sink.warn_line(
                        lineno,
                        "invalid UTF-8, decoded with replacement characters".into(),
                    );
                }
            }
            if line.truncated {
                sink.scan.lines.truncated += 1;
                let limit = sink.opts.max_line_bytes;
                sink.warn_line(
                    lineno,
                    format!("longer than {limit} bytes, only the first {limit} bytes were read"),
                );
            }
        }
        let text = line.text.as_ref();
        // Container and CI envelopes come off first; a partial line waits for its end and is
        // counted with it.
        let (claim, held) = match envelopes.unwrap(text, lineno, sink.owned_now) {
            envelope::Unwrapped::Plain => {
                (dispatch(text, lineno, &mut parsers, &mut sticky, sink), 0)
            }
            envelope::Unwrapped::Held => continue,
            envelope::Unwrapped::Line {
                text,
                stamp,
                first_line,
                held,
            } => {
                if let Some(s) = stamp.filter(|_| !envelope::has_own_time(&text)) {
                    sink.line_stamps.note(first_line, s);
                }
                let claim = dispatch(&text, first_line, &mut parsers, &mut sticky, sink);
                (claim, held)
            }
        };
        count_claim(
            sink,
            claim,
            u64::from(sink.owned_now) + held,
            window.is_some(),
        );
    }
    for (text, stamp, first_line, held) in envelopes.finish() {
        if let Some(s) = stamp.filter(|_| !envelope::has_own_time(&text)) {
            sink.line_stamps.note(first_line, s);
        }
        let claim = dispatch(&text, first_line, &mut parsers, &mut sticky, sink);
        count_claim(sink, claim, held, window.is_some());
    }
    for p in parsers.iter_mut() {
        p.finish(sink);
    }
    before
}

/// Count `lines` lines (this one and the partial lines it ends) with the claim made for them.
fn count_claim(sink: &mut Sink, claim: Claim, lines: u64, windowed: bool) {
    if windowed && claim == Claim::Relevant {
        for _ in 0..lines.min(MAX_COOLDOWN_LINES) {
            if sink.relevant_owned.len() >= MAX_COOLDOWN_LINES as usize {
                sink.relevant_owned.pop_front();
            }
            sink.relevant_owned.push_back(true);
        }
        if lines == 0 {
            if sink.relevant_owned.len() >= MAX_COOLDOWN_LINES as usize {
                sink.relevant_owned.pop_front();
            }
            sink.relevant_owned.push_back(false);
        }
    }
    let stats = &mut sink.scan.lines;
    match claim {
        Claim::Relevant => stats.relevant += lines,
        Claim::NotMine | Claim::Noise => stats.noise += lines,
        Claim::Bad(reason) => {
            for _ in 0..lines {
                stats.unparseable(reason);
            }
        }
    }
}
