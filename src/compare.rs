//! Compare what-ifs: run several worlds (each once at its medians, or as a sweep) and
//! put their headline figures side by side.

use crate::calendar::YearMonth;
use crate::error::Error;
use crate::output::{Staging, names};
use crate::scenario::Scenario;
use crate::sweep::{self, Shard, SweepConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

type Result<T, E = Error> = std::result::Result<T, E>;

/// One world's line in `compare.csv`. A single run reports its value as P10 = P50 = P90.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    /// World name.
    pub world: String,
    /// World file.
    pub file: String,
    /// Runs behind the figures (1 for a median run).
    pub runs: u64,
    /// NPV P10, USD.
    pub npv_usd_p10: Option<f64>,
    /// NPV P50, USD.
    pub npv_usd_p50: Option<f64>,
    /// NPV P90, USD.
    pub npv_usd_p90: Option<f64>,
    /// Project (unlevered) IRR P10, per year: worlds with a `finance` section, over the
    /// runs that have exactly one IRR (empty when none has).
    pub project_irr_per_year_p10: Option<f64>,
    /// Project IRR P50, per year.
    pub project_irr_per_year_p50: Option<f64>,
    /// Project IRR P90, per year.
    pub project_irr_per_year_p90: Option<f64>,
    /// Equity (levered) IRR P10, per year.
    pub equity_irr_per_year_p10: Option<f64>,
    /// Equity IRR P50, per year.
    pub equity_irr_per_year_p50: Option<f64>,
    /// Equity IRR P90, per year.
    pub equity_irr_per_year_p90: Option<f64>,
    /// Equity (levered) NPV P10 at the world's discount rate, USD: the finance block's
    /// figure, after tax, opex by state, debt and the exit value (empty without a
    /// `finance` section). With no debt it is the project NPV. `npv_usd_*` is the
    /// ledger's NPV, which has none of these.
    pub equity_npv_usd_p10: Option<f64>,
    /// Equity NPV P50, USD.
    pub equity_npv_usd_p50: Option<f64>,
    /// Equity NPV P90, USD.
    pub equity_npv_usd_p90: Option<f64>,
    /// Median payback month.
    pub payback_month_p50: Option<YearMonth>,
    /// Share of runs whose cumulative cash went negative and pays back within the
    /// horizon.
    pub probability_payback_within_horizon: f64,
    /// Share of runs whose cumulative cash never went negative: nothing to pay back, so
    /// no payback month (the median payback is over the other runs).
    pub probability_cumulative_cash_never_negative: f64,
    /// Median first-GPU month.
    pub first_gpu_month_p50: Option<YearMonth>,
    /// Median cumulative cash at the horizon, USD.
    pub final_cumulative_cash_usd_p50: Option<f64>,
    /// Median months waited on limits.
    pub months_waited_on_limits_p50: Option<f64>,
    /// Net flexibility value over the horizon, P10: DR credits + coincident-peak charges
    /// avoided − peak charges paid − SLA credits, USD (empty for worlds without hourly
    /// pricing or flexibility terms).
    pub flexibility_value_usd_p10: Option<f64>,
    /// Net flexibility value, P50, USD.
    pub flexibility_value_usd_p50: Option<f64>,
    /// Net flexibility value, P90, USD.
    pub flexibility_value_usd_p90: Option<f64>,
    /// Flexibility value given up against the keep-mining baseline (the first world
    /// compared that never energises a GPU): its P50 minus this world's P50, USD. For
    /// sweeps this is the difference of the two medians (not a median of differences:
    /// the worlds' runs are not paired).
    pub flexibility_given_up_usd_p50: Option<f64>,
}

/// Fills `flexibility_given_up_usd_p50` against the first row without a GPU month.
fn given_up(rows: &mut [CompareRow]) {
    let base = rows
        .iter()
        .find(|r| r.first_gpu_month_p50.is_none())
        .and_then(|r| r.flexibility_value_usd_p50);
    for r in rows.iter_mut() {
        r.flexibility_given_up_usd_p50 = base.zip(r.flexibility_value_usd_p50).map(|(b, v)| b - v);
    }
}

