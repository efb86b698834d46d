//! The world file's optional `finance: (...)` section (stage one: it mirrors the file).
//!
//! Every field has a default, so a world may give only what it knows; a world without
//! the section runs exactly as before. [`super::check`] turns it into a
//! [`crate::finance::spec::FinanceSpec`].
//!
//! Defaults and their sources (docs/domain.md, Part 2; table in docs/model.md):
//! - tax rate 21 % (US federal; Texas levies no corporate income tax, Tax Foundation),
//!   paid annually, losses offsetting at most 80 % of income (IRC §172(a)(2));
//! - depreciation: GPU servers straight-line 6 years (CoreWeave), ASICs straight-line
//!   3 years (Greenidge), electrical MACRS 15-year (pad transformers, site work: asset
//!   class 00.3), mechanical MACRS 5-year (CRAH/CRAC, in-row cooling: asset class 57.0),
//!   building straight-line 39 years (nonresidential real property);
//! - mining uptime 100 %, no pool fee, no per-MW opex: a world says what it knows.

use crate::dist::Quantity;
use crate::finance::capital::{AssetClass, ProgressPayments};
use crate::finance::debt::Amortisation;
use crate::finance::lease::{Billing, Prepayment};
use crate::finance::tax::{Depreciation, Method, TaxPayment};
use serde::{Deserialize, Serialize};

/// `finance: (...)`: contracts, opex, capital, debt, tax and terminal value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinanceSection {
    /// Leases, one per leased GPU hall.
    #[serde(default)]
    pub leases: Vec<LeaseSection>,
    /// Rental contract terms, one per rented GPU hall.
    #[serde(default)]
    pub rentals: Vec<RentalSection>,
    /// Opex by operating state.
    #[serde(default)]
    pub opex: OpexSection,
    /// Capital: progress payments, salvage, asset classes.
    #[serde(default)]
    pub capital: CapitalSection,
    /// Debt tranches.
    #[serde(default)]
    pub debt: Vec<TrancheSection>,
    /// Tax and depreciation.
    #[serde(default)]
    pub tax: TaxSection,
    /// Terminal value at the horizon.
    #[serde(default)]
    pub terminal_value: TerminalValueSection,
    /// Equity IRR a sweep reports the probability of reaching, per year.
    #[serde(default)]
    pub equity_hurdle_per_year: Option<f64>,
}

/// How the site is valued at the horizon, as written: each figure may be a
/// distribution, which a sampled run draws after every other finance draw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum TerminalValueSection {
    /// No terminal value.
    #[default]
    None,
    /// Exit multiple × run-rate EBITDA.
    ExitMultiple {
        /// EV / EBITDA multiple.
        ebitda_multiple: Quantity,
    },
    /// Gordon growth at a cap rate.
    GordonGrowth {
        /// Cap rate, per year.
        cap_rate_per_year: Quantity,
        /// Perpetual growth of EBITDA, per year (a distribution must stay >= 0).
        growth_per_year: Quantity,
    },
}

/// When rent starts, as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum CommencementSection {
    /// When the hall energises.
    #[default]
    OnEnergisation,
    /// On a date (`YYYY-MM-DD`), with a penalty while the hall is late.
    OnDate {
        /// Contractual commencement date.
        date: String,
        /// Penalty while late, USD per month.
        #[serde(default)]
        late_penalty_usd_per_month: f64,
    },
}

/// Renewal options, as written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalSection {
    /// Number of options.
    pub options: u32,
    /// Months each.
    pub length_months: u32,
    /// Rate change at each renewal, fraction (−0.1 … +0.5).
    #[serde(default)]
    pub rate_change: f64,
    /// Probability each option is taken, 0..=1 (may be a distribution).
    pub probability: Quantity,
}

/// A tenant capex contribution, as written: `total_usd` or `usd_per_mw`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantCapexSection {
    /// Total, USD.
    #[serde(default)]
    pub total_usd: Option<f64>,
    /// Per MW of contracted critical IT, USD.
    #[serde(default)]
    pub usd_per_mw: Option<f64>,
    /// Share paid at signing.
    #[serde(default)]
    pub at_signing_share: f64,
    /// Share paid on delivery of the hall's equipment.
    #[serde(default)]
    pub at_delivery_share: f64,
    /// Share paid on energisation.
    #[serde(default)]
    pub at_energisation_share: f64,
}

