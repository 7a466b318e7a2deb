//! Python literals as `repr()` prints them (dicts, lists, tuples, strings, bytes, numbers,
//! `None`/`True`/`False`), read into [`serde_json::Value`].
//!
//! The Python SDK writes error bodies (`Error code: 429 - {'type': 'error', ...}`), response
//! headers (`Headers({'request-id': 'req_...'})`) and request options in this notation, and
//! LiteLLM quotes bodies as bytes (`b'{"type":"error",...}'`).
//!
//! Invariants: never panics on any input; recursion is bounded by [`MAX_DEPTH`], so hostile
//! nesting costs an error, not the stack; the parser borrows the input and allocates only the
//! values it returns. Tolerances beyond plain literals, because logs print more than literals:
//! bare names (`NOT_GIVEN`) become strings, calls (`Timeout(connect=5.0, read=600)`) become
//! objects of their keyword arguments (or arrays of their positional ones), opaque reprs
//! (`<object at 0x7f...>`) become strings, sets become arrays, non-string keys are written as
//! JSON text, and `nan`/`inf` become null.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::error::{Error, ErrorKind};
use nom::{IResult, Parser};
use serde_json::{Map, Number, Value};

/// Deepest nesting of containers accepted.
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReprError {
    #[error("not a Python literal (at byte {at})")]
    Syntax { at: usize },
    #[error("a Python literal nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

type Res<'a, T> = IResult<&'a str, T>;

/// The longest run at the start of `input` whose characters all `keep`: (rest, run).
///
/// nom 8.0.0's own `*0` parsers on `&str` (`multispace0`, `digit0`, `take_while`) get the end
/// of the input wrong: when the run reaches it they return an empty rest that points at the
/// start of the run (`split_at_position_complete` splits at 0 instead of at the end), so
/// `recognize` cuts the text short, and `1.35` at the end of a line read as `1.0` (found by
/// the `pyrepr` fuzz target). These three replace them.
fn span0(input: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = input.find(|c: char| !keep(c)).unwrap_or(input.len());
    (&input[end..], &input[..end])
}

fn take_while<'a>(keep: impl Fn(char) -> bool) -> impl Fn(&'a str) -> Res<'a, &'a str> {
    move |input| Ok(span0(input, &keep))
}

fn multispace0(input: &str) -> Res<'_, &str> {
    Ok(span0(input, |c| matches!(c, ' ' | '\t' | '\r' | '\n')))
}

fn digit0(input: &str) -> Res<'_, &str> {
    Ok(span0(input, |c| c.is_ascii_digit()))
}

/// The literal at the start of `text` (after whitespace) and the text after it.
pub(crate) fn parse_prefix(text: &str) -> Result<(Value, &str), ReprError> {
    run(text, false)
}

/// Like [`parse_prefix`], for text that may be cut short (a truncated log line): containers
/// and strings still open where the text stops, or where it stops making sense, are closed
/// there, so `{'type': 'error', 'error': {'type': 'rate_limit_er` still tells its type.
pub(crate) fn parse_lenient(text: &str) -> Result<(Value, &str), ReprError> {
    run(text, true)
}

/// One string or bytes literal at the start of `text` (after whitespace): its value and the
/// rest. Bytes are decoded as UTF-8, lossily.
pub(crate) fn string_literal(text: &str) -> Option<(String, &str)> {
    let reader = Reader { lenient: false };
    let (i, _) = multispace0(text).ok()?;
    let (i, prefix) = take_while(|c: char| c.is_ascii_alphabetic())(i).ok()?;
    let flags = StringFlags::from_prefix(prefix)?;
    match reader.quoted(i, flags) {
        Ok((rest, Value::String(s))) => Some((s, rest)),
        _ => None,
    }
}

