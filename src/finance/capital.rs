//! Capital: capex line items, when they are paid (progress payments), the gross asset
//! value they build, and what decommissioned ASICs fetch.

use super::Timeline;
use serde::{Deserialize, Serialize};

/// Tax asset class of a capex line item (each has its own depreciation life).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetClass {
    /// GPU servers bought by the site (rental halls).
    GpuServers,
    /// ASIC miners.
    Asics,
    /// Transformers, substations, switchgear, busway, UPS.
    Electrical,
    /// Cooling loops, CDUs, chillers, dry coolers.
    Mechanical,
    /// Building works, conversion labour, shell.
    Building,
}

impl AssetClass {
    /// Every class, in the order [`super::tax::TaxTerms::classes`] lists them.
    pub const ALL: [AssetClass; 5] = [
        AssetClass::GpuServers,
        AssetClass::Asics,
        AssetClass::Electrical,
        AssetClass::Mechanical,
        AssetClass::Building,
    ];

    /// Position in [`AssetClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One capex line item as the run incurred it: what, how much and its milestones
/// (days since the start of the run). Milestones after the horizon are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapexEvent {
    /// Line-item name (equipment id, step id or "step/kind"); debt tranches name these.
    pub item: String,
    /// Tax asset class.
    pub class: AssetClass,
    /// Total cost, USD.
    pub cost_usd: f64,
    /// Day the item was ordered (or the step that pays it started).
    pub ordered_day: u32,
    /// Day it was delivered, if it was.
    pub delivered_day: Option<u32>,
    /// Day it was installed (or the step finished), if it was.
    pub installed_day: Option<u32>,
}

impl CapexEvent {
    /// Day the asset is placed in service for depreciation: installation, else delivery,
    /// else the order day (costs with no delivery, such as conversion labour, are in
    /// service when incurred).
    pub fn in_service_day(&self) -> u32 {
        self.installed_day
            .or(self.delivered_day)
            .unwrap_or(self.ordered_day)
    }
}

/// The capex item name of the units a plan step buys (ASICs, or GPUs it rents out):
/// `step-id/units`. Equipment items are named by their id, a step's own cost by the
/// step id.
pub fn units_item(step_id: &str) -> String {
    format!("{step_id}/units")
}

/// Which milestone pays the rest of a progress-paid item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemainderAt {
    /// On delivery.
    Delivery,
    /// On installation.
    Installation,
}

/// Progress payments: a share at order, the rest at a later milestone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressPayments {
    /// Share of cost paid at order, 0..=1.
    pub at_order_share: f64,
    /// Milestone that pays the remainder.
    pub remainder_at: RemainderAt,
}

/// Resale value of ASICs of one model sold at age `a` months:
/// `usd_per_th × (1 − d)^((a − a_q)/12) × (hashprice_m / hashprice_ref)`, with `a_q` the
/// age of the units the price was quoted for (the last factor only when a reference
/// hashprice is given). A unit ages from its in-service date, not from the run's start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SalvageCurve {
    /// Quoted resale price, USD per TH/s, for units `quoted_age_months` old.
    pub usd_per_th: f64,
    /// Price decline per year of age, 0..1.
    pub decline_per_year: f64,
    /// Age of the units `usd_per_th` was quoted for, months (0: new units).
    #[serde(default)]
    pub quoted_age_months: u32,
    /// The hashprice at which `usd_per_th` was quoted, USD per PH/s per day; `None`
    /// leaves resale independent of hashprice.
    #[serde(default)]
    pub hashprice_reference_usd_per_ph_day: Option<f64>,
}

impl SalvageCurve {
    /// Price of units `age_months` old, USD per TH/s, before any hashprice scaling.
    pub fn usd_per_th_at_age(&self, age_months: u32) -> f64 {
        let years = (f64::from(age_months) - f64::from(self.quoted_age_months)) / 12.0;
        self.usd_per_th * (1.0 - self.decline_per_year).max(0.0).powf(years)
    }

    /// Price of units `age_months` old when hashprice that month is
    /// `hashprice_usd_per_ph_day`: resale moves in proportion to what a machine earns
    /// (an assumption; see docs/model.md, "ASIC resale").
    pub fn usd_per_th_at(&self, age_months: u32, hashprice_usd_per_ph_day: f64) -> f64 {
        let base = self.usd_per_th_at_age(age_months);
        match self.hashprice_reference_usd_per_ph_day {
            Some(r) if r > 0.0 => base * (hashprice_usd_per_ph_day.max(0.0) / r),
            _ => base,
        }
    }
}

/// ASICs of one model sold (or still running at the horizon) in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AsicLot {
    /// Index among the world's ASIC models (as [`CapitalTerms::salvage`]).
    pub model: usize,
    /// Hashrate, TH/s.
    pub th: f64,
    /// Whole months since the units went into service.
    pub age_months: u32,
}

impl AsicLot {
    /// What the lot sells for under `salvage` at this hashprice, USD (0 for a model
    /// without a resale curve).
    pub fn resale_usd(&self, salvage: &[SalvageCurve], hashprice_usd_per_ph_day: f64) -> f64 {
        salvage.get(self.model).map_or(0.0, |s| {
            self.th * s.usd_per_th_at(self.age_months, hashprice_usd_per_ph_day)
        })
    }
}

