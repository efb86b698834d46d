//! Heuristic search for spaces too large to enumerate: a steady genetic algorithm over
//! the decision variables' alternatives, every candidate scored on the same sampled
//! futures (common random numbers), with a cache so no candidate is run twice.
//!
//! The variables are mixed: month and number ranges are ordered, lists are categorical.
//! Mutation respects that: an ordered variable moves to a neighbouring alternative
//! (±1 step, so the search can walk a date forward month by month), a categorical one
//! jumps to any other. Recombination is uniform crossover of two tournament winners
//! (size 2), and the two best candidates always survive (elitism). This is the
//! standard GA of Goldberg, *Genetic Algorithms in Search, Optimization and Machine
//! Learning* (1989), ch. 3–4, with integer genes. Ranking puts every candidate that
//! meets the constraints before every one that does not (then by the objective; those
//! that do not, by how far they miss), so the search heads for feasibility first.
//!
//! Determinism: all random choices come from one seeded stream on one thread;
//! candidates of a generation are evaluated in parallel and put back in order. So the
//! result is the same for any `--jobs`.

use super::{Candidate, Problem, Settings};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Evaluated candidates by index.
type Seen = BTreeMap<u64, Candidate>;

/// Settings of the genetic search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaSettings {
    /// Candidates kept from one generation to the next.
    pub population: usize,
    /// Distinct candidates evaluated at most (each over every future).
    pub budget: usize,
    /// Stop after this many generations that found no better candidate.
    pub patience: usize,
}

impl Default for GaSettings {
    fn default() -> Self {
        Self {
            population: 24,
            budget: 400,
            patience: 8,
        }
    }
}