/// A lease, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseSection {
    /// Lease id.
    pub id: String,
    /// The hall: an `InstallUnits` step id or its rack group id.
    pub hall: String,
    /// Base rate, USD per kW-month of critical IT (may be a distribution).
    pub usd_per_kw_month: Quantity,
    /// Billing basis (default `Contracted`).
    #[serde(default = "contracted")]
    pub billing: Billing,
    /// Contracted critical IT, kW (default: the hall's IT load).
    #[serde(default)]
    pub contracted_kw: Option<f64>,
    /// Rent commencement (default `OnEnergisation`).
    #[serde(default)]
    pub commencement: CommencementSection,
    /// Initial term, months (default: no end).
    #[serde(default)]
    pub term_months: Option<u32>,
    /// Escalator per year, compounding on anniversaries (may be a distribution).
    #[serde(default = "zero")]
    pub escalator_per_year: Quantity,
    /// Renewal options.
    #[serde(default)]
    pub renewal: Option<RenewalSection>,
    /// Tenant pays the hall's power (default: the `gpu_lease` market's setting).
    #[serde(default)]
    pub power_pass_through: Option<bool>,
    /// Tenant capex contribution.
    #[serde(default)]
    pub tenant_capex: Option<TenantCapexSection>,
    /// Rent prepayment.
    #[serde(default)]
    pub prepayment: Option<Prepayment>,
    /// Refundable deposit, USD.
    #[serde(default)]
    pub deposit_usd: f64,
    /// Signing date `YYYY-MM-DD` (default: the first day of the run).
    #[serde(default)]
    pub signed: Option<String>,
    /// This lease's own availability target and credit schedule (issue 14), in place
    /// of the site-wide `reliability.sla` for its hall.
    #[serde(default)]
    pub sla: Option<crate::world::reliability::Sla>,
}

fn contracted() -> Billing {
    Billing::Contracted
}

fn zero() -> Quantity {
    Quantity::Value(0.0)
}

fn one() -> f64 {
    1.0
}

/// A rental contract term, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RentalSection {
    /// Contract id.
    pub id: String,
    /// The hall: an `InstallUnits` step id or its rack group id.
    pub hall: String,
    /// Term from energisation, months (default: no end).
    #[serde(default)]
    pub term_months: Option<u32>,
    /// Renewal options.
    #[serde(default)]
    pub renewal: Option<RenewalSection>,
}

/// Opex by operating state, as written (each figure may be a distribution).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpexSection {
    /// Fixed site opex, USD per month (default: the site's `fixed_opex_usd_per_month`).
    #[serde(default)]
    pub fixed_usd_per_month: Option<Quantity>,
    /// USD per MW-month of mining ASICs.
    #[serde(default = "zero")]
    pub mining_usd_per_mw_month: Quantity,
    /// USD per MW-month of leased GPU IT.
    #[serde(default = "zero")]
    pub leased_gpu_usd_per_mw_month: Quantity,
    /// USD per MW-month of rented GPU IT.
    #[serde(default = "zero")]
    pub rented_gpu_usd_per_mw_month: Quantity,
    /// USD per MW-month of idle or dark IT capacity.
    #[serde(default = "zero")]
    pub idle_usd_per_mw_month: Quantity,
    /// Pool fee, share of mining revenue.
    #[serde(default)]
    pub pool_fee_share: f64,
    /// Share of time energised miners hash.
    #[serde(default = "one")]
    pub mining_uptime_share: f64,
    /// Insurance, share of gross asset value per year.
    #[serde(default)]
    pub insurance_share_per_year: f64,
    /// Property tax, share of gross asset value per year.
    #[serde(default)]
    pub property_tax_share_per_year: f64,
}

impl Default for OpexSection {
    fn default() -> Self {
        Self {
            fixed_usd_per_month: None,
            mining_usd_per_mw_month: zero(),
            leased_gpu_usd_per_mw_month: zero(),
            rented_gpu_usd_per_mw_month: zero(),
            idle_usd_per_mw_month: zero(),
            pool_fee_share: 0.0,
            mining_uptime_share: 1.0,
            insurance_share_per_year: 0.0,
            property_tax_share_per_year: 0.0,
        }
    }
}

/// ASIC resale, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalvageSection {
    /// ASIC model id.
    pub model: String,
    /// Quoted resale price, USD per TH/s (for units `quoted_age_months` old).
    pub usd_per_th: f64,
    /// Decline per year.
    #[serde(default)]
    pub decline_per_year: f64,
    /// Age of the units `usd_per_th` was quoted for, months (default 0: new units);
    /// units sold younger or older are priced along `decline_per_year`.
    #[serde(default)]
    pub quoted_age_months: u32,
    /// The hashprice `usd_per_th` was quoted at, USD per PH/s per day; resale then
    /// scales with the month's hashprice over it (default: no hashprice scaling).
    #[serde(default)]
    pub hashprice_reference_usd_per_ph_day: Option<f64>,
}

