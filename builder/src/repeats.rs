//! Repeated observations merged where a capture's records are decoded,
//! before the sort.
//!
//! A resolver's traffic repeats its popular answers: on a capture whose
//! names repeat with a Zipf popularity, more than a quarter of the
//! records of any 20 000 in a row repeat another among them. Each decoding
//! thread keeps the distinct keys of its last records, with their first
//! and last time and count, and hands the sort one item per key: the
//! sort, the costliest step of a capture's build, then has fewer items,
//! and fewer repeats (the comparisons of equal keys are the ones that
//! read the items). The merge is the one the sort and the writer do (the
//! earlier first time, the later last one, the counts added), so the
//! archive is the same bytes. Where records do not repeat (a uniform
//! capture merges 3 % here), the lookups would cost more than they save,
//! so merging stops for a while after a window that merges little.

use std::collections::hash_map::{Entry, HashMap};
use std::hash::BuildHasher;

use pdns_capture::Observation;

/// Records per window: the keys, slots and index of one window take
/// about 1.5 MB (a core's cache holds most of them, and each lookup of an
/// earlier key reads it), and what a window hands on fits a batch. 32 Ki
/// records merged more and were slower.
pub const WINDOW: usize = 16 << 10;

/// Bytes of keys that also end a window: the keys of large records (a
/// TXT of 60 KB presents in up to 240 KB) must not make a window hold
/// gigabytes, whatever `--memory` says.
pub const WINDOW_BYTES: usize = 512 << 10;

/// A window that merges fewer than one record in `WORTH` ...
const WORTH: usize = 16;

/// ... has the next `SKIP` windows pass their records through unmerged.
const SKIP: u32 = 32;

/// One distinct key of the window.
struct Slot {
    /// End of its key in `Repeats::keys` (the start is the previous
    /// slot's end).
    end: usize,
    first: u64,
    last: u64,
    count: u64,
}

/// The distinct keys of a window of records (see the module docs).
#[derive(Default)]
pub struct Repeats {
    /// The key parts of the distinct keys, back to back, in arrival order.
    keys: Vec<u8>,
    slots: Vec<Slot>,
    /// Slot by a hash of its key. A key whose hash is another's (rare)
    /// gets a slot of its own, unmerged.
    index: HashMap<u64, usize, IdentityState>,
    hasher: foldhash::fast::FixedState,
    /// Records added to this window.
    seen: usize,
    /// Windows left to pass through unmerged.
    skip: u32,
}

impl Repeats {
    /// Whether records should be merged now; when not, the caller encodes
    /// them straight into its batch, and calls [`Repeats::passed`].
    pub fn merging(&self) -> bool {
        self.skip == 0
    }

    /// Counts a record passed through unmerged.
    pub fn passed(&mut self) {
        self.seen += 1;
        if self.seen >= WINDOW {
            self.seen = 0;
            self.skip = self.skip.saturating_sub(1);
        }
    }

    /// Adds an observation seen at `time` (once).
    pub fn add(&mut self, o: &Observation<'_>, time: u64) {
        self.seen += 1;
        let start = self.keys.len();
        o.encode_key(&mut self.keys);
        let key = self.keys.get(start..).unwrap_or_default();
        let hash = self.hasher.hash_one(key);
        match self.index.entry(hash) {
            Entry::Occupied(e) => {
                let i = *e.get();
                let from = i
                    .checked_sub(1)
                    .and_then(|p| self.slots.get(p))
                    .map_or(0, |s| s.end);
                if let Some(slot) = self.slots.get_mut(i) {
                    if self.keys.get(from..slot.end) == Some(key) {
                        slot.first = slot.first.min(time);
                        slot.last = slot.last.max(time);
                        slot.count += 1;
                        self.keys.truncate(start);
                        return;
                    }
                }
            }
            Entry::Vacant(e) => {
                e.insert(self.slots.len());
            }
        }
        self.slots.push(Slot {
            end: self.keys.len(),
            first: time,
            last: time,
            count: 1,
        });
    }

    /// Whether the window is full (time to call [`Repeats::drain`]).
    pub fn is_full(&self) -> bool {
        self.seen >= WINDOW || self.keys.len() >= WINDOW_BYTES
    }

