//! The integration tests, as one test binary (the library and polars are linked once): each
//! module runs the binary that `cargo test` built, on the samples or on inputs it writes.

mod common;

mod cli;
mod envelopes;
mod fuzz_regressions;
mod hostile;
mod html;
mod mutations;
mod parquet;
mod partial;
mod realworld;
mod report;
mod samples;
mod secrets;
mod snapshots;
mod templates;
