//! Money: month-by-month accounting and the run's summary figures.
//!
//! Between two events the site's state is constant, so the [`Accountant`] integrates
//! every rate ([`Rates`]: IT power, hashrate, leased kW, rented GPUs) over the exact
//! number of days since the last event. Month ends are events too, so each month's
//! figures cover exactly its days. Cost per event is O(1). What runs and what mines is
//! decided elsewhere (the curtail system, the halving schedule); the ledger only prices it.

pub mod summary;

pub use summary::{FlexibilityTotals, RunFacts, Summary, UnfinishedStep, summarise};

use crate::calendar::{Day, HOURS_PER_DAY, YearMonth};
use crate::market::MarketPath;
use crate::scenario::Scenario;
use serde::Serialize;

/// One month of the ledger. Powers are month averages (so energy = power × hours).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// Calendar month, written `YYYY-MM`.
    pub month: YearMonth,
    /// Average ASIC IT load, MW.
    pub asic_it_mw: f64,
    /// Average GPU IT load, MW.
    pub gpu_it_mw: f64,
    /// Average facility load (IT × PUE), MW.
    pub facility_mw: f64,
    /// Average site hashrate actually mining, PH/s.
    pub hashrate_ph_s: f64,
    /// Average ASIC IT load switched off because it would mine at a loss, MW (not
    /// included in `asic_it_mw`).
    pub asic_curtailed_mw: f64,
    /// BTC mined in the month.
    pub btc_mined: f64,
    /// BTC price used for the month, USD.
    pub btc_price_usd: f64,
    /// Network hashrate for the month, EH/s.
    pub network_hashrate_eh_s: f64,
    /// Revenue from mining, USD.
    pub asic_revenue_usd: f64,
    /// Revenue from GPU leases and rentals, USD.
    pub gpu_revenue_usd: f64,
    /// Facility energy drawn, MWh.
    pub energy_mwh: f64,
    /// Electricity cost paid by the site, USD (excludes passed-through lease power).
    pub energy_cost_usd: f64,
    /// Operating cost other than energy, USD.
    pub opex_usd: f64,
    /// Capital spent (booked when ordered or when a step starts), USD.
    pub capex_usd: f64,
    /// Revenue − energy − opex − capex, USD.
    pub net_cash_flow_usd: f64,
    /// Running sum of net cash flow, USD.
    pub cumulative_cash_usd: f64,
    /// GPU IT load at the end of the month, MW.
    pub gpu_it_mw_end: f64,
    /// Hourly pricing and flexibility columns, when the world has `power_prices` or
    /// `flexibility` (appended to `ledger.csv` only then, so other worlds' files are
    /// unchanged).
    #[serde(skip)]
    pub flexibility: Option<crate::price_shape::month::SiteMonth>,
}

impl MonthRow {
    /// The numeric columns of `ledger.csv` after `month`, in the struct's (and so the
    /// file's) order; `ledger_csv_matches_the_serde_form` checks the order.
    pub fn values(&self) -> [f64; 17] {
        [
            self.asic_it_mw,
            self.gpu_it_mw,
            self.facility_mw,
            self.hashrate_ph_s,
            self.asic_curtailed_mw,
            self.btc_mined,
            self.btc_price_usd,
            self.network_hashrate_eh_s,
            self.asic_revenue_usd,
            self.gpu_revenue_usd,
            self.energy_mwh,
            self.energy_cost_usd,
            self.opex_usd,
            self.capex_usd,
            self.net_cash_flow_usd,
            self.cumulative_cash_usd,
            self.gpu_it_mw_end,
        ]
    }

