//! A builder of FSTs in the `fst` crate's on-disk format (version 3), for
//! the archive's name indexes.
//!
//! The format is the `fst` crate's (spec/FORMAT.md, 10.5), and readers
//! (ours and the crate's) decode what this writes. The construction is the
//! usual one for sorted keys: the nodes of the last key's path stay
//! unfinished, and once a key leaves a node's subtree the node is frozen:
//! written, unless an identical node was written before (then its address
//! is reused, which shares common suffixes). Outputs are pushed as close
//! to the root as they can go.
//!
//! Why not `fst::MapBuilder`: on the archive's name sets it spent about
//! 1 µs per key, most of it in its registry of written nodes, which
//! compares whole transition lists on every probe and reallocates nodes as
//! they move between its stack and its cache. Here the commonest node, a
//! link of a chain (one transition, no output), is looked up by the node
//! itself packed in a u64 and frozen without moving it; other nodes are
//! probed by a 64-bit hash first and stored inline up to two transitions;
//! the stack's buffers are reused. On the 5.2 M names of the 10 M-entry
//! benchmark: 232 ns a forward name (`fst`: 981), 173 a reversed one
//! (584), `pdnsfile/examples/fstbench.rs`. A bigger registry
//! also finds more of the shared suffixes, so the FSTs come out smaller.
//! On small inputs both registries find every shared node, and the bytes
//! are the same as the crate's (a test checks it).

use std::io::{self, Write};

/// The format version written (what `fst` 0.4 writes).
const VERSION: u64 = 3;

/// Address of the final node with no transitions and no output; it has
/// no bytes.
const EMPTY_ADDRESS: u64 = 0;

/// "No node written yet" (no real node lies at 0..16, the header).
const NONE_ADDRESS: u64 = 1;

/// Nodes with more transitions than this carry a 256-byte index from
/// input byte to transition.
const TRANS_INDEX_THRESHOLD: usize = 32;

/// The 63 input bytes the format can fold into a node's state byte, most
/// common first. This is a constant of the `fst` format (the start of its
/// `COMMON_INPUTS_INV` table); a byte at position `i` is stored as `i + 1`.
const COMMON_INPUTS: &[u8; 63] = b"te/oasripcnw.hlm-du012g=:bf3y5&_4v9678k%?xCDASFIBEjPTzRNM+LOqHG";

/// The state-byte index of `b` in [`COMMON_INPUTS`], or 0.
const fn common_index_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < COMMON_INPUTS.len() {
        t[COMMON_INPUTS[i] as usize] = i as u8 + 1;
        i += 1;
    }
    t
}

static COMMON_INDEX: [u8; 256] = common_index_table();

/// Bytes needed for `n` (at least one).
fn pack_size(n: u64) -> u8 {
    let bits = 64 - n.leading_zeros();
    (bits.div_ceil(8)).max(1) as u8
}

/// `n` in `size` little-endian bytes.
fn pack_into(out: &mut Vec<u8>, n: u64, size: u8) {
    out.extend_from_slice(&n.to_le_bytes()[..usize::from(size)]);
}

/// Appends a non-final node with one transition (on `inp`, adding `out`,
/// to `target`) that starts at address `start`; `last_addr` is the
/// address of the node written just before.
fn encode_one(b: &mut Vec<u8>, inp: u8, out: u64, target: u64, start: u64, last_addr: u64) {
    let common = COMMON_INDEX[usize::from(inp)];
    if target == last_addr && out == 0 {
        // One transition to the node written just before.
        if common == 0 {
            b.push(inp);
        }
        b.push(0b11_000000 | common);
        return;
    }
    let osize = if out == 0 {
        0
    } else {
        let s = pack_size(out);
        pack_into(b, out, s);
        s
    };
    let d = if target == EMPTY_ADDRESS {
        EMPTY_ADDRESS
    } else {
        start - target
    };
    let tsize = pack_size(d);
    pack_into(b, d, tsize);
    b.push((tsize << 4) | osize);
    if common == 0 {
        b.push(inp);
    }
    b.push(0b10_000000 | common);
}

/// An error building an FST.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Keys must be inserted in strictly increasing byte order.
    #[error("FST keys out of order or repeated")]
    OutOfOrder,
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A transition of a node: on `inp`, add `out` and go to `addr`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Trans {
    addr: u64,
    out: u64,
    inp: u8,
}

