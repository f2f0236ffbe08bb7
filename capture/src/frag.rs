//! IPv4 and IPv6 fragment reassembly, bounded in memory, with expiry.

use std::collections::HashMap;
use std::net::IpAddr;

/// Datagrams being reassembled at most at once; a flood of first
/// fragments cannot grow the table past this (the oldest is dropped).
pub(crate) const MAX_DATAGRAMS: usize = 4096;
/// Seconds of capture time a partial datagram waits for its other
/// fragments (Linux waits 30 s by default, `ipfrag_time`).
pub(crate) const EXPIRY: u64 = 30;
/// Largest reassembled payload: the 16-bit IP length.
const MAX_LEN: usize = 65_535;

/// Identifies the fragments of one datagram (RFC 791: source,
/// destination, protocol and identification; for IPv6 the protocol is
/// the next header after the Fragment header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u32,
}

#[derive(Debug, Default)]
struct Partial {
    /// (offset, bytes), in arrival order.
    pieces: Vec<(usize, Vec<u8>)>,
    /// Known once the last fragment (MF = 0) arrived.
    total: Option<usize>,
    held: usize,
    last_seen: u64,
}

/// What a fragment did.
pub(crate) enum Outcome {
    /// The datagram is complete: its payload.
    Complete(Vec<u8>),
    /// Kept, waiting for the others.
    Pending,
    /// Refused (too large, inconsistent); the reason.
    Dropped(&'static str),
}

/// The fragments waiting for their datagrams.
#[derive(Debug, Default)]
pub(crate) struct Defrag {
    table: HashMap<Key, Partial>,
    /// Datagrams that expired or were evicted before completion.
    pub expired: u64,
}

impl Defrag {
    /// Adds one fragment: `offset` in bytes, `more` the MF flag.
    pub fn add(&mut self, key: Key, offset: usize, more: bool, data: &[u8], now: u64) -> Outcome {
        let end = offset + data.len();
        if end > MAX_LEN {
            return Outcome::Dropped("fragment-too-large");
        }
        if !self.table.contains_key(&key) && self.table.len() >= MAX_DATAGRAMS {
            self.evict_oldest();
        }
        let p = self.table.entry(key).or_default();
        p.last_seen = now;
        if !more {
            if p.total.is_some_and(|t| t != end) {
                self.table.remove(&key);
                return Outcome::Dropped("fragment-inconsistent");
            }
            p.total = Some(end);
        }
        p.held += data.len();
        if p.held > 2 * MAX_LEN {
            self.table.remove(&key);
            return Outcome::Dropped("fragment-too-large");
        }
        p.pieces.push((offset, data.to_vec()));
        let Some(total) = p.total else {
            return Outcome::Pending;
        };
        // Complete when the pieces, by offset, cover 0..total with no hole.
        p.pieces.sort_by_key(|(o, _)| *o);
        let mut covered = 0;
        for (o, d) in &p.pieces {
            if *o > covered {
                return Outcome::Pending;
            }
            covered = covered.max(o + d.len());
        }
        if covered < total {
            return Outcome::Pending;
        }
        let Some(p) = self.table.remove(&key) else {
            return Outcome::Pending;
        };
        let mut buf = vec![0u8; total];
        // Later pieces overwrite earlier ones where they overlap; the
        // sort is stable, so for equal offsets the last to arrive wins.
        for (o, d) in p.pieces {
            let n = d.len().min(total.saturating_sub(o));
            if let (Some(dst), Some(src)) = (buf.get_mut(o..o + n), d.get(..n)) {
                dst.copy_from_slice(src);
            }
        }
        Outcome::Complete(buf)
    }

    /// Drops the datagrams not touched for [`EXPIRY`] seconds.
    pub fn expire(&mut self, now: u64) {
        let before = self.table.len();
        self.table
            .retain(|_, p| now.saturating_sub(p.last_seen) <= EXPIRY);
        self.expired += (before - self.table.len()) as u64;
    }

    /// Drops the least recently touched eighth of the datagrams, so
    /// that a flood of first fragments costs O(1) amortized each.
    fn evict_oldest(&mut self) {
        let mut ages: Vec<(u64, Key)> = self.table.iter().map(|(k, p)| (p.last_seen, *k)).collect();
        let n = (ages.len() / 8).max(1);
        if n < ages.len() {
            ages.select_nth_unstable_by_key(n, |(t, _)| *t);
        }
        for (_, k) in ages.iter().take(n) {
            self.table.remove(k);
            self.expired += 1;
        }
    }

    /// Datagrams still incomplete.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key() -> Key {
        Key {
            src: IpAddr::V4(Ipv4Addr::LOCALHOST),
            dst: IpAddr::V4(Ipv4Addr::LOCALHOST),
            proto: 17,
            id: 7,
        }
    }

    #[test]
    fn any_order() {
        let mut d = Defrag::default();
        assert!(matches!(
            d.add(key(), 16, false, b"cc", 0),
            Outcome::Pending
        ));
        assert!(matches!(
            d.add(key(), 0, true, b"aaaaaaaa", 0),
            Outcome::Pending
        ));
        match d.add(key(), 8, true, b"bbbbbbbb", 0) {
            Outcome::Complete(v) => assert_eq!(v, b"aaaaaaaabbbbbbbbcc"),
            _ => panic!("not complete"),
        }
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn expiry_and_bounds() {
        let mut d = Defrag::default();
        assert!(matches!(
            d.add(key(), 0, true, b"aaaaaaaa", 0),
            Outcome::Pending
        ));
        d.expire(EXPIRY + 1);
        assert_eq!((d.pending(), d.expired), (0, 1));
        assert!(matches!(
            d.add(key(), 65_530, false, b"0123456789", 0),
            Outcome::Dropped(_)
        ));
        for id in 0..(MAX_DATAGRAMS as u32 + 10) {
            let k = Key { id, ..key() };
            let _ = d.add(k, 0, true, b"x", u64::from(id));
        }
        assert!(d.pending() <= MAX_DATAGRAMS);
    }
}
