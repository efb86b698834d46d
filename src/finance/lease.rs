//! GPU hall contracts: leases (rate per kW-month, escalators, renewals, tenant capex,
//! prepayments, deposits, late-delivery penalties) and rental contract terms.
//!
//! A contract runs in *contract months* counted from its commencement day. Contract
//! month `j` runs from the commencement day-of-month in ledger month `c + j` to the
//! same day-of-month in `c + j + 1`, so a ledger month is split between at most two
//! contract months at that offset ([`ContractClock::weights`]); escalation on each
//! anniversary and the end of the term fall on the commencement day-of-month.

use super::Timeline;
use serde::{Deserialize, Serialize};

/// Which kW the rent is billed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Billing {
    /// The contracted critical IT kW, from commencement, whatever is energised.
    Contracted,
    /// The IT kW actually energised in the hall.
    Energised,
}

/// When rent starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Commencement {
    /// The day the hall energises.
    OnEnergisation,
    /// A contractual date (day of the run). Rent starts on the later of that date and
    /// energisation; for every day the hall is energised after the date the landlord
    /// pays a late-delivery penalty.
    OnDate {
        /// Contractual commencement day (days since the start of the run).
        day: u32,
        /// Penalty while late, USD per month (prorated by day).
        late_penalty_usd_per_month: f64,
    },
}

/// Renewal options after the initial term.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Renewal {
    /// Number of options.
    pub options: u32,
    /// Length of each, months.
    pub length_months: u32,
    /// Rate change at the start of each renewal, fraction (0.05 = +5 %).
    pub rate_change: f64,
    /// Probability each option is taken (given the previous one was).
    pub probability: f64,
}

impl Renewal {
    /// No renewal options.
    pub const NONE: Renewal = Renewal {
        options: 0,
        length_months: 0,
        rate_change: 0.0,
        probability: 0.0,
    };

    /// Options exercised, given one uniform draw in `[0, 1)` per option: option `k` is
    /// taken when option `k − 1` was and `u_k < probability`. With every draw at 0.5
    /// (a median run) an option is taken exactly when its probability exceeds 50 %.
    pub fn exercised(&self, uniforms: impl IntoIterator<Item = f64>) -> u32 {
        uniforms
            .into_iter()
            .take(self.options as usize)
            .take_while(|&u| u < self.probability)
            .count() as u32
    }
}

/// How much a tenant contributes to capex.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ContributionAmount {
    /// A total, USD.
    TotalUsd(f64),
    /// Per MW of contracted critical IT, USD.
    UsdPerMw(f64),
}

/// Tenant capex contribution, paid on milestones (shares sum to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TenantCapex {
    /// The amount.
    pub amount: ContributionAmount,
    /// Share paid at signing.
    pub at_signing_share: f64,
    /// Share paid when the hall's equipment is delivered.
    pub at_delivery_share: f64,
    /// Share paid when the hall energises.
    pub at_energisation_share: f64,
}

/// Rent paid in advance at signing and credited against rent from commencement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prepayment {
    /// Amount, USD.
    pub usd: f64,
    /// Months over which it is credited (usd / months per month of rent).
    pub credit_months: u32,
}

/// A lease of one GPU hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseContract {
    /// Hall index in the input.
    pub hall: usize,
    /// Base rate, USD per kW-month of critical IT.
    pub usd_per_kw_month: f64,
    /// Billing basis.
    pub billing: Billing,
    /// Contracted critical IT, kW.
    pub contracted_kw: f64,
    /// When rent starts.
    pub commencement: Commencement,
    /// Initial term, months; `None` runs to the horizon (no end).
    pub term_months: Option<u32>,
    /// Escalator, per year, compounding on each anniversary of commencement.
    pub escalator_per_year: f64,
    /// Renewal options.
    pub renewal: Renewal,
    /// Tenant pays the hall's electricity (triple-net).
    pub power_pass_through: bool,
    /// Tenant capex contribution.
    pub tenant_capex: Option<TenantCapex>,
    /// Rent prepayment.
    pub prepayment: Option<Prepayment>,
    /// Refundable deposit received at signing, returned when the lease ends (or at the
    /// horizon, when the buyer of the site takes it over), USD.
    pub deposit_usd: f64,
    /// Day the lease is signed (days since the start of the run).
    pub signing_day: u32,
}

