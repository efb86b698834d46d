//! Terminal value at the horizon: what the site would sell for.

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
}
