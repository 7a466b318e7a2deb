//! The format-agnostic layer: after the precise parsers, and never instead of them, it finds
//! failed Claude API calls in lines whose layout nobody wrote a parser for.
//!
//! It sees only what no precise parser claimed (a line every parser passed on, a JSON object
//! no reader recognised). It counts a call only in a Claude context (see [`context`]), never
//! another vendor's, and its records join what the precise parsers found through the sink's
//! usual rules, so one attempt stays one failure.

mod access;
mod audit;
mod context;
mod text;

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::input::sink::{Claim, LineParser, Position, Sink};
use crate::input::toolkit::producer;
use crate::input::toolkit::words::AnyOf;
use crate::record::{Evidence, Outcome, Record, SourceKind};
use context::Context;

pub(crate) use context::context;

/// Words of a Claude context, or of another vendor's, as logs spell them: a quiet line with
/// one of them is read in full by [`context`] (a request dump for another vendor's model
/// before an error makes that error not Claude's).
static CONTEXT_HINT: LazyLock<AnyOf> = LazyLock::new(|| {
    AnyOf::new(&[
        "claude",
        "Claude",
        "anthropic",
        "Anthropic",
        "/v1/messages",
        "req_011",
        "msg_01",
        "toolu_",
        "overloaded_error",
        "x-api-key",
        "openai",
        "OpenAI",
        "gpt-",
        "gemini",
        "Gemini",
        "llama",
        "Llama",
        "mistral",
        "Mistral",
        "amazon.titan",
        "amazon.nova",
        "cohere",
        "deepseek",
        "qwen",
        "glm-",
        "GLM-",
        "zhipu",
        "Zhipu",
        "moonshot",
        "kimi-",
        "codex",
        "Codex",
    ])
});

/// How far back a Claude call or Claude words make error text without a context of its own
/// about Claude.
const CLAUDE_CONTEXT_SPAN: u64 = 200;
/// Error text this close after a failure with an agreeing status is more of that failure.
const DETAIL_LINES: u64 = 2;
/// The same for a continuation line (indented, or a `key:` of a dumped error object): dumps of
/// one error run longer.
const DUMP_LINES: u64 = 25;

/// The agnostic line reader: the last parser a line is offered to.
#[derive(Default)]
pub(crate) struct Agnostic {
    /// The last line with Claude words (a model id, a host, an Anthropic error type).
    claude_words: Option<u64>,
    /// The last line with another vendor's words.
    other_words: Option<u64>,
    /// Error text read before any Claude context: it is a failure if Claude's words follow
    /// within a dump's length and nothing else told the attempt meanwhile.
    pending: Option<Record>,
    /// The last detail line read as more of a failure: the failure's id and the line. The
    /// next detail may follow that line, not only the failure's first (a relay's
    /// `... failed: Claude API error: 429`, then its `Error: Claude API error: 429` stack).
    detail: Option<(u32, u64)>,
    /// The last failure this layer read from error text: its id and the shape of its line
    /// ([`shape`]). A later line of the same shape tells another attempt, not a detail.
    head: Option<(u32, u64)>,
    /// The last line read here that was not blank and held neither error words nor a status.
    quiet: Option<u64>,
    /// The last failure was read from a summary of retried attempts (`RetryError [AI_RetryError]:
    /// Failed after 3 attempts. Last error: ...`): its id. The first attempt dumped below it
    /// is where that failure starts; the summary is not an attempt of its own.
    summary: Option<u32>,
    /// An audit entry printed as YAML (`gcloud logging read`): the `status:` line of a
    /// `protoPayload`, its indent, and the gRPC code read below it.
    yaml_status: Option<(u64, usize, Option<u64>)>,
    /// The last `resourceName:`/`resource:` line that named a Claude model on Vertex or
    /// Bedrock, and the model.
    yaml_resource: Option<(u64, String)>,
    /// The entry's `methodName:` counts tokens: not a Messages call.
    yaml_counting: bool,
}

/// A summary of retried attempts rather than an attempt (the AI SDK's `RetryError`, the
/// words `Failed after N attempts`).
fn retry_summary(line: &str) -> bool {
    let failed_after = line.split_once("Failed after ").map(|(_, r)| r);
    line.contains("AI_RetryError")
        || line.contains("RetryError:")
        || failed_after.is_some_and(|r| {
            line.contains("RetryError")
                || r.trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with(" attempts")
        })
}

/// The attempt a relay's retry notice ends (`upstream 429 (retry 2/3), waiting 1.9s`: the
/// second attempt failed, a third follows).
fn announced_retry(line: &str) -> Option<u32> {
    static RETRY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\(retry (\d{1,3})/\d{1,3}\)").expect("static regex"));
    if !line.contains("(retry ") {
        return None;
    }
    RETRY.captures(line).and_then(|c| c[1].parse().ok())
}

