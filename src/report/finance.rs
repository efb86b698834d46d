//! The finance layer's outputs: its `ledger.csv` columns (appended after the ledger's
//! own, so a world without a `finance` section writes exactly what it did before), its
//! block of `summary.json`, and its lines of the printed summary.

use crate::calendar::YearMonth;
use crate::finance::returns::Irr;
use crate::finance::spec::FinanceSpec;
use crate::finance::{FinanceResult, FinanceRow, FinanceSummary};
use serde::Serialize;
use std::fmt::Write;

/// Column names after the ledger's own: per lease its revenue and escalated rate, per
/// rental contract its revenue, then every finance figure.
pub fn columns(spec: &FinanceSpec) -> Vec<String> {
    let mut out = Vec::new();
    for id in &spec.lease_ids {
        out.push(format!("lease_{id}_revenue_usd"));
        out.push(format!("lease_{id}_rate_usd_per_kw_month"));
    }
    for id in &spec.rental_ids {
        out.push(format!("rental_{id}_revenue_usd"));
    }
    out.extend(FIGURES.iter().map(|(name, _)| name.to_string()));
    out
}

type Figure = fn(&FinanceRow) -> f64;

/// Every per-month finance figure, in column order.
const FIGURES: &[(&str, Figure)] = &[
    ("uncontracted_rental_revenue_usd", |r| {
        r.uncontracted_rental_revenue_usd
    }),
    ("fin_mining_revenue_usd", |r| r.mining_revenue_usd),
    ("pool_fees_usd", |r| r.pool_fees_usd),
    ("fin_energy_cost_usd", |r| r.energy_cost_usd),
    ("opex_fixed_usd", |r| r.opex.fixed_usd),
    ("opex_mining_usd", |r| r.opex.mining_usd),
    ("opex_leased_gpu_usd", |r| r.opex.leased_gpu_usd),
    ("opex_rented_gpu_usd", |r| r.opex.rented_gpu_usd),
    ("opex_idle_usd", |r| r.opex.idle_usd),
    ("insurance_usd", |r| r.opex.insurance_usd),
    ("property_tax_usd", |r| r.opex.property_tax_usd),
    ("late_delivery_penalty_usd", |r| r.late_delivery_penalty_usd),
    ("grid_credit_usd", |r| r.grid_credit_usd),
    ("grid_charges_usd", |r| r.grid_charges_usd),
    ("reliability_opex_usd", |r| r.reliability_opex_usd),
    ("ebitda_usd", |r| r.ebitda_usd),
    ("tenant_contributions_usd", |r| r.tenant_contributions_usd),
    ("prepayments_usd", |r| r.prepayments_usd),
    ("deposits_usd", |r| r.deposits_usd),
    ("salvage_usd", |r| r.salvage_usd),
    ("capex_paid_usd", |r| r.capex_usd),
    ("debt_draws_usd", |r| r.debt_draws_usd),
    ("interest_usd", |r| r.interest_usd),
    ("principal_usd", |r| r.principal_usd),
    ("exit_repayment_usd", |r| r.exit_repayment_usd),
    ("financing_fees_usd", |r| r.financing_fees_usd),
    ("debt_balance_usd", |r| r.debt_balance_usd),
    ("cfads_usd", |r| r.cfads_usd),
    ("depreciation_usd", |r| r.depreciation_usd),
    ("taxable_income_usd", |r| r.taxable_income_usd),
    ("tax_usd", |r| r.tax_usd),
    ("unlevered_tax_usd", |r| r.unlevered_tax_usd),
    ("terminal_value_usd", |r| r.terminal_value_usd),
    ("unlevered_cash_flow_usd", |r| r.unlevered_cash_flow_usd),
    ("levered_cash_flow_usd", |r| r.levered_cash_flow_usd),
    ("equity_in_usd", |r| r.equity_in_usd),
    ("distributions_usd", |r| r.distributions_usd),
    ("cumulative_equity_cash_usd", |r| {
        r.cumulative_equity_cash_usd
    }),
];

