//! Planning: which zones exist, in archive key order, and how many entries
//! each one produces.
//!
//! The corpus is cut into *units*: the root, each top-level or public
//! suffix (apex records only), each registered domain (every name at or
//! below it), and each reverse-DNS /24 (`c.b.a.in-addr.arpa`). Units never
//! interleave in key order (a unit whose zone contains another unit's zone
//! holds only its apex), so sorting the units by their reversed zone key
//! and each unit's entries by key gives the whole corpus in archive order
//! with memory bounded by the largest unit.
//!
//! Every unit gets an exact entry count up front, so `--entries N` yields
//! exactly `N` entries, and its own random stream (seeded from the corpus
//! seed and the zone), so units can be generated in any order or in
//! parallel with identical output.

use std::collections::{HashMap, HashSet};

use crate::gen::{self, Hosting};
use crate::ip::{self, p};
use crate::rng::{hash_bytes, mix, Rng, Zipf};
use crate::words::{
    ALNUM, B32, BRANDS, CF_NAMES, CONSONANTS, REGIONS, SUBS, SUFFIXES, VOWELS, WORDS,
};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of entries (unique (rrname, rrtype, rdata) keys).
    pub entries: u64,
    /// The seed; the same seed and size give the same corpus, byte for
    /// byte.
    pub seed: u64,
    /// First second of the observation period (Unix time).
    pub start: u64,
    /// Length of the observation period in seconds.
    pub span: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            entries: 1_000_000,
            seed: 42,
            // 2023-01-01T00:00:00Z, two years.
            start: 1_672_531_200,
            span: 2 * 365 * 86_400,
        }
    }
}

/// The kind of a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The root zone's apex.
    Root,
    /// A top-level domain or public suffix's apex.
    Tld,
    /// A registered domain and everything below it; rank 0 for
    /// infrastructure zones that have no popularity rank.
    Domain { rank: u32 },
    /// A reverse-DNS /24 (`net` holds the first three octets) and the
    /// naming style of its hosts.
    Ptr { net: u32, style: u8 },
}

/// One unit of generation.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    pub zone: String,
    pub kind: Kind,
    pub planned: u64,
}

/// What an infrastructure host resolves to.
#[derive(Clone, Debug)]
pub(crate) enum Role {
    /// A server: one or two A records in the provider's space, AAAA half
    /// of the time; addresses fixed by the host name.
    Server { provider: usize },
    /// A CDN edge name: `n` A records (and as many AAAA half of the time).
    Cdn { provider: usize, n: u8 },
    /// Exactly these A records.
    Fixed(&'static [[u8; 4]]),
    /// Exactly this A record.
    Literal([u8; 4]),
    /// An alias.
    Cname(String),
}

/// A host of an infrastructure zone.
#[derive(Clone, Debug)]
pub(crate) struct InfraHost {
    pub name: String,
    pub role: Role,
}

/// Families of numbered hosts that infrastructure zones hold and that
/// other zones' CNAMEs point into (`make(i)` gives host `i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Maker {
    Cloudfront,
    Akamai,
    Github,
    Shopify,
    Aws,
}

/// An infrastructure zone: fixed hosts generated before anything else.
#[derive(Clone, Debug, Default)]
pub(crate) struct InfraDef {
    pub hosts: Vec<InfraHost>,
    pub maker: Option<Maker>,
}

/// A DNS hosting provider: its name servers, handed out in groups.
#[derive(Clone, Debug)]
pub(crate) struct NsProvider {
    pub name: &'static str,
    pub weight: u32,
    pub hosts: Vec<String>,
    pub group: usize,
    pub parking: bool,
    /// `ns1`/`ns2` inside the domain itself.
    pub self_hosted: bool,
}

impl NsProvider {
    pub fn groups(&self) -> usize {
        if self.self_hosted {
            1
        } else {
            (self.hosts.len() / self.group).max(1)
        }
    }
}

/// How many numbered hosts each CDN-like family has.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    pub cloudfront: u64,
    pub akamai: u64,
    pub github: u64,
    pub shopify: u64,
    pub aws: u64,
}

/// Mail services: host names with preferences, the zone they live in, the
/// SPF include and a weight.
pub(crate) struct MailService {
    pub zone: &'static str,
    pub mx: &'static [(&'static str, u16)],
    pub spf: &'static str,
    pub weight: u32,
    pub provider: usize,
}

