//! nginx access logs: upstream attempts listed on one line.

#[cfg(test)]
mod tests {
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    fn line(status: u16, us: &str, ut: &str) -> String {
        format!("10.1.4.2 - - [21/Jan/2026:09:12:40 +0000] \"POST /v1/messages HTTP/1.1\" {status} 311 \"-\" \"Anthropic/Python 0.74.0\" ua=\"192.0.2.10:443, 192.0.2.11:443\" us=\"{us}\" ut=\"{ut}\" rid=0f3c9a7e\n")
    }

    /// `proxy_next_upstream`: a request that failed on both upstreams is two failed attempts,
    /// each with its own status and time.
    #[test]
    fn each_failed_upstream_attempt_of_a_failed_request_is_a_failure() {
        let s = scan(&line(429, "429, 429", "0.201, 0.187"));
        assert_eq!(s.failures.len(), 2);
        for f in &s.failures {
            assert_eq!(f.http_status, Some(429));
            assert_eq!(f.line, Some(1));
            assert_eq!(f.provider.as_deref(), Some("anthropic"));
        }
        assert_eq!(s.failures[0].latency_ms, Some(201));
        assert_eq!(s.failures[1].latency_ms, Some(187));
        let s = scan(&line(504, "502, 504", "0.350, 60.001"));
        let statuses: Vec<_> = s.failures.iter().map(|f| f.http_status).collect();
        assert_eq!(statuses, vec![Some(502), Some(504)]);
    }

    /// Attempts that a later upstream recovered from are no failures: the request succeeded.
    #[test]
    fn a_request_that_recovered_on_the_next_upstream_is_a_success() {
        let text = [
            line(200, "429, 200", "0.190, 3.402"),
            line(200, "504, 200", "60.001, 4.1"),
        ]
        .concat();
        let s = scan(&text);
        assert!(s.failures.is_empty());
        assert_eq!(s.successes.values().sum::<u64>(), 2);
    }

    /// A 502 nginx recorded within a few milliseconds is nginx's own: it could not connect
    /// (provider nginx, the connection cluster), for each attempt and for a lone one; a 502
    /// that took its time is the upstream's.
    #[test]
    fn a_502_within_milliseconds_is_nginx_that_could_not_connect() {
        let s = scan(&line(502, "502, 502", "0.001, 0.002"));
        assert_eq!(s.failures.len(), 2);
        assert!(s
            .failures
            .iter()
            .all(|f| f.provider.as_deref() == Some("nginx")));
        let lone = line(502, "502", "0.003").replace(
            "ua=\"192.0.2.10:443, 192.0.2.11:443\"",
            "ua=\"192.0.2.10:443\"",
        );
        let s = scan(&lone);
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].provider.as_deref(), Some("nginx"));
        let slow = line(502, "502", "1.840");
        let s = scan(&slow);
        assert_eq!(s.failures[0].provider.as_deref(), Some("anthropic"));
    }

    /// One failed attempt in the list: the request's own single failure.
    #[test]
    fn one_failed_attempt_is_one_failure() {
        let s = scan(&line(529, "-, 529", "-, 1.2"));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(529));
    }

    fn json_line(body: &str, uri: &str, status: &str, us: &str, urt: &str) -> String {
        format!("{{ \"ts\": \"21/Jan/2026:09:14:02 +0000\", \"req_body\": \"{body}\", \"upstream-status\": \"{us}\", \"remote_addr\": \"10.9.0.3\", \"status\": {status}, \"request_time\": 0.201, \"upstream_response_time\": {urt}, \"request_uri\": \"{uri}\", \"request_method\": \"POST\"}}\n")
    }

    /// A JSON template that writes variables unquoted is invalid JSON when a value is `-` or a
    /// list: read with those values quoted. A 429 with no upstream is nginx's own limit; a
    /// request that recovered on its second upstream is a success.
    #[test]
    fn json_lines_with_bare_values() {
        let text = [
            json_line("", "/llm/v1/messages", "429", "", "-"),
            json_line(
                "{\\\"model\\\":\\\"claude-haiku-4-5\\\",\\\"max_tokens\\\":64}",
                "/llm/v1/messages",
                "200",
                "502, 200",
                "0.003, 2.114",
            ),
        ]
        .concat();
        let s = scan(&text);
        assert_eq!(s.failures.len(), 1, "{:?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.line, Some(1));
        assert_eq!(f.provider.as_deref(), Some("nginx"));
        assert_eq!(
            f.message.as_deref(),
            Some("proxy answered 429 with no upstream response")
        );
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        assert!(s
            .successes
            .keys()
            .any(|k| k.model.as_deref() == Some("claude-haiku-4-5")));
    }

    /// An OpenAI-compatible path is a Claude call when the request body names a Claude model;
    /// a 404 then names the model for the catalog. Another vendor's model there is no call.
    #[test]
    fn compatible_paths_by_the_request_bodys_model() {
        let body = |m: &str| format!("{{\\\"model\\\":\\\"{m}\\\",\\\"messages\\\":[]}}");
        let text = [
            json_line(
                &body("claude-3-opus-20240229"),
                "/gw/v1/chat/completions",
                "404",
                "404",
                "0.188",
            ),
            json_line(
                &body("gpt-4o"),
                "/gw/v1/chat/completions",
                "429",
                "429",
                "0.102",
            ),
        ]
        .concat();
        let s = scan(&text);
        assert_eq!(s.failures.len(), 1, "{:?}", s.failures);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(404));
        assert_eq!(f.model.as_deref(), Some("claude-3-opus-20240229"));
        assert_eq!(f.endpoint.as_deref(), Some("/gw/v1/chat/completions"));
        assert!(f
            .message
            .as_deref()
            .unwrap()
            .contains("claude-3-opus-20240229"));
    }

    /// A 429 whose body is shorter than any API error is the proxy's own limit (Kong's
    /// rate-limiting plugin); a 429 with the API's body is the API's.
    #[test]
    fn a_429_too_short_for_an_api_error_is_the_proxys_own() {
        let line = |bytes: u32| {
            format!("10.3.1.9 - - [21/Jan/2026:09:20:11 +0000] \"POST /claude/v1/messages HTTP/1.1\" 429 {bytes} \"-\" \"Anthropic/JS 0.71.0\" kong_request_id: \"5e1c0a\"\n")
        };
        let s = scan(&[line(41), line(612)].concat());
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].provider.as_deref(), Some("nginx"));
        assert!(s.failures[0]
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("proxy answered 429 itself")));
        assert_eq!(s.failures[1].provider.as_deref(), Some("anthropic"));
        assert_eq!(s.failures[1].message, None);
    }
}
