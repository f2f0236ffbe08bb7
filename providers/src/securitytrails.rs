//! SecurityTrails DNS history `/v1/history/{host}/dns/{type}`
//! (FORMATS.md §8).
//!
//! `{endpoint, pages, type: "a/ipv4", records[]}`; a body with `message`
//! and no `records` is a `provider-error`. The owner name is not in the
//! records: it is read from `endpoint` (`/v1/history/www.example.com/dns/a`)
//! or, failing that, taken from [`crate::Options::query`]; without either
//! every record is a `no-query` error.
//!
//! Each record is a *set* of values seen together over one interval:
//! `first_seen`/`last_seen` are dates only, so the entry covers the whole
//! days (first at 00:00:00, last at 23:59:59 UTC). The record's `type` (or
//! the document's, before the `/`) picks the value key:
//! `a` → `ip`, `aaaa` → `ipv6`, `ns` → `nameserver`, `mx` → `hostname`
//! with `priority` in front when present, `txt` → `value` (quoted if not
//! already). `soa` values carry only the `email` (RNAME) and no MNAME, so
//! SOA records are skipped (`lossy`) rather than given an invented MNAME.
//! `ip_count`/`host_count` count other hosts, not observations, and
//! `organizations` is ignored: there is no count.

use pdnsfile::rrtype::known;
use serde_json::Value;

use crate::common::{as_obj, get, opt_str, opt_time, span, text_of, txt_as_given, Ctx, Rec, Unit};
use crate::error::{quote, ErrorKind, ParseError};
use crate::time::End;

/// The host named in an endpoint path.
fn host_of_endpoint(endpoint: &str) -> Option<&str> {
    let mut parts = endpoint.trim_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some("history"), Some(host), Some("dns")) if !host.is_empty() => Some(host),
        _ => None,
    }
}

/// A DNS history document.
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value) {
    let obj = match as_obj(v, "document") {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let records = match get(obj, "records") {
        Some(Value::Array(r)) => r,
        Some(_) => return ctx.error(ParseError::new(ErrorKind::Shape, "records is not an array")),
        None => {
            let msg = get(obj, "message").map(Value::to_string);
            return ctx.error(match msg {
                Some(m) => ParseError::new(ErrorKind::Provider, format!("SecurityTrails: {m}")),
                None => ParseError::new(ErrorKind::Shape, "no records array"),
            });
        }
    };
    let host = opt_str(obj, "endpoint")
        .ok()
        .flatten()
        .and_then(host_of_endpoint)
        .map(str::to_string)
        .or_else(|| ctx.settings.query.clone());
    let doc_type = opt_str(obj, "type")
        .ok()
        .flatten()
        .map(|t| t.split('/').next().unwrap_or(t).to_ascii_lowercase());
    for (i, rec) in records.iter().enumerate() {
        ctx.run(&format!("records[{i}]"), |c| {
            record(c, host.as_deref(), doc_type.as_deref(), rec)
        });
    }
}

fn record(
    ctx: &mut Ctx<'_>,
    host: Option<&str>,
    doc_type: Option<&str>,
    v: &Value,
) -> Result<(), ParseError> {
    let obj = as_obj(v, "record")?;
    let host = host.ok_or_else(|| {
        ParseError::new(
            ErrorKind::NoQuery,
            "no endpoint naming the host; give the queried host",
        )
    })?;
    let kind = match opt_str(obj, "type")? {
        Some(t) => t.to_ascii_lowercase(),
        None => doc_type
            .map(str::to_string)
            .ok_or_else(|| crate::common::missing("type"))?,
    };
    let (rrtype, key) = match kind.as_str() {
        "a" => (known::A, "ip"),
        "aaaa" => (known::AAAA, "ipv6"),
        "ns" => (known::NS, "nameserver"),
        "mx" => (known::MX, "hostname"),
        "txt" => (known::TXT, "value"),
        "soa" => {
            ctx.skip("lossy");
            return Ok(());
        }
        other => {
            return Err(ParseError::new(
                ErrorKind::RrType,
                format!("unknown SecurityTrails type {}", quote(other)),
            ))
        }
    };
    let (first, last) = span(
        opt_time(obj, "first_seen", Unit::Seconds, End::First)?,
        opt_time(obj, "last_seen", Unit::Seconds, End::Last)?,
        "first_seen or last_seen",
    )?;
    let values = match get(obj, "values") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ParseError::new(ErrorKind::Shape, "values is not an array")),
        None => return Err(crate::common::missing("values")),
    };
    for (i, val) in values.iter().enumerate() {
        ctx.run(&format!("values[{i}]"), |c| {
            let o = as_obj(val, "value")?;
            let text = opt_str(o, key)?.ok_or_else(|| crate::common::missing(key))?;
            let rdata = match rrtype {
                known::MX => match get(o, "priority").and_then(text_of) {
                    Some(p) => format!("{p} {text}"),
                    None => text.to_string(),
                },
                known::TXT => txt_as_given(text),
                _ => text.to_string(),
            };
            c.emit(&Rec {
                rrname: host,
                rrtype,
                rdata: &rdata,
                first,
                last,
                count: None,
                bailiwick: None,
            });
            Ok(())
        });
    }
    Ok(())
}
