//! Throughput benchmark: parse (per input file, one thread), classify, and end to end (all
//! threads), in MB/s, on a corpus made by `examples/gen_corpus.rs`; checks the failure counts
//! against the corpus's `truth.json`. Not run in CI.
//!
//!     cargo run --release --example gen_corpus -- target/corpus 1024
//!     CORPUS=target/corpus cargo bench --bench throughput

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::FixedOffset;
use claude_logscan::catalog::Catalog;
use claude_logscan::input::{scan, ScanOptions};
use claude_logscan::{analyze, Config, Filters, Format};

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1_048_576.0 / secs.max(1e-9)
}

fn main() {
    let dir = PathBuf::from(std::env::var("CORPUS").unwrap_or_else(|_| "target/corpus".into()));
    if !dir.join("truth.json").exists() {
        eprintln!(
            "no corpus in {}: run `cargo run --release --example gen_corpus -- {} 1024` first",
            dir.display(),
            dir.display()
        );
        std::process::exit(2);
    }
    let catalog = Catalog::load(&[] as &[&Path]).expect("catalog");
    let opts = ScanOptions::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "truth.json"))
        .collect();
    files.sort();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let mut total_bytes = 0;
    let mut all_failures = Vec::new();
    let mut per_file = Vec::new();
    println!(
        "{:<22} {:>10} {:>10} {:>10}",
        "parse (1 thread)", "MB", "s", "MB/s"
    );
    for f in &files {
        let bytes = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        total_bytes += bytes;
        let t = Instant::now();
        let mut reader =
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(f).unwrap());
        let s = scan(&f.display().to_string(), &mut reader, &opts);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{:<22} {:>10.1} {:>10.3} {:>10.1}",
            f.file_name().unwrap().to_string_lossy(),
            bytes as f64 / 1_048_576.0,
            secs,
            mb_per_s(bytes, secs)
        );
        // Failures per effective status in this file alone, against the file's truth.
        let mut by_status = std::collections::BTreeMap::<String, u64>::new();
        for r in &s.failures {
            let k = r
                .effective_status()
                .map_or("none".into(), |st| st.to_string());
            *by_status.entry(k).or_default() += 1;
        }
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if let Some(t) = truth["files"].get(&name) {
            let expected: std::collections::BTreeMap<String, u64> =
                serde_json::from_value(t["status"].clone()).unwrap();
            per_file.push((name, by_status == expected, by_status, expected));
        }
        all_failures.extend(s.failures);
    }
    for (name, same, got, expected) in &per_file {
        if *same {
            println!("{name}: failures per status match truth.json");
        } else {
            println!("{name}: failures per status DIFFER from truth.json:\n  got      {got:?}\n  expected {expected:?}");
        }
    }
    let n = all_failures.len();
    let t = Instant::now();
    let utc = FixedOffset::east_opt(0).unwrap();
    for r in all_failures {
        std::hint::black_box(claude_logscan::classify::classify(
            "bench", r, &catalog, utc,
        ));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "classify: {n} failures in {secs:.3} s ({:.0} failures/s)",
        n as f64 / secs.max(1e-9)
    );

    let cfg = Config {
        paths: vec![dir.display().to_string()],
        format: Format::Json,
        events: false,
        threads: None,
        tz: utc,
        catalog,
        scan: opts,
        by: vec!["cluster".into(), "signature".into()],
        filters: Filters::default(),
        fail_on: Vec::new(),
        width: None,
        full: false,
        progress: false,
    };
    let t = Instant::now();
    let a = analyze(&cfg).expect("analyze");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "end to end (all threads): {:.1} MB in {secs:.3} s = {:.1} MB/s, {} failures",
        total_bytes as f64 / 1_048_576.0,
        mb_per_s(total_bytes, secs),
        a.report.summary.failures
    );
    let by_status: std::collections::BTreeMap<String, u64> = a
        .report
        .by_status
        .iter()
        .map(|g| (g.keys[0].clone().unwrap_or_else(|| "none".into()), g.count))
        .collect();
    let expected: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(truth["status"].clone()).unwrap();
    if by_status == expected {
        println!("counts per status match truth.json");
    } else {
        println!("counts per status DIFFER from truth.json:\n  got      {by_status:?}\n  expected {expected:?}");
    }
}
