//! The discrete-event engine: plays a retrofit plan forward on the ECS facility.
//!
//! Time is whole days since the start month ([`Day`]). Events sit in an
//! [`EventQueue`] keyed by `(day, insertion order)`; each handler acts on the
//! [`Facility`]. Before the first event of a new day, the curtail system decides what
//! runs over the days since the last event and the [`Accountant`] prices it. All random
//! quantities are drawn up front into [`Draws`], so event order never changes what is
//! drawn, and the same world and seed reproduce a run bit for bit.
//!
//! - `queue`: the pending-event set;
//! - `draws`: the random quantities of a run;
//! - `steps`: the plan steps' state machine (start, procure, work, wait, energise);
//! - `result`: what a run produces.

mod draws;
mod failures;
mod finance;
pub mod queue;
mod result;
mod steps;

pub use crate::ledger::{Summary, UnfinishedStep};
pub use draws::{Draws, owns_units};
pub use failures::{FailureDraws, Outage, ReliabilityMonth, ReliabilityReport};
pub use result::{CapacityChange, EventRecord, RunResult, ServiceChange};

use crate::calendar::Day;
use crate::decimal::Fixed0;
use crate::facility::curtail::{self, CurtailSwitch, MiningEconomics};
use crate::facility::{self, Facility, Lifecycle};
use crate::ledger::{self, Accountant, Rates, RunFacts};
use crate::scenario::{ActionSpec, EquipmentRef, Scenario, SupplySpec};
use queue::EventQueue;
use steps::StepRun;

/// Settings of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Keep the event log (a sweep turns it off).
    pub record_events: bool,
    /// Recompute loads from the entities after every event and fail on any discrepancy
    /// or exceeded limit. On by default in debug builds.
    pub audit: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            record_events: true,
            audit: cfg!(debug_assertions),
        }
    }
}

/// A run that broke an invariant: a bug in the engine, never the user's fault.
#[derive(Debug, Clone)]
pub struct InvariantViolation {
    /// Day it was detected.
    pub day: Day,
    /// What was wrong.
    pub errors: Vec<String>,
}

impl std::fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "engine invariant broken on day {}: {}",
            self.day,
            self.errors.join("; ")
        )
    }
}

impl std::error::Error for InvariantViolation {}

#[derive(Debug, Clone, Copy)]
enum Event {
    StepReady(usize),
    Delivered {
        step: usize,
        item: EquipmentRef,
    },
    UnitsDelivered(usize),
    WorkDone(usize),
    Halving,
    MonthEnd(u32),
    /// An item fails (issue 14).
    Fail {
        item: EquipmentRef,
        scripted: bool,
    },
    /// A failed item is back in service.
    Restored(EquipmentRef),
    /// A generator or UPS enters service.
    BackupInService(usize),
}

struct Sim<'a> {
    s: &'a Scenario,
    d: &'a Draws,
    f: &'a mut Facility,
    acc: Accountant,
    q: EventQueue<Event>,
    steps: Vec<StepRun>,
    dependents: Vec<Vec<usize>>,
    waiting: Vec<usize>,
    /// The step whose units are energised in each rack group, to close its bar.
    energised_by: Vec<Option<usize>>,
    capacity_changed: bool,
    events: Vec<EventRecord>,
    opts: RunOptions,
    now: Day,
    /// Block subsidy now, BTC (halves on the halving days).
    subsidy_btc: f64,
    /// Curtail decisions since the last were logged.
    switches: Vec<CurtailSwitch>,
    peak_it_w: u64,
    peak_facility_w: f64,
    first_gpu_day: Option<Day>,
    capacity_changes: Vec<CapacityChange>,
    /// Failures, downtime and SLA credits.
    rel: failures::State,
    /// Finance bookkeeping, for worlds with a `finance` section.
    fin: Option<finance::Track>,
    /// Fleets mining in the current stretch (hourly pricing only), reused.
    fleet_runs: Vec<curtail::FleetRun>,
}

/// Runs `s` with the given draws on a freshly spawned facility.
pub fn run(
    s: &Scenario,
    draws: &Draws,
    seed: Option<u64>,
    opts: RunOptions,
) -> Result<RunResult, InvariantViolation> {
    let mut f = Facility::spawn(s);
    // A facility spawns at the median PUE; a run that drew another resets to its draw.
    if draws.cooling_pue != s.median_pue() {
        f.reset(s, &draws.cooling_pue);
    }
    run_fresh(&mut f, s, draws, seed, opts)
}

