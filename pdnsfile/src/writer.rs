//! The streaming archive writer.
//!
//! Entries arrive in key order ([`crate::record::compare_keys`]). Record
//! blocks go straight to the output; the other sections are built on the
//! side in anonymous temporary files (and, for the indexes that need a
//! different order, in bounded external sorts) and copied after the
//! blocks by [`Writer::finish`]. Memory stays bounded by the sort budget
//! whatever the number of entries.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use crate::error::{Error, Result};
use crate::fixsort::{Fixed, FixedIter, FixedSorter};
use crate::format::{
    self, put_len_bytes, put_varint, Kind, SectionEntry, FOOTER_LEN, POSTING_INLINE,
    SECTION_REQUIRED,
};
use crate::fstbuild::FstBuilder;
use crate::meta::{HistogramBuilder, InputFile, Meta};
use crate::name;
use crate::record::{self, Entry};
use crate::rrtype::{self, known};
use crate::sorter::ExternalSorter;
use crate::sortkey;

/// How a [`Writer`] lays out an archive.
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Target uncompressed size of a record block in bytes. Smaller blocks
    /// make point lookups faster and the file larger.
    pub block_size: usize,
    /// Names per name-table block.
    pub names_per_block: u32,
    /// zstd compression level for blocks.
    pub zstd_level: i32,
    /// Memory budget in bytes for the side indexes' external sorts.
    pub memory: usize,
    /// Folder for temporary files; the system's when `None`.
    pub tmp_dir: Option<PathBuf>,
    /// Written to META as `created_by`.
    pub created_by: String,
    /// Written to META as `build_time`; leave 0 for byte-identical output
    /// from identical input.
    pub build_time: u64,
}

impl Default for WriterOptions {
    fn default() -> WriterOptions {
        WriterOptions {
            block_size: 4 * 1024,
            names_per_block: 64,
            zstd_level: 6,
            memory: 256 << 20,
            tmp_dir: None,
            created_by: format!("pdnsfile {}", env!("CARGO_PKG_VERSION")),
            build_time: 0,
        }
    }
}

/// A temporary file that one section is built in.
struct Spool {
    file: BufWriter<File>,
    len: u64,
}

impl Spool {
    fn new(dir: &PathBuf) -> Result<Spool> {
        let f = tempfile::tempfile_in(dir)
            .map_err(|e| Error::io(format!("{}: creating a temporary file", dir.display()), e))?;
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 16, f),
            len: 0,
        })
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.file
            .write_all(b)
            .map_err(|e| Error::io("writing a temporary file", e))?;
        self.len += b.len() as u64;
        Ok(())
    }

    fn into_reader(self) -> Result<(BufReader<File>, u64)> {
        let ctx = |e| Error::io("reading back a temporary file", e);
        let mut f = self.file.into_inner().map_err(|e| ctx(e.into_error()))?;
        f.seek(SeekFrom::Start(0)).map_err(ctx)?;
        Ok((BufReader::with_capacity(1 << 16, f), self.len))
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Counts bytes and keeps the whole-file and current-section CRCs.
struct Out<W> {
    inner: W,
    pos: u64,
    file_crc: u32,
    section_crc: u32,
}

impl<W: Write> Out<W> {
    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.inner
            .write_all(b)
            .map_err(|e| Error::io("writing the archive", e))?;
        self.pos += b.len() as u64;
        self.file_crc = crc32c::crc32c_append(self.file_crc, b);
        self.section_crc = crc32c::crc32c_append(self.section_crc, b);
        Ok(())
    }

    fn pad(&mut self) -> Result<()> {
        let pad = (8 - (self.pos % 8) as usize) % 8;
        self.write(&[0u8; 8][..pad])
    }
}

/// Names handed to the back end at a time, so the channel costs little
/// per name.
const NAME_BATCH: usize = 4096;

/// Jobs queued for the back end at most; bounds the memory of blocks
/// waiting for compression (about 1 MiB). Deep enough that neither
/// thread waits for the other when the two share two cores with the
/// merge and the side sorts: 64 left both cores idle a sixth of the
/// write phase.
const JOB_QUEUE: usize = 256;

/// Jobs handed to the back end at a time: every hand-over may wake its
/// thread (a system call on each side), and a 10 M-entry build makes
/// about 100 000 record blocks.
const JOB_BATCH: usize = 16;

/// Work for the back-end thread.
enum Job {
    /// A serialized record block and its index entry (offset and
    /// compressed length not yet known).
    Block {
        raw: Vec<u8>,
        entry: [u8; format::BLOCK_ENTRY_LEN],
    },
    /// A serialized NAME_TABLE block, to compress and append to the
    /// name table.
    NameBlock(Vec<u8>),
    /// Reversed name keys back to back (`ends` are their end offsets),
    /// with consecutive ids from `first_id`.
    Names {
        first_id: u32,
        keys: Vec<u8>,
        ends: Vec<u32>,
    },
}

/// A compressed block and its index entry.
type Compressed = (Vec<u8>, [u8; format::BLOCK_ENTRY_LEN]);

/// What the back end built besides record blocks: the reversed-name FST,
/// and the compressed name-table blocks with their offsets.
struct BackEndOutput {
    names_rev: Spool,
    name_table: Spool,
    name_table_offsets: Vec<u64>,
}

/// The second thread of a [`Writer`]: compresses record blocks (in order,
/// handing them back to be written) and name-table blocks, and builds the
/// reversed-name FST. Together these were about a third of the writer's
/// time; on a second core they overlap with encoding the next entries.
struct BackEnd {
    jobs: Option<mpsc::SyncSender<Vec<Job>>>,
    /// Jobs not yet handed over (fewer than [`JOB_BATCH`]).
    batch: Vec<Job>,
    done: Option<mpsc::Receiver<Compressed>>,
    handle: Option<std::thread::JoinHandle<Result<BackEndOutput>>>,
}

impl BackEnd {
    fn start(
        mut zstd: zstd::bulk::Compressor<'static>,
        mut name_zstd: zstd::bulk::Compressor<'static>,
        mut names: FstBuilder<Spool>,
        mut name_table: Spool,
    ) -> Result<BackEnd> {
        let (jobs, job_rx) = mpsc::sync_channel::<Vec<Job>>(JOB_QUEUE / JOB_BATCH);
        let (done_tx, done) = mpsc::channel::<Compressed>();
        let run = move || -> Result<BackEndOutput> {
            let mut name_table_offsets = Vec::new();
            for job in job_rx.iter().flatten() {
                match job {
                    Job::NameBlock(raw) => {
                        let c = name_zstd
                            .compress(&raw)
                            .map_err(|e| Error::io("compressing a name block", e))?;
                        name_table_offsets.push(name_table.len);
                        name_table.write(&c)?;
                    }
                    Job::Block { raw, entry } => {
                        let comp = zstd
                            .compress(&raw)
                            .map_err(|e| Error::io("compressing a record block", e))?;
                        if done_tx.send((comp, entry)).is_err() {
                            // The writer was dropped unfinished.
                            break;
                        }
                    }
                    Job::Names {
                        first_id,
                        keys,
                        ends,
                    } => {
                        let mut start = 0usize;
                        for (id, &end) in (u64::from(first_id)..).zip(&ends) {
                            let key = keys.get(start..end as usize).unwrap_or_default();
                            names.insert(key, id).map_err(|e| {
                                Error::io("building the name index", io::Error::other(e))
                            })?;
                            start = end as usize;
                        }
                    }
                }
            }
            let names_rev = names
                .finish()
                .map_err(|e| Error::io("finishing the name index", io::Error::other(e)))?;
            Ok(BackEndOutput {
                names_rev,
                name_table,
                name_table_offsets,
            })
        };
        let handle = std::thread::Builder::new()
            .name("pdnsfile-writer".into())
            .spawn(run)
            .map_err(|e| Error::io("starting the writer thread", e))?;
        Ok(BackEnd {
            jobs: Some(jobs),
            batch: Vec::with_capacity(JOB_BATCH),
            done: Some(done),
            handle: Some(handle),
        })
    }

