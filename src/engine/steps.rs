//! The plan steps' state machine: a step becomes ready when its prerequisites finish,
//! then orders, works, waits on limits and energises, leaving Gantt bars behind.

use super::{Event, Sim, owns_units};
use crate::calendar::Day;
use crate::power::{Blocked, LimitKind};
use crate::scenario::Contract;
use crate::scenario::{ActionSpec, EquipmentRef, ModelKind, Scenario, SupplySpec};
use crate::timeline::{Span, SpanKind, StepStatus, StepTimeline};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Pending,
    Procuring,
    Working,
    Waiting,
    Done,
}

/// How far one plan step has got.
pub(super) struct StepRun {
    deps_left: usize,
    phase: Phase,
    started: bool,
    outstanding: usize,
    spans: Vec<Span>,
    wait: Option<(Day, Blocked)>,
    energised_from: Option<Day>,
    finished: Option<Day>,
}

impl StepRun {
    /// True until the step starts.
    pub(super) fn is_pending(&self) -> bool {
        self.phase == Phase::Pending
    }

    /// Counts one ordered item delivered; true when it was the last.
    pub(super) fn delivered_one(&mut self) -> bool {
        self.outstanding -= 1;
        self.outstanding == 0
    }
}

/// Every step of `s`, pending.
pub(super) fn initial(s: &Scenario) -> Vec<StepRun> {
    s.plan
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
        .collect()
}

/// For each step, the steps that wait for it.
pub(super) fn dependents(s: &Scenario) -> Vec<Vec<usize>> {
    let mut dependents = vec![Vec::new(); s.plan.len()];
    for (i, st) in s.plan.iter().enumerate() {
        for &a in &st.after {
            dependents[a].push(i);
        }
    }
    dependents
}