/// Runs `s` with the given draws on `f`, a facility spawned for `s` and maybe used by
/// earlier runs: it is [`Facility::reset`] first, so the result equals [`run`]'s. A
/// sweep worker spawns once and calls this for every run.
pub fn run_on(
    f: &mut Facility,
    s: &Scenario,
    draws: &Draws,
    seed: Option<u64>,
    opts: RunOptions,
) -> Result<RunResult, InvariantViolation> {
    f.reset(s, &draws.cooling_pue);
    run_fresh(f, s, draws, seed, opts)
}

/// Runs on a facility in its starting state.
fn run_fresh(
    f: &mut Facility,
    s: &Scenario,
    draws: &Draws,
    seed: Option<u64>,
    opts: RunOptions,
) -> Result<RunResult, InvariantViolation> {
    let mut sim = Sim {
        s,
        d: draws,
        acc: Accountant::new(s),
        q: EventQueue::new(),
        steps: steps::initial(s),
        dependents: steps::dependents(s),
        waiting: Vec::new(),
        energised_by: vec![None; s.racks.len()],
        capacity_changed: false,
        events: Vec::new(),
        opts,
        now: 0,
        subsidy_btc: s.markets.block_subsidy_btc,
        switches: Vec::new(),
        peak_it_w: f.it_w(),
        peak_facility_w: f.facility_w(),
        first_gpu_day: (f.totals.gpu_it_w > 0).then_some(0),
        capacity_changes: initial_capacity(s, f),
        fin: finance::Track::new(s, &draws.cooling_pue),
        fleet_runs: Vec::new(),
        f,
        rel: failures::State::new(s),
    };
    sim.execute()?;
    Ok(sim.finish(seed))
}

/// Equipment in service at the start, as day-0 capacity changes.
fn initial_capacity(s: &Scenario, f: &Facility) -> Vec<CapacityChange> {
    let subs = (0..s.substations.len()).map(EquipmentRef::Substation);
    let trs = (0..s.transformers.len()).map(EquipmentRef::Transformer);
    let loops = (0..s.cooling_loops.len()).map(EquipmentRef::CoolingLoop);
    subs.chain(trs)
        .chain(loops)
        .filter(|&e| s.equipment_supply(e) == SupplySpec::Existing)
        .map(|equipment| CapacityChange {
            day: 0,
            equipment,
            change: ServiceChange::InService,
            capacity_w: f.rating_w(equipment),
        })
        .collect()
}

