//! Internationalized names: U-labels typed by the analyst become A-labels
//! (punycode) before the archive sees them, and A-labels can be shown as
//! U-labels beside them. Archives keep names as A-labels only.

use std::fmt::Write as _;

/// The rdata-name prefixes and fuzzy markers a query may start with; the
/// name after them is converted.
const PREFIXES: [&str; 7] = ["rdata:", "ns:", "mx:", "cname:", "~1", "~2", "~"];

/// Converts the name in a query to A-labels when it holds non-ASCII text
/// (`bücher.example` → `xn--bcher-kva.example`, `*.bücher.example`,
/// `ns:ns1.bücher.example`, `~bücher.example` alike). ASCII queries and
/// `/regex/` queries are returned unchanged: a regex runs over A-labels.
///
/// # Errors
///
/// The reason, when the name is not a valid internationalized name
/// (UTS 46 processing fails).
pub fn query_to_ascii(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_ascii() || (s.len() >= 2 && s.starts_with('/') && s.ends_with('/')) {
        return Ok(s.to_string());
    }
    let mut head = "";
    let mut rest = s;
    for p in PREFIXES {
        if let Some(h) = rest.get(..p.len()).filter(|h| h.eq_ignore_ascii_case(p)) {
            head = h;
            rest = rest.get(p.len()..).unwrap_or_default();
            break;
        }
    }
    let (star, rest) = match rest.strip_prefix("*.") {
        Some(r) => ("*.", r),
        None => ("", rest),
    };
    let (body, tail) = match rest.strip_suffix(".*") {
        Some(b) => (b, ".*"),
        None => (rest, ""),
    };
    let ascii = idna::domain_to_ascii(body)
        .map_err(|e| format!("{body:?} is not a valid internationalized name ({e})"))?;
    Ok(format!("{head}{star}{ascii}{tail}"))
}

/// The U-label form of a name holding A-labels (`xn--…`), for display
/// beside it; `None` when the name has none or does not decode cleanly.
///
/// Characters that could act on a terminal or reorder the text around them
/// (controls, bidirectional overrides and isolates, other format
/// characters) are shown as `\u{…}` escapes.
pub fn to_unicode(name: &str) -> Option<String> {
    if !name.split('.').any(|l| l.starts_with("xn--")) {
        return None;
    }
    let (u, r) = idna::domain_to_unicode(name);
    if r.is_err() || u == name {
        return None;
    }
    let mut out = String::with_capacity(u.len());
    for c in u.chars() {
        if c.is_control() || is_format(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Rdata with each name in it (see [`pdnsfile::record::rdata_names`])
/// that holds A-labels shown as U-labels; `None` when no name changes.
pub fn rdata_to_unicode(rrtype: u16, rdata: &str) -> Option<String> {
    let targets = pdnsfile::record::rdata_names(rrtype, rdata);
    let mut changed = false;
    let fields: Vec<String> = rdata
        .split(' ')
        .map(
            |f| match targets.contains(&f).then(|| to_unicode(f)).flatten() {
                Some(u) => {
                    changed = true;
                    u
                }
                None => f.to_string(),
            },
        )
        .collect();
    changed.then(|| fields.join(" "))
}

/// Unicode format characters (category Cf) that matter on a terminal:
/// bidirectional marks, embeddings, overrides and isolates, zero-width
/// characters and the byte order mark.
fn is_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00ad | 0x061c | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x206f | 0xfeff
            | 0xfff9..=0xfffb
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_query_names() {
        let a = |s| query_to_ascii(s).unwrap();
        assert_eq!(a("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(a("*.Bücher.example"), "*.xn--bcher-kva.example");
        assert_eq!(a("www.bücher.*"), "www.xn--bcher-kva.*");
        assert_eq!(a("ns:ns1.bücher.example"), "ns:ns1.xn--bcher-kva.example");
        assert_eq!(a("~2bücher.example"), "~2xn--bcher-kva.example");
        assert_eq!(a("WWW.Example.com"), "WWW.Example.com");
        assert_eq!(a("/bücher/"), "/bücher/");
        assert!(query_to_ascii("a\u{202e}b.example").is_err());
    }

    #[test]
    fn shows_u_labels() {
        assert_eq!(
            to_unicode("www.xn--bcher-kva.example").as_deref(),
            Some("www.bücher.example")
        );
        assert_eq!(to_unicode("www.example.com"), None);
        assert_eq!(
            rdata_to_unicode(15, "10 xn--bcher-kva.example").as_deref(),
            Some("10 bücher.example")
        );
        assert_eq!(
            rdata_to_unicode(6, "xn--bcher-kva.example xn--bcher-kva.example 1 2 3 4 5").as_deref(),
            Some("bücher.example bücher.example 1 2 3 4 5")
        );
        assert_eq!(rdata_to_unicode(16, "\"xn--bcher-kva.example\""), None);
        assert_eq!(rdata_to_unicode(5, "www.example.com"), None);
        assert_eq!(to_unicode("xn--zz.example"), None);
    }
}
