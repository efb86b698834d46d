//! The site as an ECS world (hecs): one entity per substation, transformer, cooling loop
//! and rack, and one per batch of identical units in a rack.
//!
//! Entities carry ratings, topology links and lifecycle state. Aggregate loads along the
//! power path ([`Loads`]) and site totals ([`Totals`]) are kept incrementally as units
//! change state, so month-end accounting never re-scans units; [`Facility::audit`]
//! recomputes them from the entities to prove the two agree and no limit is exceeded.

use crate::power::{self, Blocked, Loads};
use crate::scenario::{EquipmentRef, ModelKind, Scenario, SupplySpec};
use crate::world::Contract;
use hecs::{Entity, World};

/// Where an entity is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lifecycle {
    /// On site and in service at the start.
    Existing,
    /// Declared, not yet ordered.
    Planned,
    /// Ordered, awaiting delivery.
    Ordered,
    /// Delivered, awaiting installation.
    Delivered,
    /// Installed and in service (equipment) or installed awaiting power (units).
    Installed,
    /// Drawing power.
    Energised,
    /// Switched off and removed.
    Decommissioned,
}

impl Lifecycle {
    /// True for equipment that can carry load.
    pub fn in_service(self) -> bool {
        matches!(self, Lifecycle::Existing | Lifecycle::Installed)
    }
}

/// Human-readable id of an entity (for logs and errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(pub String);

/// Which scenario item an equipment entity stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Equipment(pub EquipmentRef);

/// Capacity of a substation, transformer (real power) or cooling loop (heat), in W.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingW(pub u64);

/// A transformer's link to the substation that feeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FedBy(pub Entity);

/// A rack: its group and the equipment on its power and cooling path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rack {
    /// Index of its rack group.
    pub group: usize,
    /// Transformer entity.
    pub transformer: Entity,
    /// Cooling loop entity.
    pub cooling: Entity,
}

/// IT load of a rack in W.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RackLoadW(pub u64);

/// A batch of identical units in one rack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitBatch {
    /// The rack entity holding them.
    pub rack: Entity,
    /// Index of the rack group.
    pub group: usize,
    /// Model index.
    pub model: usize,
    /// Number of units.
    pub count: u32,
    /// How GPU units earn (ignored for ASICs).
    pub contract: Contract,
}

/// Site totals of energised units, kept incrementally.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// ASIC IT load, W.
    pub asic_it_w: u64,
    /// GPU IT load, W.
    pub gpu_it_w: u64,
    /// GPU IT load under lease contracts, W.
    pub lease_it_w: u64,
    /// Leased GPU IT load per cooling loop, W (for power pass-through).
    pub lease_it_w_by_loop: Vec<u64>,
    /// ASIC hashrate, GH/s.
    pub hashrate_gh_s: u64,
    /// Energised ASICs per (model, cooling loop), indexed `model * loops + loop`, so
    /// accounting can switch off exactly the fleets that would mine at a loss.
    pub asic_cells: Vec<AsicCell>,
    /// GPUs under rental contracts.
    pub rental_gpus: u64,
    /// Energised units (servers or miners).
    pub units: u64,
}

/// Energised ASICs of one model on one cooling loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsicCell {
    /// IT load, W.
    pub it_w: u64,
    /// Hashrate, GH/s.
    pub hashrate_gh_s: u64,
}

/// The ECS world plus the indices the engine needs to address it.
pub struct Facility {
    /// The entities.
    pub world: World,
    /// Substation entities by scenario index.
    pub substations: Vec<Entity>,
    /// Transformer entities by scenario index.
    pub transformers: Vec<Entity>,
    /// Cooling-loop entities by scenario index.
    pub cooling_loops: Vec<Entity>,
    /// Rack entities per rack group.
    pub racks: Vec<Vec<Entity>>,
    /// Unit-batch entities per rack group, in installation order.
    pub units: Vec<Vec<Entity>>,
    /// Aggregate IT loads along the power path.
    pub loads: Loads,
    /// Site totals.
    pub totals: Totals,
}

