//! Behaviour tests of `retrofit::sensitivity`: a tornado whose order is known in closed
//! form, a threshold that bisection must find to the watt, Sobol' indices of an input
//! with no effect, invalid variants reported with their rule, and results that do not
//! depend on the thread count or on sharding.

use retrofit::Shard;
use retrofit::sensitivity::threshold::describe;
use retrofit::sensitivity::{JobResult, Metric, Settings, SobolOutcome, Study};

fn study(text: &str, samples: usize) -> Study {
    let settings = Settings {
        samples,
        ..Settings::default()
    };
    Study::from_text(text, "test.ron", &settings).expect("study")
}

fn all_results(s: &Study, threads: usize) -> Vec<JobResult> {
    s.run(None, threads, &|| {})
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// A GPU hall leased from day 0: 40 racks × 1 server × 50 kW = 2 MW IT at PUE 1.25,
/// with the site paying the power, so NPV = Σₘ (2000 kW × rate − 2 MW × 1.25 × 24 h ×
/// daysₘ × price − opex) / 1.1^((m+1)/12): linear in the lease rate, the electricity
/// price and the opex.
const LINEAR: &str = r#"World(
    site: Site(name: "linear", start_month: "2026-01", horizon_months: 24,
        discount_rate_per_year: 0.10, interconnect_mw: 10.0,
        electricity_usd_per_mwh: Constant(50.0), fixed_opex_usd_per_month: 50000.0),
    substations: [Substation(id: "S", capacity_mw: 10.0)],
    transformers: [Transformer(id: "T", substation: "S", rating_mva: 10.0)],
    cooling_loops: [CoolingLoop(id: "L", kind: DirectToChip, heat_rejection_kw: 5000.0,
        max_rack_kw: 100.0, pue: 1.25)],
    unit_models: [GpuServer(id: "G", gpus: 8, power_w: 50000.0)],
    racks: [RackGroup(id: "H", count: 40, transformer: "T", cooling: "L",
        units: Some(RackUnits(model: "G", per_rack: 1)))],
    markets: Markets(btc_price_usd: Constant(90000.0), network_hashrate_eh_s: 1000.0,
        block_subsidy_btc: 3.125,
        gpu_lease: Some(Lease(usd_per_kw_month: 100.0, power_pass_through: false))),
)"#;

#[test]
fn tornado_order_and_swings_match_the_closed_form() {
    let s = study(LINEAR, 0);
    let rows = s
        .report(&all_results(&s, 2), Metric::Npv)
        .expect("report")
        .tornado;
    // Σ of discount factors, and of discounted hours, over the 24 months of 2026–27.
    let (mut d, mut h) = (0.0, 0.0);
    for m in 0..24u32 {
        let f = 1.1_f64.powf(f64::from(m + 1) / 12.0);
        d += 1.0 / f;
        let days = retrofit::unstable::calendar::days_in_month(2026 + (m / 12) as i32, m % 12 + 1);
        h += 24.0 * f64::from(days) / f;
    }
    // ±10 % of each input: swing = 20 % × input × |∂NPV/∂input|.
    let want = [
        (
            "markets.gpu_lease.usd_per_kw_month",
            0.2 * 100.0 * 2000.0 * d,
        ),
        ("site.electricity_usd_per_mwh", 0.2 * 50.0 * 2.0 * 1.25 * h),
        ("cooling_loops[L].pue", 0.2 * 1.25 * 2.0 * 50.0 * h),
        ("site.fixed_opex_usd_per_month", 0.2 * 50_000.0 * d),
    ];
    let pos = |label: &str| rows.iter().position(|r| r.input == label).expect(label);
    for (label, swing) in want {
        let got = rows[pos(label)].swing;
        assert!(
            (got - swing).abs() < 1e-6 * swing,
            "{label}: {got} vs {swing}"
        );
    }
    assert!(pos(want[0].0) < pos(want[1].0) && pos(want[1].0) < pos(want[3].0));
    assert!(pos(want[2].0) < pos(want[3].0));
    // Sorted by swing, and an input nothing reads (the BTC price: no miners) has none.
    assert!(rows.windows(2).all(|w| w[0].swing >= w[1].swing));
    assert_eq!(rows[pos("markets.btc_price_usd")].swing, 0.0);
}

