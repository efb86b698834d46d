//! Every numeric input of a world, found generically in the world's value tree.
//!
//! A parsed [`WorldFile`](crate::world::WorldFile) is serialised to a
//! [`serde_json::Value`] tree; every number in it is an input. Nothing here names a
//! field of the schema, so inputs that later layers add to the world file (finance,
//! market) are picked up without a change here. Paths read like the file:
//! `cooling_loops[DLC-2].pue` (list elements with an `id` are named by it, enum variant
//! names such as `ToOrder` or `Constant` are left out of the label), and a changed value
//! is written back into a copy of the tree, which is then parsed and checked as any
//! world file would be.

use crate::dist::Dist;
use serde_json::{Number, Value};

/// One step of a path into the value tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A field (or an enum variant's tag) of an object.
    Key(String),
    /// An element of a list.
    Index(usize),
}

/// What kind of number an input is, which decides how it is varied and written back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputKind {
    /// A real number.
    Float,
    /// A whole number (a count); written back rounded, and moved by at least 1.
    Integer,
    /// A list of numbers (a monthly series), varied as a whole: its value is the
    /// series' mean and a new value scales every entry by the same factor.
    Series,
    /// An uncertain quantity given as a distribution. Its value is a fixed number that
    /// replaces the distribution; its base value is the median the plain run uses.
    Quantity(Dist),
}

/// One numeric input of a world.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Where it sits in the value tree.
    pub path: Vec<Seg>,
    /// Readable path, e.g. `cooling_loops[DLC-2].pue`.
    pub label: String,
    /// How it varies.
    pub kind: InputKind,
    /// Its value in the world as given.
    pub base: f64,
}

/// Every numeric input of a value tree, in a fixed order (object keys sorted, list
/// elements in file order), so the order never depends on how the tree was built.
pub fn enumerate(tree: &Value) -> Vec<Input> {
    let mut out = Vec::new();
    walk(tree, &mut Vec::new(), &mut String::new(), &mut out);
    out
}

fn walk(v: &Value, path: &mut Vec<Seg>, label: &mut String, out: &mut Vec<Input>) {
    match v {
        Value::Number(n) => out.push(Input {
            path: path.clone(),
            label: label.clone(),
            kind: if n.is_f64() {
                InputKind::Float
            } else {
                InputKind::Integer
            },
            base: n.as_f64().unwrap_or(0.0),
        }),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_f64) => {
            let sum: f64 = items.iter().filter_map(Value::as_f64).sum();
            out.push(Input {
                path: path.clone(),
                label: label.clone(),
                kind: InputKind::Series,
                base: sum / items.len() as f64,
            });
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let name = element_id(item).map_or_else(|| i.to_string(), str::to_string);
                descend(item, path, label, Seg::Index(i), &format!("[{name}]"), out);
            }
        }
        Value::Object(map) => {
            if let Some(d) = as_distribution(v) {
                out.push(Input {
                    path: path.clone(),
                    label: label.clone(),
                    kind: InputKind::Quantity(d),
                    base: d.median(),
                });
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                // serde's externally tagged enums put the variant name in a key; it
                // says nothing a reader needs (`supply.ToOrder.cost_usd`), so the
                // label leaves it out.
                let shown = if is_variant(k) {
                    String::new()
                } else if label.is_empty() {
                    k.clone()
                } else {
                    format!(".{k}")
                };
                descend(&map[k], path, label, Seg::Key(k.clone()), &shown, out);
            }
        }
        _ => {}
    }
}

fn descend(
    v: &Value,
    path: &mut Vec<Seg>,
    label: &mut String,
    seg: Seg,
    shown: &str,
    out: &mut Vec<Input>,
) {
    let len = label.len();
    path.push(seg);
    label.push_str(shown);
    walk(v, path, label, out);
    label.truncate(len);
    path.pop();
}

