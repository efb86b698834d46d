//! The finance section: contracts name GPU halls, tranches name capex items, and every
//! rate, escalator, tenor, share and life is checked against its range.

use super::{Checker, Rule};
use crate::calendar::{Calendar, Date};
use crate::dist::{Dist, Quantity};
use crate::finance::FinanceTerms;
use crate::finance::capital::{AssetClass, CapitalTerms, SalvageCurve, units_item};
use crate::finance::debt::{Sizing, Tranche};
use crate::finance::lease::{
    Commencement, ContributionAmount, LeaseContract, Prepayment, Renewal, RentalContract,
    TenantCapex,
};
use crate::finance::opex::OpexTerms;
use crate::finance::spec::{FinanceSpec, MAX_MONTHS, MAX_RATE_PER_YEAR, Slot};
use crate::finance::tax::{Depreciation, Method, TaxTerms, macrs_half_year_percent};
use crate::finance::terminal::TerminalValue;
use crate::scenario::{ActionSpec, Contract, EquipmentRef, ModelKind, Scenario, SupplySpec};
use crate::world::finance::*;

/// Oldest quoted age accepted for an ASIC resale price, months (50 years).
const MAX_QUOTED_AGE_MONTHS: u32 = 600;

/// A GPU hall a contract may name.
#[derive(Debug, Clone, PartialEq)]
pub struct HallRef {
    /// The `InstallUnits` step that energises it.
    pub step: String,
    /// Its rack group.
    pub racks: String,
    /// Its GPU IT load, kW.
    pub it_kw: f64,
}

/// What the rest of the world tells the finance check.
#[derive(Debug, Clone)]
pub struct FinanceContext<'a> {
    /// GPU halls, in input order.
    pub halls: Vec<HallRef>,
    /// Capex line items: name, kind's default class, total cost (USD).
    pub capex_items: Vec<(String, AssetClass, f64)>,
    /// ASIC model ids, in the order of the input's decommissioned TH.
    pub asic_models: Vec<String>,
    /// The run's calendar.
    pub calendar: &'a Calendar,
    /// The site's fixed opex, USD per month.
    pub fixed_opex_usd_per_month: f64,
    /// The site's discount rate.
    pub discount_rate_per_year: f64,
    /// Power pass-through of the `gpu_lease` market.
    pub lease_power_pass_through: bool,
}

impl<'a> FinanceContext<'a> {
    /// What the finance check needs from a checked scenario: its GPU halls, the capex
    /// line items its plan can pay for (named as the engine names them), ASIC models.
    pub(super) fn of(s: &'a Scenario) -> Self {
        let mut halls = Vec::new();
        let mut capex_items = Vec::new();
        let equipment = (0..s.substations.len())
            .map(EquipmentRef::Substation)
            .chain((0..s.transformers.len()).map(EquipmentRef::Transformer))
            .chain((0..s.cooling_loops.len()).map(EquipmentRef::CoolingLoop));
        for e in equipment {
            if let SupplySpec::ToOrder { cost_usd, .. } = s.equipment_supply(e) {
                let class = match e {
                    EquipmentRef::CoolingLoop(_) => AssetClass::Mechanical,
                    _ => AssetClass::Electrical,
                };
                capex_items.push((s.equipment_id(e).to_string(), class, cost_usd));
            }
        }
        for st in &s.plan {
            if st.cost_usd > 0.0 {
                capex_items.push((st.id.clone(), AssetClass::Building, st.cost_usd));
            }
            let ActionSpec::InstallUnits {
                group,
                model,
                per_rack,
                contract,
            } = st.action
            else {
                continue;
            };
            let (g, m) = (&s.racks[group], &s.models[model]);
            let units = f64::from(per_rack) * f64::from(g.count);
            let gpu = matches!(m.kind, ModelKind::Gpu { .. });
            if gpu {
                halls.push(HallRef {
                    step: st.id.clone(),
                    racks: g.id.clone(),
                    it_kw: units * m.power_w as f64 / 1e3,
                });
            }
            // The site buys ASICs, and GPUs it rents out; a tenant brings leased ones.
            if m.cost_usd > 0.0 && (!gpu || contract == Contract::Rental) {
                let class = if gpu {
                    AssetClass::GpuServers
                } else {
                    AssetClass::Asics
                };
                capex_items.push((units_item(&st.id), class, units * m.cost_usd));
            }
        }
        Self {
            halls,
            capex_items,
            asic_models: s
                .models
                .iter()
                .filter(|m| matches!(m.kind, ModelKind::Asic { .. }))
                .map(|m| m.id.clone())
                .collect(),
            calendar: &s.calendar,
            fixed_opex_usd_per_month: s.fixed_opex_usd_per_month,
            discount_rate_per_year: s.discount_rate_per_year,
            lease_power_pass_through: s
                .markets
                .gpu_lease
                .as_ref()
                .is_some_and(|l| l.power_pass_through),
        }
    }
}

