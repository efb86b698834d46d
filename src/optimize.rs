//! Which plan is best: every combination of the world's decision variables
//! ([`choose`]) evaluated over the same sampled futures, scored on an objective under
//! constraints.
//!
//! Common random numbers: future `k` of every candidate is run with the seed
//! [`crate::sweep::seed_for`]`(seed, k)`, so two candidates see the same lead times
//! and market paths and the difference between them is the plan, not sampling noise.
//! The search is exhaustive: every candidate is evaluated, in parallel, results kept in
//! candidate order, so the outputs do not depend on `--jobs` or on `--shard`.

pub mod choose;
pub mod declared;
pub mod folder;
pub mod genetic;
pub mod halving;
pub mod pareto;
pub mod target;

pub use choose::{Choice, ChooseError};
pub use declared::Declared;
pub use genetic::GaSettings;
pub use halving::{Halving, HalvingSettings};
pub use target::{Constraint, Stat, Stats, Target};

use crate::engine::RunOptions;
use crate::sensitivity::{Metric, MetricValues, Outcome};
use std::io::Write;

/// Settings of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// What to maximise (or minimise, for a metric where lower is better).
    pub objective: Target,
    /// Constraints every acceptable plan meets.
    pub constraints: Vec<Constraint>,
    /// Sampled futures per candidate; 0 evaluates each candidate on its median run.
    pub futures: u64,
    /// Base seed of the futures.
    pub seed: u64,
    /// Refuse spaces with more candidates than this.
    pub max_candidates: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            objective: Target {
                stat: Stat::P50,
                metric: Metric::Npv,
            },
            constraints: Vec::new(),
            futures: 200,
            seed: 0,
            max_candidates: 100_000,
        }
    }
}

/// A world with decision variables.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The world text, with its `Choose(...)`s and its `optimize:` section commented
    /// out.
    pub text: String,
    /// Where it came from (for messages).
    pub origin: String,
    /// Its decision variables, in file order.
    pub choices: Vec<Choice>,
    /// Number of candidates: the product of the alternatives' counts.
    pub candidates: u64,
    /// The objective and constraints of the world's `optimize:` section, if it has one.
    pub declared: Option<Declared>,
}

/// One evaluated candidate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    /// Index in the search space (mixed radix over the choices, last choice fastest).
    pub index: u64,
    /// Statistics over the futures, or why the candidate is not a valid world.
    pub stats: Result<Stats, String>,
}

impl Problem {
    /// Finds the decision variables of `text` and checks them: each must have
    /// alternatives, the space must not exceed `max_candidates`, and each variable must
    /// change the checked world for some alternative (a variable nothing uses is an
    /// error, not a silent waste of runs).
    pub fn new(text: &str, origin: &str, max_candidates: u64) -> Result<Self, String> {
        let (text, declared) = declared::extract(text).map_err(|e| format!("{origin}:{e}"))?;
        let text = text.as_str();
        let choices = choose::find(text).map_err(|e| format!("{origin}:{e}"))?;
        if choices.is_empty() {
            return Err(format!(
                "{origin}: no decision variables: write a value as Choose([a, b]) or \
                 Choose(from: \"2026-01\", to: \"2027-06\", step_months: 1)"
            ));
        }
        let candidates = choices
            .iter()
            .try_fold(1u64, |n, c| n.checked_mul(c.alternatives.len() as u64))
            .filter(|&n| n <= max_candidates)
            .ok_or_else(|| {
                format!(
                    "{origin}: the decision variables span more than {max_candidates} \
                     candidates; narrow the ranges or raise --max-candidates"
                )
            })?;
        let p = Self {
            text: text.to_string(),
            origin: origin.to_string(),
            choices,
            candidates,
            declared,
        };
        p.check_used()?;
        Ok(p)
    }

    /// The alternatives picked by candidate `index`.
    pub fn picks(&self, mut index: u64) -> Vec<usize> {
        let mut picks = vec![0; self.choices.len()];
        for (p, c) in picks.iter_mut().zip(&self.choices).rev() {
            let n = c.alternatives.len() as u64;
            *p = (index % n) as usize;
            index /= n;
        }
        picks
    }

