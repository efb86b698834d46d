//! `market.png`: the mining market a run saw, month by month, in three panels on one
//! month axis: network hashrate (the run's, and the exogenous growth path beside it when
//! the world uses the endogenous supply model), hashprice with the break-even of each
//! of the site's ASIC fleets under the site's on/off rule, and the BTC price.
//!
//! Every figure comes from the run's ledger or the market layer's own functions:
//! hashprice is the network's revenue a day (`network::network_revenue_usd_per_day`,
//! subsidy from `network::Subsidy`) over its hashrate, and a fleet's break-even is
//! `facility::curtail::break_even_usd_per_ph_day`: the hashprice at which the on/off
//! rule is indifferent, i.e. its power at the wall (J/TH × its cooling loop's PUE) at
//! the median path's electricity price, plus the opex of running over idling (worlds
//! with opex by state), over the share of revenue the pool's fee leaves. The exogenous
//! path is the market layer's median path (`MarketPath::median`), the path a run with
//! the exogenous model would have used at the median.

use super::axes::{ValueAxis, month_chart, nice_ceiling};
use super::frame::{Area, Chart, Heading, Scale};
use super::legend::LegendEntry;
use super::marks::{Marker, draw_markers, halvings};
use super::palette::{Series, world_colour};
use super::text::usd_fmt;
use crate::calendar::Calendar;
use crate::engine::RunResult;
use crate::facility::curtail::break_even_usd_per_ph_day;
use crate::market::MarketPath;
use crate::network::{NetworkModel, Subsidy, network_revenue_usd_per_day};
use crate::scenario::{ModelKind, Scenario};
use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// One named line on a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketLine {
    /// Legend text.
    pub label: String,
    /// Colour.
    pub colour: RGBColor,
    /// Dashed (comparison paths and break-evens) or solid.
    pub dashed: bool,
    /// `(month centre, value)` per month.
    pub points: Vec<(f64, f64)>,
}

/// One panel: its axis title, format and lines.
#[derive(Debug, Clone)]
pub struct MarketPanel {
    /// Value-axis title with its unit.
    pub desc: &'static str,
    /// The axis range, in drawn units (log10 of the value on a log axis).
    pub y: std::ops::Range<f64>,
    /// A log axis: the network path of an exogenous model grows by orders of magnitude
    /// over a long horizon, and on a linear axis the model's path would be a flat line.
    pub log: bool,
    /// Axis labels in USD (else plain numbers).
    pub usd: bool,
    /// The lines.
    pub lines: Vec<MarketLine>,
}

/// Everything `market.png` shows.
#[derive(Debug, Clone)]
pub struct MarketChart {
    /// Title, subtitle and legend.
    pub heading: Heading,
    /// The run's months.
    pub calendar: Calendar,
    /// Hashrate, hashprice, BTC price.
    pub panels: [MarketPanel; 3],
    /// Halvings.
    pub markers: Vec<Marker>,
}

impl MarketPanel {
    /// Where value `v` is drawn on this panel's axis.
    pub fn drawn(&self, v: f64) -> f64 {
        if self.log { v.max(1e-9).log10() } else { v }
    }
}

/// `(m + 0.5, v[m])`: month averages at their month's centre.
fn centred(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(m, &x)| (m as f64 + 0.5, x))
        .collect()
}

/// Hashprice per month, USD per PH/s per day: network revenue a day over network PH/s.
fn hashprice(s: &Scenario, r: &RunResult) -> Vec<f64> {
    let subsidy = Subsidy::from_calendar(
        s.markets.block_subsidy_btc,
        &s.markets.halving_days,
        &s.calendar,
    );
    r.ledger
        .iter()
        .enumerate()
        .map(|(m, row)| {
            let btc = subsidy.month_mean_btc(m as u32) + s.markets.fees_btc_per_block;
            let ph_s = row.network_hashrate_eh_s * 1e3;
            if ph_s > 0.0 {
                network_revenue_usd_per_day(btc, row.btc_price_usd) / ph_s
            } else {
                0.0
            }
        })
        .collect()
}

