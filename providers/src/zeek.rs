//! Zeek `dns.log`, TSV and JSON (FORMATS.md §9.2, zeek/zeek
//! `scripts/base/protocols/dns/main.zeek`).
//!
//! # Reading the log
//!
//! TSV: the `#separator`, `#set_separator`, `#empty_field`,
//! `#unset_field`, `#path` and `#fields` headers are honoured, columns are
//! found by their `#fields` name (never by position), a new `#separator`
//! starts a new log (concatenated or rotated files), and `\xNN` escapes
//! are decoded back to octets. A log whose `#path` is not `dns` is skipped
//! line by line (`not-dns`). A data line before any `#fields` is read with
//! the base `dns.log` columns if it has exactly their number (24), and is
//! a `no-header` error otherwise. JSON: one object per line, flat dotted
//! keys (`id.resp_p`; a nested `id` object is accepted too), omitted
//! optional fields, `ts` as a number or, with `LogAscii::json_timestamps`,
//! an ISO 8601 string; `\xNN` escapes that Zeek writes for bytes that are
//! not UTF-8 are decoded as in TSV.
//!
//! Lines that are not lookups are skipped: another opcode (NOTIFY,
//! UPDATE: `not-query`), NetBIOS, mDNS and LLMNR (responder port 137,
//! 5353 or 5355: `not-dns`; the client's port is whatever it picked), a class other than IN (`not-in-class`), no answers (`rcode`
//! when the rcode is an error, `no-answers` otherwise).
//!
//! # What `answers` says, and what it does not
//!
//! `answers` holds only the **answer section**, rendered one string per
//! record, **without owner names and without types**, and Zeek lower-cases
//! `query`. Each answer entry gets the time `ts`, count 1 (one response
//! seen) and the label `zeek` (`zeek:NODE` when `_node_name` or
//! `_system_name` is logged). What is recoverable, by rendering:
//!
//! - an IPv4 or IPv6 address: an **A or AAAA record**, by its shape;
//! - `TXT <len> <string>` (repeated for several strings) and `SPF …`:
//!   a **complete TXT/SPF record**; the lengths delimit the strings, so
//!   strings with spaces are rebuilt exactly, in RFC 1035 quoted form;
//! - a bare name: the rdata of a CNAME, NS, PTR, MX, SOA or SRV record,
//!   which Zeek all render alike. Its type comes from the query type:
//!   - for a query type that never renders as a bare name (A, AAAA, TXT,
//!     DNSKEY, …), an answer-section name can only be a **CNAME**. Its
//!     owner is the current owner (the query, then each CNAME target in
//!     turn, as a chain is written in order), and the addresses or TXT
//!     that follow belong to the last target;
//!   - for NS, PTR, MX, SOA and SRV queries, it is taken as a record of
//!     the **query type owned by the query name**. A CNAME in front of it
//!     (the query name being an alias) cannot be told apart and is then
//!     imported as that type too; this is the one known misreading;
//!   - MX, SOA and SRV keep only one name (**exchange, MNAME, target**):
//!     no preference, SOA numbers, priority, weight or port are invented;
//!   - for ANY queries and lines without a query type (unmatched replies),
//!     a bare name could be anything and its successors could belong to
//!     it: the name and every answer after it are skipped (`ambiguous`);
//!     answers before it belong to the query name.
//! - `RRSIG <type> <signer>`, `DNSKEY <alg>`, `DS <alg> <digest type>`,
//!   `NSEC <owner> <next>`, `NSEC3`, `NSEC3PARAM`, `SSHFP: <hex>`,
//!   `LOC: …`, `BIND9 signing signal`, `<unknown type=N>` and anything
//!   else with a space: too little to rebuild the record, **skipped**
//!   (`lossy`).
//!
//! `TTLs`, `auth`, `addl`, `rtt` and the flags are not used.

use pdnsfile::rrtype::known;
use serde_json::Value;

use crate::common::{as_obj, get, quote_txt, time_of, Ctx, Obj, Rec, Unit};
use crate::error::{quote, ErrorKind, ParseError};
use crate::time::{self, End};

/// The base `dns.log` columns (Zeek 3 to 6), used when a TSV line comes
/// without a `#fields` header.
const BASE_FIELDS: [&str; 24] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
];

/// TSV header state.
#[derive(Clone, Debug)]
pub(crate) struct TsvState {
    separator: Vec<u8>,
    set_separator: Vec<u8>,
    empty: Vec<u8>,
    unset: Vec<u8>,
    fields: Option<Vec<String>>,
    is_dns: bool,
}

