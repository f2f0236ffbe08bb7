//! An external sort of fixed-width values, for the address postings:
//! (IPv4 address, record id) as one `u64`, (IPv6 address, record id) as a
//! pair. Held as plain values, a sort item costs 8 or 20 bytes instead of
//! the general sorter's item bytes plus its 36-byte index entry, sorts
//! without a comparison callback over an arena, and rarely spills at all:
//! on the 10 M-entry benchmark this path was about a tenth of the build.
//!
//! Memory is bounded like the general sorter's: past the budget the
//! values are sorted and written as a run to the temporary folder, and
//! `finish` merges the runs with what is left in memory. A run is
//! front-coded, not compressed: each value's big-endian bytes as the
//! count it shares with the value before and the rest. Sorted postings
//! share most of their bytes (an address's record ids follow each other),
//! so a run of postings is well under the values' size (a test checks
//! half; scattered values with nothing in common would take a byte a
//! value more than their size), at a small fraction of zstd's CPU: a spill happens on the writer's thread,
//! the critical path of a build's write phase, and zstd -1 there cost
//! about 190 instructions a value (callgrind, 1 M entries at
//! `--memory 64M`; this coding cut the build's total by 0.4 %).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// A value of fixed width with a byte form for runs.
pub(crate) trait Fixed: Copy + Ord {
    /// Bytes per value in a run (at most [`MAX_LEN`]).
    const LEN: usize;
    /// Appends the value's bytes, big-endian: values in order share
    /// their leading bytes, which front coding leaves out.
    fn put(&self, out: &mut Vec<u8>);
    /// The value of `LEN` bytes.
    fn get(b: &[u8]) -> Self;
}

/// The widest [`Fixed::LEN`].
const MAX_LEN: usize = 20;

impl Fixed for u64 {
    const LEN: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn get(b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(b.get(..8).unwrap_or(&[0; 8]));
        u64::from_be_bytes(a)
    }
}

impl Fixed for (u128, u32) {
    const LEN: usize = 20;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
        out.extend_from_slice(&self.1.to_be_bytes());
    }
    fn get(b: &[u8]) -> (u128, u32) {
        let mut a = [0u8; 16];
        a.copy_from_slice(b.get(..16).unwrap_or(&[0; 16]));
        let mut r = [0u8; 4];
        r.copy_from_slice(b.get(16..20).unwrap_or(&[0; 4]));
        (u128::from_be_bytes(a), u32::from_be_bytes(r))
    }
}

/// Sorts values of type `T` within a memory budget.
pub(crate) struct FixedSorter<T: Fixed> {
    buf: Vec<T>,
    /// Values held before a spill.
    cap: usize,
    /// Spilled runs and how many values each holds (checked when read,
    /// so a run cut short at a value's end is an error, not fewer values).
    runs: Vec<(File, usize)>,
    tmp_dir: PathBuf,
}

impl<T: Fixed> FixedSorter<T> {
    /// A sorter that spills to `tmp_dir` past `budget` bytes of values.
    pub(crate) fn new(budget: usize, tmp_dir: PathBuf) -> FixedSorter<T> {
        FixedSorter {
            buf: Vec::new(),
            cap: (budget / std::mem::size_of::<T>()).max(1024),
            runs: Vec::new(),
            tmp_dir,
        }
    }

