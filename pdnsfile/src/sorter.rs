//! A bounded-memory external sort of byte strings.
//!
//! Items are buffered until `budget` bytes, sorted, and spilled as a
//! zstd-compressed run to an anonymous temporary file; `finish` merges the
//! runs with a heap. Memory stays near the budget whatever the input size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// Sorts byte strings (lexicographically) within a memory budget.
pub struct ExternalSorter {
    /// Items back to back in fixed-size chunks; `idx` holds (chunk,
    /// start, length) of each. One arena instead of a `Vec` per item saves
    /// an allocation per push, and chunks instead of one growing `Vec`
    /// mean no doubling copy ever holds twice the budget.
    /// instead of a `Vec` per item saves an allocation per push.
    arena: Arena,
    /// Each item's first eight bytes (big-endian, zero-padded) and slot:
    /// most comparisons are decided by the integer without touching the
    /// arena.
    idx: Vec<(u64, Slot)>,
    budget: usize,
    runs: Vec<File>,
    tmp_dir: PathBuf,
    dedup: bool,
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
    /// Bytes stored.
    len: usize,
}

impl Arena {
    fn push(&mut self, item: &[u8]) -> Result<Slot> {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= item.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(item.len())));
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

    fn get(&self, (chunk, start, len): Slot) -> &[u8] {
        let start = start as usize;
        self.chunks
            .get(chunk as usize)
            .and_then(|c| c.get(start..start + len as usize))
            .unwrap_or_default()
    }
}

/// Per-item overhead counted against the budget (its index entry), so
/// many tiny items cannot exceed it.
const ITEM_OVERHEAD: usize = std::mem::size_of::<(u64, Slot)>();

/// An item's first eight bytes as a big-endian integer, zero-padded, so
/// comparing prefixes compares items unless the prefixes are equal.
fn prefix(item: &[u8]) -> u64 {
    let mut p = [0u8; 8];
    let n = item.len().min(8);
    if let (Some(dst), Some(src)) = (p.get_mut(..n), item.get(..n)) {
        dst.copy_from_slice(src);
    }
    u64::from_be_bytes(p)
}

impl ExternalSorter {
    /// A sorter that spills to `tmp_dir` beyond `budget` bytes. With
    /// `dedup`, equal items come out once.
    pub fn new(budget: usize, tmp_dir: PathBuf, dedup: bool) -> ExternalSorter {
        ExternalSorter {
            arena: Arena::default(),
            idx: Vec::new(),
            budget: budget.max(1 << 16),
            runs: Vec::new(),
            tmp_dir,
            dedup,
        }
    }

    /// Adds one item.
    ///
    /// # Errors
    ///
    /// I/O errors while spilling a run.
    pub fn push(&mut self, item: &[u8]) -> Result<()> {
        let slot = self.arena.push(item)?;
        self.idx.push((prefix(item), slot));
        if self.arena.len + self.idx.len() * ITEM_OVERHEAD >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the index (and drops duplicates when asked).
    fn sort_buffer(&mut self) {
        let arena = &self.arena;
        let get = |s: &Slot| arena.get(*s);
        self.idx
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| get(&a.1).cmp(get(&b.1))));
        if self.dedup {
            self.idx
                .dedup_by(|a, b| a.0 == b.0 && get(&a.1) == get(&b.1));
        }
    }

    fn spill(&mut self) -> Result<()> {
        if self.idx.is_empty() {
            return Ok(());
        }
        self.sort_buffer();
        let ctx = |e| Error::io("writing a sort run to the temporary folder", e);
        let file = tempfile::tempfile_in(&self.tmp_dir).map_err(ctx)?;
        let mut enc = zstd::Encoder::new(BufWriter::new(file), 1).map_err(ctx)?;
        let mut len = Vec::with_capacity(10);
        for (_, slot) in &self.idx {
            let item = self.arena.get(*slot);
            len.clear();
            crate::format::put_varint(&mut len, item.len() as u64);
            enc.write_all(&len).map_err(ctx)?;
            enc.write_all(item).map_err(ctx)?;
        }
        self.idx = Vec::new();
        self.arena = Arena::default();
        let mut file = enc
            .finish()
            .map_err(ctx)?
            .into_inner()
            .map_err(|e| ctx(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(ctx)?;
        self.runs.push(file);
        Ok(())
    }

    /// Ends input and returns the items in order.
    ///
    /// # Errors
    ///
    /// I/O errors spilling or reading runs.
    pub fn finish(mut self) -> Result<SortedIter> {
        if self.runs.is_empty() {
            self.sort_buffer();
            return Ok(SortedIter {
                inner: Inner::Memory {
                    arena: std::mem::take(&mut self.arena),
                    idx: std::mem::take(&mut self.idx).into_iter(),
                    cur: (0, 0, 0),
                },
                last: None,
                dedup: self.dedup,
            });
        }
        self.spill()?;
        let mut readers = Vec::with_capacity(self.runs.len());
        for f in self.runs.drain(..) {
            let dec = zstd::Decoder::new(f).map_err(|e| Error::io("reading a sort run", e))?;
            let mut r = RunReader {
                inner: BufReader::with_capacity(1 << 16, dec),
                cur: Vec::new(),
            };
            if r.advance()? {
                readers.push(r);
            }
        }
        let mut merge = Merge {
            heap: (0..readers.len()).collect(),
            readers,
            advance: None,
        };
        for i in (0..merge.heap.len() / 2).rev() {
            merge.sift_down(i);
        }
        Ok(SortedIter {
            inner: Inner::Runs(merge),
            last: None,
            dedup: self.dedup,
        })
    }
}

/// One spilled run being read back; `cur` holds its current item.
struct RunReader {
    inner: BufReader<zstd::Decoder<'static, BufReader<File>>>,
    cur: Vec<u8>,
}

impl RunReader {
    /// Reads the next item into `cur`; false at the end of the run.
    fn advance(&mut self) -> Result<bool> {
        let ctx = |e| Error::io("reading a sort run", e);
        let mut len: u64 = 0;
        let mut shift = 0;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ctx(e)),
            };
            let Some(&b) = buf.first() else {
                if shift == 0 {
                    return Ok(false);
                }
                return Err(ctx(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "sort run ends inside an item",
                )));
            };
            self.inner.consume(1);
            len |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
            if shift > 63 {
                return Err(Error::corrupt("sort run", "bad length"));
            }
        }
        let len = usize::try_from(len).map_err(|_| Error::corrupt("sort run", "bad length"))?;
        // Runs are this process's own temporary files, but a length is
        // still not trusted to size a buffer beyond what is there.
        self.cur.clear();
        let got = (&mut self.inner)
            .take(len as u64)
            .read_to_end(&mut self.cur)
            .map_err(ctx)?;
        if got != len {
            return Err(ctx(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "sort run ends inside an item",
            )));
        }
        Ok(true)
    }
}

