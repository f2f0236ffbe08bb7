//! The streaming parser: lines in, entries out, with the per-stream state
//! some formats need (Zeek TSV headers, DNSDB SAF framing, CIRCL swap
//! evidence).

use std::collections::BTreeMap;

use pdnsfile::Entry;
use serde_json::Value;

use crate::cof::{self, CofState, Flavor};
use crate::common::{clean_label, normalize_query, Ctx, Settings};
use crate::error::{ErrorKind, ParseError};
use crate::format::{Format, Framing};
use crate::passivedns::{self, Spec};
use crate::zeek::{self, TsvState};
use crate::{
    kaspersky, mnemonic, otx, passivetotal, securitytrails, suricata, umbrella, virustotal,
};

/// Settings of a [`Parser`]. The default reads every format as its
/// provider documents it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The source label for every entry, replacing the format's default
    /// label and any label a record carries (sensor host names, COF
    /// `sources`). Escaped to printable ASCII.
    pub source: Option<String>,
    /// The value that was queried, for documents that leave it out:
    /// VirusTotal v2 reports, SecurityTrails without `endpoint`, Kaspersky
    /// without its general-info section. For CIRCL it names the queried
    /// name, so NS/CNAME/PTR answers swapped by the server are put right
    /// (see [`crate::cof`]). A live client always knows it.
    pub query: Option<String>,
    /// gamelinux passivedns `-f` field letters of a text log (default
    /// `SMcsCQTAtn`).
    pub passivedns_fields: Option<String>,
    /// gamelinux passivedns `-d` delimiter of a text log (default `||`).
    pub passivedns_delimiter: Option<String>,
    /// The time zone of the sensor, for gamelinux passivedns `H` times
    /// (text `H` column, JSON `timestamp` without `timestamp_s`), which
    /// it prints as local time without a zone: an IANA name
    /// (`Europe/Berlin`), `UTC`, or a fixed offset (`+05:30`). Default
    /// UTC. See [`crate::passivedns::parse_time_zone`].
    pub passivedns_time_zone: Option<String>,
}

/// The result of [`Parser::parse_text`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The entries, in input order, not aggregated.
    pub entries: Vec<Entry>,
    /// Errors with the 1-based line they were found on (for a document,
    /// the line where it starts; 0 for the end of the input).
    pub errors: Vec<(u64, ParseError)>,
    /// Records skipped on purpose, by reason (see [`Parser::skipped`]).
    pub skipped: BTreeMap<&'static str, u64>,
}

/// A streaming parser for one input (a file, a response, a stream).
///
/// Feed it lines with [`Parser::parse_line`] (line formats, or documents
/// written one per line), whole JSON documents with
/// [`Parser::parse_value`], or everything at once with
/// [`Parser::parse_text`]; call [`Parser::finish`] at the end of the input.
/// Keep one parser per input: it holds per-stream state.
#[derive(Clone, Debug)]
pub struct Parser {
    format: Format,
    settings: Settings,
    spec: Option<Spec>,
    tsv: TsvState,
    cof: CofState,
    skipped: BTreeMap<&'static str, u64>,
}

impl Parser {
    /// A parser with default [`Options`].
    pub fn new(format: Format) -> Parser {
        Parser {
            format,
            settings: Settings {
                label: format.default_source().to_string(),
                overridden: false,
                query: None,
                time_zone: None,
            },
            // The default spec is valid; `with_options` replaces it.
            spec: Spec::new(passivedns::DEFAULT_FIELDS, passivedns::DEFAULT_DELIMITER).ok(),
            tsv: TsvState::default(),
            cof: CofState::default(),
            skipped: BTreeMap::new(),
        }
    }

    /// A parser with options.
    ///
    /// # Errors
    ///
    /// A `no-header` error when the passivedns field spec, delimiter or
    /// time zone is unusable, a `bad-name` error when the query is neither
    /// an address nor a name, a `bad-shape` error when the source label is
    /// empty.
    pub fn with_options(format: Format, options: &Options) -> Result<Parser, ParseError> {
        let mut p = Parser::new(format);
        if let Some(s) = &options.source {
            let label = clean_label(s);
            if label.is_empty() {
                return Err(ParseError::new(
                    ErrorKind::Shape,
                    "the source label is empty",
                ));
            }
            p.settings.label = label;
            p.settings.overridden = true;
        }
        if let Some(q) = &options.query {
            p.settings.query = Some(normalize_query(q).ok_or_else(|| {
                ParseError::new(
                    ErrorKind::Name,
                    format!(
                        "the query {} is neither an address nor a name",
                        crate::error::quote(q)
                    ),
                )
            })?);
        }
        if let Some(z) = &options.passivedns_time_zone {
            p.settings.time_zone = Some(passivedns::parse_time_zone(z)?);
        }
        if options.passivedns_fields.is_some() || options.passivedns_delimiter.is_some() {
            p.spec = Some(Spec::new(
                options
                    .passivedns_fields
                    .as_deref()
                    .unwrap_or(passivedns::DEFAULT_FIELDS),
                options
                    .passivedns_delimiter
                    .as_deref()
                    .unwrap_or(passivedns::DEFAULT_DELIMITER),
            )?);
        }
        Ok(p)
    }

