//! Printing results: aligned text for people, COF JSON lines and CSV for
//! scripts, zone-file-like lines for DNS people.
//!
//! Nothing from an archive reaches the output unescaped. Archive strings
//! are printable ASCII already (the archive escapes the rest when
//! normalizing), and are escaped again here (`\ddd` for every octet
//! outside printable ASCII) before text, CSV or dig output, so a hostile
//! TXT record or source label cannot move the cursor. JSON output is
//! plain ASCII: JSON escapes control characters, and everything above
//! `~` is written as `\uXXXX`. The one exception is `--unicode`, which
//! adds U-labels decoded from punycode, with controls and bidirectional
//! overrides shown as `\u{…}`.

use std::fmt::Write as _;
use std::io::{self, Write};

use pdnsfile::record::{escape_text_str, rdata_names};
use pdnsfile::time::rfc3339;
use pdnsfile::{cof, rrtype, Entry};

use crate::engine::{Digest, Row};
use crate::names;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns with RFC 3339 times.
    Text,
    /// COF JSON, one object a line.
    Json,
    /// CSV with a header line.
    Csv,
    /// Zone-file-like lines, times and count in a comment.
    Dig,
}

/// Writes entries in `format`, with no extra column.
///
/// # Errors
///
/// I/O errors (a closed pipe among them).
pub fn write_entries(out: &mut dyn Write, entries: &[Entry], format: Format) -> io::Result<()> {
    let rows: Vec<Row> = entries.iter().cloned().map(Row::from).collect();
    let mut p = Printer::new(
        out,
        Options {
            format,
            ..Options::default()
        },
    );
    p.rows(&rows, None)
}

/// What the printer shows besides the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The format.
    pub format: Format,
    /// Show U-labels beside A-labels, for owner names and names in
    /// rdata: in parentheses in text, as extra columns in CSV, as extra
    /// fields in JSON, in the comment in dig.
    pub unicode: bool,
    /// Show each row's pivot path.
    pub pivot: bool,
    /// Batch mode: tag every row with its query.
    pub tagged: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            format: Format::Text,
            unicode: false,
            pivot: false,
            tagged: false,
        }
    }
}

/// Column widths of aligned text; they only grow, so a stream printed in
/// chunks stays aligned once the widest values have been met.
#[derive(Default)]
struct Widths {
    name: usize,
    rtype: usize,
    rdata: usize,
}

/// The widest a text column gets. A longer value (a long TXT record)
/// overflows its column instead of widening it for every row.
const MAX_WIDTH: usize = 48;

/// Writes rows and summaries in one format to one output.
pub struct Printer<'w> {
    out: &'w mut dyn Write,
    opts: Options,
    csv_header_done: bool,
    widths: Widths,
}

impl<'w> Printer<'w> {
    /// A printer writing to `out`.
    pub fn new(out: &'w mut dyn Write, opts: Options) -> Printer<'w> {
        Printer {
            out,
            opts,
            csv_header_done: false,
            widths: Widths::default(),
        }
    }

    /// The options.
    pub fn options(&self) -> Options {
        self.opts
    }

    /// The output, for what is not rows (a graph).
    pub fn out(&mut self) -> &mut dyn Write {
        &mut *self.out
    }

    /// Starts the results of one query of a batch: a header line in text
    /// and dig output (JSON and CSV rows carry the query instead).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn begin_query(&mut self, query: &str) -> io::Result<()> {
        // A new query may have narrower values: start alignment afresh.
        self.widths = Widths::default();
        match self.opts.format {
            Format::Text => writeln!(self.out, "# query: {}", escape_text_str(query)),
            Format::Dig => writeln!(self.out, ";; query: {}", escape_text_str(query)),
            Format::Json | Format::Csv => Ok(()),
        }
    }