    /// The column names of `ledger.csv`, in order: the field names, as serde writes
    /// them, so the list cannot drift from the struct.
    pub fn columns() -> Vec<String> {
        let blank = MonthRow {
            month: YearMonth {
                year: 2000,
                month: 1,
            },
            asic_it_mw: 0.0,
            gpu_it_mw: 0.0,
            facility_mw: 0.0,
            hashrate_ph_s: 0.0,
            asic_curtailed_mw: 0.0,
            btc_mined: 0.0,
            btc_price_usd: 0.0,
            network_hashrate_eh_s: 0.0,
            asic_revenue_usd: 0.0,
            gpu_revenue_usd: 0.0,
            energy_mwh: 0.0,
            energy_cost_usd: 0.0,
            opex_usd: 0.0,
            capex_usd: 0.0,
            net_cash_flow_usd: 0.0,
            cumulative_cash_usd: 0.0,
            gpu_it_mw_end: 0.0,
            flexibility: None,
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        // Writing to memory cannot fail; an empty list would fail the test below.
        if w.serialize(&blank).is_err() {
            return Vec::new();
        }
        let bytes = w.into_inner().unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let header = text.lines().next().unwrap_or_default();
        header.split(',').map(str::to_string).collect()
    }
}

/// Integrals accumulated over the current month.
#[derive(Debug, Clone, Default)]
struct MonthAccum {
    asic_w_days: f64,
    curtailed_w_days: f64,
    gpu_w_days: f64,
    facility_w_days: f64,
    billable_facility_w_days: f64,
    hash_gh_days: f64,
    /// Facility power (IT × PUE) of ASIC fleets mining, W·days.
    asic_facility_w_days: f64,
    btc: f64,
    lease_w_days: f64,
    rental_gpu_days: f64,
    capex_usd: f64,
    /// Opex beyond the fixed site opex: repairs, SLA credits, backup upkeep (issue 14).
    extra_opex_usd: f64,
    /// Per ASIC fleet that mined (model, cooling loop): facility W·days and BTC, kept
    /// only for hourly pricing, where each fleet curtails by its own revenue.
    fleets: Vec<FleetAccum>,
}

/// One ASIC fleet's integrals over the month.
#[derive(Debug, Clone, Copy)]
struct FleetAccum {
    model: usize,
    cooling: usize,
    facility_w_days: f64,
    it_w_days: f64,
    btc: f64,
}

/// The site's rates over a stretch of days in which nothing changes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rates {
    /// IT load of ASICs mining, W.
    pub mining_it_w: u64,
    /// Hashrate mining, GH/s.
    pub mining_gh_s: u64,
    /// BTC earned per GH/s per day.
    pub btc_per_gh_day: f64,
    /// IT load of ASICs switched off, W.
    pub curtailed_it_w: u64,
    /// GPU IT load, W.
    pub gpu_it_w: u64,
    /// Facility power drawn (IT × PUE, switched-off ASICs excluded), W.
    pub facility_w: f64,
    /// Facility power of ASICs mining (IT × PUE), W.
    pub mining_facility_w: f64,
    /// Part of it the tenant pays under a lease with power pass-through, W.
    pub passthrough_w: f64,
    /// GPU IT load under lease contracts, W.
    pub lease_it_w: u64,
    /// GPUs under rental contracts.
    pub rental_gpus: u64,
}

/// Turns the site's rates over time into monthly ledger rows.
pub struct Accountant {
    last_day: Day,
    month: u32,
    acc: MonthAccum,
    first_rental_month: Option<u32>,
    cumulative_usd: f64,
    rows: Vec<MonthRow>,
}

impl Accountant {
    /// Starts accounting at day 0 of `s`.
    pub fn new(s: &Scenario) -> Self {
        Self {
            last_day: 0,
            month: 0,
            acc: MonthAccum::default(),
            first_rental_month: None,
            cumulative_usd: 0.0,
            rows: Vec::with_capacity(s.calendar.months() as usize),
        }
    }

    /// The day accounted up to.
    pub fn last_day(&self) -> Day {
        self.last_day
    }

    /// The month being accounted (0-based).
    pub fn month(&self) -> u32 {
        self.month
    }

    /// Integrates `r` from the last update up to `now`. Call before the state changes.
    pub fn advance(&mut self, now: Day, r: &Rates) {
        if now <= self.last_day {
            return;
        }
        let days = f64::from(now - self.last_day);
        self.last_day = now;
        let a = &mut self.acc;
        a.asic_w_days += r.mining_it_w as f64 * days;
        a.curtailed_w_days += r.curtailed_it_w as f64 * days;
        a.gpu_w_days += r.gpu_it_w as f64 * days;
        a.facility_w_days += r.facility_w * days;
        a.billable_facility_w_days += (r.facility_w - r.passthrough_w) * days;
        a.asic_facility_w_days += r.mining_facility_w * days;
        a.lease_w_days += r.lease_it_w as f64 * days;
        a.rental_gpu_days += r.rental_gpus as f64 * days;
        a.hash_gh_days += r.mining_gh_s as f64 * days;
        a.btc += r.mining_gh_s as f64 * r.btc_per_gh_day * days;
    }

    /// Integrates one mining fleet's rates from the last update up to `now`; call for
    /// each fleet before [`Accountant::advance`] (which moves the last update on).
    pub fn advance_fleet(
        &mut self,
        now: Day,
        fleet: &crate::facility::curtail::FleetRun,
        btc_per_gh_day: f64,
    ) {
        if now <= self.last_day {
            return;
        }
        let days = f64::from(now - self.last_day);
        let fleets = &mut self.acc.fleets;
        let i = match fleets
            .iter()
            .position(|a| a.model == fleet.model && a.cooling == fleet.cooling)
        {
            Some(i) => i,
            None => {
                fleets.push(FleetAccum {
                    model: fleet.model,
                    cooling: fleet.cooling,
                    facility_w_days: 0.0,
                    it_w_days: 0.0,
                    btc: 0.0,
                });
                fleets.len() - 1
            }
        };
        fleets[i].facility_w_days += fleet.facility_w * days;
        fleets[i].it_w_days += fleet.it_w as f64 * days;
        fleets[i].btc += fleet.hashrate_gh_s as f64 * btc_per_gh_day * days;
    }

