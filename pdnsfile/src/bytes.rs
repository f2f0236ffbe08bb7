//! Cheap, clonable views of the archive's bytes, shared by every section
//! reader (the FSTs need owned `AsRef<[u8]>` data).

use std::ops::Range;
use std::sync::Arc;

/// Where the bytes live.
pub(crate) enum Backing {
    /// A read-only memory map of the file.
    Mmap(memmap2::Mmap),
    /// Bytes in memory (tests, fuzzing, small files).
    Vec(Vec<u8>),
}

impl AsRef<[u8]> for Backing {
    fn as_ref(&self) -> &[u8] {
        match self {
            Backing::Mmap(m) => m,
            Backing::Vec(v) => v,
        }
    }
}

/// A range of the archive's bytes.
#[derive(Clone)]
pub struct Bytes {
    data: Arc<Backing>,
    range: Range<usize>,
}

impl Bytes {
    pub(crate) fn new(data: Backing) -> Bytes {
        let len = data.as_ref().len();
        Bytes {
            data: Arc::new(data),
            range: 0..len,
        }
    }

    /// A sub-range, or `None` if it is out of bounds.
    pub(crate) fn slice(&self, start: u64, len: u64) -> Option<Bytes> {
        let start = usize::try_from(start).ok()?;
        let len = usize::try_from(len).ok()?;
        let end = start.checked_add(len)?;
        if end > self.range.len() {
            return None;
        }
        Some(Bytes {
            data: Arc::clone(&self.data),
            range: self.range.start + start..self.range.start + end,
        })
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self.data
            .as_ref()
            .as_ref()
            .get(self.range.clone())
            .unwrap_or_default()
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_ref()
    }
}
