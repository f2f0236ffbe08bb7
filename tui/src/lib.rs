//! `pdns`, the analyst's client, as a library: the query command line,
//! the demo, and the terminal client (`app`), which builds on the same
//! pieces.

pub mod app;
pub mod demo;
pub mod output;
