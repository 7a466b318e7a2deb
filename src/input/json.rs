//! JSON inputs: documents parsed as streams (HAR, JSON arrays, Cloudflare API responses),
//! entry by entry, whatever their line length; and single JSON objects (one per line, or one
//! per array element) recognised by their keys.

use std::fmt;
use std::io::BufRead;

use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

use super::api::{endpoint_of, error_body, error_body_text};
use super::nginx::{access_record, Access};
use super::{har, Claim, Sink};
use crate::record::{Outcome, Record, SourceKind};
use crate::time;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Document {
    Har,
    Array,
    Wrapped,
}

/// Where a JSON object sits: a line of a JSON-lines file or an element of an array document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Position {
    Line(u64),
    Entry(u64),
}

impl Position {
    pub(crate) fn place(self, r: &mut Record) {
        match self {
            Position::Line(n) => r.line = Some(n),
            Position::Entry(n) => r.entry = Some(n),
        }
    }
}

pub(crate) fn document(reader: &mut dyn BufRead, kind: Document, sink: &mut Sink) {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = Walk { sink, index: 0 };
    let result = match kind {
        Document::Har => (&mut de).deserialize_map(HarRoot(&mut state)),
        Document::Array => (&mut de).deserialize_seq(Elements {
            state: &mut state,
            har: false,
        }),
        Document::Wrapped => (&mut de).deserialize_map(ResultRoot(&mut state)),
    }
    .and_then(|()| de.end());
    if let Err(e) = result {
        let what = match kind {
            Document::Har => "malformed HAR",
            Document::Array | Document::Wrapped => "malformed JSON document",
        };
        let reason = if e.is_eof() {
            format!("{what}: cut off at line {} column {}", e.line(), e.column())
        } else {
            format!("{what}: {e}")
        };
        state.sink.warn(reason);
        state.sink.scan.lines.read += 1;
        state.sink.scan.lines.unparseable(what);
    }
}

/// The members that hold the records of a wrapped document: an API response's `result`
/// (Cloudflare), CloudTrail's `Records` (S3 delivery), `Events` (`lookup-events`) and
/// `QueryResultRows` (CloudTrail Lake).
pub(crate) const WRAPPED_ARRAYS: [&str; 4] = ["result", "Records", "Events", "QueryResultRows"];

struct Walk<'s, 'o> {
    sink: &'s mut Sink<'o>,
    index: u64,
}

struct HarRoot<'w, 's, 'o>(&'w mut Walk<'s, 'o>);
struct HarLog<'w, 's, 'o>(&'w mut Walk<'s, 'o>);
struct ResultRoot<'w, 's, 'o>(&'w mut Walk<'s, 'o>);
struct Elements<'w, 's, 'o> {
    state: &'w mut Walk<'s, 'o>,
    har: bool,
}

