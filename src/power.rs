//! Capacity and density limits along a unit's power path.
//!
//! A unit in a rack draws IT power through its rack's transformer and that
//! transformer's substation, rejects its heat into the rack's cooling loop, and draws
//! facility power (IT × the loop's PUE) through the site interconnect. Transformers and
//! substations carry IT load, plus the cooling plant of loops whose `plant_feed` is
//! `RackTransformers`; other cooling plant is fed separately and counts only against
//! the interconnect. All loads are integers (W, or mW on the power path), so sums are
//! exact.

use crate::scenario::{EquipmentRef, Scenario};
use std::fmt;

/// The kinds of limit an action can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// Equipment to install has not been delivered (the plan lacks an `after` link).
    AwaitingDelivery,
    /// A piece of equipment on the path is not yet in service.
    NotInService,
    /// kW per rack above the cooling loop's maximum rack density.
    RackDensity,
    /// Heat above the cooling loop's heat-rejection capacity.
    CoolingCapacity,
    /// Load (IT, plus cooling plant fed from it) above the transformer's rating.
    TransformerRating,
    /// Load (IT, plus cooling plant fed through it) above the substation's capacity.
    SubstationCapacity,
    /// Facility power (IT × PUE) above the grid interconnect.
    Interconnect,
}

impl LimitKind {
    /// Stable short name, used in CSV files and summaries.
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::AwaitingDelivery => "awaiting-delivery",
            LimitKind::NotInService => "not-in-service",
            LimitKind::RackDensity => "rack-density",
            LimitKind::CoolingCapacity => "cooling-capacity",
            LimitKind::TransformerRating => "transformer-rating",
            LimitKind::SubstationCapacity => "substation-capacity",
            LimitKind::Interconnect => "interconnect",
        }
    }
}

/// Why an action cannot draw power now: the limit, the entity that enforces it, and the
/// numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    /// Which limit.
    pub limit: LimitKind,
    /// The entity enforcing it, e.g. `transformer T1`.
    pub entity: String,
    /// Power the action needs, in W (per rack for density; facility W for interconnect).
    pub need_w: f64,
    /// Power still free under the limit, in W.
    pub free_w: f64,
    /// The limit itself, in W.
    pub capacity_w: f64,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            LimitKind::NotInService => return write!(f, "{} is not in service yet", self.entity),
            LimitKind::AwaitingDelivery => {
                return write!(f, "{} has not been delivered yet", self.entity);
            }
            _ => {}
        }
        let unit = |w: f64| {
            if w.abs() >= 1e6 {
                format!("{:.2} MW", w / 1e6)
            } else {
                format!("{:.1} kW", w / 1e3)
            }
        };
        if self.limit == LimitKind::RackDensity {
            let used = self.capacity_w - self.free_w;
            return write!(
                f,
                "{} rack density limit: each rack would draw {}, above the {} per rack it allows",
                self.entity,
                unit(used + self.need_w),
                unit(self.capacity_w)
            );
        }
        let what = match self.limit {
            LimitKind::RackDensity => "rack density limit",
            LimitKind::CoolingCapacity => "heat-rejection capacity",
            LimitKind::TransformerRating => "rating",
            LimitKind::SubstationCapacity => "capacity",
            LimitKind::Interconnect => "limit",
            LimitKind::NotInService | LimitKind::AwaitingDelivery => "",
        };
        write!(
            f,
            "{} {what}: needs {} but only {} of {} is free",
            self.entity,
            unit(self.need_w),
            unit(self.free_w.max(0.0)),
            unit(self.capacity_w)
        )
    }
}

/// Aggregate loads, indexed like the scenario's equipment lists. Transformer and
/// substation loads are in milliwatts so that a cooling plant fed through the racks'
/// transformer (IT × PUE, PUE to 0.001) still adds up exactly in integers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Loads {
    /// Load per substation, mW (u128: the largest accepted world reaches 10^21 mW).
    pub substation_milliwatts: Vec<u128>,
    /// Load per transformer, mW.
    pub transformer_milliwatts: Vec<u128>,
    /// IT W per cooling loop (all of it becomes heat).
    pub cooling_w: Vec<u64>,
}