/// Appends one month's values, each after a comma, in [`columns`] order, as `Display`
/// writes them; `dscr` is last and empty while no debt service falls in its window.
/// Straight into the line (no `String` per value): this was a third of a whole run.
fn push_values(out: &mut String, row: &FinanceRow) {
    let mut cell = |v: f64| {
        out.push(',');
        crate::decimal::push_f64(out, v);
    };
    for (rev, rate) in row
        .contract_revenue_usd
        .iter()
        .zip(&row.escalated_rate_usd_per_kw_month)
    {
        cell(*rev);
        cell(*rate);
    }
    let leases = row.escalated_rate_usd_per_kw_month.len();
    for rev in &row.contract_revenue_usd[leases..] {
        cell(*rev);
    }
    for (_, f) in FIGURES {
        cell(f(row));
    }
    out.push(',');
    if let Some(d) = row.dscr {
        crate::decimal::push_f64(out, d);
    }
}

/// Appends the finance columns to `ledger.csv` text: numbers hold no comma or quote, so
/// each line gains `,v1,v2,…`.
pub fn append_columns(ledger_csv: &[u8], spec: &FinanceSpec, f: &FinanceResult) -> Vec<u8> {
    let text = String::from_utf8_lossy(ledger_csv);
    let mut header = columns(spec);
    header.push("dscr".into());
    // Up to ~20 characters per value.
    let mut out = String::with_capacity(text.len() + (f.rows.len() + 1) * header.len() * 20);
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        match i {
            0 => {
                for h in &header {
                    out.push(',');
                    out.push_str(h);
                }
            }
            _ => {
                if let Some(row) = f.rows.get(i - 1) {
                    push_values(&mut out, row);
                }
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// An IRR as a rate (or null) and words.
#[derive(Debug, Clone, Serialize)]
pub struct IrrJson {
    /// The rate per year when there is exactly one.
    pub per_year: Option<f64>,
    /// The rate, or why there is none, in words.
    pub note: String,
}

impl From<&Irr> for IrrJson {
    fn from(i: &Irr) -> Self {
        Self {
            per_year: i.rate(),
            note: i.to_string(),
        }
    }
}

/// The finance block of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryJson {
    /// NPV of project cash flows, USD.
    pub unlevered_npv_usd: f64,
    /// NPV of equity cash flows, USD.
    pub levered_npv_usd: f64,
    /// Project IRR.
    pub project_irr: IrrJson,
    /// Equity IRR.
    pub equity_irr: IrrJson,
    /// Equity multiple.
    pub moic: Option<f64>,
    /// Peak equity need, USD.
    pub peak_equity_need_usd: f64,
    /// Lowest DSCR while debt amortises.
    pub min_dscr: Option<f64>,
    /// Its month.
    pub min_dscr_month: Option<String>,
    /// Months with a covenant breach.
    pub covenant_breach_months: Vec<String>,
    /// First month from which cumulative equity cash, having been negative, stays ≥ 0
    /// (`None` if it ends negative or was never negative).
    pub equity_payback_month: Option<String>,
    /// Why there is no equity payback month (absent when there is one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equity_payback_note: Option<String>,
    /// Terminal value, USD.
    pub terminal_value_usd: f64,
    /// Of it, the resale of the ASICs still installed at the horizon, USD.
    pub fleet_resale_at_horizon_usd: f64,
}

/// The finance block of `summary.json`, months labelled from `start`.
pub fn summary_json(f: &FinanceSummary, start: YearMonth) -> SummaryJson {
    let label = |m: usize| start.plus(m as u32).to_string();
    SummaryJson {
        unlevered_npv_usd: f.unlevered_npv_usd,
        levered_npv_usd: f.levered_npv_usd,
        project_irr: (&f.project_irr).into(),
        equity_irr: (&f.equity_irr).into(),
        moic: f.moic,
        peak_equity_need_usd: f.peak_equity_need_usd,
        min_dscr: f.min_dscr.map(|d| d.0),
        min_dscr_month: f.min_dscr.map(|d| label(d.1)),
        covenant_breach_months: f.covenant_breaches.iter().map(|b| label(b.month)).collect(),
        equity_payback_month: f.equity_payback.index().map(label),
        equity_payback_note: f.equity_payback.none_reason("cumulative equity cash"),
        terminal_value_usd: f.terminal_value_usd,
        fleet_resale_at_horizon_usd: f.fleet_resale_at_horizon_usd,
    }
}

/// `summary.json` with a `finance` block after the ledger's figures.
pub fn summary_with_finance<T: Serialize>(
    summary: &T,
    f: &FinanceSummary,
    start: YearMonth,
) -> serde_json::Result<String> {
    let mut v = serde_json::to_value(summary)?;
    if let serde_json::Value::Object(map) = &mut v {
        map.insert(
            "finance".into(),
            serde_json::to_value(summary_json(f, start))?,
        );
    }
    serde_json::to_string_pretty(&v)
}

/// The printed summary's finance lines.
pub fn summary_text(f: &FinanceSummary, start: YearMonth) -> String {
    let j = summary_json(f, start);
    let musd = |v: f64| format!("{:.1} M USD", v / 1e6);
    let mut out = String::new();
    let _ = writeln!(out, "  finance");
    let _ = writeln!(
        out,
        "    NPV project / equity  {} / {}",
        musd(j.unlevered_npv_usd),
        musd(j.levered_npv_usd)
    );
    let _ = writeln!(out, "    project IRR           {}", j.project_irr.note);
    let _ = writeln!(out, "    equity IRR            {}", j.equity_irr.note);
    let moic = j
        .moic
        .map_or_else(|| "none (no equity went in)".into(), |m| format!("{m:.2}x"));
    let _ = writeln!(out, "    equity multiple       {moic}");
    let _ = writeln!(
        out,
        "    peak equity need      {}",
        musd(j.peak_equity_need_usd)
    );
    let dscr = match (j.min_dscr, &j.min_dscr_month) {
        (Some(d), Some(m)) => format!("{d:.2}x in {m}"),
        _ => "none (no debt amortises)".into(),
    };
    let _ = writeln!(out, "    minimum DSCR          {dscr}");
    let breaches = match j.covenant_breach_months.as_slice() {
        [] => "none".to_string(),
        [first, ..] => format!("{} months, first {first}", j.covenant_breach_months.len()),
    };
    let _ = writeln!(out, "    covenant breaches     {breaches}");
    let payback = f.equity_payback.describe("cumulative equity cash", |m| {
        start.plus(m as u32).to_string()
    });
    let _ = writeln!(out, "    equity payback        {payback}");
    let _ = write!(
        out,
        "    terminal value        {}",
        musd(j.terminal_value_usd)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::{FinanceDraws, FinanceInput, FinanceTerms, MonthInput, compute};

    #[test]
    fn columns_and_values_line_up() {
        let spec = FinanceSpec {
            terms: FinanceTerms::default(),
            classes: Vec::new(),
            sampled: Vec::new(),
            sampled_terminal: Vec::new(),
            equity_hurdle_per_year: None,
            lease_ids: Vec::new(),
            rental_ids: Vec::new(),
        };
        let input = FinanceInput {
            months: vec![MonthInput {
                days: 31,
                month_of_year: 1,
                mining_revenue_usd: 5.0,
                ..MonthInput::default()
            }],
            ..FinanceInput::default()
        };
        let f = compute(&spec.terms, &input, &FinanceDraws::default());
        let csv = append_columns(b"month,x\n2026-01,1\n", &spec, &f);
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let head: Vec<&str> = lines[0].split(',').collect();
        let row: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(head.len(), row.len());
        let at = |name: &str| row[head.iter().position(|h| *h == name).unwrap()];
        assert_eq!(at("ebitda_usd"), "5");
        assert_eq!(at("dscr"), "");
        let start = YearMonth {
            year: 2026,
            month: 1,
        };
        // One month earning $5 with no equity in: nothing to pay back, not "paid back in
        // its first month".
        let text = summary_text(&f.summary, start);
        assert!(
            text.contains(
                "equity payback        none (cumulative equity cash never negative: nothing \
                 to pay back)"
            ),
            "{text}"
        );
        assert_eq!(
            summary_json(&f.summary, start)
                .equity_payback_note
                .as_deref(),
            Some("none (cumulative equity cash never negative: nothing to pay back)")
        );
    }
}
