//! Property tests: archives built from random entries answer every query
//! kind and filter exactly as a brute-force scan of the same entries does,
//! alone, federated, and after a merge.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use pdnsfile::name::is_subdomain;
use pdnsfile::record::{rdata_names, Entry};
use pdnsfile::{Archive, Federation, Filter, Query, TimeFence, Writer, WriterOptions};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "example.com",
    "www.example.com",
    "mail.example.com",
    "a.b.example.com",
    "example-x.com",
    "xexample.com",
    "com",
    "evil.example",
    "ns1.evil.example",
    "www.evil.example",
    "paypal.com",
    "paypa1.com",
    "pay-pal.com",
    "a\\.b.org",
    "www.example.net",
];
const V4: &[&str] = &[
    "10.0.0.1",
    "10.0.0.2",
    "10.0.1.1",
    "192.168.0.1",
    "0.0.0.0",
    "255.255.255.255",
];
const V6: &[&str] = &[
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8:1::1",
    "::1",
    "fe80::1",
];
const SOURCES: &[&str] = &["circl", "dnsdb", "pcap:s1"];

fn arb_entry() -> impl Strategy<Value = Entry> {
    let rdata = prop_oneof![
        (Just(1u16), prop::sample::select(V4).prop_map(String::from)),
        (Just(28u16), prop::sample::select(V6).prop_map(String::from)),
        (
            Just(5u16),
            prop::sample::select(NAMES).prop_map(String::from)
        ),
        (
            Just(2u16),
            prop::sample::select(NAMES).prop_map(String::from)
        ),
        (
            Just(15u16),
            (0u16..30, prop::sample::select(NAMES)).prop_map(|(p, n)| format!("{p} {n}"))
        ),
        (
            Just(6u16),
            (prop::sample::select(NAMES), prop::sample::select(NAMES))
                .prop_map(|(a, b)| format!("{a} {b} 1 2 3 4 5"))
        ),
        (Just(16u16), "[ -~]{0,12}".prop_map(|s| format!("\"{s}\""))),
        (
            Just(999u16),
            "[0-9a-f]{2}".prop_map(|h| format!("\\# 1 {h}"))
        ),
    ];
    (
        prop::sample::select(NAMES),
        rdata,
        0u64..2000,
        0u64..1000,
        prop::option::of(0u64..50),
        prop::sample::subsequence(SOURCES, 0..=2),
        prop::option::of(prop::sample::select(&["example.com", "com"][..])),
    )
        .prop_map(|(n, (t, r), tf, dur, count, sources, bw)| {
            let mut e = Entry::new(n, t, &r, tf, tf + dur, count).unwrap();
            for s in sources {
                e.add_source(s);
            }
            e.bailiwick = bw.map(String::from);
            e
        })
}

/// Sorts and aggregates like the writer does.
fn aggregate(mut v: Vec<Entry>) -> Vec<Entry> {
    v.sort_by(|a, b| a.cmp_key(b));
    let mut out: Vec<Entry> = Vec::new();
    for e in v {
        match out.last_mut() {
            Some(l) if l.same_key(&e) => l.merge(&e),
            _ => out.push(e),
        }
    }
    out
}

fn build(entries: &[Entry], block_size: usize) -> Archive {
    let opts = WriterOptions {
        block_size,
        names_per_block: 3,
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), opts).unwrap();
    let mut sorted = entries.to_vec();
    sorted.sort_by(|a, b| a.cmp_key(b));
    for e in &sorted {
        w.add(e).unwrap();
    }
    let a = Archive::from_vec(w.finish().unwrap()).unwrap();
    a.verify().unwrap();
    a
}

/// The archive's entries as `Archive::items` gives them.
fn items_of(a: &Archive) -> Vec<Vec<u8>> {
    let mut items = a.items();
    let mut out = Vec::new();
    while let Some(item) = items.next_item().unwrap() {
        out.push(item.to_vec());
    }
    out
}

/// Entries as `sortkey::encode_into` encodes them.
fn encoded(entries: &[Entry]) -> Vec<Vec<u8>> {
    entries.iter().map(pdnsfile::sortkey::encode).collect()
}

