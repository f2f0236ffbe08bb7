//! `pdns demo`: builds the demo archive into the user's cache folder
//! from the real captures and provider exports bundled in the binary
//! ([`crate::demo_inputs`]), through the same decoders as `pdns-build`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use pdnsfile::{Entry, Writer, WriterOptions};

use crate::demo_inputs::{CAPTURES, EXPORTS};

/// What went into the demo archive.
#[derive(Clone, Debug, Default)]
pub struct DemoReport {
    /// Captures decoded.
    pub captures: usize,
    /// Export files parsed.
    pub exports: usize,
    /// Observations before aggregation.
    pub observations: usize,
    /// Export lines or records that could not be used (the samples
    /// include deliberately odd ones).
    pub bad_records: usize,
}

/// Decodes the bundled inputs into entries (not aggregated), with each
/// capture labelled `pcap:NAME` and each export its format's label.
pub fn entries() -> (Vec<Entry>, DemoReport) {
    let mut report = DemoReport::default();
    let mut entries: Vec<Entry> = Vec::new();
    for (name, bytes) in CAPTURES {
        let stem = name
            .trim_end_matches(".pcapng")
            .trim_end_matches(".pcap")
            .to_string();
        let mut decoder = pdns_capture::Decoder::new(pdns_capture::Options {
            source: Some(format!("pcap:{stem}")),
            ..pdns_capture::Options::default()
        });
        // A damaged capture still yields what came before the damage;
        // the demo shows what there is.
        let _ = decoder.read(*bytes, &mut |e| entries.push(e));
        report.captures += 1;
    }
    for (_, text) in EXPORTS {
        let Some(format) = pdns_providers::detect(text.as_bytes()) else {
            continue;
        };
        let mut parser = pdns_providers::Parser::new(format);
        let parsed = parser.parse_text(text);
        report.bad_records += parsed.errors.len();
        entries.extend(parsed.entries);
        report.exports += 1;
    }
    report.observations = entries.len();
    (entries, report)
}

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
    let (mut entries, _) = entries();
    // A few thousand entries: sorting in memory is fine here.
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
