//! OpenDNS / Cisco Umbrella Investigate passive DNS (FORMATS.md §8).
//!
//! Three shapes are read:
//!
//! - **`/pdns/{name,ip,domain,raw}` records — field names assumed**
//!   (FORMATS.md marks them unverified): `{"records": [...],
//!   "hasMoreRecords", "totalNumRecords"}` or a bare array, each record
//!   `{name, rr, type, firstSeen, lastSeen, firstSeenISO, lastSeenISO,
//!   minTtl, maxTtl, ...}`. The owner is assumed to be `name` and the rdata
//!   `rr`; times are `firstSeen`/`lastSeen` (Unix seconds), else the `*ISO`
//!   strings. When an A/AAAA record has an address as `name` and a name as
//!   `rr` (the direction of an IP lookup), they are swapped, since an
//!   address cannot own an A record.
//! - **legacy `dnsdb/name/{type}/{domain}.json` (verified against
//!   opendns/pyinvestigate's tests)**: `{"rrs_tf": [{first_seen,
//!   last_seen, rrs: [{name, ttl, class, type, rr}]}], "features": {…}}`.
//!   The dates are day strings, so an entry covers the whole days. Records
//!   whose `class` is not `IN` are skipped (`not-in-class`).
//! - **legacy `dnsdb/ip/{type}/{ip}.json`**: `{"rrs": [{rr, ttl, class,
//!   type, name}], "features": {…}}` where `rr` is the owner and `name` the
//!   looked-up address (Investigate's documentation). These rows carry no
//!   time at all, so each is a `bad-time` error: an entry needs first and
//!   last seen, and inventing them would be wrong.
//!
//! There is no count in any shape. An `{"errorMessage": …}` or
//! `{"error": …}` body is a `provider-error`.

use pdnsfile::rrtype::known;
use serde_json::Value;

use crate::common::{
    as_obj, get, is_ip, opt_str, opt_time, req_str, rrtype_of, span, Ctx, Obj, Unit,
};
use crate::error::{ErrorKind, ParseError};
use crate::time::End;

/// An Investigate document.
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value) {
    match v {
        Value::Array(items) => records(ctx, "", items),
        Value::Object(o) => {
            if let Some(e) = get(o, "errorMessage").or_else(|| get(o, "error")) {
                return ctx.error(ParseError::new(
                    ErrorKind::Provider,
                    format!("Umbrella: {e}"),
                ));
            }
            let mut any = false;
            if let Some(Value::Array(items)) = get(o, "records") {
                any = true;
                records(ctx, "records", items);
            }
            if let Some(Value::Array(windows)) = get(o, "rrs_tf") {
                any = true;
                for (i, w) in windows.iter().enumerate() {
                    window(ctx, &format!("rrs_tf[{i}]"), w);
                }
            }
            if let Some(Value::Array(rows)) = get(o, "rrs") {
                any = true;
                for i in 0..rows.len() {
                    ctx.error(ParseError::new(
                        ErrorKind::Time,
                        format!("rrs[{i}]: Umbrella IP RR history has no first or last seen"),
                    ));
                }
            }
            if !any {
                if o.contains_key("name") && o.contains_key("rr") {
                    ctx.run("", |c| pdns_record(c, v));
                } else {
                    ctx.error(ParseError::new(
                        ErrorKind::Shape,
                        "no records, rrs_tf or rrs array",
                    ));
                }
            }
        }
        _ => ctx.error(ParseError::new(
            ErrorKind::Shape,
            "not a JSON object or array",
        )),
    }
}

fn records(ctx: &mut Ctx<'_>, path: &str, items: &[Value]) {
    for (i, item) in items.iter().enumerate() {
        ctx.run(&format!("{path}[{i}]"), |c| pdns_record(c, item));
    }
}

/// The type, owner and rdata of one record, with the IP-lookup swap.
fn sides(obj: &Obj, rrtype: u16) -> Result<(&str, &str), ParseError> {
    let name = req_str(obj, "name")?;
    let rr = req_str(obj, "rr")?;
    if matches!(rrtype, known::A | known::AAAA) && is_ip(name) && !is_ip(rr) {
        Ok((rr, name))
    } else {
        Ok((name, rr))
    }
}

fn emit(ctx: &mut Ctx<'_>, obj: &Obj, first: u64, last: u64) -> Result<(), ParseError> {
    if let Some(class) = opt_str(obj, "class")? {
        if !class.eq_ignore_ascii_case("in") {
            ctx.skip("not-in-class");
            return Ok(());
        }
    }
    let rrtype = rrtype_of(
        get(obj, "type").ok_or_else(|| crate::common::missing("type"))?,
        "type",
    )?;
    let (owner, rdata) = sides(obj, rrtype)?;
    ctx.emit_resolution(owner, rrtype, rdata, first, last);
    Ok(())
}

fn pdns_record(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "record")?;
    let first = match opt_time(obj, "firstSeen", Unit::Seconds, End::First)? {
        Some(t) => Some(t),
        None => opt_time(obj, "firstSeenISO", Unit::Seconds, End::First)?,
    };
    let last = match opt_time(obj, "lastSeen", Unit::Seconds, End::Last)? {
        Some(t) => Some(t),
        None => opt_time(obj, "lastSeenISO", Unit::Seconds, End::Last)?,
    };
    let (first, last) = span(first, last, "firstSeen or lastSeen")?;
    emit(ctx, obj, first, last)
}

fn window(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let times = as_obj(v, "rrs_tf entry").and_then(|o| {
        let (f, l) = span(
            opt_time(o, "first_seen", Unit::Seconds, End::First)?,
            opt_time(o, "last_seen", Unit::Seconds, End::Last)?,
            "first_seen or last_seen",
        )?;
        Ok((o, f, l))
    });
    let (obj, first, last) = match times {
        Ok(t) => t,
        Err(e) => return ctx.error(e.context(path)),
    };
    let rows = match get(obj, "rrs") {
        Some(Value::Array(rows)) => rows,
        _ => {
            return ctx
                .error(ParseError::new(ErrorKind::Shape, "rrs is not an array").context(path))
        }
    };
    for (i, row) in rows.iter().enumerate() {
        ctx.run(&format!("{path}.rrs[{i}]"), |c| {
            let o = as_obj(row, "rr")?;
            emit(c, o, first, last)
        });
    }
}
