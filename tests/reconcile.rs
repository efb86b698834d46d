//! Ledger ↔ finance reconciliation over every shipped world (median run and seed 7):
//! every cash line the monthly ledger books reaches the finance layer, month by month,
//! to the cent (docs/model.md, "Where each ledger line enters finance").
//!
//! The ledger's net cash of a month is
//! `asic_revenue + gpu_revenue − energy − opex − capex + flexibility_net`. Finance
//! mirrors each line:
//! - mining revenue: `fin_mining_revenue = asic_revenue × mining_uptime_share`;
//! - flexibility: `grid_credit − grid_charges = dr_credit − peak_charge_paid − sla_credits`;
//! - opex: `fixed_opex_usd_per_month + reliability_opex = opex` (finance replaces the
//!   ledger's fixed site opex with its own opex by state; what reliability booked —
//!   repairs, availability SLA credits, backup upkeep — it takes as booked);
//! - capex: `capex_paid = capex` when the world has no progress-payment terms (every
//!   item, spares, backup and replacements included, is paid when booked).
//!
//! The ledger's GPU revenue and energy are restated by finance from its contracts
//! (lease rent on contracted kW, each lease's power pass-through, mining uptime): those
//! two lines are finance-only restatements, as are tax, terminal value, tenant
//! contributions, prepayments, deposits, salvage, pool fees, late-delivery penalties
//! and opex by state. The test rebuilds the ledger's net cash from finance's mirrored
//! lines plus the ledger's own GPU revenue, energy and fixed opex: dropping any mirrored
//! line from finance breaks it.

#[path = "common/money.rs"]
mod money;
use money::cents;

fn worlds() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir("worlds")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        // An optimize input (its plan has open `Choose` decisions), not a runnable world.
        .filter(|p| !p.ends_with("reference-plan.ron"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Asserts `a == b` to the cent.
fn same(world: &str, seed: Option<u64>, month: usize, what: &str, a: f64, b: f64) {
    assert_eq!(
        cents(a),
        cents(b),
        "{world} seed {seed:?} month {month}: {what}: finance {a} vs ledger {b}"
    );
}

#[test]
fn every_ledger_cash_line_reaches_finance_in_every_shipped_world() {
    let mut financed = 0;
    for world in worlds() {
        let s = retrofit::load(&world).unwrap();
        let Some(spec) = s.finance.as_ref() else {
            continue;
        };
        financed += 1;
        let uptime = spec.terms.opex.mining_uptime_share;
        let progress = spec.terms.capital.progress.is_some();
        for seed in [None, Some(7)] {
            let r = retrofit::run(&s, seed).unwrap();
            let fin = r
                .finance
                .as_ref()
                .expect("a finance section gives a result");
            assert_eq!(
                fin.rows.len(),
                r.ledger.len(),
                "{world}: one finance row a month"
            );
            for (m, (l, f)) in r.ledger.iter().zip(&fin.rows).enumerate() {
                let flex_net = l.flexibility.map_or(0.0, |x| x.flexibility_net_usd());
                let ledger_net = l.asic_revenue_usd + l.gpu_revenue_usd
                    - l.energy_cost_usd
                    - l.opex_usd
                    - l.capex_usd
                    + flex_net;
                same(
                    &world,
                    seed,
                    m,
                    "ledger net identity",
                    l.net_cash_flow_usd,
                    ledger_net,
                );
                let mining = l.asic_revenue_usd * uptime;
                same(
                    &world,
                    seed,
                    m,
                    "mining revenue",
                    f.mining_revenue_usd,
                    mining,
                );
                let grid = f.grid_credit_usd - f.grid_charges_usd;
                same(&world, seed, m, "flexibility net", grid, flex_net);
                let opex = s.fixed_opex_usd_per_month + f.reliability_opex_usd;
                same(&world, seed, m, "opex", opex, l.opex_usd);
                if !progress {
                    same(&world, seed, m, "capex", f.capex_usd, l.capex_usd);
                }
                // The ledger's net rebuilt from finance's mirrored lines.
                let capex = if progress { l.capex_usd } else { f.capex_usd };
                let rebuilt = f.mining_revenue_usd / uptime + l.gpu_revenue_usd
                    - l.energy_cost_usd
                    - opex
                    - capex
                    + grid;
                same(&world, seed, m, "net cash", rebuilt, l.net_cash_flow_usd);
            }
        }
    }
    assert!(financed >= 5, "the shipped financed worlds were found");
}

/// The reference world's generators and UPS (and any spare it buys) are project capex:
/// over the run, finance pays exactly what the ledger booked.
#[test]
fn the_reference_worlds_backup_capex_reaches_the_project_cash_flow() {
    let s = retrofit::load("worlds/reference.ron").unwrap();
    let backup: f64 = s.reliability.backup.iter().map(|b| b.cost_usd).sum();
    assert!(backup > 0.0, "the reference world buys backup power");
    let r = retrofit::run(&s, None).unwrap();
    let ledger: f64 = r.ledger.iter().map(|l| l.capex_usd).sum();
    let fin: f64 = r.finance.unwrap().rows.iter().map(|f| f.capex_usd).sum();
    assert_eq!(cents(fin), cents(ledger));
}

/// docs/model.md, "Coincident peak": the site pays 4CP on its billed firm load plus the
/// flexible load's uncaptured share; a pass-through hall's share goes with its power.
#[test]
fn the_4cp_worked_example_charges_only_the_billed_firm_load() {
    use retrofit::unstable::price_shape::PriceDurationCurve;
    use retrofit::unstable::price_shape::flexibility::CoincidentPeak;
    use retrofit::unstable::price_shape::month::{FlexibleFleet, SiteMonthLoads, site_month};
    use retrofit::unstable::price_shape::schema::FlexibilitySpec;
    let curve = PriceDurationCurve::from_levels(&[(40.0, 720.0)]).unwrap();
    let terms = FlexibilitySpec {
        coincident_peak: Some(CoincidentPeak {
            usd_per_kw_year: 100.0,
            flexible_capture: 0.75,
        }),
        ..FlexibilitySpec::default()
    };
    let loads = |billed: f64| SiteMonthLoads {
        fleets: vec![FlexibleFleet {
            mw: 60.0,
            revenue_usd_per_mwh: 100.0,
            it_mw: 0.0,
        }],
        firm_billed_mw: billed,
        firm_mw: 20.0,
        ..SiteMonthLoads::default()
    };
    let passed = site_month(&curve, &loads(5.0), &terms);
    assert_eq!(cents(passed.peak_charge_paid_usd), "$166,666.67");
    let all_billed = site_month(&curve, &loads(20.0), &terms);
    assert_eq!(cents(all_billed.peak_charge_paid_usd), "$291,666.67");
    let page = std::fs::read_to_string("docs/model.md").unwrap();
    assert!(page.contains("charge **$166,666.67** a"));
    assert!(page.contains("**$291,666.67**"));
}
