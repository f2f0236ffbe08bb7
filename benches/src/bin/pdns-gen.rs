//! `pdns-gen`: writes a deterministic synthetic passive DNS corpus as
//! sorted COF JSON lines or as an archive.
//!
//! ```text
//! pdns-gen --entries 10M --seed 42 --format archive -o target/synth.pdns
//! pdns-gen --entries 1M --format cof -o - | zstd -19 -T2 > synth.jsonl.zst
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use pdns_benches::{default_threads, write_archive, write_cof, Config, Generator};
use pdnsfile::WriterOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// COF JSON lines in archive key order, one entry a line.
    Cof,
    /// A pdnsfile archive.
    Archive,
}

/// Writes a deterministic synthetic passive DNS corpus.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Number of entries (unique keys); accepts suffixes k, M, G
    /// (powers of ten) and underscores.
    #[arg(long, short = 'n', default_value = "1M", value_parser = parse_count)]
    entries: u64,
    /// Seed: the same seed and size give the same bytes.
    #[arg(long, short = 's', default_value_t = 42)]
    seed: u64,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Cof)]
    format: Format,
    /// Output path (`-` for standard output, COF only).
    #[arg(long, short = 'o')]
    output: PathBuf,
    /// Start of the observation period (Unix seconds).
    #[arg(long, default_value_t = Config::default().start)]
    start: u64,
    /// Length of the observation period in days.
    #[arg(long, default_value_t = 730)]
    days: u64,
    /// Generator threads (the writer runs on the main thread).
    #[arg(long, short = 'j', default_value_t = default_threads())]
    threads: usize,
    /// Archive: record block size in bytes (writer default if absent).
    #[arg(long)]
    block_size: Option<usize>,
    /// Archive: zstd level of record blocks (writer default if absent).
    #[arg(long)]
    zstd_level: Option<i32>,
    /// Archive: memory budget for the writer's side sorts, in bytes
    /// (suffixes k, M, G).
    #[arg(long, value_parser = parse_count)]
    memory: Option<u64>,
    /// Archive: folder for the writer's temporary files.
    #[arg(long)]
    tmp_dir: Option<PathBuf>,
    /// Print the type mix and other statistics to standard error
    /// (generates the corpus twice).
    #[arg(long)]
    stats: bool,
}

