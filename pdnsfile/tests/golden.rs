//! Golden archives: the files in `spec/testdata/` are rebuilt in memory
//! from fixed inputs (listed in `spec/testdata/README.md`) and must match
//! the committed files byte for byte. Each committed file is also opened
//! with [`Archive`], verified, queried, and decoded a second time by a
//! small independent reader written from `spec/FORMAT.md` alone, so the
//! specification, the files and the crate are checked against each other.
//!
//! When the bytes differ the writer's output changed. If that is intended,
//! follow `spec/FORMAT.md` ("Versioning") and regenerate the files with
//!
//! ```text
//! PDNS_UPDATE_GOLDEN=1 cargo test -p pdnsfile --test golden
//! ```

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use pdnsfile::name::{from_reversed_key, reversed_key};
use pdnsfile::record::Entry;
use pdnsfile::{rrtype, Archive, Filter, Query, TimeFence, Writer, WriterOptions};

// ---------------------------------------------------------------------------
// The inputs. Keep them in step with spec/testdata/README.md.
// ---------------------------------------------------------------------------

/// The options every golden archive is written with, apart from the two
/// layout knobs.
fn options(block_size: usize, names_per_block: u32) -> WriterOptions {
    WriterOptions {
        block_size,
        names_per_block,
        zstd_level: 3,
        memory: 1 << 20,
        tmp_dir: None,
        created_by: "pdnsfile golden".to_string(),
        build_time: 0,
    }
}

/// One input entry.
#[allow(clippy::too_many_arguments)]
fn entry(
    rrname: &str,
    rrtype: &str,
    rdata: &str,
    time_first: u64,
    time_last: u64,
    count: Option<u64>,
    sources: &[&str],
    bailiwick: Option<&str>,
) -> Entry {
    let t = rrtype::parse(rrtype).unwrap();
    let mut e = Entry::new(rrname, t, rdata, time_first, time_last, count).unwrap();
    for s in sources {
        e.add_source(s);
    }
    e.bailiwick = bailiwick.map(|b| pdnsfile::name::normalize(b).unwrap());
    e
}

const T0: u64 = 1_700_000_000;

fn empty_entries() -> Vec<Entry> {
    Vec::new()
}

fn one_a_entries() -> Vec<Entry> {
    vec![entry(
        "www.example.com",
        "A",
        "192.0.2.1",
        T0,
        T0 + 100,
        Some(3),
        &["sensor1"],
        None,
    )]
}

fn pivots_entries() -> Vec<Entry> {
    vec![
        entry(
            "example.com",
            "NS",
            "ns1.example.net",
            T0,
            T0 + 86_400,
            Some(10),
            &["dnsdb"],
            Some("com"),
        ),
        entry(
            "example.com",
            "NS",
            "ns2.example.net",
            T0,
            T0 + 86_400,
            Some(9),
            &["dnsdb"],
            Some("com"),
        ),
        entry(
            "example.com",
            "MX",
            "10 mail.example.com",
            T0 + 100,
            T0 + 200,
            None,
            &["sensor1"],
            None,
        ),
        entry(
            "example.com",
            "TXT",
            "\"v=spf1 mx -all\"",
            T0 + 100,
            T0 + 100,
            Some(1),
            &["sensor1"],
            None,
        ),
        entry(
            "mail.example.com",
            "A",
            "192.0.2.25",
            T0,
            T0 + 3_600,
            Some(4),
            &["sensor1"],
            None,
        ),
        entry(
            "mail.example.com",
            "AAAA",
            "2001:db8::25",
            T0,
            T0 + 3_600,
            Some(4),
            &["sensor1"],
            None,
        ),
        entry(
            "ftp.example.com",
            "CNAME",
            "web.example.net",
            T0 + 500,
            T0 + 500,
            Some(1),
            &["circl"],
            None,
        ),
        // Two observations of one key: the writer aggregates them.
        entry(
            "www.example.com",
            "CNAME",
            "web.example.net",
            T0,
            T0 + 3_600,
            Some(2),
            &["sensor1"],
            None,
        ),
        entry(
            "www.example.com",
            "CNAME",
            "web.example.net",
            T0 - 10_000,
            T0 + 1_000,
            Some(5),
            &["dnsdb"],
            Some("example.com"),
        ),
        entry(
            "web.example.net",
            "A",
            "192.0.2.80",
            T0,
            T0 + 7_200,
            Some(6),
            &["circl", "sensor1"],
            None,
        ),
        entry(
            "web.example.net",
            "AAAA",
            "2001:db8::80",
            T0,
            T0 + 7_200,
            Some(6),
            &["circl", "sensor1"],
            None,
        ),
        entry(
            "www.example.org",
            "AAAA",
            "2001:db8::80",
            T0 + 50,
            T0 + 60,
            None,
            &["circl"],
            None,
        ),
    ]
}

fn multi_block_entries() -> Vec<Entry> {
    let mut v = Vec::new();
    for i in 0..12u64 {
        let name = format!("h{i:02}.example.org");
        let t = T0 + i * 86_400;
        let src: &[&str] = if i % 2 == 0 { &["a"] } else { &["b"] };
        v.push(entry(
            &name,
            "A",
            &format!("198.51.100.{}", i % 8),
            t,
            t + 3_600 * i,
            if i % 3 == 0 { None } else { Some(i) },
            src,
            if i % 4 == 0 {
                Some("example.org")
            } else {
                None
            },
        ));
        v.push(entry(
            &name,
            "TXT",
            &format!("\"row {i}\""),
            t + 60,
            t + 60,
            Some(1),
            &["a", "b"],
            None,
        ));
    }
    v
}

