//! `finance.png` (worlds with a `finance` section): where the money comes from and
//! where it goes, month by month. Sources are stacked as running totals (equity put
//! in, debt drawn, tenant capex contributions) against the running total of capex
//! paid; the debt balance is a line on the same USD axis, and the trailing-12 DSCR is
//! on a second axis with each covenant level and its breaches.
//!
//! Running totals rather than monthly bars: capex, draws and contributions fall in a
//! few lumpy months, and the question a reader asks is whether the sources have kept
//! up with the uses by a given month. Equity put in is the negative part of each
//! month's equity cash flow, so it covers interest and operating shortfalls as well as
//! capex: the stack may rise above the capex line.

use super::axes::{DualMonthChart, ValueAxis, dual_month_chart, nice_ceiling};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::{LegendEntry, tint};
use super::palette::Series;
use super::text::{usd, usd_fmt};
use crate::calendar::Calendar;
use crate::finance::{FinanceResult, FinanceRow};
use crate::scenario::Scenario;
use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::ops::Range;

/// Opacity of the stacked source areas.
const AREA_ALPHA: f64 = 0.45;

/// DSCR shown at most this high: a month with almost no debt service has a DSCR in
/// the hundreds, which would squash the covenant zone a reader looks at.
const DSCR_CAP: f64 = 4.0;

/// Everything `finance.png` shows; x is months (month `m`'s close at `m + 1`).
#[derive(Debug, Clone)]
pub struct FinanceChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The run's months.
    pub calendar: Calendar,
    /// Left axis, USD.
    pub y_usd: Range<f64>,
    /// Right axis, DSCR (×).
    pub y_dscr: Range<f64>,
    /// Running total of equity put in, USD.
    pub equity: Vec<(f64, f64)>,
    /// Equity + debt drawn, USD (top of the debt layer).
    pub equity_debt: Vec<(f64, f64)>,
    /// Equity + debt + tenant contributions, USD (top of the stack).
    pub sources: Vec<(f64, f64)>,
    /// Running total of capex paid, USD.
    pub capex: Vec<(f64, f64)>,
    /// Debt balance at month end, USD.
    pub debt_balance: Vec<(f64, f64)>,
    /// DSCR runs (months with debt service in the window), capped at the axis top.
    pub dscr: Vec<Vec<(f64, f64)>>,
    /// Covenant levels (×), one per tranche that has one.
    pub covenants: Vec<f64>,
    /// Months whose DSCR broke a covenant, at their (capped) DSCR.
    pub breaches: Vec<(f64, f64)>,
}

/// Running totals of `flow`, as points from `(0, 0)`.
fn running(rows: &[FinanceRow], flow: impl Fn(&FinanceRow) -> f64) -> Vec<(f64, f64)> {
    let mut c = 0.0;
    std::iter::once((0.0, 0.0))
        .chain(rows.iter().enumerate().map(|(m, r)| {
            c += flow(r);
            (m as f64 + 1.0, c)
        }))
        .collect()
}

/// Contiguous runs of months that have a DSCR, each value capped at `cap`.
fn dscr_runs(rows: &[FinanceRow], cap: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for (m, r) in rows.iter().enumerate() {
        match r.dscr {
            Some(d) if d.is_finite() => {
                let p = (m as f64 + 1.0, d.clamp(0.0, cap));
                match out.last_mut() {
                    Some(run) if open => run.push(p),
                    _ => out.push(vec![p]),
                }
                open = true;
            }
            _ => open = false,
        }
    }
    out
}

