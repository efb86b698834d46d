//! Report-grade PNG charts of Monte Carlo sweeps and comparisons: the cumulative-cash
//! fan (`fan.png`), the payback-month histogram (`payback.png`) and the compared worlds'
//! cumulative cash (`compare.png`).
//!
//! They share fonts, sizes, layout and palette with the single-run charts in
//! [`super::plots`], and only read aggregates: they never compute economics. As there,
//! month `m` spans `[m, m + 1)` on the x axis and cumulative cash at the end of month `m`
//! sits at `m + 1`.

use super::palette::{self, Series};
use super::plots::{
    Area, ChartSize, Marker, Scale, Swatch, Ticked, cash_range, draw_markers, header,
    month_chart_with_margin, nice_ceiling, render, tint, usd_fmt,
};
use super::text::{count, usd};
use crate::calendar::{Calendar, YearMonth};
use crate::compare::CashPath;
use crate::sweep::{Aggregate, Charts, SweepSummary};
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// File names of the charts [`sweep_charts`] produces, in order.
pub const SWEEP_CHART_FILES: [&str; 2] = crate::output::names::SWEEP_CHARTS;

/// File name of the chart [`compare_png`] produces.
pub const COMPARE_CHART_FILE: &str = crate::output::names::COMPARE_PNG;

/// Opacity of a P10–P90 band.
const BAND_ALPHA: f64 = 0.25;
/// Opacity of each world's band on the comparison chart (they overlap).
const COMPARE_BAND_ALPHA: f64 = 0.14;

/// Renders every chart of a sweep as `(file name, PNG bytes)`, for
/// [`crate::sweep::sweep_to_dir`] and [`crate::sweep::merge_dirs`].
pub fn sweep_charts(agg: &Aggregate, sum: &SweepSummary, size: ChartSize) -> Result<Charts> {
    Ok(vec![
        (SWEEP_CHART_FILES[0].into(), fan_png(agg, sum, size)?),
        (SWEEP_CHART_FILES[1].into(), payback_png(agg, sum, size)?),
    ])
}

fn parse_month(label: &str) -> Result<YearMonth> {
    YearMonth::parse(label).map_err(|e| anyhow!("cannot chart month {e}"))
}

/// Months from `a` to `b` (negative when `b` is earlier).
fn months_between(a: YearMonth, b: YearMonth) -> i64 {
    i64::from(b.year - a.year) * 12 + i64::from(b.month) - i64::from(a.month)
}

/// Where several month-labelled series sit on one shared month axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthAlignment {
    /// First month of the axis: the earliest label of any series.
    pub start: YearMonth,
    /// Months on the axis: through the latest label of any series, gaps included.
    pub months: u32,
    /// For each series, the axis index of each of its labels.
    pub index: Vec<Vec<u32>>,
}

impl MonthAlignment {
    /// The calendar of the shared axis.
    pub fn calendar(&self) -> Calendar {
        Calendar::new(self.start, self.months.max(1))
    }
}

/// Aligns series by month label: the axis is the union of their labels, sorted, so
/// worlds with different start months or horizons share one x axis.
pub fn align_months(series: &[&[String]]) -> Result<MonthAlignment> {
    let parsed: Vec<Vec<YearMonth>> = series
        .iter()
        .map(|labels| labels.iter().map(|l| parse_month(l)).collect())
        .collect::<Result<_>>()?;
    let all = || parsed.iter().flatten().copied();
    let (Some(start), Some(end)) = (all().min(), all().max()) else {
        return Ok(MonthAlignment {
            start: YearMonth {
                year: 2000,
                month: 1,
            },
            months: 1,
            index: vec![Vec::new(); series.len()],
        });
    };
    let index = parsed
        .iter()
        .map(|ms| {
            ms.iter()
                .map(|&m| months_between(start, m) as u32)
                .collect()
        })
        .collect();
    Ok(MonthAlignment {
        start,
        months: months_between(start, end) as u32 + 1,
        index,
    })
}