/// The site's ASIC fleets at the start, as (model id, IT J/TH, PUE): each model in a
/// rack group with its loop's PUE in this run (`pue`, its draw when sampled), once per
/// model (the first group that holds it).
fn fleets(s: &Scenario, pue: &[f64]) -> Vec<(String, f64, f64)> {
    let mut out: Vec<(String, f64, f64)> = Vec::new();
    for g in &s.racks {
        let Some((mi, _)) = g.initial else { continue };
        let model = &s.models[mi];
        let ModelKind::Asic { hashrate_gh_s } = model.kind else {
            continue;
        };
        if hashrate_gh_s == 0 || out.iter().any(|(id, ..)| *id == model.id) {
            continue;
        }
        // W per GH/s is kJ per TH: × 1,000 gives J/TH.
        let j_per_th = model.power_w as f64 / hashrate_gh_s as f64 * 1000.0;
        out.push((model.id.clone(), j_per_th, pue[g.cooling]));
    }
    out
}

/// Prepares `market.png` from a run.
pub fn prepare(s: &Scenario, r: &RunResult) -> MarketChart {
    let median = MarketPath::median(&s.markets, r.ledger.len() as u32);
    let hash_lines = hashrate_lines(s, r, &median);
    let price_lines = hashprice_lines(s, r, &median);
    let btc: Vec<f64> = r.ledger.iter().map(|m| m.btc_price_usd).collect();
    let btc_lines = vec![MarketLine {
        label: "BTC price".into(),
        colour: Series::NetOperating.colour(),
        dashed: false,
        points: centred(&btc),
    }];
    let legend = [&hash_lines, &price_lines, &btc_lines]
        .iter()
        .flat_map(|ls| ls.iter())
        .map(|x| {
            if x.dashed {
                LegendEntry::dashed(&x.label, x.colour)
            } else {
                LegendEntry::line(&x.label, x.colour)
            }
        })
        .collect();
    MarketChart {
        heading: Heading {
            title: format!("{} — mining market", s.name),
            subtitle: "Month averages: network hashrate; hashprice (network revenue a day \
                       per PH/s) against each site fleet's break-even under its on/off \
                       rule (power at the median price, plus running opex and the pool's \
                       fee where the world has them); BTC price"
                .into(),
            legend,
        },
        calendar: s.calendar.clone(),
        panels: [
            log_panel("Hashrate (EH/s, log)", hash_lines),
            linear_panel("Hashprice ($/PH/s/day)", price_lines),
            linear_panel("BTC price (USD)", btc_lines),
        ],
        markers: halvings(s),
    }
}

/// The run's network hashrate, and beside a supply model the exogenous path's median.
fn hashrate_lines(s: &Scenario, r: &RunResult, median: &MarketPath) -> Vec<MarketLine> {
    let network: Vec<f64> = r.ledger.iter().map(|m| m.network_hashrate_eh_s).collect();
    let endogenous = matches!(s.network.median, NetworkModel::Supply(_));
    let mut lines = vec![MarketLine {
        label: if endogenous {
            "Network hashrate, supply model (this run)".into()
        } else {
            "Network hashrate (this run)".into()
        },
        colour: Series::Gpu.colour(),
        dashed: false,
        points: centred(&network),
    }];
    if endogenous {
        let exo: Vec<f64> = median
            .network_hashrate_gh_s
            .iter()
            .map(|g| g / 1e9)
            .collect();
        lines.push(MarketLine {
            label: "Exogenous growth path (median)".into(),
            colour: palette_muted(),
            dashed: true,
            points: centred(&exo),
        });
    }
    lines
}

