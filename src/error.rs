//! The library's error type for writing outputs and comparing worlds. Loading a world
//! has its own ([`crate::WorldError`]), and so do sweeps ([`crate::SweepError`]).

use crate::engine::InvariantViolation;
use crate::output::OutputError;
use crate::sweep::SweepError;
use std::fmt;

/// Why a run's or a comparison's outputs could not be produced.
#[derive(Debug)]
pub enum Error {
    /// A run broke an engine invariant (a bug, never the user's fault).
    Run(InvariantViolation),
    /// A sweep behind a comparison failed.
    Sweep(SweepError),
    /// The output folder could not be written.
    Output(OutputError),
    /// Drawing a chart or formatting a report file failed.
    Report(Box<dyn std::error::Error + Send + Sync>),
    /// A result could not be encoded (CSV or JSON).
    Encode(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Run(e) => write!(f, "{e}"),
            Error::Sweep(e) => write!(f, "{e}"),
            Error::Output(e) => write!(f, "{e}"),
            Error::Report(e) => write!(f, "{e}"),
            Error::Encode(e) => write!(f, "cannot encode results: {e}"),
        }
    }
}

// Messages carry their cause inline (one line each), so no `source()` chain repeats it.
impl std::error::Error for Error {}

impl From<OutputError> for Error {
    fn from(e: OutputError) -> Self {
        Error::Output(e)
    }
}
