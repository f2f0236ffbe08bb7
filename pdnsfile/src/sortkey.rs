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
use crate::record::{decode_rdata, Entry};

/// Encodes an entry; see the module docs.
pub fn encode(e: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(e.rrname.len() + e.rdata.len() + 32);
    encode_into(&mut out, e);
    out
}

/// Appends an entry's encoding to `out` (to batch many in one buffer).
pub fn encode_into(out: &mut Vec<u8>, e: &Entry) {
    encode_key_into(out, &e.rrname, e.rrtype, &e.rdata);
    encode_payload_into(
        out,
        e.time_first,
        e.time_last,
        e.count,
        e.sources.iter().map(String::as_bytes),
        e.bailiwick.as_deref().map(str::as_bytes),
    );
}

/// Appends the payload that follows the key part (see the module docs):
/// for callers that write the key part themselves.
pub fn encode_payload_into<'a>(
    out: &mut Vec<u8>,
    time_first: u64,
    time_last: u64,
    count: Option<u64>,
    sources: impl ExactSizeIterator<Item = &'a [u8]>,
    bailiwick: Option<&[u8]>,
) {
    put_varint(out, time_first);
    put_varint(out, time_last);
    put_varint(out, count.map_or(0, |c| c.saturating_add(1)));
    encode_payload_tail(out, sources, bailiwick);
}

/// Appends the part of a payload after the times and count: the sources
/// and the bailiwick. Where many items share them (a sensor's
/// observations), encode it once and append it with
/// [`encode_payload_with_tail`].
pub fn encode_payload_tail<'a>(
    out: &mut Vec<u8>,
    sources: impl ExactSizeIterator<Item = &'a [u8]>,
    bailiwick: Option<&[u8]>,
) {
    put_varint(out, sources.len() as u64);
    for s in sources {
        put_len_bytes(out, s);
    }
    match bailiwick {
        None => put_varint(out, 0),
        Some(b) => {
            put_varint(out, b.len() as u64 + 1);
            out.extend_from_slice(b);
        }
    }
}

/// [`encode_payload_into`] with the sources and bailiwick already
/// encoded by [`encode_payload_tail`].
pub fn encode_payload_with_tail(
    out: &mut Vec<u8>,
    time_first: u64,
    time_last: u64,
    count: Option<u64>,
    tail: &[u8],
) {
    put_varint(out, time_first);
    put_varint(out, time_last);
    put_varint(out, count.map_or(0, |c| c.saturating_add(1)));
    out.extend_from_slice(tail);
}

/// Appends only the key part of an entry's encoding.
pub fn encode_key_into(out: &mut Vec<u8>, rrname: &str, rrtype: u16, rdata: &str) {
    name::reversed_key_into(rrname, out);
    out.push(0);
    out.extend_from_slice(&rrtype.to_be_bytes());
    let start = out.len();
    crate::record::encode_rdata_into(rrtype, rdata, out);
    escape_rdata_from(out, start);
    out.extend_from_slice(&[0, 0]);
}

/// Escapes each `0x00` of the stored rdata at `out[start..]` as `0x00
/// 0xff`, as a key part holds it. Stored rdata rarely holds 0x00 (only
/// addresses can): then nothing moves.
pub fn escape_rdata_from(out: &mut Vec<u8>, start: usize) {
    if out.get(start..).is_some_and(|r| r.contains(&0)) {
        let raw = out.split_off(start);
        for b in raw {
            out.push(b);
            if b == 0 {
                out.push(0xff);
            }
        }
    }
}

/// The length of the key part of an encoding (to compare keys only).
pub fn key_len(b: &[u8]) -> Option<usize> {
    let name_end = memchr::memchr(0, b)?;
    key_end(b, name_end)
}

