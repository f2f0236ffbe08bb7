//! End to end across crates: provider exports compiled by `pdns-build`
//! (as a library), opened and queried with `pdnsfile`, alone and
//! federated, then merged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pdns_build::cmd::build::{run, BuildArgs};
use pdnsfile::{Archive, Federation, Filter, Query, TimeFence};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../providers/tests/data/samples")
}

fn build(out: &Path, inputs: Vec<PathBuf>) {
    let args = BuildArgs {
        output: out.to_path_buf(),
        inputs,
        source: None,
        format: None,
        query: None,
        passivedns_fields: None,
        passivedns_delimiter: None,
        passivedns_time_zone: None,
        base: None,
        memory: 64 << 20,
        level: pdns_build::cmd::build::DEFAULT_LEVEL,
        strict: false,
        tmp_dir: None,
        dns_ports: Vec::new(),
        log: pdns_build::log::Log {
            quiet: true,
            ..Default::default()
        },
    };
    run(&args).unwrap();
}

fn answers(f: &Federation, q: &str, filter: &Filter) -> Vec<String> {
    f.query(&Query::parse(q).unwrap(), filter)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            format!(
                "{} {} {} {}",
                e.rrname,
                pdnsfile::rrtype::to_string(e.rrtype),
                e.rdata,
                e.sources.join(",")
            )
        })
        .collect()
}

#[test]
fn provider_exports_answer_pivots() {
    let dir = tempfile::tempdir().unwrap();
    let dnsdb = dir.path().join("dnsdb.pdns");
    build(&dnsdb, vec![samples().join("dnsdb_v1.jsonl")]);
    let circl = dir.path().join("circl.pdns");
    build(&circl, vec![samples().join("circl_cof.jsonl")]);
    let fed = Federation::new(vec![
        Archive::open(&dnsdb).unwrap(),
        Archive::open(&circl).unwrap(),
    ]);

    // name -> CNAME target -> its addresses -> every name on them.
    assert_eq!(
        answers(&fed, "www.example.com", &Filter::default()),
        [
            "www.example.com A 192.0.2.10 circl",
            "www.example.com CNAME edge.example.net dnsdb"
        ]
    );
    let edge = answers(&fed, "edge.example.net", &Filter::default());
    assert!(
        edge.contains(&"edge.example.net A 192.0.2.10 dnsdb".to_string()),
        "{edge:?}"
    );
    let on_ip = answers(&fed, "192.0.2.10", &Filter::default());
    assert!(
        on_ip
            .iter()
            .any(|l| l.starts_with("edge.example.net A 192.0.2.10")),
        "{on_ip:?}"
    );
    // Who delegates to ns1.example.com, from the rdata-name index.
    let ns = answers(
        &fed,
        "rdata:ns1.example.com",
        &Filter {
            types: Some(vec![2]),
            ..Filter::default()
        },
    );
    assert!(
        ns.iter()
            .any(|l| l.starts_with("example.com NS ns1.example.com")),
        "{ns:?}"
    );
    // A fence before everything finds nothing.
    let none = answers(
        &fed,
        "*.example.com",
        &Filter {
            fence: TimeFence::within(0, 1),
            ..Filter::default()
        },
    );
    assert!(none.is_empty());

    // The merge holds exactly the federated view.
    let merged = dir.path().join("merged.pdns");
    let inputs = [dnsdb, circl];
    let r = pdns_build::cmd::merge::run(&merged, &inputs, 64 << 20, 1).unwrap();
    let m = Archive::open(&merged).unwrap();
    m.verify().unwrap();
    assert_eq!(u64::from(m.record_count()), r.entries);
    assert_eq!(std::fs::metadata(&merged).unwrap().len(), r.bytes);
    let entries_in: u64 = inputs
        .iter()
        .map(|p| u64::from(Archive::open(p).unwrap().record_count()))
        .sum();
    assert_eq!(r.entries_in, entries_in);
    let all_fed: Vec<_> = fed
        .query(&Query::All, &Filter::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let all_merged: Vec<_> = m
        .query(&Query::All, &Filter::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(all_fed, all_merged);
    assert_eq!(m.meta().unwrap().inputs.len(), 2);
}
