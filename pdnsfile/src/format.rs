//! Byte layout constants and the fixed-size structures of the file:
//! header, footer, section table, and the little readers every section
//! parser shares. `spec/FORMAT.md` is the normative description; each
//! constant here names the table it implements.

use crate::error::{Error, Result};

/// The eight bytes at the start and at the end of every archive.
///
/// Chosen like PNG's signature: a non-ASCII first byte catches 7-bit
/// transfers and text tools, `\r\n` catches newline translation, `\x1a`
/// stops a DOS `type`, and `PDNS` names the file to a person with a hex
/// dump.
pub const MAGIC: [u8; 8] = *b"\x89PDNS\r\n\x1a";

/// The major format version this crate writes and reads.
pub const MAJOR_VERSION: u16 = 1;
/// The minor format version this crate writes.
pub const MINOR_VERSION: u16 = 0;

/// Header size: magic (8), major (2), minor (2), reserved (4), required
/// features (8), optional features (8).
pub const HEADER_LEN: usize = 32;
/// Footer size: table offset (8), section count (4), major (2), minor (2),
/// required (8), optional (8), file length (8), table CRC (4), file CRC
/// (4), reserved (4), footer CRC (4), magic (8).
pub const FOOTER_LEN: usize = 64;
/// Section table entry: kind (2), flags (2), reserved (4), offset (8),
/// length (8), CRC (4), reserved (4).
pub const SECTION_ENTRY_LEN: usize = 32;
/// A reader refuses a table with more sections than this (a sanity bound
/// on hostile files; version 1 writes 12).
pub const MAX_SECTIONS: u32 = 1024;

/// Section flag bit 0: a reader that does not know the kind must refuse the
/// file.
pub const SECTION_REQUIRED: u16 = 1;

/// Required feature bits a version 1 reader knows (none yet).
pub const KNOWN_REQUIRED_FEATURES: u64 = 0;

/// Record block index entry: first record (4), record count (4), offset
/// (8), compressed length (4), uncompressed length (4), first name id (4),
/// reserved (4), min/max time_first (8+8), min/max time_last (8+8).
pub const BLOCK_ENTRY_LEN: usize = 64;
/// IPv4 table entry: address (4, big-endian), posting pointer (8).
pub const IPV4_ENTRY_LEN: usize = 12;
/// IPv6 table entry: address (16, big-endian), posting pointer (8).
pub const IPV6_ENTRY_LEN: usize = 24;
/// Posting pointer bit 63: the low 32 bits are the only record id.
pub const POSTING_INLINE: u64 = 1 << 63;
/// Bit 31 of a stored posting list's length word: the body is a
/// delta-varint list of record ids instead of a roaring bitmap.
pub const POSTING_LIST_FLAG: u32 = 1 << 31;

/// Largest uncompressed record or name block a reader accepts (the writer
/// stays far below it); bounds the memory one block can claim.
pub const MAX_BLOCK_LEN: u32 = 16 << 20;

/// Section kinds (the `kind` field of the section table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Kind {
    /// Metadata, UTF-8 JSON.
    Meta = 1,
    /// Source labels and source sets.
    Sources = 2,
    /// FST: reversed name key → name id.
    NamesReversed = 3,
    /// FST set of forward names (ids come from NAMES_REV).
    NamesForward = 4,
    /// u32 array: name id → first record id.
    NameRecords = 5,
    /// Name id → name, front-coded compressed blocks.
    NameTable = 6,
    /// Record block index.
    BlockIndex = 7,
    /// Record blocks (zstd frames).
    Blocks = 8,
    /// Sorted IPv4 addresses with posting pointers.
    Ipv4 = 9,
    /// Sorted IPv6 addresses with posting pointers.
    Ipv6 = 10,
    /// FST: reversed rdata name key → posting pointer.
    RdataNames = 11,
    /// Stored posting lists (delta-varint lists or roaring bitmaps).
    Postings = 12,
}

impl Kind {
    /// Every kind version 1 defines, in the order the writer lays them out.
    pub const ALL: [Kind; 12] = [
        Kind::Blocks,
        Kind::BlockIndex,
        Kind::NameTable,
        Kind::NameRecords,
        Kind::NamesReversed,
        Kind::NamesForward,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::RdataNames,
        Kind::Postings,
        Kind::Sources,
        Kind::Meta,
    ];

    /// The kind with this number, if version 1 defines it.
    pub fn from_u16(v: u16) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| *k as u16 == v)
    }

    /// The section's name in the spec and in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Meta => "META",
            Kind::Sources => "SOURCES",
            Kind::NamesReversed => "NAMES_REV",
            Kind::NamesForward => "NAMES_FWD",
            Kind::NameRecords => "NAME_RECORDS",
            Kind::NameTable => "NAME_TABLE",
            Kind::BlockIndex => "BLOCK_INDEX",
            Kind::Blocks => "BLOCKS",
            Kind::Ipv4 => "IPV4",
            Kind::Ipv6 => "IPV6",
            Kind::RdataNames => "RDATA_NAMES",
            Kind::Postings => "POSTINGS",
        }
    }
}

