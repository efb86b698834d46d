//! `retrofit check` and the validation behind it: one small broken world per rule in
//! `tests/data/broken/`, each of which must be reported naming the entity and the rule;
//! unreadable inputs in `tests/data/unreadable/`; and the command line's exit codes.

mod common;

use retrofit::WorldError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// (file in tests/data/broken, entity, rule, words the message must contain)
const BROKEN: &[(&str, &str, &str, &str)] = &[
    // Reliability section (issue 14).
    (
        "mtbf-zero",
        "failure model of T3",
        "bad-failure-model",
        "Mtbf years must be a number > 0",
    ),
    (
        "redundancy-one-transformer",
        "hall GH",
        "redundancy-scheme",
        "power: N+1 needs at least two items, got 1",
    ),
    (
        "duplicate-hall",
        "hall GH",
        "duplicate-hall",
        "declares its redundancy twice",
    ),
    (
        "redundancy-missing",
        "hall GH",
        "unknown-reference",
        "equipment `T9` is not a declared",
    ),
    (
        "redundancy-mismatched",
        "hall GH",
        "redundancy-scheme",
        "its power scheme holds transformers (and the hall's UPS), not cooling loop DLC-1",
    ),
    (
        "availability-over-100",
        "sla",
        "out-of-range",
        "availability_target must be between 0 and 1",
    ),
    (
        "overlapping-credit-bands",
        "sla",
        "overlapping-credit-bands",
        "[0.99, 0.9995) overlaps [0.999, 0.99982)",
    ),
    (
        "failure-not-in-service",
        "plan step T3-fails",
        "failure-not-in-service",
        "transformer T3 is not in service on 2026-03",
    ),
    (
        "unknown-transformer",
        "rack group G",
        "unknown-reference",
        "transformer `T9` does not exist",
    ),
    (
        "unknown-substation",
        "transformer T1",
        "unknown-reference",
        "substation `SUB-9` does not exist",
    ),
    (
        "duplicate-id",
        "cooling loop AIR",
        "duplicate-id",
        "declared more than once",
    ),
    (
        "plan-cycle",
        "plan step order-T2",
        "plan-cycle",
        "order-T2 -> gpus -> install-T2 -> order-T2",
    ),
    (
        "zero-rating",
        "transformer T1",
        "non-positive-rating",
        "rating_mva must be a number > 0, got 0",
    ),
    (
        "negative-rating",
        "substation SUB",
        "non-positive-rating",
        "capacity_mw must be a number > 0, got -2",
    ),
    (
        "nan-rating",
        "site",
        "non-positive-rating",
        "interconnect_mw must be a number > 0, got NaN",
    ),
    (
        "infinite-rating",
        "cooling loop DLC",
        "non-positive-rating",
        "max_rack_kw must be a number > 0, got inf",
    ),
    (
        "decommission-unknown",
        "plan step retire-A",
        "unknown-reference",
        "rack group `B` does not exist",
    ),
    (
        "in-service-after-start",
        "rack group A",
        "in-service-after-start",
        "units.in_service_since 2026-03 is after the start month 2026-01",
    ),
    (
        "decommission-empty",
        "plan step retire-A",
        "nothing-to-decommission",
        "rack group `E` starts with no units",
    ),
    (
        "unknown-model-step",
        "plan step gpus",
        "unknown-reference",
        "unit model `H100` does not exist",
    ),
    (
        "unknown-model-racks",
        "rack group A",
        "unknown-reference",
        "unit model `S19` does not exist (did you mean `S21`?)",
    ),
    (
        "dist-min-gt-max",
        "transformer T2",
        "bad-distribution",
        "min (20) > max (10)",
    ),
    (
        "dist-mode-outside",
        "plan step gpus",
        "bad-distribution",
        "min <= mode <= max",
    ),
    (
        "start-density",
        "rack group A",
        "rack-density",
        "17.5 kW per rack",
    ),
    (
        "start-transformer",
        "transformer T1",
        "transformer-rating",
        "1.12 MW exceeds the limit of 0.95 MW",
    ),
    (
        "start-substation",
        "substation SUB",
        "substation-capacity",
        "0.70 MW exceeds the limit of 0.60 MW",
    ),
    (
        "start-cooling",
        "cooling loop AIR",
        "cooling-capacity",
        "0.70 MW exceeds the limit of 0.50 MW",
    ),
    (
        "start-interconnect",
        "site interconnect",
        "interconnect",
        "0.84 MW exceeds the limit of 0.50 MW",
    ),
    (
        "start-not-in-service",
        "rack group A",
        "not-in-service",
        "transformer T2 is not Existing",
    ),
    (
        "never-fits-density",
        "plan step gpus",
        "never-fits",
        "rack density limit: each rack would draw 143.0 kW, above the 130.0 kW per rack it allows",
    ),
    (
        "never-fits-cooling",
        "plan step gpus",
        "never-fits",
        "heat-rejection capacity: needs 228.8 kW",
    ),
    (
        "never-in-service",
        "plan step gpus",
        "never-in-service",
        "no Install step puts it in service",
    ),
    (
        "never-ordered",
        "transformer T2",
        "never-ordered",
        "no Order step orders it",
    ),
    (
        "not-orderable",
        "plan step order-T2",
        "not-orderable",
        "`T1` is Existing",
    ),
    (
        "ordered-twice",
        "plan step order-again",
        "ordered-twice",
        "already ordered by step `order-T2`",
    ),
    (
        "empty-step",
        "plan step nothing",
        "empty-step",
        "lists no equipment",
    ),
    (
        "unknown-after",
        "plan step install-T2",
        "unknown-reference",
        "did you mean `order-T2`?",
    ),
    (
        "missing-market",
        "plan step gpus",
        "missing-market",
        "needs markets.gpu_lease",
    ),
    ("bad-date", "site", "bad-date", "`2026-13` is not a month"),
    (
        "horizon-10000-years",
        "site",
        "out-of-range",
        "horizon_months must be 1..=1200, got 120000",
    ),
    (
        "too-many-racks",
        "racks",
        "out-of-range",
        "at most 2000000 are supported",
    ),
    (
        "absurd-unit-power",
        "unit model DGX",
        "out-of-range",
        "power_w is 1e300",
    ),
    (
        "absurd-units-per-rack",
        "plan step gpus",
        "out-of-range",
        "per_rack must be 1..=10000",
    ),
    (
        "series-too-short",
        "site",
        "series-too-short",
        "2 monthly values but the horizon is 12",
    ),
    (
        "empty-id",
        "substation #1",
        "empty-id",
        "id must not be empty",
    ),
    (
        "negative-value",
        "site",
        "negative-value",
        "fixed_opex_usd_per_month must be a number >= 0",
    ),
    (
        "ignored-field",
        "plan step order-T2",
        "ignored-field",
        "remove duration_days",
    ),
    (
        "absurd-network-hashrate",
        "markets",
        "out-of-range",
        "network_hashrate_eh_s must be between",
    ),
    (
        "absurd-opex",
        "site",
        "out-of-range",
        "fixed_opex_usd_per_month must be between",
    ),
    (
        "duplicate-halving",
        "markets",
        "duplicate-halving",
        "halvings lists 2026-06-01 twice",
    ),
    (
        "site-exceeds-network",
        "markets",
        "site-exceeds-network",
        "the site's miners alone hash 0.040 EH/s",
    ),
    (
        "cohort-shares",
        "network",
        "cohort-shares",
        "cohort shares sum to 0.8, expected 1",
    ),
    (
        "negative-efficiency",
        "network",
        "non-positive-rating",
        "cohort 0: efficiency -17.5 J/TH must be positive",
    ),
    (
        "negative-marginal-power",
        "network",
        "negative-value",
        "marginal_power_usd_per_mwh = -5",
    ),
    (
        "hourly-wrong-rows",
        "power_prices",
        "price-file",
        "ten-rows.csv:13: expected 8760 hourly prices, found 10",
    ),
    (
        "hourly-missing",
        "power_prices",
        "price-file",
        "no-such-file.csv: file not found",
    ),
    (
        "hourly-non-numeric",
        "power_prices",
        "price-file",
        "non-numeric.csv:7: expected a price in USD/MWh, found \"n/a\"",
    ),
    (
        "capture-above-one",
        "flexibility",
        "curtailment-threshold",
        "1.5 is a share of the peak intervals",
    ),
    (
        "obligation-threshold-zero",
        "flexibility",
        "curtailment-threshold",
        "0 MW is not a load size",
    ),
    // Regression: an install into a hall that keeps its miners passed `check`, then
    // waited for ever.
    (
        "full-hall",
        "plan step more-miners",
        "never-fits",
        "racks A keep their starting units: no step decommissions them",
    ),
    // The finance section (issue 12): each copy of tests/data/valid-financed-small.ron
    // breaks one rule.
    (
        "salvage-hashprice-reference-zero",
        "finance capital",
        "negative-value",
        "hashprice_reference_usd_per_ph_day must be a hashprice > 0 USD/PH/day, got 0",
    ),
    (
        "finance-negative-rate",
        "debt tranche senior",
        "negative-value",
        "rate_per_year must be a finite number >= 0, got -0.07",
    ),
    (
        "finance-escalator-100",
        "lease L1",
        "out-of-range",
        "escalator_per_year must stay below 1",
    ),
    (
        "finance-tenor-101-years",
        "debt tranche senior",
        "out-of-range",
        "tenor_months must be 1..=1200 months (100 years), got 1212",
    ),
    (
        "finance-ltc-above-100",
        "debt tranche senior",
        "out-of-range",
        "loan_to_cost must be between 0 and 1, got 1.05",
    ),
    (
        "finance-unknown-capex",
        "debt tranche senior",
        "unknown-reference",
        "against names capex item `T9`, which the plan never pays for (capex items: T2)",
    ),
    (
        "finance-contribution-above-capex",
        "finance leases",
        "contribution-above-capex",
        "tenant capex contributions total 5000 USD, more than the 1000 USD of capex in the plan",
    ),
    (
        "finance-zero-life",
        "finance tax",
        "out-of-range",
        "gpu_servers.life_years must be 1..=100, got 0",
    ),
    (
        "finance-both-sizes",
        "debt tranche senior",
        "one-of",
        "exactly one of amount_usd or loan_to_cost",
    ),
    // Sampled economic inputs: no draw may leave the range the model is defined on.
    (
        "finance-cap-rate-reaches-zero",
        "finance terminal value",
        "out-of-range",
        "cap_rate_per_year must stay between 0 and 1 (exclusive), but can be 0 to 0.08",
    ),
    (
        "price-factor-over-10",
        "site",
        "out-of-range",
        "electricity_price_factor can reach 12, more than the 10 allowed",
    ),
    (
        "step-cost-bad-dist",
        "plan step install-T2",
        "bad-distribution",
        "cost_usd: Uniform: min (5000000) > max (1000000)",
    ),
    // PUE (issue 12): a number or every draw within 1.0..=3.0, and the start must hold at
    // the highest draw.
    (
        "pue-below-one",
        "cooling loop DLC",
        "pue-below-one",
        "pue must be at least 1.0 (facility power includes the IT power): got 0.95",
    ),
    (
        "pue-lognormal",
        "cooling loop DLC",
        "pue-below-one",
        "a LogNormal's draws reach down to 0; give a bounded Uniform or Triangular",
    ),
    (
        "pue-above-three",
        "cooling loop DLC",
        "pue-too-high",
        "pue can reach 3.5, above the 3 no operating data centre reports",
    ),
    (
        // 50 racks × 14 kW = 0.7 MW of IT × 1.5 = 1.05 MW > 1.0 MW; at the median 1.3 it
        // would be 0.91 MW.
        "start-interconnect-at-high-pue",
        "site interconnect",
        "interconnect",
        "the starting load of 1.05 MW exceeds the limit of 1.00 MW at the highest PUE its loops can draw",
    ),
];

