//! The discrete-event engine: plays a retrofit plan forward on the ECS facility.
//!
//! Time is whole days since the start month ([`Day`]). Events sit in an
//! [`EventQueue`] keyed by `(day, insertion order)`; each handler acts on the
//! [`Facility`] and the [`Accountant`] integrates money and energy between events. All
//! random quantities are drawn up front into [`Draws`], so event order never changes
//! what is drawn, and the same world and seed reproduce a run bit for bit.

pub mod queue;

use crate::calendar::{DAYS_PER_MONTH_AVG, Day, YearMonth};
use crate::dist::Dist;
use crate::facility::{Facility, Lifecycle};
use crate::ledger::{self, Accountant, MonthRow};
use crate::market::MarketPath;
use crate::power::{Blocked, LimitKind};
use crate::scenario::{ActionSpec, EquipmentRef, ModelKind, Scenario, SupplySpec};
use crate::timeline::{Span, SpanKind, StepStatus, StepTimeline};
use crate::world::Contract;
use queue::EventQueue;
use rand::Rng;
use serde::Serialize;
use std::collections::BTreeMap;

/// Every random quantity of one run, drawn before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    /// Lead time in days of each substation (0 for existing ones).
    pub substation_lead_days: Vec<Day>,
    /// Lead time in days of each transformer.
    pub transformer_lead_days: Vec<Day>,
    /// Lead time in days of each cooling loop.
    pub cooling_lead_days: Vec<Day>,
    /// Working time in days of each plan step.
    pub step_days: Vec<Day>,
    /// Lead time in days of the units bought by each plan step (0 if none).
    pub unit_lead_days: Vec<Day>,
    /// Market series.
    pub market: MarketPath,
}

fn weeks_to_days(weeks: f64) -> Day {
    (weeks * 7.0).round() as Day
}

impl Draws {
    /// Medians of every distribution and the median market path: the plain run.
    pub fn median(s: &Scenario) -> Self {
        Self::build(s, &mut Medians)
    }

    /// One sample of every distribution and of the markets, in a fixed order:
    /// substations, transformers, cooling loops, step durations, unit lead times, then
    /// the market path.
    pub fn sample<R: Rng + ?Sized>(s: &Scenario, rng: &mut R) -> Self {
        Self::build(s, &mut Samples(rng))
    }

    fn build(s: &Scenario, source: &mut dyn DrawSource) -> Self {
        let mut lead = |supply: SupplySpec| match supply {
            SupplySpec::Existing => 0,
            SupplySpec::ToOrder {
                lead_time_weeks, ..
            } => weeks_to_days(source.value(lead_time_weeks)),
        };
        let substation_lead_days = s.substations.iter().map(|x| lead(x.supply)).collect();
        let transformer_lead_days = s.transformers.iter().map(|x| lead(x.supply)).collect();
        let cooling_lead_days = s.cooling_loops.iter().map(|x| lead(x.supply)).collect();
        let step_days = s
            .plan
            .iter()
            .map(|st| source.value(st.duration_days).round() as Day)
            .collect();
        let unit_lead_days = s
            .plan
            .iter()
            .map(|st| match st.action {
                ActionSpec::InstallUnits {
                    model, contract, ..
                } if owns_units(s, model, contract) => {
                    weeks_to_days(source.value(s.models[model].lead_time_weeks))
                }
                _ => 0,
            })
            .collect();
        Self {
            substation_lead_days,
            transformer_lead_days,
            cooling_lead_days,
            step_days,
            unit_lead_days,
            market: source.market(s),
        }
    }

    fn lead_days(&self, e: EquipmentRef) -> Day {
        match e {
            EquipmentRef::Substation(i) => self.substation_lead_days[i],
            EquipmentRef::Transformer(i) => self.transformer_lead_days[i],
            EquipmentRef::CoolingLoop(i) => self.cooling_lead_days[i],
        }
    }
}

/// Where a run's uncertain quantities come from: medians, or a random stream.
trait DrawSource {
    fn value(&mut self, d: Dist) -> f64;
    fn market(&mut self, s: &Scenario) -> MarketPath;
}