    /// Appends the window's items to `items` (each end to `ends`, each key
    /// part's length to `keys`), their
    /// payloads ending with `tail` (the source,
    /// [`pdnsfile::sortkey::encode_payload_tail`]), empties the window,
    /// and decides whether the next ones merge. Returns the number of
    /// records merged into others' items (the items stand for that many
    /// more).
    pub fn drain(
        &mut self,
        items: &mut Vec<u8>,
        ends: &mut Vec<usize>,
        keys: &mut Vec<u32>,
        tail: &[u8],
    ) -> u64 {
        let mut start = 0;
        for s in &self.slots {
            let key = self.keys.get(start..s.end).unwrap_or_default();
            items.extend_from_slice(key);
            keys.push(key_len(start, s.end));
            start = s.end;
            pdnsfile::sortkey::encode_payload_with_tail(
                items,
                s.first,
                s.last,
                Some(s.count),
                tail,
            );
            ends.push(items.len());
        }
        let merged = self.seen.saturating_sub(self.slots.len());
        if self.is_full() && merged.saturating_mul(WORTH) < self.seen {
            self.skip = SKIP;
        }
        self.keys.clear();
        // A window ended by one message's large records keeps no more
        // than a window's worth of memory.
        self.keys.shrink_to(2 * WINDOW_BYTES);
        self.slots.clear();
        self.index.clear();
        self.seen = 0;
        merged as u64
    }
}

/// The length of a key part encoded at `start..end` of a buffer, as
/// `ExternalSorter::push_batch` takes it (0, for the sort to find it, in
/// the impossible case that it does not fit).
pub fn key_len(start: usize, end: usize) -> u32 {
    u32::try_from(end.saturating_sub(start)).unwrap_or(0)
}

/// The index's keys are hashes already.
#[derive(Default, Clone, Copy)]
struct IdentityState;

impl BuildHasher for IdentityState {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

/// Passes a `u64` through (see [`IdentityState`]).
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64s are hashed here; any other input still hashes.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use pdns_capture::synth::{self, Rr};
    use pdns_capture::Stats;

    use super::*;

    /// (first, last, count) by key part, summed over `items` as the
    /// writer merges them.
    type Totals = BTreeMap<Vec<u8>, (u64, u64, u64)>;

    /// The payload tail of source `pcap:t`.
    const TAIL: &[u8] = &[1, 6, b'p', b'c', b'a', b'p', b':', b't', 0];

    fn total(items: &[u8], ends: &[usize], into: &mut Totals) {
        let mut start = 0;
        for &end in ends {
            let v = pdnsfile::sortkey::view(&items[start..end]).unwrap();
            start = end;
            assert_eq!(pdnsfile::sortkey::sources(v.sources).unwrap(), [b"pcap:t"]);
            let t = into.entry(v.key.to_vec()).or_insert((u64::MAX, 0, 0));
            *t = (
                t.0.min(v.time_first),
                t.1.max(v.time_last),
                t.2 + v.count.unwrap(),
            );
        }
    }

    /// A response for name `i % names` with one or two A records.
    fn response(i: u64, names: u64) -> Vec<u8> {
        let name = format!("h{}.example", i % names);
        let octet = u8::try_from(i % names % 200).unwrap();
        let mut rrs = vec![Rr {
            name: &name,
            rtype: 1,
            rdata: vec![192, 0, 2, octet],
        }];
        if i.is_multiple_of(3) {
            rrs.push(Rr {
                name: &name,
                rtype: 1,
                rdata: vec![198, 51, 100, octet],
            });
        }
        synth::response(1, &name, &rrs, &[])
    }

