//! The manifest that marks a folder as retrofit's: what it wrote there, byte for byte.
//!
//! A folder is retrofit's to replace only if it holds a manifest that retrofit wrote
//! and every other entry is a file the manifest lists, unchanged. File names prove
//! nothing (a user's own `summary.json` looks like one of ours); the manifest does.
//! `retrofit merge` checks each part against its manifest the same way, so a damaged,
//! truncated or hand-edited part is refused before any of it is read.

use super::{OutputError, io_error, names};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::Path;

/// Version of the manifest's layout.
const FORMAT: u32 = 1;

/// What kind of folder a manifest describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `retrofit run`.
    Run,
    /// `retrofit sweep` or `retrofit merge`.
    Sweep,
    /// `retrofit compare`.
    Compare,
    /// `retrofit sensitivity` (or its merge).
    Sensitivity,
    /// `retrofit optimize` (or its merge).
    Optimize,
}

impl Kind {
    /// The kind of a folder holding these files.
    fn of(files: &[FileEntry]) -> Kind {
        let has = |n: &str| files.iter().any(|f| f.name == n);
        if has(names::SENSITIVITY_STATE) {
            Kind::Sensitivity
        } else if has(names::OPTIMIZE_STATE) {
            Kind::Optimize
        } else if has(names::RUNS) {
            Kind::Sweep
        } else if has(names::COMPARE_CSV) {
            Kind::Compare
        } else {
            Kind::Run
        }
    }
}

/// One file an output folder holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of its content, lowercase hex.
    pub sha256: String,
}

/// `retrofit-manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout version.
    pub format: u32,
    /// `retrofit <version>` that wrote the folder.
    pub written_by: String,
    /// Run, sweep or comparison.
    pub kind: Kind,
    /// Fingerprint of the world behind the outputs (none for a comparison).
    pub world_fingerprint: Option<String>,
    /// Every other file in the folder, by name.
    pub files: Vec<FileEntry>,
    /// SHA-256 of this manifest written with an empty seal: a changed byte anywhere in
    /// the manifest (even in a field nothing else checks) breaks it.
    pub seal: String,
}

/// `retrofit <version>`, as manifests record it.
pub fn written_by() -> String {
    format!("retrofit {}", env!("CARGO_PKG_VERSION"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 and size of a file, read in blocks (a sweep's `runs.csv` can be large).
fn digest(path: &Path) -> Result<(u64, String), OutputError> {
    let mut f = fs::File::open(path).map_err(io_error("read", path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io_error("read", path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&h.finalize())))
}

impl FileEntry {
    /// The entry of a file named `name` holding `content`.
    pub fn of(name: &str, content: &[u8]) -> Self {
        Self {
            name: name.to_string(),
            bytes: content.len() as u64,
            sha256: hex(&Sha256::digest(content)),
        }
    }
}

impl Manifest {
    /// The manifest of the files now in `dir` (all of them: the caller stages only
    /// retrofit's own files there).
    pub fn of_dir(dir: &Path, world: Option<String>) -> Result<Self, OutputError> {
        Self::of_dir_knowing(dir, world, &[])
    }

    /// [`Manifest::of_dir`], taking the entries of files whose content the caller
    /// hashed as it wrote them (`known`) instead of reading them back. Every file in
    /// `dir` is listed whether known or not, and only files in `dir` are listed.
    pub fn of_dir_knowing(
        dir: &Path,
        world: Option<String>,
        known: &[FileEntry],
    ) -> Result<Self, OutputError> {
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_error("read", dir))? {
            let entry = entry.map_err(io_error("read", dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(k) = known.iter().find(|k| k.name == name) {
                files.push(k.clone());
                continue;
            }
            let (bytes, sha256) = digest(&entry.path())?;
            files.push(FileEntry {
                name,
                bytes,
                sha256,
            });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let mut m = Self {
            format: FORMAT,
            written_by: written_by(),
            kind: Kind::of(&files),
            world_fingerprint: world,
            files,
            seal: String::new(),
        };
        m.seal = m.expected_seal();
        Ok(m)
    }

    /// The seal this manifest's other fields call for.
    fn expected_seal(&self) -> String {
        let unsealed = Self {
            seal: String::new(),
            ..self.clone()
        };
        hex(&Sha256::digest(unsealed.text().as_bytes()))
    }

    /// The manifest as written: the only accepted spelling of it.
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// A problem with `path`, in words.
fn damaged(path: &Path, problem: impl Into<String>) -> OutputError {
    OutputError::Damaged {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Reads `dir`'s manifest and checks the folder against it: the manifest is exactly as
/// retrofit writes it, and the folder holds exactly the files it lists (regular files,
/// each of the listed size and SHA-256) and nothing else. Any difference, down to one
/// byte, is an [`OutputError::Damaged`] naming the file.
pub fn verify(dir: &Path) -> Result<Manifest, OutputError> {
    let path = dir.join(names::MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => damaged(
            dir,
            format!("has no {}, so retrofit did not write it", names::MANIFEST),
        ),
        _ => damaged(&path, format!("cannot be read ({e})")),
    })?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| damaged(&path, format!("is not a retrofit manifest ({e})")))?;
    if m.format != FORMAT || m.text() != text || m.seal != m.expected_seal() {
        return Err(damaged(&path, "was altered (or is of another format)"));
    }
    for f in &m.files {
        let p = dir.join(&f.name);
        if f.name == names::MANIFEST || !names::is_output(&f.name) {
            return Err(damaged(&path, format!("lists `{}`", f.name)));
        }
        let meta = fs::symlink_metadata(&p).map_err(|_| damaged(&p, "is missing"))?;
        if !meta.is_file() {
            return Err(damaged(&p, "is not a regular file"));
        }
        let (bytes, sha256) = digest(&p)?;
        if bytes != f.bytes || sha256 != f.sha256 {
            return Err(damaged(&p, "changed since retrofit wrote it"));
        }
    }
    for entry in fs::read_dir(dir).map_err(io_error("read", dir))? {
        let entry = entry.map_err(io_error("read", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != names::MANIFEST && !m.files.iter().any(|f| f.name == name) {
            return Err(damaged(
                dir,
                format!("holds `{name}`, which retrofit did not write"),
            ));
        }
    }
    Ok(m)
}
