//! `fan.png`: P10–P90 band and median of cumulative cash across a sweep's runs, with
//! the zero line and the median payback month.

use super::axes::{cash_range, zero_line};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::{LegendEntry, tint};
use super::marks::{EndLabel, Marker, draw_end_labels, draw_markers};
use super::months::{align_months, cash_month_chart, cash_points};
use super::palette::{self, Series};
use super::text::{partial_note, runs_phrase, share_text, usd};
use crate::calendar::Calendar;
use crate::sweep::{Aggregate, Sketch, SweepSummary};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Opacity of the P10–P90 band.
pub(crate) const BAND_ALPHA: f64 = 0.25;

/// One fan: the band, its edges, the median and their end labels.
#[derive(Debug, Clone)]
pub struct FanPanel {
    /// Title above the panel when the chart has two; `None` for a lone fan.
    pub title: Option<String>,
    /// The P10–P90 band as a closed outline (P90 left to right, then P10 back); `None`
    /// when no run completed.
    pub band: Option<Vec<(f64, f64)>>,
    /// P10 of each month end.
    pub p10: Vec<(f64, f64)>,
    /// P50 of each month end.
    pub p50: Vec<(f64, f64)>,
    /// P90 of each month end.
    pub p90: Vec<(f64, f64)>,
    /// The median payback month.
    pub payback: Option<Marker>,
    /// Final P90, P50 and P10 named right of the plot.
    pub end_labels: Vec<EndLabel>,
}

/// Everything `fan.png` shows: the project fan, and beside it the equity fan when the
/// world has a `finance` section.
#[derive(Debug, Clone)]
pub struct FanChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The sweep's months.
    pub calendar: Calendar,
    /// Value axis, USD, shared by the panels so they compare at a glance.
    pub y_usd: Range<f64>,
    /// Project cash, then equity cash if any.
    pub panels: Vec<FanPanel>,
}

/// P10, P50 and P90 of each month's sketch (NaN where a sketch is empty).
fn quantiles(sketches: &[Sketch]) -> [Vec<f64>; 3] {
    [0.1, 0.5, 0.9].map(|p| {
        sketches
            .iter()
            .map(|s| s.quantile(p).unwrap_or(f64::NAN))
            .collect()
    })
}

/// One panel from its quantile paths on the axis `idx`.
fn panel(
    idx: &[u32],
    [p10, p50, p90]: &[Vec<f64>; 3],
    runs: u64,
    payback: Option<Marker>,
) -> FanPanel {
    let last = |v: &[f64]| v.last().copied().filter(|x| x.is_finite());
    let end_labels = [
        ("P90", last(p90), Series::Band.colour()),
        ("P50", last(p50), palette::TEXT),
        ("P10", last(p10), Series::Band.colour()),
    ]
    .into_iter()
    .filter_map(|(name, v, colour)| {
        v.map(|value| EndLabel {
            text: format!("{name} {}", usd(value)),
            value,
            colour,
        })
    })
    .collect();
    let mut lower = cash_points(idx, p10);
    lower.reverse();
    FanPanel {
        title: None,
        band: (runs > 0).then(|| cash_points(idx, p90).into_iter().chain(lower).collect()),
        p10: cash_points(idx, p10),
        p50: cash_points(idx, p50),
        p90: cash_points(idx, p90),
        payback,
        end_labels,
    }
}

/// Prepares `fan.png` from a sweep's aggregate and summary.
pub fn prepare(agg: &Aggregate, sum: &SweepSummary) -> Result<FanChart> {
    let al = align_months(&[&agg.months]);
    let idx = &al.index[0];
    let project = quantiles(&agg.cumulative_cash_usd);
    let equity = agg.cumulative_equity_cash_usd.as_deref().map(quantiles);
    let finite = || {
        [&project]
            .into_iter()
            .chain(&equity)
            .flat_map(|[p10, _, p90]| p10.iter().chain(p90))
            .copied()
            .filter(|v| v.is_finite())
    };
    let lo = finite().fold(0.0, f64::min);
    let hi = finite().fold(0.0, f64::max);
    let payback = sum
        .payback_month
        .p50
        .and_then(|p| agg.index_of(p))
        .map(|m| Marker {
            x: f64::from(idx[m]) + 0.5,
            label: format!("Median payback {}", agg.months[m]),
            colour: Series::Payback.colour(),
        });
    let mut panels = vec![panel(idx, &project, agg.runs, payback)];
    if let Some(q) = &equity {
        panels[0].title = Some("Project cash (revenue − energy − opex − capex)".into());
        let mut eq = panel(idx, q, agg.runs, None);
        eq.title = Some("Equity cash (finance ledger, before the exit)".into());
        panels.push(eq);
    }
    Ok(FanChart {
        heading: heading(agg, sum),
        calendar: al.calendar(),
        y_usd: cash_range(lo, hi),
        panels,
    })
}

