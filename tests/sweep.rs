//! Monte Carlo sweeps: independence from scheduling, sharding, interruption, accuracy.

use retrofit::unstable::sketch::RELATIVE_ACCURACY;
use retrofit::unstable::sweep::seed_for;
use retrofit::{ChartFormat, ChartOptions, ChartSize, Shard, SweepConfig, SweepState};
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
const SIZE: ChartOptions = ChartOptions {
    format: ChartFormat::Png,
    size: ChartSize {
        width: 480,
        height: 270,
    },
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

// ---- merge trusts nothing: every part is checked against its manifest ----

use proptest::prelude::*;
use retrofit::unstable::output::manifest::Manifest;
use std::path::PathBuf;

/// Shards `0..count` of a `runs`-run sweep, written under `dir`.
fn shards(dir: &Path, runs: u64, count: u64) -> Vec<PathBuf> {
    (0..count)
        .map(|k| {
            let p = dir.join(format!("part{k}of{count}"));
            sweep_into(&p, &cfg(runs, 1, Some(Shard { index: k, count })));
            p
        })
        .collect()
}

/// Rewrites a part's manifest to match its edited files: a forged part, so the tests
/// reach the checks behind the checksums.
fn reseal(dir: &Path) {
    let mp = dir.join("retrofit-manifest.json");
    let old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mp).unwrap()).unwrap();
    std::fs::remove_file(&mp).unwrap();
    let fp = old["world_fingerprint"].as_str().map(String::from);
    let m = Manifest::of_dir(dir, fp).unwrap();
    std::fs::write(&mp, m.text()).unwrap();
}