impl Sim<'_> {
    fn log(
        &mut self,
        event: &'static str,
        entity: impl Into<String>,
        detail: impl FnOnce() -> String,
    ) {
        self.log_at(self.now, event, entity, detail);
    }

    fn log_at(
        &mut self,
        day: Day,
        event: &'static str,
        entity: impl Into<String>,
        detail: impl FnOnce() -> String,
    ) {
        if self.opts.record_events {
            self.events.push(EventRecord {
                day,
                event,
                entity: entity.into(),
                detail: detail(),
            });
        }
    }

    fn execute(&mut self) -> Result<(), InvariantViolation> {
        let s = self.s;
        let end = s.calendar.end();
        if self.opts.audit {
            self.audit()?;
        }
        self.start_reliability();
        for (i, st) in s.plan.iter().enumerate() {
            if st.after.is_empty() {
                self.q.push(st.start.unwrap_or(0), Event::StepReady(i));
            }
        }
        for &day in &s.markets.halving_days {
            self.q.push(day, Event::Halving);
        }
        self.q
            .push_first(s.calendar.month_start(1), Event::MonthEnd(0));
        while let Some((t, ev)) = self.q.pop() {
            // Only month ends are handled at the horizon's end day: anything else there
            // happens after the last simulated month.
            if t > end || (t == end && !matches!(ev, Event::MonthEnd(_))) {
                continue;
            }
            self.now = t;
            self.account_until(t);
            let last = self.handle(ev);
            if std::mem::take(&mut self.capacity_changed) {
                self.retry_dark();
                self.retry_waiting();
            }
            self.peak_it_w = self.peak_it_w.max(self.f.it_w());
            self.peak_facility_w = self.peak_facility_w.max(self.f.facility_w());
            if self.opts.audit {
                self.audit()?;
            }
            if last {
                break;
            }
        }
        Ok(())
    }

    /// Prices the days from the last event to `now`: the site's state was constant
    /// since, so the curtail system decides once for the stretch (logged on its first
    /// day) and the accountant integrates the resulting rates.
    fn account_until(&mut self, now: Day) {
        let from = self.acc.last_day();
        if now <= from {
            return;
        }
        self.account_reliability(from, now);
        let s = self.s;
        let market = &self.d.market;
        let econ = MiningEconomics::new(s, market, self.acc.month() as usize, self.subsidy_btc);
        let op = curtail::operate(self.f, s, &econ, &mut self.switches);
        self.log_switches(from);
        let market_pass = matches!(&s.markets.gpu_lease, Some(l) if l.power_pass_through);
        // Each finance lease says whether its tenant pays its hall's power; without
        // one, the `gpu_lease` market does.
        let passthrough_w = match self.lease_passthrough_share(market_pass) {
            Some(share) => self.f.leased_facility_w() * share,
            None if market_pass => self.f.leased_facility_w(),
            None => 0.0,
        };
        let t = &self.f.totals;
        let mut rates = Rates {
            mining_it_w: op.mining_it_w,
            mining_gh_s: op.mining_gh_s,
            btc_per_gh_day: econ.btc_per_gh_day,
            curtailed_it_w: op.curtailed_it_w,
            gpu_it_w: t.gpu_it_w,
            facility_w: self.f.facility_w() - op.curtailed_facility_w,
            mining_facility_w: op.mining_facility_w,
            passthrough_w,
            lease_it_w: t.lease_it_w,
            rental_gpus: t.rental_gpus,
        };
        self.units_in_repair(&mut rates, from, now);
        if ledger::hourly_pricing(s) {
            curtail::running_fleets(self.f, &mut self.fleet_runs);
            for run in &self.fleet_runs {
                self.acc.advance_fleet(now, run, econ.btc_per_gh_day);
            }
        }
        self.acc.advance(now, &rates);
        self.fin_advance(now, &op);
    }

    /// Logs ASIC fleets that switched off because mining stopped paying for their
    /// power, or back on, on `day`, the first day of the new state.
    fn log_switches(&mut self, day: Day) {
        let s = self.s;
        for sw in std::mem::take(&mut self.switches) {
            let entity = format!(
                "{} on {}",
                s.models[sw.model].id,
                s.equipment_name(sw.cooling)
            );
            // Worlds without opex by state keep the message they always had; with it,
            // the message names the opex of running that the rule weighed too.
            let paid = if sw.opex_usd_per_day == 0.0 {
                "its power"
            } else {
                "its power and the opex of running"
            };
            let (event, verb) = if sw.off {
                ("curtailed", "switched off: mining no longer pays for")
            } else {
                ("resumed", "switched back on: mining pays for")
            };
            let again = if sw.off { "" } else { " again" };
            self.log_at(day, event, entity, || {
                if sw.opex_usd_per_day == 0.0 {
                    format!(
                        "{verb} {paid}{again} (revenue {:.0} USD/day vs electricity {:.0} USD/day)",
                        sw.revenue_usd_per_day, sw.cost_usd_per_day
                    )
                } else {
                    format!(
                        "{verb} {paid}{again} (revenue {:.0} USD/day vs electricity {:.0} \
                         USD/day + opex of running {:.0} USD/day)",
                        sw.revenue_usd_per_day, sw.cost_usd_per_day, sw.opex_usd_per_day
                    )
                }
            });
        }
    }

    fn audit(&self) -> Result<(), InvariantViolation> {
        let errors = facility::audit(self.f, self.s);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(InvariantViolation {
                day: self.now,
                errors,
            })
        }
    }

    /// Handles one event; returns true after the last month end.
    fn handle(&mut self, ev: Event) -> bool {
        match ev {
            Event::StepReady(i) => {
                if self.steps[i].is_pending() {
                    self.start_step(i);
                }
            }
            Event::Delivered { step, item } => self.delivered(step, item),
            Event::UnitsDelivered(i) => {
                let id = self.s.plan[i].id.clone();
                self.fin_milestone(&finance::units_item(&id), false);
                self.log("units-delivered", id, || "units delivered".into());
                self.begin_work(i);
            }
            Event::WorkDone(i) => self.work_done(i),
            Event::Halving => {
                self.subsidy_btc /= 2.0;
                let subsidy = self.subsidy_btc;
                self.log("halving", "bitcoin network", || {
                    format!("block subsidy halves to {subsidy} BTC")
                });
            }
            Event::MonthEnd(m) => return self.month_end(m),
            Event::Fail { item, scripted } => self.fail(item, scripted),
            Event::Restored(item) => self.restored(item),
            Event::BackupInService(i) => self.backup_in_service(i),
        }
        false
    }

    fn delivered(&mut self, step: usize, item: EquipmentRef) {
        self.f.set_state(item, Lifecycle::Delivered);
        self.fin_equipment(item, false);
        self.capacity_changed = true;
        let name = self.s.equipment_name(item);
        let weeks = self.d.lead_days(item) as f64 / 7.0;
        self.log("delivered", name, || {
            format!("delivered after {weeks:.1} weeks")
        });
        if self.steps[step].delivered_one() {
            self.finish_step(step);
        }
    }

    fn work_done(&mut self, i: usize) {
        let s = self.s;
        match &s.plan[i].action {
            ActionSpec::Install(items) => {
                for &item in items {
                    self.f.set_state(item, Lifecycle::Installed);
                    self.entered_service(item);
                    self.fin_equipment(item, true);
                    self.capacity_changes.push(CapacityChange {
                        day: self.now,
                        equipment: item,
                        change: ServiceChange::InService,
                        capacity_w: self.f.rating_w(item),
                    });
                    self.log("in-service", s.equipment_name(item), || {
                        format!("installed and in service (step {})", s.plan[i].id)
                    });
                }
                self.capacity_changed = true;
                self.finish_step(i);
            }
            ActionSpec::Decommission(_) | ActionSpec::Order(_) => self.finish_step(i),
            ActionSpec::InstallUnits { .. } => {
                if !self.try_energise(i) {
                    self.waiting.push(i);
                }
            }
        }
    }

    /// Closes month `m`; returns true after the last one.
    fn month_end(&mut self, m: u32) -> bool {
        let s = self.s;
        self.close_reliability_month(m);
        let row = self
            .acc
            .close_month(s, &self.d.market, self.f.totals.gpu_it_w);
        let row = row.clone();
        let (label, net, cum) = (row.month, row.net_cash_flow_usd, row.cumulative_cash_usd);
        self.fin_close_month(m, &row);
        // Stamped with the month's last day, the day it closes.
        self.log_at(self.now.saturating_sub(1), "month-end", "site", || {
            let (net, cum) = (Fixed0(net), Fixed0(cum));
            format!("{label}: net cash flow {net} USD, cumulative {cum} USD")
        });
        // After the month-end line: a sale happens today, the next month's first day.
        self.fin_sell_idle_asics(m, &row);
        if m + 1 < s.calendar.months() {
            self.q
                .push_first(s.calendar.month_start(m + 2), Event::MonthEnd(m + 1));
            false
        } else {
            true
        }
    }

    fn finish(mut self, seed: Option<u64>) -> RunResult {
        let s = self.s;
        self.now = s.calendar.end();
        let record_events = self.opts.record_events;
        // Close open bars at the horizon without logging: nothing happened then.
        self.opts.record_events = false;
        let timeline = self.timeline();
        let reliability = self.reliability_report();
        let ledger = std::mem::replace(&mut self.acc, Accountant::new(s)).into_rows();
        let facts = RunFacts {
            seed,
            peak_it_w: self.peak_it_w,
            peak_facility_w: self.peak_facility_w,
            first_gpu_day: self.first_gpu_day,
        };
        let summary = ledger::summarise(s, &ledger, &timeline, facts);
        let finance = self.fin_finish();
        if record_events && let Some(f) = &finance {
            finance::log_breaches(s, &f.summary.covenant_breaches, &mut self.events);
        }
        RunResult {
            ledger,
            events: self.events,
            timeline,
            summary,
            first_gpu_day: self.first_gpu_day,
            capacity_changes: self.capacity_changes,
            reliability,
            finance,
            cooling_pue: self.d.cooling_pue.clone(),
        }
    }
}
