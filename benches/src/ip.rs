//! The address model: hosting providers with their IPv4 and IPv6 ranges,
//! the shared-hosting and Cloudflare pools (few addresses, many names), the
//! parking addresses (very few addresses, very many names) and the long
//! tail of unique cloud and residential addresses.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::rng::{mix, Rng};

/// A provider's address space.
pub struct Provider {
    /// Short name (used in reverse-DNS names).
    pub name: &'static str,
    /// IPv4 prefixes as (first octets, prefix length).
    pub v4: &'static [([u8; 4], u8)],
    /// The IPv6 prefix (a /32 or shorter) as its first 32 bits.
    pub v6: u32,
}

/// Provider indexes, for readability.
pub mod p {
    /// GoDaddy.
    pub const GODADDY: usize = 0;
    /// HostGator.
    pub const HOSTGATOR: usize = 1;
    /// Bluehost.
    pub const BLUEHOST: usize = 2;
    /// Hostinger.
    pub const HOSTINGER: usize = 3;
    /// OVH.
    pub const OVH: usize = 4;
    /// Hetzner.
    pub const HETZNER: usize = 5;
    /// DigitalOcean.
    pub const DIGITALOCEAN: usize = 6;
    /// Amazon Web Services.
    pub const AWS: usize = 7;
    /// Google Cloud.
    pub const GCP: usize = 8;
    /// Azure.
    pub const AZURE: usize = 9;
    /// IONOS.
    pub const IONOS: usize = 10;
    /// Namecheap.
    pub const NAMECHEAP: usize = 11;
    /// Cloudflare.
    pub const CLOUDFLARE: usize = 12;
    /// Akamai.
    pub const AKAMAI: usize = 13;
    /// Fastly.
    pub const FASTLY: usize = 14;
    /// CloudFront.
    pub const CLOUDFRONT: usize = 15;
    /// Residential ISPs (the long tail).
    pub const ISP: usize = 16;
}