fn problems(file: &str) -> (Vec<retrofit::Problem>, String) {
    match retrofit::load(data(file)) {
        Ok(_) => panic!("{file} loaded as valid"),
        Err(e @ WorldError::Invalid { .. }) => {
            let text = e.to_string();
            let WorldError::Invalid { problems, .. } = e else {
                unreachable!()
            };
            (problems, text)
        }
        Err(e) => panic!("{file} did not parse: {e}"),
    }
}

#[test]
fn the_small_valid_world_is_valid() {
    retrofit::load(data("valid-small.ron")).unwrap();
}

#[test]
fn every_rule_names_the_entity_and_the_rule() {
    let mut covered = Vec::new();
    for &(file, entity, rule, words) in BROKEN {
        let path = format!("broken/{file}.ron");
        let (problems, text) = problems(&path);
        let p = problems
            .iter()
            .find(|p| p.entity == entity && p.rule == rule)
            .unwrap_or_else(|| panic!("{file}: no `{rule}` problem on `{entity}` in:\n{text}"));
        assert!(
            p.message.contains(words),
            "{file}: `{}` lacks `{words}`",
            p.message
        );
        assert!(p.position.is_some(), "{file}: no position for {entity}");
        // The printed form carries file:line:col, the entity and the rule.
        let (l, c) = p.position.unwrap();
        let line = format!("{path}:{l}:{c}: {entity}: ");
        assert!(text.contains(&line), "{file}: `{line}` not in:\n{text}");
        assert!(
            text.contains(&format!("[{rule}]")),
            "{file}: rule missing in:\n{text}"
        );
        assert_eq!(
            problems.len(),
            1,
            "{file} should break exactly one rule:\n{text}"
        );
        covered.push(format!("{file}.ron"));
    }
    // Every file in the folder is in the table, so none rots unchecked.
    let mut files: Vec<String> = std::fs::read_dir(data("broken"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    covered.sort();
    assert_eq!(files, covered);
}

/// docs/model.md's rule table lists exactly the rules the checker knows, in the enum's
/// order, each with its summary; and every rule has a broken world in `BROKEN`.
#[test]
fn the_rule_table_in_the_docs_is_the_rule_enum() {
    use retrofit::Rule;
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/model.md"))
        .unwrap();
    let section = page
        .split("## Validation rules")
        .nth(1)
        .expect("docs/model.md has a `Validation rules` section");
    let section = section.split("\n## ").next().unwrap();
    let rows: Vec<(String, String)> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| {
            let (name, rest) = l.split_once("` | ").expect("| `name` | summary |");
            let summary = rest.strip_suffix(" |").expect("row ends with ` |`");
            (name.to_string(), summary.to_string())
        })
        .collect();
    let rules: Vec<(String, String)> = Rule::ALL
        .iter()
        .map(|r| (r.name().to_string(), r.summary().to_string()))
        .collect();
    assert_eq!(
        rows, rules,
        "docs/model.md's rule table differs from Rule::ALL"
    );

    let mut broken: Vec<&str> = BROKEN.iter().map(|&(_, _, rule, _)| rule).collect();
    broken.sort_unstable();
    broken.dedup();
    let mut all: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
    all.sort_unstable();
    assert_eq!(
        broken, all,
        "every rule needs a world in tests/data/broken/"
    );
}

// Positions point at the declaration (`id: "T1"`), not at the first mention of the id.
#[test]
fn positions_point_at_declarations() {
    let (p, _) = problems("broken/unknown-substation.ron");
    assert_eq!(
        p[0].position,
        Some((15, 25)),
        "Transformer(id: \"T1\" is on line 15"
    );
    let (p, _) = problems("broken/duplicate-id.ron");
    assert_eq!(
        p[0].position,
        Some((21, 25)),
        "the second AIR is on line 21"
    );
    let (p, _) = problems("broken/bad-date.ron");
    assert_eq!(p[0].position, Some((3, 5)), "`site:` key");
    // A hall declared twice points at the second declaration's `hall: "GH"`.
    let (p, _) = problems("broken/duplicate-hall.ron");
    let text = std::fs::read_to_string(data("broken/duplicate-hall.ron")).unwrap();
    let at = text.match_indices("(hall: \"GH\"").nth(1).unwrap().0 + "(hall: ".len();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() + 1;
    assert_eq!(p[0].position, Some((line, at - line_start + 1)));
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let text = std::fs::read_to_string(data("valid-small.ron"))
        .unwrap()
        .replace("rating_mva: 1.0)", "rating_mva: -1.0)")
        .replace("transformer: \"T2\"", "transformer: \"T7\"")
        .replace("Decommission(\"A\")", "Decommission(\"Z\")")
        .replace("horizon_months: 12", "horizon_months: 0");
    let Err(WorldError::Invalid { problems, .. }) = retrofit::load_str(&text, "many.ron") else {
        panic!("expected an invalid world");
    };
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.entity.as_str(), p.rule.name()))
        .collect();
    for want in [
        ("site", "out-of-range"),
        ("transformer T1", "non-positive-rating"),
        ("rack group G", "unknown-reference"),
        ("plan step retire-A", "unknown-reference"),
    ] {
        assert!(found.contains(&want), "{want:?} not in {found:?}");
    }
}

