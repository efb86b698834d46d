//! The racks section: each group's size, power path, cooling and starting units.

use super::{Checker, Ids, Kind, MAX_RACKS, Rule};
use crate::calendar::YearMonth;
use crate::scenario::RackGroupSpec;
use crate::world::{RackGroup, RackUnits};

pub(super) fn check(
    c: &mut Checker,
    groups: &[RackGroup],
    ids: &Ids,
    start: YearMonth,
) -> Vec<RackGroupSpec> {
    let racks: Vec<RackGroupSpec> = groups.iter().map(|g| group(c, g, ids, start)).collect();
    let total_racks: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
    if total_racks > MAX_RACKS {
        c.push(
            "racks",
            Rule::OutOfRange,
            format!("{total_racks} racks declared; at most {MAX_RACKS} are supported"),
        );
    }
    racks
}

fn group(c: &mut Checker, g: &RackGroup, ids: &Ids, start: YearMonth) -> RackGroupSpec {
    let e = Kind::RackGroup.label(&g.id);
    if g.count == 0 {
        c.push(&e, Rule::NonPositiveRating, "count must be at least 1");
    }
    let transformer = c.lookup(&e, Kind::Transformer, ids, &g.transformer);
    let cooling = c.lookup(&e, Kind::CoolingLoop, ids, &g.cooling);
    let initial = g.units.as_ref().and_then(|u| {
        let m = c.lookup(&e, Kind::UnitModel, ids, &u.model)?;
        c.units_per_rack(&e, u.per_rack).then_some((m, u.per_rack))
    });
    RackGroupSpec {
        id: g.id.clone(),
        count: g.count,
        transformer: transformer.unwrap_or(0),
        cooling: cooling.unwrap_or(0),
        initial,
        initial_age_months: g
            .units
            .as_ref()
            .map_or(0, |u| age_at_start(c, &e, u, start)),
    }
}

/// Whole months the starting units have been in service at the start month: 0 without
/// an `in_service_since`; a malformed date is `bad-date`, a date after the start month
/// `in-service-after-start` (a starting fleet cannot be younger than the run).
fn age_at_start(c: &mut Checker, e: &str, u: &RackUnits, start: YearMonth) -> u32 {
    let Some(text) = &u.in_service_since else {
        return 0;
    };
    match YearMonth::parse(text) {
        Ok(since) => {
            let age = start.months_since(since);
            if age < 0 {
                c.push(
                    e,
                    Rule::InServiceAfterStart,
                    format!(
                        "units.in_service_since {text} is after the start month {start}: \
                         units a rack starts with are in service by then"
                    ),
                );
            }
            u32::try_from(age).unwrap_or(0)
        }
        Err(err) => {
            c.push(e, Rule::BadDate, format!("units.in_service_since: {err}"));
            0
        }
    }
}
