//! COF-shaped records: DNSDB API v1 and v2 (SAF), CIRCL, generic COF
//! (including this project's output), mnemonic's COF variant, and
//! Qihoo 360 (FORMATS.md §1, §2, §7).
//!
//! # Fields read
//!
//! - `rrname` (string, required), `rrtype` (mnemonic in any case,
//!   `TYPEnnn`, or a number, required), `rdata` (a string or an array of
//!   strings, one entry each, required; Qihoo 360 joins values with `;`
//!   and ends with `;`).
//! - Times: `time_first`/`time_last` (numbers, strings of digits, or
//!   RFC 3339 strings as DNSDB's `humantime` sends), `time_first_ms` /
//!   `time_last_ms` (COF, milliseconds), `time_first_rfc3339` /
//!   `time_last_rfc3339` (PyPDNS) and `zone_time_first`/`zone_time_last`
//!   (DNSDB zone-file observations). An entry has one interval, so it gets
//!   the earliest first and the latest last of all of them; zeros are
//!   ignored when another value exists, as dnsdbq falls back to zone times
//!   when the wire times are 0. One end alone stands for both ends.
//! - `count` (number or string of digits; absent stays unknown),
//!   `bailiwick` (DNSDB rrset lookups only).
//! - Generic COF: `sources` (array of labels, as this project writes it)
//!   becomes the entry's sources unless the caller sets a label.
//! - Everything else (`origin`, `sensor_id`, `dnsdbq-rdata`, `num_results`,
//!   future fields) is ignored.
//!
//! DNSDB folds wildcard junk into an owner starting with `_WILDCARD_.`;
//! names are lower-cased, so it is stored as `_wildcard_.…`.
//!
//! # DNSDB SAF (API v2)
//!
//! Lines carry `cond`, `msg` and `obj`. `begin`, keepalives and terminal
//! lines are counted as skips (`saf-control`, `saf-keepalive`,
//! `saf-limited` when the server cut the result short); an `obj` is a
//! record, also on a `limited` line. `failed` is a `provider-error`. A
//! stream that ends without `succeeded`, `limited` or `failed` is reported
//! by [`crate::Parser::finish`] as `truncated` (its entries are kept: they
//! are real observations, the result is just incomplete). Several streams
//! one after the other are fine.
//!
//! # CIRCL: swapped rrname and rdata
//!
//! CIRCL pDNS 2.0 answers forward queries with rrname and rdata swapped
//! (FORMATS.md §0.9). Only what the record itself proves is swapped is
//! swapped back:
//!
//! - A or AAAA whose rrname is an address and whose rdata is not;
//! - any other type but the name-valued ones (MX, SRV, SOA, TXT, CAA,
//!   SSHFP, ...) whose rrname has white space or a double quote, which
//!   only presentation rdata has (`"10 cppy.circl.lu"`, `"\"v=spf1
//!   -all\""`), and whose rdata is a bare name.
//!
//! Such a record also reveals the queried name (its rdata). Records that
//! cannot prove a swap on their own (NS, CNAME, PTR, DNAME; a TXT string
//! without space or quote) are swapped when their rdata is that queried
//! name: learned from an earlier proven swap in the same stream, or given
//! by the caller as [`crate::Options::query`]. Such a record that comes
//! before any proof in a file without a given query is kept as it is.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use pdnsfile::format::{put_len_bytes, put_varint};
use pdnsfile::rrtype::known;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use crate::common::{
    as_obj, count_of, get, is_ip, is_meta_type, normalize_query, opt_str, rdata_of, req_str,
    rrtype_of, rrtype_text, span, time_of, Ctx, Obj, Rec, Settings, Unit, LABEL_MAX,
};
use crate::error::{ErrorKind, ParseError};
use crate::time::{End, MAX_TIME};

/// How many queried names a CIRCL stream remembers from proven swaps.
const LEARNED_MAX: usize = 32;

/// Which producer a COF record comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// DNSDB v1 or v2 objects.
    Dnsdb,
    /// CIRCL (swap detection).
    Circl,
    /// Generic COF (reads `sources`).
    Cof,
    /// mnemonic's COF variant.
    MnemonicCof,
    /// Qihoo 360 (rdata joined by `;`).
    Qihoo,
}

/// Stream state of the COF family.
#[derive(Clone, Debug, Default)]
pub(crate) struct CofState {
    /// A SAF stream has begun (or sent records) and not yet ended.
    pub saf_open: bool,
    /// Queried names revealed by proven CIRCL swaps.
    pub learned: Vec<String>,
}

/// One DNSDB line: a SAF envelope or a bare COF object.
pub(crate) fn dnsdb_line(ctx: &mut Ctx<'_>, state: &mut CofState, v: &Value) {
    let obj = match as_obj(v, "line") {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let is_saf = obj.contains_key("cond") || obj.contains_key("obj") || obj.contains_key("msg");
    if !is_saf || obj.contains_key("rrname") {
        return ctx.run("", |c| record(c, state, Flavor::Dnsdb, v));
    }
    let cond = match get(obj, "cond") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return ctx.error(ParseError::new(
                ErrorKind::Shape,
                "SAF cond is not a string",
            ));
        }
    };
    let msg = opt_str(obj, "msg").ok().flatten().unwrap_or("");
    let data = get(obj, "obj");
    match cond {
        Some("begin") => {
            if state.saf_open {
                ctx.error(ParseError::new(
                    ErrorKind::Truncated,
                    "a DNSDB SAF stream began before the previous one ended",
                ));
            }
            state.saf_open = true;
            ctx.skip("saf-control");
        }
        Some("ongoing") | None => {
            state.saf_open = true;
            if data.is_none() {
                ctx.skip("saf-keepalive");
            }
        }
        Some("succeeded") => {
            state.saf_open = false;
            ctx.skip("saf-control");
        }
        Some("limited") => {
            state.saf_open = false;
            ctx.skip("saf-limited");
        }
        Some("failed") => {
            state.saf_open = false;
            ctx.error(ParseError::new(
                ErrorKind::Provider,
                format!("DNSDB stream failed: {msg}"),
            ));
        }
        Some(other) => {
            return ctx.error(ParseError::new(
                ErrorKind::Shape,
                format!("unknown SAF cond {}", crate::error::quote(other)),
            ));
        }
    }
    if let Some(d) = data {
        ctx.run("obj", |c| record(c, state, Flavor::Dnsdb, d));
    }
}

/// A COF document: one object, or an array of objects (Qihoo 360's shape,
/// and what some tools write). Provider error objects are reported.
pub(crate) fn document(ctx: &mut Ctx<'_>, state: &mut CofState, flavor: Flavor, v: &Value) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if flavor == Flavor::Dnsdb {
                    // SAF lines collected into an array.
                    let before = ctx.errors.len();
                    dnsdb_line(ctx, state, item);
                    for e in ctx.errors.iter_mut().skip(before) {
                        *e = e.clone().context(&format!("[{i}]"));
                    }
                } else {
                    ctx.run(&format!("[{i}]"), |c| record(c, state, flavor, item));
                }
            }
        }
        Value::Object(o) if flavor == Flavor::Qihoo && o.contains_key("err") => {
            let msg = get(o, "msg")
                .and_then(crate::common::text_of)
                .unwrap_or_default();
            ctx.error(ParseError::new(
                ErrorKind::Provider,
                format!(
                    "360 error {}: {msg}",
                    get(o, "err").map(Value::to_string).unwrap_or_default()
                ),
            ));
        }
        Value::Object(_) if matches!(flavor, Flavor::Dnsdb) => dnsdb_line(ctx, state, v),
        _ => ctx.run("", |c| record(c, state, flavor, v)),
    }
}

