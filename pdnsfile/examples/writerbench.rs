//! Times the archive writer alone: `cargo run --release -p pdnsfile
//! --example writerbench -- ARCHIVE N ROUNDS` takes the first N entries
//! of ARCHIVE as sort items, in key order, and writes them ROUNDS times
//! with `Writer::push_item` (to `/tmp/wb-out.pdns`), printing the time of
//! the pushes, the total with `finish`, and the process CPU time. This is
//! a build's write phase without the merge of its sort runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use pdnsfile::{Filter, Query};
use std::time::Instant;
mod common;
use common::cpu;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let archive = pdnsfile::Archive::open(&args[1]).unwrap();
    let n: usize = args[2].parse().unwrap();
    let rounds: usize = args[3].parse().unwrap();
    let mut items = Vec::new();
    let mut ends = Vec::new();
    for e in archive
        .query(&Query::All, &Filter::default())
        .unwrap()
        .take(n)
    {
        pdnsfile::sortkey::encode_into(&mut items, &e.unwrap());
        ends.push(items.len());
    }
    for _ in 0..rounds {
        let f = std::fs::File::create("/tmp/wb-out.pdns").unwrap();
        let (t0, c0) = (Instant::now(), cpu());
        let mut w = pdnsfile::Writer::new(
            std::io::BufWriter::with_capacity(1 << 20, f),
            pdnsfile::WriterOptions {
                zstd_level: 1,
                ..Default::default()
            },
        )
        .unwrap();
        let mut s = 0;
        for &e in &ends {
            w.push_item(&items[s..e]).unwrap();
            s = e;
        }
        let push = t0.elapsed().as_secs_f64();
        w.finish().unwrap();
        println!(
            "{} items: push {:.3} s, total {:.3} s, cpu {:.2} s",
            ends.len(),
            push,
            t0.elapsed().as_secs_f64(),
            cpu() - c0
        );
    }
}
