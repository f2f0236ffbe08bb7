//! Domain names: normalization and the index key encodings.
//!
//! A *normalized* name is the RFC 1035 presentation form, lower-cased, with
//! no trailing dot, in which every octet outside `0x21..=0x7e` and the two
//! octets `.` and `\` inside a label are written as escapes (`\ddd`, `\.`,
//! `\\`). A normalized name is therefore printable ASCII, safe to show on a
//! terminal, and splits into labels at every unescaped `.`. The root is the
//! single character `.`.
//!
//! The *reversed key* of a name, used by the name and rdata-name indexes,
//! is its labels in reverse order, each followed by `.`:
//! `www.example.com` has the key `com.example.www.`. Because every label
//! is terminated, the names at or below `example.com` are exactly the keys
//! that start with `com.example.`, so a subtree is one key range. The root
//! has the empty key.

use crate::error::{Error, Result};

/// The longest normalized name accepted, in bytes. A wire name is at most
/// 255 octets; escaping can grow each octet to four characters.
pub const MAX_NAME_LEN: usize = 1024;

/// Splits a presentation name into raw label octets, honouring `\ddd` and
/// `\X` escapes. The root (`""` or `"."`) has no labels.
fn parse_labels(input: &str) -> Result<Vec<Vec<u8>>> {
    let bytes = input.as_bytes();
    let mut labels = Vec::new();
    let mut label = Vec::new();
    let mut i = 0;
    if bytes == b"." || bytes.is_empty() {
        return Ok(labels);
    }
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' => {
                let rest = &bytes[i + 1..];
                if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                    let v = u32::from(rest[0] - b'0') * 100
                        + u32::from(rest[1] - b'0') * 10
                        + u32::from(rest[2] - b'0');
                    let v = u8::try_from(v)
                        .map_err(|_| Error::InvalidName(format!("escape \\{v} is above 255")))?;
                    label.push(v);
                    i += 4;
                } else if let Some(&c) = rest.first() {
                    label.push(c);
                    i += 2;
                } else {
                    return Err(Error::InvalidName("name ends with a lone backslash".into()));
                }
            }
            b'.' => {
                if label.is_empty() {
                    return Err(Error::InvalidName("empty label".into()));
                }
                labels.push(std::mem::take(&mut label));
                i += 1;
            }
            _ => {
                label.push(b);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        labels.push(label);
    } else if !labels.is_empty() {
        // A dot left after the one a caller strips: `example.com..`
        // ends with an empty label, as `a..b` has one inside.
        return Err(Error::InvalidName("empty label".into()));
    }
    Ok(labels)
}

/// Appends one label (raw octets, as on the wire) in normalized
/// presentation form: lower-cased, `.` and `\` escaped, octets outside
/// printable ASCII as `\ddd`.
pub fn push_label(out: &mut String, label: &[u8]) {
    escape_label(label, |b| out.push(char::from(b)));
}

/// [`push_label`] into bytes (for callers building sort items without a
/// `String`): the same text, byte for byte.
pub fn push_label_bytes(out: &mut Vec<u8>, label: &[u8]) {
    // Nearly every label needs no escape: one table lookup a byte, with
    // no branch, cost less than escaping a byte at a time; a label that
    // needs one is done again the slow way.
    let start = out.len();
    let mut plain = true;
    out.extend(label.iter().map(|&b| {
        let m = PLAIN_LOWER[usize::from(b)];
        plain &= m != 0;
        m
    }));
    if !plain {
        out.truncate(start);
        escape_label(label, |b| out.push(b));
    }
}

/// Each octet lower-cased where it stands for itself in a label's
/// presentation, 0 where it needs an escape.
static PLAIN_LOWER: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0x21;
    while b <= 0x7e {
        if b != b'.' && b != b'\\' {
            t[b as usize] = b.to_ascii_lowercase();
        }
        b += 1;
    }
    t
};