    /// A back end with no thread, left behind by [`BackEnd::finish`].
    fn stopped() -> BackEnd {
        BackEnd {
            jobs: None,
            batch: Vec::new(),
            done: None,
            handle: None,
        }
    }

    fn send(&mut self, job: Job) -> Result<()> {
        self.batch.push(job);
        if self.batch.len() < JOB_BATCH {
            return Ok(());
        }
        self.hand_over()
    }

    /// Hands the batched jobs to the thread.
    fn hand_over(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(JOB_BATCH));
        let sent = self.jobs.as_ref().is_some_and(|j| j.send(batch).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped early: its own error says why.
        self.jobs = None;
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(Error::io(
                "writer thread",
                io::Error::other("stopped before the archive was finished"),
            )),
        }
    }

    fn try_recv(&mut self) -> Result<Option<Compressed>> {
        Ok(self.done.as_ref().and_then(|d| d.try_recv().ok()))
    }

    fn join(&mut self) -> Result<BackEndOutput> {
        let handle = self
            .handle
            .take()
            .ok_or_else(|| Error::io("writer thread", io::Error::other("already finished")))?;
        handle
            .join()
            .map_err(|_| Error::io("writer thread", io::Error::other("the thread panicked")))?
    }

    /// Waits for the thread; returns the blocks not yet written, in
    /// order, and the reversed-name FST.
    fn finish(mut self) -> Result<(Vec<Compressed>, BackEndOutput)> {
        self.hand_over()?;
        // Closing the queue ends the thread's loop once it is drained.
        self.jobs = None;
        let rest: Vec<Compressed> = self
            .done
            .take()
            .map(|d| d.iter().collect())
            .unwrap_or_default();
        let names = self.join()?;
        Ok((rest, names))
    }
}

/// Columns of the record block being filled.
#[derive(Default)]
struct BlockBuilder {
    n: u32,
    first_record: u32,
    first_name: u32,
    prev_name: u32,
    name_delta: Vec<u8>,
    rrtype: Vec<u8>,
    rdata_len: Vec<u8>,
    rdata: Vec<u8>,
    time_first: Vec<u64>,
    duration: Vec<u8>,
    count: Vec<u8>,
    sources: Vec<u8>,
    bailiwick: Vec<u8>,
    bailiwick_dict: Vec<Vec<u8>>,
    /// The dictionary's bytes as `dict_len` counts them, kept as entries
    /// are added (it is checked after every entry).
    dict_bytes: usize,
    /// 1 + the index of the bailiwick the last entry used (0: none):
    /// neighbours in key order mostly share their zone, so this is tried
    /// before a search of the dictionary.
    last_bailiwick: usize,
    min_first: u64,
    max_first: u64,
    min_last: u64,
    max_last: u64,
}

impl BlockBuilder {
    fn approx_len(&self) -> usize {
        self.name_delta.len()
            + self.rrtype.len()
            + self.rdata_len.len()
            + self.rdata.len()
            + self.time_first.len() * 4
            + self.duration.len()
            + self.count.len()
            + self.sources.len()
            + self.bailiwick.len()
    }

    /// Bytes of the block's bailiwick dictionary, bounded separately so
    /// that many long bailiwicks cannot grow a block past what readers
    /// accept.
    fn dict_len(&self) -> usize {
        self.dict_bytes
    }

    /// Empties the builder for the next block, keeping its buffers: grown
    /// from nothing, each column would be reallocated about ten times a
    /// block.
    fn reset(&mut self) {
        let mut columns = [
            &mut self.name_delta,
            &mut self.rrtype,
            &mut self.rdata_len,
            &mut self.rdata,
            &mut self.duration,
            &mut self.count,
            &mut self.sources,
            &mut self.bailiwick,
        ];
        for c in &mut columns {
            c.clear();
        }
        self.time_first.clear();
        self.bailiwick_dict.clear();
        *self = BlockBuilder {
            name_delta: std::mem::take(&mut self.name_delta),
            rrtype: std::mem::take(&mut self.rrtype),
            rdata_len: std::mem::take(&mut self.rdata_len),
            rdata: std::mem::take(&mut self.rdata),
            time_first: std::mem::take(&mut self.time_first),
            duration: std::mem::take(&mut self.duration),
            count: std::mem::take(&mut self.count),
            sources: std::mem::take(&mut self.sources),
            bailiwick: std::mem::take(&mut self.bailiwick),
            bailiwick_dict: std::mem::take(&mut self.bailiwick_dict),
            ..BlockBuilder::default()
        };
    }

    /// Serializes the block (see the spec, "Record block").
    fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.approx_len() + 64);
        put_varint(&mut out, u64::from(self.n));
        put_varint(&mut out, u64::from(self.first_name));
        put_varint(&mut out, self.min_first);
        out.extend_from_slice(&self.name_delta);
        out.extend_from_slice(&self.rrtype);
        out.extend_from_slice(&self.rdata_len);
        out.extend_from_slice(&self.rdata);
        for &t in &self.time_first {
            put_varint(&mut out, t - self.min_first);
        }
        out.extend_from_slice(&self.duration);
        out.extend_from_slice(&self.count);
        out.extend_from_slice(&self.sources);
        out.extend_from_slice(&self.bailiwick);
        put_varint(&mut out, self.bailiwick_dict.len() as u64);
        for b in &self.bailiwick_dict {
            put_len_bytes(&mut out, b);
        }
        out
    }
}

/// The entry waiting to be written (the next may share its key), kept
/// in sort-item form so that equal keys merge, and entries are stored,
/// without decoding a string.
#[derive(Default)]
struct Pending {
    /// Whether an entry is waiting.
    full: bool,
    /// The key part of its sort item (see [`sortkey::ItemView::key`]).
    key: Vec<u8>,
    /// Length of the reversed name at the start of `key`.
    name_len: usize,
    /// The owner name, forward (for NAMES_FWD and error messages).
    name: Vec<u8>,
    rrtype: u16,
    /// Stored rdata (unescaped).
    rdata: Vec<u8>,
    time_first: u64,
    time_last: u64,
    count: Option<u64>,
    /// Encoded sources (see [`sortkey::sources`]).
    sources: Vec<u8>,
    bailiwick: Option<Vec<u8>>,
}

impl Pending {
    fn reversed_name(&self) -> &[u8] {
        self.key.get(..self.name_len).unwrap_or_default()
    }

    /// Takes `v` as the waiting entry, reusing the buffers. `name` is
    /// its forward owner name when it differs from the current one.
    fn set(&mut self, v: &sortkey::ItemView<'_>, name: Option<&[u8]>) {
        self.full = true;
        self.key.clear();
        self.key.extend_from_slice(v.key);
        self.name_len = v.name.len();
        if let Some(n) = name {
            self.name.clear();
            self.name.extend_from_slice(n);
        }
        self.rrtype = v.rrtype;
        self.rdata.clear();
        sortkey::unescape_rdata(v.rdata_escaped, &mut self.rdata);
        self.time_first = v.time_first;
        self.time_last = v.time_last;
        self.count = v.count;
        self.sources.clear();
        self.sources.extend_from_slice(v.sources);
        match (&mut self.bailiwick, v.bailiwick) {
            (Some(b), Some(z)) => {
                b.clear();
                b.extend_from_slice(z);
            }
            (b, z) => *b = z.map(<[u8]>::to_vec),
        }
    }

