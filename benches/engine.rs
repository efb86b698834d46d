//! Performance against the limits: scheduler vs a bare heap, single runs (median and
//! seeded, the reference world and the full-featured bench world), linear scaling to a
//! 1 GW campus, sweep throughput at 1 and 2 jobs. Run with `cargo bench`; worlds are
//! read at run time, so the figures follow the shipped files. BENCHMARKS.md records the
//! figures on the project's 2-core machine; scripts/bench-targets.sh checks the targets.

#[path = "../examples/campus.rs"]
#[allow(dead_code)]
mod campus;

use campus::campus;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use retrofit::unstable::engine::queue::EventQueue;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const EVENTS: u64 = 100_000;
const PENDING: u64 = 100;

/// The same shape of payload the engine schedules: a small enum.
#[derive(Clone, Copy)]
enum Ev {
    Ready(usize),
    Done(usize),
    MonthEnd(u32),
}

/// Pseudo-random but fixed delays, so both loops see the same event times.
fn delay(i: u64) -> u32 {
    ((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 97) as u32 + 1
}

fn scheduler(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    g.throughput(Throughput::Elements(EVENTS));
    g.bench_function("engine_queue", |b| {
        b.iter(|| {
            let mut q = EventQueue::new();
            for i in 0..PENDING {
                q.push(delay(i), Ev::Ready(i as usize));
            }
            let mut acc = 0u64;
            for i in 0..EVENTS {
                let (t, ev) = q.pop().expect("never empty");
                // A trivial handler: dispatch on the kind, schedule the next event.
                acc += match ev {
                    Ev::Ready(k) => k as u64,
                    Ev::Done(k) => 2 * k as u64,
                    Ev::MonthEnd(m) => u64::from(m),
                };
                let next = match i % 3 {
                    0 => Ev::Done(i as usize),
                    1 => Ev::Ready(i as usize),
                    _ => Ev::MonthEnd(i as u32),
                };
                q.push(t + delay(i), next);
            }
            black_box(acc)
        })
    });
    g.bench_function("bare_binary_heap", |b| {
        b.iter(|| {
            let mut q: BinaryHeap<Reverse<(u32, u64, u64)>> = BinaryHeap::new();
            let mut seq = 0u64;
            for i in 0..PENDING {
                q.push(Reverse((delay(i), seq, i)));
                seq += 1;
            }
            let mut acc = 0u64;
            for i in 0..EVENTS {
                let Reverse((t, _, v)) = q.pop().expect("never empty");
                acc += v;
                q.push(Reverse((t + delay(i), seq, i)));
                seq += 1;
            }
            black_box(acc)
        })
    });
    g.finish();
}

fn single_run(c: &mut Criterion) {
    let s = retrofit::load("worlds/reference.ron").expect("reference world loads");
    let mut g = c.benchmark_group("single_run");
    g.bench_function("reference_no_pngs", |b| {
        b.iter(|| black_box(retrofit::run_with(&s, None, retrofit::RunOptions::default()).unwrap()))
    });
    // Issues 12-14: a `--seed` run samples every distribution, the market path and (in
    // worlds that declare them) failures. The reference world is read as shipped; the
    // bench world carries finance, the network model and failures all at once.
    g.bench_function("reference_seeded", |b| {
        b.iter(|| {
            black_box(retrofit::run_with(&s, Some(7), retrofit::RunOptions::default()).unwrap())
        })
    });
    let full = retrofit::load("benches/reference-full.ron").expect("bench world loads");
    g.bench_function("reference_full_seeded", |b| {
        b.iter(|| {
            black_box(retrofit::run_with(&full, Some(7), retrofit::RunOptions::default()).unwrap())
        })
    });
    g.bench_function("reference_with_pngs", |b| {
        let opts = retrofit::ChartOptions::default();
        b.iter(|| {
            let r = retrofit::run_with(&s, None, retrofit::RunOptions::default()).unwrap();
            black_box(retrofit::unstable::report::run_charts(&s, &r, &opts).unwrap())
        })
    });
    g.bench_function("reference_with_csv_outputs", |b| {
        let dir = tempfile_dir();
        b.iter(|| {
            let r = retrofit::run_with(&s, None, retrofit::RunOptions::default()).unwrap();
            let none = retrofit::ChartOptions {
                format: retrofit::ChartFormat::None,
                ..Default::default()
            };
            retrofit::unstable::report::write_run(&dir.join("out"), &s, &r, &none).unwrap()
        })
    });
    g.finish();
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("retrofit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for halls in [2u32, 20, 200] {
        let s = retrofit::load_str(&campus(halls), "campus").expect("generated campus is valid");
        let units = u64::from(halls) * 1430;
        g.throughput(Throughput::Elements(units));
        let opts = retrofit::RunOptions {
            record_events: true,
            audit: false,
        };
        g.bench_with_input(
            BenchmarkId::new("run_10y", format!("{}MW_{units}asics", halls * 5)),
            &s,
            |b, s| b.iter(|| black_box(retrofit::run_with(s, None, opts).unwrap())),
        );
    }
    g.finish();
}

/// Worlds whose sweeps are timed: the reference world as shipped, the SimPy peer's
/// world (issue 15) and the full-featured bench world (issues 12-14, failures sampled).
const SWEEP_WORLDS: [(&str, &str); 3] = [
    ("reference", "worlds/reference.ron"),
    ("peer", "benches/peer-reference.ron"),
    ("full", "benches/reference-full.ron"),
];

/// Runs per sweep iteration.
const SWEEP_RUNS: u64 = 200;

fn sweep_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("sweep");
    g.throughput(Throughput::Elements(SWEEP_RUNS));
    g.sample_size(10);
    for (name, path) in SWEEP_WORLDS {
        let s = Arc::new(retrofit::load(path).expect("bench world loads"));
        for jobs in [1usize, 2] {
            g.bench_with_input(
                BenchmarkId::new(format!("{name}_runs"), format!("jobs{jobs}")),
                &jobs,
                |b, &jobs| b.iter(|| black_box(sweep_once(&s, jobs))),
            );
        }
    }
    g.finish();
}

