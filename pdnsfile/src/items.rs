//! An archive's entries as sort items, in archive order, without building
//! [`crate::Entry`] values: what a merge or a build on a base archive feeds
//! [`crate::Writer::push_item`].
//!
//! Why: carrying an archive forward through entries formats every name,
//! address and source label as a string and parses it back into an item;
//! that was about half the CPU of `pdns-build merge` and of a build with
//! `--base`, all of it on the writer's thread. The stored form is already
//! most of an item: reversed name keys (NAME_TABLE), stored rdata, times,
//! counts and source sets. An item built here is byte for byte the one
//! [`crate::sortkey::encode_into`] makes of the entry the archive reads
//! back (a test checks it on every fixture), so the output does not
//! depend on the path.

use crate::archive::{Archive, Block, NameBlock};
use crate::error::{Error, Result};
use crate::format::{put_len_bytes, put_varint};
use crate::name;
use crate::record;
use crate::rrtype::known;
use crate::sorter::SortedBatch;
use crate::sortkey;
use std::sync::mpsc::{Receiver, SyncSender};

/// The sort items of an archive's entries, in archive (key) order; see
/// [`Archive::items`].
pub struct Items<'a> {
    archive: &'a Archive,
    /// The next block to decode.
    next_block: usize,
    block: Option<Block>,
    /// The next record of `block`.
    at: usize,
    names: Option<NameBlock>,
    /// Each source set's encoded labels (see [`sortkey::sources`]) once
    /// a record used it, if short (see [`SET_CACHE_MAX`]).
    sets: Vec<Option<Vec<u8>>>,
    /// The first record of the next block: blocks must follow one
    /// another, as looking a record up assumes.
    next_record: u32,
    /// The name id whose key was last checked.
    checked_name: Option<u32>,
    item: Vec<u8>,
    /// Scratch for rdata that needs the entry path's round trip.
    text: Vec<u8>,
}

impl Archive {
    /// The archive's entries as sort items (see [`crate::sortkey`]), in
    /// key order, each exactly as [`crate::sortkey::encode_into`] encodes
    /// the entry [`Archive::query`] gives for it.
    pub fn items(&self) -> Items<'_> {
        Items {
            archive: self,
            next_block: 0,
            block: None,
            at: 0,
            names: None,
            sets: vec![None; self.source_set_count()],
            next_record: 0,
            checked_name: None,
            item: Vec::new(),
            text: Vec::new(),
        }
    }
}

