//! Reading inputs: lines (with their limits and decoding), container and CI envelopes, text
//! files line by line through the dispatcher, JSON documents as streams, chunks of large
//! files scanned in parallel, and the records that wait for the end of a run.

pub(crate) mod chunk;
pub(crate) mod envelope;
pub(crate) mod held;
pub(crate) mod json;
pub(crate) mod lines;
pub(crate) mod text;
