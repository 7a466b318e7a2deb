#[cfg(test)]
mod tests {
    use crate::input::{parse_text, FileScan, ScanOptions};
    use crate::record::SourceKind;

    fn scan(text: &str) -> FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn exception_strings() {
        let cases: &[(&str, Option<u16>, Option<&str>, &str)] = &[
            (r#"litellm.RateLimitError: AnthropicException - {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#, Some(429), Some("rate_limit_error"), "anthropic"),
            ("litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.", Some(529), Some("overloaded_error"), "litellm"),
            (r#"litellm.InternalServerError: AnthropicError - {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, Some(529), Some("overloaded_error"), "anthropic"),
            (r#"litellm.ContextWindowExceededError: litellm.BadRequestError: AnthropicError - {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#, Some(400), Some("invalid_request_error"), "anthropic"),
            (r#"litellm.BadRequestError: AnthropicException - b'{"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2026-09-01 at 00:00 UTC."},"request_id":"req_011CAbCdEfGhIjKlMnOpQrSt"}'"#, Some(400), Some("invalid_request_error"), "anthropic"),
            ("litellm.APIConnectionError: AnthropicException - peer closed connection without sending complete message body (incomplete chunked read)", None, Some("stream_error"), "litellm"),
            ("litellm.Timeout: AnthropicException - Connection timed out after 600.0 seconds.", None, Some("client_timeout"), "litellm"),
            ("litellm.BudgetExceededError: Budget has been exceeded! Current cost: 10.52, Max budget: 10.0", Some(400), Some("gateway_error"), "litellm"),
            (r#"litellm.RateLimitError: VertexAIException - {"error": {"code": 429, "message": "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet-v2.", "status": "RESOURCE_EXHAUSTED"}}"#, Some(429), Some("rate_limit_error"), "vertex"),
            (r#"litellm.RateLimitError: BedrockException - {"message":"Too many requests, please wait before trying again."}. Received Model Group=bedrock-claude-sonnet"#, Some(429), None, "bedrock"),
        ];
        for (line, status, error_type, provider) in cases {
            let s = scan(line);
            assert_eq!(s.failures.len(), 1, "{line}");
            let f = &s.failures[0];
            assert_eq!(f.effective_status(), *status, "{line}");
            assert_eq!(f.error_type.as_deref(), *error_type, "{line}");
            assert_eq!(f.provider.as_deref(), Some(*provider), "{line}");
            assert_eq!(f.source_kind, SourceKind::Litellm);
        }
    }

    #[test]
    fn message_continues_over_three_lines() {
        let s = scan(concat!(
            "litellm.RateLimitError: BedrockException - {\"message\":\"Too many tokens, please wait before trying again.\"}. Received Model Group=anthropic.claude-sonnet-4-20250514-v1:0\n",
            "Available Model Group Fallbacks=None\n",
            "Error doing the fallback: list index out of range LiteLLM Retried: 1 times, LiteLLM Max Retries: 2\n",
            "16:43:14 - LiteLLM Router:INFO: router.py:1644 - litellm.acompletion(model=anthropic/claude-3-5-haiku-20241022) Exception litellm.RateLimitError: RateLimitError: AnthropicException - Rate limited LiteLLM Retried: 10 times\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        assert_eq!(s.failures[0].attempt, Some(2));
        assert_eq!(s.failures[0].provider.as_deref(), Some("bedrock"));
        assert_eq!(
            s.failures[0].model.as_deref(),
            Some("anthropic.claude-sonnet-4-20250514-v1:0")
        );
        assert_eq!(s.failures[1].attempt, Some(11));
        assert_eq!(s.failures[1].http_status, Some(429));
        assert_eq!(
            s.failures[1].model.as_deref(),
            Some("claude-3-5-haiku-20241022")
        );
        assert_eq!(s.lines.relevant, 4);
    }

    #[test]
    fn router_and_proxy_telling_one_failure_join() {
        let s = scan(concat!(
            "10:15:20 - LiteLLM Router:INFO: router.py:2932 - litellm.acompletion(model=anthropic/claude-opus-4-1) Exception litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.\n",
            "10:15:20 - LiteLLM Proxy:ERROR: proxy_server.py:3012 - litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.. Received Model Group=claude-opus-4-1\n",
            "Available Model Group Fallbacks=None\n",
        ));
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].effective_status(), Some(529));
    }

    #[test]
    fn other_providers_are_noise() {
        let s = scan(concat!(
            "litellm.RateLimitError: OpenAIException - Rate limit reached for gpt-4o. Received Model Group=gpt-4o\n",
            "litellm.RateLimitError: VertexAIException - {\"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}}. Received Model Group=gemini-1.5-pro\n",
            "INFO:     10.0.0.7:51522 - \"POST /chat/completions HTTP/1.1\" 429 Too Many Requests\n",
            "INFO:     10.0.0.7:51523 - \"GET /health/readiness HTTP/1.1\" 200 OK\n",
        ));
        assert!(s.failures.is_empty(), "{:#?}", s.failures);
        assert_eq!(s.lines.noise, 4);
    }

    #[test]
    fn exception_line_traceback_and_access_line_are_one_failure() {
        let s = scan(concat!(
            "\x1b[92m10:14:02 - LiteLLM Proxy:ERROR\x1b[0m: proxy_server.py:3012 - litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"}}. Received Model Group=claude-sonnet-4-5\n",
            "Available Model Group Fallbacks=None LiteLLM Retried: 2 times, LiteLLM Max Retries: 2\n",
            "Traceback (most recent call last):\n",
            "  File \"/usr/lib/python3.11/site-packages/litellm/proxy/proxy_server.py\", line 3001, in anthropic_response\n",
            "    response = await llm_router.aanthropic_messages(**data)\n",
            "litellm.exceptions.RateLimitError: litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"}}. Received Model Group=claude-sonnet-4-5\n",
            "Available Model Group Fallbacks=None LiteLLM Retried: 2 times, LiteLLM Max Retries: 2\n",
            "INFO:     10.0.0.7:51522 - \"POST /v1/messages?beta=true HTTP/1.1\" 429 Too Many Requests\n",
            "INFO:     10.0.0.7:51530 - \"POST /v1/messages HTTP/1.1\" 200 OK\n",
            "INFO:     10.0.0.7:51531 - \"POST /v1/messages HTTP/1.1\" 500 Internal Server Error\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.attempt, Some(3));
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(f.endpoint.as_deref(), Some("/v1/messages"));
        assert!(f.stamp.is_none(), "a time without a date is null");
        assert_eq!(s.failures[1].http_status, Some(500));
        assert_eq!(s.failures[1].provider.as_deref(), Some("litellm"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert_eq!(s.lines.relevant, 10);
    }

    /// Each line behind a collector's prefix (Cloud Logging): the proxy's exception line and
    /// its traceback's last line are one failure.
    #[test]
    fn a_prefixed_traceback_end_is_the_proxy_exception_again() {
        let proxy = "ERROR 2025-05-22T04:07:00.312291Z \x1b[92m04:07:00 - LiteLLM Proxy:ERROR\x1b[0m: proxy_server.py:3714 - litellm.proxy.proxy_server.chat_completion(): Exception occured - litellm.InternalServerError: litellm.InternalServerError: VertexAIException - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-sonnet\nERROR 2025-05-22T04:07:00.312297Z Available Model Group Fallbacks=None\n";
        let frames = "DEFAULT 2025-05-22T04:07:00.312303Z Traceback (most recent call last):\nDEFAULT 2025-05-22T04:07:00.312309Z File \"/usr/local/lib/python3.11/site-packages/litellm/router.py\", line 395, in acompletion\n";
        let last = "DEFAULT 2025-05-22T04:07:00.312417Z litellm.exceptions.InternalServerError: litellm.InternalServerError: VertexAIException - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-sonnet\n";
        let s = scan(&format!("{proxy}{frames}{last}"));
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].line, Some(1));
        // Without the proxy's line before it, the traceback's end is a failure of its own.
        let s = scan(&format!("{frames}{last}"));
        assert_eq!(s.failures.len(), 1);
    }

    #[test]
    fn json_logs_and_returned_errors() {
        let s = scan(concat!(
            r#"{"message": "litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.InternalServerError: AnthropicError - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-opus-4-1\nAvailable Model Group Fallbacks=None", "level": "ERROR", "timestamp": "2025-10-02T08:41:17.123456", "stacktrace": "Traceback (most recent call last):\n  File \"/app/litellm/proxy/proxy_server.py\", line 3001, in anthropic_response\n    raise e\nlitellm.exceptions.InternalServerError: litellm.InternalServerError: AnthropicError - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}"#,
            "\n",
            r#"{"error":{"message":"litellm.RateLimitError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CRq2\"}. Received Model Group=claude-sonnet-4\nAvailable Model Group Fallbacks=None","type":"throttling_error","param":null,"code":"429"}}"#,
            "\n",
            r#"{"message": "Initialized router with Routing strategy: simple-shuffle", "level": "INFO", "timestamp": "2025-10-02T08:41:00.000001"}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.effective_status(), Some(529));
        assert_eq!(f.model.as_deref(), Some("claude-opus-4-1"));
        assert!(f.stamp.is_some());
        assert_eq!(s.failures[1].request_id.as_deref(), Some("req_011CRq2"));
        assert_eq!(s.lines.noise, 1);
    }

    /// JSON logs: the router's exception, then the proxy's record of the same error, are one
    /// failure; the router's attempt before is another.
    #[test]
    fn json_logs_proxy_repeats_the_router_failure() {
        let router = r#"{"message": "litellm.acompletion(model=bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0)\u001b[31m Exception litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}\u001b[0m", "level": "INFO", "timestamp": "2025-10-02T08:41:14.693204"}"#;
        let proxy = r#"{"message": "litellm.proxy.proxy_server.chat_completion(): Exception occured - litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}. Received Model Group=claude-sonnet\nAvailable Model Group Fallbacks=None LiteLLM Retried: 2 times, LiteLLM Max Retries: 2", "level": "ERROR", "timestamp": "2025-10-02T08:41:14.703204"}"#;
        let first = router.replace("08:41:14.693204", "08:41:13.391204");
        let s = scan(&format!("{first}\n{router}\n{proxy}\n"));
        let lines: Vec<_> = s.failures.iter().map(|f| f.line).collect();
        assert_eq!(lines, [Some(1), Some(2)], "{:#?}", s.failures);
    }

    #[test]
    fn callback_payloads() {
        let s = scan(concat!(
            r#"{"id":"chatcmpl-1","call_type":"acompletion","status":"failure","custom_llm_provider":"anthropic","model":"claude-sonnet-4-5","startTime":1759394477.1,"endTime":1759394477.6,"error_str":"litellm.RateLimitError: AnthropicException - rate limited","error_information":{"error_code":"429","error_class":"RateLimitError","llm_provider":"anthropic","error_message":"litellm.RateLimitError: AnthropicException - rate limited"}}"#,
            "\n",
            r#"{"id":"chatcmpl-2","call_type":"acompletion","status":"success","custom_llm_provider":"anthropic","model":"claude-sonnet-4-5","startTime":1759394478.1,"endTime":1759394479.6,"error_information":{}}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(429));
        assert_eq!(s.failures[0].latency_ms, Some(500));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
    }
}
