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

/// Whether `data` is a response worth decoding; counts it when it is not
/// (too short for a header, or a query). A cheap look at two header
/// bytes, so that a reading thread can keep queries from the decoding
/// ones.
pub(crate) fn is_response(data: &[u8], stats: &mut Stats) -> bool {
    // The header is 12 octets; QR is the top bit of the third.
    match data.get(2) {
        Some(flags) if data.len() >= 12 => {
            if flags & 0x80 == 0 {
                stats.queries += 1;
                false
            } else {
                true
            }
        }
        _ => {
            stats.skip("dns-short-header");
            false
        }
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
    sink: &mut Sink<'_>,
) {
    if !is_response(data, stats) {
        return;
    }
    let Ok(msg) = Message::from_slice(data) else {
        stats.skip("dns-short-header");
        return;
    };
    let header = msg.header();
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
    sink: &mut Sink<'_>,
) -> Result<(), ParseError> {
    let mut questions = msg.question();
    for q in &mut questions {
        q?;
    }
    let mut section = Some(questions.answer()?);
    while let Some(mut records) = section {
        for rec in &mut records {
            let rec = rec?;
            if let Some(o) = observation(&rec, time, source, stats)? {
                stats.records += 1;
                sink(&o);
            }
        }
        section = records.next_section()?;
    }
    Ok(())
}

/// Where observations go: a callback given each one, borrowed from its
/// message.
pub type Sink<'s> = dyn FnMut(&Observation<'_>) + 's;

/// One observation: a record of a response, still borrowed from its
/// message, with everything checked that decides whether it is one (so
/// the counts are the same whichever form it is taken in). Take it as an
/// [`Entry`], or straight as a sort item, which skips the text round
/// trips of names and addresses.
pub struct Observation<'a> {
    owner: ParsedName<&'a [u8]>,
    rtype: u16,
    rdata: Data<'a>,
    time: u64,
    source: Option<&'a str>,
}

/// An observation's rdata, in the cheapest form that gives both its text
/// and its stored bytes.
enum Data<'a> {
    V4([u8; 4]),
    V6([u8; 16]),
    /// Types whose rdata is one name.
    Name(ParsedName<&'a [u8]>),
    /// Every other type, as canonical presentation text.
    Text(String),
}

impl Data<'_> {
    fn text(&self) -> String {
        match self {
            Data::V4(o) => pdnsfile::record::ipv4_text(*o),
            Data::V6(o) => std::net::Ipv6Addr::from(*o).to_string(),
            Data::Name(n) => labels_to_name(n).unwrap_or_default(),
            Data::Text(t) => t.clone(),
        }
    }
}

impl Observation<'_> {
    /// The observation as an entry seen once, at the packet's time.
    pub fn entry(&self) -> Entry {
        Entry {
            rrname: labels_to_name(&self.owner).unwrap_or_default(),
            rrtype: self.rtype,
            rdata: self.rdata.text(),
            time_first: self.time,
            time_last: self.time,
            count: Some(1),
            sources: self.source.map(|s| vec![s.to_string()]).unwrap_or_default(),
            bailiwick: None,
        }
    }

    /// Appends the sort item of [`Observation::entry`]
    /// ([`pdnsfile::sortkey::encode_into`]) without building it: the same
    /// bytes (the tests compare the two on every observation of every
    /// bundled capture).
    pub fn encode_item(&self, out: &mut Vec<u8>) {
        self.encode_key(out);
        pdnsfile::sortkey::encode_payload_into(
            out,
            self.time,
            self.time,
            Some(1),
            self.source.map(str::as_bytes).into_iter(),
            None,
        );
    }

    /// Appends the key part of [`Observation::encode_item`]: what comes
    /// before the payload, which is the same for every observation of a
    /// message (its time and source), so a caller may encode that once
    /// per message and append it.
    pub fn encode_key(&self, out: &mut Vec<u8>) {
        push_reversed_key(&self.owner, out);
        out.push(0);
        out.extend_from_slice(&self.rtype.to_be_bytes());
        let start = out.len();
        match &self.rdata {
            Data::V4(o) => out.extend_from_slice(o),
            Data::V6(o) => out.extend_from_slice(o),
            Data::Name(n) => push_name(n, out),
            Data::Text(t) => pdnsfile::record::encode_rdata_into(self.rtype, t, out),
        }
        pdnsfile::sortkey::escape_rdata_from(out, start);
        out.extend_from_slice(&[0, 0]);
    }
}

/// The labels of a wire name other than the root's, in order, without
/// allocating for names of up to 16 labels.
fn with_labels<R>(n: &ParsedName<&[u8]>, f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let mut inline: [&[u8]; 16] = [&[]; 16];
    let mut count = 0;
    let mut spilled: Vec<&[u8]> = Vec::new();
    for label in n.iter() {
        let bytes = label.as_slice();
        if bytes.is_empty() {
            continue;
        }
        match inline.get_mut(count) {
            Some(slot) if spilled.is_empty() => *slot = bytes,
            _ => {
                if spilled.is_empty() {
                    spilled.extend_from_slice(&inline);
                }
                spilled.push(bytes);
            }
        }
        count += 1;
    }
    if spilled.is_empty() {
        f(inline.get(..count).unwrap_or_default())
    } else {
        f(&spilled)
    }
}

/// Appends the reversed key of a wire name (its labels last to first,
/// each followed by a dot): what `name::reversed_key_into` makes of
/// [`labels_to_name`].
fn push_reversed_key(n: &ParsedName<&[u8]>, out: &mut Vec<u8>) {
    with_labels(n, |labels| {
        for label in labels.iter().rev() {
            name::push_label_bytes(out, label);
            out.push(b'.');
        }
    });
}

