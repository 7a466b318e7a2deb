//! Replays every input kept under `tests/fuzz/regressions/<target>/` (crashes the fuzzers
//! found, and a few interesting corpus inputs) through the same checks the fuzz targets run
//! (`tests/fuzz/checks.rs`), on stable Rust, so CI covers them without cargo-fuzz.

#[path = "fuzz/checks.rs"]
mod checks;

use std::path::Path;

#[test]
fn every_kept_fuzz_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions");
    let mut failed = Vec::new();
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for file in files.iter().filter(|p| p.is_file()) {
            let data = std::fs::read(file).unwrap();
            replayed += 1;
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "fuzz regressions fail: {failed:#?}");
    assert!(
        replayed > 0,
        "no fuzz regression inputs under {}",
        root.display()
    );
}
