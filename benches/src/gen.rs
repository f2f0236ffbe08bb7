//! Generating the entries of one unit (see [`crate::plan`]).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::OnceLock;

use pdnsfile::record::encode_rdata;
use pdnsfile::rrtype::known;
use pdnsfile::Entry;

use crate::ip::{self, p};
use crate::plan::{
    akamai_host, cloudfront_host, github_host, make_host, pronounceable, random_str, user_label,
    InfraHost, Kind, Maker, Plan, Role, Unit, FASTLY_NAMES, MAIL, MAIL_PARKING,
};
use crate::rng::{hash_bytes, mix, Rng};
use crate::words::{ALNUM, B32, B64, ISPS, REGIONS, SUBS, WORDS};

const A: u16 = known::A;
const AAAA: u16 = known::AAAA;
const NS: u16 = known::NS;
const CNAME: u16 = known::CNAME;
const SOA: u16 = known::SOA;
const MX: u16 = known::MX;
const TXT: u16 = known::TXT;
const PTR: u16 = known::PTR;
const SRV: u16 = known::SRV;
const HTTPS: u16 = known::HTTPS;
const DS: u16 = 43;
const DNSKEY: u16 = 48;
const CAA: u16 = 257;

/// Source labels, sorted, one bit each in a record's source mask, with the
/// probability that a source saw a given entry.
const SOURCES: &[(&str, f64)] = &[
    ("circl", 0.30),
    ("dnsdb", 0.62),
    ("pcap:sensor-ams1", 0.14),
    ("pcap:sensor-fra2", 0.10),
    ("zeek:corp-dc1", 0.05),
];

/// The sorted label list of every source mask.
fn source_sets() -> &'static [Vec<String>] {
    static SETS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    SETS.get_or_init(|| {
        (0..1usize << SOURCES.len())
            .map(|mask| {
                SOURCES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, (l, _))| (*l).to_string())
                    .collect()
            })
            .collect()
    })
}

/// The random stream of a unit.
pub(crate) fn unit_rng(seed: u64, zone: &str) -> Rng {
    Rng::new(mix(seed, hash_bytes(zone.as_bytes())))
}

/// Where a domain's web names point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Hosting {
    /// A shared-hosting address (pool slot, Zipf-popular).
    Shared(u64),
    /// A Cloudflare anycast pair (pool slot).
    Cloudflare(u64),
    /// A parking address.
    Parking(usize),
    /// Unique addresses at a cloud provider.
    Cloud(usize),
    /// The domain's own /24 blocks (large domains).
    Own { provider: usize, net: u32, n: u32 },
    /// A residential or small-ISP address.
    Isp,
    /// GitHub Pages (user site).
    Github(u64),
    /// Shopify.
    Shopify,
    /// Squarespace.
    Squarespace,
}

/// Where a domain's mail goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mail {
    None,
    Service(usize),
    Outlook,
    SelfHosted,
}

/// The choices that shape a domain, drawn first from its random stream
/// (the planner draws them too, to know CDN and mail customers).
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub hosting: Hosting,
    pub ns: usize,
    pub group: usize,
    pub old_ns: Option<(usize, usize)>,
    pub mail: Mail,
    pub akamai: bool,
    pub v6: bool,
    pub window: (u64, u64),
    pub pop: f64,
}

