//! The checked `reliability` section: failure models, spares, redundancy, backup power,
//! the SLA and scripted failures, with ids resolved to [`EquipmentRef`]s and times in
//! days. [`ReliabilitySpec::default`] means no failures and no redundancy.

use super::EquipmentRef;
use crate::calendar::Day;
use crate::dist::Dist;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A redundancy scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheme {
    /// No redundancy: every item is needed.
    N,
    /// One item more than needed: survives the loss of the largest.
    NPlus1,
    /// Two complete sets: survives the loss of half.
    TwoN,
}

/// Kind of backup power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupKind {
    /// Diesel or gas generator: rides through grid and substation outages.
    Generator,
    /// Uninterruptible power supply: rides through the seconds until generators start.
    Ups,
}

/// Days per year used to turn MTBF and Weibull scales in years into days.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Time to failure of one item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LifeSpec {
    /// Exponential with this mean, days.
    Exponential {
        /// Mean time between failures, days.
        mtbf_days: f64,
    },
    /// Weibull with shape k and scale λ (days): P(T > t) = exp(−(t/λ)^k).
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ, days.
        scale_days: f64,
    },
}

impl LifeSpec {
    /// A time to failure in days from a uniform draw `u` in (0, 1], by inversion:
    /// t = λ·(−ln u)^(1/k) (k = 1, λ = MTBF for the exponential).
    pub fn from_uniform(self, u: f64) -> f64 {
        let e = -u.ln();
        match self {
            LifeSpec::Exponential { mtbf_days } => mtbf_days * e,
            LifeSpec::Weibull { shape, scale_days } => scale_days * e.powf(1.0 / shape),
        }
    }
}

/// How a failed item comes back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RestoreSpec {
    /// Repaired in place after a time to repair.
    Repair {
        /// Time to repair, days.
        days: Dist,
        /// Cost of one repair, USD (opex in the month it fails).
        cost_usd: f64,
    },
    /// Replaced: by a spare if one is on site, else by a new order.
    Replace {
        /// Capex of the new unit, USD.
        cost_usd: f64,
        /// Lead time of the new unit, weeks.
        lead_time_weeks: Dist,
    },
}

/// A failure model of one item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureSpec {
    /// Which item.
    pub equipment: EquipmentRef,
    /// Time to failure.
    pub life: LifeSpec,
    /// Repair or replacement.
    pub restore: RestoreSpec,
}

/// Failures of one unit model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitFailureSpec {
    /// Model index.
    pub model: usize,
    /// Failures per unit per year.
    pub annual_failure_rate: f64,
    /// Days a failed unit is out.
    pub repair_days: f64,
}

impl UnitFailureSpec {
    /// Share of units in repair at any time in steady state: failures per day × days
    /// out, p = AFR × repair_days / 365.25 (capped at 1).
    pub fn down_share(&self) -> f64 {
        (self.annual_failure_rate * self.repair_days / DAYS_PER_YEAR).min(1.0)
    }

    /// Units in repair out of `n` in a month whose standard-normal draw is `z`: the
    /// binomial count B(n, p) in its normal approximation, n·p + z·√(n·p·(1 − p)),
    /// rounded and held to 0..=n.
    pub fn units_down(&self, n: u64, z: f64) -> u64 {
        let p = self.down_share();
        let nf = n as f64;
        let k = (nf * p + z * (nf * p * (1.0 - p)).sqrt()).round();
        k.clamp(0.0, nf) as u64
    }
}

/// A spare on site.
#[derive(Debug, Clone, PartialEq)]
pub struct SpareSpec {
    /// Id.
    pub id: String,
    /// Items it can replace.
    pub replaces: Vec<EquipmentRef>,
    /// Capex, USD, on day 0.
    pub cost_usd: f64,
    /// Time to swap in, days.
    pub swap_days: Dist,
}

/// One redundancy scheme of a hall over a named set of items: its transformers, and
/// the UPS it names (power), or its cooling loops (cooling).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemeSpec {
    /// N, N+1 or 2N.
    pub scheme: Scheme,
    /// The transformers or cooling loops.
    pub members: Vec<EquipmentRef>,
    /// The UPS the power scheme names, as (id, rating W); empty if none (and always for
    /// cooling). They are a second set under the same scheme.
    pub ups: Vec<(String, u64)>,
}

impl SchemeSpec {
    /// The members' ratings, W.
    pub fn ratings_w(&self, s: &super::Scenario) -> Vec<u64> {
        self.members
            .iter()
            .map(|&m| s.equipment_capacity_w(m))
            .collect()
    }

