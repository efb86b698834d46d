//! The `reliability` section (issue 14): failure models, spares, redundancy groups,
//! backup power and the SLA; and the plan's `Fail` steps (scripted failures). Checked
//! on the assembled [`Scenario`], because whether a scripted failure strikes equipment
//! in service needs the plan.

use super::plan::ScriptedFail;
use super::{Checker, Ids, Kind, MAX_LEAD_TIME_WEEKS, MAX_RATING_MW, MAX_USD, Rule, mw_to_w};
use crate::dist::Dist;
use crate::scenario::reliability::{
    BackupKind, BackupSpec, CreditBandSpec, DAYS_PER_YEAR, FailureSpec, LeaseSla, LifeSpec,
    RedundancySpec, ReliabilitySpec, RestoreSpec, Scheme, SchemeSpec, SlaSpec, SpareSpec,
    UnitFailureSpec,
};
use crate::scenario::{ActionSpec, EquipmentRef, Scenario, SupplySpec};
use crate::world::reliability::{Life, Reliability, Restore, SchemeSection, Sla};
use crate::world::{Action, WorldFile};

/// Longest repair or swap accepted, days (ten years).
const MAX_REPAIR_DAYS: f64 = 3652.0;

/// Checks the section and returns it resolved.
pub(super) fn check(
    c: &mut Checker,
    world: &WorldFile,
    ids: &Ids,
    s: &Scenario,
    fails: &[ScriptedFail],
) -> ReliabilitySpec {
    let r = &world.reliability;
    let failures = failures(c, r, ids, s);
    let units = r
        .units
        .iter()
        .filter_map(|u| {
            let e = format!("unit failures of {}", u.model);
            let model = c.lookup(&e, Kind::UnitModel, ids, &u.model);
            c.within(&e, "annual_failure_rate", u.annual_failure_rate, 0.0, 10.0);
            c.within(&e, "repair_days", u.repair_days, 0.0, MAX_REPAIR_DAYS);
            Some(UnitFailureSpec {
                model: model?,
                annual_failure_rate: u.annual_failure_rate,
                repair_days: u.repair_days,
            })
        })
        .collect();
    let spares = r
        .spares
        .iter()
        .map(|sp| {
            let e = format!("spare {}", sp.id);
            c.within(&e, "cost_usd", sp.cost_usd, 0.0, MAX_USD);
            let replaces = refs(c, &e, ids, &sp.replaces);
            same_kind(c, &e, s, &replaces);
            let swap_days = c.dist(&e, "swap_days", sp.swap_days, MAX_REPAIR_DAYS);
            SpareSpec {
                id: sp.id.clone(),
                replaces,
                cost_usd: sp.cost_usd,
                swap_days,
            }
        })
        .collect();
    let redundancy = redundancy(c, r, ids, s);
    let backup = backup(c, r, &redundancy);
    let sla = r.sla.as_ref().map(|sla| check_sla(c, "sla", sla));
    let lease_slas = lease_slas(c, world, ids);
    let scripted = scripted(c, fails, s);
    ReliabilitySpec {
        failures,
        units,
        spares,
        redundancy,
        backup,
        sla,
        lease_slas,
        scripted,
    }
}

/// A service level: a target within 0..=1 and disjoint credit bands, problems named
/// after `e` (`sla`, or `lease L1 sla`).
fn check_sla(c: &mut Checker, e: &str, sla: &Sla) -> SlaSpec {
    let t = sla.availability_target;
    if !(t.is_finite() && (0.0..=1.0).contains(&t)) {
        c.push(
            e,
            Rule::OutOfRange,
            format!(
                "availability_target must be between 0 and 1 (100 %), got {t} ({:.2} %)",
                t * 100.0
            ),
        );
    }
    SlaSpec {
        availability_target: t,
        credits: credit_bands(c, e, sla),
    }
}

/// The finance leases that carry their own `sla`, each resolved to its hall's rack
/// group (the lease's `hall` is a rack group id or the id of the `InstallUnits` step
/// that fills it; an unknown hall is the finance check's to report).
fn lease_slas(c: &mut Checker, world: &WorldFile, ids: &Ids) -> Vec<LeaseSla> {
    let Some(f) = &world.finance else {
        return Vec::new();
    };
    let group_of = |hall: &str| {
        let groups = ids.of(Kind::RackGroup);
        groups.get(hall).copied().or_else(|| {
            let step = &world.plan[*ids.of(Kind::PlanStep).get(hall)?];
            match &step.action {
                Action::InstallUnits { racks, .. } => groups.get(racks.as_str()).copied(),
                _ => None,
            }
        })
    };
    let mut out = Vec::new();
    for l in &f.leases {
        let Some(sla) = &l.sla else { continue };
        let spec = check_sla(c, &format!("lease {} sla", l.id), sla);
        if let Some(group) = group_of(&l.hall) {
            out.push(LeaseSla {
                lease: l.id.clone(),
                group,
                sla: spec,
            });
        }
    }
    out
}