/// (file in tests/data/unreadable, words the message must contain)
const UNREADABLE: &[(&str, &str)] = &[
    ("unknown-field.ron", "(did you mean `capacity_mw`?)"),
    (
        "unknown-variant.ron",
        "Unexpected variant named `Water` in enum `CoolingKind`, expected one of `Air`",
    ),
    (
        "malformed-distribution.ron",
        "expected a number or a distribution",
    ),
    ("units-10e12.ron", "Integer is out of bounds"),
    ("missing-comma.ron", "Expected comma"),
    ("empty.ron", "the file is empty"),
    ("binary.ron", "is not a text file"),
    ("latin1.ron", "is not a text file: invalid UTF-8 at byte 6"),
    (
        "float-in-integer.ron",
        "float-in-integer.ron:6:25: `horizon_months` takes a whole number (an integer), found `120.5`",
    ),
];

#[test]
fn unreadable_inputs_say_what_is_wrong() {
    for &(file, words) in UNREADABLE {
        let path = data(&format!("unreadable/{file}"));
        match retrofit::load(&path) {
            Err(e @ WorldError::Load(_)) => {
                let m = e.to_string();
                assert!(m.contains(words), "{file}: `{m}` lacks `{words}`");
                assert!(
                    m.starts_with(&path.display().to_string()),
                    "{file}: `{m}` lacks the file name"
                );
                assert!(!m.contains('\n'), "{file}: `{m}` is not one line");
                assert_eq!(e.exit_code(), 2);
            }
            other => panic!("{file}: expected a load error, got {other:?}"),
        }
    }
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let e = retrofit::load(data("unreadable/unknown-field.ron")).unwrap_err();
    assert!(e.to_string().contains("unknown-field.ron:12:31:"), "{e}");
}

