//! `pdns demo`: builds the bundled demo archive into the user's cache
//! folder and shows what it holds.

use std::path::PathBuf;

use anyhow::{Context, Result};
use pdnsfile::{cof, Entry, Writer, WriterOptions};

/// The bundled demo inputs (see `tui/demo/README.md`).
const INPUTS: &[(&str, &str)] = &[
    ("captures.jsonl", include_str!("../demo/captures.jsonl")),
    (
        "ietf-draft-cof-examples.jsonl",
        include_str!("../demo/ietf-draft-cof-examples.jsonl"),
    ),
];

/// Where the demo archive goes: `$XDG_CACHE_HOME/pdns` or
/// `~/.cache/pdns`, else the system's temporary folder.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("pdns");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".cache").join("pdns");
    }
    std::env::temp_dir().join("pdns")
}

/// Builds the demo archive (atomically) and returns its path.
///
/// # Errors
///
/// When the cache folder cannot be written.
pub fn build() -> Result<PathBuf> {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let path = dir.join("demo.pdns");
    let mut entries: Vec<Entry> = Vec::new();
    for (name, text) in INPUTS {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut es =
                cof::from_line(line).with_context(|| format!("demo/{name}:{}: bad line", i + 1))?;
            for e in &mut es {
                if e.sources.is_empty() {
                    e.add_source("ietf-draft");
                }
            }
            entries.extend(es);
        }
    }
    // A few hundred entries: sorting in memory is fine here.
    entries.sort_by(|a, b| a.cmp_key(b));
    let tmp = dir.join("demo.pdns.tmp");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    let opts = WriterOptions {
        created_by: format!("pdns demo {}", env!("CARGO_PKG_VERSION")),
        ..WriterOptions::default()
    };
    let mut w = Writer::new(std::io::BufWriter::new(file), opts)?;
    for e in &entries {
        w.add(e)?;
    }
    let bw = w.finish()?;
    let f = bw
        .into_inner()
        .map_err(|e| e.into_error())
        .context("flushing the demo archive")?;
    f.sync_all().context("fsync of the demo archive")?;
    std::fs::rename(&tmp, &path)
        .with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(path)
}
