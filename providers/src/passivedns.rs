//! gamelinux/passivedns text log and JSON (FORMATS.md §9.1, from
//! gamelinux/passivedns `src/dns.c`).
//!
//! # Text log
//!
//! Fields are separated by `||` (configurable with `-d`, see
//! [`crate::Options::passivedns_delimiter`]) and chosen with `-f` (default
//! `SMcsCQTAtn`, see [`crate::Options::passivedns_fields`]). Whatever the
//! letter order, passivedns prints the columns in one fixed order:
//! time (`H` wins over `S`/`M`), `h` sensor host, `c` client, `w` client
//! MAC, `s` server, `W` server MAC, `p` protocol, `C` class, `Q` query,
//! `L` query length, `T` type, `A` answer, `l` answer length, `t` TTL,
//! `n` count. The spec must hold a time (`H` or `S`), `Q`, `T` and `A`;
//! every other letter passivedns accepts is taken and its column skipped
//! (`h` names the sensor, see below). Lines starting with `#` are
//! comments. An answer that itself contains the delimiter (a TXT string)
//! is rejoined, since it is the only free text column, but only when the
//! type column holds one of the mnemonics whose answer is free text
//! (`TXT`, `SPF`, `HINFO`, `NAPTR`, any case): passivedns always writes
//! mnemonics for those, so a number there (a line written with another
//! spec, e.g. `L` query length before `T`) is a `fields` error rather
//! than an answer glued from two columns.
//!
//! # JSON (`-j`)
//!
//! Keys `timestamp_s` (Unix seconds), `timestamp_ms` (**microseconds**,
//! not milliseconds; ignored since entries keep whole seconds),
//! `timestamp` (local time text, used only without `timestamp_s`),
//! `hostname`, `client`, `server`, `proto`, `class`, `query`, `type`,
//! `answer`, `ttl`, `count`, `query_len`, `answer_len`.
//!
//! # What an entry gets
//!
//! Owner = the query field (passivedns writes the question name, or the
//! CNAME target it followed, never the raw answer owner), type, rdata =
//! the answer, first = last = the time (a last-seen time of passivedns's
//! cache; aggregation builds the interval), count = the count field (the
//! observations since the last print), label `passivedns` or
//! `passivedns:HOST` with `h`/`hostname`. The `H` text time is
//! `strftime("%Y-%m-%d %H:%M:%S")` of the sensor's **local time** plus
//! `.usec`, with no zone: the log cannot say which, so it is read in the
//! zone given as [`crate::Options::passivedns_time_zone`] (the sensor's
//! `TZ`; an IANA name or a fixed offset), UTC by default. A local time
//! in the hour repeated when daylight saving time ends is ambiguous: it
//! is read as the earlier of the two instants (the first pass through
//! that hour); one in the hour skipped when it starts does not exist on
//! the sensor's clock and is moved forward by the gap (RFC 5545's rule,
//! jiff's "compatible"). Run passivedns with `TZ=UTC`, or use `S`, for
//! exact times. Records of a class other than `IN` are skipped
//! (`not-in-class`).
//!
//! # What the answer does not say
//!
//! passivedns prints one rdata field for some types: **MX = exchange
//! only, SRV = target only, SOA = MNAME only, TXT and SPF = first string
//! only, RP = mailbox only**, and NSEC3 without its type bitmap. Those are
//! imported as printed (MX/SRV/SOA as the single normalized name); no
//! preference, weight, port or SOA number is invented. A, AAAA, CNAME,
//! NS, PTR, DNAME, NAPTR, HINFO, SSHFP, DS, DNSKEY, RRSIG, NSEC, LOC are
//! complete. Error records (`-X` with `x`, `s`, ...) carry the rcode
//! (`NXDOMAIN`, `SERVFAIL`, ...) as the answer: they are skipped
//! (`rcode`), as an entry has no way to say "no such name".

use pdnsfile::rrtype::known;
use serde_json::Value;

use crate::common::{
    as_obj, count_of, get, missing, opt_str, req_str, rrtype_text, time_of, txt_as_given, Ctx, Rec,
    Unit,
};
use crate::error::{quote, ErrorKind, ParseError};
use crate::time::{self, End};

