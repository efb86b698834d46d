//! What flexibility earns and what firmness costs, as pure functions over a month's
//! price-duration curve:
//!
//! - **demand response / ancillary services**: a credit per MW registered per month, and
//!   deployment events in which the registered load must be off;
//! - **coincident-peak transmission charges** (ERCOT 4CP or a generic tariff): a charge
//!   per kW of the load drawn in the system's peak intervals; a flexible load that is off
//!   in them avoids it, a firm GPU hall pays it;
//! - **a large-load curtailment obligation** (Texas SB 6 style): in energy emergencies a
//!   site at or above a size threshold must curtail or switch to backup generation; a
//!   firm hall that curtails owes its tenant SLA credits.
//!
//! Events and emergencies happen when the grid is short, i.e. in the dearest hours, so
//! they are placed at the top of the duration curve. A flexible load is already off in
//! every hour priced above its revenue; an event only costs it the hours it would have
//! run, and those cost it the margin `revenue − price` it would have earned in them.

use super::PriceDurationCurve;
use serde::{Deserialize, Serialize};

/// Hours in a (non-leap) year, for scaling yearly figures to a curve's hours.
pub const HOURS_PER_YEAR: f64 = 8_760.0;

/// Extra curtailment of a flexible load forced off in the `hours_from_top` dearest
/// hours of `curve`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ForcedOff {
    /// Hours the load would have run but was off, per MW.
    pub hours: f64,
    /// Energy not drawn, MWh.
    pub mwh: f64,
    /// Margin (revenue − energy cost) given up, USD.
    pub forgone_margin_usd: f64,
}

/// A flexible load of `mw` earning `revenue_usd_per_mwh`, forced off in the
/// `hours_from_top` dearest hours.
pub fn forced_off(
    curve: &PriceDurationCurve,
    mw: f64,
    revenue_usd_per_mwh: f64,
    hours_from_top: f64,
) -> ForcedOff {
    let run = curve.run_at_or_below(revenue_usd_per_mwh).hours_run;
    let already_off = curve.total_hours() - run;
    let extra = (hours_from_top.min(curve.total_hours()) - already_off).clamp(0.0, run);
    let cost_in_band =
        curve.cost_of_cheapest_hours(run) - curve.cost_of_cheapest_hours(run - extra);
    ForcedOff {
        hours: extra,
        mwh: mw * extra,
        forgone_margin_usd: mw * (revenue_usd_per_mwh * extra - cost_in_band),
    }
}

/// Demand-response or ancillary-service participation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandResponse {
    /// Credit per MW registered per month, USD.
    pub usd_per_mw_month: f64,
    /// Hours a month in which registered load is deployed (must be off).
    pub event_hours_per_month: f64,
}

/// A month of demand response.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DrMonth {
    /// Capacity credit earned, USD.
    pub credit_usd: f64,
    /// Curtailment the events added beyond the load's own price response.
    pub forced: ForcedOff,
}

/// A month of demand response for `registered_mw` of a flexible load earning
/// `revenue_usd_per_mwh`, over `curve` (that month's prices).
pub fn demand_response_month(
    dr: &DemandResponse,
    registered_mw: f64,
    curve: &PriceDurationCurve,
    revenue_usd_per_mwh: f64,
) -> DrMonth {
    DrMonth {
        credit_usd: dr.usd_per_mw_month * registered_mw,
        forced: forced_off(
            curve,
            registered_mw,
            revenue_usd_per_mwh,
            dr.event_hours_per_month,
        ),
    }
}

/// A coincident-peak transmission tariff (ERCOT 4CP: the mean load in the four monthly
/// 15-minute system peaks of June–September sets next year's charge).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoincidentPeak {
    /// Charge per kW of peak-interval load per year, USD.
    pub usd_per_kw_year: f64,
    /// Share of the peak intervals in which flexible load is actually off (peaks must be
    /// forecast; 1 = every one).
    pub flexible_capture: f64,
}

/// A year's coincident-peak accounting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakCharge {
    /// The load counted in the peak intervals (the "tag"), MW.
    pub tag_mw: f64,
    /// Charge paid, USD per year.
    pub charge_usd_per_year: f64,
    /// Charge the flexible load avoided by being off, USD per year.
    pub avoided_usd_per_year: f64,
}

/// The tag of a load: its mean over the peak intervals, MW.
pub fn tag_mw(load_in_peak_intervals_mw: &[f64]) -> f64 {
    if load_in_peak_intervals_mw.is_empty() {
        return 0.0;
    }
    load_in_peak_intervals_mw.iter().sum::<f64>() / load_in_peak_intervals_mw.len() as f64
}

