//! Printing entries: aligned text for people, COF JSON lines for scripts.
//! Every string from an archive is printable ASCII (the archive escapes
//! the rest when normalizing), and is escaped again here before it reaches
//! a terminal, so a hostile TXT record cannot move the cursor.

use std::io::{self, Write};

use pdnsfile::record::escape_text_str;
use pdnsfile::time::rfc3339;
use pdnsfile::{cof, rrtype, Entry};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns with RFC 3339 times.
    Text,
    /// COF JSON, one object a line.
    Json,
}

/// Writes entries in `format`.
///
/// # Errors
///
/// I/O errors (a closed pipe among them).
pub fn write_entries(out: &mut dyn Write, entries: &[Entry], format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            for e in entries {
                writeln!(out, "{}", cof::to_line(e))?;
            }
        }
        Format::Text => {
            let w_name = entries
                .iter()
                .map(|e| e.rrname.len())
                .max()
                .unwrap_or(0)
                .min(60);
            for e in entries {
                writeln!(
                    out,
                    "{:<w_name$}  {:<6} {}  {} .. {}  count={}  [{}]",
                    escape_text_str(&e.rrname),
                    rrtype::to_string(e.rrtype),
                    escape_text_str(&e.rdata),
                    rfc3339(e.time_first),
                    rfc3339(e.time_last),
                    e.count.map_or_else(|| "?".to_string(), |c| c.to_string()),
                    escape_text_str(&e.sources.join(",")),
                )?;
            }
        }
    }
    Ok(())
}
