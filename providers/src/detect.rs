//! Format detection by content, from the first few kilobytes of a file.
//!
//! The first bytes tell JSON (lines or one document) from text. JSON is
//! classified by its keys, read with a small scanner that tolerates a
//! document cut off at the end of the buffer; lines are classified one by
//! one and the COF family is refined over all complete lines. Text is a
//! Zeek TSV log when it has a `#separator` header and a `dns` `#path` (or
//! `#fields` naming `query`/`answers`), and a gamelinux passivedns log when
//! its data lines are `||`-separated (or separated by the delimiter given
//! to [`detect_with_delimiter`]) and start with a time. Anything else,
//! binary data and compressed data included (the caller decompresses
//! first), is `None`.
//!
//! COF JSON lines are assigned to a producer by what only that producer
//! writes: `sources` is this project's COF ([`Format::Cof`]);
//! `bailiwick` or `zone_time_*` is DNSDB; `sensor_id`, `origin`, counts
//! or times sent as strings, or an A/AAAA owner that is an address (the
//! swapped shape) is CIRCL; otherwise lines that all have DNSDB's key
//! order (`count`, the times, `rrname`, `rrtype`, `rdata`) and fully
//! qualified names (DNSDB's rdata lookups, which have no bailiwick) are
//! DNSDB; anything else is generic [`Format::Cof`]. mnemonic's COF variant
//! cannot be told from generic COF (FORMATS.md documents no key or order
//! of its own, and its names carry a trailing dot only sometimes): give
//! `--format mnemonic-cof`.
//!
//! A top-level JSON array of COF-keyed objects is Qihoo 360 only in 360's
//! own shape (FORMATS.md §7): every `rdata` a string ending with `;`, and
//! no key 360 does not send. Anything else is a COF array.

use serde_json::Value;

use crate::format::Format;

/// How many lines of a JSON-lines file are looked at.
const LINES_MAX: usize = 64;

/// What a scanned JSON value holds at its top.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Top {
    Object,
    Array,
}

/// A scalar value as far as classification needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Scalar {
    Str(String),
    Num,
    Other,
}

/// One key met by the scanner: its depth (1 = keys of a top-level object,
/// 2 = keys of objects inside it or inside a top-level array) and value.
#[derive(Clone, Debug)]
struct Key {
    depth: usize,
    name: String,
    value: Scalar,
}

enum Frame {
    Obj { key: Option<String>, want_key: bool },
    Arr,
}

/// Reads a JSON string starting at the opening quote; returns its text
/// (escapes kept as written, which is enough to compare key names) and
/// the index after the closing quote, or `None` if the buffer ends first.
fn read_string(b: &[u8], start: usize) -> Option<(String, usize)> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                let s = String::from_utf8_lossy(b.get(start + 1..i)?).into_owned();
                return Some((s, i + 1));
            }
            _ => i += 1,
        }
    }
    None
}

