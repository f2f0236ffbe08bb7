//! DNS messages to observations, with the `domain` crate doing the wire
//! parsing (names, compression, sections, typed rdata).
//!
//! Every record of the answer, authority and additional sections of a
//! response becomes one observation; OPT pseudo-records and records of
//! another class than IN are left out (a pDNS key has no class). A
//! message that breaks part way keeps the records read before the break,
//! as Wireshark does, and is counted under the reason it broke.

use std::fmt::Write as _;

use domain::base::iana::{Class, Opcode, Rtype};
use domain::base::name::ParsedName;
use domain::base::rdata::{ParseAnyRecordData, RecordData};
use domain::base::wire::ParseError;
use domain::base::{Message, ParsedRecord};
use domain::dep::octseq::Parser;
use domain::rdata::AllRecordData;
use pdnsfile::record::{normalize_rdata, push_ddd};
use pdnsfile::rrtype::known;
use pdnsfile::{name, Entry};

use crate::Stats;

/// `domain`'s typed rdata of every type it knows, borrowed from a message.
type Rdata<'a> = AllRecordData<&'a [u8], ParsedName<&'a [u8]>>;

/// The reason name of a `domain` parse error.
fn reason(e: &ParseError) -> &'static str {
    match e {
        ParseError::ShortInput => "dns-truncated",
        ParseError::Form(f) => match f.to_string().as_str() {
            // domain refuses any pointer that does not point strictly
            // backwards: loops, forward and out-of-range pointers.
            "too many compression pointers" => "dns-bad-pointer",
            "invalid label type" => "dns-bad-label",
            "long domain name" => "dns-long-name",
            "invalid compression pointer" => "dns-bad-pointer",
            _ => "dns-malformed",
        },
    }
}

/// Decodes one DNS message and calls `sink` with each observation.
///
/// Returns without error for a query (counted) and counts every skip in
/// `stats`; never panics on any input.
pub(crate) fn message(
    data: &[u8],
    time: u64,
    source: Option<&str>,
    stats: &mut Stats,
    sink: &mut dyn FnMut(Entry),
) {
    let Ok(msg) = Message::from_slice(data) else {
        stats.skip("dns-short-header");
        return;
    };
    let header = msg.header();
    if !header.qr() {
        stats.queries += 1;
        return;
    }
    if header.opcode() == Opcode::UPDATE {
        // Its sections are a zone, prerequisites and changes asked for,
        // not answers.
        stats.skip("dns-update");
        return;
    }
    stats.dns_messages += 1;
    if let Err(e) = records(msg, time, source, stats, sink) {
        stats.skip(reason(&e));
    }
}

fn records(
    msg: &Message<[u8]>,
    time: u64,
    source: Option<&str>,
    stats: &mut Stats,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), ParseError> {
    let mut questions = msg.question();
    for q in &mut questions {
        q?;
    }
    let mut section = Some(questions.answer()?);
    while let Some(mut records) = section {
        for rec in &mut records {
            let rec = rec?;
            if let Some(mut e) = observation(&rec, time, stats)? {
                if let Some(s) = source {
                    e.sources.push(s.to_string());
                }
                stats.records += 1;
                sink(e);
            }
        }
        section = records.next_section()?;
    }
    Ok(())
}

/// The observation of one record, `None` for a record that is not one
/// (OPT, another class) or whose rdata does not decode (counted).
fn observation(
    rec: &ParsedRecord<'_, [u8]>,
    time: u64,
    stats: &mut Stats,
) -> Result<Option<Entry>, ParseError> {
    let rtype = rec.rtype();
    if rtype == Rtype::OPT {
        return Ok(None);
    }
    if rec.class() != Class::IN {
        stats.skip("not-class-in");
        return Ok(None);
    }
    let owner = match labels_to_name(&rec.owner()) {
        Some(n) => n,
        None => {
            stats.skip("dns-long-name");
            return Ok(None);
        }
    };
    let Some(rdata) = presentation(rec) else {
        stats.skip("dns-bad-rdata");
        return Ok(None);
    };
    // The owner comes from `name::from_labels` and the rdata from
    // `presentation`, both already in the canonical form `Entry::new`
    // would make (the tests check it on every observation): normalizing
    // them again would cost a fifth of the decoding time.
    Ok(Some(Entry {
        rrname: owner,
        rrtype: rtype.to_int(),
        rdata,
        time_first: time,
        time_last: time,
        count: Some(1),
        sources: Vec::new(),
        bailiwick: None,
    }))
}

