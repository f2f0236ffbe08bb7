//! VirusTotal resolutions (FORMATS.md §4).
//!
//! # API v3
//!
//! A page `{meta, data[], links}` of resolution objects, or one object
//! (`/resolutions/{id}`), or `{"data": {…}}`. Per object (`type` must be
//! `resolution` when present; others are skipped as `not-resolution`),
//! from `attributes`: `host_name` is the owner, `ip_address` the rdata
//! (A for IPv4, AAAA for IPv6, by its shape: VirusTotal only has address
//! resolutions), `date` (Unix seconds) both first and last seen: each row
//! is one observation, and aggregation makes the interval. The `id`
//! (address and name concatenated) is not parsed; `resolver` and the
//! analysis statistics are ignored. There is no count. An
//! `{"error": {code, message}}` body is a `provider-error`. A page with
//! `links.next` or `meta.cursor` is counted as a `more-pages` skip: the
//! export is incomplete, and the run's summary says so.
//!
//! # API v2
//!
//! `{response_code, verbose_msg, resolutions[]}` from
//! `/vtapi/v2/domain/report` (items `{last_resolved, ip_address}`) or
//! `/vtapi/v2/ip-address/report` (items `{last_resolved, hostname}`).
//! **The queried domain or address is not in the document**: it must be
//! given as [`crate::Options::query`], or every record is a `no-query`
//! error. `last_resolved` (`YYYY-MM-DD HH:MM:SS`, UTC) is both first and
//! last seen. `response_code` 0 (not in the dataset) yields nothing and
//! counts a `not-found` skip; a negative one is a `provider-error`.

use serde_json::Value;

use crate::common::{as_obj, get, ip_type, opt_str, req_str, time_of, Ctx, Rec, Unit};
use crate::error::{quote, ErrorKind, ParseError};
use crate::time::End;

/// A v3 document.
pub(crate) fn v3_document(ctx: &mut Ctx<'_>, v: &Value) {
    let obj = match as_obj(v, "document") {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    if let Some(err) = get(obj, "error") {
        return ctx.error(ParseError::new(
            ErrorKind::Provider,
            format!("VirusTotal error: {err}"),
        ));
    }
    match get(obj, "data") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                ctx.run(&format!("data[{i}]"), |c| v3_resolution(c, item));
            }
            // A page with a next link or a cursor is one of several: the
            // run says so rather than pass it off as the whole answer.
            let more = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
            let links = get(obj, "links").and_then(Value::as_object);
            let meta = get(obj, "meta").and_then(Value::as_object);
            if more(links.and_then(|l| l.get("next"))) || more(meta.and_then(|m| m.get("cursor"))) {
                ctx.skip("more-pages");
            }
        }
        Some(item @ Value::Object(_)) => ctx.run("data", |c| v3_resolution(c, item)),
        Some(_) => ctx.error(ParseError::new(ErrorKind::Shape, "data is not an array")),
        None if obj.contains_key("attributes") => ctx.run("", |c| v3_resolution(c, v)),
        None => ctx.error(ParseError::new(
            ErrorKind::Shape,
            "no data array (not a VirusTotal v3 resolutions page)",
        )),
    }
}

fn v3_resolution(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "resolution")?;
    if let Some(t) = opt_str(obj, "type")? {
        if t != "resolution" {
            ctx.skip("not-resolution");
            return Ok(());
        }
    }
    let attrs = as_obj(
        get(obj, "attributes").ok_or_else(|| crate::common::missing("attributes"))?,
        "attributes",
    )?;
    let host = req_str(attrs, "host_name")?;
    let ip = req_str(attrs, "ip_address")?;
    let date = time_of(
        get(attrs, "date").ok_or_else(|| crate::common::missing("date"))?,
        Unit::Seconds,
        End::First,
        "date",
    )?;
    let rrtype = ip_type(ip).ok_or_else(|| {
        ParseError::new(
            ErrorKind::Rdata,
            format!("ip_address {} is not an address", quote(ip)),
        )
    })?;
    ctx.emit(&Rec {
        rrname: host,
        rrtype,
        rdata: ip,
        first: date,
        last: date,
        count: None,
        bailiwick: None,
    });
    Ok(())
}

/// A v2 domain or IP report.
pub(crate) fn v2_document(ctx: &mut Ctx<'_>, v: &Value) {
    let obj = match as_obj(v, "document") {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    if let Some(code) = get(obj, "response_code") {
        match code.as_i64() {
            Some(0) => return ctx.skip("not-found"),
            Some(c) if c < 0 => {
                let msg = opt_str(obj, "verbose_msg").ok().flatten().unwrap_or("");
                return ctx.error(ParseError::new(
                    ErrorKind::Provider,
                    format!("VirusTotal response_code {c}: {msg}"),
                ));
            }
            _ => {}
        }
    }
    match get(obj, "resolutions") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                ctx.run(&format!("resolutions[{i}]"), |c| v2_resolution(c, item));
            }
        }
        Some(_) => ctx.error(ParseError::new(
            ErrorKind::Shape,
            "resolutions is not an array",
        )),
        None => {}
    }
}

fn v2_resolution(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "resolution")?;
    let when = time_of(
        get(obj, "last_resolved").ok_or_else(|| crate::common::missing("last_resolved"))?,
        Unit::Seconds,
        End::Last,
        "last_resolved",
    )?;
    let query = ctx.settings.query.clone();
    let (owner, rdata) =
        if let Some(ip) = opt_str(obj, "ip_address")? {
            // A domain report: the owner is the queried domain.
            match query {
                Some(q) if ip_type(&q).is_none() => (q, ip.to_string()),
                Some(q) => {
                    return Err(ParseError::new(
                        ErrorKind::NoQuery,
                        format!(
                            "a domain report needs the queried domain, not {}",
                            quote(&q)
                        ),
                    ))
                }
                None => return Err(ParseError::new(
                    ErrorKind::NoQuery,
                    "a VirusTotal v2 domain report lists addresses only; give the queried domain",
                )),
            }
        } else if let Some(host) = opt_str(obj, "hostname")? {
            // An IP report: the rdata is the queried address.
            match query {
                Some(q) if ip_type(&q).is_some() => (host.to_string(), q),
                Some(q) => {
                    return Err(ParseError::new(
                        ErrorKind::NoQuery,
                        format!("an IP report needs the queried address, not {}", quote(&q)),
                    ))
                }
                None => {
                    return Err(ParseError::new(
                        ErrorKind::NoQuery,
                        "a VirusTotal v2 IP report lists names only; give the queried address",
                    ))
                }
            }
        } else {
            return Err(crate::common::missing("ip_address or hostname"));
        };
    let rrtype = ip_type(&rdata).ok_or_else(|| {
        ParseError::new(
            ErrorKind::Rdata,
            format!("ip_address {} is not an address", quote(&rdata)),
        )
    })?;
    ctx.emit(&Rec {
        rrname: &owner,
        rrtype,
        rdata: &rdata,
        first: when,
        last: when,
        count: None,
        bailiwick: None,
    });
    Ok(())
}
