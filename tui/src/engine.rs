//! The query engine behind `pdns query` and the terminal client: query
//! text and options become a [`Query`] and a [`Filter`]; results are
//! sorted and limited over the whole match set, with the total kept; a
//! [`Digest`] summarizes them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::str::FromStr;

use pdnsfile::record::{compare_names, compare_rdata};
use pdnsfile::{rrtype, Entry, Filter, Query, TimeFence};

/// What can go wrong turning an analyst's input into a query, or running
/// it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not a valid query, time, type, sort key or option
    /// value.
    #[error("{0}")]
    Usage(String),
    /// The configuration file cannot be read or has a bad value.
    #[error("{file}: {why}")]
    Config {
        /// The configuration file.
        file: String,
        /// What is wrong, naming the key.
        why: String,
    },
    /// An archive cannot be opened.
    #[error("{path}: cannot open archive")]
    Open {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: pdnsfile::Error,
    },
    /// A folder of archives cannot be listed.
    #[error("{path}: cannot list the folder")]
    List {
        /// The folder.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An archive could not be read, or refused the query.
    #[error(transparent)]
    Archive(#[from] pdnsfile::Error),
}

impl Error {
    /// Whether the error is the user's input (exit code 2) rather than an
    /// archive's (exit code 3).
    pub fn is_usage(&self) -> bool {
        match self {
            Error::Usage(_) | Error::Config { .. } => true,
            Error::Open { .. } | Error::List { .. } => false,
            Error::Archive(e) => is_query_error(e),
        }
    }
}

/// Whether an archive library error is about the query (a bad regex, a
/// bad name) rather than the archive.
pub fn is_query_error(e: &pdnsfile::Error) -> bool {
    matches!(
        e,
        pdnsfile::Error::InvalidQuery(_) | pdnsfile::Error::InvalidName(_)
    )
}

/// A `Result` with this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Parses query text, U-labels included, into a query and the filter to
/// run it with: `base` narrowed by the type an `ns:`, `mx:` or `cname:`
/// shortcut stands for.
///
/// # Errors
///
/// [`Error::Usage`] when the text is not a query.
pub fn prepare(input: &str, base: &Filter) -> Result<(Query, Filter)> {
    let ascii = crate::names::query_to_ascii(input).map_err(Error::Usage)?;
    let (q, rrtype) = Query::parse_with_type(&ascii).map_err(|e| Error::Usage(e.to_string()))?;
    let mut filter = base.clone();
    if let Some(t) = rrtype {
        filter.types = Some(match filter.types {
            // `ns:x -t A` asks for NS entries that are A entries: none.
            Some(types) => types.into_iter().filter(|&u| u == t).collect(),
            None => vec![t],
        });
    }
    Ok((q, filter))
}

/// Parses type names or numbers (`A`, `aaaa`, `TYPE65`, `65`).
///
/// # Errors
///
/// [`Error::Usage`] naming the first unknown type.
pub fn parse_types<S: AsRef<str>>(names: &[S]) -> Result<Vec<u16>> {
    names
        .iter()
        .map(|t| {
            let t = t.as_ref().trim();
            rrtype::parse(t).ok_or_else(|| Error::Usage(format!("unknown record type {t:?}")))
        })
        .collect()
}

/// Parses a time: Unix seconds, RFC 3339 or a date (midnight UTC).
///
/// # Errors
///
/// [`Error::Usage`] when the text is none of these.
pub fn parse_time(s: &str) -> Result<u64> {
    pdnsfile::time::parse(s).ok_or_else(|| {
        Error::Usage(format!(
            "{s:?} is not a time (Unix seconds, RFC 3339 or YYYY-MM-DD)"
        ))
    })
}

/// Parses `A..B`, two times.
///
/// # Errors
///
/// [`Error::Usage`] when the text is not two times around `..`, or ends
/// before it starts.
pub fn parse_range(s: &str) -> Result<(u64, u64)> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| Error::Usage(format!("{s:?} is not a range START..END")))?;
    let (a, b) = (parse_time(a)?, parse_time(b)?);
    if a > b {
        return Err(Error::Usage(format!(
            "{s:?}: the range ends before it starts"
        )));
    }
    Ok((a, b))
}

/// The time options of the command line, each already parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeOptions {
    /// `--first-after`.
    pub first_after: Option<u64>,
    /// `--first-before`.
    pub first_before: Option<u64>,
    /// `--last-after`.
    pub last_after: Option<u64>,
    /// `--last-before`.
    pub last_before: Option<u64>,
    /// `--within A..B`: first seen at or after A and last seen at or
    /// before B.
    pub within: Option<(u64, u64)>,
    /// `--at T`: live at T, first seen at or before T and last seen at or
    /// after it.
    pub at: Option<u64>,
}