/// The times of a COF object (see the module docs).
fn times(obj: &Obj) -> Result<(u64, u64), ParseError> {
    const FIRST: [(&str, Unit); 4] = [
        ("time_first", Unit::Seconds),
        ("time_first_ms", Unit::Millis),
        ("time_first_rfc3339", Unit::Seconds),
        ("zone_time_first", Unit::Seconds),
    ];
    const LAST: [(&str, Unit); 4] = [
        ("time_last", Unit::Seconds),
        ("time_last_ms", Unit::Millis),
        ("time_last_rfc3339", Unit::Seconds),
        ("zone_time_last", Unit::Seconds),
    ];
    let collect = |keys: &[(&str, Unit)], end: End| -> Result<Vec<u64>, ParseError> {
        let mut v = Vec::new();
        for (k, unit) in keys {
            if let Some(x) = get(obj, k) {
                v.push(time_of(x, *unit, end, k)?);
            }
        }
        // A zero means "not known" when something else is known.
        if v.iter().any(|t| *t > 0) {
            v.retain(|t| *t > 0);
        }
        Ok(v)
    };
    let firsts = collect(&FIRST, End::First)?;
    let lasts = collect(&LAST, End::Last)?;
    span(
        firsts.iter().copied().min(),
        lasts.iter().copied().max(),
        "time_first or time_last",
    )
}

/// The rdata values of a COF object.
fn rdatas(obj: &Obj, flavor: Flavor) -> Result<Vec<&str>, ParseError> {
    let v = get(obj, "rdata").ok_or_else(|| crate::common::missing("rdata"))?;
    let out: Vec<&str> = match v {
        Value::String(s) if flavor == Flavor::Qihoo => s
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect(),
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                out.push(x.as_str().ok_or_else(|| {
                    ParseError::new(ErrorKind::Shape, "rdata array holds a non-string")
                })?);
            }
            out
        }
        _ => {
            return Err(ParseError::new(
                ErrorKind::Shape,
                "rdata is neither a string nor an array",
            ))
        }
    };
    if out.is_empty() {
        return Err(ParseError::new(ErrorKind::Rdata, "rdata is empty"));
    }
    Ok(out)
}

fn has_space(s: &str) -> bool {
    s.trim().contains(char::is_whitespace)
}

/// Types whose rdata is a single name.
fn name_valued(rrtype: u16) -> bool {
    matches!(
        rrtype,
        known::NS | known::CNAME | known::PTR | known::DNAME | 3 | 4 | 7 | 8 | 9
    )
}

/// Whether `s` cannot be an owner name as CIRCL writes one: white space
/// or a double quote only appear in presentation rdata (`"10 mx.example"`,
/// `"v=spf1 -all"`, `0 issue "ca.example"`).
fn rdata_shaped(s: &str) -> bool {
    has_space(s) || s.contains('"')
}

/// Decides whether a CIRCL record has rrname and rdata swapped (see the
/// module docs), learning the queried name from proven swaps.
fn circl_swapped(
    ctx: &Ctx<'_>,
    state: &mut CofState,
    rrtype: u16,
    rrname: &str,
    rdata: &str,
) -> bool {
    let proven = match rrtype {
        known::A | known::AAAA => is_ip(rrname) && !is_ip(rdata),
        // A name in the rdata of a name-valued type proves nothing.
        t if name_valued(t) => false,
        // Any other type (MX, SRV, SOA, TXT, CAA, SSHFP, ...): presentation
        // rdata in the owner's place and a bare name in the rdata's.
        _ => rdata_shaped(rrname) && !rdata_shaped(rdata) && normalize_query(rdata).is_some(),
    };
    if proven {
        if let Some(q) = normalize_query(rdata) {
            if !state.learned.contains(&q) {
                if state.learned.len() == LEARNED_MAX {
                    state.learned.remove(0);
                }
                state.learned.push(q);
            }
        }
        return true;
    }
    if matches!(rrtype, known::A | known::AAAA) {
        return false;
    }
    // Otherwise the queried name in the rdata's place gives it away, for
    // any type whose rdata cannot prove a swap itself (a TXT string with
    // neither space nor quote, a CNAME).
    let (Some(d), Some(n)) = (normalize_query(rdata), normalize_query(rrname)) else {
        return false;
    };
    let queried = |x: &String| ctx.settings.query.as_ref() == Some(x) || state.learned.contains(x);
    queried(&d) && !queried(&n)
}

/// One COF object into its entries.
pub(crate) fn record(
    ctx: &mut Ctx<'_>,
    state: &mut CofState,
    flavor: Flavor,
    v: &Value,
) -> Result<(), ParseError> {
    let obj = as_obj(v, "record")?;
    let mut rrname = req_str(obj, "rrname")?;
    let rrtype = rrtype_of(
        get(obj, "rrtype").ok_or_else(|| crate::common::missing("rrtype"))?,
        "rrtype",
    )?;
    let mut values = rdatas(obj, flavor)?;
    let (first, last) = times(obj)?;
    let count = match obj.get("count") {
        Some(c) => count_of(c, "count")?,
        None => None,
    };
    let bailiwick = opt_str(obj, "bailiwick")?;
    if flavor == Flavor::Circl
        && values.len() == 1
        && circl_swapped(ctx, state, rrtype, rrname, values[0])
    {
        std::mem::swap(&mut values[0], &mut rrname);
    }
    let labels: Vec<String> = match (flavor, get(obj, "sources")) {
        (Flavor::Cof, Some(Value::Array(a))) => a
            .iter()
            .filter_map(Value::as_str)
            .map(crate::common::clean_label)
            .filter(|l| !l.is_empty())
            .collect(),
        (Flavor::Cof, Some(_)) => {
            return Err(ParseError::new(ErrorKind::Shape, "sources is not an array"));
        }
        _ => Vec::new(),
    };
    let labels = if labels.is_empty() {
        vec![ctx.settings.label.clone()]
    } else {
        labels
    };
    for rdata in values {
        ctx.emit_labelled(
            &Rec {
                rrname,
                rrtype,
                rdata,
                first,
                last,
                count,
                bailiwick,
            },
            &labels,
        );
    }
    Ok(())
}

/// The common shape of a generic COF line, borrowed from the line: this
/// project's own output and most COF exports. Anything else (numbers as
/// strings, other time fields, zero times, duplicate keys, an rdata
/// array) fails to match and takes the general path through
/// [`serde_json::Value`], which this one must agree with; it only saves
/// building a map per line, about a third of parsing.
#[derive(Deserialize)]
struct FastCof<'a> {
    #[serde(borrow)]
    rrname: Cow<'a, str>,
    #[serde(borrow)]
    rrtype: Cow<'a, str>,
    #[serde(borrow)]
    rdata: Cow<'a, str>,
    time_first: u64,
    time_last: u64,
    count: Option<u64>,
    #[serde(borrow)]
    bailiwick: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sources: Option<Vec<Cow<'a, str>>>,
    // Present (and not null), these change how the times are read: the
    // general path handles them.
    time_first_ms: Option<IgnoredAny>,
    time_last_ms: Option<IgnoredAny>,
    time_first_rfc3339: Option<IgnoredAny>,
    time_last_rfc3339: Option<IgnoredAny>,
    zone_time_first: Option<IgnoredAny>,
    zone_time_last: Option<IgnoredAny>,
}

