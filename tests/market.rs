//! The network supply model against history and on the reference world's median path,
//! and the worked month of docs/model.md ("Network supply model and flexibility"),
//! recomputed to the cent.

use retrofit::market::MarketPath;
use retrofit::network::history::{self, Calibration};
use retrofit::network::{
    Cohort, DAYS_PER_MONTH, NetworkModel, NetworkPath, Subsidy, SupplyInputs, SupplyParams,
    cash_cost_usd_per_ph_day,
};
use retrofit::price_shape::flexibility::{self, CoincidentPeak, DemandResponse};
use retrofit::price_shape::{self, PriceDurationCurve};

fn calibration() -> Calibration {
    history::calibrate(&history::calibrated_params()).unwrap()
}

/// Tolerances of the calibration (docs/model.md): achieved 16.9 % and 7.3 %.
const MAX_MONTHLY_ERROR: f64 = 0.18;
const MEAN_MONTHLY_ERROR: f64 = 0.08;

#[test]
fn modelled_hashrate_stays_within_the_documented_tolerance_of_history() {
    let c = calibration();
    assert_eq!(c.history.len(), 36);
    assert_eq!(
        c.relative_error[0], 0.0,
        "the model starts from January 2023's hashrate"
    );
    assert!(
        c.max_abs_error() <= MAX_MONTHLY_ERROR,
        "max {}",
        c.max_abs_error()
    );
    assert!(
        c.mean_abs_error() <= MEAN_MONTHLY_ERROR,
        "mean {}",
        c.mean_abs_error()
    );
}

fn ratio(path: &[f64], c: &Calibration, a: &str, b: &str) -> f64 {
    path[c.index(b).unwrap()] / path[c.index(a).unwrap()]
}

#[test]
fn it_reproduces_the_2024_and_2025_growth() {
    let c = calibration();
    let hist: Vec<f64> = c.history.iter().map(|h| h.hashrate_eh_s).collect();
    for (a, b, difficulty_growth) in [("2024-01", "2024-12", 1.48), ("2025-01", "2025-12", 1.35)] {
        let h = ratio(&hist, &c, a, b);
        let m = ratio(&c.path.hashrate_gh_s, &c, a, b);
        // History agrees with the difficulty growth of docs/domain.md (+48 %, +35 %) …
        assert!(
            (h - difficulty_growth).abs() < 0.02,
            "{a}..{b}: history {h}"
        );
        // … and the model with history, within 6 points (achieved: 53 % vs 49 %, 34 % vs 35 %).
        assert!((m - h).abs() < 0.06, "{a}..{b}: model {m} vs history {h}");
    }
}

#[test]
fn after_the_april_2024_halving_hashprice_halves_and_growth_stalls_then_resumes() {
    let c = calibration();
    let i = |m: &str| c.index(m).unwrap();
    let hp = &c.path.hashprice_usd_per_ph_day;
    let h = &c.path.hashrate_gh_s;
    // History: hashprice −45 % April → May; hashrate dips below April for two months and
    // is back above it by August.
    let hist = |m: &str| c.history[i(m)].hashrate_eh_s;
    let hist_hp = |m: &str| c.history[i(m)].hashprice_usd_per_ph_day();
    assert!(hist_hp("2024-05") / hist_hp("2024-04") < 0.6);
    assert!(hist("2024-05") < hist("2024-04") && hist("2024-06") < hist("2024-04"));
    assert!(hist("2024-08") > hist("2024-04"));
    // Model: the hashprice drop, yes (−49 %) …
    assert!(hp[i("2024-05")] / hp[i("2024-04")] < 0.6);
    // … and a stall with a dip, but later and smaller: machines ordered before the halving
    // keep arriving until July, then the 45 J/TH cohort switches off (August, −2.5 %).
    let window = i("2024-05")..=i("2024-10");
    assert!(
        window.clone().any(|m| h[m] < h[m - 1]),
        "no dip after the halving"
    );
    assert!(
        window.clone().all(|m| h[m] / h[m - 1] < 1.07),
        "growth did not stall"
    );
    assert!(
        h[i("2024-11")] > h[i("2024-10")] * 1.03,
        "growth did not resume"
    );
}

