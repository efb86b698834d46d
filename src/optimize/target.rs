//! Objectives and constraints: a statistic of a metric over the sampled futures, such
//! as `p50:npv` or `p90:first-gpu-month<=24`.

use crate::sensitivity::{Metric, MetricValues};
use serde::{Deserialize, Serialize};

/// A statistic over the futures of one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// 10th percentile.
    P10,
    /// Median.
    P50,
    /// 90th percentile.
    P90,
    /// Mean.
    Mean,
    /// Conditional value at risk at 10 %: the mean of the worst 10 % of futures (the
    /// lowest NPVs; the latest months and largest funding needs).
    Cvar10,
}

impl Stat {
    /// Every statistic, in the order [`Stats`] stores them.
    pub const ALL: [Stat; 5] = [Stat::P10, Stat::P50, Stat::P90, Stat::Mean, Stat::Cvar10];

    /// Name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Stat::P10 => "p10",
            Stat::P50 => "p50",
            Stat::P90 => "p90",
            Stat::Mean => "mean",
            Stat::Cvar10 => "cvar10",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| {
                format!("unknown statistic `{s}`: expected p10, p50, p90, mean or cvar10")
            })
    }
}

/// Every statistic of every metric of one candidate, stored bit-exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats(pub Vec<MetricValues>);