/// The substation, transformer or cooling loop with this id.
fn equipment_ref(ids: &Ids, id: &str) -> Option<EquipmentRef> {
    let find = |kind| ids.of(kind).get(id).copied();
    find(Kind::Substation)
        .map(EquipmentRef::Substation)
        .or_else(|| find(Kind::Transformer).map(EquipmentRef::Transformer))
        .or_else(|| find(Kind::CoolingLoop).map(EquipmentRef::CoolingLoop))
}

/// Resolves equipment ids, with an `unknown-reference` problem per missing one.
fn refs(c: &mut Checker, entity: &str, ids: &Ids, list: &[String]) -> Vec<EquipmentRef> {
    list.iter()
        .filter_map(|id| {
            let found = equipment_ref(ids, id);
            if found.is_none() {
                c.push(
                    entity,
                    Rule::UnknownReference,
                    format!(
                        "equipment `{id}` is not a declared substation, transformer or cooling loop"
                    ),
                );
            }
            found
        })
        .collect()
}

/// The kind of an item, for "one kind per group" checks.
fn kind_of(e: EquipmentRef) -> u8 {
    match e {
        EquipmentRef::Substation(_) => 0,
        EquipmentRef::Transformer(_) => 1,
        EquipmentRef::CoolingLoop(_) => 2,
    }
}

/// A `redundancy-scheme` problem unless every item is of one kind.
fn same_kind(c: &mut Checker, entity: &str, s: &Scenario, items: &[EquipmentRef]) -> bool {
    let Some(&first) = items.first() else {
        return true;
    };
    if let Some(&other) = items.iter().find(|&&e| kind_of(e) != kind_of(first)) {
        c.push(
            entity,
            Rule::RedundancyScheme,
            format!(
                "mixes {} and {}: a group holds equipment of one kind",
                s.equipment_name(first),
                s.equipment_name(other)
            ),
        );
        return false;
    }
    true
}

fn failures(c: &mut Checker, r: &Reliability, ids: &Ids, s: &Scenario) -> Vec<FailureSpec> {
    let mut out: Vec<FailureSpec> = Vec::new();
    for f in &r.failures {
        let e = format!(
            "failure model of {}",
            f.equipment.first().map_or("reliability", String::as_str)
        );
        let life = match f.life {
            Life::Mtbf { years } => {
                failure_positive(c, &e, "Mtbf years", years);
                LifeSpec::Exponential {
                    mtbf_days: years * DAYS_PER_YEAR,
                }
            }
            Life::Weibull { shape, scale_years } => {
                failure_positive(c, &e, "Weibull shape", shape);
                failure_positive(c, &e, "Weibull scale_years", scale_years);
                LifeSpec::Weibull {
                    shape,
                    scale_days: scale_years * DAYS_PER_YEAR,
                }
            }
        };
        for item in refs(c, &e, ids, &f.equipment) {
            let name = s.equipment_name(item);
            let Some(restore) = restore(c, &name, f.restore, s.equipment_supply(item)) else {
                continue;
            };
            if out.iter().any(|o| o.equipment == item) {
                c.push(
                    &e,
                    Rule::DuplicateId,
                    format!("{name} has more than one failure model"),
                );
                continue;
            }
            out.push(FailureSpec {
                equipment: item,
                life,
                restore,
            });
        }
    }
    out
}

fn failure_positive(c: &mut Checker, entity: &str, field: &str, v: f64) {
    if !(v.is_finite() && v > 0.0) {
        c.push(
            entity,
            Rule::BadFailureModel,
            format!("{field} must be a number > 0, got {v}"),
        );
    }
}