    /// Writes a note about the results (truncation): a comment line in
    /// text and dig output, nothing in JSON and CSV, whose readers would
    /// take it for data (the note goes to standard error too).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        match self.opts.format {
            Format::Text => writeln!(self.out, "# {}", escape_text_str(text)),
            Format::Dig => writeln!(self.out, ";; {}", escape_text_str(text)),
            Format::Json | Format::Csv => Ok(()),
        }
    }

    /// Writes rows; `query` tags them in batch mode.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn rows(&mut self, rows: &[Row], query: Option<&str>) -> io::Result<()> {
        match self.opts.format {
            Format::Text => self.text(rows),
            Format::Json => {
                for r in rows {
                    writeln!(
                        self.out,
                        "{}",
                        json_line_with(r, query.filter(|_| self.opts.tagged), self.opts.unicode)
                    )?;
                }
                Ok(())
            }
            Format::Csv => self.csv(rows, query),
            Format::Dig => {
                for r in rows {
                    let mut line = dig_line(r);
                    if self.opts.unicode {
                        if let Some(u) = names::to_unicode(&r.entry.rrname) {
                            let _ = write!(line, " unicode={u}");
                        }
                        if let Some(u) = names::rdata_to_unicode(r.entry.rrtype, &r.entry.rdata) {
                            let _ = write!(line, " rdata_unicode={}", u.replace(' ', "\\032"));
                        }
                    }
                    writeln!(self.out, "{line}")?;
                }
                Ok(())
            }
        }
    }

    fn text(&mut self, rows: &[Row]) -> io::Result<()> {
        let shown: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                let e = &r.entry;
                let mut name = escape_text_str(&e.rrname);
                if self.opts.unicode {
                    if let Some(u) = names::to_unicode(&e.rrname) {
                        let _ = write!(name, " ({u})");
                    }
                }
                let mut rdata = escape_text_str(&e.rdata);
                if self.opts.unicode {
                    if let Some(u) = names::rdata_to_unicode(e.rrtype, &e.rdata) {
                        let _ = write!(rdata, " ({u})");
                    }
                }
                (name, rrtype::to_string(e.rrtype), rdata)
            })
            .collect();
        let w = &mut self.widths;
        let fit = |n: usize| if n <= MAX_WIDTH { n } else { 0 };
        for (n, t, d) in &shown {
            w.name = w.name.max(fit(n.chars().count()));
            w.rtype = w.rtype.max(fit(t.len()));
            w.rdata = w.rdata.max(fit(d.chars().count()));
        }
        let (wn, wt, wd) = (w.name, w.rtype, w.rdata);
        for (r, (n, t, d)) in rows.iter().zip(&shown) {
            let e = &r.entry;
            write!(
                self.out,
                "{n:<wn$}  {t:<wt$}  {d:<wd$}  {} .. {}  count={}  [{}]",
                rfc3339(e.time_first),
                rfc3339(e.time_last),
                e.count.map_or_else(|| "?".to_string(), |c| c.to_string()),
                escape_text_str(&e.sources.join(",")),
            )?;
            if self.opts.pivot {
                if let Some(p) = &r.pivot_path {
                    write!(self.out, "  via {}", escape_text_str(&p.join(" > ")))?;
                }
            }
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn csv(&mut self, rows: &[Row], query: Option<&str>) -> io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(&mut *self.out);
        let o = self.opts;
        if !self.csv_header_done {
            self.csv_header_done = true;
            let mut h: Vec<&str> = Vec::new();
            if o.tagged {
                h.push("query");
            }
            h.push("rrname");
            if o.unicode {
                h.push("rrname_unicode");
            }
            h.extend(["rrtype", "rdata"]);
            if o.unicode {
                h.push("rdata_unicode");
            }
            h.extend(["time_first", "time_last", "count", "sources", "bailiwick"]);
            if o.pivot {
                h.push("pivot_path");
            }
            w.write_record(&h)?;
        }
        for r in rows {
            let e = &r.entry;
            let mut rec: Vec<String> = Vec::with_capacity(11);
            if o.tagged {
                rec.push(escape_text_str(query.unwrap_or_default()));
            }
            rec.push(escape_text_str(&e.rrname));
            if o.unicode {
                rec.push(names::to_unicode(&e.rrname).unwrap_or_default());
            }
            rec.push(rrtype::to_string(e.rrtype));
            rec.push(escape_text_str(&e.rdata));
            if o.unicode {
                rec.push(names::rdata_to_unicode(e.rrtype, &e.rdata).unwrap_or_default());
            }
            rec.push(rfc3339(e.time_first));
            rec.push(rfc3339(e.time_last));
            rec.push(e.count.map(|c| c.to_string()).unwrap_or_default());
            rec.push(escape_text_str(&e.sources.join(",")));
            rec.push(escape_text_str(e.bailiwick.as_deref().unwrap_or_default()));
            if o.pivot {
                rec.push(escape_text_str(
                    &r.pivot_path.as_deref().unwrap_or_default().join(" > "),
                ));
            }
            w.write_record(&rec)?;
        }
        w.flush()
    }

    /// Writes a summary of results (`--summarize`): aligned text, one JSON
    /// object, or one CSV row; `query` tags it in batch mode.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn digest(&mut self, d: &Digest, query: Option<&str>) -> io::Result<()> {
        let counts = |m: &std::collections::BTreeMap<String, u64>, sep: &str| {
            m.iter()
                .map(|(k, n)| format!("{}{sep}{n}", escape_text_str(k)))
                .collect::<Vec<_>>()
        };
        let time = |t: Option<u64>| t.map(rfc3339).unwrap_or_default();
        match self.opts.format {
            Format::Json => {
                let mut v = serde_json::json!({
                    "entries": d.entries,
                    "count": d.count,
                    "unknown_counts": d.unknown_counts,
                    "time_first": d.time_first,
                    "time_last": d.time_last,
                    "by_type": d.by_type,
                    "by_source": d.by_source,
                });
                if let (Some(q), Some(obj)) =
                    (query.filter(|_| self.opts.tagged), v.as_object_mut())
                {
                    obj.insert("query".into(), q.into());
                }
                writeln!(self.out, "{}", ascii_json(v.to_string()))
            }
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(&mut *self.out);
                let tagged = self.opts.tagged;
                if !self.csv_header_done {
                    self.csv_header_done = true;
                    let mut h = vec![
                        "entries",
                        "count",
                        "unknown_counts",
                        "time_first",
                        "time_last",
                        "types",
                        "sources",
                    ];
                    if tagged {
                        h.insert(0, "query");
                    }
                    w.write_record(&h)?;
                }
                let mut rec = vec![
                    d.entries.to_string(),
                    d.count.to_string(),
                    d.unknown_counts.to_string(),
                    time(d.time_first),
                    time(d.time_last),
                    counts(&d.by_type, "=").join(" "),
                    counts(&d.by_source, "=").join(" "),
                ];
                if tagged {
                    rec.insert(0, escape_text_str(query.unwrap_or_default()));
                }
                w.write_record(&rec)?;
                w.flush()
            }
            Format::Text | Format::Dig => {
                let c = if self.opts.format == Format::Dig {
                    ";; "
                } else {
                    ""
                };
                let out = &mut self.out;
                writeln!(out, "{c}entries     {}", d.entries)?;
                if d.unknown_counts > 0 {
                    writeln!(
                        out,
                        "{c}count       {} ({} entries without a count)",
                        d.count, d.unknown_counts
                    )?;
                } else {
                    writeln!(out, "{c}count       {}", d.count)?;
                }
                if let (Some(f), Some(l)) = (d.time_first, d.time_last) {
                    writeln!(out, "{c}time span   {} .. {}", rfc3339(f), rfc3339(l))?;
                }
                writeln!(out, "{c}types       {}", counts(&d.by_type, " ").join(", "))?;
                writeln!(
                    out,
                    "{c}sources     {}",
                    counts(&d.by_source, " ").join(", ")
                )
            }
        }
    }
}

