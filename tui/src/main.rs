//! `pdns`: query archives from the shell; `pdns ARCHIVE...` opens the
//! terminal client; `pdns demo` builds the bundled demo archive and opens
//! it. Exit codes: 0 results, 1 no results, 2 usage
//! error, 3 archive error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pdns::output::{write_entries, Format};
use pdnsfile::record::escape_text_str;
use pdnsfile::time::rfc3339;
use pdnsfile::{Archive, Federation, Filter, Query, TimeFence};

#[derive(Parser)]
#[command(
    name = "pdns",
    version,
    about = "Passive DNS archives, offline",
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
    Query(QueryArgs),
    /// Build the bundled demo archive and open it in the terminal client
    /// (prints a summary instead when stdout is not a terminal).
    Demo {
        /// Print the summary even on a terminal.
        #[arg(long)]
        print: bool,
    },
    /// Every entry as COF JSON lines, in key order.
    Dump {
        /// Archives (merged by key).
        #[arg(required = true)]
        archives: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct QueryArgs {
    /// Archive file or folder of archives (repeatable).
    #[arg(short = 'a', long = "archive", required = true)]
    archives: Vec<PathBuf>,
    /// Types to keep, comma-separated (A,AAAA,NS,...).
    #[arg(short = 't', long = "type", value_delimiter = ',')]
    types: Vec<String>,
    /// Only entries first seen at or after TIME (Unix seconds, RFC 3339 or a date).
    #[arg(long)]
    first_after: Option<String>,
    /// Only entries first seen at or before TIME.
    #[arg(long)]
    first_before: Option<String>,
    /// Only entries last seen at or after TIME.
    #[arg(long)]
    last_after: Option<String>,
    /// Only entries last seen at or before TIME.
    #[arg(long)]
    last_before: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// name, *.suffix, prefix.*, ~name, /regex/, IP, CIDR or rdata:NAME.
    query: String,
}

fn time_arg(v: &Option<String>) -> Result<Option<u64>> {
    v.as_deref()
        .map(|s| {
            pdnsfile::time::parse(s).with_context(|| {
                format!("{s:?} is not a time (Unix seconds, RFC 3339 or YYYY-MM-DD)")
            })
        })
        .transpose()
}

fn open_all(paths: &[PathBuf]) -> Result<Federation> {
    let mut archives = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{}: cannot list", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "pdns"))
                .collect();
            files.sort();
            for f in files {
                archives.push(
                    Archive::open(&f)
                        .with_context(|| format!("{}: cannot open archive", f.display()))?,
                );
            }
        } else {
            archives.push(
                Archive::open(p)
                    .with_context(|| format!("{}: cannot open archive", p.display()))?,
            );
        }
    }
    Ok(Federation::new(archives))
}

fn query(args: &QueryArgs) -> Result<ExitCode> {
    let fed = open_all(&args.archives)?;
    let q = Query::parse(&args.query)?;
    let types = args
        .types
        .iter()
        .map(|t| pdnsfile::rrtype::parse(t).with_context(|| format!("unknown type {t:?}")))
        .collect::<Result<Vec<u16>>>()?;
    let filter = Filter {
        types: (!types.is_empty()).then_some(types),
        fence: TimeFence {
            first_after: time_arg(&args.first_after)?,
            first_before: time_arg(&args.first_before)?,
            last_after: time_arg(&args.last_after)?,
            last_before: time_arg(&args.last_before)?,
        },
        sources: None,
    };
    let entries = fed
        .query(&q, &filter)?
        .collect::<pdnsfile::Result<Vec<_>>>()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_entries(&mut out, &entries, args.format)?;
    out.flush()?;
    Ok(if entries.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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

fn dump(archives: &[PathBuf]) -> Result<ExitCode> {
    let fed = open_all(archives)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for e in fed.query(&Query::All, &Filter::default())? {
        writeln!(out, "{}", pdnsfile::cof::to_line(&e?))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The terminal client on archives and folders of archives.
fn client(paths: &[PathBuf]) -> Result<ExitCode> {
    if paths.is_empty() {
        anyhow::bail!(
            "no archive given: `pdns FILE.pdns...` or `pdns FOLDER` opens archives, `pdns demo` the demo, `pdns --help` lists the commands"
        );
    }
    let fed = open_all(paths)?;
    pdns::app::run(fed)?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match &cli.command {
        None => client(&cli.archives),
        Some(Command::Query(a)) => query(a),
        Some(Command::Demo { print }) => demo(*print),
        Some(Command::Dump { archives }) => dump(archives),
    };
    match r {
        Ok(c) => c,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("pdns: error: {}", escape_text_str(&format!("{e:#}")));
            if e.chain()
                .any(|c| c.downcast_ref::<pdnsfile::Error>().is_some())
            {
                ExitCode::from(3)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