impl Sim<'_> {
    /// Books the step's own cost and logs its start, once.
    fn mark_started(&mut self, i: usize) {
        if std::mem::replace(&mut self.steps[i].started, true) {
            return;
        }
        let s = self.s;
        let st = &s.plan[i];
        let cost = self.d.step_cost_usd[i];
        self.acc.book_capex(cost);
        self.fin_capex(&st.id, cost);
        let verb = st.action.verb();
        self.log("step-start", st.id.clone(), || {
            if cost > 0.0 {
                format!("{verb} started; step cost {cost:.0} USD booked as capex")
            } else {
                format!("{verb} started")
            }
        });
    }

    pub(super) fn start_step(&mut self, i: usize) {
        match &self.s.plan[i].action {
            ActionSpec::Order(items) => self.start_order(i, items),
            ActionSpec::Install(items) => self.start_install(i, items),
            &ActionSpec::Decommission(g) => self.start_decommission(i, g),
            &ActionSpec::InstallUnits {
                group,
                model,
                per_rack,
                contract,
            } => self.start_install_units(i, group, model, per_rack, contract),
        }
    }

    fn start_order(&mut self, i: usize, items: &[EquipmentRef]) {
        let s = self.s;
        self.mark_started(i);
        let mut last = self.now;
        for &item in items {
            let cost = match s.equipment_supply(item) {
                SupplySpec::ToOrder { cost_usd, .. } => cost_usd,
                SupplySpec::Existing => 0.0,
            };
            self.acc.book_capex(cost);
            self.fin_capex(s.equipment_id(item), cost);
            self.f.set_state(item, crate::facility::Lifecycle::Ordered);
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

    fn start_install(&mut self, i: usize, items: &[EquipmentRef]) {
        let missing = items
            .iter()
            .copied()
            .find(|&it| self.f.state(it) != crate::facility::Lifecycle::Delivered);
        match missing {
            Some(item) => {
                let b = Blocked {
                    limit: LimitKind::AwaitingDelivery,
                    entity: self.s.equipment_name(item),
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

    fn start_decommission(&mut self, i: usize, g: usize) {
        let s = self.s;
        self.mark_started(i);
        let freed = self.take_out_group(g);
        self.log("decommissioned", s.rack_group_name(g), || {
            format!(
                "units switched off; {:.2} MW of IT load freed",
                freed as f64 / 1e6
            )
        });
        self.begin_work(i);
    }

    /// Takes every unit of group `g` out of service for good, as a Decommission step
    /// and the idle-fleet sale both do: finance stops counting its fleet, the energised
    /// units are switched off (and units dark after a failure with them, never to come
    /// back), and the step that energised the group is closed. Returns the IT W freed.
    pub(super) fn take_out_group(&mut self, g: usize) -> u64 {
        self.fin_decommission(g);
        let freed = self.f.decommission_group(self.s, g);
        self.decommission_dark(g);
        self.capacity_changed = true;
        if let Some(installer) = self.energised_by[g].take() {
            self.close_energised(installer);
        }
        freed
    }

    fn start_install_units(
        &mut self,
        i: usize,
        group: usize,
        model: usize,
        per_rack: u32,
        contract: Contract,
    ) {
        let s = self.s;
        self.mark_started(i);
        let units = u64::from(per_rack) * u64::from(s.racks[group].count);
        if owns_units(s, model, contract) {
            let cost = units as f64 * s.models[model].cost_usd;
            self.acc.book_capex(cost);
            self.fin_capex(&super::finance::units_item(&s.plan[i].id), cost);
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

    pub(super) fn begin_work(&mut self, i: usize) {
        self.mark_started(i);
        self.fin_work_began(i);
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
    pub(super) fn try_energise(&mut self, i: usize) -> bool {
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
        if let Some(b) = self.backup_blocks(group) {
            self.set_wait(i, b);
            return false;
        }
        if let Err(b) = self.f.can_energise(s, group, model, per_rack) {
            self.set_wait(i, b);
            return false;
        }
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
        self.fin_energised(i);
        self.steps[i].energised_from = Some(self.now);
        self.log("energised", s.rack_group_name(group), || {
            format!("{units} × {} energised: {mw:.2} MW of IT load", m.id)
        });
        self.finish_step(i);
        true
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
        let text = format!("{b}{}", self.drawn_pue_note(i, b.limit));
        self.steps[i].phase = Phase::Waiting;
        self.steps[i].wait = Some((now, b));
        self.log("wait", id, || text);
        new
    }

    /// When step `i`'s racks sit on a loop whose PUE this run drew and `limit` depends
    /// on it (the interconnect always; transformer and substation when the plant shares
    /// the racks' feed), the drawn PUE, so the log says the draw is why: e.g.
    /// ` (this run's PUE on cooling loop DLC-2: 1.412)`. Empty otherwise.
    fn drawn_pue_note(&self, i: usize, limit: LimitKind) -> String {
        let ActionSpec::InstallUnits { group, .. } = self.s.plan[i].action else {
            return String::new();
        };
        let c = self.s.racks[group].cooling;
        let lp = &self.s.cooling_loops[c];
        let on_path = lp.plant_feed == crate::scenario::PlantFeed::RackTransformers
            && matches!(
                limit,
                LimitKind::TransformerRating | LimitKind::SubstationCapacity
            );
        if !lp.pue_sampled() || !(limit == LimitKind::Interconnect || on_path) {
            return String::new();
        }
        format!(
            " (this run's PUE on cooling loop {}: {:.3})",
            lp.id,
            self.f.pue(c)
        )
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

    pub(super) fn retry_waiting(&mut self) {
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

    pub(super) fn finish_step(&mut self, i: usize) {
        let run = &mut self.steps[i];
        run.phase = Phase::Done;
        run.finished = Some(self.now);
        let id = self.s.plan[i].id.clone();
        self.fin_milestone(&id, true);
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

    /// Closes open bars at the horizon and returns one Gantt row per step.
    pub(super) fn timeline(&mut self) -> Vec<StepTimeline> {
        for i in 0..self.steps.len() {
            self.close_wait(i);
            self.close_energised(i);
        }
        (0..self.steps.len()).map(|i| self.row(i)).collect()
    }

    fn row(&self, i: usize) -> StepTimeline {
        let run = &self.steps[i];
        let st = &self.s.plan[i];
        let status = match run.phase {
            Phase::Done => StepStatus::Done,
            Phase::Pending => StepStatus::NotStarted,
            _ => StepStatus::InProgress,
        };
        let reason = match run.phase {
            Phase::Done => None,
            Phase::Pending => Some(self.why_pending(i)),
            Phase::Waiting => run
                .spans
                .iter()
                .rev()
                .find(|sp| matches!(sp.kind, SpanKind::Wait(_)))
                .map(|sp| format!("still waiting: {}", sp.label)),
            Phase::Procuring => Some("equipment not delivered by the end of the horizon".into()),
            Phase::Working => Some("work not finished by the end of the horizon".into()),
        };
        let mut spans = run.spans.clone();
        spans.sort_by_key(|sp| (sp.from, sp.to));
        StepTimeline {
            id: st.id.clone(),
            verb: st.action.verb(),
            spans,
            status,
            finished: run.finished,
            reason,
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
}
