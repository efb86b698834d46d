//! Failures, redundancy and SLAs (issue 14): behaviour on whole worlds.

use retrofit::{ReliabilityReport, RunOptions};
use retrofit::{RunResult, Scenario};

#[path = "common/money.rs"]
mod money;

fn world(name: &str) -> String {
    std::fs::read_to_string(format!("{}/worlds/{name}.ron", env!("CARGO_MANIFEST_DIR")))
        .expect("world file")
}

fn load(text: &str) -> Scenario {
    retrofit::load_str(text, "test.ron").unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, seed: Option<u64>) -> RunResult {
    // Debug builds audit every event: loads recomputed from the entities, no limit
    // exceeded, failures on or off.
    retrofit::run(s, seed).expect("run")
}

fn rel(r: &RunResult) -> &ReliabilityReport {
    r.reliability.as_ref().expect("reliability report")
}

fn month_index(r: &RunResult, label: &str) -> usize {
    r.ledger
        .iter()
        .position(|m| m.month.to_string() == label)
        .expect("month in ledger")
}

/// IT kW of the teaching world's GPU hall G: 24 racks × 4 DGX B200 × 14.3 kW.
const HALL_G_KW: f64 = 24.0 * 4.0 * 14.3;
/// The teaching lease, USD per kW-month.
const LEASE_USD_PER_KW_MONTH: f64 = 121.5;

#[test]
fn a_scripted_transformer_failure_darkens_exactly_its_racks_for_the_repair_time() {
    let base = run(&load(&world("teaching")), None);
    let s = load(&world("teaching-failure"));
    let r = run(&s, None);
    let rep = rel(&r);
    assert!(!rep.sampled, "a plain run samples no random failures");
    assert_eq!(rep.failures(), 1);
    let o = &rep.outages[0];
    assert_eq!(s.calendar.date(o.from).to_string(), "2029-06-01");
    assert_eq!(o.to, Some(o.from + 30), "repaired after exactly 30 days");
    assert_eq!(rep.longest_dark_days, 30);
    // Only hall G went dark, and only in June 2029, for the whole month.
    let june = month_index(&r, "2029-06");
    for (m, row) in rep.months.iter().enumerate() {
        let g = rep.groups.iter().position(|g| g == "G").unwrap();
        for (k, a) in row.availability.iter().enumerate() {
            let expect = if m == june && k == g { 0.0 } else { 1.0 };
            assert_eq!(*a, expect, "{} group {}", row.month, rep.groups[k]);
        }
    }
    let dark: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.event == "de-energised" || e.event == "re-energised")
        .map(|e| (e.event, e.entity.as_str(), e.day - o.from))
        .collect();
    assert_eq!(
        dark,
        vec![
            ("de-energised", "rack group G", 0),
            ("re-energised", "rack group G", 30)
        ]
    );
    // Lost rent: the hall's kW × rate × 30/30 days of June; every other month equal.
    for (m, (a, b)) in base.ledger.iter().zip(&r.ledger).enumerate() {
        let lost = a.gpu_revenue_usd - b.gpu_revenue_usd;
        let expect = if m == june {
            HALL_G_KW * LEASE_USD_PER_KW_MONTH
        } else {
            0.0
        };
        assert!((lost - expect).abs() < 1e-6, "{}: lost {lost}", a.month);
        assert_eq!(a.asic_revenue_usd, b.asic_revenue_usd, "{}", a.month);
    }
    // Availability 0 → the 50 % band: credit half the month's rent, plus the repair.
    let rent = HALL_G_KW * LEASE_USD_PER_KW_MONTH;
    let row = &rep.months[june];
    assert!((row.sla_credits_usd - 0.5 * rent).abs() < 1e-6);
    assert_eq!(row.repair_cost_usd, 150_000.0);
    let extra_opex = r.ledger[june].opex_usd - base.ledger[june].opex_usd;
    assert!((extra_opex - (0.5 * rent + 150_000.0)).abs() < 1e-6);
}

#[test]
fn n_plus_1_survives_one_failure_with_no_downtime() {
    let text = world("teaching-failure")
        .replace(
            "        Transformer(id: \"T3\",",
            "        Transformer(id: \"T4\", substation: \"SUB-1\", rating_mva: 2.5),\n        Transformer(id: \"T3\",",
        )
        .replace(
            "    reliability: (\n",
            "    reliability: (\n        redundancy: [(hall: \"GH\", power: (scheme: NPlus1, equipment: [\"T3\", \"T4\"]))],\n",
        );
    let r = run(&load(&text), None);
    let rep = rel(&r);
    assert_eq!(rep.failures(), 1);
    assert!(
        rep.months
            .iter()
            .all(|m| m.availability.iter().all(|&a| a == 1.0))
    );
    assert!(rep.months.iter().all(|m| m.sla_credits_usd == 0.0));
    assert_eq!(rep.longest_dark_days, 0);
    assert!(r.events.iter().any(|e| e.event == "redundancy"));
    assert!(!r.events.iter().any(|e| e.event == "de-energised"));
}

