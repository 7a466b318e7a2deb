//! Large line-oriented files, split into chunks at line boundaries and scanned in parallel.
//!
//! A chunk's scan starts a little before the chunk (the warm-up: [`ScanOptions::warmup_bytes`],
//! and never fewer than [`WARMUP_LINES`] lines, however long they are) so that parsers catch up
//! with a multi-line record or a retry chain that began earlier, and
//! reads on past its end only while one of its own records may still grow (see
//! [`Window`]). A record belongs to the chunk that read the line that created it;
//! counts count only a chunk's own lines. So every line is counted once and every record kept
//! once, whatever the chunking; what can differ from one whole-file pass is only state older
//! than the warm-up (a request id told again megabytes later is joined afterwards, by
//! [`join_units`] over all parts).
//!
//! Chunk boundaries depend on the file's size and content only, never on the thread count,
//! so the output is the same at any number of threads.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use super::text::{scan_lines_in, Window};
use crate::input::sink::{
    earlier, format_warnings, later, Sink, MAX_WARNINGS, PRODUCER_JOIN_DISTANCE,
};
use crate::input::sniff::{sniff, Shape};
use crate::input::{scan_settling, FileScan, ScanOptions, Settler};
use crate::record::Record;

/// One piece of a file's scan: the whole input, or one chunk of a large log.
#[derive(Debug)]
pub struct Part<S> {
    /// Add to the line numbers of what `settled` received to number them within the file
    /// (`pending` is already renumbered).
    pub delta: u64,
    /// The settler that took the part's final records.
    pub settled: S,
    /// The records left, those with a request id: they may still join a record of another
    /// part (see [`join_units`]).
    pub pending: Vec<Record>,
    /// For each pending record, its index among the part's failure records.
    pub pending_index: Vec<u32>,
}

/// Scan a file from disk: in chunks when it is a large plain-text log, else in one pass.
/// Failures are joined across chunks (same request id) into `FileScan::failures`.
pub fn scan_file(display: &str, path: &Path, opts: &ScanOptions) -> io::Result<FileScan> {
    let (mut scan, parts) = scan_file_parts(display, path, opts, &Vec::new)?;
    scan.failures = reassemble(parts);
    Ok(scan)
}

/// A file's failures from parts whose settlers kept every record: back in their order,
/// numbered within the file and joined across parts.
pub(crate) fn reassemble(parts: Vec<Part<Vec<(u32, Record)>>>) -> Vec<Record> {
    let mut units: Vec<Vec<Record>> = Vec::with_capacity(parts.len());
    for part in parts {
        let mut all: Vec<(u32, Record)> = part.settled;
        for (_, r) in &mut all {
            r.line = r.line.map(|l| l + part.delta);
        }
        all.extend(part.pending_index.into_iter().zip(part.pending));
        all.sort_by_key(|(i, _)| *i);
        units.push(all.into_iter().map(|(_, r)| r).collect());
    }
    let dead = join_units(&mut units, &mut Vec::new());
    units
        .into_iter()
        .zip(dead)
        .flat_map(|(records, dead)| {
            records
                .into_iter()
                .zip(dead)
                .filter_map(|(r, d)| (!d).then_some(r))
        })
        .collect()
}

/// Scan a file from disk, handing each part's final failure records to a settler made by
/// `make` in the worker that reads the part, as the scan goes (so memory does not grow with
/// the file); the records with a request id are returned as each part's `pending` records.
/// `FileScan::failures` stays empty.
pub fn scan_file_parts<S: Settler>(
    display: &str,
    path: &Path,
    opts: &ScanOptions,
    make: &(dyn Fn() -> S + Sync),
) -> io::Result<(FileScan, Vec<Part<S>>)> {
    // Opened once, and read from this handle: a named pipe (`<(zcat x.gz)`) opened again
    // could wait for a writer that has already left.
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let size = meta.len();
    if meta.is_file() && splits(&mut file, size, opts)? {
        if let Some(scan) = scan_chunked(display, path, size, opts, make)? {
            return Ok(scan);
        }
    }
    if meta.is_file() {
        file.seek(SeekFrom::Start(0))?;
    }
    let mut reader = crate::discover::decoded(Box::new(file))?;
    let scan = scan_parts(display, &mut *reader, opts, make);
    scanned(opts, size);
    Ok(scan)
}