    /// Books capex now (in the current month).
    pub fn book_capex(&mut self, usd: f64) {
        self.acc.capex_usd += usd;
    }

    /// Books opex now (in the current month), on top of the fixed site opex: repairs,
    /// SLA credits and backup upkeep.
    pub fn book_opex(&mut self, usd: f64) {
        self.acc.extra_opex_usd += usd;
    }

    /// The month rental GPUs first ran, which starts their utilisation ramp.
    pub fn first_rental_month(&self) -> Option<u32> {
        self.first_rental_month
    }

    /// Notes that rental GPUs are running, starting their utilisation ramp if first.
    pub fn rental_energised(&mut self) {
        self.first_rental_month.get_or_insert(self.month);
    }

    /// Closes the current month (the caller has advanced to its last day + 1);
    /// `gpu_it_w_end` is the GPU IT load at its end.
    pub fn close_month(
        &mut self,
        s: &Scenario,
        market: &MarketPath,
        gpu_it_w_end: u64,
    ) -> &MonthRow {
        let m = self.month as usize;
        let label: YearMonth = s.calendar.label(self.month);
        let days = f64::from(label.days());
        let a = std::mem::take(&mut self.acc);
        let btc_price = market.btc_price_usd[m];
        let asic_revenue = a.btc * btc_price;
        let lease_revenue = match &s.markets.gpu_lease {
            Some(l) => a.lease_w_days / 1e3 / days * l.usd_per_kw_month,
            None => 0.0,
        };
        let rental_revenue = match &s.markets.gpu_rental {
            Some(r) => {
                a.rental_gpu_days
                    * HOURS_PER_DAY
                    * utilisation(r, self.first_rental_month, self.month)
                    * market.rental_usd_per_gpu_hour[m]
            }
            None => 0.0,
        };
        let gpu_revenue = lease_revenue + rental_revenue;
        let energy_cost =
            a.billable_facility_w_days * HOURS_PER_DAY / 1e6 * market.electricity_usd_per_mwh[m];
        // + 0.0 when nothing extra is booked: the fixed opex exactly.
        let opex = s.fixed_opex_usd_per_month + a.extra_opex_usd;
        let mut energy_mwh = a.facility_w_days * HOURS_PER_DAY / 1e6;
        let (mut btc_mined, mut asic_revenue, mut energy_cost) = (a.btc, asic_revenue, energy_cost);
        let flexibility = hourly(s, market, m, label.month, days, &a, lease_revenue);
        if let Some(f) = &flexibility {
            // Mining ran only in the hours it paid: BTC scales with the revenue kept.
            if asic_revenue > 0.0 {
                btc_mined *= f.mining_revenue_usd / asic_revenue;
            }
            asic_revenue = f.mining_revenue_usd;
            energy_cost = f.energy_cost_usd;
            let passthrough_mwh =
                (a.facility_w_days - a.billable_facility_w_days) * HOURS_PER_DAY / 1e6;
            energy_mwh = f.energy_mwh + passthrough_mwh;
        }
        let flex_net = flexibility.map_or(0.0, |f| f.flexibility_net_usd());
        let net = asic_revenue + gpu_revenue - energy_cost - opex - a.capex_usd + flex_net;
        self.cumulative_usd += net;
        self.rows.push(MonthRow {
            month: label,
            asic_it_mw: a.asic_w_days / days / 1e6,
            gpu_it_mw: a.gpu_w_days / days / 1e6,
            facility_mw: a.facility_w_days / days / 1e6,
            hashrate_ph_s: a.hash_gh_days / days / 1e6,
            asic_curtailed_mw: a.curtailed_w_days / days / 1e6,
            btc_mined,
            btc_price_usd: btc_price,
            network_hashrate_eh_s: market.network_hashrate_gh_s[m] / 1e9,
            asic_revenue_usd: asic_revenue,
            gpu_revenue_usd: gpu_revenue,
            energy_mwh,
            energy_cost_usd: energy_cost,
            opex_usd: opex,
            capex_usd: a.capex_usd,
            net_cash_flow_usd: net,
            cumulative_cash_usd: self.cumulative_usd,
            gpu_it_mw_end: gpu_it_w_end as f64 / 1e6,
            flexibility,
        });
        self.month += 1;
        self.rows.last().expect("row just pushed")
    }