/// The restore rule of one item: a replacement defaults to the item's own order terms.
fn restore(c: &mut Checker, name: &str, r: Restore, supply: SupplySpec) -> Option<RestoreSpec> {
    match r {
        Restore::Repair { days, cost_usd } => {
            c.within(name, "repair cost_usd", cost_usd, 0.0, MAX_USD);
            Some(RestoreSpec::Repair {
                days: c.dist(name, "repair days", days, MAX_REPAIR_DAYS),
                cost_usd,
            })
        }
        Restore::Replace {
            cost_usd,
            lead_time_weeks,
        } => {
            let (own_cost, own_lead) = match supply {
                SupplySpec::ToOrder {
                    cost_usd,
                    lead_time_weeks,
                } => (Some(cost_usd), Some(lead_time_weeks)),
                SupplySpec::Existing => (None, None),
            };
            let lead = match lead_time_weeks {
                Some(q) => Some(c.dist(name, "lead_time_weeks", q, MAX_LEAD_TIME_WEEKS)),
                None => own_lead,
            };
            let cost = cost_usd.or(own_cost);
            if let Some(v) = cost_usd {
                c.within(name, "replacement cost_usd", v, 0.0, MAX_USD);
            }
            match (cost, lead) {
                (Some(cost_usd), Some(lead_time_weeks)) => Some(RestoreSpec::Replace {
                    cost_usd,
                    lead_time_weeks,
                }),
                _ => {
                    c.push(
                        name,
                        Rule::BadFailureModel,
                        "is Existing, so its Replace needs cost_usd and lead_time_weeks",
                    );
                    None
                }
            }
        }
    }
}

fn redundancy(c: &mut Checker, r: &Reliability, ids: &Ids, s: &Scenario) -> Vec<RedundancySpec> {
    let mut out: Vec<RedundancySpec> = Vec::new();
    for (i, h) in r.redundancy.iter().enumerate() {
        let e = format!("hall {}", h.hall);
        let before = r.redundancy[..i]
            .iter()
            .filter(|o| o.hall == h.hall)
            .count();
        if before > 0 {
            c.push_nth(
                &e,
                before,
                Rule::DuplicateHall,
                "declares its redundancy twice: give its power and cooling schemes in one declaration",
            );
            continue;
        }
        if h.power.is_none() && h.cooling.is_none() {
            c.push(
                &e,
                Rule::RedundancyScheme,
                "declares neither a power nor a cooling scheme",
            );
            continue;
        }
        let taken: Vec<EquipmentRef> = out
            .iter()
            .flat_map(|o| o.schemes().flat_map(|k| k.members.iter().copied()))
            .collect();
        let at = (r, h.hall.as_str());
        let power = scheme(c, at, ids, s, Side::Power, h.power.as_ref(), &taken);
        let cooling = scheme(c, at, ids, s, Side::Cooling, h.cooling.as_ref(), &taken);
        // A scheme with a problem is left out but the hall is kept, so the backup that
        // names it is not refused as well (the world is invalid either way).
        out.push(RedundancySpec {
            hall: h.hall.clone(),
            power: power.flatten(),
            cooling: cooling.flatten(),
            requires_backup: h.requires_backup,
        });
    }
    out
}

/// Which scheme of a hall.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Power,
    Cooling,
}

/// One scheme of `hall` (declared in `r`): `Some(None)` when not declared, `None` when
/// it has a problem (unknown or wrong-kind items, a UPS of another hall, too few items
/// for the scheme, items in another hall, or a starting load above what the scheme
/// sells).
fn scheme(
    c: &mut Checker,
    (r, hall): (&Reliability, &str),
    ids: &Ids,
    s: &Scenario,
    side: Side,
    k: Option<&SchemeSection>,
    taken: &[EquipmentRef],
) -> Option<Option<SchemeSpec>> {
    let e = &format!("hall {hall}");
    let Some(k) = k else { return Some(None) };
    let (name, kind) = match side {
        Side::Power => ("power", "transformers (and the hall's UPS)"),
        Side::Cooling => ("cooling", "cooling loops"),
    };
    let (ups, names) = named_ups(c, (r, hall), ids, side, &k.equipment)?;
    let members = refs(c, e, ids, &names);
    if members.len() != names.len() {
        return None;
    }
    let fits = |m: &EquipmentRef| match side {
        Side::Power => matches!(m, EquipmentRef::Transformer(_)),
        Side::Cooling => matches!(m, EquipmentRef::CoolingLoop(_)),
    };
    if let Some(&m) = members.iter().find(|m| !fits(m)) {
        c.push(
            e,
            Rule::RedundancyScheme,
            format!(
                "its {name} scheme holds {kind}, not {}",
                s.equipment_name(m)
            ),
        );
        return None;
    }
    let counts = [(members.len(), ""), (ups.len(), " UPS")];
    for (n, what) in counts.into_iter().filter(|&(n, w)| n > 0 || w.is_empty()) {
        if let Err(why) = enough_for(k.scheme, n) {
            c.push(e, Rule::RedundancyScheme, format!("{name}{what}: {why}"));
            return None;
        }
    }
    let twice = members
        .iter()
        .enumerate()
        .find(|&(j, m)| taken.contains(m) || members[..j].contains(m));
    if let Some((_, m)) = twice {
        c.push(
            e,
            Rule::RedundancyScheme,
            format!(
                "{} is already in a scheme (each item serves one hall, once)",
                s.equipment_name(*m)
            ),
        );
        return None;
    }
    let spec = SchemeSpec {
        scheme: k.scheme,
        members,
        ups,
    };
    if let Some(msg) = starts_over_sellable(s, &spec.members, spec.sellable_w(s)) {
        c.push(e, Rule::RedundancyScheme, format!("{name}: {msg}"));
        return None;
    }
    Some(Some(spec))
}

