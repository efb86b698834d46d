//! Monte Carlo sweeps: independence from scheduling, sharding, interruption, accuracy.

use retrofit::unstable::sweep::{seed_for, sketch::RELATIVE_ACCURACY};
use retrofit::{ChartSize, Shard, SweepConfig, SweepState};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

fn teaching() -> Arc<retrofit::Scenario> {
    Arc::new(retrofit::load("worlds/teaching.ron").unwrap())
}

fn cfg(runs: u64, jobs: usize, shard: Option<Shard>) -> SweepConfig {
    SweepConfig {
        runs,
        seed: 11,
        jobs,
        shard,
        handle_interrupt: false,
    }
}

/// Small charts: cheap in a debug build, and enough to compare merged with unsharded.
const SIZE: ChartSize = ChartSize {
    width: 480,
    height: 270,
};

fn sweep_into(out: &Path, c: &SweepConfig) -> SweepState {
    let stop = Arc::new(AtomicBool::new(false));
    retrofit::sweep(teaching(), c, out, stop, || {}, SIZE)
        .unwrap()
        .1
}

fn read(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()))
}

#[test]
fn outputs_do_not_depend_on_the_number_of_jobs() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("j1"), d.path().join("j3"));
    sweep_into(&a, &cfg(40, 1, None));
    sweep_into(&b, &cfg(40, 3, None));
    for f in ["runs.csv", "percentiles.csv", "summary.json"] {
        assert_eq!(
            read(&a, f),
            read(&b, f),
            "{f} differs between --jobs 1 and 3"
        );
    }
    let runs = String::from_utf8(read(&a, "runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 41);
}

#[test]
fn two_merged_shards_equal_one_sweep_byte_for_byte() {
    let d = tempfile::tempdir().unwrap();
    let whole = d.path().join("whole");
    sweep_into(&whole, &cfg(30, 2, None));
    let parts: Vec<_> = (0..2)
        .map(|k| {
            let p = d.path().join(format!("part{k}"));
            let st = sweep_into(&p, &cfg(30, 1, Some(Shard { index: k, count: 2 })));
            assert_eq!(st.aggregate.runs, 15);
            p
        })
        .collect();
    let merged = d.path().join("merged");
    // Merge order must not matter either.
    let reversed: Vec<_> = parts.iter().rev().cloned().collect();
    retrofit::merge(&reversed, &merged, SIZE).unwrap();
    // Charts are drawn from the merged aggregate, so they match byte for byte too.
    for f in [
        "runs.csv",
        "percentiles.csv",
        "summary.json",
        "fan.png",
        "payback.png",
    ] {
        assert_eq!(
            read(&whole, f),
            read(&merged, f),
            "{f} differs after merging shards"
        );
    }
    // A shard on its own is marked partial.
    let part0 = String::from_utf8(read(&parts[0], "summary.json")).unwrap();
    assert!(part0.contains("\"partial\": true"), "{part0}");
    // Merging a shard twice is refused.
    let dup = vec![parts[0].clone(), parts[0].clone()];
    assert!(retrofit::merge(&dup, &d.path().join("bad"), SIZE).is_err());
}

#[test]
fn an_interrupted_sweep_writes_what_finished_marked_partial() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("stopped");
    let stop = Arc::new(AtomicBool::new(false));
    let done = AtomicU64::new(0);
    let flag = stop.clone();
    let (_, state) = retrofit::sweep(
        teaching(),
        &cfg(500, 2, None),
        &out,
        stop,
        || {
            if done.fetch_add(1, Ordering::SeqCst) == 9 {
                flag.store(true, Ordering::SeqCst);
            }
        },
        SIZE,
    )
    .unwrap();
    assert!(state.interrupted);
    let n = state.aggregate.runs;
    assert!((10..500).contains(&n), "{n} runs completed");
    let runs = String::from_utf8(read(&out, "runs.csv")).unwrap();
    assert_eq!(runs.lines().count() as u64, n + 1);
    let summary = String::from_utf8(read(&out, "summary.json")).unwrap();
    assert!(summary.contains("\"partial\": true"));
}

