//! `pdns-build`: compiles captures and exports into pdns archives, merges,
//! verifies and describes them. Exit codes: 0 success; 1 failure (nothing
//! published); 2 usage error; 3 published, but some input lines were bad.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pdns_build::cmd;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "pdns-build",
    version,
    about = "Compile passive DNS data into pdns archives"
)]
struct Cli {
    /// Log only warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: pdns_build::log::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile inputs (files, folders, `-`) into an archive, atomically.
    Build {
        /// The archive to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Source label for every entry (default: per format, e.g. dnsdb,
        /// circl, zeek:HOST).
        #[arg(long)]
        source: Option<String>,
        /// Input format, for every input (default: detected per file by
        /// content). One of: dnsdb, dnsdb2, circl, mnemonic, mnemonic-cof,
        /// virustotal, virustotal2, passivetotal, otx, qihoo360,
        /// securitytrails, passivedns, passivedns-json, zeek, zeek-json,
        /// suricata, cof, kaspersky, umbrella.
        #[arg(long, value_parser = parse_format)]
        format: Option<pdns_providers::Format>,
        /// The queried name or address, for exports that leave it out
        /// (VirusTotal v2 reports, SecurityTrails).
        #[arg(long)]
        query: Option<String>,
        /// gamelinux passivedns text logs: the `-f` field letters the
        /// sensor ran with (default SMcsCQTAtn; any of H S M c s C Q T A t
        /// n p h L l w W).
        #[arg(long, value_name = "LETTERS")]
        passivedns_fields: Option<String>,
        /// gamelinux passivedns text logs: the `-d` delimiter the sensor
        /// ran with (default ||); logs are also detected by it.
        #[arg(long, value_name = "DELIMITER")]
        passivedns_delimiter: Option<String>,
        /// gamelinux passivedns logs: the time zone the sensor ran in, for
        /// its local `H` times (an IANA name such as Europe/Berlin, or an
        /// offset such as +05:30; default UTC). Etc/GMT+5 is UTC-5 (POSIX
        /// signs): prefer the offset form.
        #[arg(long, value_name = "ZONE")]
        passivedns_time_zone: Option<String>,
        /// Memory budget for sorting (e.g. 512M, 1G; at least 64M).
        #[arg(long, default_value = "1G", value_parser = parse_build_memory)]
        memory: usize,
        /// zstd level of record and name blocks, 1 (fastest build) to 19
        /// (smallest archive); 6 makes archives about 2 % smaller and
        /// builds about 10 % slower than the default.
        #[arg(long, default_value_t = cmd::build::DEFAULT_LEVEL, value_parser = clap::value_parser!(i32).range(1..=19))]
        level: i32,
        /// Fail on the first bad input line instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Yesterday's archive: carried forward into the output; inputs it
        /// already ingested (same path, size and BLAKE3 hash) are skipped.
        #[arg(long)]
        base: Option<PathBuf>,
        /// Folder for temporary sort files (default: the output's folder).
        #[arg(long)]
        tmp_dir: Option<PathBuf>,
        /// In captures, decode DNS on this UDP/TCP port too (53 always);
        /// repeat for several.
        #[arg(long = "dns-port", value_name = "PORT")]
        dns_port: Vec<u16>,
        /// Input files or folders; `-` reads standard input.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Write the union of archives as a new archive.
    Merge {
        /// The archive to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Memory budget for the writer's sorts (e.g. 512M, 1G).
        #[arg(long, default_value = "1G", value_parser = parse_memory)]
        memory: usize,
        /// zstd level of record and name blocks, as for build.
        #[arg(long, default_value_t = cmd::build::DEFAULT_LEVEL, value_parser = clap::value_parser!(i32).range(1..=19))]
        level: i32,
        /// Archives to merge.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Check every checksum and cross-reference.
    Verify {
        /// Archives to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Describe an archive: counts, time span, sources, inputs, sections.
    Info {
        /// The archive.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_format(s: &str) -> Result<pdns_providers::Format, String> {
    s.parse().map_err(|_| {
        let names: Vec<&str> = pdns_providers::Format::ALL
            .iter()
            .map(|f| f.name())
            .collect();
        format!("unknown format {s:?}; known: {}", names.join(", "))
    })
}

/// A `--memory` size (see `pdns_build::size`), refused by the argument
/// parser when bad, so that it is a usage error (exit 2).
fn parse_memory(s: &str) -> Result<usize, String> {
    pdns_build::size::parse(s).map_err(|e| format!("{e:#}"))
}

/// The smallest `--memory` a build takes: it keeps 48 MiB beside the sort
/// for its fixed costs (see `cmd::build::run`), and below this the sort
/// would be left a few buffers' worth and write hundreds of runs.
const MIN_BUILD_MEMORY: usize = 64 << 20;

/// [`parse_memory`], at least [`MIN_BUILD_MEMORY`].
fn parse_build_memory(s: &str) -> Result<usize, String> {
    let n = parse_memory(s)?;
    if n < MIN_BUILD_MEMORY {
        return Err(format!("{s:?} is too small: a build needs at least 64M"));
    }
    Ok(n)
}

fn run(cli: Cli, log: pdns_build::log::Log) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build {
            output,
            source,
            format,
            query,
            passivedns_fields,
            passivedns_delimiter,
            passivedns_time_zone,
            base,
            memory,
            level,
            strict,
            tmp_dir,
            dns_port,
            inputs,
        } => {
            let args = cmd::build::BuildArgs {
                output,
                inputs,
                source,
                format,
                query,
                passivedns_fields,
                passivedns_delimiter,
                passivedns_time_zone,
                base,
                memory,
                level,
                strict,
                tmp_dir,
                dns_ports: dns_port,
                log,
            };
            let r = cmd::build::run(&args)?;
            for (why, n) in &r.bad_lines {
                log.warn(
                    "summary",
                    &format!("{n} bad lines: {why}"),
                    json!({"bad_lines": n, "reason": why}),
                );
            }
            for (why, n) in &r.skipped {
                // Not records but whole answers cut short: the operator
                // has an incomplete export and should fetch the rest.
                if matches!(why.as_str(), "more-pages" | "saf-limited") {
                    log.warn(
                        "summary",
                        &format!("{n} incomplete exports ({why}): the provider had more than these files hold"),
                        json!({"incomplete": n, "reason": why}),
                    );
                    continue;
                }
                log.info(
                    "summary",
                    &format!("{n} records skipped: {why}"),
                    json!({"skipped": n, "reason": why}),
                );
            }
            if r.capture.packets > 0 {
                let c = &r.capture;
                log.info(
                    "summary",
                    &format!("captures: {c}"),
                    json!({"packets": c.packets, "dns_messages": c.dns_messages, "records": c.records, "queries": c.queries, "not_dns": c.not_dns, "skipped": c.skipped, "link_types_not_read": c.unknown_links, "not_opened": c.unopened}),
                );
            }
            for f in &r.failed_files {
                log.warn(
                    "summary",
                    &format!("input not read: {f}"),
                    json!({"file": f}),
                );
            }
            let partial = r.bad_total() > 0 || !r.failed_files.is_empty();
            log.info(
                "done",
                &format!(
                    "{} entries from {} files ({} already ingested); exit {}",
                    r.entries_out,
                    r.files,
                    r.already_ingested.len(),
                    if partial { 3 } else { 0 }
                ),
                json!({"entries": r.entries_out, "files": r.files, "already_ingested": r.already_ingested.len(), "exit": if partial { 3 } else { 0 }}),
            );
            Ok(if partial {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Merge {
            output,
            memory,
            level,
            inputs,
        } => {
            let r = cmd::merge::run(&output, &inputs, memory, level)?;
            let shown = pdnsfile::record::escape_text_str(&output.display().to_string());
            log.info(
                "done",
                &format!(
                    "merged {} archives ({} entries) into {shown}: {} entries, {} bytes, in {:.2} s",
                    inputs.len(),
                    r.entries_in,
                    r.entries,
                    r.bytes,
                    r.seconds
                ),
                json!({"archives": inputs.len(), "entries_in": r.entries_in, "file": shown, "entries": r.entries, "bytes": r.bytes, "seconds": r.seconds}),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { files } => {
            let (lines, ok) = cmd::verify::run(&files);
            let mut out = std::io::stdout().lock();
            for l in lines {
                match writeln!(out, "{l}") {
                    // A reader that stops early (`| head`, `| true`) does
                    // not hide a failed file: the exit code still tells.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
                    r => r?,
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Info { file, json } => {
            let mut out = std::io::stdout().lock();
            write!(out, "{}", cmd::info::run(&file, json)?)?;
            if json {
                writeln!(out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = pdns_build::log::Log {
        format: cli.log_format,
        quiet: cli.quiet,
    };
    match run(cli, log) {
        Ok(code) => code,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            log.error(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}
