//! Python anthropic SDK: ANTHROPIC_LOG lines, httpx lines, tracebacks, exception strings (formats.md section 1).
//!
//! Not written yet: no parser claims these lines.

use serde_json::Value;

use super::json::Position;
use super::{Claim, LineParser, Sink};

pub(crate) fn parsers() -> Vec<Box<dyn LineParser>> {
    Vec::new()
}

pub(crate) fn object(_v: &Value, _at: Position, _sink: &mut Sink) -> Claim {
    Claim::NotMine
}
