//! Times FST construction on a file of sorted keys (one per line), with
//! `fst`'s builder and with `pdnsfile::fstbuild` at several registry
//! sizes: `cargo run --release -p pdnsfile --example fstbench -- KEYS [set|map]`.
//! A map gives each key its line number as value (as NAMES_REV does).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Instant;

fn report(what: &str, n: usize, bytes: usize, t: Instant) {
    let dt = t.elapsed();
    println!(
        "{what:<22} {n} keys, {bytes:>10} bytes, {:6.2} s, {:5.0} ns/key",
        dt.as_secs_f64(),
        dt.as_nanos() as f64 / n as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read(&args[1]).expect("a file of sorted keys");
    let keys: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|k| !k.is_empty())
        .collect();
    let map = args.get(2).map(String::as_str) == Some("map");
    let value = |i: usize| if map { i as u64 } else { 0 };
    for _ in 0..2 {
        let t = Instant::now();
        let mut b = fst::MapBuilder::memory();
        for (i, k) in keys.iter().enumerate() {
            b.insert(k, value(i)).unwrap();
        }
        let bytes = b.into_inner().unwrap();
        report("fst::MapBuilder", keys.len(), bytes.len(), t);
        for log2 in [11, 12, 13, 14] {
            let t = Instant::now();
            let mut b = pdnsfile::fstbuild::FstBuilder::with_registry(Vec::new(), log2);
            for (i, k) in keys.iter().enumerate() {
                b.insert(k, value(i)).unwrap();
            }
            let ours = b.finish().unwrap();
            report(
                &format!("fstbuild 2^{log2} buckets"),
                keys.len(),
                ours.len(),
                t,
            );
        }
    }
}