/// One sweep of [`SWEEP_RUNS`] runs on `jobs` workers, its outputs discarded.
fn sweep_once(s: &Arc<retrofit::Scenario>, jobs: usize) -> impl Sized {
    let cfg = retrofit::unstable::sweep::SweepConfig {
        runs: SWEEP_RUNS,
        seed: 1,
        jobs,
        shard: None,
        handle_interrupt: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    retrofit::unstable::sweep::execute(s.clone(), &cfg, stop, |_| Ok(()), || {}).unwrap()
}

/// Runs folded per iteration of the fold benchmark.
const FOLD_RUNS: u64 = 200;

/// Folding finished runs into a sweep's aggregate (its per-month quantile sketches and
/// counts), apart from running them: at `--jobs 2` each worker folds its own runs, so
/// this cost sits on the critical path and bounds the speed-up (BENCHMARKS.md).
fn fold(c: &mut Criterion) {
    let s = retrofit::load("benches/peer-reference.ron").expect("peer world loads");
    let results: Vec<_> = (1..=FOLD_RUNS)
        .map(|seed| retrofit::run_with(&s, Some(seed), retrofit::RunOptions::default()).unwrap())
        .collect();
    let mut g = c.benchmark_group("fold");
    g.throughput(Throughput::Elements(FOLD_RUNS));
    g.bench_function("peer_runs", |b| {
        // One aggregate throughout, as in a worker: its sketches are warm and sized.
        let mut agg = retrofit::unstable::sweep::Aggregate::new(&s);
        b.iter(|| {
            for r in &results {
                agg.add(r);
            }
            black_box(agg.runs)
        })
    });
    // The end of a --jobs 2 sweep: merging one worker's partial aggregate into another.
    let partial = |seeds: &[retrofit::RunResult]| {
        let mut agg = retrofit::unstable::sweep::Aggregate::new(&s);
        seeds.iter().for_each(|r| agg.add(r));
        agg
    };
    let (a, b) = results.split_at(results.len() / 2);
    let (a, b) = (partial(a), partial(b));
    g.throughput(Throughput::Elements(1));
    g.bench_function("merge_two_partials", |bench| {
        bench.iter(|| {
            let mut whole = a.clone();
            whole.merge(&b).unwrap();
            black_box(whole.runs)
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    scheduler,
    single_run,
    scaling,
    sweep_throughput,
    fold
);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_ratio();
}

/// Prints the figures the targets are stated in, from criterion's saved medians: the
/// engine queue / bare heap ratio, single runs against 2 ms, sweep time per run and
/// the `--jobs 2` speed-up.
fn report_ratio() {
    let median = |f: &str| -> Option<f64> {
        let p = format!("target/criterion/{f}/new/estimates.json");
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
        v["median"]["point_estimate"].as_f64()
    };
    if let (Some(e), Some(h)) = (
        median("scheduler/engine_queue"),
        median("scheduler/bare_binary_heap"),
    ) {
        println!(
            "scheduler: engine queue / bare BinaryHeap median ratio = {:.2} (target <= 2.0)",
            e / h
        );
    }
    for run in [
        "reference_no_pngs",
        "reference_seeded",
        "reference_full_seeded",
    ] {
        if let Some(ns) = median(&format!("single_run/{run}")) {
            println!("single_run/{run}: {:.3} ms (target < 2 ms)", ns / 1e6);
        }
    }
    for (name, _) in SWEEP_WORLDS {
        let per_run = |jobs: u32| {
            median(&format!("sweep/{name}_runs/jobs{jobs}")).map(|ns| ns / 1e6 / SWEEP_RUNS as f64)
        };
        if let (Some(one), Some(two)) = (per_run(1), per_run(2)) {
            println!(
                "sweep/{name}: {one:.4} ms/run at 1 job, {two:.4} ms/run at 2 jobs, speed-up {:.2}x (target >= 1.8x)",
                one / two
            );
        }
    }
}
