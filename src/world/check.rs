//! Stage two of loading: validate a [`WorldFile`] into a [`Scenario`].
//!
//! Every rule is checked and *every* problem is reported, each naming the entity and the
//! rule it breaks, so a user can fix a file in one pass. The engine only ever sees a
//! `Scenario`: ids are indices, powers are integer watts, dates are simulation days.
//!
//! Rules (the `[rule]` printed after each problem; `tests/data/broken/` has a world
//! breaking each one): `unknown-reference`, `duplicate-id`, `empty-id`, `plan-cycle`,
//! `non-positive-rating`, `negative-value`, `out-of-range` (including the size bounds
//! below), `bad-distribution`, `bad-date`, `series-too-short`, `missing-market`,
//! `not-orderable`, `ordered-twice`, `never-ordered`, `empty-step`, `ignored-field`,
//! `nothing-to-decommission`, `never-in-service`; and on the start state and plan
//! (see [`crate::power`]): `rack-density`, `cooling-capacity`, `transformer-rating`,
//! `substation-capacity`, `interconnect`, `not-in-service`, `never-fits`.

use super::*;
use crate::calendar::{Calendar, Date, YearMonth};
use crate::dist::Dist;
use crate::scenario::*;
use std::collections::HashMap;
use std::fmt;

/// Longest horizon accepted: 100 years of monthly steps.
pub const MAX_HORIZON_MONTHS: u32 = 1200;
/// Most racks a world may declare in total; memory stays bounded (about 1 GB at worst).
pub const MAX_RACKS: u64 = 2_000_000;
/// Most units per rack.
pub const MAX_UNITS_PER_RACK: u32 = 10_000;
/// Largest interconnect, substation capacity or transformer rating, in MW (1 TW: far
/// above any site). Together with the bounds below it keeps every sum of integer watts
/// well inside `u64`.
pub const MAX_RATING_MW: f64 = 1e6;
/// Largest cooling-loop heat rejection or rack density, in kW.
pub const MAX_COOLING_KW: f64 = 1e9;
/// Largest power of one unit, in W (10 MW; an NVL72 rack draws ~130 kW).
pub const MAX_UNIT_POWER_W: f64 = 1e7;
/// Largest hashrate of one ASIC, in TH/s (today's best are ~500 TH/s).
pub const MAX_HASHRATE_TH_S: f64 = 1e5;
/// Most GPUs in one server model.
pub const MAX_GPUS_PER_UNIT: u32 = 100_000;
/// Largest money figure accepted (a cost, or opex per month): $1 trillion.
pub const MAX_USD: f64 = 1e12;
/// Largest BTC price accepted, USD.
pub const MAX_BTC_PRICE_USD: f64 = 1e8;
/// Largest volatility (σ per year) or drift magnitude accepted.
pub const MAX_VOLATILITY: f64 = 5.0;
/// Largest electricity price accepted, USD/MWh.
pub const MAX_ELECTRICITY_USD_PER_MWH: f64 = 1e5;

/// One thing wrong with a world.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The entity (or section) at fault, e.g. `transformer T3` or `plan step gpu-1`.
    pub entity: String,
    /// The rule broken, a short stable name such as `unknown-reference`.
    pub rule: &'static str,
    /// What is wrong and what would fix it.
    pub message: String,
    /// 1-based `(line, col)` in the file where the entity is declared, when found.
    pub position: Option<(usize, usize)>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((l, c)) = self.position {
            write!(f, "{l}:{c}: ")?;
        }
        write!(f, "{}: {} [{}]", self.entity, self.message, self.rule)
    }
}

fn mw_to_w(mw: f64) -> u64 {
    (mw * 1e6).round() as u64
}

fn kw_to_w(kw: f64) -> u64 {
    (kw * 1e3).round() as u64
}

