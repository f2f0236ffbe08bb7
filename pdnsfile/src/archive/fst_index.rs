//! A bounds-checked reader for the FST sections (NAMES_REV, NAMES_FWD,
//! RDATA_NAMES).
//!
//! The `fst` crate trusts its input: on a damaged or hostile FST its node
//! decoder indexes out of bounds, subtracts past zero or asserts (its own
//! docs say a bad FST "will probably panic"), and its streams follow
//! whatever addresses they find. Queries do not check section CRCs (only
//! [`Archive::verify`](crate::Archive::verify) does), so a reader cannot
//! hand section bytes to `fst` unchecked.
//!
//! This reader keeps `fst`'s node decoding but checks every node before
//! decoding it ([`FstIndex::node`]): every byte its accessors read lies in
//! the FST, pack sizes are 1 to 8 bytes, and every transition points below
//! the node, so a walk can never loop. It walks the FST itself, with a cap
//! on key length, on the keys it yields (the count in the FST's header) and
//! on the nodes it visits. Nodes are checked as walks reach them, so open
//! stays O(1).

use fst::raw::{Fst, Node};
use fst::Automaton;

use crate::bytes::Bytes;
use crate::error::{Error, Result};

/// Longest key a walk follows: a reversed name key is at most
/// [`crate::name::MAX_NAME_LEN`] + 1 bytes; twice that leaves room.
const MAX_KEY_LEN: usize = 2 * crate::name::MAX_NAME_LEN;

/// The FST's own header (version, type); no node lies in it.
const FST_HEADER_LEN: usize = 16;

/// `fst`'s address of the empty final node, which has no bytes.
const EMPTY_ADDRESS: usize = 0;

/// One FST section, read defensively.
pub(crate) struct FstIndex {
    fst: Fst<Bytes>,
    section: &'static str,
    version: u64,
    root: usize,
}

impl FstIndex {
    /// Reads the FST header and checks the root node.
    pub(crate) fn new(bytes: Bytes, section: &'static str) -> Result<FstIndex> {
        let fst = Fst::new(bytes).map_err(|e| Error::corrupt(section, format!("bad FST: {e}")))?;
        // `Fst::new` checked the length (at least 36 bytes) and the version
        // (1 to 3); version 3 ends with a 4-byte checksum. Its check of the
        // root address is weaker than it looks, so `node` checks the root
        // like every other node.
        let b = fst.as_bytes();
        let word = |at: usize| -> u64 {
            let mut a = [0u8; 8];
            a.copy_from_slice(b.get(at..at + 8).unwrap_or(&[0; 8]));
            u64::from_le_bytes(a)
        };
        let version = word(0);
        let end = if version >= 3 { b.len() - 4 } else { b.len() };
        let root = usize::try_from(word(end - 8))
            .map_err(|_| Error::corrupt(section, "FST root address too large"))?;
        let index = FstIndex {
            fst,
            section,
            version,
            root,
        };
        index.node(root)?;
        Ok(index)
    }

