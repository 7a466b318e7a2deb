//! The sink: the one API formats use to emit records and to join the lines that tell one
//! attempt. A record merges into an earlier one with the same request id, or into the previous
//! record of the same producer (thread, task, process, pod: `toolkit/producer.rs`) when that
//! one is near, agrees on endpoint and status, and has no line of this evidence kind yet. It
//! counts successes per call, keeps the file's warnings, and hands final failures to a
//! settler as the scan moves on.

mod marks;

use std::collections::BTreeMap;

use crate::input::read::envelope;
use crate::input::toolkit::limits::JOIN_DISTANCE;
use crate::input::toolkit::{api, producer};
use crate::input::{CallKey, FileScan, ScanOptions, Settler};
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};

pub(crate) use marks::{MarkerGroup, Marks};

/// Where a JSON object sits: a line of a JSON-lines file or an element of an array document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Position {
    Line(u64),
    Entry(u64),
}

impl Position {
    pub(crate) fn place(self, r: &mut Record) {
        match self {
            Position::Line(n) => r.line = Some(n),
            Position::Entry(n) => r.entry = Some(n),
        }
    }
}

/// Warnings with the line they are about, in the numbering of one reader.
pub(in crate::input) type LineWarnings = Vec<(Option<u64>, String)>;

/// What a line parser says about one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Not this parser's format.
    NotMine,
    /// This parser's format, but not about an API call (health check, other host).
    Noise,
    /// About an API call; records were pushed to the sink.
    Relevant,
    /// This parser's format but broken.
    Bad(&'static str),
}

/// A parser for one line format. Parsers are created per file, so they may keep state for
/// records that span lines.
pub(crate) trait LineParser: Send {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim;

    /// True while the parser holds a record that spans lines (a traceback, a wrapped JSON
    /// body): it is then offered the next line before any other parser.
    fn busy(&self) -> bool {
        false
    }

    /// End of input: emit whatever record is still held.
    fn finish(&mut self, _sink: &mut Sink) {}
}

/// Where parsers put records. It joins the lines that tell one attempt: a record merges
/// into an earlier one with the same request id, or into the previous record when that one is
/// near, agrees on endpoint and status, and has no line of this evidence kind yet.
pub(crate) struct Sink<'a> {
    pub opts: &'a ScanOptions,
    pub(in crate::input) scan: FileScan,
    /// Evidence kinds already folded into each failure.
    pub(in crate::input) evidence: Vec<u32>,
    pub(in crate::input) by_request_id: BTreeMap<String, usize>,
    /// The last record pushed, for joining adjacent lines: index into failures, or a pending
    /// success. Of the producer `producer` (see [`Sink::follow_producer`]).
    pub(in crate::input) last: Option<Last>,
    pub(in crate::input) pending_success: Option<(Record, u32)>,
    /// The producer (thread, task, process, pod: `producer.rs`) whose lines `last` and
    /// `pending_success` are about; 0 before any line named one.
    pub(in crate::input) producer: u64,
    /// The same state for the other producers seen lately.
    producers: Vec<ProducerState>,
    /// Counts producer switches (orders `producers` by recency).
    pub(in crate::input) switches: u64,
    /// The producer of the line being dispatched (its address and length, and the key), as
    /// [`Sink::marks`] keeps its markers.
    pub(in crate::input) producer_read: Option<(usize, usize, u64)>,
    /// The model of the last real assistant message of a Claude Code transcript: its failure
    /// records (synthetic messages, retry records) name no model of their own.
    pub last_model: Option<String>,
    /// Chunked scans only: whether the line being read belongs to this chunk. Records are
    /// owned by the chunk whose line created them; counts only count owned lines.
    pub(in crate::input) owned_now: bool,
    /// Per failure: created while reading an owned line.
    pub(in crate::input) owned: Vec<bool>,
    pub(in crate::input) pending_owned: bool,
    /// This sink collects one chunk of a file.
    pub(in crate::input) chunked: bool,
    /// Chunked scans: for the most recent lines claimed relevant, whether they were owned.
    pub(in crate::input) relevant_owned: std::collections::VecDeque<bool>,
    /// Warnings, with the line they are about (kept apart so a chunked scan can renumber).
    pub(in crate::input) warnings: Vec<(Option<u64>, String)>,
    /// Times that container / CI envelopes gave lines (see `envelope.rs`).
    pub(in crate::input) line_stamps: envelope::LineStamps,
    /// The last line that showed a call to another vendor's API (OpenAI...): lines near it
    /// that name no URL are not Claude's unless their context says so.
    pub other_provider_line: Option<u64>,
    /// The last line that told a Claude API call (any record pushed): error text near it
    /// without a context of its own is about Claude.
    pub claude_line: Option<u64>,
    /// The last lines with Claude's and with another vendor's words, per producer (threads,
    /// Lambda log streams) seen last: an error line's context is its own producer's.
    pub(in crate::input) producer_words: Vec<ProducerWords>,
    /// The URLs of the last CORS preflights (`OPTIONS`) in a HAR: a call to one of them that
    /// then got no response at all was blocked by the browser.
    pub(in crate::input) har_preflights: std::collections::VecDeque<String>,
    /// A proxy's own error line (`connect: connection refused`, `timed out`) that no parser
    /// claimed: the first line of the failure its access line tells right after.
    pub proxy_error: Option<(u64, String)>,
    /// A raw response's status line with a failed status that no parser claimed (`HTTP/2 404 `,
    /// as `curl -i` prints it before the headers): the first line of the failure its body tells
    /// (the next record, when it is a new failure at most [`RESPONSE_HEAD_LINES`] after it).
    pub response_head: Option<(u64, u16)>,
    /// Where final failure records go as the scan moves on (none: all are kept).
    pub(in crate::input) settler: Option<&'a mut dyn Settler>,
    /// Per failure: its index among the failures this sink created.
    pub(in crate::input) index: Vec<u32>,
    pub(in crate::input) created: u32,
    /// Settle when this many failures are held.
    pub(in crate::input) settle_at: usize,
    /// The markers of the line being dispatched (its address and length, and its marks):
    /// found once, asked for by several parsers. Cleared for every line.
    pub(in crate::input) marks: Option<(usize, usize, Marks)>,
    /// Success counts of the last few distinct calls, found without building a key (most
    /// successes repeat the call before them); moved into `scan.successes` at the end.
    pub(in crate::input) hot: Vec<(CallKey, u64)>,
    /// Emptied strings of committed successes, for the next records' text ([`Sink::text`]):
    /// an access log's successes then allocate nothing.
    pub(in crate::input) pool: Vec<String>,
    /// nginx error.log failures whose access line has not come yet (ingress-nginx and
    /// `kubectl logs` interleave both): failure index, line, client address. Held (not
    /// settled) while their access line may still come.
    pub(in crate::input) awaiting: std::collections::VecDeque<(usize, u64, Option<String>)>,
    /// The failure that the access record being pushed tells (see [`Sink::push_access`]).
    pub(in crate::input) prefer: Option<usize>,
    /// What the last few distinct access line targets said (see [`Sink::route`]).
    routes: Vec<Route>,
    /// The next entry of `routes` to replace.
    pub(in crate::input) route_next: usize,
}