impl Loads {
    /// All-zero loads for a scenario.
    pub fn zero(s: &Scenario) -> Self {
        Self {
            substation_milliwatts: vec![0; s.substations.len()],
            transformer_milliwatts: vec![0; s.transformers.len()],
            cooling_w: vec![0; s.cooling_loops.len()],
        }
    }

    /// Adds (or with `add == false` removes) `it_w` of IT load on rack group `group`'s
    /// path.
    pub fn apply(&mut self, s: &Scenario, group: usize, it_w: u64, add: bool) {
        let g = &s.racks[group];
        let t = g.transformer;
        let sub = s.transformers[t].substation;
        let path = u128::from(it_w) * u128::from(s.cooling_loops[g.cooling].path_milli);
        let (tr, su) = (
            &mut self.transformer_milliwatts[t],
            &mut self.substation_milliwatts[sub],
        );
        let heat = &mut self.cooling_w[g.cooling];
        if add {
            (*tr, *su, *heat) = (*tr + path, *su + path, *heat + it_w);
        } else {
            (*tr, *su, *heat) = (*tr - path, *su - path, *heat - it_w);
        }
    }

    /// Facility power in W: Σ over loops of IT × PUE.
    pub fn facility_w(&self, s: &Scenario) -> f64 {
        self.cooling_w
            .iter()
            .zip(&s.cooling_loops)
            .map(|(&w, l)| w as f64 * l.pue)
            .sum()
    }
}

/// Tolerance for comparing float facility power against the interconnect, so that a
/// load exactly at the limit is not refused for a rounding error.
pub(crate) const FACILITY_TOLERANCE_W: f64 = 1e-3;

/// One piece of equipment on a rack group's path, as the limit check reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathItem {
    /// Which item.
    pub equipment: EquipmentRef,
    /// Whether it can carry load now.
    pub in_service: bool,
    /// Its load now, mW: IT plus plant fed through it for transformers and substations,
    /// heat (IT) × 1000 for cooling loops.
    pub load_milliwatts: u128,
    /// Its rating, W.
    pub rating_w: u64,
}

/// What the limit check needs to know about a rack group's path right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathView {
    /// The racks' cooling loop.
    pub cooling: PathItem,
    /// The racks' transformer.
    pub transformer: PathItem,
    /// The transformer's substation.
    pub substation: PathItem,
    /// IT load of the group's fullest rack, W.
    pub max_rack_load_w: u64,
    /// Facility power of the whole site (IT × PUE), W.
    pub facility_w: f64,
    /// The racks' cooling loop's PUE: this run's draw in the engine, the checked value
    /// in the static checks.
    pub pue: f64,
    /// Load on the racks' transformer and substation per W of IT at that PUE, mW.
    pub path_milli: u64,
}

