//! The HTML report: markup in a log shows as text, secrets stay masked, the page asks for
//! nothing over the network, and its numbers are the JSON report's. (The same page in a real
//! browser: tests/browser/run.sh.)

use crate::common;

use std::io::Write;
use std::process::Stdio;

const KEY: &str = "sk-ant-api03-PLANTEDhtmlKey0123456789abcdefghij_KLMNOPqrstuv-wxyz1A2B";

/// A Python SDK failure whose message carries markup and a key, read from stdin.
fn hostile_html() -> String {
    let log = format!(
        "2025-10-02 16:20:00,000 ERROR anthropic.BadRequestError: Error code: 400 - \
         {{'type': 'error', 'error': {{'type': 'invalid_request_error', 'message': \
         '<script>alert(1)</script> \"><img src=x onerror=alert(2)> key {KEY}'}}}}\n"
    );
    let mut child = common::bin()
        .args(["-", "-q", "--format", "html"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(log.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("the binary ends");
    assert!(out.status.success());
    common::stdout(&out)
}

#[test]
fn markup_in_a_failure_message_shows_as_text() {
    let html = hostile_html();
    assert!(
        html.contains("<p class=\"lead\">1 failure in"),
        "the failure is found"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the message is shown, escaped"
    );
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("onerror=alert(2)>"));
    // The page's own script is its only one.
    assert_eq!(html.matches("<script>").count(), 1);
}

#[test]
fn secrets_stay_masked_in_html() {
    let html = hostile_html();
    assert!(!html.contains(KEY));
    assert!(!html.contains(&KEY[KEY.len() - 8..]));
}

#[test]
fn the_page_loads_nothing_from_elsewhere() {
    let o = common::run(&["samples/", "-q", "--format", "html"]);
    assert!(o.status.success());
    let html = common::stdout(&o);
    assert!(html.contains("default-src 'none'"), "a CSP forbids fetches");
    for attr in [
        "src=", "<link", "@import", "url(", "<iframe", "<object", "<embed",
    ] {
        assert!(!html.contains(attr), "{attr} in the page");
    }
    // Links are to documentation, followed only on a click.
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#') || href.starts_with("https://") || href.starts_with("http://"),
            "{}",
            &href[..href.len().min(60)]
        );
    }
}

#[test]
fn output_file_name_picks_html() {
    let dir = std::env::temp_dir().join(format!("logscan-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("report.html");
    let o = common::run(&[
        "samples/proxy",
        "-q",
        "-o",
        path.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success());
    let html = std::fs::read_to_string(&path).expect("report written");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(html.starts_with("<!DOCTYPE html>"));
}

#[test]
fn cards_carry_the_json_totals() {
    let json = common::report(&["samples/"]);
    let o = common::run(&["samples/", "-q", "--format", "html"]);
    let html = common::stdout(&o);
    for key in ["failures", "calls", "successes", "files", "lines_read"] {
        let want = json["summary"][key].as_u64().expect("a count");
        let needle = format!("data-total=\"{key}\">{want}<");
        assert!(html.contains(&needle), "{needle}");
    }
    // Every failure with a time stamp is one unit of some timeline mark.
    let marks: u64 = html
        .split("data-cluster=")
        .skip(1)
        .filter_map(|s| s.split("data-value=\"").nth(1))
        .filter_map(|s| s.split('"').next()?.parse::<u64>().ok())
        .sum();
    let undated = json["timeline"]["undated"].as_u64().expect("undated");
    assert_eq!(
        marks + undated,
        json["summary"]["failures"].as_u64().expect("failures")
    );
}
