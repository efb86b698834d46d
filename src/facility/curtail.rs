//! Operating policy: ASIC fleets that would mine at a loss are switched off.
//!
//! Operators switch miners off when their revenue no longer pays for their power, and
//! back on when it does again; the units keep their capacity on the path. The revenue
//! compared is what the site keeps: net of the pool fee the finance terms charge
//! ([`pool_fee_share`]). Uptime needs no term here: it scales a fleet's revenue and its
//! energy alike, so it cannot change the sign of their difference. This system
//! decides, for a stretch of days in which nothing else changes, which [`AsicFleet`]s
//! run, records each fleet's decision on the fleet, and reports what mines.

use super::{AsicFleet, Cooling, Equipment, Facility};
use crate::calendar::HOURS_PER_DAY;
use crate::market::MarketPath;
use crate::scenario::{EquipmentRef, Scenario};

/// Blocks mined per day at the protocol's 10-minute target.
pub const BLOCKS_PER_DAY: f64 = 144.0;

/// What mining pays and costs in one month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MiningEconomics {
    /// BTC earned per GH/s of hashrate per day.
    pub btc_per_gh_day: f64,
    /// BTC price, USD.
    pub btc_price_usd: f64,
    /// Electricity cost of one W drawn for a day, USD.
    pub usd_per_w_day: f64,
}

impl MiningEconomics {
    /// The economics of month `month` with a block subsidy of `subsidy_btc`.
    pub fn new(s: &Scenario, market: &MarketPath, month: usize, subsidy_btc: f64) -> Self {
        Self {
            btc_per_gh_day: BLOCKS_PER_DAY * (subsidy_btc + s.markets.fees_btc_per_block)
                / market.network_hashrate_gh_s[month],
            btc_price_usd: market.btc_price_usd[month],
            usd_per_w_day: HOURS_PER_DAY / 1e6 * market.electricity_usd_per_mwh[month],
        }
    }
}

/// The mining pool's share of mining revenue, from the world's finance terms (0 without a
/// `finance` section). Finance deducts the fee from the ledger's gross revenue; the
/// operating rules compare the revenue net of it with the power price, so a fleet runs
/// only while what the site keeps pays for its power.
pub fn pool_fee_share(s: &Scenario) -> f64 {
    s.finance
        .as_ref()
        .map_or(0.0, |f| f.terms.opex.pool_fee_share)
}

/// What the ASICs do over a stretch of days.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Operating {
    /// IT load of fleets mining, W.
    pub mining_it_w: u64,
    /// Hashrate of fleets mining, GH/s.
    pub mining_gh_s: u64,
    /// IT load of fleets switched off, W.
    pub curtailed_it_w: u64,
    /// Facility power of fleets switched off (IT × PUE), W.
    pub curtailed_facility_w: f64,
    /// Facility power of fleets mining (IT × PUE), W.
    pub mining_facility_w: f64,
}

/// A fleet mining over a stretch of days: what the hourly rule needs to price it alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetRun {
    /// Model index.
    pub model: usize,
    /// Cooling loop index.
    pub cooling: usize,
    /// Facility power (IT × PUE), W.
    pub facility_w: f64,
    /// Hashrate, GH/s.
    pub hashrate_gh_s: u64,
}

/// The fleets mining after [`operate`] decided, in spawn order, into `out` (cleared).
pub fn running_fleets(f: &Facility, out: &mut Vec<FleetRun>) {
    out.clear();
    let w = &f.world;
    for fleet in w.query::<&AsicFleet>().iter() {
        if fleet.it_w == 0 || fleet.curtailed {
            continue;
        }
        let pue = w.get::<&Cooling>(fleet.cooling).expect("loop plant").pue;
        let cooling = match w.get::<&Equipment>(fleet.cooling).expect("loop").0 {
            EquipmentRef::CoolingLoop(i) => i,
            _ => usize::MAX,
        };
        out.push(FleetRun {
            model: fleet.model,
            cooling,
            facility_w: fleet.it_w as f64 * pue,
            hashrate_gh_s: fleet.hashrate_gh_s,
        });
    }
}

/// An ASIC fleet switching off because mining no longer pays for its power, or back on.
#[derive(Debug, Clone, PartialEq)]
pub struct CurtailSwitch {
    /// Model index.
    pub model: usize,
    /// The fleet's cooling loop.
    pub cooling: EquipmentRef,
    /// True when switched off.
    pub off: bool,
    /// Mining revenue per day at that point, net of the pool fee, USD.
    pub revenue_usd_per_day: f64,
    /// Electricity cost per day at that point, USD.
    pub cost_usd_per_day: f64,
}

