//! Axes: the month axis every time chart shares, value ranges plotters can tick, and the
//! chart builder that draws the mesh.
//!
//! The x axis of every time chart is months since the start of the run as `f64`: month
//! `m` spans `[m, m + 1)`, and a simulation day maps to its month plus the fraction of
//! that month elapsed ([`day_x`]).

use super::frame::{Area, Scale, text_width};
use super::palette;
use crate::calendar::{Calendar, Day};
use anyhow::Result;
use plotters::chart::DualCoordChartContext;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::ops::Range;

/// Position of `day` on a month axis: its month index plus the fraction elapsed.
pub(crate) fn day_x(cal: &Calendar, day: Day) -> f64 {
    let m = cal.month_of(day.min(cal.end()));
    let (a, b) = (cal.month_start(m), cal.month_start(m + 1));
    let frac = f64::from(day.min(b).saturating_sub(a)) / f64::from((b - a).max(1));
    f64::from(m) + frac
}

/// Months between labelled x ticks so that about `max_labels` labels fit.
pub(crate) fn month_tick_step(months: u32, max_labels: u32) -> u32 {
    const STEPS: [u32; 8] = [1, 2, 3, 6, 12, 24, 60, 120];
    let max_labels = max_labels.max(2);
    STEPS
        .into_iter()
        .find(|&st| months.div_ceil(st) <= max_labels)
        .unwrap_or(120)
}

/// Month indices (0..=months) to label, aligned to calendar quarters/years so a step of
/// 12 lands on Januaries.
pub(crate) fn month_ticks(cal: &Calendar, step: u32) -> Vec<u32> {
    let align = step.min(12);
    let first = (0..=cal.months())
        .find(|&m| (cal.label(m).month - 1) % align == 0)
        .unwrap_or(0);
    let first = if step > 12 {
        (first..=cal.months())
            .step_by(12)
            .find(|&m| cal.label(m).year % (step / 12) as i32 == 0)
            .unwrap_or(first)
    } else {
        first
    };
    (first..=cal.months()).step_by(step as usize).collect()
}

/// The `YYYY-MM` label of the month nearest `x`.
pub(crate) fn month_label(cal: &Calendar, x: f64) -> String {
    cal.label(x.round().max(0.0) as u32).to_string()
}

/// A linear `f64` axis whose grid lines and labels sit exactly at chosen values (plotters'
/// `with_key_points` cannot take a label formatter).
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    pub(crate) range: Range<f64>,
    pub(crate) bold: Vec<f64>,
    pub(crate) light: Vec<f64>,
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let t = if span > 0.0 {
            (v - self.range.start) / span
        } else {
            0.0
        };
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// The month axis of a chart: ticks chosen so their labels fit the plot width.
struct MonthAxis {
    months: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl MonthAxis {
    /// `left` is the width of the value-axis label area, so the plot width is known.
    fn new<DB: DrawingBackend>(
        root: &Area<DB>,
        k: Scale,
        cal: &Calendar,
        left: i32,
    ) -> Result<Self> {
        let (w, _) = root.dim_in_pixel();
        let lw = text_width(root, "2026-01", &k.tick())?;
        let plot_w = f64::from(w) - f64::from(left + k.px(56.0));
        let max_labels = (plot_w / (f64::from(lw) * 1.4)).floor() as u32;
        let step = month_tick_step(cal.months(), max_labels);
        let bold: Vec<u32> = month_ticks(cal, step);
        let light_step = match step {
            12 => 3,
            24 => 6,
            6 => 1,
            _ => 0,
        };
        let light = if light_step == 0 {
            Vec::new()
        } else {
            (0..=cal.months())
                .filter(|m| m % light_step == bold.first().copied().unwrap_or(0) % light_step)
                .map(f64::from)
                .collect()
        };
        Ok(Self {
            months: f64::from(cal.months().max(1)),
            bold: bold.into_iter().map(f64::from).collect(),
            light,
        })
    }

    fn coord(&self) -> Ticked {
        Ticked {
            range: 0.0..self.months,
            bold: self.bold.clone(),
            light: self.light.clone(),
        }
    }
}

/// The month axis of a Gantt-style chart whose value axis is `left` pixels wide.
pub(crate) fn month_coord<DB: DrawingBackend>(
    root: &Area<DB>,
    k: Scale,
    cal: &Calendar,
    left: i32,
) -> Result<Ticked> {
    Ok(MonthAxis::new(root, k, cal, left)?.coord())
}

/// A chart with months on x and a linear value axis.
pub(crate) type MonthChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, RangedCoordf64>>;

/// A y range plotters can tick: finite, and not so narrow relative to its magnitude
/// that tick spacing underflows (plotters' key-point search does not terminate then).
pub(crate) fn chartable(y: Range<f64>) -> Result<Range<f64>> {
    const LIMIT: f64 = 1e30;
    if !(y.start.is_finite() && y.end.is_finite()) || y.start.abs().max(y.end.abs()) > LIMIT {
        anyhow::bail!(
            "values from {:e} to {:e} are too large to chart; check the world's figures",
            y.start,
            y.end
        );
    }
    let mid = 0.5 * (y.start + y.end);
    let min_span = (mid.abs() * 1e-6).max(1e-9);
    if y.end - y.start < min_span {
        return Ok(mid - min_span..mid + min_span);
    }
    Ok(y)
}

/// The value axis of a month chart: range, title and label format.
pub(crate) struct ValueAxis<'f> {
    pub(crate) range: Range<f64>,
    pub(crate) desc: &'f str,
    pub(crate) fmt: &'f dyn Fn(&f64) -> String,
}

