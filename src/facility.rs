//! The site as an ECS world (hecs): one entity per substation, transformer, cooling
//! loop and rack, one per batch of identical units in a rack, and one per ASIC fleet
//! (the ASICs of one model on one cooling loop, which the operator switches as a whole).
//!
//! State lives in components and systems query it:
//! - equipment entities carry their [`Equipment`] item, [`Lifecycle`], [`Rating`] and
//!   current [`Load`]; a transformer knows the substation that feeds it ([`FedBy`]) and
//!   a cooling loop its plant ([`Cooling`]) and the leased IT it cools ([`LeasedLoad`]);
//! - a [`Rack`] knows its transformer and cooling loop, and carries its [`RackLoad`];
//! - a [`UnitBatch`] knows its rack; an [`AsicFleet`] its cooling loop.
//!
//! The limit check ([`Facility::path`]) walks a rack's path through these components.
//! Loads are kept incrementally as units change state, so accounting never re-scans
//! units; [`audit`] recomputes them from the unit batches to prove the two agree and no
//! limit is exceeded.

mod audit;
pub mod curtail;
pub mod failure;

pub use audit::audit;

use crate::power::{self, Blocked, PathItem, PathView};
use crate::scenario::Contract;
use crate::scenario::{EquipmentRef, ModelKind, Scenario, SupplySpec};
use hecs::{ColumnBatchType, Entity, World};

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
    /// Installed but switched off because its rack's power path failed (unit batches
    /// only); back to `Energised` when power returns. A state in the column rather than
    /// a marker component, so darkening a group moves no entity between archetypes.
    Dark,
    /// Switched off and removed.
    Decommissioned,
}

impl Lifecycle {
    /// True for equipment that can carry load.
    pub fn in_service(self) -> bool {
        matches!(self, Lifecycle::Existing | Lifecycle::Installed)
    }
}

/// Which scenario item an equipment entity stands for (read to name it in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Equipment(pub EquipmentRef);

/// Capacity of a substation, transformer (real power) or cooling loop (heat), W.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    /// The rating, W.
    pub w: u64,
}

/// Current load on a piece of equipment, mW: IT plus the cooling plant fed through it
/// for transformers and substations (so PUE to 0.001 adds up exactly in integers),
/// heat (all IT) for cooling loops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Load {
    /// The load, mW (u128: the largest accepted world reaches 10^21 mW).
    pub milliwatts: u128,
}

/// A transformer's link to the substation that feeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FedBy(pub Entity);

/// A cooling loop's plant: how racks on it load the site. Per-run state: the PUE is this
/// run's draw (the median in the plain run), set by [`Facility::reset`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cooling {
    /// Facility power / IT power in this run.
    pub pue: f64,
    /// Load on the racks' transformer and substation per W of IT at that PUE, mW.
    pub path_milli: u64,
    /// Highest IT load per rack, W.
    pub max_rack_w: u64,
}

/// GPU IT load under lease contracts on a cooling loop, W: the tenant pays its power
/// (at the loop's PUE) when the lease passes power through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeasedLoad {
    /// Leased IT load, W.
    pub it_w: u64,
}

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

/// IT load of a rack, W.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RackLoad {
    /// The load, W.
    pub w: u64,
}

/// A batch of identical units in one rack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitBatch {
    /// The rack entity holding them.
    pub rack: Entity,
    /// Model index.
    pub model: usize,
    /// Number of units.
    pub count: u32,
    /// How GPU units earn (ignored for ASICs).
    pub contract: Contract,
}

/// The energised ASICs of one model on one cooling loop: the unit the operating policy
/// switches off when mining stops paying for its power ([`curtail`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsicFleet {
    /// Model index.
    pub model: usize,
    /// Cooling loop entity (its PUE prices the fleet's power).
    pub cooling: Entity,
    /// IT load, W.
    pub it_w: u64,
    /// Hashrate, GH/s.
    pub hashrate_gh_s: u64,
    /// Switched off in the current stretch of days.
    pub curtailed: bool,
}

