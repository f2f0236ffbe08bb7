//! The deterministic synthetic pDNS data generator used by the benchmarks.
//!
//! [`Generator`] turns a [`Config`] (entry count, seed, time span) into a
//! corpus of passive DNS entries shaped like real sensor and provider data:
//!
//! - registered domains whose sizes follow a Zipf law (a few with 10⁵
//!   names, most with a handful) under a realistic TLD mix, with brands,
//!   typo-squats (`paypa1.com`), phishing-style (`paypal-secure.xyz`),
//!   algorithmic (DGA-like) and IDN-looking names;
//! - the usual subdomains (`www`, `mail`, `api`, `cdn`, cPanel's names,
//!   `_dmarc`, DKIM selectors, `_acme-challenge`, SRV services) plus
//!   random-looking hosts and deep names;
//! - shared-hosting and Cloudflare addresses carrying thousands of names,
//!   a few parking addresses carrying far more, a long tail of unique cloud
//!   and residential addresses, about a tenth of records IPv6;
//! - popular name servers (`ns01.domaincontrol.com`,
//!   `<name>.ns.cloudflare.com`, Route 53 delegation sets) and mail hosts
//!   (`aspmx.l.google.com`, Outlook) shared by many domains;
//! - CNAME chains into CDNs (`www.x.com → www.x.com.edgekey.net →
//!   e123.a.akamaiedge.net → A`), CloudFront, GitHub Pages, Shopify, ELB;
//! - the type mix of passive DNS (A dominant, then AAAA, CNAME, NS, TXT,
//!   MX, SOA, PTR, SRV, HTTPS, CAA, and DS/DNSKEY at the top of the tree);
//! - two years of first/last-seen times, Pareto-distributed counts scaled
//!   by duration and popularity, and five sources.
//!
//! Output is in archive key order, each key once, so it can go straight
//! into a [`pdnsfile::Writer`] ([`write_archive`]) or be written as sorted
//! COF JSON lines ([`write_cof`]). Memory is bounded by the largest
//! registered domain (see [`plan`]); generation runs on worker threads
//! while the caller consumes. The same configuration gives the same bytes
//! on every machine: the PRNG is in [`rng`], not borrowed from a crate
//! whose streams may change between versions.

use std::io::{self, Write};
use std::sync::mpsc;

use pdnsfile::{Entry, Writer, WriterOptions};

mod gen;
pub mod ip;
pub mod plan;
pub mod rng;
pub mod words;

pub use plan::{Config, Plan};

/// Bump when the generated corpus changes for a given configuration, so
/// cached benchmark data is rebuilt.
pub const GENERATOR_VERSION: u32 = 1;

/// Generates a planned corpus.
pub struct Generator {
    plan: Plan,
    /// Unit index ranges handed to workers as one batch each.
    batches: Vec<(usize, usize)>,
}

