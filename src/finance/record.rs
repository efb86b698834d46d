//! Builds a [`FinanceInput`] while a run goes: the engine tells the [`Recorder`] the
//! site's rates between events, the capex it books and the halls' milestones; the
//! recorder integrates them per month exactly as the ledger does (rates × days between
//! events), so finance sees the same months the ledger does.

use super::capital::{AsicLot, CapexEvent};
use super::{FinanceInput, HallMilestones, HallMonth, MonthInput};

/// One GPU hall's rates between two events.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HallRates {
    /// Leased GPU IT energised, W.
    pub leased_it_w: u64,
    /// Facility power of the leased IT (IT × PUE), W.
    pub leased_facility_w: f64,
    /// Rented (site-owned) GPU IT energised, W.
    pub rented_it_w: u64,
    /// Facility power of the rented IT, W.
    pub rented_facility_w: f64,
    /// Rented GPUs energised.
    pub rented_gpus: u64,
}

/// The site's rates between two events, as finance needs them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FinanceRates {
    /// ASIC IT mining, W.
    pub mining_it_w: u64,
    /// Facility power of the mining ASICs, W.
    pub mining_facility_w: f64,
    /// IT capacity built but not earning (switched-off miners, emptied halls), W.
    pub idle_it_w: u64,
    /// Per GPU hall.
    pub halls: Vec<HallRates>,
}

/// What the ledger knows at a month end that finance needs too.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MonthClose {
    /// First day of the month.
    pub first_day: u32,
    /// Days in it.
    pub days: u32,
    /// Month of the year, 1..=12.
    pub month_of_year: u32,
    /// Electricity price, USD/MWh.
    pub electricity_usd_per_mwh: f64,
    /// Mining revenue the ledger booked, USD.
    pub mining_revenue_usd: f64,
    /// The miners' electricity as the ledger priced it hour by hour (worlds with an
    /// hourly price shape or flexibility terms), USD; `None` prices the mining facility
    /// power at the month's flat price. Taking the ledger's figure keeps finance on the
    /// hours the fleets actually ran.
    pub mining_energy_cost_usd: Option<f64>,
    /// What the GPU halls' power costs per MWh of the energy they draw running every
    /// hour, as the ledger priced it hour by hour (the month's time-weighted mean, less
    /// any hours curtailed under an obligation: `SiteMonth::firm_usd_per_mwh`); `None`
    /// prices it at the month's flat price.
    pub firm_usd_per_mwh: Option<f64>,
    /// Share of the energised miners' IT-hours the ledger's hourly rule actually ran
    /// (`SiteMonth::flexible_it_run_share`); `None` when the ledger did not price the
    /// month by the hour. Finance counts the rest as idle MW, not mining MW, so the
    /// hours the rule curtails save mining opex as the rule assumed.
    pub mining_it_run_share: Option<f64>,
    /// Revenue per rented GPU-hour this month (price × utilisation), USD.
    pub rental_usd_per_gpu_hour: f64,
    /// Hashprice this month, USD per PH/s per day.
    pub hashprice_usd_per_ph_day: f64,
    /// The ledger's grid credits: demand-response / ancillary credit, USD.
    pub grid_credit_usd: f64,
    /// The ledger's grid charges: coincident-peak charge the site pays and SLA credits
    /// owed under a curtailment obligation, USD.
    pub grid_charges_usd: f64,
    /// The ledger's opex beyond the fixed site opex: repairs, availability SLA credits
    /// and backup upkeep, USD.
    pub reliability_opex_usd: f64,
}

#[derive(Debug, Clone, Default)]
struct Accum {
    mining_w_days: f64,
    mining_facility_w_days: f64,
    idle_w_days: f64,
    halls: Vec<[f64; 5]>,
}

/// Integrates a run's rates into finance months.
#[derive(Debug, Clone)]
pub struct Recorder {
    last_day: u32,
    acc: Accum,
    input: FinanceInput,
    /// ASICs sold in the open month: (model, TH/s, in-service month).
    decommissioned: Vec<(usize, f64, i64)>,
}

impl Recorder {
    /// A recorder for `halls` GPU halls.
    pub fn new(halls: usize) -> Self {
        Self {
            last_day: 0,
            acc: Accum {
                halls: vec![[0.0; 5]; halls],
                ..Accum::default()
            },
            input: FinanceInput {
                halls: vec![HallMilestones::default(); halls],
                ..FinanceInput::default()
            },
            decommissioned: Vec::new(),
        }
    }

