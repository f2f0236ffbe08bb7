//! Time encodings seen in provider data (FORMATS.md §0.6), all to Unix
//! seconds UTC.
//!
//! `pdnsfile::time::parse` reads Unix seconds, dates and RFC 3339 with a
//! `+hh:mm` offset. Providers also send offsets without a colon
//! (Suricata's `+0000`), RFC 1123 (old OTX), a space instead of `T`
//! (PassiveTotal, VT v2), and fractions of seconds in epoch text
//! (gamelinux, Zeek). This module reads all of them; fractions of a second
//! are dropped (floor), because entries keep whole seconds.

/// The last second this crate accepts, 9999-12-31T23:59:59Z. A larger
/// value is a unit mix-up (milliseconds read as seconds) or garbage.
pub(crate) const MAX_TIME: u64 = 253_402_300_799;

/// Which end of an interval a time is. A date without a time of day
/// covers the whole day: as a first-seen time it means its first second,
/// as a last-seen time its last second, so the interval encloses every
/// observation the date stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// A first-seen time.
    First,
    /// A last-seen time.
    Last,
}

use pdnsfile::time::{days_from_civil, days_in_month};

/// The digits of `s[a..b]` as a number; `None` unless all are ASCII
/// digits (so `+1` and ` 1` are refused, unlike `str::parse`).
fn digits(s: &str, a: usize, b: usize) -> Option<i64> {
    let t = s.get(a..b)?;
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn seconds(days: i64, h: i64, mi: i64, s: i64, offset: i64) -> Option<u64> {
    let t = days * 86_400 + h * 3600 + mi * 60 + s - offset;
    u64::try_from(t).ok().filter(|t| *t <= MAX_TIME)
}

/// Epoch seconds as text: `1700000000` or `1700000000.123456`.
pub(crate) fn parse_epoch_text(s: &str) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    int.parse::<u64>().ok().filter(|t| *t <= MAX_TIME)
}

/// A zone designator: empty, `Z`, `UTC`, `GMT`, `+hh`, `+hhmm`, `+hh:mm`.
/// Returns the offset east of UTC in seconds.
fn parse_zone(z: &str) -> Option<i64> {
    match z {
        "" | "Z" | "z" | "UTC" | "GMT" | "UT" => return Some(0),
        _ => {}
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let r = z.get(1..)?;
    let (h, m) = match r.len() {
        2 => (digits(r, 0, 2)?, 0),
        4 => (digits(r, 0, 2)?, digits(r, 2, 4)?),
        5 if r.as_bytes().get(2) == Some(&b':') => (digits(r, 0, 2)?, digits(r, 3, 5)?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// ISO 8601 / RFC 3339 and the `YYYY-MM-DD HH:MM:SS` variant: a date,
/// optionally `T` or a space and `HH:MM[:SS[.frac]]`, optionally a zone
/// (with or without a space before it). No zone means UTC (every provider
/// that omits it documents UTC, FORMATS.md §0.6).
fn parse_iso(s: &str, end: End) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (digits(s, 0, 4)?, digits(s, 5, 7)?, digits(s, 8, 10)?);
    let (mo, d) = (u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let rest = s.get(10..)?;
    if rest.is_empty() {
        return match end {
            End::First => seconds(days, 0, 0, 0, 0),
            End::Last => seconds(days, 23, 59, 59, 0),
        };
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    let h = digits(rest, 0, 2)?;
    if rest.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mi = digits(rest, 3, 5)?;
    let (sec, mut tail) = if rest.as_bytes().get(5) == Some(&b':') {
        (digits(rest, 6, 8)?, rest.get(8..)?)
    } else {
        (0, rest.get(5..)?)
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    if let Some(t) = tail.strip_prefix('.').or_else(|| tail.strip_prefix(',')) {
        let frac = t.trim_start_matches(|c: char| c.is_ascii_digit());
        if frac.len() == t.len() {
            return None; // a separator without digits
        }
        tail = frac;
    }
    let offset = parse_zone(tail.trim_start())?;
    seconds(days, h, mi, sec, offset)
}

fn month(abbrev: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let a = abbrev.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| *m == a)?;
    u32::try_from(i + 1).ok()
}

/// RFC 1123 as old OTX sends it: `Mon, 01 Jan 2024 00:00:00 GMT` (the
/// weekday is optional and not checked).
fn parse_rfc1123(s: &str) -> Option<u64> {
    let body = match s.split_once(',') {
        Some((wd, rest)) if wd.len() == 3 && wd.bytes().all(|b| b.is_ascii_alphabetic()) => {
            rest.trim_start()
        }
        Some(_) => return None,
        None => s,
    };
    let mut it = body.split_ascii_whitespace();
    let d_text = it.next()?;
    let d = u32::try_from(digits(d_text, 0, d_text.len())?).ok()?;
    let mo = month(it.next()?)?;
    let y_text = it.next()?;
    if y_text.len() != 4 {
        return None;
    }
    let y = digits(y_text, 0, 4)?;
    let hms = it.next()?;
    if hms.len() != 8 || hms.get(2..3)? != ":" || hms.get(5..6)? != ":" {
        return None;
    }
    let (h, mi, sec) = (digits(hms, 0, 2)?, digits(hms, 3, 5)?, digits(hms, 6, 8)?);
    let offset = parse_zone(it.next().unwrap_or("GMT"))?;
    if it.next().is_some() || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    seconds(days_from_civil(y, mo, d), h, mi, sec, offset)
}

/// Parses a time given as text in any of the encodings above. `None`
/// when it is none of them, before 1970, or after [`MAX_TIME`].
pub(crate) fn parse_text(s: &str, end: End) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    parse_epoch_text(s)
        .or_else(|| parse_iso(s, end))
        .or_else(|| parse_rfc1123(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let p = |s| parse_text(s, End::First);
        assert_eq!(p("1722470400"), Some(1_722_470_400));
        assert_eq!(p("1722470400.123456"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01T00:00:00Z"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01T00:00:00.123056+0000"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01T02:00:00+02:00"), Some(1_722_470_400));
        assert_eq!(p("2024-07-31T16:00:00.5-0800"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01T02:00:00+02"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01 00:00:00"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01 00:00:00 +0000"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01T00:00"), Some(1_722_470_400));
        assert_eq!(p("2024-08-01"), Some(1_722_470_400));
        assert_eq!(parse_text("2024-08-01", End::Last), Some(1_722_556_799));
        assert_eq!(p("Thu, 01 Aug 2024 00:00:00 GMT"), Some(1_722_470_400));
        assert_eq!(p("1 Aug 2024 00:00:00 +0000"), Some(1_722_470_400));
        assert_eq!(p("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "",
            "None",
            "2023-02-29",
            "2024-13-01",
            "2024-08-01T25:00:00Z",
            "2024-08-01T00:00:00+2400",
            "2024-08-01T00:00:00.Z",
            "1969-12-31",
            "10000-01-01",
            "99999999999999999999",
            "253402300800",
            "+1722470400",
            "1722470400.",
            "Mon, 32 Jan 2024 00:00:00 GMT",
            "2024-08-01X00:00:00",
            "２０２４-08-01",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(p("9999-12-31T23:59:59Z"), Some(MAX_TIME));
    }
}
