//! Archive benchmarks on a synthetic corpus (see `pdns_benches`).
//!
//! The main archive has `PDNS_BENCH_ENTRIES` entries (default 10 M, seed
//! 42) and is generated once into `target/bench-data/` (about 440-460 MB
//! and 75 s on two cores), then reused while it is newer than the bench
//! executable (cargo relinks that whenever `pdnsfile` or the generator
//! changes) and still opens. Smaller archives for the merge and
//! block-size groups are cached there too.
//!
//! Before the criterion groups, a latency report runs every sampled query
//! once (after one warm-up pass) and prints p50/p90/p99 per query kind,
//! since the targets are stated as medians of single lookups; it is also
//! written to `target/bench-data/latency-<N>.txt`.
//!
//! Run with `cargo bench -p pdns-benches [-- FILTER]`; a plain-text filter
//! also skips the setup of groups it excludes.

// A benchmark that cannot set up must stop loudly; there is no caller to
// hand an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::BufWriter;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use pdns_benches::rng::{hash_bytes, mix};
use pdns_benches::{default_threads, write_archive, Config, Generator, Plan, GENERATOR_VERSION};
use pdnsfile::{Archive, Entry, Filter, Query, Writer, WriterOptions};

const SEED: u64 = 42;

fn entries_wanted() -> u64 {
    std::env::var("PDNS_BENCH_ENTRIES")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(10_000_000)
}

fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let d = target.join("bench-data");
    std::fs::create_dir_all(&d).expect("create target/bench-data");
    d
}

/// Whether a cached file is at least as new as this benchmark executable:
/// cargo relinks the executable whenever `pdnsfile` or the generator
/// changes, so an older file may have been written by another writer.
fn fresh(path: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(path),
        std::env::current_exe().ok().and_then(|e| modified(&e)),
    ) {
        (Some(file), Some(exe)) => file >= exe,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Opens `path`, or (re)generates it with `make` when missing, older than
/// this executable, or unreadable.
fn cached(path: &Path, make: impl FnOnce(&Path)) -> Archive {
    if fresh(path) {
        if let Ok(a) = Archive::open(path) {
            return a;
        }
    }
    let t = Instant::now();
    let tmp = path.with_extension("tmp");
    make(&tmp);
    std::fs::rename(&tmp, path).expect("rename generated archive");
    let a = Archive::open(path).expect("open generated archive");
    eprintln!(
        "generated {} ({} entries, {} bytes) in {:.1} s",
        path.display(),
        a.record_count(),
        a.file_len(),
        t.elapsed().as_secs_f64()
    );
    a
}

fn generate_to(path: &Path, cfg: &Config, opts: WriterOptions) {
    let g = Generator::new(cfg);
    let f = std::fs::File::create(path).expect("create archive");
    let (w, _) = write_archive(
        &g,
        BufWriter::with_capacity(1 << 20, f),
        opts,
        default_threads(),
    )
    .expect("write archive");
    w.into_inner()
        .expect("flush")
        .sync_all()
        .expect("sync archive");
}

fn write_entries(path: &Path, entries: &[Entry]) {
    let f = std::fs::File::create(path).expect("create archive");
    let mut w = Writer::new(
        BufWriter::with_capacity(1 << 20, f),
        WriterOptions::default(),
    )
    .expect("writer");
    for e in entries {
        w.add(e).expect("add");
    }
    w.finish().expect("finish");
}

fn collect(a: &Archive, q: &Query) -> Vec<Entry> {
    a.query(q, &Filter::default())
        .expect("query")
        .collect::<pdnsfile::Result<Vec<Entry>>>()
        .expect("entries")
}

/// What a plain-text criterion filter selects (regex filters select all).
struct Select(Option<String>);

impl Select {
    fn from_args() -> Select {
        const WITH_VALUE: &[&str] = &[
            "--measurement-time",
            "--warm-up-time",
            "--sample-size",
            "--save-baseline",
            "--baseline",
            "--load-baseline",
            "--color",
            "--output-format",
            "--profile-time",
            "--significance-level",
            "--noise-threshold",
            "--confidence-level",
            "--nresamples",
            "--plotting-backend",
            "--format",
        ];
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if WITH_VALUE.contains(&a.as_str()) {
                i += 2;
                continue;
            }
            if !a.starts_with('-') {
                let plain = !a.contains(['|', '*', '.', '^', '$', '[', '(', '+', '?', '\\']);
                return Select(plain.then(|| a.clone()));
            }
            i += 1;
        }
        Select(None)
    }

    fn wants(&self, group: &str) -> bool {
        match &self.0 {
            None => true,
            Some(f) => group.contains(f.as_str()) || f.contains(group),
        }
    }
}