pub(crate) const MAIL: &[MailService] = &[
    MailService {
        zone: "google.com",
        mx: &[
            ("aspmx.l.google.com", 1),
            ("alt1.aspmx.l.google.com", 5),
            ("alt2.aspmx.l.google.com", 5),
            ("alt3.aspmx.l.google.com", 10),
            ("alt4.aspmx.l.google.com", 10),
        ],
        spf: "include:_spf.google.com",
        weight: 22,
        provider: p::GCP,
    },
    MailService {
        zone: "hostinger.com",
        mx: &[("mx1.hostinger.com", 5), ("mx2.hostinger.com", 10)],
        spf: "include:_spf.mail.hostinger.com",
        weight: 6,
        provider: p::HOSTINGER,
    },
    MailService {
        zone: "zoho.com",
        mx: &[
            ("mx.zoho.com", 10),
            ("mx2.zoho.com", 20),
            ("mx3.zoho.com", 50),
        ],
        spf: "include:zoho.com",
        weight: 4,
        provider: p::AZURE,
    },
    MailService {
        zone: "privateemail.com",
        mx: &[("mx1.privateemail.com", 10), ("mx2.privateemail.com", 10)],
        spf: "include:spf.privateemail.com",
        weight: 4,
        provider: p::NAMECHEAP,
    },
    MailService {
        zone: "yandex.net",
        mx: &[("mx.yandex.net", 10)],
        spf: "include:_spf.yandex.net",
        weight: 3,
        provider: p::ISP,
    },
    MailService {
        zone: "mail.ru",
        mx: &[("mxs.mail.ru", 10)],
        spf: "include:_spf.mail.ru",
        weight: 2,
        provider: p::ISP,
    },
    MailService {
        zone: "ionos.com",
        mx: &[("mx00.ionos.com", 10), ("mx01.ionos.com", 10)],
        spf: "include:_spf-eu.ionos.com",
        weight: 3,
        provider: p::IONOS,
    },
    MailService {
        zone: "protonmail.ch",
        mx: &[("mail.protonmail.ch", 10), ("mailsec.protonmail.ch", 20)],
        spf: "include:_spf.protonmail.ch",
        weight: 2,
        provider: p::HETZNER,
    },
    MailService {
        zone: "above.com",
        mx: &[("park-mx.above.com", 10)],
        spf: "-all",
        weight: 0,
        provider: p::AWS,
    },
];

/// Index of the parking mail service in [`MAIL`].
pub(crate) const MAIL_PARKING: usize = 8;

/// Shared names Fastly customers CNAME to.
pub(crate) const FASTLY_NAMES: &[&str] = &[
    "dualstack.n.sni.global.fastly.net",
    "n.sni.global.fastly.net",
    "j.sni.global.fastly.net",
    "p.ssl.global.fastly.net",
    "dualstack.k.sni.global.fastly.net",
    "prod.fastly.map.fastly.net",
];

/// Infrastructure zones that also have a popularity rank, most popular
/// first; interleaved with [`BRANDS`] to make the top of the ranking.
const RANKED_INFRA: &[&str] = &[
    "amazonaws.com",
    "cloudfront.net",
    "akamaiedge.net",
    "cloudflare.com",
    "edgekey.net",
    "fastly.net",
    "github.io",
    "domaincontrol.com",
    "myshopify.com",
    "googlehosted.com",
    "squarespace.com",
    "hostgator.com",
    "bluehost.com",
    "ovh.net",
    "hetzner.com",
    "digitalocean.com",
    "hostinger.com",
    "zoho.com",
    "ionos.com",
    "yandex.net",
    "reg.ru",
    "hichina.com",
    "wixdns.net",
    "registrar-servers.com",
    "googledomains.com",
    "privateemail.com",
    "protonmail.ch",
    "sedoparking.com",
    "bodis.com",
    "above.com",
    "dnsmadeeasy.com",
    "nsone.net",
    "ultradns.net",
];

/// Labels that are the first label of a multi-label public suffix; a
/// registered domain may not use them, or it would collide with a suffix.
const RESERVED: &[&str] = &["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"];

/// The whole plan of a corpus.
pub struct Plan {
    pub(crate) cfg: Config,
    pub(crate) units: Vec<Unit>,
    pub(crate) infra: HashMap<String, InfraDef>,
    pub(crate) ns: Vec<NsProvider>,
    pub(crate) ns_weights: Vec<u32>,
    pub(crate) mail_weights: Vec<u32>,
    pub(crate) scale: Scale,
    pub(crate) shared_zipf: Zipf,
    pub(crate) cf_zipf: Zipf,
    pub(crate) subs_zipf: Zipf,
    pub(crate) domain_count: u64,
    pub(crate) ranked: Vec<String>,
    pub(crate) brands: Vec<String>,
}