/// Cumulative cash as chart points: `(0, 0)` at the start, then month index `m`'s
/// month-end value at `m + 1`. Non-finite values (no runs) are left out.
fn cash_points(index: &[u32], values: &[f64]) -> Vec<(f64, f64)> {
    let first = index.first().map_or(0.0, |&m| f64::from(m));
    std::iter::once((first, 0.0))
        .chain(
            index
                .iter()
                .zip(values)
                .filter(|(_, v)| v.is_finite())
                .map(|(&m, &v)| (f64::from(m) + 1.0, v)),
        )
        .collect()
}

/// Moves label centres (pixels, any order) apart so that consecutive ones are at least
/// `gap` apart, staying within `[lo, hi]` where possible; returns them in input order.
pub fn spread_labels(ys: &[i32], gap: i32, lo: i32, hi: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by_key(|&i| ys[i]);
    let mut placed: Vec<i32> = order.iter().map(|&i| ys[i].clamp(lo, hi)).collect();
    for j in 1..placed.len() {
        placed[j] = placed[j].max(placed[j - 1] + gap);
    }
    // Pushed past the bottom: slide the tail back up, keeping the gaps.
    if let Some(&last) = placed.last()
        && last > hi
    {
        let mut limit = hi;
        for y in placed.iter_mut().rev() {
            if *y <= limit {
                break;
            }
            *y = limit;
            limit -= gap;
        }
    }
    let mut out = vec![0; ys.len()];
    for (k, &i) in order.iter().enumerate() {
        out[i] = placed[k];
    }
    out
}

