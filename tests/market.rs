//! The network supply model against history and on the reference world's median path,
//! and the worked month of docs/model.md ("Network supply model and flexibility"),
//! recomputed to the cent.

use retrofit::unstable::market::MarketPath;
use retrofit::unstable::network::history::{self, Calibration};
use retrofit::unstable::network::{
    Cohort, DAYS_PER_MONTH, NetworkModel, NetworkPath, Subsidy, SupplyInputs, SupplyParams,
    cash_cost_usd_per_ph_day,
};
use retrofit::unstable::price_shape::flexibility::{self, CoincidentPeak, DemandResponse};
use retrofit::unstable::price_shape::{self, PriceDurationCurve};

fn calibration() -> Calibration {
    history::calibrate(&history::calibrated_params()).unwrap()
}

/// Tolerances of the calibration (docs/model.md): achieved 16.9 % and 7.3 %.
const MAX_MONTHLY_ERROR: f64 = 0.18;

#[path = "common/money.rs"]
mod money;
use money::cents;
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
    assert!(
        exo.hashprice_usd_per_ph_day[months - 1] < 0.1,
        "{}",
        exo.hashprice_usd_per_ph_day[months - 1]
    );
    assert!(
        path.hashprice_usd_per_ph_day[months - 1] >= 16.2 - 1e-9,
        "{}",
        path.hashprice_usd_per_ph_day[months - 1]
    );
    // And on history too.
    let c = calibration();
    assert_hashprice_covers_the_best_cohort(&c.path, 1);
}

fn model_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md")).unwrap()
}

/// The figures of the worked month, by hand from the formulas.
struct NetworkByHand {
    btc_per_block: f64,
    revenue_usd_per_day: f64,
    hashprice: f64,
    required: f64,
    subsidy_window: f64,
    expected_revenue: f64,
    target_ph: f64,
    running_ph: f64,
    order_ph: f64,
}

fn network_by_hand() -> NetworkByHand {
    // January 2023 of assets/data/btc-monthly-2023-2025.csv.
    let (price, hashrate_ph, blocks, subsidy, fees) =
        (20_239.87, 273_485.0, 4_726.0, 29_537.5, 402.9865);
    let btc_per_block = (subsidy + fees) / blocks;
    let revenue_usd_per_day = 144.0 * btc_per_block * price;
    let hashprice = revenue_usd_per_day / hashrate_ph;
    let required = 24.0 * 21.5 * 50.0 / 1000.0 + 23_500.0 / (30.0 * 30.4375);
    // Months 1..=30: 14 at 6.25, April 2024 (19 of 30 days at 6.25), 15 at 3.125.
    let april = 6.25 * 19.0 / 30.0 + 3.125 * 11.0 / 30.0;
    let subsidy_window = (14.0 * 6.25 + april + 15.0 * 3.125) / 30.0;
    let expected_revenue = 144.0 * (subsidy_window + btc_per_block - 6.25) * price;
    let target_ph = expected_revenue / required;
    // Cohorts whose cash cost is at most the required hashprice: 21.5, 29.5, 34.5 J/TH.
    let running_ph = (0.10 + 0.45 + 0.30) * hashrate_ph;
    let order_ph = 0.3 * (target_ph - running_ph);
    NetworkByHand {
        btc_per_block,
        revenue_usd_per_day,
        hashprice,
        required,
        subsidy_window,
        expected_revenue,
        target_ph,
        running_ph,
        order_ph,
    }
}

#[test]
fn the_worked_network_month_matches_the_model_and_the_page() {
    let h = network_by_hand();
    let c = calibration();
    let p = history::calibrated_params();
    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    assert!(close(c.path.hashprice_usd_per_ph_day[0], h.hashprice));
    // Every cohort covers its cash cost at $67.51: all of January's fleet runs.
    for cohort in &p.cohorts {
        assert!(cash_cost_usd_per_ph_day(cohort.efficiency_j_per_th, 50.0) < h.hashprice);
    }
    assert!(close(c.path.hashrate_gh_s[0] / 1e6, 273_485.0));
    assert!(close(
        history::subsidy_from_2023().window_mean_btc(1, 30),
        h.subsidy_window
    ));
    assert!(close(
        cash_cost_usd_per_ph_day(21.5, 50.0) + 23_500.0 / (30.0 * DAYS_PER_MONTH),
        h.required
    ));
    // The order arrives in February as a 21.5 J/TH cohort: February's fleet is January's
    // plus the order (February's hashprice, $75.52, still covers every cohort).
    assert!(close(
        c.path.installed_gh_s[1] / 1e6,
        273_485.0 + h.order_ph
    ));
    assert!(close(c.path.hashrate_gh_s[1] / 1e6, 273_485.0 + h.order_ph));
    let page = model_md();
    for (v, what) in [
        (h.revenue_usd_per_day, "network revenue per day"),
        (h.hashprice, "hashprice"),
        (h.required, "required hashprice"),
        (h.expected_revenue, "expected revenue per day"),
    ] {
        assert!(
            page.contains(&format!("**{}**", cents(v))),
            "docs/model.md should show {what} {}",
            cents(v)
        );
    }
    for (v, what) in [
        (h.target_ph, "target"),
        (h.running_ph, "running"),
        (h.order_ph, "order"),
        (273_485.0 + h.order_ph, "February hashrate"),
    ] {
        let text = format!("**{:.1} PH/s**", v);
        assert!(
            page.contains(&text),
            "docs/model.md should show {what} {text}"
        );
    }
    assert!(page.contains(&format!("**{:.6} BTC**", h.btc_per_block)));
    assert!(page.contains(&format!("**{:.6} BTC**", h.subsidy_window)));
}

/// The site's worked month: a 720-hour month cut from the shipped ERCOT curve.
struct SiteByHand {
    revenue_usd_per_mwh: f64,
    hours_run: f64,
    flexible_cost: f64,
    flexible_revenue: f64,
    curtailed_mwh: f64,
    mean_price_paid: f64,
    firm_cost: f64,
    dr_credit: f64,
    four_cp_month: f64,
}

