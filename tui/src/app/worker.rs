//! Queries run on a worker thread so the interface never waits for one.
//! Each request carries a generation number; submitting a new one bumps
//! the shared counter, and the running query sees that between entries
//! and stops. Only the first `cap` rows are kept; the rest are counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pdnsfile::{Entry, Federation, Filter, Query};

/// One query to run.
#[derive(Clone, Debug)]
pub struct Request {
    /// Generation; replies to older generations are stale.
    pub gen: u64,
    /// What to look up.
    pub query: Query,
    /// Types, times, sources.
    pub filter: Filter,
    /// Rows to keep.
    pub cap: usize,
}

/// A query's outcome.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The rows (at most `cap`) in key order and how many matched in all.
    Done {
        /// The request's generation.
        gen: u64,
        /// The first rows.
        rows: Vec<Entry>,
        /// Every match, kept or not.
        total: u64,
        /// Time taken.
        elapsed: Duration,
    },
    /// The archive failed.
    Failed {
        /// The request's generation.
        gen: u64,
        /// What went wrong.
        error: String,
    },
}

/// How often (in entries) a running query looks at the generation: often
/// enough to stop within a millisecond, rarely enough to cost nothing.
const CHECK_EVERY: u64 = 256;

/// Runs a request to the end, or returns `None` as soon as `current` is
/// no longer its generation. `progress` counts matches so far.
pub fn execute(
    fed: &Federation,
    req: &Request,
    current: &AtomicU64,
    progress: &AtomicU64,
) -> Option<Reply> {
    let started = Instant::now();
    let failed = |e: pdnsfile::Error| Reply::Failed {
        gen: req.gen,
        error: e.to_string(),
    };
    let matches = match fed.query(&req.query, &req.filter) {
        Ok(m) => m,
        Err(e) => return Some(failed(e)),
    };
    let mut rows = Vec::new();
    let mut total = 0u64;
    for e in matches {
        if total.is_multiple_of(CHECK_EVERY) {
            if current.load(Ordering::Relaxed) != req.gen {
                return None;
            }
            progress.store(total, Ordering::Relaxed);
        }
        match e {
            Ok(e) => {
                if rows.len() < req.cap {
                    rows.push(e);
                }
                total += 1;
            }
            Err(e) => return Some(failed(e)),
        }
    }
    progress.store(total, Ordering::Relaxed);
    Some(Reply::Done {
        gen: req.gen,
        rows,
        total,
        elapsed: started.elapsed(),
    })
}

/// The worker thread and its channels.
pub struct Worker {
    tx: Option<Sender<Request>>,
    rx: Receiver<Reply>,
    current: Arc<AtomicU64>,
    progress: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread.
    ///
    /// # Errors
    ///
    /// When the system cannot start a thread.
    pub fn spawn(fed: Arc<Federation>) -> std::io::Result<Worker> {
        let (tx, req_rx) = mpsc::channel::<Request>();
        let (reply_tx, rx) = mpsc::channel::<Reply>();
        let current = Arc::new(AtomicU64::new(0));
        let progress = Arc::new(AtomicU64::new(0));
        let (cur, prog) = (Arc::clone(&current), Arc::clone(&progress));
        let handle = std::thread::Builder::new()
            .name("pdns-query".into())
            .spawn(move || {
                while let Ok(mut req) = req_rx.recv() {
                    // Only the newest of the waiting requests matters.
                    while let Ok(newer) = req_rx.try_recv() {
                        req = newer;
                    }
                    if cur.load(Ordering::Relaxed) != req.gen {
                        continue;
                    }
                    prog.store(0, Ordering::Relaxed);
                    if let Some(reply) = execute(&fed, &req, &cur, &prog) {
                        if reply_tx.send(reply).is_err() {
                            break;
                        }
                    }
                }
            })?;
        Ok(Worker {
            tx: Some(tx),
            rx,
            current,
            progress,
            handle: Some(handle),
        })
    }

    /// Sends a request, cancelling the one running.
    pub fn submit(&self, req: Request) {
        self.current.store(req.gen, Ordering::Relaxed);
        if let Some(tx) = &self.tx {
            // A send fails only if the thread is gone; the status line
            // then keeps spinning, and quitting still works.
            let _ = tx.send(req);
        }
    }

    /// Cancels whatever runs.
    pub fn cancel(&self) {
        self.current.fetch_add(1 << 40, Ordering::Relaxed);
    }

    /// A reply, if one is ready.
    pub fn try_recv(&self) -> Option<Reply> {
        self.rx.try_recv().ok()
    }

    /// Matches found so far by the running query.
    pub fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.cancel();
        // Closing the channel ends the thread's loop.
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
