//! `pareto.png`: every valid candidate plan as a point of P50 peak funding need (x)
//! against P50 NPV (y); the non-dominated front joined by a line, candidates that fail
//! a constraint in grey, the chosen plan and the shipped plan ringed and labelled.

use super::axes::cash_range;
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::LegendEntry;
use super::palette;
use super::text::usd_fmt;
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

const FEASIBLE: RGBColor = palette::WORLDS[0];
const INFEASIBLE: RGBColor = RGBColor(170, 170, 170);
const FRONT: RGBColor = palette::WORLDS[1];
const BEST: RGBColor = palette::WORLDS[2];

/// One candidate plan on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoPoint {
    /// Candidate index.
    pub index: u64,
    /// P50 peak funding need, USD.
    pub x: f64,
    /// P50 NPV, USD.
    pub y: f64,
    /// Meets every constraint.
    pub feasible: bool,
}

/// Everything `pareto.png` shows, as plain numbers (the decision layer builds it).
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoData {
    /// Every valid candidate.
    pub points: Vec<ParetoPoint>,
    /// The non-dominated points (no other point has less funding need and at least as
    /// much NPV, or as little need and more NPV), by increasing funding need.
    pub front: Vec<ParetoPoint>,
    /// The chosen candidate.
    pub best: Option<ParetoPoint>,
    /// The shipped plan.
    pub base: Option<ParetoPoint>,
}

/// Everything `pareto.png` draws.
#[derive(Debug, Clone)]
pub struct ParetoChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The points.
    pub data: ParetoData,
    /// x range, USD.
    pub x: Range<f64>,
    /// y range, USD.
    pub y: Range<f64>,
}

/// Prepares `pareto.png`.
pub fn prepare(data: &ParetoData, world: &str, futures: u64, objective: &str) -> ParetoChart {
    let xs = data.points.iter().map(|p| p.x);
    let ys = data.points.iter().map(|p| p.y);
    let (x0, x1) = xs.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    let (y0, y1) = ys.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    let runs = if futures == 0 {
        "the median run".to_string()
    } else {
        format!("{futures} common sampled futures")
    };
    ParetoChart {
        heading: Heading {
            title: "Candidate plans: NPV against peak funding need".into(),
            subtitle: format!(
                "{world}: {} candidates, each over {runs} (P50 of each). Up is more NPV, left \
                 is less funding; the line joins plans no other beats on both. Objective {objective}.",
                data.points.len()
            ),
            legend: vec![
                LegendEntry::fill("meets the constraints", FEASIBLE),
                LegendEntry::fill("fails a constraint", INFEASIBLE),
                LegendEntry::line("non-dominated front", FRONT),
                LegendEntry::fill("chosen plan", BEST),
            ],
        },
        x: cash_range(x0, x1),
        y: cash_range(y0, y1),
        data: data.clone(),
    }
}

impl Chart for ParetoChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(k.px(16.0))
            .margin_right(k.px(48.0))
            .margin_top(k.px(6.0))
            .margin_bottom(k.px(16.0))
            .x_label_area_size(k.x_label_area())
            .y_label_area_size(k.px(150.0))
            .build_cartesian_2d(self.x.clone(), self.y.clone())?;
        chart
            .configure_mesh()
            .bold_line_style(palette::GRID.stroke_width(1))
            .light_line_style(palette::GRID_LIGHT.stroke_width(1))
            .axis_style(palette::AXIS.stroke_width(k.px(2.0) as u32))
            .x_label_style(k.tick())
            .y_label_style(k.tick())
            .axis_desc_style(k.axis())
            .x_label_formatter(&usd_fmt)
            .y_label_formatter(&usd_fmt)
            .x_desc("P50 peak funding need")
            .y_desc("P50 NPV")
            .set_all_tick_mark_size(k.px(6.0))
            .draw()?;
        let r = k.px(5.0);
        chart.draw_series(self.data.points.iter().map(|p| {
            let c = if p.feasible { FEASIBLE } else { INFEASIBLE };
            Circle::new((p.x, p.y), r, c.filled())
        }))?;
        chart.draw_series(std::iter::once(PathElement::new(
            self.data
                .front
                .iter()
                .map(|p| (p.x, p.y))
                .collect::<Vec<_>>(),
            FRONT.stroke_width(k.px(2.0) as u32),
        )))?;
        for (p, c, label) in [
            (&self.data.base, palette::TEXT, "shipped plan"),
            (&self.data.best, BEST, "chosen plan"),
        ] {
            let Some(p) = p else { continue };
            chart.draw_series(std::iter::once(Circle::new(
                (p.x, p.y),
                r * 2,
                c.stroke_width(k.px(3.0) as u32),
            )))?;
            let (px, py) = chart.backend_coord(&(p.x, p.y));
            let (ox, oy) = area.get_base_pixel();
            let (px, py) = (px - ox, py - oy);
            area.draw(&Text::new(
                label.to_string(),
                (px + r * 3, py),
                k.bold(18.0)
                    .color(&c)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}