    /// The format this parser reads.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Records skipped on purpose so far, by reason: lines that hold
    /// nothing an entry can represent (requests, NXDOMAIN answers, SAF
    /// control lines, headers, lossy renderings, ...). They are not
    /// errors; the counts let a report say where input went.
    pub fn skipped(&self) -> &BTreeMap<&'static str, u64> {
        &self.skipped
    }

    /// Adds the skip counts of `other` (a clone that parsed part of the
    /// same input) to this parser's.
    pub fn absorb_skipped(&mut self, other: &Parser) {
        for (why, n) in &other.skipped {
            *self.skipped.entry(why).or_default() += n;
        }
    }

    /// Parses one line, appending its entries to `out`. The line may end
    /// with `\n` or `\r\n`; an empty line is ignored. For a document
    /// format the line is a whole document.
    ///
    /// # Errors
    ///
    /// The first problem found. Entries of the line that were fine are
    /// appended even then (a COF line with one bad rdata of three keeps
    /// two); when a line has several problems, the message says how many
    /// more there were.
    pub fn parse_line(&mut self, line: &str, out: &mut Vec<Entry>) -> Result<(), ParseError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let mut errors = Vec::new();
        match self.format {
            Format::Zeek => {
                if line.is_empty() {
                    return Ok(());
                }
                let tsv = &mut self.tsv;
                let mut ctx = Ctx {
                    out,
                    errors: &mut errors,
                    skipped: &mut self.skipped,
                    settings: &self.settings,
                };
                ctx.run("", |c| zeek::tsv_line(c, tsv, line.as_bytes()));
            }
            Format::Passivedns => {
                if line.trim().is_empty() {
                    return Ok(());
                }
                let Some(spec) = &self.spec else {
                    return Err(ParseError::new(
                        ErrorKind::Header,
                        "no passivedns field spec",
                    ));
                };
                let mut ctx = Ctx {
                    out,
                    errors: &mut errors,
                    skipped: &mut self.skipped,
                    settings: &self.settings,
                };
                ctx.run("", |c| passivedns::text_line(c, spec, line));
            }
            _ => {
                if line.trim().is_empty() {
                    return Ok(());
                }
                if self.format == Format::Cof {
                    let mut ctx = Ctx {
                        out,
                        errors: &mut errors,
                        skipped: &mut self.skipped,
                        settings: &self.settings,
                    };
                    if cof::fast_line(&mut ctx, line) {
                        return first_error(errors);
                    }
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => self.dispatch(&v, out, &mut errors, true),
                    Err(e) => errors.push(ParseError::new(ErrorKind::Json, json_error(&e))),
                }
            }
        }
        first_error(errors)
    }

    /// [`Parser::parse_line`] for a line that may not be UTF-8 (logs can
    /// hold raw octets). Octets that are not UTF-8 are turned into the
    /// format's own escape (`\xNN` for Zeek, `\ddd` for the others, with
    /// the backslash itself escaped in JSON, where such octets can only
    /// sit inside strings), so a name keeps them instead of losing them to
    /// a replacement character.
    ///
    /// # Errors
    ///
    /// As [`Parser::parse_line`].
    pub fn parse_line_bytes(
        &mut self,
        line: &[u8],
        out: &mut Vec<Entry>,
    ) -> Result<(), ParseError> {
        match std::str::from_utf8(line) {
            Ok(s) => self.parse_line(s, out),
            Err(_) => {
                let zeek = matches!(self.format, Format::Zeek | Format::ZeekJson);
                let text = escape_invalid_utf8(line, zeek, self.format.is_json());
                self.parse_line(&text, out)
            }
        }
    }

    /// The parser's settings (for tests of the fast paths).
    #[cfg(test)]
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// [`Parser::parse_line_bytes`] that appends each entry's sort item
    /// ([`pdnsfile::sortkey::encode_into`]) to `items`, pushing its end
    /// offset to `ends`, for a build that sorts items, not entries. COF
    /// lines in the plainest shape skip the entry altogether (about half
    /// the parsing time of a build); the items are the same bytes either
    /// way. `scratch` holds entries between calls (kept to reuse it).
    ///
    /// # Errors
    ///
    /// As [`Parser::parse_line`].
    pub fn parse_line_items(
        &mut self,
        line: &[u8],
        items: &mut Vec<u8>,
        ends: &mut Vec<usize>,
        scratch: &mut Vec<Entry>,
    ) -> Result<(), ParseError> {
        if self.format == Format::Cof && cof::fast_item(&self.settings, line, items) {
            ends.push(items.len());
            return Ok(());
        }
        scratch.clear();
        let parsed = self.parse_line_bytes(line, scratch);
        for e in scratch.drain(..) {
            pdnsfile::sortkey::encode_into(items, &e);
            ends.push(items.len());
        }
        parsed
    }

    /// Parses one whole JSON document (an API response or an export
    /// file), appending its entries to `out` and one error per bad record
    /// to `errors`. A line format accepts one record or an array of
    /// records.
    pub fn parse_value(&mut self, doc: &Value, out: &mut Vec<Entry>, errors: &mut Vec<ParseError>) {
        self.dispatch(doc, out, errors, false);
    }

    /// Parses a whole input held in memory: line by line for a line
    /// format (then [`Parser::finish`]), as one or more JSON documents
    /// (one after the other, or one per line) for a document format.
    pub fn parse_text(&mut self, text: &str) -> Parsed {
        let mut parsed = Parsed::default();
        match self.format.framing() {
            Framing::Lines => {
                for (i, line) in text.split('\n').enumerate() {
                    if let Err(e) = self.parse_line(line, &mut parsed.entries) {
                        parsed.errors.push((i as u64 + 1, e));
                    }
                }
            }
            Framing::Document => {
                let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
                loop {
                    let start = stream.byte_offset();
                    let line = line_of(text, start);
                    match stream.next() {
                        None => break,
                        Some(Ok(v)) => {
                            let mut errors = Vec::new();
                            self.parse_value(&v, &mut parsed.entries, &mut errors);
                            parsed.errors.extend(errors.into_iter().map(|e| (line, e)));
                        }
                        Some(Err(e)) => {
                            parsed
                                .errors
                                .push((line, ParseError::new(ErrorKind::Json, json_error(&e))));
                            break;
                        }
                    }
                }
            }
        }
        if let Err(e) = self.finish() {
            parsed.errors.push((0, e));
        }
        parsed.skipped.clone_from(&self.skipped);
        parsed
    }

    /// Ends the input.
    ///
    /// # Errors
    ///
    /// `truncated` when a DNSDB SAF stream ended without its terminal
    /// `cond` (its entries were real and stay delivered; the result is
    /// incomplete).
    pub fn finish(&mut self) -> Result<(), ParseError> {
        if std::mem::take(&mut self.cof.saf_open) {
            return Err(ParseError::new(
                ErrorKind::Truncated,
                "the DNSDB SAF stream ended without succeeded, limited or failed",
            ));
        }
        Ok(())
    }

    /// Routes a JSON value to its format. `line` says whether it came as
    /// one line of a line format (a record) or as a document.
    fn dispatch(
        &mut self,
        v: &Value,
        out: &mut Vec<Entry>,
        errors: &mut Vec<ParseError>,
        line: bool,
    ) {
        let format = self.format;
        let mut ctx = Ctx {
            out,
            errors,
            skipped: &mut self.skipped,
            settings: &self.settings,
        };
        let cof_state = &mut self.cof;
        let flavor = match format {
            Format::Dnsdb | Format::Dnsdb2 => Some(Flavor::Dnsdb),
            Format::Circl => Some(Flavor::Circl),
            Format::Cof => Some(Flavor::Cof),
            Format::MnemonicCof => Some(Flavor::MnemonicCof),
            Format::Qihoo360 => Some(Flavor::Qihoo),
            _ => None,
        };
        if let Some(flavor) = flavor {
            if line && flavor == Flavor::Dnsdb {
                cof::dnsdb_line(&mut ctx, cof_state, v);
            } else {
                cof::document(&mut ctx, cof_state, flavor, v);
            }
            return;
        }
        let record =
            |ctx: &mut Ctx<'_>, f: fn(&mut Ctx<'_>, &Value) -> Result<(), ParseError>| match v {
                Value::Array(items) if !line => {
                    for (i, item) in items.iter().enumerate() {
                        ctx.run(&format!("[{i}]"), |c| f(c, item));
                    }
                }
                _ => ctx.run("", |c| f(c, v)),
            };
        match format {
            Format::PassivednsJson => record(&mut ctx, passivedns::json_record),
            Format::ZeekJson => record(&mut ctx, zeek::json_record),
            Format::Suricata => record(&mut ctx, suricata::event),
            Format::Mnemonic => mnemonic::document(&mut ctx, v),
            Format::VirusTotal => virustotal::v3_document(&mut ctx, v),
            Format::VirusTotal2 => virustotal::v2_document(&mut ctx, v),
            Format::PassiveTotal => passivetotal::document(&mut ctx, v),
            Format::Otx => otx::document(&mut ctx, v),
            Format::SecurityTrails => securitytrails::document(&mut ctx, v),
            Format::Kaspersky => kaspersky::document(&mut ctx, v),
            Format::Umbrella => umbrella::document(&mut ctx, v),
            Format::Zeek | Format::Passivedns => ctx.error(ParseError::new(
                ErrorKind::Shape,
                format!("{} is a text format, not JSON", format.name()),
            )),
            Format::Dnsdb
            | Format::Dnsdb2
            | Format::Circl
            | Format::Cof
            | Format::MnemonicCof
            | Format::Qihoo360 => {}
        }
    }
}