#[test]
fn a_folder_or_a_missing_file_is_unreadable() {
    let e = retrofit::load(data("broken")).unwrap_err();
    assert!(e.to_string().contains("is a folder"), "{e}");
    let e = retrofit::load(data("no-such-world.ron")).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

// Absurd sizes are refused by validation straight away, never by running out of memory.
#[test]
fn absurd_sizes_fail_fast() {
    for file in [
        "broken/horizon-10000-years.ron",
        "broken/too-many-racks.ron",
        "broken/absurd-units-per-rack.ron",
        "unreadable/units-10e12.ron",
    ] {
        let t = Instant::now();
        assert!(retrofit::load(data(file)).is_err(), "{file}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{file} took {:?}",
            t.elapsed()
        );
    }
}

// Units × power × racks at every bound stays inside u64: no overflow panic in debug.
#[test]
fn largest_accepted_sizes_do_not_overflow() {
    let text = std::fs::read_to_string(data("valid-small.ron"))
        .unwrap()
        .replace("power_w: 14300.0", "power_w: 1e7")
        .replace("gpus: 8", "gpus: 100000")
        .replace("hashrate_th_s: 200.0", "hashrate_th_s: 1e5")
        .replace(
            "model: \"DGX\", per_rack: 4",
            "model: \"DGX\", per_rack: 10000",
        )
        .replace(
            "RackGroup(id: \"G\", count: 4,",
            "RackGroup(id: \"G\", count: 1999950,",
        );
    // It is invalid (it can never fit), but checking it must not panic.
    let e = retrofit::load_str(&text, "big.ron").unwrap_err();
    assert!(e.to_string().contains("never-fits"), "{e}");
}

// ---- messages that used to mislead (issue 11, item 8) ----

fn small_world() -> String {
    std::fs::read_to_string(data("valid-small.ron")).unwrap()
}

/// The message of a world that fails to parse.
fn load_error(text: &str, origin: &str) -> String {
    match retrofit::load_str(text, origin) {
        Err(e @ WorldError::Load(_)) => e.to_string(),
        other => panic!("expected a load error, got {other:?}"),
    }
}

// `horizon_months: 120.5` said `Expected comma`; `count: 5e1` said `Invalid digit`.
#[test]
fn a_fraction_in_a_whole_number_field_says_a_whole_number_was_expected() {
    let w = small_world();
    let m = load_error(
        &w.replace("horizon_months: 12,", "horizon_months: 120.5,"),
        "w.ron",
    );
    assert_eq!(
        m,
        "w.ron:6:25: `horizon_months` takes a whole number (an integer), found `120.5`"
    );
    let m = load_error(&w.replace("count: 50,", "count: 5e1,"), "w.ron");
    assert!(
        m.ends_with("`count` takes a whole number (an integer), found `5e1`"),
        "{m}"
    );
    // The last value before a closing bracket takes the same path.
    let m = load_error(&w.replace("per_rack: 4)))", "per_rack: 4.5)))"), "w.ron");
    assert!(m.contains(":29:65: `per_rack` takes a whole number"), "{m}");
    // A float field still takes fractions.
    retrofit::load_str(&w.replace("rating_mva: 1.0)", "rating_mva: 1.5)"), "w.ron").unwrap();
}

// Windows editors may save UTF-8 with a byte-order mark; it said `Expected opening (`.
// It is skipped, and positions are the same as without it.
#[test]
fn a_byte_order_mark_is_skipped() {
    let w = small_world();
    retrofit::load_str(&format!("\u{feff}{w}"), "bom.ron").unwrap();
    let broken = std::fs::read_to_string(data("broken/unknown-transformer.ron")).unwrap();
    let with = retrofit::load_str(&format!("\u{feff}{broken}"), "b.ron").unwrap_err();
    let without = retrofit::load_str(&broken, "b.ron").unwrap_err();
    assert_eq!(with.to_string(), without.to_string());
    let bad = "World(site: 1)";
    let m = load_error(&format!("\u{feff}{bad}"), "b.ron");
    assert_eq!(m, load_error(bad, "b.ron"));
    assert!(m.starts_with("b.ron:1:12: "), "{m}");
}

// 50,000 levels of nesting suggested `ron::Options::recursion_limit` and `serde_stacker`.
#[test]
fn deep_nesting_gets_a_plain_message() {
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let text = small_world().replace("duration_days: 10,", &format!("duration_days: {deep},"));
    let m = load_error(&text, "deep.ron");
    assert!(m.starts_with("deep.ron:40:"), "{m}");
    assert!(m.contains("nested more than 128 levels deep"), "{m}");
    for rust in ["recursion_limit", "serde_stacker", "ron::"] {
        assert!(!m.contains(rust), "{m}");
    }
    assert!(!m.contains('\n'), "{m}");
}

// NaN or inf in a `Monthly([...])` series said `must be >= 0, got inf` with no index.
#[test]
fn a_bad_value_in_a_monthly_series_names_its_index_and_month() {
    let text = small_world().replace(
        "Constant(40.0)",
        "Monthly([40, 40, 40, inf, 40, 40, 40, 40, 40, 40, 40, NaN])",
    );
    let (p, _) = problems_of(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        p[0].message,
        "electricity_usd_per_mwh value #4 of 12 (2026-04) must be a number >= 0, got inf"
    );
    let text = small_world().replace(
        "btc_price_usd: Constant(90000.0)",
        "btc_price_usd: Monthly([1, 1, 1, 1, 1, 1, 1, 1, 1e300, 1, 1, 1])",
    );
    let (p, _) = problems_of(&text);
    assert!(
        p[0].message
            .starts_with("btc_price_usd value #9 of 12 (2026-09) must be at most"),
        "{p:?}"
    );
}

fn problems_of(text: &str) -> (Vec<retrofit::Problem>, String) {
    match retrofit::load_str(text, "w.ron") {
        Err(e @ WorldError::Invalid { .. }) => {
            let shown = e.to_string();
            let WorldError::Invalid { problems, .. } = e else {
                unreachable!()
            };
            (problems, shown)
        }
        other => panic!("expected an invalid world, got {other:?}"),
    }
}

// An id written with escapes (`"T\u{31}"` is `T1`) was located at the first plain
// mention of `T1`, a reference on line 28, not at its declaration on line 15.
#[test]
fn an_id_written_with_escapes_is_located_at_its_declaration() {
    let text = small_world().replace(
        "Transformer(id: \"T1\", substation: \"SUB\", rating_mva: 1.0)",
        "Transformer(id: \"T\\u{31}\", substation: \"S\\x55B\", rating_mva: -1.0)",
    );
    let (p, _) = problems_of(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].entity, "transformer T1");
    assert_eq!(p[0].position, Some((15, 25)));
}