/// The default `-f` field letters of passivedns.
pub const DEFAULT_FIELDS: &str = "SMcsCQTAtn";
/// The default `-d` delimiter of passivedns.
pub const DEFAULT_DELIMITER: &str = "||";
/// Every `-f` letter passivedns accepts (FORMATS.md §9.1, `src/passivedns.c`).
pub const FIELD_LETTERS: &str = "HSMcswWpCQLTAltnh";
/// Types whose answer passivedns prints as free text that may hold the
/// delimiter (TXT and SPF strings, HINFO and NAPTR space-joined rdata
/// fields), by the mnemonic passivedns writes for them.
const FREE_TEXT_TYPES: [&str; 4] = ["TXT", "SPF", "HINFO", "NAPTR"];

/// Checks a `-f` field spec and `-d` delimiter as a text log import
/// would use them (see [`crate::Options::passivedns_fields`]), so that a
/// command line can refuse a bad one before reading any input.
///
/// # Errors
///
/// A `no-header` error naming the problem: a letter passivedns does not
/// know, a spec without a time (`H` or `S`), `Q`, `T` or `A`, or an empty
/// delimiter or one holding a line break.
pub fn check_spec(fields: &str, delimiter: &str) -> Result<(), ParseError> {
    Spec::new(fields, delimiter).map(|_| ())
}

/// One column of the text log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Time(TimeCol),
    Host,
    Client,
    ClientMac,
    Server,
    ServerMac,
    Proto,
    Class,
    Query,
    QueryLen,
    Type,
    Answer,
    AnswerLen,
    Ttl,
    Count,
}

/// How the time column is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeCol {
    /// `H`: local `YYYY-MM-DD HH:MM:SS.usec`.
    Ymdhms,
    /// `S` and `M`: `sec.usec`.
    SecUsec,
    /// `S` alone.
    Sec,
}

/// A parsed `-f`/`-d` pair: the columns in print order.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    cols: Vec<Col>,
    delimiter: String,
}

impl Spec {
    /// Builds the column list from `-f` letters, in passivedns's fixed
    /// print order.
    pub(crate) fn new(letters: &str, delimiter: &str) -> Result<Spec, ParseError> {
        let bad = |why: String| ParseError::new(ErrorKind::Header, why);
        if delimiter.is_empty() {
            return Err(bad("the passivedns delimiter is empty".into()));
        }
        // Lines are split on line breaks before any field is cut, so such
        // a delimiter could never be found.
        if delimiter.contains(['\n', '\r']) {
            return Err(bad("the passivedns delimiter holds a line break".into()));
        }
        if let Some(c) = letters.chars().find(|c| !FIELD_LETTERS.contains(*c)) {
            return Err(bad(format!(
                "unknown passivedns field letter {c:?} (passivedns -f knows {FIELD_LETTERS})"
            )));
        }
        let has = |c: char| letters.contains(c);
        let time = if has('H') {
            Some(TimeCol::Ymdhms)
        } else if has('S') && has('M') {
            Some(TimeCol::SecUsec)
        } else if has('S') {
            Some(TimeCol::Sec)
        } else {
            None
        };
        let Some(time) = time else {
            return Err(bad(
                "the passivedns fields must include a time with seconds (H or S)".into(),
            ));
        };
        if !(has('Q') && has('T') && has('A')) {
            return Err(bad(
                "the passivedns fields must include Q (query), T (type) and A (answer)".into(),
            ));
        }
        let mut cols = vec![Col::Time(time)];
        for (c, col) in [
            ('h', Col::Host),
            ('c', Col::Client),
            ('w', Col::ClientMac),
            ('s', Col::Server),
            ('W', Col::ServerMac),
            ('p', Col::Proto),
            ('C', Col::Class),
            ('Q', Col::Query),
            ('L', Col::QueryLen),
            ('T', Col::Type),
            ('A', Col::Answer),
            ('l', Col::AnswerLen),
            ('t', Col::Ttl),
            ('n', Col::Count),
        ] {
            if has(c) {
                cols.push(col);
            }
        }
        Ok(Spec {
            cols,
            delimiter: delimiter.to_string(),
        })
    }
}

