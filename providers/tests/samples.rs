//! Every synthetic provider sample of `tests/data/samples` (copied from the
//! project's `providers/` folder): its detected format and the exact
//! entries it yields. The expectations were worked out by hand from the
//! samples and FORMATS.md (times with `calendar.timegm`), not copied from
//! the parser's output.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use pdns_providers::{detect, Format, Options};

fn sample(name: &str) -> String {
    text(&format!("samples/{name}"))
}

#[test]
fn every_sample_is_detected() {
    for (file, want) in [
        ("circl_cof.jsonl", Format::Circl),
        ("dnsdb_v1.jsonl", Format::Dnsdb),
        ("dnsdb_v2_saf.jsonl", Format::Dnsdb2),
        ("mnemonic.json", Format::Mnemonic),
        // mnemonic's COF has nothing mnemonic-specific: generic COF.
        ("mnemonic_cof.jsonl", Format::Cof),
        ("otx_passive_dns.json", Format::Otx),
        ("passivedns_gamelinux.json", Format::PassivednsJson),
        ("passivedns_gamelinux.log", Format::Passivedns),
        ("passivetotal.json", Format::PassiveTotal),
        ("qihoo360_flint.json", Format::Qihoo360),
        ("securitytrails_dns_history.json", Format::SecurityTrails),
        ("suricata_eve_dns.json", Format::Suricata),
        ("virustotal_resolutions.json", Format::VirusTotal),
        ("virustotal_v2_domain_report.json", Format::VirusTotal2),
        ("virustotal_v2_ip_report.json", Format::VirusTotal2),
        ("zeek_dns.json", Format::ZeekJson),
        ("zeek_dns.log", Format::Zeek),
    ] {
        let bytes = data(&format!("samples/{file}"));
        assert_eq!(detect(&bytes), Some(want), "{file}");
        // The first 200 bytes cut every document and most lines short.
        let head = &bytes[..bytes.len().min(200)];
        assert_eq!(detect(head), Some(want), "{file} (first 200 bytes)");
    }
}

#[test]
fn dnsdb_v1() {
    let p = parse(Format::Dnsdb, &sample("dnsdb_v1.jsonl"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "dnsdb";
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JAN1,
                SEP1,
                Some(1482),
                s,
                Some("example.com"),
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(911),
                s,
                Some("example.net"),
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.11",
                JAN1,
                SEP1,
                Some(911),
                s,
                Some("example.net"),
            ),
            // Zone times only.
            entry(
                "example.com",
                NS,
                "ns1.example.com",
                1_380_123_423,
                1_427_869_045,
                Some(33),
                s,
                Some("com"),
            ),
            entry(
                "example.com",
                NS,
                "ns2.example.com",
                1_380_123_423,
                1_427_869_045,
                Some(33),
                s,
                Some("com"),
            ),
            // TXT keeps its quotes.
            entry(
                "xn--bcher-kva.example",
                TXT,
                "\"v=spf1 ip4:198.51.100.0/24 -all\"",
                JUN1,
                JUL1,
                Some(7),
                s,
                Some("xn--bcher-kva.example"),
            ),
            // An rdata lookup: string rdata, no bailiwick.
            entry(
                "mail.example.org",
                A,
                "203.0.113.25",
                JUN1,
                AUG1,
                Some(58),
                s,
                None,
            ),
        ],
    );
}

#[test]
fn dnsdb_v2_saf() {
    let p = parse(Format::Dnsdb2, &sample("dnsdb_v2_saf.jsonl"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "dnsdb";
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JAN1,
                SEP1,
                Some(1482),
                s,
                Some("example.com"),
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(911),
                s,
                Some("example.net"),
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.11",
                JAN1,
                SEP1,
                Some(911),
                s,
                Some("example.net"),
            ),
            entry(
                "example.com",
                NS,
                "ns1.example.com",
                1_380_123_423,
                1_427_869_045,
                Some(33),
                s,
                Some("com"),
            ),
            entry(
                "example.com",
                NS,
                "ns2.example.com",
                1_380_123_423,
                1_427_869_045,
                Some(33),
                s,
                Some("com"),
            ),
            // humantime RFC 3339 strings; the _WILDCARD_ label lower-cased.
            entry(
                "_wildcard_.example.com",
                A,
                "198.51.100.7",
                JUN1,
                AUG1,
                Some(12),
                s,
                Some("example.com"),
            ),
        ],
    );
    // begin, keepalive, limited.
    assert_eq!(
        p.skipped,
        skips(&[("saf-control", 1), ("saf-keepalive", 1), ("saf-limited", 1)])
    );
}

