//! Monte Carlo what-ifs: many seeded runs of one world, run concurrently, summarised as
//! P10/P50/P90.
//!
//! Run `i` of a sweep with seed `S` is exactly `retrofit run --seed seed_for(S, i)`, so
//! any run in `runs.csv` can be replayed alone. Results stream into mergeable sketches
//! ([`Sketch`]) and a run-ordered CSV, so memory stays flat in the number of runs, and
//! the outputs do not depend on `--jobs`, on the order runs finish, or on how the sweep
//! was split into shards.

pub mod reliability;
pub mod sketch;

use crate::calendar::YearMonth;
use crate::engine::{RunOptions, RunResult};
use crate::output::Staging;
use crate::scenario::Scenario;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
pub use sketch::Sketch;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A stable fingerprint of a checked world: FNV-1a over its full debug form, so any
/// change to any figure (not only the name) changes it.
pub fn fingerprint(s: &Scenario) -> String {
    let text = format!("{s:?}");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// SplitMix64 finaliser: a bijective mix of 64 bits.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of run `i` of a sweep seeded with `seed`: independent streams for every
/// (seed, run) pair, the same whichever worker runs it.
pub fn seed_for(seed: u64, i: u64) -> u64 {
    splitmix64(splitmix64(seed) ^ splitmix64(i.wrapping_add(0x5EED)))
}

/// Which runs this process does: those with index ≡ `index` (mod `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K in `--shard K/M`.
    pub index: u64,
    /// M in `--shard K/M`.
    pub count: u64,
}

impl Shard {
    /// Parses `K/M` with `0 <= K < M`.
    pub fn parse(s: &str) -> Result<Self> {
        let (k, m) = s
            .split_once('/')
            .with_context(|| format!("`{s}` is not a shard: expected K/M, e.g. 0/4"))?;
        let index: u64 = k
            .trim()
            .parse()
            .with_context(|| format!("bad shard index in `{s}`"))?;
        let count: u64 = m
            .trim()
            .parse()
            .with_context(|| format!("bad shard count in `{s}`"))?;
        if count == 0 || index >= count {
            bail!("shard `{s}`: need 0 <= K < M");
        }
        Ok(Self { index, count })
    }

    fn all() -> Self {
        Self { index: 0, count: 1 }
    }

    fn contains(self, i: u64) -> bool {
        i % self.count == self.index
    }
}

/// Settings of a sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Total runs in the whole sweep (all shards).
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Worker threads.
    pub jobs: usize,
    /// This process's share of the runs.
    pub shard: Option<Shard>,
    /// Stop cleanly on Ctrl-C, keeping the runs that finished.
    pub handle_interrupt: bool,
}

/// One line of `runs.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// Run index in the sweep.
    pub run: u64,
    /// The seed that reproduces it with `retrofit run --seed`.
    pub seed: u64,
    /// NPV, USD.
    pub npv_usd: f64,
    /// Payback month, empty if none.
    pub payback_month: Option<YearMonth>,
    /// First month a GPU energised, empty if none.
    pub first_gpu_month: Option<YearMonth>,
    /// Months steps waited on limits.
    pub months_waited_on_limits: f64,
    /// Cumulative cash at the horizon, USD.
    pub final_cumulative_cash_usd: f64,
}

/// Streaming aggregate of many runs: sketches per month and of the summary figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Month labels.
    pub months: Vec<String>,
    /// Cumulative cash per month, USD.
    pub cumulative_cash_usd: Vec<Sketch>,
    /// GPU IT load per month, MW.
    pub gpu_it_mw: Vec<Sketch>,
    /// Revenue (ASIC + GPU) per month, USD.
    pub revenue_usd: Vec<Sketch>,
    /// NPV, USD.
    pub npv_usd: Sketch,
    /// Months waited on limits.
    pub months_waited: Sketch,
    /// Runs paying back in month `m` (index), exact counts.
    pub payback_by_month: Vec<u64>,
    /// Runs whose first GPU energised in month `m`, exact counts.
    pub first_gpu_by_month: Vec<u64>,
    /// Runs aggregated.
    pub runs: u64,
    /// Failure figures, for worlds with a reliability section (issue 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<reliability::ReliabilityAggregate>,
}

