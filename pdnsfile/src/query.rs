//! Queries: what to look up, how to filter it, and the streaming results.
//!
//! Every query yields entries in archive key order (record ids are
//! assigned in key order), so results of several archives can be merged by
//! key without sorting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use fst::automaton::AlwaysMatch;
use fst::Automaton;
use roaring::RoaringBitmap;

use crate::archive::{Archive, Block, NameBlock, V4_LEN, V6_LEN};
use crate::error::{Error, Result};
use crate::name;
use crate::record::Entry;

/// What to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// Every entry.
    All,
    /// One owner name, exactly.
    Name(String),
    /// Owner names at or below a zone: `*.example.com` is
    /// `Subtree { zone: "example.com", include_apex: false }`.
    Subtree {
        /// The zone.
        zone: String,
        /// Whether the zone's own name matches too.
        include_apex: bool,
    },
    /// Owner names starting with a label sequence: `www.example.*` is
    /// `NamePrefix("www.example")`.
    NamePrefix(String),
    /// Owner names matching a regular expression (searched anywhere in the
    /// name unless anchored with `^`/`$`; case-insensitive).
    Regex(String),
    /// Owner names within an edit distance (1 or 2) of a name.
    Fuzzy {
        /// The name to be near.
        name: String,
        /// Maximum Levenshtein distance.
        distance: u8,
    },
    /// Entries whose A or AAAA rdata is this address.
    Ip(IpAddr),
    /// Entries whose A or AAAA rdata falls in a prefix.
    Cidr {
        /// The network address (host bits are ignored).
        addr: IpAddr,
        /// The prefix length.
        prefix: u8,
    },
    /// Entries whose rdata names this name (CNAME, NS, MX, PTR, SRV, SOA,
    /// DNAME and SVCB/HTTPS targets).
    RdataName(String),
    /// Entries whose rdata names a name at or below a zone.
    RdataSubtree {
        /// The zone.
        zone: String,
        /// Whether the zone's own name matches too.
        include_apex: bool,
    },
}

/// The rdata-name prefixes of the query syntax, with the type each one
/// restricts results to (`rdata:` restricts none).
const RDATA_PREFIXES: [(&str, Option<u16>); 4] = [
    ("rdata:", None),
    ("ns:", Some(crate::rrtype::known::NS)),
    ("mx:", Some(crate::rrtype::known::MX)),
    ("cname:", Some(crate::rrtype::known::CNAME)),
];

/// Splits `prefix:rest` off `s` when `prefix` is one of
/// [`RDATA_PREFIXES`], in any case.
fn rdata_prefix(s: &str) -> Option<(&str, Option<u16>)> {
    RDATA_PREFIXES.iter().find_map(|&(p, t)| {
        let head = s.get(..p.len())?;
        head.eq_ignore_ascii_case(p)
            .then(|| s.get(p.len()..).map(|rest| (rest, t)))
            .flatten()
    })
}

impl Query {
    /// Parses the query syntax shared by `pdns query` and the client:
    /// `name`, `*.suffix`, `prefix.*`, `~name` (edit distance 1), `~2name`,
    /// `/regex/`, an IPv4/IPv6 address, a CIDR, `rdata:NAME` and
    /// `rdata:*.suffix`.
    ///
    /// The shortcuts `ns:`, `mx:` and `cname:` are read like `rdata:`;
    /// the type they stand for is returned by [`Query::parse_with_type`]
    /// only, since a `Query` does not carry types (a [`Filter`] does).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuery`] for an empty query, a bad CIDR prefix, or a
    /// name that cannot be normalized.
    pub fn parse(input: &str) -> Result<Query> {
        Query::parse_with_type(input).map(|(q, _)| q)
    }

