//! `sobol.png`: Sobol' indices of the world's distributions, one row per input with
//! two bars: the first-order index (its effect alone) and the total index (alone and
//! through interactions). The gap between them is the share of variance the input
//! explains only together with others.

use super::frame::{Area, Chart, Heading, Scale};
use super::legend::LegendEntry;
use super::palette;
use super::tornado::{BarRows, Row, draw_rows};
use anyhow::Result;
use plotters::prelude::*;
use std::ops::Range;

/// Colour of the first-order bars.
const FIRST: RGBColor = palette::WORLDS[2];
/// Colour of the total-index bars.
const TOTAL: RGBColor = palette::WORLDS[3];

/// Everything `sobol.png` shows: paired bars per input, as plain labels and numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolData {
    /// The metric's title with its unit.
    pub title: String,
    /// `(input, first order, total)`, largest total first.
    pub bars: Vec<(String, f64, f64)>,
}

/// Everything `sobol.png` draws.
#[derive(Debug, Clone)]
pub struct SobolChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The prepared bars.
    pub data: SobolData,
    /// x axis range (index values).
    pub x: Range<f64>,
}

/// Prepares `sobol.png`.
pub fn prepare(data: &SobolData, world: &str, samples: usize) -> SobolChart {
    let lo = data.bars.iter().map(|b| b.1.min(b.2)).fold(0.0, f64::min);
    let hi = data.bars.iter().map(|b| b.1.max(b.2)).fold(1.0, f64::max);
    SobolChart {
        heading: Heading {
            title: format!("Which uncertainties drive {}", data.title),
            subtitle: format!(
                "{world}: Sobol' indices over the world's distributions ({samples} Saltelli samples). \
                 First order: the share of variance an input explains alone; total: alone and \
                 through interactions. Estimates carry sampling error (see sobol.csv)."
            ),
            legend: vec![
                LegendEntry::fill("first order", FIRST),
                LegendEntry::fill("total", TOTAL),
            ],
        },
        x: lo.min(0.0) - 0.02..hi + 0.02,
        data: data.clone(),
    }
}

impl Chart for SobolChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        // Two thin bars per row: first order above, total below.
        let rows: Vec<Row> = self
            .data
            .bars
            .iter()
            .map(|(label, first, total)| {
                (
                    label.clone(),
                    vec![(0.0, *first, FIRST), (0.0, *total, TOTAL)],
                    None,
                )
            })
            .collect();
        let fmt = |v: &f64| format!("{v:.1}");
        let bars = BarRows {
            x: self.x.clone(),
            x_desc: "share of variance",
            fmt: &fmt,
            rows,
            base: Some(0.0),
            lanes: true,
        };
        draw_rows(&area, k, &bars)
    }
}
