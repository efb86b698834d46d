//! Run outputs: the ledger, the event log, the summary and the charts, written
//! atomically.
//!
//! Charts are built from a small kit (the [`frame`] with its title block, [`legend`],
//! [`axes`], [`marks`], [`palette`], [`text`] formatting, [`fonts`] and [`png`]
//! encoding) and one module per chart. Each chart module has a pure `prepare` that turns
//! results into the chart's data (series, ranges, labels, annotations), unit-tested
//! without pixels, and a `Chart::paint` that only lays out and draws that data. Charts
//! never compute economics.
//!
//! Text is drawn with the DejaVu Sans font bundled in `assets/fonts/`, so charts render
//! the same on a machine with no fonts installed.

pub mod explain;
pub mod finance;
pub mod html;
pub mod text;

mod axes;
mod cash;
mod compare;
mod fan;
mod finance_chart;
pub(crate) mod fonts;
mod frame;
mod legend;
mod market;
mod marks;
mod months;
mod palette;
mod pareto;
mod payback;
mod png;
mod power;
mod revenue;
mod sobol;
mod svg;
mod timeline;
mod tornado;

pub use frame::{ChartFormat, ChartOptions, ChartSize, MIN_SIZE};
pub use pareto::{ParetoData, ParetoPoint};
pub use sobol::SobolData;
pub use tornado::{TornadoBar, TornadoData};

use crate::compare::CashPath;
use crate::engine::RunResult;
use crate::output::{Staging, names};
use crate::scenario::Scenario;
use crate::sweep::{Aggregate, SweepSummary};
use anyhow::{Context, Result};
use frame::Chart;
use std::path::{Path, PathBuf};

/// File names of the run charts as (PNG, SVG), in drawing order.
fn run_chart_files() -> [(&'static str, &'static str); 5] {
    let (png, svg) = (names::RUN_CHARTS, names::RUN_CHARTS_SVG);
    [0, 1, 2, 3, 4].map(|i| (png[i], svg[i]))
}

/// Prepares a chart (only when some format is asked for) and adds its files, named
/// `(png, svg)`, to `out`.
fn add_chart<C: Chart>(
    out: &mut ExtraFiles,
    (png, svg): (&str, &str),
    opts: &ChartOptions,
    prepare: impl FnOnce() -> Result<C>,
) -> Result<()> {
    if opts.format == ChartFormat::None {
        return Ok(());
    }
    let chart = prepare()?;
    if opts.format.png() {
        out.push((png.to_string(), frame::png(&chart, opts.size)?));
    }
    if opts.format.svg() {
        out.push((svg.to_string(), frame::svg(&chart, opts.size)?));
    }
    Ok(())
}

/// Draws every chart of a run in the asked formats, as `(file name, bytes)`: nothing
/// at all for [`ChartFormat::None`].
pub fn run_charts(s: &Scenario, r: &RunResult, opts: &ChartOptions) -> Result<ExtraFiles> {
    let mut out = ExtraFiles::new();
    let [power, revenue, cash, timeline, market] = run_chart_files();
    add_chart(&mut out, power, opts, || Ok(power::prepare(s, r)))?;
    add_chart(&mut out, revenue, opts, || Ok(revenue::prepare(s, r)))?;
    add_chart(&mut out, cash, opts, || Ok(cash::prepare(s, r)))?;
    add_chart(&mut out, timeline, opts, || Ok(timeline::prepare(s, r)))?;
    add_chart(&mut out, market, opts, || Ok(market::prepare(s, r)))?;
    let [finance] = names::RUN_EXTRA_CHARTS;
    if let (Some(_), Some(f)) = (&s.finance, &r.finance) {
        add_chart(&mut out, finance, opts, || Ok(finance_chart::prepare(s, f)))?;
    }
    Ok(out)
}

