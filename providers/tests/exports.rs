//! Real third-party exports of `tests/data/exports` (see its README for
//! origins and licences): detection and the exact entries each yields,
//! worked out by hand from the files.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use pdns_providers::{detect, Format, Options};

/// The Zeek baselines mask their times; a fixed time stands in.
const TS: u64 = 1_700_000_000;

fn zeek(name: &str) -> pdns_providers::Parsed {
    let t = text(&format!("exports/zeek__{name}.pcap.dns.log"));
    assert_eq!(detect(t.as_bytes()), Some(Format::Zeek), "{name}");
    parse(
        Format::Zeek,
        &t.replace("XXXXXXXXXX.XXXXXX", "1700000000.000000"),
    )
}

/// (owner, rdata) of each entry, in order.
fn owners(p: &pdns_providers::Parsed) -> Vec<(&str, &str)> {
    p.entries
        .iter()
        .map(|e| (e.rrname.as_str(), e.rdata.as_str()))
        .collect()
}

fn z(rrname: &str, rrtype: u16, rdata: &str) -> pdnsfile::Entry {
    entry(rrname, rrtype, rdata, TS, TS, Some(1), "zeek", None)
}

#[test]
fn d4_circl_swapped_output() {
    let t = text("exports/analyzer-d4-passivedns__eg.json");
    assert_eq!(detect(t.as_bytes()), Some(Format::Circl));
    let p = parse(Format::Circl, &t);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let c = |rrtype, rdata: &str, first, last, count| {
        entry(
            "circl.lu",
            rrtype,
            rdata,
            first,
            last,
            Some(count),
            "circl",
            None,
        )
    };
    assert_entries(
        &p.entries,
        &[
            // A/AAAA: the rrname is an address, so the pair is swapped and
            // circl.lu is learned as the queried name.
            c(A, "185.194.93.14", 1_696_798_385, 1_697_890_824, 19),
            c(AAAA, "2a00:5980:93::14", 1_696_798_385, 1_697_890_824, 18),
            // MX: "10 cppy.circl.lu" cannot be an owner.
            c(MX, "10 cppy.circl.lu", 1_696_786_636, 1_697_897_232, 149),
            // NS: rdata is the learned queried name.
            c(NS, "ns1.eurodns.com", 1_696_798_385, 1_697_701_116, 5),
            c(NS, "ns2.eurodns.com", 1_696_798_385, 1_697_701_116, 5),
            c(NS, "ns3.eurodns.com", 1_696_798_385, 1_697_701_116, 5),
            c(NS, "ns4.eurodns.com", 1_696_798_385, 1_697_701_116, 5),
            c(
                SOA,
                "ns1.eurodns.com hostmaster.eurodns.com 2023091306 43200 7200 1209600 86400",
                1_696_780_845,
                1_697_183_586,
                260,
            ),
        ],
    );
}

#[test]
fn circl_swaps_of_every_type_are_undone() {
    // TXT, CAA and SSHFP rdata in the owner's place: white space or a
    // quote proves the swap without a query, and teaches it.
    let lines = r#"{"rrtype": "TXT", "rrname": "\"v=spf1 mx -all\"", "rdata": "circl.lu", "time_first": 1696798385, "time_last": 1696798385}
{"rrtype": "CAA", "rrname": "0 issue \"letsencrypt.org\"", "rdata": "circl.lu", "time_first": 1696798385, "time_last": 1696798385}
{"rrtype": "SSHFP", "rrname": "1 1 abcdef0123", "rdata": "circl.lu", "time_first": 1696798385, "time_last": 1696798385}
{"rrtype": "TXT", "rrname": "token123", "rdata": "circl.lu", "time_first": 1696798385, "time_last": 1696798385}
{"rrtype": "TXT", "rrname": "other.example", "rdata": "\"two words\"", "time_first": 1696798385, "time_last": 1696798385}"#;
    let p = parse(Format::Circl, lines);
    assert_eq!(
        owners(&p),
        [
            ("circl.lu", "\"v=spf1 mx -all\""),
            ("circl.lu", "0 issue \"letsencrypt.org\""),
            ("circl.lu", "1 1 abcdef0123"),
            // No space or quote to prove it, but circl.lu was learned.
            ("circl.lu", "token123"),
            // A record as CIRCL sends a reverse answer stays as it is.
            ("other.example", "\"two words\""),
        ],
        "{:?}",
        reasons(&p)
    );
}

