//! `tornado.png`: one-at-a-time sensitivity. One horizontal bar per input, largest
//! swing at the top: from the base value of the metric (the vertical line) to its value
//! with the input at its low end (one colour) and at its high end (the other). An end
//! whose variant is not a valid world has no bar and is marked "invalid".

use super::axes::chartable;
use super::frame::{Area, Chart, Heading, Scale, widest};
use super::legend::LegendEntry;
use super::palette;
use super::text::usd_fmt;
use anyhow::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Colour of the metric with the input at its low value.
pub(crate) const LOW: RGBColor = palette::WORLDS[0];
/// Colour of the metric with the input at its high value.
pub(crate) const HIGH: RGBColor = palette::WORLDS[1];

/// One horizontal bar of the tornado.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    /// Input label, with its low and high values: `cooling_loops[DLC-2].pue (1.17 … 1.43)`.
    pub label: String,
    /// Metric at the input's low value (`None`: that variant did not run).
    pub at_low: Option<f64>,
    /// Metric at the input's high value.
    pub at_high: Option<f64>,
}

/// Everything `tornado.png` shows, as plain labels and numbers (the decision layer
/// builds it; the chart knows nothing of metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoData {
    /// The metric's title with its unit: the chart title and the axis title.
    pub title: String,
    /// True when the metric is in USD (axis ticks as money), false for plain numbers.
    pub usd: bool,
    /// The base value: the vertical line the bars start from.
    pub base: f64,
    /// Bars, largest swing first.
    pub bars: Vec<TornadoBar>,
    /// Smallest and largest metric value on any bar or the base, for the axis.
    pub range: (f64, f64),
}

/// Everything `tornado.png` draws.
#[derive(Debug, Clone)]
pub struct TornadoChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The prepared bars.
    pub data: TornadoData,
    /// x axis range.
    pub x: Range<f64>,
}

/// Prepares `tornado.png` from the tornado's data.
pub fn prepare(data: &TornadoData, world: &str) -> Result<TornadoChart> {
    let (lo, hi) = data.range;
    let pad = ((hi - lo) * 0.06)
        .max(hi.abs().max(lo.abs()) * 1e-6)
        .max(1e-9);
    Ok(TornadoChart {
        heading: Heading {
            title: format!("What moves {}: one input at a time", data.title),
            subtitle: format!(
                "{world}: each input from its low to its high value, every other input at its base; \
                 the line is the base case. Largest swing at the top; the rest are in sensitivity.csv."
            ),
            legend: vec![
                LegendEntry::fill("input at its low value", LOW),
                LegendEntry::fill("input at its high value", HIGH),
                LegendEntry::line("base case", palette::TEXT),
            ],
        },
        x: chartable(lo - pad..hi + pad)?,
        data: data.clone(),
    })
}

/// Formats a metric value for an axis: money, or a plain whole number.
pub(crate) fn value_fmt(usd: bool) -> fn(&f64) -> String {
    if usd {
        usd_fmt
    } else {
        |v: &f64| format!("{v:.0}")
    }
}

/// One row of a horizontal bar chart: its label, its segments `(from, to, colour)` and
/// a note drawn after the bars.
pub(crate) type Row = (String, Vec<(f64, f64, RGBColor)>, Option<String>);

/// Draws horizontal bar rows with labels on the left, top row first. With `lanes`,
/// each segment of a row gets its own thin bar (first on top); without, segments share
/// one bar, longest drawn first so a shorter one stays visible. Shared by the tornado
/// and Sobol' charts.
/// A horizontal bar chart's rows and axis.
pub(crate) struct BarRows<'a> {
    /// x axis range.
    pub(crate) x: Range<f64>,
    /// x axis title.
    pub(crate) x_desc: &'a str,
    /// x tick labels.
    pub(crate) fmt: &'a dyn Fn(&f64) -> String,
    /// Rows, top first.
    pub(crate) rows: Vec<Row>,
    /// Where to draw the vertical base line, if anywhere.
    pub(crate) base: Option<f64>,
    /// One thin bar per segment instead of one shared bar.
    pub(crate) lanes: bool,
}

