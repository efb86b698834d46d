//! Behaviour tests of `retrofit::optimize`: the exhaustive search finds the known
//! optimum of a small world, constraints no candidate meets are answered with the
//! closest candidate, bad decision variables are refused, and results do not depend on
//! threads or shards.

use retrofit::Shard;
use retrofit::optimize::{self, Constraint, Problem, Settings, Target, best};

/// A GPU hall leased at $120/kW-month on existing equipment, behind a 10 MW
/// interconnect; when to start installing it and how many servers per rack (1 or 2, on
/// racks good for 140 kW) are the decisions. Every month of delay loses a month of rent
/// and costs nothing, and two servers per rack (264 kW) break the racks' density, so
/// the optimum is known: the earliest start with 1 per rack.
const WORLD: &str = r#"World(
    site: Site(name: "opt", start_month: "2026-01", horizon_months: 24,
        discount_rate_per_year: 0.10, interconnect_mw: 10.0,
        electricity_usd_per_mwh: Constant(40.0), fixed_opex_usd_per_month: 10000.0),
    substations: [Substation(id: "S", capacity_mw: 20.0)],
    transformers: [Transformer(id: "T", substation: "S", rating_mva: 10.0)],
    cooling_loops: [CoolingLoop(id: "DLC", kind: DirectToChip, heat_rejection_kw: 8000.0,
        max_rack_kw: 140.0, pue: 1.2)],
    unit_models: [GpuServer(id: "NVL72", gpus: 72, power_w: 132000.0)],
    racks: [RackGroup(id: "G", count: 50, transformer: "T", cooling: "DLC")],
    markets: Markets(btc_price_usd: Constant(90000.0), network_hashrate_eh_s: 1000.0,
        block_subsidy_btc: 3.125, gpu_lease: Some(Lease(usd_per_kw_month: 120.0))),
    plan: [Step(id: "gpu-hall",
        action: InstallUnits(racks: "G", model: "NVL72", per_rack: Choose([1, 2])),
        start: Choose(from: "2026-01", to: "2026-06", step_months: 1, base: "2026-04"),
        duration_days: Triangular(min: 20, mode: 30, max: 60))],
)"#;

fn settings(futures: u64) -> Settings {
    Settings {
        futures,
        seed: 3,
        ..Settings::default()
    }
}

