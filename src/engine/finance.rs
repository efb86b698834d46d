//! What the finance layer needs from a run, recorded as it goes: the site's rates
//! between events per GPU hall, every capex line item with its order, delivery and
//! installation days, the halls' delivery and energisation, and the ASICs retired.
//! Only worlds with a `finance` section pay for any of it.

use super::EventRecord;
use super::Sim;
use crate::calendar::Day;
use crate::facility::curtail::Operating;
pub(super) use crate::finance::capital::units_item;
use crate::finance::capital::{AssetClass, CapexEvent};
use crate::finance::debt::CovenantBreach;
use crate::finance::record::{FinanceRates, HallRates, MonthClose, Recorder};
use crate::finance::{self, FinanceDraws, FinanceResult, FinanceTerms};
use crate::ledger::utilisation;
use crate::scenario::{ActionSpec, Contract, EquipmentRef, ModelKind, Scenario};

/// A hall: the GPU `InstallUnits` step that fills it, its rack group, IT W and PUE.
#[derive(Debug, Clone, Copy)]
struct Hall {
    step: usize,
    group: usize,
    it_w: u64,
    pue: f64,
    leased: bool,
    gpus: u64,
}

/// ASICs installed in a rack group: what they would sell for depends on their model,
/// hashrate and age.
#[derive(Debug, Clone, Copy)]
struct Fleet {
    /// Index among ASIC models.
    model: usize,
    th: f64,
    /// Their IT load, W (what stops counting as idle when the sale rule sells them).
    it_w: u64,
    /// Month they went into service, from the run's first (negative: before the run).
    in_service_month: i64,
}

/// Finance bookkeeping of one run.
pub(super) struct Track {
    rec: Recorder,
    halls: Vec<Hall>,
    /// Hall index of each plan step.
    hall_of_step: Vec<Option<usize>>,
    /// Index among ASIC models of each model.
    asic_of_model: Vec<Option<usize>>,
    /// Asset class of each capex item, by name.
    classes: Vec<(String, AssetClass)>,
    /// ASICs in each rack group now (sold when it is decommissioned, valued at the
    /// horizon if still there).
    fleets: Vec<Option<Fleet>>,
    /// Consecutive closed months in which ASICs were installed and mined nothing (the
    /// sale rule, `capital.sell_idle_asics_after_months`).
    idle_asic_months: u32,
    /// IT of the ASICs that rule sold, W: no longer idle capacity (no idle opex).
    sold_asic_it_w: u64,
}

impl Track {
    /// Bookkeeping for `s` when it has finance terms; `pue` is this run's PUE per
    /// cooling loop (a hall's facility power is its IT × its loop's drawn PUE).
    pub(super) fn new(s: &Scenario, pue: &[f64]) -> Option<Self> {
        let spec = s.finance.as_ref()?;
        let mut halls = Vec::new();
        let mut hall_of_step = vec![None; s.plan.len()];
        for (i, st) in s.plan.iter().enumerate() {
            let ActionSpec::InstallUnits {
                group,
                model,
                per_rack,
                contract,
            } = st.action
            else {
                continue;
            };
            let m = &s.models[model];
            let ModelKind::Gpu { gpus } = m.kind else {
                continue;
            };
            let units = u64::from(per_rack) * u64::from(s.racks[group].count);
            hall_of_step[i] = Some(halls.len());
            halls.push(Hall {
                step: i,
                group,
                it_w: units * m.power_w,
                pue: pue[s.racks[group].cooling],
                leased: contract == Contract::Lease,
                gpus: units * u64::from(gpus),
            });
        }
        let mut k = 0;
        let asic_of_model: Vec<Option<usize>> = s
            .models
            .iter()
            .map(|m| {
                matches!(m.kind, ModelKind::Asic { .. }).then(|| {
                    k += 1;
                    k - 1
                })
            })
            .collect();
        let fleets = s
            .racks
            .iter()
            .map(|g| {
                let (model, per_rack) = g.initial?;
                fleet(
                    s,
                    &asic_of_model,
                    g.count,
                    model,
                    per_rack,
                    -i64::from(g.initial_age_months),
                )
            })
            .collect();
        Some(Self {
            rec: Recorder::new(halls.len()),
            halls,
            hall_of_step,
            asic_of_model,
            classes: spec.classes.clone(),
            fleets,
            idle_asic_months: 0,
            sold_asic_it_w: 0,
        })
    }

