//! Hostile-input tests for the archive reader: truncated files, bit flips
//! that the checksums must catch, and crafted files whose checksums have
//! been recomputed so that only the structural checks stand between the
//! bytes and the reader. Whatever the damage, opening, verifying, querying
//! (alone, federated, merged) must return a clear [`pdnsfile::Error`]: no
//! panic, no hang, no huge allocation.
//!
//! A panic anywhere fails the test; every stream is drained with a cap and
//! must end before it. A counting global allocator records the largest
//! single allocation of each thread, so the tests can check that a file
//! claiming a 4 GiB block is refused before anything is allocated.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::sync::OnceLock;

use pdnsfile::format::{
    Footer, Kind, SectionEntry, BLOCK_ENTRY_LEN, FOOTER_LEN, HEADER_LEN, IPV4_ENTRY_LEN, MAGIC,
    MAX_BLOCK_LEN, MAX_SECTIONS, POSTING_INLINE, SECTION_ENTRY_LEN, SECTION_REQUIRED,
};
use pdnsfile::{
    Archive, Entry, Error, Federation, Filter, Query, TimeFence, Writer, WriterOptions,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Allocation watch.

/// A global allocator that remembers, per thread, the largest single
/// allocation requested since the last [`alloc_watch::reset`]. (The zstd C
/// library allocates its own contexts with `malloc`; those are small and
/// not counted.)
mod alloc_watch {
    #![allow(unsafe_code)]

    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    pub struct Watch;

    fn note(size: usize) {
        // `try_with`: the slot may be gone while the thread shuts down.
        let _ = LARGEST.try_with(|c| {
            if size > c.get() {
                c.set(size);
            }
        });
    }

    // SAFETY: every call is forwarded unchanged to the system allocator;
    // the bookkeeping only touches a thread-local `Cell` that needs no
    // allocation (const initializer, no destructor).
    unsafe impl GlobalAlloc for Watch {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            // SAFETY: same contract as the caller's.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Forgets the largest allocation seen so far on this thread.
    pub fn reset() {
        LARGEST.with(|c| c.set(0));
    }

    /// The largest single allocation on this thread since [`reset`].
    pub fn largest() -> usize {
        LARGEST.with(Cell::get)
    }
}

#[global_allocator]
static GLOBAL: alloc_watch::Watch = alloc_watch::Watch;

/// No single allocation while reading a hostile file may exceed this: one
/// record block at its largest ([`MAX_BLOCK_LEN`]) plus slack.
const ALLOC_LIMIT: usize = MAX_BLOCK_LEN as usize + (1 << 20);

// ---------------------------------------------------------------------------
// Fixtures.

/// A small deterministic generator (xorshift64*), so the fixture and the
/// "random" flip positions are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const ZONES: &[&str] = &[
    "example.com",
    "evil.example",
    "paypal.com",
    "a\\.b.org",
    "example.net",
    "b\\195\\188cher.de",
];
const SOURCES: &[&str] = &["circl", "dnsdb", "pcap:s1", "sie-ch202"];

/// Owner names: a few per zone, the zones themselves, and the root.
fn names() -> Vec<String> {
    let mut v = vec![".".to_string(), "com".to_string()];
    for z in ZONES {
        v.push((*z).to_string());
        for l in ["www", "mail", "ns1", "ns2", "a.b", "host7", "x-y"] {
            v.push(format!("{l}.{z}"));
        }
    }
    v
}

/// `n` varied entries: A, AAAA, CNAME, NS, MX, SOA, TXT, PTR, SRV and an
/// unknown type in RFC 3597 form; several sources, bailiwicks, known and
/// unknown counts; addresses and rdata names repeat so that postings hold
/// several records.
fn entries(n: usize, seed: u64) -> Vec<Entry> {
    let names = names();
    let v4: Vec<String> = (0..24)
        .map(|i| format!("10.{}.{}.{}", i % 3, i % 5, i))
        .chain(["0.0.0.0".into(), "255.255.255.255".into()])
        .collect();
    let v6: Vec<String> = (0..12)
        .map(|i| format!("2001:db8:{:x}::{:x}", i % 4, i))
        .chain(["::1".into(), "fe80::1".into()])
        .collect();
    let mut r = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let owner = r.pick(&names).clone();
        let target = r.pick(&names).clone();
        let (t, rdata) = match r.below(12) {
            0 | 1 => (1u16, r.pick(&v4).clone()),
            2 => (28, r.pick(&v6).clone()),
            3 => (5, target),
            4 => (2, target),
            5 => (15, format!("{} {target}", r.below(50))),
            6 => (
                6,
                format!(
                    "{target} {} {} 3600 600 86400 60",
                    r.pick(&names),
                    r.below(9)
                ),
            ),
            7 => (
                16,
                format!("\"v=spf1 include:{target} -all\" \"{}\"", r.below(1000)),
            ),
            8 => (65280, "\\# 2 0a0b".to_string()),
            9 => (999, format!("\\# 3 {:06x}", r.below(1 << 24))),
            10 => (12, target),
            _ => (33, format!("0 5 {} {target}", 5000 + r.below(100))),
        };
        let first = 1_600_000_000 + r.next() % 50_000_000;
        let last = first + r.next() % 10_000_000;
        let count = (r.below(5) != 0).then(|| r.next() % 1000);
        let mut e = Entry::new(&owner, t, &rdata, first, last, count).unwrap();
        for s in SOURCES {
            if r.below(3) == 0 {
                e.add_source(s);
            }
        }
        if r.below(2) == 0 {
            e.bailiwick = Some((*r.pick(ZONES)).to_string());
        }
        out.push(e);
    }
    out
}

fn build(mut v: Vec<Entry>, block_size: usize, names_per_block: u32) -> Vec<u8> {
    v.sort_by(|a, b| a.cmp_key(b));
    let opts = WriterOptions {
        block_size,
        names_per_block,
        memory: 1 << 20,
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), opts).unwrap();
    for e in &v {
        w.add(e).unwrap();
    }
    w.finish().unwrap()
}

/// A few hundred entries in many small record blocks and name blocks.
fn fixture() -> &'static [u8] {
    static F: OnceLock<Vec<u8>> = OnceLock::new();
    F.get_or_init(|| build(entries(250, 0x5eed_0001), 200, 3))
}

/// A dozen entries, for cutting at every byte.
fn small() -> &'static [u8] {
    static S: OnceLock<Vec<u8>> = OnceLock::new();
    S.get_or_init(|| build(entries(12, 0x5eed_0002), 64, 2))
}

fn open(b: &[u8]) -> Archive {
    Archive::from_vec(b.to_vec()).unwrap()
}

// ---------------------------------------------------------------------------
// Layout helpers: the file as header, sections, table and footer.

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Recomputes every checksum of a (possibly damaged) file in place, from
/// the layout of `pdnsfile::format`: each section's CRC-32C in the table
/// (for entries that lie inside the file), the table CRC, the whole-file
/// CRC and the footer's own CRC. Whatever the reader then refuses, it
/// refuses on structure, not on a checksum.
fn fix_checksums(b: &mut [u8]) {
    let n = b.len();
    if n < FOOTER_LEN {
        return;
    }
    let f = n - FOOTER_LEN;
    let table_offset = u64_at(b, f);
    let count = u64::from(u32_at(b, f + 8));
    let table = count
        .checked_mul(SECTION_ENTRY_LEN as u64)
        .and_then(|len| Some((table_offset, table_offset.checked_add(len)?)))
        .filter(|&(_, end)| end <= f as u64)
        .map(|(s, e)| (s as usize, e as usize));
    if let Some((start, end)) = table {
        for e in (start..end).step_by(SECTION_ENTRY_LEN) {
            let off = u64_at(b, e + 8);
            let len = u64_at(b, e + 16);
            if let Some(last) = off.checked_add(len).filter(|&l| l <= n as u64) {
                let crc = crc32c::crc32c(&b[off as usize..last as usize]);
                put_u32(b, e + 24, crc);
            }
        }
        let crc = crc32c::crc32c(&b[start..end]);
        put_u32(b, f + 40, crc);
    }
    let crc = crc32c::crc32c(&b[..f]);
    put_u32(b, f + 44, crc);
    let crc = crc32c::crc32c(&b[f..f + 52]);
    put_u32(b, f + 52, crc);
}

/// One section, taken out of a file.
#[derive(Clone, Debug)]
struct Part {
    kind: u16,
    flags: u16,
    body: Vec<u8>,
}

/// A file split into its pieces, to be changed freely and put back
/// together with [`assemble`] (which lays the sections out in this order
/// and writes every checksum right).
#[derive(Clone, Debug)]
struct Parts {
    major: u16,
    minor: u16,
    required: u64,
    optional: u64,
    sections: Vec<Part>,
}

impl Parts {
    fn body(&self, k: Kind) -> &Vec<u8> {
        &self
            .sections
            .iter()
            .find(|p| p.kind == k as u16)
            .unwrap()
            .body
    }

    fn body_mut(&mut self, k: Kind) -> &mut Vec<u8> {
        &mut self
            .sections
            .iter_mut()
            .find(|p| p.kind == k as u16)
            .unwrap()
            .body
    }
}

