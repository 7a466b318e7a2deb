//! Parquet events read back equal the NDJSON events, field by field, with real types; both
//! ways of asking for them (`--events --format parquet -o`, `--events-out FILE.parquet`)
//! write the same file.

use crate::common;

use std::fs::File;
use std::path::PathBuf;

use claude_logscan::classify::EVENT_FIELDS;
use claude_logscan::parquet::{EVENTS_SCHEMA_VERSION, VERSION_KEY};
use polars_core::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::SerReader;
use serde_json::Value;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logscan-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn read(path: &PathBuf) -> DataFrame {
    ParquetReader::new(File::open(path).expect("parquet written"))
        .finish()
        .expect("parquet reads back")
}

/// One cell as the JSON value NDJSON writes for it.
fn json_of(col: &Column, row: usize) -> Value {
    match col.get(row).expect("row in range") {
        AnyValue::Null => Value::Null,
        AnyValue::String(s) => Value::from(s),
        AnyValue::StringOwned(s) => Value::from(s.as_str()),
        AnyValue::UInt32(n) => Value::from(n),
        AnyValue::UInt64(n) => Value::from(n),
        AnyValue::Boolean(b) => Value::from(b),
        AnyValue::Datetime(us, TimeUnit::Microseconds, _) => {
            let t = chrono::DateTime::from_timestamp_micros(us).expect("a time");
            Value::from(claude_logscan::time::format_rfc3339(t))
        }
        other => panic!("unexpected value {other:?} in {}", col.name()),
    }
}

#[test]
fn parquet_events_read_back_equal_the_ndjson_events() {
    let ndjson = common::events(&["samples/"]);
    assert!(ndjson.len() > 200, "the samples have failures");
    let path = temp("events.parquet");
    let p = path.to_str().expect("utf-8 path");
    let o = common::run(&["samples/", "-q", "--events", "--format", "parquet", "-o", p]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let df = read(&path);
    assert_eq!(df.height(), ndjson.len());
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, EVENT_FIELDS);
    let dtype = |n: &str| df.column(n).expect("column").dtype().clone();
    assert_eq!(
        dtype("timestamp"),
        DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    assert_eq!(dtype("line"), DataType::UInt64);
    assert_eq!(dtype("status"), DataType::UInt32);
    assert_eq!(dtype("latency_ms"), DataType::UInt32);
    assert_eq!(dtype("retryable"), DataType::Boolean);
    assert_eq!(dtype("cluster"), DataType::String);
    for (row, event) in ndjson.iter().enumerate() {
        for field in EVENT_FIELDS {
            let got = json_of(df.column(field).expect("column"), row);
            let mut want = event[field].clone();
            if field == "timestamp" {
                // Microseconds: a time with more digits is cut to six.
                if let Some(t) = want.as_str().and_then(|t| {
                    chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| {
                        let t = t.with_timezone(&chrono::Utc);
                        chrono::DateTime::from_timestamp_micros(t.timestamp_micros())
                            .expect("a time")
                    })
                }) {
                    want = Value::from(claude_logscan::time::format_rfc3339(t));
                }
            }
            assert_eq!(got, want, "row {row} field {field}");
        }
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn events_out_by_extension_writes_the_same_parquet_and_a_version() {
    let a = temp("a.parquet");
    let b = temp("b.parquet");
    let (pa, pb) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    let o = common::run(&["samples/proxy", "-q", "--events", "-o", pa]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = common::run(&["samples/proxy", "-q", "--events-out", pb]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(common::stdout(&o).contains("claude-logscan report"));
    assert!(read(&a).equals_missing(&read(&b)));
    let mut reader = ParquetReader::new(File::open(&a).expect("written"));
    let meta = reader.get_metadata().expect("metadata").clone();
    let version = meta
        .key_value_metadata()
        .as_ref()
        .and_then(|kv| kv.iter().find(|k| k.key == VERSION_KEY))
        .and_then(|k| k.value.clone());
    assert_eq!(version, Some(EVENTS_SCHEMA_VERSION.to_string()));
    // Repeating strings are dictionary-encoded.
    let dictionary: Vec<String> = meta.row_groups[0]
        .parquet_columns()
        .iter()
        .filter(|c| c.dictionary_page_offset().is_some())
        .map(|c| c.descriptor().path_in_schema.join("."))
        .collect();
    for column in ["source_kind", "cluster", "signature", "error_type"] {
        assert!(
            dictionary.iter().any(|d| d == column),
            "{column}: {dictionary:?}"
        );
    }
    let _ = std::fs::remove_file(&a);
    let _ = std::fs::remove_file(&b);
}

#[test]
fn parquet_is_for_events() {
    let o = common::run(&["samples/proxy", "-q", "--format", "parquet"]);
    assert_eq!(o.status.code(), Some(2));
}
