//! Access lines of any layout: a request (a `"METHOD /path HTTP/x"` request line, or method,
//! path and status as fields of a JSON object or of `key=value` pairs) and the status it got,
//! with whatever else the line tells (time stamp anywhere, upstream status, response flags and
//! details, model, latency). This reads the layouts nobody wrote a parser for: nginx with any
//! `log_format`, Apache, Caddy, Traefik, Kong, APISIX, HAProxy, Squid, uvicorn, cloud load
//! balancers and API gateways, Envoy and Istio variants.
//!
//! A line is a call only when its request is a Claude API call (see [`super::context`] and
//! `api::endpoint_of`); health checks, assets and other vendors' calls are noise.

use serde_json::Value;

use super::context::context;
use crate::input::toolkit::api::{self, endpoint_of, model_of_path, provider_of_url};
use crate::record::{Outcome, Record, SourceKind, Stamp};
use crate::time;

/// A status as an access line writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Status(u16),
    /// `0`, `-` or `000`: no response was sent.
    None,
}

/// What an access line says, whatever its layout.
#[derive(Debug, Default)]
pub(crate) struct Seen<'a> {
    pub method: Option<&'a str>,
    pub target: Option<&'a str>,
    pub host: Option<&'a str>,
    pub status: Option<Code>,
    /// The upstream's status (or list of statuses), when the line gives it apart.
    pub upstream: Option<&'a str>,
    /// The same, written as a JSON number.
    pub upstream_code: Option<Code>,
    /// Response flags and details: Envoy flags, `response_code_details`, a load balancer's
    /// status details, a proxy's result code.
    pub details: Vec<&'a str>,
    pub model: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub latency_ms: Option<u64>,
    pub stamp: Option<Stamp>,
    pub retries: Option<u32>,
}

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
];

fn is_method(w: &str) -> bool {
    METHODS.iter().any(|m| m.eq_ignore_ascii_case(w)) && w.bytes().all(|b| b.is_ascii_uppercase())
}

fn code_of(w: &str) -> Option<Code> {
    let w = w.trim().trim_matches('"');
    match w {
        "-" | "0" | "000" => return Some(Code::None),
        _ => {}
    }
    if w.len() != 3 || !w.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u16 = w.parse().ok()?;
    (100..600).contains(&n).then_some(Code::Status(n))
}

