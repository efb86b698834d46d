//! Failures, restores, downtime and SLA credits (issue 14).
//!
//! A failure is an event on one item. It de-energises the rack groups whose path holds
//! the item, unless the item's scheme in its hall (power or cooling) still has the
//! rating to carry the scheme's pooled load, or (for a substation) the hall's
//! generators carry it. The item
//! comes back after a repair, a spare's swap, or a new unit's lead time; its dark racks
//! then re-energise as soon as their limits allow. Random failure times are drawn from
//! the run's stream after every other draw, so a world without failure models draws
//! exactly what it drew before; a plain run (no seed) samples none.

use super::{Event, Sim};
use crate::calendar::{Day, YearMonth};
use crate::dist::Dist;
use crate::power::{Blocked, LimitKind};
use crate::scenario::reliability::{BackupKind, RestoreSpec, SlaSpec};
use crate::scenario::{EquipmentRef, Scenario};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use std::fmt::Write as _;

/// The failure draws of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailureDraws {
    /// Per failure model: (time to failure after entering service, days; restore days
    /// without a spare), drawn until the times to failure pass the horizon. Empty in a
    /// plain run.
    pub lives: Vec<Vec<(Day, Day)>>,
    /// Per failure model, its restore time in days without a spare in a plain run
    /// (the median), used by scripted failures.
    pub median_restore_days: Vec<Day>,
    /// Swap time of each spare, days.
    pub swap_days: Vec<Day>,
    /// Day each backup unit enters service.
    pub backup_days: Vec<Day>,
    /// Per unit failure model, a standard-normal draw per month for the count of its
    /// units in repair. Empty in a plain run.
    pub unit_z: Vec<Vec<f64>>,
    /// True when random failures were sampled.
    pub sampled: bool,
}

fn weeks_to_days(w: f64) -> Day {
    (w * 7.0).round() as Day
}

fn restore_days(r: RestoreSpec, value: &mut impl FnMut(Dist) -> f64) -> Day {
    match r {
        RestoreSpec::Repair { days, .. } => value(days).round() as Day,
        RestoreSpec::Replace {
            lead_time_weeks, ..
        } => weeks_to_days(value(lead_time_weeks)),
    }
}

impl FailureDraws {
    /// Draws every failure quantity from `rng`, after every other draw of the run; with
    /// no stream (a plain run) there are no random failures, and restores, swaps and
    /// backup lead times take their medians. A world without a reliability section
    /// draws nothing.
    pub fn build<R: Rng + ?Sized>(s: &Scenario, mut rng: Option<&mut R>) -> Self {
        let r = &s.reliability;
        let horizon = f64::from(s.calendar.end());
        let median_restore_days = r
            .failures
            .iter()
            .map(|f| restore_days(f.restore, &mut |d: Dist| d.median()))
            .collect();
        let mut lives = Vec::new();
        if let Some(rng) = rng.as_deref_mut() {
            for f in &r.failures {
                let mut v = Vec::new();
                let mut t = 0.0;
                while t <= horizon {
                    // 1 − U lies in (0, 1], so ln never sees 0.
                    let u: f64 = rng.random();
                    let ttf = f.life.from_uniform(1.0 - u);
                    t += ttf;
                    let days = ttf.min(horizon + 1.0).ceil().max(1.0) as Day;
                    v.push((days, restore_days(f.restore, &mut |d: Dist| d.sample(rng))));
                }
                lives.push(v);
            }
        }
        let mut unit_z = Vec::new();
        if let Some(rng) = rng.as_deref_mut() {
            for _ in &r.units {
                let months = s.calendar.months() as usize;
                unit_z.push((0..months).map(|_| StandardNormal.sample(rng)).collect());
            }
        }
        let sampled = rng.is_some() && !(r.failures.is_empty() && r.units.is_empty());
        let mut value = |d: Dist| match rng.as_deref_mut() {
            Some(rng) => d.sample(rng),
            None => d.median(),
        };
        let swap_days = r
            .spares
            .iter()
            .map(|sp| value(sp.swap_days).round() as Day)
            .collect();
        let backup_days = r
            .backup
            .iter()
            .map(|b| weeks_to_days(value(b.lead_time_weeks)))
            .collect();
        Self {
            sampled,
            unit_z,
            lives,
            median_restore_days,
            swap_days,
            backup_days,
        }
    }
}