/// Edits a part's sweep-state.json as JSON.
fn edit_state(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("sweep-state.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&p, serde_json::to_string(&v).unwrap() + "\n").unwrap();
}

/// Merges `parts` into `<root>/merged`, expecting a refusal that names `culprit` and
/// says `what`; nothing is written and nothing is left beside the output.
fn assert_refused(root: &Path, parts: &[PathBuf], culprit: &Path, what: &str) {
    let out = root.join("merged");
    let before: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let e = retrofit::merge(parts, &out, SIZE)
        .expect_err("must refuse")
        .to_string();
    assert!(
        e.contains(&culprit.display().to_string()),
        "names {culprit:?}: {e}"
    );
    assert!(e.contains(what), "says `{what}`: {e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    let after: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "merge wrote nothing");
}

/// Copies a part folder.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

// Regression (issue 11): shortening `aggregate.cumulative_cash_usd` in part 0 panicked
// (index out of bounds); in a later part it merged silently into wrong percentiles.
#[test]
fn a_shortened_aggregate_is_refused_in_any_part_without_a_panic() {
    for damaged in 0..2 {
        let d = tempfile::tempdir().unwrap();
        let parts = shards(d.path(), 40, 2);
        edit_state(&parts[damaged], |v| {
            v["aggregate"]["cumulative_cash_usd"]
                .as_array_mut()
                .unwrap()
                .truncate(10);
        });
        assert_refused(
            d.path(),
            &parts,
            &parts[damaged].join("sweep-state.json"),
            "changed",
        );
        reseal(&parts[damaged]);
        assert_refused(
            d.path(),
            &parts,
            &parts[damaged].join("sweep-state.json"),
            "10 entries",
        );
    }
}

// Regression (issue 11): a part whose runs.csv was emptied, duplicated or given foreign
// rows merged with exit 0 (11 lines while reporting runs_completed 20).
#[test]
fn a_part_whose_runs_were_emptied_duplicated_or_replaced_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let parts = shards(d.path(), 20, 2);
    let runs = parts[1].join("runs.csv");
    let good = std::fs::read_to_string(&runs).unwrap();
    let header = good.lines().next().unwrap().to_string();
    let rows: Vec<&str> = good.lines().skip(1).collect();
    let foreign = good.replace(
        &format!("\n{},", rows[0].split(',').next().unwrap()),
        "\n0,",
    );
    let cases = [
        (format!("{header}\n"), "holds 0 runs"),
        (format!("{good}{}\n", rows[3]), "does not belong here"),
        (foreign, "does not belong here"),
    ];
    for (text, what) in cases {
        std::fs::write(&runs, &text).unwrap();
        assert_refused(d.path(), &parts, &runs, "changed since retrofit wrote it");
        reseal(&parts[1]);
        assert_refused(d.path(), &parts, &runs, what);
    }
}

// Regression (issue 11): counts near u64::MAX gave `probability_payback 1.14`.
#[test]
fn counts_that_cannot_be_true_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let parts = shards(d.path(), 20, 2);
    edit_state(&parts[0], |v| {
        let hist = v["aggregate"]["payback_by_month"].as_array_mut().unwrap();
        hist[3] = serde_json::json!(u64::MAX - 1);
    });
    reseal(&parts[0]);
    assert_refused(
        d.path(),
        &parts,
        &parts[0].join("sweep-state.json"),
        "counts more runs",
    );
    // A run cannot both pay back and never go negative: a never-negative count that
    // would make paid + never-negative exceed the runs is refused too.
    let d = tempfile::tempdir().unwrap();
    let parts = shards(d.path(), 20, 2);
    edit_state(&parts[0], |v| {
        let runs = v["aggregate"]["runs"].as_u64().unwrap();
        let paid: u64 = v["aggregate"]["payback_by_month"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        v["aggregate"]["never_negative_runs"] = serde_json::json!(runs - paid + 1);
    });
    reseal(&parts[0]);
    assert_refused(
        d.path(),
        &parts,
        &parts[0].join("sweep-state.json"),
        "never_negative_runs count more runs",
    );
    let d = tempfile::tempdir().unwrap();
    let parts = shards(d.path(), 20, 2);
    edit_state(&parts[1], |v| {
        v["aggregate"]["runs"] = serde_json::json!(u64::MAX)
    });
    reseal(&parts[1]);
    assert_refused(
        d.path(),
        &parts,
        &parts[1].join("sweep-state.json"),
        "holds 18446744073709551615 runs",
    );
}

// Regression (issue 11): `merge --out` naming one of its inputs replaced that part.
#[test]
fn merging_into_one_of_the_parts_is_refused_and_the_part_kept() {
    let d = tempfile::tempdir().unwrap();
    let parts = shards(d.path(), 10, 2);
    let before = std::fs::read(parts[1].join("runs.csv")).unwrap();
    let spelt_otherwise = d.path().join(".").join(parts[1].file_name().unwrap());
    let e = retrofit::merge(&parts, &spelt_otherwise, SIZE)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("also a part being merged"), "{e}");
    assert_eq!(std::fs::read(parts[1].join("runs.csv")).unwrap(), before);
    retrofit::unstable::output::verify(&parts[1]).unwrap();
}