impl<'de> Visitor<'de> for HarRoot<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR object with a `log` member")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "log" {
                map.next_value_seed(HarLog(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for HarLog<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HarLog<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                map.next_value_seed(Elements {
                    state: &mut *self.0,
                    har: true,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for ResultRoot<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with an array of records")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if WRAPPED_ARRAYS.contains(&key.as_str()) {
                map.next_value_seed(Elements {
                    state: &mut *self.0,
                    har: false,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            let index = self.state.index;
            self.state.index += 1;
            let sink = &mut *self.state.sink;
            sink.scan.lines.read += 1;
            let claim = if self.har {
                match har::entry(value, index, sink) {
                    Ok(true) => Claim::Relevant,
                    Ok(false) => Claim::Noise,
                    Err(reason) => {
                        sink.warn(format!("HAR {reason}"));
                        Claim::Bad("HAR entry with unexpected shape")
                    }
                }
            } else {
                object(&value, Position::Entry(index), sink)
            };
            let stats = &mut sink.scan.lines;
            match claim {
                Claim::Relevant => stats.relevant += 1,
                Claim::NotMine | Claim::Noise => stats.noise += 1,
                Claim::Bad(reason) => stats.unparseable(reason),
            }
        }
        Ok(())
    }
}

/// The fields of a JSON object, as the nginx reader asks for them: from a parsed
/// [`Value`], or from a [`Flat`] object read in place.
trait Fields {
    /// The value of `key` when it is a string (the last one, if the key repeats).
    fn string(&self, key: &str) -> Option<&str>;
    /// The value of `key` as a number: a JSON number, or a string holding one.
    fn number(&self, key: &str) -> Option<f64>;
    /// Every string-valued field, by key (sorted, one per key, the last one wins).
    fn strings(&self) -> Vec<(&str, &str)>;
}

impl Fields for Value {
    fn string(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    fn number(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn strings(&self) -> Vec<(&str, &str)> {
        self.as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A flat JSON object read in place (no allocation per value): string values without
/// escapes, numbers, `true`, `false`, `null`. Anything else (an escape, a nested value, a
/// number out of range, invalid JSON) is not read here: the caller parses the line fully.
pub(crate) struct Flat<'a> {
    fields: Vec<(&'a str, FlatValue<'a>)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FlatValue<'a> {
    Str(&'a str),
    Num(f64),
    Other,
}

impl<'a> Flat<'a> {
    /// `text` must be the whole object (`{` ... `}`, nothing around it). Reading stops
    /// (`None`) at the first key that `wanted` refuses.
    pub(crate) fn parse(text: &'a str, wanted: impl Fn(&str) -> bool) -> Option<Flat<'a>> {
        let b = text.as_bytes();
        let mut i = 0usize;
        let ws = |i: &mut usize| {
            while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
                *i += 1;
            }
        };
        // A string without escapes or control characters: its contents.
        let string = |i: &mut usize| -> Option<&'a str> {
            if b.get(*i) != Some(&b'"') {
                return None;
            }
            let start = *i + 1;
            let len = memchr::memchr2(b'"', b'\\', &b[start..])?;
            let end = start + len;
            if b[end] != b'"' || b[start..end].iter().any(|&c| c < 0x20) {
                return None;
            }
            *i = end + 1;
            Some(&text[start..end])
        };
        let mut fields = Vec::with_capacity(16);
        ws(&mut i);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        ws(&mut i);
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            loop {
                ws(&mut i);
                let key = string(&mut i)?;
                if !wanted(key) {
                    return None;
                }
                ws(&mut i);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                ws(&mut i);
                let value = match *b.get(i)? {
                    b'"' => FlatValue::Str(string(&mut i)?),
                    b't' if b[i..].starts_with(b"true") => {
                        i += 4;
                        FlatValue::Other
                    }
                    b'f' if b[i..].starts_with(b"false") => {
                        i += 5;
                        FlatValue::Other
                    }
                    b'n' if b[i..].starts_with(b"null") => {
                        i += 4;
                        FlatValue::Other
                    }
                    b'-' | b'0'..=b'9' => {
                        let start = i;
                        i += number_len(&b[i..])?;
                        let n: f64 = text[start..i].parse().ok()?;
                        if !n.is_finite() {
                            return None;
                        }
                        FlatValue::Num(n)
                    }
                    _ => return None,
                };
                fields.push((key, value));
                ws(&mut i);
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        ws(&mut i);
        (i == b.len()).then_some(Flat { fields })
    }

    fn get(&self, key: &str) -> Option<FlatValue<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.fields.iter().map(|(k, _)| *k)
    }
}

/// The length of a JSON number at the start of `b` (strict JSON grammar), if there is one.
fn number_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    Some(i)
}

impl Fields for Flat<'_> {
    fn string(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            FlatValue::Str(s) => Some(s),
            _ => None,
        }
    }

    fn number(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            FlatValue::Num(n) => Some(n),
            FlatValue::Str(s) => s.trim().parse().ok(),
            FlatValue::Other => None,
        }
    }

    fn strings(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for (i, (k, _)) in self.fields.iter().enumerate() {
            // One per key, the last one (as a parsed object keeps it).
            if self.fields[i + 1..].iter().any(|(later, _)| later == k) {
                continue;
            }
            if let Some(s) = self.string(k) {
                out.push((k, s));
            }
        }
        out.sort_unstable_by_key(|(k, _)| *k);
        out
    }
}

/// See [`super::fuzzing::json_flat_agrees`].
pub(crate) fn flat_agrees(text: &str) {
    let Some(flat) = Flat::parse(text, |_| true) else {
        return;
    };
    let value: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("read in place, but not JSON ({e}): {text:?}"));
    for key in flat.keys() {
        assert_eq!(flat.string(key), value.string(key), "{key:?} in {text:?}");
        let (a, b) = (flat.number(key), value.number(key));
        assert!(
            a == b || a.zip(b).is_some_and(|(x, y)| x.is_nan() && y.is_nan()),
            "{key:?} in {text:?}: {a:?} != {b:?}"
        );
    }
    assert_eq!(flat.strings(), value.strings(), "{text:?}");
}

/// A JSON line that is an nginx access record, read without building a [`Value`]: `None`
/// when the line is not a flat object of nginx variables (the caller then parses it fully;
/// see [`object`] for the same test on a parsed object).
pub(crate) fn nginx_line(text: &str, at: Position, sink: &mut Sink) -> Option<Claim> {
    // Other JSON logs (Claude Code, pino, slog...) stop at their first key.
    let flat = Flat::parse(text, is_nginx_variable)?;
    let shaped = flat.get("status").is_some()
        && ["request_uri", "request", "uri", "path", "request_path"]
            .iter()
            .any(|k| matches!(flat.get(k), Some(FlatValue::Str(_))));
    if !shaped {
        return None;
    }
    Some(nginx_json(&flat, at, sink))
}

fn field_str<'v, F: Fields + ?Sized>(v: &'v F, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| v.string(k))
        .filter(|s| !s.is_empty() && *s != "-")
}

