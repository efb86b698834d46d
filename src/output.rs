//! Atomic output folders: a run writes into a temporary sibling folder and renames it
//! into place only when every file is complete, so an interrupted or failed run never
//! leaves a mixture of old and new files.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The name of every file retrofit writes, grouped by the command that writes it. This
/// is the only list: writers, charts and the ownership check all read it.
pub mod names {
    /// A run's monthly ledger.
    pub const LEDGER: &str = "ledger.csv";
    /// A run's event log.
    pub const EVENTS: &str = "events.csv";
    /// A run's or a sweep's summary figures.
    pub const SUMMARY: &str = "summary.json";
    /// A run's power chart.
    pub const POWER: &str = "power.png";
    /// A run's revenue chart.
    pub const REVENUE: &str = "revenue.png";
    /// A run's cumulative-cash chart.
    pub const CASH: &str = "cash.png";
    /// A run's Gantt chart.
    pub const TIMELINE: &str = "timeline.png";
    /// A sweep's one line per run.
    pub const RUNS: &str = "runs.csv";
    /// A sweep's monthly P10/P50/P90.
    pub const PERCENTILES: &str = "percentiles.csv";
    /// What a sweep (or shard) leaves for `retrofit merge`.
    pub const SWEEP_STATE: &str = "sweep-state.json";
    /// A sweep's cumulative-cash fan chart.
    pub const FAN: &str = "fan.png";
    /// A sweep's payback-month histogram.
    pub const PAYBACK: &str = "payback.png";
    /// The compared worlds' headline figures.
    pub const COMPARE_CSV: &str = "compare.csv";
    /// The compared worlds' cumulative cash.
    pub const COMPARE_PNG: &str = "compare.png";

    /// The charts of a single run, in drawing order.
    pub const RUN_CHARTS: [&str; 4] = [POWER, REVENUE, CASH, TIMELINE];
    /// The charts of a sweep, in drawing order.
    pub const SWEEP_CHARTS: [&str; 2] = [FAN, PAYBACK];
    /// Every file of a run's folder.
    pub const RUN: [&str; 7] = [LEDGER, EVENTS, SUMMARY, POWER, REVENUE, CASH, TIMELINE];
    /// Every file of a sweep's folder.
    pub const SWEEP: [&str; 6] = [RUNS, PERCENTILES, SUMMARY, SWEEP_STATE, FAN, PAYBACK];
    /// Every file of a comparison's folder.
    pub const COMPARE: [&str; 2] = [COMPARE_CSV, COMPARE_PNG];

    /// True if retrofit writes a file of this name.
    pub fn is_output(name: &str) -> bool {
        RUN.iter().chain(&SWEEP).chain(&COMPARE).any(|n| *n == name)
    }
}

/// Why an output folder could not be written. Every variant names the path concerned.
#[derive(Debug)]
pub enum OutputError {
    /// A file-system operation failed.
    Io {
        /// What was being done (`create`, `write`, …).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The path given as output cannot be replaced, e.g. it holds a user's files.
    Refused {
        /// The output path.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// A writer asked for a file name that is not one of retrofit's outputs.
    BadName(String),
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            OutputError::Refused { path, reason } => write!(f, "{}: {reason}", path.display()),
            OutputError::BadName(name) => {
                write!(f, "`{name}` is not one of retrofit's output files")
            }
        }
    }
}

// Messages carry their cause inline (one line each), so no `source()` chain repeats it.
impl std::error::Error for OutputError {}

/// An [`OutputError::Io`] for `path`.
pub(crate) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |source| OutputError::Io {
        action,
        path,
        source,
    }
}

