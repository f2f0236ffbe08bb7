//! What an archive holds, for people (`pdns info`, `pdns-build info`):
//! counts, time span, sources, inputs, sections and their sizes. Both
//! tools print the same description, so it lives beside the archive.

use std::fmt::Write as _;

use crate::archive::Archive;
use crate::record::escape_text_str as esc;
use crate::time::rfc3339;

/// Describes an archive as aligned text, one fact a line; `file` is the
/// name to show for it. Every string from the file is escaped, so the
/// text is safe to print on a terminal.
pub fn text(a: &Archive, file: &str) -> String {
    let meta = a.meta().cloned().unwrap_or_default();
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(s, "file        {}", esc(file));
    let _ = writeln!(s, "format      {}.{}", a.version().0, a.version().1);
    let _ = writeln!(
        s,
        "size        {} bytes ({:.1} bytes/entry)",
        a.file_len(),
        a.file_len() as f64 / f64::from(a.record_count().max(1))
    );
    let _ = writeln!(s, "entries     {}", a.record_count());
    let _ = writeln!(s, "names       {}", a.name_count());
    let _ = writeln!(
        s,
        "addresses   {} IPv4, {} IPv6",
        meta.ipv4_count, meta.ipv6_count
    );
    let _ = writeln!(s, "rdata names {}", meta.rdata_name_count);
    match a.time_span() {
        Some((f, l)) => {
            let _ = writeln!(s, "time span   {} .. {}", rfc3339(f), rfc3339(l));
        }
        None => {
            let _ = writeln!(s, "time span   (empty)");
        }
    }
    let _ = writeln!(s, "created by  {}", esc(&meta.created_by));
    if meta.build_time > 0 {
        let _ = writeln!(s, "built at    {}", rfc3339(meta.build_time));
    }
    let _ = writeln!(s, "types:");
    for (t, n) in &meta.counts_by_type {
        let _ = writeln!(s, "  {:<10} {n}", esc(t));
    }
    let _ = writeln!(s, "sources:");
    for (src, n) in &meta.counts_by_source {
        let _ = writeln!(s, "  {:<20} {n}", esc(src));
    }
    let _ = writeln!(s, "inputs: {}", meta.inputs.len());
    for i in &meta.inputs {
        let _ = writeln!(s, "  {} ({} bytes, {})", esc(&i.path), i.size, esc(&i.hash));
    }
    let _ = writeln!(s, "sections:");
    for sec in a.sections() {
        let _ = writeln!(
            s,
            "  {:<13} offset {:>12} length {:>12}{}",
            sec.name,
            sec.offset,
            sec.length,
            if sec.required { "" } else { "  (optional)" }
        );
    }
    s
}

/// Describes an archive as one JSON object (no newline): `file`,
/// `file_length`, `version`, `entries`, `names`, `blocks`, `meta` (the
/// archive's metadata as stored) and `sections`.
pub fn json(a: &Archive, file: &str) -> String {
    let meta = a.meta().cloned().unwrap_or_default();
    let sections: Vec<_> = a
        .sections()
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name,
                "offset": s.offset,
                "length": s.length,
                "required": s.required,
            })
        })
        .collect();
    serde_json::json!({
        "file": file,
        "file_length": a.file_len(),
        "version": format!("{}.{}", a.version().0, a.version().1),
        "entries": a.record_count(),
        "names": a.name_count(),
        "blocks": a.block_count(),
        "meta": meta,
        "sections": sections,
    })
    .to_string()
}