/// The run's hashprice and each starting fleet's cash break-even at the median price.
fn hashprice_lines(s: &Scenario, r: &RunResult, median: &MarketPath) -> Vec<MarketLine> {
    let hp = hashprice(s, r);
    let mut lines = vec![MarketLine {
        label: "Hashprice".into(),
        colour: Series::Asic.colour(),
        dashed: false,
        points: centred(&hp),
    }];
    // The on/off rule's own threshold: power at the wall, plus (with opex by state) the
    // opex of running over idling, over the share of revenue kept after the pool's fee.
    let opex = crate::facility::curtail::weighs_opex(s);
    for (i, (id, it_j_per_th, pue)) in fleets(s, &r.cooling_pue).into_iter().enumerate() {
        let be: Vec<f64> = (median.electricity_usd_per_mwh.iter().enumerate())
            .map(|(m, &p)| {
                let days = s.calendar.label(m as u32).days();
                break_even_usd_per_ph_day(s, it_j_per_th, pue, p, days)
            })
            .collect();
        let wall = it_j_per_th * pue;
        let what = if opex { " + opex" } else { "" };
        lines.push(MarketLine {
            label: format!("Break-even {id} ({wall:.1} J/TH at the wall{what})"),
            colour: world_colour(i + 1),
            dashed: true,
            points: centred(&be),
        });
    }
    lines
}

