//! Why a sweep or a merge did not produce a folder.

use super::Shard;
use crate::output::OutputError;
use std::fmt;
use std::path::PathBuf;

/// Why a sweep or a merge failed. Variants about a file name it.
#[derive(Debug)]
pub enum SweepError {
    /// `--runs 0`.
    NoRuns,
    /// `--shard` text that is not `K/M` with `0 <= K < M`.
    BadShard {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A shard that holds none of the sweep's runs.
    EmptyShard {
        /// The shard.
        shard: Shard,
        /// Runs in the whole sweep.
        runs: u64,
    },
    /// The tokio runtime or a signal handler could not start.
    Runtime(std::io::Error),
    /// A run broke an engine invariant (a bug, never the user's fault).
    Run(crate::engine::InvariantViolation),
    /// A result could not be encoded (CSV or JSON).
    Encode(String),
    /// The output folder could not be written.
    Output(OutputError),
    /// Drawing the charts failed.
    Charts(Box<dyn std::error::Error + Send + Sync>),
    /// A folder given to `merge` is not a valid, untouched part of this sweep.
    Part {
        /// The part's folder or file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The folders given to `merge` do not make up one whole sweep.
    Parts(String),
}

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepError::NoRuns => write!(f, "a sweep needs at least one run (--runs 1 or more)"),
            SweepError::BadShard { text, reason } => write!(f, "shard `{text}`: {reason}"),
            SweepError::EmptyShard { shard, runs } => write!(
                f,
                "shard {}/{} of a {runs}-run sweep holds no runs: use at most {runs} shards",
                shard.index, shard.count
            ),
            SweepError::Runtime(e) => write!(f, "cannot start the sweep's runtime: {e}"),
            SweepError::Run(e) => write!(f, "{e}"),
            SweepError::Encode(e) => write!(f, "cannot encode results: {e}"),
            SweepError::Output(e) => write!(f, "{e}"),
            SweepError::Charts(e) => write!(f, "drawing charts: {e}"),
            SweepError::Part { path, problem } => write!(f, "{}: {problem}", path.display()),
            SweepError::Parts(e) => write!(f, "{e}"),
        }
    }
}

// Messages carry their cause inline (one line each), so no `source()` chain repeats it.
impl std::error::Error for SweepError {}

impl From<OutputError> for SweepError {
    fn from(e: OutputError) -> Self {
        SweepError::Output(e)
    }
}

impl From<csv::Error> for SweepError {
    fn from(e: csv::Error) -> Self {
        SweepError::Encode(e.to_string())
    }
}

impl From<serde_json::Error> for SweepError {
    fn from(e: serde_json::Error) -> Self {
        SweepError::Encode(e.to_string())
    }
}
