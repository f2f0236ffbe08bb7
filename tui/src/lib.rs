//! `pdns`, the analyst's client, as a library: the query engine (query
//! text and options to a query and filter, sorting and limits over the
//! whole match set, summaries), pivots and their graph, which archives to
//! open, output formats, the `pdns query`/`info`/`verify` commands, the
//! demo, and the terminal client (`app`), which builds on the same pieces.

pub mod app;
pub mod archives;
pub mod cli;
pub mod demo;
pub mod demo_inputs;
pub mod engine;
pub mod names;
pub mod output;
pub mod pivot;