    /// The UPS' ratings, W.
    pub fn ups_ratings_w(&self) -> Vec<u64> {
        self.ups.iter().map(|u| u.1).collect()
    }

    /// Capacity these items can sell under the scheme, W ([`sellable_w`]): what the
    /// surviving members carry, or less if the named UPS' survivors carry less.
    pub fn sellable_w(&self, s: &super::Scenario) -> u64 {
        let members = sellable_w(self.scheme, &self.ratings_w(s));
        if self.ups.is_empty() {
            return members;
        }
        members.min(sellable_w(self.scheme, &self.ups_ratings_w()))
    }
}

/// A hall's redundancy: one declaration carrying its power scheme (transformers) and
/// its cooling scheme (cooling loops), each N, N+1 or 2N; at least one is declared.
#[derive(Debug, Clone, PartialEq)]
pub struct RedundancySpec {
    /// Hall name.
    pub hall: String,
    /// Power scheme over its transformers.
    pub power: Option<SchemeSpec>,
    /// Cooling scheme over its cooling loops.
    pub cooling: Option<SchemeSpec>,
    /// Needs generators and UPS rated for its load before it energises.
    pub requires_backup: bool,
}

impl RedundancySpec {
    /// Its schemes: power, then cooling.
    pub fn schemes(&self) -> impl Iterator<Item = &SchemeSpec> {
        self.power.iter().chain(self.cooling.iter())
    }

    /// Capacity the hall can sell, W: the least of what each scheme's surviving set
    /// carries.
    pub fn sellable_w(&self, s: &super::Scenario) -> u64 {
        self.schemes().map(|k| k.sellable_w(s)).min().unwrap_or(0)
    }

    /// True if `e` is in one of its schemes.
    pub fn contains(&self, e: EquipmentRef) -> bool {
        self.schemes().any(|k| k.members.contains(&e))
    }
}

/// Capacity that can be sold from items rated `ratings_w` under `scheme`: what remains
/// after the worst failure the scheme must survive. N: Σ; N+1: Σ − max; 2N: Σ / 2.
pub fn sellable_w(scheme: Scheme, ratings_w: &[u64]) -> u64 {
    let sum: u64 = ratings_w.iter().sum();
    match scheme {
        Scheme::N => sum,
        Scheme::NPlus1 => sum - ratings_w.iter().copied().max().unwrap_or(0),
        Scheme::TwoN => sum / 2,
    }
}

/// A generator or UPS.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSpec {
    /// Id.
    pub id: String,
    /// Generator or UPS.
    pub kind: BackupKind,
    /// Index of the hall (into [`ReliabilitySpec::redundancy`]) it serves.
    pub hall: usize,
    /// Rating, W.
    pub rating_w: u64,
    /// Capex, USD, on day 0.
    pub cost_usd: f64,
    /// Lead time from day 0, weeks.
    pub lead_time_weeks: Dist,
    /// Opex once in service, USD/month.
    pub opex_usd_per_month: f64,
}

/// A band of the credit schedule: availability in `[min, max)` credits `share` of rent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreditBandSpec {
    /// Lower edge, inclusive.
    pub min_availability: f64,
    /// Upper edge, exclusive.
    pub max_availability: f64,
    /// Credit, share of the month's rent.
    pub credit_share: f64,
}

/// The leases' service level.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaSpec {
    /// Monthly availability promised.
    pub availability_target: f64,
    /// Credit bands, disjoint.
    pub credits: Vec<CreditBandSpec>,
}

impl SlaSpec {
    /// Share of the month's rent credited for a month at `availability`: 0 at or above
    /// the target, else the band holding it (0 if none does).
    pub fn credit_share(&self, availability: f64) -> f64 {
        if availability >= self.availability_target {
            return 0.0;
        }
        self.credits
            .iter()
            .find(|b| b.min_availability <= availability && availability < b.max_availability)
            .map_or(0.0, |b| b.credit_share)
    }
}

/// A lease's own service level: credits of its hall follow its target and bands
/// instead of the site-wide SLA (the credit base is the lease's rent billed that month
/// either way).
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseSla {
    /// Lease id, for messages.
    pub lease: String,
    /// Rack group of the leased hall.
    pub group: usize,
    /// Its target and bands.
    pub sla: SlaSpec,
}