/// Issue 12: a sampled PUE is an input like any other distribution. In [`LINEAR`] with
/// `pue: Uniform(min: 1.2, max: 1.3)` its tornado range is its P10–P90 (1.21 … 1.29),
/// its swing the closed form `(1.29 − 1.21) × 2 MW × $50/MWh × Σ discounted hours`, its
/// bar says its unit, and it is the only input Sobol' decomposes, with indices near 1.
#[test]
fn a_sampled_pue_is_a_tornado_and_sobol_input_with_its_unit() {
    let text = LINEAR.replace("pue: 1.25)", "pue: Uniform(min: 1.2, max: 1.3))");
    let s = study(&text, 32);
    let r = s.report(&all_results(&s, 2), Metric::Npv).expect("report");
    let row = r
        .tornado
        .iter()
        .find(|r| r.input == "cooling_loops[L].pue")
        .expect("the sampled PUE is an input");
    assert!((row.range.low - 1.21).abs() < 1e-12 && (row.range.high - 1.29).abs() < 1e-12);
    let h: f64 = (0..24u32)
        .map(|m| {
            let days =
                retrofit::unstable::calendar::days_in_month(2026 + (m / 12) as i32, m % 12 + 1);
            24.0 * f64::from(days) / 1.1_f64.powf(f64::from(m + 1) / 12.0)
        })
        .sum();
    let swing = (1.29 - 1.21) * 2.0 * 50.0 * h;
    assert!(
        (row.swing - swing).abs() < 1e-6 * swing,
        "{} vs {swing}",
        row.swing
    );
    let chart = retrofit::sensitivity::chart::tornado(&r.tornado, Metric::Npv);
    assert!(
        chart
            .bars
            .iter()
            .any(|b| b.label == "cooling_loops[L].pue (1.21 … 1.29 facility W per IT W)"),
        "{:?}",
        chart.bars.iter().map(|b| &b.label).collect::<Vec<_>>()
    );
    let SobolOutcome::Indices(ix) = r.sobol else {
        panic!("{:?}", r.sobol)
    };
    assert_eq!(ix.len(), 1, "{ix:?}");
    assert_eq!(ix[0].0, "cooling_loops[L].pue");
    // NPV varies with the one sampled input only: both indices estimate 1 (to the
    // estimators' error at 32 samples; an unused input would give exactly 0).
    assert!(
        (ix[0].1.first - 1.0).abs() < 0.15 && (ix[0].1.total - 1.0).abs() < 0.15,
        "{ix:?}"
    );
}

#[test]
fn a_variant_that_breaks_a_rule_is_reported_with_the_rule() {
    let s = study(LINEAR, 0);
    let rows = s
        .report(&all_results(&s, 1), Metric::Npv)
        .expect("report")
        .tornado;
    let pf = rows
        .iter()
        .find(|r| r.input == "site.power_factor")
        .expect("the default power factor is an input too");
    // 0.95 × 1.1 > 1.
    assert!(pf.at_high.is_none());
    assert!(
        pf.note.contains("high: invalid [out-of-range]"),
        "{}",
        pf.note
    );
    assert!(pf.at_low.is_some());
}

/// An ASIC hall (100 racks × 4 × 3.5 kW = 1.4 MW IT at PUE 1.2) that stays, and a GPU
/// hall (50 racks × 132 kW = 6.6 MW IT) energised by a plan step, behind a 10 MW
/// interconnect: the GPU hall fits while 1.4 × 1.2 + 6.6 × PUE ≤ 10.
const FITS: &str = r#"World(
    site: Site(name: "fits", start_month: "2026-01", horizon_months: 12,
        discount_rate_per_year: 0.10, interconnect_mw: 10.0,
        electricity_usd_per_mwh: Constant(40.0), curtail_unprofitable_asics: false),
    substations: [Substation(id: "S", capacity_mw: 20.0)],
    transformers: [Transformer(id: "T1", substation: "S", rating_mva: 5.0),
                   Transformer(id: "T2", substation: "S", rating_mva: 10.0)],
    cooling_loops: [
        CoolingLoop(id: "AIR", kind: Air, heat_rejection_kw: 2000.0, max_rack_kw: 15.0, pue: 1.2),
        CoolingLoop(id: "DLC", kind: DirectToChip, heat_rejection_kw: 8000.0,
            max_rack_kw: 140.0, pue: 1.2)],
    unit_models: [Asic(id: "S21", hashrate_th_s: 200.0, power_w: 3500.0),
                  GpuServer(id: "NVL72", gpus: 72, power_w: 132000.0)],
    racks: [RackGroup(id: "A", count: 100, transformer: "T1", cooling: "AIR",
                units: Some(RackUnits(model: "S21", per_rack: 4))),
            RackGroup(id: "G", count: 50, transformer: "T2", cooling: "DLC")],
    markets: Markets(btc_price_usd: Constant(90000.0), network_hashrate_eh_s: 1000.0,
        block_subsidy_btc: 3.125, gpu_lease: Some(Lease(usd_per_kw_month: 120.0))),
    plan: [Step(id: "gpu-hall", action: InstallUnits(racks: "G", model: "NVL72", per_rack: 1),
                duration_days: 10)],
)"#;

