//! Property tests over randomly generated *valid* worlds and plans: every run passes the
//! engine's audit after every event (no limit exceeded; IT MW equals the sum over
//! energised units), the ledger has one row per month and its cumulative cash is the
//! running sum of the monthly flows, and the same seed gives the same output.
//!
//! `PROPTEST_CASES` raises the case count (default 64, to keep `cargo test` quick).

use proptest::prelude::*;
use retrofit::unstable::dist::{Dist, Quantity};
use retrofit::unstable::world::*;

fn supply(to_order: bool, lead: Quantity) -> Supply {
    if to_order {
        Supply::ToOrder {
            cost_usd: 1e5,
            lead_time_weeks: lead,
        }
    } else {
        Supply::Existing
    }
}

fn quantity() -> impl Strategy<Value = Quantity> {
    prop_oneof![
        (0.0..30.0f64).prop_map(Quantity::Value),
        (0.0..10.0f64, 0.0..30.0f64)
            .prop_map(|(a, w)| Quantity::Dist(Dist::Uniform { min: a, max: a + w })),
        (0.0..10.0f64, 0.0..1.0f64, 0.0..30.0f64).prop_map(|(a, f, w)| Quantity::Dist(
            Dist::Triangular {
                min: a,
                mode: a + f * w,
                max: a + w
            }
        )),
        (1.0..20.0f64, 1.0..2.0f64).prop_map(|(m, r)| Quantity::Dist(Dist::LogNormal {
            median: m,
            p90: m * r
        })),
    ]
}

#[derive(Debug, Clone)]
struct Shape {
    horizon: u32,
    subs: Vec<(f64, bool)>,
    trafos: Vec<(usize, f64, bool)>,
    loops: Vec<(bool, f64, f64, f64, bool)>,
    groups: Vec<(u32, usize, usize, u32)>,
    installs: Vec<(usize, bool, u32, bool, usize)>,
    decommissions: Vec<(usize, usize)>,
    leads: Vec<Quantity>,
    interconnect_mw: f64,
    gbm: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1u32..=36,
        prop::collection::vec((1.0..10.0f64, prop::bool::weighted(0.2)), 1..=2),
        prop::collection::vec((0usize..8, 0.5..5.0f64, prop::bool::weighted(0.3)), 1..=3),
        prop::collection::vec(
            (
                any::<bool>(),
                500.0..5000.0f64,
                15.0..130.0f64,
                1.05..1.5f64,
                prop::bool::weighted(0.3),
            ),
            1..=2,
        ),
        prop::collection::vec((1u32..40, 0usize..8, 0usize..8, 0u32..5), 1..=4),
        prop::collection::vec(
            (0usize..8, any::<bool>(), 1u32..8, any::<bool>(), 0usize..8),
            0..=4,
        ),
        prop::collection::vec((0usize..8, 0usize..8), 0..=2),
        prop::collection::vec(quantity(), 16),
        2.0..20.0f64,
        any::<bool>(),
    )
        .prop_map(
            |(horizon, subs, trafos, loops, groups, installs, decommissions, leads, ic, gbm)| {
                Shape {
                    horizon,
                    subs,
                    trafos,
                    loops,
                    groups,
                    installs,
                    decommissions,
                    leads,
                    interconnect_mw: ic,
                    gbm,
                }
            },
        )
}

fn step(id: String, action: Action, duration: Quantity, after: Vec<String>) -> Step {
    Step {
        id,
        action,
        duration_days: duration,
        start: None,
        after,
        cost_usd: Quantity::Value(1000.0),
    }
}

