//! `pdns-build verify`: every checksum and cross-reference of each file.

use std::path::PathBuf;

use pdnsfile::Archive;

/// Verifies each file; returns one line of outcome per file and whether
/// all passed. A failure on one file does not stop the others.
pub fn run(files: &[PathBuf]) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut ok = true;
    for f in files {
        let shown = pdnsfile::record::escape_text_str(&f.display().to_string());
        match Archive::open(f).and_then(|a| a.verify().map(|()| a)) {
            Ok(a) => lines.push(format!(
                "{shown}: ok ({} entries, {} names)",
                a.record_count(),
                a.name_count()
            )),
            Err(e) => {
                ok = false;
                lines.push(format!("{shown}: FAILED: {e}"));
            }
        }
    }
    (lines, ok)
}
