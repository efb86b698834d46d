//! The `retrofit` command line: parse arguments into checked options, call the
//! library, print, set the exit code. The progress bar and terminal formatting live
//! here; the simulation, the files and their safety live in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use retrofit::{
    ChartFormat, ChartOptions, ChartSize, Scenario, Shard, SweepConfig, SweepState, YearMonth,
};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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

/// Chart options shared by every command that draws.
#[derive(clap::Args)]
struct ChartArgs {
    /// Charts to write: none (fastest; other outputs unchanged), png, svg (vector, text
    /// outlined in the bundled font) or both.
    #[arg(long, default_value = "png", value_name = "none|png|svg|both")]
    charts: ChartFormat,
    /// Chart width in pixels.
    #[arg(long, default_value_t = 1600, value_parser = clap::value_parser!(u32).range(480..=10_000))]
    width: u32,
    /// Chart height in pixels.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(270..=10_000))]
    height: u32,
}

impl ChartArgs {
    fn options(&self) -> ChartOptions {
        ChartOptions {
            format: self.charts,
            size: ChartSize {
                width: self.width,
                height: self.height,
            },
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
    Run(RunArgs),
    /// Monte Carlo sweep: N seeded runs sampling every distribution and market path,
    /// summarised as P10/P50/P90 (runs.csv, percentiles.csv, summary.json) and charted
    /// (fan.png: cumulative cash band; payback.png: payback-month histogram).
    #[command(
        after_help = "Examples:\n  retrofit sweep worlds/reference.ron --runs 1000 --seed 1\n  \
        retrofit sweep worlds/reference.ron --runs 10000 --shard 0/4 --out output/part0"
    )]
    Sweep(SweepArgs),
    /// Run several worlds and compare NPV, payback, first-GPU month and cumulative cash
    /// (compare.csv, compare.png); with --runs, each world is a sweep and figures are P50s.
    #[command(
        after_help = "Example:\n  retrofit compare worlds/keep-mining.ron worlds/reference.ron worlds/full-pivot.ron"
    )]
    Compare(CompareArgs),
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
    /// Which inputs matter: every numeric input one at a time (sensitivity.csv,
    /// tornado.png), the values at which the decision changes (thresholds.csv), and
    /// Sobol' indices over the world's distributions (sobol.csv, sobol.png).
    #[command(
        after_help = "Examples:\n  retrofit sensitivity worlds/reference.ron\n  \
        retrofit sensitivity worlds/reference.ron --metric first-gpu-month --range 'cooling_loops[DLC-2].pue=1.2..1.5'\n  \
        retrofit sensitivity worlds/reference.ron --shard 0/4 --out output/sens0"
    )]
    Sensitivity(SensitivityArgs),
    /// Which plan is best: every combination of the world's Choose(...) decision
    /// variables over the same sampled futures (candidates.csv, best.ron, pareto.png).
    #[command(
        after_help = "Examples:\n  retrofit optimize worlds/reference-plan.ron\n  \
        retrofit optimize worlds/reference-plan.ron --objective cvar10:npv --constraint 'p90:first-gpu-month<=24'"
    )]
    Optimize(OptimizeArgs),
    /// The classroom page: a local web server showing the world's charts and headline
    /// numbers, with controls (BTC price, network growth, lease rate, order and
    /// decommission dates, capex per MW) that re-run the simulation. Ctrl-C stops it.
    #[command(after_help = "Example:\n  retrofit serve worlds/teaching.ron --port 8080")]
    Serve {
        /// World file (RON).
        world: PathBuf,
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to bind; the default serves this machine only.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
    /// Combine the folders of sharded sweeps into the outputs of one sweep (charts
    /// included); likewise shards of `sensitivity` and of `optimize`.
    #[command(
        after_help = "Example (after `retrofit sweep … --shard 0/2 --out output/part0` and `--shard 1/2 --out output/part1`):\n  retrofit merge output/part0 output/part1 --out output/sweep"
    )]
    Merge {
        /// Shard folders written by `retrofit sweep|sensitivity|optimize --shard K/M`.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        chart: ChartArgs,
    },
}

#[derive(clap::Args)]
struct RunArgs {
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
}

#[derive(clap::Args)]
struct SweepArgs {
    /// World file (RON).
    world: PathBuf,
    /// Number of runs in the whole sweep.
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// Base seed; run i uses a seed derived from (seed, i), shown in runs.csv.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads [default and maximum: number of cores].
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
}