fn is_variant(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The `id` of a list element: its own `id` field, or that of the one variant it
/// holds (`unit_models: [Asic(id: "S21", …)]`).
fn element_id(v: &Value) -> Option<&str> {
    let map = v.as_object()?;
    if let Some(id) = map.get("id").and_then(Value::as_str) {
        return Some(id);
    }
    match map.iter().next() {
        Some((k, inner)) if map.len() == 1 && is_variant(k) => {
            inner.get("id").and_then(Value::as_str)
        }
        _ => None,
    }
}

/// The distribution a node stands for, if it is one (other than `Fixed`, which is a
/// plain number and is found as such).
pub fn as_distribution(v: &Value) -> Option<Dist> {
    let map = v.as_object()?;
    let (k, _) = map.iter().next()?;
    if map.len() != 1 || !is_variant(k) || k == "Fixed" {
        return None;
    }
    serde_json::from_value::<Dist>(v.clone()).ok()
}

/// A copy of `tree` with `input` set to `value` (see [`InputKind`] for what a value
/// means for each kind). An integer input set to a negative or fractional value is
/// written as that number, so parsing the tree reports it as a wrong type, as it would
/// in a file.
pub fn with_value(tree: &Value, input: &Input, value: f64) -> Value {
    let mut out = tree.clone();
    if let Some(node) = node_mut(&mut out, &input.path) {
        *node = written(node, input, value);
    }
    out
}

/// Sets several inputs at once (used by global sensitivity analysis).
pub fn with_values(tree: &Value, inputs: &[(&Input, f64)]) -> Value {
    let mut out = tree.clone();
    for &(input, value) in inputs {
        if let Some(node) = node_mut(&mut out, &input.path) {
            *node = written(node, input, value);
        }
    }
    out
}

fn written(node: &Value, input: &Input, value: f64) -> Value {
    let num = |x: f64| Number::from_f64(x).map_or(Value::Null, Value::Number);
    match input.kind {
        InputKind::Float => num(value),
        InputKind::Integer if value >= 0.0 && value.fract() == 0.0 && value <= u64::MAX as f64 => {
            Value::Number(Number::from(value as u64))
        }
        InputKind::Integer => num(value),
        InputKind::Series => {
            let factor = if input.base == 0.0 {
                None
            } else {
                Some(value / input.base)
            };
            let items = node.as_array().map_or(&[][..], Vec::as_slice);
            Value::Array(
                items
                    .iter()
                    .map(|x| match factor {
                        Some(f) => num(x.as_f64().unwrap_or(0.0) * f),
                        None => num(value),
                    })
                    .collect(),
            )
        }
        // `Fixed(x)` parses wherever a distribution does, whether the field holds a
        // plain number or a distribution.
        InputKind::Quantity(_) => {
            let mut m = serde_json::Map::new();
            m.insert("Fixed".into(), num(value));
            Value::Object(m)
        }
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |node, seg| match seg {
        Seg::Key(k) => node.get_mut(k.as_str()),
        Seg::Index(i) => node.get_mut(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Value {
        serde_json::json!({
            "site": {"interconnect_mw": 100.0, "horizon_months": 12,
                     "price": {"Monthly": [10.0, 20.0, 30.0]}},
            "cooling_loops": [
                {"id": "DLC-2", "pue": 1.3,
                 "supply": {"ToOrder": {"cost_usd": 5.0,
                     "lead_time_weeks": {"Triangular": {"min": 1.0, "mode": 2.0, "max": 4.0}}}}}
            ],
            "unit_models": [{"Asic": {"id": "S21", "power_w": 3500.0}}],
            "plan": [{"id": "x", "duration_days": {"Fixed": 3.0}}],
            "halvings": ["2028-04-15"]
        })
    }

    #[test]
    fn labels_use_ids_and_leave_out_variant_names() {
        let labels: Vec<String> = enumerate(&tree()).into_iter().map(|i| i.label).collect();
        for want in [
            "cooling_loops[DLC-2].pue",
            "cooling_loops[DLC-2].supply.cost_usd",
            "cooling_loops[DLC-2].supply.lead_time_weeks",
            "cooling_loops[DLC-2].supply.lead_time_weeks.mode",
            "unit_models[S21].power_w",
            "plan[x].duration_days",
            "site.price",
            "site.horizon_months",
        ] {
            assert!(
                labels.iter().any(|l| l == want),
                "{want} missing in {labels:?}"
            );
        }
        // The strings (ids, dates) are not inputs; the monthly series is one input.
        assert_eq!(labels.len(), 11, "{labels:?}");
    }

    #[test]
    fn values_are_written_back_by_kind() {
        let t = tree();
        let inputs = enumerate(&t);
        let find = |l: &str| inputs.iter().find(|i| i.label == l).unwrap();
        let series = find("site.price");
        assert_eq!(series.base, 20.0);
        let t2 = with_value(&t, series, 30.0);
        assert_eq!(
            t2["site"]["price"]["Monthly"],
            serde_json::json!([15.0, 30.0, 45.0])
        );
        let q = find("cooling_loops[DLC-2].supply.lead_time_weeks");
        assert!(matches!(q.kind, InputKind::Quantity(_)));
        let t3 = with_value(&t, q, 3.5);
        assert_eq!(
            t3["cooling_loops"][0]["supply"]["ToOrder"]["lead_time_weeks"],
            serde_json::json!({"Fixed": 3.5})
        );
        let n = find("site.horizon_months");
        assert_eq!(n.kind, InputKind::Integer);
        assert!(with_value(&t, n, 13.0)["site"]["horizon_months"].is_u64());
        assert!(with_value(&t, n, 13.5)["site"]["horizon_months"].is_f64());
    }
}