#[test]
fn a_zero_time_at_one_end_is_unknown_not_1970() {
    let lines = r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1696798385,"time_last":0}
{"rrname":"b.example","rrtype":"A","rdata":"192.0.2.2","time_first":0,"time_last":"1696798385"}"#;
    for format in [Format::Cof, Format::Circl] {
        let p = parse(format, lines);
        let times: Vec<(u64, u64)> = p
            .entries
            .iter()
            .map(|e| (e.time_first, e.time_last))
            .collect();
        assert_eq!(times, [(1_696_798_385, 1_696_798_385); 2], "{format:?}");
    }
}

#[test]
fn circl_name_records_before_any_proof() {
    // NS first: nothing proves a swap yet, so it is kept as sent...
    let lines = r#"{"rrtype": "NS", "rrname": "ns1.eurodns.com", "rdata": "circl.lu", "count": "5", "time_first": "1696798385", "time_last": "1697701116"}
{"rrtype": "A", "rrname": "185.194.93.14", "rdata": "circl.lu", "count": "19", "time_first": "1696798385", "time_last": "1697890824"}
{"rrtype": "NS", "rrname": "ns2.eurodns.com", "rdata": "circl.lu", "count": "5", "time_first": "1696798385", "time_last": "1697701116"}"#;
    let p = parse(Format::Circl, lines);
    assert_eq!(
        owners(&p),
        [
            ("ns1.eurodns.com", "circl.lu"),
            ("circl.lu", "185.194.93.14"),
            ("circl.lu", "ns2.eurodns.com"),
        ]
    );
    // ...unless the caller says what was queried.
    let opts = Options {
        query: Some("circl.lu".into()),
        ..Options::default()
    };
    let p = parse_with(Format::Circl, &opts, lines);
    assert!(p.entries.iter().all(|e| e.rrname == "circl.lu"));
    // Generic COF does not guess: the swapped A is a bad rdata.
    let p = parse(Format::Cof, lines);
    assert_eq!(reasons(&p), ["bad-rdata"]);
}

#[test]
fn dnsdb2_python_saf() {
    let t = text("exports/dnsdb2-python__saf_records.jsonl");
    assert_eq!(detect(t.as_bytes()), Some(Format::Dnsdb2));
    let p = parse(Format::Dnsdb2, &t);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let (zf, zl) = (1_374_250_920, 1_589_472_138);
    assert_entries(
        &p.entries,
        &[
            entry(
                "farsightsecurity.com",
                NS,
                "ns5.dnsmadeeasy.com",
                zf,
                zl,
                Some(1820),
                "dnsdb",
                Some("com"),
            ),
            entry(
                "farsightsecurity.com",
                NS,
                "ns6.dnsmadeeasy.com",
                zf,
                zl,
                Some(1820),
                "dnsdb",
                Some("com"),
            ),
            entry(
                "farsightsecurity.com",
                NS,
                "ns7.dnsmadeeasy.com",
                zf,
                zl,
                Some(1820),
                "dnsdb",
                Some("com"),
            ),
            entry(
                "farsightsecurity.com",
                A,
                "66.160.140.81",
                1_380_123_423,
                1_427_869_045,
                Some(6350),
                "dnsdb",
                Some("farsightsecurity.com"),
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("saf-control", 2)]));
}

#[test]
fn dnsdb_saf_without_terminator_is_truncated() {
    let t = text("exports/dnsdb2-python__saf_records.jsonl");
    let cut: String = t.lines().take(3).map(|l| format!("{l}\n")).collect();
    let p = parse(Format::Dnsdb2, &cut);
    assert_eq!(p.entries.len(), 4, "the entries seen are kept");
    assert_eq!(reasons(&p), ["truncated"]);
    assert_eq!(p.errors[0].0, 0, "reported at the end of the input");
}

