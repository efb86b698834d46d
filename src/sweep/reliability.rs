//! Sweep figures of failures (issue 14): per rack group the distribution of
//! availability, the chance of paying any SLA credit, the expected credits and the
//! distribution of the longest outage. Present only for worlds with a `reliability`
//! section, so other sweeps write what they wrote before.

use super::Percentiles;
use crate::engine::ReliabilityReport;
use crate::scenario::Scenario;
use crate::sketch::Sketch;
use serde::{Deserialize, Serialize};

/// Streaming aggregate of the runs' reliability reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityAggregate {
    /// Rack group ids.
    pub groups: Vec<String>,
    /// Hours of the horizon.
    pub horizon_hours: f64,
    /// Per rack group, hours of full-load-equivalent downtime over the horizon: a
    /// sketch of unavailability, whose relative accuracy suits small values where one
    /// of availability near 1 would not.
    pub downtime_hours: Vec<Sketch>,
    /// Longest time a rack group stayed dark, days.
    pub longest_dark_days: Sketch,
    /// Runs that paid any SLA credit.
    pub runs_with_credit: u64,
    /// Σ SLA credits over runs, USD.
    pub credits_usd: f64,
    /// Runs aggregated.
    pub runs: u64,
}

/// Availability of one rack group over the horizon, P10/P50/P90 across runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupAvailability {
    /// Rack group id.
    pub group: String,
    /// Availability percentiles (P10 is the worst decile).
    pub availability: Percentiles,
}

/// The reliability part of a sweep's `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilitySummary {
    /// Per rack group.
    pub availability: Vec<GroupAvailability>,
    /// Share of runs paying any SLA credit.
    pub probability_any_sla_credit: f64,
    /// Mean SLA credits per run over the horizon, USD.
    pub expected_sla_credits_usd: f64,
    /// Longest rack-group outage, days.
    pub longest_outage_days: Percentiles,
}

impl ReliabilityAggregate {
    /// An empty aggregate, or `None` for a world without reliability.
    pub fn new(s: &Scenario) -> Option<Self> {
        if s.reliability == Default::default() {
            return None;
        }
        Some(Self {
            groups: s.racks.iter().map(|g| g.id.clone()).collect(),
            horizon_hours: f64::from(s.calendar.end()) * 24.0,
            downtime_hours: vec![Sketch::new(); s.racks.len()],
            longest_dark_days: Sketch::new(),
            runs_with_credit: 0,
            credits_usd: 0.0,
            runs: 0,
        })
    }

    /// Adds one run.
    pub fn add(&mut self, r: &ReliabilityReport) {
        self.add_order_free(r);
        self.add_credits(Self::credits_usd_of(r));
    }

    /// A run's SLA credits over the horizon, USD.
    pub(crate) fn credits_usd_of(r: &ReliabilityReport) -> f64 {
        r.months.iter().map(|m| m.sla_credits_usd).sum()
    }

    /// Adds a run's credits to their sum: in run order, as floating-point addition is
    /// not associative.
    pub(crate) fn add_credits(&mut self, credits_usd: f64) {
        self.credits_usd += credits_usd;
    }

    /// Adds one run's sketches and counts (everything but the credits' sum), which
    /// give the same aggregate in any order of runs.
    pub(crate) fn add_order_free(&mut self, r: &ReliabilityReport) {
        for (g, sketch) in self.downtime_hours.iter_mut().enumerate() {
            let hours: f64 = r
                .months
                .iter()
                .map(|m| (1.0 - m.availability[g]) * f64::from(m.month.days()) * 24.0)
                .sum();
            sketch.add(hours);
        }
        self.longest_dark_days.add(f64::from(r.longest_dark_days));
        if Self::credits_usd_of(r) > 0.0 {
            self.runs_with_credit += 1;
        }
        self.runs += 1;
    }

    /// Adds another aggregate of the same world.
    pub fn merge(&mut self, o: &Self) -> Result<(), String> {
        if o.groups != self.groups {
            return Err("cannot merge sweeps over different rack groups".into());
        }
        let overflow = || "run counts overflow".to_string();
        for (a, b) in self.downtime_hours.iter_mut().zip(&o.downtime_hours) {
            a.merge(b).ok_or_else(overflow)?;
        }
        self.longest_dark_days
            .merge(&o.longest_dark_days)
            .ok_or_else(overflow)?;
        self.runs_with_credit = self
            .runs_with_credit
            .checked_add(o.runs_with_credit)
            .ok_or_else(overflow)?;
        self.credits_usd += o.credits_usd;
        self.runs = self.runs.checked_add(o.runs).ok_or_else(overflow)?;
        Ok(())
    }

    /// The summary figures.
    pub fn summary(&self) -> ReliabilitySummary {
        let avail = |h: Option<f64>| h.map(|h| 1.0 - h / self.horizon_hours);
        let share = |k: f64| {
            if self.runs == 0 {
                0.0
            } else {
                k / self.runs as f64
            }
        };
        ReliabilitySummary {
            availability: self
                .groups
                .iter()
                .zip(&self.downtime_hours)
                .map(|(g, s)| GroupAvailability {
                    group: g.clone(),
                    // The worst decile of availability is the top decile of downtime.
                    availability: Percentiles {
                        p10: avail(s.quantile(0.9)),
                        p50: avail(s.quantile(0.5)),
                        p90: avail(s.quantile(0.1)),
                    },
                })
                .collect(),
            probability_any_sla_credit: share(self.runs_with_credit as f64),
            expected_sla_credits_usd: share(self.credits_usd),
            longest_outage_days: Percentiles {
                p10: self.longest_dark_days.quantile(0.1),
                p50: self.longest_dark_days.quantile(0.5),
                p90: self.longest_dark_days.quantile(0.9),
            },
        }
    }
}