/// A rental hall's contract term: revenue (from the engine) counts from energisation
/// for the term and any renewals, scaled by the renewal rate change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RentalContract {
    /// Hall index in the input.
    pub hall: usize,
    /// Term from energisation, months; `None` runs to the horizon.
    pub term_months: Option<u32>,
    /// Renewal options.
    pub renewal: Renewal,
}

/// When a contract runs, on the ledger's months.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractClock {
    /// Ledger month of commencement.
    pub month: usize,
    /// Day of that month commencement falls on (0 = the first).
    pub offset_days: u32,
    /// Length including exercised renewals, months; `None` = no end.
    pub length_months: Option<u32>,
}

impl ContractClock {
    /// Clock of a contract commencing on `day` for `length_months`; `None` if `day` is
    /// outside the horizon.
    pub fn new(t: &Timeline, day: u32, length_months: Option<u32>) -> Option<Self> {
        let month = t.month_of_day(day)?;
        Some(Self {
            month,
            offset_days: day - t.first_day(month),
            length_months,
        })
    }

    /// The contract months that ledger month `m` (of `days` days) overlaps and the share
    /// of `m` in each: before the offset, contract month `m − c − 1`; from it on,
    /// `m − c`. Months outside the contract get weight 0.
    pub fn weights(&self, m: usize, days: u32) -> [(u32, f64); 2] {
        let before = f64::from(self.offset_days.min(days)) / f64::from(days.max(1));
        let live =
            |j: i64| -> bool { j >= 0 && self.length_months.is_none_or(|len| j < i64::from(len)) };
        let j_now = m as i64 - self.month as i64;
        let pick = |j: i64, w: f64| if live(j) { (j as u32, w) } else { (0, 0.0) };
        [pick(j_now - 1, before), pick(j_now, 1.0 - before)]
    }

    /// Whether the contract is still in force after the last of `months` months.
    pub fn runs_past(&self, months: usize) -> bool {
        self.length_months
            .is_none_or(|len| self.month + len as usize >= months)
    }

    /// Ledger month the contract ends in (the day after its last day), if it ends.
    pub fn end_month(&self) -> Option<usize> {
        self.length_months.map(|len| self.month + len as usize)
    }
}

/// Renewals started by contract month `j` of a contract with initial `term`.
fn renewals_started(j: u32, term: Option<u32>, r: &Renewal) -> u32 {
    match term {
        Some(term) if j >= term => (j - term) / r.length_months.max(1) + 1,
        _ => 0,
    }
}

/// Contract length with `exercised` renewals.
fn length(term: Option<u32>, r: &Renewal, exercised: u32) -> Option<u32> {
    term.map(|t| t + exercised.min(r.options) * r.length_months)
}

impl LeaseContract {
    /// A plain lease of hall `hall`: `contracted_kw` billed as contracted at
    /// `usd_per_kw_month` from energisation, triple-net, with no end, escalator,
    /// renewal, tenant capex, prepayment or deposit, signed on day 0. Set the rest with
    /// struct update syntax.
    pub fn on_energisation(hall: usize, usd_per_kw_month: f64, contracted_kw: f64) -> Self {
        Self {
            hall,
            usd_per_kw_month,
            billing: Billing::Contracted,
            contracted_kw,
            commencement: Commencement::OnEnergisation,
            term_months: None,
            escalator_per_year: 0.0,
            renewal: Renewal::NONE,
            power_pass_through: true,
            tenant_capex: None,
            prepayment: None,
            deposit_usd: 0.0,
            signing_day: 0,
        }
    }

    /// Rate in contract month `j`: `base × (1 + e)^⌊j/12⌋ × (1 + Δ)^renewals started`.
    pub fn rate_in(&self, j: u32) -> f64 {
        let years = j / 12;
        self.usd_per_kw_month
            * (1.0 + self.escalator_per_year).powi(years as i32)
            * (1.0 + self.renewal.rate_change).powi(renewals_started(
                j,
                self.term_months,
                &self.renewal,
            ) as i32)
    }

