
pub mod discover;
pub mod input;
pub mod record;
pub mod redact;
pub mod time;
