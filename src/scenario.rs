//! The checked model: a [`Scenario`] is what the engine simulates.
//!
//! It is produced by [`crate::world::check`] from a world file and depends on no file
//! type: ids are indices, powers are integer watts, dates are simulation days. The few
//! value types that a world file spells the same way (cooling kinds, price paths, lease
//! and rental terms, contracts) are defined here and reused by the file schema.

pub mod reliability;

use crate::calendar::{Calendar, Day};
use crate::dist::Dist;
use serde::{Deserialize, Serialize};

/// Kinds of cooling, each with typical density limits (see `docs/domain.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoolingKind {
    /// Air cooling: ~15–20 kW/rack, at most 30–40 kW.
    Air,
    /// Hydro-cooled ASIC containers.
    Hydro,
    /// Single- or two-phase immersion tanks.
    Immersion,
    /// Rear-door heat exchangers: ~35 kW passive, ~60–75 kW active.
    RearDoor,
    /// Direct-to-chip liquid cooling: 40–130 kW/rack today.
    DirectToChip,
}

/// Where a cooling loop's plant (CDUs, pumps, chillers, fans) is fed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PlantFeed {
    /// Its own auxiliary transformers: the plant counts only against the interconnect.
    #[default]
    Auxiliary,
    /// The same transformers (and substations) as the racks it cools: they carry IT × PUE.
    RackTransformers,
}

impl CoolingKind {
    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            CoolingKind::Air => "air",
            CoolingKind::Hydro => "hydro",
            CoolingKind::Immersion => "immersion",
            CoolingKind::RearDoor => "rear-door heat exchanger",
            CoolingKind::DirectToChip => "direct-to-chip liquid",
        }
    }
}

/// A price path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PricePath {
    /// The same price every month.
    Constant(f64),
    /// One price per month from the start month; must cover the horizon.
    Monthly(Vec<f64>),
    /// Geometric Brownian motion with monthly steps. A plain run follows the median
    /// path `start × exp((drift − σ²/2)·t)`; a seeded run samples it.
    Gbm {
        /// Price at the start month.
        start: f64,
        /// Expected log-return drift per year.
        drift_per_year: f64,
        /// Volatility σ per year.
        volatility_per_year: f64,
    },
}

/// A GPU colocation lease.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    /// Rent in USD per kW of energised GPU IT load per month.
    pub usd_per_kw_month: f64,
    /// True if the tenant pays the electricity of its halls (as in many colocation
    /// deals); then leased halls add no energy cost to the site.
    #[serde(default)]
    pub power_pass_through: bool,
}

/// GPU-hour rental of site-owned GPUs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rental {
    /// Price in USD per GPU-hour at the start month.
    pub usd_per_gpu_hour: f64,
    /// Price decline per year, e.g. 0.2 for −20 %/yr.
    #[serde(default)]
    pub decline_per_year: f64,
    /// Volatility σ per year of the price, used when sampling.
    #[serde(default)]
    pub volatility_per_year: f64,
    /// Share of GPU-hours sold in the month rental GPUs first energise (0..=1).
    pub utilisation_start: f64,
    /// Share of GPU-hours sold once ramped up (0..=1).
    pub utilisation_target: f64,
    /// Months from first energisation to the target utilisation.
    #[serde(default)]
    pub ramp_months: u32,
}

/// How an installed GPU hall earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Contract {
    /// Leased to a tenant at `markets.gpu_lease`; the tenant owns the servers.
    #[default]
    Lease,
    /// Site-owned servers rented by the GPU-hour at `markets.gpu_rental`.
    Rental,
}

/// How a piece of equipment starts the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SupplySpec {
    /// In service from day 0.
    Existing,
    /// Must be ordered and installed.
    ToOrder {
        /// Cost in USD, booked on order.
        cost_usd: f64,
        /// Lead time in weeks.
        lead_time_weeks: Dist,
    },
}

