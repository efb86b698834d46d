//! `timeline.png`: the retrofit plan as a Gantt chart, one row per plan step, in plan
//! order, with one bar per timeline span.

use super::axes::{Ticked, day_x, month_coord, month_label};
use super::frame::{Area, Chart, Heading, Scale, text_width, widest};
use super::legend::LegendEntry;
use super::palette::{self, Series};
use crate::calendar::{Calendar, Day};
use crate::engine::RunResult;
use crate::scenario::Scenario;
use crate::timeline::{SpanKind, StepStatus};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Height of a bar, as a fraction of its row.
const BAR_H: f64 = 0.5;

/// What a Gantt bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    /// Waiting for ordered equipment or units.
    Lead,
    /// Installation, conversion or decommissioning work.
    Work,
    /// Blocked by a limit.
    Wait,
    /// Units installed by the step draw power.
    Energised,
}

impl BarKind {
    /// The palette series of this kind of bar.
    pub fn series(self) -> Series {
        match self {
            BarKind::Lead => Series::Lead,
            BarKind::Work => Series::Work,
            BarKind::Wait => Series::Wait,
            BarKind::Energised => Series::Energised,
        }
    }
}

/// One bar of the Gantt chart, in simulation days `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct GanttBar {
    /// What it stands for (and so its colour).
    pub kind: BarKind,
    /// First day.
    pub from: Day,
    /// Day after the last.
    pub to: Day,
    /// Text drawn beside the bar: the limit for a wait, e.g. `interconnect · 12 d`.
    pub label: Option<String>,
}

/// One row of the Gantt chart: a plan step.
#[derive(Debug, Clone, PartialEq)]
pub struct GanttRow {
    /// Row name, e.g. `order-T3 (order)`.
    pub name: String,
    /// Bars in time order.
    pub bars: Vec<GanttBar>,
    /// Why the step did not finish, if it did not.
    pub note: Option<String>,
}

/// Everything `timeline.png` shows.
#[derive(Debug, Clone)]
pub struct TimelineChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The run's months.
    pub calendar: Calendar,
    /// One row per plan step, first step on top.
    pub rows: Vec<GanttRow>,
}

/// Prepares `timeline.png` from a run.
pub fn prepare(s: &Scenario, r: &RunResult) -> TimelineChart {
    TimelineChart {
        heading: Heading {
            title: format!("{} — retrofit plan", s.name),
            subtitle: "One row per plan step, in plan order; bars show what each step was \
                       doing when"
                .into(),
            legend: vec![
                LegendEntry::fill(
                    "Lead time (ordered, awaiting delivery)",
                    Series::Lead.colour(),
                ),
                LegendEntry::fill(
                    "Install / convert / decommission work",
                    Series::Work.colour(),
                ),
                LegendEntry::fill("Waiting on a limit (labelled)", Series::Wait.colour()),
                LegendEntry::fill("Energised", Series::Energised.colour()),
            ],
        },
        calendar: s.calendar.clone(),
        rows: gantt_layout(s, r),
    }
}

/// Lays out the Gantt chart: one row per plan step, in plan order, with one bar per
/// non-empty timeline span, cut at the horizon.
fn gantt_layout(s: &Scenario, r: &RunResult) -> Vec<GanttRow> {
    let end = s.calendar.end();
    r.timeline
        .iter()
        .map(|t| GanttRow {
            name: format!("{} ({})", t.id, t.verb),
            bars: t
                .spans
                .iter()
                .filter(|sp| sp.to > sp.from)
                .map(|sp| {
                    let (kind, label) = match sp.kind {
                        SpanKind::Lead => (BarKind::Lead, None),
                        SpanKind::Work => (BarKind::Work, None),
                        SpanKind::Energised => (BarKind::Energised, None),
                        SpanKind::Wait(limit) => (
                            BarKind::Wait,
                            Some(format!("waits on {} · {} d", limit.name(), sp.to - sp.from)),
                        ),
                    };
                    GanttBar {
                        kind,
                        from: sp.from.min(end),
                        to: sp.to.min(end),
                        label,
                    }
                })
                .collect(),
            note: match t.status {
                StepStatus::Done => None,
                _ => t.reason.clone(),
            },
        })
        .collect()
}

type GanttChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