/// Site totals of energised units, kept in one resource rather than derived by a query:
/// accounting reads them after every event, and a query would sum ~13,000 unit batches
/// each time. [`audit`] recomputes them from the batches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// ASIC IT load, W.
    pub asic_it_w: u64,
    /// GPU IT load, W.
    pub gpu_it_w: u64,
    /// GPU IT load under lease contracts, W.
    pub lease_it_w: u64,
    /// GPUs under rental contracts.
    pub rental_gpus: u64,
}

/// The ECS world, with the map from the checked scenario's items to their entities.
pub struct Facility {
    world: World,
    substations: Vec<Entity>,
    transformers: Vec<Entity>,
    cooling_loops: Vec<Entity>,
    /// Rack entities per rack group.
    racks: Vec<Vec<Entity>>,
    /// Unit-batch entities per rack group, in installation order.
    units: Vec<Vec<Entity>>,
    /// ASIC fleet entity per (model, cooling loop), `model * loops + loop`; `None` for
    /// GPU models.
    fleets: Vec<Option<Entity>>,
    /// Site totals.
    pub totals: Totals,
    /// Facility and leased facility power, W: derived from the loops' loads by
    /// [`Facility::site_power`] whenever a load changes, because accounting and the
    /// peak tracker read them after every event and loads change far less often.
    site_power_w: (f64, f64),
    /// Energised IT of each rack group and the part of it under lease, W: kept by every
    /// change of energised units, because reliability accounting reads every group's
    /// figure after each such change and a walk over a group's batches per read was a
    /// tenth of a run with failures. [`audit`] recomputes them from the batches.
    group_it_w: Vec<(u64, u64)>,
}

fn start_state(supply: SupplySpec) -> Lifecycle {
    match supply {
        SupplySpec::Existing => Lifecycle::Existing,
        SupplySpec::ToOrder { .. } => Lifecycle::Planned,
    }
}

impl Facility {
    /// Spawns the starting site: equipment in its starting state and every rack group's
    /// initial units energised. A sweep spawns once per worker and [`Facility::reset`]s
    /// between runs.
    pub fn spawn(s: &Scenario) -> Self {
        let mut world = World::new();
        let equipment = |world: &mut World, e: EquipmentRef| {
            world.spawn((
                Equipment(e),
                start_state(s.equipment_supply(e)),
                Rating {
                    w: s.equipment_capacity_w(e),
                },
                Load::default(),
            ))
        };
        let substations: Vec<Entity> = (0..s.substations.len())
            .map(|i| equipment(&mut world, EquipmentRef::Substation(i)))
            .collect();
        let transformers: Vec<Entity> = (0..s.transformers.len())
            .map(|i| {
                let t = equipment(&mut world, EquipmentRef::Transformer(i));
                let fed = FedBy(substations[s.transformers[i].substation]);
                world.insert_one(t, fed).expect("just spawned");
                t
            })
            .collect();
        let cooling_loops: Vec<Entity> = (0..s.cooling_loops.len())
            .map(|i| {
                let l = &s.cooling_loops[i];
                let e = equipment(&mut world, EquipmentRef::CoolingLoop(i));
                let plant = Cooling {
                    pue: l.pue,
                    path_milli: l.path_milli,
                    max_rack_w: l.max_rack_w,
                };
                world
                    .insert(e, (plant, LeasedLoad::default()))
                    .expect("just spawned");
                e
            })
            .collect();
        let racks = spawn_racks(&mut world, s, &transformers, &cooling_loops);
        let fleets = spawn_fleets(&mut world, s, &cooling_loops);
        let units = spawn_starting_batches(&mut world, s, &racks);
        let mut f = Self {
            world,
            substations,
            transformers,
            cooling_loops,
            units,
            racks,
            fleets,
            totals: Totals::default(),
            site_power_w: (0.0, 0.0),
            group_it_w: vec![(0, 0); s.racks.len()],
        };
        f.reset(s, &s.median_pue());
        f
    }

