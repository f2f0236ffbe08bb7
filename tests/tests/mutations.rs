//! Hostile input fails only itself: the bundled provider samples and
//! exports, and the bundled real captures, changed at random and read as
//! a build reads them. Nothing may panic, and every entry an importer or
//! the capture decoder yields must be one the archive writer accepts; an
//! entry the writer refused would let one hostile line or packet fail a
//! whole nightly build instead of being counted and skipped.
//!
//! Exports (`providers/tests/data`, plus lines in this project's own COF
//! shape, the parser's fast path) are cut to their first 4 000 bytes and
//! get a few edits: bytes flipped, JSON, TSV and DNS troublemakers
//! inserted (escapes, surrogates, huge numbers, controls, invalid UTF-8,
//! odd names and addresses), spans dropped, repeated or spliced in from
//! another input; then every format reads them, line by line as sort
//! items and as a whole document. Of the captures
//! (`capture/tests/data/pcaps`), a classic pcap gets a few packets edited
//! past their first 42 bytes, about where a UDP payload starts behind
//! Ethernet and IPv4, with random octets or DNS troublemakers
//! (compression pointers, label lengths 63 and 64, limits of type and
//! length fields); a pcapng gets such octets anywhere past its first 64
//! bytes; one capture in eight is also cut short.
//!
//! The generators are seeded, so a failure repeats;
//! `PDNS_MUTATIONS=N` runs N inputs of each kind instead of the default (a
//! longer run in release is a small fuzzer).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use pdns_capture::Decoder;
use pdns_providers::{Format, Options, Parser};

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

/// A path under the workspace root.
fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
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

/// Makes `default` inputs (or `PDNS_MUTATIONS`), reads each into sort
/// items and writes them; fails with every round that panicked or that
/// the writer refused, and keeps the first such input in a temporary
/// file to make a regression test of.
fn campaign(
    what: &str,
    default: usize,
    seed: u64,
    mut make: impl FnMut(&mut Rng) -> Vec<u8>,
    read: impl Fn(&[u8]) -> Vec<Vec<u8>>,
) {
    let rounds: usize = std::env::var("PDNS_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let input = make(&mut rng);
        let failure = match catch_unwind(AssertUnwindSafe(|| write(read(&input)))) {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("{what} round {round}: the writer refused: {e}"),
            Err(_) => format!("{what} round {round}: panic"),
        };
        if failures.is_empty() {
            let path = std::env::temp_dir().join(format!("pdns-mutated-{what}"));
            std::fs::write(&path, &input).unwrap();
            eprintln!("{failure}; the input is in {}", path.display());
        }
        failures.push(failure);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Byte strings that have broken parsers somewhere.
const TOKENS: &[&[u8]] = &[
    b"\\",
    b"\"",
    b"\\u0000",
    b"\\ud800",
    b"\\udc00\\ud800",
    b"99999999999999999999",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-1",
    b"1e5",
    b"0.5",
    b".",
    b"..",
    b"\t",
    b"|",
    b"||",
    b":",
    b"\\.",
    b"\\\\",
    b"[]",
    b"{}",
    b"null",
    b"true",
    b"\xc3\xa9",
    b"\xff",
    b"\xc3",
    b"\n",
    b"\r\n",
    b"0",
    b"00",
    b"4294967296",
    b"65536",
    b"TYPE65535",
    b"TYPE99999",
    b"\\# 3 abcdef",
    b"\\# 0",
    b"*",
    b"%",
    b"\x00",
    b"\x1b[31m",
    b"2001:db8::1",
    b"::ffff:1.2.3.4",
    b"1.2.3.256",
    b"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z",
    b"xn--",
    b"#fields",
    b"#separator \\x09",
    b"2024-02-30 25:61:61",
    b"9999-12-31T23:59:59Z",
    b"\"rrtype\":65",
    b"\"rdata\":[]",
    b"\"count\":\"12\"",
    b"\"time_first\":\"1\"",
];

fn exports() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for dir in ["samples", "exports"] {
        for e in std::fs::read_dir(data(&format!("providers/tests/data/{dir}"))).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.sort();
    let mut corpus: Vec<Vec<u8>> = files
        .iter()
        .map(|p| {
            let b = std::fs::read(p).unwrap();
            b[..b.len().min(4000)].to_vec()
        })
        .collect();
    // The shape the COF fast path reads: this project's own output.
    let mut cof = String::new();
    let rows = [
        ("A", "192.0.2.1", "www.example.com"),
        ("AAAA", "2001:db8::1", "v6.example.net"),
        ("CNAME", "target.example.org", "alias.example.org"),
        ("MX", "10 mail.example.com", "example.com"),
        ("TXT", "\\\"v=spf1 -all\\\"", "example.com"),
        (
            "SOA",
            "ns1.example.com hostmaster.example.com 1 2 3 4 5",
            "example.com",
        ),
    ];
    for (i, (t, rdata, name)) in rows.iter().enumerate() {
        cof.push_str(&format!(
            "{{\"rrname\":\"{name}\",\"rrtype\":\"{t}\",\"rdata\":\"{rdata}\",\"time_first\":{},\"time_last\":{},\"count\":{i},\"bailiwick\":\"example.com\",\"sources\":[\"circl\",\"dnsdb\"]}}\n",
            1_700_000_000 + i,
            1_700_000_100 + i
        ));
    }
    corpus.push(cof.into_bytes());
    corpus
}

fn mutate_export(r: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = corpus[r.below(corpus.len())].clone();
    for _ in 0..1 + r.below(4) {
        let at = r.below(b.len() + 1);
        match r.below(6) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] = r.next() as u8;
            }
            1 => {
                let t = TOKENS[r.below(TOKENS.len())];
                b.splice(at..at, t.iter().copied());
            }
            2 => b.truncate(at),
            3 if at < b.len() => {
                let end = (at + 1 + r.below(64)).min(b.len());
                let span = b[at..end].to_vec();
                let to = r.below(b.len() + 1);
                b.splice(to..to, span);
            }
            4 if at < b.len() => {
                let end = (at + 1 + r.below(16)).min(b.len());
                b.drain(at..end);
            }
            _ => {
                let other = &corpus[r.below(corpus.len())];
                let from = r.below(other.len() + 1);
                let span: Vec<u8> = other[from..].iter().copied().take(200).collect();
                b.splice(at..at, span);
            }
        }
    }
    b
}