/// Whether a file of this size is large enough to be split (at least two chunks).
fn chunk_sized(size: u64, opts: &ScanOptions) -> bool {
    opts.chunk_bytes > 0 && size >= opts.chunk_bytes.saturating_mul(2)
}

/// Whether a file of this size is scanned in chunks: a plain-text line log of at least two
/// chunks (not gzip, not a JSON document).
fn splits(file: &mut File, size: u64, opts: &ScanOptions) -> io::Result<bool> {
    if !chunk_sized(size, opts) {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(0))?;
    let mut head = BufReader::with_capacity(64 * 1024, &mut *file);
    let h = head.fill_buf()?;
    if h.len() >= 2 && h[0] == 0x1f && h[1] == 0x8b {
        return Ok(false);
    }
    Ok(sniff(&mut head)? == Shape::Lines)
}

/// How long a file keeps one worker busy, in bytes, for scheduling: its size when it is read
/// in one pass, 0 when it is split into chunks (which spread over the workers anyway). A
/// named pipe or other special file counts as long (it is read in one pass) and is never
/// opened here: opening and closing a pipe would end its writer. Unreadable files weigh
/// nothing.
pub fn single_pass_weight(path: &Path, opts: &ScanOptions) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if !meta.is_file() {
        return u64::MAX;
    }
    let size = meta.len();
    if !chunk_sized(size, opts) {
        return size;
    }
    let Ok(mut file) = File::open(path) else {
        return 0;
    };
    match splits(&mut file, size, opts) {
        Ok(true) | Err(_) => 0,
        Ok(false) => size,
    }
}

/// Scan one input in one pass (stdin, compressed, documents) as a single part.
pub fn scan_parts<S: Settler>(
    display: &str,
    reader: &mut dyn BufRead,
    opts: &ScanOptions,
    make: &(dyn Fn() -> S + Sync),
) -> (FileScan, Vec<Part<S>>) {
    let mut settled = make();
    let (mut scan, pending_index) = scan_settling(display, reader, opts, &mut settled);
    let pending = settled.hold(std::mem::take(&mut scan.failures));
    let part = Part {
        delta: 0,
        settled,
        pending,
        pending_index,
    };
    (scan, vec![part])
}

/// Join records told again in a later unit (same request id) into the first one, as one pass
/// over everything would: the earliest sighting keeps the record, later ones fill its gaps
/// and are marked dead. Units are parts of one file, or of many files in input order; records
/// already marked dead in `dead` (grown to fit) are left alone. Within a unit nothing is
/// joined (the scan of that unit already did). Returns the dead marks.
pub fn join_units(units: &mut [Vec<Record>], dead: &mut Vec<Vec<bool>>) -> Vec<Vec<bool>> {
    let ids: Vec<Vec<Option<&str>>> = units
        .iter()
        .map(|u| u.iter().map(|r| r.request_id.as_deref()).collect())
        .collect();
    let (dead, joins) = join_plan(&ids, dead);
    for ((u, i), (g, j)) in joins {
        // Earlier units on the left of the split, this one on the right.
        let (left, right) = units.split_at_mut(u);
        let slot = &mut right[0][i];
        let placeholder = Record::new(slot.source_kind, slot.outcome);
        left[g][j].absorb(std::mem::replace(slot, placeholder));
    }
    dead
}

/// One join of a [`JoinPlan`]: the record (unit, index) joins the earlier record (unit,
/// index).
pub type Join = ((usize, usize), (usize, usize));

/// Where records join, by request id alone (see [`join_units`]): the dead marks, and each
/// record that joins an earlier one with that record, in unit and index order. Applying the
/// joins in that order gives what [`join_units`] gives (a record that others join never
/// joins one itself). Only joins are listed, so the plan costs memory for them alone.
pub type JoinPlan = (Vec<Vec<bool>>, Vec<Join>);

pub fn join_plan(ids: &[Vec<Option<&str>>], dead: &mut Vec<Vec<bool>>) -> JoinPlan {
    let mut dead = std::mem::take(dead);
    dead.resize_with(ids.len(), Vec::new);
    for (d, u) in dead.iter_mut().zip(ids) {
        d.resize(u.len(), false);
    }
    let mut joins = Vec::new();
    let mut by_id: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (u, dead_here) in dead.iter_mut().enumerate() {
        for (i, id) in ids[u].iter().enumerate() {
            if dead_here[i] {
                continue;
            }
            let Some(id) = *id else {
                continue;
            };
            if let Some(&(g, j)) = by_id.get(id) {
                if g != u {
                    joins.push(((u, i), (g, j)));
                    dead_here[i] = true;
                    continue;
                }
            }
            by_id.insert(id, (u, i));
        }
    }
    (dead, joins)
}