struct Medians;

impl DrawSource for Medians {
    fn value(&mut self, d: Dist) -> f64 {
        d.median()
    }
    fn market(&mut self, s: &Scenario) -> MarketPath {
        MarketPath::median(&s.markets, s.calendar.months())
    }
}

struct Samples<'a, R: ?Sized>(&'a mut R);

impl<R: Rng + ?Sized> DrawSource for Samples<'_, R> {
    fn value(&mut self, d: Dist) -> f64 {
        d.sample(self.0)
    }
    fn market(&mut self, s: &Scenario) -> MarketPath {
        MarketPath::sample(&s.markets, s.calendar.months(), self.0)
    }
}

/// True when the site buys the units (ASICs, or GPUs it rents out); leased halls are
/// filled with the tenant's servers.
pub fn owns_units(s: &Scenario, model: usize, contract: Contract) -> bool {
    match s.models[model].kind {
        ModelKind::Asic { .. } => true,
        ModelKind::Gpu { .. } => contract == Contract::Rental,
    }
}

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

/// One row of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// Simulation day.
    pub day: Day,
    /// Event kind, e.g. `delivered`, `wait`, `energised`.
    pub event: &'static str,
    /// The entity or step concerned.
    pub entity: String,
    /// What happened, with numbers and units.
    pub detail: String,
}

/// Summary figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Site name.
    pub world: String,
    /// First month, `YYYY-MM`.
    pub start_month: String,
    /// Months simulated.
    pub horizon_months: u32,
    /// Seed of a sampled run; `None` for the median run.
    pub seed: Option<u64>,
    /// Net present value of the monthly cash flows at the discount rate, USD.
    pub npv_usd: f64,
    /// Annual discount rate used.
    pub discount_rate_per_year: f64,
    /// First month from which cumulative cash stays ≥ 0 (`None` if it ends negative).
    pub payback_month: Option<YearMonth>,
    /// Month the first GPU unit energised.
    pub first_gpu_month: Option<YearMonth>,
    /// Total months plan steps spent waiting on limits (days / 30.44).
    pub months_waited_on_limits: f64,
    /// The same, per limit kind.
    pub months_waited_by_limit: BTreeMap<String, f64>,
    /// Cumulative cash at the end of the horizon, USD.
    pub final_cumulative_cash_usd: f64,
    /// Total capex, USD.
    pub total_capex_usd: f64,
    /// Total mining revenue, USD.
    pub total_asic_revenue_usd: f64,
    /// Total GPU revenue, USD.
    pub total_gpu_revenue_usd: f64,
    /// Total energy cost, USD.
    pub total_energy_cost_usd: f64,
    /// Total BTC mined.
    pub total_btc_mined: f64,
    /// Highest IT load at any moment, MW.
    pub peak_it_mw: f64,
    /// Highest facility load at any moment, MW.
    pub peak_facility_mw: f64,
    /// Site interconnect limit, MW.
    pub interconnect_mw: f64,
    /// Steps that did not finish within the horizon, with why.
    pub unfinished_steps: Vec<UnfinishedStep>,
}

/// A plan step that did not finish within the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnfinishedStep {
    /// Step id.
    pub step: String,
    /// Never started or in progress.
    pub status: StepStatus,
    /// Why.
    pub reason: String,
}

/// Whether a piece of equipment entered or left service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceChange {
    /// It can carry load from this day.
    InService,
    /// It stops carrying load from this day (failures, issue 14; nothing takes
    /// equipment out of service yet).
    OutOfService,
}

/// A piece of equipment entering or leaving service: the data behind the capacity lines
/// of the power chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityChange {
    /// Day of the change (0 for equipment in service at the start).
    pub day: Day,
    /// Which item.
    pub equipment: EquipmentRef,
    /// In or out.
    pub change: ServiceChange,
    /// Its rating: real power for substations and transformers, heat rejection for
    /// cooling loops, W.
    pub capacity_w: u64,
}

impl CapacityChange {
    /// The rating in MW.
    pub fn capacity_mw(&self) -> f64 {
        self.capacity_w as f64 / 1e6
    }
}