fn split(b: &[u8]) -> Parts {
    let footer = Footer::parse(&b[b.len() - FOOTER_LEN..]).unwrap();
    let t = footer.table_offset as usize;
    let mut sections = Vec::new();
    for i in 0..footer.section_count as usize {
        let at = t + i * SECTION_ENTRY_LEN;
        let e = SectionEntry::parse(&b[at..at + SECTION_ENTRY_LEN]).unwrap();
        sections.push(Part {
            kind: e.kind,
            flags: e.flags,
            body: b[e.offset as usize..(e.offset + e.length) as usize].to_vec(),
        });
    }
    Parts {
        major: u16::from_le_bytes([b[8], b[9]]),
        minor: u16::from_le_bytes([b[10], b[11]]),
        required: u64_at(b, 16),
        optional: u64_at(b, 24),
        sections,
    }
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// Writes `p` as the writer would: header, each section 8-aligned, the
/// table and the footer, with every checksum right.
fn assemble(p: &Parts) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&p.major.to_le_bytes());
    out.extend_from_slice(&p.minor.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&p.required.to_le_bytes());
    out.extend_from_slice(&p.optional.to_le_bytes());
    let mut table = Vec::new();
    for s in &p.sections {
        pad8(&mut out);
        let e = SectionEntry {
            kind: s.kind,
            flags: s.flags,
            offset: out.len() as u64,
            length: s.body.len() as u64,
            crc: crc32c::crc32c(&s.body),
        };
        out.extend_from_slice(&s.body);
        table.extend_from_slice(&e.to_bytes());
    }
    pad8(&mut out);
    let table_offset = out.len() as u64;
    out.extend_from_slice(&table);
    let footer = Footer {
        table_offset,
        section_count: p.sections.len() as u32,
        major: p.major,
        minor: p.minor,
        required: p.required,
        optional: p.optional,
        file_length: (out.len() + FOOTER_LEN) as u64,
        table_crc: crc32c::crc32c(&table),
        file_crc: crc32c::crc32c(&out),
    };
    out.extend_from_slice(&footer.to_bytes());
    out
}

/// Where the section table and the footer start.
fn table_and_footer(b: &[u8]) -> (usize, usize) {
    let f = b.len() - FOOTER_LEN;
    (u64_at(b, f) as usize, f)
}

/// The record blocks of a file: each zstd frame decompressed.
fn record_blocks(p: &Parts) -> Vec<Vec<u8>> {
    let idx = p.body(Kind::BlockIndex);
    let blocks = p.body(Kind::Blocks);
    idx.chunks_exact(BLOCK_ENTRY_LEN)
        .map(|e| {
            let off = u64_at(e, 8) as usize;
            let len = u32_at(e, 16) as usize;
            zstd::bulk::decompress(&blocks[off..off + len], MAX_BLOCK_LEN as usize).unwrap()
        })
        .collect()
}

/// Replaces the record blocks (compressing each) and rewrites the offsets
/// and lengths in the block index; the index's other fields stay.
fn set_record_blocks(p: &mut Parts, raw: &[Vec<u8>]) {
    let mut blocks = Vec::new();
    let mut idx = p.body(Kind::BlockIndex).clone();
    for (i, r) in raw.iter().enumerate() {
        let frame = zstd::bulk::compress(r, 1).unwrap();
        let e = i * BLOCK_ENTRY_LEN;
        put_u64(&mut idx, e + 8, blocks.len() as u64);
        put_u32(&mut idx, e + 16, frame.len() as u32);
        put_u32(&mut idx, e + 20, r.len() as u32);
        blocks.extend_from_slice(&frame);
    }
    *p.body_mut(Kind::Blocks) = blocks;
    *p.body_mut(Kind::BlockIndex) = idx;
}

/// The name-table blocks of a file, decompressed.
fn name_blocks(p: &Parts) -> Vec<Vec<u8>> {
    let nt = p.body(Kind::NameTable);
    let n = u32_at(nt, 8) as usize;
    let data = 16 + (n + 1) * 8;
    (0..n)
        .map(|i| {
            let a = u64_at(nt, 16 + i * 8) as usize;
            let b = u64_at(nt, 16 + (i + 1) * 8) as usize;
            zstd::bulk::decompress(&nt[data + a..data + b], 1 << 20).unwrap()
        })
        .collect()
}

/// Replaces the name-table blocks (compressing each), keeping the header.
fn set_name_blocks(p: &mut Parts, raw: &[Vec<u8>]) {
    let nt = p.body(Kind::NameTable).clone();
    let mut out = nt[..16].to_vec();
    put_u32(&mut out, 8, raw.len() as u32);
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for r in raw {
        offsets.push(data.len() as u64);
        data.extend_from_slice(&zstd::bulk::compress(r, 1).unwrap());
    }
    offsets.push(data.len() as u64);
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out.extend_from_slice(&data);
    *p.body_mut(Kind::NameTable) = out;
}

fn varint(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    pdnsfile::format::put_varint(&mut out, v);
    out
}

// ---------------------------------------------------------------------------
// Exercising an archive.

/// Most results any stream may yield before the test calls it a hang (the
/// fixture has a few hundred entries).
const CAP: usize = 100_000;

fn queries() -> Vec<Query> {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let s = String::from;
    vec![
        Query::All,
        Query::Name(s("www.example.com")),
        Query::Name(s(".")),
        Query::Subtree {
            zone: s("example.com"),
            include_apex: true,
        },
        Query::Subtree {
            zone: s("."),
            include_apex: true,
        },
        Query::Subtree {
            zone: s("com"),
            include_apex: false,
        },
        Query::NamePrefix(s("www")),
        Query::NamePrefix(s("ns1.evil")),
        Query::Regex(s("e.*l")),
        Query::Regex(s("^[a-z]+[0-9]\\.")),
        Query::Fuzzy {
            name: s("paypal.com"),
            distance: 1,
        },
        Query::Fuzzy {
            name: s("cm"),
            distance: 2,
        },
        Query::Ip(ip("10.0.0.0")),
        Query::Ip(ip("2001:db8::")),
        Query::Cidr {
            addr: ip("0.0.0.0"),
            prefix: 0,
        },
        Query::Cidr {
            addr: ip("::"),
            prefix: 0,
        },
        Query::Cidr {
            addr: ip("10.1.0.0"),
            prefix: 16,
        },
        Query::RdataName(s("ns1.example.com")),
        Query::RdataSubtree {
            zone: s("."),
            include_apex: true,
        },
        Query::RdataSubtree {
            zone: s("example.com"),
            include_apex: false,
        },
    ]
}

fn filters() -> Vec<Filter> {
    vec![
        Filter::default(),
        Filter {
            types: Some(vec![1, 28, 5, 6]),
            fence: TimeFence::overlapping(1_610_000_000, 1_630_000_000),
            sources: Some(vec!["dnsdb".into(), "circl".into()]),
        },
    ]
}

/// Errors a reader may give for damaged contents.
fn is_damage(e: &Error) -> bool {
    matches!(
        e,
        Error::Corrupt { .. }
            | Error::Truncated { .. }
            | Error::ChecksumMismatch { .. }
            | Error::MissingSection(_)
            | Error::BadMagic { .. }
            | Error::UnsupportedVersion { .. }
            | Error::UnsupportedFeatures { .. }
            | Error::UnknownRequiredSection { .. }
    )
}

/// Errors while reading an archive that opened: only damage found late
/// (a checksum too: a time fence checks the one of the time index it
/// skips records by).
fn is_content_damage(e: &Error) -> bool {
    matches!(
        e,
        Error::Corrupt { .. } | Error::Truncated { .. } | Error::ChecksumMismatch { .. }
    )
}

/// Drains a result stream; asserts it ends within [`CAP`] items and that
/// every error is a damage error. Returns the number of entries.
fn drain<I: Iterator<Item = pdnsfile::Result<Entry>>>(it: I, what: &str, seen: &mut Seen) -> usize {
    let mut ok = 0;
    let mut it = it.fuse();
    for _ in 0..CAP {
        match it.next() {
            None => return ok,
            Some(Ok(_)) => ok += 1,
            Some(Err(e)) => {
                assert!(is_content_damage(&e), "{what}: unexpected error {e:?}");
                seen.error(what, &e);
            }
        }
    }
    panic!("{what}: the stream did not end after {CAP} items");
}

/// What [`exercise`] saw.
#[derive(Debug, Default)]
struct Seen {
    opened: bool,
    verified: bool,
    /// Errors met by queries, summaries, federation or merge.
    errors: usize,
    /// The first of them, for messages.
    first_error: Option<String>,
}

impl Seen {
    fn error(&mut self, what: &str, e: &Error) {
        self.errors += 1;
        self.first_error
            .get_or_insert_with(|| format!("{what}: {e}"));
    }
}

fn note_err<T>(r: pdnsfile::Result<T>, what: &str, seen: &mut Seen) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(is_content_damage(&e), "{what}: unexpected error {e:?}");
            seen.error(what, &e);
            None
        }
    }
}

/// Opens `bytes` and, if that works, runs everything a user can run on an
/// archive: verify, every accessor, every query kind (the two filters in
/// turn), summaries, a federation with a healthy archive, and a merge.
/// Must not panic, hang or allocate more than [`ALLOC_LIMIT`] at once.
fn exercise(bytes: &[u8]) -> Seen {
    exercise_with(bytes, true)
}

/// [`exercise`], with federation and merge only when `full`.
fn exercise_with(bytes: &[u8], full: bool) -> Seen {
    alloc_watch::reset();
    let seen = exercise_inner(bytes, full);
    let big = alloc_watch::largest();
    assert!(big <= ALLOC_LIMIT, "an allocation of {big} bytes");
    seen
}