/// The teaching world with its GPU hall split in two halves of 12 racks (0.6864 MW
/// each), G1 on T3 and G2 on a new existing T4, both 1.0 MVA (0.95 MW), pooled as one
/// hall under `scheme`.
fn split_hall(scheme: &str) -> String {
    let text = world("teaching")
        .replace(
            "Transformer(id: \"T3\", substation: \"SUB-1\", rating_mva: 2.5,",
            "Transformer(id: \"T4\", substation: \"SUB-1\", rating_mva: 1.0),\n        Transformer(id: \"T3\", substation: \"SUB-1\", rating_mva: 1.0,",
        )
        .replace(
            "RackGroup(id: \"G\", count: 24, transformer: \"T3\", cooling: \"DLC-1\"),",
            "RackGroup(id: \"G1\", count: 12, transformer: \"T3\", cooling: \"DLC-1\"),\n        RackGroup(id: \"G2\", count: 12, transformer: \"T4\", cooling: \"DLC-1\"),",
        )
        .replace(
            "InstallUnits(racks: \"G\",",
            "InstallUnits(racks: \"G1\",",
        );
    let gpu2 = "        Step(id: \"gpu-hall-2\", action: InstallUnits(racks: \"G2\", model: \"DGX-B200\", per_rack: 4, contract: Lease), duration_days: 30, after: [\"gpu-hall\"]),\n    ],";
    let i = text.rfind("    ],").expect("end of plan");
    let text = format!("{}{gpu2}{}", &text[..i], &text[i + "    ],".len()..]);
    let body = text.trim_end().strip_suffix(')').unwrap().to_string();
    format!(
        "{body}\n    reliability: (redundancy: [(hall: \"GH\", power: (scheme: {scheme}, equipment: [\"T3\", \"T4\"]))]),\n)\n"
    )
}

#[test]
fn two_n_halves_sellable_capacity_and_the_limit_check_holds_to_it() {
    let gpu_mw = |text: &str| {
        let r = run(&load(text), None);
        r.ledger.last().unwrap().gpu_it_mw_end
    };
    let half_mw = 12.0 * 4.0 * 14.3 / 1e3;
    // N sells 1.9 MW: both halves energise. 2N sells 0.95 MW: only the first does.
    assert!((gpu_mw(&split_hall("N")) - 2.0 * half_mw).abs() < 1e-9);
    assert!((gpu_mw(&split_hall("TwoN")) - half_mw).abs() < 1e-9);
    let s = load(&split_hall("TwoN"));
    let h = &s.reliability.redundancy[0];
    let g = h.power.as_ref().expect("a power scheme");
    let ratings = g.ratings_w(&s);
    assert_eq!(ratings, vec![950_000, 950_000]);
    assert_eq!(
        retrofit::unstable::scenario::reliability::sellable_w(g.scheme, &ratings),
        950_000
    );
    assert_eq!(h.sellable_w(&s), 950_000, "no cooling scheme: power alone");
    let r = run(&s, None);
    assert!(
        r.events
            .iter()
            .any(|e| e.entity == "gpu-hall-2" && e.detail.contains("sellable capacity")),
        "the wait names the hall's sellable capacity"
    );
}

/// A hall declared once with a power and a cooling scheme sells the lesser of the two.
/// The split hall's power at N sells 1.9 MW; its cooling, DLC-1 (1.6 MW) with an
/// existing 1.0 MW DLC-1b, sells 2.6 MW at N (power binds: both halves, 1.3728 MW,
/// energise) but 2.6 − 1.6 = 1.0 MW at N+1, which then binds: only the first half
/// does, and the wait names the cooling scheme.
#[test]
fn a_hall_sells_the_lesser_of_its_power_and_cooling_schemes() {
    let with_cooling = |cooling: &str| {
        split_hall("N")
            .replace(
                "CoolingLoop(id: \"DLC-1\", kind: DirectToChip, heat_rejection_kw: 1600.0,",
                "CoolingLoop(id: \"DLC-1b\", kind: DirectToChip, heat_rejection_kw: 1000.0, max_rack_kw: 130.0, pue: 1.25),\n        CoolingLoop(id: \"DLC-1\", kind: DirectToChip, heat_rejection_kw: 1600.0,",
            )
            .replace(
                "equipment: [\"T3\", \"T4\"]))",
                &format!(
                    "equipment: [\"T3\", \"T4\"]), cooling: (scheme: {cooling}, equipment: [\"DLC-1\", \"DLC-1b\"]))"
                ),
            )
    };
    let half_mw = 12.0 * 4.0 * 14.3 / 1e3;
    for (cooling, sellable_w, energised_mw) in [
        ("N", 1_900_000, 2.0 * half_mw),
        ("NPlus1", 1_000_000, half_mw),
    ] {
        let text = with_cooling(cooling);
        assert!(
            text.contains("DLC-1b") && text.contains("cooling: (scheme"),
            "edits applied"
        );
        let s = load(&text);
        let h = &s.reliability.redundancy[0];
        assert_eq!(h.power.as_ref().unwrap().sellable_w(&s), 1_900_000);
        assert_eq!(h.sellable_w(&s), sellable_w, "cooling {cooling}");
        let r = run(&s, None);
        let gpu = r.ledger.last().unwrap().gpu_it_mw_end;
        assert!(
            (gpu - energised_mw).abs() < 1e-9,
            "cooling {cooling}: {gpu} MW"
        );
        let waits = r.events.iter().any(|e| {
            e.entity == "gpu-hall-2"
                && e.detail.contains(
                    "cooling loop DLC-1 (sellable capacity of its hall's redundancy scheme)",
                )
        });
        assert_eq!(waits, cooling == "NPlus1", "cooling {cooling}");
    }
}

/// The split hall at power N on T3/T4 (1.9 MW) naming two UPS of `ups_mw` each in its
/// power scheme, `extra` added to the scheme's equipment.
fn split_hall_with_ups(ups_mw: f64, extra: &str) -> String {
    split_hall("N")
        .replace(
            "equipment: [\"T3\", \"T4\"]))]),",
            &format!(
                "equipment: [\"T3\", \"T4\", \"UPS-a\", \"UPS-b\"{extra}]))],\n        backup: [(id: \"UPS-a\", kind: Ups, hall: \"GH\", rating_mw: {ups_mw:?}, cost_usd: 1.0, lead_time_weeks: 0), (id: \"UPS-b\", kind: Ups, hall: \"GH\", rating_mw: {ups_mw:?}, cost_usd: 1.0, lead_time_weeks: 0), (id: \"GEN-a\", kind: Generator, hall: \"GH\", rating_mw: 2.0, cost_usd: 1.0, lead_time_weeks: 0)]),"
            ),
        )
}

