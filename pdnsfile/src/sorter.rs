//! A bounded-memory external sort of byte strings.
//!
//! Items are buffered, and each full buffer is sorted and front-coded
//! into a run on a background thread while the next one fills. A run is
//! kept in memory while the runs held there fit the budget's share for
//! them, and otherwise compressed (zstd) to an anonymous temporary file;
//! `finish` turns the last buffer into two runs in memory and merges
//! them all with a tree of losers. Memory stays near the budget whatever
//! the input size. A run that cannot be written fails the sort: every
//! later call returns an error, so no item is lost quietly.
//!
//! Why runs in memory: compressing a run, writing it and reading it back
//! was most of the cost of a sort that spills (zstd alone about a tenth of
//! a whole 10 M-entry build), while a front-coded run takes half the
//! memory of the buffer it came from, so a budget that cannot hold the
//! input as buffers often holds it as runs. A run in memory is freed
//! chunk by chunk as the merge reads it, so the memory it held is
//! returned while the consumer's own memory grows.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::thread::JoinHandle;

use crate::error::{Error, Result};

/// Sorts byte strings (lexicographically) within a memory budget.
pub struct ExternalSorter {
    /// The buffer being filled.
    buf: Buffer,
    /// Bytes one buffer may hold.
    budget: usize,
    /// Bytes the runs kept in memory may hold together: what the budget
    /// leaves beside the buffer being filled, the one being sorted and
    /// the run it becomes.
    run_budget: usize,
    /// Bytes the runs kept in memory hold.
    run_bytes: usize,
    /// Bytes per chunk of a run kept in memory ([`RUN_CHUNK`]; tests
    /// make it small to cut items across chunks).
    run_chunk: usize,
    /// Items from which a spilled buffer whose equal keys merge is sorted
    /// on two threads ([`PARALLEL_SORT`]; tests make it small).
    parallel_min: usize,
    /// The same for other buffers: never, but tests make it small to run
    /// the merge of two sorted halves.
    keep_parallel_min: usize,
    runs: Vec<Run>,
    /// The run being written on a background thread, if any.
    spilling: Option<JoinHandle<Result<Spilled>>>,
    /// The memory of the last buffer sorted, emptied, for the next one.
    spare: Option<Buffer>,
    /// Batches copied rather than adopted, emptied, for the producer's
    /// next ones (a few at most: see [`RETURNED`]).
    returned: Vec<Vec<u8>>,
    /// A run failed to be written: items are missing, so every later
    /// call fails too rather than hand out an incomplete sort.
    failed: bool,
    tmp_dir: PathBuf,
    dedup: bool,
    /// Items are [`crate::sortkey`] items whose equal keys a run merges
    /// ([`ExternalSorter::combine_entries`]).
    combine: bool,
    /// Runs to write without merging before trying again: the last run
    /// that tried found too few equal keys to pay for looking.
    combine_skip: u32,
    /// Whether a run merged any items (then the final merge looks for
    /// an entry's items across runs too).
    combined_any: bool,
    /// Memory the final merge may give to reading run files: beyond
    /// what that reads at once, file runs are first merged in groups.
    merge_memory: usize,
}

/// What a spilled buffer became: its runs, the buffer emptied for reuse,
/// and what merging equal keys did.
type Spilled = (Vec<Run>, Buffer, Merged);

/// What a run's merging of equal keys did: whether it tried, over how
/// many items, and how many it merged away.
struct Merged {
    tried: bool,
    items: usize,
    merged: usize,
}

/// A run must merge at least one item in this many for the next runs to
/// keep merging: finding the keys costs about a `memchr` an item.
const COMBINE_WORTH: usize = 64;

/// Runs written without merging before a run tries again.
const COMBINE_RETRY: u32 = 7;

/// What a run does with items that sort together.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Equal {
    /// Keeps every item.
    Keep,
    /// Keeps one of equal items.
    Dedup,
    /// Merges sort items with equal keys into one
    /// ([`crate::sortkey::combine`]).
    Combine,
}

/// The error of every call after a run failed to be written.
fn failed_before() -> Error {
    Error::io(
        "sorting",
        io::Error::other("an earlier sort run could not be written; the sort is incomplete"),
    )
}

/// Where an [`ExternalSorter`]'s runs are (for logs and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Runs kept in memory.
    pub in_memory: usize,
    /// Runs compressed to temporary files.
    pub in_files: usize,
    /// Bytes of the runs kept in memory.
    pub memory_bytes: usize,
}

/// A sorted run: its items front-coded, each as the length it shares
/// with the item before, the length of the rest, and the rest.
enum Run {
    /// Compressed in a temporary file, rewound.
    File(File),
    /// In memory.
    Memory(MemRun),
}

/// Bytes per chunk of a run kept in memory.
const RUN_CHUNK: usize = 4 << 20;

/// A front-coded run in memory, in anonymous mappings of [`RUN_CHUNK`]
/// bytes. Mappings rather than heap blocks because they go back to the
/// system when dropped: a run is dropped a chunk at a time while it is
/// read, and heap blocks freed in that order need not shrink the
/// process.
struct MemRun {
    /// Bytes of each new chunk.
    chunk: usize,
    /// The chunks and how many bytes of each are used.
    chunks: std::collections::VecDeque<(memmap2::MmapMut, usize)>,
    /// Read position in the first chunk.
    pos: usize,
    /// Bytes used in all chunks.
    len: usize,
}

impl MemRun {
    /// An empty run that grows by chunks of `chunk` bytes.
    fn new(chunk: usize) -> MemRun {
        MemRun {
            chunk: chunk.max(1),
            chunks: std::collections::VecDeque::new(),
            pos: 0,
            len: 0,
        }
    }
}

impl Write for MemRun {
    fn write(&mut self, mut b: &[u8]) -> io::Result<usize> {
        let n = b.len();
        while !b.is_empty() {
            let full = self.chunks.back().is_none_or(|(m, used)| *used == m.len());
            if full {
                self.chunks
                    .push_back((memmap2::MmapMut::map_anon(self.chunk)?, 0));
            }
            let Some((map, used)) = self.chunks.back_mut() else {
                return Err(io::Error::other("no chunk"));
            };
            let take = b.len().min(map.len() - *used);
            let (now, later) = b.split_at(take);
            if let Some(dst) = map.get_mut(*used..*used + take) {
                dst.copy_from_slice(now);
            }
            *used += take;
            self.len += take;
            b = later;
        }
        Ok(n)
    }

