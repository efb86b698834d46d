//! A site's month over a price shape: its flexible (ASIC) and firm (GPU) loads priced
//! hour by hour through the duration curve, plus the flexibility credits and charges.
//!
//! This is what the ledger's flexibility columns hold; it is a pure function of the
//! month's loads, the curve and the terms.

use super::flexibility::{self, FirmResponse, SiteLoads};
use super::schema::FlexibilitySpec;
use super::{PriceDurationCurve, firm_month, flexible_month};

/// The site's loads in one month.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SiteMonthLoads {
    /// Facility power of the ASIC fleets that would mine at a flat price (IT × PUE), MW.
    pub flexible_mw: f64,
    /// What they earn per MWh of facility power before the pool fee, USD.
    pub flexible_revenue_usd_per_mwh: f64,
    /// The pool's share of mining revenue: the fleets run in the hours priced at or
    /// below what they keep, `r × (1 − fee)`; revenue stays gross (finance deducts the
    /// fee), so nothing is counted twice.
    pub pool_fee_share: f64,
    /// Facility power of the firm loads whose energy the site pays for, MW.
    pub firm_billed_mw: f64,
    /// All firm facility power (including leased halls whose tenant pays the energy), MW:
    /// it sets the coincident-peak tag and the obligation's size test.
    pub firm_mw: f64,
    /// The firm halls' monthly fee to their tenants (lease revenue), USD.
    pub firm_monthly_fee_usd: f64,
}

/// The ledger's flexibility columns for one month.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SiteMonth {
    /// Flexible energy not drawn because the hour was dearer than mining earns, or an
    /// event or emergency forced it off, MWh.
    pub curtailed_mwh: f64,
    /// Energy cost of the flexible and billed firm loads, USD.
    pub energy_cost_usd: f64,
    /// Energy drawn by the flexible and billed firm loads, MWh.
    pub energy_mwh: f64,
    /// Mining revenue over the hours the fleets ran, before the pool fee, USD.
    pub mining_revenue_usd: f64,
    /// Energy cost of the flexible load alone over the hours it ran, USD (part of
    /// `energy_cost_usd`; finance prices the miners' electricity with it).
    pub flexible_energy_cost_usd: f64,
    /// Demand-response / ancillary credit, USD.
    pub dr_credit_usd: f64,
    /// Coincident-peak charge avoided by flexible load (a twelfth of the year's), USD.
    pub peak_charge_avoided_usd: f64,
    /// Coincident-peak charge paid (a twelfth of the year's), USD.
    pub peak_charge_paid_usd: f64,
    /// SLA credits the firm halls owe their tenants under the obligation, USD.
    pub sla_credits_usd: f64,
}

impl SiteMonth {
    /// Average price paid over the energy drawn, USD/MWh (0 when nothing was drawn).
    pub fn mean_price_paid_usd_per_mwh(&self) -> f64 {
        if self.energy_mwh > 0.0 {
            self.energy_cost_usd / self.energy_mwh
        } else {
            0.0
        }
    }

    /// Credits and avoided charges minus charges paid and SLA credits, USD.
    pub fn flexibility_net_usd(&self) -> f64 {
        self.dr_credit_usd - self.peak_charge_paid_usd - self.sla_credits_usd
    }
}

