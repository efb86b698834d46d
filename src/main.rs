//! The `retrofit` command line: parse arguments, call the library, print, set the exit
//! code. All logic lives in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use retrofit::report::plots::ChartSize;
use retrofit::report::sweep_plots;
use retrofit::sweep::{self, Shard, SweepConfig};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Prints to stdout, ignoring a closed pipe (`retrofit run … | head` must not panic).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "retrofit",
    version,
    about = "Simulate a Bitcoin-mining site converting from ASIC miners to AI GPU racks",
    after_help = "Example:\n  retrofit check worlds/teaching.ron\n  retrofit run worlds/reference.ron\n  retrofit run worlds/teaching.ron --out output/demo --seed 7"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Chart size options shared by every command that draws.
#[derive(clap::Args)]
struct ChartArgs {
    /// Chart width in pixels.
    #[arg(long, default_value_t = 1600, value_parser = clap::value_parser!(u32).range(480..=10_000))]
    width: u32,
    /// Chart height in pixels.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(270..=10_000))]
    height: u32,
}

impl ChartArgs {
    fn size(&self) -> retrofit::report::plots::ChartSize {
        retrofit::report::plots::ChartSize {
            width: self.width,
            height: self.height,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Validate a world without simulating it and list every problem found.
    /// Exit status: 0 = valid, 1 = invalid, 2 = could not be read or parsed.
    #[command(after_help = "Example:\n  retrofit check worlds/teaching.ron")]
    Check {
        /// World file (RON), e.g. worlds/teaching.ron.
        world: PathBuf,
    },
    /// Simulate one world and write ledger.csv, events.csv, summary.json and the charts
    /// power.png, revenue.png, cash.png and timeline.png.
    #[command(
        after_help = "Example:\n  retrofit run worlds/reference.ron --out output/reference\n  retrofit run worlds/teaching.ron --explain --width 1280 --height 720"
    )]
    Run {
        /// World file (RON), e.g. worlds/reference.ron.
        world: PathBuf,
        /// Output folder [default: output/<world file stem>]. Replaced atomically; a folder
        /// holding files retrofit did not write is refused.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Sample every distribution and market path from this seed. Without it, each
        /// distribution takes its median and markets follow their median path.
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        chart: ChartArgs,
        /// Also print the event log as a month-by-month story (for classroom demos).
        #[arg(long)]
        explain: bool,
    },
    /// Monte Carlo sweep: N seeded runs sampling every distribution and market path,
    /// summarised as P10/P50/P90 (runs.csv, percentiles.csv, summary.json) and charted
    /// (fan.png: cumulative cash band; payback.png: payback-month histogram).
    #[command(
        after_help = "Examples:\n  retrofit sweep worlds/reference.ron --runs 1000 --seed 1\n  \
        retrofit sweep worlds/reference.ron --runs 10000 --shard 0/4 --out output/part0"
    )]
    Sweep {
        /// World file (RON).
        world: PathBuf,
        /// Number of runs in the whole sweep.
        #[arg(long, default_value_t = 1000)]
        runs: u64,
        /// Base seed; run i uses a seed derived from (seed, i), shown in runs.csv.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads [default: number of cores].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// Run only the runs with index ≡ K (mod M), for one batch job of many.
        #[arg(long, value_name = "K/M")]
        shard: Option<String>,
        /// Output folder [default: output/<world file stem>-sweep]. Replaced atomically.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        chart: ChartArgs,
    },
    /// Run several worlds and compare NPV, payback, first-GPU month and cumulative cash
    /// (compare.csv, compare.png); with --runs, each world is a sweep and figures are P50s.
    #[command(
        after_help = "Example:\n  retrofit compare worlds/keep-mining.ron worlds/reference.ron worlds/full-pivot.ron"
    )]
    Compare {
        /// World files (RON), two or more.
        #[arg(required = true, num_args = 2..)]
        worlds: Vec<PathBuf>,
        /// Sweep each world with this many runs instead of one median run.
        #[arg(long)]
        runs: Option<u64>,
        /// Base seed for sweeps.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads [default: number of cores].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// Output folder [default: output/compare]. Replaced atomically.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        chart: ChartArgs,
    },
    /// Write a commented starter world to edit.
    #[command(
        after_help = "Examples:\n  retrofit init my-site.ron\n  retrofit init --template teaching class.ron"
    )]
    Init {
        /// Starting point: teaching, reference, keep-mining, full-pivot or blank.
        #[arg(long, default_value = "blank")]
        template: String,
        /// File to create (refuses to overwrite an existing file).
        #[arg(default_value = "world.ron")]
        path: PathBuf,
    },
    /// Combine the folders of sharded sweeps into the outputs of one sweep (charts
    /// included).
    #[command(
        after_help = "Example (after `retrofit sweep … --shard 0/2 --out output/part0` and `--shard 1/2 --out output/part1`):\n  retrofit merge output/part0 output/part1 --out output/sweep"
    )]
    Merge {
        /// Shard folders written by `retrofit sweep --shard K/M`.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        chart: ChartArgs,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn default_out(world: &Path) -> PathBuf {
    let stem = world
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    Path::new("output").join(stem)
}

