//! Unix seconds to and from RFC 3339 (UTC), without a calendar crate:
//! the tools show times as RFC 3339 and accept RFC 3339, plain dates and
//! Unix seconds.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard
/// Hinnant's algorithm); `m` is 1..=12. The date is not checked.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in month `m` (1..=12) of year `y`, leap years included.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(t: u64) -> String {
    let secs = i64::try_from(t).unwrap_or(i64::MAX);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Parses Unix seconds (`1700000000`), a date (`2024-01-31`, midnight
/// UTC) or RFC 3339 (`2024-01-31T12:00:00Z`, `...+02:00`, fractional
/// seconds dropped). `None` when the text is none of these or before 1970.
pub fn parse(s: &str) -> Option<u64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let num = |a: usize, b: usize| -> Option<u32> {
        let t = s.get(a..b)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    if s.len() < 10 || s.as_bytes().get(4) != Some(&b'-') || s.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(i64::from(y), mo) {
        return None;
    }
    let mut secs = days_from_civil(i64::from(y), mo, d) * 86_400;
    if s.len() > 10 {
        let sep = s.as_bytes().get(10)?;
        if !matches!(sep, b'T' | b't' | b' ') {
            return None;
        }
        let (h, mi, se) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if h > 23 || mi > 59 || se > 60 || s.get(13..14)? != ":" || s.get(16..17)? != ":" {
            return None;
        }
        secs += i64::from(h * 3600 + mi * 60 + se);
        let mut rest = s.get(19..)?;
        if let Some(r) = rest.strip_prefix('.') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        match rest {
            "Z" | "z" | "" => {}
            tz => {
                let sign = match tz.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let oh: i64 = tz.get(1..3)?.parse().ok()?;
                let om: i64 = tz.get(4..6)?.parse().ok()?;
                if tz.len() != 6 || tz.get(3..4)? != ":" {
                    return None;
                }
                secs -= sign * (oh * 3600 + om * 60);
            }
        }
    }
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse("2023-11-14T22:13:20.123Z"), Some(1_700_000_000));
        assert_eq!(parse("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse("1700000000"), Some(1_700_000_000));
        assert_eq!(parse("1969-12-31"), None);
        assert_eq!(parse("2024-13-01"), None);
        assert_eq!(parse("2024-02-30"), None);
        assert_eq!(parse("2023-02-29"), None);
        assert_eq!(parse("yesterday"), None);
        for t in [0u64, 951_782_400, 1_709_164_800, 4_102_444_800] {
            assert_eq!(parse(&rfc3339(t)), Some(t));
        }
    }
}