/// Prepares `finance.png` from a run of a world with a `finance` section.
pub fn prepare(s: &Scenario, f: &FinanceResult) -> FinanceChart {
    let rows = &f.rows;
    let equity = running(rows, |r| r.equity_in_usd);
    let equity_debt = running(rows, |r| r.equity_in_usd + r.debt_draws_usd);
    let sources = running(rows, |r| {
        r.equity_in_usd + r.debt_draws_usd + r.tenant_contributions_usd
    });
    let capex = running(rows, |r| r.capex_usd);
    let debt_balance: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
        .chain(
            rows.iter()
                .enumerate()
                .map(|(m, r)| (m as f64 + 1.0, r.debt_balance_usd)),
        )
        .collect();
    let mut covenants: Vec<f64> = s
        .finance
        .iter()
        .flat_map(|spec| spec.terms.tranches.iter().filter_map(|t| t.min_dscr))
        .chain(f.summary.covenant_breaches.iter().map(|b| b.min_dscr))
        .collect();
    covenants.sort_by(f64::total_cmp);
    covenants.dedup();
    let hi = [&sources, &capex, &debt_balance]
        .iter()
        .flat_map(|v| v.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let dscr_hi = rows
        .iter()
        .filter_map(|r| r.dscr)
        .filter(|d| d.is_finite())
        .chain(covenants.iter().map(|c| c * 1.5))
        .fold(2.0, f64::max)
        .min(DSCR_CAP);
    let breaches = f
        .summary
        .covenant_breaches
        .iter()
        .map(|b| (b.month as f64 + 1.0, b.dscr.clamp(0.0, dscr_hi)))
        .collect();
    FinanceChart {
        heading: heading(s, f, &covenants),
        calendar: s.calendar.clone(),
        y_usd: 0.0..nice_ceiling(hi * 1.08),
        y_dscr: 0.0..dscr_hi,
        dscr: dscr_runs(rows, dscr_hi),
        equity,
        equity_debt,
        sources,
        capex,
        debt_balance,
        covenants,
        breaches,
    }
}

fn heading(s: &Scenario, f: &FinanceResult, covenants: &[f64]) -> Heading {
    let legend = vec![
        LegendEntry::fill("Equity put in", tint(Series::Equity.colour(), AREA_ALPHA)),
        LegendEntry::fill("Debt drawn", tint(Series::Debt.colour(), AREA_ALPHA)),
        LegendEntry::fill(
            "Tenant contributions",
            tint(Series::Tenant.colour(), AREA_ALPHA),
        ),
        LegendEntry::line("Capex paid (uses)", Series::Capex.colour()),
        LegendEntry::dashed("Debt balance", Series::Debt.colour()),
        LegendEntry::line("DSCR, trailing 12 months (right)", Series::Dscr.colour()),
        LegendEntry::dashed("DSCR covenant (right)", Series::Covenant.colour()),
    ];
    let sm = &f.summary;
    let dscr = match sm.min_dscr {
        Some((d, m)) => format!("minimum DSCR {d:.2}× in {}", s.calendar.label(m as u32)),
        None => "no debt amortises".to_string(),
    };
    let cov = match covenants {
        [] => "no covenant".to_string(),
        levels => {
            let l: Vec<String> = levels.iter().map(|c| format!("{c:.2}×")).collect();
            format!("covenant {}", l.join(", "))
        }
    };
    Heading {
        title: format!("{} — sources and uses of cash", s.name),
        subtitle: format!(
            "Running totals at each month end: equity, debt and tenant money against \
             capex paid; peak equity need {}; {dscr}; {cov}, {} breach months \
             (DSCR above {DSCR_CAP:.0}× drawn at the top)",
            usd(sm.peak_equity_need_usd),
            sm.covenant_breaches.len()
        ),
        legend,
    }
}

impl Chart for FinanceChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let y = ValueAxis {
            range: self.y_usd.clone(),
            desc: "Cumulative cash (USD)",
            fmt: &usd_fmt,
        };
        let dscr_fmt = |v: &f64| format!("{v:.1}×");
        let y2 = ValueAxis {
            range: self.y_dscr.clone(),
            desc: "DSCR (× debt service)",
            fmt: &dscr_fmt,
        };
        let mut chart = dual_month_chart(&area, k, &self.calendar, y, y2)?;
        // Running totals, top layer first, so each layer shows its own share.
        for (pts, series) in [
            (&self.sources, Series::Tenant),
            (&self.equity_debt, Series::Debt),
            (&self.equity, Series::Equity),
        ] {
            chart.draw_series(AreaSeries::new(
                pts.clone(),
                0.0,
                tint(series.colour(), AREA_ALPHA).filled(),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            self.capex.clone(),
            Series::Capex.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            self.debt_balance.clone(),
            k.px(10.0),
            k.px(6.0),
            Series::Debt.colour().stroke_width(k.px(3.0) as u32),
        )))?;
        self.paint_dscr(&mut chart, k)
    }
}

