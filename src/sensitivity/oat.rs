//! One-at-a-time sensitivity: each input moved to a low and a high value with every
//! other input at its base, and the swing of the chosen metric (a tornado diagram).

use super::eval::{Evaluation, Outcome};
use super::inputs::{Input, InputKind};
use super::metric::Metric;
use std::collections::BTreeMap;
use std::io::Write;

/// Default half-width of a one-at-a-time range: ±10 % of the base value. The same
/// relative step for every input makes swings comparable across units (each bar is
/// the metric's elasticity to that input times 20 %), which is the usual convention
/// for a first tornado when no range has been elicited; an input the world already
/// declares uncertain uses its own P10–P90 instead (Clemen & Reilly, *Making Hard
/// Decisions*, ch. 5: tornado ranges from the 10th and 90th percentiles).
pub const DEFAULT_FRACTION: f64 = 0.10;

/// Where a range came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSource {
    /// Given by the user (`--range`).
    Declared,
    /// Base ± a fraction.
    Percent,
    /// The input's own distribution: P10 to P90.
    Distribution,
    /// The base is 0, so a percentage does not move it: declare a range.
    ZeroBase,
}

impl RangeSource {
    /// Short name for the CSV.
    pub fn name(self) -> &'static str {
        match self {
            RangeSource::Declared => "declared",
            RangeSource::Percent => "percent",
            RangeSource::Distribution => "p10-p90",
            RangeSource::ZeroBase => "zero base: declare a range",
        }
    }
}

/// A low and a high value for one input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Low value.
    pub low: f64,
    /// High value.
    pub high: f64,
    /// Where it came from.
    pub source: RangeSource,
}

/// User-declared ranges by input label.
pub type Ranges = BTreeMap<String, (f64, f64)>;

/// The range of `input`: declared, else its P10–P90 if it is a distribution, else
/// base × (1 ± `fraction`). Whole numbers are rounded and move by at least 1 (a count
/// of 1 ± 10 % would not move at all) and never below 0.
pub fn range(input: &Input, declared: &Ranges, fraction: f64) -> Range {
    if let Some(&(low, high)) = declared.get(&input.label) {
        return Range {
            low,
            high,
            source: RangeSource::Declared,
        };
    }
    let b = input.base;
    match input.kind {
        InputKind::Quantity(d) => Range {
            low: d.quantile(0.1),
            high: d.quantile(0.9),
            source: RangeSource::Distribution,
        },
        InputKind::Integer => {
            let low = (b * (1.0 - fraction)).round().min(b - 1.0).max(0.0);
            let high = (b * (1.0 + fraction)).round().max(b + 1.0);
            Range {
                low,
                high,
                source: RangeSource::Percent,
            }
        }
        _ if b == 0.0 => Range {
            low: 0.0,
            high: 0.0,
            source: RangeSource::ZeroBase,
        },
        _ => {
            let (x, y) = (b * (1.0 - fraction), b * (1.0 + fraction));
            Range {
                low: x.min(y),
                high: x.max(y),
                source: RangeSource::Percent,
            }
        }
    }
}

/// The two runs of one input.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OatPair {
    /// At the low value.
    pub low: Evaluation,
    /// At the high value.
    pub high: Evaluation,
}

/// One bar of the tornado, for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoRow {
    /// Input label.
    pub input: String,
    /// The range used.
    pub range: Range,
    /// Metric at the low value (`None` if that variant did not run).
    pub at_low: Option<f64>,
    /// Metric at the base.
    pub at_base: f64,
    /// Metric at the high value.
    pub at_high: Option<f64>,
    /// Largest minus smallest of the values that exist: how far the input moves the
    /// metric within its range.
    pub swing: f64,
    /// Why a side has no value, if one does not.
    pub note: String,
}

