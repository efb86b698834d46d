//! The exercises of docs/teaching.md: make the same edit to the teaching world and check
//! every answer the page gives.

use retrofit::RunResult;

fn teaching() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/worlds/teaching.ron")).unwrap()
}

fn run_edited(from: &str, to: &str) -> RunResult {
    let original = teaching();
    let edited = original.replace(from, to);
    assert_ne!(edited, original, "the exercise's edit must apply: `{from}`");
    retrofit::run(&retrofit::load_str(&edited, "class.ron").unwrap(), None).unwrap()
}

fn energised_on(r: &RunResult) -> String {
    let s = retrofit::load_str(&teaching(), "t").unwrap();
    let e = r
        .events
        .iter()
        .find(|e| e.event == "energised")
        .expect("GPU hall energises");
    s.calendar.date(e.day).to_string()
}

fn page() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/teaching.md")).unwrap()
}

#[test]
fn baseline_waits_twelve_days_on_the_interconnect_and_pays_back_in_2035_02() {
    let r = retrofit::run(&retrofit::load_str(&teaching(), "t").unwrap(), None).unwrap();
    assert_eq!(energised_on(&r), "2027-03-01");
    let gpu = r.timeline.iter().find(|t| t.id == "gpu-hall").unwrap();
    assert_eq!(gpu.wait_days(), 12);
    assert_eq!(
        r.summary.payback_month.map(|m| m.to_string()).as_deref(),
        Some("2035-02")
    );
    assert!(page().contains("waits 12 days on the interconnect"));
}

#[test]
fn exercise_1_ordering_the_transformer_later() {
    let r = run_edited(
        r#"action: Order(["T3"]), start: "2026-01""#,
        r#"action: Order(["T3"]), start: "2026-04""#,
    );
    assert_eq!(energised_on(&r), "2027-05-18");
    assert_eq!(
        r.summary.first_gpu_month.map(|m| m.to_string()).as_deref(),
        Some("2027-05")
    );
    assert_eq!(r.summary.months_waited_on_limits, 0.0);
    assert_eq!(
        r.summary.payback_month.map(|m| m.to_string()).as_deref(),
        Some("2035-05")
    );
    let delivered = r
        .events
        .iter()
        .find(|e| e.event == "delivered" && e.entity == "transformer T3")
        .unwrap();
    assert_eq!(delivered.detail, "delivered after 52.6 weeks");
    let p = page();
    for s in ["2027-04-04", "**2027-05-18**", "**2035-05**", "52.6 weeks"] {
        assert!(p.contains(s), "docs/teaching.md should say {s}");
    }
}

#[test]
fn exercise_2_renting_instead_of_leasing() {
    let base = retrofit::run(&retrofit::load_str(&teaching(), "t").unwrap(), None).unwrap();
    let r = run_edited(
        "per_rack: 4, contract: Lease)",
        "per_rack: 4, contract: Rental)",
    );
    let extra_capex = r.summary.total_capex_usd - base.summary.total_capex_usd;
    assert!(
        (extra_capex - 96.0 * 515_000.0).abs() < 1e-6,
        "{extra_capex}"
    );
    assert_eq!(energised_on(&r), "2027-05-12");
    assert_eq!(r.summary.payback_month, None);
    assert!(
        (-31e6..-29e6).contains(&r.summary.npv_usd),
        "{}",
        r.summary.npv_usd
    );
    assert!(
        (-4e6..-3e6).contains(&base.summary.npv_usd),
        "{}",
        base.summary.npv_usd
    );
    let p = page();
    for s in [
        "**$49.44M**",
        "**2027-05-12**",
        "**never pays back**",
        "about −$30M",
        "about −$3M",
    ] {
        assert!(p.contains(s), "docs/teaching.md should say {s}");
    }
}

#[test]
fn exercise_3_switching_hall_a_off_earlier() {
    let r = run_edited(
        r#"action: Decommission("A"), duration_days: 30,
             start: "2027-03""#,
        r#"action: Decommission("A"), duration_days: 30,
             start: "2027-01""#,
    );
    assert_eq!(energised_on(&r), "2027-02-17");
    assert_eq!(r.summary.months_waited_on_limits, 0.0);
    assert_eq!(
        r.summary.payback_month.map(|m| m.to_string()).as_deref(),
        Some("2035-01")
    );
    let p = page();
    for s in ["**2027-02-17**", "**2027-02**", "**2035-01**"] {
        assert!(p.contains(s), "docs/teaching.md should say {s}");
    }
}