/// Coincident-peak charge for a site with `firm_mw` that always runs and `flexible_mw`
/// that is off in the share `flexible_capture` of the peak intervals.
pub fn coincident_peak(cp: &CoincidentPeak, firm_mw: f64, flexible_mw: f64) -> PeakCharge {
    let per_mw = cp.usd_per_kw_year * 1000.0;
    let tag = firm_mw + flexible_mw * (1.0 - cp.flexible_capture);
    PeakCharge {
        tag_mw: tag,
        charge_usd_per_year: tag * per_mw,
        avoided_usd_per_year: flexible_mw * cp.flexible_capture * per_mw,
    }
}

/// A large-load curtailment obligation (Texas SB 6, 2025: loads ≥ 75 MW).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurtailmentObligation {
    /// Site load from which the obligation applies, MW.
    pub threshold_mw: f64,
    /// Emergency hours a year in which the site must curtail.
    pub emergency_hours_per_year: f64,
}

/// How a firm hall meets the obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FirmResponse {
    /// Exempt: switches to its own backup generation (its fuel and capex are not modelled
    /// here).
    BackupGeneration,
    /// Curtails and pays the tenant SLA credits.
    CurtailWithSlaCredits,
}

/// A month under the obligation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ObligationMonth {
    /// Emergency hours this month.
    pub emergency_hours: f64,
    /// The flexible load's extra curtailment.
    pub flexible: ForcedOff,
    /// Firm load curtailed, MWh.
    pub firm_curtailed_mwh: f64,
    /// Energy cost the firm load saved while off, USD.
    pub firm_energy_saved_usd: f64,
    /// SLA credits owed to the firm hall's tenant, USD.
    pub sla_credits_usd: f64,
}

/// SLA credit for `outage_hours` of downtime in a month: one day of fees per hour down,
/// capped at the month's fee (the CherryRoad colocation terms in docs/domain.md).
pub fn sla_credit_usd(monthly_fee_usd: f64, outage_hours: f64) -> f64 {
    (outage_hours.max(0.0) * monthly_fee_usd / 30.0).min(monthly_fee_usd)
}

/// Whether the obligation applies to a site drawing `site_mw` at most.
pub fn obligation_applies(ob: &CurtailmentObligation, site_mw: f64) -> bool {
    site_mw >= ob.threshold_mw
}

/// The site's loads for [`obligation_month`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteLoads {
    /// Flexible (ASIC) load, MW.
    pub flexible_mw: f64,
    /// The flexible load's revenue per MWh, USD.
    pub flexible_revenue_usd_per_mwh: f64,
    /// Firm (GPU) load, MW.
    pub firm_mw: f64,
    /// The firm hall's monthly fee to its tenant (lease), USD.
    pub firm_monthly_fee_usd: f64,
    /// How the firm hall responds.
    pub firm_response: FirmResponse,
}