    /// Folds `v` (same key) in, as [`Entry::merge`] does.
    fn merge(&mut self, v: &sortkey::ItemView<'_>) -> Result<()> {
        self.time_first = self.time_first.min(v.time_first);
        self.time_last = self.time_last.max(v.time_last);
        self.count = record::merge_count(self.count, v.count);
        if let Some(union) = sortkey::union_sources(&self.sources, v.sources)? {
            self.sources = union;
        }
        // Copied only when the choice changes, which is rare.
        let changed = match sortkey::merged_bailiwick(self.bailiwick.as_deref(), v.bailiwick) {
            Some(z) if self.bailiwick.as_deref() != Some(z) => Some(z.to_vec()),
            _ => None,
        };
        if changed.is_some() {
            self.bailiwick = changed;
        }
        Ok(())
    }
}

/// Writes an archive from entries given in key order.
///
/// ```no_run
/// # fn main() -> pdnsfile::Result<()> {
/// use pdnsfile::{Entry, Writer, WriterOptions};
/// let file = std::fs::File::create("out.pdns").unwrap();
/// let mut w = Writer::new(std::io::BufWriter::new(file), WriterOptions::default())?;
/// let mut e = Entry::new("www.example.com", 1, "192.0.2.1", 1_700_000_000, 1_700_000_100, Some(3))?;
/// e.add_source("pcap:sensor1");
/// w.add(&e)?;
/// w.finish()?;
/// # Ok(()) }
/// ```
pub struct Writer<W: Write> {
    out: Out<W>,
    opts: WriterOptions,
    tmp: PathBuf,
    pending: Pending,
    /// Reused buffers: an entry's sort item, a posting item, a name key.
    scratch: Vec<u8>,
    posting_key: Vec<u8>,
    name_key: Vec<u8>,
    block: BlockBuilder,
    block_index: Spool,
    blocks_len: u64,
    block_count: u64,
    record_count: u64,
    // Names.
    /// The reversed key of the owner name being written, once one is.
    current_name: Option<Vec<u8>>,
    name_count: u32,
    name_records: Spool,
    /// Names not yet sent to the back end: reversed keys back to back.
    name_batch: Vec<u8>,
    name_batch_ends: Vec<u32>,
    name_batch_first: u32,
    names_fwd: ExternalSorter,
    name_block: Vec<u8>,
    name_block_prev: Vec<u8>,
    // Postings.
    /// (IPv4 address, record id) and (IPv6 address, record id), for the
    /// address postings.
    ips4: FixedSorter<u64>,
    ips6: FixedSorter<(u128, u32)>,
    rdata_names: ExternalSorter,
    /// Block compression (record and name blocks, each with one reused
    /// zstd context: creating one per block costs more than compressing
    /// a small block) and the reversed-name FST run on a second thread;
    /// see [`BackEnd`].
    back: BackEnd,
    /// Blocks sent to the back end and not yet written.
    in_flight: usize,
    // Sources.
    /// Source sets by their encoding in sort items: shuffled inputs
    /// alternate between a few sets, and decoding labels per entry cost
    /// more than the rest of the entry.
    sets_by_encoding: HashMap<Vec<u8>, u32, foldhash::fast::RandomState>,
    /// The last entry's encoded sources and their set.
    last_sources: Vec<u8>,
    last_set: Option<u32>,
    source_ids: HashMap<String, u16>,
    source_labels: Vec<String>,
    set_ids: HashMap<Vec<u16>, u32>,
    sets: Vec<Vec<u16>>,
    // Statistics.
    /// Entries per type, indexed by type (grown as types appear): a
    /// counter per entry, so no map lookup.
    by_type: Vec<u64>,
    /// Entries per source set, indexed by set id; per source at the end.
    by_set: Vec<u64>,
    histogram: HistogramBuilder,
    time_first: Option<u64>,
    time_last: Option<u64>,
    inputs: Vec<InputFile>,
}

impl<W: Write> Writer<W> {
    /// Starts an archive on `out` (writing the header at once).
    ///
    /// # Errors
    ///
    /// I/O errors writing the header or creating temporary files.
    pub fn new(out: W, opts: WriterOptions) -> Result<Writer<W>> {
        if opts.names_per_block == 0 || opts.names_per_block > 65_536 {
            return Err(Error::Limit(
                "names_per_block must be between 1 and 65536".into(),
            ));
        }
        // A block is flushed once it reaches block_size, so its largest
        // record decides the rest; both stay far below what readers accept.
        if opts.block_size > (format::MAX_BLOCK_LEN as usize) / 4 {
            return Err(Error::Limit(format!(
                "block_size must be at most {} bytes",
                format::MAX_BLOCK_LEN / 4
            )));
        }
        let tmp = opts.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
        // The sorts share the budget by what they hold: every owner name
        // goes to the forward-name sort (with its 36-byte index entry), an
        // address to the address sorts as 8 or 20 bytes, and only names in
        // rdata to the rdata-name sort. Half, a quarter, a quarter.
        let quarter = opts.memory / 4;
        let mut out = Out {
            inner: out,
            pos: 0,
            file_crc: 0,
            section_crc: 0,
        };
        out.write(&format::header_bytes(0, 0))?;
        // BLOCKS, streamed next, starts its CRC here.
        out.section_crc = 0;
        let names_rev = FstBuilder::new(Spool::new(&tmp)?);
        let zerr = |e| Error::io("starting zstd", e);
        let mut block_zstd = zstd::bulk::Compressor::new(opts.zstd_level).map_err(zerr)?;
        block_zstd.include_checksum(true).map_err(zerr)?;
        let mut name_zstd = zstd::bulk::Compressor::new(opts.zstd_level).map_err(zerr)?;
        // Optional for name blocks (spec 10.3), but nothing else checks a
        // name as it is read: without it a damaged byte can decode to
        // another valid name, silently.
        name_zstd.include_checksum(true).map_err(zerr)?;
        Ok(Writer {
            back: BackEnd::start(block_zstd, name_zstd, names_rev, Spool::new(&tmp)?)?,
            in_flight: 0,
            name_batch: Vec::new(),
            name_batch_ends: Vec::new(),
            name_batch_first: 0,
            // Looked up once per entry: a randomly seeded foldhash costs
            // less than SipHash, and the sets are few (bounded).
            sets_by_encoding: HashMap::default(),
            last_sources: Vec::new(),
            last_set: None,
            out,
            block: BlockBuilder::default(),
            block_index: Spool::new(&tmp)?,
            blocks_len: 0,
            block_count: 0,
            record_count: 0,
            current_name: None,
            name_count: 0,
            name_records: Spool::new(&tmp)?,
            names_fwd: ExternalSorter::with_buffer(2 * quarter, quarter / 2, tmp.clone(), false),
            name_block: Vec::new(),
            name_block_prev: Vec::new(),
            // The two address sorts split their quarter.
            ips4: FixedSorter::new(quarter / 2, tmp.clone()),
            ips6: FixedSorter::new(quarter / 2, tmp.clone()),
            rdata_names: ExternalSorter::with_buffer(quarter, quarter / 4, tmp.clone(), false),
            source_ids: HashMap::new(),
            source_labels: Vec::new(),
            set_ids: HashMap::new(),
            sets: Vec::new(),
            by_type: Vec::new(),
            by_set: Vec::new(),
            histogram: HistogramBuilder::default(),
            time_first: None,
            time_last: None,
            inputs: Vec::new(),
            pending: Pending::default(),
            scratch: Vec::new(),
            posting_key: Vec::new(),
            name_key: Vec::new(),
            tmp,
            opts,
        })
    }