/// Collects problems and sampled slots while checking.
struct Check<'x, 'a, 'c> {
    c: &'x mut Checker<'a>,
    ctx: &'x FinanceContext<'c>,
    sampled: Vec<(Slot, Dist)>,
}

impl Check<'_, '_, '_> {
    fn push(&mut self, entity: &str, rule: Rule, message: String) {
        self.c.push(entity, rule, message);
    }

    /// A finite number ≥ 0.
    fn non_negative(&mut self, entity: &str, field: &str, v: f64) -> f64 {
        if !(v.is_finite() && v >= 0.0) {
            self.push(
                entity,
                Rule::NegativeValue,
                format!("{field} must be a finite number >= 0, got {v}"),
            );
            return 0.0;
        }
        v
    }

    /// A finite number in `[lo, hi]`.
    fn within(&mut self, entity: &str, field: &str, v: f64, lo: f64, hi: f64) -> f64 {
        if v.is_finite() && v < 0.0 && lo >= 0.0 {
            return self.non_negative(entity, field, v);
        }
        if !(v.is_finite() && v >= lo && v <= hi) {
            self.push(
                entity,
                Rule::OutOfRange,
                format!("{field} must be between {lo} and {hi}, got {v}"),
            );
            return lo.max(0.0);
        }
        v
    }

    /// A quantity ≥ 0 whose largest value is below `max_exclusive`; its median, and the
    /// slot is recorded when it is a distribution.
    fn quantity(
        &mut self,
        entity: &str,
        field: &str,
        q: Quantity,
        max_exclusive: f64,
        slot: Slot,
    ) -> f64 {
        let d = q.dist();
        if let Quantity::Value(v) = q
            && !(v.is_finite() && v >= 0.0)
        {
            return self.non_negative(entity, field, v);
        }
        if let Err(e) = d.validate() {
            self.push(entity, Rule::BadDistribution, format!("{field}: {e}"));
            return 0.0;
        }
        if d.upper() >= max_exclusive {
            self.push(
                entity,
                Rule::OutOfRange,
                format!(
                    "{field} must stay below {max_exclusive}, but can reach {}",
                    d.upper()
                ),
            );
            return 0.0;
        }
        if !matches!(q, Quantity::Value(_) | Quantity::Dist(Dist::Fixed(_))) {
            self.sampled.push((slot, d));
        }
        d.median()
    }

    fn months(&mut self, entity: &str, field: &str, v: u32) -> u32 {
        if v == 0 || v > MAX_MONTHS {
            self.push(
                entity,
                Rule::OutOfRange,
                format!("{field} must be 1..={MAX_MONTHS} months (100 years), got {v}"),
            );
        }
        v.clamp(1, MAX_MONTHS)
    }

    fn day(&mut self, entity: &str, field: &str, date: &str) -> u32 {
        let day = Date::parse(date)
            .ok()
            .and_then(|d| self.ctx.calendar.day_of(d));
        match day {
            Some(d) => d,
            None => {
                self.push(
                    entity,
                    Rule::BadDate,
                    format!("{field} must be a YYYY-MM-DD date inside the run, got `{date}`"),
                );
                0
            }
        }
    }

    fn hall(&mut self, entity: &str, name: &str) -> usize {
        let found = self
            .ctx
            .halls
            .iter()
            .position(|h| h.step == name || h.racks == name);
        found.unwrap_or_else(|| {
            let known: Vec<&str> = self.ctx.halls.iter().map(|h| h.step.as_str()).collect();
            self.push(entity, Rule::UnknownReference, format!("hall `{name}` is not a GPU `InstallUnits` step or its rack group (GPU halls: {})", known.join(", ")));
            usize::MAX
        })
    }
}