/// A power scheme may name the hall's UPS: a second set under the same scheme, so the
/// hall sells no more than the surviving UPS carry. Two 0.5 MW UPS at N carry 1.0 MW,
/// less than the transformers' 1.9 MW: only the first half (0.6864 MW) energises; at
/// 0.7 MW each (1.4 MW) both halves (1.3728 MW) do. `check` explains both sets, and
/// refuses a generator in the scheme or one UPS at N+1.
#[test]
fn a_power_scheme_naming_ups_sells_no_more_than_they_carry() {
    let half_mw = 12.0 * 4.0 * 14.3 / 1e3;
    for (ups_mw, energised_mw) in [(0.5, half_mw), (0.7, 2.0 * half_mw)] {
        let text = split_hall_with_ups(ups_mw, "");
        assert!(text.contains("UPS-b"), "edit applied");
        let s = load(&text);
        let sellable_w = (2.0 * ups_mw * 1e6) as u64;
        assert_eq!(s.reliability.redundancy[0].sellable_w(&s), sellable_w);
        let r = run(&s, None);
        let gpu = r.ledger.last().unwrap().gpu_it_mw_end;
        assert!(
            (gpu - energised_mw).abs() < 1e-9,
            "UPS {ups_mw} MW: {gpu} MW"
        );
    }
    let s = load(&split_hall_with_ups(0.5, ""));
    assert_eq!(
        s.reliability.explain(&s),
        vec![
            "hall GH: power N on T3/T4 leaves 1.9 MW of 1.9 MW and on UPS-a/UPS-b leaves 1 MW of 1 MW; sellable 1 MW"
                .to_string()
        ]
    );
    let p = problems(&split_hall_with_ups(0.5, ", \"GEN-a\""));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].0.as_str(), p[0].1.as_str()),
        ("hall GH", "redundancy-scheme")
    );
    assert!(p[0].2.contains("not backup GEN-a"), "{p:?}");
    let one = split_hall_with_ups(0.5, "")
        .replace("scheme: N, equipment", "scheme: NPlus1, equipment")
        .replace(", \"UPS-b\"]", "]");
    let p = problems(&one);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].2
            .contains("power UPS: N+1 needs at least two items, got 1"),
        "{p:?}"
    );
}

#[test]
fn without_a_spare_the_replacement_waits_its_lead_time_with_one_the_swap_time() {
    let none = run(&load(&world("no-spare-transformer")), None);
    let spare = run(&load(&world("spare-transformer")), None);
    let o = &rel(&none).outages[0];
    assert_eq!(o.restore, "replacement");
    assert_eq!(o.to.unwrap() - o.from, 128 * 7, "128 weeks");
    let o = &rel(&spare).outages[0];
    assert_eq!(o.restore, "spare");
    assert_eq!(o.to.unwrap() - o.from, 14, "the 14-day swap");
    // The replacement capex is booked in the month of the failure; the spare on day 0.
    let june = month_index(&none, "2029-06");
    assert_eq!(rel(&none).months[june].replacement_capex_usd, 400_000.0);
    assert_eq!(rel(&spare).months[june].replacement_capex_usd, 0.0);
    assert_eq!(
        spare.ledger[0].capex_usd - none.ledger[0].capex_usd,
        400_000.0
    );
}

#[test]
fn worlds_without_a_reliability_section_report_none() {
    let r = run(&load(&world("teaching")), Some(7));
    assert!(r.reliability.is_none());
}

/// The number of failures of an always-in-service item with MTBF m and a repair of r
/// days over a horizon T is a renewal count with mean ≈ T / (m + r) (exponential lives,
/// the item as good as new after each repair). Over n seeded runs the total has
/// standard deviation ≈ sqrt(n · T/(m + r)) (a Poisson count: the exponential renewal
/// process is Poisson in up-time); we allow 4 standard deviations, which a correct
/// sampler fails with probability < 1e-4, and the seeds are fixed so the test is
/// deterministic. A sampler off by 10 % in its MTBF misses by > 5 σ.
#[test]
fn sampled_failure_counts_match_the_mtbf() {
    let text = world("teaching")
        .trim_end()
        .strip_suffix(')')
        .unwrap()
        .to_string()
        + "\n    reliability: (failures: [(equipment: [\"T2\"], life: Mtbf(years: 2.0), restore: Repair(days: 1))]),\n)\n";
    let s = load(&text);
    let n = 200u64;
    let opts = RunOptions {
        record_events: false,
        audit: cfg!(debug_assertions),
    };
    let total: usize = (0..n)
        .map(|i| {
            let r =
                retrofit::run_with(&s, Some(retrofit::unstable::sweep::seed_for(2026, i)), opts)
                    .expect("run (audited in debug builds)");
            let rep = rel(&r);
            assert!(rep.sampled);
            rep.failures()
        })
        .sum();
    let horizon_days = f64::from(s.calendar.end());
    // Each cycle is the life plus the repair; lives are rounded up to whole days
    // (+0.5 day on average).
    let per_run = horizon_days / (2.0 * 365.25 + 1.0 + 0.5);
    let mean = per_run * n as f64;
    let sd = mean.sqrt();
    assert!(
        (total as f64 - mean).abs() < 4.0 * sd,
        "{total} failures over {n} runs, expected {mean:.0} ± {:.0}",
        4.0 * sd
    );
}