#[derive(clap::Args)]
struct CompareArgs {
    /// World files (RON), two or more.
    #[arg(required = true, num_args = 2..)]
    worlds: Vec<PathBuf>,
    /// Sweep each world with this many runs instead of one median run.
    #[arg(long)]
    runs: Option<u64>,
    /// Base seed for sweeps.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads [default and maximum: number of cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: Option<u64>,
    /// Output folder [default: output/compare]. Replaced atomically.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    chart: ChartArgs,
}

/// What `sensitivity` and `optimize` share: the world, threads, sharding, output and
/// charts.
#[derive(clap::Args)]
struct DecideArgs {
    /// World file (RON); for optimize, with Choose(...) decision variables.
    world: PathBuf,
    /// Worker threads [default and maximum: number of cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: Option<u64>,
    /// Do only the jobs (optimize: the candidates of an exhaustive search) with index
    /// ≡ K (mod M); `retrofit merge` combines the shards.
    #[arg(long, value_name = "K/M")]
    shard: Option<String>,
    /// Output folder [default: output/<world file stem>-sensitivity or -optimize].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    chart: ChartArgs,
}

#[derive(clap::Args)]
struct SensitivityArgs {
    /// Metric of the tornado and the Sobol' indices: npv, first-gpu-month,
    /// peak-funding, payback-month, or (worlds with a finance section) equity-irr,
    /// min-dscr or covenant-breach.
    #[arg(long, default_value = "npv")]
    metric: String,
    /// A declared one-at-a-time range, LABEL=LOW..HIGH (labels as in sensitivity.csv);
    /// also bounds that input's threshold search. Repeatable.
    #[arg(long, value_name = "LABEL=LOW..HIGH")]
    range: Vec<String>,
    /// Half-width of the default one-at-a-time range, in % of the base value.
    #[arg(long, default_value_t = 10.0)]
    percent: f64,
    /// Rows N of the Sobol' design (N × (distributions + 2) runs); 0 skips it.
    #[arg(long, default_value_t = 1024)]
    samples: usize,
    /// Seed of the Sobol' sequence's scrambling.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    common: DecideArgs,
}

#[derive(clap::Args)]
struct OptimizeArgs {
    /// What to maximise (minimise, for months, funding and breaches): STAT:METRIC with
    /// STAT one of p10, p50, p90, mean, cvar10 (mean:covenant-breach is P(breach)).
    /// Overrides the world's `optimize:` section.
    /// [default: the world's `optimize:` section, else p50:npv]
    #[arg(long)]
    objective: Option<String>,
    /// A constraint, STAT:METRIC<=BOUND or >=BOUND (months from the start month; USD),
    /// e.g. p90:first-gpu-month<=30, or mean:covenant-breach<=0.1 for P(breach).
    /// Repeatable; any given replace the world's `optimize:` constraints.
    #[arg(long)]
    constraint: Vec<String>,
    /// Sampled futures per candidate, the same for every candidate; 0 uses the median
    /// run.
    #[arg(long, default_value_t = 200)]
    futures: u64,
    /// Base seed of the futures (and of the genetic search).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// exhaustive, genetic, halving (successive halving: every candidate on a few
    /// futures, the best third on three times as many, … the finalists on all), or auto
    /// (exhaustive up to --max-candidates, else genetic).
    #[arg(long, default_value = "auto")]
    search: String,
    /// Largest space searched exhaustively.
    #[arg(long, default_value_t = 5000)]
    max_candidates: u64,
    /// Genetic search: distinct candidates evaluated at most.
    #[arg(long, default_value_t = 400)]
    budget: usize,
    #[command(flatten)]
    common: DecideArgs,
}

/// Parses `LABEL=LOW..HIGH`.
fn parse_range(s: &str) -> Result<(String, (f64, f64))> {
    let (label, r) = s
        .rsplit_once('=')
        .with_context(|| format!("`{s}` is not LABEL=LOW..HIGH"))?;
    let (lo, hi) = r
        .split_once("..")
        .with_context(|| format!("`{s}`: the range must be LOW..HIGH"))?;
    let num = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .with_context(|| format!("`{s}`: `{v}` is not a number"))
    };
    Ok((label.trim().to_string(), (num(lo)?, num(hi)?)))
}