/// A month of the obligation over `curve` (that month's prices). Emergency hours scale
/// with the curve's hours and fall in its dearest hours. Nothing happens below the
/// threshold.
pub fn obligation_month(
    ob: &CurtailmentObligation,
    curve: &PriceDurationCurve,
    site: &SiteLoads,
) -> ObligationMonth {
    if !obligation_applies(ob, site.flexible_mw + site.firm_mw) {
        return ObligationMonth::default();
    }
    let total = curve.total_hours();
    let hours = (ob.emergency_hours_per_year * total / HOURS_PER_YEAR).min(total);
    let flexible = forced_off(
        curve,
        site.flexible_mw,
        site.flexible_revenue_usd_per_mwh,
        hours,
    );
    let mut out = ObligationMonth {
        emergency_hours: hours,
        flexible,
        ..ObligationMonth::default()
    };
    if site.firm_response == FirmResponse::CurtailWithSlaCredits {
        let top_cost =
            curve.cost_of_cheapest_hours(total) - curve.cost_of_cheapest_hours(total - hours);
        out.firm_curtailed_mwh = site.firm_mw * hours;
        out.firm_energy_saved_usd = site.firm_mw * top_cost;
        out.sla_credits_usd = sla_credit_usd(site.firm_monthly_fee_usd, hours);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 720-hour month: 600 h at $20, 100 h at $80, 15 h at $300, 5 h at $2,000.
    fn month() -> PriceDurationCurve {
        PriceDurationCurve::from_levels(&[
            (20.0, 600.0),
            (80.0, 100.0),
            (300.0, 15.0),
            (2_000.0, 5.0),
        ])
        .unwrap()
    }

    #[test]
    fn events_inside_hours_already_off_cost_nothing() {
        // Earning $100/MWh the load is off in the 20 hours above $100.
        let dr = DemandResponse {
            usd_per_mw_month: 5_000.0,
            event_hours_per_month: 12.0,
        };
        let m = demand_response_month(&dr, 50.0, &month(), 100.0);
        assert_eq!(m.credit_usd, 250_000.0);
        assert_eq!(m.forced, ForcedOff::default());
    }

    #[test]
    fn events_beyond_them_cost_the_margin_of_the_hours_given_up() {
        // 30 event hours: 20 already off, 10 more taken from the $80 hours:
        // 50 MW × 10 h × ($100 − $80) = $10,000 forgone, 500 MWh curtailed.
        let dr = DemandResponse {
            usd_per_mw_month: 5_000.0,
            event_hours_per_month: 30.0,
        };
        let m = demand_response_month(&dr, 50.0, &month(), 100.0);
        assert_eq!(m.forced.hours, 10.0);
        assert_eq!(m.forced.mwh, 500.0);
        assert_eq!(m.forced.forgone_margin_usd, 10_000.0);
        // 130 event hours: 100 hours of $80 and 10 of $20: 50 × (100 × 20 + 10 × 80).
        let big = forced_off(&month(), 50.0, 100.0, 130.0);
        assert_eq!(big.hours, 110.0);
        assert_eq!(big.forgone_margin_usd, 50.0 * (100.0 * 20.0 + 10.0 * 80.0));
        // More event hours than the month has: everything it would have run.
        assert_eq!(forced_off(&month(), 1.0, 100.0, 10_000.0).hours, 700.0);
    }

    #[test]
    fn four_cp_charges_firm_load_and_credits_the_flexible_load_that_avoids_it() {
        // $100/kW-yr; 100 MW firm GPU hall and 200 MW of miners off in 3 of 4 peaks.
        let cp = CoincidentPeak {
            usd_per_kw_year: 100.0,
            flexible_capture: 0.75,
        };
        let c = coincident_peak(&cp, 100.0, 200.0);
        assert_eq!(c.tag_mw, 150.0);
        assert_eq!(c.charge_usd_per_year, 15_000_000.0);
        assert_eq!(c.avoided_usd_per_year, 15_000_000.0);
        assert_eq!(tag_mw(&[300.0, 100.0, 100.0, 100.0]), 150.0);
        assert_eq!(tag_mw(&[]), 0.0);
    }

    #[test]
    fn sla_credits_are_a_day_of_fees_per_hour_capped_at_the_month() {
        assert_eq!(sla_credit_usd(3_000_000.0, 2.0), 200_000.0);
        assert_eq!(sla_credit_usd(3_000_000.0, 45.0), 3_000_000.0);
        assert_eq!(sla_credit_usd(3_000_000.0, -1.0), 0.0);
    }

    #[test]
    fn sb6_style_obligation_costs_a_firm_hall_credits_and_a_miner_almost_nothing() {
        let ob = CurtailmentObligation {
            threshold_mw: 75.0,
            emergency_hours_per_year: 121.666_666_666_666_67,
        };
        // 121.67 h/yr over a 720-hour month → 10 h, all priced above $100.
        let site = SiteLoads {
            flexible_mw: 60.0,
            flexible_revenue_usd_per_mwh: 100.0,
            firm_mw: 40.0,
            firm_monthly_fee_usd: 4_860_000.0,
            firm_response: FirmResponse::CurtailWithSlaCredits,
        };
        let m = obligation_month(&ob, &month(), &site);
        assert!((m.emergency_hours - 10.0).abs() < 1e-9);
        assert!(m.flexible.hours.abs() < 1e-9);
        // Firm: 40 MW × 10 h off; saves 40 × (5 × 2,000 + 5 × 300) = $460,000 of energy
        // and owes 10 days of fees: 10 × 4,860,000 / 30 = $1,620,000.
        assert!((m.firm_curtailed_mwh - 400.0).abs() < 1e-6);
        assert!((m.firm_energy_saved_usd - 460_000.0).abs() < 1e-6);
        assert!((m.sla_credits_usd - 1_620_000.0).abs() < 1e-6);
        // Backup generation: exempt, no credits.
        let backup = obligation_month(
            &ob,
            &month(),
            &SiteLoads {
                firm_response: FirmResponse::BackupGeneration,
                ..site
            },
        );
        assert_eq!(
            (backup.sla_credits_usd, backup.firm_curtailed_mwh),
            (0.0, 0.0)
        );
        // Below 75 MW nothing applies.
        let small = SiteLoads {
            flexible_mw: 30.0,
            ..site
        };
        assert_eq!(
            obligation_month(&ob, &month(), &small),
            ObligationMonth::default()
        );
    }
}
