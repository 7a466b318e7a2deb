#[cfg(test)]
mod tests {
    use crate::input::formats::python::*;
    use crate::input::{parse_text, FileScan, ScanOptions};
    use crate::record::{Evidence, SourceKind, Stamp};
    use regex::Regex;

    /// The hand-written readers of the SDK's transport lines answer what the regexes they
    /// replaced answer.
    #[test]
    fn transport_line_readers_agree_with_their_regexes() {
        let httpx = Regex::new(r#"HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+) "HTTP/[\d.]+ (?P<status>\d{3})(?: [^"]*)?""#).unwrap();
        let response = Regex::new(r#"HTTP Response: (?P<method>[A-Z]+) (?P<url>\S+) "(?P<status>\d{3})(?: [^"]*)?"(?: (?P<headers>Headers\(.*))?"#).unwrap();
        let sending = Regex::new(r"Sending HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+)").unwrap();
        let request_id = Regex::new(r"(?:^|[\s\]:-])request_id: (?P<id>\S+)\s*$").unwrap();
        let lines = [
            r#"2025-11-03 09:14:03,101 INFO httpx: HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 " "#,
            r#"[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 200 OK""#,
            r#"HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/2 429 Too Many Requests" extra"#,
            r#"HTTP Request: POST https://x "HTTP/1.1 5290 X""#,
            r#"HTTP Request: POST https://x "HTTP/1.1 529 no closing quote"#,
            r#"HTTP Request: post https://x "HTTP/1.1 529""#,
            r#"HTTP Request: POST  https://x "HTTP/1.1 529""#,
            "HTTP Request: POST https://x\t\"HTTP/1.1 529\"",
            r#"HTTP Request: broken HTTP Request: GET https://y "HTTP/1.0 404 Not Found""#,
            r#"HTTP Request: POST https://x "HTTP/ 529""#,
            r#"DEBUG anthropic._base_client: HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers({'request-id': 'req_1'})"#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "400 Bad Request""#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "400 Bad Request"Headers(x)"#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "400" Headers([('a', 'b')])"#,
            r#"HTTP Response: POST https://api.anthropic.com/v1/messages "40" Headers()"#,
            "DEBUG anthropic._base_client: Sending HTTP Request: POST https://api.anthropic.com/v1/messages",
            "Sending HTTP Request: POST",
            "Sending HTTP Request: POST https://\u{e9}.example/v1/messages\u{a0}tail",
            "DEBUG anthropic._base_client: request_id: req_011CUpBqYDfgxbYnHAhb3ePW",
            "request_id: req_1   ",
            "x-request_id: req_1",
            "xrequest_id: req_1",
            "request_id: req_1 and more",
            "request_id: None",
            "request_id:    ",
            "a]request_id: req_2 request_id: req_3",
            "\u{2003}request_id: req_4",
            "",
        ];
        for line in lines {
            let by_regex = httpx
                .captures(line)
                .map(|c| (c["url"].to_string(), c["status"].parse::<u16>().unwrap()));
            let by_hand = httpx_line(line).map(|h| (h.url.to_string(), h.status));
            assert_eq!(by_hand, by_regex, "httpx: {line:?}");
            let by_regex = response.captures(line).map(|c| {
                (
                    c["url"].to_string(),
                    c["status"].parse::<u16>().unwrap(),
                    c.name("headers").map(|m| m.as_str().to_string()),
                )
            });
            let by_hand = response_line(line)
                .map(|r| (r.url.to_string(), r.status, r.headers.map(str::to_string)));
            assert_eq!(by_hand, by_regex, "response: {line:?}");
            let by_regex = sending.captures(line).map(|c| c["url"].to_string());
            assert_eq!(
                sending_line(line).map(str::to_string),
                by_regex,
                "sending: {line:?}"
            );
            let by_regex = request_id.captures(line).map(|c| c["id"].to_string());
            assert_eq!(
                request_id_line(line).map(str::to_string),
                by_regex,
                "request_id: {line:?}"
            );
        }
        assert!(httpx_line(lines[0]).is_some());
        assert!(response_line(lines[10]).is_some());
    }

    fn scan(text: &str) -> FileScan {
        parse_text(text, &ScanOptions::default())
    }

    fn successes(s: &FileScan) -> u64 {
        s.successes.values().sum()
    }

    #[test]
    fn httpx_lines_are_attempts() {
        let s = scan(concat!(
            "[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 529 \"\n",
            "[2025-11-03 09:14:04 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages?beta=true \"HTTP/1.1 200 OK\"\n",
            "[2025-11-03 09:14:05 - httpx:1025 - INFO] HTTP Request: POST https://api.openai.com/v1/chat/completions \"HTTP/1.1 429 Too Many Requests\"\n",
            "[2025-11-03 09:14:05 - httpx:1025 - INFO] HTTP Request: GET https://api.openai.com/v1/models \"HTTP/1.1 500 Internal Server Error\"\n",
            "[2025-11-03 09:14:06 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/chat/completions \"HTTP/1.1 200 OK\"\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(529));
        assert_eq!(f.endpoint.as_deref(), Some("/v1/messages"));
        assert_eq!(f.attempt, Some(1));
        assert!(matches!(f.stamp, Some(Stamp::Naive(_))));
        assert_eq!(successes(&s), 2);
        assert_eq!(s.lines.relevant, 3);
        assert_eq!(s.lines.noise, 2);
    }

    #[test]
    fn one_retried_529_then_a_final_529_are_three_attempts() {
        let s = scan(
            r#"[2025-11-03 09:14:02 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages
[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 "
[2025-11-03 09:14:03 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers({'date': 'Mon, 03 Nov 2025 09:14:03 GMT', 'content-type': 'application/json', 'request-id': 'req_011CUk2fQw8PzX4nR7tYb3Lm', 'x-should-retry': 'true', 'server': 'cloudflare'})
[2025-11-03 09:14:03 - anthropic._base_client:1319 - DEBUG] request_id: req_011CUk2fQw8PzX4nR7tYb3Lm
[2025-11-03 09:14:03 - anthropic._base_client:848 - DEBUG] Retrying as header `x-should-retry` is set to `true`
[2025-11-03 09:14:03 - anthropic._base_client:1330 - DEBUG] 2 retries left
[2025-11-03 09:14:03 - anthropic._base_client:1333 - INFO] Retrying request to /v1/messages in 0.438127 seconds
[2025-11-03 09:14:04 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages
[2025-11-03 09:14:05 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 "
[2025-11-03 09:14:05 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers({'request-id': 'req_011CUk2gAb3kLm9Pq2Rs4Tu6', 'x-should-retry': 'true'})
[2025-11-03 09:14:05 - anthropic._base_client:1319 - DEBUG] request_id: req_011CUk2gAb3kLm9Pq2Rs4Tu6
[2025-11-03 09:14:05 - anthropic._base_client:1330 - DEBUG] 1 retry left
[2025-11-03 09:14:05 - anthropic._base_client:1333 - INFO] Retrying request to /v1/messages in 0.912000 seconds
[2025-11-03 09:14:06 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages
[2025-11-03 09:14:07 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 529 "
[2025-11-03 09:14:07 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages "529 " Headers([('request-id', 'req_011CUk2hXy7zQw1Er5Ty8Ui0'), ('set-cookie', 'a'), ('set-cookie', 'b'), ('retry-after', '3')])
[2025-11-03 09:14:07 - anthropic._base_client:1319 - DEBUG] request_id: req_011CUk2hXy7zQw1Er5Ty8Ui0
Traceback (most recent call last):
  File "/srv/app/summarize.py", line 41, in <module>
    reply = client.messages.create(
  File "/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py", line 1195, in request
    raise self._make_status_error_from_response(response) from None
anthropic.OverloadedError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}, 'request_id': 'req_011CUk2hXy7zQw1Er5Ty8Ui0'}
"#,
        );
        assert_eq!(s.failures.len(), 3, "{:#?}", s.failures);
        let ids: Vec<_> = s
            .failures
            .iter()
            .map(|f| f.request_id.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            ids,
            [
                "req_011CUk2fQw8PzX4nR7tYb3Lm",
                "req_011CUk2gAb3kLm9Pq2Rs4Tu6",
                "req_011CUk2hXy7zQw1Er5Ty8Ui0"
            ]
        );
        let attempts: Vec<_> = s.failures.iter().map(|f| f.attempt).collect();
        assert_eq!(attempts, [Some(1), Some(2), Some(3)]);
        assert_eq!(s.failures[0].header("x-should-retry"), Some("true"));
        assert_eq!(s.failures[2].header("retry-after"), Some("3"));
        assert_eq!(
            s.failures[2].error_type.as_deref(),
            Some("overloaded_error")
        );
        assert_eq!(s.failures[2].message.as_deref(), Some("Overloaded"));
        assert_eq!(s.lines.relevant, s.lines.read);
    }

    #[test]
    fn exception_strings_of_every_shape() {
        let cases: &[(&str, Option<u16>, Option<&str>)] = &[
            (r#"2025-10-02 16:20:11,123 ERROR [worker-3] summarize failed: anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': "This request would exceed your account's rate limit. Please try again later."}, 'request_id': 'req_011CWa9dVh2KsLm4Tq8yPz1N'}"#, Some(429), Some("rate_limit_error")),
            (r#"ERROR call failed: RateLimitError("Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Rate limited'}}")"#, Some(429), Some("rate_limit_error")),
            ("anthropic._exceptions.OverloadedError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}", Some(529), Some("overloaded_error")),
            ("anthropic.APIStatusError: {'type': 'error', 'error': {'details': None, 'type': 'overloaded_error', 'message': 'Overloaded'}}", Some(529), Some("overloaded_error")),
            ("WARNING retrying: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}", Some(529), Some("overloaded_error")),
            ("anthropic.InternalServerError: <html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", Some(502), None),
            ("anthropic.InternalServerError: Error code: 503", Some(503), None),
            ("anthropic.APIConnectionError: Connection error.", None, Some("connection_error")),
            ("anthropic.APITimeoutError: Request timed out.", None, Some("client_timeout")),
            ("APITimeoutError: Request timed out or interrupted. This could be due to a network timeout, dropped connection, or request cancellation. See https://docs.anthropic.com/en/api/errors#long-requests for more details.", None, Some("client_timeout")),
            ("anthropic._exceptions.ServiceUnavailableError: Error code: 503 - {'message': 'Bedrock is unable to process your request.'}", Some(503), None),
            ("anthropic.APIResponseValidationError: Data returned by API invalid for expected schema.", None, Some("sdk_error")),
            ("ValueError: Streaming is required for operations that may take longer than 10 minutes. See https://github.com/anthropics/anthropic-sdk-python#long-requests for more details", None, Some("sdk_error")),
            ("ModuleNotFoundError: No module named 'anthropic'", None, Some("sdk_error")),
        ];
        for (line, status, error_type) in cases {
            let s = scan(line);
            assert_eq!(s.failures.len(), 1, "{line}");
            let f = &s.failures[0];
            assert_eq!(f.effective_status(), *status, "{line}");
            if error_type.is_some() {
                assert_eq!(f.error_type.as_deref(), *error_type, "{line}");
            }
            assert_eq!(f.source_kind, SourceKind::SdkPython);
        }
    }

    #[test]
    fn mid_stream_error_keeps_the_wire_status() {
        let s = scan("anthropic.APIStatusError: {'type': 'error', 'error': {'details': None, 'type': 'overloaded_error', 'message': 'Overloaded'}}");
        assert_eq!(s.failures[0].http_status, Some(200));
        assert_eq!(s.failures[0].effective_status(), Some(529));
    }

    #[test]
    fn vertex_and_bedrock_bodies_name_their_provider() {
        let s = scan("anthropic.RateLimitError: Error code: 429 - {'error': {'code': 429, 'message': 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet-v2. Please submit a quota increase request.', 'status': 'RESOURCE_EXHAUSTED'}}");
        let f = &s.failures[0];
        assert_eq!(f.provider.as_deref(), Some("vertex"));
        assert_eq!(f.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.model.as_deref(), Some("anthropic-claude-3-5-sonnet-v2"));
        let s = scan("anthropic.RateLimitError: Error code: 429 - {'message': 'Too many requests, please wait before trying again.'}");
        assert_eq!(s.failures[0].provider.as_deref(), Some("bedrock"));
        assert_eq!(s.failures[0].http_status, Some(429));
    }

    #[test]
    fn other_sdks_and_mentions_are_not_failures() {
        let s = scan(concat!(
            "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}\n",
            "RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}\n",
            "APIConnectionError: Connection error.\n",
            "Error code: 500\n",
            "see docs at https://docs.anthropic.com/en/api/errors\n",
            "[2025-11-03 09:14:03 - openai._base_client:1330 - DEBUG] 2 retries left\n",
            "[2025-11-03 09:14:03 - openai._base_client:1333 - INFO] Retrying request to /chat/completions in 0.438127 seconds\n",
            "[2025-11-03 09:14:03 - openai._base_client:1319 - DEBUG] request_id: req_abc\n",
            "[claude-worker] es lookup failed: NotFoundError('index [docs] not found')\n",
            "[claude-worker] cache: ConflictError: version conflict, document already exists\n",
        ));
        assert!(s.failures.is_empty(), "{:#?}", s.failures);
        assert_eq!(s.lines.relevant, 0);
    }

    #[test]
    fn chained_connection_error_names_its_root_cause() {
        let s = scan(
            r#"2025-10-02 16:20:11,123 ERROR [worker-1] request failed
Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/httpx/_transports/default.py", line 72, in map_httpcore_exceptions
    yield
httpcore.ConnectError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py", line 1002, in request
    response = self._client.send(
httpx.ConnectError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/app/main.py", line 12, in <module>
    client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[])
anthropic.APIConnectionError: Connection error.
2025-10-02 16:20:12,001 INFO [worker-1] next job
"#,
        );
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("connection_error"));
        assert_eq!(
            f.message.as_deref(),
            Some("Connection error. (httpx.ConnectError: [Errno 111] Connection refused)")
        );
        // The failure sits at the exception that says what went wrong.
        assert_eq!(f.line, Some(19));
        assert!(f.stamp.is_some());
        assert_eq!(s.lines.read, 20);
        assert_eq!(s.lines.relevant + s.lines.noise, 20);
    }

    #[test]
    fn unrelated_tracebacks_are_noise() {
        let s = scan("Traceback (most recent call last):\n  File \"/srv/app/x.py\", line 3, in <module>\n    d['k']\nKeyError: 'k'\nnext line\nTraceback (most recent call last):\n  File \"/srv/app/y.py\", line 9, in f\n    client.chat.completions.create()\nopenai.RateLimitError: Error code: 429 - {'error': {'message': 'x', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}\n");
        assert!(s.failures.is_empty());
        assert_eq!(s.lines.relevant, 0);
        assert_eq!(s.lines.noise, 9);
    }

    #[test]
    fn timeouts_with_sdk_tracebacks_are_one_failure_per_attempt() {
        let mut text = String::from("[2025-11-03 10:00:00 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages\n");
        let internal = |t: &mut String| {
            t.push_str("Traceback (most recent call last):\n");
            for i in 0..30 {
                t.push_str(&format!("  File \"/srv/venv/lib/python3.12/site-packages/httpcore/_sync/x.py\", line {i}, in f\n    pass\n"));
            }
            t.push_str("httpcore.ReadTimeout: The read operation timed out\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py\", line 1002, in request\n    response = self._client.send(\nhttpx.ReadTimeout: The read operation timed out\n");
        };
        text.push_str("[2025-11-03 10:10:00 - anthropic._base_client:1010 - DEBUG] Encountered httpx.TimeoutException\n");
        internal(&mut text);
        text.push_str("[2025-11-03 10:10:00 - anthropic._base_client:1330 - DEBUG] 1 retry left\n");
        text.push_str("[2025-11-03 10:10:00 - anthropic._base_client:1333 - INFO] Retrying request to /v1/messages in 0.800000 seconds\n");
        text.push_str("[2025-11-03 10:10:01 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages\n");
        text.push_str("[2025-11-03 10:20:01 - anthropic._base_client:1010 - DEBUG] Encountered httpx.TimeoutException\n");
        internal(&mut text);
        text.push_str(
            "[2025-11-03 10:20:01 - anthropic._base_client:1025 - DEBUG] Raising timeout error\n",
        );
        text.push_str("Traceback (most recent call last):\n  File \"/srv/app/main.py\", line 12, in <module>\n    client.messages.create()\nhttpx.ReadTimeout: The read operation timed out\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"/srv/app/main.py\", line 12, in <module>\n    client.messages.create()\nanthropic.APITimeoutError: Request timed out.\n");
        let s = scan(&text);
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let a = &s.failures[0];
        assert_eq!(a.attempt, Some(1));
        assert_eq!(a.error_type.as_deref(), Some("client_timeout"));
        assert_eq!(
            a.message.as_deref(),
            Some("httpx.ReadTimeout: The read operation timed out")
        );
        assert_eq!(a.endpoint.as_deref(), Some("/v1/messages"));
        let b = &s.failures[1];
        assert_eq!(b.attempt, Some(2));
        assert_eq!(
            b.message.as_deref(),
            Some("Request timed out. (httpx.ReadTimeout: The read operation timed out)")
        );
        assert_eq!(b.evidence, Evidence::Exception);
        assert_eq!(s.lines.noise, 6, "blank separators only");
    }

    #[test]
    fn raising_timeout_error_alone_is_one_failure() {
        let s = scan(
            "[2025-11-03 10:20:01 - anthropic._base_client:1025 - DEBUG] Raising timeout error\n",
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].error_type.as_deref(), Some("client_timeout"));
    }

    #[test]
    fn old_sdk_status_error_traceback_is_not_a_second_failure() {
        let s = scan(
            r#"[2025-03-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 429 Too Many Requests"
[2025-03-03 09:14:03 - anthropic._base_client:1040 - DEBUG] Encountered httpx.HTTPStatusError
Traceback (most recent call last):
  File "/srv/venv/lib/python3.11/site-packages/anthropic/_base_client.py", line 1038, in _request
    response.raise_for_status()
httpx.HTTPStatusError: Client error '429 Too Many Requests' for url 'https://api.anthropic.com/v1/messages'
For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429
[2025-03-03 09:14:03 - anthropic._base_client:1057 - DEBUG] Re-raising status error
anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}
"#,
        );
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("rate_limit_error")
        );
        assert_eq!(s.lines.relevant, s.lines.read);
    }

    #[test]
    fn request_options_give_the_model_without_the_prompt() {
        let s = scan(
            r#"[2025-11-03 09:14:02 - anthropic._base_client:482 - DEBUG] Request options: {'method': 'post', 'url': '/v1/messages', 'timeout': Timeout(connect=5.0, read=600, write=600, pool=600), 'files': None, 'json_data': {'max_tokens': 1024, 'messages': [{'role': 'user', 'content': 'secret prompt'}], 'model': 'claude-sonnet-4-5-20250929'}}
[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages "HTTP/1.1 400 Bad Request"
"#,
        );
        let f = &s.failures[0];
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert!(format!("{f:?}").find("secret").is_none());
    }

    #[test]
    fn prefixed_tracebacks_and_ansi() {
        let s = scan("2025-10-02T16:20:11.123456789Z stderr F Traceback (most recent call last):\n2025-10-02T16:20:11.123456789Z stderr F   File \"/app/main.py\", line 3, in <module>\n2025-10-02T16:20:11.123456789Z stderr F     client.messages.create()\n2025-10-02T16:20:11.123456789Z stderr F anthropic.\x1b[1mNotFoundError\x1b[0m: Error code: 404 - {'type': 'error', 'error': {'type': 'not_found_error', 'message': 'model: claude-3-5-sonnet'}}\n");
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(404));
        assert!(matches!(s.failures[0].stamp, Some(Stamp::Utc(_))));
    }

    #[test]
    fn stream_cut_and_environment_failures() {
        let s = scan("Traceback (most recent call last):\n  File \"/srv/venv/lib/python3.12/site-packages/anthropic/_streaming.py\", line 80, in __stream__\n    for sse in iterator:\nhttpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)\n");
        assert_eq!(s.failures[0].error_type.as_deref(), Some("stream_error"));
        assert_eq!(s.failures[0].effective_status(), None);
        let s = scan("Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    client = anthropic.Anthropic()\n  File \"/venv/lib/python3.9/site-packages/anthropic/_client.py\", line 120, in __init__\n    super().__init__(\nTypeError: Client.__init__() got an unexpected keyword argument 'proxies'\n");
        assert_eq!(s.failures[0].error_type.as_deref(), Some("sdk_error"));
        let s = scan("httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)\n");
        assert!(s.failures.is_empty(), "no Anthropic context");
        let s = scan("Traceback (most recent call last):\n  File \"/venv/lib/python3.12/site-packages/anthropic/lib/vertex/_client.py\", line 88, in _ensure_access_token\n    self.credentials, project = load_auth(project_id=self.project_id)\ngoogle.auth.exceptions.DefaultCredentialsError: Your default credentials were not found. To set up Application Default Credentials, see https://cloud.google.com/docs/authentication/external/set-up-adc for more information.\n");
        assert_eq!(s.failures[0].error_type.as_deref(), Some("sdk_error"));
        assert_eq!(s.failures[0].provider.as_deref(), Some("vertex"));
    }

    #[test]
    fn json_application_logs() {
        let s = scan(
            r#"{"asctime": "2025-10-02 16:20:11,123", "levelname": "ERROR", "message": "summarize failed", "exc_info": "Traceback (most recent call last):\n  File \"/app/x.py\", line 1, in f\n    client.messages.create()\nanthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Rate limited'}, 'request_id': 'req_1'}"}
{"asctime": "2025-10-02 16:20:12,000", "levelname": "INFO", "name": "httpx", "message": "HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\""}
{"asctime": "2025-10-02 16:20:12,000", "levelname": "INFO", "message": "nothing here"}
"#,
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].request_id.as_deref(), Some("req_1"));
        assert!(s.failures[0].stamp.is_some());
        assert_eq!(successes(&s), 1);
    }

    /// Whatever the lines, nothing panics and every line is counted once.
    #[test]
    fn fuzz_mixed_fragments_of_every_sample() {
        let samples = [
            include_str!("../../../samples/app/python-sdk.log"),
            include_str!("../../../samples/app/worker.log"),
            include_str!("../../../samples/bedrock/boto3.log"),
            include_str!("../../../samples/bedrock/invocation.jsonl"),
            include_str!("../../../samples/vertex/vertex.log"),
            include_str!("../../../samples/litellm/proxy.log"),
            include_str!("../../../samples/litellm/proxy-json.log"),
        ];
        let lines: Vec<&str> = samples.iter().flat_map(|s| s.lines()).collect();
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let mut text = String::new();
            let n = 1 + next() % 40;
            for _ in 0..n {
                let line = lines[(next() % lines.len() as u64) as usize];
                let mut cut = (next() % (line.len() as u64 + 1)) as usize;
                if next() % 3 != 0 {
                    cut = line.len();
                }
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                let prefix =
                    ["", "→ ", "2025-10-02T16:20:11.5Z stderr F ", "é"][(next() % 4) as usize];
                text.push_str(prefix);
                text.push_str(&line[..cut]);
                text.push('\n');
            }
            let s = scan(&text);
            let l = &s.lines;
            assert_eq!(l.relevant + l.noise + l.unparseable, l.read, "{text}");
        }
        let s = scan("→Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error'}}");
        assert_eq!(s.failures.len(), 1);
    }

    /// Each `Retrying request` notice is one failed attempt. In a file where httpx logs every
    /// response, a notice with no failure before it (of its own process) retried an attempt
    /// that got no response; a notice right after a failed response is that attempt's.
    #[test]
    fn retry_notices_are_attempts_even_without_their_cause() {
        let text = concat!(
            "[2025-07-14 14:21:40 +0000] [8] [INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 429 Too Many Requests\"\n",
            "[2025-07-14 14:21:40 +0000] [8] [INFO] Retrying request to /v1/messages in 0.412000 seconds\n",
            "[2025-07-14 14:21:41 +0000] [8] [INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"\n",
            "[2025-07-14 14:21:47 +0000] [9] [INFO] Retrying request to /v1/messages in 0.478193 seconds\n",
            "[2025-07-14 14:21:48 +0000] [9] [INFO] Retrying request to /v1/messages in 0.812551 seconds\n",
            "[2025-07-14 14:21:48 +0000] [7] [INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"\n",
        );
        let s = scan(text);
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| (f.line, f.http_status, f.error_type.as_deref(), f.attempt))
            .collect();
        assert_eq!(
            got,
            [
                (Some(1), Some(429), None, None),
                (Some(4), None, Some("connection_error"), Some(1)),
                (Some(5), None, Some("connection_error"), Some(2)),
            ]
        );
        // Without httpx lines a notice alone says nothing of how the attempt failed.
        let alone = scan("[2025-07-14 14:21:47 +0000] [9] [INFO] Retrying request to /v1/messages in 0.478193 seconds\n");
        assert!(alone.failures.is_empty(), "{:?}", alone.failures);
    }

    /// `logger.exception()` prints the application's message, then the traceback: when the
    /// message is the exception's own text, the failure starts at the message. A body cut
    /// mid-stream got a 200 on the wire.
    #[test]
    fn a_logged_exception_starts_at_its_message() {
        let text = concat!(
            "[2025-07-14 14:20:31 +0000] [8] [INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\"\n",
            "[2025-07-14 14:20:53 +0000] [9] [ERROR] stream aborted conv=c-83: peer closed connection without sending complete message body (incomplete chunked read)\n",
            "Traceback (most recent call last):\n",
            "  File \"/usr/local/lib/python3.11/site-packages/anthropic/_streaming.py\", line 71, in __stream__\n",
            "    for sse in iterator:\n",
            "httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)\n",
            "[2025-07-14 14:21:49 +0000] [9] [ERROR] unrelated words\n",
            "Traceback (most recent call last):\n",
            "  File \"/usr/local/lib/python3.11/site-packages/anthropic/_base_client.py\", line 1081, in request\n",
            "    raise APIConnectionError(request=request) from err\n",
            "anthropic.APIConnectionError: Connection error.\n",
        );
        let s = scan(text);
        assert_eq!(s.failures.len(), 2, "{:?}", s.failures);
        assert_eq!(s.failures[0].line, Some(2));
        assert_eq!(s.failures[0].http_status, Some(200));
        assert_eq!(s.failures[0].error_type.as_deref(), Some("stream_error"));
        // A message line that does not tell the exception leaves the failure at its text.
        assert_eq!(s.failures[1].line, Some(11));
    }
}

#[cfg(test)]
mod http_client_tests {
    use crate::input::{parse_text, ScanOptions};

    /// An app that called the API with httpx or requests directly: the client's own status
    /// error names the URL; another host's is not Claude's.
    #[test]
    fn httpx_and_requests_status_errors() {
        let tb = |last: &str| {
            format!("Traceback (most recent call last):\n  File \"/app/call.py\", line 12, in <module>\n    r.raise_for_status()\n{last}\n")
        };
        let s = parse_text(
            &tb("httpx.HTTPStatusError: Server error '529 ' for url 'https://api.anthropic.com/v1/messages'"),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(529));
        let s = parse_text(
            &tb("requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: https://api.anthropic.com/v1/messages"),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        let s = parse_text(
            &tb("httpx.HTTPStatusError: Client error '429 Too Many Requests' for url 'https://api.openai.com/v1/chat/completions'"),
            &ScanOptions::default(),
        );
        assert!(s.failures.is_empty(), "{:?}", s.failures);
    }
}
