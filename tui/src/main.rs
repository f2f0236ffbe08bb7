//! `pdns`: query archives from the shell; `pdns ARCHIVE...` opens the
//! terminal client; `pdns demo` builds the bundled demo archive and opens
//! it. Exit codes: 0 results, 1 no results, 2 usage error, 3 archive
//! error. The commands live in `pdns::cli`, the client in `pdns::app`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use pdns::cli::query::QueryArgs;
use pdns::output::{write_entries, Format};
use pdnsfile::record::escape_text_str;
use pdnsfile::time::rfc3339;
use pdnsfile::{Archive, Federation, Filter, Query};

#[derive(Parser)]
#[command(
    name = "pdns",
    version,
    about = "Passive DNS archives, offline",
    after_help = "Exit codes: 0 results, 1 no results, 2 usage error, 3 archive error.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Archives or folders of archives to open in the terminal client.
    archives: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Answer a query from archives.
    Query(Box<QueryArgs>),
    /// Build the bundled demo archive and open it in the terminal client
    /// (prints a summary instead when stdout is not a terminal).
    Demo {
        /// Print the summary even on a terminal.
        #[arg(long)]
        print: bool,
    },
    /// Every entry as COF JSON lines, in key order.
    Dump {
        /// Archives or folders of archives (merged by key).
        #[arg(required = true)]
        archives: Vec<PathBuf>,
    },
    /// Describe archives: counts, time span, sources, inputs, sections.
    Info {
        /// Archive files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per file.
        #[arg(long)]
        json: bool,
    },
    /// Check every checksum and cross-reference of archives (exit 3 if one
    /// fails).
    Verify {
        /// Archive files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn demo(print: bool) -> Result<ExitCode> {
    let path = pdns::demo::build()?;
    if !print && std::io::stdout().is_terminal() {
        return client(&[path]);
    }
    let a = Archive::open(&path)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Demo archive: {}",
        escape_text_str(&path.display().to_string())
    )?;
    writeln!(
        out,
        "  {} entries, {} names",
        a.record_count(),
        a.name_count()
    )?;
    if let Some((f, l)) = a.time_span() {
        writeln!(out, "  seen from {} to {}", rfc3339(f), rfc3339(l))?;
    }
    if let Some(m) = a.meta() {
        let types: Vec<String> = m
            .counts_by_type
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        writeln!(out, "  types: {}", escape_text_str(&types.join(", ")))?;
        writeln!(out, "  sources: {}", m.counts_by_source.len())?;
    }
    let fed = Federation::new(vec![a]);
    for (title, q) in [
        ("What did www.ietf.org resolve to?", "www.ietf.org"),
        ("Which names pointed into 2001:1890::/32?", "2001:1890::/32"),
        ("Everything under google.com (first 10):", "*.google.com"),
    ] {
        writeln!(
            out,
            "\n{title}   pdns query -a {} '{q}'",
            escape_text_str(&path.display().to_string())
        )?;
        let entries: Vec<_> = fed
            .query(&Query::parse(q)?, &Filter::default())?
            .take(10)
            .collect::<pdnsfile::Result<_>>()?;
        write_entries(&mut out, &entries, Format::Text)?;
    }
    writeln!(
        out,
        "\nRun `pdns demo` in a terminal (or `pdns {}`) to explore it in the terminal client.",
        escape_text_str(&path.display().to_string())
    )?;
    Ok(ExitCode::SUCCESS)
}

fn client(paths: &[PathBuf]) -> Result<ExitCode> {
    if paths.is_empty() {
        anyhow::bail!(
            "no archive given: `pdns FILE.pdns...` or `pdns FOLDER` opens archives, `pdns demo` the demo, `pdns --help` lists the commands"
        );
    }
    let fed = pdns::archives::open(paths)?;
    pdns::app::run(fed)?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match &cli.command {
        None => client(&cli.archives),
        Some(Command::Query(a)) => pdns::cli::query::run(a),
        Some(Command::Demo { print }) => demo(*print),
        Some(Command::Dump { archives }) => pdns::cli::inspect::dump(archives),
        Some(Command::Info { files, json }) => pdns::cli::inspect::info(files, *json),
        Some(Command::Verify { files }) => pdns::cli::inspect::verify(files),
    };
    match r {
        Ok(c) => c,
        Err(e) if pdns::cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "pdns: error: {}",
                escape_text_str(&format!("{e:#}"))
            );
            pdns::cli::exit_code(&e)
        }
    }
}
