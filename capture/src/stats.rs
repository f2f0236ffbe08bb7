//! What a decoder saw and what it skipped, for the end-of-run summary.

use std::collections::BTreeMap;
use std::fmt;

/// Counters of one decoding run (or several: [`Stats::add`] sums them).
///
/// `skipped` counts, per reason, the things that were dropped because they
/// were broken or could not be read: a malformed message, a truncated
/// packet, a TCP gap. Packets that are simply not DNS (ARP, HTTPS, DNS on
/// a port not asked for) are counted in `not_dns`, not as skips.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets (frames) read from the capture.
    pub packets: u64,
    /// DNS responses decoded (completely or up to a malformed point).
    pub dns_messages: u64,
    /// DNS queries seen and left aside: only responses carry records.
    pub queries: u64,
    /// Observations emitted: one per answer, authority or additional
    /// record (OPT excluded).
    pub records: u64,
    /// Packets that were not DNS on a DNS port (other ports, non-IP).
    pub not_dns: u64,
    /// Skips per reason (`malformed-name`, `truncated-packet`, ...).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Link types that are not read, by name, with their packet counts.
    pub unknown_links: BTreeMap<String, u64>,
    /// Tunnels and encapsulations that are not opened, by name, with
    /// their packet counts.
    pub unopened: BTreeMap<String, u64>,
}

impl Stats {
    /// Counts one skip for `reason`.
    pub fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// Total of all skips.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Adds another run's counters to these.
    pub fn add(&mut self, other: &Stats) {
        self.packets += other.packets;
        self.dns_messages += other.dns_messages;
        self.queries += other.queries;
        self.records += other.records;
        self.not_dns += other.not_dns;
        for (k, v) in &other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (k, v) in &other.unknown_links {
            *self.unknown_links.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.unopened {
            *self.unopened.entry(k.clone()).or_default() += v;
        }
    }
}

fn write_map<K: fmt::Display, V: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    map: impl IntoIterator<Item = (K, V)>,
) -> fmt::Result {
    let mut first = true;
    for (k, v) in map {
        if first {
            write!(f, "; {what}: ")?;
            first = false;
        } else {
            f.write_str(", ")?;
        }
        write!(f, "{k} {v}")?;
    }
    Ok(())
}

/// One line: `P packets, M DNS messages, R records, Q queries, N not DNS,
/// S skipped` followed by the skips per reason and what was not opened.
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} packets, {} DNS messages, {} records, {} queries, {} not DNS, {} skipped",
            self.packets,
            self.dns_messages,
            self.records,
            self.queries,
            self.not_dns,
            self.skipped_total()
        )?;
        write_map(f, "skipped", self.skipped.iter())?;
        write_map(f, "link types not read", self.unknown_links.iter())?;
        write_map(f, "not opened", self.unopened.iter())
    }
}
