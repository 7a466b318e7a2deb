//! LiteLLM SDK exception strings and proxy logs, text and JSON (formats.md section 8).
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

pub(crate) fn exception_record(_text: &str) -> Option<crate::record::Record> {
    None
}
