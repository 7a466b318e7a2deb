//! The progress line on stderr.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// What the progress line shows: files and bytes scanned so far, of how many.
pub(crate) struct Progress<'a> {
    pub(crate) files_done: &'a AtomicUsize,
    pub(crate) files: usize,
    pub(crate) bytes_done: &'a AtomicU64,
    pub(crate) bytes: u64,
    pub(crate) finished: &'a AtomicBool,
}

impl Progress<'_> {
    /// Redraw the line on stderr in place every 100 ms; silent for runs under a second.
    /// Bytes move as files and the chunks of large files end.
    pub(crate) fn draw(self) {
        let started = std::time::Instant::now();
        let mut shown = false;
        while !self.finished.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if started.elapsed().as_millis() < 1000 {
                continue;
            }
            shown = true;
            let done = self.bytes_done.load(Ordering::Relaxed).min(self.bytes);
            let pct = if self.bytes > 0 {
                done as f64 * 100.0 / self.bytes as f64
            } else {
                0.0
            };
            eprint!(
                "\r\x1b[2Kclaude-logscan: {pct:3.0}% {} of {}, {}/{} files, {:.0}s",
                human_bytes(done),
                human_bytes(self.bytes),
                self.files_done.load(Ordering::Relaxed),
                self.files,
                started.elapsed().as_secs_f64()
            );
        }
        if shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `512 B`, `3.4 MB`, `1.2 GB` (powers of 1000, as disk sizes are usually read).
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn byte_counts_read_as_disk_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(512_000_000), "512.0 MB");
        assert_eq!(human_bytes(1_073_741_824), "1.1 GB");
        assert_eq!(human_bytes(u64::MAX), "18446744.1 TB");
    }
}