    /// [`MemRun::write`] with the common case inlined: the bytes fit in
    /// the last chunk. A run is written a few bytes at a time, two writes
    /// an item, and the call and loop of `write` cost more than the copy.
    #[inline]
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        if let Some((map, used)) = self.chunks.back_mut() {
            if let Some(dst) = map.get_mut(*used..*used + b.len()) {
                dst.copy_from_slice(b);
                *used += b.len();
                self.len += b.len();
                return Ok(());
            }
        }
        self.write(b).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for MemRun {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for MemRun {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // A chunk read to its end is dropped (unmapped) here.
        while self
            .chunks
            .front()
            .is_some_and(|(_, used)| self.pos >= *used)
        {
            self.chunks.pop_front();
            self.pos = 0;
        }
        Ok(self
            .chunks
            .front()
            .and_then(|(m, used)| m.get(self.pos..*used))
            .unwrap_or_default())
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

/// Items waiting to be sorted.
#[derive(Default)]
struct Buffer {
    /// Items back to back in fixed-size chunks; `idx` holds (chunk,
    /// start, length) of each. One arena instead of a `Vec` per item saves
    /// an allocation per push, and chunks instead of one growing `Vec`
    /// mean no doubling copy ever holds twice the budget.
    arena: Arena,
    /// Each item's first 32 bytes (big-endian, zero-padded) and slot:
    /// most comparisons are decided by the integer without touching the
    /// arena.
    idx: Vec<Ix>,
}

impl Buffer {
    fn bytes(&self) -> usize {
        self.arena.len + self.idx.len() * ITEM_OVERHEAD
    }

    /// The buffer sorted into two runs in memory, each half sorted and
    /// front-coded on its own thread: this runs between the read and the
    /// write phases of a build, when no other work can overlap it. The
    /// runs replace the buffer (at about half its size), and the merge
    /// then reads memory in sequence rather than an index over items in
    /// arrival order (one cache miss per item).
    /// Also returns the number of items merged away.
    fn into_runs(mut self, equal: Equal, chunk: usize) -> Result<([MemRun; 2], usize)> {
        encode_halves(&mut self.idx, &self.arena, equal, chunk)
    }

    /// Sorts the buffer into a run (two, for a large one whose equal keys
    /// merge): kept in memory when it takes at most `room` bytes there,
    /// otherwise compressed to a temporary file.
    /// Returns the buffer too, emptied, for the next one to reuse.
    fn write_run(
        mut self,
        tmp_dir: &PathBuf,
        equal: Equal,
        room: usize,
        chunk: usize,
        (parallel_min, keep_parallel_min): (usize, usize),
    ) -> Result<Spilled> {
        let items = self.idx.len();
        let tried = equal == Equal::Combine;
        if room == 0 {
            // No run can stay in memory: it is compressed as it is
            // written, so that it never exists whole beside the buffer
            // (a sorter whose buffers take its whole budget stays within
            // it).
            let mut enc = BufWriter::with_capacity(1 << 16, run_file(tmp_dir)?);
            let merged = encode_run(&mut self.idx, &self.arena, equal, parallel_min, &mut enc)?;
            let enc = enc.into_inner().map_err(|e| {
                Error::io("writing a sort run to the temporary folder", e.into_error())
            })?;
            self.clear();
            let m = Merged {
                tried,
                items,
                merged,
            };
            return Ok((vec![Run::File(end_run_file(enc)?)], self, m));
        }
        if tried && items >= parallel_min {
            // Merging runs are a capture's: two runs, each half sorted and
            // written on its own thread, rather than one run merged from
            // two sorted halves on one thread (left at the end of the
            // input, it kept the other core idle). Two more runs to merge
            // cost little where runs are few and small.
            let ([a, b], merged) = encode_halves(&mut self.idx, &self.arena, equal, chunk)?;
            self.clear();
            let m = Merged {
                tried,
                items,
                merged,
            };
            if a.len + b.len <= room {
                return Ok((vec![Run::Memory(a), Run::Memory(b)], self, m));
            }
            let runs = vec![
                Run::File(run_to_file(a, tmp_dir)?),
                Run::File(run_to_file(b, tmp_dir)?),
            ];
            return Ok((runs, self, m));
        }
        // A run that does not merge is sorted on one thread: sorting two
        // halves and merging them cost about a tenth more CPU (the merge's
        // branches cannot be predicted), while a build that reads an
        // export has both cores busy anyway.
        let mut run = MemRun::new(chunk);
        let halves = if tried {
            parallel_min
        } else {
            keep_parallel_min
        };
        let merged = encode_run(&mut self.idx, &self.arena, equal, halves, &mut run)?;
        self.clear();
        let m = Merged {
            tried,
            items,
            merged,
        };
        if run.len <= room {
            return Ok((vec![Run::Memory(run)], self, m));
        }
        Ok((vec![Run::File(run_to_file(run, tmp_dir)?)], self, m))
    }

    /// Empties the buffer and keeps its memory: the chunks go to the
    /// arena's spares. Fresh memory costs a page fault per 4 KiB when it
    /// is first written, which was about a tenth of the sort's time.
    fn clear(&mut self) {
        self.idx.clear();
        self.arena.clear();
    }
}

/// `idx` as two runs in memory, each half sorted and front-coded on its
/// own thread; also the items merged away.
fn encode_halves(
    idx: &mut [Ix],
    arena: &Arena,
    equal: Equal,
    chunk: usize,
) -> Result<([MemRun; 2], usize)> {
    let mid = idx.len() / 2;
    let (first, second) = idx.split_at_mut(mid);
    std::thread::scope(|s| -> Result<([MemRun; 2], usize)> {
        let other = std::thread::Builder::new()
            .name("pdnsfile-sort".into())
            .spawn_scoped(s, || -> Result<(MemRun, usize)> {
                let mut run = MemRun::new(chunk);
                let merged = encode_run(second, arena, equal, usize::MAX, &mut run)?;
                Ok((run, merged))
            })
            .map_err(|e| Error::io("starting a sort thread", e))?;
        let mut a = MemRun::new(chunk);
        let merged_a = encode_run(first, arena, equal, usize::MAX, &mut a);
        let (b, merged_b) = other
            .join()
            .map_err(|_| Error::io("sorting", io::Error::other("the sort thread panicked")))??;
        Ok(([a, b], merged_a? + merged_b))
    })
}

/// Sorts `idx` (over `arena`'s items) and front-codes the items in that
/// order into `run`: each as the length it shares with the
/// item before, the length of the rest, and the rest. Sorted neighbours
/// share most of their reversed names, so the run is smaller in memory
/// and zstd gets less to compress.
///
/// An index of `parallel_min` items or more is sorted as two halves on two
/// threads, merged as the run is written (for a merging run with no room
/// in memory, whose two halves cannot be two runs; see
/// `Buffer::write_run`).
fn encode_run(
    idx: &mut [Ix],
    arena: &Arena,
    equal: Equal,
    parallel_min: usize,
    run: &mut impl Write,
) -> Result<usize> {
    let mid = if idx.len() >= parallel_min {
        idx.len() / 2
    } else {
        idx.len()
    };
    let keyed = equal == Equal::Combine;
    let (left, right) = idx.split_at_mut(mid);
    // Each half notes its items' key lengths (a pass in arena order, so in
    // memory order) and sorts.
    let prepare = |half: &mut [Ix]| -> Result<()> {
        if keyed {
            for ix in half.iter_mut() {
                // A key length its producer gave is taken as it is (see
                // `ExternalSorter::push_batch`).
                if ix.key != 0 {
                    debug_assert_eq!(
                        crate::sortkey::key_len(arena.get(ix.slot)),
                        Some(ix.key as usize)
                    );
                    continue;
                }
                let k = crate::sortkey::key_len(arena.get(ix.slot))
                    .ok_or_else(|| Error::corrupt("sort run", "not a sort item"))?;
                ix.key =
                    u32::try_from(k).map_err(|_| Error::corrupt("sort run", "key too long"))?;
            }
        }
        sort_index(half, arena, keyed);
        Ok(())
    };
    if right.is_empty() {
        prepare(left)?;
    } else {
        std::thread::scope(|s| -> Result<()> {
            let other = std::thread::Builder::new()
                .name("pdnsfile-sort".into())
                .spawn_scoped(s, || prepare(right))
                .map_err(|e| Error::io("starting a sort thread", e))?;
            let mine = prepare(left);
            other.join().map_err(|_| {
                Error::io("sorting", io::Error::other("the sort thread panicked"))
            })??;
            mine
        })?;
    }
    let ctx = |e| Error::io("writing a sort run", e);
    let mut head = Vec::with_capacity(20);
    let mut put =
        |shared: usize, item: &[u8]| put_front_coded(run, &mut head, shared, item).map_err(ctx);
    let items = Merge2 {
        a: left,
        b: right,
        keyed,
        i: 0,
        j: 0,
        arena,
    };
    if !keyed {
        let mut prev: Option<(Prefix, &[u8])> = None;
        for (ix, item) in items {
            let p = ix.prefix;
            if equal == Equal::Dedup && prev.is_some_and(|(q, x)| q == p && x == item) {
                continue;
            }
            put(common_prefix(item, prev.map_or(&[], |(_, x)| x)), item)?;
            prev = Some((p, item));
        }
        return Ok(0);
    }
    // The item waiting to be written: still the arena's (`waiting`), or
    // merged with the items after it that have its key (`merged`). It is
    // written once an item with another key comes, front-coded against the
    // item written before it: `shared` was measured when it started
    // waiting, and merging changes only what follows the key, which that
    // shared part never reaches (the keys differ).
    let mut waiting: Option<(&[u8], usize, usize)> = None;
    let mut merged: Option<Vec<u8>> = None;
    let mut spare = Vec::new();
    let mut merged_away = 0;
    for (ix, item) in items {
        let k = ix.key as usize;
        if let Some((w, shared, wk)) = waiting {
            let current = merged.as_deref().unwrap_or(w);
            let common = common_prefix(item, current);
            if k == wk && common >= k {
                crate::sortkey::combine_at(current, item, k, &mut spare)?;
                match &mut merged {
                    Some(m) => std::mem::swap(m, &mut spare),
                    None => merged = Some(std::mem::take(&mut spare)),
                }
                merged_away += 1;
                continue;
            }
            put(shared, current)?;
            waiting = Some((item, common, k));
            if let Some(m) = merged.take() {
                spare = m;
            }
        } else {
            waiting = Some((item, 0, k));
        }
    }
    if let Some((w, shared, _)) = waiting {
        put(shared, merged.as_deref().unwrap_or(w))?;
    }
    Ok(merged_away)
}

/// Index entries a buffer reserves at most before its first item (96 MiB
/// of address space): more than a buffer of the builder's default budget
/// (24 MiB) holds.
const MAX_INDEX_RESERVE: usize = 2 << 20;

/// Items in a run below which one thread sorts it all.
const PARALLEL_SORT: usize = 1 << 16;

/// The items of two sorted halves of an index, in order, with their
/// prefixes; each half's items are prefetched ahead of the merge.
struct Merge2<'a> {
    a: &'a [Ix],
    b: &'a [Ix],
    keyed: bool,
    i: usize,
    j: usize,
    arena: &'a Arena,
}

impl<'a> Iterator for Merge2<'a> {
    type Item = (&'a Ix, &'a [u8]);

    fn next(&mut self) -> Option<(&'a Ix, &'a [u8])> {
        let arena = self.arena;
        let take_a = match (self.a.get(self.i), self.b.get(self.j)) {
            (Some(x), Some(y)) => order(x, y, arena, self.keyed).is_le(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let (half, at) = if take_a {
            (self.a, &mut self.i)
        } else {
            (self.b, &mut self.j)
        };
        let ix = half.get(*at)?;
        if let Some(ahead) = half.get(*at + PREFETCH_AHEAD) {
            prefetch(arena.get(ahead.slot));
        }
        *at += 1;
        Some((ix, arena.get(ix.slot)))
    }
}

/// Compresses a run to a temporary file in `tmp_dir`, freeing its memory
/// chunk by chunk; returns the file, rewound.
fn run_to_file(mut run: MemRun, tmp_dir: &PathBuf) -> Result<File> {
    let ctx = |e| Error::io("writing a sort run to the temporary folder", e);
    let mut enc = run_file(tmp_dir)?;
    while let Some((map, used)) = run.chunks.pop_front() {
        enc.write_all(map.get(..used).unwrap_or_default())
            .map_err(ctx)?;
    }
    end_run_file(enc)
}

/// A compressed run file being written (here and in [`crate::fixsort`]).
pub(crate) type RunFile = zstd::Encoder<'static, BufWriter<File>>;

/// Starts a compressed run in a new temporary file in `tmp_dir`. zstd's
/// fast level -1: runs are read back once and deleted, so compression
/// speed matters more than ratio (about 3 % less CPU for a build than
/// level 1).
///
/// The window is small ([`RUN_WINDOW_LOG`]): a run's items are sorted and
/// front-coded, so what repeats is near, and each run read back holds a
/// window's worth of memory for the whole merge.
pub(crate) fn run_file(tmp_dir: &PathBuf) -> Result<RunFile> {
    let ctx = |e| Error::io("writing a sort run to the temporary folder", e);
    let file = tempfile::tempfile_in(tmp_dir).map_err(ctx)?;
    let mut enc = zstd::Encoder::new(BufWriter::with_capacity(1 << 16, file), -1).map_err(ctx)?;
    enc.window_log(RUN_WINDOW_LOG).map_err(ctx)?;
    Ok(enc)
}

/// The zstd window of a run file: 128 KiB (level -1's own is 512 KiB).
const RUN_WINDOW_LOG: u32 = 17;

/// Reads a run file written by [`run_file`] back, with buffers small
/// enough that a merge of many runs stays within its share of the budget
/// ([`RUN_READ_MEMORY`] each).
pub(crate) fn open_run(file: File) -> Result<BufReader<zstd::Decoder<'static, BufReader<File>>>> {
    let dec = zstd::Decoder::with_buffer(BufReader::with_capacity(32 << 10, file))
        .map_err(|e| Error::io("reading a sort run", e))?;
    Ok(BufReader::with_capacity(64 << 10, dec))
}

/// Memory a run file takes while it is read: the zstd window and a
/// block, and the two read buffers, with room to spare.
pub const RUN_READ_MEMORY: usize = 512 << 10;

/// Ends a run started by [`run_file`]; returns the file, rewound.
pub(crate) fn end_run_file(enc: RunFile) -> Result<File> {
    let ctx = |e| Error::io("writing a sort run to the temporary folder", e);
    let mut file = enc
        .finish()
        .map_err(ctx)?
        .into_inner()
        .map_err(|e| ctx(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(ctx)?;
    Ok(file)
}

/// How many items ahead [`encode_run`] prefetches.
const PREFETCH_AHEAD: usize = 16;

/// Asks the CPU to bring the start of `item` into its cache. A sorted
/// index visits items stored in arrival order, so nearly every item is a
/// cache miss; prefetched a few items ahead, the misses overlap instead
/// of stalling the loop one after another.
#[allow(unsafe_code)]
fn prefetch(item: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` is unsafe for its raw pointer and its
    // target feature. The pointer is never dereferenced: a prefetch only
    // hints the cache, reads nothing the program sees and never faults,
    // whatever the address (even an empty slice's dangling one); and SSE
    // is part of every x86_64 processor.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            item.as_ptr().cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

/// The length of the longest common prefix of `a` and `b`, eight bytes
/// at a time (this runs for every item spilled).
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (
        a.get(..n).unwrap_or_default(),
        b.get(..n).unwrap_or_default(),
    );
    let mut i = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let (mut wx, mut wy) = ([0u8; 8], [0u8; 8]);
        wx.copy_from_slice(x);
        wy.copy_from_slice(y);
        let diff = u64::from_le_bytes(wx) ^ u64::from_le_bytes(wy);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a
        .get(i..)
        .unwrap_or_default()
        .iter()
        .zip(b.get(i..).unwrap_or_default())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Sorts an index over `arena`'s items by item (prefix first, then the
/// whole item when prefixes tie); with `keyed`, by key only (see
/// [`order`]).
fn sort_index(idx: &mut [Ix], arena: &Arena, keyed: bool) {
    idx.sort_unstable_by(|a, b| order(a, b, arena, keyed));
}

/// The order of two indexed items: by prefix, then by the whole items.
/// With `keyed` (sort items whose key lengths are in the index), items
/// with equal keys are equal whatever follows (a run merges them, in any
/// order), and keys that fit in the prefix are compared without reading
/// the arena: the items of a capture are mostly such repeats, and each
/// look at the arena is a cache miss.
fn order(a: &Ix, b: &Ix, arena: &Arena, keyed: bool) -> std::cmp::Ordering {
    a.prefix.cmp(&b.prefix).then_with(|| {
        let (x, y) = (arena.get(a.slot), arena.get(b.slot));
        if !keyed {
            return x.cmp(y);
        }
        let (ka, kb) = (a.key as usize, b.key as usize);
        if ka == kb && ka <= 32 {
            return std::cmp::Ordering::Equal;
        }
        x.get(..ka).cmp(&y.get(..kb))
    })
}

/// Where an item is in the [`Arena`]: chunk, start, length.
type Slot = (u32, u32, u32);

/// Bytes per arena chunk.
const CHUNK: usize = 4 << 20;

/// Append-only storage of sort items in chunks of [`CHUNK`] bytes (an
/// item longer than that gets a chunk of its own).
#[derive(Default)]
struct Arena {
    chunks: Vec<Vec<u8>>,
    /// Empty chunks of [`CHUNK`] bytes to use before allocating.
    spare: Vec<Vec<u8>>,
    /// Empty smaller buffers, batches adopted before, for the next
    /// batches ([`ExternalSorter::take_spare`]).
    batch_spare: Vec<Vec<u8>>,
    /// Bytes counted against the budget: those stored, and the whole
    /// capacity of an adopted batch (memory held whatever it stores).
    len: usize,
}

impl Arena {
    fn push(&mut self, item: &[u8]) -> Result<Slot> {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= item.len());
        if !fits {
            let chunk = match self.spare.pop() {
                Some(c) if item.len() <= c.capacity() && c.capacity() == CHUNK => c,
                _ => Vec::with_capacity(CHUNK.max(item.len())),
            };
            self.chunks.push(chunk);
        }
        let too_big = || Error::Limit("a sort item or run larger than 4 GiB".into());
        let chunk = u32::try_from(self.chunks.len() - 1).map_err(|_| too_big())?;
        let len = u32::try_from(item.len()).map_err(|_| too_big())?;
        let c = self.chunks.last_mut().ok_or_else(too_big)?;
        let start = u32::try_from(c.len()).map_err(|_| too_big())?;
        c.extend_from_slice(item);
        self.len += item.len();
        Ok((chunk, start, len))
    }

    /// The index the next chunk will have.
    fn next_chunk(&self) -> Result<u32> {
        u32::try_from(self.chunks.len()).map_err(|_| Error::Limit("too many sort chunks".into()))
    }

    /// Takes `items` as the next chunk, without copying.
    fn adopt(&mut self, items: Vec<u8>) {
        self.len += items.capacity();
        self.chunks.push(items);
    }

    /// Drops the items and keeps the chunks up to the usual size as
    /// spares (an outsized one, for a single long item, is freed).
    fn clear(&mut self) {
        for mut c in self.chunks.drain(..) {
            c.clear();
            match c.capacity() {
                CHUNK => self.spare.push(c),
                n if n < CHUNK => self.batch_spare.push(c),
                _ => {}
            }
        }
        self.len = 0;
    }

    fn get(&self, (chunk, start, len): Slot) -> &[u8] {
        let start = start as usize;
        self.chunks
            .get(chunk as usize)
            .and_then(|c| c.get(start..start + len as usize))
            .unwrap_or_default()
    }
}

/// Batch buffers [`ExternalSorter::push_batch`] keeps for the producer
/// after copying their items: enough for the batches in flight.
const RETURNED: usize = 4;

/// Per-item overhead counted against the budget (its index entry), so
/// many tiny items cannot exceed it.
const ITEM_OVERHEAD: usize = std::mem::size_of::<Ix>();

/// An item's first 32 bytes, zero-padded, so
/// comparing prefixes compares items unless the prefixes are equal.
fn prefix(item: &[u8]) -> Prefix {
    let mut p = [0u8; 32];
    let n = item.len().min(32);
    if let (Some(dst), Some(src)) = (p.get_mut(..n), item.get(..n)) {
        dst.copy_from_slice(src);
    }
    let word = |i: usize| {
        let mut w = [0u8; 8];
        if let Some(src) = p.get(i..i + 8) {
            w.copy_from_slice(src);
        }
        u64::from_be_bytes(w)
    };
    Prefix(word(0), word(8), word(16), word(24))
}

/// An item's first 32 bytes as four big-endian integers. 32, not 24: a
/// name has two entries on average, and a reversed name of 24 bytes or
/// more tied every pair of them, each tie a comparison of whole items at
/// random places in the arena (3 % less CPU on the 10 M build).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
struct Prefix(u64, u64, u64, u64);

/// An item in a buffer's index: its prefix, where it is, and (for a run
/// that merges entries) the length of its key part, set just before the
/// sort; 48 bytes, as the prefix and slot alone take with padding.
#[derive(Clone, Copy)]
struct Ix {
    prefix: Prefix,
    slot: Slot,
    key: u32,
}

impl ExternalSorter {
    /// A sorter that holds about `budget` bytes and spills to `tmp_dir`
    /// beyond. With `dedup`, equal items come out once.
    ///
    /// Half the budget buffers items, so every run but the last goes to
    /// a file: the fewest runs to merge.
    pub fn new(budget: usize, tmp_dir: PathBuf, dedup: bool) -> ExternalSorter {
        ExternalSorter::with_buffer(budget, budget / 2, tmp_dir, dedup)
    }

    /// [`ExternalSorter::new`] with `buffer` bytes of items sorted at a
    /// time: larger buffers make fewer runs to merge, smaller ones leave
    /// more of the budget (beyond three buffers) to keep runs in memory.
    pub fn with_buffer(
        budget: usize,
        buffer: usize,
        tmp_dir: PathBuf,
        dedup: bool,
    ) -> ExternalSorter {
        let buffer = buffer.max(1 << 16);
        // Room for less than half a buffer's run is no room: every run
        // is then compressed as it is written, rather than sorted whole
        // in memory first only to find that it does not fit.
        let run_budget = match budget.saturating_sub(3 * buffer) {
            n if n < buffer / 2 => 0,
            n => n,
        };
        ExternalSorter {
            buf: Buffer::default(),
            budget: buffer,
            run_budget,
            run_bytes: 0,
            run_chunk: RUN_CHUNK,
            parallel_min: PARALLEL_SORT,
            keep_parallel_min: usize::MAX,
            runs: Vec::new(),
            spilling: None,
            spare: None,
            returned: Vec::new(),
            failed: false,
            tmp_dir,
            dedup,
            combine: false,
            combine_skip: 0,
            combined_any: false,
            merge_memory: budget / 4,
        }
    }

    /// Declares the items [`crate::sortkey`] sort items and has each run
    /// merge those with equal keys (an entry's observations) as the
    /// writer would: fewer items to write, merge and aggregate where
    /// inputs repeat themselves (captures above all), at the cost of a
    /// key length per item. A run that merges fewer than one item in 64
    /// has the next seven written without looking, then one tries again,
    /// so inputs of distinct keys pay for one run in eight. An item whose
    /// key part is not a sort item's fails the run that holds it; damage
    /// after the key may pass the merge (two items with the same bytes
    /// after their counts are merged without reading those bytes), and is
    /// refused by whoever reads the item (the writer's
    /// [`crate::sortkey::view`]).
    pub fn combine_entries(&mut self) {
        self.combine = true;
    }

    fn equal(&self) -> Equal {
        if self.combine && self.combine_skip == 0 {
            Equal::Combine
        } else if self.dedup {
            Equal::Dedup
        } else {
            Equal::Keep
        }
    }

    /// Adds one item.
    ///
    /// # Errors
    ///
    /// I/O errors while spilling a run.
    pub fn push(&mut self, item: &[u8]) -> Result<()> {
        if self.failed {
            return Err(failed_before());
        }
        self.push_keyed(item, 0)
    }

    /// Room in a new buffer's index for as many items as the buffer can
    /// hold if they are 16 bytes or more: growing by doubling copied the
    /// index and touched twice its pages. Capacity never used is address
    /// space, not memory; but it counts against `ulimit -v` and strict
    /// overcommit, so a large budget reserves at most
    /// `MAX_INDEX_RESERVE` entries and grows from there.
    fn reserve_index(&mut self) {
        if self.buf.idx.capacity() == 0 {
            let want = self.budget / (ITEM_OVERHEAD + 16);
            self.buf.idx.reserve(want.min(MAX_INDEX_RESERVE));
        }
    }

    /// [`ExternalSorter::push`] of an item whose key length is known (0
    /// if not).
    fn push_keyed(&mut self, item: &[u8], key: u32) -> Result<()> {
        self.reserve_index();
        let slot = self.buf.arena.push(item)?;
        self.buf.idx.push(Ix {
            prefix: prefix(item),
            slot,
            key,
        });
        if self.buf.bytes() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Adds the items stored back to back in `items`, the `i`th ending at
    /// `ends[i]`. A batch at least a quarter full and small beside the
    /// buffer is taken as it is rather than copied: a producer that
    /// encodes its items in batches (a build's parsing and decoding
    /// threads) saves a copy of every byte. Others are copied, and their buffer kept for the
    /// producer: one mostly empty (the end of a small file) would hold
    /// its whole capacity for a few bytes, and one large beside the
    /// buffer would overfill it. Get the next batch's buffer from
    /// [`ExternalSorter::take_spare`], so that the buffers go round
    /// instead of each being new memory.
    ///
    /// `keys` is empty, or holds the length of each item's key part
    /// ([`crate::sortkey::key_len`]) for a sorter that merges equal keys
    /// ([`ExternalSorter::combine_entries`]): a producer that has just
    /// encoded the key knows it, and the sort then need not look for it
    /// in every item. A wrong length merges items whose keys differ, so
    /// only the encoder's own numbers belong here.
    ///
    /// # Errors
    ///
    /// I/O errors while spilling a run; [`Error::Corrupt`] for ends that
    /// are not increasing offsets within `items`, or key lengths that are
    /// not one per item, each within it.
    pub fn push_batch(&mut self, mut items: Vec<u8>, ends: &[usize], keys: &[u32]) -> Result<()> {
        if self.failed {
            return Err(failed_before());
        }
        // Every slot is checked against the batch before any is indexed:
        // a bad end would otherwise index bytes that are not an item.
        let bad = || Error::corrupt("sort batch", "item ends or key lengths out of place");
        if !keys.is_empty() && keys.len() != ends.len() {
            return Err(bad());
        }
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            if end < start || end > items.len() {
                return Err(bad());
            }
            // A key part is at least its name's terminator, type and end.
            if keys
                .get(i)
                .is_some_and(|&k| k < 5 || k as usize > end - start)
            {
                return Err(bad());
            }
            start = end;
        }
        u32::try_from(items.len())
            .map_err(|_| Error::Limit("a sort batch larger than 4 GiB".into()))?;
        // A quarter full is enough: a chunk of COF lines fills 40-50 % of
        // a parsing thread's batch, and adopting those (counted at their
        // capacity) rather than copying them took 130 MB off the peak of
        // a 30 M build in the same time (767 against 903 MB; more, smaller
        // runs).
        let adopt = !ends.is_empty()
            && items.len() >= items.capacity() / 4
            && items.capacity() <= self.budget / 8;
        if !adopt {
            let mut start = 0;
            for (i, &end) in ends.iter().enumerate() {
                let item = items.get(start..end).unwrap_or_default();
                self.push_keyed(item, keys.get(i).copied().unwrap_or(0))?;
                start = end;
            }
            // Handed back up to 2 MiB even where that is more than an
            // eighth of a small buffer: a producer's usual batch, which
            // would otherwise be new memory every time.
            if self.returned.len() < RETURNED && items.capacity() <= (self.budget / 8).max(2 << 20)
            {
                items.clear();
                self.returned.push(items);
            }
            return Ok(());
        }
        self.reserve_index();
        let chunk = self.buf.arena.next_chunk()?;
        self.buf.idx.reserve(ends.len());
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let item = items.get(start..end).unwrap_or_default();
            self.buf.idx.push(Ix {
                prefix: prefix(item),
                // Both fit in u32, as the batch's length does.
                slot: (chunk, start as u32, (end - start) as u32),
                key: keys.get(i).copied().unwrap_or(0),
            });
            start = end;
        }
        self.buf.arena.adopt(items);
        if self.buf.bytes() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// An emptied buffer for the next batch of
    /// [`ExternalSorter::push_batch`], if one is free: a batch copied, or
    /// one adopted and since sorted.
    pub fn take_spare(&mut self) -> Option<Vec<u8>> {
        self.returned
            .pop()
            .or_else(|| self.buf.arena.batch_spare.pop())
            .or_else(|| self.spare.as_mut()?.arena.batch_spare.pop())
    }

    /// Hands the full buffer to a background thread that sorts and writes
    /// it, after waiting for the previous one: at most two buffers exist.
    fn spill(&mut self) -> Result<()> {
        if self.buf.idx.is_empty() {
            return Ok(());
        }
        self.wait_for_spill()?;
        let next = self.spare.take().unwrap_or_default();
        let buf = std::mem::replace(&mut self.buf, next);
        let (tmp_dir, equal) = (self.tmp_dir.clone(), self.equal());
        let room = self.run_budget.saturating_sub(self.run_bytes);
        let chunk = self.run_chunk;
        let parallel = (self.parallel_min, self.keep_parallel_min);
        let handle = std::thread::Builder::new()
            .name("pdnsfile-sort".into())
            .spawn(move || buf.write_run(&tmp_dir, equal, room, chunk, parallel))
            .map_err(|e| Error::io("starting a sort thread", e))?;
        self.spilling = Some(handle);
        Ok(())
    }

    fn wait_for_spill(&mut self) -> Result<()> {
        if self.failed {
            return Err(failed_before());
        }
        if let Some(h) = self.spilling.take() {
            let joined = h
                .join()
                .map_err(|_| {
                    Error::io(
                        "writing a sort run",
                        io::Error::other("the thread panicked"),
                    )
                })
                .and_then(|r| r);
            let (runs, emptied, merged) = match joined {
                Ok(r) => r,
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            };
            self.spare = Some(emptied);
            for run in runs {
                if let Run::Memory(m) = &run {
                    self.run_bytes += m.len;
                }
                self.runs.push(run);
            }
            self.combined_any |= merged.merged > 0;
            if merged.tried {
                if merged.merged.saturating_mul(COMBINE_WORTH) < merged.items {
                    self.combine_skip = COMBINE_RETRY;
                }
            } else {
                self.combine_skip = self.combine_skip.saturating_sub(1);
            }
        }
        Ok(())
    }

    /// The runs sorted so far: how many are kept in memory, how many went
    /// to files, and the bytes of those in memory.
    pub fn runs(&self) -> RunStats {
        let in_memory = self
            .runs
            .iter()
            .filter(|r| matches!(r, Run::Memory(_)))
            .count();
        RunStats {
            in_memory,
            in_files: self.runs.len() - in_memory,
            memory_bytes: self.run_bytes,
        }
    }

    /// Waits for the run being sorted, if any, so that [`ExternalSorter::runs`]
    /// counts it.
    ///
    /// # Errors
    ///
    /// I/O errors writing it.
    pub fn settle(&mut self) -> Result<()> {
        self.wait_for_spill()
    }

    /// Moves runs held in memory to files, the newest first, until they
    /// and the items not yet sorted take at most `limit` bytes; returns
    /// what they take then. A consumer that needs memory of its own while
    /// it reads the output calls this before [`ExternalSorter::finish`],
    /// with what the budget leaves it.
    ///
    /// # Errors
    ///
    /// I/O errors writing runs.
    pub fn shrink_to(&mut self, limit: usize) -> Result<usize> {
        self.wait_for_spill()?;
        // The items not yet sorted become runs of at most their bytes and
        // two short varints each (the buffer's own index is freed once
        // they are written, before the consumer's memory grows).
        let pending = self.buf.arena.len + 4 * self.buf.idx.len();
        for run in self.runs.iter_mut().rev() {
            if self.run_bytes + pending <= limit {
                break;
            }
            if let Run::Memory(m) = run {
                let len = m.len;
                let m = std::mem::replace(m, MemRun::new(1));
                self.run_bytes -= len;
                match run_to_file(m, &self.tmp_dir) {
                    Ok(f) => *run = Run::File(f),
                    Err(e) => {
                        self.failed = true;
                        return Err(e);
                    }
                }
            }
        }
        Ok(self.run_bytes + pending)
    }

    /// Sets the memory the final merge may take to read run files
    /// (a quarter of the budget unless set): each takes about
    /// [`RUN_READ_MEMORY`], and more runs than that allows (at least
    /// [`MIN_FAN_IN`]) are first merged in groups into fewer, longer
    /// ones. A small budget on a large input makes hundreds of runs,
    /// whose readers alone took several times the budget.
    pub fn set_merge_memory(&mut self, bytes: usize) {
        self.merge_memory = bytes;
    }

    /// The memory the final merge's readers of run files will take: one
    /// [`RUN_READ_MEMORY`] a file it reads at once (the runs now in files,
    /// at most the fan-in that [`ExternalSorter::set_merge_memory`]
    /// allows). Files are few on most inputs, so a caller sharing out a
    /// budget gives the rest to others.
    pub fn merge_read_memory(&self) -> usize {
        self.runs().in_files.min(self.fan_in()) * RUN_READ_MEMORY
    }

    /// How many run files the final merge reads at once at most.
    fn fan_in(&self) -> usize {
        (self.merge_memory / RUN_READ_MEMORY).max(MIN_FAN_IN)
    }

    /// Merges run files in groups until the final merge can read them
    /// all at once ([`ExternalSorter::set_merge_memory`]); returns how
    /// many groups were merged. Each group takes the oldest runs, so
    /// every item is merged about log(runs)/log(fan-in) times; the runs
    /// in memory are left as they are. [`ExternalSorter::finish`] does
    /// this; a caller that reports the runs calls it before.
    ///
    /// # Errors
    ///
    /// I/O errors reading or writing runs.
    pub fn reduce_runs(&mut self) -> Result<usize> {
        if self.failed {
            return Err(failed_before());
        }
        self.wait_for_spill()?;
        let fan_in = self.fan_in();
        let in_files = self
            .runs
            .iter()
            .filter(|r| matches!(r, Run::File(_)))
            .count();
        if in_files <= fan_in {
            return Ok(0);
        }
        let mut merges = 0;
        let mut files = std::collections::VecDeque::with_capacity(in_files);
        let mut kept = Vec::with_capacity(self.runs.len() - in_files);
        for run in self.runs.drain(..) {
            match run {
                Run::File(f) => files.push_back(f),
                memory @ Run::Memory(_) => kept.push(memory),
            }
        }
        self.runs = kept;
        while files.len() > fan_in {
            // The last group is just large enough to leave `fan_in`.
            let k = fan_in.min(files.len() - fan_in + 1);
            let group: Vec<File> = files.drain(..k).collect();
            match merge_files(group, &self.tmp_dir) {
                Ok(f) => {
                    files.push_back(f);
                    merges += 1;
                }
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
        self.runs.extend(files.into_iter().map(Run::File));
        Ok(merges)
    }

    /// Ends input and returns the items in order.
    ///
    /// # Errors
    ///
    /// I/O errors spilling or reading runs.
    pub fn finish(mut self) -> Result<SortedIter> {
        // The run before the last is written first: sorting the last
        // buffer beside it would hold both buffers and their runs at once
        // (and the sort of a full buffer is parallel, so the wait is
        // short).
        self.wait_for_spill()?;
        // The emptied buffer kept for reuse goes before the last runs
        // take their memory.
        self.spare = None;
        self.reduce_runs()?;
        // The last buffer is merged from memory: writing it out only to
        // read it back would cost a compression and a decompression.
        let (last, merged) =
            std::mem::take(&mut self.buf).into_runs(self.equal(), self.run_chunk)?;
        self.combined_any |= merged > 0;
        let mut sources = Vec::with_capacity(self.runs.len() + 2);
        let runs = self.runs.drain(..).chain(last.into_iter().map(Run::Memory));
        for run in runs {
            let inner = match run {
                Run::File(f) => RunSource::File(open_run(f)?),
                Run::Memory(m) => RunSource::Memory(m),
            };
            sources.push(RunReader {
                inner,
                cur: Vec::new(),
            });
        }
        let mut live = Vec::with_capacity(sources.len());
        for s in &mut sources {
            live.push(s.advance()?);
        }
        let merge = Merge::new(sources, live);
        Ok(SortedIter {
            merge,
            last: None,
            dedup: self.dedup,
            // Where no run found an entry's items together (distinct keys,
            // as in most exports), neither would this merge.
            combine: self.combine && self.combined_any,
        })
    }
}

/// Writes an item of a run: the length it shares with the item before,
/// the length of the rest, and the rest (`head` is scratch space).
fn put_front_coded(
    out: &mut impl Write,
    head: &mut Vec<u8>,
    shared: usize,
    item: &[u8],
) -> io::Result<()> {
    let rest = item.get(shared..).unwrap_or_default();
    head.clear();
    crate::format::put_varint(head, shared as u64);
    crate::format::put_varint(head, rest.len() as u64);
    out.write_all(head)?;
    out.write_all(rest)
}

/// Run files merged at once at least, whatever the merge memory.
pub const MIN_FAN_IN: usize = 16;

/// Merges run files into one (front-coded, compressed as any run).
fn merge_files(files: Vec<File>, tmp_dir: &PathBuf) -> Result<File> {
    let mut sources = Vec::with_capacity(files.len());
    for f in files {
        sources.push(RunReader {
            inner: RunSource::File(open_run(f)?),
            cur: Vec::new(),
        });
    }
    let mut live = Vec::with_capacity(sources.len());
    for s in &mut sources {
        live.push(s.advance()?);
    }
    let mut merge = Merge::new(sources, live);
    let ctx = |e| Error::io("writing a sort run to the temporary folder", e);
    let mut out = BufWriter::with_capacity(1 << 16, run_file(tmp_dir)?);
    let mut prev = Vec::new();
    let mut head = Vec::with_capacity(20);
    while merge.step()? {
        let item = merge.current();
        let shared = common_prefix(item, &prev);
        put_front_coded(&mut out, &mut head, shared, item).map_err(ctx)?;
        prev.clear();
        prev.extend_from_slice(item);
    }
    let enc = out
        .into_inner()
        .map_err(|e| Error::io("writing a sort run to the temporary folder", e.into_error()))?;
    end_run_file(enc)
}

/// One spilled run being read back; `cur` holds its current item.
struct RunReader {
    inner: RunSource,
    cur: Vec<u8>,
}

/// Where a run is read from: an enum rather than a `dyn BufRead`, so the
/// two calls an item makes to a run in memory are inlined.
enum RunSource {
    Memory(MemRun),
    File(BufReader<zstd::Decoder<'static, BufReader<File>>>),
}

impl Read for RunSource {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            RunSource::Memory(m) => m.read(out),
            RunSource::File(f) => f.read(out),
        }
    }
}

impl BufRead for RunSource {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            RunSource::Memory(m) => m.fill_buf(),
            RunSource::File(f) => f.fill_buf(),
        }
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        match self {
            RunSource::Memory(m) => m.consume(n),
            RunSource::File(f) => f.consume(n),
        }
    }
}

impl RunReader {
    /// Reads a varint; `None` at a clean end of the run (before its
    /// first byte).
    fn varint(&mut self) -> Result<Option<u64>> {
        let ctx = |e| Error::io("reading a sort run", e);
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ctx(e)),
            };
            let Some(&b) = buf.first() else {
                if shift == 0 {
                    return Ok(None);
                }
                return Err(ctx(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "sort run ends inside an item",
                )));
            };
            self.inner.consume(1);
            v |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return Ok(Some(v));
            }
            if shift > 63 {
                return Err(Error::corrupt("sort run", "bad length"));
            }
        }
    }

    /// Reads the next item into `cur` (front-coded against the one
    /// before); false at the end of the run.
    fn advance(&mut self) -> Result<bool> {
        // Nearly every item lies whole in the reader's buffer: it is taken
        // from there in one step. Only one cut by the buffer's end takes
        // the byte-at-a-time way below.
        let buf = match self.inner.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return self.advance_slowly(),
            Err(e) => return Err(Error::io("reading a sort run", e)),
        };
        if buf.is_empty() {
            return Ok(false);
        }
        let mut r = crate::format::Reader::new(buf, "sort run");
        if let (Ok(shared), Ok(len)) = (r.varint(), r.varint()) {
            let head = r.pos();
            let item = usize::try_from(len)
                .ok()
                .and_then(|len| buf.get(head..head.checked_add(len)?));
            if let (Some(item), Ok(shared)) = (item, usize::try_from(shared)) {
                if shared > self.cur.len() {
                    return Err(Error::corrupt("sort run", "bad length"));
                }
                self.cur.truncate(shared);
                self.cur.extend_from_slice(item);
                let used = head + item.len();
                self.inner.consume(used);
                return Ok(true);
            }
        }
        self.advance_slowly()
    }

    /// [`RunReader::advance`] for an item that straddles the buffer's end.
    fn advance_slowly(&mut self) -> Result<bool> {
        let ctx = |e| Error::io("reading a sort run", e);
        let Some(shared) = self.varint()? else {
            return Ok(false);
        };
        let bad = || Error::corrupt("sort run", "bad length");
        let len = self.varint()?.ok_or_else(bad)?;
        let shared = usize::try_from(shared).map_err(|_| bad())?;
        // Runs are this process's own temporary files, but a length is
        // still not trusted to size a buffer beyond what is there.
        if shared > self.cur.len() {
            return Err(bad());
        }
        self.cur.truncate(shared);
        let got = (&mut self.inner)
            .take(len)
            .read_to_end(&mut self.cur)
            .map_err(ctx)?;
        if got as u64 != len {
            return Err(ctx(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "sort run ends inside an item",
            )));
        }
        Ok(true)
    }
}

/// A k-way merge over a tree of losers: `tree[0]` is the source whose
/// item comes first, and each inner node `1..k` holds the source that
/// lost the match played there (leaf of source `i`: node `k + i`). After
/// the winner advances, it replays only the matches on its way to the
/// root, one comparison a level: half what a binary heap's sift-down
/// takes, which matters with a dozen runs in memory. Ties go to the lower
/// index, so output is deterministic; an exhausted source loses to every
/// other. Items stay where their source holds them: nothing is allocated
/// per item.
struct Merge {
    sources: Vec<RunReader>,
    /// Whether each source still has a current item.
    live: Vec<bool>,
    tree: Vec<usize>,
    /// The source whose item was handed out last, to advance before the
    /// next one.
    advance: Option<usize>,
}

impl Merge {
    /// A merge of `sources`, each already moved to its first item (or
    /// exhausted, as `live` says).
    fn new(sources: Vec<RunReader>, live: Vec<bool>) -> Merge {
        let k = sources.len();
        let mut merge = Merge {
            sources,
            live,
            tree: vec![0; k.max(1)],
            advance: None,
        };
        // Winners of the subtrees, built bottom-up; losers stay in `tree`.
        let mut winner = vec![0usize; k];
        for node in (1..k).rev() {
            let side = |c: usize| {
                if c >= k {
                    c - k
                } else {
                    winner.get(c).copied().unwrap_or(0)
                }
            };
            let (a, b) = (side(2 * node), side(2 * node + 1));
            let (win, lose) = if merge.first(b, a) { (b, a) } else { (a, b) };
            if let (Some(w), Some(l)) = (winner.get_mut(node), merge.tree.get_mut(node)) {
                *w = win;
                *l = lose;
            }
        }
        if let Some(root) = merge.tree.first_mut() {
            *root = if k > 1 {
                winner.get(1).copied().unwrap_or(0)
            } else {
                0
            };
        }
        merge
    }

    /// Whether source `a`'s item comes before source `b`'s.
    fn first(&self, a: usize, b: usize) -> bool {
        match (self.live.get(a), self.live.get(b)) {
            (Some(true), Some(true)) => {}
            (Some(true), _) => return true,
            _ => return false,
        }
        let item = |i: usize| self.sources.get(i).map(|s| s.cur.as_slice());
        match item(a).cmp(&item(b)) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => a < b,
            std::cmp::Ordering::Greater => false,
        }
    }

    /// Replays the matches from source `i`'s leaf to the root.
    fn replay(&mut self, i: usize) {
        let k = self.sources.len();
        let mut cur = i;
        let mut node = (k + i) / 2;
        while node >= 1 {
            let Some(&other) = self.tree.get(node) else {
                break;
            };
            if self.first(other, cur) {
                if let Some(t) = self.tree.get_mut(node) {
                    *t = cur;
                }
                cur = other;
            }
            node /= 2;
        }
        if let Some(root) = self.tree.first_mut() {
            *root = cur;
        }
    }

    /// Moves to the next item; false when every source is exhausted.
    fn step(&mut self) -> Result<bool> {
        if let Some(i) = self.advance.take() {
            let more = match self.sources.get_mut(i) {
                Some(s) => s.advance()?,
                None => false,
            };
            if let Some(l) = self.live.get_mut(i) {
                *l = more;
            }
            self.replay(i);
        }
        let top = self.tree.first().copied().unwrap_or(0);
        let live = self.live.get(top).copied().unwrap_or(false);
        self.advance = live.then_some(top);
        Ok(live)
    }

    fn current(&self) -> &[u8] {
        self.advance
            .and_then(|i| self.sources.get(i))
            .map(|s| s.cur.as_slice())
            .unwrap_or_default()
    }
}

/// The sorted output of an [`ExternalSorter`].
pub struct SortedIter {
    merge: Merge,
    /// The previous item, when deduplicating.
    last: Option<Vec<u8>>,
    dedup: bool,
    /// Whether [`SortedIter::send_batches`] merges the items of one entry
    /// that come from different runs ([`ExternalSorter::combine_entries`]).
    combine: bool,
}

impl SortedIter {
    /// The next item, borrowed until the next call: the way to read the
    /// output without an allocation per item.
    ///
    /// # Errors
    ///
    /// I/O errors reading runs, and corrupt runs.
    pub fn next_ref(&mut self) -> Result<Option<&[u8]>> {
        loop {
            if !self.merge.step()? {
                return Ok(None);
            }
            if !self.dedup {
                break;
            }
            let had = self.last.is_some();
            let mut last = self.last.take().unwrap_or_default();
            let dup = had && last.as_slice() == self.merge.current();
            if !dup {
                last.clear();
                last.extend_from_slice(self.merge.current());
            }
            self.last = Some(last);
            if !dup {
                break;
            }
        }
        Ok(Some(self.merge.current()))
    }
}

impl SortedIter {
    /// Reads the items into batches of about 256 KiB and sends them in
    /// order until the end, an error (sent too) or a receiver that is
    /// gone. Run on a thread of its own, this takes the merge off the
    /// consumer's thread: one batch per send keeps the channel's cost per
    /// item near zero.
    ///
    /// For a sorter that merges the items of one entry, so does this: the
    /// runs merged each entry's items within themselves, and an entry
    /// seen in several runs (a capture's popular answers) leaves here as
    /// one item too, rather than as several for the consumer (the
    /// writer's thread, the busiest) to merge.
    pub fn send_batches(mut self, tx: &std::sync::mpsc::SyncSender<Result<SortedBatch>>) {
        // The key part of the batch's last item (with its terminator,
        // which a longer key cannot share, so that an item starting with
        // it has the same key), and a buffer for merges.
        let mut key_len = 0;
        let mut merged = Vec::new();
        let combine = self.combine;
        loop {
            let mut batch = SortedBatch {
                items: Vec::with_capacity(BATCH_BYTES + 4096),
                ends: Vec::new(),
            };
            // Where the batch's last item starts.
            let mut last_start = 0;
            let mut failed = None;
            while batch.items.len() < BATCH_BYTES {
                match self.next_ref() {
                    Ok(Some(item)) => {
                        if combine && !batch.ends.is_empty() && key_len > 0 {
                            let last = batch.items.get(last_start..).unwrap_or_default();
                            if item.get(..key_len) == last.get(..key_len) {
                                if let Err(e) =
                                    crate::sortkey::combine_at(last, item, key_len, &mut merged)
                                {
                                    failed = Some(e);
                                    break;
                                }
                                batch.items.truncate(last_start);
                                batch.items.extend_from_slice(&merged);
                                if let Some(end) = batch.ends.last_mut() {
                                    *end = batch.items.len();
                                }
                                continue;
                            }
                        }
                        if combine {
                            key_len = crate::sortkey::key_len(item).unwrap_or(0);
                        }
                        last_start = batch.items.len();
                        batch.items.extend_from_slice(item);
                        batch.ends.push(batch.items.len());
                    }
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let last = failed.is_some() || batch.items.len() < BATCH_BYTES;
            if !batch.ends.is_empty() && tx.send(Ok(batch)).is_err() {
                return;
            }
            if let Some(e) = failed {
                let _ = tx.send(Err(e));
                return;
            }
            if last {
                return;
            }
        }
    }
}

/// Item `i` of items stored back to back in `data`, `ends` their end
/// offsets (as a [`SortedBatch`] and a decoded name block hold them).
pub(crate) fn nth_of<'d>(data: &'d [u8], ends: &[usize], i: usize) -> Option<&'d [u8]> {
    let end = *ends.get(i)?;
    let start = match i.checked_sub(1) {
        Some(p) => *ends.get(p)?,
        None => 0,
    };
    data.get(start..end)
}

/// Bytes of items per [`SortedBatch`].
const BATCH_BYTES: usize = 256 << 10;

/// Consecutive sorted items, as [`SortedIter::send_batches`] hands them
/// over.
pub struct SortedBatch {
    /// Items back to back; `ends` are their end offsets.
    items: Vec<u8>,
    ends: Vec<usize>,
}

impl SortedBatch {
    /// An empty batch with room for [`BATCH_BYTES`] of items.
    pub(crate) fn with_room() -> SortedBatch {
        SortedBatch {
            items: Vec::with_capacity(BATCH_BYTES + 4096),
            ends: Vec::new(),
        }
    }

    /// Appends an item; returns whether the batch is full.
    pub(crate) fn push(&mut self, item: &[u8]) -> bool {
        self.items.extend_from_slice(item);
        self.ends.push(self.items.len());
        self.items.len() >= BATCH_BYTES
    }

    /// How many items the batch holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no item.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i`, if the batch has that many.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        nth_of(&self.items, &self.ends, i)
    }

    /// The items, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let item = self.items.get(start..end).unwrap_or_default();
            start = end;
            item
        })
    }
}

impl Iterator for SortedIter {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|o| o.map(<[u8]>::to_vec)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_at_every_position() {
        let a: Vec<u8> = (0..40u8).collect();
        for len in 0..=40 {
            for cut in 0..=len {
                let mut b = a[..len].to_vec();
                if cut < len {
                    b[cut] ^= 0x80;
                }
                assert_eq!(common_prefix(&a, &b), cut, "len {len} cut {cut}");
                assert_eq!(common_prefix(&b, &a), cut, "len {len} cut {cut}");
            }
        }
    }