fn default_jobs(jobs: Option<u64>) -> usize {
    jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    )
}

fn load(world: &Path) -> Result<retrofit::Scenario, ExitCode> {
    retrofit::load(world).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(e.exit_code())
    })
}

/// The charts of a sweep folder, drawn at `size`.
fn sweep_charts(
    size: ChartSize,
) -> impl FnOnce(&sweep::Aggregate, &sweep::SweepSummary) -> Result<sweep::Charts> {
    move |agg, sum| sweep_plots::sweep_charts(agg, sum, size).context("drawing charts")
}

fn print_sweep(dir: &Path, state: &sweep::SweepState) {
    let s = state
        .aggregate
        .summary(&state.world, state.seed, state.runs, state.interrupted);
    let usd = |v: Option<f64>| {
        v.map(retrofit::report::text::usd)
            .unwrap_or_else(|| "-".into())
    };
    let month = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
    outln!(
        "{} — {} of {} runs{}",
        s.world,
        s.runs_completed,
        s.runs_planned,
        if state.interrupted {
            " (interrupted: partial results)"
        } else {
            ""
        }
    );
    outln!(
        "  NPV            P10 {}  P50 {}  P90 {}",
        usd(s.npv_usd.p10),
        usd(s.npv_usd.p50),
        usd(s.npv_usd.p90)
    );
    outln!(
        "  payback month  P10 {}  P50 {}  P90 {}  (pays back within horizon: {:.0}% of runs)",
        month(&s.payback_month.p10),
        month(&s.payback_month.p50),
        month(&s.payback_month.p90),
        s.probability_payback_within_horizon * 100.0
    );
    outln!(
        "  first GPU      P10 {}  P50 {}  P90 {}",
        month(&s.first_gpu_month.p10),
        month(&s.first_gpu_month.p50),
        month(&s.first_gpu_month.p90)
    );
    outln!("  outputs        {}", dir.display());
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { world } => match retrofit::load(&world) {
            Ok(s) => {
                outln!("{}: valid ({})", world.display(), s.describe());
                for line in s.reliability.explain(&s) {
                    outln!("  {line}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::from(e.exit_code()))
            }
        },
        Command::Run {
            world,
            out,
            seed,
            chart,
            explain,
        } => {
            let scenario = match retrofit::load(&world) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(e.exit_code()));
                }
            };
            let result = retrofit::run(&scenario, seed)
                .with_context(|| format!("simulating {}", world.display()))?;
            let out = out.unwrap_or_else(|| default_out(&world));
            let size = chart.size();
            let charts = retrofit::report::plots::all_charts(&scenario, &result, size)
                .context("drawing charts")?;
            let dir = retrofit::report::write_run(&out, &scenario, &result, charts)?;
            if explain {
                out!(
                    "{}",
                    retrofit::report::explain::narrative(&scenario, &result)
                );
                outln!();
            }
            out!("{}", retrofit::report::text::summary(&result));
            if let Some(r) = &result.reliability {
                let how = if r.sampled {
                    "sampled from the seed"
                } else {
                    "scripted only: a plain run samples no random failures"
                };
                outln!(
                    "  failures              {} ({how}); longest dark {} days",
                    r.failures(),
                    r.longest_dark_days
                );
            }
            outln!("  outputs               {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep {
            world,
            runs,
            seed,
            jobs,
            shard,
            out,
            chart,
        } => {
            let scenario = match load(&world) {
                Ok(s) => Arc::new(s),
                Err(code) => return Ok(code),
            };
            let shard = shard.as_deref().map(Shard::parse).transpose()?;
            let jobs = default_jobs(jobs);
            let cfg = SweepConfig {
                runs,
                seed,
                jobs,
                shard,
                handle_interrupt: true,
            };
            let mine = match shard {
                Some(s) => (0..runs).filter(|i| i % s.count == s.index).count() as u64,
                None => runs,
            };
            let bar = sweep::progress_bar(mine, std::io::stderr().is_terminal());
            let out = out.unwrap_or_else(|| {
                let mut p = default_out(&world).into_os_string();
                p.push("-sweep");
                PathBuf::from(p)
            });
            let stop = Arc::new(AtomicBool::new(false));
            let (dir, state) = sweep::sweep_to_dir(
                scenario,
                &cfg,
                &out,
                stop,
                || bar.inc(1),
                sweep_charts(chart.size()),
            )?;
            bar.finish_and_clear();
            print_sweep(&dir, &state);
            Ok(if state.interrupted {
                ExitCode::from(130)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Compare {
            worlds,
            runs,
            seed,
            jobs,
            out,
            chart,
        } => {
            let mut loaded = Vec::new();
            for w in &worlds {
                match load(w) {
                    Ok(s) => loaded.push((w.display().to_string(), Arc::new(s))),
                    Err(code) => return Ok(code),
                }
            }
            let (rows, paths) =
                retrofit::compare::compare(&loaded, runs, seed, default_jobs(jobs))?;
            let out = out.unwrap_or_else(|| PathBuf::from("output/compare"));
            let size = chart.size();
            let chart = sweep_plots::compare_png(&paths, size).context("drawing compare.png")?;
            let st = retrofit::output::Staging::new(&out)?;
            st.write("compare.csv", retrofit::compare::compare_csv(&rows)?)?;
            st.write(sweep_plots::COMPARE_CHART_FILE, chart)?;
            let dir = st.commit()?;
            let usd = |v: Option<f64>| {
                v.map(retrofit::report::text::usd)
                    .unwrap_or_else(|| "-".into())
            };
            outln!(
                "{:<45} {:>10} {:>9} {:>9} {:>12}",
                "world",
                "NPV P50",
                "payback",
                "first GPU",
                "final cash"
            );
            for r in &rows {
                outln!(
                    "{:<45} {:>10} {:>9} {:>9} {:>12}",
                    r.world,
                    usd(r.npv_usd_p50),
                    r.payback_month_p50.as_deref().unwrap_or("never"),
                    r.first_gpu_month_p50.as_deref().unwrap_or("never"),
                    usd(r.final_cumulative_cash_usd_p50)
                );
            }
            outln!("outputs: {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { template, path } => {
            let Some(text) = retrofit::templates::template(&template) else {
                eprintln!(
                    "error: unknown template `{template}`; choose one of: {}",
                    retrofit::templates::names().join(", ")
                );
                return Ok(ExitCode::from(2));
            };
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                        "{} already exists; init never overwrites a file",
                        path.display()
                    ),
                    _ => anyhow::anyhow!("cannot create {}: {e}", path.display()),
                })?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            outln!(
                "wrote {} (template `{template}`); next: retrofit run {}",
                path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { parts, out, chart } => {
            let (dir, state) = sweep::merge_dirs(&parts, &out, sweep_charts(chart.size()))?;
            print_sweep(&dir, &state);
            Ok(ExitCode::SUCCESS)
        }
    }
}