/// Draws every chart of a sweep in the asked formats, for
/// [`crate::sweep::sweep_to_dir`] and [`crate::sweep::merge_dirs`].
pub fn sweep_charts(
    agg: &Aggregate,
    sum: &SweepSummary,
    opts: &ChartOptions,
) -> Result<ExtraFiles> {
    let mut out = ExtraFiles::new();
    let [fan, payback] = [0, 1].map(|i| (names::SWEEP_CHARTS[i], names::SWEEP_CHARTS_SVG[i]));
    add_chart(&mut out, fan, opts, || fan::prepare(agg, sum))?;
    add_chart(&mut out, payback, opts, || payback::prepare(agg, sum))?;
    Ok(out)
}

/// Draws the comparison of worlds' cumulative cash in the asked formats.
pub fn compare_charts(paths: &[CashPath], opts: &ChartOptions) -> Result<ExtraFiles> {
    let mut out = ExtraFiles::new();
    let files = (names::COMPARE_PNG, names::COMPARE_SVG);
    add_chart(&mut out, files, opts, || compare::prepare(paths))?;
    Ok(out)
}

/// Columns appended to `ledger.csv` when the world prices power by the hour or has
/// flexibility terms (see [`crate::price_shape::month::SiteMonth`]).
pub const FLEXIBILITY_COLUMNS: &str = "curtailed_mwh,mean_price_paid_usd_per_mwh,dr_credit_usd,peak_charge_avoided_usd,peak_charge_paid_usd,sla_credits_usd";

