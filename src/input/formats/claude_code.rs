//! Claude Code: terminal `API Error` lines, `--debug` logs, the bug-report errors array and
//! JSONL transcripts (FORMATS.md).
//!
//! Claude Code retries a failed call up to 10 times and tells each failed attempt once:
//! a retry notice (`API Error (529 {...}) · Retrying in 1 seconds… (attempt 1/10)`) in the
//! terminal, a `type:"system", subtype:"api_error"` record in the transcript, an
//! `API error (attempt 1/11)` line in the debug log. The final `API Error: ...` line (or the
//! synthetic `isApiErrorMessage` message) is written when the last attempt failed or the error
//! was not retried: that attempt has no notice of its own (notices are shown only before a
//! retry), so it is one more failure, numbered after the last notice. All these records are
//! `Evidence::Whole`: each is one attempt. The errors array (`/bug`) repeats errors that the
//! terminal or transcript may also show; its entries are `Evidence::Summary` so that an entry
//! joins the failure it repeats when they share a request id or sit side by side.
//!
//! Only text that Claude Code itself printed counts: `API Error` at the start of a line (after
//! the `⎿`/`⏺` decorations, a CI time stamp, or `Please run /login · `), never inside prose or
//! a quoted prompt (`> ...`).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::input::sink::{Claim, Position, Sink};
use crate::input::toolkit::api::{self, JsonScanner};
use crate::input::toolkit::limits::{JOIN_DISTANCE, MAX_BYTES, MAX_LINES};
use crate::input::toolkit::regex;
use crate::input::toolkit::sdk_text::{self, is_claude_code_debug, one_line, Said};
use crate::record::{Evidence, Outcome, Record, SourceKind};

/// Longest terminal-wrapped record, in lines.
const MAX_WRAPPED: usize = 20;

fn claude_code_record(lineno: Option<u64>) -> Record {
    let mut r = Record::new(SourceKind::ClaudeCode, Outcome::Failure);
    r.line = lineno;
    r.endpoint = Some("/v1/messages".into());
    r.provider = Some("anthropic".into());
    r
}

// ---------------------------------------------------------------------------------------------
// What Claude Code's error texts say.

/// The text after `API Error: ` (or inside `API Error (...)`), or one of the messages Claude
/// Code shows without that prefix. `None` when the text says nothing known.
pub(crate) fn error_text(text: &str) -> Option<Said> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(s) = sdk_text::sdk_message(t) {
        return Some(s);
    }
    static REPEATED: LazyLock<Regex> = LazyLock::new(|| regex(r"^Repeated (\d{3}) "));
    if let Some(c) = REPEATED.captures(t) {
        return Some(Said {
            http_status: c[1].parse().ok(),
            message: Some(one_line(t)),
            claude: true,
            ..Said::default()
        });
    }
    if t.starts_with("Server is temporarily limiting requests") {
        return Some(Said {
            http_status: Some(429),
            message: Some(one_line(t)),
            claude: true,
            ..Said::default()
        });
    }
    if let Some(rest) = t.strip_prefix("Unable to connect to API") {
        let kind = sdk_text::transport_kind(rest).unwrap_or("connection_error");
        return Some(Said {
            error_type: Some(
                if kind == "stream_error" {
                    "connection_error"
                } else {
                    kind
                }
                .into(),
            ),
            message: Some(one_line(t)),
            claude: true,
            ..Said::default()
        });
    }
    limit_text(t)
}

/// The account, key and limit messages (`Invalid API key · Please run /login`, `Credit balance
/// is too low`, `Claude AI usage limit reached|1759420800`, `You've hit your limit · resets
/// 4:50am`). The phrase must be the whole message, not the start of a sentence.
pub(crate) fn limit_text(t: &str) -> Option<Said> {
    static LIMITS: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"^(?:(?P<auth>Invalid API key|OAuth token revoked|OAuth token has expired|OAuth access token has expired)",
            r"|(?P<credit>Credit balance is too low|Your credit balance is too low)",
            r"|(?P<prompt>Prompt is too long)",
            r"|(?P<usage>Claude AI usage limit reached|Claude usage limit reached|You've hit your (?:[\w-]+ )?limit|You’ve hit your (?:[\w-]+ )?limit|5-hour limit reached|Usage limit reached))",
            r"(?P<rest>.*)$"
        ))
    });
    let c = LIMITS.captures(t)?;
    let rest = c.name("rest").map_or("", |m| m.as_str());
    let boundary = rest.is_empty()
        || rest.starts_with(" ·")
        || rest.starts_with(" ∙")
        || rest.starts_with('.')
        || rest.starts_with('|')
        || rest.starts_with(',')
        || rest.starts_with(" (")
        || rest.starts_with(" -")
        || rest.starts_with(" –");
    if !boundary {
        return None;
    }
    let status = if c.name("auth").is_some() {
        401
    } else if c.name("credit").is_some() || c.name("prompt").is_some() {
        400
    } else {
        429
    };
    let mut message = one_line(t);
    // `Claude AI usage limit reached|1759420800`: the reset time as epoch seconds.
    if let Some(epoch) = rest
        .strip_prefix('|')
        .and_then(|e| e.trim().parse::<i64>().ok())
    {
        if let Some(at) = chrono::DateTime::from_timestamp(epoch, 0) {
            message = format!(
                "{} (resets {})",
                &t[..t.len() - rest.len()],
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
    }
    Some(Said {
        http_status: Some(status),
        message: Some(message),
        claude: true,
        ..Said::default()
    })
}

/// What a whole Claude Code message says (`API Error: 529 {...}`, `Please run /login · API
/// Error: 401 ...`, a limit message).
pub(crate) fn displayed(text: &str) -> Option<Said> {
    let t = text.trim();
    let t = t.strip_prefix("Please run /login · ").unwrap_or(t);
    if let Some(rest) = t.strip_prefix("API Error:") {
        return Some(error_text(rest).unwrap_or_else(|| Said {
            message: Some(one_line(rest)),
            ..Said::default()
        }));
    }
    if let Some(i) = t.find(" · API Error:") {
        let rest = &t[i + " · API Error:".len()..];
        return Some(error_text(rest).unwrap_or_else(|| Said {
            message: Some(one_line(rest)),
            ..Said::default()
        }));
    }
    limit_text(t)
}

/// A router in front of Claude Code (claude-code-router) that sent the call to another
/// vendor's model says so: `Error from provider(openrouter,google/gemini-3-pro-preview: 400)`.
/// That failure is not a Claude call's.
fn routed_elsewhere(text: &str) -> bool {
    static ROUTED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"Error from provider\(\s*[^,()]+,\s*([^:()\s]+)\s*:"));
    ROUTED.captures(text).is_some_and(|c| {
        let model = c[1].to_ascii_lowercase();
        !model.contains("claude") && !model.starts_with("anthropic")
    })
}

