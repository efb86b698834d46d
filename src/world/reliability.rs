//! The `reliability` section of a world file (issue 14): failure models, spares,
//! hall redundancy (power and cooling), an SLA and backup power. Scripted failures are plan steps
//! (`action: Fail("T3")`, see [`crate::world::Action::Fail`]).
//!
//! Every field is optional and the section's default means "no failures, no
//! redundancy", so worlds written before it parse and run unchanged.

use crate::dist::Quantity;
use serde::{Deserialize, Serialize};

pub use crate::scenario::reliability::{BackupKind, Scheme};

/// Failures, redundancy and service levels of the site.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reliability {
    /// Failure models of equipment (substations, transformers, cooling loops).
    #[serde(default)]
    pub failures: Vec<EquipmentFailure>,
    /// Failure rates of unit models (ASICs and site-owned GPU servers).
    #[serde(default)]
    pub units: Vec<UnitFailure>,
    /// Spare equipment held on site, bought on day 0.
    #[serde(default)]
    pub spares: Vec<Spare>,
    /// Halls with power and cooling redundancy, one declaration each.
    #[serde(default)]
    pub redundancy: Vec<HallRedundancy>,
    /// Backup power: generators and UPS.
    #[serde(default)]
    pub backup: Vec<Backup>,
    /// Availability target and credit schedule of the GPU leases.
    #[serde(default)]
    pub sla: Option<Sla>,
}

impl Reliability {
    /// True when the section declares nothing (it is then not written back out).
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
            && self.units.is_empty()
            && self.spares.is_empty()
            && self.redundancy.is_empty()
            && self.backup.is_empty()
            && self.sla.is_none()
    }
}

/// How long a piece of equipment lives between failures.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Life {
    /// Exponential time to failure with this mean (constant hazard).
    Mtbf {
        /// Mean time between failures, years.
        years: f64,
    },
    /// Weibull time to failure (shape < 1: infant mortality; > 1: wear-out).
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ, years.
        scale_years: f64,
    },
}

/// What brings a failed item back.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Restore {
    /// Repaired in place.
    Repair {
        /// Time to repair, days.
        days: Quantity,
        /// Cost of one repair, USD (opex).
        #[serde(default)]
        cost_usd: f64,
    },
    /// Replaced: a spare is swapped in if one is on site, else a new unit is ordered.
    Replace {
        /// Capex of the new unit, USD; defaults to the item's own `ToOrder` cost.
        #[serde(default)]
        cost_usd: Option<f64>,
        /// Lead time of the new unit, weeks; defaults to the item's own `ToOrder`
        /// lead time.
        #[serde(default)]
        lead_time_weeks: Option<Quantity>,
    },
}

/// A failure model for some equipment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquipmentFailure {
    /// Ids of the substations, transformers or cooling loops it applies to.
    pub equipment: Vec<String>,
    /// Time to failure.
    pub life: Life,
    /// Repair or replacement.
    pub restore: Restore,
}

/// Failures of one unit model: each unit fails at this annual rate and is out for the
/// repair time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFailure {
    /// Id of the unit model.
    pub model: String,
    /// Failures per unit per year (e.g. 0.10).
    pub annual_failure_rate: f64,
    /// Days a failed unit is out.
    pub repair_days: f64,
}

/// A spare held on site.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spare {
    /// Id of the spare.
    pub id: String,
    /// Ids of the items it can stand in for (all of one kind).
    pub replaces: Vec<String>,
    /// Capex, USD, booked on day 0.
    pub cost_usd: f64,
    /// Time to swap it in, days.
    pub swap_days: Quantity,
}

/// A hall's redundancy, declared once: its power scheme over its transformers and its
/// cooling scheme over its cooling loops (at least one of the two).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HallRedundancy {
    /// Name of the hall (what `backup` entries name).
    pub hall: String,
    /// Power redundancy over the hall's transformers.
    #[serde(default)]
    pub power: Option<SchemeSection>,
    /// Cooling redundancy over the hall's cooling loops.
    #[serde(default)]
    pub cooling: Option<SchemeSection>,
    /// True when the hall needs Tier III-class backup (generators and UPS rated for
    /// its sellable capacity) in service before any unit on it energises.
    #[serde(default)]
    pub requires_backup: bool,
}

/// One scheme of a hall over a named set of equipment of one kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeSection {
    /// N, N+1 or 2N.
    pub scheme: Scheme,
    /// Ids of its transformers (power) or cooling loops (cooling).
    pub equipment: Vec<String>,
}

/// A generator or UPS serving a hall.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Id.
    pub id: String,
    /// Generator or UPS.
    pub kind: BackupKind,
    /// The hall (a `redundancy` declaration's `hall`) it serves.
    pub hall: String,
    /// Rating, MW.
    pub rating_mw: f64,
    /// Capex, USD, booked on order (day 0).
    pub cost_usd: f64,
    /// Lead time from day 0 to in service, weeks.
    pub lead_time_weeks: Quantity,
    /// Fuel, testing and maintenance, USD per month once in service.
    #[serde(default)]
    pub opex_usd_per_month: f64,
}

/// A band of the credit schedule: availability in `[min_availability,
/// max_availability)` earns the tenant `credit_share` of the month's rent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditBand {
    /// Lower edge (inclusive), 0..=1.
    pub min_availability: f64,
    /// Upper edge (exclusive), 0..=1.
    pub max_availability: f64,
    /// Credit as a share of the hall's monthly rent, 0..=1.
    pub credit_share: f64,
}

/// Service level of the GPU leases.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Availability promised per month, 0..=1 (Tier III ≈ 0.99982).
    pub availability_target: f64,
    /// Credits by band of availability.
    #[serde(default)]
    pub credits: Vec<CreditBand>,
}
