//! The ASIC on/off rule weighs the opex a running MW costs over an idle one, so a fleet
//! runs exactly when running raises the month's EBITDA in finance's own terms
//! (docs/model.md, "Opex in the operating rule").
//!
//! The old rule is the same world with the mining opex rate set to the idle rate: the
//! rule's opex term is then exactly 0, and nothing else in the run reads that rate. Its
//! months are re-priced at the world's real rates (opex by state is linear in the
//! month's mining MW), and compared with the new rule's month by month.

use retrofit::Scenario;
use retrofit::unstable::scenario::ModelKind;

#[path = "common/money.rs"]
mod money;
use money::cents;

/// Per month: (finance's mining MW, EBITDA at the world's own opex rates).
fn months(s: &Scenario, mining_usd_per_mw_month: f64) -> Vec<(f64, f64)> {
    let rate_in_run = s
        .finance
        .as_ref()
        .unwrap()
        .terms
        .opex
        .mining_usd_per_mw_month;
    let r = retrofit::run(s, None).unwrap();
    let fin = r.finance.expect("the world has finance terms");
    fin.rows
        .iter()
        .map(|row| {
            let mining_mw = row.opex.mining_usd / rate_in_run;
            let repriced =
                row.ebitda_usd + row.opex.mining_usd - mining_mw * mining_usd_per_mw_month;
            (mining_mw, repriced)
        })
        .collect()
}

/// Checks the new rule against the old on `world`; returns the months they differ. Both
/// run without the idle-fleet sale (`sell_idle_asics_after_months`): it is a decision
/// across months (sell after six idle ones), not the month-by-month operating rule
/// compared here, and under the old rule the fleets would not be idle to be sold.
fn compare(world: &str) -> usize {
    let mut s = retrofit::load(world).unwrap();
    if let Some(f) = s.finance.as_mut() {
        f.terms.capital.sell_idle_asics_after_months = None;
    }
    let opex = s.finance.as_ref().unwrap().terms.opex;
    assert!(opex.mining_usd_per_mw_month > opex.idle_usd_per_mw_month);
    assert!(opex.idle_usd_per_mw_month > 0.0);
    let mut old_world = s.clone();
    if let Some(f) = old_world.finance.as_mut() {
        f.terms.opex.mining_usd_per_mw_month = f.terms.opex.idle_usd_per_mw_month;
    }
    let new = months(&s, opex.mining_usd_per_mw_month);
    let old = months(&old_world, opex.mining_usd_per_mw_month);
    assert_eq!(new.len(), old.len());
    let mut differ = 0;
    for (m, (&(mw_new, e_new), &(mw_old, e_old))) in new.iter().zip(&old).enumerate() {
        // The new rule never runs more than the old: it adds a cost to running.
        assert!(
            mw_new <= mw_old + 1e-9,
            "{world} month {m}: {mw_new} > {mw_old}"
        );
        let tol = 1e-6 * e_old.abs().max(1.0);
        if (mw_new - mw_old).abs() > 1e-9 {
            differ += 1;
            assert!(
                e_new >= e_old - tol,
                "{world} month {m}: EBITDA {e_new} with the new rule < {e_old} with the old"
            );
        } else {
            // Decisions of one month change nothing in another.
            assert!((e_new - e_old).abs() <= tol, "{world} month {m}");
        }
    }
    differ
}

#[test]
fn on_keep_mining_the_new_rule_books_at_least_the_old_ebitda_every_month() {
    // Segment rule: fleets switch off day by day.
    assert!(compare("worlds/keep-mining.ron") > 0);
}

#[test]
fn on_keep_mining_market_the_hourly_rule_books_at_least_the_old_ebitda_every_month() {
    // Hourly rule over the ERCOT-shaped price curve, with flexibility terms.
    assert!(compare("worlds/keep-mining-market.ron") > 0);
}

#[test]
fn on_the_reference_world_the_new_rule_books_at_least_the_old_ebitda_every_month() {
    // The retrofit: miners run down while GPU halls come in under leases.
    assert!(compare("worlds/reference.ron") > 0);
}

#[test]
fn the_worked_s21_example_matches_the_run_and_the_page() {
    // docs/model.md, "Opex in the operating rule": halls C and D's S21s on AIR-CD at the
    // April 2028 halving, on the reference world's median path.
    let s = retrofit::load("worlds/reference.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let m = s.models.iter().find(|m| m.id == "S21").unwrap();
    let ModelKind::Asic { hashrate_gh_s } = m.kind else {
        unreachable!()
    };
    let groups: Vec<_> = s
        .racks
        .iter()
        .filter(|g| g.id == "C" || g.id == "D")
        .collect();
    let units: f64 = groups
        .iter()
        .map(|g| f64::from(g.count) * f64::from(g.initial.unwrap().1))
        .sum();
    let pue = s.cooling_loops[groups[0].cooling].pue;
    let it_w = units * m.power_w as f64;
    let th_s = units * hashrate_gh_s as f64 / 1e3;
    assert_eq!(
        (units, th_s, it_w, pue),
        (11_760.0, 2_352_000.0, 41.16e6, 1.2)
    );
    let opex = s.finance.as_ref().unwrap().terms.opex;
    let (fee, u) = (opex.pool_fee_share, opex.mining_uptime_share);
    let row = r
        .ledger
        .iter()
        .find(|row| row.month.to_string() == "2028-04")
        .unwrap();
    let days = f64::from(row.month.days());
    // `electricity_usd_per_mwh: Constant(40.0)` in the world; the event's figure below
    // is the run's own.
    let subsidy = s.markets.block_subsidy_btc / 2.0; // the 2028-04-15 halving
    let btc_per_block = subsidy + s.markets.fees_btc_per_block;
    let btc_per_day = th_s / (row.network_hashrate_eh_s * 1e6) * 144.0 * btc_per_block;
    let revenue = btc_per_day * row.btc_price_usd * (1.0 - fee);
    let electricity = it_w / 1e6 * pue * 24.0 * 40.0;
    let o_it = it_w / 1e6 * (opex.mining_usd_per_mw_month - opex.idle_usd_per_mw_month) / days;
    let per_hashing_day = o_it / u;
    let booked = u * (revenue - electricity) - o_it;
    let rest_of_april = booked * 16.0;
    assert!(revenue > electricity && booked < 0.0);
    let page = std::fs::read_to_string("docs/model.md").unwrap();
    for v in [
        revenue,
        electricity,
        o_it,
        per_hashing_day,
        booked,
        rest_of_april,
    ] {
        assert!(
            page.contains(&format!("**{}**", cents(v))),
            "docs/model.md should show {}",
            cents(v)
        );
    }
    // The run switched the fleet off that day, saying why.
    let off = r
        .events
        .iter()
        .find(|e| e.event == "curtailed" && e.entity == "S21 on cooling loop AIR-CD")
        .unwrap();
    assert_eq!(s.calendar.date(off.day).to_string(), "2028-04-15");
    let said = format!(
        "revenue {revenue:.0} USD/day vs electricity {electricity:.0} USD/day + opex of \
         running {per_hashing_day:.0} USD/day"
    );
    assert!(off.detail.contains(&said), "{} vs {said}", off.detail);
    let figures = format!("revenue {revenue:.0} USD/day vs electricity {electricity:.0} USD/day");
    assert!(page.contains(&figures), "{figures}");
}