fn apply(said: Said, r: &mut Record) {
    let provider = said.provider;
    said.apply(r);
    if let Some(p) = provider {
        r.provider = Some(p.into());
    }
}

// ---------------------------------------------------------------------------------------------
// Terminal output (TUI and `-p` text).

/// The strings a Claude Code terminal line holds.
pub(crate) const MARKERS: [&str; 11] = [
    "API Error",
    "API error",
    "· Retrying in",
    "limit reached",
    "hit your",
    "Credit balance is too low",
    "Prompt is too long",
    "Invalid API key",
    "OAuth token",
    "OAuth access token",
    "⎿  Error: ",
];

/// The text of a terminal line after Claude Code's decorations (`⎿`, `⏺`, `●`, box lines) and
/// a time stamp that a CI runner put in front; `None` for a quoted prompt (`> ...`).
fn content_start(line: &str) -> Option<&str> {
    let mut t = line;
    loop {
        let before = t.len();
        t = t.trim_start_matches(|c: char| {
            // Claude Code's own decorations; markdown bullets are not (a list of messages in a
            // document is not an error).
            c.is_whitespace()
                || matches!(
                    c,
                    '⎿' | '⏺'
                        | '●'
                        | '│'
                        | '✗'
                        | '✘'
                        | '⚠'
                        | '✻'
                        | '✶'
                        | '✳'
                        | '✢'
                        | '✽'
                )
        });
        if t.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            let token = t.split(' ').next().unwrap_or("");
            if token.len() >= 19 && api::leading_stamp(token).is_some() {
                t = &t[token.len()..];
                continue;
            }
        }
        if t.len() == before {
            break;
        }
    }
    if t.starts_with('>') {
        return None;
    }
    Some(t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WrapKind {
    /// `API Error (...) · Retrying ... (attempt k/N)`, waiting for its `(attempt k/N)`.
    Notice,
    /// `API Error: NNN {...`, waiting for its JSON to close.
    Final,
}

struct Wrapped {
    kind: WrapKind,
    first_line: u64,
    stamp: Option<crate::record::Stamp>,
    /// The record text from `API Error` on, then each continuation line as printed.
    segments: Vec<String>,
    /// The printed width of each line (with its decorations), to tell where the terminal cut.
    widths: Vec<usize>,
    scanner: JsonScanner,
}

#[derive(Default)]
pub(crate) struct TerminalParser {
    wrapped: Option<Wrapped>,
    /// A retry notice held for the `⎿  TypeError (fetch failed)` line that may follow.
    pending: Option<Record>,
    /// The last retry notice: its attempt and line (the final `API Error:` is the next
    /// attempt).
    chain: Option<(u32, u64)>,
}

static OLD_NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\) · Retrying in (\d+) (?:seconds?|s)(?:…|\.\.\.)? ?\(attempt (\d+)/(\d+)\)(?: · (.*))?$",
    )
});
static NEW_NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    // Also the spinner line of newer releases: `✻ 529 Overloaded · Retrying in 4s · attempt 6/10`.
    regex(
        r"^(?:API error(?: \((?P<inner>.*?)\))?|(?P<bare>\d{3} [^·]{1,80}?)) · Retrying in [^·]*· attempt (?P<k>\d+)/(?P<n>\d+)",
    )
});
static DETAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*⎿\s+([A-Za-z_$][\w$]*(?:Error|Exception)?) \((.*)\)\s*$"));
static ATTEMPT: LazyLock<Regex> = LazyLock::new(|| regex(r"\(attempt \d+/\d+\)"));

/// Join terminal-wrapped pieces: without a space where a line was cut at the terminal width
/// (the longest lines), with one where the terminal wrapped at a word.
fn join_wrapped(segments: &[String], widths: &[usize], smart: bool, sep: &str) -> String {
    let width = widths
        .iter()
        .take(widths.len().saturating_sub(1))
        .copied()
        .max()
        .unwrap_or(0);
    // Claude Code indents the continuation lines of a block; a terminal's own wrap does not.
    let indent = segments
        .iter()
        .skip(1)
        .map(|s| s.len() - s.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        let mut piece = if i == 0 { s.trim_end() } else { s.trim() };
        if i > 0 {
            let prev = widths.get(i - 1).copied().unwrap_or(0);
            let cut = prev >= width && width >= 40;
            if smart {
                if cut {
                    // After a hard cut the blanks that follow the indentation are text.
                    piece = s.get(indent..).unwrap_or(s).trim_end();
                } else {
                    out.push(' ');
                }
            } else {
                out.push_str(sep);
            }
        }
        out.push_str(piece);
    }
    out
}