/// Sorts the inputs into key order, as the writer requires. Entries with
/// the same key stay adjacent and the writer aggregates them.
fn sorted(mut v: Vec<Entry>) -> Vec<Entry> {
    v.sort_by(|a, b| a.cmp_key(b));
    v
}

/// What the archive must hold: the inputs sorted and aggregated.
fn aggregated(v: Vec<Entry>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for e in sorted(v) {
        match out.last_mut() {
            Some(l) if l.same_key(&e) => l.merge(&e),
            _ => out.push(e),
        }
    }
    out
}

fn build(entries: &[Entry], opts: WriterOptions) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), opts).unwrap();
    for e in sorted(entries.to_vec()) {
        w.add(&e).unwrap();
    }
    w.finish().unwrap()
}

// ---------------------------------------------------------------------------
// The golden comparison.
// ---------------------------------------------------------------------------

fn testdata(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("spec")
        .join("testdata")
        .join(file)
}

/// Publishes `bytes` at `path` as the spec says: a temporary file in the
/// same folder, synced, renamed over the target, folder synced.
fn publish(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("pdns.tmp");
    let mut f = std::fs::File::create(&tmp).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
    drop(f);
    std::fs::rename(&tmp, path).unwrap();
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir).unwrap().sync_all().unwrap();
    }
}

/// The name of the section holding byte `at` of `file`, for messages.
fn locate(file: &[u8], at: usize) -> String {
    if at < 32 {
        return "the header".into();
    }
    if at + 64 >= file.len() {
        return "the footer (or past the end)".into();
    }
    match spec_decode(file) {
        Ok(d) => {
            for s in &d.sections {
                if (at as u64) >= s.offset && (at as u64) < s.offset + s.length {
                    return format!("section {} (kind {})", kind_name(s.kind), s.kind);
                }
            }
            "padding or the section table".into()
        }
        Err(_) => "an undecodable part of the file".into(),
    }
}

/// Builds a case twice (the writer must be deterministic), compares it
/// with the committed file (or rewrites the file when
/// `PDNS_UPDATE_GOLDEN=1`), then checks the committed file every way.
fn golden(file: &str, inputs: Vec<Entry>, opts: WriterOptions, check: fn(&Archive)) {
    let built = build(&inputs, opts.clone());
    let again = build(&inputs, opts);
    assert!(
        built == again,
        "{file}: two builds from the same input differ; the writer is not deterministic"
    );
    let path = testdata(file);
    if std::env::var_os("PDNS_UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        publish(&path, &built);
        eprintln!("{file}: rewritten ({} bytes)", built.len());
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: cannot read the golden archive ({e}); create it with \
             `PDNS_UPDATE_GOLDEN=1 cargo test -p pdnsfile --test golden`",
            path.display()
        )
    });
    if committed != built {
        let first = committed
            .iter()
            .zip(&built)
            .position(|(a, b)| a != b)
            .unwrap_or(committed.len().min(built.len()));
        let same_entries = Archive::from_vec(committed.clone())
            .ok()
            .and_then(|a| all(&a).ok())
            .is_some_and(|got| got == aggregated(inputs.clone()));
        panic!(
            "\n{file}: the golden archive differs from what the writer produces now.\n\
             committed {} bytes, built {} bytes; first difference at byte {first} (0x{first:x}), \
             in {} of the committed file.\n\
             The archive format or the writer's output has changed. If that is intended, \
             follow spec/FORMAT.md \"Versioning\" (bump the version for a format change, or \
             before 1.0 is released log it as a pre-release change, under \"Version changes\"), \
             update spec/testdata/README.md and the annotated example and Appendix A if they \
             are affected, then regenerate with\n\n    \
             PDNS_UPDATE_GOLDEN=1 cargo test -p pdnsfile --test golden\n\n\
             and commit the new files.{}\n",
            committed.len(),
            built.len(),
            locate(&committed, first),
            if same_entries {
                "\nNote: the committed file still decodes to the expected entries, so this may \
                 be a change in a compressor or FST library version rather than in the format."
            } else {
                ""
            }
        );
    }

    // The committed file, through the crate's reader.
    let archive = Archive::open(&path).unwrap();
    archive
        .verify()
        .unwrap_or_else(|e| panic!("{file}: verify failed: {e}"));
    let expected = aggregated(inputs);
    assert_eq!(all(&archive).unwrap(), expected, "{file}: entries");
    assert_eq!(archive.version(), (1, 0));
    check(&archive);

    // The committed file, through the independent reader.
    let d = spec_decode(&committed).unwrap_or_else(|e| panic!("{file}: spec decoder: {e}"));
    assert_eq!(d.entries, expected, "{file}: spec decoder entries");
    assert_eq!(d.block_count, archive.block_count(), "{file}: blocks");
    assert_eq!(d.sources, archive.sources(), "{file}: sources");
}

fn all(a: &Archive) -> pdnsfile::Result<Vec<Entry>> {
    a.query(&Query::All, &Filter::default())?.collect()
}

/// Runs a query and shows each result as `name TYPE rdata`.
fn q(a: &Archive, query: &str) -> Vec<String> {
    q_filtered(a, query, &Filter::default())
}