/// Checks a finance section against the rest of the world; every problem is reported.
pub(super) fn check(
    checker: &mut Checker,
    s: &FinanceSection,
    ctx: &FinanceContext,
) -> Option<FinanceSpec> {
    let before = checker.problems.len();
    let mut c = Check {
        c: checker,
        ctx,
        sampled: Vec::new(),
    };
    let leases: Vec<LeaseContract> = s
        .leases
        .iter()
        .enumerate()
        .map(|(i, l)| check_lease(&mut c, i, l))
        .collect();
    let rentals = s
        .rentals
        .iter()
        .enumerate()
        .map(|(i, r)| check_rental(&mut c, i, r))
        .collect();
    duplicates(
        &mut c,
        "lease",
        s.leases.iter().map(|l| (&l.id, l.hall.as_str())),
    );
    duplicates(
        &mut c,
        "rental",
        s.rentals.iter().map(|r| (&r.id, r.hall.as_str())),
    );
    let contributions: f64 = leases.iter().map(LeaseContract::tenant_capex_usd).sum();
    let capex_total: f64 = ctx.capex_items.iter().map(|i| i.2).sum();
    if contributions > capex_total {
        c.push("finance leases", Rule::ContributionAboveCapex, format!(
            "tenant capex contributions total {contributions:.0} USD, more than the {capex_total:.0} USD of capex in the plan"
        ));
    }
    let opex = check_opex(&mut c, &s.opex);
    let capital = check_capital(&mut c, &s.capital);
    let tranches = s
        .debt
        .iter()
        .enumerate()
        .map(|(i, t)| check_tranche(&mut c, i, t))
        .collect();
    let tax = check_tax(&mut c, &s.tax);
    let drawn_before_terminal = c.sampled.len();
    let terminal = check_terminal(&mut c, &s.terminal_value);
    let sampled_terminal = c.sampled.split_off(drawn_before_terminal);
    let classes = classes(&mut c, &s.capital);
    if let Some(h) = s.equity_hurdle_per_year {
        c.within("finance", "equity_hurdle_per_year", h, -0.99, 10.0);
    }
    if c.c.problems.len() > before {
        return None;
    }
    let terms = FinanceTerms {
        leases,
        rentals,
        opex,
        capital,
        tranches,
        tax,
        terminal,
        discount_rate_per_year: ctx.discount_rate_per_year,
    };
    Some(FinanceSpec {
        terms,
        classes,
        sampled: c.sampled,
        sampled_terminal,
        equity_hurdle_per_year: s.equity_hurdle_per_year,
        lease_ids: s.leases.iter().map(|l| l.id.clone()).collect(),
        rental_ids: s.rentals.iter().map(|r| r.id.clone()).collect(),
    })
}

/// Two leases on one hall, or two with one id.
fn duplicates<'a>(c: &mut Check, kind: &str, items: impl Iterator<Item = (&'a String, &'a str)>) {
    let items: Vec<(&String, &str)> = items.collect();
    for (i, (id, hall)) in items.iter().enumerate() {
        if items[..i].iter().any(|(other, _)| other == id) {
            c.push(
                &format!("{kind} {id}"),
                Rule::DuplicateId,
                format!("another {kind} is also called `{id}`"),
            );
        }
        if items[..i].iter().any(|(_, h)| h == hall) {
            c.push(
                &format!("{kind} {id}"),
                Rule::DuplicateId,
                format!("hall `{hall}` already has a {kind}"),
            );
        }
    }
}

fn check_renewal(c: &mut Check, entity: &str, r: Option<RenewalSection>, slot: Slot) -> Renewal {
    let Some(r) = r else { return Renewal::NONE };
    if r.options > 0 {
        c.months(entity, "renewal.length_months", r.length_months);
    }
    let rate_change = c.within(entity, "renewal.rate_change", r.rate_change, -0.99, 10.0);
    let probability = c.quantity(
        entity,
        "renewal.probability",
        r.probability,
        1.0 + f64::EPSILON,
        slot,
    );
    Renewal {
        options: r.options,
        length_months: r.length_months.max(1),
        rate_change,
        probability,
    }
}

