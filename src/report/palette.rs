//! The one palette every chart draws from: a series keeps its colour on every chart
//! (ASIC revenue is the ASIC colour, GPU revenue the GPU colour).
//!
//! Hues follow the Okabe–Ito colour-blind-safe set where possible, so charts stay
//! readable when printed in greyscale or projected in a bright room.

use plotters::style::RGBColor;

/// Page background.
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Titles, axis labels and annotations.
pub const TEXT: RGBColor = RGBColor(34, 34, 34);
/// Subtitles and secondary notes.
pub const MUTED: RGBColor = RGBColor(100, 100, 100);
/// Axis lines.
pub const AXIS: RGBColor = RGBColor(80, 80, 80);
/// Major grid lines.
pub const GRID: RGBColor = RGBColor(222, 222, 222);
/// Minor grid lines.
pub const GRID_LIGHT: RGBColor = RGBColor(240, 240, 240);

/// Every series drawn on a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Series {
    /// ASIC IT load, and mining revenue.
    Asic,
    /// GPU IT load, and GPU revenue.
    Gpu,
    /// Cooling and other overhead: IT × (PUE − 1).
    Overhead,
    /// The site's grid interconnect limit.
    Interconnect,
    /// Substation capacity in service.
    Substations,
    /// Electricity cost.
    EnergyCost,
    /// Fixed operating cost.
    Opex,
    /// Revenue − energy − opex.
    NetOperating,
    /// Cumulative cash while positive.
    CashPositive,
    /// Cumulative cash while negative.
    CashNegative,
    /// Payback month marker.
    Payback,
    /// Bitcoin halving marker.
    Halving,
    /// Gantt: waiting for equipment after ordering.
    Lead,
    /// Gantt: installation or conversion work.
    Work,
    /// Gantt: blocked by a limit.
    Wait,
    /// Gantt: units drawing power.
    Energised,
    /// Sweeps: the P10–P90 band of runs (drawn translucent).
    Band,
    /// Sweeps: runs that never pay back within the horizon.
    NeverPaysBack,
    /// Project (unlevered) cumulative cash, beside the equity line.
    ProjectCash,
    /// Finance: equity put in.
    Equity,
    /// Finance: debt drawn, and the debt balance.
    Debt,
    /// Finance: tenant capex contributions.
    Tenant,
    /// Finance: capex paid (the uses).
    Capex,
    /// Finance: trailing-12 DSCR.
    Dscr,
    /// Finance: the DSCR covenant level and its breaches.
    Covenant,
    /// Power: ASIC power curtailed in dear hours.
    Curtailed,
    /// Power: capacity held back by a redundancy scheme (not sellable).
    Reserve,
}

impl Series {
    /// The series colour.
    pub fn colour(self) -> RGBColor {
        match self {
            Series::Asic => RGBColor(230, 159, 0),
            Series::Gpu => RGBColor(0, 114, 178),
            Series::Overhead => RGBColor(166, 196, 214),
            Series::Interconnect => RGBColor(200, 30, 30),
            Series::Substations => RGBColor(120, 60, 150),
            Series::EnergyCost => RGBColor(213, 94, 0),
            Series::Opex => RGBColor(150, 150, 150),
            Series::NetOperating => RGBColor(20, 20, 20),
            Series::CashPositive => RGBColor(0, 158, 115),
            Series::CashNegative => RGBColor(204, 60, 60),
            Series::Payback => RGBColor(0, 110, 80),
            Series::Halving => RGBColor(90, 90, 90),
            Series::Lead => RGBColor(185, 185, 185),
            Series::Work => RGBColor(86, 180, 233),
            Series::Wait => RGBColor(204, 40, 40),
            Series::Energised => RGBColor(0, 158, 115),
            Series::Band => RGBColor(0, 114, 178),
            Series::NeverPaysBack => RGBColor(204, 60, 60),
            Series::ProjectCash => RGBColor(86, 180, 233),
            Series::Equity => RGBColor(0, 158, 115),
            Series::Debt => RGBColor(0, 114, 178),
            Series::Tenant => RGBColor(230, 159, 0),
            Series::Capex => RGBColor(34, 34, 34),
            Series::Dscr => RGBColor(204, 121, 167),
            Series::Covenant => RGBColor(200, 30, 30),
            Series::Curtailed => RGBColor(240, 228, 66),
            Series::Reserve => RGBColor(120, 120, 120),
        }
    }
}

/// Line colours of compared worlds, in order (Okabe–Ito; yellow left out, it vanishes
/// on white). World `i` takes `WORLDS[i % WORLDS.len()]`.
pub const WORLDS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(60, 60, 60),
];

/// The colour of the `i`-th compared world.
pub fn world_colour(i: usize) -> RGBColor {
    WORLDS[i % WORLDS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gantt_kinds_have_distinct_colours() {
        let kinds = [Series::Lead, Series::Work, Series::Wait, Series::Energised];
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                assert_ne!(a.colour(), b.colour(), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn power_series_have_distinct_colours() {
        let kinds = [
            Series::Asic,
            Series::Gpu,
            Series::Overhead,
            Series::Interconnect,
            Series::Substations,
        ];
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                assert_ne!(a.colour(), b.colour(), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn finance_series_have_distinct_colours() {
        let kinds = [
            Series::Equity,
            Series::Debt,
            Series::Tenant,
            Series::Capex,
            Series::Dscr,
            Series::Covenant,
        ];
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                assert_ne!(a.colour(), b.colour(), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn compared_worlds_have_distinct_colours() {
        for i in 0..WORLDS.len() {
            for j in i + 1..WORLDS.len() {
                assert_ne!(world_colour(i), world_colour(j));
            }
        }
    }
}