fn exercise_inner(bytes: &[u8], full: bool) -> Seen {
    let mut seen = Seen::default();
    let a = match Archive::from_vec(bytes.to_vec()) {
        Ok(a) => a,
        Err(e) => {
            assert!(is_damage(&e), "open: unexpected error {e:?}");
            return seen;
        }
    };
    seen.opened = true;
    match a.verify() {
        Ok(()) => seen.verified = true,
        Err(e) => assert!(is_damage(&e), "verify: unexpected error {e:?}"),
    }

    // Accessors.
    let _ = (a.record_count(), a.name_count(), a.version(), a.file_len());
    let _ = (a.sources().len(), a.sections(), a.meta(), a.time_span());
    for i in 0..a.block_count().min(CAP) {
        let _ = a.block_info(i);
    }
    for i in [usize::MAX, usize::MAX / BLOCK_ENTRY_LEN, usize::MAX / 4] {
        assert!(a.block_info(i).is_err());
    }
    for id in (0..a.name_count()).take(64) {
        if let Ok(n) = a.name(id) {
            let _ = a.name_id(&n);
        }
    }
    let _ = a.name(u32::MAX);
    assert!(a.ipv4_addresses().take(CAP).count() < CAP);
    assert!(a.ipv6_addresses().take(CAP).count() < CAP);

    // Queries, alone: each streamed under one filter, some summarized
    // under the other.
    for (i, q) in queries().into_iter().enumerate() {
        let (f, g) = (&filters()[i % 2], &filters()[1 - i % 2]);
        let what = format!("{q:?} / {f:?}");
        if let Some(m) = note_err(a.query(&q, f), &what, &mut seen) {
            drain(m, &what, &mut seen);
        }
        if i % 3 == 0 {
            let what = format!("summary of {q:?} / {g:?}");
            let _ = note_err(a.summarize(&q, g), &what, &mut seen);
        }
    }

    if !full {
        return seen;
    }

    // Federated with a healthy archive.
    let fed = Federation::new(vec![
        Archive::from_vec(bytes.to_vec()).unwrap(),
        open(small()),
    ]);
    for q in [
        Query::All,
        Query::Subtree {
            zone: ".".into(),
            include_apex: true,
        },
        Query::Cidr {
            addr: "::".parse().unwrap(),
            prefix: 0,
        },
    ] {
        let what = format!("federated {q:?}");
        if let Some(m) = note_err(fed.query(&q, &Filter::default()), &what, &mut seen) {
            drain(m, &what, &mut seen);
        }
        let f = &filters()[1];
        let _ = note_err(fed.summarize(&q, f), &what, &mut seen);
    }

    // Merged into a new archive: either an error, or a sound archive.
    let opts = WriterOptions {
        block_size: 1024,
        memory: 1 << 20,
        ..WriterOptions::default()
    };
    match pdnsfile::merge(std::slice::from_ref(&a), Vec::new(), opts) {
        Ok(out) => {
            let m = Archive::from_vec(out).unwrap();
            m.verify().unwrap();
        }
        // The writer refuses entries that break its input rules (a name
        // that is not normalized, ...): files verify accepts can hold
        // such entries, since verify checks the file's invariants, not the
        // writer's input rules.
        Err(Error::InvalidEntry(_)) => {}
        Err(e) => {
            // A damaged input is refused by its checksums before any
            // entry is copied.
            assert!(
                is_content_damage(&e)
                    || matches!(
                        e,
                        Error::KeyOutOfOrder { .. } | Error::ChecksumMismatch { .. }
                    ),
                "merge: unexpected error {e:?}"
            );
            seen.error("merge", &e);
        }
    }
    seen
}

/// Every query result of an archive, as text, for comparisons.
fn all_results(a: &Archive) -> Vec<String> {
    let mut out = Vec::new();
    for q in queries() {
        for f in filters() {
            for e in a.query(&q, &f).unwrap() {
                out.push(format!("{q:?} {:?}", e.unwrap()));
            }
        }
    }
    out
}

/// `exercise` on a crafted file, which must fail at some point: at open,
/// at verify, or (for a file verify accepts) nowhere else.
fn crafted(bytes: &[u8]) -> Seen {
    let seen = exercise(bytes);
    if seen.verified {
        assert_eq!(
            seen.errors, 0,
            "verify accepted a file queries choke on: {:?}",
            seen.first_error
        );
    }
    seen
}

/// Opening must fail, with an error `ok` accepts.
fn refused(bytes: &[u8], ok: impl Fn(&Error) -> bool) -> Error {
    let e = match Archive::from_vec(bytes.to_vec()) {
        Ok(_) => panic!("a damaged file opened"),
        Err(e) => e,
    };
    assert!(ok(&e), "unexpected error {e:?}");
    e
}

/// Opens, then `verify` must fail with an error `ok` accepts; the rest of
/// the exercise must hold up too.
fn caught_by_verify(bytes: &[u8], ok: impl Fn(&Error) -> bool) -> Error {
    let a = Archive::from_vec(bytes.to_vec()).unwrap();
    let e = a.verify().unwrap_err();
    assert!(ok(&e), "unexpected error {e:?}");
    let seen = exercise(bytes);
    assert!(seen.opened && !seen.verified);
    e
}

fn corrupt_in(section: &'static str) -> impl Fn(&Error) -> bool {
    move |e| matches!(e, Error::Corrupt { section: s, .. } if *s == section)
}

// ---------------------------------------------------------------------------
// The fixture and the helpers themselves.

#[test]
fn fixture_is_sound() {
    let b = fixture();
    let a = open(b);
    a.verify().unwrap();
    assert!(a.record_count() > 200, "{}", a.record_count());
    assert!(a.block_count() >= 20, "{}", a.block_count());
    assert!(a.name_count() > 30);
    assert!(a.sources().len() == SOURCES.len());
    assert_eq!(a.sections().len(), Kind::ALL.len());
    // Many name blocks too.
    assert!(name_blocks(&split(b)).len() >= 10);
    // Every query kind finds something, so the crafted runs reach deep.
    for q in queries() {
        let n = a.query(&q, &Filter::default()).unwrap().count();
        assert!(n > 0 || matches!(q, Query::Ip(_)), "{q:?} found nothing");
    }
    let seen = exercise(b);
    assert!(seen.opened && seen.verified && seen.errors == 0, "{seen:?}");
    let seen = exercise(small());
    assert!(seen.opened && seen.verified && seen.errors == 0, "{seen:?}");
}

#[test]
fn helpers_round_trip() {
    for b in [fixture(), small()] {
        assert_eq!(assemble(&split(b)), b);
        let mut c = b.to_vec();
        fix_checksums(&mut c);
        assert_eq!(c, b);
        let mut p = split(b);
        let raw = record_blocks(&p);
        set_record_blocks(&mut p, &raw);
        let names = name_blocks(&p);
        set_name_blocks(&mut p, &names);
        let c = assemble(&p);
        let a = open(&c);
        a.verify().unwrap();
        assert_eq!(all_results(&a), all_results(&open(b)));
    }
}

// ---------------------------------------------------------------------------
// Truncation.

fn truncation_error(e: &Error) -> bool {
    matches!(
        e,
        Error::Truncated { .. }
            | Error::BadMagic { .. }
            | Error::Corrupt { .. }
            | Error::ChecksumMismatch { .. }
    )
}

#[test]
fn truncated_at_every_boundary() {
    let b = fixture();
    let a = open(b);
    let (table, footer) = table_and_footer(b);
    let mut cuts = vec![
        0,
        1,
        7,
        8,
        HEADER_LEN - 1,
        HEADER_LEN,
        HEADER_LEN + FOOTER_LEN - 1,
        HEADER_LEN + FOOTER_LEN,
        table,
        footer,
        b.len() - 8,
        b.len() - 1,
    ];
    for s in a.sections() {
        let (o, l) = (s.offset as usize, s.length as usize);
        cuts.extend([o, o + 1, o + l / 2, o + l, (o + l).saturating_sub(1)]);
    }
    for i in 0..a.sections().len() {
        cuts.push(table + i * SECTION_ENTRY_LEN);
    }
    for cut in cuts {
        let cut = cut.min(b.len() - 1);
        let e = refused(&b[..cut], truncation_error);
        if (8..HEADER_LEN + FOOTER_LEN).contains(&cut) {
            assert!(matches!(e, Error::Truncated { .. }), "cut {cut}: {e:?}");
        }
    }
    // Bytes added at the end are damage as well.
    let mut longer = b.to_vec();
    longer.extend_from_slice(&[0; 8]);
    refused(&longer, truncation_error);
    let mut longer = b.to_vec();
    longer.extend_from_slice(&b[b.len() - FOOTER_LEN..]);
    refused(&longer, truncation_error);
}

#[test]
fn truncated_at_every_byte() {
    let b = small();
    for cut in 0..b.len() {
        refused(&b[..cut], truncation_error);
    }
    // Cutting bytes out of the start instead.
    for cut in 1..b.len() {
        refused(&b[cut..], truncation_error);
    }
}

// ---------------------------------------------------------------------------
// Bit flips, checksums left as they are.

/// Flips at the first, last and middle byte of `[start, start + len)`, and
/// at a few random ones.
fn flip_positions(start: usize, len: usize, r: &mut Rng) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    let mut v = vec![start, start + len - 1, start + len / 2];
    for _ in 0..4 {
        v.push(start + r.below(len));
    }
    v
}

/// Every question the fixture can answer: the fixed queries, plus each
/// owner name, address and rdata name it holds, each asked exactly.
fn pointed_queries(a: &Archive) -> Vec<Query> {
    let mut qs = queries();
    let mut more = std::collections::BTreeSet::new();
    for e in a.query(&Query::All, &Filter::default()).unwrap() {
        let e = e.unwrap();
        more.insert(format!("{:?}", Query::Name(e.rrname.clone())));
        if let Ok(ip) = e.rdata.parse::<IpAddr>() {
            if e.rrtype == 1 || e.rrtype == 28 {
                more.insert(format!("{:?}", Query::Ip(ip)));
            }
        }
        for n in pdnsfile::record::rdata_names(e.rrtype, &e.rdata) {
            more.insert(format!("{:?}", Query::RdataName(n.to_string())));
        }
    }
    // Rebuilt from the text, so the set orders and dedups them.
    for e in a.query(&Query::All, &Filter::default()).unwrap() {
        let e = e.unwrap();
        let mut push = |q: Query| {
            if more.remove(&format!("{q:?}")) {
                qs.push(q);
            }
        };
        push(Query::Name(e.rrname.clone()));
        if let Ok(ip) = e.rdata.parse::<IpAddr>() {
            push(Query::Ip(ip));
        }
        for n in pdnsfile::record::rdata_names(e.rrtype, &e.rdata) {
            push(Query::RdataName(n.to_string()));
        }
    }
    qs
}

/// A query's entries as text, or its error.
fn answer(a: &Archive, q: &Query, f: &Filter) -> Result<Vec<String>, Error> {
    a.query(q, f)?
        .map(|e| e.map(|e| format!("{e:?}")))
        .collect()
}