/// Scans (possibly truncated) JSON text for keys, up to a few thousand.
fn scan(text: &str) -> (Option<Top>, Vec<Key>) {
    let b = text.as_bytes();
    let mut keys = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut top = None;
    let mut i = 0;
    let value = |stack: &mut Vec<Frame>, keys: &mut Vec<Key>, v: Scalar| {
        let depth = stack.len();
        if let Some(Frame::Obj { key, .. }) = stack.last_mut() {
            if let Some(name) = key.take() {
                keys.push(Key {
                    depth,
                    name,
                    value: v,
                });
            }
        }
    };
    while i < b.len() && keys.len() < 4096 {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b':' => i += 1,
            b'{' | b'[' => {
                if stack.is_empty() && top.is_none() {
                    top = Some(if b[i] == b'{' {
                        Top::Object
                    } else {
                        Top::Array
                    });
                }
                value(&mut stack, &mut keys, Scalar::Other);
                stack.push(if b[i] == b'{' {
                    Frame::Obj {
                        key: None,
                        want_key: true,
                    }
                } else {
                    Frame::Arr
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b',' => {
                if let Some(Frame::Obj { key, want_key }) = stack.last_mut() {
                    *key = None;
                    *want_key = true;
                }
                i += 1;
            }
            b'"' => {
                let Some((s, next)) = read_string(b, i) else {
                    break;
                };
                i = next;
                match stack.last_mut() {
                    Some(Frame::Obj {
                        key,
                        want_key: want @ true,
                    }) => {
                        *key = Some(s);
                        *want = false;
                    }
                    _ => value(&mut stack, &mut keys, Scalar::Str(s)),
                }
            }
            c => {
                let start = i;
                while i < b.len()
                    && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
                {
                    i += 1;
                }
                let number = c == b'-' || c.is_ascii_digit();
                value(
                    &mut stack,
                    &mut keys,
                    if number { Scalar::Num } else { Scalar::Other },
                );
                if i == start {
                    i += 1;
                }
            }
        }
    }
    (top, keys)
}

/// Key lookups over a scan.
struct Keys<'k>(&'k [Key]);

impl Keys<'_> {
    fn at(&self, depth: usize, name: &str) -> bool {
        self.0.iter().any(|k| k.depth == depth && k.name == name)
    }
    fn any(&self, name: &str) -> bool {
        self.0.iter().any(|k| k.name == name)
    }
    fn str_any(&self, name: &str) -> impl Iterator<Item = &str> + '_ {
        let name = name.to_string();
        self.0.iter().filter_map(move |k| match &k.value {
            Scalar::Str(s) if k.name == name => Some(s.as_str()),
            _ => None,
        })
    }
    fn str_at(&self, depth: usize, name: &str) -> impl Iterator<Item = &str> + '_ {
        let name = name.to_string();
        self.0.iter().filter_map(move |k| match &k.value {
            Scalar::Str(s) if k.depth == depth && k.name == name => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Classifies one JSON value (a line or a document) by its keys. COF
/// objects come back as [`Format::Cof`], refined by [`cof_family`].
fn classify(top: Option<Top>, keys: &[Key]) -> Option<Format> {
    let k = Keys(keys);
    let k1 = |n: &str| k.at(1, n);
    let k2 = |n: &str| k.at(2, n);
    match top? {
        Top::Array => {
            if k2("rrname") && k2("rdata") {
                if qihoo_shape(keys) {
                    Some(Format::Qihoo360)
                } else {
                    Some(Format::Cof)
                }
            } else if k2("name") && k2("rr") {
                Some(Format::Umbrella)
            } else if k2("hostname") && k2("address") {
                Some(Format::Otx)
            } else if k2("query")
                && k2("answer")
                && (k2("firstSeenTimestamp") || k2("lastSeenTimestamp"))
            {
                Some(Format::Mnemonic)
            } else {
                None
            }
        }
        Top::Object => {
            let saf_cond = k
                .str_at(1, "cond")
                .any(|c| matches!(c, "begin" | "ongoing" | "succeeded" | "limited" | "failed"));
            if saf_cond || (k1("obj") && !k1("rrname")) {
                Some(Format::Dnsdb2)
            } else if k1("event_type") && (k1("timestamp") || k1("dns") || k1("flow_id")) {
                Some(Format::Suricata)
            } else if k1("ts")
                && k1("uid")
                && [
                    "query",
                    "qtype",
                    "qtype_name",
                    "answers",
                    "trans_id",
                    "rcode",
                ]
                .iter()
                .any(|n| k1(n))
            {
                Some(Format::ZeekJson)
            } else if k1("timestamp_s")
                || (k1("query")
                    && k1("answer")
                    && (k1("ttl") || k1("client") || k1("server"))
                    && !k1("firstSeenTimestamp"))
            {
                Some(Format::PassivednsJson)
            } else if k1("rrname") && k1("rrtype") && k1("rdata") {
                Some(Format::Cof)
            } else if (k1("query")
                && k1("answer")
                && (k1("firstSeenTimestamp") || k1("lastSeenTimestamp")))
                || (k1("responseCode") && k1("data"))
            {
                Some(Format::Mnemonic)
            } else if k1("data")
                && (k.any("host_name")
                    || k.any("ip_address_last_analysis_stats")
                    || k.str_any("type").any(|t| t == "resolution")
                    || (k1("meta") && k1("links")))
            {
                Some(Format::VirusTotal)
            } else if k1("resolutions")
                && (k1("response_code") || k1("verbose_msg") || k2("last_resolved"))
            {
                Some(Format::VirusTotal2)
            } else if k1("passive_dns") {
                Some(Format::Otx)
            } else if k1("results")
                && ["queryValue", "queryType", "totalRecords", "pager"]
                    .iter()
                    .any(|n| k1(n))
            {
                Some(Format::PassiveTotal)
            } else if k1("records") && (k1("endpoint") || k1("pages")) {
                Some(Format::SecurityTrails)
            } else if k1("DomainDnsResolutions") || k1("IpDnsResolutions") {
                Some(Format::Kaspersky)
            } else if k1("rrs_tf")
                || (k1("rrs") && k1("features"))
                || (k1("records") && (k1("hasMoreRecords") || k1("totalNumRecords")))
            {
                Some(Format::Umbrella)
            } else {
                None
            }
        }
    }
}

/// Assigns COF lines to a producer (see the module docs).
fn cof_family(lines: &[Vec<Key>]) -> Format {
    let all = || lines.iter().map(|l| Keys(l));
    if all().any(|k| k.at(1, "sources")) {
        return Format::Cof;
    }
    if all()
        .any(|k| k.at(1, "bailiwick") || k.at(1, "zone_time_first") || k.at(1, "zone_time_last"))
    {
        return Format::Dnsdb;
    }
    let circl = all().any(|k| {
        let digits = |n: &str| {
            k.str_at(1, n)
                .any(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        };
        let swapped = k.str_at(1, "rrtype").any(|t| t == "A" || t == "AAAA")
            && k.str_at(1, "rrname").any(crate::common::is_ip);
        k.at(1, "sensor_id")
            || k.at(1, "origin")
            || digits("count")
            || digits("time_first")
            || digits("time_last")
            || swapped
    });
    // DNSDB's rdata lookups have no bailiwick (FORMATS.md §1), so they
    // are known by their shape instead, and only when every line has it:
    // one line that does not is a file from someone else.
    let dnsdb = all().all(|k| dnsdb_line(&k) != DnsdbLine::Not)
        && all().any(|k| dnsdb_line(&k) == DnsdbLine::Proof);
    if circl {
        Format::Circl
    } else if dnsdb {
        Format::Dnsdb
    } else {
        Format::Cof
    }
}

/// How far one COF line has DNSDB's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DnsdbLine {
    /// Something DNSDB does not write.
    Not,
    /// DNSDB's shape, with the root (`.`) as owner, which says nothing
    /// about trailing dots.
    Fits,
    /// DNSDB's shape with a fully qualified owner below the root.
    Proof,
}

/// Whether a name is written fully qualified: it ends with a dot that is
/// not escaped. The scanner keeps JSON escapes as written, so the name
/// `a\.` (an escaped dot inside its label) reads `a\\.` here and ends
/// with `\.`.
fn fully_qualified(name: &str) -> bool {
    name.ends_with('.') && !name.ends_with("\\.")
}

/// Checks one COF line against what DNSDB writes (FORMATS.md §1, the v1
/// and v2 examples, dnsdb2-python's test streams): keys in the order
/// `count`, times, `rrname`, `rrtype`, `bailiwick`, `rdata` (others, such
/// as dnsdbq's additions, may come anywhere), and names with their
/// trailing dot, owners and the name-valued rdata of CNAME, NS, PTR and
/// DNAME alike. The order alone is not enough: the COF draft's examples
/// start with `count` too, but without dots; the dots alone are not
/// either: mnemonic's COF writes them, but starts with `rrname`, as this
/// project's COF and CIRCL's do.
fn dnsdb_line(k: &Keys<'_>) -> DnsdbLine {
    let rank = |name: &str| match name {
        "count" => Some(0),
        "time_first" | "time_last" | "zone_time_first" | "zone_time_last" => Some(1),
        "rrname" => Some(2),
        "rrtype" => Some(3),
        "bailiwick" => Some(4),
        "rdata" => Some(5),
        _ => None,
    };
    let ranks: Vec<u8> =
        k.0.iter()
            .filter(|key| key.depth == 1)
            .filter_map(|key| rank(&key.name))
            .collect();
    let ordered = ranks.first() == Some(&0) && ranks.windows(2).all(|w| w[0] <= w[1]);
    if !ordered {
        return DnsdbLine::Not;
    }
    let Some(owner) = k.str_at(1, "rrname").next() else {
        return DnsdbLine::Not;
    };
    if !fully_qualified(owner) {
        return DnsdbLine::Not;
    }
    // rdata as a string (v1 rdata lookups); list members are not scanned.
    let name_valued = k
        .str_at(1, "rrtype")
        .any(|t| ["CNAME", "NS", "PTR", "DNAME"].contains(&t));
    if name_valued && k.str_at(1, "rdata").any(|r| !fully_qualified(r)) {
        return DnsdbLine::Not;
    }
    if owner == "." {
        DnsdbLine::Fits
    } else {
        DnsdbLine::Proof
    }
}

/// Whether the objects of a top-level array are in Qihoo 360's shape
/// (FORMATS.md §7): `rrname`, `rrtype`, `rdata`, `count`, `time_first`,
/// `time_last` and nothing else, with `rdata` always one string of
/// `;`-terminated values. A `;` inside an rdata (a DKIM or SPF TXT
/// string) is not the mark; the trailing one is, and a COF array that
/// has an rdata list, or any other COF key (`bailiwick`, `sensor_id`,
/// `sources`, zone times, ...), is not 360's.
fn qihoo_shape(keys: &[Key]) -> bool {
    const QIHOO_KEYS: [&str; 6] = [
        "rrname",
        "rrtype",
        "rdata",
        "count",
        "time_first",
        "time_last",
    ];
    let mut rdata = 0;
    for key in keys.iter().filter(|key| key.depth == 2) {
        if !QIHOO_KEYS.contains(&key.name.as_str()) {
            return false;
        }
        if key.name == "rdata" {
            match &key.value {
                Scalar::Str(r) if r.trim_end().ends_with(';') => rdata += 1,
                _ => return false,
            }
        }
    }
    rdata > 0
}

fn detect_json(text: &str) -> Option<Format> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    if serde_json::from_str::<Value>(first).is_err() {
        // A pretty-printed (or cut-off) document.
        let (top, keys) = scan(text);
        return match classify(top, &keys) {
            Some(Format::Cof) if top == Some(Top::Object) => Some(cof_family(&[keys])),
            f => f,
        };
    }
    let mut family: Option<Format> = None;
    let mut cof_lines = Vec::new();
    for line in std::iter::once(first).chain(lines).take(LINES_MAX) {
        if serde_json::from_str::<Value>(line).is_err() {
            continue; // the last line may be cut off by the buffer
        }
        let (top, keys) = scan(line);
        let Some(f) = classify(top, &keys) else {
            continue;
        };
        if f == Format::Cof && top == Some(Top::Object) {
            cof_lines.push(keys);
        }
        if family.is_none() {
            family = Some(f);
        }
    }
    match family? {
        Format::Cof if !cof_lines.is_empty() => Some(cof_family(&cof_lines)),
        f => Some(f),
    }
}

fn looks_like_time(s: &str) -> bool {
    let s = s.trim();
    crate::time::parse_epoch_text(s).is_some()
        || (s.len() >= 19
            && crate::time::parse_text(s.get(..19).unwrap_or(""), crate::time::End::First)
                .is_some())
}

/// Whether `line` is a passivedns log line written with `-d delimiter`
/// (not the default): a time in one of the shapes passivedns prints,
/// first (its print order always starts with the time), then at least
/// three more delimited fields. Stricter than the `||` test, because a
/// common delimiter (`,`, `;`, a tab) also splits files of no known
/// format: an epoch needs the ten digits of any time since 2001, and an
/// `H` time is matched before splitting, since a space or colon
/// delimiter also occurs inside it.
fn passivedns_line_with(line: &str, delimiter: &str) -> bool {
    // An H time by shape, and a real date and time.
    let h_time = crate::passivedns::h_time_len(line).filter(|_| {
        line.get(..19)
            .is_some_and(|t| crate::time::parse_text(t, crate::time::End::First).is_some())
    });
    let rest = match h_time {
        Some(end) => line.get(end..).and_then(|r| r.strip_prefix(delimiter)),
        None => line.split_once(delimiter).and_then(|(time, rest)| {
            let int = time.split('.').next().unwrap_or_default();
            (int.len() >= 10 && crate::time::parse_epoch_text(time).is_some()).then_some(rest)
        }),
    };
    rest.is_some_and(|r| r.split(delimiter).count() >= 3)
}

fn detect_text(text: &str, delimiter: &str) -> Option<Format> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.iter().any(|l| l.starts_with("#separator ")) {
        let header = |name: &str| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim_start_matches(['\t', ' ']))
        };
        return match (header("#path"), header("#fields")) {
            (Some(p), _) => (p.trim() == "dns").then_some(Format::Zeek),
            (None, Some(f)) => {
                let names: Vec<&str> = f.split(['\t', ' ']).collect();
                (names.contains(&"query") && names.contains(&"answers")).then_some(Format::Zeek)
            }
            (None, None) => None,
        };
    }
    let mut data = 0;
    // The last line may be cut off by the buffer; look at complete ones.
    let complete = if text.ends_with('\n') {
        lines.len()
    } else {
        lines.len().saturating_sub(1).max(1)
    };
    for l in lines.iter().take(complete).take(LINES_MAX) {
        let l = l.trim_end_matches('\r');
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let ok = if delimiter == crate::passivedns::DEFAULT_DELIMITER {
            let fields: Vec<&str> = l.split(delimiter).collect();
            fields.len() >= 4 && looks_like_time(fields[0])
        } else {
            passivedns_line_with(l, delimiter)
        };
        if !ok {
            return None;
        }
        data += 1;
    }
    (data > 0).then_some(Format::Passivedns)
}

