//! The ASIC on/off rule weighs the opex a running MW costs over an idle one, so a fleet
//! runs exactly when running raises the month's EBITDA in finance's own terms
//! (docs/model.md, "Opex in the operating rule").
//!
//! The old rule is the same world with the mining opex rate set to the idle rate: the
//! rule's opex term is then exactly 0, and nothing else in the run reads that rate. Its
//! months are re-priced at the world's real rates (opex by state is linear in the
//! month's mining MW), and compared with the new rule's month by month.

use retrofit::Scenario;

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

/// Checks the new rule against the old on `world`; returns the months they differ.
fn compare(world: &str) -> usize {
    let s = retrofit::load(world).unwrap();
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