fn run(text: &str, lenient: bool) -> Result<(Value, &str), ReprError> {
    let reader = Reader { lenient };
    match reader.value(text, 0) {
        Ok((rest, value)) => Ok((value, rest)),
        Err(nom::Err::Failure(e)) if e.code == ErrorKind::TooLarge => Err(ReprError::TooDeep),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(ReprError::Syntax {
            at: text.len() - e.input.len(),
        }),
        Err(nom::Err::Incomplete(_)) => Err(ReprError::Syntax { at: text.len() }),
    }
}

fn fail<T>(input: &str, kind: ErrorKind) -> Res<'_, T> {
    Err(nom::Err::Error(Error::new(input, kind)))
}

fn too_deep<T>(input: &str) -> Res<'_, T> {
    Err(nom::Err::Failure(Error::new(input, ErrorKind::TooLarge)))
}

#[derive(Debug, Clone, Copy)]
struct StringFlags {
    raw: bool,
    bytes: bool,
}

impl StringFlags {
    fn from_prefix(prefix: &str) -> Option<StringFlags> {
        let lower = prefix.to_ascii_lowercase();
        let (raw, bytes) = match lower.as_str() {
            "" | "u" => (false, false),
            "r" => (true, false),
            "b" => (false, true),
            "br" | "rb" => (true, true),
            _ => return None,
        };
        Some(StringFlags { raw, bytes })
    }
}

struct Reader {
    lenient: bool,
}