/// Distinct targets remembered by [`Sink::route`].
const ROUTES: usize = 8;

/// What an access line's target says: its endpoint (`None`: not a Claude API call), the
/// provider the path points at and a model named in the path.
#[derive(Default)]
struct Route {
    target: String,
    endpoint: Option<String>,
    provider: &'static str,
    model: Option<String>,
}

/// Distinct calls counted in [`Sink::hot`].
const HOT_CALLS: usize = 8;
/// Strings kept in [`Sink::pool`].
const POOL: usize = 8;

/// What the sink remembers of one producer's last lines.
struct ProducerState {
    key: u64,
    last: Option<Last>,
    pending_success: Option<(Record, u32)>,
    pending_owned: bool,
    used: u64,
}

/// Producers whose state the sink keeps (the least recently seen is forgotten).
const PRODUCERS: usize = 64;

#[derive(Debug, Clone, Copy)]
pub(in crate::input) enum Last {
    Failure(usize, u64),
    Success(u64),
}

/// The last Claude and other-vendor words of one producer.
#[derive(Debug, Clone, Copy)]
pub(in crate::input) struct ProducerWords {
    pub key: u64,
    pub claude: Option<u64>,
    pub other: Option<u64>,
}

/// Producers whose words are remembered.
const PRODUCER_WORDS: usize = 16;

/// The same when both lines name their producer (a thread's lines are spread among the lines
/// of the threads logging beside it).
pub(in crate::input) const PRODUCER_JOIN_DISTANCE: u64 = 200;
/// How far before the body it heads a response's status line may be (the headers between).
const RESPONSE_HEAD_LINES: u64 = 25;
/// How far before its access line a proxy's error line may be.
pub(crate) const PROXY_ERROR_LINES: u64 = 3;
/// How far after error text that only the format-agnostic layer read a precise record of the
/// same attempt may come (the body printed after a log line).
const AGNOSTIC_JOIN: u64 = 6;

fn bit(e: Evidence) -> u32 {
    1 << (e as u32)
}

