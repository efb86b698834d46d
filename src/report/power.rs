//! `power.png`: stacked ASIC IT, GPU IT and cooling/overhead MW with the interconnect and
//! substation capacity in service; halvings and the first GPU energisation marked.
//!
//! Two things are told apart from headroom (the white gap under the limit lines):
//! - ASIC power curtailed in dear hours (worlds that price power by the hour), from the
//!   ledger's `curtailed_mwh` as a month-average MW band at the top of the stack: the
//!   stack is the load the fleets would draw at a flat price, and the band is the part
//!   of it not drawn;
//! - redundancy reserve (worlds with redundancy groups): the capacity each N+1 or 2N
//!   group keeps for its worst single failure (its members' ratings less what the
//!   scenario's `sellable_w` rule leaves), as a band under the interconnect line. It is
//!   installed but cannot be sold.

use super::axes::{ValueAxis, day_x, month_chart, nice_ceiling};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::{LegendEntry, tint};
use super::marks::{self, Marker, draw_markers};
use super::palette::Series;
use super::text::mw_fmt;
use crate::calendar::{Calendar, Day};
use crate::engine::{CapacityChange, RunResult, ServiceChange};
use crate::ledger::MonthRow;
use crate::scenario::{EquipmentRef, Scenario};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Opacity of the band of switched-off ASICs.
const CURTAILED_ALPHA: f64 = 0.3;

/// Opacity of the redundancy-reserve band.
const RESERVE_ALPHA: f64 = 0.45;

/// One filled layer of the stack: the running total up to and including it, per month.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// What it stands for (and so its colour).
    pub series: Series,
    /// Fill opacity.
    pub alpha: f64,
    /// Top of the layer in each month, MW.
    pub tops_mw: Vec<f64>,
}

/// A label at the right end of a limit line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineLabel {
    /// The value it sits at, MW.
    pub mw: f64,
    /// The text.
    pub text: String,
}

/// Everything `power.png` shows.
#[derive(Debug, Clone)]
pub struct PowerChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The run's months.
    pub calendar: Calendar,
    /// Top of the value axis, MW (the axis starts at zero).
    pub y_max_mw: f64,
    /// Filled layers, drawn in order: the top of the stack first, so each lower layer
    /// paints over the part of the one above that it accounts for.
    pub layers: Vec<Layer>,
    /// The grid interconnect limit, MW.
    pub interconnect_mw: f64,
    /// Substation capacity in service as a step line of (month position, MW).
    pub substations: Vec<(f64, f64)>,
    /// Name of the interconnect line.
    pub interconnect_label: LineLabel,
    /// Name of the substation line, when it ends apart from the interconnect.
    pub substation_label: Option<LineLabel>,
    /// Halvings and the first GPU energisation.
    pub markers: Vec<Marker>,
    /// Per month, the band of ASIC power curtailed in dear hours as (bottom, top) MW;
    /// `None` when the world prices power flat or nothing was curtailed.
    pub price_curtailed_mw: Option<Vec<(f64, f64)>>,
    /// Capacity held back by redundancy groups, MW; `None` without any.
    pub reserve_mw: Option<f64>,
}

/// Month-average MW of ASIC facility power curtailed in dear hours: the ledger's
/// curtailed MWh over the month's hours.
fn price_curtailed(l: &[MonthRow]) -> Option<Vec<(f64, f64)>> {
    let mw: Vec<f64> = l
        .iter()
        .map(|m| {
            let mwh = m.flexibility.map_or(0.0, |f| f.curtailed_mwh);
            mwh / (f64::from(m.month.days()) * 24.0)
        })
        .collect();
    mw.iter().any(|&x| x > 1e-9).then(|| {
        l.iter()
            .zip(&mw)
            .map(|(m, &c)| {
                let top = m.facility_mw.max(0.0);
                ((top - c).max(0.0), top)
            })
            .collect()
    })
}