    /// Commencement day, if inside the horizon: energisation, or the later of the
    /// contractual date and energisation.
    pub fn commencement_day(&self, energised_day: Option<u32>) -> Option<u32> {
        let e = energised_day?;
        Some(match self.commencement {
            Commencement::OnEnergisation => e,
            Commencement::OnDate { day, .. } => day.max(e),
        })
    }

    /// Contracted capacity in MW.
    pub fn contracted_mw(&self) -> f64 {
        self.contracted_kw / 1e3
    }

    /// Total tenant capex contribution, USD.
    pub fn tenant_capex_usd(&self) -> f64 {
        match self.tenant_capex.map(|c| c.amount) {
            None => 0.0,
            Some(ContributionAmount::TotalUsd(v)) => v,
            Some(ContributionAmount::UsdPerMw(v)) => v * self.contracted_mw(),
        }
    }

    /// This lease's clock with `exercised` renewals, if rent ever starts in the horizon.
    pub fn clock(
        &self,
        t: &Timeline,
        energised_day: Option<u32>,
        exercised: u32,
    ) -> Option<ContractClock> {
        let day = self.commencement_day(energised_day)?;
        ContractClock::new(t, day, length(self.term_months, &self.renewal, exercised))
    }

    /// This lease's clock with `exercised` renewals when it commences `offset_days` into
    /// ledger month `month` (for callers that keep their own calendar, like the engine's
    /// SLA credits).
    pub fn clock_at(&self, month: usize, offset_days: u32, exercised: u32) -> ContractClock {
        ContractClock {
            month,
            offset_days,
            length_months: length(self.term_months, &self.renewal, exercised),
        }
    }

    /// Rent billed in ledger month `m` (of `days` days) before any prepayment credit:
    /// `Contracted`: contracted kW × Σ_j w_j · rate_j; `Energised`: `leased_kw` (the
    /// month's average energised leased kW) × the rate averaged over the covered days
    /// ([`coverage`]), where `energised_share` is the share of the month on or after
    /// energisation. This is the rent an SLA credit is a share of.
    pub fn billed_usd(
        &self,
        c: &ContractClock,
        m: usize,
        days: u32,
        energised_share: f64,
        leased_kw: f64,
    ) -> f64 {
        let w = c.weights(m, days);
        match self.billing {
            Billing::Contracted => {
                self.contracted_kw * w.iter().map(|&(j, wj)| wj * self.rate_in(j)).sum::<f64>()
            }
            Billing::Energised => leased_kw * coverage(w, energised_share, |j| self.rate_in(j)).1,
        }
    }
}

impl RentalContract {
    /// Revenue multiplier in contract month `j`: `(1 + Δ)^renewals started`.
    pub fn factor_in(&self, j: u32) -> f64 {
        (1.0 + self.renewal.rate_change)
            .powi(renewals_started(j, self.term_months, &self.renewal) as i32)
    }

    /// This contract's clock with `exercised` renewals (it commences on energisation).
    pub fn clock(
        &self,
        t: &Timeline,
        energised_day: Option<u32>,
        exercised: u32,
    ) -> Option<ContractClock> {
        ContractClock::new(
            t,
            energised_day?,
            length(self.term_months, &self.renewal, exercised),
        )
    }
}

/// One lease month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LeaseMonth {
    /// Rent received in cash (after prepayment credits), USD.
    pub rent_usd: f64,
    /// Average rate over the days in force, USD/kW-month (0 when not in force).
    pub rate_usd_per_kw_month: f64,
    /// Share of the hall's energised output under the lease this month, 0..=1 (the rest
    /// is idle: before commencement or after the lease ends).
    pub occupied_share: f64,
    /// Tenant capex contributions received, USD.
    pub tenant_capex_usd: f64,
    /// Prepayment received, USD.
    pub prepayment_usd: f64,
    /// Deposit received (+) or returned (−), USD.
    pub deposit_usd: f64,
    /// Late-delivery penalty paid by the landlord, USD.
    pub late_penalty_usd: f64,
}