fn scanned(opts: &ScanOptions, bytes: u64) {
    if let Some(p) = &opts.progress {
        p.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Where each chunk starts: the first line start at or after each multiple of the chunk size.
fn boundaries(file: &mut File, size: u64, chunk: u64) -> io::Result<Vec<u64>> {
    let mut starts = vec![0u64];
    let mut nominal = chunk;
    while nominal < size {
        let Some(b) = line_start_at_or_after(file, nominal)? else {
            break;
        };
        if b >= size {
            break;
        }
        if b > *starts.last().unwrap_or(&0) {
            starts.push(b);
        }
        nominal = b.max(nominal) + chunk;
    }
    Ok(starts)
}

/// Lines a chunk's warm-up covers at least: the longest multi-line record a parser holds,
/// plus the distance over which records of one producer join.
const WARMUP_LINES: u64 = crate::input::toolkit::limits::MAX_LINES + PRODUCER_JOIN_DISTANCE;

/// The start of the line `lines` lines before the line that starts at `at`, or the start of
/// the file; reading back at most `max_bytes` (then the furthest line start found, or `at`).
fn line_start_lines_before(
    file: &mut File,
    at: u64,
    lines: u64,
    max_bytes: u64,
) -> io::Result<u64> {
    let floor = at.saturating_sub(max_bytes);
    let mut block = vec![0u8; 64 * 1024];
    // `at - 1` is the newline that ends the line before; line starts are just after newlines.
    let mut end = at.saturating_sub(1);
    let mut found = 0u64;
    let mut best = at;
    while end > floor {
        let from = end.saturating_sub(block.len() as u64).max(floor);
        let buf = &mut block[..(end - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        if file.read_exact(buf).is_err() {
            // The file changed under us (truncated by rotation): the byte warm-up stands.
            return Ok(at);
        }
        for i in memchr::memrchr_iter(b'\n', buf) {
            best = from + i as u64 + 1;
            found += 1;
            if found == lines {
                return Ok(best);
            }
        }
        end = from;
    }
    Ok(if floor == 0 { 0 } else { best })
}

/// The first offset `>= at` that starts a line (0, or just after a `\n`); `None` past the end.
fn line_start_at_or_after(file: &mut File, at: u64) -> io::Result<Option<u64>> {
    if at == 0 {
        return Ok(Some(0));
    }
    file.seek(SeekFrom::Start(at - 1))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut pos = at - 1;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', buf) {
            return Ok(Some(pos + i as u64 + 1));
        }
        let n = buf.len();
        reader.consume(n);
        pos += n as u64;
    }
}

/// One chunk's result, with line numbers still relative to where its reader started.
struct Chunk {
    scan: FileScan,
    /// Index of each failure left in `scan` (see [`Part::pending_index`]).
    index: Vec<u32>,
    warnings: Vec<(Option<u64>, String)>,
    /// Lines read before the chunk's first own line.
    before: u64,
}

type Parts<T> = (FileScan, Vec<Part<T>>);

fn scan_chunked<S: Settler>(
    display: &str,
    path: &Path,
    size: u64,
    opts: &ScanOptions,
    make: &(dyn Fn() -> S + Sync),
) -> io::Result<Option<Parts<S>>> {
    let mut file = File::open(path)?;
    let starts = boundaries(&mut file, size, opts.chunk_bytes)?;
    if starts.len() < 2 {
        return Ok(None);
    }
    let mut jobs = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied();
        let warm = if start == 0 {
            0
        } else {
            let by_bytes =
                line_start_at_or_after(&mut file, start.saturating_sub(opts.warmup_bytes))?
                    .unwrap_or(start)
                    .min(start);
            // At least the lines that one record and its joins can span, however long they
            // are (bounded by a chunk's length, or 8 MiB): a success or a retry chain that
            // began before a shorter warm-up would be told twice, once by each chunk.
            let by_lines = line_start_lines_before(
                &mut file,
                start,
                WARMUP_LINES,
                opts.chunk_bytes.max(8 << 20),
            )?;
            by_bytes.min(by_lines)
        };
        jobs.push((warm, start, end));
    }
    let parts: Vec<io::Result<(Chunk, S)>> = jobs
        .par_iter()
        .map(|&(warm, start, end)| {
            let mut settled = make();
            let part = scan_part(display, path, opts, warm, start, end, &mut settled)
                .map(|c| (c, settled));
            scanned(opts, end.unwrap_or(size) - start);
            part
        })
        .collect();
    let mut ok = Vec::with_capacity(parts.len());
    for p in parts {
        ok.push(p?);
    }
    Ok(Some(merge(display, ok)))
}

fn scan_part(
    display: &str,
    path: &Path,
    opts: &ScanOptions,
    warm: u64,
    start: u64,
    end: Option<u64>,
    settler: &mut dyn Settler,
) -> io::Result<Chunk> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(warm))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut sink = Sink::settling(display, opts, settler);
    let window = Window {
        start: start - warm,
        end: end.map(|e| e - warm),
    };
    let before = scan_lines_in(&mut reader, &mut sink, Some(window));
    let (mut scan, warnings, index) = sink.finish_part();
    scan.failures = settler.hold(std::mem::take(&mut scan.failures));
    Ok(Chunk {
        scan,
        index,
        warnings,
        before,
    })
}