/// The presentation of a wire label, lower-cased, one ASCII byte at a
/// time: `.` and `\` escaped with a backslash, other octets outside
/// printable ASCII as `\ddd`.
fn escape_label(label: &[u8], mut emit: impl FnMut(u8)) {
    for &b in label {
        let b = b.to_ascii_lowercase();
        match b {
            b'.' | b'\\' => {
                emit(b'\\');
                emit(b);
            }
            0x21..=0x7e => emit(b),
            _ => {
                for d in [b'\\', b'0' + b / 100, b'0' + (b / 10) % 10, b'0' + b % 10] {
                    emit(d);
                }
            }
        }
    }
}

/// Normalizes a domain name given in presentation form (as providers and
/// COF write it): lower-case, no trailing dot, escapes made canonical.
///
/// Raw bytes that are not printable ASCII (including UTF-8 U-labels) are
/// kept as `\ddd` escapes, never dropped; converting U-labels to punycode is
/// the caller's choice, made before this.
///
/// # Errors
///
/// [`Error::InvalidName`] for an empty label (`a..b`), a bad escape, or a
/// name longer than [`MAX_NAME_LEN`] once normalized.
pub fn normalize(input: &str) -> Result<String> {
    let trimmed = input.trim();
    // A trailing unescaped dot marks an absolute name; drop it. An escaped
    // dot (`\.`) at the end is part of the last label and stays.
    let body = strip_trailing_dot(trimmed);
    if body == "." {
        // `..`: the root has one dot, which was stripped.
        return Err(Error::InvalidName("empty label".into()));
    }
    if let Some(plain) = plain_name(body) {
        return Ok(plain);
    }
    let labels = parse_labels(body)?;
    if labels.is_empty() {
        return Ok(".".to_string());
    }
    let mut out = String::with_capacity(body.len());
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_label(&mut out, label);
    }
    if out.len() > MAX_NAME_LEN {
        return Err(Error::InvalidName(format!(
            "name is {} bytes long, more than {MAX_NAME_LEN}",
            out.len()
        )));
    }
    Ok(out)
}

/// Normalizes a name given as raw wire labels (as a DNS decoder yields
/// them), keeping every octet.
///
/// # Errors
///
/// [`Error::InvalidName`] for an empty label or an over-long result.
pub fn from_labels<'a, I>(labels: I) -> Result<String>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut out = String::new();
    for label in labels {
        if label.is_empty() {
            continue; // the root label terminates a wire name
        }
        if !out.is_empty() {
            out.push('.');
        }
        push_label(&mut out, label);
    }
    if out.is_empty() {
        out.push('.');
    }
    if out.len() > MAX_NAME_LEN {
        return Err(Error::InvalidName(format!(
            "name is {} bytes long, more than {MAX_NAME_LEN}",
            out.len()
        )));
    }
    Ok(out)
}

/// The normalized form of a name made only of letters, digits, `-`, `_`
/// and single dots between labels, the shape of nearly every name: it
/// only needs lower-casing, so the general path (labels, escapes) is
/// skipped. `None` for anything else.
fn plain_name(body: &str) -> Option<String> {
    let mut out = Vec::with_capacity(body.len());
    push_plain(body.as_bytes(), &mut out)?;
    String::from_utf8(out).ok()
}

/// Each byte of a name in the plain shape as it is stored: letters
/// lower-cased, digits, `-`, `_` and `.` as they are; 0 for any other
/// byte (which the plain shape does not allow).
static PLAIN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
            t[c] = b.to_ascii_lowercase();
        }
        c += 1;
    }
    t
};

/// Whether `b` is a body in the plain shape: not empty, at most
/// [`MAX_NAME_LEN`] bytes, only bytes [`PLAIN`] allows, and single dots
/// between labels. One table lookup a byte, and no branch but the loop's.
fn is_plain(b: &[u8]) -> bool {
    if b.is_empty() || b.len() > MAX_NAME_LEN || b.first() == Some(&b'.') || b.last() == Some(&b'.')
    {
        return false;
    }
    let mut ok = true;
    let mut prev_dot = false;
    for &c in b {
        let v = PLAIN[usize::from(c)];
        let dot = v == b'.';
        ok &= v != 0 && !(dot && prev_dot);
        prev_dot = dot;
    }
    ok
}