fn field_num<F: Fields + ?Sized>(v: &F, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| v.number(k))
}

fn str_field<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty() && *s != "-")
}

fn num_field(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Recognise one JSON object by its keys and read it.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let Some(map) = v.as_object() else {
        return super::agnostic::object(v, at, sink);
    };
    let nginx_shaped = || {
        map.contains_key("status")
            && ["request_uri", "request", "uri", "path", "request_path"]
                .iter()
                .any(|k| map.get(*k).is_some_and(Value::is_string))
    };
    // The hot path of JSON access logs: an object whose keys are all nginx variables holds
    // none of the keys the readers below look for (`error`, `message`, `type`, `sessionId`,
    // `$metadata`, `response_code`, `tokens_in`...), so it goes straight to the nginx reader.
    if map.keys().all(|k| is_nginx_variable(k)) && nginx_shaped() {
        return nginx_json(v, at, sink);
    }
    for handler in [
        super::claude_code::object,
        super::python::object,
        super::sdks::object,
        super::clouds::object,
        super::litellm::object,
        super::gateways::object,
    ] {
        let claim = handler(v, at, sink);
        if claim != Claim::NotMine {
            return claim;
        }
    }
    if map.contains_key("tokens_in")
        || map.contains_key("tokens_out")
        || (map.contains_key("cached")
            && map.contains_key("duration")
            && map.contains_key("status_code"))
    {
        return cloudflare(v, at, sink);
    }
    if map.contains_key("response_code") {
        let claim = super::envoy::json_object(v, at, sink);
        if claim != Claim::NotMine {
            return claim;
        }
    }
    if nginx_shaped() {
        return nginx_json(v, at, sink);
    }
    super::agnostic::object(v, at, sink)
}

/// A key named as nginx names its variables in `log_format ... escape=json`. Asked for
/// every key of every JSON line, so a `match` (length, then bytes) rather than a search.
fn is_nginx_variable(key: &str) -> bool {
    matches!(
        key,
        "args"
            | "body_bytes_sent"
            | "bytes_sent"
            | "connection"
            | "connection_requests"
            | "host"
            | "msec"
            | "pipe"
            | "proxy_host"
            | "query_string"
            | "realip_remote_addr"
            | "remote_addr"
            | "remote_port"
            | "remote_user"
            | "request"
            | "request_id"
            | "request_length"
            | "request_method"
            | "request_time"
            | "request_uri"
            | "scheme"
            | "server_addr"
            | "server_name"
            | "server_port"
            | "server_protocol"
            | "status"
            | "time_iso8601"
            | "time_local"
            | "uri"
    ) || ["http_", "upstream_", "sent_http_", "ssl_", "geoip_"]
        .iter()
        .any(|p| key.starts_with(p))
}