/// The terminal-control characters a hostile world can carry: CSI (clear screen), OSC
/// (set the window title, ended by BEL), a right-to-left override.
const ESCAPES: [&str; 3] = ["\u{1b}[2J", "\u{1b}]0;owned\u{7}", "\u{202e}"];

// Escape codes in names reached the terminal unfiltered.
#[test]
fn escape_codes_from_a_world_never_reach_the_terminal() {
    let clean = |m: &str| !m.contains('\u{1b}') && !m.contains('\u{7}') && !m.contains('\u{202e}');
    let evil = ESCAPES.concat();
    // In an id named by a problem (entity and message).
    let text = small_world()
        .replace("name: \"small\"", &format!("name: \"{evil}\""))
        .replace("transformer: \"T2\"", &format!("transformer: \"{evil}\""));
    let (p, shown) = problems_of(&text);
    assert!(clean(&shown), "{shown:?}");
    assert!(shown.contains("\\u{1b}[2J"), "shown escaped: {shown}");
    assert!(p.iter().all(|p| clean(&p.entity) && clean(&p.message)));
    assert!(clean(&p[0].to_string()));
    // In a load error: the origin, and text ron quotes back.
    let m = load_error("World(", &format!("w{evil}.ron"));
    assert!(clean(&m), "{m:?}");
    // Through the command line, on stderr.
    let f = "tests/data/fuzz-regressions/escape-codes-in-names.ron";
    let o = retrofit(&["check", f]);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(
        !o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07),
        "{o:?}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("substation S\\u{1b}]0;owned"));
}