    /// Number of keys, as the FST's header says.
    pub(crate) fn len(&self) -> usize {
        self.fst.len()
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<u64>> {
        let mut node = self.node(self.root)?;
        let mut out = 0u64;
        for &b in key {
            let Some(i) = node.find_input(b) else {
                return Ok(None);
            };
            let t = node.transition(i);
            out = out.wrapping_add(t.out.value());
            node = self.node(t.addr)?;
        }
        Ok(node
            .is_final()
            .then(|| out.wrapping_add(node.final_output().value())))
    }

    /// Calls `f` with each key in `[from, to)` that `aut` matches, and its
    /// value, in key order, until `f` returns `Ok(false)`. The same keys as
    /// `fst`'s `search(aut).ge(from).lt(to)` stream.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] for a bad node, a key longer than any name, more
    /// keys than the header counts, or a walk that visits more nodes than
    /// an FST of this many keys can hold (a crafted DAG whose paths
    /// multiply); and `f`'s errors.
    pub(crate) fn walk<A: Automaton>(
        &self,
        aut: &A,
        from: &[u8],
        to: Option<&[u8]>,
        mut f: impl FnMut(&[u8], u64) -> Result<bool>,
    ) -> Result<()> {
        struct Frame<'f, S> {
            node: Node<'f>,
            next: usize,
            out: u64,
            state: S,
        }
        // A sound walk enters each prefix of a key at most once.
        let mut budget = (self.len() as u64)
            .saturating_add(1)
            .saturating_mul(MAX_KEY_LEN as u64 + 1);
        let mut emitted = 0usize;
        let mut emit = |key: &[u8], value: u64| -> Result<bool> {
            emitted += 1;
            if emitted > self.len() {
                return Err(Error::corrupt(
                    self.section,
                    "FST holds more keys than its header counts",
                ));
            }
            f(key, value)
        };

        if to.is_some_and(<[u8]>::is_empty) {
            return Ok(());
        }
        let root = self.node(self.root)?;
        let start = aut.start();
        if from.is_empty()
            && root.is_final()
            && aut.is_match(&start)
            && !emit(&[], root.final_output().value())?
        {
            return Ok(());
        }
        if !aut.can_match(&start) {
            return Ok(());
        }
        // Invariant: `key` is the path to the top frame's node.
        let mut key: Vec<u8> = Vec::new();
        let mut stack = vec![Frame {
            node: root,
            next: 0,
            out: 0,
            state: start,
        }];
        while let Some(top) = stack.last_mut() {
            if top.next >= top.node.len() {
                stack.pop();
                key.pop();
                continue;
            }
            let t = top.node.transition(top.next);
            top.next += 1;
            key.push(t.inp);
            if to.is_some_and(|to| key.as_slice() >= to) {
                // Keys come in order: every later one is past `to` too.
                return Ok(());
            }
            if key.as_slice() < from && !from.starts_with(&key) {
                // Every key below this transition sorts before `from`.
                key.pop();
                continue;
            }
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Err(Error::corrupt(
                    self.section,
                    "FST walk visits more nodes than its keys can have",
                ));
            }
            if key.len() > MAX_KEY_LEN {
                return Err(Error::corrupt(self.section, "FST key longer than any name"));
            }
            let out = top.out.wrapping_add(t.out.value());
            let state = aut.accept(&top.state, t.inp);
            let node = self.node(t.addr)?;
            let mut is_match = aut.is_match(&state);
            if node.is_final() {
                if let Some(eof) = aut.accept_eof(&state) {
                    is_match = aut.is_match(&eof);
                }
                if is_match
                    && key.as_slice() >= from
                    && !emit(&key, out.wrapping_add(node.final_output().value()))?
                {
                    return Ok(());
                }
            }
            if aut.can_match(&state) {
                stack.push(Frame {
                    node,
                    next: 0,
                    out,
                    state,
                });
            } else {
                key.pop();
            }
        }
        Ok(())
    }

    /// The node at `addr`, after checking that decoding it and reading any
    /// of its transitions stays inside the FST (the layout is `fst`'s
    /// `raw/node.rs`: a node is read backwards from its last byte, `addr`).
    fn node(&self, addr: usize) -> Result<Node<'_>> {
        if addr == EMPTY_ADDRESS || self.node_ok(addr).is_some() {
            return Ok(self.fst.node(addr));
        }
        Err(Error::corrupt(
            self.section,
            format!("bad FST node at {addr}"),
        ))
    }

    /// `Some(())` when the node at `addr` (not the empty address) is sound.
    fn node_ok(&self, addr: usize) -> Option<()> {
        let data = self.fst.as_bytes();
        let state = *data.get(addr)?;
        // Bytes of the node below `addr`, from the top: each `take` moves
        // the bottom down and fails rather than pass the FST's header.
        let mut bottom = addr;
        let mut take = |n: usize| -> Option<usize> {
            bottom = bottom.checked_sub(n).filter(|&b| b >= FST_HEADER_LEN)?;
            Some(bottom)
        };
        // A transition's target is `end - delta`: it must not pass zero.
        let target_ok = |at: usize, size: usize, end: usize| -> Option<()> {
            let delta = unpack(data.get(at..at + size)?);
            (usize::try_from(delta).ok()? <= end).then_some(())
        };
        match state >> 6 {
            // One transition to the node just below, no output.
            0b11 => {
                if state & 0x3f == 0 {
                    take(1)?; // input byte
                }
                // The target, `end - 1`, must be a node address, not 0.
                take(1)?;
                Some(())
            }
            // One transition with an output.
            0b10 => {
                if state & 0x3f == 0 {
                    take(1)?; // input byte
                }
                let sizes = data[take(1)?];
                let (tsize, osize) = (usize::from(sizes >> 4), usize::from(sizes & 0x0f));
                if !(1..=8).contains(&tsize) || osize > 8 {
                    return None;
                }
                let trans = take(tsize)?;
                let end = take(osize)?;
                target_ok(trans, tsize, end)
            }
            // Any number of transitions, maybe final.
            _ => {
                let is_final = state & 0x40 != 0;
                let ntrans = match state & 0x3f {
                    0 => match data[take(1)?] {
                        1 => 256,
                        n => usize::from(n),
                    },
                    n => usize::from(n),
                };
                let sizes = data[take(1)?];
                let (tsize, osize) = (usize::from(sizes >> 4), usize::from(sizes & 0x0f));
                if (ntrans > 0 && tsize == 0) || tsize > 8 || osize > 8 {
                    return None;
                }
                if self.version >= 2 && ntrans > 32 {
                    take(256)?; // input → transition index
                }
                take(ntrans)?; // inputs
                let addrs = take(ntrans * tsize)?;
                take(ntrans * osize)?;
                let end = take(if is_final { osize } else { 0 })?;
                (0..ntrans).try_for_each(|i| target_ok(addrs + i * tsize, tsize, end))
            }
        }
    }
}

