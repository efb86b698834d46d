//! The finance layer: contracts, opex by operating state, capital, debt, tax and
//! terminal value turn the physical model's months into project (unlevered) and equity
//! (levered) cash flows and the figures a planner decides on.
//!
//! Input is a [`FinanceInput`]: one [`MonthInput`] per ledger month (what the engine did:
//! MW by state, mining revenue, energy cost, per-hall leased/rented MW) plus the capex
//! line items the run incurred and each GPU hall's delivery and energisation days.
//! Terms ([`FinanceTerms`]) come from the world file. [`compute`] is a pure function of
//! input, terms and [`FinanceDraws`] (sampled choices such as lease renewals are drawn
//! by the caller from the run's seeded stream), so a world and a seed reproduce it.
//! Formulas: docs/model.md, "Finance".

pub mod capital;
pub mod debt;
pub mod lease;
pub mod opex;
pub mod record;
pub mod returns;
pub mod spec;
pub mod stats;
pub mod tax;
pub mod terminal;

use capital::{AsicLot, CapexEvent, CapitalTerms, Payment};
use debt::{CovenantBreach, Tranche, TrancheMonth};
use lease::{LeaseContract, LeaseSchedule, RentalContract};
use opex::{OpexMonth, OpexTerms, StateMw};
use returns::Irr;
use serde::Serialize;
use tax::TaxTerms;
use terminal::TerminalValue;

/// One month of what the physical model did, in the units finance needs. Powers are
/// month averages; money is what the engine booked for the month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MonthInput {
    /// First day of the month, days since the start of the run.
    pub first_day: u32,
    /// Days in the month.
    pub days: u32,
    /// Calendar month of the year, 1..=12 (tax years end in December).
    pub month_of_year: u32,
    /// Energised, mining ASIC IT, MW.
    pub asic_mining_mw: f64,
    /// IT capacity idle or dark (curtailed miners, built but unused halls), MW.
    pub idle_mw: f64,
    /// Mining revenue before pool fees and uptime, USD.
    pub mining_revenue_usd: f64,
    /// Electricity of the mining ASICs, USD.
    pub mining_energy_cost_usd: f64,
    /// Electricity the site pays for anything else outside GPU halls, USD.
    pub other_energy_cost_usd: f64,
    /// GPU halls, indexed as [`FinanceInput::halls`].
    pub halls: Vec<HallMonth>,
    /// ASICs decommissioned (and sold) this month, with their age.
    pub asic_decommissioned: Vec<AsicLot>,
    /// Hashprice this month, USD per PH/s per day (scales ASIC resale).
    pub hashprice_usd_per_ph_day: f64,
    /// Demand-response / ancillary credit the ledger booked, USD.
    pub grid_credit_usd: f64,
    /// Coincident-peak (4CP) charge the site pays and SLA credits owed under a
    /// curtailment obligation, as the ledger booked them, USD.
    pub grid_charges_usd: f64,
    /// Repairs, availability SLA credits and backup upkeep the ledger booked, USD.
    pub reliability_opex_usd: f64,
}

/// One GPU hall in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HallMonth {
    /// Energised leased GPU IT, MW.
    pub leased_mw: f64,
    /// Energised rented (site-operated) GPU IT, MW.
    pub rented_mw: f64,
    /// Rental revenue the engine computed, USD.
    pub rental_revenue_usd: f64,
    /// Electricity of the leased IT at the site's price, whoever pays it, USD.
    pub leased_energy_cost_usd: f64,
    /// Electricity of the rented IT, USD.
    pub rented_energy_cost_usd: f64,
}

/// A GPU hall's milestones (days since the start of the run; `None` if not reached).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HallMilestones {
    /// Its equipment was delivered.
    pub delivered_day: Option<u32>,
    /// It energised.
    pub energised_day: Option<u32>,
}

/// Everything finance reads from a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FinanceInput {
    /// One entry per ledger month, consecutive.
    pub months: Vec<MonthInput>,
    /// GPU halls.
    pub halls: Vec<HallMilestones>,
    /// Capex line items.
    pub capex: Vec<CapexEvent>,
    /// ASICs still installed at the horizon, aged to the last month.
    pub asic_at_horizon: Vec<AsicLot>,
}

/// The deal, financing and tax terms of a world.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FinanceTerms {
    /// Leases, one per leased hall.
    pub leases: Vec<LeaseContract>,
    /// Rental contract terms, one per rented hall.
    pub rentals: Vec<RentalContract>,
    /// Opex.
    pub opex: OpexTerms,
    /// Capital.
    pub capital: CapitalTerms,
    /// Debt tranches.
    pub tranches: Vec<Tranche>,
    /// Tax and depreciation.
    pub tax: TaxTerms,
    /// Terminal value.
    pub terminal: TerminalValue,
    /// Discount rate for NPVs, per year.
    pub discount_rate_per_year: f64,
}

