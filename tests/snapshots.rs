//! Snapshots of every output format on the proxy and HAR samples, and of `--help`, so that any
//! change to what users see shows up in review. Update with `INSTA_UPDATE=always cargo test`
//! (or `cargo insta review`) and read the diff before committing.

use crate::common;

/// A snapshot under `snapshots__NAME`, the name it kept when these tests moved into the one
/// test binary (insta would otherwise prefix the binary's module path).
macro_rules! snap {
    ($name:literal, $value:expr) => {
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(concat!("snapshots__", $name), $value);
        })
    };
}

fn output(args: &[&str]) -> String {
    let o = common::run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::stdout(&o).replace("\r\n", "\n")
}

const INPUTS: [&str; 2] = ["samples/proxy", "samples/har"];

fn with_inputs<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = INPUTS.to_vec();
    v.push("-q");
    v.extend_from_slice(extra);
    v
}

#[test]
fn table() {
    snap!("table", output(&with_inputs(&[])));
}

/// Every row and every fix, one flag away from the default.
#[test]
fn table_full() {
    snap!("table_full", output(&with_inputs(&["--full"])));
}

/// The default report over all the samples, as a new user first sees it: about two screens at
/// 120 columns, no identifier split inside a cell.
#[test]
fn table_all_samples() {
    let out = output(&["samples/", "-q"]);
    assert!(out.lines().count() <= 150, "{} lines", out.lines().count());
    for line in out.lines() {
        assert!(line.chars().count() <= 120, "{line}");
    }
    snap!("table_all_samples", out);
}

#[test]
fn markdown() {
    snap!("markdown", output(&with_inputs(&["--format", "markdown"])));
}

#[test]
fn html() {
    snap!("html", output(&with_inputs(&["--format", "html"])));
}

#[test]
fn csv() {
    snap!("csv", output(&with_inputs(&["--format", "csv"])));
}

#[test]
fn csv_by_model_and_hour() {
    snap!(
        "csv_by_model_and_hour",
        output(&with_inputs(&["--format", "csv", "--by", "model,hour"]))
    );
}

#[test]
fn json() {
    snap!("json", output(&with_inputs(&["--format", "json"])));
}

#[test]
fn events_ndjson() {
    snap!("events_ndjson", output(&with_inputs(&["--events"])));
}

#[test]
fn events_csv() {
    snap!(
        "events_csv",
        output(&with_inputs(&["--events", "--format", "csv"]))
    );
}

#[test]
fn help() {
    snap!("help", output(&["--help"]));
}
