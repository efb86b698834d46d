//! Output folders that are atomic and never take a user's files.
//!
//! A command writes its folder into a short-named hidden sibling, adds a manifest
//! ([`manifest`]) listing every file with its SHA-256, and swaps it into place in one
//! rename only when all of it is complete: an interrupted or failed command leaves the
//! old folder as it was and no temporary behind. An existing folder is replaced only if
//! its manifest proves retrofit wrote it and nothing in it changed since.

mod fsops;
pub mod manifest;

pub use fsops::{placed_any, remove_temporaries, stopping, write_new_file};
pub use manifest::{Manifest, verify};

use manifest::FileEntry;

use fsops::{Mode, create_registered, register, rename, temp_sibling, unregister, writable};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    /// A run's mining market: network hashrate, hashprice against the site fleets'
    /// break-evens, and BTC price.
    pub const MARKET_PNG: &str = "market.png";
    /// A run's sources and uses of cash, debt and DSCR (worlds with a finance section).
    pub const FINANCE_PNG: &str = "finance.png";
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
    /// What retrofit wrote in the folder, with checksums: its mark of ownership.
    pub const MANIFEST: &str = "retrofit-manifest.json";
    /// One-at-a-time sensitivity, largest swing first.
    pub const SENSITIVITY_CSV: &str = "sensitivity.csv";
    /// Input values at which the decision changes.
    pub const THRESHOLDS_CSV: &str = "thresholds.csv";
    /// Sobol' first-order and total indices.
    pub const SOBOL_CSV: &str = "sobol.csv";
    /// The tornado chart.
    pub const TORNADO: &str = "tornado.png";
    /// The Sobol' bar chart.
    pub const SOBOL_PNG: &str = "sobol.png";
    /// What a sensitivity run (or shard) leaves for `retrofit merge`.
    pub const SENSITIVITY_STATE: &str = "sensitivity-state.json";
    /// Every candidate plan evaluated.
    pub const CANDIDATES: &str = "candidates.csv";
    /// The world with the chosen plan filled in.
    pub const BEST: &str = "best.ron";
    /// Candidates' NPV against peak funding need.
    pub const PARETO: &str = "pareto.png";
    /// What an optimize run (or shard) leaves for `retrofit merge`.
    pub const OPTIMIZE_STATE: &str = "optimize-state.json";
    /// `power.png` as SVG (`--charts svg` or `both`).
    pub const POWER_SVG: &str = "power.svg";
    /// `revenue.png` as SVG.
    pub const REVENUE_SVG: &str = "revenue.svg";
    /// `cash.png` as SVG.
    pub const CASH_SVG: &str = "cash.svg";
    /// `timeline.png` as SVG.
    pub const TIMELINE_SVG: &str = "timeline.svg";
    /// `market.png` as SVG.
    pub const MARKET_SVG: &str = "market.svg";
    /// `finance.png` as SVG.
    pub const FINANCE_SVG: &str = "finance.svg";
    /// `fan.png` as SVG.
    pub const FAN_SVG: &str = "fan.svg";
    /// `payback.png` as SVG.
    pub const PAYBACK_SVG: &str = "payback.svg";
    /// `compare.png` as SVG.
    pub const COMPARE_SVG: &str = "compare.svg";
    /// `tornado.png` as SVG.
    pub const TORNADO_SVG: &str = "tornado.svg";
    /// `sobol.png` as SVG.
    pub const SOBOL_SVG: &str = "sobol.svg";
    /// `pareto.png` as SVG.
    pub const PARETO_SVG: &str = "pareto.svg";
    /// A run's availability, downtime and SLA credits per month (worlds with a
    /// reliability section only).
    pub const RELIABILITY: &str = "reliability.csv";

    /// The self-contained HTML report of a run, sweep or comparison.
    pub const REPORT_HTML: &str = "report.html";

    /// The charts of a single run, in drawing order.
    pub const RUN_CHARTS: [&str; 5] = [POWER, REVENUE, CASH, TIMELINE, MARKET_PNG];
    /// The charts of a sweep, in drawing order.
    pub const SWEEP_CHARTS: [&str; 2] = [FAN, PAYBACK];
    /// Charts a run draws only when its world has what they show, as (PNG, SVG):
    /// `finance.png` for a finance section.
    pub const RUN_EXTRA_CHARTS: [(&str, &str); 1] = [(FINANCE_PNG, FINANCE_SVG)];
    /// [`RUN_CHARTS`] as SVG.
    pub const RUN_CHARTS_SVG: [&str; 5] =
        [POWER_SVG, REVENUE_SVG, CASH_SVG, TIMELINE_SVG, MARKET_SVG];
    /// [`SWEEP_CHARTS`] as SVG.
    pub const SWEEP_CHARTS_SVG: [&str; 2] = [FAN_SVG, PAYBACK_SVG];
    /// Every file a run's folder may hold (charts in the formats asked for).
    pub const RUN: [&str; 17] = [
        LEDGER,
        EVENTS,
        SUMMARY,
        POWER,
        REVENUE,
        CASH,
        TIMELINE,
        MARKET_PNG,
        FINANCE_PNG,
        POWER_SVG,
        REVENUE_SVG,
        CASH_SVG,
        TIMELINE_SVG,
        MARKET_SVG,
        FINANCE_SVG,
        RELIABILITY,
        REPORT_HTML,
    ];
    /// Every file a sweep's folder may hold.
    pub const SWEEP: [&str; 9] = [
        RUNS,
        PERCENTILES,
        SUMMARY,
        SWEEP_STATE,
        FAN,
        PAYBACK,
        FAN_SVG,
        PAYBACK_SVG,
        REPORT_HTML,
    ];
    /// Every file a comparison's folder may hold.
    pub const COMPARE: [&str; 4] = [COMPARE_CSV, COMPARE_PNG, COMPARE_SVG, REPORT_HTML];

    /// Every file of a sensitivity folder (a shard holds only the state).
    pub const SENSITIVITY: [&str; 8] = [
        SENSITIVITY_CSV,
        THRESHOLDS_CSV,
        SOBOL_CSV,
        TORNADO,
        SOBOL_PNG,
        TORNADO_SVG,
        SOBOL_SVG,
        SENSITIVITY_STATE,
    ];
    /// Every file of an optimize folder (a shard holds only the state).
    pub const OPTIMIZE: [&str; 5] = [CANDIDATES, BEST, PARETO, PARETO_SVG, OPTIMIZE_STATE];

    /// True if retrofit writes a file of this name.
    pub fn is_output(name: &str) -> bool {
        RUN.iter()
            .chain(&SWEEP)
            .chain(&COMPARE)
            .chain(&SENSITIVITY)
            .chain(&OPTIMIZE)
            .any(|n| *n == name)
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
    /// A folder or file retrofit wrote is not as its manifest says.
    Damaged {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A new file would overwrite an existing one.
    Exists(PathBuf),
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
            OutputError::Damaged { path, problem } => write!(f, "{}: {problem}", path.display()),
            OutputError::Exists(path) => write!(
                f,
                "{} already exists; retrofit never overwrites a file",
                path.display()
            ),
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

/// A stable fingerprint of a checked world: FNV-1a over its full debug form, so any
/// change to any figure (not only the name) changes it.
pub fn fingerprint(s: &crate::scenario::Scenario) -> String {
    /// FNV-1a fed by the formatter as it writes, so the debug form (tens of kB) is
    /// never held in memory.
    struct Fnv(u64);
    impl fmt::Write for Fnv {
        fn write_str(&mut self, text: &str) -> fmt::Result {
            for b in text.bytes() {
                self.0 ^= u64::from(b);
                self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
            }
            Ok(())
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    // Writing into a hash cannot fail.
    let _ = fmt::Write::write_fmt(&mut h, format_args!("{s:?}"));
    format!("{:016x}", h.0)
}

fn refused(target: &Path, reason: impl Into<String>) -> OutputError {
    OutputError::Refused {
        path: target.to_path_buf(),
        reason: reason.into(),
    }
}

/// Decides whether `target` may be replaced: it does not exist, or it is an empty
/// folder, or a folder retrofit wrote ([`verify`]) that this process may change. A
/// symbolic link is refused rather than followed or replaced, so a link never ends up
/// as a real folder with the old outputs left at its target.
fn check_replaceable(target: &Path) -> Result<(), OutputError> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("read", target)(e)),
    };
    if meta.file_type().is_symlink() {
        let to = fs::read_link(target).map_or_else(|_| "?".into(), |p| p.display().to_string());
        return Err(refused(
            target,
            format!(
                "is a symbolic link (to {to}); retrofit does not write through links, so \
                 give the folder itself as --out"
            ),
        ));
    }
    if !meta.is_dir() {
        return Err(refused(target, "exists and is not a folder"));
    }
    let empty = fs::read_dir(target)
        .map_err(io_error("read", target))?
        .next()
        .is_none();
    if !empty {
        verify(target).map_err(|e| match e {
            OutputError::Damaged { path, problem } => {
                let what = match path.strip_prefix(target) {
                    Ok(inside) if !inside.as_os_str().is_empty() => {
                        format!("{} {problem}", inside.display())
                    }
                    _ => problem,
                };
                refused(
                    target,
                    format!("{what}; it is left untouched: choose a new or empty folder"),
                )
            }
            other => other,
        })?;
    }
    if !writable(target) {
        return Err(refused(
            target,
            "is write-protected; retrofit will not replace it (make it writable or choose \
             another folder)",
        ));
    }
    Ok(())
}

/// [`check_replaceable`], asked again after a pause when it fails: another retrofit
/// process replacing the same folder can make a file vanish mid-check. A real problem
/// persists and is reported.
fn check_replaceable_settled(target: &Path) -> Result<(), OutputError> {
    let mut last = Ok(());
    let (mut attempt, mut swaps) = (0u64, 0u32);
    while attempt < 4 {
        let before = folder_identity(target);
        last = check_replaceable(target);
        if last.is_ok() {
            break;
        }
        // Another writer swapped the folder in while it was being read (its manifest
        // from one folder, its files from the next): that is not damage, so look again
        // without counting it. A folder a user really changed keeps its identity and
        // is refused after the four counted looks.
        if before != folder_identity(target) && swaps < 1_000 {
            swaps += 1;
            continue;
        }
        attempt += 1;
        std::thread::sleep(std::time::Duration::from_millis(10 * attempt));
    }
    last
}

/// What tells one folder at `target` from the next one renamed into its place: its
/// device and inode on Unix (`None` elsewhere or if there is no folder).
fn folder_identity(target: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(target)
            .ok()
            .map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = target;
        None
    }
}