/// A lease's months and whether it runs past the horizon.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaseSchedule {
    /// One entry per ledger month.
    pub months: Vec<LeaseMonth>,
    /// Still in force after the horizon (counts toward terminal value).
    pub runs_past_horizon: bool,
}

/// Share of the month's energised output that a contract covers, and the
/// weight-average of `factor` over the covered days, as `(occupied, Σ w·factor / base)`
/// where `base = max(energised share, Σ w)`: energised output is taken as spread evenly
/// over the energised days of the month.
pub fn coverage(
    weights: [(u32, f64); 2],
    energised_share: f64,
    factor: impl Fn(u32) -> f64,
) -> (f64, f64) {
    let w: f64 = weights.iter().map(|p| p.1).sum();
    let base = energised_share.max(w);
    if base <= 0.0 {
        return (0.0, 0.0);
    }
    let weighted: f64 = weights.iter().map(|&(j, wj)| wj * factor(j)).sum();
    (w / base, weighted / base)
}

/// Builds a lease's schedule over the timeline. `leased_kw[m]` is the hall's average
/// energised leased kW in month `m`; the hall delivered and energised on the given days.
pub fn lease_schedule(
    l: &LeaseContract,
    t: &Timeline,
    leased_kw: &[f64],
    delivered_day: Option<u32>,
    energised_day: Option<u32>,
    exercised: u32,
) -> LeaseSchedule {
    let n = t.len();
    let mut months = vec![LeaseMonth::default(); n];
    let clock = l.clock(t, energised_day, exercised);
    let mut credit_left = l.prepayment.map_or(0.0, |p| p.usd);
    let credit_per_month = l
        .prepayment
        .map_or(0.0, |p| p.usd / f64::from(p.credit_months.max(1)));
    for (m, lm) in months.iter_mut().enumerate() {
        let Some(c) = clock else { break };
        let w = c.weights(m, t.days(m));
        let in_force: f64 = w.iter().map(|p| p.1).sum();
        if in_force <= 0.0 {
            continue;
        }
        let energised = energised_day.map_or(0.0, |e| t.share_from(m, e));
        let (occupied, _) = coverage(w, energised, |j| l.rate_in(j));
        let kw = leased_kw.get(m).copied().unwrap_or(0.0);
        let gross = l.billed_usd(&c, m, t.days(m), energised, kw);
        let credit = credit_left
            .min(gross)
            .min(credit_per_month * in_force)
            .max(0.0);
        credit_left -= credit;
        lm.rent_usd = gross - credit;
        lm.rate_usd_per_kw_month =
            w.iter().map(|&(j, wj)| wj * l.rate_in(j)).sum::<f64>() / in_force;
        lm.occupied_share = occupied;
    }
    one_off_flows(l, t, &mut months, clock, delivered_day, energised_day);
    LeaseSchedule {
        months,
        runs_past_horizon: clock.is_some_and(|c| c.runs_past(n)),
    }
}

/// Tenant capex, prepayment, deposit and late-delivery penalties.
fn one_off_flows(
    l: &LeaseContract,
    t: &Timeline,
    months: &mut [LeaseMonth],
    clock: Option<ContractClock>,
    delivered_day: Option<u32>,
    energised_day: Option<u32>,
) {
    let n = months.len();
    let at = |day: Option<u32>| day.and_then(|d| t.month_of_day(d));
    if let Some(tc) = l.tenant_capex {
        let total = l.tenant_capex_usd();
        for (day, share) in [
            (Some(l.signing_day), tc.at_signing_share),
            (delivered_day, tc.at_delivery_share),
            (energised_day, tc.at_energisation_share),
        ] {
            if let Some(m) = at(day) {
                months[m].tenant_capex_usd += total * share;
            }
        }
    }
    let signed = at(Some(l.signing_day));
    if let (Some(p), Some(m)) = (l.prepayment, signed) {
        months[m].prepayment_usd += p.usd;
    }
    if let (true, Some(m)) = (l.deposit_usd != 0.0, signed) {
        months[m].deposit_usd += l.deposit_usd;
        let back = clock
            .and_then(|c| c.end_month())
            .filter(|&e| e < n)
            .unwrap_or(n - 1);
        months[back].deposit_usd -= l.deposit_usd;
    }
    if let Commencement::OnDate {
        day,
        late_penalty_usd_per_month,
    } = l.commencement
    {
        for (m, lm) in months.iter_mut().enumerate() {
            // Share of the month on or after the date and before energisation.
            let late =
                t.share_from(m, day) - energised_day.map_or(0.0, |e| t.share_from(m, e.max(day)));
            lm.late_penalty_usd = late_penalty_usd_per_month * late.max(0.0);
        }
    }
}

