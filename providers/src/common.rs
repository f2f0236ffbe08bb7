//! What every format shares: reading JSON fields, times and counts, the
//! rdata conventions for lossy inputs, and the sink that turns a record
//! into a normalized [`Entry`] (or an error, or a counted skip).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use pdnsfile::record::{escape_text_str, normalize_rdata};
use pdnsfile::rrtype::{self, known};
use pdnsfile::{name, Entry};
use serde_json::{Map, Value};

use crate::error::{from_pdns, quote, ErrorKind, ParseError};
use crate::time::{self, End, MAX_TIME};

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// The longest source label kept; a sensor name is short, and a label is
/// stored once per entry in the sources table.
pub(crate) const LABEL_MAX: usize = 100;

/// The unit of a numeric time field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Unix seconds.
    Seconds,
    /// Unix milliseconds (mnemonic, COF `time_*_ms`).
    Millis,
}

impl Unit {
    fn divisor(self) -> u64 {
        match self {
            Unit::Seconds => 1,
            Unit::Millis => 1000,
        }
    }
}

/// The value of `key`, treating `null` as absent (providers send both).
pub(crate) fn get<'v>(obj: &'v Obj, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// The object inside a value, or a shape error naming `what`.
pub(crate) fn as_obj<'v>(v: &'v Value, what: &str) -> Result<&'v Obj, ParseError> {
    v.as_object()
        .ok_or_else(|| ParseError::new(ErrorKind::Shape, format!("{what} is not a JSON object")))
}

/// An optional string field; another JSON type is a shape error.
pub(crate) fn opt_str<'v>(obj: &'v Obj, key: &str) -> Result<Option<&'v str>, ParseError> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ParseError::new(
            ErrorKind::Shape,
            format!("{key} is not a string"),
        )),
    }
}

/// A required string field.
pub(crate) fn req_str<'v>(obj: &'v Obj, key: &str) -> Result<&'v str, ParseError> {
    opt_str(obj, key)?.ok_or_else(|| missing(key))
}

/// A missing-field error.
pub(crate) fn missing(key: &str) -> ParseError {
    ParseError::new(ErrorKind::MissingField, format!("no {key}"))
}

/// A string field, or a number field given as a number (some providers
/// send ports, types and IDs either way); its text.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a time: a JSON number or a string of digits in `unit`
/// (fractions dropped), or a date/time string in any encoding of
/// [`crate::time`] (the unit then does not matter).
pub(crate) fn time_of(v: &Value, unit: Unit, end: End, field: &str) -> Result<u64, ParseError> {
    let bad = |why: String| ParseError::new(ErrorKind::Time, format!("{field} {why}"));
    let t = match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u / unit.divisor()
            } else {
                match n.as_f64() {
                    // 1.8e19 is just below u64::MAX, so the cast is exact
                    // enough and never saturates silently.
                    Some(f) if (0.0..1.8e19).contains(&f) => {
                        (f / unit.divisor() as f64).floor() as u64
                    }
                    _ => return Err(bad(format!("is not a time: {n}"))),
                }
            }
        }
        Value::String(s) => {
            let s = s.trim();
            let (int, frac) = match s.split_once('.') {
                Some((i, f)) => (i, Some(f)),
                None => (s, None),
            };
            let numeric = !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
            if numeric {
                let n: u64 = int
                    .parse()
                    .map_err(|_| bad(format!("is out of range: {}", quote(s))))?;
                n / unit.divisor()
            } else {
                time::parse_text(s, end)
                    .ok_or_else(|| bad(format!("is not a time: {}", quote(s))))?
            }
        }
        Value::Null => return Err(missing(field)),
        _ => return Err(bad("is neither a number nor a string".to_string())),
    };
    if t > MAX_TIME {
        return Err(bad(format!("is after the year 9999: {t}")));
    }
    Ok(t)
}

