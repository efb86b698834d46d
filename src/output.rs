//! Atomic output folders: a run writes into a temporary sibling folder and renames it
//! into place only when every file is complete, so an interrupted or failed run never
//! leaves a mixture of old and new files.

use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};

/// Every file name retrofit writes into an output folder. A folder holding anything
/// else is not ours, and is never replaced.
pub const OUTPUT_FILES: [&str; 15] = [
    "ledger.csv",
    "events.csv",
    "summary.json",
    "power.png",
    "revenue.png",
    "cash.png",
    "timeline.png",
    "runs.csv",
    "percentiles.csv",
    "sweep-state.json",
    "fan.png",
    "payback.png",
    "compare.csv",
    "compare.png",
    "reliability.csv",
];

/// Refuses to replace an existing folder that holds anything retrofit did not write
/// (a typo in `--out` must never delete a user's files).
fn check_replaceable(target: &Path) -> Result<()> {
    if !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        bail!(
            "output path {} exists and is not a folder",
            target.display()
        );
    }
    let entries = fs::read_dir(target)
        .with_context(|| format!("cannot read output folder {}", target.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = OUTPUT_FILES.contains(&name.as_str())
            && entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !ours {
            bail!(
                "output folder {} holds `{name}`, which retrofit did not write; it replaces \
                 whole folders, so choose a new or empty folder (or one of its own outputs)",
                target.display()
            );
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
    pub fn new(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .with_context(|| format!("output path {} has no folder name", target.display()))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        check_replaceable(target)?;
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create output folder {}", parent.display()))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot clear {}", tmp.display()))?;
        }
        fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Path of a file inside the staging folder. `name` must be a plain file name, so
    /// nothing is ever written outside the output folder.
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let p = Path::new(name);
        if p.components().count() != 1 || p.file_name().is_none() {
            bail!("refusing to write `{name}` outside the output folder");
        }
        if !OUTPUT_FILES.contains(&name) {
            bail!("`{name}` is not one of retrofit's output files");
        }
        Ok(self.tmp.join(name))
    }

    /// Writes a whole file inside the staging folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let p = self.file(name)?;
        fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Replaces `target` with the finished folder. The old folder (if any) is moved
    /// aside first and removed only after the new one is in place.
    pub fn commit(mut self) -> Result<PathBuf> {
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
            fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move aside {}", self.target.display()))?;
        }
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(e).with_context(|| format!("cannot create {}", self.target.display()));
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
            !target.join("stale.csv").exists(),
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
}