impl Items<'_> {
    /// The next item, or `None` after the last.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when a block or name block is damaged, or a
    /// stored name is not one a writer stores.
    pub fn next_item(&mut self) -> Result<Option<&[u8]>> {
        Ok(if self.advance()? {
            Some(&self.item)
        } else {
            None
        })
    }

    /// The item [`Items::advance`] moved to last (empty before the first
    /// and after the last).
    pub fn item(&self) -> &[u8] {
        &self.item
    }

    /// Moves to the next item ([`Items::item`]); `false` after the last.
    ///
    /// # Errors
    ///
    /// As [`Items::next_item`].
    pub fn advance(&mut self) -> Result<bool> {
        let stepped = self.step();
        if stepped.is_err() {
            // The stream ends with its first error: half a block is no
            // block, and a record left out would go unnoticed.
            self.block = None;
            self.next_block = self.archive.block_count();
            self.item.clear();
        }
        stepped
    }

    /// The body of [`Items::advance`].
    fn step(&mut self) -> Result<bool> {
        loop {
            if let Some(b) = &self.block {
                if self.at < b.len() {
                    break;
                }
            }
            if self.next_block >= self.archive.block_count() {
                self.item.clear();
                return Ok(false);
            }
            let block = self.block.get_or_insert_with(Block::default);
            self.archive.decode_block_into(self.next_block, block)?;
            if block.first_record != self.next_record {
                return Err(Error::corrupt(
                    "BLOCK_INDEX",
                    format!(
                        "block {} starts at record {}, not {}",
                        self.next_block, block.first_record, self.next_record
                    ),
                ));
            }
            self.next_record = u32::try_from(block.len())
                .ok()
                .and_then(|n| self.next_record.checked_add(n))
                .ok_or(Error::corrupt("BLOCK_INDEX", "record ids overflow"))?;
            self.next_block += 1;
            self.at = 0;
        }
        let Some(b) = &self.block else {
            return Ok(false);
        };
        let i = self.at;
        self.at += 1;
        let id = b.names.get(i).copied().unwrap_or(0);
        let per = self.archive.names_per_block();
        let nb = id / per;
        if self.names.as_ref().is_none_or(|n| n.index != nb) {
            self.names = Some(self.archive.decode_name_block(id)?);
        }
        let key = self
            .names
            .as_ref()
            .and_then(|n| n.key((id - nb * per) as usize))
            .ok_or(Error::corrupt("NAME_TABLE", "short block"))?;
        if self.checked_name != Some(id) {
            check_key(key)?;
            self.checked_name = Some(id);
        }
        let out = &mut self.item;
        out.clear();
        out.extend_from_slice(key);
        out.push(0);
        let rrtype = b.types.get(i).copied().unwrap_or(0);
        out.extend_from_slice(&rrtype.to_be_bytes());
        let rdata = b.rdata_bytes(i);
        let start = out.len();
        let stored_as_read = match rrtype {
            known::A | known::AAAA => {
                // A writer stores addresses only (its entry check refuses
                // any other A or AAAA value), and one read back as text
                // would be taken for an address of its length.
                if rdata.len() != if rrtype == known::A { 4 } else { 16 } {
                    let rid = u64::from(b.first_record) + i as u64;
                    return Err(Error::corrupt(
                        "BLOCKS",
                        format!("record {rid}: A or AAAA rdata that is no address"),
                    ));
                }
                true
            }
            // Folded without an early exit, so that the compiler checks
            // many bytes at a time.
            _ => !rdata
                .iter()
                .fold(false, |bad, c| bad | !(0x20..=0x7e).contains(c)),
        };
        if stored_as_read {
            out.extend_from_slice(rdata);
            // Printable text holds no 0x00 to escape; an address may.
            if matches!(rrtype, known::A | known::AAAA) {
                sortkey::escape_rdata_from(out, start);
            }
        } else {
            // What reading the entry and encoding it again stores: a
            // non-printable byte comes back escaped.
            self.text.clear();
            record::encode_rdata_into(rrtype, &record::decode_rdata(rrtype, rdata), &mut self.text);
            out.extend_from_slice(&self.text);
            sortkey::escape_rdata_from(out, start);
        }
        out.extend_from_slice(&[0, 0]);
        put_varint(out, b.time_first.get(i).copied().unwrap_or(0));
        put_varint(out, b.time_last.get(i).copied().unwrap_or(0));
        let count = b.count.get(i).copied().flatten();
        put_varint(out, count.map_or(0, |c| c.saturating_add(1)));
        let set = b.sets.get(i).copied().unwrap_or(0);
        match self.sets.get_mut(set as usize) {
            Some(Some(cached)) => out.extend_from_slice(cached),
            Some(slot) => {
                let at = out.len();
                encode_set(self.archive, set, out);
                // Kept when short: a crafted SOURCES section can make
                // a set's labels long, and many sets share one label.
                if let Some(encoded) = out.get(at..).filter(|e| e.len() <= SET_CACHE_MAX) {
                    *slot = Some(encoded.to_vec());
                }
            }
            None => encode_set(self.archive, set, out),
        }
        let bailiwick = b
            .bailiwick
            .get(i)
            .and_then(|&z| z.checked_sub(1))
            .and_then(|z| b.dict.get(z as usize));
        match bailiwick {
            None => put_varint(out, 0),
            Some(z) => {
                put_varint(out, z.len() as u64 + 1);
                out.extend_from_slice(z.as_bytes());
            }
        }
        Ok(true)
    }
}

/// The longest encoded source set [`Items`] keeps for reuse.
const SET_CACHE_MAX: usize = 1024;

/// Appends source set `set`'s labels, encoded (see [`sortkey::sources`]).
fn encode_set(archive: &Archive, set: u32, out: &mut Vec<u8>) {
    let labels = archive.source_set(set);
    put_varint(out, labels.len() as u64);
    for &l in labels {
        put_len_bytes(out, archive.source_label(l).as_bytes());
    }
}

