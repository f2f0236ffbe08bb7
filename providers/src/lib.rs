//! Parsers for passive DNS provider exports and sensor logs.
//!
//! Every provider API and sensor log the project imports is turned into
//! normalized [`pdnsfile::Entry`] values here, once, for both users: the
//! builder (export files, read line by line or as documents) and the
//! client's live lookups (which receive the same JSON from the APIs).
//! The data shapes, their sources and their traps are in the project's
//! `providers/FORMATS.md`; each format's module says what is read, what is
//! assumed and what cannot be recovered.
//!
//! # Use
//!
//! ```
//! use pdns_providers::{detect, Format, Parser};
//!
//! let line = r#"{"rrname":"www.example.com.","rrtype":"A","rdata":["192.0.2.10"],"time_first":1704067200,"time_last":1725148800,"count":3,"bailiwick":"example.com."}"#;
//! assert_eq!(detect(line.as_bytes()), Some(Format::Dnsdb));
//! let mut parser = Parser::new(Format::Dnsdb);
//! let mut entries = Vec::new();
//! parser.parse_line(line, &mut entries).unwrap();
//! parser.finish().unwrap();
//! assert_eq!(entries[0].rrname, "www.example.com");
//! assert_eq!(entries[0].sources, ["dnsdb"]);
//! ```
//!
//! - [`Format`]: every format, with its `--format` name, default source
//!   label and [`Framing`] (lines or whole documents).
//! - [`detect`]: the format of a file from its first few kilobytes.
//! - [`Parser`]: [`Parser::parse_line`] for line formats (it keeps the
//!   state some need: Zeek `#fields`, DNSDB SAF framing, CIRCL swap
//!   evidence), [`Parser::parse_value`] and [`parse_document`] for whole
//!   JSON documents, [`Parser::parse_text`] for a whole input in memory.
//! - [`ParseError`]: one bad record, with a short [`ParseError::reason`]
//!   for counts and a printable message. A bad record never panics and
//!   never hides the good records around it.
//!
//! # Conventions for every format
//!
//! - Names and rdata are normalized by `pdnsfile` (lower case, no trailing
//!   dot, escapes for non-printable octets, canonical addresses). Names are
//!   stored as sent: A-labels stay A-labels; U-labels are kept as escaped
//!   octets, not converted.
//! - Times are Unix seconds UTC; fractions are dropped. A source with one
//!   time per record (VirusTotal, sensors) gives it as both first and last
//!   seen; aggregation (`pdnsfile::Entry::merge`) builds the interval. A
//!   date without a time covers its whole day. Zone-less times are UTC, as
//!   every provider documents.
//! - Counts are kept when the source counts observations, `None` when it
//!   does not say (never 0 or 1 by default). Sensor events (Zeek,
//!   Suricata) are one observation each: count 1.
//! - Entries carry one source label: the format's default
//!   ([`Format::default_source`]), `NAME:HOST` for a sensor record that
//!   names its sensor, the labels of our own COF, or the caller's
//!   [`Options::source`].
//! - **Lossy inputs are imported as they are, never completed.** When a
//!   source gives only the name of an MX, SRV or SOA record (gamelinux,
//!   Zeek, Suricata's MX, PassiveTotal, OTX), the entry's rdata is that
//!   name alone, normalized; no preference, weight, port or SOA field is
//!   made up. Renderings that say too little to form any rdata are skipped
//!   and counted ([`Parser::skipped`]).
//! - Records an entry cannot represent are skipped and counted by reason,
//!   not reported as errors: requests, NXDOMAIN and other rcodes, classes
//!   other than IN, OPT and other meta types, SAF control lines, headers.

#![deny(missing_docs)]

pub mod cof;
mod common;
mod detect;
mod error;
mod format;
pub mod kaspersky;
pub mod mnemonic;
pub mod otx;
mod parser;
pub mod passivedns;
pub mod passivetotal;
pub mod securitytrails;
pub mod suricata;
pub mod time;
pub mod umbrella;
pub mod virustotal;
pub mod zeek;

pub use detect::{detect, detect_with_delimiter};
pub use error::{ErrorKind, ParseError};
pub use format::{Format, Framing, UnknownFormat};
pub use parser::{parse_document, parse_document_with, Options, Parsed, Parser};