/// Refuses at once an output folder that could not be replaced at the end.
pub fn check_out(target: &Path) -> Result<(), OutputError> {
    check_replaceable_settled(target)
}

/// A folder being written; becomes `target` on [`Staging::commit`], and is removed if
/// dropped before that (or by [`remove_temporaries`] on a signal).
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    world: Option<String>,
    committed: bool,
    /// Manifest entries of the files written whole by [`Staging::write`], hashed from
    /// memory so [`Staging::commit`] need not read them back.
    written: Mutex<Vec<FileEntry>>,
}

impl Staging {
    /// Starts writing the folder `target` (its parent is created if needed). Refuses
    /// at once if `target` could not be replaced at the end.
    pub fn new(target: &Path) -> Result<Self, OutputError> {
        let name = target
            .file_name()
            .ok_or_else(|| refused(target, "has no folder name"))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        check_replaceable_settled(target)?;
        fs::create_dir_all(&parent).map_err(io_error("create output folder", &parent))?;
        let tmp = temp_sibling(&parent, &name);
        create_registered(&tmp, |t| fs::create_dir(t))
            .map_err(io_error("create a folder in", &parent))?;
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
            world: None,
            committed: false,
            written: Mutex::new(Vec::new()),
        })
    }

    /// Records the world behind the outputs (its [`fingerprint`]) in the manifest.
    pub fn for_world(mut self, fingerprint: String) -> Self {
        self.world = Some(fingerprint);
        self
    }

    /// Path of a file inside the staging folder. `name` must be one of retrofit's
    /// output file names, so nothing is ever written outside the output folder.
    pub fn file(&self, name: &str) -> Result<PathBuf, OutputError> {
        if !names::is_output(name) {
            return Err(OutputError::BadName(name.to_string()));
        }
        // Whoever asked for the path may write the file: hash what is on disk then.
        self.written_entries().retain(|f| f.name != name);
        Ok(self.tmp.join(name))
    }

    /// Writes a whole file inside the staging folder. Errors name the file as the
    /// user will know it (inside `target`), not the temporary folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<(), OutputError> {
        let p = self.file(name)?;
        let bytes = bytes.as_ref();
        fs::write(&p, bytes).map_err(io_error("write", &self.target.join(name)))?;
        self.written_entries().push(FileEntry::of(name, bytes));
        Ok(())
    }

    /// The entries of the files written whole so far.
    fn written_entries(&self) -> std::sync::MutexGuard<'_, Vec<FileEntry>> {
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the manifest and puts the folder in place of `target` in one atomic step.
    /// Where the system can swap two folders atomically, concurrent writers to one
    /// `target` all succeed and the last one wins; the old folder is removed.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        let known = std::mem::take(&mut *self.written_entries());
        let m = Manifest::of_dir_knowing(&self.tmp, self.world.clone(), &known)?;
        let mp = self.tmp.join(names::MANIFEST);
        fs::write(&mp, m.text()).map_err(io_error("write", &self.target.join(names::MANIFEST)))?;
        let target = self.target.clone();
        fsops::place(&target, move || self.put_in_place())
    }

    /// The renames of [`Staging::commit`].
    fn put_in_place(mut self) -> Result<PathBuf, OutputError> {
        // A racing writer can create or replace `target` between two steps: retry.
        for _ in 0..16 {
            // Checked again: the folder may have changed while the run was going.
            check_replaceable_settled(&self.target)?;
            match rename(&self.tmp, &self.target, Mode::NoReplace) {
                Ok(()) => return Ok(self.done(false)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) if e.kind() == io::ErrorKind::Unsupported => return self.commit_by_moves(),
                Err(e) => return Err(io_error("create", &self.target)(e)),
            }
            match rename(&self.tmp, &self.target, Mode::Exchange) {
                Ok(()) => return Ok(self.done(true)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("replace", &self.target)(e)),
            }
        }
        Err(refused(
            &self.target,
            "kept changing while retrofit replaced it",
        ))
    }

    /// Marks the folder in place; `swapped` if the old folder now sits at `tmp`.
    fn done(&mut self, swapped: bool) -> PathBuf {
        self.committed = true;
        if swapped {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        unregister(&self.tmp);
        self.target.clone()
    }

    /// Without an atomic swap: move the old folder aside, rename the new one in, then
    /// remove the old one (or put it back if the rename failed).
    fn commit_by_moves(mut self) -> Result<PathBuf, OutputError> {
        let parent = self
            .tmp
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let old = temp_sibling(&parent, "old");
        let had_old = self.target.exists();
        if had_old {
            register(&old);
            fs::rename(&self.target, &old).map_err(io_error("move aside", &self.target))?;
        }
        let moved = fs::rename(&self.tmp, &self.target);
        if had_old {
            let _ = match &moved {
                Ok(()) => fs::remove_dir_all(&old),
                Err(_) => fs::rename(&old, &self.target),
            };
            unregister(&old);
        }
        moved.map_err(io_error("create", &self.target))?;
        Ok(self.done(false))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
            unregister(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of `dir`, sorted.
    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn write_folder(target: &Path, files: &[(&str, &str)]) -> PathBuf {
        let st = Staging::new(target).unwrap();
        for (n, t) in files {
            st.write(n, t).unwrap();
        }
        st.commit().unwrap()
    }

    #[test]
    fn replaces_its_own_folder_whole_and_cleans_up_on_drop() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        write_folder(&target, &[("events.csv", "old"), ("ledger.csv", "old")]);
        let st = Staging::new(&target).unwrap();
        st.write("ledger.csv", "new").unwrap();
        assert!(st.write("../escape.csv", "x").is_err());
        assert!(st.write("notes.txt", "x").is_err());
        assert!(st.write(names::MANIFEST, "x").is_err());
        st.commit().unwrap();
        assert_eq!(entries(&target), [names::LEDGER, names::MANIFEST]);
        assert_eq!(
            fs::read_to_string(target.join("ledger.csv")).unwrap(),
            "new"
        );
        verify(&target).unwrap();

        let st = Staging::new(&target).unwrap();
        st.write("ledger.csv", "half").unwrap();
        drop(st);
        assert_eq!(
            fs::read_to_string(target.join("ledger.csv")).unwrap(),
            "new"
        );
        assert_eq!(entries(root.path()), ["out"], "no temporary left behind");
    }

    // Regression (issue 11): a user's summary.json in --out was overwritten because its
    // name looked like an output.
    #[test]
    fn a_folder_without_a_manifest_is_never_replaced_whatever_its_file_names() {
        let root = tempfile::tempdir().unwrap();
        let mine = root.path().join("mydocs");
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("summary.json"), "mine").unwrap();
        let e = Staging::new(&mine).err().expect("must refuse").to_string();
        assert!(e.contains("mydocs") && e.contains(names::MANIFEST), "{e}");
        assert_eq!(
            fs::read_to_string(mine.join("summary.json")).unwrap(),
            "mine"
        );
        assert_eq!(entries(root.path()), ["mydocs"]);
        fs::write(root.path().join("world.ron"), "World()").unwrap();
        assert!(Staging::new(root.path()).is_err());
    }

    #[test]
    fn a_file_added_or_changed_in_an_output_folder_makes_it_the_users() {
        let root = tempfile::tempdir().unwrap();
        let out = write_folder(&root.path().join("out"), &[("ledger.csv", "a,b\n")]);
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = Staging::new(&out).err().unwrap().to_string();
        assert!(e.contains("notes.txt"), "{e}");
        fs::remove_file(out.join("notes.txt")).unwrap();
        fs::write(out.join("ledger.csv"), "a,c\n").unwrap();
        let e = Staging::new(&out).err().unwrap().to_string();
        assert!(e.contains("ledger.csv") && e.contains("changed"), "{e}");
        assert_eq!(fs::read_to_string(out.join("ledger.csv")).unwrap(), "a,c\n");
    }

    #[test]
    fn every_single_byte_change_in_a_folder_is_detected() {
        let root = tempfile::tempdir().unwrap();
        let out = write_folder(&root.path().join("out"), &[("runs.csv", "run,seed\n0,7\n")]);
        for name in [names::RUNS, names::MANIFEST] {
            let p = out.join(name);
            let good = fs::read(&p).unwrap();
            for i in 0..good.len() {
                let mut bad = good.clone();
                bad[i] ^= 0x01;
                fs::write(&p, &bad).unwrap();
                assert!(
                    verify(&out).is_err(),
                    "{name} byte {i} flipped went unnoticed"
                );
            }
            fs::write(&p, &good).unwrap();
            verify(&out).unwrap();
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_as_output_is_refused_and_both_ends_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let real = write_folder(&root.path().join("real"), &[("ledger.csv", "x")]);
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = Staging::new(&link).err().unwrap().to_string();
        assert!(e.contains("symbolic link") && e.contains("link"), "{e}");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        verify(&real).unwrap();
        assert_eq!(entries(root.path()), ["link", "real"]);
    }

    // Regression (issue 11): a legal 250-byte folder name failed because the hidden
    // temporary's name grew past the 255-byte limit.
    #[test]
    fn a_long_folder_name_gets_a_short_temporary() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("x".repeat(250));
        write_folder(&target, &[("ledger.csv", "1")]);
        write_folder(&target, &[("ledger.csv", "2")]);
        assert_eq!(fs::read_to_string(target.join("ledger.csv")).unwrap(), "2");
        assert_eq!(entries(root.path()), ["x".repeat(250)]);
    }

    #[test]
    fn a_new_file_is_written_whole_or_not_at_all_and_never_over_another() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path().join("site.ron");
        write_new_file(&p, b"World()").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "World()");
        let e = write_new_file(&p, b"other").unwrap_err().to_string();
        assert!(
            e.contains("site.ron") && e.contains("already exists"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), "World()");
        let missing = root.path().join("no-such-dir").join("w.ron");
        let e = write_new_file(&missing, b"x").unwrap_err().to_string();
        assert!(e.contains("w.ron"), "{e}");
        assert_eq!(
            entries(root.path()),
            ["site.ron"],
            "no temporary left behind"
        );
    }

    // What a signal handler removes (the removal itself is tested on the binary:
    // removing every temporary here would pull folders from under parallel tests).
    #[test]
    fn a_folder_being_written_is_registered_until_it_is_committed_or_dropped() {
        let root = tempfile::tempdir().unwrap();
        let st = Staging::new(&root.path().join("out")).unwrap();
        let tmp = root.path().join(&entries(root.path())[0]);
        assert!(fsops::is_registered(&tmp));
        st.commit().unwrap();
        assert!(!fsops::is_registered(&tmp));
        let st = Staging::new(&root.path().join("out")).unwrap();
        let tmp = st.tmp.clone();
        assert!(fsops::is_registered(&tmp));
        drop(st);
        assert!(!fsops::is_registered(&tmp) && !tmp.exists());
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
        assert!(
            names::RUN_EXTRA_CHARTS
                .iter()
                .all(|(p, s)| names::RUN.contains(p) && names::RUN.contains(s))
        );
        assert!(names::SWEEP_CHARTS.iter().all(|n| names::SWEEP.contains(n)));
        assert!(names::RUN_CHARTS_SVG.iter().all(|n| names::RUN.contains(n)));
        assert!(
            names::SWEEP_CHARTS_SVG
                .iter()
                .all(|n| names::SWEEP.contains(n))
        );
        assert!(names::COMPARE.contains(&names::COMPARE_SVG));
        assert!(!names::is_output(names::MANIFEST));
    }
}
