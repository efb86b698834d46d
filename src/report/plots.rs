//! Report-grade PNG charts of one run: one function per chart, each returning PNG bytes.
//!
//! Charts only read a [`RunResult`] and its [`Scenario`]; they never compute economics.
//! Text is drawn with the DejaVu Sans font bundled in `assets/fonts/` (registered once,
//! through plotters' `ab_glyph` backend), so charts render the same on a machine with no
//! fonts installed.
//!
//! The x axis of every chart is months since the start of the run as `f64`: month `m`
//! spans `[m, m + 1)`, and a simulation day maps to its month plus the fraction of that
//! month elapsed ([`day_x`]).

use super::palette::{self, Series};
use super::text::usd;
use crate::calendar::{Calendar, Day};
use crate::engine::RunResult;
use crate::scenario::{ActionSpec, EquipmentRef, ModelKind, Scenario, SupplySpec};
use crate::timeline::{SpanKind, StepStatus};
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::OnceLock;

const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
const FAMILY: &str = "sans-serif";

static FONTS: OnceLock<bool> = OnceLock::new();

/// Registers the bundled font as `sans-serif` (regular and bold). Idempotent; every
/// chart function calls it, so callers need not.
pub fn register_fonts() -> Result<()> {
    let ok = *FONTS.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_REGULAR).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, FONT_BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the bundled DejaVu Sans font could not be loaded"))
    }
}

/// Pixel size of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Default for ChartSize {
    /// 1600 × 900: sharp on a projector and in a report at full text width.
    fn default() -> Self {
        Self {
            width: 1600,
            height: 900,
        }
    }
}

/// Smallest chart we draw: below this, text cannot be made readable.
pub const MIN_SIZE: ChartSize = ChartSize {
    width: 480,
    height: 270,
};

/// File names of the charts [`all_charts`] produces, in order.
pub const CHART_FILES: [&str; 4] = crate::output::names::RUN_CHARTS;

/// Renders every chart of a run as `(file name, PNG bytes)`, ready for
/// [`super::write_run`].
pub fn all_charts(s: &Scenario, r: &RunResult, size: ChartSize) -> Result<super::ExtraFiles> {
    Ok(vec![
        (CHART_FILES[0].into(), power_png(s, r, size)?),
        (CHART_FILES[1].into(), revenue_png(s, r, size)?),
        (CHART_FILES[2].into(), cash_png(s, r, size)?),
        (CHART_FILES[3].into(), timeline_png(s, r, size)?),
    ])
}

pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Font sizes and spacing scaled to the canvas (1.0 at 1600 × 900).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale(pub(crate) f64);

impl Scale {
    pub(crate) fn of(size: ChartSize) -> Self {
        Scale((f64::from(size.width) / 1600.0).min(f64::from(size.height) / 900.0))
    }
    pub(crate) fn px(self, base: f64) -> i32 {
        (base * self.0).round().max(1.0) as i32
    }
    /// Text shrinks less than the canvas so small charts stay legible.
    pub(crate) fn text_size(self, base: f64) -> f64 {
        (base * self.0.powf(0.6)).max(9.0)
    }
    pub(crate) fn font(self, base: f64) -> TextStyle<'static> {
        (FAMILY, self.text_size(base))
            .into_font()
            .color(&palette::TEXT)
    }
    pub(crate) fn bold(self, base: f64) -> TextStyle<'static> {
        (FAMILY, self.text_size(base), FontStyle::Bold)
            .into_font()
            .color(&palette::TEXT)
    }
    pub(crate) fn title(self) -> TextStyle<'static> {
        self.bold(34.0)
    }
    pub(crate) fn subtitle(self) -> TextStyle<'static> {
        self.font(21.0).color(&palette::MUTED)
    }
    pub(crate) fn legend(self) -> TextStyle<'static> {
        self.font(21.0)
    }
    pub(crate) fn tick(self) -> TextStyle<'static> {
        self.font(20.0)
    }
    pub(crate) fn axis(self) -> TextStyle<'static> {
        self.font(22.0)
    }
    /// Height below the plot for month labels and the axis title.
    pub(crate) fn x_label_area(self) -> i32 {
        (self.text_size(20.0) * 1.6 + self.text_size(22.0) * 1.6).round() as i32 + self.px(12.0)
    }
    pub(crate) fn note(self) -> TextStyle<'static> {
        self.font(18.0)
    }
}