/// Whether an answer is an rcode that passivedns prints for error
/// records (names from passivedns always end with a dot, so a bare
/// `NXDOMAIN` cannot be a name).
fn is_rcode(answer: &str) -> bool {
    matches!(
        answer,
        "FORMERR"
            | "SERVFAIL"
            | "NXDOMAIN"
            | "NOTIMPL"
            | "REFUSED"
            | "YXDOMAIN"
            | "YXRRSET"
            | "NXRRSET"
            | "NOTAUTH"
            | "NOTZONE"
    ) || answer.starts_with("UNKNOWN-ERROR-")
}

/// The fields of one observation, however they were read.
struct Obs<'a> {
    time: u64,
    host: Option<&'a str>,
    class: Option<&'a str>,
    query: &'a str,
    rrtype: &'a str,
    answer: &'a str,
    count: Option<u64>,
}

fn emit(ctx: &mut Ctx<'_>, o: &Obs<'_>) -> Result<(), ParseError> {
    if let Some(class) = o.class {
        if !class.eq_ignore_ascii_case("IN") {
            ctx.skip("not-in-class");
            return Ok(());
        }
    }
    if is_rcode(o.answer) {
        ctx.skip("rcode");
        return Ok(());
    }
    let rrtype = rrtype_text(o.rrtype, "type")?;
    let rdata = if matches!(rrtype, known::TXT | known::SPF) {
        txt_as_given(o.answer)
    } else {
        o.answer.to_string()
    };
    let label = ctx.label_for(o.host);
    ctx.emit_labelled(
        &Rec {
            rrname: o.query,
            rrtype,
            rdata: &rdata,
            first: o.time,
            last: o.time,
            count: o.count,
            bailiwick: None,
        },
        &[label],
    );
    Ok(())
}

/// One text log line.
pub(crate) fn text_line(ctx: &mut Ctx<'_>, spec: &Spec, line: &str) -> Result<(), ParseError> {
    if line.starts_with('#') {
        ctx.skip("comment");
        return Ok(());
    }
    let parts = split_line(spec, line)?;
    let mut obs = Obs {
        time: 0,
        host: None,
        class: None,
        query: "",
        rrtype: "",
        answer: "",
        count: None,
    };
    for (col, raw) in spec.cols.iter().zip(parts) {
        match col {
            Col::Time(kind) => {
                let t = match kind {
                    TimeCol::Ymdhms => parse_ymdhms(raw, ctx.settings.time_zone.as_ref()),
                    TimeCol::SecUsec | TimeCol::Sec => time::parse_epoch_text(raw.trim()),
                };
                obs.time = t.ok_or_else(|| {
                    ParseError::new(ErrorKind::Time, format!("bad time {}", quote(raw)))
                })?;
            }
            Col::Host => obs.host = Some(raw),
            Col::Class => obs.class = Some(raw),
            Col::Query => obs.query = raw,
            Col::Type => obs.rrtype = raw,
            Col::Answer => obs.answer = raw,
            Col::Count => {
                obs.count = count_of(&Value::String(raw.to_string()), "count")?;
            }
            _ => {}
        }
    }
    emit(ctx, &obs)
}

/// The `H` time: `YYYY-MM-DD HH:MM:SS.usec` exactly as passivedns's
/// `strftime` and `%06lu` print it (the fraction is optional, in case a
/// log was trimmed), read in `zone` (UTC when `None`; see the module
/// docs). Other shapes that [`time::parse_text`] would take (epoch
/// seconds, `T`, zones, a bare date) are refused: they mean the spec does
/// not match the log.
fn parse_ymdhms(raw: &str, zone: Option<&jiff::tz::TimeZone>) -> Option<u64> {
    // The whole column in the shape, and a dot only before digits.
    if h_time_len(raw) != Some(raw.len()) || raw.len() == 20 {
        return None;
    }
    let ymdhms = raw.get(..19)?;
    // The shape is fixed above, so this reads it as a zone-less date and
    // time (UTC); it also checks the ranges (month, day, hour, ...).
    let utc = time::parse_text(ymdhms, End::First)?;
    let Some(zone) = zone else {
        return Some(utc);
    };
    // The same wall-clock reading, placed in the sensor's zone.
    let seconds = i64::try_from(utc).ok()?;
    let civil = jiff::Timestamp::from_second(seconds)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime();
    let instant = zone.to_ambiguous_timestamp(civil).compatible().ok()?;
    u64::try_from(instant.as_second()).ok()
}