fn heading(agg: &Aggregate, sum: &SweepSummary) -> Heading {
    let mut legend = vec![
        LegendEntry::fill(
            "P10–P90: 80% of runs lie in the band",
            tint(Series::Band.colour(), BAND_ALPHA),
        ),
        LegendEntry::line("Median of each month (P50)", palette::TEXT),
    ];
    if sum.payback_month.p50.is_some() {
        legend.push(LegendEntry::dashed(
            "Median payback month",
            Series::Payback.colour(),
        ));
    }
    let npv = sum.npv_usd.p50.map_or("–".to_string(), usd);
    let paid = agg.payback_by_month.iter().sum::<u64>().min(agg.runs);
    // Runs never below zero have nothing to pay back: not "paid back", and said apart.
    let never_negative = if agg.never_negative_runs == 0 {
        String::new()
    } else {
        format!(
            ", {} never go below zero (nothing to pay back)",
            share_text(agg.never_negative_runs.min(agg.runs), agg.runs)
        )
    };
    let equity = if agg.cumulative_equity_cash_usd.is_some() {
        "; right: equity (levered) cash after tax, debt service and tenant money, without \
         the exit at the horizon (terminal value less debt repaid from it)"
    } else {
        ""
    };
    Heading {
        title: format!("{} — cumulative cash, {}", sum.world, runs_phrase(sum)),
        subtitle: format!(
            "{}Cumulative cash (revenue − energy − opex − capex) at each month end across runs; \
             NPV P50 {npv}; {} of runs pay back within the horizon{never_negative}{equity}",
            partial_note(sum),
            share_text(paid, agg.runs)
        ),
        legend,
    }
}

impl Chart for FanChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let n = self.panels.len().max(1) as u32;
        let (w, _) = area.dim_in_pixel();
        let mut rest = area;
        for (i, p) in self.panels.iter().enumerate() {
            let (cell, next) = if (i as u32) + 1 < n {
                rest.split_horizontally(w / n)
            } else {
                (rest.clone(), rest.clone())
            };
            self.paint_panel(root, &cell, k, p)?;
            rest = next;
        }
        Ok(())
    }
}

