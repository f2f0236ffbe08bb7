//! Kaspersky Threat Intelligence Portal DNS resolutions (FORMATS.md §8).
//!
//! **The field names below are assumed.** FORMATS.md verifies only that
//! TIP answers `/api/domain/<d>?sections=DomainDnsResolutions` and
//! `/api/ip/<ip>?sections=IpDnsResolutions` with sections of PascalCase
//! objects (`FirstSeen`, `LastSeen`, `Ip`/`Domain`, `HitsCount`, ...) and
//! that "dates in all sections are displayed in UTC"; the names inside the
//! DNS-resolution sections were not verified. This importer assumes:
//!
//! - `DomainDnsResolutions`: an array of `{Ip, FirstSeen, LastSeen,
//!   HitsCount}`; the owner is `DomainGeneralInfo.Domain` (documented for
//!   the domain lookup) or else [`crate::Options::query`];
//! - `IpDnsResolutions`: an array of `{Domain, FirstSeen, LastSeen,
//!   HitsCount}`; the rdata is `IpGeneralInfo.Ip` (documented for the IP
//!   lookup) or else [`crate::Options::query`];
//! - the type is A or AAAA by the address's shape; dates are any encoding
//!   of [`crate::time`] (UTC when no zone is given); `HitsCount` is taken
//!   as the count.
//!
//! Other sections (`LicenseInfo`, `Zone`, WHOIS, ...) are ignored. A
//! document with neither section yields a `bad-shape` error.

use serde_json::Value;

use crate::common::{
    as_obj, get, ip_type, opt_count, opt_str, opt_time, span, Ctx, Obj, Rec, Unit,
};
use crate::error::{quote, ErrorKind, ParseError};
use crate::time::End;

/// A TIP domain or IP lookup result.
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value) {
    let obj = match as_obj(v, "document") {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let general = |section: &str, key: &str| -> Option<String> {
        get(obj, section)
            .and_then(Value::as_object)
            .and_then(|g| get(g, key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut any = false;
    if let Some(items) = get(obj, "DomainDnsResolutions") {
        any = true;
        let domain = general("DomainGeneralInfo", "Domain").or_else(|| ctx.settings.query.clone());
        section(ctx, "DomainDnsResolutions", items, |o| {
            let ip = opt_str(o, "Ip")?.ok_or_else(|| crate::common::missing("Ip"))?;
            let d = domain.clone().ok_or_else(|| {
                ParseError::new(
                    ErrorKind::NoQuery,
                    "no DomainGeneralInfo.Domain; give the queried domain",
                )
            })?;
            Ok((d, ip.to_string()))
        });
    }
    if let Some(items) = get(obj, "IpDnsResolutions") {
        any = true;
        let ip = general("IpGeneralInfo", "Ip").or_else(|| ctx.settings.query.clone());
        section(ctx, "IpDnsResolutions", items, |o| {
            let d = opt_str(o, "Domain")?.ok_or_else(|| crate::common::missing("Domain"))?;
            let ip = ip.clone().ok_or_else(|| {
                ParseError::new(
                    ErrorKind::NoQuery,
                    "no IpGeneralInfo.Ip; give the queried address",
                )
            })?;
            Ok((d.to_string(), ip))
        });
    }
    if !any {
        ctx.error(ParseError::new(
            ErrorKind::Shape,
            "no DomainDnsResolutions or IpDnsResolutions section",
        ));
    }
}

fn section<F>(ctx: &mut Ctx<'_>, name: &str, items: &Value, sides: F)
where
    F: Fn(&Obj) -> Result<(String, String), ParseError>,
{
    let Value::Array(items) = items else {
        return ctx.error(ParseError::new(
            ErrorKind::Shape,
            format!("{name} is not an array"),
        ));
    };
    for (i, item) in items.iter().enumerate() {
        ctx.run(&format!("{name}[{i}]"), |c| {
            let o = as_obj(item, "resolution")?;
            let (owner, ip) = sides(o)?;
            let rrtype = ip_type(&ip).ok_or_else(|| {
                ParseError::new(
                    ErrorKind::Rdata,
                    format!("{} is not an address", quote(&ip)),
                )
            })?;
            let (first, last) = span(
                opt_time(o, "FirstSeen", Unit::Seconds, End::First)?,
                opt_time(o, "LastSeen", Unit::Seconds, End::Last)?,
                "FirstSeen or LastSeen",
            )?;
            let count = opt_count(o, "HitsCount")?;
            c.emit(&Rec {
                rrname: &owner,
                rrtype,
                rdata: &ip,
                first,
                last,
                count,
                bailiwick: None,
            });
            Ok(())
        });
    }
}
