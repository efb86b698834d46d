//! Operating policy: ASIC fleets that would mine at a loss are switched off.
//!
//! Operators switch miners off when running them no longer pays, and back on when it
//! does again; the units keep their capacity on the path. "Pays" is judged in finance's
//! own terms, so that a fleet runs exactly when running raises the month's EBITDA: the
//! revenue compared is what the site keeps (net of the pool fee, [`pool_fee_share`]),
//! and the cost is the fleet's electricity plus the opex its running adds over a
//! switched-off miner ([`marginal_opex_usd_per_w_day`]: finance charges mining MW more
//! per month than idle MW). Uptime scales revenue and electricity but not that opex, so
//! the opex is compared per day the fleet actually hashes (docs/model.md, "Opex in the
//! operating rule"). This system decides, for a stretch of days in which nothing else
//! changes, which [`AsicFleet`]s run, records each fleet's decision on the fleet, and
//! reports what mines.

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
    /// Opex that one W of ASIC IT mining for a day adds over the same W switched off,
    /// USD ([`marginal_opex_usd_per_w_day`]; 0 without opex by state).
    pub opex_usd_per_w_day: f64,
}

impl MiningEconomics {
    /// The economics of month `month` with a block subsidy of `subsidy_btc`.
    pub fn new(s: &Scenario, market: &MarketPath, month: usize, subsidy_btc: f64) -> Self {
        Self {
            btc_per_gh_day: BLOCKS_PER_DAY * (subsidy_btc + s.markets.fees_btc_per_block)
                / market.network_hashrate_gh_s[month],
            btc_price_usd: market.btc_price_usd[month],
            usd_per_w_day: HOURS_PER_DAY / 1e6 * market.electricity_usd_per_mwh[month],
            opex_usd_per_w_day: marginal_opex_usd_per_w_day(
                s,
                s.calendar.label(month as u32).days(),
            ),
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

/// Finance's opex of one W of ASIC IT mining for a day over the same W idle, in a month
/// of `days` days: `(mining − idle) $/MW-month / (1e6 × days)`. Finance charges the
/// month's average mining MW at `mining_usd_per_mw_month` and idle MW (switched-off
/// miners among them) at `idle_usd_per_mw_month`, so running one more W for one day
/// moves 1/(1e6 × days) MW from idle to mining. 0 without a `finance` section (or
/// without opex by state), so such worlds decide exactly as before.
pub fn marginal_opex_usd_per_w_day(s: &Scenario, days: u32) -> f64 {
    mining_over_idle_usd_per_mw_month(s) / (1e6 * f64::from(days.max(1)))
}

/// Finance's opex of a mining MW-month less that of an idle one, USD: what a month of
/// running one MW of miners adds (0 without a `finance` section). Both operating rules
/// spread it over the month ([`marginal_opex_usd_per_w_day`],
/// [`marginal_opex_usd_per_it_mwh`]).
fn mining_over_idle_usd_per_mw_month(s: &Scenario) -> f64 {
    s.finance.as_ref().map_or(0.0, |f| {
        let o = &f.terms.opex;
        o.mining_usd_per_mw_month - o.idle_usd_per_mw_month
    })
}

/// True when the on/off rules weigh opex (finance's mining and idle $/MW-month differ).
pub fn weighs_opex(s: &Scenario) -> bool {
    mining_over_idle_usd_per_mw_month(s) != 0.0
}

/// Share of time energised miners hash, from the world's finance terms (1 without a
/// `finance` section): finance scales mining revenue and electricity by it, not the
/// opex of mining MW.
pub fn mining_uptime_share(s: &Scenario) -> f64 {
    s.finance
        .as_ref()
        .map_or(1.0, |f| f.terms.opex.mining_uptime_share)
}

/// The hourly rule's opex term: finance's mining less idle $/MW-month spread over the
/// month's `hours`, per MW of ASIC IT per hour the fleet hashes (over the uptime share,
/// as [`opex_per_hashing_day`]), USD/MWh of IT. Exactly 0 without opex by state.
pub fn marginal_opex_usd_per_it_mwh(s: &Scenario, hours: f64) -> f64 {
    let per_mw_month = mining_over_idle_usd_per_mw_month(s);
    if per_mw_month == 0.0 {
        0.0
    } else {
        per_mw_month / hours.max(1.0) / mining_uptime_share(s)
    }
}

/// The marginal opex of running `it_w` W of ASIC IT, per day the fleet hashes: finance
/// books `uptime × (revenue − electricity)` against `opex_usd_per_w_day × it_w`, so per
/// day of hashing the opex weighs `1/uptime` as much (infinite at zero uptime: a fleet
/// that never hashes only costs). Exactly 0 when the opex is.
fn opex_per_hashing_day(econ: &MiningEconomics, it_w: u64, uptime: f64) -> f64 {
    if econ.opex_usd_per_w_day == 0.0 {
        0.0
    } else {
        it_w as f64 * econ.opex_usd_per_w_day / uptime
    }
}

/// The hashprice (network revenue per PH/s per day, before the pool's fee) at which one
/// PH/s of a fleet of `it_j_per_th` (IT, before the loop's `pue`) earns exactly what
/// the on/off rule ([`operate`]) weighs against it in a month of `days` days at
/// `power_usd_per_mwh`: its power at the wall plus the opex of running over idling,
/// over the uptime share, all over the share of revenue the site keeps. 1 PH/s at e
/// J/TH draws 1,000·e W of IT. Without a `finance` section this is the power cash cost
/// `24 × e × PUE × p / 1000` alone.
pub fn break_even_usd_per_ph_day(
    s: &Scenario,
    it_j_per_th: f64,
    pue: f64,
    power_usd_per_mwh: f64,
    days: u32,
) -> f64 {
    let it_w = 1000.0 * it_j_per_th;
    let power = it_w * pue * HOURS_PER_DAY / 1e6 * power_usd_per_mwh;
    // As the rule: no opex term at all without opex by state (not 0 / uptime).
    let opex_w_day = marginal_opex_usd_per_w_day(s, days);
    let opex = if opex_w_day == 0.0 {
        0.0
    } else {
        it_w * opex_w_day / mining_uptime_share(s)
    };
    (power + opex) / (1.0 - pool_fee_share(s))
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
    /// IT load, W (finance charges mining opex on it).
    pub it_w: u64,
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
            it_w: fleet.it_w,
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
    /// Opex the fleet's running adds over it switched off, per day it hashes (finance's
    /// mining less idle $/MW-month, over the uptime share), USD; 0 without opex by
    /// state. The fleet is off when revenue < electricity + this.
    pub opex_usd_per_day: f64,
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
    let uptime = mining_uptime_share(s);
    let w = &f.world;
    for fleet in w.query::<&mut AsicFleet>().iter().filter(|x| x.it_w > 0) {
        let pue = w.get::<&Cooling>(fleet.cooling).expect("loop plant").pue;
        let revenue =
            fleet.hashrate_gh_s as f64 * econ.btc_per_gh_day * econ.btc_price_usd * kept_share;
        let cost = fleet.it_w as f64 * pue * econ.usd_per_w_day;
        let opex = opex_per_hashing_day(econ, fleet.it_w, uptime);
        // Without opex the comparison is the old one, bit for bit.
        let loses = if opex == 0.0 {
            revenue < cost
        } else {
            revenue < cost + opex
        };
        // With an hourly price shape the ledger's hourly rule decides at month close.
        let off = s.curtail_unprofitable_asics && s.power_prices.is_none() && loses;
        if off != fleet.curtailed {
            fleet.curtailed = off;
            switches.push(CurtailSwitch {
                model: fleet.model,
                cooling: w.get::<&Equipment>(fleet.cooling).expect("loop").0,
                off,
                revenue_usd_per_day: revenue,
                cost_usd_per_day: cost,
                opex_usd_per_day: opex,
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
            opex_usd_per_w_day: 0.0,
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
        let e = economics(1.0);
        let ratios: Vec<f64> = fleet_figures(&f, &e)
            .into_iter()
            .map(|(it_w, pue, revenue)| revenue / (it_w * pue * e.usd_per_w_day))
            .collect();
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

    /// Teaching's fleets under financed's finance terms (opex by state: $8,000 mining,
    /// $1,000 idle per MW-month, 4 % pool fee, 97 % uptime).
    fn financed_teaching() -> Scenario {
        let mut s = crate::load("worlds/teaching.ron").unwrap();
        s.finance = crate::load("worlds/financed.ron").unwrap().finance;
        s
    }

    #[test]
    fn the_break_even_is_where_the_rule_switches_each_fleet() {
        // The reference world weighs opex (finance's mining less idle $/MW-month) and a
        // 4 % pool fee: the break-even counts both, and the rule flips right at it.
        let s = crate::load("worlds/reference.ron").unwrap();
        assert!(weighs_opex(&s) && pool_fee_share(&s) > 0.0 && s.power_prices.is_none());
        let mut f = Facility::spawn(&s);
        let (power_usd_per_mwh, days) = (41.3, 31);
        let base = MiningEconomics {
            btc_per_gh_day: 1e-12,
            btc_price_usd: 1.0,
            usd_per_w_day: HOURS_PER_DAY / 1e6 * power_usd_per_mwh,
            opex_usd_per_w_day: marginal_opex_usd_per_w_day(&s, days),
        };
        let fleets: Vec<(usize, hecs::Entity, f64, f64)> = (f.world.query::<&AsicFleet>().iter())
            .filter(|x| x.it_w > 0)
            .map(|x| {
                let pue = f.world.get::<&Cooling>(x.cooling).unwrap().pue;
                let it_j_per_th = x.it_w as f64 / x.hashrate_gh_s as f64 * 1000.0;
                (x.model, x.cooling, it_j_per_th, pue)
            })
            .collect();
        assert!(!fleets.is_empty());
        for (model, cooling, it_j_per_th, pue) in fleets {
            let be = break_even_usd_per_ph_day(&s, it_j_per_th, pue, power_usd_per_mwh, days);
            // Dearer than its power alone, by the opex and the fee.
            assert!(be > 24.0 * it_j_per_th * pue * power_usd_per_mwh / 1000.0 * 1.04);
            for (scale, runs) in [(1.0 + 1e-9, true), (1.0 - 1e-9, false)] {
                // Hashprice per PH/s a day: BTC per GH/s a day × 1e6 GH/s × BTC price.
                let econ = MiningEconomics {
                    btc_price_usd: be * scale / (base.btc_per_gh_day * 1e6),
                    ..base
                };
                operate(&mut f, &s, &econ, &mut Vec::new());
                let curtailed = (f.world.query::<&AsicFleet>().iter())
                    .find(|x| (x.model, x.cooling) == (model, cooling))
                    .map(|x| x.curtailed);
                assert_eq!(curtailed, Some(!runs), "hashprice {scale} × {be}");
            }
        }
    }

    /// Each energised fleet's (IT W, facility W per IT W, gross revenue per day per
    /// USD of BTC price under `e`).
    fn fleet_figures(f: &Facility, e: &MiningEconomics) -> Vec<(f64, f64, f64)> {
        f.world
            .query::<&AsicFleet>()
            .iter()
            .filter(|x| x.it_w > 0)
            .map(|x| {
                let pue = f.world.get::<&Cooling>(x.cooling).unwrap().pue;
                (
                    x.it_w as f64,
                    pue,
                    x.hashrate_gh_s as f64 * e.btc_per_gh_day,
                )
            })
            .collect()
    }

    fn with_opex(btc_price_usd: f64, opex_usd_per_w_day: f64) -> MiningEconomics {
        MiningEconomics {
            opex_usd_per_w_day,
            ..economics(btc_price_usd)
        }
    }

    #[test]
    fn the_marginal_opex_is_finance_mining_less_idle_rate_per_w_day() {
        let s = financed_teaching();
        // ($8,000 − $1,000) / (1e6 W × 30 days) per W-day; per IT MWh hashing over a
        // 720 h month at 97 % uptime: $7,000 / 720 / 0.97.
        assert_eq!(marginal_opex_usd_per_w_day(&s, 30), 7_000.0 / 30e6);
        assert_eq!(
            marginal_opex_usd_per_it_mwh(&s, 720.0),
            7_000.0 / 720.0 / 0.97
        );
        assert_eq!(mining_uptime_share(&s), 0.97);
        // No finance, or no opex by state: no term at all.
        let mut bare = s.clone();
        bare.finance = None;
        assert_eq!(marginal_opex_usd_per_w_day(&bare, 30), 0.0);
        assert_eq!(marginal_opex_usd_per_it_mwh(&bare, 720.0), 0.0);
        assert_eq!(mining_uptime_share(&bare), 1.0);
        let mut flat = s;
        if let Some(f) = flat.finance.as_mut() {
            f.terms.opex.mining_usd_per_mw_month = f.terms.opex.idle_usd_per_mw_month;
        }
        assert_eq!(marginal_opex_usd_per_w_day(&flat, 30), 0.0);
        assert_eq!(marginal_opex_usd_per_it_mwh(&flat, 720.0), 0.0);
    }

    #[test]
    fn a_fleet_paying_its_power_but_not_its_running_opex_is_switched_off() {
        let s = financed_teaching();
        let keep = 1.0 - pool_fee_share(&s);
        let uptime = mining_uptime_share(&s);
        let o = marginal_opex_usd_per_w_day(&s, 30);
        assert!(o > 0.0 && uptime < 1.0);
        let mut f = Facility::spawn(&s);
        let base = economics(1.0);
        let figs = fleet_figures(&f, &base);
        assert!(!figs.is_empty());
        // Per fleet: the price at which what it keeps pays its power, and the price at
        // which it also pays the opex its running adds (per day it hashes).
        let power_even =
            |&(it, pue, g): &(f64, f64, f64)| it * pue * base.usd_per_w_day / (g * keep);
        let full_even = |&(it, pue, g): &(f64, f64, f64)| {
            (it * pue * base.usd_per_w_day + it * o / uptime) / (g * keep)
        };
        let (best, even) = figs
            .iter()
            .map(|x| (x, full_even(x)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        // Halfway between the two: it earns more than its power, less than power + opex.
        let price = 0.5 * (power_even(best) + even);
        let mut switches = Vec::new();
        let op = operate(&mut f, &s, &with_opex(price, o), &mut switches);
        assert_eq!(op.mining_it_w, 0, "no fleet pays its running opex");
        let sw = switches
            .iter()
            .find(|sw| sw.revenue_usd_per_day > sw.cost_usd_per_day)
            .expect("the best fleet pays its power and is still off");
        assert!(sw.off);
        assert!(sw.revenue_usd_per_day < sw.cost_usd_per_day + sw.opex_usd_per_day);
        assert_eq!(sw.opex_usd_per_day, best.0 * o / uptime);
        // The old rule (no opex term) would have run it.
        let mut old = Facility::spawn(&s);
        let op = operate(&mut old, &s, &with_opex(price, 0.0), &mut Vec::new());
        assert!(op.mining_it_w > 0);
        // Above the full break-even it is on again; the break-even itself flips it.
        let on = operate(&mut f, &s, &with_opex(even * 1.000_001, o), &mut switches);
        assert!(on.mining_it_w >= best.0 as u64);
        let back = switches.last().unwrap();
        assert!(
            !back.off && back.revenue_usd_per_day >= back.cost_usd_per_day + back.opex_usd_per_day
        );
        let off = operate(&mut f, &s, &with_opex(even * 0.999_999, o), &mut switches);
        assert_eq!(off.mining_it_w, 0);
    }

    #[test]
    fn the_decision_maximises_what_finance_books_for_the_day() {
        // Finance books, per day a fleet runs: u × (revenue × keep − electricity) −
        // opex of mining over idle. The rule runs a fleet exactly when that is ≥ 0.
        let s = financed_teaching();
        let keep = 1.0 - pool_fee_share(&s);
        let u = mining_uptime_share(&s);
        let o = marginal_opex_usd_per_w_day(&s, 31);
        let mut f = Facility::spawn(&s);
        let figs = fleet_figures(&f, &economics(1.0));
        for price in [1e3, 1e4, 3e4, 6e4, 9e4, 1.2e5, 2e5, 5e5] {
            let e = with_opex(price, o);
            let op = operate(&mut f, &s, &e, &mut Vec::new());
            let booked_if_run: Vec<f64> = figs
                .iter()
                .map(|&(it, pue, g)| u * (g * price * keep - it * pue * e.usd_per_w_day) - it * o)
                .collect();
            let want: f64 = figs
                .iter()
                .zip(&booked_if_run)
                .filter(|(_, b)| **b >= 0.0)
                .map(|(x, _)| x.0)
                .sum();
            assert_eq!(op.mining_it_w as f64, want, "at ${price}");
        }
    }

    #[test]
    fn without_opex_by_state_the_rule_is_the_old_one_bit_for_bit() {
        // No finance section, and finance with equal mining and idle rates: the
        // decision is `revenue × keep < electricity` exactly, at prices straddling
        // every fleet's break-even.
        let mut bare = financed_teaching();
        bare.finance = None;
        let mut flat = financed_teaching();
        if let Some(f) = flat.finance.as_mut() {
            f.terms.opex.mining_usd_per_mw_month = f.terms.opex.idle_usd_per_mw_month;
        }
        for s in [&bare, &flat] {
            let keep = 1.0 - pool_fee_share(s);
            let mut f = Facility::spawn(s);
            let figs = fleet_figures(&f, &economics(1.0));
            let o = marginal_opex_usd_per_w_day(s, 30);
            assert_eq!(o, 0.0);
            for &(it, pue, g) in &figs {
                let e0 = economics(1.0);
                let even = it * pue * e0.usd_per_w_day / (g * keep);
                for price in [even, even * (1.0 + 1e-12), even * (1.0 - 1e-12)] {
                    let e = with_opex(price, o);
                    let op = operate(&mut f, s, &e, &mut Vec::new());
                    let old: u64 = figs
                        .iter()
                        // The old rule, verbatim: off ⇔ revenue × keep < electricity.
                        .filter(|&&(it, pue, g)| {
                            let off = g * price * keep < it * pue * e.usd_per_w_day;
                            !off
                        })
                        .map(|x| x.0 as u64)
                        .sum();
                    assert_eq!(op.mining_it_w, old);
                }
            }
        }
    }
}