impl Stats {
    /// The statistics of some runs (at least one). Percentiles are nearest-rank on the
    /// sorted values, so they are values some future actually produced. A run whose
    /// metric is undefined (NaN: an equity IRR that is none or ambiguous, say) is left
    /// out of that metric's statistics; when no run has it, every statistic is NaN.
    pub fn of(runs: &[MetricValues]) -> Self {
        let column = |m: Metric| {
            let mut v: Vec<f64> = runs
                .iter()
                .map(|r| r.get(m))
                .filter(|x| !x.is_nan())
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let columns: Vec<Vec<f64>> = Metric::ALL.iter().map(|&m| column(m)).collect();
        Self(
            Stat::ALL
                .iter()
                .map(|&st| {
                    MetricValues(
                        Metric::ALL
                            .iter()
                            .zip(&columns)
                            .map(|(&m, v)| statistic(st, m, v))
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    /// One statistic of one metric.
    pub fn get(&self, st: Stat, m: Metric) -> f64 {
        let i = Stat::ALL.iter().position(|&x| x == st).unwrap_or(0);
        self.0.get(i).map_or(f64::NAN, |v| v.get(m))
    }
}

/// One statistic of the sorted, defined values `v` of metric `m`; NaN when empty.
fn statistic(st: Stat, m: Metric, v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let rank = |p: f64| v[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    let worst_k = n.div_ceil(10);
    match st {
        Stat::P10 => rank(0.1),
        Stat::P50 => rank(0.5),
        Stat::P90 => rank(0.9),
        Stat::Mean => v.iter().sum::<f64>() / n as f64,
        Stat::Cvar10 => {
            let worst = if m.higher_is_better() {
                &v[..worst_k]
            } else {
                &v[n - worst_k..]
            };
            worst.iter().sum::<f64>() / worst_k as f64
        }
    }
}

/// A statistic of a metric: `p50:npv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The statistic.
    pub stat: Stat,
    /// The metric.
    pub metric: Metric,
}

impl Target {
    /// Parses `STAT:METRIC`, naming what is unknown.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (st, m) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not STAT:METRIC, e.g. p50:npv or cvar10:npv"))?;
        Ok(Self {
            stat: Stat::parse(st.trim())?,
            metric: Metric::parse(m.trim())?,
        })
    }

    /// `p50:npv`.
    pub fn name(self) -> String {
        format!("{}:{}", self.stat.name(), self.metric.name())
    }

    /// Its value in some statistics (NaN when no future had the metric).
    pub fn value(self, s: &Stats) -> f64 {
        s.get(self.stat, self.metric)
    }

    /// Its value for ranking, larger is better: the value, negated for a metric where
    /// lower is better; an undefined value ranks below every defined one.
    pub fn score(self, s: &Stats) -> f64 {
        let v = self.value(s);
        if v.is_nan() {
            f64::NEG_INFINITY
        } else if self.metric.higher_is_better() {
            v
        } else {
            -v
        }
    }
}

/// `TARGET<=BOUND` or `TARGET>=BOUND`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constraint {
    /// What is bounded.
    pub target: Target,
    /// True for `<=`, false for `>=`.
    pub at_most: bool,
    /// The bound, in the metric's unit.
    pub bound: f64,
}

impl Constraint {
    /// Parses e.g. `p90:first-gpu-month<=24` or `p50:peak-funding<=3e8`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (t, b, at_most) = if let Some((t, b)) = s.split_once("<=") {
            (t, b, true)
        } else if let Some((t, b)) = s.split_once(">=") {
            (t, b, false)
        } else {
            return Err(format!(
                "`{s}` is not a constraint: expected e.g. p90:first-gpu-month<=24"
            ));
        };
        let bound: f64 = b
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("bad bound `{}` in `{s}`", b.trim()))?;
        Ok(Self {
            target: Target::parse(t.trim())?,
            at_most,
            bound,
        })
    }

    /// How far a candidate is from meeting it, relative to the bound (0 when met;
    /// infinite when no future had the metric, so an undefined figure never passes).
    pub fn violation(&self, s: &Stats) -> f64 {
        let v = self.target.value(s);
        if v.is_nan() {
            return f64::INFINITY;
        }
        let over = if self.at_most {
            v - self.bound
        } else {
            self.bound - v
        };
        over.max(0.0) / self.bound.abs().max(1.0)
    }

    /// `TARGET<=BOUND`, as written.
    pub fn name(&self) -> String {
        format!(
            "{}{}{}",
            self.target.name(),
            if self.at_most { "<=" } else { ">=" },
            self.bound
        )
    }

    /// `p90:first-gpu-month<=24 (is 31)`.
    pub fn describe(&self, s: &Stats) -> String {
        let v = self.target.value(s);
        let is = if v.is_nan() {
            "undefined in every future".to_string()
        } else {
            v.to_string()
        };
        format!("{} (is {is})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_by_nearest_rank_and_cvar_of_the_worst_tenth() {
        let runs: Vec<MetricValues> = (1..=20)
            .map(|k| MetricValues(vec![f64::from(k), 0.0, f64::from(k), 0.0, 0.0, 0.0, 0.0]))
            .collect();
        let s = Stats::of(&runs);
        assert_eq!(s.get(Stat::P50, Metric::Npv), 10.0);
        assert_eq!(s.get(Stat::P90, Metric::Npv), 18.0);
        assert_eq!(s.get(Stat::Mean, Metric::Npv), 10.5);
        // Worst 10 % of NPV: the two lowest; of peak funding: the two highest.
        assert_eq!(s.get(Stat::Cvar10, Metric::Npv), 1.5);
        assert_eq!(s.get(Stat::Cvar10, Metric::PeakFunding), 19.5);
    }

    #[test]
    fn undefined_values_are_left_out_and_never_pass_a_constraint() {
        // Metric::ALL order: npv, first GPU, funding, payback, equity IRR, DSCR, breach.
        let run =
            |irr: f64, breach: f64| MetricValues(vec![0.0, 0.0, 0.0, 0.0, irr, f64::NAN, breach]);
        let runs = [
            run(10.0, 1.0),
            run(f64::NAN, 0.0),
            run(20.0, 0.0),
            run(f64::NAN, 0.0),
        ];
        let s = Stats::of(&runs);
        // P50 of the two defined IRRs by nearest rank; the mean of the breach flags is
        // P(covenant breach).
        assert_eq!(s.get(Stat::P50, Metric::EquityIrr), 10.0);
        assert_eq!(s.get(Stat::Mean, Metric::EquityIrr), 15.0);
        assert_eq!(s.get(Stat::Mean, Metric::CovenantBreach), 0.25);
        assert!(s.get(Stat::P50, Metric::MinDscr).is_nan());
        let dscr = Constraint::parse("p10:min-dscr>=1.2").unwrap();
        assert_eq!(dscr.violation(&s), f64::INFINITY);
        let breach = Constraint::parse("mean:covenant-breach<=0.2").unwrap();
        assert!(breach.violation(&s) > 0.0);
        let irr = Target::parse("p50:equity-irr").unwrap();
        assert_eq!(irr.score(&s), 10.0);
        let none = Target::parse("p50:min-dscr").unwrap();
        assert_eq!(none.score(&s), f64::NEG_INFINITY);
    }

    #[test]
    fn targets_and_constraints_parse_and_name_what_is_unknown() {
        let c = Constraint::parse("p90:first-gpu-month<=24").unwrap();
        assert!(c.at_most && c.bound == 24.0 && c.target.metric == Metric::FirstGpuMonth);
        assert!(
            Target::parse("p50:irr")
                .unwrap_err()
                .contains("unknown metric `irr`")
        );
        assert!(
            Target::parse("p45:npv")
                .unwrap_err()
                .contains("unknown statistic")
        );
        assert!(Constraint::parse("p50:npv=3").is_err());
        let s = Stats(vec![
            MetricValues(vec![0.0, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
            5
        ]);
        assert_eq!(c.violation(&s), 0.25);
        assert_eq!(c.describe(&s), "p90:first-gpu-month<=24 (is 30)");
    }
}