#[test]
fn failures_do_not_shift_the_other_draws() {
    // The same seed draws the same lead times and markets with or without a failure
    // model: failure draws come last.
    let plain = load(&world("teaching"));
    let text = world("teaching")
        .trim_end()
        .strip_suffix(')')
        .unwrap()
        .to_string()
        + "\n    reliability: (failures: [(equipment: [\"T2\"], life: Mtbf(years: 2.0), restore: Repair(days: 1))]),\n)\n";
    let with = load(&text);
    use rand::SeedableRng;
    let a = retrofit::unstable::engine::Draws::sample(
        &plain,
        &mut rand_pcg::Pcg64Mcg::seed_from_u64(7),
    );
    let b =
        retrofit::unstable::engine::Draws::sample(&with, &mut rand_pcg::Pcg64Mcg::seed_from_u64(7));
    assert_eq!(a.transformer_lead_days, b.transformer_lead_days);
    assert_eq!(a.step_days, b.step_days);
    assert_eq!(a.market, b.market);
    assert!(a.failures.lives.is_empty());
    assert!(!b.failures.lives[0].is_empty());
}

/// docs/model.md's worked example and docs/teaching.md's exercise 4, recomputed from
/// the two runs to the cent.
#[test]
fn the_docs_worked_example_and_exercise_match_the_runs() {
    let base = run(&load(&world("teaching")), None);
    let r = run(&load(&world("teaching-failure")), None);
    let june = month_index(&r, "2029-06");
    let lost = base.ledger[june].gpu_revenue_usd - r.ledger[june].gpu_revenue_usd;
    let row = &rel(&r).months[june];
    let drop = base.ledger[june].net_cash_flow_usd - r.ledger[june].net_cash_flow_usd;
    let root = env!("CARGO_MANIFEST_DIR");
    let model = std::fs::read_to_string(format!("{root}/docs/model.md")).unwrap();
    let teaching = std::fs::read_to_string(format!("{root}/docs/teaching.md")).unwrap();
    let with_commas = |v: f64| {
        let s = format!("{v:.2}");
        let (int, frac) = s.split_once('.').unwrap();
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("${out}.{frac}")
    };
    for v in [lost, row.sla_credits_usd, row.repair_cost_usd, drop] {
        let plain = format!("**{v:.2} USD**");
        assert!(model.contains(&plain), "docs/model.md should say {plain}");
        let money = format!("**{}**", with_commas(v));
        assert!(
            teaching.contains(&money),
            "docs/teaching.md should say {money}"
        );
    }
    assert!(teaching.contains("**30 days**"));
    assert_eq!(rel(&r).longest_dark_days, 30);
    let none = run(&load(&world("no-spare-transformer")), None);
    assert!(teaching.contains(&format!("dark for {} days", rel(&none).longest_dark_days)));
}

/// Every substation, transformer and cooling loop of the reference world fails about
/// once a year (Weibull, wear-out) and none is redundant, so racks go dark often.
/// Debug builds audit after every event: loads recomputed from the entities agree with
/// the incremental ones and no limit is ever exceeded, with racks going dark and coming
/// back (and waiting to come back) throughout.
#[test]
fn the_audit_holds_with_frequent_failures() {
    let s = load(&world("reference"));
    let ids: Vec<String> = s
        .transformers
        .iter()
        .map(|t| format!("\"{}\"", t.id))
        .chain(s.substations.iter().map(|b| format!("\"{}\"", b.id)))
        .chain(s.cooling_loops.iter().map(|l| format!("\"{}\"", l.id)))
        .collect();
    // The reference world without its own reliability section (redundancy, backup,
    // failure models), so that nothing is redundant and everything fails often.
    let reference = world("reference");
    let own = "    // Failures, redundancy and backup of the GPU halls";
    let (body, _) = reference
        .split_once(own)
        .expect("reference has a reliability section");
    let text = body.to_string()
        + &format!(
            "    reliability: (failures: [(equipment: [{}], life: Weibull(shape: 1.5, scale_years: 1.0), restore: Repair(days: Uniform(min: 1, max: 90), cost_usd: 1000.0))]),\n)\n",
            ids.join(", ")
        );
    let s = load(&text);
    let opts = RunOptions {
        record_events: false,
        audit: true,
    };
    let mut failures = 0;
    let mut dark = 0;
    for seed in 0..3 {
        let r = retrofit::run_with(&s, Some(seed), opts).expect("audit holds");
        let rep = rel(&r);
        failures += rep.failures();
        dark += rep.months.iter().filter(|m| m.lost_it_mwh > 0.0).count();
    }
    assert!(
        failures > 20,
        "{failures} failures: the test must exercise them"
    );
    assert!(dark > 4, "{dark} dark months");
}

/// A hall that requires Tier III-class backup waits for generators and UPS rated for
/// its sellable capacity, like any other limit, and the log says so. (Lead times here
/// are stretched to bind: domain.md gives generators 12–20 weeks, UPS 20–40 weeks.)
#[test]
fn a_tier_iii_hall_waits_for_its_backup_power() {
    let body = world("teaching")
        .trim_end()
        .strip_suffix(')')
        .unwrap()
        .to_string();
    let text = body
        + r#"
    reliability: (
        redundancy: [(hall: "GH", power: (scheme: N, equipment: ["T3"]), requires_backup: true)],
        backup: [
            (id: "GEN-1", kind: Generator, hall: "GH", rating_mw: 2.5, cost_usd: 1000000.0,
             lead_time_weeks: 120, opex_usd_per_month: 5000.0),
            (id: "UPS-1", kind: Ups, hall: "GH", rating_mw: 2.5, cost_usd: 500000.0,
             lead_time_weeks: 30),
        ],
    ),
)
"#;
    let s = load(&text);
    let r = run(&s, None);
    assert_eq!(
        r.first_gpu_day,
        Some(120 * 7),
        "energises the day the generator does"
    );
    let wait = r
        .events
        .iter()
        .find(|e| e.event == "wait" && e.entity == "gpu-hall")
        .expect("the GPU hall waits");
    assert!(
        wait.detail.contains("generators of hall GH"),
        "{}",
        wait.detail
    );
    // Backup capex on day 0; generator opex from the month it is in service.
    let base = run(&load(&world("teaching")), None);
    assert_eq!(
        r.ledger[0].capex_usd - base.ledger[0].capex_usd,
        1_500_000.0
    );
    let rep = rel(&r);
    let on = s.calendar.date(120 * 7).to_string();
    let m = month_index(&r, &on[..7]);
    assert_eq!(rep.months[m - 1].backup_opex_usd, 0.0);
    assert_eq!(rep.months[m].backup_opex_usd, 5000.0);
}