impl TerminalParser {
    fn flush_pending(&mut self, sink: &mut Sink) {
        if let Some(r) = self.pending.take() {
            sink.push(r);
        }
    }

    /// The final attempt comes right after its last retry notice.
    fn next_attempt(&mut self, lineno: u64) -> Option<u32> {
        let chain = self.chain.take()?;
        (lineno.saturating_sub(chain.1) <= JOIN_DISTANCE)
            .then(|| chain.0.checked_add(1))
            .flatten()
    }

    fn finish_wrapped(&mut self, sink: &mut Sink) {
        let Some(mut w) = self.wrapped.take() else {
            return;
        };
        // `API Error: 400` whose body began on the next line: the body alone is joined.
        let head =
            if w.kind == WrapKind::Final && w.segments.len() > 1 && !w.segments[0].contains('{') {
                w.widths.remove(0);
                Some(w.segments.remove(0))
            } else {
                None
            };
        // The record as it was printed before the terminal broke it: first try the join that
        // gives valid JSON.
        let mut joined = join_wrapped(&w.segments, &w.widths, true, "");
        if w.kind == WrapKind::Final {
            for alt in [
                join_wrapped(&w.segments, &w.widths, false, ""),
                join_wrapped(&w.segments, &w.widths, false, " "),
            ] {
                let body_ok = |s: &str| {
                    s.find('{')
                        .and_then(|i| api::leading_json(&s[i..]))
                        .is_some_and(|j| serde_json::from_str::<Value>(j).is_ok())
                };
                if body_ok(&joined) {
                    break;
                }
                if body_ok(&alt) {
                    joined = alt;
                    break;
                }
            }
        }
        if let Some(head) = head {
            joined = format!("{} {}", head.trim(), joined.trim_start());
        }
        match w.kind {
            WrapKind::Notice => self.notice(&joined, w.first_line, w.stamp),
            WrapKind::Final => self.final_line(&joined, w.first_line, w.stamp, sink),
        }
    }

    /// `API Error (inner) · Retrying in N seconds… (attempt k/N)[ · suffix]`.
    fn notice(&mut self, text: &str, lineno: u64, stamp: Option<crate::record::Stamp>) {
        let mut r = claude_code_record(Some(lineno));
        r.stamp = stamp;
        r.evidence = Evidence::Whole;
        let inner_start = text
            .find("API Error (")
            .map_or(0, |i| i + "API Error (".len());
        let tail = text.rfind(") · Retrying in ");
        let inner = match tail {
            Some(end) if end >= inner_start => &text[inner_start..end],
            _ => text.get(inner_start..).unwrap_or(""),
        };
        match error_text(inner) {
            Some(said) => apply(said, &mut r),
            None => r.message = Some(one_line(inner)),
        }
        if let Some(c) = tail.and_then(|t| OLD_NOTICE.captures(&text[t..])) {
            r.attempt = c[2].parse().ok();
            if let Some(suffix) = c.get(4) {
                let base = r.message.clone().unwrap_or_default();
                r.message = Some(one_line(&format!("{base} · {}", suffix.as_str())));
            }
        }
        if r.http_status.is_none() && r.error_type.is_none() {
            r.error_type = Some("unknown".into());
        }
        self.chain = r.attempt.map(|a| (a, lineno));
        self.pending = Some(r);
    }

    /// `API Error: ...` once retries are over (or the error was not retried).
    fn final_line(
        &mut self,
        text: &str,
        lineno: u64,
        stamp: Option<crate::record::Stamp>,
        sink: &mut Sink,
    ) {
        let Some(said) = displayed(text) else { return };
        if routed_elsewhere(text) {
            return;
        }
        let mut r = claude_code_record(Some(lineno));
        r.stamp = stamp;
        r.evidence = Evidence::Whole;
        apply(said, &mut r);
        // With the SDK's debug log on (`ANTHROPIC_LOG=debug`), each attempt was told by the
        // SDK already: the final line repeats the last one (same status, same message).
        let echo = sink.newest_failure(lineno, 40).is_some_and(|f| {
            f.source_kind == SourceKind::SdkTypescript
                && f.endpoint.is_some()
                && f.request_id == r.request_id
                && f.http_status == r.http_status
                && f.message.is_some()
                && f.message == r.message
        });
        if echo {
            return;
        }
        r.attempt = self.next_attempt(lineno);
        sink.push(r);
    }