/// A line's shape: a hash of it without its digits (times, counters, ids change from one
/// attempt's line to the next; the words stay).
fn shape(line: &str) -> u64 {
    line.bytes()
        .filter(|b| !b.is_ascii_digit())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

impl LineParser for Agnostic {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        if let Some(claim) = self.yaml_status(line, lineno, sink) {
            return claim;
        }
        // Most lines no parser claimed hold neither error words nor a status: only their
        // Claude words matter (cheap, vectorized searches first).
        let may_err = text::may_hold_error(line);
        if !may_err && self.pending.is_none() && !text::has_status_number(line) {
            if CONTEXT_HINT.is_match(line) {
                let ctx = context(line);
                self.note_words(line, lineno, ctx, sink);
            }
            // A heading of what follows (`Response body:`) introduces it.
            let t = line.trim_end();
            if !t.is_empty() && !t.ends_with(':') {
                self.quiet = Some(lineno);
            }
            return Claim::NotMine;
        }
        if let Some(status) = response_status_line(line) {
            sink.response_head = Some((lineno, status));
            return Claim::NotMine;
        }
        let ctx = context(line);
        self.note_words(line, lineno, ctx, sink);
        if may_err && (ctx.claude_route || !ctx.other) {
            note_proxy_error(line, lineno, sink);
        }
        if let Some(p) = self.pending.take() {
            let at = p.line.unwrap_or(0);
            let told_since = sink.claude_line.is_some_and(|l| l >= at);
            if lineno.saturating_sub(at) <= DUMP_LINES && !told_since && !ctx.other {
                if ctx.is_claude() {
                    sink.push(p);
                } else {
                    self.pending = Some(p);
                }
            }
        }
        if !(ctx.claude || ctx.claude_route) {
            return self.error_text(line, lineno, ctx, may_err, sink);
        }
        // A JSON object after a prefix (a collector's time stamp, a pod name), or an array of
        // them (`claude -p --output-format json --verbose` prints `[init, ..., result]`).
        let open = match (line.find("[{"), line.find('{')) {
            (Some(a), Some(o)) if a + 1 == o => Some(a),
            (_, o) => o,
        };
        if let Some(open) = open {
            let tail = line[open..].trim_end();
            let whole = (tail.starts_with('{') && tail.ends_with('}'))
                || (tail.starts_with("[{") && tail.ends_with("}]"));
            if (open > 0 || tail.starts_with('[')) && whole {
                if let Ok(v) = serde_json::from_str::<Value>(tail) {
                    let claim = match &v {
                        Value::Array(items) => {
                            let mut claim = Claim::NotMine;
                            for item in items {
                                let at = Position::Line(lineno);
                                if crate::input::dispatch::object(item, at, sink) == Claim::Relevant
                                {
                                    claim = Claim::Relevant;
                                }
                            }
                            claim
                        }
                        _ => object(&v, Position::Line(lineno), sink),
                    };
                    if claim != Claim::NotMine {
                        return claim;
                    }
                }
            }
        }
        if let Some(seen) = access::read_text(line) {
            return push_access(&seen, line, Position::Line(lineno), sink);
        }
        self.error_text(line, lineno, ctx, may_err, sink)
    }
}

impl Agnostic {
    /// Remember the Claude and other-vendor words of a line, for all lines and for the
    /// line's producer.
    fn note_words(&mut self, line: &str, lineno: u64, ctx: Context, sink: &mut Sink) {
        let claude = ctx.claude || ctx.claude_route;
        if !(claude || ctx.other) {
            return;
        }
        if ctx.other {
            self.other_words = Some(lineno);
        }
        if claude {
            self.claude_words = Some(lineno);
        }
        sink.note_producer_words(producer::of(line), lineno, claude, ctx.other);
    }

    /// The last Claude and other-vendor words before an error line: its producer's, when
    /// the line names one whose words were seen, else any line's.
    fn words_before(&self, line: &str, sink: &Sink) -> (Option<u64>, Option<u64>) {
        sink.producer_words(producer::of(line))
            .unwrap_or((self.claude_words, self.other_words))
    }

