//! Depreciation (straight-line or MACRS) and corporate income tax with loss
//! carry-forward, paid monthly or annually.

use super::Timeline;
use super::capital::{AssetClass, CapexEvent};
use serde::{Deserialize, Serialize};

/// Depreciation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Equal monthly amounts over the life, from the month placed in service.
    StraightLine,
    /// MACRS general depreciation system, half-year convention: IRS Publication 946,
    /// Appendix A, Table A-1 (3-, 5-, 7-, 10-, 15- and 20-year property). Other lives
    /// fall back to straight-line.
    MacrsHalfYear,
}

/// How one asset class is depreciated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Depreciation {
    /// Useful (or recovery) life, years.
    pub life_years: u32,
    /// Method.
    pub method: Method,
    /// Share of cost expensed in the month placed in service (bonus depreciation),
    /// 0..=1; the rest follows the method.
    pub bonus_share: f64,
}

/// When tax is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxPayment {
    /// Each month on that month's taxable income.
    Monthly,
    /// In December (or the horizon's last month) on the tax year's income.
    Annually,
}

/// Tax terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TaxTerms {
    /// Corporate income tax rate, 0..1.
    pub rate: f64,
    /// When it is paid.
    pub payment: TaxPayment,
    /// Share of a period's taxable income that carried-forward losses may offset (US
    /// federal: 80 % for losses from 2018 on, IRC §172(a)(2)).
    pub loss_offset_limit_share: f64,
    /// Depreciation per asset class, in [`AssetClass::ALL`] order.
    pub classes: [Depreciation; 5],
}

impl Default for TaxTerms {
    /// No tax; every class straight-line over 5 years.
    fn default() -> Self {
        let sl5 = Depreciation {
            life_years: 5,
            method: Method::StraightLine,
            bonus_share: 0.0,
        };
        Self {
            rate: 0.0,
            payment: TaxPayment::Annually,
            loss_offset_limit_share: 1.0,
            classes: [sl5; 5],
        }
    }
}

impl TaxTerms {
    /// Depreciation terms of a class.
    pub fn class(&self, c: AssetClass) -> &Depreciation {
        &self.classes[c.index()]
    }
}

/// MACRS half-year-convention percentages by recovery year (IRS Publication 946,
/// Appendix A, Table A-1); `None` for other lives.
pub fn macrs_half_year_percent(life_years: u32) -> Option<&'static [f64]> {
    Some(match life_years {
        3 => &[33.33, 44.45, 14.81, 7.41],
        5 => &[20.00, 32.00, 19.20, 11.52, 11.52, 5.76],
        7 => &[14.29, 24.49, 17.49, 12.49, 8.93, 8.92, 8.93, 4.46],
        10 => &[
            10.00, 18.00, 14.40, 11.52, 9.22, 7.37, 6.55, 6.55, 6.56, 6.55, 3.28,
        ],
        15 => &[
            5.00, 9.50, 8.55, 7.70, 6.93, 6.23, 5.90, 5.90, 5.91, 5.90, 5.91, 5.90, 5.91, 5.90,
            5.91, 2.95,
        ],
        20 => &[
            3.750, 7.219, 6.677, 6.177, 5.713, 5.285, 4.888, 4.522, 4.462, 4.461, 4.462, 4.461,
            4.462, 4.461, 4.462, 4.461, 4.462, 4.461, 4.462, 4.461, 2.231,
        ],
        _ => return None,
    })
}

/// Depreciation of one asset placed in service in month `s` (calendar month of year
/// `moy_s`, 1..=12), in month `m ≥ s`, as a share of its cost.
///
/// Straight-line: `(1 − bonus) / (12 · life)` for `12 · life` months. MACRS: the table's
/// year-`k` share, spread evenly over the months of tax year `k` (the rest of the
/// calendar year for `k = 0`, twelve months after). Bonus: `bonus` in month `s`.
pub fn share_in(d: &Depreciation, s: usize, moy_s: u32, m: usize) -> f64 {
    if m < s {
        return 0.0;
    }
    let bonus = if m == s { d.bonus_share } else { 0.0 };
    let rest = 1.0 - d.bonus_share;
    let age = m - s;
    let table = match d.method {
        Method::MacrsHalfYear => macrs_half_year_percent(d.life_years),
        Method::StraightLine => None,
    };
    let regular = match table {
        None => {
            let months = (d.life_years as usize * 12).max(1);
            if age < months {
                rest / months as f64
            } else {
                0.0
            }
        }
        Some(pct) => {
            let first_year_months = 13 - moy_s.clamp(1, 12) as usize;
            let (year, months_in_year) = if age < first_year_months {
                (0, first_year_months)
            } else {
                ((age - first_year_months) / 12 + 1, 12)
            };
            pct.get(year)
                .map_or(0.0, |p| rest * p / 100.0 / months_in_year as f64)
        }
    };
    bonus + regular
}

/// Depreciation per month of every capex item, each from the month it is placed in
/// service ([`CapexEvent::in_service_day`]).
pub fn depreciation(events: &[CapexEvent], t: &TaxTerms, tl: &Timeline) -> Vec<f64> {
    let mut out = vec![0.0; tl.len()];
    for e in events {
        let Some(s) = tl.month_of_day(e.in_service_day()) else {
            continue;
        };
        let d = t.class(e.class);
        for (m, v) in out.iter_mut().enumerate().skip(s) {
            *v += e.cost_usd * share_in(d, s, tl.month_of_year(s), m);
        }
    }
    out
}