/// A node on the path of the last key, not yet written.
#[derive(Default, Debug)]
struct Unfinished {
    is_final: bool,
    final_output: u64,
    trans: Vec<Trans>,
    /// The transition toward the last key, whose target is unfinished.
    last: Option<(u8, u64)>,
}

impl Unfinished {
    fn reset(&mut self, is_final: bool) {
        self.is_final = is_final;
        self.final_output = 0;
        self.trans.clear();
        self.last = None;
    }

    /// Completes the transition toward the last key, now that its target
    /// is at `addr`.
    fn close_last(&mut self, addr: u64) {
        if let Some((inp, out)) = self.last.take() {
            self.trans.push(Trans { addr, out, inp });
        }
    }

    fn add_output_prefix(&mut self, prefix: u64) {
        if self.is_final {
            self.final_output += prefix;
        }
        for t in &mut self.trans {
            t.out += prefix;
        }
        if let Some((_, out)) = &mut self.last {
            *out += prefix;
        }
    }
}

/// Transitions kept inline in a registry slot; wider nodes spill to a
/// vector (branching nodes are few).
const INLINE: usize = 2;

/// A written node, remembered so an identical one reuses it.
#[derive(Clone, Default)]
struct Slot {
    /// 0 for an empty slot (hashes are never 0).
    hash: u64,
    addr: u64,
    final_output: u64,
    is_final: bool,
    n: u16,
    inline: [Trans; INLINE],
    wide: Vec<Trans>,
}

impl Slot {
    fn holds(&self, hash: u64, node: &Unfinished) -> bool {
        if self.hash != hash
            || self.is_final != node.is_final
            || self.final_output != node.final_output
            || usize::from(self.n) != node.trans.len()
        {
            return false;
        }
        if node.trans.len() <= INLINE {
            self.inline.get(..node.trans.len()) == Some(node.trans.as_slice())
        } else {
            self.wide == node.trans
        }
    }

    fn store(&mut self, hash: u64, node: &Unfinished, addr: u64) {
        self.hash = hash;
        self.addr = addr;
        self.is_final = node.is_final;
        self.final_output = node.final_output;
        // At most 256 transitions (one per byte).
        self.n = node.trans.len() as u16;
        if node.trans.len() <= INLINE {
            for (s, t) in self.inline.iter_mut().zip(&node.trans) {
                *s = *t;
            }
        } else {
            self.wide.clear();
            self.wide.extend_from_slice(&node.trans);
        }
    }
}

/// Written nodes by hash: a fixed number of two-slot buckets, the most
/// recently used first. A full bucket forgets its older node, which only
/// costs sharing (the FST stays correct), so memory is fixed.
struct Registry {
    slots: Vec<Slot>,
    mask: usize,
}

impl Registry {
    fn new(buckets_log2: u32) -> Registry {
        let buckets = 1usize << buckets_log2;
        Registry {
            slots: vec![Slot::default(); buckets * 2],
            mask: buckets - 1,
        }
    }

    fn hash(node: &Unfinished) -> u64 {
        // FxHash's step per field, then murmur3's finalizer: chain nodes
        // differ in few bits (one input byte, a nearby address), and the
        // bucket index takes the low bits.
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, x: u64| (h.rotate_left(5) ^ x).wrapping_mul(K);
        let mut h = mix(u64::from(node.is_final) + 1, node.final_output);
        for t in &node.trans {
            h = mix(mix(mix(h, u64::from(t.inp)), t.addr), t.out);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        // Never 0, which marks an empty slot.
        h.max(1)
    }

    /// The address of a node identical to `node`, if one is remembered.
    fn find(&mut self, hash: u64, node: &Unfinished) -> Option<u64> {
        let b = (hash as usize & self.mask) * 2;
        let pair = self.slots.get_mut(b..b + 2)?;
        if pair[0].holds(hash, node) {
            return Some(pair[0].addr);
        }
        if pair[1].holds(hash, node) {
            pair.swap(0, 1);
            return Some(pair[0].addr);
        }
        None
    }

    /// Remembers `node` at `addr`, forgetting the bucket's older node.
    fn insert(&mut self, hash: u64, node: &Unfinished, addr: u64) {
        let b = (hash as usize & self.mask) * 2;
        if let Some(pair) = self.slots.get_mut(b..b + 2) {
            pair.swap(0, 1);
            pair[0].store(hash, node, addr);
        }
    }
}

/// Written nodes of the commonest shape (one transition, no output
/// anywhere) keyed by the node itself packed in a u64, so a probe reads
/// 16 bytes and needs no second comparison: most nodes of a name index are
/// links of such chains, and most lookups find one.
struct Chains {
    /// Two (key, address) pairs per bucket, the most recently used first;
    /// key 0 is an empty entry.
    slots: Vec<[(u64, u64); 2]>,
    mask: usize,
}

impl Chains {
    fn new(buckets_log2: u32) -> Chains {
        let buckets = 1usize << buckets_log2;
        Chains {
            slots: vec![[(0, 0); 2]; buckets],
            mask: buckets - 1,
        }
    }

