//! Who wrote a line: the thread, task, process, pod or trace that a log line's prefix names.
//!
//! Services log from many threads, processes and async tasks at once, so the lines of one
//! attempt are not adjacent: another thread's `HTTP Request` line may come between an
//! attempt's transport line and its response dump, and a `request_id:` line may follow another
//! thread's failure. The sink joins the lines of one attempt by their producer when the lines
//! name one (see `Sink::follow_producer`), and by adjacency when they do not.
//!
//! A producer is read from what logging formats put in a line's prefix, never from the message:
//!
//! - Python's `[%(process)d:%(threadName)s]` (`[41213:ThreadPoolExecutor-0_2]`), and any
//!   bracketed thread, task or worker name (`[MainThread]`, `[Task-12]`, `[pool-1-thread-3]`,
//!   `[http-nio-8080-exec-5]`, `[worker-2]`, Celery's `[...: WARNING/ForkPoolWorker-3]`), a
//!   bracketed process id (`[12345]`, gunicorn);
//! - `kubectl logs --prefix`'s `[pod/NAME/CONTAINER]`; the Lambda log stream that `aws logs
//!   tail` puts first (`2025/03/11/[$LATEST]b81e3d5a...`);
//! - key=value and JSON fields that name a thread, task, process, trace or correlation id
//!   (`thread=`, `"threadName":`, `"taskName":`, `pid=`, `trace_id=`, `correlation_id=`...).
//!
//! Span ids are not producers (one attempt's lines come from nested spans), and neither are
//! request ids (the sink joins those itself).

/// How many bytes of a line's start its prefix may take.
const HEAD: usize = 160;

/// Keys whose value names a producer (compared case-blind, `_` and `-` ignored).
const KEYS: [&str; 16] = [
    "thread",
    "threadname",
    "threadid",
    "tid",
    "task",
    "taskname",
    "taskid",
    "pid",
    "process",
    "processname",
    "traceid",
    "trace",
    "oteltraceid",
    "correlationid",
    "worker",
    "goroutine",
];

/// Words of thread, task and worker names as runtimes spell them.
const THREAD_WORDS: [&str; 12] = [
    "Thread", "thread", "Task-", "Worker", "worker", "-exec-", "pool-", "Process-", "asyncio",
    "tokio-", "Dummy-", "ForkPool",
];

/// A key for the producer `line` names (0: none). Equal keys: the same producer.
pub(crate) fn of(line: &str) -> u64 {
    let b = line.as_bytes();
    let mut h = Fnv::new();
    let mut found = false;
    // JSON lines name their producer in fields anywhere in the object.
    let json = b.first() == Some(&b'{');
    let head = if json { b } else { &b[..b.len().min(HEAD)] };
    if !json {
        let mut from = 0;
        let mut groups = 0;
        while groups < 6 {
            let Some(open) = memchr::memchr(b'[', &head[from..]).map(|i| from + i) else {
                break;
            };
            let Some(close) = memchr::memchr(b']', &head[open + 1..]).map(|i| open + 1 + i) else {
                break;
            };
            groups += 1;
            let inner = &head[open + 1..close];
            // A Lambda log stream (`aws logs tail`: `2025/03/11/[$LATEST]b81e3d5a...`): one
            // execution environment, which runs one invocation at a time.
            if inner.first() == Some(&b'$') {
                let stream = &head[close + 1..];
                let n = stream.iter().take_while(|c| c.is_ascii_hexdigit()).count();
                if n >= 16 {
                    h.add(&stream[..n]);
                    found = true;
                }
                from = close + 1;
                continue;
            }
            if let Some(token) = bracket_producer(inner, open == 0) {
                h.add(token);
                found = true;
            }
            from = close + 1;
        }
    }
    for (_, value) in fields(head) {
        if !value.is_empty() {
            h.add(value);
            found = true;
        }
    }
    if found {
        h.finish().max(1)
    } else {
        0
    }
}