/// One row of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionEntry {
    /// Section kind number.
    pub kind: u16,
    /// Flags ([`SECTION_REQUIRED`]).
    pub flags: u16,
    /// Offset of the first byte from the start of the file.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// CRC-32C of the section's bytes.
    pub crc: u32,
}

impl SectionEntry {
    /// Serializes the entry (see [`SECTION_ENTRY_LEN`]).
    pub fn to_bytes(&self) -> [u8; SECTION_ENTRY_LEN] {
        let mut b = [0u8; SECTION_ENTRY_LEN];
        b[0..2].copy_from_slice(&self.kind.to_le_bytes());
        b[2..4].copy_from_slice(&self.flags.to_le_bytes());
        b[8..16].copy_from_slice(&self.offset.to_le_bytes());
        b[16..24].copy_from_slice(&self.length.to_le_bytes());
        b[24..28].copy_from_slice(&self.crc.to_le_bytes());
        b
    }

    /// Parses an entry; reserved fields must be zero.
    pub fn parse(b: &[u8]) -> Result<SectionEntry> {
        let mut r = Reader::new(b, "section table");
        let kind = r.u16()?;
        let flags = r.u16()?;
        let reserved = r.u32()?;
        let offset = r.u64()?;
        let length = r.u64()?;
        let crc = r.u32()?;
        let reserved2 = r.u32()?;
        if reserved != 0 || reserved2 != 0 {
            return Err(Error::corrupt(
                "section table",
                "reserved field is not zero",
            ));
        }
        Ok(SectionEntry {
            kind,
            flags,
            offset,
            length,
            crc,
        })
    }
}

/// The footer: where the section table is, and a copy of the header's
/// version and features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    /// Offset of the section table.
    pub table_offset: u64,
    /// Number of section table entries.
    pub section_count: u32,
    /// Major version (copy of the header's).
    pub major: u16,
    /// Minor version (copy of the header's).
    pub minor: u16,
    /// Required feature bits (copy).
    pub required: u64,
    /// Optional feature bits (copy).
    pub optional: u64,
    /// Length of the whole file, footer included.
    pub file_length: u64,
    /// CRC-32C of the section table.
    pub table_crc: u32,
    /// CRC-32C of every byte before the footer.
    pub file_crc: u32,
}

impl Footer {
    /// Serializes the footer, computing its own CRC.
    pub fn to_bytes(&self) -> [u8; FOOTER_LEN] {
        let mut b = [0u8; FOOTER_LEN];
        b[0..8].copy_from_slice(&self.table_offset.to_le_bytes());
        b[8..12].copy_from_slice(&self.section_count.to_le_bytes());
        b[12..14].copy_from_slice(&self.major.to_le_bytes());
        b[14..16].copy_from_slice(&self.minor.to_le_bytes());
        b[16..24].copy_from_slice(&self.required.to_le_bytes());
        b[24..32].copy_from_slice(&self.optional.to_le_bytes());
        b[32..40].copy_from_slice(&self.file_length.to_le_bytes());
        b[40..44].copy_from_slice(&self.table_crc.to_le_bytes());
        b[44..48].copy_from_slice(&self.file_crc.to_le_bytes());
        let crc = crc32c::crc32c(&b[0..52]);
        b[52..56].copy_from_slice(&crc.to_le_bytes());
        b[56..64].copy_from_slice(&MAGIC);
        b
    }

    /// Parses and checks a footer (magic, own CRC, reserved zero).
    pub fn parse(b: &[u8]) -> Result<Footer> {
        if b.len() != FOOTER_LEN {
            return Err(Error::Truncated {
                what: "footer",
                needed: FOOTER_LEN as u64,
                available: b.len() as u64,
            });
        }
        if b[56..64] != MAGIC {
            return Err(Error::BadMagic { at: "end" });
        }
        let mut r = Reader::new(b, "footer");
        let table_offset = r.u64()?;
        let section_count = r.u32()?;
        let major = r.u16()?;
        let minor = r.u16()?;
        let required = r.u64()?;
        let optional = r.u64()?;
        let file_length = r.u64()?;
        let table_crc = r.u32()?;
        let file_crc = r.u32()?;
        let reserved = r.u32()?;
        let stored = r.u32()?;
        check_crc(&b[0..52], stored, || "footer".into())?;
        if reserved != 0 {
            return Err(Error::corrupt("footer", "reserved field is not zero"));
        }
        Ok(Footer {
            table_offset,
            section_count,
            major,
            minor,
            required,
            optional,
            file_length,
            table_crc,
            file_crc,
        })
    }
}