pub(crate) fn draw_rows<DB: DrawingBackend>(area: &Area<DB>, k: Scale, b: &BarRows) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (x, rows, base, lanes) = (&b.x, &b.rows, b.base, b.lanes);
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let label_w = widest(area, &labels, &k.tick()) + k.px(24.0);
    let n = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin_left(k.px(16.0))
        .margin_right(k.px(48.0))
        .margin_top(k.px(6.0))
        .margin_bottom(k.px(16.0))
        .x_label_area_size(k.x_label_area())
        .y_label_area_size(label_w)
        .build_cartesian_2d(x.clone(), 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .bold_line_style(palette::GRID.stroke_width(1))
        .light_line_style(palette::GRID_LIGHT.stroke_width(1))
        .axis_style(palette::AXIS.stroke_width(k.px(2.0) as u32))
        .x_label_style(k.tick())
        .axis_desc_style(k.axis())
        .x_label_formatter(b.fmt)
        .x_desc(b.x_desc)
        .set_all_tick_mark_size(k.px(6.0))
        .draw()?;
    draw_bars(&mut chart, k, rows, n, base, lanes)?;
    // Chart coordinates map to absolute pixels; text drawn on `area` is relative to it.
    let (ox, oy) = area.get_base_pixel();
    let at = |x: f64, y: f64| {
        let (px, py) = chart.backend_coord(&(x, y));
        (px - ox, py - oy)
    };
    for (i, (label, segments, note)) in rows.iter().enumerate() {
        let y = n - i as f64 - 1.0;
        let (px, py) = at(x.start, y + 0.5);
        area.draw(&Text::new(
            label.clone(),
            (px - k.px(10.0), py),
            k.tick().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        if let Some(note) = note {
            let end = segments
                .iter()
                .map(|s| s.0.max(s.1))
                .fold(f64::NEG_INFINITY, f64::max);
            let end = if end.is_finite() {
                end
            } else {
                base.unwrap_or(x.start)
            };
            let (tx, ty) = at(end, y + 0.5);
            area.draw(&Text::new(
                note.clone(),
                (tx + k.px(8.0), ty),
                k.note()
                    .color(&palette::MUTED)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    Ok(())
}

/// The bars of [`draw_rows`] and its base line.
fn draw_bars<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    k: Scale,
    rows: &[Row],
    n: f64,
    base: Option<f64>,
    lanes: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for (i, (_, segments, _)) in rows.iter().enumerate() {
        let y = n - i as f64 - 1.0;
        let m = segments.len().max(1) as f64;
        let mut order: Vec<usize> = (0..segments.len()).collect();
        if !lanes {
            let len = |j: usize| (segments[j].1 - segments[j].0).abs();
            order.sort_by(|&a, &b| len(b).total_cmp(&len(a)));
        }
        chart.draw_series(order.into_iter().map(|j| {
            let (a, b, c) = segments[j];
            let (top, bottom) = if lanes {
                let h = 0.64 / m;
                (y + 0.82 - h * j as f64, y + 0.82 - h * (j as f64 + 1.0))
            } else {
                (y + 0.82, y + 0.18)
            };
            Rectangle::new([(a.min(b), bottom), (a.max(b), top)], c.filled())
        }))?;
    }
    if let Some(v) = base {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(v, 0.0), (v, n)],
            palette::TEXT.stroke_width(k.px(2.0) as u32),
        )))?;
    }
    Ok(())
}

impl Chart for TornadoChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let base = self.data.base;
        let rows: Vec<Row> = self
            .data
            .bars
            .iter()
            .map(|b| {
                let mut seg = Vec::new();
                let mut missing = Vec::new();
                for (v, c, side) in [(b.at_low, LOW, "low"), (b.at_high, HIGH, "high")] {
                    match v {
                        Some(v) => seg.push((base, v, c)),
                        None => missing.push(side),
                    }
                }
                let note =
                    (!missing.is_empty()).then(|| format!("{}: invalid world", missing.join(", ")));
                (b.label.clone(), seg, note)
            })
            .collect();
        let fmt = value_fmt(self.data.usd);
        let bars = BarRows {
            x: self.x.clone(),
            x_desc: &self.data.title,
            fmt: &fmt,
            rows,
            base: Some(base),
            lanes: false,
        };
        draw_rows(&area, k, &bars)
    }
}
