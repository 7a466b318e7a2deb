//! Envoy's debug log: the upstream attempts of a Claude call's stream.

#[cfg(test)]
mod tests {
    use crate::input::{parse_text, ScanOptions};

    fn scan(text: &str) -> crate::input::FileScan {
        parse_text(text, &ScanOptions::default())
    }

    /// A debug line of stream `s` on connection `c` (`tags`: the `[Tags: ...]` prefix of
    /// Envoy 1.27+, else the older `[C..][S..]`).
    fn debug(tags: bool, c: u64, s: u64, source: &str, logger: &str, msg: &str) -> String {
        let prefix = if tags {
            format!("[Tags: \"ConnectionId\":\"{c}\",\"StreamId\":\"{s}\"]")
        } else {
            format!("[C{c}][S{s}]")
        };
        format!("[2026-01-20 08:41:17.503][14][debug][{logger}] [source/common/{source}] {prefix} {msg}\n")
    }

    const RESET: &str = "upstream reset: reset reason: connection failure, transport failure reason: delayed connect error: 111";
    const LOCAL_REPLY: &str = "Sending local reply with details upstream_reset_before_response_started{connection_failure}";

    fn route(tags: bool, c: u64, s: u64, url: &str) -> String {
        debug(
            tags,
            c,
            s,
            "router/router.cc:514",
            "router",
            &format!("cluster 'egress_llm' match for URL '{url}'"),
        )
    }

    fn reset(tags: bool, c: u64, s: u64) -> String {
        debug(
            tags,
            c,
            s,
            "router/upstream_request.cc:493",
            "router",
            RESET,
        )
    }

    fn local_reply(tags: bool, c: u64, s: u64) -> String {
        debug(
            tags,
            c,
            s,
            "http/filter_manager.cc:1084",
            "http",
            LOCAL_REPLY,
        )
    }

    fn access(path: &str, status: u16, flags: &str) -> String {
        format!("[2026-01-20T08:41:17.503Z] \"POST {path} HTTP/1.1\" {status} {flags} 1804 91 27 - \"10.2.0.7\" \"Anthropic/TypeScript 0.71.0\" \"9a1e\" \"llm-egress.internal\" \"198.51.100.4:443\"\n")
    }

    /// Two streams interleaved, each reset twice before Envoy's local reply: four attempts,
    /// each failed without a response at its reset line. The local replies and the access
    /// lines (503 URX,UF) tell the same attempts again.
    #[test]
    fn resets_of_claude_streams_that_ended_in_a_local_reply() {
        for tags in [true, false] {
            let (a, b) = (5_550_118_274_119_001_u64, 17_440_902_113_004_552_u64);
            let text = [
                route(tags, 31, a, "/v1/messages"),
                route(tags, 32, b, "/v1/messages?beta=true"),
                reset(tags, 31, a),
                reset(tags, 32, b),
                debug(
                    tags,
                    31,
                    a,
                    "router/router.cc:1998",
                    "router",
                    "performing retry",
                ),
                reset(tags, 31, a),
                local_reply(tags, 31, a),
                reset(tags, 32, b),
                access("/v1/messages", 503, "URX,UF"),
                local_reply(tags, 32, b),
                access("/v1/messages?beta=true", 503, "URX,UF"),
            ]
            .concat();
            let s = scan(&text);
            let mut lines: Vec<u64> = s.failures.iter().filter_map(|f| f.line).collect();
            lines.sort_unstable();
            assert_eq!(lines, vec![3, 4, 6, 8], "tags: {tags}");
            for f in &s.failures {
                assert_eq!(f.http_status, None);
                assert_eq!(f.effective_status(), None);
                assert_eq!(f.error_type.as_deref(), Some("connection_error"));
                assert_eq!(f.endpoint.as_deref(), Some("/v1/messages"));
                assert!(f.message.as_deref().unwrap().starts_with("upstream reset:"));
            }
            assert!(s.successes.is_empty());
        }
    }

    /// Without debug lines the access line is the failure, as before any debug log.
    #[test]
    fn an_access_line_alone_is_still_a_failure() {
        let s = scan(&access("/v1/messages", 503, "URX,UF"));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(503));
        // The same after a local reply of a stream that had no reset (a rate limit): nothing
        // is told twice.
        let text = [
            route(true, 7, 42, "/v1/messages"),
            debug(
                true,
                7,
                42,
                "http/filter_manager.cc:1084",
                "http",
                "Sending local reply with details local_rate_limited",
            ),
            access("/v1/messages", 429, "RL"),
            access("/v1/messages", 503, "UF"),
        ]
        .concat();
        let s = scan(&text);
        let statuses: Vec<_> = s.failures.iter().map(|f| f.http_status).collect();
        assert_eq!(statuses, vec![Some(429), Some(503)]);
    }

    /// A reset attempt that Envoy retried into a response is no failure (the call recovered);
    /// a reset after the response began is the access line's stream error, told once.
    #[test]
    fn resets_before_a_response_that_came_are_not_failures() {
        let text = [
            route(true, 9, 77, "/v1/messages"),
            reset(true, 9, 77),
            debug(
                true,
                9,
                77,
                "router/router.cc:1998",
                "router",
                "performing retry",
            ),
            debug(
                true,
                9,
                77,
                "router/upstream_request.cc:263",
                "router",
                "upstream headers complete: end_stream=false",
            ),
            access("/v1/messages", 200, "-"),
            route(true, 9, 78, "/v1/messages"),
            debug(
                true,
                9,
                78,
                "router/upstream_request.cc:263",
                "router",
                "upstream headers complete: end_stream=false",
            ),
            debug(
                true,
                9,
                78,
                "router/upstream_request.cc:493",
                "router",
                "upstream reset: reset reason: remote reset, transport failure reason: ",
            ),
            access("/v1/messages", 200, "UR"),
        ]
        .concat();
        let s = scan(&text);
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].line, Some(9));
        assert_eq!(s.failures[0].error_type.as_deref(), Some("stream_error"));
        assert_eq!(s.successes.values().sum::<u64>(), 1);
    }

    /// Another vendor's stream: its resets and its access line are no Claude failures.
    #[test]
    fn other_vendors_streams_are_not_followed() {
        let text = [
            route(true, 3, 5, "/v1/chat/completions"),
            reset(true, 3, 5),
            local_reply(true, 3, 5),
            access("/v1/chat/completions", 503, "URX,UF"),
        ]
        .concat();
        let s = scan(&text);
        assert!(s.failures.is_empty());
    }

    /// An egress cluster to Anthropic's host makes the stream Claude's whatever its path.
    #[test]
    fn an_anthropic_cluster_makes_the_stream_claudes() {
        let text = [
            debug(
                true,
                4,
                6,
                "router/router.cc:514",
                "router",
                "cluster 'outbound|443||api.anthropic.com' match for URL '/proxy/claude'",
            ),
            reset(true, 4, 6),
            local_reply(true, 4, 6),
        ]
        .concat();
        let s = scan(&text);
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].endpoint.as_deref(), Some("/proxy/claude"));
    }
}
