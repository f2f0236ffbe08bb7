//! `pdns-build build` on captures: detected by content (plain, gzip, zstd),
//! entries aggregated with the exports', source labels, `--dns-port`, and
//! the capture summary line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use pdns_capture::synth::{self, PcapWriter, Rr};
use pdnsfile::{Archive, Entry, Filter, Query};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pdns-build"))
}

fn real(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../capture/tests/data/pcaps")
        .join(name)
}

fn entries(archive: &Path) -> Vec<Entry> {
    let a = Archive::open(archive).unwrap();
    a.query(&Query::All, &Filter::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn builds_from_captures_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    // tcpdump__dns_tcp.pcap: one response over TCP; gzip it.
    let gz = dir.path().join("tcp.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&fs::read(real("tcpdump__dns_tcp.pcap")).unwrap())
        .unwrap();
    fs::write(&gz, enc.finish().unwrap()).unwrap();
    // suricata__dns-udp-google-a-aaaa-mx.pcap: plain, UDP.
    let udp = real("suricata__dns-udp-google-a-aaaa-mx.pcap");
    // dnscap__sll2.pcap (Linux cooked v2): zstd.
    let zst = dir.path().join("sll2.pcap.zst");
    fs::write(
        &zst,
        zstd::encode_all(fs::read(real("dnscap__sll2.pcap")).unwrap().as_slice(), 3).unwrap(),
    )
    .unwrap();
    let out = dir.path().join("c.pdns");
    let o = bin()
        .arg("build")
        .arg("-o")
        .arg(&out)
        .arg(&gz)
        .arg(&udp)
        .arg(&zst)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("summary: captures: ")
            && stderr.contains(" packets, ")
            && stderr.contains(" DNS messages, "),
        "{stderr}"
    );
    let all = entries(&out);
    let www = all
        .iter()
        .find(|e| e.rrname == "www.tcpdump.org" && e.rrtype == 1 && e.rdata == "192.139.46.66")
        .expect("the TCP answer");
    assert_eq!(www.sources, ["pcap:tcp"]);
    assert_eq!((www.time_first, www.count), (1_591_780_863, Some(1)));
    // The NS records of the authority section are observations too.
    assert!(all
        .iter()
        .any(|e| e.rrname == "tcpdump.org" && e.rrtype == 2 && e.rdata == "nic.sandelman.ca"));
    assert!(all
        .iter()
        .any(|e| e.sources == ["pcap:suricata__dns-udp-google-a-aaaa-mx"] && e.rrtype == 15));
    assert!(all.iter().any(|e| e.sources == ["pcap:sll2"]));
}

#[test]
fn aggregates_repeats_and_honours_source_and_dns_port() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("alt.pcap");
    let dns = synth::response(
        1,
        "alt.example",
        &[Rr {
            name: "alt.example",
            rtype: 1,
            rdata: vec![192, 0, 2, 8],
        }],
        &[],
    );
    let frame = synth::ipv4(
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        17,
        1,
        (0, false),
        &synth::udp(5300, 999, &dns),
    );
    let mut w = PcapWriter::new(Vec::new(), 101).unwrap();
    for t in [100, 200, 300] {
        w.packet(t, 0, &frame).unwrap();
    }
    fs::write(&cap, w.into_inner()).unwrap();
    let out = dir.path().join("a.pdns");
    let run = |extra: &[&str]| {
        let o = bin()
            .arg("build")
            .arg("-o")
            .arg(&out)
            .args(extra)
            .arg(&cap)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let log = run(&[]);
    assert!(entries(&out).is_empty());
    assert!(
        log.contains("3 packets, 0 DNS messages, 0 records, 0 queries, 3 not DNS"),
        "{log}"
    );
    let log = run(&["--dns-port", "5300", "--source", "sensor-1"]);
    // Three observations, merged into one item before the sort, are
    // still three entries read.
    assert!(log.contains(", 0 lines, 3 entries,"), "{log}");
    let e = entries(&out);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].time_first,
            e[0].time_last,
            e[0].count,
            e[0].sources.clone()
        ),
        (100, 300, Some(3), vec!["sensor-1".to_string()])
    );
}

/// Aggregated entries: key to (first, last, count).
type Agg = std::collections::BTreeMap<(String, u16, String), (u64, u64, Option<u64>)>;

fn aggregate(entries: impl IntoIterator<Item = Entry>) -> Agg {
    let mut m = Agg::new();
    for e in entries {
        let v = m
            .entry((e.rrname, e.rrtype, e.rdata))
            .or_insert((u64::MAX, 0, Some(0)));
        v.0 = v.0.min(e.time_first);
        v.1 = v.1.max(e.time_last);
        v.2 = v.2.zip(e.count).map(|(a, b)| a + b);
    }
    m
}

/// The builder reads a capture on several threads (the messages are
/// decoded apart from the packets); the entries and every count must be
/// what the decoder gives reading it in order, on every bundled capture
/// (TCP streams, fragments, tunnels, damage).
#[test]
fn threaded_build_matches_the_sequential_decoder_on_every_capture() {
    let dir = tempfile::tempdir().unwrap();
    let mut pcaps: Vec<PathBuf> = fs::read_dir(real(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    pcaps.sort();
    assert!(pcaps.len() > 50, "{} captures", pcaps.len());
    let mut compared = 0;
    for pcap in &pcaps {
        let mut dec = pdns_capture::Decoder::new(pdns_capture::Options {
            source: Some("t".into()),
            ..pdns_capture::Options::default()
        });
        let mut seq = Vec::new();
        // Every bundled capture reads to its end (damage inside is
        // counted, not an error), so none is left out of the comparison.
        if let Err(e) = dec.read(fs::File::open(pcap).unwrap(), &mut |e| seq.push(e)) {
            panic!("{}: {e}", pcap.display());
        }
        let out = dir.path().join("t.pdns");
        let _ = fs::remove_file(&out);
        let o = bin()
            .args(["build", "--source", "t", "-o"])
            .arg(&out)
            .arg(pcap)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{}: {log}", pcap.display());
        let want = format!("capture: {}\n", dec.stats());
        assert!(
            log.contains(&want),
            "{}: want {want:?} in {log}",
            pcap.display()
        );
        // Entries before aggregation: every record, however many were
        // merged before the sort.
        let want = format!(", 0 lines, {} entries,", dec.stats().records);
        assert!(
            log.contains(&want),
            "{}: want {want:?} in {log}",
            pcap.display()
        );
        assert_eq!(
            aggregate(entries(&out)),
            aggregate(seq),
            "{}",
            pcap.display()
        );
        compared += 1;
    }
    assert_eq!(compared, pcaps.len());
}