fn nginx_json<F: Fields + ?Sized>(v: &F, at: Position, sink: &mut Sink) -> Claim {
    let Some(status) = field_num(v, &["status"]).filter(|s| *s >= 0.0 && *s < 1000.0) else {
        return Claim::NotMine;
    };
    let request = field_str(v, &["request"]);
    let target = field_str(v, &["request_uri", "uri", "path", "request_path"])
        .or_else(|| request.and_then(|r| r.split(' ').nth(1)))
        .unwrap_or("");
    let stamp = field_str(v, &["time_iso8601", "@timestamp", "timestamp", "time"])
        .and_then(time::iso)
        .or_else(|| field_str(v, &["time_local"]).and_then(time::nginx_local));
    let a = Access {
        stamp,
        method: field_str(v, &["request_method", "method"]),
        target,
        status: status as u16,
        request_time_s: field_num(v, &["request_time"]),
        upstream_status: v.string("upstream_status"),
        request_id: field_str(v, &["upstream_http_request_id", "request_id"]),
        model: field_str(v, &["model", "upstream_http_x_model"]),
    };
    if a.status == 0 {
        return Claim::Noise;
    }
    match access_record(&a, SourceKind::Nginx, sink) {
        Some(mut r) => {
            at.place(&mut r);
            // Headers matter to a failure's classification only.
            let failed = r.outcome == Outcome::Failure;
            for (key, header) in [
                ("upstream_http_retry_after", "retry-after"),
                ("upstream_http_x_should_retry", "x-should-retry"),
            ] {
                if let Some(val) = field_str(v, &[key]).filter(|_| failed) {
                    r.headers.push((header.into(), val.into()));
                }
            }
            let strings = if failed { v.strings() } else { Vec::new() };
            for (k, val) in strings {
                if let Some(rest) = k.strip_prefix("upstream_http_anthropic_ratelimit_") {
                    if val != "-" {
                        r.headers.push((
                            format!("anthropic-ratelimit-{}", rest.replace('_', "-")),
                            val.to_string(),
                        ));
                    }
                }
            }
            let client = field_str(v, &["remote_addr", "realip_remote_addr"]);
            sink.push_access(r, client);
            Claim::Relevant
        }
        None => Claim::Noise,
    }
}