/// Appends `body` lower-cased if it is a name in the plain shape (letters,
/// digits, `-`, `_` and single dots between labels, no trailing dot, at
/// most [`MAX_NAME_LEN`] bytes): then it is its own normalized form.
/// `None` otherwise, with nothing appended. This runs for every name of
/// every input line.
pub fn push_plain(body: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !is_plain(body) {
        return None;
    }
    out.extend(body.iter().map(|&c| PLAIN[usize::from(c)]));
    Some(())
}

/// Appends the reversed key ([`reversed_key_into`]) of `body` if it is a
/// name in the plain shape ([`push_plain`]); `None` otherwise, with
/// nothing appended.
pub fn push_plain_reversed(body: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !is_plain(body) {
        return None;
    }
    out.reserve(body.len() + 1);
    // The labels from the last, each followed by its dot: one pass, where
    // reversing the name and then each label took three (and measured
    // fewer instructions than [`reverse_labels_into`] here).
    for label in body.rsplit(|&c| c == b'.') {
        out.extend(label.iter().map(|&c| PLAIN[usize::from(c)]));
        out.push(b'.');
    }
    Some(())
}

/// Appends the labels of `body` (split at every dot: no escapes) from the
/// last to the first, each followed by a dot, with `map` applied to every
/// other byte. One forward pass that puts each label at its final place,
/// where `str::rsplit` searched for dots from the end with a call per
/// label.
fn reverse_labels_into(body: &[u8], out: &mut Vec<u8>, map: impl Fn(u8) -> u8) {
    let n = body.len();
    let start = out.len();
    // Filled with dots, so only the labels' bytes are written: the label
    // at body[s..e] goes to dst[n - e..n - s], its dot to dst[n - s].
    out.resize(start + n + 1, b'.');
    let Some(dst) = out.get_mut(start..) else {
        return;
    };
    let mut put = |s: usize, e: usize| {
        if let (Some(from), Some(to)) = (body.get(s..e), dst.get_mut(n - e..n - s)) {
            for (d, &c) in to.iter_mut().zip(from) {
                *d = map(c);
            }
        }
    };
    // Names are short: a byte loop beats a search call per label.
    let mut s = 0;
    for (e, &c) in body.iter().enumerate() {
        if c == b'.' {
            put(s, e);
            s = e + 1;
        }
    }
    put(s, n);
}

fn strip_trailing_dot(s: &str) -> &str {
    let Some(body) = s.strip_suffix('.') else {
        return s;
    };
    // Count the backslashes before the final dot: an odd number escapes it.
    let backslashes = body.bytes().rev().take_while(|&b| b == b'\\').count();
    if backslashes % 2 == 1 {
        s
    } else {
        body
    }
}

/// Splits a *normalized* name into its labels, still in presentation form.
/// The root has no labels.
pub fn labels(name: &str) -> Vec<&str> {
    if name == "." || name.is_empty() {
        return Vec::new();
    }
    let bytes = name.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'.' => {
                out.push(&name[start..i]);
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push(&name[start.min(name.len())..]);
    out
}

/// The reversed key of a *normalized* name (see the module docs).
pub fn reversed_key(name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 1);
    if !name.contains('\\') {
        // Without escapes every dot separates labels.
        if name != "." && !name.is_empty() {
            for label in name.rsplit('.') {
                key.extend_from_slice(label.as_bytes());
                key.push(b'.');
            }
        }
        return key;
    }
    for label in labels(name).iter().rev() {
        key.extend_from_slice(label.as_bytes());
        key.push(b'.');
    }
    key
}

/// [`reversed_key`], appended to `out` (to reuse one buffer).
pub fn reversed_key_into(name: &str, out: &mut Vec<u8>) {
    if !name.contains('\\') {
        if name != "." && !name.is_empty() {
            reverse_labels_into(name.as_bytes(), out, |c| c);
        }
        return;
    }
    out.extend_from_slice(&reversed_key(name));
}

