//! Running a sweep: a bounded pool of workers pulling run indices, results aggregated
//! and written in run order.

use super::{
    Aggregate, Charts, InOrder, Result, RunRecord, Shard, SweepConfig, SweepError, SweepState,
    SweepSummary, fingerprint, seed_for, write_outputs,
};
use crate::engine::{self, Draws, RunOptions, RunResult};
use crate::facility::Facility;
use crate::output::{OutputError, Staging, io_error, names};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// What a worker sends back: the run's position in the shard and what it carries (for
/// a sweep, the run's index and result).
type Finished<T> = std::result::Result<(u64, T), crate::engine::InvariantViolation>;

/// How long the collector lets finished runs gather before taking them together.
const GATHER: Duration = Duration::from_millis(1);

/// Run positions a worker may take ahead of the next run to be written, per job: the
/// re-ordering buffer holds at most `jobs ×` this many finished runs, however the OS
/// schedules the workers.
const WINDOW_PER_JOB: u64 = 32;

/// Keeps every worker within `size` run positions of the next run to be written, so a
/// descheduled worker cannot let the others pile up finished runs (each with its whole
/// ledger) in the re-ordering buffer.
struct Window {
    size: u64,
    /// Runs written so far, in order.
    written: Mutex<u64>,
    moved: Condvar,
}

impl Window {
    fn new(size: u64) -> Self {
        Window {
            size: size.max(1),
            written: Mutex::new(0),
            moved: Condvar::new(),
        }
    }

    /// Blocks until position `k` is inside the window; false if `stop` is set first.
    /// The position being written next is always inside, so its worker never waits:
    /// the window cannot deadlock.
    fn enter(&self, k: u64, stop: &AtomicBool) -> bool {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        while k >= *written + self.size {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            // Woken by `advance`; the timeout only re-reads `stop`, which a signal
            // handler sets without notifying.
            written = self
                .moved
                .wait_timeout(written, Duration::from_millis(50))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Records that the runs before position `written` are written.
    fn advance(&self, written: u64) {
        *self.written.lock().unwrap_or_else(PoisonError::into_inner) = written;
        self.moved.notify_all();
    }
}

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
    on_record: impl FnMut(&RunRecord) -> Result<()>,
    on_run: impl Fn(),
) -> Result<(Aggregate, bool)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Folding a run into the sketches is about a tenth of the run itself. Beside fewer
    // workers than cores, the collecting thread has a core of its own and folds every
    // run there; when the workers take every core it would compete with them (Amdahl),
    // so each worker folds its own runs instead. The aggregate is the same either way.
    let fold = if cfg.jobs.max(1) >= cores {
        Fold::InWorkers
    } else {
        Fold::InCollector
    };
    execute_folding(s, cfg, stop, on_record, on_run, fold)
}

/// Where runs are folded into the aggregate's sketches and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// The collecting thread folds each run as it writes it, in run order.
    InCollector,
    /// Each worker folds the runs it ran into its own partial aggregate; the partials
    /// are merged at the end. Sketches and counts hold integers, so the merged
    /// aggregate is exactly the one of folding every run in order; the floating-point
    /// sums ([`InOrder`]) are still added by the collector, in run order.
    InWorkers,
}

/// A finished run as a worker sends it.
struct Done {
    /// Its line of `runs.csv`.
    record: RunRecord,
    /// The whole result, for the collector to fold; `None` once the worker folded it.
    result: Option<Box<RunResult>>,
    /// What the collector adds in run order.
    in_order: InOrder,
}

/// [`execute`], folding runs where `fold` says.
fn execute_folding(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    stop: Arc<AtomicBool>,
    mut on_record: impl FnMut(&RunRecord) -> Result<()>,
    on_run: impl Fn(),
    fold: Fold,
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
    runtime.block_on(async {
        if cfg.handle_interrupt {
            listen_for_stop(stop.clone())?;
        }
        let window = Arc::new(Window::new(jobs as u64 * WINDOW_PER_JOB));
        // As large as the window, so a worker never waits on a gathering collector.
        let (tx, rx) = tokio::sync::mpsc::channel::<Finished<Done>>(window.size as usize);
        let work = Work {
            s: s.clone(),
            shard,
            total,
            base_seed: cfg.seed,
            next: Arc::new(AtomicU64::new(0)),
            window: window.clone(),
            stop: stop.clone(),
        };
        let mut workers = spawn_workers(&work, jobs, &tx, fold);
        drop(tx);
        let mut emit = |d: &Done| {
            match &d.result {
                Some(r) => agg.add(r),
                None => agg.add_in_order(&d.in_order),
            }
            on_record(&d.record)
        };
        let collected = collect(rx, &window, total, &mut emit, &on_run).await;
        if collected.is_err() {
            stop.store(true, Ordering::SeqCst);
        }
        let mut partials = Vec::new();
        while let Some(joined) = workers.join_next().await {
            // A worker that panicked took its partial aggregate with it.
            let partial = joined.map_err(|e| SweepError::Runtime(std::io::Error::other(e)))?;
            partials.extend(partial);
        }
        let peak = collected?;
        debug_assert!(peak <= window.size, "re-ordering buffer held {peak} runs");
        for p in &partials {
            agg.merge(p).map_err(SweepError::Encode)?;
        }
        Ok::<(), SweepError>(())
    })?;
    let interrupted = agg.runs < total;
    Ok((agg, interrupted))
}