/// Detects the format of a file from its first bytes (a few kilobytes are
/// enough; more lines make COF detection surer). `None` when the content
/// is none of the known formats, or is binary or compressed.
pub fn detect(first_bytes: &[u8]) -> Option<Format> {
    detect_with_delimiter(first_bytes, crate::passivedns::DEFAULT_DELIMITER)
}

/// [`detect`] for inputs whose gamelinux passivedns text logs were
/// written with `-d delimiter` (the operator says so with
/// `--passivedns-delimiter`): their lines are split on it, not on `||`.
/// An empty delimiter is the default one.
pub fn detect_with_delimiter(first_bytes: &[u8], delimiter: &str) -> Option<Format> {
    let delimiter = if delimiter.is_empty() {
        crate::passivedns::DEFAULT_DELIMITER
    } else {
        delimiter
    };
    if first_bytes.contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(first_bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let trimmed = text.trim_start();
    match trimmed.as_bytes().first()? {
        b'{' | b'[' => detect_json(trimmed),
        _ => detect_text(trimmed, delimiter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_tolerates_truncation() {
        let (top, keys) = scan(r#"{"a": {"b": "x\"y", "c": [1, {"d": 2}]}, "e": tr"#);
        assert_eq!(top, Some(Top::Object));
        let names: Vec<(usize, &str)> = keys.iter().map(|k| (k.depth, k.name.as_str())).collect();
        assert_eq!(names, [(1, "a"), (2, "b"), (2, "c"), (4, "d"), (1, "e")]);
        assert_eq!(keys[1].value, Scalar::Str("x\\\"y".into()));
        let (top, keys) = scan(r#"[{"rrname": "a", "rdata": "b;c;"#);
        assert_eq!(top, Some(Top::Array));
        assert_eq!(keys.len(), 1);
    }
}
