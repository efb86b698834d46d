//! Power prices with shape: a period's hourly prices as a price-duration curve, and what
//! a flexible load pays and earns when it runs only in the hours it can afford.
//!
//! A flexible load (an ASIC fleet) earning `r` USD per MWh it draws runs in every hour
//! whose price is at most `r` and switches off in the others. Energy cost and revenue are
//! integrated over the hours run. Sorting the hours once and keeping prefix sums of hours
//! and of price × hours turns that integral into one binary search per threshold, instead
//! of a walk over 8,760 hours; `tests` prove the two agree.

pub mod file;
pub mod flexibility;
pub mod month;
pub mod schema;

pub use file::{PriceFileError, load_hourly, parse_hourly};

use std::fmt;

/// The shipped ERCOT-derived duration curve for a year (source and assumptions in the file).
pub const ERCOT_2024_CSV: &str = include_str!("../assets/data/ercot-duration-2024.csv");

/// Largest |price| accepted, USD/MWh: twice ERCOT's $5,000 offer cap (16 TAC §25.509).
pub const MAX_ABS_PRICE_USD_PER_MWH: f64 = 10_000.0;

/// Why a curve cannot be built.
#[derive(Debug, Clone, PartialEq)]
pub enum ShapeError {
    /// No hours at all.
    Empty,
    /// A price is not finite or beyond ±[`MAX_ABS_PRICE_USD_PER_MWH`] (index, value).
    BadPrice(usize, f64),
    /// A level's hours are negative or not finite (index, value).
    BadHours(usize, f64),
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Empty => write!(f, "a price curve needs at least one hour"),
            ShapeError::BadPrice(i, p) => write!(
                f,
                "price {i} is {p} USD/MWh; expected a number within ±{MAX_ABS_PRICE_USD_PER_MWH}"
            ),
            ShapeError::BadHours(i, h) => {
                write!(f, "level {i} lasts {h} hours; expected a positive number")
            }
        }
    }
}

impl std::error::Error for ShapeError {}

/// A price-duration curve: price levels in ascending order with the hours spent at each,
/// and prefix sums of hours and of price × hours.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceDurationCurve {
    prices: Vec<f64>,
    hours: Vec<f64>,
    /// `cum_hours[i]` = hours at the `i` cheapest levels (`len + 1` entries).
    cum_hours: Vec<f64>,
    /// `cum_cost[i]` = Σ price × hours over the `i` cheapest levels, USD per MW.
    cum_cost: Vec<f64>,
}

/// What a load of 1 MW does over a curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dispatch {
    /// Hours run.
    pub hours_run: f64,
    /// Energy cost over the hours run, USD per MW.
    pub cost_usd_per_mw: f64,
}

impl Dispatch {
    /// Average price paid over the hours run, USD/MWh (0 when nothing ran).
    pub fn mean_price_paid_usd_per_mwh(&self) -> f64 {
        if self.hours_run > 0.0 {
            self.cost_usd_per_mw / self.hours_run
        } else {
            0.0
        }
    }
}

impl PriceDurationCurve {
    /// A curve from `(price USD/MWh, hours)` levels in any order; zero-hour levels are
    /// dropped.
    pub fn from_levels(levels: &[(f64, f64)]) -> Result<Self, ShapeError> {
        for (i, &(p, h)) in levels.iter().enumerate() {
            if !(p.is_finite() && p.abs() <= MAX_ABS_PRICE_USD_PER_MWH) {
                return Err(ShapeError::BadPrice(i, p));
            }
            if !(h.is_finite() && h >= 0.0) {
                return Err(ShapeError::BadHours(i, h));
            }
        }
        let mut sorted: Vec<(f64, f64)> = levels.iter().copied().filter(|l| l.1 > 0.0).collect();
        if sorted.is_empty() {
            return Err(ShapeError::Empty);
        }
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (prices, hours): (Vec<f64>, Vec<f64>) = sorted.into_iter().unzip();
        let mut cum_hours = Vec::with_capacity(prices.len() + 1);
        let mut cum_cost = Vec::with_capacity(prices.len() + 1);
        let (mut h_acc, mut c_acc) = (0.0, 0.0);
        cum_hours.push(0.0);
        cum_cost.push(0.0);
        for (p, h) in prices.iter().zip(&hours) {
            h_acc += h;
            c_acc += p * h;
            cum_hours.push(h_acc);
            cum_cost.push(c_acc);
        }
        Ok(Self {
            prices,
            hours,
            cum_hours,
            cum_cost,
        })
    }

