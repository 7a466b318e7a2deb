//! The shape of an input from its first bytes (never its name).

use std::io::BufRead;
use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Empty,
    Binary,
    Har,
    JsonArray,
    Wrapped,
    Lines,
}

/// Look at the first bytes (without consuming them) to pick the reading mode.
pub(crate) fn sniff(reader: &mut dyn BufRead) -> std::io::Result<Shape> {
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Ok(Shape::Empty);
    }
    let head = &head[..head.len().min(64 * 1024)];
    let probe = &head[..head.len().min(8192)];
    if memchr::memchr(0, probe).is_some() {
        // UTF-16 logs (Windows) also hold NULs; they are not supported and say so.
        return Ok(Shape::Binary);
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') {
        // A JSON array document, unless the first line is a complete value of its own
        // (JSON lines whose lines happen to be arrays) or a log line like `[GIN] ...`.
        let first = trimmed.lines().next().unwrap_or("");
        let after = trimmed.strip_prefix('[').unwrap_or(trimmed).trim_start();
        let opens_value = after.starts_with('{') || after.starts_with(']') || after.is_empty();
        if opens_value && serde_json::from_str::<serde_json::Value>(first).is_err() {
            return Ok(Shape::JsonArray);
        }
        if opens_value && trimmed.lines().nth(1).is_none_or(|l| l.trim().is_empty()) {
            return Ok(Shape::JsonArray);
        }
        return Ok(Shape::Lines);
    }
    if trimmed.starts_with('{') {
        static HAR: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"^\{\s*"log"\s*:\s*\{"#).expect("static regex"));
        static CF: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"(?s)^\{.{0,400}?"result"\s*:\s*\["#).expect("static regex")
        });
        if HAR.is_match(trimmed) {
            return Ok(Shape::Har);
        }
        if CF.is_match(trimmed) && trimmed.contains("\"success\"") {
            return Ok(Shape::Wrapped);
        }
        static RECORDS: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"(?s)^\{.{0,2000}?"(?:Records|Events|QueryResultRows)"\s*:\s*\["#)
                .expect("static regex")
        });
        // One object that is the whole file (not JSON lines), holding an array of records.
        if RECORDS.is_match(trimmed) {
            let first = trimmed.lines().next().unwrap_or("");
            let pretty = serde_json::from_str::<serde_json::Value>(first).is_err();
            if pretty || trimmed.lines().nth(1).is_none_or(|l| l.trim().is_empty()) {
                return Ok(Shape::Wrapped);
            }
        }
    }
    Ok(Shape::Lines)
}