// ---- the command line ----

fn retrofit(args: &[&str]) -> std::process::Output {
    common::retrofit()
        .args(args)
        .output()
        .expect("run retrofit")
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().expect("exit code")
}

#[test]
fn check_exit_codes() {
    let ok = retrofit(&["check", "tests/data/valid-small.ron"]);
    assert_eq!(code(&ok), 0, "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("valid"));
    for w in [
        "worlds/teaching.ron",
        "worlds/reference.ron",
        "worlds/keep-mining.ron",
    ] {
        assert_eq!(code(&retrofit(&["check", w])), 0, "{w}");
    }

    let bad = retrofit(&["check", "tests/data/broken/unknown-transformer.ron"]);
    assert_eq!(code(&bad), 1);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("tests/data/broken/unknown-transformer.ron:30:23: rack group G:"),
        "{err}"
    );
    assert!(err.contains("[unknown-reference]"), "{err}");

    for f in [
        "tests/data/unreadable/unknown-field.ron",
        "tests/data/unreadable/binary.ron",
        "tests/data/unreadable/empty.ron",
        "tests/data/no-such-world.ron",
        "tests/data",
    ] {
        let o = retrofit(&["check", f]);
        assert_eq!(code(&o), 2, "{f}: {o:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(f), "{f}: {o:?}");
    }
}

#[test]
fn run_validates_first_and_writes_nothing_for_a_bad_world() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let o = retrofit(&["run", "tests/data/broken/plan-cycle.ron", "--out", out_s]);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("[plan-cycle]"));
    let o = retrofit(&[
        "run",
        "tests/data/unreadable/missing-comma.ron",
        "--out",
        out_s,
    ]);
    assert_eq!(code(&o), 2, "{o:?}");
    assert!(
        !out.exists(),
        "no output folder for a world that did not load"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial folder"
    );
}

