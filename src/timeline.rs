//! What each plan step did and when: the rows of the retrofit Gantt chart.

use crate::calendar::Day;
use crate::power::LimitKind;
use serde::Serialize;

/// What a bar on a Gantt row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SpanKind {
    /// Waiting for equipment to be delivered after ordering (lead time).
    Lead,
    /// Installation, conversion or decommissioning work.
    Work,
    /// Blocked: an action would break this limit.
    Wait(LimitKind),
    /// Units installed by the step are drawing power.
    Energised,
}

/// One bar: `[from, to)` in simulation days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// What it stands for.
    pub kind: SpanKind,
    /// First day.
    pub from: Day,
    /// Day after the last.
    pub to: Day,
    /// Extra text, e.g. the entity that blocked a wait.
    pub label: String,
}

/// How far a step got by the end of the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepStatus {
    /// Waiting for prerequisites or its start date; never began.
    NotStarted,
    /// Began but did not finish (still procuring, working or blocked).
    InProgress,
    /// Finished.
    Done,
}

/// One Gantt row: a plan step and its bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTimeline {
    /// Step id.
    pub id: String,
    /// Short verb, e.g. `order`.
    pub verb: &'static str,
    /// Bars in time order.
    pub spans: Vec<Span>,
    /// Final status.
    pub status: StepStatus,
    /// Day the step finished.
    pub finished: Option<Day>,
    /// For a step that did not finish: why (e.g. the limit it is still waiting on).
    pub reason: Option<String>,
}

impl StepTimeline {
    /// Total days spent waiting on limits.
    pub fn wait_days(&self) -> Day {
        self.spans
            .iter()
            .filter(|s| matches!(s.kind, SpanKind::Wait(_)))
            .map(|s| s.to - s.from)
            .sum()
    }
}
