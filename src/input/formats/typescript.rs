//! TypeScript SDK log lines and error strings.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::input::sink::{Claim, Sink};
use crate::input::toolkit::api::{self, JsonScanner};
use crate::input::toolkit::limits::{MAX_BYTES, MAX_LINES};
use crate::input::toolkit::regex;
use crate::input::toolkit::sdk_text::{
    is_claude_code_debug, is_go_error_line, keep_header, lenient_body, mentions_claude_host,
    one_line, sdk_message, transport_kind, transport_message, Said,
};
use crate::record::{Evidence, Outcome, Record, SourceKind};

/// How far back a Claude transport line makes an ambiguous exception a Claude one.
const CONTEXT_LINES: u64 = 12;

// ---------------------------------------------------------------------------------------------
// util.inspect objects: brace depth with JavaScript string quoting.

#[derive(Debug, Default, Clone)]
struct InspectDepth {
    depth: i32,
    quote: Option<u8>,
    escaped: bool,
}

impl InspectDepth {
    /// Feed a piece of text; true when every brace opened so far is closed again.
    pub(crate) fn feed(&mut self, s: &str) -> bool {
        for b in s.bytes() {
            if let Some(q) = self.quote {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == q {
                    self.quote = None;
                }
                continue;
            }
            match b {
                b'\'' | b'"' | b'`' => self.quote = Some(b),
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
        }
        // A quote never spans lines in inspect output; a stray apostrophe must not swallow
        // the rest of the record.
        self.quote = None;
        self.escaped = false;
        self.depth <= 0
    }
}

/// Fields of an inspected object or a Node error's property block.
#[derive(Debug, Default)]
struct Inspected {
    url: Option<String>,
    status: Option<u16>,
    duration_ms: Option<u64>,
    model: Option<String>,
    message: Option<String>,
    error_type: Option<String>,
    request_id: Option<String>,
    headers: Vec<(String, String)>,
    causes: Vec<String>,
    codes: Vec<String>,
    anthropic: bool,
    openai: bool,
}

fn inspect(text: &str) -> Inspected {
    static URL: LazyLock<Regex> = LazyLock::new(|| regex(r#"\burl: ['"](https?://[^'"\s]+)['"]"#));
    static STATUS: LazyLock<Regex> = LazyLock::new(|| regex(r"\bstatus: (\d{3})\b"));
    static DURATION: LazyLock<Regex> = LazyLock::new(|| regex(r"\bdurationMs: (\d+)"));
    static MODEL: LazyLock<Regex> = LazyLock::new(|| regex(r#"\bmodel: ['"]([^'"\s]+)['"]"#));
    static MESSAGE: LazyLock<Regex> =
        LazyLock::new(|| regex(r#"(?m)^\s*message: (?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")"#));
    static TYPE: LazyLock<Regex> = LazyLock::new(|| regex(r#"\btype: '([a-z_]+_error)'"#));
    static REQUEST_ID: LazyLock<Regex> =
        LazyLock::new(|| regex(r#"(?:'request-id'|requestID|request_id): ['"]([^'"\s]+)['"]"#));
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r#"'?(anthropic-ratelimit-[a-z0-9-]+|retry-after(?:-ms)?|x-should-retry)'?: '([^']*)'"#,
        )
    });
    static CAUSE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^\s*\[?cause\]?: (.+?)(?: \{)?$"));
    static CODE: LazyLock<Regex> = LazyLock::new(|| regex(r"\bcode: '([A-Za-z_]+)'"));
    let cap = |re: &Regex| re.captures(text).map(|c| c[1].to_string());
    let mut out = Inspected {
        url: cap(&URL),
        status: STATUS.captures(text).and_then(|c| c[1].parse().ok()),
        duration_ms: DURATION.captures(text).and_then(|c| c[1].parse().ok()),
        model: cap(&MODEL),
        message: MESSAGE
            .captures(text)
            .and_then(|c| c.get(1).or(c.get(2)).map(|m| one_line(m.as_str()))),
        error_type: cap(&TYPE),
        request_id: cap(&REQUEST_ID).filter(|id| id != "undefined"),
        ..Inspected::default()
    };
    for c in HEADER.captures_iter(text) {
        out.headers.push((c[1].to_string(), c[2].to_string()));
    }
    for c in CAUSE.captures_iter(text) {
        out.causes.push(c[1].trim().to_string());
    }
    for c in CODE.captures_iter(text) {
        out.codes.push(c[1].to_string());
    }
    out.anthropic = text.contains("anthropic") || text.contains("'request-id'");
    out.openai = text.contains("openai") || text.contains("x-request-id");
    out
}

// ---------------------------------------------------------------------------------------------
// TypeScript SDK.

/// The strings a TypeScript SDK line holds (index = the branch taken).
pub(crate) const MARKERS: [&str; 8] = [
    "[log_",
    "Anthropic:DEBUG:",
    "Error: ",
    "Error]: ",
    "{\"type\":\"error\"",
    "{\\\"type\\\":\\\"error\\\"",
    "socket connection was closed unexpectedly",
    "status code (no body)",
];

/// Lines that belong to other parsers even though they hold TS-like text.
pub(crate) fn foreign_to_ts(line: &str) -> bool {
    static OTHERS: LazyLock<crate::input::toolkit::words::AnyOf> = LazyLock::new(|| {
        crate::input::toolkit::words::AnyOf::new(&[
            "API Error",
            "⎿  Error: ",
            "API error (attempt",
            "API error ·",
            "relay error",
            "Exception: ",
            "Exception - ",
            "Error code: ",
            "error while streaming",
            "[{\"error\":",
        ])
    });
    OTHERS.is_match(line) || is_go_error_line(line) || is_claude_code_debug(line)
}

static TS_INFO: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"\[(log_[0-9a-f]{4,8})((?:, [^\]]*)?)\] (?i:(get|post|put|patch|delete|head)) (\S+) (succeeded|failed) with status (\d{3}) in (\d+)ms(?: - (.*))?"#,
    )
});
static TS_EVENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"\[(log_[0-9a-f]{4,8})((?:, [^\]]*)?)\] (sending request|response start|response error \(([^)]*)\)|connection (timed out|failed)(?: - (.*)| \(([^)]*)\))?|middleware error \(not retryable\))(.*)$"#,
    )
});
/// The `Class: ` before an error message; the message is the rest of the line. Searched
/// without the message so that every candidate in a line is tried (`error: job failed
/// Error: 429 {...}`).
static TS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?:^|[^\w.$/])((?:[A-Za-z_$][\w$]*)?Error|[A-Za-z_$][\w$]* \[Error\]|error)(?: \[[A-Z_]+\])?: ",
    )
});

