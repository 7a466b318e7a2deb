//! The per-line marker pass ([`super::sdks::marks`]): every occurrence of about eighty short
//! marker words, overlapping or not.
//!
//! Every application-log line is searched for the words of eight parser groups in one pass.
//! The words overlap (groups share words, and a short word may end inside a longer one), so
//! the search must report every occurrence. The `aho-corasick` crate does this with
//! `find_overlapping_iter`, which walks an automaton byte by byte; on the application log that
//! was a third of the CPU time, and a plain dense table walked the same way (tried first) was
//! no faster: each step waits for the load of the one before. So [`Words::each_by_start`]
//! finds the positions where a word may start with the crate's vectorized packed searcher
//! (Teddy; many bytes per step, a fingerprint of each word's first bytes), and walks the trie
//! of the words from each such position only. On 100 MB of the application log, on one
//! thread, the pass went from a third of 0.86 s to a quarter of 0.76 s (perf).
//!
//! [`Words::each`] (the dense automaton) is the reference, used where no packed searcher can
//! be built (a CPU without SSSE3, a target other than x86-64 or aarch64); it reports what
//! `AhoCorasick::find_overlapping_iter` reports, in the same order: by end position, and at
//! one end the longest word first (equal words in insertion order). Tests hold both to the
//! crate on random text built from pieces of the words.

/// Set on a transition whose target state reports at least one word.
const MATCH: u32 = 1 << 31;
/// How many first bytes of each word the packed searcher looks for.
const PREFIX: usize = 4;

pub(crate) struct Words {
    /// Byte to class: every byte that occurs in a word has its own class, all others share 0.
    classes: [u8; 256],
    /// Number of classes (the row length).
    stride: usize,
    /// `state * stride + class` -> `next_state * stride`, with [`MATCH`] set when the next state
    /// reports words.
    table: Vec<u32>,
    /// Words reported per state (indexed by the state number, not premultiplied).
    reports: Vec<Vec<u32>>,
    /// The trie: `state * stride + class` -> child state (0 = none).
    trie: Vec<u32>,
    /// Words that end exactly at each trie state, and the state's depth.
    own: Vec<Vec<u32>>,
    depth: Vec<u32>,
    /// Length of each word.
    lens: Vec<u32>,
    /// Finds where words may start, many bytes at a time (Teddy, when the CPU has it).
    starts: Option<aho_corasick::packed::Searcher>,
}

impl Words {
    /// Build the automaton. Words are byte strings; an empty word is never reported.
    pub(crate) fn new<S: AsRef<[u8]>>(words: &[S]) -> Words {
        let mut classes = [0u8; 256];
        let mut stride = 1usize;
        for w in words {
            for &b in w.as_ref() {
                if classes[b as usize] == 0 {
                    classes[b as usize] = stride as u8;
                    stride += 1;
                }
            }
        }
        assert!(stride <= 256, "too many distinct bytes");
        // The trie, one row of `stride` children per state (0 = none; the root is state 0 and
        // is never a child).
        let mut goto: Vec<u32> = vec![0; stride];
        let mut own: Vec<Vec<u32>> = vec![Vec::new()];
        let mut depth: Vec<u32> = vec![0];
        for (id, w) in words.iter().enumerate() {
            let w = w.as_ref();
            if w.is_empty() {
                continue;
            }
            let mut s = 0usize;
            for &b in w {
                let c = classes[b as usize] as usize;
                let next = goto[s * stride + c];
                s = if next == 0 {
                    let n = own.len();
                    own.push(Vec::new());
                    depth.push(depth[s] + 1);
                    goto.extend(std::iter::repeat_n(0, stride));
                    goto[s * stride + c] = n as u32;
                    n
                } else {
                    next as usize
                };
            }
            own[s].push(id as u32);
        }
        let states = own.len();
        // Breadth first: failure links, reports (own words, then the failure state's), and the
        // full transition function.
        let mut fail = vec![0usize; states];
        let mut reports: Vec<Vec<u32>> = own.clone();
        let mut delta = vec![0u32; states * stride];
        let mut queue = std::collections::VecDeque::new();
        for c in 0..stride {
            let child = goto[c] as usize;
            if child != 0 {
                fail[child] = 0;
                delta[c] = child as u32;
                queue.push_back(child);
            }
        }
        while let Some(s) = queue.pop_front() {
            let inherited = reports[fail[s]].clone();
            reports[s].extend(inherited);
            for c in 0..stride {
                let child = goto[s * stride + c] as usize;
                if child != 0 {
                    fail[child] = delta[fail[s] * stride + c] as usize;
                    delta[s * stride + c] = child as u32;
                    queue.push_back(child);
                } else {
                    delta[s * stride + c] = delta[fail[s] * stride + c];
                }
            }
        }
        assert!(
            states * stride < MATCH as usize,
            "automaton too large for its table"
        );
        let table = delta
            .iter()
            .map(|&t| {
                let t = t as usize;
                let flag = if reports[t].is_empty() { 0 } else { MATCH };
                (t * stride) as u32 | flag
            })
            .collect();
        let starts = {
            let mut config = aho_corasick::packed::Config::new();
            config.heuristic_pattern_limits(false);
            // The words' first bytes are enough to find where they may start (the trie walk
            // checks the rest); fewer, shorter patterns make the search's own checks cheaper.
            let mut prefixes: Vec<&[u8]> = words
                .iter()
                .map(AsRef::as_ref)
                .filter(|w| !w.is_empty())
                .map(|w| &w[..w.len().min(PREFIX)])
                .collect();
            prefixes.sort_unstable();
            prefixes.dedup();
            let mut builder = config.builder();
            for p in prefixes {
                builder.add(p);
            }
            builder.build()
        };
        Words {
            classes,
            stride,
            table,
            reports,
            trie: goto,
            own,
            depth,
            lens: words.iter().map(|w| w.as_ref().len() as u32).collect(),
            starts,
        }
    }

