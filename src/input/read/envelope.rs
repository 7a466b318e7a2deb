//! Container and CI envelopes: the wrapping a log line gets on its way from the process to the
//! file, taken off before the line parsers see it.
//!
//! - Docker `json-file`: `{"log":"<line>\n","stream":"stderr","time":"2025-10-02T16:20:11.123456789Z"}`;
//!   the `log` text is JSON-unescaped; a `log` without its final `\n` is the first part of a long
//!   line (Docker splits at 16 KiB) and is joined with what follows on the same stream.
//! - Kubernetes CRI (containerd, CRI-O): `2025-10-02T16:20:11.123456789Z stderr F <line>`; `P`
//!   marks a partial line, joined with the following fragments of its stream up to the `F`.
//! - `kubectl logs --timestamps` and GitHub Actions logs: an RFC 3339 time and one space before
//!   the line (`2025-10-02T16:20:11.1234567Z <line>`); `gh run view --log` puts the job and
//!   step names before it, tab-separated.
//! - `heroku logs`: the same time, then the source and dyno (`app[web.1]: `, `heroku[router]: `).
//! - `docker compose logs`: `api-1  | <line>` (with `--timestamps`, a time prefix follows). Only times with at least four fraction
//!   digits or an explicit offset are taken for such a prefix: Claude Code's debug log starts its
//!   lines with a millisecond `Z` time that its own parser reads, and that is not an envelope.
//!
//! The envelope's time becomes the line's time when the inner line has none of its own (the
//! sink fills it into records that carry none). Envelopes may nest (a CI log of `docker logs`):
//! up to three are taken off. Lines that are no envelope cost one or two byte tests.
//! Invariants: never panics; a held partial line is bounded by the line limit; every physical
//! line is reported back once (as held, or as part of the line it ends).

use std::borrow::Cow;

use serde::Deserialize;

use crate::record::Stamp;

/// What became of one physical line.
pub(crate) enum Unwrapped<'a> {
    /// No envelope: parse the line as it is.
    Plain,
    /// The line inside the envelope(s). `first_line` is the line the text began on (an
    /// earlier line when partial fragments were joined); `held` counts the earlier physical
    /// lines (owned by this scan) that are part of it.
    Line {
        text: Cow<'a, str>,
        stamp: Option<Stamp>,
        first_line: u64,
        held: u64,
    },
    /// A partial line, held until the rest of it arrives.
    Held,
}

/// A partial line being put together.
#[derive(Debug, Default)]
struct Partial {
    text: String,
    first_line: u64,
    stamp: Option<Stamp>,
    /// Fragments read while the scan owned the line.
    owned: u64,
    open: bool,
}

/// Per-input state: the partial lines of stdout and stderr.
#[derive(Debug, Default)]
pub(crate) struct Envelopes {
    partial: [Partial; 2],
    max_bytes: usize,
}

#[derive(Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
    stream: Cow<'a, str>,
    #[serde(default, borrow)]
    time: Option<Cow<'a, str>>,
}

/// An envelope taken off a line: the inner text, its time, and the CRI / Docker partial flag.
struct Layer<'a> {
    inner: Cow<'a, str>,
    stamp: Option<Stamp>,
    /// `Some(stream)` (0 stdout, 1 stderr) when this is a partial fragment of a longer line.
    partial: Option<usize>,
    stream: Option<usize>,
}

fn stream_index(s: &str) -> Option<usize> {
    match s {
        "stdout" => Some(0),
        "stderr" => Some(1),
        _ => None,
    }
}

impl Envelopes {
    pub fn new(max_bytes: usize) -> Envelopes {
        Envelopes {
            partial: Default::default(),
            max_bytes: max_bytes.max(1),
        }
    }