/// A k-way merge of runs: a binary min-heap of reader indices, ordered
/// by the readers' current items (ties by index, so output is
/// deterministic). Items stay in the readers' buffers: nothing is
/// allocated per item.
struct Merge {
    readers: Vec<RunReader>,
    heap: Vec<usize>,
    /// The reader whose item was handed out last, to advance before the
    /// next one.
    advance: Option<usize>,
}

impl Merge {
    fn less(&self, a: usize, b: usize) -> bool {
        let item = |i: usize| self.readers.get(i).map(|r| r.cur.as_slice());
        match item(a).cmp(&item(b)) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => a < b,
            std::cmp::Ordering::Greater => false,
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut m = i;
            let at = |k: usize| self.heap.get(k).copied();
            if let (Some(x), Some(y)) = (at(l), at(m)) {
                if self.less(x, y) {
                    m = l;
                }
            }
            if let (Some(x), Some(y)) = (at(r), at(m)) {
                if self.less(x, y) {
                    m = r;
                }
            }
            if m == i {
                return;
            }
            self.heap.swap(i, m);
            i = m;
        }
    }

    /// Moves to the next item; false when every run is exhausted.
    fn step(&mut self) -> Result<bool> {
        if let Some(i) = self.advance.take() {
            let more = match self.readers.get_mut(i) {
                Some(r) => r.advance()?,
                None => false,
            };
            if !more {
                let last = self.heap.pop();
                if let (Some(last), Some(root)) = (last, self.heap.first_mut()) {
                    *root = last;
                }
            }
            self.sift_down(0);
        }
        self.advance = self.heap.first().copied();
        Ok(self.advance.is_some())
    }

    fn current(&self) -> &[u8] {
        self.advance
            .and_then(|i| self.readers.get(i))
            .map(|r| r.cur.as_slice())
            .unwrap_or_default()
    }
}

enum Inner {
    Memory {
        arena: Arena,
        idx: std::vec::IntoIter<(u64, Slot)>,
        cur: Slot,
    },
    Runs(Merge),
}

/// The sorted output of an [`ExternalSorter`].
pub struct SortedIter {
    inner: Inner,
    /// The previous item, when deduplicating.
    last: Option<Vec<u8>>,
    dedup: bool,
}

impl SortedIter {
    fn step(&mut self) -> Result<bool> {
        match &mut self.inner {
            Inner::Memory { idx, cur, .. } => match idx.next() {
                Some((_, s)) => {
                    *cur = s;
                    Ok(true)
                }
                None => Ok(false),
            },
            Inner::Runs(m) => m.step(),
        }
    }

    fn current(&self) -> &[u8] {
        match &self.inner {
            Inner::Memory { arena, cur, .. } => arena.get(*cur),
            Inner::Runs(m) => m.current(),
        }
    }

    /// The next item, borrowed until the next call: the way to read the
    /// output without an allocation per item.
    ///
    /// # Errors
    ///
    /// I/O errors reading runs, and corrupt runs.
    pub fn next_ref(&mut self) -> Result<Option<&[u8]>> {
        loop {
            if !self.step()? {
                return Ok(None);
            }
            if !self.dedup {
                break;
            }
            let had = self.last.is_some();
            let mut last = self.last.take().unwrap_or_default();
            let dup = had && last.as_slice() == self.current();
            if !dup {
                last.clear();
                last.extend_from_slice(self.current());
            }
            self.last = Some(last);
            if !dup {
                break;
            }
        }
        Ok(Some(self.current()))
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
    fn merges_many_runs_without_losing_duplicates_or_empty_items() {
        let dir = tempfile::tempdir().unwrap();
        for dedup in [false, true] {
            let mut s = ExternalSorter::new(1, dir.path().to_path_buf(), dedup);
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
}