#[test]
fn circl() {
    let p = parse(Format::Circl, &sample("circl_cof.jsonl"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "circl";
    assert_entries(
        &p.entries,
        &[
            // origin and sensor_id are ignored.
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(214),
                s,
                None,
            ),
            entry(
                "example.com",
                NS,
                "ns1.example.com",
                JUN1,
                AUG1,
                Some(5),
                s,
                None,
            ),
            entry(
                "example.com",
                NS,
                "ns2.example.com",
                JUN1,
                AUG1,
                Some(5),
                s,
                None,
            ),
            // No count: unknown, not zero.
            entry(
                "example.com",
                MX,
                "10 mx.example.com",
                JUN1,
                JUL1,
                None,
                s,
                None,
            ),
            // Numeric rrtype 65 with RFC 3597 rdata.
            entry(
                "example.org",
                HTTPS,
                "\\# 4 00010000",
                JUL1,
                JUL1,
                Some(2),
                s,
                None,
            ),
            // Swapped back; numbers sent as strings.
            entry(
                "mail.example.org",
                A,
                "203.0.113.25",
                JUL1,
                AUG1,
                Some(19),
                s,
                None,
            ),
        ],
    );
}

#[test]
fn mnemonic_envelope() {
    let p = parse(Format::Mnemonic, &sample("mnemonic.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "mnemonic";
    assert_entries(
        &p.entries,
        &[
            // Milliseconds, with a non-zero ms part dropped.
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(214),
                s,
                None,
            ),
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JUN1,
                JUL1,
                Some(12),
                s,
                None,
            ),
            // The customer object is ignored.
            entry(
                "25.113.0.203.in-addr.arpa",
                PTR,
                "mail.example.org",
                JUL1,
                AUG1,
                Some(3),
                s,
                None,
            ),
            // The wildcard query is kept as given.
            entry(
                "*.wild.example.com",
                A,
                "198.51.100.7",
                AUG1,
                AUG1,
                Some(1),
                s,
                None,
            ),
        ],
    );
}

#[test]
fn mnemonic_cof() {
    let p = parse(Format::MnemonicCof, &sample("mnemonic_cof.jsonl"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "mnemonic";
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(214),
                s,
                None,
            ),
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JUN1,
                JUL1,
                Some(12),
                s,
                None,
            ),
            entry(
                "25.113.0.203.in-addr.arpa",
                PTR,
                "mail.example.org",
                JUL1,
                AUG1,
                Some(3),
                s,
                None,
            ),
        ],
    );
}

#[test]
fn virustotal_v3() {
    let p = parse(Format::VirusTotal, &sample("virustotal_resolutions.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "virustotal";
    assert_entries(
        &p.entries,
        &[
            // One date per row: both first and last seen; no count.
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                SEP1,
                SEP1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1,
                AUG1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                A,
                "198.51.100.7",
                JAN1,
                JAN1,
                None,
                s,
                None,
            ),
        ],
    );
}

#[test]
fn virustotal_v2_needs_the_query() {
    // Without the queried value, every row is a no-query error.
    let p = parse(
        Format::VirusTotal2,
        &sample("virustotal_v2_domain_report.json"),
    );
    assert!(p.entries.is_empty());
    assert_eq!(reasons(&p), ["no-query"; 3]);

    let domain = Options {
        query: Some("WWW.example.com.".into()),
        ..Options::default()
    };
    let p = parse_with(
        Format::VirusTotal2,
        &domain,
        &sample("virustotal_v2_domain_report.json"),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "virustotal";
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                SEP1,
                SEP1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1,
                AUG1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                A,
                "198.51.100.7",
                JAN1,
                JAN1,
                None,
                s,
                None,
            ),
        ],
    );

    let ip = Options {
        query: Some("192.0.2.10".into()),
        ..Options::default()
    };
    let p = parse_with(
        Format::VirusTotal2,
        &ip,
        &sample("virustotal_v2_ip_report.json"),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                SEP1,
                SEP1,
                None,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                JUL1,
                JUL1,
                None,
                s,
                None,
            ),
            // The upper-case IDN host name, lower-cased.
            entry(
                "xn--bcher-kva.example",
                A,
                "192.0.2.10",
                JUN1,
                JUN1,
                None,
                s,
                None,
            ),
        ],
    );

    // A query of the wrong kind for the report is refused.
    let p = parse_with(
        Format::VirusTotal2,
        &ip,
        &sample("virustotal_v2_domain_report.json"),
    );
    assert_eq!(reasons(&p), ["no-query"; 3]);
}

