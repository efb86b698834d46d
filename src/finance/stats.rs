//! Finance figures over the runs of a sweep: percentiles of project and equity IRR and
//! of equity NPV, the probability that equity IRR reaches the world's hurdle, and the
//! probability of any covenant breach. Mergeable and flat in memory, like the rest of
//! a sweep's aggregate.

use super::FinanceSummary;
use crate::sketch::Sketch;
use serde::{Deserialize, Serialize};

/// IRRs go into the sketch in percent: the sketch treats magnitudes under 1e-3 as zero,
/// which is 0.001 %/yr in percent but would be 0.1 %/yr as a fraction.
const PERCENT: f64 = 100.0;

/// Streaming finance aggregate of many runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FinanceStats {
    /// Project IRR, percent per year, of runs that have exactly one.
    pub project_irr_percent: Sketch,
    /// Equity IRR, percent per year, of runs that have exactly one.
    pub equity_irr_percent: Sketch,
    /// Equity NPV, USD.
    pub levered_npv_usd: Sketch,
    /// Runs whose project IRR is none or ambiguous.
    pub project_irr_undefined: u64,
    /// Runs whose equity IRR is none or ambiguous.
    pub equity_irr_undefined: u64,
    /// Runs whose equity IRR is at least the hurdle.
    pub hurdle_met: u64,
    /// Runs with at least one covenant breach.
    pub breached: u64,
    /// Runs added.
    pub runs: u64,
    /// The world's equity hurdle, per year.
    #[serde(default)]
    pub hurdle_per_year: Option<f64>,
}

/// P10 / P50 / P90 of one figure; `None` when no run had it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// 10th percentile.
    pub p10: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
}

impl Band {
    fn of(s: &Sketch, scale: f64) -> Self {
        let q = |p| s.quantile(p).map(|v| v / scale);
        Self {
            p10: q(0.1),
            p50: q(0.5),
            p90: q(0.9),
        }
    }
}

/// The sweep's finance figures for `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinanceSweepSummary {
    /// Project IRR per year (runs with exactly one IRR).
    pub project_irr: Band,
    /// Equity IRR per year (runs with exactly one IRR).
    pub equity_irr: Band,
    /// Equity NPV, USD.
    pub levered_npv_usd: Band,
    /// Runs with no single project IRR (none, or several).
    pub runs_without_project_irr: u64,
    /// Runs with no single equity IRR.
    pub runs_without_equity_irr: u64,
    /// The world's equity hurdle, per year.
    pub equity_hurdle_per_year: Option<f64>,
    /// Share of runs whose equity IRR reaches the hurdle (a run with no single IRR
    /// does not); `None` without a hurdle.
    pub p_equity_irr_at_least_hurdle: Option<f64>,
    /// Share of runs with any covenant breach.
    pub p_covenant_breach: f64,
}

impl FinanceStats {
    /// An empty aggregate for a world with this equity hurdle.
    pub fn new(hurdle_per_year: Option<f64>) -> Self {
        Self {
            hurdle_per_year,
            ..Self::default()
        }
    }

    /// Adds one run's summary, counting it against the hurdle when there is one.
    pub fn add(&mut self, s: &FinanceSummary) {
        let hurdle_per_year = self.hurdle_per_year;
        match s.project_irr.rate() {
            Some(r) => self.project_irr_percent.add(r * PERCENT),
            None => self.project_irr_undefined += 1,
        }
        match s.equity_irr.rate() {
            Some(r) => self.equity_irr_percent.add(r * PERCENT),
            None => self.equity_irr_undefined += 1,
        }
        if let (Some(h), Some(r)) = (hurdle_per_year, s.equity_irr.rate())
            && r >= h
        {
            self.hurdle_met += 1;
        }
        self.levered_npv_usd.add(s.levered_npv_usd);
        self.breached += u64::from(!s.covenant_breaches.is_empty());
        self.runs += 1;
    }

    /// Adds another aggregate of the same world; `None` if a count would overflow
    /// (only a damaged aggregate read back from a file can cause it).
    #[must_use]
    pub fn merge(&mut self, o: &FinanceStats) -> Option<()> {
        self.project_irr_percent.merge(&o.project_irr_percent)?;
        self.equity_irr_percent.merge(&o.equity_irr_percent)?;
        self.levered_npv_usd.merge(&o.levered_npv_usd)?;
        for (a, b) in [
            (&mut self.project_irr_undefined, o.project_irr_undefined),
            (&mut self.equity_irr_undefined, o.equity_irr_undefined),
            (&mut self.hurdle_met, o.hurdle_met),
            (&mut self.breached, o.breached),
            (&mut self.runs, o.runs),
        ] {
            *a = a.checked_add(b)?;
        }
        Some(())
    }

    /// The figures for `summary.json`.
    pub fn summary(&self) -> FinanceSweepSummary {
        let hurdle_per_year = self.hurdle_per_year;
        let share = |k: u64| {
            if self.runs == 0 {
                0.0
            } else {
                k as f64 / self.runs as f64
            }
        };
        FinanceSweepSummary {
            project_irr: Band::of(&self.project_irr_percent, PERCENT),
            equity_irr: Band::of(&self.equity_irr_percent, PERCENT),
            levered_npv_usd: Band::of(&self.levered_npv_usd, 1.0),
            runs_without_project_irr: self.project_irr_undefined,
            runs_without_equity_irr: self.equity_irr_undefined,
            equity_hurdle_per_year: hurdle_per_year,
            p_equity_irr_at_least_hurdle: hurdle_per_year.map(|_| share(self.hurdle_met)),
            p_covenant_breach: share(self.breached),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::debt::CovenantBreach;
    use crate::finance::returns::Irr;

    fn summary(irr: Irr, breaches: usize) -> FinanceSummary {
        FinanceSummary {
            unlevered_npv_usd: 0.0,
            levered_npv_usd: 1e6,
            project_irr: irr.clone(),
            equity_irr: irr,
            moic: None,
            peak_equity_need_usd: 0.0,
            min_dscr: None,
            covenant_breaches: (0..breaches)
                .map(|m| CovenantBreach {
                    month: m,
                    tranche: "t".into(),
                    dscr: 1.0,
                    min_dscr: 1.3,
                })
                .collect(),
            equity_payback: crate::finance::returns::Payback::NotWithinHorizon,
            terminal_value_usd: 0.0,
            fleet_resale_at_horizon_usd: 0.0,
        }
    }

    #[test]
    fn probabilities_count_runs_and_merge_exactly() {
        let mut a = FinanceStats::new(Some(0.15));
        let mut b = FinanceStats::new(Some(0.15));
        for (i, irr) in [0.05, 0.10, 0.20, 0.30].into_iter().enumerate() {
            let target = if i < 2 { &mut a } else { &mut b };
            target.add(&summary(Irr::Rate(irr), i % 2));
        }
        b.add(&summary(Irr::None { reason: "x".into() }, 0));
        a.merge(&b).unwrap();
        let s = a.summary();
        assert_eq!(s.p_equity_irr_at_least_hurdle, Some(2.0 / 5.0));
        assert_eq!(s.p_covenant_breach, 2.0 / 5.0);
        assert_eq!(s.runs_without_equity_irr, 1);
        let p50 = s.equity_irr.p50.unwrap();
        assert!((p50 - 0.10).abs() < 0.10 * 0.006, "{p50}");
        assert_eq!(FinanceStats::default().summary().p_covenant_breach, 0.0);
    }
}
