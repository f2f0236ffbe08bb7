//! `pdns`, the analyst's client, as a library: the query command line and
//! the demo. The terminal interface builds on the same pieces.

pub mod app;
pub mod demo;
pub mod output;