    fn fresh(&mut self, raw: &str, lineno: u64, sink: &mut Sink, marker: Option<usize>) -> Claim {
        if marker.is_none() {
            // Claude answered (`⏺ ...`): the retries before it are over.
            if self.chain.is_some() && raw.contains('⏺') {
                self.chain = None;
            }
            return Claim::NotMine;
        }
        let line = api::strip_ansi(raw);
        let line = line.as_ref();
        if is_claude_code_debug(line) {
            return Claim::NotMine;
        }
        let Some(c) = content_start(line) else {
            return Claim::NotMine;
        };
        let stamp = api::leading_stamp(line);
        let c = c.trim_end();
        // New compressed notice: `API error · Retrying in 0s · attempt 1/10`.
        if let Some(m) = NEW_NOTICE.captures(c) {
            self.flush_pending(sink);
            let mut r = claude_code_record(Some(lineno));
            r.stamp = stamp;
            r.evidence = Evidence::Whole;
            match m
                .name("inner")
                .or(m.name("bare"))
                .and_then(|i| error_text(i.as_str()))
            {
                Some(said) => apply(said, &mut r),
                None => {
                    r.error_type = Some("unknown".into());
                    r.message = Some(one_line(c));
                }
            }
            r.attempt = m["k"].parse().ok();
            self.chain = r.attempt.map(|a| (a, lineno));
            self.pending = Some(r);
            return Claim::Relevant;
        }
        if c.starts_with("API Error (") {
            self.flush_pending(sink);
            if ATTEMPT.is_match(c) {
                self.notice(c, lineno, stamp);
            } else {
                self.wrapped = Some(Wrapped {
                    kind: WrapKind::Notice,
                    first_line: lineno,
                    stamp,
                    segments: vec![c.to_string()],
                    widths: vec![line.trim_end().chars().count()],
                    scanner: JsonScanner::default(),
                });
            }
            return Claim::Relevant;
        }
        let is_final = c.starts_with("API Error:")
            || (c.starts_with("Please run /login · API Error:"))
            || (c.contains(" · API Error:") && c.len() < 400 && limit_text(c).is_some());
        if is_final {
            self.flush_pending(sink);
            let after = c
                .find("API Error:")
                .map_or("", |i| &c[i + "API Error:".len()..]);
            let mut scanner = JsonScanner::default();
            let wraps = match after.find(['{', '[']) {
                // A body the terminal broke: wait for it to close.
                Some(i) => scanner.feed(&after[i..]).is_none() && scanner.is_open(),
                // `API Error: 400` alone (or `API Error: 400 event: error`, a relay's SSE
                // error frame as the body): its body may start on the next line.
                None => {
                    let a = after.trim();
                    let a = a.strip_suffix(" event: error").unwrap_or(a);
                    a.len() == 3 && a.bytes().all(|b| b.is_ascii_digit())
                }
            };
            if wraps {
                self.wrapped = Some(Wrapped {
                    kind: WrapKind::Final,
                    first_line: lineno,
                    stamp,
                    segments: vec![c.to_string()],
                    widths: vec![line.trim_end().chars().count()],
                    scanner,
                });
                return Claim::Relevant;
            }
            self.final_line(c, lineno, stamp, sink);
            return Claim::Relevant;
        }
        // A slash command's error (`/context`, `/compact`): `⎿  Error: 400 {...}`, the API's
        // envelope after `Error: ` in Claude Code's result line.
        if let Some(said) = c
            .strip_prefix("Error: ")
            .filter(|_| line.contains("⎿  Error: "))
            .and_then(sdk_text::sdk_message)
            .filter(|s| s.claude && s.http_status.is_some())
        {
            self.flush_pending(sink);
            // A command's own result: never more of the error before it.
            sink.close_last_failure();
            self.push_whole(said, lineno, stamp, sink);
            return Claim::Relevant;
        }
        if let Some(said) = limit_text(c) {
            self.flush_pending(sink);
            self.push_whole(said, lineno, stamp, sink);
            return Claim::Relevant;
        }
        Claim::NotMine
    }

    /// A failure that one line tells whole (the next attempt of the current chain).
    fn push_whole(
        &mut self,
        said: Said,
        lineno: u64,
        stamp: Option<crate::record::Stamp>,
        sink: &mut Sink,
    ) {
        let mut r = claude_code_record(Some(lineno));
        r.stamp = stamp;
        r.evidence = Evidence::Whole;
        apply(said, &mut r);
        r.attempt = self.next_attempt(lineno);
        sink.push(r);
    }
}

impl TerminalParser {
    pub(crate) fn feed(
        &mut self,
        raw: &str,
        lineno: u64,
        sink: &mut Sink,
        marker: Option<usize>,
    ) -> Claim {
        if let Some(w) = &mut self.wrapped {
            let line = api::strip_ansi(raw);
            let t = line.trim();
            // A status alone waits for a body that starts on the next line, or for nothing.
            let body_missing =
                w.kind == WrapKind::Final && !w.segments.iter().any(|s| s.contains('{'));
            let starts_new = t.is_empty()
                || (body_missing && !t.starts_with('{') && !t.starts_with("data: {"))
                || t.starts_with('⎿')
                || t.starts_with('⏺')
                || t.starts_with('●')
                || t.starts_with('>')
                || t.starts_with("API Error")
                || t.starts_with("API error");
            if !starts_new
                && w.segments.len() < MAX_WRAPPED
                && w.segments.iter().map(String::len).sum::<usize>() < MAX_BYTES
            {
                w.segments.push(line.trim_end().to_string());
                w.widths.push(line.trim_end().chars().count());
                let done = match w.kind {
                    WrapKind::Final => w.scanner.feed(t).is_some() || !w.scanner.is_open(),
                    // `(attempt 1/10)` itself may be cut by the wrap.
                    WrapKind::Notice => {
                        ATTEMPT.is_match(t)
                            || ATTEMPT.is_match(&join_wrapped(&w.segments, &w.widths, true, ""))
                    }
                };
                if done {
                    self.finish_wrapped(sink);
                }
                return Claim::Relevant;
            }
            self.finish_wrapped(sink);
        }
        if let Some(p) = &mut self.pending {
            if let Some(c) = DETAIL.captures(raw) {
                // `⎿  TypeError (fetch failed)`: the cause of the notice above.
                let cause = format!("{}: {}", &c[1], &c[2]);
                let base = p.message.clone().unwrap_or_default();
                p.message = Some(one_line(&format!("{base} (cause: {cause})")));
                if p.http_status.is_none()
                    && sdk_text::transport_kind(&c[2]) == Some("client_timeout")
                    && p.error_type.as_deref() == Some("unknown")
                {
                    p.error_type = Some("client_timeout".into());
                }
                self.flush_pending(sink);
                return Claim::Relevant;
            }
            self.flush_pending(sink);
        }
        self.fresh(raw, lineno, sink, marker)
    }

