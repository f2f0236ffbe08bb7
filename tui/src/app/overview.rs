//! What the overview screen shows, gathered once at start-up from the
//! archives' META sections (no record is read, so this is as cheap on
//! 100 M records as on 100).

use std::collections::BTreeMap;

use pdnsfile::meta::HISTOGRAM_BUCKET;
use pdnsfile::Federation;

/// One open archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveInfo {
    /// Its path (or "(in memory)").
    pub label: String,
    /// Entries.
    pub records: u64,
    /// Owner names.
    pub names: u64,
    /// Earliest first seen and latest last seen.
    pub span: Option<(u64, u64)>,
}

/// The archives as one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    /// Each archive.
    pub archives: Vec<ArchiveInfo>,
    /// Entries in all (an entry in two archives counts twice).
    pub records: u64,
    /// Earliest first seen and latest last seen.
    pub span: Option<(u64, u64)>,
    /// Entries per type, most first.
    pub by_type: Vec<(String, u64)>,
    /// Entries per source, most first.
    pub by_source: Vec<(String, u64)>,
    /// Unix day of the first histogram bucket.
    pub first_day: u64,
    /// Entries first seen per day, from `first_day`.
    pub daily: Vec<u64>,
}

/// A hostile META could claim a histogram spanning millennia; beyond this
/// many days the sparkline keeps the most recent ones.
const MAX_DAYS: u64 = 100_000;

impl Overview {
    /// Gathers the overview of a federation.
    pub fn of(fed: &Federation) -> Overview {
        let mut o = Overview::default();
        let mut types: BTreeMap<String, u64> = BTreeMap::new();
        let mut sources: BTreeMap<String, u64> = BTreeMap::new();
        let mut days: BTreeMap<u64, u64> = BTreeMap::new();
        for a in fed.archives() {
            let span = a.time_span();
            o.archives.push(ArchiveInfo {
                label: if a.label().is_empty() {
                    "(in memory)".to_string()
                } else {
                    a.label().to_string()
                },
                records: u64::from(a.record_count()),
                names: u64::from(a.name_count()),
                span,
            });
            o.records += u64::from(a.record_count());
            o.span = match (o.span, span) {
                (Some((f, l)), Some((f2, l2))) => Some((f.min(f2), l.max(l2))),
                (s, None) | (None, s) => s,
            };
            if let Some(m) = a.meta() {
                for (t, n) in &m.counts_by_type {
                    *types.entry(t.clone()).or_default() += n;
                }
                for (s, n) in &m.counts_by_source {
                    *sources.entry(s.clone()).or_default() += n;
                }
                let h = &m.histogram;
                if h.bucket_seconds > 0 {
                    let start = h.start / HISTOGRAM_BUCKET;
                    let per = (h.bucket_seconds / HISTOGRAM_BUCKET).max(1);
                    for (i, n) in h.first_seen.iter().enumerate() {
                        if *n > 0 {
                            let day = start.saturating_add((i as u64).saturating_mul(per));
                            *days.entry(day).or_default() += n;
                        }
                    }
                }
            }
        }
        o.by_type = sorted(types);
        o.by_source = sorted(sources);
        if let (Some((&first, _)), Some((&last, _))) =
            (days.first_key_value(), days.last_key_value())
        {
            let first = first.max(last.saturating_sub(MAX_DAYS));
            o.first_day = first;
            let len = usize::try_from(last - first + 1).unwrap_or(0);
            o.daily = vec![0; len];
            for (d, n) in days.range(first..) {
                if let Some(slot) = usize::try_from(d - first)
                    .ok()
                    .and_then(|i| o.daily.get_mut(i))
                {
                    *slot += n;
                }
            }
        }
        o
    }
}

fn sorted(m: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Sums `data` into `width` bins, for a sparkline as wide as its area.
pub fn resample(data: &[u64], width: usize) -> Vec<u64> {
    if width == 0 || data.is_empty() {
        return Vec::new();
    }
    if data.len() <= width {
        return data.to_vec();
    }
    let mut out = vec![0u64; width];
    for (i, v) in data.iter().enumerate() {
        let bin = i * width / data.len();
        if let Some(s) = out.get_mut(bin) {
            *s += v;
        }
    }
    out
}