fn check_lease(c: &mut Check, i: usize, l: &LeaseSection) -> LeaseContract {
    let e = format!("lease {}", l.id);
    let hall = c.hall(&e, &l.hall);
    let it_kw = c.ctx.halls.get(hall).map_or(0.0, |h| h.it_kw);
    let usd_per_kw_month = c.quantity(
        &e,
        "usd_per_kw_month",
        l.usd_per_kw_month,
        f64::INFINITY,
        Slot::LeaseRate(i),
    );
    let escalator_per_year = c.quantity(
        &e,
        "escalator_per_year",
        l.escalator_per_year,
        MAX_RATE_PER_YEAR,
        Slot::LeaseEscalator(i),
    );
    let contracted_kw = c.non_negative(&e, "contracted_kw", l.contracted_kw.unwrap_or(it_kw));
    let commencement = match &l.commencement {
        CommencementSection::OnEnergisation => Commencement::OnEnergisation,
        CommencementSection::OnDate {
            date,
            late_penalty_usd_per_month,
        } => Commencement::OnDate {
            day: c.day(&e, "commencement date", date),
            late_penalty_usd_per_month: c.non_negative(
                &e,
                "late_penalty_usd_per_month",
                *late_penalty_usd_per_month,
            ),
        },
    };
    let term_months = l.term_months.map(|t| c.months(&e, "term_months", t));
    let renewal = check_renewal(c, &e, l.renewal, Slot::LeaseRenewal(i));
    let tenant_capex = l.tenant_capex.map(|t| check_contribution(c, &e, t));
    let prepayment = l.prepayment.map(|p| Prepayment {
        usd: c.non_negative(&e, "prepayment.usd", p.usd),
        credit_months: c.months(&e, "prepayment.credit_months", p.credit_months),
    });
    LeaseContract {
        hall,
        usd_per_kw_month,
        billing: l.billing,
        contracted_kw,
        commencement,
        term_months,
        escalator_per_year,
        renewal,
        power_pass_through: l
            .power_pass_through
            .unwrap_or(c.ctx.lease_power_pass_through),
        tenant_capex,
        prepayment,
        deposit_usd: c.non_negative(&e, "deposit_usd", l.deposit_usd),
        signing_day: l.signed.as_deref().map_or(0, |d| c.day(&e, "signed", d)),
    }
}

fn check_contribution(c: &mut Check, e: &str, t: TenantCapexSection) -> TenantCapex {
    let amount = match (t.total_usd, t.usd_per_mw) {
        (Some(v), None) => {
            ContributionAmount::TotalUsd(c.non_negative(e, "tenant_capex.total_usd", v))
        }
        (None, Some(v)) => {
            ContributionAmount::UsdPerMw(c.non_negative(e, "tenant_capex.usd_per_mw", v))
        }
        _ => {
            c.push(
                e,
                Rule::OneOf,
                "tenant_capex needs exactly one of total_usd or usd_per_mw".into(),
            );
            ContributionAmount::TotalUsd(0.0)
        }
    };
    let shares = [
        c.within(
            e,
            "tenant_capex.at_signing_share",
            t.at_signing_share,
            0.0,
            1.0,
        ),
        c.within(
            e,
            "tenant_capex.at_delivery_share",
            t.at_delivery_share,
            0.0,
            1.0,
        ),
        c.within(
            e,
            "tenant_capex.at_energisation_share",
            t.at_energisation_share,
            0.0,
            1.0,
        ),
    ];
    let sum: f64 = shares.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        c.push(
            e,
            Rule::OutOfRange,
            format!("tenant_capex milestone shares must add up to 1, got {sum}"),
        );
    }
    TenantCapex {
        amount,
        at_signing_share: shares[0],
        at_delivery_share: shares[1],
        at_energisation_share: shares[2],
    }
}

fn check_rental(c: &mut Check, i: usize, r: &RentalSection) -> RentalContract {
    let e = format!("rental {}", r.id);
    RentalContract {
        hall: c.hall(&e, &r.hall),
        term_months: r.term_months.map(|t| c.months(&e, "term_months", t)),
        renewal: check_renewal(c, &e, r.renewal, Slot::RentalRenewal(i)),
    }
}