/// Sampled choices: renewal options exercised per lease and per rental contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FinanceDraws {
    /// Options exercised, per lease.
    pub lease_renewals: Vec<u32>,
    /// Options exercised, per rental contract.
    pub rental_renewals: Vec<u32>,
}

impl FinanceDraws {
    /// A median run: every option whose probability exceeds 50 % is taken.
    pub fn median(t: &FinanceTerms) -> Self {
        let half = |r: &lease::Renewal| r.exercised(std::iter::repeat(0.5));
        Self {
            lease_renewals: t.leases.iter().map(|l| half(&l.renewal)).collect(),
            rental_renewals: t.rentals.iter().map(|r| half(&r.renewal)).collect(),
        }
    }
}

/// The months of a run on the calendar: where each starts and how long it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    first_day: Vec<u32>,
    days: Vec<u32>,
    month_of_year: Vec<u32>,
}

impl Timeline {
    /// The timeline of the input's months.
    pub fn new(months: &[MonthInput]) -> Self {
        Self {
            first_day: months.iter().map(|m| m.first_day).collect(),
            days: months.iter().map(|m| m.days.max(1)).collect(),
            month_of_year: months.iter().map(|m| m.month_of_year).collect(),
        }
    }

    /// `n` consecutive months of `days` days each, starting in January.
    pub fn uniform(n: usize, days: u32) -> Self {
        Self {
            first_day: (0..n as u32).map(|m| m * days).collect(),
            days: vec![days; n],
            month_of_year: (0..n as u32).map(|m| m % 12 + 1).collect(),
        }
    }

    /// Number of months.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether there are no months.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// First day of month `m`.
    pub fn first_day(&self, m: usize) -> u32 {
        self.first_day[m]
    }

    /// Days in month `m`.
    pub fn days(&self, m: usize) -> u32 {
        self.days[m]
    }

    /// Calendar month of the year of month `m`, 1..=12.
    pub fn month_of_year(&self, m: usize) -> u32 {
        self.month_of_year[m]
    }

    /// The month containing `day`, if inside the horizon.
    pub fn month_of_day(&self, day: u32) -> Option<usize> {
        let m = self
            .first_day
            .iter()
            .zip(&self.days)
            .position(|(&f, &d)| day >= f && day < f + d)?;
        Some(m)
    }

    /// Share of month `m` on or after `day`, 0..=1.
    pub fn share_from(&self, m: usize, day: u32) -> f64 {
        let (f, d) = (self.first_day[m], self.days[m]);
        f64::from((f + d).saturating_sub(day.max(f)).min(d)) / f64::from(d)
    }
}

/// One month of the finance ledger, USD unless stated.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FinanceRow {
    /// Revenue per contract: leases, then rental contracts.
    pub contract_revenue_usd: Vec<f64>,
    /// Escalated rate per lease, USD/kW-month (0 when not in force).
    pub escalated_rate_usd_per_kw_month: Vec<f64>,
    /// Rental revenue of halls without a rental contract.
    pub uncontracted_rental_revenue_usd: f64,
    /// Mining revenue after uptime, before pool fees.
    pub mining_revenue_usd: f64,
    /// Pool fees.
    pub pool_fees_usd: f64,
    /// Electricity the site pays.
    pub energy_cost_usd: f64,
    /// Opex by kind.
    pub opex: OpexMonth,
    /// Late-delivery penalties paid to tenants.
    pub late_delivery_penalty_usd: f64,
    /// Demand-response / ancillary credit (the ledger's `dr_credit_usd`).
    pub grid_credit_usd: f64,
    /// Coincident-peak charge paid plus curtailment-obligation SLA credits (the
    /// ledger's `peak_charge_paid_usd` + `sla_credits_usd`).
    pub grid_charges_usd: f64,
    /// Repairs, availability SLA credits and backup upkeep (the ledger's opex beyond
    /// its fixed site opex).
    pub reliability_opex_usd: f64,
    /// Revenue + grid credit − energy − opex − pool fees − penalties − grid charges −
    /// reliability opex.
    pub ebitda_usd: f64,
    /// Tenant capex contributions received.
    pub tenant_contributions_usd: f64,
    /// Rent prepayments received.
    pub prepayments_usd: f64,
    /// Deposits received (+) or returned (−).
    pub deposits_usd: f64,
    /// Proceeds of decommissioned ASICs.
    pub salvage_usd: f64,
    /// Capex paid.
    pub capex_usd: f64,
    /// Debt drawn.
    pub debt_draws_usd: f64,
    /// Interest paid.
    pub interest_usd: f64,
    /// Scheduled principal repaid.
    pub principal_usd: f64,
    /// Debt outstanding at the horizon, repaid from the exit (last month only).
    pub exit_repayment_usd: f64,
    /// Financing fees paid.
    pub financing_fees_usd: f64,
    /// Debt balance at month end (before any exit repayment).
    pub debt_balance_usd: f64,
    /// Cash flow available for debt service: EBITDA − tax paid.
    pub cfads_usd: f64,
    /// Trailing-12-month DSCR; `None` while no debt service falls in the window.
    pub dscr: Option<f64>,
    /// Tax depreciation.
    pub depreciation_usd: f64,
    /// Taxable income (levered: after interest and fees), before losses.
    pub taxable_income_usd: f64,
    /// Tax paid (levered).
    pub tax_usd: f64,
    /// Tax an all-equity owner would pay (for the project cash flow).
    pub unlevered_tax_usd: f64,
    /// Terminal value (last month only).
    pub terminal_value_usd: f64,
    /// Project cash flow.
    pub unlevered_cash_flow_usd: f64,
    /// Equity cash flow.
    pub levered_cash_flow_usd: f64,
    /// Equity put in (−levered flow when negative).
    pub equity_in_usd: f64,
    /// Cash distributed to equity (levered flow when positive).
    pub distributions_usd: f64,
    /// Running sum of equity cash flow.
    pub cumulative_equity_cash_usd: f64,
}