impl Plan {
    /// Plans a corpus. Takes about a second per 10 M entries.
    pub fn new(cfg: &Config) -> Plan {
        let n = cfg.entries;
        let mut rng = Rng::new(mix(cfg.seed, 0x9e37));
        // Below ~20 k entries the fixed infrastructure (root, TLDs, name
        // servers, CDNs) would crowd out everything else: leave it out.
        let with_infra = n >= 20_000;
        let sc = |div: u64| (n / div).max(8);
        let scale = Scale {
            cloudfront: sc(2_500),
            akamai: sc(2_500),
            github: sc(1_500),
            shopify: sc(3_000),
            aws: sc(2_000),
        };
        let shared_slots = (n / 40).max(64);
        let cf_slots = (n / 150).max(64);
        let mut plan = Plan {
            cfg: cfg.clone(),
            units: Vec::new(),
            infra: HashMap::new(),
            ns: Vec::new(),
            ns_weights: Vec::new(),
            mail_weights: MAIL.iter().map(|m| m.weight).collect(),
            scale,
            shared_zipf: Zipf::new(shared_slots, 1.0),
            cf_zipf: Zipf::new(cf_slots, 0.7),
            subs_zipf: Zipf::new(SUBS.len() as u64, 1.0),
            domain_count: 0,
            ranked: Vec::new(),
            brands: BRANDS.iter().map(|s| (*s).to_string()).collect(),
        };
        plan.ns = ns_providers(n);
        plan.ns_weights = plan.ns.iter().map(|p| p.weight).collect();

        // 1. The ranked zones: brands interleaved with big infrastructure,
        //    then random registered domains.
        let mut zones: HashSet<String> = HashSet::new();
        for (s, _) in SUFFIXES {
            zones.insert((*s).to_string());
            if let Some((_, top)) = s.rsplit_once('.') {
                zones.insert(top.to_string());
            }
        }
        let mut ranked: Vec<String> = Vec::new();
        let mut infra_iter = RANKED_INFRA.iter();
        for b in BRANDS {
            ranked.push((*b).to_string());
            if with_infra {
                if let Some(z) = infra_iter.next() {
                    ranked.push((*z).to_string());
                }
            }
        }
        if with_infra {
            ranked.extend(infra_iter.map(|z| (*z).to_string()));
        }
        for z in &ranked {
            zones.insert(z.clone());
        }
        // Infrastructure hosts (need the zone set to avoid collisions).
        if with_infra {
            plan.add_fixed_infra();
            for z in plan.infra.keys() {
                zones.insert(z.clone());
            }
        }
        // About 10 entries per small domain (a third of the budget) and
        // the rest in the Zipf tail of popular domains.
        let target_domains = (n * 35 / 1000).max(1).min(n);
        let suffix_weights: Vec<u32> = SUFFIXES.iter().map(|&(_, w)| w).collect();
        while (ranked.len() as u64) < target_domains {
            let label = domain_label(&mut rng);
            let zone = if label.contains('.') {
                label
            } else {
                let mut suffix = SUFFIXES[rng.weighted(&suffix_weights)].0;
                if label.starts_with("xn--") && rng.chance(0.5) {
                    suffix = "com";
                }
                format!("{label}.{suffix}")
            };
            if zones.insert(zone.clone()) {
                ranked.push(zone);
            }
        }
        ranked.truncate(target_domains as usize);
        plan.domain_count = ranked.len() as u64;

        // 2. Customer-derived infrastructure hosts (edgekey names, Outlook
        //    MX hosts), now that every domain is known.
        if with_infra {
            for (i, zone) in ranked.iter().enumerate() {
                let rank = i as u32 + 1;
                let mut r = gen::unit_rng(cfg.seed, zone);
                let prof = gen::profile(&plan, zone, rank, &mut r);
                if prof.akamai {
                    let target = akamai_host(hash_bytes(zone.as_bytes()) % scale.akamai);
                    plan.add_host(
                        "edgekey.net",
                        format!("www.{zone}.edgekey.net"),
                        Role::Cname(target),
                    );
                }
                if prof.mail == gen::Mail::Outlook {
                    plan.add_host(
                        "outlook.com",
                        gen::outlook_mx(zone),
                        Role::Server { provider: p::AZURE },
                    );
                }
            }
        }

        // 3. Units and their sizes.
        let mut units: Vec<Unit> = Vec::new();
        let mut fixed_total = 0u64;
        if with_infra {
            units.push(Unit {
                zone: ".".into(),
                kind: Kind::Root,
                planned: 0,
            });
            let mut tlds: Vec<String> = Vec::new();
            for (s, _) in SUFFIXES {
                tlds.push((*s).to_string());
                if let Some((_, top)) = s.rsplit_once('.') {
                    tlds.push(top.to_string());
                }
            }
            tlds.sort();
            tlds.dedup();
            for t in tlds {
                units.push(Unit {
                    zone: t,
                    kind: Kind::Tld,
                    planned: 0,
                });
            }
            let ranked_set: HashSet<&str> = ranked.iter().map(String::as_str).collect();
            let mut unranked: Vec<&String> = plan
                .infra
                .keys()
                .filter(|z| !ranked_set.contains(z.as_str()))
                .collect();
            unranked.sort();
            for z in unranked {
                units.push(Unit {
                    zone: z.clone(),
                    kind: Kind::Domain { rank: 0 },
                    planned: 0,
                });
            }
            // Natural sizes of the fixed units.
            for u in &mut units {
                u.planned = plan.natural_size(u);
                fixed_total += u.planned;
            }
            // Reverse DNS: about 3 % of entries, in /24 blocks.
            let ptr_budget = n * 3 / 100;
            let mut used = HashSet::new();
            let mut left = ptr_budget;
            let ptr_providers: &[(usize, u32)] = &[
                (p::ISP, 40),
                (p::AWS, 15),
                (p::HETZNER, 10),
                (p::OVH, 10),
                (p::GODADDY, 10),
                (p::DIGITALOCEAN, 5),
                (p::HOSTGATOR, 5),
                (p::AZURE, 5),
            ];
            while left > 0 {
                let prov = ip::pick_provider(&mut rng, ptr_providers);
                let net = ip::net24_in(prov, rng.next_u64());
                if !used.insert(net) {
                    continue;
                }
                let style = match prov {
                    p::AWS => 0,
                    p::HETZNER => 1,
                    p::OVH => 2,
                    p::GODADDY => 3,
                    p::ISP => 4 + rng.below(3) as u8,
                    _ => 7,
                };
                let m = if rng.chance(0.4) {
                    rng.range(200, 300)
                } else {
                    rng.log_uniform(8, 200)
                }
                .min(left);
                left -= m;
                let [a, b, c, _] = net.to_be_bytes();
                units.push(Unit {
                    zone: format!("{c}.{b}.{a}.in-addr.arpa"),
                    kind: Kind::Ptr { net, style },
                    planned: m,
                });
                fixed_total += m;
            }
        }
        // If the infrastructure is too large for this size, shrink it.
        if fixed_total > n / 5 {
            let budget = n / 5;
            let mut total = 0;
            for u in &mut units {
                u.planned = (u.planned * budget / fixed_total.max(1)).max(1);
                total += u.planned;
            }
            fixed_total = total;
        }

        // Ranked units: a base size each plus a Zipf share of the rest.
        let domain_budget = n.saturating_sub(fixed_total).max(ranked.len() as u64);
        let mut planned: Vec<u64> = Vec::with_capacity(ranked.len());
        for (i, zone) in ranked.iter().enumerate() {
            let rank = i as u32 + 1;
            let base = if plan.infra.contains_key(zone) {
                plan.natural_size(&Unit {
                    zone: zone.clone(),
                    kind: Kind::Domain { rank },
                    planned: 0,
                })
            } else {
                let mut r = gen::unit_rng(cfg.seed, zone);
                let prof = gen::profile(&plan, zone, rank, &mut r);
                let mut rb = Rng::new(mix(cfg.seed ^ 0xba5e, hash_bytes(zone.as_bytes())));
                if matches!(prof.hosting, Hosting::Parking(_)) {
                    rb.range(3, 6)
                } else {
                    let x = rb.f64();
                    if x < 0.3 {
                        rb.range(4, 7)
                    } else if x < 0.8 {
                        rb.range(7, 14)
                    } else {
                        rb.range(14, 40)
                    }
                }
            };
            planned.push(base);
        }
        let base_sum: u64 = planned.iter().sum();
        if base_sum > domain_budget {
            // Too small for the bases: scale them down (at least 1 each).
            let mut total = 0;
            for c in &mut planned {
                *c = (*c * domain_budget / base_sum).max(1);
                total += *c;
            }
            let mut over = total.saturating_sub(domain_budget);
            for c in planned.iter_mut().rev() {
                if over == 0 {
                    break;
                }
                let take = (*c - 1).min(over);
                *c -= take;
                over -= take;
            }
        } else {
            let extra = domain_budget - base_sum;
            let s = 1.0f64;
            let h: f64 = (1..=planned.len()).map(|r| (r as f64).powf(-s)).sum();
            let mut given = 0u64;
            for (i, c) in planned.iter_mut().enumerate() {
                let share = (extra as f64 * ((i + 1) as f64).powf(-s) / h).floor() as u64;
                *c += share;
                given += share;
            }
            let mut rest = extra - given.min(extra);
            let len = planned.len().max(1);
            let mut i = 0;
            while rest > 0 {
                planned[i % len] += 1;
                rest -= 1;
                i += 1;
            }
        }
        for (i, (zone, c)) in ranked.iter().zip(planned).enumerate() {
            units.push(Unit {
                zone: zone.clone(),
                kind: Kind::Domain { rank: i as u32 + 1 },
                planned: c,
            });
        }
        // Drop units that ended with nothing (possible for tiny sizes).
        units.retain(|u| u.planned > 0);
        units.sort_by_cached_key(|u| pdnsfile::name::reversed_key(&u.zone));
        plan.units = units;
        plan.ranked = ranked;
        plan
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Number of units (zones generated as one piece).
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// Total entries planned (equals the configured count).
    pub fn total_entries(&self) -> u64 {
        self.units.iter().map(|u| u.planned).sum()
    }

    /// Registered domains by popularity rank, most popular first (the
    /// largest subtrees).
    pub fn ranked_zones(&self) -> &[String] {
        &self.ranked
    }

    /// The brand domains typo-squats and phishing names imitate.
    pub fn brands(&self) -> &[String] {
        &self.brands
    }

    /// Every name-server host name of the hosting providers, most used
    /// providers first (rdata-name queries with large answers).
    pub fn provider_name_servers(&self) -> Vec<String> {
        let mut v: Vec<&NsProvider> = self.ns.iter().filter(|p| !p.self_hosted).collect();
        v.sort_by_key(|p| std::cmp::Reverse(p.weight));
        v.iter()
            .flat_map(|p| p.hosts.iter().take(4).cloned())
            .collect()
    }

    /// Planned entries per unit, in generation order, with the zone.
    pub fn unit_sizes(&self) -> impl Iterator<Item = (&str, u64)> {
        self.units.iter().map(|u| (u.zone.as_str(), u.planned))
    }

    fn add_host(&mut self, zone: &str, name: String, role: Role) {
        self.infra
            .entry(zone.to_string())
            .or_default()
            .hosts
            .push(InfraHost { name, role });
    }

    /// The entries a unit makes with no random subdomains (its fixed
    /// part), by generating it and counting.
    fn natural_size(&self, u: &Unit) -> u64 {
        let mut out = Vec::new();
        gen::generate_unit(self, u, u64::MAX, false, &mut out);
        out.len() as u64
    }

    /// Fixed infrastructure: name-server hosts, mail hosts, CDN families,
    /// root and gTLD servers.
    fn add_fixed_infra(&mut self) {
        let ns_hosts: Vec<(String, usize)> = self
            .ns
            .iter()
            .filter(|p| !p.self_hosted)
            .flat_map(|p| {
                let prov = ns_ip_provider(p.name);
                p.hosts.iter().map(move |h| (h.clone(), prov))
            })
            .collect();
        for (h, prov) in ns_hosts {
            let zone = registered_zone(&h);
            self.add_host(&zone, h, Role::Server { provider: prov });
        }
        for m in MAIL {
            for (h, _) in m.mx {
                self.add_host(
                    m.zone,
                    (*h).to_string(),
                    Role::Server {
                        provider: m.provider,
                    },
                );
            }
        }
        let sc = self.scale;
        let families: [(&str, Maker, u64); 5] = [
            ("cloudfront.net", Maker::Cloudfront, sc.cloudfront),
            ("akamaiedge.net", Maker::Akamai, sc.akamai),
            ("github.io", Maker::Github, sc.github),
            ("myshopify.com", Maker::Shopify, sc.shopify),
            ("amazonaws.com", Maker::Aws, sc.aws),
        ];
        for (zone, maker, k) in families {
            let def = self.infra.entry(zone.to_string()).or_default();
            def.maker = Some(maker);
            for i in 0..k {
                def.hosts.push(make_host(maker, i));
            }
        }
        for n in FASTLY_NAMES {
            self.add_host(
                "fastly.net",
                (*n).to_string(),
                Role::Cdn {
                    provider: p::FASTLY,
                    n: 4,
                },
            );
        }
        self.add_host(
            "myshopify.com",
            "shops.myshopify.com".into(),
            Role::Fixed(&[[23, 227, 38, 65]]),
        );
        self.add_host(
            "squarespace.com",
            "ext-cust.squarespace.com".into(),
            Role::Fixed(&[
                [198, 185, 159, 144],
                [198, 185, 159, 145],
                [198, 49, 23, 144],
                [198, 49, 23, 145],
            ]),
        );
        self.add_host(
            "googlehosted.com",
            "ghs.googlehosted.com".into(),
            Role::Server { provider: p::GCP },
        );
        self.add_host(
            "outlook.com",
            "autodiscover.outlook.com".into(),
            Role::Server { provider: p::AZURE },
        );
        for c in b'a'..=b'm' {
            let c = char::from(c);
            self.add_host(
                "root-servers.net",
                format!("{c}.root-servers.net"),
                Role::Server { provider: p::ISP },
            );
            self.add_host(
                "gtld-servers.net",
                format!("{c}.gtld-servers.net"),
                Role::Server { provider: p::ISP },
            );
        }
        for h in ["a0", "a2", "b0", "b2", "c0", "d0"] {
            self.add_host(
                "afilias-nst.info",
                format!("{h}.org.afilias-nst.info"),
                Role::Server { provider: p::ISP },
            );
        }
    }
}

/// The registered domain of an infrastructure host name: its last two
/// labels, or three under a two-label public suffix.
pub(crate) fn registered_zone(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let take = if n >= 3 && RESERVED.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

fn ns_ip_provider(name: &str) -> usize {
    match name {
        "domaincontrol" => p::GODADDY,
        "cloudflare" => p::CLOUDFLARE,
        "awsdns" => p::AWS,
        "registrar-servers" => p::NAMECHEAP,
        "googledomains" => p::GCP,
        "hostgator" => p::HOSTGATOR,
        "bluehost" => p::BLUEHOST,
        "ovh" => p::OVH,
        "hetzner" => p::HETZNER,
        "digitalocean" => p::DIGITALOCEAN,
        "azure-dns" => p::AZURE,
        "hichina" | "reg.ru" => p::ISP,
        _ => p::AWS,
    }
}

/// The name-server providers (weights are shares of registered domains).
fn ns_providers(n: u64) -> Vec<NsProvider> {
    // Large fleets shrink for small corpora so that their host records do
    // not dominate.
    let cap = |full: usize| full.min((n / 4_000) as usize).max(4);
    let mut v = Vec::new();
    let mut add = |name, weight, hosts: Vec<String>, group, parking| {
        v.push(NsProvider {
            name,
            weight,
            hosts,
            group,
            parking,
            self_hosted: false,
        });
    };
    add(
        "domaincontrol",
        24,
        (1..=cap(80))
            .map(|i| format!("ns{i:02}.domaincontrol.com"))
            .collect(),
        2,
        false,
    );
    add(
        "cloudflare",
        16,
        CF_NAMES
            .iter()
            .map(|n| format!("{n}.ns.cloudflare.com"))
            .collect(),
        2,
        false,
    );
    // Route 53: four servers in four TLDs per delegation set.
    let tlds = ["com", "net", "org", "co.uk"];
    add(
        "awsdns",
        8,
        (0..cap(2048))
            .map(|h| format!("ns-{h}.awsdns-{:02}.{}", h / 32, tlds[h % 4]))
            .collect(),
        4,
        false,
    );
    add(
        "registrar-servers",
        8,
        vec![
            "dns1.registrar-servers.com".into(),
            "dns2.registrar-servers.com".into(),
        ],
        2,
        false,
    );
    add(
        "googledomains",
        3,
        ["a", "b", "c", "d", "e"]
            .iter()
            .flat_map(|l| (1..=4).map(move |i| format!("ns-cloud-{l}{i}.googledomains.com")))
            .collect(),
        4,
        false,
    );
    add(
        "hostgator",
        3,
        (1..=cap(2000))
            .map(|i| format!("ns{i}.hostgator.com"))
            .collect(),
        2,
        false,
    );
    add(
        "bluehost",
        3,
        vec!["ns1.bluehost.com".into(), "ns2.bluehost.com".into()],
        2,
        false,
    );
    add(
        "ovh",
        3,
        (1..=cap(200))
            .flat_map(|i| [format!("dns{i}.ovh.net"), format!("ns{i}.ovh.net")])
            .collect(),
        2,
        false,
    );
    add(
        "hetzner",
        2,
        vec![
            "hydrogen.ns.hetzner.com".into(),
            "oxygen.ns.hetzner.com".into(),
            "helium.ns.hetzner.de".into(),
        ],
        3,
        false,
    );
    add(
        "digitalocean",
        2,
        (1..=3).map(|i| format!("ns{i}.digitalocean.com")).collect(),
        3,
        false,
    );
    add(
        "dnsmadeeasy",
        1,
        (0..16).map(|i| format!("ns{i}.dnsmadeeasy.com")).collect(),
        4,
        false,
    );
    add(
        "ultradns",
        1,
        (1..=cap(196))
            .map(|i| format!("pdns{i}.ultradns.net"))
            .collect(),
        2,
        false,
    );
    add(
        "nsone",
        1,
        (1..=cap(99))
            .flat_map(|p| (1..=4).map(move |d| format!("dns{d}.p{p:02}.nsone.net")))
            .collect(),
        4,
        false,
    );
    let azure = ["com", "net", "org", "info"];
    add(
        "azure-dns",
        1,
        (1..=cap(99))
            .flat_map(|g| (1..=4).map(move |d| format!("ns{d}-{g:02}.azure-dns.{}", azure[d - 1])))
            .collect(),
        4,
        false,
    );
    add(
        "wixdns",
        2,
        (0..16).map(|i| format!("ns{i}.wixdns.net")).collect(),
        2,
        false,
    );
    add(
        "hichina",
        2,
        (1..=30).map(|i| format!("dns{i}.hichina.com")).collect(),
        2,
        false,
    );
    add(
        "reg.ru",
        2,
        vec!["ns1.reg.ru".into(), "ns2.reg.ru".into()],
        2,
        false,
    );
    add(
        "sedoparking",
        0,
        vec!["ns1.sedoparking.com".into(), "ns2.sedoparking.com".into()],
        2,
        true,
    );
    add(
        "bodis",
        0,
        vec!["ns1.bodis.com".into(), "ns2.bodis.com".into()],
        2,
        true,
    );
    v.push(NsProvider {
        name: "self",
        weight: 6,
        hosts: Vec::new(),
        group: 2,
        parking: false,
        self_hosted: true,
    });
    v
}

/// Host `i` of a numbered family.
pub(crate) fn make_host(maker: Maker, i: u64) -> InfraHost {
    match maker {
        Maker::Cloudfront => InfraHost {
            name: cloudfront_host(i),
            role: Role::Cdn {
                provider: p::CLOUDFRONT,
                n: 4,
            },
        },
        Maker::Akamai => InfraHost {
            name: akamai_host(i),
            role: Role::Cdn {
                provider: p::AKAMAI,
                n: 1,
            },
        },
        Maker::Github => InfraHost {
            name: github_host(i),
            role: Role::Fixed(ip::GITHUB_PAGES),
        },
        Maker::Shopify => InfraHost {
            name: format!("{}.myshopify.com", user_label(mix(i, 0x5409))),
            role: Role::Cname("shops.myshopify.com".into()),
        },
        Maker::Aws => {
            let h = mix(i, 0xa75);
            if i.is_multiple_of(2) {
                InfraHost {
                    name: format!(
                        "{}-{}-{}.{}.elb.amazonaws.com",
                        WORDS[(h % WORDS.len() as u64) as usize],
                        WORDS[((h >> 16) % WORDS.len() as u64) as usize],
                        1_000_000_000 + (h >> 24) % 999_999_999,
                        REGIONS[((h >> 56) % REGIONS.len() as u64) as usize]
                    ),
                    role: Role::Cdn {
                        provider: p::AWS,
                        n: 2,
                    },
                }
            } else {
                let a = ip::v4_in(p::AWS, h).octets();
                InfraHost {
                    name: format!(
                        "ec2-{}-{}-{}-{}.compute-1.amazonaws.com",
                        a[0], a[1], a[2], a[3]
                    ),
                    role: Role::Literal(a),
                }
            }
        }
    }
}

/// CloudFront distribution host `i`.
pub(crate) fn cloudfront_host(i: u64) -> String {
    let mut h = mix(i, 0xcf);
    let mut s = String::with_capacity(32);
    s.push('d');
    for _ in 0..13 {
        s.push(char::from(B32[(h % 32) as usize]));
        h = h / 32 + mix(h, 1) % 7;
    }
    s.push_str(".cloudfront.net");
    s
}

/// Akamai edge host `i`.
pub(crate) fn akamai_host(i: u64) -> String {
    const MAPS: &[&str] = &["a", "b", "dscb", "dscd", "dscg", "dsce", "dscx", "g"];
    format!("e{}.{}.akamaiedge.net", i + 1, MAPS[(i % 8) as usize])
}

/// GitHub Pages user site `i`.
pub(crate) fn github_host(i: u64) -> String {
    format!("{}.github.io", user_label(mix(i, 0x617)))
}

/// A user-name-like label from a hash.
pub(crate) fn user_label(h: u64) -> String {
    let w = WORDS[(h % WORDS.len() as u64) as usize];
    match (h >> 20) % 4 {
        0 => format!("{w}{}", (h >> 32) % 10_000),
        1 => format!("{w}-{}", WORDS[((h >> 32) % WORDS.len() as u64) as usize]),
        2 => {
            let mut r = Rng::new(h);
            pronounceable(&mut r, 2 + (h >> 40) as usize % 3)
        }
        _ => format!("{w}{}", WORDS[((h >> 32) % WORDS.len() as u64) as usize]),
    }
}

/// A pronounceable label of `syllables` consonant-vowel pairs.
pub(crate) fn pronounceable(rng: &mut Rng, syllables: usize) -> String {
    let mut s = String::with_capacity(syllables * 2 + 1);
    for _ in 0..syllables {
        s.push(char::from(*rng.pick(CONSONANTS)));
        s.push(char::from(*rng.pick(VOWELS)));
    }
    if rng.chance(0.3) {
        s.push(char::from(*rng.pick(CONSONANTS)));
    }
    s
}

/// Random characters from an alphabet.
pub(crate) fn random_str(rng: &mut Rng, alphabet: &[u8], n: usize) -> String {
    (0..n).map(|_| char::from(*rng.pick(alphabet))).collect()
}

/// A registered-domain label (or, for typo-squats of brands, a whole
/// domain with the brand's suffix).
fn domain_label(rng: &mut Rng) -> String {
    let w = |rng: &mut Rng| *rng.pick(WORDS);
    let kind = rng.weighted(&[40, 15, 10, 8, 10, 5, 5, 2, 3, 1, 1]);
    let label = match kind {
        0 => format!("{}{}", w(rng), w(rng)),
        1 => format!("{}-{}", w(rng), w(rng)),
        2 => format!("{}{}", w(rng), rng.below(1000)),
        3 => format!("{}{}{}", w(rng), w(rng), w(rng)),
        4 => {
            let n = rng.range(2, 4) as usize;
            pronounceable(rng, n)
        }
        5 => {
            // Algorithmically generated (DGA-like).
            let n = rng.range(8, 16) as usize;
            random_str(rng, &ALNUM[..26], n)
        }
        6 => {
            // Phishing-style brand combinations.
            let brand = brand_label(rng);
            let extra = *rng.pick(&[
                "login", "secure", "verify", "account", "support", "update", "online", "help",
                "signin", "wallet",
            ]);
            match rng.below(3) {
                0 => format!("{brand}-{extra}"),
                1 => format!("{extra}-{brand}"),
                _ => format!("{brand}{extra}{}", rng.below(100)),
            }
        }
        7 => {
            // Typo-squat: a brand within edit distance 1 or 2, usually
            // under the brand's own suffix.
            let b = *rng.pick(BRANDS);
            let (label, suffix) = b.split_once('.').unwrap_or((b, "com"));
            let mut t = typo(rng, label);
            if rng.chance(0.25) {
                t = typo(rng, &t);
            }
            if rng.chance(0.7) && valid_label(&t) {
                return format!("{t}.{suffix}");
            }
            t
        }
        8 => format!("{}", rng.range(100, 999_999)),
        9 => {
            let n = rng.range(6, 12) as usize;
            format!("xn--{}", random_str(rng, ALNUM, n))
        }
        _ => {
            let n = rng.range(2, 3) as usize;
            format!("{}{}", w(rng), pronounceable(rng, n))
        }
    };
    if valid_label(&label) && !RESERVED.contains(&label.as_str()) {
        label
    } else {
        format!("{}{}", w(rng), rng.below(100_000))
    }
}

fn brand_label(rng: &mut Rng) -> &'static str {
    let b = *rng.pick(BRANDS);
    b.split_once('.').map_or(b, |(l, _)| l)
}

fn valid_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// One typing error or look-alike substitution.
fn typo(rng: &mut Rng, s: &str) -> String {
    let mut b: Vec<u8> = s.bytes().collect();
    if b.len() < 2 {
        b.push(b'x');
        return String::from_utf8_lossy(&b).into_owned();
    }
    let i = rng.index(b.len());
    match rng.below(6) {
        0 => {
            // Look-alike.
            b[i] = match b[i] {
                b'o' => b'0',
                b'l' => b'1',
                b'i' => b'l',
                b'e' => b'3',
                b'a' => b'4',
                b's' => b'5',
                _ => *rng.pick(&ALNUM[..26]),
            };
        }
        1 => b.insert(i, *rng.pick(&ALNUM[..26])),
        2 => {
            b.remove(i);
        }
        3 => {
            let j = if i + 1 < b.len() { i + 1 } else { i - 1 };
            b.swap(i, j);
        }
        4 => {
            let c = b[i];
            b.insert(i, c);
        }
        _ => b[i] = *rng.pick(&ALNUM[..26]),
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sizes() {
        for n in [1u64, 10, 1_000, 25_000, 60_000] {
            let plan = Plan::new(&Config {
                entries: n,
                ..Config::default()
            });
            assert_eq!(plan.total_entries(), n, "n = {n}");
        }
    }

    #[test]
    fn registered_zones() {
        assert_eq!(registered_zone("ns-1.awsdns-00.co.uk"), "awsdns-00.co.uk");
        assert_eq!(registered_zone("adam.ns.cloudflare.com"), "cloudflare.com");
        assert_eq!(registered_zone("a.gtld-servers.net"), "gtld-servers.net");
    }
}
