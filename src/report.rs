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
pub mod text;

mod axes;
mod cash;
mod compare;
mod fan;
mod fonts;
mod frame;
mod legend;
mod marks;
mod months;
mod palette;
mod pareto;
mod payback;
mod png;
mod power;
mod revenue;
mod sobol;
mod timeline;
mod tornado;

pub use frame::{ChartSize, MIN_SIZE};

use crate::compare::CashPath;
use crate::engine::RunResult;
use crate::output::Staging;
use crate::scenario::Scenario;
use crate::sweep::{Aggregate, SweepSummary};
use anyhow::{Context, Result};
use frame::png as draw_png;
use std::path::{Path, PathBuf};

/// File names of the charts [`all_charts`] produces, in order.
pub const CHART_FILES: [&str; 4] = crate::output::names::RUN_CHARTS;

/// File names of the charts [`sweep_charts`] produces, in order.
pub const SWEEP_CHART_FILES: [&str; 2] = crate::output::names::SWEEP_CHARTS;

/// File name of the chart [`compare_png`] produces.
pub const COMPARE_CHART_FILE: &str = crate::output::names::COMPARE_PNG;

/// Renders every chart of a run as `(file name, PNG bytes)`, ready for [`write_run`].
pub fn all_charts(s: &Scenario, r: &RunResult, size: ChartSize) -> Result<ExtraFiles> {
    Ok(vec![
        (
            CHART_FILES[0].into(),
            draw_png(&power::prepare(s, r), size)?,
        ),
        (
            CHART_FILES[1].into(),
            draw_png(&revenue::prepare(s, r), size)?,
        ),
        (CHART_FILES[2].into(), draw_png(&cash::prepare(s, r), size)?),
        (
            CHART_FILES[3].into(),
            draw_png(&timeline::prepare(s, r), size)?,
        ),
    ])
}

/// Renders every chart of a sweep as `(file name, PNG bytes)`, for
/// [`crate::sweep::sweep_to_dir`] and [`crate::sweep::merge_dirs`].
pub fn sweep_charts(agg: &Aggregate, sum: &SweepSummary, size: ChartSize) -> Result<ExtraFiles> {
    Ok(vec![
        (
            SWEEP_CHART_FILES[0].into(),
            draw_png(&fan::prepare(agg, sum)?, size)?,
        ),
        (
            SWEEP_CHART_FILES[1].into(),
            draw_png(&payback::prepare(agg, sum)?, size)?,
        ),
    ])
}

/// `compare.png` of compared worlds' cumulative cash, as PNG bytes.
pub fn compare_png(paths: &[CashPath], size: ChartSize) -> Result<Vec<u8>> {
    draw_png(&compare::prepare(paths)?, size)
}

/// Column order of `ledger.csv` (also the field order of [`crate::ledger::MonthRow`]).
pub const LEDGER_COLUMNS: &str = "month,asic_it_mw,gpu_it_mw,facility_mw,hashrate_ph_s,asic_curtailed_mw,btc_mined,btc_price_usd,network_hashrate_eh_s,asic_revenue_usd,gpu_revenue_usd,energy_mwh,energy_cost_usd,opex_usd,capex_usd,net_cash_flow_usd,cumulative_cash_usd,gpu_it_mw_end";

/// The ledger as CSV text, one row per month.
pub fn ledger_csv(result: &RunResult) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &result.ledger {
        w.serialize(row)?;
    }
    Ok(w.into_inner()?)
}

/// The event log as CSV text: `time,event,entity,detail` with `time` as a date.
pub fn events_csv(s: &Scenario, result: &RunResult) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time", "event", "entity", "detail"])?;
    for e in &result.events {
        w.write_record([
            s.calendar.date(e.day).to_string().as_str(),
            e.event,
            &e.entity,
            &e.detail,
        ])?;
    }
    Ok(w.into_inner()?)
}

/// Extra files a caller adds to a run's folder (e.g. charts), as (name, bytes).
pub type ExtraFiles = Vec<(String, Vec<u8>)>;

/// Writes `ledger.csv`, `events.csv`, `summary.json` and any `extra` files into `dir`,
/// replacing it atomically.
pub fn write_run(
    dir: &Path,
    s: &Scenario,
    result: &RunResult,
    extra: ExtraFiles,
) -> Result<PathBuf> {
    let st = Staging::new(dir)?.for_world(crate::output::fingerprint(s));
    st.write(crate::output::names::LEDGER, ledger_csv(result)?)?;
    st.write(crate::output::names::EVENTS, events_csv(s, result)?)?;
    let json = serde_json::to_string_pretty(&result.summary).context("cannot encode summary")?;
    st.write(crate::output::names::SUMMARY, json + "\n")?;
    for (name, bytes) in extra {
        st.write(&name, bytes)?;
    }
    Ok(st.commit()?)
}

/// Draws `tornado.png` from a sensitivity report's tornado.
pub fn tornado_png(
    data: &crate::sensitivity::chart::TornadoData,
    metric: crate::sensitivity::Metric,
    world: &str,
    size: ChartSize,
) -> Result<Vec<u8>> {
    draw_png(&tornado::prepare(data, metric, world)?, size)
}

/// Draws `sobol.png` from a sensitivity report's Sobol' indices.
pub fn sobol_png(
    data: &crate::sensitivity::chart::SobolData,
    world: &str,
    samples: usize,
    size: ChartSize,
) -> Result<Vec<u8>> {
    draw_png(&sobol::prepare(data, world, samples), size)
}

/// Draws `pareto.png` from an optimize run's candidates.
pub fn pareto_png(
    data: &crate::optimize::pareto::ParetoData,
    world: &str,
    futures: u64,
    objective: &str,
    size: ChartSize,
) -> Result<Vec<u8>> {
    draw_png(&pareto::prepare(data, world, futures, objective), size)
}