    #[test]
    fn runs_with_long_shared_prefixes_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ExternalSorter::new(1, dir.path().to_path_buf(), false);
        let mut expect = Vec::new();
        for i in 0..20_000u32 {
            // Shared prefixes of 0 to 60 bytes, and items that are
            // prefixes of others.
            let mut v = vec![b'x'; (i % 61) as usize];
            v.extend_from_slice(&(i % 997).to_be_bytes()[..(i % 5) as usize]);
            expect.push(v.clone());
            s.push(&v).unwrap();
        }
        expect.sort();
        let got: Vec<Vec<u8>> = s.finish().unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn runs_kept_in_memory_and_runs_in_files_merge() {
        let dir = tempfile::tempdir().unwrap();
        for chunk in [13, 500, 1 << 20] {
            // Buffers of 64 KiB and room for about four runs in memory:
            // the first runs stay there (cut into chunks of `chunk` bytes,
            // so items straddle chunks), the later ones go to files.
            let mut s = ExternalSorter::with_buffer(
                3 * (64 << 10) + 150_000,
                64 << 10,
                dir.path().to_path_buf(),
                false,
            );
            s.run_chunk = chunk;
            let mut expect = Vec::new();
            for i in 0..30_000u32 {
                let mut v = b"com.example."[..(i % 13) as usize].to_vec();
                v.extend_from_slice(&(i.wrapping_mul(2_654_435_761) % 9_973).to_be_bytes());
                v.extend(std::iter::repeat_n(b'z', (i % 23) as usize));
                expect.push(v.clone());
                s.push(&v).unwrap();
            }
            s.wait_for_spill().unwrap();
            let in_memory = s
                .runs
                .iter()
                .filter(|r| matches!(r, Run::Memory(_)))
                .count();
            let in_files = s.runs.len() - in_memory;
            assert!(
                in_memory >= 2 && in_files >= 2,
                "{in_memory} in memory, {in_files} in files"
            );
            assert!(s.run_bytes <= s.run_budget);
            expect.sort();
            let got: Vec<_> = s.finish().unwrap().map(Result::unwrap).collect();
            assert_eq!(got, expect, "chunks of {chunk} bytes");
        }
    }