/// What being flexible is worth in the month against running the same fleet firm: the
/// margin kept by not mining through the spikes, the DR credit and the 4CP charge avoided.
fn flexibility_value(h: &SiteByHand) -> f64 {
    (h.firm_cost - h.flexible_cost - h.revenue_usd_per_mwh * h.curtailed_mwh)
        + h.dr_credit
        + h.four_cp_month
}

fn site_by_hand() -> SiteByHand {
    let k = 720.0 / 8_760.0;
    // 100 MW of 17.5 J/TH miners at PUE 1.1, 2 % pool fee, hashprice $45/PH/day.
    let revenue_usd_per_mwh = 45.0 * 0.98 / (24.0 * 17.5 * 1.1 / 1000.0);
    // Levels at or below that: $5, $25, $30, $60 (8,600 of the year's 8,760 hours).
    let hours_run = 8_600.0 * k;
    let cost_per_mw = (1_000.0 * 5.0 + 4_736.0 * 25.0 + 2_264.0 * 30.0 + 600.0 * 60.0) * k;
    SiteByHand {
        revenue_usd_per_mwh,
        hours_run,
        flexible_cost: 100.0 * cost_per_mw,
        flexible_revenue: 100.0 * hours_run * revenue_usd_per_mwh,
        curtailed_mwh: 100.0 * 160.0 * k,
        mean_price_paid: cost_per_mw / hours_run,
        firm_cost: 100.0 * 32.0 * 720.0,
        dr_credit: 100.0 * 3_000.0,
        four_cp_month: 100.0 * 1_000.0 * 100.0 / 12.0,
    }
}

#[test]
fn the_worked_site_month_matches_the_library_and_the_page() {
    let h = site_by_hand();
    let year = PriceDurationCurve::ercot_2024().unwrap();
    let month = year.scaled_to_hours(720.0);
    let r = price_shape::mining_revenue_usd_per_mwh(45.0, 17.5, 1.1, 0.02);
    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    assert!(close(r, h.revenue_usd_per_mwh));
    let flex = price_shape::flexible_month(&month, 100.0, r);
    assert!(close(flex.mwh_run / 100.0, h.hours_run));
    assert!(close(flex.energy_cost_usd, h.flexible_cost));
    assert!(close(flex.revenue_usd, h.flexible_revenue));
    assert!(close(flex.mwh_curtailed, h.curtailed_mwh));
    assert!(close(flex.mean_price_paid_usd_per_mwh(), h.mean_price_paid));
    let firm = price_shape::firm_month(&month, 100.0, 0.0);
    assert!(close(firm.energy_cost_usd, h.firm_cost));
    let dr = flexibility::demand_response_month(
        &DemandResponse {
            usd_per_mw_month: 3_000.0,
            event_hours_per_month: 4.0,
        },
        100.0,
        &month,
        r,
    );
    assert!(close(dr.credit_usd, h.dr_credit));
    assert_eq!(
        dr.forced.hours, 0.0,
        "4 event hours fall inside the 13.15 h already off"
    );
    let cp = CoincidentPeak {
        usd_per_kw_year: 100.0,
        flexible_capture: 1.0,
    };
    let miners = flexibility::coincident_peak(&cp, 0.0, 100.0);
    let gpus = flexibility::coincident_peak(&cp, 100.0, 0.0);
    assert!(close(miners.avoided_usd_per_year / 12.0, h.four_cp_month));
    assert!(close(gpus.charge_usd_per_year / 12.0, h.four_cp_month));
    let page = model_md();
    for (v, what) in [
        (h.revenue_usd_per_mwh, "mining revenue per MWh"),
        (h.flexible_cost, "flexible energy cost"),
        (h.flexible_revenue, "flexible revenue"),
        (h.mean_price_paid, "average price paid"),
        (h.firm_cost, "firm energy cost"),
        (h.dr_credit, "DR credit"),
        (h.four_cp_month, "4CP per month"),
        (
            h.firm_cost - h.flexible_cost - h.revenue_usd_per_mwh * h.curtailed_mwh,
            "spike margin kept",
        ),
        (flexibility_value(&h), "flexibility value"),
    ] {
        assert!(
            page.contains(&format!("**{}**", cents(v))),
            "docs/model.md should show {what} {}",
            cents(v)
        );
    }
    assert!(page.contains(&format!("**{:.2} h**", h.hours_run)));
    assert!(page.contains(&format!("**{:.2} MWh**", h.curtailed_mwh)));
}

/// `worlds/keep-mining.ron` without its own `finance:` and `network:` sections (these
/// tests set the mining terms and network model they study), with the sections of issue
/// 13 appended before its last `)`.
fn keep_mining_with(sections: &str) -> retrofit::Scenario {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/worlds/keep-mining.ron"
    ))
    .unwrap();
    let text = without_section(&text, "    finance: (");
    let text = without_section(&text, "    network: Supply(");
    let end = text.rfind(')').unwrap();
    let text = format!("{}{sections}\n)\n", &text[..end]);
    retrofit::load_str(&text, "keep-mining-market.ron").unwrap()
}

/// `text` without the section that starts at the line beginning with `head` and ends at
/// its matching `)` (and the `,` after it). Parentheses in `//` comments and strings
/// are skipped.
fn without_section(text: &str, head: &str) -> String {
    let Some(start) = text.find(&format!("\n{head}")).map(|i| i + 1) else {
        return text.to_string();
    };
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0i32, start);
    let (mut in_str, mut in_comment) = (false, false);
    while i < bytes.len() {
        let c = bytes[i];
        if in_comment {
            in_comment = c != b'\n';
        } else if in_str {
            in_str = c != b'"';
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            in_comment = true;
        } else if c == b'"' {
            in_str = true;
        } else if c == b'(' {
            depth += 1;
        } else if c == b')' {
            depth -= 1;
            if depth == 0 {
                let end = i + 1 + usize::from(bytes.get(i + 1) == Some(&b','));
                return format!("{}{}", &text[..start], &text[end..]);
            }
        }
        i += 1;
    }
    panic!("section `{head}` does not close")
}

