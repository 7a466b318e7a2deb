//! Flat JSON objects read in place, and the [`Fields`] view that lets one reader take either
//! a parsed [`Value`] or a [`Flat`] object.

use serde_json::Value;

pub(crate) trait Fields {
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

/// A flat object that a template wrote as invalid JSON, with its bare values quoted: nginx's
/// `log_format ... escape=json` with unquoted variables writes `"status": 429,` well but
/// `"upstream_response_time": -,` and `"upstream_response_time": 0.004, 21.330,` not. Each
/// top-level value that is not JSON by itself (up to the comma before the next key, or the
/// closing brace) becomes a string. `None` when the text is no `{"key": value, ...}` object
/// or nothing needed quoting.
pub(crate) fn quote_bare_values(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 1;
    let mut changed = false;
    out.push('{');
    // The end of the string that opens at `at` (the index after its closing quote).
    let string_end = |at: usize| -> Option<usize> {
        let mut j = at + 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    };
    let skip_ws = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    loop {
        let k = skip_ws(i);
        if b.get(k) != Some(&b'"') {
            // `{}` or `{ }`: nothing to read.
            return None;
        }
        let key_end = string_end(k)?;
        let colon = skip_ws(key_end);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        out.push_str(&text[i..=colon]);
        let v = skip_ws(colon + 1);
        // The raw value: a string, or everything up to `, "` (the next key) or the last `}`.
        let end = if b.get(v) == Some(&b'"') {
            string_end(v)?
        } else {
            let mut j = v;
            loop {
                if j + 1 >= b.len() {
                    break b.len() - 1;
                }
                if b[j] == b',' && b.get(skip_ws(j + 1)) == Some(&b'"') {
                    break j;
                }
                j += 1;
            }
        };
        let raw = text[v..end].trim_end();
        if b.get(v) == Some(&b'"')
            || serde_json::from_str::<Value>(raw).is_ok_and(|x| !x.is_object() && !x.is_array())
        {
            out.push_str(&text[colon + 1..end]);
        } else if raw.starts_with(['{', '[']) {
            // Nested values are not this repair's.
            return None;
        } else {
            out.push_str(&text[colon + 1..v]);
            out.push_str(&serde_json::to_string(raw).ok()?);
            changed = true;
        }
        let next = skip_ws(end);
        match b.get(next) {
            Some(b',') => {
                out.push(',');
                i = next + 1;
            }
            Some(b'}') if next + 1 == b.len() => {
                out.push_str(&text[end..]);
                break;
            }
            _ => return None,
        }
    }
    changed.then_some(out)
}

/// A flat JSON object read in place (no allocation per value): string values without
/// escapes, numbers, `true`, `false`, `null`. Anything else (an escape, a nested value, a
/// number out of range, invalid JSON) is not read here: the caller parses the line fully.
pub(crate) struct Flat<'a> {
    fields: Vec<(&'a str, FlatValue<'a>)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FlatValue<'a> {
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

    pub(crate) fn get(&self, key: &str) -> Option<FlatValue<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
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

#[cfg(test)]
mod tests {
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
    fn bare_values_are_quoted() {
        use super::quote_bare_values as q;
        assert_eq!(
            q(r#"{"a": 1, "b": -, "c": "x, \"y\": z", "d": 0.004, 21.330, "e": "-"}"#).as_deref(),
            Some(r#"{"a": 1, "b": "-", "c": "x, \"y\": z", "d": "0.004, 21.330", "e": "-"}"#)
        );
        assert_eq!(
            q(r#"{"a": 1,"b":-}"#).as_deref(),
            Some(r#"{"a": 1,"b":"-"}"#)
        );
        // Valid objects, nested values and non-objects are left alone.
        for text in [
            r#"{"a": 1, "b": "-"}"#,
            r#"{"a": {"b": -}}"#,
            "{}",
            "[1]",
            r#"{"a" 1}"#,
            r#"{"a": -"#,
        ] {
            assert_eq!(q(text), None, "{text}");
        }
    }
}
