//! SVG encoding: plotters' SVG backend, with every text drawn as outlines of the bundled
//! font so the file renders the same on any machine, with or without fonts installed.
//!
//! Why outlines and not an embedded font: an `@font-face` of the whole bundled font
//! adds about 2 MB (both weights, base64) to every chart, and the Rust font subsetters
//! either drop the `cmap` table browsers need or reject DejaVu's OS/2 table version.
//! Outlines need nothing from the viewer (browsers, librsvg, Inkscape, print to PDF
//! alike). Each glyph's outline is defined once per file, in font units, and placed with
//! `<use>`, so a chart stays a few hundred kilobytes at most. Each text run keeps its
//! words in an `aria-label`, and the file's `<desc>` names the font.
//!
//! Text sits where plotters' bitmap backend puts it, so an SVG lays out like its PNG:
//! the anchor is applied to the text's layout box (advance widths and kerning at a
//! pixel scale equal to the font size), and the baseline lies half the font size below
//! the box's top.

use super::fonts::{FONT_BOLD, FONT_NAME, FONT_REGULAR};
use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve};
use anyhow::{Result, anyhow, bail};
use plotters::prelude::{DrawingBackend, SVGBackend};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle,
    FontTransform,
};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Text runs drawn so far, and the glyphs they use as (bold, glyph id).
#[derive(Default)]
pub(crate) struct Outlines {
    runs: Vec<String>,
    glyphs: BTreeSet<(bool, u16)>,
}

/// plotters' SVG backend, recording an outlined copy of every text it draws.
pub(crate) struct OutlinedSvg<'a> {
    inner: SVGBackend<'a>,
    outlines: &'a mut Outlines,
}

impl<'a> OutlinedSvg<'a> {
    /// An SVG of `size` pixels written into `buf`; text outlines collect in `outlines`.
    pub(crate) fn new(buf: &'a mut String, size: (u32, u32), outlines: &'a mut Outlines) -> Self {
        Self {
            inner: SVGBackend::with_string(buf, size),
            outlines,
        }
    }
}

fn face(bold: bool) -> Result<FontRef<'static>> {
    let bytes = if bold { FONT_BOLD } else { FONT_REGULAR };
    FontRef::try_from_slice(bytes).map_err(|e| anyhow!("the bundled font cannot be read: {e}"))
}

type Err = DrawingErrorKind<std::io::Error>;

impl DrawingBackend for OutlinedSvg<'_> {
    type ErrorType = std::io::Error;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Err> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Err> {
        self.inner.blit_bitmap(pos, size, src)
    }

    /// Writes plotters' `<text>` (a placeholder, replaced by [`finish`]) and records
    /// the outlined run that replaces it.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Err> {
        // plotters' SVG backend writes nothing for invisible text: record nothing.
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let layout = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let run = outline_run(text, style, pos, layout, &mut self.outlines.glyphs)
            .map_err(|e| DrawingErrorKind::FontError(e.into()))?;
        self.outlines.runs.push(run);
        self.inner.draw_text(text, style, pos)
    }
}

/// The `<g>` that draws `text` as glyph outlines, placed as plotters' bitmap backend
/// places it; adds the glyphs it uses to `used`.
fn outline_run<S: BackendTextStyle>(
    text: &str,
    style: &S,
    pos: BackendCoord,
    ((min_x, min_y), (max_x, max_y)): ((i32, i32), (i32, i32)),
    used: &mut BTreeSet<(bool, u16)>,
) -> Result<String> {
    let bold = matches!(style.style(), FontStyle::Bold);
    let font = face(bold)?;
    let size = style.size();
    let (w, h) = (max_x - min_x, max_y - min_y);
    let dx = match style.anchor().h_pos {
        HPos::Left => 0,
        HPos::Right => -w,
        HPos::Center => -w / 2,
    };
    let dy = match style.anchor().v_pos {
        VPos::Top => 0,
        VPos::Center => -h / 2,
        VPos::Bottom => -h,
    };
    // Baseline origin relative to `pos`, before the text's rotation.
    let (bx, by) = (f64::from(dx - min_x), f64::from(dy - min_y) + size / 2.0);
    let (a, b, c, d) = match style.transform() {
        FontTransform::None => (1.0, 0.0, 0.0, 1.0),
        FontTransform::Rotate90 => (0.0, 1.0, -1.0, 0.0),
        FontTransform::Rotate180 => (-1.0, 0.0, 0.0, -1.0),
        FontTransform::Rotate270 => (0.0, -1.0, 1.0, 0.0),
    };
    // Font units to pixels: plotters scales a font so ascent − descent = its size.
    let s = size / f64::from(font.height_unscaled());
    let e = f64::from(pos.0) + a * bx + c * by;
    let f = f64::from(pos.1) + b * bx + d * by;
    let colour = style.color();
    let (r, g, bl) = colour.rgb;
    let mut out = format!(
        r##"<g transform="matrix({} {} {} {} {} {})" fill="#{r:02X}{g:02X}{bl:02X}""##,
        num(a * s),
        num(b * s),
        num(-c * s),
        num(-d * s),
        num(e),
        num(f),
    );
    if colour.alpha < 1.0 {
        let _ = write!(out, r#" opacity="{}""#, num(colour.alpha));
    }
    let _ = write!(out, r#" aria-label="{}">"#, escape(text));
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            pen += font.kern_unscaled(p, id);
        }
        prev = Some(id);
        if font.outline(id).is_some_and(|o| !o.curves.is_empty()) {
            used.insert((bold, id.0));
            let _ = write!(
                out,
                r##"<use href="#{}" x="{}"/>"##,
                glyph_ref(bold, id.0),
                num(f64::from(pen))
            );
        }
        pen += font.h_advance_unscaled(id);
    }
    out.push_str("</g>");
    Ok(out)
}

