//! The breach scenario, end to end: a sensor's capture and a provider's
//! export go through `pdns-build`'s pipeline into an archive, and the
//! analyst's questions are answered through the same engine as
//! `pdns query` (query text, time fence, pivot walk).
//!
//! The breach notice: "evil.example, between 2024-03-10 and 2024-03-12".
//! 1. What did evil.example resolve to during that window?
//! 2. Which other names used those addresses then?
//!
//! The inputs hold decoys on purpose: an address evil.example had before
//! the window, names that used the same addresses only before or after
//! it, and an unrelated name. The test asserts the exact answers.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use pdns::engine::{parse_range, prepare, TimeOptions};
use pdns_build::cmd::build::{run, BuildArgs};
use pdns_capture::synth::{ethernet, ipv4, response, udp, PcapWriter, Rr};
use pdnsfile::{Archive, Entry, Federation, Filter};

/// What an answer row says: rdata, first, last, count, sources.
type Seen<'a> = (&'a str, u64, u64, Option<u64>, Vec<&'a str>);

/// 2024-03-01T00:00:00Z and friends, as Unix seconds.
const MAR_01: u32 = 1_709_251_200;
const DAY: u32 = 86_400;
const HOUR: u32 = 3_600;

/// One DNS response frame (Ethernet, IPv4, UDP from port 53) answering
/// `qname` with A records.
fn a_response(id: u16, qname: &str, answers: &[(&str, [u8; 4])]) -> Vec<u8> {
    let rrs: Vec<Rr<'_>> = answers
        .iter()
        .map(|(name, addr)| Rr {
            name,
            rtype: 1,
            rdata: addr.to_vec(),
        })
        .collect();
    let dns = response(id, qname, &rrs, &[]);
    let segment = udp(53, 40_000 + id, &dns);
    ethernet(
        0x0800,
        &ipv4([192, 0, 2, 53], [10, 0, 0, 7], 17, id, (0, false), &segment),
    )
}

/// The sensor's capture: what it saw on the wire.
fn write_capture(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::new(file, 1).unwrap();
    let packets: Vec<(u32, Vec<u8>)> = vec![
        // Before the window: evil.example's earlier hosting (decoy).
        (
            MAR_01,
            a_response(1, "evil.example", &[("evil.example", [198, 51, 100, 7])]),
        ),
        // Before the window: another name on the address (decoy).
        (
            MAR_01 - 20 * DAY,
            a_response(
                2,
                "parked.example",
                &[("parked.example", [203, 0, 113, 10])],
            ),
        ),
        // In the window.
        (
            MAR_01 + 9 * DAY + 8 * HOUR,
            a_response(3, "evil.example", &[("evil.example", [203, 0, 113, 10])]),
        ),
        (
            MAR_01 + 10 * DAY + 9 * HOUR,
            a_response(4, "evil.example", &[("evil.example", [203, 0, 113, 10])]),
        ),
        (
            MAR_01 + 9 * DAY + 12 * HOUR,
            a_response(
                5,
                "login-bank.example",
                &[("login-bank.example", [203, 0, 113, 10])],
            ),
        ),
        // After the window: a name on the address later (decoy).
        (
            MAR_01 + 20 * DAY,
            a_response(6, "later.example", &[("later.example", [203, 0, 113, 10])]),
        ),
        // Unrelated.
        (
            MAR_01 + 9 * DAY,
            a_response(7, "good.example", &[("good.example", [192, 0, 2, 1])]),
        ),
    ];
    for (t, frame) in packets {
        w.packet(t, 0, &frame).unwrap();
    }
    drop(w.into_inner());
}

