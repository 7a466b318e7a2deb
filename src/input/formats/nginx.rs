//! nginx: `combined` access logs (and the common extensions that append timings and upstream
//! fields), and error.log lines about failed upstream calls. nginx JSON access logs are read
//! by the JSON module, which shares [`access_record`].

use crate::input::sink::{Claim, LineParser, Position, Sink};
use crate::input::toolkit::api::{endpoint_of, model_of_path, model_of_request, path_of};
use crate::input::toolkit::flat_json::{quote_bare_values, Fields, Flat, FlatValue};
use crate::record::{Evidence, Outcome, Record, SourceKind, Stamp};
use crate::time;

/// The fields of a `combined` line that matter, found without a regex: this is the hot path
/// of the largest inputs (`$remote_addr - $remote_user [$time_local] "$request" $status ...`).
struct Combined<'a> {
    time: &'a str,
    request: &'a str,
    status: &'a str,
    /// `$body_bytes_sent` (digits or `-`).
    body_bytes: &'a str,
    rest: &'a str,
}

fn split_combined(line: &str) -> Option<Combined<'_>> {
    let b = line.as_bytes();
    // The first ` [`, then the first `] "` after it (memchr: this runs for every line).
    let open = memchr::memchr_iter(b'[', b).find(|&i| i > 0 && b[i - 1] == b' ')?;
    let after_open = line.get(open + 1..)?;
    let close = memchr::memchr_iter(b']', after_open.as_bytes())
        .find(|&i| after_open.as_bytes().get(i + 1..i + 3) == Some(b" \""))?;
    let time = &after_open[..close];
    let after_time = &after_open[close + 3..];
    // The request ends at the first quote not escaped by a backslash.
    let bytes = after_time.as_bytes();
    let mut i = 0;
    loop {
        match memchr::memchr2(b'\\', b'"', bytes.get(i..)?) {
            Some(j) if bytes[i + j] == b'"' => {
                i += j;
                break;
            }
            Some(j) => i += j + 2,
            None => {
                i = bytes.len();
                break;
            }
        }
    }
    let request = after_time.get(..i)?;
    let after_request = after_time.get(i + 1..)?.strip_prefix(' ')?;
    let status = after_request.get(..3)?;
    if !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = after_request.get(3..)?;
    let rest = rest.strip_prefix(' ')?;
    // `$body_bytes_sent` is a number or `-`.
    let bytes_end = memchr::memchr(b' ', rest.as_bytes()).unwrap_or(rest.len());
    if !rest[..bytes_end]
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    Some(Combined {
        time,
        request,
        status,
        body_bytes: &rest[..bytes_end],
        rest: &rest[bytes_end..],
    })
}

/// `key=value` / `key="value"` pairs that common `log_format` extensions append: each
/// word (split at ASCII whitespace) holding a `=`, cut at its first `=`, the value without
/// its quotes and a trailing comma. Byte scanning: this runs for every access log line.
fn trailing_pairs(rest: &str) -> impl Iterator<Item = (&str, &str)> {
    let b = rest.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        let eq = pos + memchr::memchr(b'=', b.get(pos..)?)?;
        let start = b[pos..eq]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(pos, |i| pos + i + 1);
        let end = b[eq..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(b.len(), |i| eq + i);
        pos = end;
        let key = &rest[start..eq];
        let (mut from, mut to) = (eq + 1, end);
        while from < to && b[from] == b'"' {
            from += 1;
        }
        while to > from && b[to - 1] == b'"' {
            to -= 1;
        }
        while to > from && b[to - 1] == b',' {
            to -= 1;
        }
        Some((key, &rest[from..to]))
    })
}

/// What an access log line says, whatever its layout.
#[derive(Debug, Default)]
pub(crate) struct Access<'a> {
    pub stamp: Option<Stamp>,
    pub method: Option<&'a str>,
    pub target: &'a str,
    pub status: u16,
    pub request_time_s: Option<f64>,
    pub upstream_status: Option<&'a str>,
    /// `$upstream_response_time`: one time per upstream attempt, as `upstream_status` lists
    /// them (read for failures only).
    pub upstream_times: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub model: Option<&'a str>,
    /// `$body_bytes_sent`, when the line gives it (read for a 429 only).
    pub body_bytes: Option<u64>,
}

/// The record for an access log line, or `None` when the path is not a Claude API call.
pub(crate) fn access_record(a: &Access, kind: SourceKind, sink: &mut Sink) -> Option<Record> {
    // CORS preflights and HEAD probes touch API paths but are not API calls.
    if a.method
        .is_some_and(|m| m.eq_ignore_ascii_case("OPTIONS") || m.eq_ignore_ascii_case("HEAD"))
    {
        return None;
    }
    // Strings go into the sink's recycled buffers: most lines are successes, counted and
    // then done with. What the target says (endpoint, provider, a model in the path) is
    // remembered for the last target: most lines repeat it.
    let route = sink.route(a.target)?;
    access_record_at(a, kind, sink, route)
}

/// An OpenAI-compatible path (`.../chat/completions`, `.../responses`) called with a Claude
/// model, through a gateway that serves Claude there: the endpoint it is a call of.
fn compatible_path(target: &str, model: Option<&str>) -> Option<String> {
    let path = path_of(target);
    let claude = model.is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.starts_with("claude") || m.contains("anthropic.claude") || m.starts_with("anthropic/")
    });
    (claude && (path.ends_with("/chat/completions") || path.ends_with("/responses")))
        .then(|| path.to_string())
}