    /// [`Query::parse`], and the type an `ns:`, `mx:` or `cname:` query
    /// restricts results to (`ns:ns1.evil.example` is the entries of type
    /// NS whose rdata names `ns1.evil.example`; `mx:*.evil.example` the MX
    /// entries pointing below `evil.example`).
    ///
    /// # Errors
    ///
    /// As [`Query::parse`].
    pub fn parse_with_type(input: &str) -> Result<(Query, Option<u16>)> {
        let s = input.trim();
        let bad = |why: &str| Error::InvalidQuery(format!("{s:?}: {why}"));
        if s.is_empty() {
            return Err(bad("empty query"));
        }
        if let Some((rest, rrtype)) = rdata_prefix(s) {
            let rest = rest.trim();
            let q = match rest.strip_prefix("*.") {
                Some(zone) => Query::RdataSubtree {
                    zone: norm(zone)?,
                    include_apex: false,
                },
                None if rest == "*" => Query::RdataSubtree {
                    zone: ".".into(),
                    include_apex: true,
                },
                None if rest.is_empty() => return Err(bad("no name after the prefix")),
                None => Query::RdataName(norm(rest)?),
            };
            return Ok((q, rrtype));
        }
        Query::parse_owner(s).map(|q| (q, None))
    }

    /// The query kinds about owner names and addresses.
    fn parse_owner(s: &str) -> Result<Query> {
        let bad = |why: &str| Error::InvalidQuery(format!("{s:?}: {why}"));
        if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') {
            return Ok(Query::Regex(s[1..s.len() - 1].to_string()));
        }
        if let Some(rest) = s.strip_prefix('~') {
            let (distance, rest) = match rest.as_bytes().first() {
                Some(b'1') => (1, &rest[1..]),
                Some(b'2') => (2, &rest[1..]),
                _ => (1, rest),
            };
            return Ok(Query::Fuzzy {
                name: norm(rest)?,
                distance,
            });
        }
        if let Some((addr, prefix)) = s.split_once('/') {
            if let Ok(addr) = addr.parse::<IpAddr>() {
                let prefix: u8 = prefix.parse().map_err(|_| bad("bad CIDR prefix length"))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                if prefix > max {
                    return Err(bad("CIDR prefix longer than the address"));
                }
                return Ok(Query::Cidr { addr, prefix });
            }
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Query::Ip(ip));
        }
        if s == "*" {
            return Ok(Query::All);
        }
        if let Some(zone) = s.strip_prefix("*.") {
            return Ok(Query::Subtree {
                zone: norm(zone)?,
                include_apex: false,
            });
        }
        if let Some(prefix) = s.strip_suffix(".*") {
            return Ok(Query::NamePrefix(norm(prefix)?));
        }
        Ok(Query::Name(norm(s)?))
    }
}

fn norm(s: &str) -> Result<String> {
    name::normalize(s).map_err(|e| Error::InvalidQuery(format!("{s:?}: {e}")))
}

/// Time fences in the manner of dnsdbq, as four inclusive bounds.
///
/// ```text
///            first_after        first_before
///                 |------ time_first ------|
///                            last_after          last_before
///                                 |---- time_last ----|
/// ```
///
/// "Seen during [a, b]" (overlap, dnsdbq `-A a -B b`) is
/// `last_after: a, first_before: b`; "completely within [a, b]" (dnsdbq
/// `-c`) is `first_after: a, last_before: b`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeFence {
    /// `time_first >= first_after`.
    pub first_after: Option<u64>,
    /// `time_first <= first_before`.
    pub first_before: Option<u64>,
    /// `time_last >= last_after`.
    pub last_after: Option<u64>,
    /// `time_last <= last_before`.
    pub last_before: Option<u64>,
}

impl TimeFence {
    /// Entries seen at some moment in `[a, b]`.
    pub fn overlapping(a: u64, b: u64) -> TimeFence {
        TimeFence {
            last_after: Some(a),
            first_before: Some(b),
            ..TimeFence::default()
        }
    }

    /// Entries seen only within `[a, b]`.
    pub fn within(a: u64, b: u64) -> TimeFence {
        TimeFence {
            first_after: Some(a),
            last_before: Some(b),
            ..TimeFence::default()
        }
    }

    /// Whether no bound is set.
    pub fn is_open(&self) -> bool {
        *self == TimeFence::default()
    }

    /// Whether an entry seen from `first` to `last` passes.
    pub fn matches(&self, first: u64, last: u64) -> bool {
        self.first_after.is_none_or(|t| first >= t)
            && self.first_before.is_none_or(|t| first <= t)
            && self.last_after.is_none_or(|t| last >= t)
            && self.last_before.is_none_or(|t| last <= t)
    }