fn check_opex(c: &mut Check, o: &OpexSection) -> OpexTerms {
    let e = "finance opex";
    let inf = f64::INFINITY;
    let fixed = o
        .fixed_usd_per_month
        .unwrap_or(Quantity::Value(c.ctx.fixed_opex_usd_per_month));
    OpexTerms {
        fixed_usd_per_month: c.quantity(e, "fixed_usd_per_month", fixed, inf, Slot::FixedOpex),
        mining_usd_per_mw_month: c.quantity(
            e,
            "mining_usd_per_mw_month",
            o.mining_usd_per_mw_month,
            inf,
            Slot::MiningOpex,
        ),
        leased_gpu_usd_per_mw_month: c.quantity(
            e,
            "leased_gpu_usd_per_mw_month",
            o.leased_gpu_usd_per_mw_month,
            inf,
            Slot::LeasedOpex,
        ),
        rented_gpu_usd_per_mw_month: c.quantity(
            e,
            "rented_gpu_usd_per_mw_month",
            o.rented_gpu_usd_per_mw_month,
            inf,
            Slot::RentedOpex,
        ),
        idle_usd_per_mw_month: c.quantity(
            e,
            "idle_usd_per_mw_month",
            o.idle_usd_per_mw_month,
            inf,
            Slot::IdleOpex,
        ),
        pool_fee_share: c.within(e, "pool_fee_share", o.pool_fee_share, 0.0, 1.0),
        mining_uptime_share: c.within(e, "mining_uptime_share", o.mining_uptime_share, 0.0, 1.0),
        insurance_share_per_year: c.within(
            e,
            "insurance_share_per_year",
            o.insurance_share_per_year,
            0.0,
            1.0,
        ),
        property_tax_share_per_year: c.within(
            e,
            "property_tax_share_per_year",
            o.property_tax_share_per_year,
            0.0,
            1.0,
        ),
    }
}

fn check_capital(c: &mut Check, k: &CapitalSection) -> CapitalTerms {
    let e = "finance capital";
    if let Some(p) = k.progress_payments {
        c.within(
            e,
            "progress_payments.at_order_share",
            p.at_order_share,
            0.0,
            1.0,
        );
    }
    CapitalTerms {
        progress: k.progress_payments,
        salvage: salvage_curves(c, e, &k.asic_salvage),
        existing_gross_asset_usd: c.non_negative(
            e,
            "existing_gross_asset_usd",
            k.existing_gross_asset_usd,
        ),
        sell_idle_asics_after_months: k
            .sell_idle_asics_after_months
            .map(|n| c.months(e, "sell_idle_asics_after_months", n)),
    }
}

/// One resale curve per ASIC model (zero for a model the world gives none).
fn salvage_curves(c: &mut Check, e: &str, sections: &[SalvageSection]) -> Vec<SalvageCurve> {
    let mut salvage = vec![
        SalvageCurve {
            usd_per_th: 0.0,
            decline_per_year: 0.0,
            quoted_age_months: 0,
            hashprice_reference_usd_per_ph_day: None,
        };
        c.ctx.asic_models.len()
    ];
    for s in sections {
        let usd_per_th = c.non_negative(e, "asic_salvage.usd_per_th", s.usd_per_th);
        let decline_per_year = c.within(
            e,
            "asic_salvage.decline_per_year",
            s.decline_per_year,
            0.0,
            1.0,
        );
        // A reference of 0 would make every resale infinite: it must be a price.
        let reference = s.hashprice_reference_usd_per_ph_day.map(|r| {
            if r.is_finite() && r > 0.0 {
                return r;
            }
            c.push(
                e,
                Rule::NegativeValue,
                format!(
                    "asic_salvage.hashprice_reference_usd_per_ph_day must be a hashprice > 0 \
                     USD/PH/day, got {r}"
                ),
            );
            0.0
        });
        // Ages are bounded so that a price extrapolated back to age 0 stays finite.
        if s.quoted_age_months > MAX_QUOTED_AGE_MONTHS {
            c.push(
                e,
                Rule::OutOfRange,
                format!(
                    "asic_salvage.quoted_age_months must be at most {MAX_QUOTED_AGE_MONTHS}, got {}",
                    s.quoted_age_months
                ),
            );
        }
        match c.ctx.asic_models.iter().position(|m| *m == s.model) {
            Some(i) => {
                salvage[i] = SalvageCurve {
                    usd_per_th,
                    decline_per_year,
                    quoted_age_months: s.quoted_age_months.min(MAX_QUOTED_AGE_MONTHS),
                    hashprice_reference_usd_per_ph_day: reference,
                }
            }
            None => c.push(
                e,
                Rule::UnknownReference,
                format!(
                    "asic_salvage names model `{}`, which is not an ASIC model in unit_models",
                    s.model
                ),
            ),
        }
    }
    salvage
}

fn classes(c: &mut Check, k: &CapitalSection) -> Vec<(String, AssetClass)> {
    let mut out: Vec<(String, AssetClass)> = c
        .ctx
        .capex_items
        .iter()
        .map(|(n, cl, _)| (n.clone(), *cl))
        .collect();
    for o in &k.asset_classes {
        match out.iter_mut().find(|(n, _)| *n == o.item) {
            Some(slot) => slot.1 = o.class,
            None => c.push(
                "finance capital",
                Rule::UnknownReference,
                format!(
                    "asset_classes names capex item `{}`, which the plan never pays for",
                    o.item
                ),
            ),
        }
    }
    out
}

