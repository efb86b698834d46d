//! Builds the chart data of `tornado.png` and `sobol.png` (plain labels and numbers,
//! types of [`crate::report`]) from a [`Report`](super::Report) and nothing else. The
//! report layer draws them and knows nothing of the decision layer.

use super::Metric;
use super::oat::TornadoRow;
use super::sobol::Indices;
use crate::report::{SobolData, TornadoBar, TornadoData};

/// Bars shown at most: a tornado past ~20 bars stops being readable, and the rest are
/// in `sensitivity.csv`.
pub const MAX_BARS: usize = 20;

/// Prepares the tornado: the [`MAX_BARS`] largest swings.
pub fn tornado(rows: &[TornadoRow], metric: Metric) -> TornadoData {
    let base = rows.first().map_or(0.0, |r| r.at_base);
    let bars: Vec<TornadoBar> = rows
        .iter()
        .take(MAX_BARS)
        .map(|r| TornadoBar {
            label: format!(
                "{} ({} … {}{})",
                r.input,
                super::threshold::significant(r.range.low, 4),
                super::threshold::significant(r.range.high, 4),
                unit_after_range(&r.input)
            ),
            at_low: r.at_low,
            at_high: r.at_high,
        })
        .collect();
    let values = bars.iter().flat_map(|b| [b.at_low, b.at_high]).flatten();
    let range = values.fold((base, base), |(lo, hi), v| (lo.min(v), hi.max(v)));
    TornadoData {
        title: metric.title().to_string(),
        usd: metric.unit() == "USD",
        base,
        bars,
        range,
    }
}

/// The unit written after an input's range on its bar, for the inputs whose field name
/// carries none: every other field ends in its unit (`_usd`, `_weeks`, `_per_year`),
/// but a PUE is a ratio of powers, so its bar says which.
pub fn unit_after_range(label: &str) -> &'static str {
    if label.ends_with(".pue") {
        " facility W per IT W"
    } else {
        ""
    }
}

/// Prepares the Sobol' bar chart: the [`MAX_BARS`] largest total indices.
pub fn sobol(indices: &[(String, Indices)], metric: Metric) -> SobolData {
    let mut bars: Vec<(String, f64, f64)> = indices
        .iter()
        .map(|(l, i)| (l.clone(), i.first, i.total))
        .collect();
    bars.sort_by(|a, b| b.2.total_cmp(&a.2));
    bars.truncate(MAX_BARS);
    SobolData {
        title: metric.title().to_string(),
        bars,
    }
}
