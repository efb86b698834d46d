//! `payback.png`: how many runs pay back in each month (or quarter, or year), with the
//! runs that never pay back as a separate bar and a headline, and the median marked.

use super::axes::{Ticked, nice_ceiling};
use super::frame::{Area, Chart, Heading, Scale, widest};
use super::legend::LegendEntry;
use super::marks::{Marker, draw_markers};
use super::palette::{self, Series};
use super::text::{count, partial_note, runs_phrase, share_text};
use crate::calendar::YearMonth;
use crate::sweep::{Aggregate, SweepSummary};
use anyhow::{Result, anyhow};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Most bars on the payback histogram before months are grouped.
pub const MAX_BINS: usize = 48;

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
    /// Runs whose cumulative cash went negative: the bars' 100 %.
    pub runs: u64,
    /// Runs whose cumulative cash never went negative: nothing to pay back, so in no bar.
    pub never_negative: u64,
}

impl PaybackHistogram {
    /// Bins exact per-month payback counts into calendar months, quarters or years,
    /// the finest with at most [`MAX_BINS`] periods' worth of months. `runs` counts the
    /// runs whose cumulative cash went negative; `never_negative` the others.
    pub fn new(months: &[YearMonth], counts: &[u64], runs: u64, never_negative: u64) -> Self {
        let parsed = months;
        let n = parsed.len();
        let width = [1u32, 3, 12, 24, 60, 120]
            .into_iter()
            .find(|&w| n.div_ceil(w as usize) <= MAX_BINS)
            .unwrap_or(120);
        let mut bins: Vec<PaybackBin> = Vec::new();
        let mut first: Option<usize> = None;
        for i in 0..n {
            let f = *first.get_or_insert(i);
            if i + 1 == n || period(width, parsed[i + 1]) != period(width, parsed[i]) {
                bins.push(PaybackBin {
                    label: bin_label(width, parsed[f], parsed[i]),
                    first_month: f,
                    months: i + 1 - f,
                    runs: counts.get(f..=i).map_or(0, |c| c.iter().sum()),
                });
                first = None;
            }
        }
        let paid: u64 = counts.iter().sum();
        Self {
            bins,
            bin_months: width,
            never: runs.saturating_sub(paid),
            runs,
            never_negative,
        }
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

    /// The headline: how many runs never pay back within the horizon. When some runs
    /// never went negative it counts among the others only.
    pub fn never_text(&self, horizon_end: &str) -> String {
        let (run, runs) = if self.never_negative == 0 {
            ("run", "runs")
        } else {
            ("run that went below zero", "runs that went below zero")
        };
        if self.runs == 0 && self.never_negative > 0 {
            "No run's cumulative cash goes negative: nothing to pay back".into()
        } else if self.runs == 0 {
            "No runs completed".into()
        } else if self.never == 0 {
            format!("Every {run} pays back by {horizon_end}")
        } else if self.never == self.runs {
            format!("No {run} pays back by {horizon_end}")
        } else {
            format!(
                "{} of {runs} never pay back by {horizon_end} ({} of {})",
                share_text(self.never, self.runs),
                count(self.never),
                count(self.runs)
            )
        }
    }

    /// Share of runs, in percent (0 when there are none).
    fn pct(&self, runs: u64) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            runs as f64 * 100.0 / self.runs as f64
        }
    }
}

/// Calendar-aligned key of the period of `width` months that `m` falls in.
fn period(width: u32, m: YearMonth) -> (i32, u32) {
    match width {
        1 => (m.year, m.month),
        3 => (m.year, (m.month - 1) / 3),
        w => (m.year.div_euclid((w / 12) as i32), 0),
    }
}

/// The label of a bar of `width` months from `a` to `b`.
fn bin_label(width: u32, a: YearMonth, b: YearMonth) -> String {
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
}

/// Everything `payback.png` shows. On the x axis bar `i` spans `[i, i + 1)`; one empty
/// slot follows the last month's bar, then the "never" bar.
#[derive(Debug, Clone, PartialEq)]
pub struct PaybackChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The binned counts.
    pub histogram: PaybackHistogram,
    /// Height of each bar with runs, as (bar index, % of runs).
    pub bars_pct: Vec<(usize, f64)>,
    /// Height of the "never" bar, % of runs.
    pub never_pct: f64,
    /// Top of the value axis, % of runs.
    pub y_max_pct: f64,
    /// The median payback month.
    pub median: Option<Marker>,
    /// The headline: how many runs never pay back.
    pub headline: String,
    /// Headline colour: good news in the payback colour, else red.
    pub tone: RGBColor,
}