/// Refuses a NAME_TABLE key that is not printable ASCII without spaces
/// (a 0x00 would end the item's name early; a writer stores none), or
/// that the entry path would not give back as it is (reading it as a
/// name and keying that name again): carried as it is, it would make an
/// archive whose name could not be looked up. Without escapes a key is
/// labels each followed by a dot, none empty, or empty for the root.
fn check_key(key: &[u8]) -> Result<()> {
    let printable = key.iter().all(|c| (0x21..=0x7e).contains(c));
    let plain = !key.contains(&b'\\')
        && (key.is_empty()
            || (key.ends_with(b".") && !key.starts_with(b".") && !has_empty_label(key)));
    if printable && (plain || name::reversed_key(&name::from_reversed_key(key)) == key) {
        return Ok(());
    }
    Err(Error::corrupt(
        "NAME_TABLE",
        format!("a key that is no name: {}", record::escape_text(key)),
    ))
}

fn has_empty_label(key: &[u8]) -> bool {
    key.windows(2).any(|w| w == b"..")
}

/// Archives read on threads of their own at most when a merge has more
/// than one: each thread merges its share, and the merging thread merges
/// their streams. Reading (decompressing, decoding, building items) was
/// most of a merging thread's time, and the thread that bounded a merge.
const READERS: usize = 4;

/// Batches each reading thread may have in flight.
const READ_AHEAD: usize = 4;

/// Sends the items of `archives` merged into one key-ordered stream, in
/// batches, until the last or the first error (sent too) or until the
/// receiver is gone. Items with equal keys are sent one after the other,
/// for the writer to merge ([`crate::Writer::push_item`]). Two archives
/// or more are read on up to four threads besides the caller's.
pub fn send_merged(archives: &[Archive], tx: &SyncSender<Result<SortedBatch>>) {
    let merged = if archives.len() < 2 {
        read_into(archives, tx)
    } else {
        std::thread::scope(|s| -> Result<()> {
            let per = archives.len().div_ceil(archives.len().min(READERS));
            let mut streams = Vec::new();
            for share in archives.chunks(per) {
                let (share_tx, rx) = std::sync::mpsc::sync_channel(READ_AHEAD);
                std::thread::Builder::new()
                    .name("pdnsfile-read".into())
                    .spawn_scoped(s, move || {
                        if let Err(e) = read_into(share, &share_tx) {
                            // As below.
                            let _ = share_tx.send(Err(e));
                        }
                    })
                    .map_err(|e| Error::io("starting a reading thread", e))?;
                streams.push(BatchStream::new(rx));
            }
            // Returning drops the receivers, which stops the reading
            // threads at their next send before the scope waits for them.
            merge_into(&mut streams, tx)
        })
    };
    if let Err(e) = merged {
        // Fails only when the receiver is gone, which then has its own
        // error to report.
        let _ = tx.send(Err(e));
    }
}

/// Reads and merges `archives` on this thread (see [`merge_into`]).
fn read_into(archives: &[Archive], tx: &SyncSender<Result<SortedBatch>>) -> Result<()> {
    let mut streams: Vec<Items<'_>> = archives.iter().map(Archive::items).collect();
    merge_into(&mut streams, tx)
}

/// A key-ordered stream of items, read one at a time.
pub trait Cursor {
    /// Moves to the next item; `false` after the last.
    ///
    /// # Errors
    ///
    /// Whatever reading the stream met.
    fn advance(&mut self) -> Result<bool>;

    /// The current item (empty before the first and after the last).
    fn item(&self) -> &[u8];
}

impl Cursor for Items<'_> {
    fn advance(&mut self) -> Result<bool> {
        Items::advance(self)
    }

    fn item(&self) -> &[u8] {
        Items::item(self)
    }
}

/// The items of batches that a thread sends (as [`send_merged`] or
/// [`crate::sorter::SortedIter::send_batches`] do), one at a time. The
/// stream ends when the sender is gone; a sender that fails sends its
/// error first.
pub struct BatchStream {
    rx: Receiver<Result<SortedBatch>>,
    batch: Option<SortedBatch>,
    /// The current item of `batch`.
    at: usize,
}

impl BatchStream {
    /// The stream of the batches `rx` receives.
    pub fn new(rx: Receiver<Result<SortedBatch>>) -> BatchStream {
        BatchStream {
            rx,
            batch: None,
            at: 0,
        }
    }
}

impl Cursor for BatchStream {
    fn advance(&mut self) -> Result<bool> {
        if self.batch.is_some() {
            self.at += 1;
        }
        loop {
            if self.batch.as_ref().is_some_and(|b| self.at < b.len()) {
                return Ok(true);
            }
            self.at = 0;
            self.batch = None;
            match self.rx.recv() {
                Ok(b) => self.batch = Some(b?),
                Err(_) => return Ok(false),
            }
        }
    }