const SUPPLY_SECTION: &str = "network: Supply((
    cohorts: [(efficiency_j_per_th: 13.5, share: 0.15), (efficiency_j_per_th: 17.5, share: 0.35),
              (efficiency_j_per_th: 21.5, share: 0.25), (efficiency_j_per_th: 29.5, share: 0.25)],
    marginal_power_usd_per_mwh: Uniform(min: 40.0, max: 60.0),
    new_efficiency_j_per_th: 12.0,
    efficiency_gain_per_year: 0.17,
    capex_usd_per_th: 28.4,
    payback_months: 30,
    build_share_per_month: 0.3,
)),";

#[test]
fn a_world_with_a_supply_model_runs_on_the_modelled_network_path() {
    let s = keep_mining_with(SUPPLY_SECTION);
    let r = retrofit::run(&s, None).unwrap();
    // The run's network is the model's answer to the median price path.
    let months = s.calendar.months() as usize;
    let market = MarketPath::median(&s.markets, months as u32);
    let subsidy = Subsidy::from_calendar(
        s.markets.block_subsidy_btc,
        &s.markets.halving_days,
        &s.calendar,
    );
    let fees = [s.markets.fees_btc_per_block];
    let inputs = SupplyInputs {
        start_hashrate_gh_s: s.markets.network_hashrate_gh_s,
        btc_price_usd: &market.btc_price_usd,
        fees_btc_per_block: &fees,
        subsidy: &subsidy,
    };
    let path = s.network.median.path(&inputs, months);
    for (row, h) in r.ledger.iter().zip(&path.hashrate_gh_s) {
        assert_eq!(row.network_hashrate_eh_s, h / 1e9);
    }
    // Unlike the exogenous 30 %/yr path (the same world without its `network:` section),
    // it never runs away from what pays.
    let exogenous_world = keep_mining_with("");
    assert!(matches!(
        exogenous_world.network.median,
        retrofit::unstable::network::NetworkModel::Exogenous { .. }
    ));
    let exogenous = retrofit::run(&exogenous_world, None).unwrap();
    let last = months - 1;
    assert!(
        r.ledger[last].network_hashrate_eh_s < exogenous.ledger[last].network_hashrate_eh_s / 10.0
    );
    // Same price path and subsidy: a smaller network is a higher hashprice every month,
    // so the site mines whenever it would on the exogenous path, with a larger share.
    // (In the last months it may mine nothing on either: after the 2040 halving the
    // modelled hashprice sits at the best cohort's cash cost, below the S21s'.)
    for (a, b) in r.ledger.iter().zip(&exogenous.ledger) {
        assert!(
            a.network_hashrate_eh_s <= b.network_hashrate_eh_s,
            "{}",
            a.month
        );
        assert!(a.btc_mined >= b.btc_mined - 1e-9, "{}", a.month);
    }
    let supply_btc: f64 = r.ledger.iter().map(|m| m.btc_mined).sum();
    let exogenous_btc: f64 = exogenous.ledger.iter().map(|m| m.btc_mined).sum();
    assert!(
        supply_btc > 2.0 * exogenous_btc,
        "{supply_btc} vs {exogenous_btc}"
    );
}

#[test]
fn sampled_runs_draw_the_supply_parameters_reproducibly() {
    let s = keep_mining_with(SUPPLY_SECTION);
    let a = retrofit::run(&s, Some(7)).unwrap();
    let b = retrofit::run(&s, Some(7)).unwrap();
    assert_eq!(a.ledger, b.ledger);
    let c = retrofit::run(&s, Some(8)).unwrap();
    assert_ne!(
        a.ledger
            .iter()
            .map(|m| m.network_hashrate_eh_s)
            .collect::<Vec<_>>(),
        c.ledger
            .iter()
            .map(|m| m.network_hashrate_eh_s)
            .collect::<Vec<_>>()
    );
}

const FLEX_SECTIONS: &str = "power_prices: (shape: Ercot2024, mean_follows_site_price: true),
flexibility: (
    demand_response: Some((usd_per_mw_month: 3000.0, event_hours_per_month: 4.0)),
    coincident_peak: Some((usd_per_kw_year: 100.0, flexible_capture: 0.75)),
    curtailment_obligation: Some((threshold_mw: 75.0, emergency_hours_per_year: 20.0,
                                  firm_response: BackupGeneration)),
),";

#[test]
fn hourly_prices_and_flexibility_reach_the_ledger_and_balance() {
    let s = keep_mining_with(FLEX_SECTIONS);
    let r = retrofit::run(&s, None).unwrap();
    let flat = retrofit::run(&retrofit::load("worlds/keep-mining.ron").unwrap(), None).unwrap();
    let mut cumulative = 0.0;
    for row in &r.ledger {
        let f = row
            .flexibility
            .expect("every month has the flexibility columns");
        // Cash balances with the credits and charges.
        let net = row.asic_revenue_usd + row.gpu_revenue_usd
            - row.energy_cost_usd
            - row.opex_usd
            - row.capex_usd
            + f.dr_credit_usd
            - f.peak_charge_paid_usd
            - f.sla_credits_usd;
        assert!((row.net_cash_flow_usd - net).abs() < 1e-6 * net.abs().max(1.0));
        cumulative += row.net_cash_flow_usd;
        assert!((row.cumulative_cash_usd - cumulative).abs() < 1e-6 * cumulative.abs().max(1.0));
        // The shape's mean is the site's $40, so a fleet that runs only in the hours it
        // can afford never pays more than that on average.
        if f.curtailed_mwh > 0.0 && row.energy_mwh > 0.0 {
            assert!(f.mean_price_paid_usd_per_mwh() < 40.0);
        }
    }
    // The spikes are skipped: some energy is curtailed while the fleet mines.
    assert!(
        r.ledger
            .iter()
            .any(|m| m.flexibility.unwrap().curtailed_mwh > 0.0 && m.btc_mined > 0.0)
    );
    // The fleet (100 MW, miners only) earns DR credit and avoids three quarters of 4CP.
    let first = r.ledger[0].flexibility.unwrap();
    assert!(first.dr_credit_usd > 0.0 && first.peak_charge_avoided_usd > 0.0);
    // ledger.csv carries the columns only here.
    let csv = retrofit::unstable::report::ledger_csv(&r).unwrap();
    let header = String::from_utf8(csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        header.ends_with(retrofit::unstable::report::FLEXIBILITY_COLUMNS),
        "{header}"
    );
    let plain = retrofit::unstable::report::ledger_csv(&flat).unwrap();
    let plain_header = String::from_utf8(plain)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        plain_header,
        retrofit::unstable::ledger::MonthRow::columns().join(",")
    );
}