/// [`access_record`] for a target already known to be a Claude call: its endpoint, provider
/// and the model its path names.
fn access_record_at(
    a: &Access,
    kind: SourceKind,
    sink: &mut Sink,
    (endpoint, endpoint_provider, path_model): (String, &'static str, Option<String>),
) -> Option<Record> {
    if a.method
        .is_some_and(|m| m.eq_ignore_ascii_case("OPTIONS") || m.eq_ignore_ascii_case("HEAD"))
    {
        return None;
    }
    let failed = a.status >= 400;
    let mut r = Record::new(kind, Outcome::of(failed));
    // The access line is written when the request ends, after any error.log line about it
    // (one stream in ingress-nginx and `kubectl logs`): it may join that line (see
    // `Sink::push_failure`), never another access line.
    if kind == SourceKind::Nginx {
        r.evidence = Evidence::Transport;
    }
    r.stamp = a.stamp;
    r.http_status = Some(a.status);
    r.latency_ms = a
        .request_time_s
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| (s * 1000.0).round() as u64);
    r.model = match a.model {
        Some(m) => Some(sink.text(m)),
        None => path_model,
    };
    r.request_id = a
        .request_id
        .filter(|id| id.starts_with("req_"))
        .map(|id| sink.text(id));
    // Who answered: nginx itself for 499 and for 5xx that no upstream produced.
    let upstream_answered = a
        .upstream_status
        .map(|u| u.trim() != "-" && !u.trim().is_empty());
    r.provider = Some(sink.text(
        if a.status == 499 || (a.status >= 500 && upstream_answered == Some(false)) {
            "nginx"
        } else {
            endpoint_provider
        },
    ));
    if a.status == 499 {
        r.error_type = Some("client_closed".into());
        r.message = Some("client closed the connection before nginx answered (499)".into());
    }
    if let (404, Some(m)) = (a.status, a.model) {
        // The request's model, for the catalog to judge (a retired or misspelt id); the line
        // says no more about the 404.
        r.message = Some(format!("not found (404) for a request naming {m}"));
    }
    if a.status == 429 && upstream_answered == Some(false) {
        // nginx's own `limit_req` / `limit_conn`: no upstream was asked.
        r.provider = Some(sink.text("nginx"));
        r.message = Some("proxy answered 429 with no upstream response".into());
    } else if let (429, None, Some(n @ 1..API_ERROR_BODY_MIN)) =
        (a.status, upstream_answered, a.body_bytes)
    {
        // A body shorter than the API's smallest error: the proxy's own limit (Kong's
        // rate-limiting plugin, `{"message":"API rate limit exceeded"}`).
        r.provider = Some(sink.text("nginx"));
        r.message = Some(format!(
            "proxy answered 429 itself: a {n}-byte body is no API error"
        ));
    }
    r.endpoint = Some(endpoint);
    Some(r)
}

/// The API's smallest error body (`{"type":"error","error":{"type":"rate_limit_error",
/// "message":""}}` is 66 bytes, gzip makes no JSON this small shorter): a shorter body is not
/// the API's.
const API_ERROR_BODY_MIN: u64 = 64;

/// How soon after nginx tried an upstream a 502 for that attempt is nginx's own (it could not
/// connect): no upstream answers through TLS within it.
const OWN_502_SECONDS: f64 = 0.010;

/// A failed request's attempts on the upstreams nginx tried in turn (`proxy_next_upstream`):
/// `$upstream_status` lists one status per attempt (`429, 429`, `502, 504`; ` : ` between the
/// groups of an internal redirect) and `$upstream_response_time` their times. Each failed
/// attempt is a failure of its own, with its own status and time; a 502 within
/// [`OWN_502_SECONDS`] is nginx's (it could not connect). `None` when the list names fewer
/// than two failed attempts: the request is then the one failure its line tells. A request
/// that succeeded in the end is a success, whatever its earlier attempts said (nginx
/// recovered them).
pub(crate) fn hop_records(r: &Record, statuses: &str, times: Option<&str>) -> Option<Vec<Record>> {
    if r.outcome != Outcome::Failure || !statuses.contains([',', ':']) {
        return None;
    }
    let hops: Vec<Option<u16>> = statuses
        .split([',', ':'])
        .map(|h| {
            h.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (100..600).contains(n))
        })
        .collect();
    let failed = hops.iter().filter(|h| h.is_some_and(|n| n >= 400)).count();
    if failed < 2 {
        return None;
    }
    let times: Vec<Option<f64>> = times
        .map(|t| {
            t.split([',', ':'])
                .map(|t| {
                    t.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s >= 0.0)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(failed);
    for (k, hop) in hops.iter().enumerate() {
        let Some(code) = hop.filter(|n| *n >= 400) else {
            continue;
        };
        let mut h = r.clone();
        h.http_status = Some(code);
        h.attempt = Some(out.len() as u32 + 1);
        let time = times.get(k).copied().flatten();
        // The request's time is the last attempt's when the attempts' own are not told.
        let last = k + 1 == hops.len();
        h.latency_ms = match time {
            Some(t) => Some((t * 1000.0).round() as u64),
            None if last => r.latency_ms,
            None => None,
        };
        if code == 502 && time.is_some_and(|t| t <= OWN_502_SECONDS) {
            h.provider = Some("nginx".into());
        }
        out.push(h);
    }
    Some(out)
}

/// The one attempt of a failed request: a 502 that its only upstream attempt got within
/// [`OWN_502_SECONDS`] is nginx's own (it could not connect).
fn own_502(r: &mut Record, statuses: Option<&str>, times: Option<&str>) {
    let quick = times
        .and_then(|t| t.trim().parse::<f64>().ok())
        .is_some_and(|t| (0.0..=OWN_502_SECONDS).contains(&t));
    if r.http_status == Some(502) && quick && statuses.is_some_and(|u| u.trim() == "502") {
        r.provider = Some("nginx".into());
    }
}

/// Push an access line's record: one failure per failed upstream attempt when its upstream
/// fields list several (see [`hop_records`]).
pub(crate) fn push_attempts(mut r: Record, a: &Access, client: Option<&str>, sink: &mut Sink) {
    if r.outcome == Outcome::Failure {
        if let Some(hops) = a
            .upstream_status
            .and_then(|u| hop_records(&r, u, a.upstream_times))
        {
            for h in hops {
                sink.push_access(h, client);
            }
            return;
        }
        own_502(&mut r, a.upstream_status, a.upstream_times);
    }
    sink.push_access(r, client);
}

/// The value of `key="..."` in an access line's trailing fields, whole (a list such as
/// `us="429, 429"` spans words).
fn quoted_pair<'a>(rest: &'a str, key: &str) -> Option<&'a str> {
    let b = rest.as_bytes();
    let mut from = 0;
    while let Some(i) = rest.get(from..)?.find(key).map(|i| from + i) {
        from = i + key.len();
        let starts_word = i == 0 || b[i - 1].is_ascii_whitespace();
        if starts_word && rest[from..].starts_with("=\"") {
            let v = &rest[from + 2..];
            return Some(&v[..v.find('"').unwrap_or(v.len())]);
        }
    }
    None
}

