//! Annotations on month charts: labelled vertical markers (halvings, first GPUs, payback)
//! and labels at the right end of lines.

use super::axes::{MonthChart, day_x};
use super::frame::{Area, Scale};
use super::palette::{self, Series};
use crate::scenario::Scenario;
use anyhow::{Result, anyhow};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A labelled vertical marker at `x` (fractional months).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Position on the month axis.
    pub x: f64,
    /// Text beside the line.
    pub label: String,
    /// Line and text colour.
    pub colour: RGBColor,
}

/// A label at the right end of a line: text, the value it sits at, and its colour.
#[derive(Debug, Clone, PartialEq)]
pub struct EndLabel {
    /// The text.
    pub text: String,
    /// The line's last value.
    pub value: f64,
    /// Text colour.
    pub colour: RGBColor,
}

/// One marker per Bitcoin halving within the horizon.
pub(crate) fn halvings(s: &Scenario) -> Vec<Marker> {
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

/// Draws vertical dashed markers with labels stacked in rows near the top of the plot so
/// that no two labels overlap.
pub(crate) fn draw_markers<DB: DrawingBackend>(
    chart: &mut MonthChart<DB>,
    k: Scale,
    markers: &[Marker],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
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

/// Moves label centres (pixels, any order) apart so that consecutive ones are at least
/// `gap` apart, staying within `[lo, hi]` where possible; returns them in input order.
pub(crate) fn spread_labels(ys: &[i32], gap: i32, lo: i32, hi: i32) -> Vec<i32> {
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

/// Draws `labels` just right of the plot at its right end (`x_end`), spread vertically
/// so they never overlap.
pub(crate) fn draw_end_labels<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &MonthChart<DB>,
    k: Scale,
    x_end: f64,
    labels: &[EndLabel],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
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
        .map(|l| chart.backend_coord(&(x_end, l.value)))
        .collect();
    let ys: Vec<i32> = px.iter().map(|p| p.1).collect();
    let spread = spread_labels(&ys, th, top + th / 2, bottom - th / 2);
    for ((l, (x, _)), y) in labels.iter().zip(&px).zip(spread) {
        root.draw(&Text::new(
            l.text.clone(),
            (x + k.px(10.0), y),
            font.color(&l.colour)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn halvings_past_the_horizon_are_left_out() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let marks = halvings(&s);
        assert_eq!(
            marks.len(),
            s.markets
                .halving_days
                .iter()
                .filter(|&&d| d < s.calendar.end())
                .count()
        );
        for m in &marks {
            assert!(m.x >= 0.0 && m.x < f64::from(s.calendar.months()));
            // The label names the month the marker sits in.
            let month = s.calendar.label(m.x.floor() as u32);
            assert_eq!(m.label, format!("Halving {month}"));
        }
    }
}