/// A byte scanner for the plainest COF lines: one flat object whose
/// strings hold no escapes and whose numbers are plain integers, as this
/// project and most exporters write them. It reads what serde would read
/// into [`FastCof`], without serde's machinery (a third of the parsing
/// time); anything it is not sure of (an escape, a nested value, a
/// repeated key, a number in another form) returns `None` and the line
/// goes to serde, then to the general path. A test checks it against
/// serde on generated lines.
mod scan {
    use std::borrow::Cow;

    use super::FastCof;

    struct Scanner<'a> {
        b: &'a [u8],
        s: &'a str,
        i: usize,
    }

    impl<'a> Scanner<'a> {
        fn ws(&mut self) {
            while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.i += 1;
            }
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            self.ws();
            (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
        }

        fn peek(&mut self) -> Option<u8> {
            self.ws();
            self.b.get(self.i).copied()
        }

        /// A string without escapes or control characters.
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.i;
            let len = memchr::memchr2(b'"', b'\\', self.b.get(start..)?)?;
            let end = start + len;
            if self.b.get(end) != Some(&b'"') {
                return None;
            }
            let text = self.s.get(start..end)?;
            if text.bytes().any(|c| c < 0x20) {
                return None;
            }
            self.i = end + 1;
            Some(text)
        }

        fn integer(&mut self) -> Option<u64> {
            self.ws();
            json_integer(self.b, &mut self.i)
        }

        /// A string as [`simple_str`] reads it.
        fn simple(&mut self) -> Option<Cow<'a, str>> {
            self.eat(b'"')?;
            let (text, end) = simple_str(self.b, self.i)?;
            self.i = end;
            Some(text)
        }

        fn null(&mut self) -> Option<()> {
            self.ws();
            let rest = self.b.get(self.i..)?;
            rest.starts_with(b"null").then(|| self.i += 4)
        }

        /// `null` (`None`) or what `f` reads (`Some`).
        fn nullable<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
            if self.peek()? == b'n' {
                self.null()?;
                return Some(None);
            }
            f(self).map(Some)
        }

        /// A value of a key serde ignores: only scalars are skipped here.
        fn skip_scalar(&mut self) -> Option<()> {
            match self.peek()? {
                b'"' => self.string().map(|_| ()),
                b'n' => self.null(),
                b't' | b'f' => {
                    let rest = self.b.get(self.i..)?;
                    let n = if rest.starts_with(b"true") {
                        4
                    } else if rest.starts_with(b"false") {
                        5
                    } else {
                        return None;
                    };
                    self.i += n;
                    Some(())
                }
                // Integers only (JSON's grammar for the rest is serde's
                // to judge): an optional minus, then as `integer` reads.
                b'-' | b'0'..=b'9' => {
                    if self.b.get(self.i) == Some(&b'-') {
                        self.i += 1;
                        // JSON allows no space between the sign and the
                        // digits (and `integer` would skip it).
                        if !matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                            return None;
                        }
                    }
                    self.integer().map(|_| ())
                }
                _ => None,
            }
        }
    }

    /// A non-negative integer as JSON writes it (no sign, fraction,
    /// exponent or leading zero) that fits in a u64, at `b[*i..]`;
    /// advances `i` past its digits.
    #[inline]
    fn json_integer(b: &[u8], i: &mut usize) -> Option<u64> {
        let start = *i;
        let rest = b.get(start..).unwrap_or_default();
        // Eight bytes at a time: their digits found and converted with
        // a few 64-bit operations instead of a step or two a digit (every
        // line has two ten-digit times and a count).
        let mut digits = 0;
        let mut v = 0u64;
        // Whether the digits may go on past the last whole chunk.
        let mut open = true;
        while let Some(chunk) = rest.get(digits..).and_then(<[u8]>::first_chunk::<8>) {
            let x = u64::from_le_bytes(*chunk).wrapping_sub(0x3030_3030_3030_3030);
            // The high bit of each byte that is not a digit: below '0' it
            // borrowed, above '9' adding 0x76 carries into it. A borrow or
            // carry only runs upwards from a flagged byte, so the lowest
            // flag is exact.
            let flags = (x | x.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
            let k = (flags.trailing_zeros() / 8) as usize;
            if k > 0 {
                // The k digits moved to the top bytes; the zero bytes below
                // read as leading zeros.
                let part = eight_digits(x << (8 * (8 - k)));
                v = v.wrapping_mul(POW10[k]).wrapping_add(part);
                digits += k;
            }
            if k < 8 {
                open = false;
                break;
            }
        }
        if open {
            // Fewer than eight bytes were left.
            for &c in rest.get(digits..).unwrap_or_default() {
                if !c.is_ascii_digit() {
                    break;
                }
                v = v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                digits += 1;
            }
        }
        *i += digits;
        let text = b.get(start..*i)?;
        // Nineteen digits cannot overflow a u64; only longer numbers need
        // the checked steps.
        if digits > 19 {
            v = text.iter().try_fold(0u64, |v, &c| {
                v.checked_mul(10)?.checked_add(u64::from(c - b'0'))
            })?;
        }
        let leading_zero = digits > 1 && b.get(start) == Some(&b'0');
        let more = matches!(b.get(*i), Some(b'.' | b'e' | b'E'));
        (digits > 0 && !leading_zero && !more).then_some(v)
    }

    /// 10^k for the digits of a chunk.
    const POW10: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];

    /// The value of eight decimal digits, one a byte (0 to 9), the most
    /// significant in the lowest byte: pairs, then fours, then all eight
    /// combined in place.
    fn eight_digits(x: u64) -> u64 {
        let x = (x.wrapping_mul(10).wrapping_add(x >> 8)) & 0x00ff_00ff_00ff_00ff;
        let x = (x.wrapping_mul(100).wrapping_add(x >> 16)) & 0x0000_ffff_0000_ffff;
        (x.wrapping_mul(10_000).wrapping_add(x >> 32)) & 0xffff_ffff
    }

    /// The index of the first `"`, `\\` or control character at or after
    /// `start` (`b.len()` if none), eight bytes at a time: this scans
    /// every string of every line.
    pub(super) fn special(b: &[u8], start: usize) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        // The lowest byte flagged by each test is exact (a borrow only
        // runs upwards, past a byte that is itself flagged).
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let mut i = start;
        while let Some(w) = b.get(i..i + 8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            let w = u64::from_le_bytes(a);
            let hit = zero(w ^ (ONES * u64::from(b'"')))
                | zero(w ^ (ONES * u64::from(b'\\')))
                | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
            if hit != 0 {
                return i + (hit.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        i + b
            .get(i..)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .unwrap_or(b.len().saturating_sub(i))
    }

    /// The contents of a JSON string at `b[start..]`, just after its
    /// opening quote, whose only escapes are `\"`, `\\` and `\/` and
    /// that holds no control character; and the index past its closing
    /// quote. Borrowed when it has no escape.
    fn simple_string(b: &[u8], start: usize) -> Option<(Cow<'_, [u8]>, usize)> {
        let mut owned: Option<Vec<u8>> = None;
        let mut seg = start;
        loop {
            let at = special(b, seg);
            let piece = b.get(seg..at)?;
            let c = *b.get(at)?;
            if c < 0x20 {
                return None;
            }
            if c == b'"' {
                return Some(match owned {
                    None => (Cow::Borrowed(b.get(start..at)?), at + 1),
                    Some(mut o) => {
                        o.extend_from_slice(piece);
                        (Cow::Owned(o), at + 1)
                    }
                });
            }
            let c = *b.get(at + 1)?;
            if !matches!(c, b'"' | b'\\' | b'/') {
                return None;
            }
            let o = owned.get_or_insert_with(|| Vec::with_capacity(b.len() - start));
            o.extend_from_slice(piece);
            o.push(c);
            seg = at + 2;
        }
    }

    /// [`simple_string`] as text. Removing an ASCII backslash from UTF-8
    /// leaves UTF-8, so the check of a copy only fails on a caller's bug.
    fn simple_str(b: &[u8], start: usize) -> Option<(Cow<'_, str>, usize)> {
        let (raw, end) = simple_string(b, start)?;
        let text = match raw {
            Cow::Borrowed(r) => Cow::Borrowed(std::str::from_utf8(r).ok()?),
            Cow::Owned(o) => Cow::Owned(String::from_utf8(o).ok()?),
        };
        Some((text, end))
    }

    /// The fields of a line in the plainest shape, borrowed from it.
    pub(super) struct Plain<'a> {
        pub rrname: &'a str,
        pub rrtype: &'a str,
        /// Unescaped: the only escapes taken are `\"`, `\\` and `\/`
        /// (TXT and CAA rdata quote their strings), which need a copy.
        pub rdata: Cow<'a, str>,
        pub time_first: u64,
        pub time_last: u64,
        pub count: Option<u64>,
        pub bailiwick: Option<&'a str>,
        /// The inside of the `sources` array: strings without escapes
        /// separated by commas (and white space), so the labels are its
        /// `"`-separated pieces at odd positions; `None` when absent or
        /// null.
        pub sources: Option<&'a str>,
    }

    impl<'a> Plain<'a> {
        /// The labels of `sources`, as written.
        pub fn labels(&self) -> impl Iterator<Item = &'a str> {
            // The labels are short: a byte loop finds their quotes faster
            // than a searcher set up per label.
            let s = self.sources.unwrap_or_default();
            let mut quotes = s
                .bytes()
                .enumerate()
                .filter(|&(_, c)| c == b'"')
                .map(|(i, _)| i);
            std::iter::from_fn(move || {
                let open = quotes.next()?;
                let close = quotes.next()?;
                s.get(open + 1..close)
            })
        }
    }

    /// The fields of a line in the plainest shape, or `None`.
    pub(super) fn plain(s: &str) -> Option<Plain<'_>> {
        let mut p = Scanner {
            b: s.as_bytes(),
            s,
            i: 0,
        };
        let (mut rrname, mut rrtype, mut rdata) = (None, None, None);
        let (mut first, mut last) = (None, None);
        let (mut count, mut bailiwick, mut sources) = (None, None, None);
        p.eat(b'{')?;
        if p.peek()? != b'}' {
            loop {
                let key = p.string()?;
                p.eat(b':')?;
                fn once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
                    slot.is_none().then(|| *slot = Some(v))
                }
                match key {
                    "rrname" => once(&mut rrname, p.string()?)?,
                    "rrtype" => once(&mut rrtype, p.string()?)?,
                    "rdata" => once(&mut rdata, p.simple()?)?,
                    "time_first" => once(&mut first, p.integer()?)?,
                    "time_last" => once(&mut last, p.integer()?)?,
                    "count" => once(&mut count, p.nullable(Scanner::integer)?)?,
                    "bailiwick" => once(&mut bailiwick, p.nullable(Scanner::string)?)?,
                    "sources" => {
                        let list = p.nullable(|p| {
                            p.eat(b'[')?;
                            let start = p.i;
                            if p.peek()? == b']' {
                                p.i += 1;
                                return p.s.get(start..start);
                            }
                            loop {
                                p.string()?;
                                if p.eat(b',').is_none() {
                                    p.eat(b']')?;
                                    return p.s.get(start..p.i - 1);
                                }
                            }
                        })?;
                        once(&mut sources, list)?;
                    }
                    // Present and not null, these send the line to the
                    // general path anyway; repeated, serde refuses them.
                    "time_first_ms" | "time_last_ms" | "time_first_rfc3339"
                    | "time_last_rfc3339" | "zone_time_first" | "zone_time_last" => return None,
                    _ => p.skip_scalar()?,
                }
                if p.eat(b',').is_none() {
                    break;
                }
            }
        }
        p.eat(b'}')?;
        p.ws();
        if p.i != p.b.len() {
            return None;
        }
        Some(Plain {
            rrname: rrname?,
            rrtype: rrtype?,
            rdata: rdata?,
            time_first: first?,
            time_last: last?,
            count: count.flatten(),
            bailiwick: bailiwick.flatten(),
            sources: sources.flatten(),
        })
    }

    /// [`plain`] for a line laid out exactly as this project writes COF
    /// (keys in its order, no white space, no nulls): each key is matched
    /// as a fixed run of bytes where it must be, and no white space or key
    /// lookup is needed. Every line it reads, [`plain`] reads the same (a
    /// test checks it); anything else returns `None`. Takes bytes: the
    /// strings are checked as they are scanned, and a line read here is
    /// valid UTF-8 without a pass over the whole of it.
    pub(super) fn canonical(b: &[u8]) -> Option<Plain<'_>> {
        let mut c = Canon { b, i: 0 };
        c.lit(b"{\"rrname\":")?;
        let rrname = c.string()?;
        c.lit(b",\"rrtype\":")?;
        let rrtype = c.string()?;
        c.lit(b",\"rdata\":\"")?;
        let rdata_start = c.i;
        let (rdata, end) = simple_string(b, rdata_start)?;
        c.i = end;
        c.lit(b",\"time_first\":")?;
        let time_first = c.integer()?;
        c.lit(b",\"time_last\":")?;
        let time_last = c.integer()?;
        let count = match c.lit(b",\"count\":") {
            Some(()) => Some(c.integer()?),
            None => None,
        };
        let bailiwick = match c.lit(b",\"bailiwick\":") {
            Some(()) => Some(c.string()?),
            None => None,
        };
        let sources = match c.lit(b",\"sources\":[") {
            Some(()) => {
                let start = c.i;
                if c.lit(b"]").is_none() {
                    loop {
                        c.string()?;
                        if c.lit(b",").is_none() {
                            c.lit(b"]")?;
                            break;
                        }
                    }
                }
                Some((start, c.i - 1))
            }
            None => None,
        };
        c.lit(b"}")?;
        if c.i != b.len() {
            return None;
        }
        // One check of the whole line (a word at a time while it is
        // ASCII) costs less than one per string.
        let line = std::str::from_utf8(b).ok()?;
        let text = |(start, end): (usize, usize)| line.get(start..end);
        Some(Plain {
            rrname: text(rrname)?,
            rrtype: text(rrtype)?,
            // Borrowed, it is a range of the line, which is checked; a copy
            // is checked again.
            rdata: match rdata {
                Cow::Borrowed(r) => Cow::Borrowed(text((rdata_start, rdata_start + r.len()))?),
                Cow::Owned(o) => Cow::Owned(String::from_utf8(o).ok()?),
            },
            time_first,
            time_last,
            count,
            bailiwick: match bailiwick {
                Some(r) => Some(text(r)?),
                None => None,
            },
            sources: match sources {
                Some(r) => Some(text(r)?),
                None => None,
            },
        })
    }

    /// The cursor of [`canonical`].
    struct Canon<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl Canon<'_> {
        /// Consumes `lit` if the line continues with it.
        fn lit(&mut self, lit: &[u8]) -> Option<()> {
            let rest = self.b.get(self.i..)?;
            rest.starts_with(lit).then(|| self.i += lit.len())
        }

        /// A string without escapes or control characters: the range of
        /// its contents.
        fn string(&mut self) -> Option<(usize, usize)> {
            self.lit(b"\"")?;
            let start = self.i;
            let end = special(self.b, start);
            if self.b.get(end) != Some(&b'"') {
                return None;
            }
            self.i = end + 1;
            Some((start, end))
        }

        fn integer(&mut self) -> Option<u64> {
            json_integer(self.b, &mut self.i)
        }
    }

    /// [`plain`] in serde's shape.
    pub(super) fn line(s: &str) -> Option<FastCof<'_>> {
        let p = plain(s)?;
        let sources = p.sources.map(|_| p.labels().map(Cow::Borrowed).collect());
        Some(FastCof {
            rrname: Cow::Borrowed(p.rrname),
            rrtype: Cow::Borrowed(p.rrtype),
            rdata: p.rdata,
            time_first: p.time_first,
            time_last: p.time_last,
            count: p.count,
            bailiwick: p.bailiwick.map(Cow::Borrowed),
            sources,
            time_first_ms: None,
            time_last_ms: None,
            time_first_rfc3339: None,
            time_last_rfc3339: None,
            zone_time_first: None,
            zone_time_last: None,
        })
    }

    #[cfg(test)]
    mod tests {
        #![allow(clippy::unwrap_used)]
        use super::json_integer;

        /// What `json_integer` must give: the digits one at a time.
        fn reference(b: &[u8], start: usize) -> (Option<u64>, usize) {
            let digits = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
            let end = start + digits;
            let text = &b[start..end];
            let v = text.iter().try_fold(0u64, |v, &c| {
                v.checked_mul(10)?.checked_add(u64::from(c - b'0'))
            });
            let leading_zero = digits > 1 && text[0] == b'0';
            let more = matches!(b.get(end), Some(b'.' | b'e' | b'E'));
            let ok = digits > 0 && !leading_zero && !more;
            (v.filter(|_| ok), end)
        }

        /// Numbers of every length up to 24 digits, at every offset from
        /// a chunk boundary, followed by each kind of byte or by the end
        /// of the input.
        #[test]
        fn chunked_digits_match_one_at_a_time() {
            let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
            let mut digit = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                b'0' + (seed % 10) as u8
            };
            let tails: [&[u8]; 10] = [
                b"",
                b",",
                b"}",
                b" ",
                b".5",
                b"e3",
                b"E",
                b"/",
                b":",
                b"\xff\x80,",
            ];
            for len in 0..=24 {
                for pad in 0..9 {
                    for tail in tails {
                        for first in [None, Some(b'0'), Some(b'9')] {
                            let mut b = vec![b'x'; pad];
                            let start = b.len();
                            for k in 0..len {
                                b.push(if k == 0 {
                                    first.unwrap_or_else(&mut digit)
                                } else {
                                    digit()
                                });
                            }
                            b.extend_from_slice(tail);
                            let mut i = start;
                            let got = json_integer(&b, &mut i);
                            assert_eq!(
                                (got, i),
                                reference(&b, start),
                                "{:?}",
                                String::from_utf8_lossy(&b)
                            );
                        }
                    }
                }
            }
            let max = b"18446744073709551615,";
            let mut i = 0;
            assert_eq!(json_integer(max, &mut i), Some(u64::MAX));
            let over = b"18446744073709551616,";
            let mut i = 0;
            assert_eq!(json_integer(over, &mut i), None);
            assert_eq!(i, 20);
        }
    }
}

