//! `cash.png`: cumulative cash at each month end, the zero line, the payback month and
//! the peak equity need (the lowest point: the most cash the owner must put up).
//!
//! A world with a `finance` section is drawn from the finance ledger: the equity
//! (levered) line, and the project (unlevered) line beside it when debt was drawn, on
//! the basis of the finance summary's IRRs and NPVs. The exit at the horizon (terminal
//! value, less debt it repays) is left off the lines and stated in the subtitle: it is a
//! valuation, not cash the owner holds along the way, and drawn it would flatten every
//! other month. A world without one has no debt, so its owner funds every dollar below
//! zero: project cash is equity cash, and one line with that name is what a reader
//! should see (two identical lines would suggest a difference that is not there).

use super::axes::{MonthChart, ValueAxis, cash_range, month_chart, month_label, zero_line};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::{LegendEntry, tint};
use super::marks::{Marker, draw_markers};
use super::palette::{self, Series};
use super::text::{usd, usd_fmt};
use crate::calendar::Calendar;
use crate::engine::RunResult;
use crate::finance::FinanceResult;
use crate::finance::returns::{Payback, payback};
use crate::scenario::Scenario;
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Opacity of the areas between the line and zero.
const AREA_ALPHA: f64 = 0.35;

/// A point called out with a dot and a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Callout {
    /// Position on the month axis.
    pub x: f64,
    /// Cumulative cash there, USD.
    pub usd: f64,
    /// The text.
    pub text: String,
    /// Text to the right of the dot (else to its left).
    pub text_right: bool,
    /// Text above the dot (else below).
    pub above: bool,
}

/// Everything `cash.png` shows.
#[derive(Debug, Clone)]
pub struct CashChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The run's months.
    pub calendar: Calendar,
    /// Value axis, USD.
    pub y_usd: Range<f64>,
    /// Equity cash: `(0, 0)` at the start, then month `m`'s closing balance at `m + 1`.
    pub points: Vec<(f64, f64)>,
    /// Project (unlevered) cash, same layout, when it differs from equity cash (debt).
    pub project: Option<Vec<(f64, f64)>>,
    /// The equity line clipped to ≥ 0, with its zero crossings (the green area).
    pub above_zero: Vec<(f64, f64)>,
    /// The equity line clipped to ≤ 0, with its zero crossings (the red area).
    pub below_zero: Vec<(f64, f64)>,
    /// Where the equity line crosses zero in the payback month.
    pub payback: Option<Marker>,
    /// The peak equity need (lowest balance), when below zero before the horizon's end.
    pub lowest: Option<Callout>,
    /// The final balance.
    pub end: Option<Callout>,
}

/// The lines a run's cash chart draws, USD at each month end.
struct CashLines {
    /// Equity cash.
    equity: Vec<f64>,
    /// Project cash, when it differs from equity cash.
    project: Option<Vec<f64>>,
    /// The payback of the equity line.
    payback: Payback,
}

/// `(0, 0)`, then value `m` at `m + 1`.
fn month_end_points(v: &[f64]) -> Vec<(f64, f64)> {
    std::iter::once((0.0, 0.0))
        .chain(v.iter().enumerate().map(|(m, &c)| (m as f64 + 1.0, c)))
        .collect()
}

/// Running sums of `f` over the finance rows.
fn running(f: &FinanceResult, flow: impl Fn(&crate::finance::FinanceRow) -> f64) -> Vec<f64> {
    f.rows
        .iter()
        .scan(0.0, |c, r| {
            *c += flow(r);
            Some(*c)
        })
        .collect()
}

/// Equity and project cash from the finance ledger, without the exit at the horizon
/// (terminal value in, debt repaid from it out). Project cash is drawn only when debt
/// was drawn: without it the two lines differ by nothing a reader decides on.
fn finance_lines(f: &FinanceResult) -> CashLines {
    let equity = f.cumulative_equity_cash_before_exit_usd();
    let has_debt = f.rows.iter().any(|r| r.debt_draws_usd > 0.0);
    let project =
        has_debt.then(|| running(f, |r| r.unlevered_cash_flow_usd - r.terminal_value_usd));
    CashLines {
        payback: payback(&equity),
        equity,
        project,
    }
}