/// The checked reliability section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReliabilitySpec {
    /// Failure models, one per item at most.
    pub failures: Vec<FailureSpec>,
    /// Unit-model failure rates.
    pub units: Vec<UnitFailureSpec>,
    /// Spares.
    pub spares: Vec<SpareSpec>,
    /// Redundancy groups (halls).
    pub redundancy: Vec<RedundancySpec>,
    /// Backup power.
    pub backup: Vec<BackupSpec>,
    /// Service level, if the leases carry one.
    pub sla: Option<SlaSpec>,
    /// Leases with their own service level, which replaces `sla` for their hall.
    pub lease_slas: Vec<LeaseSla>,
    /// Scripted failures: (item, day).
    pub scripted: Vec<(EquipmentRef, Day)>,
}

impl ReliabilitySpec {
    /// The failure model of `e`, if any.
    pub fn failure_of(&self, e: EquipmentRef) -> Option<&FailureSpec> {
        self.failures.iter().find(|f| f.equipment == e)
    }

    /// One line per hall on the capacity its redundancy costs, e.g. `hall G1: power N+1
    /// on T-A/T-A2 leaves 23.75 MW of 47.5 MW; cooling N+1 on DLC-1/DLC-1R leaves 23 MW
    /// of 46 MW; sellable 23 MW`, and one on failure sampling.
    pub fn explain(&self, s: &super::Scenario) -> Vec<String> {
        let mw = |w: u64| w as f64 / 1e6;
        let mut out: Vec<String> = self
            .redundancy
            .iter()
            .map(|h| {
                let sides = [("power", &h.power), ("cooling", &h.cooling)];
                let parts: Vec<String> = sides
                    .iter()
                    .filter_map(|(side, k)| {
                        let k = k.as_ref()?;
                        let ids: Vec<&str> = k.members.iter().map(|&m| s.equipment_id(m)).collect();
                        let ratings = k.ratings_w(s);
                        let mut part = format!(
                            "{side} {} on {} leaves {} MW of {} MW",
                            scheme_name(k.scheme),
                            ids.join("/"),
                            mw(sellable_w(k.scheme, &ratings)),
                            mw(ratings.iter().sum())
                        );
                        if !k.ups.is_empty() {
                            let ids: Vec<&str> = k.ups.iter().map(|u| u.0.as_str()).collect();
                            let ratings = k.ups_ratings_w();
                            let _ = write!(
                                part,
                                " and on {} leaves {} MW of {} MW",
                                ids.join("/"),
                                mw(sellable_w(k.scheme, &ratings)),
                                mw(ratings.iter().sum())
                            );
                        }
                        Some(part)
                    })
                    .collect();
                let mut line = format!("hall {}: {}", h.hall, parts.join("; "));
                let sets = h.schemes().map(|k| 1 + usize::from(!k.ups.is_empty()));
                if sets.sum::<usize>() > 1 {
                    let _ = write!(line, "; sellable {} MW", mw(h.sellable_w(s)));
                }
                line
            })
            .collect();
        if !self.failures.is_empty() {
            out.push(format!(
                "{} item(s) with a failure model: a plain run samples no random failures; --seed and sweeps do",
                self.failures.len()
            ));
        }
        out
    }

    /// The hall whose redundancy holds `e`, if any.
    pub fn group_of(&self, e: EquipmentRef) -> Option<usize> {
        self.redundancy.iter().position(|h| h.contains(e))
    }

    /// The scheme (power or cooling) that holds `e`, if any.
    pub fn scheme_of(&self, e: EquipmentRef) -> Option<&SchemeSpec> {
        self.redundancy
            .iter()
            .flat_map(RedundancySpec::schemes)
            .find(|k| k.members.contains(&e))
    }
}

