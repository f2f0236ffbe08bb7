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
use crate::format::Kind;
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

/// What every record an index hands a query must be.
///
/// The indexes point into the record blocks by record id, and readers do
/// not check their checksums per query (spec 12.2: opening stays cheap).
/// A damaged index would point at other records and the query would
/// return them as the answer. The records themselves are a cheap witness:
/// one that does not answer the question means the archive is damaged,
/// which is reported instead of returned.
enum Expect {
    /// No index was used (the whole archive).
    Any,
    /// The records of the names with ids in `[lo, hi)`, which are exactly
    /// the records `[first, end)` (name, subtree); `confirm` holds the
    /// records just outside that range whose blocks are yet to be seen.
    Names {
        lo: u32,
        hi: u32,
        first: u32,
        end: u32,
        confirm: RoaringBitmap,
    },
    /// Records of these name ids (forward-name searches), with the records
    /// just outside each run of consecutive ids yet to be seen.
    NameIds {
        ids: RoaringBitmap,
        confirm: RoaringBitmap,
    },
    /// A (`v6` false) or AAAA records whose address is in `[lo, hi]`.
    Address { v6: bool, lo: u128, hi: u128 },
    /// Records whose rdata names the name with reversed key `key` or, for
    /// a subtree, a name below it (or at it with `apex`).
    RdataName {
        key: Vec<u8>,
        subtree: bool,
        apex: bool,
    },
}

/// A name check for forward-name searches: the name NAMES_REV gave an id
/// for must be one the search matched.
type NameCheck = Box<dyn Fn(&str) -> bool>;

