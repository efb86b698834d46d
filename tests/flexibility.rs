//! Flexibility in `compare` and firm GPU-hall energy on the hourly shape (issue 13).

mod common;
#[path = "common/outputs.rs"]
mod outputs;

use outputs::{read, run_ok};
use retrofit::unstable::sketch::Sketch;
use std::collections::HashMap;
use std::path::Path;

const WORLDS: [&str; 2] = [
    "worlds/keep-mining-market.ron",
    "worlds/reference-market.ron",
];
const RUNS: &str = "5";
const SEED: &str = "11";

/// `compare.csv` (or `runs.csv`) as one map of column → cell per row.
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = read(path);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn number(row: &HashMap<String, String>, column: &str) -> f64 {
    let cell = &row[column];
    cell.parse()
        .unwrap_or_else(|_| panic!("{column} should be a number, is `{cell}`"))
}

/// What a sweep of `world` wrote: each run's net flexibility value, recomputed by
/// replaying the run from the seed `runs.csv` gives it, and the sweep's `summary.json`.
fn sweep_values(world: &str, out: &Path) -> (Vec<f64>, serde_json::Value) {
    run_ok(
        [
            "sweep", world, "--runs", RUNS, "--seed", SEED, "--jobs", "1", "--charts", "none",
            "--out",
        ]
        .map(String::from)
        .into_iter()
        .chain([out.display().to_string()]),
    );
    let s = retrofit::load(world).unwrap();
    let values = csv_rows(&out.join("runs.csv"))
        .iter()
        .map(|run| {
            let seed: u64 = run["seed"].parse().unwrap();
            let r = retrofit::run(&s, Some(seed)).unwrap();
            let f = r
                .summary
                .flexibility
                .expect("market worlds total flexibility");
            // The value is the ledger's columns, netted.
            let by_hand = f.dr_credits_usd + f.peak_charges_avoided_usd
                - f.peak_charges_paid_usd
                - f.sla_credits_usd;
            assert_eq!(f.net_value_usd(), by_hand);
            // The replay is the sweep's run: same NPV to the bit.
            assert_eq!(r.summary.npv_usd, number(run, "npv_usd"));
            by_hand
        })
        .collect();
    (values, outputs::summary(out))
}

#[test]
fn compare_fills_the_flexibility_columns_of_sweeps_from_the_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cmp = tmp.path().join("compare");
    let mut args: Vec<String> = ["compare"].map(String::from).to_vec();
    args.extend(WORLDS.map(String::from));
    args.extend(
        [
            "--runs", RUNS, "--seed", SEED, "--jobs", "1", "--charts", "none", "--out",
        ]
        .map(String::from),
    );
    args.push(cmp.display().to_string());
    let printed = String::from_utf8(run_ok(&args).stdout).unwrap();
    assert!(printed.contains("flex given up"), "{printed}");
    let rows = csv_rows(&cmp.join("compare.csv"));
    assert_eq!(rows.len(), 2);
    let mut p50 = Vec::new();
    for (i, (world, row)) in WORLDS.iter().zip(&rows).enumerate() {
        assert_eq!(row["runs"], RUNS);
        let (values, summary) = sweep_values(world, &tmp.path().join(format!("sweep{i}")));
        let mut sketch = Sketch::new();
        values.iter().for_each(|&v| sketch.add(v));
        let flex = &summary["flexibility_value_usd"];
        for q in ["p10", "p50", "p90"] {
            let column = format!("flexibility_value_usd_{q}");
            let got = number(row, &column);
            // compare's statistic is the sweep's own (summary.json) …
            assert_eq!(Some(got), flex[q].as_f64(), "{world} {column}");
            // … and the sketch of the replayed runs' values, as NPV's percentiles are.
            let at: f64 = q[1..].parse::<f64>().unwrap() / 100.0;
            assert_eq!(Some(got), sketch.quantile(at), "{world} {column}");
            // Within the sketch's 0.5 % of the exact nearest-rank value.
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let exact = sorted[(at * (sorted.len() - 1) as f64).floor() as usize];
            assert!(
                (got - exact).abs() <= 0.005 * exact.abs() + 1e-3,
                "{got} vs {exact}"
            );
        }
        p50.push(number(row, "flexibility_value_usd_p50"));
    }
    // The baseline gives up nothing; the retrofit gives up the difference of medians.
    assert_eq!(number(&rows[0], "flexibility_given_up_usd_p50"), 0.0);
    assert_eq!(
        number(&rows[1], "flexibility_given_up_usd_p50"),
        p50[0] - p50[1]
    );
    // Firm GPU halls pay 4CP and earn no DR: the retrofit keeps less than keep-mining.
    assert!(p50[0] > p50[1] && p50[1] < p50[0] * 0.5, "{p50:?}");
}
