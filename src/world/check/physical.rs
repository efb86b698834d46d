//! Physical feasibility, checked on the assembled [`Scenario`] because it needs the whole
//! topology: the starting state must hold every limit, every install must fit its racks'
//! limits at least on an otherwise empty site, and the site must not out-hash the
//! network. The limits themselves are computed by [`crate::power`]; this section only
//! words what it returns.

use super::{Checker, Kind, Rule};
use crate::dist::Dist;
use crate::power::{self, LimitAt, LimitKind, Loads};
use crate::scenario::{ActionSpec, ModelKind, Scenario, SupplySpec};

/// Checks the start state, then each install, then the network hashrate. A loop whose
/// PUE is a distribution is checked at the worst end for each question: the start must
/// hold at the highest PUE a run can draw (else a run could begin over a limit), and an
/// install "never fits" only if it fails even at the lowest (a high draw that blocks it
/// is a run's outcome, logged as a wait, not an invalid world).
pub(super) fn check(c: &mut Checker, s: &Scenario) {
    if s.cooling_loops.iter().any(|l| l.pue_sampled()) {
        start_state(
            c,
            &s.at_pue(Dist::upper),
            " at the highest PUE its loops can draw",
        );
        plan_feasibility(c, &s.at_pue(Dist::lower));
    } else {
        start_state(c, s, "");
        plan_feasibility(c, s);
    }
    site_outhashes_network(c, s);
}

/// IT W per rack of group `g` at the start.
fn initial_rack_w(s: &Scenario, g: usize) -> Option<u64> {
    s.racks[g]
        .initial
        .map(|(m, n)| s.models[m].power_w * u64::from(n))
}

/// The rule a broken limit breaks when the world starts that way.
fn rule_of(limit: LimitKind) -> Rule {
    match limit {
        LimitKind::RackDensity => Rule::RackDensity,
        LimitKind::CoolingCapacity => Rule::CoolingCapacity,
        LimitKind::TransformerRating => Rule::TransformerRating,
        LimitKind::SubstationCapacity => Rule::SubstationCapacity,
        LimitKind::Interconnect => Rule::Interconnect,
        // Nothing is awaiting delivery before the run starts; both mean "not there yet".
        LimitKind::NotInService | LimitKind::AwaitingDelivery => Rule::NotInService,
    }
}

/// Racks over their loop's density, units on equipment not in service, and any
/// capacity the starting load already exceeds.
/// `at` ends the overload messages (it names the PUE the check assumed, if sampled).
fn start_state(c: &mut Checker, s: &Scenario, at: &str) {
    let mut loads = Loads::zero(s);
    for (gi, g) in s.racks.iter().enumerate() {
        let Some(per_rack) = initial_rack_w(s, gi) else {
            continue;
        };
        let entity = LimitAt::Racks(gi).name(s);
        if let Some(o) = power::density_overload(s, gi, per_rack) {
            let lp = &s.cooling_loops[g.cooling];
            c.push(
                &entity,
                rule_of(o.limit),
                format!(
                    "starts at {:.1} kW per rack but cooling loop {} ({}) allows at most {:.1} kW per rack",
                    o.load_w / 1e3,
                    lp.id,
                    lp.kind.name(),
                    o.capacity_w / 1e3
                ),
            );
        }
        for item in power::path(s, gi) {
            if s.equipment_supply(item) != SupplySpec::Existing {
                c.push(
                    &entity,
                    Rule::NotInService,
                    format!(
                        "starts with units running but {} is not Existing",
                        s.equipment_name(item)
                    ),
                );
            }
        }
        loads.apply(s, gi, per_rack * u64::from(g.count), true);
    }
    for o in power::overloads(s, &loads) {
        c.push(
            o.at.name(s),
            rule_of(o.limit),
            format!(
                "the starting load of {:.2} MW exceeds the limit of {:.2} MW{at}",
                o.load_w / 1e6,
                o.capacity_w / 1e6
            ),
        );
    }
}

/// Plan steps that can never energise whatever else happens: their racks alone break a
/// density, cooling, transformer, substation or interconnect limit.
fn plan_feasibility(c: &mut Checker, s: &Scenario) {
    for st in &s.plan {
        let ActionSpec::InstallUnits {
            group,
            model,
            per_rack,
            ..
        } = st.action
        else {
            continue;
        };
        let per_rack_w = s.models[model].power_w * u64::from(per_rack);
        // Units a group starts with stay unless some step decommissions that group.
        let decommissioned = s
            .plan
            .iter()
            .any(|p| p.action == ActionSpec::Decommission(group));
        let kept_w = if decommissioned {
            0
        } else {
            initial_rack_w(s, group).unwrap_or(0)
        };
        let mut base = Loads::zero(s);
        base.apply(s, group, kept_w * u64::from(s.racks[group].count), true);
        let Err(b) = power::check_add(s, &base, |_| true, group, kept_w, per_rack_w) else {
            continue;
        };
        let racks = &s.racks[group].id;
        let site = if kept_w > 0 {
            format!(
                "even with every other hall empty (racks {racks} keep their starting units: no step decommissions them)"
            )
        } else {
            "even on an empty site".to_string()
        };
        c.push(
            Kind::PlanStep.label(&st.id),
            Rule::NeverFits,
            format!(
                "installing {per_rack} × {} in racks {racks} can never be energised, {site}: {b}",
                s.models[model].id
            ),
        );
    }
}

/// The network's hashrate includes the site's: a site that alone out-hashes the
/// network at the start is a typo (usually EH/s written as PH/s or TH/s).
fn site_outhashes_network(c: &mut Checker, s: &Scenario) {
    let site_gh_s: f64 = s
        .racks
        .iter()
        .filter_map(|g| {
            let (m, n) = g.initial?;
            match s.models[m].kind {
                ModelKind::Asic { hashrate_gh_s } => {
                    Some(hashrate_gh_s as f64 * f64::from(n) * f64::from(g.count))
                }
                ModelKind::Gpu { .. } => None,
            }
        })
        .sum();
    if site_gh_s > s.markets.network_hashrate_gh_s {
        c.push(
            "markets",
            Rule::SiteExceedsNetwork,
            format!(
                "the site's miners alone hash {:.3} EH/s, more than network_hashrate_eh_s = {} EH/s, \
                 which includes them",
                site_gh_s / 1e9,
                s.markets.network_hashrate_gh_s / 1e9
            ),
        );
    }
}