// A plan that fits on an empty site but never fits beside the running ASICs passes the
// static checks; the run then ends with the step reported unfinished, saying why.
#[test]
fn a_step_blocked_for_ever_is_reported_with_its_reason() {
    let text = std::fs::read_to_string(data("valid-small.ron"))
        .unwrap()
        .replace("interconnect_mw: 2.0", "interconnect_mw: 1.0")
        .replace(
            "        Step(id: \"retire-A\", action: Decommission(\"A\"), start: Some(\"2026-06\")),\n",
            "",
        );
    let s = retrofit::load_str(&text, "blocked.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let u = &r.summary.unfinished_steps;
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(u[0].step, "gpus");
    assert!(u[0].reason.contains("interconnect"), "{:?}", u[0]);
}

// A large file full of mistakes is checked in linear time: every problem is listed and
// located without rescanning the text per problem.
#[test]
fn a_large_broken_plan_is_checked_quickly() {
    let base = std::fs::read_to_string(data("valid-small.ron")).unwrap();
    let steps: String = (0..20_000)
        .map(|i| format!("        Step(id: \"s{i}\", action: Decommission(\"nope{i}\")),\n"))
        .collect();
    let text = base.replace("    plan: [\n", &format!("    plan: [\n{steps}"));
    let t = Instant::now();
    let Err(WorldError::Invalid { problems, .. }) = retrofit::load_str(&text, "big.ron") else {
        panic!("expected an invalid world");
    };
    assert_eq!(problems.len(), 20_000);
    assert!(problems.iter().all(|p| p.position.is_some()));
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
}