    /// An audit entry's status block in YAML (`gcloud logging read`'s default output):
    /// `  status:`, `    code: 8`, `    message: '...'`. A failure at the `status:` line when
    /// the entry's resource is a Claude model; the gRPC code gives the status.
    fn yaml_status(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Option<Claim> {
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        if let Some(rest) = t
            .strip_prefix("resourceName: ")
            .or_else(|| t.strip_prefix("resource: "))
        {
            if rest.contains("publishers/anthropic/models/") {
                let model = rest.rsplit('/').next().unwrap_or(rest);
                self.yaml_resource = Some((lineno, model.trim_matches('\'').to_string()));
            }
            return None;
        }
        if let Some(method) = t.strip_prefix("methodName: ") {
            // Counting tokens is not a Messages call.
            self.yaml_counting = method.contains("CountTokens");
            return None;
        }
        if t == "status:" {
            self.yaml_status = Some((lineno, indent, None));
            return None;
        }
        let (at, ind, code) = self.yaml_status?;
        if indent <= ind || lineno > at + 2 {
            self.yaml_status = None;
            return None;
        }
        if let Some(c) = t.strip_prefix("code: ") {
            self.yaml_status = Some((at, ind, c.trim().parse().ok()));
            return Some(Claim::Noise);
        }
        let message = t.strip_prefix("message: ")?;
        self.yaml_status = None;
        let name = code.and_then(audit::grpc_name)?;
        let (_, model) = self
            .yaml_resource
            .as_ref()
            .filter(|(l, _)| !self.yaml_counting && at.saturating_sub(*l) <= DUMP_LINES)?;
        let mut r = Record::new(SourceKind::Vertex, Outcome::Failure);
        r.line = Some(at);
        r.evidence = Evidence::Whole;
        r.provider = Some("vertex".into());
        r.http_status = crate::input::toolkit::api::google_status_code(name);
        r.error_type = Some(
            crate::input::toolkit::api::google_status_error_type(name)
                .unwrap_or("api_error")
                .to_string(),
        );
        r.provider_code = Some(name.to_string());
        let message = message.trim();
        let unquoted = message
            .strip_prefix('\'')
            .and_then(|m| m.strip_suffix('\''))
            .unwrap_or(message);
        r.message = Some(unquoted.to_string());
        r.model = Some(model.clone());
        sink.push(r);
        Some(Claim::Relevant)
    }

    /// Error text on a line no parser claimed, in a Claude context: the line's own, or a
    /// Claude call or Claude words shortly before (and no other vendor's since).
    fn error_text(
        &mut self,
        line: &str,
        lineno: u64,
        ctx: Context,
        may_err: bool,
        sink: &mut Sink,
    ) -> Claim {
        if !may_err {
            return Claim::NotMine;
        }
        if ctx.other && !ctx.claude_route {
            return Claim::NotMine;
        }
        let mut unconfirmed = false;
        if !ctx.is_claude() {
            let near = |at: Option<u64>| {
                at.is_some_and(|a| lineno.saturating_sub(a) <= CLAUDE_CONTEXT_SPAN)
            };
            let (claude_words, other_words) = self.words_before(line, sink);
            let claude_at = claude_words.max(sink.claude_line);
            let other_at = other_words.max(sink.other_provider_line);
            if other_at > claude_at && near(other_at) {
                return Claim::NotMine;
            }
            unconfirmed = !near(claude_at);
        }
        let Some(said) = text::read_triggered(line) else {
            return Claim::NotMine;
        };
        // A transport failure alone is one only on a line about a Claude call, and not on a
        // proxy's own error line (that starts the failure of its access line).
        let client_retry = line.contains("connection broken by");
        // (A client's retry notice may name no host: its Claude context is the lines before.)
        let about_claude = ctx.is_claude() || (client_retry && !unconfirmed);
        if said.transport_only
            && (!about_claude || (proxy_error_text(line).is_some() && !client_retry))
        {
            return Claim::NotMine;
        }
        sink.follow_producer(line);
        // An access line is a call or not by its request, never by its words.
        if let Some(seen) = access::read_text(line) {
            return push_access(&seen, line, Position::Line(lineno), sink);
        }
        // A detail of the failure just told (its body, its status on the next line), unless
        // a line about something else came between (the next call's own log line).
        let dump = continues(line);
        let within = if table_row(line) {
            // A row of an exported table (CSV) is a record of its own.
            0
        } else if dump {
            DUMP_LINES
        } else if self.quiet == Some(lineno.saturating_sub(1)) {
            0
        } else {
            DETAIL_LINES
        };
        let last_id = sink.last_failure_id();
        let recent = match self.detail {
            // A chain of details: each close to the one before, however far from the failure.
            Some((id, at)) if Some(id) == last_id && lineno.saturating_sub(at) <= within => {
                sink.recent_failure(lineno, CLAUDE_CONTEXT_SPAN)
            }
            _ => sink.recent_failure(lineno, within),
        };
        // The first attempt below a summary of retried attempts: the failure starts here.
        if let (Some(id), Some(f)) = (self.summary, recent) {
            let headline = !dump || !continues_indented(line);
            if Some(id) == last_id && headline && f.error_type.as_deref() == said.error_type {
                self.summary = None;
                sink.move_last_failure(lineno, said.message.clone());
                self.head = Some((id, shape(line.trim())));
                self.detail = Some((id, lineno));
                return Claim::Relevant;
            }
        }
        // A dump quoting the last failure's error again, type and message (the echo of a
        // stream's error event in the exception's `value:`), further down the same dump; or
        // a session's summary naming the error that ended it (the Agent SDK's result message,
        // `terminal_reason: 'api_error'`).
        if recent.is_none() && dump && !said.stated {
            let reason = line
                .trim_start()
                .split_once(": ")
                .is_some_and(|(k, _)| k.ends_with("reason") && !k.contains(' '));
            let echo = sink
                .newest_failure(lineno, CLAUDE_CONTEXT_SPAN)
                .is_some_and(|f| {
                    reason
                        || (f.error_type.is_some()
                            && f.error_type.as_deref() == said.error_type
                            && f.message
                                .as_deref()
                                .is_some_and(|m| m.len() >= 5 && line.contains(m)))
                });
            if echo {
                self.detail = last_id.map(|id| (id, lineno));
                return Claim::Relevant;
            }
        }
        // Another attempt, not more of the last: a line of the same shape as the last
        // failure's first, or a client's retry notice (each tells an attempt of its own).
        let again = self
            .head
            .is_some_and(|(id, sh)| Some(id) == last_id && sh == shape(line.trim()))
            || client_retry;
        // A retry notice after an attempt that ended (an access line, an earlier notice) is
        // the next attempt's failure.
        let retry = announced_retry(line);
        let ended = |f: &Record| f.source_kind != SourceKind::ErrorText || f.attempt.is_some();
        if let Some(f) = recent.filter(|f| !(again || (retry.is_some() && ended(f)))) {
            // An indented line of a dump may name the type of an error it quotes (a relayed
            // upstream body): only a status written on it can disagree.
            let indented = line.starts_with([' ', '\t']);
            let agrees = match (f.effective_status(), said.status) {
                (Some(a), Some(b)) => a == b || (dump && indented && !said.stated),
                _ => true,
            } && match (&f.request_id, &said.request_id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            if agrees {
                self.detail = last_id.map(|id| (id, lineno));
                return Claim::Relevant;
            }
        }
        let mut r = Record::new(SourceKind::ErrorText, Outcome::Failure);
        r.line = Some(lineno);
        r.evidence = Evidence::Whole;
        r.http_status = said.status;
        r.error_type = said.error_type.map(str::to_string);
        r.provider_code = said.code;
        r.message = said.message;
        r.model = said.model;
        r.request_id = said.request_id;
        r.stamp = access::stamp_anywhere(line);
        r.attempt = retry;
        if unconfirmed {
            // No Claude context yet: wait for one (a URL or model in the dump below).
            // The first attempt below a summary of retried attempts takes its place.
            let replaces = self.pending.as_ref().is_some_and(|p| {
                p.message.as_deref().is_some_and(retry_summary)
                    && p.error_type == r.error_type
                    && !continues_indented(line)
            });
            if self.pending.is_none() || replaces {
                r.provider = Some("anthropic".into());
                self.pending = Some(r);
            }
            return Claim::NotMine;
        }
        let lower = line.to_ascii_lowercase();
        r.provider = Some(
            if lower.contains("bedrock")
                || r.model
                    .as_deref()
                    .is_some_and(|m| m.contains("anthropic.claude"))
            {
                "bedrock"
            } else if lower.contains("vertex") || lower.contains("aiplatform") {
                "vertex"
            } else {
                "anthropic"
            }
            .into(),
        );
        sink.push(r);
        self.head = sink.last_failure_id().map(|id| (id, shape(line.trim())));
        self.summary = if retry_summary(line) {
            sink.last_failure_id()
        } else {
            None
        };
        Claim::Relevant
    }
}

/// A JSON object that no precise reader recognised.
pub(crate) fn object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    if let Some(records) = audit::records(v) {
        for mut r in records {
            at.place(&mut r);
            sink.push(r);
        }
        return Claim::Relevant;
    }
    // Caddy's reverse proxy cutting a response it had begun to stream (`aborting with
    // incomplete response`): the client had its 200, then the stream broke. Its access entry
    // (status 200) follows.
    if let (Position::Line(n), Some(Value::String(msg))) = (at, v.get("msg")) {
        let logger = v.get("logger").and_then(Value::as_str).unwrap_or("");
        if logger.contains("reverse_proxy") && msg.contains("incomplete response") {
            let uri = v
                .pointer("/request/uri")
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Some(endpoint) =
                crate::input::toolkit::api::endpoint_of(uri, &sink.opts.api_paths)
            {
                let mut r = Record::new(SourceKind::AccessLog, Outcome::Failure);
                r.line = Some(n);
                r.evidence = Evidence::Whole;
                r.provider = Some("anthropic".into());
                r.http_status = Some(200);
                r.error_type = Some("stream_error".into());
                r.endpoint = Some(endpoint);
                let cause = v.get("error").and_then(Value::as_str).unwrap_or("");
                r.message = Some(if cause.is_empty() {
                    msg.clone()
                } else {
                    format!("{msg}: {cause}")
                });
                r.stamp = v
                    .get("ts")
                    .and_then(Value::as_f64)
                    .and_then(crate::time::epoch_seconds);
                sink.push(r);
                return Claim::Relevant;
            }
        }
    }
    // A proxy's JSON error logger (Caddy's `http.log.error`) names the cause: of its own
    // record, or of the access line that follows.
    let msg = ["msg", "message", "error", "err"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str));
    if let (Position::Line(n), Some(msg)) = (at, msg) {
        let noted = note_proxy_error(msg, n, sink);
        // An error logger's entry (Caddy's `http.log.error.*`) repeats the request of the
        // access entry that follows it: it is that failure's cause, not a call of its own.
        let error_logger = v
            .get("logger")
            .and_then(Value::as_str)
            .is_some_and(|l| l.contains("log.error"));
        if noted && error_logger {
            return Claim::Relevant;
        }
    }
    if let Some(seen) = access::read_json(v) {
        let text = v.to_string();
        return push_access(&seen, &text, at, sink);
    }
    Claim::NotMine
}

