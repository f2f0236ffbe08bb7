//! Several archives seen as one, and the streaming merge into a new one.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::Write;

use crate::archive::Archive;
use crate::error::Result;
use crate::meta::InputFile;
use crate::query::{Filter, Matches, Query, Summary};
use crate::record::{compare_keys, Entry};
use crate::writer::{Writer, WriterOptions};

/// Many archives queried as one: results are merged by key with the
/// aggregation rule of [`Entry::merge`].
///
/// Filters apply to each archive's entries before they are merged: an
/// archive's entry stands for the observations that archive holds, and a
/// time fence selects observations. That is what lets the view skip an
/// archive whose time span misses the fence, and blocks inside an archive
/// likewise, without changing the answer. For a single archive it is the
/// same as filtering its entries.
pub struct Federation {
    archives: Vec<Archive>,
}

impl Federation {
    /// A view over `archives`.
    pub fn new(archives: Vec<Archive>) -> Federation {
        Federation { archives }
    }

    /// The archives in the view.
    pub fn archives(&self) -> &[Archive] {
        &self.archives
    }

    /// Runs a query on every archive whose time span can meet the filter's
    /// fence, and merges the results by key.
    ///
    /// # Errors
    ///
    /// The first archive's error in compiling the query.
    pub fn query(&self, q: &Query, filter: &Filter) -> Result<FederatedMatches<'_>> {
        let mut streams = Vec::new();
        for a in &self.archives {
            if a.record_count() == 0 {
                continue;
            }
            // The span comes from META, a JSON document: read it only when
            // a fence can use it (it is most of a one-name query's work).
            if !filter.fence.is_open() {
                if let Some((first, last)) = a.time_span() {
                    // An archive's entries all have time_first and
                    // time_last in [first, last].
                    if !filter.fence.may_match(first, last, first, last) {
                        a.check_time_index()?;
                        continue;
                    }
                }
            }
            streams.push(a.query(q, filter)?);
        }
        FederatedMatches::new(streams)
    }

    /// Counts matches across the view. Entries present in several archives
    /// count once, as the merged view shows them.
    ///
    /// # Errors
    ///
    /// As [`Federation::query`].
    pub fn summarize(&self, q: &Query, filter: &Filter) -> Result<Summary> {
        let live: Vec<&Archive> = self
            .archives
            .iter()
            .filter(|a| a.record_count() > 0)
            .collect();
        if live.len() == 1 {
            if let Some(a) = live.first() {
                return a.summarize(q, filter);
            }
        }
        let mut s = Summary::default();
        for e in self.query(q, filter)? {
            let e = e?;
            s.add(e.time_first, e.time_last, e.count);
        }
        Ok(s)
    }
}

struct Head {
    entry: Entry,
    stream: usize,
}

impl PartialEq for Head {
    fn eq(&self, o: &Head) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Head) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Head {
    // Reversed: BinaryHeap is a max-heap and we want the smallest key.
    fn cmp(&self, o: &Head) -> Ordering {
        compare_keys(
            (&o.entry.rrname, o.entry.rrtype, &o.entry.rdata),
            (&self.entry.rrname, self.entry.rrtype, &self.entry.rdata),
        )
        .then(o.stream.cmp(&self.stream))
    }
}

/// The merged results of a [`Federation`] query, in key order.
pub struct FederatedMatches<'a> {
    streams: Vec<Matches<'a>>,
    heap: BinaryHeap<Head>,
    pending_error: Option<crate::Error>,
}

impl<'a> FederatedMatches<'a> {
    /// Merges streams that are each in key order.
    ///
    /// # Errors
    ///
    /// The first error met while priming the streams.
    pub fn new(mut streams: Vec<Matches<'a>>) -> Result<FederatedMatches<'a>> {
        let mut heap = BinaryHeap::with_capacity(streams.len());
        for (i, s) in streams.iter_mut().enumerate() {
            if let Some(e) = s.next() {
                heap.push(Head {
                    entry: e?,
                    stream: i,
                });
            }
        }
        Ok(FederatedMatches {
            streams,
            heap,
            pending_error: None,
        })
    }

    fn refill(&mut self, stream: usize) {
        if let Some(s) = self.streams.get_mut(stream) {
            match s.next() {
                Some(Ok(entry)) => self.heap.push(Head { entry, stream }),
                Some(Err(e)) => self.pending_error = Some(e),
                None => {}
            }
        }
    }
}

impl Iterator for FederatedMatches<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        let Head { mut entry, stream } = self.heap.pop()?;
        self.refill(stream);
        while let Some(top) = self.heap.peek() {
            if !top.entry.same_key(&entry) {
                break;
            }
            if let Some(Head {
                entry: other,
                stream,
            }) = self.heap.pop()
            {
                entry.merge(&other);
                self.refill(stream);
            }
        }
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        Some(Ok(entry))
    }
}

/// Writes the union of `archives` to `out` by a streaming k-way merge of
/// their sort items ([`Archive::items`]), read on threads beside the
/// writer's ([`crate::send_merged`]): memory is one block per input, a
/// few batches of items and the writer's sort budget. The inputs'
/// input-file lists are carried over. Every input's checksums are
/// checked first ([`Archive::check_checksums`]), so that damage is refused
/// rather than written out under the new archive's valid checksums.
///
/// # Errors
///
/// [`crate::Error::ChecksumMismatch`] or other corruption in an input, or
/// I/O errors writing.
pub fn merge<W: Write>(archives: &[Archive], out: W, opts: WriterOptions) -> Result<W> {
    for a in archives {
        a.check_checksums()?;
    }
    let mut w = Writer::new(out, opts)?;
    let mut inputs: Vec<InputFile> = Vec::new();
    for a in archives {
        if let Some(m) = a.meta() {
            for i in &m.inputs {
                if !inputs.contains(i) {
                    inputs.push(i.clone());
                }
            }
        }
    }
    for i in inputs {
        w.add_input(i);
    }
    // The inputs are read and merged as sort items on a thread of their
    // own, beside the writer's: building entries and encoding them again
    // was half of a merge's time, on the writer's thread.
    std::thread::scope(|s| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        std::thread::Builder::new()
            .name("pdnsfile-inputs".into())
            .spawn_scoped(s, move || crate::items::send_merged(archives, &tx))
            .map_err(|e| crate::Error::io("starting the merge thread", e))?;
        for batch in rx {
            for item in batch?.iter() {
                w.push_item(item)?;
            }
        }
        // Dropping the receiver (on an error above) stops the merge
        // thread at its next send.
        Ok(())
    })?;
    w.finish()
}
