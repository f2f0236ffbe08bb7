//! The record model: one [`Entry`] per unique (rrname, rrtype, rdata).

use std::cmp::Ordering;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};
use crate::name;
use crate::rrtype::known;

/// One passive DNS entry: what a name resolved to, when it was first and
/// last seen, how often and by whom.
///
/// An `Entry` built by [`Entry::new`] or read from an archive is
/// normalized: `rrname` and `bailiwick` as [`name::normalize`] says, `rdata`
/// in the canonical presentation of its type (see [`normalize_rdata`]),
/// `sources` sorted and without duplicates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The owner name, normalized.
    pub rrname: String,
    /// The type number.
    pub rrtype: u16,
    /// The record data in canonical presentation form.
    pub rdata: String,
    /// First time seen, Unix seconds UTC.
    pub time_first: u64,
    /// Last time seen, Unix seconds UTC; never before `time_first`.
    pub time_last: u64,
    /// How many times it was seen; `None` when the source did not say,
    /// which is different from once.
    pub count: Option<u64>,
    /// Labels of the sources that saw it, sorted, no duplicates.
    pub sources: Vec<String>,
    /// The zone of the server that gave the answer, normalized, if known.
    pub bailiwick: Option<String>,
}

impl Entry {
    /// Builds a normalized entry from presentation strings.
    ///
    /// `time_first` and `time_last` are swapped if given in the wrong
    /// order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] or [`Error::InvalidRdata`] when the name or
    /// rdata cannot be normalized.
    pub fn new(
        rrname: &str,
        rrtype: u16,
        rdata: &str,
        time_first: u64,
        time_last: u64,
        count: Option<u64>,
    ) -> Result<Entry> {
        let (time_first, time_last) = if time_first <= time_last {
            (time_first, time_last)
        } else {
            (time_last, time_first)
        };
        Ok(Entry {
            rrname: name::normalize(rrname)?,
            rrtype,
            rdata: normalize_rdata(rrtype, rdata)?,
            time_first,
            time_last,
            count,
            sources: Vec::new(),
            bailiwick: None,
        })
    }

    /// Adds a source label, keeping `sources` sorted and unique.
    pub fn add_source(&mut self, label: &str) {
        if let Err(i) = self.sources.binary_search_by(|s| s.as_str().cmp(label)) {
            self.sources.insert(i, label.to_string());
        }
    }

    /// Compares the keys of two entries in archive order (see
    /// [`compare_keys`]). Entries must reach a [`crate::Writer`] in this
    /// order.
    pub fn cmp_key(&self, other: &Entry) -> Ordering {
        compare_keys(
            (&self.rrname, self.rrtype, &self.rdata),
            (&other.rrname, other.rrtype, &other.rdata),
        )
    }

    /// Whether two entries share (rrname, rrtype, rdata).
    pub fn same_key(&self, other: &Entry) -> bool {
        self.rrtype == other.rrtype && self.rrname == other.rrname && self.rdata == other.rdata
    }

    /// Folds `other` (same key) into `self`: min first, max last, sum
    /// count, union sources; a known bailiwick wins over an unknown one.
    ///
    /// Counts: unknown plus unknown stays unknown; unknown plus a known
    /// count is that count (what was counted); sums saturate.
    pub fn merge(&mut self, other: &Entry) {
        self.time_first = self.time_first.min(other.time_first);
        self.time_last = self.time_last.max(other.time_last);
        self.count = merge_count(self.count, other.count);
        for s in &other.sources {
            self.add_source(s);
        }
        if self.bailiwick.is_none() {
            self.bailiwick.clone_from(&other.bailiwick);
        } else if let (Some(a), Some(b)) = (&self.bailiwick, &other.bailiwick) {
            // Keep the choice independent of merge order.
            if b < a {
                self.bailiwick = Some(b.clone());
            }
        }
    }
}

/// The aggregation of two counts (see [`Entry::merge`]).
pub fn merge_count(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x),
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
    }
}