/// Kind of an orderable piece of equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EquipmentRef {
    /// Index into [`Scenario::substations`].
    Substation(usize),
    /// Index into [`Scenario::transformers`].
    Transformer(usize),
    /// Index into [`Scenario::cooling_loops`].
    CoolingLoop(usize),
}

/// A checked substation.
#[derive(Debug, Clone)]
pub struct SubstationSpec {
    /// Id from the file.
    pub id: String,
    /// Capacity in W of IT load.
    pub capacity_w: u64,
    /// Existing or to order.
    pub supply: SupplySpec,
}

/// A checked transformer.
#[derive(Debug, Clone)]
pub struct TransformerSpec {
    /// Id from the file.
    pub id: String,
    /// Index of its substation.
    pub substation: usize,
    /// Usable real power in W (MVA × power factor).
    pub capacity_w: u64,
    /// Existing or to order.
    pub supply: SupplySpec,
}

/// A checked cooling loop.
#[derive(Debug, Clone)]
pub struct CoolingLoopSpec {
    /// Id from the file.
    pub id: String,
    /// Technology.
    pub kind: CoolingKind,
    /// Heat-rejection capacity in W of IT load.
    pub heat_rejection_w: u64,
    /// Highest IT load per rack in W.
    pub max_rack_w: u64,
    /// Facility power / IT power for racks on this loop: the median of [`Self::pue_dist`],
    /// which is what the plain run uses. A seeded run draws its own (see
    /// `engine::Draws::cooling_pue`) and the facility carries that draw.
    pub pue: f64,
    /// The PUE's distribution (`Fixed` when the world gives a number, which draws
    /// nothing); its support lies within `1..=MAX_PUE`.
    pub pue_dist: Dist,
    /// Where the loop's plant draws its power from (decides [`Self::path_milli_at`]).
    pub plant_feed: PlantFeed,
    /// Load on the racks' transformer and substation per W of IT, in mW, at the median
    /// PUE: 1000 when the plant has its own feed, PUE × 1000 (to 0.001) when it shares
    /// the racks'.
    pub path_milli: u64,
    /// Existing or to order.
    pub supply: SupplySpec,
}

impl CoolingLoopSpec {
    /// Load on the racks' transformer and substation per W of IT, in mW, when the loop
    /// runs at `pue`: 1000 for a plant on its own feed, `pue` × 1000 rounded to the
    /// nearest mW (PUE to 0.001) for one fed through the racks' transformer.
    pub fn path_milli_at(&self, pue: f64) -> u64 {
        match self.plant_feed {
            PlantFeed::Auxiliary => 1000,
            // Clamped so a value the check refused (and reported) cannot overflow.
            PlantFeed::RackTransformers if pue.is_finite() => {
                (pue.clamp(1.0, 5.0) * 1000.0).round() as u64
            }
            PlantFeed::RackTransformers => 1000,
        }
    }

    /// True when the world gives the PUE as a distribution, so seeded runs differ.
    pub fn pue_sampled(&self) -> bool {
        !matches!(self.pue_dist, Dist::Fixed(_))
    }
}

/// What a unit model does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelKind {
    /// A miner with this hashrate in GH/s (integer, so totals are exact).
    Asic {
        /// Hashrate in GH/s.
        hashrate_gh_s: u64,
    },
    /// A GPU server with this many GPUs.
    Gpu {
        /// GPUs per server.
        gpus: u32,
    },
}

/// A checked unit model.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Id from the file.
    pub id: String,
    /// ASIC or GPU.
    pub kind: ModelKind,
    /// Power per unit in W.
    pub power_w: u64,
    /// Cost per unit in USD.
    pub cost_usd: f64,
    /// Lead time when bought by a plan step, in weeks.
    pub lead_time_weeks: Dist,
}