    /// The merge's readers need a buffer a run file, never more files
    /// than the fan-in, and nothing for runs kept in memory: a budget
    /// shared out on this leaves the rest to the writer.
    #[test]
    fn merge_read_memory_counts_the_files_the_merge_reads() {
        let dir = tempfile::tempdir().unwrap();
        let fill = |s: &mut ExternalSorter| {
            for i in 0..30_000u32 {
                s.push(&i.wrapping_mul(2_654_435_761).to_be_bytes())
                    .unwrap();
            }
            s.wait_for_spill().unwrap();
        };
        // Room for every run in memory.
        let mut s = ExternalSorter::with_buffer(64 << 20, 64 << 10, dir.path().into(), false);
        fill(&mut s);
        assert_eq!(s.runs().in_files, 0);
        assert_eq!(s.merge_read_memory(), 0);
        // No room: every run is a file, read at most MIN_FAN_IN at once
        // under a merge budget that allows fewer.
        let mut s = ExternalSorter::with_buffer(0, 16 << 10, dir.path().into(), false);
        s.set_merge_memory(RUN_READ_MEMORY);
        fill(&mut s);
        let files = s.runs().in_files;
        assert!(files > MIN_FAN_IN, "{files} files");
        assert_eq!(s.merge_read_memory(), MIN_FAN_IN * RUN_READ_MEMORY);
        s.set_merge_memory(usize::MAX);
        assert_eq!(s.merge_read_memory(), files * RUN_READ_MEMORY);
    }

