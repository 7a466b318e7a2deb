//! Message templates, so that one kind of failure is one group: what no signature matches is
//! reported as `unknown.<hash of its template>`.
//!
//! Two steps. [`mask`] replaces what is surely variable in one message with `<*>`: numbers
//! with their sign, hex, ids, addresses, host names, paths, URLs, dates and times, quantities
//! with their unit. Then [`group`] learns from the distinct masked templates of a whole run
//! which of the remaining words vary: where templates agree everywhere but at one position,
//! and that position takes enough different words, it is a variable too, and the templates
//! become one. Repeated until nothing changes, this merges templates that differ in several
//! such positions.
//!
//! Invariants: [`mask`] looks at one message only. [`group`] is a pure function of the *set*
//! of distinct masked templates (neither their order nor their counts matter), so the groups
//! of partial runs merged are the groups of one run, at any thread count; its memory and time
//! grow with the number and length of distinct templates, never with lines.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The placeholder for a variable part.
pub const VAR: &str = "<*>";

/// A template keeps at least this many constant words besides a position that becomes a
/// variable: `Connection reset` and `Connection refused` stay two groups.
const MIN_CONSTANTS: usize = 2;

/// Different words a position must show, all else equal, before it counts as a variable:
/// lower-case names (user and host names) vary sooner than words with capitals, which are
/// more often the kind of event itself (`VM Paused`, `VM Resumed`, `"GET`, `"POST`).
const LOWER_CASE_VALUES: usize = 3;
const OTHER_VALUES: usize = 5;

/// Passes of [`group`] at most (each pass makes at least one more position a variable; real
/// runs settle in a few).
const MAX_PASSES: usize = 64;

/// Words that follow a number as its unit: `2034 bytes`, `(1.98 KB)`, `<1 sec`.
const UNITS: [&str; 27] = [
    "B", "KB", "MB", "GB", "TB", "PB", "kB", "KiB", "MiB", "GiB", "TiB", "bytes", "ms", "us", "µs",
    "ns", "s", "sec", "secs", "seconds", "min", "mins", "minutes", "h", "hours", "days", "%",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Top-level domains that make a dotted name a host name on their own (`hm.baidu.com`).
const GENERIC_TLDS: [&str; 17] = [
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "io",
    "ai",
    "dev",
    "app",
    "cloud",
    "local",
    "internal",
    "localdomain",
];
/// Second-level labels under a country domain (`cuhk.edu.hk`, `baidu.com.cn`).
const COUNTRY_SECOND_LEVELS: [&str; 9] =
    ["com", "net", "org", "edu", "gov", "ac", "co", "or", "ne"];

/// The message with what is surely variable replaced by `<*>`, words separated by one space.
pub fn mask(message: &str) -> String {
    let mut tokens: Vec<String> = message.split_whitespace().map(mask_token).collect();
    join_units_and_dates(&mut tokens);
    // A list of values, however long, is one variable: `blk_<*> blk_<*> blk_<*>` is `blk_<*>`.
    tokens.dedup_by(|a, b| a == b && a.contains(VAR));
    tokens.join(" ")
}

/// Bracket and quote characters around a value: `"GET`, `(1.98`, `KB)`, `port,`.
fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '`' | '(' | '[' | '{' | '<')
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '`' | ')' | ']' | '}' | '>' | ',' | ';' | ':' | '.' | '!' | '?'
    )
}

fn mask_token(token: &str) -> String {
    if matches!(
        token.trim_end_matches([',', ';']),
        "()" | "[]" | "{}" | "''" | "\"\"" | "<>"
    ) {
        // An empty value: `connection from 1.2.3.4 () at ...`.
        return VAR.to_string();
    }
    let core = token.trim_start_matches(is_opening);
    let lead = &token[..token.len() - core.len()];
    let core = core.trim_end_matches(is_closing);
    if core.is_empty() {
        return token.to_string();
    }
    let trail = &token[lead.len() + core.len()..];
    let masked = format!("{lead}{}{trail}", mask_value(core));
    if masked != VAR
        && masked.contains(VAR)
        && !masked.replace(VAR, "").chars().any(char::is_alphanumeric)
    {
        // Nothing but variables and punctuation: `/<*>:<*>`, `(<*>)`, `<*>,<*>`.
        return VAR.to_string();
    }
    masked
}