    /// The packed key of a node of this shape, or `None`. Addresses below
    /// 2^54 leave room for the input byte and the final flag (an FST that
    /// large is far past any archive's limits).
    fn key(node: &Unfinished) -> Option<u64> {
        match node.trans.as_slice() {
            [t] if t.out == 0 && node.final_output == 0 => {
                Chains::pack(t.addr, node.is_final, t.inp)
            }
            _ => None,
        }
    }

    /// The key of a one-transition node without outputs.
    fn pack(addr: u64, is_final: bool, inp: u8) -> Option<u64> {
        (addr < 1 << 54)
            .then(|| (addr << 10) | (u64::from(is_final) << 9) | (1 << 8) | u64::from(inp))
    }

    fn bucket(&mut self, key: u64) -> Option<&mut [(u64, u64); 2]> {
        // murmur3's finalizer: keys differ in a few low bits.
        let mut h = key;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        let i = h as usize & self.mask;
        self.slots.get_mut(i)
    }

    fn find(&mut self, key: u64) -> Option<u64> {
        let b = self.bucket(key)?;
        if b[0].0 == key {
            return Some(b[0].1);
        }
        if b[1].0 == key {
            b.swap(0, 1);
            return Some(b[0].1);
        }
        None
    }

    fn insert(&mut self, key: u64, addr: u64) {
        if let Some(b) = self.bucket(key) {
            b[1] = b[0];
            b[0] = (key, addr);
        }
    }
}

/// Builds an FST map (or set: every value 0) from keys in increasing
/// order, streaming the nodes to `W`.
pub struct FstBuilder<W: Write> {
    out: W,
    /// Bytes not yet handed to `out`.
    buf: Vec<u8>,
    /// Bytes written so far (addresses are offsets from the start).
    pos: u64,
    crc: u32,
    /// `stack[..depth]` is the last key's path; deeper entries are spare
    /// buffers kept for reuse.
    stack: Vec<Unfinished>,
    depth: usize,
    last_key: Vec<u8>,
    started: bool,
    len: u64,
    /// Address of the last node written.
    last_addr: u64,
    registry: Registry,
    chains: Chains,
}

/// Flush the output buffer past this many bytes.
const BUF_LEN: usize = 64 * 1024;

impl<W: Write> FstBuilder<W> {
    /// Starts an FST on `out` with the default registry: 2^14 buckets for
    /// chain links and 2^12 for other nodes, about 1.4 MB, which stays in a
    /// core's cache. On the 5.2 M names of the 10 M-entry benchmark,
    /// 2^16 made NAMES_FWD 8 % smaller and its build 20 % slower.
    pub fn new(out: W) -> FstBuilder<W> {
        FstBuilder::with_registry(out, 14)
    }

    /// Starts an FST with 2^`buckets_log2` two-node buckets for chain
    /// links (a quarter as many for other nodes): more finds more shared
    /// nodes (a smaller FST) at more memory and more cache misses.
    pub fn with_registry(out: W, buckets_log2: u32) -> FstBuilder<W> {
        let mut buf = Vec::with_capacity(BUF_LEN + 1024);
        buf.extend_from_slice(&VERSION.to_le_bytes());
        // FST type 0 (what `fst`'s map and set builders write).
        buf.extend_from_slice(&0u64.to_le_bytes());
        let mut stack = Vec::with_capacity(64);
        stack.push(Unfinished::default());
        FstBuilder {
            out,
            buf,
            pos: 16,
            crc: 0,
            stack,
            depth: 1,
            last_key: Vec::new(),
            started: false,
            len: 0,
            last_addr: NONE_ADDRESS,
            registry: Registry::new(buckets_log2.clamp(4, 24).saturating_sub(2)),
            chains: Chains::new(buckets_log2.clamp(4, 24)),
        }
    }