/// Builds a world from a shape. It may still be invalid (a start load over a limit, an
/// install that can never fit); those cases are discarded.
fn world(sh: &Shape) -> WorldFile {
    let lead = |i: usize| sh.leads[i % sh.leads.len()];
    let substations: Vec<Substation> = sh
        .subs
        .iter()
        .enumerate()
        .map(|(i, &(mw, o))| Substation {
            id: format!("S{i}"),
            capacity_mw: mw,
            supply: supply(o, lead(i)),
        })
        .collect();
    let transformers: Vec<Transformer> = sh
        .trafos
        .iter()
        .enumerate()
        .map(|(i, &(s, mva, o))| Transformer {
            id: format!("T{i}"),
            substation: format!("S{}", s % substations.len()),
            rating_mva: mva,
            supply: supply(o, lead(i + 3)),
        })
        .collect();
    let cooling_loops: Vec<CoolingLoop> = sh
        .loops
        .iter()
        .enumerate()
        .map(|(i, &(liquid, heat, rack, pue, o))| CoolingLoop {
            id: format!("L{i}"),
            kind: if liquid {
                CoolingKind::DirectToChip
            } else {
                CoolingKind::Air
            },
            heat_rejection_kw: heat,
            max_rack_kw: if liquid { rack } else { rack.min(40.0) },
            pue: pue.into(),
            // Both feeds are exercised: odd liquid loops share the racks' transformers.
            plant_feed: if liquid && i % 2 == 1 {
                PlantFeed::RackTransformers
            } else {
                PlantFeed::Auxiliary
            },
            supply: supply(o, lead(i + 6)),
        })
        .collect();
    let unit_models = vec![
        UnitModel::Asic {
            id: "ASIC".into(),
            hashrate_th_s: 200.0,
            power_w: 3500.0,
            cost_usd: 3000.0,
            lead_time_weeks: lead(9),
        },
        UnitModel::GpuServer {
            id: "GPU".into(),
            gpus: 8,
            power_w: 14300.0,
            cost_usd: 300_000.0,
            lead_time_weeks: lead(10),
        },
    ];
    let existing = |o: bool| !o;
    let racks: Vec<RackGroup> = sh
        .groups
        .iter()
        .enumerate()
        .map(|(i, &(count, t, l, asics))| {
            let t = t % transformers.len();
            let l = l % cooling_loops.len();
            let sub = sh.trafos[t].0 % substations.len();
            let on_existing =
                existing(sh.trafos[t].2) && existing(sh.loops[l].4) && existing(sh.subs[sub].1);
            RackGroup {
                id: format!("G{i}"),
                count,
                transformer: format!("T{t}"),
                cooling: format!("L{l}"),
                units: (asics > 0 && on_existing).then(|| RackUnits {
                    model: "ASIC".into(),
                    per_rack: asics,
                    in_service_since: None,
                }),
            }
        })
        .collect();

    // Plan: order then install every ToOrder item; installs of units after the installs
    // on their path (plus one random earlier step); decommissions of started groups.
    let mut plan = Vec::new();
    let mut install_of = std::collections::HashMap::new();
    let to_order: Vec<String> = substations
        .iter()
        .filter(|x| matches!(x.supply, Supply::ToOrder { .. }))
        .map(|x| x.id.clone())
        .chain(
            transformers
                .iter()
                .filter(|x| matches!(x.supply, Supply::ToOrder { .. }))
                .map(|x| x.id.clone()),
        )
        .chain(
            cooling_loops
                .iter()
                .filter(|x| matches!(x.supply, Supply::ToOrder { .. }))
                .map(|x| x.id.clone()),
        )
        .collect();
    for (k, id) in to_order.iter().enumerate() {
        plan.push(step(
            format!("order-{id}"),
            Action::Order(vec![id.clone()]),
            Quantity::Value(0.0),
            vec![],
        ));
        plan.push(step(
            format!("install-{id}"),
            Action::Install(vec![id.clone()]),
            lead(k + 11),
            vec![format!("order-{id}")],
        ));
        install_of.insert(id.clone(), format!("install-{id}"));
    }
    for (k, &(g, gpu, per_rack, rental, extra)) in sh.installs.iter().enumerate() {
        let gi = g % racks.len();
        let grp = &racks[gi];
        let t = &transformers[sh.groups[gi].1 % transformers.len()];
        let mut after: Vec<String> = [&grp.transformer, &grp.cooling, &t.substation]
            .iter()
            .filter_map(|id| install_of.get(*id).cloned())
            .collect();
        if !plan.is_empty() {
            let e = plan[extra % plan.len()].id.clone();
            if !after.contains(&e) {
                after.push(e);
            }
        }
        plan.push(step(
            format!("units-{k}"),
            Action::InstallUnits {
                racks: grp.id.clone(),
                model: if gpu { "GPU" } else { "ASIC" }.into(),
                per_rack,
                contract: if rental {
                    Contract::Rental
                } else {
                    Contract::Lease
                },
            },
            lead(k + 12),
            after,
        ));
    }
    for (k, &(g, extra)) in sh.decommissions.iter().enumerate() {
        let gi = g % racks.len();
        let filled = racks[gi].units.is_some()
            || plan.iter().any(
                |p| matches!(&p.action, Action::InstallUnits { racks: r, .. } if *r == racks[gi].id),
            );
        if !filled {
            continue;
        }
        let after = if plan.is_empty() {
            vec![]
        } else {
            vec![plan[extra % plan.len()].id.clone()]
        };
        plan.push(step(
            format!("retire-{k}"),
            Action::Decommission(racks[gi].id.clone()),
            lead(k + 13),
            after,
        ));
    }

    WorldFile {
        site: Site {
            name: "generated".into(),
            start_month: "2026-01".into(),
            horizon_months: sh.horizon,
            discount_rate_per_year: 0.1,
            interconnect_mw: sh.interconnect_mw,
            power_factor: 0.95,
            electricity_usd_per_mwh: Series::Constant(40.0),
            electricity_price_factor: Quantity::Value(1.0),
            fixed_opex_usd_per_month: 10_000.0,
            curtail_unprofitable_asics: true,
        },
        substations,
        transformers,
        cooling_loops,
        unit_models,
        racks,
        markets: Markets {
            btc_price_usd: if sh.gbm {
                PricePath::Gbm {
                    start: 90_000.0,
                    drift_per_year: 0.1,
                    volatility_per_year: 0.6,
                }
            } else {
                PricePath::Constant(90_000.0)
            },
            network_hashrate_eh_s: 1000.0,
            network_growth_per_year: 0.4,
            network_growth_volatility_per_year: 0.2,
            block_subsidy_btc: 3.125,
            halvings: vec!["2028-04-15".into()],
            fees_btc_per_block: 0.03,
            gpu_lease: Some(Lease {
                usd_per_kw_month: 120.0,
                power_pass_through: false,
            }),
            gpu_rental: Some(Rental {
                usd_per_gpu_hour: 3.0,
                decline_per_year: 0.2,
                volatility_per_year: 0.3,
                utilisation_start: 0.5,
                utilisation_target: 0.85,
                ramp_months: 3,
            }),
        },
        plan,
        reliability: Default::default(),
        network: Default::default(),
        power_prices: None,
        flexibility: None,
        finance: None,
    }
}