/// A checked rack group.
#[derive(Debug, Clone)]
pub struct RackGroupSpec {
    /// Id from the file.
    pub id: String,
    /// Racks in the group.
    pub count: u32,
    /// Transformer index.
    pub transformer: usize,
    /// Cooling loop index.
    pub cooling: usize,
    /// Units per rack at the start: (model index, units per rack).
    pub initial: Option<(usize, u32)>,
    /// Age of the starting units at the start month, whole months (0 when they went
    /// into service that month or no date was given); resale ages them from it.
    pub initial_age_months: u32,
}

/// Checked markets.
#[derive(Debug, Clone)]
pub struct MarketSpec {
    /// BTC price path.
    pub btc_price_usd: PricePath,
    /// Network hashrate at the start in GH/s.
    pub network_hashrate_gh_s: f64,
    /// Growth per year.
    pub network_growth_per_year: f64,
    /// Volatility of growth per year.
    pub network_growth_volatility_per_year: f64,
    /// Block subsidy at the start in BTC.
    pub block_subsidy_btc: f64,
    /// Halving days within the horizon, ascending.
    pub halving_days: Vec<Day>,
    /// Fees per block in BTC.
    pub fees_btc_per_block: f64,
    /// Lease terms, if any.
    pub gpu_lease: Option<Lease>,
    /// Rental terms, if any.
    pub gpu_rental: Option<Rental>,
    /// Electricity price per month in USD/MWh (one entry per simulated month).
    pub electricity_usd_per_mwh: Vec<f64>,
}

/// A checked plan action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionSpec {
    /// Order these items.
    Order(Vec<EquipmentRef>),
    /// Put these delivered items in service.
    Install(Vec<EquipmentRef>),
    /// Decommission every unit in this rack group.
    Decommission(usize),
    /// Install and energise units.
    InstallUnits {
        /// Rack group index.
        group: usize,
        /// Model index.
        model: usize,
        /// Units per rack.
        per_rack: u32,
        /// Revenue contract (GPUs only).
        contract: Contract,
    },
}

impl ActionSpec {
    /// Short verb for logs and charts.
    pub fn verb(&self) -> &'static str {
        match self {
            ActionSpec::Order(_) => "order",
            ActionSpec::Install(_) => "install",
            ActionSpec::Decommission(_) => "decommission",
            ActionSpec::InstallUnits { .. } => "install units",
        }
    }
}

/// A checked plan step.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Id from the file.
    pub id: String,
    /// What it does.
    pub action: ActionSpec,
    /// Working time in days.
    pub duration_days: Dist,
    /// Earliest start day.
    pub start: Option<Day>,
    /// Indices of prerequisite steps.
    pub after: Vec<usize>,
    /// Capex booked at start, USD (the median when it is a distribution).
    pub cost_usd: f64,
    /// The capex's distribution (`Fixed` when the world gives a number).
    pub cost_dist: Dist,
}

/// A validated world, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Site name.
    pub name: String,
    /// Months of the run.
    pub calendar: Calendar,
    /// Annual discount rate.
    pub discount_rate_per_year: f64,
    /// Interconnect limit in W of facility power.
    pub interconnect_w: u64,
    /// Fixed opex per month, USD.
    pub fixed_opex_usd_per_month: f64,
    /// Multiplier on every month's electricity price (`Fixed(1.0)` unless the world
    /// samples the power-price level).
    pub electricity_price_factor: Dist,
    /// Switch off ASICs while they would mine at a loss.
    pub curtail_unprofitable_asics: bool,
    /// Substations.
    pub substations: Vec<SubstationSpec>,
    /// Transformers.
    pub transformers: Vec<TransformerSpec>,
    /// Cooling loops.
    pub cooling_loops: Vec<CoolingLoopSpec>,
    /// Unit catalogue.
    pub models: Vec<ModelSpec>,
    /// Rack groups.
    pub racks: Vec<RackGroupSpec>,
    /// Markets.
    pub markets: MarketSpec,
    /// Plan steps, in file order.
    pub plan: Vec<StepSpec>,
    /// Failures, redundancy, backup power and SLA (default: none).
    pub reliability: reliability::ReliabilitySpec,
    /// The network hashrate model (exogenous unless the world gives a supply model).
    pub network: crate::network::schema::NetworkSpec,
    /// The hourly price shape, if any.
    pub power_prices: Option<crate::price_shape::schema::PriceShapeSpec>,
    /// Flexibility terms, if any.
    pub flexibility: Option<crate::price_shape::schema::FlexibilitySpec>,
    /// Deal, financing and tax terms, when the world gives them.
    pub finance: Option<crate::finance::spec::FinanceSpec>,
}