    /// Take the envelope(s) off one physical line. `owned`: whether the scan counts this line.
    pub fn unwrap<'a>(&mut self, line: &'a str, lineno: u64, owned: bool) -> Unwrapped<'a> {
        let Some(first) = peel(line) else {
            return Unwrapped::Plain;
        };
        let mut stamp = first.stamp;
        let mut inner = first.inner;
        let (partial, stream) = (first.partial, first.stream);
        // Nested envelopes: the innermost time is the most precise.
        for _ in 0..2 {
            let Some(next) = peel(&inner) else { break };
            if next.partial.is_some() {
                break;
            }
            let text = next.inner.into_owned();
            stamp = next.stamp.or(stamp);
            inner = Cow::Owned(text);
        }
        let Some(s) = stream.or(partial) else {
            return Unwrapped::Line {
                text: inner,
                stamp,
                first_line: lineno,
                held: 0,
            };
        };
        let max = self.max_bytes;
        let p = &mut self.partial[s];
        if partial.is_some() {
            if !p.open {
                p.open = true;
                p.text.clear();
                p.first_line = lineno;
                p.stamp = stamp;
                p.owned = 0;
            }
            let room = max.saturating_sub(p.text.len());
            push_bounded(&mut p.text, &inner, room);
            p.owned += u64::from(owned);
            return Unwrapped::Held;
        }
        if !p.open {
            return Unwrapped::Line {
                text: inner,
                stamp,
                first_line: lineno,
                held: 0,
            };
        }
        // The end of a partial line.
        p.open = false;
        let room = max.saturating_sub(p.text.len());
        push_bounded(&mut p.text, &inner, room);
        Unwrapped::Line {
            text: Cow::Owned(std::mem::take(&mut p.text)),
            stamp: p.stamp.or(stamp),
            first_line: p.first_line,
            held: std::mem::take(&mut p.owned),
        }
    }

    /// End of input: partial lines that never got their end, as lines of their own.
    pub fn finish(&mut self) -> Vec<(String, Option<Stamp>, u64, u64)> {
        let mut out = Vec::new();
        for p in self.partial.iter_mut() {
            if p.open {
                p.open = false;
                out.push((
                    std::mem::take(&mut p.text),
                    p.stamp,
                    p.first_line,
                    std::mem::take(&mut p.owned),
                ));
            }
        }
        out.sort_by_key(|x| x.2);
        out
    }
}

fn push_bounded(out: &mut String, s: &str, room: usize) {
    if s.len() <= room {
        out.push_str(s);
        return;
    }
    let mut end = room;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&s[..end]);
}

/// One envelope off the line, if it has one.
fn peel(line: &str) -> Option<Layer<'_>> {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let b = line.as_bytes();
    match b.first()? {
        b'{' => docker(line),
        b'0'..=b'9' => stamped(line),
        b'a'..=b'z' | b'A'..=b'Z' => compose(line).or_else(|| gh_cli(line)),
        _ => gh_cli(line),
    }
}

/// `docker compose logs`: the service name (v2 `api-1`, v1 `api_1`), padding, `| `.
fn compose(line: &str) -> Option<Layer<'_>> {
    let b = line.as_bytes();
    let head = &b[..b.len().min(64)];
    let bar = memchr::memchr(b'|', head)?;
    if bar < 2 || b[bar - 1] != b' ' || b.get(bar + 1).is_some_and(|c| *c != b' ') {
        return None;
    }
    let name = line[..bar].trim_end_matches(' ');
    if name.is_empty()
        || !name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return None;
    }
    Some(Layer {
        inner: Cow::Borrowed(line.get(bar + 2..).unwrap_or("")),
        stamp: None,
        partial: None,
        stream: None,
    })
}

/// `gh run view --log`: `<job>\t<step>\t<time> <line>`.
fn gh_cli(line: &str) -> Option<Layer<'_>> {
    let b = line.as_bytes();
    let head = &b[..b.len().min(256)];
    let first = memchr::memchr(b'\t', head)?;
    let second = first + 1 + memchr::memchr(b'\t', head.get(first + 1..)?)?;
    let layer = stamped(line.get(second + 1..)?)?;
    (layer.stream.is_none()).then_some(layer)
}

/// Docker's json-file line.
fn docker(line: &str) -> Option<Layer<'_>> {
    let b = line.as_bytes();
    // `{"log":` first (Docker's own order), else a `stream` key naming a standard stream
    // (collectors that reorder keys).
    // Built once: `memmem::find` would build its searcher for every JSON line.
    static STREAM: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"stream\":\"std"));
    if !b.starts_with(b"{\"log\":") && STREAM.find(b).is_none() {
        return None;
    }
    let d: DockerLine = serde_json::from_str(line.trim_end()).ok()?;
    let stream = stream_index(&d.stream)?;
    let stamp = d.time.as_deref().and_then(crate::time::iso);
    let (text, partial) = match d.log.strip_suffix('\n') {
        Some(t) => (t.strip_suffix('\r').unwrap_or(t), false),
        None => (d.log.as_ref(), true),
    };
    Some(Layer {
        inner: Cow::Owned(text.to_string()),
        stamp,
        partial: partial.then_some(stream),
        stream: Some(stream),
    })
}