/// Capital terms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapitalTerms {
    /// Progress payments; `None` pays every item in full when ordered.
    pub progress: Option<ProgressPayments>,
    /// Salvage curve per ASIC model (same order as the input's decommissioned TH).
    pub salvage: Vec<SalvageCurve>,
    /// Gross value of the assets the site starts with, USD (insured and taxed like new
    /// ones; assumed fully depreciated for tax).
    pub existing_gross_asset_usd: f64,
    /// Sell every ASIC still installed on the first day after the site's miners have
    /// mined nothing for this many consecutive months (`None`: never). Sold units are
    /// booked as salvage that month, stop counting as idle MW and are not in the
    /// terminal value (docs/model.md, "Selling an idle fleet").
    #[serde(default)]
    pub sell_idle_asics_after_months: Option<u32>,
}

/// One payment of one capex item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Payment {
    /// Index into the input's capex events.
    pub event: usize,
    /// Month paid.
    pub month: usize,
    /// Amount, USD.
    pub usd: f64,
}

/// Every payment of every item inside the horizon. Without progress payments an item
/// is paid in full in its order month; with them, `at_order_share` then, the rest at
/// delivery or installation. A milestone the run never reached is never paid.
pub fn payments(
    events: &[CapexEvent],
    progress: Option<ProgressPayments>,
    t: &Timeline,
) -> Vec<Payment> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let (first_share, rest_day) = match progress {
            None => (1.0, None),
            Some(p) => {
                let day = match p.remainder_at {
                    RemainderAt::Delivery => e.delivered_day,
                    RemainderAt::Installation => e.installed_day,
                };
                (p.at_order_share, day)
            }
        };
        let mut pay = |day: Option<u32>, share: f64| {
            if let Some(month) = day.and_then(|d| t.month_of_day(d))
                && share > 0.0
            {
                out.push(Payment {
                    event: i,
                    month,
                    usd: e.cost_usd * share,
                });
            }
        };
        pay(Some(e.ordered_day), first_share);
        pay(rest_day, 1.0 - first_share);
    }
    out
}

/// Capex paid per month.
pub fn paid_by_month(payments: &[Payment], months: usize) -> Vec<f64> {
    let mut out = vec![0.0; months];
    for p in payments {
        out[p.month] += p.usd;
    }
    out
}

/// Gross asset value at the end of each month: existing assets plus capex paid so far.
pub fn gross_asset_value(existing_usd: f64, paid: &[f64]) -> Vec<f64> {
    paid.iter()
        .scan(existing_usd, |acc, p| {
            *acc += p;
            Some(*acc)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::Timeline;

    fn event(
        cost: f64,
        ordered: u32,
        delivered: Option<u32>,
        installed: Option<u32>,
    ) -> CapexEvent {
        CapexEvent {
            item: "T1".into(),
            class: AssetClass::Electrical,
            cost_usd: cost,
            ordered_day: ordered,
            delivered_day: delivered,
            installed_day: installed,
        }
    }

    #[test]
    fn without_progress_payments_everything_is_paid_at_order() {
        let t = Timeline::uniform(12, 30);
        let p = payments(&[event(100.0, 45, Some(200), Some(250))], None, &t);
        assert_eq!(paid_by_month(&p, 12)[1], 100.0);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn progress_payments_split_between_order_and_milestone() {
        let t = Timeline::uniform(12, 30);
        let e = [event(100.0, 45, Some(200), Some(250))];
        let pp = |at| {
            Some(ProgressPayments {
                at_order_share: 0.3,
                remainder_at: at,
            })
        };
        let by_delivery = paid_by_month(&payments(&e, pp(RemainderAt::Delivery), &t), 12);
        assert_eq!((by_delivery[1], by_delivery[6]), (30.0, 70.0));
        let by_install = paid_by_month(&payments(&e, pp(RemainderAt::Installation), &t), 12);
        assert_eq!((by_install[1], by_install[8]), (30.0, 70.0));
        // Never delivered inside the horizon: the remainder is never paid.
        let late = paid_by_month(
            &payments(
                &[event(100.0, 45, None, None)],
                pp(RemainderAt::Delivery),
                &t,
            ),
            12,
        );
        assert_eq!(late.iter().sum::<f64>(), 30.0);
        assert_eq!(gross_asset_value(5.0, &by_delivery)[6], 105.0);
    }

    #[test]
    fn salvage_falls_by_its_decline_each_year_of_age() {
        let s = SalvageCurve {
            usd_per_th: 4.0,
            decline_per_year: 0.5,
            quoted_age_months: 0,
            hashprice_reference_usd_per_ph_day: None,
        };
        assert_eq!(s.usd_per_th_at_age(0), 4.0);
        assert!((s.usd_per_th_at_age(12) - 2.0).abs() < 1e-12);
        assert!((s.usd_per_th_at_age(24) - 1.0).abs() < 1e-12);
        // Without a reference hashprice does not matter; with one, resale scales with it.
        assert_eq!(s.usd_per_th_at(12, 10.0), s.usd_per_th_at_age(12));
        let h = SalvageCurve {
            hashprice_reference_usd_per_ph_day: Some(40.0),
            ..s
        };
        assert!((h.usd_per_th_at(12, 30.0) - 2.0 * 0.75).abs() < 1e-12);
        assert_eq!(h.usd_per_th_at(0, -1.0), 0.0);
        // A price quoted for 2-year-old units is that price at 24 months, twice it a
        // year younger.
        let q = SalvageCurve {
            quoted_age_months: 24,
            ..s
        };
        assert_eq!(q.usd_per_th_at_age(24), 4.0);
        assert!((q.usd_per_th_at_age(12) - 8.0).abs() < 1e-12);
        let lot = AsicLot {
            model: 0,
            th: 1_000.0,
            age_months: 36,
        };
        assert!((lot.resale_usd(&[q], 0.0) - 2_000.0).abs() < 1e-9);
        assert_eq!(AsicLot { model: 1, ..lot }.resale_usd(&[q], 0.0), 0.0);
    }
}