/// [`key_len`] once the end of the name is known: finds the `0x00 0x00`
/// after the type, skipping `0x00 0xff` escapes (memchr, since this runs
/// for every item a build writes).
fn key_end(b: &[u8], name_end: usize) -> Option<usize> {
    let mut i = name_end + 3;
    loop {
        i += memchr::memchr(0, b.get(i..)?)?;
        match b.get(i + 1)? {
            0 => return Some(i + 2),
            0xff => i += 2,
            // Not an encoding: a 0x00 in rdata is always escaped.
            _ => return None,
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

/// A sort item taken apart in place, without decoding its strings: what
/// a [`crate::Writer`] needs to store the entry (see
/// [`crate::Writer::push_item`]).
#[derive(Clone, Copy, Debug)]
pub struct ItemView<'a> {
    /// The key part (reversed name, type, escaped rdata, terminator):
    /// comparing these compares entries' keys.
    pub key: &'a [u8],
    /// The reversed name key (see [`name::reversed_key`]).
    pub name: &'a [u8],
    /// The type number.
    pub rrtype: u16,
    /// The stored rdata with each `0x00` escaped as `0x00 0xff`; see
    /// [`unescape_rdata`].
    pub rdata_escaped: &'a [u8],
    /// First seen, Unix seconds.
    pub time_first: u64,
    /// Last seen, Unix seconds.
    pub time_last: u64,
    /// The count, when known.
    pub count: Option<u64>,
    /// The sources as encoded (count, then each label as length and
    /// bytes); see [`sources`].
    pub sources: &'a [u8],
    /// The bailiwick, when known.
    pub bailiwick: Option<&'a [u8]>,
}

/// Takes a sort item apart (see [`ItemView`]).
///
/// # Errors
///
/// [`Error::Corrupt`] when the bytes are not such an encoding.
pub fn view(b: &[u8]) -> Result<ItemView<'_>> {
    let bad = || Error::corrupt("sort key", "malformed encoding");
    let name_end = memchr::memchr(0, b).ok_or_else(bad)?;
    let key_end = key_end(b, name_end).ok_or_else(bad)?;
    let t = b.get(name_end + 1..name_end + 3).ok_or_else(bad)?;
    let rrtype = u16::from_be_bytes([t[0], t[1]]);
    let mut r = Reader::new(b.get(key_end..).ok_or_else(bad)?, "sort key");
    let time_first = r.varint()?;
    let time_last = r.varint()?;
    let count = r.varint()?.checked_sub(1);
    let sources_start = key_end + r.pos();
    let n = r.varint()?;
    for _ in 0..n {
        r.len_bytes()?;
    }
    let sources = b.get(sources_start..key_end + r.pos()).ok_or_else(bad)?;
    let bailiwick = match r.varint()? {
        0 => None,
        l => Some(r.bytes(usize::try_from(l - 1).map_err(|_| bad())?)?),
    };
    Ok(ItemView {
        key: b.get(..key_end).ok_or_else(bad)?,
        name: b.get(..name_end).ok_or_else(bad)?,
        rrtype,
        rdata_escaped: b.get(name_end + 3..key_end - 2).ok_or_else(bad)?,
        time_first,
        time_last,
        count,
        sources,
        bailiwick,
    })
}

/// The reversed name, type and stored rdata of a key part (as
/// [`ItemView::key`] holds it), or `None` when it is not one.
pub fn view_key(key: &[u8]) -> Option<(&[u8], u16, Vec<u8>)> {
    let name_end = key.iter().position(|&x| x == 0)?;
    let t = key.get(name_end + 1..name_end + 3)?;
    let end = key_len(key)?;
    let mut rdata = Vec::new();
    unescape_rdata(key.get(name_end + 3..end.checked_sub(2)?)?, &mut rdata);
    Some((
        key.get(..name_end)?,
        u16::from_be_bytes([t[0], t[1]]),
        rdata,
    ))
}

/// Appends the stored rdata of an item's escaped rdata to `out`.
pub fn unescape_rdata(escaped: &[u8], out: &mut Vec<u8>) {
    if memchr::memchr(0, escaped).is_none() {
        out.extend_from_slice(escaped);
        return;
    }
    let mut i = 0;
    while let Some(&b) = escaped.get(i) {
        out.push(b);
        // A 0x00 is always followed by its 0xff escape in a key part
        // that `key_len` accepted.
        i += if b == 0 { 2 } else { 1 };
    }
}

/// The labels of an item's encoded sources, in order.
///
/// # Errors
///
/// [`Error::Corrupt`] when the bytes are not such an encoding.
pub fn sources(raw: &[u8]) -> Result<Vec<&[u8]>> {
    let mut r = Reader::new(raw, "sort key");
    let n = r.varint()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(r.len_bytes()?);
    }
    Ok(out)
}

/// The union of two encoded source lists (see [`sources`]), encoded;
/// `None` when they are equal (the common case, checked first).
///
/// # Errors
///
/// [`Error::Corrupt`] when either is not such an encoding.
pub fn union_sources(a: &[u8], b: &[u8]) -> Result<Option<Vec<u8>>> {
    if a == b {
        return Ok(None);
    }
    let mut labels = sources(a)?;
    labels.extend(sources(b)?);
    labels.sort_unstable();
    labels.dedup();
    let mut out = Vec::with_capacity(a.len() + b.len());
    encode_sources(&mut out, &labels);
    Ok(Some(out))
}

/// Writes to `out` (emptied first) the sort item of the entries of `a`
/// and `b`, which have equal keys, merged as [`Entry::merge`] and the
/// writer merge them: the earlier first time, the later last one, the
/// counts added, the union of the sources, the bailiwick of
/// [`merged_bailiwick`]. The merge does not depend on the order of the
/// items, so a sort may merge some before the writer merges the rest.
///
/// # Errors
///
/// [`Error::Corrupt`] when either is not a sort item or the keys differ.
pub fn combine(a: &[u8], b: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let k = key_len(a).ok_or_else(|| Error::corrupt("sort key", "malformed encoding"))?;
    combine_at(a, b, k, out)
}