/// Queries sampled deterministically from the main archive.
struct Samples {
    names: Vec<String>,
    ipv4: Vec<IpAddr>,
    ipv6: Vec<IpAddr>,
    cidr24: Vec<Query>,
    cidr16: Vec<Query>,
    zones: Vec<Query>,
    rdata_small: Vec<String>,
    rdata_popular: Vec<String>,
}

fn strided<T: Clone>(v: &[T], k: usize) -> Vec<T> {
    if v.is_empty() {
        return Vec::new();
    }
    (0..k.min(v.len()))
        .map(|i| v[i * v.len() / k.min(v.len())].clone())
        .collect()
}

fn sample(a: &Archive, plan: &Plan) -> Samples {
    let nc = a.name_count();
    let k = 4096u32.min(nc);
    let names: Vec<String> = (0..k)
        .map(|i| {
            let id = (u64::from(i) * u64::from(nc) / u64::from(k)) as u32;
            // Jitter inside the stride so the picks are not all the first
            // name of a name-table block.
            let stride = (nc / k).max(1);
            let id = id + (mix(u64::from(i), 1) % u64::from(stride)) as u32;
            a.name(id.min(nc - 1)).expect("name")
        })
        .collect();
    let v4: Vec<IpAddr> = a.ipv4_addresses().map(IpAddr::V4).collect();
    let v6: Vec<IpAddr> = a.ipv6_addresses().map(IpAddr::V6).collect();
    let ipv4 = strided(&v4, 4096);
    let ipv6 = strided(&v6, 1024);
    let mut seen = HashSet::new();
    let cidr24: Vec<Query> = strided(&v4, 997)
        .into_iter()
        .filter(|ip| seen.insert(cidr_key(ip, 24)))
        .take(64)
        .map(|addr| Query::Cidr { addr, prefix: 24 })
        .collect();
    let mut seen = HashSet::new();
    let cidr16: Vec<Query> = strided(&v4, 211)
        .into_iter()
        .filter(|ip| seen.insert(cidr_key(ip, 16)))
        .take(8)
        .map(|addr| Query::Cidr { addr, prefix: 16 })
        .collect();
    // Large and mid-size subtrees: ranks 3 to 10 of the popularity order.
    let zones: Vec<Query> = plan
        .ranked_zones()
        .iter()
        .skip(2)
        .take(8)
        .map(|z| Query::parse(&format!("*.{z}")).expect("zone query"))
        .collect();
    // Rdata names with small answers: CNAME and MX targets of sampled
    // names (apexes, www, CDN hosts, mail hosts).
    let mut rdata_small = Vec::new();
    let mut seen = HashSet::new();
    for n in names.iter().take(2048) {
        for e in collect(a, &Query::Name(n.clone())) {
            if e.rrtype == 5 || e.rrtype == 15 {
                for t in pdnsfile::record::rdata_names(e.rrtype, &e.rdata) {
                    if seen.insert(t.to_string()) {
                        rdata_small.push(t.to_string());
                    }
                }
            }
        }
    }
    // Keep targets with small answers (at most 16 entries): the latency
    // case. Popular targets are measured as throughput below.
    rdata_small.retain(|t| {
        let n = a
            .summarize(&Query::RdataName(t.clone()), &Filter::default())
            .expect("count")
            .entries;
        (1..=16).contains(&n)
    });
    rdata_small.truncate(1024);
    let rdata_popular: Vec<String> = plan
        .provider_name_servers()
        .into_iter()
        .filter(|n| {
            a.query(&Query::RdataName(n.clone()), &Filter::default())
                .expect("query")
                .next()
                .is_some()
        })
        .take(6)
        .collect();
    Samples {
        names,
        ipv4,
        ipv6,
        cidr24,
        cidr16,
        zones,
        rdata_small,
        rdata_popular,
    }
}