/// One month of the site over `curve`.
///
/// Events and emergencies take the flexible load off in the dearest hours, which it may
/// already have left; the extra hours they cost come out of its run hours, revenue and
/// energy bill (at the prices of those hours). The firm halls curtail only under an
/// obligation they meet by curtailing (their saved energy is credited back).
pub fn site_month(
    curve: &PriceDurationCurve,
    loads: &SiteMonthLoads,
    terms: &FlexibilitySpec,
) -> SiteMonth {
    // Gross revenue per MWh, and what the site keeps of it: the threshold.
    let r = loads.flexible_revenue_usd_per_mwh;
    let r_net = r * (1.0 - loads.pool_fee_share);
    let flex = flexible_month(curve, loads.flexible_mw, r_net);
    let firm = firm_month(curve, loads.firm_billed_mw, 0.0);
    let mut out = SiteMonth {
        curtailed_mwh: flex.mwh_curtailed,
        energy_cost_usd: flex.energy_cost_usd + firm.energy_cost_usd,
        flexible_energy_cost_usd: flex.energy_cost_usd,
        energy_mwh: flex.mwh_run + firm.mwh_run,
        mining_revenue_usd: flex.mwh_run * r,
        ..SiteMonth::default()
    };
    // The hours forced off by events and by emergencies overlap (both are the dearest
    // hours): the larger of the two sets the extra curtailment.
    let mut forced_hours: f64 = 0.0;
    if let Some(dr) = &terms.demand_response {
        out.dr_credit_usd = dr.usd_per_mw_month * loads.flexible_mw;
        forced_hours = forced_hours.max(dr.event_hours_per_month);
    }
    if let Some(cp) = &terms.coincident_peak {
        let c = flexibility::coincident_peak(cp, loads.firm_mw, loads.flexible_mw);
        out.peak_charge_paid_usd = c.charge_usd_per_year / 12.0;
        out.peak_charge_avoided_usd = c.avoided_usd_per_year / 12.0;
    }
    if let Some((ob, response)) = &terms.curtailment_obligation {
        let site = SiteLoads {
            flexible_mw: loads.flexible_mw,
            flexible_revenue_usd_per_mwh: r_net,
            firm_mw: loads.firm_mw,
            firm_monthly_fee_usd: loads.firm_monthly_fee_usd,
            firm_response: *response,
        };
        let m = flexibility::obligation_month(ob, curve, &site);
        forced_hours = forced_hours.max(m.emergency_hours);
        if *response == FirmResponse::CurtailWithSlaCredits && loads.firm_mw > 0.0 {
            // Only the billed share of the firm load saves the site energy.
            let billed = loads.firm_billed_mw / loads.firm_mw;
            out.energy_cost_usd -= m.firm_energy_saved_usd * billed;
            out.energy_mwh -= m.firm_curtailed_mwh * billed;
            out.sla_credits_usd = m.sla_credits_usd;
        }
    }
    let forced = flexibility::forced_off(curve, loads.flexible_mw, r_net, forced_hours);
    out.curtailed_mwh += forced.mwh;
    out.energy_mwh -= forced.mwh;
    // Margin forgone = r_net × mwh − cost of those hours: the cost comes out of the bill,
    // the gross revenue of those MWh out of revenue.
    let cost_of_forced_hours = r_net * forced.mwh - forced.forgone_margin_usd;
    out.mining_revenue_usd -= r * forced.mwh;
    out.energy_cost_usd -= cost_of_forced_hours;
    out.flexible_energy_cost_usd -= cost_of_forced_hours;
    out
}

/// What the ledger hands over at a month's close: its integrals over the month.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LedgerMonth {
    /// Calendar month, 1..=12.
    pub calendar_month: u32,
    /// Days in the month.
    pub days: f64,
    /// ASIC facility power (IT × PUE) of fleets that would mine, W·days.
    pub asic_facility_w_days: f64,
    /// All facility power, W·days.
    pub facility_w_days: f64,
    /// Facility power whose energy the site pays for, W·days.
    pub billable_facility_w_days: f64,
    /// Mining revenue if every fleet ran every hour, USD.
    pub asic_revenue_usd: f64,
    /// Lease revenue of the firm halls, USD.
    pub lease_revenue_usd: f64,
    /// The site's electricity price this month, USD/MWh.
    pub site_usd_per_mwh: f64,
    /// The pool's share of mining revenue (see [`SiteMonthLoads::pool_fee_share`]).
    pub pool_fee_share: f64,
}