impl Scenario {
    /// The id of an orderable item.
    pub fn equipment_id(&self, e: EquipmentRef) -> &str {
        match e {
            EquipmentRef::Substation(i) => &self.substations[i].id,
            EquipmentRef::Transformer(i) => &self.transformers[i].id,
            EquipmentRef::CoolingLoop(i) => &self.cooling_loops[i].id,
        }
    }

    /// How an orderable item is supplied.
    pub fn equipment_supply(&self, e: EquipmentRef) -> SupplySpec {
        match e {
            EquipmentRef::Substation(i) => self.substations[i].supply,
            EquipmentRef::Transformer(i) => self.transformers[i].supply,
            EquipmentRef::CoolingLoop(i) => self.cooling_loops[i].supply,
        }
    }

    /// Rating of an item: real power for substations and transformers, heat rejection
    /// for cooling loops, W.
    pub fn equipment_capacity_w(&self, e: EquipmentRef) -> u64 {
        match e {
            EquipmentRef::Substation(i) => self.substations[i].capacity_w,
            EquipmentRef::Transformer(i) => self.transformers[i].capacity_w,
            EquipmentRef::CoolingLoop(i) => self.cooling_loops[i].heat_rejection_w,
        }
    }

    /// A readable name of an orderable item, e.g. `transformer T3`.
    pub fn equipment_name(&self, e: EquipmentRef) -> String {
        let kind = match e {
            EquipmentRef::Substation(_) => "substation",
            EquipmentRef::Transformer(_) => "transformer",
            EquipmentRef::CoolingLoop(_) => "cooling loop",
        };
        format!("{kind} {}", self.equipment_id(e))
    }

    /// A readable name of a rack group, e.g. `rack group G1`.
    pub fn rack_group_name(&self, g: usize) -> String {
        format!("rack group {}", self.racks[g].id)
    }

    /// Total racks declared.
    pub fn rack_count(&self) -> u64 {
        self.racks.iter().map(|g| u64::from(g.count)).sum()
    }

    /// Every cooling loop's PUE at the plain run's value (the median), in loop order:
    /// what [`crate::facility::Facility::spawn`] starts with.
    pub fn median_pue(&self) -> Vec<f64> {
        self.cooling_loops.iter().map(|l| l.pue).collect()
    }

    /// A copy whose loops run at `pick(distribution)` (their PUE and path load), for the
    /// static checks: the start must hold at the highest PUE a run can draw, and an
    /// install "never fits" only if it fails even at the lowest.
    pub fn at_pue(&self, pick: impl Fn(Dist) -> f64) -> Scenario {
        let mut s = self.clone();
        for l in &mut s.cooling_loops {
            l.pue = pick(l.pue_dist);
            l.path_milli = l.path_milli_at(l.pue);
        }
        s
    }

    /// A one-line inventory, e.g. `120 months, 1 substation, 3 transformers, …`.
    pub fn describe(&self) -> String {
        let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
        [
            n(self.calendar.months() as usize, "month"),
            n(self.substations.len(), "substation"),
            n(self.transformers.len(), "transformer"),
            n(self.cooling_loops.len(), "cooling loop"),
            n(self.models.len(), "unit model"),
            n(self.racks.len(), "rack group"),
            n(self.rack_count() as usize, "rack"),
            n(self.plan.len(), "plan step"),
        ]
        .join(", ")
    }
}