impl FinanceRow {
    /// Total revenue: mining + contracts + uncontracted rental.
    pub fn revenue_usd(&self) -> f64 {
        self.mining_revenue_usd
            + self.contract_revenue_usd.iter().sum::<f64>()
            + self.uncontracted_rental_revenue_usd
    }

    /// Interest + scheduled principal.
    pub fn debt_service_usd(&self) -> f64 {
        self.interest_usd + self.principal_usd
    }
}

/// The figures a planner decides on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinanceSummary {
    /// NPV of project cash flows at the discount rate.
    pub unlevered_npv_usd: f64,
    /// NPV of equity cash flows at the discount rate.
    pub levered_npv_usd: f64,
    /// Project IRR.
    pub project_irr: Irr,
    /// Equity IRR.
    pub equity_irr: Irr,
    /// Equity multiple (returned / put in); `None` if no equity went in.
    pub moic: Option<f64>,
    /// Most equity ever out, USD.
    pub peak_equity_need_usd: f64,
    /// Lowest DSCR while debt amortises, and its month.
    pub min_dscr: Option<(f64, usize)>,
    /// Covenant breaches, in month order.
    pub covenant_breaches: Vec<CovenantBreach>,
    /// Equity payback: the first month from which cumulative equity cash, having been
    /// negative, stays ≥ 0; or why there is none (never negative: no equity to pay back).
    pub equity_payback: returns::Payback,
    /// Terminal value, USD (the fleet's resale included).
    pub terminal_value_usd: f64,
    /// Of the terminal value, the resale of the ASICs still installed at the horizon, USD.
    pub fleet_resale_at_horizon_usd: f64,
}

impl std::fmt::Display for FinanceSummary {
    /// The printed summary: one figure per line, money in USD millions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let musd = |v: f64| format!("{:.1} M USD", v / 1e6);
        writeln!(f, "NPV (project): {}", musd(self.unlevered_npv_usd))?;
        writeln!(f, "NPV (equity): {}", musd(self.levered_npv_usd))?;
        writeln!(f, "project IRR: {}", self.project_irr)?;
        writeln!(f, "equity IRR: {}", self.equity_irr)?;
        match self.moic {
            Some(x) => writeln!(f, "equity multiple: {x:.2}x")?,
            None => writeln!(f, "equity multiple: none (no equity went in)")?,
        }
        writeln!(f, "peak equity need: {}", musd(self.peak_equity_need_usd))?;
        match self.min_dscr {
            Some((d, m)) => writeln!(f, "minimum DSCR: {d:.2}x in month {m}")?,
            None => writeln!(f, "minimum DSCR: none (no debt amortises)")?,
        }
        writeln!(
            f,
            "covenant breaches: {} months",
            self.covenant_breaches.len()
        )?;
        let payback = self
            .equity_payback
            .describe("cumulative equity cash", |m| format!("month {m}"));
        writeln!(f, "equity payback: {payback}")?;
        write!(f, "terminal value: {}", musd(self.terminal_value_usd))
    }
}

/// Rows and summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinanceResult {
    /// One row per input month.
    pub rows: Vec<FinanceRow>,
    /// Summary figures.
    pub summary: FinanceSummary,
}

impl FinanceResult {
    /// Cumulative equity cash at each month end without the exit at the horizon
    /// (terminal value, less the debt repaid from it): the cash the owner has put in or
    /// taken out along the way, as `cash.png` and the equity fan draw it.
    pub fn cumulative_equity_cash_before_exit_usd(&self) -> Vec<f64> {
        let mut c = 0.0;
        self.rows
            .iter()
            .map(|r| {
                c += r.levered_cash_flow_usd - r.terminal_value_usd + r.exit_repayment_usd;
                c
            })
            .collect()
    }
}