    /// A curve from hourly prices in time order (each hour weighs one hour).
    pub fn from_hourly(prices: &[f64]) -> Result<Self, ShapeError> {
        let levels: Vec<(f64, f64)> = prices.iter().map(|&p| (p, 1.0)).collect();
        Self::from_levels(&levels)
    }

    /// The shipped ERCOT-derived curve for a year of 8,760 hours.
    pub fn ercot_2024() -> Result<Self, String> {
        let levels = file::parse_levels(ERCOT_2024_CSV, "ercot-duration-2024.csv")
            .map_err(|e| e.to_string())?;
        Self::from_levels(&levels).map_err(|e| format!("ercot-duration-2024.csv: {e}"))
    }

    /// The same shape stretched to `hours` in total (e.g. a year's curve for one month).
    pub fn scaled_to_hours(&self, hours: f64) -> Self {
        let k = hours / self.total_hours();
        let levels: Vec<(f64, f64)> = self
            .prices
            .iter()
            .zip(&self.hours)
            .map(|(&p, &h)| (p, h * k))
            .collect();
        // The levels came from a valid curve and k > 0, so this cannot fail; fall back to
        // the unscaled curve rather than panic if `hours` was not positive.
        Self::from_levels(&levels).unwrap_or_else(|_| self.clone())
    }

    /// Hours in the curve.
    pub fn total_hours(&self) -> f64 {
        self.cum_hours.last().copied().unwrap_or(0.0)
    }

    /// Time-weighted mean price, USD/MWh.
    pub fn mean_price_usd_per_mwh(&self) -> f64 {
        self.cum_cost.last().copied().unwrap_or(0.0) / self.total_hours()
    }

    /// Price levels (ascending) with their hours.
    pub fn levels(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.prices.iter().copied().zip(self.hours.iter().copied())
    }

    /// Number of levels at or below `price`: one binary search.
    fn count_at_or_below(&self, price: f64) -> usize {
        self.prices.partition_point(|&p| p <= price)
    }

    /// A load that runs only in hours priced at or below `threshold_usd_per_mwh`.
    pub fn run_at_or_below(&self, threshold_usd_per_mwh: f64) -> Dispatch {
        let k = self.count_at_or_below(threshold_usd_per_mwh);
        Dispatch {
            hours_run: self.cum_hours[k],
            cost_usd_per_mw: self.cum_cost[k],
        }
    }

    /// Hours priced above `price_usd_per_mwh` (e.g. spike hours above $1,000/MWh).
    pub fn hours_above(&self, price_usd_per_mwh: f64) -> f64 {
        self.total_hours() - self.run_at_or_below(price_usd_per_mwh).hours_run
    }

    /// Σ price × hours over the `x` cheapest hours (the area under the sorted curve from 0
    /// to `x`), USD per MW; `x` is clamped to the curve.
    pub fn cost_of_cheapest_hours(&self, x: f64) -> f64 {
        let x = x.clamp(0.0, self.total_hours());
        // Levels wholly inside the first x hours, then part of the next one.
        let i = self
            .cum_hours
            .partition_point(|&h| h <= x)
            .saturating_sub(1);
        let whole = self.cum_cost[i];
        match self.prices.get(i) {
            Some(p) => whole + (x - self.cum_hours[i]) * p,
            None => whole,
        }
    }
}

/// What a load does in one period over a curve.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoadMonth {
    /// Energy drawn, MWh.
    pub mwh_run: f64,
    /// Energy not drawn because the load was off, MWh.
    pub mwh_curtailed: f64,
    /// Energy cost, USD.
    pub energy_cost_usd: f64,
    /// Revenue earned while running, USD.
    pub revenue_usd: f64,
}

impl LoadMonth {
    /// Average price paid, USD/MWh (0 when nothing ran).
    pub fn mean_price_paid_usd_per_mwh(&self) -> f64 {
        if self.mwh_run > 0.0 {
            self.energy_cost_usd / self.mwh_run
        } else {
            0.0
        }
    }
}