/// Prepares `payback.png` from a sweep's aggregate and summary.
pub fn prepare(agg: &Aggregate, sum: &SweepSummary) -> Result<PaybackChart> {
    // Runs that never go negative have nothing to pay back: they are no bar, and the
    // bars are shares of the other runs, as the payback percentiles are.
    let never_negative = agg.never_negative_runs.min(agg.runs);
    let h = PaybackHistogram::new(
        &agg.months,
        &agg.payback_by_month,
        agg.runs - never_negative,
        never_negative,
    );
    let horizon_end = agg.months.last().map(|m| m.to_string()).unwrap_or_default();
    let top = h.bins.iter().map(|b| h.pct(b.runs)).fold(0.0, f64::max);
    // Headroom above the month bars for the median label and the headline box (the
    // "never" bar sits right of the box, so it needs room only for its label); the axis
    // stops just above 100 %.
    let y_max_pct = nice_ceiling((top * 1.5).max(h.pct(h.never) * 1.1).max(5.0)).min(110.0);
    let median = sum.payback_month.p50.and_then(|p50| {
        let m = agg.index_of(p50)?;
        let b = h.bin_of(m)?;
        let bin = &h.bins[b];
        let months = bin.months as f64;
        Some(Marker {
            x: b as f64 + (m - bin.first_month) as f64 / months + 0.5 / months,
            label: format!("Median payback {p50}"),
            colour: palette::TEXT,
        })
    });
    let tone = if h.never == 0 && h.runs + h.never_negative > 0 {
        Series::Payback.colour()
    } else {
        Series::NeverPaysBack.colour()
    };
    Ok(PaybackChart {
        heading: heading(&h, sum),
        bars_pct: (h.bins.iter().enumerate())
            .filter(|(_, b)| b.runs > 0)
            .map(|(i, b)| (i, h.pct(b.runs)))
            .collect(),
        never_pct: h.pct(h.never),
        y_max_pct,
        median,
        headline: h.never_text(&horizon_end),
        tone,
        histogram: h,
    })
}

fn heading(h: &PaybackHistogram, sum: &SweepSummary) -> Heading {
    let mut legend = vec![
        LegendEntry::fill(
            &format!("Runs paying back in that {}", h.bin_name()),
            Series::Payback.colour(),
        ),
        LegendEntry::fill(
            "Runs never paying back within the horizon",
            Series::NeverPaysBack.colour(),
        ),
    ];
    if sum.payback_month.p50.is_some() {
        legend.push(LegendEntry::dashed("Median payback month", palette::TEXT));
    }
    let m = |v: &Option<YearMonth>| v.map_or_else(|| "never".into(), |m| m.to_string());
    let apart = if h.never_negative == 0 {
        String::new()
    } else {
        format!(
            "{} of runs never go below zero (nothing to pay back): not drawn; bars are \
             shares of the other runs. ",
            share_text(h.never_negative, h.runs + h.never_negative)
        )
    };
    Heading {
        title: format!("{} — payback month, {}", sum.world, runs_phrase(sum)),
        subtitle: format!(
            "{}Payback: the first month from which cumulative cash, having been negative, \
             stays ≥ 0. {apart}Payback month P10 {}, P50 {}, P90 {}",
            partial_note(sum),
            m(&sum.payback_month.p10),
            m(&sum.payback_month.p50),
            m(&sum.payback_month.p90),
        ),
        legend,
    }
}

type BarChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, RangedCoordf64>>;

impl PaybackChart {
    /// Position of the "never" bar: one empty slot after the last month's bar.
    fn never_x(&self) -> f64 {
        self.histogram.bins.len() as f64 + 1.0
    }

    /// Bar centres to label: every `every`-th bar so labels fit `plot_w` pixels,
    /// starting where a year begins when that keeps quarters on Q1, then "never".
    fn x_keys(&self, label_w: i32, plot_w: f64) -> Vec<f64> {
        let h = &self.histogram;
        let slot_px = plot_w / (self.never_x() + 1.0);
        let every = ((f64::from(label_w) * 1.3) / slot_px).ceil().max(1.0) as usize;
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
        keys.push(self.never_x() + 0.5);
        keys
    }

