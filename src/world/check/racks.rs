//! The racks section: each group's size, power path, cooling and starting units.

use super::{Checker, Ids, Kind, MAX_RACKS, Rule};
use crate::scenario::RackGroupSpec;
use crate::world::RackGroup;

pub(super) fn check(c: &mut Checker, groups: &[RackGroup], ids: &Ids) -> Vec<RackGroupSpec> {
    let racks: Vec<RackGroupSpec> = groups.iter().map(|g| group(c, g, ids)).collect();
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

fn group(c: &mut Checker, g: &RackGroup, ids: &Ids) -> RackGroupSpec {
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
    }
}
