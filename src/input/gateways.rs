//! one-api, new-api and sub2api gateway logs with their [GIN] access lines (formats.md section 9).
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