#[test]
fn bisection_finds_the_pue_at_which_a_hall_stops_fitting() {
    let s = study(FITS, 0);
    let report = s.report(&all_results(&s, 2), Metric::Npv).expect("report");
    let up: Vec<_> = report
        .thresholds
        .iter()
        .filter(|(l, c)| l == "cooling_loops[DLC].pue" && c.upward)
        .collect();
    assert_eq!(up.len(), 1, "{:?}", report.thresholds);
    let c = &up[0].1;
    // Closed form from the ratings: (10 MW − 1.4 MW × 1.2) / 6.6 MW. The engine lets a
    // load reach the interconnect within 1 mW, which moves the threshold by
    // 1e-3 W / 6.6e6 W ≈ 1.5e-10: hence the tolerance.
    let closed = (10.0 - 1.4 * 1.2) / 6.6;
    assert!(
        (c.last_same - closed).abs() < 1e-9,
        "{} vs {closed}",
        c.last_same
    );
    assert!(c.first_changed > c.last_same && c.first_changed - c.last_same < 2e-12);
    let line = describe("DLC PUE", c);
    assert!(
        line.starts_with("DLC PUE above 1.2606")
            && line.contains("step gpu-hall never finishes (site interconnect limit)"),
        "{line}"
    );
}

#[test]
fn results_do_not_depend_on_threads_or_shards() {
    let text = std::fs::read_to_string("worlds/teaching.ron").expect("teaching world");
    let s = study(&text, 32);
    let csv = |results: &[JobResult]| {
        let r = s.report(results, Metric::Npv).expect("report");
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        r.write_sensitivity_csv(&mut a).unwrap();
        r.write_thresholds_csv(&mut b).unwrap();
        r.write_sobol_csv(&mut c).unwrap();
        (a, b, c)
    };
    let one = csv(&all_results(&s, 1));
    assert_eq!(csv(&all_results(&s, 3)), one);
    let mut parts: Vec<(usize, JobResult)> = (0..3)
        .flat_map(|k| s.run(Some(Shard { index: k, count: 3 }), 2, &|| {}))
        .collect();
    parts.sort_by_key(|(i, _)| *i);
    let merged: Vec<JobResult> = parts.into_iter().map(|(_, r)| r).collect();
    assert_eq!(csv(&merged), one);
}

#[test]
fn a_distribution_nothing_uses_has_zero_sobol_indices() {
    // The GPU servers' lead time matters only when the site buys them (Rental); the
    // teaching world leases, so its indices are exactly 0: f(A_B) = f(A) in every row.
    let text = std::fs::read_to_string("worlds/teaching.ron").expect("teaching world");
    let text = text.replace(
        "lead_time_weeks: 12),",
        "lead_time_weeks: Uniform(min: 8, max: 16)),",
    );
    let s = study(&text, 64);
    let r = s.report(&all_results(&s, 2), Metric::Npv).expect("report");
    let SobolOutcome::Indices(ix) = r.sobol else {
        panic!("{:?}", r.sobol)
    };
    let gpu = ix
        .iter()
        .find(|(l, _)| l == "unit_models[DGX-B200].lead_time_weeks")
        .expect("the GPU lead time is a distribution");
    assert_eq!((gpu.1.first, gpu.1.total), (0.0, 0.0));
    assert!(ix.iter().any(|(_, i)| i.total > 0.1), "{ix:?}");
}

mod common;

/// Every file of two folders, byte for byte (the manifest included).
fn same_files(a: &std::path::Path, b: &std::path::Path) {
    let names = |d: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b));
    for n in names(a) {
        let (x, y) = (
            std::fs::read(a.join(&n)).unwrap(),
            std::fs::read(b.join(&n)).unwrap(),
        );
        assert!(x == y, "{n} differs");
    }
}