    /// Records an input file in META (for idempotent reruns).
    pub fn add_input(&mut self, input: InputFile) {
        self.inputs.push(input);
    }

    /// Adds an entry. Entries must come in key order; an entry with the
    /// same key as the previous one is merged into it.
    ///
    /// The entry should be normalized ([`Entry::new`] does it); its fields
    /// are stored as given.
    ///
    /// # Errors
    ///
    /// [`Error::KeyOutOfOrder`] when the entry sorts before the previous
    /// one; [`Error::Limit`] past 2^32 - 1 entries or 65536 sources; I/O
    /// errors.
    pub fn add(&mut self, entry: &Entry) -> Result<()> {
        check_entry(entry)?;
        let mut item = std::mem::take(&mut self.scratch);
        item.clear();
        sortkey::encode_into(&mut item, entry);
        let pushed = self.push_item(&item);
        self.scratch = item;
        pushed
    }

    /// [`Writer::add`] for an owned entry.
    ///
    /// # Errors
    ///
    /// As [`Writer::add`].
    pub fn push(&mut self, entry: Entry) -> Result<()> {
        self.add(&entry)
    }

    /// Adds an entry given as its sort item ([`sortkey::encode`]), as an
    /// external sort hands them back: nothing is decoded into strings, so
    /// this is the fast way in. Items must come in byte order (which is
    /// key order); one with the same key as the previous is merged into
    /// it.
    ///
    /// An item cannot show whether the A (AAAA) rdata it was encoded from
    /// was an address: four (sixteen) stored bytes are taken as one. Encode
    /// only entries whose rdata is normalized ([`Entry::new`] and the
    /// importers make sure of it; [`Writer::add`] checks).
    ///
    /// # Errors
    ///
    /// As [`Writer::add`], and [`Error::Corrupt`] when `item` is not a
    /// sort item.
    pub fn push_item(&mut self, item: &[u8]) -> Result<()> {
        let v = sortkey::view(item)?;
        let same_name = self.pending.full && self.pending.reversed_name() == v.name;
        if !same_name {
            // The name is checked once per name, not once per entry.
            let mut fwd = std::mem::take(&mut self.name_key);
            fwd.clear();
            name::forward_into(v.name, &mut fwd);
            let started = self.start_with_new_name(&v, &fwd);
            self.name_key = fwd;
            return started;
        }
        check_item(&v, None)?;
        match self.pending.key.as_slice().cmp(v.key) {
            std::cmp::Ordering::Equal => self.pending.merge(&v),
            std::cmp::Ordering::Greater => Err(self.out_of_order(&v)),
            std::cmp::Ordering::Less => {
                self.write_pending()?;
                self.pending.set(&v, None);
                Ok(())
            }
        }
    }

    /// [`Writer::push_item`] for an item whose owner name (`forward`)
    /// differs from the waiting entry's.
    fn start_with_new_name(&mut self, v: &sortkey::ItemView<'_>, forward: &[u8]) -> Result<()> {
        check_item(v, Some(forward))?;
        if self.pending.full {
            if self.pending.key.as_slice() > v.key {
                return Err(self.out_of_order(v));
            }
            self.write_pending()?;
        }
        self.pending.set(v, Some(forward));
        Ok(())
    }

    fn out_of_order(&self, got: &sortkey::ItemView<'_>) -> Error {
        Error::KeyOutOfOrder {
            previous: describe_key(&self.pending.key),
            got: describe_key(got.key),
        }
    }

    /// Writes the waiting entry, if any.
    fn write_pending(&mut self) -> Result<()> {
        if !self.pending.full {
            return Ok(());
        }
        let p = std::mem::take(&mut self.pending);
        let written = self.write_entry(&p);
        self.pending = p;
        self.pending.full = false;
        written
    }

    fn source_set(&mut self, sources: &[u8]) -> Result<u32> {
        // The previous entry's set without hashing: a capture's entries
        // all have one, and a name's entries mostly share one.
        let cached = self
            .last_set
            .filter(|_| self.last_sources.as_slice() == sources);
        let set = match cached.or_else(|| self.sets_by_encoding.get(sources).copied()) {
            Some(set) => set,
            None => {
                let labels: Vec<String> = sortkey::sources(sources)?
                    .into_iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect();
                let set = self.source_set_slow(&labels)?;
                // Bounded by the distinct source sets, themselves bounded
                // (too many is an error in source_set_slow).
                self.sets_by_encoding.insert(sources.to_vec(), set);
                set
            }
        };
        if cached.is_none() {
            self.last_sources.clear();
            self.last_sources.extend_from_slice(sources);
            self.last_set = Some(set);
        }
        let i = set as usize;
        if i >= self.by_set.len() {
            self.by_set.resize(i + 1, 0);
        }
        if let Some(n) = self.by_set.get_mut(i) {
            *n += 1;
        }
        Ok(set)
    }

