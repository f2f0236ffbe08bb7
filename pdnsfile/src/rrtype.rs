//! Resource record types: the number on the wire and its mnemonic.

/// Known type mnemonics, sorted by number. Anything else is shown as
/// `TYPEnnn` (RFC 3597 section 5).
const TYPES: &[(u16, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (3, "MD"),
    (4, "MF"),
    (5, "CNAME"),
    (6, "SOA"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (10, "NULL"),
    (11, "WKS"),
    (12, "PTR"),
    (13, "HINFO"),
    (14, "MINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (24, "SIG"),
    (25, "KEY"),
    (26, "PX"),
    (27, "GPOS"),
    (28, "AAAA"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (33, "SRV"),
    (34, "ATMA"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (38, "A6"),
    (39, "DNAME"),
    (40, "SINK"),
    (41, "OPT"),
    (42, "APL"),
    (43, "DS"),
    (44, "SSHFP"),
    (45, "IPSECKEY"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (49, "DHCID"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (62, "CSYNC"),
    (63, "ZONEMD"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (66, "DSYNC"),
    (99, "SPF"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (261, "RESINFO"),
    (262, "WALLET"),
    (32768, "TA"),
    (32769, "DLV"),
];

/// Type numbers with well-known meaning in this crate.
pub mod known {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Name server.
    pub const NS: u16 = 2;
    /// Canonical name.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Domain name pointer.
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
    /// Delegation name.
    pub const DNAME: u16 = 39;
    /// Sender policy framework (obsolete, TXT-like).
    pub const SPF: u16 = 99;
    /// Service binding.
    pub const SVCB: u16 = 64;
    /// HTTPS service binding.
    pub const HTTPS: u16 = 65;
    /// EDNS pseudo-record, never an observation.
    pub const OPT: u16 = 41;
}

/// The mnemonic of a type number, or `None` for types without one.
pub fn mnemonic(rrtype: u16) -> Option<&'static str> {
    TYPES
        .binary_search_by_key(&rrtype, |&(n, _)| n)
        .ok()
        .and_then(|i| TYPES.get(i))
        .map(|&(_, m)| m)
}

/// The presentation of a type: its mnemonic, or `TYPEnnn` (RFC 3597).
pub fn to_string(rrtype: u16) -> String {
    match mnemonic(rrtype) {
        Some(m) => m.to_string(),
        None => format!("TYPE{rrtype}"),
    }
}

/// Parses a type given as a mnemonic (any case), `TYPEnnn`, or a decimal
/// number. Returns `None` for anything else.
pub fn parse(s: &str) -> Option<u16> {
    // The commonest mnemonics as written, without the table's linear
    // search (this runs for every line a build reads).
    let common = match s {
        "A" => Some(known::A),
        "AAAA" => Some(known::AAAA),
        "CNAME" => Some(known::CNAME),
        "NS" => Some(known::NS),
        "MX" => Some(known::MX),
        "TXT" => Some(known::TXT),
        "SOA" => Some(known::SOA),
        "PTR" => Some(known::PTR),
        "SRV" => Some(known::SRV),
        "HTTPS" => Some(known::HTTPS),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if s.len() > 4 && s.as_bytes()[..4].eq_ignore_ascii_case(b"TYPE") {
        let digits = &s[4..];
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            return digits.parse().ok();
        }
    }
    TYPES
        .iter()
        .find(|(_, m)| m.eq_ignore_ascii_case(s))
        .map(|&(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(TYPES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn common_mnemonics_agree_with_the_table() {
        for m in [
            "A", "AAAA", "CNAME", "NS", "MX", "TXT", "SOA", "PTR", "SRV", "HTTPS",
        ] {
            let n = TYPES.iter().find(|(_, t)| *t == m).map(|&(n, _)| n);
            assert_eq!(parse(m), n, "{m}");
            assert!(n.is_some(), "{m}");
        }
    }

    #[test]
    fn round_trips() {
        for &(n, m) in TYPES {
            assert_eq!(parse(m), Some(n));
            assert_eq!(to_string(n), m);
        }
        assert_eq!(parse("type65"), Some(65));
        assert_eq!(parse("TYPE65534"), Some(65534));
        assert_eq!(to_string(65534), "TYPE65534");
        assert_eq!(parse("28"), Some(28));
        assert_eq!(parse("aaaa"), Some(28));
        assert_eq!(parse("TYPE"), None);
        assert_eq!(parse("70000"), None);
        assert_eq!(parse("BOGUS"), None);
    }
}