/// [`from_reversed_key`], appended to `out` as bytes (to reuse one
/// buffer).
pub fn forward_into(key: &[u8], out: &mut Vec<u8>) {
    if !key.contains(&b'\\') {
        // Without escapes every dot separates labels.
        let body = key.strip_suffix(b".").unwrap_or(key);
        if body.is_empty() {
            out.push(b'.');
            return;
        }
        // Reversing the whole key, then each label, puts the labels in
        // reverse order with their bytes in order (one copy, no search
        // from the end per label).
        let start = out.len();
        out.extend_from_slice(body);
        if let Some(name) = out.get_mut(start..) {
            name.reverse();
            for label in name.split_mut(|&b| b == b'.') {
                label.reverse();
            }
        }
        return;
    }
    out.extend_from_slice(from_reversed_key(key).as_bytes());
}

/// The normalized name of a reversed key; the inverse of [`reversed_key`].
pub fn from_reversed_key(key: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(key) {
        if !text.contains('\\') {
            // Without escapes every dot separates labels.
            let body = text.strip_suffix('.').unwrap_or(text);
            if body.is_empty() {
                return ".".to_string();
            }
            let mut out = String::with_capacity(body.len());
            for (i, label) in body.rsplit('.').enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(label);
            }
            return out;
        }
    }
    let text = String::from_utf8_lossy(key);
    let body = text.strip_suffix('.').unwrap_or(&text);
    if body.is_empty() {
        return ".".to_string();
    }
    let mut labels = labels(body);
    labels.reverse();
    labels.join(".")
}

/// Whether `name` is `zone` or below it (both normalized).
pub fn is_subdomain(name: &str, zone: &str) -> bool {
    if zone == "." {
        return true;
    }
    let (n, z) = (reversed_key(name), reversed_key(zone));
    n.starts_with(&z)
}

#[cfg(test)]
mod tests {

    #[test]
    fn forward_into_inverts_the_reversed_key() {
        for n in [
            ".",
            "com",
            "www.example.com",
            "a.b.c.d.e.f.g",
            "x-1_y.example",
            "a\\.b.example",
            "\\000\\255.example",
            "a\\\\.b",
        ] {
            let name = normalize(n).unwrap();
            let key = reversed_key(&name);
            // Appended after what the buffer holds, which is kept.
            let mut out = b"p:".to_vec();
            forward_into(&key, &mut out);
            assert_eq!(out.get(2..), Some(name.as_bytes()), "{n}");
            assert_eq!(out.get(..2), Some(&b"p:"[..]), "{n}");
        }
    }

    #[test]
    fn label_bytes_match_label_text() {
        for b in 0..=255u8 {
            let label = [b'x', b, b'Y'];
            let mut text = String::new();
            push_label(&mut text, &label);
            // Appended after what the buffer holds, which is kept.
            let mut bytes = b"p.".to_vec();
            push_label_bytes(&mut bytes, &label);
            assert_eq!(bytes.get(..2), Some(&b"p."[..]), "{b}");
            assert_eq!(bytes.get(2..), Some(text.as_bytes()), "{b}");
        }
    }

    #[test]
    fn labels_reverse_as_splitting_from_the_end_does() {
        // Against the plain definition: labels from the end, each followed
        // by a dot, every byte mapped. Includes empty labels, which only
        // hostile callers could pass, to show they cannot go out of bounds.
        let reference = |body: &[u8]| {
            let mut want = b"pre".to_vec();
            for label in body.rsplit(|&c| c == b'.') {
                want.extend(label.iter().map(u8::to_ascii_uppercase));
                want.push(b'.');
            }
            want
        };
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut names: Vec<Vec<u8>> = ["", ".", "..", "a", "a.", ".a", "a..b", "www.example.com"]
            .iter()
            .map(|n| n.as_bytes().to_vec())
            .collect();
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let name = (0..len)
                .map(|i| b"ab.c"[((seed >> (i % 60)) & 3) as usize])
                .collect();
            names.push(name);
        }
        for body in names {
            let mut got = b"pre".to_vec();
            reverse_labels_into(&body, &mut got, |c| c.to_ascii_uppercase());
            assert_eq!(
                got,
                reference(&body),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
        }
    }