/// Every contract's schedule over the horizon.
struct Contracts {
    leases: Vec<LeaseSchedule>,
    /// Per rental contract: per month (occupied share, revenue factor); runs past horizon.
    rentals: Vec<(Vec<(f64, f64)>, bool)>,
}

fn contracts(t: &FinanceTerms, input: &FinanceInput, tl: &Timeline, d: &FinanceDraws) -> Contracts {
    let hall = |h: usize| input.halls.get(h).copied().unwrap_or_default();
    let leases = t
        .leases
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let kw: Vec<f64> = input
                .months
                .iter()
                .map(|m| m.halls.get(l.hall).map_or(0.0, |h| h.leased_mw * 1e3))
                .collect();
            let ms = hall(l.hall);
            let ex = d.lease_renewals.get(i).copied().unwrap_or(0);
            lease::lease_schedule(l, tl, &kw, ms.delivered_day, ms.energised_day, ex)
        })
        .collect();
    let rentals = t
        .rentals
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let ex = d.rental_renewals.get(i).copied().unwrap_or(0);
            lease::rental_schedule(r, tl, hall(r.hall).energised_day, ex)
        })
        .collect();
    Contracts { leases, rentals }
}

/// Hall-level figures of one month: MW by state, site-paid energy and revenue.
#[derive(Default)]
struct HallTotals {
    leased_mw: f64,
    rented_mw: f64,
    unoccupied_mw: f64,
    energy_usd: f64,
    uncontracted_rental_usd: f64,
}

fn hall_totals(
    t: &FinanceTerms,
    c: &Contracts,
    mi: &MonthInput,
    m: usize,
    rental_revenue: &mut [f64],
) -> HallTotals {
    let mut out = HallTotals::default();
    for (h, hm) in mi.halls.iter().enumerate() {
        let lease = t.leases.iter().position(|l| l.hall == h);
        let (l_occ, pass) = match lease {
            Some(i) => (
                c.leases[i].months[m].occupied_share,
                t.leases[i].power_pass_through,
            ),
            None => (1.0, false),
        };
        let rental = t.rentals.iter().position(|r| r.hall == h);
        let (r_occ, factor) = rental.map_or((1.0, 1.0), |i| c.rentals[i].0[m]);
        out.leased_mw += hm.leased_mw * l_occ;
        out.rented_mw += hm.rented_mw * r_occ;
        out.unoccupied_mw += hm.leased_mw * (1.0 - l_occ) + hm.rented_mw * (1.0 - r_occ);
        out.energy_usd += hm.leased_energy_cost_usd * l_occ * if pass { 0.0 } else { 1.0 }
            + hm.rented_energy_cost_usd * r_occ;
        match rental {
            Some(i) => rental_revenue[i] += hm.rental_revenue_usd * factor,
            None => out.uncontracted_rental_usd += hm.rental_revenue_usd,
        }
    }
    out
}

/// Operating figures of month `m` (everything before financing and tax).
fn operating_row(
    t: &FinanceTerms,
    input: &FinanceInput,
    c: &Contracts,
    m: usize,
    gross_asset_usd: f64,
) -> FinanceRow {
    let mi = &input.months[m];
    let uptime = t.opex.mining_uptime_share;
    let mut rental_revenue = vec![0.0; t.rentals.len()];
    let h = hall_totals(t, c, mi, m, &mut rental_revenue);
    let lm: Vec<&lease::LeaseMonth> = c.leases.iter().map(|s| &s.months[m]).collect();
    let mut row = FinanceRow {
        contract_revenue_usd: lm
            .iter()
            .map(|l| l.rent_usd)
            .chain(rental_revenue)
            .collect(),
        escalated_rate_usd_per_kw_month: lm.iter().map(|l| l.rate_usd_per_kw_month).collect(),
        uncontracted_rental_revenue_usd: h.uncontracted_rental_usd,
        mining_revenue_usd: mi.mining_revenue_usd * uptime,
        energy_cost_usd: mi.mining_energy_cost_usd * uptime
            + mi.other_energy_cost_usd
            + h.energy_usd,
        late_delivery_penalty_usd: lm.iter().map(|l| l.late_penalty_usd).sum(),
        grid_credit_usd: mi.grid_credit_usd,
        grid_charges_usd: mi.grid_charges_usd,
        reliability_opex_usd: mi.reliability_opex_usd,
        tenant_contributions_usd: lm.iter().map(|l| l.tenant_capex_usd).sum(),
        prepayments_usd: lm.iter().map(|l| l.prepayment_usd).sum(),
        deposits_usd: lm.iter().map(|l| l.deposit_usd).sum(),
        ..FinanceRow::default()
    };
    row.pool_fees_usd = row.mining_revenue_usd * t.opex.pool_fee_share;
    let state = StateMw {
        mining_mw: mi.asic_mining_mw,
        leased_gpu_mw: h.leased_mw,
        rented_gpu_mw: h.rented_mw,
        idle_mw: mi.idle_mw + h.unoccupied_mw,
    };
    row.opex = opex::opex_month(&t.opex, state, gross_asset_usd);
    row.ebitda_usd = row.revenue_usd() + row.grid_credit_usd
        - row.energy_cost_usd
        - row.opex.total_usd()
        - row.pool_fees_usd
        - row.late_delivery_penalty_usd
        - row.grid_charges_usd
        - row.reliability_opex_usd;
    row.salvage_usd = mi
        .asic_decommissioned
        .iter()
        .map(|lot| lot.resale_usd(&t.capital.salvage, mi.hashprice_usd_per_ph_day))
        .sum();
    row
}

