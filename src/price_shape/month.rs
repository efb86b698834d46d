//! A site's month over a price shape: its flexible (ASIC) and firm (GPU) loads priced
//! hour by hour through the duration curve, plus the flexibility credits and charges.
//!
//! This is what the ledger's flexibility columns hold; it is a pure function of the
//! month's loads, the curve and the terms.

use super::flexibility::{self, FirmResponse, SiteLoads};
use super::schema::FlexibilitySpec;
use super::{PriceDurationCurve, firm_month, flexible_month};

/// One ASIC fleet (a model on a cooling loop) in one month: it runs in the hours priced
/// at or below what it keeps of its own revenue per MWh, whatever the other fleets do.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlexibleFleet {
    /// Facility power of the fleet when it would mine at a flat price (IT × PUE), MW.
    pub mw: f64,
    /// What it earns per MWh of facility power before the pool fee, USD.
    pub revenue_usd_per_mwh: f64,
    /// Its IT load, MW: finance charges the opex of mining MW on it (0 leaves the fleet
    /// out of the opex term and of [`SiteMonth::flexible_it_run_share`]).
    pub it_mw: f64,
}

/// The site's loads in one month.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteMonthLoads {
    /// The ASIC fleets, each with its own revenue per MWh.
    pub fleets: Vec<FlexibleFleet>,
    /// The pool's share of mining revenue: each fleet runs in the hours priced at or
    /// below what it keeps, `r × (1 − fee)`; revenue stays gross (finance deducts the
    /// fee), so nothing is counted twice.
    pub pool_fee_share: f64,
    /// Opex one MW of ASIC IT adds for each hour it hashes rather than sits idle
    /// (`facility::curtail::marginal_opex_usd_per_it_mwh`), USD/MWh of IT: each fleet
    /// runs in the hours priced at or below `r × (1 − fee) − this × IT / facility MW`.
    pub opex_usd_per_it_mwh: f64,
    /// Facility power of the firm loads whose energy the site pays for, MW.
    pub firm_billed_mw: f64,
    /// All firm facility power (including leased halls whose tenant pays the energy), MW:
    /// it sets the obligation's size test (the site's coincident-peak charge is on the
    /// billed firm load: a pass-through tenant pays its share with its power).
    pub firm_mw: f64,
    /// The firm halls' monthly fee to their tenants (lease revenue), USD.
    pub firm_monthly_fee_usd: f64,
}

impl SiteMonthLoads {
    /// Facility power of all the fleets, MW.
    pub fn flexible_mw(&self) -> f64 {
        self.fleets.iter().map(|f| f.mw).sum()
    }
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
    /// What firm load (a GPU hall, on every hour) pays per MWh of the energy it would
    /// draw running all month: the curve's time-weighted mean price, spikes included,
    /// less the emergency hours' energy when it curtails under an obligation, USD/MWh.
    /// Finance prices the GPU halls' power with it; who pays is the lease's pass-through.
    pub firm_usd_per_mwh: f64,
    /// Share of the fleets' IT-hours actually hashed (IT-weighted over fleets; 1 without
    /// fleets): finance counts only those as mining MW, the rest as idle, so hours the
    /// rule curtails save the opex that made it curtail them.
    pub flexible_it_run_share: f64,
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
    let keep = 1.0 - loads.pool_fee_share;
    let flexible_mw = loads.flexible_mw();
    let mut out = SiteMonth::default();
    let thresholds: Vec<f64> = loads
        .fleets
        .iter()
        .map(|f| run_threshold_usd_per_mwh(f, keep, loads.opex_usd_per_it_mwh))
        .collect();
    let mut run_mwh = run_fleets(curve, &loads.fleets, &thresholds, &mut out);
    let firm = firm_month(curve, loads.firm_billed_mw, 0.0);
    out.energy_cost_usd += firm.energy_cost_usd;
    out.energy_mwh += firm.mwh_run;
    out.firm_usd_per_mwh = curve.mean_price_usd_per_mwh();
    // The hours forced off by events and by emergencies overlap (both are the dearest
    // hours): the larger of the two sets the extra curtailment.
    let mut forced_hours: f64 = 0.0;
    if let Some(dr) = &terms.demand_response {
        out.dr_credit_usd = dr.usd_per_mw_month * flexible_mw;
        forced_hours = forced_hours.max(dr.event_hours_per_month);
    }
    if let Some(cp) = &terms.coincident_peak {
        // The transmission (4CP) charge follows the power: a tenant that pays its
        // hall's electricity under a pass-through lease pays that hall's share of the
        // tag too, so the site pays on its billed firm load (docs/model.md).
        let c = flexibility::coincident_peak(cp, loads.firm_billed_mw, flexible_mw);
        out.peak_charge_paid_usd = c.charge_usd_per_year / 12.0;
        out.peak_charge_avoided_usd = c.avoided_usd_per_year / 12.0;
    }
    if let Some((ob, response)) = &terms.curtailment_obligation {
        // The obligation's own flexible figures are not used here (each fleet's forced
        // hours are priced below), so the MW-weighted threshold is enough for it.
        let kept_usd: f64 = loads
            .fleets
            .iter()
            .zip(&thresholds)
            .map(|(f, t)| f.mw * t)
            .sum();
        let site = SiteLoads {
            flexible_mw,
            flexible_revenue_usd_per_mwh: if flexible_mw > 0.0 {
                kept_usd / flexible_mw
            } else {
                0.0
            },
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
            out.firm_usd_per_mwh -= m.firm_energy_saved_usd / loads.firm_mw / curve.total_hours();
        }
    }
    let forced = ForcedHours {
        curve,
        hours: forced_hours,
    };
    for ((fleet, &threshold), run) in loads.fleets.iter().zip(&thresholds).zip(&mut run_mwh) {
        forced.take(fleet, threshold, run, &mut out);
    }
    out.flexible_it_run_share = it_run_share(&loads.fleets, &run_mwh, curve.total_hours());
    out
}