/// Prepares `cash.png` from a run.
pub fn prepare(s: &Scenario, r: &RunResult) -> CashChart {
    let lines = match (&s.finance, &r.finance) {
        (Some(_), Some(f)) => finance_lines(f),
        _ => {
            // The ledger's cumulative cash, under the summary's payback rule.
            let equity: Vec<f64> = r.ledger.iter().map(|row| row.cumulative_cash_usd).collect();
            CashLines {
                payback: payback(&equity),
                equity,
                project: None,
            }
        }
    };
    let points = month_end_points(&lines.equity);
    let project = lines.project.as_deref().map(month_end_points);
    let all = points.iter().chain(project.iter().flatten());
    let hi = all.clone().map(|p| p.1).fold(0.0, f64::max);
    let lo = all.map(|p| p.1).fold(0.0, f64::min);
    let label = if r.finance.is_some() && s.finance.is_some() {
        "Equity payback"
    } else {
        "Payback"
    };
    let payback = lines.payback.index().map(|i| Marker {
        x: zero_crossing(points[i], points[i + 1]),
        label: format!("{label} {}", s.calendar.label(i as u32)),
        colour: Series::Payback.colour(),
    });
    CashChart {
        heading: heading(s, r, &lines),
        calendar: s.calendar.clone(),
        y_usd: cash_range(lo, hi),
        above_zero: crossings(&points, true),
        below_zero: crossings(&points, false),
        payback,
        lowest: lowest(&s.calendar, &points),
        end: end(&points),
        points,
        project,
    }
}

fn heading(s: &Scenario, r: &RunResult, lines: &CashLines) -> Heading {
    let fin = s.finance.as_ref().and(r.finance.as_ref());
    let main = match (fin, &lines.project) {
        (None, _) => "Cumulative cash = equity cash (no debt in this world)",
        (Some(_), None) => "Cumulative equity cash = project cash (no debt drawn)",
        (Some(_), Some(_)) => "Cumulative equity (levered) cash",
    };
    let mut legend = vec![LegendEntry::line(main, palette::TEXT)];
    if lines.project.is_some() {
        legend.push(LegendEntry::line(
            "Cumulative project (unlevered) cash",
            Series::ProjectCash.colour(),
        ));
    }
    legend.extend([
        LegendEntry::fill(
            "Equity cash above zero",
            tint(Series::CashPositive.colour(), AREA_ALPHA),
        ),
        LegendEntry::fill(
            "Equity cash below zero",
            tint(Series::CashNegative.colour(), AREA_ALPHA),
        ),
    ]);
    if lines.payback.index().is_some() {
        legend.push(LegendEntry::dashed("Payback", Series::Payback.colour()));
    }
    let payback = match lines.payback {
        Payback::Month(i) => format!("payback {}", s.calendar.label(i as u32)),
        Payback::NotWithinHorizon => "no payback within the horizon".to_string(),
        Payback::NeverNegative => "never below zero: nothing to pay back".to_string(),
    };
    let subtitle = match fin {
        None => format!(
            "Running sum of revenue − energy − opex − capex at each month end; {payback}; \
             NPV {}",
            usd(r.summary.npv_usd)
        ),
        Some(f) => format!(
            "From the finance ledger at each month end, after tax, debt service and \
             tenant money; the exit at the horizon (terminal value {}, less debt repaid \
             from it) is not drawn; equity {payback}; NPV project {}, equity {}",
            usd(f.summary.terminal_value_usd),
            usd(f.summary.unlevered_npv_usd),
            usd(f.summary.levered_npv_usd)
        ),
    };
    Heading {
        title: format!("{} — cumulative cash", s.name),
        subtitle,
        legend,
    }
}

/// Where the segment from `(x0, c0)` to `(x1, c1)` reaches zero: its start unless it
/// rises from below zero.
fn zero_crossing((x0, c0): (f64, f64), (x1, c1): (f64, f64)) -> f64 {
    if c0 < 0.0 && c1 > c0 {
        x0 + (x1 - x0) * (-c0 / (c1 - c0))
    } else {
        x0
    }
}

/// The lowest point (the peak equity need, as a positive amount), if below zero and
/// before the last point; its text faces the middle of the chart.
fn lowest(cal: &Calendar, pts: &[(f64, f64)]) -> Option<Callout> {
    let months = f64::from(cal.months());
    let &(x, v) = pts
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|p| p.1 < 0.0 && p.0 < months)?;
    Some(Callout {
        x,
        usd: v,
        text: format!(
            "Peak equity need {} ({})",
            usd(-v),
            month_label(cal, x - 1.0)
        ),
        text_right: x <= months * 0.8,
        above: false,
    })
}

