//! Debt tranches: sizing against named capex, draws as that capex is paid, interest-only
//! months then annuity or straight-line amortisation over a tenor, upfront fees, and the
//! trailing-12-month DSCR covenant.

use serde::{Deserialize, Serialize};

/// How big a tranche is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Sizing {
    /// A fixed commitment, USD (capped at the named capex).
    AmountUsd(f64),
    /// A share of the named capex (loan-to-cost), 0..=1.
    LoanToCost(f64),
}

/// How principal is repaid after the interest-only months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Amortisation {
    /// Level payments (interest + principal) over the remaining months.
    Annuity,
    /// Equal principal over the remaining months.
    StraightLine,
}

/// One debt tranche.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tranche {
    /// Name, for covenant events.
    pub name: String,
    /// Size.
    pub sizing: Sizing,
    /// Capex line items it funds (input item names).
    pub against: Vec<String>,
    /// Interest rate, nominal per year, compounded monthly (rate / 12 a month).
    pub rate_per_year: f64,
    /// Interest-only months after the first draw.
    pub interest_only_months: u32,
    /// Months from the first draw to the last repayment.
    pub tenor_months: u32,
    /// Repayment profile.
    pub amortisation: Amortisation,
    /// Upfront fee, share of the commitment, paid with the first draw.
    pub upfront_fee_share: f64,
    /// Minimum trailing-12-month DSCR; `None` = no covenant.
    pub min_dscr: Option<f64>,
}

/// One month of one tranche, USD.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrancheMonth {
    /// Drawn at month end.
    pub draw_usd: f64,
    /// Interest on the opening balance.
    pub interest_usd: f64,
    /// Scheduled principal repaid.
    pub principal_usd: f64,
    /// Fees paid.
    pub fee_usd: f64,
    /// Balance at month end.
    pub balance_usd: f64,
}

/// Level payment that repays `balance` in `n` months at monthly rate `i`:
/// `B·i / (1 − (1 + i)^−n)`, or `B / n` at `i = 0`.
pub fn annuity_payment(balance: f64, i: f64, n: u32) -> f64 {
    if n == 0 {
        return balance;
    }
    if i == 0.0 {
        return balance / f64::from(n);
    }
    balance * i / (1.0 - (1.0 + i).powi(-(n as i32)))
}

/// Share of each named-capex dollar the tranche draws: the LTC, or the amount over the
/// named total (at most 1).
pub fn draw_share(t: &Tranche, named_total_usd: f64) -> f64 {
    match t.sizing {
        Sizing::LoanToCost(ltc) => ltc,
        Sizing::AmountUsd(_) if named_total_usd <= 0.0 => 0.0,
        Sizing::AmountUsd(a) => (a / named_total_usd).min(1.0),
    }
}

/// The tranche's months, given the named capex paid each month and its total cost.
///
/// Draw `s` (first draw) sets the clock: month `s + k` for `1 ≤ k ≤ io` pays interest
/// only; for `io < k ≤ tenor` it repays principal over the `tenor − k + 1` months left
/// (annuity: level payment on the opening balance; straight-line: balance / months
/// left), so the balance is 0 after month `s + tenor`. Draws stop at month `s + tenor`
/// (later capex is equity's). A draw during amortisation is repaid over the months left.
pub fn schedule(t: &Tranche, named_paid_usd: &[f64], named_total_usd: f64) -> Vec<TrancheMonth> {
    let share = draw_share(t, named_total_usd);
    let commitment = share * named_total_usd;
    let i = t.rate_per_year / 12.0;
    let mut out = Vec::with_capacity(named_paid_usd.len());
    let (mut balance, mut start, mut drawn) = (0.0_f64, None::<usize>, 0.0_f64);
    for (m, &paid) in named_paid_usd.iter().enumerate() {
        let mut row = TrancheMonth {
            interest_usd: balance * i,
            ..TrancheMonth::default()
        };
        if let Some(s) = start {
            let k = (m - s) as u32;
            if k > t.interest_only_months && k <= t.tenor_months {
                let left = t.tenor_months - k + 1;
                row.principal_usd = match t.amortisation {
                    Amortisation::Annuity => annuity_payment(balance, i, left) - row.interest_usd,
                    Amortisation::StraightLine => balance / f64::from(left),
                }
                .max(0.0)
                .min(balance);
                if k == t.tenor_months {
                    row.principal_usd = balance;
                }
            }
        }
        let may_draw = start.is_none_or(|s| ((m - s) as u32) < t.tenor_months);
        let draw = if may_draw {
            (share * paid).min(commitment - drawn).max(0.0)
        } else {
            0.0
        };
        if draw > 0.0 && start.is_none() {
            start = Some(m);
            row.fee_usd = t.upfront_fee_share * commitment;
        }
        drawn += draw;
        row.draw_usd = draw;
        balance = (balance - row.principal_usd + draw).max(0.0);
        row.balance_usd = balance;
        out.push(row);
    }
    out
}

