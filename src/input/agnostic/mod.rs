//! The format-agnostic layer: after the precise parsers, and never instead of them, it finds
//! failed Claude API calls in lines whose layout nobody wrote a parser for.
//!
//! It sees only what no precise parser claimed (a line every parser passed on, a JSON object
//! no reader recognised). It counts a call only in a Claude context (see [`context`]), never
//! another vendor's, and its records join what the precise parsers found through the sink's
//! usual rules, so one attempt stays one failure.

mod access;
mod audit;
mod context;

use serde_json::Value;

use super::json::Position;
use super::{Claim, LineParser, Sink};

pub(crate) use context::context;

/// The agnostic line reader: the last parser a line is offered to.
#[derive(Default)]
pub(crate) struct Agnostic;

impl LineParser for Agnostic {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let ctx = context(line);
        if !(ctx.claude || ctx.claude_route) {
            return Claim::NotMine;
        }
        // A JSON object after a prefix (a collector's time stamp, a pod name).
        if let Some(open) = line.find('{') {
            let tail = line[open..].trim_end();
            if open > 0 && tail.ends_with('}') {
                if let Ok(v) = serde_json::from_str::<Value>(tail) {
                    let claim = object(&v, Position::Line(lineno), sink);
                    if claim != Claim::NotMine {
                        return claim;
                    }
                }
            }
        }
        if let Some(seen) = access::read_text(line) {
            return push_access(&seen, line, Position::Line(lineno), sink);
        }
        Claim::NotMine
    }
}

/// A JSON object that no precise reader recognised.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    if let Some(records) = audit::records(v) {
        for mut r in records {
            at.place(&mut r);
            sink.push(r);
        }
        return Claim::Relevant;
    }
    if let Some(seen) = access::read_json(v) {
        let text = v.to_string();
        return push_access(&seen, &text, at, sink);
    }
    Claim::NotMine
}

fn push_access(seen: &access::Seen, whole: &str, at: Position, sink: &mut Sink) -> Claim {
    let Some((endpoint, provider)) = access::claude_call(seen, whole, &sink.opts.api_paths) else {
        return Claim::Noise;
    };
    for mut r in access::record(seen, endpoint, provider) {
        at.place(&mut r);
        sink.push(r);
    }
    Claim::Relevant
}