    /// Call `found(start, end, word)` for every occurrence of every word in `hay`, in no
    /// promised order (by start with the packed searcher, by end without); stop when it
    /// returns `false`. Sorted by `(end, start, word)`, these are exactly what
    /// [`Words::each`] reports.
    #[inline]
    pub(crate) fn each_by_start(
        &self,
        hay: &[u8],
        mut found: impl FnMut(usize, usize, usize) -> bool,
    ) {
        let Some(starts) = &self.starts else {
            self.each(hay, |end, w| found(end - self.lens[w] as usize, end, w));
            return;
        };
        let mut from = 0;
        while from < hay.len() {
            let Some(hit) = starts.find_in(hay, aho_corasick::Span::from(from..hay.len())) else {
                return;
            };
            let start = hit.start();
            let mut s = 0usize;
            for &b in &hay[start..] {
                let c = self.classes[b as usize] as usize;
                if c == 0 {
                    break;
                }
                s = self.trie[s * self.stride + c] as usize;
                if s == 0 {
                    break;
                }
                for &w in &self.own[s] {
                    if !found(start, start + self.depth[s] as usize, w as usize) {
                        return;
                    }
                }
            }
            from = start + 1;
        }
    }

    /// Call `found(end, word)` for every occurrence of every word in `hay`, in the order
    /// described in the module documentation; stop when it returns `false`.
    #[inline]
    pub(crate) fn each(&self, hay: &[u8], mut found: impl FnMut(usize, usize) -> bool) {
        let table = &self.table[..];
        let classes = &self.classes;
        let mut at = 0u32;
        for (i, &b) in hay.iter().enumerate() {
            let entry = table[at as usize + classes[b as usize] as usize];
            at = entry & !MATCH;
            if entry & MATCH != 0 {
                for &w in &self.reports[at as usize / self.stride] {
                    if !found(i + 1, w as usize) {
                        return;
                    }
                }
            }
        }
    }
}

/// Whether any of a few dozen words occurs in a text: the crate's vectorized packed searcher
/// (Teddy) when the CPU has it, several times cheaper per line than an automaton for the
/// short word lists the parsers ask about on every line; the automaton otherwise.
pub(crate) enum AnyOf {
    Packed(aho_corasick::packed::Searcher),
    Automaton(aho_corasick::AhoCorasick),
}

impl AnyOf {
    pub(crate) fn new<S: AsRef<[u8]>>(words: &[S]) -> AnyOf {
        let mut builder = aho_corasick::packed::Config::new().builder();
        for w in words {
            builder.add(w);
        }
        match builder.build() {
            Some(p) => AnyOf::Packed(p),
            None => {
                AnyOf::Automaton(aho_corasick::AhoCorasick::new(words).expect("static automaton"))
            }
        }
    }