/// The month priced through `shape` (a flat curve at the site's price without one),
/// with the `terms` of flexibility.
pub fn ledger_month(
    shape: Option<&super::schema::PriceShapeSpec>,
    terms: &FlexibilitySpec,
    m: &LedgerMonth,
) -> SiteMonth {
    let hours = m.days * 24.0;
    let curve = match shape {
        Some(s) => s.month_curve(m.calendar_month, hours, m.site_usd_per_mwh),
        None => {
            PriceDurationCurve::from_levels(&[(m.site_usd_per_mwh, hours)]).unwrap_or_else(|_| {
                PriceDurationCurve::from_levels(&[(0.0, hours.max(1.0))])
                    .expect("a valid flat curve")
            })
        }
    };
    let mw = |w_days: f64| w_days / m.days / 1e6;
    let flexible_mw = mw(m.asic_facility_w_days);
    let flexible_mwh = flexible_mw * hours;
    let loads = SiteMonthLoads {
        flexible_mw,
        flexible_revenue_usd_per_mwh: if flexible_mwh > 0.0 {
            m.asic_revenue_usd / flexible_mwh
        } else {
            0.0
        },
        pool_fee_share: m.pool_fee_share,
        firm_billed_mw: mw(m.billable_facility_w_days - m.asic_facility_w_days).max(0.0),
        firm_mw: mw(m.facility_w_days - m.asic_facility_w_days).max(0.0),
        firm_monthly_fee_usd: m.lease_revenue_usd,
    };
    site_month(&curve, &loads, terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price_shape::flexibility::{CoincidentPeak, CurtailmentObligation, DemandResponse};

    /// 600 h at $20, 100 h at $80, 15 h at $300, 5 h at $2,000.
    fn curve() -> PriceDurationCurve {
        PriceDurationCurve::from_levels(&[
            (20.0, 600.0),
            (80.0, 100.0),
            (300.0, 15.0),
            (2_000.0, 5.0),
        ])
        .unwrap()
    }

    fn loads() -> SiteMonthLoads {
        SiteMonthLoads {
            flexible_mw: 50.0,
            flexible_revenue_usd_per_mwh: 100.0,
            firm_billed_mw: 10.0,
            firm_mw: 40.0,
            firm_monthly_fee_usd: 4_860_000.0,
            pool_fee_share: 0.0,
        }
    }

    #[test]
    fn without_terms_it_is_the_curve_alone() {
        let m = site_month(&curve(), &loads(), &FlexibilitySpec::default());
        // Flexible: 700 h × 50 MW; cost 50 × (600×20 + 100×80) = $1,000,000.
        // Firm billed: 10 MW × (12,000 + 8,000 + 4,500 + 10,000) = $345,000.
        assert_eq!(m.curtailed_mwh, 50.0 * 20.0);
        assert_eq!(m.energy_mwh, 35_000.0 + 7_200.0);
        assert_eq!(m.energy_cost_usd, 1_000_000.0 + 345_000.0);
        assert_eq!(m.mining_revenue_usd, 3_500_000.0);
        assert!((m.mean_price_paid_usd_per_mwh() - 1_345_000.0 / 42_200.0).abs() < 1e-9);
        assert_eq!(m.flexibility_net_usd(), 0.0);
    }

    #[test]
    fn events_beyond_the_spike_hours_come_out_of_revenue_and_energy() {
        let terms = FlexibilitySpec {
            demand_response: Some(DemandResponse {
                usd_per_mw_month: 5_000.0,
                event_hours_per_month: 30.0,
            }),
            ..FlexibilitySpec::default()
        };
        let m = site_month(&curve(), &loads(), &terms);
        // 10 extra hours at $80: 500 MWh less, $50,000 less revenue, $40,000 less energy.
        assert_eq!(m.curtailed_mwh, 1_000.0 + 500.0);
        assert_eq!(m.mining_revenue_usd, 3_500_000.0 - 50_000.0);
        assert!((m.energy_cost_usd - (1_345_000.0 - 40_000.0)).abs() < 1e-6);
        assert_eq!(m.dr_credit_usd, 250_000.0);
    }

    #[test]
    fn peaks_and_obligations_charge_the_firm_hall() {
        let terms = FlexibilitySpec {
            coincident_peak: Some(CoincidentPeak {
                usd_per_kw_year: 120.0,
                flexible_capture: 1.0,
            }),
            curtailment_obligation: Some((
                CurtailmentObligation {
                    threshold_mw: 75.0,
                    emergency_hours_per_year: 121.666_666_666_666_67,
                },
                FirmResponse::CurtailWithSlaCredits,
            )),
            ..FlexibilitySpec::default()
        };
        let m = site_month(&curve(), &loads(), &terms);
        // 4CP: firm 40 MW × $120,000/MW-yr / 12 = $400,000; flexible 50 MW avoided $500,000.
        assert!((m.peak_charge_paid_usd - 400_000.0).abs() < 1e-6);
        assert!((m.peak_charge_avoided_usd - 500_000.0).abs() < 1e-6);
        // Emergency: 10 h (5 at $2,000, 5 at $300), inside the 20 h the miners are off.
        // Firm hall off 10 h: credits 10 days of $4.86 M / 30; a quarter of its 40 MW is
        // billed: 10 MW × (5 × 2,000 + 5 × 300) = $115,000 saved.
        assert!((m.sla_credits_usd - 1_620_000.0).abs() < 1e-6);
        assert!((m.energy_cost_usd - (1_345_000.0 - 115_000.0)).abs() < 1e-6);
        assert_eq!(m.curtailed_mwh, 1_000.0);
        assert!((m.flexibility_net_usd() - (-400_000.0 - 1_620_000.0)).abs() < 1e-6);
    }

    #[test]
    fn the_ledger_month_without_a_shape_is_the_flat_price() {
        // 30 days, 10 MW of miners earning $1.2 M, 5 MW of billed firm load, site $40/MWh.
        let m = LedgerMonth {
            calendar_month: 4,
            days: 30.0,
            asic_facility_w_days: 10e6 * 30.0,
            facility_w_days: 15e6 * 30.0,
            billable_facility_w_days: 15e6 * 30.0,
            asic_revenue_usd: 1_200_000.0,
            lease_revenue_usd: 0.0,
            site_usd_per_mwh: 40.0,
            pool_fee_share: 0.0,
        };
        let out = ledger_month(None, &FlexibilitySpec::default(), &m);
        // r = 1.2 M / 7,200 MWh = $166.67 > $40: every hour runs.
        assert!((out.mining_revenue_usd - 1_200_000.0).abs() < 1e-6);
        assert!((out.energy_cost_usd - 15.0 * 720.0 * 40.0).abs() < 1e-6);
        assert_eq!(out.curtailed_mwh, 0.0);
        // Earning less than the price, the miners are off all month.
        let poor = LedgerMonth {
            asic_revenue_usd: 100_000.0,
            ..m
        };
        let out = ledger_month(None, &FlexibilitySpec::default(), &poor);
        assert_eq!(out.mining_revenue_usd, 0.0);
        assert!((out.curtailed_mwh - 7_200.0).abs() < 1e-6);
        assert!((out.energy_cost_usd - 5.0 * 720.0 * 40.0).abs() < 1e-6);
    }
}
