//! `pdns-lookup`: answers one query from an archive as COF JSON lines, the
//! smallest possible client, so `compare.sh` can time a whole process for
//! one question (open, look up, print, exit) against `sqlite3` and
//! `zstdgrep`. `--sections` prints the archive's section sizes instead.
//!
//! `--bench` runs the queries of a file (one a line) for a number of
//! rounds in one process and prints the mean time per query and entries
//! per second: a steady loop to profile with `perf`.
//!
//! ```text
//! pdns-lookup ARCHIVE QUERY      # name, *.suffix, IP, CIDR, rdata:NAME, ~fuzzy, /regex/
//! pdns-lookup --sections ARCHIVE
//! pdns-lookup --bench ARCHIVE QUERY_FILE [ROUNDS]
//! ```

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use pdnsfile::{Archive, Filter, Query};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("pdns-lookup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, path] if flag == "--sections" => sections(path),
        [flag, path, file] if flag == "--bench" => bench(path, file, 10),
        [flag, path, file, rounds] if flag == "--bench" => bench(path, file, rounds.parse()?),
        [path, query] => lookup(path, query),
        _ => bail!(
            "usage: pdns-lookup ARCHIVE QUERY | pdns-lookup --sections ARCHIVE | \
             pdns-lookup --bench ARCHIVE QUERY_FILE [ROUNDS]"
        ),
    }
}

fn lookup(path: &str, query: &str) -> Result<()> {
    let a = Archive::open(path).with_context(|| format!("{path}: cannot open"))?;
    let q = Query::parse(query)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for e in a.query(&q, &Filter::default())? {
        let e = e?;
        out.write_all(pdnsfile::cof::to_line(&e).as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn bench(path: &str, file: &str, rounds: u32) -> Result<()> {
    let a = Archive::open(path).with_context(|| format!("{path}: cannot open"))?;
    let text = std::fs::read_to_string(file).with_context(|| format!("{file}: cannot read"))?;
    let queries = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(Query::parse)
        .collect::<pdnsfile::Result<Vec<Query>>>()?;
    if queries.is_empty() {
        bail!("{file}: no queries");
    }
    let f = Filter::default();
    let t = Instant::now();
    let mut entries = 0u64;
    for _ in 0..rounds {
        for q in &queries {
            for e in a.query(q, &f)? {
                std::hint::black_box(e?);
                entries += 1;
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let n = queries.len() as f64 * f64::from(rounds);
    println!(
        "{} queries x {rounds} rounds: {:.2} us/query, {:.1} entries/query, {:.0} entries/s",
        queries.len(),
        secs * 1e6 / n,
        entries as f64 / n,
        entries as f64 / secs
    );
    Ok(())
}

fn sections(path: &str) -> Result<()> {
    let a = Archive::open(path).with_context(|| format!("{path}: cannot open"))?;
    let n = u64::from(a.record_count()).max(1);
    println!(
        "{path}: {} bytes, {} entries, {} names, {} blocks, {:.2} bytes/entry",
        a.file_len(),
        a.record_count(),
        a.name_count(),
        a.block_count(),
        a.file_len() as f64 / n as f64
    );
    for s in a.sections() {
        println!(
            "  {:<14} {:>12} bytes {:>7.2} bytes/entry {:>5.1} %",
            s.name,
            s.length,
            s.length as f64 / n as f64,
            s.length as f64 * 100.0 / a.file_len() as f64
        );
    }
    Ok(())
}
