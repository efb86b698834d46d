//! The `optimize` output folder, and merging the folders of its shards.
//!
//! A whole run writes `candidates.csv`, `best.ron` (the world with the chosen plan
//! filled in), `pareto.png` (or `.svg`, both or none, as `--charts` asks) and
//! `optimize-state.json`; a shard writes only its state,
//! and `merge` of all shards writes the same files as the whole run, byte for byte.

use super::{Candidate, Chosen, Constraint, Problem, Settings, Target};
use crate::output::{Staging, names};
use crate::report::ChartOptions;
use crate::sensitivity::DecideError;
use crate::sensitivity::folder::{read_parts, report_error, world_fingerprint};
use crate::sensitivity::parts::{self, Part};
use crate::sweep::Shard;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a whole run found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The chosen candidate (the best feasible one, or the closest).
    pub chosen: Chosen,
    /// The printed explanation.
    pub explanation: String,
    /// Candidates evaluated.
    pub evaluated: usize,
}

/// The settings as a JSON value that compares exactly, for state files. `search`
/// names the search (`exhaustive` or `genetic …`).
pub fn record(s: &Settings, search: &str) -> Value {
    let constraints: Vec<(String, bool, u64)> = s
        .constraints
        .iter()
        .map(|c| (c.target.name(), c.at_most, c.bound.to_bits()))
        .collect();
    serde_json::json!({
        "objective": s.objective.name(),
        "constraints": constraints,
        "futures": s.futures,
        "seed": s.seed,
        "max_candidates": s.max_candidates,
        "search": search,
    })
}

/// Reads [`record`] back.
pub fn from_record(v: &Value) -> Result<Settings, String> {
    #[derive(Deserialize)]
    struct Record {
        objective: String,
        constraints: Vec<(String, bool, u64)>,
        futures: u64,
        seed: u64,
        max_candidates: u64,
    }
    let r: Record = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok(Settings {
        objective: Target::parse(&r.objective)?,
        constraints: r
            .constraints
            .into_iter()
            .map(|(t, at_most, bits)| {
                Ok(Constraint {
                    target: Target::parse(&t)?,
                    at_most,
                    bound: f64::from_bits(bits),
                })
            })
            .collect::<Result<_, String>>()?,
        futures: r.futures,
        seed: r.seed,
        max_candidates: r.max_candidates,
    })
}

/// The state of a finished run (or shard).
pub fn part(
    problem: &Problem,
    settings: &Settings,
    search: &str,
    shard: Option<Shard>,
    total: usize,
    candidates: Vec<Candidate>,
) -> Part<Candidate> {
    let results = candidates
        .into_iter()
        .map(|c| (usize::try_from(c.index).unwrap_or(usize::MAX), c))
        .collect();
    Part {
        kind: "optimize".into(),
        origin: problem.origin.clone(),
        world_text: problem.text.clone(),
        settings: record(settings, search),
        shard: shard.unwrap_or(Shard { index: 0, count: 1 }),
        total,
        results,
    }
}

/// Writes the folder of `part` into `out`, replacing it atomically. A whole run is
/// analysed first: a decision variable that changes no result is an error and nothing
/// is written.
pub fn write_dir(
    out: &Path,
    problem: &Problem,
    settings: &Settings,
    part: &Part<Candidate>,
    charts: &ChartOptions,
) -> Result<(PathBuf, Option<Found>), DecideError> {
    let state = serde_json::to_string(part).map_err(report_error)? + "\n";
    let candidates: Vec<Candidate> = part.results.iter().map(|(_, c)| c.clone()).collect();
    if part.shard.count > 1 {
        let st = Staging::new(out)?.for_world(world_fingerprint(&part.world_text));
        st.write(names::OPTIMIZE_STATE, state)?;
        return Ok((st.commit()?, None));
    }
    // Successive halving keeps only its finalists; the caller checked the variables on
    // its first rung, where every candidate was run on the same futures.
    let halving = part.settings["search"]
        .as_str()
        .is_some_and(|s| s.starts_with("halving"));
    if let Some(e) = super::unused_variable(problem, &candidates).filter(|_| !halving) {
        return Err(DecideError::Input(e));
    }
    let base = problem.index_of(&problem.base_picks());
    let chosen = super::best(&candidates, settings, Some(base)).ok_or_else(|| {
        DecideError::Input(format!(
            "{}: no candidate is a valid world; the first says: {}",
            problem.origin,
            candidates
                .first()
                .and_then(|c| c.stats.as_ref().err())
                .map_or("(none evaluated)", String::as_str)
        ))
    })?;
    let explanation = super::explain(problem, &candidates, &chosen, settings);
    let mut csv = Vec::new();
    super::write_candidates_csv(problem, &candidates, settings, &mut csv).map_err(report_error)?;
    let feasible = |c: &Candidate| {
        c.stats
            .as_ref()
            .is_ok_and(|s| settings.constraints.iter().all(|k| k.violation(s) == 0.0))
    };
    let data = super::pareto::prepare(&candidates, feasible, Some(chosen.index), base);
    let world = crate::sensitivity::folder::site_name(&problem.text_of(&problem.base_picks()));
    let pareto = crate::report::pareto_charts(
        &data,
        &world,
        settings.futures,
        &settings.objective.name(),
        charts,
    )
    .map_err(report_error)?;
    let st = Staging::new(out)?.for_world(world_fingerprint(&part.world_text));
    st.write(names::CANDIDATES, csv)?;
    st.write(names::BEST, problem.text_of(&problem.picks(chosen.index)))?;
    for (name, bytes) in pareto {
        st.write(&name, bytes)?;
    }
    st.write(names::OPTIMIZE_STATE, state)?;
    let found = Found {
        chosen,
        explanation,
        evaluated: candidates.len(),
    };
    Ok((st.commit()?, Some(found)))
}

/// Merges the folders of a sharded `optimize` into `out`.
pub fn merge_dirs(
    dirs: &[PathBuf],
    out: &Path,
    charts: &ChartOptions,
) -> Result<(PathBuf, Found), DecideError> {
    let merged = parts::merge(read_parts::<Candidate>(dirs, names::OPTIMIZE_STATE)?)
        .map_err(DecideError::Input)?;
    let settings = from_record(&merged.settings).map_err(DecideError::Input)?;
    let problem = Problem::new(&merged.world_text, &merged.origin, settings.max_candidates)
        .map_err(DecideError::Input)?;
    let (dir, found) = write_dir(out, &problem, &settings, &merged, charts)?;
    let found = found.ok_or_else(|| DecideError::Input("merge left shards".into()))?;
    Ok((dir, found))
}

/// True when `dir` holds an optimize run or shard.
pub fn is_optimize_dir(dir: &Path) -> bool {
    dir.join(names::OPTIMIZE_STATE).is_file()
}