/// Parses a generic COF line in its common shape; returns false (having
/// emitted nothing) when the line needs the general path.
pub(crate) fn fast_line(ctx: &mut Ctx<'_>, line: &str) -> bool {
    let parsed = match scan::line(line) {
        Some(f) => Ok(f),
        None => serde_json::from_str::<FastCof<'_>>(line),
    };
    let Ok(f) = parsed else {
        return false;
    };
    let alternates = f.time_first_ms.is_some()
        || f.time_last_ms.is_some()
        || f.time_first_rfc3339.is_some()
        || f.time_last_rfc3339.is_some()
        || f.zone_time_first.is_some()
        || f.zone_time_last.is_some();
    let times_plain =
        f.time_first > 0 && f.time_last > 0 && f.time_first <= MAX_TIME && f.time_last <= MAX_TIME;
    if alternates || !times_plain {
        return false;
    }
    let Ok(rrtype) = rrtype_text(&f.rrtype, "rrtype") else {
        return false;
    };
    let labels: Vec<String> = f
        .sources
        .iter()
        .flatten()
        .map(|l| crate::common::clean_label(l))
        .filter(|l| !l.is_empty())
        .collect();
    let labels = if labels.is_empty() {
        vec![ctx.settings.label.clone()]
    } else {
        labels
    };
    let (first, last) = (f.time_first.min(f.time_last), f.time_first.max(f.time_last));
    ctx.emit_labelled(
        &Rec {
            rrname: &f.rrname,
            rrtype,
            rdata: &f.rdata,
            first,
            last,
            count: f.count,
            bailiwick: f.bailiwick.as_deref(),
        },
        &labels,
    );
    true
}