/// A finance section with only the mining terms (pool fee, uptime).
fn mining_terms(fee: f64, uptime: f64) -> String {
    format!("finance: (opex: (pool_fee_share: {fee}, mining_uptime_share: {uptime})),")
}

#[test]
fn pool_fee_and_uptime_reach_the_hourly_rule_without_double_counting() {
    let plain = retrofit::run(&keep_mining_with(FLEX_SECTIONS), None).unwrap();
    // Fee 0 and uptime 1: the ledger is bit for bit the run without finance terms.
    let neutral = keep_mining_with(&format!("{FLEX_SECTIONS}{}", mining_terms(0.0, 1.0)));
    assert_eq!(retrofit::run(&neutral, None).unwrap().ledger, plain.ledger);
    let (fee, uptime) = (0.25, 0.9);
    let s = keep_mining_with(&format!("{FLEX_SECTIONS}{}", mining_terms(fee, uptime)));
    let r = retrofit::run(&s, None).unwrap();
    let fin = r
        .finance
        .as_ref()
        .expect("finance terms give a finance result");
    let mut more_curtailed = 0;
    for ((row, base), f) in r.ledger.iter().zip(&plain.ledger).zip(&fin.rows) {
        let (flex, flex0) = (row.flexibility.unwrap(), base.flexibility.unwrap());
        // The fleet keeps 75 % of what it earns, so it runs in no more hours than before …
        assert!(flex.curtailed_mwh >= flex0.curtailed_mwh - 1e-6);
        if flex.curtailed_mwh > flex0.curtailed_mwh + 1e-6 {
            more_curtailed += 1;
        }
        // … the ledger books gross revenue over the hours it ran, and finance takes the
        // fee and uptime from that once: no second fee, no second pricing of the energy.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        assert!(close(f.mining_revenue_usd, row.asic_revenue_usd * uptime));
        assert!(close(f.pool_fees_usd, row.asic_revenue_usd * uptime * fee));
        // Miners only: finance's electricity is the ledger's hourly bill, times uptime.
        assert!(close(
            f.energy_cost_usd,
            flex.flexible_energy_cost_usd * uptime
        ));
        assert!(close(flex.flexible_energy_cost_usd, row.energy_cost_usd));
        // Whatever ran kept at least its bill after the fee, hour by hour: the average
        // price paid is at most the net revenue per MWh.
        if row.energy_mwh > 0.0 {
            let r_net = row.asic_revenue_usd * (1.0 - fee) / row.energy_mwh;
            assert!(flex.mean_price_paid_usd_per_mwh() <= r_net + 1e-9);
        }
    }
    assert!(
        more_curtailed > 0,
        "a 25 % fee must cost the fleet some hours"
    );
}

#[test]
fn the_worked_pool_fee_month_matches_the_library_and_the_page() {
    use retrofit::unstable::price_shape::month::{FlexibleFleet, SiteMonthLoads, site_month};
    use retrofit::unstable::price_shape::schema::FlexibilitySpec;
    let curve =
        PriceDurationCurve::from_levels(&[(30.0, 700.0), (97.0, 15.0), (900.0, 5.0)]).unwrap();
    let (fee, uptime) = (0.04, 0.97);
    let loads = SiteMonthLoads {
        fleets: vec![FlexibleFleet {
            mw: 10.0,
            revenue_usd_per_mwh: 100.0,
            it_mw: 0.0,
        }],
        pool_fee_share: fee,
        ..SiteMonthLoads::default()
    };
    let m = site_month(&curve, &loads, &FlexibilitySpec::default());
    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    assert!(close(m.mining_revenue_usd, 10.0 * 700.0 * 100.0));
    assert!(close(m.flexible_energy_cost_usd, 10.0 * 700.0 * 30.0));
    assert!(close(m.curtailed_mwh, 10.0 * 20.0));
    // Without the fee the $97 hours run too.
    let gross_rule = site_month(
        &curve,
        &SiteMonthLoads {
            pool_fee_share: 0.0,
            ..loads.clone()
        },
        &FlexibilitySpec::default(),
    );
    assert!(close(gross_rule.curtailed_mwh, 10.0 * 5.0));
    let fin_revenue = m.mining_revenue_usd * uptime;
    let fin_fee = fin_revenue * fee;
    let fin_energy = m.flexible_energy_cost_usd * uptime;
    let margin = fin_revenue - fin_fee - fin_energy;
    let extra = 150.0 * uptime * (100.0 * (1.0 - fee) - 97.0);
    let page = model_md();
    for v in [
        m.mining_revenue_usd,
        m.flexible_energy_cost_usd,
        fin_revenue,
        fin_fee,
        fin_energy,
        margin,
        extra,
    ] {
        assert!(
            page.contains(&format!("**{}**", cents(v))),
            "docs/model.md should show {}",
            cents(v)
        );
    }
}