/// The access log reader. It remembers the day (and zone) of the last time stamp it read:
/// a log's lines share it, and then only the time of day is read.
#[derive(Default)]
pub(crate) struct AccessParser {
    day: Option<Day>,
}

/// A `$time_local` day and zone (`02/Oct/2025:` and ` +0000`) and the instant its midnight is.
struct Day {
    date: [u8; 12],
    zone: [u8; 6],
    midnight: chrono::DateTime<chrono::Utc>,
}

impl AccessParser {
    /// [`time::nginx_local`], reading only the time of day when the day and zone are the
    /// last stamp's.
    fn stamp(&mut self, raw: &str) -> Option<Stamp> {
        let b = raw.as_bytes();
        if let Some(t) = self.time_of_day(b) {
            return Some(Stamp::Utc(t));
        }
        let stamp = time::nginx_local(raw);
        // Remember the day of a stamp of the usual shape (`dd/Mon/yyyy:HH:MM:SS +zzzz`).
        let shaped = b.len() == 26
            && b[2] == b'/'
            && b[6] == b'/'
            && b[11] == b':'
            && b[14] == b':'
            && b[17] == b':'
            && b[20] == b' ';
        if let (true, Some(date), Some(zone)) = (shaped, raw.get(..12), raw.get(20..)) {
            let midnight = [date, "00:00:00", zone].concat();
            if let Some(Stamp::Utc(m)) = time::nginx_local(&midnight) {
                let (mut date, mut zone) = ([0u8; 12], [0u8; 6]);
                date.copy_from_slice(&b[..12]);
                zone.copy_from_slice(&b[20..]);
                self.day = Some(Day {
                    date,
                    zone,
                    midnight: m,
                });
            }
        }
        stamp
    }

    /// The instant of a stamp on the remembered day, from its `HH:MM:SS` alone.
    fn time_of_day(&self, b: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
        let day = self.day.as_ref()?;
        if b.len() != 26 || b[..12] != day.date[..] || b[20..] != day.zone[..] {
            return None;
        }
        if b[14] != b':' || b[17] != b':' {
            return None;
        }
        let two = |i: usize| -> Option<i64> {
            let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
            (x < 10 && y < 10).then(|| i64::from(x * 10 + y))
        };
        let (h, m, s) = (two(12)?, two(15)?, two(18)?);
        if h >= 24 || m >= 60 || s >= 60 {
            return None;
        }
        Some(day.midnight + chrono::TimeDelta::seconds(h * 3600 + m * 60 + s))
    }
}

impl LineParser for AccessParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let b = line.as_bytes();
        // Cheap shape check before the regex: `... [dd/Mon/yyyy:` and a quoted request.
        let Some(open) = memchr::memchr(b'[', b) else {
            return Claim::NotMine;
        };
        if b.len() < open + 12 || b[open + 3] != b'/' || b[open + 7] != b'/' {
            return Claim::NotMine;
        }
        let Some(c) = split_combined(line) else {
            return Claim::NotMine;
        };
        let request = c.request;
        let (method, target) = match memchr::memchr(b' ', request.as_bytes()) {
            Some(i) => {
                let t = &request[i + 1..];
                let end = memchr::memchr(b' ', t.as_bytes()).unwrap_or(t.len());
                (Some(&request[..i]), &t[..end])
            }
            None => (None, request),
        };
        let Ok(status) = c.status.parse::<u16>() else {
            return Claim::Bad("nginx: status is not a number");
        };
        let rest = c.rest;
        let mut a = Access {
            stamp: self.stamp(c.time),
            method,
            target,
            status,
            body_bytes: if status == 429 {
                c.body_bytes.parse().ok()
            } else {
                None
            },
            ..Access::default()
        };
        let pairs = memchr::memchr(b'=', rest.as_bytes()).is_some();
        let mut request_time = None;
        let mut upstream_time = None;
        for (key, v) in trailing_pairs(rest).take_while(|_| pairs) {
            match key {
                "rt" | "request_time" => request_time = Some(v),
                "us" | "upstream_status" => a.upstream_status = Some(v),
                "ut" | "urt" | "upstream_response_time" => upstream_time = Some(v),
                "req_id" | "request_id" | "upstream_http_request_id" => a.request_id = Some(v),
                "model" => a.model = Some(v).filter(|m| !m.is_empty() && *m != "-"),
                _ => {}
            }
        }
        // Latency and who answered matter for failures only (a success is counted, no more).
        let failed = status >= 400;
        if failed && pairs {
            // Quoted lists (`us="429, 429"`, `ut="0.001, 0.002"`) span words: read them whole.
            if a.upstream_status.is_some() {
                a.upstream_status = quoted_pair(rest, "us")
                    .or_else(|| quoted_pair(rest, "upstream_status"))
                    .or(a.upstream_status);
            }
            if upstream_time.is_some() {
                upstream_time = ["ut", "urt", "upstream_response_time"]
                    .iter()
                    .find_map(|k| quoted_pair(rest, k))
                    .or(upstream_time);
            }
            a.upstream_times = upstream_time;
        }
        a.request_time_s = request_time.filter(|_| failed).and_then(|v| v.parse().ok());
        if failed && a.request_time_s.is_none() {
            // `... "ua" 0.523 0.520` (ingress-nginx: `"ua" 1830 0.523 [ns-svc-443] ...`): the
            // first bare number after the user agent, also when quoted fields follow.
            a.request_time_s = rest
                .split('"')
                .skip(4)
                .step_by(2)
                .flat_map(str::split_whitespace)
                .find_map(|w| w.parse::<f64>().ok().filter(|_| w.contains('.')));
        }
        if status >= 500 && a.upstream_status.is_none() {
            // A quoted `$upstream_status` after the user agent: `"502, 504"`, `"-"`.
            a.upstream_status = rest.split('"').skip(5).step_by(2).find(|v| {
                let v = v.trim();
                !v.is_empty()
                    && v.split([',', ':']).all(|p| {
                        let p = p.trim();
                        p == "-" || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
                    })
            });
        }
        if status >= 500 && a.upstream_status.is_none() {
            // ingress-nginx's `upstreaminfo`: `[ns-svc-port] [alternative] $upstream_addr ...`;
            // `-` there is no upstream at all (the service had no endpoints).
            let after = rest
                .find("] [")
                .and_then(|i| rest[i + 3..].find(']').map(|j| &rest[i + 3 + j + 1..]));
            if after.is_some_and(|t| t.split_whitespace().next() == Some("-")) {
                a.upstream_status = Some("-");
            }
        }
        match access_record(&a, SourceKind::Nginx, sink) {
            Some(mut r) => {
                r.line = Some(lineno);
                // `$remote_addr` is the first field.
                let client = memchr::memchr(b' ', b).map(|i| &line[..i]);
                let client = client.filter(|c| !c.is_empty());
                push_attempts(r, &a, client, sink);
                Claim::Relevant
            }
            None => Claim::Noise,
        }
    }
}

