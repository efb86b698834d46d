//! The debug-build audit: recomputes every load and total from the unit batches, entity
//! by entity, and compares them with the incrementally kept components.

use super::{
    AsicFleet, Cooling, Equipment, Facility, FedBy, LeasedLoad, Lifecycle, Load, Rack, RackLoad,
    Rating, Totals, UnitBatch,
};
use crate::power::{FACILITY_TOLERANCE_W, whole_watts};
use crate::scenario::Contract;
use crate::scenario::{ModelKind, Scenario};
use hecs::Entity;
use std::collections::HashMap;

/// Loads and totals recomputed from energised unit batches.
#[derive(Default)]
struct Recomputed {
    equipment_milliwatts: HashMap<Entity, u128>,
    rack_w: HashMap<Entity, u64>,
    fleets: HashMap<(usize, Entity), (u64, u64)>,
    leased_w: HashMap<Entity, u64>,
    totals: Totals,
}

fn recompute(f: &Facility, s: &Scenario) -> Recomputed {
    let mut r = Recomputed::default();
    let w = &f.world;
    for (batch, state) in w.query::<(&UnitBatch, &Lifecycle)>().iter() {
        if *state != Lifecycle::Energised {
            continue;
        }
        let m = &s.models[batch.model];
        let n = u64::from(batch.count);
        let it_w = m.power_w * n;
        *r.rack_w.entry(batch.rack).or_default() += it_w;
        let rack = *w.get::<&Rack>(batch.rack).expect("batch in a rack");
        let path_milli = w
            .get::<&Cooling>(rack.cooling)
            .expect("loop plant")
            .path_milli;
        let substation = w.get::<&FedBy>(rack.transformer).expect("fed").0;
        let path = u128::from(it_w) * u128::from(path_milli);
        *r.equipment_milliwatts.entry(rack.cooling).or_default() += u128::from(it_w) * 1000;
        *r.equipment_milliwatts.entry(rack.transformer).or_default() += path;
        *r.equipment_milliwatts.entry(substation).or_default() += path;
        match m.kind {
            ModelKind::Asic { hashrate_gh_s } => {
                r.totals.asic_it_w += it_w;
                let fleet = r.fleets.entry((batch.model, rack.cooling)).or_default();
                fleet.0 += it_w;
                fleet.1 += hashrate_gh_s * n;
            }
            ModelKind::Gpu { gpus } => {
                r.totals.gpu_it_w += it_w;
                match batch.contract {
                    Contract::Lease => {
                        r.totals.lease_it_w += it_w;
                        *r.leased_w.entry(rack.cooling).or_default() += it_w;
                    }
                    Contract::Rental => r.totals.rental_gpus += u64::from(gpus) * n,
                }
            }
        }
    }
    r
}

/// Energised IT of one rack group's batches and the part of it under lease, W, batch by
/// batch.
fn group_it_w(f: &Facility, s: &Scenario, units: &[Entity]) -> (u64, u64) {
    let (mut it, mut lease) = (0, 0);
    for &u in units {
        let b = *f
            .world
            .get::<&UnitBatch>(u)
            .expect("a listed batch is live");
        if *f
            .world
            .get::<&Lifecycle>(u)
            .expect("a batch has a lifecycle")
            != Lifecycle::Energised
        {
            continue;
        }
        let w = s.models[b.model].power_w * u64::from(b.count);
        it += w;
        if b.contract == Contract::Lease && matches!(s.models[b.model].kind, ModelKind::Gpu { .. })
        {
            lease += w;
        }
    }
    (it, lease)
}

/// Recomputes loads and totals from the entities and checks them against the
/// incremental figures and every limit. Returns a description of each discrepancy.
pub fn audit(f: &Facility, s: &Scenario) -> Vec<String> {
    let r = recompute(f, s);
    let mut errors = Vec::new();
    let w = &f.world;
    if r.totals != f.totals {
        errors.push(format!(
            "incremental totals {:?} differ from recomputed {:?}",
            f.totals, r.totals
        ));
    }
    for (g, units) in f.units.iter().enumerate() {
        let recomputed = group_it_w(f, s, units);
        if recomputed != f.group_it_w[g] {
            errors.push(format!(
                "rack group {}: incremental (IT W, leased W) {:?} differ from recomputed {recomputed:?}",
                s.racks[g].id, f.group_it_w[g]
            ));
        }
    }
    for (e, eq, load, rating) in w.query::<(Entity, &Equipment, &Load, &Rating)>().iter() {
        let name = s.equipment_name(eq.0);
        let recomputed = r.equipment_milliwatts.get(&e).copied().unwrap_or(0);
        if recomputed != load.milliwatts {
            errors.push(format!(
                "{name}: incremental load {} mW differs from recomputed {recomputed} mW",
                load.milliwatts
            ));
        }
        if whole_watts(recomputed) > rating.w {
            errors.push(format!(
                "limit exceeded: {name} carries {} W over its rating {} W",
                whole_watts(recomputed),
                rating.w
            ));
        }
    }
    for (e, leased) in w.query::<(Entity, &LeasedLoad)>().iter() {
        let recomputed = r.leased_w.get(&e).copied().unwrap_or(0);
        if recomputed != leased.it_w {
            errors.push(format!(
                "leased load {} W differs from recomputed {recomputed} W",
                leased.it_w
            ));
        }
    }
    for fleet in w.query::<&AsicFleet>().iter() {
        let recomputed = r
            .fleets
            .get(&(fleet.model, fleet.cooling))
            .copied()
            .unwrap_or((0, 0));
        if recomputed != (fleet.it_w, fleet.hashrate_gh_s) {
            errors.push(format!(
                "ASIC fleet of {}: ({} W, {} GH/s) differs from recomputed {recomputed:?}",
                s.models[fleet.model].id, fleet.it_w, fleet.hashrate_gh_s
            ));
        }
    }
    check_racks(f, s, &r, &mut errors);
    if f.site_power() != f.site_power_w {
        errors.push(format!(
            "site power {:?} W differs from the loops' {:?} W",
            f.site_power_w,
            f.site_power()
        ));
    }
    errors.extend(f.pool_overloads(s));
    let facility = f.facility_w();
    if facility > s.interconnect_w as f64 + FACILITY_TOLERANCE_W {
        errors.push(format!(
            "limit exceeded: site interconnect carries {facility} W over {} W",
            s.interconnect_w
        ));
    }
    errors
}

fn check_racks(f: &Facility, s: &Scenario, r: &Recomputed, errors: &mut Vec<String>) {
    let w = &f.world;
    for (rack, rk, l) in w.query::<(Entity, &Rack, &RackLoad)>().iter() {
        let recomputed = r.rack_w.get(&rack).copied().unwrap_or(0);
        if recomputed != l.w {
            errors.push(format!(
                "rack load {} W differs from units {recomputed} W",
                l.w
            ));
        }
        let max = w
            .get::<&Cooling>(rk.cooling)
            .expect("loop plant")
            .max_rack_w;
        if l.w > max {
            errors.push(format!(
                "rack in group {} draws {} W over the density limit {max} W",
                s.racks[rk.group].id, l.w
            ));
        }
    }
}