/// Runs the genetic search and returns every candidate it evaluated, by index.
pub fn search(
    problem: &Problem,
    settings: &Settings,
    ga: GaSettings,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Vec<Candidate> {
    // A stream of its own, so the search does not share draws with the futures' seeds.
    let mut rng = Pcg64Mcg::seed_from_u64(settings.seed ^ 0x6A5E_A4C4_0000_0001);
    let budget = ga
        .budget
        .max(2)
        .min(usize::try_from(problem.candidates).unwrap_or(usize::MAX));
    let mut seen: BTreeMap<u64, Candidate> = BTreeMap::new();
    let evaluate = |seen: &mut BTreeMap<u64, Candidate>, batch: Vec<u64>| {
        let fresh: Vec<u64> = batch
            .into_iter()
            .filter(|i| !seen.contains_key(i))
            .collect();
        let done = crate::sensitivity::par_map(
            fresh.len(),
            threads,
            |k| problem.evaluate(fresh[k], settings),
            progress,
        );
        for c in done {
            seen.insert(c.index, c);
        }
    };
    let size = ga.population.max(2);
    let first = first_population(problem, size.min(budget), &mut rng);
    evaluate(&mut seen, first.clone());
    let mut population = first;
    let mut stale = 0;
    while seen.len() < budget && stale < ga.patience {
        let rank = |a: &u64, b: &u64| compare(&seen[a], &seen[b], settings).then(a.cmp(b));
        population.sort_by(rank);
        let leader = population[0];
        let mut children = Vec::new();
        let room = budget - seen.len();
        let mut tries = 0;
        while children.len() < (size - 2).min(room) && tries < 20 * size {
            tries += 1;
            let pick = |rng: &mut Pcg64Mcg| {
                let (a, b) = (
                    population[rng.random_range(0..population.len())],
                    population[rng.random_range(0..population.len())],
                );
                if rank(&a, &b) == Ordering::Greater {
                    b
                } else {
                    a
                }
            };
            let (a, b) = (problem.picks(pick(&mut rng)), problem.picks(pick(&mut rng)));
            let child = breed(problem, &a, &b, &mut rng);
            if !seen.contains_key(&child) && !children.contains(&child) {
                children.push(child);
            }
        }
        evaluate(&mut seen, children.clone());
        population.extend(children);
        population.sort_by(|a, b| compare(&seen[a], &seen[b], settings).then(a.cmp(b)));
        population.dedup();
        population.truncate(size);
        stale = if population[0] == leader {
            stale + 1
        } else {
            0
        };
    }
    polish(problem, settings, &mut seen, budget, &evaluate);
    seen.into_values().collect()
}

/// Local search from the best candidate found: evaluate every neighbour that differs in
/// one variable (±1 alternative when ordered, any other when not) and move to the best
/// while that improves, within the budget. A GA finds the right region quickly but is
/// slow to settle the last steps of each gene; this finishes them (a memetic GA,
/// Moscato 1989).
fn polish(
    problem: &Problem,
    settings: &Settings,
    seen: &mut BTreeMap<u64, Candidate>,
    budget: usize,
    evaluate: &dyn Fn(&mut Seen, Vec<u64>),
) {
    let best_of = |seen: &BTreeMap<u64, Candidate>| {
        seen.values()
            .min_by(|a, b| compare(a, b, settings).then(a.index.cmp(&b.index)))
            .map(|c| c.index)
    };
    while let Some(at) = best_of(seen) {
        let picks = problem.picks(at);
        let mut next = Vec::new();
        for (g, c) in problem.choices.iter().enumerate() {
            let n = c.alternatives.len();
            let moves: Vec<usize> = if c.ordered {
                [
                    picks[g].checked_sub(1),
                    Some(picks[g] + 1).filter(|&v| v < n),
                ]
                .into_iter()
                .flatten()
                .collect()
            } else {
                (0..n).filter(|&v| v != picks[g]).collect()
            };
            for v in moves {
                let mut p = picks.clone();
                p[g] = v;
                let i = problem.index_of(&p);
                if !seen.contains_key(&i) && !next.contains(&i) {
                    next.push(i);
                }
            }
        }
        next.truncate(budget.saturating_sub(seen.len()));
        if next.is_empty() {
            return;
        }
        evaluate(seen, next);
        if best_of(seen) == Some(at) {
            return;
        }
    }
}

/// The shipped plan and `size − 1` other distinct candidates drawn uniformly.
fn first_population(problem: &Problem, size: usize, rng: &mut Pcg64Mcg) -> Vec<u64> {
    let mut first = vec![problem.index_of(&problem.base_picks())];
    while first.len() < size {
        let picks: Vec<usize> = problem
            .choices
            .iter()
            .map(|c| rng.random_range(0..c.alternatives.len()))
            .collect();
        let i = problem.index_of(&picks);
        if !first.contains(&i) {
            first.push(i);
        }
    }
    first
}

/// Uniform crossover of two parents, then mutation of each gene with probability
/// 1/genes: ±1 alternative for an ordered variable, any other for a list.
fn breed(problem: &Problem, a: &[usize], b: &[usize], rng: &mut Pcg64Mcg) -> u64 {
    let genes = problem.choices.len();
    let child: Vec<usize> = problem
        .choices
        .iter()
        .enumerate()
        .map(|(g, c)| {
            let mut v = if rng.random::<bool>() { a[g] } else { b[g] };
            let n = c.alternatives.len();
            if n > 1 && rng.random_range(0..genes) == 0 {
                v = if c.ordered {
                    if v == 0 || (v + 1 < n && rng.random::<bool>()) {
                        v + 1
                    } else {
                        v - 1
                    }
                } else {
                    (v + rng.random_range(1..n)) % n
                };
            }
            v
        })
        .collect();
    problem.index_of(&child)
}

/// Better first: valid before invalid, feasible before infeasible, then by the
/// objective (or, among infeasible ones, by the total violation).
pub fn compare(a: &Candidate, b: &Candidate, settings: &Settings) -> Ordering {
    match (&a.stats, &b.stats) {
        (Err(_), Err(_)) => Ordering::Equal,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(_), Err(_)) => Ordering::Less,
        (Ok(x), Ok(y)) => {
            let v = |s| {
                settings
                    .constraints
                    .iter()
                    .map(|k| k.violation(s))
                    .sum::<f64>()
            };
            let (vx, vy) = (v(x), v(y));
            if vx > 0.0 || vy > 0.0 {
                return vx.total_cmp(&vy);
            }
            let (ox, oy) = (settings.objective.score(x), settings.objective.score(y));
            oy.total_cmp(&ox)
        }
    }
}
