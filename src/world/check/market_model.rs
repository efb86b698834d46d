//! The optional `network:`, `power_prices:` and `flexibility:` sections (issue 13): their
//! own checks live beside their models (`network::schema`, `price_shape::schema`); this
//! file maps each problem to its rule and names the section.

use super::{Checker, Rule};
use crate::network::ParamProblem;
use crate::network::schema::{self, NetworkSpec, SectionProblem};
use crate::price_shape::schema::{
    FlexibilitySpec, PriceShapeSpec, ProblemKind, check_flexibility, check_prices,
};
use crate::world::WorldFile;
use std::path::Path;

/// The checked sections.
pub(super) struct MarketModel {
    pub network: NetworkSpec,
    pub power_prices: Option<PriceShapeSpec>,
    pub flexibility: Option<FlexibilitySpec>,
}

pub(super) fn check(c: &mut Checker, w: &WorldFile, base_dir: Option<&Path>) -> MarketModel {
    let growth = w.markets.network_growth_per_year;
    let network = match schema::check(&w.network, growth) {
        Ok(spec) => spec,
        Err(problems) => {
            for p in problems {
                let rule = match &p {
                    SectionProblem::BadDistribution(..) => Rule::BadDistribution,
                    SectionProblem::Param(q) => param_rule(q),
                };
                c.push("network", rule, p.to_string());
            }
            NetworkSpec::exogenous(growth)
        }
    };
    let power_prices = w
        .power_prices
        .as_ref()
        .and_then(|s| match check_prices(s, base_dir) {
            Ok(spec) => Some(spec),
            Err(problems) => {
                for p in problems {
                    c.push(
                        "power_prices",
                        kind_rule(p.kind),
                        format!("{}: {}", p.field, p.message),
                    );
                }
                None
            }
        });
    let flexibility = w
        .flexibility
        .as_ref()
        .and_then(|s| match check_flexibility(s) {
            Ok(spec) => Some(spec),
            Err(problems) => {
                for p in problems {
                    c.push(
                        "flexibility",
                        kind_rule(p.kind),
                        format!("{}: {}", p.field, p.message),
                    );
                }
                None
            }
        });
    MarketModel {
        network,
        power_prices,
        flexibility,
    }
}

fn param_rule(p: &ParamProblem) -> Rule {
    match p {
        ParamProblem::NoCohorts
        | ParamProblem::SharesDoNotSumToOne(_)
        | ParamProblem::BadShare(..) => Rule::CohortShares,
        ParamProblem::BadEfficiency(..) => Rule::NonPositiveRating,
        ParamProblem::OutOfRange(_, v) if *v < 0.0 => Rule::NegativeValue,
        ParamProblem::OutOfRange(..) => Rule::OutOfRange,
    }
}

fn kind_rule(k: ProblemKind) -> Rule {
    match k {
        ProblemKind::PriceFile => Rule::PriceFile,
        ProblemKind::OutOfRange => Rule::OutOfRange,
        ProblemKind::NegativeValue => Rule::NegativeValue,
        ProblemKind::CurtailmentThreshold => Rule::CurtailmentThreshold,
    }
}
