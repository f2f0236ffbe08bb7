//! Suricata `eve.json` DNS events, versions 1, 2 and 3 (FORMATS.md §9.3,
//! OISF/suricata `rust/src/dns/log.rs`).
//!
//! Events whose `event_type` is not `dns` (flows, alerts, stats in a mixed
//! `eve.json`) are skipped (`not-dns`), as are requests (`type` `request`
//! or `query`: `request`). The time is `timestamp` (offset without a
//! colon, as Suricata writes it); every record gets count 1 (one response
//! seen) and the label `suricata`, or `suricata:HOST` when the event
//! carries `host` (Suricata's `sensor-name`).
//!
//! # Responses
//!
//! - **v3** (`version` 3, `type` `response`, or `answer` as the docs'
//!   examples say) and **v2 detailed** (`type` `answer` with `answers[]`):
//!   every record of `answers[]`, `authorities[]` and `additionals[]`
//!   becomes an entry with its own `rrname` and `rrtype` — as a capture
//!   would, an NXDOMAIN's SOA authority included. In v3 responses
//!   `src_ip` is the responder; addresses are not used either way.
//! - **v2 grouped only** (`grouped{TYPE: [...]}` and no `answers[]`): the
//!   grouped form has no owner names. Owners are rebuilt from the query
//!   name (`dns.rrname` in v2, `queries[0].rrname` in v3): the `CNAME`
//!   list is a chain from the query name in wire order, and every other
//!   record belongs to the query name or, with CNAMEs, to the last CNAME
//!   target. This is the standard resolution chain, an inference the
//!   grouped form does not state; detailed answers are used instead
//!   whenever present.
//! - **v1** (no `version`, one record per event at the top level of
//!   `dns`: `rrname`, `rrtype`, `rdata`).
//!
//! # Rdata
//!
//! - A, AAAA (fully expanded, zero-padded, normalized to RFC 5952),
//!   CNAME, NS, PTR: complete;
//! - SOA from `soa{mname, rname, serial, refresh, retry, expire,
//!   minimum}`, SRV from `srv{priority, weight, port, name}` (the code's
//!   key; the docs' `target` is accepted), SSHFP from
//!   `sshfp{algo, type, fingerprint}`: complete;
//! - **MX is the exchange only**: Suricata drops the preference, and none
//!   is invented;
//! - **TXT is split**: Suricata logs each character-string as its own
//!   answer, and which strings formed one record is lost, so each string
//!   is its own TXT entry (RFC 1035 quoted form). Joining strings of the
//!   same name would merge distinct records of a TXT RRset.
//! - Records without any rdata key (types Suricata does not render) are
//!   skipped (`no-rdata`), as are OPT and other meta types (`meta-type`)
//!   and records marked `rrname_truncated`/`rdata_truncated`
//!   (`truncated`): a cut name is a different name.

use pdnsfile::rrtype::known;
use serde_json::Value;

use crate::common::{
    as_obj, get, missing, opt_str, quote_txt, req_str, rrtype_of, rrtype_text, text_of, time_of,
    Ctx, Obj, Rec, Unit,
};
use crate::error::{ErrorKind, ParseError};
use crate::time::End;

/// One eve event.
pub(crate) fn event(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "event")?;
    match opt_str(obj, "event_type")? {
        Some("dns") => {}
        Some(_) => {
            ctx.skip("not-dns");
            return Ok(());
        }
        None => return Err(missing("event_type")),
    }
    let dns = as_obj(get(obj, "dns").ok_or_else(|| missing("dns"))?, "dns")?;
    match opt_str(dns, "type")? {
        Some("request" | "query") => {
            ctx.skip("request");
            return Ok(());
        }
        Some("response" | "answer") | None => {}
        Some(other) => {
            return Err(ParseError::new(
                ErrorKind::Shape,
                format!("unknown dns type {}", crate::error::quote(other)),
            ))
        }
    }
    let ts = time_of(
        get(obj, "timestamp").ok_or_else(|| missing("timestamp"))?,
        Unit::Seconds,
        End::First,
        "timestamp",
    )?;
    let label = ctx.label_for(opt_str(obj, "host")?);
    let ev = Event {
        ts,
        labels: vec![label],
    };
    let detailed = ["answers", "authorities", "additionals"];
    let is_v1 = get(dns, "version").is_none()
        && !detailed.iter().any(|k| dns.contains_key(*k))
        && !dns.contains_key("grouped");
    if is_v1 {
        if ["rdata", "soa", "srv", "sshfp"]
            .iter()
            .any(|k| dns.contains_key(*k))
        {
            return rr(ctx, &ev, dns);
        }
        ctx.skip(no_answer_reason(dns));
        return Ok(());
    }
    let mut any = false;
    for section in detailed {
        match get(dns, section) {
            None => {}
            Some(Value::Array(rrs)) => {
                any = true;
                for (i, r) in rrs.iter().enumerate() {
                    ctx.run(&format!("{section}[{i}]"), |c| {
                        rr(c, &ev, as_obj(r, "record")?)
                    });
                }
            }
            Some(_) => {
                ctx.error(ParseError::new(
                    ErrorKind::Shape,
                    format!("{section} is not an array"),
                ));
            }
        }
    }
    if !dns.contains_key("answers") {
        if let Some(g) = get(dns, "grouped") {
            let qname = match opt_str(dns, "rrname")? {
                Some(q) => Some(q),
                None => get(dns, "queries")
                    .and_then(Value::as_array)
                    .and_then(|q| q.first())
                    .and_then(Value::as_object)
                    .and_then(|q| get(q, "rrname"))
                    .and_then(Value::as_str),
            };
            return grouped(ctx, &ev, qname, g);
        }
    }
    if !any {
        ctx.skip(no_answer_reason(dns));
    }
    Ok(())
}