/// A capex line item's asset class, overriding the default for its kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSection {
    /// Capex item name.
    pub item: String,
    /// Its class.
    pub class: AssetClass,
}

/// Capital, as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalSection {
    /// Progress payments (default: everything paid at order).
    #[serde(default)]
    pub progress_payments: Option<ProgressPayments>,
    /// ASIC resale by model.
    #[serde(default)]
    pub asic_salvage: Vec<SalvageSection>,
    /// Gross value of the assets the site starts with, USD.
    #[serde(default)]
    pub existing_gross_asset_usd: f64,
    /// Asset-class overrides.
    #[serde(default)]
    pub asset_classes: Vec<ClassSection>,
    /// Sell every ASIC still installed once the site's miners have mined nothing for
    /// this many consecutive months (default: never).
    #[serde(default)]
    pub sell_idle_asics_after_months: Option<u32>,
}

/// A debt tranche, as written: `amount_usd` or `loan_to_cost`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrancheSection {
    /// Tranche id.
    pub id: String,
    /// Commitment, USD.
    #[serde(default)]
    pub amount_usd: Option<f64>,
    /// Share of the named capex, 0..=1.
    #[serde(default)]
    pub loan_to_cost: Option<f64>,
    /// Capex items it funds.
    pub against: Vec<String>,
    /// Interest rate per year (may be a distribution).
    pub rate_per_year: Quantity,
    /// Interest-only months after the first draw.
    #[serde(default)]
    pub interest_only_months: u32,
    /// Months from first draw to final repayment.
    pub tenor_months: u32,
    /// Repayment profile (default `Annuity`).
    #[serde(default = "annuity")]
    pub amortisation: Amortisation,
    /// Upfront fee, share of the commitment.
    #[serde(default)]
    pub upfront_fee_share: f64,
    /// Minimum trailing-12-month DSCR.
    #[serde(default)]
    pub min_dscr: Option<f64>,
}

fn annuity() -> Amortisation {
    Amortisation::Annuity
}

/// Tax and depreciation, as written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxSection {
    /// Corporate income tax rate (default 21 %).
    #[serde(default = "federal_rate")]
    pub rate: f64,
    /// Monthly or annually (default annually).
    #[serde(default = "annually")]
    pub payment: TaxPayment,
    /// Share of income carried losses may offset (default 80 %).
    #[serde(default = "loss_limit")]
    pub loss_offset_limit_share: f64,
    /// GPU servers (default straight-line 6 years).
    #[serde(default = "gpu_servers")]
    pub gpu_servers: Depreciation,
    /// ASICs (default straight-line 3 years).
    #[serde(default = "asics")]
    pub asics: Depreciation,
    /// Electrical (default MACRS 15-year).
    #[serde(default = "electrical")]
    pub electrical: Depreciation,
    /// Mechanical (default MACRS 5-year).
    #[serde(default = "mechanical")]
    pub mechanical: Depreciation,
    /// Building (default straight-line 39 years).
    #[serde(default = "building")]
    pub building: Depreciation,
}

fn federal_rate() -> f64 {
    0.21
}
fn annually() -> TaxPayment {
    TaxPayment::Annually
}
fn loss_limit() -> f64 {
    0.8
}
fn dep(life_years: u32, method: Method) -> Depreciation {
    Depreciation {
        life_years,
        method,
        bonus_share: 0.0,
    }
}
fn gpu_servers() -> Depreciation {
    dep(6, Method::StraightLine)
}
fn asics() -> Depreciation {
    dep(3, Method::StraightLine)
}
fn electrical() -> Depreciation {
    dep(15, Method::MacrsHalfYear)
}
fn mechanical() -> Depreciation {
    dep(5, Method::MacrsHalfYear)
}
fn building() -> Depreciation {
    dep(39, Method::StraightLine)
}

impl Default for TaxSection {
    fn default() -> Self {
        Self {
            rate: federal_rate(),
            payment: annually(),
            loss_offset_limit_share: loss_limit(),
            gpu_servers: gpu_servers(),
            asics: asics(),
            electrical: electrical(),
            mechanical: mechanical(),
            building: building(),
        }
    }
}
