//! The rules a world can break. Each [`Problem`](super::Problem) names one; the name is
//! printed after the problem (`[unknown-reference]`) and is stable, so scripts may match
//! on it. `docs/model.md` lists every rule with its summary, and a test holds that table
//! to [`Rule::ALL`].

use std::fmt;

/// Declares [`Rule`] with its stable name and one-line summary per variant, and
/// [`Rule::ALL`], so the three can never drift apart.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $summary:literal;)+) => {
        /// A rule of a valid world.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[$doc])* $variant,)+
        }

        impl Rule {
            /// Every rule, in the order of the docs table.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)+];

            /// The stable kebab-case name printed in brackets after a problem.
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)+
                }
            }

            /// What the rule requires, in one line (the docs table's second column).
            pub fn summary(self) -> &'static str {
                match self {
                    $(Rule::$variant => $summary,)+
                }
            }
        }
    };
}

rules! {
    /// A reference (`transformer: "T9"`, `after: ["x"]`, an `Order` item) names an id
    /// that no entity of the expected kind declares.
    UnknownReference = "unknown-reference",
        "every id a world refers to is declared, by an entity of the expected kind";
    /// Two entities of one kind share an id.
    DuplicateId = "duplicate-id", "ids are unique within each kind of entity";
    /// An id is empty or only spaces.
    EmptyId = "empty-id", "every id is non-empty";
    /// The plan's `after` links loop back on themselves, so no step of the loop could
    /// ever start.
    PlanCycle = "plan-cycle", "the plan's `after` links form no cycle";
    /// A rating, capacity, power, count or hashrate is zero, negative, NaN or infinite.
    NonPositiveRating = "non-positive-rating",
        "ratings, capacities, powers, counts and hashrates are finite numbers > 0";
    /// A cost, price or other amount that must not be negative is (or is NaN).
    NegativeValue = "negative-value", "costs, prices and amounts are numbers >= 0";
    /// A number is outside the range the model supports (including the size bounds that
    /// keep memory and integer sums bounded).
    OutOfRange = "out-of-range",
        "every number lies within its supported range (sizes, horizon, prices, rates)";
    /// A cooling loop's PUE (or a value its distribution can draw) is below 1.0: facility
    /// power includes the IT power, so it cannot be less.
    PueBelowOne = "pue-below-one",
        "a cooling loop's PUE, and every value its distribution can draw, is at least 1.0";
    /// A cooling loop's PUE (or a value its distribution can draw) is above
    /// [`MAX_PUE`](super::MAX_PUE).
    PueTooHigh = "pue-too-high",
        "a cooling loop's PUE, and every value its distribution can draw, is at most 3.0";
    /// A distribution's parameters are inconsistent (min > max, a mode outside them).
    BadDistribution = "bad-distribution",
        "distributions have finite parameters >= 0 in order (min <= mode <= max, median <= p90)";
    /// A date is malformed, or a step's start is before the start month.
    BadDate = "bad-date",
        "dates are `YYYY-MM` or `YYYY-MM-DD`, and no step starts before the start month";
    /// A `Monthly([...])` series has fewer values than the horizon has months.
    SeriesTooShort = "series-too-short", "a monthly series covers the whole horizon";
    /// A GPU install's contract needs market terms the world does not set.
    MissingMarket = "missing-market",
        "a GPU install's contract has its market (`gpu_lease` or `gpu_rental`) set";
    /// An `Order` or `Install` step lists equipment that is `Existing`.
    NotOrderable = "not-orderable", "only equipment declared `ToOrder` is ordered or installed";
    /// Two `Order` steps order the same item.
    OrderedTwice = "ordered-twice", "each item is ordered by at most one step";
    /// An item is installed by the plan but no step orders it.
    NeverOrdered = "never-ordered", "equipment the plan installs is ordered by some step";
    /// An `Order` or `Install` step lists nothing.
    EmptyStep = "empty-step", "`Order` and `Install` steps list at least one item";
    /// A field is set that the model ignores for this kind of step.
    IgnoredField = "ignored-field",
        "no field is set that would be ignored (an `Order` step has no `duration_days`)";
    /// A rack group's starting units went into service after the world's start month.
    InServiceAfterStart = "in-service-after-start",
        "a rack group's starting units went into service no later than the start month";
    /// A `Decommission` step targets racks that never hold units.
    NothingToDecommission = "nothing-to-decommission",
        "a decommissioned rack group starts with units or is filled by the plan";
    /// An install needs `ToOrder` equipment that no step puts in service.
    NeverInService = "never-in-service",
        "equipment on an install's power path is put in service by some step";
    /// A rack would draw more than its cooling loop's `max_rack_kw`.
    RackDensity = "rack-density",
        "no rack starts above its cooling loop's maximum rack density";
    /// A cooling loop would carry more IT heat than it can reject.
    CoolingCapacity = "cooling-capacity",
        "the starting IT load on a cooling loop is within its heat rejection";
    /// A transformer would carry more than its rating × power factor.
    TransformerRating = "transformer-rating",
        "the starting load on a transformer is within its rating";
    /// A substation would carry more than its capacity.
    SubstationCapacity = "substation-capacity",
        "the starting load on a substation is within its capacity";
    /// Facility power (IT × PUE) would exceed the grid interconnect.
    Interconnect = "interconnect",
        "the starting facility power (IT × PUE) is within the interconnect";
    /// Racks start with units running on equipment that is not `Existing`.
    NotInService = "not-in-service",
        "racks that start with units hang only off `Existing` equipment";
    /// An install can never be energised: its racks alone break a limit.
    NeverFits = "never-fits",
        "every install fits its racks' limits at least on an otherwise empty site";
    /// Two halvings fall on the same day.
    DuplicateHalving = "duplicate-halving", "no halving date is listed twice";
    /// The site's miners alone out-hash the network, which includes them.
    SiteExceedsNetwork = "site-exceeds-network",
        "the site's starting hashrate is below the network's, which includes it";
    /// A failure model's MTBF, Weibull shape or scale is not > 0, or an `Existing`
    /// item's `Replace` lacks a cost or lead time.
    BadFailureModel = "bad-failure-model",
        "failure models have MTBF, Weibull shape and scale > 0, and replacements a cost and lead time";
    /// A hall's power scheme holds something other than transformers and the hall's
    /// UPS, or its cooling scheme something other than cooling loops, reuses an item,
    /// or has too few items for its scheme (N+1 with one transformer).
    RedundancyScheme = "redundancy-scheme",
        "a hall's power scheme holds transformers (and its UPS), its cooling scheme cooling loops, enough for each scheme";
    /// A hall declares its redundancy more than once.
    DuplicateHall = "duplicate-hall",
        "a hall declares its power and cooling redundancy in one declaration";
    /// Two bands of the SLA credit schedule overlap.
    OverlappingCreditBands = "overlapping-credit-bands",
        "the SLA's credit bands do not overlap";
    /// A scripted failure strikes equipment that cannot be in service on its date.
    FailureNotInService = "failure-not-in-service",
        "a scripted failure strikes equipment that can be in service on its date";
    /// The supply model's starting cohorts do not split the network between them.
    CohortShares = "cohort-shares", "the network supply model's cohort shares sum to 1";
    /// An hourly price file is missing, unreadable, has a bad cell or the wrong row count.
    PriceFile = "price-file",
        "an hourly price file exists and holds 8,760 numeric prices under a usd_per_mwh header";
    /// A curtailment threshold or peak-capture share that cannot describe a real site.
    CurtailmentThreshold = "curtailment-threshold",
        "a peak-capture share lies in 0..=1 and an obligation threshold is a positive load";
    /// A finance figure that may be given two ways is given both ways or neither
    /// (`amount_usd` / `loan_to_cost`, `total_usd` / `usd_per_mw`).
    OneOf = "one-of",
        "a figure that can be given two ways (a tranche's size, a tenant contribution) is given exactly one way";
    /// Tenant capex contributions add up to more than the plan's capex.
    ContributionAboveCapex = "contribution-above-capex",
        "tenant capex contributions are at most the capex the plan pays";
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Lets callers match a rule by its printed name (`p.rule == "plan-cycle"`).
impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert!(names.iter().all(|n| {
            n.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !n.starts_with('-')
                && !n.ends_with('-')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }
}
