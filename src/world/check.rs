//! Stage two of loading: validate a [`WorldFile`] into a [`Scenario`].
//!
//! Every rule is checked and *every* problem is reported, each naming the entity and the
//! [`Rule`] it breaks, so a user can fix a file in one pass. The engine only ever sees a
//! `Scenario`: ids are indices, powers are integer watts, dates are simulation days.
//!
//! The checks run in sections, one file each, in the order of the file: [`site`],
//! [`equipment`] (and the unit catalogue), [`racks`], [`markets`], [`plan`], and, once the
//! scenario is assembled, [`physical`] feasibility on the whole topology (limits from
//! [`crate::power`]). `docs/model.md` lists every rule; `tests/data/broken/` has a world
//! breaking each one.

mod equipment;
mod finance;
mod market_model;
mod markets;
mod physical;
mod plan;
mod racks;
mod reliability;
mod rule;
mod site;

pub use rule::Rule;

use super::locate::Locator;
use super::printable;
use super::{Quantity, Series, Supply, WorldFile};
use crate::calendar::Calendar;
use crate::dist::Dist;
use crate::scenario::{MarketSpec, Scenario, SupplySpec};
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
/// Highest PUE a cooling loop may have or draw (an assumption, argued from sourced
/// figures). Its overhead of 2.0 W per IT W is 3.5 times the industry average's
/// (PUE 1.56–1.58, Uptime 2023/2024) and four times the worst air-cooled mining site's
/// (PUE 1.20–1.50; both docs/domain.md): no plausible site reaches it. A larger value
/// is a typo (a percentage, or a figure that is not a PUE), and one such draw would
/// triple the site's load.
pub const MAX_PUE: f64 = 3.0;
/// Longest lead time accepted, in weeks (100 years).
const MAX_LEAD_TIME_WEEKS: f64 = 5200.0;

/// One thing wrong with a world.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The entity (or section) at fault, e.g. `transformer T3` or `plan step gpu-1`.
    pub entity: String,
    /// The rule broken; it prints as a short stable name such as `unknown-reference`.
    pub rule: Rule,
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
        let (entity, message) = (printable(&self.entity), printable(&self.message));
        write!(f, "{entity}: {message} [{}]", self.rule)
    }
}

/// The kinds of entity a world declares with an id, and how problems name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Substation,
    Transformer,
    CoolingLoop,
    UnitModel,
    RackGroup,
    PlanStep,
}

impl Kind {
    /// Every kind, in file order.
    pub(crate) const ALL: [Kind; 6] = [
        Kind::Substation,
        Kind::Transformer,
        Kind::CoolingLoop,
        Kind::UnitModel,
        Kind::RackGroup,
        Kind::PlanStep,
    ];