/// A key with case, `_`, `-`, `.` and `@` taken out, for comparing field names across
/// layouts (`request_method`, `requestMethod`, `request.method`).
fn norm(key: &str, out: &mut String) {
    out.clear();
    out.extend(
        key.chars()
            .filter(|c| !matches!(c, '_' | '-' | '.' | '@' | '$'))
            .map(|c| c.to_ascii_lowercase()),
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Method,
    Target,
    RequestLine,
    Host,
    Status,
    /// A status only worth taking when nothing better names one (`code`).
    WeakStatus,
    Upstream,
    Details,
    Model,
    RequestId,
    LatencySeconds,
    LatencyAny,
    Time,
    Retries,
}

fn role(key: &str) -> Option<Role> {
    Some(match key {
        "method"
        | "requestmethod"
        | "httpmethod"
        | "reqmethod"
        | "verb"
        | "httpverb"
        | "clientrequestmethod" => Role::Method,
        "uri" | "path" | "url" | "requesturi" | "requesturl" | "requestpath" | "upstreamuri"
        | "originalpath" | "xenvoyoriginalpath" | "xenvoyoriginpath" | "reqpath"
        | "requesturlpath" | "requestuuri" | "target" | "csuristem" | "clientrequestpath"
        | "clientrequesturi" => Role::Target,
        "request" | "requestline" | "req" => Role::RequestLine,
        "host" | "authority" | "requesthost" | "requestdomain" | "domain" | "servername"
        | "requestauthority" | "cshost" | "vhost" | "upstreamhost" | "requestheaderhost" => {
            Role::Host
        }
        "status" | "statuscode" | "responsecode" | "httpstatus" | "httpstatuscode"
        | "downstreamstatus" | "scstatus" | "responsestatus" | "resstatus"
        | "responsestatuscode" | "elbstatuscode" | "finalstatus" | "edgeresponsestatus" => {
            Role::Status
        }
        "code" => Role::WeakStatus,
        "upstreamstatus"
        | "originstatus"
        | "integrationstatus"
        | "targetstatuscode"
        | "backendstatus"
        | "upstreamresponsecode"
        | "upstreamstatuscode"
        | "serverstatus"
        | "originresponsestatus" => Role::Upstream,
        "responseflags"
        | "responseflag"
        | "flags"
        | "responsecodedetails"
        | "statusdetails"
        | "errorreason"
        | "errormessage"
        | "terminationdetails"
        | "connectionterminationdetails"
        | "upstreamtransportfailurereason"
        | "errorinfo"
        | "proxystatus"
        | "termstate"
        | "terminationstate" => Role::Details,
        "model" | "requestmodel" | "llmmodel" | "genairequestmodel" | "genaimodelname"
        | "modelid" | "modelname" | "aimodel" => Role::Model,
        "requestid"
        | "reqid"
        | "xrequestid"
        | "upstreamhttprequestid"
        | "anthropicrequestid"
        | "upstreamrequestid" => Role::RequestId,
        "requesttime" | "upstreamresponsetime" => Role::LatencySeconds,
        "duration" | "latency" | "responselatency" | "totaltime" | "elapsed" | "took"
        | "durationms" | "elapsedms" | "latencyms" | "responsetime" | "integrationlatency" => {
            Role::LatencyAny
        }
        "time" | "timestamp" | "ts" | "starttime" | "timelocal" | "timeiso8601" | "datetime"
        | "receivetimestamp" | "date" | "eventtime" => Role::Time,
        "retryattempts" | "retries" | "retrycount" | "attempts" => Role::Retries,
        _ => return None,
    })
}

/// `POST /v1/messages HTTP/1.1` (or without the protocol): method and target.
fn request_line(s: &str) -> Option<(&str, &str)> {
    let mut it = s.split_whitespace();
    let m = it.next()?;
    let t = it.next()?;
    if !is_method(m) {
        return None;
    }
    match it.next() {
        None => {}
        Some(p) if p.starts_with("HTTP/") => {}
        Some(_) => return None,
    }
    if it.next().is_some() {
        return None;
    }
    Some((m, t))
}

fn latency(v: &str, seconds: bool) -> Option<u64> {
    let v = v.trim().trim_matches('"');
    if v.is_empty() || v == "-" {
        return None;
    }
    // A list of upstream times: the first is the one that answered first; take the sum.
    if v.contains(',') {
        let mut total = 0.0;
        for p in v.split([',', ':']) {
            total += p.trim().parse::<f64>().ok()?;
        }
        return Some((total * 1000.0).round() as u64);
    }
    if let Ok(n) = v.parse::<f64>() {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        // Seconds when the field says so or the value has a fraction of at most 3 digits.
        let secs = seconds || (v.contains('.') && n < 3600.0);
        return Some(if secs {
            (n * 1000.0).round() as u64
        } else {
            n as u64
        });
    }
    api::duration_ms(v)
}

/// The time stamp written anywhere in a text: ISO 8601, nginx's `$time_local`, syslog-less
/// `YYYY/MM/DD HH:MM:SS`.
pub(crate) fn stamp_anywhere(text: &str) -> Option<Stamp> {
    let b = text.as_bytes();
    let n = b.len();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    while i + 19 <= n {
        if digit(i) && digit(i + 1) && digit(i + 2) && digit(i + 3) && (i == 0 || !digit(i - 1)) {
            let sep = b[i + 4];
            if (sep == b'-' || sep == b'/') && b[i + 7] == sep {
                let end = (i..n)
                    .take_while(|&j| {
                        j < i + 35
                            && (b[j].is_ascii_alphanumeric()
                                || matches!(b[j], b'-' | b':' | b'.' | b'+' | b'/' | b',')
                                || (j == i + 10 && b[j] == b' '))
                    })
                    .last()
                    .map_or(i, |j| j + 1);
                let s = text[i..end].trim_end_matches([',', '.']);
                let s = if sep == b'/' {
                    time::slashed(s)
                } else {
                    time::iso(&s.replacen(',', ".", 1))
                };
                if s.is_some() {
                    return s;
                }
            }
            // nginx `$time_local`: dd/Mon/yyyy:HH:MM:SS +zzzz
        } else if digit(i) && digit(i + 1) && b[i + 2] == b'/' && i + 26 <= n {
            if let Some(s) = text.get(i..i + 26).and_then(time::nginx_local) {
                return Some(s);
            }
        }
        i += 1;
    }
    None
}

/// A token of a text access line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Quoted(&'a str),
    Bracket(&'a str),
    Word(&'a str),
    Pair(&'a str, &'a str),
}

fn tokens(line: &str) -> Vec<Tok<'_>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < 200 {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b'|' {
            i += 1;
            continue;
        }
        if c == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = j.min(b.len());
            out.push(Tok::Quoted(&line[start..end]));
            i = end + 1;
            continue;
        }
        if c == b'[' {
            if let Some(close) = memchr::memchr(b']', &b[i..]) {
                out.push(Tok::Bracket(&line[i + 1..i + close]));
                i += close + 1;
                continue;
            }
        }
        let start = i;
        let mut j = i;
        let mut eq = None;
        while j < b.len() && !b[j].is_ascii_whitespace() {
            if b[j] == b'=' && eq.is_none() && j > start {
                eq = Some(j);
                if b.get(j + 1) == Some(&b'"') {
                    // key="quoted value"
                    let vs = j + 2;
                    let mut k = vs;
                    while k < b.len() && b[k] != b'"' {
                        if b[k] == b'\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    let ve = k.min(b.len());
                    out.push(Tok::Pair(&line[start..j], &line[vs..ve]));
                    i = ve + 1;
                    eq = Some(usize::MAX);
                    break;
                }
            }
            j += 1;
        }
        if eq == Some(usize::MAX) {
            continue;
        }
        match eq {
            Some(e) => out.push(Tok::Pair(&line[start..e], &line[e + 1..j])),
            None => out.push(Tok::Word(&line[start..j])),
        }
        i = j;
    }
    out
}