/// `HTTP/1.1 429 Too Many Requests`, `HTTP/2 404 `: a raw response's status line, when the
/// status failed.
fn response_status_line(line: &str) -> Option<u16> {
    let rest = line.strip_prefix("HTTP/")?;
    let (version, rest) = rest.split_once(' ')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let code = rest.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit())
        || rest.as_bytes().get(3).is_some_and(|b| *b != b' ')
    {
        return None;
    }
    code.parse().ok().filter(|s| (400..600).contains(s))
}

/// A row of a table exported as CSV with quoted fields (`"2025-07-02T10:00:44Z","Converse",...`).
fn table_row(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('"')
        && memchr::memmem::find_iter(t.as_bytes(), b"\",\"")
            .nth(2)
            .is_some()
}

/// A line that continues a dumped error rather than telling one: indented, a bracket or quote
/// first, or a `key:` field of an object.
fn continues(line: &str) -> bool {
    let t = line.trim_start();
    // A Java exception's cause, below its stack frames.
    if t.starts_with("Caused by: ") {
        return true;
    }
    // A member of a printed object that holds an exception (`  lastError: APICallError ...`,
    // `  cause: ZodError: ...`): the same error again, or its cause.
    if continues_indented(line) {
        return true;
    }
    // An exception's own headline, however indented (`    APICallError [AI_APICallError]: ...`).
    let word: &str = t.split([' ', ':', '[']).next().unwrap_or("");
    if word.ends_with("Error") || word.ends_with("Exception") {
        return false;
    }
    if line
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_whitespace())
    {
        return true;
    }
    if t.starts_with(['}', ']', '"', '\'', ')']) {
        return true;
    }
    // `statusCode: 529,` / `message: '...'`: a key of a printed object.
    let key: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    !key.is_empty()
        && t[key.len()..].starts_with(": ")
        && key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