/// The final balance, its text above the line when it ends rising, below when falling.
fn end(pts: &[(f64, f64)]) -> Option<Callout> {
    let &(x, v) = pts.last()?;
    let lowest = pts.iter().all(|p| p.1 >= v) && v < 0.0;
    let text = if lowest {
        format!("End (lowest) {}", usd(v))
    } else {
        format!("End {}", usd(v))
    };
    Some(Callout {
        x,
        usd: v,
        text,
        text_right: false,
        above: pts.len() < 2 || v >= pts[pts.len() - 2].1,
    })
}

/// The polyline clipped to one side of zero (`positive` keeps values ≥ 0), with points
/// added where it crosses zero, for filling between the line and the zero axis.
fn crossings(pts: &[(f64, f64)], positive: bool) -> Vec<(f64, f64)> {
    let clip = |v: f64| if positive { v.max(0.0) } else { v.min(0.0) };
    let mut out = Vec::with_capacity(pts.len() * 2);
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        out.push((x0, clip(y0)));
        if (y0 < 0.0) != (y1 < 0.0) && y1 != y0 {
            let x = x0 + (x1 - x0) * (-y0 / (y1 - y0));
            out.push((x, 0.0));
        }
    }
    if let Some(&(x, y)) = pts.last() {
        out.push((x, clip(y)));
    }
    out
}

impl Chart for CashChart {
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
        let mut chart = month_chart(&area, k, &self.calendar, y, k.px(40.0))?;
        for (pts, series) in [
            (&self.above_zero, Series::CashPositive),
            (&self.below_zero, Series::CashNegative),
        ] {
            chart.draw_series(AreaSeries::new(
                pts.clone(),
                0.0,
                series.colour().mix(AREA_ALPHA).filled(),
            ))?;
        }
        zero_line(&mut chart, k, f64::from(self.calendar.months()))?;
        if let Some(p) = &self.project {
            chart.draw_series(LineSeries::new(
                p.clone(),
                Series::ProjectCash.colour().stroke_width(k.px(3.0) as u32),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            self.points.clone(),
            palette::TEXT.stroke_width(k.px(3.0) as u32),
        ))?;
        if let Some(m) = &self.payback {
            chart.draw_series(std::iter::once(Circle::new(
                (m.x, 0.0),
                k.px(7.0),
                Series::Payback.colour().filled(),
            )))?;
        }
        let markers: Vec<Marker> = self.payback.iter().cloned().collect();
        draw_markers(&mut chart, k, &markers)?;
        if let Some(c) = &self.lowest {
            let dx = if c.text_right {
                k.px(10.0)
            } else {
                -k.px(10.0)
            };
            let anchor = if c.text_right {
                HPos::Left
            } else {
                HPos::Right
            };
            callout(
                &mut chart,
                k,
                c,
                Series::CashNegative.colour(),
                (dx, k.px(8.0)),
                anchor,
            )?;
        }
        if let Some(c) = &self.end {
            let dy = if c.above { -k.px(12.0) } else { k.px(12.0) };
            callout(
                &mut chart,
                k,
                c,
                palette::TEXT,
                (-k.px(10.0), dy),
                HPos::Right,
            )?;
        }
        Ok(())
    }
}