/// Readers do not check section checksums per query (opening stays
/// cheap), so a damaged index is met only as it is used. It must then
/// give an error, never another answer: each index's answers are checked
/// against the records they point at, and its misses against a second
/// structure where there is one. The gap left: NAMES_FWD and RDATA_NAMES
/// are the only index of what they hold, so a key a damaged FST loses is
/// missed without an error (`verify` finds it), and so is a record a
/// damaged posting list trades for another record of the same rdata-zone
/// answer; what such an answer does return is still right.
#[test]
fn a_damaged_index_gives_an_error_not_a_wrong_answer() {
    let b = fixture();
    let a = open(b);
    let qs = pointed_queries(&a);
    assert!(qs.len() > 100, "{}", qs.len());
    let fs = filters();
    let want: Vec<Vec<Vec<String>>> = qs
        .iter()
        .map(|q| fs.iter().map(|f| answer(&a, q, f).unwrap()).collect())
        .collect();
    let indexes = [
        "NAMES_REV",
        "NAMES_FWD",
        "NAME_RECORDS",
        "BLOCK_INDEX",
        "IPV4",
        "IPV6",
        "RDATA_NAMES",
        "POSTINGS",
    ];
    let lossy = |section: &str, q: &Query| {
        matches!(section, "NAMES_FWD" | "RDATA_NAMES")
            || (section == "POSTINGS" && matches!(q, Query::RdataSubtree { .. }))
    };
    let mut wrong = Vec::new();
    let mut r = Rng(0xda3a_6e01);
    let mut errors = 0;
    for s in a
        .sections()
        .into_iter()
        .filter(|s| indexes.contains(&s.name.as_str()))
    {
        for i in 0..40 {
            let at = s.offset as usize + r.below(s.length as usize);
            let mut c = b.to_vec();
            c[at] ^= 1 << r.below(8);
            let Ok(shared) = Archive::from_vec(c.clone()) else {
                continue;
            };
            for (q, want) in qs.iter().zip(&want) {
                for (f, want) in fs.iter().zip(want) {
                    // A reader checks answers one by one until it has
                    // done enough of them to check a section's CRC
                    // instead: every other flip asks each question of a
                    // freshly opened archive, so that the one-by-one
                    // checks face every question, and the others ask
                    // them all of one, where the CRC takes over.
                    let fresh;
                    let d = if i % 2 == 0 {
                        fresh = Archive::from_vec(c.clone()).unwrap();
                        &fresh
                    } else {
                        &shared
                    };
                    match answer(d, q, f) {
                        Err(e) => {
                            assert!(is_content_damage(&e), "{e:?}");
                            errors += 1;
                        }
                        Ok(got) if got == *want => {}
                        // Lost, never replaced: see above.
                        Ok(got) if lossy(&s.name, q) => assert!(
                            got.iter().all(|e| want.contains(e)),
                            "a flip at {at} in {} answered {q:?} with {got:?}, not {want:?}",
                            s.name
                        ),
                        Ok(got) => wrong.push(format!(
                            "a flip at {at} in {}: {q:?} {f:?} answered {} entries, not {}",
                            s.name,
                            got.len(),
                            want.len()
                        )),
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(errors > 100, "{errors}");
}

/// What no answer can show (a name a damaged NAMES_FWD loses, a record a
/// damaged posting list trades in a zone answer) the section's CRC does,
/// computed once the queries on it have asked enough: here, at once, as
/// the sections are small.
#[test]
fn lossy_indexes_are_checked_whole_once_used_enough() {
    let b = fixture();
    let a = open(b);
    let cases = [
        ("NAMES_FWD", Query::Regex("e".into())),
        ("RDATA_NAMES", Query::RdataName("ns1.example.com".into())),
        (
            "POSTINGS",
            Query::RdataSubtree {
                zone: ".".into(),
                include_apex: true,
            },
        ),
    ];
    for (section, q) in cases {
        let s = a
            .sections()
            .into_iter()
            .find(|s| s.name == section)
            .unwrap();
        let mut c = b.to_vec();
        c[s.offset as usize + s.length as usize / 2] ^= 0x10;
        let d = Archive::from_vec(c).unwrap();
        let mismatch = (0..3).any(|_| {
            matches!(
                query_error(&d, &q),
                Some(Error::ChecksumMismatch { what, .. }) if what == format!("section {section}")
            )
        });
        assert!(mismatch, "{section}");
        // The same queries on the intact file never err.
        for _ in 0..3 {
            assert!(query_error(&a, &q).is_none(), "{section}");
        }
    }
}

/// SOURCES is parsed whole at open and nothing decoded later checks its
/// labels, so its checksum is checked at open: a flipped bit in a label
/// would otherwise rename a source in every answer.
#[test]
fn a_damaged_source_label_is_refused_at_open() {
    let b = fixture();
    let a = open(b);
    let s = a
        .sections()
        .into_iter()
        .find(|s| s.name == "SOURCES")
        .unwrap();
    // The first label's first byte: after the u32 count and its length.
    let at = s.offset as usize + 5;
    let mut c = b.to_vec();
    c[at] ^= 0x01;
    match Archive::from_vec(c) {
        Err(Error::ChecksumMismatch { what, .. }) => assert_eq!(what, "section SOURCES"),
        Err(e) => panic!("unexpected error {e:?}"),
        Ok(x) => panic!(
            "opened, with sources {:?} for {:?}",
            x.sources(),
            a.sources()
        ),
    }
}

#[test]
fn bit_flips_are_caught() {
    let b = fixture();
    let a = open(b);
    let (table, _) = table_and_footer(b);
    let mut r = Rng(0xf11b);
    let mut body_flips = 0;
    let mut flips: Vec<usize> = Vec::new();
    for s in a.sections() {
        flips.extend(flip_positions(s.offset as usize, s.length as usize, &mut r));
    }
    let header = flip_positions(0, HEADER_LEN, &mut r);
    let structure: Vec<usize> = (0..HEADER_LEN)
        .chain(table..b.len())
        .chain(header)
        .collect();
    flips.extend(&structure);
    for &at in &flips {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut c = b.to_vec();
            c[at] ^= mask;
            let in_body = (HEADER_LEN..table).contains(&at);
            match Archive::from_vec(c.clone()) {
                Ok(x) => {
                    assert!(in_body, "a flip at {at} (mask {mask:#x}) opened");
                    let e = x.verify().unwrap_err();
                    assert!(
                        matches!(e, Error::ChecksumMismatch { .. }),
                        "flip at {at}: {e:?}"
                    );
                    // Nor is a damaged file copied: a flip in a name
                    // block (which has no checksum of its own) once
                    // merged into a sound archive holding a changed name.
                    let opts = WriterOptions {
                        memory: 1 << 20,
                        ..WriterOptions::default()
                    };
                    let merged = pdnsfile::merge(std::slice::from_ref(&x), Vec::new(), opts);
                    assert!(
                        matches!(merged, Err(Error::ChecksumMismatch { .. })),
                        "flip at {at} (mask {mask:#x}) merged: {:?}",
                        merged.map(|o| o.len())
                    );
                    body_flips += 1;
                }
                Err(e) => {
                    assert!(is_damage(&e), "flip at {at}: {e:?}");
                    // The table and footer are checksummed as a whole.
                    if at >= table {
                        assert!(
                            matches!(e, Error::ChecksumMismatch { .. } | Error::BadMagic { .. }),
                            "flip at {at} in the table or footer: {e:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(body_flips > 50, "{body_flips}");
    // And the damaged files survive everything else too (a sample: the
    // full exercise is slower).
    for &at in flips.iter().step_by(3) {
        let mut c = b.to_vec();
        c[at] ^= 0x10;
        let seen = exercise(&c);
        assert!(!seen.verified, "flip at {at} passed verify");
    }
}

/// Every byte of the small archive's body changed in turn, checksums
/// recomputed: nothing but the structural checks stand in the way. (META,
/// JSON that only `meta()` and time spans read, is sampled.)
#[test]
fn every_byte_of_small_archive_crafted() {
    let b = small();
    let (table, _) = table_and_footer(b);
    let meta = open(b)
        .sections()
        .into_iter()
        .find(|s| s.kind == Kind::Meta as u16)
        .map(|s| s.offset as usize..(s.offset + s.length) as usize)
        .unwrap();
    let mut opened = 0;
    for at in (HEADER_LEN..table).filter(|at| !meta.contains(at) || at % 16 == 0) {
        let mut c = b.to_vec();
        c[at] ^= [0x01, 0x80, 0xff, 0x2a][at % 4];
        fix_checksums(&mut c);
        let seen = exercise_with(&c, false);
        if seen.verified {
            assert_eq!(seen.errors, 0, "byte {at}: {:?}", seen.first_error);
        }
        opened += usize::from(seen.opened);
    }
    assert!(opened > 0);
}

/// Every single-byte change to the small archive's body that opens is
/// caught by `verify`.
#[test]
fn every_byte_of_small_archive_is_covered() {
    let b = small();
    for at in 0..b.len() {
        let mut c = b.to_vec();
        c[at] ^= 0x04;
        if let Ok(a) = Archive::from_vec(c) {
            assert!(
                matches!(a.verify(), Err(Error::ChecksumMismatch { .. })),
                "flip at {at}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Crafted files: damage, then every checksum recomputed.

/// Values that tend to sit on a check's edge.
fn edgy_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            1,
            2,
            3,
            0x7f,
            0x80,
            0xff,
            0x100,
            0xffff,
            0x1_0000,
            MAX_BLOCK_LEN,
            MAX_BLOCK_LEN + 1,
            0x7fff_ffff,
            0x8000_0000,
            u32::MAX - 1,
            u32::MAX,
        ]),
        any::<u32>(),
    ]
}

fn edgy_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        edgy_u32().prop_map(u64::from),
        prop::sample::select(vec![
            1 << 32,
            POSTING_INLINE,
            POSTING_INLINE | 1,
            POSTING_INLINE | u64::from(u32::MAX),
            u64::MAX >> 1,
            u64::MAX,
        ]),
        any::<u64>(),
    ]
}

/// One change to a run of bytes; positions are taken modulo its length.
#[derive(Clone, Debug)]
enum Edit {
    Xor { at: usize, mask: u8 },
    Byte { at: usize, value: u8 },
    U32 { at: usize, value: u32 },
    U64 { at: usize, value: u64 },
    Varint { at: usize, value: u64 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
}

/// Edits that keep the length (for fixed layouts), or may change it.
fn edit(resize: bool) -> BoxedStrategy<Edit> {
    let fixed = prop_oneof![
        3 => (any::<usize>(), 1u8..).prop_map(|(at, mask)| Edit::Xor { at, mask }),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Edit::Byte { at, value }),
        2 => (any::<usize>(), edgy_u32()).prop_map(|(at, value)| Edit::U32 { at, value }),
        2 => (any::<usize>(), edgy_u64()).prop_map(|(at, value)| Edit::U64 { at, value }),
    ];
    if !resize {
        return fixed.boxed();
    }
    prop_oneof![
        6 => fixed,
        2 => (any::<usize>(), edgy_u64()).prop_map(|(at, value)| Edit::Varint { at, value }),
        1 => any::<usize>().prop_map(|at| Edit::Cut { at }),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
    ]
    .boxed()
}

/// Applies `e` to `b[start..start + len]` (in place; a resizing edit
/// changes `b`'s length).
fn apply(b: &mut Vec<u8>, start: usize, len: usize, e: &Edit) {
    let pos = |at: usize, size: usize| -> Option<usize> {
        (len >= size).then(|| start + at % (len - size + 1))
    };
    match e {
        Edit::Xor { at, mask } => {
            if let Some(p) = pos(*at, 1) {
                b[p] ^= mask;
            }
        }
        Edit::Byte { at, value } => {
            if let Some(p) = pos(*at, 1) {
                b[p] = *value;
            }
        }
        Edit::U32 { at, value } => {
            if let Some(p) = pos(*at, 4) {
                put_u32(b, p, *value);
            }
        }
        Edit::U64 { at, value } => {
            if let Some(p) = pos(*at, 8) {
                put_u64(b, p, *value);
            }
        }
        Edit::Varint { at, value } => {
            // Replaces the varint that starts at the position.
            if let Some(p) = pos(*at, 1) {
                let mut end = p;
                while end < start + len && b[end] & 0x80 != 0 {
                    end += 1;
                }
                let end = (end + 1).min(start + len);
                b.splice(p..end, varint(*value));
            }
        }
        Edit::Cut { at } => {
            if let Some(p) = pos(*at, 1) {
                b.remove(p);
            }
        }
        Edit::Insert { at, bytes } => {
            let p = start + at % (len + 1);
            b.splice(p..p, bytes.iter().copied());
        }
    }
}

/// The byte ranges the random edits aim at: each section, the whole body
/// (padding included), the header, and the table.
fn regions(b: &[u8]) -> Vec<(usize, usize)> {
    let (table, footer) = table_and_footer(b);
    let mut v: Vec<(usize, usize)> = open(b)
        .sections()
        .iter()
        .map(|s| (s.offset as usize, s.length as usize))
        .collect();
    v.push((HEADER_LEN, table - HEADER_LEN));
    v.push((0, HEADER_LEN));
    v.push((table, footer - table));
    v
}

/// `cases` in release builds, fewer in debug ones (about 6x slower);
/// `PROPTEST_CASES` overrides both, for a longer hunt.
fn proptest_config(cases: u32) -> ProptestConfig {
    let default = if cfg!(debug_assertions) {
        cases / 4
    } else {
        cases
    };
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
        // Found cases become targeted tests below; no files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config(256))]

    /// Random edits anywhere, checksums recomputed.
    #[test]
    fn crafted_bytes(
        region in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(false), 1..5),
    ) {
        let mut b = fixture().to_vec();
        let regions = regions(&b);
        let (start, len) = *region.get(&regions);
        for e in &edits {
            apply(&mut b, start, len, e);
        }
        fix_checksums(&mut b);
        crafted(&b);
    }

    /// Sections resized by random edits (the table follows).
    #[test]
    fn crafted_section_lengths(
        section in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(true), 1..4),
    ) {
        let mut p = split(fixture());
        let i = section.index(p.sections.len());
        for e in &edits {
            let body = &mut p.sections[i].body;
            let len = body.len();
            apply(body, 0, len, e);
        }
        crafted(&assemble(&p));
    }
}

proptest! {
    // These files pass more checks, so each case runs longer.
    #![proptest_config(proptest_config(160))]

    /// Random edits inside one decompressed record block, recompressed
    /// and spliced back with a matching index entry: what the block
    /// decoder's own checks face once the frame checksum is right.
    #[test]
    fn crafted_record_block(
        block in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(true), 1..4),
    ) {
        let mut p = split(fixture());
        let mut raw = record_blocks(&p);
        let i = block.index(raw.len());
        for e in &edits {
            let len = raw[i].len();
            apply(&mut raw[i], 0, len, e);
        }
        set_record_blocks(&mut p, &raw);
        crafted(&assemble(&p));
    }

    /// Random edits inside one decompressed name block.
    #[test]
    fn crafted_name_block(
        block in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(true), 1..4),
    ) {
        let mut p = split(fixture());
        let mut raw = name_blocks(&p);
        let i = block.index(raw.len());
        for e in &edits {
            let len = raw[i].len();
            apply(&mut raw[i], 0, len, e);
        }
        set_name_blocks(&mut p, &raw);
        crafted(&assemble(&p));
    }
}

// ---------------------------------------------------------------------------
// Targeted crafted files.

/// The fixture with `f` applied to its pieces, checksums right.
fn crafted_with(f: impl FnOnce(&mut Parts)) -> Vec<u8> {
    let mut p = split(fixture());
    f(&mut p);
    assemble(&p)
}

/// The first error running `q` meets, from `query` or from the stream.
fn query_error(a: &Archive, q: &Query) -> Option<Error> {
    match a.query(q, &Filter::default()) {
        Err(e) => Some(e),
        Ok(m) => m.take(CAP).find_map(Result::err),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Field offsets in a BLOCK_INDEX entry.
const BI_RECORDS: usize = 4;
const BI_OFFSET: usize = 8;
const BI_COMPRESSED: usize = 16;
const BI_UNCOMPRESSED: usize = 20;
const BI_FIRST_NAME: usize = 24;

#[test]
fn block_claiming_huge_length_is_refused_before_allocating() {
    for claim in [u32::MAX, MAX_BLOCK_LEN + 1, 1 << 30, MAX_BLOCK_LEN, 1 << 20] {
        let b = crafted_with(|p| put_u32(p.body_mut(Kind::BlockIndex), BI_UNCOMPRESSED, claim));
        let a = open(&b);
        alloc_watch::reset();
        let e = query_error(&a, &Query::All).unwrap();
        let big = alloc_watch::largest();
        assert!(big < 1 << 16, "claim {claim}: allocated {big} bytes");
        assert!(corrupt_in("BLOCKS")(&e), "{e:?}");
        caught_by_verify(&b, corrupt_in("BLOCKS"));
    }
    // A frame that does not state its size gets the index's length, up to
    // MAX_BLOCK_LEN and no more.
    let mut p = split(fixture());
    let raw = record_blocks(&p);
    let mut c = zstd::bulk::Compressor::new(1).unwrap();
    c.include_contentsize(false).unwrap();
    let frame = c.compress(&raw[0]).unwrap();
    let mut blocks = p.body(Kind::Blocks).clone();
    let old = u32_at(p.body(Kind::BlockIndex), BI_COMPRESSED) as usize;
    blocks.splice(0..old, frame.iter().copied());
    let shift = frame.len() as i64 - old as i64;
    let idx = p.body_mut(Kind::BlockIndex);
    for e in (0..idx.len()).step_by(BLOCK_ENTRY_LEN).skip(1) {
        let o = u64_at(idx, e + BI_OFFSET) as i64 + shift;
        put_u64(idx, e + BI_OFFSET, o as u64);
    }
    put_u32(idx, BI_COMPRESSED, frame.len() as u32);
    *p.body_mut(Kind::Blocks) = blocks;
    let sound = assemble(&p);
    let a = open(&sound);
    a.verify().unwrap();
    for (claim, limit) in [(MAX_BLOCK_LEN, ALLOC_LIMIT), (u32::MAX, 1 << 16)] {
        let mut q = p.clone();
        put_u32(q.body_mut(Kind::BlockIndex), BI_UNCOMPRESSED, claim);
        let b = assemble(&q);
        let a = open(&b);
        alloc_watch::reset();
        let e = query_error(&a, &Query::All).unwrap();
        assert!(alloc_watch::largest() <= limit);
        assert!(corrupt_in("BLOCKS")(&e), "{e:?}");
        crafted(&b);
    }
}

#[test]
fn block_frame_out_of_bounds() {
    let blocks_len = split(fixture()).body(Kind::Blocks).len() as u64;
    for (field, value) in [
        (BI_OFFSET, blocks_len),
        (BI_OFFSET, blocks_len - 1),
        (BI_OFFSET, u64::MAX),
        (BI_OFFSET, u64::MAX - 3),
        (BI_OFFSET, 1),
    ] {
        let b = crafted_with(|p| {
            put_u64(
                p.body_mut(Kind::BlockIndex),
                5 * BLOCK_ENTRY_LEN + field,
                value,
            )
        });
        let e = caught_by_verify(&b, corrupt_in("BLOCKS"));
        assert!(matches!(e, Error::Corrupt { .. }));
    }
    for value in [u32::MAX, 0, 1, blocks_len as u32] {
        let b = crafted_with(|p| {
            put_u32(
                p.body_mut(Kind::BlockIndex),
                5 * BLOCK_ENTRY_LEN + BI_COMPRESSED,
                value,
            );
        });
        caught_by_verify(&b, corrupt_in("BLOCKS"));
    }
}

#[test]
fn record_counts_zero_or_huge() {
    // In the index.
    for value in [0, 1, u32::MAX, u32::MAX - 1, 1 << 31] {
        let b = crafted_with(|p| {
            put_u32(
                p.body_mut(Kind::BlockIndex),
                3 * BLOCK_ENTRY_LEN + BI_RECORDS,
                value,
            )
        });
        caught_by_verify(&b, |e| matches!(e, Error::Corrupt { .. }));
    }
    // A block the time fence skips, claiming records up to u32::MAX: the
    // skip must not overflow.
    for value in [u32::MAX, u32::MAX - 3] {
        let b = crafted_with(|p| {
            let idx = p.body_mut(Kind::BlockIndex);
            put_u32(idx, 3 * BLOCK_ENTRY_LEN + BI_RECORDS, value);
            for t in (32..64).step_by(8) {
                put_u64(idx, 3 * BLOCK_ENTRY_LEN + t, 1);
            }
        });
        let a = open(&b);
        let fenced = &filters()[1];
        assert!(a.query(&Query::All, fenced).unwrap().take(CAP).count() < CAP);
        let _ = a.summarize(&Query::All, fenced);
        caught_by_verify(&b, |e| matches!(e, Error::Corrupt { .. }));
    }
    // In the block and the index alike.
    for value in [0u32, u32::MAX, 1 << 24, 100_000] {
        let b = crafted_with(|p| {
            let mut raw = record_blocks(p);
            let old = raw[3][0] as usize; // one-byte varint: blocks are small
            assert!(old < 0x80);
            raw[3].splice(0..1, varint(u64::from(value)));
            set_record_blocks(p, &raw);
            put_u32(
                p.body_mut(Kind::BlockIndex),
                3 * BLOCK_ENTRY_LEN + BI_RECORDS,
                value,
            );
        });
        caught_by_verify(&b, corrupt_in("BLOCKS"));
    }
    // The record count (NAME_RECORDS' last entry) other than the blocks':
    // refused at open (check 15), as it bounds every range read.
    let blocks_end = open(fixture()).record_count();
    for value in [u32::MAX, u32::MAX - 1, 1 << 31, blocks_end - 1, 0] {
        let b = crafted_with(|p| {
            let nr = p.body_mut(Kind::NameRecords);
            let last = nr.len() - 4;
            put_u32(nr, last, value);
        });
        refused(&b, corrupt_in("NAME_RECORDS"));
    }
    // So is a last block that ends elsewhere.
    let last_block = open(fixture()).block_count() - 1;
    let b = crafted_with(|p| {
        let at = last_block * BLOCK_ENTRY_LEN + BI_RECORDS;
        let n = u32_at(p.body(Kind::BlockIndex), at);
        put_u32(p.body_mut(Kind::BlockIndex), at, n - 1);
    });
    refused(&b, corrupt_in("NAME_RECORDS"));
}

#[test]
fn name_ids_out_of_range() {
    let names = open(fixture()).name_count();
    for first in [names, names + 1, u32::MAX] {
        let b = crafted_with(|p| {
            let mut raw = record_blocks(p);
            // Header: count, first name, time base; rewrite the first name.
            let mut r = &raw[2][..];
            let count = read_varint(&mut r);
            let _ = read_varint(&mut r);
            let rest = r.to_vec();
            let mut block = varint(count);
            block.extend(varint(u64::from(first)));
            block.extend(rest);
            raw[2] = block;
            set_record_blocks(p, &raw);
            put_u32(
                p.body_mut(Kind::BlockIndex),
                2 * BLOCK_ENTRY_LEN + BI_FIRST_NAME,
                first,
            );
        });
        caught_by_verify(&b, corrupt_in("BLOCKS"));
    }
    // A name delta that overflows.
    let b = crafted_with(|p| {
        let mut raw = record_blocks(p);
        let mut r = &raw[2][..];
        let head: Vec<u64> = (0..4).map(|_| read_varint(&mut r)).collect();
        let rest = r.to_vec();
        let mut block: Vec<u8> = head[..3].iter().flat_map(|&v| varint(v)).collect();
        block.extend(varint(u64::from(u32::MAX))); // first delta
        block.extend(rest);
        raw[2] = block;
        set_record_blocks(p, &raw);
    });
    caught_by_verify(&b, corrupt_in("BLOCKS"));
}

fn read_varint(r: &mut &[u8]) -> u64 {
    let mut v = 0u64;
    for i in 0.. {
        let b = r[0];
        *r = &r[1..];
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    v
}

#[test]
fn name_records_not_monotonic() {
    let n = open(fixture()).name_count() as usize;
    for (i, j) in [(1, 2), (0, 1), (n - 1, n), (5, 30)] {
        let b = crafted_with(|p| {
            let nr = p.body_mut(Kind::NameRecords);
            let (x, y) = (u32_at(nr, 4 * i), u32_at(nr, 4 * j));
            put_u32(nr, 4 * i, y);
            put_u32(nr, 4 * j, x);
        });
        match Archive::from_vec(b.clone()) {
            Ok(_) => {
                caught_by_verify(&b, corrupt_in("NAME_RECORDS"));
            }
            Err(e) => assert!(is_damage(&e), "{e:?}"),
        }
    }
    // Every name claiming every record.
    let b = crafted_with(|p| {
        let nr = p.body_mut(Kind::NameRecords);
        let last = nr.len() - 4;
        for at in (0..last).step_by(4) {
            put_u32(nr, at, 0);
        }
    });
    caught_by_verify(&b, corrupt_in("NAME_RECORDS"));
}

/// The posting pointer of IPV4 entry `i`.
fn v4_ptr(p: &Parts, i: usize) -> u64 {
    u64_at(p.body(Kind::Ipv4), i * IPV4_ENTRY_LEN + 4)
}

fn v4_addr(p: &Parts, i: usize) -> IpAddr {
    let t = p.body(Kind::Ipv4);
    let a: [u8; 4] = t[i * IPV4_ENTRY_LEN..i * IPV4_ENTRY_LEN + 4]
        .try_into()
        .unwrap();
    IpAddr::from(a)
}

/// An IPV4 entry whose posting is stored (not inline).
fn stored_v4(p: &Parts) -> usize {
    (0..p.body(Kind::Ipv4).len() / IPV4_ENTRY_LEN)
        .find(|&i| v4_ptr(p, i) & POSTING_INLINE == 0)
        .unwrap()
}

#[test]
fn posting_pointers_out_of_bounds() {
    let p = split(fixture());
    let i = stored_v4(&p);
    let addr = v4_addr(&p, i);
    let len = p.body(Kind::Postings).len() as u64;
    let records = u64::from(open(fixture()).record_count());
    for ptr in [
        len,
        len - 1,
        len - 4,
        len + 100,
        POSTING_INLINE - 1,
        POSTING_INLINE | records,
        POSTING_INLINE | u64::from(u32::MAX),
        u64::MAX,
    ] {
        let b = crafted_with(|p| put_u64(p.body_mut(Kind::Ipv4), i * IPV4_ENTRY_LEN + 4, ptr));
        let a = open(&b);
        let e = query_error(&a, &Query::Ip(addr)).unwrap();
        assert!(corrupt_in("POSTINGS")(&e), "{ptr:#x}: {e:?}");
        caught_by_verify(&b, corrupt_in("POSTINGS"));
    }
    // A stored list whose length runs past the end.
    for l in [u32::MAX, len as u32] {
        let b = crafted_with(|p| {
            let at = v4_ptr(p, i) as usize;
            put_u32(p.body_mut(Kind::Postings), at, l);
        });
        let e = query_error(&open(&b), &Query::Ip(addr)).unwrap();
        assert!(corrupt_in("POSTINGS")(&e), "{e:?}");
        caught_by_verify(&b, corrupt_in("POSTINGS"));
    }
}

/// The fixture with a posting list (length and bitmap) appended to
/// POSTINGS and IPV4 entry `i` pointing at it.
fn with_posting(i: usize, bitmap: &[u8]) -> Vec<u8> {
    crafted_with(|p| {
        let postings = p.body_mut(Kind::Postings);
        let at = postings.len() as u64;
        postings.extend_from_slice(&(bitmap.len() as u32).to_le_bytes());
        postings.extend_from_slice(bitmap);
        put_u64(p.body_mut(Kind::Ipv4), i * IPV4_ENTRY_LEN + 4, at);
    })
}

fn roaring_bytes(bm: &roaring::RoaringBitmap) -> Vec<u8> {
    let mut v = Vec::new();
    bm.serialize_into(&mut v).unwrap();
    v
}

#[test]
fn hostile_roaring_bitmaps() {
    let p = split(fixture());
    let i = stored_v4(&p);
    let addr = v4_addr(&p, i);
    let records = open(fixture()).record_count();
    let mut cases: Vec<Vec<u8>> = Vec::new();
    // Cookie without run containers, then a container count of 2^32 - 1.
    let mut b = 12346u32.to_le_bytes().to_vec();
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    cases.push(b);
    // 65536 containers announced, none present.
    let mut b = 12346u32.to_le_bytes().to_vec();
    b.extend_from_slice(&65536u32.to_le_bytes());
    cases.push(b);
    // Run containers: 65536 of them announced, a few bytes present.
    let mut b = (12347u32 | (0xffff << 16)).to_le_bytes().to_vec();
    b.extend_from_slice(&[0xff; 64]);
    cases.push(b);
    // Unsorted container keys.
    let mut b = 12346u32.to_le_bytes().to_vec();
    b.extend_from_slice(&2u32.to_le_bytes());
    for key in [5u16, 1] {
        b.extend_from_slice(&key.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
    }
    b.extend_from_slice(&[0; 8]); // offsets
    b.extend_from_slice(&[0; 4]); // one value each
    cases.push(b);
    // Bad cookie, empty body.
    cases.push(vec![1, 2, 3, 4]);
    cases.push(Vec::new());
    // Valid bitmaps with ids past the record count.
    cases.push(roaring_bytes(&[records].into_iter().collect()));
    cases.push(roaring_bytes(&[0, 1, u32::MAX].into_iter().collect()));
    let mut all = roaring::RoaringBitmap::new();
    all.insert_range(0..=u32::MAX);
    cases.push(roaring_bytes(&all));
    for bitmap in cases {
        let b = with_posting(i, &bitmap);
        let a = open(&b);
        alloc_watch::reset();
        let e = query_error(&a, &Query::Ip(addr)).unwrap();
        // Roaring allocates in proportion to the containers present.
        let limit = (1 << 20).max(8 * bitmap.len());
        assert!(
            alloc_watch::largest() <= limit,
            "{}",
            alloc_watch::largest()
        );
        assert!(corrupt_in("POSTINGS")(&e), "{e:?}");
        caught_by_verify(&b, |e| matches!(e, Error::Corrupt { .. }));
    }
}

#[test]
fn shared_and_overlapping_posting_lists() {
    let p = split(fixture());
    let n = p.body(Kind::Ipv4).len() / IPV4_ENTRY_LEN;
    let i = stored_v4(&p);
    let ptr = v4_ptr(&p, i);
    // Every address shares one list: the layout allows it, but a record
    // holds one address, so the answer would lend one address's records
    // to all the others. Queries refuse it, as verify does.
    let b = crafted_with(|p| {
        for j in 0..n {
            put_u64(p.body_mut(Kind::Ipv4), j * IPV4_ENTRY_LEN + 4, ptr);
        }
    });
    let a = open(&b);
    let all = Query::Cidr {
        addr: ip("0.0.0.0"),
        prefix: 0,
    };
    let e = query_error(&a, &all).unwrap();
    assert!(corrupt_in("IPV4")(&e), "{e:?}");
    caught_by_verify(&b, corrupt_in("POSTINGS"));
    // Nested lists: the region [L1][B][L2][B]...[Ln][B], where each Li
    // runs to the end of the region (roaring ignores bytes after a
    // bitmap), and address i points at Li. Every list is valid, but
    // decoding them all reads the region n/2 times over: refused once the
    // lists decoded outgrow POSTINGS.
    let mut bm = roaring::RoaringBitmap::new();
    bm.insert_range(0..open(fixture()).record_count());
    let bm = roaring_bytes(&bm);
    let b = crafted_with(|p| {
        let postings = p.body_mut(Kind::Postings);
        let region = n * (4 + bm.len());
        let mut ptrs = Vec::new();
        for j in 0..n {
            ptrs.push(postings.len() as u64);
            let rest = region - j * (4 + bm.len()) - 4;
            postings.extend_from_slice(&(rest as u32).to_le_bytes());
            postings.extend_from_slice(&bm);
        }
        for (j, ptr) in ptrs.into_iter().enumerate() {
            put_u64(p.body_mut(Kind::Ipv4), j * IPV4_ENTRY_LEN + 4, ptr);
        }
    });
    let a = open(&b);
    let all_v4 = Query::Cidr {
        addr: ip("0.0.0.0"),
        prefix: 0,
    };
    let e = query_error(&a, &all_v4).unwrap();
    assert!(corrupt_in("POSTINGS")(&e), "{e:?}");
    assert!(e.to_string().contains("overlap"), "{e}");
    caught_by_verify(&b, corrupt_in("POSTINGS"));
}

#[test]
fn section_table_overlaps_and_duplicates() {
    let b = fixture();
    let (table, _) = table_and_footer(b);
    let entry = |k: Kind| -> usize {
        let p = split(b);
        table + p.sections.iter().position(|s| s.kind == k as u16).unwrap() * SECTION_ENTRY_LEN
    };
    let mut cases: Vec<Vec<u8>> = Vec::new();
    // IPV6 over IPV4's bytes.
    let mut c = b.to_vec();
    let (v4, v6) = (entry(Kind::Ipv4), entry(Kind::Ipv6));
    let src = c[v4 + 8..v4 + 24].to_vec();
    c[v6 + 8..v6 + 24].copy_from_slice(&src);
    cases.push(c);
    // NAMES_FWD one byte into NAMES_REV.
    let mut c = b.to_vec();
    let (rev, fwd) = (entry(Kind::NamesReversed), entry(Kind::NamesForward));
    let rev_end = u64_at(&c, rev + 8) + u64_at(&c, rev + 16);
    put_u64(&mut c, fwd + 8, rev_end - 1);
    cases.push(c);
    // BLOCKS duplicated over BLOCK_INDEX's kind.
    let mut c = b.to_vec();
    put_u32(
        &mut c,
        entry(Kind::BlockIndex),
        Kind::Blocks as u32 | u32::from(SECTION_REQUIRED) << 16,
    );
    cases.push(c);
    // A section reaching into the table, or starting in the header.
    let mut c = b.to_vec();
    let meta = entry(Kind::Meta);
    let len = u64_at(&c, meta + 16);
    put_u64(&mut c, meta + 16, len + 9);
    cases.push(c);
    let mut c = b.to_vec();
    put_u64(&mut c, meta + 8, 8);
    cases.push(c);
    let mut c = b.to_vec();
    put_u64(&mut c, meta + 8, u64::MAX - 4);
    cases.push(c);
    for mut c in cases {
        fix_checksums(&mut c);
        let e = refused(&c, |e| matches!(e, Error::Corrupt { .. }));
        assert!(corrupt_in("section table")(&e), "{e:?}");
        crafted(&c);
    }
    // A missing section.
    let c = crafted_with(|p| p.sections.retain(|s| s.kind != Kind::Postings as u16));
    assert!(matches!(
        refused(&c, is_damage),
        Error::MissingSection("POSTINGS")
    ));
    // Empty sections may share an offset.
    let c = crafted_with(|p| {
        p.sections.insert(
            3,
            Part {
                kind: 500,
                flags: 0,
                body: Vec::new(),
            },
        );
        p.sections.insert(
            3,
            Part {
                kind: 501,
                flags: 0,
                body: Vec::new(),
            },
        );
    });
    open(&c).verify().unwrap();
}

#[test]
fn section_count_out_of_range() {
    let b = fixture();
    let f = b.len() - FOOTER_LEN;
    let n = u32_at(b, f + 8);
    for count in [MAX_SECTIONS + 1, u32::MAX, n + 1, n - 1, 0, 2 * n] {
        let mut c = b.to_vec();
        put_u32(&mut c, f + 8, count);
        fix_checksums(&mut c);
        let e = refused(&c, is_damage);
        assert!(corrupt_in("footer")(&e), "{count}: {e:?}");
    }
    // A table that really has MAX_SECTIONS + 1 entries.
    let c = crafted_with(|p| {
        for k in 0..=MAX_SECTIONS as u16 {
            p.sections.push(Part {
                kind: 1000 + k,
                flags: 0,
                body: Vec::new(),
            });
        }
    });
    assert!(corrupt_in("footer")(&refused(&c, is_damage)));
    // Exactly MAX_SECTIONS is fine.
    let c = crafted_with(|p| {
        let extra = MAX_SECTIONS as usize - p.sections.len();
        for k in 0..extra as u16 {
            p.sections.push(Part {
                kind: 1000 + k,
                flags: 0,
                body: vec![k as u8],
            });
        }
    });
    open(&c).verify().unwrap();
}

#[test]
fn versions_and_features() {
    // A newer major version is refused as such, whatever its footer.
    let c = crafted_with(|p| p.major = 2);
    assert!(matches!(
        refused(&c, is_damage),
        Error::UnsupportedVersion { .. }
    ));
    let mut c = fixture().to_vec();
    c[8] = 2;
    let n = c.len();
    c[n - FOOTER_LEN..n - 8].fill(0xee);
    assert!(matches!(
        refused(&c, is_damage),
        Error::UnsupportedVersion { .. }
    ));
    for major in [0, 3, u16::MAX] {
        let c = crafted_with(|p| p.major = major);
        assert!(matches!(
            refused(&c, is_damage),
            Error::UnsupportedVersion { .. }
        ));
    }
    // Unknown required features.
    for bits in [1, 1 << 63, u64::MAX] {
        let c = crafted_with(|p| p.required = bits);
        match refused(&c, is_damage) {
            Error::UnsupportedFeatures { bits: b } => assert_eq!(b, bits),
            e => panic!("{e:?}"),
        }
    }
    // Header and footer disagreeing.
    let mut c = fixture().to_vec();
    c[10] = 1; // minor, header only
    fix_checksums(&mut c);
    assert!(corrupt_in("footer")(&refused(&c, is_damage)));
    // Higher minor versions and unknown optional features still open and
    // read the same.
    let want = all_results(&open(fixture()));
    for (minor, optional) in [(1, 0), (7, 1 << 9), (u16::MAX, u64::MAX)] {
        let c = crafted_with(|p| {
            p.minor = minor;
            p.optional = optional;
        });
        let a = open(&c);
        assert_eq!(a.version(), (1, minor));
        a.verify().unwrap();
        assert_eq!(all_results(&a), want);
    }
}

#[test]
fn unknown_sections() {
    let want = all_results(&open(fixture()));
    // Optional ones are skipped, wherever they are.
    for at in [0, 1, 6, 12] {
        let c = crafted_with(|p| {
            let body = b"from the future".repeat(at + 1);
            p.sections.insert(
                at,
                Part {
                    kind: 4242,
                    flags: 0,
                    body,
                },
            );
        });
        let a = open(&c);
        a.verify().unwrap();
        assert!(a
            .sections()
            .iter()
            .any(|s| s.name == "kind 4242" && !s.required));
        assert_eq!(all_results(&a), want);
        // An optional section is still covered by verify.
        let s = a.sections().into_iter().find(|s| s.kind == 4242).unwrap();
        let mut d = c.clone();
        d[s.offset as usize + 3] ^= 1;
        let x = open(&d);
        assert!(matches!(x.verify(), Err(Error::ChecksumMismatch { .. })));
        // Reserved flag bits are ignored.
        let mut d = c.clone();
        let (table, _) = table_and_footer(&d);
        let row = table + at * SECTION_ENTRY_LEN;
        d[row + 2] |= 0xfe;
        fix_checksums(&mut d);
        open(&d).verify().unwrap();
    }
    // Required ones are refused.
    for kind in [0, 13, 4242, u16::MAX] {
        let c = crafted_with(|p| {
            p.sections.insert(
                2,
                Part {
                    kind,
                    flags: SECTION_REQUIRED,
                    body: b"x".to_vec(),
                },
            );
        });
        match refused(&c, is_damage) {
            Error::UnknownRequiredSection { kind: k } => assert_eq!(k, kind),
            e => panic!("{e:?}"),
        }
    }
}

#[test]
fn name_table_crafted() {
    fn nt(p: &mut Parts) -> &mut Vec<u8> {
        p.body_mut(Kind::NameTable)
    }
    let mut cases = Vec::new();
    for per_block in [0, 1, 2, 4, u32::MAX] {
        cases.push(crafted_with(|p| put_u32(nt(p), 0, per_block)));
    }
    for count in [0, 1, u32::MAX] {
        cases.push(crafted_with(|p| put_u32(nt(p), 4, count)));
        cases.push(crafted_with(|p| put_u32(nt(p), 8, count)));
    }
    // Offsets decreasing, past the end, huge.
    for (i, v) in [(1, 0u64), (2, 1), (3, u64::MAX), (1, 1 << 40), (0, 5)] {
        cases.push(crafted_with(|p| put_u64(nt(p), 16 + 8 * i, v)));
    }
    for c in &cases {
        let seen = crafted(c);
        assert!(!seen.verified);
    }
    // Every name in one block (names_per_block = u32::MAX) is a sound
    // file; verify decodes the block once, not once per name.
    let c = crafted_with(|p| {
        let keys: Vec<Vec<u8>> = name_blocks(p)
            .iter()
            .flat_map(|raw| decode_keys(raw))
            .collect();
        let mut block = Vec::new();
        let mut prev: &[u8] = &[];
        for k in &keys {
            let shared = k.iter().zip(prev).take_while(|(a, b)| a == b).count();
            block.extend(varint(shared as u64));
            block.extend(varint((k.len() - shared) as u64));
            block.extend_from_slice(&k[shared..]);
            prev = k;
        }
        set_name_blocks(p, &[block]);
        put_u32(nt(p), 0, u32::MAX);
    });
    let a = open(&c);
    a.verify().unwrap();
    assert_eq!(all_results(&a), all_results(&open(fixture())));
    let seen = crafted(&c);
    assert!(seen.verified);
}

/// The keys of a decompressed name block.
fn decode_keys(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut r = raw;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    while !r.is_empty() {
        let shared = read_varint(&mut r) as usize;
        let len = read_varint(&mut r) as usize;
        let mut k = keys.last().map_or(Vec::new(), |p| p[..shared].to_vec());
        k.extend_from_slice(&r[..len]);
        r = &r[len..];
        keys.push(k);
    }
    keys
}

#[test]
fn sources_crafted() {
    let mut cases = Vec::new();
    for n in [u32::MAX, 65_537, 1000, 0] {
        cases.push(crafted_with(|p| put_u32(p.body_mut(Kind::Sources), 0, n)));
    }
    // A set naming a source that does not exist.
    cases.push(crafted_with(|p| {
        let s = p.body_mut(Kind::Sources);
        let last = s.len() - 1;
        s[last] = 0x7f;
    }));
    cases.push(crafted_with(|p| p.body_mut(Kind::Sources).push(0)));
    cases.push(crafted_with(|p| p.body_mut(Kind::Sources).clear()));
    for c in cases {
        let e = refused(&c, is_damage);
        assert!(
            corrupt_in("SOURCES")(&e) || matches!(e, Error::Truncated { .. }),
            "{e:?}"
        );
    }
}

/// An FST (version 3) of `depth` nodes, each with transitions on `a` and
/// `b` to the node below, over a non-final node without transitions: 2^depth
/// paths and no key. Its header claims `len` keys.
fn exploding_fst(depth: usize, len: u64) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&3u64.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes());
    // Bottom: any-trans, zero transitions, not final: pack sizes 0, ntrans
    // byte 0, state byte 0.
    f.extend_from_slice(&[0, 0, 0]);
    let mut below = f.len() - 1;
    for _ in 0..depth {
        let end = f.len();
        let delta = (end - below) as u8;
        // Transition addresses (last transition first), inputs (likewise),
        // pack sizes (1-byte addresses, no outputs), state (2 transitions).
        f.extend_from_slice(&[delta, delta, b'b', b'a', 0x10, 0x02]);
        below = f.len() - 1;
    }
    f.extend_from_slice(&len.to_le_bytes());
    f.extend_from_slice(&(below as u64).to_le_bytes());
    let crc = crc32c::crc32c(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

#[test]
fn hostile_fsts() {
    let names = u64::from(open(fixture()).name_count());
    let records = u64::from(open(fixture()).record_count());
    // 2^60 paths without a key: the walk gives up, it does not hang.
    for k in [Kind::NamesForward, Kind::NamesReversed] {
        let c = crafted_with(|p| *p.body_mut(k) = exploding_fst(60, names));
        let a = open(&c);
        let t = std::time::Instant::now();
        let e = query_error(&a, &Query::Regex("z$".into()))
            .or_else(|| {
                query_error(
                    &a,
                    &Query::Subtree {
                        zone: "zz".into(),
                        include_apex: true,
                    },
                )
            })
            .or_else(|| a.verify().err());
        assert!(e.is_some());
        assert!(t.elapsed().as_secs() < 5);
        crafted(&c);
    }
    let c = crafted_with(|p| *p.body_mut(Kind::RdataNames) = exploding_fst(60, records));
    let a = open(&c);
    let e = query_error(
        &a,
        &Query::RdataSubtree {
            zone: ".".into(),
            include_apex: true,
        },
    )
    .unwrap();
    assert!(corrupt_in("RDATA_NAMES")(&e), "{e:?}");
    caught_by_verify(&c, corrupt_in("RDATA_NAMES"));
    // An rdata-name index claiming more keys than records can hold.
    let c = crafted_with(|p| *p.body_mut(Kind::RdataNames) = exploding_fst(3, 2 * records + 1));
    assert!(corrupt_in("RDATA_NAMES")(&refused(&c, is_damage)));
    // Name indexes whose values are not name ids.
    for (k, shift) in [(Kind::NamesReversed, names), (Kind::NamesForward, 1 << 32)] {
        let c = crafted_with(|p| {
            let m = fst::Map::new(p.body(k).clone()).unwrap();
            let mut st = fst::IntoStreamer::into_stream(m.stream());
            let mut w = fst::MapBuilder::memory();
            while let Some((key, v)) = fst::Streamer::next(&mut st) {
                w.insert(key, v + shift).unwrap();
            }
            *p.body_mut(k) = w.into_inner().unwrap();
        });
        let e = caught_by_verify(&c, |e| matches!(e, Error::Corrupt { .. }));
        assert!(corrupt_in(k.name())(&e), "{e:?}");
        // NAMES_FWD is a set: queries take ids from NAMES_REV and ignore
        // its values, so only NAMES_REV's bad ids surface in queries.
        if k == Kind::NamesReversed {
            let a = open(&c);
            let q = Query::Name("www.example.com".into());
            assert!(corrupt_in(k.name())(&query_error(&a, &q).unwrap()));
        }
    }
    // Bad FST headers are refused at open.
    for body in [Vec::new(), vec![0; 35], vec![0; 36], vec![0xff; 64]] {
        let c = crafted_with(|p| *p.body_mut(Kind::NamesForward) = body.clone());
        assert!(corrupt_in("NAMES_FWD")(&refused(&c, is_damage)));
    }
}

#[test]
fn every_section_emptied_or_filled() {
    for i in 0..Kind::ALL.len() {
        for body in [
            Vec::new(),
            vec![0u8; 64],
            vec![0xffu8; 100],
            vec![0x80u8; 4096],
        ] {
            let c = crafted_with(|p| p.sections[i].body = body.clone());
            crafted(&c);
        }
    }
}

// ---------------------------------------------------------------------------
// Merges of crafted archives: what `Archive::items` must refuse (found by
// review; each of these merged into a wrong archive, or counted records
// twice, before `Items` checked them).

/// `bytes` merged alone, or the error.
fn merge_alone(bytes: &[u8]) -> pdnsfile::Result<Vec<u8>> {
    let a = Archive::from_vec(bytes.to_vec())?;
    pdnsfile::merge(
        std::slice::from_ref(&a),
        Vec::new(),
        WriterOptions::default(),
    )
}

/// An archive of `entries`, one record per block, one name per name block.
fn one_per_block(entries: Vec<Entry>) -> Vec<u8> {
    build(entries, 1, 1)
}

#[test]
fn a_name_key_with_a_zero_byte_is_refused_by_a_merge() {
    let bytes = one_per_block(vec![
        Entry::new("azb.example", 16, "zz", 1, 2, None).unwrap()
    ]);
    assert!(merge_alone(&bytes).is_ok());
    let mut p = split(&bytes);
    let mut names = name_blocks(&p);
    let z = names[0].iter().position(|&c| c == b'z').unwrap();
    names[0][z] = 0;
    set_name_blocks(&mut p, &names);
    let crafted = assemble(&p);
    let e = merge_alone(&crafted).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Corrupt {
                section: "NAME_TABLE",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn an_a_record_that_is_no_address_is_refused_by_a_merge() {
    // TXT "x" is stored as one byte; as an A record it would read back as
    // the text `x`, which a merge must not take for a four-byte address.
    let bytes = one_per_block(vec![Entry::new("a.example", 16, "x", 1, 2, None).unwrap()]);
    let mut p = split(&bytes);
    let mut blocks = record_blocks(&p);
    let raw = &mut blocks[0];
    let mut r = &raw[..];
    assert_eq!(read_varint(&mut r), 1, "one record");
    read_varint(&mut r); // first name
    read_varint(&mut r); // time base
    read_varint(&mut r); // the name delta
    let pos = raw.len() - r.len();
    assert_eq!(raw[pos], 16, "the type column");
    raw[pos] = 1;
    set_record_blocks(&mut p, &blocks);
    let crafted = assemble(&p);
    let e = merge_alone(&crafted).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Corrupt {
                section: "BLOCKS",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_block_listed_twice_is_refused_by_a_merge() {
    let entries: Vec<Entry> = ["a.example", "b.example", "c.example"]
        .iter()
        .map(|n| Entry::new(n, 16, "x", 1, 2, Some(3)).unwrap())
        .collect();
    let bytes = one_per_block(entries);
    let mut p = split(&bytes);
    let idx = p.body_mut(Kind::BlockIndex);
    assert_eq!(idx.len(), 3 * BLOCK_ENTRY_LEN);
    let first = idx[..BLOCK_ENTRY_LEN].to_vec();
    idx[BLOCK_ENTRY_LEN..2 * BLOCK_ENTRY_LEN].copy_from_slice(&first);
    let crafted = assemble(&p);
    let Ok(a) = Archive::from_vec(crafted.clone()) else {
        // Refused at open: as good.
        return;
    };
    drop(a);
    let e = merge_alone(&crafted).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
}