impl Aggregate {
    /// An empty aggregate for a scenario's months.
    pub fn new(s: &Scenario) -> Self {
        let n = s.calendar.months() as usize;
        Self {
            months: (0..n as u32)
                .map(|m| s.calendar.label(m).to_string())
                .collect(),
            cumulative_cash_usd: vec![Sketch::new(); n],
            gpu_it_mw: vec![Sketch::new(); n],
            revenue_usd: vec![Sketch::new(); n],
            npv_usd: Sketch::new(),
            months_waited: Sketch::new(),
            payback_by_month: vec![0; n],
            first_gpu_by_month: vec![0; n],
            runs: 0,
            reliability: reliability::ReliabilityAggregate::new(s),
        }
    }

    /// Adds one run.
    pub fn add(&mut self, r: &RunResult) {
        for (m, row) in r.ledger.iter().enumerate() {
            self.cumulative_cash_usd[m].add(row.cumulative_cash_usd);
            self.gpu_it_mw[m].add(row.gpu_it_mw);
            self.revenue_usd[m].add(row.asic_revenue_usd + row.gpu_revenue_usd);
        }
        self.npv_usd.add(r.summary.npv_usd);
        self.months_waited.add(r.summary.months_waited_on_limits);
        // Month index from the run's own first month: no label search.
        let start = r.ledger.first().map(|row| row.month);
        let n = self.months.len();
        let idx = |m: Option<YearMonth>| {
            usize::try_from(m?.months_since(start?))
                .ok()
                .filter(|&i| i < n)
        };
        if let Some(i) = idx(r.summary.payback_month) {
            self.payback_by_month[i] += 1;
        }
        if let Some(i) = idx(r.summary.first_gpu_month) {
            self.first_gpu_by_month[i] += 1;
        }
        if let (Some(a), Some(rel)) = (&mut self.reliability, &r.reliability) {
            a.add(rel);
        }
        self.runs += 1;
    }

    /// Adds another aggregate of the same world.
    pub fn merge(&mut self, o: &Aggregate) -> Result<()> {
        if o.months != self.months {
            bail!("cannot merge sweeps over different months");
        }
        for (a, b) in [
            (&mut self.cumulative_cash_usd, &o.cumulative_cash_usd),
            (&mut self.gpu_it_mw, &o.gpu_it_mw),
            (&mut self.revenue_usd, &o.revenue_usd),
        ] {
            a.iter_mut().zip(b).for_each(|(x, y)| x.merge(y));
        }
        self.npv_usd.merge(&o.npv_usd);
        self.months_waited.merge(&o.months_waited);
        for (a, b) in [
            (&mut self.payback_by_month, &o.payback_by_month),
            (&mut self.first_gpu_by_month, &o.first_gpu_by_month),
        ] {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        if let (Some(a), Some(b)) = (&mut self.reliability, &o.reliability) {
            a.merge(b)?;
        }
        self.runs += o.runs;
        Ok(())
    }

    /// `percentiles.csv`: per month, P10/P50/P90 of cumulative cash, GPU IT MW and
    /// revenue.
    pub fn percentiles_csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "month",
            "cumulative_cash_usd_p10",
            "cumulative_cash_usd_p50",
            "cumulative_cash_usd_p90",
            "gpu_it_mw_p10",
            "gpu_it_mw_p50",
            "gpu_it_mw_p90",
            "revenue_usd_p10",
            "revenue_usd_p50",
            "revenue_usd_p90",
        ])?;
        for (m, label) in self.months.iter().enumerate() {
            let mut rec = vec![label.clone()];
            for s in [
                &self.cumulative_cash_usd[m],
                &self.gpu_it_mw[m],
                &self.revenue_usd[m],
            ] {
                for q in [0.1, 0.5, 0.9] {
                    rec.push(s.quantile(q).map(|v| v.to_string()).unwrap_or_default());
                }
            }
            w.write_record(&rec)?;
        }
        Ok(w.into_inner()?)
    }

    /// The month label at quantile `q` of an exact per-month histogram with `never`
    /// runs beyond the horizon (`None` if the quantile falls among them).
    fn month_quantile(&self, hist: &[u64], q: f64) -> Option<String> {
        if self.runs == 0 {
            return None;
        }
        let rank = (q * (self.runs - 1) as f64).floor() as u64;
        let mut seen = 0;
        for (m, &c) in hist.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Some(self.months[m].clone());
            }
        }
        None
    }

    /// The sweep's summary figures.
    pub fn summary(
        &self,
        world: &str,
        cfg_seed: u64,
        runs_planned: u64,
        partial: bool,
    ) -> SweepSummary {
        let paid: u64 = self.payback_by_month.iter().sum();
        let q = |s: &Sketch| Percentiles {
            p10: s.quantile(0.1),
            p50: s.quantile(0.5),
            p90: s.quantile(0.9),
        };
        let mq = |h: &[u64]| MonthPercentiles {
            p10: self.month_quantile(h, 0.1),
            p50: self.month_quantile(h, 0.5),
            p90: self.month_quantile(h, 0.9),
        };
        SweepSummary {
            world: world.to_string(),
            seed: cfg_seed,
            runs_planned,
            runs_completed: self.runs,
            partial,
            npv_usd: q(&self.npv_usd),
            payback_month: mq(&self.payback_by_month),
            probability_payback_within_horizon: if self.runs == 0 {
                0.0
            } else {
                paid as f64 / self.runs as f64
            },
            first_gpu_month: mq(&self.first_gpu_by_month),
            months_waited_on_limits: q(&self.months_waited),
            final_cumulative_cash_usd: self.cumulative_cash_usd.last().map(q).unwrap_or(
                Percentiles {
                    p10: None,
                    p50: None,
                    p90: None,
                },
            ),
            reliability: self.reliability.as_ref().map(|r| r.summary()),
        }
    }
}

