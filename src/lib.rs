//! `retrofit`: a discrete-event simulator of a Bitcoin-mining site converting from ASIC
//! miners to AI GPU racks.
//!
//! Data flows one way: world file → checked [`Scenario`] → ECS facility → engine (with
//! market paths) → ledger → report. This crate root is the whole supported API:
//! [`load`] a world, [`run`] it, [`write_run`] its outputs, [`sweep`] it, [`merge`]
//! sharded sweeps, [`compare`] worlds, and the result types they return. Everything
//! else is private; benches and tests reach internals through [`unstable`], which
//! promises nothing.
//!
//! ```no_run
//! let scenario = retrofit::load("worlds/teaching.ron").unwrap();
//! let result = retrofit::run(&scenario, None).unwrap();
//! println!("NPV {:.0} USD", result.summary.npv_usd);
//! ```
#![warn(missing_docs)]

mod calendar;
mod compare;
mod decimal;
mod dist;
mod engine;
mod error;
mod facility;
mod finance;
mod ledger;
mod market;
mod network;
pub mod optimize;
mod output;
mod power;
mod price_shape;
mod report;
mod scenario;
pub mod sensitivity;
pub mod serve;
mod sketch;
mod sweep;
mod templates;
mod timeline;
mod world;

pub use calendar::{Day, YearMonth};
pub use compare::{CashPath, CompareRow, compare};
pub use engine::{
    CapacityChange, InvariantViolation, Outage, ReliabilityMonth, ReliabilityReport, RunOptions,
    RunResult, ServiceChange, Summary,
};
pub use error::Error;
pub use output::{OutputError, placed_any, remove_temporaries, write_new_file};
pub use report::{ChartFormat, ChartOptions, ChartSize};
pub use scenario::Scenario;
pub use sweep::reliability::{GroupAvailability, ReliabilitySummary};
pub use sweep::{
    MonthPercentiles, Percentiles, Shard, SweepConfig, SweepError, SweepState, SweepSummary,
};
pub use templates::{names as template_names, template};
pub use world::{LoadError, Problem, Rule};

/// Text for a terminal: money, the run summary and the classroom narrative.
pub mod text {
    pub use crate::report::explain::narrative;
    pub use crate::report::text::{summary, usd};
}

/// Internals, public only for benches, examples and tests. No stability promise: any
/// of it may change or vanish in any release.
#[doc(hidden)]
pub mod unstable {
    /// See the crate's `calendar` module.
    pub mod calendar {
        pub use crate::calendar::*;
    }
    /// See the crate's `compare` module.
    pub mod compare {
        pub use crate::compare::*;
    }
    /// See the crate's `dist` module.
    pub mod dist {
        pub use crate::dist::*;
    }
    /// See the crate's `engine` module.
    pub mod engine {
        pub use crate::engine::*;
    }
    /// See the crate's `facility` module.
    pub mod facility {
        pub use crate::facility::*;
    }
    /// See the crate's `finance` module.
    pub mod finance {
        pub use crate::finance::*;
    }
    /// See the crate's `ledger` module.
    pub mod ledger {
        pub use crate::ledger::*;
    }
    /// See the crate's `market` module.
    pub mod market {
        pub use crate::market::*;
    }
    /// See the crate's `network` module.
    pub mod network {
        pub use crate::network::*;
    }
    /// See the crate's `output` module.
    pub mod output {
        pub use crate::output::*;
    }
    /// See the crate's `power` module.
    pub mod power {
        pub use crate::power::*;
    }
    /// See the crate's `price_shape` module.
    pub mod price_shape {
        pub use crate::price_shape::*;
    }
    /// See the crate's `report` module.
    pub mod report {
        pub use crate::report::*;
    }
    /// See the crate's `scenario` module.
    pub mod scenario {
        pub use crate::scenario::*;
    }
    /// See the crate's `sketch` module.
    pub mod sketch {
        pub use crate::sketch::*;
    }
    /// See the crate's `sweep` module.
    pub mod sweep {
        pub use crate::sweep::*;
    }
    /// See the crate's `timeline` module.
    pub mod timeline {
        pub use crate::timeline::*;
    }
    /// See the crate's `world` module.
    pub mod world {
        pub use crate::world::*;
    }
}

