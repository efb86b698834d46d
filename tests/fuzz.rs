//! Fuzzing the world loader and validator without nightly: arbitrary bytes and mutated
//! shipped worlds go through `retrofit::load_str`, which must return `Ok` or `Err` and
//! never panic. Valid mutants are also simulated with the audit on.
//!
//! The quick tests run in every `cargo test`. The long run is ignored by default:
//!
//! ```text
//! RETROFIT_FUZZ_SECS=600 cargo test --profile fuzz --test fuzz -- --ignored --nocapture fuzz_loader_long
//! ```
//!
//! It saves every input that panicked under `target/fuzz-findings/`; copy the minimised
//! ones into `tests/data/fuzz-regressions/`, which `regressions_replay` loads every time.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

const WORLDS: [&str; 3] = [
    include_str!("../worlds/teaching.ron"),
    include_str!("../worlds/reference.ron"),
    include_str!("../worlds/keep-mining.ron"),
];

/// Replacement numbers that probe bounds, overflow and float edge cases.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "0.0",
    "-1.0",
    "1e308",
    "-1e308",
    "1e-308",
    "NaN",
    "inf",
    "-inf",
    "1e12",
    "1000000000000",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "1e19",
    "120000",
    "1201",
    "99999999",
    "0.5",
    "1e6",
    "2.5e9",
];

/// Fragments that break structure in interesting ways.
const FRAGMENTS: &[&str] = &[
    "\"",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "Some(",
    "None",
    "#![enable(implicit_some)]",
    "r#\"",
    "é",
    "\u{0}",
    "//",
    "/*",
    "*/",
    "Water",
    "Uniform(min: 9, max: 1)",
    "LogNormal(median: 1, p90: 1e300)",
    "Triangular(min: 1, mode: 0, max: 2)",
    "\"1-2-3\"",
    "\"2026-0é-1\"",
    "\"9999-12\"",
    "\"1900-01\"",
    "capacity_mv: 1.0,",
    "ToOrder(cost_usd: 1, lead_time_weeks: 1)",
    "Decommission(\"nope\")",
    "after: [\"x\"],",
];

/// Words and punctuation of the shipped worlds, spliced into mutants.
fn tokens() -> Vec<&'static str> {
    let mut out = Vec::new();
    for w in WORLDS {
        let mut start = None;
        for (i, ch) in w.char_indices() {
            let word = ch.is_alphanumeric() || "_.-\"".contains(ch);
            match (word, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    out.push(&w[s..i]);
                    start = None;
                }
                _ => {}
            }
            if !word && !ch.is_whitespace() {
                out.push(&w[i..i + ch.len_utf8()]);
            }
        }
    }
    out
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Applies 1–4 random mutations to `text`.
fn mutate(text: &str, toks: &[&str], rng: &mut Pcg64Mcg) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.random_range(1..=4) {
        let len = s.len().max(1);
        let at = floor_char(&s, rng.random_range(0..len));
        match rng.random_range(0..8u32) {
            0 => {
                // Flip bits in one byte; keep the text UTF-8 the way a reader would see it.
                let mut b = s.into_bytes();
                if !b.is_empty() {
                    let i = at.min(b.len() - 1);
                    b[i] ^= 1 << rng.random_range(0..8u32);
                }
                s = String::from_utf8_lossy(&b).into_owned();
            }
            1 => s.truncate(at),
            2 => {
                let tok = toks[rng.random_range(0..toks.len())];
                s.insert_str(at, tok);
            }
            3 => {
                // Replace the number starting at or after `at`.
                if let Some(off) = s[at..].find(|c: char| c.is_ascii_digit()) {
                    let from = at + off;
                    let to = s[from..]
                        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e'))
                        .map_or(s.len(), |e| from + e);
                    let n = NUMBERS[rng.random_range(0..NUMBERS.len())];
                    s.replace_range(from..to, n);
                }
            }
            4 => {
                let f = FRAGMENTS[rng.random_range(0..FRAGMENTS.len())];
                s.insert_str(at, f);
            }
            5 => {
                let to = floor_char(&s, at + rng.random_range(0..200usize));
                s.replace_range(at..to, "");
            }
            6 => {
                // Duplicate a range (duplicate ids, repeated fields).
                let to = floor_char(&s, at + rng.random_range(0..400usize));
                let piece = s[at..to].to_string();
                s.insert_str(to, &piece);
            }
            _ => {
                // Replace a token by another token of the shipped worlds.
                let tok = toks[rng.random_range(0..toks.len())];
                let to = s[at..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(s.len(), |e| at + e);
                s.replace_range(at..to, tok);
            }
        }
    }
    s
}

