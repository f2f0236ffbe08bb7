//! TCP stream reassembly for DNS over TCP (RFC 1035 §4.2.2, RFC 7766):
//! each direction of a connection is a byte stream of messages, each
//! preceded by its 16-bit length.
//!
//! Segments are put in sequence order; data already seen (a
//! retransmission, an overlap) is used once; segments after a hole wait,
//! bounded, until the hole fills. Memory is bounded per stream and in
//! number of streams, and idle streams expire.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Streams followed at most at once; past it the least recently used is
/// dropped.
pub(crate) const MAX_STREAMS: usize = 16_384;
/// Bytes waiting after a hole in one stream: two largest messages.
const MAX_OUT_OF_ORDER: usize = 2 * 65_537;
/// Seconds of capture time after which an idle stream is dropped.
pub(crate) const EXPIRY: u64 = 120;

/// One direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
}

#[derive(Debug, Default)]
struct Stream {
    /// Sequence number of the next byte expected.
    next: u32,
    /// Contiguous bytes not yet cut into messages.
    buf: Vec<u8>,
    /// Segments after a hole, by sequence number, with their times.
    ahead: BTreeMap<u32, (Vec<u8>, u64)>,
    ahead_bytes: usize,
    last_seen: u64,
}

/// One TCP segment, as far as reassembly cares.
pub(crate) struct Segment<'a> {
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// The streams being followed.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    streams: HashMap<Key, Stream>,
}

/// Sequence-space difference `a - b`, correct across wrap-around.
fn diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl Reassembler {
    /// Adds a segment; calls `message` with each complete DNS message and
    /// `skip` with the reason of each thing dropped.
    pub fn segment(
        &mut self,
        key: Key,
        seg: &Segment<'_>,
        now: u64,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        if !self.streams.contains_key(&key) {
            if seg.payload.is_empty() && !seg.syn {
                return;
            }
            if self.streams.len() >= MAX_STREAMS {
                self.evict_oldest(skip);
            }
            // Without the SYN, the stream starts with the first data seen:
            // a capture started mid-connection.
            let next = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            self.streams.insert(
                key,
                Stream {
                    next,
                    ..Stream::default()
                },
            );
        }
        let Some(st) = self.streams.get_mut(&key) else {
            return;
        };
        st.last_seen = now;
        let seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        if seg.syn && st.buf.is_empty() && st.ahead.is_empty() {
            st.next = seq;
        }
        st.accept(seq, seg.payload, now, message, skip);
        if seg.fin || seg.rst {
            if let Some(st) = self.streams.remove(&key) {
                st.close(message, skip);
            }
        }
    }

    /// Drops the streams idle for [`EXPIRY`] seconds.
    pub fn expire(
        &mut self,
        now: u64,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        let old: Vec<Key> = self
            .streams
            .iter()
            .filter(|(_, s)| now.saturating_sub(s.last_seen) > EXPIRY)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            if let Some(st) = self.streams.remove(&k) {
                st.close(message, skip);
            }
        }
    }

    /// Ends every stream (end of the capture), counting what was left.
    pub fn finish(
        &mut self,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        // In a fixed order, so the output does not depend on hashing.
        let mut all: Vec<(Key, Stream)> = self.streams.drain().collect();
        all.sort_by_key(|(k, s)| (s.last_seen, k.src, k.sport, k.dst, k.dport));
        for (_, st) in all {
            st.close(message, skip);
        }
    }

    /// Drops the least recently used eighth of the streams, so that a
    /// flood of new streams costs O(1) amortized per stream.
    fn evict_oldest(&mut self, skip: &mut dyn FnMut(&'static str)) {
        let mut ages: Vec<(u64, Key)> = self
            .streams
            .iter()
            .map(|(k, s)| (s.last_seen, *k))
            .collect();
        let n = (ages.len() / 8).max(1);
        if n < ages.len() {
            ages.select_nth_unstable_by_key(n, |(t, _)| *t);
        }
        for (_, k) in ages.iter().take(n) {
            self.streams.remove(k);
            skip("tcp-stream-evicted");
        }
    }
}

