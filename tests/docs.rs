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