/// Revenue in each month from contracts that do not run past the horizon.
fn ended_contract_revenue(c: &Contracts, rows: &[FinanceRow]) -> Vec<f64> {
    let ended: Vec<bool> = c
        .leases
        .iter()
        .map(|s| !s.runs_past_horizon)
        .chain(c.rentals.iter().map(|r| !r.1))
        .collect();
    rows.iter()
        .map(|r| {
            r.contract_revenue_usd
                .iter()
                .zip(&ended)
                .filter(|(_, e)| **e)
                .map(|(v, _)| v)
                .sum()
        })
        .collect()
}

/// Each tranche's schedule, drawn against the payments of the capex items it names.
fn tranche_schedules(
    t: &FinanceTerms,
    input: &FinanceInput,
    pays: &[Payment],
    n: usize,
) -> Vec<Vec<TrancheMonth>> {
    t.tranches
        .iter()
        .map(|tr| {
            let named = |i: usize| tr.against.iter().any(|a| *a == input.capex[i].item);
            let mut paid = vec![0.0; n];
            for p in pays.iter().filter(|p| named(p.event)) {
                paid[p.month] += p.usd;
            }
            let total: f64 = (0..input.capex.len())
                .filter(|&i| named(i))
                .map(|i| input.capex[i].cost_usd)
                .sum();
            debt::schedule(tr, &paid, total)
        })
        .collect()
}

/// Adds debt, depreciation and tax to the operating rows.
fn finance_rows(
    t: &FinanceTerms,
    input: &FinanceInput,
    tl: &Timeline,
    rows: &mut [FinanceRow],
    debt: &[Vec<TrancheMonth>],
) {
    let dep = tax::depreciation(&input.capex, &t.tax, tl);
    for (m, r) in rows.iter_mut().enumerate() {
        for s in debt {
            r.debt_draws_usd += s[m].draw_usd;
            r.interest_usd += s[m].interest_usd;
            r.principal_usd += s[m].principal_usd;
            r.financing_fees_usd += s[m].fee_usd;
            r.debt_balance_usd += s[m].balance_usd;
        }
        r.depreciation_usd = dep[m];
    }
    if let Some(last) = rows.last_mut() {
        last.exit_repayment_usd = last.debt_balance_usd;
    }
    let unlevered: Vec<f64> = rows
        .iter()
        .map(|r| {
            r.ebitda_usd + r.tenant_contributions_usd + r.prepayments_usd + r.salvage_usd
                - r.depreciation_usd
        })
        .collect();
    let levered: Vec<f64> = unlevered
        .iter()
        .zip(rows.iter())
        .map(|(u, r)| u - r.interest_usd - r.financing_fees_usd)
        .collect();
    let moy: Vec<u32> = (0..tl.len()).map(|m| tl.month_of_year(m)).collect();
    let tu = tax::tax_schedule(&t.tax, &unlevered, &moy);
    let tx = tax::tax_schedule(&t.tax, &levered, &moy);
    for (m, r) in rows.iter_mut().enumerate() {
        r.unlevered_tax_usd = tu[m].tax_usd;
        r.taxable_income_usd = tx[m].taxable_income_usd;
        r.tax_usd = tx[m].tax_usd;
        r.cfads_usd = r.ebitda_usd - r.tax_usd;
    }
    let cfads: Vec<f64> = rows.iter().map(|r| r.cfads_usd).collect();
    let service: Vec<f64> = rows.iter().map(FinanceRow::debt_service_usd).collect();
    for (r, d) in rows.iter_mut().zip(debt::trailing_dscr(&cfads, &service)) {
        r.dscr = d;
    }
}