    pub(crate) fn busy(&self) -> bool {
        self.wrapped.is_some() || self.pending.is_some()
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        self.finish_wrapped(sink);
        self.flush_pending(sink);
    }
}

// ---------------------------------------------------------------------------------------------
// `--debug` logs.

static VSCODE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) \[(\w+)\] From claude: (.*)$")
});
static API_ATTEMPT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^API error \(attempt (\d+)/(\d+)\): (\S+) ?(.*)$"));

/// The lines of one failure in a debug log (the fallback pair, the attempt line, the details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Attempt = 1,
    Streaming = 2,
    NonStreaming = 4,
    Exception = 8,
}

struct DebugFailure {
    record: Record,
    slots: u8,
    last_line: u64,
}

#[derive(Default)]
pub(crate) struct DebugParser {
    pending: Option<DebugFailure>,
}

impl DebugParser {
    fn flush(&mut self, sink: &mut Sink) {
        if let Some(mut p) = self.pending.take() {
            // Told after the fact: it joins the TypeScript SDK's line about the same attempt
            // (`ANTHROPIC_LOG=debug`) just before it, never another Claude Code line.
            p.record.evidence = Evidence::Summary;
            let after_own = sink
                .recent_failure(p.last_line, u64::MAX)
                .is_some_and(|f| f.source_kind == SourceKind::ClaudeCode);
            if after_own {
                sink.close_last_failure();
            }
            sink.push(p.record);
        }
    }

    /// Add one line of a failure: it joins the held one when that one lacks this kind of line,
    /// is near, and agrees on the status; else the held one is emitted and this one is held.
    fn add(&mut self, slot: Slot, r: Record, lineno: u64, sink: &mut Sink) {
        if let Some(p) = &mut self.pending {
            // A failure without a response and one with a status are two failures.
            let agree = p.record.effective_status() == r.effective_status();
            if p.slots & slot as u8 == 0
                && agree
                && lineno.saturating_sub(p.last_line) <= JOIN_DISTANCE
            {
                p.slots |= slot as u8;
                p.last_line = lineno;
                // The attempt line names the kind Claude Code settled on.
                if slot == Slot::Attempt && r.error_type.is_some() && p.record.http_status.is_none()
                {
                    p.record.error_type = None;
                }
                p.record.absorb(r);
                if slot == Slot::Attempt {
                    self.flush(sink);
                }
                return;
            }
        }
        self.flush(sink);
        self.pending = Some(DebugFailure {
            record: r,
            slots: slot as u8,
            last_line: lineno,
        });
        // `API error (attempt N/M)` is the last line Claude Code writes about an attempt: out
        // now, in its place among the SDK's lines.
        if slot == Slot::Attempt {
            self.flush(sink);
        }
    }

    fn message(
        &mut self,
        msg: &str,
        level: &str,
        lineno: u64,
        stamp: Option<crate::record::Stamp>,
        sink: &mut Sink,
    ) -> Claim {
        let base = |_: &Sink| {
            let mut r = claude_code_record(Some(lineno));
            r.stamp = stamp;
            r.evidence = Evidence::Whole;
            r
        };
        if let Some(c) = API_ATTEMPT.captures(msg) {
            let mut r = base(sink);
            r.attempt = c[1].parse().ok();
            let status: Option<u16> = c[3].parse().ok();
            let rest = c.get(4).map_or("", |m| m.as_str());
            match error_text(rest).or_else(|| status.map(|_| Said::default())) {
                Some(said) => apply(said, &mut r),
                None => r.message = Some(one_line(rest)),
            }
            if r.http_status.is_none() {
                r.http_status = status;
            }
            if r.http_status.is_none() && r.error_type.is_none() {
                r.error_type = Some("connection_error".into());
            }
            self.add(Slot::Attempt, r, lineno, sink);
            return Claim::Relevant;
        }
        for (prefix, slot) in [
            (
                "Error streaming, falling back to non-streaming mode:",
                Slot::Streaming,
            ),
            ("Error in non-streaming fallback:", Slot::NonStreaming),
        ] {
            if let Some(rest) = msg.strip_prefix(prefix) {
                let mut r = base(sink);
                match error_text(rest) {
                    Some(said) => apply(said, &mut r),
                    None => {
                        r.error_type = Some("unknown".into());
                        r.message = Some(one_line(rest));
                    }
                }
                self.add(slot, r, lineno, sink);
                return Claim::Relevant;
            }
        }
        if let Some(rest) = msg.strip_prefix("Connection error details:") {
            if let Some(p) = &mut self.pending {
                let detail = rest
                    .trim()
                    .trim_end_matches(", message=")
                    .trim_end_matches(',');
                let base = p.record.message.clone().unwrap_or_default();
                p.record.message = Some(one_line(&format!("{base} (cause: {detail})")));
                p.last_line = lineno;
            }
            return Claim::Relevant;
        }
        if msg.starts_with("Stream completed without receiving message_start") {
            self.flush(sink);
            let mut r = base(sink);
            r.error_type = Some("stream_error".into());
            r.message = Some(one_line(msg));
            sink.push(r);
            return Claim::Relevant;
        }
        if level == "ERROR" || level == "WARN" {
            // An SDK error logged as it is (`Error: 529 {...}`).
            let said = sdk_text::sdk_message(msg).or_else(|| {
                let (class, rest) = msg.split_once(": ")?;
                let class_ok = class.ends_with("Error") && !class.contains(' ');
                if class_ok {
                    sdk_text::sdk_message(rest)
                } else {
                    None
                }
            });
            if let Some(said) = said.filter(|s| {
                s.claude
                    || s.http_status.is_some()
                    || s.error_type.as_deref().is_some_and(|t| {
                        t != "connection_error" || msg.contains("Connection error")
                    })
            }) {
                let mut r = base(sink);
                apply(said, &mut r);
                self.add(Slot::Exception, r, lineno, sink);
                return Claim::Relevant;
            }
        }
        Claim::NotMine
    }
}