/// An error.log line's time, level and message (`2025/10/02 16:30:01 [error] 912#912: *48213
/// message`), read by position: what a regex matched (a test holds them together; the
/// regex, with its captures over the whole line, was most of the time of an error log).
fn error_line(line: &str) -> Option<(&str, &str, &str)> {
    let b = line.as_bytes();
    if time::slashed_shape(b) != Some(19) || b.get(19..21) != Some(b" [") {
        return None;
    }
    let rest = &line[21..];
    let close = rest.find(']')?;
    let level = &rest[..close];
    if level.is_empty() || !level.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = rest[close + 1..].strip_prefix(' ')?;
    let rest = digits_then(rest, b'#')?;
    let rest = digits_then(rest, b':')?.strip_prefix(' ')?;
    let message = rest
        .strip_prefix('*')
        .and_then(|r| digits_then(r, b' '))
        .unwrap_or(rest);
    Some((&line[..19], level, message))
}

/// What follows one or more ASCII digits and then `end`.
fn digits_then(s: &str, end: u8) -> Option<&str> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0 && s.as_bytes().get(n) == Some(&end)).then(|| &s[n + 1..])
}

/// The value after `key` (`, request: `) in an error.log line's fields, the last one when it
/// is told twice: what a regex read (values hold no comma, so every `, key: ` starts one).
fn error_field<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let v = &fields[fields.rfind(key)? + key.len()..];
    let v = v.strip_prefix('"').unwrap_or(v);
    Some(&v[..v.find(['"', ',']).unwrap_or(v.len())])
}

pub(crate) struct ErrorParser;

impl LineParser for ErrorParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let Some((time, level, msg_all)) = error_line(line) else {
            return Claim::NotMine;
        };
        let (message, fields) = match msg_all.find(", client: ") {
            Some(i) => (&msg_all[..i], &msg_all[i..]),
            None => (msg_all, ""),
        };
        let request = error_field(fields, ", request: ");
        let upstream = error_field(fields, ", upstream: ");
        let client = error_field(fields, ", client: ");
        let target = request
            .and_then(|r| r.split(' ').nth(1))
            .or(upstream)
            .unwrap_or("");
        let Some(endpoint) = endpoint_of(target, &sink.opts.api_paths)
            .or_else(|| upstream.and_then(|u| endpoint_of(u, &sink.opts.api_paths)))
        else {
            return Claim::Noise;
        };
        // Warnings ("an upstream response is buffered", "upstream server temporarily
        // disabled") are about API calls but are not failures; only error levels are.
        if !matches!(level, "error" | "crit" | "alert" | "emerg") {
            return Claim::Noise;
        }
        let Some((status, error_type)) = nginx_error_status(message) else {
            return Claim::Noise;
        };
        let mut r = Record::new(SourceKind::NginxError, Outcome::Failure);
        r.line = Some(lineno);
        r.stamp = time::slashed(time);
        r.provider = Some("nginx".into());
        r.status = status;
        r.error_type = Some(error_type.into());
        r.message = Some(message.trim().to_string());
        r.model = model_of_path(&endpoint);
        r.endpoint = Some(endpoint);
        sink.push_nginx_error(r, client);
        Claim::Relevant
    }
}

/// The status nginx answered with for an error.log message, and the error type; `None` for
/// messages that are not failures.
fn nginx_error_status(message: &str) -> Option<(Option<u16>, &'static str)> {
    let m = message;
    if m.contains("while reading upstream") || m.contains("while sending to client") {
        // The response had begun: the stream broke, there is no status of its own.
        return Some((None, "stream_error"));
    }
    if m.contains("upstream timed out") {
        return Some((Some(504), "timeout_error"));
    }
    if m.contains("client intended to send too large body") {
        return Some((Some(413), "request_too_large"));
    }
    if m.contains("connect() failed")
        || m.contains("no live upstreams")
        || m.contains("upstream prematurely closed")
        || m.contains("SSL_do_handshake() failed")
        || m.contains("upstream sent invalid")
        || m.contains("upstream sent too big header")
        || m.contains("could not be resolved")
        || m.contains("recv() failed")
        || m.contains("peer closed connection in SSL handshake")
    {
        return Some((Some(502), "api_error"));
    }
    None
}

// JSON access lines (`log_format ... escape=json`).

/// A JSON line that is an nginx access record, read without building a `serde_json::Value`: `None`
/// when the line is not a flat object of nginx variables (the caller then parses it fully;
/// see `dispatch::object` for the same test on a parsed object).
pub(crate) fn json_line(text: &str, at: Position, sink: &mut Sink) -> Option<Claim> {
    // Other JSON logs (Claude Code, pino, slog...) stop at their first key.
    let flat = Flat::parse(text, is_nginx_variable)?;
    let shaped = flat.get("status").is_some()
        && ["request_uri", "request", "uri", "path", "request_path"]
            .iter()
            .any(|k| matches!(flat.get(k), Some(FlatValue::Str(_))));
    if !shaped {
        return None;
    }
    Some(json_object(&flat, at, sink))
}