/// Terminal value and the cash flows; returns (terminal value, of which fleet resale).
/// The method capitalises EBITDA without mining; ASICs still installed are valued at
/// their resale in the last month (see [`terminal`]).
fn cash_flows(
    t: &FinanceTerms,
    input: &FinanceInput,
    c: &Contracts,
    rows: &mut [FinanceRow],
) -> (f64, f64) {
    let uptime = t.opex.mining_uptime_share;
    let ebitda: Vec<f64> = rows
        .iter()
        .zip(&input.months)
        .map(|(r, mi)| {
            let mining = terminal::mining_ebitda_usd(
                r.mining_revenue_usd,
                r.pool_fees_usd,
                mi.mining_energy_cost_usd * uptime,
                r.opex.mining_usd,
            );
            // The demand-response credit is earned on the miners' flexible MW: it
            // leaves with them, so it is not part of the run-rate EBITDA.
            r.ebitda_usd - mining - r.grid_credit_usd
        })
        .collect();
    let run_rate = terminal::run_rate_ebitda(&ebitda, &ended_contract_revenue(c, rows));
    let hashprice = input
        .months
        .last()
        .map_or(0.0, |m| m.hashprice_usd_per_ph_day);
    let fleet = terminal::fleet_resale_usd(&input.asic_at_horizon, &t.capital.salvage, hashprice);
    let tv = terminal::terminal_value(&t.terminal, run_rate) + fleet;
    if let Some(last) = rows.last_mut() {
        last.terminal_value_usd = tv;
    }
    let mut cumulative = 0.0;
    for r in rows.iter_mut() {
        r.unlevered_cash_flow_usd = r.ebitda_usd
            + r.tenant_contributions_usd
            + r.prepayments_usd
            + r.deposits_usd
            + r.salvage_usd
            + r.terminal_value_usd
            - r.capex_usd
            - r.unlevered_tax_usd;
        r.levered_cash_flow_usd = r.unlevered_cash_flow_usd + r.unlevered_tax_usd - r.tax_usd
            + r.debt_draws_usd
            - r.interest_usd
            - r.principal_usd
            - r.financing_fees_usd
            - r.exit_repayment_usd;
        r.equity_in_usd = (-r.levered_cash_flow_usd).max(0.0);
        r.distributions_usd = r.levered_cash_flow_usd.max(0.0);
        cumulative += r.levered_cash_flow_usd;
        r.cumulative_equity_cash_usd = cumulative;
    }
    (tv, fleet)
}

/// Summary figures of finished rows.
fn summarise(
    t: &FinanceTerms,
    rows: &[FinanceRow],
    debt: &[Vec<TrancheMonth>],
    (tv, fleet): (f64, f64),
) -> FinanceSummary {
    let unlevered: Vec<f64> = rows.iter().map(|r| r.unlevered_cash_flow_usd).collect();
    let levered: Vec<f64> = rows.iter().map(|r| r.levered_cash_flow_usd).collect();
    let dscr: Vec<Option<f64>> = rows.iter().map(|r| r.dscr).collect();
    let mut covenant_breaches: Vec<CovenantBreach> = t
        .tranches
        .iter()
        .zip(debt)
        .flat_map(|(tr, s)| debt::breaches(tr, s, &dscr))
        .collect();
    covenant_breaches.sort_by_key(|b| b.month);
    let amortising = |m: usize| {
        debt.iter().any(|s| {
            let first = s.iter().position(|r| r.principal_usd > 0.0);
            let last = s.iter().rposition(|r| r.principal_usd > 0.0);
            matches!((first, last), (Some(f), Some(l)) if f <= m && m <= l)
        })
    };
    let min_dscr = dscr
        .iter()
        .enumerate()
        .filter(|(m, _)| amortising(*m))
        .filter_map(|(m, d)| d.map(|d| (d, m)))
        .fold(None, |best: Option<(f64, usize)>, x| match best {
            Some(b) if b.0 <= x.0 => Some(b),
            _ => Some(x),
        });
    FinanceSummary {
        unlevered_npv_usd: returns::npv(t.discount_rate_per_year, &unlevered),
        levered_npv_usd: returns::npv(t.discount_rate_per_year, &levered),
        project_irr: returns::irr(&unlevered),
        equity_irr: returns::irr(&levered),
        moic: returns::moic(&levered),
        peak_equity_need_usd: returns::peak_need(&levered),
        min_dscr,
        covenant_breaches,
        equity_payback: returns::payback(&returns::cumulative(&levered)),
        terminal_value_usd: tv,
        fleet_resale_at_horizon_usd: fleet,
    }
}

