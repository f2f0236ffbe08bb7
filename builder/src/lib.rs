//! `pdns-build` as a library, so tests drive it without spawning
//! processes. `main.rs` only parses the command line and maps the outcome
//! to an exit code.
//!
//! - [`cmd`]: one module per subcommand (`build`, `merge`, `verify`,
//!   `info`).
//! - [`publish`]: atomic output (temporary file beside the target, fsync,
//!   rename) and the output lock.
//! - [`repeats`]: a capture's repeated observations merged before the
//!   sort.
//! - [`size`]: parsing of `--memory` sizes.
//! - [`log`]: one line per step, text or JSON.

pub mod cmd;
pub mod log;
pub mod publish;
pub mod repeats;
pub mod size;