    /// Builds the chart and draws its mesh.
    fn axes<'a, DB: DrawingBackend>(&self, area: &'a Area<DB>, k: Scale) -> Result<BarChart<'a, DB>>
    where
        DB::ErrorType: 'static,
    {
        let h = &self.histogram;
        let never_x = self.never_x();
        let tick_font = k.tick();
        let labels: Vec<String> = h.bins.iter().map(|b| b.label.clone()).collect();
        let label_w = widest(area, &labels, &tick_font);
        let y_fmt = |v: &f64| {
            if *v > 100.0 + 1e-9 {
                String::new()
            } else {
                format!("{v:.0}%")
            }
        };
        let y_label_w = widest(area, &["100%".to_string()], &tick_font) + k.px(60.0);
        let (w, _) = area.dim_in_pixel();
        let plot_w = f64::from(w) - f64::from(y_label_w + k.px(56.0));
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
        let mut chart = ChartBuilder::on(area)
            .margin_left(k.px(16.0))
            .margin_right(k.px(40.0))
            .margin_top(k.px(6.0))
            .margin_bottom(k.px(16.0))
            .x_label_area_size(k.x_label_area())
            .y_label_area_size(y_label_w)
            .build_cartesian_2d(
                Ticked {
                    range: 0.0..never_x + 1.0,
                    bold: self.x_keys(label_w, plot_w),
                    light: Vec::new(),
                },
                0.0..self.y_max_pct,
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
            .y_desc(if h.never_negative == 0 {
                "% of runs"
            } else {
                "% of runs that went below zero"
            })
            .set_all_tick_mark_size(k.px(6.0))
            .draw()?;
        Ok(chart)
    }

    /// Draws the month bars, the "never" bar and its share.
    fn draw_bars<DB: DrawingBackend>(&self, chart: &mut BarChart<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let h = &self.histogram;
        let never_x = self.never_x();
        let gap = if h.bins.len() > 24 { 0.12 } else { 0.08 };
        chart.draw_series(self.bars_pct.iter().map(|&(i, pct)| {
            Rectangle::new(
                [(i as f64 + gap, 0.0), (i as f64 + 1.0 - gap, pct)],
                Series::Payback.colour().filled(),
            )
        }))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(never_x + 0.1, 0.0), (never_x + 0.9, self.never_pct)],
            Series::NeverPaysBack.colour().filled(),
        )))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((never_x + 0.5, self.never_pct))
                + Text::new(
                    share_text(h.never, h.runs),
                    (0, -k.px(6.0)),
                    k.bold(18.0)
                        .color(&Series::NeverPaysBack.colour())
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                ),
        ))?;
        Ok(())
    }

    /// Draws the headline box below the median label's row, on the side away from it.
    fn draw_headline<DB: DrawingBackend>(
        &self,
        root: &Area<DB>,
        chart: &BarChart<DB>,
        k: Scale,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let n = self.histogram.bins.len() as f64;
        let font = k.bold(24.0).color(&self.tone);
        let (tw, th) = root
            .estimate_text_size(&self.headline, &font)
            .map_err(|e| anyhow!("{e:?}"))?;
        let (tw, th) = (tw as i32, th as i32);
        let (x0, y_top) = chart.backend_coord(&(0.0, self.y_max_pct));
        let (x_never, _) = chart.backend_coord(&(n + 0.5, self.y_max_pct));
        let row = (k.text_size(18.0) * 1.2).round() as i32 + k.px(22.0);
        let pad = k.px(12.0);
        let left_side = self.median.as_ref().is_none_or(|m| m.x > n / 2.0);
        let bx0 = if left_side {
            x0 + k.px(16.0)
        } else {
            (x_never - tw - 2 * pad).max(x0 + k.px(16.0))
        };
        let by0 = y_top + row + k.px(8.0);
        let corners = [(bx0, by0), (bx0 + tw + 2 * pad, by0 + th + 2 * pad)];
        root.draw(&Rectangle::new(corners, palette::BACKGROUND.filled()))?;
        root.draw(&Rectangle::new(
            corners,
            self.tone.stroke_width(k.px(2.0) as u32),
        ))?;
        root.draw(&Text::new(
            self.headline.clone(),
            (bx0 + pad, by0 + pad),
            font,
        ))?;
        Ok(())
    }
}

