//! The META section: what an archive holds and how it was made, as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Seconds in one activity histogram bucket (one day).
pub const HISTOGRAM_BUCKET: u64 = 86_400;

/// An input file the archive was built from, so a rerun can skip it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The path of the file: `pdns-build` records it absolute with
    /// links resolved (archives of earlier versions hold it as typed).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// A content hash, written as `algorithm:hex`.
    pub hash: String,
}

/// The daily activity histogram: how many entries were first and last
/// seen in each day from `start`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    /// Unix time of the start of the first bucket (a multiple of
    /// `bucket_seconds`).
    pub start: u64,
    /// Width of a bucket in seconds.
    pub bucket_seconds: u64,
    /// Entries whose `time_first` falls in each bucket.
    pub first_seen: Vec<u64>,
    /// Entries whose `time_last` falls in each bucket.
    pub last_seen: Vec<u64>,
}

/// The decoded META section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The tool that wrote the archive, with its version.
    pub created_by: String,
    /// When it was written (Unix seconds), as the writer was told; 0 when
    /// unknown (deterministic builds).
    pub build_time: u64,
    /// Number of entries.
    pub record_count: u64,
    /// Number of distinct owner names.
    pub name_count: u64,
    /// Earliest `time_first`, absent when the archive is empty.
    pub time_first: Option<u64>,
    /// Latest `time_last`, absent when the archive is empty.
    pub time_last: Option<u64>,
    /// Entries per type mnemonic.
    pub counts_by_type: BTreeMap<String, u64>,
    /// Entries per source label (an entry counts once for each source).
    pub counts_by_source: BTreeMap<String, u64>,
    /// Daily activity.
    pub histogram: Histogram,
    /// Input files the archive was built from.
    #[serde(default)]
    pub inputs: Vec<InputFile>,
    /// Number of distinct IPv4 addresses in A rdata.
    #[serde(default)]
    pub ipv4_count: u64,
    /// Number of distinct IPv6 addresses in AAAA rdata.
    #[serde(default)]
    pub ipv6_count: u64,
    /// Number of distinct names in rdata.
    #[serde(default)]
    pub rdata_name_count: u64,
    /// Number of record blocks.
    #[serde(default)]
    pub block_count: u64,
}

/// Accumulates the histogram without knowing the time span in advance;
/// its size is bounded by the number of distinct days.
#[derive(Default)]
pub(crate) struct HistogramBuilder {
    days: BTreeMap<u64, [u64; 2]>,
    /// Counts of the days in a window around the first day seen, where
    /// nearly all fall: a map lookup per entry cost more than the rest of
    /// the statistics. Folded into `days` by `finish`.
    dense: Vec<[u64; 2]>,
    /// The day of `dense[0]`, once a day was seen.
    base: Option<u64>,
}

/// Days in the dense window (about 5 700 years, 1 MiB of counters).
const DENSE_DAYS: u64 = 1 << 16;

impl HistogramBuilder {
    pub(crate) fn add(&mut self, first: u64, last: u64) {
        self.count(first / HISTOGRAM_BUCKET, 0);
        self.count(last / HISTOGRAM_BUCKET, 1);
    }

    fn count(&mut self, day: u64, which: usize) {
        let base = *self
            .base
            .get_or_insert_with(|| day.saturating_sub(DENSE_DAYS / 2));
        let slot = day
            .checked_sub(base)
            .filter(|&i| i < DENSE_DAYS)
            .and_then(|i| {
                let i = usize::try_from(i).ok()?;
                if self.dense.len() <= i {
                    self.dense.resize(i + 1, [0, 0]);
                }
                self.dense.get_mut(i)
            });
        let c = match slot {
            Some(c) => c,
            None => self.days.entry(day).or_default(),
        };
        if let Some(n) = c.get_mut(which) {
            *n += 1;
        }
    }

    pub(crate) fn finish(mut self) -> Histogram {
        if let Some(base) = self.base {
            for (day, c) in (base..).zip(std::mem::take(&mut self.dense)) {
                if c != [0, 0] {
                    let d = self.days.entry(day).or_default();
                    d[0] += c[0];
                    d[1] += c[1];
                }
            }
        }
        let (Some((&lo, _)), Some((&hi, _))) =
            (self.days.first_key_value(), self.days.last_key_value())
        else {
            return Histogram {
                bucket_seconds: HISTOGRAM_BUCKET,
                ..Histogram::default()
            };
        };
        // A hostile or broken input could claim times from 1970 to the year
        // 2500; cap the dense array by merging days into wider buckets.
        let span = hi - lo + 1;
        let factor = span.div_ceil(4096).max(1);
        let width = HISTOGRAM_BUCKET * factor;
        let start_bucket = lo / factor;
        let n = usize::try_from((hi / factor) - start_bucket + 1).unwrap_or(0);
        let mut first_seen = vec![0u64; n];
        let mut last_seen = vec![0u64; n];
        for (day, [f, l]) in self.days {
            let i = usize::try_from(day / factor - start_bucket).unwrap_or(0);
            if let (Some(a), Some(b)) = (first_seen.get_mut(i), last_seen.get_mut(i)) {
                *a += f;
                *b += l;
            }
        }
        Histogram {
            start: start_bucket * width,
            bucket_seconds: width,
            first_seen,
            last_seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_builder_counts_every_day_wherever_it_falls() {
        let times = [
            1_700_000_000u64,
            1_700_086_400,
            0,
            1,
            u64::MAX,
            u64::MAX / 2,
            1_699_000_000,
            1_700_000_000 + DENSE_DAYS * HISTOGRAM_BUCKET,
            3_000_000_000 - DENSE_DAYS / 2 * HISTOGRAM_BUCKET,
        ];
        let mut b = HistogramBuilder::default();
        let mut naive: BTreeMap<u64, [u64; 2]> = BTreeMap::new();
        for (i, &f) in times.iter().enumerate() {
            let l = times[(i * 7 + 3) % times.len()].max(f);
            b.add(f, l);
            naive.entry(f / HISTOGRAM_BUCKET).or_default()[0] += 1;
            naive.entry(l / HISTOGRAM_BUCKET).or_default()[1] += 1;
        }
        let h = b.finish();
        let plain = HistogramBuilder {
            days: naive,
            ..HistogramBuilder::default()
        };
        assert_eq!(h, plain.finish());
    }
}