impl FanChart {
    /// Draws one fan in `cell` (end labels are placed on `root`).
    fn paint_panel<DB: DrawingBackend>(
        &self,
        root: &Area<DB>,
        cell: &Area<DB>,
        k: Scale,
        p: &FanPanel,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = match &p.title {
            Some(t) => {
                cell.draw(&Text::new(t.clone(), (k.px(28.0), 0), k.bold(22.0)))?;
                cell.split_vertically(k.px(36.0)).1
            }
            None => cell.clone(),
        };
        let mut chart =
            cash_month_chart(&area, k, &self.calendar, self.y_usd.clone(), &p.end_labels)?;
        let months = f64::from(self.calendar.months());
        if let Some(band) = &p.band {
            chart.draw_series(std::iter::once(Polygon::new(
                band.clone(),
                Series::Band.colour().mix(BAND_ALPHA).filled(),
            )))?;
        }
        zero_line(&mut chart, k, months)?;
        for edge in [&p.p10, &p.p90] {
            chart.draw_series(LineSeries::new(
                edge.clone(),
                Series::Band.colour().mix(0.7).stroke_width(1),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            p.p50.clone(),
            palette::TEXT.stroke_width(k.px(3.0) as u32),
        ))?;
        let markers: Vec<Marker> = p.payback.iter().cloned().collect();
        draw_markers(&mut chart, k, &markers)?;
        if p.band.is_none() {
            let (x, y) = chart.backend_coord(&(months / 2.0, 0.0));
            root.draw(&Text::new(
                "No runs completed",
                (x, y - k.px(30.0)),
                k.bold(24.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        draw_end_labels(root, &chart, k, months, &p.end_labels)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{MonthPercentiles, Percentiles};

    fn summary(runs: u64, payback_p50: Option<&str>) -> SweepSummary {
        let none = Percentiles {
            p10: None,
            p50: None,
            p90: None,
        };
        SweepSummary {
            finance: None,
            flexibility_value_usd: None,
            world: "hand-built".into(),
            seed: 1,
            runs_planned: runs,
            runs_completed: runs,
            partial: false,
            npv_usd: none.clone(),
            payback_month: MonthPercentiles {
                p10: None,
                p50: payback_p50.map(|m| crate::calendar::YearMonth::parse(m).unwrap()),
                p90: None,
            },
            probability_payback_within_horizon: 0.0,
            probability_cumulative_cash_never_negative: 0.0,
            first_gpu_month: MonthPercentiles {
                p10: None,
                p50: None,
                p90: None,
            },
            months_waited_on_limits: none.clone(),
            final_cumulative_cash_usd: none,
            reliability: None,
        }
    }

    #[test]
    fn a_hand_built_fan_holds_its_band_and_marks_the_median_payback() {
        let months = crate::report::months::labels("2026-01", 3);
        // Three runs: month-end cash per run.
        let runs = [[-3.0, -1.0, 2.0], [-4.0, -2.0, 1.0], [-5.0, -3.0, -1.0]];
        let mut sketches = vec![Sketch::new(); 3];
        for run in &runs {
            for (m, v) in run.iter().enumerate() {
                sketches[m].add(*v);
            }
        }
        let agg = Aggregate {
            months,
            cumulative_cash_usd: sketches,
            gpu_it_mw: Vec::new(),
            revenue_usd: Vec::new(),
            npv_usd: Sketch::new(),
            months_waited: Sketch::new(),
            payback_by_month: vec![0, 0, 2],
            never_negative_runs: 0,
            first_gpu_by_month: Vec::new(),
            runs: 3,
            reliability: None,
            finance: None,
            cumulative_equity_cash_usd: None,
            flexibility_value_usd: None,
        };
        let chart = prepare(&agg, &summary(3, Some("2026-03"))).unwrap();
        assert_eq!(chart.panels.len(), 1, "no finance section: no equity fan");
        let c = &chart.panels[0];
        assert!(c.title.is_none());
        // The median run's path (the sketch is accurate to 0.5 %), from (0, 0).
        let want = [(0.0, 0.0), (1.0, -4.0), (2.0, -2.0), (3.0, 1.0)];
        assert_eq!(c.p50.len(), want.len());
        for (got, want) in c.p50.iter().zip(want) {
            assert_eq!(got.0, want.0);
            assert!((got.1 - want.1).abs() <= 0.005 * want.1.abs(), "{got:?}");
        }
        assert!(chart.heading.subtitle.contains("67% of runs pay back"));
        for ((lo, mid), hi) in c.p10.iter().zip(&c.p50).zip(&c.p90) {
            assert!(lo.1 <= mid.1 && mid.1 <= hi.1, "{lo:?} {mid:?} {hi:?}");
        }
        for p in c.p10.iter().chain(&c.p90) {
            assert!(chart.y_usd.contains(&p.1), "{p:?}");
        }
        assert_eq!(c.band.as_ref().unwrap().len(), c.p10.len() + c.p90.len());
        let marker = c.payback.clone().unwrap();
        assert_eq!(
            (marker.x, marker.label.as_str()),
            (2.5, "Median payback 2026-03")
        );
        let names: Vec<&str> = c.end_labels.iter().map(|l| &l.text[..3]).collect();
        assert_eq!(names, ["P90", "P50", "P10"]);
    }

    #[test]
    fn a_financed_sweep_gets_an_equity_fan_of_the_runs_equity_cash() {
        use crate::sweep::{SweepConfig, execute};
        use std::sync::{Arc, atomic::AtomicBool};
        let s = Arc::new(crate::load("worlds/financed.ron").unwrap());
        let sweep = |jobs| {
            let cfg = SweepConfig {
                runs: 9,
                seed: 11,
                jobs,
                shard: None,
                handle_interrupt: false,
            };
            let stop = Arc::new(AtomicBool::new(false));
            let (agg, _) = execute(s.clone(), &cfg, stop, |_| Ok(()), || {}).unwrap();
            agg
        };
        let agg = sweep(2);
        // The equity sketches merge like the project ones: any --jobs, same bits.
        let one = sweep(1);
        assert_eq!(
            serde_json::to_string(&agg.cumulative_equity_cash_usd).unwrap(),
            serde_json::to_string(&one.cumulative_equity_cash_usd).unwrap()
        );
        agg.check().unwrap();
        let sum = agg.summary(&s.name, 11, 9, false);
        let c = prepare(&agg, &sum).unwrap();
        assert_eq!(c.panels.len(), 2);
        let eq = &c.panels[1];
        // Each month's median lies between its P10 and P90, inside the shared axis.
        for ((lo, mid), hi) in eq.p10.iter().zip(&eq.p50).zip(&eq.p90) {
            assert!(lo.1 <= mid.1 && mid.1 <= hi.1, "{lo:?} {mid:?} {hi:?}");
            assert!(c.y_usd.contains(&lo.1) && c.y_usd.contains(&hi.1));
        }
        // Every run's equity cash is in the sketches, one value per month and run.
        let sk = agg.cumulative_equity_cash_usd.as_ref().unwrap();
        assert_eq!(sk.len(), agg.months.len());
        assert!(sk.iter().all(|k| k.count() == 9));
    }

    #[test]
    fn the_equity_fan_is_the_median_of_the_runs_equity_cash() {
        let s = crate::load("worlds/financed.ron").unwrap();
        let mut agg = Aggregate::new(&s);
        let runs: Vec<Vec<f64>> = [1, 2, 3]
            .into_iter()
            .map(|seed| {
                let r = crate::run(&s, Some(seed)).unwrap();
                agg.add(&r);
                r.finance.unwrap().cumulative_equity_cash_before_exit_usd()
            })
            .collect();
        let sum = agg.summary(&s.name, 1, 3, false);
        let c = prepare(&agg, &sum).unwrap();
        let eq = &c.panels[1];
        assert_eq!(eq.p50[0], (0.0, 0.0));
        for m in 0..runs[0].len() {
            let mut v: Vec<f64> = runs.iter().map(|r| r[m]).collect();
            v.sort_by(f64::total_cmp);
            // The sketch is accurate to 0.5 % of the value.
            let got = eq.p50[m + 1].1;
            assert!(
                (got - v[1]).abs() <= 0.005 * v[1].abs() + 1e-6,
                "month {m}: {got} vs {}",
                v[1]
            );
        }
    }
}