    /// Integrates `r` from the last update up to `now`.
    pub fn advance(&mut self, now: u32, r: &FinanceRates) {
        if now <= self.last_day {
            return;
        }
        let days = f64::from(now - self.last_day);
        self.last_day = now;
        let a = &mut self.acc;
        a.mining_w_days += r.mining_it_w as f64 * days;
        a.mining_facility_w_days += r.mining_facility_w * days;
        a.idle_w_days += r.idle_it_w as f64 * days;
        for (h, hr) in a.halls.iter_mut().zip(&r.halls) {
            h[0] += hr.leased_it_w as f64 * days;
            h[1] += hr.leased_facility_w * days;
            h[2] += hr.rented_it_w as f64 * days;
            h[3] += hr.rented_facility_w * days;
            h[4] += hr.rented_gpus as f64 * days;
        }
    }

    /// Books a capex line item.
    pub fn capex(&mut self, e: CapexEvent) {
        self.input.capex.push(e);
    }

    /// The capex items booked so far, to fill in their milestones.
    pub fn capex_items_mut(&mut self) -> &mut [CapexEvent] {
        &mut self.input.capex
    }

    /// Hall `h`'s equipment was delivered on `day` (the first delivery counts).
    pub fn hall_delivered(&mut self, h: usize, day: u32) {
        if let Some(m) = self.input.halls.get_mut(h) {
            m.delivered_day.get_or_insert(day);
        }
    }

    /// Hall `h` energised on `day` (the first energisation counts).
    pub fn hall_energised(&mut self, h: usize, day: u32) {
        if let Some(m) = self.input.halls.get_mut(h) {
            m.energised_day.get_or_insert(day);
        }
    }

    /// The day hall `h` first energised, if it has.
    pub fn energised_day(&self, h: usize) -> Option<u32> {
        self.input.halls.get(h)?.energised_day
    }

    /// Hall `h`'s energised leased GPU IT so far in the open month, averaged over the
    /// month's `days` days, kW: at month end, what the month's row will hold.
    pub fn open_month_leased_kw(&self, h: usize, days: u32) -> f64 {
        self.acc
            .halls
            .get(h)
            .map_or(0.0, |a| a[0] / f64::from(days.max(1)) / 1e3)
    }

    /// The month now open, counted from the run's first (0-based).
    pub fn month(&self) -> i64 {
        self.input.months.len() as i64
    }

    /// ASICs of model `model` (index among ASIC models) with `th` TH/s, in service
    /// since month `in_service_month` (negative: before the run), were decommissioned
    /// this month; they are sold at their age when the month closes.
    pub fn decommissioned(&mut self, model: usize, th: f64, in_service_month: i64) {
        self.decommissioned.push((model, th, in_service_month));
    }

    /// ASICs still installed when the run ends (call after the last month closed):
    /// valued at their resale in the last month (docs/model.md, "Terminal value").
    pub fn at_horizon(&mut self, model: usize, th: f64, in_service_month: i64) {
        let last = self.month() - 1;
        self.input
            .asic_at_horizon
            .push(lot(model, th, last, in_service_month));
    }

    /// Closes a month (the caller has advanced to its last day + 1).
    pub fn close_month(&mut self, c: &MonthClose) {
        let acc = std::mem::take(&mut self.acc);
        self.acc.halls = vec![[0.0; 5]; acc.halls.len()];
        let days = f64::from(c.days.max(1));
        let usd_per_w_day = 24.0 / 1e6 * c.electricity_usd_per_mwh;
        // GPU halls are firm load: on an hourly shape they pay its time-weighted mean.
        let firm_usd_per_w_day =
            24.0 / 1e6 * c.firm_usd_per_mwh.unwrap_or(c.electricity_usd_per_mwh);
        let halls = acc
            .halls
            .iter()
            .map(|h| HallMonth {
                leased_mw: h[0] / days / 1e6,
                leased_energy_cost_usd: h[1] * firm_usd_per_w_day,
                rented_mw: h[2] / days / 1e6,
                rented_energy_cost_usd: h[3] * firm_usd_per_w_day,
                rental_revenue_usd: h[4] * 24.0 * c.rental_usd_per_gpu_hour,
            })
            .collect();
        let month = self.month();
        let decommissioned = std::mem::take(&mut self.decommissioned)
            .into_iter()
            .map(|(model, th, since)| lot(model, th, month, since))
            .collect();
        // Hours curtailed by the hourly rule move from mining to idle (without hourly
        // pricing the segment rule's switched-off fleets are already idle).
        let (mining_w_days, idle_w_days) = match c.mining_it_run_share {
            Some(run) => {
                let mining = acc.mining_w_days * run;
                (mining, acc.idle_w_days + (acc.mining_w_days - mining))
            }
            None => (acc.mining_w_days, acc.idle_w_days),
        };
        self.input.months.push(MonthInput {
            first_day: c.first_day,
            days: c.days,
            month_of_year: c.month_of_year,
            asic_mining_mw: mining_w_days / days / 1e6,
            idle_mw: idle_w_days / days / 1e6,
            mining_revenue_usd: c.mining_revenue_usd,
            mining_energy_cost_usd: c
                .mining_energy_cost_usd
                .unwrap_or(acc.mining_facility_w_days * usd_per_w_day),
            other_energy_cost_usd: 0.0,
            halls,
            asic_decommissioned: decommissioned,
            hashprice_usd_per_ph_day: c.hashprice_usd_per_ph_day,
            grid_credit_usd: c.grid_credit_usd,
            grid_charges_usd: c.grid_charges_usd,
            reliability_opex_usd: c.reliability_opex_usd,
        });
    }