/// Appends the sort item ([`pdnsfile::sortkey`]) of a generic COF line
/// in the plainest shape, the shape of this project's own output, without
/// building an [`pdnsfile::Entry`]: names made of letters, digits, `-`
/// and `_` are lower-cased straight into the key, addresses parsed
/// straight into their stored bytes, and labels that need no cleaning
/// sorted in place. Returns false, having appended nothing, for any line
/// that needs more (an escape, an odd name or label, a meta type, times
/// in another form): the caller then takes the general path, whose items
/// these must equal byte for byte (tests check it on every shape of
/// line the scanner's tests generate and on the bundled samples).
pub(crate) fn fast_item(settings: &Settings, line: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let plain = match scan::canonical(line) {
        Some(p) => Some(p),
        None => std::str::from_utf8(line).ok().and_then(scan::plain),
    };
    let done = plain.is_some_and(|p| item_of(settings, &p, out).is_some());
    if !done {
        out.truncate(start);
    }
    done
}

fn item_of(settings: &Settings, p: &scan::Plain<'_>, out: &mut Vec<u8>) -> Option<()> {
    let times_plain =
        p.time_first > 0 && p.time_last > 0 && p.time_first <= MAX_TIME && p.time_last <= MAX_TIME;
    if !times_plain {
        return None;
    }
    let rrtype = pdnsfile::rrtype::parse(p.rrtype)?;
    if is_meta_type(rrtype) {
        return None;
    }
    // The key: reversed owner name, 0, type, escaped rdata, 0 0.
    push_plain_reversed(p.rrname, out)?;
    out.push(0);
    out.extend_from_slice(&rrtype.to_be_bytes());
    match rrtype {
        known::A => push_escaped(out, &ipv4(&p.rdata)?),
        known::AAAA => push_escaped(out, &p.rdata.parse::<Ipv6Addr>().ok()?.octets()),
        // The types whose rdata is one name (as normalize_rdata lists
        // them).
        known::CNAME | known::NS | known::PTR | known::DNAME | 3 | 4 | 7 | 8 | 9 => {
            push_plain_forward(&p.rdata, out)?;
        }
        // Every other type stores its normalized presentation text.
        _ => push_escaped(out, rdata_of(rrtype, &p.rdata).ok()?.as_bytes()),
    }
    out.extend_from_slice(&[0, 0]);
    let (first, last) = (p.time_first.min(p.time_last), p.time_first.max(p.time_last));
    put_varint(out, first);
    put_varint(out, last);
    put_varint(out, p.count.map_or(0, |c| c.saturating_add(1)));
    // Sources: the line's labels, sorted and unique, unless the caller's
    // label replaces them or there are none.
    let mut labels: [&str; 8] = [""; 8];
    let mut n = 0;
    if !settings.overridden {
        for l in p.labels() {
            if l.is_empty() {
                continue;
            }
            // What clean_label leaves as it is: printable ASCII, no
            // surrounding space, not too long.
            let clean = l.len() <= LABEL_MAX
                && l.bytes().all(|b| (0x20..=0x7e).contains(&b))
                && !l.starts_with(' ')
                && !l.ends_with(' ');
            if !clean {
                return None;
            }
            *labels.get_mut(n)? = l;
            n += 1;
        }
    }
    let labels = labels.get_mut(..n)?;
    labels.sort_unstable();
    // In-place dedup: each label is compared with the last one kept.
    let mut unique = 0;
    for i in 0..labels.len() {
        if unique == 0 || labels.get(i) != labels.get(unique - 1) {
            labels.swap(unique, i);
            unique += 1;
        }
    }
    if unique == 0 {
        put_varint(out, 1);
        put_len_bytes(out, settings.label.as_bytes());
    } else {
        put_varint(out, unique as u64);
        for l in labels.get(..unique)? {
            put_len_bytes(out, l.as_bytes());
        }
    }
    match p.bailiwick {
        Some(b) if !b.trim().is_empty() => {
            let at = out.len();
            put_varint(out, 0);
            let name_start = out.len();
            push_plain_forward(b, out)?;
            // The length goes before the bytes: written as one byte here,
            // it is rewritten when the name needs a longer varint.
            let len = (out.len() - name_start) as u64 + 1;
            if len < 0x80 {
                *out.get_mut(at)? = len as u8;
            } else {
                let name = out.split_off(name_start);
                out.truncate(at);
                put_varint(out, len);
                out.extend_from_slice(&name);
            }
        }
        _ => put_varint(out, 0),
    }
    Some(())
}