    /// Puts the site back in its starting state without spawning it again, with each
    /// cooling loop at `pue` (in loop order: this run's draws, `engine::Draws::cooling_pue`):
    /// units installed by plan steps are despawned, the starting units are energised
    /// again, equipment returns to its starting lifecycle, and every load and total is
    /// rebuilt from the starting units at the new PUE. Entities stay one per rack and per
    /// unit batch; a run after a reset is bit-identical to one on a freshly spawned
    /// facility reset to the same PUE (nothing a run computes depends on entity ids or
    /// on the order of unit batches).
    pub fn reset(&mut self, s: &Scenario, pue: &[f64]) {
        self.reset_failures();
        self.set_pue(s, pue);
        for (g, units) in self.units.iter_mut().enumerate() {
            let keep = match s.racks[g].initial {
                Some(_) => s.racks[g].count as usize,
                None => 0,
            };
            for e in units.drain(keep.min(units.len())..) {
                self.world.despawn(e).expect("batch entities are live");
            }
        }
        let w = &mut self.world;
        // Every batch left is a starting one (each batch is listed in `units`, and the
        // plan's were just despawned): one pass down the column, not a lookup per batch.
        let mut batches = 0;
        for (_, state) in w.query_mut::<(&UnitBatch, &mut Lifecycle)>() {
            *state = Lifecycle::Energised;
            batches += 1;
        }
        debug_assert_eq!(batches, self.units.iter().map(Vec::len).sum::<usize>());
        for (eq, state, load) in w.query_mut::<(&Equipment, &mut Lifecycle, &mut Load)>() {
            *state = start_state(s.equipment_supply(eq.0));
            *load = Load::default();
        }
        for leased in w.query_mut::<&mut LeasedLoad>() {
            *leased = LeasedLoad::default();
        }
        for fleet in w.query_mut::<&mut AsicFleet>() {
            (fleet.it_w, fleet.hashrate_gh_s, fleet.curtailed) = (0, 0, false);
        }
        for (rack, load) in w.query_mut::<(&Rack, &mut RackLoad)>() {
            load.w = s.racks[rack.group]
                .initial
                .map_or(0, |(m, n)| s.models[m].power_w * u64::from(n));
        }
        self.totals = Totals::default();
        self.group_it_w.fill((0, 0));
        for (g, spec) in s.racks.iter().enumerate() {
            if let Some((model, per_rack)) = spec.initial {
                let n = u64::from(per_rack) * u64::from(spec.count);
                self.change_group(s, g, &[(model, Contract::Lease, n)], true);
            }
        }
        self.site_power_w = self.site_power();
    }

    /// Sets each loop's plant to run at `pue` (its path load follows). Only
    /// [`Facility::reset`] calls it, before the loads are rebuilt: a loop's loads are
    /// sums at one PUE.
    fn set_pue(&mut self, s: &Scenario, pue: &[f64]) {
        assert_eq!(pue.len(), s.cooling_loops.len(), "one PUE per cooling loop");
        for ((&e, spec), &p) in self.cooling_loops.iter().zip(&s.cooling_loops).zip(pue) {
            let mut plant = self.world.get::<&mut Cooling>(e).expect("loop plant");
            plant.pue = p;
            plant.path_milli = spec.path_milli_at(p);
        }
    }

    /// This run's PUE of cooling loop `i`.
    pub fn pue(&self, i: usize) -> f64 {
        self.world
            .get::<&Cooling>(self.cooling_loops[i])
            .expect("loop plant")
            .pue
    }

    /// The entity of an equipment item.
    fn equipment(&self, e: EquipmentRef) -> Entity {
        match e {
            EquipmentRef::Substation(i) => self.substations[i],
            EquipmentRef::Transformer(i) => self.transformers[i],
            EquipmentRef::CoolingLoop(i) => self.cooling_loops[i],
        }
    }

    /// Lifecycle state of an equipment item.
    pub fn state(&self, e: EquipmentRef) -> Lifecycle {
        *self
            .world
            .get::<&Lifecycle>(self.equipment(e))
            .expect("every equipment entity has a lifecycle")
    }

    /// Sets the lifecycle state of an equipment item.
    pub fn set_state(&mut self, e: EquipmentRef, state: Lifecycle) {
        *self
            .world
            .get::<&mut Lifecycle>(self.equipment(e))
            .expect("every equipment entity has a lifecycle") = state;
    }

    /// Rating of an equipment item, W.
    pub fn rating_w(&self, e: EquipmentRef) -> u64 {
        self.world
            .get::<&Rating>(self.equipment(e))
            .expect("every equipment entity has a rating")
            .w
    }

