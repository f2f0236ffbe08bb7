//! `pdns-build build`: inputs → normalized entries → external sort →
//! aggregated, key-ordered entries → archive, published atomically.
//!
//! This first version reads COF JSON lines (plain or zstd-compressed);
//! the provider formats and captures come with their own importers.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pdnsfile::sorter::ExternalSorter;
use pdnsfile::{cof, record, sortkey, InputFile, Writer, WriterOptions};

use crate::publish::{AtomicFile, OutputLock};

/// What `build` was asked to do.
#[derive(Clone, Debug)]
pub struct BuildArgs {
    /// The archive to write.
    pub output: PathBuf,
    /// Files, folders (read recursively) or `-` for standard input.
    pub inputs: Vec<PathBuf>,
    /// Source label for entries that carry none; replaces theirs when
    /// `force_source` is set.
    pub source: Option<String>,
    /// Memory budget for the external sort, in bytes.
    pub memory: usize,
    /// Fail the run on the first bad line.
    pub strict: bool,
    /// Folder for sort runs (the output's folder when `None`).
    pub tmp_dir: Option<PathBuf>,
    /// Print nothing but errors.
    pub quiet: bool,
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
}

impl BuildReport {
    /// Total bad lines.
    pub fn bad_total(&self) -> u64 {
        self.bad_lines.values().sum()
    }
}

/// Expands folders (sorted, recursive) so runs are deterministic.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
        let md =
            std::fs::metadata(p).with_context(|| format!("{}: cannot read input", p.display()))?;
        if md.is_dir() {
            let mut stack = vec![p.clone()];
            let mut files = Vec::new();
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d)
                    .with_context(|| format!("{}: cannot list folder", d.display()))?
                {
                    let e = e.with_context(|| format!("{}: cannot list folder", d.display()))?;
                    let path = e.path();
                    let ft = e
                        .file_type()
                        .with_context(|| format!("{}: cannot stat", path.display()))?;
                    if ft.is_dir() {
                        stack.push(path);
                    } else if ft.is_file() {
                        files.push(path);
                    }
                }
            }
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Opens an input, decompressing zstd transparently (by magic number).
fn open_input(path: &Path) -> Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("{}: cannot open", path.display()))?)
    };
    let mut br = BufReader::with_capacity(1 << 16, raw);
    let head = br
        .fill_buf()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec =
            zstd_decoder(br).with_context(|| format!("{}: bad zstd stream", path.display()))?;
        return Ok(Box::new(BufReader::with_capacity(1 << 16, dec)));
    }
    Ok(Box::new(br))
}

fn zstd_decoder(r: BufReader<Box<dyn Read>>) -> io::Result<impl Read> {
    zstd::Decoder::with_buffer(r)
}

/// The reason class of an error, for the end-of-run counts: the text
/// before the first colon.
fn reason(e: &pdnsfile::Error) -> String {
    let s = e.to_string();
    let head = s.split(':').take(2).collect::<Vec<_>>().join(":");
    record::escape_text_str(&head)
}

/// Runs a build.
///
/// # Errors
///
/// A missing input, an unwritable output, a held lock, or (with
/// `strict`) the first bad line. Bad lines otherwise are reported on
/// stderr as `file:line: reason` and counted in the report.
pub fn run(args: &BuildArgs) -> Result<BuildReport> {
    let _lock = OutputLock::acquire(&args.output)?;
    let files = expand_inputs(&args.inputs)?;
    let tmp_dir = match &args.tmp_dir {
        Some(d) => d.clone(),
        None => args
            .output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    let mut sorter = ExternalSorter::new(args.memory / 2, tmp_dir.clone(), false);
    let mut report = BuildReport::default();
    let mut inputs = Vec::new();
    for path in &files {
        report.files += 1;
        let shown = path.display().to_string();
        let mut r = open_input(path)?;
        let mut line = String::new();
        let mut lineno = 0u64;
        let mut hasher = crc32c_stream::Hasher::default();
        let mut size = 0u64;
        loop {
            line.clear();
            let n = r
                .read_line(&mut line)
                .with_context(|| format!("{shown}: read error"))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(line.as_bytes());
            lineno += 1;
            report.lines += 1;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            match cof::from_line(text) {
                Ok(entries) => {
                    for mut e in entries {
                        match (&args.source, e.sources.is_empty()) {
                            (Some(s), _) => e.sources = vec![s.clone()],
                            (None, true) => e.sources = vec!["cof".to_string()],
                            (None, false) => {}
                        }
                        report.entries_in += 1;
                        sorter.push(sortkey::encode(&e))?;
                    }
                }
                Err(e) => {
                    if args.strict {
                        bail!("{shown}:{lineno}: {e}");
                    }
                    eprintln!(
                        "{}:{lineno}: {}",
                        record::escape_text_str(&shown),
                        record::escape_text_str(&e.to_string())
                    );
                    *report.bad_lines.entry(reason(&e)).or_default() += 1;
                }
            }
        }
        if path.as_os_str() != "-" {
            inputs.push(InputFile {
                path: shown,
                size,
                hash: format!("crc32c:{:08x}", hasher.finish()),
            });
        }
    }
    let out = AtomicFile::create(&args.output)?;
    let opts = WriterOptions {
        memory: args.memory / 2,
        tmp_dir: Some(tmp_dir),
        created_by: format!("pdns-build {}", env!("CARGO_PKG_VERSION")),
        ..WriterOptions::default()
    };
    let mut w = Writer::new(out.writer()?, opts)?;
    for i in inputs {
        w.add_input(i);
    }
    let mut last: Option<Vec<u8>> = None;
    for item in sorter.finish()? {
        let item = item?;
        let e = sortkey::decode(&item)?;
        let k = sortkey::key_len(&item).unwrap_or(item.len());
        if last.as_deref() != item.get(..k) {
            report.entries_out += 1;
            last = item.get(..k).map(<[u8]>::to_vec);
        }
        w.add(&e)?;
    }
    let bw = w.finish()?;
    out.commit(bw)?;
    Ok(report)
}

/// A streaming CRC-32C for input fingerprints.
mod crc32c_stream {
    #[derive(Default)]
    pub struct Hasher(u32);
    impl Hasher {
        pub fn update(&mut self, b: &[u8]) {
            self.0 = crc32c::crc32c_append(self.0, b);
        }
        pub fn finish(&self) -> u32 {
            self.0
        }
    }
}