/// Orders (rrname, rrtype, rdata) triples as an archive stores them: by
/// reversed name key, then type number, then the stored rdata bytes (for A
/// and AAAA the address, numerically; otherwise the presentation text).
pub fn compare_keys(a: (&str, u16, &str), b: (&str, u16, &str)) -> Ordering {
    compare_names(a.0, b.0)
        .then(a.1.cmp(&b.1))
        .then_with(|| compare_rdata(a.1, a.2, b.2))
}

/// Orders normalized names by their reversed keys without allocating.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.contains('\\') || b.contains('\\') {
        return name::reversed_key(a).cmp(&name::reversed_key(b));
    }
    // Without escapes every '.' separates labels. The root "." has none.
    let la = if a == "." { "" } else { a };
    let lb = if b == "." { "" } else { b };
    let mut ia = la.rsplit('.').filter(|_| !la.is_empty());
    let mut ib = lb.rsplit('.').filter(|_| !lb.is_empty());
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                // Each label is followed by '.' in the key, so compare the
                // label bytes with '.' appended.
                let o = x
                    .bytes()
                    .chain(std::iter::once(b'.'))
                    .cmp(y.bytes().chain(std::iter::once(b'.')));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Orders two rdata values of one type by their stored bytes.
pub fn compare_rdata(rrtype: u16, a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    // Parsing both addresses avoids allocating their encodings; a value
    // that is not an address falls back to the general rule.
    match rrtype {
        known::A => match (a.parse::<Ipv4Addr>(), b.parse::<Ipv4Addr>()) {
            (Ok(x), Ok(y)) => x.octets().cmp(&y.octets()),
            _ => encode_rdata(rrtype, a).cmp(&encode_rdata(rrtype, b)),
        },
        known::AAAA => match (a.parse::<Ipv6Addr>(), b.parse::<Ipv6Addr>()) {
            (Ok(x), Ok(y)) => x.octets().cmp(&y.octets()),
            _ => encode_rdata(rrtype, a).cmp(&encode_rdata(rrtype, b)),
        },
        _ => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// The stored bytes of a normalized rdata: 4 octets for A, 16 for AAAA,
/// the presentation text for every other type (and for an A or AAAA value
/// that is not an address, which only a hand-made entry can hold).
pub fn encode_rdata(rrtype: u16, rdata: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(rdata.len());
    encode_rdata_into(rrtype, rdata, &mut out);
    out
}

/// [`encode_rdata`], appended to `out`.
pub fn encode_rdata_into(rrtype: u16, rdata: &str, out: &mut Vec<u8>) {
    match rrtype {
        known::A => match rdata.parse::<Ipv4Addr>() {
            Ok(a) => out.extend_from_slice(&a.octets()),
            Err(_) => out.extend_from_slice(rdata.as_bytes()),
        },
        known::AAAA => match rdata.parse::<Ipv6Addr>() {
            Ok(a) => out.extend_from_slice(&a.octets()),
            Err(_) => out.extend_from_slice(rdata.as_bytes()),
        },
        _ => out.extend_from_slice(rdata.as_bytes()),
    }
}

/// The presentation of stored rdata bytes; the inverse of
/// [`encode_rdata`].
pub fn decode_rdata(rrtype: u16, bytes: &[u8]) -> String {
    match (rrtype, bytes.len()) {
        (known::A, 4) => {
            let mut o = [0u8; 4];
            o.copy_from_slice(bytes);
            ipv4_text(o)
        }
        (known::AAAA, 16) => {
            let mut o = [0u8; 16];
            o.copy_from_slice(bytes);
            Ipv6Addr::from(o).to_string()
        }
        _ => escape_text(bytes),
    }
}

/// Dotted-quad text of an IPv4 address, exactly as `Ipv4Addr`'s
/// `Display` writes it, without the formatting machinery: builds format
/// every A record they decode or sort.
pub fn ipv4_text(o: [u8; 4]) -> String {
    let mut s = String::with_capacity(15);
    for (i, b) in o.into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if b >= 100 {
            s.push(char::from(b'0' + b / 100));
        }
        if b >= 10 {
            s.push(char::from(b'0' + (b / 10) % 10));
        }
        s.push(char::from(b'0' + b % 10));
    }
    s
}

/// Appends an octet as an RFC 1035 `\ddd` escape (three decimal digits).
pub fn push_ddd(out: &mut String, b: u8) {
    out.push('\\');
    out.push(char::from(b'0' + b / 100));
    out.push(char::from(b'0' + (b / 10) % 10));
    out.push(char::from(b'0' + b % 10));
}

/// Escapes every octet outside printable ASCII as `\ddd`, so the result
/// can be printed on a terminal. Printable text passes unchanged.
pub fn escape_text(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        if s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return s.to_string();
        }
    }
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..=0x7e).contains(&b) {
            out.push(char::from(b));
        } else {
            push_ddd(&mut out, b);
        }
    }
    out
}

