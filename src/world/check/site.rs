//! The site section: calendar, discount rate, grid connection, opex and energy price.

use super::{
    Checker, MAX_ELECTRICITY_USD_PER_MWH, MAX_HORIZON_MONTHS, MAX_RATING_MW, MAX_USD, Rule,
};
use crate::calendar::{Calendar, YearMonth};
use crate::dist::{Dist, Quantity};
use crate::world::{Series, Site};

/// What the later sections and the scenario need from the site.
pub(super) struct SiteParts {
    /// The simulated months (one month from 2026-01 when the dates are broken, so the
    /// other sections can still be checked).
    pub calendar: Calendar,
    /// Electricity price per simulated month, USD/MWh.
    pub electricity_usd_per_mwh: Vec<f64>,
    /// Multiplier on that price, maybe uncertain.
    pub electricity_price_factor: Dist,
}

/// Largest power-price multiplier accepted: ten times the declared path.
pub const MAX_ELECTRICITY_PRICE_FACTOR: f64 = 10.0;

pub(super) fn check(c: &mut Checker, s: &Site) -> SiteParts {
    let start = YearMonth::parse(&s.start_month).unwrap_or_else(|e| {
        c.push("site", Rule::BadDate, format!("start_month: {e}"));
        YearMonth {
            year: 2026,
            month: 1,
        }
    });
    let horizon = if s.horizon_months == 0 || s.horizon_months > MAX_HORIZON_MONTHS {
        c.push(
            "site",
            Rule::OutOfRange,
            format!(
                "horizon_months must be 1..={MAX_HORIZON_MONTHS}, got {}",
                s.horizon_months
            ),
        );
        1
    } else {
        s.horizon_months
    };
    let rate = s.discount_rate_per_year;
    c.within("site", "discount_rate_per_year", rate, 0.0, 1.0);
    c.rating("site", "interconnect_mw", s.interconnect_mw, MAX_RATING_MW);
    if !(s.power_factor > 0.0 && s.power_factor <= 1.0) {
        c.push(
            "site",
            Rule::OutOfRange,
            format!("power_factor must be in (0, 1], got {}", s.power_factor),
        );
    }
    let opex = s.fixed_opex_usd_per_month;
    c.within("site", "fixed_opex_usd_per_month", opex, 0.0, MAX_USD);
    let calendar = Calendar::new(start, horizon);
    let price = &s.electricity_usd_per_mwh;
    let max = MAX_ELECTRICITY_USD_PER_MWH;
    c.monthly("site", "electricity_usd_per_mwh", price, &calendar, max);
    let factor = s.electricity_price_factor;
    let electricity_price_factor = match factor {
        Quantity::Value(v) => {
            c.within(
                "site",
                "electricity_price_factor",
                v,
                0.0,
                MAX_ELECTRICITY_PRICE_FACTOR,
            );
            Dist::Fixed(v)
        }
        q => c.dist(
            "site",
            "electricity_price_factor",
            q,
            MAX_ELECTRICITY_PRICE_FACTOR,
        ),
    };
    SiteParts {
        calendar,
        electricity_usd_per_mwh: per_month(price, horizon),
        electricity_price_factor,
    }
}

/// One value per simulated month (fewer when a series is too short, which is reported).
fn per_month(s: &Series, horizon: u32) -> Vec<f64> {
    match s {
        Series::Constant(v) => vec![*v; horizon as usize],
        Series::Monthly(v) => v.iter().copied().take(horizon as usize).collect(),
    }
}
