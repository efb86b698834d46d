//! The documentation's numbers are computed, not copied: each test recomputes them and
//! checks both the engine and the page.

use std::path::Path;

#[path = "common/money.rs"]
mod money;
use money::cents;

fn read(p: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
}

/// docs/model.md, "Worked example": April 2027 of the teaching world by hand.
#[test]
fn the_worked_example_in_the_model_reference_matches_the_engine() {
    let s = retrofit::load("worlds/teaching.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let row = r
        .ledger
        .iter()
        .find(|m| m.month.to_string() == "2027-04")
        .unwrap();

    let network_th_s = 1100.0e6 * 1.4_f64.powf(15.0 / 12.0);
    let btc = 120_000.0 / network_th_s * 144.0 * 30.0 * (3.125 + 0.03);
    let asic_revenue = btc * 91_000.0;
    let lease = 24.0 * 4.0 * 14.3 * 121.5;
    let energy = 2.1 * 1.2 * 720.0 * 40.0;
    let net = asic_revenue + lease - energy - 40_000.0;

    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    assert!(close(row.btc_mined, btc), "{} vs {btc}", row.btc_mined);
    assert!(close(row.asic_revenue_usd, asic_revenue));
    assert!(close(row.gpu_revenue_usd, lease));
    assert!(close(row.energy_cost_usd, energy));
    assert!(close(row.net_cash_flow_usd, net));
    assert!(close(row.facility_mw, 4.236));
    assert_eq!(row.capex_usd, 0.0);

    let page = read("docs/model.md");
    for v in [asic_revenue, lease, energy, net, 40_000.0] {
        let text = cents(v);
        assert!(
            page.contains(&format!("**{text}**")),
            "docs/model.md should show {text}"
        );
    }
    assert!(
        page.contains(&format!("**{btc:.6} BTC**")),
        "docs/model.md should show {btc:.6} BTC"
    );
}

/// docs/model.md, "Terminal value and cash flows": the method capitalises EBITDA without
/// mining, and the fleet still installed at the horizon is valued at its resale.
#[test]
fn the_terminal_value_example_capitalises_non_mining_ebitda_and_sells_the_fleet() {
    use retrofit::unstable::finance::capital::{AsicLot, CapitalTerms, SalvageCurve};
    use retrofit::unstable::finance::opex::OpexTerms;
    use retrofit::unstable::finance::terminal::TerminalValue;
    use retrofit::unstable::finance::{
        FinanceDraws, FinanceInput, FinanceTerms, HallMonth, MonthInput, compute,
    };
    let months = (0..12u32)
        .map(|m| MonthInput {
            first_day: m * 30,
            days: 30,
            month_of_year: m + 1,
            asic_mining_mw: 10.0,
            mining_revenue_usd: 500_000.0,
            mining_energy_cost_usd: 300_000.0,
            halls: vec![HallMonth {
                rented_mw: 5.0,
                rental_revenue_usd: 400_000.0,
                rented_energy_cost_usd: 100_000.0,
                ..HallMonth::default()
            }],
            hashprice_usd_per_ph_day: 30.0,
            ..MonthInput::default()
        })
        .collect();
    let s21 = SalvageCurve {
        usd_per_th: 7.0,
        decline_per_year: 0.3,
        quoted_age_months: 21,
        hashprice_reference_usd_per_ph_day: Some(39.82),
    };
    let input = FinanceInput {
        months,
        asic_at_horizon: vec![AsicLot {
            model: 0,
            th: 100_000.0,
            age_months: 30,
        }],
        ..FinanceInput::default()
    };
    let terms = FinanceTerms {
        opex: OpexTerms {
            fixed_usd_per_month: 50_000.0,
            mining_usd_per_mw_month: 10_000.0,
            pool_fee_share: 0.04,
            ..OpexTerms::default()
        },
        capital: CapitalTerms {
            salvage: vec![s21],
            ..CapitalTerms::default()
        },
        terminal: TerminalValue::ExitMultiple {
            ebitda_multiple: 6.0,
        },
        discount_rate_per_year: 0.1,
        ..FinanceTerms::default()
    };
    let f = compute(&terms, &input, &FinanceDraws::default());

    let mining = 500_000.0 - 0.04 * 500_000.0 - 300_000.0 - 10.0 * 10_000.0;
    let other = 400_000.0 - 100_000.0 - 50_000.0;
    let run_rate = 12.0 * other;
    let v = 6.0 * run_rate;
    let per_th = 7.0 * 0.7_f64.powf((30.0 - 21.0) / 12.0) * 30.0 / 39.82;
    let fleet = 100_000.0 * per_th;
    let tv = v + fleet;
    let all_ebitda = 6.0 * 12.0 * (mining + other);
    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    assert!(close(f.rows[0].ebitda_usd, mining + other));
    assert!(close(f.summary.fleet_resale_at_horizon_usd, fleet));
    assert!(
        close(f.summary.terminal_value_usd, tv),
        "{} vs {tv}",
        f.summary.terminal_value_usd
    );
    assert!(close(f.rows[11].terminal_value_usd, tv));
    let page = read("docs/model.md");
    for x in [mining, other, run_rate, v, fleet, tv, all_ebitda] {
        let text = cents(x);
        assert!(
            page.contains(&format!("**{text}**")),
            "docs/model.md should show {text}"
        );
    }
    assert!(page.contains(&format!("${per_th:.4}/TH")));
}

/// docs/model.md, "Summary figures": the payback worked example, and the rule that a
/// series never below zero has nothing to pay back.
#[test]
fn the_payback_example_pays_back_after_having_been_negative() {
    use retrofit::unstable::finance::returns::cumulative;
    use retrofit::unstable::ledger::{Payback, payback};
    let mut flows = vec![30_000.0; 60];
    flows[0] = -1_000_000.0;
    let cash = cumulative(&flows);
    let m = (1_000_000.0_f64 / 30_000.0).ceil() as usize;
    assert_eq!(m, 34);
    assert_eq!(payback(&cash), Payback::Month(m));
    assert_eq!(cents(cash[m - 1]), "-$10,000.00");
    let start = retrofit::YearMonth::parse("2026-01").unwrap();
    let month = start.plus(m as u32).to_string();
    assert_eq!(month, "2028-11");
    assert_eq!(payback(&[5.0, -5.0, 3.0]), Payback::Month(2));
    assert_eq!(payback(&[5.0, 9.0, 12.0]), Payback::NeverNegative);

    let page = read("docs/model.md");
    for text in [
        format!("**{m}**"),
        format!("**{month}**"),
        format!("**{}**", cents(cash[m - 1])),
        "none (cumulative cash never negative: nothing to pay back)".to_string(),
    ] {
        assert!(page.contains(&text), "docs/model.md should show {text}");
    }
}