/// One world's cumulative-cash path for the comparison chart.
#[derive(Debug, Clone, PartialEq)]
pub struct CashPath {
    /// World name.
    pub world: String,
    /// The months of the path.
    pub months: Vec<YearMonth>,
    /// P10 per month (equal to P50 for a single run).
    pub p10: Vec<f64>,
    /// P50 per month.
    pub p50: Vec<f64>,
    /// P90 per month.
    pub p90: Vec<f64>,
}

/// Runs every world: the median run when `runs` is `None`, else a sweep of `runs` runs
/// seeded with `seed` on `jobs` threads.
pub fn compare(
    worlds: &[(String, Arc<Scenario>)],
    runs: Option<u64>,
    seed: u64,
    jobs: usize,
) -> Result<(Vec<CompareRow>, Vec<CashPath>)> {
    worlds
        .iter()
        .map(|(file, s)| match runs {
            None => median_run(file, s),
            Some(n) => swept(file, s, n, seed, jobs),
        })
        .collect::<Result<Vec<_>>>()
        .map(|v| v.into_iter().unzip())
        .map(|(mut rows, paths): (Vec<CompareRow>, _)| {
            given_up(&mut rows);
            (rows, paths)
        })
}

/// One world's median run. A single run is exact: it reports its own numbers as
/// P10 = P50 = P90, not sketch buckets.
fn median_run(file: &str, s: &Scenario) -> Result<(CompareRow, CashPath)> {
    let opts = crate::RunOptions {
        record_events: false,
        audit: false,
    };
    let r = crate::run_with(s, None, opts).map_err(Error::Run)?;
    let sm = &r.summary;
    let cash: Vec<f64> = r.ledger.iter().map(|m| m.cumulative_cash_usd).collect();
    let fin = r.finance.as_ref().map(|f| &f.summary);
    let project_irr = fin.and_then(|f| f.project_irr.rate());
    let equity_irr = fin.and_then(|f| f.equity_irr.rate());
    let flexibility = sm
        .flexibility
        .as_ref()
        .map(crate::ledger::FlexibilityTotals::net_value_usd);
    let row = CompareRow {
        world: s.name.clone(),
        file: file.to_string(),
        runs: 1,
        npv_usd_p10: Some(sm.npv_usd),
        npv_usd_p50: Some(sm.npv_usd),
        npv_usd_p90: Some(sm.npv_usd),
        project_irr_per_year_p10: project_irr,
        project_irr_per_year_p50: project_irr,
        project_irr_per_year_p90: project_irr,
        equity_irr_per_year_p10: equity_irr,
        equity_irr_per_year_p50: equity_irr,
        equity_irr_per_year_p90: equity_irr,
        equity_npv_usd_p10: fin.map(|f| f.levered_npv_usd),
        equity_npv_usd_p50: fin.map(|f| f.levered_npv_usd),
        equity_npv_usd_p90: fin.map(|f| f.levered_npv_usd),
        payback_month_p50: sm.payback_month,
        probability_payback_within_horizon: f64::from(u8::from(sm.payback_month.is_some())),
        probability_cumulative_cash_never_negative: f64::from(u8::from(
            sm.payback == crate::ledger::Payback::NeverNegative,
        )),
        first_gpu_month_p50: sm.first_gpu_month,
        final_cumulative_cash_usd_p50: Some(sm.final_cumulative_cash_usd),
        months_waited_on_limits_p50: Some(sm.months_waited_on_limits),
        flexibility_value_usd_p10: flexibility,
        flexibility_value_usd_p50: flexibility,
        flexibility_value_usd_p90: flexibility,
        flexibility_given_up_usd_p50: None,
    };
    let path = CashPath {
        world: s.name.clone(),
        months: r.ledger.iter().map(|m| m.month).collect(),
        p10: cash.clone(),
        p50: cash.clone(),
        p90: cash,
    };
    Ok((row, path))
}

