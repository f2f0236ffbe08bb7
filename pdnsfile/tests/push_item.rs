//! `Writer::push_item`, the sort-item way into the writer that
//! `pdns-build` uses: it must store exactly what `Writer::add` stores for
//! the same entries (aggregation included), and refuse malformed or
//! unnormalized items with an error, never a panic.

#![allow(clippy::unwrap_used)]

use pdnsfile::record::Entry;
use pdnsfile::{sortkey, Archive, Error, Filter, Query, Writer, WriterOptions};

fn entry(name: &str, t: u16, rdata: &str, first: u64, last: u64, count: Option<u64>) -> Entry {
    Entry::new(name, t, rdata, first, last, count).unwrap()
}

/// Entries with repeated keys whose sources, counts and bailiwicks differ,
/// escapes in names, and every kind of posting.
fn entries() -> Vec<Entry> {
    let mut v = Vec::new();
    for i in 0..400u64 {
        // Few names and values, so keys repeat with different sources,
        // counts and bailiwicks.
        let name = format!("h{}.zone{}.example", i % 7, i % 2);
        let mut a = entry(
            &name,
            1,
            &format!("10.0.{}.{}", i % 3, i % 7),
            100 + i,
            200 + i * 2,
            Some(i % 4),
        );
        a.add_source(["dnsdb", "circl", "pcap:s1"][(i / 7 % 3) as usize]);
        if i % 5 == 0 {
            a.count = None;
        }
        if i % 4 == 0 {
            a.bailiwick = Some(format!("zone{}.example", i / 5 % 3));
        }
        v.push(a);
        let mut c = entry(
            &name,
            5,
            &format!("t{}.cdn.example", i % 11),
            50 + i,
            60 + i,
            Some(1),
        );
        c.add_source("circl");
        c.add_source(["x", "y"][(i / 3 % 2) as usize]);
        v.push(c);
        let mut six = entry(
            &name,
            28,
            &format!("2001:db8::{:x}", i % 13),
            10,
            20 + i,
            None,
        );
        six.add_source("pcap:s2");
        v.push(six);
        let mut txt = entry(
            "a\\.b.example",
            16,
            &format!("\"v={}\"", i % 6),
            i,
            i + 1,
            Some(2),
        );
        txt.add_source("dnsdb");
        v.push(txt);
        v.push(entry(".", 2, "a.root-servers.net", i, i, Some(1)));
        v.push(entry(
            "zone1.example",
            6,
            "ns1.zone1.example hostmaster.zone1.example 1 2 3 4 5",
            i,
            i,
            None,
        ));
    }
    v
}

fn options() -> WriterOptions {
    WriterOptions {
        block_size: 512,
        memory: 1 << 16,
        ..WriterOptions::default()
    }
}

fn build_with_add(mut es: Vec<Entry>) -> Vec<u8> {
    es.sort_by(|a, b| a.cmp_key(b));
    let mut w = Writer::new(Vec::new(), options()).unwrap();
    for e in &es {
        w.add(e).unwrap();
    }
    w.finish().unwrap()
}