/// Appends [`labels_to_name`] of a wire name.
fn push_name(n: &ParsedName<&[u8]>, out: &mut Vec<u8>) {
    let start = out.len();
    for label in n.iter() {
        let bytes = label.as_slice();
        if bytes.is_empty() {
            continue;
        }
        if out.len() > start {
            out.push(b'.');
        }
        name::push_label_bytes(out, bytes);
    }
    if out.len() == start {
        out.push(b'.');
    }
}

/// The observation of one record, `None` for a record that is not one
/// (OPT, another class) or whose rdata does not decode (counted).
fn observation<'a>(
    rec: &ParsedRecord<'a, [u8]>,
    time: u64,
    source: Option<&'a str>,
    stats: &mut Stats,
) -> Result<Option<Observation<'a>>, ParseError> {
    let rtype = rec.rtype();
    if rtype == Rtype::OPT {
        return Ok(None);
    }
    if rec.class() != Class::IN {
        stats.skip("not-class-in");
        return Ok(None);
    }
    // `domain` refuses a wire name over 255 octets, and such a name
    // presents in at most 1003 bytes (four labels of 63 octets, each as
    // `\ddd`), under name::MAX_NAME_LEN (a test checks it): no length
    // check is needed here.
    let owner = rec.owner();
    let Some(rdata) = data(rec) else {
        stats.skip("dns-bad-rdata");
        return Ok(None);
    };
    // The owner's text comes from `labels_to_name` and the rdata's from
    // `data`, both already in the canonical form `Entry::new` would make
    // (the tests check it on every observation): normalizing them again
    // would cost a fifth of the decoding time.
    Ok(Some(Observation {
        owner,
        rtype: rtype.to_int(),
        rdata,
        time,
        source,
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
    data(rec).map(|d| d.text())
}

/// A record's rdata in the form [`Observation`] keeps; `None` where
/// [`presentation`] has none.
fn data<'a>(rec: &ParsedRecord<'a, [u8]>) -> Option<Data<'a>> {
    let rtype = rec.rtype().to_int();
    // Addresses, most of a capture's records, are taken as their octets:
    // `domain`'s enum of every type is large, and building and moving it
    // was a tenth of the decoding. Rdata of another length is left to the
    // typed parse below, which refuses it.
    if rtype == known::A || rtype == known::AAAA {
        let raw = rec.to_any_record::<Raw<'_>>().ok()?;
        let bytes = raw.data().bytes;
        if let Ok(o) = <[u8; 4]>::try_from(bytes) {
            if rtype == known::A {
                return Some(Data::V4(o));
            }
        }
        if let Ok(o) = <[u8; 16]>::try_from(bytes) {
            if rtype == known::AAAA {
                return Some(Data::V6(o));
            }
        }
    }
    let typed = match rec.to_any_record::<Rdata<'a>>() {
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
                .and_then(|t| normalize_rdata(rtype, &t).ok())
                .map(Data::Text);
        }
        Err(_) => return None,
    };
    let nm = |n: &ParsedName<&[u8]>| labels_to_name(n);
    // Never too long (see `observation`).
    let one = |n: &ParsedName<&'a [u8]>| Some(Data::Name(*n));
    // The arms that build the text from canonical names, numbers and
    // addresses give canonical text; the others go through
    // `normalize_rdata`.
    let text = match typed.data() {
        AllRecordData::A(a) => return Some(Data::V4(a.addr().octets())),
        AllRecordData::Aaaa(a) => return Some(Data::V6(a.addr().octets())),
        AllRecordData::Cname(c) => return one(c.cname()),
        AllRecordData::Ns(c) => return one(c.nsdname()),
        AllRecordData::Ptr(c) => return one(c.ptrdname()),
        AllRecordData::Dname(c) => return one(c.dname()),
        AllRecordData::Mb(c) => return one(c.madname()),
        AllRecordData::Md(c) => return one(c.madname()),
        AllRecordData::Mf(c) => return one(c.madname()),
        AllRecordData::Mg(c) => return one(c.madname()),
        AllRecordData::Mr(c) => return one(c.newname()),
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
        AllRecordData::Unknown(u) => normalize_rdata(rtype, &generic(u.data())).ok(),
        other => normalize_rdata(rtype, &other.to_string()).ok(),
    };
    text.map(Data::Text)
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
    fn the_longest_wire_name_presents_within_the_limit() {
        // 255 octets: four labels of 63, 63, 63 and 61 octets that all
        // present as `\ddd`, and the root.
        let message = |labels: &[u8]| {
            let mut msg = vec![0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0];
            for &len in labels {
                msg.push(len);
                msg.extend(std::iter::repeat_n(0xffu8, usize::from(len)));
            }
            msg.push(0);
            msg.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1]);
            msg
        };
        let msg = message(&[63, 63, 63, 61]);
        let m = Message::from_slice(&msg).unwrap();
        let rec = m.answer().unwrap().next().unwrap().unwrap();
        let text = labels_to_name(&rec.owner()).unwrap();
        assert_eq!(text.len(), 1003);
        assert!(text.len() <= name::MAX_NAME_LEN);
        // One more octet (256) is refused by the parser.
        let long = message(&[63, 63, 63, 62]);
        assert!(Message::from_slice(&long)
            .ok()
            .and_then(|m| m.answer().ok()?.next()?.ok())
            .is_none());
    }

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