/// [`combine`] of items whose key part is `k` bytes long (as
/// [`key_len`] gives it for `a`). When the sources and the bailiwick are
/// the same bytes (the usual case: one observation after another of the
/// same sensor), only the times and counts are decoded, and those bytes
/// are copied as they are: not checked, so damage there survives the
/// merge for [`view`] to refuse later.
///
/// # Errors
///
/// As [`combine`].
pub fn combine_at(a: &[u8], b: &[u8], k: usize, out: &mut Vec<u8>) -> Result<()> {
    let times = |item: &[u8]| -> Result<Option<(u64, u64, u64, usize)>> {
        let Some(payload) = item.get(k..) else {
            return Ok(None);
        };
        let mut r = Reader::new(payload, "sort key");
        Ok(Some((r.varint()?, r.varint()?, r.varint()?, k + r.pos())))
    };
    if let (Some(ka), Some(kb)) = (a.get(..k), b.get(..k)) {
        if ka == kb {
            if let (Some((fa, la, ca, ra)), Some((fb, lb, cb, rb))) = (times(a)?, times(b)?) {
                if a.get(ra..) == b.get(rb..) {
                    out.clear();
                    out.extend_from_slice(ka);
                    put_varint(out, fa.min(fb));
                    put_varint(out, la.max(lb));
                    let count = crate::record::merge_count(ca.checked_sub(1), cb.checked_sub(1));
                    put_varint(out, count.map_or(0, |c| c.saturating_add(1)));
                    out.extend_from_slice(a.get(ra..).unwrap_or_default());
                    return Ok(());
                }
            }
        }
    }
    let (va, vb) = (view(a)?, view(b)?);
    if va.key != vb.key {
        return Err(Error::corrupt(
            "sort key",
            "merging items of different keys",
        ));
    }
    out.clear();
    out.extend_from_slice(va.key);
    put_varint(out, va.time_first.min(vb.time_first));
    put_varint(out, va.time_last.max(vb.time_last));
    let count = crate::record::merge_count(va.count, vb.count);
    put_varint(out, count.map_or(0, |c| c.saturating_add(1)));
    match union_sources(va.sources, vb.sources)? {
        Some(u) => out.extend_from_slice(&u),
        None => out.extend_from_slice(va.sources),
    }
    match merged_bailiwick(va.bailiwick, vb.bailiwick) {
        None => put_varint(out, 0),
        Some(z) => {
            put_varint(out, z.len() as u64 + 1);
            out.extend_from_slice(z);
        }
    }
    Ok(())
}

/// The bailiwick two merged entries keep, as [`Entry::merge`] chooses it:
/// a known one over an unknown one, else the smaller (so the choice does
/// not depend on merge order).
pub fn merged_bailiwick<'a>(a: Option<&'a [u8]>, b: Option<&'a [u8]>) -> Option<&'a [u8]> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Appends sources (sorted, unique labels) in the encoding of an item.
pub fn encode_sources(out: &mut Vec<u8>, labels: &[&[u8]]) {
    put_varint(out, labels.len() as u64);
    for l in labels {
        put_len_bytes(out, l);
    }
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
            let v = view(&b).unwrap();
            assert_eq!(v.key, key.as_slice());
            assert_eq!(v.name, name::reversed_key(&e.rrname).as_slice());
            assert_eq!(v.rrtype, e.rrtype);
            let mut rdata = Vec::new();
            unescape_rdata(v.rdata_escaped, &mut rdata);
            assert_eq!(rdata, crate::record::encode_rdata(e.rrtype, &e.rdata));
            assert_eq!(
                (v.time_first, v.time_last, v.count),
                (e.time_first, e.time_last, e.count)
            );
            let labels: Vec<&[u8]> = e.sources.iter().map(|s| s.as_bytes()).collect();
            assert_eq!(sources(v.sources).unwrap(), labels);
            let mut again = Vec::new();
            encode_sources(&mut again, &labels);
            assert_eq!(again, v.sources);
            assert_eq!(v.bailiwick, e.bailiwick.as_deref().map(str::as_bytes));
        }
        // A 0x00 that is neither the terminator nor an escape is refused.
        let mut bad = encode(&v[6]);
        let name_end = bad.iter().position(|&b| b == 0).unwrap();
        let at = name_end + 3 + bad[name_end + 3..].iter().position(|&b| b == b'a').unwrap();
        assert!(at + 2 < key_len(&bad).unwrap());
        bad[at] = 0;
        bad[at + 1] = 1;
        assert!(view(&bad).is_err());
        assert!(decode(&bad).is_err());
        // An rdata holding 0x00 (generic data is stored as text, so only
        // a hand-made item has one) round-trips through the escape.
        let mut out = Vec::new();
        unescape_rdata(&[1, 0, 0xff, 2], &mut out);
        assert_eq!(out, [1, 0, 2]);
        for cut in 0..encode(&v[0]).len() {
            let _ = view(&encode(&v[0])[..cut]);
        }
    }
}