    /// Number of keys inserted.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no key was inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `key` with `value`. Keys must come in strictly increasing byte
    /// order.
    ///
    /// # Errors
    ///
    /// [`BuildError::OutOfOrder`] for a key not above the previous one;
    /// I/O errors of the output.
    pub fn insert(&mut self, key: &[u8], value: u64) -> Result<(), BuildError> {
        if self.started && key <= self.last_key.as_slice() {
            return Err(BuildError::OutOfOrder);
        }
        self.started = true;
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.len += 1;
        if key.is_empty() {
            // Only the first key can be empty, so the root is untouched.
            if let Some(root) = self.stack.first_mut() {
                root.is_final = true;
                root.final_output = value;
            }
            return Ok(());
        }
        let (prefix, out) = self.common_prefix(key, value);
        self.freeze_from(prefix)?;
        self.add_suffix(key.get(prefix..).unwrap_or_default(), out);
        Ok(())
    }

    /// The length of the longest prefix `key` shares with the last key,
    /// moving outputs along it so that each transition keeps the part
    /// common to both keys; returns what is left of `value`.
    fn common_prefix(&mut self, key: &[u8], mut value: u64) -> (usize, u64) {
        let mut i = 0;
        while i < key.len() && i + 1 < self.depth {
            let Some(node) = self.stack.get_mut(i) else {
                break;
            };
            let Some((inp, out)) = &mut node.last else {
                break;
            };
            if Some(&*inp) != key.get(i) {
                break;
            }
            let common = (*out).min(value);
            let rest = *out - common;
            value -= common;
            *out = common;
            i += 1;
            if rest != 0 {
                if let Some(next) = self.stack.get_mut(i) {
                    next.add_output_prefix(rest);
                }
            }
        }
        (i, value)
    }

    /// Writes the nodes of the last key's path below depth `keep`.
    fn freeze_from(&mut self, keep: usize) -> Result<(), BuildError> {
        let mut addr = NONE_ADDRESS;
        while keep + 1 < self.depth {
            self.depth -= 1;
            // Most frozen nodes are links of a chain: not final, no
            // transition yet but the one toward the last key, which
            // carries no output. They are looked up (and written) as they
            // are, without moving the node or its transition list.
            if let Some(node) = self.stack.get_mut(self.depth) {
                let link = match node.last {
                    Some((inp, 0))
                        if addr != NONE_ADDRESS && node.trans.is_empty() && !node.is_final =>
                    {
                        Chains::pack(addr, false, inp).map(|key| (key, inp))
                    }
                    _ => None,
                };
                if let Some((key, inp)) = link {
                    node.last = None;
                    addr = self.compile_link(key, inp, addr)?;
                    continue;
                }
            }
            let mut node = std::mem::take(&mut self.stack[self.depth]);
            if addr != NONE_ADDRESS {
                node.close_last(addr);
            }
            addr = self.compile(&node)?;
            self.stack[self.depth] = node;
        }
        if let Some(top) = self.stack.get_mut(self.depth - 1) {
            if addr != NONE_ADDRESS {
                top.close_last(addr);
            }
        }
        Ok(())
    }

    /// Pushes the nodes for `suffix`, the first byte's transition leaving
    /// the current top with `out`.
    fn add_suffix(&mut self, suffix: &[u8], out: u64) {
        let Some((&first, rest)) = suffix.split_first() else {
            return;
        };
        if let Some(top) = self.stack.get_mut(self.depth - 1) {
            top.last = Some((first, out));
        }
        for &b in rest {
            self.push_node(false).last = Some((b, 0));
        }
        self.push_node(true);
    }

    fn push_node(&mut self, is_final: bool) -> &mut Unfinished {
        if self.depth == self.stack.len() {
            self.stack.push(Unfinished::default());
        }
        let node = &mut self.stack[self.depth];
        node.reset(is_final);
        self.depth += 1;
        node
    }