/// One month of tax.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TaxMonth {
    /// Taxable income before losses, USD.
    pub taxable_income_usd: f64,
    /// Tax paid, USD.
    pub tax_usd: f64,
    /// Losses carried forward at month end, USD.
    pub loss_pool_usd: f64,
}

/// Tax on a period's income `ti` with losses `pool` carried in: a loss adds to the
/// pool; a profit is offset by the pool up to `limit × ti`, the rest taxed at `rate`.
fn settle(ti: f64, pool: &mut f64, rate: f64, limit: f64) -> f64 {
    if ti <= 0.0 {
        *pool -= ti;
        return 0.0;
    }
    let used = pool.min(limit * ti);
    *pool -= used;
    rate * (ti - used)
}

/// Tax each month on `taxable_usd` (monthly), or on each tax year's total in its
/// December or the horizon's last month (annually). `month_of_year[m]` is 1..=12.
pub fn tax_schedule(t: &TaxTerms, taxable_usd: &[f64], month_of_year: &[u32]) -> Vec<TaxMonth> {
    let (mut pool, mut year_income) = (0.0_f64, 0.0_f64);
    let last = taxable_usd.len().saturating_sub(1);
    taxable_usd
        .iter()
        .enumerate()
        .map(|(m, &ti)| {
            let tax = match t.payment {
                TaxPayment::Monthly => settle(ti, &mut pool, t.rate, t.loss_offset_limit_share),
                TaxPayment::Annually => {
                    year_income += ti;
                    if month_of_year[m] == 12 || m == last {
                        let y = std::mem::take(&mut year_income);
                        settle(y, &mut pool, t.rate, t.loss_offset_limit_share)
                    } else {
                        0.0
                    }
                }
            };
            TaxMonth {
                taxable_income_usd: ti,
                tax_usd: tax,
                loss_pool_usd: pool,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::Timeline;

    fn event(cost: f64, day: u32, class: AssetClass) -> CapexEvent {
        CapexEvent {
            item: "x".into(),
            class,
            cost_usd: cost,
            ordered_day: day,
            delivered_day: None,
            installed_day: None,
        }
    }

    #[test]
    fn straight_line_depreciation_sums_to_cost() {
        let tl = Timeline::uniform(200, 30);
        let mut terms = TaxTerms::default();
        terms.classes[AssetClass::GpuServers.index()].life_years = 6;
        let d = depreciation(
            &[event(7_200_000.0, 95, AssetClass::GpuServers)],
            &terms,
            &tl,
        );
        assert_eq!(d[2], 0.0);
        assert!((d[3] - 100_000.0).abs() < 1e-6);
        assert!((d[74] - 100_000.0).abs() < 1e-6 && d[75] == 0.0);
        assert!((d.iter().sum::<f64>() - 7_200_000.0).abs() < 1e-6);
    }

    #[test]
    fn macrs_tables_sum_to_cost_and_follow_the_tax_year() {
        for life in [3, 5, 7, 10, 15, 20] {
            let sum: f64 = macrs_half_year_percent(life).unwrap().iter().sum();
            assert!(
                (sum - 100.0).abs() < 1e-9,
                "{life}-year table sums to {sum}"
            );
        }
        let d = Depreciation {
            life_years: 5,
            method: Method::MacrsHalfYear,
            bonus_share: 0.0,
        };
        // Placed in service in October: 20 % over Oct–Dec, then 32 % over the next year.
        assert!((share_in(&d, 0, 10, 0) - 0.20 / 3.0).abs() < 1e-12);
        assert!((share_in(&d, 0, 10, 3) - 0.32 / 12.0).abs() < 1e-12);
        let total: f64 = (0..100).map(|m| share_in(&d, 0, 10, m)).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let bonus = Depreciation {
            bonus_share: 1.0,
            ..d
        };
        assert_eq!(share_in(&bonus, 4, 1, 4), 1.0);
        assert_eq!(share_in(&bonus, 4, 1, 5), 0.0);
    }

    #[test]
    fn losses_carry_forward_with_the_offset_limit() {
        let terms = TaxTerms {
            rate: 0.21,
            payment: TaxPayment::Monthly,
            loss_offset_limit_share: 0.8,
            ..TaxTerms::default()
        };
        let t = tax_schedule(&terms, &[-100.0, 50.0, 100.0], &[1, 2, 3]);
        // Month 1: 50 of income, 40 offset (80 %), 10 taxed. Month 2: 60 of pool left,
        // 80 may be offset, so 60 is; 40 taxed.
        assert_eq!(t[0].tax_usd, 0.0);
        assert!((t[1].tax_usd - 0.21 * 10.0).abs() < 1e-12);
        assert!((t[2].tax_usd - 0.21 * 40.0).abs() < 1e-12);
        assert_eq!(t[2].loss_pool_usd, 0.0);
    }

    #[test]
    fn annual_tax_is_paid_in_december_on_the_year() {
        let terms = TaxTerms {
            rate: 0.25,
            payment: TaxPayment::Annually,
            ..TaxTerms::default()
        };
        let moy = [11, 12, 1, 2];
        let t = tax_schedule(&terms, &[30.0, -10.0, 40.0, 40.0], &moy);
        assert_eq!(t[0].tax_usd, 0.0);
        assert_eq!(t[1].tax_usd, 5.0);
        assert_eq!(t[2].tax_usd, 0.0);
        assert_eq!(t[3].tax_usd, 20.0);
    }
}