fn cidr_key(ip: &IpAddr, prefix: u32) -> u32 {
    match ip {
        IpAddr::V4(a) => u32::from(*a) >> (32 - prefix),
        IpAddr::V6(_) => 0,
    }
}

fn count_all(a: &Archive, qs: &[Query]) -> u64 {
    qs.iter()
        .map(|q| a.summarize(q, &Filter::default()).expect("count").entries)
        .sum()
}

/// Times every query once after a warm-up pass; returns a report line.
fn latencies<Q>(what: &str, qs: &[Q], mut run: impl FnMut(&Q) -> usize) -> String {
    for q in qs {
        black_box(run(q));
    }
    let mut t: Vec<Duration> = Vec::with_capacity(qs.len());
    let mut results = 0usize;
    for q in qs {
        let s = Instant::now();
        let n = black_box(run(q));
        t.push(s.elapsed());
        assert!(n > 0, "{what}: empty answer");
        results += n;
    }
    t.sort();
    let pct = |p: f64| t[((t.len() as f64 * p) as usize).min(t.len() - 1)];
    format!(
        "{what:<34} n={:<5} p50 {:>9.2?} p90 {:>9.2?} p99 {:>9.2?} max {:>9.2?}  mean answer {:.1} entries",
        t.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        t[t.len() - 1],
        results as f64 / t.len() as f64
    )
}

struct Baseline {
    entries: Vec<Entry>,
    hash: HashMap<String, (u32, u32)>,
    btree: BTreeMap<String, (u32, u32)>,
}

/// Loads the whole archive into memory (the in-memory baseline), timing
/// the full scan on the way.
fn baseline(a: &Archive) -> (Baseline, String) {
    let t = Instant::now();
    let mut entries = Vec::with_capacity(a.record_count() as usize);
    for e in a.query(&Query::All, &Filter::default()).expect("scan") {
        entries.push(e.expect("entry"));
    }
    let scan = t.elapsed();
    let mut hash = HashMap::with_capacity(a.name_count() as usize);
    let mut btree = BTreeMap::new();
    let mut start = 0usize;
    for i in 1..=entries.len() {
        if i == entries.len() || entries[i].rrname != entries[start].rrname {
            let r = (start as u32, i as u32);
            hash.insert(entries[start].rrname.clone(), r);
            btree.insert(entries[start].rrname.clone(), r);
            start = i;
        }
    }
    let line = format!(
        "full scan (Query::All, entries built) {} entries in {:.2} s = {:.0} entries/s",
        entries.len(),
        scan.as_secs_f64(),
        entries.len() as f64 / scan.as_secs_f64()
    );
    (
        Baseline {
            entries,
            hash,
            btree,
        },
        line,
    )
}

impl Baseline {
    fn get_hash(&self, n: &str) -> Vec<Entry> {
        let &(a, b) = self.hash.get(n).expect("known name");
        self.entries[a as usize..b as usize].to_vec()
    }
    fn get_btree(&self, n: &str) -> Vec<Entry> {
        let &(a, b) = self.btree.get(n).expect("known name");
        self.entries[a as usize..b as usize].to_vec()
    }
}

fn main() {
    let select = Select::from_args();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(50)
        .configure_from_args();
    let dir = data_dir();
    let n = entries_wanted();
    let cfg = Config {
        entries: n,
        seed: SEED,
        ..Config::default()
    };
    let main_path = dir.join(format!("synth-{n}-s{SEED}-g{GENERATOR_VERSION}.pdns"));
    let needs_main = [
        "latency", "open", "lookup", "cidr", "subtree", "fuzzy", "regex", "rdata",
    ]
    .iter()
    .any(|g| select.wants(g));
    if needs_main {
        let a = cached(&main_path, |p| {
            generate_to(p, &cfg, WriterOptions::default());
        });
        let plan = Plan::new(&cfg);
        let s = sample(&a, &plan);
        let mut report = format!(
            "archive {}: {} entries, {} names, {} bytes ({:.2} bytes/entry)\n",
            main_path.display(),
            a.record_count(),
            a.name_count(),
            a.file_len(),
            a.file_len() as f64 / f64::from(a.record_count().max(1))
        );
        let base = if select.wants("latency") || select.wants("lookup_name") {
            let (b, line) = baseline(&a);
            report.push_str(&line);
            report.push('\n');
            Some(b)
        } else {
            None
        };
        if select.wants("latency") {
            latency_report(&a, &s, base.as_ref(), &mut report, &dir, n);
        }
        bench_main(&mut c, &select, &a, &s, base.as_ref(), &main_path);
        drop(base);
    }
    if select.wants("block_size") {
        bench_block_sizes(&mut c, &dir);
    }
    if select.wants("merge") {
        bench_merge(&mut c, &dir);
    }
    if select.wants("build") {
        bench_build(&mut c);
    }
    c.final_summary();
}

