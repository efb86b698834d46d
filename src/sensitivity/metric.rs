//! The figures a planner decides on, read from an [`Outcome`].

use super::eval::Outcome;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A decision metric. `--metric` picks one by [`Metric::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Net present value at the world's discount rate, USD.
    Npv,
    /// Month the first GPU energised, in months from the start month.
    FirstGpuMonth,
    /// Peak funding need: the most negative cumulative cash, USD (as a positive number).
    PeakFunding,
    /// Payback month, in months from the start month.
    PaybackMonth,
}

impl Metric {
    /// Every metric, in the order [`MetricValues`] stores them.
    pub const ALL: [Metric; 4] = [
        Metric::Npv,
        Metric::FirstGpuMonth,
        Metric::PeakFunding,
        Metric::PaybackMonth,
    ];

    /// Name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Npv => "npv",
            Metric::FirstGpuMonth => "first-gpu-month",
            Metric::PeakFunding => "peak-funding",
            Metric::PaybackMonth => "payback-month",
        }
    }

    /// Title with unit, for charts and CSV headers.
    pub fn title(self) -> &'static str {
        match self {
            Metric::Npv => "NPV (USD)",
            Metric::FirstGpuMonth => "first GPU month (months from start)",
            Metric::PeakFunding => "peak funding need (USD)",
            Metric::PaybackMonth => "payback month (months from start)",
        }
    }

    /// Unit of [`Metric::value`].
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Npv | Metric::PeakFunding => "USD",
            Metric::FirstGpuMonth | Metric::PaybackMonth => "months",
        }
    }

    /// True when a larger value is better for the planner.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Npv)
    }

    /// Parses a [`Metric::name`], listing the known names when it is not one.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                format!("unknown metric `{s}`: expected one of {}", names.join(", "))
            })
    }

    /// The metric's value in a run. A month that never comes within the horizon counts
    /// as the horizon's length (the first month past it): a lower bound on the true
    /// month, so swings that involve "never" are lower bounds too.
    pub fn value(self, o: &Outcome) -> f64 {
        let month = |m: Option<u32>| f64::from(m.unwrap_or(o.horizon_months));
        match self {
            Metric::Npv => o.npv_usd,
            Metric::FirstGpuMonth => month(o.first_gpu_month),
            Metric::PeakFunding => o.peak_funding_usd,
            Metric::PaybackMonth => month(o.payback_month),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every metric of one run, in [`Metric::ALL`] order; stored bit-exactly by serde.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValues(pub Vec<f64>);

impl MetricValues {
    /// All metrics of an outcome.
    pub fn of(o: &Outcome) -> Self {
        Self(Metric::ALL.iter().map(|m| m.value(o)).collect())
    }

    /// One metric.
    pub fn get(&self, m: Metric) -> f64 {
        let i = Metric::ALL.iter().position(|&x| x == m).unwrap_or(0);
        self.0.get(i).copied().unwrap_or(f64::NAN)
    }
}

impl Serialize for MetricValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| v.to_bits()))
    }
}

impl<'de> Deserialize<'de> for MetricValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<u64>::deserialize(d).map(|v| Self(v.into_iter().map(f64::from_bits).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Ok(m));
        }
        let e = Metric::parse("irr").unwrap_err();
        assert!(
            e.contains("npv, first-gpu-month, peak-funding, payback-month"),
            "{e}"
        );
    }

    #[test]
    fn never_counts_as_the_horizon() {
        let o = Outcome {
            npv_usd: -1.0,
            first_gpu_month: None,
            payback_month: Some(7),
            peak_funding_usd: 5.0,
            horizon_months: 120,
            unfinished: vec![],
            binding_limits: Default::default(),
        };
        assert_eq!(Metric::FirstGpuMonth.value(&o), 120.0);
        assert_eq!(Metric::PaybackMonth.value(&o), 7.0);
        let v = MetricValues::of(&o);
        let back: MetricValues = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back, v);
        assert_eq!(v.get(Metric::PeakFunding), 5.0);
    }
}