/// Starts `jobs` workers, each a copy of `work` (sharing its counters), on blocking
/// threads: CPU-bound runs, one loop per job, each pulling the next run, a bounded
/// pool whatever the number of runs. Each returns its partial aggregate when `fold`
/// puts folding in the workers.
fn spawn_workers(
    work: &Work,
    jobs: usize,
    tx: &tokio::sync::mpsc::Sender<Finished<Done>>,
    fold: Fold,
) -> tokio::task::JoinSet<Option<Aggregate>> {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let (work, tx) = (work.clone(), tx.clone());
        workers.spawn_blocking(move || work.run(&tx, fold));
    }
    workers
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
#[derive(Clone)]
struct Work {
    s: Arc<Scenario>,
    shard: Shard,
    total: u64,
    base_seed: u64,
    next: Arc<AtomicU64>,
    window: Arc<Window>,
    stop: Arc<AtomicBool>,
}

impl Work {
    /// Runs positions until none is left (or `stop`), sending each finished run; with
    /// [`Fold::InWorkers`], returns the partial aggregate of the runs it sent.
    fn run(self, tx: &tokio::sync::mpsc::Sender<Finished<Done>>, fold: Fold) -> Option<Aggregate> {
        let opts = RunOptions {
            record_events: false,
            audit: false,
        };
        let mut partial = (fold == Fold::InWorkers).then(|| Aggregate::new(&self.s));
        // Spawned once per worker and reset per run (issue 15): spawning the ~13,000
        // rack and unit-batch entities was most of a run's cost.
        let mut facility = Facility::spawn(&self.s);
        pull(&self.next, self.total, &self.window, &self.stop, tx, |k| {
            let i = self.shard.nth(k);
            let seed = Some(seed_for(self.base_seed, i));
            let draws = Draws::for_seed(&self.s, seed);
            let r = engine::run_on(&mut facility, &self.s, &draws, seed, opts)?;
            let (record, in_order) = (record(self.base_seed, i, &r), InOrder::of(&r));
            // Folded before it is sent: a run the collector never receives fails the
            // whole sweep, so no partial ever holds a run missing from runs.csv.
            let result = match partial.as_mut() {
                Some(p) => {
                    p.add_order_free(&r);
                    None
                }
                None => Some(Box::new(r)),
            };
            Ok(Done {
                record,
                result,
                in_order,
            })
        });
        partial
    }
}

/// One worker's loop: takes the next run position below `total`, waits until it is
/// inside the window, runs it and sends the result, until the runs or `stop` end it.
fn pull<T>(
    next: &AtomicU64,
    total: u64,
    window: &Window,
    stop: &AtomicBool,
    tx: &tokio::sync::mpsc::Sender<Finished<T>>,
    mut run: impl FnMut(u64) -> std::result::Result<T, crate::engine::InvariantViolation>,
) {
    while !stop.load(Ordering::Relaxed) {
        let k = next.fetch_add(1, Ordering::Relaxed);
        if k >= total || !window.enter(k, stop) {
            break;
        }
        if tx.blocking_send(run(k).map(|r| (k, r))).is_err() {
            break;
        }
    }
}

