//! The equipment section (substations, transformers, cooling loops) and the catalogue
//! of unit models.

use super::{
    Checker, Ids, Kind, MAX_COOLING_KW, MAX_GPUS_PER_UNIT, MAX_HASHRATE_TH_S, MAX_LEAD_TIME_WEEKS,
    MAX_PUE, MAX_RATING_MW, MAX_UNIT_POWER_W, MAX_USD, Rule, kw_to_w, mw_to_w,
};
use crate::dist::{Dist, Quantity};
use crate::scenario::{
    CoolingLoopSpec, EquipmentRef, ModelKind, ModelSpec, SubstationSpec, SupplySpec,
    TransformerSpec,
};
use crate::world::{CoolingLoop, UnitModel, WorldFile};

/// The checked equipment, indexed like the file.
pub(super) struct Equipment {
    pub substations: Vec<SubstationSpec>,
    pub transformers: Vec<TransformerSpec>,
    pub cooling_loops: Vec<CoolingLoopSpec>,
}

impl Equipment {
    /// How an item is supplied; `None` for an index left dangling by an unknown
    /// reference (already reported).
    pub fn supply(&self, r: EquipmentRef) -> Option<SupplySpec> {
        match r {
            EquipmentRef::Substation(i) => self.substations.get(i).map(|x| x.supply),
            EquipmentRef::Transformer(i) => self.transformers.get(i).map(|x| x.supply),
            EquipmentRef::CoolingLoop(i) => self.cooling_loops.get(i).map(|x| x.supply),
        }
    }

    /// The item's label, e.g. `transformer T1`, if it exists.
    pub fn name(&self, r: EquipmentRef) -> Option<String> {
        Some(match r {
            EquipmentRef::Substation(i) => Kind::Substation.label(&self.substations.get(i)?.id),
            EquipmentRef::Transformer(i) => Kind::Transformer.label(&self.transformers.get(i)?.id),
            EquipmentRef::CoolingLoop(i) => Kind::CoolingLoop.label(&self.cooling_loops.get(i)?.id),
        })
    }

    /// Every item, substations first, then transformers, then cooling loops.
    pub fn all(&self) -> impl Iterator<Item = EquipmentRef> {
        (0..self.substations.len())
            .map(EquipmentRef::Substation)
            .chain((0..self.transformers.len()).map(EquipmentRef::Transformer))
            .chain((0..self.cooling_loops.len()).map(EquipmentRef::CoolingLoop))
    }
}

pub(super) fn check(c: &mut Checker, world: &WorldFile, ids: &Ids) -> Equipment {
    let power_factor = world.site.power_factor;
    let substations = world
        .substations
        .iter()
        .map(|x| {
            let e = Kind::Substation.label(&x.id);
            c.rating(&e, "capacity_mw", x.capacity_mw, MAX_RATING_MW);
            SubstationSpec {
                id: x.id.clone(),
                capacity_w: mw_to_w(x.capacity_mw),
                supply: c.supply(&e, x.supply),
            }
        })
        .collect();
    let transformers = world
        .transformers
        .iter()
        .map(|x| {
            let e = Kind::Transformer.label(&x.id);
            c.rating(&e, "rating_mva", x.rating_mva, MAX_RATING_MW);
            let substation = c.lookup(&e, Kind::Substation, ids, &x.substation);
            TransformerSpec {
                id: x.id.clone(),
                substation: substation.unwrap_or(0),
                capacity_w: mw_to_w(x.rating_mva * power_factor),
                supply: c.supply(&e, x.supply),
            }
        })
        .collect();
    let cooling_loops = world
        .cooling_loops
        .iter()
        .map(|x| cooling_loop(c, x))
        .collect();
    Equipment {
        substations,
        transformers,
        cooling_loops,
    }
}