impl Reader {
    fn value<'a>(&self, input: &'a str, depth: usize) -> Res<'a, Value> {
        if depth >= MAX_DEPTH {
            return too_deep(input);
        }
        let (i, _) = multispace0(input)?;
        match i.as_bytes().first() {
            Some(b'{') => self.dict(i, depth),
            Some(b'[') => self.sequence(i, '[', ']', depth),
            Some(b'(') => self.sequence(i, '(', ')', depth),
            Some(b'\'' | b'"') => self.quoted(
                i,
                StringFlags {
                    raw: false,
                    bytes: false,
                },
            ),
            Some(b'<') => self.opaque(i),
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => number(i),
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => self.named(i, depth),
            Some(_) => fail(i, ErrorKind::Char),
            None => fail(i, ErrorKind::Eof),
        }
    }

    /// In lenient mode a container whose next element cannot be read ends there.
    fn element<'a>(
        &self,
        input: &'a str,
        depth: usize,
    ) -> Result<Option<(&'a str, Value)>, nom::Err<Error<&'a str>>> {
        match self.value(input, depth + 1) {
            Ok(ok) => Ok(Some(ok)),
            Err(nom::Err::Error(_)) if self.lenient => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn dict<'a>(&self, input: &'a str, depth: usize) -> Res<'a, Value> {
        let (mut i, _) = char('{')(input)?;
        let mut map = Map::new();
        // `{1, 2}` is a set: read as an array.
        let mut set: Option<Vec<Value>> = None;
        loop {
            let (j, _) = multispace0(i)?;
            if let Ok((j, _)) = char::<&str, Error<&str>>('}')(j) {
                return Ok((j, set.map_or(Value::Object(map), Value::Array)));
            }
            let Some((j, key)) = self.element(j, depth)? else {
                return Ok((j, set.map_or(Value::Object(map), Value::Array)));
            };
            let (j, _) = multispace0(j)?;
            let j = if let Ok((j, _)) = char::<&str, Error<&str>>(':')(j) {
                if set.is_some() {
                    return fail(j, ErrorKind::Char);
                }
                let Some((j, val)) = self.element(j, depth)? else {
                    return Ok((j, Value::Object(map)));
                };
                map.insert(key_text(key), val);
                j
            } else if map.is_empty() && (j.starts_with(',') || j.starts_with('}')) {
                set.get_or_insert_with(Vec::new).push(key);
                j
            } else if self.lenient {
                return Ok((j, set.map_or(Value::Object(map), Value::Array)));
            } else {
                return fail(j, ErrorKind::Char);
            };
            let (j, _) = multispace0(j)?;
            if let Ok((j, _)) = char::<&str, Error<&str>>(',')(j) {
                i = j;
            } else if j.starts_with('}') {
                i = j;
            } else if self.lenient {
                return Ok((j, set.map_or(Value::Object(map), Value::Array)));
            } else {
                return fail(j, ErrorKind::Char);
            }
        }
    }

    fn sequence<'a>(
        &self,
        input: &'a str,
        open: char,
        close: char,
        depth: usize,
    ) -> Res<'a, Value> {
        let (mut i, _) = char(open)(input)?;
        let mut items = Vec::new();
        loop {
            let (j, _) = multispace0(i)?;
            if let Ok((j, _)) = char::<&str, Error<&str>>(close)(j) {
                return Ok((j, Value::Array(items)));
            }
            let Some((j, item)) = self.element(j, depth)? else {
                return Ok((j, Value::Array(items)));
            };
            items.push(item);
            let (j, _) = multispace0(j)?;
            if let Ok((j, _)) = char::<&str, Error<&str>>(',')(j) {
                i = j;
            } else if j.starts_with(close) {
                i = j;
            } else if self.lenient {
                return Ok((j, Value::Array(items)));
            } else {
                return fail(j, ErrorKind::Char);
            }
        }
    }

    /// A quoted string or bytes literal; `input` starts at the opening quote.
    fn quoted<'a>(&self, input: &'a str, flags: StringFlags) -> Res<'a, Value> {
        let (mut i, quote) = one_of("'\"")(input)?;
        let mut text = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let push_str = |text: &mut String, bytes: &mut Vec<u8>, s: &str| {
            if flags.bytes {
                bytes.extend_from_slice(s.as_bytes());
            } else {
                text.push_str(s);
            }
        };
        loop {
            let (j, run) = take_while(|c: char| c != quote && c != '\\')(i)?;
            push_str(&mut text, &mut bytes, run);
            let Some(c) = j.chars().next() else {
                if self.lenient {
                    return Ok((j, finish_string(text, bytes, flags)));
                }
                return fail(j, ErrorKind::Eof);
            };
            if c == quote {
                return Ok((&j[1..], finish_string(text, bytes, flags)));
            }
            // A backslash.
            let after = &j[1..];
            let Some(e) = after.chars().next() else {
                if self.lenient {
                    return Ok((after, finish_string(text, bytes, flags)));
                }
                return fail(after, ErrorKind::Eof);
            };
            if flags.raw {
                // Raw strings keep the backslash; it only stops the quote from closing.
                push_str(&mut text, &mut bytes, &j[..1 + e.len_utf8()]);
                i = &after[e.len_utf8()..];
                continue;
            }
            let (rest, decoded) = escape(after, flags.bytes);
            match decoded {
                Decoded::Char(ch) => {
                    let mut buf = [0u8; 4];
                    push_str(&mut text, &mut bytes, ch.encode_utf8(&mut buf));
                }
                Decoded::Byte(b) => {
                    if flags.bytes {
                        bytes.push(b);
                    } else {
                        text.push(char::from(b));
                    }
                }
                Decoded::Nothing => {}
                Decoded::Verbatim(s) => {
                    push_str(&mut text, &mut bytes, "\\");
                    push_str(&mut text, &mut bytes, s);
                }
            }
            i = rest;
        }
    }

    /// `<anthropic.NotGiven object at 0x7f...>`: kept as text.
    fn opaque<'a>(&self, input: &'a str) -> Res<'a, Value> {
        let (i, _) = char('<')(input)?;
        let (j, inner) = take_while(|c: char| c != '>' && c != '\n')(i)?;
        match char::<&str, Error<&str>>('>')(j) {
            Ok((rest, _)) => Ok((rest, Value::String(format!("<{inner}>")))),
            Err(_) if self.lenient => Ok((j, Value::String(format!("<{inner}")))),
            Err(e) => Err(e),
        }
    }

    /// Keywords, prefixed strings, bare names and calls.
    fn named<'a>(&self, input: &'a str, depth: usize) -> Res<'a, Value> {
        let (i, name) =
            take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')(input)?;
        if i.starts_with(['\'', '"']) {
            if let Some(flags) = StringFlags::from_prefix(name) {
                return self.quoted(i, flags);
            }
        }
        match name {
            "None" | "nan" | "inf" => return Ok((i, Value::Null)),
            "True" => return Ok((i, Value::Bool(true))),
            "False" => return Ok((i, Value::Bool(false))),
            _ => {}
        }
        if i.starts_with('(') {
            return self.call(i, depth);
        }
        Ok((i, Value::String(name.to_string())))
    }

    /// `Timeout(connect=5.0, read=600)`: keyword arguments as an object, else the positional
    /// arguments as an array.
    fn call<'a>(&self, input: &'a str, depth: usize) -> Res<'a, Value> {
        if depth + 1 >= MAX_DEPTH {
            return too_deep(input);
        }
        let (mut i, _) = char('(')(input)?;
        let mut kwargs = Map::new();
        let mut args = Vec::new();
        loop {
            let (j, _) = multispace0(i)?;
            if let Ok((j, _)) = char::<&str, Error<&str>>(')')(j) {
                let v = if kwargs.is_empty() {
                    Value::Array(args)
                } else {
                    Value::Object(kwargs)
                };
                return Ok((j, v));
            }
            let keyword: Res<'a, &'a str> = (
                take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
                multispace0,
                char('='),
            )
                .map(|(k, _, _)| k)
                .parse(j);
            let (j, key) = match keyword {
                Ok((rest, k)) if !rest.starts_with('=') => (rest, Some(k)),
                _ => (j, None),
            };
            let Some((j, val)) = self.element(j, depth)? else {
                return Ok((
                    j,
                    if kwargs.is_empty() {
                        Value::Array(args)
                    } else {
                        Value::Object(kwargs)
                    },
                ));
            };
            match key {
                Some(k) => {
                    kwargs.insert(k.to_string(), val);
                }
                None => args.push(val),
            }
            let (j, _) = multispace0(j)?;
            if let Ok((j, _)) = char::<&str, Error<&str>>(',')(j) {
                i = j;
            } else if j.starts_with(')') {
                i = j;
            } else if self.lenient {
                return Ok((
                    j,
                    if kwargs.is_empty() {
                        Value::Array(args)
                    } else {
                        Value::Object(kwargs)
                    },
                ));
            } else {
                return fail(j, ErrorKind::Char);
            }
        }
    }
}