/// One value: a whole variable, or `key=value` / `key:value` with the value masked, or words
/// with the numbers and ids inside them masked.
fn mask_value(s: &str) -> String {
    if is_whole_variable(s) {
        return VAR.to_string();
    }
    if let Some(at) = key_end(s) {
        let (key, value) = s.split_at(at);
        let value_core = value.trim_start_matches(is_opening);
        let opening = &value[..value.len() - value_core.len()];
        return format!("{}{opening}{}", mask_words(key), mask_value(value_core));
    }
    if let Some(at) = url_start(s) {
        return format!("{}{VAR}", mask_words(&s[..at]));
    }
    mask_words(s)
}

/// Where the value of `key=value` (or `key:value`, the key a word) begins.
fn key_end(s: &str) -> Option<usize> {
    let at = s.find(['=', ':'])?;
    let key = &s[..at];
    let word = |k: &str| {
        k.starts_with(|c: char| c.is_ascii_alphabetic())
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    let ok = match s.as_bytes()[at] {
        b'=' => !key.is_empty(),
        _ => word(key) && !s[at..].starts_with("://"),
    };
    (ok && at + 1 < s.len()).then_some(at + 1)
}

/// Where a `scheme://` URL begins inside `s`.
fn url_start(s: &str) -> Option<usize> {
    let at = s.find("://")?;
    // The scheme's characters are ASCII: it begins after the last byte that is not one.
    let start = s.as_bytes()[..at]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))
        .map_or(0, |i| i + 1);
    let scheme = &s[start..at];
    (scheme.starts_with(|c: char| c.is_ascii_alphabetic()) && s.len() > at + 3).then_some(start)
}

fn is_whole_variable(s: &str) -> bool {
    url_start(s) == Some(0)
        || is_path(s)
        || is_uuid(s)
        || is_hex(s)
        || is_address(s)
        || is_timestamp(s)
        || is_host(s)
        || is_email(s)
}