/// The body of a name in the plain shape (`name::normalize` returns it
/// lower-cased and leaves it otherwise as it is): the trailing dot
/// dropped, then letters, digits, `-`, `_` and single dots between
/// labels.
fn plain_body(name: &str) -> Option<&[u8]> {
    let b = name.as_bytes();
    let b = b.strip_suffix(b".").unwrap_or(b);
    let ok = !b.is_empty()
        && b.len() <= pdnsfile::name::MAX_NAME_LEN
        && b.first() != Some(&b'.')
        && b.last() != Some(&b'.');
    ok.then_some(b)
}

/// Appends a plain name normalized (lower-cased), or `None` (leaving
/// `out` to the caller to truncate).
fn push_plain_forward(name: &str, out: &mut Vec<u8>) -> Option<()> {
    pdnsfile::name::push_plain(plain_body(name)?, out)
}

/// Appends the reversed key of a plain name (its labels last to first,
/// each followed by a dot, lower-cased), or `None`.
fn push_plain_reversed(name: &str, out: &mut Vec<u8>) -> Option<()> {
    pdnsfile::name::push_plain_reversed(plain_body(name)?, out)
}

/// An IPv4 address in dotted-quad form. The form this project writes
/// (four decimal octets, no leading zero) is read here, a byte at a time;
/// anything else is left to `Ipv4Addr`'s parser, so what is accepted, and
/// how, is exactly the standard library's.
fn ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.as_bytes().split(|&c| c == b'.');
    for slot in &mut out {
        let part = parts.next()?;
        let plain = matches!(part.len(), 1..=3)
            && part.iter().all(u8::is_ascii_digit)
            && (part.len() == 1 || part.first() != Some(&b'0'));
        if !plain {
            return s.parse::<Ipv4Addr>().ok().map(|a| a.octets());
        }
        // At most three digits: no overflow.
        let v = part.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        if v > 255 {
            return None;
        }
        *slot = v as u8;
    }
    if parts.next().is_some() {
        return s.parse::<Ipv4Addr>().ok().map(|a| a.octets());
    }
    Some(out)
}

/// Appends stored rdata with `0x00` escaped as `0x00 0xff`, as sort items
/// hold it.
fn push_escaped(out: &mut Vec<u8>, rdata: &[u8]) {
    let start = out.len();
    out.extend_from_slice(rdata);
    pdnsfile::sortkey::escape_rdata_from(out, start);
}

#[cfg(test)]
mod fast_tests {
    #![allow(clippy::unwrap_used)]
    use super::{scan, FastCof};
    use crate::{Format, Parser};