/// Everything one run produces.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// One row per month.
    pub ledger: Vec<MonthRow>,
    /// The event log (empty if not recorded).
    pub events: Vec<EventRecord>,
    /// One Gantt row per plan step.
    pub timeline: Vec<StepTimeline>,
    /// Summary figures.
    pub summary: Summary,
    /// Day the first GPU unit energised (0 if the site starts with GPUs).
    pub first_gpu_day: Option<Day>,
    /// Equipment entering or leaving service, in day order; equipment in service at the
    /// start is listed at day 0.
    pub capacity_changes: Vec<CapacityChange>,
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
    Delivered { step: usize, item: EquipmentRef },
    UnitsDelivered(usize),
    WorkDone(usize),
    Halving,
    MonthEnd(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Pending,
    Procuring,
    Working,
    Waiting,
    Done,
}

struct StepRun {
    deps_left: usize,
    phase: Phase,
    started: bool,
    outstanding: usize,
    spans: Vec<Span>,
    wait: Option<(Day, Blocked)>,
    energised_from: Option<Day>,
    finished: Option<Day>,
}

struct Sim<'a> {
    s: &'a Scenario,
    d: &'a Draws,
    f: Facility,
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
    peak_it_w: u64,
    peak_facility_w: f64,
    first_gpu_day: Option<Day>,
    capacity_changes: Vec<CapacityChange>,
}

/// Runs `s` with the given draws.
pub fn run(
    s: &Scenario,
    draws: &Draws,
    seed: Option<u64>,
    opts: RunOptions,
) -> Result<RunResult, InvariantViolation> {
    let f = Facility::spawn(s);
    let mut dependents = vec![Vec::new(); s.plan.len()];
    for (i, st) in s.plan.iter().enumerate() {
        for &a in &st.after {
            dependents[a].push(i);
        }
    }
    let mut sim = Sim {
        s,
        d: draws,
        acc: Accountant::new(s),
        q: EventQueue::new(),
        steps: s
            .plan
            .iter()
            .map(|st| StepRun {
                deps_left: st.after.len(),
                phase: Phase::Pending,
                started: false,
                outstanding: 0,
                spans: Vec::new(),
                wait: None,
                energised_from: None,
                finished: None,
            })
            .collect(),
        dependents,
        waiting: Vec::new(),
        energised_by: vec![None; s.racks.len()],
        capacity_changed: false,
        events: Vec::new(),
        opts,
        now: 0,
        peak_it_w: f.totals.asic_it_w + f.totals.gpu_it_w,
        peak_facility_w: f.loads.facility_w(s),
        first_gpu_day: (f.totals.gpu_it_w > 0).then_some(0),
        capacity_changes: initial_capacity(s),
        f,
    };
    sim.execute()?;
    Ok(sim.finish(seed))
}