    fn source_set_slow(&mut self, sources: &[String]) -> Result<u32> {
        let mut ids = Vec::with_capacity(sources.len());
        for s in sources {
            // Labels are stored printable, as readers show them; two labels
            // that escape alike are one source.
            let s = &crate::record::escape_text_str(s);
            let id = match self.source_ids.get(s) {
                Some(&id) => id,
                None => {
                    let id = u16::try_from(self.source_labels.len())
                        .map_err(|_| Error::Limit("more than 65536 distinct sources".into()))?;
                    self.source_ids.insert(s.clone(), id);
                    self.source_labels.push(s.clone());
                    id
                }
            };
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        if let Some(&set) = self.set_ids.get(&ids) {
            return Ok(set);
        }
        let set = u32::try_from(self.sets.len())
            .map_err(|_| Error::Limit("too many distinct source sets".into()))?;
        self.set_ids.insert(ids.clone(), set);
        self.sets.push(ids);
        Ok(set)
    }

    fn write_entry(&mut self, e: &Pending) -> Result<()> {
        let rid = u32::try_from(self.record_count)
            .ok()
            .filter(|&r| r != u32::MAX)
            .ok_or_else(|| Error::Limit("more than 2^32 - 1 entries in one archive".into()))?;
        // A new owner name gets the next id.
        if self.current_name.as_deref() != Some(e.reversed_name()) {
            self.start_name(e.reversed_name(), &e.name, rid)?;
        }
        let name_id = self.name_count - 1;
        if self.block.n == 0 {
            self.block.first_record = rid;
            self.block.first_name = name_id;
            self.block.prev_name = name_id;
            self.block.min_first = e.time_first;
            self.block.max_first = e.time_first;
            self.block.min_last = e.time_last;
            self.block.max_last = e.time_last;
        }
        let b = &mut self.block;
        put_varint(&mut b.name_delta, u64::from(name_id - b.prev_name));
        b.prev_name = name_id;
        put_varint(&mut b.rrtype, u64::from(e.rrtype));
        let rdata = e.rdata.as_slice();
        put_varint(&mut b.rdata_len, rdata.len() as u64);
        b.rdata.extend_from_slice(rdata);
        b.time_first.push(e.time_first);
        put_varint(&mut b.duration, e.time_last.saturating_sub(e.time_first));
        // 0 means unknown, so the largest count stored is 2^64 - 2.
        put_varint(&mut b.count, e.count.map_or(0, |c| c.min(u64::MAX - 1) + 1));
        b.min_first = b.min_first.min(e.time_first);
        b.max_first = b.max_first.max(e.time_first);
        b.min_last = b.min_last.min(e.time_last);
        b.max_last = b.max_last.max(e.time_last);
        let bw = match &e.bailiwick {
            None => 0,
            Some(z) => {
                let last = b.last_bailiwick;
                let same = last
                    .checked_sub(1)
                    .and_then(|i| b.bailiwick_dict.get(i))
                    .is_some_and(|d| d == z);
                let bw = if same {
                    last
                } else {
                    match b.bailiwick_dict.iter().position(|d| d == z) {
                        Some(i) => i + 1,
                        None => {
                            b.dict_bytes += z.len() + 2;
                            b.bailiwick_dict.push(z.clone());
                            b.bailiwick_dict.len()
                        }
                    }
                };
                b.last_bailiwick = bw;
                bw
            }
        };
        put_varint(&mut b.bailiwick, bw as u64);
        b.n += 1;
        let set = self.source_set(&e.sources)?;
        put_varint(&mut self.block.sources, u64::from(set));

        // Postings.
        let family = match (e.rrtype, rdata.len()) {
            (known::A, 4) => Some(4),
            (known::AAAA, 16) => Some(6),
            _ => None,
        };
        if let Some(family) = family {
            if family == 4 {
                let mut a = [0u8; 4];
                a.copy_from_slice(rdata);
                self.ips4
                    .push((u64::from(u32::from_be_bytes(a)) << 32) | u64::from(rid))?;
            } else {
                let mut a = [0u8; 16];
                a.copy_from_slice(rdata);
                self.ips6.push((u128::from_be_bytes(a), rid))?;
            }
        } else if record::may_have_rdata_names(e.rrtype) {
            // Stored rdata of every other type is its presentation text.
            if let Ok(text) = std::str::from_utf8(rdata) {
                let (k, sorter) = (&mut self.posting_key, &mut self.rdata_names);
                let mut pushed = Ok(());
                record::for_each_rdata_name(e.rrtype, text, |target| {
                    k.clear();
                    name::reversed_key_into(target, k);
                    k.push(0);
                    k.extend_from_slice(&rid.to_be_bytes());
                    if pushed.is_ok() {
                        pushed = sorter.push(k);
                    }
                });
                pushed?;
            }
        }

        // Statistics.
        let t = usize::from(e.rrtype);
        if t >= self.by_type.len() {
            self.by_type.resize(t + 1, 0);
        }
        if let Some(n) = self.by_type.get_mut(t) {
            *n += 1;
        }
        self.histogram.add(e.time_first, e.time_last);
        self.time_first = Some(
            self.time_first
                .map_or(e.time_first, |t| t.min(e.time_first)),
        );
        self.time_last = Some(self.time_last.map_or(e.time_last, |t| t.max(e.time_last)));
        self.record_count += 1;

        if self.block.approx_len() >= self.opts.block_size
            || self.block.dict_len() >= self.opts.block_size
        {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Starts owner name `rid`'s records: `key` reversed, `forward` as
    /// written.
    fn start_name(&mut self, key: &[u8], forward: &[u8], rid: u32) -> Result<()> {
        let id = self.name_count;
        if id == u32::MAX {
            return Err(Error::Limit("more than 2^32 - 1 names".into()));
        }
        // Entries arrive in key order, which is reversed-name order, so
        // the FST's own order check can only fail on a bug; it is
        // reported when the back end finishes.
        if self.name_batch_ends.is_empty() {
            self.name_batch_first = id;
        }
        self.name_batch.extend_from_slice(key);
        self.name_batch_ends.push(self.name_batch.len() as u32);
        if self.name_batch_ends.len() >= NAME_BATCH {
            self.send_names()?;
        }
        self.names_fwd.push(forward)?;
        self.name_records.write(&rid.to_le_bytes())?;
        // Name table: front-coded reversed keys, restarting every block.
        if id.is_multiple_of(self.opts.names_per_block) {
            self.flush_name_block()?;
            self.name_block_prev.clear();
        }
        let shared = key
            .iter()
            .zip(&self.name_block_prev)
            .take_while(|(a, b)| a == b)
            .count();
        put_varint(&mut self.name_block, shared as u64);
        put_len_bytes(&mut self.name_block, key.get(shared..).unwrap_or_default());
        self.name_block_prev.clear();
        self.name_block_prev.extend_from_slice(key);
        self.name_count += 1;
        match &mut self.current_name {
            Some(c) => {
                c.clear();
                c.extend_from_slice(key);
            }
            None => self.current_name = Some(key.to_vec()),
        }
        Ok(())
    }

    fn flush_name_block(&mut self) -> Result<()> {
        if self.name_block.is_empty() {
            return Ok(());
        }
        // Compressed on the back end, in order with the other jobs.
        let raw = std::mem::replace(&mut self.name_block, Vec::with_capacity(4096));
        self.back.send(Job::NameBlock(raw))
    }

    fn send_names(&mut self) -> Result<()> {
        if self.name_batch_ends.is_empty() {
            return Ok(());
        }
        let job = Job::Names {
            first_id: self.name_batch_first,
            keys: std::mem::take(&mut self.name_batch),
            ends: std::mem::take(&mut self.name_batch_ends),
        };
        self.back.send(job)
    }

    fn flush_block(&mut self) -> Result<()> {
        if self.block.n == 0 {
            return Ok(());
        }
        let raw = self.block.serialize();
        let b = &self.block;
        let mut entry = [0u8; format::BLOCK_ENTRY_LEN];
        entry[0..4].copy_from_slice(&b.first_record.to_le_bytes());
        entry[4..8].copy_from_slice(&b.n.to_le_bytes());
        // 8..20 (offset and compressed length) are known once compressed.
        entry[20..24].copy_from_slice(&(raw.len() as u32).to_le_bytes());
        entry[24..28].copy_from_slice(&b.first_name.to_le_bytes());
        entry[32..40].copy_from_slice(&b.min_first.to_le_bytes());
        entry[40..48].copy_from_slice(&b.max_first.to_le_bytes());
        entry[48..56].copy_from_slice(&b.min_last.to_le_bytes());
        entry[56..64].copy_from_slice(&b.max_last.to_le_bytes());
        self.back.send(Job::Block { raw, entry })?;
        self.in_flight += 1;
        self.block.reset();
        // Write what is ready without waiting, so the two threads overlap.
        while let Some(done) = self.back.try_recv()? {
            self.write_block(done)?;
        }
        Ok(())
    }

    fn write_block(
        &mut self,
        (comp, mut entry): (Vec<u8>, [u8; format::BLOCK_ENTRY_LEN]),
    ) -> Result<()> {
        entry[8..16].copy_from_slice(&self.blocks_len.to_le_bytes());
        entry[16..20].copy_from_slice(&(comp.len() as u32).to_le_bytes());
        self.block_index.write(&entry)?;
        self.out.write(&comp)?;
        self.blocks_len += comp.len() as u64;
        self.block_count += 1;
        self.in_flight -= 1;
        Ok(())
    }

    /// Writes the remaining sections, the section table and the footer,
    /// and returns the output. The caller flushes and syncs it (see the
    /// spec, "Publishing").
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn finish(mut self) -> Result<W> {
        self.write_pending()?;
        self.flush_block()?;
        self.flush_name_block()?;
        self.send_names()?;
        let tmp = self.tmp.clone();
        // The forward name index (a merge of its sort, then an FST) is the
        // longest step left: it starts first, on its own thread, and the
        // rest of this function runs beside it.
        let fwd_sorter = std::mem::replace(
            &mut self.names_fwd,
            ExternalSorter::new(0, tmp.clone(), false),
        );
        // Set when the rest fails: the index thread then stops at its next
        // batch instead of finishing work that will be thrown away.
        let cancel = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| -> Result<W> {
            let fwd = std::thread::Builder::new()
                .name("pdnsfile-names".into())
                .spawn_scoped(s, || build_forward_names(fwd_sorter, &tmp, &cancel))
                .map_err(|e| Error::io("starting the name index thread", e))?;
            let mut fwd = Some(fwd);
            let done = self.finish_beside(&mut fwd);
            if let Some(h) = fwd.take() {
                // The error comes first; joined here, a panic of the thread
                // cannot replace it with a panic of the scope.
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = h.join();
            }
            done
        })
    }

    /// [`Writer::finish`] once the forward name index is being built by
    /// `fwd` (taken to be joined; left there when an error comes first).
    fn finish_beside(
        mut self,
        fwd: &mut Option<std::thread::ScopedJoinHandle<'_, Result<Spool>>>,
    ) -> Result<W> {
        let tmp = self.tmp.clone();
        let back = std::mem::replace(&mut self.back, BackEnd::stopped());
        let (
            blocks,
            BackEndOutput {
                names_rev,
                name_table,
                name_table_offsets,
            },
        ) = back.finish()?;
        for done in blocks {
            self.write_block(done)?;
        }
        debug_assert_eq!(self.in_flight, 0);
        let mut table: Vec<SectionEntry> = Vec::new();
        // BLOCKS was streamed right after the header.
        table.push(SectionEntry {
            kind: Kind::Blocks as u16,
            flags: SECTION_REQUIRED,
            offset: format::HEADER_LEN as u64,
            length: self.blocks_len,
            crc: self.out.section_crc,
        });

        let block_index = std::mem::replace(&mut self.block_index, Spool::new(&tmp)?);
        table.push(self.copy_section(Kind::BlockIndex, block_index)?);

        // NAME_TABLE: header, offsets, then the compressed blocks.
        let mut nt = Vec::new();
        nt.extend_from_slice(&self.opts.names_per_block.to_le_bytes());
        nt.extend_from_slice(&self.name_count.to_le_bytes());
        nt.extend_from_slice(&(name_table_offsets.len() as u32).to_le_bytes());
        nt.extend_from_slice(&0u32.to_le_bytes());
        for &o in &name_table_offsets {
            nt.extend_from_slice(&o.to_le_bytes());
        }
        nt.extend_from_slice(&name_table.len.to_le_bytes());
        table.push(self.copy_section_with_prefix(Kind::NameTable, &nt, name_table)?);

        // NAME_RECORDS ends with the record count, so name i's records are
        // [a[i], a[i+1]).
        let rc = self.record_count as u32;
        self.name_records.write(&rc.to_le_bytes())?;
        let name_records = std::mem::replace(&mut self.name_records, Spool::new(&tmp)?);
        table.push(self.copy_section(Kind::NameRecords, name_records)?);

        table.push(self.copy_section(Kind::NamesReversed, names_rev)?);

        let ip4_sorter = std::mem::replace(&mut self.ips4, FixedSorter::new(0, tmp.clone()));
        let ip6_sorter = std::mem::replace(&mut self.ips6, FixedSorter::new(0, tmp.clone()));
        let rn_sorter = std::mem::replace(
            &mut self.rdata_names,
            ExternalSorter::new(0, tmp.clone(), false),
        );
        let post = build_postings(ip4_sorter, ip6_sorter, rn_sorter, &tmp);
        let joined = fwd.take().map(std::thread::ScopedJoinHandle::join);
        let fwd = match joined {
            Some(Ok(r)) => r?,
            _ => {
                return Err(Error::io(
                    "forward name index",
                    io::Error::other("the thread panicked"),
                ))
            }
        };
        let post = post?;
        table.push(self.copy_section(Kind::NamesForward, fwd)?);
        let Postings {
            v4,
            v6,
            n4,
            n6,
            rdata_names,
            n_rn,
            postings,
        } = post;
        table.push(self.copy_section(Kind::Ipv4, v4)?);
        table.push(self.copy_section(Kind::Ipv6, v6)?);
        table.push(self.copy_section(Kind::RdataNames, rdata_names)?);
        table.push(self.copy_section(Kind::Postings, postings)?);

        // SOURCES.
        let mut src = Vec::new();
        src.extend_from_slice(&(self.source_labels.len() as u32).to_le_bytes());
        for l in &self.source_labels {
            put_len_bytes(&mut src, l.as_bytes());
        }
        put_varint(&mut src, self.sets.len() as u64);
        for s in &self.sets {
            put_varint(&mut src, s.len() as u64);
            for &id in s {
                put_varint(&mut src, u64::from(id));
            }
        }
        table.push(self.write_section(Kind::Sources, &src, SECTION_REQUIRED)?);

        // META.
        let mut by_source: BTreeMap<u16, u64> = BTreeMap::new();
        for (set, &n) in self.sets.iter().zip(&self.by_set) {
            for &id in set {
                *by_source.entry(id).or_default() += n;
            }
        }
        let meta = Meta {
            created_by: self.opts.created_by.clone(),
            build_time: self.opts.build_time,
            record_count: self.record_count,
            name_count: u64::from(self.name_count),
            time_first: self.time_first,
            time_last: self.time_last,
            counts_by_type: (0..=u16::MAX)
                .zip(&self.by_type)
                .filter(|(_, &n)| n > 0)
                .map(|(t, &n)| (rrtype::to_string(t), n))
                .collect(),
            counts_by_source: by_source
                .iter()
                .filter_map(|(&s, &n)| Some((self.source_labels.get(usize::from(s))?.clone(), n)))
                .collect(),
            histogram: std::mem::take(&mut self.histogram).finish(),
            inputs: std::mem::take(&mut self.inputs),
            ipv4_count: n4,
            ipv6_count: n6,
            rdata_name_count: n_rn,
            block_count: self.block_count,
        };
        let json = serde_json::to_vec(&meta)
            .map_err(|e| Error::io("encoding META", io::Error::other(e)))?;
        table.push(self.write_section(Kind::Meta, &json, 0)?);

        // Section table and footer.
        self.out.pad()?;
        let table_offset = self.out.pos;
        let mut tb = Vec::with_capacity(table.len() * format::SECTION_ENTRY_LEN);
        for e in &table {
            tb.extend_from_slice(&e.to_bytes());
        }
        self.out.write(&tb)?;
        let footer = format::Footer {
            table_offset,
            section_count: table.len() as u32,
            major: format::MAJOR_VERSION,
            minor: format::MINOR_VERSION,
            required: 0,
            optional: 0,
            file_length: self.out.pos + FOOTER_LEN as u64,
            table_crc: crc32c::crc32c(&tb),
            file_crc: self.out.file_crc,
        };
        self.out.write(&footer.to_bytes())?;
        self.out
            .inner
            .flush()
            .map_err(|e| Error::io("flushing the archive", e))?;
        Ok(self.out.inner)
    }

    fn write_section(&mut self, kind: Kind, bytes: &[u8], flags: u16) -> Result<SectionEntry> {
        self.out.pad()?;
        let offset = self.out.pos;
        self.out.section_crc = 0;
        self.out.write(bytes)?;
        Ok(SectionEntry {
            kind: kind as u16,
            flags,
            offset,
            length: bytes.len() as u64,
            crc: self.out.section_crc,
        })
    }

    fn copy_section(&mut self, kind: Kind, spool: Spool) -> Result<SectionEntry> {
        self.copy_section_with_prefix(kind, &[], spool)
    }

    fn copy_section_with_prefix(
        &mut self,
        kind: Kind,
        prefix: &[u8],
        spool: Spool,
    ) -> Result<SectionEntry> {
        self.out.pad()?;
        let offset = self.out.pos;
        self.out.section_crc = 0;
        self.out.write(prefix)?;
        let (mut r, len) = spool.into_reader()?;
        let mut buf = vec![0u8; 1 << 16];
        let mut left = len;
        while left > 0 {
            let n = (buf.len() as u64).min(left) as usize;
            let chunk = buf.get_mut(..n).unwrap_or_default();
            io::Read::read_exact(&mut r, chunk)
                .map_err(|e| Error::io("copying a temporary file", e))?;
            self.out.write(chunk)?;
            left -= n as u64;
        }
        Ok(SectionEntry {
            kind: kind as u16,
            flags: SECTION_REQUIRED,
            offset,
            length: prefix.len() as u64 + len,
            crc: self.out.section_crc,
        })
    }
}

/// The longest stored rdata accepted: a wire rdata is at most 65535
/// octets, four characters each at worst in presentation form.
const MAX_RDATA_LEN: usize = 4 * 65_535 + 64;

/// Refuses entries that would make an archive readers cannot query or
/// verify: names that are not normalized (they could never be found),
/// times in the wrong order, oversized rdata.
fn check_entry(e: &Entry) -> Result<()> {
    let bad = |why: &str| {
        Error::InvalidEntry(format!(
            "{}: {why}",
            crate::record::escape_text_str(&e.rrname)
        ))
    };
    let normalized = |n: &str| is_normalized_name(n.as_bytes());
    let too_long = |n: &str| n.len() > name::MAX_NAME_LEN;
    if too_long(&e.rrname) || e.bailiwick.as_deref().is_some_and(too_long) {
        return Err(bad("name longer than the format allows"));
    }
    // Addresses are stored as octets; anything else in an A or AAAA
    // entry would read back as a different value.
    let address_ok = match e.rrtype {
        known::A => e
            .rdata
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.to_string() == e.rdata),
        known::AAAA => e
            .rdata
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|a| a.to_string() == e.rdata),
        _ => true,
    };
    if !address_ok {
        return Err(bad("A/AAAA rdata is not a normalized address"));
    }
    if !normalized(&e.rrname) {
        return Err(bad("rrname is not normalized (see name::normalize)"));
    }
    if e.bailiwick.as_deref().is_some_and(|b| !normalized(b)) {
        return Err(bad("bailiwick is not normalized"));
    }
    if e.time_last < e.time_first {
        return Err(bad("time_last is before time_first"));
    }
    if e.rdata.len() > MAX_RDATA_LEN {
        return Err(bad("rdata is too long"));
    }
    Ok(())
}

