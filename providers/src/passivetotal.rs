//! RiskIQ PassiveTotal v2 `/dns/passive` (FORMATS.md §5).
//!
//! `{queryValue, queryType, firstSeen, lastSeen, totalRecords, pager,
//! results[]}`; an error body `{"message": …}` without `results` is a
//! `provider-error`. Per result: `value` is **the queried indicator** and
//! `resolve` the other side, so for an address query (`queryType` `ip`,
//! or, without `queryType`, a `value` that is an address while `resolve`
//! is not) the owner is `resolve` and the rdata `value`; otherwise the
//! owner is `value`. `recordType` is the type; `firstSeen`/`lastSeen` are
//! `YYYY-MM-DD HH:MM:SS` UTC, and the literal `"None"` (or an empty
//! string) means unknown: the other one then stands for both. `source[]`,
//! `collected`, `recordHash` and `resolveType` are ignored, and there is
//! no count.
//!
//! PassiveTotal gives a single name for MX and SOA (no preference, no SOA
//! numbers): it is kept alone, as the source said (see the crate docs on
//! lossy rdata). TXT values are kept if quoted and quoted otherwise.

use serde_json::Value;

use crate::common::{as_obj, get, is_ip, opt_str, req_str, rrtype_of, span, time_of, Ctx, Unit};
use crate::error::{ErrorKind, ParseError};
use crate::time::End;

/// A `/dns/passive` document.
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value) {
    let obj = match as_obj(v, "document") {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let results = match get(obj, "results") {
        Some(Value::Array(items)) => items,
        Some(_) => return ctx.error(ParseError::new(ErrorKind::Shape, "results is not an array")),
        None => {
            let msg = get(obj, "message").map(Value::to_string);
            return ctx.error(match msg {
                Some(m) => ParseError::new(ErrorKind::Provider, format!("PassiveTotal: {m}")),
                None => ParseError::new(ErrorKind::Shape, "no results array"),
            });
        }
    };
    let ip_query = match opt_str(obj, "queryType") {
        Ok(t) => t.map(|t| t.eq_ignore_ascii_case("ip")),
        Err(e) => return ctx.error(e),
    };
    for (i, item) in results.iter().enumerate() {
        ctx.run(&format!("results[{i}]"), |c| result(c, ip_query, item));
    }
}

/// A time field where `"None"` and `""` mean unknown.
fn seen(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    end: End,
) -> Result<Option<u64>, ParseError> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() || s.trim() == "None" => Ok(None),
        Some(v) => time_of(v, Unit::Seconds, end, key).map(Some),
    }
}

fn result(ctx: &mut Ctx<'_>, ip_query: Option<bool>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "result")?;
    let value = req_str(obj, "value")?;
    let resolve = req_str(obj, "resolve")?;
    let rrtype = rrtype_of(
        get(obj, "recordType").ok_or_else(|| crate::common::missing("recordType"))?,
        "recordType",
    )?;
    let ip_query = ip_query.unwrap_or_else(|| is_ip(value) && !is_ip(resolve));
    let (owner, rdata) = if ip_query {
        (resolve, value)
    } else {
        (value, resolve)
    };
    let (first, last) = span(
        seen(obj, "firstSeen", End::First)?,
        seen(obj, "lastSeen", End::Last)?,
        "firstSeen or lastSeen",
    )?;
    ctx.emit_resolution(owner, rrtype, rdata, first, last);
    Ok(())
}
