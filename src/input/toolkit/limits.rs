//! Bounds shared by the formats: one definition each.

/// Longest multi-line record (a traceback, a wrapped body, a stack trace), in lines; past
/// that, what was read is emitted.
pub(crate) const MAX_LINES: u64 = 200;
/// The same in bytes.
pub(crate) const MAX_BYTES: usize = 256 * 1024;
/// How far apart (in lines) two lines of one attempt may be when they do not both name their
/// producer.
pub(crate) const JOIN_DISTANCE: u64 = 40;
/// Longest message kept from a log line (the report cuts further).
pub(crate) const MAX_MESSAGE: usize = 2000;