/// Equipment in service at the start, as day-0 capacity changes.
fn initial_capacity(s: &Scenario) -> Vec<CapacityChange> {
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
            capacity_w: s.equipment_capacity_w(equipment),
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
        if self.opts.record_events {
            self.events.push(EventRecord {
                day: self.now,
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
            self.acc
                .advance(t, s, &self.d.market, &self.f.totals, &self.f.loads);
            if self.opts.record_events {
                self.log_switches();
            }
            let last = self.handle(ev);
            if std::mem::take(&mut self.capacity_changed) {
                self.retry_waiting();
            }
            let it = self.f.totals.asic_it_w + self.f.totals.gpu_it_w;
            self.peak_it_w = self.peak_it_w.max(it);
            self.peak_facility_w = self.peak_facility_w.max(self.f.loads.facility_w(s));
            if self.opts.audit {
                self.audit()?;
            }
            if last {
                break;
            }
        }
        Ok(())
    }

    /// Logs ASIC fleets that switched off because mining stopped paying for their
    /// power, or back on, on the day it happened.
    fn log_switches(&mut self) {
        let now = self.now;
        for sw in self.acc.take_switches() {
            let s = self.s;
            let entity = format!(
                "{} on cooling loop {}",
                s.models[sw.model].id, s.cooling_loops[sw.cooling].id
            );
            self.now = sw.day;
            let (event, verb) = if sw.off {
                (
                    "curtailed",
                    "switched off: mining no longer pays for its power",
                )
            } else {
                (
                    "resumed",
                    "switched back on: mining pays for its power again",
                )
            };
            self.log(event, entity, || {
                format!(
                    "{verb} (revenue {:.0} USD/day vs electricity {:.0} USD/day)",
                    sw.revenue_usd_per_day, sw.cost_usd_per_day
                )
            });
        }
        self.now = now;
    }

    fn audit(&self) -> Result<(), InvariantViolation> {
        let errors = self.f.audit(self.s);
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
        let s = self.s;
        match ev {
            Event::StepReady(i) => {
                if self.steps[i].phase == Phase::Pending {
                    self.start_step(i);
                }
            }
            Event::Delivered { step, item } => {
                self.f.set_state(item, Lifecycle::Delivered);
                self.capacity_changed = true;
                let name = s.equipment_name(item);
                self.log("delivered", name, || {
                    format!(
                        "delivered after {:.1} weeks",
                        self.d.lead_days(item) as f64 / 7.0
                    )
                });
                let run = &mut self.steps[step];
                run.outstanding -= 1;
                if run.outstanding == 0 {
                    self.finish_step(step);
                }
            }
            Event::UnitsDelivered(i) => {
                let id = s.plan[i].id.clone();
                self.log("units-delivered", id, || "units delivered".into());
                self.begin_work(i);
            }
            Event::WorkDone(i) => match &s.plan[i].action {
                ActionSpec::Install(items) => {
                    for &item in items {
                        self.f.set_state(item, Lifecycle::Installed);
                        self.capacity_changes.push(CapacityChange {
                            day: self.now,
                            equipment: item,
                            change: ServiceChange::InService,
                            capacity_w: s.equipment_capacity_w(item),
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
            },
            Event::Halving => {
                self.acc.halve_subsidy();
                let subsidy = self.acc.subsidy_btc();
                self.log("halving", "bitcoin network", || {
                    format!("block subsidy halves to {subsidy} BTC")
                });
            }
            Event::MonthEnd(m) => {
                let row = self.acc.close_month(s, &self.d.market, &self.f.totals);
                let (label, net, cum) = (row.month, row.net_cash_flow_usd, row.cumulative_cash_usd);
                // Stamped with the month's last day, the day it closes.
                let now = self.now;
                self.now = now.saturating_sub(1);
                self.log("month-end", "site", || {
                    format!("{label}: net cash flow {net:.0} USD, cumulative {cum:.0} USD")
                });
                self.now = now;
                if m + 1 < s.calendar.months() {
                    self.q
                        .push_first(s.calendar.month_start(m + 2), Event::MonthEnd(m + 1));
                } else {
                    return true;
                }
            }
        }
        false
    }

    /// Books the step's own cost and logs its start, once.
    fn mark_started(&mut self, i: usize) {
        if std::mem::replace(&mut self.steps[i].started, true) {
            return;
        }
        let st = &self.s.plan[i];
        self.acc.book_capex(st.cost_usd);
        let (verb, cost) = (st.action.verb(), st.cost_usd);
        self.log("step-start", st.id.clone(), || {
            if cost > 0.0 {
                format!("{verb} started; step cost {cost:.0} USD booked as capex")
            } else {
                format!("{verb} started")
            }
        });
    }

    fn start_step(&mut self, i: usize) {
        let s = self.s;
        match &s.plan[i].action {
            ActionSpec::Order(items) => {
                self.mark_started(i);
                let mut last = self.now;
                for &item in items {
                    let cost = match s.equipment_supply(item) {
                        SupplySpec::ToOrder { cost_usd, .. } => cost_usd,
                        SupplySpec::Existing => 0.0,
                    };
                    self.acc.book_capex(cost);
                    self.f.set_state(item, Lifecycle::Ordered);
                    let due = self.now.saturating_add(self.d.lead_days(item));
                    last = last.max(due);
                    self.q.push(due, Event::Delivered { step: i, item });
                    let date = s.calendar.date(due);
                    self.log("ordered", s.equipment_name(item), || {
                        if cost > 0.0 {
                            format!("ordered for {cost:.0} USD; delivery due {date}")
                        } else {
                            format!("ordered; delivery due {date}")
                        }
                    });
                }
                let run = &mut self.steps[i];
                run.outstanding = items.len();
                run.phase = Phase::Procuring;
                run.spans.push(Span {
                    kind: SpanKind::Lead,
                    from: self.now,
                    to: last,
                    label: String::new(),
                });
                if items.is_empty() {
                    self.finish_step(i);
                }
            }
            ActionSpec::Install(items) => {
                let missing = items
                    .iter()
                    .copied()
                    .find(|&it| self.f.state(it) != Lifecycle::Delivered);
                match missing {
                    Some(item) => {
                        let b = Blocked {
                            limit: LimitKind::AwaitingDelivery,
                            entity: s.equipment_name(item),
                            need_w: 0.0,
                            free_w: 0.0,
                            capacity_w: 0.0,
                        };
                        if self.set_wait(i, b) {
                            self.waiting.push(i);
                        }
                    }
                    None => {
                        self.close_wait(i);
                        self.begin_work(i);
                    }
                }
            }
            &ActionSpec::Decommission(g) => {
                self.mark_started(i);
                let freed = self.f.decommission_group(s, g);
                self.capacity_changed = true;
                if let Some(installer) = self.energised_by[g].take() {
                    self.close_energised(installer);
                }
                let group = &s.racks[g].id;
                self.log("decommissioned", format!("rack group {group}"), || {
                    format!(
                        "units switched off; {:.2} MW of IT load freed",
                        freed as f64 / 1e6
                    )
                });
                self.begin_work(i);
            }
            &ActionSpec::InstallUnits {
                group,
                model,
                per_rack,
                contract,
            } => {
                self.mark_started(i);
                let units = u64::from(per_rack) * u64::from(s.racks[group].count);
                if owns_units(s, model, contract) {
                    let cost = units as f64 * s.models[model].cost_usd;
                    self.acc.book_capex(cost);
                    let (m, g) = (&s.models[model].id, &s.racks[group].id);
                    self.log("units-ordered", s.plan[i].id.clone(), || {
                        format!("{units} × {m} for racks {g} bought for {cost:.0} USD")
                    });
                }
                let lead = self.d.unit_lead_days[i];
                if lead > 0 {
                    let run = &mut self.steps[i];
                    run.phase = Phase::Procuring;
                    run.spans.push(Span {
                        kind: SpanKind::Lead,
                        from: self.now,
                        to: self.now.saturating_add(lead),
                        label: String::new(),
                    });
                    self.q
                        .push(self.now.saturating_add(lead), Event::UnitsDelivered(i));
                } else {
                    self.begin_work(i);
                }
            }
        }
    }

    fn begin_work(&mut self, i: usize) {
        self.mark_started(i);
        let days = self.d.step_days[i];
        let run = &mut self.steps[i];
        run.phase = Phase::Working;
        if days > 0 {
            run.spans.push(Span {
                kind: SpanKind::Work,
                from: self.now,
                to: self.now.saturating_add(days),
                label: String::new(),
            });
        }
        self.q
            .push(self.now.saturating_add(days), Event::WorkDone(i));
    }

    /// Tries to energise an install step's units; on success the step finishes.
    fn try_energise(&mut self, i: usize) -> bool {
        let s = self.s;
        let ActionSpec::InstallUnits {
            group,
            model,
            per_rack,
            contract,
        } = s.plan[i].action
        else {
            return true;
        };
        match self.f.can_energise(s, group, model, per_rack) {
            Ok(()) => {
                self.close_wait(i);
                self.f.energise_group(s, group, model, per_rack, contract);
                let m = &s.models[model];
                let units = u64::from(per_rack) * u64::from(s.racks[group].count);
                let mw = (m.power_w * units) as f64 / 1e6;
                if let ModelKind::Gpu { .. } = m.kind {
                    self.first_gpu_day.get_or_insert(self.now);
                    if contract == Contract::Rental {
                        self.acc.rental_energised();
                    }
                }
                if let Some(prev) = self.energised_by[group].replace(i) {
                    self.close_energised(prev);
                }
                self.steps[i].energised_from = Some(self.now);
                let g = &s.racks[group].id;
                self.log("energised", format!("rack group {g}"), || {
                    format!("{units} × {} energised: {mw:.2} MW of IT load", m.id)
                });
                self.finish_step(i);
                true
            }
            Err(b) => {
                self.set_wait(i, b);
                false
            }
        }
    }

    /// Records that step `i` is blocked by `b`. Returns true if it was not waiting
    /// before. A change of reason closes the previous wait bar and opens a new one.
    fn set_wait(&mut self, i: usize, b: Blocked) -> bool {
        let now = self.now;
        let run = &mut self.steps[i];
        let new = run.phase != Phase::Waiting;
        run.phase = Phase::Waiting;
        let same = run
            .wait
            .as_ref()
            .is_some_and(|(_, w)| w.limit == b.limit && w.entity == b.entity);
        if same {
            return new;
        }
        self.close_wait(i);
        let id = self.s.plan[i].id.clone();
        let text = b.to_string();
        self.steps[i].phase = Phase::Waiting;
        self.steps[i].wait = Some((now, b));
        self.log("wait", id, || text);
        new
    }

    fn close_wait(&mut self, i: usize) {
        let now = self.now;
        if let Some((from, b)) = self.steps[i].wait.take() {
            if now > from {
                self.steps[i].spans.push(Span {
                    kind: SpanKind::Wait(b.limit),
                    from,
                    to: now,
                    label: b.to_string(),
                });
            }
            let id = self.s.plan[i].id.clone();
            self.log("wait-over", id, || {
                format!("waited {} days on {}", now - from, b.limit.name())
            });
        }
    }

    fn close_energised(&mut self, i: usize) {
        if let Some(from) = self.steps[i].energised_from.take() {
            self.steps[i].spans.push(Span {
                kind: SpanKind::Energised,
                from,
                to: self.now,
                label: String::new(),
            });
        }
    }

    fn retry_waiting(&mut self) {
        let list = std::mem::take(&mut self.waiting);
        for i in list {
            let still = match self.s.plan[i].action {
                ActionSpec::Install(_) => {
                    self.start_step(i);
                    self.steps[i].phase == Phase::Waiting
                }
                _ => !self.try_energise(i),
            };
            if still {
                self.waiting.push(i);
            }
        }
    }

    fn finish_step(&mut self, i: usize) {
        let run = &mut self.steps[i];
        run.phase = Phase::Done;
        run.finished = Some(self.now);
        let id = self.s.plan[i].id.clone();
        self.log("step-done", id, || "finished".into());
        for k in 0..self.dependents[i].len() {
            let d = self.dependents[i][k];
            let run = &mut self.steps[d];
            run.deps_left -= 1;
            if run.deps_left == 0 {
                let at = self.s.plan[d].start.unwrap_or(0).max(self.now);
                self.q.push(at, Event::StepReady(d));
            }
        }
    }

    fn finish(mut self, seed: Option<u64>) -> RunResult {
        let s = self.s;
        self.now = s.calendar.end();
        // Close open bars at the horizon without logging: nothing happened then.
        self.opts.record_events = false;
        for i in 0..self.steps.len() {
            self.close_wait(i);
            self.close_energised(i);
        }
        let timeline: Vec<StepTimeline> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, run)| {
                let status = match run.phase {
                    Phase::Done => StepStatus::Done,
                    Phase::Pending => StepStatus::NotStarted,
                    _ => StepStatus::InProgress,
                };
                let reason = match run.phase {
                    Phase::Done => None,
                    Phase::Pending => Some(self.why_pending(i)),
                    Phase::Waiting => self.steps[i]
                        .spans
                        .iter()
                        .rev()
                        .find(|sp| matches!(sp.kind, SpanKind::Wait(_)))
                        .map(|sp| format!("still waiting: {}", sp.label)),
                    Phase::Procuring => {
                        Some("equipment not delivered by the end of the horizon".into())
                    }
                    Phase::Working => Some("work not finished by the end of the horizon".into()),
                };
                let mut spans = run.spans.clone();
                spans.sort_by_key(|sp| (sp.from, sp.to));
                StepTimeline {
                    id: s.plan[i].id.clone(),
                    verb: s.plan[i].action.verb(),
                    spans,
                    status,
                    finished: run.finished,
                    reason,
                }
            })
            .collect();
        let ledger = std::mem::replace(&mut self.acc, Accountant::new(s)).into_rows();
        let summary = self.summarise(&ledger, &timeline, seed);
        RunResult {
            ledger,
            events: self.events,
            timeline,
            summary,
            first_gpu_day: self.first_gpu_day,
            capacity_changes: self.capacity_changes,
        }
    }

    fn why_pending(&self, i: usize) -> String {
        let st = &self.s.plan[i];
        let blocking: Vec<&str> = st
            .after
            .iter()
            .filter(|&&a| self.steps[a].phase != Phase::Done)
            .map(|&a| self.s.plan[a].id.as_str())
            .collect();
        if blocking.is_empty() {
            match st.start {
                Some(d) => format!(
                    "start date {} is after the horizon",
                    self.s.calendar.date(d)
                ),
                None => "never became ready".into(),
            }
        } else {
            format!("never started: waiting for step(s) {}", blocking.join(", "))
        }
    }

    fn summarise(
        &self,
        ledger: &[MonthRow],
        timeline: &[StepTimeline],
        seed: Option<u64>,
    ) -> Summary {
        let s = self.s;
        let cumulative: Vec<f64> = ledger.iter().map(|r| r.cumulative_cash_usd).collect();
        let mut by_limit: BTreeMap<String, f64> = BTreeMap::new();
        let mut wait_days = 0u32;
        for t in timeline {
            for sp in &t.spans {
                if let SpanKind::Wait(l) = sp.kind {
                    wait_days += sp.to - sp.from;
                    *by_limit.entry(l.name().to_string()).or_default() +=
                        f64::from(sp.to - sp.from) / DAYS_PER_MONTH_AVG;
                }
            }
        }
        let sum = |f: fn(&MonthRow) -> f64| ledger.iter().map(f).sum::<f64>();
        Summary {
            world: s.name.clone(),
            start_month: s.calendar.start().to_string(),
            horizon_months: s.calendar.months(),
            seed,
            npv_usd: ledger::npv(
                s.discount_rate_per_year,
                ledger.iter().map(|r| r.net_cash_flow_usd),
            ),
            discount_rate_per_year: s.discount_rate_per_year,
            payback_month: ledger::payback_index(&cumulative).map(|i| ledger[i].month),
            first_gpu_month: self
                .first_gpu_day
                .map(|d| s.calendar.label(s.calendar.month_of(d))),
            months_waited_on_limits: f64::from(wait_days) / DAYS_PER_MONTH_AVG,
            months_waited_by_limit: by_limit,
            final_cumulative_cash_usd: cumulative.last().copied().unwrap_or(0.0),
            total_capex_usd: sum(|r| r.capex_usd),
            total_asic_revenue_usd: sum(|r| r.asic_revenue_usd),
            total_gpu_revenue_usd: sum(|r| r.gpu_revenue_usd),
            total_energy_cost_usd: sum(|r| r.energy_cost_usd),
            total_btc_mined: sum(|r| r.btc_mined),
            peak_it_mw: self.peak_it_w as f64 / 1e6,
            peak_facility_mw: self.peak_facility_w / 1e6,
            interconnect_mw: s.interconnect_w as f64 / 1e6,
            unfinished_steps: timeline
                .iter()
                .filter(|t| t.status != StepStatus::Done)
                .map(|t| UnfinishedStep {
                    step: t.id.clone(),
                    status: t.status,
                    reason: t.reason.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}
