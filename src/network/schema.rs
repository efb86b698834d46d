//! The world file's optional `network:` section: which hashrate model a run uses.
//!
//! ```ron
//! network: Exogenous,            // the default: markets.network_growth_per_year
//! network: Supply((
//!     cohorts: [(efficiency_j_per_th: 17.5, share: 0.6), (efficiency_j_per_th: 29.5, share: 0.4)],
//!     marginal_power_usd_per_mwh: Uniform(min: 40, max: 60),
//!     non_power_cost_usd_per_mwh: 15.1,   // default 0
//!     new_efficiency_j_per_th: 12.0,
//!     efficiency_gain_per_year: 0.17,
//!     capex_usd_per_th: 28.4,
//!     payback_months: 30,
//!     build_share_per_month: 0.3,
//!     lag_months: 1,
//! )),
//! ```
//!
//! Stage one ([`NetworkSection`]) mirrors the file; stage two ([`check`]) validates it into
//! a [`NetworkSpec`]: the model at its medians plus what a sampled run draws. The
//! uncertain parameters (power price, efficiency gain, capex, payback horizon, build
//! share, non-power cost) may be distributions; sweeps sample them.

use super::{Cohort, NetworkModel, ParamProblem, SupplyParams};
use crate::dist::{Dist, Quantity};
use serde::{Deserialize, Serialize};

/// `network: ...` as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum NetworkSection {
    /// Fixed growth (`markets.network_growth_per_year`), today's behaviour.
    #[default]
    Exogenous,
    /// The endogenous supply model.
    Supply(Box<SupplySection>),
}

/// A starting cohort as written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSection {
    /// Efficiency, J/TH.
    pub efficiency_j_per_th: f64,
    /// Share of the starting network hashrate.
    pub share: f64,
}

/// The supply model's parameters as written (see [`SupplyParams`] for each meaning).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplySection {
    /// The starting fleet by efficiency.
    pub cohorts: Vec<CohortSection>,
    /// Marginal power price of the rest of the world, USD/MWh.
    pub marginal_power_usd_per_mwh: Quantity,
    /// Non-power cost of running a miner over leaving it off, USD per MWh of miner IT
    /// (default 0: the power-only merit order, so worlds without it are unchanged).
    #[serde(default = "zero_quantity")]
    pub non_power_cost_usd_per_mwh: Quantity,
    /// Efficiency of the newest generation in the first month, J/TH.
    pub new_efficiency_j_per_th: f64,
    /// Yearly efficiency improvement of the newest generation.
    pub efficiency_gain_per_year: Quantity,
    /// Best efficiency ever reached, J/TH (default 5, an assumption).
    #[serde(default = "default_floor")]
    pub efficiency_floor_j_per_th: f64,
    /// All-in capex of new capacity, USD per TH/s.
    pub capex_usd_per_th: Quantity,
    /// Payback horizon, months (a distribution is rounded to whole months).
    pub payback_months: Quantity,
    /// Share of the capacity gap ordered each month.
    pub build_share_per_month: Quantity,
    /// Months from order to hashing (default 1).
    #[serde(default = "default_lag")]
    pub lag_months: u32,
}

fn zero_quantity() -> Quantity {
    Quantity::Value(0.0)
}

fn default_floor() -> f64 {
    5.0
}

fn default_lag() -> u32 {
    1
}

/// The checked network model: medians, and the distributions a sampled run draws.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// The model a plain run uses.
    pub median: NetworkModel,
    /// Distributions of the uncertain supply parameters, in draw order.
    draws: Option<[Dist; 6]>,
}

impl NetworkSpec {
    /// The exogenous model with this growth.
    pub fn exogenous(growth_per_year: f64) -> Self {
        Self {
            median: NetworkModel::Exogenous { growth_per_year },
            draws: None,
        }
    }

    /// Whether a sampled run draws anything for the network (only a supply model does,
    /// so worlds without one keep their random streams).
    pub fn draws_anything(&self) -> bool {
        self.draws.is_some()
    }

    /// One sample: the supply parameters drawn in a fixed order (power price, efficiency
    /// gain, capex, payback, build share, non-power cost); the exogenous model draws
    /// nothing. A plain number draws nothing either ([`Dist::sample`] of a fixed value),
    /// and the non-power cost comes last, so a world that gives it as a number (or not at
    /// all) keeps the random stream it had before the field existed.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> NetworkModel {
        match (&self.median, &self.draws) {
            (NetworkModel::Supply(p), Some([power, gain, capex, payback, build, non_power])) => {
                let mut p = p.clone();
                p.marginal_power_usd_per_mwh = power.sample(rng);
                p.efficiency_gain_per_year = gain.sample(rng).min(0.99);
                p.capex_usd_per_th = capex.sample(rng);
                p.payback_months = (payback.sample(rng).round() as u32).max(1);
                p.build_share_per_month = build.sample(rng).clamp(1e-6, 1.0);
                p.non_power_cost_usd_per_mwh = non_power.sample(rng);
                NetworkModel::Supply(p)
            }
            (m, _) => m.clone(),
        }
    }
}

