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
/// the name). Multi-member gzip files are read whole.
pub fn open(input: &Input) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File { path, .. } => Box::new(File::open(path)?),
    };
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let head = reader.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        let gz = flate2::bufread::MultiGzDecoder::new(reader);
        Ok(Box::new(BufReader::with_capacity(256 * 1024, gz)))
    } else {
        Ok(Box::new(reader))
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
