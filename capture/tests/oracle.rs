//! Every copied real capture against tshark's reading of it (the oracle in
//! `data/oracle/`, made by `make_oracle.py`, see `data/README.md`).
//!
//! For each capture, the multiset of observations (name, type, rdata,
//! second) must equal the oracle's records of classic DNS over UDP or TCP
//! on port 53 (every section, OPT and other classes left out), except
//! for the differences listed, with their reasons, in [`EXCEPTIONS`]: the
//! test fails if a difference is not listed or a listed one is gone.
//!
//! The oracle writes the rdata of A, AAAA, CNAME, NS, PTR, DNAME, MX, SRV,
//! SOA, TXT and SPF in presentation form, which is normalized with
//! `pdnsfile`; every other type as `\# len hex` of the wire rdata, which
//! is read by [`pdns_capture::rdata_presentation`], the decoder's own
//! formatter. So for those types the test checks which records were
//! found, in which message, with which owner and exact wire rdata; the
//! text of each type is checked against known strings in the unit tests.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use pdns_capture::{rdata_presentation, Decoder, Options};
use pdnsfile::{name, record, rrtype};

type Key = (String, u16, String, u64);

/// Captures whose reading differs from tshark's, with the number of
/// observations only tshark has (`missing`) and only we have (`extra`),
/// and why.
const EXCEPTIONS: &[(&str, usize, usize, &str)] = &[(
    "zeek__dns-edns-bad-length.pcap",
    0,
    1,
    "the OPT record's rdata (1 octet) is too short for an EDNS option; \
     tshark stops dissecting there, but the OPT's rdlength frames it \
     correctly, so the A record after it in the additional section is \
     well formed and we keep it",
)];

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Types the oracle writes in presentation form.
const PRESENTED: &[&str] = &[
    "A", "AAAA", "CNAME", "NS", "PTR", "DNAME", "MX", "SRV", "SOA", "TXT", "SPF",
];

fn oracle(path: &Path) -> BTreeMap<Key, i64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [_frame, epoch, proto, transport, _rcode, _qn, _qt, _sec, rrname, rrtype_s, class, _ttl, rdata, hex] =
            f[..]
        else {
            panic!("{}: bad line {line}", path.display());
        };
        if proto != "dns" || !(transport == "udp" || transport == "tcp") {
            continue;
        }
        if rrtype_s == "OPT" || class != "1" {
            continue;
        }
        let t = rrtype::parse(rrtype_s).unwrap();
        let second: u64 = epoch.split('.').next().unwrap().parse().unwrap();
        let owner = name::normalize(rrname).unwrap_or_else(|_| format!("<bad name {rrname}>"));
        let rd = if rdata == "<undecoded>" {
            "<undecoded>".to_string()
        } else if PRESENTED.contains(&rrtype_s) {
            record::normalize_rdata(t, rdata).unwrap_or_else(|_| format!("<bad {rdata}>"))
        } else {
            let bytes = unhex(hex).unwrap();
            rdata_presentation(t, &bytes).unwrap_or_else(|| format!("<undecodable {hex}>"))
        };
        *out.entry((owner, t, rd, second)).or_default() += 1;
    }
    out
}

fn ours(path: &Path) -> (BTreeMap<Key, i64>, String) {
    // With a source label, so the items carry one.
    let mut dec = Decoder::new(Options {
        source: Some("pcap:oracle".into()),
        ..Options::default()
    });
    let mut out = BTreeMap::new();
    let file = std::fs::File::open(path).unwrap();
    dec.read_observations(file, &mut |o| {
        let e = o.entry();
        // The sort item made straight from the packet is the entry's, on
        // every observation of every real capture.
        let mut item = Vec::new();
        o.encode_item(&mut item);
        assert_eq!(item, pdnsfile::sortkey::encode(&e), "{e:?}");
        assert_eq!(
            (e.time_first, e.time_last, e.count),
            (e.time_first, e.time_first, Some(1))
        );
        *out.entry((e.rrname, e.rrtype, e.rdata, e.time_first))
            .or_default() += 1;
    })
    .unwrap();
    (out, dec.stats().to_string())
}

#[test]
fn real_captures_match_tshark() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut names: Vec<String> = std::fs::read_dir(dir.join("pcaps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    assert!(names.len() >= 90, "captures missing: {}", names.len());
    let mut failures = Vec::new();
    for n in &names {
        let want = oracle(&dir.join("oracle").join(format!("{n}.records.tsv")));
        let (got, stats) = ours(&dir.join("pcaps").join(n));
        let mut missing = Vec::new();
        let mut extra = Vec::new();
        for k in want.keys().chain(got.keys()) {
            let (w, g) = (
                want.get(k).copied().unwrap_or(0),
                got.get(k).copied().unwrap_or(0),
            );
            if w > g && !missing.iter().any(|(x, _)| x == k) {
                missing.push((k.clone(), w - g));
            }
            if g > w && !extra.iter().any(|(x, _)| x == k) {
                extra.push((k.clone(), g - w));
            }
        }
        let nm: i64 = missing.iter().map(|(_, c)| c).sum();
        let ne: i64 = extra.iter().map(|(_, c)| c).sum();
        let allowed = EXCEPTIONS
            .iter()
            .find(|(c, ..)| c == n)
            .map_or((0, 0), |&(_, m, e, _)| (m as i64, e as i64));
        if (nm, ne) != allowed {
            failures.push(format!(
                "{n}: missing {nm}, extra {ne}, allowed {allowed:?}; {stats}\n  missing: {:?}\n  extra: {:?}",
                missing.iter().take(6).collect::<Vec<_>>(),
                extra.iter().take(6).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
