#[cfg(test)]
mod tests {
    use crate::input::formats::claude_code::*;
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    /// claude-code-router sending a turn to another vendor's model: its error is not Claude's.
    #[test]
    fn a_router_error_of_another_vendors_model_is_not_a_failure() {
        let line = |model: &str| {
            format!("  ⎿  API Error: 400 {{\"error\":{{\"message\":\"Error from provider(openrouter,{model}: 400): Provider returned error\",\"type\":\"api_error\"}}}}\n")
        };
        let s = parse_text(
            &line("google/gemini-3-pro-preview"),
            &ScanOptions::default(),
        );
        assert!(s.failures.is_empty(), "{:?}", s.failures);
        let s = parse_text(
            &line("anthropic/claude-sonnet-4.5"),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
    }

    #[test]
    fn a_slash_command_error_is_a_failure() {
        let s = parse_text(
            concat!(
                "  ⎿ API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"The request body is not valid JSON:\n",
                "     no low surrogate in string: line 1 column 31459 (char 31458)\"}}\n",
                "\n",
                "> /context\n",
                "  ⎿  Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"The request body is not valid JSON: no low surrogate in string: line 1 column 123482 (char 123481)\"},\"request_id\":\"req_011CFhVusnk6s8sQOAqOq4Pn\"}\n",
                "  ⎿  Error: File not found\n",
            ),
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 2, "{:?}", s.failures);
        let f = &s.failures[1];
        assert_eq!((f.line, f.http_status), (Some(5), Some(400)));
        assert_eq!(f.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(
            f.request_id.as_deref(),
            Some("req_011CFhVusnk6s8sQOAqOq4Pn")
        );
    }

    #[test]
    fn error_texts() {
        let s = displayed("API Error: Repeated 529 Overloaded errors").unwrap();
        assert_eq!(s.http_status, Some(529));
        let s = displayed("API Error: Server is temporarily limiting requests (not your usage limit) · Rate limited").unwrap();
        assert_eq!(s.http_status, Some(429));
        let s = displayed("API Error: Unable to connect to API (UND_ERR_SOCKET)").unwrap();
        assert_eq!(s.error_type.as_deref(), Some("connection_error"));
        let s = displayed("Please run /login · API Error: 401 OAuth access token has expired. Re-authenticate to continue.").unwrap();
        assert_eq!(s.http_status, Some(401));
        let s = displayed("Claude AI usage limit reached|1759420800").unwrap();
        assert_eq!(s.http_status, Some(429));
        assert_eq!(
            s.message.as_deref(),
            Some("Claude AI usage limit reached (resets 2025-10-02T16:00:00Z)")
        );
        assert!(limit_text("Prompt is too long for my taste, said the user").is_none());
        assert_eq!(
            limit_text("You've hit your limit · resets 4:50am (Europe/Rome)")
                .unwrap()
                .http_status,
            Some(429)
        );
    }

    #[test]
    fn terminal_notices_then_final_attempt() {
        let s = scan(concat!(
            "  ⎿  API Error (529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}) · Retrying in 1 seconds… (attempt 1/10)\n",
            "  ⎿  API Error (Connection error.) · Retrying in 2 seconds… (attempt 2/10)\n",
            "    ⎿  TypeError (fetch failed)\n",
            "  ⎿  API Error: Repeated 529 Overloaded errors\n",
            "> why do I keep getting API Error: 529?\n",
        ));
        assert_eq!(s.failures.len(), 3);
        assert_eq!(s.failures[0].attempt, Some(1));
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("overloaded_error")
        );
        assert_eq!(
            s.failures[1].message.as_deref(),
            Some("Connection error. (cause: TypeError: fetch failed)")
        );
        assert_eq!(s.failures[2].attempt, Some(3));
        assert_eq!(s.failures[2].effective_status(), Some(529));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn hard_wrapped_final_error_is_joined() {
        let s = scan(concat!(
            "⏺ API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"messag\n",
            "  e\":\"prompt is too long: 208310 tokens > 200000 maximum\"},\"request_id\":\"req_011CW\n",
            "  rapFake\"}\n",
            "\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(f.request_id.as_deref(), Some("req_011CWrapFake"));
        assert_eq!(s.lines.relevant, 3);
    }

    #[test]
    fn debug_fallback_pair_is_one_failure() {
        let s = scan(concat!(
            "2026-01-11T11:31:23.862Z [ERROR] Error streaming, falling back to non-streaming mode: Connection error.\n",
            "2026-01-11T11:31:23.862Z [ERROR] Error in non-streaming fallback: Connection error.\n",
            "2026-01-11T11:31:23.862Z [ERROR] Connection error details: code=ETIMEDOUT, message=\n",
            "2026-01-11T11:31:23.900Z [ERROR] API error (attempt 1/11): undefined Connection error.\n",
            "2026-01-11T11:31:25.000Z [ERROR] API error (attempt 2/11): 429 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_011CZr8TkW3mQ5nV7pL2xYb6\"}\n",
            "2026-01-11T11:31:25.100Z [DEBUG] [API:request] Creating client, ANTHROPIC_CUSTOM_HEADERS present: false\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("connection_error")
        );
        assert_eq!(s.failures[0].attempt, Some(1));
        assert!(s.failures[0]
            .message
            .as_deref()
            .unwrap()
            .contains("ETIMEDOUT"));
        assert_eq!(s.failures[1].effective_status(), Some(429));
        assert_eq!(s.failures[1].attempt, Some(2));
    }
}

#[cfg(test)]
mod tolerance_tests {
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn prose_and_documents_are_not_errors() {
        let s = scan(concat!(
            "## Errors you may see\n",
            "- Credit balance is too low.\n",
            "* Prompt is too long\n",
            "If you see API Error: 529 just wait.\n",
            "> API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "Prompt is too long for the summary, so I split it.\n",
        ));
        assert!(s.failures.is_empty(), "{:?}", s.failures);
    }

    #[test]
    fn ci_output_and_print_mode_json() {
        let s = scan(concat!(
            "2025-10-02T16:20:11.1234567Z API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_011CCiFake000000000001\"}\n",
            "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"duration_ms\":61234,\"result\":\"API Error: Request timed out.\",\"session_id\":\"x\"}\n",
            "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"Done.\",\"session_id\":\"y\"}\n",
        ));
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| (f.effective_status(), f.error_type.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(529), Some("overloaded_error")),
                (None, Some("client_timeout"))
            ]
        );
        assert!(s.failures[0].stamp.is_some());
        assert_eq!(s.lines.noise, 1);
    }
}

#[cfg(test)]
mod wrap_tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn wrapped_retry_notice_at_80_columns() {
        let s = parse_text(
            concat!(
                "  ⎿  API Error (529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"O\n",
                "     verloaded\"}}) · Retrying in 1 seconds… (attempt 1/10)\n",
                "  ⎿  API Error (529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"O\n",
                "     verloaded\"}}) · Retrying in 2 seconds… (attempt 2/10)\n",
                "⏺ Done.\n",
            ),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| (f.error_type.as_deref(), f.message.as_deref(), f.attempt))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("overloaded_error"), Some("Overloaded"), Some(1)),
                (Some("overloaded_error"), Some("Overloaded"), Some(2)),
            ]
        );
        assert_eq!(s.lines.relevant, 4);
    }

    #[test]
    fn auth_error_with_login_hint_after_the_body() {
        let s = parse_text(
            "⏺ API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"OAuth token has expired.\"},\"request_id\":\"req_011CAuthFake0001\"} · Please run /login\n",
            &ScanOptions::default(),
        );
        assert_eq!(s.failures.len(), 1);
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("req_011CAuthFake0001")
        );
        assert_eq!(
            s.failures[0].error_type.as_deref(),
            Some("authentication_error")
        );
    }
}

