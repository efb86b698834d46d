//! The classroom page's controls, mapped to world fields, and the edit of the world
//! text they make: each control replaces values in place (by their byte spans from
//! [`crate::report::html::assumptions`]), so the edited file keeps every comment and
//! loads with `retrofit run` like the original.

use crate::report::html::assumptions::{Input, inputs};
use crate::scenario::{ActionSpec, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a control edits.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// One number, written as a float.
    Number(usize),
    /// A plan step's `start`, written as `"YYYY-MM"`.
    Month(usize),
    /// Every step's `cost_usd`, scaled so capex per MW of GPU IT becomes the value
    /// (in millions of USD); `base` is the world's own figure.
    CapexPerMw {
        spans: Vec<usize>,
        base_musd_per_mw: f64,
    },
}

/// One control on the page.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// Key the page sends back with a value.
    pub id: String,
    /// What the teacher sees.
    pub label: String,
    /// Unit shown beside it.
    pub unit: String,
    /// `number` or `month`.
    pub kind: &'static str,
    /// The world's own value.
    pub value: String,
    /// Slider range for numbers.
    pub min: f64,
    /// Slider range for numbers.
    pub max: f64,
    /// Slider step for numbers.
    pub step: f64,
    #[serde(skip)]
    target: Target,
}

/// The controls a world offers: BTC price, network growth, lease rate, each order step's
/// date, each decommission step's date, capex per MW. A world without one of these
/// fields simply has no such control, and a world on the network supply model has no
/// growth control.
pub fn controls(text: &str, s: &Scenario) -> Vec<Control> {
    let all = inputs(text);
    let find = |p: &dyn Fn(&str) -> bool| all.iter().position(|i| p(&i.path));
    let mut out = Vec::new();
    let btc = find(&|p| p == "markets.btc_price_usd.start" || p == "markets.btc_price_usd.0");
    if let Some(i) = btc {
        out.push(number(
            &all,
            i,
            "btc_price_usd",
            "BTC price",
            (10_000.0, 300_000.0, 1_000.0),
        ));
    }
    // Under the supply model the growth figure only draws market.png's comparison
    // line, so a slider on it would move nothing the page reports.
    let exogenous = matches!(
        s.network.median,
        crate::network::NetworkModel::Exogenous { .. }
    );
    if let Some(i) = find(&|p| p == "markets.network_growth_per_year").filter(|_| exogenous) {
        let c = number(
            &all,
            i,
            "network_growth_per_year",
            "Network hashrate growth",
            (0.0, 1.0, 0.01),
        );
        out.push(c);
    }
    if let Some(i) = find(&|p| p == "markets.gpu_lease.usd_per_kw_month") {
        out.push(number(
            &all,
            i,
            "lease_usd_per_kw_month",
            "GPU lease rate",
            (40.0, 250.0, 0.5),
        ));
    }
    for step in &s.plan {
        let label = match step.action {
            ActionSpec::Order(_) => "Order date of",
            ActionSpec::Decommission(_) => "Decommission date of",
            _ => continue,
        };
        // By the step's id, not its index: `Fail` steps are in the file's plan but not
        // in the checked one, so the two numberings differ after one.
        let start = |i: &Input| {
            i.entity == step.id && i.path.starts_with("plan[") && i.path.ends_with("].start")
        };
        if let Some(i) = all.iter().position(start) {
            out.push(Control {
                id: format!("start:{}", step.id),
                label: format!("{label} step {}", step.id),
                unit: "month".into(),
                kind: "month",
                value: all[i].value.chars().take(7).collect(),
                min: 0.0,
                max: 0.0,
                step: 0.0,
                target: Target::Month(i),
            });
        }
    }
    out.extend(capex_control(&all, s));
    out
}

fn number(all: &[Input], i: usize, id: &str, label: &str, range: (f64, f64, f64)) -> Control {
    let v: f64 = all[i].value.parse().unwrap_or(range.0);
    Control {
        id: id.into(),
        label: label.into(),
        unit: all[i].unit.clone(),
        kind: "number",
        value: all[i].value.clone(),
        min: range.0.min(v),
        max: range.1.max(v),
        step: range.2,
        target: Target::Number(i),
    }
}

/// Capex per MW of GPU IT: the plan's step costs over the GPU IT its unit installs.
fn capex_control(all: &[Input], s: &Scenario) -> Option<Control> {
    let gpu_it_w: f64 = s
        .plan
        .iter()
        .filter_map(|st| match st.action {
            ActionSpec::InstallUnits {
                group,
                model,
                per_rack,
                ..
            } => Some(
                f64::from(s.racks[group].count)
                    * f64::from(per_rack)
                    * s.models[model].power_w as f64,
            ),
            _ => None,
        })
        .sum();
    let spans: Vec<usize> = (0..all.len())
        .filter(|&i| {
            let p = &all[i].path;
            p.starts_with("plan[") && p.ends_with("].cost_usd")
        })
        .collect();
    let cost: f64 = spans
        .iter()
        .filter_map(|&i| all[i].value.parse::<f64>().ok())
        .sum();
    if gpu_it_w <= 0.0 || cost <= 0.0 {
        return None;
    }
    let base = cost / (gpu_it_w / 1e6) / 1e6;
    Some(Control {
        id: "capex_musd_per_mw".into(),
        label: "Capex per MW of GPU IT (scales every step's cost)".into(),
        unit: "million USD per MW".into(),
        kind: "number",
        value: format!("{base:.3}"),
        min: 0.0,
        max: (base * 3.0).max(30.0),
        step: 0.1,
        target: Target::CapexPerMw {
            spans,
            base_musd_per_mw: base,
        },
    })
}