/// Every finite value the lines plot.
fn line_values(lines: &[MarketLine]) -> Vec<f64> {
    lines
        .iter()
        .flat_map(|x| x.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .collect()
}

/// A USD panel on a linear axis from 0 to a round ceiling above its highest value.
fn linear_panel(desc: &'static str, lines: Vec<MarketLine>) -> MarketPanel {
    let hi = line_values(&lines).into_iter().fold(0.0, f64::max);
    MarketPanel {
        desc,
        y: 0.0..nice_ceiling(hi * 1.1),
        log: false,
        usd: true,
        lines,
    }
}

/// A panel on a log axis spanning whole decades around its positive values.
fn log_panel(desc: &'static str, lines: Vec<MarketLine>) -> MarketPanel {
    let v: Vec<f64> = line_values(&lines)
        .into_iter()
        .filter(|&x| x > 0.0)
        .collect();
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if v.is_empty() { (1.0, 10.0) } else { (lo, hi) };
    MarketPanel {
        desc,
        y: lo.log10().floor()..hi.log10().ceil().max(lo.log10().floor() + 1.0),
        log: true,
        usd: false,
        lines,
    }
}

/// The colour of a comparison path.
fn palette_muted() -> RGBColor {
    super::palette::MUTED
}

/// A log-axis label: the value 10^v, with two significant figures.
fn log_fmt(v: &f64) -> String {
    let x = 10f64.powf(*v);
    if x >= 10.0 {
        let mag = 10f64.powf(x.log10().floor() - 1.0);
        format!("{:.0}", (x / mag).round() * mag)
    } else {
        format!("{x:.1}")
    }
}

impl Chart for MarketChart {
    fn paint<DB: DrawingBackend>(&self, root: &Area<DB>, k: Scale) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let area = self.heading.draw(root, k)?;
        let cells = area.split_evenly((3, 1));
        for (cell, p) in cells.iter().zip(&self.panels) {
            let fmt: &dyn Fn(&f64) -> String = if p.usd { &usd_fmt } else { &log_fmt };
            let y = ValueAxis {
                range: p.y.clone(),
                desc: p.desc,
                fmt,
            };
            let mut chart = month_chart(cell, k, &self.calendar, y, k.px(40.0))?;
            for line in &p.lines {
                let pts: Vec<(f64, f64)> =
                    line.points.iter().map(|&(x, v)| (x, p.drawn(v))).collect();
                let style = line.colour.stroke_width(k.px(3.0) as u32);
                if line.dashed {
                    chart.draw_series(std::iter::once(DashedPathElement::new(
                        pts,
                        k.px(10.0),
                        k.px(6.0),
                        style,
                    )))?;
                } else {
                    chart.draw_series(LineSeries::new(pts, style))?;
                }
            }
            draw_markers(&mut chart, k, &self.markers)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashprice_times_network_hashrate_is_the_networks_daily_revenue() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        let hp = &c.panels[1].lines[0].points;
        assert_eq!(hp.len(), r.ledger.len());
        for (p, row) in hp.iter().zip(&r.ledger) {
            // 144 blocks a day × (subsidy + fees) × price, before the first halving.
            let ph_s = row.network_hashrate_eh_s * 1e3;
            if p.0 < 12.0 {
                let btc = s.markets.block_subsidy_btc + s.markets.fees_btc_per_block;
                let want = 144.0 * btc * row.btc_price_usd / ph_s;
                assert!((p.1 - want).abs() < 1e-9 * want, "{p:?} vs {want}");
            }
        }
        // The teaching world grows the network exogenously: one hashrate line.
        assert_eq!(c.panels[0].lines.len(), 1);
        for panel in &c.panels {
            for p in panel.lines.iter().flat_map(|l| &l.points) {
                assert!(panel.y.contains(&panel.drawn(p.1)), "{} {p:?}", panel.desc);
            }
        }
    }

    #[test]
    fn each_fleet_breaks_even_at_its_wall_efficiency_and_the_power_price() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        let f = fleets(&s, &s.median_pue());
        assert!(!f.is_empty());
        let price = MarketPath::median(&s.markets, 1).electricity_usd_per_mwh[0];
        for (i, (_, it_j_per_th, pue)) in f.iter().enumerate() {
            // 1 PH/s at e J/TH draws e kW: 24·e kWh a day at the price per kWh. The
            // teaching world has no finance section: no opex, no pool fee.
            let want = 24.0 * it_j_per_th * pue * price / 1000.0;
            let got = c.panels[1].lines[i + 1].points[0].1;
            assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        }
    }

    #[test]
    fn the_reference_s21_break_even_counts_opex_and_the_pool_fee_as_model_md_shows() {
        // docs/model.md, market.png's worked example: October 2028, S21 at 17.5 J/TH of
        // IT and PUE 1.2, $40/MWh, (11,700 − 1,000) $/MW-month of running opex over 744
        // hours and 97 % uptime, 4 % pool fee.
        let s = crate::load("worlds/reference.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        let m = (r.ledger.iter())
            .position(|row| row.month.to_string() == "2028-10")
            .unwrap();
        let i = fleets(&s, &r.cooling_pue)
            .iter()
            .position(|(id, ..)| id == "S21")
            .unwrap();
        let power = 24.0 * 17.5 * 1.2 * 40.0 / 1000.0;
        let opex = 24.0 * 17.5 * 10_700.0 / (744.0 * 0.97) / 1000.0;
        let want = (power + opex) / 0.96;
        let got = c.panels[1].lines[i + 1].points[m].1;
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        let page = std::fs::read_to_string("docs/model.md").unwrap();
        let text = format!("(20.16 + {opex:.2}) / 0.96 = **${want:.2}**");
        assert!(page.contains(&text), "docs/model.md should show {text}");
    }

    #[test]
    fn a_supply_model_world_shows_the_exogenous_path_beside_its_own() {
        let s = crate::load("worlds/keep-mining-market.ron").unwrap();
        let r = crate::run(&s, None).unwrap();
        let c = prepare(&s, &r);
        let lines = &c.panels[0].lines;
        assert_eq!(lines.len(), 2);
        let exo = MarketPath::median(&s.markets, r.ledger.len() as u32);
        for (p, g) in lines[1].points.iter().zip(&exo.network_hashrate_gh_s) {
            assert_eq!(p.1, g / 1e9);
        }
        // The two start from the same installed network and then part ways.
        assert!((lines[0].points[0].1 - lines[1].points[0].1).abs() < 0.5 * lines[1].points[0].1);
        assert_ne!(lines[0].points, lines[1].points);
    }
}