impl Chart for TimelineChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let rows = &self.rows;
        let n = rows.len().max(1) as f64;
        let cal = &self.calendar;
        let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
        let name_w = widest(&area, &names, &k.tick()) + k.px(24.0);
        let x_axis = month_coord(&area, k, cal, name_w)?;
        let months = x_axis.range.end;
        // Row i occupies y in [n - i - 1, n - i): the first step on top.
        let key_y: Vec<f64> = (0..rows.len()).map(|i| n - i as f64 - 0.5).collect();
        let mut chart = ChartBuilder::on(&area)
            .margin_left(k.px(16.0))
            .margin_right(k.px(40.0))
            .margin_top(k.px(6.0))
            .margin_bottom(k.px(16.0))
            .x_label_area_size(k.x_label_area())
            .y_label_area_size(name_w)
            .build_cartesian_2d(
                x_axis,
                Ticked {
                    range: 0.0..n,
                    bold: key_y,
                    light: Vec::new(),
                },
            )?;
        let x_fmt = |x: &f64| month_label(cal, *x);
        let y_fmt = |y: &f64| {
            let i = (n - y - 0.5).round();
            if i >= 0.0 {
                rows.get(i as usize)
                    .map(|r| r.name.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .bold_line_style(palette::GRID.stroke_width(1))
            .light_line_style(palette::GRID_LIGHT.stroke_width(1))
            .axis_style(palette::AXIS.stroke_width(k.px(2.0) as u32))
            .x_label_style(k.tick())
            .y_label_style(k.tick())
            .axis_desc_style(k.axis())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("Month (YYYY-MM)")
            .set_all_tick_mark_size(k.px(6.0))
            .disable_y_mesh()
            .draw()?;
        let (plot_w, _) = chart.plotting_area().dim_in_pixel();
        let x_per_px = months / f64::from(plot_w.max(1));
        for (i, row) in rows.iter().enumerate() {
            draw_row(&mut chart, k, cal, row, n - i as f64 - 0.5, x_per_px)?;
        }
        Ok(())
    }
}

/// Draws one row's bars centred on `y_mid`, then their labels in the gap above, then
/// the note of an unfinished step.
fn draw_row<DB: DrawingBackend>(
    chart: &mut GanttChart<DB>,
    k: Scale,
    cal: &Calendar,
    row: &GanttRow,
    y_mid: f64,
    x_per_px: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (ya, yb) = (y_mid - BAR_H / 2.0, y_mid + BAR_H / 2.0);
    for bar in &row.bars {
        let x0 = day_x(cal, bar.from);
        // A bar is at least 6 px wide so a short wait stays visible.
        let x1 = day_x(cal, bar.to).max(x0 + 6.0 * x_per_px);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, ya), (x1, yb)],
            bar.kind.series().colour().filled(),
        )))?;
    }
    let font = k.note();
    // Labels above the bar, in the gap between rows.
    let label_y = yb + (0.5 - BAR_H / 2.0) * 0.5;
    for bar in &row.bars {
        if let Some(label) = &bar.label {
            let x0 = day_x(cal, bar.from);
            let colour = Series::Wait.colour();
            draw_clamped_text(chart, label, x0, label_y, font.color(&colour))?;
        }
    }
    if let Some(note) = &row.note {
        let end = row.bars.iter().map(|b| b.to).max().unwrap_or(0);
        let x = day_x(cal, end);
        let y = if row.bars.iter().any(|b| b.label.is_some()) {
            ya - (0.5 - BAR_H / 2.0) * 0.5
        } else {
            label_y
        };
        let text = format!("not finished: {note}");
        draw_clamped_text(chart, &text, x, y, font.color(&palette::MUTED))?;
    }
    Ok(())
}

/// Draws `text` vertically centred at (`x`, `y`), shifted left if it would run past the
/// right edge of the plot.
fn draw_clamped_text<DB: DrawingBackend>(
    chart: &mut GanttChart<DB>,
    text: &str,
    x: f64,
    y: f64,
    font: TextStyle,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let area = chart.plotting_area();
    let tw = text_width(area, text, &font)?;
    let (px, _) = chart.backend_coord(&(x, y));
    let (ox, _) = area.get_base_pixel();
    let (w, _) = area.dim_in_pixel();
    let overflow = (px - ox + tw) - w as i32 + 4;
    let shift = overflow.max(0);
    chart.draw_series(std::iter::once(
        EmptyElement::at((x, y))
            + Text::new(
                text.to_string(),
                (-shift, 0),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gantt_has_one_row_per_plan_step_with_the_wait_labelled() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let rows = prepare(&s, &r).rows;
        assert_eq!(rows.len(), s.plan.len());
        for (row, step) in rows.iter().zip(&s.plan) {
            assert!(
                row.name.starts_with(&step.id),
                "{} vs {}",
                row.name,
                step.id
            );
            for bar in &row.bars {
                assert!(bar.from < bar.to && bar.to <= s.calendar.end());
            }
        }
        // The teaching world's GPU hall waits on the interconnect until hall A is
        // decommissioned: that wait is a labelled bar of its own.
        let gpu = rows
            .iter()
            .find(|r| r.name.starts_with("gpu-hall"))
            .unwrap();
        let wait = gpu.bars.iter().find(|b| b.kind == BarKind::Wait).unwrap();
        assert!(wait.label.as_deref().unwrap().contains("interconnect"));
        assert!(gpu.bars.iter().any(|b| b.kind == BarKind::Energised));
    }
}
