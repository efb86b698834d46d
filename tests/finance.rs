//! The finance layer through the public API: docs/model.md's worked financed month,
//! recomputed from the library to the cent and checked against the page.

use retrofit::unstable::calendar::days_in_month;
use retrofit::unstable::finance::capital::{AssetClass, CapexEvent};
use retrofit::unstable::finance::debt::{Amortisation, Sizing, Tranche};
use retrofit::unstable::finance::lease::LeaseContract;
use retrofit::unstable::finance::opex::OpexTerms;
use retrofit::unstable::finance::tax::{Depreciation, Method, TaxPayment, TaxTerms};
use retrofit::unstable::finance::{
    FinanceDraws, FinanceInput, FinanceTerms, HallMilestones, HallMonth, MonthInput, compute,
};

#[path = "common/money.rs"]
mod money;
use money::cents;

/// 24 calendar months from 2027-01, a 10 MW hall energised on day 0.
fn input() -> FinanceInput {
    let mut first_day = 0;
    let months = (0..24)
        .map(|m| {
            let (year, month) = (2027 + m / 12, (m % 12) as u32 + 1);
            let days = days_in_month(year, month);
            let mi = MonthInput {
                first_day,
                days,
                month_of_year: month,
                halls: vec![HallMonth {
                    leased_mw: 10.0,
                    leased_energy_cost_usd: 10.0 * 1.3 * 24.0 * f64::from(days) * 40.0,
                    ..HallMonth::default()
                }],
                ..MonthInput::default()
            };
            first_day += days;
            mi
        })
        .collect();
    let item = |name: &str, class, cost_usd| CapexEvent {
        item: name.into(),
        class,
        cost_usd,
        ordered_day: 0,
        delivered_day: Some(0),
        installed_day: Some(0),
    };
    FinanceInput {
        months,
        halls: vec![HallMilestones {
            delivered_day: Some(0),
            energised_day: Some(0),
        }],
        capex: vec![
            item("electrical", AssetClass::Electrical, 36e6),
            item("mechanical", AssetClass::Mechanical, 60e6),
        ],
        asic_at_horizon: Vec::new(),
    }
}

fn terms() -> FinanceTerms {
    let sl = |life_years| Depreciation {
        life_years,
        method: Method::StraightLine,
        bonus_share: 0.0,
    };
    let mut tax = TaxTerms {
        rate: 0.21,
        payment: TaxPayment::Monthly,
        loss_offset_limit_share: 0.8,
        ..TaxTerms::default()
    };
    tax.classes[AssetClass::Electrical.index()] = sl(15);
    tax.classes[AssetClass::Mechanical.index()] = sl(10);
    FinanceTerms {
        leases: vec![LeaseContract {
            term_months: Some(180),
            escalator_per_year: 0.03,
            ..LeaseContract::on_energisation(0, 150.0, 10_000.0)
        }],
        opex: OpexTerms {
            fixed_usd_per_month: 100_000.0,
            leased_gpu_usd_per_mw_month: 5_000.0,
            insurance_share_per_year: 0.005,
            ..OpexTerms::default()
        },
        tranches: vec![Tranche {
            name: "senior".into(),
            sizing: Sizing::LoanToCost(0.6),
            against: vec!["electrical".into(), "mechanical".into()],
            rate_per_year: 0.08,
            interest_only_months: 12,
            tenor_months: 132,
            amortisation: Amortisation::Annuity,
            upfront_fee_share: 0.0,
            min_dscr: Some(1.3),
        }],
        tax,
        discount_rate_per_year: 0.10,
        ..FinanceTerms::default()
    }
}