impl Stream {
    fn accept(
        &mut self,
        seq: u32,
        payload: &[u8],
        now: u64,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        if payload.is_empty() {
            return;
        }
        let d = diff(seq, self.next);
        if d > 0 {
            if let Some((held, _)) = self.ahead.get(&seq) {
                // A retransmission; if it carries more than the first
                // copy (segments coalesced on resend), keep the longer.
                if payload.len() > held.len()
                    && self.ahead_bytes + payload.len() - held.len() <= MAX_OUT_OF_ORDER
                {
                    self.ahead_bytes = self.ahead_bytes + payload.len() - held.len();
                    self.ahead.insert(seq, (payload.to_vec(), now));
                }
                skip("tcp-retransmission");
                return;
            }
            if self.ahead_bytes + payload.len() > MAX_OUT_OF_ORDER {
                // The hole is not going to fill: give up the bytes
                // before it and go on after it.
                self.skip_gap(message, skip);
                if diff(seq, self.next) > 0 {
                    self.ahead_bytes += payload.len();
                    self.ahead.insert(seq, (payload.to_vec(), now));
                    return;
                }
                self.accept(seq, payload, now, message, skip);
                return;
            }
            self.ahead_bytes += payload.len();
            self.ahead.insert(seq, (payload.to_vec(), now));
            return;
        }
        // Drop what was already received (a retransmission or overlap).
        let old = usize::try_from(-d).unwrap_or(usize::MAX);
        let Some(fresh) = payload.get(old..).filter(|f| !f.is_empty()) else {
            skip("tcp-retransmission");
            return;
        };
        self.push(fresh, now, message, skip);
        self.drain_ahead(now, message, skip);
    }

    /// Moves the segments that became contiguous out of `ahead`: the
    /// messages they complete were complete at `filled` (the time of the
    /// segment that filled the hole) or at their own time if later.
    fn drain_ahead(
        &mut self,
        filled: u64,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        while let Some((&s, _)) = self.ahead.iter().next() {
            let d = diff(s, self.next);
            if d > 0 {
                break;
            }
            let Some((data, time)) = self.ahead.remove(&s) else {
                break;
            };
            self.ahead_bytes -= data.len();
            let old = usize::try_from(-d).unwrap_or(usize::MAX);
            match data.get(old..).filter(|f| !f.is_empty()) {
                Some(fresh) => self.push(fresh, time.max(filled), message, skip),
                None => skip("tcp-retransmission"),
            }
        }
    }

    /// Gives up on a hole that will not fill: drops the partial message
    /// before it and resumes at the first segment after it, taking it as
    /// the start of a message (as Wireshark does after lost data).
    fn skip_gap(
        &mut self,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        let Some(&first) = self.ahead.keys().next() else {
            return;
        };
        skip("tcp-gap");
        self.buf.clear();
        self.next = first;
        // Nothing filled the hole: each message at its own time.
        self.drain_ahead(0, message, skip);
    }

    fn push(
        &mut self,
        fresh: &[u8],
        time: u64,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        self.buf.extend_from_slice(fresh);
        self.next = self
            .next
            .wrapping_add(u32::try_from(fresh.len()).unwrap_or(u32::MAX));
        self.cut(time, message, skip);
    }