/// `2026-06-23T15:57:59.225Z [ERROR] [API:request] message` split without a regex (every
/// line of an ISO-stamped log reaches here): stamp, level, message.
fn split_debug(line: &str) -> Option<(&str, &str, &str)> {
    let b = line.as_bytes();
    if b.len() < 26 || !b[0].is_ascii_digit() || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let z = b
        .get(19..b.len().min(40))?
        .windows(3)
        .position(|w| w == b"Z [")?
        + 19;
    let level_start = z + 3;
    let close =
        memchr::memchr(b']', b.get(level_start..b.len().min(level_start + 8))?)? + level_start;
    let level = line.get(level_start..close)?;
    if level.is_empty() || !level.bytes().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let mut msg = line.get(close + 1..)?.strip_prefix(' ')?;
    // A category tag (`[API:request] `) may follow the level.
    if msg.starts_with('[') {
        if let Some(end) = msg
            .find("] ")
            .filter(|e| *e < 40 && !msg[..*e].contains(' '))
        {
            msg = &msg[end + 2..];
        }
    }
    Some((line.get(..=z)?, level, msg))
}

/// Messages of a debug log that can be about a failed call.
fn debug_relevant(level: &str, msg: &str) -> bool {
    level == "ERROR"
        || level == "WARN"
        || msg.starts_with("API error (attempt")
        || msg.starts_with("Error streaming")
        || msg.starts_with("Error in non-streaming")
        || msg.starts_with("Connection error details")
        || msg.starts_with("Stream completed without")
}

impl DebugParser {
    pub(crate) fn feed(&mut self, raw: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let b = raw.as_bytes();
        if b.len() < 25 || !b[0].is_ascii_digit() || b[4] != b'-' {
            return Claim::NotMine;
        }
        if self
            .pending
            .as_ref()
            .is_some_and(|p| lineno.saturating_sub(p.last_line) > JOIN_DISTANCE)
        {
            self.flush(sink);
        }
        if b[10] == b'T' {
            let Some((stamp, level, msg)) = split_debug(raw) else {
                return Claim::NotMine;
            };
            if !debug_relevant(level, msg) {
                return Claim::NotMine;
            }
            return self.message(msg, level, lineno, crate::time::iso(stamp), sink);
        }
        // VS Code's output channel: `2026-06-03 15:02:24.293 [info] From claude: ...`.
        let vscode = b[10] == b' ' && b.get(23) == Some(&b' ') && b.get(24) == Some(&b'[');
        if vscode && memchr::memmem::find(b, b"From claude: ").is_some() {
            let Some(c) = VSCODE_LINE.captures(raw) else {
                return Claim::NotMine;
            };
            let outer = crate::time::slashed(&c[1]);
            let inner = c.get(3).map_or("", |m| m.as_str());
            if let Some((stamp, level, msg)) = split_debug(inner) {
                if !debug_relevant(level, msg) {
                    return Claim::NotMine;
                }
                let stamp = crate::time::iso(stamp).or(outer);
                return self.message(msg, level, lineno, stamp, sink);
            }
            let level = if c[2].eq_ignore_ascii_case("error") {
                "ERROR"
            } else {
                "INFO"
            };
            if !debug_relevant(level, inner) {
                return Claim::NotMine;
            }
            return self.message(inner, level, lineno, outer, sink);
        }
        Claim::NotMine
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        self.flush(sink);
    }
}

// ---------------------------------------------------------------------------------------------
// The bug-report errors array, pasted as one line (or a few) into a report.

#[derive(Default)]
pub(crate) struct ErrorsArrayParser {
    held: Option<(String, JsonScanner, u64, u64)>,
}

fn opens_errors_array(t: &str) -> bool {
    let t = t.trim_start();
    let Some(rest) = t.strip_prefix('[') else {
        return false;
    };
    let rest = rest.trim_start();
    let Some(rest) = rest.strip_prefix('{') else {
        return false;
    };
    rest.trim_start().starts_with("\"error\"")
}

impl ErrorsArrayParser {
    fn emit(text: &str, lineno: u64, lines: u64, sink: &mut Sink) -> bool {
        let Some(json) = api::leading_json(text.trim_start()) else {
            return false;
        };
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(json) else {
            return false;
        };
        let mut any = false;
        for (i, item) in items.iter().enumerate() {
            if let Some(mut r) = errors_entry(item) {
                r.line = Some(lineno);
                r.entry = Some(i as u64);
                sink.push(r);
                any = true;
            }
        }
        if !any && lines > 1 {
            sink.relevant_lines_were_noise(lines - 1);
        }
        any
    }
}