/// The id of a glyph's outline in the file's `<defs>`.
fn glyph_ref(bold: bool, id: u16) -> String {
    format!("{}{id}", if bold { 'b' } else { 'r' })
}

/// A number with at most three decimals and no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Escapes text for an XML attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A glyph's outline as SVG path data, in font units with y up.
fn glyph_path(font: &FontRef, id: GlyphId) -> String {
    let mut d = String::new();
    let mut at: Option<ab_glyph::Point> = None;
    let p = |pt: ab_glyph::Point| format!("{} {}", num(f64::from(pt.x)), num(f64::from(pt.y)));
    for curve in font.outline(id).map(|o| o.curves).unwrap_or_default() {
        let (start, end) = match curve {
            OutlineCurve::Line(a, b) => (a, b),
            OutlineCurve::Quad(a, _, b) => (a, b),
            OutlineCurve::Cubic(a, _, _, b) => (a, b),
        };
        if at != Some(start) {
            let _ = write!(d, "M{}", p(start));
        }
        let _ = match curve {
            OutlineCurve::Line(_, b) => write!(d, "L{}", p(b)),
            OutlineCurve::Quad(_, c, b) => write!(d, "Q{} {}", p(c), p(b)),
            OutlineCurve::Cubic(_, c1, c2, b) => write!(d, "C{} {} {}", p(c1), p(c2), p(b)),
        };
        at = Some(end);
    }
    d
}

/// Replaces each `<text>` plotters wrote in `svg` by its outlined run, in order, and
/// adds the glyph outlines and a `<desc>` naming the font after the opening `<svg>` tag.
pub(crate) fn finish(svg: &str, outlines: &Outlines) -> Result<String> {
    let mut out = String::with_capacity(svg.len() * 2);
    let open = svg
        .find("<svg")
        .ok_or_else(|| anyhow!("plotters wrote no <svg>"))?;
    let tag_end = open
        + svg[open..]
            .find('>')
            .ok_or_else(|| anyhow!("bad <svg> tag"))?
        + 1;
    out.push_str(&svg[..tag_end]);
    out.push('\n');
    let _ = write!(
        out,
        "<desc>Text is drawn as outlines of {FONT_NAME} (regular and bold), the font \
         bundled with retrofit, so this chart needs no installed fonts.</desc>\n<defs>\n"
    );
    for &(bold, id) in &outlines.glyphs {
        let d = glyph_path(&face(bold)?, GlyphId(id));
        let _ = writeln!(out, r#"<path id="{}" d="{d}"/>"#, glyph_ref(bold, id));
    }
    out.push_str("</defs>");
    let mut rest = &svg[tag_end..];
    let mut runs = outlines.runs.iter();
    while let Some(start) = rest.find("<text") {
        let close = rest[start..]
            .find("</text>")
            .ok_or_else(|| anyhow!("unterminated <text> in plotters' SVG"))?;
        let run = runs
            .next()
            .ok_or_else(|| anyhow!("plotters wrote more texts than were drawn"))?;
        out.push_str(&rest[..start]);
        out.push_str(run);
        rest = &rest[start + close + "</text>".len()..];
    }
    if runs.next().is_some() {
        bail!("plotters wrote fewer texts than were drawn");
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(0.0123456), "0.012");
        assert_eq!(num(-2.5), "-2.5");
    }

    #[test]
    fn glyph_outlines_are_closed_paths_in_font_units() {
        let font = face(false).unwrap();
        let d = glyph_path(&font, font.glyph_id('o'));
        // "o" has two contours (outside and counter), each a new subpath.
        assert_eq!(d.matches('M').count(), 2, "{d}");
        let space = glyph_path(&font, font.glyph_id(' '));
        assert!(space.is_empty());
    }

    #[test]
    fn texts_are_escaped_for_attributes() {
        assert_eq!(escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