/// Width of a value axis's label area: its widest label plus room for its title.
fn value_label_width<DB: DrawingBackend>(
    area: &Area<DB>,
    k: Scale,
    range: &Range<f64>,
    fmt: &dyn Fn(&f64) -> String,
) -> i32 {
    let widest = [range.start, range.end, (range.start + range.end) / 2.0]
        .iter()
        .map(|v| {
            area.estimate_text_size(&fmt(v), &k.tick())
                .map(|(w, _)| w as i32)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    widest + k.px(60.0)
}

/// Builds a chart with months on x and `y` on the value axis, and draws its mesh;
/// `right` pixels are left right of the plot (room for end-of-line labels).
pub(crate) fn month_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    k: Scale,
    cal: &Calendar,
    y: ValueAxis,
    right: i32,
) -> Result<MonthChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let (fmt, desc) = (y.fmt, y.desc);
    let mut chart = month_chart_unmeshed(area, k, cal, y, right, 0)?;
    draw_month_mesh(&mut chart, k, cal, fmt, desc)?;
    Ok(chart)
}

/// A month chart with a second value axis on the right.
pub(crate) type DualMonthChart<'a, DB> = DualCoordChartContext<
    'a,
    DB,
    Cartesian2d<Ticked, RangedCoordf64>,
    Cartesian2d<RangedCoordf64, RangedCoordf64>,
>;

/// Builds a month chart with `y` on the left and `y2` on the right, and draws both axes.
pub(crate) fn dual_month_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    k: Scale,
    cal: &Calendar,
    y: ValueAxis,
    y2: ValueAxis,
) -> Result<DualMonthChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let range2 = chartable(y2.range)?;
    let w2 = value_label_width(area, k, &range2, y2.fmt);
    let (fmt, desc) = (y.fmt, y.desc);
    let chart = month_chart_unmeshed(area, k, cal, y, k.px(16.0), w2)?;
    let months = chart.x_range().end;
    // The right label area passes to the secondary axis here, so the primary mesh
    // drawn after it labels the left side only.
    let mut chart = chart.set_secondary_coord(0.0..months, range2);
    draw_month_mesh(&mut chart, k, cal, fmt, desc)?;
    chart
        .configure_secondary_axes()
        .axis_style(palette::AXIS.stroke_width(k.px(2.0) as u32))
        .label_style(k.tick())
        .axis_desc_style(k.axis())
        .y_label_formatter(y2.fmt)
        .y_labels(9)
        .y_desc(y2.desc)
        .set_all_tick_mark_size(k.px(6.0))
        .draw()?;
    Ok(chart)
}

/// The chart of [`month_chart`] before its mesh is drawn, with `right_labels` pixels
/// of label area for a right-hand axis.
fn month_chart_unmeshed<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    k: Scale,
    cal: &Calendar,
    y: ValueAxis,
    right: i32,
    right_labels: i32,
) -> Result<MonthChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let range = chartable(y.range)?;
    let y_label_w = value_label_width(area, k, &range, y.fmt);
    // MonthAxis assumes the default right margin; count any extra as label area.
    let axis = MonthAxis::new(
        area,
        k,
        cal,
        y_label_w + right_labels + (right - k.px(40.0)).max(0),
    )?;
    Ok(ChartBuilder::on(area)
        .margin_left(k.px(16.0))
        .margin_right(right)
        .margin_top(k.px(6.0))
        .margin_bottom(k.px(16.0))
        .x_label_area_size(k.x_label_area())
        .y_label_area_size(y_label_w)
        .right_y_label_area_size(right_labels)
        .build_cartesian_2d(axis.coord(), range)?)
}

