//! `retrofit`: a discrete-event simulator of a Bitcoin-mining site converting from ASIC
//! miners to AI GPU racks.
//!
//! Data flows one way: world file ([`world`]) → checked [`Scenario`] → ECS
//! [`facility`] → [`engine`] (with [`market`] paths) → [`ledger`] → [`report`].
//!
//! ```no_run
//! let scenario = retrofit::load("worlds/teaching.ron").unwrap();
//! let result = retrofit::run(&scenario, None).unwrap();
//! println!("NPV {:.0} USD", result.summary.npv_usd);
//! ```
#![warn(missing_docs)]

pub mod calendar;
pub mod compare;
pub mod dist;
pub mod engine;
pub mod facility;
pub mod ledger;
pub mod market;
pub mod optimize;
pub mod output;
pub mod power;
pub mod report;
pub mod scenario;
pub mod sensitivity;
pub mod sweep;
pub mod templates;
pub mod timeline;
pub mod world;

pub use engine::{Draws, RunOptions, RunResult, Summary};
pub use world::{LoadError, Problem, Scenario};

use rand::SeedableRng;
use std::fmt;
use std::path::Path;

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

/// Parses and validates world text; `origin` names it in messages.
pub fn load_str(text: &str, origin: &str) -> Result<Scenario, WorldError> {
    let raw = world::parse(text, origin).map_err(WorldError::Load)?;
    world::check(&raw, Some(text)).map_err(|problems| WorldError::Invalid {
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