/// What the redundancy groups keep for their worst single failure, MW.
struct Reserve {
    /// Transformer and substation capacity held back: Σ over power groups of (Σ member
    /// ratings − sellable), by the scenario's rule.
    power_mw: f64,
    /// Cooling capacity (heat rejection) held back by cooling groups.
    cooling_mw: f64,
    /// The part of the power reserve that falls under the interconnect line, the only
    /// reserve a grid-power chart can draw: `min(ic, T) − min(ic, T − power_mw)`, with
    /// `T` every declared transformer's rating. Where the interconnect binds before
    /// the "+1" gear does, it is 0 and no grid headroom is lost to redundancy.
    band_mw: f64,
}

/// The redundancy reserve of a scenario, or `None` without redundancy groups.
fn reserve(s: &Scenario) -> Option<Reserve> {
    use crate::scenario::reliability::sellable_w;
    if s.reliability.redundancy.is_empty() {
        return None;
    }
    let (mut power_w, mut cooling_w) = (0u64, 0u64);
    for h in &s.reliability.redundancy {
        let kept = |k: &crate::scenario::reliability::SchemeSpec| {
            let ratings = k.ratings_w(s);
            ratings.iter().sum::<u64>() - sellable_w(k.scheme, &ratings)
        };
        power_w += h.power.as_ref().map_or(0, kept);
        cooling_w += h.cooling.as_ref().map_or(0, kept);
    }
    let ic = s.interconnect_w as f64 / 1e6;
    let installed = s.transformers.iter().map(|t| t.capacity_w).sum::<u64>() as f64 / 1e6;
    let power_mw = power_w as f64 / 1e6;
    let band_mw = ic.min(installed) - ic.min((installed - power_mw).max(0.0));
    Some(Reserve {
        power_mw,
        cooling_mw: cooling_w as f64 / 1e6,
        band_mw,
    })
}

/// The subtitle's account of the redundancy reserve.
fn reserve_text(r: &Reserve) -> String {
    let kept = format!(
        "; N+1/2N keep {} MW of transformer and {} MW of cooling capacity for a failure",
        mw_fmt(&r.power_mw),
        mw_fmt(&r.cooling_mw)
    );
    if r.band_mw > 1e-9 {
        format!(
            "{kept}: {} MW of it is under the interconnect, installed but not sellable, so \
             headroom ends below it",
            mw_fmt(&r.band_mw)
        )
    } else {
        format!("{kept}, all of it above the interconnect, so no grid headroom is lost to it")
    }
}

/// Prepares `power.png` from a run.
pub fn prepare(s: &Scenario, r: &RunResult) -> PowerChart {
    let l = &r.ledger;
    let curtailed = l.iter().any(|m| m.asic_curtailed_mw > 1e-9);
    let interconnect_mw = s.interconnect_w as f64 / 1e6;
    let subs = substation_steps(&r.capacity_changes);
    let top = l
        .iter()
        .map(|m| m.facility_mw + m.asic_curtailed_mw)
        .chain(subs.iter().map(|x| x.1))
        .fold(interconnect_mw, f64::max);
    let sub_end = subs.last().map_or(0.0, |x| x.1);
    let apart = (sub_end - interconnect_mw).abs() >= 1e-9;
    let mut markers = marks::halvings(s);
    if let Some(d) = r.first_gpu_day {
        markers.push(Marker {
            x: day_x(&s.calendar, d),
            label: format!("First GPUs energised {}", s.calendar.date(d)),
            colour: Series::Gpu.colour(),
        });
    }
    let price_curtailed_mw = price_curtailed(l);
    let reserve = reserve(s);
    let reserve_mw = reserve.as_ref().map(|r| r.band_mw).filter(|&b| b > 1e-9);
    let mut subtitle = "Monthly average load drawn from the grid, stacked by what draws it; \
                        switched-off miners draw nothing"
        .to_string();
    let mut legend = legend(curtailed);
    if price_curtailed_mw.is_some() {
        subtitle.push_str("; the yellow top of the stack was curtailed in dear hours (not drawn)");
        legend.push(LegendEntry::fill(
            "ASIC power curtailed in dear hours (not drawn)",
            Series::Curtailed.colour(),
        ));
    }
    if let Some(r) = &reserve {
        subtitle.push_str(&reserve_text(r));
    }
    if reserve_mw.is_some() {
        legend.push(LegendEntry::fill(
            "Redundancy reserve (N+1 / 2N, not sellable)",
            tint(Series::Reserve.colour(), RESERVE_ALPHA),
        ));
    }
    PowerChart {
        heading: Heading {
            title: format!("{} — site power", s.name),
            subtitle,
            legend,
        },
        price_curtailed_mw,
        reserve_mw,
        calendar: s.calendar.clone(),
        y_max_mw: nice_ceiling(top * 1.18),
        layers: layers(l, curtailed),
        interconnect_mw,
        substations: substation_line(&s.calendar, &subs),
        interconnect_label: LineLabel {
            mw: interconnect_mw,
            text: if apart {
                format!("Interconnect {interconnect_mw:.0} MW")
            } else {
                format!("Interconnect = substations in service: {interconnect_mw:.0} MW")
            },
        },
        substation_label: (apart && sub_end > 0.0).then(|| LineLabel {
            mw: sub_end,
            text: format!("Substations {sub_end:.0} MW"),
        }),
        markers,
    }
}