    /// Energised IT load of the whole site, W.
    pub fn it_w(&self) -> u64 {
        self.totals.asic_it_w + self.totals.gpu_it_w
    }

    /// Facility power of the whole site (Σ over cooling loops of IT × PUE), W.
    pub fn facility_w(&self) -> f64 {
        self.site_power_w.0
    }

    /// Facility power of leased halls (leased IT × PUE), W: what a lease with power
    /// pass-through bills to the tenant.
    pub fn leased_facility_w(&self) -> f64 {
        self.site_power_w.1
    }

    /// Facility power and leased facility power from the cooling loops' components,
    /// summed in the scenario's loop order so the float result is the same every run.
    fn site_power(&self) -> (f64, f64) {
        let (mut all, mut leased) = (Vec::new(), Vec::new());
        for &l in &self.cooling_loops {
            let mut q = self.world.query_one::<(&Load, &LeasedLoad, &Cooling)>(l);
            let (load, lease, plant) = q.get().expect("loop has loads and plant");
            all.push((load.milliwatts / 1000) as f64 * plant.pue);
            leased.push(lease.it_w as f64 * plant.pue);
        }
        (all.into_iter().sum(), leased.into_iter().sum())
    }

    /// One piece of equipment as the limit check sees it.
    fn path_item(&self, e: Entity) -> PathItem {
        let mut q = self
            .world
            .query_one::<(&Equipment, &Lifecycle, &Rating, &Load)>(e);
        let (eq, state, rating, load) = q.get().expect("equipment components");
        PathItem {
            equipment: eq.0,
            // A failed item (issue 14) carries no load until restored.
            in_service: state.in_service() && self.world.get::<&failure::Failed>(e).is_err(),
            load_milliwatts: load.milliwatts,
            rating_w: rating.w,
        }
    }

    /// The path of rack group `group` now: rack → transformer → substation, rack →
    /// cooling loop, each with its load and rating, and the group's fullest rack.
    pub fn path(&self, group: usize) -> PathView {
        let racks = &self.racks[group];
        let rack = *self.world.get::<&Rack>(racks[0]).expect("rack entity");
        let substation = self
            .world
            .get::<&FedBy>(rack.transformer)
            .expect("transformer is fed")
            .0;
        // One view for the group's racks, not a `get` per rack: re-checking a dark
        // group's path on each retry was most of the failure path's remaining cost.
        let loads = self.world.view::<&RackLoad>();
        let max_rack_load_w = racks
            .iter()
            .map(|&r| loads.get(r).map_or(0, |l| l.w))
            .max()
            .unwrap_or(0);
        let plant = *self
            .world
            .get::<&Cooling>(rack.cooling)
            .expect("loop plant");
        PathView {
            pue: plant.pue,
            path_milli: plant.path_milli,
            cooling: self.path_item(rack.cooling),
            transformer: self.path_item(rack.transformer),
            substation: self.path_item(substation),
            max_rack_load_w,
            facility_w: self.facility_w(),
        }
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
        power::check_path(s, group, &self.path(group), per_rack_w)?;
        self.check_pools(s, group, per_rack_w)
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
        let n = u64::from(per_rack) * u64::from(s.racks[group].count);
        self.shift_rack_loads(group, s.models[model].power_w * n, true);
        let batches = &mut self.units[group];
        spawn_batches(
            &mut self.world,
            &self.racks[group],
            model,
            per_rack,
            contract,
            batches,
        );
        self.change_group(s, group, &[(model, contract, n)], true);
    }

    /// Switches off every energised unit in `group`; returns the IT W freed. The path
    /// loads and totals change once per (model, contract) in the group, not per batch.
    pub fn decommission_group(&mut self, s: &Scenario, group: usize) -> u64 {
        // (model, contract, units) switched off; a group holds few distinct kinds.
        let mut off: Vec<(usize, Contract, u64)> = Vec::new();
        let mut freed = 0;
        let mut batches = self.world.view::<(&UnitBatch, &mut Lifecycle)>();
        for &u in &self.units[group] {
            let Some((batch, state)) = batches.get_mut(u) else {
                continue;
            };
            if std::mem::replace(state, Lifecycle::Decommissioned) != Lifecycle::Energised {
                continue;
            }
            let n = u64::from(batch.count);
            freed += s.models[batch.model].power_w * n;
            match off
                .iter_mut()
                .find(|(m, c, _)| (*m, *c) == (batch.model, batch.contract))
            {
                Some(k) => k.2 += n,
                None => off.push((batch.model, batch.contract, n)),
            }
        }
        drop(batches);
        self.shift_rack_loads(group, freed, false);
        self.change_group(s, group, &off, false);
        freed
    }

