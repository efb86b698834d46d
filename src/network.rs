//! Network hashrate: either the exogenous growth path of [`crate::market`] or an
//! endogenous supply model of the world's mining fleet that answers to hashprice.
//!
//! The supply model (docs/model.md, "Network supply model and flexibility") steps one
//! month at a time:
//!
//! 1. **Clearing.** Installed cohorts, each with an efficiency in J/TH, run in merit order
//!    (cheapest first) while the hashprice they would earn covers their cash cost: the
//!    rest of the world's marginal power price plus the non-power opex a running miner
//!    adds over a switched-off one, both per MWh of miner IT. The marginal cohort runs
//!    partly, so that hashprice equals its cash cost. Old cohorts switch off (and back
//!    on) this way.
//! 2. **Investment.** The newest ASIC generation (efficiency improving every month) is
//!    bought while it pays back its all-in capex within the payback horizon at the
//!    revenue expected over that horizon (today's BTC price and fees, the known subsidy
//!    schedule). A share of the gap between the capacity that would pay back and the
//!    capacity that would run at that hashprice is ordered each month.
//! 3. **Deployment lag.** Orders arrive as a new cohort `lag_months` later.
//!
//! **Difficulty retargeting.** Bitcoin retargets difficulty every 2,016 blocks (about two
//! weeks) so that blocks keep arriving every ten minutes. With a monthly step the model
//! assumes the retarget has caught up within the month: issuance is exactly 144 blocks a
//! day and revenue is shared in proportion to hashrate. While hashrate grows, real blocks
//! come a little faster than that until the next retarget: over 2023–2025 the network
//! found 146.5 blocks a day on average (assets/data/btc-monthly-2023-2025.csv), so the
//! approximation understates network revenue by about 1.7 % in a growth phase and
//! overstates it by a similar amount after a fall.

pub mod history;
pub mod schema;

use std::fmt;

/// Blocks a day at the protocol's ten-minute target.
pub const BLOCKS_PER_DAY: f64 = 144.0;
/// Mean days in a month (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
/// Blocks between halvings.
const BLOCKS_PER_HALVING: f64 = 210_000.0;
/// GH/s in one PH/s.
const GH_PER_PH: f64 = 1e6;

/// How the network hashrate path is produced.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkModel {
    /// Fixed growth whatever miners earn (today's behaviour of [`crate::market`]).
    Exogenous {
        /// Growth per year, e.g. 0.3 for 30 %/yr.
        growth_per_year: f64,
    },
    /// The endogenous supply model.
    Supply(SupplyParams),
}

/// Parameters of the supply model. Every price is in USD, every efficiency in J/TH.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyParams {
    /// The installed fleet at the start, by efficiency; shares of the starting hashrate
    /// summing to 1.
    pub cohorts: Vec<Cohort>,
    /// Marginal power price of the rest of the world's miners, USD/MWh.
    pub marginal_power_usd_per_mwh: f64,
    /// Non-power cash cost of running a miner rather than leaving it switched off (staff,
    /// repairs, hosting and the like that scale with running), USD per MWh of miner IT
    /// hashed. Per MWh of IT because that is how the site's own hourly rule weighs the
    /// same cost (finance's mining less idle $/MW-month over the month's hours and the
    /// uptime share, `facility::curtail::marginal_opex_usd_per_it_mwh`) and how the
    /// power price above is already counted (1 PH/s at e J/TH draws e kW of IT), so the
    /// two simply add: `c(e) = 24 × e × (p + k) / 1000`. 0 keeps the power-only merit
    /// order bit for bit.
    pub non_power_cost_usd_per_mwh: f64,
    /// Efficiency of the newest ASIC generation on sale in the first month, J/TH.
    pub new_efficiency_j_per_th: f64,
    /// Yearly improvement of the newest generation's efficiency (0.17: 17 % fewer J/TH a year).
    pub efficiency_gain_per_year: f64,
    /// The newest generation never gets better than this, J/TH (chips stop shrinking).
    pub efficiency_floor_j_per_th: f64,
    /// All-in capex of new capacity (machines and their share of site build), USD per TH/s.
    pub capex_usd_per_th: f64,
    /// Miners buy only what pays back its capex within this many months.
    pub payback_months: u32,
    /// Share of the gap to the capacity that would pay back ordered each month (0..=1).
    pub build_share_per_month: f64,
    /// Months from order to hashing (manufacturing, shipping, installing), at least 1:
    /// an order placed after month m's clearing hashes from month m + lag.
    pub lag_months: u32,
}

