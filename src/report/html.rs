//! `report.html`: one self-contained page a planner can send or print: the headline
//! numbers, every chart inline as SVG with its caption, the tables (plan, waits on
//! limits, monthly ledger, sweep percentiles, compare side by side) and the assumptions
//! table read from the world text with each input's source comment.
//!
//! The page is rendered with minijinja from `templates/report.html` with HTML
//! auto-escaping, so every string from a world file (names, ids, comments) is shown as
//! text. The only unescaped values are the SVG charts this crate drew itself. No
//! network fetch: styles inline, the bundled font as a `data:` URL, and a
//! Content-Security-Policy that forbids any other source.

pub mod assumptions;

use super::text::usd;
use crate::compare::{CashPath, CompareRow};
use crate::engine::RunResult;
use crate::scenario::Scenario;
use crate::sweep::{Aggregate, SweepSummary};
use anyhow::{Context, Result};
use minijinja::{Environment, Value};
use serde::Serialize;

pub use crate::output::names::REPORT_HTML;

/// One chart as shown: its file stem, inline SVG and caption.
#[derive(Serialize)]
pub struct Figure {
    name: String,
    svg: Value,
    caption: String,
}

impl Figure {
    /// A chart from its SVG file `(name, bytes)`, with the caption this module keeps
    /// for that chart.
    pub fn from_file(name: &str, bytes: &[u8]) -> Self {
        let stem = name.trim_end_matches(".svg").to_string();
        let text = String::from_utf8_lossy(bytes);
        // Drop the XML declaration: the SVG is inlined in HTML.
        let svg = text
            .find("<svg")
            .map_or(&text[..], |i| &text[i..])
            .to_string();
        Figure {
            caption: caption(&stem).to_string(),
            name: stem,
            svg: Value::from_safe_string(svg),
        }
    }
}

/// What each chart shows, in one sentence.
fn caption(stem: &str) -> &'static str {
    match stem {
        "power" => {
            "Power: IT load of ASIC and GPU racks and facility load against the interconnect, month by month, with power curtailed in dear hours and redundancy reserve marked where the world has them."
        }
        "revenue" => "Revenue: mining and GPU revenue per month, with energy cost.",
        "cash" => {
            "Cumulative cash: equity cash (and project cash when the world borrows), with the payback month and the peak equity need marked."
        }
        "market" => {
            "Mining market: network hashrate (and the exogenous path beside a supply model), hashprice against each site fleet's cash break-even, and BTC price."
        }
        "finance" => {
            "Sources and uses: equity, debt and tenant money against capex paid, the debt balance, and DSCR against its covenant."
        }
        "timeline" => "Plan (Gantt): each step's procurement, work and waits on limits.",
        "fan" => {
            "Cumulative cash across the sweep: P10–P90 band around the P50 path (with an equity-cash fan beside it for financed worlds)."
        }
        "payback" => {
            "Payback month across the sweep: how many runs pay back in each month (runs whose cash never goes negative have nothing to pay back and are counted apart)."
        }
        "compare" => "Cumulative cash of each world compared (P50, with P10–P90 bands for sweeps).",
        _ => "Chart.",
    }
}

/// A table section.
#[derive(Serialize, Default)]
struct Table {
    id: String,
    title: String,
    note: String,
    collapsed: bool,
    summary: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    empty: &'static str,
}

/// Everything the template shows.
#[derive(Serialize)]
struct Page {
    title: String,
    kind: &'static str,
    subtitle: String,
    headline: Vec<(String, String)>,
    charts: Vec<Figure>,
    tables: Vec<Table>,
    /// Marked safe: base64 only, and inside <style> entities would not be decoded.
    font_url: Value,
    version: &'static str,
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    // Names ending in .html are auto-escaped by minijinja's default callback.
    let templates = [
        ("report.html", include_str!("templates/report.html")),
        ("style.css", include_str!("templates/style.css")),
    ];
    for (name, src) in templates {
        env.add_template(name, src)
            .expect("the bundled templates are valid (tested)");
    }
    env
}

