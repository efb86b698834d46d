//! Uncertain quantities: a lead time or duration may be a plain number or a distribution.
//!
//! A plain `retrofit run` uses each distribution's **median**, so the deterministic run is
//! the "middle" case; a run given `--seed`, and every sweep run, **samples** it.

use rand::RngExt;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// z-score of the 90th percentile of a standard normal distribution.
pub const Z_P90: f64 = 1.281_551_565_544_600_4;

/// A quantity given in a world file: a plain number, or one of the named distributions.
///
/// ```ron
/// lead_time_weeks: 50,
/// lead_time_weeks: Uniform(min: 40, max: 60),
/// lead_time_weeks: Triangular(min: 80, mode: 128, max: 210),
/// lead_time_weeks: LogNormal(median: 128, p90: 180),
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    /// A known value.
    Value(f64),
    /// An uncertain value.
    Dist(Dist),
}

/// A probability distribution over a non-negative quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// Always `value`.
    Fixed(f64),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular with the given lower bound, most likely value and upper bound.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Log-normal given by its median and 90th percentile (p90 > median), the way
    /// procurement teams quote lead times ("typically 128 weeks, 1 in 10 over 180").
    LogNormal {
        /// 50th percentile.
        median: f64,
        /// 90th percentile.
        p90: f64,
    },
}

impl Quantity {
    /// The distribution this quantity stands for.
    pub fn dist(self) -> Dist {
        match self {
            Quantity::Value(v) => Dist::Fixed(v),
            Quantity::Dist(d) => d,
        }
    }
}

impl From<f64> for Quantity {
    fn from(v: f64) -> Self {
        Quantity::Value(v)
    }
}

impl Dist {
    /// Checks the parameters; the message says which parameter is wrong and why.
    pub fn validate(self) -> Result<(), String> {
        let finite_non_neg = |name: &str, v: f64| {
            if !v.is_finite() || v < 0.0 {
                Err(format!("{name} must be a finite number >= 0, got {v}"))
            } else {
                Ok(())
            }
        };
        match self {
            Dist::Fixed(v) => finite_non_neg("value", v),
            Dist::Uniform { min, max } => {
                finite_non_neg("min", min)?;
                finite_non_neg("max", max)?;
                if min > max {
                    return Err(format!("Uniform: min ({min}) > max ({max})"));
                }
                Ok(())
            }
            Dist::Triangular { min, mode, max } => {
                finite_non_neg("min", min)?;
                finite_non_neg("mode", mode)?;
                finite_non_neg("max", max)?;
                if !(min <= mode && mode <= max) {
                    return Err(format!(
                        "Triangular: need min <= mode <= max, got min {min}, mode {mode}, max {max}"
                    ));
                }
                Ok(())
            }
            Dist::LogNormal { median, p90 } => {
                finite_non_neg("median", median)?;
                finite_non_neg("p90", p90)?;
                if median <= 0.0 || p90 < median {
                    return Err(format!(
                        "LogNormal: need 0 < median <= p90, got median {median}, p90 {p90}"
                    ));
                }
                Ok(())
            }
        }
    }

    /// The median (50th percentile).
    pub fn median(self) -> f64 {
        match self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Triangular { min, mode, max } => {
                let mid = 0.5 * (min + max);
                if max == min {
                    min
                } else if mode >= mid {
                    min + ((max - min) * (mode - min) / 2.0).sqrt()
                } else {
                    max - ((max - min) * (max - mode) / 2.0).sqrt()
                }
            }
            Dist::LogNormal { median, .. } => median,
        }
    }

    /// The largest value the distribution can produce (`p99.9` for the unbounded
    /// log-normal), used for static feasibility checks.
    pub fn upper(self) -> f64 {
        match self {
            Dist::Fixed(v) => v,
            Dist::Uniform { max, .. } | Dist::Triangular { max, .. } => max,
            Dist::LogNormal { median, p90 } => median * (sigma(median, p90) * 3.09).exp(),
        }
    }

    /// One draw. Uses inverse-CDF sampling from a single uniform so that every
    /// distribution consumes exactly one number from the stream (except the log-normal,
    /// which uses one normal draw), keeping runs comparable across world edits.
    pub fn sample<R: rand::Rng + ?Sized>(self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => {
                let u: f64 = rng.random();
                min + u * (max - min)
            }
            Dist::Triangular { min, mode, max } => {
                if max == min {
                    return min;
                }
                let u: f64 = rng.random();
                let f = (mode - min) / (max - min);
                if u < f {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::LogNormal { median, p90 } => {
                let s = sigma(median, p90);
                let z: f64 = Normal::new(0.0, 1.0).map(|n| n.sample(rng)).unwrap_or(0.0);
                median * (s * z).exp()
            }
        }
    }
}

fn sigma(median: f64, p90: f64) -> f64 {
    (p90 / median).ln() / Z_P90
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    fn empirical_median(d: Dist) -> f64 {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let mut xs: Vec<f64> = (0..20_001).map(|_| d.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        xs[10_000]
    }

    #[test]
    fn analytic_median_matches_samples() {
        for d in [
            Dist::Uniform {
                min: 10.0,
                max: 30.0,
            },
            Dist::Triangular {
                min: 80.0,
                mode: 128.0,
                max: 210.0,
            },
            Dist::Triangular {
                min: 30.0,
                mode: 35.0,
                max: 80.0,
            },
            Dist::LogNormal {
                median: 128.0,
                p90: 180.0,
            },
        ] {
            let (m, e) = (d.median(), empirical_median(d));
            assert!((m - e).abs() / m < 0.02, "{d:?}: median {m} vs sampled {e}");
        }
    }

    #[test]
    fn lognormal_p90_is_the_given_p90() {
        let d = Dist::LogNormal {
            median: 100.0,
            p90: 150.0,
        };
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let n = 40_000;
        let over = (0..n).filter(|_| d.sample(&mut rng) > 150.0).count();
        let share = over as f64 / n as f64;
        assert!((share - 0.10).abs() < 0.01, "share over p90 = {share}");
    }

    #[test]
    fn samples_stay_within_bounds() {
        let d = Dist::Triangular {
            min: 1.0,
            mode: 2.0,
            max: 5.0,
        };
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        assert!(
            (0..10_000)
                .map(|_| d.sample(&mut rng))
                .all(|x| (1.0..=5.0).contains(&x))
        );
    }

    #[test]
    fn invalid_parameters_are_named() {
        let e = Dist::Uniform { min: 5.0, max: 1.0 }.validate().unwrap_err();
        assert!(e.contains("min (5) > max (1)"), "{e}");
        let e = Dist::LogNormal {
            median: 10.0,
            p90: 5.0,
        }
        .validate()
        .unwrap_err();
        assert!(e.contains("median <= p90"), "{e}");
    }
}