/// Unit failures: with AFR 10 %/yr and 36.525 days out, p = 1 % of the miners are in
/// repair on average, so a seeded run mines 1 % less than the same seed without them
/// (every other draw is the same: failure draws come last). Per month the count of
/// units in repair is B(n, p) with n ≈ 520–600 miners per model: σ(share) ≈ 0.44 %;
/// over ≥ 30 model-months of mining the mean share has σ < 0.1 %, and we allow 0.3 %.
/// A plain run samples no unit failures and mines exactly as before.
#[test]
fn unit_failures_take_their_share_of_hashrate_out() {
    let body = world("teaching")
        .trim_end()
        .strip_suffix(')')
        .unwrap()
        .to_string();
    let text = body
        + r#"
    reliability: (units: [
        (model: "S19-XP", annual_failure_rate: 0.10, repair_days: 36.525),
        (model: "S21", annual_failure_rate: 0.10, repair_days: 36.525),
    ]),
)
"#;
    let with = load(&text);
    let without = load(&world("teaching"));
    let plain_a = run(&with, None);
    let plain_b = run(&without, None);
    for (a, b) in plain_a.ledger.iter().zip(&plain_b.ledger) {
        assert_eq!(a.btc_mined, b.btc_mined, "{}", a.month);
    }
    let a = run(&with, Some(11));
    let b = run(&without, Some(11));
    let mined = |r: &RunResult| r.ledger.iter().map(|m| m.btc_mined).sum::<f64>();
    let mining_months = b.ledger.iter().filter(|m| m.btc_mined > 0.0).count();
    assert!(mining_months >= 15, "{mining_months} months of mining");
    let share = 1.0 - mined(&a) / mined(&b);
    assert!(
        (share - 0.01).abs() < 0.003,
        "share of hashrate in repair {share}"
    );
    let rep = rel(&a);
    assert!(rep.sampled);
    assert!(rep.months.iter().any(|m| m.units_in_repair_it_mwh > 0.0));
}

/// A sweep of the scripted-failure world: every run loses hall G for the 30-day repair
/// in June 2029 (and nothing else, the T3 MTBF being 333 years), so every run pays a
/// credit, halls A and B stay fully available, and the longest outage is 30 days (to
/// the sketch's 1 % relative accuracy).
#[test]
fn a_sweep_reports_availability_credits_and_the_longest_outage() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let s = Arc::new(load(&world("teaching-failure")));
    let cfg = retrofit::SweepConfig {
        runs: 24,
        seed: 5,
        jobs: 2,
        shard: None,
        handle_interrupt: false,
    };
    let (agg, _) = retrofit::unstable::sweep::execute(
        s,
        &cfg,
        Arc::new(AtomicBool::new(false)),
        |_| Ok(()),
        || {},
    )
    .expect("sweep");
    let summary = agg.summary("t", 5, 24, false);
    let r = summary.reliability.expect("reliability figures");
    assert_eq!(r.probability_any_sla_credit, 1.0);
    assert!(r.expected_sla_credits_usd > 0.0);
    let a = &r.availability[0];
    assert_eq!((a.group.as_str(), a.availability.p10), ("A", Some(1.0)));
    let g = &r.availability[2];
    assert!(g.availability.p50.unwrap() < 1.0);
    let longest = r.longest_outage_days.p50.unwrap();
    assert!((longest - 30.0).abs() <= 0.3, "{longest}");
}

/// Hall A's transformer fails in January 2027 for 90 days; hall A is decommissioned in
/// March, while dark: its miners must not come back when T1 does.
#[test]
fn a_hall_decommissioned_while_dark_stays_off() {
    let body = world("teaching")
        .trim_end()
        .strip_suffix(')')
        .unwrap()
        .to_string();
    let plan_end = "             duration_days: 30, after: [\"install-T3\", \"convert-hall\"]),\n";
    assert!(body.contains(plan_end));
    let text = body.replace(
        plan_end,
        &format!("{plan_end}        Step(id: \"T1-fails\", action: Fail(\"T1\"), start: \"2027-01-15\"),\n"),
    ) + r#"
    reliability: (
        failures: [(equipment: ["T1"], life: Mtbf(years: 333.0), restore: Repair(days: 90))],
    ),
)
"#;
    let r = run(&load(&text), None);
    assert!(!r.events.iter().any(|e| e.event == "re-energised"));
    let april = month_index(&r, "2027-05");
    let base = run(&load(&world("teaching")), None);
    // From May on (T1 back in mid-April) the site runs exactly as the teaching world.
    for (a, b) in r.ledger[april..].iter().zip(&base.ledger[april..]) {
        assert_eq!(a.asic_it_mw, b.asic_it_mw, "{}", a.month);
    }
}

/// The `Fail` step of the teaching-failure world, as written.
const FAIL_STEP: &str =
    "        Step(id: \"T3-fails\", action: Fail(\"T3\"), start: \"2029-06\"),\n";

/// A problem as `(entity, rule, message, (line, col))`.
type Found = (String, String, String, Option<(usize, usize)>);

