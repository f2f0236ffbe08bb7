//! Publishing an archive without ever exposing a partial file: write a
//! temporary file in the target's folder, flush and fsync it, rename it
//! over the target, fsync the folder (spec/FORMAT.md, "Publishing"). A
//! reader that has the old file mapped keeps its inode. A lock file beside
//! the target keeps two builds from writing the same output.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// An exclusive lock on `TARGET.lock`, released on drop (and by the
/// kernel if the process dies, so a killed build leaves no stale lock).
pub struct OutputLock {
    _file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Takes the lock without waiting.
    ///
    /// # Errors
    ///
    /// When another process holds it (the message says which file), or
    /// the lock file cannot be created.
    pub fn acquire(target: &Path) -> Result<OutputLock> {
        let path = sibling(target, ".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("{}: cannot create the lock file", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(OutputLock { _file: file, path }),
            Err(fs::TryLockError::WouldBlock) => bail!(
                "{}: another pdns-build is writing this output (lock {} is held); not starting a second one",
                target.display(),
                path.display()
            ),
            Err(fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("{}: cannot lock", path.display()))
            }
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes temporary files a killed build of the same target left
    /// behind (`.NAME.*.tmp` beside it). Only safe under the lock, which
    /// is why it is a method of the lock. Returns how many were removed.
    pub fn remove_stale_temporaries(&self, target: &Path) -> usize {
        let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return 0;
        };
        let prefix = format!(".{name}.");
        let Ok(dir) = fs::read_dir(parent(target)) else {
            return 0;
        };
        let mut removed = 0;
        for e in dir.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&prefix) && n.ends_with(".tmp") && fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// `target` with `suffix` appended to its file name.
pub(crate) fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    target.with_file_name(name)
}

/// A file being written that becomes `target` only on [`commit`](Self::commit).
/// Dropped without commit, the temporary file is removed.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file in the target's folder (so the rename
    /// stays on one file system).
    ///
    /// # Errors
    ///
    /// When the folder does not exist or is not writable.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = parent(target);
        let prefix = format!(
            ".{}.",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
        Ok(AtomicFile {
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// A buffered writer over the temporary file.
    ///
    /// # Errors
    ///
    /// When the file handle cannot be duplicated.
    pub fn writer(&self) -> Result<BufWriter<File>> {
        let f = self
            .tmp
            .as_file()
            .try_clone()
            .context("cannot duplicate a file handle")?;
        Ok(BufWriter::with_capacity(1 << 20, f))
    }

    /// Flushes `w`, fsyncs, renames over the target and fsyncs the folder.
    ///
    /// # Errors
    ///
    /// Any I/O failure; the target is then untouched.
    pub fn commit(self, mut w: BufWriter<File>) -> Result<()> {
        w.flush().context("flushing the archive")?;
        let f = w
            .into_inner()
            .map_err(|e| e.into_error())
            .context("flushing the archive")?;
        f.sync_all().context("fsync of the new archive")?;
        drop(f);
        self.tmp
            .persist(&self.target)
            .map_err(|e| e.error)
            .with_context(|| {
                format!(
                    "{}: cannot rename the new archive into place",
                    self.target.display()
                )
            })?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(parent(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_excludes_a_second_holder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.pdns");
        let l = OutputLock::acquire(&target).unwrap();
        let e = OutputLock::acquire(&target).err().unwrap();
        assert!(e.to_string().contains("another pdns-build"), "{e}");
        drop(l);
        OutputLock::acquire(&target).unwrap();
    }

    #[test]
    fn uncommitted_file_leaves_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.pdns");
        fs::write(&target, b"old").unwrap();
        {
            let f = AtomicFile::create(&target).unwrap();
            let mut w = f.writer().unwrap();
            w.write_all(b"new").unwrap();
        }
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let f = AtomicFile::create(&target).unwrap();
        let mut w = f.writer().unwrap();
        w.write_all(b"new").unwrap();
        f.commit(w).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }
}