    /// Whether some entry with `time_first` in `[min_first, max_first]` and
    /// `time_last` in `[min_last, max_last]` could pass (used to skip
    /// blocks and archives).
    pub fn may_match(&self, min_first: u64, max_first: u64, min_last: u64, max_last: u64) -> bool {
        self.first_after.is_none_or(|t| max_first >= t)
            && self.first_before.is_none_or(|t| min_first <= t)
            && self.last_after.is_none_or(|t| max_last >= t)
            && self.last_before.is_none_or(|t| min_last <= t)
    }
}

/// Conditions every result must meet, on top of the query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these types (all when `None`).
    pub types: Option<Vec<u16>>,
    /// Time fences.
    pub fence: TimeFence,
    /// Only entries seen by at least one of these sources (all when
    /// `None`).
    pub sources: Option<Vec<String>>,
}

/// What [`Archive::summarize`] counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Matching entries.
    pub entries: u64,
    /// Sum of their known counts.
    pub count: u64,
    /// Entries whose count is unknown.
    pub unknown_counts: u64,
    /// Earliest `time_first`.
    pub time_first: Option<u64>,
    /// Latest `time_last`.
    pub time_last: Option<u64>,
}

impl Summary {
    pub(crate) fn add(&mut self, first: u64, last: u64, count: Option<u64>) {
        self.entries += 1;
        match count {
            Some(c) => self.count = self.count.saturating_add(c),
            None => self.unknown_counts += 1,
        }
        self.time_first = Some(self.time_first.map_or(first, |t| t.min(first)));
        self.time_last = Some(self.time_last.map_or(last, |t| t.max(last)));
    }