/// One outage of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    /// The item.
    pub equipment: EquipmentRef,
    /// Day it failed.
    pub from: Day,
    /// Day it returned (`None` if still out at the horizon).
    pub to: Option<Day>,
    /// True if staged by a `Fail` step.
    pub scripted: bool,
    /// How it came back: `repair`, `spare` or `replacement`.
    pub restore: &'static str,
}

/// Reliability figures of one month.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityMonth {
    /// The month.
    pub month: YearMonth,
    /// Availability of each rack group's energised IT load (1 when it had none).
    pub availability: Vec<f64>,
    /// Availability of leased GPU IT across the site.
    pub gpu_availability: f64,
    /// IT MWh not served because racks were dark.
    pub lost_it_mwh: f64,
    /// IT MWh of site-owned units (ASICs, rented GPUs) out for repair.
    pub units_in_repair_it_mwh: f64,
    /// SLA credits paid, USD.
    pub sla_credits_usd: f64,
    /// Repair costs, USD.
    pub repair_cost_usd: f64,
    /// Replacement capex, USD.
    pub replacement_capex_usd: f64,
    /// Backup opex (fuel, testing, maintenance), USD.
    pub backup_opex_usd: f64,
}

/// What failures did in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityReport {
    /// Rack group ids, the order of [`ReliabilityMonth::availability`].
    pub groups: Vec<String>,
    /// One row per month.
    pub months: Vec<ReliabilityMonth>,
    /// Every outage, in order of failure.
    pub outages: Vec<Outage>,
    /// True when random failures were sampled (a seeded run or a sweep).
    pub sampled: bool,
    /// Longest time a rack group stayed dark, days (to the horizon if still dark).
    pub longest_dark_days: Day,
}

impl ReliabilityReport {
    /// Number of failures.
    pub fn failures(&self) -> usize {
        self.outages.len()
    }

    /// `reliability.csv`: one row per month.
    pub fn csv(&self) -> String {
        let mut out = String::from("month");
        for g in &self.groups {
            let _ = write!(out, ",availability_{g}");
        }
        out.push_str(",gpu_lease_availability,lost_it_mwh,units_in_repair_it_mwh,sla_credits_usd,repair_cost_usd,replacement_capex_usd,backup_opex_usd\n");
        for m in &self.months {
            let _ = write!(out, "{}", m.month);
            for a in &m.availability {
                let _ = write!(out, ",{a}");
            }
            let _ = writeln!(
                out,
                ",{},{},{},{},{},{},{}",
                m.gpu_availability,
                m.lost_it_mwh,
                m.units_in_repair_it_mwh,
                m.sla_credits_usd,
                m.repair_cost_usd,
                m.replacement_capex_usd,
                m.backup_opex_usd
            );
        }
        out
    }
}

/// Per-month accumulators.
#[derive(Debug, Clone, Default)]
struct MonthAcc {
    up_w_days: Vec<f64>,
    down_w_days: Vec<f64>,
    lease_up_w_days: Vec<f64>,
    lease_down_w_days: Vec<f64>,
    repair_cost_usd: f64,
    replacement_capex_usd: f64,
    units_down_w_days: f64,
}

/// The engine's reliability state.
#[derive(Debug, Clone, Default)]
pub(super) struct State {
    active: bool,
    /// Next life index per failure model.
    next_life: Vec<usize>,
    /// Whether each spare is still on site.
    spare_on_site: Vec<bool>,
    /// Failed items that darken each rack group.
    causes: Vec<Vec<EquipmentRef>>,
    /// (IT W, leased W) switched off in each dark group, and the day it went dark.
    dark: Vec<Option<(u64, u64, Day)>>,
    /// Backup units in service.
    backup_in: Vec<bool>,
    outages: Vec<Outage>,
    longest_dark: Day,
    acc: MonthAcc,
    months: Vec<ReliabilityMonth>,
}

impl State {
    pub(super) fn new(s: &Scenario) -> Self {
        let r = &s.reliability;
        let active = *r != Default::default();
        let n = s.racks.len();
        Self {
            active,
            next_life: vec![0; r.failures.len()],
            spare_on_site: vec![true; r.spares.len()],
            causes: vec![Vec::new(); n],
            dark: vec![None; n],
            backup_in: vec![false; r.backup.len()],
            acc: MonthAcc {
                up_w_days: vec![0.0; n],
                down_w_days: vec![0.0; n],
                lease_up_w_days: vec![0.0; n],
                lease_down_w_days: vec![0.0; n],
                ..MonthAcc::default()
            },
            ..Self::default()
        }
    }
}