pub(crate) fn profile(plan: &Plan, _zone: &str, rank: u32, rng: &mut Rng) -> Profile {
    let cfg = &plan.cfg;
    let top = rank > 0 && u64::from(rank) <= (plan.domain_count / 100).max(30);
    let hosting = if top && rng.chance(0.75) {
        let provider = *rng.pick(&[p::AWS, p::GCP, p::AZURE, p::AKAMAI]);
        let n = if rank <= 20 {
            16
        } else if rank <= 200 {
            4
        } else {
            1
        };
        Hosting::Own {
            provider,
            net: ip::net24_in(provider, rng.next_u64()),
            n,
        }
    } else {
        match rng.weighted(&[33, 17, 9, 26, 5, 2, 2, 1]) {
            0 => Hosting::Shared(plan.shared_zipf.sample(rng)),
            1 => Hosting::Cloudflare(plan.cf_zipf.sample(rng)),
            2 => Hosting::Parking(rng.weighted(&[30, 20, 15, 10, 8, 6, 4, 3, 2, 2])),
            3 => Hosting::Cloud(ip::pick_provider(rng, ip::CLOUDS)),
            4 => Hosting::Isp,
            5 => Hosting::Github(rng.below(plan.scale.github)),
            6 => Hosting::Shopify,
            _ => Hosting::Squarespace,
        }
    };
    let parking = matches!(hosting, Hosting::Parking(_));
    let find = |name: &str| plan.ns.iter().position(|p| p.name == name).unwrap_or(0);
    let ns = if parking {
        let parkers: Vec<usize> = (0..plan.ns.len()).filter(|&i| plan.ns[i].parking).collect();
        parkers.get(rng.index(parkers.len())).copied().unwrap_or(0)
    } else if matches!(hosting, Hosting::Cloudflare(_)) && rng.chance(0.85) {
        find("cloudflare")
    } else {
        rng.weighted(&plan.ns_weights)
    };
    let group = rng.index(plan.ns[ns].groups());
    let old_ns = if rng.chance(0.08) {
        let o = rng.weighted(&plan.ns_weights);
        Some((o, rng.index(plan.ns[o].groups())))
    } else {
        None
    };
    let mail = if parking {
        if rng.chance(0.5) {
            Mail::Service(MAIL_PARKING)
        } else {
            Mail::None
        }
    } else {
        match rng.weighted(&[28, 8, 14, 24]) {
            0 => Mail::None,
            1 => Mail::Outlook,
            2 => Mail::SelfHosted,
            _ => Mail::Service(rng.weighted(&plan.mail_weights)),
        }
    };
    let akamai = !parking && rng.chance(if top { 0.3 } else { 0.006 });
    let v6 = rng.chance(match hosting {
        Hosting::Cloudflare(_) => 0.95,
        Hosting::Own { .. } => 0.6,
        Hosting::Github(_) => 0.5,
        Hosting::Cloud(_) => 0.2,
        Hosting::Shared(_) => 0.15,
        _ => 0.03,
    });
    let end = cfg.start + cfg.span;
    let w0 = if top || rng.chance(0.45) {
        cfg.start
    } else {
        cfg.start + rng.below(cfg.span * 9 / 10)
    };
    let w1 = if top || rng.chance(0.7) {
        end
    } else {
        (w0 + rng.log_uniform(86_400, end - w0)).min(end)
    };
    let pop = if rank > 0 {
        (100_000.0 / f64::from(rank)).sqrt().max(1.0)
    } else {
        3.0
    };
    Profile {
        hosting,
        ns,
        group,
        old_ns,
        mail,
        akamai,
        v6,
        window: (w0, w1),
        pop,
    }
}

/// The Outlook MX host of a domain.
pub(crate) fn outlook_mx(zone: &str) -> String {
    format!("{}.mail.protection.outlook.com", zone.replace('.', "-"))
}

struct Rec {
    t: u16,
    rdata: String,
    tf: u64,
    tl: u64,
    count: Option<u64>,
    src: u8,
    /// 0: no bailiwick, 1: the unit's zone, 2: its parent.
    bw: u8,
}

struct NameRecs {
    name: String,
    recs: Vec<Rec>,
}

/// Collects one unit's records, unique per key, up to the planned count.
pub(crate) struct Builder {
    rng: Rng,
    zone: String,
    planned: u64,
    count: u64,
    names: Vec<NameRecs>,
    index: HashMap<String, usize>,
    window: (u64, u64),
    pop: f64,
}

impl Builder {
    fn new(plan: &Plan, zone: &str, planned: u64) -> Builder {
        let cfg = &plan.cfg;
        Builder {
            rng: unit_rng(cfg.seed, zone),
            zone: zone.to_string(),
            planned,
            count: 0,
            names: Vec::new(),
            index: HashMap::new(),
            window: (cfg.start, cfg.start + cfg.span),
            pop: 1.0,
        }
    }

    fn full(&self) -> bool {
        self.count >= self.planned
    }

    fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Adds a record unless the unit is full or the key exists.
    fn add(&mut self, name: &str, t: u16, rdata: String) {
        if self.full() {
            return;
        }
        debug_assert!(
            self.zone == "."
                || name == self.zone
                || (name.len() > self.zone.len()
                    && name.ends_with(self.zone.as_str())
                    && name.as_bytes()[name.len() - self.zone.len() - 1] == b'.'),
            "{name} outside {}",
            self.zone
        );
        let i = match self.index.get(name) {
            Some(&i) => {
                if self.names[i]
                    .recs
                    .iter()
                    .any(|r| r.t == t && r.rdata == rdata)
                {
                    return;
                }
                i
            }
            None => {
                self.names.push(NameRecs {
                    name: name.to_string(),
                    recs: Vec::new(),
                });
                self.index.insert(name.to_string(), self.names.len() - 1);
                self.names.len() - 1
            }
        };
        let (tf, tl, count) = self.stamp();
        let mut src = 0u8;
        for (k, (_, pr)) in SOURCES.iter().enumerate() {
            if self.rng.chance(*pr) {
                src |= 1 << k;
            }
        }
        if src == 0 {
            src = 2; // dnsdb
        }
        // Sensors and DNSDB report the bailiwick; CIRCL and Zeek do not.
        let bw = if src & 0b01110 != 0 && self.rng.chance(0.8) {
            if t == NS && name == self.zone {
                2
            } else {
                1
            }
        } else {
            0
        };
        self.names[i].recs.push(Rec {
            t,
            rdata,
            tf,
            tl,
            count,
            src,
            bw,
        });
        self.count += 1;
    }

