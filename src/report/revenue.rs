//! `revenue.png`: monthly ASIC and GPU revenue stacked above zero, energy cost and opex
//! stacked below, and the net operating cash flow as a line. Capex is left out (it
//! dwarfs monthly flows); `cash.png` shows it.

use super::axes::{ValueAxis, month_chart, nice_ceiling, zero_line};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::LegendEntry;
use super::marks::{self, Marker, draw_markers};
use super::palette::Series;
use super::text::usd_fmt;
use crate::calendar::Calendar;
use crate::engine::RunResult;
use crate::scenario::Scenario;
use anyhow::Result;
use plotters::prelude::*;
use std::ops::Range;

/// One bar segment: month `month`, from `from_usd` to `to_usd`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Month index.
    pub month: usize,
    /// Where the segment starts (the top of the one below it, or zero).
    pub from_usd: f64,
    /// Where it ends.
    pub to_usd: f64,
    /// What it stands for (and so its colour).
    pub series: Series,
}

/// Everything `revenue.png` shows.
#[derive(Debug, Clone)]
pub struct RevenueChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The run's months.
    pub calendar: Calendar,
    /// Value axis, USD per month.
    pub y_usd: Range<f64>,
    /// Bar segments, four per month (ASIC and GPU revenue up, energy and opex down).
    pub bars: Vec<Bar>,
    /// Net operating cash flow at each month's middle.
    pub net: Vec<(f64, f64)>,
    /// Halvings.
    pub markers: Vec<Marker>,
}

/// Prepares `revenue.png` from a run.
pub fn prepare(s: &Scenario, r: &RunResult) -> RevenueChart {
    let l = &r.ledger;
    let hi = l
        .iter()
        .map(|m| m.asic_revenue_usd + m.gpu_revenue_usd)
        .fold(0.0, f64::max);
    let lo = l
        .iter()
        .map(|m| -(m.energy_cost_usd + m.opex_usd))
        .chain(
            l.iter()
                .map(|m| m.asic_revenue_usd + m.gpu_revenue_usd - m.energy_cost_usd - m.opex_usd),
        )
        .fold(0.0, f64::min);
    let bar = |month, from_usd, to_usd, series| Bar {
        month,
        from_usd,
        to_usd,
        series,
    };
    let bars = l
        .iter()
        .enumerate()
        .flat_map(|(m, row)| {
            let (a, g) = (row.asic_revenue_usd, row.gpu_revenue_usd);
            let (e, o) = (row.energy_cost_usd, row.opex_usd);
            [
                bar(m, 0.0, a, Series::Asic),
                bar(m, a, a + g, Series::Gpu),
                bar(m, 0.0, -e, Series::EnergyCost),
                bar(m, -e, -e - o, Series::Opex),
            ]
        })
        .collect();
    let net = l
        .iter()
        .enumerate()
        .map(|(m, row)| {
            (
                m as f64 + 0.5,
                row.asic_revenue_usd + row.gpu_revenue_usd - row.energy_cost_usd - row.opex_usd,
            )
        })
        .collect();
    RevenueChart {
        heading: heading(s),
        calendar: s.calendar.clone(),
        y_usd: -nice_ceiling(-lo * 1.1)..nice_ceiling(hi * 1.22),
        bars,
        net,
        markers: marks::halvings(s),
    }
}

fn heading(s: &Scenario) -> Heading {
    Heading {
        title: format!("{} — monthly revenue and operating cost", s.name),
        subtitle: "Revenue above zero, costs below (USD per month); capex is not shown here \
                   — see cash.png"
            .into(),
        legend: vec![
            LegendEntry::fill("Mining revenue", Series::Asic.colour()),
            LegendEntry::fill("GPU revenue", Series::Gpu.colour()),
            LegendEntry::fill("Energy cost", Series::EnergyCost.colour()),
            LegendEntry::fill("Fixed opex", Series::Opex.colour()),
            LegendEntry::line("Net operating cash flow", Series::NetOperating.colour()),
        ],
    }
}

impl Chart for RevenueChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let y = ValueAxis {
            range: self.y_usd.clone(),
            desc: "USD per month",
            fmt: &usd_fmt,
        };
        let mut chart = month_chart(&area, k, &self.calendar, y, k.px(40.0))?;
        chart.draw_series(self.bars.iter().map(|b| {
            let m = b.month as f64;
            Rectangle::new(
                [(m + 0.08, b.from_usd), (m + 0.92, b.to_usd)],
                b.series.colour().filled(),
            )
        }))?;
        zero_line(&mut chart, k, f64::from(self.calendar.months()))?;
        chart.draw_series(LineSeries::new(
            self.net.clone(),
            Series::NetOperating.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        draw_markers(&mut chart, k, &self.markers)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revenue_stacks_up_and_costs_stack_down_within_the_range() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        assert_eq!(c.bars.len(), 4 * r.ledger.len());
        for (month, four) in c.bars.chunks(4).enumerate() {
            let row = &r.ledger[month];
            assert!(four.iter().all(|b| b.month == month));
            // GPU revenue sits on mining revenue; opex hangs below energy cost.
            assert_eq!(four[1].from_usd, four[0].to_usd);
            assert_eq!(four[3].from_usd, four[2].to_usd);
            assert_eq!(four[1].to_usd, row.asic_revenue_usd + row.gpu_revenue_usd);
            assert_eq!(four[3].to_usd, -row.energy_cost_usd - row.opex_usd);
        }
        let ends = c.bars.iter().flat_map(|b| [b.from_usd, b.to_usd]);
        for v in ends.chain(c.net.iter().map(|p| p.1)) {
            assert!(c.y_usd.contains(&v), "{v} outside {:?}", c.y_usd);
        }
    }
}