/// The ledger as CSV text, one row per month; the flexibility columns follow when the
/// run has them.
pub fn ledger_csv(result: &RunResult) -> Result<Vec<u8>> {
    let bytes = base_ledger_csv(&result.ledger);
    if result.ledger.iter().all(|r| r.flexibility.is_none()) {
        return Ok(bytes);
    }
    // Every cell of the base columns is a number or a month: appending is safe.
    let text = String::from_utf8(bytes)?;
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        out.push(',');
        match i.checked_sub(1).and_then(|k| result.ledger.get(k)) {
            None => out.push_str(FLEXIBILITY_COLUMNS),
            Some(row) => {
                let f = row.flexibility.unwrap_or_default();
                let cells = [
                    f.curtailed_mwh,
                    f.mean_price_paid_usd_per_mwh(),
                    f.dr_credit_usd,
                    f.peak_charge_avoided_usd,
                    f.peak_charge_paid_usd,
                    f.sla_credits_usd,
                ];
                for (k, v) in cells.into_iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    crate::decimal::push_f64(&mut out, v);
                }
            }
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// The base columns of `ledger.csv`, byte for byte what `csv` writes for the serde
/// form of the rows (header from the field names, each float by `ryu` as `csv` formats
/// it, no field needing quotes), written straight into one buffer: through serde and
/// `csv`'s field writer it was a seventh of a whole `run --charts none`.
fn base_ledger_csv(rows: &[crate::ledger::MonthRow]) -> Vec<u8> {
    use std::fmt::Write;
    let columns = crate::ledger::MonthRow::columns();
    // 17 floats of up to ~20 characters each, a month and the separators.
    let mut out = String::with_capacity(columns.len() * 24 + rows.len() * 360);
    out.push_str(&columns.join(","));
    out.push('\n');
    let mut float = ryu::Buffer::new();
    for row in rows {
        let _ = write!(out, "{}", row.month);
        for v in row.values() {
            out.push(',');
            out.push_str(float.format(v));
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// The event log as CSV text: `time,event,entity,detail` with `time` as a date.
pub fn events_csv(s: &Scenario, result: &RunResult) -> Result<Vec<u8>> {
    use std::fmt::Write;
    // About a hundred bytes a line; one date buffer reused rather than a String each.
    let mut w = csv::Writer::from_writer(Vec::with_capacity(64 + result.events.len() * 100));
    w.write_record(["time", "event", "entity", "detail"])?;
    let mut date = String::with_capacity(10);
    for e in &result.events {
        date.clear();
        let _ = write!(date, "{}", s.calendar.date(e.day));
        w.write_record([date.as_str(), e.event, &e.entity, &e.detail])?;
    }
    Ok(w.into_inner()?)
}

/// Files beside the text outputs (charts), as (name, bytes).
pub type ExtraFiles = Vec<(String, Vec<u8>)>;

/// The charts of `files` as SVG: those among them, or drawn now when the command asked
/// for PNG only. `draw` draws the SVGs.
fn svgs_for_html(
    files: &ExtraFiles,
    opts: &ChartOptions,
    draw: impl FnOnce(&ChartOptions) -> Result<ExtraFiles>,
) -> Result<ExtraFiles> {
    if opts.format.svg() {
        return Ok(files
            .iter()
            .filter(|(n, _)| n.ends_with(".svg"))
            .cloned()
            .collect());
    }
    draw(&ChartOptions {
        format: ChartFormat::Svg,
        size: opts.size,
    })
}

/// `report.html` of a run, as a file to add: none with `--charts none`.
pub fn run_html(
    s: &Scenario,
    r: &RunResult,
    opts: &ChartOptions,
    files: &ExtraFiles,
    world_text: Option<&str>,
) -> Result<ExtraFiles> {
    if opts.format == ChartFormat::None {
        return Ok(Vec::new());
    }
    let svgs = svgs_for_html(files, opts, |o| run_charts(s, r, o))?;
    let page = html::run_report(s, r, &svgs, world_text)?;
    Ok(vec![(html::REPORT_HTML.to_string(), page.into_bytes())])
}

/// The sweep's charts and `report.html` (none with `--charts none`).
pub fn sweep_outputs(
    agg: &Aggregate,
    sum: &SweepSummary,
    opts: &ChartOptions,
    world_text: Option<&str>,
) -> Result<ExtraFiles> {
    let mut files = sweep_charts(agg, sum, opts)?;
    if opts.format != ChartFormat::None {
        let svgs = svgs_for_html(&files, opts, |o| sweep_charts(agg, sum, o))?;
        let page = html::sweep_report(agg, sum, &svgs, world_text)?;
        files.push((html::REPORT_HTML.to_string(), page.into_bytes()));
    }
    Ok(files)
}

/// The comparison's chart and `report.html` (none with `--charts none`). `world_texts`
/// are the worlds' texts in the order of `rows`, for the assumptions tables (or empty).
pub fn compare_outputs(
    rows: &[crate::compare::CompareRow],
    paths: &[CashPath],
    opts: &ChartOptions,
    world_texts: &[&str],
) -> Result<ExtraFiles> {
    let mut files = compare_charts(paths, opts)?;
    if opts.format != ChartFormat::None {
        let svgs = svgs_for_html(&files, opts, |o| compare_charts(paths, o))?;
        let page = html::compare_report(rows, paths, &svgs, world_texts)?;
        files.push((html::REPORT_HTML.to_string(), page.into_bytes()));
    }
    Ok(files)
}

/// Writes `ledger.csv`, `events.csv`, `summary.json`, the run's charts in the asked
/// formats and `report.html` (unless charts are `none`) into `dir`, replacing it
/// atomically. The text outputs do not depend on the chart options. (The facade's
/// `write_run_with_world` also fills the report's assumptions table.)
pub fn write_run(
    dir: &Path,
    s: &Scenario,
    result: &RunResult,
    charts: &ChartOptions,
) -> Result<PathBuf> {
    // Staged first: a folder that cannot be replaced is refused before any drawing, and
    // a signal while the charts are drawn finds the temporary to remove.
    let st = Staging::new(dir)?.for_world(crate::output::fingerprint(s));
    stage_run(&st, s, result)?;
    let mut extra = run_charts(s, result, charts).context("drawing charts")?;
    let page = run_html(s, result, charts, &extra, None).context("writing report.html")?;
    extra.extend(page);
    for (name, bytes) in extra {
        st.write(&name, bytes)?;
    }
    Ok(st.commit()?)
}

/// Writes `ledger.csv`, `events.csv` and `summary.json` into a folder being staged.
pub fn stage_run(st: &Staging, s: &Scenario, result: &RunResult) -> Result<()> {
    let mut ledger = ledger_csv(result)?;
    let mut json =
        serde_json::to_string_pretty(&result.summary).context("cannot encode summary")?;
    // Finance columns and figures only for worlds that set finance terms, so every
    // other world's outputs stay as they were.
    if let (Some(spec), Some(f)) = (&s.finance, &result.finance) {
        ledger = finance::append_columns(&ledger, spec, f);
        json = finance::summary_with_finance(&result.summary, &f.summary, s.calendar.start())
            .context("cannot encode summary")?;
    }
    st.write(crate::output::names::LEDGER, ledger)?;
    st.write(crate::output::names::EVENTS, events_csv(s, result)?)?;
    st.write(crate::output::names::SUMMARY, json + "\n")?;
    if let Some(r) = &result.reliability {
        st.write(crate::output::names::RELIABILITY, r.csv())?;
    }
    Ok(())
}

/// Draws the tornado (`tornado.png`/`.svg`) of a sensitivity report in the asked
/// formats.
pub fn tornado_charts(data: &TornadoData, world: &str, opts: &ChartOptions) -> Result<ExtraFiles> {
    let mut out = ExtraFiles::new();
    let files = (names::TORNADO, names::TORNADO_SVG);
    add_chart(&mut out, files, opts, || tornado::prepare(data, world))?;
    Ok(out)
}

/// Draws the Sobol' indices (`sobol.png`/`.svg`) in the asked formats.
pub fn sobol_charts(
    data: &SobolData,
    world: &str,
    samples: usize,
    opts: &ChartOptions,
) -> Result<ExtraFiles> {
    let mut out = ExtraFiles::new();
    let files = (names::SOBOL_PNG, names::SOBOL_SVG);
    add_chart(&mut out, files, opts, || {
        Ok(sobol::prepare(data, world, samples))
    })?;
    Ok(out)
}

/// Draws an optimize run's candidates (`pareto.png`/`.svg`) in the asked formats.
pub fn pareto_charts(
    data: &ParetoData,
    world: &str,
    futures: u64,
    objective: &str,
    opts: &ChartOptions,
) -> Result<ExtraFiles> {
    let mut out = ExtraFiles::new();
    let files = (names::PARETO, names::PARETO_SVG);
    add_chart(&mut out, files, opts, || {
        Ok(pareto::prepare(data, world, futures, objective))
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::MonthRow;

    /// What `csv` writes for the serde form of `rows`: the reference the direct writer
    /// must equal byte for byte.
    fn serde_csv(rows: &[MonthRow]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in rows {
            w.serialize(row).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn ledger_csv_matches_the_serde_form() {
        for world in ["worlds/teaching.ron", "worlds/reference.ron"] {
            let s = crate::load(world).unwrap();
            for seed in [None, Some(7)] {
                let rows = crate::run(&s, seed).unwrap().ledger;
                assert_eq!(base_ledger_csv(&rows), serde_csv(&rows), "{world} {seed:?}");
            }
        }
        // Floats at ryu's edges: signs, zero, exponents, tiny and huge, non-finite.
        let s = crate::load("worlds/teaching.ron").unwrap();
        let mut row = crate::run(&s, None).unwrap().ledger.remove(0);
        let edges = [
            -0.0,
            1e21,
            1.5e-7,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -123456.789,
            0.1 + 0.2,
        ];
        let mut rows = Vec::new();
        for (k, v) in edges.iter().enumerate() {
            row.btc_mined = *v;
            row.capex_usd = -v;
            row.gpu_it_mw_end = edges[(k + 3) % edges.len()];
            rows.push(row.clone());
        }
        assert_eq!(base_ledger_csv(&rows), serde_csv(&rows));
    }
}