impl Sim<'_> {
    /// Day 0: spares and backup bought, scripted failures and the first random failure
    /// of each item already in service scheduled.
    pub(super) fn start_reliability(&mut self) {
        if !self.rel.active {
            return;
        }
        let s = self.s;
        let r = &s.reliability;
        self.f.spawn_pools(s, r);
        for sp in &r.spares {
            self.acc.book_capex(sp.cost_usd);
            self.fin_reliability_capex(&sp.id, &sp.id, sp.cost_usd, true);
            self.log("spare", sp.id.clone(), || {
                format!("spare on site, bought for {:.0} USD", sp.cost_usd)
            });
        }
        for (i, b) in r.backup.iter().enumerate() {
            self.acc.book_capex(b.cost_usd);
            self.fin_reliability_capex(&b.id, &b.id, b.cost_usd, false);
            self.q
                .push(self.d.failures.backup_days[i], Event::BackupInService(i));
        }
        for &(item, day) in &r.scripted {
            self.q.push(
                day,
                Event::Fail {
                    item,
                    scripted: true,
                },
            );
        }
        if !r.failures.is_empty() && !self.d.failures.sampled {
            self.log("reliability", "site", || {
                "plain run: no random failures sampled (use --seed or sweep to sample them)".into()
            });
        }
        for (k, f) in r.failures.iter().enumerate() {
            if self.f.state(f.equipment).in_service() {
                self.schedule_next_failure(k);
            }
        }
    }

    /// Schedules model `k`'s next random failure, counted from now (a new or restored
    /// item is as good as new).
    fn schedule_next_failure(&mut self, k: usize) {
        let Some(lives) = self.d.failures.lives.get(k) else {
            return;
        };
        let Some(&(ttf, _)) = lives.get(self.rel.next_life[k]) else {
            return;
        };
        let item = self.s.reliability.failures[k].equipment;
        self.q.push(
            self.now.saturating_add(ttf),
            Event::Fail {
                item,
                scripted: false,
            },
        );
    }

    /// An item entered service: its failure clock starts.
    pub(super) fn entered_service(&mut self, item: EquipmentRef) {
        if let Some(k) = self.failure_model(item) {
            self.schedule_next_failure(k);
        }
    }

    fn failure_model(&self, item: EquipmentRef) -> Option<usize> {
        self.s
            .reliability
            .failures
            .iter()
            .position(|f| f.equipment == item)
    }

    /// `item` fails now.
    pub(super) fn fail(&mut self, item: EquipmentRef, scripted: bool) {
        let s = self.s;
        if self.f.is_failed(item) || !self.f.state(item).in_service() {
            let name = s.equipment_name(item);
            self.log("failure-skipped", name, || {
                "would fail but is not in service".into()
            });
            return;
        }
        let Some(k) = self.failure_model(item) else {
            return;
        };
        let restore = s.reliability.failures[k].restore;
        let life = self.rel.next_life[k];
        // A random failure consumes its life; a scripted one uses the plain restore.
        let drawn = if scripted {
            self.d.failures.median_restore_days[k]
        } else {
            self.rel.next_life[k] += 1;
            self.d.failures.lives[k][life].1
        };
        let spare = s
            .reliability
            .spares
            .iter()
            .enumerate()
            .position(|(i, sp)| self.rel.spare_on_site[i] && sp.replaces.contains(&item));
        let (days, how) = match (restore, spare) {
            (RestoreSpec::Repair { cost_usd, .. }, _) => {
                self.acc.book_opex(cost_usd);
                self.rel.acc.repair_cost_usd += cost_usd;
                (drawn, "repair")
            }
            (RestoreSpec::Replace { .. }, Some(i)) => {
                self.rel.spare_on_site[i] = false;
                (self.d.failures.swap_days[i], "spare")
            }
            (RestoreSpec::Replace { cost_usd, .. }, None) => {
                self.acc.book_capex(cost_usd);
                let id = s.equipment_id(item);
                self.fin_reliability_capex(&format!("replacement:{id}"), id, cost_usd, true);
                self.rel.acc.replacement_capex_usd += cost_usd;
                (drawn, "replacement")
            }
        };
        self.f.set_failed(item, true);
        self.capacity_changes.push(super::CapacityChange {
            day: self.now,
            equipment: item,
            change: super::ServiceChange::OutOfService,
            capacity_w: self.f.rating_w(item),
        });
        let back = self.now.saturating_add(days);
        let date = s.calendar.date(back);
        self.log("failed", s.equipment_name(item), || {
            format!(
                "{}failed; back by {how} after {days} days ({date})",
                if scripted { "scripted: " } else { "" }
            )
        });
        self.rel.outages.push(Outage {
            equipment: item,
            from: self.now,
            to: None,
            scripted,
            restore: how,
        });
        self.q.push(back, Event::Restored(item));
        self.darken_for(item);
    }

    /// Darkens the rack groups that lose power because `item` (and any failed member
    /// of its pool) is out, unless redundancy or generators cover them.
    fn darken_for(&mut self, item: EquipmentRef) {
        let s = self.s;
        let covered = match self.f.pool_state(item) {
            Some((load_mw, alive_w)) => load_mw <= u128::from(alive_w) * 1000,
            None => false,
        };
        if covered {
            let name = s.equipment_name(item);
            self.log("redundancy", name, || {
                "failure covered by the hall's redundancy: no racks lose power".into()
            });
            return;
        }
        // Every failed member of the pool now darkens its racks.
        let members: Vec<EquipmentRef> = match s.reliability.scheme_of(item) {
            Some(k) => k
                .members
                .iter()
                .copied()
                .filter(|&m| self.f.is_failed(m))
                .collect(),
            None => vec![item],
        };
        for g in 0..s.racks.len() {
            let path = crate::power::path(s, g);
            let Some(&cause) = members.iter().find(|m| path.contains(m)) else {
                continue;
            };
            if matches!(cause, EquipmentRef::Substation(_)) && self.generators_cover(g) {
                continue;
            }
            if self.rel.causes[g].contains(&cause) {
                continue;
            }
            self.rel.causes[g].push(cause);
            if self.rel.dark[g].is_none() {
                let (it, lease) = self.f.power_off_group(s, g);
                self.rel.dark[g] = Some((it, lease, self.now));
                self.capacity_changed = true;
                let mw = it as f64 / 1e6;
                self.log("de-energised", s.rack_group_name(g), || {
                    format!(
                        "{mw:.2} MW of IT load lost power ({} failed)",
                        s.equipment_name(cause)
                    )
                });
            }
        }
    }

    /// True if the hall holding `group` has generators in service rated for its load.
    fn generators_cover(&self, group: usize) -> bool {
        let s = self.s;
        let r = &s.reliability;
        let Some(hall) = crate::power::path(s, group)
            .iter()
            .find_map(|&e| r.group_of(e))
        else {
            return false;
        };
        let gen_w: u64 = r
            .backup
            .iter()
            .enumerate()
            .filter(|(i, b)| {
                b.hall == hall && b.kind == BackupKind::Generator && self.rel.backup_in[*i]
            })
            .map(|(_, b)| b.rating_w)
            .sum();
        let load_w: u64 = (0..s.racks.len())
            .filter(|&g| {
                crate::power::path(s, g)
                    .iter()
                    .any(|&e| r.group_of(e) == Some(hall))
            })
            .map(|g| self.f.group_it_w(g).0)
            .sum();
        gen_w > 0 && load_w <= gen_w
    }

    /// `item` is back.
    pub(super) fn restored(&mut self, item: EquipmentRef) {
        let s = self.s;
        self.f.set_failed(item, false);
        self.capacity_changes.push(super::CapacityChange {
            day: self.now,
            equipment: item,
            change: super::ServiceChange::InService,
            capacity_w: self.f.rating_w(item),
        });
        if let Some(o) = self
            .rel
            .outages
            .iter_mut()
            .rev()
            .find(|o| o.equipment == item && o.to.is_none())
        {
            o.to = Some(self.now);
        }
        self.log("restored", s.equipment_name(item), || {
            "back in service".into()
        });
        for c in &mut self.rel.causes {
            c.retain(|&e| e != item);
        }
        self.capacity_changed = true;
        self.entered_service(item);
    }

    /// Re-energises dark groups whose causes are all restored, where limits allow.
    pub(super) fn retry_dark(&mut self) {
        let s = self.s;
        for g in 0..s.racks.len() {
            let Some((it, _, since)) = self.rel.dark[g] else {
                continue;
            };
            if !self.rel.causes[g].is_empty() {
                continue;
            }
            match self.f.power_on_group(s, g) {
                Ok(()) => {
                    self.rel.dark[g] = None;
                    let days = self.now - since;
                    self.rel.longest_dark = self.rel.longest_dark.max(days);
                    let mw = it as f64 / 1e6;
                    self.log("re-energised", s.rack_group_name(g), || {
                        format!("{mw:.2} MW of IT load back after {days} days dark")
                    });
                }
                Err(b) => {
                    let text = b.to_string();
                    self.log("wait", s.rack_group_name(g), || {
                        format!("cannot re-energise yet: {text}")
                    });
                }
            }
        }
    }

    /// Group `g` is decommissioned: if it was dark, its units go for good and it stops
    /// counting as dark (its outage ends here).
    pub(super) fn decommission_dark(&mut self, g: usize) {
        if let Some((_, _, since)) = self.rel.dark[g].take() {
            self.f.decommission_dark(g);
            self.rel.causes[g].clear();
            self.rel.longest_dark = self.rel.longest_dark.max(self.now - since);
        }
    }

    /// A backup unit enters service.
    pub(super) fn backup_in_service(&mut self, i: usize) {
        let b = &self.s.reliability.backup[i];
        self.rel.backup_in[i] = true;
        // Delivered and installed now: the rest of its price falls due (progress terms).
        self.fin_milestone(&b.id, false);
        self.fin_milestone(&b.id, true);
        self.capacity_changed = true;
        let kind = match b.kind {
            BackupKind::Generator => "generator",
            BackupKind::Ups => "UPS",
        };
        self.log("in-service", format!("{kind} {}", b.id), || {
            format!("{kind} in service: {:.2} MW", b.rating_w as f64 / 1e6)
        });
    }

    /// What stops `group` energising for want of backup power: a hall that requires
    /// Tier III-class backup needs generators and UPS in service, each rated for the
    /// hall's sellable capacity.
    pub(super) fn backup_blocks(&self, group: usize) -> Option<Blocked> {
        let s = self.s;
        let r = &s.reliability;
        let hall = crate::power::path(s, group)
            .iter()
            .find_map(|&e| r.group_of(e))?;
        let h = &r.redundancy[hall];
        if !h.requires_backup {
            return None;
        }
        let need_w = h.sellable_w(s);
        for kind in [BackupKind::Generator, BackupKind::Ups] {
            let have_w: u64 = r
                .backup
                .iter()
                .enumerate()
                .filter(|(i, b)| b.hall == hall && b.kind == kind && self.rel.backup_in[*i])
                .map(|(_, b)| b.rating_w)
                .sum();
            if have_w < need_w {
                let noun = if kind == BackupKind::Generator {
                    "generators"
                } else {
                    "UPS"
                };
                return Some(Blocked {
                    limit: LimitKind::NotInService,
                    entity: format!("{noun} of hall {} (Tier III-class backup)", h.hall),
                    need_w: need_w as f64,
                    free_w: have_w as f64,
                    capacity_w: have_w as f64,
                });
            }
        }
        None
    }

    /// Takes units in repair out of `rates` for the days `from..now`: per unit failure
    /// model, the month's count of units in repair ([`UnitFailureSpec::units_down`]) out
    /// of those earning, each drawing no power and earning nothing. Plain runs sample no
    /// unit failures.
    ///
    /// [`UnitFailureSpec::units_down`]: crate::scenario::reliability::UnitFailureSpec::units_down
    pub(super) fn units_in_repair(
        &mut self,
        rates: &mut crate::ledger::Rates,
        from: Day,
        now: Day,
    ) {
        let s = self.s;
        let month = self.acc.month() as usize;
        for (k, u) in s.reliability.units.iter().enumerate() {
            let Some(&z) = self.d.failures.unit_z.get(k).and_then(|v| v.get(month)) else {
                continue;
            };
            let in_use = self.f.model_in_use(s, u.model);
            if in_use.units == 0 {
                continue;
            }
            let down = u.units_down(in_use.units, z);
            let share = down as f64 / in_use.units as f64;
            let part = |v: u64| (v as f64 * share).round() as u64;
            let it_down = part(in_use.it_w);
            match s.models[u.model].kind {
                crate::scenario::ModelKind::Asic { .. } => {
                    rates.mining_it_w -= it_down.min(rates.mining_it_w);
                    rates.mining_gh_s -= part(in_use.gh_s).min(rates.mining_gh_s);
                }
                crate::scenario::ModelKind::Gpu { .. } => {
                    rates.gpu_it_w -= it_down.min(rates.gpu_it_w);
                    rates.rental_gpus -= part(in_use.gpus).min(rates.rental_gpus);
                }
            }
            rates.facility_w -= in_use.facility_w * share;
            self.rel.acc.units_down_w_days += it_down as f64 * f64::from(now - from);
        }
    }

    /// Integrates served and dark IT from the last event to `now`.
    pub(super) fn account_reliability(&mut self, from: Day, now: Day) {
        if !self.rel.active || now <= from {
            return;
        }
        let days = f64::from(now - from);
        for g in 0..self.s.racks.len() {
            let a = &mut self.rel.acc;
            if let Some((it, lease, _)) = self.rel.dark[g] {
                a.down_w_days[g] += it as f64 * days;
                a.lease_down_w_days[g] += lease as f64 * days;
            } else {
                let (it, lease) = self.f.group_it_w(g);
                a.up_w_days[g] += it as f64 * days;
                a.lease_up_w_days[g] += lease as f64 * days;
            }
        }
    }

    /// Closes month `m` of the reliability report: availability per group, SLA credits
    /// (booked as opex before the ledger closes) and backup opex.
    pub(super) fn close_reliability_month(&mut self, m: u32) {
        if !self.rel.active {
            return;
        }
        let s = self.s;
        let label = s.calendar.label(m);
        let days = f64::from(label.days());
        let a = std::mem::take(&mut self.rel.acc);
        let ratio = |up: f64, down: f64| {
            if up + down > 0.0 {
                up / (up + down)
            } else {
                1.0
            }
        };
        let availability: Vec<f64> = (0..s.racks.len())
            .map(|g| ratio(a.up_w_days[g], a.down_w_days[g]))
            .collect();
        let mut credits = 0.0;
        for g in 0..s.racks.len() {
            let (up, down) = (a.lease_up_w_days[g], a.lease_down_w_days[g]);
            let Some(sla) = sla_of(s, g) else {
                continue;
            };
            if up + down <= 0.0 {
                continue;
            }
            let share = sla.credit_share(up / (up + down));
            if share <= 0.0 {
                continue;
            }
            // The rent billed this month: the finance lease's on this hall, else the
            // ledger's `gpu_lease` rate on the leased kW had the hall been up all month.
            let rent = match (self.lease_rent_usd(g, m), &s.markets.gpu_lease) {
                (Some(rent), _) => rent,
                (None, Some(l)) => (up + down) / 1e3 / days * l.usd_per_kw_month,
                (None, None) => continue,
            };
            credits += share * rent;
        }
        self.acc.book_opex(credits);
        let backup_opex: f64 = s
            .reliability
            .backup
            .iter()
            .zip(&self.rel.backup_in)
            .filter(|&(_, &on)| on)
            .map(|(b, _)| b.opex_usd_per_month)
            .fold(0.0, |a, b| a + b);
        self.acc.book_opex(backup_opex);
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        self.rel.months.push(ReliabilityMonth {
            month: label,
            availability,
            gpu_availability: ratio(sum(&a.lease_up_w_days), sum(&a.lease_down_w_days)),
            lost_it_mwh: sum(&a.down_w_days) * 24.0 / 1e6,
            units_in_repair_it_mwh: a.units_down_w_days * 24.0 / 1e6,
            sla_credits_usd: credits,
            repair_cost_usd: a.repair_cost_usd,
            replacement_capex_usd: a.replacement_capex_usd,
            backup_opex_usd: backup_opex,
        });
        let n = s.racks.len();
        self.rel.acc = MonthAcc {
            up_w_days: vec![0.0; n],
            down_w_days: vec![0.0; n],
            lease_up_w_days: vec![0.0; n],
            lease_down_w_days: vec![0.0; n],
            ..MonthAcc::default()
        };
    }

    /// The run's reliability report, if the world declares any reliability.
    pub(super) fn reliability_report(&mut self) -> Option<ReliabilityReport> {
        if !self.rel.active {
            return None;
        }
        let end = self.s.calendar.end();
        for d in self.rel.dark.iter().flatten() {
            self.rel.longest_dark = self.rel.longest_dark.max(end - d.2);
        }
        Some(ReliabilityReport {
            groups: self.s.racks.iter().map(|g| g.id.clone()).collect(),
            months: std::mem::take(&mut self.rel.months),
            outages: std::mem::take(&mut self.rel.outages),
            sampled: self.d.failures.sampled,
            longest_dark_days: self.rel.longest_dark,
        })
    }
}

/// The service level rack group `g`'s credits follow: its lease's own, else the
/// site-wide SLA.
fn sla_of(s: &Scenario, g: usize) -> Option<&SlaSpec> {
    let r = &s.reliability;
    match r.lease_slas.iter().find(|l| l.group == g) {
        Some(l) => Some(&l.sla),
        None => r.sla.as_ref(),
    }
}
