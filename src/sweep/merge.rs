//! `retrofit merge`: shard folders combined into the folder of one sweep, every part
//! checked before anything of it is trusted.

use super::{Aggregate, RUNS_HEADER, write_outputs};
use super::{Charts, Result, STATE_FILE, Shard, SweepError, SweepState, SweepSummary, seed_for};
use crate::output::manifest::{Kind, written_by};
use crate::output::{OutputError, Staging, io_error, names, verify};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A part's problem, naming the part.
fn part_error(path: &Path, problem: impl Into<String>) -> SweepError {
    SweepError::Part {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Checks a part against its manifest: every file as retrofit wrote it, nothing
/// added, written by this version of retrofit as a sweep of the world its state names.
fn verify_part(dir: &Path) -> Result<crate::output::Manifest> {
    let m = verify(dir).map_err(|e| match e {
        OutputError::Damaged { path, problem } => part_error(&path, problem),
        other => SweepError::Output(other),
    })?;
    let mp = dir.join(names::MANIFEST);
    if m.kind != Kind::Sweep {
        return Err(part_error(dir, "is not a sweep folder"));
    }
    if m.written_by != written_by() {
        return Err(part_error(
            &mp,
            format!("written by {}; this is {}", m.written_by, written_by()),
        ));
    }
    Ok(m)
}

/// Reads and checks one part: its files against its manifest, then its merge state,
/// which must describe a possible shard of a possible sweep before any of its figures
/// are used.
fn read_state(dir: &Path) -> Result<SweepState> {
    let manifest = verify_part(dir)?;
    let path = dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| part_error(&path, format!("not a sweep folder ({e})")))?;
    let state: SweepState = serde_json::from_str(&text)
        .map_err(|e| part_error(&path, format!("unreadable sweep state: {e}")))?;
    let shard = state.shard;
    if shard.count == 0 || shard.index >= shard.count {
        return Err(part_error(&path, "impossible shard"));
    }
    let expected = shard.runs_in(state.runs);
    let runs = state.aggregate.runs;
    if runs > expected || (!state.interrupted && runs != expected) {
        return Err(part_error(
            &path,
            format!(
                "holds {runs} runs, but shard {}/{} of a {}-run sweep has {expected}",
                shard.index, shard.count, state.runs
            ),
        ));
    }
    state
        .aggregate
        .check()
        .map_err(|e| part_error(&path, format!("damaged aggregate: {e}")))?;
    if manifest.world_fingerprint.as_ref() != Some(&state.world_fingerprint) {
        return Err(part_error(&path, "names another world than its manifest"));
    }
    Ok(state)
}

/// Refuses parts of different sweeps and shard sets that are not exactly one sweep.
fn check_parts_fit(parts: &[PathBuf], states: &[SweepState]) -> Result<()> {
    let first = &states[0];
    for (dir, s) in parts.iter().zip(states).skip(1) {
        let differs = [
            ("world", first.world_fingerprint != s.world_fingerprint),
            ("seed", first.seed != s.seed),
            ("run count", first.runs != s.runs),
            ("shard count", first.shard.count != s.shard.count),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(part_error(
                dir,
                format!(
                    "is from a different sweep than {}: its {what} differs",
                    parts[0].display()
                ),
            ));
        }
    }
    let count = first.shard.count;
    let mut seen: Vec<u64> = states.iter().map(|s| s.shard.index).collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(SweepError::Parts(format!(
            "shard {}/{count} is given more than once",
            w[0]
        )));
    }
    // Every index is below `count` and none repeats, so fewer parts means a gap.
    if (seen.len() as u64) < count {
        let missing: Vec<String> = (0..count)
            .filter(|k| seen.binary_search(k).is_err())
            .take(10)
            .map(|k| format!("{k}/{count}"))
            .collect();
        return Err(SweepError::Parts(format!(
            "merge needs all {count} shards; missing {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// One part's `runs.csv`, read in step with the others.
struct RunsReader {
    path: PathBuf,
    rows: csv::StringRecordsIntoIter<std::fs::File>,
    shard: Shard,
    seed: u64,
    runs: u64,
    last: Option<u64>,
    read: u64,
}

impl RunsReader {
    fn open(dir: &Path, state: &SweepState) -> Result<Self> {
        let path = dir.join(names::RUNS);
        let r = csv::Reader::from_path(&path).map_err(|e| part_error(&path, e.to_string()))?;
        Ok(Self {
            path,
            rows: r.into_records(),
            shard: state.shard,
            seed: state.seed,
            runs: state.runs,
            last: None,
            read: 0,
        })
    }

    /// The next row and its run index, checked: well-formed, of this shard, in
    /// ascending order, with the seed that run has.
    fn next_row(&mut self) -> Result<Option<(u64, csv::StringRecord)>> {
        let Some(rec) = self.rows.next() else {
            return Ok(None);
        };
        let line = self.read + 2;
        let bad = |what: String| part_error(&self.path, format!("line {line}: {what}"));
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        if rec.len() != RUNS_HEADER.len() {
            return Err(bad(format!(
                "{} fields, expected {}",
                rec.len(),
                RUNS_HEADER.len()
            )));
        }
        let run: u64 = rec[0]
            .parse()
            .map_err(|_| bad(format!("bad run index `{}`", &rec[0])))?;
        if run >= self.runs || !self.shard.contains(run) || self.last.is_some_and(|l| run <= l) {
            return Err(bad(format!(
                "run {run} does not belong here (shard {}/{}, in order, below {})",
                self.shard.index, self.shard.count, self.runs
            )));
        }
        if rec[1] != *seed_for(self.seed, run).to_string() {
            return Err(bad(format!("run {run} has the wrong seed `{}`", &rec[1])));
        }
        self.last = Some(run);
        self.read += 1;
        Ok(Some((run, rec)))
    }
}

/// Streams every part's rows into `out` in run order (memory holds one row per part),
/// checking each part's rows against its own state.
fn merge_rows(
    readers: &mut [RunsReader],
    states: &[SweepState],
    out: &mut csv::Writer<impl Write>,
) -> Result<()> {
    out.write_record(RUNS_HEADER)?;
    let mut heads: Vec<Option<csv::StringRecord>> = vec![None; readers.len()];
    let mut heap = BinaryHeap::new();
    for (p, r) in readers.iter_mut().enumerate() {
        if let Some((run, rec)) = r.next_row()? {
            heads[p] = Some(rec);
            heap.push(Reverse((run, p)));
        }
    }
    while let Some(Reverse((_, p))) = heap.pop() {
        if let Some(rec) = heads[p].take() {
            out.write_record(&rec)?;
        }
        if let Some((run, rec)) = readers[p].next_row()? {
            heads[p] = Some(rec);
            heap.push(Reverse((run, p)));
        }
    }
    for (r, s) in readers.iter().zip(states) {
        if r.read != s.aggregate.runs {
            return Err(part_error(
                &r.path,
                format!(
                    "holds {} runs, but its state says {}",
                    r.read, s.aggregate.runs
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses an output folder that is one of the parts: replacing it would destroy an
/// input (same folder however it is spelt: paths are compared once resolved).
fn refuse_out_among_parts(parts: &[PathBuf], out: &Path) -> Result<()> {
    let Ok(out_real) = std::fs::canonicalize(out) else {
        return Ok(()); // It does not exist yet, so it is no part.
    };
    for p in parts {
        if std::fs::canonicalize(p).is_ok_and(|r| r == out_real) {
            return Err(part_error(
                out,
                format!(
                    "is also a part being merged ({}); choose another --out",
                    p.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Merges shard folders into one sweep folder identical to an unsharded sweep. Every
/// part is checked first; a damaged or foreign part is refused, naming it.
pub fn merge_dirs(
    parts: &[PathBuf],
    out: &Path,
    charts: impl FnOnce(&Aggregate, &SweepSummary) -> Result<Charts>,
) -> Result<(PathBuf, SweepState)> {
    if parts.is_empty() {
        return Err(SweepError::Parts("no sweep folders given".into()));
    }
    refuse_out_among_parts(parts, out)?;
    let states: Vec<SweepState> = parts.iter().map(|d| read_state(d)).collect::<Result<_>>()?;
    check_parts_fit(parts, &states)?;
    let mut merged = states[0].clone();
    for (dir, s) in parts.iter().zip(&states).skip(1) {
        merged
            .aggregate
            .merge(&s.aggregate)
            .map_err(|e| part_error(dir, e))?;
        merged.interrupted |= s.interrupted;
    }
    merged.shard = Shard::all();
    let mut readers: Vec<RunsReader> = parts
        .iter()
        .zip(&states)
        .map(|(d, s)| RunsReader::open(d, s))
        .collect::<Result<_>>()?;
    let st = Staging::new(out)?.for_world(merged.world_fingerprint.clone());
    let runs_path = st.file(names::RUNS)?;
    let file = std::fs::File::create(&runs_path).map_err(io_error("create", &runs_path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    merge_rows(&mut readers, &states, &mut w)?;
    w.into_inner()
        .map_err(|e| io_error("write", &runs_path)(std::io::Error::other(e.to_string())))?
        .flush()
        .map_err(io_error("write", &runs_path))?;
    let name = merged.world.clone();
    write_outputs(&st, &name, &merged, charts)?;
    Ok((st.commit()?, merged))
}
