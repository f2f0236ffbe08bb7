//! Entering and leaving the terminal's full-screen mode so that the
//! terminal is always given back as it was: on a normal exit and on an
//! error (the guard's `Drop`), on a panic (a chained hook that restores
//! before the default hook prints the message, and stops the event loop
//! when the panic was on another thread) and on SIGTERM or SIGHUP (a flag
//! the event loop checks, which then exits normally).
//!
//! The flag alone is not enough: when the terminal hangs up (its window
//! closed, `tmux kill-server`, a dropped ssh session), crossterm's reader
//! loops on the dead descriptor without returning to the event loop, at
//! full CPU. A watchdog thread therefore waits for those signals too and,
//! if the process is still alive shortly after one, restores what it can
//! and exits.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::Terminal;

/// The terminal type the client draws on.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Leaves full-screen mode when dropped.
pub struct Guard {
    _private: (),
}

static MOUSE: AtomicBool = AtomicBool::new(false);

/// How long after SIGTERM or SIGHUP the watchdog waits for the event loop
/// to leave on its own (it polls every 250 ms at most).
const WATCHDOG_MS: u64 = 750;

/// Puts the terminal back: cooked mode, main screen, cursor, no mouse.
/// Safe to call more than once; errors are ignored because there is
/// nothing better to do with them while leaving.
pub fn restore() {
    let mut out = io::stdout();
    if MOUSE.load(Ordering::Relaxed) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = disable_raw_mode();
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
    let _ = out.flush();
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enters full-screen mode and installs the panic hook and the signal
/// flag; returns the terminal, the guard, and the flag SIGTERM/SIGHUP set.
///
/// # Errors
///
/// When the terminal cannot be put in raw mode or the signal handlers
/// cannot be registered.
pub fn enter(mouse: bool) -> io::Result<(Tui, Guard, Arc<AtomicBool>)> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])?;
    std::thread::Builder::new()
        .name("pdns-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // The event loop normally sees the flag within one poll
                // and leaves cleanly; this is for when it cannot.
                std::thread::sleep(std::time::Duration::from_millis(WATCHDOG_MS));
                restore();
                std::process::exit(128 + sig);
            }
        })?;
    let previous = std::panic::take_hook();
    let stop_on_panic = Arc::clone(&stop);
    std::panic::set_hook(Box::new(move |info| {
        restore();
        // A panic on the query or sort thread must end the event loop
        // too, or it would go on drawing on a restored terminal.
        stop_on_panic.store(true, Ordering::Relaxed);
        previous(info);
    }));
    MOUSE.store(mouse, Ordering::Relaxed);
    enable_raw_mode()?;
    let guard = Guard { _private: () };
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard, stop))
}

/// Writes a raw escape sequence (OSC 52) straight to the terminal.
///
/// # Errors
///
/// I/O errors writing to the terminal.
pub fn write_raw(seq: &str) -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(seq.as_bytes())?;
    out.flush()
}
