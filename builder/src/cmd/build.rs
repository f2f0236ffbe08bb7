//! `pdns-build build`: inputs → normalized entries → external sort →
//! aggregated, key-ordered entries → archive, published atomically.
//!
//! Every input file is decompressed by its magic number (gzip, zstd, xz).
//! A pcap or pcapng capture is decoded by `pdns_capture`; any other file
//! has its format detected by content (or forced with `--format`) and is
//! parsed by `pdns_providers`. A bad line is reported as `file:line: reason` and
//! counted; a file in no known format is reported by name; neither stops
//! the other files.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pdns_providers::{detect_with_delimiter, Format, Framing, Options, Parser};
use pdnsfile::sorter::ExternalSorter;
use pdnsfile::{
    record, sortkey, Archive, BatchStream, Cursor, Entry, InputFile, Writer, WriterOptions,
};
use serde_json::json;

use crate::publish::{AtomicFile, OutputLock};
use crate::repeats::{self, Repeats};

/// The zstd level of record and name blocks unless `--level` says
/// otherwise. On the 10 M-entry benchmark, level 1 against 6 cut the build's
/// CPU by 10 % and grew the archive by 1.6 % (record blocks compress about
/// as well at either level: each holds few entries, already column-packed).
pub const DEFAULT_LEVEL: i32 = 1;

/// What `build` was asked to do.
#[derive(Clone, Debug)]
pub struct BuildArgs {
    /// The archive to write.
    pub output: PathBuf,
    /// Files, folders (read recursively) or `-` for standard input.
    pub inputs: Vec<PathBuf>,
    /// Source label for every entry, replacing the format's default.
    pub source: Option<String>,
    /// The format of every input; detected per file by content when
    /// `None`.
    pub format: Option<Format>,
    /// The queried name or address, for provider documents that leave it
    /// out (VirusTotal v2 reports, SecurityTrails).
    pub query: Option<String>,
    /// gamelinux passivedns `-f` letters of text logs (`None`: the
    /// sensor's default).
    pub passivedns_fields: Option<String>,
    /// gamelinux passivedns `-d` delimiter of text logs (`None`: `||`).
    pub passivedns_delimiter: Option<String>,
    /// The sensor's time zone for gamelinux passivedns local times
    /// (`None`: UTC); see `Options::passivedns_time_zone`.
    pub passivedns_time_zone: Option<String>,
    /// Memory budget for the external sort, in bytes.
    pub memory: usize,
    /// zstd level of record and name blocks ([`DEFAULT_LEVEL`] unless the
    /// operator trades build time for size).
    pub level: i32,
    /// Fail the run on the first bad line.
    pub strict: bool,
    /// Yesterday's archive: its entries are carried into the output, and
    /// the inputs it records as ingested (same path, size and hash) are
    /// skipped, so a retried run never counts a file twice.
    pub base: Option<PathBuf>,
    /// Folder for sort runs (the output's folder when `None`).
    pub tmp_dir: Option<PathBuf>,
    /// Ports that carry DNS in captures, besides 53.
    pub dns_ports: Vec<u16>,
    /// Where progress, bad lines and the summary go.
    pub log: crate::log::Log,
}

/// What a build did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Input files read.
    pub files: u64,
    /// Lines read.
    pub lines: u64,
    /// Entries parsed (before aggregation).
    pub entries_in: u64,
    /// Entries in the archive.
    pub entries_out: u64,
    /// Bad lines per reason.
    pub bad_lines: BTreeMap<String, u64>,
    /// Records skipped on purpose (requests, NXDOMAIN, other classes, ...),
    /// per reason.
    pub skipped: BTreeMap<String, u64>,
    /// Inputs that could not be read or are in no known format.
    pub failed_files: Vec<String>,
    /// Inputs skipped because the base archive (or this run) already
    /// ingested them.
    pub already_ingested: Vec<String>,
    /// What the capture inputs held: packets, DNS messages, records,
    /// skips by reason.
    pub capture: pdns_capture::Stats,
}

impl BuildReport {
    /// Total bad lines.
    pub fn bad_total(&self) -> u64 {
        self.bad_lines.values().sum()
    }
}

/// The inputs named on the command line, folders expanded.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Files (and streams) to read, in order, each once.
    pub files: Vec<PathBuf>,
    /// Folders that could not be listed (`unlisted`), or listed no file
    /// (`empty-folder`: a mount that is not there): inputs not read, with
    /// the reason and its tag for the JSON log.
    pub failed: Vec<(PathBuf, anyhow::Error, &'static str)>,
}

/// What identifies a file however it is reached: device and inode where
/// there are such (a hard link is the same file), else the path with
/// links resolved.
#[derive(PartialEq, Eq, Hash)]
enum FileId {
    Inode(u64, u64),
    Path(PathBuf),
}

fn file_id(p: &Path) -> FileId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata(p) {
            return FileId::Inode(m.dev(), m.ino());
        }
    }
    FileId::Path(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// Expands folders (sorted, recursive) so runs are deterministic.
///
/// Links are followed, to files and to folders (a folder reached twice,
/// as through a link to its parent, is listed once), and a file reached
/// twice (named twice, or through a symbolic or hard link) is read once:
/// read twice, its entries would count twice. Files in folders that are
/// `exclude`d (the build's own output and lock) are left out; named on
/// their own they are kept. A path that cannot be read stays in the list:
/// the run reports it as an input not read and goes on with the others,
/// as for any unreadable input; so does a folder that cannot be listed,
/// or holds no file to read.
pub fn expand_inputs(inputs: &[PathBuf], exclude: &[PathBuf]) -> Inputs {
    let mut out = Inputs::default();
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let excluded: std::collections::HashSet<FileId> = exclude.iter().map(|p| file_id(p)).collect();
    let mut seen_files = std::collections::HashSet::new();
    let mut seen_dirs = std::collections::HashSet::new();
    for p in inputs {
        if p.as_os_str() == "-" || !std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
            if p.as_os_str() == "-" || seen_files.insert(file_id(p)) {
                out.files.push(p.clone());
            }
            continue;
        }
        // Named twice, or inside a folder named before: listed already.
        if seen_dirs.contains(&canonical(p)) {
            continue;
        }
        let mut stack = vec![p.clone()];
        let mut files = Vec::new();
        // A folder reached again through a link: its files are read, so
        // this one is not empty for want of them.
        let mut reached_listed = false;
        let mut unlisted = false;
        while let Some(d) = stack.pop() {
            if !seen_dirs.insert(canonical(&d)) {
                reached_listed = true;
                continue;
            }
            let listed = std::fs::read_dir(&d).and_then(|entries| {
                entries
                    .map(|e| e.map(|e| e.path()))
                    .collect::<io::Result<Vec<_>>>()
            });
            let entries = match listed {
                Ok(entries) => entries,
                Err(e) => {
                    let e = anyhow::Error::from(e)
                        .context(format!("{}: cannot list folder", d.display()));
                    out.failed.push((d, e, "unlisted"));
                    unlisted = true;
                    continue;
                }
            };
            for path in entries {
                // `metadata` follows a link; a dangling one is kept, to be
                // reported as not read.
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_dir() => stack.push(path),
                    Ok(m) if m.is_file() => files.push(path),
                    Ok(_) => {}
                    Err(_) => files.push(path),
                }
            }
        }
        files.sort();
        let mut any = false;
        for f in files {
            let id = file_id(&f);
            if excluded.contains(&id) {
                continue;
            }
            any = true;
            if seen_files.insert(id) {
                out.files.push(f);
            }
        }
        if !any && !reached_listed && !unlisted {
            let e = anyhow::anyhow!("{}: no input file in this folder", p.display());
            out.failed.push((p.clone(), e, "empty-folder"));
        }
    }
    out
}

