//! Parquet events: the 19 event fields with real types, written by polars' Parquet writer for
//! DuckDB, Spark, Trino, BigQuery and pandas/polars. Like [`crate::report`] this module builds
//! polars frames, so `render` keeps never seeing polars; it reads only plain [`Failure`]s.
//!
//! Types (schema version [`EVENTS_SCHEMA_VERSION`], stored in the file's key-value metadata
//! under [`VERSION_KEY`]): `timestamp` a UTC datetime in microseconds; `line` u64; `entry`,
//! `status`, `http_status`, `attempt`, `latency_ms` u32; `retryable` boolean; every other
//! field a string. Nulls are nulls, as in NDJSON. polars' writer dictionary-encodes each
//! string column whose values repeat (file, source_kind, provider, endpoint, error_type,
//! model, cluster, signature...), per row group.
//!
//! Memory: the events are written in row groups of [`ROW_GROUP`] rows, one frame at a time,
//! so writing adds at most one row group to what the run already holds.

use std::io::Write;

use polars_core::prelude::*;
use polars_io::parquet::write::{KeyValueMetadata, ParquetWriter};

use crate::classify::{Failure, EVENT_FIELDS};

/// Version of the Parquet events schema; bump on any incompatible change.
pub const EVENTS_SCHEMA_VERSION: u32 = 1;

/// The key-value metadata key that holds [`EVENTS_SCHEMA_VERSION`].
pub const VERSION_KEY: &str = "claude_logscan.events_schema_version";

/// Rows per row group (and per frame built in memory).
pub const ROW_GROUP: usize = 64 * 1024;

/// The Arrow types of the event fields, in [`EVENT_FIELDS`] order.
pub fn schema() -> Schema {
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let types = [
        utc,
        DataType::String,
        DataType::UInt64,
        DataType::UInt32,
        DataType::String,
        DataType::String,
        DataType::String,
        DataType::UInt32,
        DataType::UInt32,
        DataType::String,
        DataType::String,
        DataType::String,
        DataType::String,
        DataType::String,
        DataType::String,
        DataType::String,
        DataType::Boolean,
        DataType::UInt32,
        DataType::UInt32,
    ];
    EVENT_FIELDS
        .iter()
        .zip(types)
        .map(|(name, dtype)| Field::new((*name).into(), dtype))
        .collect()
}

/// Write the events as one Parquet file to `out`.
pub fn write_events(failures: &[Failure], out: &mut dyn Write) -> PolarsResult<()> {
    let schema = schema();
    let mut writer = ParquetWriter::new(out)
        .with_row_group_size(Some(ROW_GROUP))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            VERSION_KEY.to_string(),
            EVENTS_SCHEMA_VERSION.to_string(),
        )])))
        .batched(&schema)?;
    if failures.is_empty() {
        // An empty row group keeps the schema readable by every engine.
        writer.write_batch(&frame(&[])?)?;
    }
    for chunk in failures.chunks(ROW_GROUP) {
        writer.write_batch(&frame(chunk)?)?;
    }
    writer.finish()?;
    Ok(())
}

/// One frame of events with the types of [`schema`].
fn frame(failures: &[Failure]) -> PolarsResult<DataFrame> {
    let name = |i: usize| PlSmallStr::from_static(EVENT_FIELDS[i]);
    let text = |i: usize, f: &dyn Fn(&Failure) -> Option<&str>| -> Column {
        StringChunked::from_iter_options(name(i), failures.iter().map(f)).into_column()
    };
    let small = |i: usize, f: &dyn Fn(&Failure) -> Option<u32>| -> Column {
        UInt32Chunked::from_iter_options(name(i), failures.iter().map(f)).into_column()
    };
    let timestamp = Int64Chunked::from_iter_options(
        name(0),
        failures
            .iter()
            .map(|f| f.timestamp.map(|t| t.timestamp_micros())),
    )
    .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    .into_column();
    let columns = vec![
        timestamp,
        text(1, &|f| Some(&f.file)),
        UInt64Chunked::from_iter_options(name(2), failures.iter().map(|f| f.line)).into_column(),
        small(3, &|f| f.entry),
        text(4, &|f| Some(f.source_kind.as_str())),
        text(5, &|f| f.provider.as_deref()),
        text(6, &|f| f.endpoint.as_deref()),
        small(7, &|f| f.status.map(u32::from)),
        small(8, &|f| f.http_status.map(u32::from)),
        text(9, &|f| Some(&f.error_type)),
        text(10, &|f| f.provider_code.as_deref()),
        text(11, &|f| f.message.as_deref()),
        text(12, &|f| f.model.as_deref()),
        text(13, &|f| f.request_id.as_deref()),
        text(14, &|f| Some(&f.cluster)),
        text(15, &|f| Some(&f.signature)),
        BooleanChunked::from_iter_options(name(16), failures.iter().map(|f| f.retryable))
            .into_column(),
        small(17, &|f| f.attempt),
        small(18, &|f| f.latency_ms),
    ];
    DataFrame::new(failures.len(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_has_every_event_field_in_order() {
        let s = schema();
        let names: Vec<&str> = s.iter_names().map(|n| n.as_str()).collect();
        assert_eq!(names, EVENT_FIELDS);
    }

    #[test]
    fn no_events_still_make_a_file_with_the_schema() {
        let mut out = Vec::new();
        write_events(&[], &mut out).expect("written");
        assert!(out.starts_with(b"PAR1") && out.ends_with(b"PAR1"));
    }
}
