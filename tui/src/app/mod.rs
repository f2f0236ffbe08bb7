//! The terminal client (`pdns ARCHIVE...`, `pdns demo`).
//!
//! The shape is the Elm one: terminal events become [`state::Msg`]s,
//! [`state::App::update`] is the only thing that changes state and returns
//! [`state::Effect`]s (run a query, copy, export, quit) that [`run`]
//! carries out; [`view::render`] draws the state. Queries run on a worker
//! thread ([`worker`]) and are cancelled when a newer one is submitted.
//!
//! Overview of modules: `state` (model and update), `view` (drawing),
//! `keymap` (keys as data), `config` (the config file), `theme` (colours
//! by role), `search` (the search box language), `worker` (queries off the
//! drawing thread), `export` (files and OSC 52), `overview` (META
//! summaries), `terminal` (raw mode, panic hook, signals).

pub mod config;
pub mod export;
pub mod keymap;
pub mod overview;
pub mod search;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod worker;

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use pdnsfile::Federation;
use ratatui::crossterm::event::{self, Event};

use self::state::{App, Effect, Msg};

/// Runs the client on a federation until the user quits.
///
/// # Errors
///
/// A broken config file (named with the key), no terminal, or a terminal
/// that cannot be put in full-screen mode.
pub fn run(fed: Federation) -> Result<()> {
    // The config first: a broken one must be reported even without a
    // terminal, and before the screen is taken over.
    let config = config::load(config::no_color())?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the terminal client needs a terminal; `pdns query` answers scripts");
    }
    let fed = Arc::new(fed);
    let overview = overview::Overview::of(&fed);
    let mut app = App::new(overview, &config);
    let worker = worker::Worker::spawn(Arc::clone(&fed)).context("starting the query thread")?;
    let (mut term, _guard, stop) =
        terminal::enter(config.mouse).context("setting up the terminal")?;
    let (sorted_tx, sorted_rx) = std::sync::mpsc::channel::<Msg>();
    let busy = |app: &App| app.loading.is_some() || app.sorting.is_some();
    let mut dirty = true;
    let mut last_tick = Instant::now();
    while !app.quit && !stop.load(Ordering::Relaxed) {
        if dirty {
            app.progress = worker.progress();
            term.draw(|f| view::render(f, &app)).context("drawing")?;
            dirty = false;
        }
        // Poll briefly while a query runs (to pick up its reply and turn
        // the spinner), and longer when idle.
        let wait = if busy(&app) {
            Duration::from_millis(50)
        } else {
            Duration::from_millis(250)
        };
        let mut msgs = VecDeque::new();
        if event::poll(wait).context("reading the terminal")? {
            match event::read().context("reading the terminal")? {
                Event::Key(k) => msgs.push_back(Msg::Key(k)),
                Event::Mouse(m) if config.mouse => msgs.push_back(Msg::Mouse(m)),
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
        while let Some(r) = worker.try_recv() {
            msgs.push_back(Msg::Reply(r));
        }
        while let Ok(m) = sorted_rx.try_recv() {
            msgs.push_back(m);
        }
        if busy(&app) && last_tick.elapsed() >= Duration::from_millis(80) {
            last_tick = Instant::now();
            msgs.push_back(Msg::Tick);
        }
        while let Some(msg) = msgs.pop_front() {
            dirty = true;
            for effect in app.update(msg) {
                match effect {
                    Effect::Run(req) => worker.submit(req),
                    Effect::Copy(text) => {
                        if let Some(seq) = export::osc52(&text) {
                            terminal::write_raw(&seq).context("writing to the terminal")?;
                        } else {
                            msgs.push_back(Msg::Notice(
                                state::StatusKind::Error,
                                format!(
                                    "{} bytes is too much for the clipboard escape (at most {})",
                                    text.len(),
                                    export::OSC52_MAX
                                ),
                            ));
                        }
                    }
                    Effect::Export(path) => {
                        let format = export::ExportFormat::for_path(&path);
                        let r = export::write(&path, app.view_rows(), format)
                            .map(|n| (path.clone(), n))
                            .map_err(|e| {
                                if e.kind() == std::io::ErrorKind::AlreadyExists {
                                    format!("{} exists: give another name", path.display())
                                } else {
                                    format!("{}: {e}", path.display())
                                }
                            });
                        msgs.push_back(Msg::Exported(r));
                    }
                    Effect::Sort(job) => {
                        let tx = sorted_tx.clone();
                        // One short-lived thread per sort; a superseded
                        // one finishes and its result is dropped by
                        // generation.
                        std::thread::Builder::new()
                            .name("pdns-sort".into())
                            .spawn(move || {
                                let _ = tx.send(job.run());
                            })
                            .context("starting a sort thread")?;
                    }
                    Effect::Quit => {}
                }
            }
        }
    }
    Ok(())
}