    /// Cuts the complete length-prefixed messages off the buffer; they
    /// were completed at `time`.
    fn cut(
        &mut self,
        time: u64,
        message: &mut dyn FnMut(&[u8], u64),
        skip: &mut dyn FnMut(&'static str),
    ) {
        let mut at = 0;
        while let Some(&[hi, lo]) = self.buf.get(at..at + 2) {
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            let Some(m) = self.buf.get(at + 2..at + 2 + len) else {
                break;
            };
            if len == 0 {
                skip("tcp-empty-message");
            } else {
                message(m, time);
            }
            at += 2 + len;
        }
        self.buf.drain(..at);
    }

    /// The end of the stream: what waits after holes is read, what is
    /// left incomplete is counted.
    fn close(mut self, message: &mut dyn FnMut(&[u8], u64), skip: &mut dyn FnMut(&'static str)) {
        while !self.ahead.is_empty() {
            self.skip_gap(message, skip);
        }
        if !self.buf.is_empty() {
            skip("tcp-incomplete-message");
        }
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
            sport: 53,
            dport: 4000,
        }
    }

    fn run(segs: &[(u32, bool, &[u8])]) -> (Vec<Vec<u8>>, Vec<&'static str>) {
        let mut r = Reassembler::default();
        let mut msgs = Vec::new();
        let mut skips = Vec::new();
        for &(seq, syn, payload) in segs {
            let s = Segment {
                seq,
                syn,
                fin: false,
                rst: false,
                payload,
            };
            r.segment(key(), &s, 0, &mut |m, _| msgs.push(m.to_vec()), &mut |w| {
                skips.push(w)
            });
        }
        r.finish(&mut |m, _| msgs.push(m.to_vec()), &mut |w| skips.push(w));
        (msgs, skips)
    }

    /// A stream idle for longer than EXPIRY is ended (what waited after a
    /// hole is read, an incomplete message counted) and forgotten; one
    /// seen within EXPIRY stays, and goes on where it was.
    #[test]
    fn idle_streams_expire() {
        let mut r = Reassembler::default();
        let (mut msgs, mut skips) = (Vec::new(), Vec::new());
        let seg = |seq, payload| Segment {
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
        };
        let other = Key {
            dport: 4001,
            ..key()
        };
        // `key()`: a message, then one cut short; `other`: half a message.
        r.segment(
            key(),
            &seg(0, b"\x00\x02ab\x00\x05xy"),
            10,
            &mut |m, _| msgs.push(m.to_vec()),
            &mut |w| skips.push(w),
        );
        r.segment(
            other,
            &seg(0, b"\x00\x04pq"),
            100,
            &mut |m, _| msgs.push(m.to_vec()),
            &mut |w| skips.push(w),
        );
        assert_eq!(msgs, [b"ab".to_vec()]);
        // At 10 + EXPIRY the first is not yet idle for longer than EXPIRY.
        r.expire(10 + EXPIRY, &mut |m, _| msgs.push(m.to_vec()), &mut |w| {
            skips.push(w)
        });
        assert_eq!(r.streams.len(), 2);
        r.expire(11 + EXPIRY, &mut |m, _| msgs.push(m.to_vec()), &mut |w| {
            skips.push(w)
        });
        assert_eq!(r.streams.len(), 1);
        assert_eq!(skips, ["tcp-incomplete-message"]);
        // The other one, still followed, completes its message.
        r.segment(
            other,
            &seg(4, b"rs"),
            101 + EXPIRY,
            &mut |m, _| msgs.push(m.to_vec()),
            &mut |w| skips.push(w),
        );
        assert_eq!(msgs, [b"ab".to_vec(), b"pqrs".to_vec()]);
        r.expire(u64::MAX, &mut |m, _| msgs.push(m.to_vec()), &mut |w| {
            skips.push(w)
        });
        assert!(r.streams.is_empty());
        assert_eq!(skips, ["tcp-incomplete-message"]);
    }

    #[test]
    fn split_multi_out_of_order_retransmit() {
        let (m, s) = run(&[
            (100, true, b""),
            (105, false, b"\x00\x01c\x00\x01d"),
            (101, false, b"\x00\x02a"),
            (101, false, b"\x00\x02a"),
            (104, false, b"b"),
        ]);
        assert_eq!(m, [b"ab".to_vec(), b"c".to_vec(), b"d".to_vec()]);
        assert_eq!(s, ["tcp-retransmission"]);
    }

    #[test]
    fn longer_retransmission_wins() {
        let (m, s) = run(&[
            (100, true, b""),
            (105, false, b"\x00"),
            (105, false, b"\x00\x01c"),
            (101, false, b"\x00\x02ab"),
        ]);
        assert_eq!(m, [b"ab".to_vec(), b"c".to_vec()]);
        assert_eq!(s, ["tcp-retransmission"]);
    }

    #[test]
    fn wraparound_and_gap() {
        let (m, _) = run(&[(u32::MAX - 1, false, b"\x00\x03"), (0, false, b"xyz")]);
        assert_eq!(m, [b"xyz".to_vec()]);
        // The message before the hole is lost; the one after it is read.
        let (m, s) = run(&[(10, false, b"\x00\x05ab"), (20, false, b"\x00\x01z")]);
        assert_eq!(m, [b"z".to_vec()]);
        assert_eq!(s, ["tcp-gap"]);
    }
}