    /// Adds (or removes) `group_w` of IT spread evenly over `group`'s racks. Units are
    /// installed a batch in every rack of the group at once, and every change of state
    /// acts on the whole group, so its racks always hold alike and each takes the same
    /// share. One pass down the group's racks: following each batch to its rack made
    /// every batch wait on two dependent lookups (half of decommissioning's time).
    /// The debug audit recomputes every rack's load from its batches.
    fn shift_rack_loads(&mut self, group: usize, group_w: u64, add: bool) {
        let racks = &self.racks[group];
        if group_w == 0 || racks.is_empty() {
            return;
        }
        let per_rack_w = group_w / racks.len() as u64;
        debug_assert_eq!(per_rack_w * racks.len() as u64, group_w, "racks hold alike");
        let mut loads = self.world.view_mut::<&mut RackLoad>();
        for &rack in racks {
            let load = loads.get_mut(rack).expect("rack");
            load.w = if add {
                load.w + per_rack_w
            } else {
                load.w - per_rack_w
            };
        }
    }

    /// Adds (or removes) energised units on `group`'s path: equipment loads, the ASIC
    /// fleet or leased load of its cooling loop, and the site totals. Every sum is an
    /// integer, so one update per kind equals one per batch exactly.
    fn change_group(
        &mut self,
        s: &Scenario,
        group: usize,
        kinds: &[(usize, Contract, u64)],
        add: bool,
    ) {
        let upd = |x: &mut u64, d: u64| *x = if add { *x + d } else { *x - d };
        let g = &s.racks[group];
        let loops = s.cooling_loops.len();
        let (mut it_w, mut lease_w) = (0, 0);
        for &(model, contract, n) in kinds {
            let m = &s.models[model];
            let w = m.power_w * n;
            it_w += w;
            let t = &mut self.totals;
            match m.kind {
                ModelKind::Asic { hashrate_gh_s } => {
                    upd(&mut t.asic_it_w, w);
                    let fleet = self.fleets[model * loops + g.cooling].expect("ASIC fleet");
                    let mut f = self.world.get::<&mut AsicFleet>(fleet).expect("fleet");
                    upd(&mut f.it_w, w);
                    upd(&mut f.hashrate_gh_s, hashrate_gh_s * n);
                }
                ModelKind::Gpu { gpus } => {
                    upd(&mut t.gpu_it_w, w);
                    match contract {
                        Contract::Lease => {
                            lease_w += w;
                            upd(&mut t.lease_it_w, w);
                            let l = self.cooling_loops[g.cooling];
                            upd(
                                &mut self.world.get::<&mut LeasedLoad>(l).expect("loop").it_w,
                                w,
                            );
                        }
                        Contract::Rental => upd(&mut t.rental_gpus, u64::from(gpus) * n),
                    }
                }
            }
        }
        let (it, lease) = &mut self.group_it_w[group];
        upd(it, it_w);
        upd(lease, lease_w);
        self.apply_path_load(group, it_w, add);
        self.site_power_w = self.site_power();
    }

    /// Adds (or removes) `it_w` of IT on `group`'s path: heat on its cooling loop, IT
    /// plus plant on its transformer and that transformer's substation.
    fn apply_path_load(&mut self, group: usize, it_w: u64, add: bool) {
        let rack = *self.world.get::<&Rack>(self.racks[group][0]).expect("rack");
        // This run's path load, not the scenario's median.
        let path_milli = self
            .world
            .get::<&Cooling>(rack.cooling)
            .expect("plant")
            .path_milli;
        let substation = self.world.get::<&FedBy>(rack.transformer).expect("fed").0;
        let heat = u128::from(it_w) * 1000;
        let path = u128::from(it_w) * u128::from(path_milli);
        for (e, d) in [
            (rack.cooling, heat),
            (rack.transformer, path),
            (substation, path),
        ] {
            let mut load = self.world.get::<&mut Load>(e).expect("equipment load");
            load.milliwatts = if add {
                load.milliwatts + d
            } else {
                load.milliwatts - d
            };
        }
    }
}