/// Refuses to replace an existing folder that holds anything retrofit did not write
/// (a typo in `--out` must never delete a user's files).
fn check_replaceable(target: &Path) -> Result<(), OutputError> {
    if !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        return Err(OutputError::Refused {
            path: target.to_path_buf(),
            reason: "exists and is not a folder".into(),
        });
    }
    let entries = fs::read_dir(target).map_err(io_error("read output folder", target))?;
    for entry in entries {
        let entry = entry.map_err(io_error("read output folder", target))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours =
            names::is_output(&name) && entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !ours {
            return Err(OutputError::Refused {
                path: target.to_path_buf(),
                reason: format!(
                    "holds `{name}`, which retrofit did not write; it replaces whole \
                     folders, so choose a new or empty folder (or one of its own outputs)"
                ),
            });
        }
    }
    Ok(())
}

/// A folder being written; becomes `target` on [`Staging::commit`], and is removed if
/// dropped before that.
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// Starts writing the folder `target` (its parent is created if needed).
    pub fn new(target: &Path) -> Result<Self, OutputError> {
        let name = target
            .file_name()
            .ok_or_else(|| OutputError::Refused {
                path: target.to_path_buf(),
                reason: "has no folder name".into(),
            })?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        check_replaceable(target)?;
        fs::create_dir_all(&parent).map_err(io_error("create output folder", &parent))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_error("clear", &tmp))?;
        }
        fs::create_dir(&tmp).map_err(io_error("create", &tmp))?;
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Path of a file inside the staging folder. `name` must be one of retrofit's
    /// output file names, so nothing is ever written outside the output folder.
    pub fn file(&self, name: &str) -> Result<PathBuf, OutputError> {
        if !names::is_output(name) {
            return Err(OutputError::BadName(name.to_string()));
        }
        Ok(self.tmp.join(name))
    }

    /// Writes a whole file inside the staging folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<(), OutputError> {
        let p = self.file(name)?;
        fs::write(&p, bytes).map_err(io_error("write", &p))
    }

    /// Replaces `target` with the finished folder. The old folder (if any) is moved
    /// aside first and removed only after the new one is in place.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        // Checked again: the folder may have changed while the run was going.
        check_replaceable(&self.target)?;
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &old).map_err(io_error("move aside", &self.target))?;
        }
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(io_error("create", &self.target)(e));
        }
        self.committed = true;
        if had_old {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_old_folder_whole_and_cleans_up_on_drop() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("events.csv"), "old").unwrap();
        let st = Staging::new(&target).unwrap();
        st.write("ledger.csv", "new").unwrap();
        assert!(st.write("../escape.csv", "x").is_err());
        assert!(st.write("notes.txt", "x").is_err());
        st.commit().unwrap();
        assert!(
            !target.join("events.csv").exists(),
            "old files must not be merged in"
        );
        assert_eq!(
            fs::read_to_string(target.join("ledger.csv")).unwrap(),
            "new"
        );

        let st = Staging::new(&target).unwrap();
        st.write("ledger.csv", "half").unwrap();
        drop(st);
        assert_eq!(
            fs::read_to_string(target.join("ledger.csv")).unwrap(),
            "new"
        );
        let leftovers: Vec<_> = fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no partial folder is left behind");
    }

    // Regression: `--out` pointing at a folder of the user's deleted their files.
    #[test]
    fn a_folder_with_files_retrofit_did_not_write_is_never_replaced() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("world.ron"), "World()").unwrap();
        let e = Staging::new(root.path())
            .err()
            .expect("must refuse")
            .to_string();
        assert!(e.contains("world.ron"), "{e}");
        assert!(root.path().join("world.ron").exists());
        let sub = root.path().join("out");
        fs::create_dir_all(sub.join("nested")).unwrap();
        assert!(
            Staging::new(&sub).is_err(),
            "a sub-folder is not an output either"
        );
    }

    #[test]
    fn the_name_groups_cover_every_output_once_per_folder_kind() {
        for group in [&names::RUN[..], &names::SWEEP[..], &names::COMPARE[..]] {
            let mut g = group.to_vec();
            g.sort_unstable();
            g.dedup();
            assert_eq!(g.len(), group.len(), "{group:?} repeats a name");
        }
        assert!(names::RUN_CHARTS.iter().all(|n| names::RUN.contains(n)));
        assert!(names::SWEEP_CHARTS.iter().all(|n| names::SWEEP.contains(n)));
    }
}