    /// Runs `messages` responses through `Repeats` as a decoding thread
    /// does, and through plain items; returns both totals, the number of
    /// items `Repeats` made and the number of observations.
    fn run(messages: u64, names: u64) -> (Totals, Totals, usize, usize) {
        let (mut merged, mut plain) = (Totals::new(), Totals::new());
        let mut r = Repeats::default();
        let (mut items, mut ends, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        let (mut all, mut all_ends) = (Vec::new(), Vec::new());
        let mut stats = Stats::default();
        let (mut made, mut merged_away) = (0, 0);
        for i in 0..messages {
            let m = response(i, names);
            // Times that go back and forth, so first and last both move.
            let time = 1_700_000_000 + (i * 7919) % 1000;
            let merging = r.merging();
            pdns_capture::decode_message(&m, time, Some("pcap:t"), &mut stats, &mut |o| {
                let mut one = Vec::new();
                o.encode_item(&mut one);
                all.extend_from_slice(&one);
                all_ends.push(all.len());
                if merging {
                    r.add(o, time);
                } else {
                    r.passed();
                    items.extend_from_slice(&one);
                    ends.push(items.len());
                    keys.push(pdnsfile::sortkey::key_len(&one).unwrap() as u32);
                }
            });
            if r.is_full() {
                merged_away += r.drain(&mut items, &mut ends, &mut keys, TAIL);
            }
        }
        merged_away += r.drain(&mut items, &mut ends, &mut keys, TAIL);
        made += ends.len();
        // Each item's key length is the one the sort would find.
        assert_eq!(keys.len(), ends.len());
        let mut start = 0;
        for (&end, &k) in ends.iter().zip(&keys) {
            let key = pdnsfile::sortkey::key_len(&items[start..end]);
            assert_eq!(key, Some(k as usize));
            start = end;
        }
        // The items and the records merged into them are every record.
        assert_eq!(made as u64 + merged_away, all_ends.len() as u64);
        total(&items, &ends, &mut merged);
        total(&all, &all_ends, &mut plain);
        (merged, plain, made, all_ends.len())
    }

    #[test]
    fn repeats_merge_as_the_writer_merges() {
        // 300 names over 3 windows' worth of records: most repeat.
        let (merged, plain, made, seen) = run(3 * WINDOW as u64 / 2, 300);
        assert_eq!(merged, plain);
        assert!(made * 10 < seen, "{made} items for {seen} records");
    }

    #[test]
    fn distinct_keys_stop_the_merging_for_a_while() {
        // Every record a new key: the first window merges nothing, the
        // next SKIP pass through, then one merges again; the totals are
        // the same throughout.
        let windows = u64::from(SKIP) + 3;
        let (merged, plain, made, seen) = run(windows * WINDOW as u64 * 3 / 4, u64::MAX);
        assert_eq!(merged, plain);
        assert_eq!(made, seen);
        let mut r = Repeats::default();
        assert!(r.merging());
        let (mut items, mut ends, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        let mut stats = Stats::default();
        let mut i = 0;
        while !r.is_full() {
            let m = response(i, u64::MAX);
            pdns_capture::decode_message(&m, 1, Some("pcap:t"), &mut stats, &mut |o| {
                r.add(o, 1);
            });
            i += 1;
        }
        r.drain(&mut items, &mut ends, &mut keys, TAIL);
        assert_eq!(ends.len(), r_seen(i));
        for _ in 0..SKIP {
            assert!(!r.merging());
            for _ in 0..WINDOW {
                r.passed();
            }
        }
        assert!(r.merging());
    }

    #[test]
    fn large_records_end_a_window_early() {
        // TXT records of four 255-octet strings (over 1 KB of key each),
        // each name once: the window's keys stop near WINDOW_BYTES, long
        // before WINDOW records.
        let mut r = Repeats::default();
        let mut stats = Stats::default();
        let mut rdata = Vec::new();
        for _ in 0..4 {
            rdata.push(255);
            rdata.extend(std::iter::repeat_n(b'\x01', 255));
        }
        let mut added = 0;
        while !r.is_full() {
            let name = format!("t{added}.example");
            let m = synth::response(
                1,
                &name,
                &[Rr {
                    name: &name,
                    rtype: 16,
                    rdata: rdata.clone(),
                }],
                &[],
            );
            pdns_capture::decode_message(&m, 1, Some("pcap:t"), &mut stats, &mut |o| {
                r.add(o, 1);
            });
            added += 1;
        }
        assert!(added < WINDOW / 8, "{added} records");
        assert!(r.keys.len() < WINDOW_BYTES + 8192, "{}", r.keys.len());
        let (mut items, mut ends, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        assert_eq!(r.drain(&mut items, &mut ends, &mut keys, TAIL), 0);
        assert_eq!(ends.len(), added);
        assert!(r.keys.capacity() <= 2 * WINDOW_BYTES);
    }

    /// Records in the first `messages` responses of `response(_, MAX)`.
    fn r_seen(messages: u64) -> usize {
        (0..messages)
            .map(|i| if i.is_multiple_of(3) { 2 } else { 1 })
            .sum()
    }
}
