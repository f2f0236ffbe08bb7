//! Fuzz target: any bytes given to the archive reader must give a clean
//! `pdnsfile::Error` or a working archive, never a panic, hang or huge
//! allocation.
//!
//! Each input is tried twice: as it is, and with every checksum recomputed
//! (section CRCs, table CRC, whole-file CRC, footer CRC), so that the
//! fuzzer gets past the checksums and reaches the structural checks behind
//! them. Run with `cargo +nightly fuzz run archive` from the repository
//! root (see `fuzz/README.md`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pdnsfile::format::{FOOTER_LEN, SECTION_ENTRY_LEN};
use pdnsfile::{Archive, Federation, Filter, Query, TimeFence};

/// Most results read from one stream; a working archive of fuzzer size
/// has far fewer, so reaching it means a stream that does not end.
const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    run(data.to_vec());
    let mut fixed = data.to_vec();
    fix_checksums(&mut fixed);
    if fixed != data {
        run(fixed);
    }
});

fn run(bytes: Vec<u8>) {
    let Ok(a) = Archive::from_vec(bytes.clone()) else {
        return;
    };
    let _ = a.verify();
    let _ = (a.sections(), a.meta(), a.time_span());
    for id in 0..a.name_count().min(16) {
        let _ = a.name(id);
    }
    let ip = |s: &str| s.parse().expect("a valid address");
    let queries = [
        Query::All,
        Query::Name("www.example.com".into()),
        Query::Subtree {
            zone: ".".into(),
            include_apex: true,
        },
        Query::Subtree {
            zone: "com".into(),
            include_apex: false,
        },
        Query::NamePrefix("www".into()),
        Query::Regex("e.*l".into()),
        Query::Fuzzy {
            name: "example.com".into(),
            distance: 1,
        },
        Query::Ip(ip("10.0.0.1")),
        Query::Cidr {
            addr: ip("0.0.0.0"),
            prefix: 0,
        },
        Query::Cidr {
            addr: ip("::"),
            prefix: 0,
        },
        Query::RdataName("ns1.example.com".into()),
        Query::RdataSubtree {
            zone: ".".into(),
            include_apex: true,
        },
    ];
    let fenced = Filter {
        types: Some(vec![1, 5, 28]),
        fence: TimeFence::overlapping(1_000, 2_000_000_000),
        sources: Some(vec!["dnsdb".into()]),
    };
    for q in &queries {
        for f in [&Filter::default(), &fenced] {
            if let Ok(m) = a.query(q, f) {
                assert!(m.take(CAP).count() < CAP, "{q:?}: the stream does not end");
            }
        }
        let _ = a.summarize(q, &fenced);
    }
    if let Ok(b) = Archive::from_vec(bytes) {
        let fed = Federation::new(vec![b]);
        if let Ok(m) = fed.query(&Query::All, &Filter::default()) {
            assert!(
                m.take(CAP).count() < CAP,
                "federation: the stream does not end"
            );
        }
    }
    let _ = pdnsfile::merge(
        std::slice::from_ref(&a),
        Vec::new(),
        pdnsfile::WriterOptions {
            memory: 1 << 20,
            ..pdnsfile::WriterOptions::default()
        },
    );
}

/// Recomputes every checksum in place, from the layout in
/// `pdnsfile::format` (same as `fix_checksums` in
/// `pdnsfile/tests/corruption.rs`).
fn fix_checksums(b: &mut [u8]) {
    let n = b.len();
    if n < FOOTER_LEN {
        return;
    }
    let f = n - FOOTER_LEN;
    let u64_at = |b: &[u8], at: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(a)
    };
    let table_offset = u64_at(b, f);
    let count = u64::from(u32::from_le_bytes([
        b[f + 8],
        b[f + 9],
        b[f + 10],
        b[f + 11],
    ]));
    let table = count
        .checked_mul(SECTION_ENTRY_LEN as u64)
        .and_then(|len| table_offset.checked_add(len))
        .filter(|&end| end <= f as u64)
        .map(|end| (table_offset as usize, end as usize));
    if let Some((start, end)) = table {
        for e in (start..end).step_by(SECTION_ENTRY_LEN) {
            let (off, len) = (u64_at(b, e + 8), u64_at(b, e + 16));
            if let Some(last) = off.checked_add(len).filter(|&l| l <= n as u64) {
                let crc = crc32c::crc32c(&b[off as usize..last as usize]);
                b[e + 24..e + 28].copy_from_slice(&crc.to_le_bytes());
            }
        }
        let crc = crc32c::crc32c(&b[start..end]);
        b[f + 40..f + 44].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32c::crc32c(&b[..f]);
    b[f + 44..f + 48].copy_from_slice(&crc.to_le_bytes());
    let crc = crc32c::crc32c(&b[f..f + 52]);
    b[f + 52..f + 56].copy_from_slice(&crc.to_le_bytes());
}