fn check_tranche(c: &mut Check, i: usize, t: &TrancheSection) -> Tranche {
    let e = format!("debt tranche {}", t.id);
    let sizing = match (t.amount_usd, t.loan_to_cost) {
        (Some(a), None) => Sizing::AmountUsd(c.non_negative(&e, "amount_usd", a)),
        (None, Some(l)) => Sizing::LoanToCost(c.within(&e, "loan_to_cost", l, 0.0, 1.0)),
        _ => {
            c.push(
                &e,
                Rule::OneOf,
                "a tranche needs exactly one of amount_usd or loan_to_cost".into(),
            );
            Sizing::AmountUsd(0.0)
        }
    };
    for name in &t.against {
        if !c.ctx.capex_items.iter().any(|(n, _, _)| n == name) {
            let known: Vec<&str> = c.ctx.capex_items.iter().map(|i| i.0.as_str()).collect();
            c.push(&e, Rule::UnknownReference, format!("against names capex item `{name}`, which the plan never pays for (capex items: {})", known.join(", ")));
        }
    }
    let tenor_months = c.months(&e, "tenor_months", t.tenor_months);
    if t.interest_only_months >= tenor_months {
        c.push(
            &e,
            Rule::OutOfRange,
            format!(
                "interest_only_months ({}) must be shorter than tenor_months ({tenor_months})",
                t.interest_only_months
            ),
        );
    }
    let rate_per_year = c.quantity(
        &e,
        "rate_per_year",
        t.rate_per_year,
        MAX_RATE_PER_YEAR,
        Slot::TrancheRate(i),
    );
    Tranche {
        name: t.id.clone(),
        sizing,
        against: t.against.clone(),
        rate_per_year,
        interest_only_months: t.interest_only_months,
        tenor_months,
        amortisation: t.amortisation,
        upfront_fee_share: c.within(&e, "upfront_fee_share", t.upfront_fee_share, 0.0, 1.0),
        min_dscr: t.min_dscr.map(|d| c.non_negative(&e, "min_dscr", d)),
    }
}

fn check_tax(c: &mut Check, t: &TaxSection) -> TaxTerms {
    let e = "finance tax";
    let mut class = |name: &str, d: Depreciation| {
        if d.life_years == 0 || d.life_years > 100 {
            c.push(
                e,
                Rule::OutOfRange,
                format!("{name}.life_years must be 1..=100, got {}", d.life_years),
            );
        }
        if d.method == Method::MacrsHalfYear && macrs_half_year_percent(d.life_years).is_none() {
            c.push(
                e,
                Rule::OutOfRange,
                format!(
                    "{name}: MACRS tables exist for 3, 5, 7, 10, 15 and 20 years, not {}",
                    d.life_years
                ),
            );
        }
        let bonus_share = c.within(e, &format!("{name}.bonus_share"), d.bonus_share, 0.0, 1.0);
        Depreciation { bonus_share, ..d }
    };
    let classes = [
        class("gpu_servers", t.gpu_servers),
        class("asics", t.asics),
        class("electrical", t.electrical),
        class("mechanical", t.mechanical),
        class("building", t.building),
    ];
    TaxTerms {
        rate: c.within(e, "rate", t.rate, 0.0, 0.99),
        payment: t.payment,
        loss_offset_limit_share: c.within(
            e,
            "loss_offset_limit_share",
            t.loss_offset_limit_share,
            0.0,
            1.0,
        ),
        classes,
    }
}