    #[test]
    fn a_run_in_memory_reads_back_what_was_written_and_frees_its_chunks() {
        let mut run = MemRun::new(10);
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for piece in data.chunks(37) {
            run.write_all(piece).unwrap();
        }
        assert_eq!(run.len, 1000);
        assert_eq!(run.chunks.len(), 100);
        let mut back = Vec::new();
        let mut part = [0u8; 33];
        loop {
            let n = run.read(&mut part).unwrap();
            if n == 0 {
                break;
            }
            back.extend_from_slice(&part[..n]);
            // Chunks read to their end are gone.
            assert!(run.chunks.len() <= 100 - back.len() / 10 + 1);
        }
        assert_eq!(back, data);
        assert!(run.fill_buf().unwrap().is_empty());
        assert!(run.chunks.is_empty());
    }

    #[test]
    fn small_writes_fill_each_chunk_to_its_end_and_read_back() {
        // Pieces of 0 to 12 bytes into chunks of 64: most fit the last
        // chunk (the inlined path), some straddle two.
        let mut run = MemRun::new(64);
        let mut data = Vec::new();
        let mut next = 0u8;
        for i in 0..500 {
            let piece: Vec<u8> = (0..i % 13)
                .map(|_| {
                    next = next.wrapping_add(7);
                    next
                })
                .collect();
            run.write_all(&piece).unwrap();
            data.extend_from_slice(&piece);
        }
        assert_eq!(run.len, data.len());
        assert_eq!(run.chunks.len(), data.len().div_ceil(64));
        assert!(run
            .chunks
            .iter()
            .rev()
            .skip(1)
            .all(|(m, used)| *used == m.len()));
        let mut back = Vec::new();
        run.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn a_run_that_cannot_be_written_fails_every_later_call() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder");
        let mut s = ExternalSorter::new(1, missing, false);
        let mut errors = 0;
        for i in 0..20_000u32 {
            if s.push(&i.to_be_bytes()).is_err() {
                errors += 1;
            }
        }
        // The first failure is reported by the push after the spill, and
        // every push after it fails as well: no item is dropped quietly.
        assert!(errors > 1, "{errors} failed pushes");
        assert!(s.push(b"x").is_err());
        assert!(s.shrink_to(0).is_err());
        assert!(s.finish().is_err());
    }

