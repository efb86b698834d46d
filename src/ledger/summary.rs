//! The run's summary figures: NPV, payback, totals and peaks, from the ledger rows and
//! the step timeline.

use super::{MonthRow, Payback, npv, payback};
use crate::calendar::{DAYS_PER_MONTH_AVG, Day, YearMonth};
use crate::scenario::Scenario;
use crate::timeline::{SpanKind, StepStatus, StepTimeline};
use serde::Serialize;
use std::collections::BTreeMap;

/// Summary figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Site name.
    pub world: String,
    /// First month, `YYYY-MM`.
    pub start_month: String,
    /// Months simulated.
    pub horizon_months: u32,
    /// Seed of a sampled run; `None` for the median run.
    pub seed: Option<u64>,
    /// Net present value of the monthly cash flows at the discount rate, USD.
    pub npv_usd: f64,
    /// Annual discount rate used.
    pub discount_rate_per_year: f64,
    /// First month from which cumulative cash, having been negative, stays ≥ 0 (`None`
    /// if it ends negative or was never negative; [`Summary::payback_note`] says which).
    pub payback_month: Option<YearMonth>,
    /// Why there is no payback month (absent when there is one): cumulative cash still
    /// negative at the end of the horizon, or never negative, so nothing to pay back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payback_note: Option<String>,
    /// The payback as the sweep and sensitivity analysis count it (not written: the two
    /// fields above say the same in the file).
    #[serde(skip)]
    pub payback: Payback,
    /// Month the first GPU unit energised.
    pub first_gpu_month: Option<YearMonth>,
    /// Total months plan steps spent waiting on limits (days / 30.44).
    pub months_waited_on_limits: f64,
    /// The same, per limit kind.
    pub months_waited_by_limit: BTreeMap<String, f64>,
    /// Cumulative cash at the end of the horizon, USD.
    pub final_cumulative_cash_usd: f64,
    /// Total capex, USD.
    pub total_capex_usd: f64,
    /// Total mining revenue, USD.
    pub total_asic_revenue_usd: f64,
    /// Total GPU revenue, USD.
    pub total_gpu_revenue_usd: f64,
    /// Total energy cost, USD.
    pub total_energy_cost_usd: f64,
    /// Total BTC mined.
    pub total_btc_mined: f64,
    /// Highest IT load at any moment, MW.
    pub peak_it_mw: f64,
    /// Highest facility load at any moment, MW.
    pub peak_facility_mw: f64,
    /// Site interconnect limit, MW.
    pub interconnect_mw: f64,
    /// Steps that did not finish within the horizon, with why.
    pub unfinished_steps: Vec<UnfinishedStep>,
    /// Flexibility over the horizon, for worlds that price power by the hour or have
    /// flexibility terms (absent otherwise, so other worlds' summaries are unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flexibility: Option<FlexibilityTotals>,
}

/// What the site's flexibility earned and cost over the horizon (sums of the ledger's
/// flexibility columns).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct FlexibilityTotals {
    /// Demand-response / ancillary credits, USD (cash, in the ledger).
    pub dr_credits_usd: f64,
    /// Coincident-peak charges avoided by curtailing in the peaks, USD (a saving: the
    /// charge a firm load of the same MW would have paid, not a ledger cash line).
    pub peak_charges_avoided_usd: f64,
    /// Flexibility revenue: DR credits + avoided coincident-peak charges, USD.
    pub flexibility_revenue_usd: f64,
    /// Coincident-peak charges paid, USD.
    pub peak_charges_paid_usd: f64,
    /// SLA credits owed by firm halls curtailing under an obligation, USD.
    pub sla_credits_usd: f64,
    /// Flexible energy not drawn, MWh.
    pub curtailed_mwh: f64,
}

impl FlexibilityTotals {
    /// Net flexibility value over the horizon: flexibility revenue − peak charges paid −
    /// SLA credits, USD (what `compare` puts side by side).
    pub fn net_value_usd(&self) -> f64 {
        self.flexibility_revenue_usd - self.peak_charges_paid_usd - self.sla_credits_usd
    }

