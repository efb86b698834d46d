//! Running one variant of a world and keeping what the decision layer needs of it.
//!
//! This is the only place the decision layer touches the rest of the library: a value
//! tree is parsed into a world file, checked and run (the plain median run), and the
//! run is boiled down to an [`Outcome`]. Everything else works on outcomes.

use crate::engine::RunOptions;
use crate::world::WorldFile;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the decision layer keeps of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Net present value, USD.
    #[serde(with = "f64_bits")]
    pub npv_usd: f64,
    /// Month index (0 = start month) in which the first GPU energised, if any.
    pub first_gpu_month: Option<u32>,
    /// Month index from which cumulative cash, having been negative, stays ≥ 0, if it
    /// does by the horizon (`None` too when it never went negative: see
    /// [`Outcome::went_negative`]).
    pub payback_month: Option<u32>,
    /// Peak funding need: the most negative cumulative cash, as a positive USD amount
    /// (0 when cumulative cash never goes below 0).
    #[serde(with = "f64_bits")]
    pub peak_funding_usd: f64,
    /// Months simulated.
    pub horizon_months: u32,
    /// Plan steps that never finished, with the short reason (e.g. `site interconnect
    /// limit`).
    pub unfinished: Vec<(String, String)>,
    /// Limits that delayed some step (months waited > 0), by name.
    pub binding_limits: BTreeSet<String>,
    /// The finance layer's figures; `None` for a world without a `finance` section.
    pub finance: Option<FinanceOutcome>,
}

/// What the decision layer keeps of a run's finance figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinanceOutcome {
    /// Equity IRR per year, when the equity flows have exactly one.
    #[serde(with = "opt_f64_bits")]
    pub equity_irr_per_year: Option<f64>,
    /// Lowest DSCR while debt amortises; `None` when no debt amortises.
    #[serde(with = "opt_f64_bits")]
    pub min_dscr: Option<f64>,
    /// Months with a covenant breach.
    pub covenant_breach_months: u32,
}

/// The result of evaluating one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Evaluation {
    /// It ran.
    Ran(Outcome),
    /// The variant is not a valid world: the first problem found.
    Invalid {
        /// The rule broken (a check rule name, or `type` when the value does not even
        /// parse, e.g. a negative count).
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// The engine refused to finish the run (an invariant broke: a bug, not an input).
    Failed(String),
}

impl Evaluation {
    /// The outcome, if the variant ran.
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            Evaluation::Ran(o) => Some(o),
            _ => None,
        }
    }

    /// One line saying why there is no outcome (empty if there is one).
    pub fn why_not(&self) -> String {
        match self {
            Evaluation::Ran(_) => String::new(),
            Evaluation::Invalid { rule, message } => format!("invalid [{rule}]: {message}"),
            Evaluation::Failed(m) => format!("engine failed: {m}"),
        }
    }
}

/// Parses, checks and runs (medians of every distribution) a world given as a value
/// tree.
pub fn evaluate(tree: &Value) -> Evaluation {
    let raw: WorldFile = match serde_json::from_value(tree.clone()) {
        Ok(w) => w,
        Err(e) => {
            return Evaluation::Invalid {
                rule: "type".into(),
                message: e.to_string(),
            };
        }
    };
    let scenario = match crate::world::check(&raw, None) {
        Ok(s) => s,
        Err(problems) => {
            let first = problems.first();
            return Evaluation::Invalid {
                rule: first.map_or("check", |p| p.rule.name()).to_string(),
                message: first.map_or_else(String::new, |p| format!("{}: {}", p.entity, p.message)),
            };
        }
    };
    let opts = RunOptions {
        record_events: false,
        audit: false,
    };
    match crate::run_with(&scenario, None, opts) {
        Ok(r) => Evaluation::Ran(Outcome::of(&r)),
        Err(e) => Evaluation::Failed(e.to_string()),
    }
}

impl Outcome {
    /// Whether cumulative cash ever went below zero: a peak funding need above zero
    /// (the deepest cumulative cash, made positive). A run that never did has nothing to
    /// pay back, so no payback month — not a payback in its first month.
    pub fn went_negative(&self) -> bool {
        self.peak_funding_usd > 0.0
    }

    /// What the decision layer keeps of a run.
    pub fn of(r: &crate::RunResult) -> Self {
        let month = |label: &Option<crate::calendar::YearMonth>| {
            label.as_ref().and_then(|l| {
                r.ledger
                    .iter()
                    .position(|row| &row.month == l)
                    .map(|i| i as u32)
            })
        };
        let lowest = r
            .ledger
            .iter()
            .map(|row| row.cumulative_cash_usd)
            .fold(0.0_f64, f64::min);
        let s = &r.summary;
        let finance = r.finance.as_ref().map(|f| FinanceOutcome {
            equity_irr_per_year: f.summary.equity_irr.rate(),
            min_dscr: f.summary.min_dscr.map(|(d, _)| d),
            covenant_breach_months: u32::try_from(f.summary.covenant_breaches.len())
                .unwrap_or(u32::MAX),
        });
        Self {
            npv_usd: s.npv_usd,
            first_gpu_month: month(&s.first_gpu_month),
            payback_month: month(&s.payback_month),
            peak_funding_usd: -lowest,
            horizon_months: s.horizon_months,
            unfinished: s
                .unfinished_steps
                .iter()
                .map(|u| (u.step.clone(), short_reason(&u.reason)))
                .collect(),
            binding_limits: s
                .months_waited_by_limit
                .iter()
                .filter(|(_, m)| **m > 0.0)
                .map(|(k, _)| k.clone())
                .collect(),
            finance,
        }
    }
}

/// The reason's head without its figures: `still waiting: site interconnect limit:
/// needs …` → `site interconnect limit`.
fn short_reason(reason: &str) -> String {
    let r = reason.strip_prefix("still waiting: ").unwrap_or(reason);
    r.split(':').next().unwrap_or(r).trim().to_string()
}

/// Applies `f` to `0..n` on `jobs` threads and returns the results in index order, so
/// the result never depends on `jobs` or on which thread finished first. `progress` is
/// called once per finished item.
pub fn par_map<T: Send>(
    n: usize,
    jobs: usize,
    f: impl Fn(usize) -> T + Sync,
    progress: &(dyn Fn() + Sync),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, f(i)));
            progress();
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs.clamp(1, n.max(1)))
            .map(|_| scope.spawn(worker))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Serde for `f64` through its bit pattern, so a value written by a shard and read back
/// by `merge` is the same number to the last bit (decimal text need not round-trip in
/// every JSON reader).
pub mod f64_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bits as a `u64`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(v.to_bits())
    }

    /// Reads the bits back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        u64::deserialize(d).map(f64::from_bits)
    }
}

/// [`f64_bits`] for an optional value.
pub mod opt_f64_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bits as an optional `u64`.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&v.to_bits()),
            None => s.serialize_none(),
        }
    }

    /// Reads the bits back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<u64>::deserialize(d).map(|v| v.map(f64::from_bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_index_order_for_any_job_count() {
        let one = par_map(50, 1, |i| i * i, &|| {});
        for jobs in [2, 3, 8, 100] {
            assert_eq!(par_map(50, jobs, |i| i * i, &|| {}), one);
        }
        assert!(par_map(0, 4, |i| i, &|| {}).is_empty());
    }

    #[test]
    fn reasons_lose_their_figures() {
        assert_eq!(
            short_reason("still waiting: site interconnect limit: needs 25.85 MW"),
            "site interconnect limit"
        );
        assert_eq!(short_reason("never started"), "never started");
    }
}