/// An entry as COF JSON, with `pivot_path` when pivoting and `query` in
/// batch mode, in plain ASCII.
pub fn json_line(r: &Row, query: Option<&str>) -> String {
    json_line_with(r, query, false)
}

/// [`json_line`], with `rrname_unicode` and `rdata_unicode` fields (as
/// ASCII `\uXXXX` escapes) when `unicode` is set and the names hold
/// A-labels.
pub fn json_line_with(r: &Row, query: Option<&str>, unicode: bool) -> String {
    let mut line = cof::to_line(&r.entry);
    let mut extra = String::new();
    if unicode {
        if let Some(u) = names::to_unicode(&r.entry.rrname) {
            let _ = write!(extra, ",\"rrname_unicode\":{}", serde_json::Value::from(u));
        }
        if let Some(u) = names::rdata_to_unicode(r.entry.rrtype, &r.entry.rdata) {
            let _ = write!(extra, ",\"rdata_unicode\":{}", serde_json::Value::from(u));
        }
    }
    if let Some(p) = &r.pivot_path {
        let _ = write!(
            extra,
            ",\"pivot_path\":{}",
            serde_json::Value::from(p.clone())
        );
    }
    if let Some(q) = query {
        let _ = write!(extra, ",\"query\":{}", serde_json::Value::from(q));
    }
    if !extra.is_empty() && line.ends_with('}') {
        line.pop();
        line.push_str(&extra);
        line.push('}');
    }
    ascii_json(line)
}