fn q_filtered(a: &Archive, query: &str, f: &Filter) -> Vec<String> {
    a.query(&Query::parse(query).unwrap(), f)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            format!("{} {} {}", e.rrname, rrtype::to_string(e.rrtype), e.rdata)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------

#[test]
fn golden_empty() {
    golden("empty.pdns", empty_entries(), options(4096, 16), |a| {
        assert_eq!(
            (a.record_count(), a.name_count(), a.block_count()),
            (0, 0, 0)
        );
        assert!(q(a, "*").is_empty());
        assert!(a.time_span().is_none());
        assert_eq!(a.sections().len(), 12);
        let m = a.meta().unwrap();
        assert_eq!((m.time_first, m.time_last), (None, None));
    });
}

#[test]
fn golden_one_a() {
    golden("one-a.pdns", one_a_entries(), options(4096, 16), |a| {
        assert_eq!(
            (a.record_count(), a.name_count(), a.block_count()),
            (1, 1, 1)
        );
        let want = ["www.example.com A 192.0.2.1"];
        assert_eq!(q(a, "www.example.com"), want);
        assert_eq!(q(a, "192.0.2.1"), want);
        assert_eq!(q(a, "192.0.2.0/24"), want);
        assert_eq!(q(a, "*.example.com"), want);
        assert_eq!(q(a, "*.com"), want);
        assert!(q(a, "example.com").is_empty());
        assert!(q(a, "192.0.2.2").is_empty());
        assert_eq!(a.sources(), ["sensor1"]);
        assert_eq!(a.time_span(), Some((T0, T0 + 100)));
    });
}

#[test]
fn golden_pivots() {
    golden("pivots.pdns", pivots_entries(), options(4096, 16), |a| {
        assert_eq!(
            (a.record_count(), a.name_count(), a.block_count()),
            (11, 6, 1)
        );
        assert_eq!(
            q(a, "rdata:web.example.net"),
            [
                "ftp.example.com CNAME web.example.net",
                "www.example.com CNAME web.example.net"
            ]
        );
        assert_eq!(
            q(a, "rdata:*.example.net"),
            [
                "example.com NS ns1.example.net",
                "example.com NS ns2.example.net",
                "ftp.example.com CNAME web.example.net",
                "www.example.com CNAME web.example.net"
            ]
        );
        assert_eq!(
            q(a, "rdata:mail.example.com"),
            ["example.com MX 10 mail.example.com"]
        );
        assert_eq!(
            q(a, "2001:db8::80"),
            [
                "web.example.net AAAA 2001:db8::80",
                "www.example.org AAAA 2001:db8::80"
            ]
        );
        assert_eq!(q(a, "2001:db8::/32").len(), 3);
        assert_eq!(
            q(a, "*.example.com"),
            [
                "ftp.example.com CNAME web.example.net",
                "mail.example.com A 192.0.2.25",
                "mail.example.com AAAA 2001:db8::25",
                "www.example.com CNAME web.example.net"
            ]
        );
        assert_eq!(q(a, "example.com").len(), 4);
        assert_eq!(
            q(a, "www.example.*"),
            [
                "www.example.com CNAME web.example.net",
                "www.example.org AAAA 2001:db8::80"
            ]
        );
        // The aggregated entry.
        let e = a
            .query(
                &Query::parse("www.example.com").unwrap(),
                &Filter::default(),
            )
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.time_first, e.time_last, e.count),
            (T0 - 10_000, T0 + 3_600, Some(7))
        );
        assert_eq!(e.sources, ["dnsdb", "sensor1"]);
        assert_eq!(e.bailiwick.as_deref(), Some("example.com"));
        assert_eq!(a.sources(), ["dnsdb", "sensor1", "circl"]);
    });
}

#[test]
fn golden_multi_block() {
    golden(
        "multi-block.pdns",
        multi_block_entries(),
        options(48, 3),
        |a| {
            assert_eq!((a.record_count(), a.name_count()), (24, 12));
            // Three records a block, so names straddle block boundaries.
            assert_eq!(a.block_count(), 8);
            assert_eq!(a.block_info(1).unwrap().first_name, 1);
            assert_eq!(
                q(a, "h07.example.org"),
                [
                    "h07.example.org A 198.51.100.7",
                    "h07.example.org TXT \"row 7\""
                ]
            );
            assert_eq!(
                q(a, "198.51.100.3"),
                [
                    "h03.example.org A 198.51.100.3",
                    "h11.example.org A 198.51.100.3"
                ]
            );
            assert_eq!(q(a, "198.51.100.0/30").len(), 8);
            assert_eq!(q(a, "*.example.org").len(), 24);
            // A time fence: entries seen at some moment of day 5 .. day 6.
            let fence = TimeFence::overlapping(T0 + 5 * 86_400, T0 + 6 * 86_400 + 1);
            let f = Filter {
                fence,
                ..Filter::default()
            };
            let want: Vec<String> = aggregated(multi_block_entries())
                .into_iter()
                .filter(|e| fence.matches(e.time_first, e.time_last))
                .map(|e| format!("{} {} {}", e.rrname, rrtype::to_string(e.rrtype), e.rdata))
                .collect();
            assert_eq!(q_filtered(a, "*", &f), want);
            assert_eq!(want.len(), 3);
        },
    );
}