/// A little-endian unsigned integer of 1 to 8 bytes.
fn unpack(b: &[u8]) -> u64 {
    b.iter()
        .enumerate()
        .fold(0, |n, (i, &x)| n | (u64::from(x) << (8 * i)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::Backing;

    fn index(keys: &[(&[u8], u64)]) -> FstIndex {
        let mut b = fst::MapBuilder::memory();
        for (k, v) in keys {
            b.insert(k, *v).unwrap();
        }
        let bytes = Bytes::new(Backing::Vec(b.into_inner().unwrap()));
        FstIndex::new(bytes, "test").unwrap()
    }

    fn collect(
        ix: &FstIndex,
        aut: &impl Automaton,
        from: &[u8],
        to: Option<&[u8]>,
    ) -> Vec<(Vec<u8>, u64)> {
        let mut v = Vec::new();
        ix.walk(aut, from, to, |k, x| {
            v.push((k.to_vec(), x));
            Ok(true)
        })
        .unwrap();
        v
    }

    #[test]
    fn walks_like_fst() {
        let mut keys: Vec<Vec<u8>> = vec![b"".to_vec()];
        for a in [b'a', b'b', b'z'] {
            for n in 0..40u8 {
                keys.push(vec![a, b'0' + n % 10, n]);
                keys.push(vec![a, b'0' + n % 10]);
            }
        }
        keys.sort();
        keys.dedup();
        let with: Vec<(&[u8], u64)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_slice(), i as u64 * 1000))
            .collect();
        let ix = index(&with);
        let map = fst::Map::new(ix.fst.as_bytes().to_vec()).unwrap();
        let all = fst::automaton::AlwaysMatch;
        for (from, to) in [
            (&b""[..], None),
            (b"a", Some(&b"b"[..])),
            (b"a5", Some(b"a6")),
            (b"b", None),
            (b"a0\x05", Some(b"z")),
            (b"zz", None),
            (b"", Some(b"")),
        ] {
            let mut want = Vec::new();
            let mut r = map.range().ge(from);
            if let Some(to) = to {
                r = r.lt(to);
            }
            let mut st = fst::IntoStreamer::into_stream(r);
            while let Some((k, v)) = fst::Streamer::next(&mut st) {
                want.push((k.to_vec(), v));
            }
            assert_eq!(collect(&ix, &all, from, to), want, "{from:?} {to:?}");
        }
        let lev = fst::automaton::Levenshtein::new("a5", 1).unwrap();
        let mut want = Vec::new();
        let mut st = fst::IntoStreamer::into_stream(map.search(&lev));
        while let Some((k, v)) = fst::Streamer::next(&mut st) {
            want.push((k.to_vec(), v));
        }
        assert_eq!(collect(&ix, &lev, b"", None), want);
        for k in &keys {
            assert_eq!(ix.get(k).unwrap(), map.get(k));
        }
        assert_eq!(ix.get(b"a5x").unwrap(), None);
        assert_eq!(ix.get(b"q").unwrap(), None);
    }

    #[test]
    fn refuses_bad_nodes_without_panicking() {
        let ix = index(&[(b"alpha", 1), (b"beta", 2), (b"gamma", 300_000)]);
        let good = ix.fst.as_bytes().to_vec();
        let all = fst::automaton::AlwaysMatch;
        for at in 0..good.len() {
            for mask in [0x01u8, 0x0f, 0x40, 0x80, 0xf0, 0xff] {
                let mut b = good.clone();
                b[at] ^= mask;
                let Ok(ix) = FstIndex::new(Bytes::new(Backing::Vec(b)), "test") else {
                    continue;
                };
                let _ = ix.get(b"beta");
                let _ = ix.walk(&all, b"", None, |_, _| Ok(true));
                let _ = ix.walk(&all, b"b", Some(b"c"), |_, _| Ok(true));
            }
        }
    }
}
