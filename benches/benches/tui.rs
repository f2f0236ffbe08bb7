//! The terminal client's two targets: the first frame on a large archive
//! (≤ 100 ms) and the redraw after a pivot that brings 100 k rows
//! (≤ 16 ms, one frame). Frames are drawn into ratatui's `TestBackend` at
//! 120×40, so the figures are the client's own work, without the
//! terminal emulator.
//!
//! The large archive is `PDNS_TUI_BENCH_ARCHIVE`, else
//! `target/bench-data/synth-10000000-s42-g1.pdns` (what
//! `cargo bench -p pdns-benches --bench archive` generates); the groups
//! that need it are skipped with a notice when it is missing. The 100 k
//! rows are synthetic and built in memory.
//!
//! Run with `cargo bench -p pdns-benches --bench tui [-- FILTER]`.

// A benchmark that cannot set up must stop loudly; there is no caller to
// hand an error to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use criterion::Criterion;
use pdns::app::config::Config;
use pdns::app::overview::Overview;
use pdns::app::state::{App, Effect, Msg};
use pdns::app::{search, view, worker};
use pdnsfile::{Archive, Entry, Federation};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

fn archive_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PDNS_TUI_BENCH_ARCHIVE") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-data/synth-10000000-s42-g1.pdns")
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).unwrap()
}

/// Open, gather the overview, build the state, draw: what happens between
/// `pdns ARCHIVE` starting and its first frame, less the process start
/// and the terminal's own setup.
fn first_frame(path: &Path, term: &mut Terminal<TestBackend>) -> App {
    let fed = Federation::new(vec![Archive::open(path).unwrap()]);
    let app = App::new(Overview::of(&fed), &Config::default());
    term.draw(|f| view::render(f, &app)).unwrap();
    app
}

/// 100 k rows like an IP pivot's: many names on one address.
fn rows_100k() -> Vec<Entry> {
    (0..100_000u64)
        .map(|i| {
            let name = format!("host{i:06}.shard{}.example.com", i % 97);
            let mut e = Entry::new(
                &name,
                1,
                "192.0.2.1",
                1_600_000_000 + i * 60,
                1_700_000_000 + i * 3_600,
                Some(i % 1_000 + 1),
            )
            .unwrap();
            e.add_source(if i % 3 == 0 { "dnsdb" } else { "sensor-ams1" });
            e
        })
        .collect()
}

/// An app that has just sent a query and waits for its reply.
fn waiting_app() -> (App, u64) {
    let mut app = App::new(Overview::default(), &Config::default());
    app.search.set("192.0.2.1");
    let fx = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let gen = match fx.first() {
        Some(pdns::app::state::Effect::Run(r)) => r.gen,
        _ => panic!("no query sent"),
    };
    (app, gen)
}

fn done(gen: u64, rows: Vec<Entry>) -> Msg {
    let total = rows.len() as u64;
    Msg::Reply(worker::Reply::Done {
        gen,
        rows,
        total,
        elapsed: Duration::ZERO,
    })
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(30)
        .configure_from_args();

    let path = archive_path();
    if path.exists() {
        let mut term = terminal();
        // One cold-ish run first (pages may or may not be cached: the file
        // was probably just written or benchmarked).
        let t = Instant::now();
        first_frame(&path, &mut term);
        println!(
            "tui/first_frame once: {:?} on {}",
            t.elapsed(),
            path.display()
        );
        c.bench_function("tui/first_frame_120x40", |b| {
            b.iter(|| black_box(first_frame(&path, &mut term)));
        });

        // A real pivot on the large archive: the query on the worker,
        // then the reply handled and the frame drawn.
        let fed = Federation::new(vec![Archive::open(&path).unwrap()]);
        for q in ["www.google.com", "*.google.com"] {
            let s = search::parse(q).unwrap();
            let req = worker::Request {
                gen: 1,
                query: s.query,
                filter: s.filter,
                cap: 1_000_000,
            };
            let cur = AtomicU64::new(1);
            let t = Instant::now();
            let reply = worker::execute(&fed, &req, &cur, &AtomicU64::new(0)).unwrap();
            let n = match &reply {
                worker::Reply::Done { total, .. } => *total,
                worker::Reply::Failed { error, .. } => panic!("{error}"),
            };
            println!("tui/query {q:?}: {n} rows in {:?}", t.elapsed());
            c.bench_function(&format!("tui/pivot_query_{n}_rows"), |b| {
                b.iter(|| black_box(worker::execute(&fed, &req, &cur, &AtomicU64::new(0))));
            });
        }
    } else {
        eprintln!(
            "NOTICE: {} is missing: skipping the first-frame and query groups (set PDNS_TUI_BENCH_ARCHIVE)",
            path.display()
        );
    }

    let rows = rows_100k();
    let mut term = terminal();
    // The pivot redraw: the reply with 100 k rows arrives, the view index
    // is rebuilt, the frame is drawn.
    c.bench_function("tui/pivot_reply_and_redraw_100k", |b| {
        b.iter_batched(
            || (waiting_app(), rows.clone()),
            |((mut app, gen), rows)| {
                app.update(done(gen, rows));
                term.draw(|f| view::render(f, &app)).unwrap();
                app
            },
            criterion::BatchSize::LargeInput,
        );
    });
    let (mut app, gen) = waiting_app();
    app.update(done(gen, rows.clone()));
    // Scrolling: one key and one frame, in the middle of 100 k rows.
    for _ in 0..50_000 {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
        )));
    }
    c.bench_function("tui/scroll_redraw_100k", |b| {
        b.iter(|| {
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('j'),
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::render(f, &app)).unwrap();
        });
    });
    // The timeline computes its axis over every row of the view.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('t'),
        KeyModifiers::NONE,
    )));
    c.bench_function("tui/timeline_redraw_100k", |b| {
        b.iter(|| {
            term.draw(|f| view::render(f, &app)).unwrap();
        });
    });
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )));
    // The `s` key on 100 k rows: the frame right after it (the sort
    // itself goes to a thread)...
    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    c.bench_function("tui/sort_key_redraw_100k", |b| {
        b.iter(|| {
            app.update(key('s'));
            term.draw(|f| view::render(f, &app)).unwrap();
        });
    });
    // ...and the whole sort by name, run where the thread would run it,
    // applied, and drawn.
    c.bench_function("tui/sort_and_redraw_100k", |b| {
        b.iter(|| {
            for e in app.update(key('s')) {
                if let Effect::Sort(job) = e {
                    app.update(job.run());
                }
            }
            term.draw(|f| view::render(f, &app)).unwrap();
        });
    });
    // One keystroke in the `/` box narrows 100 k rows live.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('7'),
        KeyModifiers::NONE,
    )));
    c.bench_function("tui/narrow_keystroke_redraw_100k", |b| {
        b.iter(|| {
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('7'),
                KeyModifiers::NONE,
            )));
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Backspace,
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::render(f, &app)).unwrap();
        });
    });
    c.final_summary();
}