#[test]
fn passivetotal() {
    let p = parse(Format::PassiveTotal, &sample("passivetotal.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "passivetotal";
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JUN1,
                JUL1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1,
                AUG1,
                None,
                s,
                None,
            ),
            // firstSeen "None": lastSeen stands for both; SOA is the name
            // PassiveTotal gives, nothing added.
            entry(
                "www.example.com",
                SOA,
                "ns1.example.com",
                JAN1,
                JAN1,
                None,
                s,
                None,
            ),
        ],
    );
}

#[test]
fn passivetotal_ip_query_puts_value_on_the_rdata_side() {
    let doc = r#"{"queryValue":"192.0.2.10","queryType":"ip","results":[
        {"firstSeen":"2024-01-01 00:00:00","lastSeen":"2024-09-01 00:00:00","value":"192.0.2.10","resolve":"www.example.com","recordType":"A"}]}"#;
    let p = parse(Format::PassiveTotal, doc);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[entry(
            "www.example.com",
            A,
            "192.0.2.10",
            JAN1,
            SEP1,
            None,
            "passivetotal",
            None,
        )],
    );
}

#[test]
fn otx() {
    let p = parse(Format::Otx, &sample("otx_passive_dns.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "otx";
    assert_entries(
        &p.entries,
        &[
            // ISO 8601 without a zone: UTC.
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                None,
                s,
                None,
            ),
            // With +00:00.
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1,
                AUG1,
                None,
                s,
                None,
            ),
            // A CNAME target in `address`.
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JUN1,
                JUL1,
                None,
                s,
                None,
            ),
            // Legacy entry: RFC 1123 times, no record_type, type by shape.
            entry(
                "mail.example.com",
                A,
                "198.51.100.7",
                JAN1,
                JAN1,
                None,
                s,
                None,
            ),
        ],
    );
}

#[test]
fn qihoo360() {
    let p = parse(Format::Qihoo360, &sample("qihoo360_flint.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "qihoo360";
    assert_entries(
        &p.entries,
        &[
            // "a;b;" is two values.
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(1_793_790),
                s,
                None,
            ),
            entry(
                "www.example.com",
                A,
                "192.0.2.11",
                JAN1,
                SEP1,
                Some(1_793_790),
                s,
                None,
            ),
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JUN1,
                JUL1,
                Some(801),
                s,
                None,
            ),
            entry(
                "example.com",
                NS,
                "ns1.example.com",
                1_380_123_423,
                SEP1,
                Some(4_758_929),
                s,
                None,
            ),
            entry(
                "example.com",
                NS,
                "ns2.example.com",
                1_380_123_423,
                SEP1,
                Some(4_758_929),
                s,
                None,
            ),
        ],
    );
}

#[test]
fn securitytrails() {
    let p = parse(
        Format::SecurityTrails,
        &sample("securitytrails_dns_history.json"),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "securitytrails";
    // Dates only: from the first second of first_seen to the last second
    // of last_seen. 2024-08-02 is 1722556800; 2024-09-01T23:59:59 is
    // SEP1 + 86399.
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                1_722_556_800,
                SEP1 + 86_399,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                A,
                "192.0.2.11",
                1_722_556_800,
                SEP1 + 86_399,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                A,
                "198.51.100.7",
                JAN1,
                AUG1 + 86_399,
                None,
                s,
                None,
            ),
        ],
    );
}