#[test]
fn exhaustive_search_finds_the_known_optimum() {
    let p = Problem::new(WORLD, "opt.ron", 1000).expect("problem");
    assert_eq!(p.candidates, 12);
    let s = settings(20);
    let cands = p.run(&s, None, 2, &|| {});
    // Two per rack never passes the check: those candidates are invalid, not dropped.
    let invalid = cands.iter().filter(|c| c.stats.is_err()).count();
    assert_eq!(invalid, 6);
    let chosen = best(&cands, &s, None).expect("a valid candidate");
    assert!(chosen.feasible);
    assert_eq!(p.picks(chosen.index), [0, 0], "1 per rack, from 2026-01");
    let text = p.text_of(&p.picks(chosen.index));
    assert!(text.contains(r#"start: "2026-01""#) && text.contains("per_rack: 1)"));
    retrofit::load_str(&text, "best.ron").expect("best.ron is a runnable world");
    let why = optimize::explain(&p, &cands, &chosen, &s);
    assert!(
        why.contains("gpu-hall.start 2026-01 instead of 2026-04"),
        "{why}"
    );
    // Starting three months earlier energises earlier in every future.
    assert!(
        why.contains("P50 first GPU month (months from start): ") && why.contains("months earlier"),
        "{why}"
    );
    // In the event log's words, on the median run: the install's median is
    // 60 − √(40 × 30 / 2) = 35.5 days (Triangular(20, 30, 60)), so a start on 1 January
    // energises in February and one on 1 April in May.
    assert!(
        why.contains("rack group G energised 2026-02 instead of 2026-05"),
        "{why}"
    );
    assert!(optimize::unused_variable(&p, &cands).is_none());
}

#[test]
fn constraints_no_candidate_meets_are_answered_with_the_closest() {
    let p = Problem::new(WORLD, "opt.ron", 1000).expect("problem");
    let mut s = settings(0);
    // The hall cannot energise before month 0: no plan is that early.
    s.constraints = vec![Constraint::parse("p50:first-gpu-month<=-2").unwrap()];
    let cands = p.run(&s, None, 1, &|| {});
    let chosen = best(&cands, &s, None).expect("closest");
    assert!(!chosen.feasible);
    assert_eq!(p.picks(chosen.index), [0, 0]);
    assert_eq!(chosen.failed, ["p50:first-gpu-month<=-2 (is 1)"]);
    let why = optimize::explain(&p, &cands, &chosen, &s);
    assert!(
        why.starts_with("No candidate meets every constraint"),
        "{why}"
    );
    let mut csv = Vec::new();
    optimize::write_candidates_csv(&p, &cands, &s, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 13, "{csv}");
    assert!(csv.lines().nth(1).unwrap().contains("false"));
}

#[test]
fn bad_decision_variables_are_refused() {
    let e = Problem::new(
        &WORLD.replace("Choose([1, 2])", "Choose([])"),
        "o.ron",
        1000,
    )
    .unwrap_err();
    assert!(
        e.starts_with("o.ron:14:68:") && e.contains("no alternatives"),
        "{e}"
    );
    let reversed = WORLD.replace(
        r#"from: "2026-01", to: "2026-06""#,
        r#"from: "2026-06", to: "2026-01""#,
    );
    let e = Problem::new(&reversed, "o.ron", 1000).unwrap_err();
    assert!(e.contains("reversed"), "{e}");
    // The opex of a world that... is used; the BTC price is not (no miners), so a
    // choice of it changes no result.
    let unused = WORLD.replace("Constant(90000.0)", "Constant(Choose([80000.0, 90000.0]))");
    let p = Problem::new(&unused, "o.ron", 1000).expect("the checked worlds differ");
    let cands = p.run(&settings(0), None, 2, &|| {});
    let e = optimize::unused_variable(&p, &cands).expect("unused");
    assert!(e.contains("markets") || e.contains("btc_price_usd"), "{e}");
    assert!(e.contains("changes no result"), "{e}");
    let e = Target::parse("p50:irr").unwrap_err();
    assert!(e.contains("unknown metric `irr`"), "{e}");
    assert!(
        Problem::new(WORLD, "o.ron", 5)
            .unwrap_err()
            .contains("more than 5 candidates")
    );
}

#[test]
fn shards_and_threads_give_the_same_candidates() {
    let p = Problem::new(WORLD, "opt.ron", 1000).expect("problem");
    let s = settings(8);
    let one = p.run(&s, None, 1, &|| {});
    assert_eq!(p.run(&s, None, 3, &|| {}), one);
    let mut parts: Vec<_> = (0..3)
        .flat_map(|k| p.run(&s, Some(Shard { index: k, count: 3 }), 2, &|| {}))
        .collect();
    parts.sort_by_key(|c| c.index);
    assert_eq!(parts, one);
}

/// Three GPU halls, each with its own transformer and cooling loop; for each, when to
/// start (12 months) and how many racks to fill (10, 20, 30 or 40; 40 × 132 kW × 1.2
/// per hall fit every limit): 110,592 candidates. Rent beats power and opex, so the
/// optimum is known: every hall from 2026-01 with 40 racks.
fn three_halls() -> String {
    let hall = |i: u32| format!(r#"Transformer(id: "T{i}", substation: "S", rating_mva: 10.0),"#);
    let lp = |i: u32| {
        format!(
            r#"CoolingLoop(id: "L{i}", kind: DirectToChip, heat_rejection_kw: 8000.0,
               max_rack_kw: 140.0, pue: 1.2),"#
        )
    };
    let racks = |i: u32| {
        format!(
            r#"RackGroup(id: "G{i}", count: Choose([10, 20, 30, 40]), transformer: "T{i}",
               cooling: "L{i}"),"#
        )
    };
    let step = |i: u32| {
        format!(
            r#"Step(id: "hall-{i}", action: InstallUnits(racks: "G{i}", model: "NVL72", per_rack: 1),
               start: Choose(from: "2026-01", to: "2026-12", step_months: 1, base: "2026-06"),
               duration_days: 30),"#
        )
    };
    let all = |f: &dyn Fn(u32) -> String| (1..=3).map(f).collect::<Vec<_>>().join("\n");
    format!(
        r#"World(
    site: Site(name: "three halls", start_month: "2026-01", horizon_months: 36,
        discount_rate_per_year: 0.10, interconnect_mw: 30.0,
        electricity_usd_per_mwh: Constant(40.0), fixed_opex_usd_per_month: 10000.0),
    substations: [Substation(id: "S", capacity_mw: 40.0)],
    transformers: [{}],
    cooling_loops: [{}],
    unit_models: [GpuServer(id: "NVL72", gpus: 72, power_w: 132000.0)],
    racks: [{}],
    markets: Markets(btc_price_usd: Constant(90000.0), network_hashrate_eh_s: 1000.0,
        block_subsidy_btc: 3.125, gpu_lease: Some(Lease(usd_per_kw_month: 120.0))),
    plan: [{}],
)"#,
        all(&hall),
        all(&lp),
        all(&racks),
        all(&step)
    )
}