impl<'a> Sink<'a> {
    pub(in crate::input) fn new(file: &str, opts: &'a ScanOptions) -> Sink<'a> {
        Sink {
            opts,
            scan: FileScan {
                file: file.to_string(),
                ..FileScan::default()
            },
            evidence: Vec::new(),
            by_request_id: BTreeMap::new(),
            last: None,
            pending_success: None,
            producer: 0,
            producers: Vec::new(),
            switches: 0,
            producer_read: None,
            last_model: None,
            owned_now: true,
            owned: Vec::new(),
            pending_owned: true,
            chunked: false,
            relevant_owned: std::collections::VecDeque::new(),
            warnings: Vec::new(),
            line_stamps: envelope::LineStamps::default(),
            other_provider_line: None,
            claude_line: None,
            producer_words: Vec::new(),
            har_preflights: std::collections::VecDeque::new(),
            proxy_error: None,
            response_head: None,
            settler: None,
            index: Vec::new(),
            created: 0,
            settle_at: opts.settle_batch.max(1),
            marks: None,
            hot: Vec::new(),
            pool: Vec::new(),
            awaiting: std::collections::VecDeque::new(),
            prefer: None,
            routes: Vec::new(),
            route_next: 0,
        }
    }

    /// For an access line's target: its endpoint, the provider the endpoint points at and a
    /// model named in the path; `None` when the target is not a Claude API call. Worked out
    /// once for each of the last few distinct targets (a busy log repeats a handful: the API
    /// path, health checks, metrics); the strings come from the recycled buffers.
    pub(crate) fn route(&mut self, target: &str) -> Option<(String, &'static str, Option<String>)> {
        let k = match self.routes.iter().position(|r| r.target == target) {
            Some(k) => k,
            None => {
                let endpoint = api::endpoint_of(target, &self.opts.api_paths);
                let r = Route {
                    target: target.to_string(),
                    provider: endpoint.as_deref().map_or("", api::provider_of_url),
                    model: endpoint.as_deref().and_then(api::model_of_path),
                    endpoint,
                };
                if self.routes.len() < ROUTES {
                    self.routes.push(r);
                    self.routes.len() - 1
                } else {
                    let k = self.route_next;
                    self.route_next = (k + 1) % ROUTES;
                    self.routes[k] = r;
                    k
                }
            }
        };
        let r = &self.routes[k];
        let endpoint = pooled(&mut self.pool, r.endpoint.as_deref()?);
        let model = r.model.as_deref().map(|m| pooled(&mut self.pool, m));
        Some((endpoint, r.provider, model))
    }

    /// The lines that follow (until another producer's) are `line`'s producer's: its thread,
    /// task, process or pod, when its prefix names one (`producer.rs`). A parser calls this
    /// before it reads a line of an application log that may tell an attempt, so that the
    /// line joins its own producer's last record, not another thread's. A line that names no
    /// producer joins the last record read (adjacency).
    pub(crate) fn follow_producer(&mut self, line: &str) {
        // Asked by several parsers for one line: read once.
        let at = (line.as_ptr() as usize, line.len());
        let key = match self.producer_read {
            Some((p, n, k)) if (p, n) == at => k,
            _ => {
                let k = producer::of(line);
                self.producer_read = Some((at.0, at.1, k));
                k
            }
        };
        if key == 0 || key == self.producer {
            return;
        }
        self.switches += 1;
        let mine = ProducerState {
            key: self.producer,
            last: self.last.take(),
            pending_success: self.pending_success.take(),
            pending_owned: self.pending_owned,
            used: self.switches,
        };
        let theirs = match self.producers.iter().position(|p| p.key == key) {
            Some(k) => Some(self.producers.swap_remove(k)),
            None => None,
        };
        if mine.last.is_some() || mine.pending_success.is_some() {
            if self.producers.len() >= PRODUCERS {
                // Forget the producer seen least recently; its pending success counts.
                let k = self
                    .producers
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, p)| p.used)
                    .map_or(0, |(k, _)| k);
                let gone = self.producers.swap_remove(k);
                if let Some((r, _)) = gone.pending_success {
                    if gone.pending_owned {
                        self.count_success(&r);
                    }
                    self.recycle(r);
                }
            }
            self.producers.push(mine);
        }
        self.producer = key;
        match theirs {
            Some(p) => {
                self.last = p.last;
                self.pending_success = p.pending_success;
                self.pending_owned = p.pending_owned;
            }
            None => {
                self.last = None;
                self.pending_owned = self.owned_now;
            }
        }
    }

    /// How far back the line being read may join a record: further when lines name their
    /// producer.
    pub(in crate::input) fn join_distance(&self) -> u64 {
        if self.producer == 0 {
            JOIN_DISTANCE
        } else {
            PRODUCER_JOIN_DISTANCE
        }
    }

    /// The markers in `line` (see [`crate::input::dispatch::marks`]): one pass over the line, however many
    /// parsers ask. Cached for the line being dispatched (same address and length while it
    /// lives; cleared before each line).
    pub(crate) fn marks(&mut self, line: &str) -> Marks {
        let key = (line.as_ptr() as usize, line.len());
        if let Some((p, n, m)) = self.marks {
            if (p, n) == key {
                return m;
            }
        }
        let m = crate::input::dispatch::marks(line);
        self.marks = Some((key.0, key.1, m));
        m
    }

    /// A sink that hands final records to `settler` as it goes.
    pub(in crate::input) fn settling(
        file: &str,
        opts: &'a ScanOptions,
        settler: &'a mut dyn Settler,
    ) -> Sink<'a> {
        let mut sink = Sink::new(file, opts);
        sink.settler = Some(settler);
        sink
    }

    /// Hand the final failures to the settler: those without a request id (no later record
    /// can join them by id) other than the last one (a next line may still join it); with
    /// `all`, every one without a request id (the input has ended). Records a chunk does not
    /// own are dropped here, as at the end.
    pub(in crate::input) fn settle(&mut self, all: bool) {
        let Some(settler) = self.settler.as_deref_mut() else {
            return;
        };
        // Every producer's last failure: a next line of that producer may still join it.
        let lasts: Vec<usize> = std::iter::once(self.last)
            .chain(self.producers.iter().map(|p| p.last))
            .filter_map(|l| match l {
                Some(Last::Failure(i, _)) => Some(i),
                _ => None,
            })
            .collect();
        let held = std::mem::take(&mut self.scan.failures);
        let evidence = std::mem::take(&mut self.evidence);
        let owned = std::mem::take(&mut self.owned);
        let index = std::mem::take(&mut self.index);
        let mut moved: Vec<Option<usize>> = Vec::with_capacity(held.len());
        let mut out = Vec::new();
        for (i, (((r, e), o), x)) in held
            .into_iter()
            .zip(evidence)
            .zip(owned)
            .zip(index)
            .enumerate()
        {
            let waits = !all && self.awaiting.iter().any(|(w, _, _)| *w == i);
            if r.request_id.is_none() && (all || !lasts.contains(&i)) && !waits {
                if o {
                    out.push((x, r));
                }
                moved.push(None);
            } else {
                moved.push(Some(self.scan.failures.len()));
                self.scan.failures.push(r);
                self.evidence.push(e);
                self.owned.push(o);
                self.index.push(x);
            }
        }
        self.by_request_id
            .retain(|_, i| match moved.get(*i).copied().flatten() {
                Some(j) => {
                    *i = j;
                    true
                }
                None => false,
            });
        let remap = |last: &mut Option<Last>| {
            if let Some(Last::Failure(i, at)) = *last {
                *last = moved
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|j| Last::Failure(j, at));
            }
        };
        remap(&mut self.last);
        for p in &mut self.producers {
            remap(&mut p.last);
        }
        self.awaiting
            .retain_mut(|(i, _, _)| match moved.get(*i).copied().flatten() {
                Some(j) => {
                    *i = j;
                    true
                }
                None => false,
            });
        self.settle_at = self
            .opts
            .settle_batch
            .max(1)
            .max(self.scan.failures.len() * 2);
        if !out.is_empty() {
            settler.settle(out);
        }
    }

    /// The last failure when it began at most `within` lines before `lineno`.
    pub fn recent_failure(&self, lineno: u64, within: u64) -> Option<&Record> {
        match self.last {
            Some(Last::Failure(i, at)) if lineno.saturating_sub(at) <= within => {
                self.scan.failures.get(i)
            }
            _ => None,
        }
    }

    /// Note that producer `key` (0: none) wrote Claude's or another vendor's words at `lineno`.
    pub(crate) fn note_producer_words(&mut self, key: u64, lineno: u64, claude: bool, other: bool) {
        if key == 0 || !(claude || other) {
            return;
        }
        let at = match self.producer_words.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                if self.producer_words.len() >= PRODUCER_WORDS {
                    self.producer_words.remove(0);
                }
                self.producer_words.push(ProducerWords {
                    key,
                    claude: None,
                    other: None,
                });
                self.producer_words.len() - 1
            }
        };
        let p = &mut self.producer_words[at];
        if other {
            p.other = Some(lineno);
        }
        if claude {
            p.claude = Some(lineno);
        }
    }

    /// The last lines with Claude's and with another vendor's words of producer `key`, when
    /// its words were seen.
    pub(crate) fn producer_words(&self, key: u64) -> Option<(Option<u64>, Option<u64>)> {
        self.producer_words
            .iter()
            .find(|p| key != 0 && p.key == key)
            .map(|p| (p.claude, p.other))
    }

    /// The failure created last, whichever producer told it, when it started at most
    /// `within` lines before `lineno`.
    pub(crate) fn newest_failure(&self, lineno: u64, within: u64) -> Option<&Record> {
        self.scan
            .failures
            .last()
            .filter(|f| f.line.is_some_and(|l| lineno.saturating_sub(l) <= within))
    }

    /// The id of the last failure, if the last record was one: stable while the scan goes
    /// (positions in the sink change as records are settled).
    pub fn last_failure_id(&self) -> Option<u32> {
        match self.last {
            Some(Last::Failure(i, _)) => self.index.get(i).copied(),
            _ => None,
        }
    }

    /// Lines already counted as relevant turned out not to be about an API call (a
    /// traceback that ended in an unrelated exception): count them as noise instead.
    pub fn relevant_lines_were_noise(&mut self, n: u64) {
        let mut n = n;
        if self.chunked {
            // A chunk: of the last n relevant lines, only those it owns were counted here.
            let take = (n as usize).min(self.relevant_owned.len());
            let at = self.relevant_owned.len() - take;
            n = self.relevant_owned.drain(at..).filter(|&o| o).count() as u64;
        }
        let n = n.min(self.scan.lines.relevant);
        self.scan.lines.relevant -= n;
        self.scan.lines.noise += n;
    }

    pub fn warn(&mut self, message: String) {
        if self.owned_now && self.warnings.len() < MAX_WARNINGS {
            self.warnings.push((None, message));
        }
    }

    /// A warning about line `lineno` (of this reader's numbering).
    pub(in crate::input) fn warn_line(&mut self, lineno: u64, message: String) {
        if self.owned_now && self.warnings.len() < MAX_WARNINGS {
            self.warnings.push((Some(lineno), message));
        }
    }

    pub(in crate::input) fn extend_span(&mut self, stamp: Option<Stamp>) {
        let Some(s) = stamp else { return };
        self.scan.span = Some(match self.scan.span {
            None => (s, s),
            Some((a, b)) => (earlier(a, s), later(b, s)),
        });
    }

    /// Add a record about one attempt (or part of one).
    pub fn push(&mut self, mut record: Record) {
        if !self.line_stamps.is_empty() {
            if let Some(s) = record.line.and_then(|l| self.line_stamps.at(l)) {
                record.stamp = Some(s);
            }
        }
        if self.owned_now {
            *self.scan.formats.entry(record.source_kind).or_default() += 1;
            self.extend_span(record.stamp);
        }
        let here = record.line.or(record.entry).unwrap_or(0);
        if record.line.is_some() {
            self.claude_line = Some(here);
        }
        // Lines that only add a request id attach to the record just before them.
        if record.evidence == Evidence::RequestId {
            match self.last {
                Some(Last::Failure(i, at)) if here.saturating_sub(at) <= self.join_distance() => {
                    let f = &mut self.scan.failures[i];
                    if f.request_id.is_none() {
                        if let Some(id) = record.request_id.clone() {
                            self.by_request_id.insert(id, i);
                        }
                        f.request_id = record.request_id;
                    }
                }
                Some(Last::Success(_)) => {
                    if let Some((s, _)) = &mut self.pending_success {
                        s.request_id = s.request_id.take().or(record.request_id);
                    }
                }
                _ => {}
            }
            return;
        }
        let head = self.response_head.take();
        match record.outcome {
            Outcome::Failure => {
                let created = self.created;
                self.push_failure(record, here);
                if let (true, Some((at, status))) = (self.created > created, head) {
                    self.start_at_response_head(at, status, here);
                }
            }
            Outcome::Success => self.push_success(record, here),
        }
    }

    /// The failure just created is the body of the response whose status line `at` said
    /// `status`: it starts there.
    pub(in crate::input) fn start_at_response_head(&mut self, at: u64, status: u16, here: u64) {
        let Some(Last::Failure(i, _)) = self.last else {
            return;
        };
        let Some(f) = self.scan.failures.get_mut(i) else {
            return;
        };
        let fits = here.saturating_sub(at) <= RESPONSE_HEAD_LINES
            && f.line.is_some_and(|l| l > at)
            && f.http_status.is_none_or(|s| s == status);
        if fits {
            f.line = Some(at);
            f.http_status = Some(status);
        }
    }

    /// An access line's failure that the proxy made (a 5xx, or no response) right after the
    /// proxy's own error line that no parser claimed (Traefik's `caused by`, Apache's
    /// `proxy:error`, Caddy's error logger): the failure starts at that line, with its cause.
    pub(crate) fn proxy_cause(&mut self, r: &mut Record) {
        let (Some(n), Some((l, _))) = (r.line, &self.proxy_error) else {
            return;
        };
        if n < *l || n - *l > PROXY_ERROR_LINES {
            self.proxy_error = None;
            return;
        }
        let made_by_proxy = r.outcome == Outcome::Failure && r.http_status.is_none_or(|s| s >= 500);
        if !made_by_proxy {
            return;
        }
        let Some((l, text)) = self.proxy_error.take() else {
            return;
        };
        r.line = Some(l);
        r.message = Some(match r.message.take() {
            Some(m) => format!("{m}; {text}"),
            None => text,
        });
    }

    /// Push an nginx error.log failure; `client` is its `client:` address. It waits for the
    /// access line of its request (see [`Sink::push_access`]).
    pub(crate) fn push_nginx_error(&mut self, record: Record, client: Option<&str>) {
        let here = record.line.or(record.entry).unwrap_or(0);
        self.expire_awaiting(here);
        let created = self.created;
        self.push(record);
        // A new failure (not one joined into an earlier record) is the last one; settling
        // may have moved it.
        if let (true, Some(Last::Failure(i, _))) = (self.created > created, self.last) {
            self.awaiting
                .push_back((i, here, client.map(str::to_string)));
        }
    }

    /// Push an nginx access record; `client` is its remote address. nginx writes the access
    /// line when a request ends, after any error.log line about it, and other requests' lines
    /// may come between (two upstream timeouts: error A, error B, access A, access B). So a
    /// failed access line joins the error of its request: the one just before when that one
    /// fits (same client, nothing they both say disagrees), else the earliest that fits
    /// within the join distance. A successful access line ends the wait of the error it
    /// answers (nginx retried another upstream), which stays a failure of its own.
    pub(crate) fn push_access(&mut self, mut record: Record, client: Option<&str>) {
        self.proxy_cause(&mut record);
        let here = record.line.or(record.entry).unwrap_or(0);
        self.expire_awaiting(here);
        let known_id = record
            .request_id
            .as_ref()
            .is_some_and(|id| self.by_request_id.contains_key(id));
        let failed = record.outcome == Outcome::Failure;
        let last = match self.last {
            Some(Last::Failure(i, _)) => Some(i),
            _ => None,
        };
        let agrees = |i: usize| {
            !failed
                || (self.evidence[i] & bit(record.evidence) == 0
                    && same_attempt(&self.scan.failures[i], &record))
        };
        let fits = |(i, _, c): &(usize, u64, Option<String>)| {
            let same_client = match (client, c.as_deref()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            same_client && agrees(*i)
        };
        let adjacent = |w: &(usize, u64, Option<String>)| Some(w.0) == last;
        let pick = if known_id {
            None
        } else if failed {
            self.awaiting
                .iter()
                .position(|w| adjacent(w) && fits(w))
                .or_else(|| self.awaiting.iter().position(fits))
                // Addresses can differ for one request (an access format that logs a
                // forwarded address): then the error just before, as nginx wrote them, is
                // still its own.
                .or_else(|| {
                    self.awaiting
                        .iter()
                        .position(|w| adjacent(w) && agrees(w.0))
                })
        } else {
            // A success says nothing else to match on: only its own client's error.
            let own =
                |w: &(usize, u64, Option<String>)| client.is_some() && w.2.as_deref() == client;
            self.awaiting
                .iter()
                .position(|w| adjacent(w) && own(w))
                .or_else(|| self.awaiting.iter().position(own))
        };
        if let Some(k) = pick {
            if let Some((i, _, _)) = self.awaiting.remove(k) {
                if failed {
                    self.prefer = Some(i);
                }
            }
        }
        self.push(record);
        self.prefer = None;
    }

    pub(in crate::input) fn expire_awaiting(&mut self, here: u64) {
        while self
            .awaiting
            .front()
            .is_some_and(|(_, at, _)| here.saturating_sub(*at) > JOIN_DISTANCE)
        {
            self.awaiting.pop_front();
        }
    }

    /// Fold `record` into held failure `i`: they tell the same attempt.
    pub(in crate::input) fn join(&mut self, i: usize, record: Record, here: u64) {
        self.evidence[i] |= bit(record.evidence);
        if let Some(id) = &record.request_id {
            if !self.by_request_id.contains_key(id) {
                self.by_request_id.insert(id.clone(), i);
            }
        }
        self.scan.failures[i].absorb(record);
        self.last = Some(Last::Failure(i, here));
    }

    /// A new failure of this chunk: held failure `i` (not this chunk's) with `record`
    /// joined, standing for it from here on.
    pub(in crate::input) fn own_copy(&mut self, i: usize, record: Record, here: u64) {
        let mut copy = self.scan.failures[i].clone();
        let evidence = self.evidence[i] | bit(record.evidence);
        copy.absorb(record);
        self.add_failure(copy, evidence, here);
    }

    /// Hold `record` as a new failure of the line being read (`evidence`: the kinds of line
    /// it holds), the one the next lines may join.
    pub(in crate::input) fn add_failure(&mut self, record: Record, evidence: u32, here: u64) {
        let i = self.scan.failures.len();
        if let Some(id) = &record.request_id {
            self.by_request_id.insert(id.clone(), i);
        }
        self.evidence.push(evidence);
        self.owned.push(self.owned_now);
        self.index.push(self.created);
        self.created = self.created.saturating_add(1);
        self.scan.failures.push(record);
        self.last = Some(Last::Failure(i, here));
        if self.settler.is_some() && self.scan.failures.len() >= self.settle_at {
            self.settle(false);
        }
    }

    pub(in crate::input) fn push_failure(&mut self, record: Record, here: u64) {
        let by_id = record
            .request_id
            .as_ref()
            .and_then(|id| self.by_request_id.get(id).copied());
        if let Some(i) = by_id.filter(|&i| self.owned_now && !self.owned[i]) {
            // A chunk's own line tells the attempt of a record from its warm-up: the chunk
            // that owns that record may not read this far, so joined there it would be lost.
            // The joined record becomes this chunk's own copy; the join by request id after
            // the scan folds it into the owner's record (absorbing is idempotent).
            self.own_copy(i, record, here);
            return;
        }
        if let Some(i) = by_id.or(self.prefer.take()) {
            self.join(i, record, here);
            return;
        }
        if let Some(Last::Failure(i, at)) = self.last {
            let prev = &self.scan.failures[i];
            if prev.source_kind == SourceKind::ErrorText
                && record.source_kind != SourceKind::ErrorText
                // A transport line begins an attempt of its own.
                && record.evidence != Evidence::Transport
                // A failure that announced its retry (`upstream 429 (retry 1/3)`) is over:
                // the next line about a call is the next attempt.
                && prev.attempt.is_none()
                && here.saturating_sub(at) <= AGNOSTIC_JOIN
                && same_attempt(prev, &record)
            {
                // A precise reading of the attempt whose first line only the format-agnostic
                // layer read: the precise fields win, the failure starts at that first line.
                let mut record = record;
                let evidence = bit(record.evidence);
                // The records per format count the precise reading only (the agnostic one was
                // counted by whoever owns the failure; the precise one counts where it is read).
                if self.owned[i] {
                    if let Some(n) = self.scan.formats.get_mut(&SourceKind::ErrorText) {
                        *n -= 1;
                        if *n == 0 {
                            self.scan.formats.remove(&SourceKind::ErrorText);
                        }
                    }
                }
                let first = std::mem::replace(
                    &mut self.scan.failures[i],
                    Record::new(SourceKind::ErrorText, Outcome::Failure),
                );
                let line = first.line;
                let message = record.message.take();
                record.absorb(first);
                if message.is_some() {
                    record.message = message;
                }
                record.line = line;
                if let Some(id) = &record.request_id {
                    self.by_request_id.entry(id.clone()).or_insert(i);
                }
                self.scan.failures[i] = record;
                self.evidence[i] = evidence;
                self.last = Some(Last::Failure(i, here));
                return;
            }
            if here.saturating_sub(at) <= self.join_distance()
                && record.evidence != Evidence::Whole
                && self.evidence[i] & bit(record.evidence) == 0
                && kinds_join(&self.scan.failures[i], &record)
                && same_attempt(&self.scan.failures[i], &record)
            {
                self.join(i, record, here);
                return;
            }
        }
        // A success line right before (same attempt told as "200" by an outer logger) does
        // not make this a success; it simply ends the pending success.
        self.commit_success();
        let evidence = bit(record.evidence);
        self.add_failure(record, evidence, here);
    }

    pub(in crate::input) fn push_success(&mut self, record: Record, here: u64) {
        let distance = self.join_distance();
        if let (Some(Last::Success(at)), Some((prev, mask))) =
            (self.last, self.pending_success.as_mut())
        {
            if here.saturating_sub(at) <= distance
                && record.evidence != Evidence::Whole
                && *mask & bit(record.evidence) == 0
                && kinds_join(prev, &record)
                && same_attempt(prev, &record)
            {
                *mask |= bit(record.evidence);
                prev.absorb(record);
                self.last = Some(Last::Success(here));
                return;
            }
        }
        self.commit_success();
        let mask = bit(record.evidence);
        self.pending_success = Some((record, mask));
        self.pending_owned = self.owned_now;
        self.last = Some(Last::Success(here));
    }

    pub(in crate::input) fn commit_success(&mut self) {
        if let Some((r, _)) = self.pending_success.take() {
            if self.pending_owned {
                self.count_success(&r);
            }
            self.recycle(r);
        }
    }

    pub(in crate::input) fn count_success(&mut self, r: &Record) {
        let same = |k: &CallKey| {
            k.source_kind == r.source_kind
                && k.provider == r.provider
                && k.endpoint == r.endpoint
                && k.model == r.model
        };
        if let Some((_, n)) = self.hot.iter_mut().find(|(k, _)| same(k)) {
            *n += 1;
            return;
        }
        let key = CallKey {
            source_kind: r.source_kind,
            provider: r.provider.clone(),
            endpoint: r.endpoint.clone(),
            model: r.model.clone(),
        };
        if self.hot.len() < HOT_CALLS {
            self.hot.push((key, 1));
        } else {
            *self.scan.successes.entry(key).or_default() += 1;
        }
    }

    /// Keep the strings of a record that is done with, for [`Sink::text`].
    pub(in crate::input) fn recycle(&mut self, r: Record) {
        for mut s in [r.provider, r.endpoint, r.model, r.request_id]
            .into_iter()
            .flatten()
        {
            if self.pool.len() == POOL {
                break;
            }
            if s.capacity() > 256 {
                continue;
            }
            s.clear();
            self.pool.push(s);
        }
    }

    /// `v` as an owned string, in a recycled buffer when there is one.
    pub(crate) fn text(&mut self, v: &str) -> String {
        pooled(&mut self.pool, v)
    }

    pub(in crate::input) fn finish(self) -> FileScan {
        self.finish_indexed().0
    }

    pub(in crate::input) fn finish_indexed(self) -> (FileScan, Vec<u32>) {
        let (mut scan, warnings, index) = self.finish_part();
        scan.warnings = format_warnings(warnings, 0);
        (scan, index)
    }

    /// The scan with its warnings still apart (line numbers of this reader). With a
    /// settler, the failures left are those with a request id, with their indices.
    pub(in crate::input) fn finish_part(mut self) -> (FileScan, LineWarnings, Vec<u32>) {
        self.commit_success();
        for p in std::mem::take(&mut self.producers) {
            if let Some((r, _)) = p.pending_success {
                if p.pending_owned {
                    self.count_success(&r);
                }
            }
        }
        for (key, n) in self.hot.drain(..) {
            *self.scan.successes.entry(key).or_default() += n;
        }
        self.settle(true);
        if self.chunked {
            let mut owned = self.owned.iter();
            self.scan.failures.retain(|_| owned.next() == Some(&true));
            let mut owned = self.owned.iter();
            self.index.retain(|_| owned.next() == Some(&true));
        }
        (self.scan, self.warnings, self.index)
    }
}

