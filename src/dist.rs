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

    /// The smallest value the distribution can produce (0 for the log-normal, whose
    /// support reaches down to it), used to refuse ranges a draw must never enter.
    pub fn lower(self) -> f64 {
        match self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, .. } | Dist::Triangular { min, .. } => min,
            Dist::LogNormal { .. } => 0.0,
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
            // A degenerate triangle is a number: it draws nothing, as it always did.
            Dist::Triangular { min, max, .. } if max == min => min,
            Dist::Uniform { .. } | Dist::Triangular { .. } => self.quantile(rng.random()),
            Dist::LogNormal { median, p90 } => {
                let s = sigma(median, p90);
                let z: f64 = Normal::new(0.0, 1.0).map(|n| n.sample(rng)).unwrap_or(0.0);
                median * (s * z).exp()
            }
        }
    }

    /// The `u`-quantile (inverse CDF) for `u` in (0, 1): the value below which a share
    /// `u` of draws falls. [`Dist::sample`] maps its uniform draw through it for the
    /// uniform and triangular; the log-normal uses [`inverse_normal_cdf`]. Global sensitivity
    /// analysis maps low-discrepancy points through it. `u` is clamped to [0, 1]; the
    /// log-normal's quantiles at 0 and 1 are its support's ends, 0 and +∞.
    pub fn quantile(self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => min + u * (max - min),
            Dist::Triangular { min, mode, max } => {
                if max == min {
                    return min;
                }
                let f = (mode - min) / (max - min);
                if u < f {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::LogNormal { median, p90 } => {
                median * (sigma(median, p90) * inverse_normal_cdf(u)).exp()
            }
        }
    }
}

/// The standard normal quantile Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16,
/// *Applied Statistics* 37(3), 1988, pp. 477–484): rational approximations with a
/// relative error below 1e-16, the algorithm R's `qnorm` uses. Returns −∞ at 0, +∞ at
/// 1 and NaN outside [0, 1].
pub fn inverse_normal_cdf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&AS241_A, r) / poly(&AS241_B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let v = if r <= 5.0 {
        let r = r - 1.6;
        poly(&AS241_C, r) / poly(&AS241_D, r)
    } else {
        let r = r - 5.0;
        poly(&AS241_E, r) / poly(&AS241_F, r)
    };
    if q < 0.0 { -v } else { v }
}

/// Horner evaluation of `c[0] + c[1]·x + … + c[7]·x⁷`.
fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
}

// AS 241 coefficients, lowest order first (Wichura 1988, PPND16), written as the
// shortest decimals of the f64 nearest to each published 20-digit value.
const AS241_A: [f64; 8] = [
    3.3871328727963665,
    133.14166789178438,
    1971.5909503065513,
    13731.69376550946,
    45921.95393154987,
    67265.7709270087,
    33430.57558358813,
    2509.0809287301227,
];
const AS241_B: [f64; 8] = [
    1.0,
    42.31333070160091,
    687.1870074920579,
    5394.196021424751,
    21213.794301586597,
    39307.89580009271,
    28729.085735721943,
    5226.495278852546,
];
const AS241_C: [f64; 8] = [
    1.4234371107496835,
    4.630337846156546,
    5.769497221460691,
    3.6478483247632045,
    1.2704582524523684,
    0.2417807251774506,
    0.022723844989269184,
    0.0007745450142783414,
];
const AS241_D: [f64; 8] = [
    1.0,
    2.053191626637759,
    1.6763848301838038,
    0.6897673349851,
    0.14810397642748008,
    0.015198666563616457,
    0.0005475938084995345,
    1.0507500716444169e-09,
];
const AS241_E: [f64; 8] = [
    6.657904643501103,
    5.463784911164114,
    1.7848265399172913,
    0.29656057182850487,
    0.026532189526576124,
    0.0012426609473880784,
    2.7115555687434876e-05,
    2.0103343992922881e-07,
];
const AS241_F: [f64; 8] = [
    1.0,
    0.599832206555888,
    0.1369298809227358,
    0.014875361290850615,
    0.0007868691311456133,
    1.8463183175100548e-05,
    1.421511758316446e-07,
    2.0442631033899397e-15,
];

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

    /// One of each kind, with a left- and a right-skewed triangle.
    fn shapes() -> [Dist; 4] {
        [
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
        ]
    }

    #[test]
    fn analytic_median_matches_samples() {
        for d in shapes() {
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
    fn inverse_normal_matches_reference_values() {
        // Reference values: Φ⁻¹ to 16 digits (R's qnorm, the same algorithm; and the
        // module's own Z_P90, defined independently).
        assert_eq!(inverse_normal_cdf(0.5), 0.0);
        assert!((inverse_normal_cdf(0.9) - Z_P90).abs() < 1e-15);
        assert!((inverse_normal_cdf(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((inverse_normal_cdf(1e-10) + 6.361_340_902_404_056).abs() < 1e-12);
        // Symmetry, at probabilities whose complement is exact in binary.
        for p in [1.0 / 1024.0, 0.0625, 0.125, 0.25, 0.375] {
            assert_eq!(
                inverse_normal_cdf(p),
                -inverse_normal_cdf(1.0 - p),
                "p = {p}"
            );
        }
        assert!(inverse_normal_cdf(-0.1).is_nan());
    }

    #[test]
    fn quantile_at_one_half_is_the_median_and_inverts_the_cdf() {
        for d in std::iter::once(Dist::Fixed(3.0)).chain(shapes()) {
            assert!((d.quantile(0.5) - d.median()).abs() < 1e-9, "{d:?}");
            // The share of sampled draws below the 0.3-quantile is 0.3.
            let q = d.quantile(0.3);
            let mut rng = Pcg64Mcg::seed_from_u64(11);
            let n = 40_000;
            let below = (0..n).filter(|_| d.sample(&mut rng) < q).count();
            let share = below as f64 / f64::from(n);
            let want = if matches!(d, Dist::Fixed(_)) {
                0.0
            } else {
                0.3
            };
            assert!((share - want).abs() < 0.01, "{d:?}: {share}");
        }
        let ln = Dist::LogNormal {
            median: 100.0,
            p90: 150.0,
        };
        assert!((ln.quantile(0.9) - 150.0).abs() < 1e-9);
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