/// Accumulates problems while checking.
struct Checker<'a> {
    text: Option<super::locate::Locator<'a>>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, entity: impl Into<String>, rule: &'static str, message: impl Into<String>) {
        self.push_nth(entity, 0, rule, message);
    }

    /// [`Checker::push`] for the `nth` declaration of the entity (a duplicate id).
    fn push_nth(
        &mut self,
        entity: impl Into<String>,
        nth: usize,
        rule: &'static str,
        message: impl Into<String>,
    ) {
        let entity = entity.into();
        let position = self.locate(&entity, nth);
        self.problems.push(Problem {
            entity,
            rule,
            message: message.into(),
            position,
        });
    }

    /// Where the `nth` declaration of an entity is (see [`super::locate`]).
    fn locate(&self, entity: &str, nth: usize) -> Option<(usize, usize)> {
        self.text.as_ref()?.locate(entity, nth)
    }

    fn positive(&mut self, entity: &str, field: &str, v: f64) -> bool {
        if !(v.is_finite() && v > 0.0) {
            self.push(
                entity,
                "non-positive-rating",
                format!("{field} must be a number > 0, got {v}"),
            );
            false
        } else {
            true
        }
    }

    /// Like [`Checker::positive`], and at most `max` (`out-of-range` otherwise).
    fn rating(&mut self, entity: &str, field: &str, v: f64, max: f64) -> bool {
        if !self.positive(entity, field, v) {
            return false;
        }
        if v > max {
            self.push(
                entity,
                "out-of-range",
                format!("{field} is {v:e}, more than the {max:e} supported"),
            );
            return false;
        }
        true
    }

    /// A finite number within `lo..=hi` (`out-of-range` otherwise): economic inputs are
    /// bounded so that no ledger figure can overflow to infinity.
    fn within(&mut self, entity: &str, field: &str, v: f64, lo: f64, hi: f64) {
        if lo == 0.0 && v < 0.0 {
            self.push(
                entity,
                "negative-value",
                format!("{field} must be a number >= 0, got {v}"),
            );
        } else if !(v.is_finite() && (lo..=hi).contains(&v)) {
            self.push(
                entity,
                "out-of-range",
                format!("{field} must be between {lo} and {hi:e}, got {v}"),
            );
        }
    }

    fn dist(&mut self, entity: &str, field: &str, q: Quantity, max: f64) -> Dist {
        let d = q.dist();
        if let Err(e) = d.validate() {
            self.push(entity, "bad-distribution", format!("{field}: {e}"));
            return Dist::Fixed(0.0);
        }
        if d.upper() > max {
            self.push(
                entity,
                "out-of-range",
                format!(
                    "{field} can reach {:.0}, more than the {max} allowed",
                    d.upper()
                ),
            );
            return Dist::Fixed(0.0);
        }
        d
    }

    fn supply(&mut self, entity: &str, s: Supply) -> SupplySpec {
        match s {
            Supply::Existing => SupplySpec::Existing,
            Supply::ToOrder {
                cost_usd,
                lead_time_weeks,
            } => {
                self.within(entity, "cost_usd", cost_usd, 0.0, MAX_USD);
                SupplySpec::ToOrder {
                    cost_usd,
                    lead_time_weeks: self.dist(entity, "lead_time_weeks", lead_time_weeks, 5200.0),
                }
            }
        }
    }
}

fn index_ids<'a>(
    c: &mut Checker,
    kind: &str,
    ids: impl Iterator<Item = &'a str>,
) -> HashMap<&'a str, usize> {
    let mut map = HashMap::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        let nth = seen.entry(id).or_default();
        *nth += 1;
        if id.trim().is_empty() {
            c.push_nth(
                format!("{kind} #{}", i + 1),
                *nth - 1,
                "empty-id",
                "id must not be empty",
            );
        }
        if let Some(&first) = map.get(id) {
            c.push_nth(
                format!("{kind} {id}"),
                *nth - 1,
                "duplicate-id",
                format!(
                    "id `{id}` is declared more than once ({kind} #{} and #{}); ids must be unique",
                    first + 1,
                    i + 1
                ),
            );
        } else {
            map.insert(id, i);
        }
    }
    map
}