/// The tornado rows for `metric`, largest swing first (ties keep input order).
pub fn tornado(
    inputs: &[Input],
    ranges: &[Range],
    pairs: &[OatPair],
    base: &Outcome,
    metric: Metric,
) -> Vec<TornadoRow> {
    let at_base = metric.value(base);
    let mut rows: Vec<TornadoRow> = inputs
        .iter()
        .zip(ranges)
        .zip(pairs)
        .map(|((input, &range), pair)| {
            // A variant whose metric is undefined (no single IRR, say) has no bar end.
            let at = |e: &Evaluation| e.outcome().map(|o| metric.value(o)).filter(|v| !v.is_nan());
            let (at_low, at_high) = (at(&pair.low), at(&pair.high));
            let values = [at_low, Some(at_base), at_high];
            let present = values.iter().flatten();
            let hi = present.clone().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let lo = present.fold(f64::INFINITY, |a, &b| a.min(b));
            let mut notes = Vec::new();
            if range.source == RangeSource::ZeroBase {
                notes.push(range.source.name().to_string());
            }
            for (side, e, v) in [("low", &pair.low, at_low), ("high", &pair.high, at_high)] {
                if e.outcome().is_none() {
                    notes.push(format!("{side}: {}", e.why_not()));
                } else if v.is_none() {
                    notes.push(format!("{side}: {} undefined", metric.name()));
                }
            }
            TornadoRow {
                input: input.label.clone(),
                range,
                at_low,
                at_base,
                at_high,
                swing: hi - lo,
                note: notes.join("; "),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    rows
}

/// Writes `sensitivity.csv`: one row per input, largest swing first. An empty metric
/// cell means that variant did not run; `note` says why (the rule it broke).
pub fn write_csv(rows: &[TornadoRow], metric: Metric, w: impl Write) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "input",
        "low_value",
        "high_value",
        "range",
        "metric",
        "unit",
        "at_low",
        "at_base",
        "at_high",
        "swing",
        "note",
    ])?;
    let cell = |v: Option<f64>| v.map_or_else(String::new, |x| x.to_string());
    for r in rows {
        out.write_record([
            r.input.as_str(),
            &r.range.low.to_string(),
            &r.range.high.to_string(),
            r.range.source.name(),
            metric.name(),
            metric.unit(),
            &cell(r.at_low),
            &r.at_base.to_string(),
            &cell(r.at_high),
            &r.swing.to_string(),
            &r.note,
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;
    use crate::sensitivity::inputs::Seg;

    fn input(kind: InputKind, base: f64) -> Input {
        Input {
            path: vec![Seg::Key("x".into())],
            label: "x".into(),
            kind,
            base,
        }
    }

    #[test]
    fn default_ranges_by_kind() {
        let none = Ranges::new();
        let r = range(&input(InputKind::Float, 1.3), &none, 0.1);
        assert!((r.low - 1.17).abs() < 1e-12 && (r.high - 1.43).abs() < 1e-12);
        let r = range(&input(InputKind::Integer, 1.0), &none, 0.1);
        assert_eq!((r.low, r.high), (0.0, 2.0));
        let r = range(&input(InputKind::Integer, 150.0), &none, 0.1);
        assert_eq!((r.low, r.high), (135.0, 165.0));
        let r = range(&input(InputKind::Float, -5.0), &none, 0.1);
        assert!(r.low < r.high);
        assert_eq!(
            range(&input(InputKind::Float, 0.0), &none, 0.1).source,
            RangeSource::ZeroBase
        );
        let d = Dist::Uniform {
            min: 10.0,
            max: 20.0,
        };
        let r = range(&input(InputKind::Quantity(d), 15.0), &none, 0.1);
        assert!((r.low - 11.0).abs() < 1e-12 && (r.high - 19.0).abs() < 1e-12);
        let declared = Ranges::from([("x".to_string(), (1.0, 9.0))]);
        let r = range(&input(InputKind::Float, 1.3), &declared, 0.1);
        assert_eq!((r.low, r.high, r.source), (1.0, 9.0, RangeSource::Declared));
    }
}