/// Receives finished runs and hands them to `emit` in run order, so outputs never
/// depend on timing, moving `window` on as runs are written. After an interruption,
/// runs that finished beyond a gap are kept, in order. Returns the most finished runs
/// the re-ordering buffer held at once (never more than the window: a run is taken
/// only within it of the next to write). `expected` is how many runs the workers will
/// send if nothing stops them.
async fn collect<T>(
    mut rx: tokio::sync::mpsc::Receiver<Finished<T>>,
    window: &Window,
    expected: u64,
    emit: &mut impl FnMut(&T) -> Result<()>,
    on_run: &impl Fn(),
) -> Result<u64> {
    // Holds only runs that finished ahead of a slower one.
    let mut pending: BTreeMap<u64, T> = BTreeMap::new();
    let mut next_to_write = 0u64;
    let mut peak = 0;
    let mut batch = Vec::with_capacity(window.size as usize);
    let mut received = 0u64;
    while rx.recv_many(&mut batch, window.size as usize).await > 0 {
        received += batch.len() as u64;
        let before = next_to_write;
        for msg in batch.drain(..) {
            let (k, r) = msg.map_err(SweepError::Run)?;
            on_run();
            pending.insert(k, r);
            peak = peak.max(pending.len() as u64);
            while let Some(r) = pending.remove(&next_to_write) {
                emit(&r)?;
                next_to_write += 1;
            }
        }
        if next_to_write > before {
            window.advance(next_to_write);
        }
        // Runs finish every few tenths of a millisecond: woken for each, this thread
        // cost two context switches per run on cores the workers need (twice as many
        // switches as runs at --jobs 2). Let runs gather for a moment instead; the
        // window (and the channel, as large) holds far more than arrive meanwhile.
        // Not for the last runs: asleep when the last one arrived, this thread would
        // hold up the end of every sweep by up to a timer tick (1–2 ms).
        let half = window.size / 2;
        if (rx.len() as u64) < half && expected.saturating_sub(received) > half {
            tokio::time::sleep(GATHER).await;
        }
    }
    for (_, r) in std::mem::take(&mut pending) {
        emit(&r)?;
    }
    Ok(peak)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Folding runs in the workers (partials merged at the end) and in the collector
    /// (every run in order) give the same aggregate and the same records, for worlds
    /// with reliability sums and finance sketches, whatever the number of workers.
    #[test]
    fn folding_in_the_workers_gives_the_aggregate_of_folding_in_order() {
        for world in ["worlds/reference.ron", "worlds/teaching-failure.ron"] {
            let s = Arc::new(crate::load(world).unwrap());
            let sweep = |jobs, fold| {
                let cfg = SweepConfig {
                    runs: 24,
                    seed: 3,
                    jobs,
                    shard: None,
                    handle_interrupt: false,
                };
                let mut records = Vec::new();
                let stop = Arc::new(AtomicBool::new(false));
                let on_record = |r: &RunRecord| {
                    records.push(r.clone());
                    Ok(())
                };
                let (agg, interrupted) =
                    execute_folding(s.clone(), &cfg, stop, on_record, || {}, fold).unwrap();
                assert!(!interrupted);
                (agg, records)
            };
            let in_order = sweep(1, Fold::InCollector);
            assert_eq!(in_order.0.runs, 24);
            for jobs in [1, 2, 3] {
                assert_eq!(
                    sweep(jobs, Fold::InWorkers),
                    in_order,
                    "{world} --jobs {jobs}"
                );
            }
            if let Some(rel) = &in_order.0.reliability {
                assert_eq!(rel.runs, 24, "{world}");
            }
        }
    }

    #[test]
    fn a_position_is_admitted_only_within_the_window_of_the_next_run_to_write() {
        let window = Window::new(4);
        // With `stop` set, `enter` answers at once instead of waiting.
        let stopped = AtomicBool::new(true);
        assert!((0..4).all(|k| window.enter(k, &stopped)));
        assert!(!window.enter(4, &stopped));
        window.advance(3);
        assert!(window.enter(6, &stopped));
        assert!(!window.enter(7, &stopped));
    }

    /// Worker A takes position 0 and holds it until worker B has run position 3, the
    /// last the window lets B take while 0 is unwritten; B meanwhile pulls as fast as
    /// it can. Every run must start inside the window, the buffer must never hold more
    /// than the window, and the runs come out in order.
    #[test]
    fn the_reorder_buffer_never_holds_more_than_the_window() {
        const TOTAL: u64 = 300;
        const SIZE: u64 = 4;
        let window = Arc::new(Window::new(SIZE));
        let next = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let outside = Arc::new(AtomicU64::new(0));
        let (tx, rx) = tokio::sync::mpsc::channel::<Finished<u64>>(TOTAL as usize);
        let (has_0_tx, has_0) = std::sync::mpsc::channel();
        let (edge_tx, edge) = std::sync::mpsc::channel();
        // Worker A is the one holding `edge`: it waits on it in run 0.
        let worker = |edge: Option<std::sync::mpsc::Receiver<()>>| {
            let (next, window, stop, tx) = (next.clone(), window.clone(), stop.clone(), tx.clone());
            let (has_0_tx, edge_tx, outside) = (has_0_tx.clone(), edge_tx.clone(), outside.clone());
            move || {
                pull(&next, TOTAL, &window, &stop, &tx, |k| {
                    let written = *window.written.lock().unwrap();
                    if k >= written + SIZE {
                        outside.fetch_add(1, Ordering::SeqCst);
                    }
                    if k == 0 {
                        has_0_tx.send(()).unwrap();
                        edge.as_ref().expect("A runs 0").recv().unwrap();
                    }
                    if k == SIZE - 1 {
                        edge_tx.send(()).unwrap();
                    }
                    Ok(k * 10)
                })
            }
        };
        let a = std::thread::spawn(worker(Some(edge)));
        has_0.recv().unwrap();
        let b = std::thread::spawn(worker(None));
        drop(tx);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut out = Vec::new();
        let mut emit = |r: &u64| {
            out.push(*r);
            Ok(())
        };
        let peak = rt
            .block_on(collect(rx, &window, TOTAL, &mut emit, &|| {}))
            .unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(outside.load(Ordering::SeqCst), 0);
        assert!(peak <= SIZE, "buffer held {peak}");
        assert_eq!(out, (0..TOTAL).map(|k| k * 10).collect::<Vec<_>>());
    }
}