#[test]
fn cof_draft_and_testdata() {
    let t = text("exports/pdns-qof__draft-cof-08_examples.jsonl");
    assert_eq!(detect(t.as_bytes()), Some(Format::Cof));
    let p = parse(Format::Cof, &t);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "cof";
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.ietf.org",
                AAAA,
                "2001:1890:1112:1::20",
                1_298_412_391,
                1_302_506_851,
                Some(102),
                s,
                None,
            ),
            entry(
                "www.ietf.org",
                A,
                "4.31.198.44",
                1_384_865_833,
                1_389_022_219,
                Some(59),
                s,
                None,
            ),
            entry(
                "ietf.org",
                NS,
                "ns1.yyz1.afilias-nst.info",
                1_298_398_002,
                1_389_095_375,
                Some(109_877),
                s,
                None,
            ),
            entry(
                "ietf.org",
                A,
                "64.170.98.32",
                1_298_495_035,
                1_298_495_035,
                Some(4),
                s,
                None,
            ),
            entry(
                "ietf.org",
                AAAA,
                "2001:1890:123a::1:1e",
                1_317_037_550,
                1_330_209_752,
                Some(9),
                s,
                None,
            ),
        ],
    );

    let t = text("exports/pdns-qof__testdata_data.jsonl");
    assert_eq!(detect(t.as_bytes()), Some(Format::Cof));
    let p = parse(Format::Cof, &t);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.circl.lu",
                CNAME,
                "cpa.circl.lu",
                1_315_586_409,
                1_449_566_799,
                Some(1909),
                s,
                None,
            ),
            entry(
                "www.circl.lu",
                CNAME,
                "cpab.circl.lu",
                1_449_584_660,
                1_617_676_151,
                Some(2560),
                s,
                None,
            ),
        ],
    );
}

#[test]
fn gamelinux_readme_example() {
    let t = text("exports/gamelinux-passivedns__README_example.log");
    assert_eq!(detect(t.as_bytes()), Some(Format::Passivedns));
    let p = parse(Format::Passivedns, &t);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let ts = 1_322_849_924;
    let g = |rrname, rrtype, rdata, count| {
        entry(
            rrname,
            rrtype,
            rdata,
            ts,
            ts,
            Some(count),
            "passivedns",
            None,
        )
    };
    assert_entries(
        &p.entries,
        &[
            g("upload.youtube.com", A, "74.125.43.117", 5),
            g("upload.youtube.com", A, "74.125.43.116", 5),
            g("www.adobe.com", CNAME, "www.wip4.adobe.com", 8),
            g("www.adobe.com", A, "193.104.215.61", 8),
            g("i1.ytimg.com", CNAME, "ytimg.l.google.com", 3),
            g("clients1.google.com", A, "173.194.32.3", 2),
        ],
    );
    assert_eq!(p.skipped, skips(&[("comment", 1)]));
}

#[test]
fn zeek_addresses_and_cname_chains() {
    let p = zeek("gre-over-udp-4754");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[
            z("zeek.org", A, "192.0.78.150"),
            z("zeek.org", A, "192.0.78.212"),
        ],
    );
    assert_eq!(p.skipped, skips(&[("header", 10), ("no-answers", 1)]));

    // An unmatched reply (qtype unset) of addresses only: the query owns them.
    let p = zeek("dns53");
    let want: Vec<_> = [
        "206.109.64.186",
        "216.1.205.81",
        "205.149.163.211",
        "134.53.131.135",
        "134.53.131.192",
        "128.104.18.148",
        "204.152.186.139",
        "63.77.33.226",
    ]
    .iter()
    .map(|ip| z("us.v27.distributed.net", A, ip))
    .collect();
    assert_entries(&p.entries, &want);

    // A CNAME chain interleaved with RRSIGs; then the same answers in an
    // unmatched reply without qtype: ambiguous from the first name on.
    let p = zeek("dns-two-responses");
    assert_entries(
        &p.entries,
        &[
            z("www.cmu.edu", CNAME, "www-cmu.andrew.cmu.edu"),
            z("www-cmu.andrew.cmu.edu", CNAME, "www-cmu-2.andrew.cmu.edu"),
            z("www-cmu-2.andrew.cmu.edu", A, "128.2.10.163"),
        ],
    );
    assert_eq!(
        p.skipped,
        skips(&[("ambiguous", 3), ("header", 10), ("lossy", 2)])
    );

    let p = zeek("dnssec-rrsig");
    assert_entries(
        &p.entries,
        &[
            z("virgo.sas.upenn.edu", A, "128.91.234.142"),
            z("virgo.sas.upenn.edu", A, "128.91.234.142"),
            z("workfamily.sas.upenn.edu", CNAME, "quasar.sas.upenn.edu"),
            z("quasar.sas.upenn.edu", A, "128.91.234.145"),
        ],
    );
    assert_eq!(
        p.skipped,
        skips(&[("header", 10), ("lossy", 4), ("no-answers", 1)])
    );

    let p = zeek("dnssec-nsec");
    assert_entries(
        &p.entries,
        &[z("www.upenn.edu", CNAME, "www.upenn.edgekey.net")],
    );
}