/// The providers, indexed by the constants in [`p`].
pub const PROVIDERS: &[Provider] = &[
    Provider {
        name: "godaddy",
        v4: &[([160, 153, 0, 0], 16), ([184, 168, 0, 0], 16)],
        v6: 0x2603_0003,
    },
    Provider {
        name: "hostgator",
        v4: &[([192, 185, 0, 0], 16), ([108, 167, 128, 0], 17)],
        v6: 0x2607_fa90,
    },
    Provider {
        name: "bluehost",
        v4: &[([162, 241, 0, 0], 16), ([50, 87, 0, 0], 16)],
        v6: 0x2607_f5d8,
    },
    Provider {
        name: "hostinger",
        v4: &[([145, 14, 0, 0], 16), ([153, 92, 0, 0], 16)],
        v6: 0x2a02_4780,
    },
    Provider {
        name: "ovh",
        v4: &[
            ([51, 68, 0, 0], 16),
            ([51, 91, 0, 0], 16),
            ([54, 36, 0, 0], 16),
            ([137, 74, 0, 0], 16),
        ],
        v6: 0x2001_41d0,
    },
    Provider {
        name: "hetzner",
        v4: &[
            ([88, 198, 0, 0], 16),
            ([78, 46, 0, 0], 15),
            ([135, 181, 0, 0], 16),
            ([95, 216, 0, 0], 16),
        ],
        v6: 0x2a01_04f8,
    },
    Provider {
        name: "digitalocean",
        v4: &[
            ([159, 89, 0, 0], 16),
            ([167, 99, 0, 0], 16),
            ([138, 68, 0, 0], 16),
            ([104, 248, 0, 0], 16),
        ],
        v6: 0x2604_a880,
    },
    Provider {
        name: "aws",
        v4: &[
            ([52, 0, 0, 0], 11),
            ([54, 144, 0, 0], 12),
            ([3, 208, 0, 0], 12),
            ([18, 204, 0, 0], 14),
        ],
        v6: 0x2600_1f18,
    },
    Provider {
        name: "gcp",
        v4: &[([34, 64, 0, 0], 10), ([35, 184, 0, 0], 13)],
        v6: 0x2600_1900,
    },
    Provider {
        name: "azure",
        v4: &[
            ([20, 0, 0, 0], 11),
            ([40, 112, 0, 0], 13),
            ([52, 224, 0, 0], 11),
        ],
        v6: 0x2603_1030,
    },
    Provider {
        name: "ionos",
        v4: &[([217, 160, 0, 0], 16), ([82, 165, 0, 0], 16)],
        v6: 0x2001_08d8,
    },
    Provider {
        name: "namecheap",
        v4: &[
            ([198, 54, 112, 0], 20),
            ([162, 0, 208, 0], 20),
            ([68, 65, 120, 0], 21),
        ],
        v6: 0x2a06_98c0,
    },
    Provider {
        name: "cloudflare",
        v4: &[([104, 16, 0, 0], 12), ([172, 64, 0, 0], 13)],
        v6: 0x2606_4700,
    },
    Provider {
        name: "akamai",
        v4: &[
            ([23, 0, 0, 0], 12),
            ([104, 64, 0, 0], 10),
            ([184, 24, 0, 0], 13),
        ],
        v6: 0x2a02_26f0,
    },
    Provider {
        name: "fastly",
        v4: &[([151, 101, 0, 0], 16), ([199, 232, 0, 0], 16)],
        v6: 0x2a04_4e42,
    },
    Provider {
        name: "cloudfront",
        v4: &[
            ([13, 32, 0, 0], 15),
            ([13, 224, 0, 0], 14),
            ([18, 64, 0, 0], 14),
            ([99, 84, 0, 0], 16),
            ([143, 204, 0, 0], 16),
        ],
        v6: 0x2600_9000,
    },
    Provider {
        name: "isp",
        v4: &[
            ([73, 0, 0, 0], 8),
            ([24, 0, 0, 0], 8),
            ([86, 0, 0, 0], 8),
            ([91, 0, 0, 0], 8),
            ([176, 0, 0, 0], 8),
            ([5, 0, 0, 0], 8),
            ([109, 0, 0, 0], 8),
            ([188, 0, 0, 0], 8),
            ([2, 0, 0, 0], 8),
            ([112, 0, 0, 0], 8),
            ([117, 0, 0, 0], 8),
            ([180, 0, 0, 0], 8),
            ([187, 0, 0, 0], 8),
            ([201, 0, 0, 0], 8),
            ([41, 0, 0, 0], 8),
            ([197, 0, 0, 0], 8),
        ],
        v6: 0x2a02_8100,
    },
];

/// Shared-hosting providers and their weights.
pub const SHARED_HOSTS: &[(usize, u32)] = &[
    (p::GODADDY, 30),
    (p::HOSTGATOR, 12),
    (p::BLUEHOST, 12),
    (p::HOSTINGER, 14),
    (p::OVH, 10),
    (p::IONOS, 8),
    (p::NAMECHEAP, 10),
    (p::HETZNER, 6),
    (p::DIGITALOCEAN, 4),
];

/// Cloud providers (unique addresses) and their weights.
pub const CLOUDS: &[(usize, u32)] = &[
    (p::AWS, 40),
    (p::GCP, 15),
    (p::AZURE, 15),
    (p::DIGITALOCEAN, 10),
    (p::HETZNER, 10),
    (p::OVH, 10),
];

/// Parking services' addresses: a handful of IPs carrying a large share of
/// all registered domains.
pub const PARKING: &[[u8; 4]] = &[
    [199, 59, 243, 222],
    [199, 59, 243, 223],
    [76, 223, 54, 146],
    [13, 248, 169, 48],
    [34, 102, 136, 180],
    [3, 33, 130, 190],
    [15, 197, 148, 33],
    [35, 186, 238, 101],
    [91, 195, 240, 94],
    [64, 190, 63, 222],
];