/// An RFC 3339 time at the start of the line, then a space: CRI, kubectl, GitHub Actions.
fn stamped(line: &str) -> Option<Layer<'_>> {
    let b = line.as_bytes();
    if b.len() < 21
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let mut i = 19;
    let mut digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' => {
            i += 1;
            false
        }
        b'+' | b'-' if b.get(i + 3) == Some(&b':') => {
            i += 6;
            true
        }
        _ => return None,
    };
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let stamp_text = line.get(..i)?;
    let rest = line.get(i + 1..)?;
    // CRI: `stdout F ...` / `stderr P ...`.
    let cri = ["stdout ", "stderr "]
        .iter()
        .position(|s| rest.starts_with(s));
    if let Some(stream) = cri {
        let tag = rest.as_bytes().get(7).copied();
        let after = rest.as_bytes().get(8).copied();
        if matches!(tag, Some(b'F' | b'P')) && matches!(after, None | Some(b' ')) {
            let stamp = crate::time::iso(stamp_text);
            stamp?;
            let inner = rest.get(9..).unwrap_or("");
            return Some(Layer {
                inner: Cow::Borrowed(inner),
                stamp,
                partial: (tag == Some(b'P')).then_some(stream),
                stream: Some(stream),
            });
        }
    }
    if digits < 4 && !offset {
        return None;
    }
    let stamp = crate::time::iso(stamp_text);
    stamp?;
    // `heroku logs`: the source and dyno after the time (`app[web.1]: `, `heroku[router]: `).
    let rest = heroku_source(rest).unwrap_or(rest);
    Some(Layer {
        inner: Cow::Borrowed(rest),
        stamp,
        partial: None,
        stream: None,
    })
}

/// The line after Heroku's `source[dyno]: ` (`app[web.1]: `, `heroku[router]: `).
fn heroku_source(rest: &str) -> Option<&str> {
    let open = rest.find('[')?;
    let source = &rest[..open];
    if source.is_empty()
        || source.len() > 20
        || !source
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
    {
        return None;
    }
    let close = open + rest[open..].find("]: ")?;
    let dyno = &rest[open + 1..close];
    if dyno.is_empty()
        || dyno.len() > 40
        || !dyno
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
    {
        return None;
    }
    Some(&rest[close + 3..])
}

/// Whether the line inside an envelope tells its own time (a log prefix, a JSON `time` or
/// `timestamp` field): then the envelope's time is not needed.
pub(crate) fn has_own_time(inner: &str) -> bool {
    if inner.starts_with('{') {
        return memchr::memmem::find(inner.as_bytes(), b"\"time").is_some();
    }
    crate::input::toolkit::api::stamp_near_start(inner).is_some()
}

/// The times envelopes gave lines whose own text tells none: records of those lines take it
/// (rather than a time a parser borrowed from the line before).
#[derive(Debug, Default)]
pub(crate) struct LineStamps {
    recent: std::collections::VecDeque<(u64, Stamp)>,
}

const KEPT_STAMPS: usize = 1024;

impl LineStamps {
    pub fn note(&mut self, lineno: u64, stamp: Stamp) {
        if self.recent.len() >= KEPT_STAMPS {
            self.recent.pop_front();
        }
        self.recent.push_back((lineno, stamp));
    }

    /// The envelope time of line `lineno` (only its own: a line without an envelope has none).
    pub fn at(&self, lineno: u64) -> Option<Stamp> {
        self.recent
            .iter()
            .rev()
            .find(|(n, _)| *n == lineno)
            .map(|(_, s)| *s)
    }

    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unwrap_all(text: &str) -> Vec<(String, u64, u64, Option<String>)> {
        let mut e = Envelopes::new(1 << 20);
        let mut out = Vec::new();
        for (i, l) in text.lines().enumerate() {
            match e.unwrap(l, i as u64 + 1, true) {
                Unwrapped::Plain => out.push((l.to_string(), i as u64 + 1, 0, None)),
                Unwrapped::Held => {}
                Unwrapped::Line {
                    text,
                    stamp,
                    first_line,
                    held,
                } => out.push((
                    text.into_owned(),
                    first_line,
                    held,
                    stamp.map(|s| format!("{s:?}")),
                )),
            }
        }
        for (t, s, l, h) in e.finish() {
            out.push((t, l, h, s.map(|s| format!("{s:?}"))));
        }
        out
    }

    #[test]
    fn docker_json_file_lines_are_unescaped() {
        let v = unwrap_all(
            r#"{"log":"[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 529 \"\n","stream":"stderr","time":"2025-11-03T09:14:03.120394811Z"}"#,
        );
        assert_eq!(
            v[0].0,
            r#"[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 ""#
        );
        assert!(v[0].3.as_deref().unwrap().contains("09:14:03.120394811"));
    }