    fn class_of(&self, item: &str) -> AssetClass {
        self.class_or(item, AssetClass::Building)
    }

    /// The class the finance section names for `item`, else `default`.
    fn class_or(&self, item: &str, default: AssetClass) -> AssetClass {
        self.classes
            .iter()
            .find(|(n, _)| n == item)
            .map_or(default, |c| c.1)
    }
}

/// The ASIC fleet `count` racks of `per_rack` units of `model` make, in service since
/// `in_service_month`; `None` for GPUs.
fn fleet(
    s: &Scenario,
    asic_of_model: &[Option<usize>],
    count: u32,
    model: usize,
    per_rack: u32,
    in_service_month: i64,
) -> Option<Fleet> {
    let ModelKind::Asic { hashrate_gh_s } = s.models[model].kind else {
        return None;
    };
    let units = f64::from(per_rack) * f64::from(count);
    Some(Fleet {
        model: asic_of_model[model]?,
        th: units * hashrate_gh_s as f64 / 1e3,
        it_w: u64::from(per_rack) * u64::from(count) * s.models[model].power_w,
        in_service_month,
    })
}

impl Sim<'_> {
    /// Integrates finance rates up to `now` (after the accountant has).
    pub(super) fn fin_advance(&mut self, now: Day, op: &Operating) {
        let Some(t) = self.fin.as_mut() else { return };
        let halls: Vec<HallRates> = t
            .halls
            .iter()
            .map(|h| {
                if self.energised_by[h.group] != Some(h.step) {
                    return HallRates::default();
                }
                let facility = h.it_w as f64 * h.pue;
                if h.leased {
                    HallRates {
                        leased_it_w: h.it_w,
                        leased_facility_w: facility,
                        ..HallRates::default()
                    }
                } else {
                    HallRates {
                        rented_it_w: h.it_w,
                        rented_facility_w: facility,
                        rented_gpus: h.gpus,
                        ..HallRates::default()
                    }
                }
            })
            .collect();
        let hall_facility: f64 = halls
            .iter()
            .map(|h| h.leased_facility_w + h.rented_facility_w)
            .sum();
        // GPUs a site starts with (no shipped world has any) count with the miners.
        let mining_facility_w =
            (self.f.facility_w() - op.curtailed_facility_w - hall_facility).max(0.0);
        // ASICs the sale rule sold leave the idle capacity: nothing is kept for them.
        let busy = op.mining_it_w + self.f.totals.gpu_it_w + t.sold_asic_it_w;
        let rates = FinanceRates {
            mining_it_w: op.mining_it_w,
            mining_facility_w,
            idle_it_w: self.peak_it_w.saturating_sub(busy),
            halls,
        };
        t.rec.advance(now, &rates);
    }

    /// Closes finance month `m` with the ledger's `row` for it: its mining revenue, its
    /// grid credits and charges and its reliability opex and, when the ledger priced the
    /// month by the hour, the miners' energy cost and the firm GPU halls' price per MWh.
    pub(super) fn fin_close_month(&mut self, m: u32, row: &crate::ledger::MonthRow) {
        let s = self.s;
        if self.fin.is_none() {
            return;
        }
        let hashprice = self.hashprice_usd_per_ph_day(m);
        let Some(t) = self.fin.as_mut() else { return };
        let label = s.calendar.label(m);
        let rental = match &s.markets.gpu_rental {
            Some(r) => {
                utilisation(r, self.acc.first_rental_month(), m)
                    * self.d.market.rental_usd_per_gpu_hour[m as usize]
            }
            None => 0.0,
        };
        t.rec.close_month(&MonthClose {
            first_day: s.calendar.month_start(m),
            days: label.days(),
            month_of_year: label.month,
            electricity_usd_per_mwh: self.d.market.electricity_usd_per_mwh[m as usize],
            mining_revenue_usd: row.asic_revenue_usd,
            mining_energy_cost_usd: row.flexibility.map(|f| f.flexible_energy_cost_usd),
            firm_usd_per_mwh: row.flexibility.map(|f| f.firm_usd_per_mwh),
            mining_it_run_share: row.flexibility.map(|f| f.flexible_it_run_share),
            rental_usd_per_gpu_hour: rental,
            hashprice_usd_per_ph_day: hashprice,
            grid_credit_usd: row.flexibility.map_or(0.0, |f| f.dr_credit_usd),
            grid_charges_usd: row
                .flexibility
                .map_or(0.0, |f| f.peak_charge_paid_usd + f.sla_credits_usd),
            // The ledger's opex is the fixed site opex plus what reliability booked;
            // finance has its own fixed opex (by state), so it takes only the rest.
            reliability_opex_usd: row.opex_usd - s.fixed_opex_usd_per_month,
        });
    }

    /// Share of the energised leased GPU IT whose power the tenant pays: each leased
    /// hall under its finance lease's `power_pass_through`, a leased hall without one
    /// under `market_pass` (the `gpu_lease` market's). `None` without finance leases or
    /// while no leased hall is energised (the market's flag then decides).
    pub(super) fn lease_passthrough_share(&self, market_pass: bool) -> Option<f64> {
        let t = self.fin.as_ref()?;
        let (terms, _) = self.d.finance.as_ref()?;
        if terms.leases.is_empty() {
            return None;
        }
        let (mut passed, mut all) = (0u64, 0u64);
        for (i, h) in t.halls.iter().enumerate() {
            if !h.leased || self.energised_by[h.group] != Some(h.step) {
                continue;
            }
            let pass = terms
                .leases
                .iter()
                .find(|l| l.hall == i)
                .map_or(market_pass, |l| l.power_pass_through);
            all += h.it_w;
            if pass {
                passed += h.it_w;
            }
        }
        // passed == all gives exactly 1.0: a site whose leases all pass power through
        // prices as it did.
        (all > 0).then(|| passed as f64 / all as f64)
    }

    /// Rent the finance leases on rack group `g`'s halls bill in month `m`, before any
    /// prepayment credit, as the finance layer bills it: this run's (possibly sampled)
    /// rate, escalated on each anniversary, in its renewal term, on contracted or
    /// energised kW. `None` when no finance lease covers the group. Called at month end,
    /// once the month's rates are integrated.
    pub(super) fn lease_rent_usd(&self, g: usize, m: u32) -> Option<f64> {
        let t = self.fin.as_ref()?;
        let (terms, draws) = self.d.finance.as_ref()?;
        let cal = &self.s.calendar;
        let (first, days) = (cal.month_start(m), cal.label(m).days());
        let mut rent = None;
        for (i, l) in terms.leases.iter().enumerate() {
            if t.halls.get(l.hall).is_none_or(|h| h.group != g) {
                continue;
            }
            let total = rent.get_or_insert(0.0);
            let energised = t.rec.energised_day(l.hall);
            let Some(day) = l.commencement_day(energised).filter(|&d| d < cal.end()) else {
                continue;
            };
            let month = cal.month_of(day);
            let exercised = draws.lease_renewals.get(i).copied().unwrap_or(0);
            let clock = l.clock_at(month as usize, day - cal.month_start(month), exercised);
            // Share of the month on or after energisation, as `Timeline::share_from`.
            let share = energised.map_or(0.0, |e| {
                f64::from((first + days).saturating_sub(e.max(first)).min(days)) / f64::from(days)
            });
            let kw = t.rec.open_month_leased_kw(l.hall, days);
            *total += l.billed_usd(&clock, m as usize, days, share, kw);
        }
        rent
    }

    /// Hashprice in month `m` at the block subsidy now, USD per PH/s per day: what a
    /// PH/s earns a day, `144 × (subsidy + fees) × price / network hashrate`.
    fn hashprice_usd_per_ph_day(&self, m: u32) -> f64 {
        let econ = crate::facility::curtail::MiningEconomics::new(
            self.s,
            &self.d.market,
            m as usize,
            self.subsidy_btc,
        );
        econ.btc_per_gh_day * econ.btc_price_usd * 1e6
    }

    /// Books a capex line item ordered (or started) today.
    pub(super) fn fin_capex(&mut self, item: &str, cost_usd: f64) {
        let Some(class) = self.fin.as_ref().map(|t| t.class_of(item)) else {
            return;
        };
        self.fin_book_capex(item, class, cost_usd, None);
    }

    /// Books reliability capex (a spare, a backup set, a replacement) bought today:
    /// its class is the one the finance section names for `class_item` (the spare or
    /// backup itself, or the equipment a replacement replaces), else electrical (the
    /// shipped spares and backup are transformers, generators and UPS). `on_site` marks
    /// it delivered and installed today (a spare on the shelf, a replacement swapped in);
    /// otherwise its milestones come later ([`Sim::fin_milestone`]).
    pub(super) fn fin_reliability_capex(
        &mut self,
        item: &str,
        class_item: &str,
        cost_usd: f64,
        on_site: bool,
    ) {
        let Some(class) = self
            .fin
            .as_ref()
            .map(|t| t.class_or(class_item, AssetClass::Electrical))
        else {
            return;
        };
        let day = on_site.then_some(self.now);
        self.fin_book_capex(item, class, cost_usd, day);
    }

    /// Books a capex line ordered today, delivered and installed on `day` if known
    /// (else at its later milestones); nothing without a finance section or cost.
    fn fin_book_capex(&mut self, item: &str, class: AssetClass, cost_usd: f64, day: Option<u32>) {
        let now = self.now;
        let Some(t) = self.fin.as_mut() else { return };
        if cost_usd <= 0.0 {
            return;
        }
        t.rec.capex(CapexEvent {
            item: item.to_string(),
            class,
            cost_usd,
            ordered_day: now,
            delivered_day: day,
            installed_day: day,
        });
    }

    /// Marks capex items delivered (`installed == false`) or installed today.
    pub(super) fn fin_milestone(&mut self, item: &str, installed: bool) {
        let now = self.now;
        let Some(t) = self.fin.as_mut() else { return };
        for e in t
            .rec
            .capex_items_mut()
            .iter_mut()
            .filter(|e| e.item == item)
        {
            let day = if installed {
                &mut e.installed_day
            } else {
                &mut e.delivered_day
            };
            day.get_or_insert(now);
        }
    }

    /// Equipment `e` was delivered (`installed == false`) or installed today.
    pub(super) fn fin_equipment(&mut self, e: EquipmentRef, installed: bool) {
        if self.fin.is_some() {
            let id = self.s.equipment_id(e).to_string();
            self.fin_milestone(&id, installed);
        }
    }

    /// Plan step `i` began its work: a GPU hall's racks are handed over.
    pub(super) fn fin_work_began(&mut self, i: usize) {
        let now = self.now;
        let Some(t) = self.fin.as_mut() else { return };
        if let Some(h) = t.hall_of_step[i] {
            t.rec.hall_delivered(h, now);
        }
    }

    /// Plan step `i` energised its units today: a GPU hall starts, or ASICs go into
    /// service (their resale ages from this month).
    pub(super) fn fin_energised(&mut self, i: usize) {
        let (s, now) = (self.s, self.now);
        let Some(t) = self.fin.as_mut() else { return };
        if let Some(h) = t.hall_of_step[i] {
            t.rec.hall_energised(h, now);
        }
        if let ActionSpec::InstallUnits {
            group,
            model,
            per_rack,
            ..
        } = s.plan[i].action
        {
            let count = s.racks[group].count;
            let month = t.rec.month();
            t.fleets[group] = fleet(s, &t.asic_of_model, count, model, per_rack, month);
        }
        let units = units_item(&self.s.plan[i].id);
        self.fin_milestone(&units, true);
    }

    /// Rack group `g` is being decommissioned: its ASICs go for salvage, aged from
    /// their in-service month.
    pub(super) fn fin_decommission(&mut self, g: usize) {
        let Some(t) = self.fin.as_mut() else { return };
        if let Some(f) = t.fleets[g].take() {
            t.rec.decommissioned(f.model, f.th, f.in_service_month);
        }
    }

    /// The sale rule (`capital.sell_idle_asics_after_months = n`), when month `m` has
    /// closed with the ledger's `row`: a month counts as idle when ASICs were installed
    /// and mined nothing (every fleet curtailed, or dark, all month; by the hour, no
    /// hour run). After `n` idle months in a row every ASIC still installed is sold
    /// today, the first day of the next month: the finance recorder books it as salvage
    /// in that month at its age and hashprice, and its IT stops counting as idle. A
    /// month that mines resets the count. Nothing happens without the rule.
    pub(super) fn fin_sell_idle_asics(&mut self, m: u32, row: &crate::ledger::MonthRow) {
        let rule = self.d.finance.as_ref();
        let Some(n) = rule.and_then(|(t, _)| t.capital.sell_idle_asics_after_months) else {
            return;
        };
        let Some(t) = self.fin.as_mut() else { return };
        if t.fleets.iter().all(Option::is_none) {
            return;
        }
        t.idle_asic_months = if row.asic_revenue_usd == 0.0 {
            t.idle_asic_months + 1
        } else {
            0
        };
        if t.idle_asic_months < n {
            return;
        }
        let groups: Vec<usize> = (0..t.fleets.len())
            .filter(|&g| t.fleets[g].is_some())
            .collect();
        t.idle_asic_months = 0;
        for g in groups {
            self.sell_idle_group(g, n, m);
        }
    }

    /// Sells rack group `g`'s ASICs as the sale rule decided after month `m`, the
    /// `n`th idle month in a row: the units go as a decommissioning takes them.
    fn sell_idle_group(&mut self, g: usize, n: u32, m: u32) {
        let s = self.s;
        // The whole fleet leaves the idle capacity, units dark after a failure included.
        if let Some(t) = self.fin.as_mut() {
            t.sold_asic_it_w += t.fleets[g].map_or(0, |f| f.it_w);
        }
        let freed = self.take_out_group(g);
        let month = s.calendar.label(m);
        self.log("sold-idle", s.rack_group_name(g), || {
            format!(
                "ASICs sold: no mining in the {n} months to {month}; {:.2} MW of IT load freed",
                freed as f64 / 1e6
            )
        });
    }

    /// The finance result of the finished run.
    pub(super) fn fin_finish(&mut self) -> Option<FinanceResult> {
        let mut t = self.fin.take()?;
        let (terms, draws): &(FinanceTerms, FinanceDraws) = self.d.finance.as_ref()?;
        for f in t.fleets.iter().flatten() {
            t.rec.at_horizon(f.model, f.th, f.in_service_month);
        }
        Some(finance::compute(terms, &t.rec.finish(), draws))
    }
}

/// Writes each covenant breach into the event log on the last day of its month (the
/// covenant is tested when the month closes), after the events already logged that
/// day, so the log stays in time order: `covenant-breach`, the tranche, and its
/// trailing-12 DSCR against the covenant level.
pub(super) fn log_breaches(
    s: &Scenario,
    breaches: &[CovenantBreach],
    events: &mut Vec<EventRecord>,
) {
    for b in breaches {
        let day = s.calendar.month_start(b.month as u32 + 1) - 1;
        let at = events.partition_point(|e| e.day <= day);
        let detail = format!(
            "trailing-12-month DSCR {:.2} below the {:.2} covenant",
            b.dscr, b.min_dscr
        );
        events.insert(
            at,
            EventRecord {
                day,
                event: "covenant-breach",
                entity: b.tranche.clone(),
                detail,
            },
        );
    }
}