#[test]
fn a_fleet_refresh_changes_hashrate_by_the_models_efficiency_and_sells_the_old_units() {
    use retrofit::unstable::scenario::ModelKind;
    let s = retrofit::load("worlds/refresh-fleet.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let model = |id: &str| s.models.iter().find(|m| m.id == id).unwrap();
    let j_per_th = |id: &str| match model(id).kind {
        ModelKind::Asic { hashrate_gh_s } => {
            model(id).power_w as f64 / (hashrate_gh_s as f64 / 1e3)
        }
        ModelKind::Gpu { .. } => unreachable!(),
    };
    assert!((j_per_th("S19-XP") - 21.5).abs() < 1e-9 && (j_per_th("S21-XP") - 13.5).abs() < 1e-9);
    let racks = |g: &str| f64::from(s.racks.iter().find(|x| x.id == g).unwrap().count);
    // IT W of halls A and B before (4 S19 XP a rack) and after (3 S21 XP a rack).
    let old_w = (racks("A") + racks("B")) * 4.0 * model("S19-XP").power_w as f64;
    let new_w = (racks("A") + racks("B")) * 3.0 * model("S21-XP").power_w as f64;
    // hashrate = W / (J/TH), in PH/s.
    let expected_ph = new_w / j_per_th("S21-XP") / 1e3 - old_w / j_per_th("S19-XP") / 1e3;
    let row = |m: &str| {
        r.ledger
            .iter()
            .position(|x| x.month.to_string() == m)
            .unwrap()
    };
    let (before, after) = (&r.ledger[row("2026-03")], &r.ledger[row("2026-09")]);
    assert_eq!(
        (before.asic_curtailed_mw, after.asic_curtailed_mw),
        (0.0, 0.0)
    );
    let change = after.hashrate_ph_s - before.hashrate_ph_s;
    assert!(
        (change - expected_ph).abs() < 1e-6,
        "{change} vs {expected_ph}"
    );
    assert!((expected_ph - 850.0).abs() < 1e-6);
    assert!(((after.asic_it_mw - before.asic_it_mw) * 1e6 - (new_w - old_w)).abs() < 1e-3);
    // Capex: every new unit at its price, booked when the steps start (April).
    let units = (racks("A") + racks("B")) * 3.0;
    let capex = units * model("S21-XP").cost_usd;
    assert_eq!(r.ledger[row("2026-04")].capex_usd, capex);
    // Resale in July: TH sold × $/TH at the units' real age × hashprice / reference. The
    // S19 XPs went into service in 2022-07: 48 months old, 7 more than the $3/TH quote.
    let july = &r.ledger[row("2026-07")];
    let hashprice =
        144.0 * (s.markets.block_subsidy_btc + s.markets.fees_btc_per_block) * july.btc_price_usd
            / (july.network_hashrate_eh_s * 1e3);
    let th_sold = old_w / j_per_th("S19-XP");
    let age_months = 12.0 * (2026.0 - 2022.0) + (7.0 - 7.0);
    assert_eq!(age_months, 48.0);
    let resale = th_sold * 3.0 * 0.7_f64.powf((age_months - 41.0) / 12.0) * hashprice / 39.82;
    let fin = r.finance.as_ref().unwrap();
    let booked: f64 = fin.rows.iter().map(|f| f.salvage_usd).sum();
    assert!((fin.rows[row("2026-07")].salvage_usd - resale).abs() < 0.005);
    assert!((booked - resale).abs() < 0.005, "resale is booked once");
    // At the horizon the fleets still installed are valued at resale: the S21 XPs age from
    // the month they energised (an InstallUnits step), the S21s of halls C and D from
    // 2024-03.
    let energised: Vec<u32> = r
        .events
        .iter()
        .filter(|e| e.event == "energised")
        .map(|e| s.calendar.month_of(e.day))
        .collect();
    assert_eq!(
        energised,
        vec![6, 6],
        "refresh-A and refresh-B energise in 2026-07"
    );
    let last = r.ledger.len() - 1;
    assert_eq!(r.ledger[last].month.to_string(), "2040-12");
    // Four halvings, the last in April 2040: the subsidy is 3.125 / 2^4.
    assert_eq!(s.markets.halving_days.len(), 4);
    let end = &r.ledger[last];
    let hashprice_end = 144.0
        * (s.markets.block_subsidy_btc / 16.0 + s.markets.fees_btc_per_block)
        * end.btc_price_usd
        / (end.network_hashrate_eh_s * 1e3);
    let s21_xp_age = (last - 6) as f64;
    let s21_age = 12.0 * (2040.0 - 2024.0) + (12.0 - 3.0);
    let fleet =
        (new_w / j_per_th("S21-XP")) * 25.7 * 0.7_f64.powf(s21_xp_age / 12.0) * hashprice_end
            / 39.82
            + (racks("C") + racks("D"))
                * 4.0
                * 200.0
                * 7.0
                * 0.7_f64.powf((s21_age - 21.0) / 12.0)
                * hashprice_end
                / 39.82;
    assert!(
        (fin.summary.fleet_resale_at_horizon_usd - fleet).abs() < 0.005,
        "{} vs {fleet}",
        fin.summary.fleet_resale_at_horizon_usd
    );
    // The page works the same figures.
    let page = model_md();
    for v in [capex, resale] {
        assert!(page.contains(&format!("**{}**", cents(v))), "{}", cents(v));
    }
    assert!(page.contains(&format!("**${hashprice:.2}**/PH/day")));
    for ph in [
        old_w / j_per_th("S19-XP") / 1e3,
        new_w / j_per_th("S21-XP") / 1e3,
    ] {
        let s = format!("{:.0}", ph);
        let grouped = format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..]);
        assert!(page.contains(&format!("**{grouped} PH/s**")), "{grouped}");
    }
}

