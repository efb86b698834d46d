//! Run outputs: the ledger, the event log, the summary and the charts, written
//! atomically.

pub mod explain;
pub mod palette;
pub mod plots;
pub mod sweep_plots;
pub mod text;

use crate::engine::RunResult;
use crate::output::Staging;
use crate::scenario::Scenario;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

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
    let st = Staging::new(dir)?;
    st.write("ledger.csv", ledger_csv(result)?)?;
    st.write("events.csv", events_csv(s, result)?)?;
    let json = serde_json::to_string_pretty(&result.summary).context("cannot encode summary")?;
    st.write("summary.json", json + "\n")?;
    if let Some(r) = &result.reliability {
        st.write("reliability.csv", r.csv())?;
    }
    for (name, bytes) in extra {
        st.write(&name, bytes)?;
    }
    st.commit()
}