/// The producer a bracketed prefix group names.
fn bracket_producer(inner: &[u8], first: bool) -> Option<&[u8]> {
    if inner.is_empty() || inner.len() > 80 {
        return None;
    }
    // `kubectl logs --prefix`: `[pod/NAME/CONTAINER]` first on the line.
    if first && inner.starts_with(b"pod/") {
        return Some(inner);
    }
    // Celery: `[2025-10-02 10:00:00,123: WARNING/ForkPoolWorker-3]`.
    let last = match memchr::memrchr(b'/', inner) {
        Some(i) if inner[..i].contains(&b' ') => &inner[i + 1..],
        _ => inner,
    };
    if last.contains(&b' ') {
        return None;
    }
    // `[41213:ThreadPoolExecutor-0_2]`, `[12345:140234]`: a process id and a thread.
    if let Some(colon) = memchr::memchr(b':', last) {
        let (pid, thread) = (&last[..colon], &last[colon + 1..]);
        if !pid.is_empty()
            && pid.iter().all(u8::is_ascii_digit)
            && !thread.is_empty()
            && !thread.contains(&b'.')
            && !thread.contains(&b':')
        {
            return Some(last);
        }
        return None;
    }
    // A process id alone (gunicorn's `[12345]`): four digits or more, so never a status.
    if (4..=8).contains(&last.len()) && last.iter().all(u8::is_ascii_digit) && last[0] != b'0' {
        return Some(last);
    }
    if last == b"main" || THREAD_WORDS.iter().any(|w| contains(last, w.as_bytes())) {
        return Some(last);
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `key` (as a line spells it) names a producer.
fn is_producer_key(key: &[u8]) -> bool {
    if key.len() > 20 || key.len() < 3 {
        return false;
    }
    let mut norm = [0u8; 20];
    let mut n = 0;
    for &c in key {
        if c == b'_' || c == b'-' || c == b'.' {
            continue;
        }
        norm[n] = c.to_ascii_lowercase();
        n += 1;
    }
    KEYS.iter().any(|k| k.as_bytes() == &norm[..n])
}

/// `key=value`, `key="value"`, `"key":"value"`, `"key": 123` pairs of `text`, in order.
fn fields(text: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() {
            // A separator: `=`, or the `":` after a quoted key (one search for both).
            let i = at + memchr::memchr2(b'=', b'"', &text[at..])?;
            at = i + 1;
            let (end, sep) = if text[i] == b'=' {
                (i, i)
            } else if text.get(i + 1) == Some(&b':') {
                (i, i + 1)
            } else {
                continue;
            };
            let mut start = end;
            while start > 0 && is_key_byte(text[start - 1]) {
                start -= 1;
            }
            if start == end || end - start > 20 {
                continue;
            }
            let key = &text[start..end];
            if !is_producer_key(key) {
                continue;
            }
            // The value: quoted, or up to a space, comma or brace.
            let mut v = sep + 1;
            while v < text.len() && text[v] == b' ' {
                v += 1;
            }
            let value = if text.get(v) == Some(&b'"') {
                let from = v + 1;
                let to = memchr::memchr(b'"', &text[from..]).map_or(text.len(), |k| from + k);
                &text[from..to]
            } else {
                let to = text[v..]
                    .iter()
                    .position(|c| matches!(c, b' ' | b',' | b'}' | b']' | b'\t'))
                    .map_or(text.len(), |k| v + k);
                &text[v..to]
            };
            if value == b"null" || value == b"None" || value.len() > 80 {
                continue;
            }
            return Some((key, value));
        }
        None
    })
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

/// FNV-1a, 64 bits: the same key on every machine and run.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::of;

    #[test]
    fn python_process_and_thread() {
        let a = of("2025-10-02 11:00:00,985 [41213:ThreadPoolExecutor-0_0] DEBUG anthropic._base_client: Sending HTTP Request: POST https://api.anthropic.com/v1/messages");
        let b = of("2025-10-02 11:00:01,102 [41213:ThreadPoolExecutor-0_0] INFO httpx: HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 429 Too Many Requests\"");
        let c = of("2025-10-02 11:00:01,102 [41377:ThreadPoolExecutor-0_0] INFO httpx: HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"");
        assert_ne!(a, 0);
        assert_eq!(a, b);
        assert_ne!(a, c, "same thread name in another process");
    }

    #[test]
    fn lambda_log_streams() {
        let a = of("2025-03-11T09:14:03.466000+00:00 2025/03/11/[$LATEST]b81e3d5a09c2476f8e1d4a6b3c5f7e21 [INFO]\t2025-03-11T09:14:03.466Z\tc0ffee12-3456-4789-abcd-ef0123456789\t## INVOKING MODEL");
        let b = of("2025-03-11T09:14:14.918000+00:00 2025/03/11/[$LATEST]b81e3d5a09c2476f8e1d4a6b3c5f7e21 [ERROR]\t2025-03-11T09:14:14.918Z\tc0ffee12-3456-4789-abcd-ef0123456789\tAn error occurred");
        let c = of("2025-03-11T09:14:10.377000+00:00 2025/03/11/[$LATEST]0d9a7c6b5e4f43a2b1c0d9e8f7a6b5c4 [ERROR]\t2025-03-11T09:14:10.377Z\t9e8d7c6b-5a49-4838-a727-16f5e4d3c2b1\tAn error occurred");
        assert_ne!(a, 0);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn names_runtimes_give_threads_and_tasks() {
        for line in [
            "2025-10-02 10:00:01,104 INFO [worker-3] app.jobs: picked job 8812",
            "[2025-10-02 10:00:00,123: WARNING/ForkPoolWorker-3] Retrying request",
            "10:00:00.123 [pool-1-thread-3] ERROR c.e.Client - 429",
            "10:00:00.123 [http-nio-8080-exec-5] ERROR c.e.Client - 429",
            "[pod/api-7d9f6-abcde/app] 2025-10-02T10:00:00Z ERROR upstream 529",
            "[2025-10-02 10:00:00 +0000] [12345] [ERROR] Exception in worker",
            "2025-10-02 10:00:00 INFO [Task-12] httpx: HTTP Request: POST",
            "time=2025-10-02T10:00:00Z level=error thread=ingest-2 msg=\"call failed\"",
            "{\"ts\":\"2025-10-02T10:00:00Z\",\"level\":\"error\",\"msg\":\"x\",\"taskName\":\"Task-7\"}",
            "{\"level\":50,\"pid\":4242,\"msg\":\"request failed\"}",
            "ts=2025 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 msg=\"upstream 529\"",
        ] {
            assert_ne!(of(line), 0, "{line}");
        }
    }

    #[test]
    fn prefixes_that_name_no_producer() {
        for line in [
            "[2025-11-03 09:14:03 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST",
            "[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST",
            "10.0.0.1 - - [02/Oct/2025:10:00:00 +0000] \"POST /v1/messages HTTP/1.1\" 429 120",
            "[ERROR] [429]: Error",
            "2025-10-02 10:00:00,123 ERROR anthropic._base_client: Retrying request",
            "{\"level\":\"error\",\"taskName\":null,\"msg\":\"x\"}",
            "span_id=00f067aa0ba902b7 msg=\"x\"",
            "",
        ] {
            assert_eq!(of(line), 0, "{line}");
        }
    }

    #[test]
    fn keys_are_read_whatever_their_spelling() {
        assert_eq!(of("thread_name=a msg=x"), of("threadName=\"a\" other"));
        assert_ne!(of("pid=1 msg=x"), of("pid=2 msg=x"));
    }
}
