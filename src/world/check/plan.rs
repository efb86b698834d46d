//! The plan section: each step's action, timing, links and cost; then the rules that
//! need the whole plan (every installed item ordered, every install's power path put
//! in service, no cycle in `after`).
//!
//! `Fail` steps (scripted failures) are not steps the engine runs: they leave the plan
//! here and become [`ScriptedFail`]s, which [`super::reliability`] checks against the
//! assembled plan (is the item in service on that date?). The other steps keep their
//! order, and `after` links are renumbered to skip the `Fail` steps.

use super::equipment::Equipment;
use super::{Checker, Ids, Kind, MAX_USD, Rule};
use crate::calendar::{Calendar, Date, Day};
use crate::dist::{Dist, Quantity};
use crate::scenario::{
    ActionSpec, Contract, EquipmentRef, ModelKind, ModelSpec, RackGroupSpec, StepSpec, SupplySpec,
};
use crate::world::{Action, Step, WorldFile};
use std::collections::{HashMap, HashSet};

/// Longest step duration accepted, in days (1,000 years).
const MAX_DURATION_DAYS: f64 = 365_250.0;

/// What a step is checked against: the rest of the world, already checked.
struct Context<'a> {
    world: &'a WorldFile,
    ids: &'a Ids<'a>,
    equipment: &'a Equipment,
    models: &'a [ModelSpec],
    calendar: &'a Calendar,
    /// Rack groups that some `InstallUnits` step fills.
    filled_by_plan: HashSet<&'a str>,
    /// For each step of the file, its index in the checked plan (`None` for `Fail`).
    spec_index: Vec<Option<usize>>,
}

/// A checked `Fail` step: `item` fails on `day`, whatever the seed.
pub(super) struct ScriptedFail {
    /// The step, as problems name it (`plan step T3-fails`).
    pub(super) entity: String,
    /// What fails.
    pub(super) item: EquipmentRef,
    /// When, in days from the start month.
    pub(super) day: Day,
    /// The date as written, for messages.
    pub(super) date: String,
}

/// The checked plan: the steps the engine runs, and the scripted failures.
pub(super) struct Plan {
    /// Steps in file order, `Fail` steps left out.
    pub(super) steps: Vec<StepSpec>,
    /// The `Fail` steps, in file order.
    pub(super) scripted: Vec<ScriptedFail>,
}