impl TimeOptions {
    /// The fence all the options make together: each bound is the
    /// tightest any option sets.
    pub fn fence(&self) -> TimeFence {
        let later = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        let earlier = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        TimeFence {
            first_after: later(self.first_after, self.within.map(|w| w.0)),
            first_before: earlier(self.first_before, self.at),
            last_after: later(self.last_after, self.at),
            last_before: earlier(self.last_before, self.within.map(|w| w.1)),
        }
    }
}

/// A field results can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    /// The owner name, in DNS order (by zone, then label: `example.com`,
    /// `a.example.com`, `b.example.com`, `example.net`).
    Name,
    /// The type number.
    Type,
    /// The rdata (addresses numerically).
    Rdata,
    /// First seen.
    First,
    /// Last seen.
    Last,
    /// Count; an unknown count sorts below every known one.
    Count,
}

/// A sort key: a field, ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// The field.
    pub field: SortField,
    /// Largest first.
    pub descending: bool,
}

impl FromStr for SortKey {
    type Err = Error;

    /// `count`, `-count` (descending), `+name`.
    fn from_str(s: &str) -> Result<SortKey> {
        let s = s.trim();
        let (descending, f) = match s.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let field = match f.to_ascii_lowercase().as_str() {
            "name" | "rrname" => SortField::Name,
            "type" | "rrtype" => SortField::Type,
            "rdata" => SortField::Rdata,
            "first" | "time_first" => SortField::First,
            "last" | "time_last" => SortField::Last,
            "count" => SortField::Count,
            _ => {
                return Err(Error::Usage(format!(
                    "cannot sort by {s:?} (name, type, rdata, first, last or count, with - for descending)"
                )))
            }
        };
        Ok(SortKey { field, descending })
    }
}

/// Compares two entries by `keys`, then by archive key order, so that the
/// order is total and the same on every run.
pub fn compare(a: &Entry, b: &Entry, keys: &[SortKey]) -> Ordering {
    for k in keys {
        let o = match k.field {
            SortField::Name => compare_names(&a.rrname, &b.rrname),
            SortField::Type => a.rrtype.cmp(&b.rrtype),
            SortField::Rdata if a.rrtype == b.rrtype => compare_rdata(a.rrtype, &a.rdata, &b.rdata),
            SortField::Rdata => a.rdata.cmp(&b.rdata),
            SortField::First => a.time_first.cmp(&b.time_first),
            SortField::Last => a.time_last.cmp(&b.time_last),
            SortField::Count => a.count.cmp(&b.count),
        };
        let o = if k.descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.cmp_key(b)
}

/// One result: an entry, and the pivot path that led to it when pivoting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The entry.
    pub entry: Entry,
    /// The nodes walked from the query to the node whose lookup found the
    /// entry (the query text first); `None` outside a pivot walk.
    pub pivot_path: Option<Vec<String>>,
}

impl From<Entry> for Row {
    fn from(entry: Entry) -> Row {
        Row {
            entry,
            pivot_path: None,
        }
    }
}

/// Sorts rows and keeps the first `limit` over the whole match set, in
/// memory bounded by the limit (about twice it): every row is offered,
/// the best are kept, the total is counted.
pub struct TopN {
    keys: Vec<SortKey>,
    limit: Option<usize>,
    buf: Vec<Row>,
    total: u64,
}

impl TopN {
    /// Keeps the `limit` first rows by `keys` (all rows when `None`).
    pub fn new(keys: Vec<SortKey>, limit: Option<usize>) -> TopN {
        TopN {
            keys,
            limit,
            buf: Vec::new(),
            total: 0,
        }
    }

    /// Offers a row.
    pub fn push(&mut self, row: Row) {
        self.total += 1;
        self.buf.push(row);
        if let Some(n) = self.limit {
            if self.buf.len() >= n.saturating_mul(2).max(1024) {
                self.keep_best(n);
            }
        }
    }

    fn keep_best(&mut self, n: usize) {
        if n == 0 {
            self.buf.clear();
        } else if n < self.buf.len() {
            let keys = &self.keys;
            self.buf
                .select_nth_unstable_by(n - 1, |a, b| compare(&a.entry, &b.entry, keys));
            self.buf.truncate(n);
        }
    }

    /// The kept rows in order, and how many rows were offered.
    pub fn finish(mut self) -> (Vec<Row>, u64) {
        if let Some(n) = self.limit {
            self.keep_best(n);
        }
        let keys = &self.keys;
        self.buf.sort_by(|a, b| compare(&a.entry, &b.entry, keys));
        (self.buf, self.total)
    }
}

/// Counts over a set of results (`--summarize`): entries, the sum of
/// their counts, their time span, entries by type and by source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    /// Entries.
    pub entries: u64,
    /// Sum of the known counts.
    pub count: u64,
    /// Entries whose count is unknown.
    pub unknown_counts: u64,
    /// Earliest first seen.
    pub time_first: Option<u64>,
    /// Latest last seen.
    pub time_last: Option<u64>,
    /// Entries by type mnemonic.
    pub by_type: BTreeMap<String, u64>,
    /// Entries by source label (an entry seen by two sources counts for
    /// both).
    pub by_source: BTreeMap<String, u64>,
}

