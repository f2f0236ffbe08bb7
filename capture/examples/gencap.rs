//! Writes a deterministic synthetic DNS capture for benchmarks: what a
//! resolver-side tap sees, a query and its response for each exchange.
//!
//! ```text
//! cargo run --release -p pdns-capture --example gencap -- OUT.pcap RESPONSES [SEED] [zipf]
//! ```
//!
//! Mix per response (from a seeded generator, so the same arguments give
//! the same bytes): Ethernet (one in ten with an 802.1Q tag), IPv4 (one in
//! ten IPv6), UDP port 53; answers A (1–4 addresses), AAAA, CNAME to an A,
//! MX, TXT; 300 000 distinct names under 5 000 zones, each with stable
//! data, so the builder has repeats to aggregate; an authority NS and an additional A in one
//! response in four. Time advances 1 ms per exchange.
//!
//! With `zipf`, zones and hosts are drawn with a popularity that falls as
//! 1/rank (Zipf's law, s = 1) instead of uniformly: a few names get most
//! of the traffic, as on a real resolver, so far more answers repeat.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use pdns_capture::synth::{self, PcapWriter, Rr};

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// 0 to n-1, rank r drawn with a probability near 1/(r+1).
    fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let x = ((n as f64 + 1.0).ln() * u).exp() as u64;
        x.saturating_sub(1).min(n - 1)
    }
}

fn octet(x: u64) -> u8 {
    u8::try_from(x & 0xff).unwrap_or(0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(n)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok()))
    else {
        eprintln!("usage: gencap OUT.pcap RESPONSES [SEED] [zipf]");
        return ExitCode::from(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42u64);
    let zipf = args.get(4).is_some_and(|a| a == "zipf");
    match write(out, n, seed, zipf) {
        Ok(bytes) => {
            eprintln!(
                "gencap: {out}: {n} responses, {} packets, {bytes} bytes",
                2 * n
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gencap: {out}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(out: &str, n: u64, seed: u64, zipf: bool) -> std::io::Result<u64> {
    let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let mut w = PcapWriter::new(file, 1)?;
    let mut rng = Rng(seed | 1);
    let mut bytes = 24u64;
    let start = 1_764_201_600u64; // 2025-11-27 00:00:00 UTC
    for i in 0..n {
        let (zone, host) = if zipf {
            (rng.zipf(5_000), rng.zipf(60))
        } else {
            (rng.below(5_000), rng.below(60))
        };
        let name = format!("h{host}.zone{zone}.example");
        let kind = rng.below(100);
        let mut answers: Vec<Rr<'_>> = Vec::new();
        let target;
        let mut rdata_mx = Vec::new();
        let mut cname = Vec::new();
        match kind {
            // A name keeps its addresses (1 to 4), as real names mostly
            // do, so repeated answers aggregate.
            0..=54 => {
                for j in 0..=(host % 4) {
                    answers.push(Rr {
                        name: &name,
                        rtype: 1,
                        rdata: vec![10, octet(zone >> 8), octet(zone), octet(host * 4 + j)],
                    });
                }
            }
            55..=69 => {
                let mut a6 = vec![0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0];
                a6.extend_from_slice(&(zone << 8 | host).to_be_bytes());
                answers.push(Rr {
                    name: &name,
                    rtype: 28,
                    rdata: a6,
                });
            }
            70..=84 => {
                let edge = (zone * 7 + host) % 500;
                target = format!("edge{edge}.cdn{}.example", zone % 20);
                synth::push_name(&mut cname, &target);
                answers.push(Rr {
                    name: &name,
                    rtype: 5,
                    rdata: cname.clone(),
                });
                answers.push(Rr {
                    name: &target,
                    rtype: 1,
                    rdata: vec![172, 16, octet(edge >> 8), octet(edge)],
                });
            }
            85..=92 => {
                rdata_mx.extend_from_slice(&10u16.to_be_bytes());
                synth::push_name(&mut rdata_mx, &format!("mx.zone{zone}.example"));
                answers.push(Rr {
                    name: &name,
                    rtype: 15,
                    rdata: rdata_mx.clone(),
                });
            }
            _ => {
                let text = format!("v=spf1 ip4:10.{}.0.0/16 -all", zone % 256);
                let mut t = vec![octet(text.len() as u64)];
                t.extend_from_slice(text.as_bytes());
                answers.push(Rr {
                    name: &name,
                    rtype: 16,
                    rdata: t,
                });
            }
        }
        let zone_name = format!("zone{zone}.example");
        let mut extra = Vec::new();
        let mut ns = Vec::new();
        if rng.below(4) == 0 {
            synth::push_name(&mut ns, &format!("ns1.zone{zone}.example"));
            extra.push(Rr {
                name: &zone_name,
                rtype: 2,
                rdata: ns.clone(),
            });
        }
        let id = u16::try_from(i & 0xffff).unwrap_or(0);
        let q = synth::query(id, &name);
        let r = synth::response(id, &name, &answers, &extra);
        let port = 1024 + u16::try_from(rng.below(60_000)).unwrap_or(0);
        let v6 = rng.below(10) == 0;
        let vlan = rng.below(10) == 0;
        let frame = |from_server: bool, dns: &[u8]| {
            let (sp, dp) = if from_server { (53, port) } else { (port, 53) };
            let u = synth::udp(sp, dp, dns);
            let (ip, et) = if v6 {
                let (s, d) = (
                    [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53],
                    [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7],
                );
                let (s, d) = if from_server { (s, d) } else { (d, s) };
                (synth::ipv6(s, d, 17, &u), 0x86dd)
            } else {
                let (s, d) = (
                    [192, 0, 2, 53],
                    [10, 9, octet(u64::from(port)), octet(u64::from(port) >> 8)],
                );
                let (s, d) = if from_server { (s, d) } else { (d, s) };
                (synth::ipv4(s, d, 17, id, (0, false), &u), 0x0800)
            };
            if vlan {
                let mut tagged = vec![0, 100];
                tagged.extend_from_slice(&u16::to_be_bytes(et));
                tagged.extend_from_slice(&ip);
                synth::ethernet(0x8100, &tagged)
            } else {
                synth::ethernet(et, &ip)
            }
        };
        let t = start * 1_000_000 + i * 1000;
        let (secs, us) = (
            u32::try_from(t / 1_000_000).unwrap_or(u32::MAX),
            u32::try_from(t % 1_000_000).unwrap_or(0),
        );
        let fq = frame(false, &q);
        let fr = frame(true, &r);
        w.packet(secs, us, &fq)?;
        w.packet(secs, us + 400, &fr)?;
        bytes += 32 + fq.len() as u64 + fr.len() as u64;
    }
    let mut f = w.into_inner();
    std::io::Write::flush(&mut f)?;
    Ok(bytes)
}