/// A problem with the section, for the world checker: the parameter's problem, or a
/// distribution that is not well formed (field, reason).
#[derive(Debug, Clone, PartialEq)]
pub enum SectionProblem {
    /// A parameter value (at its median) is unusable.
    Param(ParamProblem),
    /// A distribution's parameters are inconsistent.
    BadDistribution(&'static str, String),
}

impl std::fmt::Display for SectionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SectionProblem::Param(p) => write!(f, "{p}"),
            SectionProblem::BadDistribution(name, why) => write!(f, "{name}: {why}"),
        }
    }
}

/// Validates the section; `growth_per_year` is `markets.network_growth_per_year`.
pub fn check(
    section: &NetworkSection,
    growth_per_year: f64,
) -> Result<NetworkSpec, Vec<SectionProblem>> {
    let s = match section {
        NetworkSection::Exogenous => return Ok(NetworkSpec::exogenous(growth_per_year)),
        NetworkSection::Supply(s) => s,
    };
    let mut problems = Vec::new();
    let quantities = [
        ("marginal_power_usd_per_mwh", s.marginal_power_usd_per_mwh),
        ("efficiency_gain_per_year", s.efficiency_gain_per_year),
        ("capex_usd_per_th", s.capex_usd_per_th),
        ("payback_months", s.payback_months),
        ("build_share_per_month", s.build_share_per_month),
        ("non_power_cost_usd_per_mwh", s.non_power_cost_usd_per_mwh),
    ];
    // A plain number is judged by the parameter's own range below (a negative price is a
    // negative value, not a bad distribution); only a written distribution is validated.
    let dists = quantities.map(|(name, q)| {
        let d = q.dist();
        if let (Quantity::Dist(_), Err(why)) = (q, d.validate()) {
            problems.push(SectionProblem::BadDistribution(name, why));
        }
        d
    });
    let [power, gain, capex, payback, build, non_power] = dists.map(Dist::median);
    let params = SupplyParams {
        cohorts: s
            .cohorts
            .iter()
            .map(|c| Cohort {
                efficiency_j_per_th: c.efficiency_j_per_th,
                share: c.share,
            })
            .collect(),
        marginal_power_usd_per_mwh: power,
        non_power_cost_usd_per_mwh: non_power,
        new_efficiency_j_per_th: s.new_efficiency_j_per_th,
        efficiency_gain_per_year: gain,
        efficiency_floor_j_per_th: s.efficiency_floor_j_per_th,
        capex_usd_per_th: capex,
        payback_months: if payback.is_finite() && payback >= 0.0 {
            payback.round().min(f64::from(u32::MAX)) as u32
        } else {
            0
        },
        build_share_per_month: build,
        lag_months: s.lag_months,
    };
    problems.extend(params.problems().into_iter().map(SectionProblem::Param));
    if problems.is_empty() {
        Ok(NetworkSpec {
            median: NetworkModel::Supply(params),
            draws: Some(dists),
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn parse(text: &str) -> NetworkSection {
        ron::from_str(text).unwrap()
    }

    const SUPPLY: &str = "Supply((
        cohorts: [(efficiency_j_per_th: 17.5, share: 0.6), (efficiency_j_per_th: 29.5, share: 0.4)],
        marginal_power_usd_per_mwh: Uniform(min: 40, max: 60),
        new_efficiency_j_per_th: 12.0,
        efficiency_gain_per_year: 0.17,
        capex_usd_per_th: 28.4,
        payback_months: 30,
        build_share_per_month: 0.3,
    ))";

    #[test]
    fn exogenous_is_the_default_and_draws_nothing() {
        let spec = check(&NetworkSection::default(), 0.3).unwrap();
        assert_eq!(
            spec.median,
            NetworkModel::Exogenous {
                growth_per_year: 0.3
            }
        );
        assert!(!spec.draws_anything());
        assert_eq!(check(&parse("Exogenous"), 0.3).unwrap(), spec);
    }

    #[test]
    fn a_supply_section_checks_into_medians_with_defaults() {
        let spec = check(&parse(SUPPLY), 0.3).unwrap();
        let NetworkModel::Supply(p) = &spec.median else {
            panic!("expected a supply model")
        };
        assert_eq!(p.marginal_power_usd_per_mwh, 50.0);
        assert_eq!((p.payback_months, p.lag_months), (30, 1));
        assert_eq!(p.efficiency_floor_j_per_th, 5.0);
        assert_eq!(p.non_power_cost_usd_per_mwh, 0.0);
        assert!(spec.draws_anything());
    }

    #[test]
    fn the_non_power_cost_defaults_to_zero_draws_last_and_keeps_the_stream_when_fixed() {
        let base = check(&parse(SUPPLY), 0.3).unwrap();
        let fixed_text = SUPPLY.replace(
            "new_efficiency_j_per_th",
            "non_power_cost_usd_per_mwh: 15.1, new_efficiency_j_per_th",
        );
        let fixed = check(&parse(&fixed_text), 0.3).unwrap();
        let drawn_text = SUPPLY.replace(
            "new_efficiency_j_per_th",
            "non_power_cost_usd_per_mwh: Uniform(min: 10, max: 20), new_efficiency_j_per_th",
        );
        let drawn = check(&parse(&drawn_text), 0.3).unwrap();
        let NetworkModel::Supply(m) = &drawn.median else {
            panic!("expected a supply model")
        };
        assert_eq!(m.non_power_cost_usd_per_mwh, 15.0);
        let draw = |spec: &NetworkSpec| {
            let NetworkModel::Supply(p) = spec.sample(&mut rand_pcg::Pcg64Mcg::seed_from_u64(11))
            else {
                panic!("expected a supply model")
            };
            p
        };
        let (b, f, d) = (draw(&base), draw(&fixed), draw(&drawn));
        // A number draws nothing: the other five draws are those of the world without it.
        assert_eq!(b.non_power_cost_usd_per_mwh, 0.0);
        assert_eq!(f.non_power_cost_usd_per_mwh, 15.1);
        assert_eq!(
            SupplyParams {
                non_power_cost_usd_per_mwh: 0.0,
                ..f
            },
            b
        );
        // A distribution is drawn last, after the same five.
        assert!((10.0..=20.0).contains(&d.non_power_cost_usd_per_mwh));
        assert_eq!(d.marginal_power_usd_per_mwh, b.marginal_power_usd_per_mwh);
        let negative = SUPPLY.replace(
            "new_efficiency_j_per_th",
            "non_power_cost_usd_per_mwh: -1, new_efficiency_j_per_th",
        );
        let problems = check(&parse(&negative), 0.3).unwrap_err();
        assert_eq!(
            problems,
            vec![SectionProblem::Param(ParamProblem::OutOfRange(
                "non_power_cost_usd_per_mwh",
                -1.0
            ))]
        );
    }

    #[test]
    fn sampling_draws_the_power_price_within_its_range_and_is_reproducible() {
        let spec = check(&parse(SUPPLY), 0.3).unwrap();
        let draw = |seed| spec.sample(&mut rand_pcg::Pcg64Mcg::seed_from_u64(seed));
        assert_eq!(draw(7), draw(7));
        let NetworkModel::Supply(p) = draw(7) else {
            panic!("expected a supply model")
        };
        assert!((40.0..=60.0).contains(&p.marginal_power_usd_per_mwh));
        assert_eq!(p.capex_usd_per_th, 28.4);
    }

    #[test]
    fn broken_sections_report_every_problem() {
        let broken = SUPPLY
            .replace("share: 0.4", "share: 0.5")
            .replace("efficiency_j_per_th: 17.5", "efficiency_j_per_th: -17.5")
            .replace("Uniform(min: 40, max: 60)", "Uniform(min: 60, max: 40)");
        let problems = check(&parse(&broken), 0.3).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t == "cohort shares sum to 1.1, expected 1"),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t == "cohort 0: efficiency -17.5 J/TH must be positive")
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("marginal_power_usd_per_mwh: ")),
            "{text:?}"
        );
        let negative = SUPPLY.replace("capex_usd_per_th: 28.4", "capex_usd_per_th: -1");
        assert!(check(&parse(&negative), 0.3).is_err());
    }

    #[test]
    fn unknown_fields_are_refused_by_the_parser() {
        let typo = SUPPLY.replace("lag_months", "lag_month").replace(
            "build_share_per_month: 0.3,",
            "build_share_per_month: 0.3, lag_month: 2,",
        );
        assert!(ron::from_str::<NetworkSection>(&typo).is_err());
    }
}