impl Digest {
    /// Counts an entry.
    pub fn add(&mut self, e: &Entry) {
        self.entries += 1;
        match e.count {
            Some(c) => self.count = self.count.saturating_add(c),
            None => self.unknown_counts += 1,
        }
        self.time_first = Some(
            self.time_first
                .map_or(e.time_first, |t| t.min(e.time_first)),
        );
        self.time_last = Some(self.time_last.map_or(e.time_last, |t| t.max(e.time_last)));
        *self.by_type.entry(rrtype::to_string(e.rrtype)).or_default() += 1;
        for s in &e.sources {
            *self.by_source.entry(s.clone()).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, t: u16, rdata: &str, first: u64, last: u64, count: Option<u64>) -> Entry {
        Entry::new(name, t, rdata, first, last, count).unwrap()
    }

    #[test]
    fn prepares_shortcuts_with_types() {
        let (q, f) = prepare("ns:ns1.bücher.example", &Filter::default()).unwrap();
        assert_eq!(q, Query::RdataName("ns1.xn--bcher-kva.example".into()));
        assert_eq!(f.types, Some(vec![2]));
        let base = Filter {
            types: Some(vec![1, 15]),
            ..Filter::default()
        };
        assert_eq!(
            prepare("mx:a.example", &base).unwrap().1.types,
            Some(vec![15])
        );
        assert_eq!(
            prepare("ns:a.example", &base).unwrap().1.types,
            Some(vec![])
        );
        assert_eq!(prepare("a.example", &base).unwrap().1, base);
        assert!(prepare("", &base).unwrap_err().is_usage());
        assert!(prepare("10.0.0.0/40", &base).unwrap_err().is_usage());
    }

    #[test]
    fn times_make_one_fence() {
        let t = TimeOptions {
            within: Some((10, 20)),
            first_after: Some(12),
            last_before: Some(30),
            at: Some(15),
            ..TimeOptions::default()
        };
        assert_eq!(
            t.fence(),
            TimeFence {
                first_after: Some(12),
                first_before: Some(15),
                last_after: Some(15),
                last_before: Some(20),
            }
        );
        assert_eq!(
            parse_range("2024-01-01..1704153600").unwrap(),
            (1_704_067_200, 1_704_153_600)
        );
        assert!(parse_range("2024-01-02..2024-01-01").is_err());
        assert!(parse_range("2024-01-02").is_err());
        assert!(parse_time("soon").is_err());
        assert_eq!(
            parse_types(&["a", "TYPE65", "28"]).unwrap(),
            vec![1, 65, 28]
        );
        assert!(parse_types(&["BOGUS"]).is_err());
    }

    #[test]
    fn sorts_and_limits_over_everything() {
        let rows: Vec<Entry> = (0..5000u64)
            .map(|i| {
                e(
                    &format!("n{i}.example"),
                    1,
                    "192.0.2.1",
                    i,
                    i + 10,
                    Some(i % 97),
                )
            })
            .collect();
        let keys = vec!["-count".parse().unwrap(), "first".parse().unwrap()];
        let mut top = TopN::new(keys, Some(3));
        for r in rows.iter().rev() {
            top.push(r.clone().into());
        }
        let (kept, total) = top.finish();
        assert_eq!(total, 5000);
        let got: Vec<(u64, Option<u64>)> = kept
            .iter()
            .map(|r| (r.entry.time_first, r.entry.count))
            .collect();
        assert_eq!(got, vec![(96, Some(96)), (193, Some(96)), (290, Some(96))]);
        assert!("bogus".parse::<SortKey>().is_err());
        let unknown = e("a.example", 1, "192.0.2.1", 1, 2, None);
        let zero = e("b.example", 1, "192.0.2.1", 1, 2, Some(0));
        assert_eq!(
            compare(&unknown, &zero, &["count".parse().unwrap()]),
            Ordering::Less
        );
        assert_eq!(
            compare(&unknown, &zero, &["name".parse().unwrap()]),
            Ordering::Less
        );
        let mut top = TopN::new(Vec::new(), Some(0));
        top.push(unknown.into());
        assert_eq!(top.finish(), (Vec::new(), 1));
    }

    #[test]
    fn digests() {
        let mut d = Digest::default();
        let mut a = e("a.example", 1, "192.0.2.1", 5, 9, Some(3));
        a.add_source("dnsdb");
        a.add_source("circl");
        d.add(&a);
        d.add(&e("a.example", 2, "ns.example", 1, 4, None));
        assert_eq!((d.entries, d.count, d.unknown_counts), (2, 3, 1));
        assert_eq!((d.time_first, d.time_last), (Some(1), Some(9)));
        assert_eq!(d.by_type.get("NS"), Some(&1));
        assert_eq!(d.by_source.get("circl"), Some(&1));
    }
}