/// Whether `n` is a name as [`name::normalize`] leaves it.
fn is_normalized_name(n: &[u8]) -> bool {
    // Folded without an early exit, so that the compiler checks many
    // bytes at a time: this runs for every owner name a build writes.
    let printable = !n.iter().fold(false, |bad, &b| {
        bad | !(0x21..=0x7e).contains(&b) | b.is_ascii_uppercase()
    });
    // A trailing dot is only allowed escaped, as part of a label.
    let no_trailing_dot = !n.ends_with(b".") || n.ends_with(b"\\.");
    n == b"." || (!n.is_empty() && printable && no_trailing_dot)
}

/// [`check_entry`] for a sort item; `name` is its forward owner name
/// when it has not been checked yet.
fn check_item(v: &sortkey::ItemView<'_>, name: Option<&[u8]>) -> Result<()> {
    let bad = |why: &str| {
        let shown = name.map_or_else(
            || name::from_reversed_key(v.name),
            |n| String::from_utf8_lossy(n).into_owned(),
        );
        Error::InvalidEntry(format!("{}: {why}", record::escape_text_str(&shown)))
    };
    if let Some(n) = name {
        if n.len() > name::MAX_NAME_LEN {
            return Err(bad("name longer than the format allows"));
        }
        if !is_normalized_name(n) {
            return Err(bad("rrname is not normalized (see name::normalize)"));
        }
    }
    if let Some(b) = v.bailiwick {
        if b.len() > name::MAX_NAME_LEN {
            return Err(bad("name longer than the format allows"));
        }
        if !is_normalized_name(b) {
            return Err(bad("bailiwick is not normalized"));
        }
    }
    // An escaped 0x00 takes two bytes, so this bounds the stored length.
    let stored = v.rdata_escaped.len() - v.rdata_escaped.iter().filter(|&&b| b == 0).count();
    let address_ok = match v.rrtype {
        known::A => stored == 4,
        known::AAAA => stored == 16,
        _ => true,
    };
    if !address_ok {
        return Err(bad("A/AAAA rdata is not a normalized address"));
    }
    if v.time_last < v.time_first {
        return Err(bad("time_last is before time_first"));
    }
    if stored > MAX_RDATA_LEN {
        return Err(bad("rdata is too long"));
    }
    Ok(())
}

