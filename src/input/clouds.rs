//! Bedrock (boto3/botocore, AWS SDK for JS v3, invocation logs) and Vertex AI (google.api_core, Google error envelopes) (formats.md sections 6 and 7).
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

pub(crate) fn exception_record(_text: &str, _claude: bool) -> Option<crate::record::Record> {
    None
}
