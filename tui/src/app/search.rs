//! The search box's language: a `pdns query` query followed (or preceded)
//! by filter words.
//!
//! ```text
//! evil.example type:A,AAAA after:2024-01-01 before:2024-02-01
//! ns:ns1.evil.example            (rdata-name query on NS records; also mx: cname: ptr:)
//! 192.0.2.0/24 source:dnsdb
//! ```
//!
//! `after:T` keeps what was last seen at or after T and `before:T` what
//! was first seen at or before T (dnsdbq's `-A`/`-B`: together, "seen at
//! some moment in [A, B]"); `first-after:`, `first-before:`,
//! `last-after:`, `last-before:` set one bound each.

use pdnsfile::{Filter, Query};

/// A parsed search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    /// What to look up.
    pub query: Query,
    /// Types, times and sources.
    pub filter: Filter,
}

/// Filter words and what they set.
pub const FILTER_WORDS: &[(&str, &str)] = &[
    ("type:A,MX", "only these types"),
    (
        "after:T",
        "last seen at or after T (T: date, RFC 3339 or Unix seconds)",
    ),
    ("before:T", "first seen at or before T"),
    ("first-after:T, first-before:T", "bounds on first seen"),
    ("last-after:T, last-before:T", "bounds on last seen"),
    ("source:LABEL", "only entries seen by this source"),
    (
        "ns:N, mx:N, cname:N, ptr:N",
        "records of that type whose rdata names N",
    ),
];

/// Parses the search box.
///
/// # Errors
///
/// A message for the status line: a bad type, time or query.
pub fn parse(text: &str) -> Result<Search, String> {
    let mut filter = Filter::default();
    let mut rest: Vec<&str> = Vec::new();
    let mut rdata_type: Option<(u16, &str)> = None;
    for word in text.split_whitespace() {
        let Some((key, value)) = word.split_once(':') else {
            rest.push(word);
            continue;
        };
        let time = || {
            pdnsfile::time::parse(value).ok_or_else(|| {
                format!("{key}: {value:?} is not a time (YYYY-MM-DD, RFC 3339 or Unix seconds)")
            })
        };
        match key.to_ascii_lowercase().as_str() {
            "type" => {
                let mut types = filter.types.take().unwrap_or_default();
                for t in value.split(',').filter(|t| !t.is_empty()) {
                    types.push(
                        pdnsfile::rrtype::parse(t)
                            .ok_or_else(|| format!("type: unknown type {t:?}"))?,
                    );
                }
                filter.types = Some(types);
            }
            "after" | "last-after" => filter.fence.last_after = Some(time()?),
            "before" | "first-before" => filter.fence.first_before = Some(time()?),
            "first-after" => filter.fence.first_after = Some(time()?),
            "last-before" => filter.fence.last_before = Some(time()?),
            "source" => filter
                .sources
                .get_or_insert_with(Vec::new)
                .push(value.to_string()),
            k @ ("ns" | "mx" | "cname" | "ptr" | "dname" | "srv") => {
                let t = pdnsfile::rrtype::parse(k).ok_or_else(|| format!("unknown type {k:?}"))?;
                rdata_type = Some((t, value));
            }
            // Not a filter word: an IPv6 address, `rdata:NAME`, a regex.
            _ => rest.push(word),
        }
    }
    let query = if let Some((t, name)) = rdata_type {
        if !rest.is_empty() {
            return Err(format!(
                "{} and {:?}: one query at a time",
                name,
                rest.join(" ")
            ));
        }
        filter.types.get_or_insert_with(Vec::new).push(t);
        Query::parse(&format!("rdata:{name}")).map_err(|e| e.to_string())?
    } else {
        if rest.is_empty() {
            return Err("type a name, an address, a CIDR or a wildcard".into());
        }
        Query::parse(&rest.join(" ")).map_err(|e| e.to_string())?
    };
    Ok(Search { query, filter })
}

/// `text` with every `word:` filter of that kind replaced by `word:value`.
pub fn with_filter(text: &str, word: &str, value: &str) -> String {
    let prefix = format!("{word}:");
    let mut out: Vec<String> = text
        .split_whitespace()
        .filter(|w| !w.to_ascii_lowercase().starts_with(&prefix))
        .map(str::to_string)
        .collect();
    out.push(format!("{prefix}{value}"));
    out.join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn filters_and_queries() {
        let s = parse("evil.example type:A,aaaa after:2024-01-01 before:1700000000").unwrap();
        assert_eq!(s.query, Query::Name("evil.example".into()));
        assert_eq!(s.filter.types, Some(vec![1, 28]));
        assert_eq!(s.filter.fence.last_after, Some(1_704_067_200));
        assert_eq!(s.filter.fence.first_before, Some(1_700_000_000));
        let s = parse("2001:db8::1").unwrap();
        assert!(matches!(s.query, Query::Ip(_)));
        let s = parse("ns:ns1.evil.example").unwrap();
        assert_eq!(s.query, Query::RdataName("ns1.evil.example".into()));
        assert_eq!(s.filter.types, Some(vec![2]));
        assert!(matches!(
            parse("rdata:*.example").unwrap().query,
            Query::RdataSubtree { .. }
        ));
        assert!(parse("type:A").is_err());
        assert!(parse("x type:NOPE").unwrap_err().contains("NOPE"));
        assert!(parse("x after:yesterday").unwrap_err().contains("after"));
    }

    #[test]
    fn with_filter_replaces() {
        assert_eq!(with_filter("a.b type:MX", "type", "A"), "a.b type:A");
    }
}