#[test]
fn passivedns_text() {
    let p = parse(Format::Passivedns, &sample("passivedns_gamelinux.log"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "passivedns";
    assert_entries(
        &p.entries,
        &[
            // sec.usec: the fraction is dropped.
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                AUG1,
                AUG1,
                Some(12),
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                AUG1,
                AUG1,
                Some(12),
                s,
                None,
            ),
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1 + 1,
                AUG1 + 1,
                Some(3),
                s,
                None,
            ),
            // SRV target only, as logged.
            entry(
                "_sip._udp.example.com",
                SRV,
                "sip1.example.com",
                AUG1 + 55,
                AUG1 + 55,
                Some(1),
                s,
                None,
            ),
            // (The NXDOMAIN line is skipped.) IPv6 client and server.
            entry(
                "25.113.0.203.in-addr.arpa",
                PTR,
                "mail.example.org",
                AUG1 + 70,
                AUG1 + 70,
                Some(2),
                s,
                None,
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("rcode", 1)]));
}

#[test]
fn passivedns_json() {
    let p = parse(Format::PassivednsJson, &sample("passivedns_gamelinux.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "passivedns";
    assert_entries(
        &p.entries,
        &[
            // timestamp_ms is microseconds and below a second: ignored.
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                AUG1,
                AUG1,
                Some(12),
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                AUG1,
                AUG1,
                Some(12),
                s,
                None,
            ),
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1 + 1,
                AUG1 + 1,
                Some(3),
                s,
                None,
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("rcode", 1)]));
}

#[test]
fn zeek_tsv() {
    let p = parse(Format::Zeek, &sample("zeek_dns.log"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "zeek";
    let one = Some(1);
    assert_entries(
        &p.entries,
        &[
            // A query: the name is a CNAME, the addresses belong to its target.
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.11",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            // AAAA query.
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                AUG1 + 1,
                AUG1 + 1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                AAAA,
                "2001:db8::10",
                AUG1 + 1,
                AUG1 + 1,
                one,
                s,
                None,
            ),
            // "TXT 31 v=spf1 ...": the length delimits the string.
            entry(
                "example.com",
                TXT,
                "\"v=spf1 ip4:198.51.100.0/24 -all\"",
                AUG1 + 55,
                AUG1 + 55,
                one,
                s,
                None,
            ),
            // (NXDOMAIN: no answers.) MX: exchange only.
            entry(
                "xn--bcher-kva.example",
                MX,
                "mx.xn--bcher-kva.example",
                AUG1 + 70,
                AUG1 + 70,
                one,
                s,
                None,
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("header", 9), ("rcode", 1)]));
}

#[test]
fn zeek_json() {
    let p = parse(Format::ZeekJson, &sample("zeek_dns.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "zeek";
    let one = Some(1);
    assert_entries(
        &p.entries,
        &[
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.11",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "example.com",
                TXT,
                "\"v=spf1 ip4:198.51.100.0/24 -all\"",
                AUG1 + 55,
                AUG1 + 55,
                one,
                s,
                None,
            ),
            // The ISO 8601 ts "2024-08-01T00:01:10.500000Z".
            entry(
                "xn--bcher-kva.example",
                MX,
                "mx.xn--bcher-kva.example",
                AUG1 + 70,
                AUG1 + 70,
                one,
                s,
                None,
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("rcode", 1)]));
}

#[test]
fn suricata() {
    let p = parse(Format::Suricata, &sample("suricata_eve_dns.json"));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = "suricata";
    let one = Some(1);
    assert_entries(
        &p.entries,
        &[
            // v3 response, detailed answers (grouped ignored).
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.10",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                A,
                "192.0.2.11",
                AUG1,
                AUG1,
                one,
                s,
                None,
            ),
            // v3 NXDOMAIN: the SOA authority, from its sub-object.
            entry(
                "example.com",
                SOA,
                "ns1.example.com hostmaster.example.com 2024080101 7200 3600 1209600 900",
                AUG1 + 60,
                AUG1 + 60,
                one,
                s,
                None,
            ),
            // SRV sub-object with key "name".
            entry(
                "_sip._udp.example.com",
                SRV,
                "10 60 5060 sip1.example.com",
                AUG1 + 55,
                AUG1 + 55,
                one,
                s,
                None,
            ),
            // TXT split: one entry per string, quoted.
            entry(
                "example.com",
                TXT,
                "\"v=spf1 ip4:198.51.100.0/24\"",
                AUG1 + 55,
                AUG1 + 55,
                one,
                s,
                None,
            ),
            entry(
                "example.com",
                TXT,
                "\" -all\"",
                AUG1 + 55,
                AUG1 + 55,
                one,
                s,
                None,
            ),
            // MX without preference.
            entry(
                "example.com",
                MX,
                "mx.example.com",
                AUG1 + 55,
                AUG1 + 55,
                one,
                s,
                None,
            ),
            // v2 detailed with an expanded AAAA (2024-07-01T12:00:00).
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                1_719_835_200,
                1_719_835_200,
                one,
                s,
                None,
            ),
            entry(
                "edge.example.net",
                AAAA,
                "2001:db8::10",
                1_719_835_200,
                1_719_835_200,
                one,
                s,
                None,
            ),
            // v2 grouped only: owned by the top-level rrname.
            entry(
                "mail.example.org",
                A,
                "203.0.113.25",
                1_719_835_201,
                1_719_835_201,
                one,
                s,
                None,
            ),
            // v1, +0200: 2019-05-01T06:00:00Z.
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                1_556_690_400,
                1_556_690_400,
                one,
                s,
                None,
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("request", 1)]));
}