/// The stored posting lists of the golden files, as spec/testdata/README.md
/// and FORMAT.md section 18.11 describe them.
#[test]
fn golden_stored_posting_lists() {
    let decode = |file: &str| {
        let bytes = std::fs::read(testdata(file)).unwrap();
        spec_decode(&bytes).unwrap_or_else(|e| panic!("{file}: spec decoder: {e}"))
    };
    let list = |offset, ids: &[u32]| Stored {
        offset,
        list: true,
        ids: ids.to_vec(),
    };
    for file in ["empty.pdns", "one-a.pdns"] {
        assert!(decode(file).stored.is_empty(), "{file}");
    }
    // 2001:db8::80 → {9, 10}, then net.example.web. → {4, 7}.
    let d = decode("pivots.pdns");
    assert_eq!(d.stored, [list(0, &[9, 10]), list(6, &[4, 7])]);
    // The bytes FORMAT.md 18.11 shows: POSTINGS at file offset 0x378.
    let s = d.sections.iter().find(|s| s.kind == 12).unwrap();
    assert_eq!((s.offset, s.length), (0x378, 12));
    let pivots = std::fs::read(testdata("pivots.pdns")).unwrap();
    assert_eq!(
        pivots[0x378..0x384],
        [0x02, 0x00, 0x00, 0x80, 0x09, 0x01, 0x02, 0x00, 0x00, 0x80, 0x04, 0x03]
    );
    // 198.51.100.0 to .3, each the A records of names i and i + 8.
    assert_eq!(
        decode("multi-block.pdns").stored,
        [
            list(0, &[0, 16]),
            list(6, &[2, 18]),
            list(12, &[4, 20]),
            list(18, &[6, 22])
        ]
    );
}

/// Appendix A of FORMAT.md is the hex dump of the committed `one-a.pdns`.
#[test]
fn spec_appendix_a_is_one_a() {
    let spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/FORMAT.md"))
            .unwrap();
    let appendix = &spec[spec.find("## Appendix A.").unwrap()..];
    let block = &appendix[appendix.find("```text\n").unwrap() + 8..];
    let block = &block[..block.find("```").unwrap()];
    let mut dumped = Vec::new();
    for (i, line) in block.lines().enumerate() {
        // `xxd` lines: offset, then 16 bytes in groups of two, then text.
        let (offset, rest) = line.split_once(": ").unwrap();
        assert_eq!(usize::from_str_radix(offset, 16).unwrap(), i * 16, "{line}");
        let hex: String = rest[..40].split_whitespace().collect();
        for j in (0..hex.len()).step_by(2) {
            dumped.push(u8::from_str_radix(&hex[j..j + 2], 16).unwrap());
        }
    }
    let file = std::fs::read(testdata("one-a.pdns")).unwrap();
    assert!(
        dumped == file,
        "FORMAT.md Appendix A differs from spec/testdata/one-a.pdns; \
         regenerate it with `xxd spec/testdata/one-a.pdns` and re-check section 18"
    );
}

// ---------------------------------------------------------------------------
// An independent reader, written from spec/FORMAT.md.
// ---------------------------------------------------------------------------

const MAGIC: &[u8; 8] = b"\x89PDNS\r\n\x1a";
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fn kind_name(kind: u16) -> &'static str {
    match kind {
        1 => "META",
        2 => "SOURCES",
        3 => "NAMES_REV",
        4 => "NAMES_FWD",
        5 => "NAME_RECORDS",
        6 => "NAME_TABLE",
        7 => "BLOCK_INDEX",
        8 => "BLOCKS",
        9 => "IPV4",
        10 => "IPV6",
        11 => "RDATA_NAMES",
        12 => "POSTINGS",
        _ => "unknown",
    }
}

struct Section {
    kind: u16,
    offset: u64,
    length: u64,
}

struct Decoded {
    sections: Vec<Section>,
    entries: Vec<Entry>,
    block_count: usize,
    sources: Vec<String>,
    /// The stored posting lists, in POSTINGS order.
    stored: Vec<Stored>,
}

/// One stored posting list as the spec decoder met it.
#[derive(Debug, PartialEq, Eq)]
struct Stored {
    /// Offset in POSTINGS.
    offset: usize,
    /// Whether the body is a delta-varint list (else a Roaring bitmap).
    list: bool,
    ids: Vec<u32>,
}

type R<T> = Result<T, String>;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// A cursor reading varints and byte strings.
struct Cur<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Cur<'a> {
        Cur { b, p: 0 }
    }

    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let s = self
            .b
            .get(self.p..self.p + n)
            .ok_or_else(|| format!("need {n} bytes at {}", self.p))?;
        self.p += n;
        Ok(s)
    }

    /// Unsigned LEB128, at most 10 bytes, value below 2^64.
    fn varint(&mut self) -> R<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.take(1)?[0];
            if i == 9 && b > 1 {
                return Err("varint above 2^64".into());
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn varints(&mut self, n: usize) -> R<Vec<u64>> {
        (0..n).map(|_| self.varint()).collect()
    }

    fn len_bytes(&mut self) -> R<&'a [u8]> {
        let n = self.varint()? as usize;
        self.take(n)
    }

    fn done(&self) -> bool {
        self.p == self.b.len()
    }
}

