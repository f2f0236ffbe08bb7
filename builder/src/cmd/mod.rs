//! One module per subcommand.

pub mod build;
pub mod info;
pub mod merge;
pub mod verify;