/// An indented `key: ` member of a printed object, the key in lower camel or snake case.
fn continues_indented(line: &str) -> bool {
    let t = line.trim_start();
    if t.len() == line.len() {
        return false;
    }
    let key = t
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    key > 0 && t.as_bytes()[0].is_ascii_lowercase() && t[key..].starts_with(": ")
}

fn push_access(seen: &access::Seen, whole: &str, at: Position, sink: &mut Sink) -> Claim {
    let Some((endpoint, provider)) = access::claude_call(seen, whole, &sink.opts.api_paths) else {
        return Claim::Noise;
    };
    for mut r in access::record(seen, endpoint, provider) {
        at.place(&mut r);
        // The proxy's own error line right before: where the failure starts, and its cause.
        sink.proxy_cause(&mut r);
        sink.push(r);
    }
    Claim::Relevant
}

/// The cause a proxy's error line gives for a failed upstream call, cut to a message.
fn proxy_error_text(line: &str) -> Option<String> {
    static WORDS: LazyLock<AnyOf> = LazyLock::new(|| {
        AnyOf::new(&[
            "Connection refused",
            "Connection reset",
            "Timed out",
            "No such host",
            "connection refused",
            "connection reset",
            "reset by peer",
            "timed out",
            "timeout specified has expired",
            "i/o timeout",
            "no such host",
            "no healthy upstream",
            "no live upstreams",
            "error reading status line",
            "upstream prematurely closed",
            "unexpected eof",
            "broken pipe",
            "timeout awaiting",
            "disabled connection",
            // An external processor's failure (Envoy AI Gateway's ext_proc), gRPC-worded.
            "error processing request message",
        ])
    });
    if !WORDS.is_match(line) {
        return None;
    }
    let t = line.trim();
    let mut end = t.len().min(300);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    Some(t[..end].to_string())
}