/// Parses one whole JSON document with default options; returns its
/// entries and one error per bad record (a document with some bad records
/// yields the good ones plus the errors).
pub fn parse_document(format: Format, doc: &Value) -> (Vec<Entry>, Vec<ParseError>) {
    let mut p = Parser::new(format);
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    p.parse_value(doc, &mut out, &mut errors);
    if let Err(e) = p.finish() {
        errors.push(e);
    }
    (out, errors)
}

/// [`parse_document`] with options (a source label, the queried value).
///
/// # Errors
///
/// As [`Parser::with_options`], for unusable options.
pub fn parse_document_with(
    format: Format,
    options: &Options,
    doc: &Value,
) -> Result<(Vec<Entry>, Vec<ParseError>), ParseError> {
    let mut p = Parser::with_options(format, options)?;
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    p.parse_value(doc, &mut out, &mut errors);
    if let Err(e) = p.finish() {
        errors.push(e);
    }
    Ok((out, errors))
}

/// The first error of a line, saying how many more there were.
fn first_error(mut errors: Vec<ParseError>) -> Result<(), ParseError> {
    if errors.is_empty() {
        return Ok(());
    }
    let more = errors.len() - 1;
    let first = errors.swap_remove(0);
    if more == 0 {
        Err(first)
    } else {
        let kind = first.kind();
        Err(ParseError::new(
            kind,
            format!(
                "{} (and {more} more problem{} on this line)",
                first.message(),
                if more == 1 { "" } else { "s" }
            ),
        ))
    }
}