/// A rental contract's months: the share of the engine's rental revenue earned under
/// the contract (with renewal rate changes) and the occupied share of the hall.
pub fn rental_schedule(
    r: &RentalContract,
    t: &Timeline,
    energised_day: Option<u32>,
    exercised: u32,
) -> (Vec<(f64, f64)>, bool) {
    let clock = r.clock(t, energised_day, exercised);
    let months = (0..t.len())
        .map(|m| match (clock, energised_day) {
            (Some(c), Some(e)) => coverage(c.weights(m, t.days(m)), t.share_from(m, e), |j| {
                r.factor_in(j)
            }),
            _ => (0.0, 0.0),
        })
        .collect();
    (months, clock.is_some_and(|c| c.runs_past(t.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease() -> LeaseContract {
        LeaseContract {
            hall: 0,
            usd_per_kw_month: 100.0,
            billing: Billing::Contracted,
            contracted_kw: 1_000.0,
            commencement: Commencement::OnEnergisation,
            term_months: Some(24),
            escalator_per_year: 0.03,
            renewal: Renewal::NONE,
            power_pass_through: true,
            tenant_capex: None,
            prepayment: None,
            deposit_usd: 0.0,
            signing_day: 0,
        }
    }

    fn rents(s: &LeaseSchedule) -> Vec<f64> {
        s.months.iter().map(|m| m.rent_usd).collect()
    }

    #[test]
    fn escalation_steps_on_each_anniversary() {
        // 30-day months; energised on day 60 (first day of month 2).
        let t = Timeline::uniform(40, 30);
        let s = lease_schedule(&lease(), &t, &[], None, Some(60), 0);
        let r = rents(&s);
        assert_eq!(r[1], 0.0);
        assert!((r[2] - 100_000.0).abs() < 1e-6);
        assert!((r[13] - 100_000.0).abs() < 1e-6);
        assert!((r[14] - 103_000.0).abs() < 1e-6, "{}", r[14]);
        assert!((r[25] - 103_000.0).abs() < 1e-6);
        assert!((s.months[14].rate_usd_per_kw_month - 103.0).abs() < 1e-9);
    }

    #[test]
    fn mid_month_commencement_splits_months_at_the_same_day() {
        // Energised on day 70: 20 of month 2's 30 days; the anniversary falls 10 days
        // into month 14, so month 14 is 1/3 at the old rate and 2/3 at the new.
        let t = Timeline::uniform(40, 30);
        let s = lease_schedule(&lease(), &t, &[], None, Some(70), 0);
        let r = rents(&s);
        assert!((r[2] - 100_000.0 * 2.0 / 3.0).abs() < 1e-6);
        assert!((r[14] - (100_000.0 / 3.0 + 103_000.0 * 2.0 / 3.0)).abs() < 1e-6);
        // 24 months of term end 10 days into month 26.
        assert!((r[26] - 103_000.0 / 3.0).abs() < 1e-6);
        assert_eq!(r[27], 0.0);
        let total: f64 = r.iter().sum();
        assert!((total - (12.0 * 100_000.0 + 12.0 * 103_000.0)).abs() < 1e-6);
    }

    #[test]
    fn a_lease_ends_at_its_term_when_renewal_probability_is_zero() {
        let mut l = lease();
        l.renewal = Renewal {
            options: 2,
            length_months: 12,
            rate_change: 0.05,
            probability: 0.0,
        };
        let exercised = l.renewal.exercised([0.5, 0.5]);
        assert_eq!(exercised, 0);
        let t = Timeline::uniform(60, 30);
        let s = lease_schedule(&l, &t, &[], None, Some(0), exercised);
        let r = rents(&s);
        assert!(r[23] > 0.0 && r[24..].iter().all(|&x| x == 0.0));
        assert!(!s.runs_past_horizon);
        assert_eq!(s.months[30].occupied_share, 0.0);
    }

    #[test]
    fn an_exercised_renewal_changes_the_rate_and_extends_the_term() {
        let mut l = lease();
        l.escalator_per_year = 0.0;
        l.renewal = Renewal {
            options: 2,
            length_months: 12,
            rate_change: 0.05,
            probability: 0.9,
        };
        let exercised = l.renewal.exercised([0.5, 0.95]);
        assert_eq!(exercised, 1);
        let t = Timeline::uniform(60, 30);
        let r = rents(&lease_schedule(&l, &t, &[], None, Some(0), exercised));
        assert!((r[24] - 105_000.0).abs() < 1e-6 && (r[35] - 105_000.0).abs() < 1e-6);
        assert_eq!(r[36], 0.0);
    }

    #[test]
    fn energised_billing_follows_the_energised_kw() {
        let mut l = lease();
        l.billing = Billing::Energised;
        l.escalator_per_year = 0.0;
        let t = Timeline::uniform(6, 30);
        // Energised on day 45: month 1 averages half the hall.
        let kw = [0.0, 400.0, 800.0, 800.0, 800.0, 800.0];
        let r = rents(&lease_schedule(&l, &t, &kw, None, Some(45), 0));
        assert!((r[1] - 40_000.0).abs() < 1e-6 && (r[2] - 80_000.0).abs() < 1e-6);
    }

    #[test]
    fn late_delivery_pays_a_penalty_and_delays_rent() {
        let mut l = lease();
        l.commencement = Commencement::OnDate {
            day: 60,
            late_penalty_usd_per_month: 9_000.0,
        };
        let t = Timeline::uniform(12, 30);
        let s = lease_schedule(&l, &t, &[], None, Some(105), 0);
        let pen: Vec<f64> = s.months.iter().map(|m| m.late_penalty_usd).collect();
        assert_eq!(&pen[..5], &[0.0, 0.0, 9_000.0, 4_500.0, 0.0]);
        let r = rents(&s);
        assert_eq!(r[2], 0.0);
        assert!((r[3] - 50_000.0).abs() < 1e-6);
        // Early energisation: rent waits for the date, no penalty.
        let early = lease_schedule(&l, &t, &[], None, Some(15), 0);
        assert_eq!(early.months[1].rent_usd, 0.0);
        assert!(early.months.iter().all(|m| m.late_penalty_usd == 0.0));
    }

    #[test]
    fn tenant_capex_prepayment_and_deposit_land_on_their_milestones() {
        let mut l = lease();
        l.escalator_per_year = 0.0;
        l.signing_day = 5;
        l.tenant_capex = Some(TenantCapex {
            amount: ContributionAmount::UsdPerMw(2_000_000.0),
            at_signing_share: 0.2,
            at_delivery_share: 0.3,
            at_energisation_share: 0.5,
        });
        l.prepayment = Some(Prepayment {
            usd: 150_000.0,
            credit_months: 3,
        });
        l.deposit_usd = 7_000.0;
        let t = Timeline::uniform(30, 30);
        let s = lease_schedule(&l, &t, &[], Some(40), Some(90), 0);
        let tc: Vec<f64> = s.months.iter().map(|m| m.tenant_capex_usd).collect();
        assert_eq!(&tc[..4], &[400_000.0, 600_000.0, 0.0, 1_000_000.0]);
        assert_eq!(s.months[0].prepayment_usd, 150_000.0);
        let r = rents(&s);
        assert_eq!(&r[3..7], &[50_000.0, 50_000.0, 50_000.0, 100_000.0]);
        assert_eq!(s.months[0].deposit_usd, 7_000.0);
        // 24 months from month 3 end at the start of month 27.
        assert_eq!(s.months[27].deposit_usd, -7_000.0);
    }
}