fn latency_report(
    a: &Archive,
    s: &Samples,
    base: Option<&Baseline>,
    report: &mut String,
    dir: &Path,
    n: u64,
) {
    let f = Filter::default();
    let lines = [
        latencies("name (archive)", &s.names, |q| {
            a.query(&Query::Name(q.clone()), &f).unwrap().count()
        }),
        latencies("name, first entry only (archive)", &s.names, |q| {
            usize::from(
                a.query(&Query::Name(q.clone()), &f)
                    .unwrap()
                    .next()
                    .is_some(),
            )
        }),
        latencies("ipv4 (archive)", &s.ipv4, |q| {
            a.query(&Query::Ip(*q), &f).unwrap().count()
        }),
        latencies("ipv6 (archive)", &s.ipv6, |q| {
            a.query(&Query::Ip(*q), &f).unwrap().count()
        }),
        latencies("rdata name, small answers (archive)", &s.rdata_small, |q| {
            a.query(&Query::RdataName(q.clone()), &f).unwrap().count()
        }),
        latencies("name_id only (FST lookup)", &s.names, |q| {
            usize::from(a.name_id(q).is_some())
        }),
    ];
    for l in lines {
        report.push_str(&l);
        report.push('\n');
    }
    if let Some(b) = base {
        report.push_str(&latencies("name (HashMap baseline)", &s.names, |q| {
            b.get_hash(q).len()
        }));
        report.push('\n');
        report.push_str(&latencies("name (BTreeMap baseline)", &s.names, |q| {
            b.get_btree(q).len()
        }));
        report.push('\n');
    }
    let _ = writeln!(
        report,
        "query sets: {} names, {} IPv4, {} IPv6, {} /24, {} /16, {} zones, {} small rdata names, popular NS {:?}",
        s.names.len(),
        s.ipv4.len(),
        s.ipv6.len(),
        s.cidr24.len(),
        s.cidr16.len(),
        s.zones.len(),
        s.rdata_small.len(),
        s.rdata_popular
    );
    eprintln!("\n{report}");
    let _ = std::fs::write(dir.join(format!("latency-{n}.txt")), report.as_bytes());
}

