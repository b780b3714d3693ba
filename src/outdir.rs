//! Output folders written whole or not at all, by one run at a time.
//!
//! A run renders every output in memory, writes them into a staging folder beside `--out`
//! (`.<name>.staging-<pid>`, same file system), and then swaps it into place: on Linux with one
//! `renameat2(RENAME_EXCHANGE)`, so a reader sees either the old complete set or the new one,
//! never a mix; elsewhere (or on a file system without it) with two renames, where for a
//! moment the folder is absent but still never mixed. A killed run leaves at most a staging
//! folder, which the next run on that folder removes.
//!
//! A lock file beside the folder (`.<name>.lock`, held with an OS advisory lock, so a killed
//! run never leaves it held) makes a second concurrent run on the same folder stop with exit 2
//! before it reads anything. The folder replaced must be one spend-audit wrote (it carries
//! [`MARKER`]) or empty: `--out ~` never deletes a home folder.

use crate::report::OutputFile;
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file that marks a folder as spend-audit's output, so a later run may replace it whole.
pub const MARKER: &str = ".spend-audit-output";

/// Why an output folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "another spend-audit run is writing `{out}` (it holds `{lock}`); wait for it to finish, or pass another `--out`"
    )]
    Locked { out: PathBuf, lock: PathBuf },
    #[error(
        "output folder `{out}` already holds files that spend-audit did not write (no `{marker}` in it); pass `--out` with a new or empty folder, since each run replaces its output folder whole"
    )]
    NotOurs { out: PathBuf, marker: &'static str },
    #[error("output path `{out}` is a file, not a folder; pass `--out` with a folder")]
    NotAFolder { out: PathBuf },
}

/// Refuses a folder this run may not replace: a file, or a non-empty folder without [`MARKER`]
/// (or, from before the marker, without `findings.json`).
pub fn check_replaceable(out: &Path) -> Result<(), OutputError> {
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(()); // absent: created by the swap
    };
    if !meta.is_dir() {
        // A link to a folder is replaced as the link's target would be: refuse, do not follow.
        return Err(OutputError::NotAFolder {
            out: out.to_path_buf(),
        });
    }
    let ours = out.join(MARKER).is_file() || out.join("findings.json").is_file();
    let empty = std::fs::read_dir(out)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if ours || empty {
        Ok(())
    } else {
        Err(OutputError::NotOurs {
            out: out.to_path_buf(),
            marker: MARKER,
        })
    }
}

/// `.<name>.<tag>` beside `path`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spend-audit-output".to_string());
    path.with_file_name(format!(".{name}.{tag}"))
}

/// The exclusive right to write one output folder, held from before the inputs are read until
/// the outputs are in place. Dropping it releases the lock and removes the lock file; folders
/// it created for the lock are removed again unless the run [`published`](Self::published).
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    file: Option<File>,
    created: Vec<PathBuf>,
    published: bool,
}

impl OutputLock {
    /// Takes the lock beside `out`, creating its missing parent folders; a lock another
    /// process holds is [`OutputError::Locked`].
    pub fn acquire(out: &Path) -> Result<OutputLock> {
        let out = absolute_parent(out);
        let parent = out.parent().unwrap_or(Path::new("/")).to_path_buf();
        let created = create_missing(&parent)?;
        let path = sibling(&out, "lock");
        let mut lock = OutputLock {
            path,
            file: None,
            created,
            published: false,
        };
        // Another run may remove the file between our open and our lock: lock, then check the
        // path still names the file we locked, else try again.
        for _ in 0..100 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock.path)
                .with_context(|| format!("could not create lock file `{}`", lock.path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(OutputError::Locked {
                        out: out.clone(),
                        lock: lock.path.clone(),
                    }
                    .into())
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e)
                        .with_context(|| format!("could not lock `{}`", lock.path.display()))
                }
            }
            if same_file(&file, &lock.path) {
                let mut f = &file;
                let _ = writeln!(f, "{}", std::process::id());
                lock.file = Some(file);
                remove_leftovers(&out);
                return Ok(lock);
            }
        }
        anyhow::bail!(
            "could not take the lock `{}`: it keeps being replaced; check that no other tool writes there",
            lock.path.display()
        )
    }

    /// The run's outputs are in place: folders created for them stay.
    pub fn published(&mut self) {
        self.published = true;
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            // Remove while still holding the lock, so no run locks a file about to vanish
            // without noticing (it re-checks the path after locking).
            let _ = std::fs::remove_file(&self.path);
            drop(file);
        }
        if !self.published {
            for dir in self.created.iter().rev() {
                let _ = std::fs::remove_dir(dir); // only if still empty
            }
        }
    }
}