/// "name TYPE rdata" of a sort item's key part, for error messages.
fn describe_key(key: &[u8]) -> String {
    match sortkey::view_key(key) {
        Some((name, rrtype, rdata)) => format!(
            "{} {} {}",
            name::from_reversed_key(name),
            rrtype::to_string(rrtype),
            record::decode_rdata(rrtype, &rdata)
        ),
        None => record::escape_text(key),
    }
}

/// Splits a sort item `key 0x00 id(be32)`.
fn split_id(item: &[u8]) -> Result<(&[u8], u32)> {
    let n = item.len();
    if n < 5 {
        return Err(Error::corrupt("sort run", "item too short"));
    }
    let (key, rest) = item.split_at(n - 5);
    let id = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
    Ok((key, id))
}

/// Splits a side-sort item into its key and record id.
type SplitItem = fn(&[u8]) -> Result<(&[u8], u32)>;

/// Calls `emit` once per run of items with the same key (as `split`
/// finds it) in a sorted stream, with the key and its record ids in
/// order: one posting list per address or rdata name.
fn for_each_group(
    sorter: ExternalSorter,
    split: SplitItem,
    mut emit: impl FnMut(&[u8], &[u32]) -> Result<()>,
) -> Result<()> {
    let mut key: Vec<u8> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    // Borrowed items: an owned Vec per item was a tenth of the time of the
    // end of a build.
    let mut items = sorter.finish()?;
    while let Some(item) = items.next_ref()? {
        let (k, id) = split(item)?;
        if !ids.is_empty() && k != key.as_slice() {
            emit(&key, &ids)?;
            ids.clear();
        }
        if ids.is_empty() {
            key.clear();
            key.extend_from_slice(k);
        }
        ids.push(id);
    }
    if !ids.is_empty() {
        emit(&key, &ids)?;
    }
    Ok(())
}

