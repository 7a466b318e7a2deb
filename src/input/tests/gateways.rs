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
}
