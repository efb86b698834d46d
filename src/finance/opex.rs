//! Operating costs that scale with what the site does: fixed site costs, $/MW-month by
//! state (mining, leased GPU, rented GPU, idle/dark), pool fees, mining uptime, and
//! insurance and property tax on gross asset value.

use serde::{Deserialize, Serialize};

/// Opex terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpexTerms {
    /// Site costs whatever it does, USD per month.
    pub fixed_usd_per_month: f64,
    /// Per MW of energised ASIC IT, USD per MW-month.
    pub mining_usd_per_mw_month: f64,
    /// Per MW of leased GPU IT under contract, USD per MW-month.
    pub leased_gpu_usd_per_mw_month: f64,
    /// Per MW of rented (site-operated) GPU IT, USD per MW-month.
    pub rented_gpu_usd_per_mw_month: f64,
    /// Per MW of idle or dark IT capacity, USD per MW-month.
    pub idle_usd_per_mw_month: f64,
    /// Mining pool fee, share of mining revenue.
    pub pool_fee_share: f64,
    /// Share of time energised miners actually hash (scales mining revenue and its
    /// electricity).
    pub mining_uptime_share: f64,
    /// Insurance, share of gross asset value per year.
    pub insurance_share_per_year: f64,
    /// Property tax, share of gross asset value per year.
    pub property_tax_share_per_year: f64,
}

impl Default for OpexTerms {
    /// No opex at all, miners always up.
    fn default() -> Self {
        Self {
            fixed_usd_per_month: 0.0,
            mining_usd_per_mw_month: 0.0,
            leased_gpu_usd_per_mw_month: 0.0,
            rented_gpu_usd_per_mw_month: 0.0,
            idle_usd_per_mw_month: 0.0,
            pool_fee_share: 0.0,
            mining_uptime_share: 1.0,
            insurance_share_per_year: 0.0,
            property_tax_share_per_year: 0.0,
        }
    }
}

/// Average IT MW in each operating state over a month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StateMw {
    /// Energised ASICs.
    pub mining_mw: f64,
    /// Leased GPU halls under contract.
    pub leased_gpu_mw: f64,
    /// Rented GPU halls under contract.
    pub rented_gpu_mw: f64,
    /// Idle or dark capacity.
    pub idle_mw: f64,
}

/// One month of opex by kind, USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OpexMonth {
    /// Fixed site opex.
    pub fixed_usd: f64,
    /// Mining MW opex.
    pub mining_usd: f64,
    /// Leased GPU MW opex.
    pub leased_gpu_usd: f64,
    /// Rented GPU MW opex.
    pub rented_gpu_usd: f64,
    /// Idle/dark MW opex.
    pub idle_usd: f64,
    /// Insurance.
    pub insurance_usd: f64,
    /// Property tax.
    pub property_tax_usd: f64,
}

impl OpexMonth {
    /// Sum of every kind.
    pub fn total_usd(&self) -> f64 {
        self.fixed_usd
            + self.mining_usd
            + self.leased_gpu_usd
            + self.rented_gpu_usd
            + self.idle_usd
            + self.insurance_usd
            + self.property_tax_usd
    }
}

/// Opex of one month: fixed + Σ state MW × its rate + (insurance + property tax) ×
/// gross asset value / 12.
pub fn opex_month(o: &OpexTerms, mw: StateMw, gross_asset_usd: f64) -> OpexMonth {
    OpexMonth {
        fixed_usd: o.fixed_usd_per_month,
        mining_usd: mw.mining_mw * o.mining_usd_per_mw_month,
        leased_gpu_usd: mw.leased_gpu_mw * o.leased_gpu_usd_per_mw_month,
        rented_gpu_usd: mw.rented_gpu_mw * o.rented_gpu_usd_per_mw_month,
        idle_usd: mw.idle_mw * o.idle_usd_per_mw_month,
        insurance_usd: gross_asset_usd * o.insurance_share_per_year / 12.0,
        property_tax_usd: gross_asset_usd * o.property_tax_share_per_year / 12.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dark_site_pays_only_fixed_idle_and_asset_costs() {
        let o = OpexTerms {
            fixed_usd_per_month: 50_000.0,
            mining_usd_per_mw_month: 8_000.0,
            leased_gpu_usd_per_mw_month: 3_000.0,
            rented_gpu_usd_per_mw_month: 20_000.0,
            idle_usd_per_mw_month: 500.0,
            insurance_share_per_year: 0.006,
            property_tax_share_per_year: 0.012,
            ..OpexTerms::default()
        };
        let dark = opex_month(
            &o,
            StateMw {
                idle_mw: 100.0,
                ..StateMw::default()
            },
            12e6,
        );
        assert_eq!(dark.mining_usd, 0.0);
        assert!((dark.total_usd() - (50_000.0 + 50_000.0 + 6_000.0 + 12_000.0)).abs() < 1e-9);
        let busy = opex_month(
            &o,
            StateMw {
                mining_mw: 10.0,
                leased_gpu_mw: 20.0,
                rented_gpu_mw: 1.0,
                idle_mw: 0.0,
            },
            0.0,
        );
        assert!((busy.total_usd() - (50_000.0 + 80_000.0 + 60_000.0 + 20_000.0)).abs() < 1e-9);
    }
}