/// A UPS a power scheme names: its id and rating, W.
type NamedUps = (String, u64);

/// The UPS among `equipment` (ids of the hall's own backup UPS, as (id, rating W)) and
/// the other ids; `None` after a `redundancy-scheme` problem for a generator, another
/// hall's UPS or a UPS in a cooling scheme, or for a rating the backup check refuses.
fn named_ups(
    c: &mut Checker,
    (r, hall): (&Reliability, &str),
    ids: &Ids,
    side: Side,
    equipment: &[String],
) -> Option<(Vec<NamedUps>, Vec<String>)> {
    let mut ups = Vec::new();
    let mut names = Vec::new();
    for id in equipment {
        let found = r.backup.iter().find(|b| &b.id == id);
        let Some(b) = found.filter(|_| equipment_ref(ids, id).is_none()) else {
            names.push(id.clone());
            continue;
        };
        let fits = side == Side::Power && b.kind == BackupKind::Ups;
        if !fits || b.hall != hall {
            let why = if fits {
                format!("UPS {id} serves hall {}", b.hall)
            } else if side == Side::Power {
                format!("its power scheme holds transformers (and the hall's UPS), not backup {id}")
            } else {
                format!("its cooling scheme holds cooling loops, not backup {id}")
            };
            c.push(format!("hall {hall}"), Rule::RedundancyScheme, why);
            return None;
        }
        // An unusable rating is the backup check's to report.
        let w = (b.rating_mw.is_finite() && b.rating_mw > 0.0).then(|| mw_to_w(b.rating_mw));
        ups.push((id.clone(), w?));
    }
    Some((ups, names))
}

