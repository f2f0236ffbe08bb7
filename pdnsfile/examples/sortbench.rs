//! Times the external sort on the sort items of an archive's entries,
//! shuffled: `cargo run --release -p pdnsfile --example sortbench --
//! ARCHIVE ROUNDS BUDGET_MB:BUFFER_MB[c]...` (buffer 0 for
//! `ExternalSorter::new`; a trailing `c` merges equal keys in runs,
//! `ExternalSorter::combine_entries`, as the builder does). Prints wall and process CPU time of pushing
//! every item, finishing and reading the output back, which is what a
//! build's sort costs apart from parsing and writing; the configurations
//! take turns, ROUNDS times, so that a machine's changing speed falls on
//! all of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Instant;

use pdnsfile::{Filter, Query};

mod common;
use common::cpu;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let archive = pdnsfile::Archive::open(&args[1]).unwrap();
    let rounds: usize = args[2].parse().unwrap();
    let mut items = Vec::new();
    let mut ends = Vec::new();
    for e in archive.query(&Query::All, &Filter::default()).unwrap() {
        pdnsfile::sortkey::encode_into(&mut items, &e.unwrap());
        ends.push(items.len());
    }
    let mut order: Vec<usize> = (0..ends.len()).collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let dir = std::env::temp_dir();
    let configs: Vec<(usize, usize, bool)> = args[3..]
        .iter()
        .map(|c| {
            let (a, b) = c.split_once(':').unwrap();
            let combine = b.ends_with('c');
            (
                a.parse::<usize>().unwrap() << 20,
                b.trim_end_matches('c').parse::<usize>().unwrap() << 20,
                combine,
            )
        })
        .collect();
    for _ in 0..rounds {
        for &(budget, buffer, combine) in &configs {
            let (t, c) = (Instant::now(), cpu());
            let mut s = if buffer == 0 {
                pdnsfile::sorter::ExternalSorter::new(budget, dir.clone(), false)
            } else {
                pdnsfile::sorter::ExternalSorter::with_buffer(budget, buffer, dir.clone(), false)
            };
            if combine {
                s.combine_entries();
            }
            for &i in &order {
                let start = if i == 0 { 0 } else { ends[i - 1] };
                s.push(&items[start..ends[i]]).unwrap();
            }
            s.settle().unwrap();
            let runs = s.runs();
            let pushed = (t.elapsed().as_secs_f64(), cpu() - c);
            let mut it = s.finish().unwrap();
            let mut n = 0usize;
            let mut sum = 0usize;
            while let Some(item) = it.next_ref().unwrap() {
                n += 1;
                sum += item.len();
            }
            assert_eq!(n, ends.len());
            assert_eq!(sum, items.len());
            println!(
            "budget {:>4} MB buffer {:>4} MB: {:>2} runs in memory ({:>4} MB), {:>2} in files; push {:.2} s ({:.2} CPU), total {:.2} s, {:.2} s CPU",
            budget >> 20,
            buffer >> 20,
            runs.in_memory,
            runs.memory_bytes >> 20,
            runs.in_files,
            pushed.0,
            pushed.1,
            t.elapsed().as_secs_f64(),
            cpu() - c
        );
        }
    }
}