/// Whether `path` still names the open `file`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// `path` with its parent made absolute (the folder itself may not exist yet).
fn absolute_parent(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Creates `dir` and its missing ancestors; returns the ones created, outermost first.
fn create_missing(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut d = dir;
    while !d.exists() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    missing.reverse();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create output folder `{}`", dir.display()))?;
    Ok(missing)
}

/// Staging and displaced folders of `out` that killed runs left behind. Called with the lock
/// held, so none of them belongs to a live run.
fn remove_leftovers(out: &Path) {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return;
    };
    let name = name.to_string_lossy();
    let prefixes = [format!(".{name}.staging-"), format!(".{name}.old-")];
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| n.starts_with(p.as_str())) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `files` (paths relative to `out`) and [`MARKER`] into a staging folder beside `out`
/// and swaps it into place. On any error the staging folder is removed and `out` is as it was.
pub fn publish(out: &Path, files: &[OutputFile]) -> Result<()> {
    publish_with(out, &mut |staging| {
        for file in files {
            write_file(staging, &file.path, &file.bytes)?;
        }
        Ok(())
    })
}

/// As [`publish`], with the files written by `write` into the staging folder it is given
/// (through [`write_file`] or [`create_file`]), so a large output streams to disk instead of
/// being held in memory.
pub fn publish_with(out: &Path, write: &mut dyn FnMut(&Path) -> Result<()>) -> Result<()> {
    check_replaceable(out)?;
    let staging = sibling(out, &format!("staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = std::fs::create_dir_all(&staging)
        .with_context(|| format!("could not create `{}`", staging.display()))
        .and_then(|()| write(&staging))
        .and_then(|()| {
            write_file(
                &staging,
                MARKER,
                b"spend-audit output folder: each run replaces it whole\n",
            )
        })
        .and_then(|()| replace_dir(&staging, out));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Creates the file `rel` (with its parent folders) inside `dir`, for writing.
pub fn create_file(dir: &Path, rel: &str) -> Result<(PathBuf, File)> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("could not create `{}`", parent.display()))?;
    }
    let f = File::create(&path).with_context(|| format!("could not write `{}`", path.display()))?;
    Ok((path, f))
}

/// Writes `bytes` to the file `rel` inside `dir` and syncs it.
pub fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let (path, mut f) = create_file(dir, rel)?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("could not write `{}`", path.display()))
}

/// Puts the folder `staged` at `dest`, replacing what was there, and removes the old one.
pub fn replace_dir(staged: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        if exchange(staged, dest) {
            // `staged` now holds the old folder.
            let _ = std::fs::remove_dir_all(staged);
            return Ok(());
        }
        let old = sibling(dest, &format!("old-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dest, &old)
            .with_context(|| format!("could not move the previous `{}` aside", dest.display()))?;
        if let Err(e) = std::fs::rename(staged, dest) {
            let _ = std::fs::rename(&old, dest); // put the old set back
            return Err(e)
                .with_context(|| format!("could not move `{}` into place", dest.display()));
        }
        let _ = std::fs::remove_dir_all(&old);
        return Ok(());
    }
    std::fs::rename(staged, dest)
        .with_context(|| format!("could not move `{}` into place", dest.display()))
}

/// Swaps two paths in one step where the OS and file system can (Linux `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    const RENAME_EXCHANGE: libc::c_uint = 2;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn publish_replaces_the_whole_set() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("audit");
        publish(&out, &[file("a.txt", "1"), file("charts/x.svg", "<svg/>")]).unwrap();
        publish(&out, &[file("b.txt", "2")]).unwrap();
        assert!(!out.join("a.txt").exists(), "the old set is gone");
        assert_eq!(std::fs::read_to_string(out.join("b.txt")).unwrap(), "2");
        assert!(out.join(MARKER).is_file());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["audit"], "no staging folder left: {names:?}");
    }

    #[test]
    fn a_folder_with_other_files_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("thesis.docx"), "mine").unwrap();
        let err = publish(dir.path(), &[file("a.txt", "1")]).unwrap_err();
        assert!(err.to_string().contains("did not write"), "{err}");
        assert!(dir.path().join("thesis.docx").is_file());
    }

    #[test]
    fn a_held_lock_refuses_a_second_holder_and_is_removed_after() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new/audit");
        let first = OutputLock::acquire(&out).unwrap();
        let err = OutputLock::acquire(&out).unwrap_err();
        assert!(
            matches!(
                err.downcast_ref::<OutputError>(),
                Some(OutputError::Locked { .. })
            ),
            "{err}"
        );
        drop(first);
        assert!(
            !dir.path().join("new").exists(),
            "unpublished: created folders removed"
        );
        let mut again = OutputLock::acquire(&out).unwrap();
        again.published();
        drop(again);
        assert!(dir.path().join("new").is_dir());
        assert!(!dir.path().join("new/.audit.lock").exists());
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed_by_the_next_lock() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("audit");
        std::fs::create_dir_all(dir.path().join(".audit.staging-99999/charts")).unwrap();
        let _lock = OutputLock::acquire(&out).unwrap();
        assert!(!dir.path().join(".audit.staging-99999").exists());
    }
}