    /// The noun problems use, e.g. `cooling loop`.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Substation => "substation",
            Kind::Transformer => "transformer",
            Kind::CoolingLoop => "cooling loop",
            Kind::UnitModel => "unit model",
            Kind::RackGroup => "rack group",
            Kind::PlanStep => "plan step",
        }
    }

    /// The entity label of the one with this id, e.g. `transformer T1`: the one place
    /// the checker names entities (the scenario's own is [`Scenario::equipment_name`]).
    pub(crate) fn label(self, id: &str) -> String {
        format!("{} {id}", self.noun())
    }

    /// The struct names it is declared with in a world file.
    pub(crate) fn constructors(self) -> &'static [&'static str] {
        match self {
            Kind::Substation => &["Substation"],
            Kind::Transformer => &["Transformer"],
            Kind::CoolingLoop => &["CoolingLoop"],
            Kind::UnitModel => &["Asic", "GpuServer"],
            Kind::RackGroup => &["RackGroup"],
            Kind::PlanStep => &["Step"],
        }
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
    text: Option<Locator<'a>>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, entity: impl Into<String>, rule: Rule, message: impl Into<String>) {
        self.push_nth(entity, 0, rule, message);
    }

    /// [`Checker::push`] for the `nth` declaration of the entity (a duplicate id).
    fn push_nth(
        &mut self,
        entity: impl Into<String>,
        nth: usize,
        rule: Rule,
        message: impl Into<String>,
    ) {
        let entity = entity.into();
        let position = self.locate(&entity, nth);
        // Ids and names come from the file: keep escape codes in them from ever reaching
        // a terminal, however a caller prints the problem.
        self.problems.push(Problem {
            entity: printable(&entity).into_owned(),
            rule,
            message: printable(&message.into()).into_owned(),
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
                Rule::NonPositiveRating,
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
                Rule::OutOfRange,
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
                Rule::NegativeValue,
                format!("{field} must be a number >= 0, got {v}"),
            );
        } else if !(v.is_finite() && (lo..=hi).contains(&v)) {
            self.push(
                entity,
                Rule::OutOfRange,
                format!("{field} must be between {lo} and {hi:e}, got {v}"),
            );
        }
    }

    fn dist(&mut self, entity: &str, field: &str, q: Quantity, max: f64) -> Dist {
        let d = q.dist();
        if let Err(e) = d.validate() {
            self.push(entity, Rule::BadDistribution, format!("{field}: {e}"));
            return Dist::Fixed(0.0);
        }
        if d.upper() > max {
            self.push(
                entity,
                Rule::OutOfRange,
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
                    lead_time_weeks: self.dist(
                        entity,
                        "lead_time_weeks",
                        lead_time_weeks,
                        MAX_LEAD_TIME_WEEKS,
                    ),
                }
            }
        }
    }

    /// Units per rack within `1..=MAX_UNITS_PER_RACK`.
    fn units_per_rack(&mut self, entity: &str, n: u32) -> bool {
        if n == 0 || n > MAX_UNITS_PER_RACK {
            self.push(
                entity,
                Rule::OutOfRange,
                format!("per_rack must be 1..={MAX_UNITS_PER_RACK}, got {n}"),
            );
            return false;
        }
        true
    }

    /// The index of `id` among the declared entities of `kind`, or an
    /// `unknown-reference` problem on `entity` with the closest id as a hint.
    fn lookup(&mut self, entity: &str, kind: Kind, ids: &Ids, id: &str) -> Option<usize> {
        let map = ids.of(kind);
        let found = map.get(id).copied();
        if found.is_none() {
            let hint = strsim_hint(map, id);
            self.push(
                entity,
                Rule::UnknownReference,
                format!("{} `{id}` does not exist{hint}", kind.noun()),
            );
        }
        found
    }

    /// A series: one value per simulated month, each finite and within `0..=max`.
    fn monthly(&mut self, entity: &str, field: &str, s: &Series, calendar: &Calendar, max: f64) {
        match s {
            Series::Constant(v) => self.values(entity, field, std::slice::from_ref(v), max),
            Series::Monthly(v) => self.monthly_values(entity, field, v, calendar, max),
        }
    }

    /// [`Checker::monthly`] for the values of a `Monthly([...])` series.
    fn monthly_values(
        &mut self,
        entity: &str,
        field: &str,
        v: &[f64],
        calendar: &Calendar,
        max: f64,
    ) {
        let horizon = calendar.months();
        if v.len() < horizon as usize {
            self.push(
                entity,
                Rule::SeriesTooShort,
                format!(
                    "{field} has {} monthly values but the horizon is {horizon} months",
                    v.len()
                ),
            );
        }
        let v = &v[..v.len().min(horizon as usize)];
        // Name the bad value's place in the list and its month: a long series is
        // otherwise hard to search.
        let at = |i: usize| {
            let month = calendar.label(i as u32);
            format!("{field} value #{} of {} ({month})", i + 1, v.len())
        };
        if let Some(i) = v.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            self.push(
                entity,
                Rule::NegativeValue,
                format!("{} must be a number >= 0, got {}", at(i), v[i]),
            );
        } else if let Some(i) = v.iter().position(|v| *v > max) {
            self.push(
                entity,
                Rule::OutOfRange,
                format!("{} must be at most {max:e}, got {}", at(i), v[i]),
            );
        }
    }

    fn values(&mut self, entity: &str, field: &str, values: &[f64], max: f64) {
        if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            self.push(
                entity,
                Rule::NegativeValue,
                format!("{field} must be >= 0, got {bad}"),
            );
        } else if let Some(bad) = values.iter().find(|v| **v > max) {
            self.push(
                entity,
                Rule::OutOfRange,
                format!("{field} must be at most {max:e}, got {bad}"),
            );
        }
    }
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

/// The declared ids of each kind, mapped to their index in the file (the first, when an
/// id is declared twice).
struct Ids<'a> {
    by_kind: [HashMap<&'a str, usize>; 6],
}