/// The problems of an invalid world text.
fn problems(text: &str) -> Vec<Found> {
    match retrofit::load_str(text, "w.ron") {
        Err(retrofit::WorldError::Invalid { problems, .. }) => problems
            .into_iter()
            .map(|p| (p.entity, p.rule.name().to_string(), p.message, p.position))
            .collect(),
        Err(e) => panic!("did not parse: {e}"),
        Ok(_) => panic!("loaded as valid"),
    }
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

/// A `Fail` step is not a step the engine runs, so where it stands in the plan changes
/// nothing: moved to the top, before the steps whose `after` links it would shift if it
/// were counted, the run is the same bit for bit, failure included.
#[test]
fn a_fail_step_anywhere_in_the_plan_runs_the_same() {
    let text = world("teaching-failure");
    assert!(text.contains(FAIL_STEP));
    let first = "    plan: [\n";
    let moved = text
        .replace(FAIL_STEP, "")
        .replace(first, &format!("{first}{FAIL_STEP}"));
    assert_ne!(moved, text);
    let (a, b) = (run(&load(&text), None), run(&load(&moved), None));
    assert_eq!(rel(&a).failures(), 1);
    assert_eq!(a.events.len(), b.events.len());
    for (x, y) in a.ledger.iter().zip(&b.ledger) {
        assert_eq!(x.opex_usd, y.opex_usd, "{}", x.month);
        assert_eq!(x.gpu_revenue_usd, y.gpu_revenue_usd, "{}", x.month);
    }
    assert_eq!(a.summary.npv_usd, b.summary.npv_usd);
}

/// A `Fail` step naming equipment that does not exist is reported at the step, with
/// the rule, and `file:line:col` pointing at the step's declaration.
#[test]
fn a_fail_step_of_unknown_equipment_names_the_step_and_the_rule() {
    let text = world("teaching-failure").replace("Fail(\"T3\")", "Fail(\"T-G2\")");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    let (entity, rule, message, position) = &p[0];
    assert_eq!(entity, "plan step T3-fails");
    assert_eq!(rule, "unknown-reference");
    assert!(message.contains("`T-G2` is not a substation, transformer or cooling loop"));
    let (line, _) = position.expect("located");
    assert_eq!(line, line_of(&text, "Step(id: \"T3-fails\""));
}

/// T3 is ordered on day 0 with a lead time of at least 30 weeks: it cannot be in service
/// in March 2026, and the problem names the step, the rule and the step's line.
#[test]
fn a_fail_step_before_the_equipment_is_in_service_is_refused() {
    let text = world("teaching-failure").replace(
        "Fail(\"T3\"), start: \"2029-06\"",
        "Fail(\"T3\"), start: \"2026-03\"",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    let (entity, rule, message, position) = &p[0];
    assert_eq!(
        (entity.as_str(), rule.as_str()),
        ("plan step T3-fails", "failure-not-in-service")
    );
    assert!(message.contains("transformer T3 is not in service on 2026-03"));
    assert!(message.contains("at least 30 weeks"), "{message}");
    assert_eq!(
        position.map(|(l, _)| l),
        Some(line_of(&text, "Step(id: \"T3-fails\""))
    );
}

/// A `Fail` step strikes on its date: it needs `start` and takes no `after`,
/// `duration_days` or `cost_usd`; no step may wait for it; and a date past the horizon
/// is refused.
#[test]
fn a_fail_step_takes_a_date_and_nothing_else() {
    let base = world("teaching-failure");
    let with = |step: &str| base.replace(FAIL_STEP, &format!("        {step},\n"));
    let cases = [
        (
            with(r#"Step(id: "T3-fails", action: Fail("T3"))"#),
            "bad-date",
            "needs `start`",
        ),
        (
            with(
                r#"Step(id: "T3-fails", action: Fail("T3"), start: "2029-06", after: ["gpu-hall"])"#,
            ),
            "ignored-field",
            "remove after",
        ),
        (
            with(r#"Step(id: "T3-fails", action: Fail("T3"), start: "2029-06", duration_days: 3)"#),
            "ignored-field",
            "remove duration_days",
        ),
        (
            with(r#"Step(id: "T3-fails", action: Fail("T3"), start: "2029-06", cost_usd: 5.0)"#),
            "ignored-field",
            "remove cost_usd",
        ),
        (
            with(r#"Step(id: "T3-fails", action: Fail("T3"), start: "2036-01")"#),
            "bad-date",
            "after the simulated horizon",
        ),
        (
            base.replace(
                "after: [\"install-T3\", \"convert-hall\"]",
                "after: [\"install-T3\", \"convert-hall\", \"T3-fails\"]",
            ),
            "unknown-reference",
            "`T3-fails` is a Fail step",
        ),
    ];
    for (text, rule, words) in cases {
        assert_ne!(text, base, "{rule}: the edit applied");
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].1, rule, "{p:?}");
        assert!(p[0].2.contains(words), "{p:?}");
        assert!(p[0].3.is_some(), "{p:?}: located");
    }
}

/// The teaching-failure world with T3's repair taking `repair_days`, and a finance
/// section whose lease of hall G at $150/kW-month carries its own SLA `sla`.
fn with_lease_sla(repair_days: u32, sla: &str) -> String {
    let text = world("teaching-failure");
    let repair = "restore: Repair(days: 30, cost_usd: 150000.0)";
    assert!(text.contains(repair));
    let body = text
        .replace(
            repair,
            &format!("restore: Repair(days: {repair_days}, cost_usd: 150000.0)"),
        )
        .trim_end()
        .strip_suffix(')')
        .unwrap()
        .to_string();
    format!(
        "{body}\n    finance: (leases: [(id: \"L-G\", hall: \"G\", usd_per_kw_month: 150.0, sla: {sla})]),\n)\n"
    )
}

/// June 2029's SLA credit of a run of `text`.
fn june_credit(text: &str) -> f64 {
    let r = run(&load(text), None);
    let june = month_index(&r, "2029-06");
    rel(&r).months[june].sla_credits_usd
}

/// Hall G's own lease at $150/kW-month, promising 99.99 %: 10 % of rent from 90 %
/// (inclusive) up, 50 % below. A 3-day repair in 30-day June leaves availability 27/30 =
/// 0.9 exactly, on the lower edge of the 10 % band; moving the edge just above 0.9 puts
/// the month in the 50 % band; a target of 0.9 is met and credits nothing. The credit is
/// on the lease's rate, not the `gpu_lease` market's $121.5, and the site-wide SLA
/// (which would credit 50 % at 0.9) does not apply to the hall.
#[test]
fn a_lease_sla_credits_its_own_rent_at_its_band_edges() {
    let rent = HALL_G_KW * 150.0;
    let bands = |edge: &str, target: &str| {
        format!(
            "(availability_target: {target}, credits: [(min_availability: {edge}, max_availability: 1.0, credit_share: 0.10), (min_availability: 0.0, max_availability: {edge}, credit_share: 0.50)])"
        )
    };
    let at_edge = june_credit(&with_lease_sla(3, &bands("0.9", "0.9999")));
    assert!((at_edge - 0.10 * rent).abs() < 1e-6, "{at_edge}");
    let below = june_credit(&with_lease_sla(3, &bands("0.9000001", "0.9999")));
    assert!((below - 0.50 * rent).abs() < 1e-6, "{below}");
    let met = june_credit(&with_lease_sla(3, &bands("0.9", "0.9")));
    assert_eq!(met, 0.0, "availability 0.9 meets a 0.9 target");
    // Without the lease's own SLA, the site-wide one credits 50 % of the market rent.
    let site = june_credit(&world("teaching-failure").replace(
        "restore: Repair(days: 30, cost_usd: 150000.0)",
        "restore: Repair(days: 3, cost_usd: 150000.0)",
    ));
    assert!((site - 0.50 * HALL_G_KW * LEASE_USD_PER_KW_MONTH).abs() < 1e-6);
}

/// The teaching-failure world with T3 failing on the first of `month` for 3 days and
/// practically never at random, and a finance lease of hall G at `rate` rising
/// `escalator` a year under the site-wide SLA (availability below 0.99 → 50 % of rent).
fn with_escalating_lease(month: &str, rate: &str, escalator: f64) -> String {
    let text = world("teaching-failure")
        .replace(
            "restore: Repair(days: 30, cost_usd: 150000.0)",
            "restore: Repair(days: 3, cost_usd: 150000.0)",
        )
        .replace("Mtbf(years: 333.0)", "Mtbf(years: 1000000.0)")
        .replace(
            "action: Fail(\"T3\"), start: \"2029-06\"",
            &format!("action: Fail(\"T3\"), start: \"{month}\""),
        );
    let body = text.trim_end().strip_suffix(')').unwrap();
    format!(
        "{body}\n    finance: (leases: [(id: \"L-G\", hall: \"G\", usd_per_kw_month: {rate}, escalator_per_year: {escalator:?})]),\n)\n"
    )
}

/// A ledger month wholly in contract months `j` and `j + 1` of a lease commencing on
/// day `day`: contract month j runs from the commencement day-of-month in ledger month
/// c + j to the same day of c + j + 1, so ledger month c + j + 1 holds j and j + 1 (only
/// j + 1 when the lease commences on a month's first day).
fn month_in_contract_months(s: &Scenario, day: u32, j: u32) -> u32 {
    s.calendar.month_of(day) + j + 1
}

/// In a year-3 month (contract month 24–35, after two anniversaries) the credit is the
/// band's share of the rent the lease bills that month, escalated twice: 50 % × 1372.8
/// kW × $150 × 1.03², to the cent, not the base rate's 50 % × 1372.8 × 150. The finance
/// layer bills the same escalated rent (its `escalated_rate` column), and docs/model.md
/// shows the example.
#[test]
fn a_year_3_credit_is_on_the_twice_escalated_rent() {
    let probe = run(
        &load(&with_escalating_lease("2029-06", "150.0", 0.03)),
        None,
    );
    let day = probe.first_gpu_day.expect("hall G energises");
    let s = load(&with_escalating_lease("2029-06", "150.0", 0.03));
    let m = month_in_contract_months(&s, day, 25);
    let label = s.calendar.label(m).to_string();
    let s = load(&with_escalating_lease(&label, "150.0", 0.03));
    let r = run(&s, None);
    assert_eq!(
        r.first_gpu_day,
        Some(day),
        "a later failure moves nothing before it"
    );
    let row = &rel(&r).months[m as usize];
    let days = f64::from(s.calendar.label(m).days());
    let g = rel(&r).groups.iter().position(|g| g == "G").unwrap();
    assert_eq!(row.availability[g], (days - 3.0) / days);
    let rent = HALL_G_KW * 150.0 * 1.03_f64.powi(2);
    let credit = 0.50 * rent;
    let to_cent = |v: f64| (v * 100.0).round();
    assert_eq!(
        to_cent(row.sla_credits_usd),
        to_cent(credit),
        "{}",
        row.sla_credits_usd
    );
    assert!((row.sla_credits_usd - 0.5 * HALL_G_KW * 150.0).abs() > 1000.0);
    let fin = &r.finance.as_ref().expect("finance").rows[m as usize];
    assert!((fin.escalated_rate_usd_per_kw_month[0] - 150.0 * 1.03_f64.powi(2)).abs() < 1e-9);
    assert!((fin.contract_revenue_usd[0] - rent).abs() < 1e-6);
    let model =
        std::fs::read_to_string(format!("{}/docs/model.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for text in [
        format!("**{}**", s.calendar.label(s.calendar.month_of(day))),
        format!("**{label}**"),
        format!("**{}**", money::cents(rent)),
        format!("**{}**", money::cents(credit)),
    ] {
        assert!(model.contains(&text), "docs/model.md should show {text}");
    }
}

/// In seeded runs (as a sweep draws them) with the lease rate a distribution, each run's
/// credit follows the rate it drew: 50 % × 1372.8 kW × that run's rate, which the
/// finance layer reports, and differs from run to run and from the median.
#[test]
fn a_sampled_lease_rate_moves_the_credit_with_it() {
    let s = load(&with_escalating_lease(
        "2029-06",
        "Triangular(min: 130, mode: 150, max: 175)",
        0.0,
    ));
    let mut rates = Vec::new();
    for seed in [1_u64, 2, 3, 4] {
        let r = run(&s, Some(seed));
        let june = month_index(&r, "2029-06");
        let rate =
            r.finance.as_ref().expect("finance").rows[june].escalated_rate_usd_per_kw_month[0];
        assert!((130.0..=175.0).contains(&rate), "{rate}");
        let credit = rel(&r).months[june].sla_credits_usd;
        assert!(
            (credit - 0.5 * HALL_G_KW * rate).abs() < 1e-6,
            "seed {seed}: credit {credit} at rate {rate}"
        );
        rates.push(rate);
    }
    rates.dedup();
    assert!(
        rates.len() > 1 && rates.iter().all(|&r| r != 150.0),
        "{rates:?}"
    );
}

/// A lease's SLA is checked like the site's: a target above 100 % and overlapping bands
/// are refused, naming the lease.
#[test]
fn a_broken_lease_sla_names_the_lease() {
    let over = with_lease_sla(30, "(availability_target: 1.5, credits: [])");
    let p = problems(&over);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].0.as_str(), p[0].1.as_str()),
        ("lease L-G sla", "out-of-range")
    );
    assert!(p[0].2.contains("between 0 and 1 (100 %), got 1.5"), "{p:?}");
    let overlapping = with_lease_sla(
        30,
        "(availability_target: 0.9999, credits: [(min_availability: 0.9, max_availability: 0.9999, credit_share: 0.1), (min_availability: 0.5, max_availability: 0.95, credit_share: 0.5)])",
    );
    let p = problems(&overlapping);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].0.as_str(), p[0].1.as_str()),
        ("lease L-G sla", "overlapping-credit-bands")
    );
    assert!(
        p[0].2.contains("[0.5, 0.95) overlaps [0.9, 0.9999)"),
        "{p:?}"
    );
}