impl ErrorsArrayParser {
    pub(crate) fn feed(&mut self, raw: &str, lineno: u64, sink: &mut Sink) -> Claim {
        if let Some((text, scanner, first, lines)) = &mut self.held {
            text.push('\n');
            text.push_str(raw);
            *lines += 1;
            let closed = scanner.feed(raw).is_some();
            if closed || *lines >= MAX_LINES || text.len() >= MAX_BYTES {
                let (text, _, first, lines) = self.held.take().unwrap_or_default();
                let _ = Self::emit(&text, first, lines, sink);
                return Claim::Relevant;
            }
            let _ = first;
            return Claim::Relevant;
        }
        if !raw.trim_start().starts_with('[') || !opens_errors_array(raw) {
            return Claim::NotMine;
        }
        let mut scanner = JsonScanner::default();
        if scanner.feed(raw).is_none() && scanner.is_open() {
            self.held = Some((raw.to_string(), scanner, lineno, 1));
            return Claim::Relevant;
        }
        if Self::emit(raw, lineno, 1, sink) {
            Claim::Relevant
        } else {
            Claim::Noise
        }
    }

    pub(crate) fn busy(&self) -> bool {
        self.held.is_some()
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        if let Some((text, _, first, lines)) = self.held.take() {
            let _ = Self::emit(&text, first, lines, sink);
        }
    }
}

/// One entry of the errors array (`{"error": String(err.stack), "timestamp": ...}`) when it
/// is a failed API call.
fn errors_entry(v: &Value) -> Option<Record> {
    let map = v.as_object()?;
    let stack = map.get("error")?.as_str()?;
    let mut lines = stack.lines();
    let first = lines.next()?.trim();
    let frames = stack.get(first.len()..).unwrap_or("");
    let said = sdk_text::sdk_message(first)
        .or_else(|| {
            let (class, rest) = first.split_once(": ")?;
            if class.ends_with("Error") && !class.contains(' ') {
                sdk_text::sdk_message(rest)
                    .or_else(|| rest.strip_prefix("API Error:").and_then(error_text))
            } else {
                None
            }
        })
        .or_else(|| first.strip_prefix("API Error:").and_then(error_text))?;
    // A transport error without an API body: only when the SDK's request made it.
    if said.http_status.is_none() && !said.claude {
        // (`anthropic` alone would match every frame of Claude Code's own bundle.)
        let by_sdk = frames.is_empty()
            || frames.contains("makeRequest")
            || frames.contains("fetchWithTimeout")
            || frames.contains("@anthropic-ai/sdk");
        if !by_sdk {
            return None;
        }
    }
    let mut r = claude_code_record(None);
    r.evidence = Evidence::Summary;
    r.stamp = map
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(crate::time::iso);
    apply(said, &mut r);
    Some(r)
}

// ---------------------------------------------------------------------------------------------
// JSON: transcripts, `-p --output-format json` results, errors-array entries.

/// The provider a Claude Code model id points at.
fn provider_of_model(model: &str) -> &'static str {
    if model.contains("anthropic.claude") {
        "bedrock"
    } else if model.contains('@') {
        "vertex"
    } else {
        "anthropic"
    }
}

fn text_of(message: &Value) -> Option<String> {
    match message.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => blocks
            .iter()
            .find_map(|b| b.get("text").and_then(Value::as_str).map(str::to_string)),
        _ => None,
    }
}

/// A record of a Claude Code transcript or `stream-json` output (other applications' JSON
/// logs may have a `type` and a `session_id` too: they are not claimed).
fn is_transcript_record(map: &serde_json::Map<String, Value>, kind: Option<&str>) -> bool {
    let keyed = map.contains_key("sessionId")
        || map.contains_key("parentUuid")
        || map.contains_key("isApiErrorMessage")
        || (map.contains_key("session_id") && map.contains_key("uuid"));
    keyed
        && matches!(
            kind,
            Some(
                "user"
                    | "assistant"
                    | "system"
                    | "summary"
                    | "result"
                    | "progress"
                    | "attachment"
                    | "file-history-snapshot"
                    | "queue-operation"
                    | "stream_event"
            )
        )
}