/// The path an input is recorded under: absolute, with links resolved,
/// so that a rerun that names the same file another way (`./x`, a
/// folder given by an absolute path) finds it.
fn recorded_path(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// Whether `f` is among the inputs an archive recorded: same size, hash
/// and path, the path as recorded now ([`recorded_path`]) or as typed
/// (`typed`; archives of earlier versions recorded that). A record under
/// the typed path is rewritten to the path recorded now, so that a later
/// run that names the file another way finds it too.
fn already_ingested(ingested: &mut [InputFile], f: &InputFile, typed: &str) -> bool {
    let found = ingested
        .iter_mut()
        .find(|i| i.size == f.size && i.hash == f.hash && (i.path == f.path || i.path == typed));
    match found {
        Some(i) => {
            i.path.clone_from(&f.path);
            true
        }
        None => false,
    }
}

/// Opens an input, decompressing gzip, zstd and xz transparently (by
/// magic number, not by file name). Returns the first [`HEAD_LEN`] bytes
/// of the (decompressed) text for format detection, and a reader that
/// still yields them.
fn open_input(
    path: &Path,
    opened: Option<Box<dyn Read + Send>>,
) -> Result<(Vec<u8>, Box<dyn BufRead + Send>)> {
    let raw: Box<dyn Read + Send> = match opened {
        Some(r) => r,
        None if path.as_os_str() == "-" => Box::new(io::stdin()),
        None => {
            Box::new(File::open(path).with_context(|| format!("{}: cannot open", path.display()))?)
        }
    };
    let cannot_read = || format!("{}: cannot read", path.display());
    let (magic, raw) = read_head(raw, 8).with_context(cannot_read)?;
    let br = BufReader::with_capacity(1 << 16, raw);
    let inner: Box<dyn Read + Send> = if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            zstd::Decoder::with_buffer(br)
                .with_context(|| format!("{}: bad zstd stream", path.display()))?,
        )
    } else if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(br))
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(br))
    } else {
        Box::new(br)
    };
    let (head, inner) = read_head(inner, HEAD_LEN).with_context(cannot_read)?;
    Ok((head, Box::new(BufReader::with_capacity(1 << 16, inner))))
}

/// Bytes read before detecting an input's format: enough for several
/// lines of any format (detection looks at more than the first line).
const HEAD_LEN: usize = 64 << 10;

/// Reads up to `n` bytes (fewer only at the end of the input: a pipe
/// hands data over in whatever pieces its writer wrote, and detection
/// must not depend on them) and returns them with a reader that yields
/// them again before the rest.
fn read_head(mut r: Box<dyn Read + Send>, n: usize) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(n);
    (&mut r).take(n as u64).read_to_end(&mut head)?;
    let replay = io::Cursor::new(head.clone());
    Ok((head, Box::new(replay.chain(r))))
}

/// Longest document (whole-JSON) input accepted: provider API answers
/// are small; a larger file is refused rather than loaded.
const MAX_DOCUMENT: u64 = 1 << 30;

