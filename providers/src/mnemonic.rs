//! mnemonic PassiveDNS `/pdns/v3` (FORMATS.md §3).
//!
//! The envelope is `{responseCode, count, limit, offset, size, data[],
//! messages[], metaData}`; a `responseCode` other than 200 (e.g. 402 when
//! the public quota is spent) is a `provider-error` carrying the messages.
//! A `count` beyond `offset` plus the page's records is counted as a
//! `more-pages` skip: the export is one page of a longer answer.
//! A bare record, or an array of records (what `jq .data[]` leaves), is
//! accepted too.
//!
//! Per record: `query` is the owner (a trailing dot or none; `*` and `%`
//! wildcards are kept as given), `answer` the rdata, `rrtype` lower case,
//! `firstSeenTimestamp`/`lastSeenTimestamp` in **milliseconds** (the
//! sub-second part is dropped), `times` the count. A record whose
//! `rrclass` is present and not `in` is skipped (`not-in-class`): entries
//! have no class. `maxTtl`, `minTtl`, `tlp`, `customer`,
//! `createdTimestamp` and `lastUpdatedTimestamp` are ignored. TXT answers
//! are kept if quoted and quoted otherwise (the form is not documented).

use pdnsfile::rrtype::known;
use serde_json::Value;

use crate::common::{
    as_obj, get, opt_count, opt_str, opt_time, req_str, rrtype_of, span, txt_as_given, Ctx, Rec,
    Unit,
};
use crate::error::{ErrorKind, ParseError};
use crate::time::End;

/// A `/pdns/v3` document, a record, or an array of records.
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value) {
    match v {
        Value::Array(items) => items_of(ctx, items, ""),
        Value::Object(o) if o.contains_key("query") => ctx.run("", |c| record(c, v)),
        Value::Object(o) => {
            if let Some(code) = get(o, "responseCode") {
                if code.as_u64() != Some(200) {
                    let messages = get(o, "messages").map(Value::to_string).unwrap_or_default();
                    return ctx.error(ParseError::new(
                        ErrorKind::Provider,
                        format!("mnemonic responseCode {code}: {messages}"),
                    ));
                }
            }
            match get(o, "data") {
                Some(Value::Array(items)) => {
                    items_of(ctx, items, "data");
                    // `count` is every match; past `offset` and this page
                    // there are more (FORMATS.md §3: count > limit means
                    // the result set was cut short).
                    let n = |k: &str| get(o, k).and_then(Value::as_u64);
                    let seen = n("offset").unwrap_or(0).saturating_add(items.len() as u64);
                    if n("count").is_some_and(|count| count > seen) {
                        ctx.skip("more-pages");
                    }
                }
                None => {
                    if !o.contains_key("responseCode") {
                        ctx.error(ParseError::new(
                            ErrorKind::Shape,
                            "neither a mnemonic envelope nor a record",
                        ));
                    }
                }
                Some(_) => ctx.error(ParseError::new(ErrorKind::Shape, "data is not an array")),
            }
        }
        _ => ctx.error(ParseError::new(
            ErrorKind::Shape,
            "not a JSON object or array",
        )),
    }
}

fn items_of(ctx: &mut Ctx<'_>, items: &[Value], path: &str) {
    for (i, item) in items.iter().enumerate() {
        ctx.run(&format!("{path}[{i}]"), |c| record(c, item));
    }
}

fn record(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "record")?;
    if let Some(class) = opt_str(obj, "rrclass")? {
        if !class.eq_ignore_ascii_case("in") {
            ctx.skip("not-in-class");
            return Ok(());
        }
    }
    let rrname = req_str(obj, "query")?;
    let answer = req_str(obj, "answer")?;
    let rrtype = rrtype_of(
        get(obj, "rrtype").ok_or_else(|| crate::common::missing("rrtype"))?,
        "rrtype",
    )?;
    let first = opt_time(obj, "firstSeenTimestamp", Unit::Millis, End::First)?;
    let last = opt_time(obj, "lastSeenTimestamp", Unit::Millis, End::Last)?;
    let (first, last) = span(first, last, "firstSeenTimestamp or lastSeenTimestamp")?;
    let count = opt_count(obj, "times")?;
    let rdata = if matches!(rrtype, known::TXT | known::SPF) {
        txt_as_given(answer)
    } else {
        answer.to_string()
    };
    ctx.emit(&Rec {
        rrname,
        rrtype,
        rdata: &rdata,
        first,
        last,
        count,
        bailiwick: None,
    });
    Ok(())
}