/// P10/P50/P90 of a figure (`None` when no run completed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    /// 10th percentile.
    pub p10: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
}

/// P10/P50/P90 of a month; `None` where that share of runs never reached it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPercentiles {
    /// 10th percentile.
    pub p10: Option<String>,
    /// Median.
    pub p50: Option<String>,
    /// 90th percentile.
    pub p90: Option<String>,
}

/// `summary.json` of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSummary {
    /// World name.
    pub world: String,
    /// Base seed.
    pub seed: u64,
    /// Runs asked for.
    pub runs_planned: u64,
    /// Runs that finished.
    pub runs_completed: u64,
    /// True when the sweep was interrupted (or is one shard of a larger sweep).
    pub partial: bool,
    /// NPV, USD.
    pub npv_usd: Percentiles,
    /// Payback month.
    pub payback_month: MonthPercentiles,
    /// Share of runs that pay back within the horizon.
    pub probability_payback_within_horizon: f64,
    /// First GPU month.
    pub first_gpu_month: MonthPercentiles,
    /// Months waited on limits.
    pub months_waited_on_limits: Percentiles,
    /// Cumulative cash at the horizon, USD.
    pub final_cumulative_cash_usd: Percentiles,
    /// Availability, SLA credits and longest outage (worlds with a reliability section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reliability: Option<reliability::ReliabilitySummary>,
}

/// What a shard (or whole sweep) leaves for `retrofit merge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepState {
    /// World name.
    pub world: String,
    /// Fingerprint of the checked world (every figure, not just its name), so shards of
    /// different worlds are never merged.
    pub world_fingerprint: String,
    /// Base seed.
    pub seed: u64,
    /// Total runs of the whole sweep.
    pub runs: u64,
    /// Which shard this is.
    pub shard: Shard,
    /// True if interrupted.
    pub interrupted: bool,
    /// The aggregate.
    pub aggregate: Aggregate,
}

/// File name of the merge state inside a sweep folder.
pub const STATE_FILE: &str = "sweep-state.json";

