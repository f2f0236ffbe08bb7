//! `pdns query`: one query, or a batch of them (`-f FILE`), answered from
//! archives in any output format, with filters, sorting, limits, pivots
//! and graphs.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pdnsfile::record::escape_text_str;
use pdnsfile::{Federation, Filter};

use crate::engine::{self, Digest, Row, SortKey, TimeOptions, TopN};
use crate::output::{Format, Options, Printer};
use crate::pivot::{self, Graph, GraphFormat};

/// The options of `pdns query`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 results, 1 no results, 2 usage error, 3 archive error.\n--help shows the query syntax and a picture of the time fences.",
    after_long_help = format!("{}\n{}", super::help::QUERY, super::help::FENCES)
)]
pub struct QueryArgs {
    /// Archive file or folder of archives (repeatable); default:
    /// $PDNS_ARCHIVES, then the configuration file.
    #[arg(short = 'a', long = "archive", value_name = "ARCHIVE_OR_DIR")]
    pub archives: Vec<PathBuf>,
    /// Read queries from FILE (`-` for standard input), one a line; blank
    /// lines and lines starting with # are skipped.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "query"
    )]
    pub batch: Option<PathBuf>,
    /// Types to keep, comma-separated (A,AAAA,NS,...).
    #[arg(short = 't', long = "type", value_delimiter = ',', value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only entries first seen at or after TIME (Unix seconds, RFC 3339 or
    /// a date).
    #[arg(long, value_name = "TIME", value_parser = engine::parse_time)]
    pub first_after: Option<u64>,
    /// Only entries first seen at or before TIME.
    #[arg(long, value_name = "TIME", value_parser = engine::parse_time)]
    pub first_before: Option<u64>,
    /// Only entries last seen at or after TIME.
    #[arg(long, value_name = "TIME", value_parser = engine::parse_time)]
    pub last_after: Option<u64>,
    /// Only entries last seen at or before TIME.
    #[arg(long, value_name = "TIME", value_parser = engine::parse_time)]
    pub last_before: Option<u64>,
    /// Only entries seen completely within START..END.
    #[arg(long, value_name = "START..END", value_parser = engine::parse_range)]
    pub within: Option<(u64, u64)>,
    /// Only entries live at TIME (first seen <= TIME <= last seen).
    #[arg(long, value_name = "TIME", value_parser = engine::parse_time)]
    pub at: Option<u64>,
    /// Only entries seen by this source (repeatable: any of them).
    #[arg(long = "source", value_name = "LABEL")]
    pub sources: Vec<String>,
    /// Follow N pivot hops from the results (names to their addresses and
    /// rdata names, to the names on those, ...).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub pivot: u32,
    /// Stop pivoting after this many entries.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub pivot_cap: usize,
    /// Write the graph of the results (and pivots) instead of the results,
    /// or to --graph-out.
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with_all = ["batch", "summarize"])]
    pub graph: Option<GraphFormat>,
    /// Write the graph to FILE; the results still go to standard output.
    #[arg(long, value_name = "FILE", requires = "graph")]
    pub graph_out: Option<PathBuf>,
    /// Output format (text is the default, on a terminal or not).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Sort by name, type, rdata, first, last or count; `-` before a field
    /// sorts descending; several fields comma-separated (default: archive
    /// key order, by name in DNS order).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "FIELD"
    )]
    pub sort: Vec<String>,
    /// Show at most N results (after sorting); the total goes to standard
    /// error.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print counts, time span, types and sources instead of the results.
    #[arg(long, conflicts_with_all = ["sort", "limit"])]
    pub summarize: bool,
    /// Show U-labels beside A-labels, for owner names and names in rdata
    /// (every format).
    #[arg(long)]
    pub unicode: bool,
    /// name, *.suffix, prefix.*, ~name, /regex/, IP, CIDR, rdata:NAME,
    /// ns:NAME, mx:NAME or cname:NAME.
    #[arg(required_unless_present = "batch")]
    pub query: Option<String>,
}