/// One cohort of the starting fleet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cohort {
    /// Efficiency, J/TH (equal to kW per PH/s).
    pub efficiency_j_per_th: f64,
    /// Share of the starting network hashrate.
    pub share: f64,
}

/// A problem with supply-model parameters, for the world checker.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamProblem {
    /// No cohort given.
    NoCohorts,
    /// Cohort shares do not sum to 1 (the sum is given).
    SharesDoNotSumToOne(f64),
    /// A cohort's share is negative or not finite (index, value).
    BadShare(usize, f64),
    /// A cohort's efficiency is not a positive finite number (index, value).
    BadEfficiency(usize, f64),
    /// A named parameter has an impossible value.
    OutOfRange(&'static str, f64),
}

impl fmt::Display for ParamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamProblem::NoCohorts => write!(f, "the supply model needs at least one cohort"),
            ParamProblem::SharesDoNotSumToOne(s) => {
                write!(f, "cohort shares sum to {s}, expected 1")
            }
            ParamProblem::BadShare(i, v) => write!(f, "cohort {i}: share {v} must be in 0..=1"),
            ParamProblem::BadEfficiency(i, v) => {
                write!(f, "cohort {i}: efficiency {v} J/TH must be positive")
            }
            ParamProblem::OutOfRange(name, v) => write!(f, "{name} = {v} is out of range"),
        }
    }
}

impl SupplyParams {
    /// Every problem with these parameters (empty when they are usable).
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut out = Vec::new();
        if self.cohorts.is_empty() {
            out.push(ParamProblem::NoCohorts);
        }
        for (i, c) in self.cohorts.iter().enumerate() {
            if !(c.share.is_finite() && (0.0..=1.0).contains(&c.share)) {
                out.push(ParamProblem::BadShare(i, c.share));
            }
            if !(c.efficiency_j_per_th.is_finite() && c.efficiency_j_per_th > 0.0) {
                out.push(ParamProblem::BadEfficiency(i, c.efficiency_j_per_th));
            }
        }
        let sum: f64 = self.cohorts.iter().map(|c| c.share).sum();
        if !self.cohorts.is_empty() && (sum - 1.0).abs() > 1e-6 {
            out.push(ParamProblem::SharesDoNotSumToOne(sum));
        }
        let checks: [(&'static str, f64, bool); 8] = [
            (
                "efficiency_floor_j_per_th",
                self.efficiency_floor_j_per_th,
                self.efficiency_floor_j_per_th > 0.0
                    && self.efficiency_floor_j_per_th <= self.new_efficiency_j_per_th,
            ),
            (
                "marginal_power_usd_per_mwh",
                self.marginal_power_usd_per_mwh,
                (0.0..=10_000.0).contains(&self.marginal_power_usd_per_mwh),
            ),
            (
                "non_power_cost_usd_per_mwh",
                self.non_power_cost_usd_per_mwh,
                (0.0..=10_000.0).contains(&self.non_power_cost_usd_per_mwh),
            ),
            (
                "new_efficiency_j_per_th",
                self.new_efficiency_j_per_th,
                self.new_efficiency_j_per_th > 0.0 && self.new_efficiency_j_per_th <= 10_000.0,
            ),
            (
                "efficiency_gain_per_year",
                self.efficiency_gain_per_year,
                (0.0..1.0).contains(&self.efficiency_gain_per_year),
            ),
            (
                "capex_usd_per_th",
                self.capex_usd_per_th,
                (0.0..=100_000.0).contains(&self.capex_usd_per_th),
            ),
            (
                "build_share_per_month",
                self.build_share_per_month,
                self.build_share_per_month > 0.0 && self.build_share_per_month <= 1.0,
            ),
            (
                "payback_months",
                f64::from(self.payback_months),
                (1..=600).contains(&self.payback_months),
            ),
        ];
        for (name, v, ok) in checks {
            if !ok || !v.is_finite() {
                out.push(ParamProblem::OutOfRange(name, v));
            }
        }
        if !(1..=120).contains(&self.lag_months) {
            out.push(ParamProblem::OutOfRange(
                "lag_months",
                f64::from(self.lag_months),
            ));
        }
        out
    }

    /// Everything a running miner of the rest of the world costs over a switched-off one,
    /// USD per MWh of miner IT: power plus the non-power cost, `p + k`. With `k = 0` this
    /// is `p` exactly (`p + 0.0 == p`), so the power-only model is reproduced bit for bit.
    pub fn running_cost_usd_per_mwh(&self) -> f64 {
        self.marginal_power_usd_per_mwh + self.non_power_cost_usd_per_mwh
    }
}

