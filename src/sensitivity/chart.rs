//! Chart data for `tornado.png` and `sobol.png`: what to draw, computed from a
//! [`Report`](super::Report) and nothing else. Drawing follows the report kit.

use super::oat::TornadoRow;
use super::sobol::Indices;

/// Bars shown at most: a tornado past ~20 bars stops being readable, and the rest are
/// in `sensitivity.csv`.
pub const MAX_BARS: usize = 20;

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

/// Everything `tornado.png` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoData {
    /// Axis title (metric and unit).
    pub title: String,
    /// The base value: the vertical line the bars start from.
    pub base: f64,
    /// Bars, largest swing first.
    pub bars: Vec<TornadoBar>,
    /// Smallest and largest metric value on any bar or the base, for the axis.
    pub range: (f64, f64),
}

/// Prepares the tornado: the [`MAX_BARS`] largest swings.
pub fn tornado(rows: &[TornadoRow], title: &str) -> TornadoData {
    let base = rows.first().map_or(0.0, |r| r.at_base);
    let bars: Vec<TornadoBar> = rows
        .iter()
        .take(MAX_BARS)
        .map(|r| TornadoBar {
            label: format!(
                "{} ({} … {})",
                r.input,
                super::threshold::significant(r.range.low, 4),
                super::threshold::significant(r.range.high, 4)
            ),
            at_low: r.at_low,
            at_high: r.at_high,
        })
        .collect();
    let values = bars.iter().flat_map(|b| [b.at_low, b.at_high]).flatten();
    let range = values.fold((base, base), |(lo, hi), v| (lo.min(v), hi.max(v)));
    TornadoData {
        title: title.to_string(),
        base,
        bars,
        range,
    }
}

/// Everything `sobol.png` shows: paired bars per input.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolData {
    /// Axis title.
    pub title: String,
    /// `(input, first order, total)`, largest total first.
    pub bars: Vec<(String, f64, f64)>,
}

/// Prepares the Sobol' bar chart: the [`MAX_BARS`] largest total indices.
pub fn sobol(indices: &[(String, Indices)], title: &str) -> SobolData {
    let mut bars: Vec<(String, f64, f64)> = indices
        .iter()
        .map(|(l, i)| (l.clone(), i.first, i.total))
        .collect();
    bars.sort_by(|a, b| b.2.total_cmp(&a.2));
    bars.truncate(MAX_BARS);
    SobolData {
        title: title.to_string(),
        bars,
    }
}