/// GitHub Pages addresses.
pub const GITHUB_PAGES: &[[u8; 4]] = &[
    [185, 199, 108, 153],
    [185, 199, 109, 153],
    [185, 199, 110, 153],
    [185, 199, 111, 153],
];

/// An address `h` (any hash) inside provider `p`'s IPv4 space, avoiding
/// `.0` and `.255`.
pub fn v4_in(provider: usize, h: u64) -> Ipv4Addr {
    let prov = &PROVIDERS[provider % PROVIDERS.len()];
    let (base, len) = prov.v4[(h % prov.v4.len() as u64) as usize];
    let size = 1u64 << (32 - u32::from(len));
    let off = (mix(h, 0x1234) % size) as u32;
    let mut a = u32::from(Ipv4Addr::from(base)) + off;
    match a & 0xff {
        0 => a += 1,
        255 => a -= 1,
        _ => {}
    }
    Ipv4Addr::from(a)
}

/// An address of the /24 `net` (its first three octets as the high bits of
/// a u32), host part from `h`.
pub fn v4_in_24(net: u32, h: u64) -> Ipv4Addr {
    Ipv4Addr::from((net & 0xffff_ff00) | (1 + (h % 254) as u32))
}

/// The /24 (as a u32 with a zero last octet) that `h` picks in provider
/// `p`'s space.
pub fn net24_in(provider: usize, h: u64) -> u32 {
    u32::from(v4_in(provider, h)) & 0xffff_ff00
}

/// An IPv6 address in provider `p`'s /32: a /64 from `net`, an interface
/// id from `host`. Cloud-ish ids are random; small ids (`::1`, `::25`) are
/// common on servers, so a quarter get one.
pub fn v6_in(provider: usize, net: u64, host: u64) -> Ipv6Addr {
    let prov = &PROVIDERS[provider % PROVIDERS.len()];
    let hi = (u128::from(prov.v6) << 96) | (u128::from(net & 0xffff_ffff) << 64);
    let iid = if host.is_multiple_of(4) {
        u128::from(host >> 2) % 0x100 + 1
    } else {
        u128::from(mix(host, 0x66))
    };
    Ipv6Addr::from(hi | iid)
}

/// The pair of Cloudflare anycast addresses given to the proxied domains of
/// pool slot `slot` (many domains share one slot).
pub fn cloudflare_pair(slot: u64) -> (Ipv4Addr, Ipv4Addr, Ipv6Addr, Ipv6Addr) {
    let h = mix(slot, 0xc1f);
    let a = Ipv4Addr::new(
        104,
        16 + (h % 16) as u8,
        (h >> 8) as u8,
        1 + ((h >> 16) % 254) as u8,
    );
    let b = Ipv4Addr::new(
        172,
        64 + ((h >> 24) % 8) as u8,
        (h >> 32) as u8,
        1 + ((h >> 40) % 254) as u8,
    );
    let a6 = Ipv6Addr::new(
        0x2606,
        0x4700,
        0x3030,
        0,
        0,
        0,
        0x6815 + ((h >> 48) % 16) as u16,
        (h >> 8) as u16,
    );
    let b6 = Ipv6Addr::new(
        0x2606,
        0x4700,
        0x3031,
        0,
        0,
        0,
        0xac40 + ((h >> 52) % 8) as u16,
        (h >> 32) as u16,
    );
    (a, b, a6, b6)
}

/// A provider chosen from a weighted table.
pub fn pick_provider(rng: &mut Rng, table: &[(usize, u32)]) -> usize {
    let total: u64 = table.iter().map(|&(_, w)| u64::from(w)).sum();
    let mut x = rng.below(total);
    for &(provider, w) in table {
        if x < u64::from(w) {
            return provider;
        }
        x -= u64::from(w);
    }
    table.first().map_or(p::AWS, |&(provider, _)| provider)
}

/// A random unicast address in a provider chosen from `table`.
pub fn random_in(rng: &mut Rng, table: &[(usize, u32)]) -> Ipv4Addr {
    let provider = pick_provider(rng, table);
    v4_in(provider, rng.next_u64())
}