/// An optional time field.
pub(crate) fn opt_time(
    obj: &Obj,
    key: &str,
    unit: Unit,
    end: End,
) -> Result<Option<u64>, ParseError> {
    get(obj, key)
        .map(|v| time_of(v, unit, end, key))
        .transpose()
}

/// Resolves a (first, last) pair where either may be missing: a single
/// known time is both ends; none is an error. A zero beside a real time
/// at the other end means "not known" (FORMATS.md §0.8), not 1970: it
/// would stretch the entry over half a century.
pub(crate) fn span(
    first: Option<u64>,
    last: Option<u64>,
    what: &str,
) -> Result<(u64, u64), ParseError> {
    let known =
        |t: Option<u64>, other: Option<u64>| t.filter(|&t| t > 0 || other.unwrap_or(0) == 0);
    match (known(first, last), known(last, first)) {
        (Some(f), Some(l)) => Ok((f.min(l), f.max(l))),
        (Some(t), None) | (None, Some(t)) => Ok((t, t)),
        (None, None) => Err(ParseError::new(
            ErrorKind::MissingField,
            format!("no {what}"),
        )),
    }
}

/// Reads a count: a JSON number or a string of digits; `null` is unknown.
pub(crate) fn count_of(v: &Value, field: &str) -> Result<Option<u64>, ParseError> {
    let bad = |why: String| ParseError::new(ErrorKind::Number, format!("{field} {why}"));
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                return Ok(Some(u));
            }
            match n.as_f64() {
                Some(f) if (0.0..1.8e19).contains(&f) && f.fract() == 0.0 => Ok(Some(f as u64)),
                _ => Err(bad(format!("is not a count: {n}"))),
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("is not a count: {}", quote(s))));
            }
            t.parse::<u64>()
                .map(Some)
                .map_err(|_| bad(format!("is out of range: {}", quote(s))))
        }
        _ => Err(bad("is neither a number nor a string".to_string())),
    }
}

/// An optional count field.
pub(crate) fn opt_count(obj: &Obj, key: &str) -> Result<Option<u64>, ParseError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => count_of(v, key),
    }
}

/// Reads a record type: a mnemonic in any case, `TYPEnnn`, or a number
/// (as JSON number or text).
pub(crate) fn rrtype_of(v: &Value, field: &str) -> Result<u16, ParseError> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| {
                ParseError::new(
                    ErrorKind::RrType,
                    format!("{field} {n} is not a type number"),
                )
            }),
        Value::String(s) => rrtype_text(s, field),
        Value::Null => Err(missing(field)),
        _ => Err(ParseError::new(
            ErrorKind::RrType,
            format!("{field} is neither a string nor a number"),
        )),
    }
}

/// Reads a record type given as text.
pub(crate) fn rrtype_text(s: &str, field: &str) -> Result<u16, ParseError> {
    rrtype::parse(s).ok_or_else(|| {
        ParseError::new(
            ErrorKind::RrType,
            format!("{field} {} is not a known type", quote(s)),
        )
    })
}

/// The address type of a string: A for IPv4, AAAA for IPv6 (any
/// spelling `std` parses, including Suricata's zero-padded AAAA).
pub(crate) fn ip_type(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.parse::<Ipv4Addr>().is_ok() {
        Some(known::A)
    } else if s.parse::<Ipv6Addr>().is_ok() {
        Some(known::AAAA)
    } else {
        None
    }
}

/// Whether a string is an IPv4 or IPv6 address.
pub(crate) fn is_ip(s: &str) -> bool {
    ip_type(s).is_some()
}

/// Normalizes a name, refusing the empty string (which `pdnsfile` would
/// read as the root: a provider that sends `""` sent nothing).
pub(crate) fn norm_name(s: &str, what: &str) -> Result<String, ParseError> {
    if s.trim().is_empty() {
        return Err(ParseError::new(ErrorKind::Name, format!("{what} is empty")));
    }
    name::normalize(s).map_err(|e| from_pdns(&e, what, s))
}

