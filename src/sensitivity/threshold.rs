//! Thresholds: for each input, how far it can move before the decision changes, found
//! by bisection on the engine (not by extrapolating a slope).
//!
//! The decision is what a planner would act on: whether NPV is ≥ 0, whether the site
//! pays back within the horizon, which plan steps never finish (a hall that never
//! energises) and which limits delay a step. From the base value the search walks
//! outwards on a grid of [`GRID_POINTS`] to each end of the input's search range, and
//! bisects the first grid interval in which the decision differs until the interval is
//! as narrow as the number type allows.

use super::eval::{Evaluation, evaluate};
use super::inputs::{Input, InputKind, with_value};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// Grid points per side before bisecting. Eight finds a decision change that persists
/// over at least 1/8 of the half-range; a change that appears and disappears between
/// two grid points is missed (stated in the output's documentation).
pub const GRID_POINTS: usize = 8;

/// Default half-width of the threshold search: ±50 % of the base value, wider than the
/// one-at-a-time range because the question is how far an input may move before the
/// decision changes, not how much it moves the metric nearby.
pub const SEARCH_FRACTION: f64 = 0.5;

/// What a planner acts on in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The variant is not a valid world (rule broken).
    Invalid(String),
    /// The variant ran.
    Ran {
        /// NPV ≥ 0.
        npv_non_negative: bool,
        /// Cumulative cash, having gone negative, is ≥ 0 by the horizon and stays so
        /// (`Some(true)`) or not (`Some(false)`); `None` when it never went negative, so
        /// there is nothing to pay back.
        pays_back: Option<bool>,
        /// Plan steps that never finish, with the short reason.
        never_finish: BTreeSet<(String, String)>,
        /// Limits that delay some step.
        binding: BTreeSet<String>,
    },
}

impl Decision {
    /// The decision of one evaluation.
    pub fn of(e: &Evaluation) -> Self {
        match e {
            Evaluation::Ran(o) => Decision::Ran {
                npv_non_negative: o.npv_usd >= 0.0,
                pays_back: o.went_negative().then_some(o.payback_month.is_some()),
                never_finish: o.unfinished.iter().cloned().collect(),
                binding: o.binding_limits.clone(),
            },
            Evaluation::Invalid { rule, .. } => Decision::Invalid(rule.clone()),
            Evaluation::Failed(_) => Decision::Invalid("engine".into()),
        }
    }

    /// What differs from `base`, in words, e.g. `step gpu-hall-2 never finishes (site
    /// interconnect limit)`.
    pub fn change_from(&self, base: &Decision) -> Vec<String> {
        let (
            Decision::Ran {
                npv_non_negative: n0,
                pays_back: p0,
                never_finish: u0,
                binding: b0,
            },
            Decision::Ran {
                npv_non_negative: n1,
                pays_back: p1,
                never_finish: u1,
                binding: b1,
            },
        ) = (base, self)
        else {
            return match self {
                Decision::Invalid(rule) => vec![format!("the world is invalid [{rule}]")],
                Decision::Ran { .. } => vec!["the world becomes valid".into()],
            };
        };
        let mut out = Vec::new();
        for (step, why) in u1.difference(u0) {
            out.push(format!("step {step} never finishes ({why})"));
        }
        for (step, _) in u0.difference(u1) {
            out.push(format!("step {step} now finishes"));
        }
        if n0 != n1 {
            out.push(format!(
                "NPV turns {}",
                if *n1 { "≥ 0" } else { "negative" }
            ));
        }
        if p0 != p1 {
            out.push(match p1 {
                Some(true) => "pays back within the horizon".into(),
                Some(false) => "payback leaves the horizon".into(),
                None => "cumulative cash never goes negative (nothing to pay back)".into(),
            });
        }
        for l in b1.difference(b0) {
            out.push(format!("{l} starts to delay a step"));
        }
        for l in b0.difference(b1) {
            out.push(format!("{l} no longer delays any step"));
        }
        out
    }
}

/// Where a decision changes along one side of one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crossing {
    /// True for the side above the base value.
    pub upward: bool,
    /// The last value found that keeps the base decision.
    #[serde(with = "super::eval::f64_bits")]
    pub last_same: f64,
    /// The first value found with a different decision.
    #[serde(with = "super::eval::f64_bits")]
    pub first_changed: f64,
    /// What changes, in words.
    pub change: Vec<String>,
    /// For an invalid world, the message of the rule broken.
    pub detail: String,
}

impl Crossing {
    /// True when the change is that the world stops being valid (a check rule), not a
    /// change in what the plan achieves.
    pub fn is_validity_limit(&self) -> bool {
        !self.detail.is_empty()
    }
}

