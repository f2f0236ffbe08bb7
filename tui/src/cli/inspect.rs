//! `pdns info`, `pdns verify` and `pdns dump`: archives as files.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pdnsfile::record::escape_text_str;
use pdnsfile::{describe, Archive, Filter, Query};

/// `pdns info FILE...`: what each archive holds (as `pdns-build info`).
///
/// # Errors
///
/// A file that cannot be opened as an archive; writing.
pub fn info(files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, f) in files.iter().enumerate() {
        let a = Archive::open(f).map_err(|source| crate::engine::Error::Open {
            path: f.display().to_string(),
            source,
        })?;
        let shown = f.display().to_string();
        if json {
            writeln!(
                out,
                "{}",
                crate::output::ascii_json(describe::json(&a, &shown))
            )?;
        } else {
            if i > 0 {
                writeln!(out)?;
            }
            write!(out, "{}", describe::text(&a, &shown))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `pdns verify FILE...`: every checksum and cross-reference; one line per
/// file. A bad file does not stop the others; the exit code is 3 if any
/// failed.
///
/// # Errors
///
/// Writing the report.
pub fn verify(files: &[PathBuf]) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ok = true;
    for f in files {
        let shown = escape_text_str(&f.display().to_string());
        match Archive::open(f).and_then(|a| a.verify().map(|()| a)) {
            Ok(a) => writeln!(
                out,
                "{shown}: ok ({} entries, {} names)",
                a.record_count(),
                a.name_count()
            )?,
            Err(e) => {
                ok = false;
                writeln!(out, "{shown}: FAILED: {}", escape_text_str(&e.to_string()))?;
            }
        }
    }
    out.flush()?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// `pdns dump ARCHIVE...`: every entry as COF JSON lines, in key order,
/// archives (and folders of them) merged by key.
///
/// # Errors
///
/// Archives that cannot be opened or read; writing.
pub fn dump(archives: &[PathBuf]) -> Result<ExitCode> {
    let fed = crate::archives::open(archives)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for e in fed
        .query(&Query::All, &Filter::default())
        .map_err(crate::engine::Error::from)?
    {
        let e = e.map_err(crate::engine::Error::from)?;
        writeln!(
            out,
            "{}",
            crate::output::ascii_json(pdnsfile::cof::to_line(&e))
        )
        .context("writing")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