fn legend(curtailed: bool) -> Vec<LegendEntry> {
    let mut legend = vec![
        LegendEntry::fill("ASIC IT load", Series::Asic.colour()),
        LegendEntry::fill("GPU IT load", Series::Gpu.colour()),
        LegendEntry::fill(
            "Cooling & overhead: IT × (PUE − 1)",
            Series::Overhead.colour(),
        ),
        LegendEntry::line("Grid interconnect limit", Series::Interconnect.colour()),
        LegendEntry::dashed(
            "Substation capacity in service (limits IT load)",
            Series::Substations.colour(),
        ),
    ];
    if curtailed {
        legend.insert(
            3,
            LegendEntry::fill(
                "ASICs switched off as unprofitable (idle, draw nothing)",
                tint(Series::Asic.colour(), CURTAILED_ALPHA),
            ),
        );
    }
    legend
}

/// The stack, top layer first: idle miners (when any were switched off) above the
/// facility load, then IT, then ASIC IT.
fn layers(l: &[MonthRow], curtailed: bool) -> Vec<Layer> {
    let layer = |series, alpha, tops_mw| Layer {
        series,
        alpha,
        tops_mw,
    };
    let facility: Vec<f64> = l.iter().map(|m| m.facility_mw.max(0.0)).collect();
    let mut out = Vec::with_capacity(4);
    if curtailed {
        // Idle miners sit on top of the stack as a pale band: capacity, not draw.
        let idle = l
            .iter()
            .map(|m| m.facility_mw.max(0.0) + m.asic_curtailed_mw)
            .collect();
        out.push(layer(Series::Asic, CURTAILED_ALPHA, idle));
    }
    out.push(layer(Series::Overhead, 1.0, facility));
    let it = l.iter().map(|m| m.asic_it_mw + m.gpu_it_mw).collect();
    out.push(layer(Series::Gpu, 1.0, it));
    out.push(layer(
        Series::Asic,
        1.0,
        l.iter().map(|m| m.asic_it_mw).collect(),
    ));
    out
}

/// Substation capacity in service over time, MW, as `(day, MW)` steps, from the run's
/// capacity changes (existing substations at day 0, new ones from the day they entered
/// service); several changes on one day make one step.
fn substation_steps(changes: &[CapacityChange]) -> Vec<(Day, f64)> {
    let mut total = 0.0;
    let mut out: Vec<(Day, f64)> = Vec::new();
    let subs = changes
        .iter()
        .filter(|c| matches!(c.equipment, EquipmentRef::Substation(_)));
    for c in subs {
        match c.change {
            ServiceChange::InService => total += c.capacity_mw(),
            ServiceChange::OutOfService => total -= c.capacity_mw(),
        }
        match out.last_mut() {
            Some(last) if last.0 == c.day => last.1 = total,
            _ => out.push((c.day, total)),
        }
    }
    out
}