/// Trailing-12-month DSCR in each month: `Σ CFADS / Σ (interest + scheduled
/// principal)` over the month and the 11 before it; `None` while no debt service falls
/// in that window.
pub fn trailing_dscr(cfads_usd: &[f64], debt_service_usd: &[f64]) -> Vec<Option<f64>> {
    (0..cfads_usd.len())
        .map(|m| {
            let from = m.saturating_sub(11);
            let ds: f64 = debt_service_usd[from..=m].iter().sum();
            let cf: f64 = cfads_usd[from..=m].iter().sum();
            (ds > 0.0).then(|| cf / ds)
        })
        .collect()
}

/// A month whose DSCR fell below a tranche's covenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovenantBreach {
    /// Month index.
    pub month: usize,
    /// Tranche name.
    pub tranche: String,
    /// Trailing-12 DSCR that month.
    pub dscr: f64,
    /// The covenant level.
    pub min_dscr: f64,
}

/// Breaches of `t`'s covenant: every month from its first scheduled principal repayment
/// to its last (the covenant is tested once amortisation starts, so a late project meets
/// its first test with whatever cash it has) whose DSCR is below the minimum.
pub fn breaches(t: &Tranche, rows: &[TrancheMonth], dscr: &[Option<f64>]) -> Vec<CovenantBreach> {
    let Some(min) = t.min_dscr else {
        return Vec::new();
    };
    let Some(first) = rows.iter().position(|r| r.principal_usd > 0.0) else {
        return Vec::new();
    };
    let last = rows
        .iter()
        .rposition(|r| r.principal_usd > 0.0)
        .unwrap_or(first);
    (first..=last)
        .filter_map(|m| match dscr[m] {
            Some(d) if d < min => Some(CovenantBreach {
                month: m,
                tranche: t.name.clone(),
                dscr: d,
                min_dscr: min,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tranche(io: u32, tenor: u32, amortisation: Amortisation) -> Tranche {
        Tranche {
            name: "senior".into(),
            sizing: Sizing::LoanToCost(0.8),
            against: vec!["hall".into()],
            rate_per_year: 0.075,
            interest_only_months: io,
            tenor_months: tenor,
            amortisation,
            upfront_fee_share: 0.01,
            min_dscr: Some(1.3),
        }
    }

    #[test]
    fn a_level_annuity_loan_matches_its_closed_form() {
        // 1,000,000 capex at 100 % LTC, 6 %/yr, 120 monthly payments.
        let mut t = tranche(0, 120, Amortisation::Annuity);
        t.sizing = Sizing::LoanToCost(1.0);
        t.rate_per_year = 0.06;
        let mut paid = vec![0.0; 130];
        paid[0] = 1_000_000.0;
        let rows = schedule(&t, &paid, 1_000_000.0);
        let i: f64 = 0.005;
        let payment = 1_000_000.0 * i / (1.0 - (1.0 + i).powi(-120));
        assert!((payment - 11_102.050_194_164_5).abs() < 1e-6, "{payment}");
        for (k, r) in rows.iter().enumerate().take(121).skip(1) {
            assert!(
                (r.interest_usd + r.principal_usd - payment).abs() < 1e-6,
                "month {k}"
            );
            let grown = (1.0 + i).powi(k as i32);
            let closed = 1_000_000.0 * grown - payment * (grown - 1.0) / i;
            assert!((r.balance_usd - closed.max(0.0)).abs() < 1e-5, "month {k}");
        }
        assert_eq!(rows[120].balance_usd, 0.0);
        assert_eq!(rows[0].fee_usd, 0.01 * 1_000_000.0);
        assert!(
            rows[121..]
                .iter()
                .all(|r| r.interest_usd == 0.0 && r.principal_usd == 0.0)
        );
    }

    #[test]
    fn straight_line_repays_equal_principal_after_interest_only() {
        let t = tranche(6, 18, Amortisation::StraightLine);
        let mut paid = vec![0.0; 24];
        paid[0] = 1_200_000.0;
        let rows = schedule(&t, &paid, 1_200_000.0);
        assert_eq!(rows[0].balance_usd, 960_000.0);
        assert!(rows[1..=6].iter().all(|r| r.principal_usd == 0.0));
        assert!((rows[1].interest_usd - 960_000.0 * 0.075 / 12.0).abs() < 1e-9);
        for r in &rows[7..=18] {
            assert!((r.principal_usd - 80_000.0).abs() < 1e-6);
        }
        assert_eq!(rows[18].balance_usd, 0.0);
    }

    #[test]
    fn an_amount_is_drawn_pro_rata_and_capped() {
        let mut t = tranche(0, 24, Amortisation::Annuity);
        t.sizing = Sizing::AmountUsd(300.0);
        let rows = schedule(&t, &[400.0, 600.0, 0.0], 1_000.0);
        assert_eq!((rows[0].draw_usd, rows[1].draw_usd), (120.0, 180.0));
        assert_eq!(draw_share(&t, 100.0), 1.0);
    }

    #[test]
    fn a_covenant_breaches_when_cfads_is_cut() {
        let t = tranche(0, 24, Amortisation::Annuity);
        let mut paid = vec![0.0; 30];
        paid[0] = 1_000_000.0;
        let rows = schedule(&t, &paid, 1_000_000.0);
        let service: Vec<f64> = rows
            .iter()
            .map(|r| r.interest_usd + r.principal_usd)
            .collect();
        let payment = service[1];
        let healthy = vec![1.5 * payment; 30];
        assert!(breaches(&t, &rows, &trailing_dscr(&healthy, &service)).is_empty());
        // CFADS halves from month 10: trailing DSCR sinks below 1.3 within a few months.
        let mut cut = healthy.clone();
        cut[10..].iter_mut().for_each(|c| *c *= 0.5);
        let dscr = trailing_dscr(&cut, &service);
        let b = breaches(&t, &rows, &dscr);
        // For 12 ≤ m ≤ 20 the window holds 21 − m months at 1.5 and m − 9 at 0.75, all
        // with one payment of service: DSCR = (1.5·(21 − m) + 0.75·(m − 9)) / 12, which is
        // 1.3125 at m = 12 and 1.25 at m = 13.
        assert_eq!(b.first().map(|b| b.month), Some(13));
        assert!(b.iter().all(|b| b.dscr < 1.3 && b.month <= 24));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The balance is never negative and is 0 once the tenor has run.
        #[test]
        fn balance_never_negative_and_zero_at_tenor(
            paid in proptest::collection::vec(0.0f64..5e6, 1..60),
            io in 0u32..24, extra in 1u32..120, rate in 0.0f64..0.3,
            straight in any::<bool>(), ltc in 0.0f64..1.0,
        ) {
            let mut t = tranche(io, io + extra, if straight { Amortisation::StraightLine } else { Amortisation::Annuity });
            t.rate_per_year = rate;
            t.sizing = Sizing::LoanToCost(ltc);
            let mut named = paid.clone();
            named.resize(paid.len() + (io + extra) as usize + 2, 0.0);
            let total: f64 = paid.iter().sum();
            let rows = schedule(&t, &named, total);
            prop_assert!(rows.iter().all(|r| r.balance_usd >= 0.0 && r.principal_usd >= 0.0));
            if let Some(s) = rows.iter().position(|r| r.draw_usd > 0.0) {
                prop_assert_eq!(rows[s + (io + extra) as usize].balance_usd, 0.0);
            }
            let drawn: f64 = rows.iter().map(|r| r.draw_usd).sum();
            let repaid: f64 = rows.iter().map(|r| r.principal_usd).sum();
            prop_assert!((drawn - repaid).abs() <= 1e-6 * drawn.max(1.0));
        }
    }
}