// ---- checked options: what each command works from once its arguments made sense ----

/// A world file, loaded and checked.
struct World {
    path: PathBuf,
    scenario: Scenario,
    /// The file's text, for report.html's assumptions table.
    text: String,
}

impl World {
    /// Loads `path`. A world that cannot be used surfaces as a [`retrofit::WorldError`],
    /// which [`main`] reports with its own exit status whatever the command.
    fn load(path: PathBuf) -> Result<Self> {
        // Read once: the text is parsed and also kept for report.html.
        let text = retrofit::sensitivity::read_text(&path).map_err(retrofit::WorldError::Load)?;
        let scenario = retrofit::load_str(&text, &path.display().to_string())?;
        Ok(Self {
            path,
            scenario,
            text,
        })
    }

    /// `output/<file stem><suffix>`.
    fn default_out(&self, suffix: &str) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        Path::new("output").join(stem + suffix)
    }
}

struct RunOpts {
    world: World,
    out: PathBuf,
    seed: Option<u64>,
    charts: ChartOptions,
    explain: bool,
}

impl RunArgs {
    fn check(self) -> Result<RunOpts> {
        let world = World::load(self.world)?;
        Ok(RunOpts {
            out: self.out.unwrap_or_else(|| world.default_out("")),
            world,
            seed: self.seed,
            charts: self.chart.options(),
            explain: self.explain,
        })
    }
}

struct SweepOpts {
    world: World,
    cfg: SweepConfig,
    out: PathBuf,
    charts: ChartOptions,
}

impl SweepArgs {
    fn check(self) -> Result<SweepOpts> {
        let shard = self.shard.as_deref().map(Shard::parse).transpose()?;
        let world = World::load(self.world)?;
        Ok(SweepOpts {
            out: self.out.unwrap_or_else(|| world.default_out("-sweep")),
            world,
            cfg: SweepConfig {
                runs: self.runs,
                seed: self.seed,
                jobs: jobs(self.jobs),
                shard,
                // main.rs handles signals (see `handle_signals`).
                handle_interrupt: false,
            },
            charts: self.chart.options(),
        })
    }
}

struct CompareOpts {
    worlds: Vec<(String, Arc<Scenario>)>,
    /// Each world's text, in the same order, for report.html's assumptions tables.
    texts: Vec<String>,
    runs: Option<u64>,
    seed: u64,
    jobs: usize,
    out: PathBuf,
    charts: ChartOptions,
}

impl CompareArgs {
    fn check(self) -> Result<CompareOpts> {
        let loaded = self
            .worlds
            .into_iter()
            .map(World::load)
            .collect::<Result<Vec<_>>>()?;
        let texts = loaded.iter().map(|w| w.text.clone()).collect();
        let worlds = loaded
            .into_iter()
            .map(|w| (w.path.display().to_string(), Arc::new(w.scenario)))
            .collect();
        Ok(CompareOpts {
            worlds,
            texts,
            runs: self.runs,
            seed: self.seed,
            jobs: jobs(self.jobs),
            out: self.out.unwrap_or_else(|| PathBuf::from("output/compare")),
            charts: self.chart.options(),
        })
    }
}

/// What `sensitivity` and `optimize` work from once their shared arguments made
/// sense. The world stays text: the decision layer rewrites it per variant.
struct DecideOpts {
    /// The world file's text.
    text: String,
    /// Where it came from, for messages and the state file.
    origin: String,
    shard: Option<Shard>,
    jobs: usize,
    out: PathBuf,
    charts: ChartOptions,
}

impl DecideArgs {
    /// Checks the shared arguments; `suffix` names the default output folder.
    fn check(self, suffix: &str) -> Result<DecideOpts> {
        let shard = self.shard.as_deref().map(Shard::parse).transpose()?;
        let stem = self
            .world
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        Ok(DecideOpts {
            text: retrofit::sensitivity::read_text(&self.world)?,
            origin: self.world.display().to_string(),
            shard,
            jobs: jobs(self.jobs),
            out: self
                .out
                .unwrap_or_else(|| Path::new("output").join(stem + suffix)),
            charts: self.chart.options(),
        })
    }
}

/// Says what a shard left for `retrofit merge`.
fn print_shard(dir: &Path, shard: Shard, done: usize, unit: &str) {
    say(&format!(
        "shard {}/{}: {done} {unit} done; combine every shard with `retrofit merge`",
        shard.index, shard.count
    ));
    say(&format!("outputs: {}", dir.display()));
}