/// Note a proxy's error line (the first of a run of them).
fn note_proxy_error(line: &str, lineno: u64, sink: &mut Sink) -> bool {
    let Some(text) = proxy_error_text(line) else {
        return false;
    };
    match &sink.proxy_error {
        Some((l, _)) if lineno.saturating_sub(*l) <= crate::input::sink::PROXY_ERROR_LINES => {}
        _ => sink.proxy_error = Some((lineno, text)),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{parse_text, ScanOptions};

    fn failures(text: &str) -> Vec<(Option<u64>, Option<u16>)> {
        parse_text(text, &ScanOptions::default())
            .failures
            .iter()
            .map(|f| (f.line, f.effective_status()))
            .collect()
    }

    /// A relay tells one upstream error on several lines, each right after the one before: one
    /// failure. The next request's error is another.
    #[test]
    fn details_follow_the_last_detail_line() {
        let one = concat!(
            "ERROR: Claude API returned error status: 429 | {}\n",
            "ERROR: Claude API error response: | {}\n",
            "ERROR: Claude stream relay failed: Claude API error: 429 | {}\n",
            "Error: Claude API error: 429\n",
            "    at IncomingMessage.<anonymous> (/srv/relay.js:707:20)\n",
        );
        let text = format!("{one}INFO: request done\nINFO: next request\nINFO: streaming\n{one}");
        assert_eq!(
            failures(&text),
            [(Some(1), Some(429)), (Some(9), Some(429))]
        );
    }

    /// The lines of a dump below a failure are its detail, whatever error type they quote.
    #[test]
    fn a_dump_quoting_another_type_is_a_detail() {
        let text = concat!(
            "  ⎿  API Error: 400 event: error from the claude relay\n",
            "     data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"{\\\"error\\\":{\\\"message\\\":\\\"Invalid input\n",
            "     name\\\",\\\"type\\\":\\\"invalid_request_error\\\"}}\"}}\n",
        );
        assert_eq!(failures(text).len(), 1);
    }

    /// Caddy's error logger, then the access logger, for one request: one failure, starting
    /// at the error entry, with its cause.
    #[test]
    fn a_caddy_error_entry_is_the_cause_of_the_next_access_entry() {
        let req = r#""request":{"remote_ip":"192.0.2.31","proto":"HTTP/2.0","method":"POST","host":"claude.example.dev","uri":"/v1/messages"}"#;
        let text = format!(
            "{{\"level\":\"error\",\"ts\":1765213240.3319,\"logger\":\"http.log.error.log0\",\"msg\":\"dial tcp 203.0.113.9:443: connect: connection refused\",{req},\"duration\":0.002,\"status\":502,\"err_id\":\"x1\"}}\n{{\"level\":\"error\",\"ts\":1765213240.332,\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\",{req},\"duration\":0.002,\"status\":502}}\n"
        );
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].line, Some(1));
        assert!(s.failures[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("connection refused")));
    }

    /// Rows of a CSV export (an Athena query over CloudTrail): one failure each, however close.
    #[test]
    fn csv_rows_are_records_of_their_own() {
        let text = concat!(
            "\"eventtime\",\"eventname\",\"errorcode\",\"errormessage\",\"requestparameters\"\n",
            "\"2025-07-02T10:00:44Z\",\"Converse\",\"ThrottlingException\",\"Too many requests, please wait before trying again.\",\"{\"\"modelId\"\":\"\"eu.anthropic.claude-sonnet-4-20250514-v1:0\"\"}\"\n",
            "\"2025-07-02T10:00:45Z\",\"Converse\",\"ThrottlingException\",\"Too many requests, please wait before trying again.\",\"{\"\"modelId\"\":\"\"eu.anthropic.claude-sonnet-4-20250514-v1:0\"\"}\"\n",
        );
        assert_eq!(failures(text).len(), 2);
    }

    /// A Java exception's `Caused by:` below its stack frames is the same failure.
    #[test]
    fn a_java_cause_is_a_detail() {
        let mut text = String::from("ERROR c.e.ClaudeVertexClient : rawPredict failed for publishers/anthropic/models/claude-3-5-sonnet-v2@20241022\n");
        text.push_str("com.google.api.gax.rpc.ResourceExhaustedException: io.grpc.StatusRuntimeException: RESOURCE_EXHAUSTED: Quota exceeded for aiplatform.googleapis.com\n");
        for _ in 0..12 {
            text.push_str("\tat com.google.api.gax.rpc.ApiExceptionFactory.createException(ApiExceptionFactory.java:100)\n");
        }
        text.push_str("Caused by: io.grpc.StatusRuntimeException: RESOURCE_EXHAUSTED: Quota exceeded for aiplatform.googleapis.com\n");
        assert_eq!(failures(&text).len(), 1);
    }

    /// An error two lines after another with the same status, the next call's own line
    /// between them: another attempt (a relay's next provider).
    #[test]
    fn a_quiet_line_between_ends_the_details() {
        let text = concat!(
            "2024-11-11 21:05:40,118 - relay - INFO - provider: vertex model: claude-3-5-sonnet\n",
            "2024-11-11 21:05:41,930 - relay - ERROR - Error 429 with provider vertex: RESOURCE_EXHAUSTED\n",
            "2024-11-11 21:05:41,931 - relay - INFO - provider: vertex-eu model: claude-3-5-sonnet\n",
            "2024-11-11 21:05:43,207 - relay - ERROR - Error 429 with provider vertex-eu: RESOURCE_EXHAUSTED\n",
        );
        assert_eq!(failures(text), [(Some(2), Some(429)), (Some(4), Some(429))]);
        // A heading (`Response body:`) introduces the detail below it.
        let text = concat!(
            "urllib3 DEBUG https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/anthropic.claude-3-haiku/invoke HTTP/1.1\" 429 65\n",
            "botocore.parsers [DEBUG] Response body:\n",
            "b'{\"message\":\"Too many requests, please wait before trying again.\"}'\n",
        );
        assert_eq!(failures(text).len(), 1);
        // Another request id is another attempt.
        let text = concat!(
            "ERROR claude call failed: Error code: 429 request_id=req_011CAAAAAAAAAAAA\n",
            "ERROR claude call failed: rate_limit_error request_id=req_011CBBBBBBBBBBBB\n",
        );
        assert_eq!(failures(text).len(), 2);
    }

    /// The same error line again, each after the access line of its request: an attempt each,
    /// however close.
    #[test]
    fn a_line_of_the_same_shape_is_another_attempt() {
        let refused = "15:02:0{} - Router:ERROR: An exception occurred - No deployments available for selected model. Passed model=claude-3-haiku-20240307\n";
        let mut text = String::new();
        for i in 0..3 {
            text.push_str(&refused.replace("{}", &i.to_string()));
            text.push_str("access: request answered 429\n");
        }
        assert_eq!(failures(&text).len(), 3);
    }

    /// The AI SDK's `RetryError`: its summary is not an attempt, each `APICallError` of its
    /// `errors` array is one, and `lastError` repeats the last of them.
    #[test]
    fn a_retry_summary_gives_way_to_its_attempts() {
        let attempt = |indent: &str| {
            format!(
                concat!(
                    "{i}APICallError [AI_APICallError]: Overloaded\n",
                    "{i}    at async postToApi (/srv/.next/server/chunks/8812.js:1:18830) {{\n",
                    "{i}  url: 'https://api.anthropic.com/v1/messages',\n",
                    "{i}  statusCode: 529,\n",
                    "{i}  responseBody: '{{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}',\n",
                    "{i}}}\n",
                ),
                i = indent
            )
        };
        let mut text = String::from(
            " ⨯ RetryError [AI_RetryError]: Failed after 3 attempts. Last error: Overloaded\n    at _retryWithExponentialBackoff (/srv/.next/server/chunks/5571.js:1:59780) {\n  reason: 'maxRetriesExceeded',\n  errors: [\n",
        );
        for _ in 0..3 {
            text.push_str(&attempt("    "));
        }
        text.push_str("  ],\n  lastError: ");
        text.push_str(attempt("  ").trim_start());
        text.push_str("}\n");
        let found = failures(&text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], (Some(5), Some(529)));
        assert!(found.iter().all(|(_, s)| *s == Some(529)));
    }

    /// Further down one dump, the error told again (a stream's error event in the
    /// exception's `value:`, a session result's `terminal_reason`) is the same failure.
    #[test]
    fn echoes_further_down_a_dump_are_the_same_failure() {
        let mut text = String::from("unhandledRejection: TypeValidationError [AI_TypeValidationError]: Type validation failed: Value: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}.\n");
        for _ in 0..30 {
            text.push_str("    \"options\": [\n");
        }
        text.push_str("  value: { type: 'error', error: { details: null, type: 'overloaded_error', message: 'Overloaded' } },\n");
        assert_eq!(failures(&text).len(), 1);
        let mut text = String::from("[log_eeb4c3, request-id: \"req_011CToijQDksRMQkl5eZyprU\"] post https://api.anthropic.com/v1/messages?beta=true failed with status 403 in 341ms - error; not retryable\n{\n");
        for _ in 0..30 {
            text.push_str("  session_id: '49cbd892-7d9a-437a-834d-fce53b5f7971',\n");
        }
        text.push_str("  terminal_reason: 'api_error',\n  api_error_status: 403,\n}\n");
        assert_eq!(failures(&text), [(Some(1), Some(403))]);
    }

    /// A request dump for another vendor's model just before an error makes it not Claude's,
    /// even when the dump's lines hold no error words.
    #[test]
    fn another_vendors_dump_before_an_error_is_not_claude() {
        let text = concat!(
            "Claude answered: ok\n",
            "{\n",
            "    'modelId': 'meta.llama3-1-8b-instruct-v1:0',\n",
            "    'messages': [],\n",
            "}\n",
            "An error occurred (AccessDeniedException) when calling the Converse\n",
            "operation: You don't have access to the model with the specified model ID.\n",
        );
        assert_eq!(failures(text), []);
    }

    /// `gcloud logging read` YAML: an audit entry's status block is a failure at its
    /// `status:` line, its gRPC code giving the status; counting tokens is not a call.
    #[test]
    fn gcloud_yaml_audit_entries() {
        let entry = |method: &str, code: u8| {
            format!(
                concat!(
                    "---\n",
                    "protoPayload:\n",
                    "  methodName: google.cloud.aiplatform.v1.PredictionService.{m}\n",
                    "  resourceName: projects/p-1/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929\n",
                    "  serviceName: aiplatform.googleapis.com\n",
                    "  status:\n",
                    "    code: {c}\n",
                    "    message: 'Quota exceeded for aiplatform.googleapis.com/online_prediction_input_tokens_per_minute_per_base_model.'\n",
                    "severity: ERROR\n",
                ),
                m = method,
                c = code
            )
        };
        let text =
            entry("StreamRawPredict", 8) + &entry("CountTokens", 8) + &entry("RawPredict", 7);
        assert_eq!(
            failures(&text),
            [(Some(6), Some(429)), (Some(24), Some(403))]
        );
    }

    /// Caddy's reverse proxy cut a response it had begun (its access entry says 200): a
    /// stream error.
    #[test]
    fn a_caddy_incomplete_response_is_a_stream_error() {
        let req = r#""request":{"remote_ip":"192.0.2.44","proto":"HTTP/2.0","method":"POST","host":"claude.example.dev","uri":"/v1/messages"}"#;
        let text = format!(
            "{{\"level\":\"error\",\"ts\":1765213290.0871,\"logger\":\"http.handlers.reverse_proxy\",\"msg\":\"aborting with incomplete response\",\"upstream\":\"api.anthropic.com:443\",{req},\"error\":\"reading: stream error: stream ID 7; INTERNAL_ERROR; received from peer\"}}\n{{\"level\":\"info\",\"ts\":1765213290.0874,\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\",{req},\"duration\":27.64,\"status\":200}}\n"
        );
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].line, Some(1));
        assert_eq!(s.failures[0].error_type.as_deref(), Some("stream_error"));
    }

    /// urllib3's retry notices: each is an attempt that got no response, whether or not it
    /// names the host again.
    #[test]
    fn urllib3_retry_notices_are_attempts() {
        let text = concat!(
            "2025-06-01 10:00:00,001 WARNING urllib3.connectionpool: Retrying (Retry(total=2, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='api.anthropic.com', port=443): Read timed out. (read timeout=60)\")': /v1/messages\n",
            "2025-06-01 10:01:00,001 WARNING urllib3.connectionpool: Retrying (Retry(total=1, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused')': /v1/messages\n",
        );
        assert_eq!(failures(text), [(Some(1), None), (Some(2), None)]);
    }
}