/// A JSON syntax error as a message (serde's messages hold no input text).
fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "JSON cut short",
        Category::Syntax => "invalid JSON",
        Category::Data => "JSON data error",
        Category::Io => "read error",
    };
    format!("{what}: {e}")
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    let upto = text.get(..offset).unwrap_or(text);
    // Skip the white space before the next document.
    let ws = text
        .get(offset..)
        .map_or(0, |r| r.len() - r.trim_start().len());
    let upto_doc = text.get(..offset + ws).unwrap_or(upto);
    upto_doc.bytes().filter(|b| *b == b'\n').count() as u64 + 1
}

/// Replaces octets that are not UTF-8 by `\xNN` (Zeek) or `\ddd`, with a
/// doubled backslash inside JSON.
fn escape_invalid_utf8(bytes: &[u8], zeek: bool, json: bool) -> String {
    let slash = if json { "\\\\" } else { "\\" };
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len()).max(1);
                for &b in &bad[..n.min(bad.len())] {
                    out.push_str(slash);
                    if zeek {
                        out.push_str(&format!("x{b:02x}"));
                    } else {
                        out.push_str(&format!("{b:03}"));
                    }
                }
                rest = &bad[n.min(bad.len())..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_escaped() {
        assert_eq!(
            escape_invalid_utf8(b"a\xffb\xc3", false, false),
            "a\\255b\\195"
        );
        assert_eq!(escape_invalid_utf8(b"a\xffb", true, false), "a\\xffb");
        assert_eq!(
            escape_invalid_utf8(b"\"a\xff\"", true, true),
            "\"a\\\\xff\""
        );
        assert_eq!(line_of("a\nb\n  {", 4), 3);
    }
}