/// The block subsidy over time, in months from the start of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Subsidy {
    /// Subsidy at the start, BTC per block.
    pub start_btc: f64,
    /// Known halvings as fractional month indices (e.g. 15.633 = 63 % into month 15),
    /// ascending. Later halvings are extrapolated every 210,000 blocks of 144 a day.
    pub halving_months: Vec<f64>,
}

impl Subsidy {
    /// The schedule of a run: `start_btc` halving on each of `halving_days` (simulation
    /// days), placed within its month by the share of the month's days gone by.
    pub fn from_calendar(
        start_btc: f64,
        halving_days: &[crate::calendar::Day],
        cal: &crate::calendar::Calendar,
    ) -> Self {
        let halving_months = halving_days
            .iter()
            .map(|&d| {
                let m = cal.month_of(d);
                let (a, b) = (cal.month_start(m), cal.month_start(m + 1));
                f64::from(m) + f64::from(d.saturating_sub(a)) / f64::from((b - a).max(1))
            })
            .collect();
        Self {
            start_btc,
            halving_months,
        }
    }

    /// Months between halvings at 144 blocks a day (≈ 47.9).
    pub fn halving_interval_months() -> f64 {
        BLOCKS_PER_HALVING / BLOCKS_PER_DAY / DAYS_PER_MONTH
    }

    /// Halving times up to (and one past) month `until`, known ones then extrapolated.
    fn halvings_until(&self, until: f64) -> impl Iterator<Item = f64> + '_ {
        let step = Self::halving_interval_months();
        let last = self.halving_months.last().copied();
        let known = self.halving_months.iter().copied();
        let extra = (1..).map(move |k| match last {
            Some(l) => l + step * f64::from(k),
            None => f64::INFINITY,
        });
        known.chain(extra).take_while(move |&t| t < until + step)
    }

    /// Mean subsidy over month `m` (BTC per block), halving mid-month weighted by time.
    pub fn month_mean_btc(&self, m: u32) -> f64 {
        let (a, b) = (f64::from(m), f64::from(m) + 1.0);
        let mut level = self.start_btc;
        let mut t = a;
        let mut acc = 0.0;
        for h in self.halvings_until(b) {
            if h <= a {
                level /= 2.0;
            } else if h < b {
                acc += level * (h - t);
                t = h;
                level /= 2.0;
            }
        }
        acc + level * (b - t)
    }

    /// Mean of [`Subsidy::month_mean_btc`] over `len` months from `from`.
    pub fn window_mean_btc(&self, from: u32, len: u32) -> f64 {
        let len = len.max(1);
        (from..from + len)
            .map(|m| self.month_mean_btc(m))
            .sum::<f64>()
            / f64::from(len)
    }
}

/// What the supply model needs from the market, month by month.
#[derive(Debug, Clone, Copy)]
pub struct SupplyInputs<'a> {
    /// Installed network hashrate at the start, GH/s, split into cohorts by their shares.
    /// Month 0 runs what pays, so it is online only where the fleet covers its costs.
    pub start_hashrate_gh_s: f64,
    /// BTC price per month, USD.
    pub btc_price_usd: &'a [f64],
    /// Transaction fees per block per month, BTC.
    pub fees_btc_per_block: &'a [f64],
    /// The subsidy schedule.
    pub subsidy: &'a Subsidy,
}

/// A modelled network path, one value per month.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkPath {
    /// Hashrate online, GH/s.
    pub hashrate_gh_s: Vec<f64>,
    /// Implied hashprice, USD per PH/s per day.
    pub hashprice_usd_per_ph_day: Vec<f64>,
    /// Installed capacity (online, switched off and just delivered), GH/s.
    pub installed_gh_s: Vec<f64>,
    /// Cash break-even of the most efficient installed cohort at the marginal power
    /// price plus the non-power cost ([`SupplyParams::running_cost_usd_per_mwh`]), USD per
    /// PH/s per day (0 on an exogenous path, which has no fleet).
    pub best_cash_cost_usd_per_ph_day: Vec<f64>,
}

/// Daily cash cost of 1 PH/s at `efficiency_j_per_th` and `cost_usd_per_mwh` of IT, USD.
/// 1 PH/s at e J/TH draws e kW, i.e. 24·e kWh a day. The supply model passes power plus
/// non-power cost ([`SupplyParams::running_cost_usd_per_mwh`]); the site's charts pass
/// power alone.
pub fn cash_cost_usd_per_ph_day(efficiency_j_per_th: f64, cost_usd_per_mwh: f64) -> f64 {
    24.0 * efficiency_j_per_th * cost_usd_per_mwh / 1000.0
}