/// Writes a posting list and returns its pointer (see the spec,
/// "Posting pointer"). Record ids arrive sorted.
fn write_posting(postings: &mut Spool, ids: &[u32]) -> Result<u64> {
    if let [one] = ids {
        return Ok(POSTING_INLINE | u64::from(*one));
    }
    // Scattered ids (an address used by names all over the archive) are
    // smaller as a delta-varint list; dense ones as a roaring bitmap. Both
    // sizes are cheap to know, so the smaller is written.
    let mut list = Vec::with_capacity(ids.len() * 3);
    let mut prev = 0u32;
    for (i, &id) in ids.iter().enumerate() {
        put_varint(&mut list, u64::from(if i == 0 { id } else { id - prev }));
        prev = id;
    }
    let offset = postings.len;
    // The bitmap is built only when it is the smaller: its size follows
    // from the ids, and building one per list was most of the cost of
    // writing postings.
    if list.len() <= bitmap_size(ids) {
        let len = u32::try_from(list.len())
            .ok()
            .filter(|&l| l < format::POSTING_LIST_FLAG)
            .ok_or_else(|| Error::Limit("posting list too long".into()))?;
        postings.write(&(len | format::POSTING_LIST_FLAG).to_le_bytes())?;
        postings.write(&list)?;
    } else {
        let bm: roaring::RoaringBitmap = ids.iter().copied().collect();
        let len = u32::try_from(bm.serialized_size())
            .ok()
            .filter(|&l| l < format::POSTING_LIST_FLAG)
            .ok_or_else(|| Error::Limit("posting list too long".into()))?;
        postings.write(&len.to_le_bytes())?;
        bm.serialize_into(&mut *postings)
            .map_err(|e| Error::io("writing postings", e))?;
    }
    Ok(offset)
}

/// The size of the portable serialization of a Roaring bitmap of the
/// sorted `ids`, as the `roaring` crate writes it (no run containers):
/// cookie and container count, then for each 65 536-id range that holds
/// ids a 4-byte key and cardinality and a 4-byte offset, and its container:
/// 2 bytes an id up to 4 096 ids, a fixed 8 KiB bitmap beyond. A
/// repeated id (an SOA whose two names are the same name) is counted
/// twice, so the size can come out larger than the bitmap's: that only
/// tips the choice toward the list, which is correct either way.
fn bitmap_size(ids: &[u32]) -> usize {
    let mut size = 8;
    let mut rest = ids;
    while let Some(&first) = rest.first() {
        let high = first >> 16;
        let n = rest.iter().take_while(|&&id| id >> 16 == high).count();
        size += 8 + if n <= 4096 { 2 * n } else { 8192 };
        rest = rest.get(n..).unwrap_or_default();
    }
    size
}

/// NAMES_FWD built from the sorted forward names.
///
/// NAMES_FWD is a set: with name ids as values the FST could not share
/// the suffixes of forward names (every output differs), and it cost
/// more than both other name structures together. A forward match is
/// turned into its id through NAMES_REV.
fn build_forward_names(
    sorter: ExternalSorter,
    tmp: &PathBuf,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Spool> {
    let err = |e| Error::io("forward name index", io::Error::other(e));
    let mut fwd = FstBuilder::new(Spool::new(tmp)?);
    let names = sorter.finish()?;
    // The merge of the sort runs on a thread of its own, beside the FST:
    // this is the build's last step, and the two halve it.
    std::thread::scope(|s| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        std::thread::Builder::new()
            .name("pdnsfile-merge".into())
            .spawn_scoped(s, move || names.send_batches(&tx))
            .map_err(|e| Error::io("starting the name merge thread", e))?;
        for batch in rx {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(Error::io(
                    "forward name index",
                    io::Error::other("stopped: the archive failed"),
                ));
            }
            for name in batch?.iter() {
                fwd.insert(name, 0).map_err(err)?;
            }
        }
        // Dropping the receiver (on an error above) stops the merge at
        // its next send.
        Ok(())
    })?;
    fwd.finish()
        .map_err(|e| Error::io("finishing the forward name index", io::Error::other(e)))
}

/// Calls `emit` with each address of the sorted `values` (split into
/// address and record id by `split`) and its record ids, in order.
fn address_groups<T: Fixed, A: PartialEq + Copy>(
    values: &mut FixedIter<T>,
    split: impl Fn(T) -> (A, u32),
    mut emit: impl FnMut(A, &[u32]) -> Result<()>,
) -> Result<()> {
    let mut ids: Vec<u32> = Vec::new();
    let mut current = None;
    while let Some(v) = values.next_value()? {
        let (addr, rid) = split(v);
        if let Some(c) = current.filter(|&c| c != addr) {
            emit(c, &ids)?;
            ids.clear();
        }
        current = Some(addr);
        ids.push(rid);
    }
    match current {
        Some(c) => emit(c, &ids),
        None => Ok(()),
    }
}

/// The address tables, the rdata-name FST and the postings they point to.
struct Postings {
    v4: Spool,
    v6: Spool,
    n4: u64,
    n6: u64,
    rdata_names: Spool,
    n_rn: u64,
    postings: Spool,
}

/// Groups the sorted (address, record id) and (rdata name, record id)
/// items into posting lists behind their tables.
fn build_postings(
    ips4: FixedSorter<u64>,
    ips6: FixedSorter<(u128, u32)>,
    names: ExternalSorter,
    tmp: &PathBuf,
) -> Result<Postings> {
    let mut postings = Spool::new(tmp)?;
    let mut v4 = Spool::new(tmp)?;
    let mut v6 = Spool::new(tmp)?;
    // IPv4 first, then IPv6, each in address order: the order of the
    // address tables and of their posting lists.
    let mut n4 = 0u64;
    let mut group = |addr: &[u8], ids: &[u32], table: &mut Spool, n: &mut u64| -> Result<()> {
        let ptr = write_posting(&mut postings, ids)?;
        table.write(addr)?;
        table.write(&ptr.to_le_bytes())?;
        *n += 1;
        Ok(())
    };
    address_groups(
        &mut ips4.finish()?,
        |v| ((v >> 32) as u32, v as u32),
        |addr, ids| group(&addr.to_be_bytes(), ids, &mut v4, &mut n4),
    )?;
    let mut n6 = 0u64;
    address_groups(
        &mut ips6.finish()?,
        |v| v,
        |addr: u128, ids| group(&addr.to_be_bytes(), ids, &mut v6, &mut n6),
    )?;
    let err = |e| Error::io("rdata name index", io::Error::other(e));
    let mut rn = FstBuilder::new(Spool::new(tmp)?);
    let mut n_rn = 0u64;
    for_each_group(names, split_id, |key, ids| {
        let ptr = write_posting(&mut postings, ids)?;
        rn.insert(key, ptr).map_err(err)?;
        n_rn += 1;
        Ok(())
    })?;
    let rdata_names = rn
        .finish()
        .map_err(|e| Error::io("finishing the rdata name index", io::Error::other(e)))?;
    Ok(Postings {
        v4,
        v6,
        n4,
        n6,
        rdata_names,
        n_rn,
        postings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_size_is_what_roaring_serializes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut cases: Vec<Vec<u32>> = vec![
            vec![],
            vec![7],
            (0..4096).collect(),
            (0..4097).collect(),
            (65_530..65_540).collect(),
            (0..200_000).step_by(3).collect(),
            vec![0, u32::MAX],
        ];
        for _ in 0..200 {
            // Random lists: sparse, dense and mixed, over a few ranges.
            let span = 1 + next() % 300_000;
            let n = next() % 20_000;
            let mut ids: Vec<u32> = (0..n).map(|_| (next() % span) as u32).collect();
            ids.sort_unstable();
            ids.dedup();
            cases.push(ids);
        }
        for ids in cases {
            let bm: roaring::RoaringBitmap = ids.iter().copied().collect();
            assert_eq!(bitmap_size(&ids), bm.serialized_size(), "{} ids", ids.len());
        }
    }
}