use engine::Draws;
use rand::SeedableRng;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Why a world could not be used.
#[derive(Debug, Clone)]
pub enum WorldError {
    /// The file could not be read or parsed.
    Load(LoadError),
    /// The file parsed but describes an invalid or physically impossible site.
    Invalid {
        /// File path.
        origin: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::Load(e) => write!(f, "{e}"),
            WorldError::Invalid { origin, problems } => {
                let n = problems.len();
                write!(
                    f,
                    "{origin}: {n} problem{} found",
                    if n == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n  {origin}:")?;
                    match p.position {
                        Some((l, c)) => write!(f, "{l}:{c}: ")?,
                        None => write!(f, " ")?,
                    }
                    write!(f, "{}: {} [{}]", p.entity, p.message, p.rule)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for WorldError {}

impl WorldError {
    /// The exit status a command line reports for this error: 2 when the file could not
    /// be read or parsed, 1 when it parsed but describes an invalid world.
    pub fn exit_code(&self) -> u8 {
        match self {
            WorldError::Load(_) => 2,
            WorldError::Invalid { .. } => 1,
        }
    }
}

/// Parses and validates world text; `origin` names it in messages, and files the world
/// refers to (an hourly price file) are read relative to `origin`'s folder.
pub fn load_str(text: &str, origin: &str) -> Result<Scenario, WorldError> {
    let raw = world::parse(text, origin).map_err(WorldError::Load)?;
    let base = Path::new(origin).parent();
    world::check::check_at(&raw, Some(text), base).map_err(|problems| WorldError::Invalid {
        origin: origin.to_string(),
        problems,
    })
}

/// Reads, parses and validates a world file. Files larger than
/// [`world::MAX_WORLD_BYTES`], folders and files that are not UTF-8 text are refused
/// with a [`LoadError::Io`].
pub fn load(path: impl AsRef<Path>) -> Result<Scenario, WorldError> {
    let path = path.as_ref();
    let text = world::read_text(path).map_err(WorldError::Load)?;
    load_str(&text, &path.display().to_string())
}

/// Runs a scenario: with `seed == None` every distribution takes its median; with a
/// seed every distribution and market path is sampled from a `rand_pcg` stream.
pub fn run(s: &Scenario, seed: Option<u64>) -> Result<RunResult, engine::InvariantViolation> {
    run_with(s, seed, RunOptions::default())
}

/// [`run`] with explicit options.
pub fn run_with(
    s: &Scenario,
    seed: Option<u64>,
    opts: RunOptions,
) -> Result<RunResult, engine::InvariantViolation> {
    let draws = match seed {
        None => Draws::median(s),
        Some(seed) => Draws::sample(s, &mut rand_pcg::Pcg64Mcg::seed_from_u64(seed)),
    };
    engine::run(s, &draws, seed, opts)
}

/// Checks that `out` could be replaced by an output folder (it does not exist, is
/// empty, or is a folder retrofit wrote and nobody changed), so a long computation is
/// not spent on outputs that would be refused.
pub fn check_out(out: &Path) -> Result<(), OutputError> {
    output::check_out(out)
}

/// True once a signal handler has begun removing this process's temporaries
/// ([`remove_temporaries`]): a write failing now is the handler's doing, and the
/// process is about to exit.
pub fn stopping() -> bool {
    output::stopping()
}

/// Draws a run's charts as `charts` asks and writes its folder (`ledger.csv`, `events.csv`,
/// `summary.json` and the charts), replacing `out` atomically.
pub fn write_run(
    out: &Path,
    s: &Scenario,
    result: &RunResult,
    charts: ChartOptions,
) -> Result<PathBuf, Error> {
    write_run_inner(out, s, result, charts, None)
}

/// [`write_run`], with the world's text for `report.html`'s assumptions table (each
/// input with its unit and the comment written beside it).
pub fn write_run_with_world(
    out: &Path,
    s: &Scenario,
    result: &RunResult,
    charts: ChartOptions,
    world_text: &str,
) -> Result<PathBuf, Error> {
    write_run_inner(out, s, result, charts, Some(world_text))
}

fn write_run_inner(
    out: &Path,
    s: &Scenario,
    result: &RunResult,
    charts: ChartOptions,
    world_text: Option<&str>,
) -> Result<PathBuf, Error> {
    // Staged first: a folder that cannot be replaced is refused before any drawing,
    // and a signal while the charts are drawn finds the temporary to remove.
    let st = output::Staging::new(out)?.for_world(output::fingerprint(s));
    report::stage_run(&st, s, result).map_err(report_error)?;
    let files = report::run_charts(s, result, &charts).map_err(report_error)?;
    let page = report::run_html(s, result, &charts, &files, world_text).map_err(report_error)?;
    for (name, bytes) in files.into_iter().chain(page) {
        st.write(&name, bytes)?;
    }
    Ok(st.commit()?)
}

/// Runs a sweep (or one shard of it) into `out`, replacing it atomically, with charts
/// drawn as `charts` asks. `on_run` is called as each run finishes; setting `stop` (or a
/// signal, when `cfg.handle_interrupt`) ends it early, keeping what finished.
pub fn sweep(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    out: &Path,
    stop: Arc<AtomicBool>,
    on_run: impl Fn(),
    charts: ChartOptions,
) -> Result<(PathBuf, SweepState), SweepError> {
    sweep::sweep_to_dir(s, cfg, out, stop, on_run, sweep_charts(charts, None))
}

/// [`sweep`], with the world's text for `report.html`'s assumptions table.
pub fn sweep_with_world(
    s: Arc<Scenario>,
    cfg: &SweepConfig,
    out: &Path,
    stop: Arc<AtomicBool>,
    on_run: impl Fn(),
    charts: ChartOptions,
    world_text: &str,
) -> Result<(PathBuf, SweepState), SweepError> {
    let html = sweep_charts(charts, Some(world_text.to_string()));
    sweep::sweep_to_dir(s, cfg, out, stop, on_run, html)
}

/// Merges the folders of a sharded sweep into `out`: the same files an unsharded sweep
/// writes. Every part is checked first, and a damaged or foreign part is refused.
pub fn merge(
    parts: &[PathBuf],
    out: &Path,
    charts: ChartOptions,
) -> Result<(PathBuf, SweepState), SweepError> {
    sweep::merge_dirs(parts, out, sweep_charts(charts, None))
}

/// Writes a comparison's folder (`compare.csv` and the chart as `charts` asks),
/// replacing `out` atomically.
pub fn write_compare(
    out: &Path,
    rows: &[CompareRow],
    paths: &[CashPath],
    charts: ChartOptions,
) -> Result<PathBuf, Error> {
    write_compare_with_worlds(out, rows, paths, charts, &[])
}

/// [`write_compare`], with each world's text (in the order of `rows`) for
/// `report.html`'s assumptions tables.
pub fn write_compare_with_worlds(
    out: &Path,
    rows: &[CompareRow],
    paths: &[CashPath],
    charts: ChartOptions,
    world_texts: &[&str],
) -> Result<PathBuf, Error> {
    compare::write_dir(out, rows, || {
        report::compare_outputs(rows, paths, &charts, world_texts).map_err(report_error)
    })
}

/// The sweep charts and `report.html`, as the sweep writer asks for them.
fn sweep_charts(
    charts: ChartOptions,
    world_text: Option<String>,
) -> impl FnOnce(&sweep::Aggregate, &SweepSummary) -> Result<sweep::Charts, SweepError> {
    move |agg, sum| {
        report::sweep_outputs(agg, sum, &charts, world_text.as_deref())
            .map_err(|e| SweepError::Charts(e.into()))
    }
}

/// The report layer still returns `anyhow`; its errors cross the facade as [`Error`].
fn report_error(e: anyhow::Error) -> Error {
    Error::Report(e.into())
}
