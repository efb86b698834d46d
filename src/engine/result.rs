//! What one run produces: ledger, event log, timeline, summary and the typed facts later
//! layers need (first-GPU day, capacity changes). Labels are made only when written.

use crate::calendar::Day;
use crate::ledger::{MonthRow, Summary};
use crate::scenario::EquipmentRef;
use crate::timeline::StepTimeline;
use serde::Serialize;

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
#[derive(Debug, Clone, PartialEq)]
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
    /// Failures, downtime and SLA credits, when the world declares a reliability section.
    pub reliability: Option<super::ReliabilityReport>,
    /// Project and equity cash flows and their figures, for worlds with a `finance`
    /// section.
    pub finance: Option<crate::finance::FinanceResult>,
    /// The PUE each cooling loop ran at, in loop order: this run's draws (the medians in
    /// the plain run), for figures derived after the run (a fleet's break-even).
    pub cooling_pue: Vec<f64>,
}