/// One world swept with `runs` runs.
fn swept(
    file: &str,
    s: &Arc<Scenario>,
    runs: u64,
    seed: u64,
    jobs: usize,
) -> Result<(CompareRow, CashPath)> {
    let cfg = SweepConfig {
        runs,
        seed,
        jobs,
        shard: None::<Shard>,
        handle_interrupt: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (agg, _) =
        sweep::execute(s.clone(), &cfg, stop, |_| Ok(()), || {}).map_err(Error::Sweep)?;
    let sum = agg.summary(&s.name, seed, agg.runs, false);
    let q = |p: f64| -> Vec<f64> {
        let at = |k: &sweep::Sketch| k.quantile(p).unwrap_or(f64::NAN);
        agg.cumulative_cash_usd.iter().map(at).collect()
    };
    let path = CashPath {
        world: s.name.clone(),
        months: agg.months.clone(),
        p10: q(0.1),
        p50: q(0.5),
        p90: q(0.9),
    };
    let band = |b: Option<&crate::finance::stats::Band>| {
        b.map_or((None, None, None), |b| (b.p10, b.p50, b.p90))
    };
    let fin = sum.finance.as_ref();
    let project_irr = band(fin.map(|f| &f.project_irr));
    let equity_irr = band(fin.map(|f| &f.equity_irr));
    let equity_npv = band(fin.map(|f| &f.levered_npv_usd));
    // The sweep's own sketch of each run's value, as for NPV.
    let flexibility = sum
        .flexibility_value_usd
        .as_ref()
        .map_or((None, None, None), |p| (p.p10, p.p50, p.p90));
    let row = CompareRow {
        world: s.name.clone(),
        file: file.to_string(),
        runs: agg.runs,
        npv_usd_p10: sum.npv_usd.p10,
        npv_usd_p50: sum.npv_usd.p50,
        npv_usd_p90: sum.npv_usd.p90,
        project_irr_per_year_p10: project_irr.0,
        project_irr_per_year_p50: project_irr.1,
        project_irr_per_year_p90: project_irr.2,
        equity_irr_per_year_p10: equity_irr.0,
        equity_irr_per_year_p50: equity_irr.1,
        equity_irr_per_year_p90: equity_irr.2,
        equity_npv_usd_p10: equity_npv.0,
        equity_npv_usd_p50: equity_npv.1,
        equity_npv_usd_p90: equity_npv.2,
        payback_month_p50: sum.payback_month.p50,
        probability_payback_within_horizon: sum.probability_payback_within_horizon,
        probability_cumulative_cash_never_negative: sum.probability_cumulative_cash_never_negative,
        first_gpu_month_p50: sum.first_gpu_month.p50,
        final_cumulative_cash_usd_p50: sum.final_cumulative_cash_usd.p50,
        months_waited_on_limits_p50: sum.months_waited_on_limits.p50,
        flexibility_value_usd_p10: flexibility.0,
        flexibility_value_usd_p50: flexibility.1,
        flexibility_value_usd_p90: flexibility.2,
        flexibility_given_up_usd_p50: None,
    };
    Ok((row, path))
}

/// `compare.csv` text.
pub fn compare_csv(rows: &[CompareRow]) -> Result<Vec<u8>> {
    let encode = |e: String| Error::Encode(e);
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| encode(e.to_string()))?;
    }
    w.into_inner().map_err(|e| encode(e.to_string()))
}

/// Writes a comparison's folder (`compare.csv` and the files `charts` draws, as (name,
/// bytes)), replacing `out` atomically. The folder is staged before the charts are drawn.
pub fn write_dir(
    out: &Path,
    rows: &[CompareRow],
    charts: impl FnOnce() -> Result<Vec<(String, Vec<u8>)>>,
) -> Result<PathBuf> {
    let st = Staging::new(out)?;
    st.write(names::COMPARE_CSV, compare_csv(rows)?)?;
    for (name, bytes) in charts()? {
        st.write(&name, bytes)?;
    }
    Ok(st.commit()?)
}