/// Each `(class, message)` candidate of a line, left to right.
fn ts_errors(line: &str) -> impl Iterator<Item = (&str, &str, usize)> + '_ {
    TS_ERROR.captures_iter(line).filter_map(move |c| {
        let class = c.get(1)?.as_str();
        let end = c.get(0)?.end();
        Some((class, line.get(end..)?, end))
    })
}
static TS_BARE: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?:^|[\s:>|\]])([45]\d\d) (\{\\?"type\\?":\\?"error\\?".*)$"#));
static RETRY_OF: LazyLock<Regex> = LazyLock::new(|| regex(r"retryOf: (log_[0-9a-f]+)"));
static BRACKET_REQUEST_ID: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"request-id: \\?"([^"\\]+)\\?""#));
static ATTEMPTS_LEFT: LazyLock<Regex> = LazyLock::new(|| regex(r"(\d+) attempts? remaining"));

#[derive(Debug)]
enum Stage {
    /// A `[log_...]` info line, held to see whether its debug object follows.
    Info,
    /// Reading a util.inspect object (debug line, old `Anthropic:DEBUG:` line).
    Object(InspectDepth),
    /// An exception: its JSON body may continue, then stack frames and the property block.
    Exception {
        body: Option<(String, JsonScanner)>,
        block: Option<InspectDepth>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `post URL failed/succeeded` or `connection failed` info line (maybe with its object).
    Info,
    /// A debug object alone (`response error (...)`, `connection failed (...)`).
    Debug,
    /// `sending request`: context only (URL, model).
    Sending,
    /// Old `Anthropic:DEBUG:request`: context only.
    OldRequest,
    /// Old `Anthropic:DEBUG:response ...`.
    OldResponse,
    /// An error string, with frames and block.
    Exception,
}

struct TsHeld {
    kind: Kind,
    stage: Stage,
    record: Record,
    log_id: Option<String>,
    /// Accumulated object / property block text.
    text: String,
    lines: u64,
    bytes: usize,
    /// Known from the URL or the body: `Some(true)` Claude, `Some(false)` other vendor.
    claude: Option<bool>,
    anthropic_frames: bool,
    openai_frames: bool,
    /// The first line mentions Anthropic or Claude.
    named: bool,
    /// The error is one the Anthropic SDK raises itself (an HTTP status, or the SDK's own
    /// connection classes and messages), not a raw Node error another library may raise.
    sdk_words: bool,
    /// The SDK gave up on this attempt (no retry follows).
    last_try: bool,
}

/// Per-attempt bookkeeping of `[log_...]` ids.
#[derive(Debug, Default, Clone)]
struct LogInfo {
    attempt: u32,
    claude: Option<bool>,
    model: Option<String>,
}

#[derive(Default)]
pub(crate) struct TsParser {
    held: Option<TsHeld>,
    logs: HashMap<String, LogInfo>,
    /// First-attempt log id -> the log ids of its attempts, in order.
    chains: HashMap<String, Vec<String>>,
    /// The last URL-bearing SDK line: its line number and whether it was a Claude call.
    last_sdk_line: Option<(u64, bool)>,
    /// The line of the last Claude attempt the SDK gave up on (`no more retries left`, `not
    /// retryable`): the exception the caller prints next is about it.
    last_final_failure: Option<u64>,
    /// Log ids already emitted (a debug object read apart from its info line adds nothing).
    emitted: std::collections::HashSet<String>,
    claude_calls: u64,
    other_calls: u64,
    /// The line of the last call to another vendor.
    last_other_call: Option<u64>,
    /// Old SDK: (attempt, attempts remaining) of the last retried response.
    old_chain: Option<(u32, u32)>,
    old_model: Option<String>,
    /// Connection failures without a URL in a file that calls several vendors: held until a
    /// retry of the same chain names its URL (first attempt's log id, record, lines, line).
    deferred: Vec<(String, Record, u64, u64)>,
}

/// Lines a deferred connection failure waits for a retry that names the vendor.
const DEFER_SPAN: u64 = 200;
/// How near another vendor's call makes a connection failure without a URL ambiguous.
const OTHER_VENDOR_SPAN: u64 = 200;

impl TsParser {
    fn remember_log(&mut self, id: &str, retry_of: Option<&str>) -> u32 {
        if self.logs.len() > 8192 {
            self.logs.clear();
            self.chains.clear();
        }
        if let Some(info) = self.logs.get(id) {
            if info.attempt > 0 {
                return info.attempt;
            }
        }
        let attempt = match retry_of {
            None => 1,
            Some(root) => {
                let chain = self
                    .chains
                    .entry(root.to_string())
                    .or_insert_with(|| vec![root.to_string()]);
                if !chain.iter().any(|x| x == id) {
                    chain.push(id.to_string());
                }
                chain
                    .iter()
                    .position(|x| x == id)
                    .map_or(1, |p| p as u32 + 1)
            }
        };
        let root_info = retry_of.and_then(|r| self.logs.get(r)).cloned();
        let info = self.logs.entry(id.to_string()).or_default();
        info.attempt = attempt;
        if let Some(ri) = root_info {
            info.claude = info.claude.or(ri.claude);
            info.model = info.model.clone().or(ri.model);
        }
        attempt
    }

    fn note_call(&mut self, lineno: u64, claude: bool) {
        self.last_sdk_line = Some((lineno, claude));
        if claude {
            self.claude_calls += 1;
        } else {
            self.other_calls += 1;
            self.last_other_call = Some(lineno);
        }
    }

    fn hold(
        &mut self,
        kind: Kind,
        stage: Stage,
        record: Record,
        log_id: Option<String>,
        line: &str,
    ) {
        self.held = Some(TsHeld {
            kind,
            stage,
            record,
            log_id,
            text: String::new(),
            lines: 1,
            bytes: line.len(),
            claude: None,
            anthropic_frames: false,
            openai_frames: false,
            named: api::mentions_claude(line),
            sdk_words: false,
            last_try: line.contains("no more retries left") || line.contains("not retryable"),
        });
    }

    /// Offer a line to the held record. `Some(claim)` when it took the line; `None` when the
    /// record is complete (it was emitted) and the line must be read afresh.
    fn continue_held(&mut self, line: &str, sink: &mut Sink) -> Option<Claim> {
        let h = self.held.as_mut()?;
        if h.lines >= MAX_LINES || h.bytes >= MAX_BYTES {
            self.finish_held(sink);
            return None;
        }
        match &mut h.stage {
            Stage::Info => {
                // Its debug object: `[log_x] response error (...) {` with the same id.
                if let (Some(id), Some(c)) = (h.log_id.as_deref(), TS_EVENT.captures(line)) {
                    if &c[1] == id && !c[3].starts_with("sending") {
                        let rest = c.get(8).map_or("", |m| m.as_str());
                        h.lines += 1;
                        h.bytes += line.len();
                        if let Some(extra) = c.get(7) {
                            h.text.push_str(extra.as_str());
                        }
                        h.text.push_str(rest);
                        h.text.push('\n');
                        let mut depth = InspectDepth::default();
                        if depth.feed(rest) {
                            self.finish_held(sink);
                        } else {
                            h.stage = Stage::Object(depth);
                        }
                        return Some(Claim::Relevant);
                    }
                }
                self.finish_held(sink);
                None
            }
            Stage::Object(depth) => {
                h.lines += 1;
                h.bytes += line.len();
                if h.text.len() < MAX_BYTES {
                    h.text.push_str(line);
                    h.text.push('\n');
                }
                if depth.feed(line) {
                    self.finish_held(sink);
                }
                Some(Claim::Relevant)
            }
            Stage::Exception { body, block } => {
                let line = api::without_collector_prefix(line);
                if let Some((text, scanner)) = body {
                    // The JSON body goes on (a logger broke it, or it is pretty-printed).
                    let frame = line.trim_start().starts_with("at ");
                    if !frame {
                        text.push('\n');
                        text.push_str(line);
                        let closed = scanner.feed(line).is_some();
                        h.lines += 1;
                        h.bytes += line.len();
                        if closed {
                            let said = sdk_message(text).unwrap_or_default();
                            h.claude = h.claude.or(Some(said.claude).filter(|c| *c));
                            said.apply(&mut h.record);
                            *body = None;
                        } else if h.lines > 20 {
                            *body = None;
                        }
                        return Some(Claim::Relevant);
                    }
                    *body = None;
                }
                if let Some(depth) = block {
                    h.lines += 1;
                    h.bytes += line.len();
                    if h.text.len() < MAX_BYTES {
                        h.text.push_str(line);
                        h.text.push('\n');
                    }
                    if line.contains("@anthropic-ai") || line.contains("anthropic") {
                        h.anthropic_frames = true;
                    }
                    if depth.feed(line) {
                        self.finish_held(sink);
                    }
                    return Some(Claim::Relevant);
                }
                let t = line.trim_start();
                let indented = line.len() > t.len();
                if indented
                    && (t.starts_with("at ") || t.starts_with("... ") || t.starts_with("[..."))
                {
                    h.lines += 1;
                    h.bytes += line.len();
                    let l = t.to_ascii_lowercase();
                    if l.contains("anthropic") || l.contains("claude") || l.contains("$bunfs") {
                        h.anthropic_frames = true;
                    }
                    if l.contains("/openai/") || l.contains("openai.") || l.contains("openai@") {
                        h.openai_frames = true;
                    }
                    if t.ends_with('{') {
                        let mut depth = InspectDepth::default();
                        depth.feed("{");
                        *block = Some(depth);
                    }
                    return Some(Claim::Relevant);
                }
                // The property block right after the message when there are no frames.
                if t == "{" || (t.starts_with('{') && t.contains(": ") && !t.contains("\"type\"")) {
                    h.lines += 1;
                    h.bytes += line.len();
                    h.text.push_str(line);
                    h.text.push('\n');
                    let mut depth = InspectDepth::default();
                    if !depth.feed(line) {
                        *block = Some(depth);
                    } else {
                        self.finish_held(sink);
                    }
                    return Some(Claim::Relevant);
                }
                self.finish_held(sink);
                None
            }
        }
    }

    /// Emit the held record (or forget it when it was not about the Claude API).
    fn finish_held(&mut self, sink: &mut Sink) -> bool {
        let Some(mut h) = self.held.take() else {
            return false;
        };
        let obj = if h.text.is_empty() {
            Inspected::default()
        } else {
            inspect(&h.text)
        };
        match h.kind {
            Kind::Sending | Kind::OldRequest => {
                let claude = obj
                    .url
                    .as_deref()
                    .map(|u| api::claude_endpoint(u, &sink.opts.api_paths).is_some())
                    .or(h.claude);
                if h.kind == Kind::OldRequest {
                    self.old_model = obj.model.clone();
                }
                if let Some(id) = &h.log_id {
                    let info = self.logs.entry(id.clone()).or_default();
                    info.claude = info.claude.or(claude);
                    if obj.model.is_some() {
                        info.model = obj.model.clone();
                    }
                }
                if claude != Some(true) {
                    sink.relevant_lines_were_noise(h.lines);
                    return false;
                }
                return true;
            }
            _ => {}
        }
        let r = &mut h.record;
        // Fields from the debug object / property block.
        if let Some(url) = &obj.url {
            match api::claude_endpoint(url, &sink.opts.api_paths) {
                Some(ep) => {
                    r.endpoint.get_or_insert(ep);
                    r.provider
                        .get_or_insert_with(|| api::provider_of_url(url).to_string());
                    h.claude = Some(true);
                }
                None => h.claude = h.claude.or(Some(false)),
            }
        }
        if r.http_status.is_none() && h.kind != Kind::Exception {
            r.http_status = obj.status;
        }
        if h.kind == Kind::Exception && r.http_status.is_none() {
            r.http_status = obj.status;
        }
        r.latency_ms = r.latency_ms.or(obj.duration_ms);
        if r.request_id.is_none() {
            r.request_id = obj.request_id.clone();
        }
        for (n, v) in &obj.headers {
            keep_header(r, n, v);
        }
        if obj.anthropic {
            h.anthropic_frames = true;
        }
        if obj.openai && !obj.anthropic {
            h.openai_frames = true;
        }
        if r.error_type.is_none() && r.outcome == Outcome::Failure && r.http_status.is_some() {
            r.error_type = obj.error_type.clone();
        }
        // Old debug responses print the body after the headers object: `} {"error":...}`.
        if h.kind == Kind::OldResponse && r.outcome == Outcome::Failure {
            let last = h.text.trim_end().lines().last().unwrap_or("").trim_start();
            if let Some(body) = last.strip_prefix("} ").filter(|b| b.starts_with('{')) {
                let said = lenient_body(body);
                if r.message.is_none() {
                    r.message = said.message.map(|m| one_line(&m));
                }
                if r.error_type.is_none() {
                    r.error_type = said.error_type;
                }
                if r.provider_code.is_none() {
                    r.provider_code = said.provider_code;
                }
            }
        }
        // Transport failures: the root cause goes into the message.
        if r.outcome == Outcome::Failure && r.http_status.is_none() {
            let mut cause = obj.causes.last().cloned();
            if cause.is_none() && h.kind != Kind::Exception {
                cause = obj.message.clone();
            }
            let code = obj.codes.last().cloned();
            let base = r.message.clone().unwrap_or_default();
            let cause = cause.or(code.filter(|_| !base.contains("(cause:")));
            if let Some(c) = cause {
                let c = c.strip_prefix("Error: ").unwrap_or(&c).to_string();
                if !base.contains(c.as_str()) {
                    r.message = Some(one_line(&format!("{base} (cause: {c})")));
                }
                // A raw `fetch failed` takes its kind from the cause.
                if base.starts_with("fetch failed") || base.starts_with("connection") {
                    if let Some(k) = transport_kind(&c) {
                        if k == "client_timeout" {
                            r.error_type = Some(k.into());
                        }
                    }
                }
            }
            if r.error_type.is_none() {
                r.error_type = Some("connection_error".into());
            }
        }
        if let Some(id) = &h.log_id {
            if let Some(m) = self.logs.get(id).and_then(|i| i.model.clone()) {
                r.model.get_or_insert(m);
            }
            if let Some(c) = h.claude {
                self.logs.entry(id.clone()).or_default().claude = Some(c);
            }
        }
        if let Some(m) = obj.model.clone() {
            r.model.get_or_insert(m);
        }
        // Is it about the Claude API?
        let claude = match h.kind {
            Kind::Exception => {
                // An exception is about the attempt the SDK last gave up on, once.
                let recent = self
                    .last_final_failure
                    .take()
                    .is_some_and(|at| r.line.unwrap_or(0).saturating_sub(at) <= CONTEXT_LINES);
                if h.claude == Some(true) {
                    true
                } else if h.openai_frames {
                    false
                } else if h.anthropic_frames || (h.named && h.sdk_words) {
                    true
                } else {
                    recent
                }
            }
            _ => match h.claude {
                Some(c) => c,
                None => {
                    let known = h
                        .log_id
                        .as_ref()
                        .and_then(|id| self.logs.get(id))
                        .and_then(|i| i.claude);
                    // A connection failure names no URL, and the OpenAI SDK writes the same
                    // lines: it is Claude's when its retry chain says so, or when the file
                    // shows no other vendor's calls (here or in other loggers' lines). Where
                    // both vendors are called, the call just before says nothing: calls
                    // interleave.
                    let at = r.line.unwrap_or(0);
                    let near =
                        |l: Option<u64>| l.is_some_and(|o| at.abs_diff(o) <= OTHER_VENDOR_SPAN);
                    let others = near(self.last_other_call) || near(sink.other_provider_line);
                    match (known, &h.log_id) {
                        (Some(c), _) => c,
                        (None, Some(id)) if others && r.outcome == Outcome::Failure => {
                            // A retry may still tell whose call it was.
                            let root = self
                                .chains
                                .iter()
                                .find(|(_, ids)| ids.contains(id))
                                .map_or_else(|| id.clone(), |(root, _)| root.clone());
                            if self.deferred.len() >= 64 {
                                let (_, _, lines, _) = self.deferred.remove(0);
                                sink.relevant_lines_were_noise(lines);
                            }
                            let mut held = r.clone();
                            held.provider = Some("anthropic".into());
                            let at = held.line.unwrap_or(0);
                            self.deferred.push((root, held, h.lines, at));
                            return true;
                        }
                        (None, _) => !others,
                    }
                }
            },
        };
        if !claude {
            sink.relevant_lines_were_noise(h.lines);
            return false;
        }
        if r.provider.is_none() {
            r.provider = Some("anthropic".into());
        }
        if h.kind != Kind::Exception {
            if let Some(line) = r.line {
                self.last_sdk_line = Some((line, true));
                if h.last_try && r.outcome == Outcome::Failure {
                    self.last_final_failure = Some(line);
                }
            }
        }
        if let Some(id) = &h.log_id {
            if h.kind == Kind::Debug && self.emitted.contains(id) {
                // Its info line was read (and emitted) apart from it: join only through the
                // request id, never as a second attempt.
                if r.request_id.is_none() {
                    return true;
                }
                r.evidence = Evidence::ResponseDump;
            }
            if self.emitted.len() > 8192 {
                self.emitted.clear();
            }
            self.emitted.insert(id.clone());
        }
        if h.record.evidence == Evidence::Transport && h.record.outcome == Outcome::Failure {
            // The SDK logs an attempt first, before any other line about it: the failure
            // before is another attempt.
            sink.close_last_failure();
        }
        sink.push(h.record);
        true
    }

    /// Finish a record whose only line is the current one (not yet counted): its claim.
    fn finish_now(&mut self, sink: &mut Sink) -> Claim {
        if let Some(h) = &mut self.held {
            h.lines = 0;
        }
        if self.finish_held(sink) {
            Claim::Relevant
        } else {
            Claim::Noise
        }
    }

    fn fresh(&mut self, raw: &str, lineno: u64, sink: &mut Sink, marker: Option<usize>) -> Claim {
        let Some(first) = marker else {
            return Claim::NotMine;
        };
        let line = api::strip_ansi(raw);
        let line = line.as_ref();
        match first {
            0 => {
                if let Some(claim) = self.log_line(line, lineno, sink) {
                    return claim;
                }
            }
            1 => {
                if let Some(claim) = self.old_debug(line, lineno, sink) {
                    return claim;
                }
            }
            _ => {}
        }
        if foreign_to_ts(line) {
            return Claim::NotMine;
        }
        self.error_line(line, lineno)
    }

    /// `[log_...] ...` lines of SDK >= 0.50.
    fn log_line(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Option<Claim> {
        if let Some(c) = TS_INFO.captures(line) {
            let id = c[1].to_string();
            let extras = c.get(2).map_or("", |m| m.as_str());
            let retry_of = RETRY_OF.captures(extras).map(|m| m[1].to_string());
            let url = &c[4];
            let endpoint = api::claude_endpoint(url, &sink.opts.api_paths);
            self.note_call(lineno, endpoint.is_some());
            if let Some(root) = &retry_of {
                self.resolve_deferred(Some(root), endpoint.is_some(), lineno, sink);
            }
            let attempt = self.remember_log(&id, retry_of.as_deref());
            if let Some(info) = self.logs.get_mut(&id) {
                info.claude = Some(endpoint.is_some());
            }
            let Some(endpoint) = endpoint else {
                return Some(Claim::Noise);
            };
            let status: u16 = c[6].parse().ok()?;
            let failed = &c[5] == "failed" || status >= 400;
            let mut r = Record::new(SourceKind::SdkTypescript, Outcome::of(failed));
            r.line = Some(lineno);
            r.stamp = api::leading_stamp(line);
            r.http_status = Some(status);
            r.latency_ms = c[7].parse().ok();
            r.attempt = Some(attempt);
            r.request_id = BRACKET_REQUEST_ID
                .captures(extras)
                .map(|m| m[1].to_string());
            r.provider = Some(api::provider_of_url(url).to_string());
            r.model = api::model_of_path(&endpoint);
            r.endpoint = Some(endpoint);
            r.evidence = Evidence::Transport;
            self.hold(Kind::Info, Stage::Info, r, Some(id), line);
            if let Some(h) = &mut self.held {
                h.claude = Some(true);
            }
            return Some(Claim::Relevant);
        }
        let c = TS_EVENT.captures(line)?;
        let id = c[1].to_string();
        let extras = c.get(2).map_or("", |m| m.as_str());
        let retry_of = RETRY_OF.captures(extras).map(|m| m[1].to_string());
        let what = &c[3];
        let rest = c.get(8).map_or("", |m| m.as_str());
        let stamp = api::leading_stamp(line);
        let mut depth = InspectDepth::default();
        let closed = depth.feed(rest);
        let stage = if closed {
            Stage::Info
        } else {
            Stage::Object(depth)
        };
        let mut text = rest.to_string();
        text.push('\n');
        if what == "sending request" {
            let r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
            self.hold(Kind::Sending, stage, r, Some(id), line);
            if let Some(h) = &mut self.held {
                h.text = text;
            }
            if closed {
                return Some(self.finish_now(sink));
            }
            return Some(Claim::Relevant);
        }
        let attempt = self.remember_log(&id, retry_of.as_deref());
        let mut r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
        r.line = Some(lineno);
        r.stamp = stamp;
        r.attempt = Some(attempt);
        r.evidence = Evidence::Transport;
        r.request_id = BRACKET_REQUEST_ID
            .captures(extras)
            .map(|m| m[1].to_string());
        if what == "response start" {
            r.outcome = Outcome::Success;
        } else if let Some(how) = c.get(5) {
            // `connection timed out - retrying, ...` (info) or `... (retrying, ...)` (debug).
            let timed_out = how.as_str() == "timed out";
            r.error_type = Some(
                if timed_out {
                    "client_timeout"
                } else {
                    "connection_error"
                }
                .into(),
            );
            r.message = Some(format!("connection {}", how.as_str()));
        } else if what.starts_with("middleware") {
            r.error_type = Some("sdk_error".into());
            r.message = Some("middleware error (not retryable)".into());
        }
        let kind = if c.get(6).is_some()
            || (c.get(5).is_some() && c.get(7).is_none() && rest.is_empty())
        {
            Kind::Info
        } else {
            Kind::Debug
        };
        let stage = if kind == Kind::Info {
            Stage::Info
        } else {
            stage
        };
        self.hold(kind, stage, r, Some(id), line);
        if let Some(h) = &mut self.held {
            if kind == Kind::Debug {
                h.text = text;
            }
        }
        if kind == Kind::Debug && closed {
            return Some(self.finish_now(sink));
        }
        Some(Claim::Relevant)
    }

    /// `Anthropic:DEBUG:request ...` / `Anthropic:DEBUG:response ...` (SDK < 0.50).
    fn old_debug(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Option<Claim> {
        static RESPONSE: LazyLock<Regex> = LazyLock::new(|| {
            regex(
                r"Anthropic:DEBUG:response (?:\((?P<what>.*?)\)+ )?(?P<status>\d{3}) (?P<url>https?://\S+)(?P<rest>.*)$",
            )
        });
        static REQUEST: LazyLock<Regex> =
            LazyLock::new(|| regex(r"Anthropic:DEBUG:request (?P<url>https?://\S+)(?P<rest>.*)$"));
        if let Some(c) = REQUEST.captures(line) {
            let url = &c["url"];
            let claude = api::claude_endpoint(url, &sink.opts.api_paths).is_some();
            let rest = c.name("rest").map_or("", |m| m.as_str());
            let mut depth = InspectDepth::default();
            let closed = depth.feed(rest);
            let r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
            self.hold(Kind::OldRequest, Stage::Object(depth), r, None, line);
            if let Some(h) = &mut self.held {
                h.claude = Some(claude);
                h.text = format!("url: '{url}'\n{rest}\n");
            }
            if closed {
                return Some(self.finish_now(sink));
            }
            return Some(Claim::Relevant);
        }
        let c = RESPONSE.captures(line)?;
        let url = &c["url"];
        let endpoint = api::claude_endpoint(url, &sink.opts.api_paths);
        self.note_call(lineno, endpoint.is_some());
        let Some(endpoint) = endpoint else {
            return Some(Claim::Noise);
        };
        let status: u16 = c["status"].parse().ok()?;
        let what = c.name("what").map_or("", |m| m.as_str());
        let failed = status >= 400 || what.starts_with("error");
        let mut r = Record::new(SourceKind::SdkTypescript, Outcome::of(failed));
        r.line = Some(lineno);
        r.stamp = api::leading_stamp(line);
        r.http_status = Some(status);
        r.provider = Some(api::provider_of_url(url).to_string());
        r.model = self
            .old_model
            .take()
            .or_else(|| api::model_of_path(&endpoint));
        r.endpoint = Some(endpoint);
        r.evidence = Evidence::Whole;
        if failed {
            // Attempts are not numbered in old logs: follow the "attempts remaining" countdown.
            let remaining = ATTEMPTS_LEFT
                .captures(what)
                .and_then(|m| m[1].parse::<u32>().ok());
            let attempt = match (remaining, self.old_chain) {
                (Some(k), Some((a, prev))) if k.checked_add(1) == Some(prev) => {
                    Some(a.saturating_add(1))
                }
                (Some(k), _) => Some(2u32.saturating_sub(k) + 1),
                (None, Some((a, 1))) if what.contains("no more retries") => {
                    Some(a.saturating_add(1))
                }
                (None, _) if what.contains("not retryable") => Some(1),
                _ => None,
            };
            self.old_chain = match (remaining, attempt) {
                (Some(k), Some(a)) => Some((a, k)),
                _ => None,
            };
            r.attempt = attempt;
        } else {
            self.old_chain = None;
        }
        let rest = c.name("rest").map_or("", |m| m.as_str());
        let mut depth = InspectDepth::default();
        let closed = depth.feed(rest);
        self.hold(Kind::OldResponse, Stage::Object(depth), r, None, line);
        if let Some(h) = &mut self.held {
            h.claude = Some(true);
            h.text = format!("{rest}\n");
        }
        if closed {
            return Some(self.finish_now(sink));
        }
        Some(Claim::Relevant)
    }

    /// An error string anywhere in the line: `Error: 429 {...}`, `RateLimitError: 529 {...}`,
    /// `APIConnectionError: Connection error.`, `TypeError: fetch failed`, a bare `429 {...}`.
    fn error_line(&mut self, line: &str, lineno: u64) -> Claim {
        let mut found: Option<(Said, usize)> = None;
        let mut sdk_words = false;
        for (class, msg, msg_start) in ts_errors(line) {
            if msg.is_empty() {
                continue;
            }
            sdk_words = matches!(
                class,
                "APIConnectionError" | "APIConnectionTimeoutError" | "APIUserAbortError"
            ) || msg.starts_with("Connection error.")
                || msg.starts_with("Request timed out")
                || msg.starts_with("Request was aborted");
            let said = if class == "error" {
                // Bun prints `error: The socket connection was closed unexpectedly`.
                if msg.starts_with("The socket connection was closed") {
                    transport_message(msg)
                } else {
                    None
                }
            } else if class == "FetchError" {
                // node-fetch: `request to URL failed, reason: socket hang up`.
                msg.strip_prefix("request to ").and_then(|m| {
                    let (url, reason) = m.split_once(" failed, reason: ")?;
                    let mut s = transport_message(reason).unwrap_or(Said {
                        error_type: Some("connection_error".into()),
                        ..Said::default()
                    });
                    s.message = Some(one_line(&format!("Connection error. (cause: {reason})")));
                    s.claude = mentions_claude_host(url);
                    if !s.claude && url.contains("://") {
                        return None;
                    }
                    Some(s)
                })
            } else {
                sdk_message(msg)
            };
            if let Some(s) = said {
                found = Some((s, msg_start));
                break;
            }
        }
        // `"type` is in every match: the literal first, as the regex (ending in `.*$`) is
        // searched backwards from the end of the line.
        if found.is_none() && line.contains("\"type") {
            if let Some(c) = TS_BARE.captures(line) {
                if let Ok(status) = c[1].parse::<u16>() {
                    let body = c.get(2).map_or("", |m| m.as_str());
                    let start = c.get(1).map_or(0, |m| m.start());
                    found = Some((
                        Said::from_body(Some(status), lenient_body(body), body),
                        start,
                    ));
                }
            }
        }
        let Some((said, at)) = found else {
            return Claim::NotMine;
        };
        let mut r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
        r.line = Some(lineno);
        r.stamp = api::leading_stamp(line);
        r.evidence = Evidence::Exception;
        let claude = said.claude;
        // A body cut at the end of the line continues on the next ones.
        let tail = line.get(at..).unwrap_or("");
        let body_start = tail.find(['{', '[']);
        let mut body = None;
        if let Some(bs) = body_start {
            let mut scanner = JsonScanner::default();
            let piece = &tail[bs..];
            if scanner.feed(piece).is_none() && scanner.is_open() {
                body = Some((tail.to_string(), scanner));
            }
        }
        said.apply(&mut r);
        self.hold(
            Kind::Exception,
            Stage::Exception { body, block: None },
            r,
            None,
            line,
        );
        if let Some(h) = &mut self.held {
            if claude {
                h.claude = Some(true);
            }
            h.sdk_words = sdk_words || h.record.http_status.is_some();
        }
        Claim::Relevant
    }
}

impl TsParser {
    pub(crate) fn feed(
        &mut self,
        line: &str,
        lineno: u64,
        sink: &mut Sink,
        marker: Option<usize>,
    ) -> Claim {
        if self.held.is_some() {
            if let Some(claim) = self.continue_held(line, sink) {
                return claim;
            }
        }
        self.fresh(line, lineno, sink, marker)
    }

    pub(crate) fn busy(&self) -> bool {
        self.held.is_some()
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        self.finish_held(sink);
        self.resolve_deferred(None, false, u64::MAX, sink);
    }

    /// A retry named the vendor of chain `root` (`None`: the end of the input): its held
    /// connection failures are Claude's or noise. Failures waiting too long go too.
    fn resolve_deferred(&mut self, root: Option<&str>, claude: bool, lineno: u64, sink: &mut Sink) {
        let mut i = 0;
        while i < self.deferred.len() {
            let (id, _, _, at) = &self.deferred[i];
            let mine = root.is_none_or(|r| r == id);
            if !mine && lineno.saturating_sub(*at) <= DEFER_SPAN {
                i += 1;
                continue;
            }
            let (_, r, lines, _) = self.deferred.remove(i);
            if mine && claude {
                sink.push(r);
            } else {
                sink.relevant_lines_were_noise(lines);
            }
        }
    }
}

/// A TypeScript SDK failure told by a JSON log record: the message alone (`429 {...}`), the
/// whole `Error: 429 {...}` string, or a status and body after the application's own words;
/// `err` (pino's serialized error) may add the request id and headers.
///
/// `joins`: the status of a failure told just before (the SDK's own log line of the attempt
/// whose error the app logs here); an error with that status is more of it, whoever's body it
/// quotes (a relay answers in OpenAI's shape).
pub(crate) fn json_record(
    first: &str,
    text: &str,
    err: Option<&Value>,
    joins: Option<u16>,
) -> Option<Record> {
    let said = sdk_message(first)
        .or_else(|| ts_errors(first).find_map(|(_, msg, _)| sdk_message(msg)))
        .or_else(|| {
            let c = TS_BARE.captures(first)?;
            let body = c.get(2)?.as_str();
            Some(Said::from_body(c[1].parse().ok(), lenient_body(body), body))
        })?;
    let stack = err
        .and_then(|e| e.get("stack"))
        .and_then(Value::as_str)
        .unwrap_or(text);
    let request_id = err
        .and_then(|e| e.get("requestID"))
        .and_then(Value::as_str)
        .filter(|id| id.starts_with("req_"));
    let sdk_frames = stack.contains("@anthropic-ai/sdk") || stack.contains("Anthropic.");
    let claude = said.claude
        || sdk_frames
        || request_id.is_some()
        || (joins.is_some() && said.http_status == joins);
    if !claude {
        return None;
    }
    let mut r = Record::new(SourceKind::SdkTypescript, Outcome::Failure);
    r.evidence = Evidence::Exception;
    r.provider = Some("anthropic".into());
    r.request_id = request_id.map(str::to_string);
    if let Some(h) = err
        .and_then(|e| e.get("headers"))
        .and_then(Value::as_object)
    {
        for (n, val) in h {
            if let Some(val) = val.as_str() {
                keep_header(&mut r, n, val);
            }
        }
    }
    said.apply(&mut r);
    Some(r)
}