/// TXT presentation of one raw character-string: in double quotes, with
/// `"` and `\` escaped by a backslash and every octet outside printable
/// ASCII as `\ddd` (RFC 1035 §5.1). Sensors (Zeek, Suricata) give the raw
/// string; DNSDB and COF give this form, so TXT entries from both agree.
pub(crate) fn quote_txt(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('"');
    for &b in raw {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                pdnsfile::record::push_ddd(&mut out, b);
            }
        }
    }
    out.push('"');
    out
}

/// TXT rdata from a provider whose form is not documented: kept as given
/// when it is already in quotes, quoted otherwise (see [`quote_txt`]).
pub(crate) fn txt_as_given(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t.to_string()
    } else {
        quote_txt(t.as_bytes())
    }
}

/// Types whose full rdata has a name after other fields. Lossy sources
/// (gamelinux, Zeek, Suricata's MX, PassiveTotal, OTX) give only that
/// name.
fn name_after_fields(rrtype: u16) -> bool {
    // MX, AFSDB, RT, KX, SRV, SVCB, HTTPS
    matches!(
        rrtype,
        known::MX | 18 | 21 | 36 | known::SRV | known::SVCB | known::HTTPS
    )
}

/// Normalizes rdata, including the shortened forms of lossy sources.
///
/// When a type whose full rdata has numbers before a name (MX, SRV, ...)
/// arrives as a single name, that name is what the source said: it is
/// kept alone, normalized as a name (lower case, no trailing dot), and no
/// preference, weight or port is invented. A single-field SOA is its MNAME
/// and `pdnsfile` already normalizes it as a name.
pub(crate) fn rdata_of(rrtype: u16, raw: &str) -> Result<String, ParseError> {
    let t = raw.trim();
    if name_after_fields(rrtype) && !t.starts_with("\\#") && t.split_whitespace().count() == 1 {
        return norm_name(t, "rdata");
    }
    normalize_rdata(rrtype, raw).map_err(|e| from_pdns(&e, "rdata", raw))
}

/// Whether a type is a pseudo or meta type that is never an observation
/// of data (type 0, OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY).
pub(crate) fn is_meta_type(rrtype: u16) -> bool {
    rrtype == 0 || rrtype == known::OPT || (249..=255).contains(&rrtype)
}

/// A sanitized source label: printable ASCII, bounded length.
pub(crate) fn clean_label(s: &str) -> String {
    let mut l = escape_text_str(s.trim());
    if l.len() > LABEL_MAX {
        l.truncate(LABEL_MAX);
    }
    l
}

/// One record ready to become an entry.
pub(crate) struct Rec<'s> {
    /// Owner name as given.
    pub rrname: &'s str,
    /// Type number.
    pub rrtype: u16,
    /// Rdata as given (see [`rdata_of`]).
    pub rdata: &'s str,
    /// First seen.
    pub first: u64,
    /// Last seen.
    pub last: u64,
    /// Count, if the source says.
    pub count: Option<u64>,
    /// Bailiwick, if the source says.
    pub bailiwick: Option<&'s str>,
}

/// Parser settings resolved once: the label and the normalized query.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    /// The format's default label, or the caller's override.
    pub label: String,
    /// Whether `label` is the caller's: it then replaces every label a
    /// record carries (sensor host names, COF `sources`).
    pub overridden: bool,
    /// The queried value, normalized (an address in canonical text, a
    /// name normalized), if the caller gave one.
    pub query: Option<String>,
    /// The zone of zone-less local times (gamelinux passivedns `H`);
    /// `None` reads them as UTC.
    pub time_zone: Option<jiff::tz::TimeZone>,
}

