//! Finding the inputs: files, directories (recursively, VCS folders skipped, symlink loops
//! cut), `.gz` files and `-` for stdin, in a deterministic order; and opening them as byte
//! streams with gzip decoded.
//!
//! Nothing here knows about log formats.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One input to scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Stdin,
    File {
        /// The path as the user would write it, with `/` separators.
        display: String,
        path: PathBuf,
    },
}

impl Input {
    pub fn display(&self) -> &str {
        match self {
            Input::Stdin => "-",
            Input::File { display, .. } => display,
        }
    }
}

/// A problem with one path that does not stop the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub reason: String,
}

const SKIPPED_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj", ".bzr", "_darcs"];

/// Expand the given paths into inputs. Directory contents are sorted by name so the order
/// is the same on every machine; explicitly given paths keep the user's order.
pub fn discover(paths: &[String]) -> (Vec<Input>, Vec<Problem>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let mut seen_files = BTreeSet::new();
    for p in paths {
        if p == "-" {
            if !inputs.contains(&Input::Stdin) {
                inputs.push(Input::Stdin);
            }
            continue;
        }
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Err(e) => problems.push(Problem {
                file: slashed(p),
                reason: io_reason(&e),
            }),
            Ok(m) if m.is_dir() => {
                let mut visited = BTreeSet::new();
                walk(
                    &path,
                    &slashed(p),
                    &mut visited,
                    &mut seen_files,
                    &mut inputs,
                    &mut problems,
                );
            }
            Ok(_) => {
                let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if seen_files.insert(key) {
                    inputs.push(Input::File {
                        display: slashed(p),
                        path,
                    });
                }
            }
        }
    }
    (inputs, problems)
}

fn walk(
    dir: &Path,
    display: &str,
    visited: &mut BTreeSet<PathBuf>,
    seen_files: &mut BTreeSet<PathBuf>,
    inputs: &mut Vec<Input>,
    problems: &mut Vec<Problem>,
) {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(canonical) {
        problems.push(Problem {
            file: display.to_string(),
            reason: "symlink loop: directory already visited, skipped".into(),
        });
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem {
                file: display.to_string(),
                reason: io_reason(&e),
            });
            return;
        }
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => names.push((e.file_name().to_string_lossy().into_owned(), e.path())),
            Err(e) => problems.push(Problem {
                file: display.to_string(),
                reason: format!("an entry could not be listed: {}", io_reason(&e)),
            }),
        }
    }
    names.sort();
    for (name, path) in names {
        let child = if display.ends_with('/') {
            format!("{display}{name}")
        } else {
            format!("{display}/{name}")
        };
        match std::fs::metadata(&path) {
            Err(e) => problems.push(Problem {
                file: child,
                reason: io_reason(&e),
            }),
            Ok(m) if m.is_dir() => {
                if !SKIPPED_DIRS.contains(&name.as_str()) {
                    walk(&path, &child, visited, seen_files, inputs, problems);
                }
            }
            Ok(m) if m.is_file() => {
                let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if seen_files.insert(key) {
                    inputs.push(Input::File {
                        display: child,
                        path,
                    });
                }
            }
            // Sockets, FIFOs, devices: not logs, and opening a FIFO without a writer would
            // block the run. Given by name (`<(zcat x.gz)`), a pipe is read; met in a
            // directory, it is skipped with a warning.
            Ok(m) => problems.push(Problem {
                file: child,
                reason: format!("{}, not a regular file: skipped", special_kind(&m)),
            }),
        }
    }
}

/// What kind of special file this is, in words.
fn special_kind(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = m;
    "a special file"
}

fn slashed(p: &str) -> String {
    if std::path::MAIN_SEPARATOR == '\\' {
        p.replace('\\', "/")
    } else {
        p.to_string()
    }
}

pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Open an input as a buffered byte stream, decoding gzip (detected by its magic bytes, not
/// the name). Multi-member gzip files are read whole; they are decoded on a thread of their
/// own, ahead of the scan (a gzip file is read in one pass: this way decoding and parsing
/// use two cores).
pub fn open(input: &Input) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File { path, .. } => Box::new(File::open(path)?),
    };
    decoded(raw)
}

/// [`open`] for an input already open (a file is opened once: a named pipe opened twice
/// may have lost its writer in between).
pub fn decoded(raw: Box<dyn Read + Send>) -> io::Result<Box<dyn BufRead + Send>> {
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let head = reader.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        let gz = flate2::bufread::MultiGzDecoder::new(reader);
        Ok(Box::new(ReadAhead::spawn(gz)))
    } else {
        Ok(Box::new(reader))
    }
}

