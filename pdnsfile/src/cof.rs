//! The Passive DNS Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof):
//! reading COF JSON objects into entries and writing entries as COF.
//!
//! Reading accepts what the draft allows and what real exports send:
//! `rdata` as a string or an array of strings (one entry each), `rrtype` as
//! a mnemonic, `TYPEnnn` or a number, times and counts as numbers or as
//! strings of digits, `zone_time_first`/`zone_time_last` when the
//! `time_*` pair is absent (DNSDB zone-file observations). Unknown keys are
//! ignored. Writing emits the mandatory fields, `count` and `bailiwick`
//! when known, and `sources` as an extra field.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::name;
use crate::record::{normalize_rdata, Entry};
use crate::rrtype;

fn bad(why: impl Into<String>) -> Error {
    Error::InvalidCof(why.into())
}

/// Reads a number given as a JSON number or a string of digits.
/// A float that is a whole-second time or count: finite, not negative,
/// and within `u64` (saturating a huge value would invent a time).
fn float_u64(f: f64) -> Option<u64> {
    (f.is_finite() && (0.0..18_446_744_073_709_549_568.0).contains(&f)).then_some(f as u64)
}

fn number(v: &Value, field: &str) -> Result<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().and_then(float_u64))
            .ok_or_else(|| bad(format!("{field} is not a non-negative number"))),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<u64>()
                .ok()
                .or_else(|| t.parse::<f64>().ok().and_then(float_u64))
                .ok_or_else(|| bad(format!("{field} is not a number: {:?}", truncate(s))))
        }
        _ => Err(bad(format!("{field} is not a number"))),
    }
}

/// Shortens untrusted text quoted in an error message.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Reads the type field.
pub fn parse_rrtype(v: &Value) -> Result<u16> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| bad("rrtype is not a type number")),
        Value::String(s) => {
            rrtype::parse(s).ok_or_else(|| bad(format!("unknown rrtype {:?}", truncate(s))))
        }
        _ => Err(bad("rrtype is neither a string nor a number")),
    }
}

/// Reads one COF object into its entries (one per rdata value).
///
/// # Errors
///
/// [`Error::InvalidCof`] when a mandatory field is missing or has the
/// wrong shape; [`Error::InvalidName`] / [`Error::InvalidRdata`] when a
/// value cannot be normalized.
pub fn from_value(v: &Value) -> Result<Vec<Entry>> {
    let obj = v.as_object().ok_or_else(|| bad("not a JSON object"))?;
    let field = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let rrname = field("rrname")
        .ok_or_else(|| bad("missing rrname"))?
        .as_str()
        .ok_or_else(|| bad("rrname is not a string"))?;
    let rrtype = parse_rrtype(field("rrtype").ok_or_else(|| bad("missing rrtype"))?)?;
    let (tf, tl) = match (field("time_first"), field("time_last")) {
        (Some(a), Some(b)) => (number(a, "time_first")?, number(b, "time_last")?),
        (a, b) => match (
            field("zone_time_first").or(a),
            field("zone_time_last").or(b),
        ) {
            (Some(a), Some(b)) => (number(a, "zone_time_first")?, number(b, "zone_time_last")?),
            (Some(a), None) | (None, Some(a)) => {
                let t = number(a, "time")?;
                (t, t)
            }
            (None, None) => return Err(bad("missing time_first and time_last")),
        },
    };
    let count = field("count").map(|c| number(c, "count")).transpose()?;
    let bailiwick = match field("bailiwick") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(name::normalize(s)?),
        _ => None,
    };
    let mut sources: Vec<String> = match field("sources") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(crate::record::escape_text_str))
            .collect(),
        _ => Vec::new(),
    };
    sources.sort();
    sources.dedup();
    let rdatas: Vec<&str> = match field("rdata").ok_or_else(|| bad("missing rdata"))? {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                out.push(
                    x.as_str()
                        .ok_or_else(|| bad("rdata array holds a non-string"))?,
                );
            }
            out
        }
        _ => return Err(bad("rdata is neither a string nor an array")),
    };
    if rdatas.is_empty() {
        return Err(bad("rdata is an empty array"));
    }
    if rrname.trim().is_empty() {
        return Err(bad("rrname is empty"));
    }
    let rrname = name::normalize(rrname)?;
    let (tf, tl) = if tf <= tl { (tf, tl) } else { (tl, tf) };
    let mut out = Vec::with_capacity(rdatas.len());
    for r in rdatas {
        out.push(Entry {
            rrname: rrname.clone(),
            rrtype,
            rdata: normalize_rdata(rrtype, r)?,
            time_first: tf,
            time_last: tl,
            count,
            sources: sources.clone(),
            bailiwick: bailiwick.clone(),
        });
    }
    Ok(out)
}