/// Draws a month chart's grid, month axis and value axis.
fn draw_month_mesh<DB: DrawingBackend>(
    chart: &mut MonthChart<DB>,
    k: Scale,
    cal: &Calendar,
    fmt: &dyn Fn(&f64) -> String,
    desc: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let x_fmt = |x: &f64| month_label(cal, *x);
    chart
        .configure_mesh()
        .bold_line_style(palette::GRID.stroke_width(1))
        .light_line_style(palette::GRID_LIGHT.stroke_width(1))
        .axis_style(palette::AXIS.stroke_width(k.px(2.0) as u32))
        .x_label_style(k.tick())
        .y_label_style(k.tick())
        .axis_desc_style(k.axis())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(fmt)
        .y_labels(9)
        .y_max_light_lines(1)
        .x_desc("Month (YYYY-MM)")
        .y_desc(desc)
        .set_all_tick_mark_size(k.px(6.0))
        .draw()?;
    Ok(())
}

/// Draws the horizontal zero line across a month chart.
pub(crate) fn zero_line<DB: DrawingBackend>(
    chart: &mut MonthChart<DB>,
    k: Scale,
    months: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (months, 0.0)],
        palette::AXIS.stroke_width(k.px(2.0) as u32),
    ))?;
    Ok(())
}

/// A round number ≥ `v` for an axis end (1, 2, 2.5 or 5 × 10^n).
pub(crate) fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|f| f * mag)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * mag)
}

/// A y range for cash that includes zero, with room above for markers and below for
/// labels (on `cash.png`, `fan.png` and `compare.png`).
pub(crate) fn cash_range(lo: f64, hi: f64) -> Range<f64> {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let span = (hi - lo).max(1.0);
    let y1 = if hi > 0.0 {
        nice_ceiling(hi + span * 0.14)
    } else {
        span * 0.14
    };
    let y0 = if lo < 0.0 {
        -nice_ceiling(-lo + span * 0.08)
    } else {
        -span * 0.08
    };
    y0..y1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::YearMonth;

    // Regression: absurd but valid-looking figures made chart drawing spin forever.
    #[test]
    fn ranges_are_finite_and_wide_enough_to_tick() {
        assert!(chartable(-1e308..f64::INFINITY).is_err());
        assert!(chartable(0.0..1e31).is_err());
        let r = chartable(5.0..5.0).unwrap();
        assert!(r.start < 5.0 && r.end > 5.0);
        assert_eq!(chartable(-3.0..7.0).unwrap(), -3.0..7.0);
    }

    #[test]
    fn ticks_fall_on_januaries_for_long_horizons() {
        let cal = Calendar::new(YearMonth::parse("2026-07").unwrap(), 144);
        let step = month_tick_step(144, 12);
        assert_eq!(step, 12);
        let ticks = month_ticks(&cal, step);
        assert_eq!(cal.label(ticks[0]).to_string(), "2027-01");
        assert!(ticks.iter().all(|&m| cal.label(m).month == 1));
    }

    #[test]
    fn short_horizons_get_finer_ticks() {
        assert_eq!(month_tick_step(12, 14), 1);
        assert_eq!(month_tick_step(36, 14), 3);
        assert_eq!(month_tick_step(600, 14), 60);
    }

    #[test]
    fn day_x_is_month_plus_fraction() {
        let cal = Calendar::new(YearMonth::parse("2026-01").unwrap(), 24);
        assert_eq!(day_x(&cal, 0), 0.0);
        assert!((day_x(&cal, 31) - 1.0).abs() < 1e-12);
        assert!((day_x(&cal, 31 + 14) - 1.5).abs() < 1e-12); // Feb 2026 has 28 days
        assert_eq!(day_x(&cal, cal.end()), 24.0);
    }

    #[test]
    fn nice_ceiling_rounds_up_to_a_round_number() {
        assert_eq!(nice_ceiling(118.0), 120.0);
        assert_eq!(nice_ceiling(4.3), 5.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn cash_ranges_hold_zero_and_both_extremes() {
        for (lo, hi) in [
            (-3e6, 9e6),
            (0.0, 5e5),
            (-2e7, 0.0),
            (1e6, 2e6),
            (-5.0, -1.0),
        ] {
            let r = cash_range(lo, hi);
            assert!(r.start < 0.0 && r.end > 0.0, "{r:?}");
            assert!(r.start <= lo.min(0.0) && r.end >= hi, "{lo} {hi}: {r:?}");
        }
    }
}