/// A line that would be an nginx JSON access record but for values its template writes
/// unquoted (`"upstream_response_time": -`, `"upstream_response_time": 0.004, 21.330`): read
/// with those values quoted. `None` when it is not one.
pub(crate) fn repaired_json_line(text: &str, at: Position, sink: &mut Sink) -> Option<Claim> {
    let fixed = quote_bare_values(text)?;
    let v: serde_json::Value = serde_json::from_str(&fixed).ok()?;
    let map = v.as_object()?;
    let shaped = map.contains_key("status")
        && ["request_uri", "request", "uri", "path", "request_path"]
            .iter()
            .any(|k| map.get(*k).is_some_and(serde_json::Value::is_string));
    shaped.then(|| json_object(&v, at, sink))
}

fn field_str<'v, F: Fields + ?Sized>(v: &'v F, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| v.string(k))
        .filter(|s| !s.is_empty() && *s != "-")
}

fn field_num<F: Fields + ?Sized>(v: &F, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| v.number(k))
}

/// A key named as nginx names its variables in `log_format ... escape=json`. Asked for
/// every key of every JSON line, so a `match` (length, then bytes) rather than a search.
pub(crate) fn is_nginx_variable(key: &str) -> bool {
    matches!(
        key,
        "args"
            | "body_bytes_sent"
            | "bytes_sent"
            | "connection"
            | "connection_requests"
            | "host"
            | "msec"
            | "pipe"
            | "proxy_host"
            | "query_string"
            | "realip_remote_addr"
            | "remote_addr"
            | "remote_port"
            | "remote_user"
            | "request"
            | "request_id"
            | "request_length"
            | "request_method"
            | "request_time"
            | "request_uri"
            | "scheme"
            | "server_addr"
            | "server_name"
            | "server_port"
            | "server_protocol"
            | "status"
            | "time_iso8601"
            | "time_local"
            | "uri"
    ) || ["http_", "upstream_", "sent_http_", "ssl_", "geoip_"]
        .iter()
        .any(|p| key.starts_with(p))
}