/// Put the chunks back together in file order: renumber lines and add up counts. Failures
/// stay apart, one part per chunk (see [`join_units`]).
fn merge<S>(display: &str, chunks: Vec<(Chunk, S)>) -> Parts<S> {
    let mut out = FileScan {
        file: display.to_string(),
        ..FileScan::default()
    };
    let mut parts = Vec::with_capacity(chunks.len());
    let mut warnings: Vec<String> = Vec::new();
    let mut lines_so_far = 0u64;
    let mut said_invalid_utf8 = false;
    for (chunk, settled) in chunks {
        let delta = lines_so_far.saturating_sub(chunk.before);
        let mut s = chunk.scan;
        let mut pending = std::mem::take(&mut s.failures);
        for f in &mut pending {
            f.line = f.line.map(|l| l + delta);
        }
        pending.shrink_to_fit();
        parts.push(Part {
            delta,
            settled,
            pending,
            pending_index: chunk.index,
        });
        for w in format_warnings(chunk.warnings, delta) {
            let utf8 = w.ends_with("invalid UTF-8, decoded with replacement characters");
            if utf8 && said_invalid_utf8 {
                continue;
            }
            said_invalid_utf8 |= utf8;
            if warnings.len() < MAX_WARNINGS {
                warnings.push(w);
            }
        }
        for (k, n) in s.formats {
            *out.formats.entry(k).or_default() += n;
        }
        for (k, n) in s.successes {
            *out.successes.entry(k).or_default() += n;
        }
        out.lines.add(&s.lines);
        out.span = match (out.span, s.span) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some((earlier(a.0, b.0), later(a.1, b.1))),
        };
        if out.unreadable.is_none() {
            out.unreadable = s.unreadable;
        }
        lines_so_far += s.lines.read;
    }
    out.warnings = warnings;
    (out, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_goes_back_whole_lines() {
        let dir = std::env::temp_dir().join(format!("cls-warm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.log");
        // Line starts: 0 "a", 2 "bb", 5 "ccc", 9 "d".
        std::fs::write(&p, b"a\nbb\nccc\nd\n").unwrap();
        let mut f = File::open(&p).unwrap();
        let back = |f: &mut File, n, max| line_start_lines_before(f, 9, n, max).unwrap();
        assert_eq!(back(&mut f, 1, 100), 5);
        assert_eq!(back(&mut f, 2, 100), 2);
        assert_eq!(back(&mut f, 3, 100), 0);
        assert_eq!(back(&mut f, 50, 100), 0);
        // No further back than `max` bytes: the furthest line start within them.
        assert_eq!(back(&mut f, 3, 5), 5);
        assert_eq!(back(&mut f, 3, 2), 9);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn boundaries_fall_on_line_starts() {
        let dir = std::env::temp_dir().join(format!("cls-chunk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.log");
        std::fs::write(&p, b"aaaa\nbb\ncccccccc\nd\n").unwrap();
        let mut f = File::open(&p).unwrap();
        let b = boundaries(&mut f, 19, 6).unwrap();
        assert_eq!(b, [0, 8, 17]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
