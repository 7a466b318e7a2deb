#[cfg(test)]
mod tests {
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn new_api_relay_line_and_access_line_are_one_failure() {
        let s = scan(concat!(
            "[ERR] 2025/10/02 - 16:20:11 | 20251002162011482913572aB3dE9fQ1 | relay error (channel #7, status code: 529): bad response status code 529, body: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
            "[GIN] 2025/10/02 - 16:20:11 | 20251002162011482913572aB3dE9fQ1 | 529 |   2.31042s |    198.51.100.23 |    POST /v1/messages\n",
            "[GIN] 2025/10/02 - 16:20:12 | 20251002162012000000000aB3dE9fQ2 | 200 |   1.5s |    198.51.100.23 |    GET /api/status\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.effective_status(), Some(529));
        assert_eq!(f.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(f.provider.as_deref(), Some("anthropic"));
        assert_eq!(f.latency_ms, Some(2310));
        assert_eq!(f.line, Some(1));
        assert_eq!(s.lines.noise, 1);
    }

    /// The positional reader of Gin lines reads what the regex it replaced matched: on every
    /// gateway sample line and on variations.
    #[test]
    fn gin_lines_read_by_position_as_by_regex() {
        let re = regex::Regex::new(r"\[GIN\] (\d{4}/\d\d/\d\d - \d\d:\d\d:\d\d) \|(.*)$").unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/gateway");
        let mut lines: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            lines.extend(text.lines().map(str::to_string));
        }
        let base = "[GIN] 2025/10/02 - 16:20:02 | 2025100216200200 | 200 |    1.8812s |    198.51.100.23 |    POST /v1/messages";
        for v in [
            base.to_string(),
            format!("new-api  | {base}"),
            format!("[GIN] x {base}"),
            format!("[GIN] 2025/10/02 - 16:20:0 | {base}"),
            base.replace(" - 16", " 16"),
            base.replace("2025/10/02", "2025/1O/02"),
            base.replace("16:20:02 |", "16:20:02|"),
            base.replace("16:20:02 |", "16:20:02 "),
            "[GIN] 2025/10/02 - 16:20:02 |".to_string(),
            "[GIN] 2025/10/02 - 16:20:02 ".to_string(),
            "[GIN] 2025/10/02 - 16:20:02 |\u{1b}[97;43m 429 \u{1b}[0m|".to_string(),
        ] {
            lines.push(v);
        }
        let mut read = 0;
        for line in &lines {
            let want = re.captures(line).map(|c| {
                (
                    c.get(1).unwrap().as_str().to_string(),
                    c.get(2).unwrap().as_str().to_string(),
                )
            });
            read += usize::from(want.is_some());
            let got = crate::input::formats::gateways::gin_parts(line)
                .map(|(t, r)| (t.to_string(), r.to_string()));
            assert_eq!(got, want, "{line}");
        }
        assert!(read > 5, "{read} Gin lines");
    }

    #[test]
    fn gin_default_format_with_colours() {
        let s = scan("[GIN] 2025/02/21 - 19:30:16 |\u{1b}[97;43m 429 \u{1b}[0m|    1.934521s |     203.0.113.7 |\u{1b}[97;46m POST    \u{1b}[0m \"/v1/messages\"\n");
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(429));
        assert_eq!(s.failures[0].latency_ms, Some(1935));
    }

    #[test]
    fn sub2api_retries_and_client_body() {
        let s = scan(concat!(
            "2025/12/27 21:36:26 Account 12: upstream error 529, retry 1/3 after 2s\n",
            "2025/12/27 21:36:28 Account 12: upstream error 529, retry 2/3 after 2s\n",
            "2025/12/27 21:36:31 Account 12: marked as error after 3 retries for status 529\n",
            "2025/12/27 21:36:31 Account 12: upstream error 529, switching account 1/3\n",
            "{\"type\":\"error\",\"error\":{\"type\":\"upstream_error\",\"message\":\"Upstream service temporarily unavailable\"}}\n",
        ));
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| (f.effective_status(), f.attempt, f.provider.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(529), Some(1), Some("anthropic")),
                (Some(529), Some(2), Some("anthropic")),
                (Some(529), Some(3), Some("anthropic")),
                (Some(502), None, Some("sub2api")),
            ]
        );
        assert_eq!(s.failures[3].error_type.as_deref(), Some("upstream_error"));
    }

    #[test]
    fn new_api_channel_errors_are_attempts_and_relay_error_is_the_answer() {
        let s = scan(concat!(
            "[ERR] 2025/10/02 - 16:20:07 | 20251002162005582695214R8pimv01 | channel error (channel #7, status code: 429): bad response status code 429, message: slow down, body: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"},\"request_id\":\"req_011A\"}\n",
            "[ERR] 2025/10/02 - 16:20:09 | 20251002162005582695214R8pimv01 | channel error (channel #9, status code: 529): bad response status code 529, message: Overloaded, body: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_011B\"}\n",
            "[ERR] 2025/10/02 - 16:20:09 | 20251002162005582695214R8pimv01 | relay error: bad response status code 529, message: Overloaded, body: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_011B\"}\n",
            "[GIN] 2025/10/02 - 16:20:09 | 20251002162005582695214R8pimv01 | 529 |  4.02s |   198.51.100.23 |    POST /v1/messages\n",
            "[ERR] 2025/10/02 - 16:21:05 | 20251002162105609033538BSVynPdK | relay error: 用户额度不足, 剩余额度: ＄0.003140 \n",
            "[GIN] 2025/10/02 - 16:21:05 | 20251002162105609033538BSVynPdK | 403 |    6.71ms |   203.0.113.118 |    POST /v1/messages\n",
        ));
        let got: Vec<_> = s
            .failures
            .iter()
            .map(|f| (f.line, f.effective_status(), f.error_type.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(1), Some(429), Some("rate_limit_error")),
                (Some(2), Some(529), Some("overloaded_error")),
                (Some(5), Some(403), Some("gateway_error")),
            ]
        );
        assert_eq!(s.failures[2].provider.as_deref(), Some("new_api"));
    }

    fn lines_and_statuses(s: &crate::input::FileScan) -> Vec<(Option<u64>, Option<u16>)> {
        s.failures
            .iter()
            .map(|f| (f.line, f.effective_status()))
            .collect()
    }

    /// A relay's retry notice is one failed attempt; the access line after the last notice
    /// is the attempt after it, and a notice after an access line starts another request.
    #[test]
    fn relay_retry_notices_are_attempts_of_their_own() {
        let s = scan(concat!(
            "INFO:     10.0.0.5:5100 - \"POST /anthropic/v1/messages HTTP/1.1\" 200 OK\n",
            "  upstream 429 (retry 1/2), waiting 0.5s\n",
            "  upstream 429 (retry 2/2), waiting 1.1s\n",
            "[metrics anthropic] e2e=3100.2ms\n",
            "INFO:     10.0.0.5:5102 - \"POST /anthropic/v1/messages HTTP/1.1\" 429 Too Many Requests\n",
            "  upstream 529 (retry 1/2), waiting 0.4s\n",
        ));
        assert_eq!(
            lines_and_statuses(&s),
            vec![
                (Some(2), Some(429)),
                (Some(3), Some(429)),
                (Some(5), Some(429)),
                (Some(6), Some(529))
            ]
        );
    }

    /// `rate-limited (429)`, `Error at <url>: 429 - {` with its body below, and `failed ...:
    /// 503 Service Unavailable` are upstream answers in a relay's words.
    #[test]
    fn relay_status_phrases() {
        let s = scan(concat!(
            "[INFO] Attempting request with account: a1 (provider: anthropic)\n",
            "[WARN] Account a1 rate-limited (429), no model fallbacks — failing over to next account\n",
            "[2026-01-13T15:05:52.912Z] [INFO] [API] Request for model: claude-opus-4-5, stream: true\n",
            "[2026-01-13T15:05:53.643Z] [WARN] [CloudCode] Error at https://cloudcode.example: 429 - {\n",
            "  \"error\": {\n",
            "    \"code\": 429,\n",
            "    \"status\": \"RESOURCE_EXHAUSTED\"\n",
            "  }\n",
            "}\n",
            "[ERROR] Auto-refresh message failed for account a1 (provider: anthropic): 503 Service Unavailable\n",
        ));
        assert_eq!(
            lines_and_statuses(&s),
            vec![
                (Some(2), Some(429)),
                (Some(4), Some(429)),
                (Some(10), Some(503))
            ]
        );
    }

    /// A relay's channel failure for a GLM model is not Claude's, between Claude lines.
    #[test]
    fn another_vendors_channel_failure_is_not_claude() {
        let s = scan(concat!(
            "octopus  | 2026-02-06T14:20:11+08:00\tINFO\trelay/relay.go:113\trequest model claude-sonnet-4-5, mode: 3, forwarding to channel: A\n",
            "octopus  | 2026-02-06T14:23:02+08:00\tINFO\trelay/relay.go:113\trequest model glm-4.6, mode: 3, forwarding to channel: Zhipu-A model: glm-4.6\n",
            "octopus  | 2026-02-06T14:23:03+08:00\tWARN\trelay/relay.go:151\tchannel Zhipu-A failed: upstream error: 429: {\"error\":{\"code\":\"1302\",\"message\":\"rate limited\"}}\n",
            "octopus  | 2026-02-06T14:25:17+08:00\tWARN\trelay/relay.go:151\tchannel B failed: upstream error: 529: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n",
        ));
        assert_eq!(lines_and_statuses(&s), vec![(Some(4), Some(529))]);
    }

    /// An AI gateway's access entry on an Anthropic-shaped path routed to another vendor's
    /// cluster is not a Claude call.
    #[test]
    fn gateway_route_to_another_vendor_is_not_claude() {
        let entry = |route: &str, code: u16| {
            format!(
                "{{\"path\":\"/api/anthropic/v1/messages\",\"response_code\":\"{code}\",\"response_flags\":\"-\",\"route_name\":\"ai-route-{route}.internal\",\"upstream_cluster\":\"outbound|443||llm-{route}.internal.dns\",\"duration\":\"40\"}}\n"
            )
        };
        let s = scan(&(entry("zhipu", 400) + &entry("anthropic", 429)));
        assert_eq!(lines_and_statuses(&s), vec![(Some(2), Some(429))]);
    }
}