    /// Sorts 40 batches of 500 items (of every length from 0 to 40
    /// bytes, some repeated) each way: by item and by batch, into a
    /// buffer of `buffer` bytes, the batches `per_batch` items of new
    /// buffers of `capacity` bytes. Returns how many batch buffers the
    /// sort gave back.
    fn batches_against_items(buffer: usize, per_batch: usize, capacity: usize) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let mut by_item = ExternalSorter::with_buffer(1 << 21, buffer, dir.path().into(), false);
        let mut by_batch = ExternalSorter::with_buffer(1 << 21, buffer, dir.path().into(), false);
        let mut spares = 0;
        let mut items = Vec::with_capacity(capacity);
        let mut ends = Vec::new();
        for n in 0..20_000u32 {
            let v = n.wrapping_mul(2_654_435_761) % 20_000;
            let len = (v % 41) as usize;
            let item: Vec<u8> = v.to_be_bytes().iter().cycle().take(len).copied().collect();
            by_item.push(&item).unwrap();
            items.extend_from_slice(&item);
            ends.push(items.len());
            if ends.len() == per_batch || n == 19_999 {
                let next = match by_batch.take_spare() {
                    Some(v) => {
                        assert!(v.is_empty());
                        spares += 1;
                        v
                    }
                    None => Vec::with_capacity(capacity),
                };
                by_batch
                    .push_batch(std::mem::replace(&mut items, next), &ends, &[])
                    .unwrap();
                ends.clear();
            }
        }
        // Memory held is counted, whether the batches are adopted or not.
        assert!(by_batch.buf.bytes() <= buffer + capacity);
        let expect: Vec<_> = by_item.finish().unwrap().map(Result::unwrap).collect();
        let got: Vec<_> = by_batch.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(got.len(), 20_000);
        assert_eq!(got, expect);
        spares
    }