impl Expect {
    /// Checks a newly decoded block against what the query expects of
    /// the records of names: inside a name's record range exactly the
    /// records of that name. This catches a damaged NAME_RECORDS or
    /// BLOCK_INDEX that shortens a range as well as one that widens it.
    fn check_block(&mut self, a: &Archive, b: &Block) -> Result<()> {
        let range = |i: usize| b.first_record.saturating_add(i as u32);
        match self {
            Expect::NameIds { ids, confirm } => {
                // A shortened range is seen in the blocks decoded: a
                // record of a name asked for outside that name's range.
                for (j, &id) in b.names.iter().enumerate() {
                    if ids.contains(id) {
                        let (s, e) = a.name_records(id)?;
                        if !(s..e).contains(&range(j)) {
                            return Err(Error::corrupt(
                                "NAME_RECORDS",
                                format!(
                                    "record {} belongs to name {id}, but is not in its record range",
                                    range(j)
                                ),
                            ));
                        }
                    }
                }
                confirm.remove_range(b.first_record..range(b.len()));
                Ok(())
            }
            Expect::Names {
                lo,
                hi,
                first,
                end,
                confirm,
            } => {
                for (j, &id) in b.names.iter().enumerate() {
                    let rid = range(j);
                    if (*first..*end).contains(&rid) != (*lo..*hi).contains(&id) {
                        return Err(Error::corrupt(
                            "NAME_RECORDS",
                            format!(
                                "record {rid} belongs to name {id}, but the index gives the records of names {lo}..{hi} as {first}..{end}"
                            ),
                        ));
                    }
                }
                confirm.remove_range(b.first_record..range(b.len()));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// At the end of a name range: checks the records just outside it
    /// whose blocks were not decoded (the range ends at a block's edge,
    /// or a time fence skipped the block). A range shortened there would
    /// otherwise lose records without a trace.
    ///
    /// A search matching many scattered names under a time fence can leave
    /// many such records; once they have cost about what the CRC of
    /// NAME_RECORDS costs, that CRC vouches for every range instead.
    fn check_edges(&mut self, a: &Archive) -> Result<()> {
        loop {
            let (Expect::Names { confirm, .. } | Expect::NameIds { confirm, .. }) = self else {
                return Ok(());
            };
            let Some(rid) = confirm.min() else {
                return Ok(());
            };
            if a.trusted(Kind::NameRecords)? {
                confirm.clear();
                return Ok(());
            }
            confirm.remove(rid);
            let b = a.decode_block(a.block_of(rid)?)?;
            // Drops the other records of this block from `confirm` too.
            self.check_block(a, &b)?;
        }
    }

    /// Checks that record `i` of the current block answers the query.
    fn check_record(&self, b: &Block, i: usize, buf: &mut Vec<u8>) -> Result<()> {
        let rid = b.first_record.saturating_add(i as u32);
        match self {
            Expect::Any | Expect::Names { .. } => Ok(()),
            Expect::NameIds { ids, .. } => {
                let id = b.names.get(i).copied().unwrap_or(u32::MAX);
                if ids.contains(id) {
                    Ok(())
                } else {
                    Err(Error::corrupt(
                        "NAME_RECORDS",
                        format!(
                            "record {rid} belongs to name {id}, which the search did not match"
                        ),
                    ))
                }
            }
            Expect::Address { v6, lo, hi } => {
                let rd = b.rdata_bytes(i);
                let t = b.types.get(i).copied().unwrap_or(0);
                let addr = match (*v6, t, rd.len()) {
                    (false, crate::rrtype::known::A, 4) => {
                        let mut a = [0u8; 4];
                        a.copy_from_slice(rd);
                        Some(u128::from(u32::from_be_bytes(a)))
                    }
                    (true, crate::rrtype::known::AAAA, 16) => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(rd);
                        Some(u128::from_be_bytes(a))
                    }
                    _ => None,
                };
                if addr.is_some_and(|a| (*lo..=*hi).contains(&a)) {
                    Ok(())
                } else {
                    Err(Error::corrupt(
                        if *v6 { "IPV6" } else { "IPV4" },
                        format!("the address index gives record {rid}, whose rdata is not an address asked for"),
                    ))
                }
            }
            Expect::RdataName { key, subtree, apex } => {
                let t = b.types.get(i).copied().unwrap_or(0);
                let text = std::str::from_utf8(b.rdata_bytes(i)).unwrap_or_default();
                let mut found = false;
                crate::record::for_each_rdata_name(t, text, |target| {
                    buf.clear();
                    name::reversed_key_into(target, buf);
                    found |= if *subtree {
                        buf.starts_with(key) && (*apex || buf != key)
                    } else {
                        buf == key
                    };
                });
                if found {
                    Ok(())
                } else {
                    Err(Error::corrupt(
                        "RDATA_NAMES",
                        format!("the rdata-name index gives record {rid}, whose rdata does not name what was asked"),
                    ))
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
    expect: Expect,
    name_check: Option<NameCheck>,
    /// The last name id `check_name` saw.
    checked_name: Option<u32>,
    /// Reused by the rdata-name check.
    key_buf: Vec<u8>,
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
            expect: Expect::Any,
            name_check: None,
            checked_name: None,
            key_buf: Vec::new(),
        }
    }

    /// Advances to the next matching record; returns its index in the
    /// current block.
    fn next_match(&mut self) -> Result<Option<usize>> {
        let a = self.archive;
        loop {
            let Some(rid) = self.source.peek(a)? else {
                self.expect.check_edges(a)?;
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
                    // Skipping on the index's word alone: check that word.
                    a.check_time_index()?;
                    // Saturating: a crafted index can claim any count.
                    self.source
                        .skip_to(info.first_record.saturating_add(info.records));
                    continue;
                }
                let b = a.decode_block(bi)?;
                self.expect.check_block(a, &b)?;
                self.block = Some(b);
            }
            self.source.skip_to(rid + 1);
            let Some(b) = &self.block else { continue };
            let i = (rid - b.first_record) as usize;
            self.expect.check_record(b, i, &mut self.key_buf)?;
            if self.name_check.is_some() {
                let id = b.names.get(i).copied().unwrap_or(u32::MAX);
                self.check_name(id)?;
            }
            // Again: `check_name` needed all of `self`.
            let Some(b) = &self.block else { continue };
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

    /// For a forward-name search: checks, once a name, that name `id` is
    /// one the search matched. A damaged NAMES_REV can give a matched name
    /// another name's id. The name is kept for the entries that follow.
    fn check_name(&mut self, id: u32) -> Result<()> {
        if self.checked_name == Some(id) {
            return Ok(());
        }
        self.checked_name = Some(id);
        if self.archive.trusted(Kind::NamesReversed)? {
            return Ok(());
        }
        let n = self.name_of(id)?;
        if self.name_check.as_ref().is_some_and(|f| !f(&n)) {
            return Err(Error::corrupt(
                "NAMES_REV",
                format!("the name index gives id {id} for a name the search matched, but the name table holds another name there"),
            ));
        }
        self.known_name = Some((id, n));
        Ok(())
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
            .and_then(|nb| nb.key((id - b * per) as usize))
            .map(name::from_reversed_key)
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
                // Stop after an error: a corrupt block must not loop, nor
                // the checks left for the end report again.
                self.source = empty();
                self.expect = Expect::Any;
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
        let mut name_check: Option<NameCheck> = None;
        let (source, expect) = match q {
            Query::All => (
                Source::Ranges {
                    ranges: vec![(0, self.record_count())],
                    i: 0,
                },
                Expect::Any,
            ),
            Query::Name(n) => {
                let n = name::normalize(n)?;
                match self.lookup_name(&n)? {
                    Some(id) => {
                        // The answer is labelled with the name asked, not
                        // the one stored: check that NAMES_REV gave its id.
                        if !self.trusted(Kind::NamesReversed)? {
                            self.check_name_key(id, &name::reversed_key(&n))?;
                        }
                        known_name = Some((id, n));
                        self.name_range_source(id, id + 1)?
                    }
                    // NAMES_FWD holds the same names: a name it has and
                    // NAMES_REV lacks is damage, not an empty answer.
                    None if self.names_fwd.get(n.as_bytes())?.is_some() => {
                        return Err(Error::corrupt(
                            "NAMES_REV",
                            "a name of NAMES_FWD is missing from NAMES_REV",
                        ))
                    }
                    None => (empty(), Expect::Any),
                }
            }
            Query::Subtree { zone, include_apex } => {
                let zone = name::normalize(zone)?;
                match self.subtree_ids(&zone, *include_apex)? {
                    Some((lo, hi)) => {
                        if !self.trusted(Kind::NamesReversed)? {
                            let key = name::reversed_key(&zone);
                            self.check_subtree_ids(&key, *include_apex, lo, hi)?;
                        }
                        self.name_range_source(lo, hi)?
                    }
                    None => {
                        if !self.trusted(Kind::NamesReversed)? {
                            let key = name::reversed_key(&zone);
                            self.check_subtree_miss(&key, *include_apex)?;
                        }
                        (empty(), Expect::Any)
                    }
                }
            }
            Query::NamePrefix(p) => {
                let p = name::normalize(p)?;
                let mut key = p.into_bytes();
                key.push(b'.');
                let to = successor(&key);
                let src = self.fwd_search(&AlwaysMatch, &key, to.as_deref())?;
                name_check = Some(Box::new(move |n: &str| n.as_bytes().starts_with(&key)));
                src
            }
            Query::Regex(re) => {
                let aut = crate::regex::RegexAutomaton::new(re)?;
                let src = self.fwd_search(&aut, b"", None)?;
                name_check = Some(Box::new(move |n: &str| accepts(&aut, n.as_bytes())));
                src
            }
            Query::Fuzzy { name: n, distance } => {
                let n = name::normalize(n)?;
                if *distance == 0 {
                    return self.query(&Query::Name(n), filter);
                }
                let lev = fst::automaton::Levenshtein::new(&n, u32::from((*distance).min(2)))
                    .map_err(|e| Error::InvalidQuery(format!("fuzzy {n}: {e}")))?;
                let src = self.fwd_search(&lev, b"", None)?;
                name_check = Some(Box::new(move |n: &str| accepts(&lev, n.as_bytes())));
                src
            }
            Query::Ip(ip) => {
                let prefix = if ip.is_ipv4() { 32 } else { 128 };
                self.cidr_source(*ip, prefix)?
            }
            Query::Cidr { addr, prefix } => self.cidr_source(*addr, *prefix)?,
            Query::RdataName(n) => {
                let key = name::reversed_key(&name::normalize(n)?);
                // Every lookup counts towards the CRC, which alone can
                // vouch for the hits a damaged FST would miss.
                let trusted = self.trusted(Kind::RdataNames)?;
                let bm = match self.rdata_names.get(&key)? {
                    Some(ptr) => self.posting(ptr)?,
                    None => {
                        if !trusted {
                            self.check_rdata_successor(&key)?;
                        }
                        RoaringBitmap::new()
                    }
                };
                (
                    Source::Records(bm.into_iter(), None),
                    Expect::RdataName {
                        key,
                        subtree: false,
                        apex: true,
                    },
                )
            }
            Query::RdataSubtree { zone, include_apex } => {
                let zone = name::normalize(zone)?;
                let key = name::reversed_key(&zone);
                // Nothing per answer sees a key or a record these two
                // sections lose here; their CRCs, once enough queries
                // have asked, do.
                let trusted = self.trusted(Kind::RdataNames)?;
                self.trusted(Kind::Postings)?;
                let mut union = self.posting_union();
                let to = successor(&key);
                self.rdata_names
                    .walk(&AlwaysMatch, &key, to.as_deref(), |k, ptr| {
                        if *include_apex || k != key.as_slice() {
                            union.add(self, ptr)?;
                        }
                        Ok(true)
                    })?;
                if let (Some(to), false) = (&to, trusted) {
                    self.check_rdata_successor(to)?;
                }
                (
                    Source::Records(union.into_ids().into_iter(), None),
                    Expect::RdataName {
                        key,
                        subtree: true,
                        apex: *include_apex,
                    },
                )
            }
        };
        let mut m = Matches::new(self, source, filter);
        m.known_name = known_name;
        m.expect = expect;
        m.name_check = name_check;
        Ok(m)
    }

    /// The records of the names `[lo, hi)`, which NAME_RECORDS gives as
    /// one range, and what each decoded block must then hold.
    fn name_range_source(&self, lo: u32, hi: u32) -> Result<(Source, Expect)> {
        let (first, _) = self.name_records(lo)?;
        let (_, end) = self.name_records(hi - 1)?;
        Ok((
            Source::Ranges {
                ranges: vec![(first, end)],
                i: 0,
            },
            Expect::Names {
                lo,
                hi,
                first,
                end,
                confirm: self.edges(first, end).collect(),
            },
        ))
    }

    /// The records just outside `[first, end)`.
    fn edges(&self, first: u32, end: u32) -> impl Iterator<Item = u32> {
        [
            first.checked_sub(1),
            (end < self.record_count()).then_some(end),
        ]
        .into_iter()
        .flatten()
    }

    /// The A or AAAA records in `addr/prefix`.
    fn cidr_source(&self, addr: IpAddr, prefix: u8) -> Result<(Source, Expect)> {
        let (v6, lo, hi) = cidr_bounds(addr, prefix);
        let ids = self.cidr_postings(v6, lo, hi)?;
        Ok((
            Source::Records(ids.into_iter(), None),
            Expect::Address { v6, lo, hi },
        ))
    }

    /// The reversed key of name `id`, from the name table.
    fn name_key(&self, id: u32) -> Result<Vec<u8>> {
        let nb = self.decode_name_block(id)?;
        let at = id - nb.index * self.names_per_block();
        nb.key(at as usize)
            .map(<[u8]>::to_vec)
            .ok_or(Error::corrupt("NAME_TABLE", "short block"))
    }

    /// Checks the ids `[lo, hi)` NAMES_REV gave for the subtree at reversed
    /// key `prefix` against the name table: the names at both ends are in
    /// the subtree and their neighbours are not (but for the apex left
    /// out), so a damaged NAMES_REV can neither move nor clip the range.
    fn check_subtree_ids(&self, prefix: &[u8], apex: bool, lo: u32, hi: u32) -> Result<()> {
        let inside = |id: u32| -> Result<bool> {
            let k = self.name_key(id)?;
            Ok(k.starts_with(prefix) && (apex || k != prefix))
        };
        let ok = inside(lo)?
            && inside(hi - 1)?
            && (lo == 0 || !inside(lo - 1)?)
            && (hi >= self.name_count() || !inside(hi)?);
        if ok {
            Ok(())
        } else {
            Err(Error::corrupt(
                "NAMES_REV",
                format!("the name index gives ids {lo}..{hi} for a zone, which the name table does not agree with"),
            ))
        }
    }

    /// After NAMES_REV found no name in the subtree at reversed key
    /// `prefix`: the name table must agree where the subtree would be,
    /// just before and at the first key NAMES_REV has after `prefix`.
    fn check_subtree_miss(&self, prefix: &[u8], apex: bool) -> Result<()> {
        let mut at = self.name_count();
        let mut found = None;
        self.names_rev.walk(&AlwaysMatch, prefix, None, |k, v| {
            at = self.checked_name_id(v, "NAMES_REV")?;
            found = Some(k.to_vec());
            Ok(false)
        })?;
        if let Some(k) = found {
            self.check_name_key(at, &k)?;
        }
        for id in [
            at.checked_sub(1),
            Some(at).filter(|&i| i < self.name_count()),
        ]
        .into_iter()
        .flatten()
        {
            let k = self.name_key(id)?;
            if k.starts_with(prefix) && (apex || k != prefix) {
                return Err(Error::corrupt(
                    "NAMES_REV",
                    format!("finds no name in a zone, but the name table holds one at id {id}"),
                ));
            }
        }
        Ok(())
    }

    /// Checks that name `id` is stored with reversed key `key`: a damaged
    /// NAMES_REV can map a name to another name's id.
    fn check_name_key(&self, id: u32, key: &[u8]) -> Result<()> {
        if self.name_key(id)? == key {
            Ok(())
        } else {
            Err(Error::corrupt(
                "NAMES_REV",
                format!(
                    "the name index gives id {id}, which the name table holds for another name"
                ),
            ))
        }
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
    fn fwd_search<A: Automaton>(
        &self,
        aut: &A,
        from: &[u8],
        to: Option<&[u8]>,
    ) -> Result<(Source, Expect)> {
        // Nothing per answer sees a name a damaged NAMES_FWD loses; its
        // CRC, once enough searches have asked, does.
        self.trusted(Kind::NamesForward)?;
        let mut ids = RoaringBitmap::new();
        self.names_fwd.walk(aut, from, to, |k, _| {
            // NAMES_FWD holds names only; their ids come from NAMES_REV.
            let n = String::from_utf8_lossy(k);
            match self.names_rev.get(&name::reversed_key(&n))? {
                Some(v) => {
                    if ids.insert(self.checked_name_id(v, "NAMES_REV")?) {
                        Ok(true)
                    } else {
                        Err(Error::corrupt(
                            "NAMES_REV",
                            format!("two names have id {v}"),
                        ))
                    }
                }
                None => Err(Error::corrupt(
                    "NAMES_FWD",
                    "holds a name NAMES_REV does not",
                )),
            }
        })?;
        // The records around each run of consecutive ids.
        let mut confirm = RoaringBitmap::new();
        let mut run: Option<(u32, u32)> = None;
        for id in ids.iter().chain([u32::MAX]) {
            match run {
                Some((lo, hi)) if hi == id => run = Some((lo, hi + 1)),
                _ => {
                    if let Some((lo, hi)) = run {
                        let (first, _) = self.name_records(lo)?;
                        let (_, end) = self.name_records(hi - 1)?;
                        confirm.extend(self.edges(first, end));
                    }
                    run = Some((id, id.saturating_add(1)));
                }
            }
        }
        Ok((names_source(ids.clone()), Expect::NameIds { ids, confirm }))
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

    /// The union of the postings of every address in `[lo, hi]` of the
    /// IPv4 (`v6` false) or IPv6 table.
    fn cidr_postings(&self, v6: bool, lo: u128, hi: u128) -> Result<RoaringBitmap> {
        let (table, width, lo, hi): (&[u8], usize, Vec<u8>, Vec<u8>) = if v6 {
            (
                &self.ipv6,
                V6_LEN,
                lo.to_be_bytes().to_vec(),
                hi.to_be_bytes().to_vec(),
            )
        } else {
            // Both bounds are IPv4 addresses here: the cut keeps their value.
            (
                &self.ipv4,
                V4_LEN,
                (lo as u32).to_be_bytes().to_vec(),
                (hi as u32).to_be_bytes().to_vec(),
            )
        };
        let alen = width - 8;
        let n = table.len() / width;
        let key = |i: usize| table.get(i * width..i * width + alen).unwrap_or_default();
        let what = if v6 { "IPV6" } else { "IPV4" };
        let ptr = |i: usize| {
            crate::archive::read_u64(
                table
                    .get(i * width + alen..(i + 1) * width)
                    .unwrap_or_default(),
                0,
                what,
            )
        };
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
        let mut union = self.posting_union();
        let mut prev: Option<&[u8]> = None;
        let mut end = l;
        for i in l..n {
            let k = key(i);
            if k > hi.as_slice() {
                break;
            }
            if prev.is_some_and(|p| p >= k) {
                return Err(Error::corrupt(what, "address table is not sorted"));
            }
            prev = Some(k);
            union.add(self, ptr(i)?)?;
            end = i + 1;
        }
        // A damaged pointer in range would lend one address's records to
        // another: the range check on each record cannot see that.
        if union.overlapped() {
            return Err(Error::corrupt(what, "two addresses list the same record"));
        }
        // A damaged address moves its entry out of the range, and its
        // records out of the answer, silently. The entries just outside
        // the range must then be the ones whose records hold a wrong
        // address. One address found is the whole answer to an exact
        // lookup: only ranges and misses pay for the check.
        if (end == l || lo != hi) && !self.trusted(if v6 { Kind::Ipv6 } else { Kind::Ipv4 })? {
            for i in [l.checked_sub(1), (end < n).then_some(end)]
                .into_iter()
                .flatten()
            {
                if !self.address_entry_holds(ptr(i)?, key(i))? {
                    return Err(Error::corrupt(
                        what,
                        format!("entry {i} lists records of another address"),
                    ));
                }
            }
        }
        Ok(union.into_ids())
    }

    /// Checks the first key of RDATA_NAMES at or after `from`, where a
    /// lookup missed or a range ended: a damaged key moves its entry past
    /// where it was looked for, and the key found there instead lists
    /// records that do not name it.
    fn check_rdata_successor(&self, from: &[u8]) -> Result<()> {
        let mut next = None;
        self.rdata_names.walk(&AlwaysMatch, from, None, |k, ptr| {
            next = Some((k.to_vec(), ptr));
            Ok(false)
        })?;
        let Some((key, ptr)) = next else {
            return Ok(());
        };
        let named = match self.first_of_posting(ptr)? {
            None => false,
            Some((b, i)) => {
                let rdata = Expect::RdataName {
                    key,
                    subtree: false,
                    apex: true,
                };
                rdata.check_record(&b, i, &mut Vec::new()).is_ok()
            }
        };
        if named {
            Ok(())
        } else {
            Err(Error::corrupt(
                "RDATA_NAMES",
                "a key lists records that do not name it",
            ))
        }
    }

    /// Whether the first record of posting `ptr` holds the address `addr`
    /// (4 or 16 octets), as an address table entry listing it claims.
    fn address_entry_holds(&self, ptr: u64, addr: &[u8]) -> Result<bool> {
        Ok(self
            .first_of_posting(ptr)?
            .is_some_and(|(b, i)| b.rdata_bytes(i) == addr))
    }

    /// The block holding the first record of posting `ptr`, and that
    /// record's index in it; `None` for an empty list.
    fn first_of_posting(&self, ptr: u64) -> Result<Option<(Block, usize)>> {
        let Some(rid) = self.posting(ptr)?.min() else {
            return Ok(None);
        };
        let b = self.decode_block(self.block_of(rid)?)?;
        // block_of gives a block starting at or before `rid`.
        let i = rid.saturating_sub(b.first_record) as usize;
        Ok(Some((b, i)))
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

/// The family and the first and last address of `addr/prefix`.
fn cidr_bounds(addr: IpAddr, prefix: u8) -> (bool, u128, u128) {
    match addr {
        IpAddr::V4(a) => {
            let p = u32::from(prefix.min(32));
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            let lo = u32::from(a) & mask;
            (false, u128::from(lo), u128::from(lo | !mask))
        }
        IpAddr::V6(a) => {
            let p = u32::from(prefix.min(128));
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            let lo = u128::from(a) & mask;
            (true, lo, lo | !mask)
        }
    }
}

/// Whether `aut` matches all of `s`.
fn accepts<A: Automaton>(aut: &A, s: &[u8]) -> bool {
    let mut st = aut.start();
    for &b in s {
        if !aut.can_match(&st) {
            return false;
        }
        st = aut.accept(&st, b);
    }
    aut.is_match(&st)
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
