//! Real captures with their DNS bytes changed at random, decoded as a
//! build decodes them: no panic, and every observation's sort item is
//! one the archive writer accepts. A record the decoder let through and
//! the writer refused would let one hostile packet fail a whole nightly
//! build instead of being counted and skipped.
//!
//! The inputs are the bundled classic pcap files (`tests/data/pcaps`).
//! In each, a few packets get one to four edits past their first 42
//! bytes (about where a UDP payload starts behind Ethernet and IPv4):
//! octets replaced by random ones or by DNS troublemakers (compression
//! pointers, the longest and too long label lengths, type and length
//! fields at their limits). The generator is seeded, so a failure
//! repeats; `PDNS_MUTATIONS=N` runs N inputs instead of the default.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use pdns_capture::{Decoder, Options};

/// xorshift64: small, seeded, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Octets that mean something odd to a DNS decoder.
const TROUBLE: &[u8] = &[
    0xc0, 0x0c, 0x3f, 0x40, 0xff, 0x00, 0x01, 0x80, 0x2e, 0x5c, 0x1b,
];

/// The classic pcap files among the bundled captures (their framing is
/// simple enough to find each packet's data without a parser).
fn captures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pcaps");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| {
            b.get(..4)
                .is_some_and(|m| m == [0xd4, 0xc3, 0xb2, 0xa1] || m == [0x4d, 0x3c, 0xb2, 0xa1])
        })
        .collect()
}

/// (start, length) of every packet's data in a little-endian classic pcap.
fn packets(cap: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 24;
    while let Some(h) = cap.get(at..at + 16) {
        let len = u32::from_le_bytes(h[8..12].try_into().unwrap()) as usize;
        if at + 16 + len > cap.len() {
            break;
        }
        out.push((at + 16, len));
        at += 16 + len;
    }
    out
}

fn mutate(r: &mut Rng, caps: &[Vec<u8>]) -> Vec<u8> {
    let mut cap = caps[r.below(caps.len())].clone();
    let frames = packets(&cap);
    for _ in 0..1 + r.below(8) {
        let Some(&(start, len)) = frames.get(r.below(frames.len())) else {
            break;
        };
        if len <= 42 {
            continue;
        }
        for _ in 0..1 + r.below(4) {
            let at = start + 42 + r.below(len - 42);
            cap[at] = if r.below(2) == 0 {
                r.next() as u8
            } else {
                TROUBLE[r.below(TROUBLE.len())]
            };
        }
    }
    cap
}

/// Decodes `cap` into sort items, as a build does.
fn items_of(cap: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut d = Decoder::new(Options::default());
    let _ = d.read_observations(cap, &mut |o| {
        let mut item = Vec::new();
        o.encode_item(&mut item);
        items.push(item);
    });
    items
}

/// Writes `items` (in key order, as the sort hands them over) into an
/// archive that is thrown away.
fn write(mut items: Vec<Vec<u8>>) -> pdnsfile::Result<()> {
    items.sort();
    let mut w = pdnsfile::Writer::new(
        std::io::sink(),
        pdnsfile::WriterOptions {
            memory: 1 << 20,
            ..Default::default()
        },
    )?;
    for item in &items {
        w.push_item(item)?;
    }
    w.finish().map(drop)
}

#[test]
fn mutated_captures_fail_only_their_packets() {
    let rounds: usize = std::env::var("PDNS_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let caps = captures();
    assert!(caps.len() >= 10, "the bundled captures are missing");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let cap = mutate(&mut rng, &caps);
        let failure = match catch_unwind(AssertUnwindSafe(|| write(items_of(&cap)))) {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("round {round}: the writer refused: {e}"),
            Err(_) => format!("round {round}: panic"),
        };
        if failures.is_empty() {
            let path = std::env::temp_dir().join("pdns-mutated-capture.pcap");
            std::fs::write(&path, &cap).unwrap();
            eprintln!("{failure}; the capture is in {}", path.display());
        }
        failures.push(failure);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
