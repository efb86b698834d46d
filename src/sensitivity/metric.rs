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
    /// Equity IRR, percent per year (finance worlds; undefined when the equity flows
    /// have no single IRR).
    EquityIrr,
    /// Lowest debt service coverage ratio while debt amortises (finance worlds with
    /// amortising debt).
    MinDscr,
    /// 1 when the run breaches a debt covenant in some month, else 0 (finance
    /// worlds): its mean over futures is P(covenant breach).
    CovenantBreach,
}

impl Metric {
    /// Every metric, in the order [`MetricValues`] stores them.
    pub const ALL: [Metric; 7] = [
        Metric::Npv,
        Metric::FirstGpuMonth,
        Metric::PeakFunding,
        Metric::PaybackMonth,
        Metric::EquityIrr,
        Metric::MinDscr,
        Metric::CovenantBreach,
    ];

    /// Name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Npv => "npv",
            Metric::FirstGpuMonth => "first-gpu-month",
            Metric::PeakFunding => "peak-funding",
            Metric::PaybackMonth => "payback-month",
            Metric::EquityIrr => "equity-irr",
            Metric::MinDscr => "min-dscr",
            Metric::CovenantBreach => "covenant-breach",
        }
    }

    /// Title with unit, for charts and CSV headers.
    pub fn title(self) -> &'static str {
        match self {
            Metric::Npv => "NPV (USD)",
            Metric::FirstGpuMonth => "first GPU month (months from start)",
            Metric::PeakFunding => "peak funding need (USD)",
            Metric::PaybackMonth => "payback month (months from start)",
            Metric::EquityIrr => "equity IRR (% per year)",
            Metric::MinDscr => "minimum DSCR (x)",
            Metric::CovenantBreach => "covenant breach (1 = some month breaches)",
        }
    }

    /// Unit of [`Metric::value`].
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Npv | Metric::PeakFunding => "USD",
            Metric::FirstGpuMonth | Metric::PaybackMonth => "months",
            Metric::EquityIrr => "% per year",
            Metric::MinDscr => "x",
            Metric::CovenantBreach => "breach",
        }
    }

    /// True when a larger value is better for the planner.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Npv | Metric::EquityIrr | Metric::MinDscr)
    }

    /// True for the metrics only a world with a `finance` section has.
    pub fn needs_finance(self) -> bool {
        matches!(
            self,
            Metric::EquityIrr | Metric::MinDscr | Metric::CovenantBreach
        )
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
    /// month, so swings that involve "never" are lower bounds too. A figure the run
    /// does not have is NaN: a finance metric of a world without a `finance` section,
    /// an equity IRR that is none or ambiguous, a minimum DSCR with no amortising debt,
    /// a payback month of a run whose cumulative cash never went negative.
    /// Statistics leave NaN out ([`crate::optimize::Stats`]); nothing ranks it.
    pub fn value(self, o: &Outcome) -> f64 {
        let month = |m: Option<u32>| f64::from(m.unwrap_or(o.horizon_months));
        let f = o.finance.as_ref();
        match self {
            Metric::Npv => o.npv_usd,
            Metric::FirstGpuMonth => month(o.first_gpu_month),
            Metric::PeakFunding => o.peak_funding_usd,
            // Nothing to pay back is no month at all, not month 0 nor "never".
            Metric::PaybackMonth if !o.went_negative() => f64::NAN,
            Metric::PaybackMonth => month(o.payback_month),
            Metric::EquityIrr => f
                .and_then(|f| f.equity_irr_per_year)
                .map_or(f64::NAN, |r| r * 100.0),
            Metric::MinDscr => f.and_then(|f| f.min_dscr).unwrap_or(f64::NAN),
            Metric::CovenantBreach => f.map_or(f64::NAN, |f| {
                if f.covenant_breach_months > 0 {
                    1.0
                } else {
                    0.0
                }
            }),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every metric of one run, in [`Metric::ALL`] order; stored bit-exactly by serde.
#[derive(Debug, Clone)]
pub struct MetricValues(pub Vec<f64>);

/// Bit for bit, so an undefined (NaN) figure equals itself: two candidates whose
/// figures are the same, undefined ones included, compare equal.
impl PartialEq for MetricValues {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

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
            e.contains(
                "npv, first-gpu-month, peak-funding, payback-month, equity-irr, min-dscr, \
                 covenant-breach"
            ),
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
            finance: None,
        };
        assert_eq!(Metric::FirstGpuMonth.value(&o), 120.0);
        assert_eq!(Metric::PaybackMonth.value(&o), 7.0);
        // Went negative, never back: the horizon. Never negative: no month at all.
        let late = Outcome {
            payback_month: None,
            ..o.clone()
        };
        assert_eq!(Metric::PaybackMonth.value(&late), 120.0);
        let never_negative = Outcome {
            payback_month: None,
            peak_funding_usd: 0.0,
            ..o.clone()
        };
        assert!(Metric::PaybackMonth.value(&never_negative).is_nan());
        let v = MetricValues::of(&o);
        let back: MetricValues = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back, v);
        assert_eq!(v.get(Metric::PeakFunding), 5.0);
        // Without a finance section the finance metrics are undefined, not zero.
        assert!(
            Metric::ALL
                .iter()
                .all(|m| m.needs_finance() == v.get(*m).is_nan())
        );
    }

    #[test]
    fn finance_metrics_read_the_finance_figures() {
        let mut o = Outcome {
            npv_usd: 0.0,
            first_gpu_month: None,
            payback_month: None,
            peak_funding_usd: 0.0,
            horizon_months: 12,
            unfinished: vec![],
            binding_limits: Default::default(),
            finance: Some(crate::sensitivity::eval::FinanceOutcome {
                equity_irr_per_year: Some(0.125),
                min_dscr: Some(1.05),
                covenant_breach_months: 3,
            }),
        };
        assert_eq!(Metric::EquityIrr.value(&o), 12.5);
        assert_eq!(Metric::MinDscr.value(&o), 1.05);
        assert_eq!(Metric::CovenantBreach.value(&o), 1.0);
        o.finance = Some(crate::sensitivity::eval::FinanceOutcome {
            equity_irr_per_year: None,
            min_dscr: None,
            covenant_breach_months: 0,
        });
        assert!(Metric::EquityIrr.value(&o).is_nan() && Metric::MinDscr.value(&o).is_nan());
        assert_eq!(Metric::CovenantBreach.value(&o), 0.0);
    }
}
