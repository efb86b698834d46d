//! Compare what-ifs: run several worlds (each once at its medians, or as a sweep) and
//! put their headline figures side by side.

use crate::scenario::Scenario;
use crate::sweep::{self, Shard, SweepConfig};
use anyhow::Result;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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
    /// Median payback month.
    pub payback_month_p50: Option<String>,
    /// Share of runs that pay back within the horizon.
    pub probability_payback_within_horizon: f64,
    /// Median first-GPU month.
    pub first_gpu_month_p50: Option<String>,
    /// Median cumulative cash at the horizon, USD.
    pub final_cumulative_cash_usd_p50: Option<f64>,
    /// Median months waited on limits.
    pub months_waited_on_limits_p50: Option<f64>,
}

/// One world's cumulative-cash path for the comparison chart.
#[derive(Debug, Clone, PartialEq)]
pub struct CashPath {
    /// World name.
    pub world: String,
    /// Month labels.
    pub months: Vec<String>,
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
    let mut rows = Vec::new();
    let mut paths = Vec::new();
    for (file, s) in worlds {
        let agg = match runs {
            None => {
                let r = crate::run_with(
                    s,
                    None,
                    crate::RunOptions {
                        record_events: false,
                        audit: false,
                    },
                )?;
                // A single run is exact: report its own numbers, not sketch buckets.
                let cash: Vec<f64> = r.ledger.iter().map(|m| m.cumulative_cash_usd).collect();
                rows.push(CompareRow {
                    world: s.name.clone(),
                    file: file.clone(),
                    runs: 1,
                    npv_usd_p10: Some(r.summary.npv_usd),
                    npv_usd_p50: Some(r.summary.npv_usd),
                    npv_usd_p90: Some(r.summary.npv_usd),
                    payback_month_p50: r.summary.payback_month.map(|m| m.to_string()),
                    probability_payback_within_horizon: f64::from(u8::from(
                        r.summary.payback_month.is_some(),
                    )),
                    first_gpu_month_p50: r.summary.first_gpu_month.map(|m| m.to_string()),
                    final_cumulative_cash_usd_p50: Some(r.summary.final_cumulative_cash_usd),
                    months_waited_on_limits_p50: Some(r.summary.months_waited_on_limits),
                });
                paths.push(CashPath {
                    world: s.name.clone(),
                    months: r.ledger.iter().map(|m| m.month.to_string()).collect(),
                    p10: cash.clone(),
                    p50: cash.clone(),
                    p90: cash,
                });
                continue;
            }
            Some(n) => {
                let cfg = SweepConfig {
                    runs: n,
                    seed,
                    jobs,
                    shard: None::<Shard>,
                    handle_interrupt: false,
                };
                let stop = Arc::new(AtomicBool::new(false));
                sweep::execute(s.clone(), &cfg, stop, |_| Ok(()), || {})?.0
            }
        };
        let sum = agg.summary(&s.name, seed, agg.runs, false);
        let q = |sk: &sweep::Sketch, p: f64| sk.quantile(p).unwrap_or(f64::NAN);
        paths.push(CashPath {
            world: s.name.clone(),
            months: agg.months.clone(),
            p10: agg.cumulative_cash_usd.iter().map(|k| q(k, 0.1)).collect(),
            p50: agg.cumulative_cash_usd.iter().map(|k| q(k, 0.5)).collect(),
            p90: agg.cumulative_cash_usd.iter().map(|k| q(k, 0.9)).collect(),
        });
        rows.push(CompareRow {
            world: s.name.clone(),
            file: file.clone(),
            runs: agg.runs,
            npv_usd_p10: sum.npv_usd.p10,
            npv_usd_p50: sum.npv_usd.p50,
            npv_usd_p90: sum.npv_usd.p90,
            payback_month_p50: sum.payback_month.p50,
            probability_payback_within_horizon: sum.probability_payback_within_horizon,
            first_gpu_month_p50: sum.first_gpu_month.p50,
            final_cumulative_cash_usd_p50: sum.final_cumulative_cash_usd.p50,
            months_waited_on_limits_p50: sum.months_waited_on_limits.p50,
        });
    }
    Ok((rows, paths))
}

/// `compare.csv` text.
pub fn compare_csv(rows: &[CompareRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    Ok(w.into_inner()?)
}
