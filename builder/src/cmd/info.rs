//! `pdns-build info`: counts, time span, sources, inputs, sections (the
//! description `pdns info` prints too, from `pdnsfile::describe`).

use std::path::Path;

use anyhow::{Context, Result};
use pdnsfile::{describe, Archive};

/// Describes an archive as text (or JSON with `json`).
///
/// # Errors
///
/// When the file cannot be opened as an archive.
pub fn run(path: &Path, json: bool) -> Result<String> {
    let a =
        Archive::open(path).with_context(|| format!("{}: cannot open archive", path.display()))?;
    let shown = path.display().to_string();
    Ok(if json {
        describe::json(&a, &shown)
    } else {
        describe::text(&a, &shown)
    })
}