/// Everything a query runs with, parsed once for a batch.
struct Plan {
    filter: Filter,
    sort: Vec<SortKey>,
    limit: Option<usize>,
    pivot: u32,
    cap: usize,
    summarize: bool,
    graph: Option<(GraphFormat, Option<PathBuf>)>,
}

/// Runs `pdns query`.
///
/// # Errors
///
/// Usage errors (bad options, query, configuration), archives that cannot
/// be opened or read, and writing (a closed pipe among them).
pub fn run(args: &QueryArgs) -> Result<ExitCode> {
    let types = engine::parse_types(&args.types)?;
    let time = TimeOptions {
        first_after: args.first_after,
        first_before: args.first_before,
        last_after: args.last_after,
        last_before: args.last_before,
        within: args.within,
        at: args.at,
    };
    let plan = Plan {
        filter: Filter {
            types: (!types.is_empty()).then_some(types),
            fence: time.fence(),
            sources: (!args.sources.is_empty()).then(|| args.sources.clone()),
        },
        sort: args
            .sort
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<SortKey>, _>>()?,
        limit: args.limit,
        pivot: args.pivot,
        cap: args.pivot_cap,
        summarize: args.summarize,
        graph: args.graph.map(|g| (g, args.graph_out.clone())),
    };
    // Check the query before touching any archive, so a typo is a usage
    // error whatever the archives are.
    if let Some(q) = &args.query {
        engine::prepare(q, &plan.filter)?;
    }
    let paths = crate::archives::resolve(&args.archives)?;
    let fed = crate::archives::open(&paths)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let opts = Options {
        format: args.format,
        unicode: args.unicode,
        pivot: args.pivot > 0,
        tagged: args.batch.is_some(),
    };
    let mut printer = Printer::new(&mut out, opts);
    let code = match (&args.batch, &args.query) {
        (Some(file), _) => batch(&fed, file, &plan, &mut printer)?,
        (None, Some(q)) => {
            if one(&fed, q, &plan, &mut printer, None)? > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        (None, None) => return Err(engine::Error::Usage("no query given".into()).into()),
    };
    out.flush()?;
    Ok(code)
}

/// Runs the queries of a batch file; a bad line is reported on standard
/// error with its line number and skipped, and makes the exit code 2.
fn batch(
    fed: &Federation,
    file: &PathBuf,
    plan: &Plan,
    printer: &mut Printer<'_>,
) -> Result<ExitCode> {
    let shown = escape_text_str(&file.display().to_string());
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(file).map_err(|e| {
            engine::Error::Usage(format!("{shown}: cannot read the batch file: {e}"))
        })?))
    };
    let (mut any, mut bad) = (false, false);
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{shown}: reading line {}", i + 1))?;
        let q = line.trim();
        if q.is_empty() || q.starts_with('#') {
            continue;
        }
        if let Err(e) = engine::prepare(q, &plan.filter) {
            bad = true;
            let _ = writeln!(
                io::stderr(),
                "pdns: {shown}:{}: {}",
                i + 1,
                escape_text_str(&e.to_string())
            );
            continue;
        }
        printer.begin_query(q)?;
        match one(fed, q, plan, printer, Some(q)) {
            Ok(n) => any |= n > 0,
            Err(e)
                if e.downcast_ref::<engine::Error>()
                    .is_some_and(engine::Error::is_usage) =>
            {
                bad = true;
                let _ = writeln!(
                    io::stderr(),
                    "pdns: {shown}:{}: {}",
                    i + 1,
                    escape_text_str(&format!("{e:#}"))
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(if bad {
        ExitCode::from(2)
    } else if any {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Rows are printed in chunks of this many, so text stays aligned without
/// holding a whole result set in memory.
const CHUNK: usize = 1024;

/// Answers one query; returns how many entries matched (before any
/// limit).
fn one(
    fed: &Federation,
    input: &str,
    plan: &Plan,
    printer: &mut Printer<'_>,
    tag: Option<&str>,
) -> Result<u64> {
    let (q, filter) = engine::prepare(input, &plan.filter)?;
    let origin = input.trim();
    let label = if tag.is_some() {
        format!("{}: ", escape_text_str(origin))
    } else {
        String::new()
    };
    // Noted after the rows, where a reader of the output looks for it.
    let mut capped = None;
    let walked = plan.pivot > 0 || plan.graph.is_some();
    let rows: Box<dyn Iterator<Item = pdnsfile::Result<Row>> + '_> = if walked {
        let w = pivot::walk(fed, &q, origin, &filter, plan.pivot, plan.cap)
            .map_err(engine::Error::from)?;
        if w.capped {
            let msg = format!(
                "pivot stopped at the cap of {} entries (--pivot-cap) in lookup {}; results are incomplete",
                plan.cap, w.visited
            );
            let _ = writeln!(io::stderr(), "pdns: {label}{msg}");
            capped = Some(msg);
        }
        if let Some((format, file)) = &plan.graph {
            let g = Graph::of(&w.rows);
            match file {
                Some(path) => {
                    let f = File::create(path).map_err(|e| {
                        engine::Error::Usage(format!(
                            "{}: cannot write the graph: {e}",
                            path.display()
                        ))
                    })?;
                    let mut f = io::BufWriter::new(f);
                    g.write(&mut f, *format)?;
                    f.flush()?;
                }
                None => {
                    g.write(printer.out(), *format)?;
                    return Ok(w.rows.len() as u64);
                }
            }
        }
        Box::new(w.rows.into_iter().map(Ok))
    } else {
        Box::new(
            fed.query(&q, &filter)
                .map_err(engine::Error::from)?
                .map(|r| r.map(Row::from)),
        )
    };
    if plan.summarize {
        let mut d = Digest::default();
        for r in rows {
            d.add(&r.map_err(engine::Error::from)?.entry);
        }
        printer.digest(&d, tag)?;
        if let Some(msg) = capped {
            printer.note(&msg)?;
        }
        return Ok(d.entries);
    }
    let (shown, total) = if plan.sort.is_empty() {
        let mut buf = Vec::with_capacity(CHUNK.min(plan.limit.unwrap_or(CHUNK)));
        let (mut shown, mut total) = (0u64, 0u64);
        let mut rows = rows;
        while let Some(r) = rows.next() {
            let r = r.map_err(engine::Error::from)?;
            total += 1;
            if plan.limit.is_some_and(|n| shown >= n as u64) {
                if !walked {
                    // Counting the rest needs no entries: the archive
                    // counts matches without decoding names.
                    drop(rows);
                    total = fed
                        .summarize(&q, &filter)
                        .map_err(engine::Error::from)?
                        .entries;
                    break;
                }
                continue;
            }
            shown += 1;
            buf.push(r);
            if buf.len() >= CHUNK {
                printer.rows(&buf, tag)?;
                buf.clear();
            }
        }
        printer.rows(&buf, tag)?;
        (shown, total)
    } else {
        let mut top = TopN::new(plan.sort.clone(), plan.limit);
        for r in rows {
            top.push(r.map_err(engine::Error::from)?);
        }
        let (kept, total) = top.finish();
        for chunk in kept.chunks(CHUNK) {
            printer.rows(chunk, tag)?;
        }
        (kept.len() as u64, total)
    };
    if let Some(msg) = capped {
        printer.note(&msg)?;
    }
    if let Some(n) = plan.limit {
        let _ = writeln!(
            io::stderr(),
            "pdns: {label}{total} results, {shown} shown (--limit {n})"
        );
        if shown < total {
            printer.note(&format!(
                "{} more results not shown (--limit {n}; {total} in all)",
                total - shown
            ))?;
        }
    }
    Ok(total)
}
