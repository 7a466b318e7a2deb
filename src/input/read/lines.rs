//! A line reader with a bound: a line longer than the limit is cut there and the rest of it
//! skipped at memory speed, so one 100 MB line costs the limit, not 100 MB.

use std::borrow::Cow;
use std::io::{self, BufRead};

pub(crate) struct Line<'a> {
    pub number: u64,
    /// Byte offset of the line's first byte, from where the reader started.
    pub start: u64,
    pub text: Cow<'a, str>,
    pub truncated: bool,
    pub invalid_utf8: bool,
}

pub(crate) struct LineReader<'r> {
    inner: &'r mut dyn BufRead,
    buf: Vec<u8>,
    max: usize,
    lineno: u64,
    /// Bytes consumed so far.
    offset: u64,
}

impl<'r> LineReader<'r> {
    pub fn new(inner: &'r mut dyn BufRead, max: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(4096),
            max: max.max(1),
            lineno: 0,
            offset: 0,
        }
    }

    /// Lines read so far.
    pub fn lineno(&self) -> u64 {
        self.lineno
    }

    /// The next line without its `\n` / `\r\n`; `None` at the end of input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let start = self.offset;
        let mut truncated = false;
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            let room = self.max.saturating_sub(self.buf.len());
            if chunk.len() > room {
                truncated = true;
            }
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            match done {
                Some(n) => {
                    self.inner.consume(n);
                    self.offset += n as u64;
                    break;
                }
                None => {
                    let n = available.len();
                    self.inner.consume(n);
                    self.offset += n as u64;
                }
            }
        }
        if !any {
            return Ok(None);
        }
        self.lineno += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        let (text, invalid_utf8) = match std::str::from_utf8(&self.buf) {
            Ok(s) => (Cow::Borrowed(s), false),
            Err(e) if truncated && e.error_len().is_none() => {
                // The cut fell inside a character: drop the partial character.
                let valid = e.valid_up_to();
                (
                    Cow::Borrowed(std::str::from_utf8(&self.buf[..valid]).unwrap_or_default()),
                    false,
                )
            }
            Err(_) => (String::from_utf8_lossy(&self.buf), true),
        };
        Ok(Some(Line {
            number: self.lineno,
            start,
            text,
            truncated,
            invalid_utf8,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<(String, bool, bool)> {
        let mut r: &[u8] = input;
        let mut lr = LineReader::new(&mut r, max);
        let mut out = Vec::new();
        while let Some(l) = lr.next_line().unwrap() {
            out.push((l.text.into_owned(), l.truncated, l.invalid_utf8));
        }
        out
    }

    #[test]
    fn splits_lines_and_strips_crlf() {
        let v = all(b"a\r\nb\n\nc", 100);
        let texts: Vec<_> = v.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(texts, ["a", "b", "", "c"]);
    }

    #[test]
    fn cuts_long_lines_and_keeps_counting() {
        let mut input = vec![b'x'; 10_000];
        input.extend_from_slice(b"\nshort\n");
        let v = all(&input, 100);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0.len(), 100);
        assert!(v[0].1);
        assert_eq!(v[1], ("short".to_string(), false, false));
    }

    #[test]
    fn tells_where_each_line_starts() {
        let mut r: &[u8] = b"ab\r\n\nlonglonglong\nz";
        let mut lr = LineReader::new(&mut r, 4);
        let mut starts = Vec::new();
        while let Some(l) = lr.next_line().unwrap() {
            starts.push((l.number, l.start));
        }
        assert_eq!(starts, [(1, 0), (2, 4), (3, 5), (4, 18)]);
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_flagged() {
        let v = all(b"ok \xff\xfe end\n", 100);
        assert!(v[0].2);
        assert!(v[0].0.starts_with("ok "));
    }

    /// What the reader should give: lines split at `\n`, `\r` dropped before it, cut at `max`.
    fn expected(input: &[u8], max: usize) -> Vec<(u64, String, bool)> {
        let mut out = Vec::new();
        let mut start = 0u64;
        let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        if input.last() == Some(&b'\n') || input.is_empty() {
            parts.pop();
        }
        for p in parts {
            let cut = p.len() > max;
            let mut kept = &p[..p.len().min(max)];
            if kept.last() == Some(&b'\r') {
                kept = &kept[..kept.len() - 1];
            }
            out.push((start, String::from_utf8_lossy(kept).into_owned(), cut));
            start += p.len() as u64 + 1;
        }
        out
    }

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn same_lines_however_the_input_arrives() {
        // Lines of every length around the limit and around the read size, with CRLF.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for round in 0..40 {
            let max: usize = [1, 5, 64, 1000, 4095, 70_000][round % 6];
            let mut input = Vec::new();
            for _ in 0..(next() % 12) {
                let len = match next() % 4 {
                    0 => next() % 8,
                    1 => max.saturating_sub(1) + next() % 3,
                    2 => 65_534 + next() % 4,
                    _ => next() % 200_000,
                };
                input.extend((0..len).map(|i| b'a' + (i % 26) as u8));
                if next() % 3 == 0 {
                    input.push(b'\r');
                }
                input.push(b'\n');
            }
            if next() % 2 == 0 {
                input.extend_from_slice(b"tail");
            }
            let want = expected(&input, max);
            for step in [1usize, 7, 4096, usize::MAX] {
                if step == 1 && input.len() > 200_000 {
                    continue;
                }
                let mut r = std::io::BufReader::with_capacity(64, Trickle(&input, step));
                let mut lr = LineReader::new(&mut r, max);
                let mut got = Vec::new();
                while let Some(l) = lr.next_line().unwrap() {
                    assert_eq!(l.number, got.len() as u64 + 1);
                    got.push((l.start, l.text.into_owned(), l.truncated));
                }
                assert_eq!(got, want, "round {round}, max {max}, read step {step}");
            }
        }
    }
}