    #[test]
    fn batches_sort_as_their_items_pushed_one_by_one() {
        // Full batches, small beside the buffer: adopted, and given back
        // once the buffer holding them is sorted.
        let adopted = batches_against_items(1 << 18, 500, 10_000);
        assert!(adopted > 10, "the sort gave back {adopted} buffers");
        // Batches large beside the buffer are copied, so the buffer
        // spills where one item at a time would.
        batches_against_items(1 << 16, 500, 10_000);
        // Mostly empty batches (the ends of small files) are copied, and
        // each buffer given back for the next.
        let copied = batches_against_items(1 << 18, 20, 32 << 10);
        assert!(copied > 900, "the sort gave back {copied} buffers");
    }

    #[test]
    fn mostly_empty_batches_do_not_hold_their_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ExternalSorter::with_buffer(1 << 24, 1 << 22, dir.path().into(), false);
        // Each batch its own new 256 KiB buffer, with 32 bytes in it: held
        // whole, 3000 of them took 750 MiB in a buffer of 4 MiB.
        for i in 0..3000u32 {
            let mut items = Vec::with_capacity(256 << 10);
            items.extend_from_slice(&[i.to_be_bytes(); 8].concat());
            s.push_batch(items, &[16, 32], &[]).unwrap();
        }
        assert!(
            s.buf.arena.chunks.len() <= 2,
            "{}",
            s.buf.arena.chunks.len()
        );
        assert!(s.returned.len() <= RETURNED);
        assert_eq!(s.finish().unwrap().count(), 6000);
    }

    #[test]
    fn a_batch_whose_ends_are_not_its_items_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ExternalSorter::new(1 << 20, dir.path().into(), false);
        assert!(s.push_batch(b"abcdef".to_vec(), &[2, 1], &[]).is_err());
        assert!(s.push_batch(b"abcdef".to_vec(), &[2, 7], &[]).is_err());
        assert!(s.push_batch(b"abcdef".to_vec(), &[6], &[7]).is_err());
        assert!(s.push_batch(b"abcdef".to_vec(), &[6], &[5, 5]).is_err());
        s.push_batch(b"abcdef".to_vec(), &[], &[]).unwrap();
        s.push_batch(b"abcdef".to_vec(), &[3, 3, 6], &[]).unwrap();
        let got: Vec<_> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(got, [b"".to_vec(), b"abc".to_vec(), b"def".to_vec()]);
    }

    #[test]
    fn sorts_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ExternalSorter::new(1, dir.path().to_path_buf(), true);
        let mut expect = Vec::new();
        for i in 0..100_000u32 {
            let v = (i.wrapping_mul(2_654_435_761) % 50_000)
                .to_be_bytes()
                .to_vec();
            expect.push(v.clone());
            s.push(&v).unwrap();
        }
        expect.sort();
        expect.dedup();
        let got: Vec<_> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn many_runs_are_merged_in_groups_first() {
        let dir = tempfile::tempdir().unwrap();
        // Buffers of 64 KiB, no room for runs in memory, and the least
        // merge memory: a run file every 1260 items, 16 read at once.
        let mut s = ExternalSorter::new(1, dir.path().to_path_buf(), false);
        s.set_merge_memory(0);
        let mut expect = Vec::new();
        for i in 0..150_000u32 {
            let v = (i.wrapping_mul(2_654_435_761) % 70_000).to_be_bytes();
            expect.push(v.to_vec());
            s.push(&v).unwrap();
        }
        let merges = s.reduce_runs().unwrap();
        let runs = s.runs();
        assert!(merges >= 6, "{merges} group merges");
        assert!(runs.in_files <= MIN_FAN_IN, "{} runs left", runs.in_files);
        assert_eq!(s.reduce_runs().unwrap(), 0);
        expect.sort();
        let got: Vec<_> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(got.len(), expect.len());
        assert!(got == expect);
    }

    #[test]
    fn items_that_share_their_prefix_sort_by_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ExternalSorter::new(1 << 17, dir.path().to_path_buf(), false);
        let mut expect = Vec::new();
        for i in 0..20_000u32 {
            // 0 to 31 bytes of a shared prefix, then a varying tail.
            let mut v = b"com.example.www.shared.prefix.x"
                .get(..(i % 32) as usize)
                .unwrap()
                .to_vec();
            v.extend_from_slice(&(i.wrapping_mul(2_654_435_761) % 1_000).to_be_bytes());
            expect.push(v.clone());
            s.push(&v).unwrap();
        }
        expect.sort();
        let got: Vec<_> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn merges_many_runs_without_losing_duplicates_or_empty_items() {
        let dir = tempfile::tempdir().unwrap();
        for (dedup, parallel_min) in [
            (false, PARALLEL_SORT),
            (true, PARALLEL_SORT),
            (false, 2),
            (true, 2),
        ] {
            let mut s = ExternalSorter::new(1, dir.path().to_path_buf(), dedup);
            // With 2, every spilled buffer is sorted as two halves and
            // merged (equal items in both halves included).
            s.keep_parallel_min = parallel_min;
            let mut expect = Vec::new();
            for i in 0..60_000u32 {
                // Lengths 0 to 11, many equal items, across ~20 runs.
                let v: Vec<u8> = (i.wrapping_mul(2_654_435_761) % 7_919)
                    .to_string()
                    .repeat((i % 4) as usize)
                    .into_bytes();
                expect.push(v.clone());
                s.push(&v).unwrap();
            }
            expect.sort();
            if dedup {
                expect.dedup();
            }
            let mut it = s.finish().unwrap();
            let mut got = Vec::new();
            while let Some(item) = it.next_ref().unwrap() {
                got.push(item.to_vec());
            }
            assert_eq!(got, expect);
            assert!(it.next_ref().unwrap().is_none());
        }
    }

    /// Every item of `it`, aggregated by key as the writer aggregates.
    fn aggregated(mut it: SortedIter) -> (Vec<crate::Entry>, usize) {
        let mut out: Vec<crate::Entry> = Vec::new();
        let mut n = 0;
        while let Some(item) = it.next_ref().unwrap() {
            n += 1;
            let e = crate::sortkey::decode(item).unwrap();
            match out.last_mut() {
                Some(last)
                    if (&last.rrname, last.rrtype, &last.rdata)
                        == (&e.rrname, e.rrtype, &e.rdata) =>
                {
                    last.merge(&e);
                }
                _ => out.push(e),
            }
        }
        (out, n)
    }

    /// [`aggregated`] of what [`SortedIter::send_batches`] hands out, and
    /// the number of batches; also checks that no batch holds two items of
    /// one key when the sorter combines.
    fn aggregated_batches(it: SortedIter) -> (Vec<crate::Entry>, usize, usize) {
        let combine = it.combine;
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let merging = std::thread::spawn(move || it.send_batches(&tx));
        let mut out: Vec<crate::Entry> = Vec::new();
        let (mut n, mut batches) = (0, 0);
        for batch in rx {
            let batch = batch.unwrap();
            batches += 1;
            let mut prev: Option<crate::Entry> = None;
            for item in batch.iter() {
                n += 1;
                let e = crate::sortkey::decode(item).unwrap();
                let key = |e: &crate::Entry| (e.rrname.clone(), e.rrtype, e.rdata.clone());
                if combine {
                    assert!(prev.as_ref().is_none_or(|p| key(p) != key(&e)), "{e:?}");
                }
                match out.last_mut() {
                    Some(last) if key(last) == key(&e) => last.merge(&e),
                    _ => out.push(e.clone()),
                }
                prev = Some(e);
            }
        }
        merging.join().unwrap();
        (out, n, batches)
    }

    #[test]
    fn runs_that_combine_equal_keys_aggregate_to_the_same_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut items = Vec::new();
        for _ in 0..40_000 {
            // Few keys, many observations of each, with every payload
            // field varying: times, unknown counts, sources, bailiwicks.
            let name = format!("h{}.zone{}.example", rnd(40), rnd(30));
            let (t, r) = if rnd(2) == 0 {
                (1, format!("192.0.2.{}", rnd(3)))
            } else {
                (5, format!("c{}.example", rnd(2)))
            };
            let first = 1_700_000_000 + rnd(1000);
            let count = if rnd(5) == 0 { None } else { Some(rnd(4)) };
            let mut e = crate::Entry::new(&name, t, &r, first, first + rnd(50), count).unwrap();
            for _ in 0..rnd(3) {
                e.add_source(["a", "pcap:b", "zeek:c"][rnd(3) as usize]);
            }
            if rnd(4) == 0 {
                e.bailiwick = Some(["example", "zone1.example"][rnd(2) as usize].into());
            }
            items.push(crate::sortkey::encode(&e));
        }
        let sorter = |combine: bool, budget: usize, buffer: usize| {
            let mut s =
                ExternalSorter::with_buffer(budget, buffer, dir.path().to_path_buf(), false);
            s.run_chunk = 100;
            // Spilled buffers sorted as two halves and merged, down to
            // tiny ones.
            s.parallel_min = 2;
            if combine {
                s.combine_entries();
            }
            for i in &items {
                s.push(i).unwrap();
            }
            s.finish().unwrap()
        };
        let sorted = |combine: bool, budget: usize, buffer: usize| {
            aggregated(sorter(combine, budget, buffer))
        };
        let (want, n) = sorted(false, 1 << 30, 1 << 30);
        assert_eq!(n, items.len());
        assert!(want.len() < items.len() / 4, "{} keys", want.len());
        // One buffer (two runs in memory), several runs kept in memory,
        // and runs in files.
        for (budget, buffer) in [(1 << 30, 1 << 30), (8 << 20, 1 << 16), (1, 1 << 16)] {
            let (got, n) = sorted(true, budget, buffer);
            assert_eq!(got, want, "{budget} {buffer}");
            // The runs did merge: fewer items came out than went in, far
            // fewer from one buffer.
            let most = if buffer == 1 << 30 {
                items.len() / 2
            } else {
                items.len()
            };
            assert!(n < most, "{budget} {buffer}: {n} items out");
            // Handed out in batches, an entry's items from several runs
            // are one item but where a batch ends.
            let (got, n, batches) = aggregated_batches(sorter(true, budget, buffer));
            assert_eq!(got, want, "{budget} {buffer}");
            assert!(
                n <= want.len() + batches,
                "{budget} {buffer}: {n} items out"
            );
        }
    }

    #[test]
    fn combining_refuses_different_keys_and_non_items() {
        let a = crate::sortkey::encode(
            &crate::Entry::new("a.example", 1, "192.0.2.1", 1, 2, Some(1)).unwrap(),
        );
        let b = crate::sortkey::encode(
            &crate::Entry::new("a.example", 1, "192.0.2.2", 1, 2, Some(1)).unwrap(),
        );
        let mut out = Vec::new();
        assert!(crate::sortkey::combine(&a, &b, &mut out).is_err());
        assert!(crate::sortkey::combine(&a, b"junk", &mut out).is_err());
        crate::sortkey::combine(&a, &a, &mut out).unwrap();
        let e = crate::sortkey::decode(&out).unwrap();
        assert_eq!((e.time_first, e.time_last, e.count), (1, 2, Some(2)));
    }

    #[test]
    fn runs_stop_looking_for_equal_keys_where_there_are_none_and_look_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ExternalSorter::with_buffer(1 << 30, 1 << 16, dir.path().to_path_buf(), false);
        s.combine_entries();
        let item = |name: String, t: u64| {
            crate::sortkey::encode(
                &crate::Entry::new(&name, 1, "192.0.2.1", t, t, Some(1)).unwrap(),
            )
        };
        // Distinct keys: the first run finds nothing to merge, so the next
        // ones do not look.
        for i in 0..3_000 {
            s.push(&item(format!("u{i}.example"), 1)).unwrap();
        }
        s.settle().unwrap();
        assert!(s.runs().in_memory >= 3);
        assert!(s.combine_skip > 0, "{}", s.combine_skip);
        // Then repeats: a later run looks again, merges, and they keep
        // merging.
        for i in 0..30_000u64 {
            s.push(&item(format!("r{}.example", i % 50), i)).unwrap();
        }
        s.settle().unwrap();
        assert_eq!(s.combine_skip, 0);
        let (entries, _) = aggregated(s.finish().unwrap());
        assert_eq!(entries.len(), 3_050);
        let r0 = entries.iter().find(|e| e.rrname == "r0.example").unwrap();
        assert_eq!(
            (r0.time_first, r0.time_last, r0.count),
            (0, 29_950, Some(600))
        );
    }

    #[test]
    fn a_large_budget_does_not_reserve_a_large_index() {
        let dir = tempfile::tempdir().unwrap();
        // 8 GiB buffers: the index would have reserved 134 M entries (6
        // GiB of address space), which `ulimit -v` refuses.
        let mut s = ExternalSorter::with_buffer(64 << 30, 8 << 30, dir.path().to_path_buf(), false);
        s.push(b"one").unwrap();
        assert!(s.buf.idx.capacity() <= 2 * MAX_INDEX_RESERVE);
        let mut small =
            ExternalSorter::with_buffer(1 << 20, 1 << 20, dir.path().to_path_buf(), false);
        small.push(b"one").unwrap();
        assert!(small.buf.idx.capacity() >= (1 << 20) / (ITEM_OVERHEAD + 16));
    }
}
