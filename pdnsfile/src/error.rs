//! Errors of this crate.

use std::io;
use std::ops::RangeInclusive;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading, writing or querying an archive.
///
/// Errors about a file's contents name the section and what was wrong, so
/// that `verify` output says where a file is damaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file does not start (or end) with the archive magic: it is not
    /// an archive, or it was cut short.
    #[error("not a pdns archive: bad magic at the {at} of the file (truncated or another kind of file?)")]
    BadMagic {
        /// `"start"` or `"end"`.
        at: &'static str,
    },
    /// The file's major version is not one this reader understands.
    #[error("archive format version {found} is not supported (this reader reads major versions {supported:?}); upgrade pdns")]
    UnsupportedVersion {
        /// The version found in the file.
        found: String,
        /// The major versions this reader accepts.
        supported: RangeInclusive<u16>,
    },
    /// The file needs a feature this reader does not have.
    #[error("archive requires unknown features {bits:#x}; upgrade pdns")]
    UnsupportedFeatures {
        /// The unknown required feature bits.
        bits: u64,
    },
    /// A required section is unknown to this reader.
    #[error("archive has a required section of unknown kind {kind}; upgrade pdns")]
    UnknownRequiredSection {
        /// The section kind.
        kind: u16,
    },
    /// The file is shorter than its structure says.
    #[error("truncated archive: {what} needs {needed} bytes, {available} available")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// A checksum does not match: the file was damaged after it was written.
    #[error("checksum mismatch in {what}: stored {expected:#010x}, computed {computed:#010x} (the file is damaged)")]
    ChecksumMismatch {
        /// The checksummed range.
        what: String,
        /// The checksum stored in the file.
        expected: u32,
        /// The checksum of the bytes present.
        computed: u32,
    },
    /// A structure holds a value that cannot be right.
    #[error("corrupt archive: {section}: {what}")]
    Corrupt {
        /// The section (or structure) at fault.
        section: &'static str,
        /// What is wrong.
        what: String,
    },
    /// A required section is missing.
    #[error("corrupt archive: required section {0} is missing")]
    MissingSection(&'static str),
    /// Entries reached the writer out of key order.
    #[error("entries out of order: {got} after {previous}")]
    KeyOutOfOrder {
        /// The previous key.
        previous: String,
        /// The key that came after it.
        got: String,
    },
    /// A domain name could not be parsed or normalized.
    #[error("invalid name: {0}")]
    InvalidName(String),
    /// Record data could not be parsed or normalized.
    #[error("invalid rdata: {0}")]
    InvalidRdata(String),
    /// An entry given to the writer breaks a rule of the record model (not
    /// normalized, times in the wrong order, rdata too long).
    #[error("invalid entry: {0}")]
    InvalidEntry(String),
    /// A COF JSON object could not be read.
    #[error("invalid COF: {0}")]
    InvalidCof(String),
    /// A query could not be compiled (a bad regex, a bad CIDR, ...).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A limit of the format was exceeded while writing.
    #[error("limit exceeded: {0}")]
    Limit(String),
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn corrupt(section: &'static str, what: impl Into<String>) -> Error {
        Error::Corrupt {
            section,
            what: what.into(),
        }
    }
}