fn build_with_items(es: &[Entry]) -> Vec<u8> {
    let mut items: Vec<Vec<u8>> = es.iter().map(sortkey::encode).collect();
    items.sort();
    let mut w = Writer::new(Vec::new(), options()).unwrap();
    for i in &items {
        w.push_item(i).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn items_and_entries_give_the_same_archive() {
    let es = entries();
    let mut keys: Vec<_> = es
        .iter()
        .map(|e| (e.rrname.clone(), e.rrtype, e.rdata.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert!(keys.len() * 3 < es.len(), "the keys must repeat");
    let by_items = build_with_items(&es);
    assert_eq!(by_items, build_with_add(es.clone()));

    // And the aggregation is Entry::merge's.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pdns");
    std::fs::write(&path, &by_items).unwrap();
    let a = Archive::open(&path).unwrap();
    let mut expect: Vec<Entry> = Vec::new();
    let mut sorted = es;
    sorted.sort_by(|a, b| a.cmp_key(b));
    for e in sorted {
        match expect.last_mut() {
            Some(l) if l.same_key(&e) => l.merge(&e),
            _ => expect.push(e),
        }
    }
    let got: Vec<Entry> = a
        .query(&Query::All, &Filter::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn malformed_items_are_errors() {
    let e = entry("www.example.com", 1, "192.0.2.1", 1, 2, Some(3));
    let item = sortkey::encode(&e);
    for cut in 0..item.len() {
        let mut w = Writer::new(Vec::new(), options()).unwrap();
        assert!(w.push_item(&item[..cut]).is_err(), "cut at {cut}");
    }
    let mut flipped = item.clone();
    for i in 0..flipped.len() {
        for bit in 0..8 {
            flipped[i] ^= 1 << bit;
            let mut w = Writer::new(Vec::new(), options()).unwrap();
            // Anything may happen but a panic; what is accepted must
            // still make an archive.
            if w.push_item(&flipped).is_ok() {
                let _ = w.finish();
            }
            flipped[i] ^= 1 << bit;
        }
    }
}

#[test]
fn unnormalized_items_are_refused() {
    let invalid = |e: Entry| {
        let mut w = Writer::new(Vec::new(), options()).unwrap();
        matches!(
            w.push_item(&sortkey::encode(&e)),
            Err(Error::InvalidEntry(_))
        )
    };
    let ok = entry("www.example.com", 1, "192.0.2.1", 1, 2, Some(3));
    let mut e = ok.clone();
    e.rdata = "192.0.2.01".into();
    assert!(invalid(e), "an A record that is not an address");
    let mut e = ok.clone();
    e.rrname = "WWW.example.com".into();
    assert!(invalid(e), "upper case");
    let mut e = ok.clone();
    e.rrname = "www.example.com.".into();
    assert!(invalid(e), "a trailing dot");
    let mut e = ok.clone();
    e.time_first = 3;
    assert!(invalid(e), "last before first");
    let mut e = ok.clone();
    e.bailiwick = Some("Example.com".into());
    assert!(invalid(e), "a bailiwick in upper case");
    let mut e = ok;
    e.rrtype = 28;
    assert!(invalid(e), "an AAAA record of four bytes");
}

#[test]
fn out_of_order_items_name_both_keys() {
    let mut w = Writer::new(Vec::new(), options()).unwrap();
    w.push_item(&sortkey::encode(&entry(
        "b.example",
        1,
        "10.0.0.2",
        1,
        1,
        None,
    )))
    .unwrap();
    let err = w
        .push_item(&sortkey::encode(&entry(
            "a.example",
            1,
            "10.0.0.1",
            1,
            1,
            None,
        )))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::KeyOutOfOrder { .. }), "{text}");
    assert!(
        text.contains("a.example A 10.0.0.1") && text.contains("b.example A 10.0.0.2"),
        "{text}"
    );
    // Same name, smaller rdata.
    let err = w
        .push_item(&sortkey::encode(&entry(
            "b.example",
            1,
            "10.0.0.1",
            1,
            1,
            None,
        )))
        .unwrap_err();
    assert!(matches!(err, Error::KeyOutOfOrder { .. }), "{err}");
}

/// An output that accepts `left` bytes, then fails every write.
struct FailsAfter {
    left: usize,
}

impl std::io::Write for FailsAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An output that fails while the archive is written, with the forward
/// name index being built beside it, ends in an error: not a panic, and
/// not a wait for work that is thrown away.
#[test]
fn an_output_failing_part_way_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut items: Vec<Vec<u8>> = (0..20_000u32)
        .map(|i| {
            sortkey::encode(&entry(
                &format!("host{i}.zone{}.example", i % 97),
                1,
                &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                100,
                200,
                Some(1),
            ))
        })
        .collect();
    items.sort();
    let mut finished = 0;
    for left in [0usize, 100, 10_000, 200_000, 400_000] {
        let opts = WriterOptions {
            memory: 1 << 16,
            tmp_dir: Some(dir.path().to_path_buf()),
            ..WriterOptions::default()
        };
        let mut w = match Writer::new(FailsAfter { left }, opts) {
            Ok(w) => w,
            Err(_) => continue,
        };
        let mut pushed = Ok(());
        for item in &items {
            pushed = w.push_item(item);
            if pushed.is_err() {
                break;
            }
        }
        if pushed.is_ok() {
            assert!(w.finish().is_err(), "left {left}");
            finished += 1;
        }
    }
    // The point is the failure inside finish, beside the index thread.
    assert!(finished > 0, "every output failed before finish");
}