/// Runs a build.
///
/// # Errors
///
/// A missing input, an unwritable output, a held lock, or (with
/// `strict`) the first bad line. Bad lines otherwise are reported on
/// stderr as `file:line: reason` and counted in the report.
pub fn run(args: &BuildArgs) -> Result<BuildReport> {
    if args.passivedns_fields.is_some() || args.passivedns_delimiter.is_some() {
        // A bad field spec is the operator's mistake: refused before any
        // input is read, not once per log file.
        let options = Options {
            passivedns_fields: args.passivedns_fields.clone(),
            passivedns_delimiter: args.passivedns_delimiter.clone(),
            ..Options::default()
        };
        Parser::with_options(Format::Passivedns, &options).map_err(|e| {
            anyhow::anyhow!(
                "--passivedns-fields/--passivedns-delimiter: {}",
                e.message()
            )
        })?;
    }
    if let Some(zone) = &args.passivedns_time_zone {
        pdns_providers::passivedns::parse_time_zone(zone)
            .map_err(|e| anyhow::anyhow!("--passivedns-time-zone: {}", e.message()))?;
    }
    let lock = OutputLock::acquire(&args.output)?;
    lock.remove_stale_temporaries(&args.output);
    // A folder that holds the output (nightly files kept beside their
    // inputs) lists the output and its lock too: neither is an input.
    let own = [
        args.output.clone(),
        crate::publish::sibling(&args.output, ".lock"),
    ];
    let Inputs {
        files,
        failed: unlisted,
    } = expand_inputs(&args.inputs, &own);
    let tmp_dir = match &args.tmp_dir {
        Some(d) => d.clone(),
        None => args
            .output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    let base = match &args.base {
        Some(b) => {
            let a = Archive::open(b)
                .with_context(|| format!("{}: cannot open the base archive", b.display()))?;
            // Its entries are copied into the new archive, which would
            // carry any damage forward under valid checksums (a name block
            // need not have a checksum of its own): checked whole, before
            // any input is read.
            a.check_checksums().with_context(|| {
                format!(
                    "{}: the base archive is damaged; nothing published",
                    b.display()
                )
            })?;
            Some(a)
        }
        None => None,
    };
    let mut ingested: Vec<InputFile> = base
        .as_ref()
        .and_then(|b| b.meta().map(|m| m.inputs.clone()))
        .unwrap_or_default();
    // While inputs are read, the sort is the only large user of memory:
    // it takes seven eighths of the budget (the rest is the readers' and
    // parsers' buffers, at least 48 MiB: the process's fixed costs of
    // threads, zstd and parse buffers and decompression windows do not
    // shrink with a small budget). Runs kept in memory may take what three
    // buffers leave; the writer's own sorts get their share later, while
    // those runs are freed as they are merged (see `shrink_to` below).
    // Keeping runs in memory rather than compressing each to a file saves
    // about a quarter of the sort's CPU (`pdnsfile/examples/sortbench.rs`).
    //
    // Buffers are 3/128 of the budget, but not below 16 MiB (or 3/32 of a
    // budget too small for that). Until session 11 they were 3/32: a
    // smaller buffer is sorted sooner beside the reading, is reused sooner
    // (fresh pages cost a fault each) and leaves less to sort once the
    // input ends. On the project's 2-core machine, 16 alternating rounds
    // on the uniform benchmark capture took 3-5 % less time and CPU, with
    // 147 MB of peak RSS against 259 MB; 10 M shuffled COF lines took 4 %
    // less CPU, with 101 runs against 26 (876 MB of peak RSS against 755);
    // on 50 M the extra runs cost the merge what the sort saved.
    let sort_memory = args.memory.saturating_sub((args.memory / 8).max(48 << 20));
    let buffer = (args.memory / 128 * 3).max((args.memory / 32 * 3).min(16 << 20));
    let mut sorter = ExternalSorter::with_buffer(
        sort_memory,
        buffer.min(sort_memory / 3),
        tmp_dir.clone(),
        false,
    );
    // Observations of one entry that land in one run leave it as one
    // item: a capture repeats its answers (2.2 records an entry on the
    // benchmark capture, far more on a real tap), and exports of several
    // providers overlap.
    sorter.combine_entries();
    // The final merge reads run files within the eighth of the write
    // phase's budget that the writer leaves it (see `writer_memory`
    // below).
    let write_budget = args.memory - write_phase_reserve(args.memory);
    sorter.set_merge_memory(write_budget / 8);
    let mut report = BuildReport::default();
    for (folder, e, why) in unlisted {
        let shown = record::escape_text_str(&folder.display().to_string());
        input_failed(args, &mut report, shown, e, why)?;
    }
    let progress = progress_bar(args, &files);
    // Inputs read, whatever they held.
    let mut read_ok = 0u64;
    for path in &files {
        let shown = record::escape_text_str(&path.display().to_string());
        // A file no recorded input can match (no same path and size) is
        // hashed while it is read: the hash is only needed afterwards, to
        // record it. Otherwise the hash decides first whether to read it.
        //
        // A pipe, FIFO or device (`-`, `<(zcat ...)`, /dev/stdin) can be
        // read once only, and its path names nothing a rerun could find
        // again: it is read without a fingerprint, as standard input is.
        let meta = std::fs::metadata(path).ok();
        let stream = path.as_os_str() == "-" || meta.as_ref().is_some_and(|m| !m.is_file());
        let typed = path.display().to_string();
        let hash_first = !stream && {
            let size = meta.as_ref().map(std::fs::Metadata::len);
            let recorded = recorded_path(path);
            size.is_none()
                || ingested
                    .iter()
                    .any(|i| (i.path == recorded || i.path == typed) && Some(i.size) == size)
        };
        let mut fingerprint = None;
        let mut concurrent = None;
        if hash_first {
            match self::fingerprint(path) {
                Ok(f) => fingerprint = Some(f),
                Err(e) => {
                    input_failed(args, &mut report, shown, e, "unreadable")?;
                    continue;
                }
            }
        } else if !stream {
            // A second handle on the same open file (sharing its offset)
            // finishes the hash after the readers; taken now, so that a
            // failure stops nothing half-read.
            match File::open(path).and_then(|f| Ok((f.try_clone()?, f))) {
                Ok(pair) => concurrent = Some(pair),
                Err(e) => {
                    let e =
                        anyhow::Error::from(e).context(format!("{}: cannot open", path.display()));
                    input_failed(args, &mut report, shown, e, "unreadable")?;
                    continue;
                }
            }
        }
        if let Some(f) = &fingerprint {
            if already_ingested(&mut ingested, f, &typed) {
                args.log.info(
                    "input",
                    &format!("{shown}: already ingested, skipped"),
                    json!({"file": shown, "skipped": "already-ingested"}),
                );
                report.already_ingested.push(shown);
                continue;
            }
        }
        report.files += 1;
        let (lines0, entries0, bad0) = (report.lines, report.entries_in, report.bad_total());
        let read = match concurrent {
            None => read_one(path, None, &shown, args, &mut sorter, &mut report),
            Some((tail, file)) => {
                // The reading thread hashes what it reads (the file is read
                // from disk once, not once more by a thread of its own); a
                // handle sharing the file's offset then hashes whatever the
                // readers left unread (a decompressor stops at its stream's
                // end).
                let (tee, state) = Tee::new(file);
                let read = read_one(
                    path,
                    Some(Box::new(tee)),
                    &shown,
                    args,
                    &mut sorter,
                    &mut report,
                );
                if read.is_ok() {
                    let hashed = finish_fingerprint(path, &state, tail);
                    match hashed {
                        Ok(f) => fingerprint = Some(f),
                        // Its entries are in the sort but it could not be
                        // recorded as ingested: a rerun would count it
                        // twice, so the whole run stops instead.
                        Err(e) => {
                            return Err(e.context(format!(
                                "{shown}: read but not hashed; stopping so that a rerun does not count it twice"
                            )))
                        }
                    }
                }
                read
            }
        };
        if let (Some(bar), Some(f)) = (&progress, &fingerprint) {
            bar.inc(f.size);
        }
        match read {
            Ok(format) => {
                read_ok += 1;
                let (lines, entries, bad) = (
                    report.lines - lines0,
                    report.entries_in - entries0,
                    report.bad_total() - bad0,
                );
                if entries == 0 && bad > 0 {
                    // Nothing of it is in the archive: recorded, it would
                    // be skipped by the rerun that follows a fix (another
                    // --format or --query), which is the one rerun that
                    // should read it.
                    args.log.warn(
                        "input",
                        &format!("{shown}: every line was bad; not recorded as ingested, so a rerun reads it again"),
                        json!({"file": shown, "recorded": false}),
                    );
                } else {
                    ingested.extend(fingerprint);
                }
                args.log.info(
                    "input",
                    &format!(
                        "{shown}: {}, {lines} lines, {entries} entries, {bad} bad lines",
                        format.unwrap_or("empty")
                    ),
                    json!({"file": shown, "format": format, "lines": lines, "entries": entries, "bad_lines": bad}),
                );
            }
            Err(e) if report.entries_in > entries0 && !args.strict => {
                // Its first entries are in the sort and cannot be taken
                // out: published, they would be counted again by the
                // rerun that reads the file whole (it is not recorded).
                let taken = report.entries_in - entries0;
                return Err(e.context(format!(
                    "{shown}: failed after {taken} of its entries were taken; nothing published, so that no rerun counts them twice (fix or move the file, then run again)"
                )));
            }
            Err(e) => input_failed(args, &mut report, shown, e, "not-read")?,
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if read_ok == 0 && !report.failed_files.is_empty() && report.already_ingested.is_empty() {
        // Every input failed (a mistyped folder, a dead mount): an empty
        // archive published over the last good one would hide that.
        bail!(
            "no input could be read ({} not read); nothing published",
            report.failed_files.len()
        );
    }
    args.log.info(
        "read",
        &format!(
            "{} files, {} lines, {} entries, {} bad lines",
            report.files,
            report.lines,
            report.entries_in,
            report.bad_total()
        ),
        json!({"files": report.files, "lines": report.lines, "entries": report.entries_in, "bad_lines": report.bad_lines, "skipped": report.skipped}),
    );
    let started = std::time::Instant::now();
    let out = AtomicFile::create(&args.output)?;
    // The runs in memory are freed as the merge reads them while the
    // writer's sorts fill, but a writer that fills its sorts early (many
    // names) holds its whole budget while most runs are still there. So
    // the write phase's budget (`--memory` less its reserve) is shared
    // out at its start: the merge's readers of run files take what they
    // need (at most an eighth, the fan-in; little when the runs are
    // nearly all in memory), the runs and the unsorted rest keep what
    // leaves the writer a quarter (the newest runs go to files first),
    // and the writer gets the rest, at most half.
    let readers = sorter.merge_read_memory();
    let held = sorter.shrink_to(write_budget.saturating_sub(readers + write_budget / 4))?;
    let writer_memory = write_budget
        .saturating_sub(held + sorter.merge_read_memory())
        .clamp(write_budget / 4, write_budget / 2);
    let before = sorter.runs();
    let merges = sorter.reduce_runs()?;
    let runs = sorter.runs();
    let grouped = match merges {
        0 => String::new(),
        n => format!(
            " (from {} in files, merged {n} times in groups first, to read within the budget)",
            before.in_files
        ),
    };
    args.log.info(
        "sort",
        &format!(
            "{} sorted runs: {} in memory ({} MiB), {} in temporary files{grouped}; {} MiB for the writer",
            runs.in_memory + runs.in_files,
            runs.in_memory,
            runs.memory_bytes >> 20,
            runs.in_files,
            writer_memory >> 20
        ),
        json!({"runs_in_memory": runs.in_memory, "memory_bytes": runs.memory_bytes, "runs_in_files": runs.in_files, "group_merges": merges, "writer_memory": writer_memory}),
    );
    let opts = WriterOptions {
        memory: writer_memory,
        zstd_level: args.level,
        tmp_dir: Some(tmp_dir),
        created_by: format!("pdns-build {}", env!("CARGO_PKG_VERSION")),
        ..WriterOptions::default()
    };
    let mut w = Writer::new(out.writer()?, opts)?;
    for i in ingested {
        w.add_input(i);
    }
    // Two key-ordered streams, the base archive's and the new inputs',
    // interleaved by key as sort items (whose byte order is key order);
    // the writer aggregates equal keys. Neither is decoded into entries:
    // the base archive is read as items ([`Archive::items`]).
    let new_items = sorter.finish()?;
    // The merge of the sort runs (reading, decompressing, comparing) runs
    // on its own thread and hands over items in batches: the writer is the
    // busiest thread of this phase, and the merge was a quarter of it. The
    // base archive is read on another, for the same reason.
    std::thread::scope(|s| -> Result<()> {
        // 16 batches of 256 KiB in flight absorb the moments either
        // thread is descheduled (4 measured 8 % slower on two cores).
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        std::thread::Builder::new()
            .name("pdns-merge".into())
            .spawn_scoped(s, move || new_items.send_batches(&tx))?;
        let mut old = match &base {
            Some(b) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(16);
                std::thread::Builder::new()
                    .name("pdns-base".into())
                    .spawn_scoped(s, move || {
                        pdnsfile::send_merged(std::slice::from_ref(b), &tx)
                    })?;
                Some(BatchStream::new(rx))
            }
            None => None,
        };
        let base_failed = |e| anyhow::Error::new(e).context("reading the base archive");
        let mut have_old = match &mut old {
            Some(o) => o.advance().map_err(base_failed)?,
            None => false,
        };
        for batch in rx {
            let batch = batch?;
            for item in batch.iter() {
                while let Some(o) = old.as_mut().filter(|o| have_old && o.item() < item) {
                    w.push_item(o.item())?;
                    have_old = o.advance().map_err(base_failed)?;
                }
                w.push_item(item)?;
            }
        }
        while let Some(o) = old.as_mut().filter(|_| have_old) {
            w.push_item(o.item())?;
            have_old = o.advance().map_err(base_failed)?;
        }
        // Dropping the receivers (on an error above) stops the threads at
        // their next send.
        Ok(())
    })?;
    let bw = w.finish()?;
    out.commit(bw)?;
    // Opening is O(1); the count is in the file.
    let done = Archive::open(&args.output)
        .with_context(|| format!("{}: cannot reopen the new archive", args.output.display()))?;
    report.entries_out = u64::from(done.record_count());
    let shown = record::escape_text_str(&args.output.display().to_string());
    args.log.info(
        "publish",
        &format!(
            "{shown}: {} entries, {} bytes, written in {:.2} s",
            report.entries_out,
            done.file_len(),
            started.elapsed().as_secs_f64()
        ),
        json!({"file": shown, "entries": report.entries_out, "bytes": done.file_len(), "seconds": started.elapsed().as_secs_f64()}),
    );
    Ok(report)
}

/// An input that could not be used: fatal with `--strict`, otherwise
/// logged, recorded, and the run goes on with the other inputs.
fn input_failed(
    args: &BuildArgs,
    report: &mut BuildReport,
    shown: String,
    e: anyhow::Error,
    why: &str,
) -> Result<()> {
    if args.strict {
        return Err(e);
    }
    args.log.warn(
        "input",
        &format!("{e:#}"),
        json!({"file": shown, "error": why}),
    );
    report.failed_files.push(shown);
    Ok(())
}

/// A progress bar over the inputs' bytes, only when stderr is a terminal
/// (never in cron mail or a log file) and text logs are wanted.
fn progress_bar(args: &BuildArgs, files: &[PathBuf]) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if args.log.quiet
        || args.log.format != crate::log::LogFormat::Text
        || !io::stderr().is_terminal()
    {
        return None;
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed} {msg}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

/// The part of `--memory` the write phase leaves to what none of its
/// shares counts: the threads' stacks, the program, zstd contexts, the
/// batches and blocks in flight between threads, the allocator's slack.
/// The shares (runs kept in memory, the merge's run readers, the
/// writer's sorts) once took the whole budget: 50 M shuffled COF lines
/// under `--memory 1G` (256 run files read at once) peaked at 1 096 MiB,
/// 88 MiB above what the shares add up to.
fn write_phase_reserve(memory: usize) -> usize {
    (memory / 8).min(128 << 20)
}

/// The identity of an input file for idempotent reruns: its path, size
/// and BLAKE3 hash of its bytes as stored (compressed or not).
fn fingerprint(path: &Path) -> Result<InputFile> {
    let f = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    finish_fingerprint(path, &std::sync::Mutex::new(Hashing::new()), f)
}

/// The hash and size of what a [`Tee`] has passed on so far.
struct Hashing {
    hasher: blake3::Hasher,
    size: u64,
    /// A read through the tee found the end of the file.
    saw_end: bool,
}

/// A reader that hashes every byte read through it, so that an input
/// is hashed by the thread that reads it anyway.
struct Tee<R> {
    inner: R,
    state: std::sync::Arc<std::sync::Mutex<Hashing>>,
}

impl Hashing {
    fn new() -> Hashing {
        Hashing {
            hasher: blake3::Hasher::new(),
            size: 0,
            saw_end: false,
        }
    }
}

impl<R> Tee<R> {
    fn new(inner: R) -> (Tee<R>, std::sync::Arc<std::sync::Mutex<Hashing>>) {
        let state = std::sync::Arc::new(std::sync::Mutex::new(Hashing::new()));
        (
            Tee {
                inner,
                state: state.clone(),
            },
            state,
        )
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Only this reader takes the lock while the input is read.
        let mut st = self
            .state
            .lock()
            .map_err(|_| io::Error::other("input hash poisoned"))?;
        st.hasher.update(buf.get(..n).unwrap_or_default());
        st.size += n as u64;
        st.saw_end |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

/// Ends a fingerprint taken by a [`Tee`]: hashes the rest of the file
/// from `tail` (a handle sharing the reader's offset) and returns it.
/// Bytes found after the readers saw the end were written while the
/// file was read and never parsed: recording them as ingested would make
/// a rerun skip them, so that is an error.
/// A megabyte at a time: small reads mean a system call each, and BLAKE3
/// hashes 16 KiB at once with AVX-512.
fn finish_fingerprint(
    path: &Path,
    state: &std::sync::Mutex<Hashing>,
    mut tail: File,
) -> Result<InputFile> {
    let mut st = state
        .lock()
        .map_err(|_| anyhow::anyhow!("{}: input hash poisoned", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match tail.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(
                    anyhow::Error::from(e).context(format!("{}: cannot read", path.display()))
                )
            }
        };
        if st.saw_end {
            bail!(
                "{}: grew while it was read ({} bytes read, more after); not recorded as ingested",
                path.display(),
                st.size
            );
        }
        st.hasher.update(buf.get(..n).unwrap_or_default());
        st.size += n as u64;
    }
    Ok(InputFile {
        path: recorded_path(path),
        size: st.size,
        hash: format!("blake3:{}", st.hasher.finalize().to_hex()),
    })
}

/// Reads one input into the sorter; returns the name of its format (none
/// for an empty input).
fn read_one(
    path: &Path,
    opened: Option<Box<dyn Read + Send>>,
    shown: &str,
    args: &BuildArgs,
    sorter: &mut ExternalSorter,
    report: &mut BuildReport,
) -> Result<Option<&'static str>> {
    let (head, mut r) = open_input(path, opened)?;
    // Captures are binary: their magic comes before any text detection,
    // and no text format (even one forced by --format) can start with it.
    if pdns_capture::sniff(&head) {
        read_capture(r, path, shown, args, sorter, report)?;
        return Ok(Some("pcap"));
    }
    // A passivedns delimiter the operator gives is the one its logs are
    // recognised by, so such logs need no --format either.
    let delimiter = args.passivedns_delimiter.as_deref().unwrap_or_default();
    let format = match args
        .format
        .or_else(|| detect_with_delimiter(&head, delimiter))
    {
        Some(f) => f,
        None if head.is_empty() => return Ok(None),
        None => bail!("{shown}: not in any known format (use --format to name it; pdns-build build --help lists them)"),
    };
    let options = Options {
        source: args.source.clone(),
        query: args.query.clone(),
        passivedns_fields: args.passivedns_fields.clone(),
        passivedns_delimiter: args.passivedns_delimiter.clone(),
        passivedns_time_zone: args.passivedns_time_zone.clone(),
    };
    let mut parser =
        Parser::with_options(format, &options).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let bad = |line: u64, e: &pdns_providers::ParseError, report: &mut BuildReport| -> Result<()> {
        if args.strict {
            bail!("{shown}:{line}: {e}");
        }
        args.log.warn(
            "bad-line",
            &format!("{shown}:{line}: {e}"),
            json!({"file": shown, "line": line, "reason": e.reason(), "error": record::escape_text_str(e.message())}),
        );
        *report.bad_lines.entry(e.reason().to_string()).or_default() += 1;
        Ok(())
    };
    let mut lineno = 0u64;
    match format.framing() {
        Framing::Lines => {
            let (p, n) = read_lines(r, parser, shown, sorter, report, &bad)?;
            parser = p;
            lineno = n;
        }
        Framing::Document => {
            let mut bytes = Vec::new();
            (&mut r)
                .take(MAX_DOCUMENT + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("{shown}: read error"))?;
            if bytes.len() as u64 > MAX_DOCUMENT {
                bail!("{shown}: a {format} document larger than {MAX_DOCUMENT} bytes is not read");
            }
            let text = String::from_utf8_lossy(&bytes);
            let parsed = parser.parse_text(&text);
            report.lines += text.lines().count() as u64;
            for (line, e) in &parsed.errors {
                bad(*line, e, report)?;
            }
            for e in parsed.entries {
                report.entries_in += 1;
                sorter.push(&sortkey::encode(&e))?;
            }
        }
    }
    if let Err(e) = parser.finish() {
        bad(lineno, &e, report)?;
    }
    for (why, n) in parser.skipped() {
        *report.skipped.entry((*why).to_string()).or_default() += n;
    }
    Ok(Some(format.name()))
}

/// The default source label of a capture: `pcap:` and the file name
/// without its compression and capture extensions.
fn capture_source(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "pcap:stdin".to_string();
    }
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for ext in [".gz", ".zst", ".xz", ".pcapng", ".pcap", ".cap"] {
        if let Some(s) = name.strip_suffix(ext) {
            name = s.to_string();
        }
    }
    format!("pcap:{}", record::escape_text_str(&name))
}

/// Reads one (already decompressed) capture into the sorter, streaming.
///
/// One thread reads the capture down to DNS messages (framing, link
/// layers, IP fragments and TCP streams need the packets in order), two
/// decode the responses into sort items (the larger part of the work,
/// and independent per message), and this one sorts. The entries do not
/// depend on the order items reach the sort.
fn read_capture(
    input: Box<dyn BufRead + Send>,
    path: &Path,
    shown: &str,
    args: &BuildArgs,
    sorter: &mut ExternalSorter,
    report: &mut BuildReport,
) -> Result<()> {
    let mut dns_ports = vec![53];
    dns_ports.extend(args.dns_ports.iter().filter(|p| **p != 53));
    let source = args.source.clone().unwrap_or_else(|| capture_source(path));
    let mut decoder = pdns_capture::Decoder::new(pdns_capture::Options {
        dns_ports,
        source: Some(source.clone()),
    });
    const WORKERS: usize = 2;
    let (msg_tx, msg_rx) = std::sync::mpsc::sync_channel::<Messages>(WORKERS * 2);
    // Shared by the decoding threads; dropped with the last of them,
    // which stops the reading thread if they stop early.
    let msg_rx = std::sync::Arc::new(std::sync::Mutex::new(msg_rx));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(WORKERS * 2);
    // Buffers go back to pools once used (see `read_lines`).
    let msg_pool: Pool<Messages> = Pool::default();
    let batch_pool: Pool<Batch> = Pool::default();
    let reader_pool = msg_pool.clone();
    let read = move || {
        let fresh = || reader_pool.take().unwrap_or_else(Messages::new);
        let mut msgs = fresh();
        let mut stopped = false;
        let read = decoder.read_messages(input, &mut |m, time| {
            msgs.push(m, time);
            if msgs.is_full() {
                let full = std::mem::replace(&mut msgs, fresh());
                // The decoding threads are gone (the sort failed): stop
                // reading rather than read the rest for nothing.
                stopped = msg_tx.send(full).is_err();
            }
            !stopped
        });
        if !stopped && !msgs.ends.is_empty() {
            let _ = msg_tx.send(msgs);
        }
        (decoder, read)
    };
    type Shared = std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<Messages>>>;
    let decode = |rx: Shared, tx: std::sync::mpsc::SyncSender<Batch>| {
        let (msg_pool, batch_pool, source) = (msg_pool.clone(), batch_pool.clone(), &source);
        move || -> pdns_capture::Stats {
            let mut stats = pdns_capture::Stats::default();
            let fresh = || batch_pool.take().unwrap_or_else(Batch::new);
            let mut batch = fresh();
            // Every observation of a message has its time and source: the
            // end of their sort items is encoded once per message.
            let mut payload = Vec::new();
            let mut tail = Vec::new();
            pdnsfile::sortkey::encode_payload_tail(
                &mut tail,
                std::iter::once(source.as_bytes()),
                None,
            );
            let mut repeats = Repeats::default();
            loop {
                let next = rx.lock().ok().and_then(|rx| rx.recv().ok());
                let Some(mut msgs) = next else { break };
                for (m, time) in msgs.iter() {
                    let merging = repeats.merging();
                    if !merging {
                        payload.clear();
                        pdnsfile::sortkey::encode_payload_with_tail(
                            &mut payload,
                            time,
                            time,
                            Some(1),
                            &tail,
                        );
                    }
                    pdns_capture::decode_message(m, time, Some(source), &mut stats, &mut |o| {
                        if merging {
                            repeats.add(o, time);
                            return;
                        }
                        repeats.passed();
                        // Straight to a sort item (`Observation::encode_item`
                        // in two parts): no entry, no text round trip.
                        let start = batch.items.len();
                        o.encode_key(&mut batch.items);
                        batch.keys.push(repeats::key_len(start, batch.items.len()));
                        batch.items.extend_from_slice(&payload);
                        batch.ends.push(batch.items.len());
                    });
                    if repeats.is_full() {
                        batch.merged += repeats.drain(
                            &mut batch.items,
                            &mut batch.ends,
                            &mut batch.keys,
                            &tail,
                        );
                    }
                    if batch.is_full() {
                        let full = std::mem::replace(&mut batch, fresh());
                        if tx.send(full).is_err() {
                            // The sorting side stopped; so does this
                            // thread.
                            return stats;
                        }
                    }
                }
                // A batch grown for a long TCP message is not kept (see
                // `read_lines`).
                if msgs.data.capacity() <= 2 * BATCH_BYTES {
                    msgs.clear();
                    msg_pool.give(msgs);
                }
            }
            batch.merged +=
                repeats.drain(&mut batch.items, &mut batch.ends, &mut batch.keys, &tail);
            if !batch.ends.is_empty() {
                let _ = tx.send(batch);
            }
            stats
        }
    };
    let (decoder, read, stats) = std::thread::scope(|s| -> Result<_> {
        let named = |n: &str| std::thread::Builder::new().name(n.into());
        // Decoders before the reader: if a thread cannot start, the
        // channel ends of those not started are dropped, and nothing
        // waits forever (as in `read_lines`).
        let mut workers = Vec::new();
        for _ in 1..WORKERS {
            let w = decode(std::sync::Arc::clone(&msg_rx), tx.clone());
            workers.push(named("pdns-dns").spawn_scoped(s, w)?);
        }
        workers.push(named("pdns-dns").spawn_scoped(s, decode(msg_rx, tx))?);
        let reader = named("pdns-decode").spawn_scoped(s, read)?;
        let mut sorted = Ok(());
        for mut batch in rx.iter() {
            sorted = sort_batch(&mut batch, sorter, report, &|_, _, _| Ok(()), true);
            if sorted.is_err() {
                break;
            }
            if batch.items.capacity() <= 4 * BATCH_BYTES {
                batch.clear();
                batch_pool.give(batch);
            }
        }
        // Dropping the receiver stops the decoding threads, whose end
        // stops the reader.
        drop(rx);
        let mut stats = pdns_capture::Stats::default();
        let mut panicked = false;
        for w in workers {
            match w.join() {
                Ok(st) => stats.add(&st),
                Err(_) => panicked = true,
            }
        }
        let done = reader.join();
        if panicked {
            bail!("{shown}: a capture decoding thread panicked");
        }
        let (decoder, read) =
            done.map_err(|_| anyhow::anyhow!("{shown}: the capture thread panicked"))?;
        sorted.with_context(|| format!("{shown}: cannot sort"))?;
        Ok((decoder, read, stats))
    })?;
    let mut stats = stats;
    stats.add(decoder.stats());
    report.capture.add(&stats);
    read.with_context(|| shown.to_string())?;
    args.log.info(
        "input",
        &format!("{shown}: capture: {stats}"),
        json!({"file": shown, "packets": stats.packets, "dns_messages": stats.dns_messages, "records": stats.records, "skipped": stats.skipped}),
    );
    Ok(())
}

/// DNS responses found in a capture, undecoded, handed from the reading
/// thread to a decoding one.
struct Messages {
    /// The messages back to back; `ends` are their end offsets, each with
    /// its packet's time.
    data: Vec<u8>,
    ends: Vec<(usize, u64)>,
}

impl Messages {
    fn new() -> Messages {
        Messages {
            data: Vec::with_capacity(BATCH_BYTES + (64 << 10)),
            ends: Vec::new(),
        }
    }

    fn push(&mut self, m: &[u8], time: u64) {
        self.data.extend_from_slice(m);
        self.ends.push((self.data.len(), time));
    }

    fn is_full(&self) -> bool {
        self.data.len() >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    /// Each message with its time.
    fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        let mut start = 0;
        self.ends.iter().map(move |&(end, time)| {
            let m = self.data.get(start..end).unwrap_or_default();
            start = end;
            (m, time)
        })
    }
}

/// Lines parsed, as sort items, handed from the parsing thread to the
/// sorting one.
struct Batch {
    /// Encoded entries back to back; `ends` are their end offsets.
    items: Vec<u8>,
    ends: Vec<usize>,
    /// The length of each item's key part, where the producer knows it
    /// (a capture's; see `ExternalSorter::push_batch`), or empty.
    keys: Vec<u32>,
    /// Bad lines, by line number, in order.
    errors: Vec<(u64, pdns_providers::ParseError)>,
    lines: u64,
    /// Observations merged into the items of others before the sort (see
    /// `repeats`): the items stand for this many more entries.
    merged: u64,
}

/// Bytes of sort items per batch: large enough that the channel costs
/// nothing per line, small enough that batches in flight stay small.
const BATCH_BYTES: usize = 1 << 20;

impl Batch {
    fn new() -> Batch {
        Batch {
            items: Vec::with_capacity(BATCH_BYTES + 4096),
            ..Batch::empty()
        }
    }

    /// A batch without room reserved.
    fn empty() -> Batch {
        Batch {
            items: Vec::new(),
            ends: Vec::new(),
            keys: Vec::new(),
            errors: Vec::new(),
            lines: 0,
            merged: 0,
        }
    }

    /// Empties the batch, keeping its buffers for the next.
    fn clear(&mut self) {
        self.items.clear();
        self.ends.clear();
        self.keys.clear();
        self.errors.clear();
        self.lines = 0;
        self.merged = 0;
    }

    fn is_full(&self) -> bool {
        self.items.len() >= BATCH_BYTES || self.errors.len() >= 1024
    }
}

/// Reports one batch's bad lines and pushes its items into the sort;
/// with `refill`, the batch gets a buffer for its next items.
fn sort_batch(
    batch: &mut Batch,
    sorter: &mut ExternalSorter,
    report: &mut BuildReport,
    bad: &dyn Fn(u64, &pdns_providers::ParseError, &mut BuildReport) -> Result<()>,
    refill: bool,
) -> Result<()> {
    report.lines += batch.lines;
    for (line, e) in batch.errors.drain(..) {
        bad(line, &e, report)?;
    }
    report.entries_in += batch.ends.len() as u64 + batch.merged;
    // The sort takes the batch's buffer as it is, and gives back one it
    // has sorted for the next batch.
    let next = match refill {
        true => sorter
            .take_spare()
            .unwrap_or_else(|| Vec::with_capacity(BATCH_BYTES + 4096)),
        false => Vec::new(),
    };
    let items = std::mem::replace(&mut batch.items, next);
    sorter.push_batch(items, &batch.ends, &batch.keys)?;
    Ok(())
}

/// Bytes of input per chunk handed to a parsing thread (whole lines).
const CHUNK_BYTES: usize = 1 << 20;

/// Lines per chunk at most: a chunk of short bad lines holds one error
/// per line, and this bounds them.
const CHUNK_LINES: usize = 8192;

/// Buffers handed back for reuse, shared between threads. Bounded by
/// what is in flight: a buffer is given back only after being taken.
struct Pool<T>(std::sync::Arc<std::sync::Mutex<Vec<T>>>);

impl<T> Default for Pool<T> {
    fn default() -> Pool<T> {
        Pool(std::sync::Arc::default())
    }
}

impl<T> Clone for Pool<T> {
    fn clone(&self) -> Pool<T> {
        Pool(std::sync::Arc::clone(&self.0))
    }
}

impl<T> Pool<T> {
    /// A buffer given back earlier, if any.
    fn take(&self) -> Option<T> {
        self.0.lock().ok()?.pop()
    }

    /// Gives a buffer back (dropped if the pool is poisoned).
    fn give(&self, t: T) {
        if let Ok(mut v) = self.0.lock() {
            v.push(t);
        }
    }
}

/// Lines of an input, handed from the reading thread to a parsing one.
struct Chunk {
    /// Position in the input, to put parsed batches back in order.
    seq: u64,
    /// The number of the chunk's first line.
    first_line: u64,
    /// Whole lines, each ending with `\n` (the input's last line may
    /// not), in `data[..len]`; the bytes after are left from earlier use.
    data: Vec<u8>,
    len: usize,
}

impl Chunk {
    fn lines(&self) -> &[u8] {
        self.data.get(..self.len).unwrap_or_default()
    }
}

/// Reads from `r` into `data[filled..end]` until it is full or the input
/// ends; returns the new `filled` and whether the input ended. `data`
/// keeps its length from one chunk to the next, so that its bytes are
/// written once when the buffer is new rather than zeroed for every
/// chunk (`read_to_end` zeroes the room it reads into, a pass over the
/// whole input).
fn fill(
    r: &mut dyn BufRead,
    data: &mut Vec<u8>,
    mut filled: usize,
    end: usize,
) -> io::Result<(usize, bool)> {
    if data.len() < end {
        data.resize(end, 0);
    }
    while filled < end {
        let Some(room) = data.get_mut(filled..end) else {
            break;
        };
        match r.read(room) {
            Ok(0) => return Ok((filled, true)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((filled, false))
}

/// Parses whole lines, the first numbered `first_line`, into `batch`.
fn parse_chunk(
    parser: &mut Parser,
    body: &[u8],
    first_line: u64,
    batch: &mut Batch,
    scratch: &mut Vec<Entry>,
) {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    // memchr finds line ends many bytes at a time; a split on a
    // predicate tests every byte.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
    let lines = ends.map(|end| {
        let line = body.get(start..end).unwrap_or_default();
        start = end + 1;
        line
    });
    for (lineno, line) in (first_line..).zip(lines) {
        batch.lines += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Err(e) = parser.parse_line_items(line, &mut batch.items, &mut batch.ends, scratch) {
            batch.errors.push((lineno, e));
        }
    }
}

/// Reads a line-framed input and parses it on other threads while this
/// one sorts what they parsed. A format whose lines are independent
/// (`Format::lines_are_independent`) is parsed by two threads, each
/// with its own clone of the parser; any other by one, in order, so that
/// per-stream state (headers, framing) holds. Batches are taken back in
/// input order, so bad lines are reported in order and `--strict` stops
/// at the first. Returns the parser (with every clone's skip counts) for
/// its end-of-input checks, and the number of lines.
fn read_lines(
    mut r: Box<dyn BufRead + Send>,
    mut parser: Parser,
    shown: &str,
    sorter: &mut ExternalSorter,
    report: &mut BuildReport,
    bad: &dyn Fn(u64, &pdns_providers::ParseError, &mut BuildReport) -> Result<()>,
) -> Result<(Parser, u64)> {
    // An input of one chunk (most files of a folder of small exports) is
    // parsed here: starting and joining the threads cost more than the
    // parse, about a millisecond a file.
    // A byte short of a chunk: a longer input goes on below with this
    // read, where the reader fills the chunk and completes its last line.
    let mut data = Vec::new();
    let got = (&mut r)
        .take(CHUNK_BYTES as u64 - 1)
        .read_to_end(&mut data)
        .with_context(|| format!("{shown}: read error"))?;
    if got < CHUNK_BYTES - 1 && memchr::memchr_iter(b'\n', &data).count() < CHUNK_LINES {
        if data.is_empty() {
            return Ok((parser, 0));
        }
        let mut batch = Batch {
            items: sorter.take_spare().unwrap_or_default(),
            ..Batch::empty()
        };
        parse_chunk(&mut parser, &data, 1, &mut batch, &mut Vec::new());
        let lines = batch.lines;
        sort_batch(&mut batch, sorter, report, bad, false)?;
        return Ok((parser, lines));
    }
    let workers = if parser.format().lines_are_independent() {
        2
    } else {
        1
    };
    let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Chunk>(workers * 2);
    // Shared by the parsing threads; dropped with the last of them, which
    // stops the reading thread if they stop early.
    let chunk_rx = std::sync::Arc::new(std::sync::Mutex::new(chunk_rx));
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<(u64, Batch)>(workers * 2);
    // Chunks between the reader and the sorting side at most: a chunk is
    // read only with a permit, which the sorting side gives back once the
    // chunk is sorted. Batches that arrive ahead of their turn wait in
    // memory, and the permits bound them (a slow chunk cannot let the
    // others pile up).
    let permits = workers * 2 + 2;
    let (permit_tx, permit_rx) = std::sync::mpsc::sync_channel::<()>(permits);
    for _ in 0..permits {
        let _ = permit_tx.send(());
    }
    // Chunk buffers and batches go back to a pool once used: fresh
    // megabyte buffers cost a page fault per page and a doubling copy as
    // they grow, for every chunk of the input.
    let chunk_pool: Pool<Vec<u8>> = Pool::default();
    let batch_pool: Pool<Batch> = Pool::default();
    let reader_pool = chunk_pool.clone();
    let read = move || -> io::Result<u64> {
        let fresh = || {
            reader_pool
                .take()
                .unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES + (64 << 10)))
        };
        let mut line = 1u64;
        // Bytes of `data` that hold input: the first chunk's, read above.
        let mut filled = data.len();
        let mut eof = false;
        for seq in 0.. {
            if permit_rx.recv().is_err() {
                // The sorting side stopped (a --strict failure).
                break;
            }
            if !eof && filled < CHUNK_BYTES {
                let ended;
                (filled, ended) = fill(&mut r, &mut data, filled, CHUNK_BYTES)?;
                // The line cut at the limit is completed.
                eof = ended || {
                    let cut = filled > 0 && data.get(filled - 1) != Some(&b'\n');
                    cut && {
                        data.truncate(filled);
                        let got = r.read_until(b'\n', &mut data)?;
                        filled = data.len();
                        got == 0
                    }
                };
            }
            if filled == 0 {
                return Ok(line - 1);
            }
            let lines = data.get(..filled).unwrap_or_default();
            // At most CHUNK_LINES lines; the rest starts the next chunk.
            // Counting is one vector pass (memchr's count); finding the
            // cut stops at every line, so it runs only for a chunk of
            // short lines, which is rare.
            let mut newlines = memchr::memchr_iter(b'\n', lines).count();
            let mut rest = fresh();
            let mut len = filled;
            filled = 0;
            if newlines >= CHUNK_LINES {
                let cut = memchr::memchr_iter(b'\n', lines)
                    .nth(CHUNK_LINES - 1)
                    .map_or(lines.len(), |p| p + 1);
                let after = lines.get(cut..).unwrap_or_default();
                (filled, _) = fill(&mut &*after, &mut rest, 0, after.len())?;
                len = cut;
                newlines = CHUNK_LINES;
            }
            let data = std::mem::replace(&mut data, rest);
            let first_line = line;
            line += newlines as u64;
            if data.get(len.wrapping_sub(1)) != Some(&b'\n') {
                line += 1;
            }
            if chunk_tx
                .send(Chunk {
                    seq,
                    first_line,
                    data,
                    len,
                })
                .is_err()
            {
                // The sorting side stopped (a --strict failure).
                break;
            }
        }
        Ok(line - 1)
    };
    type Chunks = std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<Chunk>>>;
    let parse = |mut parser: Parser,
                 chunk_rx: Chunks,
                 batch_tx: std::sync::mpsc::SyncSender<(u64, Batch)>,
                 chunks: Pool<Vec<u8>>,
                 batches: Pool<Batch>| {
        move || -> Parser {
            let mut scratch: Vec<Entry> = Vec::new();
            loop {
                let next = chunk_rx.lock().ok().and_then(|rx| rx.recv().ok());
                let Some(chunk) = next else { break };
                let mut batch = batches.take().unwrap_or_else(Batch::new);
                parse_chunk(
                    &mut parser,
                    chunk.lines(),
                    chunk.first_line,
                    &mut batch,
                    &mut scratch,
                );
                // A chunk grown for one very long line is not kept: the
                // pool would hold it, and others like it, to the end.
                // Given back with its bytes (see `fill`).
                let data = chunk.data;
                if data.capacity() <= 2 * CHUNK_BYTES {
                    chunks.give(data);
                }
                if batch_tx.send((chunk.seq, batch)).is_err() {
                    break;
                }
            }
            parser
        }
    };
    std::thread::scope(|s| -> Result<(Parser, u64)> {
        let named = |n: &str| std::thread::Builder::new().name(n.into());
        // Parsers before the reader: if a thread cannot start, the closures
        // not yet started drop their channel ends and the started threads
        // see the channels close, so nothing waits forever.
        let mut parsers = Vec::new();
        for _ in 1..workers {
            parsers.push(named("pdns-parse").spawn_scoped(
                s,
                parse(
                    parser.clone(),
                    std::sync::Arc::clone(&chunk_rx),
                    batch_tx.clone(),
                    chunk_pool.clone(),
                    batch_pool.clone(),
                ),
            )?);
        }
        // The last sender goes to a thread: the channel closes when every
        // parsing thread is done.
        parsers.push(named("pdns-parse").spawn_scoped(
            s,
            parse(parser, chunk_rx, batch_tx, chunk_pool, batch_pool.clone()),
        )?);
        let reader = named("pdns-read").spawn_scoped(s, read)?;
        // Batches come back in any order; they are sorted in input order.
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        let consumed = (|| -> Result<()> {
            for (seq, batch) in batch_rx.iter() {
                waiting.insert(seq, batch);
                while let Some(mut batch) = waiting.remove(&next) {
                    next += 1;
                    sort_batch(&mut batch, sorter, report, bad, true)?;
                    if batch.items.capacity() <= 4 * BATCH_BYTES {
                        batch.clear();
                        batch_pool.give(batch);
                    }
                    let _ = permit_tx.send(());
                }
            }
            Ok(())
        })();
        // On a --strict failure the channels close and the threads stop.
        drop(batch_rx);
        drop(permit_tx);
        let joined: Vec<_> = parsers.into_iter().map(|h| h.join()).collect();
        let lines = reader
            .join()
            .map_err(|_| anyhow::anyhow!("{shown}: the reading thread panicked"))?;
        let mut done = Vec::new();
        for j in joined {
            done.push(j.map_err(|_| anyhow::anyhow!("{shown}: a parsing thread panicked"))?);
        }
        consumed?;
        let lines = lines.with_context(|| format!("{shown}: read error"))?;
        let mut done = done.into_iter();
        let mut first = done
            .next()
            .ok_or_else(|| anyhow::anyhow!("{shown}: no parsing thread"))?;
        for p in done {
            first.absorb_skipped(&p);
        }
        Ok((first, lines))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_recorded_as_typed_is_recorded_again_as_resolved() {
        let rec = |path: &str| InputFile {
            path: path.into(),
            size: 7,
            hash: "blake3:00".into(),
        };
        let mut ingested = vec![rec("other"), rec("./in/a.json")];
        let now = rec("/srv/in/a.json");
        assert!(already_ingested(&mut ingested, &now, "./in/a.json"));
        assert_eq!(ingested[1].path, "/srv/in/a.json");
        // Found under the new path by a run that names it another way.
        assert!(already_ingested(&mut ingested, &now, "in/a.json"));
        // Another content under the same path is not.
        let changed = InputFile {
            hash: "blake3:01".into(),
            ..now
        };
        assert!(!already_ingested(&mut ingested, &changed, "./in/a.json"));
    }

    #[test]
    fn a_fingerprint_taken_while_reading_is_the_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let whole = fingerprint(&path).unwrap();
        // Read none, part, or all of it through the tee (as a reader that
        // stops early, or a decompressor at its stream's end, does).
        for read in [0usize, 1, 65_536, 1_234_567, 3_000_000] {
            let file = File::open(&path).unwrap();
            let tail = file.try_clone().unwrap();
            // Buffered above the tee, as open_input does: what the buffer
            // reads ahead is hashed too.
            let (tee, state) = Tee::new(file);
            let mut r = BufReader::with_capacity(4096, tee);
            let mut got = Vec::new();
            (&mut r).take(read as u64).read_to_end(&mut got).unwrap();
            assert_eq!(got, data[..read]);
            drop(r);
            let f = finish_fingerprint(&path, &state, tail).unwrap();
            assert_eq!(f, whole, "after reading {read} bytes");
            assert_eq!(f.size, 3_000_000);
        }
    }

    #[test]
    fn a_file_that_grows_after_it_was_read_is_not_fingerprinted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing");
        std::fs::write(&path, b"first line\n").unwrap();
        let file = File::open(&path).unwrap();
        let tail = file.try_clone().unwrap();
        let (tee, state) = Tee::new(file);
        let mut r = BufReader::new(tee);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        drop(r);
        // A sensor appends after the reader reached the end.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"second line\n").unwrap();
        let err = finish_fingerprint(&path, &state, tail).unwrap_err();
        assert!(err.to_string().contains("grew while it was read"), "{err}");
    }
}