/// `v` as an owned string, in a buffer from `pool` when there is one.
fn pooled(pool: &mut Vec<String>, v: &str) -> String {
    match pool.pop() {
        Some(mut s) => {
            s.push_str(v);
            s
        }
        None => v.to_owned(),
    }
}

fn stamp_key(s: &Stamp) -> chrono::NaiveDateTime {
    match s {
        Stamp::Utc(t) => t.naive_utc(),
        Stamp::Naive(n) => *n,
    }
}

/// The earlier of two stamps (the first on a tie).
pub(in crate::input) fn earlier(a: Stamp, b: Stamp) -> Stamp {
    if stamp_key(&b) < stamp_key(&a) {
        b
    } else {
        a
    }
}

/// The later of two stamps (the first on a tie).
pub(in crate::input) fn later(a: Stamp, b: Stamp) -> Stamp {
    if stamp_key(&b) > stamp_key(&a) {
        b
    } else {
        a
    }
}

/// Warnings kept per file.
pub(in crate::input) const MAX_WARNINGS: usize = 100;

pub(in crate::input) fn format_warnings(
    warnings: Vec<(Option<u64>, String)>,
    line_delta: u64,
) -> Vec<String> {
    warnings
        .into_iter()
        .map(|(n, m)| match n {
            Some(n) => format!("line {}: {m}", n + line_delta),
            None => m,
        })
        .collect()
}