/// A wire name in the archive's normalized presentation (lower case,
/// `\ddd` escapes), or `None` if it is longer than a name can be.
///
/// The same text as `pdnsfile::name::from_labels` (the tests compare the
/// two on every observation), written in one pre-sized buffer because
/// names are most of the decoding work.
fn labels_to_name(n: &ParsedName<&[u8]>) -> Option<String> {
    let mut out = String::with_capacity(64);
    for label in n.iter() {
        let bytes = label.as_slice();
        if bytes.is_empty() {
            continue; // the root label ends every wire name
        }
        if !out.is_empty() {
            out.push('.');
        }
        name::push_label(&mut out, bytes);
    }
    if out.is_empty() {
        out.push('.');
    }
    (out.len() <= name::MAX_NAME_LEN).then_some(out)
}

/// TXT and SPF: each character-string quoted, `"` and `\\` escaped with a
/// backslash, octets outside printable ASCII as `\ddd`, joined by one
/// space (the usual zone-file form).
fn quote<'a>(strings: impl Iterator<Item = &'a [u8]>) -> String {
    let mut out = String::new();
    for s in strings {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('"');
        for &b in s {
            match b {
                b'"' | b'\\' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                0x20..=0x7e => out.push(char::from(b)),
                _ => push_ddd(&mut out, b),
            }
        }
        out.push('"');
    }
    if out.is_empty() {
        out.push_str("\"\"");
    }
    out
}

/// [`quote`] of raw TXT-like rdata; `None` if the strings do not fill it
/// exactly.
fn txt(mut data: &[u8]) -> Option<String> {
    let mut strings = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        strings.push(rest.get(..usize::from(len))?);
        data = rest.get(usize::from(len)..)?;
    }
    Some(quote(strings.into_iter()))
}

/// RFC 3597 generic form of raw rdata.
fn generic(data: &[u8]) -> String {
    let mut s = format!("\\# {}", data.len());
    if !data.is_empty() {
        s.push(' ');
        for b in data {
            let _ = write!(s, "{b:02x}");
        }
    }
    s
}

/// Types whose rdata may hold compressed names (RFC 3597 §4: the RFC
/// 1035 types; SRV and DNAME are often compressed in practice too), plus
/// A and AAAA, whose generic form of a wrong length is no address.
const COMPRESSIBLE: &[u16] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 28, 33, 39];

/// Rdata as its bytes, whatever the type.
struct Raw<'a> {
    rtype: Rtype,
    bytes: &'a [u8],
}

impl RecordData for Raw<'_> {
    fn rtype(&self) -> Rtype {
        self.rtype
    }
}

impl<'a> ParseAnyRecordData<'a, [u8]> for Raw<'a> {
    fn parse_any_rdata(rtype: Rtype, parser: &mut Parser<'a, [u8]>) -> Result<Self, ParseError> {
        let bytes = parser.parse_octets(parser.remaining())?;
        Ok(Raw { rtype, bytes })
    }
}