fn cloudflare(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let provider = str_field(v, &["provider"]).unwrap_or("");
    let model = str_field(v, &["model"]);
    let is_claude = provider.contains("anthropic") || model.is_some_and(|m| m.contains("claude"));
    if !is_claude {
        return Claim::Noise;
    }
    let path = str_field(v, &["path"]).unwrap_or("v1/messages");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let endpoint = endpoint_of(&path, &sink.opts.api_paths).unwrap_or(path);
    let status = num_field(v, &["status_code", "status"])
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1000.0)
        .map(|s| s as u16);
    let success = v.get("success").and_then(Value::as_bool);
    let failed = success == Some(false) || status.is_some_and(|s| s >= 400 || s == 0);
    let mut r = Record::new(
        SourceKind::CloudflareAig,
        if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    );
    at.place(&mut r);
    r.stamp = str_field(v, &["created_at", "timestamp"]).and_then(time::iso);
    r.http_status = status.filter(|s| *s != 0);
    r.latency_ms = num_field(v, &["duration"])
        .filter(|d| *d >= 0.0)
        .map(|d| d.round() as u64);
    r.model = model.map(str::to_string);
    r.endpoint = Some(endpoint);
    r.provider = Some("cloudflare".into());
    if failed {
        // Bodies are present only when payload logging is on; they may be strings or objects.
        let body = ["response", "response_body", "error"]
            .iter()
            .find_map(|k| v.get(*k))
            .map(|b| match b {
                Value::String(s) => error_body_text(s),
                other => error_body(other),
            })
            .unwrap_or_default();
        if body.error_type.is_some() {
            r.provider = Some("anthropic".into());
        }
        r.error_type = body.error_type;
        r.message = body.message;
        r.request_id = body.request_id;
        if r.http_status.is_none() {
            r.error_type
                .get_or_insert_with(|| "connection_error".into());
        }
    }
    sink.push(r);
    Claim::Relevant
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, ScanOptions};

    #[test]
    fn nginx_variable_names() {
        assert!(super::is_nginx_variable("remote_addr"));
        assert!(super::is_nginx_variable("upstream_http_request_id"));
        assert!(!super::is_nginx_variable("error"));
        assert!(!super::is_nginx_variable("message"));
    }

    /// The in-place reader agrees with a full parse on every object it accepts, and leaves
    /// to the full parse what it cannot read.
    #[test]
    fn flat_objects_read_as_a_full_parse_reads_them() {
        use super::{Fields, Flat};
        let accepted = [
            r#"{"status":"429","request_uri":"/v1/messages","request_time":"0.412"}"#,
            r#"{ "status" : 502 , "uri":"/v1/messages", "request_time": 1.5e3, "x": null, "y": true, "z": false }"#,
            r#"{"status":"200","status":"529","upstream_http_anthropic_ratelimit_b":"-","upstream_http_anthropic_ratelimit_a":"7"}"#,
            r#"{"status":-0,"n":0.000001,"big":18446744073709551616,"neg":-12,"ws":" 42 "}"#,
            r#"{}"#,
            r#"{"é":"ü","status":"500"}"#,
        ];
        for text in accepted {
            let flat =
                Flat::parse(text, |_| true).unwrap_or_else(|| panic!("read in place: {text}"));
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            for key in flat.keys().chain(["missing"]) {
                assert_eq!(flat.string(key), value.string(key), "{key} in {text}");
                assert_eq!(flat.number(key), value.number(key), "{key} in {text}");
            }
            assert_eq!(flat.strings(), value.strings(), "{text}");
        }
        let left = [
            r#"{"status":"4\"29"}"#,
            r#"{"status":{"code":429}}"#,
            r#"{"a":[1]}"#,
            r#"{"status":1e400}"#,
            r#"{"status":01}"#,
            r#"{"status":"429",}"#,
            r#"{"status":"429"} x"#,
            "{\"status\":\"4\u{1}29\"}",
            r#"{"status":tru}"#,
            r#"{"status" "429"}"#,
            r#"{"st\u0061tus":"429"}"#,
            r#"{"status":-}"#,
            r#"{"status":1.}"#,
        ];
        for text in left {
            assert!(
                Flat::parse(text, |_| true).is_none(),
                "left to the full parse: {text}"
            );
        }
    }

    #[test]
    fn nginx_json_lines() {
        let text = r#"{"time_iso8601":"2025-10-02T16:20:11+00:00","remote_addr":"10.0.0.7","request_method":"POST","request_uri":"/v1/messages","status":"429","request_time":"0.412","upstream_status":"429","upstream_http_request_id":"req_011CUk2fQw8PzX4nR7tYb3Lm","upstream_http_anthropic_ratelimit_output_tokens_remaining":"0"}
{"time_iso8601":"2025-10-02T16:20:12+00:00","request_uri":"/healthz","status":"200"}
{"time_iso8601":"2025-10-02T16:20:13+00:00","request_uri":"/v1/messages","status":"502","upstream_status":"-"}
"#;
        let s = parse_text(text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 2);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.latency_ms, Some(412));
        assert_eq!(
            f.request_id.as_deref(),
            Some("req_011CUk2fQw8PzX4nR7tYb3Lm")
        );
        assert_eq!(
            f.header("anthropic-ratelimit-output-tokens-remaining"),
            Some("0")
        );
        assert_eq!(s.failures[1].provider.as_deref(), Some("nginx"));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn regression_cloudflare_status_out_of_range_is_not_a_failure() {
        let text = r#"[{"id":"1","created_at":"2025-10-02T16:50:00Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":-5,"success":true,"cached":false,"duration":1,"tokens_in":1,"tokens_out":1},{"id":"2","created_at":"2025-10-02T16:50:00Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":70000,"success":true,"cached":false,"duration":1,"tokens_in":1,"tokens_out":1}]"#;
        let s = parse_text(text, &ScanOptions::default());
        assert!(s.failures.is_empty(), "{:?}", s.failures);
    }

    #[test]
    fn cloudflare_export_array() {
        let text = r#"[
 {"id":"01J9ZQ","created_at":"2025-10-02T16:50:00.000Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":429,"success":false,"cached":false,"duration":231,"tokens_in":0,"tokens_out":0},
 {"id":"01J9ZR","created_at":"2025-10-02T16:50:01.000Z","provider":"anthropic","model":"claude-sonnet-4-5","path":"v1/messages","status_code":200,"success":true,"cached":false,"duration":1800,"tokens_in":120,"tokens_out":40},
 {"id":"01J9ZS","created_at":"2025-10-02T16:50:02.000Z","provider":"openai","model":"gpt-4o","path":"chat/completions","status_code":500,"success":false,"cached":false,"duration":10,"tokens_in":0,"tokens_out":0}
]"#;
        let s = parse_text(text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].entry, Some(0));
        assert_eq!(s.failures[0].endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.read, 3);
    }
}