/// Reads one line of COF JSON lines.
///
/// # Errors
///
/// [`Error::InvalidCof`] for malformed JSON, and all of [`from_value`].
pub fn from_line(line: &str) -> Result<Vec<Entry>> {
    let v: Value = serde_json::from_str(line).map_err(|e| bad(format!("bad JSON: {e}")))?;
    from_value(&v)
}

#[derive(Serialize)]
struct Out<'a> {
    rrname: &'a str,
    rrtype: String,
    rdata: &'a str,
    time_first: u64,
    time_last: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bailiwick: Option<&'a str>,
    sources: &'a [String],
}

/// Writes an entry as one COF JSON object (no newline). Every string in
/// an entry read from an archive is printable ASCII, and JSON escaping
/// covers the rest.
pub fn to_line(e: &Entry) -> String {
    let out = Out {
        rrname: &e.rrname,
        rrtype: rrtype::to_string(e.rrtype),
        rdata: &e.rdata,
        time_first: e.time_first,
        time_last: e.time_last,
        count: e.count,
        bailiwick: e.bailiwick.as_deref(),
        sources: &e.sources,
    };
    // Serializing plain strings and numbers cannot fail.
    serde_json::to_string(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_draft_examples() {
        let e = from_line(r#"{"count": 102, "time_first": 1298412391, "rrtype": "AAAA", "rrname": "www.ietf.org", "rdata": "2001:1890:1112:1::20", "time_last": 1302506851}"#).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].rrname, "www.ietf.org");
        assert_eq!(e[0].rrtype, 28);
        assert_eq!(e[0].count, Some(102));
        let e = from_line(r#"{"count":962,"time_first":1522998917,"time_last":1619613241,"rrname":"westernunion.com.ph.","rrtype":"A","bailiwick":"westernunion.com.ph.","rdata":["66.218.161.27","66.218.170.77"],"x":1}"#).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].rdata, "66.218.170.77");
        assert_eq!(e[1].bailiwick.as_deref(), Some("westernunion.com.ph"));
        let e = from_line(r#"{"rrtype": 65, "rrname": "a.b", "rdata": "1 . alpn=h2", "count": "19", "time_first": "1696798385", "time_last": "1697890824"}"#).unwrap();
        assert_eq!(
            (e[0].rrtype, e[0].count, e[0].time_first),
            (65, Some(19), 1_696_798_385)
        );
        let e = from_line(r#"{"count":1820,"zone_time_first":1374250920,"zone_time_last":1589472138,"rrname":"farsightsecurity.com.","rrtype":"NS","rdata":["ns5.dnsmadeeasy.com."]}"#).unwrap();
        assert_eq!(e[0].time_last, 1_589_472_138);
        let e = from_line(
            r#"{"rrname":"a.b","rrtype":"A","rdata":"1.2.3.4","time_first":1,"time_last":2}"#,
        )
        .unwrap();
        assert_eq!(e[0].count, None);
    }

    #[test]
    fn refuses_bad_objects() {
        for l in [
            "[]",
            "{",
            r#"{"rrtype":"A","rdata":"1.2.3.4","time_first":1,"time_last":2}"#,
            r#"{"rrname":"a","rrtype":"A","rdata":"1.2.3","time_first":1,"time_last":2}"#,
            r#"{"rrname":"a","rrtype":"BOGUS","rdata":"x","time_first":1,"time_last":2}"#,
            r#"{"rrname":"a","rrtype":"A","rdata":[],"time_first":1,"time_last":2}"#,
            r#"{"rrname":"a","rrtype":"A","rdata":"1.2.3.4","time_first":-1,"time_last":2}"#,
            r#"{"rrname":"a","rrtype":"A","rdata":"1.2.3.4"}"#,
            r#"{"rrname":"","rrtype":"A","rdata":"1.2.3.4","time_first":1,"time_last":2}"#,
            r#"{"rrname":"a","rrtype":"A","rdata":"1.2.3.4","time_first":1e300,"time_last":2}"#,
        ] {
            assert!(from_line(l).is_err(), "{l}");
        }
    }

    #[test]
    fn round_trips() {
        let mut e = Entry::new("www.example.com", 15, "10 mx.example.com", 5, 9, Some(3)).unwrap();
        e.add_source("dnsdb");
        e.bailiwick = Some("example.com".into());
        let line = to_line(&e);
        assert_eq!(
            line,
            r#"{"rrname":"www.example.com","rrtype":"MX","rdata":"10 mx.example.com","time_first":5,"time_last":9,"count":3,"bailiwick":"example.com","sources":["dnsdb"]}"#
        );
        assert_eq!(from_line(&line).unwrap(), vec![e]);
    }
}
