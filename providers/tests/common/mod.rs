//! Helpers shared by the integration tests: reading test data and
//! writing expected entries literally (not through the normalizer, so a
//! normalization mistake shows up as a difference).

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use pdns_providers::{Format, Options, Parsed, Parser};
use pdnsfile::Entry;

/// The path of a file under `tests/data`.
pub fn data_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// The bytes of a file under `tests/data`.
pub fn data(rel: &str) -> Vec<u8> {
    std::fs::read(data_path(rel)).unwrap()
}

/// The text of a file under `tests/data`.
pub fn text(rel: &str) -> String {
    String::from_utf8(data(rel)).unwrap()
}

/// One expected entry, written out in full.
#[allow(clippy::too_many_arguments)]
pub fn entry(
    rrname: &str,
    rrtype: u16,
    rdata: &str,
    first: u64,
    last: u64,
    count: Option<u64>,
    source: &str,
    bailiwick: Option<&str>,
) -> Entry {
    Entry {
        rrname: rrname.to_string(),
        rrtype,
        rdata: rdata.to_string(),
        time_first: first,
        time_last: last,
        count,
        sources: vec![source.to_string()],
        bailiwick: bailiwick.map(str::to_string),
    }
}

/// Parses a whole input with options.
pub fn parse_with(format: Format, options: &Options, input: &str) -> Parsed {
    Parser::with_options(format, options)
        .unwrap()
        .parse_text(input)
}

/// Parses a whole input with default options.
pub fn parse(format: Format, input: &str) -> Parsed {
    Parser::new(format).parse_text(input)
}

/// The reasons of the errors, in order.
pub fn reasons(p: &Parsed) -> Vec<&'static str> {
    p.errors.iter().map(|(_, e)| e.reason()).collect()
}

/// A skip map from pairs.
pub fn skips(pairs: &[(&'static str, u64)]) -> BTreeMap<&'static str, u64> {
    pairs.iter().copied().collect()
}

/// Asserts entries one by one, so a failure names the first difference.
pub fn assert_entries(got: &[Entry], want: &[Entry]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "entry {i}");
    }
    assert_eq!(got.len(), want.len(), "number of entries: {got:#?}");
}

/// Type numbers used in the expectations.
pub const A: u16 = 1;
pub const NS: u16 = 2;
pub const CNAME: u16 = 5;
pub const SOA: u16 = 6;
pub const PTR: u16 = 12;
pub const MX: u16 = 15;
pub const TXT: u16 = 16;
pub const AAAA: u16 = 28;
pub const SRV: u16 = 33;
pub const HTTPS: u16 = 65;
pub const SPF: u16 = 99;

/// Times used in the samples (checked with Python's `calendar.timegm`).
pub const JAN1: u64 = 1_704_067_200; // 2024-01-01T00:00:00Z
pub const JUN1: u64 = 1_717_200_000; // 2024-06-01T00:00:00Z
pub const JUL1: u64 = 1_719_792_000; // 2024-07-01T00:00:00Z
pub const AUG1: u64 = 1_722_470_400; // 2024-08-01T00:00:00Z
pub const SEP1: u64 = 1_725_148_800; // 2024-09-01T00:00:00Z