/// Where records go: entries, errors, and counts of deliberately skipped
/// records by reason.
pub(crate) struct Ctx<'a> {
    /// Entries produced.
    pub out: &'a mut Vec<Entry>,
    /// Errors produced.
    pub errors: &'a mut Vec<ParseError>,
    /// Skips per reason.
    pub skipped: &'a mut BTreeMap<&'static str, u64>,
    /// Settings.
    pub settings: &'a Settings,
}

impl Ctx<'_> {
    /// Counts a record that was skipped on purpose (it holds nothing an
    /// entry can represent, e.g. a query without answers).
    pub fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// Records an error.
    pub fn error(&mut self, e: ParseError) {
        self.errors.push(e);
    }

    /// The label for a record, with a sensor host name when it carries
    /// one (`zeek:HOST`), unless the caller overrode the label.
    pub fn label_for(&self, host: Option<&str>) -> String {
        match host.map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) if !self.settings.overridden => {
                format!("{}:{}", self.settings.label, clean_label(h))
            }
            _ => self.settings.label.clone(),
        }
    }

    /// Emits one resolution of the providers that give an owner, a type,
    /// a value and two times but neither count nor bailiwick
    /// (PassiveTotal, OTX, Umbrella): TXT values are kept as given.
    pub fn emit_resolution(
        &mut self,
        owner: &str,
        rrtype: u16,
        value: &str,
        first: u64,
        last: u64,
    ) {
        let rdata = if matches!(rrtype, known::TXT | known::SPF) {
            txt_as_given(value)
        } else {
            value.to_string()
        };
        self.emit(&Rec {
            rrname: owner,
            rrtype,
            rdata: &rdata,
            first,
            last,
            count: None,
            bailiwick: None,
        });
    }

    /// Turns a record into an entry labelled with the default label.
    pub fn emit(&mut self, rec: &Rec<'_>) {
        let label = self.settings.label.clone();
        self.emit_labelled(rec, &[label]);
    }

    /// Turns a record into an entry with the given labels (unless the
    /// caller overrode them). Meta types are skipped; a bad name or rdata
    /// is an error.
    pub fn emit_labelled(&mut self, rec: &Rec<'_>, labels: &[String]) {
        if is_meta_type(rec.rrtype) {
            self.skip("meta-type");
            return;
        }
        match build(rec) {
            Ok(mut e) => {
                if self.settings.overridden || labels.is_empty() {
                    e.sources = vec![self.settings.label.clone()];
                } else {
                    for l in labels {
                        e.add_source(l);
                    }
                }
                self.out.push(e);
            }
            Err(err) => self.errors.push(err),
        }
    }

    /// Runs a record parser, recording its error with `context`, and the
    /// errors of the entries it emitted too (a bad rdata in the third
    /// record of a document reads `passive_dns[2]: ...`: the document's
    /// line alone does not say which).
    pub fn run<F>(&mut self, context: &str, f: F)
    where
        F: FnOnce(&mut Self) -> Result<(), ParseError>,
    {
        let before = self.errors.len();
        let result = f(self);
        if context.is_empty() {
            self.errors.extend(result.err());
            return;
        }
        for e in self.errors.iter_mut().skip(before) {
            *e = e.clone().context(context);
        }
        if let Err(e) = result {
            self.errors.push(e.context(context));
        }
    }
}

fn build(rec: &Rec<'_>) -> Result<Entry, ParseError> {
    let rrname = norm_name(rec.rrname, "rrname")?;
    let rdata = rdata_of(rec.rrtype, rec.rdata)?;
    let bailiwick = match rec.bailiwick {
        Some(b) if !b.trim().is_empty() => Some(norm_name(b, "bailiwick")?),
        _ => None,
    };
    let (time_first, time_last) = (rec.first.min(rec.last), rec.first.max(rec.last));
    Ok(Entry {
        rrname,
        rrtype: rec.rrtype,
        rdata,
        time_first,
        time_last,
        count: rec.count,
        sources: Vec::new(),
        bailiwick,
    })
}