/// Rewrites every character of JSON text outside printable ASCII as a
/// `\uXXXX` escape. Such characters only occur inside strings, where the
/// escape means the same.
pub fn ascii_json(s: String) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{u:04x}");
            }
        }
    }
    out
}

/// An entry as a zone-file line: absolute owner name, class, type, rdata
/// with absolute names, and a comment with times, count, sources and the
/// pivot path.
pub fn dig_line(r: &Row) -> String {
    let e = &r.entry;
    let absolute = |n: &str| {
        if n.ends_with('.') && !n.ends_with("\\.") {
            n.to_string()
        } else {
            format!("{n}.")
        }
    };
    let targets = rdata_names(e.rrtype, &e.rdata);
    let rdata = if targets.is_empty() {
        e.rdata.clone()
    } else {
        e.rdata
            .split(' ')
            .map(|f| {
                if targets.contains(&f) {
                    absolute(f)
                } else {
                    f.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut line = format!(
        "{}\tIN\t{}\t{}\t; first={} last={} count={} sources={}",
        escape_text_str(&absolute(&e.rrname)),
        rrtype::to_string(e.rrtype),
        escape_text_str(&rdata),
        rfc3339(e.time_first),
        rfc3339(e.time_last),
        e.count.map_or_else(|| "?".to_string(), |c| c.to_string()),
        escape_text_str(&e.sources.join(",")),
    );
    if let Some(b) = &e.bailiwick {
        let _ = write!(line, " bailiwick={}", escape_text_str(&absolute(b)));
    }
    if let Some(p) = &r.pivot_path {
        let _ = write!(line, " via={}", escape_text_str(&p.join(">")));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_ascii() {
        assert_eq!(
            ascii_json("{\"a\":\"\u{1b}é\u{7f}😀\"}".into()),
            "{\"a\":\"\\u001bé\\u007f\\ud83d\\ude00\"}".replace('é', "\\u00e9")
        );
        let mut e = Entry::new("a.example", 16, "\"x\"", 1, 2, None).unwrap();
        e.add_source("s\u{1b}[31m");
        let r = Row {
            entry: e,
            pivot_path: Some(vec!["a.example".into()]),
        };
        assert_eq!(
            json_line(&r, Some("q\u{9b}")),
            r#"{"rrname":"a.example","rrtype":"TXT","rdata":"\"x\"","time_first":1,"time_last":2,"sources":["s\u001b[31m"],"pivot_path":["a.example"],"query":"q\u009b"}"#
        );
    }

    #[test]
    fn dig_lines() {
        let mut e = Entry::new(
            "a.example",
            6,
            "ns1.example hostmaster.example 1 2 3 4 5",
            0,
            86_400,
            Some(2),
        )
        .unwrap();
        e.add_source("dnsdb");
        e.bailiwick = Some("example".into());
        assert_eq!(
            dig_line(&e.into()),
            "a.example.\tIN\tSOA\tns1.example. hostmaster.example. 1 2 3 4 5\t; first=1970-01-01T00:00:00Z last=1970-01-02T00:00:00Z count=2 sources=dnsdb bailiwick=example."
        );
    }
}