/// Spawns one batch of `per_rack` units of `model` in each of `racks`, energised, onto
/// `out` (straight from the rack list: no intermediate Vec).
fn spawn_batches(
    world: &mut World,
    racks: &[Entity],
    model: usize,
    per_rack: u32,
    contract: Contract,
    out: &mut Vec<Entity>,
) {
    out.extend(world.spawn_batch(racks.iter().map(|&rack| {
        (
            UnitBatch {
                rack,
                model,
                count: per_rack,
                contract,
            },
            Lifecycle::Energised,
        )
    })));
}

/// Every rack, group by group, as one column batch: a site holds thousands of racks,
/// and hecs fills a column batch a column at a time instead of placing each entity's
/// components one by one (`spawn_batch`), which was most of a single run's spawn time.
/// Entity ids and row order are those of spawning the groups one after another.
fn spawn_racks(
    world: &mut World,
    s: &Scenario,
    transformers: &[Entity],
    cooling_loops: &[Entity],
) -> Vec<Vec<Entity>> {
    let counts: Vec<u32> = s.racks.iter().map(|g| g.count).collect();
    let racks = s.racks.iter().enumerate().flat_map(|(gi, g)| {
        let rack = Rack {
            group: gi,
            transformer: transformers[g.transformer],
            cooling: cooling_loops[g.cooling],
        };
        std::iter::repeat_n((rack, RackLoad::default()), g.count as usize)
    });
    spawn_columns(world, &counts, racks)
}

/// The starting unit batches, one per rack of each group that starts filled (a group
/// that starts empty has none), as one column batch like [`spawn_racks`].
fn spawn_starting_batches(
    world: &mut World,
    s: &Scenario,
    racks: &[Vec<Entity>],
) -> Vec<Vec<Entity>> {
    let counts: Vec<u32> = (s.racks.iter().zip(racks))
        .map(|(g, r)| {
            if g.initial.is_some() {
                r.len() as u32
            } else {
                0
            }
        })
        .collect();
    let batches = s.racks.iter().zip(racks).flat_map(|(g, racks)| {
        let start = g
            .initial
            .map(|(model, per_rack)| (model, per_rack, racks.as_slice()));
        let (model, count, racks) = start.unwrap_or((0, 0, &[]));
        racks.iter().map(move |&rack| {
            let batch = UnitBatch {
                rack,
                model,
                count,
                contract: Contract::Lease,
            };
            (batch, Lifecycle::Energised)
        })
    });
    spawn_columns(world, &counts, batches)
}

/// Spawns `items` (exactly the sum of `counts` of them) as one column batch of
/// `(A, B)` and cuts their entities into groups of `counts`. Nothing to spawn creates
/// nothing, not even the archetype, as spawning the groups one by one would.
fn spawn_columns<A: hecs::Component, B: hecs::Component>(
    world: &mut World,
    counts: &[u32],
    items: impl Iterator<Item = (A, B)>,
) -> Vec<Vec<Entity>> {
    let total: u32 = counts.iter().sum();
    if total == 0 {
        return counts.iter().map(|_| Vec::new()).collect();
    }
    let mut ty = ColumnBatchType::new();
    ty.add::<A>().add::<B>();
    let batch = ty.into_batch(total);
    {
        let mut a_col = batch.writer::<A>().expect("declared column");
        let mut b_col = batch.writer::<B>().expect("declared column");
        for (a, b) in items {
            let pushed = a_col.push(a).is_ok() && b_col.push(b).is_ok();
            debug_assert!(pushed, "the batch holds exactly the counted entities");
        }
    }
    let batch = batch
        .build()
        .expect("every column filled to the counted size");
    let mut ids = world.spawn_column_batch(batch);
    counts
        .iter()
        .map(|&n| ids.by_ref().take(n as usize).collect())
        .collect()
}