impl<'a> Ids<'a> {
    /// Indexes every kind in file order, reporting empty and duplicate ids.
    fn index(c: &mut Checker, world: &'a WorldFile) -> Self {
        let by_kind = [
            index_ids(
                c,
                Kind::Substation,
                world.substations.iter().map(|x| x.id.as_str()),
            ),
            index_ids(
                c,
                Kind::Transformer,
                world.transformers.iter().map(|x| x.id.as_str()),
            ),
            index_ids(
                c,
                Kind::CoolingLoop,
                world.cooling_loops.iter().map(|x| x.id.as_str()),
            ),
            index_ids(c, Kind::UnitModel, world.unit_models.iter().map(|x| x.id())),
            index_ids(
                c,
                Kind::RackGroup,
                world.racks.iter().map(|x| x.id.as_str()),
            ),
            index_ids(c, Kind::PlanStep, world.plan.iter().map(|x| x.id.as_str())),
        ];
        Self { by_kind }
    }

    fn of(&self, kind: Kind) -> &HashMap<&'a str, usize> {
        &self.by_kind[kind as usize]
    }
}

fn index_ids<'a>(
    c: &mut Checker,
    kind: Kind,
    ids: impl Iterator<Item = &'a str>,
) -> HashMap<&'a str, usize> {
    let mut map = HashMap::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        let nth = seen.entry(id).or_default();
        *nth += 1;
        if id.trim().is_empty() {
            c.push_nth(
                kind.label(&format!("#{}", i + 1)),
                *nth - 1,
                Rule::EmptyId,
                "id must not be empty",
            );
        }
        if let Some(&first) = map.get(id) {
            c.push_nth(
                kind.label(id),
                *nth - 1,
                Rule::DuplicateId,
                format!(
                    "id `{id}` is declared more than once ({} #{} and #{}); ids must be unique",
                    kind.noun(),
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
    check_at(world, text, None)
}

/// [`check`] for a world whose files (an hourly price file) are named relative to
/// `base_dir` (the world file's folder).
pub fn check_at(
    world: &WorldFile,
    text: Option<&str>,
    base_dir: Option<&std::path::Path>,
) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker {
        text: text.map(Locator::new),
        problems: Vec::new(),
    };
    let site = site::check(&mut c, &world.site);
    let ids = Ids::index(&mut c, world);
    let equipment = equipment::check(&mut c, world, &ids);
    let models = equipment::models(&mut c, &world.unit_models);
    let racks = racks::check(&mut c, &world.racks, &ids, site.calendar.start());
    let markets = markets::check(&mut c, &world.markets, &site.calendar);
    let model = market_model::check(&mut c, world, base_dir);
    let plan = plan::check(
        &mut c,
        world,
        &ids,
        &equipment,
        &models,
        &racks,
        &site.calendar,
    );
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let s = &world.site;
    let m = &world.markets;
    let mut scenario = Scenario {
        name: s.name.clone(),
        calendar: site.calendar,
        discount_rate_per_year: s.discount_rate_per_year,
        interconnect_w: mw_to_w(s.interconnect_mw),
        fixed_opex_usd_per_month: s.fixed_opex_usd_per_month,
        electricity_price_factor: site.electricity_price_factor,
        curtail_unprofitable_asics: s.curtail_unprofitable_asics,
        substations: equipment.substations,
        transformers: equipment.transformers,
        cooling_loops: equipment.cooling_loops,
        models,
        racks,
        markets: MarketSpec {
            btc_price_usd: m.btc_price_usd.clone(),
            network_hashrate_gh_s: m.network_hashrate_eh_s * 1e9,
            network_growth_per_year: m.network_growth_per_year,
            network_growth_volatility_per_year: m.network_growth_volatility_per_year,
            block_subsidy_btc: m.block_subsidy_btc,
            halving_days: markets.halving_days,
            fees_btc_per_block: m.fees_btc_per_block,
            gpu_lease: m.gpu_lease.clone(),
            gpu_rental: m.gpu_rental.clone(),
            electricity_usd_per_mwh: site.electricity_usd_per_mwh,
        },
        plan: plan.steps,
        reliability: Default::default(),
        network: model.network,
        power_prices: model.power_prices,
        flexibility: model.flexibility,
        finance: None,
    };
    scenario.reliability = reliability::check(&mut c, world, &ids, &scenario, &plan.scripted);
    physical::check(&mut c, &scenario);
    if let Some(f) = &world.finance {
        let spec = finance::check(&mut c, f, &finance::FinanceContext::of(&scenario));
        scenario.finance = spec;
    }
    if c.problems.is_empty() {
        Ok(scenario)
    } else {
        Err(c.problems)
    }
}