impl Generator {
    /// Plans the corpus (about a second per 10 M entries).
    pub fn new(cfg: &Config) -> Generator {
        let plan = Plan::new(cfg);
        // Batches of at least 16 k entries keep channel traffic low.
        let mut batches = Vec::new();
        let (mut start, mut size) = (0usize, 0u64);
        for (i, u) in plan.units.iter().enumerate() {
            size += u.planned;
            if size >= 16_384 {
                batches.push((start, i + 1));
                start = i + 1;
                size = 0;
            }
        }
        if start < plan.units.len() {
            batches.push((start, plan.units.len()));
        }
        Generator { plan, batches }
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Appends the entries of unit `i` (in key order) to `out`.
    pub fn unit(&self, i: usize, out: &mut Vec<Entry>) {
        if let Some(u) = self.plan.units.get(i) {
            gen::generate_unit(&self.plan, u, u.planned, true, out);
        }
    }

    /// Generates every entry on `threads` worker threads (at least one),
    /// applies `map` to each batch there, and hands the results to `f` on
    /// the calling thread in key order. Stops at the first error of `f`.
    ///
    /// # Errors
    ///
    /// The first error `f` returns.
    pub fn run<T, E, M, F>(&self, threads: usize, map: M, mut f: F) -> Result<(), E>
    where
        T: Send,
        M: Fn(Vec<Entry>) -> T + Sync,
        F: FnMut(T) -> Result<(), E>,
    {
        let threads = threads.max(1);
        let batches = &self.batches;
        std::thread::scope(|s| {
            let mut rxs = Vec::with_capacity(threads);
            for t in 0..threads {
                let (tx, rx) = mpsc::sync_channel::<T>(4);
                rxs.push(rx);
                let map = &map;
                s.spawn(move || {
                    for &(a, b) in batches.iter().skip(t).step_by(threads) {
                        let mut v = Vec::new();
                        for i in a..b {
                            self.unit(i, &mut v);
                        }
                        if tx.send(map(v)).is_err() {
                            return; // the consumer stopped
                        }
                    }
                });
            }
            for j in 0..batches.len() {
                // A worker only hangs up after sending all its batches.
                let Ok(item) = rxs[j % threads].recv() else {
                    break;
                };
                f(item)?;
            }
            Ok(())
        })
    }

    /// Calls `f` on every entry in key order.
    ///
    /// # Errors
    ///
    /// The first error `f` returns.
    pub fn for_each<E>(
        &self,
        threads: usize,
        mut f: impl FnMut(&Entry) -> Result<(), E>,
    ) -> Result<(), E> {
        self.run(threads, |v| v, |v| v.iter().try_for_each(&mut f))
    }

    /// Every entry, in key order, in memory (about 250 bytes an entry).
    pub fn entries(&self, threads: usize) -> Vec<Entry> {
        let mut out = Vec::with_capacity(self.plan.total_entries() as usize);
        let _ = self.run(
            threads,
            |v| v,
            |mut v| {
                out.append(&mut v);
                Ok::<(), ()>(())
            },
        );
        out
    }
}

/// Worker threads to use by default: all cores but the consumer's.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

/// Writes the corpus as an archive and returns the output and the number
/// of entries.
///
/// # Errors
///
/// What the writer reports.
pub fn write_archive<W: Write>(
    g: &Generator,
    out: W,
    opts: WriterOptions,
    threads: usize,
) -> pdnsfile::Result<(W, u64)> {
    let mut w = Writer::new(out, opts)?;
    let mut n = 0u64;
    g.for_each(threads, |e| {
        n += 1;
        w.add(e)
    })?;
    Ok((w.finish()?, n))
}

/// Writes the corpus as sorted COF JSON lines (formatted on the worker
/// threads) and returns the number of entries.
///
/// # Errors
///
/// I/O errors.
pub fn write_cof<W: Write>(g: &Generator, out: &mut W, threads: usize) -> io::Result<u64> {
    let mut n = 0u64;
    g.run(
        threads,
        |v| {
            let mut s = String::with_capacity(v.len() * 180);
            for e in &v {
                s.push_str(&pdnsfile::cof::to_line(e));
                s.push('\n');
            }
            (v.len() as u64, s)
        },
        |(k, s)| {
            n += k;
            out.write_all(s.as_bytes())
        },
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn small(n: u64, seed: u64) -> Generator {
        Generator::new(&Config {
            entries: n,
            seed,
            ..Config::default()
        })
    }

    #[test]
    fn sorted_unique_normalized_exact() {
        let g = small(60_000, 7);
        let v = g.entries(2);
        assert_eq!(v.len(), 60_000);
        for w in v.windows(2) {
            assert_eq!(
                w[0].cmp_key(&w[1]),
                std::cmp::Ordering::Less,
                "{:?} !< {:?}",
                (&w[0].rrname, w[0].rrtype, &w[0].rdata),
                (&w[1].rrname, w[1].rrtype, &w[1].rdata)
            );
        }
        for e in &v {
            let n = Entry::new(&e.rrname, e.rrtype, &e.rdata, 0, 0, None).unwrap();
            assert_eq!((&n.rrname, &n.rdata), (&e.rrname, &e.rdata));
            if let Some(b) = &e.bailiwick {
                assert_eq!(&pdnsfile::name::normalize(b).unwrap(), b);
            }
            assert!(e.time_first <= e.time_last);
            assert!(!e.sources.is_empty());
        }
    }

    #[test]
    fn deterministic_across_thread_counts() {
        let a = small(30_000, 3).entries(1);
        let b = small(30_000, 3).entries(3);
        assert_eq!(a, b);
        let c = small(30_000, 4).entries(1);
        assert_ne!(a, c);
    }

    #[test]
    fn realistic_mix() {
        let v = small(100_000, 11).entries(2);
        let mut by_type: BTreeMap<u16, usize> = BTreeMap::new();
        for e in &v {
            *by_type.entry(e.rrtype).or_default() += 1;
        }
        let share = |t: u16| by_type.get(&t).copied().unwrap_or(0) as f64 / v.len() as f64;
        assert!(share(1) > 0.4, "A {}", share(1));
        for t in [28, 5, 2, 15, 16, 6, 12, 33, 65, 257] {
            assert!(share(t) > 0.0005, "type {t}: {}", share(t));
        }
        assert!(share(28) > 0.05 && share(5) > 0.05);
    }

    #[test]
    fn archive_round_trip() {
        let g = small(25_000, 5);
        let (bytes, n) = write_archive(&g, Vec::new(), WriterOptions::default(), 2).unwrap();
        assert_eq!(n, 25_000);
        let a = pdnsfile::Archive::from_vec(bytes).unwrap();
        a.verify().unwrap();
        assert_eq!(a.record_count(), 25_000);
        let mut cof = Vec::new();
        assert_eq!(write_cof(&g, &mut cof, 2).unwrap(), 25_000);
        let first = String::from_utf8(cof).unwrap();
        let line = first.lines().nth(1000).unwrap();
        let e = pdnsfile::cof::from_line(line).unwrap().remove(0);
        let q = pdnsfile::Query::Name(e.rrname.clone());
        let got: Vec<Entry> = a
            .query(&q, &pdnsfile::Filter::default())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(got.contains(&e));
    }
}
