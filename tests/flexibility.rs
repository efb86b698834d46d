//! Flexibility in `compare` and firm GPU-hall energy on the hourly shape (issue 13).

mod common;
#[path = "common/money.rs"]
mod money;
#[path = "common/outputs.rs"]
mod outputs;

use money::cents;

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
    // Firm GPU halls earn no DR and avoid no 4CP (their pass-through tenants pay their
    // share of the tag with their power): the retrofit, with fewer miners, keeps less.
    assert!(p50[0] > p50[1] && p50[1] > 0.0, "{p50:?}");
}

/// `worlds/reference-market.ron` with each `(from, to)` text replaced (every match).
fn reference_market_with(edits: &[(&str, &str)]) -> retrofit::Scenario {
    let mut text = read("worlds/reference-market.ron");
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    retrofit::load_str(&text, "reference-market.ron").unwrap()
}

const SHIPPED_SHAPE: &str = "shape: Ercot2024, mean_follows_site_price: true";
/// The halls' leases bill the site for their power (no pass-through to the tenant).
const NO_PASS_THROUGH: (&str, &str) = ("power_pass_through: true", "power_pass_through: false");
/// Without the idle-fleet sale: the miners stay installed, so the site stays a large load
/// (SB 6's 75 MW) and every month of 2029–2036 prices the halls the same way. (On the
/// two-level curve the S21s go idle after the 2032 halving and the world's sale rule
/// would sell them in November 2032, leaving 50 MW of halls below the threshold.)
const KEEP_FLEET: (&str, &str) = ("sell_idle_asics_after_months: 6,", "");
const CURTAIL: (&str, &str) = (
    "firm_response: BackupGeneration",
    "firm_response: CurtailWithSlaCredits",
);

/// Per month with both GPU halls at full load (38.808 MW IT, PUE 1.3) and their leases
/// in force: the hours, the halls' energy as finance priced it (its energy cost less the
/// miners' hourly-priced electricity × uptime 0.97) and as the ledger did (its energy
/// cost less the miners').
fn hall_energy(s: &retrofit::Scenario) -> Vec<(String, f64, f64, f64)> {
    let r = retrofit::run(s, None).unwrap();
    let fin = r
        .finance
        .expect("the reference world has a finance section");
    r.ledger
        .iter()
        .zip(&fin.rows)
        .filter(|(row, _)| {
            let y = row.month.year;
            (2029..=2036).contains(&y) && (row.gpu_it_mw - 38.808).abs() < 1e-9
        })
        .map(|(row, f)| {
            let flex = row.flexibility.expect("hourly world");
            let hours = f64::from(row.month.days()) * 24.0;
            (
                row.month.to_string(),
                hours,
                f.energy_cost_usd - flex.flexible_energy_cost_usd * 0.97,
                row.energy_cost_usd - flex.flexible_energy_cost_usd,
            )
        })
        .collect()
}

/// The GPU halls' facility power, MW: 38.808 MW of IT at PUE 1.3.
const HALLS_MW: f64 = 38.808 * 1.3;

#[test]
fn firm_halls_pay_the_time_weighted_mean_of_a_two_level_curve() {
    // 8,000 h at $30 and 760 h at $300 a year: mean 468,000 / 8,760 = $53.42/MWh,
    // against the site's flat $40.
    let two_level = "shape: DurationCurve([(usd_per_mwh: 30.0, hours_per_year: 8000.0), \
                     (usd_per_mwh: 300.0, hours_per_year: 760.0)]), mean_follows_site_price: false";
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    let s = reference_market_with(&[(SHIPPED_SHAPE, two_level), NO_PASS_THROUGH, KEEP_FLEET]);
    let months = hall_energy(&s);
    assert!(months.len() > 24, "{} months", months.len());
    for (month, hours, finance, ledger) in &months {
        let want = HALLS_MW * hours * 468_000.0 / 8_760.0;
        assert!(
            close(*finance, want),
            "{month}: finance {finance} vs {want}"
        );
        assert!(close(*ledger, want), "{month}: ledger {ledger} vs {want}");
    }
    // Curtailing under SB 6: 20 h/yr × hours/8,760 a month, all at $300 (the top 760 h),
    // so each MW pays (468,000 − 20 × 300) / 8,760 per hour of the month.
    let s = reference_market_with(&[
        (SHIPPED_SHAPE, two_level),
        NO_PASS_THROUGH,
        CURTAIL,
        KEEP_FLEET,
    ]);
    for (month, hours, finance, ledger) in hall_energy(&s) {
        let want = HALLS_MW * hours * 462_000.0 / 8_760.0;
        assert!(close(finance, want), "{month}: finance {finance} vs {want}");
        assert!(close(ledger, want), "{month}: ledger {ledger} vs {want}");
    }
    // With power passed through, the tenant bears it all: the site pays none of it.
    let s = reference_market_with(&[(SHIPPED_SHAPE, two_level), KEEP_FLEET]);
    for (month, _, finance, ledger) in hall_energy(&s) {
        assert!(finance.abs() < 1e-6 && ledger.abs() < 1e-6, "{month}");
    }
}