/// An nginx access record given as JSON fields (a parsed object, or a flat line read in
/// place).
pub(crate) fn json_object<F: Fields + ?Sized>(v: &F, at: Position, sink: &mut Sink) -> Claim {
    let Some(status) = field_num(v, &["status"]).filter(|s| *s >= 0.0 && *s < 1000.0) else {
        return Claim::NotMine;
    };
    let request = field_str(v, &["request"]);
    let target = field_str(v, &["request_uri", "uri", "path", "request_path"])
        .or_else(|| request.and_then(|r| r.split(' ').nth(1)))
        .unwrap_or("");
    let stamp = field_str(v, &["time_iso8601", "@timestamp", "timestamp", "time"])
        .and_then(time::iso)
        .or_else(|| field_str(v, &["time_local"]).and_then(time::nginx_local));
    // The model: a field of its own, else the request body's (`$request_body`).
    let body_model = match field_str(v, &["model", "upstream_http_x_model"]) {
        Some(_) => None,
        None => field_str(v, &["request_body", "req_body", "body"]).and_then(model_of_request),
    };
    let a = Access {
        stamp,
        method: field_str(v, &["request_method", "method"]),
        target,
        status: status as u16,
        request_time_s: field_num(v, &["request_time"]),
        upstream_status: v
            .string("upstream_status")
            .or_else(|| v.string("upstream-status")),
        upstream_times: v.string("upstream_response_time"),
        body_bytes: None,
        request_id: field_str(
            v,
            &[
                "upstream_http_request_id",
                "anthropic_request_id",
                "request_id",
            ],
        ),
        model: field_str(v, &["model", "upstream_http_x_model"]).or(body_model.as_deref()),
    };
    if a.status == 0 {
        return Claim::Noise;
    }
    let record = match access_record(&a, SourceKind::Nginx, sink) {
        Some(r) => Some(r),
        // An OpenAI-compatible route that a gateway serves with Claude models.
        None => compatible_path(target, a.model)
            .and_then(|p| access_record_at(&a, SourceKind::Nginx, sink, (p, "anthropic", None))),
    };
    match record {
        Some(mut r) => {
            at.place(&mut r);
            // Headers matter to a failure's classification only.
            let failed = r.outcome == Outcome::Failure;
            for (key, header) in [
                ("upstream_http_retry_after", "retry-after"),
                ("upstream_http_x_should_retry", "x-should-retry"),
            ] {
                if let Some(val) = field_str(v, &[key]).filter(|_| failed) {
                    r.headers.push((header.into(), val.into()));
                }
            }
            let strings = if failed { v.strings() } else { Vec::new() };
            for (k, val) in strings {
                if let Some(rest) = k.strip_prefix("upstream_http_anthropic_ratelimit_") {
                    if val != "-" {
                        r.headers.push((
                            format!("anthropic-ratelimit-{}", rest.replace('_', "-")),
                            val.to_string(),
                        ));
                    }
                }
            }
            let client = field_str(v, &["remote_addr", "realip_remote_addr"]);
            push_attempts(r, &a, client, sink);
            Claim::Relevant
        }
        None => Claim::Noise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn combined_line_with_timings() {
        let s = parse_text(
            r#"198.51.100.23 - - [02/Oct/2025:16:20:11 +0000] "POST /v1/messages?beta=true HTTP/1.1" 529 97 "-" "Anthropic/Python 0.69.0" rt=2.310 uct="0.004" us="529""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(529));
        assert_eq!(f.endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(f.latency_ms, Some(2310));
        assert_eq!(f.provider.as_deref(), Some("anthropic"));
        assert_eq!(f.line, Some(1));
    }

    #[test]
    fn client_closed_and_successes() {
        let s = parse_text(
            "10.0.0.1 - - [02/Oct/2025:16:20:11 +0000] \"POST /v1/messages HTTP/1.1\" 499 0 \"-\" \"node\"\n10.0.0.1 - - [02/Oct/2025:16:20:12 +0000] \"POST /v1/messages HTTP/1.1\" 200 812 \"-\" \"node\"\n10.0.0.1 - - [02/Oct/2025:16:20:12 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"\n",
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].error_type.as_deref(), Some("client_closed"));
        assert_eq!(s.failures[0].provider.as_deref(), Some("nginx"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.noise, 1);
    }

    /// The remembered day gives the instant `time::nginx_local` gives, on stamps that change
    /// day and zone, cross midnight and hold impossible times and non-digits.
    #[test]
    fn remembered_day_reads_stamps_as_the_full_reader() {
        let mut p = AccessParser::default();
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let days = [
            "02/Oct/2025",
            "03/Oct/2025",
            "29/Feb/2024",
            "31/Dec/1999",
            "30/Feb/2025",
        ];
        let zones = ["+0000", "-0700", "+0530", "+1400", "x0000"];
        for _ in 0..20_000 {
            let day = days[next(100).min(days.len() as u64 - 1) as usize % days.len()];
            let day = if next(4) == 0 {
                days[next(5) as usize]
            } else {
                day
            };
            let zone = zones[(next(10) as usize).min(zones.len() - 1) % zones.len()];
            let zone = if next(5) == 0 {
                zones[next(5) as usize]
            } else {
                zone
            };
            let (h, m, sec) = (next(26), next(62), next(62));
            let mut t = format!("{day}:{h:02}:{m:02}:{sec:02} {zone}");
            if next(50) == 0 {
                t.replace_range(13..14, "x");
            }
            if next(50) == 0 {
                // Not ASCII: the day is not cut inside a character.
                t.replace_range(11..13, "é");
            }
            assert_eq!(p.stamp(&t), time::nginx_local(&t), "{t}");
        }
        assert!(p.day.is_some());
    }

    /// Targets are remembered (a few at a time): a log with more distinct targets than that,
    /// in turn, reads as each line read alone.
    #[test]
    fn remembered_targets_read_as_each_line_alone() {
        let targets = [
            "/v1/messages",
            "/v1/messages?beta=true",
            "/healthz",
            "/v1/messages/count_tokens",
            "https://api.anthropic.com/v1/complete",
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict",
            "/metrics",
            "/v1/models",
            "/v1/chat/completions",
            "/v1/messages/batches",
            "/static/app.js",
            // As long as the first: the remembered target is found by its whole text.
            "/v1/complete",
            "/favicon.ico",
        ];
        let mut text = String::new();
        for i in 0..200usize {
            let target = targets[(i * 5 + i / 7) % targets.len()];
            let status = [200, 429, 200, 529, 404][i % 5];
            text.push_str(&format!(
                "10.0.0.{} - - [02/Oct/2025:16:20:{:02} +0000] \"POST {target} HTTP/1.1\" {status} 9 \"-\" \"ua\"\n",
                i % 3,
                i % 60
            ));
        }
        let opts = ScanOptions::default();
        let whole = parse_text(&text, &opts);
        let mut successes = std::collections::BTreeMap::new();
        let mut failures = Vec::new();
        for line in text.lines() {
            let one = parse_text(line, &opts);
            for (k, n) in one.successes {
                *successes.entry(k).or_insert(0) += n;
            }
            failures.extend(one.failures.into_iter().map(|mut f| {
                f.line = None;
                f
            }));
        }
        let whole_failures: Vec<_> = whole
            .failures
            .into_iter()
            .map(|mut f| {
                f.line = None;
                f
            })
            .collect();
        assert_eq!(whole.successes, successes);
        assert_eq!(whole_failures, failures);
        assert!(whole.successes.keys().any(|k| k.model.is_some()));
        assert!(whole_failures
            .iter()
            .any(|f| f.provider.as_deref() == Some("vertex")));
    }

    /// Successes are counted per call (kind, provider, endpoint, model) through a small cache
    /// of recent calls and recycled strings; with more distinct calls than the cache holds,
    /// interleaved with failures that take strings away, every count still lands on its call.
    #[test]
    fn success_counts_per_call_with_many_models() {
        let mut text = String::new();
        let mut want = std::collections::BTreeMap::new();
        for i in 0..300u32 {
            let model = format!("claude-test-{}", (i * 7) % 13);
            let status = if i % 11 == 0 { 529 } else { 200 };
            let path = if i % 5 == 0 {
                "/v1/messages/count_tokens"
            } else {
                "/v1/messages"
            };
            text.push_str(&format!(
                "10.0.0.1 - - [02/Oct/2025:16:20:11 +0000] \"POST {path} HTTP/1.1\" {status} 10 \"-\" \"node\" model={model}\n"
            ));
            if status == 200 {
                *want.entry((path.to_string(), model)).or_insert(0u64) += 1;
            }
        }
        let s = parse_text(&text, &ScanOptions::default());
        let got: std::collections::BTreeMap<(String, String), u64> = s
            .successes
            .iter()
            .map(|(k, n)| {
                assert_eq!(k.provider.as_deref(), Some("anthropic"));
                ((k.endpoint.clone().unwrap(), k.model.clone().unwrap()), *n)
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(s.failures.len(), 28);
        assert!(s.failures.iter().all(|f| f
            .model
            .as_deref()
            .is_some_and(|m| m.starts_with("claude-test-"))));
    }

    fn error_line(client: &str, what: &str) -> String {
        format!("2025/10/02 16:22:40 [error] 31#31: *48213 {what}, client: {client}, server: llm.example.internal, request: \"POST /v1/messages HTTP/1.1\", upstream: \"https://160.79.104.10:443/v1/messages\", host: \"llm.example.internal\"\n")
    }

    fn access_line(client: &str, status: u16, rt: &str) -> String {
        format!("{client} - - [02/Oct/2025:16:22:40 +0000] \"POST /v1/messages HTTP/1.1\" {status} 160 \"-\" \"Anthropic/Python 0.69.0\" 2311 {rt} [default-llm-proxy-443] [] 160.79.104.10:443 0 {rt} {status} 8e4c3f5b0a774b3d8d4e3f5a6b7c8d9e\n")
    }

    const TIMED_OUT: &str =
        "upstream timed out (110: Operation timed out) while reading response header from upstream";

    /// ingress-nginx writes the error line when an upstream fails and the access line when
    /// the request ends; two requests failing together interleave: error A, error B, access
    /// A, access B. Each access line joins its own request's error: two failures, each with
    /// the error's message and the access line's latency.
    #[test]
    fn interleaved_errors_and_access_lines_pair_up() {
        for (a, b) in [("10.42.3.17", "10.42.3.18"), ("10.42.3.17", "10.42.3.17")] {
            let text = [
                error_line(a, TIMED_OUT),
                error_line(b, TIMED_OUT),
                access_line(a, 504, "60.001"),
                access_line(b, 504, "60.002"),
            ]
            .concat();
            let s = parse_text(&text, &ScanOptions::default());
            assert_eq!(s.failures.len(), 2, "{a} {b}");
            for f in &s.failures {
                assert_eq!(f.source_kind, SourceKind::NginxError);
                assert_eq!(f.effective_status(), Some(504));
                assert!(f.message.as_deref().unwrap().contains("upstream timed out"));
                assert!(matches!(f.latency_ms, Some(60_001 | 60_002)));
            }
            if a != b {
                assert_eq!(s.failures[0].latency_ms, Some(60_001));
                assert_eq!(s.failures[1].latency_ms, Some(60_002));
            }
        }
    }

    /// Another client's success between an error and its access line changes nothing: the
    /// error still waits for its own client's line (one failure; with a second error waiting,
    /// two).
    #[test]
    fn another_clients_success_does_not_end_the_wait() {
        let one = [
            error_line("10.0.0.1", TIMED_OUT),
            access_line("10.0.0.2", 200, "0.412"),
            access_line("10.0.0.1", 504, "60.001"),
        ]
        .concat();
        let s = parse_text(&one, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].latency_ms, Some(60_001));
        let two = [
            error_line("10.0.0.1", TIMED_OUT),
            error_line("10.0.0.2", TIMED_OUT),
            access_line("10.0.0.3", 200, "0.412"),
            access_line("10.0.0.1", 504, "60.001"),
            access_line("10.0.0.2", 504, "60.002"),
        ]
        .concat();
        let s = parse_text(&two, &ScanOptions::default());
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[1].latency_ms, Some(60_002));
    }

    /// An error whose request then succeeded on another upstream stays a failure of its own,
    /// and the next failed access line of the same client does not join it.
    #[test]
    fn an_error_answered_by_a_success_waits_no_more() {
        let text = [
            error_line(
                "10.42.3.17",
                "upstream prematurely closed connection while reading upstream",
            ),
            access_line("10.42.3.17", 200, "41.220"),
            access_line("10.42.3.17", 529, "1.843"),
        ]
        .concat();
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].source_kind, SourceKind::NginxError);
        assert_eq!(s.failures[0].latency_ms, None);
        assert_eq!(s.failures[1].source_kind, SourceKind::Nginx);
        assert_eq!(s.failures[1].http_status, Some(529));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
    }

    /// The positional reader of error.log lines and fields reads what the regexes did: on
    /// every sample line, and on variations of an error line (levels, connection ids, fields
    /// told twice or empty, quotes inside values, cut short anywhere).
    #[test]
    fn error_lines_read_by_position_as_by_regex() {
        // The regexes this reader replaced.
        static ERROR_LINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"^(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>\w+)\] \d+#\d+: (?:\*\d+ )?(?P<msg>.*)$").unwrap()
        });
        static FIELD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r#", (?P<key>client|server|request|upstream|host|referrer): "?(?P<value>[^",]*)"?"#,
            )
            .unwrap()
        });
        fn by_regex(line: &str) -> Option<(&str, &str, &str)> {
            let c = ERROR_LINE.captures(line)?;
            let msg = c.name("msg").map_or("", |m| m.as_str());
            Some((c.name("time")?.as_str(), c.name("level")?.as_str(), msg))
        }
        type Fields<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
        fn fields_by_regex(fields: &str) -> Fields<'_> {
            let (mut request, mut upstream, mut client) = (None, None, None);
            for f in FIELD.captures_iter(fields) {
                let v = f.name("value").map(|m| m.as_str());
                match &f["key"] {
                    "request" => request = v,
                    "upstream" => upstream = v,
                    "client" => client = v,
                    _ => {}
                }
            }
            (request, upstream, client)
        }
        let mut lines = crate::input::sample_lines();
        let base = "2025/10/02 16:30:01 [error] 912#912: *48213 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.23, server: llm.example.internal, request: \"POST /v1/messages HTTP/1.1\", upstream: \"https://203.0.113.9:443/v1/messages\", host: \"llm.example.internal\"";
        for variant in [
            base.to_string(),
            base.replace("*48213 ", ""),
            base.replace("*48213 ", "*x "),
            base.replace("[error]", "[crit]"),
            base.replace("[error]", "[]"),
            base.replace("[error]", "[err or]"),
            base.replace("912#912", "912"),
            base.replace("912#912: ", "912#912:"),
            base.replace(", host:", ", request: \"GET /v1/models HTTP/1.1\", host:"),
            base.replace("\"POST /v1/messages HTTP/1.1\"", "\"POST /v1/mes\"sages\""),
            base.replace("\"POST /v1/messages HTTP/1.1\"", ""),
            base.replace("client: 198.51.100.23", "client: "),
            base.replace("2025/10/02", "2025/1O/02"),
            base.replace("16:30:01", "16:30:1"),
        ] {
            for cut in [variant.len(), 60, 40, 30, 22, 21] {
                lines.push(variant.get(..cut).unwrap_or(&variant).to_string());
            }
        }
        let mut read = 0;
        for line in &lines {
            let want = by_regex(line);
            assert_eq!(super::error_line(line), want, "{line}");
            if let Some((_, _, msg)) = want {
                read += 1;
                let fields = msg.find(", client: ").map_or("", |i| &msg[i..]);
                let got = (
                    error_field(fields, ", request: "),
                    error_field(fields, ", upstream: "),
                    error_field(fields, ", client: "),
                );
                assert_eq!(got, fields_by_regex(fields), "{line}");
            }
        }
        assert!(read > 20, "{read} error lines");
    }

    #[test]
    fn error_log_upstream_timeout() {
        let s = parse_text(
            r#"2025/10/02 16:30:01 [error] 912#912: *48213 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.23, server: llm.example.internal, request: "POST /v1/messages HTTP/1.1", upstream: "https://203.0.113.9:443/v1/messages", host: "llm.example.internal""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.effective_status(), Some(504));
        assert_eq!(f.http_status, None);
        assert_eq!(f.source_kind, SourceKind::NginxError);
        assert!(f
            .message
            .as_deref()
            .unwrap()
            .starts_with("upstream timed out"));
    }

    #[test]
    fn error_log_lines_about_other_paths_are_noise() {
        let s = parse_text(
            r#"2025/10/02 16:30:01 [error] 912#912: *1 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.1, server: x, request: "GET /favicon.ico HTTP/1.1", host: "x""#,
            &ScanOptions::default(),
        );
        assert!(s.failures.is_empty());
        assert_eq!(s.lines.noise, 1);
    }

    /// The byte-scanning readers answer what the `split`-based readings they replaced do.
    #[test]
    fn field_readers_agree_with_split() {
        let by_split = |rest: &str| -> Vec<(String, String)> {
            rest.split_whitespace()
                .filter_map(|w| {
                    let (k, v) = w.split_once('=')?;
                    Some((
                        k.to_string(),
                        v.trim_matches('"').trim_end_matches(',').to_string(),
                    ))
                })
                .collect()
        };
        for rest in [
            r#" "-" "Anthropic/Python 0.69.0" rt=1.148 uct="0.003" us="-""#,
            r#" "-" "ua" rt=0.5 us="502, 504" urt="60.001, 0.002""#,
            r#" "-" "ua" a=b=c ="x", k="" q="""#,
            r#"=lead trail= "ref=1" "ua x=y"  spaced   w=v"#,
            " \"-\" \"é=ü\" model=claude-sonnet-4-5,,",
            "",
            "no pairs at all",
        ] {
            let by_hand: Vec<(String, String)> = trailing_pairs(rest)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(by_hand, by_split(rest), "{rest:?}");
        }
    }

    #[test]
    fn extra_fields_after_the_user_agent() {
        let s = parse_text(
            concat!(
                // Custom format: request_time, then quoted upstream status and address lists.
                r#"198.51.100.23 - - [02/Oct/2025:16:20:11 +0000] "POST /v1/messages HTTP/1.1" 504 167 "-" "Anthropic/Python 0.69.0" 60.004 "502, 504" "203.0.113.9:443, 203.0.113.10:443""#,
                "\n",
                r#"198.51.100.23 - - [02/Oct/2025:16:20:12 +0000] "POST /v1/messages HTTP/1.1" 200 1841 "-" "Anthropic/Python 0.69.0" 2.310 "502, 200" "203.0.113.9:443, 203.0.113.10:443""#,
                "\n",
                // ingress-nginx's default upstream format.
                r#"10.42.0.1 - - [02/Oct/2025:16:20:13 +0000] "POST /v1/messages HTTP/1.1" 529 97 "-" "Anthropic/JS 0.65.0" 2311 1.843 [default-llm-proxy-443] [] 160.79.104.10:443 97 1.843 529 5b1f0c2e7d444e0a9a1b0c2d3e4f5a6b"#,
                "\n",
                // The same with no upstream at all (a service without endpoints): nginx's own 503.
                r#"10.42.0.1 - - [02/Oct/2025:16:20:14 +0000] "POST /v1/messages HTTP/1.1" 503 190 "-" "Anthropic/JS 0.65.0" 2311 0.000 [default-llm-proxy-443] [] - - - - 6c2a0e4f8b1d4f3a9e7c5b3d1f9a7e5c"#,
                "\n",
            ),
            &ScanOptions::default(),
        );
        // The first request failed on two upstreams: two attempts, the request's time the
        // last one's.
        assert_eq!(s.failures.len(), 4);
        assert_eq!(s.failures[0].http_status, Some(502));
        assert_eq!(s.failures[0].latency_ms, None);
        assert_eq!(s.failures[1].http_status, Some(504));
        assert_eq!(s.failures[1].latency_ms, Some(60004));
        assert_eq!(s.failures[1].provider.as_deref(), Some("anthropic"));
        assert_eq!(s.failures[2].latency_ms, Some(1843));
        assert_eq!(s.failures[2].provider.as_deref(), Some("anthropic"));
        assert_eq!(s.failures[3].provider.as_deref(), Some("nginx"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
    }

    #[test]
    fn nginx_variable_names() {
        assert!(is_nginx_variable("remote_addr"));
        assert!(is_nginx_variable("upstream_http_request_id"));
        assert!(!is_nginx_variable("error"));
        assert!(!is_nginx_variable("message"));
    }

    #[test]
    fn nginx_json_lines() {
        let text = r#"{"time_iso8601":"2025-10-02T16:20:11+00:00","remote_addr":"10.0.0.7","request_method":"POST","request_uri":"/v1/messages","status":"429","request_time":"0.412","upstream_status":"429","upstream_http_request_id":"req_011CUk2fQw8PzX4nR7tYb3Lm","upstream_http_anthropic_ratelimit_output_tokens_remaining":"0"}
{"time_iso8601":"2025-10-02T16:20:12+00:00","request_uri":"/healthz","status":"200"}
{"time_iso8601":"2025-10-02T16:20:13+00:00","request_uri":"/v1/messages","status":"502","upstream_status":"-"}
"#;
        let s = parse_text(text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 2);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.latency_ms, Some(412));
        assert_eq!(
            f.request_id.as_deref(),
            Some("req_011CUk2fQw8PzX4nR7tYb3Lm")
        );
        assert_eq!(
            f.header("anthropic-ratelimit-output-tokens-remaining"),
            Some("0")
        );
        assert_eq!(s.failures[1].provider.as_deref(), Some("nginx"));
        assert_eq!(s.lines.noise, 1);
    }
}