fn check_run(s: &retrofit::Scenario, seed: Option<u64>) -> Result<(), TestCaseError> {
    let opts = retrofit::RunOptions {
        record_events: true,
        audit: true,
    };
    let r = retrofit::run_with(s, seed, opts);
    prop_assert!(r.is_ok(), "audit failed: {}", r.unwrap_err());
    let r = r.unwrap();
    prop_assert_eq!(r.ledger.len() as u32, s.calendar.months());
    let mut cum = 0.0;
    for row in &r.ledger {
        cum += row.net_cash_flow_usd;
        let tol = 1e-9 * cum.abs().max(1.0);
        prop_assert!(
            (row.cumulative_cash_usd - cum).abs() <= tol,
            "{}: cumulative {} != running sum {}",
            row.month,
            row.cumulative_cash_usd,
            cum
        );
        prop_assert!(row.net_cash_flow_usd.is_finite());
    }
    // Same seed, same output, bit for bit.
    let again = retrofit::run_with(s, seed, opts).unwrap();
    prop_assert_eq!(&r.ledger, &again.ledger);
    prop_assert_eq!(&r.events, &again.events);
    prop_assert_eq!(&r.summary, &again.summary);
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn valid_worlds_run_within_every_limit(sh in shape(), seed in any::<u64>()) {
        let w = world(&sh);
        let s = retrofit::unstable::world::check(&w, None);
        prop_assume!(s.is_ok());
        let s = s.unwrap();
        check_run(&s, None)?;
        check_run(&s, Some(seed))?;
    }
}

/// The generator must not be so strict that most cases are thrown away.
#[test]
fn most_generated_worlds_are_valid() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strat = shape();
    let (mut ok, mut problems) = (0, std::collections::BTreeMap::<&str, usize>::new());
    for _ in 0..200 {
        let sh = strat.new_tree(&mut runner).unwrap().current();
        match retrofit::unstable::world::check(&world(&sh), None) {
            Ok(_) => ok += 1,
            Err(ps) => {
                for p in ps {
                    *problems.entry(p.rule.name()).or_default() += 1;
                }
            }
        }
    }
    eprintln!("{ok}/200 generated worlds valid; problems {problems:?}");
    assert!(
        ok >= 60,
        "only {ok}/200 generated worlds are valid: {problems:?}"
    );
}