impl Default for TsvState {
    fn default() -> TsvState {
        TsvState {
            separator: b"\t".to_vec(),
            set_separator: b",".to_vec(),
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
            fields: None,
            is_dns: true,
        }
    }
}

/// Decodes Zeek's `\xNN` escapes; any other backslash is kept.
pub(crate) fn unescape(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'x') {
            if let (Some(h), Some(l)) = (
                s.get(i + 2).copied().and_then(hex),
                s.get(i + 3).copied().and_then(hex),
            ) {
                // Two hex digits make at most 255.
                out.push(u8::try_from(h * 16 + l).unwrap_or(u8::MAX));
                i += 4;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// Presentation form of a name given as raw octets with `.` between
/// labels: octets outside printable ASCII and `\` become escapes, so
/// `pdnsfile::name::normalize` reads back exactly these octets.
fn name_text(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(char::from(b)),
            _ => {
                pdnsfile::record::push_ddd(&mut out, b);
            }
        }
    }
    out
}

/// One `dns.log` line, however it was read.
#[derive(Debug, Default)]
struct Line {
    ts: Option<u64>,
    query: Option<Vec<u8>>,
    qtype: Option<u16>,
    qclass: Option<u64>,
    rcode: Option<u64>,
    opcode: Option<u64>,
    /// The responder's port (`id.resp_p`): the service. The client's
    /// port is any it picked, 5353 included, so it says nothing.
    resp_port: Option<u64>,
    answers: Vec<Vec<u8>>,
    node: Option<String>,
}

/// How bare names in `answers` are read, from the query type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The query type never renders as a bare name: names are CNAMEs.
    Cname,
    /// NS, PTR, MX, SOA, SRV (and CNAME) queries: names are that type.
    Named(u16),
    /// ANY or unknown: names are ambiguous.
    Uncertain,
}

fn mode(qtype: Option<u16>) -> Mode {
    match qtype {
        None | Some(255) => Mode::Uncertain,
        Some(known::CNAME) => Mode::Cname,
        Some(t @ (known::NS | known::PTR | known::MX | known::SOA | known::SRV)) => Mode::Named(t),
        Some(_) => Mode::Cname,
    }
}

/// One rendered answer.
enum Answer {
    Address(u16, String),
    Text(u16, String),
    Name(Vec<u8>),
    Lossy,
}

/// Parses `TXT <len> <string>[ TXT <len> <string>…]` into the quoted
/// presentation of the strings.
fn parse_txt(raw: &[u8], keyword: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut rest = raw;
    loop {
        rest = rest.strip_prefix(keyword)?.strip_prefix(b" ")?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let len: usize = std::str::from_utf8(rest.get(..digits)?)
            .ok()?
            .parse()
            .ok()?;
        rest = rest.get(digits..)?.strip_prefix(b" ")?;
        let s = rest.get(..len)?;
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&quote_txt(s));
        rest = rest.get(len..)?;
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix(b" ")?;
    }
}

fn classify(raw: &[u8]) -> Result<Answer, ParseError> {
    if let Ok(s) = std::str::from_utf8(raw) {
        if let Some(t) = crate::common::ip_type(s) {
            return Ok(Answer::Address(t, s.to_string()));
        }
    }
    for (keyword, rrtype) in [(&b"TXT"[..], known::TXT), (&b"SPF"[..], known::SPF)] {
        if raw.starts_with(keyword) && raw.get(keyword.len()) == Some(&b' ') {
            return parse_txt(raw, keyword)
                .map(|t| Answer::Text(rrtype, t))
                .ok_or_else(|| {
                    ParseError::new(
                        ErrorKind::Rdata,
                        format!(
                            "malformed {} rendering {}",
                            String::from_utf8_lossy(keyword),
                            quote(&String::from_utf8_lossy(raw))
                        ),
                    )
                });
        }
    }
    let lossy = raw.is_empty()
        || raw.contains(&b' ')
        || raw.contains(&b'<')
        || raw == b"NSEC3"
        || raw == b"NSEC3PARAM"
        || raw.starts_with(b"SSHFP:")
        || raw.starts_with(b"LOC:");
    Ok(if lossy {
        Answer::Lossy
    } else {
        Answer::Name(raw.to_vec())
    })
}