/// The search range of an input: base × (1 ± [`SEARCH_FRACTION`]), P1–P99 for a
/// distribution, a declared range if given (widened to include the base).
pub fn search_range(input: &Input, declared: Option<(f64, f64)>) -> (f64, f64) {
    let b = input.base;
    if let Some((lo, hi)) = declared {
        return (lo.min(b), hi.max(b));
    }
    match input.kind {
        InputKind::Quantity(d) => (d.quantile(0.01), d.quantile(0.99)),
        InputKind::Integer => (
            (b * (1.0 - SEARCH_FRACTION)).floor().max(0.0),
            (b * (1.0 + SEARCH_FRACTION)).ceil(),
        ),
        _ => {
            let (x, y) = (b * (1.0 - SEARCH_FRACTION), b * (1.0 + SEARCH_FRACTION));
            (x.min(y), x.max(y))
        }
    }
}

/// The nearest decision change below and above the base value of `input` within
/// `range`, each found by a grid walk and bisection.
pub fn crossings(
    tree: &Value,
    input: &Input,
    base: &Evaluation,
    range: (f64, f64),
) -> Vec<Crossing> {
    let base_decision = Decision::of(base);
    let integer = input.kind == InputKind::Integer;
    let run = |x: f64| evaluate(&with_value(tree, input, x));
    [(range.0, false), (range.1, true)]
        .into_iter()
        .filter(|&(end, _)| end != input.base)
        .filter_map(|(end, upward)| {
            let at = |k: usize| {
                let x = input.base + (end - input.base) * k as f64 / GRID_POINTS as f64;
                if integer { x.round() } else { x }
            };
            let mut same = input.base;
            for k in 1..=GRID_POINTS {
                let x = at(k);
                if x == same {
                    continue;
                }
                let e = run(x);
                if Decision::of(&e) != base_decision {
                    return Some(bisect(same, x, e, integer, upward, &base_decision, &run));
                }
                same = x;
            }
            None
        })
        .collect()
}

/// Narrows `[same, changed]` (in either order) to adjacent values: whole numbers one
/// apart, or reals whose midpoint is no longer distinct from an end.
fn bisect(
    mut same: f64,
    mut changed: f64,
    mut changed_eval: Evaluation,
    integer: bool,
    upward: bool,
    base: &Decision,
    run: &dyn Fn(f64) -> Evaluation,
) -> Crossing {
    loop {
        let mid = if integer {
            ((same + changed) / 2.0).round()
        } else {
            same + (changed - same) / 2.0
        };
        // Reals stop at 1e-12 relative: far below any input's precision, and 20 runs
        // fewer per threshold than bisecting to the last bit.
        let narrow = !integer && (changed - same).abs() <= 1e-12 * same.abs().max(changed.abs());
        if mid == same || mid == changed || narrow {
            break;
        }
        let e = run(mid);
        if Decision::of(&e) == *base {
            same = mid;
        } else {
            changed = mid;
            changed_eval = e;
        }
    }
    let decision = Decision::of(&changed_eval);
    Crossing {
        upward,
        last_same: same,
        first_changed: changed,
        change: decision.change_from(base),
        detail: match &changed_eval {
            Evaluation::Ran(_) => String::new(),
            other => other.why_not(),
        },
    }
}

/// Formats a value with `digits` significant digits, trailing zeros removed.
pub fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One printed line per crossing: "`label` above 1.30837 → step gpu-hall-2 never
/// finishes (site interconnect limit)".
pub fn describe(label: &str, c: &Crossing) -> String {
    let dir = if c.upward { "above" } else { "below" };
    // Enough digits to separate the two ends of the bracket, at least 4.
    let gap = (c.first_changed - c.last_same).abs();
    let scale = c.first_changed.abs().max(c.last_same.abs());
    let digits = if gap > 0.0 && scale > 0.0 {
        ((scale / gap).log10().ceil() as i32 + 1).clamp(4, 10)
    } else {
        6
    };
    let value = significant(c.last_same, digits);
    format!("{label} {dir} {value} → {}", c.change.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(1.308_374_1, 4), "1.308");
        assert_eq!(significant(121.5, 6), "121.5");
        assert_eq!(significant(178_200_000.0, 4), "178200000");
        assert_eq!(significant(0.000_123_456, 3), "0.000123");
    }

    #[test]
    fn invalid_decisions_name_their_rule() {
        let base = Decision::Ran {
            npv_non_negative: false,
            pays_back: Some(true),
            never_finish: BTreeSet::new(),
            binding: BTreeSet::new(),
        };
        let bad = Decision::Invalid("pue-range".into());
        assert_eq!(bad.change_from(&base), ["the world is invalid [pue-range]"]);
        let late = Decision::Ran {
            npv_non_negative: false,
            pays_back: Some(false),
            never_finish: BTreeSet::from([("gpu-2".into(), "site interconnect limit".into())]),
            binding: BTreeSet::new(),
        };
        assert_eq!(
            late.change_from(&base),
            [
                "step gpu-2 never finishes (site interconnect limit)",
                "payback leaves the horizon"
            ]
        );
    }
}
