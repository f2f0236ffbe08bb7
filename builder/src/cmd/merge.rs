//! `pdns-build merge`: the union of archives by a streaming k-way merge.

use std::path::PathBuf;

use anyhow::{Context, Result};
use pdnsfile::{Archive, WriterOptions};

use crate::publish::{AtomicFile, OutputLock};

/// What a merge did, for its log line.
pub struct MergeReport {
    /// Entries in the inputs together.
    pub entries_in: u64,
    /// Entries written (equal keys merged).
    pub entries: u64,
    /// Size of the archive written.
    pub bytes: u64,
    /// Seconds from opening the inputs to the archive's reopening.
    pub seconds: f64,
}

/// Merges `inputs` into `output`.
///
/// # Errors
///
/// An input that cannot be opened or is corrupt, or an output error.
pub fn run(output: &PathBuf, inputs: &[PathBuf], memory: usize, level: i32) -> Result<MergeReport> {
    let started = std::time::Instant::now();
    let lock = OutputLock::acquire(output)?;
    lock.remove_stale_temporaries(output);
    let mut archives = Vec::with_capacity(inputs.len());
    for p in inputs {
        archives.push(
            Archive::open(p).with_context(|| format!("{}: cannot open archive", p.display()))?,
        );
    }
    let out = AtomicFile::create(output)?;
    let opts = WriterOptions {
        memory,
        zstd_level: level,
        tmp_dir: output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from),
        created_by: format!("pdns-build {}", env!("CARGO_PKG_VERSION")),
        ..WriterOptions::default()
    };
    let w = match pdnsfile::merge(&archives, out.writer()?, opts) {
        Ok(w) => w,
        // The merge checks every input's checksums before it writes
        // anything; only then, on the failure path, are they checked again
        // to name the damaged file.
        Err(e @ pdnsfile::Error::ChecksumMismatch { .. }) => {
            let damaged = inputs
                .iter()
                .zip(&archives)
                .find(|(_, a)| a.check_checksums().is_err());
            return Err(match damaged {
                Some((p, _)) => anyhow::Error::new(e)
                    .context(format!("{}: damaged archive; nothing merged", p.display())),
                None => anyhow::Error::new(e).context("merging"),
            });
        }
        Err(e) => return Err(anyhow::Error::new(e).context("merging")),
    };
    out.commit(w)?;
    let merged =
        Archive::open(output).with_context(|| format!("{}: cannot reopen", output.display()))?;
    Ok(MergeReport {
        entries_in: archives.iter().map(|a| u64::from(a.record_count())).sum(),
        entries: u64::from(merged.record_count()),
        bytes: merged.file_len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