    /// Sums the ledger's flexibility columns; `None` when no month has them.
    pub fn from_ledger(ledger: &[MonthRow]) -> Option<Self> {
        let months: Vec<_> = ledger.iter().filter_map(|r| r.flexibility).collect();
        if months.is_empty() {
            return None;
        }
        let sum =
            |f: fn(&crate::price_shape::month::SiteMonth) -> f64| months.iter().map(f).sum::<f64>();
        let dr = sum(|m| m.dr_credit_usd);
        let avoided = sum(|m| m.peak_charge_avoided_usd);
        Some(Self {
            dr_credits_usd: dr,
            peak_charges_avoided_usd: avoided,
            flexibility_revenue_usd: dr + avoided,
            peak_charges_paid_usd: sum(|m| m.peak_charge_paid_usd),
            sla_credits_usd: sum(|m| m.sla_credits_usd),
            curtailed_mwh: sum(|m| m.curtailed_mwh),
        })
    }
}

/// A plan step that did not finish within the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnfinishedStep {
    /// Step id.
    pub step: String,
    /// Never started or in progress.
    pub status: StepStatus,
    /// Why.
    pub reason: String,
}

/// What the engine observed beyond the ledger and the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunFacts {
    /// Seed of a sampled run.
    pub seed: Option<u64>,
    /// Highest IT load, W.
    pub peak_it_w: u64,
    /// Highest facility load, W.
    pub peak_facility_w: f64,
    /// Day the first GPU unit energised.
    pub first_gpu_day: Option<Day>,
}

/// Days waited on limits in all, and months waited per limit kind.
fn waits(timeline: &[StepTimeline]) -> (Day, BTreeMap<String, f64>) {
    let mut by_limit: BTreeMap<String, f64> = BTreeMap::new();
    let mut wait_days = 0;
    for t in timeline {
        for sp in &t.spans {
            if let SpanKind::Wait(l) = sp.kind {
                wait_days += sp.to - sp.from;
                *by_limit.entry(l.name().to_string()).or_default() +=
                    f64::from(sp.to - sp.from) / DAYS_PER_MONTH_AVG;
            }
        }
    }
    (wait_days, by_limit)
}

/// The summary of a run of `s` from its ledger rows, timeline and facts.
pub fn summarise(
    s: &Scenario,
    ledger: &[MonthRow],
    timeline: &[StepTimeline],
    facts: RunFacts,
) -> Summary {
    let cumulative: Vec<f64> = ledger.iter().map(|r| r.cumulative_cash_usd).collect();
    let pb = payback(&cumulative);
    let (wait_days, by_limit) = waits(timeline);
    let sum = |f: fn(&MonthRow) -> f64| ledger.iter().map(f).sum::<f64>();
    Summary {
        world: s.name.clone(),
        start_month: s.calendar.start().to_string(),
        horizon_months: s.calendar.months(),
        seed: facts.seed,
        npv_usd: npv(
            s.discount_rate_per_year,
            ledger.iter().map(|r| r.net_cash_flow_usd),
        ),
        discount_rate_per_year: s.discount_rate_per_year,
        payback_month: pb.index().map(|i| ledger[i].month),
        payback_note: pb.none_reason("cumulative cash"),
        payback: pb,
        first_gpu_month: facts
            .first_gpu_day
            .map(|d| s.calendar.label(s.calendar.month_of(d))),
        months_waited_on_limits: f64::from(wait_days) / DAYS_PER_MONTH_AVG,
        months_waited_by_limit: by_limit,
        final_cumulative_cash_usd: cumulative.last().copied().unwrap_or(0.0),
        total_capex_usd: sum(|r| r.capex_usd),
        total_asic_revenue_usd: sum(|r| r.asic_revenue_usd),
        total_gpu_revenue_usd: sum(|r| r.gpu_revenue_usd),
        total_energy_cost_usd: sum(|r| r.energy_cost_usd),
        total_btc_mined: sum(|r| r.btc_mined),
        peak_it_mw: facts.peak_it_w as f64 / 1e6,
        peak_facility_mw: facts.peak_facility_w / 1e6,
        interconnect_mw: s.interconnect_w as f64 / 1e6,
        unfinished_steps: timeline
            .iter()
            .filter(|t| t.status != StepStatus::Done)
            .map(|t| UnfinishedStep {
                step: t.id.clone(),
                status: t.status,
                reason: t.reason.clone().unwrap_or_default(),
            })
            .collect(),
        flexibility: FlexibilityTotals::from_ledger(ledger),
    }
}