    /// Writes `node` (or finds it written) and returns its address.
    fn compile(&mut self, node: &Unfinished) -> Result<u64, BuildError> {
        if node.is_final && node.trans.is_empty() && node.final_output == 0 {
            return Ok(EMPTY_ADDRESS);
        }
        let chain = Chains::key(node);
        let mut hash = 0;
        let found = match chain {
            Some(key) => self.chains.find(key),
            None => {
                hash = Registry::hash(node);
                self.registry.find(hash, node)
            }
        };
        if let Some(addr) = found {
            return Ok(addr);
        }
        let start = self.pos;
        let before = self.buf.len();
        self.encode(node, start);
        self.pos += (self.buf.len() - before) as u64;
        self.last_addr = self.pos - 1;
        match chain {
            Some(key) => self.chains.insert(key, self.last_addr),
            None => self.registry.insert(hash, node, self.last_addr),
        }
        if self.buf.len() >= BUF_LEN {
            self.flush()?;
        }
        Ok(self.last_addr)
    }

    /// [`FstBuilder::compile`] for a chain link (`key` packs it): one
    /// transition on `inp` to `target`, no outputs, not final.
    fn compile_link(&mut self, key: u64, inp: u8, target: u64) -> Result<u64, BuildError> {
        if let Some(addr) = self.chains.find(key) {
            return Ok(addr);
        }
        let start = self.pos;
        let before = self.buf.len();
        encode_one(&mut self.buf, inp, 0, target, start, self.last_addr);
        self.pos += (self.buf.len() - before) as u64;
        self.last_addr = self.pos - 1;
        self.chains.insert(key, self.last_addr);
        if self.buf.len() >= BUF_LEN {
            self.flush()?;
        }
        Ok(self.last_addr)
    }

