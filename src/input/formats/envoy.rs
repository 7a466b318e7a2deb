//! Envoy access logs in the default text format and as `json_format` JSON lines: status,
//! response flags, duration. Envoy's own debug log (`[time][tid][debug][router] ...`) tells
//! each upstream attempt of a stream: a stream of a Claude call whose attempts were reset
//! before any response and that ended in Envoy's local reply failed once per reset; its
//! access line tells those attempts again.

use std::collections::VecDeque;

use serde_json::Value;

use crate::input::sink::{Claim, LineParser, Position, Sink};
use crate::input::toolkit::api::{endpoint_of, model_of_path, path_of};
use crate::input::toolkit::envoy::envoy_record;
use crate::record::{Outcome, Record, SourceKind, Stamp};
use crate::time;

/// The fields of a default-format access line that the parser uses:
/// `[time] "METHOD PATH PROTO" STATUS FLAGS RX TX DURATION ...`.
#[derive(Debug, PartialEq, Eq)]
struct DefaultLine<'l> {
    time: &'l str,
    path: &'l str,
    status: &'l str,
    flags: &'l str,
    duration: &'l str,
}

/// Read a default-format line by position: what the regex in the test below matches (it was
/// most of the time of an Envoy log).
fn default_line(line: &str) -> Option<DefaultLine<'_>> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let time = &rest[..close];
    if time.is_empty() {
        return None;
    }
    let rest = rest[close + 1..].strip_prefix(" \"")?;
    // `METHOD PATH PROTO"`: method and path end at the first space, and hold no whitespace.
    let (method, rest) = rest.split_once(' ')?;
    let (path, rest) = rest.split_once(' ')?;
    if method.is_empty()
        || path.is_empty()
        || method.contains(char::is_whitespace)
        || path.contains(char::is_whitespace)
    {
        return None;
    }
    let quote = rest.find('"')?;
    let rest = rest[quote + 1..].strip_prefix(' ')?;
    let (status, rest) = rest.split_once(' ')?;
    if status.is_empty() || status.len() > 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (flags, rest) = rest.split_once(' ')?;
    if flags.is_empty()
        || !flags
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b',' || b == b'-')
    {
        return None;
    }
    let number = |w: &str| w == "-" || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
    let (received, rest) = rest.split_once(' ')?;
    let (sent, rest) = rest.split_once(' ')?;
    if !number(received) || !number(sent) {
        return None;
    }
    // The duration: digits, or `-`, then anything.
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let duration = match digits {
        0 if rest.starts_with('-') => "-",
        0 => return None,
        n => &rest[..n],
    };
    Some(DefaultLine {
        time,
        path,
        status,
        flags,
        duration,
    })
}

/// An Envoy debug log line: `[time][thread][level][logger] [source/file.cc:NNN] [Tags:
/// "ConnectionId":"118","StreamId":"4627..."] message`, or with the older `[C118][S4627...]`
/// prefix; the source location is optional (a `--log-format` without `%g:%#`).
#[derive(Debug, PartialEq, Eq)]
struct DebugLine<'l> {
    time: &'l str,
    /// The HTTP stream the line is about, when it names one.
    stream: Option<u64>,
    message: &'l str,
}

/// One `[...]` field right at the start of `s` and what follows it.
fn bracketed(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = memchr::memchr(b']', inner.as_bytes())?;
    Some((&inner[..close], &inner[close + 1..]))
}