fn bench_main(
    c: &mut Criterion,
    select: &Select,
    a: &Archive,
    s: &Samples,
    base: Option<&Baseline>,
    path: &Path,
) {
    let f = Filter::default();

    if select.wants("open") {
        let mut g = c.benchmark_group("open");
        g.bench_function("archive_open", |b| {
            b.iter(|| {
                let a = Archive::open(black_box(path)).unwrap();
                assert!(a.record_count() > 0);
                black_box(a)
            })
        });
        g.finish();
    }

    if select.wants("lookup_name") {
        let mut g = c.benchmark_group("lookup_name");
        g.throughput(Throughput::Elements(1));
        let mut i = 0usize;
        g.bench_function("archive", |b| {
            b.iter(|| {
                let q = Query::Name(s.names[i % s.names.len()].clone());
                i += 1;
                let v = collect(a, black_box(&q));
                assert!(!v.is_empty());
                black_box(v)
            })
        });
        if let Some(base) = base {
            let mut i = 0usize;
            g.bench_function("hashmap_baseline", |b| {
                b.iter(|| {
                    let n = &s.names[i % s.names.len()];
                    i += 1;
                    let v = base.get_hash(black_box(n));
                    assert!(!v.is_empty());
                    black_box(v)
                })
            });
            let mut i = 0usize;
            g.bench_function("btreemap_baseline", |b| {
                b.iter(|| {
                    let n = &s.names[i % s.names.len()];
                    i += 1;
                    let v = base.get_btree(black_box(n));
                    assert!(!v.is_empty());
                    black_box(v)
                })
            });
        }
        g.finish();
    }

    if select.wants("lookup_ip") {
        let mut g = c.benchmark_group("lookup_ip");
        g.throughput(Throughput::Elements(1));
        for (label, ips) in [("v4", &s.ipv4), ("v6", &s.ipv6)] {
            let mut i = 0usize;
            g.bench_function(label, |b| {
                b.iter(|| {
                    let q = Query::Ip(ips[i % ips.len()]);
                    i += 1;
                    let v = collect(a, black_box(&q));
                    assert!(!v.is_empty());
                    black_box(v)
                })
            });
        }
        g.finish();
    }

    if select.wants("cidr") {
        let mut g = c.benchmark_group("cidr");
        g.sample_size(20);
        for (label, qs) in [("v4_24", &s.cidr24), ("v4_16", &s.cidr16)] {
            g.throughput(Throughput::Elements(count_all(a, qs)));
            g.bench_function(label, |b| {
                b.iter(|| {
                    for q in qs.iter() {
                        let n = a.query(black_box(q), &f).unwrap().count();
                        assert!(n > 0);
                        black_box(n);
                    }
                })
            });
        }
        g.finish();
    }

    if select.wants("subtree") {
        let mut g = c.benchmark_group("subtree");
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(count_all(a, &s.zones)));
        g.bench_function("top_zones_stream", |b| {
            b.iter(|| {
                for q in &s.zones {
                    let mut n = 0usize;
                    for e in a.query(black_box(q), &f).unwrap() {
                        black_box(e.unwrap());
                        n += 1;
                    }
                    assert!(n > 0);
                }
            })
        });
        g.bench_function("top_zones_summarize", |b| {
            b.iter(|| {
                for q in &s.zones {
                    let sum = a.summarize(black_box(q), &f).unwrap();
                    assert!(sum.entries > 0);
                    black_box(sum);
                }
            })
        });
        g.finish();
    }

    if select.wants("fuzzy") {
        let brands = [
            "paypal.com",
            "amazon.com",
            "google.com",
            "netflix.com",
            "chase.com",
            "apple.com",
            "ebay.com",
            "dhl.com",
        ];
        let mut g = c.benchmark_group("fuzzy");
        g.sample_size(20);
        for d in [1u8, 2] {
            let mut i = 0usize;
            g.bench_function(format!("distance_{d}"), |b| {
                b.iter(|| {
                    let q = Query::Fuzzy {
                        name: brands[i % brands.len()].to_string(),
                        distance: d,
                    };
                    i += 1;
                    let v = collect(a, black_box(&q));
                    assert!(!v.is_empty());
                    black_box(v)
                })
            });
        }
        g.finish();
    }

    if select.wants("regex") {
        let mut g = c.benchmark_group("regex");
        g.sample_size(10);
        for (label, pats) in [
            (
                "anchored_prefix",
                &[
                    "^login-",
                    "^paypal",
                    "^www\\.amazon",
                    "^mail\\.[a-z]+[0-9]+\\.com$",
                ][..],
            ),
            ("unanchored", &["paypal", "xn--"][..]),
        ] {
            let mut i = 0usize;
            g.bench_function(label, |b| {
                b.iter(|| {
                    let q = Query::Regex(pats[i % pats.len()].to_string());
                    i += 1;
                    let v = collect(a, black_box(&q));
                    assert!(!v.is_empty());
                    black_box(v.len())
                })
            });
        }
        g.finish();
    }

    if select.wants("rdata") {
        let mut g = c.benchmark_group("rdata_name");
        g.throughput(Throughput::Elements(1));
        let mut i = 0usize;
        g.bench_function("small_answers", |b| {
            b.iter(|| {
                let q = Query::RdataName(s.rdata_small[i % s.rdata_small.len()].clone());
                i += 1;
                let v = collect(a, black_box(&q));
                assert!(!v.is_empty());
                black_box(v)
            })
        });
        let popular: Vec<Query> = s
            .rdata_popular
            .iter()
            .map(|n| Query::RdataName(n.clone()))
            .collect();
        g.throughput(Throughput::Elements(count_all(a, &popular)));
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function("popular_ns_stream", |b| {
            b.iter(|| {
                for q in &popular {
                    let n = a.query(black_box(q), &f).unwrap().count();
                    assert!(n > 0);
                    black_box(n);
                }
            })
        });
        g.finish();
    }
}