/// A whole 12-run sweep and its shards for 1 to 4 shards, made once for the property
/// tests below.
fn fixture() -> &'static (tempfile::TempDir, PathBuf, Vec<Vec<PathBuf>>) {
    static F: std::sync::OnceLock<(tempfile::TempDir, PathBuf, Vec<Vec<PathBuf>>)> =
        std::sync::OnceLock::new();
    F.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let whole = d.path().join("whole");
        sweep_into(&whole, &cfg(12, 2, None));
        let by_count = (1..=4).map(|m| shards(d.path(), 12, m)).collect();
        (d, whole, by_count)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    // Issue 11: merge(shards) = unsharded, for any shard count and part order.
    #[test]
    fn merged_shards_equal_the_unsharded_sweep_in_any_order(
        count in 1usize..=4,
        order in Just(()).prop_perturb(|_, mut rng| {
            let mut v: Vec<usize> = (0..4).collect();
            for i in (1..v.len()).rev() {
                v.swap(i, rng.random_range(0..=i));
            }
            v
        }),
    ) {
        let (_, whole, by_count) = fixture();
        let parts: Vec<PathBuf> =
            order.iter().filter(|&&k| k < count).map(|&k| by_count[count - 1][k].clone()).collect();
        let out = tempfile::tempdir().unwrap();
        let merged = out.path().join("m");
        retrofit::merge(&parts, &merged, SIZE).unwrap();
        // Every file, the merge state and the manifest included.
        for f in entries(whole) {
            prop_assert_eq!(read(whole, &f), read(&merged, &f), "{}", f);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    // Issue 11: any single-byte corruption of any file of a part is refused.
    #[test]
    fn any_single_byte_corruption_of_a_part_is_refused(
        file in 0usize..7,
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        which in 0usize..2,
    ) {
        let (_, _, by_count) = fixture();
        let d = tempfile::tempdir().unwrap();
        let parts: Vec<PathBuf> = by_count[1]
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let to = d.path().join(format!("p{k}"));
                copy_dir(p, &to);
                to
            })
            .collect();
        let mut names = entries(&parts[which]);
        names.sort();
        let victim = parts[which].join(&names[file % names.len()]);
        let mut bytes = std::fs::read(&victim).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        std::fs::write(&victim, &bytes).unwrap();
        let out = d.path().join("m");
        let e = retrofit::merge(&parts, &out, SIZE).err();
        prop_assert!(e.is_some(), "{:?} byte {} ^ {:#x} was merged", victim, i, flip);
        let e = e.unwrap().to_string();
        prop_assert!(e.contains(&parts[which].display().to_string()), "{}", e);
        prop_assert!(!out.exists());
    }
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// A sweep counts the runs whose cumulative cash never goes negative apart: they have
/// nothing to pay back, so they are neither "paid back in month one" nor "never paid
/// back", and the payback percentiles leave them out.
#[test]
fn runs_that_never_go_negative_are_counted_apart_from_paybacks() {
    let s = Arc::new(retrofit::load("worlds/keep-mining.ron").unwrap());
    let d = tempfile::tempdir().unwrap();
    let c = cfg(6, 2, None);
    let stop = Arc::new(AtomicBool::new(false));
    let (_, st) = retrofit::sweep(s.clone(), &c, d.path(), stop, || {}, SIZE).unwrap();
    // Replay every run alone and count what the sweep should have counted.
    let (mut never_negative, mut paid) = (0, 0);
    for i in 0..c.runs {
        let r = retrofit::run(&s, Some(seed_for(c.seed, i))).unwrap();
        if r.ledger.iter().all(|m| m.cumulative_cash_usd >= 0.0) {
            never_negative += 1;
            assert_eq!(r.summary.payback_month, None);
        } else if r.summary.payback_month.is_some() {
            paid += 1;
        }
    }
    assert!(
        never_negative > 0,
        "keep-mining has runs that never go negative"
    );
    let agg = &st.aggregate;
    assert_eq!(agg.never_negative_runs, never_negative);
    assert_eq!(agg.payback_by_month.iter().sum::<u64>(), paid);
    let sum = st.summary();
    let share = |n: u64| n as f64 / c.runs as f64;
    assert_eq!(
        sum.probability_cumulative_cash_never_negative,
        share(never_negative)
    );
    assert_eq!(sum.probability_payback_within_horizon, share(paid));
    if never_negative == c.runs {
        // Nothing to pay back in any run: no payback month at any percentile.
        assert_eq!(sum.payback_month.p10, None);
        assert_eq!(sum.payback_month.p90, None);
    }
    let json: serde_json::Value = serde_json::from_slice(&read(d.path(), "summary.json")).unwrap();
    assert_eq!(
        json["probability_cumulative_cash_never_negative"],
        share(never_negative)
    );
}