/// Draws into an RGB buffer and encodes it as PNG.
pub(crate) fn render(
    size: ChartSize,
    draw: impl FnOnce(&Area, Scale) -> Result<()>,
) -> Result<Vec<u8>> {
    register_fonts()?;
    if size.width < MIN_SIZE.width || size.height < MIN_SIZE.height {
        return Err(anyhow!(
            "chart size {}×{} is too small: at least {}×{} pixels",
            size.width,
            size.height,
            MIN_SIZE.width,
            MIN_SIZE.height
        ));
    }
    let (w, h) = (size.width, size.height);
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&palette::BACKGROUND)?;
        draw(&root, Scale::of(size))?;
        root.present()?;
    }
    encode_png(&buf, w, h)
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Flat colours compress several times better with per-row adaptive filtering.
    enc.set_compression(png::Compression::Best);
    enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = enc.write_header().context("cannot encode PNG")?;
    writer.write_image_data(rgb).context("cannot encode PNG")?;
    writer.finish().context("cannot encode PNG")?;
    Ok(out)
}

/// `c` blended over white with opacity `a`, as an opaque colour (for legend swatches of
/// translucent fills).
pub(crate) fn tint(c: RGBColor, a: f64) -> RGBColor {
    let f = |v: u8| (f64::from(v) * a + 255.0 * (1.0 - a)).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    Fill(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
}

fn draw_swatch(area: &Area, k: Scale, sw: Swatch, x: i32, y_mid: i32) -> Result<()> {
    let (w, h) = (k.px(34.0), k.px(16.0));
    match sw {
        Swatch::Fill(c) => {
            area.draw(&Rectangle::new(
                [(x, y_mid - h / 2), (x + w, y_mid + h / 2)],
                c.filled(),
            ))?;
        }
        Swatch::Line(c) => {
            area.draw(&PathElement::new(
                vec![(x, y_mid), (x + w, y_mid)],
                c.stroke_width(k.px(3.0) as u32),
            ))?;
        }
        Swatch::Dashed(c) => {
            area.draw(&DashedPathElement::new(
                vec![(x, y_mid), (x + w, y_mid)],
                k.px(7.0),
                k.px(4.0),
                c.stroke_width(k.px(3.0) as u32),
            ))?;
        }
    }
    Ok(())
}

/// Draws the title, subtitle (one or more lines) and a one-line (wrapping) legend;
/// returns the area below.
pub(crate) fn header<'a>(
    root: &Area<'a>,
    k: Scale,
    title: &str,
    subtitle: &str,
    legend: &[(String, Swatch)],
) -> Result<Area<'a>> {
    let (w, _) = root.dim_in_pixel();
    let pad = k.px(28.0);
    let left = pad;
    let mut y = k.px(20.0);
    root.draw(&Text::new(title.to_string(), (left, y), k.title()))?;
    y += (k.text_size(34.0) * 1.35).round() as i32;
    // A subtitle may hold several lines, separated by `\n`; long lines wrap at words.
    let sub_font = k.subtitle();
    let fits = |t: &str| {
        root.estimate_text_size(t, &sub_font)
            .map_or(true, |(tw, _)| tw as i32 <= w as i32 - 2 * pad)
    };
    for line in subtitle.lines().filter(|l| !l.is_empty()) {
        for part in wrap_words(line, &fits) {
            root.draw(&Text::new(part, (left, y), sub_font.clone()))?;
            y += (k.text_size(21.0) * 1.6).round() as i32;
        }
    }
    let row_h = (k.text_size(21.0) * 1.5).round() as i32;
    let mut x = left;
    let font = k.legend();
    for (label, sw) in legend {
        let (tw, _) = root
            .estimate_text_size(label, &font)
            .map_err(|e| anyhow!("{e:?}"))?;
        let item_w = k.px(34.0) + k.px(10.0) + tw as i32 + k.px(30.0);
        if x > left && x + item_w > w as i32 - pad {
            x = left;
            y += row_h;
        }
        let mid = y + row_h / 2;
        draw_swatch(root, k, *sw, x, mid)?;
        root.draw(&Text::new(
            label.clone(),
            (x + k.px(44.0), mid),
            font.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += item_w;
    }
    if !legend.is_empty() {
        y += row_h;
    }
    y += k.px(10.0);
    Ok(root.split_vertically(y).1)
}

/// Splits `line` at spaces into the fewest lines for which `fits` holds (a single word
/// too long to fit gets a line of its own).
pub(crate) fn wrap_words(line: &str, fits: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if cur.is_empty() || fits(&candidate) {
            cur = candidate;
        } else {
            out.push(std::mem::replace(&mut cur, word.to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Position of `day` on a month axis: its month index plus the fraction elapsed.
pub fn day_x(cal: &Calendar, day: Day) -> f64 {
    let m = cal.month_of(day.min(cal.end()));
    let (a, b) = (cal.month_start(m), cal.month_start(m + 1));
    let frac = f64::from(day.min(b).saturating_sub(a)) / f64::from((b - a).max(1));
    f64::from(m) + frac
}

/// Months between labelled x ticks so that about `max_labels` labels fit.
pub fn month_tick_step(months: u32, max_labels: u32) -> u32 {
    const STEPS: [u32; 8] = [1, 2, 3, 6, 12, 24, 60, 120];
    let max_labels = max_labels.max(2);
    STEPS
        .into_iter()
        .find(|&st| months.div_ceil(st) <= max_labels)
        .unwrap_or(120)
}

/// Month indices (0..=months) to label, aligned to calendar quarters/years so a step of
/// 12 lands on Januaries.
pub fn month_ticks(cal: &Calendar, step: u32) -> Vec<u32> {
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

/// A linear `f64` axis whose grid lines and labels sit exactly at chosen values (plotters'
/// `with_key_points` cannot take a label formatter).
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    pub(crate) range: std::ops::Range<f64>,
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

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// The month axis of a chart: range, bold and light key points, label text.
struct MonthAxis {
    months: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl MonthAxis {
    /// `left` is the width of the value-axis label area, so the plot width is known.
    fn new(root: &Area, k: Scale, cal: &Calendar, left: i32) -> Result<Self> {
        let (w, _) = root.dim_in_pixel();
        let (lw, _) = root
            .estimate_text_size("2026-01", &k.tick())
            .map_err(|e| anyhow!("{e:?}"))?;
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
}

impl MonthAxis {
    fn coord(&self) -> Ticked {
        Ticked {
            range: 0.0..self.months,
            bold: self.bold.clone(),
            light: self.light.clone(),
        }
    }
}

pub(crate) fn month_label(cal: &Calendar, x: f64) -> String {
    cal.label(x.round().max(0.0) as u32).to_string()
}

pub(crate) type MonthChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<Ticked, plotters::coord::types::RangedCoordf64>,
>;

/// Builds a chart with months on x and `y` on the value axis, and draws its mesh.
pub(crate) fn month_chart<'a, 'b>(
    area: &'a Area<'b>,
    k: Scale,
    cal: &Calendar,
    y: std::ops::Range<f64>,
    y_desc: &str,
    y_fmt: &dyn Fn(&f64) -> String,
) -> Result<MonthChart<'a, 'b>> {
    month_chart_with_margin(area, k, cal, y, y_desc, y_fmt, k.px(40.0))
}

/// A y range plotters can tick: finite, and not so narrow relative to its magnitude
/// that tick spacing underflows (plotters' key-point search does not terminate then).
pub(crate) fn chartable(y: std::ops::Range<f64>) -> Result<std::ops::Range<f64>> {
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

/// [`month_chart`] with `right` pixels right of the plot (room for end-of-line labels).
pub(crate) fn month_chart_with_margin<'a, 'b>(
    area: &'a Area<'b>,
    k: Scale,
    cal: &Calendar,
    y: std::ops::Range<f64>,
    y_desc: &str,
    y_fmt: &dyn Fn(&f64) -> String,
    right: i32,
) -> Result<MonthChart<'a, 'b>> {
    let y = chartable(y)?;
    let y_label_w = {
        let widest = [y.start, y.end, (y.start + y.end) / 2.0]
            .iter()
            .map(|v| {
                area.estimate_text_size(&y_fmt(v), &k.tick())
                    .map(|(w, _)| w as i32)
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        widest + k.px(60.0)
    };
    // MonthAxis assumes the default right margin; count any extra as label area.
    let axis = MonthAxis::new(area, k, cal, y_label_w + (right - k.px(40.0)).max(0))?;
    let mut chart = ChartBuilder::on(area)
        .margin_left(k.px(16.0))
        .margin_right(right)
        .margin_top(k.px(6.0))
        .margin_bottom(k.px(16.0))
        .x_label_area_size(k.x_label_area())
        .y_label_area_size(y_label_w)
        .build_cartesian_2d(axis.coord(), y)?;
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
        .y_label_formatter(y_fmt)
        .y_labels(9)
        .y_max_light_lines(1)
        .x_desc("Month (YYYY-MM)")
        .y_desc(y_desc)
        .set_all_tick_mark_size(k.px(6.0))
        .draw()?;
    Ok(chart)
}

/// A labelled vertical marker at `x` (fractional months).
pub(crate) struct Marker {
    pub(crate) x: f64,
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
}

/// Draws vertical dashed markers with labels stacked in rows near the top of the plot so
/// that no two labels overlap.
pub(crate) fn draw_markers(chart: &mut MonthChart, k: Scale, markers: &[Marker]) -> Result<()> {
    let area = chart.plotting_area();
    let (y0, y1) = {
        let r = chart.y_range();
        (r.start, r.end)
    };
    let font = k.note();
    let mut rows: Vec<i32> = Vec::new(); // right edge (px) of the last label in each row
    let mut sorted: Vec<&Marker> = markers.iter().collect();
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
    let (plot_w, _) = area.dim_in_pixel();
    // Lines first, then labels, so no line crosses a label.
    for m in &sorted {
        chart.plotting_area().draw(&DashedPathElement::new(
            vec![(m.x, y1), (m.x, y0)],
            k.px(8.0),
            k.px(5.0),
            m.colour.stroke_width(k.px(2.0) as u32),
        ))?;
    }
    let root = area.strip_coord_spec();
    let (bx, by) = root.get_base_pixel();
    for m in sorted {
        let top = chart.backend_coord(&(m.x, y1));
        let (tw, th) = area
            .estimate_text_size(&m.label, &font)
            .map_err(|e| anyhow!("{e:?}"))?;
        let (tw, th) = (tw as i32, th as i32);
        // Label to the right of the line, or to its left near the right edge.
        let right_side = top.0 - bx + k.px(6.0) + tw < plot_w as i32;
        let (lx0, lx1) = if right_side {
            (top.0 + k.px(6.0), top.0 + k.px(6.0) + tw)
        } else {
            (top.0 - k.px(6.0) - tw, top.0 - k.px(6.0))
        };
        let row = rows
            .iter()
            .position(|&edge| edge + k.px(12.0) < lx0)
            .unwrap_or(rows.len());
        if row == rows.len() {
            rows.push(lx1);
        } else {
            rows[row] = lx1;
        }
        let ly = top.1 + k.px(8.0) + row as i32 * (th + k.px(10.0));
        root.draw(&Rectangle::new(
            [
                (lx0 - k.px(4.0) - bx, ly - k.px(3.0) - by),
                (lx1 + k.px(4.0) - bx, ly + th + k.px(5.0) - by),
            ],
            palette::BACKGROUND.filled(),
        ))?;
        root.draw(&Text::new(
            m.label.clone(),
            (lx0 - bx, ly - by),
            font.color(&m.colour),
        ))?;
    }
    Ok(())
}

fn halving_markers(s: &Scenario) -> Vec<Marker> {
    s.markets
        .halving_days
        .iter()
        .filter(|&&d| d < s.calendar.end())
        .map(|&d| Marker {
            x: day_x(&s.calendar, d),
            label: format!("Halving {}", s.calendar.label(s.calendar.month_of(d))),
            colour: Series::Halving.colour(),
        })
        .collect()
}

/// Day the first GPU unit energised: from the Gantt bars of GPU install steps, or from
/// the summary's month when GPUs were there from the start.
fn first_gpu_day(s: &Scenario, r: &RunResult) -> Option<Day> {
    let from_steps = s
        .plan
        .iter()
        .zip(&r.timeline)
        .filter(|(st, _)| match st.action {
            ActionSpec::InstallUnits { model, .. } => {
                matches!(s.models[model].kind, ModelKind::Gpu { .. })
            }
            _ => false,
        })
        .flat_map(|(_, t)| t.spans.iter())
        .filter(|sp| sp.kind == SpanKind::Energised)
        .map(|sp| sp.from)
        .min();
    from_steps.or_else(|| {
        let month = s.calendar.index_of(r.summary.first_gpu_month?)?;
        Some(s.calendar.month_start(month))
    })
}

/// Substation capacity in service over time, MW, as `(day, MW)` steps: existing
/// substations from day 0, new ones from the day their install step finished.
fn substation_steps(s: &Scenario, r: &RunResult) -> Vec<(Day, f64)> {
    let mut changes: Vec<(Day, f64)> = Vec::new();
    for (i, sub) in s.substations.iter().enumerate() {
        let day = match sub.supply {
            SupplySpec::Existing => Some(0),
            SupplySpec::ToOrder { .. } => s
                .plan
                .iter()
                .zip(&r.timeline)
                .find(|(st, _)| {
                    matches!(&st.action, ActionSpec::Install(items)
                        if items.contains(&EquipmentRef::Substation(i)))
                })
                .and_then(|(_, t)| t.finished),
        };
        if let Some(d) = day {
            changes.push((d, sub.capacity_w as f64 / 1e6));
        }
    }
    changes.sort_by_key(|c| c.0);
    let mut total = 0.0;
    let mut out: Vec<(Day, f64)> = Vec::new();
    for (d, mw) in changes {
        total += mw;
        match out.last_mut() {
            Some(last) if last.0 == d => last.1 = total,
            _ => out.push((d, total)),
        }
    }
    out
}

/// Month-average values as a step line: each month is flat over `[m, m + 1)`.
fn steps(values: impl Iterator<Item = f64>) -> Vec<(f64, f64)> {
    values
        .enumerate()
        .flat_map(|(m, v)| [(m as f64, v), (m as f64 + 1.0, v)])
        .collect()
}

fn mw_fmt(v: &f64) -> String {
    if v.abs() < 10.0 && v.fract().abs() > 1e-9 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// `power.png`: stacked ASIC IT, GPU IT and cooling/overhead MW with the interconnect and
/// substation capacity in service; halvings and the first GPU energisation marked.
pub fn power_png(s: &Scenario, r: &RunResult, size: ChartSize) -> Result<Vec<u8>> {
    render(size, |root, k| {
        let curtailed = r.ledger.iter().any(|m| m.asic_curtailed_mw > 1e-9);
        let mut legend = vec![
            (
                "ASIC IT load".to_string(),
                Swatch::Fill(Series::Asic.colour()),
            ),
            (
                "GPU IT load".to_string(),
                Swatch::Fill(Series::Gpu.colour()),
            ),
            (
                "Cooling & overhead: IT × (PUE − 1)".to_string(),
                Swatch::Fill(Series::Overhead.colour()),
            ),
            (
                "Grid interconnect limit".to_string(),
                Swatch::Line(Series::Interconnect.colour()),
            ),
            (
                "Substation capacity in service (limits IT load)".to_string(),
                Swatch::Dashed(Series::Substations.colour()),
            ),
        ];
        if curtailed {
            legend.insert(
                3,
                (
                    "ASICs switched off as unprofitable (idle, draw nothing)".to_string(),
                    Swatch::Fill(tint(Series::Asic.colour(), CURTAILED_ALPHA)),
                ),
            );
        }
        let area = header(
            root,
            k,
            &format!("{} — site power", s.name),
            "Monthly average load drawn from the grid, stacked by what draws it; \
             switched-off miners draw nothing",
            &legend,
        )?;
        let l = &r.ledger;
        let interconnect = s.interconnect_w as f64 / 1e6;
        let subs = substation_steps(s, r);
        let top = l
            .iter()
            .map(|m| m.facility_mw + m.asic_curtailed_mw)
            .chain(subs.iter().map(|x| x.1))
            .fold(interconnect, f64::max);
        let y_max = nice_ceiling(top * 1.18);
        let mut chart = month_chart(&area, k, &s.calendar, 0.0..y_max, "Power (MW)", &mw_fmt)?;
        let asic: Vec<f64> = l.iter().map(|m| m.asic_it_mw).collect();
        let it: Vec<f64> = l.iter().map(|m| m.asic_it_mw + m.gpu_it_mw).collect();
        // Top layer first: plotters has no stacked area, so draw running totals.
        let facility: Vec<f64> = l.iter().map(|m| m.facility_mw.max(0.0)).collect();
        if curtailed {
            // Idle miners sit on top of the stack as a pale band: capacity, not draw.
            let idle: Vec<f64> = l
                .iter()
                .map(|m| m.facility_mw.max(0.0) + m.asic_curtailed_mw)
                .collect();
            chart.draw_series(AreaSeries::new(
                steps(idle.into_iter()),
                0.0,
                Series::Asic.colour().mix(CURTAILED_ALPHA).filled(),
            ))?;
        }
        for (vals, series) in [
            (&facility, Series::Overhead),
            (&it, Series::Gpu),
            (&asic, Series::Asic),
        ] {
            chart.draw_series(AreaSeries::new(
                steps(vals.iter().copied()),
                0.0,
                series.colour().filled(),
            ))?;
        }
        let months = f64::from(s.calendar.months());
        let mut sub_line: Vec<(f64, f64)> = Vec::new();
        for (i, &(d, mw)) in subs.iter().enumerate() {
            let x = day_x(&s.calendar, d);
            if let Some(&(_, prev)) = sub_line.last() {
                sub_line.push((x, prev));
            }
            sub_line.push((x, mw));
            if i + 1 == subs.len() {
                sub_line.push((months, mw));
            }
        }
        chart.draw_series(LineSeries::new(
            vec![(0.0, interconnect), (months, interconnect)],
            Series::Interconnect.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        chart.draw_series(DashedLineSeries::new(
            sub_line,
            k.px(12.0),
            k.px(7.0),
            Series::Substations.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        // Name the limit lines where they end, so they read without the legend.
        let sub_end = subs.last().map_or(0.0, |x| x.1);
        let line_label = if (sub_end - interconnect).abs() < 1e-9 {
            format!("Interconnect = substations in service: {interconnect:.0} MW")
        } else {
            format!("Interconnect {interconnect:.0} MW")
        };
        let font = k.note();
        chart.draw_series(std::iter::once(
            EmptyElement::at((months, interconnect))
                + Text::new(
                    line_label,
                    (-k.px(8.0), -k.px(6.0)),
                    font.color(&Series::Interconnect.colour())
                        .pos(Pos::new(HPos::Right, VPos::Bottom)),
                ),
        ))?;
        if (sub_end - interconnect).abs() >= 1e-9 && sub_end > 0.0 {
            chart.draw_series(std::iter::once(
                EmptyElement::at((months, sub_end))
                    + Text::new(
                        format!("Substations {sub_end:.0} MW"),
                        (-k.px(8.0), k.px(6.0)),
                        font.color(&Series::Substations.colour())
                            .pos(Pos::new(HPos::Right, VPos::Top)),
                    ),
            ))?;
        }
        let mut markers = halving_markers(s);
        if let Some(d) = first_gpu_day(s, r) {
            markers.push(Marker {
                x: day_x(&s.calendar, d),
                label: format!("First GPUs energised {}", s.calendar.date(d)),
                colour: Series::Gpu.colour(),
            });
        }
        draw_markers(&mut chart, k, &markers)?;
        Ok(())
    })
}

/// Opacity of the band of switched-off ASICs.
const CURTAILED_ALPHA: f64 = 0.3;

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

pub(crate) fn usd_fmt(v: &f64) -> String {
    if v.abs() < 0.5 { "$0".into() } else { usd(*v) }
}

/// A y range for cash that includes zero, with room above for markers and below for
/// labels (on `cash.png`, `fan.png` and `compare.png`).
pub(crate) fn cash_range(lo: f64, hi: f64) -> std::ops::Range<f64> {
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

/// `revenue.png`: monthly ASIC and GPU revenue stacked above zero, energy cost and opex
/// stacked below, and the net operating cash flow as a line. Capex is left out (it
/// dwarfs monthly flows); `cash.png` shows it.
pub fn revenue_png(s: &Scenario, r: &RunResult, size: ChartSize) -> Result<Vec<u8>> {
    render(size, |root, k| {
        let legend = vec![
            (
                "Mining revenue".to_string(),
                Swatch::Fill(Series::Asic.colour()),
            ),
            (
                "GPU revenue".to_string(),
                Swatch::Fill(Series::Gpu.colour()),
            ),
            (
                "Energy cost".to_string(),
                Swatch::Fill(Series::EnergyCost.colour()),
            ),
            (
                "Fixed opex".to_string(),
                Swatch::Fill(Series::Opex.colour()),
            ),
            (
                "Net operating cash flow".to_string(),
                Swatch::Line(Series::NetOperating.colour()),
            ),
        ];
        let area = header(
            root,
            k,
            &format!("{} — monthly revenue and operating cost", s.name),
            "Revenue above zero, costs below (USD per month); capex is not shown here — see cash.png",
            &legend,
        )?;
        let l = &r.ledger;
        let hi = l
            .iter()
            .map(|m| m.asic_revenue_usd + m.gpu_revenue_usd)
            .fold(0.0, f64::max);
        let lo =
            l.iter()
                .map(|m| -(m.energy_cost_usd + m.opex_usd))
                .chain(l.iter().map(|m| {
                    m.asic_revenue_usd + m.gpu_revenue_usd - m.energy_cost_usd - m.opex_usd
                }))
                .fold(0.0, f64::min);
        let (y0, y1) = (-nice_ceiling(-lo * 1.1), nice_ceiling(hi * 1.22));
        let mut chart = month_chart(&area, k, &s.calendar, y0..y1, "USD per month", &usd_fmt)?;
        let bar = |m: usize, a: f64, b: f64, c: Series| {
            Rectangle::new(
                [(m as f64 + 0.08, a), (m as f64 + 0.92, b)],
                c.colour().filled(),
            )
        };
        chart.draw_series(l.iter().enumerate().flat_map(|(m, row)| {
            let a = row.asic_revenue_usd;
            let g = row.gpu_revenue_usd;
            let e = row.energy_cost_usd;
            let o = row.opex_usd;
            [
                bar(m, 0.0, a, Series::Asic),
                bar(m, a, a + g, Series::Gpu),
                bar(m, 0.0, -e, Series::EnergyCost),
                bar(m, -e, -e - o, Series::Opex),
            ]
        }))?;
        let months = f64::from(s.calendar.months());
        chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (months, 0.0)],
            palette::AXIS.stroke_width(k.px(2.0) as u32),
        ))?;
        chart.draw_series(LineSeries::new(
            l.iter().enumerate().map(|(m, row)| {
                (
                    m as f64 + 0.5,
                    row.asic_revenue_usd + row.gpu_revenue_usd - row.energy_cost_usd - row.opex_usd,
                )
            }),
            Series::NetOperating.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        draw_markers(&mut chart, k, &halving_markers(s))?;
        Ok(())
    })
}

/// `cash.png`: cumulative cash at each month end, the zero line, the payback month and
/// the lowest point (the most cash the plan needs up front).
pub fn cash_png(s: &Scenario, r: &RunResult, size: ChartSize) -> Result<Vec<u8>> {
    render(size, |root, k| {
        let mut legend = vec![
            (
                "Cumulative cash (net of capex)".to_string(),
                Swatch::Line(palette::TEXT),
            ),
            (
                "Above zero".to_string(),
                Swatch::Fill(tint(Series::CashPositive.colour(), 0.35)),
            ),
            (
                "Below zero".to_string(),
                Swatch::Fill(tint(Series::CashNegative.colour(), 0.35)),
            ),
        ];
        if r.summary.payback_month.is_some() {
            legend.push((
                "Payback".to_string(),
                Swatch::Dashed(Series::Payback.colour()),
            ));
        }
        let payback = match r.summary.payback_month {
            Some(m) => format!("payback {m}"),
            None => "no payback within the horizon".to_string(),
        };
        let area = header(
            root,
            k,
            &format!("{} — cumulative cash", s.name),
            &format!(
                "Running sum of revenue − energy − opex − capex at each month end; {payback}; \
                 NPV {}",
                usd(r.summary.npv_usd)
            ),
            &legend,
        )?;
        let l = &r.ledger;
        // Point m + 1 is the end of month m; the run starts at zero.
        let pts: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(
                l.iter()
                    .enumerate()
                    .map(|(m, row)| (m as f64 + 1.0, row.cumulative_cash_usd)),
            )
            .collect();
        let hi = pts.iter().map(|p| p.1).fold(0.0, f64::max);
        let lo = pts.iter().map(|p| p.1).fold(0.0, f64::min);
        let y = cash_range(lo, hi);
        let mut chart = month_chart(&area, k, &s.calendar, y, "Cumulative cash (USD)", &usd_fmt)?;
        let pos = crossings(&pts, true);
        let neg = crossings(&pts, false);
        chart.draw_series(AreaSeries::new(
            pos,
            0.0,
            Series::CashPositive.colour().mix(0.35).filled(),
        ))?;
        chart.draw_series(AreaSeries::new(
            neg,
            0.0,
            Series::CashNegative.colour().mix(0.35).filled(),
        ))?;
        let months = f64::from(s.calendar.months());
        chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (months, 0.0)],
            palette::AXIS.stroke_width(k.px(2.0) as u32),
        ))?;
        chart.draw_series(LineSeries::new(
            pts.clone(),
            palette::TEXT.stroke_width(k.px(3.0) as u32),
        ))?;
        let mut markers = Vec::new();
        if let Some(month) = r.summary.payback_month
            && let Some(i) = l.iter().position(|row| row.month == month)
        {
            // Where the line crosses zero within the payback month.
            let (x0, c0) = pts[i];
            let (x1, c1) = pts[i + 1];
            let x = if c0 < 0.0 && c1 > c0 {
                x0 + (x1 - x0) * (-c0 / (c1 - c0))
            } else {
                x0
            };
            markers.push(Marker {
                x,
                label: format!("Payback {month}"),
                colour: Series::Payback.colour(),
            });
            chart.draw_series(std::iter::once(Circle::new(
                (x, 0.0),
                k.px(7.0),
                Series::Payback.colour().filled(),
            )))?;
        }
        draw_markers(&mut chart, k, &markers)?;
        // Annotate the lowest point and the final balance.
        let font = k.note().color(&palette::TEXT);
        if let Some(&(x, v)) = pts
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|p| p.1 < 0.0 && p.0 < months)
        {
            let label = format!("Lowest {} ({})", usd(v), month_label(&s.calendar, x - 1.0));
            let left = x <= months * 0.8;
            let anchor = if left { HPos::Left } else { HPos::Right };
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, v))
                    + Circle::new((0, 0), k.px(6.0), Series::CashNegative.colour().filled())
                    + Text::new(
                        label,
                        (if left { k.px(10.0) } else { -k.px(10.0) }, k.px(8.0)),
                        font.pos(Pos::new(anchor, VPos::Top)),
                    ),
            ))?;
        }
        if let Some(&(x, v)) = pts.last() {
            let lowest = pts.iter().all(|p| p.1 >= v) && v < 0.0;
            let text = if lowest {
                format!("End (lowest) {}", usd(v))
            } else {
                format!("End {}", usd(v))
            };
            // Below the line when it ends falling, above when it ends rising.
            let rising = pts.len() < 2 || v >= pts[pts.len() - 2].1;
            let (dy, vpos) = if rising {
                (-k.px(12.0), VPos::Bottom)
            } else {
                (k.px(12.0), VPos::Top)
            };
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, v))
                    + Circle::new((0, 0), k.px(6.0), palette::TEXT.filled())
                    + Text::new(
                        text,
                        (-k.px(10.0), dy),
                        font.pos(Pos::new(HPos::Right, vpos)),
                    ),
            ))?;
        }
        Ok(())
    })
}

/// The polyline clipped to one side of zero (`positive` keeps values ≥ 0), with points
/// added where it crosses zero, for filling between the line and the zero axis.
pub(crate) fn crossings(pts: &[(f64, f64)], positive: bool) -> Vec<(f64, f64)> {
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

/// Lays out the Gantt chart: one row per plan step, in plan order, with one bar per
/// timeline span. Pure, so the layout is tested without pixels.
pub fn gantt_layout(s: &Scenario, r: &RunResult) -> Vec<GanttRow> {
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
                        from: sp.from.min(s.calendar.end()),
                        to: sp.to.min(s.calendar.end()),
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

/// `timeline.png`: the retrofit plan as a Gantt chart, one row per plan step.
pub fn timeline_png(s: &Scenario, r: &RunResult, size: ChartSize) -> Result<Vec<u8>> {
    let rows = gantt_layout(s, r);
    render(size, |root, k| {
        let legend = vec![
            (
                "Lead time (ordered, awaiting delivery)".to_string(),
                Swatch::Fill(Series::Lead.colour()),
            ),
            (
                "Install / convert / decommission work".to_string(),
                Swatch::Fill(Series::Work.colour()),
            ),
            (
                "Waiting on a limit (labelled)".to_string(),
                Swatch::Fill(Series::Wait.colour()),
            ),
            (
                "Energised".to_string(),
                Swatch::Fill(Series::Energised.colour()),
            ),
        ];
        let area = header(
            root,
            k,
            &format!("{} — retrofit plan", s.name),
            "One row per plan step, in plan order; bars show what each step was doing when",
            &legend,
        )?;
        let n = rows.len().max(1) as f64;
        let cal = &s.calendar;
        let name_w = rows
            .iter()
            .map(|row| {
                area.estimate_text_size(&row.name, &k.tick())
                    .map(|(w, _)| w as i32)
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
            + k.px(24.0);
        let axis = MonthAxis::new(&area, k, cal, name_w)?;
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
                axis.coord(),
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
        let x_per_px = axis.months / f64::from(plot_w.max(1));
        let bar_h = 0.5;
        let font = k.note();
        for (i, row) in rows.iter().enumerate() {
            let y_mid = n - i as f64 - 0.5;
            let (ya, yb) = (y_mid - bar_h / 2.0, y_mid + bar_h / 2.0);
            for bar in &row.bars {
                let x0 = day_x(cal, bar.from);
                // A bar is at least 6 px wide so a short wait stays visible.
                let x1 = day_x(cal, bar.to).max(x0 + 6.0 * x_per_px);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, ya), (x1, yb)],
                    bar.kind.series().colour().filled(),
                )))?;
            }
            // Labels above the bar, in the gap between rows.
            let label_y = yb + (0.5 - bar_h / 2.0) * 0.5;
            for bar in &row.bars {
                if let Some(label) = &bar.label {
                    let x0 = day_x(cal, bar.from);
                    draw_clamped_text(
                        &mut chart,
                        k,
                        label,
                        x0,
                        label_y,
                        font.color(&Series::Wait.colour()),
                    )?;
                }
            }
            if let Some(note) = &row.note {
                let end = row.bars.iter().map(|b| b.to).max().unwrap_or(0);
                let x = day_x(cal, end);
                let y = if row.bars.iter().any(|b| b.label.is_some()) {
                    ya - (0.5 - bar_h / 2.0) * 0.5
                } else {
                    label_y
                };
                draw_clamped_text(
                    &mut chart,
                    k,
                    &format!("not finished: {note}"),
                    x,
                    y,
                    font.color(&palette::MUTED),
                )?;
            }
        }
        Ok(())
    })
}

/// Draws `text` vertically centred at (`x`, `y`), shifted left if it would run past the
/// right edge of the plot.
fn draw_clamped_text(
    chart: &mut ChartContext<BitMapBackend, Cartesian2d<Ticked, Ticked>>,
    _k: Scale,
    text: &str,
    x: f64,
    y: f64,
    font: TextStyle,
) -> Result<()> {
    let area = chart.plotting_area();
    let (tw, _) = area
        .estimate_text_size(text, &font)
        .map_err(|e| anyhow!("{e:?}"))?;
    let (px, _) = chart.backend_coord(&(x, y));
    let (ox, _) = area.get_base_pixel();
    let (w, _) = area.dim_in_pixel();
    let overflow = (px - ox + tw as i32) - w as i32 + 4;
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
mod chartable_tests {
    use super::chartable;

    // Regression: absurd but valid-looking figures made chart drawing spin forever.
    #[test]
    fn ranges_are_finite_and_wide_enough_to_tick() {
        assert!(chartable(-1e308..f64::INFINITY).is_err());
        assert!(chartable(0.0..1e31).is_err());
        let r = chartable(5.0..5.0).unwrap();
        assert!(r.start < 5.0 && r.end > 5.0);
        assert_eq!(chartable(-3.0..7.0).unwrap(), -3.0..7.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::YearMonth;

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
    fn gantt_has_one_row_per_plan_step_with_the_wait_labelled() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let rows = gantt_layout(&s, &r);
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

    #[test]
    fn long_subtitles_wrap_at_words() {
        let fits = |t: &str| t.len() <= 10;
        assert_eq!(
            wrap_words("aaa bbb ccc dddddddddddd e", &fits),
            vec!["aaa bbb", "ccc", "dddddddddddd", "e"]
        );
        assert_eq!(wrap_words("short", &fits), vec!["short"]);
    }

    #[test]
    fn nice_ceiling_rounds_up_to_a_round_number() {
        assert_eq!(nice_ceiling(118.0), 120.0);
        assert_eq!(nice_ceiling(4.3), 5.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }
}
