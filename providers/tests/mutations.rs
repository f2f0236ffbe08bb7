//! Mutated inputs through every parser, as a build reads them: no panic,
//! and every entry a parser yields is one the archive writer accepts. A
//! parser that let through an entry the writer refuses would let one
//! hostile line fail a whole nightly build instead of only itself.
//!
//! The inputs are the bundled samples and exports, and lines in this
//! project's own COF shape (the parser's fast path), each cut to its
//! first 4 000 bytes and changed by a few random edits: bytes flipped,
//! JSON, TSV and DNS troublemakers inserted (escapes, surrogates, huge
//! numbers, controls, invalid UTF-8, odd names and addresses), spans
//! dropped, repeated or spliced in from another input. The generator is
//! seeded, so a failure repeats; `PDNS_MUTATIONS=N` runs N inputs instead
//! of the default (a longer run is a small fuzzer).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::data_path;
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

fn corpus() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for dir in ["samples", "exports"] {
        for e in std::fs::read_dir(data_path(dir)).unwrap() {
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

fn mutate(r: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
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
fn items_of(input: &[u8], options: &[Options]) -> Vec<Vec<u8>> {
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
fn mutated_inputs_fail_only_themselves() {
    let rounds: usize = std::env::var("PDNS_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let corpus = corpus();
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
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let input = mutate(&mut rng, &corpus);
        let checked = catch_unwind(AssertUnwindSafe(|| {
            let _ = pdns_providers::detect(&input);
            let _ = pdns_providers::detect_with_delimiter(&input, ";");
            let _ = pdns_providers::detect_with_delimiter(&input, " ");
            write(items_of(&input, &options))
        }));
        let failure = match checked {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("round {round}: the writer refused: {e}"),
            Err(_) => format!("round {round}: panic"),
        };
        // The first failing input in full, to make a regression test of.
        if failures.is_empty() {
            eprintln!("{failure}; input: {:?}", String::from_utf8_lossy(&input));
        }
        failures.push(failure);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