    /// The finished input.
    pub fn finish(self) -> FinanceInput {
        self.input
    }
}

/// A lot of `th` TH/s in month `month`, aged from `in_service_month` (whole months,
/// never negative).
fn lot(model: usize, th: f64, month: i64, in_service_month: i64) -> AsicLot {
    AsicLot {
        model,
        th,
        age_months: u32::try_from(month - in_service_month).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_integrate_into_month_averages_and_costs() {
        let mut r = Recorder::new(1);
        let hall = HallRates {
            leased_it_w: 10_000_000,
            leased_facility_w: 13_000_000.0,
            ..HallRates::default()
        };
        let before = FinanceRates {
            mining_it_w: 2_000_000,
            mining_facility_w: 2_400_000.0,
            halls: vec![HallRates::default()],
            ..FinanceRates::default()
        };
        let after = FinanceRates {
            halls: vec![hall],
            idle_it_w: 2_000_000,
            ..FinanceRates::default()
        };
        r.advance(10, &before);
        r.hall_energised(0, 10);
        r.hall_energised(0, 20);
        r.advance(30, &after);
        // Units in service since 20 months before the run are 20 months old.
        r.decommissioned(0, 1_000.0, -20);
        r.close_month(&MonthClose {
            first_day: 0,
            days: 30,
            month_of_year: 1,
            electricity_usd_per_mwh: 40.0,
            mining_revenue_usd: 5.0,
            mining_energy_cost_usd: None,
            firm_usd_per_mwh: None,
            rental_usd_per_gpu_hour: 0.0,
            hashprice_usd_per_ph_day: 40.0,
            ..MonthClose::default()
        });
        let input = r.finish();
        let m = &input.months[0];
        assert!((m.asic_mining_mw - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.idle_mw - 4.0 / 3.0).abs() < 1e-12);
        assert!((m.halls[0].leased_mw - 20.0 / 3.0).abs() < 1e-12);
        // 2.4 MW × 240 h × $40 and 13 MW × 480 h × $40.
        assert!((m.mining_energy_cost_usd - 2.4 * 240.0 * 40.0).abs() < 1e-6);
        assert!((m.halls[0].leased_energy_cost_usd - 13.0 * 480.0 * 40.0).abs() < 1e-6);
        let sold = AsicLot {
            model: 0,
            th: 1_000.0,
            age_months: 20,
        };
        assert_eq!(m.asic_decommissioned, vec![sold]);
        // Still running at the horizon: aged to the last month (month 0 here).
        let mut r2 = Recorder::new(0);
        r2.close_month(&MonthClose {
            first_day: 0,
            days: 31,
            month_of_year: 1,
            electricity_usd_per_mwh: 40.0,
            mining_revenue_usd: 0.0,
            mining_energy_cost_usd: None,
            firm_usd_per_mwh: None,
            rental_usd_per_gpu_hour: 0.0,
            hashprice_usd_per_ph_day: 40.0,
            ..MonthClose::default()
        });
        r2.at_horizon(0, 500.0, -7);
        assert_eq!(r2.finish().asic_at_horizon[0].age_months, 7);
        assert_eq!(input.halls[0].energised_day, Some(10));
    }

    #[test]
    fn hours_the_hourly_rule_curtails_count_as_idle_not_mining() {
        // 3 MW of miners energised all month, 1 MW idle; the hourly rule ran them a
        // quarter of the hours: 0.75 MW mines on average, 3.25 MW is idle.
        let rates = FinanceRates {
            mining_it_w: 3_000_000,
            mining_facility_w: 3_300_000.0,
            idle_it_w: 1_000_000,
            ..FinanceRates::default()
        };
        let close = |share: Option<f64>| {
            let mut r = Recorder::new(0);
            r.advance(30, &rates);
            r.close_month(&MonthClose {
                days: 30,
                mining_it_run_share: share,
                ..MonthClose::default()
            });
            r.finish().months[0].clone()
        };
        let hourly = close(Some(0.25));
        assert_eq!(hourly.asic_mining_mw, 0.75);
        assert_eq!(hourly.idle_mw, 3.25);
        // Every hour run, or no hourly pricing: exactly the integrated rates.
        for share in [Some(1.0), None] {
            let m = close(share);
            assert_eq!((m.asic_mining_mw, m.idle_mw), (3.0, 1.0));
        }
    }
}