    /// First/last seen and count for one record: a third persist through
    /// the domain's lifetime, a quarter are seen once, the rest for a
    /// log-uniform while; counts are Pareto, scaled by duration and
    /// popularity.
    fn stamp(&mut self) -> (u64, u64, Option<u64>) {
        let (w0, w1) = self.window;
        let len = w1 - w0;
        let r = self.rng.f64();
        let (tf, tl) = if r < 0.3 {
            let a = w0 + self.rng.below(len / 8 + 1);
            let b = w1 - self.rng.below(len / 8 + 1);
            (a.min(b), a.max(b))
        } else if r < 0.55 {
            let t = w0 + self.rng.below(len + 1);
            (t, t)
        } else {
            let a = w0 + self.rng.below(len + 1);
            let d = self.rng.log_uniform(60, (w1 - a).max(60));
            (a, (a + d).min(w1).max(a))
        };
        let c = if tf == tl {
            self.rng.pareto(1.0, 2.5)
        } else {
            let days = (tl - tf) as f64 / 86_400.0 + 1.0;
            self.rng.pareto(1.0, 1.16) * days.powf(0.6) * self.pop
        };
        let count = if self.rng.chance(0.01) {
            None
        } else {
            Some((c as u64).clamp(1, 10_000_000_000))
        };
        (tf, tl, count)
    }

    /// The records of an infrastructure host.
    fn host(&mut self, h: &InfraHost) {
        let hh = hash_bytes(h.name.as_bytes());
        match &h.role {
            Role::Server { provider } => {
                self.add(&h.name, A, ip::v4_in(*provider, hh).to_string());
                if hh % 10 < 3 {
                    self.add(&h.name, A, ip::v4_in(*provider, hh + 1).to_string());
                }
                if hh.is_multiple_of(2) {
                    let a = ip::v6_in(*provider, hh >> 8, hh >> 16);
                    self.add(&h.name, AAAA, a.to_string());
                }
            }
            Role::Cdn { provider, n } => {
                // Edge names rotate through many addresses over time.
                let n = u64::from(*n);
                let k = n + self.rng.below(2 * n + 1);
                for j in 0..k {
                    let a = ip::v4_in(*provider, mix(hh, j));
                    self.add(&h.name, A, a.to_string());
                }
                if hh.is_multiple_of(2) {
                    for j in 0..n {
                        let a = ip::v6_in(*provider, mix(hh, 100 + j), mix(hh, 200 + j));
                        self.add(&h.name, AAAA, a.to_string());
                    }
                }
            }
            Role::Fixed(list) => {
                for a in *list {
                    self.add(&h.name, A, Ipv4Addr::from(*a).to_string());
                }
            }
            Role::Literal(a) => self.add(&h.name, A, Ipv4Addr::from(*a).to_string()),
            Role::Cname(t) => self.add(&h.name, CNAME, t.clone()),
        }
    }

    /// Sorts names by reversed key and each name's records by type and
    /// stored rdata, and appends the entries.
    fn finish(self, out: &mut Vec<Entry>) {
        let sets = source_sets();
        let zone = self.zone;
        let parent = match zone.split_once('.') {
            Some((_, p)) if !p.is_empty() => p.to_string(),
            _ => ".".to_string(),
        };
        let mut order: Vec<(Vec<u8>, usize)> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (pdnsfile::name::reversed_key(&n.name), i))
            .collect();
        order.sort_unstable();
        let mut names = self.names;
        out.reserve(self.count as usize);
        for (_, i) in order {
            let nr = &mut names[i];
            let mut recs = std::mem::take(&mut nr.recs);
            recs.sort_by_cached_key(|r| (r.t, encode_rdata(r.t, &r.rdata)));
            for r in recs {
                out.push(Entry {
                    rrname: nr.name.clone(),
                    rrtype: r.t,
                    rdata: r.rdata,
                    time_first: r.tf,
                    time_last: r.tl,
                    count: r.count,
                    sources: sets[usize::from(r.src)].clone(),
                    bailiwick: match r.bw {
                        1 => Some(zone.clone()),
                        2 => Some(parent.clone()),
                        _ => None,
                    },
                });
            }
        }
    }
}

/// Generates one unit's entries, in key order, into `out`: at most
/// `planned` of them, and with random subdomains only when `subs`.
pub(crate) fn generate_unit(plan: &Plan, u: &Unit, planned: u64, subs: bool, out: &mut Vec<Entry>) {
    let mut b = Builder::new(plan, &u.zone, planned);
    match u.kind {
        Kind::Root => gen_root(&mut b),
        Kind::Tld => gen_tld(&mut b),
        Kind::Domain { rank } => gen_domain(&mut b, plan, rank, subs),
        Kind::Ptr { net, style } => gen_ptr(&mut b, net, style),
    }
    b.finish(out);
}

fn b64(rng: &mut Rng, n: usize) -> String {
    random_str(rng, B64, n)
}

fn hex_upper(rng: &mut Rng, n: usize) -> String {
    random_str(rng, b"0123456789ABCDEF", n)
}

/// `YYYYMMDD` of a Unix time (proleptic Gregorian, after Hinnant).
fn ymd(t: u64) -> u64 {
    let z = (t / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y * 10_000 + m * 100 + d) as u64
}