    /// COF-like lines in many shapes: fields in any order, some missing,
    /// repeated or extra; values plain, escaped, null, nested or in the
    /// wrong form; white space between tokens; truncated or trailing
    /// garbage.
    fn generated_lines() -> Vec<String> {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as usize) % n
        };
        let strings = [
            r#""a.example""#,
            r#""WWW.Example.COM.""#,
            r#""10.0.0.1""#,
            r#""2001:db8::1""#,
            r#""x\"y""#,
            r#""\u00e9t\u00e9.example""#,
            r#""tab\there""#,
            r#""""#,
            r#""A""#,
            r#""MX""#,
            r#""10 mx.example""#,
            r#""TYPE65""#,
            r#""é.example""#,
        ];
        let numbers = [
            "0",
            "1",
            "10",
            "1700000000",
            "01",
            "1.0",
            "1e3",
            "-5",
            "18446744073709551616",
            "18446744073709551615",
            "\"12\"",
            // Eight digits and around: one chunk, a chunk and a bit.
            "12345678",
            "99999999",
            "123456789",
            "1700000000123",
            "123456789012345678",
            "1234567.8",
        ];
        fn value(
            key: &str,
            next: &mut dyn FnMut(usize) -> usize,
            strings: &[&str],
            numbers: &[&str],
        ) -> String {
            let pick = next(10);
            match (key, pick) {
                (_, 0) => "null".to_string(),
                (_, 1) => "[\"dnsdb\",\"circl\"]".to_string(),
                (_, 2) => "{\"a\":1}".to_string(),
                (_, 3) => "true".to_string(),
                ("time_first" | "time_last" | "count", _) => {
                    numbers[next(numbers.len())].to_string()
                }
                ("sources", _) => match next(4) {
                    0 => "[]".to_string(),
                    1 => "[\"pcap:s1\"]".to_string(),
                    2 => "[\"a\", 1]".to_string(),
                    _ => "[ \"b\" , \"a\" ]".to_string(),
                },
                _ if pick < 6 => numbers[next(numbers.len())].to_string(),
                _ => strings[next(strings.len())].to_string(),
            }
        }
        let keys = [
            "rrname",
            "rrtype",
            "rdata",
            "time_first",
            "time_last",
            "count",
            "bailiwick",
            "sources",
            "time_first_ms",
            "zone_time_last",
            "extra",
            "rrname",
        ];
        let ws = [" ", "", "", "\t", " \n"];
        let mut out = Vec::new();
        for _ in 0..3000 {
            let mut fields = vec![
                ("rrname", strings[next(3)].to_string()),
                (
                    "rrtype",
                    ["\"A\"", "\"AAAA\"", "\"MX\"", "\"TXT\"", "1"][next(5)].to_string(),
                ),
                ("rdata", strings[next(strings.len())].to_string()),
                ("time_first", numbers[next(4)].to_string()),
                ("time_last", numbers[next(4)].to_string()),
            ];
            for _ in 0..next(4) {
                let k = keys[next(keys.len())];
                fields.push((k, value(k, &mut next, &strings, &numbers)));
            }
            if next(4) == 0 {
                fields.remove(next(fields.len()));
            }
            for i in (1..fields.len()).rev() {
                fields.swap(i, next(i + 1));
            }
            let w = |n: usize| ws[n % ws.len()];
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}\"{k}\"{}:{}{v}{}",
                        w(next(5)),
                        w(next(5)),
                        w(next(5)),
                        w(next(5))
                    )
                })
                .collect();
            let mut line = format!("{{{}}}", body.join(","));
            match next(20) {
                0 => line.push_str(" x"),
                1 => line.truncate(line.len() / 2),
                2 => line.push_str("  "),
                _ => {}
            }
            out.push(line);
        }
        out
    }

    fn fields(f: &FastCof<'_>) -> String {
        format!(
            "{}|{}|{}|{}|{}|{:?}|{:?}|{:?}|{}",
            f.rrname,
            f.rrtype,
            f.rdata,
            f.time_first,
            f.time_last,
            f.count,
            f.bailiwick,
            f.sources,
            f.time_first_ms.is_some()
                || f.time_last_ms.is_some()
                || f.time_first_rfc3339.is_some()
                || f.time_last_rfc3339.is_some()
                || f.zone_time_first.is_some()
                || f.zone_time_last.is_some()
        )
    }

    /// What the scanner accepts, serde reads the same way.
    #[test]
    fn scanner_agrees_with_serde() {
        let lines = generated_lines();
        let mut accepted = 0;
        for line in &lines {
            if let Some(f) = scan::line(line) {
                accepted += 1;
                let s: FastCof<'_> = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("serde refuses what the scanner took: {e}: {line}"));
                assert_eq!(fields(&f), fields(&s), "{line}");
            }
        }
        assert!(
            accepted > 300 && accepted < lines.len(),
            "accepted {accepted} of {}",
            lines.len()
        );
    }

    /// The fast path must give exactly what the general path gives (or
    /// leave the line to it).
    fn tricky_lines() -> Vec<&'static str> {
        vec![
            r#"{"rrname":"chatlove.co","rrtype":"A","rdata":"160.153.199.136","time_first":1722045607,"time_last":1722046339,"count":2,"bailiwick":"chatlove.co","sources":["dnsdb","pcap:sensor-ams1"]}"#,
            r#"{"rrname":"WWW.Example.COM.","rrtype":"cname","rdata":"Host.Example.NET.","time_first":5,"time_last":3}"#,
            r#"{"rrname":"a\u001b[31m.com","rrtype":"TXT","rdata":"\"x\\\" y\"","time_first":10,"time_last":20,"count":null,"bailiwick":null,"sources":null}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3.4","time_first":0,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3.4","time_first":"10","time_last":"20","count":"3"}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":["1.2.3.4","5.6.7.8"],"time_first":10,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3.4","time_first":10,"time_last":20,"zone_time_first":5}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3.4","rdata":"9.9.9.9","time_first":10,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":1,"rdata":"1.2.3.4","time_first":10,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":"TYPE65","rdata":"\\# 0","time_first":10,"time_last":20,"extra":{"a":[1,2]}}"#,
            r#"{"rrname":"x..com","rrtype":"A","rdata":"1.2.3.4","time_first":10,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3","time_first":10,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":"BOGUS","rdata":"1.2.3.4","time_first":10,"time_last":20}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3.4","time_first":10,"time_last":99999999999999}"#,
            r#"{"rrname":"x.com","rrtype":"A","rdata":"1.2.3.4","time_first":10,"time_last":20,"sources":[" lab\u0007el ",""]}"#,
            r#"{"rrname":"x.com","rrtype":"OPT","rdata":"x","time_first":10,"time_last":20}"#,
            r#"{"rrname":"_WILDCARD_.Example.com","rrtype":"MX","rdata":"10 Mail.Example.com.","time_first":10,"time_last":20,"count":18446744073709551615}"#,
            // Not JSON: a space between a minus and its digits.
            r#"{"rrname":"a.example","rrtype":"A","rdata":"1.2.3.4","time_first":1,"time_last":2,"x":- 5}"#,
            r#"{"rrname":"a.example","rrtype":"A","rdata":"1.2.3.4","time_first":1,"time_last":2,"x":-5}"#,
        ]
    }

    #[test]
    fn fast_path_agrees_with_the_general_path() {
        let lines = tricky_lines();
        for line in lines
            .iter()
            .copied()
            .chain(generated_lines().iter().map(String::as_str))
        {
            let mut fast = Parser::new(Format::Cof);
            let mut a = Vec::new();
            let ra = fast.parse_line(line, &mut a);
            let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
                // Not JSON: an error, and nothing read.
                assert!(ra.is_err() && a.is_empty(), "{line}");
                continue;
            };
            let mut general = Parser::new(Format::Cof);
            let mut b = Vec::new();
            let mut errors = Vec::new();
            general.parse_value(&value, &mut b, &mut errors);
            assert_eq!(a, b, "{line}");
            // parse_line reports the first error and how many more.
            let (got, want) = (
                ra.err().map(|e| e.to_string()),
                errors.first().map(|e| e.to_string()),
            );
            match (&got, &want) {
                (Some(g), Some(w)) => assert!(
                    g == w || g.starts_with(&format!("{w} (and ")),
                    "{line}: {g} / {w}"
                ),
                _ => assert_eq!(got, want, "{line}"),
            }
            assert_eq!(fast.skipped(), general.skipped(), "{line}");
        }
    }

    /// Plain lines of every type, label and bailiwick shape the item path
    /// takes, and near misses it must hand to the general path.
    fn plain_lines() -> Vec<String> {
        let types = [
            ("A", "192.0.2.1"),
            ("A", "0.0.0.0"),
            ("A", "10.0.0.256"),
            ("A", " 10.0.0.1"),
            ("AAAA", "2001:db8::1"),
            ("AAAA", "::"),
            ("AAAA", "2001:DB8:0:0:0:0:0:1"),
            ("CNAME", "Target.Example.COM."),
            ("CNAME", "target..example"),
            ("CNAME", "."),
            ("NS", "ns1.example.net"),
            ("PTR", "host-1.example"),
            ("DNAME", "x_y.example"),
            ("MX", "10 mail.example.com."),
            ("MX", "mail.example.com"),
            ("TXT", r#"\"v=spf1 -all\""#),
            ("TXT", r#"\"a\\\"b\" \"c\/d\\\\\""#),
            ("TXT", r#"\"line\nbreak\""#),
            ("TXT", r#"\"tab\u0041\""#),
            ("TXT", r#"\"trailing\\"#),
            ("CNAME", r#"a\/b.example"#),
            ("SOA", "ns.example. host.example. 1 2 3 4 5"),
            ("SRV", "0 5 5060 sip.example."),
            ("CAA", r#"0 issue \"ca.example\""#),
            ("TYPE65534", r"\\# 2 0000"),
            ("HTTPS", "1 . alpn=h2"),
        ];
        let names = ["www.example.com", "WWW.Example.COM.", "a-b_c.d9", "x", "-.example", "a..b", ".lead", r"\u00e9.example", "very-long-label-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"];
        let sources = [
            "",
            r#","sources":["dnsdb"]"#,
            r#","sources":["zeek:c","dnsdb","circl","dnsdb"]"#,
            r#","sources":["b","a","b","a","c","c"]"#,
            r#","sources":[]"#,
            r#","sources":null"#,
            r#","sources":["", "x"]"#,
            r#","sources":[" spaced"]"#,
            r#","sources":["a","b","c","d","e","f","g","h","i"]"#,
            r#","sources":["a b"]"#,
        ];
        let long_zone = format!("{}.example", "z".repeat(130));
        let bailiwicks = [
            String::new(),
            r#","bailiwick":"Example.COM.""#.to_string(),
            r#","bailiwick":"""#.to_string(),
            r#","bailiwick":" ""#.to_string(),
            r#","bailiwick":null"#.to_string(),
            r#","bailiwick":"bad..zone""#.to_string(),
            format!(r#","bailiwick":"{long_zone}""#),
        ];
        let counts = [
            "",
            r#","count":7"#,
            r#","count":null"#,
            r#","count":0"#,
            r#","count":18446744073709551615"#,
        ];
        let mut out = Vec::new();
        let mut i = 0usize;
        for (t, rdata) in types {
            for name in names {
                i += 1;
                let s = sources[i % sources.len()];
                let b = &bailiwicks[i % bailiwicks.len()];
                let c = counts[i % counts.len()];
                let (first, last) = if i.is_multiple_of(3) {
                    (20, 10)
                } else {
                    (10, 20)
                };
                out.push(format!(
                    r#"{{"rrname":"{name}","rrtype":"{t}","rdata":"{rdata}","time_first":{first},"time_last":{last}{c}{b}{s}}}"#
                ));
            }
        }
        out
    }

    #[test]
    fn items_equal_the_encoded_entries() {
        use pdnsfile::sortkey;
        let mut lines: Vec<String> = tricky_lines().into_iter().map(String::from).collect();
        lines.extend(generated_lines());
        lines.extend(plain_lines());
        let mut fast_hits = 0;
        for overridden in [false, true] {
            let options = crate::Options {
                source: overridden.then(|| "override".to_string()),
                ..crate::Options::default()
            };
            for line in &lines {
                let mut p = Parser::with_options(Format::Cof, &options).unwrap();
                let (mut items, mut ends, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
                let got = p.parse_line_items(line.as_bytes(), &mut items, &mut ends, &mut scratch);
                let mut q = Parser::with_options(Format::Cof, &options).unwrap();
                let mut entries = Vec::new();
                let want = q.parse_line(line, &mut entries);
                let mut expected = Vec::new();
                let mut expected_ends = Vec::new();
                for e in &entries {
                    sortkey::encode_into(&mut expected, e);
                    expected_ends.push(expected.len());
                }
                assert_eq!(items, expected, "{line}");
                assert_eq!(ends, expected_ends, "{line}");
                assert_eq!(
                    got.err().map(|e| e.to_string()),
                    want.err().map(|e| e.to_string()),
                    "{line}"
                );
                assert_eq!(p.skipped(), q.skipped(), "{line}");
                let mut probe = Vec::new();
                if super::fast_item(p.settings(), line.as_bytes(), &mut probe) {
                    fast_hits += 1;
                }
            }
        }
        // The item path must actually be taken, or this test proves
        // nothing: most plain lines qualify.
        assert!(fast_hits > 150, "only {fast_hits} lines took the item path");
    }

    #[test]
    fn special_finds_the_first_quote_backslash_or_control_byte() {
        // Every position, every byte value at it, over a run of plain
        // bytes and of high bytes (UTF-8), at every start.
        for fill in [b'a', 0xc3, 0x7f, 0xa0] {
            for len in [0usize, 1, 7, 8, 9, 16, 23] {
                for at in 0..=len {
                    for b in 0..=255u8 {
                        let mut v = vec![fill; len];
                        if at < len {
                            v[at] = b;
                        }
                        for start in 0..=len.min(3) {
                            let want = v
                                .iter()
                                .skip(start)
                                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                                .map_or(len, |p| p + start);
                            assert_eq!(scan::special(&v, start), want, "{v:?} from {start}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ipv4_reads_what_the_standard_library_reads() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3.256",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "",
            ".",
            "1.2.3.",
            " 1.2.3.4",
            "1.2.3.4 ",
            "+1.2.3.4",
            "1.2.3.-4",
            "0x1.2.3.4",
            "1111.2.3.4",
            "1.2.3.999",
            "\u{661}.2.3.4",
            "192.0.2.1",
        ] {
            let want = s.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets());
            assert_eq!(super::ipv4(s), want, "{s:?}");
        }
    }

    #[test]
    fn canonical_reads_what_plain_reads() {
        let mut lines: Vec<String> = tricky_lines().into_iter().map(String::from).collect();
        lines.extend(generated_lines());
        lines.extend(plain_lines());
        // This project's own COF output, field by optional field.
        lines.push(r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}"#.into());
        lines.push(r#"{"rrname":"a.example","rrtype":"TXT","rdata":"\"caf\u00e9\"","time_first":1,"time_last":2,"count":0,"sources":[]}"#.into());
        lines.push("{\"rrname\":\"caf\u{e9}.example\",\"rrtype\":\"TXT\",\"rdata\":\"\u{e9}\",\"time_first\":1,\"time_last\":2,\"bailiwick\":\"example\",\"sources\":[\"x\",\"y\"]}".into());
        let mut canonical = 0;
        for line in &lines {
            let Some(c) = scan::canonical(line.as_bytes()) else {
                continue;
            };
            canonical += 1;
            let p = scan::plain(line).unwrap_or_else(|| panic!("plain refuses {line}"));
            let fields = |p: &scan::Plain<'_>| {
                format!(
                    "{:?}",
                    (
                        p.rrname,
                        p.rrtype,
                        &p.rdata,
                        p.time_first,
                        p.time_last,
                        p.count,
                        p.bailiwick,
                        p.labels().collect::<Vec<_>>(),
                        p.sources.is_some()
                    )
                )
            };
            assert_eq!(fields(&c), fields(&p), "{line}");
        }
        assert!(canonical > 60, "only {canonical} lines were canonical");
        // Bytes that are not UTF-8 inside a string are refused, not
        // read.
        let bad = b"{\"rrname\":\"a\xff.example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1,\"time_last\":2}";
        assert!(scan::canonical(bad).is_none());
    }
}