#[test]
fn following_the_site_price_the_firm_price_is_the_flat_price() {
    // The shipped world scales each month's ERCOT shape to the site's $40: its mean, what
    // a firm hall pays, is $40 up to rounding; the spikes only move the miners' bill.
    let r = retrofit::run(
        &retrofit::load("worlds/reference-market.ron").unwrap(),
        None,
    )
    .unwrap();
    // The printed summary states the net value compare sets against keep mining.
    let net = r.summary.flexibility.unwrap().net_value_usd();
    let text = retrofit::text::summary(&r);
    let line = format!("flexibility value     {} net", retrofit::text::usd(net));
    assert!(text.contains(&line), "{text}");
    for row in &r.ledger {
        let f = row.flexibility.unwrap();
        assert!(
            (f.firm_usd_per_mwh - 40.0).abs() < 1e-9,
            "{}: {}",
            row.month,
            f.firm_usd_per_mwh
        );
    }
}

/// docs/model.md, "Firm load on the hourly shape": July 2030 of the reference retrofit.
#[test]
fn the_worked_firm_month_in_the_model_reference_matches_the_engine() {
    let own_mean = (
        "mean_follows_site_price: true",
        "mean_follows_site_price: false",
    );
    let hours = 744.0;
    let mwh = HALLS_MW * hours;
    // The shipped year: Σ price × hours = 280,320 over 8,760 h.
    let year_cost = 5.0 * 1_000.0
        + 25.0 * 4_736.0
        + 30.0 * 2_264.0
        + 60.0 * 600.0
        + 150.0 * 120.0
        + 500.0 * 30.0
        + 2_000.0 * 10.0;
    assert_eq!(year_cost, 280_320.0);
    let mean = year_cost / 8_760.0;
    let firm = mwh * mean;
    let flat = mwh * 40.0;
    // SB 6 by curtailing: the dearest h_e hours, 10/8,760 of them at $2,000, the rest at $500.
    let h_e = 20.0 * hours / 8_760.0;
    let top = 10.0 * hours / 8_760.0;
    let saved_per_mw = top * 2_000.0 + (h_e - top) * 500.0;
    let p_firm = (mean * hours - saved_per_mw) / hours;
    let curtailed = HALLS_MW * (mean * hours - saved_per_mw);
    let rent = 38_808.0 * 134.5;
    let credits = rent * h_e / 30.0;
    let page = read("docs/model.md");
    for (v, what) in [
        (mwh, "MWh"),
        (firm, "firm energy at the mean"),
        (flat, "at the flat price"),
        (saved_per_mw, "saved per MW"),
        (curtailed, "firm energy when curtailing"),
        (HALLS_MW * saved_per_mw, "saved"),
        (rent, "rent"),
        (credits, "SLA credits"),
        (firm - curtailed - credits, "curtailing against backup"),
    ] {
        let text = cents(v);
        let text = if what == "MWh" {
            text[1..].to_string()
        } else {
            text
        };
        assert!(
            page.contains(&format!("**{text}")) || page.contains(&text),
            "{what}: {text}"
        );
    }
    assert!(
        page.contains(&format!("**${:.2}**/MWh", p_firm)),
        "p_firm {p_firm}"
    );
    // The engine: finance and the ledger price the halls' July 2030 energy so.
    let month = |s: &retrofit::Scenario| {
        hall_energy(s)
            .into_iter()
            .find(|m| m.0 == "2030-07")
            .expect("both halls run in July 2030")
    };
    let to_cent = |a: f64, b: f64| (a - b).abs() < 0.005;
    let (_, h, finance, ledger) = month(&reference_market_with(&[own_mean, NO_PASS_THROUGH]));
    assert_eq!(h, hours);
    assert!(
        to_cent(finance, firm) && to_cent(ledger, firm),
        "{finance} {ledger} vs {firm}"
    );
    let s = reference_market_with(&[own_mean, NO_PASS_THROUGH, CURTAIL]);
    let (_, _, finance, ledger) = month(&s);
    assert!(
        to_cent(finance, curtailed) && to_cent(ledger, curtailed),
        "{finance} vs {curtailed}"
    );
    let r = retrofit::run(&s, None).unwrap();
    let july = r
        .ledger
        .iter()
        .find(|m| m.month.to_string() == "2030-07")
        .unwrap();
    let f = july.flexibility.unwrap();
    assert!(
        to_cent(f.sla_credits_usd, credits),
        "{} vs {credits}",
        f.sla_credits_usd
    );
    assert!((f.firm_usd_per_mwh - p_firm).abs() < 1e-9);
}