    /// The candidate index of some picks.
    pub fn index_of(&self, picks: &[usize]) -> u64 {
        picks
            .iter()
            .zip(&self.choices)
            .fold(0, |i, (&p, c)| i * c.alternatives.len() as u64 + p as u64)
    }

    /// The shipped plan: every variable at its base alternative.
    pub fn base_picks(&self) -> Vec<usize> {
        self.choices.iter().map(|c| c.base).collect()
    }

    /// The world text of some picks.
    pub fn text_of(&self, picks: &[usize]) -> String {
        choose::substitute(&self.text, &self.choices, picks)
    }

    fn check_used(&self) -> Result<(), String> {
        let base = self.base_picks();
        for (i, c) in self.choices.iter().enumerate() {
            let prints: Vec<Option<String>> = (0..c.alternatives.len())
                .map(|k| {
                    let mut picks = base.clone();
                    picks[i] = k;
                    crate::load_str(&self.text_of(&picks), &self.origin)
                        .ok()
                        .map(|s| crate::sweep::fingerprint(&s))
                })
                .collect();
            let all_same = prints.iter().all(|p| p.is_some() && *p == prints[0]);
            if c.alternatives.len() > 1 && all_same {
                let (line, col) = c.position;
                return Err(format!(
                    "{}:{line}:{col}: decision variable {} changes nothing the model \
                     uses: every alternative ({}) gives the same checked world",
                    self.origin,
                    c.label,
                    c.alternatives.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Evaluates candidate `index` over the futures.
    pub fn evaluate(&self, index: u64, settings: &Settings) -> Candidate {
        let futures = match settings.futures {
            0 => None,
            n => Some(0..n),
        };
        let stats = self
            .runs(index, futures, settings.seed)
            .map(|runs| Stats::of(&runs));
        Candidate { index, stats }
    }

    /// Every metric of candidate `index` in futures `futures` (`None`: the median run
    /// alone), future `k` run with the seed `seed_for(seed, k)` whatever else is run, or
    /// why the candidate is not a valid world.
    pub fn runs(
        &self,
        index: u64,
        futures: Option<std::ops::Range<u64>>,
        seed: u64,
    ) -> Result<Vec<MetricValues>, String> {
        let text = self.text_of(&self.picks(index));
        let s =
            crate::load_str(&text, &self.origin).map_err(|e| e.to_string().replace('\n', " "))?;
        let opts = RunOptions {
            record_events: false,
            audit: false,
        };
        let seeds: Vec<Option<u64>> = match futures {
            None => vec![None],
            Some(r) => r.map(|k| Some(crate::sweep::seed_for(seed, k))).collect(),
        };
        seeds
            .into_iter()
            .map(|seed| {
                crate::run_with(&s, seed, opts)
                    .map(|r| MetricValues::of(&Outcome::of(&r)))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    /// Evaluates the candidates of `shard` (all if `None`) on `threads` threads, in
    /// candidate order.
    pub fn run(
        &self,
        settings: &Settings,
        shard: Option<crate::sweep::Shard>,
        threads: usize,
        progress: &(dyn Fn() + Sync),
    ) -> Vec<Candidate> {
        let mine: Vec<u64> = (0..self.candidates)
            .filter(|&i| shard.is_none_or(|s| i % s.count == s.index))
            .collect();
        crate::sensitivity::par_map(
            mine.len(),
            threads,
            |k| self.evaluate(mine[k], settings),
            progress,
        )
    }
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    /// Index of the chosen candidate.
    pub index: u64,
    /// True when it meets every constraint; false when no candidate does and this is
    /// the closest one.
    pub feasible: bool,
    /// The constraints it fails (empty when feasible).
    pub failed: Vec<String>,
}

/// Picks the best feasible candidate, or, when none meets every constraint, the one
/// closest to meeting them (smallest sum of relative violations). Ties go to the
/// `shipped` candidate (a plan is changed only for a real gain), then to the lower
/// index. `None` when no candidate is a valid world.
pub fn best(candidates: &[Candidate], settings: &Settings, shipped: Option<u64>) -> Option<Chosen> {
    let objective = |s: &Stats| settings.objective.score(s);
    let better = |a: f64, b: f64| a > b;
    let mut best: Option<(&Candidate, f64)> = None;
    let mut closest: Option<(&Candidate, f64)> = None;
    let first = candidates.iter().filter(|c| Some(c.index) == shipped);
    for c in first.chain(candidates.iter().filter(|c| Some(c.index) != shipped)) {
        let Ok(s) = &c.stats else { continue };
        let violation: f64 = settings.constraints.iter().map(|k| k.violation(s)).sum();
        if violation == 0.0 {
            let v = objective(s);
            if best.is_none_or(|(_, b)| better(v, b)) {
                best = Some((c, v));
            }
        } else if closest.is_none_or(|(_, b)| violation < b) {
            closest = Some((c, violation));
        }
    }
    if let Some((c, _)) = best {
        return Some(Chosen {
            index: c.index,
            feasible: true,
            failed: Vec::new(),
        });
    }
    let (c, _) = closest?;
    let Ok(s) = &c.stats else { return None };
    Some(Chosen {
        index: c.index,
        feasible: false,
        failed: settings
            .constraints
            .iter()
            .filter(|k| k.violation(s) > 0.0)
            .map(|k| k.describe(s))
            .collect(),
    })
}

/// Writes `candidates.csv`: every candidate, its choices, statistics and whether it
/// meets the constraints.
pub fn write_candidates_csv(
    problem: &Problem,
    candidates: &[Candidate],
    settings: &Settings,
    w: impl Write,
) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec!["candidate".to_string()];
    header.extend(problem.choices.iter().map(|c| c.label.clone()));
    header.push(format!("objective_{}", settings.objective.name()));
    for m in Metric::ALL {
        for s in Stat::ALL {
            header.push(format!("{}_{}", m.name().replace('-', "_"), s.name()));
        }
    }
    header.extend(["feasible".into(), "note".into()]);
    out.write_record(&header)?;
    for c in candidates {
        let mut row = vec![c.index.to_string()];
        row.extend(
            problem
                .picks(c.index)
                .iter()
                .zip(&problem.choices)
                .map(|(&k, ch)| ch.alternatives[k].trim_matches('"').to_string()),
        );
        match &c.stats {
            Ok(s) => {
                // An undefined figure (no future had it) is an empty cell.
                let cell = |v: f64| {
                    if v.is_nan() {
                        String::new()
                    } else {
                        v.to_string()
                    }
                };
                row.push(cell(settings.objective.value(s)));
                for m in Metric::ALL {
                    row.extend(Stat::ALL.iter().map(|&st| cell(s.get(st, m))));
                }
                let failed: Vec<String> = settings
                    .constraints
                    .iter()
                    .filter(|k| k.violation(s) > 0.0)
                    .map(|k| k.describe(s))
                    .collect();
                row.push(failed.is_empty().to_string());
                row.push(failed.join("; "));
            }
            Err(e) => {
                row.extend((0..1 + Metric::ALL.len() * Stat::ALL.len()).map(|_| String::new()));
                row.push("false".into());
                row.push(format!("not a valid world: {e}"));
            }
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

/// The printed explanation of the chosen plan against the shipped one: which choices
/// differ and what that does to the objective and the other P50 figures.
pub fn explain(
    problem: &Problem,
    candidates: &[Candidate],
    chosen: &Chosen,
    settings: &Settings,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let best = problem.picks(chosen.index);
    let base = problem.base_picks();
    let stats = |i: u64| {
        candidates
            .iter()
            .find(|c| c.index == i)
            .and_then(|c| c.stats.as_ref().ok())
    };
    if !chosen.feasible {
        let _ = writeln!(
            out,
            "No candidate meets every constraint; the closest is candidate {}, which fails: {}",
            chosen.index,
            chosen.failed.join("; ")
        );
    }
    let changes: Vec<String> = best
        .iter()
        .zip(&base)
        .zip(&problem.choices)
        .filter(|((b, s), _)| b != s)
        .map(|((&b, &s), c)| {
            format!(
                "{} {} instead of {}",
                c.label,
                c.alternatives[b].trim_matches('"'),
                c.alternatives[s].trim_matches('"')
            )
        })
        .collect();
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "The shipped plan is the best within the declared space ({} candidates evaluated).",
            candidates.len()
        );
        if let Some(line) = runner_up(problem, candidates, chosen, settings) {
            let _ = writeln!(out, "{line}");
        }
        return out;
    }
    let _ = writeln!(out, "Best plan: {}", changes.join("; "));
    for line in event_changes(problem, &base, &best) {
        let _ = writeln!(out, "  {line}");
    }
    if let (Some(b), Some(s)) = (stats(chosen.index), stats(problem.index_of(&base))) {
        let o = settings.objective;
        let _ = writeln!(
            out,
            "  objective {}: {} against {} for the shipped plan",
            o.name(),
            crate::sensitivity::threshold::significant(o.value(b), 6),
            crate::sensitivity::threshold::significant(o.value(s), 6)
        );
        for line in p50_deltas(b, s) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// The P50 of every metric under `best` against `base`, in words; differences that
/// round to nothing in the printed unit, and undefined figures, are left out.
fn p50_deltas(best: &Stats, base: &Stats) -> Vec<String> {
    Metric::ALL
        .iter()
        .filter_map(|&m| {
            let d = best.get(Stat::P50, m) - base.get(Stat::P50, m);
            let sign = if d > 0.0 { "+" } else { "−" };
            let text = match m {
                _ if d.is_nan() || d == 0.0 => return None,
                Metric::Npv | Metric::PeakFunding if d.abs() < 5e4 => return None,
                Metric::Npv | Metric::PeakFunding => format!("{sign}{:.1}M USD", d.abs() / 1e6),
                Metric::FirstGpuMonth | Metric::PaybackMonth => format!(
                    "{} month{} {}",
                    d.abs(),
                    if d.abs() == 1.0 { "" } else { "s" },
                    if d < 0.0 { "earlier" } else { "later" }
                ),
                Metric::EquityIrr if d.abs() < 0.005 => return None,
                Metric::EquityIrr => format!("{sign}{:.2} percentage points", d.abs()),
                Metric::MinDscr if d.abs() < 0.005 => return None,
                Metric::MinDscr => format!("{sign}{:.2}x", d.abs()),
                Metric::CovenantBreach if d > 0.0 => "breaches a covenant".to_string(),
                Metric::CovenantBreach => "no longer breaches a covenant".to_string(),
            };
            Some(format!("P50 {}: {text}", m.title()))
        })
        .collect()
}

/// What the chosen plan changes in the event log of the median run, in the log's own
/// words: milestones (deliveries, equipment in service, halls energised or
/// decommissioned) that move to another month, appear or disappear.
fn event_changes(problem: &Problem, base: &[usize], best: &[usize]) -> Vec<String> {
    const MILESTONES: [&str; 4] = ["delivered", "in-service", "energised", "decommissioned"];
    let log = |picks: &[usize]| {
        let s = crate::load_str(&problem.text_of(picks), &problem.origin).ok()?;
        let r = crate::run(&s, None).ok()?;
        let mut first: Vec<((&'static str, String), String)> = Vec::new();
        for e in r.events.iter().filter(|e| MILESTONES.contains(&e.event)) {
            let key = (e.event, e.entity.clone());
            if !first.iter().any(|(k, _)| *k == key) {
                first.push((
                    key,
                    s.calendar.label(s.calendar.month_of(e.day)).to_string(),
                ));
            }
        }
        Some(first)
    };
    let (Some(old), Some(new)) = (log(base), log(best)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ((event, entity), month) in &new {
        match old.iter().find(|(k, _)| k.0 == *event && k.1 == *entity) {
            Some((_, was)) if was != month => {
                out.push(format!("{entity} {event} {month} instead of {was}"));
            }
            None => out.push(format!(
                "{entity} {event} {month} (never in the shipped plan)"
            )),
            _ => {}
        }
    }
    for ((event, entity), was) in &old {
        if !new.iter().any(|(k, _)| k.0 == *event && k.1 == *entity) {
            out.push(format!("{entity} no longer {event} (was {was})"));
        }
    }
    out
}

/// The best other candidate meeting the constraints, what it changes and by how much
/// it trails: the evidence that no better plan exists within the space.
fn runner_up(
    problem: &Problem,
    candidates: &[Candidate],
    chosen: &Chosen,
    settings: &Settings,
) -> Option<String> {
    let o = settings.objective;
    let best_value = candidates
        .iter()
        .find(|c| c.index == chosen.index)?
        .stats
        .as_ref()
        .ok()
        .map(|s| o.value(s))?;
    let (c, v, _) = candidates
        .iter()
        .filter(|c| c.index != chosen.index)
        .filter_map(|c| {
            let s = c.stats.as_ref().ok()?;
            let ok = settings.constraints.iter().all(|k| k.violation(s) == 0.0);
            ok.then(|| (c, o.value(s), o.score(s)))
        })
        .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.index.cmp(&a.0.index)))?;
    let picks = problem.picks(c.index);
    let what: Vec<String> = picks
        .iter()
        .zip(problem.base_picks())
        .zip(&problem.choices)
        .filter(|((p, b), _)| *p != b)
        .map(|((&p, _), ch)| format!("{} {}", ch.label, ch.alternatives[p].trim_matches('"')))
        .collect();
    let sig = |x: f64| crate::sensitivity::threshold::significant(x, 6);
    Some(format!(
        "  runner-up: {} with {} {} against {} (a tie is settled for the shipped plan)",
        what.join("; "),
        o.name(),
        sig(v),
        sig(best_value)
    ))
}

/// The first decision variable that changes no candidate's statistics: for every
/// setting of the other variables, all its alternatives give the same figures. Such a
/// variable costs runs and decides nothing, so it is reported as an error.
pub fn unused_variable(problem: &Problem, candidates: &[Candidate]) -> Option<String> {
    use std::collections::BTreeMap;
    (0..problem.choices.len()).find_map(|i| {
        let c = &problem.choices[i];
        if c.alternatives.len() < 2 {
            return None;
        }
        let mut groups: BTreeMap<Vec<usize>, &Result<Stats, String>> = BTreeMap::new();
        let mut used = false;
        for cand in candidates {
            let mut key = problem.picks(cand.index);
            key[i] = 0;
            match groups.get(&key) {
                Some(first) if *first != &cand.stats => used = true,
                Some(_) => {}
                None => {
                    groups.insert(key, &cand.stats);
                }
            }
        }
        (!used).then(|| {
            let (line, col) = c.position;
            format!(
                "{}:{line}:{col}: decision variable {} changes no result: every alternative ({}) gives the same figures in every future evaluated (with --futures 0, only the median run)",
                problem.origin,
                c.label,
                c.alternatives.join(", ")
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_indices_are_mixed_radix_with_the_last_choice_fastest() {
        let text = "a: Choose([1, 2, 3]), b: Choose([x, y])";
        let choices = choose::find(text).unwrap();
        let p = Problem {
            text: text.into(),
            origin: "t".into(),
            choices,
            candidates: 6,
            declared: None,
        };
        assert_eq!(p.picks(0), [0, 0]);
        assert_eq!(p.picks(1), [0, 1]);
        assert_eq!(p.picks(5), [2, 1]);
        for i in 0..6 {
            assert_eq!(p.index_of(&p.picks(i)), i);
        }
        assert_eq!(p.text_of(&[2, 0]), "a: 3, b: x");
    }
}