/// [`escape_text`] for a string: printable ASCII passes unchanged.
pub fn escape_text_str(s: &str) -> String {
    if s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        s.to_string()
    } else {
        escape_text(s.as_bytes())
    }
}

/// Whether [`rdata_names`] can find a name in rdata of this type (a quick
/// test before splitting the text).
pub fn may_have_rdata_names(rrtype: u16) -> bool {
    matches!(
        rrtype,
        known::CNAME
            | known::NS
            | known::PTR
            | known::DNAME
            | 3
            | 4
            | 7
            | 8
            | 9
            | known::MX
            | 18
            | 21
            | 36
            | known::SRV
            | known::SVCB
            | known::HTTPS
            | known::SOA
    )
}

/// The types whose rdata holds domain names, and where: returns the names
/// in a normalized rdata (the targets indexed by the rdata-name index).
pub fn rdata_names(rrtype: u16, rdata: &str) -> Vec<&str> {
    let mut v = Vec::new();
    for_each_rdata_name(rrtype, rdata, |n| v.push(n));
    v
}

/// [`rdata_names`] without a `Vec`: calls `f` with each name, in order.
pub fn for_each_rdata_name<'a>(rrtype: u16, rdata: &'a str, mut f: impl FnMut(&'a str)) {
    // Generic (RFC 3597) data holds no presentation names.
    if !may_have_rdata_names(rrtype) || rdata.starts_with("\\#") {
        return;
    }
    let field = |i: usize| rdata.split(' ').nth(i);
    let single = !rdata.contains(' ');
    let (a, b) = match rrtype {
        // CNAME, NS, PTR, DNAME, MB, MD, MF, MG, MR
        known::CNAME | known::NS | known::PTR | known::DNAME | 3 | 4 | 7 | 8 | 9 => {
            (single.then_some(rdata), None)
        }
        // A lone field is the target, as lossy sources log it.
        known::MX | 18 | 21 | 36 | known::SRV | known::SVCB | known::HTTPS if single => {
            (Some(rdata), None)
        }
        // MX, AFSDB, RT, KX: preference then name
        known::MX | 18 | 21 | 36 => (field(1), None),
        known::SRV => (field(3), None),
        known::SOA => (field(0), field(1)),
        known::SVCB | known::HTTPS => (field(1), None),
        _ => (None, None),
    };
    // "." as an SVCB/HTTPS target means "the owner itself" (RFC 9460),
    // and the root is never a useful pivot.
    let useful = |n: &&str| !n.is_empty() && *n != "." && !n.starts_with('"');
    let a = a.filter(useful);
    if let Some(a) = a {
        f(a);
    }
    // An SOA whose MNAME is its RNAME names it once.
    if let Some(b) = b.filter(useful).filter(|b| Some(*b) != a) {
        f(b);
    }
}