#[test]
fn genetic_search_finds_the_optimum_of_a_large_space_with_a_fixed_seed() {
    let text = three_halls();
    let p = Problem::new(&text, "halls.ron", 1_000_000).expect("problem");
    assert_eq!(p.candidates, 110_592);
    let s = settings(0);
    let ga = optimize::GaSettings::default();
    let cands = optimize::genetic::search(&p, &s, ga, 2, &|| {});
    assert!(cands.len() <= ga.budget, "{} evaluated", cands.len());
    let chosen = best(&cands, &s, None).expect("best");
    // Choices in file order: G1..G3 counts, then hall-1..3 starts.
    assert_eq!(p.picks(chosen.index), [3, 3, 3, 0, 0, 0]);
    // The same seed gives the same search for any thread count.
    assert_eq!(optimize::genetic::search(&p, &s, ga, 1, &|| {}), cands);
}

mod common;

#[test]
fn cli_writes_best_ron_and_shards_merge_to_the_unsharded_folder() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("opt.ron");
    std::fs::write(&world, WORLD).unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let w = world.to_string_lossy().into_owned();
    let run = |extra: &[&str], out: &str| {
        let o = common::retrofit()
            .args(["optimize", &w, "--futures", "10", "--out", out])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let said = run(&["--jobs", "2"], &p("whole"));
    assert!(
        said.contains("Best plan: gpu-hall.start 2026-01 instead of 2026-04"),
        "{said}"
    );
    let best = std::fs::read_to_string(dir.path().join("whole/best.ron")).unwrap();
    retrofit::load_str(&best, "best.ron").expect("best.ron runs as it is");
    for k in 0..2 {
        run(&["--shard", &format!("{k}/2")], &p(&format!("part{k}")));
    }
    let o = common::retrofit()
        .args(["merge", &p("part0"), &p("part1"), "--out", &p("merged")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "candidates.csv",
        "best.ron",
        "pareto.png",
        "optimize-state.json",
        "retrofit-manifest.json",
    ] {
        let (a, b) = (
            std::fs::read(dir.path().join("whole").join(f)).unwrap(),
            std::fs::read(dir.path().join("merged").join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs");
    }
}

#[test]
fn cli_answers_an_impossible_constraint_with_the_closest_plan() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("opt.ron");
    std::fs::write(&world, WORLD).unwrap();
    let out = dir.path().join("out");
    let o = common::retrofit()
        .args(["optimize", &world.to_string_lossy(), "--futures", "0"])
        .args(["--constraint", "p50:first-gpu-month<=-1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("No candidate meets every constraint")
            && said.contains("p50:first-gpu-month<=-1 (is 1)"),
        "{said}"
    );
    let csv = std::fs::read_to_string(out.join("candidates.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13);
    assert!(out.join("best.ron").is_file());
}

#[test]
fn a_tie_is_settled_for_the_shipped_plan() {
    use retrofit::optimize::{Candidate, Stats};
    use retrofit::sensitivity::MetricValues;
    let c = |index, npv| Candidate {
        index,
        stats: Ok(Stats(vec![
            MetricValues(vec![
                npv, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
            ]);
            5
        ])),
    };
    let cands = [c(0, 5.0), c(1, 7.0), c(2, 7.0), c(3, 6.0)];
    let s = settings(0);
    assert_eq!(best(&cands, &s, None).unwrap().index, 1);
    assert_eq!(best(&cands, &s, Some(2)).unwrap().index, 2);
    assert_eq!(best(&cands, &s, Some(3)).unwrap().index, 1);
}

/// tests/data/valid-financed-small.ron with two decisions: the senior loan's size and
/// whether the GPU hall's install is quick or slow, a DSCR covenant, and a sampled
/// install time so futures differ.
fn financed() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/valid-financed-small.ron"
    ))
    .unwrap();
    text.replace(
        "loan_to_cost: Some(0.6)",
        "loan_to_cost: Some(Choose([0.6, 0.3]))",
    )
    .replace(
        "tenor_months: 60)",
        "tenor_months: 60, min_dscr: Some(1.3))",
    )
    .replace(
        "per_rack: 4),\n             duration_days: 20,",
        "per_rack: 4),\n             duration_days: Choose([Triangular(min: 10, mode: 20, \
         max: 90), Triangular(min: 60, mode: 90, max: 150)]),",
    )
}

#[test]
fn finance_metrics_are_the_finance_layers_figures_over_the_common_futures() {
    use retrofit::optimize::Stat;
    use retrofit::sensitivity::Metric;
    let text = financed();
    assert!(text.matches("Choose(").count() == 2, "{text}");
    let p = Problem::new(&text, "fin.ron", 100).expect("problem");
    let s = Settings {
        objective: Target::parse("p50:equity-irr").unwrap(),
        ..settings(7)
    };
    let cands = p.run(&s, None, 2, &|| {});
    assert_eq!(cands.len(), 4);
    for c in &cands {
        let stats = c.stats.as_ref().expect("every candidate is a valid world");
        let scenario = retrofit::load_str(&p.text_of(&p.picks(c.index)), "fin.ron").unwrap();
        // Recompute each future's figures from the finance layer's own summary.
        let (mut irrs, mut breaches) = (Vec::new(), 0.0);
        for k in 0..7 {
            let seed = retrofit::unstable::sweep::seed_for(3, k);
            let r = retrofit::run(&scenario, Some(seed)).unwrap();
            let f = r.finance.expect("a finance section").summary;
            if let Some(rate) = f.equity_irr.rate() {
                irrs.push(rate * 100.0);
            }
            if !f.covenant_breaches.is_empty() {
                breaches += 1.0;
            }
        }
        irrs.sort_by(f64::total_cmp);
        // Nearest-rank median of the futures that have a single IRR.
        let p50 = irrs
            .get(((irrs.len() as f64 * 0.5).ceil() as usize).max(1) - 1)
            .copied();
        let got = stats.get(Stat::P50, Metric::EquityIrr);
        assert_eq!(p50.unwrap_or(f64::NAN).to_bits(), got.to_bits(), "{got}");
        // The mean of the breach flags is P(covenant breach).
        assert_eq!(
            stats.get(Stat::Mean, Metric::CovenantBreach),
            breaches / 7.0
        );
    }
    // A slower install postpones the lease income the covenant is tested on: the
    // figures differ between plans, so the decisions are used.
    assert!(optimize::unused_variable(&p, &cands).is_none());
}

#[test]
fn the_worlds_optimize_section_is_the_default_and_the_command_line_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("fin.ron");
    let declared = financed().replace(
        "    finance: Some((",
        "    optimize: Optimize(\n        objective: \"p50:equity-irr\",\n        \
         constraints: [\"mean:covenant-breach<=0.5\"],\n    ),\n    finance: Some((",
    );
    std::fs::write(&world, &declared).unwrap();
    let run = |extra: &[&str], out: &str| {
        let out = dir.path().join(out);
        let o = common::retrofit()
            .args([
                "optimize",
                &world.to_string_lossy(),
                "--futures",
                "3",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let csv = std::fs::read_to_string(out.join("candidates.csv")).unwrap();
        let best = std::fs::read_to_string(out.join("best.ron")).unwrap();
        (csv, best)
    };
    let (csv, best) = run(&[], "declared");
    let header = csv.lines().next().unwrap();
    assert!(header.contains("objective_p50:equity-irr"), "{header}");
    assert!(header.contains("equity_irr_p50,") && header.contains("covenant_breach_mean,"));
    // best.ron keeps the section as a comment and runs as it is.
    assert!(best.contains("    // optimize: Optimize("), "{best}");
    retrofit::load_str(&best, "best.ron").expect("best.ron runs");
    let (csv, _) = run(&["--objective", "p50:npv"], "cli");
    assert!(csv.lines().next().unwrap().contains("objective_p50:npv"));
    // An unknown metric in the section is refused at its line and column.
    std::fs::write(&world, declared.replace("p50:equity-irr", "p50:irr")).unwrap();
    let o = common::retrofit()
        .args([
            "optimize",
            &world.to_string_lossy(),
            "--futures",
            "0",
            "--out",
        ])
        .arg(dir.path().join("bad"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    let line = declared
        .lines()
        .position(|l| l.contains("objective: \"p50:equity-irr\""))
        .unwrap()
        + 1;
    assert!(
        e.contains(&format!(
            "fin.ron:{line}:20: optimize.objective: unknown metric `irr`"
        )),
        "{e}"
    );
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn chart_formats_change_only_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("opt.ron");
    std::fs::write(&world, WORLD).unwrap();
    let files = |charts: &str| {
        let out = dir.path().join(charts);
        let o = common::retrofit()
            .args(["optimize", &world.to_string_lossy(), "--futures", "0"])
            .args(["--charts", charts, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        (names, std::fs::read(out.join("candidates.csv")).unwrap())
    };
    let (png, csv) = files("png");
    let (none, csv_none) = files("none");
    let (both, _) = files("both");
    let (svg, _) = files("svg");
    assert!(png.contains(&"pareto.png".into()) && !png.contains(&"pareto.svg".into()));
    assert!(!none.iter().any(|n| n.starts_with("pareto")));
    assert!(both.contains(&"pareto.png".into()) && both.contains(&"pareto.svg".into()));
    assert!(svg.contains(&"pareto.svg".into()) && !svg.contains(&"pareto.png".into()));
    assert_eq!(csv, csv_none);
}

#[test]
fn successive_halving_finds_the_exhaustive_optimum_with_fewer_engine_runs() {
    use retrofit::optimize::{HalvingSettings, halving};
    let p = Problem::new(WORLD, "opt.ron", 1000).expect("problem");
    let s = settings(27);
    let exhaustive = p.run(&s, None, 2, &|| {});
    let want = best(&exhaustive, &s, None).expect("an optimum");
    // The exhaustive search runs every valid candidate on every future (the 6 with two
    // servers per rack fail the check and run nothing).
    let valid = exhaustive.iter().filter(|c| c.stats.is_ok()).count() as u64;
    assert_eq!(valid, 6);
    let exhaustive_runs = valid * 27;
    let hs = HalvingSettings {
        eta: 3,
        min_futures: 3,
    };
    let h = halving::search(&p, &s, hs, 2, &|| {});
    // Rungs of 3, 9 and 27 futures: all 12 candidates, then the best ⌈12/3⌉ = 4 (the
    // invalid ones rank last), then ⌈4/3⌉ = 2. Each rung runs only the futures its
    // candidates have not seen: 6 valid × 3 + 4 × (9 − 3) + 2 × (27 − 9).
    assert_eq!(h.rungs, [(3, 12), (9, 4), (27, 2)]);
    assert_eq!(h.engine_runs, 6 * 3 + 4 * 6 + 2 * 18);
    assert!(h.engine_runs < exhaustive_runs, "{} runs", h.engine_runs);
    let got = best(&h.finalists, &s, None).expect("a finalist");
    assert_eq!(got, want);
    // Common random numbers: a finalist's figures over all 27 futures are the
    // exhaustive search's, bit for bit, though they were gathered rung by rung.
    for c in &h.finalists {
        assert_eq!(Some(c), exhaustive.iter().find(|e| e.index == c.index));
    }
    assert_eq!(h.first_rung.len(), 12);
    assert_eq!(halving::search(&p, &s, hs, 1, &|| {}), h);
}