impl Facility {
    /// Spawns the starting site: equipment in its starting state and every rack group's
    /// initial units energised.
    pub fn spawn(s: &Scenario) -> Self {
        let mut world = World::new();
        let state = |supply: SupplySpec| match supply {
            SupplySpec::Existing => Lifecycle::Existing,
            SupplySpec::ToOrder { .. } => Lifecycle::Planned,
        };
        let substations: Vec<Entity> = s
            .substations
            .iter()
            .enumerate()
            .map(|(i, x)| {
                world.spawn((
                    Name(x.id.clone()),
                    Equipment(EquipmentRef::Substation(i)),
                    RatingW(x.capacity_w),
                    state(x.supply),
                ))
            })
            .collect();
        let transformers: Vec<Entity> = s
            .transformers
            .iter()
            .enumerate()
            .map(|(i, x)| {
                world.spawn((
                    Name(x.id.clone()),
                    Equipment(EquipmentRef::Transformer(i)),
                    RatingW(x.capacity_w),
                    FedBy(substations[x.substation]),
                    state(x.supply),
                ))
            })
            .collect();
        let cooling_loops: Vec<Entity> = s
            .cooling_loops
            .iter()
            .enumerate()
            .map(|(i, x)| {
                world.spawn((
                    Name(x.id.clone()),
                    Equipment(EquipmentRef::CoolingLoop(i)),
                    RatingW(x.heat_rejection_w),
                    state(x.supply),
                ))
            })
            .collect();
        let racks: Vec<Vec<Entity>> = s
            .racks
            .iter()
            .enumerate()
            .map(|(gi, g)| {
                let rack = Rack {
                    group: gi,
                    transformer: transformers[g.transformer],
                    cooling: cooling_loops[g.cooling],
                };
                world
                    .spawn_batch((0..g.count).map(|_| (rack, RackLoadW(0))))
                    .collect()
            })
            .collect();
        let mut f = Self {
            world,
            substations,
            transformers,
            cooling_loops,
            units: vec![Vec::new(); racks.len()],
            racks,
            loads: Loads::zero(s),
            totals: Totals {
                lease_it_w_by_loop: vec![0; s.cooling_loops.len()],
                asic_cells: vec![AsicCell::default(); s.models.len() * s.cooling_loops.len()],
                ..Totals::default()
            },
        };
        for (gi, g) in s.racks.iter().enumerate() {
            if let Some((model, per_rack)) = g.initial {
                f.energise_group(s, gi, model, per_rack, Contract::Lease);
            }
        }
        f
    }

    /// The entity of an equipment item.
    pub fn equipment(&self, e: EquipmentRef) -> Entity {
        match e {
            EquipmentRef::Substation(i) => self.substations[i],
            EquipmentRef::Transformer(i) => self.transformers[i],
            EquipmentRef::CoolingLoop(i) => self.cooling_loops[i],
        }
    }

    /// Lifecycle state of an equipment item.
    pub fn state(&self, e: EquipmentRef) -> Lifecycle {
        self.world
            .get::<&Lifecycle>(self.equipment(e))
            .map(|s| *s)
            .unwrap_or(Lifecycle::Planned)
    }

    /// Sets the lifecycle state of an equipment item.
    pub fn set_state(&mut self, e: EquipmentRef, state: Lifecycle) {
        if let Ok(mut s) = self.world.get::<&mut Lifecycle>(self.equipment(e)) {
            *s = state;
        }
    }

    fn max_rack_load_w(&self, group: usize) -> u64 {
        self.racks[group]
            .iter()
            .filter_map(|&r| self.world.get::<&RackLoadW>(r).ok().map(|l| l.0))
            .max()
            .unwrap_or(0)
    }

    /// Checks whether `per_rack` units of `model` can be energised in every rack of
    /// `group` now.
    pub fn can_energise(
        &self,
        s: &Scenario,
        group: usize,
        model: usize,
        per_rack: u32,
    ) -> Result<(), Blocked> {
        let per_rack_w = s.models[model].power_w * u64::from(per_rack);
        power::check_add(
            s,
            &self.loads,
            |e| self.state(e).in_service(),
            group,
            self.max_rack_load_w(group),
            per_rack_w,
        )
    }

    /// Installs and energises `per_rack` units of `model` in every rack of `group`.
    /// The caller has checked [`Facility::can_energise`].
    pub fn energise_group(
        &mut self,
        s: &Scenario,
        group: usize,
        model: usize,
        per_rack: u32,
        contract: Contract,
    ) {
        let m = &s.models[model];
        let per_rack_w = m.power_w * u64::from(per_rack);
        let Self {
            world,
            racks,
            units,
            ..
        } = self;
        for &rack in &racks[group] {
            if let Ok(mut l) = world.get::<&mut RackLoadW>(rack) {
                l.0 += per_rack_w;
            }
        }
        // Spawned straight from the rack list: no intermediate Vec per group.
        units[group].extend(world.spawn_batch(racks[group].iter().map(|&rack| {
            (
                UnitBatch {
                    rack,
                    group,
                    model,
                    count: per_rack,
                    contract,
                },
                Lifecycle::Energised,
            )
        })));
        let racks = u64::from(s.racks[group].count);
        self.change_totals(s, group, model, per_rack, contract, racks, true);
    }

