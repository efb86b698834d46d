//! Chart legends: a swatch and a label per entry, laid out in rows that wrap.

use super::frame::{Area, Scale, text_width};
use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A filled box (areas and bars).
    Fill(RGBColor),
    /// A solid line.
    Line(RGBColor),
    /// A dashed line (markers, limits).
    Dashed(RGBColor),
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Text beside the swatch.
    pub label: String,
    /// What the swatch looks like.
    pub swatch: Swatch,
}

impl LegendEntry {
    /// An entry with a filled box.
    pub(crate) fn fill(label: &str, c: RGBColor) -> Self {
        Self::new(label, Swatch::Fill(c))
    }
    /// An entry with a solid line.
    pub(crate) fn line(label: &str, c: RGBColor) -> Self {
        Self::new(label, Swatch::Line(c))
    }
    /// An entry with a dashed line.
    pub(crate) fn dashed(label: &str, c: RGBColor) -> Self {
        Self::new(label, Swatch::Dashed(c))
    }
    fn new(label: &str, swatch: Swatch) -> Self {
        Self {
            label: label.to_string(),
            swatch,
        }
    }
}

/// `c` blended over white with opacity `a`, as an opaque colour (for legend swatches of
/// translucent fills).
pub(crate) fn tint(c: RGBColor, a: f64) -> RGBColor {
    let f = |v: u8| (f64::from(v) * a + 255.0 * (1.0 - a)).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

fn draw_swatch<DB: DrawingBackend>(
    area: &Area<DB>,
    k: Scale,
    sw: Swatch,
    x: i32,
    y_mid: i32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
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

/// Draws `entries` in rows from (`left`, `y`), wrapping before `right`; returns the y
/// below the last row (`y` itself when there are none).
pub(crate) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    k: Scale,
    entries: &[LegendEntry],
    left: i32,
    mut y: i32,
    right: i32,
) -> Result<i32>
where
    DB::ErrorType: 'static,
{
    let row_h = (k.text_size(21.0) * 1.5).round() as i32;
    let mut x = left;
    let font = k.legend();
    for e in entries {
        let tw = text_width(root, &e.label, &font)?;
        let item_w = k.px(34.0) + k.px(10.0) + tw + k.px(30.0);
        if x > left && x + item_w > right {
            x = left;
            y += row_h;
        }
        let mid = y + row_h / 2;
        draw_swatch(root, k, e.swatch, x, mid)?;
        root.draw(&Text::new(
            e.label.clone(),
            (x + k.px(44.0), mid),
            font.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += item_w;
    }
    if !entries.is_empty() {
        y += row_h;
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::tint;
    use plotters::style::RGBColor;

    #[test]
    fn tints_blend_towards_white() {
        assert_eq!(tint(RGBColor(0, 100, 255), 1.0), RGBColor(0, 100, 255));
        assert_eq!(tint(RGBColor(0, 100, 255), 0.0), RGBColor(255, 255, 255));
        assert_eq!(tint(RGBColor(0, 0, 0), 0.5), RGBColor(128, 128, 128));
    }
}