/// Each fleet against its own threshold (what it keeps per MWh, less its opex), added
/// into `out`; returns each fleet's MWh run.
fn run_fleets(
    curve: &PriceDurationCurve,
    fleets: &[FlexibleFleet],
    thresholds: &[f64],
    out: &mut SiteMonth,
) -> Vec<f64> {
    fleets
        .iter()
        .zip(thresholds)
        .map(|(fleet, &threshold)| {
            let flex = flexible_month(curve, fleet.mw, threshold);
            out.curtailed_mwh += flex.mwh_curtailed;
            out.energy_cost_usd += flex.energy_cost_usd;
            out.flexible_energy_cost_usd += flex.energy_cost_usd;
            out.energy_mwh += flex.mwh_run;
            out.mining_revenue_usd += flex.mwh_run * fleet.revenue_usd_per_mwh;
            flex.mwh_run
        })
        .collect()
}

/// The dearest `hours` of `curve`, which events and emergencies take from the fleets.
struct ForcedHours<'a> {
    curve: &'a PriceDurationCurve,
    hours: f64,
}

impl ForcedHours<'_> {
    /// Takes the forced hours `fleet` (running at or below `threshold`) would have run
    /// out of `out` and out of its `run_mwh`.
    fn take(&self, fleet: &FlexibleFleet, threshold: f64, run_mwh: &mut f64, out: &mut SiteMonth) {
        let forced = flexibility::forced_off(self.curve, fleet.mw, threshold, self.hours);
        out.curtailed_mwh += forced.mwh;
        out.energy_mwh -= forced.mwh;
        *run_mwh -= forced.mwh;
        // Margin forgone = threshold × mwh − cost of those hours: the cost comes out of
        // the bill, the gross revenue of those MWh out of revenue.
        let cost_of_forced_hours = threshold * forced.mwh - forced.forgone_margin_usd;
        out.mining_revenue_usd -= fleet.revenue_usd_per_mwh * forced.mwh;
        out.energy_cost_usd -= cost_of_forced_hours;
        out.flexible_energy_cost_usd -= cost_of_forced_hours;
    }
}

/// The price at or below which `fleet` runs, USD/MWh of facility power: what it keeps,
/// `r × keep`, less the opex its running adds per facility MWh,
/// `opex_usd_per_it_mwh × IT / facility`. Without opex it is `r × keep` exactly; with an
/// infinite opex (zero uptime) it is the lowest finite price, so the fleet never runs.
fn run_threshold_usd_per_mwh(fleet: &FlexibleFleet, keep: f64, opex_usd_per_it_mwh: f64) -> f64 {
    let kept = fleet.revenue_usd_per_mwh * keep;
    if opex_usd_per_it_mwh == 0.0 || fleet.it_mw == 0.0 || fleet.mw <= 0.0 {
        kept
    } else {
        (kept - opex_usd_per_it_mwh * fleet.it_mw / fleet.mw).max(-f64::MAX)
    }
}

