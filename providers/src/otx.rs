//! AlienVault / LevelBlue OTX `passive_dns` section (FORMATS.md §6).
//!
//! `{"passive_dns": [...], "count": N}`; a body with `detail` or `error`
//! and no `passive_dns` is a `provider-error`. Per entry: `hostname` is
//! the owner, `address` the rdata (an address, or the CNAME/NS/MX target
//! for other types), `record_type` the type, `first`/`last` the times in
//! any of the three encodings OTX has used (ISO 8601 without a zone, read
//! as UTC; with `+00:00`; RFC 1123). `asn`, `flag_*`, `indicator_link`
//! and `asset_type` are ignored; there is no count.
//!
//! Old responses lack `record_type`: the type is then taken from the
//! shape of `address` (A for IPv4, AAAA for IPv6). A name without a type
//! could be a CNAME, NS or MX target, so such an entry is skipped
//! (`ambiguous`), not guessed. MX targets come without a preference and
//! are kept alone; TXT values are kept if quoted and quoted otherwise.

use serde_json::Value;

use crate::common::{as_obj, get, ip_type, opt_time, req_str, rrtype_of, span, Ctx, Unit};
use crate::error::{ErrorKind, ParseError};
use crate::time::End;

/// An OTX `passive_dns` document (or its bare array).
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value) {
    let items = match v {
        Value::Array(items) => items,
        Value::Object(o) => match get(o, "passive_dns") {
            Some(Value::Array(items)) => items,
            Some(_) => {
                return ctx.error(ParseError::new(
                    ErrorKind::Shape,
                    "passive_dns is not an array",
                ))
            }
            None => {
                let msg = get(o, "detail")
                    .or_else(|| get(o, "error"))
                    .map(Value::to_string);
                return ctx.error(match msg {
                    Some(m) => ParseError::new(ErrorKind::Provider, format!("OTX: {m}")),
                    None => ParseError::new(ErrorKind::Shape, "no passive_dns array"),
                });
            }
        },
        _ => return ctx.error(ParseError::new(ErrorKind::Shape, "not a JSON object")),
    };
    for (i, item) in items.iter().enumerate() {
        ctx.run(&format!("passive_dns[{i}]"), |c| entry(c, item));
    }
}

fn entry(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "entry")?;
    let owner = req_str(obj, "hostname")?;
    let address = req_str(obj, "address")?;
    let rrtype = match get(obj, "record_type") {
        Some(t) => rrtype_of(t, "record_type")?,
        None => match ip_type(address) {
            Some(t) => t,
            None => {
                ctx.skip("ambiguous");
                return Ok(());
            }
        },
    };
    let (first, last) = span(
        opt_time(obj, "first", Unit::Seconds, End::First)?,
        opt_time(obj, "last", Unit::Seconds, End::Last)?,
        "first or last",
    )?;
    ctx.emit_resolution(owner, rrtype, address, first, last);
    Ok(())
}
