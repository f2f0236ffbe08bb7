//! Getting rows out: export of the current view to a file (COF JSON lines
//! or CSV, by the file's extension) and copy through OSC 52, which works
//! over SSH and needs no clipboard tool on an air-gapped laptop.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use pdnsfile::{cof, rrtype, Entry};

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// COF JSON, one object a line (what `pdns query --format json` writes).
    Cof,
    /// CSV with a header line; times in Unix seconds like COF.
    Csv,
}

impl ExportFormat {
    /// `.csv` means CSV; anything else COF JSON lines.
    pub fn for_path(path: &Path) -> ExportFormat {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            ExportFormat::Csv
        } else {
            ExportFormat::Cof
        }
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// One entry as a CSV line (without the line break).
pub fn csv_line(e: &Entry) -> String {
    let mut s = String::new();
    csv_field(&mut s, &e.rrname);
    s.push(',');
    csv_field(&mut s, &rrtype::to_string(e.rrtype));
    s.push(',');
    csv_field(&mut s, &e.rdata);
    s.push_str(&format!(",{},{},", e.time_first, e.time_last));
    if let Some(c) = e.count {
        s.push_str(&c.to_string());
    }
    s.push(',');
    csv_field(&mut s, &e.sources.join(" "));
    s
}

/// The CSV header.
pub const CSV_HEADER: &str = "rrname,rrtype,rdata,time_first,time_last,count,sources";

/// Writes rows to a new file at `path` and returns how many. An existing
/// file is never overwritten: an export is often named after the query,
/// and a second export of the same query should not silently replace the
/// first.
///
/// # Errors
///
/// I/O errors creating or writing the file (`AlreadyExists` when it
/// exists).
pub fn write<'a>(
    path: &Path,
    rows: impl Iterator<Item = &'a Entry>,
    format: ExportFormat,
) -> io::Result<usize> {
    let mut out = BufWriter::new(File::create_new(path)?);
    let mut n = 0;
    if format == ExportFormat::Csv {
        writeln!(out, "{CSV_HEADER}")?;
    }
    for e in rows {
        match format {
            ExportFormat::Cof => writeln!(out, "{}", cof::to_line(e))?,
            ExportFormat::Csv => writeln!(out, "{}", csv_line(e))?,
        }
        n += 1;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(n)
}

/// Standard base64 with padding (RFC 4648), for OSC 52.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Terminals cap OSC 52 payloads (xterm at about 100 kB); larger copies
/// are refused rather than cut.
pub const OSC52_MAX: usize = 74_000;

/// The escape sequence that puts `text` on the system clipboard, or
/// `None` when it is too long to send.
pub fn osc52(text: &str) -> Option<String> {
    (text.len() <= OSC52_MAX).then(|| format!("\x1b]52;c;{}\x07", base64(text.as_bytes())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(osc52("hi").unwrap(), "\x1b]52;c;aGk=\x07");
        assert!(osc52(&"x".repeat(OSC52_MAX + 1)).is_none());
    }

    #[test]
    fn csv_quotes() {
        let mut e = Entry::new("a.example", 16, "\"v=spf1, -all\"", 1, 2, Some(3)).unwrap();
        e.add_source("x");
        assert_eq!(
            csv_line(&e),
            "a.example,TXT,\"\"\"v=spf1, -all\"\"\",1,2,3,x"
        );
        assert_eq!(
            ExportFormat::for_path(Path::new("a.CSV")),
            ExportFormat::Csv
        );
        assert_eq!(
            ExportFormat::for_path(Path::new("a.jsonl")),
            ExportFormat::Cof
        );
    }
}