/// docs/model.md, "Worked example: one financed month by hand": 2028-02 (month 13).
#[test]
fn the_worked_financed_month_in_the_model_reference_matches_the_library() {
    let t = terms();
    let r = compute(&t, &input(), &FinanceDraws::median(&t));
    let row = &r.rows[13];

    let rent = 10_000.0 * 150.0 * 1.03;
    let opex = 100_000.0 + 10.0 * 5_000.0 + 96e6 * 0.005 / 12.0;
    let ebitda = rent - opex;
    let i = 0.08 / 12.0;
    let interest = 57.6e6 * i;
    let payment = 57.6e6 * i / (1.0 - (1.0_f64 + i).powi(-120));
    let principal = payment - interest;
    let depreciation = 36e6 / 180.0 + 60e6 / 120.0;
    let taxable = ebitda - depreciation - interest;
    let tax = 0.21 * taxable;
    let levered = ebitda - tax - interest - principal;
    let unlevered = ebitda - 0.21 * (ebitda - depreciation);
    let cfads = 10.0 * (1_310_000.0 - 0.21 * 226_000.0) + 2.0 * (ebitda - tax);
    let dscr = cfads / (11.0 * interest + payment);

    let close = |a: f64, b: f64| (a - b).abs() < 0.005;
    assert!(
        close(row.contract_revenue_usd[0], rent),
        "{}",
        row.contract_revenue_usd[0]
    );
    assert!(close(row.escalated_rate_usd_per_kw_month[0], 154.5));
    assert!(close(row.opex.total_usd(), opex));
    assert_eq!(row.energy_cost_usd, 0.0, "the tenant pays the power");
    assert!(close(row.ebitda_usd, ebitda));
    assert!(close(row.interest_usd, interest));
    assert!(close(row.principal_usd, principal), "{}", row.principal_usd);
    assert!(close(row.depreciation_usd, depreciation));
    assert!(close(row.taxable_income_usd, taxable));
    assert!(close(row.tax_usd, tax));
    assert!(close(row.levered_cash_flow_usd, levered));
    assert!(close(row.unlevered_cash_flow_usd, unlevered));
    assert!((row.dscr.unwrap() - dscr).abs() < 1e-9);
    assert!(
        r.rows[..13].iter().all(|m| m.taxable_income_usd > 0.0),
        "no losses carried"
    );
    assert_eq!(
        r.rows[12].principal_usd, 0.0,
        "month 12 is the last interest-only month"
    );

    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md")).unwrap();
    for v in [
        rent,
        opex,
        ebitda,
        interest,
        principal,
        depreciation,
        taxable,
        tax,
        levered,
        unlevered,
    ] {
        let text = cents(v);
        assert!(
            page.contains(&format!("**{text}**")),
            "docs/model.md should show {text}"
        );
    }
    assert!(
        page.contains(&format!("DSCR = **{dscr:.2}**")),
        "docs/model.md should show DSCR {dscr:.2}"
    );
}

/// worlds/financed.ron: the project notes amortise 24 months after the first draw
/// whatever hall 2 earns. On the median path hall 2 pays rent in time and the covenant
/// holds; sampled runs whose hall 2 starts paying later than the median breach it.
#[test]
fn the_financed_world_breaches_its_covenant_only_when_hall_2_is_late() {
    let s = retrofit::load("worlds/financed.ron").unwrap();
    let first_rent = |r: &retrofit::RunResult| {
        let f = r.finance.as_ref().unwrap();
        f.rows.iter().position(|m| m.contract_revenue_usd[1] > 0.0)
    };
    let median = retrofit::run(&s, None).unwrap();
    let mf = median.finance.as_ref().unwrap();
    assert!(mf.summary.covenant_breaches.is_empty());
    assert!(mf.summary.min_dscr.unwrap().0 >= 1.35);
    let median_rent = first_rent(&median).unwrap();
    let mut breached = 0;
    for seed in 1..=12 {
        let r = retrofit::run(&s, Some(seed)).unwrap();
        if r.finance
            .as_ref()
            .unwrap()
            .summary
            .covenant_breaches
            .is_empty()
        {
            continue;
        }
        breached += 1;
        let late = first_rent(&r).is_none_or(|m| m > median_rent);
        assert!(late, "seed {seed} breached with hall 2 paying rent on time");
    }
    assert!(breached > 0, "no sampled run breached the covenant");
}