/// The substation steps as a line: vertical at each change, flat to the horizon's end.
fn substation_line(cal: &Calendar, subs: &[(Day, f64)]) -> Vec<(f64, f64)> {
    let months = f64::from(cal.months());
    let mut line: Vec<(f64, f64)> = Vec::new();
    for (i, &(d, mw)) in subs.iter().enumerate() {
        let x = day_x(cal, d);
        if let Some(&(_, prev)) = line.last() {
            line.push((x, prev));
        }
        line.push((x, mw));
        if i + 1 == subs.len() {
            line.push((months, mw));
        }
    }
    line
}

/// Month-average values as a step line: each month is flat over `[m, m + 1)`.
fn steps(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .flat_map(|(m, &v)| [(m as f64, v), (m as f64 + 1.0, v)])
        .collect()
}

impl Chart for PowerChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let y = ValueAxis {
            range: 0.0..self.y_max_mw,
            desc: "Power (MW)",
            fmt: &mw_fmt,
        };
        let mut chart = month_chart(&area, k, &self.calendar, y, k.px(40.0))?;
        // plotters has no stacked area: the layers are running totals, top first.
        for layer in &self.layers {
            chart.draw_series(AreaSeries::new(
                steps(&layer.tops_mw),
                0.0,
                layer.series.colour().mix(layer.alpha).filled(),
            ))?;
        }
        let months = f64::from(self.calendar.months());
        let ic = self.interconnect_mw;
        if let Some(bands) = &self.price_curtailed_mw {
            chart.draw_series(bands.iter().enumerate().filter(|(_, b)| b.1 > b.0).map(
                |(m, &(lo, hi))| {
                    Rectangle::new(
                        [(m as f64, lo), (m as f64 + 1.0, hi)],
                        Series::Curtailed.colour().filled(),
                    )
                },
            ))?;
        }
        if let Some(r) = self.reserve_mw {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, (ic - r).max(0.0)), (months, ic)],
                Series::Reserve.colour().mix(RESERVE_ALPHA).filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(
            vec![(0.0, ic), (months, ic)],
            Series::Interconnect.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        chart.draw_series(DashedLineSeries::new(
            self.substations.clone(),
            k.px(12.0),
            k.px(7.0),
            Series::Substations.colour().stroke_width(k.px(3.0) as u32),
        ))?;
        // Name the limit lines where they end, so they read without the legend.
        let font = k.note();
        let lines = [
            (
                Some(&self.interconnect_label),
                Series::Interconnect,
                -1,
                VPos::Bottom,
            ),
            (
                self.substation_label.as_ref(),
                Series::Substations,
                1,
                VPos::Top,
            ),
        ];
        for (label, series, dir, vpos) in lines {
            let Some(label) = label else { continue };
            chart.draw_series(std::iter::once(
                EmptyElement::at((months, label.mw))
                    + Text::new(
                        label.text.clone(),
                        (-k.px(8.0), dir * k.px(6.0)),
                        font.color(&series.colour())
                            .pos(Pos::new(HPos::Right, vpos)),
                    ),
            ))?;
        }
        draw_markers(&mut chart, k, &self.markers)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teaching() -> (Scenario, RunResult) {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        (s, r)
    }

    #[test]
    fn the_stack_sums_to_the_facility_load() {
        let (s, r) = teaching();
        let c = prepare(&s, &r);
        let by = |series| {
            c.layers
                .iter()
                .find(|l| l.series == series && l.alpha == 1.0)
                .unwrap()
        };
        let (asic, it, all) = (by(Series::Asic), by(Series::Gpu), by(Series::Overhead));
        for (m, row) in r.ledger.iter().enumerate() {
            assert_eq!(all.tops_mw[m], row.facility_mw.max(0.0));
            assert_eq!(it.tops_mw[m], row.asic_it_mw + row.gpu_it_mw);
            assert_eq!(asic.tops_mw[m], row.asic_it_mw);
            // Each layer lies on the one below it.
            assert!(asic.tops_mw[m] <= it.tops_mw[m] + 1e-9);
            assert!(it.tops_mw[m] <= all.tops_mw[m] + 1e-9);
        }
    }

    #[test]
    fn the_value_range_holds_every_point_and_limit() {
        let (s, r) = teaching();
        let c = prepare(&s, &r);
        let all = c.layers.iter().flat_map(|l| &l.tops_mw);
        let subs = c.substations.iter().map(|p| &p.1);
        for &v in all.chain(subs).chain([&c.interconnect_mw]) {
            assert!(
                (0.0..=c.y_max_mw).contains(&v),
                "{v} outside 0..{}",
                c.y_max_mw
            );
        }
        // Substation points run left to right within the horizon.
        let months = f64::from(s.calendar.months());
        for w in c.substations.windows(2) {
            assert!(w[0].0 <= w[1].0 && w[1].0 <= months);
        }
    }

    #[test]
    fn the_first_gpu_marker_sits_in_the_first_gpu_month() {
        let (s, r) = teaching();
        let c = prepare(&s, &r);
        let gpu = c
            .markers
            .iter()
            .find(|m| m.label.starts_with("First GPUs"))
            .unwrap();
        let month = s.calendar.label(gpu.x.floor() as u32);
        assert_eq!(Some(month), r.summary.first_gpu_month);
        // It is the first month with GPU load in the ledger (load is a month average).
        let first_load = r.ledger.iter().position(|m| m.gpu_it_mw > 0.0).unwrap();
        assert_eq!(gpu.x.floor() as usize, first_load);
    }

    #[test]
    fn idle_miners_are_a_layer_only_when_some_were_switched_off() {
        let (s, r) = teaching();
        let curtailed = r.ledger.iter().any(|m| m.asic_curtailed_mw > 1e-9);
        let c = prepare(&s, &r);
        assert_eq!(c.layers.len(), if curtailed { 4 } else { 3 });
        assert_eq!(c.heading.legend.len(), if curtailed { 6 } else { 5 });
    }

    #[test]
    fn substation_capacity_steps_with_each_change_of_service() {
        let change = |day, i, change, mw: u64| CapacityChange {
            day,
            equipment: EquipmentRef::Substation(i),
            change,
            capacity_w: mw * 1_000_000,
        };
        let transformer = CapacityChange {
            day: 5,
            equipment: EquipmentRef::Transformer(0),
            change: ServiceChange::InService,
            capacity_w: 99_000_000,
        };
        let changes = [
            change(0, 0, ServiceChange::InService, 40),
            change(0, 1, ServiceChange::InService, 20),
            transformer,
            change(300, 2, ServiceChange::InService, 60),
            change(500, 1, ServiceChange::OutOfService, 20),
        ];
        // Same-day changes make one step; transformers are not substations.
        assert_eq!(
            substation_steps(&changes),
            vec![(0, 60.0), (300, 120.0), (500, 100.0)]
        );
    }

    #[test]
    fn a_hand_built_stack_steps_month_by_month() {
        assert_eq!(
            steps(&[1.0, 3.0]),
            vec![(0.0, 1.0), (1.0, 1.0), (1.0, 3.0), (2.0, 3.0)]
        );
        let cal = Calendar::new(
            crate::calendar::YearMonth {
                year: 2026,
                month: 1,
            },
            3,
        );
        // 10 MW from day 0, 25 MW from mid-February.
        let line = substation_line(&cal, &[(0, 10.0), (31 + 14, 25.0)]);
        assert_eq!(
            line,
            vec![(0.0, 10.0), (1.5, 10.0), (1.5, 25.0), (3.0, 25.0)]
        );
    }

    #[test]
    fn price_curtailment_is_the_ledgers_mwh_over_the_months_hours_atop_the_stack() {
        let s = crate::load("worlds/keep-mining-market.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        let bands = c.price_curtailed_mw.as_ref().expect("dear hours curtailed");
        let mut total_mwh = 0.0;
        for ((lo, hi), row) in bands.iter().zip(&r.ledger) {
            let hours = f64::from(row.month.days()) * 24.0;
            let mwh = row.flexibility.unwrap().curtailed_mwh;
            assert_eq!(*hi, row.facility_mw);
            // Never below zero: curtailing cannot exceed the load drawn at a flat price.
            assert!(*lo >= 0.0 && (hi - lo - mwh / hours).abs() < 1e-9);
            assert!(*hi <= c.y_max_mw);
            total_mwh += (hi - lo) * hours;
        }
        let ledger_mwh: f64 = r
            .ledger
            .iter()
            .map(|m| m.flexibility.unwrap().curtailed_mwh)
            .sum();
        assert!((total_mwh - ledger_mwh).abs() < 1e-6 * ledger_mwh.max(1.0));
        assert!(
            c.heading
                .legend
                .iter()
                .any(|e| e.label.contains("dear hours"))
        );
    }

    #[test]
    fn redundancy_reserve_is_the_capacity_kept_for_the_worst_failure() {
        use crate::scenario::reliability::{RedundancySpec, Scheme, SchemeSpec};
        let (mut s, r) = teaching();
        assert_eq!(prepare(&s, &r).reserve_mw, None, "no groups, no reserve");
        // Three equal transformers (2.5 MVA, real power at the world's power factor):
        // at N+1 they survive the loss of one, so one rating is held back.
        let rating_mw = s.transformers[0].capacity_w as f64 / 1e6;
        assert!((1..3).all(|i| s.transformers[i].capacity_w == s.transformers[0].capacity_w));
        let members: Vec<EquipmentRef> = (0..3).map(EquipmentRef::Transformer).collect();
        // An interconnect above every declared transformer: all of the reserve is
        // capacity the grid could otherwise have fed.
        let installed_w: u64 = s.transformers.iter().map(|t| t.capacity_w).sum();
        s.interconnect_w = installed_w;
        s.reliability.redundancy.push(RedundancySpec {
            hall: "A".into(),
            power: Some(SchemeSpec {
                scheme: Scheme::NPlus1,
                members: members.clone(),
                ups: Vec::new(),
            }),
            cooling: None,
            requires_backup: false,
        });
        assert_eq!(prepare(&s, &r).reserve_mw, Some(rating_mw));
        // The same three at 2N: half of the three ratings is kept.
        if let Some(k) = s.reliability.redundancy[0].power.as_mut() {
            k.scheme = Scheme::TwoN;
        }
        let c = prepare(&s, &r);
        assert_eq!(c.reserve_mw, Some(1.5 * rating_mw));
        let text = format!(
            "{} MW of it is under the interconnect",
            mw_fmt(&(1.5 * rating_mw))
        );
        assert!(c.heading.subtitle.contains(&text), "{}", c.heading.subtitle);
        // Below the interconnect only what it could feed counts: at the installed
        // capacity less half the reserve, half the reserve is drawn.
        s.interconnect_w = installed_w - (0.75 * rating_mw * 1e6) as u64;
        let half = prepare(&s, &r).reserve_mw.unwrap();
        assert!((half - 0.75 * rating_mw).abs() < 1e-6, "{half}");
        // Spare transformer capacity above the interconnect is no grid headroom lost:
        // with the interconnect at the installed capacity less the 2N reserve, no band.
        s.interconnect_w = installed_w - (1.5 * rating_mw * 1e6) as u64;
        let c = prepare(&s, &r);
        assert_eq!(c.reserve_mw, None);
        assert!(
            c.heading.subtitle.contains("no grid headroom is lost"),
            "{}",
            c.heading.subtitle
        );
    }
}