#[cfg(test)]
mod notice_variant_tests {
    use crate::input::{parse_text, ScanOptions};

    #[test]
    fn compressed_notices_and_cut_attempt_counter() {
        let s = parse_text(
            concat!(
                "  API error · Retrying in 1m 5s · attempt 7/10\n",
                "  API error (529) · Retrying in 2s · attempt 8/10\n",
                "  ⎿  API Error (Connection error.) · Retrying in 4 seconds… (atte\n",
                "mpt 3/10)\n",
                "⏺ ok\n",
            ),
            &ScanOptions::default(),
        );
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| (f.effective_status(), f.error_type.as_deref(), f.attempt))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, Some("unknown"), Some(7)),
                (Some(529), None, Some(8)),
                (None, Some("connection_error"), Some(3)),
            ]
        );
    }

    /// `API Error: 400 event: error`, then the SSE frame's `data:` wrapped by the terminal: one
    /// failure with the frame's type.
    #[test]
    fn an_sse_error_frame_as_a_plain_body_is_read() {
        let text = concat!(
            "  ⎿  API Error: 400 event: error\n",
            "     data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"{\\\"error\\\":{\\\"message\\\":\\\"Invalid 'input[27].name': empty string. Expected a string with minimu\n",
            "     m length 1.\\\",\\\"type\\\":\\\"invalid_request_error\\\",\\\"param\\\":\\\"\\\",\\\"code\\\":\\\"empty_string\\\"}}\"}}\n",
        );
        let s = parse_text(text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].http_status, Some(400));
        assert_eq!(s.failures[0].error_type.as_deref(), Some("api_error"));
    }

    /// `claude -p --output-format json --verbose` in a CI log: each run is a JSON array on
    /// one prefixed line; a result with `is_error` is a failure, even as a summary.
    #[test]
    fn a_prefixed_json_array_of_a_headless_run() {
        let run = |result: &str| {
            format!("2026-01-12T10:16:58.2864560Z [{{\"type\":\"system\",\"subtype\":\"init\",\"model\":\"claude-opus-4-5-20251101\"}},{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":{},\"result\":\"{result}\"}}]\n", !result.is_empty())
        };
        let text = [
            run(""),
            "2026-01-12T10:16:58.2894560Z ##[warning]claude failed for cli.md\n".to_string(),
            run("API Error: Repeated 529 Overloaded errors"),
        ]
        .concat();
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].line, Some(3));
        assert_eq!(s.failures[0].http_status, Some(529));
    }

    /// The SDK's old debug log tells the attempt, its body after the headers; Claude Code's
    /// final `API Error:` line repeats it.
    #[test]
    fn the_final_line_after_the_sdks_debug_log_is_an_echo() {
        let body = r#"{"error":{"code":404,"message":"Publisher Model `projects/p-1/locations/us-east5/publishers/anthropic/models/claude-3-7-sonnet-20250219` not found.","status":"NOT_FOUND"}}"#;
        let text = format!(
            "Anthropic:DEBUG:response (error; (error; not retryable)) 404 https://us-east5-aiplatform.googleapis.com/v1/projects/p-1/locations/us-east5/publishers/anthropic/models/claude-3-7-sonnet-20250219:streamRawPredict {{\n  'content-type': 'application/json; charset=UTF-8',\n  server: 'scaffolding on HTTPServer2'\n}} {body}\nAPI Error: 404 {body}\n"
        );
        let s = parse_text(&text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert!(s.failures[0]
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Publisher Model")));
    }
}
