#![no_main]

// See `checks.rs` for what this target checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::timestamps(data));
