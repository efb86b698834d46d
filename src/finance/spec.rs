//! The checked finance section of a world: terms at their medians, and the figures a
//! sampled run draws (in a fixed order, after every physical draw, so a world without
//! distributions here draws exactly what it drew before).

use super::capital::AssetClass;
use super::lease::Renewal;
use super::terminal::TerminalValue;
use super::{FinanceDraws, FinanceTerms};
use crate::dist::Dist;
use rand::RngExt;

/// Longest loan tenor or lease term accepted: 100 years.
pub const MAX_MONTHS: u32 = 1200;
/// Largest escalator (and interest rate) accepted, exclusive: 100 % a year.
pub const MAX_RATE_PER_YEAR: f64 = 1.0;

/// A figure a sampled run draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    /// A lease's base rate.
    LeaseRate(usize),
    /// A lease's escalator.
    LeaseEscalator(usize),
    /// A lease's renewal probability.
    LeaseRenewal(usize),
    /// A rental contract's renewal probability.
    RentalRenewal(usize),
    /// A tranche's interest rate.
    TrancheRate(usize),
    /// Fixed opex.
    FixedOpex,
    /// Mining opex per MW.
    MiningOpex,
    /// Leased GPU opex per MW.
    LeasedOpex,
    /// Rented GPU opex per MW.
    RentedOpex,
    /// Idle opex per MW.
    IdleOpex,
    /// The terminal value's EBITDA multiple.
    ExitMultiple,
    /// The terminal value's cap rate.
    CapRate,
    /// The terminal value's growth.
    TerminalGrowth,
}

/// A checked finance section.
#[derive(Debug, Clone, PartialEq)]
pub struct FinanceSpec {
    /// Terms with every distribution at its median.
    pub terms: FinanceTerms,
    /// Each capex item's class, by name.
    pub classes: Vec<(String, AssetClass)>,
    /// Figures given as distributions, in the order a sampled run draws them.
    pub sampled: Vec<(Slot, Dist)>,
    /// Terminal-value figures given as distributions, drawn after the renewal choices
    /// (they came later; a world that samples none keeps its stream).
    pub sampled_terminal: Vec<(Slot, Dist)>,
    /// Equity hurdle for sweeps.
    pub equity_hurdle_per_year: Option<f64>,
    /// Lease ids, in [`FinanceTerms::leases`] order (ledger column names).
    pub lease_ids: Vec<String>,
    /// Rental contract ids, in [`FinanceTerms::rentals`] order.
    pub rental_ids: Vec<String>,
}

impl FinanceSpec {
    /// A median run's terms and renewal choices.
    pub fn median(&self) -> (FinanceTerms, FinanceDraws) {
        (self.terms.clone(), FinanceDraws::median(&self.terms))
    }

    /// A sampled run's terms and renewal choices: one draw per distribution in
    /// [`FinanceSpec::sampled`] order, then one uniform per renewal option (leases, then
    /// rentals), then one draw per [`FinanceSpec::sampled_terminal`] entry. A world with
    /// no distributions and no options draws nothing.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> (FinanceTerms, FinanceDraws) {
        let mut t = self.terms.clone();
        for &(slot, d) in &self.sampled {
            set(&mut t, slot, d.sample(rng));
        }
        let mut exercised = |r: &Renewal| {
            let u: Vec<f64> = (0..r.options).map(|_| rng.random()).collect();
            r.exercised(u)
        };
        let draws = FinanceDraws {
            lease_renewals: t.leases.iter().map(|l| exercised(&l.renewal)).collect(),
            rental_renewals: t.rentals.iter().map(|r| exercised(&r.renewal)).collect(),
        };
        for &(slot, d) in &self.sampled_terminal {
            set(&mut t, slot, d.sample(rng));
        }
        (t, draws)
    }
}

fn set(t: &mut FinanceTerms, slot: Slot, v: f64) {
    match slot {
        Slot::LeaseRate(i) => t.leases[i].usd_per_kw_month = v,
        Slot::LeaseEscalator(i) => t.leases[i].escalator_per_year = v,
        Slot::LeaseRenewal(i) => t.leases[i].renewal.probability = v.min(1.0),
        Slot::RentalRenewal(i) => t.rentals[i].renewal.probability = v.min(1.0),
        Slot::TrancheRate(i) => t.tranches[i].rate_per_year = v,
        Slot::FixedOpex => t.opex.fixed_usd_per_month = v,
        Slot::MiningOpex => t.opex.mining_usd_per_mw_month = v,
        Slot::LeasedOpex => t.opex.leased_gpu_usd_per_mw_month = v,
        Slot::RentedOpex => t.opex.rented_gpu_usd_per_mw_month = v,
        Slot::IdleOpex => t.opex.idle_usd_per_mw_month = v,
        Slot::ExitMultiple => {
            if let TerminalValue::ExitMultiple { ebitda_multiple } = &mut t.terminal {
                *ebitda_multiple = v;
            }
        }
        Slot::CapRate => {
            if let TerminalValue::GordonGrowth {
                cap_rate_per_year, ..
            } = &mut t.terminal
            {
                *cap_rate_per_year = v;
            }
        }
        Slot::TerminalGrowth => {
            if let TerminalValue::GordonGrowth {
                growth_per_year, ..
            } = &mut t.terminal
            {
                *growth_per_year = v;
            }
        }
    }
}