#[test]
fn zeek_wikipedia_skips_mdns_llmnr_netbios() {
    let p = zeek("wikipedia");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let up = [
        z("upload.wikimedia.org", CNAME, "upload.pmtpa.wikimedia.org"),
        z("upload.pmtpa.wikimedia.org", A, "208.80.152.3"),
    ];
    let mut want = Vec::new();
    for _ in 0..4 {
        want.extend(up.iter().cloned());
    }
    // The AAAA query: two CNAMEs and no address; the A query: the same
    // chain and the address at its end.
    want.push(z("meta.wikimedia.org", CNAME, "text.wikimedia.org"));
    want.push(z("text.wikimedia.org", CNAME, "text.pmtpa.wikimedia.org"));
    want.push(z("meta.wikimedia.org", CNAME, "text.wikimedia.org"));
    want.push(z("text.wikimedia.org", CNAME, "text.pmtpa.wikimedia.org"));
    want.push(z("text.pmtpa.wikimedia.org", A, "208.80.152.2"));
    assert_entries(&p.entries, &want);
    // 4 mDNS, 8 LLMNR and 8 NetBIOS lines.
    assert_eq!(
        p.skipped,
        skips(&[
            ("header", 10),
            ("no-answers", 4),
            ("not-dns", 20),
            ("rcode", 4)
        ])
    );
}

#[test]
fn zeek_txt_and_spf_strings() {
    let p = zeek("dns-spf");
    assert_entries(
        &p.entries,
        &[
            z("mail.vladg.net", SPF, "\"v=spf1 mx -all test\""),
            z("mail.vladg.net", SPF, "\"v=spf1 mx -all\""),
        ],
    );

    let p = zeek("ipv6-fragmented-dns");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let head = "\"This TXT record should be ignored\" \"As it is just padding\"";
    let x = |n: usize| format!("\"{}\"", "X".repeat(n));
    let mut second = vec![head.to_string()];
    second.extend((0..15).map(|_| x(189)));
    second.push(x(192));
    assert_entries(
        &p.entries,
        &[
            z(
                "txtpadding_323.n1.netalyzr.icsi.berkeley.edu",
                TXT,
                &format!("{head} {}", x(136)),
            ),
            z(
                "txtpadding_3230.n1.netalyzr.icsi.berkeley.edu",
                TXT,
                &second.join(" "),
            ),
        ],
    );

    // No qtype, a CNAME-looking chain before the TXT: nothing certain.
    let p = zeek("dns-txt-multiple");
    assert!(p.entries.is_empty());
    assert_eq!(p.skipped, skips(&[("ambiguous", 3), ("header", 10)]));
}

#[test]
fn zeek_lossy_and_non_query_lines() {
    for (name, want) in [
        ("dns-binds", skips(&[("header", 10), ("lossy", 16)])),
        ("dnssec-dnskey", skips(&[("header", 10), ("lossy", 5)])),
        ("dnssec-ds", skips(&[("header", 10), ("lossy", 3)])),
        ("dnssec-nsec3", skips(&[("header", 10), ("rcode", 1)])),
        ("dnssec-nsec3param", skips(&[("header", 10), ("lossy", 1)])),
        ("loc-29-trunc", skips(&[("header", 10), ("lossy", 2)])),
        (
            "sshfp-trunc",
            skips(&[("header", 10), ("lossy", 9), ("rcode", 1)]),
        ),
        ("dynamic-update", skips(&[("header", 10), ("not-query", 2)])),
        (
            "dns_notify2",
            skips(&[("header", 10), ("no-answers", 2), ("not-query", 1)]),
        ),
        ("dns-wks", skips(&[("header", 10), ("no-answers", 1)])),
        ("dns-zero-RRs", skips(&[("header", 10), ("no-answers", 1)])),
    ] {
        let p = zeek(name);
        assert!(p.entries.is_empty(), "{name}: {:?}", p.entries);
        assert!(p.errors.is_empty(), "{name}: {:?}", p.errors);
        assert_eq!(p.skipped, want, "{name}");
    }
}

#[test]
fn zeek_masked_times_are_errors() {
    // Unmasked, the btest baselines have no usable time: every line with
    // answers is a bad-time error, and nothing panics.
    let t = text("exports/zeek__gre-over-udp-4754.pcap.dns.log");
    let p = parse(Format::Zeek, &t);
    assert!(p.entries.is_empty());
    assert_eq!(reasons(&p), ["bad-time", "bad-time"]);
}