/// The terminal value at its medians; its distributions go to `sampled`. A cap rate
/// must stay inside (0, 1) over its whole range, so no draw divides by zero.
fn check_terminal(c: &mut Check, t: &TerminalValueSection) -> TerminalValue {
    let e = "finance terminal value";
    match *t {
        TerminalValueSection::None => TerminalValue::None,
        TerminalValueSection::ExitMultiple { ebitda_multiple } => TerminalValue::ExitMultiple {
            ebitda_multiple: match ebitda_multiple {
                Quantity::Value(v) => c.within(e, "ebitda_multiple", v, 0.0, 100.0),
                q => c.quantity(e, "ebitda_multiple", q, 100.0, Slot::ExitMultiple),
            },
        },
        TerminalValueSection::GordonGrowth {
            cap_rate_per_year,
            growth_per_year,
        } => {
            let d = cap_rate_per_year.dist();
            let (lo, hi) = (d.lower(), d.upper());
            let cap = if !(lo.is_finite() && lo > 0.0 && hi < 1.0) {
                c.push(e, Rule::OutOfRange, format!(
                    "cap_rate_per_year must stay between 0 and 1 (exclusive), but can be {lo} to {hi}"
                ));
                0.0
            } else {
                c.quantity(
                    e,
                    "cap_rate_per_year",
                    cap_rate_per_year,
                    1.0,
                    Slot::CapRate,
                )
            };
            let growth = match growth_per_year {
                Quantity::Value(v) => c.within(e, "growth_per_year", v, -0.5, 0.5),
                q => c.quantity(e, "growth_per_year", q, 0.5, Slot::TerminalGrowth),
            };
            TerminalValue::GordonGrowth {
                cap_rate_per_year: cap,
                growth_per_year: growth,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::YearMonth;
    use rand::SeedableRng;

    fn ctx(cal: &Calendar) -> FinanceContext<'_> {
        FinanceContext {
            halls: vec![HallRef {
                step: "gpu-1".into(),
                racks: "H1".into(),
                it_kw: 20_000.0,
            }],
            capex_items: vec![
                ("T9".into(), AssetClass::Electrical, 4e6),
                ("gpu-1".into(), AssetClass::Building, 180e6),
            ],
            asic_models: vec!["S19XP".into()],
            calendar: cal,
            fixed_opex_usd_per_month: 250_000.0,
            discount_rate_per_year: 0.1,
            lease_power_pass_through: true,
        }
    }

    fn run(text: &str, ctx: &FinanceContext) -> Result<FinanceSpec, Vec<super::super::Problem>> {
        let mut c = Checker {
            text: None,
            problems: Vec::new(),
        };
        let spec = check(&mut c, &parse(text), ctx);
        spec.ok_or(c.problems)
    }

    fn parse(text: &str) -> FinanceSection {
        ron::from_str(&format!("#![enable(implicit_some)]\n{text}"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    const GOOD: &str = r#"(
        leases: [(
            id: "L1", hall: "gpu-1", usd_per_kw_month: Triangular(min: 130, mode: 150, max: 175),
            commencement: OnDate(date: "2027-06-01", late_penalty_usd_per_month: 1e6),
            term_months: 180, escalator_per_year: 0.03,
            renewal: Some((options: 3, length_months: 60, probability: 0.5)),
            tenant_capex: Some((usd_per_mw: 2e6, at_signing_share: 0.5, at_energisation_share: 0.5)),
        )],
        opex: (leased_gpu_usd_per_mw_month: 23000, insurance_share_per_year: 0.005),
        capital: (progress_payments: Some((at_order_share: 0.3, remainder_at: Delivery)),
                  asic_salvage: [(model: "S19XP", usd_per_th: 3.0, decline_per_year: 0.4)]),
        debt: [(id: "senior", loan_to_cost: 0.7, against: ["T9", "gpu-1"], rate_per_year: 0.0775,
                interest_only_months: 12, tenor_months: 120, min_dscr: Some(1.3))],
        tax: (electrical: (life_years: 15, method: MacrsHalfYear, bonus_share: 1.0)),
        terminal_value: ExitMultiple(ebitda_multiple: 12.0),
    )"#;

    #[test]
    fn a_full_section_checks_into_terms_with_defaults_filled_in() {
        let cal = Calendar::new(YearMonth::parse("2026-01").unwrap(), 180);
        let spec = run(GOOD, &ctx(&cal)).unwrap_or_else(|p| panic!("{p:?}"));
        let l = &spec.terms.leases[0];
        assert_eq!(
            (l.hall, l.contracted_kw, l.term_months),
            (0, 20_000.0, Some(180))
        );
        assert_eq!(
            l.commencement,
            Commencement::OnDate {
                day: 516,
                late_penalty_usd_per_month: 1e6
            }
        );
        assert_eq!(l.tenant_capex_usd(), 40e6);
        assert!(l.power_pass_through);
        assert_eq!(spec.terms.opex.fixed_usd_per_month, 250_000.0);
        assert_eq!(spec.terms.tax.rate, 0.21);
        assert_eq!(
            spec.terms.tax.classes[AssetClass::Electrical.index()].bonus_share,
            1.0
        );
        assert_eq!(
            spec.sampled,
            vec![(
                Slot::LeaseRate(0),
                Dist::Triangular {
                    min: 130.0,
                    mode: 150.0,
                    max: 175.0
                }
            )]
        );
        // Renewal at exactly 50 % is not assumed in a median run.
        assert_eq!(spec.median().1.lease_renewals, vec![0]);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let (t, d) = spec.sample(&mut rng);
        assert!((130.0..=175.0).contains(&t.leases[0].usd_per_kw_month));
        assert!(d.lease_renewals[0] <= 3);
    }

    #[test]
    fn an_empty_section_is_valid() {
        let cal = Calendar::new(YearMonth::parse("2026-01").unwrap(), 12);
        let spec = run("()", &ctx(&cal)).unwrap();
        assert!(spec.terms.leases.is_empty() && spec.sampled.is_empty());
    }

    /// Each broken figure is reported under its rule, naming the entity.
    #[test]
    fn broken_sections_name_the_entity_and_rule() {
        let cal = Calendar::new(YearMonth::parse("2026-01").unwrap(), 180);
        let cases = [
            (
                "usd_per_kw_month: 150",
                "usd_per_kw_month: -5",
                "lease L1",
                "negative-value",
            ),
            (
                "escalator_per_year: 0.03",
                "escalator_per_year: 1.0",
                "lease L1",
                "out-of-range",
            ),
            (
                "tenor_months: 120",
                "tenor_months: 1201",
                "debt tranche senior",
                "out-of-range",
            ),
            (
                "loan_to_cost: 0.7",
                "loan_to_cost: 1.2",
                "debt tranche senior",
                "out-of-range",
            ),
            (
                "against: [\"T9\"]",
                "against: [\"T7\"]",
                "debt tranche senior",
                "unknown-reference",
            ),
            (
                "usd_per_mw: 2e6",
                "usd_per_mw: 2e7",
                "finance leases",
                "contribution-above-capex",
            ),
            (
                "life_years: 15",
                "life_years: 0",
                "finance tax",
                "out-of-range",
            ),
            (
                "rate_per_year: 0.0775",
                "rate_per_year: -0.01",
                "debt tranche senior",
                "negative-value",
            ),
            (
                "hall: \"gpu-1\"",
                "hall: \"gpu-9\"",
                "lease L1",
                "unknown-reference",
            ),
        ];
        let base = r#"(
            leases: [(id: "L1", hall: "gpu-1", usd_per_kw_month: 150, escalator_per_year: 0.03,
                      tenant_capex: Some((usd_per_mw: 2e6, at_signing_share: 1.0)))],
            debt: [(id: "senior", loan_to_cost: 0.7, against: ["T9"], rate_per_year: 0.0775, tenor_months: 120)],
            tax: (electrical: (life_years: 15, method: MacrsHalfYear, bonus_share: 0.0)),
        )"#;
        assert!(run(base, &ctx(&cal)).is_ok());
        for (from, to, entity, rule) in cases {
            assert!(base.contains(from), "{from}");
            let broken = base.replace(from, to);
            let problems = run(&broken, &ctx(&cal)).expect_err(to);
            assert!(
                problems
                    .iter()
                    .any(|p| p.entity == entity && p.rule == rule),
                "{to}: expected {rule} on {entity}, got {problems:?}"
            );
        }
    }
    /// The sale rule is off unless set, and a holding period must be 1..=1200 months.
    #[test]
    fn the_idle_fleet_sale_defaults_to_never_and_needs_at_least_one_month() {
        let cal = Calendar::new(YearMonth::parse("2026-01").unwrap(), 180);
        let off = run("()", &ctx(&cal)).unwrap();
        assert_eq!(off.terms.capital.sell_idle_asics_after_months, None);
        let on = run("(capital: (sell_idle_asics_after_months: 6))", &ctx(&cal)).unwrap();
        assert_eq!(on.terms.capital.sell_idle_asics_after_months, Some(6));
        for n in [0, 1201] {
            let text = format!("(capital: (sell_idle_asics_after_months: {n}))");
            let problems = run(&text, &ctx(&cal)).expect_err("out of range");
            assert!(
                problems.iter().any(|p| p.entity == "finance capital"
                    && p.rule == "out-of-range"
                    && p.message.contains("sell_idle_asics_after_months")),
                "{n}: {problems:?}"
            );
        }
    }
}
