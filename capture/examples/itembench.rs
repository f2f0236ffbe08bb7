//! Times the work of a build's decoding threads alone: the first N DNS
//! responses of a capture, read into memory, decoded into sort items
//! (`decode_message`, `Observation::encode_key` and the payload once per
//! message, as `pdns-build` does), best of ROUNDS passes on one thread.
//!
//! ```text
//! cargo run --release -p pdns-capture --example itembench -- FILE.pcap [N [ROUNDS [BATCH]]]
//! ```
//!
//! With BATCH, it also counts how many items would be left if repeats of
//! a key were merged within each BATCH consecutive items (what merging in
//! the decoding threads' batches, before the sort, would remove).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::collections::HashSet;
use std::time::Instant;

use pdns_capture::{Decoder, Options, Stats};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: itembench FILE.pcap [N [ROUNDS [BATCH]]]");
    let arg = |i: usize, default: usize| args.get(i).map_or(default, |s| s.parse().unwrap());
    let (n, rounds) = (arg(2, 300_000), arg(3, 10));
    let file = std::fs::File::open(path).unwrap();
    let mut data = Vec::new();
    let mut ends = Vec::new();
    let mut times = Vec::new();
    Decoder::new(Options::default())
        .read_messages(std::io::BufReader::new(file), &mut |m, t| {
            data.extend_from_slice(m);
            ends.push(data.len());
            times.push(t);
            ends.len() < n
        })
        .unwrap();
    let source = "pcap:bench";
    let mut items = Vec::new();
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut payload = Vec::new();
    let mut best = f64::MAX;
    for _ in 0..rounds {
        items.clear();
        keys.clear();
        let mut stats = Stats::default();
        let started = Instant::now();
        let mut start = 0;
        for (&end, &time) in ends.iter().zip(&times) {
            let message = &data[start..end];
            start = end;
            payload.clear();
            pdnsfile::sortkey::encode_payload_into(
                &mut payload,
                time,
                time,
                Some(1),
                std::iter::once(source.as_bytes()),
                None,
            );
            pdns_capture::decode_message(message, time, Some(source), &mut stats, &mut |o| {
                let key_start = items.len();
                o.encode_key(&mut items);
                keys.push((key_start, items.len()));
                items.extend_from_slice(&payload);
            });
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{} responses, {} items, best {:.1} ms, {:.0} ns a response",
        ends.len(),
        keys.len(),
        best * 1e3,
        best * 1e9 / ends.len() as f64
    );
    if let Some(batch) = args.get(4).map(|s| s.parse::<usize>().unwrap()) {
        let key = |&(a, b): &(usize, usize)| &items[a..b];
        let left: usize = keys
            .chunks(batch)
            .map(|c| c.iter().map(key).collect::<HashSet<_>>().len())
            .sum();
        let distinct = keys.iter().map(key).collect::<HashSet<_>>().len();
        println!(
            "batches of {batch}: {} items, {left} after merging repeats in each, {distinct} distinct keys",
            keys.len()
        );
    }
}
