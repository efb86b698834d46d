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
    /// The `u`-quantile (inverse CDF) for `u` in (0, 1): the value below which a share
    /// `u` of draws falls. Uniform and triangular use the same formulas as
    /// [`Dist::sample`]; the log-normal uses [`inverse_normal_cdf`]. Global sensitivity
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

// AS 241 coefficients, lowest order first (Wichura 1988, PPND16).
const AS241_A: [f64; 8] = [
    3.387_132_872_796_366_608,
    133.141_667_891_784_377_45,
    1_971.590_950_306_551_442_7,
    13_731.693_765_509_461_125,
    45_921.953_931_549_871_457,
    67_265.770_927_008_700_853,
    33_430.575_583_588_128_105,
    2_509.080_928_730_122_672_7,
];
const AS241_B: [f64; 8] = [
    1.0,
    42.313_330_701_600_911_252,
    687.187_007_492_057_908_3,
    5_394.196_021_424_751_107_7,
    21_213.794_301_586_595_867,
    39_307.895_800_092_710_61,
    28_729.085_735_721_942_674,
    5_226.495_278_852_545_925,
];
const AS241_C: [f64; 8] = [
    1.423_437_110_749_683_577_34,
    4.630_337_846_156_545_295_9,
    5.769_497_221_460_691_405_5,
    3.647_848_324_763_204_605_04,
    1.270_458_252_452_368_382_58,
    0.241_780_725_177_450_611_77,
    0.022_723_844_989_269_184_583_3,
    7.745_450_142_783_414_076_4e-4,
];
const AS241_D: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_821_87,
    1.676_384_830_183_803_849_4,
    0.689_767_334_985_100_004_55,
    0.148_103_976_427_480_074_59,
    0.015_198_666_563_616_457_196_6,
    5.475_938_084_995_344_946e-4,
    1.050_750_071_644_416_843_24e-9,
];
const AS241_E: [f64; 8] = [
    6.657_904_643_501_103_777_2,
    5.463_784_911_164_114_369_9,
    1.784_826_539_917_291_335_8,
    0.296_560_571_828_504_891_23,
    0.026_532_189_526_576_123_093,
    0.001_242_660_947_388_078_438_6,
    2.711_555_568_743_487_578_15e-5,
    2.010_334_399_292_288_132_65e-7,
];
const AS241_F: [f64; 8] = [
    1.0,
    0.599_832_206_555_887_937_69,
    0.136_929_880_922_735_805_31,
    0.014_875_361_290_850_614_852_5,
    7.868_691_311_456_132_591e-4,
    1.846_318_317_510_054_681_8e-5,
    1.421_511_758_316_445_888_7e-7,
    2.044_263_103_389_939_785_64e-15,
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
        let dists = [
            Dist::Fixed(3.0),
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
        ];
        for d in dists {
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
