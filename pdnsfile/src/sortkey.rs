//! Entries as byte strings whose byte order is archive key order, for
//! external sorts ahead of a [`crate::Writer`].
//!
//! Layout: reversed name key, `0x00`, type (big-endian u16), stored rdata
//! with `0x00` escaped as `0x00 0xff`, `0x00 0x00`, then the payload
//! (varints: time_first, time_last, and count plus one, or 0 when
//! unknown; the source count and each source as length and bytes; the
//! bailiwick as its length plus one and its bytes, or 0). The reversed key
//! never holds `0x00` (normalized names are printable), and the escape
//! keeps a shorter rdata before a longer one with the same prefix, so
//! comparing the bytes compares the keys.

use crate::error::{Error, Result};
use crate::format::{put_len_bytes, put_varint, Reader};
use crate::name;
use crate::record::{decode_rdata, encode_rdata, Entry};

/// Encodes an entry; see the module docs.
pub fn encode(e: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(e.rrname.len() + e.rdata.len() + 32);
    encode_into(&mut out, e);
    out
}

/// Appends an entry's encoding to `out` (to batch many in one buffer).
pub fn encode_into(out: &mut Vec<u8>, e: &Entry) {
    encode_key_into(out, &e.rrname, e.rrtype, &e.rdata);
    put_varint(out, e.time_first);
    put_varint(out, e.time_last);
    put_varint(out, e.count.map_or(0, |c| c.saturating_add(1)));
    put_varint(out, e.sources.len() as u64);
    for s in &e.sources {
        put_len_bytes(out, s.as_bytes());
    }
    match &e.bailiwick {
        None => put_varint(out, 0),
        Some(b) => {
            put_varint(out, b.len() as u64 + 1);
            out.extend_from_slice(b.as_bytes());
        }
    }
}

/// Appends only the key part of an entry's encoding.
pub fn encode_key_into(out: &mut Vec<u8>, rrname: &str, rrtype: u16, rdata: &str) {
    out.extend_from_slice(&name::reversed_key(rrname));
    out.push(0);
    out.extend_from_slice(&rrtype.to_be_bytes());
    for &b in &encode_rdata(rrtype, rdata) {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// The length of the key part of an encoding (to compare keys only).
pub fn key_len(b: &[u8]) -> Option<usize> {
    let name_end = b.iter().position(|&x| x == 0)?;
    let mut i = name_end + 3;
    loop {
        match (b.get(i)?, b.get(i + 1)?) {
            (0, 0) => return Some(i + 2),
            (0, _) => i += 2,
            _ => i += 1,
        }
    }
}

/// Decodes an encoding made by [`encode`].
///
/// # Errors
///
/// [`Error::Corrupt`] when the bytes are not such an encoding.
pub fn decode(b: &[u8]) -> Result<Entry> {
    let bad = || Error::corrupt("sort key", "malformed encoding");
    let name_end = b.iter().position(|&x| x == 0).ok_or_else(bad)?;
    let rrname = name::from_reversed_key(b.get(..name_end).ok_or_else(bad)?);
    let t = b.get(name_end + 1..name_end + 3).ok_or_else(bad)?;
    let rrtype = u16::from_be_bytes([t[0], t[1]]);
    let mut rdata = Vec::new();
    let mut i = name_end + 3;
    loop {
        match (b.get(i).ok_or_else(bad)?, b.get(i + 1)) {
            (0, Some(0)) => {
                i += 2;
                break;
            }
            (0, Some(0xff)) => {
                rdata.push(0);
                i += 2;
            }
            (0, _) => return Err(bad()),
            (&x, _) => {
                rdata.push(x);
                i += 1;
            }
        }
    }
    let mut r = Reader::new(b.get(i..).ok_or_else(bad)?, "sort key");
    let time_first = r.varint()?;
    let time_last = r.varint()?;
    let count = r.varint()?.checked_sub(1);
    let n = r.varint()?;
    let mut sources = Vec::new();
    for _ in 0..n {
        sources.push(String::from_utf8_lossy(r.len_bytes()?).into_owned());
    }
    let bailiwick = match r.varint()? {
        0 => None,
        l => Some(
            String::from_utf8_lossy(r.bytes(usize::try_from(l - 1).map_err(|_| bad())?)?)
                .into_owned(),
        ),
    };
    Ok(Entry {
        rrname,
        rrtype,
        rdata: decode_rdata(rrtype, &rdata),
        time_first,
        time_last,
        count,
        sources,
        bailiwick,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_round_trip() {
        let mk = |n: &str, t: u16, r: &str| Entry::new(n, t, r, 1, 2, Some(3)).unwrap();
        let mut v = vec![
            mk("www.example.com", 1, "10.0.0.1"),
            mk("example.com", 1, "10.0.0.0"),
            mk("example.com", 1, "9.0.0.0"),
            mk("example-x.com", 1, "9.0.0.0"),
            mk("a.example.com", 28, "::"),
            mk("a.example.com", 28, "::1"),
            mk("a.example.com", 16, "\"a\""),
            mk("a.example.com", 16, "\"a\" \"b\""),
            mk("com", 2, "a.com"),
        ];
        v[0].bailiwick = Some("example.com".into());
        v[0].add_source("x");
        v[1].count = None;
        let mut by_bytes = v.clone();
        by_bytes.sort_by_key(encode);
        let mut by_key = v.clone();
        by_key.sort_by(|a, b| a.cmp_key(b));
        assert_eq!(by_bytes, by_key);
        for e in &v {
            let b = encode(e);
            assert_eq!(&decode(&b).unwrap(), e);
            let k = key_len(&b).unwrap();
            let mut key = Vec::new();
            encode_key_into(&mut key, &e.rrname, e.rrtype, &e.rdata);
            assert_eq!(&b[..k], key.as_slice());
        }
    }
}