/// The presentation of a record's rdata; `None` when the rdata of a
/// type `domain` knows does not decode (an A of 3 octets, a name running
/// past the rdata).
fn presentation(rec: &ParsedRecord<'_, [u8]>) -> Option<String> {
    let rtype = rec.rtype().to_int();
    let typed = match rec.to_any_record::<Rdata<'_>>() {
        Ok(t) => t,
        // Rdata of a type whose wire form has no compressed names (DS,
        // NSEC, SVCB, ...) that does not parse as that type is kept in
        // the generic form: the record was on the wire, the bytes are
        // exact. The RFC 1035 types may hold compression pointers, which
        // mean nothing out of their message: those are dropped.
        Err(_) if !COMPRESSIBLE.contains(&rtype) => {
            return rec
                .to_any_record::<Raw<'_>>()
                .ok()
                .map(|r| generic(r.data().bytes))
                .and_then(|t| normalize_rdata(rtype, &t).ok());
        }
        Err(_) => return None,
    };
    let nm = |n: &ParsedName<&[u8]>| labels_to_name(n);
    // The arms that build the text from canonical names, numbers and
    // addresses give canonical text; the others go through
    // `normalize_rdata`.
    let text = match typed.data() {
        AllRecordData::A(a) => Some(pdnsfile::record::ipv4_text(a.addr().octets())),
        AllRecordData::Aaaa(a) => Some(a.addr().to_string()),
        AllRecordData::Cname(c) => nm(c.cname()),
        AllRecordData::Ns(c) => nm(c.nsdname()),
        AllRecordData::Ptr(c) => nm(c.ptrdname()),
        AllRecordData::Dname(c) => nm(c.dname()),
        AllRecordData::Mb(c) => nm(c.madname()),
        AllRecordData::Md(c) => nm(c.madname()),
        AllRecordData::Mf(c) => nm(c.madname()),
        AllRecordData::Mg(c) => nm(c.madname()),
        AllRecordData::Mr(c) => nm(c.newname()),
        AllRecordData::Mx(m) => nm(m.exchange()).map(|x| format!("{} {x}", m.preference())),
        AllRecordData::Srv(s) => {
            nm(s.target()).map(|t| format!("{} {} {} {t}", s.priority(), s.weight(), s.port()))
        }
        AllRecordData::Soa(s) => match (nm(s.mname()), nm(s.rname())) {
            (Some(m), Some(r)) => Some(format!(
                "{m} {r} {} {} {} {} {}",
                s.serial().into_int(),
                s.refresh().as_secs(),
                s.retry().as_secs(),
                s.expire().as_secs(),
                s.minimum().as_secs()
            )),
            _ => None,
        },
        AllRecordData::Txt(t) => Some(quote(t.iter())),
        AllRecordData::Unknown(u) if rtype == known::SPF => txt(u.data()),
        AllRecordData::Unknown(u) => return normalize_rdata(rtype, &generic(u.data())).ok(),
        other => return normalize_rdata(rtype, &other.to_string()).ok(),
    };
    text
}

/// The canonical presentation of wire rdata of a type, read on its own
/// (names in it must not be compressed): what an observation of such a
/// record would hold. `None` where the rdata does not decode.
///
/// Tests use it to read another dissector's hex rdata the same way.
pub fn rdata_presentation(rtype: u16, rdata: &[u8]) -> Option<String> {
    let len = u16::try_from(rdata.len()).ok()?;
    // A one-record response around the rdata, owner the root.
    let mut msg = vec![0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    msg.extend_from_slice(&rtype.to_be_bytes());
    msg.extend_from_slice(&[0, 1, 0, 0, 0, 0]);
    msg.extend_from_slice(&len.to_be_bytes());
    msg.extend_from_slice(rdata);
    let m = Message::from_slice(&msg).ok()?;
    let rec = m.answer().ok()?.next()?.ok()?;
    presentation(&rec)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ipv4_like_std() {
        for o in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 9, 100, 1],
            [192, 0, 2, 99],
        ] {
            assert_eq!(
                pdnsfile::record::ipv4_text(o),
                std::net::Ipv4Addr::from(o).to_string()
            );
        }
    }

    #[test]
    fn txt_quoting() {
        assert_eq!(txt(b"\x03a\"b\x01\\").unwrap(), r#""a\"b" "\\""#);
        assert_eq!(txt(b"\x02\x00\xff").unwrap(), r#""\000\255""#);
        assert_eq!(txt(b"").unwrap(), r#""""#);
        assert!(txt(b"\x05ab").is_none());
    }

    #[test]
    fn presentations() {
        let p = |t, d: &[u8]| rdata_presentation(t, d);
        assert_eq!(p(1, &[192, 0, 2, 1]).unwrap(), "192.0.2.1");
        assert_eq!(p(1, &[192, 0, 2]), None);
        assert_eq!(
            p(15, b"\x00\x0a\x02MX\x07Example\x00").unwrap(),
            "10 mx.example"
        );
        assert_eq!(p(5, b"\x03a\x00b\x00").unwrap(), "a\\000b");
        assert_eq!(p(65280, &[1, 2]).unwrap(), "\\# 2 0102");
        assert_eq!(p(65280, &[]).unwrap(), "\\# 0");
        assert_eq!(
            p(43, &[0x30, 0x39, 8, 2, 0xab, 0xcd]).unwrap(),
            "12345 8 2 abcd"
        );
    }
}
