//! The markets section: BTC price, network, subsidy and halvings, GPU lease and rental.

use super::{Checker, MAX_BTC_PRICE_USD, MAX_VOLATILITY, Rule};
use crate::calendar::{Calendar, Date, Day};
use crate::scenario::{PricePath, Rental};
use crate::world::Markets;

/// What the scenario needs from the markets beyond the file's own values.
pub(super) struct MarketParts {
    /// Halving days within the horizon, ascending.
    pub halving_days: Vec<Day>,
}

const M: &str = "markets";

pub(super) fn check(c: &mut Checker, m: &Markets, calendar: &Calendar) -> MarketParts {
    btc_price(c, &m.btc_price_usd, calendar);
    // 1 PH/s to 10 YH/s: from a toy network to ten thousand times today's.
    c.within(
        M,
        "network_hashrate_eh_s",
        m.network_hashrate_eh_s,
        1e-3,
        1e7,
    );
    let growth = m.network_growth_per_year;
    c.within(M, "network_growth_per_year", growth, -0.99, 10.0);
    let vol = m.network_growth_volatility_per_year;
    c.within(
        M,
        "network_growth_volatility_per_year",
        vol,
        0.0,
        MAX_VOLATILITY,
    );
    c.within(M, "block_subsidy_btc", m.block_subsidy_btc, 0.0, 50.0);
    c.within(M, "fees_btc_per_block", m.fees_btc_per_block, 0.0, 1000.0);
    let halving_days = halvings(c, &m.halvings, calendar);
    if let Some(l) = &m.gpu_lease {
        c.within(
            M,
            "gpu_lease.usd_per_kw_month",
            l.usd_per_kw_month,
            0.0,
            1e5,
        );
    }
    if let Some(r) = &m.gpu_rental {
        rental(c, r);
    }
    MarketParts { halving_days }
}

fn btc_price(c: &mut Checker, p: &PricePath, calendar: &Calendar) {
    match p {
        PricePath::Constant(p) => {
            if c.positive(M, "btc_price_usd", *p) {
                c.within(M, "btc_price_usd", *p, 0.0, MAX_BTC_PRICE_USD);
            }
        }
        PricePath::Monthly(v) => {
            c.monthly_values(M, "btc_price_usd", v, calendar, MAX_BTC_PRICE_USD);
        }
        PricePath::Gbm {
            start,
            drift_per_year,
            volatility_per_year,
        } => {
            if c.positive(M, "btc_price_usd start", *start) {
                c.within(M, "btc_price_usd start", *start, 0.0, MAX_BTC_PRICE_USD);
            }
            let (vol, drift) = (*volatility_per_year, *drift_per_year);
            let max = MAX_VOLATILITY;
            c.within(M, "btc_price_usd volatility_per_year", vol, 0.0, max);
            c.within(M, "btc_price_usd drift_per_year", drift, -max, max);
        }
    }
}

/// Halving days within the horizon, ascending; none listed twice.
fn halvings(c: &mut Checker, dates: &[String], calendar: &Calendar) -> Vec<Day> {
    let mut days = Vec::new();
    for h in dates {
        match Date::parse(h) {
            Ok(d) => {
                if let Some(day) = calendar.day_of(d).filter(|&day| day < calendar.end()) {
                    days.push(day);
                }
            }
            Err(e) => c.push(M, Rule::BadDate, format!("halvings: {e}")),
        }
    }
    days.sort_unstable();
    if let Some(w) = days.windows(2).find(|w| w[0] == w[1]) {
        c.push(
            M,
            Rule::DuplicateHalving,
            format!("halvings lists {} twice", calendar.date(w[0])),
        );
    }
    days
}

fn rental(c: &mut Checker, r: &Rental) {
    c.within(
        M,
        "gpu_rental.usd_per_gpu_hour",
        r.usd_per_gpu_hour,
        0.0,
        1e4,
    );
    let vol = r.volatility_per_year;
    c.within(
        M,
        "gpu_rental.volatility_per_year",
        vol,
        0.0,
        MAX_VOLATILITY,
    );
    if !(r.decline_per_year.is_finite() && r.decline_per_year < 1.0) {
        c.push(
            M,
            Rule::OutOfRange,
            "gpu_rental.decline_per_year must be < 1",
        );
    }
    for (name, u) in [
        ("utilisation_start", r.utilisation_start),
        ("utilisation_target", r.utilisation_target),
    ] {
        if !(0.0..=1.0).contains(&u) {
            c.push(
                M,
                Rule::OutOfRange,
                format!("gpu_rental.{name} must be in 0..=1, got {u}"),
            );
        }
    }
}
