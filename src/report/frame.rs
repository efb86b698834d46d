//! The frame every chart is drawn in: its pixel size, the scale of text and spacing, the
//! title block, and rendering a [`Chart`] to PNG.

use super::legend::{self, LegendEntry};
use super::{fonts, palette, png, svg};
use anyhow::{Result, anyhow};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

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

/// Which chart files a command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartFormat {
    /// No charts: nothing is drawn (the fastest run); every other output is unchanged.
    None,
    /// PNG, as always (the default).
    #[default]
    Png,
    /// SVG, with text drawn as outlines of the bundled font.
    Svg,
    /// Both PNG and SVG.
    Both,
}

impl ChartFormat {
    /// Whether PNG files are written.
    pub fn png(self) -> bool {
        matches!(self, ChartFormat::Png | ChartFormat::Both)
    }

    /// Whether SVG files are written.
    pub fn svg(self) -> bool {
        matches!(self, ChartFormat::Svg | ChartFormat::Both)
    }
}

impl std::str::FromStr for ChartFormat {
    type Err = String;

    /// Reads `none`, `png`, `svg` or `both`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(ChartFormat::None),
            "png" => Ok(ChartFormat::Png),
            "svg" => Ok(ChartFormat::Svg),
            "both" => Ok(ChartFormat::Both),
            other => Err(format!(
                "unknown chart format `{other}`; choose none, png, svg or both"
            )),
        }
    }
}

/// How a command draws its charts: which formats, at what size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChartOptions {
    /// Which files.
    pub format: ChartFormat,
    /// Pixel size (an SVG's width, height and viewBox).
    pub size: ChartSize,
}

/// A drawing surface of any plotters backend, in pixel coordinates.
pub(crate) type Area<DB> = DrawingArea<DB, Shift>;

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
        (fonts::FAMILY, self.text_size(base))
            .into_font()
            .color(&palette::TEXT)
    }
    pub(crate) fn bold(self, base: f64) -> TextStyle<'static> {
        (fonts::FAMILY, self.text_size(base), FontStyle::Bold)
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

/// A chart's prepared data, able to paint itself onto any plotters backend. Painting
/// only lays out and draws: every figure, range and label is computed beforehand.
pub(crate) trait Chart {
    /// Paints the chart onto `root`, already filled with the background.
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static;
}

fn check_size(size: ChartSize) -> Result<()> {
    if size.width < MIN_SIZE.width || size.height < MIN_SIZE.height {
        return Err(anyhow!(
            "chart size {}×{} is too small: at least {}×{} pixels",
            size.width,
            size.height,
            MIN_SIZE.width,
            MIN_SIZE.height
        ));
    }
    Ok(())
}

/// Draws `chart` into an RGB buffer and encodes it as PNG.
pub(crate) fn png(chart: &impl Chart, size: ChartSize) -> Result<Vec<u8>> {
    fonts::register()?;
    check_size(size)?;
    let (w, h) = (size.width, size.height);
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&palette::BACKGROUND)?;
        chart.paint(&root, Scale::of(size))?;
        root.present()?;
    }
    png::encode(&buf, w, h)
}

/// Draws `chart` as SVG, its text outlined in the bundled font (see [`super::svg`]).
pub(crate) fn svg(chart: &impl Chart, size: ChartSize) -> Result<Vec<u8>> {
    fonts::register()?;
    check_size(size)?;
    let mut buf = String::new();
    let mut outlines = svg::Outlines::default();
    {
        let backend = svg::OutlinedSvg::new(&mut buf, (size.width, size.height), &mut outlines);
        let root = backend.into_drawing_area();
        root.fill(&palette::BACKGROUND)?;
        chart.paint(&root, Scale::of(size))?;
        root.present()?;
    }
    Ok(svg::finish(&buf, &outlines)?.into_bytes())
}

/// The title block above a chart: title, subtitle (lines separated by `\n`, long lines
/// wrapped at words) and legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    /// Bold first line.
    pub title: String,
    /// Explanation below the title.
    pub subtitle: String,
    /// Legend entries, in order.
    pub legend: Vec<LegendEntry>,
}

impl Heading {
    /// Draws the heading at the top of `root`; returns the area below it.
    pub(crate) fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<Area<DB>>
    where
        DB::ErrorType: 'static,
    {
        let (w, _) = root.dim_in_pixel();
        let pad = k.px(28.0);
        let left = pad;
        let mut y = k.px(20.0);
        root.draw(&Text::new(self.title.clone(), (left, y), k.title()))?;
        y += (k.text_size(34.0) * 1.35).round() as i32;
        let sub_font = k.subtitle();
        let fits = |t: &str| {
            root.estimate_text_size(t, &sub_font)
                .map_or(true, |(tw, _)| tw as i32 <= w as i32 - 2 * pad)
        };
        for line in self.subtitle.lines().filter(|l| !l.is_empty()) {
            for part in wrap_words(line, &fits) {
                root.draw(&Text::new(part, (left, y), sub_font.clone()))?;
                y += (k.text_size(21.0) * 1.6).round() as i32;
            }
        }
        y = legend::draw(root, k, &self.legend, left, y, w as i32 - pad)?;
        y += k.px(10.0);
        Ok(root.split_vertically(y).1)
    }
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

/// Width in pixels of `text` in `font`.
pub(crate) fn text_width<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    text: &str,
    font: &TextStyle,
) -> Result<i32> {
    let (w, _) = area
        .estimate_text_size(text, font)
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(w as i32)
}

/// Width in pixels of the widest of `texts` in `font` (0 for none, or if a width cannot
/// be measured).
pub(crate) fn widest<DB: DrawingBackend>(
    area: &Area<DB>,
    texts: &[String],
    font: &TextStyle,
) -> i32 {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn chart_formats_read_from_their_names() {
        for (name, png, svg) in [
            ("none", false, false),
            ("png", true, false),
            ("svg", false, true),
            ("both", true, true),
        ] {
            let f: ChartFormat = name.parse().unwrap();
            assert_eq!((f.png(), f.svg()), (png, svg), "{name}");
        }
        let err = "jpeg".parse::<ChartFormat>().unwrap_err();
        assert!(err.contains("none, png, svg or both"), "{err}");
        assert_eq!(ChartFormat::default(), ChartFormat::Png);
    }

    #[test]
    fn too_small_sizes_are_refused_with_the_minimum() {
        let err = check_size(ChartSize {
            width: 100,
            height: 50,
        })
        .unwrap_err();
        assert!(err.to_string().contains("at least 480×270"), "{err}");
        assert!(check_size(MIN_SIZE).is_ok());
    }
}