/// Runs the finance layer over a run's months.
pub fn compute(t: &FinanceTerms, input: &FinanceInput, draws: &FinanceDraws) -> FinanceResult {
    let tl = Timeline::new(&input.months);
    let n = tl.len();
    let c = contracts(t, input, &tl, draws);
    let pays = capital::payments(&input.capex, t.capital.progress, &tl);
    let capex = capital::paid_by_month(&pays, n);
    let gav = capital::gross_asset_value(t.capital.existing_gross_asset_usd, &capex);
    let mut rows: Vec<FinanceRow> = (0..n)
        .map(|m| {
            let mut r = operating_row(t, input, &c, m, gav[m]);
            r.capex_usd = capex[m];
            r
        })
        .collect();
    let debt = tranche_schedules(t, input, &pays, n);
    finance_rows(t, input, &tl, &mut rows, &debt);
    let tv = cash_flows(t, input, &c, &mut rows);
    let summary = summarise(t, &rows, &debt, tv);
    FinanceResult { rows, summary }
}

#[cfg(test)]
mod tests {
    use super::capital::{AssetClass, CapexEvent};
    use super::debt::{Amortisation, Sizing};
    use super::*;
    use proptest::prelude::*;

    fn months(n: usize) -> Vec<MonthInput> {
        (0..n)
            .map(|m| MonthInput {
                first_day: m as u32 * 30,
                days: 30,
                month_of_year: (m % 12) as u32 + 1,
                ..MonthInput::default()
            })
            .collect()
    }

    fn capex(
        item: &str,
        cost_usd: f64,
        ordered_day: u32,
        installed_day: Option<u32>,
    ) -> CapexEvent {
        CapexEvent {
            item: item.into(),
            class: AssetClass::Electrical,
            cost_usd,
            ordered_day,
            delivered_day: None,
            installed_day,
        }
    }

    /// A leased hall of 10 MW at $150/kW-month for 15 years, built for $100M with 70 %
    /// LTC debt (12 months interest-only, 10-year annuity) with a 1.3× DSCR covenant.
    fn deal(energised_day: u32, months_n: usize) -> (FinanceTerms, FinanceInput) {
        let mut input = FinanceInput {
            months: months(months_n),
            halls: vec![HallMilestones {
                delivered_day: Some(energised_day.saturating_sub(60)),
                energised_day: Some(energised_day),
            }],
            capex: vec![capex("hall", 100e6, 0, Some(energised_day))],
            asic_at_horizon: Vec::new(),
        };
        let e_month = energised_day as usize / 30;
        for (m, mi) in input.months.iter_mut().enumerate() {
            let on = if m > e_month {
                10.0
            } else if m == e_month {
                10.0 * f64::from(30 - energised_day % 30) / 30.0
            } else {
                0.0
            };
            mi.halls = vec![HallMonth {
                leased_mw: on,
                leased_energy_cost_usd: on * 30_000.0,
                ..HallMonth::default()
            }];
            mi.idle_mw = 10.0 - on;
        }
        let terms = FinanceTerms {
            leases: vec![LeaseContract {
                term_months: Some(180),
                escalator_per_year: 0.03,
                ..LeaseContract::on_energisation(0, 150.0, 10_000.0)
            }],
            opex: OpexTerms {
                fixed_usd_per_month: 100_000.0,
                leased_gpu_usd_per_mw_month: 5_000.0,
                ..OpexTerms::default()
            },
            tranches: vec![Tranche {
                name: "senior".into(),
                sizing: Sizing::LoanToCost(0.7),
                against: vec!["hall".into()],
                rate_per_year: 0.08,
                interest_only_months: 12,
                // 12 + 120 months, inside the 15-year lease.
                tenor_months: 132,
                amortisation: Amortisation::Annuity,
                upfront_fee_share: 0.0,
                min_dscr: Some(1.3),
            }],
            tax: TaxTerms {
                rate: 0.21,
                ..TaxTerms::default()
            },
            discount_rate_per_year: 0.1,
            ..FinanceTerms::default()
        };
        (terms, input)
    }

    /// Sources and uses of cash in a month.
    fn sources_and_uses(r: &FinanceRow) -> (f64, f64) {
        let sources = r.revenue_usd()
            + r.tenant_contributions_usd
            + r.prepayments_usd
            + r.deposits_usd.max(0.0)
            + r.salvage_usd
            + r.terminal_value_usd
            + r.debt_draws_usd
            + r.equity_in_usd;
        let uses = r.energy_cost_usd
            + r.opex.total_usd()
            + r.pool_fees_usd
            + r.late_delivery_penalty_usd
            + r.capex_usd
            + r.interest_usd
            + r.principal_usd
            + r.exit_repayment_usd
            + r.financing_fees_usd
            + r.tax_usd
            + (-r.deposits_usd).max(0.0)
            + r.distributions_usd;
        (sources, uses)
    }

    fn sources_minus_uses(r: &FinanceRow) -> f64 {
        let (s, u) = sources_and_uses(r);
        s - u
    }