fn entries(ctx: &mut Ctx<'_>, line: Line) -> Result<(), ParseError> {
    if line.opcode.is_some_and(|o| o != 0) {
        ctx.skip("not-query");
        return Ok(());
    }
    if matches!(line.resp_port, Some(137 | 5353 | 5355)) {
        ctx.skip("not-dns");
        return Ok(());
    }
    if line.qclass.is_some_and(|c| c != 1) {
        ctx.skip("not-in-class");
        return Ok(());
    }
    if line.answers.is_empty() {
        ctx.skip(if line.rcode.is_some_and(|r| r != 0) {
            "rcode"
        } else {
            "no-answers"
        });
        return Ok(());
    }
    let ts = line.ts.ok_or_else(|| crate::common::missing("ts"))?;
    let query = line
        .query
        .as_deref()
        .ok_or_else(|| crate::common::missing("query"))?;
    // Zeek logs the root as an empty query.
    let query = if query.is_empty() {
        ".".to_string()
    } else {
        name_text(query)
    };
    let label = ctx.label_for(line.node.as_deref());
    let labels = [label];
    let mode = mode(line.qtype);
    let mut owner = query.clone();
    let mut uncertain = false;
    for raw in &line.answers {
        let answer = match classify(raw) {
            Ok(a) => a,
            Err(e) => {
                ctx.error(e);
                continue;
            }
        };
        let (rrtype, rdata, next_owner) = match answer {
            Answer::Lossy => {
                ctx.skip("lossy");
                continue;
            }
            _ if uncertain => {
                ctx.skip("ambiguous");
                continue;
            }
            Answer::Address(t, a) => (t, a, None),
            Answer::Text(t, s) => (t, s, None),
            Answer::Name(n) => {
                let n = name_text(&n);
                match mode {
                    Mode::Cname => (known::CNAME, n.clone(), Some(n)),
                    Mode::Named(t) => (t, n, None),
                    Mode::Uncertain => {
                        uncertain = true;
                        ctx.skip("ambiguous");
                        continue;
                    }
                }
            }
        };
        ctx.emit_labelled(
            &Rec {
                rrname: &owner,
                rrtype,
                rdata: &rdata,
                first: ts,
                last: ts,
                count: Some(1),
                bailiwick: None,
            },
            &labels,
        );
        if let Some(n) = next_owner {
            owner = n;
        }
    }
    Ok(())
}

/// One TSV line (header or data).
pub(crate) fn tsv_line(
    ctx: &mut Ctx<'_>,
    st: &mut TsvState,
    line: &[u8],
) -> Result<(), ParseError> {
    if let Some(rest) = line.strip_prefix(b"#separator ") {
        *st = TsvState {
            separator: unescape(rest),
            ..TsvState::default()
        };
        if st.separator.is_empty() {
            st.separator = b"\t".to_vec();
            return Err(ParseError::new(ErrorKind::Header, "empty #separator"));
        }
        ctx.skip("header");
        return Ok(());
    }
    if line.first() == Some(&b'#') {
        let sep = st.separator.clone();
        let body = &line[1..];
        let (key, value) = match find(body, &sep) {
            Some(i) => (&body[..i], &body[i + sep.len()..]),
            None => (body, &b""[..]),
        };
        match key {
            b"set_separator" => st.set_separator = unescape(value),
            b"empty_field" => st.empty = unescape(value),
            b"unset_field" => st.unset = unescape(value),
            b"path" => st.is_dns = value == b"dns",
            b"fields" => {
                st.fields = Some(
                    split(value, &sep)
                        .into_iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect(),
                );
            }
            _ => {}
        }
        ctx.skip("header");
        return Ok(());
    }
    if !st.is_dns {
        ctx.skip("not-dns");
        return Ok(());
    }
    let cols = split(line, &st.separator);
    let base: Vec<String>;
    let fields = match &st.fields {
        Some(f) => f,
        None if cols.len() == BASE_FIELDS.len() => {
            base = BASE_FIELDS.iter().map(|s| (*s).to_string()).collect();
            &base
        }
        None => {
            return Err(ParseError::new(
                ErrorKind::Header,
                "a dns.log line before any #fields header",
            ))
        }
    };
    if cols.len() != fields.len() {
        return Err(ParseError::new(
            ErrorKind::Fields,
            format!("{} columns, #fields names {}", cols.len(), fields.len()),
        ));
    }
    let col = |name: &str| -> Option<&[u8]> {
        let i = fields.iter().position(|f| f == name)?;
        let v = *cols.get(i)?;
        (v != st.unset.as_slice()).then_some(v)
    };
    let text = |name: &str| col(name).map(|v| String::from_utf8_lossy(&unescape(v)).into_owned());
    let number = |name: &str| -> Result<Option<u64>, ParseError> {
        match text(name) {
            None => Ok(None),
            Some(t) => t.trim().parse().map(Some).map_err(|_| {
                ParseError::new(
                    ErrorKind::Number,
                    format!("{name} {} is not a count", quote(&t)),
                )
            }),
        }
    };
    let ts = match text("ts") {
        None => None,
        Some(t) => Some(
            time::parse_epoch_text(t.trim())
                .or_else(|| time::parse_text(&t, End::First))
                .ok_or_else(|| ParseError::new(ErrorKind::Time, format!("ts {}", quote(&t))))?,
        ),
    };
    let qtype = match number("qtype")? {
        Some(n) => Some(u16::try_from(n).map_err(|_| {
            ParseError::new(ErrorKind::RrType, format!("qtype {n} is not a type number"))
        })?),
        None => text("qtype_name").and_then(|n| pdnsfile::rrtype::parse(&n)),
    };
    let answers = match col("answers") {
        None => Vec::new(),
        Some(v) if v == st.empty.as_slice() => Vec::new(),
        Some(v) => split(v, &st.set_separator)
            .into_iter()
            .map(unescape)
            .collect(),
    };
    let query = col("query").map(|q| {
        if q == st.empty.as_slice() {
            Vec::new()
        } else {
            unescape(q)
        }
    });
    let line = Line {
        ts,
        query,
        qtype,
        qclass: number("qclass")?,
        rcode: number("rcode")?,
        opcode: number("opcode")?,
        resp_port: number("id.resp_p")?,
        answers,
        node: text("_node_name").or_else(|| text("_system_name")),
    };
    entries(ctx, line)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(s: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = find(rest, sep) {
        out.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    out.push(rest);
    out
}

/// A key of a Zeek JSON object: flat (`id.resp_p`) or nested (`id` →
/// `resp_p`).
fn json_key<'v>(obj: &'v Obj, key: &str) -> Option<&'v Value> {
    if let Some(v) = get(obj, key) {
        return Some(v);
    }
    let (a, b) = key.split_once('.')?;
    get(obj, a)?.as_object().and_then(|o| get(o, b))
}