impl Chart for PaybackChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let mut chart = self.axes(&area, k)?;
        self.draw_bars(&mut chart, k)?;
        if let Some(m) = &self.median {
            draw_markers(&mut chart, k, std::slice::from_ref(m))?;
        }
        self.draw_headline(root, &chart, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::months::labels;

    #[test]
    fn short_horizons_get_one_bar_per_month() {
        let months = labels("2026-01", 24);
        let mut counts = vec![0; 24];
        counts[5] = 3;
        let h = PaybackHistogram::new(&months, &counts, 10, 0);
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
        let h = PaybackHistogram::new(&months, &counts, 100, 0);
        assert_eq!(h.bin_months, 3);
        assert_eq!(h.bins.len(), 48);
        assert_eq!(h.bins[0].label, "2026 Q3");
        assert_eq!(h.bins[2].label, "2027 Q1");
        assert_eq!(h.bins.iter().map(|b| b.runs).sum::<u64>(), 72);
        assert_eq!(h.never, 28);
        // A horizon starting mid-quarter has a partial first bar.
        let h = PaybackHistogram::new(&labels("2026-02", 144), &counts, 100, 0);
        assert_eq!((h.bins[0].label.as_str(), h.bins[0].months), ("2026 Q1", 2));
        assert_eq!(h.bin_of(2), Some(1));
        // Twenty years: one bar per year.
        let h = PaybackHistogram::new(&labels("2026-01", 240), &[0; 240], 5, 0);
        assert_eq!((h.bin_months, h.bins.len()), (12, 20));
        assert_eq!(h.bins[3].label, "2029");
        assert!(h.bins.len() <= MAX_BINS);
        // 144 months from February: 48 quarters' worth, one partial quarter more.
        let h = PaybackHistogram::new(&labels("2026-02", 144), &counts, 100, 0);
        assert_eq!((h.bin_months, h.bins.len()), (3, 49));
    }

    #[test]
    fn the_never_headline_never_rounds_to_a_false_zero() {
        let h = |never, runs| PaybackHistogram {
            bins: Vec::new(),
            bin_months: 1,
            never,
            runs,
            never_negative: 0,
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
        // Runs that never went negative have nothing to pay back: counted apart.
        let apart = |never, runs, never_negative| PaybackHistogram {
            never_negative,
            ..h(never, runs)
        };
        assert_eq!(
            apart(0, 0, 7).never_text("2037-12"),
            "No run's cumulative cash goes negative: nothing to pay back"
        );
        assert_eq!(
            apart(1, 4, 6).never_text("2037-12"),
            "25% of runs that went below zero never pay back by 2037-12 (1 of 4)"
        );
        assert_eq!(
            apart(0, 4, 6).never_text("2037-12"),
            "Every run that went below zero pays back by 2037-12"
        );
    }

    #[test]
    fn hand_built_counts_give_bars_in_percent_and_a_median_inside_its_bar() {
        use crate::sweep::{MonthPercentiles, Percentiles, Sketch};
        let months = labels("2026-01", 6);
        let agg = Aggregate {
            months,
            cumulative_cash_usd: Vec::new(),
            gpu_it_mw: Vec::new(),
            revenue_usd: Vec::new(),
            npv_usd: Sketch::new(),
            months_waited: Sketch::new(),
            payback_by_month: vec![0, 1, 0, 2, 0, 0],
            never_negative_runs: 0,
            first_gpu_by_month: Vec::new(),
            runs: 4,
            reliability: None,
            finance: None,
            cumulative_equity_cash_usd: None,
            flexibility_value_usd: None,
        };
        let none = Percentiles {
            p10: None,
            p50: None,
            p90: None,
        };
        let sum = SweepSummary {
            finance: None,
            flexibility_value_usd: None,
            world: "hand-built".into(),
            seed: 1,
            runs_planned: 4,
            runs_completed: 4,
            partial: false,
            npv_usd: none.clone(),
            payback_month: MonthPercentiles {
                p10: Some(crate::calendar::YearMonth::parse("2026-02").unwrap()),
                p50: Some(crate::calendar::YearMonth::parse("2026-04").unwrap()),
                p90: None,
            },
            probability_payback_within_horizon: 0.75,
            probability_cumulative_cash_never_negative: 0.0,
            first_gpu_month: MonthPercentiles {
                p10: None,
                p50: None,
                p90: None,
            },
            months_waited_on_limits: none.clone(),
            final_cumulative_cash_usd: none,
            reliability: None,
        };
        let c = prepare(&agg, &sum).unwrap();
        assert_eq!(c.bars_pct, vec![(1, 25.0), (3, 50.0)]);
        assert_eq!(c.never_pct, 25.0);
        let total: f64 = c.bars_pct.iter().map(|b| b.1).sum::<f64>() + c.never_pct;
        assert_eq!(total, 100.0);
        assert!(c.bars_pct.iter().all(|b| b.1 <= c.y_max_pct) && c.never_pct <= c.y_max_pct);
        assert_eq!(c.median.unwrap().x, 3.5);
        assert_eq!(c.headline, "25% of runs never pay back by 2026-06 (1 of 4)");
        assert_eq!(c.tone, Series::NeverPaysBack.colour());
        // Two more runs that never went below zero: no bar for them, the same shares of
        // the four that did, and the subtitle says so.
        let agg = Aggregate {
            runs: 6,
            never_negative_runs: 2,
            ..agg
        };
        let c = prepare(&agg, &sum).unwrap();
        assert_eq!(c.bars_pct, vec![(1, 25.0), (3, 50.0)]);
        assert_eq!(c.never_pct, 25.0);
        assert!(
            c.heading
                .subtitle
                .contains("33% of runs never go below zero (nothing to pay back): not drawn"),
            "{}",
            c.heading.subtitle
        );
    }
}