/// The time zone a sensor printed its local times in: an IANA name
/// (`Europe/Berlin`, `UTC`), looked up in the system's time zone
/// database and else in a copy built into the program, or a fixed
/// offset from UTC (`+05:30`, `-08:00`, `+0200`, `Z`). Beware the
/// database's `Etc/GMT+5`: POSIX signs, so it is UTC-5 (`-05:00`).
///
/// # Errors
///
/// A `no-header` error for anything else, naming it.
pub fn parse_time_zone(text: &str) -> Result<jiff::tz::TimeZone, ParseError> {
    let bad = || {
        ParseError::new(
            ErrorKind::Header,
            format!(
                "unknown time zone {}: give an IANA name such as Europe/Berlin or UTC, or an offset such as +05:30",
                quote(text)
            ),
        )
    };
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") {
        return Ok(jiff::tz::TimeZone::UTC);
    }
    if let Some(offset) = fixed_offset(t) {
        return jiff::tz::Offset::from_seconds(offset)
            .map(jiff::tz::TimeZone::fixed)
            .map_err(|_| bad());
    }
    // Names are ASCII letters, digits and `/_-+`; anything else (a path,
    // `..`) is refused before the database is asked.
    let name_like = !t.is_empty()
        && !t.contains("..")
        && !t.starts_with('/')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
    if !name_like {
        return Err(bad());
    }
    jiff::tz::TimeZone::get(t).map_err(|_| bad())
}

/// Seconds east of UTC of `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH` (at most
/// 14 hours: no zone's clock is further from UTC), or `None`.
fn fixed_offset(t: &str) -> Option<i32> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, t.get(1..)?),
        b'-' => (-1, t.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|&c| c != ':').collect();
    let colons = rest.matches(':').count();
    let shaped = digits.bytes().all(|b| b.is_ascii_digit())
        && match digits.len() {
            2 => colons == 0,
            4 => colons == 0 || (colons == 1 && rest.find(':') == Some(2)),
            _ => false,
        };
    if !shaped {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    if minutes > 59 || hours * 60 + minutes > 14 * 60 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Whether a type column holds a mnemonic whose answer is free text.
/// Numbers are refused on purpose: passivedns writes these four types by
/// name, and a number (`16`) in the type column means the line was
/// written with another field spec.
fn is_free_text_type(t: &str) -> bool {
    FREE_TEXT_TYPES.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Splits a line into the spec's columns. The answer is the only column
/// that may hold the delimiter (a TXT, SPF, HINFO or NAPTR string): the
/// columns before it are cut from the left and those after it from the
/// right, and a longer line is accepted only for those types.
fn split_line<'l>(spec: &Spec, line: &'l str) -> Result<Vec<&'l str>, ParseError> {
    let d = spec.delimiter.as_str();
    // An `H` time holds a space, colons, dashes and a dot, which can be
    // the delimiter too (`-d ' '`): a line that starts with one is cut
    // after it by its shape. Any other line is split plainly, and its
    // time column then fails as a bad time.
    if spec.cols.first() == Some(&Col::Time(TimeCol::Ymdhms)) {
        let cut = h_time_len(line).and_then(|end| {
            let rest = line.get(end..)?.strip_prefix(d)?;
            Some((line.get(..end)?, rest))
        });
        if let Some((time, rest)) = cut {
            let mut parts = vec![time];
            let cols = spec.cols.get(1..).unwrap_or_default();
            parts.extend(
                split_columns(cols, d, rest)
                    .map_err(|(got, want)| fields_error(got + 1, want + 1))?,
            );
            return Ok(parts);
        }
    }
    split_columns(&spec.cols, d, line).map_err(|(got, want)| fields_error(got, want))
}