/// A value the page sent that cannot be written into the world.
#[derive(Debug, Clone, PartialEq)]
pub struct BadValue(pub String);

/// The world text with the page's `values` (control id → value) written in. Unknown
/// ids and values that are not numbers or months are refused with a message; whether
/// the edited world is valid is then for the checker to say.
pub fn apply(
    text: &str,
    controls: &[Control],
    values: &BTreeMap<String, String>,
) -> Result<String, BadValue> {
    let all = inputs(text);
    let mut edits: Vec<((usize, usize), String)> = Vec::new();
    for (id, value) in values {
        let c = controls
            .iter()
            .find(|c| &c.id == id)
            .ok_or_else(|| BadValue(format!("unknown control `{id}`")))?;
        let value = value.trim();
        match &c.target {
            Target::Number(i) => edits.push((all[*i].span, float(number_of(c, value)?))),
            Target::Month(i) => edits.push((all[*i].span, format!("\"{}\"", month(c, value)?))),
            Target::CapexPerMw {
                spans,
                base_musd_per_mw,
            } => {
                let k = number_of(c, value)? / base_musd_per_mw;
                for &i in spans {
                    let old: f64 = all[i].value.parse().unwrap_or(0.0);
                    edits.push((all[i].span, float((old * k).round())));
                }
            }
        }
    }
    // Last span first, so earlier byte offsets stay valid while replacing.
    edits.sort_by_key(|e| std::cmp::Reverse(e.0.0));
    let mut out = text.to_string();
    for ((from, to), new) in edits {
        out.replace_range(from..to, &new);
    }
    Ok(out)
}

fn number_of(c: &Control, v: &str) -> Result<f64, BadValue> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(BadValue(format!("{}: `{v}` is not a number", c.label))),
    }
}

fn month(c: &Control, v: &str) -> Result<String, BadValue> {
    let b = v.as_bytes();
    let ok = b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, ch)| i == 4 || ch.is_ascii_digit());
    if ok {
        Ok(v.to_string())
    } else {
        Err(BadValue(format!(
            "{}: `{v}` is not a month like 2027-06",
            c.label
        )))
    }
}

/// A float as RON reads it (always with a decimal point or exponent).
fn float(x: f64) -> String {
    format!("{x:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> (String, Scenario) {
        let text = include_str!("../../worlds/reference.ron").to_string();
        let s = crate::load_str(&text, "reference.ron").unwrap();
        (text, s)
    }

    #[test]
    fn the_reference_world_offers_every_kind_of_control() {
        let (text, s) = reference();
        let ids: Vec<String> = controls(&text, &s).into_iter().map(|c| c.id).collect();
        for id in [
            "btc_price_usd",
            "lease_usd_per_kw_month",
            "start:order-T-G2",
            "start:decommission-B",
            "capex_musd_per_mw",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
        }
        // Its network follows the supply model: the growth figure moves no result.
        assert!(!ids.iter().any(|i| i == "network_growth_per_year"));
        let teaching = include_str!("../../worlds/teaching.ron");
        let t = crate::load_str(teaching, "teaching.ron").unwrap();
        let ids: Vec<String> = controls(teaching, &t).into_iter().map(|c| c.id).collect();
        assert!(ids.iter().any(|i| i == "network_growth_per_year"));
    }

    #[test]
    fn an_edit_changes_the_field_and_keeps_the_comments() {
        let (text, s) = reference();
        let cs = controls(&text, &s);
        let values = BTreeMap::from([("lease_usd_per_kw_month".to_string(), "100".to_string())]);
        let edited = apply(&text, &cs, &values).unwrap();
        assert!(edited.contains("usd_per_kw_month: 100.0"));
        assert!(edited.contains("Core Scientific → CoreWeave"));
        let e = crate::load_str(&edited, "edited").unwrap();
        assert_eq!(e.markets.gpu_lease.unwrap().usd_per_kw_month, 100.0);
    }

    #[test]
    fn capex_per_mw_scales_every_step_cost_in_proportion() {
        let (text, s) = reference();
        let cs = controls(&text, &s);
        let c = cs.iter().find(|c| c.id == "capex_musd_per_mw").unwrap();
        let base: f64 = c.value.parse().unwrap();
        assert!((base - 9.0).abs() < 0.01, "reference is $9M/MW, got {base}");
        let values = BTreeMap::from([(c.id.clone(), format!("{}", base * 2.0))]);
        let e = crate::load_str(&apply(&text, &cs, &values).unwrap(), "x").unwrap();
        let cost = |sc: &Scenario| sc.plan.iter().map(|p| p.cost_usd).sum::<f64>();
        let ratio = cost(&e) / cost(&s);
        assert!((ratio - 2.0).abs() < 1e-3, "{ratio}");
    }

    #[test]
    fn bad_values_are_refused_with_the_control_named() {
        let (text, s) = reference();
        let cs = controls(&text, &s);
        for (id, v) in [
            ("lease_usd_per_kw_month", "abc"),
            ("lease_usd_per_kw_month", "NaN"),
            ("start:decommission-B", "2028-4"),
            ("nope", "1"),
        ] {
            let values = BTreeMap::from([(id.to_string(), v.to_string())]);
            assert!(apply(&text, &cs, &values).is_err(), "{id}={v}");
        }
    }
}