#[test]
fn cli_shards_merge_to_the_unsharded_folder_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let run = |extra: &[&str], out: &str| {
        let o = common::retrofit()
            .args([
                "sensitivity",
                "worlds/teaching.ron",
                "--samples",
                "16",
                "--out",
                out,
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let whole = run(&["--jobs", "2"], &p("whole"));
    assert!(
        whole.contains("Thresholds (the decision changes):"),
        "{whole}"
    );
    for k in 0..3 {
        let shard = format!("{k}/3");
        let said = run(&["--jobs", "1", "--shard", &shard], &p(&format!("part{k}")));
        assert!(
            said.contains("combine every shard with `retrofit merge`"),
            "{said}"
        );
    }
    let o = common::retrofit()
        .args([
            "merge",
            &p("part2"),
            &p("part0"),
            &p("part1"),
            "--out",
            &p("merged"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    same_files(&dir.path().join("whole"), &dir.path().join("merged"));
    for f in [
        "sensitivity.csv",
        "thresholds.csv",
        "sobol.csv",
        "tornado.png",
        "sobol.png",
    ] {
        assert!(dir.path().join("whole").join(f).is_file(), "{f}");
    }
    // A missing shard is refused, naming it.
    let o = common::retrofit()
        .args(["merge", &p("part0"), &p("part1"), "--out", &p("bad")])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing 2/3"));
}

#[test]
fn cli_refuses_an_unknown_metric_and_an_unknown_range_label() {
    let o = common::retrofit()
        .args(["sensitivity", "worlds/teaching.ron", "--metric", "irr"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown metric `irr`"));
    let o = common::retrofit()
        .args([
            "sensitivity",
            "worlds/teaching.ron",
            "--range",
            "site.interconect_mw=4..6",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("did you mean `site.interconnect_mw`"), "{e}");
}

/// docs/model.md, "Worked example: a tornado bar by hand": the page's figures are the
/// engine's swings for the linear world, to the cent.
#[test]
fn the_worked_tornado_example_in_the_model_reference_matches_the_engine() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/model.md"),
    )
    .unwrap();
    let s = study(LINEAR, 0);
    let rows = s
        .report(&all_results(&s, 2), Metric::Npv)
        .expect("report")
        .tornado;
    let cents = |label: &str| {
        let v = rows.iter().find(|r| r.input == label).expect(label).swing;
        let c = (v * 100.0).round() as i64;
        let whole = (c / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("${grouped}.{:02}", c % 100)
    };
    for label in [
        "markets.gpu_lease.usd_per_kw_month",
        "site.fixed_opex_usd_per_month",
        "site.electricity_usd_per_mwh",
        "cooling_loops[L].pue",
    ] {
        let figure = cents(label);
        assert!(
            page.contains(&figure),
            "{label}: {figure} not in docs/model.md"
        );
    }
}

#[test]
fn a_world_without_distributions_skips_sobol_and_says_so() {
    let s = study(LINEAR, 64);
    assert!(s.design.is_none());
    let r = s.report(&all_results(&s, 2), Metric::Npv).expect("report");
    assert_eq!(r.sobol, SobolOutcome::NotRun);
    assert!(r.text(5).contains("Sobol' indices: not computed"));
}

#[test]
fn a_finance_metric_needs_a_finance_section_and_reads_it_when_there_is_one() {
    let plain = study(LINEAR, 0);
    let e = plain.check_metric(Metric::EquityIrr).unwrap_err();
    assert!(e.contains("no finance section"), "{e}");
    assert!(plain.check_metric(Metric::Npv).is_ok());
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/valid-financed-small.ron"
    ))
    .unwrap();
    let fin = study(&text, 0);
    // The base run's figures are the finance layer's for the median run.
    let s = retrofit::load_str(&text, "fin.ron").unwrap();
    let summary = retrofit::run(&s, None).unwrap().finance.unwrap().summary;
    let breach = if summary.covenant_breaches.is_empty() {
        0.0
    } else {
        1.0
    };
    fin.check_metric(Metric::CovenantBreach)
        .expect("defined with a finance section");
    assert_eq!(Metric::CovenantBreach.value(&fin.base), breach);
    match summary.equity_irr.rate() {
        Some(r) => assert_eq!(Metric::EquityIrr.value(&fin.base), r * 100.0),
        // Twelve months of a small hall: the equity flows have no single IRR, and the
        // metric is refused by name rather than charted as a number.
        None => {
            let e = fin.check_metric(Metric::EquityIrr).unwrap_err();
            assert!(e.contains("no single equity IRR"), "{e}");
        }
    }
}

#[test]
fn cli_sensitivity_chart_formats() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("linear.ron");
    std::fs::write(&world, LINEAR).unwrap();
    for (charts, want, not) in [
        ("svg", "tornado.svg", "tornado.png"),
        ("none", "sensitivity.csv", "tornado.png"),
    ] {
        let out = dir.path().join(charts);
        let o = common::retrofit()
            .args(["sensitivity", &world.to_string_lossy(), "--samples", "0"])
            .args(["--charts", charts, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            out.join(want).is_file() && !out.join(not).exists(),
            "{charts}"
        );
    }
    assert!(!dir.path().join("none/tornado.svg").exists());
}
