//! Per-record errors.
//!
//! A bad record is reported, never a panic, and never stops the records
//! around it. Each error has a short [`ParseError::reason`] (a stable,
//! lower-case category such as `bad-time`, meant for counts per reason at
//! the end of a run) and a human message. Messages quote untrusted input,
//! so they are shortened and escaped with
//! [`pdnsfile::record::escape_text_str`] when built: printing one can never
//! send a control character or an escape sequence to a terminal.

use std::fmt;

use pdnsfile::record::escape_text_str;

/// The longest untrusted value quoted in a message, in characters.
const QUOTE_MAX: usize = 64;

/// The longest message kept, in bytes after escaping; a hostile record
/// must not make one line of a report megabytes long.
const MESSAGE_MAX: usize = 512;

/// What kind of problem a record had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not valid JSON, or JSON cut short.
    Json,
    /// A value has the wrong JSON type or structure.
    Shape,
    /// A required field is absent (or `null`).
    MissingField,
    /// An owner name or bailiwick cannot be normalized.
    Name,
    /// The rdata cannot be normalized for its type.
    Rdata,
    /// The record type is unknown.
    RrType,
    /// A time is missing its value, malformed, before 1970 or after 9999.
    Time,
    /// A count is malformed, negative or too large.
    Number,
    /// A text line has the wrong number of fields for its header or spec.
    Fields,
    /// A Zeek TSV line came before a usable `#fields` header, or a header
    /// (or a parser option describing one) is broken.
    Header,
    /// A stream ended without its terminator (DNSDB SAF).
    Truncated,
    /// The provider sent an error instead of data.
    Provider,
    /// The record only names one side; the other side is the queried
    /// value, which the document does not hold and was not given (see
    /// [`crate::Options::query`]).
    NoQuery,
}

impl ErrorKind {
    /// The short, stable category string of this kind.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorKind::Json => "bad-json",
            ErrorKind::Shape => "bad-shape",
            ErrorKind::MissingField => "missing-field",
            ErrorKind::Name => "bad-name",
            ErrorKind::Rdata => "bad-rdata",
            ErrorKind::RrType => "bad-rrtype",
            ErrorKind::Time => "bad-time",
            ErrorKind::Number => "bad-number",
            ErrorKind::Fields => "bad-fields",
            ErrorKind::Header => "no-header",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Provider => "provider-error",
            ErrorKind::NoQuery => "no-query",
        }
    }
}

/// One bad record (or line, or document): its kind and a printable
/// message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    kind: ErrorKind,
    message: String,
}

impl ParseError {
    /// Builds an error; the message is escaped to printable ASCII and
    /// capped in length.
    pub fn new(kind: ErrorKind, message: impl AsRef<str>) -> ParseError {
        let mut message = escape_text_str(message.as_ref());
        if message.len() > MESSAGE_MAX {
            // Escaped text is ASCII, so any byte index is a char boundary.
            message.truncate(MESSAGE_MAX);
            message.push_str("...");
        }
        ParseError { kind, message }
    }

    /// The kind of problem.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The short category, e.g. `bad-time` (see [`ErrorKind::reason`]).
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// The message, printable ASCII.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` (e.g. `data[3]`) put in front of the
    /// message, so a bad record in a document can be found.
    pub fn context(self, context: &str) -> ParseError {
        let message = format!("{}: {}", escape_text_str(context), self.message);
        ParseError {
            kind: self.kind,
            message,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.reason(), self.message)
    }
}

impl std::error::Error for ParseError {}

/// Quotes an untrusted value for a message: shortened, in double quotes.
/// (The whole message is escaped by [`ParseError::new`].)
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(QUOTE_MAX) + 2);
    out.push('"');
    for (n, c) in s.chars().enumerate() {
        if n == QUOTE_MAX {
            out.push_str("...");
            break;
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Maps a normalization error of `pdnsfile` to a per-record error.
pub(crate) fn from_pdns(e: &pdnsfile::Error, what: &str, value: &str) -> ParseError {
    let kind = match e {
        pdnsfile::Error::InvalidName(_) => ErrorKind::Name,
        pdnsfile::Error::InvalidRdata(_) => ErrorKind::Rdata,
        _ => ErrorKind::Shape,
    };
    ParseError::new(kind, format!("{what} {}: {e}", quote(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_printable_and_bounded() {
        let e = ParseError::new(ErrorKind::Name, format!("x {}", quote("a\u{1b}[31mb")));
        assert_eq!(e.message(), "x \"a\\027[31mb\"");
        assert_eq!(e.to_string(), "bad-name: x \"a\\027[31mb\"");
        let long = "\u{7}".repeat(10_000);
        let e = ParseError::new(ErrorKind::Shape, &long);
        assert!(e.message().len() <= MESSAGE_MAX + 3);
        assert!(e.message().bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let q = quote(&"y".repeat(100));
        assert_eq!(q.len(), QUOTE_MAX + 5);
        assert_eq!(
            ParseError::new(ErrorKind::Time, "m")
                .context("data[2]")
                .message(),
            "data[2]: m"
        );
    }
}