/// Network revenue per day, USD: 144 blocks × (subsidy + fees) × price.
pub fn network_revenue_usd_per_day(btc_per_block: f64, btc_price_usd: f64) -> f64 {
    BLOCKS_PER_DAY * btc_per_block * btc_price_usd
}

/// The exogenous path of [`crate::market::MarketPath::median`]: `h0` in month 0, then
/// multiplied by `exp(m · ln(1 + g) / 12)`. The log growth is accumulated month by month
/// and a zero growth keeps `h0` exactly, as market.rs does, so the two agree bit for bit.
pub fn exogenous_median_gh_s(h0_gh_s: f64, growth_per_year: f64, months: usize) -> Vec<f64> {
    let step = (1.0 + growth_per_year).ln() / 12.0;
    let mut log_growth = 0.0;
    (0..months)
        .map(|m| {
            if m > 0 {
                log_growth += step;
            }
            if log_growth == 0.0 {
                h0_gh_s
            } else {
                h0_gh_s * f64::exp(log_growth)
            }
        })
        .collect()
}

impl NetworkModel {
    /// The median path over `months` months for these market inputs.
    pub fn path(&self, inputs: &SupplyInputs<'_>, months: usize) -> NetworkPath {
        match self {
            NetworkModel::Exogenous { growth_per_year } => {
                let h = exogenous_median_gh_s(inputs.start_hashrate_gh_s, *growth_per_year, months);
                let hashprice = (0..months)
                    .map(|m| {
                        let b = inputs.subsidy.month_mean_btc(m as u32) + fee(inputs, m);
                        network_revenue_usd_per_day(b, price(inputs, m)) / (h[m] / GH_PER_PH)
                    })
                    .collect();
                NetworkPath {
                    installed_gh_s: h.clone(),
                    hashrate_gh_s: h,
                    hashprice_usd_per_ph_day: hashprice,
                    best_cash_cost_usd_per_ph_day: vec![0.0; months],
                }
            }
            NetworkModel::Supply(p) => {
                Fleet::new(p, inputs.start_hashrate_gh_s).run(p, inputs, months)
            }
        }
    }
}

fn price(inputs: &SupplyInputs<'_>, m: usize) -> f64 {
    inputs
        .btc_price_usd
        .get(m)
        .or(inputs.btc_price_usd.last())
        .copied()
        .unwrap_or(0.0)
}

fn fee(inputs: &SupplyInputs<'_>, m: usize) -> f64 {
    inputs
        .fees_btc_per_block
        .get(m)
        .or(inputs.fees_btc_per_block.last())
        .copied()
        .unwrap_or(0.0)
}

/// An installed block of capacity.
#[derive(Debug, Clone, Copy)]
struct Block {
    efficiency_j_per_th: f64,
    ph_s: f64,
}

/// The world's fleet: installed blocks sorted by efficiency (best first) and orders in
/// flight.
struct Fleet {
    blocks: Vec<Block>,
    /// (arrival month, block), in order of arrival.
    pipeline: std::collections::VecDeque<(usize, Block)>,
}

impl Fleet {
    fn new(p: &SupplyParams, start_gh_s: f64) -> Self {
        let start_ph = start_gh_s / GH_PER_PH;
        let mut blocks: Vec<Block> = p
            .cohorts
            .iter()
            .map(|c| Block {
                efficiency_j_per_th: c.efficiency_j_per_th,
                ph_s: c.share * start_ph,
            })
            .collect();
        blocks.sort_by(|a, b| a.efficiency_j_per_th.total_cmp(&b.efficiency_j_per_th));
        Self {
            blocks,
            pipeline: std::collections::VecDeque::new(),
        }
    }

    fn run(mut self, p: &SupplyParams, inputs: &SupplyInputs<'_>, months: usize) -> NetworkPath {
        let mut out = NetworkPath::default();
        let cost = p.running_cost_usd_per_mwh();
        for m in 0..months {
            self.deliver(m);
            let b = inputs.subsidy.month_mean_btc(m as u32) + fee(inputs, m);
            let revenue = network_revenue_usd_per_day(b, price(inputs, m));
            let online_ph = clear(revenue, &self.blocks, cost);
            out.hashrate_gh_s.push(online_ph * GH_PER_PH);
            // Nothing runs only when nothing earns anything (a zero price): hashprice 0.
            let hashprice = if online_ph > 0.0 {
                revenue / online_ph
            } else {
                0.0
            };
            out.hashprice_usd_per_ph_day.push(hashprice);
            out.installed_gh_s.push(self.installed_ph() * GH_PER_PH);
            let best = self.blocks.first().map_or(0.0, |b| b.efficiency_j_per_th);
            out.best_cash_cost_usd_per_ph_day
                .push(cash_cost_usd_per_ph_day(best, cost));
            self.order(p, inputs, m);
        }
        out
    }