/// Exact-name lookups on 1 M-entry archives written with different block
/// sizes: the main lever on point-lookup latency.
fn bench_block_sizes(c: &mut Criterion, dir: &Path) {
    let cfg = Config {
        entries: 1_000_000,
        seed: SEED,
        ..Config::default()
    };
    let mut g = c.benchmark_group("block_size");
    g.throughput(Throughput::Elements(1));
    for kb in [4usize, 16, 64] {
        let path = dir.join(format!(
            "synth-1000000-s{SEED}-g{GENERATOR_VERSION}-b{kb}k.pdns"
        ));
        let a = cached(&path, |p| {
            generate_to(
                p,
                &cfg,
                WriterOptions {
                    block_size: kb * 1024,
                    ..WriterOptions::default()
                },
            );
        });
        let nc = a.name_count();
        let names: Vec<String> = (0..4096u32)
            .map(|i| {
                let id = (u64::from(i) * u64::from(nc) / 4096) as u32;
                a.name(id).unwrap()
            })
            .collect();
        eprintln!(
            "block_size {kb} KiB: {} bytes ({:.2} bytes/entry), {} blocks",
            a.file_len(),
            a.file_len() as f64 / f64::from(a.record_count()),
            a.block_count()
        );
        let mut i = 0usize;
        g.bench_function(format!("name_{kb}k"), |b| {
            b.iter(|| {
                let q = Query::Name(names[i % names.len()].clone());
                i += 1;
                let v = collect(&a, black_box(&q));
                assert!(!v.is_empty());
                black_box(v)
            })
        });
    }
    g.finish();
}

/// Two overlapping ~1 M-entry archives (as two nightly files would be):
/// 40 % of keys only in the first, 40 % only in the second, 20 % in both
/// with different times and counts.
fn merge_inputs(dir: &Path) -> (Archive, Archive) {
    let pa = dir.join(format!("merge-a-g{GENERATOR_VERSION}.pdns"));
    let pb = dir.join(format!("merge-b-g{GENERATOR_VERSION}.pdns"));
    if fresh(&pa) && fresh(&pb) {
        if let (Ok(a), Ok(b)) = (Archive::open(&pa), Archive::open(&pb)) {
            return (a, b);
        }
    }
    let g = Generator::new(&Config {
        entries: 1_700_000,
        seed: 7,
        ..Config::default()
    });
    let all = g.entries(default_threads());
    let mut va = Vec::new();
    let mut vb = Vec::new();
    for e in all {
        let h = hash_bytes(format!("{} {} {}", e.rrname, e.rrtype, e.rdata).as_bytes()) % 10;
        match h {
            0..=3 => va.push(e),
            4..=7 => vb.push(e),
            _ => {
                let mut e2 = e.clone();
                e2.time_first += 86_400 * (h % 5);
                e2.time_last += 86_400 * 30;
                e2.count = e2.count.map(|c| c / 2 + 1);
                va.push(e);
                vb.push(e2);
            }
        }
    }
    let a = cached(&pa, |p| write_entries(p, &va));
    let b = cached(&pb, |p| write_entries(p, &vb));
    (a, b)
}

fn bench_merge(c: &mut Criterion, dir: &Path) {
    let (a, b) = merge_inputs(dir);
    let inputs = u64::from(a.record_count()) + u64::from(b.record_count());
    let archives = vec![a, b];
    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(inputs));
    g.bench_function("two_1M_archives_input_records", |bch| {
        bch.iter(|| {
            let out = pdnsfile::merge(&archives, std::io::sink(), WriterOptions::default())
                .expect("merge");
            black_box(out)
        })
    });
    g.finish();
}

fn bench_build(c: &mut Criterion) {
    let g0 = Generator::new(&Config {
        entries: 1_000_000,
        seed: 9,
        ..Config::default()
    });
    let entries = g0.entries(default_threads());
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(entries.len() as u64));
    g.bench_function("writer_1M_sorted_in_memory", |b| {
        b.iter(|| {
            let mut w = Writer::new(std::io::sink(), WriterOptions::default()).expect("writer");
            for e in &entries {
                w.add(e).expect("add");
            }
            black_box(w.finish().expect("finish"))
        })
    });
    g.finish();
}
