//! Report behaviour users rely on: filters, grouping, the timeline and its bursts, output files.

use crate::common;

fn count(args: &[&str]) -> usize {
    common::events(args).len()
}

#[test]
fn filters_narrow_the_failures() {
    let all = count(&["samples/proxy"]);
    assert!(all > 20);
    let s429 = count(&["samples/proxy", "--status", "429"]);
    let s5xx = count(&["samples/proxy", "--status", "5xx"]);
    let none = count(&["samples/proxy", "--status", "none"]);
    assert_eq!(s429, 5);
    assert!(s5xx > 0 && s5xx < all);
    assert_eq!(none, 3);
    for e in common::events(&["samples/proxy", "--status", "5xx"]) {
        assert_eq!(e["status"].as_u64().unwrap() / 100, 5);
    }
    for e in common::events(&["samples/proxy", "--cluster", "timeout,connection"]) {
        let c = e["cluster"].as_str().unwrap();
        assert!(c == "timeout" || c == "connection", "{c}");
    }
    // Relative times are read against --now; absolute ones stand alone.
    let since = count(&[
        "samples/proxy",
        "--now",
        "2025-10-02T16:40:00Z",
        "--since",
        "15m",
    ]);
    let until = count(&["samples/proxy", "--until", "2025-10-02T16:25:00Z"]);
    let both = count(&["samples/proxy", "--since", "2025-10-02T16:25:00Z"]);
    assert_eq!(
        until + both,
        all,
        "since/until split the span without loss or overlap"
    );
    assert!(since > 0 && since < all);
    for e in common::events(&["samples/proxy", "--since", "2025-10-02T16:25:00Z"]) {
        assert!(e["timestamp"].as_str().unwrap() >= "2025-10-02T16:25:00");
    }
    // Bedrock ids and API ids normalise to one model key.
    let sonnet4 = common::events(&["samples/proxy", "--model", "claude-sonnet-4-20250514"]);
    assert_eq!(sonnet4.len(), 1);
    assert_eq!(
        sonnet4[0]["model"],
        "us.anthropic.claude-sonnet-4-20250514-v1:0"
    );
    let bad = common::run(&["samples/proxy", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn by_dimensions_group_the_csv_rows() {
    let o = common::run(&["samples/proxy", "-q", "--format", "csv", "--by", "status"]);
    let text = common::stdout(&o);
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("schema_version,status,count,share,calls,"));
    let total: u64 = lines
        .map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total as usize, count(&["samples/proxy"]));
    let o = common::run(&[
        "samples/proxy",
        "-q",
        "--format",
        "csv",
        "--by",
        "provider,hour",
    ]);
    assert!(common::stdout(&o).starts_with("schema_version,provider,hour,count"));
}

#[test]
fn fail_on_conditions() {
    let code = |c: &str| {
        common::run(&["samples/proxy", "-q", "--fail-on", c])
            .status
            .code()
    };
    assert_eq!(code("any"), Some(1));
    assert_eq!(code("529"), Some(1));
    assert_eq!(code("overloaded"), Some(1));
    assert_eq!(code("overloaded_error"), Some(1));
    assert_eq!(code("rate>50%"), Some(1));
    assert_eq!(code("rate>0.99"), Some(0));
    assert_eq!(code("billing,batch"), Some(0));
    assert_eq!(code("rate>"), Some(2));
}

#[test]
fn timeline_flags_a_burst_above_the_cluster_baseline() {
    let dir = common::temp_dir("burst");
    let mut text = String::new();
    // One 529 every ten minutes for five hours, then a wave of 30 in one hour.
    for i in 0..30 {
        let (h, m) = (10 + i / 6, (i % 6) * 10);
        text.push_str(&format!(
            "10.0.0.1 - - [02/Oct/2025:{h:02}:{m:02}:00 +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"x\"\n"
        ));
    }
    for s in 0..30 {
        text.push_str(&format!(
            "10.0.0.1 - - [02/Oct/2025:15:20:{s:02} +0000] \"POST /v1/messages HTTP/1.1\" 529 97 \"-\" \"x\"\n"
        ));
    }
    std::fs::write(dir.join("access.log"), text).unwrap();
    let r = common::report(&[dir.to_str().unwrap()]);
    let tl = &r["timeline"];
    assert_eq!(tl["bucket"], "hour");
    assert_eq!(tl["peak"]["start"], "2025-10-02T15:00:00Z");
    assert_eq!(tl["peak"]["total"], 30);
    let bursts = tl["bursts"].as_array().unwrap();
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    assert_eq!(bursts[0]["cluster"], "overloaded");
    assert_eq!(bursts[0]["start"], "2025-10-02T15:00:00Z");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn output_and_events_files_in_one_pass() {
    let dir = common::temp_dir("outfiles");
    let report = dir.join("report.md");
    let events = dir.join("events.csv");
    let o = common::run(&[
        "samples/proxy",
        "-q",
        "--format",
        "markdown",
        "-o",
        report.to_str().unwrap(),
        "--events-out",
        events.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.starts_with("# Claude API failures"));
    let csv = std::fs::read_to_string(&events).unwrap();
    assert_eq!(csv.lines().count(), count(&["samples/proxy"]) + 1);
    assert!(csv.starts_with("timestamp,file,line,entry,"));
    std::fs::remove_dir_all(dir).unwrap();
}