/// Formats declared `lines_are_independent` really are: every bundled
/// file of such a format parses to the same entries, errors and skip
/// counts whether one parser reads all its lines or each line gets a
/// fresh parser (as `pdns-build` does when it parses on several threads).
#[test]
fn independent_line_formats_need_no_earlier_lines() {
    use pdns_providers::{Framing, Parser};
    let mut checked = 0;
    for dir in ["samples", "exports"] {
        for f in std::fs::read_dir(common::data_path(dir)).unwrap() {
            let path = f.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let Some(format) = detect(&bytes) else {
                continue;
            };
            if format.framing() != Framing::Lines || !format.lines_are_independent() {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let mut one = Parser::new(format);
            let mut fresh_total = std::collections::BTreeMap::new();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for line in text.lines() {
                let ra = one.parse_line(line, &mut a).map_err(|e| e.to_string());
                let mut fresh = Parser::new(format);
                let rb = fresh.parse_line(line, &mut b).map_err(|e| e.to_string());
                assert_eq!(ra, rb, "{}: {line}", path.display());
                for (why, n) in fresh.skipped() {
                    *fresh_total.entry(*why).or_insert(0u64) += n;
                }
            }
            assert_eq!(a, b, "{}", path.display());
            assert_eq!(one.skipped(), &fresh_total, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} files of independent formats");
}

#[test]
fn zeek_json_only_the_responder_port_marks_mdns() {
    // A lookup to port 53 from client port 5353 (any port a resolver
    // library picked) is DNS; an answer from port 5353 is mDNS.
    let line = |orig: u16, resp: u16| {
        format!(
            r#"{{"ts":1722470400.1,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":{orig},"id.resp_h":"192.0.2.53","id.resp_p":{resp},"proto":"udp","query":"www.example.com","qclass":1,"qtype":1,"rcode":0,"answers":["192.0.2.10"],"TTLs":[60.0]}}"#
        )
    };
    let input = [
        line(5353, 53),
        line(5355, 53),
        line(137, 53),
        line(5353, 5353),
        line(40000, 5355),
        line(137, 137),
    ]
    .join("\n");
    let p = parse(Format::ZeekJson, &input);
    assert_eq!(p.entries.len(), 3, "{:?}", p.skipped);
    assert_eq!(p.skipped.get("not-dns"), Some(&3));
}