fn serial(b: &mut Builder, style: u64) -> u64 {
    let (w0, w1) = b.window;
    let t = w0 + b.rng.below(w1 - w0 + 1);
    match style % 3 {
        0 => ymd(t) * 100 + b.rng.below(10),
        1 => t,
        _ => 1 + b.rng.below(5_000),
    }
}

fn gen_root(b: &mut Builder) {
    b.pop = 1_000.0;
    for c in b'a'..=b'm' {
        b.add(".", NS, format!("{}.root-servers.net", char::from(c)));
    }
    for _ in 0..3 {
        let s = ymd(b.window.0 + b.rng.below(b.window.1 - b.window.0)) * 100;
        b.add(
            ".",
            SOA,
            format!("a.root-servers.net nstld.verisign-grs.com {s} 1800 900 604800 86400"),
        );
    }
    for flags in [257, 256, 256] {
        let key = b64(&mut b.rng, if flags == 257 { 344 } else { 172 });
        b.add(".", DNSKEY, format!("{flags} 3 8 AwEAA{key}"));
    }
}

fn gen_tld(b: &mut Builder) {
    b.pop = 300.0;
    let tld = b.zone.clone();
    let ns: Vec<String> = match tld.as_str() {
        "com" | "net" => (b'a'..=b'm')
            .map(|c| format!("{}.gtld-servers.net", char::from(c)))
            .collect(),
        "org" => ["a0", "a2", "b0", "b2", "c0", "d0"]
            .iter()
            .map(|h| format!("{h}.org.afilias-nst.info"))
            .collect(),
        _ => {
            let n = 4 + b.rng.below(3) as u8;
            (0..n)
                .map(|i| format!("{}.nic.{tld}", char::from(b'a' + i)))
                .collect()
        }
    };
    for n in &ns {
        b.add(&tld, NS, n.clone());
    }
    let mname = ns.first().cloned().unwrap_or_default();
    let rname = if tld == "com" || tld == "net" {
        "nstld.verisign-grs.com".to_string()
    } else {
        format!("hostmaster.nic.{tld}")
    };
    for _ in 0..2 {
        let s = serial(b, 1);
        b.add(
            &tld,
            SOA,
            format!("{mname} {rname} {s} 1800 900 604800 86400"),
        );
    }
    let dss = 1 + b.rng.below(2);
    for _ in 0..dss {
        let tag = b.rng.below(65_536);
        let digest = hex_upper(&mut b.rng, 64);
        b.add(&tld, DS, format!("{tag} 8 2 {digest}"));
    }
}

fn gen_ptr(b: &mut Builder, net: u32, style: u8) {
    let [a, bb, c, _] = net.to_be_bytes();
    let isp = ISPS[(hash_bytes(&net.to_be_bytes()) % ISPS.len() as u64) as usize];
    let mut hosts: Vec<u8> = (1..=254).collect();
    // Fisher-Yates, so partial /24s hold a random subset.
    for i in (1..hosts.len()).rev() {
        let j = b.rng.index(i + 1);
        hosts.swap(i, j);
    }
    let word = WORDS[(hash_bytes(&net.to_le_bytes()) % WORDS.len() as u64) as usize];
    let ptr_name = |d: u8| -> String {
        match style {
            0 => format!("ec2-{a}-{bb}-{c}-{d}.compute-1.amazonaws.com"),
            1 => format!("static.{d}.{c}.{bb}.{a}.clients.your-server.de"),
            2 => format!("ip{d}.ip-{a}-{bb}-{c}.eu"),
            3 => format!("ip-{a}-{bb}-{c}-{d}.ip.secureserver.net"),
            4 => format!("{d}-{c}-{bb}-{a}.dyn.{isp}"),
            5 => format!("host-{a}-{bb}-{c}-{d}.{isp}"),
            6 => format!("c-{a}-{bb}-{c}-{d}.hsd1.ca.comcast.net"),
            _ => format!("server{d}.{word}hosting.com"),
        }
    };
    let zone = b.zone.clone();
    let mut round = 0;
    while !b.full() {
        for &d in &hosts {
            if b.full() {
                break;
            }
            let name = format!("{d}.{zone}");
            if round == 0 {
                b.add(&name, PTR, ptr_name(d));
            }
            // A vanity name set by a customer, now or later.
            if b.rng.chance(if round == 0 { 0.12 } else { 0.5 }) {
                let v = format!(
                    "{}.{}{}.com",
                    *b.rng.pick(&["mail", "www", "vpn", "smtp", "server"]),
                    *b.rng.pick(WORDS),
                    *b.rng.pick(WORDS)
                );
                b.add(&name, PTR, v);
            }
        }
        round += 1;
    }
}

fn ns_names(plan: &Plan, provider: usize, group: usize, zone: &str) -> Vec<String> {
    let p = &plan.ns[provider];
    if p.self_hosted {
        return vec![format!("ns1.{zone}"), format!("ns2.{zone}")];
    }
    let g = p.group;
    p.hosts.iter().skip(group * g).take(g).cloned().collect()
}

