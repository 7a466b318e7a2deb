//! Failure records that wait for the end of the run (those with a request id: another file
//! may tell the same attempt, see [`crate::input::join_units`]), kept in memory up to a budget and
//! past it in a temporary file, so that memory does not grow with them.
//!
//! What stays in memory for a record in the file is its request id and where it is. The file
//! is created on first use in the system's temporary directory and removed at once (Unix) or
//! when the run ends; if it cannot be written, records simply stay in memory.
//!
//! A record is redacted as it is held ([`redacted`]), before it is joined and classified, so
//! that neither the file nor a partial report (`src/partial.rs`, which writes held records
//! with [`Held::encode`]) ever holds a secret, and so that a record classified after a merge
//! of partials is classified from the same text as in one run.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::DateTime;

use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

/// A held failure record: in memory, or in the spill file. Boxed, so that one in the file
/// costs its id and place only.
#[derive(Debug)]
pub enum Held {
    Here(Box<Record>),
    Spilled {
        request_id: Option<String>,
        at: u64,
        len: u32,
    },
}

impl Held {
    /// A record as bytes (the spill file's encoding; partial reports use it too).
    pub fn encode(r: &Record, out: &mut Vec<u8>) {
        encode(r, out);
    }

    /// A record from [`Held::encode`]'s bytes; `None` when they are cut, padded or invalid.
    pub fn decode(b: &[u8]) -> Option<Record> {
        decode(b)
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            Held::Here(r) => r.request_id.as_deref(),
            Held::Spilled { request_id, .. } => request_id.as_deref(),
        }
    }
}

/// Where held records go: memory while fewer than `budget` are held, then the file.
pub struct Spill {
    budget: usize,
    in_memory: AtomicUsize,
    file: Mutex<Option<(File, u64)>>,
    failed: std::sync::atomic::AtomicBool,
    #[cfg(not(unix))]
    path: Mutex<Option<std::path::PathBuf>>,
}

impl Spill {
    /// Keep at most `budget` records in memory (`usize::MAX`: never spill).
    pub fn new(budget: usize) -> Spill {
        Spill {
            budget,
            in_memory: AtomicUsize::new(0),
            file: Mutex::new(None),
            failed: std::sync::atomic::AtomicBool::new(false),
            #[cfg(not(unix))]
            path: Mutex::new(None),
        }
    }

    /// Hold `records`, redacted: in memory within the budget, else written to the file.
    pub fn hold(&self, records: Vec<Record>) -> Vec<Held> {
        let mut out = Vec::with_capacity(records.len());
        let mut bytes = Vec::new();
        for r in records {
            let r = redacted(r);
            let here = self.in_memory.fetch_add(1, Ordering::Relaxed) < self.budget
                || self.failed.load(Ordering::Relaxed);
            if here {
                out.push(Held::Here(Box::new(r)));
                continue;
            }
            self.in_memory.fetch_sub(1, Ordering::Relaxed);
            bytes.clear();
            encode(&r, &mut bytes);
            match self.append(&bytes) {
                Ok(at) => out.push(Held::Spilled {
                    request_id: r.request_id,
                    at,
                    len: bytes.len() as u32,
                }),
                Err(_) => {
                    self.failed.store(true, Ordering::Relaxed);
                    self.in_memory.fetch_add(1, Ordering::Relaxed);
                    out.push(Held::Here(Box::new(r)));
                }
            }
        }
        out
    }

    /// The record, read back from the file when it was spilled.
    pub fn take(&self, held: Held) -> io::Result<Record> {
        match held {
            Held::Here(r) => Ok(*r),
            Held::Spilled { at, len, .. } => self.read(at, len),
        }
    }

    fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut guard = self
            .file
            .lock()
            .map_err(|_| io::Error::other("spill lock"))?;
        if guard.is_none() {
            *guard = Some((self.create()?, 0));
        }
        let (file, end) = guard
            .as_mut()
            .ok_or_else(|| io::Error::other("no spill file"))?;
        file.seek(SeekFrom::Start(*end))?;
        file.write_all(bytes)?;
        let at = *end;
        *end += bytes.len() as u64;
        Ok(at)
    }

    fn read(&self, at: u64, len: u32) -> io::Result<Record> {
        let mut guard = self
            .file
            .lock()
            .map_err(|_| io::Error::other("spill lock"))?;
        let (file, _) = guard
            .as_mut()
            .ok_or_else(|| io::Error::other("no spill file"))?;
        file.seek(SeekFrom::Start(at))?;
        let mut buf = vec![0u8; len as usize];
        file.read_exact(&mut buf)?;
        decode(&buf).ok_or_else(|| io::Error::other("spilled record unreadable"))
    }

    fn create(&self) -> io::Result<File> {
        let dir = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!(
            "claude-logscan-{}-{nanos}.held",
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        // Records are not redacted yet (that happens on the way out): readable by the owner
        // only, and (Unix) without a name for more than a moment.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path)?;
        // Unix: gone from the directory at once, readable through the handle until the end.
        #[cfg(unix)]
        std::fs::remove_file(&path)?;
        #[cfg(not(unix))]
        if let Ok(mut p) = self.path.lock() {
            *p = Some(path);
        }
        Ok(file)
    }
}