fn ensure(ok: bool, what: &str) -> R<()> {
    if ok {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

/// The spec's varint encoding (LEB128, shortest form).
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The delta-varint list body of strictly increasing ids: the first id,
/// then each difference.
fn delta_list(ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = None;
    for &id in ids {
        put_varint(&mut out, u64::from(id - prev.unwrap_or(0)));
        prev = Some(id);
    }
    out
}

/// Bit 31 of a stored posting list's word: the body is a delta-varint list.
const LIST: u32 = 1 << 31;

/// Reads a posting pointer: an inline record id, or a stored list in
/// POSTINGS (a word with the body's length and encoding, then a
/// delta-varint list or a Roaring bitmap). Stored lists must come one
/// after the other, starting at `*next`, in the order the indexes are
/// walked; each is recorded in `stored`.
fn posting(ptr: u64, postings: &[u8], next: &mut usize, stored: &mut Vec<Stored>) -> R<Vec<u32>> {
    if ptr & (1 << 63) != 0 {
        ensure(ptr >> 32 == 1 << 31, "inline posting has bits 32..62 set")?;
        return Ok(vec![ptr as u32]);
    }
    let p = ptr as usize;
    ensure(
        p == *next,
        "stored posting lists tile POSTINGS in walk order",
    )?;
    let word = u32_at(
        postings.get(p..p + 4).ok_or("posting word past the end")?,
        0,
    );
    let list = word & LIST != 0;
    let len = (word & !LIST) as usize;
    let body = postings
        .get(p + 4..p + 4 + len)
        .ok_or("posting list past the end of POSTINGS")?;
    *next = p + 4 + len;
    let ids: Vec<u32> = if list {
        // First id, then positive deltas, until the body's end.
        let mut c = Cur::new(body);
        let mut ids: Vec<u32> = Vec::new();
        while !c.done() {
            let v = u32::try_from(c.varint()?).map_err(|_| "list varint above 32 bits")?;
            let id = match ids.last() {
                None => v,
                Some(&prev) => {
                    ensure(v >= 1, "list deltas are at least 1")?;
                    prev.checked_add(v).ok_or("list id above 32 bits")?
                }
            };
            ids.push(id);
        }
        ensure(
            delta_list(&ids) == body,
            "list varints use the shortest form",
        )?;
        ids
    } else {
        let bm = roaring::RoaringBitmap::deserialize_from(body).map_err(|e| e.to_string())?;
        ensure(
            bm.serialized_size() == len,
            "bitmap fills its length exactly",
        )?;
        bm.into_iter().collect()
    };
    // A delta-varint list MUST hold two ids; the writer stores a single id
    // inline (a SHOULD of the spec), so no bitmap of one id either.
    ensure(
        ids.len() >= 2,
        "a stored posting list holds fewer than 2 ids",
    )?;
    // The reference writer writes the smaller encoding, ties to the list.
    let bitmap_len = ids
        .iter()
        .copied()
        .collect::<roaring::RoaringBitmap>()
        .serialized_size();
    ensure(
        list == (delta_list(&ids).len() <= bitmap_len),
        "the writer chose the smaller body (ties: the list)",
    )?;
    stored.push(Stored {
        offset: p,
        list,
        ids: ids.clone(),
    });
    Ok(ids)
}

/// Checks the frame of an FST as the spec's table lays it out (version 3,
/// type 0, masked CRC-32C at the end) and returns its key count.
fn fst_key_count(b: &[u8]) -> R<u64> {
    ensure(b.len() >= 36, "FST shorter than its frame")?;
    ensure(u64_at(b, 0) == 3, "FST version 3")?;
    ensure(u64_at(b, 8) == 0, "FST type 0")?;
    let n = b.len();
    let masked = crc32c::crc32c(&b[..n - 4])
        .rotate_right(15)
        .wrapping_add(0xa282_ead8);
    ensure(masked == u32_at(b, n - 4), "FST masked CRC-32C")?;
    Ok(u64_at(b, n - 20))
}

/// The presentation of stored rdata (FORMAT.md 9.4): A and AAAA of 4 and
/// 16 bytes are addresses; everything else is text, non-printable bytes as
/// `\DDD`.
fn spec_rdata_text(t: u16, raw: &[u8]) -> String {
    match (t, raw.len()) {
        (1, 4) => std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]).to_string(),
        (28, 16) => {
            let mut o = [0u8; 16];
            o.copy_from_slice(raw);
            std::net::Ipv6Addr::from(o).to_string()
        }
        _ => raw
            .iter()
            .map(|&b| {
                if (0x20..=0x7e).contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("\\{b:03}")
                }
            })
            .collect(),
    }
}

/// The names in rdata (FORMAT.md 9.7) of a canonical presentation.
fn spec_rdata_names(t: u16, text: &str) -> Vec<String> {
    if text.starts_with("\\#") {
        return Vec::new();
    }
    let f: Vec<&str> = text.split(' ').collect();
    let one = f.len() == 1;
    let at: &[usize] = match t {
        5 | 2 | 12 | 39 | 3 | 4 | 7 | 8 | 9 if one => &[0],
        15 | 18 | 21 | 36 | 33 | 64 | 65 if one => &[0],
        15 | 18 | 21 | 36 | 64 | 65 => &[1],
        33 => &[3],
        6 => &[0, 1],
        _ => &[],
    };
    let mut out: Vec<String> = Vec::new();
    for &i in at {
        if let Some(n) = f.get(i).filter(|n| !n.is_empty() && !n.starts_with('"')) {
            if !out.iter().any(|o| o == n) {
                out.push((*n).to_string());
            }
        }
    }
    out
}