/// `N`, `N+1` or `2N`.
pub fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::N => "N",
        Scheme::NPlus1 => "N+1",
        Scheme::TwoN => "2N",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_explains_the_capacity_redundancy_costs() {
        let text = std::fs::read_to_string("worlds/teaching.ron")
            .unwrap()
            .replace(
                "Transformer(id: \"T1\", substation: \"SUB-1\", rating_mva: 2.5),",
                "Transformer(id: \"T1\", substation: \"SUB-1\", rating_mva: 25.0),\n        Transformer(id: \"T1b\", substation: \"SUB-1\", rating_mva: 25.0),",
            );
        let body = text.trim_end().strip_suffix(')').unwrap();
        let power = "power: (scheme: NPlus1, equipment: [\"T1\", \"T1b\"])";
        let with = |hall: &str| {
            format!("{body}\n    reliability: (redundancy: [(hall: \"G1\", {hall})]),\n)\n")
        };
        let s = crate::load_str(&with(power), "t.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.reliability.explain(&s),
            vec!["hall G1: power N+1 on T1/T1b leaves 23.75 MW of 47.5 MW".to_string()]
        );
        // With its air loop at 2N too (4 MW of heat rejection, 2 MW sellable), the hall
        // sells the lesser of the two.
        let text = with(&format!(
            "{power}, cooling: (scheme: TwoN, equipment: [\"AIR-1\", \"AIR-2\"])"
        ))
        .replace(
            "        CoolingLoop(id: \"DLC-1\"",
            "        CoolingLoop(id: \"AIR-2\", kind: Air, heat_rejection_kw: 4000.0, max_rack_kw: 15.0, pue: 1.2),\n        CoolingLoop(id: \"DLC-1\"",
        );
        let s = crate::load_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.reliability.explain(&s),
            vec![
                "hall G1: power N+1 on T1/T1b leaves 23.75 MW of 47.5 MW; cooling 2N on AIR-1/AIR-2 leaves 4 MW of 8 MW; sellable 4 MW"
                    .to_string()
            ]
        );
    }

    #[test]
    fn units_down_is_the_binomial_mean_at_z_0_and_stays_in_range() {
        let u = UnitFailureSpec {
            model: 0,
            annual_failure_rate: 0.10,
            repair_days: 36.525,
        };
        // p = 0.1 × 36.525 / 365.25 = 0.01.
        assert!((u.down_share() - 0.01).abs() < 1e-15);
        assert_eq!(u.units_down(10_000, 0.0), 100);
        // σ = √(10000 × 0.01 × 0.99) = 9.95: z = 1 → 110.
        assert_eq!(u.units_down(10_000, 1.0), 110);
        assert_eq!(u.units_down(10, -50.0), 0);
        assert_eq!(u.units_down(10, 50.0), 10);
        assert_eq!(u.units_down(0, 3.0), 0);
    }

    #[test]
    fn sellable_capacity_per_scheme() {
        let two = [23_750_000, 23_750_000];
        assert_eq!(sellable_w(Scheme::N, &two), 47_500_000);
        assert_eq!(sellable_w(Scheme::NPlus1, &two), 23_750_000);
        assert_eq!(sellable_w(Scheme::TwoN, &two), 23_750_000);
        let four = [10, 10, 10, 10];
        assert_eq!(sellable_w(Scheme::NPlus1, &four), 30);
        assert_eq!(sellable_w(Scheme::TwoN, &four), 20);
    }

    #[test]
    fn credits_follow_the_bands_at_their_edges() {
        let sla = SlaSpec {
            availability_target: 0.9998,
            credits: vec![
                CreditBandSpec {
                    min_availability: 0.999,
                    max_availability: 0.9998,
                    credit_share: 0.05,
                },
                CreditBandSpec {
                    min_availability: 0.99,
                    max_availability: 0.999,
                    credit_share: 0.25,
                },
                CreditBandSpec {
                    min_availability: 0.0,
                    max_availability: 0.99,
                    credit_share: 1.0,
                },
            ],
        };
        assert_eq!(sla.credit_share(1.0), 0.0);
        assert_eq!(sla.credit_share(0.9998), 0.0, "the target itself is met");
        assert_eq!(sla.credit_share(0.99979), 0.05);
        assert_eq!(sla.credit_share(0.999), 0.05, "lower edge is inclusive");
        assert_eq!(sla.credit_share(0.99899), 0.25);
        assert_eq!(sla.credit_share(0.99), 0.25);
        assert_eq!(sla.credit_share(0.98), 1.0);
        assert_eq!(sla.credit_share(0.0), 1.0);
    }

    #[test]
    fn inversion_gives_the_mean_and_median() {
        let e = LifeSpec::Exponential { mtbf_days: 100.0 };
        // u = e^-1 gives t = mean for the exponential.
        assert!((e.from_uniform((-1.0f64).exp()) - 100.0).abs() < 1e-9);
        let w = LifeSpec::Weibull {
            shape: 2.0,
            scale_days: 100.0,
        };
        // Median of Weibull: λ (ln 2)^(1/k).
        let median = 100.0 * std::f64::consts::LN_2.sqrt();
        assert!((w.from_uniform(0.5) - median).abs() < 1e-9);
    }
}
