//! Embeds every `patterns/*.toml` into the binary, so it works anywhere and a new cluster file
//! needs no code change. The catalog's own examples are checked by `cargo test`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // The manifest dir of this build (read when the script runs, not when it was compiled:
    // one compiled script may serve several checkouts sharing a target dir).
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("patterns");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => panic!("cannot read the catalog in {}: {e}", dir.display()),
    };
    if files.is_empty() {
        panic!(
            "no patterns/*.toml in {}: the catalog would be empty",
            dir.display()
        );
    }
    files.sort();
    let mut code = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let _ = writeln!(
            code,
            "    ({stem:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("builtin_patterns.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