fn json_count(obj: &Obj, key: &str) -> Result<Option<u64>, ParseError> {
    match json_key(obj, key) {
        None => Ok(None),
        Some(v) => crate::common::count_of(v, key),
    }
}

fn json_bytes(v: &Value, key: &str) -> Result<Vec<u8>, ParseError> {
    v.as_str()
        .map(|s| unescape(s.as_bytes()))
        .ok_or_else(|| ParseError::new(ErrorKind::Shape, format!("{key} is not a string")))
}

/// One JSON line.
pub(crate) fn json_record(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "line")?;
    let ts = json_key(obj, "ts")
        .map(|t| time_of(t, Unit::Seconds, End::First, "ts"))
        .transpose()?;
    let qtype = match json_key(obj, "qtype") {
        Some(v) => Some(crate::common::rrtype_of(v, "qtype")?),
        None => json_key(obj, "qtype_name")
            .and_then(Value::as_str)
            .and_then(pdnsfile::rrtype::parse),
    };
    let answers = match json_key(obj, "answers") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| json_bytes(x, "answers"))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ParseError::new(ErrorKind::Shape, "answers is not an array")),
    };
    let node = ["_node_name", "_system_name"]
        .iter()
        .find_map(|k| json_key(obj, k).and_then(Value::as_str))
        .map(str::to_string);
    let line = Line {
        ts,
        query: json_key(obj, "query")
            .map(|q| json_bytes(q, "query"))
            .transpose()?,
        qtype,
        qclass: json_count(obj, "qclass")?,
        rcode: json_count(obj, "rcode")?,
        opcode: json_count(obj, "opcode")?,
        resp_port: json_count(obj, "id.resp_p")?,
        answers,
        node,
    };
    entries(ctx, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_and_parses_txt() {
        assert_eq!(unescape(b"a\\x2cb\\x09\\xzz\\"), b"a,b\t\\xzz\\");
        assert_eq!(
            parse_txt(b"TXT 3 a b TXT 0  TXT 2 \"\\", b"TXT").as_deref(),
            Some("\"a b\" \"\" \"\\\"\\\\\"")
        );
        assert_eq!(parse_txt(b"TXT 9 short", b"TXT"), None);
        assert_eq!(parse_txt(b"TXT 2 abc", b"TXT"), None);
        assert_eq!(name_text(b"a\\b.\x1b.c d"), "a\\\\b.\\027.c\\032d");
    }
}