    /// Adds another summary (from another archive).
    pub fn combine(&mut self, o: &Summary) {
        self.entries += o.entries;
        self.count = self.count.saturating_add(o.count);
        self.unknown_counts += o.unknown_counts;
        self.time_first = match (self.time_first, o.time_first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.time_last = match (self.time_last, o.time_last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Where the candidate record ids come from.
enum Source {
    /// Sorted, disjoint record ranges.
    Ranges { ranges: Vec<(u32, u32)>, i: usize },
    /// A set of name ids, turned into record ranges lazily.
    Names {
        ids: roaring::bitmap::IntoIter,
        cur: (u32, u32),
    },
    /// A set of record ids.
    Records(roaring::bitmap::IntoIter, Option<u32>),
}

impl Source {
    /// The next candidate record id, not consumed.
    fn peek(&mut self, a: &Archive) -> Result<Option<u32>> {
        match self {
            Source::Ranges { ranges, i } => {
                while let Some(&(s, e)) = ranges.get(*i) {
                    if s < e {
                        return Ok(Some(s));
                    }
                    *i += 1;
                }
                Ok(None)
            }
            Source::Names { ids, cur } => loop {
                if cur.0 < cur.1 {
                    return Ok(Some(cur.0));
                }
                match ids.next() {
                    None => return Ok(None),
                    Some(id) => *cur = a.name_records(id)?,
                }
            },
            Source::Records(it, head) => {
                if head.is_none() {
                    *head = it.next();
                }
                Ok(*head)
            }
        }
    }

    /// Consumes every candidate below `end`.
    fn skip_to(&mut self, end: u32) {
        match self {
            Source::Ranges { ranges, i } => {
                if let Some(r) = ranges.get_mut(*i) {
                    r.0 = r.0.max(end).min(r.1);
                }
            }
            Source::Names { cur, .. } => cur.0 = cur.0.max(end).min(cur.1),
            Source::Records(it, head) => {
                if head.is_some_and(|h| h < end) {
                    *head = None;
                    it.advance_to(end);
                }
            }
        }
    }
}

struct Compiled {
    types: Option<Vec<u16>>,
    fence: TimeFence,
    /// Source ids allowed, when filtering by source.
    sources: Option<Vec<u16>>,
}

/// The results of a query on one archive, in key order.
///
/// Holds at most one decoded record block and one name block; memory does
/// not grow with the number of results.
pub struct Matches<'a> {
    archive: &'a Archive,
    source: Source,
    filter: Compiled,
    block: Option<Block>,
    names: Option<NameBlock>,
    known_name: Option<(u32, String)>,
}

impl<'a> Matches<'a> {
    fn new(archive: &'a Archive, source: Source, filter: &Filter) -> Matches<'a> {
        let sources = filter.sources.as_ref().map(|want| {
            archive
                .sources()
                .iter()
                .enumerate()
                .filter(|(_, l)| want.iter().any(|w| w == *l))
                .map(|(i, _)| i as u16)
                .collect()
        });
        Matches {
            archive,
            source,
            filter: Compiled {
                types: filter.types.clone(),
                fence: filter.fence,
                sources,
            },
            block: None,
            names: None,
            known_name: None,
        }
    }

    /// Advances to the next matching record; returns its index in the
    /// current block.
    fn next_match(&mut self) -> Result<Option<usize>> {
        let a = self.archive;
        loop {
            let Some(rid) = self.source.peek(a)? else {
                return Ok(None);
            };
            let covered = self.block.as_ref().is_some_and(|b| {
                rid >= b.first_record && ((rid - b.first_record) as usize) < b.len()
            });
            if !covered {
                let bi = a.block_of(rid)?;
                let info = a.block_info(bi)?;
                if !self.filter.fence.may_match(
                    info.min_first,
                    info.max_first,
                    info.min_last,
                    info.max_last,
                ) {
                    // Saturating: a crafted index can claim any count.
                    self.source
                        .skip_to(info.first_record.saturating_add(info.records));
                    continue;
                }
                self.block = Some(a.decode_block(bi)?);
            }
            self.source.skip_to(rid + 1);
            let Some(b) = &self.block else { continue };
            let i = (rid - b.first_record) as usize;
            let f = &self.filter;
            if let Some(types) = &f.types {
                if !b.types.get(i).is_some_and(|t| types.contains(t)) {
                    continue;
                }
            }
            let (tf, tl) = (
                b.time_first.get(i).copied().unwrap_or(0),
                b.time_last.get(i).copied().unwrap_or(0),
            );
            if !f.fence.matches(tf, tl) {
                continue;
            }
            if let Some(allowed) = &f.sources {
                let set = a.source_set(b.sets.get(i).copied().unwrap_or(0));
                if !set.iter().any(|s| allowed.contains(s)) {
                    continue;
                }
            }
            return Ok(Some(i));
        }
    }

    fn name_of(&mut self, id: u32) -> Result<String> {
        if let Some((k, n)) = &self.known_name {
            if *k == id {
                return Ok(n.clone());
            }
        }
        let per = self.archive.names_per_block();
        let b = id / per;
        if self.names.as_ref().is_none_or(|nb| nb.index != b) {
            self.names = Some(self.archive.decode_name_block(id)?);
        }
        self.names
            .as_ref()
            .and_then(|nb| nb.keys.get((id - b * per) as usize))
            .map(|k| name::from_reversed_key(k))
            .ok_or(Error::corrupt("NAME_TABLE", "short block"))
    }

    /// Counts what is left without building entries.
    ///
    /// # Errors
    ///
    /// Corruption found while reading.
    pub fn summarize(mut self) -> Result<Summary> {
        let mut s = Summary::default();
        while let Some(i) = self.next_match()? {
            if let Some(b) = &self.block {
                s.add(
                    b.time_first.get(i).copied().unwrap_or(0),
                    b.time_last.get(i).copied().unwrap_or(0),
                    b.count.get(i).copied().flatten(),
                );
            }
        }
        Ok(s)
    }
}

impl Iterator for Matches<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        let i = match self.next_match() {
            Ok(Some(i)) => i,
            Ok(None) => return None,
            Err(e) => {
                // Stop after an error: a corrupt block must not loop.
                self.source = Source::Ranges {
                    ranges: Vec::new(),
                    i: 0,
                };
                return Some(Err(e));
            }
        };
        let name_id = self.block.as_ref().and_then(|b| b.names.get(i).copied())?;
        let rrname = match self.name_of(name_id) {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        let b = self.block.as_ref()?;
        Some(Ok(self.archive.entry_of(b, i, rrname)))
    }
}

impl Archive {
    /// Runs a query; results stream in key order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuery`] for a regex or fuzzy query that cannot be
    /// compiled; corruption found while locating the results. Errors met
    /// while streaming come as `Err` items.
    pub fn query(&self, q: &Query, filter: &Filter) -> Result<Matches<'_>> {
        let mut known_name = None;
        let source = match q {
            Query::All => Source::Ranges {
                ranges: vec![(0, self.record_count())],
                i: 0,
            },
            Query::Name(n) => {
                let n = name::normalize(n)?;
                match self.lookup_name(&n)? {
                    Some(id) => {
                        known_name = Some((id, n));
                        Source::Ranges {
                            ranges: vec![self.name_records(id)?],
                            i: 0,
                        }
                    }
                    None => empty(),
                }
            }
            Query::Subtree { zone, include_apex } => {
                let zone = name::normalize(zone)?;
                match self.subtree_ids(&zone, *include_apex)? {
                    Some((lo, hi)) => {
                        let (s, _) = self.name_records(lo)?;
                        let (_, e) = self.name_records(hi - 1)?;
                        Source::Ranges {
                            ranges: vec![(s, e)],
                            i: 0,
                        }
                    }
                    None => empty(),
                }
            }
            Query::NamePrefix(p) => {
                let p = name::normalize(p)?;
                let mut key = p.into_bytes();
                key.push(b'.');
                self.fwd_search(&AlwaysMatch, &key, successor(&key).as_deref())?
            }
            Query::Regex(re) => {
                let aut = crate::regex::RegexAutomaton::new(re)?;
                self.fwd_search(&aut, b"", None)?
            }
            Query::Fuzzy { name: n, distance } => {
                let n = name::normalize(n)?;
                if *distance == 0 {
                    return self.query(&Query::Name(n), filter);
                }
                let lev = fst::automaton::Levenshtein::new(&n, u32::from((*distance).min(2)))
                    .map_err(|e| Error::InvalidQuery(format!("fuzzy {n}: {e}")))?;
                self.fwd_search(&lev, b"", None)?
            }
            Query::Ip(ip) => {
                let (addr, prefix) = (*ip, if ip.is_ipv4() { 32 } else { 128 });
                Source::Records(self.cidr_postings(addr, prefix)?.into_iter(), None)
            }
            Query::Cidr { addr, prefix } => {
                Source::Records(self.cidr_postings(*addr, *prefix)?.into_iter(), None)
            }
            Query::RdataName(n) => {
                let n = name::normalize(n)?;
                let bm = match self.rdata_names.get(&name::reversed_key(&n))? {
                    Some(ptr) => self.posting(ptr)?,
                    None => RoaringBitmap::new(),
                };
                Source::Records(bm.into_iter(), None)
            }
            Query::RdataSubtree { zone, include_apex } => {
                let zone = name::normalize(zone)?;
                let key = name::reversed_key(&zone);
                let mut union = self.posting_union();
                let to = successor(&key);
                self.rdata_names
                    .walk(&AlwaysMatch, &key, to.as_deref(), |k, ptr| {
                        if *include_apex || k != key.as_slice() {
                            union.add(self, ptr)?;
                        }
                        Ok(true)
                    })?;
                Source::Records(union.into_ids().into_iter(), None)
            }
        };
        let mut m = Matches::new(self, source, filter);
        m.known_name = known_name;
        Ok(m)
    }

    /// Counts the matches of a query and their time span, without building
    /// entries.
    ///
    /// # Errors
    ///
    /// As [`Archive::query`], plus corruption met while counting.
    pub fn summarize(&self, q: &Query, filter: &Filter) -> Result<Summary> {
        self.query(q, filter)?.summarize()
    }

    /// The names of NAMES_FWD in `[from, to)` that `aut` matches.
    fn fwd_search<A: Automaton>(&self, aut: &A, from: &[u8], to: Option<&[u8]>) -> Result<Source> {
        let mut ids = RoaringBitmap::new();
        self.names_fwd.walk(aut, from, to, |k, _| {
            // NAMES_FWD holds names only; their ids come from NAMES_REV.
            let n = String::from_utf8_lossy(k);
            match self.names_rev.get(&name::reversed_key(&n))? {
                Some(v) => {
                    ids.insert(self.checked_name_id(v, "NAMES_REV")?);
                    Ok(true)
                }
                None => Err(Error::corrupt(
                    "NAMES_FWD",
                    "holds a name NAMES_REV does not",
                )),
            }
        })?;
        Ok(names_source(ids))
    }

    /// A name id read from a name index, checked against the name count
    /// (an index value is 64 bits; truncating it would pick a wrong name).
    fn checked_name_id(&self, v: u64, section: &'static str) -> Result<u32> {
        u32::try_from(v)
            .ok()
            .filter(|&id| id < self.name_count())
            .ok_or_else(|| Error::corrupt(section, format!("name id {v} out of range")))
    }

    /// The name id range `[lo, hi)` at or below `zone`.
    pub(crate) fn subtree_ids(&self, zone: &str, include_apex: bool) -> Result<Option<(u32, u32)>> {
        let prefix = name::reversed_key(zone);
        let first = |from: &[u8]| -> Result<Option<(Vec<u8>, u32)>> {
            let mut found = None;
            self.names_rev.walk(&AlwaysMatch, from, None, |k, v| {
                found = Some((k.to_vec(), self.checked_name_id(v, "NAMES_REV")?));
                Ok(false)
            })?;
            Ok(found)
        };
        let Some((k, mut lo)) = first(&prefix)? else {
            return Ok(None);
        };
        if !k.starts_with(&prefix) {
            return Ok(None);
        }
        if !include_apex && k == prefix {
            lo += 1; // lo < name_count: no overflow
        }
        let hi = match successor(&prefix) {
            Some(succ) => first(&succ)?.map_or(self.name_count(), |(_, v)| v),
            None => self.name_count(),
        };
        if lo >= hi || hi > self.name_count() {
            return Ok(None);
        }
        Ok(Some((lo, hi)))
    }

    /// The union of the postings of every address in `addr/prefix`.
    fn cidr_postings(&self, addr: IpAddr, prefix: u8) -> Result<RoaringBitmap> {
        let (table, width, lo, hi): (&[u8], usize, Vec<u8>, Vec<u8>) = match addr {
            IpAddr::V4(a) => {
                let p = u32::from(prefix.min(32));
                let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                let lo = u32::from(a) & mask;
                let hi = lo | !mask;
                (
                    &self.ipv4,
                    V4_LEN,
                    lo.to_be_bytes().to_vec(),
                    hi.to_be_bytes().to_vec(),
                )
            }
            IpAddr::V6(a) => {
                let p = u32::from(prefix.min(128));
                let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                let lo = u128::from(a) & mask;
                let hi = lo | !mask;
                (
                    &self.ipv6,
                    V6_LEN,
                    lo.to_be_bytes().to_vec(),
                    hi.to_be_bytes().to_vec(),
                )
            }
        };
        let alen = width - 8;
        let n = table.len() / width;
        let key = |i: usize| table.get(i * width..i * width + alen).unwrap_or_default();
        // Lower bound of `lo`.
        let (mut l, mut h) = (0usize, n);
        while l < h {
            let m = l + (h - l) / 2;
            if key(m) < lo.as_slice() {
                l = m + 1;
            } else {
                h = m;
            }
        }
        let what = if width == V4_LEN { "IPV4" } else { "IPV6" };
        let mut union = self.posting_union();
        let mut prev: Option<&[u8]> = None;
        for i in l..n {
            let k = key(i);
            if k > hi.as_slice() {
                break;
            }
            if prev.is_some_and(|p| p >= k) {
                return Err(Error::corrupt(what, "address table is not sorted"));
            }
            prev = Some(k);
            let ptr = crate::archive::read_u64(
                table
                    .get(i * width + alen..(i + 1) * width)
                    .unwrap_or_default(),
                0,
                what,
            )?;
            union.add(self, ptr)?;
        }
        Ok(union.into_ids())
    }

    /// Iterates every IPv4 address in the archive with its entry count.
    pub fn ipv4_addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.ipv4
            .chunks_exact(V4_LEN)
            .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
    }

    /// Iterates every IPv6 address in the archive.
    pub fn ipv6_addresses(&self) -> impl Iterator<Item = Ipv6Addr> + '_ {
        self.ipv6.chunks_exact(V6_LEN).map(|c| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&c[..16]);
            Ipv6Addr::from(a)
        })
    }
}