    #[test]
    fn plain_names_take_the_short_way_to_the_same_bytes() {
        let names = [
            "www.example.com",
            "WWW.Example.COM",
            "a",
            "A-b_C.9",
            "x.y.z.w.v.u",
            "a..b",
            ".a",
            "a.",
            "",
            "caf\u{e9}.example",
            "a b.c",
            "a\\.b",
            "a*.b",
            "xn--bcher-kva.example",
            "_sip._tcp.Example.org",
        ];
        for name in names {
            let mut fwd = b"pre".to_vec();
            let mut rev = b"pre".to_vec();
            let plain = push_plain(name.as_bytes(), &mut fwd);
            let plain_rev = push_plain_reversed(name.as_bytes(), &mut rev);
            assert_eq!(plain.is_some(), plain_rev.is_some(), "{name:?}");
            if plain.is_none() {
                // Nothing appended on refusal.
                assert_eq!(
                    (fwd.as_slice(), rev.as_slice()),
                    (&b"pre"[..], &b"pre"[..]),
                    "{name:?}"
                );
                continue;
            }
            let norm = normalize(name).unwrap();
            assert_eq!(&fwd[3..], norm.as_bytes(), "{name:?}");
            let mut want = b"pre".to_vec();
            reversed_key_into(&norm, &mut want);
            assert_eq!(rev, want, "{name:?}");
        }
    }

    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("WWW.Example.COM.").unwrap(), "www.example.com");
        assert_eq!(normalize(".").unwrap(), ".");
        assert_eq!(normalize("").unwrap(), ".");
        assert_eq!(normalize("a\\.b.c").unwrap(), "a\\.b.c");
        assert_eq!(normalize("\\065.com").unwrap(), "a.com");
        assert_eq!(normalize("a\\032b.com").unwrap(), "a\\032b.com");
        assert_eq!(normalize("a\u{1b}[31m.com").unwrap(), "a\\027[31m.com");
        assert_eq!(normalize("bücher.de").unwrap(), "b\\195\\188cher.de");
        assert_eq!(normalize("a\\..").unwrap(), "a\\.");
        assert!(normalize("a..b").is_err());
        assert!(normalize("example.com..").is_err());
        assert!(normalize("..").is_err());
        assert_eq!(normalize("example.com\\..").unwrap(), "example.com\\.");
        assert!(normalize("a\\999.b").is_err());
        assert!(normalize("a\\").is_err());
        assert!(normalize(&"a.".repeat(600)).is_err());
        assert!(normalize(&"a.".repeat(600)[..1100]).is_err());
        assert_eq!(
            normalize("Mail-1_x.EXAMPLE.com").unwrap(),
            "mail-1_x.example.com"
        );
        assert!(normalize(".a.b").is_err());
    }

    #[test]
    fn reversed_keys() {
        assert_eq!(reversed_key("www.example.com"), b"com.example.www.");
        assert_eq!(reversed_key("."), b"");
        assert_eq!(reversed_key("a\\.b.c"), b"c.a\\.b.");
        assert_eq!(reversed_key("x"), b"x.");
        for n in ["www.example.com", ".", "a\\.b.c", "x"] {
            assert_eq!(from_reversed_key(&reversed_key(n)), n);
        }
        assert!(is_subdomain("www.example.com", "example.com"));
        assert!(is_subdomain("example.com", "example.com"));
        assert!(!is_subdomain("www.example-x.com", "example.com"));
        assert!(!is_subdomain("xexample.com", "example.com"));
    }

    #[test]
    fn wire_labels() {
        let l: Vec<&[u8]> = vec![b"WWW", b"ex.ample", b"\x00", b""];
        assert_eq!(from_labels(l).unwrap(), "www.ex\\.ample.\\000");
    }
}