fn debug_line(line: &str) -> Option<DebugLine<'_>> {
    let (time, rest) = bracketed(line)?;
    let (thread, rest) = bracketed(rest)?;
    let (level, rest) = bracketed(rest)?;
    let (logger, rest) = bracketed(rest)?;
    if time.len() < 19
        || thread.is_empty()
        || !thread.bytes().all(|b| b.is_ascii_digit())
        || !matches!(
            level,
            "trace" | "debug" | "info" | "warning" | "error" | "critical"
        )
        || logger.is_empty()
        || !logger.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return None;
    }
    let mut rest = rest.strip_prefix(' ')?;
    // The source location.
    if let Some((at, after)) = bracketed(rest) {
        if at.contains(".cc:") || at.contains(".h:") {
            rest = after.strip_prefix(' ').unwrap_or(after);
        }
    }
    let mut stream = None;
    if let Some(tags) = rest.strip_prefix("[Tags: ") {
        let close = memchr::memchr(b']', tags.as_bytes())?;
        stream = tags[..close]
            .split_once("\"StreamId\":\"")
            .and_then(|(_, v)| v.split('"').next())
            .and_then(|v| v.parse().ok());
        rest = &tags[close + 1..];
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    } else if let Some((conn, after)) = bracketed(rest) {
        let number = |s: &str, p: char| {
            s.strip_prefix(p)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .map(|n| n.parse::<u64>().ok())
        };
        if number(conn, 'C').is_some() {
            rest = after;
            if let Some((s, after)) = bracketed(rest) {
                if let Some(id) = number(s, 'S') {
                    stream = id;
                    rest = after;
                }
            }
            rest = rest.strip_prefix(' ').unwrap_or(rest);
        }
    }
    Some(DebugLine {
        time,
        stream,
        message: rest,
    })
}

/// An upstream attempt of a Claude stream reset before any response came: a failure once the
/// stream's outcome is known.
struct Reset {
    line: u64,
    stamp: Option<Stamp>,
    message: String,
}

/// A Claude call's HTTP stream, as the debug log tells it.
struct Stream {
    id: u64,
    /// The last line about it (the least recent stream is forgotten first).
    seen: u64,
    endpoint: String,
    resets: Vec<Reset>,
    /// The upstream's response headers came: later resets broke a response, which the
    /// access line tells.
    answered: bool,
}

/// Streams of Claude calls followed at once (the least recently seen is forgotten).
const STREAMS: usize = 256;
/// How many lines after its local reply a stream's access line may come.
const RETOLD_LINES: u64 = 400;

/// The Envoy reader: access lines, and the debug log's streams of Claude calls.
#[derive(Default)]
pub(crate) struct EnvoyParser {
    streams: Vec<Stream>,
    /// Streams that failed through local replies after resets, whose access line (a 5xx with
    /// a reset flag) is still to come: the line of the local reply.
    retold: VecDeque<u64>,
}

/// Flags of an access line that say upstream attempts were reset or refused.
fn reset_flags(flags: &str) -> bool {
    flags
        .split(',')
        .any(|f| matches!(f, "UF" | "URX" | "UC" | "UR" | "LR" | "UPE"))
}

impl EnvoyParser {
    /// A debug log line: follows the streams of Claude calls.
    fn debug(&mut self, d: &DebugLine, lineno: u64, sink: &mut Sink) -> Claim {
        // Lines about no stream, or a stream of no Claude call, are left to the other
        // readers.
        let Some(id) = d.stream else {
            return Claim::NotMine;
        };
        let m = d.message;
        if let Some(route) = m.strip_prefix("cluster '") {
            // `cluster 'NAME' match for URL '/v1/messages'`: the stream's route.
            let Some((cluster, url)) = route.split_once("' match for URL '") else {
                return Claim::NotMine;
            };
            let url = url.strip_suffix('\'').unwrap_or(url);
            let endpoint = match endpoint_of(url, &sink.opts.api_paths) {
                Some(e) => e,
                None if anthropic_cluster(cluster) => path_of(url).to_string(),
                None => return Claim::NotMine,
            };
            self.forget(id);
            if self.streams.len() >= STREAMS {
                let oldest = self
                    .streams
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.seen)
                    .map_or(0, |(k, _)| k);
                self.streams.swap_remove(oldest);
            }
            self.streams.push(Stream {
                id,
                seen: lineno,
                endpoint,
                resets: Vec::new(),
                answered: false,
            });
            return Claim::Relevant;
        }
        let Some(k) = self.streams.iter().position(|s| s.id == id) else {
            return Claim::NotMine;
        };
        let stream = &mut self.streams[k];
        stream.seen = lineno;
        if m.starts_with("upstream reset: ") {
            if !stream.answered {
                stream.resets.push(Reset {
                    line: lineno,
                    stamp: time::iso(d.time),
                    message: m.trim().to_string(),
                });
            }
            Claim::Relevant
        } else if m.starts_with("upstream headers complete") {
            // A response came: attempts reset before it were retried and recovered.
            stream.answered = true;
            stream.resets.clear();
            Claim::Relevant
        } else if m.starts_with("Sending local reply") {
            let stream = self.streams.swap_remove(k);
            if stream.resets.is_empty() {
                return Claim::Relevant;
            }
            for reset in stream.resets {
                let mut r = Record::new(SourceKind::Envoy, Outcome::Failure);
                r.line = Some(reset.line);
                r.stamp = reset.stamp;
                r.provider = Some("envoy".into());
                r.error_type = Some("connection_error".into());
                r.message = Some(reset.message);
                r.model = model_of_path(&stream.endpoint);
                r.endpoint = Some(stream.endpoint.clone());
                sink.push(r);
            }
            self.retold.push_back(lineno);
            Claim::Relevant
        } else {
            Claim::NotMine
        }
    }

    fn forget(&mut self, id: u64) {
        if let Some(k) = self.streams.iter().position(|s| s.id == id) {
            self.streams.swap_remove(k);
        }
    }

    /// Whether an access line with this status and flags tells again the attempts of a stream
    /// whose resets the debug log told (then it adds no failure).
    fn retold(&mut self, code: u16, flags: &str, lineno: u64) -> bool {
        while self
            .retold
            .front()
            .is_some_and(|&at| lineno.saturating_sub(at) > RETOLD_LINES)
        {
            self.retold.pop_front();
        }
        if self.retold.is_empty() || code < 500 || !reset_flags(flags) {
            return false;
        }
        self.retold.pop_front();
        true
    }
}

