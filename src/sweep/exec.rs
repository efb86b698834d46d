//! Running a sweep: a bounded pool of workers pulling run indices, results aggregated
//! and written in run order.

use super::{
    Aggregate, Charts, Result, RunRecord, Shard, SweepConfig, SweepError, SweepState, SweepSummary,
    fingerprint, seed_for, write_outputs,
};
use crate::engine::{self, Draws, RunOptions, RunResult};
use crate::facility::Facility;
use crate::output::{OutputError, Staging, io_error, names};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What a worker sends back: the run's position in the shard, its index and result.
type Finished = std::result::Result<(u64, u64, RunResult), crate::engine::InvariantViolation>;

/// Runs the sweep on a tokio runtime and returns the aggregate and whether it was
/// interrupted. `on_record` receives each run's record in run order; `on_run` is called
/// as each run finishes (for progress). Setting `stop` (or Ctrl-C, SIGTERM or SIGHUP
/// when `cfg.handle_interrupt`) stops after the runs in flight; what finished is kept.
///
/// Memory does not depend on the number of runs: run indices are computed, never
/// listed, and results are folded into the aggregate as they arrive.
pub fn execute(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    stop: Arc<AtomicBool>,
    mut on_record: impl FnMut(&RunRecord) -> Result<()>,
    on_run: impl Fn(),
) -> Result<(Aggregate, bool)> {
    if cfg.runs == 0 {
        return Err(SweepError::NoRuns);
    }
    let shard = cfg.shard.unwrap_or(Shard::all());
    let total = shard.runs_in(cfg.runs);
    if total == 0 {
        return Err(SweepError::EmptyShard {
            shard,
            runs: cfg.runs,
        });
    }
    let jobs = cfg.jobs.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(jobs)
        .enable_all()
        .build()
        .map_err(SweepError::Runtime)?;
    let mut agg = Aggregate::new(&s);
    let base_seed = cfg.seed;
    runtime.block_on(async {
        if cfg.handle_interrupt {
            listen_for_stop(stop.clone())?;
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<Finished>(jobs * 4);
        let mut workers = tokio::task::JoinSet::new();
        let next = Arc::new(AtomicU64::new(0));
        for _ in 0..jobs {
            let work = Work {
                s: s.clone(),
                shard,
                total,
                base_seed,
                next: next.clone(),
                stop: stop.clone(),
            };
            let tx = tx.clone();
            // CPU-bound runs go to blocking threads, one loop per job, each pulling the
            // next run: a bounded pool whatever N is.
            workers.spawn_blocking(move || work.run(&tx));
        }
        drop(tx);
        let mut emit = |i: u64, r: &RunResult| {
            agg.add(r);
            on_record(&record(base_seed, i, r))
        };
        let collected = collect(rx, &mut emit, &on_run).await;
        if collected.is_err() {
            stop.store(true, Ordering::SeqCst);
        }
        while workers.join_next().await.is_some() {}
        collected
    })?;
    let interrupted = agg.runs < total;
    Ok((agg, interrupted))
}

/// Sets `stop` on Ctrl-C, SIGTERM or SIGHUP (what Slurm and `timeout` send), so a
/// batch job's sweep keeps the runs that finished. The handlers are registered here,
/// before any run starts.
fn listen_for_stop(stop: Arc<AtomicBool>) -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for kind in [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ] {
            let mut sig = signal(kind).map_err(SweepError::Runtime)?;
            let stop = stop.clone();
            tokio::spawn(async move {
                if sig.recv().await.is_some() {
                    stop.store(true, Ordering::SeqCst);
                }
            });
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.store(true, Ordering::SeqCst);
        }
    });
    Ok(())
}

/// One worker's view of the sweep.
struct Work {
    s: Arc<Scenario>,
    shard: Shard,
    total: u64,
    base_seed: u64,
    next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Work {
    fn run(self, tx: &tokio::sync::mpsc::Sender<Finished>) {
        let opts = RunOptions {
            record_events: false,
            audit: false,
        };
        // Spawned once per worker and reset per run (issue 15): spawning the ~13,000
        // rack and unit-batch entities was most of a run's cost.
        let mut facility = Facility::spawn(&self.s);
        while !self.stop.load(Ordering::Relaxed) {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if k >= self.total {
                break;
            }
            let i = self.shard.nth(k);
            let seed = Some(seed_for(self.base_seed, i));
            let draws = Draws::for_seed(&self.s, seed);
            let r = engine::run_on(&mut facility, &self.s, &draws, seed, opts).map(|r| (k, i, r));
            if tx.blocking_send(r).is_err() {
                break;
            }
        }
    }
}

/// Receives finished runs and hands them to `emit` in run order, so outputs never
/// depend on timing. After an interruption, runs that finished beyond a gap are kept,
/// in order.
async fn collect(
    mut rx: tokio::sync::mpsc::Receiver<Finished>,
    emit: &mut impl FnMut(u64, &RunResult) -> Result<()>,
    on_run: &impl Fn(),
) -> Result<()> {
    // Holds only runs that finished ahead of a slower one: at most about `jobs`.
    let mut pending: BTreeMap<u64, (u64, RunResult)> = BTreeMap::new();
    let mut next_to_write = 0u64;
    while let Some(msg) = rx.recv().await {
        let (k, i, r) = msg.map_err(SweepError::Run)?;
        on_run();
        pending.insert(k, (i, r));
        while let Some((i, r)) = pending.remove(&next_to_write) {
            emit(i, &r)?;
            next_to_write += 1;
        }
    }
    for (_, (i, r)) in std::mem::take(&mut pending) {
        emit(i, &r)?;
    }
    Ok(())
}

/// The `runs.csv` line of run `i`.
fn record(base_seed: u64, i: u64, r: &RunResult) -> RunRecord {
    RunRecord {
        run: i,
        seed: seed_for(base_seed, i),
        npv_usd: r.summary.npv_usd,
        payback_month: r.summary.payback_month,
        first_gpu_month: r.summary.first_gpu_month,
        months_waited_on_limits: r.summary.months_waited_on_limits,
        final_cumulative_cash_usd: r.summary.final_cumulative_cash_usd,
    }
}

/// Maps a failed write of `path` (a full disk, say) to an error that names it.
fn write_error(path: &Path) -> impl Fn(csv::Error) -> SweepError + '_ {
    move |e| {
        let source = match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            other => std::io::Error::other(format!("{other:?}")),
        };
        SweepError::Output(OutputError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Runs a sweep into `out`, replacing it atomically. Returns the folder and the state
/// it holds (summary figures, and whether the sweep was interrupted).
pub fn sweep_to_dir(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    out: &Path,
    stop: Arc<AtomicBool>,
    on_run: impl Fn(),
    charts: impl FnOnce(&Aggregate, &SweepSummary) -> Result<Charts>,
) -> Result<(PathBuf, SweepState)> {
    let st = Staging::new(out)?.for_world(fingerprint(&s));
    let runs_path = st.file(names::RUNS)?;
    let file = std::fs::File::create(&runs_path).map_err(io_error("create", &runs_path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let (aggregate, interrupted) = execute(
        s.clone(),
        cfg,
        stop,
        |rec| w.serialize(rec).map_err(write_error(&runs_path)),
        on_run,
    )?;
    if aggregate.runs == 0 {
        // The header is written with the first record; keep the file valid when empty.
        w.write_record(super::RUNS_HEADER)
            .map_err(write_error(&runs_path))?;
    }
    w.into_inner()
        .map_err(|e| io_error("write", &runs_path)(std::io::Error::other(e.to_string())))?
        .flush()
        .map_err(io_error("write", &runs_path))?;
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