fn shared_ip(slot: u64) -> Ipv4Addr {
    let mut r = Rng::new(mix(slot, 0x5a5a));
    let provider = ip::pick_provider(&mut r, ip::SHARED_HOSTS);
    ip::v4_in(provider, mix(slot, 0x77))
}

fn apex_v4(prof: &Profile, h: u64) -> Vec<Ipv4Addr> {
    match prof.hosting {
        Hosting::Shared(slot) => vec![shared_ip(slot)],
        Hosting::Cloudflare(slot) => {
            let (a, b, _, _) = ip::cloudflare_pair(slot);
            vec![a, b]
        }
        Hosting::Parking(i) => vec![Ipv4Addr::from(ip::PARKING[i % ip::PARKING.len()])],
        Hosting::Cloud(provider) => {
            let mut v = vec![ip::v4_in(provider, h)];
            if h.is_multiple_of(5) {
                v.push(ip::v4_in(provider, h ^ 0xff));
            }
            v
        }
        Hosting::Own { net, n, .. } => {
            let mut v = vec![ip::v4_in_24(net + 256 * (h % u64::from(n)) as u32, h >> 8)];
            if h.is_multiple_of(3) {
                v.push(ip::v4_in_24(net, h >> 16));
            }
            v
        }
        Hosting::Isp => vec![ip::v4_in(p::ISP, h)],
        Hosting::Github(_) => ip::GITHUB_PAGES
            .iter()
            .map(|a| Ipv4Addr::from(*a))
            .collect(),
        Hosting::Shopify => vec![Ipv4Addr::new(23, 227, 38, 65)],
        Hosting::Squarespace => vec![
            Ipv4Addr::new(198, 185, 159, 144),
            Ipv4Addr::new(198, 185, 159, 145),
        ],
    }
}

fn apex_v6(prof: &Profile, h: u64) -> Vec<String> {
    match prof.hosting {
        Hosting::Cloudflare(slot) => {
            let (_, _, a, b) = ip::cloudflare_pair(slot);
            vec![a.to_string(), b.to_string()]
        }
        Hosting::Shared(slot) => {
            let mut r = Rng::new(mix(slot, 0x5a5a));
            let provider = ip::pick_provider(&mut r, ip::SHARED_HOSTS);
            vec![ip::v6_in(provider, slot, slot).to_string()]
        }
        Hosting::Own { provider, net, .. } => {
            vec![ip::v6_in(provider, u64::from(net), h).to_string()]
        }
        Hosting::Cloud(provider) => vec![ip::v6_in(provider, h, h >> 3).to_string()],
        Hosting::Github(_) => (0..4).map(|i| format!("2606:50c0:800{i}::153")).collect(),
        _ => vec![ip::v6_in(p::ISP, h, h >> 5).to_string()],
    }
}

/// An address for a subdomain: mostly where the domain is hosted, else a
/// unique cloud address.
fn sub_v4(b: &mut Builder, prof: &Profile) -> Ipv4Addr {
    match prof.hosting {
        Hosting::Shared(slot) if b.rng.chance(0.65) => shared_ip(slot),
        Hosting::Cloudflare(slot) if b.rng.chance(0.7) => {
            let (x, y, _, _) = ip::cloudflare_pair(slot);
            if b.rng.chance(0.5) {
                x
            } else {
                y
            }
        }
        Hosting::Own { net, n, .. } if b.rng.chance(0.85) => {
            let k = b.rng.below(u64::from(n)) as u32;
            let host = b.rng.log_uniform(1, 254);
            ip::v4_in_24(net + 256 * k, host - 1)
        }
        Hosting::Parking(i) if b.rng.chance(0.5) => {
            Ipv4Addr::from(ip::PARKING[i % ip::PARKING.len()])
        }
        _ => ip::random_in(&mut b.rng, ip::CLOUDS),
    }
}