/// `/var/log/app.log`, `~/x/y`, `./a/b`, `C:\Windows\...`, `\\server\share`.
fn is_path(s: &str) -> bool {
    let unix = ["/", "~/", "./", "../"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .is_some_and(|rest| {
            let mut parts = rest.split('/');
            parts.next().is_some_and(|p| !p.is_empty())
                && parts.next().is_some_and(|p| !p.is_empty())
        });
    let b = s.as_bytes();
    let windows = (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || s.starts_with("\\\\");
    unix || windows
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `0x7f3a`, or eight hex digits or more with both digits and letters (`a489c868f0c3`).
fn is_hex(s: &str) -> bool {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
    }
    is_hex_id(s)
}

fn is_hex_id(s: &str) -> bool {
    s.len() >= 8
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// IPv6 and MAC addresses (IPv4 is a chain of numbers, see [`mask_words`]).
fn is_address(s: &str) -> bool {
    s.bytes().filter(|b| *b == b':').count() >= 2
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'%'))
}

/// `2017-05-16T05:00:00Z` and the like: a date and whatever is glued to it.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// A host name with an optional port: `api.example.com:443`, `cp-1.utah.cloudlab.us`.
fn is_host(s: &str) -> bool {
    let name = match s.rsplit_once(':') {
        Some((n, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => s,
    };
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2
        || !labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return false;
    }
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    if tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    if GENERIC_TLDS.contains(&tld.as_str()) {
        return true;
    }
    let second = labels[labels.len() - 2].to_ascii_lowercase();
    tld.len() == 2
        && labels.len() >= 3
        && (COUNTRY_SECOND_LEVELS.contains(&second.as_str())
            || name.bytes().any(|b| b.is_ascii_digit() || b == b'-'))
}

fn is_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty()
            && user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
            && is_host(host)
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Letters and digits that alternate twice inside a word: an id (`i3beln7k`, `16T05`).
fn is_mixed_id(word: &str) -> bool {
    word.split('_').any(|part| {
        let mut changes = 0;
        let mut last: Option<bool> = None;
        for b in part.bytes() {
            let digit = b.is_ascii_digit();
            if last.is_some_and(|l| l != digit) {
                changes += 1;
            }
            last = Some(digit);
        }
        changes >= 2
    })
}

/// Words with the numbers (`-42`, `1.98`, `10.0.0.1:80`, `12:59:44`) and ids inside them
/// masked: `blk_-6952` is `blk_<*>`, `node-7` is `node-<*>`, `SOCKS5` is `SOCKS<*>`.
fn mask_words(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let word_start = is_word_byte(b[i]) && (i == 0 || !is_word_byte(b[i - 1]));
        if word_start {
            let end = b[i..]
                .iter()
                .position(|c| !is_word_byte(*c))
                .map_or(b.len(), |n| i + n);
            let word = &s[i..end];
            if word.bytes().any(|c| c.is_ascii_digit()) && (is_mixed_id(word) || is_hex_id(word)) {
                out.push_str(&s[copied..i]);
                out.push_str(VAR);
                i = end;
                copied = end;
                continue;
            }
        }
        // A sign belongs to the number when nothing alphanumeric is glued before it.
        let signed = matches!(b[i], b'-' | b'+')
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if b[i].is_ascii_digit() || signed {
            let mut j = i + 1;
            loop {
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j + 1 < b.len()
                    && matches!(b[j], b'.' | b',' | b':')
                    && b[j + 1].is_ascii_digit()
                {
                    j += 1;
                } else {
                    break;
                }
            }
            out.push_str(&s[copied..i]);
            out.push_str(VAR);
            i = j;
            copied = j;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

fn core_word(token: &str) -> &str {
    token
        .trim_start_matches(is_opening)
        .trim_end_matches(is_closing)
}

fn is_named(token: &str, names: &[&str]) -> bool {
    let w = core_word(token).to_ascii_lowercase();
    w.len() >= 3 && names.iter().any(|n| n.starts_with(w.as_str()))
}

/// A unit after a number is part of the quantity (`2034 bytes`, `(1.98 KB)`); a month before
/// a day (and a weekday before that) is part of the date (`Sun Jul <*>`).
fn join_units_and_dates(tokens: &mut Vec<String>) {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for t in tokens.drain(..) {
        if let Some(prev) = out.last_mut() {
            let unit = t.trim_end_matches(is_closing);
            if prev.ends_with(VAR) && UNITS.contains(&unit) {
                let joined = format!("{prev}{}", &t[unit.len()..]);
                *prev = if joined.replace(VAR, "").chars().any(char::is_alphanumeric) {
                    joined
                } else {
                    VAR.to_string()
                };
                continue;
            }
        }
        if t == VAR && out.last().is_some_and(|p| is_named(p, &MONTHS)) {
            out.pop();
            if out.last().is_some_and(|p| is_named(p, &WEEKDAYS)) {
                out.pop();
            }
        }
        out.push(t);
    }
    *tokens = out;
}

/// The words of a run's templates, each stored once; a template is a list of word ids.
#[derive(Default)]
struct Words {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Words {
    fn id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct words");
        self.names.push(word.to_string());
        self.ids.insert(word.to_string(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// Learn from the distinct masked templates of a run which positions vary; every template
/// maps to its final template (itself when nothing about it varies).
pub fn group<'a>(templates: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let inputs: BTreeSet<&str> = templates.into_iter().collect();
    // Word ids are given in the order of the sorted inputs, then of the sorted slots: the
    // same for the same set of templates.
    let mut words = Words::default();
    let var = words.id(VAR);
    let mut reps: Vec<Vec<u32>> = inputs
        .iter()
        .map(|t| {
            t.split(' ')
                .filter(|w| !w.is_empty())
                .map(|w| words.id(w))
                .collect()
        })
        .collect();
    // The current template of each input, as an index into `reps`.
    let mut of: Vec<usize> = (0..reps.len()).collect();
    for _ in 0..MAX_PASSES {
        let marks = varying_positions(&reps, &mut words, var);
        if marks.is_empty() {
            break;
        }
        let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut next: Vec<Vec<u32>> = Vec::new();
        let mut moved = vec![0; reps.len()];
        for (r, template) in reps.iter().enumerate() {
            let mut t: Vec<u32> = template
                .iter()
                .enumerate()
                .map(|(i, &w)| marks.get(&(r, i)).copied().unwrap_or(w))
                .collect();
            t.dedup_by(|a, b| *a == var && *b == var);
            moved[r] = match index.entry(t) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    next.push(e.key().clone());
                    *e.insert(next.len() - 1)
                }
            };
        }
        for o in &mut of {
            *o = moved[*o];
        }
        reps = next;
    }
    let text = |r: &[u32]| {
        r.iter()
            .map(|&w| words.name(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    inputs
        .into_iter()
        .zip(of)
        .map(|(t, r)| (t.to_string(), text(&reps[r])))
        .collect()
}

fn mix(a: u64, b: u64) -> u64 {
    // splitmix64 of the pair: a fixed function, so the same on every machine and run.
    let mut z = (a ^ b.rotate_left(29)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Every (template, position) whose word varies, with the word that replaces it: the
/// templates equal everywhere else show enough different words there.
fn varying_positions(
    reps: &[Vec<u32>],
    words: &mut Words,
    var: u32,
) -> BTreeMap<(usize, usize), u32> {
    // Templates equal but at one position share a slot: (hash of the rest, template,
    // position), sorted, so equal hashes are adjacent; compared word by word below.
    let mut slots: Vec<(u64, u32, u32)> = Vec::new();
    for (r, template) in reps.iter().enumerate() {
        let n = template.len();
        let constants = template.iter().filter(|&&w| w != var).count();
        let mut prefix = vec![0u64; n + 1];
        for j in 0..n {
            prefix[j + 1] = mix(prefix[j], u64::from(template[j]));
        }
        let mut suffix = vec![0u64; n + 1];
        for j in (0..n).rev() {
            suffix[j] = mix(suffix[j + 1], u64::from(template[j]));
        }
        for i in 0..n {
            let others = constants - usize::from(template[i] != var);
            if others < MIN_CONSTANTS {
                continue;
            }
            let key = mix(mix(prefix[i], suffix[i + 1]), ((n as u64) << 32) | i as u64);
            slots.push((key, r as u32, i as u32));
        }
    }
    slots.sort_unstable();
    let mut marks = BTreeMap::new();
    for slot in slots.chunk_by(|a, b| a.0 == b.0) {
        if slot.len() < 2 {
            continue;
        }
        let rest = |&(_, r, i): &(u64, u32, u32)| {
            let t = &reps[r as usize];
            let i = i as usize;
            (t.len(), i, &t[..i], &t[i + 1..])
        };
        let mut members = slot.to_vec();
        members.sort_by(|a, b| rest(a).cmp(&rest(b)).then(a.cmp(b)));
        for same in members.chunk_by(|a, b| rest(a) == rest(b)) {
            let i = same[0].2 as usize;
            let values: BTreeSet<&str> = same
                .iter()
                .map(|&(_, r, i)| words.name(reps[r as usize][i as usize]))
                .collect();
            if let Some(word) = variable(&values, i == 0) {
                let word = words.id(&word);
                for &(_, r, i) in same {
                    if reps[r as usize][i as usize] != word {
                        marks.insert((r as usize, i as usize), word);
                    }
                }
            }
        }
    }
    marks
}

/// The `key=` or `key:` the words seen at one position all begin with, if any.
fn common_key<'v>(values: &BTreeSet<&'v str>) -> &'v str {
    let mut words = values.iter();
    let Some(first) = words.next() else {
        return "";
    };
    let mut len = first.len();
    for w in words {
        len = first
            .bytes()
            .zip(w.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    let common = &first[..len];
    match common.rfind(['=', ':']) {
        Some(at) if at > 0 && first.as_bytes()[at - 1].is_ascii_alphanumeric() => &first[..=at],
        _ => "",
    }
}

/// The word a position becomes when the words seen there, all else equal, make it a variable:
/// `<*>`, or `key=<*>` when they are values of one key (`mask=<*>` beside `mask=ffffffff`).
fn variable(values: &BTreeSet<&str>, first: bool) -> Option<String> {
    let key = common_key(values);
    if !key.is_empty() {
        let rest: BTreeSet<&str> = values.iter().map(|v| &v[key.len()..]).collect();
        // A key's value takes the stricter count of words with capitals whatever its case:
        // `user=root` and `user=guest` are often told apart on purpose.
        let varied = rest.contains(VAR)
            || rest.iter().all(|v| v.contains(VAR))
            || rest.len() >= OTHER_VALUES;
        if rest.len() >= 2 && rest.iter().all(|v| !v.is_empty()) && varied {
            return Some(format!("{key}{VAR}"));
        }
    }
    varies(values, first).then(|| VAR.to_string())
}

/// Whether the words seen at one position, all else equal, make it a variable.
fn varies(values: &BTreeSet<&str>, first: bool) -> bool {
    if values.len() < 2 {
        return false;
    }
    // A variable there already (`Invalid user <*> from` beside `Invalid user admin from`), or
    // partly variable words (`Thunderbird_A<*>`, `Thunderbird_B<*>`).
    if values.contains(VAR) || values.iter().all(|v| v.contains(VAR)) {
        return true;
    }
    // The first word usually names the event (`boot (command <*>)`, `halt (command <*>)`).
    if first {
        return false;
    }
    let lower = values.iter().all(|v| {
        v.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
    });
    values.len()
        >= if lower {
            LOWER_CASE_VALUES
        } else {
            OTHER_VALUES
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grouped(lines: &[&str]) -> Vec<String> {
        let masked: Vec<String> = lines.iter().map(|l| mask(l)).collect();
        let groups = group(masked.iter().map(String::as_str));
        masked.iter().map(|m| groups[m].clone()).collect()
    }

    #[test]
    fn numbers_keep_their_sign_and_ids_their_prefix() {
        assert_eq!(
            mask("PacketResponder 1 for block blk_38865049064139660 terminating"),
            mask("PacketResponder 0 for block blk_-6952295868487656571 terminating"),
        );
        assert_eq!(mask("boot = -4131 and 1.98 ok"), "boot = <*> and <*> ok");
        assert_eq!(mask("node-7 SOCKS5 x=-1"), "node-<*> SOCKS<*> x=<*>");
        assert_eq!(mask("key i3beln7k"), "key <*>");
    }

    #[test]
    fn addresses_paths_urls_and_times_are_variables() {
        for (message, want) in [
            ("from 10.0.0.1:8080 ok", "from <*> ok"),
            ("src: /10.250.19.102:54106 dest:", "src: <*> dest:"),
            ("10.11.21.123,10.11.10.1 said", "<*> said"),
            ("rhost=csnsu.nsuok.edu user", "rhost=<*> user"),
            ("hm.baidu.com:443 open", "<*> open"),
            (
                "reading /var/lib/nova/instances/_base/a4 now",
                "reading <*> now",
            ),
            ("GET https://api.example.com/v1/x?y=1 done", "GET <*> done"),
            ("Addr: 2607:f140:6000:8:c6b3:1ff:fecd:467f", "Addr: <*>"),
            (
                "id 96abccce-8d1f-4e07-b6d1-4b2ab87e23b4 at 0x7f3a",
                "id <*> at <*>",
            ),
            ("at Sun Jul 24 02:38:22 2005", "at <*>"),
            ("at 2017-05-16T05:00:00Z x", "at <*> x"),
            (
                "sent 2034 bytes (1.98 KB), lifetime <1 sec",
                "sent <*> lifetime <*>",
            ),
            (
                "connection from 1.2.3.4 () at x",
                "connection from <*> at x",
            ),
            (
                "ask 1.2.3.4:50010 to delete blk_1 blk_2 blk_3",
                "ask <*> to delete blk_<*>",
            ),
        ] {
            assert_eq!(mask(message), want, "{message}");
        }
    }

    #[test]
    fn words_are_kept_until_the_run_shows_they_vary() {
        // One message alone: a quoted or plain word is kept.
        assert_eq!(mask("state 'Active'"), "state 'Active'");
        let users = grouped(&[
            "Failed password for root from 1.2.3.4 port 22 ssh2",
            "Failed password for uucp from 1.2.3.5 port 23 ssh2",
            "Failed password for git from 1.2.3.6 port 24 ssh2",
        ]);
        assert!(users
            .iter()
            .all(|t| t == "Failed password for <*> from <*> port <*> ssh<*>"));
        // Two values are not enough, and the first word names the event.
        let two = grouped(&[
            "Disconnecting: Too many authentication failures for admin [preauth]",
            "Disconnecting: Too many authentication failures for root [preauth]",
        ]);
        assert_ne!(two[0], two[1]);
        let first = grouped(&[
            "boot requested by (command 1)",
            "halt requested by (command 2)",
            "wake requested by (command 3)",
        ]);
        assert_eq!(first.iter().collect::<BTreeSet<_>>().len(), 3);
        // Words with capitals need more values than names do.
        let methods = grouped(&[
            "10.0.0.1 \"GET /v2/a/b HTTP/1.1\" status: 200",
            "10.0.0.1 \"POST /v2/a/b HTTP/1.1\" status: 200",
            "10.0.0.1 \"DELETE /v2/a/b HTTP/1.1\" status: 204",
        ]);
        assert_eq!(methods.iter().collect::<BTreeSet<_>>().len(), 3);
        // Few constant words: nothing is learned.
        let short = grouped(&[
            "Connection reset",
            "Connection refused",
            "Connection closed",
        ]);
        assert_eq!(short.iter().collect::<BTreeSet<_>>().len(), 3);
    }

    #[test]
    fn a_variable_already_seen_there_is_enough() {
        let t = grouped(&[
            "Invalid user 0 from 1.2.3.4",
            "Invalid user admin from 1.2.3.4 now",
        ]);
        assert_ne!(t[0], t[1]);
        let t = grouped(&[
            "Invalid user 0 from 1.2.3.4",
            "Invalid user admin from 1.2.3.4",
        ]);
        assert_eq!(t[0], "Invalid user <*> from <*>");
        assert_eq!(t[0], t[1]);
    }

    #[test]
    fn a_key_keeps_its_name_when_its_value_varies() {
        let t = grouped(&[
            "setVisibility vis=0 mask=1 diff=0 done",
            "setVisibility vis=4 mask=ffffffff diff=8 done",
        ]);
        assert_eq!(t[0], "setVisibility vis=<*> mask=<*> diff=<*> done");
        assert_eq!(t[0], t[1]);
        // Three names as a key's value are not enough: they may be told apart on purpose.
        let users = grouped(&[
            "authentication failure; rhost=1.2.3.4 user=root",
            "authentication failure; rhost=1.2.3.5 user=guest",
            "authentication failure; rhost=1.2.3.6 user=test",
        ]);
        assert_eq!(users.iter().collect::<BTreeSet<_>>().len(), 3);
    }

    /// Regression: a URL after a multi-byte character, and values that share the first byte
    /// of a multi-byte character, cut a string inside a character.
    #[test]
    fn text_that_is_not_ascii_never_panics() {
        let lines = [
            "→http://x.com/a b c",
            "é=1 a b c",
            "è=2 a b c",
            "ü=3 a b c",
            "kéy=é a b c",
            "kéy=è a b c",
            "日本語 のテスト 1 ２ ３",
            "x=∞ ü:ß \u{0} «'» „\"“ a b",
        ];
        let t = grouped(&lines);
        assert_eq!(t[0], "<*> b c");
        assert_eq!(t.len(), lines.len());
    }

    #[test]
    fn grouping_depends_on_the_set_of_templates_only() {
        let lines = [
            "session opened for user cyrus by (uid=0)",
            "session opened for user news by (uid=0)",
            "session opened for user test by (uid=0)",
            "VM Paused (Lifecycle Event)",
            "VM Resumed (Lifecycle Event)",
            "Failed password for root from 1.2.3.4 port 22 ssh2",
        ];
        let masked: Vec<String> = lines.iter().map(|l| mask(l)).collect();
        let all = group(masked.iter().map(String::as_str));
        let mut reversed: Vec<&str> = masked.iter().map(String::as_str).collect();
        reversed.reverse();
        reversed.extend(masked.iter().map(String::as_str));
        assert_eq!(group(reversed), all);
        assert_eq!(all[&masked[0]], "session opened for user <*> by (uid=<*>)");
        assert_ne!(all[&masked[3]], all[&masked[4]]);
    }
}