/// One fleet entity per (ASIC model, cooling loop), spawned model-major: the curtail
/// system visits them in that order, which fixes the order of its log lines.
fn spawn_fleets(world: &mut World, s: &Scenario, cooling_loops: &[Entity]) -> Vec<Option<Entity>> {
    let mut fleets = Vec::with_capacity(s.models.len() * cooling_loops.len());
    for (model, m) in s.models.iter().enumerate() {
        for &cooling in cooling_loops {
            fleets.push(matches!(m.kind, ModelKind::Asic { .. }).then(|| {
                world.spawn((AsicFleet {
                    model,
                    cooling,
                    it_w: 0,
                    hashrate_gh_s: 0,
                    curtailed: false,
                },))
            }));
        }
    }
    fleets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teaching() -> Scenario {
        crate::load("worlds/teaching.ron").expect("teaching world loads")
    }

    /// IT W each rack group starts with.
    fn start_w(s: &Scenario) -> Vec<u64> {
        s.racks
            .iter()
            .map(|g| {
                g.initial
                    .map_or(0, |(m, n)| s.models[m].power_w * u64::from(n))
                    * u64::from(g.count)
            })
            .collect()
    }

    /// Σ start W of the groups whose item `on(group)` is `item`.
    fn sum_on(s: &Scenario, w: &[u64], on: impl Fn(usize) -> usize, item: usize) -> u128 {
        (0..s.racks.len())
            .filter(|&g| on(g) == item)
            .map(|g| u128::from(w[g]))
            .sum()
    }

    #[test]
    fn the_path_walk_reads_each_equipment_load_and_rating() {
        let s = teaching();
        let f = Facility::spawn(&s);
        let w = start_w(&s);
        let g = w
            .iter()
            .position(|&x| x > 0)
            .expect("the teaching world starts with miners");
        let spec = &s.racks[g];
        let p = f.path(g);
        let milli = |g: usize| u128::from(s.cooling_loops[s.racks[g].cooling].path_milli);
        let tr = |g: usize| s.racks[g].transformer;
        assert_eq!(p.cooling.equipment, EquipmentRef::CoolingLoop(spec.cooling));
        assert_eq!(
            p.transformer.equipment,
            EquipmentRef::Transformer(spec.transformer)
        );
        let heat = sum_on(&s, &w, |g| s.racks[g].cooling, spec.cooling) * 1000;
        assert_eq!(p.cooling.load_milliwatts, heat);
        let on_t: u128 = (0..s.racks.len())
            .filter(|&k| tr(k) == spec.transformer)
            .map(|k| u128::from(w[k]) * milli(k))
            .sum();
        assert_eq!(p.transformer.load_milliwatts, on_t);
        let sub = s.transformers[spec.transformer].substation;
        let on_sub: u128 = (0..s.racks.len())
            .filter(|&k| s.transformers[tr(k)].substation == sub)
            .map(|k| u128::from(w[k]) * milli(k))
            .sum();
        assert_eq!(p.substation.load_milliwatts, on_sub);
        assert_eq!(
            p.transformer.rating_w,
            s.transformers[spec.transformer].capacity_w
        );
        assert!(audit(&f, &s).is_empty());
    }

    #[test]
    fn decommissioning_a_group_frees_its_whole_path_at_once() {
        let s = teaching();
        let mut f = Facility::spawn(&s);
        let w = start_w(&s);
        let g = w
            .iter()
            .position(|&x| x > 0)
            .expect("the teaching world starts with miners");
        let before = f.path(g);
        assert_eq!(f.decommission_group(&s, g), w[g]);
        let after = f.path(g);
        let milli = u128::from(s.cooling_loops[s.racks[g].cooling].path_milli);
        let freed = u128::from(w[g]);
        assert_eq!(
            before.cooling.load_milliwatts - after.cooling.load_milliwatts,
            freed * 1000
        );
        assert_eq!(
            before.transformer.load_milliwatts - after.transformer.load_milliwatts,
            freed * milli
        );
        assert_eq!(
            before.substation.load_milliwatts - after.substation.load_milliwatts,
            freed * milli
        );
        assert_eq!(after.max_rack_load_w, 0);
        assert_eq!(f.it_w(), w.iter().sum::<u64>() - w[g]);
        assert!(audit(&f, &s).is_empty(), "{:?}", audit(&f, &s));
        // A second decommissioning finds nothing energised.
        assert_eq!(f.decommission_group(&s, g), 0);
    }

    #[test]
    fn reset_restores_the_starting_site_after_a_run_changed_it() {
        let s = teaching();
        let fresh = Facility::spawn(&s);
        let mut f = Facility::spawn(&s);
        let w = start_w(&s);
        let g = w.iter().position(|&x| x > 0).expect("miners at the start");
        let empty = w.iter().position(|&x| x == 0).expect("an empty hall");
        f.decommission_group(&s, g);
        let t = EquipmentRef::Transformer(s.racks[empty].transformer);
        f.set_state(t, Lifecycle::Installed);
        let model = s.racks[g].initial.unwrap().0;
        f.energise_group(&s, empty, model, 1, Contract::Lease);
        assert_ne!(f.path(g), fresh.path(g));
        f.reset(&s, &s.median_pue());
        for group in 0..s.racks.len() {
            assert_eq!(f.path(group), fresh.path(group), "group {group}");
            assert_eq!(f.units[group].len(), fresh.units[group].len());
        }
        assert_eq!(f.totals, fresh.totals);
        assert_eq!(f.site_power_w, fresh.site_power_w);
        assert!(audit(&f, &s).is_empty(), "{:?}", audit(&f, &s));
    }

    /// Issue 12: reset carries each run's PUE draw into the loop's plant and rebuilds the
    /// starting loads at it. tests/data/valid-small.ron's ASICs (50 racks × 14 kW = 0.7 MW
    /// of IT) sit on AIR, here fed through the racks' transformer with a sampled PUE: the
    /// transformer then carries IT × round(PUE × 1000) mW and the site IT × PUE.
    #[test]
    fn reset_rebuilds_the_starting_loads_at_the_drawn_pue() {
        let text = std::fs::read_to_string("tests/data/valid-small.ron").unwrap().replace(
            "max_rack_kw: 15.0, pue: 1.2)",
            "max_rack_kw: 15.0, pue: Uniform(min: 1.1, max: 1.3), plant_feed: RackTransformers)",
        );
        let s = crate::load_str(&text, "small").unwrap();
        assert!(s.cooling_loops[0].pue_sampled());
        let fresh = Facility::spawn(&s);
        let mut f = Facility::spawn(&s);
        for pue in [1.1, 1.2345, 1.3, 1.2] {
            f.reset(&s, &[pue, 1.2]);
            let p = f.path(0);
            let milli = (pue * 1000.0_f64).round() as u128;
            assert_eq!(p.transformer.load_milliwatts, 700_000 * milli, "PUE {pue}");
            assert_eq!(p.substation.load_milliwatts, 700_000 * milli);
            assert_eq!((p.pue, p.path_milli), (pue, milli as u64));
            assert_eq!(f.facility_w(), 700_000.0 * pue);
            assert!(audit(&f, &s).is_empty(), "{:?}", audit(&f, &s));
        }
        // Back at the median (1.2): the freshly spawned site, exactly.
        f.reset(&s, &s.median_pue());
        for group in 0..s.racks.len() {
            assert_eq!(f.path(group), fresh.path(group), "group {group}");
        }
        assert_eq!(f.site_power_w, fresh.site_power_w);
    }

    #[test]
    fn the_audit_catches_a_load_that_drifted_from_the_units() {
        let s = teaching();
        let f = Facility::spawn(&s);
        let g = start_w(&s)
            .iter()
            .position(|&x| x > 0)
            .expect("miners at the start");
        let t = f.transformers[s.racks[g].transformer];
        f.world.get::<&mut Load>(t).unwrap().milliwatts += 1;
        let errors = audit(&f, &s);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("transformer"), "{errors:?}");
    }

    #[test]
    fn the_audit_catches_a_group_tally_that_drifted_from_the_units() {
        let s = teaching();
        let mut f = Facility::spawn(&s);
        let g = start_w(&s)
            .iter()
            .position(|&x| x > 0)
            .expect("miners at the start");
        assert_eq!(f.group_it_w(g).0, start_w(&s)[g]);
        f.group_it_w[g].0 -= 1;
        let errors = audit(&f, &s);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(&s.racks[g].id), "{errors:?}");
    }
}