    /// Appends the bytes of `node`, which starts at address `start`.
    fn encode(&mut self, node: &Unfinished, start: u64) {
        let b = &mut self.buf;
        let delta = |addr: u64| {
            if addr == EMPTY_ADDRESS {
                EMPTY_ADDRESS
            } else {
                start - addr
            }
        };
        match node.trans.as_slice() {
            [t] if !node.is_final => encode_one(b, t.inp, t.out, t.addr, start, self.last_addr),
            trans => {
                let mut tsize = 0;
                let mut osize = pack_size(node.final_output);
                let mut any_outs = node.final_output != 0;
                for t in trans {
                    tsize = tsize.max(pack_size(delta(t.addr)));
                    osize = osize.max(pack_size(t.out));
                    any_outs |= t.out != 0;
                }
                if any_outs {
                    if node.is_final {
                        pack_into(b, node.final_output, osize);
                    }
                    for t in trans.iter().rev() {
                        pack_into(b, t.out, osize);
                    }
                } else {
                    osize = 0;
                }
                for t in trans.iter().rev() {
                    pack_into(b, delta(t.addr), tsize);
                }
                b.extend(trans.iter().rev().map(|t| t.inp));
                if trans.len() > TRANS_INDEX_THRESHOLD {
                    // 255 (any value not below the count) means "none".
                    let mut index = [255u8; 256];
                    for (i, t) in trans.iter().enumerate() {
                        index[usize::from(t.inp)] = i as u8;
                    }
                    b.extend_from_slice(&index);
                }
                b.push((tsize << 4) | osize);
                // The count goes in the state byte when it fits in six
                // bits and is not 0; otherwise in a byte of its own, where
                // 256 is written as 1 (one transition never gets here).
                let n = trans.len();
                let in_state = if (1..=63).contains(&n) { n as u8 } else { 0 };
                if in_state == 0 {
                    b.push(if n == 256 { 1 } else { n as u8 });
                }
                let fin = if node.is_final { 0b01_000000 } else { 0 };
                b.push(fin | in_state);
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.crc = crc32c::crc32c_append(self.crc, &self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes the remaining nodes and the trailer, and returns the output
    /// (flushed).
    ///
    /// # Errors
    ///
    /// I/O errors of the output.
    pub fn finish(mut self) -> Result<W, BuildError> {
        self.freeze_from(0)?;
        let root = std::mem::take(&mut self.stack[0]);
        let root_addr = self.compile(&root)?;
        self.buf.extend_from_slice(&self.len.to_le_bytes());
        self.buf.extend_from_slice(&root_addr.to_le_bytes());
        self.flush()?;
        let c = self.crc;
        let masked = c.rotate_right(15).wrapping_add(0xa282_ead8);
        self.out.write_all(&masked.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn ours(keys: &[(Vec<u8>, u64)], log2: u32) -> Vec<u8> {
        let mut b = FstBuilder::with_registry(Vec::new(), log2);
        for (k, v) in keys {
            b.insert(k, *v).unwrap();
        }
        b.finish().unwrap()
    }

    fn theirs(keys: &[(Vec<u8>, u64)]) -> Vec<u8> {
        let mut b = fst::MapBuilder::memory();
        for (k, v) in keys {
            b.insert(k, *v).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// A small deterministic generator (no dependency for a test).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn key_set(rng: &mut Rng, n: usize, alphabet: &[u8], values: u64) -> Vec<(Vec<u8>, u64)> {
        let mut keys: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                let len = rng.below(12) as usize;
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                let v = if values == 0 { 0 } else { rng.below(values) };
                (k, v)
            })
            .collect()
    }

    #[test]
    fn common_inputs_match_the_fst_format() {
        // Each common byte, alone as a one-key set, is folded into the
        // state byte exactly as the crate folds it.
        for b in 0..=255u8 {
            let keys = vec![(vec![b], 0)];
            assert_eq!(ours(&keys, 8), theirs(&keys), "byte {b}");
        }
    }

    #[test]
    fn same_bytes_as_the_fst_crate_on_small_inputs() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let alphabets: [&[u8]; 4] = [b"ab", b"abc.-", b"etaoinsrhl.0123", &[0, 1, 127, 128, 255]];
        for round in 0..400 {
            let alphabet = alphabets[round % alphabets.len()];
            let n = 1 + rng.below(60) as usize;
            let values = [0, 2, 1000, u64::MAX][round % 4];
            let keys = key_set(&mut rng, n, alphabet, values);
            assert_eq!(ours(&keys, 16), theirs(&keys), "round {round}: {keys:?}");
        }
    }

    #[test]
    fn wide_nodes_and_big_outputs_match() {
        // Every byte value under one node (256 transitions, the index,
        // the count written as 1), and outputs of every size.
        let mut keys: Vec<(Vec<u8>, u64)> = (0..=255u8)
            .map(|b| (vec![b'x', b], u64::from(b) << (u64::from(b) % 57)))
            .collect();
        keys.insert(0, (vec![], 7));
        assert_eq!(ours(&keys, 16), theirs(&keys));
        let keys: Vec<(Vec<u8>, u64)> = (0..100u8).map(|b| (vec![b, b], 0)).collect();
        assert_eq!(ours(&keys, 16), theirs(&keys));
    }

    #[test]
    fn a_small_registry_still_reads_back_every_key() {
        let mut rng = Rng(42);
        let keys = key_set(&mut rng, 5000, b"abcdefgh.", 1 << 40);
        // Two buckets' worth of memory: most shared nodes are missed.
        let bytes = ours(&keys, 4);
        let map = fst::Map::new(bytes).unwrap();
        assert_eq!(map.len(), keys.len());
        let got: Vec<(Vec<u8>, u64)> = {
            use fst::Streamer;
            let mut s = map.stream();
            let mut v = Vec::new();
            while let Some((k, o)) = s.next() {
                v.push((k.to_vec(), o));
            }
            v
        };
        assert_eq!(got.len(), keys.len());
        assert!(got == keys, "the keys read back differ");
        map.as_fst().verify().unwrap();
    }

    #[test]
    fn out_of_order_and_repeated_keys_are_refused() {
        let mut b = FstBuilder::new(Vec::new());
        b.insert(b"b", 1).unwrap();
        assert!(matches!(b.insert(b"b", 1), Err(BuildError::OutOfOrder)));
        assert!(matches!(b.insert(b"a", 1), Err(BuildError::OutOfOrder)));
        b.insert(b"c", 1).unwrap();
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn empty_fst_matches() {
        assert_eq!(ours(&[], 8), theirs(&[]));
        let keys = vec![(vec![], 5)];
        assert_eq!(ours(&keys, 8), theirs(&keys));
    }
}
