//! Every sample, mutated many ways (cut anywhere, including inside a UTF-8 character; bytes
//! flipped; multi-byte characters and brackets spliced in; lines duplicated or dropped), goes
//! through the real scanner: no panic, and the line counts add up. Deterministic, so a failure
//! names the sample and the mutation. This is a stand-in for coverage-guided fuzzing, not a
//! replacement.

use crate::common;

use claude_logscan::input::{scan, ScanOptions};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPLICES: &[&[u8]] = &[
    "⎿".as_bytes(),
    "·".as_bytes(),
    "…".as_bytes(),
    "é".as_bytes(),
    b"\xff\xfe",
    b"{",
    b"}",
    b"[",
    b"\"",
    b"'",
    b"\\",
    b"\n",
    b"\r\n",
    b"\x1b[31m",
    b"Traceback (most recent call last):\n",
    b"Error code: 429 - {'type': 'error', 'error': {",
    b"event: error\ndata: {\"type\":\"error\"",
];

fn mutate(data: &[u8], rng: &mut Rng) -> (String, Vec<u8>) {
    let mut d = data.to_vec();
    let kind = rng.below(6);
    let at = rng.below(d.len() + 1);
    match kind {
        0 => {
            d.truncate(at);
            (format!("cut at {at}"), d)
        }
        1 => {
            for _ in 0..8 {
                if d.is_empty() {
                    break;
                }
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            ("flipped bits".into(), d)
        }
        2 => {
            let s = SPLICES[rng.below(SPLICES.len())];
            d.splice(at..at, s.iter().copied());
            (
                format!("spliced {:?} at {at}", String::from_utf8_lossy(s)),
                d,
            )
        }
        3 => {
            let end = (at + rng.below(200)).min(d.len());
            d.drain(at..end);
            (format!("dropped {at}..{end}"), d)
        }
        4 => {
            let end = (at + rng.below(400)).min(d.len());
            let copy = d[at..end].to_vec();
            d.splice(at..at, copy);
            (format!("duplicated {at}..{end}"), d)
        }
        _ => {
            // Many splices at once.
            for _ in 0..20 {
                let s = SPLICES[rng.below(SPLICES.len())];
                let p = rng.below(d.len() + 1);
                d.splice(p..p, s.iter().copied());
            }
            ("20 splices".into(), d)
        }
    }
}

fn sample_files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![common::root().join("samples")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn mutated_samples_never_panic_and_counts_add_up() {
    let opts = ScanOptions {
        max_line_bytes: 4096,
        ..ScanOptions::default()
    };
    let mut rng = Rng(0xfeed_5eed);
    let mut runs = 0;
    for file in sample_files() {
        let data = std::fs::read(&file).unwrap();
        for _ in 0..300 {
            let (what, input) = mutate(&data, &mut rng);
            let label = format!("{} ({what})", file.display());
            let result = std::panic::catch_unwind(|| {
                let mut reader: &[u8] = &input;
                scan("mutated", &mut reader, &opts)
            });
            let s = result.unwrap_or_else(|_| panic!("panic on {label}"));
            let l = &s.lines;
            assert_eq!(
                l.read,
                l.relevant + l.noise + l.unparseable,
                "{label}: {l:?}"
            );
            runs += 1;
        }
    }
    assert!(runs >= 5_000, "{runs}");
}