    /// Switches off every energised unit in `group`; returns the IT W freed.
    pub fn decommission_group(&mut self, s: &Scenario, group: usize) -> u64 {
        let mut freed = 0;
        let unit_entities = std::mem::take(&mut self.units[group]);
        for &u in &unit_entities {
            let mut q = self.world.query_one::<(&UnitBatch, &mut Lifecycle)>(u);
            let (batch, state) = match q.get().ok() {
                Some((b, st)) => {
                    let was = *st;
                    *st = Lifecycle::Decommissioned;
                    (*b, was)
                }
                None => continue,
            };
            drop(q);
            if state != Lifecycle::Energised {
                continue;
            }
            let w = s.models[batch.model].power_w * u64::from(batch.count);
            if let Ok(mut l) = self.world.get::<&mut RackLoadW>(batch.rack) {
                l.0 -= w;
            }
            freed += w;
            self.change_totals(s, group, batch.model, batch.count, batch.contract, 1, false);
        }
        self.units[group] = unit_entities;
        freed
    }

    #[allow(clippy::too_many_arguments)]
    fn change_totals(
        &mut self,
        s: &Scenario,
        group: usize,
        model: usize,
        per_rack: u32,
        contract: Contract,
        racks: u64,
        add: bool,
    ) {
        let m = &s.models[model];
        let n = u64::from(per_rack) * racks;
        let w = m.power_w * n;
        let t = &mut self.totals;
        let upd = |x: &mut u64, d: u64| *x = if add { *x + d } else { *x - d };
        upd(&mut t.units, n);
        match m.kind {
            ModelKind::Asic { hashrate_gh_s } => {
                upd(&mut t.asic_it_w, w);
                upd(&mut t.hashrate_gh_s, hashrate_gh_s * n);
                let cell =
                    &mut t.asic_cells[model * s.cooling_loops.len() + s.racks[group].cooling];
                upd(&mut cell.it_w, w);
                upd(&mut cell.hashrate_gh_s, hashrate_gh_s * n);
            }
            ModelKind::Gpu { gpus } => {
                upd(&mut t.gpu_it_w, w);
                match contract {
                    Contract::Lease => {
                        upd(&mut t.lease_it_w, w);
                        upd(&mut t.lease_it_w_by_loop[s.racks[group].cooling], w);
                    }
                    Contract::Rental => upd(&mut t.rental_gpus, u64::from(gpus) * n),
                }
            }
        }
        self.loads.apply(s, group, w, add);
    }

    /// Recomputes loads and totals from the entities and checks them against the
    /// incremental figures and every limit. Returns a description of each discrepancy.
    pub fn audit(&self, s: &Scenario) -> Vec<String> {
        let mut errors = Vec::new();
        let mut loads = Loads::zero(s);
        let mut it_w = 0u64;
        let mut rack_w: std::collections::HashMap<Entity, u64> = Default::default();
        for (batch, state) in self.world.query::<(&UnitBatch, &Lifecycle)>().iter() {
            if *state != Lifecycle::Energised {
                continue;
            }
            let w = s.models[batch.model].power_w * u64::from(batch.count);
            loads.apply(s, batch.group, w, true);
            it_w += w;
            *rack_w.entry(batch.rack).or_default() += w;
        }
        if loads != self.loads {
            errors.push(format!(
                "incremental loads {:?} differ from recomputed {:?}",
                self.loads, loads
            ));
        }
        if it_w != self.totals.asic_it_w + self.totals.gpu_it_w {
            errors.push(format!(
                "IT total {} W differs from the sum over energised units {} W",
                self.totals.asic_it_w + self.totals.gpu_it_w,
                it_w
            ));
        }
        for b in power::breaches(s, &loads) {
            errors.push(format!("limit exceeded: {b}"));
        }
        for (rack, r, l) in self.world.query::<(Entity, &Rack, &RackLoadW)>().iter() {
            let recomputed = rack_w.get(&rack).copied().unwrap_or(0);
            if recomputed != l.0 {
                errors.push(format!(
                    "rack load {} W differs from units {recomputed} W",
                    l.0
                ));
            }
            let max = s.cooling_loops[s.racks[r.group].cooling].max_rack_w;
            if l.0 > max {
                errors.push(format!(
                    "rack in group {} draws {} W over the density limit {max} W",
                    s.racks[r.group].id, l.0
                ));
            }
        }
        errors
    }
}