/// Anthropic's API host in an upstream cluster's name (`outbound|443||api.anthropic.com`).
fn anthropic_cluster(cluster: &str) -> bool {
    cluster
        .split(['|', ':'])
        .any(|part| part == "api.anthropic.com")
}

impl LineParser for EnvoyParser {
    fn feed(&mut self, line: &str, lineno: u64, sink: &mut Sink) -> Claim {
        let b = line.as_bytes();
        if b.len() < 30 || b[0] != b'[' || !b[1].is_ascii_digit() || b[5] != b'-' {
            return Claim::NotMine;
        }
        let Some(c) = default_line(line) else {
            return match debug_line(line) {
                Some(d) => self.debug(&d, lineno, sink),
                None => Claim::NotMine,
            };
        };
        let Some(endpoint) = endpoint_of(c.path, &sink.opts.api_paths) else {
            return Claim::Noise;
        };
        let Ok(code) = c.status.parse::<u16>() else {
            return Claim::Bad("envoy: response code is not a number");
        };
        if self.retold(code, c.flags, lineno) {
            return Claim::Relevant;
        }
        let mut r = envoy_record(code, c.flags, endpoint);
        r.line = Some(lineno);
        r.stamp = time::iso(c.time);
        r.latency_ms = c.duration.parse().ok();
        sink.push(r);
        Claim::Relevant
    }
}