fn fst_pairs(bytes: &[u8]) -> R<Vec<(Vec<u8>, u64)>> {
    use fst::Streamer;
    let map = fst::Map::new(bytes.to_vec()).map_err(|e| e.to_string())?;
    map.as_fst().verify().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut st = map.stream();
    while let Some((k, v)) = st.next() {
        out.push((k.to_vec(), v));
    }
    Ok(out)
}

/// Decodes a whole archive following the specification, checking every
/// MUST it can.
#[allow(clippy::too_many_lines)]
fn spec_decode(f: &[u8]) -> R<Decoded> {
    // Header and footer.
    ensure(f.len() >= 96 && f.len().is_multiple_of(8), "file length")?;
    ensure(&f[0..8] == MAGIC, "header magic")?;
    ensure(u16_at(f, 8) == 1 && u16_at(f, 10) == 0, "header version")?;
    ensure(u32_at(f, 12) == 0, "header reserved")?;
    ensure(u64_at(f, 16) == 0 && u64_at(f, 24) == 0, "header features")?;
    let ft = &f[f.len() - 64..];
    ensure(&ft[56..64] == MAGIC, "footer magic")?;
    ensure(
        crc32c::crc32c(&ft[0..52]) == u32_at(ft, 52),
        "footer self-CRC",
    )?;
    ensure(u32_at(ft, 48) == 0, "footer reserved")?;
    ensure(
        ft[12..32]
            == f[8..12]
                .iter()
                .chain(&f[16..32])
                .copied()
                .collect::<Vec<_>>()[..],
        "footer repeats the header",
    )?;
    ensure(u64_at(ft, 32) == f.len() as u64, "footer file length")?;
    let body = &f[..f.len() - 64];
    ensure(crc32c::crc32c(body) == u32_at(ft, 44), "whole-file CRC")?;
    let table_offset = u64_at(ft, 0) as usize;
    let count = u32_at(ft, 8) as usize;
    ensure(table_offset + 32 * count == body.len(), "table placement")?;
    ensure(table_offset.is_multiple_of(8), "table alignment")?;
    let table = &body[table_offset..];
    ensure(crc32c::crc32c(table) == u32_at(ft, 40), "table CRC")?;

    // Section table.
    let mut sections = Vec::new();
    let mut by_kind: BTreeMap<u16, &[u8]> = BTreeMap::new();
    for e in table.chunks_exact(32) {
        let kind = u16_at(e, 0);
        let flags = u16_at(e, 2);
        ensure(u32_at(e, 4) == 0 && u32_at(e, 28) == 0, "entry reserved")?;
        let (offset, length) = (u64_at(e, 8), u64_at(e, 16));
        ensure(offset % 8 == 0 && offset >= 32, "section alignment")?;
        ensure(offset + length <= table_offset as u64, "section bounds")?;
        let bytes = &f[offset as usize..(offset + length) as usize];
        ensure(crc32c::crc32c(bytes) == u32_at(e, 24), "section CRC")?;
        ensure(
            flags == if kind == 1 { 0 } else { 1 },
            "flags: META optional, every other kind required",
        )?;
        ensure(by_kind.insert(kind, bytes).is_none(), "duplicate kind")?;
        sections.push(Section {
            kind,
            offset,
            length,
        });
    }
    let order: Vec<u16> = sections.iter().map(|s| s.kind).collect();
    ensure(
        order == [8, 7, 6, 5, 3, 4, 9, 10, 11, 12, 2, 1],
        "writer section order",
    )?;
    // Sections follow each other with at most 7 zero bytes of padding.
    let mut pos = 32u64;
    for s in &sections {
        ensure(
            s.offset >= pos && s.offset - pos < 8,
            "gap between sections",
        )?;
        ensure(
            f[pos as usize..s.offset as usize].iter().all(|&b| b == 0),
            "padding is not zero",
        )?;
        pos = s.offset + s.length;
    }
    ensure(
        f[pos as usize..table_offset].iter().all(|&b| b == 0),
        "padding before the table",
    )?;
    let sec = |k: u16| -> R<&[u8]> { by_kind.get(&k).copied().ok_or(format!("kind {k} missing")) };

    // SOURCES.
    let mut c = Cur::new(sec(2)?);
    let n_labels = u32_at(c.take(4)?, 0);
    let mut labels = Vec::new();
    for _ in 0..n_labels {
        labels.push(String::from_utf8(c.len_bytes()?.to_vec()).map_err(|e| e.to_string())?);
    }
    let mut sets: Vec<Vec<String>> = Vec::new();
    for _ in 0..c.varint()? {
        let k = c.varint()? as usize;
        let ids = c.varints(k)?;
        ensure(ids.windows(2).all(|w| w[0] < w[1]), "set ids ascending")?;
        let mut set: Vec<String> = ids
            .iter()
            .map(|&i| labels.get(i as usize).cloned().ok_or("source id"))
            .collect::<Result<_, _>>()?;
        set.sort();
        sets.push(set);
    }
    ensure(c.done(), "SOURCES trailing bytes")?;

    // NAME_RECORDS and NAME_TABLE.
    let nr = sec(5)?;
    ensure(!nr.is_empty() && nr.len() % 4 == 0, "NAME_RECORDS length")?;
    let starts: Vec<u32> = nr.chunks_exact(4).map(|c| u32_at(c, 0)).collect();
    let name_count = starts.len() - 1;
    let record_count = starts[name_count] as usize;
    let nt = sec(6)?;
    let per_block = u32_at(nt, 0) as usize;
    let nblocks = u32_at(nt, 8) as usize;
    ensure(u32_at(nt, 4) as usize == name_count, "NAME_TABLE count")?;
    ensure(u32_at(nt, 12) == 0, "NAME_TABLE reserved")?;
    ensure(
        nblocks == name_count.div_ceil(per_block),
        "NAME_TABLE blocks",
    )?;
    let offs: Vec<usize> = (0..=nblocks)
        .map(|i| u64_at(nt, 16 + 8 * i) as usize)
        .collect();
    let data = &nt[16 + 8 * (nblocks + 1)..];
    ensure(
        offs[0] == 0 && offs[nblocks] == data.len(),
        "NAME_TABLE offsets",
    )?;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for b in 0..nblocks {
        let frame = &data[offs[b]..offs[b + 1]];
        ensure(frame[0..4] == ZSTD_MAGIC, "name block is a zstd frame")?;
        let raw = zstd::stream::decode_all(frame).map_err(|e| e.to_string())?;
        let mut c = Cur::new(&raw);
        let mut prev: Vec<u8> = Vec::new();
        for _ in 0..per_block.min(name_count - b * per_block) {
            let shared = c.varint()? as usize;
            let mut k = prev.get(..shared).ok_or("shared prefix")?.to_vec();
            k.extend_from_slice(c.len_bytes()?);
            ensure(keys.last().is_none_or(|p| *p < k), "names ascending")?;
            keys.push(k.clone());
            prev = k;
        }
        ensure(c.done(), "name block trailing bytes")?;
    }
    let names: Vec<String> = keys.iter().map(|k| from_reversed_key(k)).collect();

    // NAMES_REV and NAMES_FWD.
    ensure(
        fst_key_count(sec(3)?)? == name_count as u64,
        "NAMES_REV key count",
    )?;
    let rev = fst_pairs(sec(3)?)?;
    let want: Vec<(Vec<u8>, u64)> = keys.iter().cloned().zip(0u64..).collect();
    ensure(rev == want, "NAMES_REV maps reversed keys to name ids")?;
    // NAMES_FWD is a set: every name as a key, every output 0, nothing
    // else; a forward name gets its id from NAMES_REV.
    ensure(
        fst_key_count(sec(4)?)? == name_count as u64,
        "NAMES_FWD key count equals the name count",
    )?;
    let fwd = fst_pairs(sec(4)?)?;
    ensure(
        fwd.iter().all(|(_, v)| *v == 0),
        "NAMES_FWD is a set: every output is 0",
    )?;
    let set = fst::Set::new(sec(4)?.to_vec()).map_err(|e| e.to_string())?;
    let set_keys: Vec<Vec<u8>> = set.stream().into_bytes();
    let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
    want.sort();
    ensure(
        set_keys == want && fwd.iter().map(|(k, _)| k).eq(want.iter()),
        "NAMES_FWD holds every name and nothing else",
    )?;
    let rev_ids: BTreeMap<&[u8], u64> = rev.iter().map(|(k, v)| (k.as_slice(), *v)).collect();
    for k in &set_keys {
        let n = std::str::from_utf8(k).map_err(|e| e.to_string())?;
        let id = rev_ids
            .get(reversed_key(n).as_slice())
            .ok_or("a NAMES_FWD name has no NAMES_REV entry")?;
        ensure(
            names[*id as usize].as_bytes() == k.as_slice(),
            "NAMES_REV gives a forward name its own id",
        )?;
    }

    // BLOCK_INDEX and BLOCKS.
    let bi = sec(7)?;
    let blocks = sec(8)?;
    ensure(bi.len() % 64 == 0, "BLOCK_INDEX length")?;
    let mut entries = Vec::new();
    let mut rdata_of: Vec<(u16, Vec<u8>, String)> = Vec::new();
    let mut next_offset = 0usize;
    for e in bi.chunks_exact(64) {
        let (first, n) = (u32_at(e, 0) as usize, u32_at(e, 4) as usize);
        let off = u64_at(e, 8) as usize;
        let (clen, ulen) = (u32_at(e, 16) as usize, u32_at(e, 20) as usize);
        ensure(first == entries.len() && n > 0, "blocks cover the records")?;
        ensure(off == next_offset, "frames are contiguous")?;
        ensure(u32_at(e, 28) == 0, "BLOCK_INDEX reserved")?;
        next_offset = off + clen;
        let frame = blocks.get(off..off + clen).ok_or("frame bounds")?;
        ensure(frame[0..4] == ZSTD_MAGIC, "record block is a zstd frame")?;
        ensure(frame[4] & 0x04 != 0, "record frame has a content checksum")?;
        let raw = zstd::bulk::decompress(frame, ulen).map_err(|e| e.to_string())?;
        ensure(raw.len() == ulen, "uncompressed length")?;
        let mut c = Cur::new(&raw);
        ensure(c.varint()? as usize == n, "block record count")?;
        let first_name = c.varint()?;
        ensure(first_name == u64::from(u32_at(e, 24)), "first name id")?;
        let base = c.varint()?;
        let mut name_ids = Vec::new();
        let mut cur = first_name;
        for d in c.varints(n)? {
            cur += d;
            name_ids.push(cur as usize);
        }
        let types = c.varints(n)?;
        let lens = c.varints(n)?;
        let mut rdata = Vec::new();
        for &l in &lens {
            rdata.push(c.take(l as usize)?.to_vec());
        }
        let tf: Vec<u64> = c.varints(n)?.iter().map(|d| base + d).collect();
        let tl: Vec<u64> = c.varints(n)?.iter().zip(&tf).map(|(d, t)| t + d).collect();
        let counts = c.varints(n)?;
        let set_ids = c.varints(n)?;
        let bw = c.varints(n)?;
        let mut dict = Vec::new();
        for _ in 0..c.varint()? {
            dict.push(String::from_utf8(c.len_bytes()?.to_vec()).map_err(|e| e.to_string())?);
        }
        ensure(c.done(), "record block trailing bytes")?;
        let range = |v: &[u64]| (*v.iter().min().unwrap(), *v.iter().max().unwrap());
        ensure(
            (range(&tf), range(&tl))
                == (
                    (u64_at(e, 32), u64_at(e, 40)),
                    (u64_at(e, 48), u64_at(e, 56)),
                ),
            "block time ranges",
        )?;
        for i in 0..n {
            let rid = entries.len() as u32;
            let nid = name_ids[i];
            ensure(
                starts[nid] <= rid && rid < starts[nid + 1],
                "record inside its name's range",
            )?;
            let t = types[i] as u16;
            // A and AAAA are always addresses; other values printable.
            ensure(
                match t {
                    1 => rdata[i].len() == 4,
                    28 => rdata[i].len() == 16,
                    _ => rdata[i].iter().all(|b| (0x20..=0x7e).contains(b)),
                },
                "stored rdata: A 4 octets, AAAA 16, else printable text",
            )?;
            let text = spec_rdata_text(t, &rdata[i]);
            rdata_of.push((t, rdata[i].clone(), text.clone()));
            entries.push(Entry {
                rrname: names[nid].clone(),
                rrtype: t,
                rdata: text,
                time_first: tf[i],
                time_last: tl[i],
                count: counts[i].checked_sub(1),
                sources: sets.get(set_ids[i] as usize).ok_or("set id")?.clone(),
                bailiwick: match bw[i] {
                    0 => None,
                    j => Some(dict.get(j as usize - 1).ok_or("bailiwick")?.clone()),
                },
            });
        }
    }
    ensure(next_offset == blocks.len(), "frames fill BLOCKS")?;
    ensure(entries.len() == record_count, "record count")?;
    for w in entries.windows(2) {
        ensure(w[0].cmp_key(&w[1]).is_lt(), "records in strict key order")?;
    }

    // IPV4, IPV6 and RDATA_NAMES against the records.
    let postings = sec(12)?;
    let mut want_ips: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
    let mut want_names: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
    for (rid, (t, raw, text)) in rdata_of.iter().enumerate() {
        if (*t == 1 && raw.len() == 4) || (*t == 28 && raw.len() == 16) {
            want_ips.entry(raw.clone()).or_default().push(rid as u32);
        }
        for target in spec_rdata_names(*t, text) {
            let ids = want_names.entry(reversed_key(&target)).or_default();
            if ids.last() != Some(&(rid as u32)) {
                ids.push(rid as u32);
            }
        }
    }
    let mut next = 0usize;
    let mut stored = Vec::new();
    let mut got_ips = BTreeMap::new();
    for (kind, width) in [(9u16, 12usize), (10, 24)] {
        let t = sec(kind)?;
        ensure(t.len() % width == 0, "address table length")?;
        let mut prev: Option<&[u8]> = None;
        for e in t.chunks_exact(width) {
            let (addr, ptr) = e.split_at(width - 8);
            ensure(prev.is_none_or(|p| p < addr), "addresses ascending")?;
            prev = Some(addr);
            let ids = posting(u64_at(ptr, 0), postings, &mut next, &mut stored)?;
            got_ips.insert(addr.to_vec(), ids);
        }
    }
    ensure(got_ips == want_ips, "address tables match the records")?;
    let mut got_names = BTreeMap::new();
    let rdata_names_keys = fst_key_count(sec(11)?)?;
    for (k, ptr) in fst_pairs(sec(11)?)? {
        got_names.insert(k, posting(ptr, postings, &mut next, &mut stored)?);
    }
    ensure(
        rdata_names_keys == got_names.len() as u64,
        "RDATA_NAMES key count",
    )?;
    ensure(next == postings.len(), "stored posting lists fill POSTINGS")?;
    ensure(
        got_names.len() <= 2 * record_count,
        "at most two rdata names a record",
    )?;
    ensure(got_names == want_names, "RDATA_NAMES matches the records")?;

    // META.
    let meta: serde_json::Value = serde_json::from_slice(sec(1)?).map_err(|e| e.to_string())?;
    ensure(meta["record_count"] == record_count, "META record_count")?;
    ensure(meta["name_count"] == name_count, "META name_count")?;
    ensure(meta["block_count"] == bi.len() / 64, "META block_count")?;
    ensure(meta["build_time"] == 0, "META build_time")?;
    ensure(meta["created_by"] == "pdnsfile golden", "META created_by")?;
    ensure(meta["ipv4_count"] == sec(9)?.len() / 12, "META ipv4_count")?;
    ensure(meta["ipv6_count"] == sec(10)?.len() / 24, "META ipv6_count")?;
    ensure(
        meta["rdata_name_count"] == got_names.len(),
        "META rdata_name_count",
    )?;

    Ok(Decoded {
        sections,
        entries,
        block_count: bi.len() / 64,
        sources: labels,
        stored,
    })
}