/// Read the fields of a text access line.
pub(crate) fn read_text(line: &str) -> Option<Seen<'_>> {
    let toks = tokens(line);
    let mut s = Seen::default();
    let mut key = String::new();
    let mut weak: Option<Code> = None;
    for t in &toks {
        if let Tok::Pair(k, v) = *t {
            norm(k, &mut key);
            if let Some(r) = role(&key) {
                take_field(&mut s, r, v, &mut weak);
            }
        }
    }
    // The request line, quoted or bare.
    let mut at = None;
    if s.method.is_none() || s.target.is_none() {
        for (i, t) in toks.iter().enumerate() {
            match *t {
                Tok::Quoted(q) => {
                    if let Some((m, tg)) = request_line(q) {
                        s.method = Some(m);
                        s.target = Some(tg);
                        at = Some((i, i));
                        break;
                    }
                }
                Tok::Word(w) if is_method(w) => {
                    if let Some(Tok::Word(tg)) = toks.get(i + 1) {
                        if tg.starts_with('/') || tg.starts_with("http") || w == "CONNECT" {
                            let mut end = i + 1;
                            if let Some(Tok::Word(p)) = toks.get(i + 2) {
                                if p.starts_with("HTTP/") {
                                    end = i + 2;
                                }
                            }
                            s.method = Some(w);
                            s.target = Some(tg);
                            at = Some((i, end));
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if s.status.is_none() {
        if let Some((first, last)) = at {
            // The status right after the request line (nginx, Apache, Envoy, Istio), then
            // Envoy's flags and Istio's details; else right before it.
            let word = |i: usize| match toks.get(i) {
                Some(Tok::Word(w)) => Some(*w),
                Some(Tok::Quoted(w)) => Some(*w),
                _ => None,
            };
            // A proxy's result code before the method: `TCP_MISS/429`, `TAG_NONE/503`.
            let result_code = || {
                (first.saturating_sub(4)..first).rev().find_map(|i| {
                    let (res, code) = word(i)?.rsplit_once('/')?;
                    let ok =
                        res.len() >= 4 && res.bytes().all(|c| c.is_ascii_uppercase() || c == b'_');
                    Some((res, code_of(code).filter(|_| ok)?))
                })
            };
            let before = match first.checked_sub(1).map(|i| &toks[i]) {
                Some(Tok::Word(w)) => code_of(w).filter(|c| *c != Code::None),
                _ => None,
            };
            if let Some((c, state)) = haproxy_codes(&toks, first) {
                // HAProxy: the status after the timers, the termination state four on;
                // `backend/<NOSRV>`: no server was available.
                s.status = Some(c);
                if let Some(st) = state {
                    s.details.push(st);
                }
                let nosrv = toks[..first]
                    .iter()
                    .any(|t| matches!(t, Tok::Word(w) if w.ends_with("/<NOSRV>")));
                if nosrv {
                    s.details.push("no_server_available");
                }
            } else if let Some((elb, target)) = alb_codes(&toks) {
                // AWS load balancers: the balancer's status, then the target's (`-` when the
                // target sent none).
                s.status = Some(elb);
                s.upstream_code = Some(target);
            } else if let Some((res, c)) = result_code() {
                s.status = Some(c);
                s.details.push(res);
            } else if let Some(c) = before {
                // The status right before the request line (`log_format` with `$status`
                // first).
                s.status = Some(c);
            } else if let Some(c) = word(last + 1).and_then(code_of) {
                // Right after it (nginx, Apache, Envoy, Istio), then Envoy's flags and Istio's
                // details.
                s.status = Some(c);
                if let Some(f) = word(last + 2).filter(|f| is_flags(f)) {
                    if f != "-" {
                        s.details.push(f);
                    }
                    if let Some(d) = word(last + 3).filter(|d| is_detail(d)) {
                        s.details.push(d);
                    }
                }
            }
        }
    }
    if s.status.is_none() {
        s.status = weak;
    }
    if let (Some((_, last)), None, None) = (at, s.upstream, s.upstream_code) {
        // ingress-nginx's `upstreaminfo`: `[ns-svc-port] [alternative] $upstream_addr ...`;
        // `-` there is no upstream at all (the service had no endpoints).
        let pair = (last + 1..toks.len().saturating_sub(2))
            .find(|&i| matches!((&toks[i], &toks[i + 1]), (Tok::Bracket(_), Tok::Bracket(_))));
        if pair.is_some_and(|i| matches!(toks.get(i + 2), Some(Tok::Word("-")))) {
            s.upstream = Some("-");
        }
    }
    if s.stamp.is_none() {
        s.stamp = stamp_anywhere(line);
    }
    (s.target.is_some() && s.status.is_some()).then_some(s)
}

/// HAProxy's HTTP log before the request line: `Tq/Tw/Tc/Tr/Ta STATUS BYTES CC CS TSTATE`
/// (the timers five numbers, `-1` for a step never reached): the status, and the termination
/// state when it says something went wrong (`SC--`, `sH--`; `----` is a normal end).
fn haproxy_codes<'a>(toks: &[Tok<'a>], first: usize) -> Option<(Code, Option<&'a str>)> {
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    // The connection counts (`10/10/1/1/0`) are five numbers too: the timers are the ones a
    // status follows.
    let timers = (first.saturating_sub(8)..first).find(|&i| {
        word(i + 1).and_then(code_of).is_some()
            && word(i).is_some_and(|w| {
                let parts: Vec<&str> = w.split('/').collect();
                parts.len() == 5
                    && parts.iter().all(|p| {
                        let p = p.trim_start_matches(['+', '-']);
                        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
                    })
            })
    })?;
    let code = code_of(word(timers + 1)?)?;
    let state = word(timers + 5).filter(|st| {
        st.len() == 4 && *st != "----" && st.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
    });
    Some((code, state))
}

/// How long a proxy that answered a 5xx itself must have waited for the wait to be its own
/// time limit (API Gateway's integration timeout is 29-30 s).
const PROXY_TIME_LIMIT_MS: u64 = 29_000;

/// What a proxy's own words say about a failure, for the catalog: Envoy's flags in Envoy's
/// words, other details as they are, else whether any upstream answered.
fn proxy_message(
    code: Code,
    flags: &[&str],
    details: &[&str],
    no_upstream: bool,
    latency_ms: Option<u64>,
) -> Option<String> {
    let words: Vec<&str> = details
        .iter()
        .copied()
        .filter(|d| !(d.len() <= 5 && d.bytes().all(|b| b.is_ascii_uppercase() || b == b',')))
        .collect();
    let mut out = String::new();
    if !flags.is_empty() {
        let described: Vec<&str> = flags
            .iter()
            .map(|f| crate::input::toolkit::envoy::flag_meaning(f))
            .collect();
        out = format!(
            "envoy response flags {}: {}",
            flags.join(","),
            described.join("; ")
        );
    }
    if !words.is_empty() {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str("proxy response details: ");
        out.push_str(&words.join(" "));
    }
    if no_upstream {
        if let Code::Status(n) = code {
            // A 5xx the proxy made, or its own rate limit's 429.
            if n >= 500 || n == 429 {
                if !out.is_empty() {
                    out.push_str("; ");
                }
                out.push_str(&format!("proxy answered {n} with no upstream response"));
                // After the half minute that gateways give an integration (API Gateway's
                // 29-30 s): the proxy's own time limit, not a missing backend.
                if let Some(ms) = latency_ms.filter(|ms| n >= 500 && *ms >= PROXY_TIME_LIMIT_MS) {
                    out.push_str(&format!(" after {:.1} s", ms as f64 / 1000.0));
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// An AWS Application or Classic Load Balancer line: `type time elb client:port target:port
/// request_time target_time response_time elb_status target_status ...`.
fn alb_codes(toks: &[Tok]) -> Option<(Code, Code)> {
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    let kind = word(0)?;
    if !matches!(kind, "http" | "https" | "h2" | "grpcs" | "ws" | "wss") {
        return None;
    }
    if !word(1)?.contains('T') || !word(2)?.starts_with("app/") {
        return None;
    }
    let elb = code_of(word(8)?).filter(|c| *c != Code::None)?;
    let target = code_of(word(9)?)?;
    Some((elb, target))
}

/// Envoy response flags: `UF`, `UF,URX`, `-`.
fn is_flags(w: &str) -> bool {
    w == "-"
        || (!w.is_empty()
            && w.len() <= 40
            && w.bytes().all(|b| b.is_ascii_uppercase() || b == b',')
            && w.bytes().any(|b| b.is_ascii_uppercase()))
}

/// Istio's `%RESPONSE_CODE_DETAILS%`: `via_upstream`, `local_rate_limited`,
/// `upstream_reset_before_response_started{connection_failure}`.
fn is_detail(w: &str) -> bool {
    w.len() > 3 && w.contains('_') && w.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

fn take_field<'a>(s: &mut Seen<'a>, r: Role, v: &'a str, weak: &mut Option<Code>) {
    let v = v.trim();
    let empty = v.is_empty() || v == "-";
    match r {
        Role::Method if !empty && s.method.is_none() => s.method = Some(v),
        Role::Target if !empty && s.target.is_none() => s.target = Some(v),
        Role::RequestLine if s.target.is_none() => {
            if let Some((m, t)) = request_line(v) {
                s.method = Some(m);
                s.target = Some(t);
            } else if v.starts_with('/') && !v.contains(char::is_whitespace) {
                // `request=/v1/messages` (Envoy's `%REQ(:PATH)%` under that name).
                s.target = Some(v);
            }
        }
        Role::Host if !empty && s.host.is_none() => s.host = Some(v),
        Role::Status if s.status.is_none() => s.status = code_of(v),
        Role::WeakStatus if weak.is_none() => *weak = code_of(v),
        // `-`: no upstream answered (the proxy answered itself).
        Role::Upstream if !v.is_empty() && s.upstream.is_none() => s.upstream = Some(v),
        Role::Details if !empty => s.details.push(v),
        Role::Model if !empty && s.model.is_none() => s.model = Some(v),
        Role::RequestId if v.starts_with("req_") && s.request_id.is_none() => {
            s.request_id = Some(v)
        }
        Role::LatencySeconds if s.latency_ms.is_none() => {
            if v.contains(':') || v.contains('/') {
                s.stamp = s.stamp.or_else(|| stamp_anywhere(v));
            } else {
                s.latency_ms = latency(v, true);
            }
        }
        Role::LatencyAny if s.latency_ms.is_none() => s.latency_ms = latency(v, false),
        Role::Time if s.stamp.is_none() => {
            s.stamp = stamp_anywhere(v).or_else(|| {
                v.parse::<f64>()
                    .ok()
                    .filter(|n| *n > 1.0e9)
                    .and_then(|n| time::epoch_seconds(if n > 1.0e12 { n / 1000.0 } else { n }))
            })
        }
        Role::Retries if s.retries.is_none() => s.retries = v.parse().ok(),
        _ => {}
    }
}

/// Read the fields of a JSON access record (nested objects are walked: Caddy's `request`,
/// Google's `httpRequest`).
pub(crate) fn read_json(v: &Value) -> Option<Seen<'_>> {
    let mut s = Seen::default();
    let mut weak = None;
    let mut key = String::new();
    walk(v, 0, &mut s, &mut weak, &mut key);
    if s.status.is_none() {
        s.status = weak;
    }
    (s.target.is_some() && s.status.is_some()).then_some(s)
}

fn walk<'a>(
    v: &'a Value,
    depth: usize,
    s: &mut Seen<'a>,
    weak: &mut Option<Code>,
    key: &mut String,
) {
    let Some(map) = v.as_object() else { return };
    if depth > 4 {
        return;
    }
    for (k, v) in map {
        norm(k, key);
        match v {
            // Headers and bodies hold other people's fields.
            Value::Object(_)
                if !matches!(
                    key.as_str(),
                    "headers" | "respheaders" | "requestheaders" | "responseheaders" | "body"
                ) =>
            {
                walk(v, depth + 1, s, weak, key);
            }
            Value::Object(_) => {}
            Value::String(text) => {
                if let Some(r) = role(key) {
                    take_field(s, r, text, weak);
                }
            }
            Value::Number(n) => {
                if let Some(r) = role(key) {
                    let text = n.to_string();
                    match r {
                        Role::Status if s.status.is_none() => {
                            s.status = n.as_u64().and_then(|n| match n {
                                0 => Some(Code::None),
                                100..=599 => Some(Code::Status(n as u16)),
                                _ => None,
                            })
                        }
                        Role::WeakStatus if weak.is_none() => {
                            *weak = n
                                .as_u64()
                                .filter(|n| (100..600).contains(n))
                                .map(|n| Code::Status(n as u16))
                        }
                        Role::LatencySeconds if s.latency_ms.is_none() => {
                            s.latency_ms = latency(&text, true)
                        }
                        Role::LatencyAny if s.latency_ms.is_none() => {
                            // Go durations in nanoseconds (Traefik), else milliseconds.
                            s.latency_ms = n.as_f64().map(|f| {
                                if f > 1.0e7 && n.is_u64() {
                                    (f / 1.0e6).round() as u64
                                } else if n.is_f64() && f < 3600.0 {
                                    (f * 1000.0).round() as u64
                                } else {
                                    f as u64
                                }
                            })
                        }
                        Role::Time if s.stamp.is_none() => {
                            s.stamp = n.as_f64().filter(|n| *n > 1.0e9).and_then(|n| {
                                time::epoch_seconds(if n > 1.0e12 { n / 1000.0 } else { n })
                            })
                        }
                        Role::Retries if s.retries.is_none() => {
                            s.retries = n.as_u64().map(|n| n.min(100) as u32)
                        }
                        Role::Upstream if s.upstream.is_none() => {
                            s.upstream_code = n.as_u64().and_then(|n| match n {
                                0 => Some(Code::None),
                                100..=599 => Some(Code::Status(n as u16)),
                                _ => None,
                            })
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether the request is a Claude API call: its endpoint, and the provider it points at.
pub(crate) fn claude_call<'a>(
    s: &Seen<'a>,
    whole: &str,
    extra: &[regex::Regex],
) -> Option<(String, &'static str)> {
    let target = s.target?;
    if s.method.is_some_and(|m| m == "OPTIONS" || m == "HEAD") {
        return None;
    }
    let url_other = api::foreign_host(target)
        || s.host
            .is_some_and(|h| api::foreign_host(&format!("https://{h}/")));
    if url_other && !target.contains("/anthropic/") {
        return None;
    }
    if s.method == Some("CONNECT") {
        let host = target.split(':').next().unwrap_or(target);
        return host
            .ends_with("anthropic.com")
            .then(|| ("CONNECT".to_string(), "anthropic"));
    }
    if let Some(e) = endpoint_of(target, extra) {
        let provider = provider_of_url(target);
        return Some((e, provider));
    }
    // An OpenAI-shaped path through a gateway: a call when the model is a Claude model.
    let path = api::path_of(target);
    if path.ends_with("/chat/completions") || path.ends_with("/responses") {
        let m = s.model.map(context).unwrap_or_default();
        if (m.claude && !m.other) || (s.model.is_none() && context(whole).is_claude()) {
            return Some((path.to_string(), "anthropic"));
        }
    }
    None
}

/// The record of an access line that is a Claude API call.
pub(crate) fn record(s: &Seen, endpoint: String, provider: &str) -> Vec<Record> {
    let status = s.status.unwrap_or(Code::None);
    let upstream = s.upstream.map(str::trim).filter(|u| !u.is_empty());
    // A list of upstream statuses: each failed hop before the one that answered is an
    // attempt of its own; a last hop that succeeded makes the request a success.
    let hops: Vec<Code> = match (upstream, s.upstream_code) {
        (Some(u), _) => u.split([',', ':']).filter_map(code_of).collect(),
        (None, Some(c)) => vec![c],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let flags: Vec<&str> = s
        .details
        .iter()
        .flat_map(|d| d.split(','))
        .filter(|f| f.len() <= 5 && f.bytes().all(|b| b.is_ascii_uppercase()))
        .collect();
    let stream_broke = flags.iter().any(|f| {
        matches!(
            *f,
            "UC" | "UR" | "LR" | "SI" | "UT" | "UPE" | "UMSDR" | "DT"
        )
    });
    let details = s.details.join(" ");
    let failed_status = |c: Code| match c {
        Code::Status(n) => n >= 400,
        Code::None => true,
    };
    let last_ok = hops.last().is_some_and(|c| !failed_status(*c));
    // The line says that no upstream answered (`-` where the upstream status goes).
    let no_upstream = hops.len() == 1 && hops[0] == Code::None;
    let main_failed = failed_status(status) || (stream_broke && status == Code::Status(200));
    let retries = s.retries.unwrap_or(0).min(20);
    // Failed hops before the last (or all, when the request failed), each its own attempt.
    let failed_hops: Vec<Code> = if hops.len() > 1 {
        let n = if main_failed {
            hops.len()
        } else {
            hops.len() - 1
        };
        hops[..n]
            .iter()
            .copied()
            .filter(|c| failed_status(*c))
            .collect()
    } else {
        Vec::new()
    };
    let make = |code: Code, failed: bool| {
        let mut r = Record::new(SourceKind::AccessLog, Outcome::of(failed));
        r.stamp = s.stamp;
        r.http_status = match code {
            Code::Status(n) => Some(n),
            Code::None => None,
        };
        r.endpoint = Some(endpoint.clone());
        r.provider = Some(provider.to_string());
        r.model = s
            .model
            .map(str::to_string)
            .or_else(|| model_of_path(&endpoint));
        r.request_id = s.request_id.map(str::to_string);
        r.latency_ms = s.latency_ms;
        if failed {
            if !details.is_empty() {
                r.provider_code = Some(details.clone());
            }
            r.message = proxy_message(code, &flags, &s.details, no_upstream, s.latency_ms);
            if matches!(code, Code::Status(460 | 499)) {
                r.error_type = Some("client_closed".into());
            } else if code == Code::None {
                r.error_type = Some(
                    if details.contains("client") || flags.contains(&"DC") {
                        "client_closed"
                    } else if details.contains("timeout") || flags.contains(&"UT") {
                        "client_timeout"
                    } else {
                        "connection_error"
                    }
                    .into(),
                );
            } else if code == Code::Status(200) {
                r.error_type = Some("stream_error".into());
            }
        }
        r
    };
    if !failed_hops.is_empty() {
        for (k, c) in failed_hops.iter().enumerate() {
            let mut r = make(*c, true);
            r.attempt = Some(k as u32 + 1);
            out.push(r);
        }
        if !main_failed || last_ok {
            out.push(make(status, false));
        }
        return out;
    }
    // The status the provider sent, when the proxy rewrote it and the line tells both.
    let code = match (status, hops.first()) {
        (Code::Status(_), Some(Code::Status(u))) if *u >= 400 && hops.len() == 1 => {
            Code::Status(*u)
        }
        _ => status,
    };
    if main_failed && retries > 0 {
        for k in 0..=retries {
            let mut r = make(code, true);
            r.attempt = Some(k + 1);
            out.push(r);
        }
        return out;
    }
    out.push(make(code, main_failed));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_after_and_before_the_request() {
        let s = read_text(r#"10.0.0.1 - - [21/Nov/2025:13:20:26 +0000] 429 "POST /v1/messages HTTP/1.1" 292 "-" "ua""#).unwrap();
        assert_eq!(s.status, Some(Code::Status(429)));
        assert_eq!(s.target, Some("/v1/messages"));
        assert!(s.stamp.is_some());
        let s = read_text(r#"[2025-11-21T10:01:02.640Z] "POST /v1/messages HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} - "x" 0 91 3 - "-""#).unwrap();
        assert_eq!(s.status, Some(Code::Status(503)));
        assert_eq!(
            s.details,
            vec![
                "UF",
                "upstream_reset_before_response_started{connection_failure}"
            ]
        );
    }

    #[test]
    fn reads_key_value_and_json_fields() {
        let s = read_text("latency=0.905 requestMethod=POST requestUrl=claude-egress.internal/v1/messages status=529 upstreamStatus=529 userAgent=\"Anthropic/Python 0.72\"").unwrap();
        assert_eq!(s.status, Some(Code::Status(529)));
        assert_eq!(s.method, Some("POST"));
        let v: Value = serde_json::from_str(r#"{"httpRequest":{"requestMethod":"POST","requestUrl":"https://x.app/v1/messages","status":502},"jsonPayload":{"statusDetails":"backend_timeout"}}"#).unwrap();
        let s = read_json(&v).unwrap();
        assert_eq!(s.status, Some(Code::Status(502)));
        assert_eq!(s.details, vec!["backend_timeout"]);
    }

    /// Envoy AI Gateway's JSON access log: the route's path in `x-envoy-origin-path`, the
    /// model in `genai_model_name`.
    /// HAProxy's HTTP log: the status after the timers (not after the connection counts),
    /// the termination state, and no server for `<NOSRV>`.
    #[test]
    fn haproxy_http_log() {
        let line = r#"Dec  7 10:00:03 lb1 haproxy[1234]: 10.0.0.1:51236 [07/Dec/2026:10:00:03.123] fe_https~ be_api/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 10/10/0/0/0 0/0 "POST /v1/messages HTTP/1.1""#;
        let s = read_text(line).unwrap();
        assert_eq!(s.status, Some(Code::Status(503)));
        assert_eq!(s.details, ["SC--", "no_server_available"]);
        let line = r#"Dec  7 10:00:01 lb1 haproxy[1234]: 10.0.0.1:51234 [07/Dec/2026:10:00:01.123] fe_https~ be_api/srv1 0/0/1/1523/1524 529 312 - - ---- 10/10/1/1/0 0/0 "POST /v1/messages HTTP/1.1""#;
        let s = read_text(line).unwrap();
        assert_eq!(s.status, Some(Code::Status(529)));
        assert!(s.details.is_empty());
    }

    /// Cloudflare's Logpush HTTP requests: the edge's status, the origin's as the upstream.
    #[test]
    fn cloudflare_logpush_fields() {
        let v: Value = serde_json::from_str(r#"{"ClientRequestHost":"claude.example.com","ClientRequestMethod":"POST","ClientRequestPath":"/v1/messages","EdgeResponseStatus":524,"OriginResponseStatus":0,"EdgeStartTimestamp":"2026-12-07T10:00:02Z"}"#).unwrap();
        let s = read_json(&v).unwrap();
        assert_eq!(s.status, Some(Code::Status(524)));
        assert_eq!(s.target, Some("/v1/messages"));
    }

    #[test]
    fn envoy_ai_gateway_keys() {
        let v: Value = serde_json::from_str(r#"{"genai_model_name":"claude-sonnet-4-5","method":"POST","response_code":429,"response_flags":"-","x-envoy-origin-path":"/v1/chat/completions"}"#).unwrap();
        let s = read_json(&v).unwrap();
        assert_eq!(s.status, Some(Code::Status(429)));
        assert_eq!(s.target, Some("/v1/chat/completions"));
        assert_eq!(s.model, Some("claude-sonnet-4-5"));
    }

    /// Envoy key=value text: `request=` holds the bare path, `response_flag=` the flags.
    #[test]
    fn envoy_key_value_fields() {
        let s = read_text("[01/12/2025T09:00:31+0000 1764579631] method=POST authority=claude-proxy.internal:443 reqId=req_011CVgR4dTw1Bs6G request=/v1/messages response_flag=UT status=200 status_details=upstream_response_timeout total_time_ms=15001").unwrap();
        assert_eq!(s.status, Some(Code::Status(200)));
        assert_eq!(s.target, Some("/v1/messages"));
        assert_eq!(s.request_id, Some("req_011CVgR4dTw1Bs6G"));
        assert_eq!(s.details, vec!["UT", "upstream_response_timeout"]);
    }

    /// A 200 whose stream a proxy's timeout cut (Envoy `UT` after the headers went out) is a
    /// failure of the stream.
    #[test]
    fn a_200_cut_by_a_timeout_flag_is_a_failure() {
        let s = read_text("method=POST request=/v1/messages response_flag=UT status=200 status_details=upstream_response_timeout").unwrap();
        let r = record(&s, "/v1/messages".into(), "anthropic");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].outcome, Outcome::Failure);
        assert_eq!(r[0].error_type.as_deref(), Some("stream_error"));
    }

    /// ingress-nginx's upstream fields behind a `kubectl logs --prefix` pod name: `-` as the
    /// upstream address is a 503 nginx made itself.
    #[test]
    fn ingress_nginx_without_an_upstream() {
        let line = r#"[pod/ingress-nginx-controller-7f5d8c9b6-2xqkp/controller] 10.244.3.15 - - [14/Oct/2025:09:21:05 +0000] "POST /anthropic/v1/messages HTTP/1.1" 503 190 "-" "Anthropic/Python 0.71.0" 2251 0.000 [ai-llm-gateway-4000] [] - - - - d9f2b6a1c4e74b83a5e1c8d0f7b3a624"#;
        let s = read_text(line).unwrap();
        assert_eq!(s.upstream, Some("-"));
        let r = record(&s, "/v1/messages".into(), "anthropic");
        assert_eq!(
            r[0].message.as_deref(),
            Some("proxy answered 503 with no upstream response")
        );
        // API Gateway's own 503 after its 30 s integration limit.
        let apigw = r#"{"requestTime":"18/Dec/2025:11:00:31 +0000","httpMethod":"POST","path":"/anthropic/v1/messages","status":503,"responseLatency":30004,"integrationStatus":"-"}"#;
        let v: Value = serde_json::from_str(apigw).unwrap();
        let late = read_json(&v).unwrap();
        assert_eq!(late.latency_ms, Some(30004));
        let r = record(&late, "/v1/messages".into(), "anthropic");
        assert_eq!(
            r[0].message.as_deref(),
            Some("proxy answered 503 with no upstream response after 30.0 s")
        );
        let answered = line.replace("[] - - - -", "[] 10.0.0.9:4000 190 0.012 503");
        assert_eq!(read_text(&answered).unwrap().upstream, None);
    }

    #[test]
    fn squid_result_codes() {
        let s = read_text("1765620011.880    188 10.0.3.14 TCP_MISS/429 612 POST https://api.anthropic.com/v1/messages - HIER_DIRECT/203.0.113.9 application/json").unwrap();
        assert_eq!(s.status, Some(Code::Status(429)));
        assert_eq!(s.details, vec!["TCP_MISS"]);
    }
}