/// Draws a callout's dot in `dot` and its text at `offset` pixels from it.
fn callout<DB: DrawingBackend>(
    chart: &mut MonthChart<DB>,
    k: Scale,
    c: &Callout,
    dot: RGBColor,
    offset: (i32, i32),
    anchor: HPos,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let font = k.note().color(&palette::TEXT);
    let vpos = if c.above { VPos::Bottom } else { VPos::Top };
    chart.draw_series(std::iter::once(
        EmptyElement::at((c.x, c.usd))
            + Circle::new((0, 0), k.px(6.0), dot.filled())
            + Text::new(c.text.clone(), offset, font.pos(Pos::new(anchor, vpos))),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::YearMonth;

    #[test]
    fn crossings_split_the_area_at_zero() {
        let pts = [(0.0, -2.0), (1.0, 2.0)];
        assert_eq!(
            crossings(&pts, true),
            vec![(0.0, 0.0), (0.5, 0.0), (1.0, 2.0)]
        );
        assert_eq!(
            crossings(&pts, false),
            vec![(0.0, -2.0), (0.5, 0.0), (1.0, 0.0)]
        );
    }

    #[test]
    fn a_hand_built_dip_is_called_out_at_its_lowest_and_its_end() {
        let cal = Calendar::new(
            YearMonth {
                year: 2026,
                month: 1,
            },
            4,
        );
        let pts = [(0.0, 0.0), (1.0, -3e6), (2.0, -1e6), (3.0, 1e6), (4.0, 2e6)];
        let low = lowest(&cal, &pts).unwrap();
        assert_eq!((low.x, low.usd), (1.0, -3e6));
        // The point at x = 1 is the close of month 0.
        assert_eq!(low.text, "Peak equity need $3.0M (2026-01)");
        assert!(low.text_right);
        let end = end(&pts).unwrap();
        assert_eq!(
            (end.x, end.text.as_str(), end.above),
            (4.0, "End $2.0M", true)
        );
        // Payback in month 2 (point 2 → 3): the line crosses zero halfway.
        assert_eq!(zero_crossing(pts[2], pts[3]), 2.5);
    }

    #[test]
    fn a_run_ending_at_its_lowest_says_so() {
        let pts = [(0.0, 0.0), (1.0, -1e6), (2.0, -2e6)];
        let e = end(&pts).unwrap();
        assert_eq!(e.text, "End (lowest) -$2.0M");
        assert!(!e.above);
        let cal = Calendar::new(
            YearMonth {
                year: 2026,
                month: 1,
            },
            2,
        );
        // The lowest point is the last one: only the end is called out.
        assert_eq!(lowest(&cal, &pts), None);
    }

    #[test]
    fn the_teaching_run_pays_back_inside_its_range() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        for p in &c.points {
            assert!(c.y_usd.contains(&p.1), "{p:?} outside {:?}", c.y_usd);
        }
        let payback = c.payback.unwrap();
        let month = s.calendar.label(payback.x.floor() as u32);
        assert_eq!(Some(month), r.summary.payback_month);
        // No finance section: one line, and it is the ledger's cumulative cash.
        assert!(c.project.is_none());
        assert_eq!(c.points.len(), r.ledger.len() + 1);
        assert_eq!(c.points[3].1, r.ledger[2].cumulative_cash_usd);
    }

    #[test]
    fn the_financed_run_labels_its_peak_equity_need_as_the_summary_does() {
        let s = crate::load("worlds/financed.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let f = r.finance.as_ref().unwrap();
        let c = prepare(&s, &r);
        let project = c.project.as_ref().expect("the financed world draws debt");
        // Before the last month no exit is in the flows: the lines are the ledger's.
        for (m, row) in f.rows.iter().enumerate().take(f.rows.len() - 1) {
            assert!((c.points[m + 1].1 - row.cumulative_equity_cash_usd).abs() < 1e-6);
        }
        let unlevered: f64 = f.rows[..10].iter().map(|r| r.unlevered_cash_flow_usd).sum();
        assert!((project[10].1 - unlevered).abs() < 1e-6);
        // The exit is left off: the last step is the last month's flow without it.
        let last = f.rows.last().unwrap();
        let n = f.rows.len();
        let step = c.points[n].1 - c.points[n - 1].1;
        let flow = last.levered_cash_flow_usd - last.terminal_value_usd + last.exit_repayment_usd;
        assert!((step - flow).abs() < 1e-6);
        // The callout is the finance summary's peak equity need, at the lowest month.
        let low = c.lowest.as_ref().unwrap();
        assert!((-low.usd - f.summary.peak_equity_need_usd).abs() < 1e-6);
        let m = (0..n - 1)
            .min_by(|&a, &b| {
                let (x, y) = (&f.rows[a], &f.rows[b]);
                x.cumulative_equity_cash_usd
                    .total_cmp(&y.cumulative_equity_cash_usd)
            })
            .unwrap();
        let want = format!(
            "Peak equity need {} ({})",
            usd(f.summary.peak_equity_need_usd),
            s.calendar.label(m as u32)
        );
        assert_eq!(low.text, want);
        for p in c.points.iter().chain(project) {
            assert!(c.y_usd.contains(&p.1), "{p:?} outside {:?}", c.y_usd);
        }
        // Equity payback is the finance summary's when the exit does not decide it.
        let pb = c.payback.as_ref().unwrap();
        assert_eq!(
            Some(pb.x.floor() as usize),
            f.summary.equity_payback.index()
        );
    }
}