    /// The closed months.
    pub fn into_rows(self) -> Vec<MonthRow> {
        self.rows
    }
}

/// The month priced by the hour (`price_shape::month::ledger_month`) when the world has
/// `power_prices` or `flexibility`; `None` otherwise, so other worlds price as before.
fn hourly(
    s: &Scenario,
    market: &MarketPath,
    m: usize,
    calendar_month: u32,
    days: f64,
    a: &MonthAccum,
    lease_revenue_usd: f64,
) -> Option<crate::price_shape::month::SiteMonth> {
    if !hourly_pricing(s) {
        return None;
    }
    let fleets: Vec<crate::price_shape::month::FleetMonth> = a
        .fleets
        .iter()
        .map(|f| crate::price_shape::month::FleetMonth {
            facility_w_days: f.facility_w_days,
            it_w_days: f.it_w_days,
            revenue_usd: f.btc * market.btc_price_usd[m],
        })
        .collect();
    Some(crate::price_shape::month::ledger_month(
        s.power_prices.as_ref(),
        &s.flexibility.unwrap_or_default(),
        &crate::price_shape::month::LedgerMonth {
            calendar_month,
            days,
            asic_facility_w_days: a.asic_facility_w_days,
            facility_w_days: a.facility_w_days,
            billable_facility_w_days: a.billable_facility_w_days,
            asic_revenue_usd: a.btc * market.btc_price_usd[m],
            lease_revenue_usd,
            site_usd_per_mwh: market.electricity_usd_per_mwh[m],
            pool_fee_share: crate::facility::curtail::pool_fee_share(s),
            opex_usd_per_it_mwh: crate::facility::curtail::marginal_opex_usd_per_it_mwh(
                s,
                days * 24.0,
            ),
        },
        &fleets,
    ))
}

/// True when the world prices power by the hour (`power_prices`) or has `flexibility`
/// terms: the ledger then prices each month through a duration curve, fleet by fleet.
pub fn hourly_pricing(s: &Scenario) -> bool {
    s.power_prices.is_some() || s.flexibility.is_some()
}

/// Share of GPU-hours sold in `month`: a linear ramp from `utilisation_start` in the
/// month rental GPUs first energise to `utilisation_target` `ramp_months` later.
pub fn utilisation(r: &crate::scenario::Rental, first: Option<u32>, month: u32) -> f64 {
    let Some(first) = first else {
        return 0.0;
    };
    if r.ramp_months == 0 {
        return r.utilisation_target;
    }
    let k = f64::from(month.saturating_sub(first)).min(f64::from(r.ramp_months));
    r.utilisation_start
        + (r.utilisation_target - r.utilisation_start) * k / f64::from(r.ramp_months)
}

/// Net present value of monthly cash flows at an annual rate, each flow discounted from
/// the end of its month: `Σ cf_m / (1 + r)^((m + 1) / 12)`.
pub fn npv(rate_per_year: f64, flows: impl IntoIterator<Item = f64>) -> f64 {
    flows
        .into_iter()
        .enumerate()
        .map(|(m, cf)| cf / (1.0 + rate_per_year).powf((m as f64 + 1.0) / 12.0))
        .sum()
}

/// The payback rule is the one of every cumulative cash series (project and equity), so
/// it lives with the other return figures.
pub use crate::finance::returns::{Payback, payback};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_the_month_row_fields_in_order() {
        let cols = MonthRow::columns();
        assert_eq!(cols.len(), 18);
        assert_eq!(cols[0], "month");
        assert_eq!(cols[5], "asic_curtailed_mw");
        assert_eq!(cols.last().map(String::as_str), Some("gpu_it_mw_end"));
    }

    #[test]
    fn npv_discounts_a_year_end_flow_by_one_period() {
        let mut flows = vec![0.0; 12];
        flows[11] = 110.0;
        assert!((npv(0.10, flows) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn utilisation_ramps_linearly_then_holds() {
        let r = crate::scenario::Rental {
            usd_per_gpu_hour: 2.0,
            decline_per_year: 0.0,
            volatility_per_year: 0.0,
            utilisation_start: 0.2,
            utilisation_target: 0.8,
            ramp_months: 6,
        };
        assert_eq!(utilisation(&r, None, 5), 0.0);
        assert!((utilisation(&r, Some(2), 2) - 0.2).abs() < 1e-12);
        assert!((utilisation(&r, Some(2), 5) - 0.5).abs() < 1e-12);
        assert!((utilisation(&r, Some(2), 40) - 0.8).abs() < 1e-12);
    }
}
