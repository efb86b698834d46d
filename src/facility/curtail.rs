//! Operating policy: ASIC fleets that would mine at a loss are switched off.
//!
//! Operators switch miners off when their revenue no longer pays for their power, and
//! back on when it does again; the units keep their capacity on the path. This system
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
    /// Mining revenue per day at that point, USD.
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
    let w = &f.world;
    for fleet in w.query::<&mut AsicFleet>().iter().filter(|x| x.it_w > 0) {
        let pue = w.get::<&Cooling>(fleet.cooling).expect("loop plant").pue;
        let revenue = fleet.hashrate_gh_s as f64 * econ.btc_per_gh_day * econ.btc_price_usd;
        let cost = fleet.it_w as f64 * pue * econ.usd_per_w_day;
        let off = s.curtail_unprofitable_asics && revenue < cost;
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
}