impl FinanceChart {
    /// The right-axis layer: DSCR runs, covenant levels and breach dots.
    fn paint_dscr<DB: DrawingBackend>(&self, chart: &mut DualMonthChart<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let months = f64::from(self.calendar.months());
        for &c in &self.covenants {
            chart.draw_secondary_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, c), (months, c)],
                k.px(12.0),
                k.px(8.0),
                Series::Covenant.colour().stroke_width(k.px(2.0) as u32),
            )))?;
        }
        for run in &self.dscr {
            chart.draw_secondary_series(LineSeries::new(
                run.clone(),
                Series::Dscr.colour().stroke_width(k.px(3.0) as u32),
            ))?;
        }
        chart.draw_secondary_series(
            self.breaches
                .iter()
                .map(|&p| Circle::new(p, k.px(5.0), Series::Covenant.colour().filled())),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn financed() -> (Scenario, crate::engine::RunResult) {
        let s = crate::load("worlds/financed.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        (s, r)
    }

    #[test]
    fn the_stack_adds_up_to_the_ledgers_sources_and_capex() {
        let (s, r) = financed();
        let f = r.finance.as_ref().unwrap();
        let c = prepare(&s, f);
        let n = f.rows.len();
        let sum = |g: fn(&FinanceRow) -> f64| f.rows.iter().map(g).sum::<f64>();
        let (eq, debt, tenant) = (
            sum(|r| r.equity_in_usd),
            sum(|r| r.debt_draws_usd),
            sum(|r| r.tenant_contributions_usd),
        );
        assert!((c.equity[n].1 - eq).abs() < 1e-3);
        assert!((c.equity_debt[n].1 - (eq + debt)).abs() < 1e-3);
        assert!((c.sources[n].1 - (eq + debt + tenant)).abs() < 1e-3);
        assert!((c.capex[n].1 - sum(|r| r.capex_usd)).abs() < 1e-3);
        // The financed world borrows and takes tenant money: every layer is visible.
        assert!(debt > 0.0 && tenant > 0.0 && eq > 0.0);
        // Layers never cross: each top is at or above the one below it.
        for m in 0..=n {
            assert!(c.equity[m].1 <= c.equity_debt[m].1 && c.equity_debt[m].1 <= c.sources[m].1);
        }
        for p in c.sources.iter().chain(&c.capex).chain(&c.debt_balance) {
            assert!(c.y_usd.contains(&p.1), "{p:?} outside {:?}", c.y_usd);
        }
    }

    #[test]
    fn dscr_is_drawn_where_the_ledger_has_one_with_the_worlds_covenant() {
        let (s, r) = financed();
        let f = r.finance.as_ref().unwrap();
        let c = prepare(&s, f);
        let drawn: usize = c.dscr.iter().map(Vec::len).sum();
        assert_eq!(drawn, f.rows.iter().filter(|r| r.dscr.is_some()).count());
        // worlds/financed.ron sets one tranche with a 1.35× covenant.
        assert_eq!(c.covenants, vec![1.35]);
        assert!(c.y_dscr.contains(&1.35));
        for p in c.dscr.iter().flatten() {
            assert!(p.1 >= c.y_dscr.start && p.1 <= c.y_dscr.end, "{p:?}");
            let row = &f.rows[p.0 as usize - 1];
            assert_eq!(p.1, row.dscr.unwrap().clamp(0.0, c.y_dscr.end));
        }
        assert_eq!(c.breaches.len(), f.summary.covenant_breaches.len());
    }

    #[test]
    fn gaps_in_the_dscr_split_its_line() {
        let row = |d: Option<f64>| FinanceRow {
            dscr: d,
            ..FinanceRow::default()
        };
        let rows = [row(Some(1.0)), row(None), row(Some(9.0)), row(Some(0.5))];
        assert_eq!(
            dscr_runs(&rows, 4.0),
            vec![vec![(1.0, 1.0)], vec![(3.0, 4.0), (4.0, 0.5)]]
        );
    }
}