fn lev(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn in_cidr(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn query_matches(q: &Query, e: &Entry) -> bool {
    let ip = || match e.rrtype {
        1 | 28 => e.rdata.parse::<IpAddr>().ok(),
        _ => None,
    };
    match q {
        Query::All => true,
        Query::Name(n) => e.rrname == *n,
        Query::Subtree { zone, include_apex } => {
            is_subdomain(&e.rrname, zone) && (*include_apex || e.rrname != *zone)
        }
        Query::NamePrefix(p) => e.rrname.starts_with(&format!("{p}.")),
        Query::Regex(r) => regex::RegexBuilder::new(r)
            .case_insensitive(true)
            .build()
            .unwrap()
            .is_match(&e.rrname),
        Query::Fuzzy { name, distance } => lev(&e.rrname, name) <= usize::from(*distance),
        Query::Ip(a) => ip() == Some(*a),
        Query::Cidr { addr, prefix } => ip().is_some_and(|i| in_cidr(i, *addr, *prefix)),
        Query::RdataName(n) => rdata_names(e.rrtype, &e.rdata).contains(&n.as_str()),
        Query::RdataSubtree { zone, include_apex } => rdata_names(e.rrtype, &e.rdata)
            .iter()
            .any(|t| is_subdomain(t, zone) && (*include_apex || t != zone)),
    }
}

fn filter_matches(f: &Filter, e: &Entry) -> bool {
    f.types.as_ref().is_none_or(|t| t.contains(&e.rrtype))
        && f.fence.matches(e.time_first, e.time_last)
        && f.sources
            .as_ref()
            .is_none_or(|s| e.sources.iter().any(|x| s.contains(x)))
}

fn arb_query() -> impl Strategy<Value = Query> {
    let name = prop::sample::select(NAMES).prop_map(String::from);
    let zone = prop::sample::select(
        &[
            "example.com",
            "com",
            "evil.example",
            ".",
            "b.example.com",
            "nothere.zz",
        ][..],
    )
    .prop_map(String::from);
    prop_oneof![
        Just(Query::All),
        name.clone().prop_map(Query::Name),
        Just(Query::Name("absent.example".into())),
        (zone.clone(), any::<bool>())
            .prop_map(|(zone, include_apex)| Query::Subtree { zone, include_apex }),
        prop::sample::select(&["www", "www.example", "a", "paypal", "ns1.evil"][..])
            .prop_map(|p| Query::NamePrefix(p.into())),
        prop::sample::select(&["evil", "^www", "com$", "pay.?pal", "^[a-z]+\\.com$", "1"][..])
            .prop_map(|r| Query::Regex(r.into())),
        (name.clone(), 1u8..=2).prop_map(|(name, distance)| Query::Fuzzy { name, distance }),
        prop::sample::select(V4).prop_map(|a| Query::Ip(a.parse().unwrap())),
        prop::sample::select(V6).prop_map(|a| Query::Ip(a.parse().unwrap())),
        (prop::sample::select(V4), 0u8..=32).prop_map(|(a, p)| Query::Cidr {
            addr: a.parse().unwrap(),
            prefix: p
        }),
        (prop::sample::select(V6), 0u8..=128).prop_map(|(a, p)| Query::Cidr {
            addr: a.parse().unwrap(),
            prefix: p
        }),
        name.prop_map(Query::RdataName),
        (zone, any::<bool>())
            .prop_map(|(zone, include_apex)| Query::RdataSubtree { zone, include_apex }),
    ]
}

fn arb_filter() -> impl Strategy<Value = Filter> {
    let t = prop::option::of(0u64..3000);
    (
        prop::option::of(prop::sample::subsequence(
            vec![1u16, 2, 5, 6, 15, 16, 28, 999],
            1..4,
        )),
        (t.clone(), t.clone(), t.clone(), t),
        prop::option::of(prop::sample::subsequence(
            vec!["circl".to_string(), "dnsdb".into(), "nobody".into()],
            1..3,
        )),
    )
        .prop_map(|(types, (fa, fb, la, lb), sources)| Filter {
            types,
            fence: TimeFence {
                first_after: fa,
                first_before: fb,
                last_after: la,
                last_before: lb,
            },
            sources,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn single_archive_matches_model(
        entries in prop::collection::vec(arb_entry(), 0..120),
        queries in prop::collection::vec((arb_query(), arb_filter()), 1..12),
        block_size in prop::sample::select(vec![1usize, 64, 4096]),
    ) {
        let model = aggregate(entries.clone());
        let a = build(&entries, block_size);
        prop_assert_eq!(a.record_count() as usize, model.len());
        let all: Vec<Entry> = a.query(&Query::All, &Filter::default()).unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(&all, &model);
        prop_assert_eq!(items_of(&a), encoded(&all));
        for (q, f) in &queries {
            let got: Vec<Entry> = a.query(q, f).unwrap().map(Result::unwrap).collect();
            let want: Vec<Entry> = model.iter().filter(|e| query_matches(q, e) && filter_matches(f, e)).cloned().collect();
            prop_assert_eq!(&got, &want, "query {:?} filter {:?}", q, f);
            let s = a.summarize(q, f).unwrap();
            prop_assert_eq!(s.entries as usize, want.len());
            prop_assert_eq!(s.time_first, want.iter().map(|e| e.time_first).min());
            prop_assert_eq!(s.time_last, want.iter().map(|e| e.time_last).max());
        }
    }

    #[test]
    fn federation_and_merge_match_model(
        parts in prop::collection::vec(prop::collection::vec(arb_entry(), 0..60), 1..4),
        queries in prop::collection::vec((arb_query(), arb_filter()), 1..8),
    ) {
        let archives: Vec<Archive> = parts.iter().map(|p| build(p, 256)).collect();
        let models: Vec<Vec<Entry>> = parts.iter().map(|p| aggregate(p.clone())).collect();
        let fed = Federation::new(archives);
        for (q, f) in &queries {
            let got: Vec<Entry> = fed.query(q, f).unwrap().map(Result::unwrap).collect();
            // Filters apply per archive, then entries merge by key.
            let want = aggregate(
                models.iter().flatten().filter(|e| query_matches(q, e) && filter_matches(f, e)).cloned().collect(),
            );
            prop_assert_eq!(&got, &want, "query {:?} filter {:?}", q, f);
            prop_assert_eq!(fed.summarize(q, f).unwrap().entries as usize, want.len());
        }
        let merged = pdnsfile::merge(fed.archives(), Vec::new(), WriterOptions { block_size: 100, ..WriterOptions::default() }).unwrap();
        let m = Archive::from_vec(merged).unwrap();
        m.verify().unwrap();
        let got: Vec<Entry> = m.query(&Query::All, &Filter::default()).unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(got, aggregate(parts.concat()));
    }
}

/// Entries whose stored form reads back changed (rdata with bytes that
/// come back escaped, an escaped label, many sources, a bailiwick):
/// `Archive::items` must give what encoding the entries read back gives,
/// or a merge would depend on its path.
#[test]
fn items_are_the_entries_read_back_encoded() {
    let mut entries = Vec::new();
    for (i, (name, t, rdata)) in [
        ("a\\.b.org", 16, "\"x\\007y\""),
        ("a\\.b.org", 1, "10.0.0.1"),
        ("example.com", 28, "2001:db8::1"),
        ("example.com", 16, "\"caf\u{e9}\""),
        ("example.com", 99, "tab\there"),
        ("x.example.com", 5, "a\\000b.example.com"),
        (".", 2, "a.root-servers.net"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = Entry {
            rrname: name.to_string(),
            rrtype: t,
            rdata: rdata.to_string(),
            time_first: 10 + i as u64,
            time_last: 20 + i as u64,
            count: (i % 2 == 0).then_some(i as u64),
            sources: Vec::new(),
            bailiwick: (i % 3 == 0).then(|| "example.com".to_string()),
        };
        for s in SOURCES.iter().take(i % 4) {
            e.add_source(s);
        }
        entries.push(e);
    }
    entries.sort_by(|a, b| a.cmp_key(b));
    for block_size in [1, 4096] {
        // Not `build`: verify refuses rdata that does not read back as
        // stored, which is the case tested here.
        let opts = WriterOptions {
            block_size,
            names_per_block: 3,
            ..WriterOptions::default()
        };
        let mut w = Writer::new(Vec::new(), opts).unwrap();
        for e in &entries {
            w.add(e).unwrap();
        }
        let a = Archive::from_vec(w.finish().unwrap()).unwrap();
        let all: Vec<Entry> = a
            .query(&Query::All, &Filter::default())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(all.len(), entries.len());
        assert_eq!(items_of(&a), encoded(&all));
    }
}

#[test]
fn empty_archive() {
    let a = build(&[], 100);
    assert_eq!(a.record_count(), 0);
    assert_eq!(a.query(&Query::All, &Filter::default()).unwrap().count(), 0);
    assert_eq!(
        a.query(&Query::parse("*.com").unwrap(), &Filter::default())
            .unwrap()
            .count(),
        0
    );
    assert_eq!(a.time_span(), None);
}

#[test]
fn writer_refuses_out_of_order() {
    let mut w = Writer::new(Vec::new(), WriterOptions::default()).unwrap();
    w.add(&Entry::new("b.com", 1, "1.2.3.4", 1, 2, None).unwrap())
        .unwrap();
    w.add(&Entry::new("a.b.com", 1, "1.2.3.4", 1, 2, None).unwrap())
        .unwrap();
    let err = w
        .add(&Entry::new("b.com", 1, "1.2.3.4", 1, 2, None).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, pdnsfile::Error::KeyOutOfOrder { .. }),
        "{err}"
    );
}