/// The length of the `H` time (`YYYY-MM-DD HH:MM:SS`, then `.` and
/// digits if present) that `line` starts with, by shape alone.
pub(crate) fn h_time_len(line: &str) -> Option<usize> {
    let head = line.as_bytes().get(..19)?;
    let shaped = head.iter().enumerate().all(|(i, &b)| match i {
        4 | 7 => b == b'-',
        10 => b == b' ',
        13 | 16 => b == b':',
        _ => b.is_ascii_digit(),
    });
    if !shaped {
        return None;
    }
    let after = line.get(19..)?;
    let frac = after
        .strip_prefix('.')
        .map_or(0, |f| 1 + f.bytes().take_while(u8::is_ascii_digit).count());
    Some(19 + frac)
}

/// Splits `line` into the columns `cols`, or gives (columns found,
/// columns wanted): see [`split_line`].
fn split_columns<'l>(cols: &[Col], d: &str, line: &'l str) -> Result<Vec<&'l str>, (usize, usize)> {
    let n = cols.len();
    let found = line.split(d).count();
    if found < n {
        return Err((found, n));
    }
    if found == n {
        return Ok(line.split(d).collect());
    }
    let a = cols.iter().position(|c| *c == Col::Answer).unwrap_or(n - 1);
    let mut parts = Vec::with_capacity(n);
    let mut rest = line;
    for _ in 0..a {
        let (x, r) = rest.split_once(d).ok_or((found, n))?;
        parts.push(x);
        rest = r;
    }
    let mut tail = Vec::with_capacity(n - a);
    for _ in a + 1..n {
        let (r, x) = rest.rsplit_once(d).ok_or((found, n))?;
        tail.push(x);
        rest = r;
    }
    let free_text = cols
        .iter()
        .position(|c| *c == Col::Type)
        .and_then(|t| parts.get(t))
        .is_some_and(|t| is_free_text_type(t));
    if !free_text {
        return Err((found, n));
    }
    parts.push(rest);
    parts.extend(tail.into_iter().rev());
    Ok(parts)
}

fn fields_error(got: usize, want: usize) -> ParseError {
    let more = if got > want {
        // Say why extra fields were not taken as part of the answer, the
        // usual cause being a log written with another -f or -d.
        " (extra fields are part of the answer only for TXT, SPF, HINFO and NAPTR; is the field spec right?)"
    } else {
        ""
    };
    ParseError::new(
        ErrorKind::Fields,
        format!("{got} fields, the passivedns field spec has {want}{more}"),
    )
}

/// One JSON line.
pub(crate) fn json_record(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ParseError> {
    let obj = as_obj(v, "line")?;
    let time = match (get(obj, "timestamp_s"), get(obj, "timestamp")) {
        (Some(t), _) => time_of(t, Unit::Seconds, End::First, "timestamp_s")?,
        // The local-time text in passivedns's shape, in the sensor's zone
        // when one was given; any other time text as before.
        (None, Some(t)) => match t {
            Value::String(s) if ctx.settings.time_zone.is_some() => {
                match parse_ymdhms(s, ctx.settings.time_zone.as_ref()) {
                    Some(time) => time,
                    None => time_of(t, Unit::Seconds, End::First, "timestamp")?,
                }
            }
            _ => time_of(t, Unit::Seconds, End::First, "timestamp")?,
        },
        (None, None) => return Err(missing("timestamp_s")),
    };
    let count = match obj.get("count") {
        Some(c) => count_of(c, "count")?,
        None => None,
    };
    let rrtype = match get(obj, "type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(ParseError::new(ErrorKind::RrType, "type is not a string")),
        None => return Err(missing("type")),
    };
    emit(
        ctx,
        &Obs {
            time,
            host: opt_str(obj, "hostname")?,
            class: opt_str(obj, "class")?,
            query: req_str(obj, "query")?,
            rrtype: &rrtype,
            answer: req_str(obj, "answer")?,
            count,
        },
    )
}