fn finish_string(text: String, bytes: Vec<u8>, flags: StringFlags) -> Value {
    if flags.bytes {
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        Value::String(text)
    }
}

fn key_text(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

enum Decoded<'a> {
    Char(char),
    Byte(u8),
    /// A line continuation (`\` + newline).
    Nothing,
    /// Not an escape Python knows: the backslash stays, followed by this text.
    Verbatim(&'a str),
}

/// One escape sequence; `input` starts after the backslash.
fn escape(input: &str, bytes: bool) -> (&str, Decoded<'_>) {
    let Some(c) = input.chars().next() else {
        return (input, Decoded::Nothing);
    };
    let after = &input[c.len_utf8()..];
    let simple = match c {
        '\n' => return (after, Decoded::Nothing),
        '\\' => Some('\\'),
        '\'' => Some('\''),
        '"' => Some('"'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        _ => None,
    };
    if let Some(ch) = simple {
        return (after, Decoded::Char(ch));
    }
    let verbatim = (after, Decoded::Verbatim(&input[..c.len_utf8()]));
    match c {
        'x' => match hex(2, after) {
            Some((rest, v)) => (rest, Decoded::Byte(v as u8)),
            None => verbatim,
        },
        'u' | 'U' if !bytes => {
            let n = if c == 'u' { 4 } else { 8 };
            let Some((rest, v)) = hex(n, after) else {
                return verbatim;
            };
            if (0xD800..0xDC00).contains(&v) {
                // A surrogate pair written as two escapes (JSON-style text).
                if let Some(low_text) = rest.strip_prefix("\\u") {
                    if let Some((rest2, low)) = hex(4, low_text) {
                        if (0xDC00..0xE000).contains(&low) {
                            let combined = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
                            return (
                                rest2,
                                Decoded::Char(char::from_u32(combined).unwrap_or('\u{fffd}')),
                            );
                        }
                    }
                }
            }
            (rest, Decoded::Char(char::from_u32(v).unwrap_or('\u{fffd}')))
        }
        '0'..='7' => {
            let r: Res<'_, &str> = take_while_m_n(1, 3, |c: char| ('0'..='7').contains(&c))(input);
            match r {
                Ok((rest, digits)) => {
                    let v = u32::from_str_radix(digits, 8).unwrap_or(0);
                    if bytes || v < 0x100 {
                        (rest, Decoded::Byte((v & 0xff) as u8))
                    } else {
                        (rest, Decoded::Char(char::from_u32(v).unwrap_or('\u{fffd}')))
                    }
                }
                Err(_) => verbatim,
            }
        }
        _ => verbatim,
    }
}

/// Exactly `n` hex digits and their value.
fn hex(n: usize, from: &str) -> Option<(&str, u32)> {
    let r: Res<'_, &str> = take_while_m_n(n, n, |c: char| c.is_ascii_hexdigit())(from);
    let (rest, digits) = r.ok()?;
    u32::from_str_radix(digits, 16).ok().map(|v| (rest, v))
}

/// `-12`, `3.5`, `1e-05`, `.5`, `-inf`.
fn number(input: &str) -> Res<'_, Value> {
    let (i, sign) = opt(one_of("+-")).parse(input)?;
    if let Ok((rest, word)) = alt((tag::<&str, &str, Error<&str>>("inf"), tag("nan"))).parse(i) {
        let _ = word;
        return Ok((rest, Value::Null));
    }
    let (rest, text) = recognize((
        alt((
            recognize((digit1, opt((char('.'), digit0)))),
            recognize((char('.'), digit1)),
        )),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(i)?;
    let negative = sign == Some('-');
    let is_float = text.contains(['.', 'e', 'E']);
    let value = if !is_float {
        let parsed = if negative {
            format!("-{text}").parse::<i64>().ok().map(Number::from)
        } else {
            text.parse::<u64>().ok().map(Number::from)
        };
        match parsed {
            Some(n) => Value::Number(n),
            None => float_value(text, negative),
        }
    } else {
        float_value(text, negative)
    };
    Ok((rest, value))
}

fn float_value(text: &str, negative: bool) -> Value {
    match text.parse::<f64>() {
        Ok(f) => Number::from_f64(if negative { -f } else { f }).map_or(Value::Null, Value::Number),
        Err(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Exactly one literal, nothing after it.
    fn parse(text: &str) -> Result<Value, ReprError> {
        let (value, rest) = parse_prefix(text)?;
        assert!(rest.trim().is_empty(), "text after the literal: {rest:?}");
        Ok(value)
    }

    #[test]
    fn reads_an_sdk_error_body() {
        let v = parse(r#"{'type': 'error', 'error': {'type': 'rate_limit_error', 'message': "This request would exceed your account's rate limit. Please try again later."}, 'request_id': 'req_011CWa9dVh2KsLm4Tq8yPz1N'}"#).unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(
            v["error"]["message"],
            "This request would exceed your account's rate limit. Please try again later."
        );
        assert_eq!(v["request_id"], "req_011CWa9dVh2KsLm4Tq8yPz1N");
    }

    #[test]
    fn regression_a_fraction_at_the_end_of_the_text_is_kept() {
        // Found by the `pyrepr` fuzz target (nom 8.0.0's `digit0` at the end of input).
        for (text, want) in [
            ("1.35", 1.35),
            ("-2.25", -2.25),
            ("12.5", 12.5),
            ("1.", 1.0),
        ] {
            let (v, rest) = parse_prefix(text).unwrap();
            assert_eq!(v, json!(want), "{text}");
            assert!(rest.is_empty());
            assert_eq!(rest.as_ptr(), text[text.len()..].as_ptr(), "{text}");
        }
        // The rest is what follows the literal, also when whitespace or a cut string runs
        // to the end.
        let text = "{'a': 1}  ";
        let (_, rest) = parse_prefix(text).unwrap();
        assert_eq!(rest.as_ptr(), text[8..].as_ptr());
        let text = "'cut off";
        let (v, rest) = parse_lenient(text).unwrap();
        assert_eq!(v, json!("cut off"));
        assert_eq!(rest.as_ptr(), text[text.len()..].as_ptr());
    }

    #[test]
    fn keywords_numbers_and_containers() {
        let v = parse("{'a': None, 'b': True, 'c': False, 'd': -12, 'e': 1.5e-3, 'f': [1, (2, 3), ()], 'g': {},}").unwrap();
        assert_eq!(
            v,
            json!({"a": null, "b": true, "c": false, "d": -12, "e": 0.0015, "f": [1, [2, 3], []], "g": {}})
        );
        assert_eq!(parse("(1,)").unwrap(), json!([1]));
        assert_eq!(parse("[ 1 ,\n 2 , ]").unwrap(), json!([1, 2]));
        assert_eq!(
            parse("{1: 'x', (1, 2): 'y'}").unwrap(),
            json!({"1": "x", "[1,2]": "y"})
        );
        assert_eq!(parse("{'a', 'b'}").unwrap(), json!(["a", "b"]));
        assert_eq!(parse("-inf").unwrap(), Value::Null);
        assert_eq!(
            parse("18446744073709551616").unwrap(),
            json!(18446744073709551616.0)
        );
        assert_eq!(parse(".5").unwrap(), json!(0.5));
    }

    #[test]
    fn string_escapes() {
        assert_eq!(parse(r"'it\'s'").unwrap(), json!("it's"));
        assert_eq!(parse(r#""say \"hi\"""#).unwrap(), json!("say \"hi\""));
        assert_eq!(parse(r"'a\\b\nc\td'").unwrap(), json!("a\\b\nc\td"));
        assert_eq!(parse(r"'\xe9\u00e9\U0001F600'").unwrap(), json!("éé😀"));
        assert_eq!(parse(r"'\ud83d\ude00'").unwrap(), json!("😀"));
        assert_eq!(parse(r"'\ud83d'").unwrap(), json!("\u{fffd}"));
        assert_eq!(parse(r"'\q\N{DASH}'").unwrap(), json!("\\q\\N{DASH}"));
        assert_eq!(parse(r"'\101\0'").unwrap(), json!("A\u{0}"));
        assert_eq!(parse(r"r'\d+\''").unwrap(), json!("\\d+\\'"));
        assert_eq!(parse("'ünïcødé ✓'").unwrap(), json!("ünïcødé ✓"));
    }

    #[test]
    fn bytes_literals() {
        assert_eq!(
            parse(r#"b'{"type":"error","error":{"type":"overloaded_error"}}'"#).unwrap(),
            json!(r#"{"type":"error","error":{"type":"overloaded_error"}}"#)
        );
        assert_eq!(
            parse(r"b'caf\xc3\xa9 \u00e9'").unwrap(),
            json!("café \\u00e9")
        );
        assert_eq!(parse(r"b'\xff'").unwrap(), json!("\u{fffd}"));
    }

    #[test]
    fn request_options_with_calls_and_names() {
        let v = parse("{'method': 'post', 'url': '/v1/messages', 'timeout': Timeout(connect=5.0, read=600, write=600, pool=600), 'files': None, 'idempotency_key': NOT_GIVEN, 'extra': <anthropic.NotGiven object at 0x7f3b>, 'json_data': {'max_tokens': 1024, 'model': 'claude-sonnet-4-5'}}").unwrap();
        assert_eq!(v["json_data"]["model"], "claude-sonnet-4-5");
        assert_eq!(v["timeout"]["read"], 600);
        assert_eq!(v["idempotency_key"], "NOT_GIVEN");
        assert_eq!(
            parse("datetime.date(2025, 10, 2)").unwrap(),
            json!([2025, 10, 2])
        );
    }

    #[test]
    fn prefix_returns_the_rest() {
        let (v, rest) =
            parse_prefix("{'a': 1}. Handle with `litellm.InternalServerError`").unwrap();
        assert_eq!(v, json!({"a": 1}));
        assert_eq!(rest, ". Handle with `litellm.InternalServerError`");
        assert_eq!(parse_prefix("{'a': 1} x").map(|(_, r)| r), Ok(" x"));
        assert_eq!(
            string_literal(" 'a\\'b' rest"),
            Some(("a'b".to_string(), " rest"))
        );
        assert_eq!(string_literal("b'x'"), Some(("x".to_string(), "")));
        assert_eq!(string_literal("x'a'"), None);
    }

    #[test]
    fn truncated_text_is_an_error_but_lenient_mode_salvages_it() {
        let cut = "{'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exc";
        assert!(parse_prefix(cut).is_err());
        let (v, rest) = parse_lenient(cut).unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["message"], "This request would exc");
        assert_eq!(rest, "");
        let (v, _) = parse_lenient("{'a': [1, 2, {'b': ").unwrap();
        assert_eq!(v, json!({"a": [1, 2, {}]}));
        let (v, _) = parse_lenient("{'a': 1, 'b' garbage").unwrap();
        assert_eq!(v, json!({"a": 1}));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep), Err(ReprError::TooDeep));
        assert_eq!(parse_lenient(&deep).map(|_| ()), Err(ReprError::TooDeep));
        let calls = "f(".repeat(10_000);
        assert_eq!(parse(&calls), Err(ReprError::TooDeep));
        let ok = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&ok).is_ok());
        let dicts = "{'a': ".repeat(200);
        assert_eq!(parse_lenient(&dicts).map(|_| ()), Err(ReprError::TooDeep));
    }

    /// No input, however broken, makes the parser panic.
    #[test]
    fn fuzz_random_and_truncated_inputs() {
        let samples = [
            r#"{'type': 'error', 'error': {'details': None, 'type': 'overloaded_error', 'message': 'Overloaded'}, 'request_id': "req_\x41\u00e9\U0001F600"}"#,
            r"Headers([('set-cookie', 'a=b'), ('set-cookie', 'c=d'), ('retry-after', '7')])",
            r#"b'{"type":"error"}\xff\x00\\'"#,
            "{'a': Timeout(connect=5.0, read=-1e+16), 'b': <x>, 'c': {1, 2}, 'd': r'\\\\'}",
        ];
        let alphabet: Vec<char> = "{}[]()'\"\\bruxU0123456789.,:=-+eE <>_aNTF\u{e9}\u{1F600}\n\t"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse_prefix(&s);
            let _ = parse_lenient(&s);
            let _ = string_literal(&s);
        }
        for sample in samples {
            for (cut, _) in sample.char_indices() {
                let _ = parse_prefix(&sample[..cut]);
                let _ = parse_lenient(&sample[..cut]);
                let _ = parse_prefix(&sample[cut..]);
            }
            assert!(parse_prefix(sample).is_ok(), "{sample}");
        }
    }
}
