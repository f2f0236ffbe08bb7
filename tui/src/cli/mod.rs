//! The command line: `pdns query`, `pdns info`, `pdns verify`,
//! `pdns dump`. `main.rs` only dispatches here.

pub mod help;
pub mod inspect;
pub mod query;

use std::process::ExitCode;

/// The exit code for an error: 2 for what the user typed (options,
/// queries, configuration), 3 for archives that cannot be opened or read.
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    for c in e.chain() {
        if let Some(x) = c.downcast_ref::<crate::engine::Error>() {
            return ExitCode::from(if x.is_usage() { 2 } else { 3 });
        }
        if let Some(x) = c.downcast_ref::<pdnsfile::Error>() {
            return ExitCode::from(if crate::engine::is_query_error(x) {
                2
            } else {
                3
            });
        }
    }
    ExitCode::from(2)
}

/// Whether an error is a closed output pipe, which ends a run quietly
/// (`pdns query ... | head -1`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|ce| {
                matches!(ce.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}