/// Normalizes rdata given in presentation form to the canonical form of its
/// type:
///
/// - A, AAAA: the address (AAAA as RFC 5952 text);
/// - name types (CNAME, NS, PTR, DNAME, ...): the normalized name;
/// - MX, SRV, SOA, SVCB/HTTPS, AFSDB, RT, KX: numbers kept, names
///   normalized;
/// - TXT and SPF: the text as given, with non-printable octets escaped;
/// - RFC 3597 generic data (`\# 4 0a000001`): lower-case hex, no spaces;
/// - anything else: runs of white space collapsed to one space, non-printable
///   octets escaped.
///
/// # Errors
///
/// [`Error::InvalidRdata`] when an address does not parse, a name field is
/// not a valid name, or the value is empty.
pub fn normalize_rdata(rrtype: u16, rdata: &str) -> Result<String> {
    let bad =
        |why: &str| Error::InvalidRdata(format!("{}: {why}", crate::rrtype::to_string(rrtype)));
    let raw = rdata.trim();
    if raw.starts_with("\\#") {
        let g = normalize_generic(raw).ok_or_else(|| bad("bad RFC 3597 generic data"))?;
        // An address type in generic form is an address: store it as one,
        // so it is indexed and compared like any other (RFC 3597 §5).
        return match rrtype {
            known::A | known::AAAA => generic_address(rrtype, &g)
                .ok_or_else(|| bad("generic data of the wrong length for the type")),
            _ => Ok(g),
        };
    }
    match rrtype {
        known::A => raw
            .parse::<Ipv4Addr>()
            .map(|a| ipv4_text(a.octets()))
            .map_err(|_| bad("not an IPv4 address")),
        known::AAAA => raw
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| bad("not an IPv6 address")),
        known::CNAME | known::NS | known::PTR | known::DNAME | 3 | 4 | 7 | 8 | 9 => {
            if raw.is_empty() {
                return Err(bad("empty name"));
            }
            name::normalize(raw).map_err(|e| bad(&e.to_string()))
        }
        known::TXT | known::SPF => {
            if raw.is_empty() {
                // An empty TXT string is valid DNS; keep it visible.
                return Ok("\"\"".to_string());
            }
            Ok(escape_utf8(raw))
        }
        _ => {
            let fields: Vec<&str> = raw.split_whitespace().collect();
            if fields.is_empty() {
                return Err(bad("empty"));
            }
            let name_at: &[usize] = match rrtype {
                // A lone field of a name-bearing type is the name: lossy
                // sources (Zeek, gamelinux, Suricata) log only the target.
                known::MX | 18 | 21 | 36 | known::SRV | known::SVCB | known::HTTPS
                    if fields.len() == 1 =>
                {
                    &[0]
                }
                known::MX | 18 | 21 | 36 => &[1],
                known::SRV => &[3],
                known::SOA => &[0, 1],
                known::SVCB | known::HTTPS => &[1],
                _ => &[],
            };
            let mut out = String::with_capacity(raw.len());
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if name_at.contains(&i) {
                    let n = name::normalize(f).map_err(|e| bad(&e.to_string()))?;
                    out.push_str(&n);
                } else {
                    out.push_str(&escape_utf8(f));
                }
            }
            Ok(out)
        }
    }
}

fn escape_utf8(s: &str) -> String {
    escape_text_str(s)
}

/// The address in normalized generic data of an A (4 octets) or AAAA (16
/// octets) record.
fn generic_address(rrtype: u16, g: &str) -> Option<String> {
    let hex = g.split(' ').nth(2)?;
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    match (rrtype, bytes.len()) {
        (known::A, 4) | (known::AAAA, 16) => Some(decode_rdata(rrtype, &bytes)),
        _ => None,
    }
}