#[test]
fn sweep_percentiles_match_the_runs_within_the_sketch_accuracy() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("acc");
    let state = sweep_into(&out, &cfg(101, 2, None));
    let mut r = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let mut npv: Vec<f64> = r
        .records()
        .map(|rec| rec.unwrap()[2].parse().unwrap())
        .collect();
    npv.sort_by(f64::total_cmp);
    let s = state.aggregate.summary("t", 11, 101, false);
    for (q, got) in [
        (0.1, s.npv_usd.p10),
        (0.5, s.npv_usd.p50),
        (0.9, s.npv_usd.p90),
    ] {
        let exact = npv[(q * 100.0_f64).floor() as usize];
        let got = got.unwrap();
        assert!(
            (got - exact).abs() <= RELATIVE_ACCURACY * exact.abs() * 1.0001,
            "q{q}: {got} vs {exact}"
        );
    }
}

#[test]
fn run_i_of_a_sweep_is_reproduced_by_a_single_seeded_run() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("replay");
    sweep_into(&out, &cfg(5, 2, None));
    let mut r = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let rec = r.records().nth(3).unwrap().unwrap();
    let seed: u64 = rec[1].parse().unwrap();
    assert_eq!(seed, seed_for(11, 3));
    let single = retrofit::run(&teaching(), Some(seed)).unwrap();
    assert_eq!(rec[2].parse::<f64>().unwrap(), single.summary.npv_usd);
}

#[test]
fn compare_puts_each_world_on_one_row_with_its_own_median_run() {
    let worlds: Vec<(String, Arc<retrofit::Scenario>)> =
        ["worlds/teaching.ron", "worlds/keep-mining.ron"]
            .iter()
            .map(|f| (f.to_string(), Arc::new(retrofit::load(f).unwrap())))
            .collect();
    let (rows, paths) = retrofit::compare(&worlds, None, 1, 1).unwrap();
    assert_eq!(rows.len(), 2);
    let single = retrofit::run(&worlds[0].1, None).unwrap();
    assert_eq!(rows[0].npv_usd_p50, Some(single.summary.npv_usd));
    assert_eq!(
        rows[0].first_gpu_month_p50,
        Some(retrofit::YearMonth::parse("2027-03").unwrap())
    );
    assert_eq!(rows[1].first_gpu_month_p50, None);
    assert_eq!(
        paths[0].p50.last().copied(),
        Some(single.summary.final_cumulative_cash_usd)
    );
    let csv = String::from_utf8(retrofit::unstable::compare::compare_csv(&rows).unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 3);
}

#[test]
fn an_empty_sweep_or_an_empty_shard_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let stop = || Arc::new(AtomicBool::new(false));
    let e = retrofit::sweep(
        teaching(),
        &cfg(0, 1, None),
        &d.path().join("a"),
        stop(),
        || {},
        SIZE,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("at least one run"), "{e}");
    let shard = Some(Shard { index: 7, count: 8 });
    let e = retrofit::sweep(
        teaching(),
        &cfg(3, 1, shard),
        &d.path().join("b"),
        stop(),
        || {},
        SIZE,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("holds no runs"), "{e}");
    assert!(!d.path().join("a").exists() && !d.path().join("b").exists());
}

// Regression: shards of two different worlds with the same name were merged silently.
#[test]
fn shards_of_a_different_world_are_not_merged() {
    let d = tempfile::tempdir().unwrap();
    let p0 = d.path().join("p0");
    sweep_into(&p0, &cfg(6, 1, Some(Shard { index: 0, count: 2 })));
    let text = std::fs::read_to_string("worlds/teaching.ron").unwrap();
    let edited = text.replace("Constant(40.0)", "Constant(80.0)");
    assert_ne!(edited, text);
    let other = Arc::new(retrofit::load_str(&edited, "edited").unwrap());
    let p1 = d.path().join("p1");
    let stop = Arc::new(AtomicBool::new(false));
    retrofit::sweep(
        other,
        &cfg(6, 1, Some(Shard { index: 1, count: 2 })),
        &p1,
        stop,
        || {},
        SIZE,
    )
    .unwrap();
    let e = retrofit::merge(&[p0.clone(), p1], &d.path().join("m"), SIZE)
        .err()
        .unwrap();
    assert!(e.to_string().contains("its world differs"), "{e}");
    let e = retrofit::merge(&[p0], &d.path().join("m"), SIZE)
        .err()
        .unwrap();
    assert!(e.to_string().contains("missing 1/2"), "{e}");
}
