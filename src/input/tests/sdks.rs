#[cfg(test)]
mod tests {
    use crate::input::formats::java::*;
    use crate::input::toolkit::sdk_text::*;
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn sdk_messages() {
        // A Bedrock plain-text message names its exception's type; with another status, not.
        let s = sdk_message("503 Too many connections, please wait before trying again.").unwrap();
        assert_eq!(s.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(s.provider, Some("bedrock"));
        let s = sdk_message("429 Too many tokens, please wait before trying again.").unwrap();
        assert_eq!(s.error_type.as_deref(), Some("rate_limit_error"));
        let s = sdk_message("500 Too many connections, please wait before trying again.").unwrap();
        assert_eq!(s.error_type, None);
        let s = sdk_message(r#"429 {"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"},"request_id":"req_011CYb3Nd5QpWk7Ls2Xc9Vh4"}"#).unwrap();
        assert_eq!(s.http_status, Some(429));
        assert_eq!(s.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(
            s.request_id.as_deref(),
            Some("req_011CYb3Nd5QpWk7Ls2Xc9Vh4")
        );
        assert!(s.claude);
        let s = sdk_message("400 status code (no body)").unwrap();
        assert_eq!((s.http_status, s.claude), (Some(400), false));
        let s = sdk_message("429 Too many requests, please wait before trying again.").unwrap();
        assert_eq!(s.provider, Some("bedrock"));
        let s = sdk_message(r#"429 [{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]"#).unwrap();
        assert_eq!(s.provider, Some("vertex"));
        assert_eq!(s.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        let s = sdk_message(r#"{"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"}}"#).unwrap();
        assert_eq!(s.http_status, Some(200));
        assert_eq!(s.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(
            sdk_message("Request timed out.")
                .unwrap()
                .error_type
                .as_deref(),
            Some("client_timeout")
        );
        assert_eq!(
            sdk_message("terminated").unwrap().error_type.as_deref(),
            Some("stream_error")
        );
        assert!(sdk_message("ENOENT: no such file or directory").is_none());
        assert!(sdk_message("200 OK").is_none());
    }

    #[test]
    fn ts_info_lines_count_attempts_through_retry_of() {
        let s = scan(concat!(
            "[log_3f2a1c, request-id: \"req_011CXq4LmNp8RsTu2VwX9yZa\"] post https://api.anthropic.com/v1/messages failed with status 529 in 1843ms - retrying, 2 attempts remaining\n",
            "[log_8b90de, retryOf: log_3f2a1c, request-id: \"req_011CXq4Mb7Vc6Xd5Ze4Af3Bg\"] post https://api.anthropic.com/v1/messages failed with status 529 in 1710ms - retrying, 1 attempts remaining\n",
            "[log_8b90df, retryOf: log_3f2a1c] post https://api.anthropic.com/v1/messages succeeded with status 200 in 912ms\n",
            "[log_aaaaaa] post https://api.openai.com/v1/chat/completions failed with status 429 in 12ms - error; not retryable\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].attempt, Some(1));
        assert_eq!(s.failures[1].attempt, Some(2));
        assert_eq!(s.failures[1].latency_ms, Some(1710));
        assert_eq!(
            s.failures[1].request_id.as_deref(),
            Some("req_011CXq4Mb7Vc6Xd5Ze4Af3Bg")
        );
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn ts_exception_with_frames_and_block_is_one_record() {
        let s = scan(concat!(
            "2025-10-02T16:20:11.123Z error summarize failed RateLimitError: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CWa9dVh2KsLm4Tq8yPz1N\"}\n",
            "    at APIError.generate (/app/node_modules/@anthropic-ai/sdk/core/error.js:60:20)\n",
            "    at process.processTicksAndRejections (node:internal/process/task_queues:105:5) {\n",
            "  status: 429,\n",
            "  headers: {\n",
            "    'retry-after': '9',\n",
            "    'request-id': 'req_011CWa9dVh2KsLm4Tq8yPz1N'\n",
            "  },\n",
            "  requestID: 'req_011CWa9dVh2KsLm4Tq8yPz1N',\n",
            "  error: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }\n",
            "}\n",
            "done\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.header("retry-after"), Some("9"));
        assert_eq!(f.line, Some(1));
        assert!(f.stamp.is_some());
        assert_eq!(s.lines.relevant, 11);
    }

    #[test]
    fn bare_transport_errors_need_claude_context() {
        let s = scan(concat!(
            "Error: read ECONNRESET\n",
            "    at TLSWrap.onStreamRead (node:internal/stream_base_commons:218:20)\n",
            "TypeError: fetch failed\n",
            "    at node:internal/deps/undici/undici:13502:13\n",
            "    at async Anthropic.fetchWithTimeout (/app/node_modules/@anthropic-ai/sdk/client.js:510:18) {\n",
            "  [cause]: SocketError: other side closed\n",
            "      at TLSSocket.onSocketEnd (node:internal/deps/undici/undici:6142:26) {\n",
            "    code: 'UND_ERR_SOCKET'\n",
            "  }\n",
            "}\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("connection_error"));
        assert!(
            f.message.as_deref().unwrap().contains("other side closed"),
            "{:?}",
            f.message
        );
        assert_eq!(s.lines.noise, 2);
    }

    #[test]
    fn old_debug_lines_with_doubled_error() {
        let s = scan(concat!(
            "Anthropic:DEBUG:request https://api.anthropic.com/v1/messages { method: 'post', path: '/v1/messages', body: { model: 'claude-3-5-sonnet-20241022', max_tokens: 1024 } } { 'x-api-key': 'sk-ant-api03-FAKE' }\n",
            "Anthropic:DEBUG:response (error; retrying, 2 attempts remaining) 429 https://api.anthropic.com/v1/messages { 'retry-after': '9', 'request-id': 'req_011CA' }\n",
            "Anthropic:DEBUG:response (error; retrying, 1 attempts remaining) 429 https://api.anthropic.com/v1/messages { 'request-id': 'req_011CB' }\n",
            "Anthropic:DEBUG:response (error; (error; no more retries left)) 529 https://api.anthropic.com/v1/messages {\n",
            "  'request-id': 'req_011CC',\n",
            "  'x-should-retry': 'true'\n",
            "} undefined\n",
        ));
        assert_eq!(s.failures.len(), 3);
        assert_eq!(
            s.failures[0].model.as_deref(),
            Some("claude-3-5-sonnet-20241022")
        );
        assert_eq!(s.failures[0].request_id.as_deref(), Some("req_011CA"));
        assert_eq!(
            s.failures.iter().map(|f| f.attempt).collect::<Vec<_>>(),
            vec![Some(1), Some(2), Some(3)]
        );
        assert_eq!(s.failures[2].header("x-should-retry"), Some("true"));
    }

    #[test]
    fn go_error_strings() {
        let s = scan(concat!(
            "2025/08/19 12:34:56 POST \"https://api.anthropic.com/v1/messages\": 429 Too Many Requests (Request-ID: req_011CYb3Nd5QpWk7Ls2Xc9Vh4) {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}\n",
            "POST \"https://api.anthropic.com/v1/messages\": 529  {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "POST \"https://api.anthropic.com/v1/messages\": 200 OK (Request-ID: req_2) {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "Post \"https://api.anthropic.com/v1/messages\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)\n",
            "Post \"https://hooks.slack.com/services/x\": dial tcp: lookup hooks.slack.com: no such host\n",
        ));
        assert_eq!(s.failures.len(), 4);
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("req_011CYb3Nd5QpWk7Ls2Xc9Vh4")
        );
        assert_eq!(s.failures[1].effective_status(), Some(529));
        assert_eq!(s.failures[2].effective_status(), Some(529));
        assert_eq!(s.failures[2].http_status, Some(200));
        assert_eq!(s.failures[3].error_type.as_deref(), Some("client_timeout"));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn java_kotlin_map_and_json() {
        let b = kotlin_map_body("{type=error, error={type=rate_limit_error, message=Number of tokens has exceeded your per-minute rate limit, see headers}, request_id=req_011CJ}");
        assert_eq!(b.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(
            b.message.as_deref(),
            Some("Number of tokens has exceeded your per-minute rate limit, see headers")
        );
        assert_eq!(b.request_id.as_deref(), Some("req_011CJ"));
        let s = scan(concat!(
            "com.anthropic.errors.InternalServerException: 529: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "\tat com.anthropic.core.handlers.ErrorHandler.handle(ErrorHandler.kt:48)\n",
            "com.anthropic.errors.AnthropicIoException: Request failed\n",
            "\tat com.anthropic.client.okhttp.OkHttpClient.execute(OkHttpClient.kt:60)\n",
            "Caused by: java.net.SocketTimeoutException: timeout\n",
            "\t... 12 more\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("overloaded_error")
        );
        assert_eq!(s.failures[1].error_type.as_deref(), Some("client_timeout"));
        assert_eq!(s.lines.relevant, 6);
        // A stream that failed after its response came: the wire said 200.
        let r = java_error("com.anthropic.errors.AnthropicIoException: Stream failed").unwrap();
        assert_eq!(r.http_status, Some(200));
        assert_eq!(r.error_type.as_deref(), Some("stream_error"));
        let r = java_error("com.anthropic.errors.AnthropicIoException: Request failed").unwrap();
        assert_eq!(r.http_status, None);
    }
}

#[cfg(test)]
mod tolerance_tests {
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn pino_and_winston_json_lines() {
        let s = scan(concat!(
            r#"{"level":50,"time":1759422011123,"pid":1,"hostname":"api-7f9c","err":{"type":"RateLimitError","message":"429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CPinoFake0000000001\"}","stack":"Error: 429 ...\n    at APIError.generate (/app/node_modules/@anthropic-ai/sdk/core/error.js:60:20)","status":429,"headers":{"retry-after":"9"},"requestID":"req_011CPinoFake0000000001"},"msg":"summarize failed"}"#,
            "\n",
            r#"{"level":"error","message":"claude call failed: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}","timestamp":"2025-10-02T16:20:11.123Z"}"#,
            "\n",
            r#"{"level":"error","message":"db call failed: Error: read ECONNRESET","timestamp":"2025-10-02T16:20:12.000Z"}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("req_011CPinoFake0000000001")
        );
        assert_eq!(s.failures[0].header("retry-after"), Some("9"));
        assert!(s.failures[0].stamp.is_some());
        assert_eq!(s.failures[1].effective_status(), Some(529));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn raw_node_errors_in_a_service_named_claude_stay_noise() {
        let s = scan(concat!(
            "2025-10-02T16:20:11Z ERROR [claude-sync] redis: Error: read ECONNRESET\n",
            "2025-10-02T16:20:12Z ERROR [claude-sync] summarize failed: APIConnectionError: Connection error.\n",
            "2025/08/19 12:37:00 claude: config reload failed: invalid character '}' looking for beginning of object key string\n",
            "2025/08/19 12:37:01 claude: messages.New: invalid character '<' looking for beginning of value\n",
        ));
        let kinds: Vec<_> = s.failures.iter().map(|f| f.error_type.as_deref()).collect();
        assert_eq!(kinds, vec![Some("connection_error"), Some("sdk_error")]);
        assert_eq!(s.failures[0].line, Some(2));
    }

    #[test]
    fn ansi_colours_and_container_prefixes() {
        let s = scan(concat!(
            "api-1  | \u{1b}[31m2025-10-02T16:20:11.123Z ERROR\u{1b}[39m summarize failed RateLimitError: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}\r\n",
            "api-1  |     at APIError.generate (/app/node_modules/@anthropic-ai/sdk/core/error.js:60:20)\r\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("rate_limit_error")
        );
    }
}

#[cfg(test)]
mod collector_prefix_tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn frames_under_docker_prefix_give_context() {
        let s = parse_text(
            concat!(
                "api-1  | 2025-10-02T16:20:11.123Z ERROR TypeError: fetch failed\n",
                "api-1  |     at node:internal/deps/undici/undici:13502:13\n",
                "api-1  |     at async Anthropic.fetchWithTimeout (/app/node_modules/@anthropic-ai/sdk/client.js:510:18) {\n",
                "api-1  |   [cause]: Error: read ECONNRESET\n",
                "api-1  | }\n",
                "api-1  | 2025-10-02T16:20:12.000Z INFO next\n",
            ),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(
            s.failures[0].message.as_deref(),
            Some("fetch failed (cause: read ECONNRESET)")
        );
        assert_eq!(s.lines.relevant, 5);
    }
}

#[cfg(test)]
mod no_panic_tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn broken_and_odd_lines_never_panic() {
        let pieces = [
            "[log_", "[log_abcdef] post", "[log_abcdef, retryOf: log_] connection failed (", "Anthropic:DEBUG:response (", "Anthropic:DEBUG:request https://api.anthropic.com/v1/messages {",
            "Error: ", "Error: 4", "Error: 429 {", "Error: 429 {\"type\":\"error\",\"error\":{", "RateLimitError: 529 [", "    at x {", "  [cause]: ", "}", "{",
            "POST \"https://api.anthropic.com/v1/messages\": ", "POST \"https://api.anthropic.com/v1/messages\": 529", "Post \"https://api.anthropic.com/v1/messages\": ",
            "Response Content:", "Request Content:", "HTTP/1.1", "com.anthropic.errors.", "com.anthropic.errors.RateLimitException: 429:", "<-- ", "<-- !! X ()", "--> POST",
            "⎿  API Error (", "API Error:", "API Error: 400 {\"ty", "API error · Retrying in", "⎿  TypeError (", "Claude AI usage limit reached|", "You've hit your limit",
            "2026-06-23T15:57:59.225Z [ERROR] API error (attempt 1/11): ", "2026-06-23T15:57:59.225Z [", "2026-06-03 15:02:24.293 [info] From claude: ",
            "[{\"error\":", "[{\"error\":\"Error: 529\",\"timestamp\":1}]", "[GIN] 2025/02/21 - 19:30:16 |", "[GIN] 2025/02/21 - 19:30:16 | x | 429 | é | ip | POST",
            "[ERR] 2025/10/02 - 16:20:11 | id | relay error (channel #7, status code: 529): body: {", "error happened, status code: 429, response: ",
            "[DEBUG] 2025/02/21 - 19:30:17 | id | error happened, status code: 529, response: {\"a\":",
            "2025/12/27 21:36:26 Account 12: upstream error 529, retry 1/3 after", "Upstream error (retry exhausted): Account=1 Status=500 Body={",
            "é⎿·…", "\u{1b}[", "\u{1b}]0;title", "ÿÿÿ Error: ❤", "{\"type\":\"error\",\"error\":{\"type\":\"upstream_error\"}}",
        ];
        let mut text = String::new();
        for (i, a) in pieces.iter().enumerate() {
            for b in pieces.iter().skip(i % 7).step_by(5) {
                text.push_str(a);
                text.push_str(b);
                text.push('\n');
                text.push_str(a);
                text.push('\n');
            }
        }
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(
            s.lines.read,
            s.lines.relevant + s.lines.noise + s.lines.unparseable
        );
        // Truncated input in the middle of every multi-line record.
        for cut in (0..text.len()).step_by(97) {
            if text.is_char_boundary(cut) {
                let s = parse_text(&text[..cut], &ScanOptions::default());
                assert_eq!(
                    s.lines.read,
                    s.lines.relevant + s.lines.noise + s.lines.unparseable
                );
            }
        }
    }
}

#[cfg(test)]
mod structured_log_tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn go_slog_and_java_logstash_json() {
        let s = parse_text(
            concat!(
                r#"{"time":"2025-08-19T12:31:02.114Z","level":"ERROR","msg":"triage failed","ticket":4411,"err":"POST \"https://api.anthropic.com/v1/messages\": 529  (Request-ID: req_011CSlogFake529000001) {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}"#,
                "\n",
                r#"{"time":"2025-08-19T12:31:03.000Z","level":"ERROR","msg":"notify failed","err":"Post \"https://hooks.slack.com/services/x\": context deadline exceeded"}"#,
                "\n",
                r#"{"@timestamp":"2025-10-02T16:20:11.123+02:00","message":"reply failed","logger_name":"c.e.ReplyService","level":"ERROR","stack_trace":"com.anthropic.errors.RateLimitException: 429: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"}}\n\tat com.anthropic.core.handlers.ErrorHandler.handle(ErrorHandler.kt:58)\n"}"#,
                "\n",
            ),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| {
                (
                    f.source_kind.as_str(),
                    f.effective_status(),
                    f.request_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("sdk_go", Some(529), Some("req_011CSlogFake529000001")),
                ("sdk_java", Some(429), None),
            ]
        );
        assert!(s.failures.iter().all(|f| f.stamp.is_some()));
    }
}

#[cfg(test)]
mod logfmt_tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn logrus_text_with_quoted_error() {
        let s = parse_text(
            "time=\"2025-08-19T12:34:56Z\" level=error msg=\"claude call failed\" error=\"POST \\\"https://api.anthropic.com/v1/messages\\\": 429 Too Many Requests (Request-ID: req_011CLogrusFake0000001) {\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"rate_limit_error\\\",\\\"message\\\":\\\"Rate limited\\\"}}\"\n",
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.request_id.as_deref(), Some("req_011CLogrusFake0000001"));
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
    }
}

#[cfg(test)]
mod mixed_sample_tests {
    use crate::input::{parse_text, ScanOptions};

    /// The line samples of this family pasted one after the other: no parser takes another's
    /// lines, and nothing joins across them.
    #[test]
    fn samples_side_by_side() {
        let files = [
            include_str!("../../../samples/app/node-service.log"),
            include_str!("../../../samples/app/node-old-sdk.log"),
            include_str!("../../../samples/app/go-service.log"),
            include_str!("../../../samples/app/java-service.log"),
            include_str!("../../../samples/claude-code/terminal.txt"),
            include_str!("../../../samples/claude-code/debug.txt"),
            include_str!("../../../samples/claude-code/bug-report.md"),
            include_str!("../../../samples/gateway/one-api.log"),
            include_str!("../../../samples/gateway/new-api.log"),
            include_str!("../../../samples/gateway/sub2api.log"),
        ];
        let opts = ScanOptions::default();
        let mut failures = 0;
        let mut successes = 0;
        let mut all = String::new();
        for f in files {
            let s = parse_text(f, &opts);
            failures += s.failures.len();
            successes += s.successes.values().sum::<u64>();
            all.push_str(f);
            if !f.ends_with('\n') {
                all.push('\n');
            }
            // Far apart, as separate files would be.
            all.push_str(&"filler line\n".repeat(50));
        }
        let s = parse_text(&all, &opts);
        assert_eq!(s.failures.len(), failures);
        assert_eq!(s.successes.values().sum::<u64>(), successes);
    }
}

#[cfg(test)]
mod marker_pass_tests {
    use crate::input::dispatch::marks_agree;

    /// [`marks_agree`] on every line of the samples.
    #[test]
    fn one_pass_finds_what_each_group_would_find_alone() {
        let lines = crate::input::sample_lines();
        for line in &lines {
            marks_agree(line);
        }
        let lines = lines.len();
        assert!(lines > 1000, "{lines} sample lines");
    }
}

#[cfg(test)]
mod relay_tests {
    use crate::input::toolkit::sdk_text::*;
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    /// A relay's envelope around the API's own error (its message escaped JSON) gives the
    /// API's type; around another API's error, the relay's own `api_error`; an SSE error
    /// frame sent as a plain body is read as that body.
    #[test]
    fn relayed_envelopes_keep_the_right_type() {
        let s = sdk_message(r#"529 {"error":{"message":"Error from provider(openrouter: 529): {\"error\":{\"metadata\":{\"raw\":\"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"}}\"}}}","type":"api_error"}}"#).unwrap();
        assert_eq!(s.error_type.as_deref(), Some("overloaded_error"));
        let s = sdk_message(r#"400 event: error data: {"type":"error","error":{"type":"api_error","message":"{\"error\":{\"message\":\"Invalid 'input[2].name': empty string.\",\"type\":\"invalid_request_error\",\"param\":\"\",\"code\":\"empty_string\"}}"}}"#).unwrap();
        assert_eq!(s.http_status, Some(400));
        assert_eq!(s.error_type.as_deref(), Some("api_error"));
        assert!(s
            .message
            .as_deref()
            .is_some_and(|m| m.contains("\"param\"")));
    }

    /// The SDK's info line of a failed attempt, then the app's JSON line with the error body
    /// (a relay's, in OpenAI's shape): one failure, with the body's type.
    #[test]
    fn an_app_json_line_after_the_sdk_line_is_the_same_attempt() {
        let text = concat!(
            "[log_5b2904] post https://relay.example.net/v1/v1/messages failed with status 404 in 38ms - error; not retryable\n",
            "{\"level\":\"error\",\"time\":\"2026-02-02T07:00:03.101Z\",\"msg\":\"digest failed\",\"err\":\"404 {\\\"error\\\":{\\\"message\\\":\\\"Invalid URL (POST /v1/v1/messages)\\\",\\\"type\\\":\\\"invalid_request_error\\\",\\\"param\\\":\\\"\\\",\\\"code\\\":\\\"\\\"}}\"}\n",
            "{\"level\":\"error\",\"time\":\"2026-02-02T07:00:09.101Z\",\"msg\":\"report failed\",\"err\":\"404 {\\\"error\\\":{\\\"message\\\":\\\"Invalid URL (POST /v1/chat)\\\",\\\"type\\\":\\\"invalid_request_error\\\",\\\"param\\\":\\\"\\\",\\\"code\\\":\\\"\\\"}}\"}\n",
        );
        let s = scan(text);
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.line, Some(1));
        assert_eq!(f.error_type.as_deref(), Some("invalid_request_error"));
    }
}