/// Decides which fleets run under `econ`, records it on each fleet, and pushes every
/// change of decision onto `switches` (in model-major, loop order: the fleets' spawn
/// order). Fleets with no energised units keep their last decision.
pub fn operate(
    f: &mut Facility,
    s: &Scenario,
    econ: &MiningEconomics,
    switches: &mut Vec<CurtailSwitch>,
) -> Operating {
    let mut op = Operating::default();
    // 1 − 0 is exactly 1, so a world without a pool fee decides bit for bit as before.
    let kept_share = 1.0 - pool_fee_share(s);
    let w = &f.world;
    for fleet in w.query::<&mut AsicFleet>().iter().filter(|x| x.it_w > 0) {
        let pue = w.get::<&Cooling>(fleet.cooling).expect("loop plant").pue;
        let revenue =
            fleet.hashrate_gh_s as f64 * econ.btc_per_gh_day * econ.btc_price_usd * kept_share;
        let cost = fleet.it_w as f64 * pue * econ.usd_per_w_day;
        // With an hourly price shape the ledger's hourly rule decides at month close.
        let off = s.curtail_unprofitable_asics && s.power_prices.is_none() && revenue < cost;
        if off != fleet.curtailed {
            fleet.curtailed = off;
            switches.push(CurtailSwitch {
                model: fleet.model,
                cooling: w.get::<&Equipment>(fleet.cooling).expect("loop").0,
                off,
                revenue_usd_per_day: revenue,
                cost_usd_per_day: cost,
            });
        }
        if off {
            op.curtailed_it_w += fleet.it_w;
            op.curtailed_facility_w += fleet.it_w as f64 * pue;
        } else {
            op.mining_it_w += fleet.it_w;
            op.mining_facility_w += fleet.it_w as f64 * pue;
            op.mining_gh_s += fleet.hashrate_gh_s;
        }
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    fn economics(btc_price_usd: f64) -> MiningEconomics {
        MiningEconomics {
            btc_per_gh_day: 1e-12,
            btc_price_usd,
            usd_per_w_day: 24.0 / 1e6 * 50.0,
        }
    }

    #[test]
    fn fleets_switch_off_when_revenue_falls_below_power_cost_and_back_on() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        assert!(s.curtail_unprofitable_asics);
        let mut f = Facility::spawn(&s);
        let it_w = f.totals.asic_it_w;
        let mut switches = Vec::new();
        // Worthless BTC: every fleet is off, and its facility power is IT × its PUE.
        let off = operate(&mut f, &s, &economics(0.0), &mut switches);
        assert_eq!(
            (off.mining_it_w, off.mining_gh_s, off.curtailed_it_w),
            (0, 0, it_w)
        );
        assert!(off.curtailed_facility_w >= it_w as f64);
        let n = switches.len();
        assert!(
            n >= 1
                && switches
                    .iter()
                    .all(|sw| sw.off && sw.revenue_usd_per_day == 0.0)
        );
        // The same decision again records no switch.
        operate(&mut f, &s, &economics(0.0), &mut switches);
        assert_eq!(switches.len(), n);
        // Priceless BTC: all back on, one switch per fleet.
        let on = operate(&mut f, &s, &economics(1e12), &mut switches);
        assert_eq!((on.mining_it_w, on.curtailed_it_w), (it_w, 0));
        assert_eq!(switches.len(), 2 * n);
        assert!(switches[n..].iter().all(|sw| !sw.off));
    }

    #[test]
    fn the_rule_compares_revenue_net_of_the_pool_fee_with_the_power_bill() {
        let mut s = crate::load("worlds/teaching.ron").unwrap();
        s.finance = crate::load("worlds/financed.ron").unwrap().finance;
        let fee = 0.25;
        if let Some(f) = s.finance.as_mut() {
            f.terms.opex.pool_fee_share = fee;
        }
        assert_eq!(pool_fee_share(&s), fee);
        let mut f = Facility::spawn(&s);
        // Each fleet's gross revenue / power bill per unit of BTC price.
        let ratios: Vec<f64> = {
            let e = economics(1.0);
            f.world
                .query::<&AsicFleet>()
                .iter()
                .filter(|x| x.it_w > 0)
                .map(|x| {
                    let pue = f.world.get::<&Cooling>(x.cooling).unwrap().pue;
                    x.hashrate_gh_s as f64 * e.btc_per_gh_day
                        / (x.it_w as f64 * pue * e.usd_per_w_day)
                })
                .collect()
        };
        assert!(!ratios.is_empty());
        // A price at which the best fleet earns 1.2 × its bill gross, 0.9 × net of 25 %:
        // it would run without the fee and is off with it.
        let best = ratios.iter().copied().fold(0.0, f64::max);
        let price = 1.2 / best;
        let mut switches = Vec::new();
        let op = operate(&mut f, &s, &economics(price), &mut switches);
        assert_eq!(op.mining_it_w, 0, "every fleet keeps less than its bill");
        for sw in &switches {
            assert!(sw.off && sw.revenue_usd_per_day < sw.cost_usd_per_day);
        }
        // Without the fee the best fleet runs at that price.
        s.finance = None;
        assert_eq!(pool_fee_share(&s), 0.0);
        let op = operate(&mut f, &s, &economics(price), &mut switches);
        assert!(op.mining_it_w > 0);
        // At the net break-even the decision flips exactly: off just below, on at it.
        s.finance = crate::load("worlds/financed.ron").unwrap().finance;
        let fee_file = pool_fee_share(&s);
        let even = 1.0 / (best * (1.0 - fee_file));
        let on = operate(&mut f, &s, &economics(even * 1.000_001), &mut switches);
        let off = operate(&mut f, &s, &economics(even * 0.999_999), &mut switches);
        assert!(on.mining_it_w > off.mining_it_w);
    }
}
