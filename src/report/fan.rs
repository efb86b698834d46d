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
use crate::sweep::{Aggregate, SweepSummary};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Opacity of the P10–P90 band.
pub(crate) const BAND_ALPHA: f64 = 0.25;

/// Everything `fan.png` shows.
#[derive(Debug, Clone)]
pub struct FanChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The sweep's months.
    pub calendar: Calendar,
    /// Value axis, USD.
    pub y_usd: Range<f64>,
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

/// Prepares `fan.png` from a sweep's aggregate and summary.
pub fn prepare(agg: &Aggregate, sum: &SweepSummary) -> Result<FanChart> {
    let al = align_months(&[&agg.months]);
    let idx = &al.index[0];
    let q = |p: f64| -> Vec<f64> {
        agg.cumulative_cash_usd
            .iter()
            .map(|s| s.quantile(p).unwrap_or(f64::NAN))
            .collect()
    };
    let (p10, p50, p90) = (q(0.1), q(0.5), q(0.9));
    let finite = || p10.iter().chain(&p90).copied().filter(|v| v.is_finite());
    let lo = finite().fold(0.0, f64::min);
    let hi = finite().fold(0.0, f64::max);
    let last = |v: &[f64]| v.last().copied().filter(|x| x.is_finite());
    let end_labels = [
        ("P90", last(&p90), Series::Band.colour()),
        ("P50", last(&p50), palette::TEXT),
        ("P10", last(&p10), Series::Band.colour()),
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
    let payback = sum
        .payback_month
        .p50
        .and_then(|p| agg.index_of(p))
        .map(|m| Marker {
            x: f64::from(idx[m]) + 0.5,
            label: format!("Median payback {}", agg.months[m]),
            colour: Series::Payback.colour(),
        });
    let mut band = cash_points(idx, &p10);
    band.reverse();
    Ok(FanChart {
        heading: heading(agg, sum),
        calendar: al.calendar(),
        y_usd: cash_range(lo, hi),
        band: (agg.runs > 0).then(|| cash_points(idx, &p90).into_iter().chain(band).collect()),
        p10: cash_points(idx, &p10),
        p50: cash_points(idx, &p50),
        p90: cash_points(idx, &p90),
        payback,
        end_labels,
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
    Heading {
        title: format!("{} — cumulative cash, {}", sum.world, runs_phrase(sum)),
        subtitle: format!(
            "{}Cumulative cash (revenue − energy − opex − capex) at each month end across runs; \
             NPV P50 {npv}; {} of runs pay back within the horizon",
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
        let mut chart = cash_month_chart(
            &area,
            k,
            &self.calendar,
            self.y_usd.clone(),
            &self.end_labels,
        )?;
        let months = f64::from(self.calendar.months());
        if let Some(band) = &self.band {
            chart.draw_series(std::iter::once(Polygon::new(
                band.clone(),
                Series::Band.colour().mix(BAND_ALPHA).filled(),
            )))?;
        }
        zero_line(&mut chart, k, months)?;
        for edge in [&self.p10, &self.p90] {
            chart.draw_series(LineSeries::new(
                edge.clone(),
                Series::Band.colour().mix(0.7).stroke_width(1),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            self.p50.clone(),
            palette::TEXT.stroke_width(k.px(3.0) as u32),
        ))?;
        let markers: Vec<Marker> = self.payback.iter().cloned().collect();
        draw_markers(&mut chart, k, &markers)?;
        if self.band.is_none() {
            let (x, y) = chart.backend_coord(&(months / 2.0, 0.0));
            root.draw(&Text::new(
                "No runs completed",
                (x, y - k.px(30.0)),
                k.bold(24.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        draw_end_labels(root, &chart, k, months, &self.end_labels)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{MonthPercentiles, Percentiles, Sketch};

    fn summary(runs: u64, payback_p50: Option<&str>) -> SweepSummary {
        let none = Percentiles {
            p10: None,
            p50: None,
            p90: None,
        };
        SweepSummary {
            finance: None,
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
            first_gpu_by_month: Vec::new(),
            runs: 3,
            reliability: None,
            finance: None,
        };
        let c = prepare(&agg, &summary(3, Some("2026-03"))).unwrap();
        // The median run's path (the sketch is accurate to 0.5 %), from (0, 0).
        let want = [(0.0, 0.0), (1.0, -4.0), (2.0, -2.0), (3.0, 1.0)];
        assert_eq!(c.p50.len(), want.len());
        for (got, want) in c.p50.iter().zip(want) {
            assert_eq!(got.0, want.0);
            assert!((got.1 - want.1).abs() <= 0.005 * want.1.abs(), "{got:?}");
        }
        assert!(c.heading.subtitle.contains("67% of runs pay back"));
        for ((lo, mid), hi) in c.p10.iter().zip(&c.p50).zip(&c.p90) {
            assert!(lo.1 <= mid.1 && mid.1 <= hi.1, "{lo:?} {mid:?} {hi:?}");
        }
        for p in c.p10.iter().chain(&c.p90) {
            assert!(c.y_usd.contains(&p.1), "{p:?} outside {:?}", c.y_usd);
        }
        assert_eq!(c.band.as_ref().unwrap().len(), c.p10.len() + c.p90.len());
        let marker = c.payback.unwrap();
        assert_eq!(
            (marker.x, marker.label.as_str()),
            (2.5, "Median payback 2026-03")
        );
        let names: Vec<&str> = c.end_labels.iter().map(|l| &l.text[..3]).collect();
        assert_eq!(names, ["P90", "P50", "P10"]);
    }
}