/// IT-weighted share of the month's hours the fleets ran (1 when no fleet has IT).
fn it_run_share(fleets: &[FlexibleFleet], run_mwh: &[f64], hours: f64) -> f64 {
    let it_mw: f64 = fleets.iter().map(|f| f.it_mw).sum();
    if it_mw <= 0.0 || hours <= 0.0 {
        return 1.0;
    }
    let run_it_mwh: f64 = fleets
        .iter()
        .zip(run_mwh)
        .filter(|(f, _)| f.mw > 0.0)
        .map(|(f, mwh)| f.it_mw * (mwh / f.mw))
        .sum();
    (run_it_mwh / (it_mw * hours)).clamp(0.0, 1.0)
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
    /// See [`SiteMonthLoads::opex_usd_per_it_mwh`].
    pub opex_usd_per_it_mwh: f64,
}

/// One fleet's own integrals over a month, as the ledger kept them: they give the mix
/// of the month's ASIC power and revenue between fleets.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FleetMonth {
    /// Facility power while it would mine (IT × PUE), W·days.
    pub facility_w_days: f64,
    /// IT load while it would mine, W·days.
    pub it_w_days: f64,
    /// Revenue if it ran every hour, USD.
    pub revenue_usd: f64,
}

/// The month's fleets: each one's share of [`LedgerMonth::asic_facility_w_days`] and of
/// [`LedgerMonth::asic_revenue_usd`] is its share of the `fleets`' own integrals, so the
/// fleets add up to the ledger's totals (units out for repair reduce those totals, not
/// the mix). Without fleet integrals the month is one fleet.
fn month_fleets(m: &LedgerMonth, fleets: &[FleetMonth]) -> Vec<FlexibleFleet> {
    let hours = m.days * 24.0;
    let w: f64 = fleets.iter().map(|f| f.facility_w_days).sum();
    let usd: f64 = fleets.iter().map(|f| f.revenue_usd).sum();
    let it: f64 = fleets.iter().map(|f| f.it_w_days).sum();
    let one = [FleetMonth {
        facility_w_days: 1.0,
        it_w_days: if w > 0.0 { it / w } else { 0.0 },
        revenue_usd: 1.0,
    }];
    // x / x is exactly 1, so a single fleet prices exactly as the totals do.
    let (fleets, w, usd) = if w > 0.0 && usd > 0.0 {
        (fleets, w, usd)
    } else {
        (&one[..], 1.0, 1.0)
    };
    fleets
        .iter()
        .filter(|f| f.facility_w_days > 0.0)
        .map(|f| {
            let mw = m.asic_facility_w_days * (f.facility_w_days / w) / m.days / 1e6;
            let revenue = m.asic_revenue_usd * (f.revenue_usd / usd);
            let mwh = mw * hours;
            FlexibleFleet {
                mw,
                revenue_usd_per_mwh: if mwh > 0.0 { revenue / mwh } else { 0.0 },
                // The fleet's own IT per facility W (1 / its PUE).
                it_mw: mw * (f.it_w_days / f.facility_w_days),
            }
        })
        .collect()
}

