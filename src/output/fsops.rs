//! File-system steps behind atomic outputs: short temporary names, the registry that
//! lets a signal handler remove them, and renames that never clobber or half-replace.

use super::{OutputError, io_error};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Temporary files and folders this process is writing, removed by
/// [`remove_temporaries`] when it is told to stop.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set when [`remove_temporaries`] starts: the process is stopping.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// True once [`remove_temporaries`] has started.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// Distinguishes temporaries of one process.
static SEQ: AtomicU64 = AtomicU64::new(0);

/// Longest part of the target's name kept in a temporary name, in bytes: with the
/// prefix and suffix it stays far below the usual 255-byte name limit, whatever the
/// target's own length.
const NAME_KEPT_BYTES: usize = 48;

/// A hidden sibling of `target` for writing it: `.NAME.partial-PID-N`, with NAME cut
/// short so that a long (legal) target name never makes an illegal temporary one.
pub(crate) fn temp_sibling(parent: &Path, target_name: &str) -> PathBuf {
    let mut cut = target_name.len().min(NAME_KEPT_BYTES);
    while !target_name.is_char_boundary(cut) {
        cut -= 1;
    }
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    parent.join(format!(
        ".{}.partial-{}-{n}",
        &target_name[..cut],
        std::process::id()
    ))
}

/// Records a temporary path so a signal can clean it up.
pub(crate) fn register(p: &Path) {
    if let Ok(mut live) = LIVE.lock() {
        live.push(p.to_path_buf());
    }
}

/// Creates the temporary `p` with `create` and records it, in one step a signal cannot
/// split: a handler that has begun removing temporaries ([`remove_temporaries`]) either
/// finds it recorded or stopped its creation (then `Interrupted`). Otherwise a folder
/// made just before the signal, and recorded just after, would outlive the process.
pub(crate) fn create_registered<T>(
    p: &Path,
    create: impl FnOnce(&Path) -> io::Result<T>,
) -> io::Result<T> {
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if stopping() {
        return Err(io::ErrorKind::Interrupted.into());
    }
    let made = create(p)?;
    live.push(p.to_path_buf());
    Ok(made)
}

/// Held while a finished output is renamed into place.
static PLACING: Mutex<()> = Mutex::new(());

/// Set once this process has put an output in place.
static PLACED: AtomicBool = AtomicBool::new(false);

/// Puts a finished output in place with `rename` (and its clean-up), unless the process
/// is stopping. A signal handler waits for it ([`remove_temporaries`]), so it never cuts
/// a swap in half and knows whether an output was written ([`placed_any`]).
pub(crate) fn place<T>(
    target: &Path,
    rename: impl FnOnce() -> Result<T, OutputError>,
) -> Result<T, OutputError> {
    let _placing = PLACING.lock().unwrap_or_else(PoisonError::into_inner);
    if stopping() {
        return Err(io_error("create", target)(
            io::ErrorKind::Interrupted.into(),
        ));
    }
    let placed = rename()?;
    PLACED.store(true, Ordering::SeqCst);
    Ok(placed)
}

/// True once this process has put an output (a folder or a new file) in place.
pub fn placed_any() -> bool {
    PLACED.load(Ordering::SeqCst)
}

/// Forgets a temporary path (it was renamed into place or removed).
pub(crate) fn unregister(p: &Path) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|q| q != p);
    }
}

/// True if `p` is a registered temporary.
#[cfg(test)]
pub(crate) fn is_registered(p: &Path) -> bool {
    LIVE.lock().is_ok_and(|l| l.iter().any(|q| q == p))
}

/// Removes every temporary file and folder this process is writing. For a signal
/// handler about to exit: no hidden sibling outlives the process.
/// An output being put in place is finished first (it is then whole, and
/// [`placed_any`] says so); none starts after this begins.
pub fn remove_temporaries() {
    // Set under the registry's lock: no temporary is created unrecorded after it.
    drop(set_stopping());
    let _placing = PLACING.lock().unwrap_or_else(PoisonError::into_inner);
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(PoisonError::into_inner));
    for p in live {
        // Another thread may still be writing into a folder: a file it creates while
        // the folder is emptied makes the last step fail (not empty). Writes into a
        // removed folder fail, so a few more tries remove it.
        for _ in 0..100 {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            if std::fs::symlink_metadata(&p).is_err() {
                break;
            }
        }
    }
}

/// Sets [`STOPPING`] while holding the registry's lock (returned).
fn set_stopping() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    STOPPING.store(true, Ordering::SeqCst);
    live
}

/// How [`rename`] treats an existing destination.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Fail with `AlreadyExists` if it exists.
    NoReplace,
    /// Swap the two atomically (both must exist).
    Exchange,
}

/// `renameat2` with `RENAME_NOREPLACE` or `RENAME_EXCHANGE`. Returns
/// `ErrorKind::Unsupported` where the system or file system has no such rename.
#[cfg(target_os = "linux")]
pub(crate) fn rename(from: &Path, to: &Path, mode: Mode) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(from)?, c(to)?);
    let flags = match mode {
        Mode::NoReplace => libc::RENAME_NOREPLACE,
        Mode::Exchange => libc::RENAME_EXCHANGE,
    };
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOSYS) | Some(libc::EINVAL) | Some(libc::EOPNOTSUPP) => {
            Err(io::Error::from(io::ErrorKind::Unsupported))
        }
        _ => Err(e),
    }
}

/// Elsewhere there is no atomic exchange: callers fall back to plain renames.
#[cfg(not(target_os = "linux"))]
pub(crate) fn rename(_from: &Path, _to: &Path, _mode: Mode) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// True if this process may create and delete entries in `dir`.
#[cfg(unix)]
pub(crate) fn writable(dir: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// Without `access(2)`, the permission bits are the best guess.
#[cfg(not(unix))]
pub(crate) fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

/// Writes `bytes` to the new file `path` atomically: a temporary sibling is written
/// and synced, then linked into place only if `path` does not exist. A failure (a full
/// disk, say) leaves no file at `path` and no temporary behind.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    use std::io::Write;
    let name = path
        .file_name()
        .ok_or_else(|| OutputError::Refused {
            path: path.to_path_buf(),
            reason: "has no file name".into(),
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(OutputError::Exists(path.to_path_buf()));
    }
    let tmp = temp_sibling(&parent, &name);
    let result = (|| {
        let mut f = create_registered(&tmp, |t| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(t)
        })
        .map_err(io_error("create", path))?;
        f.write_all(bytes).map_err(io_error("write", path))?;
        f.sync_all().map_err(io_error("write", path))?;
        place(path, || match rename(&tmp, path, Mode::NoReplace) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(OutputError::Exists(path.to_path_buf()))
            }
            // No atomic no-replace rename here: a hard link refuses an existing name too.
            Err(e) if e.kind() == io::ErrorKind::Unsupported => std::fs::hard_link(&tmp, path)
                .map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => OutputError::Exists(path.to_path_buf()),
                    _ => io_error("create", path)(e),
                }),
            Err(e) => Err(io_error("create", path)(e)),
        })
    })();
    let _ = std::fs::remove_file(&tmp);
    unregister(&tmp);
    result
}