fn parse_count(s: &str) -> Result<u64, String> {
    let t: String = s.trim().chars().filter(|&c| c != '_').collect();
    let (num, mul) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
        Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000),
        Some('g' | 'G') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (t.as_str(), 1),
    };
    let v: f64 = num.parse().map_err(|_| format!("not a count: {s:?}"))?;
    if !(v >= 0.0 && v.is_finite()) {
        return Err(format!("not a count: {s:?}"));
    }
    Ok((v * mul as f64).round() as u64)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("pdns-gen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let cfg = Config {
        entries: cli.entries,
        seed: cli.seed,
        start: cli.start,
        span: cli.days * 86_400,
    };
    let t0 = Instant::now();
    let g = Generator::new(&cfg);
    let t_plan = t0.elapsed();
    if cli.stats {
        print_stats(&g, cli.threads);
    }
    let t1 = Instant::now();
    let n = match cli.format {
        Format::Cof => {
            if cli.output.as_os_str() == "-" {
                let stdout = io::stdout();
                let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
                let n = write_cof(&g, &mut out, cli.threads)?;
                out.flush()?;
                n
            } else {
                let tmp = tmp_path(&cli.output);
                let f = File::create(&tmp)
                    .with_context(|| format!("{}: cannot create", tmp.display()))?;
                let mut out = BufWriter::with_capacity(1 << 20, f);
                let n = write_cof(&g, &mut out, cli.threads)
                    .with_context(|| format!("{}: write failed", tmp.display()))?;
                let f = out.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                std::fs::rename(&tmp, &cli.output)
                    .with_context(|| format!("{}: cannot rename", cli.output.display()))?;
                n
            }
        }
        Format::Archive => {
            if cli.output.as_os_str() == "-" {
                bail!("an archive needs a file path, not standard output");
            }
            let mut opts = WriterOptions {
                created_by: format!("pdns-gen {}", env!("CARGO_PKG_VERSION")),
                tmp_dir: cli.tmp_dir.clone(),
                ..WriterOptions::default()
            };
            if let Some(b) = cli.block_size {
                opts.block_size = b;
            }
            if let Some(l) = cli.zstd_level {
                opts.zstd_level = l;
            }
            if let Some(m) = cli.memory {
                opts.memory = m as usize;
            }
            let tmp = tmp_path(&cli.output);
            let f =
                File::create(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
            let (out, n) =
                write_archive(&g, BufWriter::with_capacity(1 << 20, f), opts, cli.threads)
                    .with_context(|| format!("{}: writing the archive failed", tmp.display()))?;
            let f = out.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &cli.output)
                .with_context(|| format!("{}: cannot rename", cli.output.display()))?;
            n
        }
    };
    let secs = t1.elapsed().as_secs_f64();
    let size = if cli.output.as_os_str() == "-" {
        0
    } else {
        std::fs::metadata(&cli.output).map(|m| m.len()).unwrap_or(0)
    };
    eprintln!(
        "pdns-gen: {n} entries, {} units planned in {:.2} s, written in {secs:.2} s ({:.0} entries/s){}",
        g.plan().unit_count(),
        t_plan.as_secs_f64(),
        n as f64 / secs.max(1e-9),
        if size > 0 {
            format!(
                ", {size} bytes ({:.2} bytes/entry)",
                size as f64 / n.max(1) as f64
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

fn tmp_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn print_stats(g: &Generator, threads: usize) {
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut names = 0u64;
    let mut last = String::new();
    let mut v4: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut rdata_names: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut n = 0u64;
    let _ = g.for_each(threads, |e| {
        n += 1;
        *by_type
            .entry(pdnsfile::rrtype::to_string(e.rrtype))
            .or_default() += 1;
        if e.rrname != last {
            names += 1;
            last.clone_from(&e.rrname);
        }
        if e.rrtype == 1 {
            *v4.entry(e.rdata.clone()).or_default() += 1;
        }
        for t in pdnsfile::record::rdata_names(e.rrtype, &e.rdata) {
            *rdata_names.entry(t.to_string()).or_default() += 1;
        }
        Ok::<(), ()>(())
    });
    eprintln!(
        "entries {n}, owner names {names}, units {}",
        g.plan().unit_count()
    );
    let mut t: Vec<_> = by_type.into_iter().collect();
    t.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    for (k, c) in &t {
        eprintln!("  {k:<8} {c:>10} {:>6.2} %", *c as f64 * 100.0 / n as f64);
    }
    let mut ips: Vec<_> = v4.into_iter().collect();
    ips.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    let singles = ips.iter().filter(|(_, c)| *c == 1).count();
    eprintln!(
        "IPv4 addresses {}, used once {singles}; busiest: {}",
        ips.len(),
        ips.iter()
            .take(8)
            .map(|(a, c)| format!("{a} ({c})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for k in [10, 100, 1000] {
        if let Some((_, c)) = ips.get(k) {
            eprintln!("  names on the #{k} address: {c}");
        }
    }
    let mut rn: Vec<_> = rdata_names.into_iter().collect();
    rn.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    eprintln!(
        "rdata names {}; most used: {}",
        rn.len(),
        rn.iter()
            .take(8)
            .map(|(a, c)| format!("{a} ({c})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let sizes: Vec<(&str, u64)> = {
        let mut s: Vec<_> = g.plan().unit_sizes().collect();
        s.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
        s.into_iter().take(10).collect()
    };
    eprintln!(
        "largest units: {}",
        sizes
            .iter()
            .map(|(z, c)| format!("{z} ({c})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