/// Validates `world`. `text` is the file's source, used to point at declarations.
pub fn check(world: &WorldFile, text: Option<&str>) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker {
        text: text.map(super::locate::Locator::new),
        problems: Vec::new(),
    };
    let s = &world.site;

    // --- site ---
    let start = YearMonth::parse(&s.start_month).unwrap_or_else(|e| {
        c.push("site", "bad-date", format!("start_month: {e}"));
        YearMonth {
            year: 2026,
            month: 1,
        }
    });
    let horizon = if s.horizon_months == 0 || s.horizon_months > MAX_HORIZON_MONTHS {
        c.push(
            "site",
            "out-of-range",
            format!(
                "horizon_months must be 1..={MAX_HORIZON_MONTHS}, got {}",
                s.horizon_months
            ),
        );
        1
    } else {
        s.horizon_months
    };
    let calendar = Calendar::new(start, horizon);
    c.within(
        "site",
        "discount_rate_per_year",
        s.discount_rate_per_year,
        0.0,
        1.0,
    );
    c.rating("site", "interconnect_mw", s.interconnect_mw, MAX_RATING_MW);
    if !(s.power_factor > 0.0 && s.power_factor <= 1.0) {
        c.push(
            "site",
            "out-of-range",
            format!("power_factor must be in (0, 1], got {}", s.power_factor),
        );
    }
    c.within(
        "site",
        "fixed_opex_usd_per_month",
        s.fixed_opex_usd_per_month,
        0.0,
        MAX_USD,
    );
    let electricity = monthly(
        &mut c,
        "site",
        "electricity_usd_per_mwh",
        &s.electricity_usd_per_mwh,
        horizon,
        MAX_ELECTRICITY_USD_PER_MWH,
    );

    // --- ids ---
    let subs = index_ids(
        &mut c,
        "substation",
        world.substations.iter().map(|x| x.id.as_str()),
    );
    let trafos = index_ids(
        &mut c,
        "transformer",
        world.transformers.iter().map(|x| x.id.as_str()),
    );
    let loops = index_ids(
        &mut c,
        "cooling loop",
        world.cooling_loops.iter().map(|x| x.id.as_str()),
    );
    let models = index_ids(
        &mut c,
        "unit model",
        world.unit_models.iter().map(|x| x.id()),
    );
    let groups = index_ids(
        &mut c,
        "rack group",
        world.racks.iter().map(|x| x.id.as_str()),
    );
    let steps = index_ids(
        &mut c,
        "plan step",
        world.plan.iter().map(|x| x.id.as_str()),
    );

    // --- equipment ---
    let substations: Vec<SubstationSpec> = world
        .substations
        .iter()
        .map(|x| {
            let e = format!("substation {}", x.id);
            c.rating(&e, "capacity_mw", x.capacity_mw, MAX_RATING_MW);
            SubstationSpec {
                id: x.id.clone(),
                capacity_w: mw_to_w(x.capacity_mw),
                supply: c.supply(&e, x.supply),
            }
        })
        .collect();
    let transformers: Vec<TransformerSpec> = world
        .transformers
        .iter()
        .map(|x| {
            let e = format!("transformer {}", x.id);
            c.rating(&e, "rating_mva", x.rating_mva, MAX_RATING_MW);
            let substation = subs.get(x.substation.as_str()).copied().unwrap_or_else(|| {
                c.push(
                    &e,
                    "unknown-reference",
                    format!("substation `{}` does not exist", x.substation),
                );
                0
            });
            TransformerSpec {
                id: x.id.clone(),
                substation,
                capacity_w: mw_to_w(x.rating_mva * s.power_factor),
                supply: c.supply(&e, x.supply),
            }
        })
        .collect();
    let cooling_loops: Vec<CoolingLoopSpec> = world
        .cooling_loops
        .iter()
        .map(|x| {
            let e = format!("cooling loop {}", x.id);
            c.rating(&e, "heat_rejection_kw", x.heat_rejection_kw, MAX_COOLING_KW);
            c.rating(&e, "max_rack_kw", x.max_rack_kw, MAX_COOLING_KW);
            if !(x.pue.is_finite() && (1.0..=5.0).contains(&x.pue)) {
                c.push(
                    &e,
                    "out-of-range",
                    format!("pue must be in 1..=5, got {}", x.pue),
                );
            }
            CoolingLoopSpec {
                id: x.id.clone(),
                kind: x.kind,
                heat_rejection_w: kw_to_w(x.heat_rejection_kw),
                max_rack_w: kw_to_w(x.max_rack_kw),
                pue: x.pue,
                path_milli: match x.plant_feed {
                    PlantFeed::Auxiliary => 1000,
                    PlantFeed::RackTransformers if x.pue.is_finite() => {
                        (x.pue.clamp(1.0, 5.0) * 1000.0).round() as u64
                    }
                    PlantFeed::RackTransformers => 1000,
                },
                supply: c.supply(&e, x.supply),
            }
        })
        .collect();

    // --- catalogue ---
    let model_specs: Vec<ModelSpec> = world
        .unit_models
        .iter()
        .map(|m| {
            let e = format!("unit model {}", m.id());
            match m {
                UnitModel::Asic {
                    id,
                    hashrate_th_s,
                    power_w,
                    cost_usd,
                    lead_time_weeks,
                } => {
                    c.rating(&e, "hashrate_th_s", *hashrate_th_s, MAX_HASHRATE_TH_S);
                    c.rating(&e, "power_w", *power_w, MAX_UNIT_POWER_W);
                    c.within(&e, "cost_usd", *cost_usd, 0.0, MAX_USD);
                    ModelSpec {
                        id: id.clone(),
                        kind: ModelKind::Asic {
                            hashrate_gh_s: (hashrate_th_s * 1e3).round() as u64,
                        },
                        power_w: power_w.round() as u64,
                        cost_usd: *cost_usd,
                        lead_time_weeks: c.dist(&e, "lead_time_weeks", *lead_time_weeks, 5200.0),
                    }
                }
                UnitModel::GpuServer {
                    id,
                    gpus,
                    power_w,
                    cost_usd,
                    lead_time_weeks,
                } => {
                    c.rating(&e, "gpus", f64::from(*gpus), f64::from(MAX_GPUS_PER_UNIT));
                    c.rating(&e, "power_w", *power_w, MAX_UNIT_POWER_W);
                    c.within(&e, "cost_usd", *cost_usd, 0.0, MAX_USD);
                    ModelSpec {
                        id: id.clone(),
                        kind: ModelKind::Gpu { gpus: *gpus },
                        power_w: power_w.round() as u64,
                        cost_usd: *cost_usd,
                        lead_time_weeks: c.dist(&e, "lead_time_weeks", *lead_time_weeks, 5200.0),
                    }
                }
            }
        })
        .collect();

    // --- racks ---
    let mut total_racks: u64 = 0;
    let racks: Vec<RackGroupSpec> = world
        .racks
        .iter()
        .map(|g| {
            let e = format!("rack group {}", g.id);
            if g.count == 0 {
                c.push(&e, "non-positive-rating", "count must be at least 1");
            }
            total_racks += u64::from(g.count);
            let transformer = lookup(&mut c, &e, "transformer", &trafos, &g.transformer);
            let cooling = lookup(&mut c, &e, "cooling loop", &loops, &g.cooling);
            let initial = g.units.as_ref().and_then(|u| {
                let m = lookup(&mut c, &e, "unit model", &models, &u.model)?;
                units_per_rack(&mut c, &e, u.per_rack).then_some((m, u.per_rack))
            });
            RackGroupSpec {
                id: g.id.clone(),
                count: g.count,
                transformer: transformer.unwrap_or(0),
                cooling: cooling.unwrap_or(0),
                initial,
            }
        })
        .collect();
    if total_racks > MAX_RACKS {
        c.push(
            "racks",
            "out-of-range",
            format!("{total_racks} racks declared; at most {MAX_RACKS} are supported"),
        );
    }

    // --- markets ---
    let m = &world.markets;
    match &m.btc_price_usd {
        PricePath::Constant(p) => {
            if c.positive("markets", "btc_price_usd", *p) {
                c.within("markets", "btc_price_usd", *p, 0.0, MAX_BTC_PRICE_USD);
            }
        }
        PricePath::Monthly(v) => {
            monthly(
                &mut c,
                "markets",
                "btc_price_usd",
                &Series::Monthly(v.clone()),
                horizon,
                MAX_BTC_PRICE_USD,
            );
        }
        PricePath::Gbm {
            start,
            drift_per_year,
            volatility_per_year,
        } => {
            if c.positive("markets", "btc_price_usd start", *start) {
                c.within(
                    "markets",
                    "btc_price_usd start",
                    *start,
                    0.0,
                    MAX_BTC_PRICE_USD,
                );
            }
            c.within(
                "markets",
                "btc_price_usd volatility_per_year",
                *volatility_per_year,
                0.0,
                MAX_VOLATILITY,
            );
            c.within(
                "markets",
                "btc_price_usd drift_per_year",
                *drift_per_year,
                -MAX_VOLATILITY,
                MAX_VOLATILITY,
            );
        }
    }
    // 1 PH/s to 10 YH/s: from a toy network to ten thousand times today's.
    c.within(
        "markets",
        "network_hashrate_eh_s",
        m.network_hashrate_eh_s,
        1e-3,
        1e7,
    );
    c.within(
        "markets",
        "network_growth_per_year",
        m.network_growth_per_year,
        -0.99,
        10.0,
    );
    c.within(
        "markets",
        "network_growth_volatility_per_year",
        m.network_growth_volatility_per_year,
        0.0,
        MAX_VOLATILITY,
    );
    c.within(
        "markets",
        "block_subsidy_btc",
        m.block_subsidy_btc,
        0.0,
        50.0,
    );
    c.within(
        "markets",
        "fees_btc_per_block",
        m.fees_btc_per_block,
        0.0,
        1000.0,
    );
    let mut halving_days = Vec::new();
    for h in &m.halvings {
        match Date::parse(h) {
            Ok(d) => {
                if let Some(day) = calendar.day_of(d).filter(|&day| day < calendar.end()) {
                    halving_days.push(day);
                }
            }
            Err(e) => c.push("markets", "bad-date", format!("halvings: {e}")),
        }
    }
    halving_days.sort_unstable();
    if let Some(w) = halving_days.windows(2).find(|w| w[0] == w[1]) {
        c.push(
            "markets",
            "duplicate-halving",
            format!("halvings lists {} twice", calendar.date(w[0])),
        );
    }
    if let Some(l) = &m.gpu_lease {
        c.within(
            "markets",
            "gpu_lease.usd_per_kw_month",
            l.usd_per_kw_month,
            0.0,
            1e5,
        );
    }
    if let Some(r) = &m.gpu_rental {
        c.within(
            "markets",
            "gpu_rental.usd_per_gpu_hour",
            r.usd_per_gpu_hour,
            0.0,
            1e4,
        );
        c.within(
            "markets",
            "gpu_rental.volatility_per_year",
            r.volatility_per_year,
            0.0,
            MAX_VOLATILITY,
        );
        if !(r.decline_per_year.is_finite() && r.decline_per_year < 1.0) {
            c.push(
                "markets",
                "out-of-range",
                "gpu_rental.decline_per_year must be < 1",
            );
        }
        for (name, u) in [
            ("utilisation_start", r.utilisation_start),
            ("utilisation_target", r.utilisation_target),
        ] {
            if !(0.0..=1.0).contains(&u) {
                c.push(
                    "markets",
                    "out-of-range",
                    format!("gpu_rental.{name} must be in 0..=1, got {u}"),
                );
            }
        }
    }

    // --- plan ---
    let equipment = |id: &str| -> Option<EquipmentRef> {
        subs.get(id)
            .map(|&i| EquipmentRef::Substation(i))
            .or_else(|| trafos.get(id).map(|&i| EquipmentRef::Transformer(i)))
            .or_else(|| loops.get(id).map(|&i| EquipmentRef::CoolingLoop(i)))
    };
    let filled_by_plan: std::collections::HashSet<&str> = world
        .plan
        .iter()
        .filter_map(|p| match &p.action {
            Action::InstallUnits { racks, .. } => Some(racks.as_str()),
            _ => None,
        })
        .collect();
    let mut ordered_by: HashMap<EquipmentRef, usize> = HashMap::new();
    let mut plan = Vec::with_capacity(world.plan.len());
    for (si, st) in world.plan.iter().enumerate() {
        let e = format!("plan step {}", st.id);
        let mut items = |c: &mut Checker, ids: &Vec<String>, ordering: bool| -> Vec<EquipmentRef> {
            if ids.is_empty() {
                c.push(&e, "empty-step", "lists no equipment");
            }
            ids.iter()
                .filter_map(|id| {
                    let Some(r) = equipment(id) else {
                        c.push(
                            &e,
                            "unknown-reference",
                            format!("`{id}` is not a substation, transformer or cooling loop"),
                        );
                        return None;
                    };
                    let supply = match r {
                        EquipmentRef::Substation(i) => substations.get(i).map(|x| x.supply),
                        EquipmentRef::Transformer(i) => transformers.get(i).map(|x| x.supply),
                        EquipmentRef::CoolingLoop(i) => cooling_loops.get(i).map(|x| x.supply),
                    };
                    if supply == Some(SupplySpec::Existing) {
                        c.push(
                            &e,
                            "not-orderable",
                            format!("`{id}` is Existing; only equipment declared ToOrder can be ordered or installed"),
                        );
                    }
                    if ordering {
                        if let Some(prev) = ordered_by.insert(r, si) {
                            c.push(
                                &e,
                                "ordered-twice",
                                format!("`{id}` is already ordered by step `{}`", world.plan[prev].id),
                            );
                        }
                    }
                    Some(r)
                })
                .collect()
        };
        let action = match &st.action {
            Action::Order(ids) => ActionSpec::Order(items(&mut c, ids, true)),
            Action::Install(ids) => ActionSpec::Install(items(&mut c, ids, false)),
            Action::Decommission(g) => match groups.get(g.as_str()) {
                Some(&gi) => {
                    if world.racks[gi].units.is_none() && !filled_by_plan.contains(g.as_str()) {
                        c.push(
                            &e,
                            "nothing-to-decommission",
                            format!(
                                "rack group `{g}` starts with no units and no InstallUnits step fills it"
                            ),
                        );
                    }
                    ActionSpec::Decommission(gi)
                }
                None => {
                    c.push(
                        &e,
                        "unknown-reference",
                        format!("rack group `{g}` does not exist"),
                    );
                    ActionSpec::Decommission(0)
                }
            },
            Action::InstallUnits {
                racks: g,
                model,
                per_rack,
                contract,
            } => {
                let gi = lookup(&mut c, &e, "rack group", &groups, g);
                let mi = lookup(&mut c, &e, "unit model", &models, model);
                units_per_rack(&mut c, &e, *per_rack);
                if let Some(mi) = mi {
                    if matches!(model_specs[mi].kind, ModelKind::Gpu { .. }) {
                        let (ok, what) = match contract {
                            Contract::Lease => (m.gpu_lease.is_some(), "markets.gpu_lease"),
                            Contract::Rental => (m.gpu_rental.is_some(), "markets.gpu_rental"),
                        };
                        if !ok {
                            c.push(
                                &e,
                                "missing-market",
                                format!("contract {contract:?} needs {what} to be set"),
                            );
                        }
                    }
                }
                ActionSpec::InstallUnits {
                    group: gi.unwrap_or(0),
                    model: mi.unwrap_or(0),
                    per_rack: *per_rack,
                    contract: *contract,
                }
            }
        };
        let duration_days = c.dist(&e, "duration_days", st.duration_days, 365_250.0);
        if matches!(action, ActionSpec::Order(_)) && duration_days != Dist::Fixed(0.0) {
            c.push(
                &e,
                "ignored-field",
                "an Order step lasts the lead time of its items; remove duration_days",
            );
        }
        let start_day = st.start.as_ref().and_then(|t| match Date::parse(t) {
            Ok(d) => match calendar.day_of(d) {
                Some(day) => Some(day),
                None => {
                    c.push(
                        &e,
                        "bad-date",
                        format!("start {t} is before the start month {start}"),
                    );
                    None
                }
            },
            Err(err) => {
                c.push(&e, "bad-date", format!("start: {err}"));
                None
            }
        });
        let after = st
            .after
            .iter()
            .filter_map(|a| lookup(&mut c, &e, "plan step", &steps, a))
            .collect();
        c.within(&e, "cost_usd", st.cost_usd, 0.0, MAX_USD);
        plan.push(StepSpec {
            id: st.id.clone(),
            action,
            duration_days,
            start: start_day,
            after,
            cost_usd: st.cost_usd,
        });
    }
    // An install whose racks hang off equipment that no step puts in service waits
    // forever: say so now rather than at the end of the run.
    let installed: std::collections::HashSet<EquipmentRef> = plan
        .iter()
        .flat_map(|p| match &p.action {
            ActionSpec::Install(v) => v.clone(),
            _ => Vec::new(),
        })
        .collect();
    // Every ToOrder item must be ordered by some step; otherwise it never exists.
    for (r, name) in substations
        .iter()
        .enumerate()
        .map(|(i, x)| (EquipmentRef::Substation(i), format!("substation {}", x.id)))
        .chain(transformers.iter().enumerate().map(|(i, x)| {
            (
                EquipmentRef::Transformer(i),
                format!("transformer {}", x.id),
            )
        }))
        .chain(cooling_loops.iter().enumerate().map(|(i, x)| {
            (
                EquipmentRef::CoolingLoop(i),
                format!("cooling loop {}", x.id),
            )
        }))
    {
        let supply = match r {
            EquipmentRef::Substation(i) => substations[i].supply,
            EquipmentRef::Transformer(i) => transformers[i].supply,
            EquipmentRef::CoolingLoop(i) => cooling_loops[i].supply,
        };
        if matches!(supply, SupplySpec::ToOrder { .. })
            && !ordered_by.contains_key(&r)
            && installed.contains(&r)
        {
            c.push(
                &name,
                "never-ordered",
                "is installed by the plan but no Order step orders it",
            );
        }
    }
    for st in &plan {
        let ActionSpec::InstallUnits { group, .. } = st.action else {
            continue;
        };
        let Some(g) = racks.get(group) else { continue };
        let Some(t) = transformers.get(g.transformer) else {
            continue;
        };
        for (item, supply, name) in [
            (
                EquipmentRef::CoolingLoop(g.cooling),
                cooling_loops.get(g.cooling).map(|x| (x.supply, &x.id)),
                "cooling loop",
            ),
            (
                EquipmentRef::Transformer(g.transformer),
                Some((t.supply, &t.id)),
                "transformer",
            ),
            (
                EquipmentRef::Substation(t.substation),
                substations.get(t.substation).map(|x| (x.supply, &x.id)),
                "substation",
            ),
        ] {
            if let Some((SupplySpec::ToOrder { .. }, id)) = supply {
                if !installed.contains(&item) {
                    c.push(
                        format!("plan step {}", st.id),
                        "never-in-service",
                        format!(
                            "racks {} need {name} {id}, which is ToOrder but no Install step puts it in service, so the units could never be energised",
                            g.id
                        ),
                    );
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&plan) {
        let ids: Vec<&str> = cycle.iter().map(|&i| plan[i].id.as_str()).collect();
        c.push(
            format!("plan step {}", ids[0]),
            "plan-cycle",
            format!(
                "the plan's `after` links form a cycle: {}",
                ids.join(" -> ")
            ),
        );
    }

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let scenario = Scenario {
        name: s.name.clone(),
        calendar,
        discount_rate_per_year: s.discount_rate_per_year,
        interconnect_w: mw_to_w(s.interconnect_mw),
        fixed_opex_usd_per_month: s.fixed_opex_usd_per_month,
        curtail_unprofitable_asics: s.curtail_unprofitable_asics,
        substations,
        transformers,
        cooling_loops,
        models: model_specs,
        racks,
        markets: MarketSpec {
            btc_price_usd: m.btc_price_usd.clone(),
            network_hashrate_gh_s: m.network_hashrate_eh_s * 1e9,
            network_growth_per_year: m.network_growth_per_year,
            network_growth_volatility_per_year: m.network_growth_volatility_per_year,
            block_subsidy_btc: m.block_subsidy_btc,
            halving_days,
            fees_btc_per_block: m.fees_btc_per_block,
            gpu_lease: m.gpu_lease.clone(),
            gpu_rental: m.gpu_rental.clone(),
            electricity_usd_per_mwh: electricity,
        },
        plan,
    };
    // Physical checks need the whole topology, so they run on the checked form.
    let physical = crate::power::check_start_state(&scenario);
    let statics = crate::power::check_plan_feasibility(&scenario);
    let mut problems: Vec<Problem> = physical.into_iter().chain(statics).collect();
    problems.extend(site_outhashes_network(&scenario));
    for p in &mut problems {
        p.position = c.locate(&p.entity, 0);
    }
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(problems)
    }
}

/// The network's hashrate includes the site's: a site that alone out-hashes the
/// network at the start is a typo (usually EH/s written as PH/s or TH/s).
fn site_outhashes_network(s: &Scenario) -> Option<Problem> {
    let site_gh_s: f64 = s
        .racks
        .iter()
        .filter_map(|g| {
            let (m, n) = g.initial?;
            match s.models[m].kind {
                ModelKind::Asic { hashrate_gh_s } => {
                    Some(hashrate_gh_s as f64 * f64::from(n) * f64::from(g.count))
                }
                ModelKind::Gpu { .. } => None,
            }
        })
        .sum();
    (site_gh_s > s.markets.network_hashrate_gh_s).then(|| Problem {
        entity: "markets".into(),
        rule: "site-exceeds-network",
        message: format!(
            "the site's miners alone hash {:.3} EH/s, more than network_hashrate_eh_s = {} EH/s, \
             which includes them",
            site_gh_s / 1e9,
            s.markets.network_hashrate_gh_s / 1e9
        ),
        position: None,
    })
}

fn lookup(
    c: &mut Checker,
    entity: &str,
    kind: &str,
    map: &HashMap<&str, usize>,
    id: &str,
) -> Option<usize> {
    let found = map.get(id).copied();
    if found.is_none() {
        let hint = strsim_hint(map, id);
        c.push(
            entity,
            "unknown-reference",
            format!("{kind} `{id}` does not exist{hint}"),
        );
    }
    found
}

fn strsim_hint(map: &HashMap<&str, usize>, id: &str) -> String {
    let mut keys: Vec<&&str> = map.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| (strsim::damerau_levenshtein(k, id), *k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn units_per_rack(c: &mut Checker, entity: &str, n: u32) -> bool {
    if n == 0 || n > MAX_UNITS_PER_RACK {
        c.push(
            entity,
            "out-of-range",
            format!("per_rack must be 1..={MAX_UNITS_PER_RACK}, got {n}"),
        );
        return false;
    }
    true
}

fn monthly(
    c: &mut Checker,
    entity: &str,
    field: &str,
    s: &Series,
    horizon: u32,
    max: f64,
) -> Vec<f64> {
    let values = match s {
        Series::Constant(v) => vec![*v; horizon as usize],
        Series::Monthly(v) => {
            if v.len() < horizon as usize {
                c.push(
                    entity,
                    "series-too-short",
                    format!(
                        "{field} has {} monthly values but the horizon is {horizon} months",
                        v.len()
                    ),
                );
            }
            v.iter().copied().take(horizon as usize).collect()
        }
    };
    if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        c.push(
            entity,
            "negative-value",
            format!("{field} must be >= 0, got {bad}"),
        );
    } else if let Some(bad) = values.iter().find(|v| **v > max) {
        c.push(
            entity,
            "out-of-range",
            format!("{field} must be at most {max:e}, got {bad}"),
        );
    }
    values
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