#[test]
fn modelled_2025_hashprice_stays_in_the_observed_35_to_56_band() {
    let c = calibration();
    let from = c.index("2025-01").unwrap();
    for (k, hp) in c.path.hashprice_usd_per_ph_day[from..].iter().enumerate() {
        assert!(
            (35.0..=56.0).contains(hp),
            "{}: {hp}",
            c.history[from + k].month
        );
    }
}

fn assert_hashprice_covers_the_best_cohort(path: &NetworkPath, lag: usize) {
    for m in lag..path.hashrate_gh_s.len() {
        assert!(
            path.hashprice_usd_per_ph_day[m]
                >= path.best_cash_cost_usd_per_ph_day[m] * (1.0 - 1e-12),
            "month {m}: hashprice {} below the best cohort's cash cost {}",
            path.hashprice_usd_per_ph_day[m],
            path.best_cash_cost_usd_per_ph_day[m]
        );
    }
}

/// A late-2025 fleet for the reference world. Assumption: shares by generation were not
/// found; the classes are the spec sheets of docs/domain.md (S21 XP 13.5, S21 17.5,
/// S19 XP 21.5, S19j Pro 29.5 J/TH). Newest: S21 XP Hydro 12 J/TH at $25.70/TH + $2.7/TH
/// of site build ($0.2 M/MW ÷ 74 PH/s per MW).
fn fleet_late_2025() -> SupplyParams {
    let c = |e: f64, share: f64| Cohort {
        efficiency_j_per_th: e,
        share,
    };
    SupplyParams {
        cohorts: vec![c(13.5, 0.15), c(17.5, 0.35), c(21.5, 0.25), c(29.5, 0.25)],
        new_efficiency_j_per_th: 12.0,
        capex_usd_per_th: 28.4,
        ..history::calibrated_params()
    }
}

#[test]
fn on_the_reference_median_path_hashprice_never_falls_below_the_best_cohorts_cash_cost() {
    let s = retrofit::load("worlds/reference.ron").unwrap();
    let months = s.calendar.months() as usize;
    let market = MarketPath::median(&s.markets, months as u32);
    let subsidy = Subsidy::from_calendar(
        s.markets.block_subsidy_btc,
        &s.markets.halving_days,
        &s.calendar,
    );
    let fees = vec![s.markets.fees_btc_per_block; months];
    let inputs = SupplyInputs {
        start_hashrate_gh_s: s.markets.network_hashrate_gh_s,
        btc_price_usd: &market.btc_price_usd,
        fees_btc_per_block: &fees,
        subsidy: &subsidy,
    };
    let params = fleet_late_2025();
    assert!(params.problems().is_empty());
    let path = NetworkModel::Supply(params.clone()).path(&inputs, months);
    assert_hashprice_covers_the_best_cohort(&path, params.lag_months as usize);
    // Both halvings bite: hashprice falls below its starting level, and the old fleet
    // switches off rather than hashing at a loss.
    assert!(path.hashprice_usd_per_ph_day[months - 1] < path.hashprice_usd_per_ph_day[0]);
    assert!(path.hashrate_gh_s[months - 1] < path.hashrate_gh_s[0]);
    // The exogenous path of the same world is the straw man of issue 13: far below.
    let exo = NetworkModel::Exogenous {
        growth_per_year: s.markets.network_growth_per_year,
    }
    .path(&inputs, months);
    assert!(exo.hashprice_usd_per_ph_day[months - 1] < 1.0);
    assert!(path.hashprice_usd_per_ph_day[months - 1] > 15.0);
    // And on history too.
    let c = calibration();
    assert_hashprice_covers_the_best_cohort(&c.path, 1);
}
