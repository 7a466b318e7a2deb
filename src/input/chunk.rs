//! Large line-oriented files, split into chunks at line boundaries and scanned in parallel.
//!
//! A chunk's scan starts a little before the chunk (the warm-up, [`ScanOptions::warmup_bytes`])
//! so that parsers catch up with a multi-line record or a retry chain that began earlier, and
//! reads on past its end only while one of its own records may still grow (see
//! [`super::Window`]). A record belongs to the chunk that read the line that created it;
//! counts count only a chunk's own lines. So every line is counted once and every record kept
//! once, whatever the chunking; what can differ from one whole-file pass is only state older
//! than the warm-up (a request id told again megabytes later is joined by the merge below).
//!
//! Chunk boundaries depend on the file's size and content only, never on the thread count,
//! so the output is the same at any number of threads.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use super::{format_warnings, scan_lines_in, sniff, FileScan, ScanOptions, Shape, Sink, Window};

/// Scan a file from disk: in chunks when it is a large plain-text log, else in one pass.
pub fn scan_file(display: &str, path: &Path, opts: &ScanOptions) -> io::Result<FileScan> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    if opts.chunk_bytes > 0 && size >= opts.chunk_bytes.saturating_mul(2) {
        let mut head = BufReader::with_capacity(64 * 1024, &mut file);
        let plain = {
            let h = head.fill_buf()?;
            !(h.len() >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        };
        if plain && sniff(&mut head)? == Shape::Lines {
            drop(head);
            if let Some(scan) = scan_chunked(display, path, size, opts)? {
                return Ok(scan);
            }
        }
    }
    let input = super::super::discover::Input::File {
        display: display.to_string(),
        path: path.to_path_buf(),
    };
    let mut reader = super::super::discover::open(&input)?;
    let scan = super::scan(display, &mut *reader, opts);
    scanned(opts, size);
    Ok(scan)
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
struct Part {
    scan: FileScan,
    warnings: Vec<(Option<u64>, String)>,
    /// Lines read before the chunk's first own line.
    before: u64,
}

fn scan_chunked(
    display: &str,
    path: &Path,
    size: u64,
    opts: &ScanOptions,
) -> io::Result<Option<FileScan>> {
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
            line_start_at_or_after(&mut file, start.saturating_sub(opts.warmup_bytes))?
                .unwrap_or(start)
                .min(start)
        };
        jobs.push((warm, start, end));
    }
    let parts: Vec<io::Result<Part>> = jobs
        .par_iter()
        .map(|&(warm, start, end)| {
            let part = scan_part(display, path, opts, warm, start, end);
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
) -> io::Result<Part> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(warm))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut sink = Sink::new(display, opts);
    let window = Window {
        start: start - warm,
        end: end.map(|e| e - warm),
    };
    let before = scan_lines_in(&mut reader, &mut sink, Some(window));
    let (scan, warnings) = sink.finish_part();
    Ok(Part {
        scan,
        warnings,
        before,
    })
}

/// Put the chunks back together in file order: renumber lines, add up counts, and join a
/// failure told again in a later chunk (same request id) into the first one, as one pass
/// over the file would.
fn merge(display: &str, parts: Vec<Part>) -> FileScan {
    let mut out = FileScan {
        file: display.to_string(),
        ..FileScan::default()
    };
    let mut warnings: Vec<String> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut lines_so_far = 0u64;
    let mut said_invalid_utf8 = false;
    // Sized once: growing by doubling would hold up to twice the file's failures.
    out.failures
        .reserve_exact(parts.iter().map(|p| p.scan.failures.len()).sum());
    for part in parts {
        let delta = lines_so_far.saturating_sub(part.before);
        let s = part.scan;
        let first_failure = out.failures.len();
        for mut f in s.failures {
            f.line = f.line.map(|l| l + delta);
            if let Some(id) = &f.request_id {
                if let Some(&i) = by_id.get(id) {
                    if i < first_failure {
                        out.failures[i].absorb(f);
                        continue;
                    }
                }
                by_id.insert(id.clone(), out.failures.len());
            }
            out.failures.push(f);
        }
        for w in format_warnings(part.warnings, delta) {
            let utf8 = w.ends_with("invalid UTF-8, decoded with replacement characters");
            if utf8 && said_invalid_utf8 {
                continue;
            }
            said_invalid_utf8 |= utf8;
            if warnings.len() < super::MAX_WARNINGS {
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
            (Some(a), Some(b)) => Some((super::earlier(a.0, b.0), super::later(a.1, b.1))),
        };
        if out.unreadable.is_none() {
            out.unreadable = s.unreadable;
        }
        lines_so_far += s.lines.read;
    }
    out.warnings = warnings;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