/// Loads `text`, and simulates it when valid; `Err(message)` if anything panicked.
fn exercise(text: &str, simulate: bool) -> Result<bool, String> {
    catch_unwind(AssertUnwindSafe(|| {
        match retrofit::load_str(text, "fuzz") {
            Ok(s) => {
                if simulate {
                    let opts = retrofit::RunOptions {
                        record_events: false,
                        audit: true,
                    };
                    retrofit::run_with(&s, None, opts).expect("a valid world must run");
                    retrofit::run_with(&s, Some(1), opts).expect("a valid world must run");
                }
                true
            }
            Err(e) => {
                assert!(!e.to_string().is_empty(), "an error must say something");
                false
            }
        }
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

#[test]
fn shipped_worlds_survive_the_harness() {
    for w in WORLDS {
        assert_eq!(exercise(w, false), Ok(true));
    }
}

#[test]
fn mutated_worlds_never_panic() {
    let toks = tokens();
    let mut rng = Pcg64Mcg::seed_from_u64(0x5eed);
    for i in 0..1500 {
        let text = mutate(WORLDS[i % WORLDS.len()], &toks, &mut rng);
        if let Err(p) = exercise(&text, false) {
            panic!("loader panicked ({p}) on:\n{text}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(exercise(&text, false).is_ok());
    }

    #[test]
    fn arbitrary_text_after_world_prefix_never_panics(cut in 0usize..4000, tail in ".{0,64}") {
        let w = WORLDS[0];
        let cut = floor_char(w, cut);
        let text = format!("{}{tail}", &w[..cut]);
        prop_assert!(exercise(&text, false).is_ok());
    }
}

/// Replays every saved input that once panicked; each must now load as an error.
#[test]
fn regressions_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("regression corpus") {
        let path = entry.unwrap().path();
        let r = catch_unwind(|| retrofit::load(&path));
        match r {
            Ok(Ok(_)) => panic!("{} loaded as valid", path.display()),
            Ok(Err(e)) => assert!(!e.to_string().is_empty()),
            Err(_) => panic!("{} panicked", path.display()),
        }
        n += 1;
    }
    assert!(n > 0, "the regression corpus is empty");
}

/// The long fuzz run: `RETROFIT_FUZZ_SECS` (default 600) of mutants and random bytes,
/// `RETROFIT_FUZZ_SEED` to vary the stream.
#[test]
#[ignore]
fn fuzz_loader_long() {
    let secs: u64 = std::env::var("RETROFIT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let seed: u64 = std::env::var("RETROFIT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    std::panic::set_hook(Box::new(|_| {}));
    let toks = tokens();
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut execs, mut valid, mut panics) = (0u64, 0u64, Vec::new());
    while Instant::now() < deadline {
        for _ in 0..64 {
            let text = if rng.random_range(0..10u32) == 0 {
                let n = rng.random_range(0..512usize);
                let b: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                String::from_utf8_lossy(&b).into_owned()
            } else {
                let base = WORLDS[rng.random_range(0..WORLDS.len())];
                mutate(base, &toks, &mut rng)
            };
            // Simulating every valid mutant is slow; one in eight keeps the engine honest.
            let simulate = rng.random_range(0..8u32) == 0;
            match exercise(&text, simulate) {
                Ok(true) => valid += 1,
                Ok(false) => {}
                Err(msg) => {
                    std::fs::create_dir_all(&out).unwrap();
                    let name = format!("panic-{execs}.ron");
                    std::fs::write(out.join(&name), &text).unwrap();
                    panics.push(format!("{name}: {msg}"));
                }
            }
            execs += 1;
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "fuzz: {execs} executions in {secs} s (seed {seed}), {valid} valid worlds, {} panics",
        panics.len()
    );
    for p in &panics {
        println!("  {p}");
    }
    assert!(panics.is_empty(), "{} inputs panicked", panics.len());
}
