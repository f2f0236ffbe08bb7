//! The demo archive is built from the bundled real captures and exports.
#![allow(clippy::unwrap_used)]

use pdns::demo;

#[test]
fn demo_inputs_decode_into_entries_from_captures_and_exports() {
    let (entries, report) = demo::entries();
    assert_eq!(report.captures, pdns::demo_inputs::CAPTURES.len());
    assert_eq!(report.exports, pdns::demo_inputs::EXPORTS.len());
    assert_eq!(report.observations, entries.len());
    // tshark's reading of suricata-verify's dns-udp-google-a-aaaa-mx
    // (shared/data/oracle): google.com A 216.197.242.210 at 1494364058.
    let from_capture = entries.iter().any(|e| {
        e.rrname == "google.com"
            && e.rrtype == 1
            && e.rdata == "216.197.242.210"
            && e.time_first == 1_494_364_058
            && e.sources == ["pcap:suricata__dns-udp-google-a-aaaa-mx"]
    });
    assert!(from_capture);
    // Every export format contributes under its own label.
    for label in [
        "dnsdb",
        "circl",
        "otx",
        "passivetotal",
        "passivedns",
        "virustotal",
    ] {
        assert!(
            entries.iter().any(|e| e.sources.iter().any(|s| s == label)),
            "no entry from {label}"
        );
    }
}

#[test]
fn demo_builds_an_archive_that_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("XDG_CACHE_HOME", dir.path());
    let path = demo::build().unwrap();
    let archive = pdnsfile::Archive::open(&path).unwrap();
    archive.verify().unwrap();
    let q = pdnsfile::Query::parse("google.com").unwrap();
    let hits: Vec<_> = archive
        .query(&q, &pdnsfile::Filter::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(hits.iter().any(|e| e.rdata == "216.197.242.210"));
}