/// A provider's export (Farsight DNSDB API v1 JSON lines).
fn write_export(path: &Path) {
    let line = |name: &str, rdata: &str, first: u32, last: u32, count: u32| {
        format!(
            r#"{{"count":{count},"time_first":{first},"time_last":{last},"rrname":"{name}.","rrtype":"A","bailiwick":"example.","rdata":["{rdata}"]}}"#
        )
    };
    let lines = [
        // The provider saw evil.example on a second address, overlapping
        // the window, and on the first one just before the sensor did.
        line(
            "evil.example",
            "203.0.113.11",
            MAR_01 + 8 * DAY,
            MAR_01 + 10 * DAY,
            12,
        ),
        line(
            "evil.example",
            "203.0.113.10",
            MAR_01 + 9 * DAY + 7 * HOUR,
            MAR_01 + 9 * DAY + 7 * HOUR + 1800,
            5,
        ),
        // Another name on the second address, inside the window.
        line(
            "cdn-mail.example",
            "203.0.113.11",
            MAR_01 + 9 * DAY + 2 * HOUR,
            MAR_01 + 9 * DAY + 5 * HOUR,
            3,
        ),
        // The second address a year earlier (decoy).
        line(
            "old-tenant.example",
            "203.0.113.11",
            MAR_01 - 400 * DAY,
            MAR_01 - 380 * DAY,
            40,
        ),
    ];
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn build(dir: &Path) -> Federation {
    let capture = dir.join("sensor-ams1.pcap");
    let export = dir.join("dnsdb-evil.jsonl");
    write_capture(&capture);
    write_export(&export);
    let out = dir.join("breach.pdns");
    let report = run(&BuildArgs {
        output: out.clone(),
        inputs: vec![capture, export],
        source: None,
        format: None,
        query: None,
        passivedns_fields: None,
        passivedns_delimiter: None,
        passivedns_time_zone: None,
        base: None,
        memory: 64 << 20,
        level: pdns_build::cmd::build::DEFAULT_LEVEL,
        strict: true,
        tmp_dir: None,
        dns_ports: Vec::new(),
        log: pdns_build::log::Log {
            quiet: true,
            ..Default::default()
        },
    })
    .unwrap();
    assert_eq!(report.files, 2);
    assert_eq!(report.capture.dns_messages, 7);
    Federation::new(vec![Archive::open(&out).unwrap()])
}

/// The window as `pdns query --first-before END --last-after START`
/// would give it: entries live at some moment of the window.
fn window() -> Filter {
    let (start, end) = parse_range("2024-03-10..2024-03-12").unwrap();
    let opts = TimeOptions {
        first_before: Some(end),
        last_after: Some(start),
        ..TimeOptions::default()
    };
    Filter {
        fence: opts.fence(),
        ..Filter::default()
    }
}

fn ask(fed: &Federation, text: &str, filter: &Filter) -> Vec<Entry> {
    let (q, f) = prepare(text, filter).unwrap();
    fed.query(&q, &f).unwrap().map(Result::unwrap).collect()
}

fn t(s: &str) -> u64 {
    pdnsfile::time::parse(s).unwrap()
}

#[test]
fn what_did_it_resolve_to_and_who_else_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let fed = build(dir.path());
    let fence = window();

    // 1. evil.example during the window: two addresses, with both
    //    sources' observations of the first merged into one entry.
    let answers = ask(&fed, "evil.example", &fence);
    let got: Vec<Seen<'_>> = answers
        .iter()
        .map(|e| {
            (
                e.rdata.as_str(),
                e.time_first,
                e.time_last,
                e.count,
                e.sources.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "203.0.113.10",
                t("2024-03-10T07:00:00Z"),
                t("2024-03-11T09:00:00Z"),
                Some(7),
                vec!["dnsdb", "pcap:sensor-ams1"],
            ),
            (
                "203.0.113.11",
                t("2024-03-09T00:00:00Z"),
                t("2024-03-11T00:00:00Z"),
                Some(12),
                vec!["dnsdb"],
            ),
        ]
    );
    // Without the fence the earlier hosting shows too: the fence did it.
    assert_eq!(ask(&fed, "evil.example", &Filter::default()).len(), 3);

    // 2. Who else used those addresses during the window.
    let mut others = BTreeSet::new();
    for e in &answers {
        for hit in ask(&fed, &e.rdata, &fence) {
            if hit.rrname != "evil.example" {
                others.insert((hit.rrname.clone(), hit.rdata.clone()));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("login-bank.example", "203.0.113.10"),
        ("cdn-mail.example", "203.0.113.11"),
    ]
    .iter()
    .map(|(n, a)| (n.to_string(), a.to_string()))
    .collect();
    assert_eq!(others, expected);

    // The same answer in one step, as `pdns query --pivot 1`: every row
    // carries the path that found it.
    let (q, f) = prepare("evil.example", &fence).unwrap();
    let walk = pdns::pivot::walk(&fed, &q, "evil.example", &f, 1, 10_000).unwrap();
    assert!(!walk.capped);
    let rows: BTreeSet<(String, String, String)> = walk
        .rows
        .iter()
        .map(|r| {
            (
                r.entry.rrname.clone(),
                r.entry.rdata.clone(),
                r.pivot_path.clone().unwrap_or_default().join(" > "),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = [
        ("evil.example", "203.0.113.10", "evil.example"),
        ("evil.example", "203.0.113.11", "evil.example"),
        (
            "login-bank.example",
            "203.0.113.10",
            "evil.example > 203.0.113.10",
        ),
        (
            "cdn-mail.example",
            "203.0.113.11",
            "evil.example > 203.0.113.11",
        ),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(rows, expected);
}