/// Recognise a Claude Code JSON record and read it.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let Some(map) = v.as_object() else {
        return Claim::NotMine;
    };
    let kind = map.get("type").and_then(Value::as_str);
    let str_of = |k: &str| map.get(k).and_then(Value::as_str);
    let transcript = is_transcript_record(map, kind);
    let stamp = str_of("timestamp").and_then(crate::time::iso);
    match kind {
        Some("system") if str_of("subtype") == Some("api_error") => {
            let mut r = claude_code_record(None);
            at.place(&mut r);
            r.stamp = stamp;
            r.evidence = Evidence::Whole;
            r.attempt = map
                .get("retryAttempt")
                .and_then(Value::as_u64)
                .map(|a| a as u32);
            r.model = sink.last_model.clone();
            let err = map.get("error").cloned().unwrap_or(Value::Null);
            retry_error(&err, &mut r);
            sink.push(r);
            Claim::Relevant
        }
        Some("system") if str_of("subtype") == Some("api_retry") => {
            // Agent SDK stream-json: one record per retried attempt.
            let mut r = claude_code_record(None);
            at.place(&mut r);
            r.stamp = stamp;
            r.evidence = Evidence::Whole;
            r.attempt = map.get("attempt").and_then(Value::as_u64).map(|a| a as u32);
            r.model = sink.last_model.clone();
            r.http_status = map
                .get("error_status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok());
            if let Some(e) = str_of("error") {
                r.message = Some(one_line(e));
            }
            if r.http_status.is_none() {
                r.error_type = Some("connection_error".into());
            }
            sink.push(r);
            Claim::Relevant
        }
        Some("assistant") => assistant(v, at, stamp, sink, transcript),
        Some("result") if map.contains_key("is_error") => {
            if map.get("is_error").and_then(Value::as_bool) != Some(true) {
                return Claim::Noise;
            }
            let text = str_of("result").unwrap_or("");
            let status = map
                .get("api_error_status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok());
            let said = displayed(text);
            if said.is_none() && status.is_none() {
                return Claim::Noise;
            }
            let mut r = claude_code_record(None);
            at.place(&mut r);
            r.stamp = stamp;
            r.evidence = Evidence::Whole;
            if let Some(s) = said {
                apply(s, &mut r);
            }
            if status.is_some() {
                r.http_status = status;
            }
            sink.push(r);
            Claim::Relevant
        }
        _ if map.len() <= 3
            && map.get("error").is_some_and(Value::is_string)
            && map.contains_key("timestamp") =>
        {
            // An entry of the errors array (read as a JSON array document).
            match errors_entry(v) {
                Some(mut r) => {
                    at.place(&mut r);
                    sink.push(r);
                    Claim::Relevant
                }
                None => Claim::NotMine,
            }
        }
        Some(_) if transcript => Claim::Noise,
        _ => Claim::NotMine,
    }
}

/// The serialized SDK error of a transcript retry record.
fn retry_error(err: &Value, r: &mut Record) {
    r.http_status = err
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok());
    r.request_id = err
        .get("requestID")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(h) = err.get("headers").and_then(Value::as_object) {
        for (n, val) in h {
            if let Some(val) = val.as_str() {
                let name = n.to_ascii_lowercase();
                if api::is_kept_header(&name) {
                    r.headers.push((name, val.to_string()));
                }
            }
        }
    }
    if let Some(body) = err.get("error").filter(|b| !b.is_null()) {
        let b = match body {
            Value::String(s) => sdk_text::lenient_body(s),
            other => api::error_body(other),
        };
        let provider = api::provider_of_body(&b);
        if let Some(p) = provider {
            r.provider = Some(p.into());
        }
        r.error_type = b.error_type;
        r.message = b.message.map(|m| one_line(&m));
        r.provider_code = b.provider_code;
        if r.request_id.is_none() {
            r.request_id = b.request_id;
        }
        if r.http_status.is_none() {
            r.http_status = b.status;
        }
    }
    if r.http_status.is_none() {
        // No response: a network failure (the cause names it) or a timeout.
        let code = err
            .pointer("/cause/code")
            .and_then(Value::as_str)
            .or_else(|| err.get("code").and_then(Value::as_str));
        let message = err.get("message").and_then(Value::as_str);
        let kind = code
            .and_then(sdk_text::transport_kind)
            .or_else(|| message.and_then(sdk_text::transport_kind))
            .filter(|k| *k != "stream_error")
            .unwrap_or("connection_error");
        r.error_type = Some(kind.into());
        let what = message.unwrap_or("Connection error.");
        r.message = Some(match code {
            Some(c) => format!("{what} (cause: {c})"),
            None => what.to_string(),
        });
    }
}

fn assistant(
    v: &Value,
    at: Position,
    stamp: Option<crate::record::Stamp>,
    sink: &mut Sink,
    transcript: bool,
) -> Claim {
    let message = v.get("message").cloned().unwrap_or(Value::Null);
    let model = message.get("model").and_then(Value::as_str);
    let synthetic = model == Some("<synthetic>");
    let api_error = v.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true);
    if api_error || (synthetic && v.get("error").is_some_and(Value::is_string)) {
        let text = text_of(&message).unwrap_or_default();
        let mut r = claude_code_record(None);
        at.place(&mut r);
        r.stamp = stamp;
        r.evidence = Evidence::Whole;
        r.model = sink.last_model.clone();
        r.request_id = v
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_string);
        match displayed(&text) {
            Some(said) => apply(said, &mut r),
            None => r.message = Some(one_line(&text)),
        }
        if let Some(s) = v
            .get("apiErrorStatus")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
        {
            r.http_status = Some(s);
        }
        if r.http_status.is_none() && r.error_type.is_none() {
            // The Agent SDK's error enum, when the text names no status.
            r.http_status = match v.get("error").and_then(Value::as_str) {
                Some("rate_limit") => Some(429),
                Some("authentication_failed") => Some(401),
                Some("billing_error") | Some("invalid_request") => Some(400),
                Some("server_error") => Some(500),
                _ => None,
            };
            if r.http_status.is_none() {
                r.error_type = Some("unknown".into());
            }
        }
        sink.push(r);
        return Claim::Relevant;
    }
    let other = if transcript {
        Claim::Noise
    } else {
        Claim::NotMine
    };
    let Some(model) = model.filter(|m| !synthetic && !m.is_empty()) else {
        return other;
    };
    if message.get("usage").is_none() {
        return other;
    }
    sink.last_model = Some(model.to_string());
    // Each content block of one response is its own record: count the response once.
    let id = v
        .get("requestId")
        .and_then(Value::as_str)
        .or_else(|| message.get("id").and_then(Value::as_str))
        .map(str::to_string);
    if let (Some(id), Some((pending, _))) = (&id, &sink.pending_success) {
        if pending.source_kind == SourceKind::ClaudeCode
            && pending.request_id.as_deref() == Some(id.as_str())
        {
            return Claim::Relevant;
        }
    }
    let mut r = Record::new(SourceKind::ClaudeCode, Outcome::Success);
    at.place(&mut r);
    r.stamp = stamp;
    r.evidence = Evidence::Whole;
    r.endpoint = Some("/v1/messages".into());
    r.provider = Some(provider_of_model(model).into());
    r.model = Some(model.to_string());
    r.request_id = id;
    sink.push(r);
    Claim::Relevant
}