fn cooling_loop(c: &mut Checker, x: &CoolingLoop) -> CoolingLoopSpec {
    let e = Kind::CoolingLoop.label(&x.id);
    c.rating(&e, "heat_rejection_kw", x.heat_rejection_kw, MAX_COOLING_KW);
    c.rating(&e, "max_rack_kw", x.max_rack_kw, MAX_COOLING_KW);
    let pue_dist = pue(c, &e, x.pue);
    let mut spec = CoolingLoopSpec {
        id: x.id.clone(),
        kind: x.kind,
        heat_rejection_w: kw_to_w(x.heat_rejection_kw),
        max_rack_w: kw_to_w(x.max_rack_kw),
        pue: pue_dist.median(),
        pue_dist,
        plant_feed: x.plant_feed,
        path_milli: 1000,
        supply: c.supply(&e, x.supply),
    };
    spec.path_milli = spec.path_milli_at(spec.pue);
    spec
}

/// A loop's PUE: every value it can take (a number, or each draw of a distribution)
/// within `1.0..=MAX_PUE`. A refused PUE is replaced by 1.0 so later checks still run.
fn pue(c: &mut Checker, e: &str, q: Quantity) -> Dist {
    let d = q.dist();
    if let Err(msg) = d.validate() {
        c.push(e, Rule::BadDistribution, format!("pue: {msg}"));
        return Dist::Fixed(1.0);
    }
    if d.lower() < 1.0 {
        let why = match d {
            Dist::LogNormal { .. } => {
                "a LogNormal's draws reach down to 0; give a bounded Uniform or Triangular".into()
            }
            Dist::Fixed(v) => format!("got {v}"),
            _ => format!("its distribution can draw {}", d.lower()),
        };
        c.push(
            e,
            Rule::PueBelowOne,
            format!("pue must be at least 1.0 (facility power includes the IT power): {why}"),
        );
        return Dist::Fixed(1.0);
    }
    if d.upper() > MAX_PUE {
        c.push(
            e,
            Rule::PueTooHigh,
            format!(
                "pue can reach {}, above the {MAX_PUE} no operating data centre reports \
                 (the industry average is 1.56–1.58)",
                d.upper()
            ),
        );
        return Dist::Fixed(1.0);
    }
    d
}

/// The unit catalogue.
pub(super) fn models(c: &mut Checker, models: &[UnitModel]) -> Vec<ModelSpec> {
    models.iter().map(|m| model(c, m)).collect()
}

fn model(c: &mut Checker, m: &UnitModel) -> ModelSpec {
    let e = Kind::UnitModel.label(m.id());
    let (kind, power_w, cost_usd, lead_time_weeks) = match m {
        UnitModel::Asic {
            hashrate_th_s,
            power_w,
            cost_usd,
            lead_time_weeks,
            ..
        } => {
            c.rating(&e, "hashrate_th_s", *hashrate_th_s, MAX_HASHRATE_TH_S);
            let hashrate_gh_s = (hashrate_th_s * 1e3).round() as u64;
            let kind = ModelKind::Asic { hashrate_gh_s };
            (kind, power_w, cost_usd, lead_time_weeks)
        }
        UnitModel::GpuServer {
            gpus,
            power_w,
            cost_usd,
            lead_time_weeks,
            ..
        } => {
            c.rating(&e, "gpus", f64::from(*gpus), f64::from(MAX_GPUS_PER_UNIT));
            (
                ModelKind::Gpu { gpus: *gpus },
                power_w,
                cost_usd,
                lead_time_weeks,
            )
        }
    };
    c.rating(&e, "power_w", *power_w, MAX_UNIT_POWER_W);
    c.within(&e, "cost_usd", *cost_usd, 0.0, MAX_USD);
    let lead = c.dist(&e, "lead_time_weeks", *lead_time_weeks, MAX_LEAD_TIME_WEEKS);
    ModelSpec {
        id: m.id().to_string(),
        kind,
        power_w: power_w.round() as u64,
        cost_usd: *cost_usd,
        lead_time_weeks: lead,
    }
}