    #[inline]
    pub(crate) fn is_match(&self, hay: &str) -> bool {
        match self {
            AnyOf::Packed(p) => p.find(hay).is_some(),
            AnyOf::Automaton(a) => a.is_match(hay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Words;

    fn ours(words: &[&str], hay: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        Words::new(words).each(hay.as_bytes(), |end, w| {
            out.push((end, w));
            true
        });
        out
    }

    /// What [`Words::each_by_start`] reports, in the order of [`Words::each`].
    /// With the packed searcher, and without it (as on a CPU that has none), the same.
    fn by_start(words: &[&str], hay: &str) -> Vec<(usize, usize)> {
        let packed = Words::new(words);
        let mut plain = Words::new(words);
        plain.starts = None;
        let run = |w: &Words| {
            let mut out = Vec::new();
            w.each_by_start(hay.as_bytes(), |start, end, w| {
                out.push((end, start, w));
                true
            });
            out
        };
        let mut out = run(&packed);
        let mut without = run(&plain);
        without.sort();
        let starts: Vec<usize> = out.iter().map(|m| m.1).collect();
        assert!(starts.windows(2).all(|p| p[0] <= p[1]), "by start: {out:?}");
        out.sort();
        assert_eq!(out, without, "{words:?} {hay:?}");
        out.into_iter().map(|(end, _, w)| (end, w)).collect()
    }

    fn crates(words: &[&str], hay: &str) -> Vec<(usize, usize)> {
        aho_corasick::AhoCorasick::new(words)
            .unwrap()
            .find_overlapping_iter(hay)
            .map(|m| (m.end(), m.pattern().as_usize()))
            .collect()
    }

    #[test]
    fn reports_overlapping_words_like_the_crate() {
        let words = ["he", "she", "his", "hers", "e", "she", "abcd", "bc", "c"];
        for hay in ["ushers", "shehishers", "abcd", "xabcbcd", "", "zzz", "eeee"] {
            assert_eq!(ours(&words, hay), crates(&words, hay), "{hay}");
            assert_eq!(by_start(&words, hay), crates(&words, hay), "{hay}");
        }
    }

    /// Random text made of pieces of the words (so that partial and overlapping occurrences
    /// are common) and a few other bytes, over random word lists; a fixed seed keeps it
    /// reproducible.
    #[test]
    fn agrees_with_the_crate_on_random_text() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet = ["a", "b", "c", "ab", "] ", "\"", "Error", ": ", "é", "ü"];
        for _ in 0..400 {
            let words: Vec<String> = (0..1 + next(12))
                .map(|_| {
                    (0..1 + next(4))
                        .map(|_| alphabet[next(alphabet.len())])
                        .collect()
                })
                .collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            for _ in 0..20 {
                let mut hay = String::new();
                for _ in 0..next(60) {
                    let w = words[next(words.len())];
                    let cut = next(w.len() + 1);
                    let piece = if w.is_char_boundary(cut) {
                        &w[..cut]
                    } else {
                        w
                    };
                    hay.push_str(piece);
                    if next(4) == 0 {
                        hay.push_str(alphabet[next(alphabet.len())]);
                    }
                }
                let want = crates(&words, &hay);
                assert_eq!(ours(&words, &hay), want, "{words:?} {hay:?}");
                assert_eq!(by_start(&words, &hay), want, "{words:?} {hay:?}");
            }
        }
    }

    #[test]
    fn any_of_agrees_with_the_automaton() {
        let words = ["error", "Error", "ERR", "EOF", "oo many", "\u{274c}"];
        let any = super::AnyOf::new(&words);
        let ac = aho_corasick::AhoCorasick::new(words).unwrap();
        for hay in [
            "",
            "E",
            "ERROR: x",
            "too many requests",
            "fine line with nothing to see here at all, long enough for the vector loop",
            "unexpected EOF",
            "\u{274c} failed",
            "errorerror",
            "no match in this one either, quite long long long long long long long long",
        ] {
            assert_eq!(any.is_match(hay), ac.is_match(hay), "{hay}");
        }
    }

    #[test]
    fn stops_when_asked() {
        let mut seen = 0;
        Words::new(&["a"]).each(b"aaaa", |_, _| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
    }
}