/// Serializes the header.
pub fn header_bytes(required: u64, optional: u64) -> [u8; HEADER_LEN] {
    let mut b = [0u8; HEADER_LEN];
    b[0..8].copy_from_slice(&MAGIC);
    b[8..10].copy_from_slice(&MAJOR_VERSION.to_le_bytes());
    b[10..12].copy_from_slice(&MINOR_VERSION.to_le_bytes());
    b[16..24].copy_from_slice(&required.to_le_bytes());
    b[24..32].copy_from_slice(&optional.to_le_bytes());
    b
}

/// A bounds-checked little-endian cursor over a byte slice: every read
/// that would pass the end is an error naming `what`, never a panic.
#[derive(Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `buf`; `what` names it in errors.
    pub fn new(buf: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { buf, pos: 0, what }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Current position.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(Error::Truncated {
                what: self.what,
                needed: n as u64,
                available: self.remaining() as u64,
            }),
        }
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes.
    #[inline]
    pub fn varint(&mut self) -> Result<u64> {
        // Most values in record blocks fit one byte: that test is inlined
        // at every caller, the loop is not.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.varint_long()
    }

    /// [`Reader::varint`] past its one-byte case.
    #[inline(never)]
    fn varint_long(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(Error::corrupt(self.what, "varint overflows 64 bits"));
            }
            v |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Error::corrupt(self.what, "varint longer than 10 bytes"))
    }

    /// Reads a varint that must fit a `u32`.
    pub fn varint_u32(&mut self) -> Result<u32> {
        let v = self.varint()?;
        u32::try_from(v)
            .map_err(|_| Error::corrupt(self.what, format!("value {v} exceeds 32 bits")))
    }

    /// Reads a varint length then that many bytes.
    pub fn len_bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| Error::corrupt(self.what, "length too large"))?;
        self.bytes(n)
    }
}

/// Appends an unsigned LEB128 varint.
#[inline(always)]
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    // One reservation, then pushes that find the room there (a copy from
    // a stack buffer costs a memcpy call for a few bytes).
    out.reserve(10);
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a varint length and the bytes.
#[inline]
pub fn put_len_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Checks `bytes` against their stored CRC-32C; `what` names them in the
/// error.
pub(crate) fn check_crc(bytes: &[u8], stored: u32, what: impl FnOnce() -> String) -> Result<()> {
    let computed = crc32c::crc32c(bytes);
    if computed == stored {
        return Ok(());
    }
    Err(Error::ChecksumMismatch {
        what: what(),
        expected: stored,
        computed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut buf = Vec::new();
        let vals = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        for v in vals {
            put_varint(&mut buf, v);
        }
        let mut r = Reader::new(&buf, "test");
        for v in vals {
            assert_eq!(r.varint().unwrap(), v);
        }
        assert!(r.varint().is_err());
        let over = [0xffu8; 10];
        assert!(Reader::new(&over, "t").varint().is_err());
    }

    /// Every length of varint, read where more bytes follow and where it
    /// ends the input, and bad ones refused either way.
    #[test]
    fn varints_of_every_length() {
        let mut vals = vec![0u64, u64::MAX];
        for bit in 0..64 {
            let p = 1u64 << bit;
            vals.extend([p - 1, p, p + 1]);
        }
        for v in vals {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let len = b.len();
            assert_eq!(len, (64 - v.leading_zeros()).div_ceil(7).max(1) as usize);
            let mut r = Reader::new(&b, "t");
            assert_eq!((r.varint().unwrap(), r.pos()), (v, len));
            b.extend_from_slice(&[0x55; 12]);
            let mut r = Reader::new(&b, "t");
            assert_eq!((r.varint().unwrap(), r.pos()), (v, len));
        }
        let bad: [&[u8]; 4] = [
            // A tenth byte above 1 overflows 64 bits.
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            // Eleven bytes.
            &[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
            ],
            // Cut short.
            &[0x80, 0x80],
            &[],
        ];
        for b in bad {
            assert!(Reader::new(b, "t").varint().is_err(), "{b:?}");
            let mut padded = b.to_vec();
            if b.len() == 10 {
                padded.extend_from_slice(&[0; 12]);
                assert!(Reader::new(&padded, "t").varint().is_err(), "{b:?}");
            }
        }
        let max = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00,
        ];
        assert_eq!(Reader::new(&max, "t").varint().unwrap(), u64::MAX);
    }

    #[test]
    fn structure_sizes() {
        let e = SectionEntry {
            kind: 1,
            flags: 1,
            offset: 2,
            length: 3,
            crc: 4,
        };
        assert_eq!(SectionEntry::parse(&e.to_bytes()).unwrap(), e);
        let f = Footer {
            table_offset: 1,
            section_count: 2,
            major: 1,
            minor: 0,
            required: 0,
            optional: 0,
            file_length: 99,
            table_crc: 5,
            file_crc: 6,
        };
        let b = f.to_bytes();
        assert_eq!(b.len(), FOOTER_LEN);
        assert_eq!(Footer::parse(&b).unwrap(), f);
        assert_eq!(header_bytes(0, 0).len(), HEADER_LEN);
    }
}