/// Draws `labels` (text, value y, colour) just right of the plot at its right end,
/// spread vertically so they never overlap.
fn draw_end_labels(
    root: &Area,
    chart: &super::plots::MonthChart,
    k: Scale,
    x_end: f64,
    labels: &[(String, f64, RGBColor)],
) -> Result<()> {
    let font = k.note();
    let th = (k.text_size(18.0) * 1.25).round() as i32;
    let (top, bottom) = {
        let r = chart.y_range();
        (
            chart.backend_coord(&(x_end, r.end)).1,
            chart.backend_coord(&(x_end, r.start)).1,
        )
    };
    let px: Vec<(i32, i32)> = labels
        .iter()
        .map(|(_, v, _)| chart.backend_coord(&(x_end, *v)))
        .collect();
    let ys: Vec<i32> = px.iter().map(|p| p.1).collect();
    let spread = spread_labels(&ys, th, top + th / 2, bottom - th / 2);
    for (((text, _, colour), (x, _)), y) in labels.iter().zip(&px).zip(spread) {
        root.draw(&Text::new(
            text.clone(),
            (x + k.px(10.0), y),
            font.color(colour).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Width in pixels of the widest of `texts` in `font`.
fn widest(area: &Area, texts: &[String], font: &TextStyle) -> i32 {
    texts
        .iter()
        .map(|t| {
            area.estimate_text_size(t, font)
                .map(|(w, _)| w as i32)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// The first subtitle line of a partial sweep (interrupted, or one shard), else empty.
pub fn partial_note(sum: &SweepSummary) -> String {
    if sum.partial {
        format!(
            "Partial: {} of {} planned runs (interrupted, or one shard: \
             `retrofit merge` the shards)\n",
            count(sum.runs_completed),
            count(sum.runs_planned)
        )
    } else {
        String::new()
    }
}

fn runs_phrase(sum: &SweepSummary) -> String {
    if sum.runs_completed == sum.runs_planned {
        format!("{} runs", count(sum.runs_completed))
    } else {
        format!(
            "{} of {} runs",
            count(sum.runs_completed),
            count(sum.runs_planned)
        )
    }
}

/// A share of runs as a percentage that never rounds to a misleading 0 % or 100 %.
pub fn share_text(part: u64, total: u64) -> String {
    if total == 0 {
        return "–".into();
    }
    let p = part as f64 * 100.0 / total as f64;
    if part > 0 && p < 1.0 {
        "<1%".into()
    } else if part < total && p > 99.0 {
        ">99%".into()
    } else {
        format!("{p:.0}%")
    }
}

/// `fan.png`: P10–P90 band and median of cumulative cash across a sweep's runs, with
/// the zero line and the median payback month.
pub fn fan_png(agg: &Aggregate, sum: &SweepSummary, size: ChartSize) -> Result<Vec<u8>> {
    let al = align_months(&[&agg.months])?;
    let cal = al.calendar();
    let idx = &al.index[0];
    let q = |p: f64| -> Vec<f64> {
        agg.cumulative_cash_usd
            .iter()
            .map(|s| s.quantile(p).unwrap_or(f64::NAN))
            .collect()
    };
    let (p10, p50, p90) = (q(0.1), q(0.5), q(0.9));
    render(size, |root, k| {
        let mut legend = vec![
            (
                "P10–P90: 80% of runs lie in the band".to_string(),
                Swatch::Fill(tint(Series::Band.colour(), BAND_ALPHA)),
            ),
            (
                "Median of each month (P50)".to_string(),
                Swatch::Line(palette::TEXT),
            ),
        ];
        let payback = sum.payback_month.p50.as_deref();
        if payback.is_some() {
            legend.push((
                "Median payback month".to_string(),
                Swatch::Dashed(Series::Payback.colour()),
            ));
        }
        let npv = sum.npv_usd.p50.map_or("–".to_string(), usd);
        let subtitle = format!(
            "{}Cumulative cash (revenue − energy − opex − capex) at each month end across runs; \
             NPV P50 {npv}; {} of runs pay back within the horizon",
            partial_note(sum),
            share_text(
                agg.payback_by_month.iter().sum::<u64>().min(agg.runs),
                agg.runs
            )
        );
        let area = header(
            root,
            k,
            &format!("{} — cumulative cash, {}", sum.world, runs_phrase(sum)),
            &subtitle,
            &legend,
        )?;
        let finite = || p10.iter().chain(&p90).copied().filter(|v| v.is_finite());
        let lo = finite().fold(0.0, f64::min);
        let hi = finite().fold(0.0, f64::max);
        let last = |v: &[f64]| v.last().copied().filter(|x| x.is_finite());
        let end_labels: Vec<(String, f64, RGBColor)> = [
            ("P90", last(&p90), Series::Band.colour()),
            ("P50", last(&p50), palette::TEXT),
            ("P10", last(&p10), Series::Band.colour()),
        ]
        .into_iter()
        .filter_map(|(name, v, c)| v.map(|v| (format!("{name} {}", usd(v)), v, c)))
        .collect();
        let texts: Vec<String> = end_labels.iter().map(|l| l.0.clone()).collect();
        let right = widest(&area, &texts, &k.note()) + k.px(24.0);
        let mut chart = month_chart_with_margin(
            &area,
            k,
            &cal,
            cash_range(lo, hi),
            "Cumulative cash (USD)",
            &usd_fmt,
            right.max(k.px(40.0)),
        )?;
        let months = f64::from(cal.months());
        let upper = cash_points(idx, &p90);
        let mut band = cash_points(idx, &p10);
        band.reverse();
        let poly: Vec<(f64, f64)> = upper.iter().copied().chain(band).collect();
        if agg.runs > 0 {
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                Series::Band.colour().mix(BAND_ALPHA).filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (months, 0.0)],
            palette::AXIS.stroke_width(k.px(2.0) as u32),
        ))?;
        for (edge, alpha) in [(&p10, 0.7), (&p90, 0.7)] {
            chart.draw_series(LineSeries::new(
                cash_points(idx, edge),
                Series::Band.colour().mix(alpha).stroke_width(1),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            cash_points(idx, &p50),
            palette::TEXT.stroke_width(k.px(3.0) as u32),
        ))?;
        if let Some(m) = payback.and_then(|p| agg.months.iter().position(|l| l == p)) {
            draw_markers(
                &mut chart,
                k,
                &[Marker {
                    x: f64::from(idx[m]) + 0.5,
                    label: format!("Median payback {}", agg.months[m]),
                    colour: Series::Payback.colour(),
                }],
            )?;
        }
        if agg.runs == 0 {
            let (x, y) = chart.backend_coord(&(months / 2.0, 0.0));
            root.draw(&Text::new(
                "No runs completed",
                (x, y - k.px(30.0)),
                k.bold(24.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        draw_end_labels(root, &chart, k, months, &end_labels)?;
        Ok(())
    })
}

/// One bar of the payback histogram: runs paying back in a run of consecutive months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaybackBin {
    /// `2036-02`, `2036 Q1`, `2036` or `2036–2037`.
    pub label: String,
    /// Index of its first month in the sweep's months.
    pub first_month: usize,
    /// Months it spans (the first and last bins may be partial periods).
    pub months: usize,
    /// Runs paying back in it.
    pub runs: u64,
}

/// The payback histogram of a sweep, binned so that it has about [`MAX_BINS`] bars at
/// most (one more when the horizon starts mid-period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaybackHistogram {
    /// Bars in month order.
    pub bins: Vec<PaybackBin>,
    /// Months per full bin: 1, 3 (quarters), 12 (years) or a multiple of 12.
    pub bin_months: u32,
    /// Runs that never pay back within the horizon.
    pub never: u64,
    /// Runs in the sweep.
    pub runs: u64,
}

/// Most bars on the payback histogram before months are grouped.
pub const MAX_BINS: usize = 48;

impl PaybackHistogram {
    /// Bins exact per-month payback counts into calendar months, quarters or years,
    /// the finest with at most [`MAX_BINS`] periods' worth of months.
    pub fn new(months: &[String], counts: &[u64], runs: u64) -> Result<Self> {
        let parsed: Vec<YearMonth> = months
            .iter()
            .map(|l| parse_month(l))
            .collect::<Result<_>>()?;
        let n = parsed.len();
        let width = [1u32, 3, 12, 24, 60, 120]
            .into_iter()
            .find(|&w| n.div_ceil(w as usize) <= MAX_BINS)
            .unwrap_or(120);
        // Calendar-aligned key of the period a month falls in.
        let key = |m: YearMonth| -> (i32, u32) {
            match width {
                1 => (m.year, m.month),
                3 => (m.year, (m.month - 1) / 3),
                w => (m.year.div_euclid((w / 12) as i32), 0),
            }
        };
        let label = |a: YearMonth, b: YearMonth| -> String {
            match width {
                1 => a.to_string(),
                3 => format!("{} Q{}", a.year, (a.month - 1) / 3 + 1),
                12 => a.year.to_string(),
                w => {
                    let y0 = a.year.div_euclid((w / 12) as i32) * (w / 12) as i32;
                    let y1 = (y0 + (w / 12) as i32 - 1).min(b.year.max(a.year));
                    format!("{y0}–{y1}")
                }
            }
        };
        let mut bins: Vec<PaybackBin> = Vec::new();
        let mut first: Option<usize> = None;
        for i in 0..n {
            let f = *first.get_or_insert(i);
            if i + 1 == n || key(parsed[i + 1]) != key(parsed[i]) {
                bins.push(PaybackBin {
                    label: label(parsed[f], parsed[i]),
                    first_month: f,
                    months: i + 1 - f,
                    runs: counts.get(f..=i).map_or(0, |c| c.iter().sum()),
                });
                first = None;
            }
        }
        let paid: u64 = counts.iter().sum();
        Ok(Self {
            bins,
            bin_months: width,
            never: runs.saturating_sub(paid),
            runs,
        })
    }

    /// The bar holding month index `m`.
    pub fn bin_of(&self, m: usize) -> Option<usize> {
        self.bins
            .iter()
            .position(|b| (b.first_month..b.first_month + b.months).contains(&m))
    }

    /// What a bar stands for, for the x axis title.
    pub fn bin_name(&self) -> &'static str {
        match self.bin_months {
            1 => "month",
            3 => "quarter",
            12 => "year",
            _ => "period of years",
        }
    }

    /// The headline: how many runs never pay back within the horizon.
    pub fn never_text(&self, horizon_end: &str) -> String {
        if self.runs == 0 {
            "No runs completed".into()
        } else if self.never == 0 {
            format!("Every run pays back by {horizon_end}")
        } else if self.never == self.runs {
            format!("No run pays back by {horizon_end}")
        } else {
            format!(
                "{} of runs never pay back by {horizon_end} ({} of {})",
                share_text(self.never, self.runs),
                count(self.never),
                count(self.runs)
            )
        }
    }
}

/// `payback.png`: how many runs pay back in each month (or quarter, or year), with the
/// runs that never pay back as a separate bar and a headline, and the median marked.
pub fn payback_png(agg: &Aggregate, sum: &SweepSummary, size: ChartSize) -> Result<Vec<u8>> {
    let h = PaybackHistogram::new(&agg.months, &agg.payback_by_month, agg.runs)?;
    let horizon_end = agg.months.last().cloned().unwrap_or_default();
    render(size, |root, k| {
        let pct = |runs: u64| {
            if h.runs == 0 {
                0.0
            } else {
                runs as f64 * 100.0 / h.runs as f64
            }
        };
        let mut legend = vec![
            (
                format!("Runs paying back in that {}", h.bin_name()),
                Swatch::Fill(Series::Payback.colour()),
            ),
            (
                "Runs never paying back within the horizon".to_string(),
                Swatch::Fill(Series::NeverPaysBack.colour()),
            ),
        ];
        if sum.payback_month.p50.is_some() {
            legend.push((
                "Median payback month".to_string(),
                Swatch::Dashed(palette::TEXT),
            ));
        }
        let m = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
        let subtitle = format!(
            "{}Payback: the first month cumulative cash is back to zero or above. \
             Payback month P10 {}, P50 {}, P90 {}",
            partial_note(sum),
            m(&sum.payback_month.p10),
            m(&sum.payback_month.p50),
            m(&sum.payback_month.p90),
        );
        let area = header(
            root,
            k,
            &format!("{} — payback month, {}", sum.world, runs_phrase(sum)),
            &subtitle,
            &legend,
        )?;
        let n = h.bins.len() as f64;
        let never_x = n + 1.0; // one empty slot between the months and "never"
        let top = h.bins.iter().map(|b| pct(b.runs)).fold(0.0, f64::max);
        // Headroom above the month bars for the median label and the headline box (the
        // "never" bar sits right of the box, so it needs room only for its label); the
        // axis stops just above 100 %.
        let y_max = nice_ceiling((top * 1.5).max(pct(h.never) * 1.1).max(5.0)).min(110.0);
        let tick_font = k.tick();
        let label_w = widest(
            &area,
            &h.bins.iter().map(|b| b.label.clone()).collect::<Vec<_>>(),
            &tick_font,
        );
        let y_fmt = |v: &f64| {
            if *v > 100.0 + 1e-9 {
                String::new()
            } else {
                format!("{v:.0}%")
            }
        };
        let y_label_w = widest(&area, &["100%".to_string()], &tick_font) + k.px(60.0);
        let (w, _) = area.dim_in_pixel();
        let plot_w = f64::from(w) - f64::from(y_label_w + k.px(56.0));
        let slot_px = plot_w / (never_x + 1.0);
        let every = ((f64::from(label_w) * 1.3) / slot_px).ceil().max(1.0) as usize;
        // Label every `every`-th bar, starting where a year begins when that keeps
        // quarters on Q1.
        let start = if h.bin_months == 3 && every % 4 == 0 {
            h.bins
                .iter()
                .position(|b| b.label.ends_with("Q1"))
                .unwrap_or(0)
                % every
        } else {
            0
        };
        let mut keys: Vec<f64> = (start..h.bins.len())
            .step_by(every)
            .map(|i| i as f64 + 0.5)
            .collect();
        keys.push(never_x + 0.5);
        let x_fmt = |x: &f64| {
            let i = x.floor();
            if (i - never_x).abs() < 1e-9 {
                "Never".to_string()
            } else if i >= 0.0 {
                h.bins
                    .get(i as usize)
                    .map(|b| b.label.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(k.px(16.0))
            .margin_right(k.px(40.0))
            .margin_top(k.px(6.0))
            .margin_bottom(k.px(16.0))
            .x_label_area_size(k.x_label_area())
            .y_label_area_size(y_label_w)
            .build_cartesian_2d(
                Ticked {
                    range: 0.0..never_x + 1.0,
                    bold: keys,
                    light: Vec::new(),
                },
                0.0..y_max,
            )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(palette::GRID.stroke_width(1))
            .light_line_style(palette::GRID_LIGHT.stroke_width(1))
            .axis_style(palette::AXIS.stroke_width(k.px(2.0) as u32))
            .x_label_style(k.tick())
            .y_label_style(k.tick())
            .axis_desc_style(k.axis())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .y_labels(9)
            .y_max_light_lines(1)
            .x_desc(format!(
                "Payback {} (one bar per {})",
                h.bin_name(),
                h.bin_name()
            ))
            .y_desc("% of runs")
            .set_all_tick_mark_size(k.px(6.0))
            .draw()?;
        let gap = if h.bins.len() > 24 { 0.12 } else { 0.08 };
        chart.draw_series(h.bins.iter().enumerate().filter(|(_, b)| b.runs > 0).map(
            |(i, b)| {
                Rectangle::new(
                    [(i as f64 + gap, 0.0), (i as f64 + 1.0 - gap, pct(b.runs))],
                    Series::Payback.colour().filled(),
                )
            },
        ))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(never_x + 0.1, 0.0), (never_x + 0.9, pct(h.never))],
            Series::NeverPaysBack.colour().filled(),
        )))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((never_x + 0.5, pct(h.never)))
                + Text::new(
                    share_text(h.never, h.runs),
                    (0, -k.px(6.0)),
                    k.bold(18.0)
                        .color(&Series::NeverPaysBack.colour())
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                ),
        ))?;
        let median_x = sum
            .payback_month
            .p50
            .as_deref()
            .and_then(|p| agg.months.iter().position(|l| l == p))
            .and_then(|m| {
                let b = h.bin_of(m)?;
                let bin = &h.bins[b];
                Some(
                    b as f64
                        + (m - bin.first_month) as f64 / bin.months as f64
                        + 0.5 / bin.months as f64,
                )
            });
        if let (Some(x), Some(p50)) = (median_x, sum.payback_month.p50.as_deref()) {
            draw_markers(
                &mut chart,
                k,
                &[Marker {
                    x,
                    label: format!("Median payback {p50}"),
                    colour: palette::TEXT,
                }],
            )?;
        }
        // The headline box, below the median label's row, on the side away from it.
        let text = h.never_text(&horizon_end);
        // Good news in the payback colour, any share of runs that never pays back in red.
        let tone = if h.never == 0 && h.runs > 0 {
            Series::Payback.colour()
        } else {
            Series::NeverPaysBack.colour()
        };
        let font = k.bold(24.0).color(&tone);
        let (tw, th) = root
            .estimate_text_size(&text, &font)
            .map_err(|e| anyhow!("{e:?}"))?;
        let (tw, th) = (tw as i32, th as i32);
        let (x0, y_top) = chart.backend_coord(&(0.0, y_max));
        let (x_never, _) = chart.backend_coord(&(n + 0.5, y_max));
        let row = (k.text_size(18.0) * 1.2).round() as i32 + k.px(22.0);
        let pad = k.px(12.0);
        let left_side = median_x.is_none_or(|x| x > n / 2.0);
        let bx0 = if left_side {
            x0 + k.px(16.0)
        } else {
            (x_never - tw - 2 * pad).max(x0 + k.px(16.0))
        };
        let by0 = y_top + row + k.px(8.0);
        root.draw(&Rectangle::new(
            [(bx0, by0), (bx0 + tw + 2 * pad, by0 + th + 2 * pad)],
            palette::BACKGROUND.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(bx0, by0), (bx0 + tw + 2 * pad, by0 + th + 2 * pad)],
            tone.stroke_width(k.px(2.0) as u32),
        ))?;
        root.draw(&Text::new(text, (bx0 + pad, by0 + pad), font))?;
        Ok(())
    })
}

/// `compare.png`: each world's median cumulative cash, with its P10–P90 band when the
/// worlds were swept, on one month axis (the union of the worlds' months).
pub fn compare_png(paths: &[CashPath], size: ChartSize) -> Result<Vec<u8>> {
    let labels: Vec<&[String]> = paths.iter().map(|p| p.months.as_slice()).collect();
    let al = align_months(&labels)?;
    let cal = al.calendar();
    let spread = paths.iter().any(|p| {
        p.p10
            .iter()
            .zip(&p.p90)
            .any(|(a, b)| a.is_finite() && b.is_finite() && (a - b).abs() > 1e-9)
    });
    render(size, |root, k| {
        let mut legend: Vec<(String, Swatch)> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.world.clone(), Swatch::Line(palette::world_colour(i))))
            .collect();
        if spread {
            legend.push((
                "Shaded: P10–P90 of that world's runs".to_string(),
                Swatch::Fill(tint(palette::MUTED, 0.3)),
            ));
        }
        let subtitle = if spread {
            "Median (P50) cumulative cash at each month end of each world's sweep; \
             revenue − energy − opex − capex"
        } else {
            "Cumulative cash at each month end of one run per world, every distribution at \
             its median; revenue − energy − opex − capex"
        };
        let area = header(
            root,
            k,
            &format!("Cumulative cash compared — {} worlds", paths.len()),
            subtitle,
            &legend,
        )?;
        let finite = || {
            paths
                .iter()
                .flat_map(|p| p.p10.iter().chain(&p.p90).chain(&p.p50))
                .copied()
                .filter(|v| v.is_finite())
        };
        let lo = finite().fold(0.0, f64::min);
        let hi = finite().fold(0.0, f64::max);
        let end_labels: Vec<(String, f64, RGBColor)> = paths
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let v = p.p50.last().copied().filter(|v| v.is_finite())?;
                Some((usd(v), v, palette::world_colour(i)))
            })
            .collect();
        let texts: Vec<String> = end_labels.iter().map(|l| l.0.clone()).collect();
        let right = widest(&area, &texts, &k.note()) + k.px(24.0);
        let mut chart = month_chart_with_margin(
            &area,
            k,
            &cal,
            cash_range(lo, hi),
            "Cumulative cash (USD)",
            &usd_fmt,
            right.max(k.px(40.0)),
        )?;
        if spread {
            for (i, (p, idx)) in paths.iter().zip(&al.index).enumerate() {
                let mut lower = cash_points(idx, &p.p10);
                lower.reverse();
                let poly: Vec<(f64, f64)> =
                    cash_points(idx, &p.p90).into_iter().chain(lower).collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    poly,
                    palette::world_colour(i).mix(COMPARE_BAND_ALPHA).filled(),
                )))?;
            }
        }
        let months = f64::from(cal.months());
        chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (months, 0.0)],
            palette::AXIS.stroke_width(k.px(2.0) as u32),
        ))?;
        for (i, (p, idx)) in paths.iter().zip(&al.index).enumerate() {
            chart.draw_series(LineSeries::new(
                cash_points(idx, &p.p50),
                palette::world_colour(i).stroke_width(k.px(3.0) as u32),
            ))?;
        }
        // Each world's final median, right of the plot, in its colour.
        draw_end_labels(root, &chart, k, months, &end_labels)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(start: &str, n: u32) -> Vec<String> {
        let s = YearMonth::parse(start).unwrap();
        (0..n).map(|i| s.plus(i).to_string()).collect()
    }

    #[test]
    fn short_horizons_get_one_bar_per_month() {
        let months = labels("2026-01", 24);
        let mut counts = vec![0; 24];
        counts[5] = 3;
        let h = PaybackHistogram::new(&months, &counts, 10).unwrap();
        assert_eq!(h.bin_months, 1);
        assert_eq!(h.bins.len(), 24);
        assert_eq!(h.bins[5].label, "2026-06");
        assert_eq!(h.bins[5].runs, 3);
        assert_eq!(h.never, 7);
    }

    #[test]
    fn long_horizons_group_by_calendar_quarter_then_year() {
        // 144 months from July: quarters, the first one starting on a quarter boundary.
        let months = labels("2026-07", 144);
        let counts: Vec<u64> = (0..144).map(|m| m % 2).collect();
        let h = PaybackHistogram::new(&months, &counts, 100).unwrap();
        assert_eq!(h.bin_months, 3);
        assert_eq!(h.bins.len(), 48);
        assert_eq!(h.bins[0].label, "2026 Q3");
        assert_eq!(h.bins[2].label, "2027 Q1");
        assert_eq!(h.bins.iter().map(|b| b.runs).sum::<u64>(), 72);
        assert_eq!(h.never, 28);
        // A horizon starting mid-quarter has a partial first bar.
        let h = PaybackHistogram::new(&labels("2026-02", 144), &counts, 100).unwrap();
        assert_eq!((h.bins[0].label.as_str(), h.bins[0].months), ("2026 Q1", 2));
        assert_eq!(h.bin_of(2), Some(1));
        // Twenty years: one bar per year.
        let h = PaybackHistogram::new(&labels("2026-01", 240), &[0; 240], 5).unwrap();
        assert_eq!((h.bin_months, h.bins.len()), (12, 20));
        assert_eq!(h.bins[3].label, "2029");
        assert!(h.bins.len() <= MAX_BINS);
        // 144 months from February: 48 quarters' worth, one partial quarter more.
        let h = PaybackHistogram::new(&labels("2026-02", 144), &counts, 100).unwrap();
        assert_eq!((h.bin_months, h.bins.len()), (3, 49));
    }

    #[test]
    fn the_never_headline_never_rounds_to_a_false_zero() {
        let h = |never, runs| PaybackHistogram {
            bins: Vec::new(),
            bin_months: 1,
            never,
            runs,
        };
        assert_eq!(
            h(23, 100).never_text("2037-12"),
            "23% of runs never pay back by 2037-12 (23 of 100)"
        );
        assert_eq!(
            h(1, 10_000).never_text("2037-12"),
            "<1% of runs never pay back by 2037-12 (1 of 10,000)"
        );
        assert!(h(9_999, 10_000).never_text("x").starts_with(">99%"));
        assert_eq!(
            h(0, 5).never_text("2037-12"),
            "Every run pays back by 2037-12"
        );
        assert_eq!(h(5, 5).never_text("2037-12"), "No run pays back by 2037-12");
        assert_eq!(h(0, 0).never_text("2037-12"), "No runs completed");
    }

    #[test]
    fn worlds_align_on_the_union_of_their_months() {
        let a = labels("2026-01", 12);
        let b = labels("2026-07", 24);
        let al = align_months(&[&a, &b]).unwrap();
        assert_eq!(al.start, YearMonth::parse("2026-01").unwrap());
        assert_eq!(al.months, 30);
        assert_eq!(al.index[0][0], 0);
        assert_eq!(al.index[1][0], 6);
        assert_eq!(al.index[1][23], 29);
        assert!(align_months(&[&["nope".to_string()]]).is_err());
        assert_eq!(align_months(&[]).unwrap().months, 1);
    }

    #[test]
    fn end_labels_are_spread_apart_and_kept_in_bounds() {
        assert_eq!(
            spread_labels(&[100, 105, 300], 20, 0, 1000),
            vec![100, 120, 300]
        );
        // Input order is kept; the lowest label pushed past the bottom slides back up.
        assert_eq!(spread_labels(&[995, 990], 20, 0, 1000), vec![1000, 980]);
        assert_eq!(spread_labels(&[], 20, 0, 1000), Vec::<i32>::new());
    }
}