    fn item(&self) -> &[u8] {
        self.batch
            .as_ref()
            .and_then(|b| b.get(self.at))
            .unwrap_or_default()
    }
}

/// The body of [`send_merged`]: `Ok` also when the receiver hung up.
fn merge_into<C: Cursor>(streams: &mut [C], tx: &SyncSender<Result<SortedBatch>>) -> Result<()> {
    // The streams that have a current item, in the order of those items:
    // inputs are few (a month of nightly files), so a sorted list
    // re-placed by binary search is as quick as a heap, and the items
    // stay in their streams' buffers.
    let mut order: Vec<usize> = Vec::with_capacity(streams.len());
    for i in 0..streams.len() {
        if streams.get_mut(i).map(C::advance).transpose()? == Some(true) {
            place(streams, &mut order, i);
        }
    }
    let mut batch = SortedBatch::with_room();
    while let Some(&i) = order.first() {
        let Some(s) = streams.get_mut(i) else {
            break;
        };
        let full = batch.push(s.item());
        order.remove(0);
        if s.advance()? {
            place(streams, &mut order, i);
        }
        if full {
            let done = std::mem::replace(&mut batch, SortedBatch::with_room());
            if tx.send(Ok(done)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        // A receiver gone has its own error to report.
        let _ = tx.send(Ok(batch));
    }
    Ok(())
}

/// Inserts stream `i` into `order` after the streams whose items are not
/// greater than its own.
fn place<C: Cursor>(streams: &[C], order: &mut Vec<usize>, i: usize) {
    let item = streams.get(i).map(C::item);
    let at = order.partition_point(|&j| streams.get(j).map(C::item) <= item);
    order.insert(at, i);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_that_read_back_the_same_are_taken_and_others_refused() {
        let cases: [(&[u8], bool); 12] = [
            (b"", true),
            (b"com.", true),
            (b"com.example.", true),
            (b"org.a\\.b.", true),
            (b"com.x-y.*.", true),
            (b".", false),
            (b"com.example", false),
            (b"..", false),
            (b"a\\", false),
            (b"a\0b.", false),
            (b"a b.", false),
            (b"caf\xc3\xa9.", false),
        ];
        for (key, taken) in cases {
            assert_eq!(
                check_key(key).is_ok(),
                taken,
                "{}",
                record::escape_text(key)
            );
        }
    }

    fn batch(items: &[&[u8]]) -> SortedBatch {
        let mut b = SortedBatch::with_room();
        for i in items {
            b.push(i);
        }
        b
    }

    /// Streams of batches merge into key order, equal items side by
    /// side, and an error a sender sends ends the merge with it.
    #[test]
    fn batch_streams_merge_in_order_and_pass_errors_on() {
        let (a_tx, a_rx) = std::sync::mpsc::sync_channel(4);
        let (b_tx, b_rx) = std::sync::mpsc::sync_channel(4);
        a_tx.send(Ok(batch(&[b"a", b"c"]))).unwrap();
        a_tx.send(Ok(batch(&[]))).unwrap();
        a_tx.send(Ok(batch(&[b"e"]))).unwrap();
        b_tx.send(Ok(batch(&[b"b", b"c", b"f"]))).unwrap();
        drop((a_tx, b_tx));
        let mut streams = vec![BatchStream::new(a_rx), BatchStream::new(b_rx)];
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        merge_into(&mut streams, &tx).unwrap();
        drop(tx);
        let got: Vec<Vec<u8>> = rx
            .iter()
            .flat_map(|b| b.unwrap().iter().map(<[u8]>::to_vec).collect::<Vec<_>>())
            .collect();
        let want: Vec<&[u8]> = vec![b"a", b"b", b"c", b"c", b"e", b"f"];
        assert_eq!(got, want);

        let (e_tx, e_rx) = std::sync::mpsc::sync_channel(4);
        e_tx.send(Ok(batch(&[b"a"]))).unwrap();
        e_tx.send(Err(Error::corrupt("BLOCKS", "test"))).unwrap();
        let mut s = BatchStream::new(e_rx);
        assert!(s.advance().unwrap());
        assert_eq!(s.item(), b"a");
        assert!(s.advance().is_err());
    }
}