    #[test]
    fn docker_partial_lines_are_joined() {
        let v = unwrap_all(concat!(
            r#"{"log":"Error code: 429 - {'type': 'error', ","stream":"stderr","time":"2025-11-03T09:14:03.1Z"}"#,
            "\n",
            r#"{"log":"out\n","stream":"stdout","time":"2025-11-03T09:14:03.2Z"}"#,
            "\n",
            r#"{"log":"'error': {}}\n","stream":"stderr","time":"2025-11-03T09:14:03.3Z"}"#,
        ));
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0, "out");
        assert_eq!(
            (v[1].0.as_str(), v[1].1, v[1].2),
            ("Error code: 429 - {'type': 'error', 'error': {}}", 1, 1)
        );
    }

    #[test]
    fn cri_lines_and_partials() {
        let v = unwrap_all(concat!(
            "2025-10-02T16:20:11.123456789Z stderr P Traceback (most \n",
            "2025-10-02T16:20:11.123456790Z stdout F hello\n",
            "2025-10-02T16:20:11.123456791Z stderr P recent call\n",
            "2025-10-02T16:20:11.123456792Z stderr F  last):\n",
            "2025-10-02T16:20:11.2+02:00 stdout F\n",
        ));
        assert_eq!(v[0].0, "hello");
        assert_eq!(
            (v[1].0.as_str(), v[1].1, v[1].2),
            ("Traceback (most recent call last):", 1, 2)
        );
        assert_eq!(v[2].0, "");
    }

    #[test]
    fn kubectl_and_actions_prefixes() {
        let v = unwrap_all(concat!(
            "2025-10-02T16:20:11.1234567Z [log_3f2a1c] connection failed - error; no more retries left\n",
            "\u{feff}2025-10-02T16:20:11.1234567Z ##[group]Run python app.py\n",
            "2025-10-02T16:20:11.12345Z {\"level\":\"error\",\"msg\":\"x\"}\n",
            "2025-10-02T16:20:11.1234567Z 2025-10-02T16:20:10.999999Z inner\n",
            "review\tRun claude\t2025-10-02T16:20:11.1234567Z API Error: 529 Overloaded\n",
            "a\tb\tnot a time\n",
            "api-1  | 2025-10-02T16:20:11.123456789Z [log_3f2a1c] connection failed\n",
            "worker_1    | Traceback (most recent call last):\n",
            "api-1  |\n",
        ));
        assert_eq!(v[6].0, "[log_3f2a1c] connection failed");
        assert!(v[6].3.is_some());
        assert_eq!(v[7].0, "Traceback (most recent call last):");
        assert_eq!(v[8].0, "");
        assert_eq!(v[4].0, "API Error: 529 Overloaded");
        assert_eq!(v[5].0, "a\tb\tnot a time");
        assert_eq!(
            v[0].0,
            "[log_3f2a1c] connection failed - error; no more retries left"
        );
        assert_eq!(v[1].0, "##[group]Run python app.py");
        assert_eq!(v[2].0, "{\"level\":\"error\",\"msg\":\"x\"}");
        assert_eq!(v[3].0, "inner");
        assert!(v[3].3.as_deref().unwrap().contains("16:20:10.999999"));
    }

    #[test]
    fn heroku_source_and_dyno_come_off() {
        let out = unwrap_all(
            "2024-03-20T15:06:52.183269+00:00 app[web.1]: Error: Connection error.\n\
             2024-03-20T15:06:52.183270+00:00 app[web.1]:     at Anthropic.makeRequest (core.js:297:19)\n\
             2024-03-20T15:06:53.000000+00:00 heroku[router]: at=error code=H13 status=503\n",
        );
        assert_eq!(out[0].0, "Error: Connection error.");
        assert_eq!(out[1].0, "    at Anthropic.makeRequest (core.js:297:19)");
        assert_eq!(out[2].0, "at=error code=H13 status=503");
    }

    #[test]
    fn plain_lines_and_claude_code_debug_lines_are_left_alone() {
        for l in [
            "2026-06-23T15:57:59.225Z [ERROR] API error (attempt 1/11): undefined Request timed out.",
            "2025-10-02 16:20:11,123 ERROR x",
            "{\"level\":\"error\",\"log\":\"x\"}",
            "{\"log\":{\"version\":\"1.2\"}}",
            "2025-10-02T16:20:11.123456789Z",
            "1234",
            "",
            "2025-10-02T16:20:11.1234567Zé",
            "2025-10-02T16:20:11.1234567+0é:00 x",
            "INFO:     10.0.0.7:51522 - \"POST /v1/messages HTTP/1.1\" 200 OK",
            "| a | b |",
            "two words | x",
            "name|x",
        ] {
            let v = unwrap_all(l);
            assert_eq!(v.len(), usize::from(!l.is_empty()), "{l}");
            if !l.is_empty() {
                assert_eq!(v[0].0, l);
            }
        }
    }

    #[test]
    fn held_text_is_bounded() {
        let mut e = Envelopes::new(10);
        for i in 0..5 {
            assert!(matches!(
                e.unwrap("2025-10-02T16:20:11.1Z stdout P 0123456789", i, true),
                Unwrapped::Held
            ));
        }
        let Unwrapped::Line { text, held, .. } =
            e.unwrap("2025-10-02T16:20:11.1Z stdout F é", 6, true)
        else {
            panic!("a line");
        };
        assert_eq!((text.len(), held), (10, 5));
    }
}