/// Parses `input` as every format, line by line as sort items (as a build
/// reads a line format) and as a whole text (as it reads a document),
/// and returns every item made.
fn export_items(input: &[u8], options: &[Options]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(input);
    let mut out = Vec::new();
    for o in options {
        for format in Format::ALL {
            let mut p = Parser::with_options(format, o).unwrap();
            let (mut items, mut ends, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
            for line in input.split(|&c| c == b'\n') {
                let _ = p.parse_line_items(line, &mut items, &mut ends, &mut scratch);
            }
            let _ = p.finish();
            let mut start = 0;
            for &end in &ends {
                out.push(items[start..end].to_vec());
                start = end;
            }
            let parsed = Parser::with_options(format, o).unwrap().parse_text(&text);
            out.extend(parsed.entries.iter().map(pdnsfile::sortkey::encode));
        }
    }
    out
}

/// Octets that mean something odd to a DNS decoder.
const TROUBLE: &[u8] = &[
    0xc0, 0x0c, 0x3f, 0x40, 0xff, 0x00, 0x01, 0x80, 0x2e, 0x5c, 0x1b,
];

/// The bundled captures, pcap and pcapng.
fn captures() -> Vec<Vec<u8>> {
    let dir = data("capture/tests/data/pcaps");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// (start, length) of every packet's data in a little-endian classic
/// pcap (the bundled ones are); none for anything else.
fn packets(cap: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let classic = cap
        .get(..4)
        .is_some_and(|m| m == [0xd4, 0xc3, 0xb2, 0xa1] || m == [0x4d, 0x3c, 0xb2, 0xa1]);
    if !classic {
        return out;
    }
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

fn mutate_capture(r: &mut Rng, caps: &[Vec<u8>]) -> Vec<u8> {
    let mut cap = caps[r.below(caps.len())].clone();
    let frames = packets(&cap);
    if frames.is_empty() {
        // pcapng: blocks are not walked here, so any octet past the
        // section header may change (block lengths and options too).
        for _ in 0..1 + r.below(8) {
            if cap.len() > 64 {
                let at = 64 + r.below(cap.len() - 64);
                cap[at] = TROUBLE[r.below(TROUBLE.len())] ^ (r.next() as u8 & 1);
            }
        }
    }
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
    if r.below(8) == 0 {
        // Cut anywhere, a packet or block left half written.
        let at = r.below(cap.len() + 1);
        cap.truncate(at);
    }
    cap
}

/// Decodes `cap` into sort items, as a build does.
fn capture_items(cap: &[u8]) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut d = Decoder::new(pdns_capture::Options::default());
    let _ = d.read_observations(cap, &mut |o| {
        let mut item = Vec::new();
        o.encode_item(&mut item);
        items.push(item);
    });
    items
}

#[test]
fn mutated_exports_fail_only_themselves() {
    let corpus = exports();
    let options = [
        Options::default(),
        Options {
            passivedns_fields: Some("SMcsCQTAtnH".into()),
            passivedns_delimiter: Some(" ".into()),
            passivedns_time_zone: Some("Europe/Berlin".into()),
            query: Some("example.com".into()),
            source: Some("sensor\u{1b}[31m".into()),
        },
    ];
    campaign(
        "export",
        300,
        0x9e37_79b9_7f4a_7c15,
        |r| mutate_export(r, &corpus),
        |input| {
            let _ = pdns_providers::detect(input);
            let _ = pdns_providers::detect_with_delimiter(input, ";");
            let _ = pdns_providers::detect_with_delimiter(input, " ");
            export_items(input, &options)
        },
    );
}

#[test]
fn mutated_captures_fail_only_their_packets() {
    let caps = captures();
    assert!(caps.len() >= 10, "the bundled captures are missing");
    campaign(
        "capture",
        200,
        0x2545_f491_4f6c_dd1d,
        |r| mutate_capture(r, &caps),
        capture_items,
    );
}
