//! Successive halving: spend few futures on every candidate, then more and more on the
//! ones that still look best (Jamieson & Talwalkar, "Non-stochastic best arm
//! identification and hyperparameter optimization", AISTATS 2016; the rung schedule of
//! Li et al., "Hyperband", JMLR 18 (2018)).
//!
//! With `F` futures and reduction factor `η`, the rungs use `F_R = F`, `F_{r−1} =
//! ⌈F_r / η⌉` futures, down to the first that is at most `min_futures`. Rung 0 runs
//! every candidate on `F_0` futures; each later rung keeps the best `⌈n / η⌉` of the
//! `n` before it and runs them on the futures `F_{r−1} .. F_r` only, so a survivor's
//! figures at the last rung are over all `F` futures, exactly as the exhaustive search
//! computes them. Common random numbers are kept: future `k` has the seed
//! `seed_for(seed, k)` at every rung and for every candidate, so each rung compares
//! candidates on the same futures, and its futures extend the ones before.
//!
//! Ranking is the genetic search's ([`super::genetic::compare`]): candidates meeting
//! every constraint first, by objective; then the rest, by how far they miss; ties
//! by index. Results do not depend on `--jobs`.

use super::{Candidate, MetricValues, Problem, Settings, Stats};

/// Settings of successive halving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HalvingSettings {
    /// Reduction factor η: a rung keeps one candidate in η (at least 2).
    pub eta: u64,
    /// Futures of the first rung at most (at least 1).
    pub min_futures: u64,
}

impl Default for HalvingSettings {
    fn default() -> Self {
        Self {
            eta: 3,
            min_futures: 8,
        }
    }
}

impl HalvingSettings {
    /// The futures of each rung, first to last (the last is `futures`).
    pub fn rungs(self, futures: u64) -> Vec<u64> {
        let (eta, floor) = (self.eta.max(2), self.min_futures.max(1));
        let mut out = vec![futures.max(1)];
        while let Some(&f) = out.last() {
            if f <= floor {
                break;
            }
            out.push(f.div_ceil(eta));
        }
        out.reverse();
        out
    }
}

/// What a successive-halving search did.
#[derive(Debug, Clone, PartialEq)]
pub struct Halving {
    /// The last rung's candidates, evaluated over every future, by index.
    pub finalists: Vec<Candidate>,
    /// Every candidate of the first rung (its figures over that rung's futures), by
    /// index: what shows whether each decision variable changes anything.
    pub first_rung: Vec<Candidate>,
    /// Per rung: its futures and how many candidates it ran.
    pub rungs: Vec<(u64, usize)>,
    /// Engine runs made.
    pub engine_runs: u64,
}

/// Runs successive halving over every candidate. `progress` is called once per
/// candidate evaluated at a rung.
pub fn search(
    problem: &Problem,
    settings: &Settings,
    hs: HalvingSettings,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Halving {
    let schedule = hs.rungs(settings.futures);
    let mut alive: Vec<(u64, Result<Vec<MetricValues>, String>)> = (0..problem.candidates)
        .map(|i| (i, Ok(Vec::new())))
        .collect();
    let (mut done, mut engine_runs) = (0u64, 0u64);
    let (mut rungs, mut first_rung) = (Vec::new(), Vec::new());
    for (r, &futures) in schedule.iter().enumerate() {
        let more = crate::sensitivity::par_map(
            alive.len(),
            threads,
            |k| match &alive[k].1 {
                Ok(_) => problem.runs(alive[k].0, Some(done..futures), settings.seed),
                Err(e) => Err(e.clone()),
            },
            progress,
        );
        for ((_, runs), more) in alive.iter_mut().zip(more) {
            match (runs.as_mut(), more) {
                (Ok(runs), Ok(mut m)) => {
                    engine_runs += m.len() as u64;
                    runs.append(&mut m);
                }
                (Ok(_), Err(e)) => *runs = Err(e),
                _ => {}
            }
        }
        rungs.push((futures, alive.len()));
        done = futures;
        let mut scored: Vec<Candidate> = alive
            .iter()
            .map(|(i, runs)| Candidate {
                index: *i,
                stats: runs.as_ref().map(|v| Stats::of(v)).map_err(Clone::clone),
            })
            .collect();
        if r == 0 {
            first_rung = scored.clone();
        }
        if r + 1 == schedule.len() {
            return Halving {
                finalists: scored,
                first_rung,
                rungs,
                engine_runs,
            };
        }
        // Keep the best ⌈n/η⌉ (stable: ties keep index order), back in index order.
        let keep = alive
            .len()
            .div_ceil(usize::try_from(hs.eta.max(2)).unwrap_or(2));
        scored.sort_by(|a, b| super::genetic::compare(a, b, settings));
        let mut kept: Vec<u64> = scored.iter().take(keep).map(|c| c.index).collect();
        kept.sort_unstable();
        alive.retain(|(i, _)| kept.binary_search(i).is_ok());
    }
    Halving {
        finalists: Vec::new(),
        first_rung,
        rungs,
        engine_runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_divide_by_eta_down_to_the_first_small_enough() {
        let hs = HalvingSettings {
            eta: 3,
            min_futures: 8,
        };
        assert_eq!(hs.rungs(200), [8, 23, 67, 200]);
        assert_eq!(hs.rungs(27), [3, 9, 27]);
        assert_eq!(hs.rungs(5), [5]);
        assert_eq!(hs.rungs(0), [1]);
    }
}