fn normalize_generic(raw: &str) -> Option<String> {
    let mut it = raw.split_whitespace();
    if it.next()? != "\\#" {
        return None;
    }
    let len: usize = it.next()?.parse().ok()?;
    let hex: String = it.collect::<String>().to_ascii_lowercase();
    if len.checked_mul(2) != Some(hex.len()) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(if len == 0 {
        "\\# 0".to_string()
    } else {
        format!("\\# {len} {hex}")
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn ipv4_text_matches_std() {
        for o in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 9, 100, 99],
            [1, 20, 200, 0],
        ] {
            assert_eq!(decode_rdata(known::A, &o), Ipv4Addr::from(o).to_string());
        }
        for a in 0..=255u8 {
            let o = [a, a.wrapping_mul(7), 255 - a, a / 3];
            assert_eq!(decode_rdata(known::A, &o), Ipv4Addr::from(o).to_string());
        }
    }

    use super::*;

    #[test]
    fn rdata_normalization() {
        let n = |t, s| normalize_rdata(t, s).unwrap();
        assert_eq!(n(1, " 192.0.2.1 "), "192.0.2.1");
        assert!(normalize_rdata(1, "192.0.2").is_err());
        assert_eq!(n(28, "2001:DB8:0:0::1"), "2001:db8::1");
        assert_eq!(n(5, "WWW.Example.com."), "www.example.com");
        assert_eq!(n(15, "10   MX.Example.com."), "10 mx.example.com");
        assert_eq!(
            n(33, "0 5 5060 SIP.example.com."),
            "0 5 5060 sip.example.com"
        );
        assert_eq!(
            n(6, "NS1.example.com. Host.example.com. 1 2 3 4 5"),
            "ns1.example.com host.example.com 1 2 3 4 5"
        );
        assert_eq!(n(16, "\"v=spf1 -all\""), "\"v=spf1 -all\"");
        assert_eq!(n(16, "a\u{1b}b"), "a\\027b");
        assert_eq!(n(999, "\\# 2 0A 0b"), "\\# 2 0a0b");
        assert!(normalize_rdata(999, "\\# 3 0a0b").is_err());
        assert_eq!(n(1, "\\# 4 c0000201"), "192.0.2.1");
        assert!(normalize_rdata(1, "\\# 0").is_err());
        assert!(normalize_rdata(99, "\\# 9223372036854775808").is_err());
        assert!(normalize_rdata(99, "\\# 9223372036854775809 00").is_err());
        assert!(normalize_rdata(28, "\\# 4 c0000201").is_err());
        assert_eq!(n(48, "257 3  8 AwEAAa"), "257 3 8 AwEAAa");
    }

    #[test]
    fn rdata_names_only_for_the_quick_test_types() {
        for t in 0..=300u16 {
            for text in [
                "a.example",
                "10 a.example",
                "1 2 3 a.example",
                "a.example b.example 1 2 3 4 5",
            ] {
                if !may_have_rdata_names(t) {
                    assert!(rdata_names(t, text).is_empty(), "type {t}: {text}");
                }
            }
        }
    }

    #[test]
    fn rdata_names_found() {
        assert_eq!(rdata_names(15, "10 mx.example.com"), ["mx.example.com"]);
        assert_eq!(rdata_names(2, "ns1.example.com"), ["ns1.example.com"]);
        assert_eq!(rdata_names(6, "a.b c.d 1 2 3 4 5"), ["a.b", "c.d"]);
        assert!(rdata_names(1, "192.0.2.1").is_empty());
        assert!(rdata_names(15, "\\# 3 000a00").is_empty());
        assert_eq!(rdata_names(6, "a.b a.b 1 2 3 4 5"), ["a.b"]);
        assert_eq!(rdata_names(15, "mx.example.com"), ["mx.example.com"]);
        assert!(rdata_names(65, "1 . alpn=h2").is_empty());
        assert_eq!(
            normalize_rdata(15, "MX.Example.com.").unwrap(),
            "mx.example.com"
        );
    }

    #[test]
    fn key_order() {
        assert_eq!(
            compare_names("example.com", "www.example.com"),
            Ordering::Less
        );
        assert_eq!(
            compare_names("example-x.com", "www.example.com"),
            Ordering::Less
        );
        assert_eq!(compare_names(".", "com"), Ordering::Less);
        assert_eq!(compare_rdata(1, "9.0.0.1", "10.0.0.1"), Ordering::Less);
        for (a, b) in [("a.b", "a-b.b"), ("x.com", "a.x.com"), ("b.com", "a.b.com")] {
            assert_eq!(
                compare_names(a, b),
                name::reversed_key(a).cmp(&name::reversed_key(b)),
                "{a} {b}"
            );
        }
    }

    #[test]
    fn aggregation() {
        let mut a = Entry::new("a.com", 1, "192.0.2.1", 10, 20, None).unwrap();
        a.add_source("x");
        let mut b = a.clone();
        b.time_first = 5;
        b.time_last = 15;
        b.count = Some(3);
        b.sources = vec!["w".into(), "x".into()];
        a.merge(&b);
        assert_eq!((a.time_first, a.time_last, a.count), (5, 20, Some(3)));
        assert_eq!(a.sources, ["w", "x"]);
        assert_eq!(merge_count(None, None), None);
        assert_eq!(merge_count(Some(u64::MAX), Some(1)), Some(u64::MAX));
    }
}