/// Normalizes the queried value a caller gives: an address to canonical
/// text, anything else as a name. `None` if it is neither.
pub(crate) fn normalize_query(q: &str) -> Option<String> {
    let t = q.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(a) = t.parse::<Ipv4Addr>() {
        return Some(a.to_string());
    }
    if let Ok(a) = t.parse::<Ipv6Addr>() {
        return Some(a.to_string());
    }
    name::normalize(t).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_and_counts() {
        let t = |v: Value, u| time_of(&v, u, End::First, "t");
        assert_eq!(t(json!(1_700_000_000), Unit::Seconds), Ok(1_700_000_000));
        assert_eq!(t(json!("1700000000"), Unit::Seconds), Ok(1_700_000_000));
        assert_eq!(
            t(json!(1_700_000_000_999u64), Unit::Millis),
            Ok(1_700_000_000)
        );
        assert_eq!(t(json!(1_700_000_000.9), Unit::Seconds), Ok(1_700_000_000));
        assert_eq!(t(json!("1700000000.9"), Unit::Seconds), Ok(1_700_000_000));
        assert_eq!(
            t(json!("2023-11-14T22:13:20Z"), Unit::Millis),
            Ok(1_700_000_000)
        );
        for bad in [
            json!(-1),
            json!(1e300),
            json!("99999999999999999999999"),
            json!(1_700_000_000_000u64),
            json!(true),
            json!([1]),
            json!("soon"),
        ] {
            assert_eq!(
                t(bad.clone(), Unit::Seconds).map_err(|e| e.reason()),
                Err("bad-time"),
                "{bad}"
            );
        }
        // A zero at one end is unknown when the other end is known.
        assert_eq!(span(Some(0), Some(9), "t"), Ok((9, 9)));
        assert_eq!(span(Some(9), Some(0), "t"), Ok((9, 9)));
        assert_eq!(span(Some(0), Some(0), "t"), Ok((0, 0)));
        assert_eq!(span(Some(0), None, "t"), Ok((0, 0)));
        assert_eq!(span(Some(7), Some(3), "t"), Ok((3, 7)));
        assert!(span(None, None, "t").is_err());
        assert_eq!(count_of(&json!("19"), "c"), Ok(Some(19)));
        assert_eq!(count_of(&json!(null), "c"), Ok(None));
        assert_eq!(count_of(&json!(3.0), "c"), Ok(Some(3)));
        for bad in [
            json!(-3),
            json!(1.5),
            json!("1e3"),
            json!("99999999999999999999999"),
            json!({}),
        ] {
            assert_eq!(
                count_of(&bad, "c").map_err(|e| e.reason()),
                Err("bad-number"),
                "{bad}"
            );
        }
    }

    #[test]
    fn rdata_conventions() {
        assert_eq!(rdata_of(15, "MX.Example.com.").unwrap(), "mx.example.com");
        assert_eq!(
            rdata_of(15, "10 MX.Example.com.").unwrap(),
            "10 mx.example.com"
        );
        assert_eq!(
            rdata_of(33, "sip1.example.com.").unwrap(),
            "sip1.example.com"
        );
        assert_eq!(rdata_of(6, "NS1.example.com.").unwrap(), "ns1.example.com");
        assert_eq!(
            rdata_of(28, "2001:0db8:0000:0000:0000:0000:0000:0010").unwrap(),
            "2001:db8::10"
        );
        assert_eq!(
            quote_txt(b"a\"b\\c\x1b\xc3\xa9"),
            "\"a\\\"b\\\\c\\027\\195\\169\""
        );
        assert_eq!(txt_as_given("\"x y\""), "\"x y\"");
        assert_eq!(txt_as_given("x y"), "\"x y\"");
        assert_eq!(
            normalize_query(" 2001:DB8::0010 ").as_deref(),
            Some("2001:db8::10")
        );
        assert_eq!(
            normalize_query("WWW.Example.com.").as_deref(),
            Some("www.example.com")
        );
    }
}