fn no_answer_reason(dns: &Obj) -> &'static str {
    match get(dns, "rcode").and_then(Value::as_str) {
        Some(r) if r != "NOERROR" => "rcode",
        _ => "no-answers",
    }
}

struct Event {
    ts: u64,
    labels: Vec<String>,
}

fn emit(ctx: &mut Ctx<'_>, ev: &Event, rrname: &str, rrtype: u16, rdata: &str) {
    ctx.emit_labelled(
        &Rec {
            rrname,
            rrtype,
            rdata,
            first: ev.ts,
            last: ev.ts,
            count: Some(1),
            bailiwick: None,
        },
        &ev.labels,
    );
}

fn field(o: &Obj, key: &str) -> Result<String, ParseError> {
    get(o, key).and_then(text_of).ok_or_else(|| missing(key))
}

/// Rdata from a sub-object (`soa`, `srv`, `sshfp`).
fn structured(kind: &str, v: &Value) -> Result<String, ParseError> {
    let o = as_obj(v, kind)?;
    Ok(match kind {
        "soa" => [
            "mname", "rname", "serial", "refresh", "retry", "expire", "minimum",
        ]
        .iter()
        .map(|k| field(o, k))
        .collect::<Result<Vec<_>, _>>()?
        .join(" "),
        "srv" => {
            let target = field(o, "name").or_else(|_| field(o, "target"))?;
            format!(
                "{} {} {} {target}",
                field(o, "priority")?,
                field(o, "weight")?,
                field(o, "port")?
            )
        }
        _ => {
            let fp: String = field(o, "fingerprint")?
                .chars()
                .filter(|c| *c != ':')
                .collect::<String>()
                .to_ascii_lowercase();
            format!("{} {} {fp}", field(o, "algo")?, field(o, "type")?)
        }
    })
}

/// The rdata of a value in `rdata` or a grouped list.
fn value_rdata(rrtype: u16, v: &Value) -> Result<Option<String>, ParseError> {
    Ok(Some(match v {
        Value::String(s) if matches!(rrtype, known::TXT | known::SPF) => quote_txt(s.as_bytes()),
        Value::String(s) => s.clone(),
        Value::Object(_) => match rrtype {
            known::SOA => structured("soa", v)?,
            known::SRV => structured("srv", v)?,
            44 => structured("sshfp", v)?,
            _ => return Ok(None),
        },
        _ => {
            return Err(ParseError::new(
                ErrorKind::Shape,
                "rdata is neither a string nor an object",
            ))
        }
    }))
}

/// One detailed record (v3, v2 detailed, v1).
fn rr(ctx: &mut Ctx<'_>, ev: &Event, o: &Obj) -> Result<(), ParseError> {
    let truncated = |k: &str| get(o, k).and_then(Value::as_bool) == Some(true);
    if truncated("rrname_truncated") || truncated("rdata_truncated") {
        ctx.skip("truncated");
        return Ok(());
    }
    let rrname = req_str(o, "rrname")?;
    let rrtype = rrtype_of(get(o, "rrtype").ok_or_else(|| missing("rrtype"))?, "rrtype")?;
    if crate::common::is_meta_type(rrtype) {
        ctx.skip("meta-type");
        return Ok(());
    }
    let rdata = if let Some(r) = get(o, "rdata") {
        value_rdata(rrtype, r)?
    } else if let Some(s) = get(o, "soa") {
        Some(structured("soa", s)?)
    } else if let Some(s) = get(o, "srv") {
        Some(structured("srv", s)?)
    } else if let Some(s) = get(o, "sshfp") {
        Some(structured("sshfp", s)?)
    } else {
        None
    };
    match rdata {
        Some(r) => emit(ctx, ev, rrname, rrtype, &r),
        None => ctx.skip("no-rdata"),
    }
    Ok(())
}

/// The grouped form (see the module docs for the owner inference).
fn grouped(
    ctx: &mut Ctx<'_>,
    ev: &Event,
    qname: Option<&str>,
    g: &Value,
) -> Result<(), ParseError> {
    let g = as_obj(g, "grouped")?;
    let qname = qname.ok_or_else(|| missing("rrname (needed to read grouped answers)"))?;
    let mut owner = qname.to_string();
    if let Some(c) = get(g, "CNAME") {
        let list = c
            .as_array()
            .ok_or_else(|| ParseError::new(ErrorKind::Shape, "grouped CNAME is not an array"))?;
        for target in list {
            let Some(t) = target.as_str() else {
                ctx.error(ParseError::new(
                    ErrorKind::Shape,
                    "grouped CNAME holds a non-string",
                ));
                continue;
            };
            emit(ctx, ev, &owner, known::CNAME, t);
            owner = t.to_string();
        }
    }
    for (key, values) in g {
        if key == "CNAME" {
            continue;
        }
        ctx.run(&format!("grouped.{key}"), |c| {
            let rrtype = rrtype_text(key, "grouped type")?;
            if crate::common::is_meta_type(rrtype) {
                c.skip("meta-type");
                return Ok(());
            }
            let list = values
                .as_array()
                .ok_or_else(|| ParseError::new(ErrorKind::Shape, "not an array"))?;
            for v in list {
                match value_rdata(rrtype, v) {
                    Ok(Some(r)) => emit(c, ev, &owner, rrtype, &r),
                    Ok(None) => c.skip("no-rdata"),
                    Err(e) => c.error(e),
                }
            }
            Ok(())
        });
    }
    Ok(())
}