/// The month priced through `shape` (a flat curve at the site's price without one),
/// with the `terms` of flexibility; each of the `fleets` curtails by its own revenue.
pub fn ledger_month(
    shape: Option<&super::schema::PriceShapeSpec>,
    terms: &FlexibilitySpec,
    m: &LedgerMonth,
    fleets: &[FleetMonth],
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
    let loads = SiteMonthLoads {
        fleets: month_fleets(m, fleets),
        pool_fee_share: m.pool_fee_share,
        opex_usd_per_it_mwh: m.opex_usd_per_it_mwh,
        firm_billed_mw: mw(m.billable_facility_w_days - m.asic_facility_w_days).max(0.0),
        firm_mw: mw(m.facility_w_days - m.asic_facility_w_days).max(0.0),
        firm_monthly_fee_usd: m.lease_revenue_usd,
    };
    site_month(&curve, &loads, terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The per-fleet rule, hour by hour: every fleet is off in the `events` dearest hours
    /// and in every hour dearer than what it keeps; otherwise it runs and pays the hour.
    fn brute_force(hourly: &[f64], fleets: &[FlexibleFleet], fee: f64, events: usize) -> SiteMonth {
        let mut order: Vec<usize> = (0..hourly.len()).collect();
        order.sort_by(|&a, &b| hourly[b].total_cmp(&hourly[a]));
        let mut forced = vec![false; hourly.len()];
        for &h in order.iter().take(events) {
            forced[h] = true;
        }
        let mut out = SiteMonth::default();
        for f in fleets {
            for (h, &p) in hourly.iter().enumerate() {
                if forced[h] || p > f.revenue_usd_per_mwh * (1.0 - fee) {
                    out.curtailed_mwh += f.mw;
                } else {
                    out.energy_mwh += f.mw;
                    out.energy_cost_usd += f.mw * p;
                    out.mining_revenue_usd += f.mw * f.revenue_usd_per_mwh;
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn each_fleet_curtails_by_its_own_revenue_as_an_hourly_loop_does(
            hourly in proptest::collection::vec(-50.0f64..3_000.0, 1..400),
            fleets in proptest::collection::vec((0.0f64..80.0, -20.0f64..1_500.0, 0usize..400), 1..5),
            fee in 0.0f64..0.3,
            events in 0usize..12,
        ) {
            // Some thresholds land exactly on an hour's price (ties run).
            let fleets: Vec<FlexibleFleet> = fleets
                .iter()
                .map(|&(mw, r, pick)| FlexibleFleet {
                    mw,
                    revenue_usd_per_mwh: if pick % 3 == 0 {
                        hourly[pick % hourly.len()] / (1.0 - fee)
                    } else {
                        r
                    },
                    it_mw: 0.0,
                })
                .collect();
            let curve = PriceDurationCurve::from_hourly(&hourly).unwrap();
            let loads = SiteMonthLoads { fleets: fleets.clone(), pool_fee_share: fee, ..SiteMonthLoads::default() };
            let terms = FlexibilitySpec {
                demand_response: Some(crate::price_shape::flexibility::DemandResponse {
                    usd_per_mw_month: 0.0,
                    event_hours_per_month: events as f64,
                }),
                ..FlexibilitySpec::default()
            };
            let fast = site_month(&curve, &loads, &terms);
            let slow = brute_force(&hourly, &fleets, fee, events.min(hourly.len()));
            let mw: f64 = fleets.iter().map(|f| f.mw).sum();
            let money = mw * hourly.len() as f64
                * (hourly.iter().fold(0.0f64, |a, p| a.max(p.abs()))
                    + fleets.iter().fold(0.0f64, |a, f| a.max(f.revenue_usd_per_mwh.abs())));
            let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-9 * scale.max(1.0);
            let mwh = mw * hourly.len() as f64;
            prop_assert!(close(fast.curtailed_mwh, slow.curtailed_mwh, mwh), "{} vs {}", fast.curtailed_mwh, slow.curtailed_mwh);
            prop_assert!(close(fast.energy_mwh, slow.energy_mwh, mwh));
            prop_assert!(close(fast.energy_cost_usd, slow.energy_cost_usd, money), "{} vs {}", fast.energy_cost_usd, slow.energy_cost_usd);
            prop_assert!(close(fast.flexible_energy_cost_usd, slow.energy_cost_usd, money));
            prop_assert!(close(fast.mining_revenue_usd, slow.mining_revenue_usd, money));
        }
    }

    #[test]
    fn two_fleets_curtail_apart_not_at_their_average() {
        // 600 h at $20, 100 h at $80, 15 h at $300, 5 h at $2,000. An old fleet earning
        // $60/MWh runs only the $20 hours; a new one earning $400 runs all but the $2,000
        // ones. Their MW-weighted average ($230) would run both through 715 h.
        let fleets = vec![
            FlexibleFleet {
                mw: 50.0,
                revenue_usd_per_mwh: 60.0,
                it_mw: 0.0,
            },
            FlexibleFleet {
                mw: 50.0,
                revenue_usd_per_mwh: 400.0,
                it_mw: 0.0,
            },
        ];
        let loads = SiteMonthLoads {
            fleets,
            ..SiteMonthLoads::default()
        };
        let m = site_month(&curve(), &loads, &FlexibilitySpec::default());
        assert_eq!(m.curtailed_mwh, 50.0 * 120.0 + 50.0 * 5.0);
        assert_eq!(
            m.energy_cost_usd,
            50.0 * 12_000.0 + 50.0 * (12_000.0 + 8_000.0 + 4_500.0)
        );
        assert_eq!(
            m.mining_revenue_usd,
            50.0 * 600.0 * 60.0 + 50.0 * 715.0 * 400.0
        );
    }
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
            fleets: vec![FlexibleFleet {
                mw: 50.0,
                revenue_usd_per_mwh: 100.0,
                it_mw: 0.0,
            }],
            firm_billed_mw: 10.0,
            firm_mw: 40.0,
            firm_monthly_fee_usd: 4_860_000.0,
            pool_fee_share: 0.0,
            opex_usd_per_it_mwh: 0.0,
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
        // 4CP: of the firm 40 MW the site is billed for 10 (pass-through tenants pay the
        // rest's share with their power): 10 MW × $120,000/MW-yr / 12 = $100,000;
        // flexible 50 MW avoided $500,000.
        assert!((m.peak_charge_paid_usd - 100_000.0).abs() < 1e-6);
        assert!((m.peak_charge_avoided_usd - 500_000.0).abs() < 1e-6);
        // Emergency: 10 h (5 at $2,000, 5 at $300), inside the 20 h the miners are off.
        // Firm hall off 10 h: credits 10 days of $4.86 M / 30; a quarter of its 40 MW is
        // billed: 10 MW × (5 × 2,000 + 5 × 300) = $115,000 saved.
        assert!((m.sla_credits_usd - 1_620_000.0).abs() < 1e-6);
        assert!((m.energy_cost_usd - (1_345_000.0 - 115_000.0)).abs() < 1e-6);
        assert_eq!(m.curtailed_mwh, 1_000.0);
        assert!((m.flexibility_net_usd() - (-100_000.0 - 1_620_000.0)).abs() < 1e-6);
    }

    #[test]
    fn firm_load_pays_the_time_weighted_mean_less_the_hours_it_curtails() {
        // The four-level month: mean (12,000 + 8,000 + 4,500 + 10,000) / 720 = $47.92.
        let plain = site_month(&curve(), &loads(), &FlexibilitySpec::default());
        assert_eq!(plain.firm_usd_per_mwh, 34_500.0 / 720.0);
        // The ledger's billed firm energy is exactly that price on every hour.
        assert_eq!(
            plain.energy_cost_usd - 1_000_000.0,
            10.0 * 720.0 * 34_500.0 / 720.0
        );
        // Curtailing 10 emergency hours (5 at $2,000, 5 at $300) takes $11,500 per MW.
        let ob = |firm_response| FlexibilitySpec {
            curtailment_obligation: Some((
                CurtailmentObligation {
                    threshold_mw: 75.0,
                    emergency_hours_per_year: 121.666_666_666_666_67,
                },
                firm_response,
            )),
            ..FlexibilitySpec::default()
        };
        let curtails = site_month(&curve(), &loads(), &ob(FirmResponse::CurtailWithSlaCredits));
        assert!((curtails.firm_usd_per_mwh - 23_000.0 / 720.0).abs() < 1e-9);
        // The billed 10 MW pay that price on all 720 hours in the ledger too.
        let firm_bill = curtails.energy_cost_usd - curtails.flexible_energy_cost_usd;
        assert!((firm_bill - 10.0 * 720.0 * curtails.firm_usd_per_mwh).abs() < 1e-6);
        // On backup generation the hall draws nothing less from the grid's bill.
        let backup = site_month(&curve(), &loads(), &ob(FirmResponse::BackupGeneration));
        assert_eq!(backup.firm_usd_per_mwh, plain.firm_usd_per_mwh);
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
            opex_usd_per_it_mwh: 0.0,
        };
        let out = ledger_month(None, &FlexibilitySpec::default(), &m, &[]);
        // r = 1.2 M / 7,200 MWh = $166.67 > $40: every hour runs.
        assert!((out.mining_revenue_usd - 1_200_000.0).abs() < 1e-6);
        assert!((out.energy_cost_usd - 15.0 * 720.0 * 40.0).abs() < 1e-6);
        assert_eq!(out.curtailed_mwh, 0.0);
        // Earning less than the price, the miners are off all month.
        let poor = LedgerMonth {
            asic_revenue_usd: 100_000.0,
            ..m
        };
        let out = ledger_month(None, &FlexibilitySpec::default(), &poor, &[]);
        assert_eq!(out.mining_revenue_usd, 0.0);
        assert!((out.curtailed_mwh - 7_200.0).abs() < 1e-6);
        assert!((out.energy_cost_usd - 5.0 * 720.0 * 40.0).abs() < 1e-6);
    }

    /// Finance's margin from a fleet over a month: uptime × (revenue kept − energy) less
    /// the opex of its IT-hours hashed over idle (`opex_usd_per_it_mwh` is per hashing
    /// hour, i.e. already over the uptime share).
    fn finance_margin(
        m: &SiteMonth,
        f: &FlexibleFleet,
        keep: f64,
        u: f64,
        opex: f64,
        hours: f64,
    ) -> f64 {
        u * (m.mining_revenue_usd * keep - m.flexible_energy_cost_usd)
            - u * opex * f.it_mw * hours * m.flexible_it_run_share
    }

    #[test]
    fn the_hourly_rule_weighs_the_opex_of_running_and_flips_at_break_even() {
        // 50 MW of facility power, 40 MW of IT, earning $100/MWh, over 600 h at $20,
        // 100 h at $80, 15 h at $300 and 5 h at $2,000. Without opex it runs 700 h.
        let fleet = FlexibleFleet {
            mw: 50.0,
            revenue_usd_per_mwh: 100.0,
            it_mw: 40.0,
        };
        let at = |opex: f64| {
            let loads = SiteMonthLoads {
                fleets: vec![fleet],
                opex_usd_per_it_mwh: opex,
                ..SiteMonthLoads::default()
            };
            site_month(&curve(), &loads, &FlexibilitySpec::default())
        };
        let old = at(0.0);
        assert_eq!(old.curtailed_mwh, 50.0 * 20.0);
        assert_eq!(old.flexible_it_run_share, 700.0 / 720.0);
        // $25 per IT MWh is $20 per facility MWh: the threshold is $80 exactly, and the
        // $80 hours still run (ties run); a hair more and they are off.
        let even = at(25.0);
        assert_eq!(even.curtailed_mwh, old.curtailed_mwh);
        let above = at(25.000_001);
        assert_eq!(above.curtailed_mwh, 50.0 * 120.0);
        assert_eq!(above.flexible_it_run_share, 600.0 / 720.0);
        assert_eq!(above.mining_revenue_usd, 50.0 * 600.0 * 100.0);
        assert_eq!(above.flexible_energy_cost_usd, 50.0 * 600.0 * 20.0);
        // Finance's margin at $30: the $80 hours earn $20 × 50 MW an hour but add
        // $30 × 40 MW of opex; curtailing them gains $200 an hour, 100 hours.
        let (u, hours) = (0.97, 720.0);
        let new = at(30.0);
        let gain = finance_margin(&new, &fleet, 1.0, u, 30.0, hours)
            - finance_margin(&old, &fleet, 1.0, u, 30.0, hours);
        assert!((gain - u * 100.0 * (30.0 * 40.0 - 20.0 * 50.0)).abs() < 1e-6);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn with_opex_the_hourly_rule_never_books_less_than_the_old_one(
            hourly in proptest::collection::vec(-50.0f64..400.0, 1..300),
            mw in 1.0f64..80.0,
            pue in 1.02f64..1.6,
            r in 0.0f64..300.0,
            fee in 0.0f64..0.1,
            opex in 0.0f64..60.0,
        ) {
            let mut levels: Vec<(f64, f64)> = hourly.iter().map(|&p| (p, 1.0)).collect();
            levels.sort_by(|a, b| a.0.total_cmp(&b.0));
            let curve = PriceDurationCurve::from_levels(&levels).unwrap();
            let fleet = FlexibleFleet { mw, revenue_usd_per_mwh: r, it_mw: mw / pue };
            let run = |o: f64| {
                let loads = SiteMonthLoads {
                    fleets: vec![fleet],
                    pool_fee_share: fee,
                    opex_usd_per_it_mwh: o,
                    ..SiteMonthLoads::default()
                };
                site_month(&curve, &loads, &FlexibilitySpec::default())
            };
            let h = hourly.len() as f64;
            let keep = 1.0 - fee;
            let new = finance_margin(&run(opex), &fleet, keep, 0.97, opex, h);
            let old = finance_margin(&run(0.0), &fleet, keep, 0.97, opex, h);
            prop_assert!(new >= old - 1e-6 * old.abs().max(1.0), "{new} < {old}");
        }
    }
}