#[test]
fn the_ledger_curtails_each_fleet_by_its_own_revenue() {
    use retrofit::unstable::facility::curtail;
    use retrofit::unstable::price_shape::month::{FlexibleFleet, SiteMonthLoads, site_month};
    use retrofit::unstable::scenario::ModelKind;
    let s = retrofit::load("worlds/keep-mining-market.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let shape = s.power_prices.as_ref().unwrap();
    let terms = s.flexibility.unwrap();
    // The world's two fleets: S19 XP halls A and B on AIR-AB, S21 halls C and D on AIR-CD.
    let fleet = |model: &str, groups: [&str; 2]| {
        let m = s.models.iter().find(|m| m.id == model).unwrap();
        let ModelKind::Asic { hashrate_gh_s } = m.kind else {
            unreachable!()
        };
        let g: Vec<_> = s
            .racks
            .iter()
            .filter(|g| groups.contains(&g.id.as_str()))
            .collect();
        let units: f64 = g
            .iter()
            .map(|g| f64::from(g.count) * f64::from(g.initial.unwrap().1))
            .sum();
        let pue = s.cooling_loops[g[0].cooling].pue;
        (
            units * m.power_w as f64 * pue / 1e6,
            m.power_w as f64 / (hashrate_gh_s as f64 / 1e3),
            pue,
        )
    };
    let fleets = [fleet("S19-XP", ["A", "B"]), fleet("S21", ["C", "D"])];
    let mut apart = 0;
    for (m, row) in r.ledger.iter().enumerate() {
        if row.asic_curtailed_mw > 0.0
            || s.markets.halving_days.iter().any(|&d| {
                d > s.calendar.month_start(m as u32) && d < s.calendar.month_start(m as u32 + 1)
            })
        {
            continue; // months the daily rule or a halving split are not one stretch
        }
        let hours = f64::from(row.month.days()) * 24.0;
        let curve = shape.month_curve(row.month.month, hours, 40.0);
        // Hashprice, then each fleet's revenue per MWh of facility power.
        let start = s.calendar.month_start(m as u32);
        let halvings = s
            .markets
            .halving_days
            .iter()
            .filter(|&&d| d <= start)
            .count();
        let subsidy = s.markets.block_subsidy_btc * 0.5_f64.powi(halvings as i32);
        let hashprice = 144.0 * (subsidy + s.markets.fees_btc_per_block) * row.btc_price_usd
            / (row.network_hashrate_eh_s * 1e3);
        let own: Vec<FlexibleFleet> = fleets
            .iter()
            .map(|&(mw, j_per_th, pue)| FlexibleFleet {
                mw,
                revenue_usd_per_mwh: hashprice / (24.0 * j_per_th * pue / 1e3),
                it_mw: mw / pue,
            })
            .collect();
        // Each fleet also weighs the opex its running adds (finance's mining less idle
        // $/MW-month over the month's hours and the uptime share).
        let opex_usd_per_it_mwh = curtail::marginal_opex_usd_per_it_mwh(&s, hours);
        assert!(opex_usd_per_it_mwh > 0.0);
        let loads = SiteMonthLoads {
            fleets: own.clone(),
            pool_fee_share: curtail::pool_fee_share(&s),
            opex_usd_per_it_mwh,
            ..SiteMonthLoads::default()
        };
        let want = site_month(&curve, &loads, &terms);
        let got = row.flexibility.unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        assert!(
            close(got.curtailed_mwh, want.curtailed_mwh),
            "{}: {} vs {}",
            row.month,
            got.curtailed_mwh,
            want.curtailed_mwh
        );
        assert!(
            close(got.energy_cost_usd, want.energy_cost_usd),
            "{}",
            row.month
        );
        assert!(
            close(row.asic_revenue_usd, want.mining_revenue_usd),
            "{}",
            row.month
        );
        // The combined rule (one fleet at the MW-weighted revenue) would differ here.
        let mw: f64 = own.iter().map(|f| f.mw).sum();
        let avg = own
            .iter()
            .map(|f| f.mw * f.revenue_usd_per_mwh)
            .sum::<f64>()
            / mw;
        let combined = site_month(
            &curve,
            &SiteMonthLoads {
                fleets: vec![FlexibleFleet {
                    mw,
                    revenue_usd_per_mwh: avg,
                    it_mw: own.iter().map(|f| f.it_mw).sum(),
                }],
                pool_fee_share: curtail::pool_fee_share(&s),
                opex_usd_per_it_mwh,
                ..SiteMonthLoads::default()
            },
            &terms,
        );
        if (combined.curtailed_mwh - want.curtailed_mwh).abs() > 1e-6 {
            apart += 1;
        }
    }
    assert!(
        apart > 0,
        "the two fleets should straddle a price level in some month"
    );
}

/// `worlds/reference.ron` (the retrofit) with the sections of issue 13 appended.
fn reference_with(sections: &str) -> retrofit::Scenario {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/worlds/reference.ron"))
            .unwrap();
    let end = text.rfind(')').unwrap();
    let text = format!("{}{sections}\n)\n", &text[..end]);
    retrofit::load_str(&text, "reference-market.ron").unwrap()
}

#[test]
fn the_summary_totals_flexibility_and_compare_states_what_a_retrofit_gives_up() {
    use std::sync::Arc;
    let keep = keep_mining_with(FLEX_SECTIONS);
    let retro = reference_with(FLEX_SECTIONS);
    let value = |s: &retrofit::Scenario| {
        let r = retrofit::run(s, None).unwrap();
        let f = r
            .summary
            .flexibility
            .expect("hourly worlds total their flexibility");
        let sum = |g: fn(&retrofit::unstable::price_shape::month::SiteMonth) -> f64| {
            r.ledger
                .iter()
                .map(|m| g(&m.flexibility.unwrap()))
                .sum::<f64>()
        };
        // The totals are the ledger's columns summed over the horizon.
        assert_eq!(f.dr_credits_usd, sum(|m| m.dr_credit_usd));
        assert_eq!(
            f.peak_charges_avoided_usd,
            sum(|m| m.peak_charge_avoided_usd)
        );
        assert_eq!(f.peak_charges_paid_usd, sum(|m| m.peak_charge_paid_usd));
        assert_eq!(f.sla_credits_usd, sum(|m| m.sla_credits_usd));
        assert_eq!(f.curtailed_mwh, sum(|m| m.curtailed_mwh));
        assert_eq!(
            f.flexibility_revenue_usd,
            f.dr_credits_usd + f.peak_charges_avoided_usd
        );
        let text = retrofit::text::summary(&r);
        assert!(text.contains("flexibility revenue"), "{text}");
        f.flexibility_revenue_usd - f.peak_charges_paid_usd - f.sla_credits_usd
    };
    let (v_keep, v_retro) = (value(&keep), value(&retro));
    let worlds = vec![
        ("keep.ron".to_string(), Arc::new(keep)),
        ("retro.ron".to_string(), Arc::new(retro)),
    ];
    let (rows, _) = retrofit::compare(&worlds, None, 1, 1).unwrap();
    assert_eq!(rows[0].flexibility_value_usd_p50, Some(v_keep));
    assert_eq!(rows[0].flexibility_given_up_usd_p50, Some(0.0));
    assert_eq!(rows[1].flexibility_value_usd_p50, Some(v_retro));
    assert_eq!(rows[1].flexibility_given_up_usd_p50, Some(v_keep - v_retro));
    // Converting miners to firm GPU halls trades DR credits and 4CP avoidance for charges.
    assert!(v_keep > v_retro && v_keep > 0.0, "{v_keep} vs {v_retro}");
    // Without hourly pricing or flexibility terms there is nothing to total.
    let plain = retrofit::run(&retrofit::load("worlds/keep-mining.ron").unwrap(), None).unwrap();
    assert!(plain.summary.flexibility.is_none());
}

/// The shipped worlds with opex by state and a supply model: the network's non-power
/// cost is the site rule's (mining − idle) opex per MWh of IT over a mean month, and
/// power + non-power stays at the calibrated $50/MWh (docs/model.md, "Power and
/// non-power cost").
#[test]
fn shipped_worlds_split_the_calibrated_cost_as_the_site_rule_does() {
    let worlds = [
        ("reference", 15.1),
        ("keep-mining", 15.1),
        ("full-pivot", 15.1),
        ("reference-market", 15.1),
        ("keep-mining-market", 15.1),
        ("financed", 9.9),
    ];
    let calibrated = history::calibrated_params();
    assert_eq!(calibrated.non_power_cost_usd_per_mwh, 0.0);
    for (w, k_file) in worlds {
        let s = retrofit::load(format!("worlds/{w}.ron")).unwrap();
        let o = s.finance.as_ref().unwrap().terms.opex;
        let hours = 24.0 * 365.25 / 12.0;
        let k =
            (o.mining_usd_per_mw_month - o.idle_usd_per_mw_month) / (hours * o.mining_uptime_share);
        let NetworkModel::Supply(p) = &s.network.median else {
            panic!("{w}: expected a supply model")
        };
        assert_eq!(p.non_power_cost_usd_per_mwh, k_file, "{w}");
        assert!((k - k_file).abs() < 0.05, "{w}: {k} vs {k_file}");
        assert!(
            (p.running_cost_usd_per_mwh() - calibrated.marginal_power_usd_per_mwh).abs() < 1e-9,
            "{w}: p + k = {}",
            p.running_cost_usd_per_mwh()
        );
        assert_eq!(
            s.finance
                .as_ref()
                .unwrap()
                .terms
                .capital
                .sell_idle_asics_after_months,
            Some(6),
            "{w}"
        );
    }
    // Stacking k on the calibrated price would not fit history (docs/model.md).
    let stacked = history::calibrate(&SupplyParams {
        non_power_cost_usd_per_mwh: 15.1,
        ..calibrated.clone()
    })
    .unwrap();
    assert!(
        stacked.max_abs_error() > 0.25,
        "{}",
        stacked.max_abs_error()
    );
    // The shipped split is the calibration itself: 34.9 + 15.1 is 50.0 to the bit.
    let split = history::calibrate(&SupplyParams {
        marginal_power_usd_per_mwh: 34.9,
        non_power_cost_usd_per_mwh: 15.1,
        ..calibrated.clone()
    })
    .unwrap();
    assert_eq!(split.path, history::calibrate(&calibrated).unwrap().path);
    let page = model_md();
    assert!(page.contains(&format!("{:.1} %", 100.0 * stacked.max_abs_error())));
}

/// The ledger row of `month` (`YYYY-MM`).
fn ledger_index(r: &retrofit::RunResult, month: &str) -> usize {
    r.ledger
        .iter()
        .position(|x| x.month.to_string() == month)
        .unwrap_or_else(|| panic!("no month {month}"))
}

/// docs/model.md, "Power and non-power cost" and "Selling an idle fleet": the reference
/// world's marginal miner in October 2028, its S21s' comparison, and their sale on
/// 1 November 2028, recomputed from the world file and the run.
#[test]
fn the_reference_worlds_idle_s21s_are_sold_as_the_page_works_it() {
    use retrofit::unstable::scenario::ModelKind;
    let s = retrofit::load("worlds/reference.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let NetworkModel::Supply(p) = &s.network.median else {
        panic!("expected a supply model")
    };
    let terms = &s.finance.as_ref().unwrap().terms;
    let o = terms.opex;
    let oct = &r.ledger[ledger_index(&r, "2028-10")];
    // One halving before October 2028: 1.5625 BTC a block.
    let hashprice = 144.0
        * (s.markets.block_subsidy_btc / 2.0 + s.markets.fees_btc_per_block)
        * oct.btc_price_usd
        / (oct.network_hashrate_eh_s * 1e3);
    // The S19 XP cohort is marginal: hashprice is its power + non-power cash cost.
    let power = cash_cost_usd_per_ph_day(21.5, p.marginal_power_usd_per_mwh);
    let non_power = cash_cost_usd_per_ph_day(21.5, p.non_power_cost_usd_per_mwh);
    assert!(
        (hashprice - (power + non_power)).abs() < 1e-6,
        "{hashprice}"
    );
    // The site's S21s: what they keep, their power at the wall, their opex of running per
    // PH/s hashed in October's 744 hours.
    let s21 = s.models.iter().find(|m| m.id == "S21").unwrap();
    let ModelKind::Asic { hashrate_gh_s } = s21.kind else {
        unreachable!()
    };
    let j_per_th = s21.power_w as f64 / (hashrate_gh_s as f64 / 1e3);
    let pue = s
        .cooling_loops
        .iter()
        .find(|l| l.id == "AIR-CD")
        .unwrap()
        .pue;
    let kept = hashprice * (1.0 - o.pool_fee_share);
    let wall = cash_cost_usd_per_ph_day(j_per_th * pue, s.markets.electricity_usd_per_mwh[33]);
    let hours = 24.0 * f64::from(s.calendar.label(33).days());
    assert_eq!(hours, 744.0);
    let opex = cash_cost_usd_per_ph_day(
        j_per_th,
        (o.mining_usd_per_mw_month - o.idle_usd_per_mw_month) / (hours * o.mining_uptime_share),
    );
    assert!(kept < wall + opex, "the S21s stay off");
    assert_eq!(oct.asic_revenue_usd, 0.0);
    // Mined nothing May–October 2028; sold on 1 November, as one event per hall.
    for m in ["2028-05", "2028-06", "2028-07", "2028-08", "2028-09"] {
        assert_eq!(r.ledger[ledger_index(&r, m)].asic_revenue_usd, 0.0, "{m}");
    }
    assert!(r.ledger[ledger_index(&r, "2028-04")].asic_revenue_usd > 0.0);
    let sold: Vec<(String, String)> = r
        .events
        .iter()
        .filter(|e| e.event == "sold-idle")
        .map(|e| (s.calendar.date(e.day).to_string(), e.entity.clone()))
        .collect();
    assert_eq!(
        sold,
        vec![
            ("2028-11-01".to_string(), "rack group C".to_string()),
            ("2028-11-01".to_string(), "rack group D".to_string()),
        ]
    );
    // Salvage: TH/s × $7/TH × 0.7^((56 − 21)/12) × hashprice / $39.82, in November.
    let racks = |g: &str| f64::from(s.racks.iter().find(|x| x.id == g).unwrap().count);
    let th = (racks("C") + racks("D")) * 4.0 * hashrate_gh_s as f64 / 1e3;
    assert_eq!(th, 2_352_000.0);
    let age = 12.0 * (2028.0 - 2024.0) + (11.0 - 3.0);
    let nov = ledger_index(&r, "2028-11");
    let fin = r.finance.as_ref().unwrap();
    let nov_hashprice = 144.0
        * (s.markets.block_subsidy_btc / 2.0 + s.markets.fees_btc_per_block)
        * r.ledger[nov].btc_price_usd
        / (r.ledger[nov].network_hashrate_eh_s * 1e3);
    let resale = th * 7.0 * 0.7_f64.powf((age - 21.0) / 12.0) * nov_hashprice / 39.82;
    assert!(
        (fin.rows[nov].salvage_usd - resale).abs() < 0.005,
        "{resale}"
    );
    // Every later month: no ASICs, no mining, and 41.16 MW less idle opex.
    let fleet_mw = (racks("C") + racks("D")) * 4.0 * s21.power_w as f64 / 1e6;
    let dec = ledger_index(&r, "2028-12");
    for m in dec..r.ledger.len() {
        assert_eq!(r.ledger[m].asic_it_mw + r.ledger[m].asic_curtailed_mw, 0.0);
        assert_eq!(fin.rows[m].salvage_usd, 0.0);
    }
    let idle = |m: usize| fin.rows[m].opex.idle_usd;
    // December: peak IT less both GPU halls and the sold fleet.
    let gpu_mw = r.ledger[dec].gpu_it_mw;
    let peak_mw = r.summary.peak_it_mw;
    let left_mw = peak_mw - gpu_mw - fleet_mw;
    assert!((idle(dec) - left_mw * o.idle_usd_per_mw_month).abs() < 1e-6);
    // October also paid for GPU hall 2, energised at the end of November.
    let hall_2_mw = gpu_mw - oct.gpu_it_mw;
    let oct_idle = idle(ledger_index(&r, "2028-10"));
    assert!((oct_idle - idle(dec) - (fleet_mw + hall_2_mw) * o.idle_usd_per_mw_month).abs() < 1e-6);
    assert_eq!(fin.summary.fleet_resale_at_horizon_usd, 0.0);
    let page = model_md();
    for v in [
        hashprice,
        power,
        non_power,
        kept,
        wall,
        opex,
        wall + opex,
        resale,
        fleet_mw * o.idle_usd_per_mw_month,
        idle(dec),
        oct_idle,
    ] {
        assert!(
            page.contains(&format!("**{}**", cents(v))) || page.contains(&cents(v)),
            "docs/model.md should show {}",
            cents(v)
        );
    }
}

/// The count of idle months resets on a month that mines: on the reference world's median
/// path the S21s mine only in the halving months (2028-04, 2032-04, …), so they are idle
/// for 47 months in a row at most. A 47-month rule sells them on 1 April 2032; a 48-month
/// rule never does and runs exactly as a world without the rule.
#[test]
fn a_month_that_mines_resets_the_count_and_an_unreached_rule_changes_nothing() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/worlds/reference.ron"))
            .unwrap();
    let line = "            sell_idle_asics_after_months: 6,\n";
    assert!(text.contains(line));
    let with = |n: &str| {
        let t = text.replace(line, n);
        let s = retrofit::load_str(&t, "reference.ron").unwrap();
        retrofit::run(&s, None).unwrap()
    };
    let (r47, r48, off) = (
        with("            sell_idle_asics_after_months: 47,\n"),
        with("            sell_idle_asics_after_months: 48,\n"),
        with(""),
    );
    let sold = |r: &retrofit::RunResult| -> Vec<u32> {
        r.events
            .iter()
            .filter(|e| e.event == "sold-idle")
            .map(|e| e.day)
            .collect()
    };
    let s = retrofit::load("worlds/reference.ron").unwrap();
    let april_2032 = s.calendar.month_start(ledger_index(&r47, "2032-04") as u32);
    assert_eq!(sold(&r47), vec![april_2032, april_2032]);
    assert!(sold(&r48).is_empty() && sold(&off).is_empty());
    assert_eq!(r48.ledger, off.ledger);
    assert_eq!(r48.finance, off.finance);
    // Without a sale the fleet is still there at the horizon, idle and valued.
    let fin = off.finance.as_ref().unwrap();
    assert!(fin.summary.fleet_resale_at_horizon_usd > 0.0);
    assert!(off.ledger.last().unwrap().asic_curtailed_mw > 41.0);
    // The 47-month sale forgoes the April 2032 halving month's mining.
    assert_eq!(
        r47.ledger[ledger_index(&r47, "2032-04")].asic_revenue_usd,
        0.0
    );
    assert!(off.ledger[ledger_index(&off, "2032-04")].asic_revenue_usd > 0.0);
}