/// Checks that adding `per_rack_w` to every rack of `group` breaks no limit on its path
/// `p`: equipment in service (cooling loop, transformer, substation, in that order),
/// then rack density, cooling, transformer, substation and interconnect.
pub fn check_path(
    s: &Scenario,
    group: usize,
    p: &PathView,
    per_rack_w: u64,
) -> Result<(), Blocked> {
    let g = &s.racks[group];
    let lp = &s.cooling_loops[g.cooling];
    if let Some(item) = [p.cooling, p.transformer, p.substation]
        .iter()
        .find(|it| !it.in_service)
    {
        return Err(Blocked {
            limit: LimitKind::NotInService,
            entity: s.equipment_name(item.equipment),
            need_w: 0.0,
            free_w: 0.0,
            capacity_w: 0.0,
        });
    }
    let total_w = per_rack_w * u64::from(g.count);
    let path_mw = u128::from(total_w) * u128::from(p.path_milli);
    let rated = |it: &PathItem| u128::from(it.rating_w) * 1000;
    // (limit, load now, load added, capacity, units per W); names are formatted only on
    // failure, as this runs on every energising attempt.
    let checks = [
        (
            LimitKind::RackDensity,
            u128::from(p.max_rack_load_w),
            u128::from(per_rack_w),
            u128::from(lp.max_rack_w),
            1,
        ),
        (
            LimitKind::CoolingCapacity,
            p.cooling.load_milliwatts,
            u128::from(total_w) * 1000,
            rated(&p.cooling),
            1000,
        ),
        (
            LimitKind::TransformerRating,
            p.transformer.load_milliwatts,
            path_mw,
            rated(&p.transformer),
            1000,
        ),
        (
            LimitKind::SubstationCapacity,
            p.substation.load_milliwatts,
            path_mw,
            rated(&p.substation),
            1000,
        ),
    ];
    if let Some(&(limit, load, need, cap, per_w)) = checks
        .iter()
        .find(|&&(_, load, need, cap, _)| load.saturating_add(need) > cap)
    {
        let w = |v: u128| v as f64 / per_w as f64;
        return Err(Blocked {
            limit,
            entity: limit_entity(s, group, p, limit),
            need_w: w(need),
            free_w: w(cap) - w(load),
            capacity_w: w(cap),
        });
    }
    check_interconnect(s, p.facility_w, total_w as f64 * p.pue)
}

/// The name of what enforces `limit` on `group`'s path, e.g. `transformer T1`.
fn limit_entity(s: &Scenario, group: usize, p: &PathView, limit: LimitKind) -> String {
    let g = &s.racks[group];
    match limit {
        LimitKind::RackDensity => format!(
            "{} ({}) for racks {}",
            s.equipment_name(p.cooling.equipment),
            s.cooling_loops[g.cooling].kind.name(),
            g.id
        ),
        LimitKind::CoolingCapacity => s.equipment_name(p.cooling.equipment),
        LimitKind::TransformerRating => s.equipment_name(p.transformer.equipment),
        _ => s.equipment_name(p.substation.equipment),
    }
}

/// Checks that adding `need_w` of facility power to `facility_w` stays within the
/// interconnect.
fn check_interconnect(s: &Scenario, facility_w: f64, need_w: f64) -> Result<(), Blocked> {
    let cap = s.interconnect_w as f64;
    if facility_w + need_w > cap + FACILITY_TOLERANCE_W {
        return Err(Blocked {
            limit: LimitKind::Interconnect,
            entity: "site interconnect".into(),
            need_w,
            free_w: cap - facility_w,
            capacity_w: cap,
        });
    }
    Ok(())
}

/// Checks that adding `per_rack_w` to every rack of `group` (whose fullest rack already
/// draws `max_rack_load_w`) breaks no limit, with the loads of `loads`; `in_service`
/// says whether an item is. The static checks' entry to [`check_path`].
pub fn check_add(
    s: &Scenario,
    loads: &Loads,
    in_service: impl Fn(EquipmentRef) -> bool,
    group: usize,
    max_rack_load_w: u64,
    per_rack_w: u64,
) -> Result<(), Blocked> {
    let g = &s.racks[group];
    let t = g.transformer;
    let sub = s.transformers[t].substation;
    let item = |equipment, load_milliwatts| PathItem {
        equipment,
        in_service: in_service(equipment),
        load_milliwatts,
        rating_w: s.equipment_capacity_w(equipment),
    };
    let view = PathView {
        cooling: item(
            EquipmentRef::CoolingLoop(g.cooling),
            u128::from(loads.cooling_w[g.cooling]) * 1000,
        ),
        transformer: item(
            EquipmentRef::Transformer(t),
            loads.transformer_milliwatts[t],
        ),
        substation: item(
            EquipmentRef::Substation(sub),
            loads.substation_milliwatts[sub],
        ),
        max_rack_load_w,
        facility_w: loads.facility_w(s),
        pue: s.cooling_loops[g.cooling].pue,
        path_milli: s.cooling_loops[g.cooling].path_milli,
    };
    check_path(s, group, &view, per_rack_w)
}