    fn installed_ph(&self) -> f64 {
        self.blocks.iter().map(|b| b.ph_s).sum()
    }

    /// Moves orders due by month `m` into the fleet, keeping it sorted.
    fn deliver(&mut self, m: usize) {
        while self.pipeline.front().is_some_and(|(due, _)| *due <= m) {
            if let Some((_, block)) = self.pipeline.pop_front() {
                let at = self
                    .blocks
                    .partition_point(|b| b.efficiency_j_per_th <= block.efficiency_j_per_th);
                self.blocks.insert(at, block);
            }
        }
    }

    /// Places this month's order for the newest generation (see the module docs).
    fn order(&mut self, p: &SupplyParams, inputs: &SupplyInputs<'_>, m: usize) {
        let cost = p.running_cost_usd_per_mwh();
        let e_new = (p.new_efficiency_j_per_th
            * (1.0 - p.efficiency_gain_per_year).powf(m as f64 / 12.0))
        .max(p.efficiency_floor_j_per_th);
        let capex_per_ph = p.capex_usd_per_th * 1000.0;
        let required = cash_cost_usd_per_ph_day(e_new, cost)
            + capex_per_ph / (f64::from(p.payback_months) * DAYS_PER_MONTH);
        let arrival = m + p.lag_months as usize;
        let expected_btc = inputs
            .subsidy
            .window_mean_btc(arrival as u32, p.payback_months)
            + fee(inputs, m);
        let target_ph = network_revenue_usd_per_day(expected_btc, price(inputs, m)) / required;
        // Capacity that would still run at the required hashprice, plus orders in flight.
        let running: f64 = self
            .blocks
            .iter()
            .filter(|b| cash_cost_usd_per_ph_day(b.efficiency_j_per_th, cost) <= required)
            .map(|b| b.ph_s)
            .sum();
        let in_flight: f64 = self.pipeline.iter().map(|(_, b)| b.ph_s).sum();
        let gap = target_ph - running - in_flight;
        if gap > 0.0 {
            let block = Block {
                efficiency_j_per_th: e_new,
                ph_s: p.build_share_per_month * gap,
            };
            // This month has cleared already, so even a zero lag hashes from next month.
            self.pipeline.push_back((arrival.max(m + 1), block));
        }
    }
}

/// Hashrate online (PH/s) when the network earns `revenue_usd_per_day` and `blocks`
/// (sorted by efficiency, best first) run in merit order at a running cost of
/// `cost_usd_per_mwh` of IT (power plus non-power cost,
/// [`SupplyParams::running_cost_usd_per_mwh`]).
///
/// Block j runs fully while `revenue / (hashrate so far + its capacity)` covers its cash
/// cost `c_j`; the first block that cannot runs partly, up to `revenue / c_j`, so that
/// hashprice equals its cash cost. With nothing installed nothing runs.
pub fn clear(revenue_usd_per_day: f64, blocks: &[impl Capacity], cost_usd_per_mwh: f64) -> f64 {
    let mut online = 0.0;
    for b in blocks {
        let c = cash_cost_usd_per_ph_day(b.efficiency_j_per_th(), cost_usd_per_mwh);
        let full = online + b.ph_s();
        if c <= 0.0 || revenue_usd_per_day >= c * full {
            online = full;
        } else {
            // revenue / c lies in [online, full) here unless the block cannot run at all.
            online = online.max(revenue_usd_per_day / c);
            break;
        }
    }
    online
}

/// Something with an efficiency and a capacity, for [`clear`].
pub trait Capacity {
    /// Efficiency, J/TH.
    fn efficiency_j_per_th(&self) -> f64;
    /// Capacity, PH/s.
    fn ph_s(&self) -> f64;
}

impl Capacity for Block {
    fn efficiency_j_per_th(&self) -> f64 {
        self.efficiency_j_per_th
    }
    fn ph_s(&self) -> f64 {
        self.ph_s
    }
}