/// Bytes read on another thread, a few blocks ahead of the reader. The stream is the same,
/// byte for byte, as reading the source directly, ending with the source's error if it has
/// one. Dropping the reader stops the thread: it ends when it cannot hand its next block over
/// (it is not waited for, so a source that blocks cannot hold the run up).
pub struct ReadAhead {
    blocks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    block: Vec<u8>,
    at: usize,
    /// The source's error or end, once met.
    ended: bool,
}

impl ReadAhead {
    const BLOCK: usize = 256 * 1024;
    /// Blocks decoded ahead at most (memory: this many blocks per open gzip input).
    const AHEAD: usize = 4;

    pub fn spawn<R: Read + Send + 'static>(source: R) -> ReadAhead {
        let (tx, rx) = std::sync::mpsc::sync_channel(Self::AHEAD);
        let mut source = source;
        let fill = move || loop {
            let mut block = vec![0u8; Self::BLOCK];
            let mut n = 0;
            let result = loop {
                match source.read(&mut block[n..]) {
                    Ok(0) => break Ok(()),
                    Ok(k) => {
                        n += k;
                        if n == block.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            block.truncate(n);
            let last = n == 0 || result.is_err();
            if n > 0 && tx.send(Ok(block)).is_err() {
                return;
            }
            if let Err(e) = result {
                let _ = tx.send(Err(e));
                return;
            }
            if last {
                return;
            }
        };
        // If no thread can be started, reading fails with that error (and says so).
        let blocks = match std::thread::Builder::new()
            .name("gunzip".into())
            .spawn(fill)
        {
            Ok(_) => rx,
            Err(e) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let _ = tx.send(Err(e));
                rx
            }
        };
        ReadAhead {
            blocks,
            block: Vec::new(),
            at: 0,
            ended: false,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.block.len() && !self.ended {
            match self.blocks.recv() {
                Ok(Ok(block)) => {
                    self.block = block;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(_) => self.ended = true,
            }
        }
        Ok(&self.block[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.block.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_vcs_dirs() {
        let dir = std::env::temp_dir().join(format!("cls-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("b/z.log"), "x").unwrap();
        std::fs::write(dir.join("a.log"), "x").unwrap();
        std::fs::write(dir.join(".git/HEAD"), "x").unwrap();
        let root = dir.to_string_lossy().into_owned();
        let (inputs, problems) = discover(&[root.clone(), format!("{root}/missing")]);
        let names: Vec<_> = inputs.iter().map(|i| i.display().to_string()).collect();
        assert_eq!(
            names,
            vec![format!("{root}/a.log"), format!("{root}/b/z.log")]
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].reason.contains("no such file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod read_ahead_tests {
    use super::ReadAhead;
    use std::io::{self, BufRead, Read};

    /// A source that yields `data` in uneven pieces, then an error (if any).
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        fail: bool,
    }

    impl Read for Pieces {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fail {
                    Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut short"))
                } else {
                    Ok(0)
                };
            }
            let n = (self.at % 7_919 + 1)
                .min(out.len())
                .min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn the_same_bytes_then_the_same_error() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 31 % 251) as u8).collect();
        for fail in [false, true] {
            let mut r = ReadAhead::spawn(Pieces {
                data: data.clone(),
                at: 0,
                fail,
            });
            let mut got = Vec::new();
            let err = loop {
                match r.fill_buf() {
                    Ok([]) => break None,
                    Ok(b) => {
                        let n = b.len().min(1000);
                        got.extend_from_slice(&b[..n]);
                        r.consume(n);
                    }
                    Err(e) => break Some(e),
                }
            };
            assert_eq!(got, data);
            assert_eq!(
                err.map(|e| e.kind()),
                fail.then_some(io::ErrorKind::UnexpectedEof)
            );
            // After the end (or the error), it stays at the end.
            assert_eq!(r.read(&mut [0u8; 8]).unwrap(), 0);
        }
    }

    /// An endless source, counting what it is asked for.
    struct Endless(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl Read for Endless {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            out.fill(b'x');
            Ok(out.len())
        }
    }

    #[test]
    fn dropping_the_reader_early_stops_the_thread() {
        let reads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut r = ReadAhead::spawn(Endless(reads.clone()));
        assert_eq!(r.fill_buf().unwrap()[0], b'x');
        drop(r);
        // It may finish the block in hand (a few reads), then reads no more.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let stopped = reads.load(std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), stopped);
    }
}