fn render(page: &Page) -> Result<String> {
    env()
        .get_template("report.html")
        .and_then(|t| t.render(page))
        .context("rendering report.html")
}

/// The bundled regular font as a `data:` URL, so the page needs no fetch.
fn font_data_url() -> String {
    format!(
        "data:font/ttf;base64,{}",
        base64(super::fonts::FONT_REGULAR)
    )
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn page(title: &str, kind: &'static str, subtitle: String) -> Page {
    Page {
        title: title.to_string(),
        kind,
        subtitle,
        headline: Vec::new(),
        charts: Vec::new(),
        tables: Vec::new(),
        font_url: Value::from_safe_string(font_data_url()),
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn month_text(m: Option<crate::calendar::YearMonth>) -> String {
    m.map_or_else(|| "never".into(), |m| m.to_string())
}

fn opt_usd(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), usd)
}

/// A table from CSV text (header row first).
fn csv_table(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = r
        .headers()
        .map(|h| h.iter().map(str::to_string).collect())
        .unwrap_or_default();
    let rows = r
        .records()
        .filter_map(|rec| rec.ok())
        .map(|rec| rec.iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The assumptions table from the world text (absent when the text is not known).
fn assumptions_table(world_text: Option<&str>) -> Table {
    let inputs = world_text.map(assumptions::inputs).unwrap_or_default();
    Table {
        id: "assumptions".into(),
        title: "Assumptions".into(),
        note: "Every input written in the world file, with its unit and the comment written beside it (its source or reason).".into(),
        header: ["input", "entity", "value", "unit", "source (comment in the world file)"]
            .map(String::from)
            .to_vec(),
        rows: inputs
            .into_iter()
            .map(|i| vec![i.path, i.entity, i.value, i.unit, i.source])
            .collect(),
        empty: "The world text was not available to this command.",
        ..Table::default()
    }
}

/// A comparison's assumptions: first the inputs whose values differ between the worlds,
/// side by side, then each world's full table (numbered in the order given).
/// `worlds` is (world name, its text), one per compared world; empty when the texts are
/// not known, which gives one table saying so.
fn compare_assumptions(worlds: &[(String, &str)]) -> Vec<Table> {
    if worlds.is_empty() {
        return vec![assumptions_table(None)];
    }
    let inputs: Vec<Vec<assumptions::Input>> =
        worlds.iter().map(|(_, t)| assumptions::inputs(t)).collect();
    let mut tables = vec![differing_inputs(worlds, &inputs)];
    for (k, ((name, text), _)) in worlds.iter().zip(&inputs).enumerate() {
        let mut t = assumptions_table(Some(text));
        t.id = format!("assumptions-{}", k + 1);
        t.title = format!("Assumptions of world {}: {name}", k + 1);
        t.collapsed = true;
        t.summary = format!("Show all {} inputs", t.rows.len());
        tables.push(t);
    }
    tables
}

/// Inputs (by path) whose value is not the same in every world, in the order first
/// written; a world without the input shows a dash.
fn differing_inputs(worlds: &[(String, &str)], inputs: &[Vec<assumptions::Input>]) -> Table {
    let mut paths: Vec<&str> = Vec::new();
    for i in inputs.iter().flatten() {
        if !paths.contains(&i.path.as_str()) {
            paths.push(&i.path);
        }
    }
    let value_in = |world: &[assumptions::Input], path: &str| {
        world
            .iter()
            .find(|i| i.path == path)
            .map(|i| format!("{} {}", i.value, i.unit).trim_end().to_string())
    };
    let rows = paths
        .into_iter()
        .filter_map(|path| {
            let values: Vec<Option<String>> = inputs.iter().map(|w| value_in(w, path)).collect();
            let differs = values.iter().any(|v| *v != values[0]);
            differs.then(|| {
                std::iter::once(path.to_string())
                    .chain(values.into_iter().map(|v| v.unwrap_or_else(|| "-".into())))
                    .collect()
            })
        })
        .collect();
    let header = std::iter::once("input".to_string())
        .chain(
            worlds
                .iter()
                .enumerate()
                .map(|(k, (name, _))| format!("{}. {name}", k + 1)),
        )
        .collect();
    Table {
        id: "assumptions-differ".into(),
        title: "Inputs that differ between the worlds".into(),
        note: "Each input whose value is not the same in every world, side by side (a dash: not written in that world). The sources are in each world's table below.".into(),
        header,
        rows,
        empty: "Every input has the same value in every world.",
        ..Table::default()
    }
}

/// Headline numbers of one run.
pub(crate) fn run_headline(r: &RunResult) -> Vec<(String, String)> {
    let s = &r.summary;
    let mw = |v: f64| format!("{v:.1} MW");
    [
        ("NPV", usd(s.npv_usd)),
        ("Payback month", super::text::payback_text(s)),
        ("First GPU month", month_text(s.first_gpu_month)),
        (
            "Cumulative cash at horizon",
            usd(s.final_cumulative_cash_usd),
        ),
        ("Total capex", usd(s.total_capex_usd)),
        ("ASIC revenue", usd(s.total_asic_revenue_usd)),
        ("GPU revenue", usd(s.total_gpu_revenue_usd)),
        ("Energy cost", usd(s.total_energy_cost_usd)),
        (
            "Months waited on limits",
            format!("{:.1}", s.months_waited_on_limits),
        ),
        (
            "Peak IT / facility",
            format!("{} / {}", mw(s.peak_it_mw), mw(s.peak_facility_mw)),
        ),
        ("Interconnect", mw(s.interconnect_mw)),
        (
            "Discount rate",
            format!("{:.1} % per year", s.discount_rate_per_year * 100.0),
        ),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .to_vec()
}

/// The plan as a table: each step, what it does, how far it got and when.
fn plan_table(s: &Scenario, r: &RunResult) -> Table {
    let date = |d| s.calendar.date(d).to_string();
    let rows = r
        .timeline
        .iter()
        .map(|t| {
            let first = t.spans.iter().map(|sp| sp.from).min();
            vec![
                t.id.clone(),
                t.verb.to_string(),
                format!("{:?}", t.status),
                first.map_or_else(|| "-".into(), date),
                t.finished.map_or_else(|| "-".into(), date),
                t.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Table {
        id: "plan".into(),
        title: "Retrofit plan".into(),
        header: ["step", "action", "status", "began", "finished", "note"]
            .map(String::from)
            .to_vec(),
        rows,
        empty: "The plan has no steps.",
        ..Table::default()
    }
}

/// Every wait on a limit, with the step, the limit and its numbers.
fn waits_table(s: &Scenario, r: &RunResult) -> Table {
    let rows = r
        .events
        .iter()
        .filter(|e| e.event == "wait" || e.event == "wait-over")
        .map(|e| {
            vec![
                s.calendar.date(e.day).to_string(),
                e.event.to_string(),
                e.entity.clone(),
                e.detail.clone(),
            ]
        })
        .collect();
    Table {
        id: "waits".into(),
        title: "Waits on limits".into(),
        header: ["date", "event", "step", "limit and numbers"]
            .map(String::from)
            .to_vec(),
        rows,
        empty: "No step waited on a limit.",
        ..Table::default()
    }
}

/// The monthly ledger, collapsed.
fn ledger_table(r: &RunResult) -> Result<Table> {
    let (header, rows) = csv_table(&super::ledger_csv(r)?);
    Ok(Table {
        id: "ledger".into(),
        title: "Monthly ledger".into(),
        collapsed: true,
        summary: format!("Show all {} months", rows.len()),
        header,
        rows,
        empty: "No months.",
        ..Table::default()
    })
}

/// `report.html` of one run. `svgs` are the run's SVG charts as (file name, bytes).
pub fn run_report(
    s: &Scenario,
    r: &RunResult,
    svgs: &[(String, Vec<u8>)],
    world_text: Option<&str>,
) -> Result<String> {
    let seed = r
        .summary
        .seed
        .map_or_else(|| "median run".to_string(), |k| format!("seed {k}"));
    let mut p = page(
        &s.name,
        "run",
        format!("{seed}, from {}", r.summary.start_month),
    );
    p.headline = run_headline(r);
    p.charts = svgs.iter().map(|(n, b)| Figure::from_file(n, b)).collect();
    p.tables = vec![
        plan_table(s, r),
        waits_table(s, r),
        ledger_table(r)?,
        assumptions_table(world_text),
    ];
    render(&p)
}

/// `report.html` of a sweep.
pub fn sweep_report(
    agg: &Aggregate,
    sum: &SweepSummary,
    svgs: &[(String, Vec<u8>)],
    world_text: Option<&str>,
) -> Result<String> {
    let sub = format!(
        "{} of {} runs, base seed {}{}",
        sum.runs_completed,
        sum.runs_planned,
        sum.seed,
        if sum.partial { " (partial)" } else { "" }
    );
    let mut p = page(&sum.world, "sweep", sub);
    p.headline = sweep_headline(sum);
    p.charts = svgs.iter().map(|(n, b)| Figure::from_file(n, b)).collect();
    let (header, rows) = csv_table(&agg.percentiles_csv()?);
    p.tables = vec![
        summary_percentiles(sum),
        Table {
            id: "percentiles".into(),
            title: "Percentiles by month".into(),
            collapsed: true,
            summary: format!("Show all {} months", rows.len()),
            header,
            rows,
            empty: "No months.",
            ..Table::default()
        },
        assumptions_table(world_text),
    ];
    render(&p)
}

fn sweep_headline(sum: &SweepSummary) -> Vec<(String, String)> {
    [
        ("NPV P50", opt_usd(sum.npv_usd.p50)),
        (
            "NPV P10 – P90",
            format!(
                "{} – {}",
                opt_usd(sum.npv_usd.p10),
                opt_usd(sum.npv_usd.p90)
            ),
        ),
        (
            "Payback month P50",
            if sum.runs_completed > 0 && sum.probability_cumulative_cash_never_negative >= 1.0 {
                "none (cumulative cash never negative: nothing to pay back)".into()
            } else {
                month_text(sum.payback_month.p50)
            },
        ),
        (
            "Pays back within horizon",
            format!(
                "{:.0} % of runs",
                sum.probability_payback_within_horizon * 100.0
            ),
        ),
        (
            "Cash never negative (nothing to pay back)",
            format!(
                "{:.0} % of runs",
                sum.probability_cumulative_cash_never_negative * 100.0
            ),
        ),
        ("First GPU month P50", month_text(sum.first_gpu_month.p50)),
        (
            "Cash at horizon P50",
            opt_usd(sum.final_cumulative_cash_usd.p50),
        ),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .to_vec()
}

/// The sweep's summary figures at P10, P50 and P90.
fn summary_percentiles(sum: &SweepSummary) -> Table {
    let q = |name: &str, p: &crate::sweep::Percentiles, f: &dyn Fn(Option<f64>) -> String| {
        vec![name.to_string(), f(p.p10), f(p.p50), f(p.p90)]
    };
    let m = |name: &str, p: &crate::sweep::MonthPercentiles| {
        vec![
            name.to_string(),
            month_text(p.p10),
            month_text(p.p50),
            month_text(p.p90),
        ]
    };
    let months = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
    Table {
        id: "summary-percentiles".into(),
        title: "Percentiles of the summary figures".into(),
        header: ["figure", "P10", "P50", "P90"].map(String::from).to_vec(),
        rows: vec![
            q("NPV", &sum.npv_usd, &opt_usd),
            m("payback month", &sum.payback_month),
            m("first GPU month", &sum.first_gpu_month),
            q(
                "months waited on limits",
                &sum.months_waited_on_limits,
                &months,
            ),
            q(
                "cumulative cash at horizon",
                &sum.final_cumulative_cash_usd,
                &opt_usd,
            ),
        ],
        empty: "No runs.",
        ..Table::default()
    }
}

/// `report.html` of a comparison. `world_texts` are the worlds' texts in the order of
/// `rows` (for the assumptions tables), or empty when they are not known.
pub fn compare_report(
    rows: &[CompareRow],
    _paths: &[CashPath],
    svgs: &[(String, Vec<u8>)],
    world_texts: &[&str],
) -> Result<String> {
    let mut p = page(
        "Comparison of worlds",
        "compare",
        format!("{} worlds", rows.len()),
    );
    p.headline = rows
        .iter()
        .map(|r| match r.equity_npv_usd_p50 {
            // The finance block's figure when there is one: the ledger's NPV has no
            // tax, opex by state, debt or exit value.
            Some(v) => (format!("{} — equity NPV P50", r.world), opt_usd(Some(v))),
            None => (
                format!("{} — ledger NPV P50", r.world),
                opt_usd(r.npv_usd_p50),
            ),
        })
        .collect();
    p.charts = svgs.iter().map(|(n, b)| Figure::from_file(n, b)).collect();
    let (header, table_rows) = csv_table(&crate::compare::compare_csv(rows)?);
    p.tables = vec![Table {
        id: "compare".into(),
        title: "Side by side".into(),
        header,
        rows: table_rows,
        empty: "No worlds.",
        ..Table::default()
    }];
    let worlds: Vec<(String, &str)> = rows
        .iter()
        .map(|r| r.world.clone())
        .zip(world_texts.iter().copied())
        .collect();
    p.tables.extend(compare_assumptions(&worlds));
    render(&p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_templates_parse_and_escape_world_text() {
        let mut p = page("<script>alert(1)</script>", "run", "s".into());
        p.headline = vec![("a&b".into(), "<i>".into())];
        let html = render(&p).unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(html.contains("a&amp;b"));
    }

    #[test]
    fn compare_assumptions_list_each_world_and_only_the_differing_inputs_side_by_side() {
        let a = "World(site: Site(name: \"A\", power_mw: 10.0, pue: 1.2), // grid study\n)";
        let b = "World(site: Site(name: \"A\", power_mw: 12.5, pue: 1.2, extra_usd: 3))";
        let worlds = [("a <b>".to_string(), a), ("b".to_string(), b)];
        let tables = compare_assumptions(&worlds);
        let ids: Vec<&str> = tables.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            ["assumptions-differ", "assumptions-1", "assumptions-2"]
        );
        let differ = &tables[0];
        assert_eq!(differ.header, ["input", "1. a <b>", "2. b"]);
        assert_eq!(
            differ.rows,
            [
                vec!["site.power_mw", "10.0 MW", "12.5 MW"],
                vec!["site.extra_usd", "-", "3 USD"],
            ]
        );
        assert_eq!(tables[1].rows.len(), 3);
        assert_eq!(tables[2].rows.len(), 4);
        assert!(tables[1].title.ends_with("a <b>") && tables[1].collapsed);
        // Without the texts: one table that says so.
        let none = compare_assumptions(&[]);
        assert_eq!((none.len(), none[0].rows.len()), (1, 0));
    }

    #[test]
    fn an_inline_chart_loses_its_xml_declaration_but_not_its_drawing() {
        let f = Figure::from_file("cash.svg", b"<?xml version=\"1.0\"?>\n<svg a=\"1\"></svg>");
        assert_eq!(f.svg.as_str(), Some("<svg a=\"1\"></svg>"));
        assert_eq!(f.name, "cash");
    }
}
