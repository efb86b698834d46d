//! Terminal value at the horizon: what the site would sell for. Contracted and other
//! non-mining EBITDA is capitalised by the world's method; an ASIC fleet still installed
//! is valued at its resale price instead (docs/model.md, "Terminal value and cash
//! flows"): a fleet's earnings are finite (machines age, halvings halve the subsidy),
//! and the used-ASIC market already prices what is left of them.

use super::capital::{AsicLot, SalvageCurve};
use serde::{Deserialize, Serialize};

/// How the site is valued at the horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum TerminalValue {
    /// No terminal value.
    #[default]
    None,
    /// Exit multiple × run-rate EBITDA.
    ExitMultiple {
        /// EV / EBITDA multiple.
        ebitda_multiple: f64,
    },
    /// Gordon growth: next year's EBITDA / cap rate, next year's EBITDA being run-rate
    /// EBITDA × (1 + growth).
    GordonGrowth {
        /// Cap rate, per year (= discount rate − growth).
        cap_rate_per_year: f64,
        /// Perpetual growth of EBITDA, per year.
        growth_per_year: f64,
    },
}

/// Run-rate EBITDA at the horizon, USD per year: the last 12 months of EBITDA with
/// revenue from contracts that end inside the horizon taken out (a buyer gets no rent
/// from a lease that has ended unless its renewal was assumed), annualised when the
/// horizon is shorter than a year.
pub fn run_rate_ebitda(ebitda_usd: &[f64], ended_contract_revenue_usd: &[f64]) -> f64 {
    let n = ebitda_usd.len();
    let from = n.saturating_sub(12);
    if n == 0 {
        return 0.0;
    }
    let e: f64 = ebitda_usd[from..].iter().sum();
    let gone: f64 = ended_contract_revenue_usd[from..].iter().sum();
    (e - gone) * 12.0 / (n - from) as f64
}

/// Mining EBITDA of one month, USD: mining revenue (after uptime) − pool fees − the
/// miners' electricity (after uptime) − mining opex. It is taken out of the EBITDA the
/// terminal method capitalises.
pub fn mining_ebitda_usd(
    revenue_usd: f64,
    pool_fees_usd: f64,
    energy_usd: f64,
    mining_opex_usd: f64,
) -> f64 {
    revenue_usd - pool_fees_usd - energy_usd - mining_opex_usd
}

/// What the ASICs still installed at the horizon would sell for in the last month, at
/// that month's hashprice and their age, USD.
pub fn fleet_resale_usd(
    lots: &[AsicLot],
    salvage: &[SalvageCurve],
    hashprice_usd_per_ph_day: f64,
) -> f64 {
    lots.iter()
        .map(|l| l.resale_usd(salvage, hashprice_usd_per_ph_day))
        .sum()
}

/// Terminal value of a run-rate EBITDA, USD; never negative (an owner can walk away
/// rather than pay to exit).
pub fn terminal_value(tv: &TerminalValue, run_rate_ebitda_usd: f64) -> f64 {
    let v = match *tv {
        TerminalValue::None => 0.0,
        TerminalValue::ExitMultiple { ebitda_multiple } => ebitda_multiple * run_rate_ebitda_usd,
        TerminalValue::GordonGrowth {
            cap_rate_per_year,
            growth_per_year,
        } if cap_rate_per_year > 0.0 => {
            run_rate_ebitda_usd * (1.0 + growth_per_year) / cap_rate_per_year
        }
        TerminalValue::GordonGrowth { .. } => 0.0,
    };
    v.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiple_and_gordon_growth() {
        let ebitda = vec![10.0; 24];
        let gone = vec![0.0; 24];
        assert_eq!(run_rate_ebitda(&ebitda, &gone), 120.0);
        let rr = run_rate_ebitda(&ebitda, &gone);
        assert_eq!(
            terminal_value(
                &TerminalValue::ExitMultiple {
                    ebitda_multiple: 12.0
                },
                rr
            ),
            1_440.0
        );
        let g = TerminalValue::GordonGrowth {
            cap_rate_per_year: 0.06,
            growth_per_year: 0.02,
        };
        assert!((terminal_value(&g, rr) - 120.0 * 1.02 / 0.06).abs() < 1e-9);
        assert_eq!(terminal_value(&TerminalValue::None, rr), 0.0);
        assert_eq!(
            terminal_value(
                &TerminalValue::ExitMultiple {
                    ebitda_multiple: 12.0
                },
                -5.0
            ),
            0.0
        );
    }

    #[test]
    fn an_ended_lease_does_not_count_and_short_horizons_annualise() {
        let ebitda = vec![10.0; 6];
        let mut gone = vec![0.0; 6];
        gone[5] = 4.0;
        assert_eq!(run_rate_ebitda(&ebitda, &gone), (60.0 - 4.0) * 2.0);
        assert_eq!(run_rate_ebitda(&[], &[]), 0.0);
    }

    #[test]
    fn a_fleet_is_worth_its_resale_and_mining_ebitda_nets_its_costs() {
        let curve = SalvageCurve {
            usd_per_th: 3.0,
            decline_per_year: 0.3,
            quoted_age_months: 12,
            hashprice_reference_usd_per_ph_day: Some(40.0),
        };
        let lot = AsicLot {
            model: 0,
            th: 1_000.0,
            age_months: 24,
        };
        // A year older than quoted, at half the reference hashprice.
        let v = fleet_resale_usd(&[lot, lot], &[curve], 20.0);
        assert!((v - 2.0 * 1_000.0 * 3.0 * 0.7 * 0.5).abs() < 1e-9);
        assert_eq!(fleet_resale_usd(&[], &[curve], 20.0), 0.0);
        assert_eq!(mining_ebitda_usd(100.0, 4.0, 50.0, 10.0), 36.0);
    }
}