/// The reference and full-pivot worlds declare every GPU hall once, N+1 on its
/// transformers (power) and on its cooling loops (cooling), with Tier III-class backup.
/// For each hall: what each surviving set carries, and so the hall's sellable capacity
/// (the lesser), still carries the hall's full IT, so redundancy costs no rack; the
/// backup is rated for the hall's sellable capacity; and both are in service before
/// the hall's first GPU energises in the median run.
#[test]
fn the_shipped_gpu_halls_are_n_plus_1_with_backup_and_lose_no_rack() {
    use retrofit::unstable::scenario::reliability::{BackupKind, Scheme};
    use retrofit::unstable::scenario::{ActionSpec, EquipmentRef, ModelKind};
    for name in ["reference", "full-pivot"] {
        let s = load(&world(name));
        let r = &s.reliability;
        let out = run(&s, None);
        let mut halls = 0;
        for st in &s.plan {
            let ActionSpec::InstallUnits {
                group,
                model,
                per_rack,
                ..
            } = st.action
            else {
                continue;
            };
            let g = &s.racks[group];
            if !matches!(s.models[model].kind, ModelKind::Gpu { .. }) {
                continue;
            }
            halls += 1;
            let it_w = u64::from(g.count) * u64::from(per_rack) * s.models[model].power_w;
            let cooling = EquipmentRef::CoolingLoop(g.cooling);
            let power = EquipmentRef::Transformer(g.transformer);
            let hall_index = r.group_of(cooling).expect("a hall declaration");
            assert_eq!(
                r.group_of(power),
                Some(hall_index),
                "one declaration per hall"
            );
            let h = &r.redundancy[hall_index];
            let hall = &h.hall;
            for (k, item) in [(&h.power, power), (&h.cooling, cooling)] {
                let k = k.as_ref().expect("power and cooling schemes");
                assert!(k.members.contains(&item), "{name} {hall}");
                assert_eq!(k.scheme, Scheme::NPlus1, "{name} {hall}");
                let sellable = k.sellable_w(&s);
                assert!(sellable >= it_w, "{name} {hall}: {sellable} < {it_w}");
            }
            let sellable = h.sellable_w(&s);
            assert!(sellable >= it_w, "{name} {hall}");
            assert!(h.requires_backup, "{name} {hall}");
            for kind in [BackupKind::Generator, BackupKind::Ups] {
                let rated: u64 = (r.backup.iter())
                    .filter(|b| b.hall == hall_index && b.kind == kind)
                    .map(|b| b.rating_w)
                    .sum();
                assert!(rated >= sellable, "{name} {hall} {kind:?}");
            }
            let energised = (out.events.iter())
                .find(|e| e.event == "energised" && e.entity == format!("rack group {}", g.id))
                .map(|e| e.day)
                .expect("the hall energises");
            for b in r.backup.iter().filter(|b| b.hall == hall_index) {
                let in_service = (out.events.iter())
                    .find(|e| e.event == "in-service" && e.entity.ends_with(&b.id))
                    .map(|e| e.day)
                    .expect("backup in service");
                assert!(in_service <= energised, "{name} {}", b.id);
            }
        }
        assert_eq!(halls, if name == "reference" { 2 } else { 4 });
    }
}