impl Capacity for (f64, f64) {
    fn efficiency_j_per_th(&self) -> f64 {
        self.0
    }
    fn ph_s(&self) -> f64 {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MarketPath;
    use crate::scenario::MarketSpec;
    use crate::scenario::PricePath;

    fn spec(growth: f64) -> MarketSpec {
        MarketSpec {
            btc_price_usd: PricePath::Constant(91_000.0),
            network_hashrate_gh_s: 1.1e12,
            network_growth_per_year: growth,
            network_growth_volatility_per_year: 0.1,
            block_subsidy_btc: 3.125,
            halving_days: vec![],
            fees_btc_per_block: 0.03,
            gpu_lease: None,
            gpu_rental: None,
            electricity_usd_per_mwh: vec![40.0; 180],
        }
    }

    fn flat_inputs<'a>(
        price: &'a [f64],
        fees: &'a [f64],
        subsidy: &'a Subsidy,
    ) -> SupplyInputs<'a> {
        SupplyInputs {
            start_hashrate_gh_s: 1.1e12,
            btc_price_usd: price,
            fees_btc_per_block: fees,
            subsidy,
        }
    }

    #[test]
    fn exogenous_option_reproduces_the_market_paths_closed_form_bit_for_bit() {
        for g in [0.0, 0.3, 0.4, -0.2] {
            let closed = MarketPath::median(&spec(g), 180).network_hashrate_gh_s;
            let subsidy = Subsidy {
                start_btc: 3.125,
                halving_months: vec![],
            };
            let path = NetworkModel::Exogenous { growth_per_year: g }
                .path(&flat_inputs(&[91_000.0], &[0.03], &subsidy), 180);
            assert_eq!(path.hashrate_gh_s, closed, "growth {g}");
        }
    }

    #[test]
    fn exogenous_hashprice_is_the_luxor_check_of_domain_md() {
        // 1.1 ZH/s, 3.125 + 0.03 BTC/block, $91k → ≈ $37.6/PH/day (docs/domain.md).
        let subsidy = Subsidy {
            start_btc: 3.125,
            halving_months: vec![],
        };
        let path = NetworkModel::Exogenous {
            growth_per_year: 0.0,
        }
        .path(&flat_inputs(&[91_000.0], &[0.03], &subsidy), 1);
        let expect = 144.0 * 3.155 * 91_000.0 / 1.1e6;
        assert!((path.hashprice_usd_per_ph_day[0] - expect).abs() < 1e-9);
        assert!((expect - 37.6).abs() < 0.05);
    }

    #[test]
    fn cash_cost_matches_the_break_even_identity_of_domain_md() {
        // $/PH/day = 24 × J/TH × $/kWh: at 5 ¢, S21 $21, S19 XP $25.8, S19j Pro $35.4.
        assert!((cash_cost_usd_per_ph_day(17.5, 50.0) - 21.0).abs() < 1e-12);
        assert!((cash_cost_usd_per_ph_day(21.5, 50.0) - 25.8).abs() < 1e-12);
        assert!((cash_cost_usd_per_ph_day(29.5, 50.0) - 35.4).abs() < 1e-12);
    }

    #[test]
    fn clearing_runs_cohorts_in_merit_order_and_splits_the_marginal_one() {
        // Two cohorts of 100 PH/s at 20 and 40 J/TH, power $50/MWh: cash costs $24 and $48.
        let blocks = [(20.0, 100.0), (40.0, 100.0)];
        // Revenue $12,000/day: both would earn $60 > $48 → all 200 PH/s run.
        assert_eq!(clear(12_000.0, &blocks, 50.0), 200.0);
        // $7,200/day: both → $36 < $48; first alone → $72 ≥ $24; second partly to
        // hashprice $48 → 150 PH/s.
        assert!((clear(7_200.0, &blocks, 50.0) - 150.0).abs() < 1e-9);
        // $2,000/day: first alone earns $20 < $24 → partly, 2000 / 24 PH/s.
        assert!((clear(2_000.0, &blocks, 50.0) - 2_000.0 / 24.0).abs() < 1e-9);
        // Free power: everything runs.
        assert_eq!(clear(1.0, &blocks, 0.0), 200.0);
    }

    #[test]
    fn with_a_non_power_cost_a_single_cohorts_hashprice_is_its_power_plus_that_cost() {
        // 100 PH/s at 20 J/TH, power $50/MWh, non-power cost k = $15/MWh of IT: cash cost
        // 24 × 20 × (50 + 15) / 1000 = $24 of power + $7.20 of the rest = $31.20/PH/day.
        let p = SupplyParams {
            cohorts: vec![Cohort {
                efficiency_j_per_th: 20.0,
                share: 1.0,
            }],
            marginal_power_usd_per_mwh: 50.0,
            non_power_cost_usd_per_mwh: 15.0,
            ..params()
        };
        assert_eq!(p.running_cost_usd_per_mwh(), 65.0);
        let cost = p.running_cost_usd_per_mwh();
        let c = cash_cost_usd_per_ph_day(20.0, cost);
        assert!((c - (24.0 + 7.2)).abs() < 1e-12);
        // $2,000/day cannot pay for all 100 PH/s at $31.20: the cohort runs partly, at a
        // hashprice equal to its whole cash cost (power alone would clear at $24).
        let blocks = [(20.0, 100.0)];
        let online = clear(2_000.0, &blocks, cost);
        assert!((online - 2_000.0 / 31.2).abs() < 1e-9);
        assert!((2_000.0 / online - 31.2).abs() < 1e-9);
        assert!((clear(2_000.0, &blocks, 50.0) - 2_000.0 / 24.0).abs() < 1e-9);
        // $4,000/day pays $40 > $31.20 to all of it.
        assert_eq!(clear(4_000.0, &blocks, cost), 100.0);
    }

    #[test]
    fn a_zero_non_power_cost_is_the_power_only_model_bit_for_bit() {
        // Only p + k enters the model, and p + 0.0 is p exactly: with k = 0 every month of
        // a 48-month run with a halving equals the run of the same power-only cost, and
        // moving $15 of a $50 cost from power to k changes nothing either (35 + 15 = 50
        // exactly).
        let months = 48;
        let subsidy = Subsidy {
            start_btc: 6.25,
            halving_months: vec![12.0],
        };
        let price: Vec<f64> = (0..months).map(|m| 30_000.0 + 500.0 * m as f64).collect();
        let fees = vec![0.05; months];
        let inputs = SupplyInputs {
            start_hashrate_gh_s: 400e9,
            btc_price_usd: &price,
            fees_btc_per_block: &fees,
            subsidy: &subsidy,
        };
        let base = params();
        assert_eq!(base.non_power_cost_usd_per_mwh, 0.0);
        for power in [0.0, 37.3, 50.0, 61.7] {
            let p = SupplyParams {
                marginal_power_usd_per_mwh: power,
                ..base.clone()
            };
            assert_eq!(p.running_cost_usd_per_mwh().to_bits(), power.to_bits());
        }
        let power_only = NetworkModel::Supply(base.clone()).path(&inputs, months);
        let split = NetworkModel::Supply(SupplyParams {
            marginal_power_usd_per_mwh: 35.0,
            non_power_cost_usd_per_mwh: 15.0,
            ..base.clone()
        })
        .path(&inputs, months);
        assert_eq!(split, power_only);
        // A non-power cost on top of the same power raises the cost of every cohort: the
        // halving switches more off, and hashprice settles higher.
        let with_k = NetworkModel::Supply(SupplyParams {
            non_power_cost_usd_per_mwh: 15.0,
            ..base
        })
        .path(&inputs, months);
        assert!(with_k.hashrate_gh_s[20] < power_only.hashrate_gh_s[20]);
        assert!(with_k.hashprice_usd_per_ph_day[20] > power_only.hashprice_usd_per_ph_day[20]);
        for m in 0..months {
            assert!(
                with_k.hashprice_usd_per_ph_day[m]
                    >= with_k.best_cash_cost_usd_per_ph_day[m] - 1e-9,
                "month {m}"
            );
            assert!(
                with_k.best_cash_cost_usd_per_ph_day[m]
                    > power_only.best_cash_cost_usd_per_ph_day[m] - 1e-9
            );
        }
    }

    #[test]
    fn subsidy_halves_mid_month_by_time_and_extrapolates_every_210000_blocks() {
        let s = Subsidy {
            start_btc: 6.25,
            halving_months: vec![15.5],
        };
        assert_eq!(s.month_mean_btc(14), 6.25);
        assert!((s.month_mean_btc(15) - (6.25 * 0.5 + 3.125 * 0.5)).abs() < 1e-12);
        assert_eq!(s.month_mean_btc(16), 3.125);
        let next = 15.5 + Subsidy::halving_interval_months();
        assert!((Subsidy::halving_interval_months() - 47.912).abs() < 1e-3);
        let m = next.floor() as u32;
        assert_eq!(s.month_mean_btc(m - 1), 3.125);
        assert_eq!(s.month_mean_btc(m + 1), 1.5625);
        assert!((s.window_mean_btc(14, 2) - (6.25 + 4.6875) / 2.0).abs() < 1e-12);
    }

    fn params() -> SupplyParams {
        history::calibrated_params()
    }

    #[test]
    fn a_halving_switches_off_old_cohorts_and_hashprice_stays_above_the_best_cash_cost() {
        let months = 48;
        let subsidy = Subsidy {
            start_btc: 6.25,
            halving_months: vec![12.0],
        };
        let price = vec![40_000.0; months];
        let fees = vec![0.05; months];
        let inputs = SupplyInputs {
            start_hashrate_gh_s: 400e9,
            btc_price_usd: &price,
            fees_btc_per_block: &fees,
            subsidy: &subsidy,
        };
        let path = NetworkModel::Supply(params()).path(&inputs, months);
        // The halving halves revenue: hashrate online drops in month 12.
        assert!(path.hashrate_gh_s[12] < path.hashrate_gh_s[11]);
        for m in 0..months {
            assert!(
                path.hashprice_usd_per_ph_day[m] >= path.best_cash_cost_usd_per_ph_day[m] - 1e-9,
                "month {m}"
            );
            assert!(path.hashrate_gh_s[m] <= path.installed_gh_s[m] * (1.0 + 1e-12));
        }
    }

    #[test]
    fn a_higher_btc_price_buys_more_hashrate_after_the_lag() {
        let months = 24;
        let subsidy = Subsidy {
            start_btc: 3.125,
            halving_months: vec![],
        };
        let fees = vec![0.03; months];
        let run = |p: f64| {
            let price = vec![p; months];
            let inputs = SupplyInputs {
                start_hashrate_gh_s: 800e9,
                btc_price_usd: &price,
                fees_btc_per_block: &fees,
                subsidy: &subsidy,
            };
            NetworkModel::Supply(params()).path(&inputs, months)
        };
        let (low, high) = (run(60_000.0), run(150_000.0));
        let lag = params().lag_months as usize;
        assert!(high.hashrate_gh_s[lag + 6] > low.hashrate_gh_s[lag + 6] * 1.2);
        // More machines, so a lower hashprice than a proportional rise would give.
        assert!(high.hashprice_usd_per_ph_day[23] < low.hashprice_usd_per_ph_day[23] * 2.5);
    }

    #[test]
    fn parameter_problems_name_what_is_wrong() {
        let mut p = params();
        assert!(p.problems().is_empty(), "{:?}", p.problems());
        p.cohorts[0].share = 0.2;
        p.cohorts[1].efficiency_j_per_th = -3.0;
        p.marginal_power_usd_per_mwh = -1.0;
        p.non_power_cost_usd_per_mwh = f64::NAN;
        p.build_share_per_month = 0.0;
        p.lag_months = 0;
        let problems = p.problems();
        assert!(problems.contains(&ParamProblem::BadEfficiency(1, -3.0)));
        assert!(
            problems.iter().any(
                |q| matches!(q, ParamProblem::SharesDoNotSumToOne(s) if (s - 1.1).abs() < 1e-9)
            )
        );
        assert!(problems.contains(&ParamProblem::OutOfRange(
            "marginal_power_usd_per_mwh",
            -1.0
        )));
        assert!(problems.iter().any(|q| matches!(
            q,
            ParamProblem::OutOfRange("non_power_cost_usd_per_mwh", v) if v.is_nan()
        )));
        assert!(problems.contains(&ParamProblem::OutOfRange("build_share_per_month", 0.0)));
        assert!(problems.contains(&ParamProblem::OutOfRange("lag_months", 0.0)));
        assert_eq!(
            ParamProblem::SharesDoNotSumToOne(1.1).to_string(),
            "cohort shares sum to 1.1, expected 1"
        );
    }

    #[test]
    fn applying_a_model_keeps_exogenous_paths_and_replaces_them_with_supply() {
        let s = spec(0.3);
        let cal = crate::calendar::Calendar::new(
            crate::calendar::YearMonth::parse("2026-01").unwrap(),
            36,
        );
        let original = MarketPath::median(&s, 36);
        let mut market = original.clone();
        market.apply_network(
            &NetworkModel::Exogenous {
                growth_per_year: 0.3,
            },
            &s,
            &cal,
        );
        assert_eq!(market, original);
        market.apply_network(&NetworkModel::Supply(params()), &s, &cal);
        assert_ne!(market.network_hashrate_gh_s, original.network_hashrate_gh_s);
        assert_eq!(market.network_hashrate_gh_s.len(), 36);
        assert_eq!(market.btc_price_usd, original.btc_price_usd);
        // The stated hashrate is the installed fleet; month 0 runs what pays. At $91k and
        // 3.155 BTC/block ($37.6/PH/day) the 45 J/TH cohort ($54 at $50/MWh) is off.
        assert!((market.network_hashrate_gh_s[0] - 0.85 * 1.1e12).abs() < 1.0);
    }
}
