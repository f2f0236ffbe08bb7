//! `pdnsfile` writes and reads pDNS archives: immutable, memory-mapped
//! files of passive DNS entries with indexes that answer an exact name, a
//! subtree (`*.example.com`), a right-hand wildcard (`www.example.*`), a
//! regex or typo-squat search, an IP address or CIDR, or a name found in
//! rdata, in microseconds, without loading the file.
//!
//! The byte layout is specified in `spec/FORMAT.md`; a reader in another
//! language needs only that document.
//!
//! # Overview of types
//!
//! - [`Entry`]: one (rrname, rrtype, rdata) with first/last seen, count,
//!   sources and bailiwick; [`record`] holds normalization and the
//!   aggregation rule, [`name`] the name rules and key encodings, [`cof`]
//!   the Common Output Format.
//! - [`Writer`]: streams entries given in key order into an archive, in
//!   bounded memory.
//! - [`Archive`]: an open archive; [`Archive::query`] with a [`Query`] and
//!   a [`Filter`] streams [`Entry`] values in key order;
//!   [`Archive::verify`] checks every checksum and cross-reference.
//! - [`Federation`]: many archives queried as one; [`merge`] writes their
//!   union as a new archive.
//!
//! # Example
//!
//! ```no_run
//! use pdnsfile::{Archive, Filter, Query, TimeFence};
//! # fn main() -> pdnsfile::Result<()> {
//! let archive = Archive::open("nightly.pdns")?;
//! let filter = Filter {
//!     fence: TimeFence::overlapping(1_700_000_000, 1_700_086_400),
//!     ..Filter::default()
//! };
//! for entry in archive.query(&Query::parse("*.evil.example")?, &filter)? {
//!     let e = entry?;
//!     println!("{}", pdnsfile::cof::to_line(&e));
//! }
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod archive;
mod bytes;
pub mod cof;
pub mod describe;
mod error;
mod federated;
mod fixsort;
pub mod format;
pub mod fstbuild;
mod items;
pub mod meta;
mod mmap;
pub mod name;
mod query;
pub mod record;
mod regex;
pub mod rrtype;
pub mod sorter;
pub mod sortkey;
pub mod time;
mod verify;
mod writer;

pub use archive::{Archive, BlockInfo, SectionInfo};
pub use bytes::Bytes;
pub use error::{Error, Result};
pub use federated::{merge, FederatedMatches, Federation};
pub use items::{send_merged, BatchStream, Cursor, Items};
pub use meta::{InputFile, Meta};
pub use query::{Filter, Matches, Query, Summary, TimeFence};
pub use record::Entry;
pub use writer::{Writer, WriterOptions};
