//! Golden outputs: the byte-for-byte safety net for every refactor.
//!
//! Each test runs the binary as a user would and compares what it wrote with the files
//! under `tests/golden/`. Text outputs (CSV, JSON) are kept whole so a failing diff is
//! readable; charts are kept as SHA-256 digests (`charts.sha256`) to keep the repository
//! small while still catching a single changed pixel.
//!
//! When a change is *meant* to alter an output, regenerate with
//! `RETROFIT_BLESS=1 cargo test --test golden` and say in the commit which figures
//! changed and why a planner should believe the new ones.

mod common;

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const TEXT_RUN: [&str; 3] = ["ledger.csv", "events.csv", "summary.json"];
const PNG_RUN: [&str; 5] = [
    "power.png",
    "revenue.png",
    "cash.png",
    "timeline.png",
    "market.png",
];
/// Run charts drawn only for worlds that have what they show (digested when present).
const PNG_RUN_EXTRA: [&str; 1] = ["finance.png"];
const TEXT_SWEEP: [&str; 3] = ["runs.csv", "percentiles.csv", "summary.json"];
const PNG_SWEEP: [&str; 2] = ["fan.png", "payback.png"];

fn golden_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(case)
}

fn retrofit(args: &[&str]) {
    let o = common::retrofit()
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        o.status.success(),
        "retrofit {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn digests(dir: &Path, pngs: &[&str]) -> String {
    let mut s = String::new();
    for f in pngs {
        let bytes = std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        let _ = writeln!(s, "{:x}  {f}", Sha256::digest(&bytes));
    }
    s
}

/// Compares (or, with `RETROFIT_BLESS=1`, records) one output folder.
fn check(case: &str, produced: &Path, texts: &[&str], pngs: &[&str]) {
    let golden = golden_dir(case);
    let mut produced_files: Vec<(String, Vec<u8>)> = texts
        .iter()
        .map(|f| {
            let bytes = std::fs::read(produced.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f.to_string(), bytes)
        })
        .collect();
    produced_files.push(("charts.sha256".into(), digests(produced, pngs).into_bytes()));
    if std::env::var_os("RETROFIT_BLESS").is_some() {
        std::fs::create_dir_all(&golden).unwrap();
        for (f, bytes) in &produced_files {
            std::fs::write(golden.join(f), bytes).unwrap();
        }
        return;
    }
    for (f, bytes) in &produced_files {
        let want = std::fs::read(golden.join(f))
            .unwrap_or_else(|e| panic!("golden {case}/{f}: {e} (bless with RETROFIT_BLESS=1)"));
        if &want != bytes {
            let (w, g) = (
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(bytes),
            );
            let first = w
                .lines()
                .zip(g.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| w.lines().count().min(g.lines().count()));
            panic!(
                "{case}/{f} differs from the golden file at line {}:\n  golden:   {}\n  produced: {}",
                first + 1,
                w.lines().nth(first).unwrap_or("<end of file>"),
                g.lines().nth(first).unwrap_or("<end of file>"),
            );
        }
    }
}

fn run_case(world: &str, seed: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let path = format!("worlds/{world}.ron");
    let mut args = vec!["run", path.as_str(), "--out", out.to_str().unwrap()];
    if let Some(s) = seed {
        args.extend(["--seed", s]);
    }
    retrofit(&args);
    let case = match seed {
        Some(s) => format!("{world}-seed{s}"),
        None => format!("{world}-median"),
    };
    let pngs: Vec<&str> = PNG_RUN
        .iter()
        .chain(PNG_RUN_EXTRA.iter().filter(|f| out.join(f).exists()))
        .copied()
        .collect();
    check(&case, &out, &TEXT_RUN, &pngs);
}

macro_rules! golden_runs {
    ($($name:ident: $world:literal, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            run_case($world, $seed);
        }
    )*};
}

golden_runs! {
    teaching_median: "teaching", None;
    teaching_seed7: "teaching", Some("7");
    reference_median: "reference", None;
    reference_seed7: "reference", Some("7");
    keep_mining_median: "keep-mining", None;
    keep_mining_seed7: "keep-mining", Some("7");
    full_pivot_median: "full-pivot", None;
    full_pivot_seed7: "full-pivot", Some("7");
    financed_median: "financed", None;
    financed_seed7: "financed", Some("7");
    refresh_fleet_median: "refresh-fleet", None;
    refresh_fleet_seed7: "refresh-fleet", Some("7");
    reference_market_median: "reference-market", None;
    reference_market_seed7: "reference-market", Some("7");
}

#[test]
fn reference_sweep_200_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    retrofit(&[
        "sweep",
        "worlds/reference.ron",
        "--runs",
        "200",
        "--seed",
        "1",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    check("reference-sweep200", &out, &TEXT_SWEEP, &PNG_SWEEP);
}