/// An Envoy access log entry written with `json_format` (Istio's and Envoy Gateway's
/// defaults, or a hand-written one): a response code and a path under the usual keys, and
/// something only Envoy writes (response flags, upstream host or cluster).
pub(crate) fn json_object(v: &Value, at: Position, sink: &mut Sink) -> Claim {
    let Some(map) = v.as_object() else {
        return Claim::NotMine;
    };
    let Some(code) = map.get("response_code").and_then(|c| match c {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }) else {
        return Claim::NotMine;
    };
    let envoy_only = ["response_flags", "upstream_host", "upstream_cluster"]
        .iter()
        .any(|k| map.contains_key(*k));
    let path = [
        "x-envoy-origin-path",
        "x_envoy_original_path",
        "path",
        ":path",
        "request_path",
    ]
    .iter()
    .find_map(|k| map.get(*k).and_then(Value::as_str));
    let (Some(path), true) = (path, envoy_only) else {
        return Claim::NotMine;
    };
    let Ok(code) = u16::try_from(code) else {
        return Claim::Bad("envoy: response code out of range");
    };
    let Some(endpoint) = endpoint_of(path, &sink.opts.api_paths) else {
        return Claim::Noise;
    };
    // An AI gateway's route to another vendor's Anthropic-compatible endpoint (GLM, Kimi,
    // Qwen behind `/anthropic/v1/messages`): its upstream cluster or route names the vendor.
    if ["upstream_cluster", "route_name"]
        .iter()
        .filter_map(|k| map.get(*k).and_then(Value::as_str))
        .any(names_other_vendor)
    {
        return Claim::Noise;
    }
    let flags = map
        .get("response_flags")
        .and_then(Value::as_str)
        .unwrap_or("-");
    let mut r = envoy_record(code, flags, endpoint);
    at.place(&mut r);
    r.stamp = ["start_time", "timestamp", "@timestamp", "time"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .and_then(time::iso);
    r.latency_ms = map.get("duration").and_then(|d| match d {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    sink.push(r);
    Claim::Relevant
}

/// Whether an upstream cluster or route name is another LLM vendor's and not Anthropic's.
fn names_other_vendor(name: &str) -> bool {
    const OTHERS: [&str; 11] = [
        "openai",
        "gemini",
        "zhipu",
        "bigmodel",
        "glm",
        "qwen",
        "dashscope",
        "deepseek",
        "moonshot",
        "kimi",
        "mistral",
    ];
    let lower = name.to_ascii_lowercase();
    !lower.contains("anthropic")
        && !lower.contains("claude")
        && OTHERS.iter().any(|o| lower.contains(o))
}

#[cfg(test)]
mod tests {
    /// The positional reader reads what the regex it replaced matched: on the sample lines
    /// and on variations (flags, dashes, an upstream time or not, a quote in the path, odd
    /// spacing, lines cut short).
    #[test]
    fn default_lines_read_by_position_as_by_regex() {
        let re = regex::Regex::new(concat!(
            r#"^\[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) (?P<proto>[^"]*)" "#,
            r#"(?P<status>\d{1,3}) (?P<flags>[A-Za-z,\-]+) (?:\d+|-) (?:\d+|-) (?P<duration>\d+|-)"#,
            r#"(?: (?P<upstream_time>\d+|-))?(?P<rest>.*)$"#
        ))
        .unwrap();
        let by_regex = |line: &str| {
            re.captures(line).map(|c| {
                (
                    c["time"].to_string(),
                    c["path"].to_string(),
                    c["status"].to_string(),
                    c["flags"].to_string(),
                    c["duration"].to_string(),
                )
            })
        };
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/proxy/envoy-access.log"),
        )
        .unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let base = r#"[2025-10-02T16:31:12.408Z] "POST /v1/messages HTTP/1.1" 503 UF 2311 91 30012 - "10.0.5.14" "Anthropic/JS 0.65.0" "5b1f" "api.anthropic.com" "203.0.113.9:443""#;
        for variant in [
            base.to_string(),
            base.replace(" UF ", " UF,URX "),
            base.replace(" UF ", " - "),
            base.replace(" UF ", " U1 "),
            base.replace(" 30012 - ", " - - "),
            base.replace(" 30012 - ", " 30012 "),
            base.replace(" 30012 - ", " 30012"),
            base.replace(" 30012 - ", " -5 "),
            base.replace(" 503 ", " 5030 "),
            base.replace(" 503 ", " 0 "),
            base.replace("2311 91", "- 91"),
            base.replace("2311 91", "x 91"),
            base.replace("/v1/messages", "/v1/mes\"sages"),
            base.replace(" HTTP/1.1", ""),
            base.replace("POST /v1", "POST  /v1"),
            base.replace("POST /v1", "POST\t/v1"),
            base.replace("[2025-10-02T16:31:12.408Z]", "[]"),
        ] {
            for cut in [variant.len(), 90, 80, 75, 70, 60, 40, 20] {
                if let Some(v) = variant.get(..cut) {
                    lines.push(v.to_string());
                }
            }
        }
        let mut read = 0;
        for line in &lines {
            let got = super::default_line(line).map(|c| {
                (
                    c.time.to_string(),
                    c.path.to_string(),
                    c.status.to_string(),
                    c.flags.to_string(),
                    c.duration.to_string(),
                )
            });
            let want = by_regex(line);
            read += usize::from(want.is_some());
            assert_eq!(got, want, "{line}");
        }
        assert!(read > 20, "{read} lines read");
    }

    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn upstream_failure_line() {
        let s = parse_text(
            r#"[2025-10-02T16:31:12.408Z] "POST /v1/messages HTTP/1.1" 503 UF 2311 91 30012 - "-" "Anthropic/JS 0.65.0" "5b1f0c2e-7d44-4e0a-9a1b-0c2d3e4f5a6b" "api.anthropic.com" "203.0.113.9:443""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(503));
        assert_eq!(f.provider_code.as_deref(), Some("UF"));
        assert_eq!(f.provider.as_deref(), Some("envoy"));
        assert_eq!(f.latency_ms, Some(30012));
        assert!(f
            .message
            .as_deref()
            .unwrap()
            .starts_with("envoy response flags UF: "));
    }

    #[test]
    fn no_response_is_null_status_not_zero() {
        let s = parse_text(
            r#"[2025-10-02T16:31:12.408Z] "POST /v1/messages HTTP/1.1" 0 DC 2311 0 812 - "-" "x" "id" "api.anthropic.com" "-""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.http_status, None);
        assert_eq!(f.effective_status(), None);
        assert_eq!(f.error_type.as_deref(), Some("client_closed"));
    }

    /// The route timeout (UT) fired after the 200 had gone out: the stream was cut.
    #[test]
    fn a_200_cut_by_the_route_timeout_is_a_stream_error() {
        let s = parse_text(
            r#"[2025-10-02T16:31:12.408Z] "POST /v1/messages HTTP/1.1" 200 UT 2311 8812 15001 734 "-" "Anthropic/JS 0.68.0" "5b1f0c2e" "api.anthropic.com" "203.0.113.9:443""#,
            &ScanOptions::default(),
        );
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(200));
        assert_eq!(f.error_type.as_deref(), Some("stream_error"));
    }

    #[test]
    fn success_and_other_paths() {
        let s = parse_text(
            "[2025-10-02T16:31:12.408Z] \"POST /v1/messages HTTP/1.1\" 200 - 2311 812 1200 1187 \"-\" \"x\" \"id\" \"h\" \"u\"\n[2025-10-02T16:31:13.000Z] \"GET /ready HTTP/1.1\" 200 - 0 2 0 - \"-\" \"kube\" \"id\" \"h\" \"u\"\n",
            &ScanOptions::default(),
        );
        assert!(s.failures.is_empty());
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.relevant, 1);
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn json_format_lines_istio_and_envoy_gateway_keys() {
        let s = parse_text(
            concat!(
                r#"{"start_time":"2025-10-02T16:31:12.408Z","method":"POST","path":"/v1/messages","protocol":"HTTP/1.1","response_code":503,"response_flags":"UF,URX","bytes_received":2311,"bytes_sent":91,"duration":30012,"upstream_host":"160.79.104.10:443"}"#,
                "\n",
                r#"{"start_time":"2025-10-02T16:32:05.117Z","method":"POST","x-envoy-origin-path":"/v1/messages?beta=true","response_code":"0","response_flags":"DC","duration":"812","upstream_cluster":"httproute/default/anthropic/rule/0"}"#,
                "\n",
                r#"{"start_time":"2025-10-02T16:31:42.000Z","method":"GET","path":"/healthz","response_code":200,"response_flags":"-","upstream_host":"10.42.0.9:8080"}"#,
                "\n",
                r#"{"response_code":200,"path":"/v1/messages","note":"not envoy: nothing only Envoy writes"}"#,
                "\n",
            ),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].provider_code.as_deref(), Some("UF,URX"));
        assert_eq!(s.failures[0].latency_ms, Some(30012));
        assert_eq!(s.failures[1].http_status, None);
        assert_eq!(s.failures[1].error_type.as_deref(), Some("client_closed"));
        // The last line is no Envoy line, but a call to a Claude route all the same: the
        // format-agnostic layer counts it as a success.
        assert_eq!(s.lines.relevant, 3);
        assert_eq!(s.lines.noise, 1);
    }
}
