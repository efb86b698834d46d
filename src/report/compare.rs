//! `compare.png`: each world's median cumulative cash, with its P10–P90 band when the
//! worlds were swept, on one month axis (the union of the worlds' months).

use super::axes::{cash_range, zero_line};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::{LegendEntry, tint};
use super::marks::{EndLabel, draw_end_labels};
use super::months::{align_months, cash_month_chart, cash_points};
use super::palette;
use super::text::usd;
use crate::calendar::Calendar;
use crate::compare::CashPath;
use anyhow::Result;
use plotters::prelude::*;
use std::ops::Range;

/// Opacity of each world's band (they overlap).
const BAND_ALPHA: f64 = 0.14;

/// One compared world's lines, in its colour.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldPath {
    /// Line and band colour.
    pub colour: RGBColor,
    /// Median cumulative cash at each month end, from `(start, 0)`.
    pub p50: Vec<(f64, f64)>,
    /// P10–P90 band outline (P90 left to right, then P10 back), when the worlds were
    /// swept.
    pub band: Option<Vec<(f64, f64)>>,
}

/// Everything `compare.png` shows.
#[derive(Debug, Clone)]
pub struct CompareChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The shared month axis.
    pub calendar: Calendar,
    /// Value axis, USD.
    pub y_usd: Range<f64>,
    /// One per world, in order.
    pub worlds: Vec<WorldPath>,
    /// Each world's final median, right of the plot.
    pub end_labels: Vec<EndLabel>,
}

/// Prepares `compare.png` from the compared worlds' cash paths.
pub fn prepare(paths: &[CashPath]) -> Result<CompareChart> {
    let months: Vec<&[crate::calendar::YearMonth]> =
        paths.iter().map(|p| p.months.as_slice()).collect();
    let al = align_months(&months);
    let spread = paths.iter().any(|p| {
        p.p10
            .iter()
            .zip(&p.p90)
            .any(|(a, b)| a.is_finite() && b.is_finite() && (a - b).abs() > 1e-9)
    });
    let finite = || {
        paths
            .iter()
            .flat_map(|p| p.p10.iter().chain(&p.p90).chain(&p.p50))
            .copied()
            .filter(|v| v.is_finite())
    };
    let lo = finite().fold(0.0, f64::min);
    let hi = finite().fold(0.0, f64::max);
    let end_labels = paths
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let value = p.p50.last().copied().filter(|v| v.is_finite())?;
            Some(EndLabel {
                text: usd(value),
                value,
                colour: palette::world_colour(i),
            })
        })
        .collect();
    let worlds = paths
        .iter()
        .zip(&al.index)
        .enumerate()
        .map(|(i, (p, idx))| {
            let band = spread.then(|| {
                let mut lower = cash_points(idx, &p.p10);
                lower.reverse();
                cash_points(idx, &p.p90).into_iter().chain(lower).collect()
            });
            WorldPath {
                colour: palette::world_colour(i),
                p50: cash_points(idx, &p.p50),
                band,
            }
        })
        .collect();
    Ok(CompareChart {
        heading: heading(paths, spread),
        calendar: al.calendar(),
        y_usd: cash_range(lo, hi),
        worlds,
        end_labels,
    })
}

fn heading(paths: &[CashPath], spread: bool) -> Heading {
    let mut legend: Vec<LegendEntry> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| LegendEntry::line(&p.world, palette::world_colour(i)))
        .collect();
    if spread {
        legend.push(LegendEntry::fill(
            "Shaded: P10–P90 of that world's runs",
            tint(palette::MUTED, 0.3),
        ));
    }
    let subtitle = if spread {
        "Median (P50) cumulative cash at each month end of each world's sweep; \
         revenue − energy − opex − capex"
    } else {
        "Cumulative cash at each month end of one run per world, every distribution at \
         its median; revenue − energy − opex − capex"
    };
    Heading {
        title: format!("Cumulative cash compared — {} worlds", paths.len()),
        subtitle: subtitle.into(),
        legend,
    }
}

impl Chart for CompareChart {
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
        for w in &self.worlds {
            if let Some(band) = &w.band {
                chart.draw_series(std::iter::once(Polygon::new(
                    band.clone(),
                    w.colour.mix(BAND_ALPHA).filled(),
                )))?;
            }
        }
        let months = f64::from(self.calendar.months());
        zero_line(&mut chart, k, months)?;
        for w in &self.worlds {
            chart.draw_series(LineSeries::new(
                w.p50.clone(),
                w.colour.stroke_width(k.px(3.0) as u32),
            ))?;
        }
        draw_end_labels(root, &chart, k, months, &self.end_labels)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::months::labels;

    fn path(world: &str, start: &str, p10: &[f64], p50: &[f64], p90: &[f64]) -> CashPath {
        CashPath {
            world: world.into(),
            months: labels(start, p50.len() as u32),
            p10: p10.to_vec(),
            p50: p50.to_vec(),
            p90: p90.to_vec(),
        }
    }

    #[test]
    fn single_runs_get_lines_without_bands_on_the_union_of_months() {
        let a = [-1.0, -2.0, 3.0];
        let b = [-5.0, 1.0];
        let c = prepare(&[
            path("a", "2026-01", &a, &a, &a),
            path("b", "2026-03", &b, &b, &b),
        ])
        .unwrap();
        assert_eq!(c.calendar.months(), 4);
        assert!(c.worlds.iter().all(|w| w.band.is_none()));
        // World b starts two months later: its line starts at x = 2.
        assert_eq!(c.worlds[1].p50, vec![(2.0, 0.0), (3.0, -5.0), (4.0, 1.0)]);
        assert_ne!(c.worlds[0].colour, c.worlds[1].colour);
        for p in c.worlds.iter().flat_map(|w| &w.p50) {
            assert!(c.y_usd.contains(&p.1));
        }
        let ends: Vec<&str> = c.end_labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(ends, ["$3", "$1"]);
    }

    #[test]
    fn swept_worlds_get_a_band_from_p90_back_along_p10() {
        let c = prepare(&[path(
            "a",
            "2026-01",
            &[-2.0, 1.0],
            &[-1.0, 2.0],
            &[0.0, 3.0],
        )])
        .unwrap();
        let band = c.worlds[0].band.as_ref().unwrap();
        assert_eq!(
            band,
            &vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (2.0, 3.0),
                (2.0, 1.0),
                (1.0, -2.0),
                (0.0, 0.0)
            ]
        );
        assert_eq!(c.heading.legend.len(), 2);
    }
}