    /// Adds a value.
    pub(crate) fn push(&mut self, v: T) -> Result<()> {
        self.buf.push(v);
        if self.buf.len() >= self.cap {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        const { assert!(T::LEN <= MAX_LEN) };
        let ctx = |e| Error::io("writing a sort run to the temporary folder", e);
        self.buf.sort_unstable();
        let file = tempfile::tempfile_in(&self.tmp_dir).map_err(ctx)?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let mut bytes = Vec::with_capacity(1 << 16);
        let mut prev = [0u8; MAX_LEN];
        let mut cur = Vec::with_capacity(MAX_LEN);
        for v in &self.buf {
            cur.clear();
            v.put(&mut cur);
            let shared = crate::sorter::common_prefix(&cur, &prev);
            // At most MAX_LEN: fits a byte.
            bytes.push(shared as u8);
            bytes.extend_from_slice(cur.get(shared..).unwrap_or_default());
            if let Some(p) = prev.get_mut(..cur.len()) {
                p.copy_from_slice(&cur);
            }
            if bytes.len() >= 1 << 16 {
                w.write_all(&bytes).map_err(ctx)?;
                bytes.clear();
            }
        }
        w.write_all(&bytes).map_err(ctx)?;
        let mut file = w.into_inner().map_err(|e| ctx(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(ctx)?;
        self.runs.push((file, self.buf.len()));
        self.buf.clear();
        Ok(())
    }

    /// Ends input; the values in order.
    pub(crate) fn finish(mut self) -> Result<FixedIter<T>> {
        self.buf.sort_unstable();
        let runs = self
            .runs
            .drain(..)
            .map(|(f, left)| Run {
                r: BufReader::with_capacity(64 << 10, f),
                prev: [0; MAX_LEN],
                left,
            })
            .collect();
        let mut it = FixedIter {
            mem: std::mem::take(&mut self.buf).into_iter(),
            runs,
            heap: BinaryHeap::new(),
        };
        if let Some(v) = it.mem.next() {
            it.heap.push(Reverse((v, usize::MAX)));
        }
        for i in 0..it.runs.len() {
            if let Some(v) = it.read_run(i)? {
                it.heap.push(Reverse((v, i)));
            }
        }
        Ok(it)
    }
}

/// The merged, sorted values of a [`FixedSorter`].
pub(crate) struct FixedIter<T: Fixed> {
    mem: std::vec::IntoIter<T>,
    runs: Vec<Run>,
    /// The next value of each source; `usize::MAX` is the memory buffer.
    heap: BinaryHeap<Reverse<(T, usize)>>,
}

/// A spilled run being read: its file and the bytes of its last value.
struct Run {
    r: BufReader<File>,
    prev: [u8; MAX_LEN],
    /// Values not read yet.
    left: usize,
}

impl<T: Fixed> FixedIter<T> {
    fn read_run(&mut self, i: usize) -> Result<Option<T>> {
        let Some(run) = self.runs.get_mut(i) else {
            return Ok(None);
        };
        let err = |e| Error::io("reading a sort run", e);
        if run.left == 0 {
            return Ok(None);
        }
        run.left -= 1;
        let mut shared = [0u8; 1];
        run.r.read_exact(&mut shared).map_err(err)?;
        let rest = run
            .prev
            .get_mut(usize::from(shared[0])..T::LEN)
            .ok_or_else(|| err(io::Error::other("a shared length past the value")))?;
        run.r.read_exact(rest).map_err(err)?;
        Ok(Some(T::get(&run.prev)))
    }

    /// The next value in order.
    pub(crate) fn next_value(&mut self) -> Result<Option<T>> {
        let Some(Reverse((v, src))) = self.heap.pop() else {
            return Ok(None);
        };
        let next = if src == usize::MAX {
            self.mem.next()
        } else {
            self.read_run(src)?
        };
        if let Some(n) = next {
            self.heap.push(Reverse((n, src)));
        }
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn drain<T: Fixed>(s: FixedSorter<T>) -> Vec<T> {
        let mut it = s.finish().unwrap();
        let mut got = Vec::new();
        while let Some(v) = it.next_value().unwrap() {
            got.push(v);
        }
        got
    }

    #[test]
    fn sorts_across_runs_and_memory() {
        let dir = tempfile::tempdir().unwrap();
        // A budget of 1024 values: many runs.
        let mut s = FixedSorter::<u64>::new(8 * 1024, dir.path().to_path_buf());
        let mut want = Vec::new();
        for i in 0..50_000u64 {
            let v = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20;
            s.push(v).unwrap();
            want.push(v);
        }
        want.sort_unstable();
        assert_eq!(drain(s), want);
    }

    #[test]
    fn pairs_sort_by_address_then_id() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FixedSorter::<(u128, u32)>::new(20 * 1024, dir.path().to_path_buf());
        let mut want = Vec::new();
        for i in 0..10_000u32 {
            let v = (u128::from(i % 97) << 100 | u128::from(i % 13), 10_000 - i);
            s.push(v).unwrap();
            want.push(v);
        }
        want.sort_unstable();
        assert_eq!(drain(s), want);
    }

    /// Repeated values, values that differ only in their last byte and
    /// extremes come back exactly; runs of sorted postings are smaller
    /// than the values they hold.
    #[test]
    fn front_coded_runs_read_back_every_value() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FixedSorter::<u64>::new(8 * 1024, dir.path().to_path_buf());
        let mut want = Vec::new();
        for i in 0..20_000u64 {
            // Addresses with several record ids each, in scattered order.
            let v = match i % 7 {
                0 => u64::MAX,
                1 => 0,
                2 => 42,
                _ => ((i * 7919) % 3000) << 32 | (i % 5),
            };
            s.push(v).unwrap();
            want.push(v);
        }
        let raw = (want.len() - s.buf.len()) * 8;
        let spilled: u64 = s
            .runs
            .iter()
            .map(|(f, _)| f.metadata().unwrap().len())
            .sum();
        assert!(!s.runs.is_empty());
        assert!(spilled < raw as u64 / 2, "{spilled} bytes for {raw}");
        want.sort_unstable();
        assert_eq!(drain(s), want);
    }

    /// A run whose shared length points past a value is an error, not a
    /// panic or a made-up value.
    #[test]
    fn a_bad_run_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FixedSorter::<u64>::new(8 * 1024, dir.path().to_path_buf());
        for i in 0..2000u64 {
            s.push(i).unwrap();
        }
        let (f, _) = s.runs.first_mut().unwrap();
        f.set_len(0).unwrap();
        f.write_all(&[9, 1, 2]).unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        assert!(s.finish().is_err());
    }

    /// A run cut short, even at the end of a value, is an error: the
    /// values it lost would otherwise vanish from the postings.
    #[test]
    fn a_run_cut_short_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FixedSorter::<u64>::new(8 * 1024, dir.path().to_path_buf());
        for i in 0..1100u64 {
            s.push(i << 40).unwrap();
        }
        let (f, _) = s.runs.first_mut().unwrap();
        // The run's last value, 1023 << 40, shares its first two bytes
        // with the one before: its shared length and 6 bytes, 7 in all.
        let len = f.metadata().unwrap().len();
        f.set_len(len - 7).unwrap();
        let mut it = s.finish().unwrap();
        let mut got = Ok(Some(0));
        while let Ok(Some(_)) = got {
            got = it.next_value();
        }
        assert!(got.is_err());
    }

    #[test]
    fn empty() {
        let dir = tempfile::tempdir().unwrap();
        let s = FixedSorter::<u64>::new(1 << 20, dir.path().to_path_buf());
        assert_eq!(s.finish().unwrap().next_value().unwrap(), None);
    }
}