/// Whether `n` items are enough for `scheme`, and if not, why.
fn enough_for(scheme: Scheme, n: usize) -> Result<(), String> {
    let (ok, need) = match scheme {
        Scheme::N => (n >= 1, "N needs at least one item"),
        Scheme::NPlus1 => (n >= 2, "N+1 needs at least two items"),
        Scheme::TwoN => (
            n >= 2 && n % 2 == 0,
            "2N needs an even number of items, at least two",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{need}, got {n}"))
    }
}

/// A message if the racks' starting load on `members` exceeds `sellable` W.
fn starts_over_sellable(s: &Scenario, members: &[EquipmentRef], sellable: u64) -> Option<String> {
    let mut load_mw: u128 = 0;
    for g in &s.racks {
        let Some((model, per_rack)) = g.initial else {
            continue;
        };
        let it = u128::from(s.models[model].power_w * u64::from(per_rack)) * u128::from(g.count);
        let lp = &s.cooling_loops[g.cooling];
        if members.contains(&EquipmentRef::Transformer(g.transformer)) {
            // At the highest PUE a run can draw: the start must hold in every run.
            load_mw += it * u128::from(lp.path_milli_at(lp.pue_dist.upper()));
        }
        if members.contains(&EquipmentRef::CoolingLoop(g.cooling)) {
            load_mw += it * 1000;
        }
    }
    (load_mw > u128::from(sellable) * 1000).then(|| {
        format!(
            "starts with {:.2} MW on its equipment but its scheme sells only {:.2} MW",
            load_mw as f64 / 1e9,
            sellable as f64 / 1e6
        )
    })
}

fn backup(c: &mut Checker, r: &Reliability, halls: &[RedundancySpec]) -> Vec<BackupSpec> {
    r.backup
        .iter()
        .filter_map(|b| {
            let e = format!("backup {}", b.id);
            c.rating(&e, "rating_mw", b.rating_mw, MAX_RATING_MW);
            c.within(&e, "cost_usd", b.cost_usd, 0.0, MAX_USD);
            c.within(&e, "opex_usd_per_month", b.opex_usd_per_month, 0.0, MAX_USD);
            let lead = c.dist(
                &e,
                "lead_time_weeks",
                b.lead_time_weeks,
                MAX_LEAD_TIME_WEEKS,
            );
            let Some(hall) = halls.iter().position(|h| h.hall == b.hall) else {
                c.push(
                    &e,
                    Rule::UnknownReference,
                    format!("hall `{}` has no `redundancy` declaration", b.hall),
                );
                return None;
            };
            Some(BackupSpec {
                id: b.id.clone(),
                kind: b.kind,
                hall,
                rating_w: mw_to_w(b.rating_mw),
                cost_usd: b.cost_usd,
                lead_time_weeks: lead,
                opex_usd_per_month: b.opex_usd_per_month,
            })
        })
        .collect()
}

fn credit_bands(c: &mut Checker, e: &str, sla: &Sla) -> Vec<CreditBandSpec> {
    let mut bands: Vec<CreditBandSpec> = Vec::new();
    for (i, b) in sla.credits.iter().enumerate() {
        let unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        if !(unit(b.min_availability)
            && unit(b.max_availability)
            && unit(b.credit_share)
            && b.min_availability < b.max_availability)
        {
            c.push(
                e,
                Rule::OutOfRange,
                format!(
                    "credit band #{} needs 0 <= min_availability < max_availability <= 1 and 0 <= credit_share <= 1, got [{}, {}) → {}",
                    i + 1,
                    b.min_availability,
                    b.max_availability,
                    b.credit_share
                ),
            );
            continue;
        }
        if let Some(o) = bands.iter().find(|o| {
            b.min_availability < o.max_availability && o.min_availability < b.max_availability
        }) {
            c.push(
                e,
                Rule::OverlappingCreditBands,
                format!(
                    "credit band #{} [{}, {}) overlaps [{}, {})",
                    i + 1,
                    b.min_availability,
                    b.max_availability,
                    o.min_availability,
                    o.max_availability
                ),
            );
            continue;
        }
        bands.push(CreditBandSpec {
            min_availability: b.min_availability,
            max_availability: b.max_availability,
            credit_share: b.credit_share,
        });
    }
    bands
}

/// The `Fail` steps whose item can be in service on their date; a
/// `failure-not-in-service` problem for each other one.
fn scripted(
    c: &mut Checker,
    fails: &[ScriptedFail],
    s: &Scenario,
) -> Vec<(EquipmentRef, crate::calendar::Day)> {
    let mut out = Vec::with_capacity(fails.len());
    for f in fails {
        if let Some(why) = not_in_service(s, f.item, f.day) {
            c.push(
                &f.entity,
                Rule::FailureNotInService,
                format!(
                    "{} is not in service on {}: {why}",
                    s.equipment_name(f.item),
                    f.date
                ),
            );
            continue;
        }
        out.push((f.item, f.day));
    }
    out
}

/// Why `item` cannot be in service on `day`, if it cannot: it is to order and no step
/// installs it, or the installing step cannot have finished by then (its earliest start
/// plus the shortest lead time is later).
fn not_in_service(s: &Scenario, item: EquipmentRef, day: crate::calendar::Day) -> Option<String> {
    let SupplySpec::ToOrder {
        lead_time_weeks, ..
    } = s.equipment_supply(item)
    else {
        return None;
    };
    let orders = s
        .plan
        .iter()
        .find(|st| matches!(&st.action, ActionSpec::Order(v) if v.contains(&item)));
    let installs = s
        .plan
        .iter()
        .any(|st| matches!(&st.action, ActionSpec::Install(v) if v.contains(&item)));
    if !installs {
        return Some("it is ToOrder and no step installs it".into());
    }
    let order_day = orders.and_then(|st| st.start).unwrap_or(0);
    let earliest = f64::from(order_day) + lower_bound(lead_time_weeks) * 7.0;
    (f64::from(day) < earliest).then(|| {
        format!(
            "it is ordered on day {order_day} with a lead time of at least {:.0} weeks",
            lower_bound(lead_time_weeks)
        )
    })
}

/// The smallest value a distribution can take (0 when unbounded below).
fn lower_bound(d: Dist) -> f64 {
    match d {
        Dist::Fixed(v) => v,
        Dist::Uniform { min, .. } | Dist::Triangular { min, .. } => min,
        _ => 0.0,
    }
}