/// Where a limit sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitAt {
    /// A substation, transformer or cooling loop.
    Equipment(EquipmentRef),
    /// The racks of a rack group (index into [`Scenario::racks`]), whose density their
    /// cooling loop limits.
    Racks(usize),
    /// The site's grid interconnect.
    Interconnect,
}

impl LimitAt {
    /// A readable name, e.g. `transformer T1` or `site interconnect`.
    pub fn name(self, s: &Scenario) -> String {
        match self {
            LimitAt::Equipment(e) => s.equipment_name(e),
            LimitAt::Racks(g) => format!("rack group {}", s.racks[g].id),
            LimitAt::Interconnect => "site interconnect".into(),
        }
    }
}

/// A limit that a load breaks, kept typed so that the caller words it (the checker as a
/// problem, the audit as an error).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overload {
    /// Which limit.
    pub limit: LimitKind,
    /// Where it sits.
    pub at: LimitAt,
    /// The load, in W (per rack for density; facility W for the interconnect).
    pub load_w: f64,
    /// The limit, in W.
    pub capacity_w: f64,
}

/// The power path of rack group `group`: its cooling loop, transformer and substation.
pub fn path(s: &Scenario, group: usize) -> [EquipmentRef; 3] {
    let g = &s.racks[group];
    [
        EquipmentRef::CoolingLoop(g.cooling),
        EquipmentRef::Transformer(g.transformer),
        EquipmentRef::Substation(s.transformers[g.transformer].substation),
    ]
}

/// The density limit, if racks of `group` drawing `per_rack_w` each break it.
pub fn density_overload(s: &Scenario, group: usize, per_rack_w: u64) -> Option<Overload> {
    let max = s.cooling_loops[s.racks[group].cooling].max_rack_w;
    (per_rack_w > max).then_some(Overload {
        limit: LimitKind::RackDensity,
        at: LimitAt::Racks(group),
        load_w: per_rack_w as f64,
        capacity_w: max as f64,
    })
}

/// Every aggregate limit that `loads` breaks (empty when all hold).
pub fn overloads(s: &Scenario, loads: &Loads) -> Vec<Overload> {
    let mut out = Vec::new();
    let mut over = |limit, at, load: u64, cap: u64| {
        if load > cap {
            out.push(Overload {
                limit,
                at: LimitAt::Equipment(at),
                load_w: load as f64,
                capacity_w: cap as f64,
            });
        }
    };
    for (i, (l, &w)) in s.cooling_loops.iter().zip(&loads.cooling_w).enumerate() {
        let at = EquipmentRef::CoolingLoop(i);
        over(LimitKind::CoolingCapacity, at, w, l.heat_rejection_w);
    }
    // Transformer and substation loads are in mW; whole watts are compared exactly.
    for (i, (t, &mw)) in s
        .transformers
        .iter()
        .zip(&loads.transformer_milliwatts)
        .enumerate()
    {
        let at = EquipmentRef::Transformer(i);
        over(
            LimitKind::TransformerRating,
            at,
            whole_watts(mw),
            t.capacity_w,
        );
    }
    for (i, (b, &mw)) in s
        .substations
        .iter()
        .zip(&loads.substation_milliwatts)
        .enumerate()
    {
        let at = EquipmentRef::Substation(i);
        over(
            LimitKind::SubstationCapacity,
            at,
            whole_watts(mw),
            b.capacity_w,
        );
    }
    let facility = loads.facility_w(s);
    if facility > s.interconnect_w as f64 + FACILITY_TOLERANCE_W {
        out.push(Overload {
            limit: LimitKind::Interconnect,
            at: LimitAt::Interconnect,
            load_w: facility,
            capacity_w: s.interconnect_w as f64,
        });
    }
    out
}

/// A load in mW rounded up to whole watts, to compare with a rating exactly.
pub fn whole_watts(milliwatts: u128) -> u64 {
    u64::try_from(milliwatts.div_ceil(1000)).unwrap_or(u64::MAX)
}