/// A flexible load of `mw` (facility power) earning `revenue_usd_per_mwh` per MWh drawn:
/// it runs in the hours priced at or below its revenue and is off in the others.
pub fn flexible_month(curve: &PriceDurationCurve, mw: f64, revenue_usd_per_mwh: f64) -> LoadMonth {
    let d = curve.run_at_or_below(revenue_usd_per_mwh);
    LoadMonth {
        mwh_run: mw * d.hours_run,
        mwh_curtailed: mw * (curve.total_hours() - d.hours_run),
        energy_cost_usd: mw * d.cost_usd_per_mw,
        revenue_usd: mw * d.hours_run * revenue_usd_per_mwh,
    }
}

/// A firm load of `mw` (a GPU hall under an SLA): it runs every hour whatever the price.
pub fn firm_month(curve: &PriceDurationCurve, mw: f64, revenue_usd_per_mwh: f64) -> LoadMonth {
    let hours = curve.total_hours();
    LoadMonth {
        mwh_run: mw * hours,
        mwh_curtailed: 0.0,
        energy_cost_usd: mw * curve.cost_of_cheapest_hours(hours),
        revenue_usd: mw * hours * revenue_usd_per_mwh,
    }
}

/// Mining revenue per MWh of facility power: hashprice (USD per PH/s per day) over the
/// energy one PH/s draws in a day (24 h × e kW × PUE), net of the pool fee.
pub fn mining_revenue_usd_per_mwh(
    hashprice_usd_per_ph_day: f64,
    efficiency_j_per_th: f64,
    pue: f64,
    pool_fee: f64,
) -> f64 {
    let mwh_per_ph_day = 24.0 * efficiency_j_per_th * pue / 1000.0;
    hashprice_usd_per_ph_day * (1.0 - pool_fee) / mwh_per_ph_day
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, hour by hour: what the sorted curve must reproduce.
    fn brute_force(hourly: &[f64], mw: f64, r: f64) -> LoadMonth {
        let mut out = LoadMonth::default();
        for &p in hourly {
            if p <= r {
                out.mwh_run += mw;
                out.energy_cost_usd += mw * p;
                out.revenue_usd += mw * r;
            } else {
                out.mwh_curtailed += mw;
            }
        }
        out
    }

    fn close(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-9 * scale.max(1.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn sorted_curve_equals_a_brute_force_hourly_loop(
            hourly in proptest::collection::vec(-250.0f64..5_000.0, 1..800),
            r in -300.0f64..5_200.0,
            pick in 0usize..800,
            mw in 0.0f64..500.0,
        ) {
            // Thresholds exactly on a price matter most (ties run): test them too.
            let r = if pick % 3 == 0 { hourly[pick % hourly.len()] } else { r };
            let curve = PriceDurationCurve::from_hourly(&hourly).unwrap();
            let fast = flexible_month(&curve, mw, r);
            let slow = brute_force(&hourly, mw, r);
            let scale = mw * hourly.iter().map(|p| p.abs()).sum::<f64>() + mw * r.abs() * hourly.len() as f64;
            // Hours are whole numbers, so the hours run agree exactly.
            let hours = hourly.iter().filter(|&&p| p <= r).count() as f64;
            prop_assert_eq!(curve.run_at_or_below(r).hours_run, hours);
            prop_assert_eq!(curve.hours_above(r), hourly.len() as f64 - hours);
            let mwh = mw * hourly.len() as f64;
            prop_assert!(close(fast.mwh_run, slow.mwh_run, mwh));
            prop_assert!(close(fast.mwh_curtailed, slow.mwh_curtailed, mwh));
            prop_assert!(close(fast.energy_cost_usd, slow.energy_cost_usd, scale), "{} vs {}", fast.energy_cost_usd, slow.energy_cost_usd);
            prop_assert!(close(fast.revenue_usd, slow.revenue_usd, scale));
        }

        #[test]
        fn area_under_the_sorted_curve_matches_summing_the_cheapest_hours(
            hourly in proptest::collection::vec(-100.0f64..3_000.0, 1..300),
            k in 0usize..300,
        ) {
            let curve = PriceDurationCurve::from_hourly(&hourly).unwrap();
            let mut sorted = hourly.clone();
            sorted.sort_by(f64::total_cmp);
            let k = k.min(sorted.len());
            let expect: f64 = sorted[..k].iter().sum();
            let scale = sorted.iter().map(|p| p.abs()).sum::<f64>();
            prop_assert!(close(curve.cost_of_cheapest_hours(k as f64), expect, scale));
        }
    }

    #[test]
    fn two_level_curve_analytic() {
        // 700 h at $30 and 20 h at $900: a load earning $100/MWh runs 700 h.
        let curve = PriceDurationCurve::from_levels(&[(900.0, 20.0), (30.0, 700.0)]).unwrap();
        let m = flexible_month(&curve, 10.0, 100.0);
        assert_eq!(m.mwh_run, 7_000.0);
        assert_eq!(m.mwh_curtailed, 200.0);
        assert_eq!(m.energy_cost_usd, 210_000.0);
        assert_eq!(m.revenue_usd, 700_000.0);
        assert_eq!(m.mean_price_paid_usd_per_mwh(), 30.0);
        // A firm load pays the spikes too: (700 × 30 + 20 × 900) × 10 = $390,000, i.e.
        // $54.17/MWh on average against the flexible load's $30.
        let f = firm_month(&curve, 10.0, 100.0);
        assert_eq!(f.energy_cost_usd, 390_000.0);
        assert_eq!(f.mwh_curtailed, 0.0);
        assert!((f.mean_price_paid_usd_per_mwh() - 390_000.0 / 7_200.0).abs() < 1e-12);
        // Earning $900 or more it runs through the spikes (ties run).
        assert_eq!(flexible_month(&curve, 1.0, 900.0).mwh_run, 720.0);
        assert_eq!(curve.hours_above(100.0), 20.0);
        assert!((curve.mean_price_usd_per_mwh() - 39_000.0 / 720.0).abs() < 1e-12);
        // Area: the 710 cheapest hours are 700 × 30 + 10 × 900.
        assert_eq!(curve.cost_of_cheapest_hours(710.0), 30_000.0);
    }

    #[test]
    fn scaling_keeps_the_shape_and_the_mean() {
        let year = PriceDurationCurve::from_levels(&[(20.0, 8_000.0), (200.0, 760.0)]).unwrap();
        let month = year.scaled_to_hours(720.0);
        assert!((month.total_hours() - 720.0).abs() < 1e-9);
        assert!((month.mean_price_usd_per_mwh() - year.mean_price_usd_per_mwh()).abs() < 1e-9);
    }

    #[test]
    fn bad_curves_are_refused_with_the_reason() {
        assert_eq!(PriceDurationCurve::from_hourly(&[]), Err(ShapeError::Empty));
        assert_eq!(
            PriceDurationCurve::from_hourly(&[10.0, f64::NAN])
                .unwrap_err()
                .to_string(),
            "price 1 is NaN USD/MWh; expected a number within ±10000"
        );
        assert_eq!(
            PriceDurationCurve::from_levels(&[(10.0, -1.0)]),
            Err(ShapeError::BadHours(0, -1.0))
        );
        assert_eq!(
            PriceDurationCurve::from_levels(&[(10.0, 0.0)]),
            Err(ShapeError::Empty)
        );
    }

    #[test]
    fn mining_revenue_per_mwh_matches_hashrate_index_bands() {
        // Hashrate Index, 12 Jan 2026, hashprice $39.53: < 19 J/TH fleets earn $97/MWh.
        // At 17 J/TH, PUE 1, no pool fee: 39.53 / (24 × 17 / 1000) = $96.89/MWh.
        let r = mining_revenue_usd_per_mwh(39.53, 17.0, 1.0, 0.0);
        assert!((r - 96.887).abs() < 1e-3, "{r}");
        // PUE and pool fee scale it down.
        let r2 = mining_revenue_usd_per_mwh(39.53, 17.0, 1.25, 0.04);
        assert!((r2 - r * 0.96 / 1.25).abs() < 1e-9);
    }

    #[test]
    fn the_shipped_ercot_curve_has_a_year_of_hours_its_cited_mean_and_spike_hours() {
        let c = PriceDurationCurve::ercot_2024().unwrap();
        assert!((c.total_hours() - 8_760.0).abs() < 1e-9);
        // Mean = ERCOT real-time average 2024 ex-adders, $32/MWh (Potomac 2024 SOM).
        assert!(
            (c.mean_price_usd_per_mwh() - 32.0).abs() < 1e-9,
            "{}",
            c.mean_price_usd_per_mwh()
        );
        assert_eq!(c.hours_above(1_000.0), 10.0);
        // Its highest level is ERCOT's low system-wide offer cap.
        assert_eq!(c.levels().last().map(|l| l.0), Some(2_000.0));
    }
}