    #[test]
    fn with_no_tax_debt_or_terminal_value_the_project_irr_is_the_textbook_one() {
        // Wikipedia, "Internal rate of return", worked example: −123,400 then 36,200,
        // 54,800 and 48,100 a year later each gives an IRR of 5.96 %.
        let mut input = FinanceInput {
            months: months(37),
            ..FinanceInput::default()
        };
        input.capex.push(capex("site", 123_400.0, 0, None));
        for (year, usd) in [(1, 36_200.0), (2, 54_800.0), (3, 48_100.0)] {
            input.months[year * 12].mining_revenue_usd = usd;
        }
        let r = compute(&FinanceTerms::default(), &input, &FinanceDraws::default());
        let irr = r.summary.project_irr.rate().expect("one rate");
        assert!((irr - 0.0596).abs() < 0.00005, "{irr}");
        assert_eq!(r.summary.equity_irr, r.summary.project_irr);
        assert_eq!(r.summary.peak_equity_need_usd, 123_400.0);
    }

    #[test]
    fn a_late_hall_breaches_the_covenant_an_on_time_one_does_not() {
        let (terms, input) = deal(60, 180);
        let on_time = compute(&terms, &input, &FinanceDraws::median(&terms));
        assert!(
            on_time.summary.covenant_breaches.is_empty(),
            "{:?}",
            on_time.summary.min_dscr
        );
        // Energised 14 months late: amortisation starts with no rent behind it.
        let (terms, input) = deal(60 + 14 * 30, 180);
        let late = compute(&terms, &input, &FinanceDraws::median(&terms));
        let first = late.summary.covenant_breaches.first().expect("a breach");
        assert_eq!(first.month, 13);
        assert!(late.summary.min_dscr.unwrap().0 < 1.3);
        assert!(late.summary.equity_irr.rate() < on_time.summary.equity_irr.rate());
    }

    #[test]
    fn the_outstanding_balance_is_repaid_from_the_exit() {
        let (mut terms, input) = deal(60, 60);
        terms.terminal = TerminalValue::ExitMultiple {
            ebitda_multiple: 12.0,
        };
        let r = compute(&terms, &input, &FinanceDraws::median(&terms));
        let last = r.rows.last().unwrap();
        assert!(last.exit_repayment_usd > 0.0 && last.exit_repayment_usd == last.debt_balance_usd);
        assert!(last.terminal_value_usd > 0.0);
        assert!(
            r.rows
                .iter()
                .all(|row| sources_minus_uses(row).abs() < 1e-6)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Sources = uses every month, and levered = unlevered − debt service − fees −
        /// exit repayment + draws + the interest tax shield (unlevered − levered tax),
        /// which with tax at 0 is "unlevered − debt service + draws".
        #[test]
        fn cash_is_conserved(
            energised in 0u32..1_500, n in 24usize..160, rate in 0.0f64..0.3,
            tax in prop_oneof![Just(0.0), 0.0f64..0.4], ltc in 0.0f64..0.95,
            fee in prop_oneof![Just(0.0), 0.0f64..0.03], mining in 0.0f64..2e6,
            exit_multiple in prop_oneof![Just(0.0), 1.0f64..20.0],
        ) {
            let (mut t, mut input) = deal(energised, n);
            t.tranches[0].rate_per_year = rate;
            t.tranches[0].sizing = Sizing::LoanToCost(ltc);
            t.tranches[0].upfront_fee_share = fee;
            t.tax.rate = tax;
            t.terminal = TerminalValue::ExitMultiple { ebitda_multiple: exit_multiple };
            t.opex.pool_fee_share = 0.02;
            for (m, mi) in input.months.iter_mut().enumerate() {
                mi.mining_revenue_usd = mining * (m % 7) as f64;
                mi.mining_energy_cost_usd = 0.4 * mining * (m % 5) as f64;
            }
            let r = compute(&t, &input, &FinanceDraws::median(&t));
            for row in &r.rows {
                let (sources, uses) = sources_and_uses(row);
                let scale = 1.0 + sources + uses;
                prop_assert!((sources - uses).abs() < 1e-12 * scale, "{row:?}");
                prop_assert!(row.debt_balance_usd >= 0.0);
                let expected = row.unlevered_cash_flow_usd - row.debt_service_usd()
                    - row.financing_fees_usd - row.exit_repayment_usd + row.debt_draws_usd
                    + (row.unlevered_tax_usd - row.tax_usd);
                prop_assert!((row.levered_cash_flow_usd - expected).abs() < 1e-9 * scale);
                if tax == 0.0 && fee == 0.0 && row.exit_repayment_usd == 0.0 {
                    let simple = row.unlevered_cash_flow_usd - row.debt_service_usd() + row.debt_draws_usd;
                    prop_assert!((row.levered_cash_flow_usd - simple).abs() < 1e-9 * scale);
                }
            }
            prop_assert!(!matches!(r.summary.equity_irr, Irr::Rate(x) if !x.is_finite()));
        }
    }
}