/// Worker threads: `--jobs`, bounded by the cores available (more threads only add
/// memory: each holds a run in flight); the number of cores without it.
fn jobs(asked: Option<u64>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match asked {
        None => cores,
        Some(j) if j > cores as u64 => {
            warn(&format!(
                "--jobs {j} is more than the {cores} cores available; using {cores}"
            ));
            cores
        }
        Some(j) => j as usize,
    }
}

// ---- the commands ----

fn main() -> ExitCode {
    // A file-size limit (ulimit -f) must fail a write, which retrofit cleans up after,
    // not kill the process mid-write.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" has no other effect.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let result = run();
    // A signal handler removing the temporaries makes writes fail; it exits the
    // process with the signal's status, so this thread reports nothing.
    while retrofit::stopping() {
        std::thread::park();
    }
    match result {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn run() -> Result<ExitCode> {
    let command = Cli::parse().command;
    // A sweep installs its own handlers: a first signal stops it gracefully. `serve`
    // stops gracefully on Ctrl-C itself and writes no files.
    if !matches!(
        command,
        Command::Sweep(_) | Command::Check { .. } | Command::Serve { .. }
    ) {
        handle_signals(None);
    }
    match command {
        Command::Check { world } => check(&World::load(world)?),
        Command::Run(a) => run_world(a.check()?),
        Command::Sweep(a) => sweep(a.check()?),
        Command::Compare(a) => compare(a.check()?),
        Command::Init { template, path } => init(&template, &path),
        Command::Sensitivity(a) => sensitivity(a),
        Command::Optimize(a) => optimize(a),
        Command::Merge { parts, out, chart } => merge(&parts, &out, chart.options()),
        Command::Serve { world, port, host } => serve(World::load(world)?, (host, port).into()),
    }
}

fn serve(world: World, addr: std::net::SocketAddr) -> Result<ExitCode> {
    let origin = world.path.display().to_string();
    let classroom = retrofit::serve::Classroom::new(world.text, origin)?;
    let rt = tokio::runtime::Runtime::new().context("starting the server's runtime")?;
    rt.block_on(async move {
        let listener = retrofit::serve::bind(addr).await?;
        let local = listener.local_addr().context("reading the bound address")?;
        say(&format!(
            "serving {} at http://{local}/ (Ctrl-C stops)",
            world.path.display()
        ));
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        retrofit::serve::serve(listener, classroom, stop).await?;
        say("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints an error on one line (world problems list one per line) and picks the exit
/// status: a world that could not be read or parsed is 2, an invalid one 1, whatever
/// the command; anything else is 1.
fn fail(e: &anyhow::Error) -> ExitCode {
    if let Some(w) = e.downcast_ref::<retrofit::WorldError>() {
        warn(&format!("error: {w}"));
        return ExitCode::from(w.exit_code());
    }
    warn(&format!("error: {e:#}"));
    ExitCode::from(1)
}

fn check(world: &World) -> Result<ExitCode> {
    say(&format!(
        "{}: valid ({})",
        world.path.display(),
        world.scenario.describe()
    ));
    for line in world.scenario.reliability.explain(&world.scenario) {
        say(&format!("  {line}"));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_world(o: RunOpts) -> Result<ExitCode> {
    let s = &o.world.scenario;
    retrofit::check_out(&o.out)?;
    let result = retrofit::run(s, o.seed)
        .with_context(|| format!("simulating {}", o.world.path.display()))?;
    let dir = retrofit::write_run_with_world(&o.out, s, &result, o.charts, &o.world.text)?;
    if o.explain {
        say(&retrofit::text::narrative(s, &result));
    }
    say(retrofit::text::summary(&result).trim_end());
    if let Some(r) = &result.reliability {
        let how = if r.sampled {
            "sampled from the seed"
        } else {
            "scripted only: a plain run samples no random failures"
        };
        say(&format!(
            "  failures              {} ({how}); longest dark {} days",
            r.failures(),
            r.longest_dark_days
        ));
    }
    say(&format!("  outputs               {}", dir.display()));
    Ok(ExitCode::SUCCESS)
}

fn sweep(o: SweepOpts) -> Result<ExitCode> {
    let shard = o.cfg.shard.unwrap_or(Shard::all());
    let bar = progress_bar(
        shard.runs_in(o.cfg.runs),
        "runs",
        std::io::stderr().is_terminal(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    handle_signals(Some(stop.clone()));
    let (dir, state) = retrofit::sweep_with_world(
        Arc::new(o.world.scenario),
        &o.cfg,
        &o.out,
        stop,
        || bar.inc(1),
        o.charts,
        &o.world.text,
    )?;
    bar.finish_and_clear();
    print_sweep(&dir, &state);
    Ok(if state.interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

fn compare(o: CompareOpts) -> Result<ExitCode> {
    retrofit::check_out(&o.out)?;
    let (rows, paths) = retrofit::compare(&o.worlds, o.runs, o.seed, o.jobs)?;
    let texts: Vec<&str> = o.texts.iter().map(String::as_str).collect();
    let dir = retrofit::write_compare_with_worlds(&o.out, &rows, &paths, o.charts, &texts)?;
    // The flexibility columns only when some world prices power by the hour.
    let flex = rows.iter().any(|r| r.flexibility_value_usd_p50.is_some());
    // The finance block's equity NPV first: the ledger's NPV has no tax, opex by state,
    // debt or exit value, so ranking worlds on it alone misleads.
    let row = |w: &str, npv: (&str, &str), irr: (&str, &str), pay: &str, gpu: &str, cash: &str| {
        let ((q, n), (p, e)) = (npv, irr);
        format!("{w:<45} {q:>10} {n:>10} {p:>11} {e:>10} {pay:>9} {gpu:>9} {cash:>12}")
    };
    let flex_cols = |value: &str, given_up: &str| {
        if flex {
            format!(" {value:>10} {given_up:>13}")
        } else {
            String::new()
        }
    };
    say(&(row(
        "world",
        ("equity NPV", "ledger NPV"),
        ("project IRR", "equity IRR"),
        "payback",
        "first GPU",
        "final cash",
    ) + &flex_cols("flex value", "flex given up")));
    for r in &rows {
        say(&(row(
            &r.world,
            (&usd(r.equity_npv_usd_p50), &usd(r.npv_usd_p50)),
            (
                &percent(r.project_irr_per_year_p50),
                &percent(r.equity_irr_per_year_p50),
            ),
            &payback_cell(r),
            &month(r.first_gpu_month_p50),
            &usd(r.final_cumulative_cash_usd_p50),
        ) + &flex_cols(
            &usd(r.flexibility_value_usd_p50),
            &usd(r.flexibility_given_up_usd_p50),
        )));
    }
    for r in &rows {
        if let Some(note) = never_negative_note(r) {
            say(&note);
        }
    }
    say(&format!("outputs: {}", dir.display()));
    Ok(ExitCode::SUCCESS)
}

/// The compare table's payback cell: the median month, `never` when the median run
/// does not pay back, `none*` when no run ever went negative (see the note under it).
fn payback_cell(r: &retrofit::CompareRow) -> String {
    if r.payback_month_p50.is_none() && r.probability_cumulative_cash_never_negative >= 1.0 {
        "none*".into()
    } else {
        month(r.payback_month_p50)
    }
}

/// The note under the compare table for a world some of whose runs never go negative:
/// they have nothing to pay back, so no payback month, and are not "paid back at once".
fn never_negative_note(r: &retrofit::CompareRow) -> Option<String> {
    let share = r.probability_cumulative_cash_never_negative;
    if share <= 0.0 {
        None
    } else if share >= 1.0 {
        Some(format!(
            "* {}: payback none (cumulative cash never negative: nothing to pay back)",
            r.world
        ))
    } else {
        Some(format!(
            "note: {}: cumulative cash never negative in {:.0}% of runs (nothing to pay back); \
             the payback P50 is over the other runs",
            r.world,
            share * 100.0
        ))
    }
}

fn init(template: &str, path: &Path) -> Result<ExitCode> {
    let Some(text) = retrofit::template(template) else {
        warn(&format!(
            "error: unknown template `{template}`; choose one of: {}",
            retrofit::template_names().join(", ")
        ));
        return Ok(ExitCode::from(2));
    };
    retrofit::write_new_file(path, text.as_bytes())?;
    say(&format!(
        "wrote {} (template `{template}`); next: retrofit run {}",
        path.display(),
        path.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn merge(parts: &[PathBuf], out: &Path, charts: ChartOptions) -> Result<ExitCode> {
    use retrofit::{optimize::folder::is_optimize_dir, sensitivity::folder::is_sensitivity_dir};
    if parts.iter().all(|p| is_sensitivity_dir(p)) {
        let (dir, _, report) = retrofit::sensitivity::folder::merge_dirs(parts, out, &charts)?;
        say(report.text(15).trim_end());
        say(&format!("outputs: {}", dir.display()));
        return Ok(ExitCode::SUCCESS);
    }
    if parts.iter().all(|p| is_optimize_dir(p)) {
        let (dir, found) = retrofit::optimize::folder::merge_dirs(parts, out, &charts)?;
        print_found(&dir, &found);
        return Ok(ExitCode::SUCCESS);
    }
    let (dir, state) = retrofit::merge(parts, out, charts)?;
    print_sweep(&dir, &state);
    Ok(ExitCode::SUCCESS)
}

fn sensitivity(a: SensitivityArgs) -> Result<ExitCode> {
    use retrofit::sensitivity::{Metric, Settings, Study, folder};
    let metric = Metric::parse(&a.metric).map_err(anyhow::Error::msg)?;
    if !(a.percent > 0.0 && a.percent < 100.0) {
        anyhow::bail!("--percent must be between 0 and 100, got {}", a.percent);
    }
    let settings = Settings {
        ranges: a
            .range
            .iter()
            .map(|r| parse_range(r))
            .collect::<Result<_>>()?,
        fraction: a.percent / 100.0,
        samples: a.samples,
        seed: a.seed,
    };
    let o = a.common.check("-sensitivity")?;
    let study = Study::from_text(&o.text, &o.origin, &settings)?;
    study.check_metric(metric).map_err(anyhow::Error::msg)?;
    let bar = progress_bar(
        study.job_count(o.shard),
        "jobs",
        std::io::stderr().is_terminal(),
    );
    let results = study.run(o.shard, o.jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let part = folder::part(
        &study, &o.text, &o.origin, &settings, metric, o.shard, results,
    );
    let (dir, report) = folder::write_dir(&o.out, &study, &part, &o.charts)?;
    match report {
        Some(r) => {
            say(r.text(15).trim_end());
            say(&format!("outputs: {}", dir.display()));
        }
        None => print_shard(&dir, part.shard, part.results.len(), "jobs"),
    }
    Ok(ExitCode::SUCCESS)
}

fn optimize(a: OptimizeArgs) -> Result<ExitCode> {
    use retrofit::optimize::{Constraint, Problem, Settings, Target, folder};
    let o = a.common.check("-optimize")?;
    let problem = Problem::new(&o.text, &o.origin, u64::MAX).map_err(anyhow::Error::msg)?;
    let declared = problem.declared.clone();
    // The command line overrides the world's `optimize:` section.
    let objective = match &a.objective {
        Some(t) => Target::parse(t).map_err(anyhow::Error::msg)?,
        None => declared
            .as_ref()
            .and_then(|d| d.objective)
            .unwrap_or(Settings::default().objective),
    };
    let constraints = if a.constraint.is_empty() {
        declared.map(|d| d.constraints).unwrap_or_default()
    } else {
        a.constraint
            .iter()
            .map(|c| Constraint::parse(c).map_err(anyhow::Error::msg))
            .collect::<Result<_>>()?
    };
    let settings = Settings {
        objective,
        constraints,
        futures: a.futures,
        seed: a.seed,
        max_candidates: u64::MAX,
    };
    let search = match a.search.as_str() {
        "exhaustive" if problem.candidates > a.max_candidates => anyhow::bail!(
            "{} candidates exceed --max-candidates {}: raise it, or use --search genetic",
            problem.candidates,
            a.max_candidates
        ),
        "auto" if problem.candidates > a.max_candidates => "genetic",
        "auto" => "exhaustive",
        s @ ("exhaustive" | "genetic" | "halving") => s,
        other => anyhow::bail!("unknown --search `{other}`: exhaustive, genetic, halving or auto"),
    };
    if search != "exhaustive" && o.shard.is_some() {
        anyhow::bail!("--shard splits an exhaustive search; the {search} search runs as one job");
    }
    let (candidates, search, total) = match search {
        "genetic" => genetic(&problem, &settings, a.budget, o.jobs),
        "halving" => halving(&problem, &settings, o.jobs)?,
        _ => {
            let mine = o
                .shard
                .map_or(problem.candidates, |s| s.runs_in(problem.candidates));
            let bar = progress_bar(mine, "candidates", std::io::stderr().is_terminal());
            let c = problem.run(&settings, o.shard, o.jobs, &|| bar.inc(1));
            bar.finish_and_clear();
            (c, "exhaustive".to_string(), problem.candidates as usize)
        }
    };
    let part = folder::part(&problem, &settings, &search, o.shard, total, candidates);
    let (dir, found) = folder::write_dir(&o.out, &problem, &settings, &part, &o.charts)?;
    match found {
        Some(f) => print_found(&dir, &f),
        None => print_shard(&dir, part.shard, part.results.len(), "candidates"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The genetic search: its candidates, its name for the state file, and their count.
fn genetic(
    problem: &retrofit::optimize::Problem,
    settings: &retrofit::optimize::Settings,
    budget: usize,
    jobs: usize,
) -> (Vec<retrofit::optimize::Candidate>, String, usize) {
    use retrofit::optimize::{GaSettings, genetic};
    let ga = GaSettings {
        budget,
        ..GaSettings::default()
    };
    let bar = progress_bar(
        ga.budget as u64,
        "candidates",
        std::io::stderr().is_terminal(),
    );
    let c = genetic::search(problem, settings, ga, jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let n = c.len();
    let search = format!("genetic budget {} population {}", ga.budget, ga.population);
    (c, search, n)
}

/// Successive halving: its finalists, its name for the state file, and their count.
/// A decision variable that changes nothing on the first rung is refused.
fn halving(
    problem: &retrofit::optimize::Problem,
    settings: &retrofit::optimize::Settings,
    jobs: usize,
) -> Result<(Vec<retrofit::optimize::Candidate>, String, usize)> {
    use retrofit::optimize::{HalvingSettings, halving, unused_variable};
    if settings.futures == 0 {
        anyhow::bail!("--search halving needs sampled futures: give --futures 1 or more");
    }
    let hs = HalvingSettings::default();
    let bar = progress_bar(
        problem.candidates,
        "candidates",
        std::io::stderr().is_terminal(),
    );
    let h = halving::search(problem, settings, hs, jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    if let Some(e) = unused_variable(problem, &h.first_rung) {
        anyhow::bail!(e);
    }
    let rungs: Vec<String> = h.rungs.iter().map(|(f, n)| format!("{n}x{f}")).collect();
    say(&format!(
        "successive halving: rungs (candidates x futures) {}; {} engine runs against {} \
         for every candidate on every future",
        rungs.join(", "),
        h.engine_runs,
        problem.candidates.saturating_mul(settings.futures)
    ));
    let search = format!("halving eta {} rungs {}", hs.eta, rungs.join(" "));
    let n = h.finalists.len();
    Ok((h.finalists, search, n))
}

fn print_found(dir: &Path, f: &retrofit::optimize::folder::Found) {
    say(f.explanation.trim_end());
    say(&format!("candidates evaluated: {}", f.evaluated));
    say(&format!(
        "outputs: {} (best.ron: the chosen plan)",
        dir.display()
    ));
}

/// Takes over Ctrl-C, SIGTERM (Slurm, `timeout`) and SIGHUP before returning, so no
/// signal can arrive before it is handled.
///
/// With `graceful` (a sweep), the first signal sets it: the sweep stops after the runs
/// in flight and writes what finished, marked partial. Otherwise, or on a second
/// signal, the listener removes the folder or file being written, says so, and exits
/// with 128 + the signal's number: the old outputs stay as they were and no hidden
/// temporary is left.
///
/// The signals are blocked in this thread, which every thread started later inherits,
/// and one listener thread takes them with `sigwait`. Blocking takes effect before this
/// returns, so unlike a handler installed by a runtime on another thread there is no
/// start-up to wait for: a whole `run` takes a few milliseconds, and building a tokio
/// runtime and waiting for its thread to say it was ready was a visible part of them.
/// Must be called before any other thread is started.
fn handle_signals(graceful: Option<Arc<AtomicBool>>) {
    #[cfg(unix)]
    {
        // SAFETY: `set` is initialised by sigemptyset before use; pthread_sigmask only
        // changes this thread's mask.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            set
        };
        std::thread::spawn(move || {
            let mut graceful = graceful;
            loop {
                let mut sig = 0;
                // SAFETY: `set` and `sig` are valid for the call.
                if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                    continue;
                }
                let (name, code) = match sig {
                    libc::SIGINT => ("Ctrl-C", 130),
                    libc::SIGTERM => ("SIGTERM", 143),
                    _ => ("SIGHUP", 129),
                };
                if let Some(stop) = graceful.take() {
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                    continue;
                }
                // Waits for an output being put in place, so the message is true.
                retrofit::remove_temporaries();
                if retrofit::placed_any() {
                    warn(&format!(
                        "stopped by {name} after the outputs were written in full"
                    ));
                } else {
                    warn(&format!("stopped by {name}: nothing was written"));
                }
                std::process::exit(code);
            }
        });
    }
    #[cfg(not(unix))]
    let _ = graceful;
}

// ---- terminal output ----

/// Text safe for a terminal: control characters (escape sequences in a site name, say)
/// are shown escaped instead of being obeyed. Newlines and tabs pass.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a line to stdout, ignoring a closed pipe (`retrofit run … | head` must not
/// panic).
fn say(line: &str) {
    let _ = writeln!(std::io::stdout(), "{}", printable(line));
}

/// Prints a line to stderr, ignoring a failed write (a full device must not turn an
/// error message into a panic).
fn warn(line: &str) {
    let _ = writeln!(std::io::stderr(), "{}", printable(line));
}

fn month(m: Option<YearMonth>) -> String {
    m.map_or_else(|| "never".into(), |m| m.to_string())
}

/// An IRR per year as a percentage; `-` when there is none (no finance section, or no
/// single rate: summary.json says why).
fn percent(v: Option<f64>) -> String {
    v.map(|r| format!("{:.1} %", r * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn usd(v: Option<f64>) -> String {
    v.map(retrofit::text::usd).unwrap_or_else(|| "-".into())
}

fn print_sweep(dir: &Path, state: &SweepState) {
    let s = state.summary();
    let interrupted = if state.interrupted {
        " (interrupted: partial results)"
    } else {
        ""
    };
    say(&format!(
        "{} — {} of {} runs{interrupted}",
        s.world, s.runs_completed, s.runs_planned
    ));
    let p = &s.npv_usd;
    say(&format!(
        "  NPV            P10 {}  P50 {}  P90 {}",
        usd(p.p10),
        usd(p.p50),
        usd(p.p90)
    ));
    let m = &s.payback_month;
    if s.runs_completed > 0 && s.probability_cumulative_cash_never_negative >= 1.0 {
        say(
            "  payback month  none (cumulative cash never negative in any run: nothing to pay back)",
        );
    } else {
        say(&format!(
            "  payback month  P10 {}  P50 {}  P90 {}  (pays back within horizon: {:.0}% of runs)",
            month(m.p10),
            month(m.p50),
            month(m.p90),
            s.probability_payback_within_horizon * 100.0
        ));
    }
    let never_negative = s.probability_cumulative_cash_never_negative;
    if never_negative > 0.0 && never_negative < 1.0 {
        say(&format!(
            "                 cumulative cash never negative (nothing to pay back): {:.0}% of \
             runs; the payback percentiles are over the other runs",
            never_negative * 100.0
        ));
    }
    let m = &s.first_gpu_month;
    say(&format!(
        "  first GPU      P10 {}  P50 {}  P90 {}",
        month(m.p10),
        month(m.p50),
        month(m.p90)
    ));
    say(&format!("  outputs        {}", dir.display()));
}

/// A progress bar for `total` runs: runs done, rate and ETA on stderr when it is a
/// terminal (`interactive`), hidden otherwise so pipes and CI logs stay clean.
fn progress_bar(total: u64, unit: &str, interactive: bool) -> indicatif::ProgressBar {
    let target = if interactive {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_bar_is_hidden_when_stderr_is_not_a_terminal() {
        assert!(super::progress_bar(10, "runs", false).is_hidden());
    }

    #[test]
    fn control_characters_are_escaped_not_printed() {
        let shown = super::printable("site\u{1b}[2J\u{7}\nnext\tcol");
        assert_eq!(shown, "site\\u{1b}[2J\\u{7}\nnext\tcol");
    }
}