pub(super) fn check(
    c: &mut Checker,
    world: &WorldFile,
    ids: &Ids,
    equipment: &Equipment,
    models: &[ModelSpec],
    racks: &[RackGroupSpec],
    calendar: &Calendar,
) -> Plan {
    let filled_by_plan = world
        .plan
        .iter()
        .filter_map(|p| match &p.action {
            Action::InstallUnits { racks, .. } => Some(racks.as_str()),
            _ => None,
        })
        .collect();
    let mut next = 0;
    let spec_index = (world.plan.iter())
        .map(|st| {
            (!matches!(st.action, Action::Fail(_))).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let cx = Context {
        world,
        ids,
        equipment,
        models,
        calendar,
        filled_by_plan,
        spec_index,
    };
    let mut ordered_by = HashMap::new();
    let mut plan = Vec::with_capacity(next);
    let mut scripted = Vec::new();
    for (si, st) in world.plan.iter().enumerate() {
        match &st.action {
            Action::Fail(id) => scripted.extend(fail_step(c, &cx, st, id)),
            _ => plan.extend(step(c, &cx, si, st, &mut ordered_by)),
        }
    }
    let installed = installed(&plan);
    never_ordered(c, equipment, &installed, &ordered_by);
    never_in_service(c, equipment, racks, &plan, &installed);
    if let Some(cycle) = find_cycle(&plan) {
        let ids: Vec<&str> = cycle.iter().map(|&i| plan[i].id.as_str()).collect();
        c.push(
            Kind::PlanStep.label(ids[0]),
            Rule::PlanCycle,
            format!(
                "the plan's `after` links form a cycle: {}",
                ids.join(" -> ")
            ),
        );
    }
    Plan {
        steps: plan,
        scripted,
    }
}

/// Checks step `si`; `ordered_by` records which step orders each item. `None` for a
/// `Fail` step.
fn step(
    c: &mut Checker,
    cx: &Context,
    si: usize,
    st: &Step,
    ordered_by: &mut HashMap<EquipmentRef, usize>,
) -> Option<StepSpec> {
    let e = Kind::PlanStep.label(&st.id);
    let action = match &st.action {
        Action::Order(ids) => ActionSpec::Order(items(c, cx, &e, ids, Some((si, ordered_by)))),
        Action::Install(ids) => ActionSpec::Install(items(c, cx, &e, ids, None)),
        Action::Decommission(g) => {
            let gi = c.lookup(&e, Kind::RackGroup, cx.ids, g);
            let starts_empty = gi.is_some_and(|gi| cx.world.racks[gi].units.is_none());
            if starts_empty && !cx.filled_by_plan.contains(g.as_str()) {
                c.push(
                    &e,
                    Rule::NothingToDecommission,
                    format!(
                        "rack group `{g}` starts with no units and no InstallUnits step fills it"
                    ),
                );
            }
            ActionSpec::Decommission(gi.unwrap_or(0))
        }
        Action::InstallUnits {
            racks,
            model,
            per_rack,
            contract,
        } => install_units(c, cx, &e, racks, model, *per_rack, *contract),
        // `check` routes Fail steps to `fail_step`; they are no step the engine runs.
        Action::Fail(_) => return None,
    };
    let duration_days = c.dist(&e, "duration_days", st.duration_days, MAX_DURATION_DAYS);
    if matches!(action, ActionSpec::Order(_)) && duration_days != Dist::Fixed(0.0) {
        c.push(
            &e,
            Rule::IgnoredField,
            "an Order step lasts the lead time of its items; remove duration_days",
        );
    }
    let start = st
        .start
        .as_deref()
        .and_then(|t| start_day(c, cx.calendar, &e, t));
    let after = (st.after.iter())
        .filter_map(|a| {
            let spec = cx.spec_index[c.lookup(&e, Kind::PlanStep, cx.ids, a)?];
            if spec.is_none() {
                c.push(
                    &e,
                    Rule::UnknownReference,
                    format!("`{a}` is a Fail step: a scripted failure strikes on its date and no step waits for it"),
                );
            }
            spec
        })
        .collect();
    let cost_dist = match st.cost_usd {
        Quantity::Value(v) => {
            c.within(&e, "cost_usd", v, 0.0, MAX_USD);
            Dist::Fixed(v)
        }
        q => c.dist(&e, "cost_usd", q, MAX_USD),
    };
    Some(StepSpec {
        id: st.id.clone(),
        action,
        duration_days,
        start,
        after,
        cost_usd: cost_dist.median(),
        cost_dist,
    })
}

/// Checks a `Fail` step: known equipment, a `start` date within the horizon, and none
/// of the fields that only steps the engine runs take.
fn fail_step(c: &mut Checker, cx: &Context, st: &Step, id: &str) -> Option<ScriptedFail> {
    let e = Kind::PlanStep.label(&st.id);
    let item = equipment_ref(cx.ids, id);
    if item.is_none() {
        c.push(
            &e,
            Rule::UnknownReference,
            format!("`{id}` is not a substation, transformer or cooling loop"),
        );
    }
    let duration = c.dist(&e, "duration_days", st.duration_days, MAX_DURATION_DAYS);
    for (field, set) in [
        ("after", !st.after.is_empty()),
        ("duration_days", duration != Dist::Fixed(0.0)),
        ("cost_usd", st.cost_usd != Quantity::Value(0.0)),
    ] {
        if set {
            c.push(
                &e,
                Rule::IgnoredField,
                format!("a Fail step strikes on its start date and costs what its restore costs; remove {field}"),
            );
        }
    }
    let Some(date) = st.start.as_deref() else {
        c.push(
            &e,
            Rule::BadDate,
            "a Fail step needs `start`, the date the equipment fails",
        );
        return None;
    };
    let day = start_day(c, cx.calendar, &e, date)?;
    if day >= cx.calendar.end() {
        c.push(
            &e,
            Rule::BadDate,
            format!("start {date} is after the simulated horizon"),
        );
        return None;
    }
    Some(ScriptedFail {
        entity: e,
        item: item?,
        day,
        date: date.to_string(),
    })
}

/// The items of an `Order` (with its step index and the record of orders) or
/// `Install` step.
fn items(
    c: &mut Checker,
    cx: &Context,
    e: &str,
    ids: &[String],
    mut ordering: Option<(usize, &mut HashMap<EquipmentRef, usize>)>,
) -> Vec<EquipmentRef> {
    if ids.is_empty() {
        c.push(e, Rule::EmptyStep, "lists no equipment");
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = equipment_ref(cx.ids, id) else {
            c.push(
                e,
                Rule::UnknownReference,
                format!("`{id}` is not a substation, transformer or cooling loop"),
            );
            continue;
        };
        if cx.equipment.supply(r) == Some(SupplySpec::Existing) {
            c.push(
                e,
                Rule::NotOrderable,
                format!("`{id}` is Existing; only equipment declared ToOrder can be ordered or installed"),
            );
        }
        if let Some((si, ordered_by)) = ordering.as_mut() {
            if let Some(prev) = ordered_by.insert(r, *si) {
                c.push(
                    e,
                    Rule::OrderedTwice,
                    format!(
                        "`{id}` is already ordered by step `{}`",
                        cx.world.plan[prev].id
                    ),
                );
            }
        }
        out.push(r);
    }
    out
}

/// The substation, transformer or cooling loop with this id, in that order of search.
fn equipment_ref(ids: &Ids, id: &str) -> Option<EquipmentRef> {
    let find = |kind| ids.of(kind).get(id).copied();
    find(Kind::Substation)
        .map(EquipmentRef::Substation)
        .or_else(|| find(Kind::Transformer).map(EquipmentRef::Transformer))
        .or_else(|| find(Kind::CoolingLoop).map(EquipmentRef::CoolingLoop))
}

fn install_units(
    c: &mut Checker,
    cx: &Context,
    e: &str,
    racks: &str,
    model: &str,
    per_rack: u32,
    contract: Contract,
) -> ActionSpec {
    let group = c.lookup(e, Kind::RackGroup, cx.ids, racks);
    let mi = c.lookup(e, Kind::UnitModel, cx.ids, model);
    c.units_per_rack(e, per_rack);
    let gpu = mi.is_some_and(|mi| matches!(cx.models[mi].kind, ModelKind::Gpu { .. }));
    let m = &cx.world.markets;
    let (has_market, what) = match contract {
        Contract::Lease => (m.gpu_lease.is_some(), "markets.gpu_lease"),
        Contract::Rental => (m.gpu_rental.is_some(), "markets.gpu_rental"),
    };
    if gpu && !has_market {
        c.push(
            e,
            Rule::MissingMarket,
            format!("contract {contract:?} needs {what} to be set"),
        );
    }
    ActionSpec::InstallUnits {
        group: group.unwrap_or(0),
        model: mi.unwrap_or(0),
        per_rack,
        contract,
    }
}

/// The day a `start` date falls on, or a `bad-date` problem.
fn start_day(c: &mut Checker, calendar: &Calendar, e: &str, t: &str) -> Option<Day> {
    match Date::parse(t) {
        Ok(d) => {
            let day = calendar.day_of(d);
            if day.is_none() {
                let start = calendar.start();
                c.push(
                    e,
                    Rule::BadDate,
                    format!("start {t} is before the start month {start}"),
                );
            }
            day
        }
        Err(err) => {
            c.push(e, Rule::BadDate, format!("start: {err}"));
            None
        }
    }
}

/// Every `ToOrder` item the plan installs must be ordered by some step; otherwise it
/// never exists.
fn never_ordered(
    c: &mut Checker,
    equipment: &Equipment,
    installed: &HashSet<EquipmentRef>,
    ordered_by: &HashMap<EquipmentRef, usize>,
) {
    for r in equipment.all() {
        let to_order = matches!(equipment.supply(r), Some(SupplySpec::ToOrder { .. }));
        if to_order && !ordered_by.contains_key(&r) && installed.contains(&r) {
            let name = equipment.name(r).unwrap_or_default();
            c.push(
                name,
                Rule::NeverOrdered,
                "is installed by the plan but no Order step orders it",
            );
        }
    }
}

/// Items that some `Install` step puts in service.
fn installed(plan: &[StepSpec]) -> HashSet<EquipmentRef> {
    plan.iter()
        .flat_map(|p| match &p.action {
            ActionSpec::Install(v) => v.as_slice(),
            _ => &[],
        })
        .copied()
        .collect()
}

/// An install whose racks hang off equipment that no step puts in service waits
/// forever: say so now rather than at the end of the run.
fn never_in_service(
    c: &mut Checker,
    equipment: &Equipment,
    racks: &[RackGroupSpec],
    plan: &[StepSpec],
    installed: &HashSet<EquipmentRef>,
) {
    for st in plan {
        let ActionSpec::InstallUnits { group, .. } = st.action else {
            continue;
        };
        let Some(g) = racks.get(group) else { continue };
        let Some(t) = equipment.transformers.get(g.transformer) else {
            continue;
        };
        for item in [
            EquipmentRef::CoolingLoop(g.cooling),
            EquipmentRef::Transformer(g.transformer),
            EquipmentRef::Substation(t.substation),
        ] {
            let to_order = matches!(equipment.supply(item), Some(SupplySpec::ToOrder { .. }));
            if to_order && !installed.contains(&item) {
                let name = equipment.name(item).unwrap_or_default();
                c.push(
                    Kind::PlanStep.label(&st.id),
                    Rule::NeverInService,
                    format!(
                        "racks {} need {name}, which is ToOrder but no Install step puts it in service, so the units could never be energised",
                        g.id
                    ),
                );
            }
        }
    }
}
/// A cycle in the `after` graph, as step indices, if there is one.
fn find_cycle(plan: &[StepSpec]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; plan.len()];
    let mut path = Vec::new();
    for root in 0..plan.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next child index) so deep plans cannot overflow the stack.
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::Open;
        path.push(root);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&child) = plan[node].after.get(*next) {
                *next += 1;
                match mark[child] {
                    Mark::Open => {
                        let from = path.iter().position(|&p| p == child).unwrap_or(0);
                        let mut cycle = path[from..].to_vec();
                        cycle.push(child);
                        return Some(cycle);
                    }
                    Mark::New => {
                        mark[child] = Mark::Open;
                        path.push(child);
                        stack.push((child, 0));
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                path.pop();
                stack.pop();
            }
        }
    }
    None
}
