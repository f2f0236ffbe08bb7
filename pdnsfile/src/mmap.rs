//! The one place with `unsafe`: mapping an archive file into memory.

#![allow(unsafe_code)]

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// Maps `path` read-only. An empty file is returned as an empty vector
/// (mapping zero bytes fails on some systems), which the archive parser
/// then refuses as truncated.
pub(crate) fn map(path: &Path) -> Result<crate::bytes::Backing> {
    let file =
        File::open(path).map_err(|e| Error::io(format!("{}: cannot open", path.display()), e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(format!("{}: cannot stat", path.display()), e))?
        .len();
    if len == 0 {
        return Ok(crate::bytes::Backing::Vec(Vec::new()));
    }
    // SAFETY: memmap2 calls a file-backed map unsafe because the program
    // has undefined behaviour if the file is changed while it is mapped.
    // Archives are immutable by contract (spec/FORMAT.md, "Publishing"):
    // writers build a new file beside the old one, fsync it and rename it
    // into place, so an open map keeps the old inode and never sees a
    // write. A file truncated or rewritten in place by another program
    // breaks that contract; we cannot prevent it, only document it.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| Error::io(format!("{}: cannot map", path.display()), e))?;
    Ok(crate::bytes::Backing::Mmap(map))
}