/// An nginx access line joins only the error.log line about its own request, which
/// [`Sink::push_access`] finds (ingress-nginx and `kubectl logs` interleave both), never an
/// adjacent record; other kinds join as they tell.
fn kinds_join(_earlier: &Record, later: &Record) -> bool {
    later.source_kind != SourceKind::Nginx
}

/// Two records from adjacent lines describe one attempt when nothing they both say disagrees.
/// Having a status and having none disagree (a connection error next to a 429 is another
/// attempt), except for a retry notice, which tells about the attempt just made.
fn same_attempt(a: &Record, b: &Record) -> bool {
    let agree = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let status_agrees = match (a.effective_status(), b.effective_status()) {
        (Some(x), Some(y)) => x == y,
        (None, None) => true,
        _ => a.evidence == Evidence::Notice || b.evidence == Evidence::Notice,
    };
    status_agrees && agree(&a.endpoint, &b.endpoint) && agree(&a.request_id, &b.request_id)
}

impl Sink<'_> {
    /// The producer (`toolkit/producer.rs`) whose lines the sink follows now: 0 when the last
    /// line that named one did not.
    pub(crate) fn producer_key(&self) -> u64 {
        self.producer
    }

    /// Failure `i` of this scan (as [`Sink::last_failure`] names it).
    pub(crate) fn failure(&self, i: usize) -> Option<&Record> {
        self.scan.failures.get(i)
    }

    /// The current producer's last record when it is a failure: its index and line.
    pub(crate) fn last_failure(&self) -> Option<(usize, u64)> {
        match self.last {
            Some(Last::Failure(i, line)) => Some((i, line)),
            _ => None,
        }
    }

    /// The last failure was told first by a summary of several attempts (`RetryError: Failed
    /// after 3 attempts`) whose attempts follow: it is the first of them, at `line`.
    pub(crate) fn move_last_failure(&mut self, line: u64, message: Option<String>) {
        if let Some(Last::Failure(i, _)) = self.last {
            if let Some(f) = self.scan.failures.get_mut(i) {
                f.line = Some(line);
                if message.is_some() {
                    f.message = message;
                }
                self.last = Some(Last::Failure(i, line));
            }
        }
    }

    /// The SDK said a new attempt failed without a response: nothing joins it to the failure
    /// before, although having no status it agrees with any (the sink joins adjacent records that
    /// do not disagree). Closing that failure is the sink's own bookkeeping, called by the
    /// parser that knows the attempts apart.
    pub(crate) fn close_last_failure(&mut self) {
        if let Some(Last::Failure(i, _)) = self.last {
            if let Some(mask) = self.evidence.get_mut(i) {
                *mask = u32::MAX;
            }
        }
    }

    /// Push an exception told by a log line or traceback. The sink joins it to the failure just
    /// before unless they disagree on status, endpoint or request id, and a missing value agrees
    /// with any. What else tells two failures apart, as far as these lines know: a status on one
    /// side only (a stream cut after a 429), two errors without a status but of different kinds,
    /// two different messages. (Models are not compared: one failure spells its model in several
    /// ways, `claude-sonnet-4@20250514` in the URL, `anthropic-claude-sonnet-4` in the quota text.)
    pub(crate) fn push_told(&mut self, r: Record) {
        if let Some(Last::Failure(i, _)) = self.last {
            if let Some(f) = self.scan.failures.get(i) {
                let differ = |a: &Option<String>, b: &Option<String>| match (a, b) {
                    (Some(a), Some(b)) => !a.contains(b.as_str()) && !b.contains(a.as_str()),
                    _ => false,
                };
                let distinct = match (f.effective_status(), r.effective_status()) {
                    (Some(_), Some(_)) => false,
                    (None, None) => f.error_type != r.error_type,
                    _ => true,
                } || differ(&f.message, &r.message);
                if distinct {
                    self.close_last_failure();
                }
            }
        }
        self.push(r);
    }
}