#[cfg(not(unix))]
impl Drop for Spill {
    fn drop(&mut self) {
        if let Ok(mut f) = self.file.lock() {
            f.take();
        }
        if let Ok(Some(p)) = self.path.lock().map(|mut p| p.take()) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The record with every text field and header redacted ([`crate::redact`]; a header is
/// redacted as the `Name: value` line it was, and its value masked whole if that line's name
/// does not survive). Redacting twice changes nothing, so classifying the result is classifying
/// the record's redacted text, wherever it was held.
pub fn redacted(mut r: Record) -> Record {
    use crate::redact::redact;
    use std::borrow::Cow;
    let clean = |s: &mut Option<String>| {
        if let Some(v) = s.as_deref() {
            if let Cow::Owned(o) = redact(v) {
                *s = Some(o);
            }
        }
    };
    for s in [
        &mut r.provider,
        &mut r.endpoint,
        &mut r.error_type,
        &mut r.provider_code,
        &mut r.message,
        &mut r.model,
        &mut r.request_id,
    ] {
        clean(s);
    }
    for (n, v) in &mut r.headers {
        let line = format!("{n}: {v}");
        if let Cow::Owned(o) = redact(&line) {
            *v = match o.strip_prefix(&format!("{n}: ")) {
                Some(rest) => rest.to_string(),
                None => "[REDACTED]".to_string(),
            };
        }
        if let Cow::Owned(o) = redact(n) {
            *n = o;
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------
// A record as bytes: each field in order, options as a flag byte, numbers little-endian,
// strings as a u32 length and their bytes.

fn put_opt<T>(out: &mut Vec<u8>, v: Option<T>, put: impl FnOnce(&mut Vec<u8>, T)) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            put(out, v);
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_stamp(out: &mut Vec<u8>, s: Stamp) {
    let (kind, t) = match s {
        Stamp::Utc(t) => (0u8, t.naive_utc()),
        Stamp::Naive(n) => (1u8, n),
    };
    out.push(kind);
    let t = t.and_utc();
    out.extend_from_slice(&t.timestamp().to_le_bytes());
    out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
}

pub(crate) fn encode(r: &Record, out: &mut Vec<u8>) {
    put_opt(out, r.line, |o, v| o.extend_from_slice(&v.to_le_bytes()));
    put_opt(out, r.entry, |o, v| o.extend_from_slice(&v.to_le_bytes()));
    put_opt(out, r.stamp, put_stamp);
    let kind = SourceKind::ALL
        .iter()
        .position(|k| *k == r.source_kind)
        .unwrap_or(0);
    out.push(kind as u8);
    for s in [&r.provider, &r.endpoint] {
        put_opt(out, s.as_deref(), put_str);
    }
    put_opt(out, r.http_status, |o, v| {
        o.extend_from_slice(&v.to_le_bytes())
    });
    put_opt(out, r.status, |o, v| o.extend_from_slice(&v.to_le_bytes()));
    for s in [
        &r.error_type,
        &r.provider_code,
        &r.message,
        &r.model,
        &r.request_id,
    ] {
        put_opt(out, s.as_deref(), put_str);
    }
    put_opt(out, r.attempt, |o, v| o.extend_from_slice(&v.to_le_bytes()));
    put_opt(out, r.latency_ms, |o, v| {
        o.extend_from_slice(&v.to_le_bytes())
    });
    out.extend_from_slice(&(r.headers.len() as u32).to_le_bytes());
    for (n, v) in &r.headers {
        put_str(out, n);
        put_str(out, v);
    }
    out.push(match r.outcome {
        Outcome::Success => 0,
        Outcome::Failure => 1,
    });
    out.push(r.evidence as u8);
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }
    fn opt<T>(&mut self, get: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.u8()? {
            0 => Some(None),
            1 => get(self).map(Some),
            _ => None,
        }
    }
    fn string(&mut self) -> Option<String> {
        let n = u32::from_le_bytes(self.take::<4>()?) as usize;
        let s = self.0.get(..n)?;
        self.0 = &self.0[n..];
        String::from_utf8(s.to_vec()).ok()
    }
    fn stamp(&mut self) -> Option<Stamp> {
        let kind = self.u8()?;
        let secs = i64::from_le_bytes(self.take::<8>()?);
        let nanos = u32::from_le_bytes(self.take::<4>()?);
        let t = DateTime::from_timestamp(secs, nanos)?;
        match kind {
            0 => Some(Stamp::Utc(t)),
            1 => Some(Stamp::Naive(t.naive_utc())),
            _ => None,
        }
    }
}

const EVIDENCE: [Evidence; 7] = [
    Evidence::Whole,
    Evidence::Transport,
    Evidence::ResponseDump,
    Evidence::RequestId,
    Evidence::Exception,
    Evidence::Notice,
    Evidence::Summary,
];

pub(crate) fn decode(b: &[u8]) -> Option<Record> {
    let mut b = Bytes(b);
    let line = b.opt(|b| b.take::<8>().map(u64::from_le_bytes))?;
    let entry = b.opt(|b| b.take::<8>().map(u64::from_le_bytes))?;
    let stamp = b.opt(Bytes::stamp)?;
    let source_kind = *SourceKind::ALL.get(usize::from(b.u8()?))?;
    let provider = b.opt(Bytes::string)?;
    let endpoint = b.opt(Bytes::string)?;
    let http_status = b.opt(|b| b.take::<2>().map(u16::from_le_bytes))?;
    let status = b.opt(|b| b.take::<2>().map(u16::from_le_bytes))?;
    let error_type = b.opt(Bytes::string)?;
    let provider_code = b.opt(Bytes::string)?;
    let message = b.opt(Bytes::string)?;
    let model = b.opt(Bytes::string)?;
    let request_id = b.opt(Bytes::string)?;
    let attempt = b.opt(|b| b.take::<4>().map(u32::from_le_bytes))?;
    let latency_ms = b.opt(|b| b.take::<8>().map(u64::from_le_bytes))?;
    let n = u32::from_le_bytes(b.take::<4>()?) as usize;
    let mut headers = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        headers.push((b.string()?, b.string()?));
    }
    let outcome = match b.u8()? {
        0 => Outcome::Success,
        1 => Outcome::Failure,
        _ => return None,
    };
    let evidence = *EVIDENCE.get(usize::from(b.u8()?))?;
    if !b.0.is_empty() {
        return None;
    }
    Some(Record {
        line,
        entry,
        stamp,
        source_kind,
        provider,
        endpoint,
        http_status,
        status,
        error_type,
        provider_code,
        message,
        model,
        request_id,
        attempt,
        latency_ms,
        headers,
        outcome,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> Vec<Record> {
        let mut seed = 3u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut out = Vec::new();
        for i in 0..500u64 {
            let mut r = Record::new(
                SourceKind::ALL[next(14) as usize],
                Outcome::of(next(2) == 0),
            );
            let text = |k: u64| -> Option<String> {
                match k % 4 {
                    0 => None,
                    1 => Some(String::new()),
                    2 => Some(format!("req_{k:08} é ✓")),
                    _ => Some("x".repeat(k as usize % 300)),
                }
            };
            r.line = (next(3) > 0).then_some(i * 7);
            r.entry = (next(3) == 0).then_some(u64::MAX - i);
            r.stamp = match next(3) {
                0 => None,
                1 => DateTime::from_timestamp(
                    1_759_400_000 + i as i64,
                    (i * 1_000_003) as u32 % 1_000_000_000,
                )
                .map(Stamp::Utc),
                _ => DateTime::from_timestamp(-86_400 * 3 + i as i64, 7)
                    .map(|t| Stamp::Naive(t.naive_utc())),
            };
            r.provider = text(next(8));
            r.endpoint = text(next(8));
            r.http_status = (next(2) == 0).then_some(next(1000) as u16);
            r.status = (next(3) == 0).then_some(529);
            r.error_type = text(next(8));
            r.provider_code = text(next(8));
            r.message = text(next(8));
            r.model = text(next(8));
            r.request_id = text(next(8));
            r.attempt = (next(2) == 0).then_some(next(9) as u32);
            r.latency_ms = (next(2) == 0).then_some(next(100_000));
            for _ in 0..next(4) {
                r.headers.push((
                    text(2).unwrap_or_default(),
                    text(next(8)).unwrap_or_default(),
                ));
            }
            r.evidence = EVIDENCE[next(7) as usize];
            out.push(r);
        }
        out
    }

    #[test]
    fn records_read_back_as_written() {
        let mut buf = Vec::new();
        for r in records() {
            buf.clear();
            encode(&r, &mut buf);
            assert_eq!(decode(&buf).as_ref(), Some(&r));
            // Cut or with bytes after it, it is refused, never misread.
            assert_eq!(decode(&buf[..buf.len() - 1]), None);
            buf.push(0);
            assert_eq!(decode(&buf), None);
        }
        // Every evidence kind has its byte.
        for (i, e) in EVIDENCE.iter().enumerate() {
            assert_eq!(*e as usize, i);
        }
    }

    #[test]
    fn spilled_past_the_budget_and_read_back() {
        let spill = Spill::new(10);
        let all = records();
        let held = spill.hold(all.clone());
        let spilled = held
            .iter()
            .filter(|h| matches!(h, Held::Spilled { .. }))
            .count();
        assert_eq!(spilled, all.len() - 10);
        for (h, r) in held.iter().zip(&all) {
            assert_eq!(h.request_id(), r.request_id.as_deref());
        }
        for (h, r) in held.into_iter().zip(all) {
            assert_eq!(spill.take(h).unwrap(), r);
        }
    }
}