/// tests/data/valid-financed-small.ron with the transformer's installation costing
/// `cost` (a number or a distribution) and no income tax, so the project NPV is a linear
/// function of the capex: nothing else depends on it.
fn small_with_step_cost(cost: &str) -> retrofit::Scenario {
    let text = std::fs::read_to_string("tests/data/valid-financed-small.ron").unwrap();
    let text = text
        .replace(
            r#"duration_days: 10, after: ["order-T2"])"#,
            &format!(r#"duration_days: 10, after: ["order-T2"], cost_usd: {cost})"#),
        )
        .replace(
            "        debt: [",
            "        tax: (rate: 0.0),\n        debt: [",
        );
    retrofit::load_str(&text, "small.ron").unwrap()
}

fn project_npv(s: &retrofit::Scenario, seed: Option<u64>) -> f64 {
    let r = retrofit::run(s, seed).unwrap();
    r.finance.unwrap().summary.unlevered_npv_usd
}

/// A sampled step capex moves the project NPV from run to run, and exactly as the
/// line through two fixed-capex runs of the same seed says: its draw comes after
/// every other draw, so the sampled run's other draws are the fixed runs' draws.
#[test]
fn a_sampled_step_capex_moves_npv_along_the_line_through_fixed_capex_runs() {
    let (lo, hi) = (1e6, 3e6);
    let sampled = small_with_step_cost("Uniform(min: 1e6, max: 3e6)");
    let (at_lo, at_hi) = (small_with_step_cost("1e6"), small_with_step_cost("3e6"));
    let mut npvs = Vec::new();
    for seed in 1..=5 {
        let d = retrofit::unstable::engine::Draws::for_seed(&sampled, Some(seed));
        let cost = d.step_cost_usd[1];
        assert!((lo..=hi).contains(&cost), "seed {seed}: capex {cost}");
        let (n_lo, n_hi) = (
            project_npv(&at_lo, Some(seed)),
            project_npv(&at_hi, Some(seed)),
        );
        assert!(n_hi < n_lo, "more capex must lower NPV");
        let want = n_lo + (n_hi - n_lo) * (cost - lo) / (hi - lo);
        let got = project_npv(&sampled, Some(seed));
        assert!(
            (got - want).abs() < 1e-6 * n_lo.abs().max(1.0),
            "seed {seed}: NPV {got} != {want} on the line at capex {cost}"
        );
        npvs.push(got);
    }
    npvs.sort_by(f64::total_cmp);
    npvs.dedup();
    assert_eq!(npvs.len(), 5, "sampled capex should give five NPVs");
    // The plain run takes the median, 2e6: halfway along the line.
    let median = project_npv(&sampled, None);
    let (m_lo, m_hi) = (project_npv(&at_lo, None), project_npv(&at_hi, None));
    assert!((median - 0.5 * (m_lo + m_hi)).abs() < 1e-6 * m_lo.abs().max(1.0));
}

/// A sampled power-price level and terminal-value multiple are drawn after every
/// other draw too: the same seed with them fixed at the drawn values gives the same
/// run to the bit.
#[test]
fn a_sampled_price_level_and_exit_multiple_are_drawn_last() {
    let with = |factor: &str, multiple: &str| {
        let text = std::fs::read_to_string("tests/data/valid-financed-small.ron").unwrap();
        let text = text
            .replace(
                "electricity_usd_per_mwh: Constant(40.0),",
                &format!(
                    "electricity_usd_per_mwh: Constant(40.0), electricity_price_factor: {factor},"
                ),
            )
            .replace(
                "        debt: [",
                &format!(
                    "        terminal_value: ExitMultiple(ebitda_multiple: {multiple}),\n        debt: ["
                ),
            );
        retrofit::load_str(&text, "small.ron").unwrap()
    };
    let sampled = with(
        "Triangular(min: 0.8, mode: 1.0, max: 1.5)",
        "Uniform(min: 8.0, max: 14.0)",
    );
    for seed in 1..=3 {
        let d = retrofit::unstable::engine::Draws::for_seed(&sampled, Some(seed));
        let factor = d.electricity_price_factor;
        let (terms, _) = d.finance.as_ref().unwrap();
        let retrofit::unstable::finance::terminal::TerminalValue::ExitMultiple { ebitda_multiple } =
            terms.terminal
        else {
            panic!("exit multiple expected")
        };
        assert!((0.8..=1.5).contains(&factor) && (8.0..=14.0).contains(&ebitda_multiple));
        assert_eq!(d.market.electricity_usd_per_mwh[0], 40.0 * factor);
        let fixed = with(&format!("{factor:?}"), &format!("{ebitda_multiple:?}"));
        let (a, b) = (
            retrofit::run(&sampled, Some(seed)).unwrap(),
            retrofit::run(&fixed, Some(seed)).unwrap(),
        );
        assert_eq!(a.ledger, b.ledger, "seed {seed}");
        assert_eq!(
            a.finance.unwrap().rows,
            b.finance.unwrap().rows,
            "seed {seed}"
        );
    }
}

/// worlds/financed.ron samples hall 2's DLC PUE (Triangular(1.2, 1.3, 1.4)). When hall 2
/// is due, halls C and D (mining at PUE 1.2) and hall 1 (19.8 MW at 1.3) are on, so the
/// interconnect leaves room for hall 2's 19.008 MW of IT only up to
/// `PUE* = (100 − C,D × 1.2 − 19.8 × 1.3) / 19.008 ≈ 1.308`. Without the idle-fleet sale
/// a run that draws more never energises hall 2, logs the interconnect wait with the
/// drawn PUE, and breaches the covenant (the notes amortise with hall 2 paying no rent);
/// a run below it energises hall 2. The median draw, 1.3, fits. With the world's sale
/// rule (docs/model.md, "Selling an idle fleet") a stranded hall 2 energises the day the
/// switched-off S21s of halls C and D are sold: their share of the interconnect is free.
#[test]
fn the_financed_world_strands_hall_2_on_a_pue_draw_above_the_interconnect_threshold() {
    use retrofit::unstable::engine::Draws;
    let text = std::fs::read_to_string("worlds/financed.ron").unwrap();
    let rule = "            sell_idle_asics_after_months: 6,\n";
    assert!(text.contains(rule));
    let with_sale = retrofit::load("worlds/financed.ron").unwrap();
    let s = retrofit::load_str(&text.replace(rule, ""), "financed.ron").unwrap();
    let id = |g: &str| s.racks.iter().position(|r| r.id == g).unwrap();
    let it_w = |g: usize| {
        let (m, n) = s.racks[g].initial.unwrap_or((0, 0));
        (s.models[m].power_w * u64::from(n) * u64::from(s.racks[g].count)) as f64
    };
    let hall_it_w = |g: usize| f64::from(s.racks[g].count) * 132_000.0;
    let pue = |g: usize| s.cooling_loops[s.racks[g].cooling].pue;
    let dlc2 = s.racks[id("G2")].cooling;
    assert!(s.cooling_loops[dlc2].pue_sampled());
    let (c, d, g1, g2) = (id("C"), id("D"), id("G1"), id("G2"));
    let threshold =
        (s.interconnect_w as f64 - (it_w(c) * pue(c) + it_w(d) * pue(d)) - hall_it_w(g1) * pue(g1))
            / hall_it_w(g2);
    assert!((threshold - 1.3083).abs() < 1e-4, "{threshold}");
    let (mut stranded, mut fits) = (0, 0);
    for seed in std::iter::once(None).chain((1..=12).map(Some)) {
        let drawn = Draws::for_seed(&s, seed).cooling_pue[dlc2];
        if (drawn - threshold).abs() < 1e-6 {
            continue;
        }
        let r = retrofit::run(&s, seed).unwrap();
        let hall2 = r.timeline.iter().find(|t| t.id == "gpu-hall-2").unwrap();
        if drawn < threshold {
            fits += 1;
            assert!(hall2.finished.is_some(), "seed {seed:?}: PUE {drawn} fits");
            continue;
        }
        stranded += 1;
        assert_eq!(
            hall2.finished, None,
            "seed {seed:?}: PUE {drawn} cannot fit"
        );
        let note = format!("(this run's PUE on cooling loop DLC-2: {drawn:.3})");
        let wait = r
            .events
            .iter()
            .rfind(|e| e.event == "wait" && e.entity == "gpu-hall-2")
            .expect("hall 2 waits");
        assert!(
            wait.detail.contains("site interconnect") && wait.detail.contains(&note),
            "{}",
            wait.detail
        );
        let f = r.finance.as_ref().unwrap();
        assert!(!f.summary.covenant_breaches.is_empty(), "seed {seed:?}");
        // With the sale rule the hall waits only until the idle S21s are sold.
        let sold = retrofit::run(&with_sale, seed).unwrap();
        let sold_days: Vec<u32> = sold
            .events
            .iter()
            .filter(|e| e.event == "sold-idle")
            .map(|e| e.day)
            .collect();
        assert_eq!(sold_days.len(), 2, "seed {seed:?}: halls C and D are sold");
        let energised = sold
            .events
            .iter()
            .find(|e| e.event == "energised" && e.entity == "rack group G2")
            .map(|e| e.day);
        assert!(
            energised.is_some_and(|d| d >= sold_days[0]),
            "seed {seed:?}: hall 2 energises on or after the sale on day {}, got {energised:?}",
            sold_days[0]
        );
    }
    assert!(stranded > 0 && fits > 0, "{stranded} stranded, {fits} fit");
}

/// Every covenant breach is a `covenant-breach` row in the event log, on the last day
/// of its month, naming the tranche, its DSCR and the covenant; a run without breaches
/// logs none.
#[test]
fn covenant_breaches_are_events() {
    let s = retrofit::load("worlds/financed.ron").unwrap();
    let logged = |r: &retrofit::RunResult| -> Vec<retrofit::unstable::engine::EventRecord> {
        r.events
            .iter()
            .filter(|e| e.event == "covenant-breach")
            .cloned()
            .collect()
    };
    assert!(logged(&retrofit::run(&s, None).unwrap()).is_empty());
    let mut seen = 0;
    for seed in 1..=12 {
        let r = retrofit::run(&s, Some(seed)).unwrap();
        let breaches = &r.finance.as_ref().unwrap().summary.covenant_breaches;
        let events = logged(&r);
        assert_eq!(events.len(), breaches.len(), "seed {seed}");
        for (e, b) in events.iter().zip(breaches) {
            let m = b.month as u32;
            let last_day = s.calendar.month_start(m + 1) - 1;
            assert_eq!((e.day, e.entity.as_str()), (last_day, "project-notes"));
            let want = format!("DSCR {:.2} below the {:.2} covenant", b.dscr, b.min_dscr);
            assert!(e.detail.contains(&want), "{}", e.detail);
        }
        // The log stays in time order.
        assert!(r.events.windows(2).all(|w| w[0].day <= w[1].day));
        seen += events.len();
        if seen > 0 {
            break;
        }
    }
    assert!(seen > 0, "no sampled run breached the covenant");
}

/// `compare` puts each world's project and equity IRR beside its NPV: the median run's
/// own rates for a financed world, nothing for a world without a finance section, and
/// compare.csv carries both columns.
#[test]
fn compare_shows_irrs_beside_npv() {
    use std::sync::Arc;
    let worlds: Vec<(String, Arc<retrofit::Scenario>)> =
        ["worlds/financed.ron", "worlds/teaching.ron"]
            .iter()
            .map(|f| (f.to_string(), Arc::new(retrofit::load(f).unwrap())))
            .collect();
    let (rows, _) = retrofit::compare(&worlds, None, 1, 1).unwrap();
    let single = retrofit::run(&worlds[0].1, None).unwrap();
    let f = &single.finance.as_ref().unwrap().summary;
    let (project, equity) = (f.project_irr.rate(), f.equity_irr.rate());
    assert!(project.is_some() && equity.is_some(), "{f:?}");
    let r = &rows[0];
    assert_eq!(r.npv_usd_p50, Some(single.summary.npv_usd));
    assert_eq!(
        (
            r.project_irr_per_year_p10,
            r.project_irr_per_year_p50,
            r.project_irr_per_year_p90
        ),
        (project, project, project)
    );
    assert_eq!(
        (
            r.equity_irr_per_year_p10,
            r.equity_irr_per_year_p50,
            r.equity_irr_per_year_p90
        ),
        (equity, equity, equity)
    );
    assert_eq!(
        (
            rows[1].project_irr_per_year_p50,
            rows[1].equity_irr_per_year_p50
        ),
        (None, None)
    );
    // The finance block's equity NPV sits beside the ledger's NPV; without a finance
    // section (the teaching world) it is empty, not the ledger's figure.
    let equity_npv = Some(f.levered_npv_usd);
    assert_eq!(
        (
            r.equity_npv_usd_p10,
            r.equity_npv_usd_p50,
            r.equity_npv_usd_p90
        ),
        (equity_npv, equity_npv, equity_npv)
    );
    assert_ne!(r.equity_npv_usd_p50, r.npv_usd_p50);
    assert_eq!(rows[1].equity_npv_usd_p50, None);
    let csv = retrofit::unstable::compare::compare_csv(&rows).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let npv = col("npv_usd_p90");
    assert_eq!(col("project_irr_per_year_p50"), npv + 2);
    assert_eq!(col("equity_irr_per_year_p50"), npv + 5);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let value: f64 = records[0][col("equity_irr_per_year_p50")].parse().unwrap();
    assert_eq!(Some(value), equity);
    assert_eq!(&records[1][col("project_irr_per_year_p50")], "");
    let value: f64 = records[0][col("equity_npv_usd_p50")].parse().unwrap();
    assert_eq!(Some(value), equity_npv);
    assert_eq!(&records[1][col("equity_npv_usd_p50")], "");
}