fn soa_rname(plan: &Plan, provider: usize, zone: &str) -> (String, &'static str) {
    match plan.ns[provider].name {
        "cloudflare" => ("dns.cloudflare.com".into(), "10000 2400 604800 3600"),
        "awsdns" => (
            "awsdns-hostmaster.amazon.com".into(),
            "7200 900 1209600 86400",
        ),
        "domaincontrol" => ("dns.jomax.net".into(), "28800 7200 604800 600"),
        "googledomains" => (
            "cloud-dns-hostmaster.google.com".into(),
            "21600 3600 259200 300",
        ),
        _ => (format!("hostmaster.{zone}"), "10800 3600 604800 3600"),
    }
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

fn gen_domain(b: &mut Builder, plan: &Plan, rank: u32, subs: bool) {
    let zone = b.zone.clone();
    let prof = profile(plan, &zone, rank, &mut b.rng);
    b.window = prof.window;
    b.pop = prof.pop;
    let def = plan.infra.get(&zone);
    if let Some(def) = def {
        for h in &def.hosts {
            b.host(h);
        }
    }
    let h = hash_bytes(zone.as_bytes());

    // Delegation.
    let ns = ns_names(plan, prof.ns, prof.group, &zone);
    for n in &ns {
        b.add(&zone, NS, n.clone());
    }
    if let Some((o, g)) = prof.old_ns {
        for n in ns_names(plan, o, g, &zone) {
            b.add(&zone, NS, n);
        }
    }
    // Apex addresses (and, a quarter of the time, an older one).
    let apex = apex_v4(&prof, h);
    for a in &apex {
        b.add(&zone, A, a.to_string());
    }
    if b.rng.chance(0.25) {
        let old = ip::random_in(&mut b.rng, ip::CLOUDS);
        b.add(&zone, A, old.to_string());
    }
    // SOA, with a few serials over time.
    let mname = ns.first().cloned().unwrap_or_else(|| format!("ns1.{zone}"));
    let (rname, timers) = soa_rname(plan, prof.ns, &zone);
    let versions = 1 + u32::from(b.rng.chance(0.3)) + u32::from(b.rng.chance(0.1));
    for _ in 0..versions {
        let s = serial(b, h);
        b.add(&zone, SOA, format!("{mname} {rname} {s} {timers}"));
    }
    // www.
    let www = format!("www.{zone}");
    if prof.akamai {
        b.add(&www, CNAME, format!("www.{zone}.edgekey.net"));
    } else {
        match prof.hosting {
            Hosting::Github(u) => b.add(&www, CNAME, github_host(u)),
            Hosting::Shopify => b.add(&www, CNAME, "shops.myshopify.com".into()),
            Hosting::Squarespace => b.add(&www, CNAME, "ext-cust.squarespace.com".into()),
            _ => {
                let r = b.rng.f64();
                if r < 0.55 {
                    for a in &apex {
                        b.add(&www, A, a.to_string());
                    }
                } else if r < 0.8 {
                    b.add(&www, CNAME, zone.clone());
                } else if r < 0.88 {
                    let i = b.rng.below(plan.scale.cloudfront);
                    b.add(&www, CNAME, cloudfront_host(i));
                }
            }
        }
    }
    // Mail.
    let spf = match prof.mail {
        Mail::None => b.rng.chance(0.3).then(|| "v=spf1 -all".to_string()),
        Mail::Service(i) => {
            let m = &MAIL[i % MAIL.len()];
            for (host, pref) in m.mx {
                b.add(&zone, MX, format!("{pref} {host}"));
            }
            Some(format!("v=spf1 {} ~all", m.spf))
        }
        Mail::Outlook => {
            b.add(&zone, MX, format!("0 {}", outlook_mx(&zone)));
            Some("v=spf1 include:spf.protection.outlook.com -all".to_string())
        }
        Mail::SelfHosted => {
            let mail = format!("mail.{zone}");
            b.add(&zone, MX, format!("10 {mail}"));
            if let Some(a) = apex.first() {
                b.add(&mail, A, a.to_string());
            }
            Some("v=spf1 a mx ~all".to_string())
        }
    };
    if let Some(spf) = spf {
        b.add(&zone, TXT, quoted(&spf));
    }
    if b.rng.chance(0.25) {
        let v = random_str(&mut b.rng, B64, 43).replace(['+', '/'], "_");
        b.add(&zone, TXT, quoted(&format!("google-site-verification={v}")));
    }
    if b.rng.chance(0.08) {
        let v = 10_000_000 + b.rng.below(89_999_999);
        b.add(&zone, TXT, quoted(&format!("MS=ms{v}")));
    }
    if b.rng.chance(0.06) {
        let v = random_str(&mut b.rng, ALNUM, 30);
        b.add(
            &zone,
            TXT,
            quoted(&format!("facebook-domain-verification={v}")),
        );
    }
    if prof.v6 {
        for a in apex_v6(&prof, h) {
            b.add(&zone, AAAA, a);
        }
    }
    if let Hosting::Cloudflare(slot) = prof.hosting {
        if b.rng.chance(0.7) {
            let (x, y, x6, y6) = ip::cloudflare_pair(slot);
            let v = format!("1 . alpn=h3,h2 ipv4hint={x},{y} ipv6hint={x6},{y6}");
            b.add(&zone, HTTPS, v.clone());
            b.add(&www, HTTPS, v);
        }
    }
    if plan.ns[prof.ns].self_hosted {
        for n in &ns {
            let a = ip::random_in(&mut b.rng, ip::CLOUDS);
            b.add(n, A, a.to_string());
        }
    }
    // cPanel's standard names on shared hosting, all on one address.
    if let Hosting::Shared(slot) = prof.hosting {
        if b.rng.chance(0.6) {
            let a = shared_ip(slot).to_string();
            for s in [
                "ftp",
                "mail",
                "webmail",
                "cpanel",
                "webdisk",
                "cpcalendars",
                "cpcontacts",
                "autodiscover",
            ] {
                b.add(&format!("{s}.{zone}"), A, a.clone());
            }
        }
    }
    if prof.mail != Mail::None && b.rng.chance(0.35) {
        let policy = *b.rng.pick(&["none", "quarantine", "reject"]);
        b.add(
            &format!("_dmarc.{zone}"),
            TXT,
            quoted(&format!(
                "v=DMARC1; p={policy}; rua=mailto:dmarc@{zone}; fo=1"
            )),
        );
    }
    if b.rng.chance(0.15) {
        if prof.mail == Mail::Outlook {
            let tenant = format!(
                "{}{}",
                zone.split('.').next().unwrap_or("x"),
                b.rng.below(100)
            );
            let dashed = zone.replace('.', "-");
            for sel in ["selector1", "selector2"] {
                b.add(
                    &format!("{sel}._domainkey.{zone}"),
                    CNAME,
                    format!("{sel}-{dashed}._domainkey.{tenant}.onmicrosoft.com"),
                );
            }
        } else {
            let sel = if prof.mail == Mail::Service(0) {
                "google"
            } else {
                *b.rng.pick(&["default", "k1", "s1", "mail", "dkim"])
            };
            let key = b64(&mut b.rng, 300);
            let (k1, k2) = key.split_at(200);
            b.add(
                &format!("{sel}._domainkey.{zone}"),
                TXT,
                format!(
                    "\"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA{k1}\" \"{k2}IDAQAB\""
                ),
            );
        }
    }
    if prof.mail == Mail::Outlook {
        b.add(
            &format!("autodiscover.{zone}"),
            CNAME,
            "autodiscover.outlook.com".into(),
        );
        if b.rng.chance(0.4) {
            b.add(
                &format!("_sip._tls.{zone}"),
                SRV,
                "100 1 443 sipdir.online.lync.com".into(),
            );
            b.add(
                &format!("_sipfederationtls._tcp.{zone}"),
                SRV,
                "100 1 5061 sipfed.online.lync.com".into(),
            );
            b.add(
                &format!("lyncdiscover.{zone}"),
                CNAME,
                "webdir.online.lync.com".into(),
            );
            b.add(
                &format!("enterpriseregistration.{zone}"),
                CNAME,
                "enterpriseregistration.windows.net".into(),
            );
        }
    }
    if b.rng.chance(0.06) {
        b.add(&zone, CAA, "0 issue \"letsencrypt.org\"".into());
        if b.rng.chance(0.5) {
            b.add(&zone, CAA, "0 issue \"digicert.com\"".into());
        }
        if b.rng.chance(0.3) {
            b.add(&zone, CAA, format!("0 iodef \"mailto:security@{zone}\""));
        }
    }
    if !subs {
        return;
    }
    let maker = def.and_then(|d| d.maker);
    while !b.full() {
        random_sub(b, plan, &prof, maker);
    }
}

fn maker_count(plan: &Plan, m: Maker) -> u64 {
    match m {
        Maker::Cloudfront => plan.scale.cloudfront,
        Maker::Akamai => plan.scale.akamai,
        Maker::Github => plan.scale.github,
        Maker::Shopify => plan.scale.shopify,
        Maker::Aws => plan.scale.aws,
    }
}

fn sub_label(b: &mut Builder, plan: &Plan) -> String {
    let p_common = if b.planned < 60 {
        0.85
    } else if b.planned < 2_000 {
        0.45
    } else {
        0.12
    };
    let r = &mut b.rng;
    if r.chance(p_common) {
        let i = plan.subs_zipf.sample(r) as usize - 1;
        return SUBS[i.min(SUBS.len() - 1)].to_string();
    }
    match r.below(10) {
        0 => format!("{}{}", r.pick(WORDS), r.below(100)),
        1 => format!(
            "{}{}",
            r.pick(&["srv", "host", "web", "node", "vm", "mx", "app", "db"]),
            r.below(10_000)
        ),
        2 => format!("ip-10-{}-{}-{}", r.below(256), r.below(256), r.below(256)),
        3 => {
            let n = r.range(8, 12) as usize;
            random_str(r, b"0123456789abcdef", n)
        }
        4 => format!("{}.{}", r.pick(SUBS), r.pick(REGIONS)),
        5 => format!("{}.{}", r.pick(WORDS), r.pick(SUBS)),
        6 => format!("{}-{}", r.pick(WORDS), r.pick(WORDS)),
        7 => user_label(r.next_u64()),
        8 => format!("{}{}", r.pick(SUBS), r.below(100)),
        _ => random_str(r, B32, 16),
    }
}

fn cname_target(b: &mut Builder, plan: &Plan, name: &str) -> String {
    let zone = b.zone.clone();
    let r = b.rng.f64();
    if r < 0.3 {
        if b.rng.chance(0.5) {
            zone
        } else {
            format!("www.{zone}")
        }
    } else if r < 0.45 && !b.names.is_empty() {
        let i = b.rng.index(b.names.len());
        let t = b.names[i].name.clone();
        if t == name {
            zone
        } else {
            t
        }
    } else if r < 0.62 {
        cloudfront_host(b.rng.below(plan.scale.cloudfront))
    } else if r < 0.70 {
        github_host(b.rng.below(plan.scale.github))
    } else if r < 0.76 {
        make_host(Maker::Aws, 2 * b.rng.below(plan.scale.aws / 2 + 1)).name
    } else if r < 0.82 {
        (*b.rng.pick(FASTLY_NAMES)).to_string()
    } else if r < 0.86 {
        "ghs.googlehosted.com".to_string()
    } else if r < 0.89 {
        akamai_host(b.rng.below(plan.scale.akamai))
    } else if r < 0.94 {
        format!("{}.azurewebsites.net", user_label(b.rng.next_u64()))
    } else {
        format!(
            "{}-{}.herokudns.com",
            pronounceable(&mut b.rng, 3),
            random_str(&mut b.rng, b"0123456789abcdef", 12)
        )
    }
}

fn random_sub(b: &mut Builder, plan: &Plan, prof: &Profile, maker: Option<Maker>) {
    if let Some(m) = maker {
        if b.rng.chance(0.6) {
            let i = maker_count(plan, m) + b.rng.below(1 << 40);
            let h = make_host(m, i);
            if !b.has(&h.name) {
                b.host(&h);
            }
            return;
        }
    }
    let zone = b.zone.clone();
    let label = sub_label(b, plan);
    let name = format!("{label}.{zone}");
    if b.has(&name) {
        // A known name seen again at a new address.
        if b.rng.chance(0.5) {
            let a = sub_v4(b, prof);
            b.add(&name, A, a.to_string());
        }
        return;
    }
    let r = b.rng.f64();
    if r < 0.60 {
        let k = if b.rng.chance(0.8) {
            1
        } else {
            b.rng.range(2, 4)
        };
        for _ in 0..k {
            let a = sub_v4(b, prof);
            b.add(&name, A, a.to_string());
        }
        if b.rng.chance(if prof.v6 { 0.5 } else { 0.2 }) {
            let hh = hash_bytes(name.as_bytes());
            let a = match prof.hosting {
                Hosting::Own { provider, net, .. } => ip::v6_in(provider, u64::from(net), hh),
                Hosting::Cloudflare(slot) => ip::cloudflare_pair(slot).2,
                _ => ip::v6_in(ip::pick_provider(&mut b.rng, ip::CLOUDS), hh, hh >> 7),
            };
            b.add(&name, AAAA, a.to_string());
        }
    } else if r < 0.83 {
        let t = cname_target(b, plan, &name);
        b.add(&name, CNAME, t);
        if b.rng.chance(0.15) {
            let t = cname_target(b, plan, &name);
            b.add(&name, CNAME, t);
        }
    } else if r < 0.87 {
        let v = random_str(&mut b.rng, B64, 43).replace(['+', '/'], "-");
        b.add(&format!("_acme-challenge.{name}"), TXT, quoted(&v));
    } else if r < 0.89 {
        let v = match b.rng.below(3) {
            0 => format!("google-site-verification={}", b64(&mut b.rng, 43)),
            1 => format!(
                "apple-domain-verification={}",
                random_str(&mut b.rng, ALNUM, 16)
            ),
            _ => format!("atlassian-domain-verification={}", b64(&mut b.rng, 64)),
        };
        b.add(&name, TXT, quoted(&v.replace(['+', '/'], "_")));
    } else if r < 0.905 {
        b.add(&name, MX, format!("10 mail.{zone}"));
        let a = sub_v4(b, prof);
        b.add(&format!("mail.{zone}"), A, a.to_string());
    } else if r < 0.92 {
        let o = b.rng.weighted(&plan.ns_weights);
        let g = b.rng.index(plan.ns[o].groups());
        for n in ns_names(plan, o, g, &name) {
            if n.ends_with(zone.as_str()) && n != name {
                // In-zone name servers of a delegated child need glue.
                let a = ip::random_in(&mut b.rng, ip::CLOUDS);
                if n.ends_with(&format!(".{name}")) {
                    b.add(&n, A, a.to_string());
                }
            }
            b.add(&name, NS, n);
        }
    } else if r < 0.93 {
        let (svc, port) = *b.rng.pick(&[
            ("_xmpp-server._tcp", 5269),
            ("_xmpp-client._tcp", 5222),
            ("_sip._udp", 5060),
            ("_ldap._tcp", 389),
            ("_kerberos._udp", 88),
            ("_minecraft._tcp", 25565),
            ("_caldavs._tcp", 443),
        ]);
        let prio = b.rng.below(20);
        let w = b.rng.below(100);
        b.add(
            &format!("{svc}.{name}"),
            SRV,
            format!("{prio} {w} {port} {name}"),
        );
    } else if r < 0.94 {
        b.add(&name, HTTPS, "1 . alpn=h2,h3".into());
        let a = sub_v4(b, prof);
        b.add(&name, A, a.to_string());
    } else if r < 0.945 {
        b.add(&name, CAA, "0 issue \"letsencrypt.org\"".into());
    } else {
        let a = ip::random_in(&mut b.rng, ip::CLOUDS);
        b.add(&name, A, a.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(ymd(0), 19_700_101);
        assert_eq!(ymd(1_672_531_200), 20_230_101);
        assert_eq!(ymd(1_709_164_800), 20_240_229);
    }
}