fn empty() -> Source {
    Source::Ranges {
        ranges: Vec::new(),
        i: 0,
    }
}

fn names_source(ids: RoaringBitmap) -> Source {
    Source::Names {
        ids: ids.into_iter(),
        cur: (0, 0),
    }
}

/// The smallest key greater than every key starting with `prefix`.
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xff {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_queries() {
        let p = |s| Query::parse(s).unwrap();
        assert_eq!(p("WWW.Example.com."), Query::Name("www.example.com".into()));
        assert_eq!(
            p("*.example.com"),
            Query::Subtree {
                zone: "example.com".into(),
                include_apex: false
            }
        );
        assert_eq!(p("www.example.*"), Query::NamePrefix("www.example".into()));
        assert_eq!(
            p("~2paypal.com"),
            Query::Fuzzy {
                name: "paypal.com".into(),
                distance: 2
            }
        );
        assert_eq!(
            p("~paypal.com"),
            Query::Fuzzy {
                name: "paypal.com".into(),
                distance: 1
            }
        );
        assert_eq!(p("/^a.*b$/"), Query::Regex("^a.*b$".into()));
        assert_eq!(p("192.0.2.1"), Query::Ip("192.0.2.1".parse().unwrap()));
        assert_eq!(
            p("192.0.2.0/24"),
            Query::Cidr {
                addr: "192.0.2.0".parse().unwrap(),
                prefix: 24
            }
        );
        assert_eq!(
            p("rdata:NS1.Evil.example"),
            Query::RdataName("ns1.evil.example".into())
        );
        assert!(Query::parse("10.0.0.0/33").is_err());
        assert!(Query::parse("").is_err());
    }

    #[test]
    fn parses_rdata_shortcuts() {
        use crate::rrtype::known;
        let p = |s| Query::parse_with_type(s).unwrap();
        assert_eq!(
            p("ns:NS1.Evil.example."),
            (Query::RdataName("ns1.evil.example".into()), Some(known::NS))
        );
        assert_eq!(
            p("MX:*.evil.example"),
            (
                Query::RdataSubtree {
                    zone: "evil.example".into(),
                    include_apex: false
                },
                Some(known::MX)
            )
        );
        assert_eq!(
            p("cname:cdn.example.net"),
            (
                Query::RdataName("cdn.example.net".into()),
                Some(known::CNAME)
            )
        );
        assert_eq!(
            p("rdata:*"),
            (
                Query::RdataSubtree {
                    zone: ".".into(),
                    include_apex: true
                },
                None
            )
        );
        assert_eq!(
            p("rdata:*.evil.example"),
            (
                Query::RdataSubtree {
                    zone: "evil.example".into(),
                    include_apex: false
                },
                None
            )
        );
        // parse reads the shortcut and drops the type.
        assert_eq!(
            Query::parse("ns:ns1.evil.example").unwrap(),
            Query::RdataName("ns1.evil.example".into())
        );
        assert_eq!(
            p("www.example.com"),
            (Query::Name("www.example.com".into()), None)
        );
        assert!(Query::parse_with_type("ns:").is_err());
        assert!(Query::parse_with_type("mx:  ").is_err());
    }

    #[test]
    fn fences() {
        let f = TimeFence::overlapping(10, 20);
        assert!(f.matches(5, 10));
        assert!(f.matches(20, 30));
        assert!(!f.matches(21, 30));
        assert!(!f.matches(1, 9));
        let w = TimeFence::within(10, 20);
        assert!(w.matches(10, 20));
        assert!(!w.matches(9, 20));
        assert!(!w.matches(10, 21));
    }
}