/// Runs the sweep on a tokio runtime and returns the aggregate and whether it was
/// interrupted. `on_record` receives each run's record in run order; `on_run` is called
/// as each run finishes (for progress). Setting `stop` (or Ctrl-C when
/// `cfg.handle_interrupt`) stops after the runs in flight; what finished is kept.
pub fn execute(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    stop: Arc<AtomicBool>,
    mut on_record: impl FnMut(&RunRecord) -> Result<()>,
    on_run: impl Fn(),
) -> Result<(Aggregate, bool)> {
    if cfg.runs == 0 {
        bail!("a sweep needs at least one run (--runs 1 or more)");
    }
    let shard = cfg.shard.unwrap_or(Shard::all());
    let indices: Arc<Vec<u64>> = Arc::new((0..cfg.runs).filter(|&i| shard.contains(i)).collect());
    if indices.is_empty() {
        bail!(
            "shard {}/{} of a {}-run sweep holds no runs: use at most {} shards",
            shard.index,
            shard.count,
            cfg.runs,
            cfg.runs
        );
    }
    let jobs = cfg.jobs.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(jobs)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let mut agg = Aggregate::new(&s);
    let total = indices.len();
    let base_seed = cfg.seed;
    let record = |i: u64, r: &RunResult| RunRecord {
        run: i,
        seed: seed_for(base_seed, i),
        npv_usd: r.summary.npv_usd,
        payback_month: r.summary.payback_month,
        first_gpu_month: r.summary.first_gpu_month,
        months_waited_on_limits: r.summary.months_waited_on_limits,
        final_cumulative_cash_usd: r.summary.final_cumulative_cash_usd,
    };
    runtime.block_on(async {
        if cfg.handle_interrupt {
            // On Unix the handler is registered here, before any run starts (ctrl_c()
            // would only register when its task is first polled).
            #[cfg(unix)]
            let mut interrupt =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                    .context("cannot listen for Ctrl-C")?;
            let stop = stop.clone();
            tokio::spawn(async move {
                #[cfg(unix)]
                let pressed = interrupt.recv().await.is_some();
                #[cfg(not(unix))]
                let pressed = tokio::signal::ctrl_c().await.is_ok();
                if pressed {
                    stop.store(true, Ordering::SeqCst);
                }
            });
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<(u64, RunResult), String>>(jobs * 4);
        let next = Arc::new(AtomicU64::new(0));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..jobs {
            let (tx, next, indices, s, stop) = (
                tx.clone(),
                next.clone(),
                indices.clone(),
                s.clone(),
                stop.clone(),
            );
            // CPU-bound runs go to blocking threads, one loop per job, each pulling the
            // next run index: a bounded pool whatever N is.
            workers.spawn_blocking(move || {
                let opts = RunOptions {
                    record_events: false,
                    audit: false,
                };
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(&i) = indices.get(k) else { break };
                    let r = crate::run_with(&s, Some(seed_for(base_seed, i)), opts)
                        .map(|r| (i, r))
                        .map_err(|e| e.to_string());
                    if tx.blocking_send(r).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<u64, RunResult> = BTreeMap::new();
        let mut next_to_write = 0usize;
        while let Some(msg) = rx.recv().await {
            let (i, r) = msg.map_err(anyhow::Error::msg)?;
            on_run();
            pending.insert(i, r);
            // Aggregate and write in run order so outputs never depend on timing.
            while let Some(r) = indices.get(next_to_write).and_then(|i| pending.remove(i)) {
                let i = indices[next_to_write];
                agg.add(&r);
                on_record(&record(i, &r))?;
                next_to_write += 1;
            }
        }
        while workers.join_next().await.is_some() {}
        // After an interruption, runs that finished beyond a gap are kept, in order.
        for (i, r) in std::mem::take(&mut pending) {
            agg.add(&r);
            on_record(&record(i, &r))?;
        }
        anyhow::Ok(())
    })?;
    let interrupted = agg.runs < total as u64;
    Ok((agg, interrupted))
}

/// Charts a sweep folder may carry, rendered by the caller: (file name, PNG bytes).
pub type Charts = Vec<(String, Vec<u8>)>;

/// Writes a sweep folder: `runs.csv`, `percentiles.csv`, `summary.json` and the merge
/// state, plus `charts` made from the aggregate.
pub fn write_outputs(
    st: &Staging,
    s_name: &str,
    state: &SweepState,
    charts: impl FnOnce(&Aggregate, &SweepSummary) -> Result<Charts>,
) -> Result<()> {
    let partial = state.interrupted || state.shard.count > 1;
    let summary = state
        .aggregate
        .summary(s_name, state.seed, state.runs, partial);
    st.write("percentiles.csv", state.aggregate.percentiles_csv()?)?;
    st.write(
        "summary.json",
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    st.write(STATE_FILE, serde_json::to_string(state)? + "\n")?;
    for (name, bytes) in charts(&state.aggregate, &summary)? {
        st.write(&name, bytes)?;
    }
    Ok(())
}

/// Runs a sweep into `out`, replacing it atomically. Returns the folder, the summary
/// and whether the sweep was interrupted.
pub fn sweep_to_dir(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    out: &Path,
    stop: Arc<AtomicBool>,
    on_run: impl Fn(),
    charts: impl FnOnce(&Aggregate, &SweepSummary) -> Result<Charts>,
) -> Result<(PathBuf, SweepState)> {
    let st = Staging::new(out)?;
    let file = std::fs::File::create(st.file("runs.csv")?)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let (aggregate, interrupted) =
        execute(s.clone(), cfg, stop, |rec| Ok(w.serialize(rec)?), on_run)?;
    if aggregate.runs == 0 {
        // The header is written with the first record; keep the file valid when empty.
        w.write_record(RUNS_HEADER)?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write runs.csv: {e}"))?
        .flush()?;
    let state = SweepState {
        world: s.name.clone(),
        world_fingerprint: fingerprint(&s),
        seed: cfg.seed,
        runs: cfg.runs,
        shard: cfg.shard.unwrap_or(Shard::all()),
        interrupted,
        aggregate,
    };
    write_outputs(&st, &s.name, &state, charts)?;
    Ok((st.commit()?, state))
}

const RUNS_HEADER: [&str; 7] = [
    "run",
    "seed",
    "npv_usd",
    "payback_month",
    "first_gpu_month",
    "months_waited_on_limits",
    "final_cumulative_cash_usd",
];

/// Merges shard folders into one sweep folder identical to an unsharded sweep.
pub fn merge_dirs(
    parts: &[PathBuf],
    out: &Path,
    charts: impl FnOnce(&Aggregate, &SweepSummary) -> Result<Charts>,
) -> Result<(PathBuf, SweepState)> {
    let mut merged: Option<SweepState> = None;
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut shards_seen = Vec::new();
    for dir in parts {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: not a sweep folder", path.display()))?;
        let part: SweepState = serde_json::from_str(&text)
            .with_context(|| format!("{}: unreadable sweep state", path.display()))?;
        let mut r = csv::Reader::from_path(dir.join("runs.csv"))
            .with_context(|| format!("{}: cannot read runs.csv", dir.display()))?;
        for rec in r.records() {
            let rec = rec?;
            let run: u64 = rec
                .get(0)
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("{}: bad run index", dir.display()))?;
            rows.push((run, rec));
        }
        shards_seen.push(part.shard);
        merged = Some(match merged {
            None => part,
            Some(mut m) => {
                let differs = [
                    ("world", m.world_fingerprint != part.world_fingerprint),
                    ("seed", m.seed != part.seed),
                    ("run count", m.runs != part.runs),
                    ("shard count", m.shard.count != part.shard.count),
                ];
                if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
                    bail!(
                        "{} is from a different sweep than {}: its {what} differs",
                        dir.display(),
                        parts[0].display()
                    );
                }
                m.aggregate.merge(&part.aggregate)?;
                m.interrupted |= part.interrupted;
                m
            }
        });
    }
    let mut state = merged.context("no sweep folders given")?;
    shards_seen.sort_by_key(|s| s.index);
    if let Some(w) = shards_seen.windows(2).find(|w| w[0].index == w[1].index) {
        bail!(
            "shard {}/{} is given more than once",
            w[0].index,
            w[0].count
        );
    }
    let missing: Vec<String> = (0..state.shard.count)
        .filter(|k| !shards_seen.iter().any(|s| s.index == *k))
        .map(|k| format!("{k}/{}", state.shard.count))
        .collect();
    if !missing.is_empty() {
        bail!(
            "merge needs all {} shards; missing {}",
            state.shard.count,
            missing.join(", ")
        );
    }
    state.shard = Shard::all();
    rows.sort_by_key(|(run, _)| *run);
    let st = Staging::new(out)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RUNS_HEADER)?;
    for (_, rec) in &rows {
        w.write_record(rec)?;
    }
    st.write("runs.csv", w.into_inner()?)?;
    let name = state.world.clone();
    write_outputs(&st, &name, &state, charts)?;
    Ok((st.commit()?, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_run_and_per_base_seed() {
        let a: Vec<u64> = (0..100).map(|i| seed_for(1, i)).collect();
        let mut d = a.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 100);
        assert_ne!(seed_for(1, 0), seed_for(2, 0));
    }

    #[test]
    fn shards_parse_and_partition() {
        let s = Shard::parse("1/3").unwrap();
        assert_eq!(
            (0..9).filter(|&i| s.contains(i)).collect::<Vec<_>>(),
            vec![1, 4, 7]
        );
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("x").is_err());
    }
}

/// A progress bar for `total` runs: runs done, rate and ETA on stderr when it is a
/// terminal (`interactive`), hidden otherwise so pipes and CI logs stay clean.
pub fn progress_bar(total: u64, interactive: bool) -> indicatif::ProgressBar {
    let target = if interactive {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod progress_tests {
    #[test]
    fn the_progress_bar_is_hidden_when_stderr_is_not_a_terminal() {
        assert!(super::progress_bar(10, false).is_hidden());
    }
}
