//! The archive reader: cheap open, block and name decoding, verification.

mod fst_index;

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::bytes::{Backing, Bytes};
use crate::error::{Error, Result};
use crate::format::{
    self, Footer, Kind, Reader, SectionEntry, BLOCK_ENTRY_LEN, FOOTER_LEN, HEADER_LEN,
    IPV4_ENTRY_LEN, IPV6_ENTRY_LEN, MAGIC, MAX_BLOCK_LEN, MAX_SECTIONS, POSTING_INLINE,
    SECTION_REQUIRED,
};
use crate::meta::Meta;
use crate::name;
use crate::record::{self, Entry};
pub(crate) use fst_index::FstIndex;

/// One open archive.
///
/// [`Archive::open`] maps the file and checks the header, footer and
/// section table: a constant amount of work whatever the file's size.
/// Pages are read from disk only when a query touches them. Checksums of
/// the sections are checked by [`Archive::verify`], not at open.
///
/// An `Archive` is `Send + Sync`; queries take `&self` and keep their own
/// decoding state, so several threads can query one archive at once.
pub struct Archive {
    whole: Bytes,
    footer: Footer,
    table: Vec<SectionEntry>,
    blocks: Bytes,
    block_index: Bytes,
    block_count: usize,
    name_table: NameTable,
    name_records: Bytes,
    name_count: u32,
    record_count: u32,
    pub(crate) names_rev: FstIndex,
    pub(crate) names_fwd: FstIndex,
    pub(crate) ipv4: Bytes,
    pub(crate) ipv6: Bytes,
    pub(crate) rdata_names: FstIndex,
    postings: Bytes,
    sources: Vec<String>,
    source_sets: Vec<Vec<u16>>,
    meta_bytes: Option<Bytes>,
    meta: OnceLock<Option<Meta>>,
    /// The outcome of [`Archive::check_time_index`], computed once: the
    /// damaged section's name and its stored and computed checksums.
    time_index_damage: OnceLock<Option<(&'static str, u32, u32)>>,
    /// See [`Archive::trusted`]: NAMES_REV, IPV4, IPV6, RDATA_NAMES,
    /// NAME_RECORDS, NAMES_FWD, POSTINGS.
    trust: [SectionTrust; 7],
    label: String,
}

/// How far a section's answers have been checked one by one, and its
/// checksum once that has cost more than reading the section would.
#[derive(Default)]
struct SectionTrust {
    /// Answers checked one by one so far.
    uses: AtomicU64,
    /// The stored and computed CRC, once computed.
    crc: OnceLock<(u32, u32)>,
}

/// What checking one answer against its records costs (a name block or
/// a record block decoded, 5 to 30 µs), in bytes a CRC reads in that time.
const CHECK_COST: u64 = 64 << 10;

struct NameTable {
    per_block: u32,
    count: u32,
    offsets: Bytes,
    data: Bytes,
}

/// One record block's index entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Id of the block's first record.
    pub first_record: u32,
    /// Records in the block.
    pub records: u32,
    /// Offset of the zstd frame in BLOCKS.
    pub offset: u64,
    /// Compressed length.
    pub compressed: u32,
    /// Uncompressed length.
    pub uncompressed: u32,
    /// Name id of the first record.
    pub first_name: u32,
    /// Smallest `time_first` in the block.
    pub min_first: u64,
    /// Largest `time_first` in the block.
    pub max_first: u64,
    /// Smallest `time_last` in the block.
    pub min_last: u64,
    /// Largest `time_last` in the block.
    pub max_last: u64,
}

/// A decoded record block: columns, ready to be turned into entries.
#[derive(Default)]
pub(crate) struct Block {
    pub(crate) first_record: u32,
    pub(crate) names: Vec<u32>,
    pub(crate) types: Vec<u16>,
    pub(crate) rdata: Vec<(usize, usize)>,
    pub(crate) raw: Vec<u8>,
    pub(crate) time_first: Vec<u64>,
    pub(crate) time_last: Vec<u64>,
    pub(crate) count: Vec<Option<u64>>,
    pub(crate) sets: Vec<u32>,
    pub(crate) bailiwick: Vec<u32>,
    pub(crate) dict: Vec<String>,
}

impl Block {
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn rdata_bytes(&self, i: usize) -> &[u8] {
        self.rdata
            .get(i)
            .and_then(|&(a, b)| self.raw.get(a..b))
            .unwrap_or_default()
    }
}

/// A decoded name-table block: the reversed keys of consecutive names.
pub(crate) struct NameBlock {
    pub(crate) index: u32,
    /// The keys back to back (one allocation a block, not one a name:
    /// a merge decodes every block); `ends` are their end offsets.
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl NameBlock {
    /// Key `i` of the block.
    pub(crate) fn key(&self, i: usize) -> Option<&[u8]> {
        crate::sorter::nth_of(&self.data, &self.ends, i)
    }
}

/// What [`Archive::sections`] reports for one section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    /// The section's name (or `kind N` when unknown).
    pub name: String,
    /// Its kind number.
    pub kind: u16,
    /// Offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Whether readers must understand it.
    pub required: bool,
}

impl Archive {
    /// Opens (memory-maps) an archive file.
    ///
    /// # Errors
    ///
    /// I/O errors, and everything [`Archive::from_vec`] refuses.
    pub fn open(path: impl AsRef<Path>) -> Result<Archive> {
        let path = path.as_ref();
        let backing = crate::mmap::map(path)?;
        let mut a = Archive::parse(Bytes::new(backing))?;
        a.label = path.display().to_string();
        Ok(a)
    }

    /// Reads an archive held in memory.
    ///
    /// # Errors
    ///
    /// 1. [`Error::Truncated`] when the bytes are shorter than a header and
    ///    footer, or a section lies past the end;
    /// 2. [`Error::BadMagic`] at either end;
    /// 3. [`Error::UnsupportedVersion`] / [`Error::UnsupportedFeatures`] /
    ///    [`Error::UnknownRequiredSection`] for files this reader cannot
    ///    read;
    /// 4. [`Error::ChecksumMismatch`] for a damaged footer or section table;
    /// 5. [`Error::Corrupt`] / [`Error::MissingSection`] for structures
    ///    that do not fit together.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Archive> {
        Archive::parse(Bytes::new(Backing::Vec(bytes)))
    }

    fn parse(whole: Bytes) -> Result<Archive> {
        let len = whole.len() as u64;
        let min = (HEADER_LEN + FOOTER_LEN) as u64;
        if len < min {
            if whole.len() >= 8 && whole.get(..8) != Some(&MAGIC[..]) {
                return Err(Error::BadMagic { at: "start" });
            }
            return Err(Error::Truncated {
                what: "header and footer",
                needed: min,
                available: len,
            });
        }
        let mut h = Reader::new(whole.get(..HEADER_LEN).unwrap_or_default(), "header");
        if h.array::<8>()? != MAGIC {
            return Err(Error::BadMagic { at: "start" });
        }
        let major = h.u16()?;
        let minor = h.u16()?;
        let reserved = h.u32()?;
        let required = h.u64()?;
        let optional = h.u64()?;
        // The version comes before the footer: another major version may
        // lay the footer out differently, and must be reported as newer,
        // not as damaged (spec 12.2, step 3).
        if major != format::MAJOR_VERSION {
            return Err(Error::UnsupportedVersion {
                found: format!("{major}.{minor}"),
                supported: format::MAJOR_VERSION..=format::MAJOR_VERSION,
            });
        }
        let footer = Footer::parse(whole.get(whole.len() - FOOTER_LEN..).unwrap_or_default())?;
        if reserved != 0 {
            return Err(Error::corrupt("header", "reserved field is not zero"));
        }
        if footer.major != major
            || footer.minor != minor
            || footer.required != required
            || footer.optional != optional
        {
            return Err(Error::corrupt(
                "footer",
                "does not repeat the header (spliced or damaged file)",
            ));
        }
        if footer.file_length != len {
            return Err(Error::Truncated {
                what: "file (length recorded in the footer)",
                needed: footer.file_length,
                available: len,
            });
        }
        let unknown = required & !format::KNOWN_REQUIRED_FEATURES;
        if unknown != 0 {
            return Err(Error::UnsupportedFeatures { bits: unknown });
        }
        if footer.section_count > MAX_SECTIONS {
            return Err(Error::corrupt(
                "footer",
                format!("{} sections (at most {MAX_SECTIONS})", footer.section_count),
            ));
        }
        let table_len = u64::from(footer.section_count) * format::SECTION_ENTRY_LEN as u64;
        let table_end = len - FOOTER_LEN as u64;
        let table_bytes = footer
            .table_offset
            .checked_add(table_len)
            .filter(|&e| e == table_end && footer.table_offset >= HEADER_LEN as u64)
            .and_then(|_| whole.slice(footer.table_offset, table_len))
            .ok_or_else(|| {
                Error::corrupt("footer", "section table is not right before the footer")
            })?;
        format::check_crc(&table_bytes, footer.table_crc, || "section table".into())?;
        let mut table = Vec::with_capacity(footer.section_count as usize);
        for chunk in table_bytes.chunks_exact(format::SECTION_ENTRY_LEN) {
            let e = SectionEntry::parse(chunk)?;
            let end = e.offset.checked_add(e.length);
            if e.offset < HEADER_LEN as u64 || end.is_none_or(|end| end > footer.table_offset) {
                return Err(Error::corrupt(
                    "section table",
                    format!("section kind {} lies outside the file body", e.kind),
                ));
            }
            if Kind::from_u16(e.kind).is_none() && e.flags & SECTION_REQUIRED != 0 {
                return Err(Error::UnknownRequiredSection { kind: e.kind });
            }
            if table.iter().any(|t: &SectionEntry| t.kind == e.kind) {
                return Err(Error::corrupt(
                    "section table",
                    format!("section kind {} appears twice", e.kind),
                ));
            }
            table.push(e);
        }
        // Sections must not overlap (an empty one may share an offset):
        // overlapping sections would let one structure's bytes be read as
        // another's.
        let mut spans: Vec<(u64, u64)> = table
            .iter()
            .filter(|e| e.length > 0)
            .map(|e| (e.offset, e.offset + e.length))
            .collect();
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(Error::corrupt("section table", "sections overlap"));
        }
        let get = |k: Kind| -> Result<Bytes> {
            let e = table
                .iter()
                .find(|e| e.kind == k as u16)
                .ok_or(Error::MissingSection(k.name()))?;
            whole
                .slice(e.offset, e.length)
                .ok_or(Error::corrupt(k.name(), "out of bounds"))
        };
        let fst = |k: Kind| FstIndex::new(get(k)?, k.name());

        let blocks = get(Kind::Blocks)?;
        let block_index = get(Kind::BlockIndex)?;
        if block_index.len() % BLOCK_ENTRY_LEN != 0 {
            return Err(Error::corrupt(
                "BLOCK_INDEX",
                "length is not a multiple of the entry size",
            ));
        }
        let block_count = block_index.len() / BLOCK_ENTRY_LEN;

        let name_records = get(Kind::NameRecords)?;
        if name_records.len() % 4 != 0 || name_records.is_empty() {
            return Err(Error::corrupt(
                "NAME_RECORDS",
                "length is not a positive multiple of 4",
            ));
        }
        let name_count = u32::try_from(name_records.len() / 4 - 1)
            .map_err(|_| Error::corrupt("NAME_RECORDS", "too many names"))?;
        let record_count = read_u32(&name_records, name_count as usize, "NAME_RECORDS")?;
        // The record count bounds every range a reader walks (a dump
        // reads [0, R)); the last block's entry states it too (spec 12.2,
        // check 15), so one damaged word cannot cut answers short.
        let blocks_end = match block_count.checked_sub(1) {
            None => 0,
            Some(last) => {
                let at = last * BLOCK_ENTRY_LEN / 4;
                let first = read_u32(&block_index, at, "BLOCK_INDEX")?;
                let n = read_u32(&block_index, at + 1, "BLOCK_INDEX")?;
                u64::from(first) + u64::from(n)
            }
        };
        if blocks_end != u64::from(record_count) {
            return Err(Error::corrupt(
                "NAME_RECORDS",
                format!("record count {record_count}, but the blocks end at {blocks_end}"),
            ));
        }

        let nt = get(Kind::NameTable)?;
        let mut r = Reader::new(&nt, "NAME_TABLE");
        let per_block = r.u32()?;
        let nt_count = r.u32()?;
        let nt_blocks = r.u32()?;
        let _reserved = r.u32()?;
        if per_block == 0
            || nt_count != name_count
            || u64::from(nt_blocks) != u64::from(name_count).div_ceil(u64::from(per_block))
        {
            return Err(Error::corrupt(
                "NAME_TABLE",
                "header does not match the name count",
            ));
        }
        let offsets_len = (u64::from(nt_blocks) + 1) * 8;
        let offsets = nt
            .slice(16, offsets_len)
            .ok_or(Error::corrupt("NAME_TABLE", "offsets past the end"))?;
        let data = nt
            .slice(
                16 + offsets_len,
                nt.len() as u64 - (16 + offsets_len).min(nt.len() as u64),
            )
            .ok_or(Error::corrupt("NAME_TABLE", "data past the end"))?;
        let name_table = NameTable {
            per_block,
            count: nt_count,
            offsets,
            data,
        };

        let names_rev = fst(Kind::NamesReversed)?;
        let names_fwd = fst(Kind::NamesForward)?;
        for (index, section) in [(&names_rev, "NAMES_REV"), (&names_fwd, "NAMES_FWD")] {
            if index.len() != name_count as usize {
                return Err(Error::corrupt(
                    section,
                    "name index size does not match the name count",
                ));
            }
        }
        let ipv4 = get(Kind::Ipv4)?;
        let ipv6 = get(Kind::Ipv6)?;
        for (table, width, section) in [
            (&ipv4, IPV4_ENTRY_LEN, "IPV4"),
            (&ipv6, IPV6_ENTRY_LEN, "IPV6"),
        ] {
            if table.len() % width != 0 {
                return Err(Error::corrupt(
                    section,
                    "address table length is not a multiple of the entry size",
                ));
            }
        }
        let rdata_names = fst(Kind::RdataNames)?;
        // Each key names at least one record, and a record names at most
        // two (SOA); the bound also caps the work of a walk over the index.
        if rdata_names.len() as u64 > 2 * u64::from(record_count) {
            return Err(Error::corrupt(
                "RDATA_NAMES",
                "more rdata names than the records can hold",
            ));
        }
        let postings = get(Kind::Postings)?;
        // SOURCES is read whole at open anyway, and nothing else checks its
        // labels: a damaged byte would rename a source in every answer.
        let sources_bytes = get(Kind::Sources)?;
        if let Some(e) = table.iter().find(|e| e.kind == Kind::Sources as u16) {
            format::check_crc(&sources_bytes, e.crc, || "section SOURCES".into())?;
        }
        let (sources, source_sets) = parse_sources(&sources_bytes)?;
        let meta_bytes = get(Kind::Meta).ok();
        Ok(Archive {
            whole,
            footer,
            table,
            blocks,
            block_index,
            block_count,
            name_table,
            name_records,
            name_count,
            record_count,
            names_rev,
            names_fwd,
            ipv4,
            ipv6,
            rdata_names,
            postings,
            sources,
            source_sets,
            meta_bytes,
            meta: OnceLock::new(),
            time_index_damage: OnceLock::new(),
            trust: Default::default(),
            label: String::new(),
        })
    }

    /// The path the archive was opened from (empty for in-memory ones).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Number of entries.
    pub fn record_count(&self) -> u32 {
        self.record_count
    }

    /// Number of distinct owner names.
    pub fn name_count(&self) -> u32 {
        self.name_count
    }

    /// Number of record blocks.
    pub fn block_count(&self) -> usize {
        self.block_count
    }

    /// The source labels, indexed by source id.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The file's format version as `(major, minor)`.
    pub fn version(&self) -> (u16, u16) {
        (self.footer.major, self.footer.minor)
    }

    /// Total file size in bytes.
    pub fn file_len(&self) -> u64 {
        self.whole.len() as u64
    }

    /// The section table, in file order.
    pub fn sections(&self) -> Vec<SectionInfo> {
        let mut v: Vec<SectionInfo> = self
            .table
            .iter()
            .map(|e| SectionInfo {
                name: Kind::from_u16(e.kind)
                    .map_or_else(|| format!("kind {}", e.kind), |k| k.name().to_string()),
                kind: e.kind,
                offset: e.offset,
                length: e.length,
                required: e.flags & SECTION_REQUIRED != 0,
            })
            .collect();
        v.sort_by_key(|s| s.offset);
        v
    }

    /// The META section, decoded on first use. `None` when the section is
    /// absent or not valid JSON (it is optional and informational).
    pub fn meta(&self) -> Option<&Meta> {
        self.meta
            .get_or_init(|| {
                self.meta_bytes
                    .as_ref()
                    .and_then(|b| serde_json::from_slice(b).ok())
            })
            .as_ref()
    }

    /// The time span of the archive: the smallest `time_first` and the
    /// largest `time_last`. From META when present, otherwise from the
    /// block index. `None` for an empty archive.
    pub fn time_span(&self) -> Option<(u64, u64)> {
        if let Some(m) = self.meta() {
            if let (Some(a), Some(b)) = (m.time_first, m.time_last) {
                return Some((a, b));
            }
            if m.record_count == 0 {
                return None;
            }
        }
        let mut span: Option<(u64, u64)> = None;
        for i in 0..self.block_count {
            if let Ok(b) = self.block_info(i) {
                span = Some(span.map_or((b.min_first, b.max_last), |(a, z)| {
                    (a.min(b.min_first), z.max(b.max_last))
                }));
            }
        }
        span
    }

    /// The index entry of record block `i`.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when `i` is out of range.
    pub fn block_info(&self, i: usize) -> Result<BlockInfo> {
        let start = i
            .checked_mul(BLOCK_ENTRY_LEN)
            .ok_or(Error::corrupt("BLOCK_INDEX", "block number out of range"))?;
        let b = start
            .checked_add(BLOCK_ENTRY_LEN)
            .and_then(|end| self.block_index.get(start..end))
            .ok_or(Error::corrupt("BLOCK_INDEX", "block number out of range"))?;
        let mut r = Reader::new(b, "BLOCK_INDEX");
        let info = BlockInfo {
            first_record: r.u32()?,
            records: r.u32()?,
            offset: r.u64()?,
            compressed: r.u32()?,
            uncompressed: r.u32()?,
            first_name: r.u32()?,
            min_first: {
                let _reserved = r.u32()?;
                r.u64()?
            },
            max_first: r.u64()?,
            min_last: r.u64()?,
            max_last: r.u64()?,
        };
        Ok(info)
    }

    /// The block holding record `rid` (binary search on the index).
    pub(crate) fn block_of(&self, rid: u32) -> Result<usize> {
        if rid >= self.record_count {
            return Err(Error::corrupt(
                "BLOCK_INDEX",
                format!("record {rid} out of range"),
            ));
        }
        let (mut lo, mut hi) = (0usize, self.block_count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let first = read_u32(
                &self.block_index,
                mid * (BLOCK_ENTRY_LEN / 4),
                "BLOCK_INDEX",
            )?;
            if first <= rid {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo.checked_sub(1).ok_or(Error::corrupt(
            "BLOCK_INDEX",
            format!("no block holds record {rid}"),
        ))?;
        let info = self.block_info(i)?;
        if u64::from(rid) >= u64::from(info.first_record) + u64::from(info.records) {
            return Err(Error::corrupt(
                "BLOCK_INDEX",
                format!("no block holds record {rid}"),
            ));
        }
        Ok(i)
    }

    /// Decompresses and decodes record block `i`, checking every value
    /// against the rest of the archive.
    pub(crate) fn decode_block(&self, i: usize) -> Result<Block> {
        let mut b = Block::default();
        self.decode_block_into(i, &mut b)?;
        Ok(b)
    }

    /// [`Archive::decode_block`] into `out`, reusing its memory (a reader
    /// of every block, as a merge is, allocates nothing per block). On an
    /// error `out` holds a part of the block.
    pub(crate) fn decode_block_into(&self, i: usize, out: &mut Block) -> Result<()> {
        let info = self.block_info(i)?;
        let c = |what: &str| Error::corrupt("BLOCKS", format!("block {i}: {what}"));
        if info.uncompressed > MAX_BLOCK_LEN {
            return Err(c("uncompressed length above the limit"));
        }
        let frame = self
            .blocks
            .slice(info.offset, u64::from(info.compressed))
            .ok_or_else(|| c("lies past the end of BLOCKS"))?;
        // A frame that states its size (the writer's all do) must agree
        // with the index before the index's length is allocated.
        if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(&frame) {
            if size != u64::from(info.uncompressed) {
                return Err(c("frame size differs from the index"));
            }
        }
        let raw = &mut out.raw;
        decompress_into(&frame, info.uncompressed as usize, raw)
            .map_err(|e| c(&format!("bad zstd frame: {e}")))?;
        let raw = &*raw;
        if raw.len() != info.uncompressed as usize {
            return Err(c("uncompressed length differs from the index"));
        }
        let mut r = Reader::new(raw, "record block");
        let n = r.varint_u32()?;
        if n != info.records || n == 0 {
            return Err(c("record count differs from the index"));
        }
        // Every record takes at least one byte in each of 8 columns.
        if (n as usize).saturating_mul(8) > raw.len() {
            return Err(c("record count too large for the block"));
        }
        let first_name = r.varint_u32()?;
        if first_name != info.first_name {
            return Err(c("first name differs from the index"));
        }
        let base = r.varint()?;
        let n = n as usize;
        let names = &mut out.names;
        names.clear();
        names.reserve(n);
        let mut cur = first_name;
        for _ in 0..n {
            let d = r.varint_u32()?;
            cur = cur.checked_add(d).ok_or_else(|| c("name id overflows"))?;
            if cur >= self.name_count {
                return Err(c("name id out of range"));
            }
            names.push(cur);
        }
        let types = &mut out.types;
        types.clear();
        types.reserve(n);
        for _ in 0..n {
            let t = r.varint()?;
            types.push(u16::try_from(t).map_err(|_| c("type above 65535"))?);
        }
        // The lengths first, as offsets from the column's start; the
        // column's position is known once they are read.
        let rdata = &mut out.rdata;
        rdata.clear();
        rdata.reserve(n);
        let mut len_total = 0usize;
        for _ in 0..n {
            let end = len_total
                .checked_add(r.varint()? as usize)
                .ok_or_else(|| c("rdata length overflows"))?;
            rdata.push((len_total, end));
            len_total = end;
        }
        let at = r.pos();
        let pos = at
            .checked_add(len_total)
            .ok_or_else(|| c("rdata length overflows"))?;
        // No sum below exceeds `pos`.
        for (a, b) in rdata.iter_mut() {
            *a += at;
            *b += at;
        }
        r.bytes(pos - r.pos())?;
        let time_first = &mut out.time_first;
        time_first.clear();
        time_first.reserve(n);
        for _ in 0..n {
            time_first.push(
                base.checked_add(r.varint()?)
                    .ok_or_else(|| c("time overflows"))?,
            );
        }
        let time_last = &mut out.time_last;
        time_last.clear();
        time_last.reserve(n);
        for &tf in time_first.iter() {
            time_last.push(
                tf.checked_add(r.varint()?)
                    .ok_or_else(|| c("time overflows"))?,
            );
        }
        let count = &mut out.count;
        count.clear();
        count.reserve(n);
        for _ in 0..n {
            let v = r.varint()?;
            count.push(v.checked_sub(1));
        }
        let sets = &mut out.sets;
        sets.clear();
        sets.reserve(n);
        for _ in 0..n {
            let s = r.varint_u32()?;
            if s as usize >= self.source_sets.len() {
                return Err(c("source set out of range"));
            }
            sets.push(s);
        }
        let bailiwick = &mut out.bailiwick;
        bailiwick.clear();
        bailiwick.reserve(n);
        for _ in 0..n {
            bailiwick.push(r.varint_u32()?);
        }
        let dn = r.varint()?;
        if dn > r.remaining() as u64 {
            return Err(c("bailiwick dictionary too large"));
        }
        let dict = &mut out.dict;
        dict.clear();
        dict.reserve(dn as usize);
        for _ in 0..dn {
            dict.push(record::escape_text(r.len_bytes()?));
        }
        if bailiwick.iter().any(|&b| b as usize > dict.len()) {
            return Err(c("bailiwick index out of range"));
        }
        if r.remaining() != 0 {
            return Err(c("trailing bytes"));
        }
        out.first_record = info.first_record;
        Ok(())
    }

    /// The record range `[start, end)` of name `id`.
    pub(crate) fn name_records(&self, id: u32) -> Result<(u32, u32)> {
        let a = read_u32(&self.name_records, id as usize, "NAME_RECORDS")?;
        let b = read_u32(&self.name_records, id as usize + 1, "NAME_RECORDS")?;
        // Strictly increasing (spec 10.4): an empty range would make a
        // damaged index look like a name with no answer.
        if a >= b || b > self.record_count {
            return Err(Error::corrupt(
                "NAME_RECORDS",
                format!("bad record range for name {id}"),
            ));
        }
        Ok((a, b))
    }

    /// Decodes the name-table block holding name `id`.
    pub(crate) fn decode_name_block(&self, id: u32) -> Result<NameBlock> {
        let nt = &self.name_table;
        if id >= nt.count {
            return Err(Error::corrupt(
                "NAME_TABLE",
                format!("name {id} out of range"),
            ));
        }
        let b = id / nt.per_block;
        let start = read_u64(&nt.offsets, b as usize, "NAME_TABLE")?;
        let end = read_u64(&nt.offsets, b as usize + 1, "NAME_TABLE")?;
        let frame = end
            .checked_sub(start)
            .and_then(|len| nt.data.slice(start, len))
            .ok_or(Error::corrupt(
                "NAME_TABLE",
                format!("block {b} out of bounds"),
            ))?;
        let first = b * nt.per_block;
        let n = nt.per_block.min(nt.count - first) as usize;
        // A name block holds at most per_block keys of at most MAX_NAME_LEN
        // bytes plus two varints. `decompress` allocates its capacity up
        // front: use the frame's stated size when it has one (the writer's
        // do), not the bound.
        let cap = n
            .saturating_mul(name::MAX_NAME_LEN + 8)
            .min(MAX_BLOCK_LEN as usize);
        let cap = match zstd::zstd_safe::get_frame_content_size(&frame) {
            Ok(Some(size)) => usize::try_from(size).unwrap_or(usize::MAX).min(cap),
            _ => cap,
        };
        let raw = decompress(&frame, cap)
            .map_err(|e| Error::corrupt("NAME_TABLE", format!("block {b}: bad zstd frame: {e}")))?;
        let mut r = Reader::new(&raw, "NAME_TABLE");
        // Each key takes at least two bytes: a crafted count cannot make
        // this allocation larger than the block.
        let mut ends: Vec<usize> = Vec::with_capacity(n.min(raw.len() / 2));
        let mut data: Vec<u8> = Vec::with_capacity(raw.len().saturating_mul(2));
        let mut prev = 0..0;
        for _ in 0..n {
            let shared = r.varint()? as usize;
            let suffix = r.len_bytes()?;
            if shared > prev.len() {
                return Err(Error::corrupt(
                    "NAME_TABLE",
                    format!("block {b}: bad shared prefix"),
                ));
            }
            let start = data.len();
            data.extend_from_within(prev.start..prev.start + shared);
            data.extend_from_slice(suffix);
            prev = start..data.len();
            ends.push(data.len());
        }
        if r.remaining() != 0 {
            return Err(Error::corrupt(
                "NAME_TABLE",
                format!("block {b}: trailing bytes"),
            ));
        }
        Ok(NameBlock {
            index: b,
            data,
            ends,
        })
    }

    /// The normalized name with id `id`.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when `id` is out of range or its block is damaged.
    pub fn name(&self, id: u32) -> Result<String> {
        let nb = self.decode_name_block(id)?;
        let i = (id - nb.index * self.name_table.per_block) as usize;
        nb.key(i)
            .map(name::from_reversed_key)
            .ok_or(Error::corrupt("NAME_TABLE", "short block"))
    }

    pub(crate) fn names_per_block(&self) -> u32 {
        self.name_table.per_block
    }

    /// The id of a normalized name, if the archive has it as an owner
    /// (`None` too when the name index is damaged).
    pub fn name_id(&self, normalized: &str) -> Option<u32> {
        self.lookup_name(normalized).ok().flatten()
    }

    /// The id of a normalized name, if the archive has it as an owner.
    pub(crate) fn lookup_name(&self, normalized: &str) -> Result<Option<u32>> {
        match self.names_rev.get(&name::reversed_key(normalized))? {
            None => Ok(None),
            Some(v) => match u32::try_from(v) {
                Ok(id) if id < self.name_count => Ok(Some(id)),
                _ => Err(Error::corrupt(
                    "NAMES_REV",
                    format!("name id {v} out of range"),
                )),
            },
        }
    }

    /// The source labels of source set `set`.
    pub(crate) fn source_set(&self, set: u32) -> &[u16] {
        self.source_sets
            .get(set as usize)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// How many source sets the archive has.
    pub(crate) fn source_set_count(&self) -> usize {
        self.source_sets.len()
    }

    pub(crate) fn source_label(&self, id: u16) -> &str {
        self.sources
            .get(usize::from(id))
            .map(String::as_str)
            .unwrap_or("?")
    }

    /// Builds entry `i` of a decoded block.
    pub(crate) fn entry_of(&self, block: &Block, i: usize, rrname: String) -> Entry {
        let rrtype = block.types.get(i).copied().unwrap_or(0);
        let set = block.sets.get(i).copied().unwrap_or(0);
        let bw = block.bailiwick.get(i).copied().unwrap_or(0);
        Entry {
            rrname,
            rrtype,
            rdata: record::decode_rdata(rrtype, block.rdata_bytes(i)),
            time_first: block.time_first.get(i).copied().unwrap_or(0),
            time_last: block.time_last.get(i).copied().unwrap_or(0),
            count: block.count.get(i).copied().flatten(),
            sources: self
                .source_set(set)
                .iter()
                .map(|&s| self.source_label(s).to_string())
                .collect(),
            bailiwick: bw
                .checked_sub(1)
                .and_then(|j| block.dict.get(j as usize))
                .cloned(),
        }
    }

    /// Reads the posting list a pointer refers to.
    pub(crate) fn posting(&self, ptr: u64) -> Result<roaring::RoaringBitmap> {
        if ptr & POSTING_INLINE != 0 {
            let rid = (ptr & u64::from(u32::MAX)) as u32;
            if rid >= self.record_count {
                return Err(Error::corrupt("POSTINGS", "inline record id out of range"));
            }
            let mut bm = roaring::RoaringBitmap::new();
            bm.insert(rid);
            return Ok(bm);
        }
        let (body, is_list) = self.stored_posting_kind(ptr)?;
        let bm = if is_list {
            // Strictly increasing ids as a first id and positive deltas.
            let mut r = Reader::new(&body, "POSTINGS");
            let mut ids = Vec::with_capacity(body.len() / 2);
            let mut cur: Option<u32> = None;
            while r.remaining() > 0 {
                let d = r.varint_u32()?;
                let id = match cur {
                    None => d,
                    Some(c) if d > 0 => c
                        .checked_add(d)
                        .ok_or(Error::corrupt("POSTINGS", "record id overflows"))?,
                    Some(_) => {
                        return Err(Error::corrupt("POSTINGS", "posting list is not increasing"))
                    }
                };
                ids.push(id);
                cur = Some(id);
            }
            if ids.len() < 2 {
                return Err(Error::corrupt(
                    "POSTINGS",
                    "stored posting list with fewer than two ids",
                ));
            }
            roaring::RoaringBitmap::from_sorted_iter(ids)
                .map_err(|_| Error::corrupt("POSTINGS", "posting list is not increasing"))?
        } else {
            roaring::RoaringBitmap::deserialize_from(&body[..])
                .map_err(|e| Error::corrupt("POSTINGS", format!("bad roaring bitmap: {e}")))?
        };
        if bm.max().is_some_and(|m| m >= self.record_count) {
            return Err(Error::corrupt("POSTINGS", "record id out of range"));
        }
        Ok(bm)
    }

    /// The body bytes of the stored posting list at offset `ptr`.
    fn stored_posting(&self, ptr: u64) -> Result<Bytes> {
        self.stored_posting_kind(ptr).map(|(b, _)| b)
    }

    /// The body of the stored posting list at `ptr`, and whether it is a
    /// delta-varint list (else a roaring bitmap).
    fn stored_posting_kind(&self, ptr: u64) -> Result<(Bytes, bool)> {
        let len_bytes = self
            .postings
            .slice(ptr, 4)
            .ok_or(Error::corrupt("POSTINGS", "pointer out of bounds"))?;
        let word = read_u32(&len_bytes, 0, "POSTINGS")?;
        let is_list = word & format::POSTING_LIST_FLAG != 0;
        let len = word & !format::POSTING_LIST_FLAG;
        // `ptr + 4` is within POSTINGS: no overflow.
        self.postings
            .slice(ptr + 4, u64::from(len))
            .map(|b| (b, is_list))
            .ok_or(Error::corrupt("POSTINGS", "posting list past the end"))
    }

    /// An empty [`PostingUnion`] for one query.
    pub(crate) fn posting_union(&self) -> PostingUnion {
        PostingUnion {
            ids: roaring::RoaringBitmap::new(),
            seen: HashSet::new(),
            left: self.postings.len() as u64,
            added: 0,
            repeated: false,
        }
    }

    /// Checks every checksum and every cross-reference: the whole-file and
    /// per-section CRCs, every record block (decoded and checked against
    /// its index entry and the name records), every name (against both
    /// name indexes), every address table and posting list, and the
    /// rdata-name index against the records.
    ///
    /// Reads the whole file; O(n) time, memory bounded by one block.
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn verify(&self) -> Result<()> {
        self.check_checksums()?;
        crate::verify::deep(self)
    }

    /// Checks, once per archive, the checksums of the sections a time
    /// fence trusts to skip records without reading them: BLOCK_INDEX's
    /// time ranges and META's time span. A damaged range there would drop
    /// matches without a trace; every other index is checked against the
    /// records it points at as it is used. BLOCK_INDEX is about half a byte
    /// an entry, so this costs well under a millisecond for 10 M entries.
    pub(crate) fn check_time_index(&self) -> Result<()> {
        let damage = self.time_index_damage.get_or_init(|| {
            [Kind::BlockIndex, Kind::Meta].into_iter().find_map(|kind| {
                let e = self.table.iter().find(|e| e.kind == kind as u16)?;
                let computed = crc32c::crc32c(&self.whole.slice(e.offset, e.length)?);
                (computed != e.crc).then_some((kind.name(), e.crc, computed))
            })
        });
        match *damage {
            None => Ok(()),
            Some((name, expected, computed)) => Err(Error::ChecksumMismatch {
                what: format!("section {name}"),
                expected,
                computed,
            }),
        }
    }

    /// Whether the answers of index `kind` need no check of their own:
    /// true once the section's CRC has been found sound.
    ///
    /// The checks of answers against the records they point at cost a
    /// name or record block decoded per lookup. One CRC of the section
    /// replaces them for good but costs milliseconds on a large archive,
    /// too much for a single lookup. So answers are checked one by one
    /// until they have cost about what the CRC costs, then the CRC is
    /// computed once: never more than about twice the cheaper of the two,
    /// for one lookup or a million (the rent-or-buy bound).
    ///
    /// NAMES_FWD and POSTINGS (and RDATA_NAMES, for its misses) hold what
    /// nothing else records, so no per-answer check sees all their damage;
    /// their queries count as uses all the same, which bounds what the CRC
    /// adds to each (about 5 µs) and lets long sessions and batches reach
    /// it.
    ///
    /// # Errors
    ///
    /// [`Error::ChecksumMismatch`] once the CRC is computed and wrong.
    pub(crate) fn trusted(&self, kind: Kind) -> Result<bool> {
        let slot = match kind {
            Kind::NamesReversed => 0,
            Kind::Ipv4 => 1,
            Kind::Ipv6 => 2,
            Kind::RdataNames => 3,
            Kind::NameRecords => 4,
            Kind::NamesForward => 5,
            Kind::Postings => 6,
            _ => return Ok(false),
        };
        let Some(t) = self.trust.get(slot) else {
            return Ok(false);
        };
        let Some(e) = self.table.iter().find(|e| e.kind == kind as u16) else {
            return Ok(false);
        };
        let (expected, computed) = match t.crc.get() {
            Some(&c) => c,
            None => {
                let spent = t
                    .uses
                    .fetch_add(1, Ordering::Relaxed)
                    .saturating_mul(CHECK_COST);
                if spent < e.length {
                    return Ok(false);
                }
                *t.crc.get_or_init(|| {
                    // In bounds: open checked every section's extent.
                    let crc = self
                        .whole
                        .slice(e.offset, e.length)
                        .map_or(!e.crc, |b| crc32c::crc32c(&b));
                    (e.crc, crc)
                })
            }
        };
        if expected == computed {
            Ok(true)
        } else {
            Err(Error::ChecksumMismatch {
                what: format!("section {}", kind.name()),
                expected,
                computed,
            })
        }
    }

    /// Checks the whole-file checksum and every section's, as
    /// [`Archive::verify`] does first, without decoding anything (about
    /// two reads of the file). Opening checks only what it reads, and a
    /// reader checks each structure as it decodes it, but a name block
    /// need not carry a checksum of its own (spec 10.3; none did before
    /// revision 5): a copy of entries into a new archive (a merge, a build
    /// on a base) must check this first, or a damaged name would be
    /// written out under new, valid checksums.
    ///
    /// # Errors
    ///
    /// [`Error::ChecksumMismatch`] naming the first section whose
    /// checksum does not match, else the whole file.
    pub fn check_checksums(&self) -> Result<()> {
        // 1. Per-section checksums first: a damaged section is the most
        // useful thing to name.
        for e in &self.table {
            let bytes = self
                .whole
                .slice(e.offset, e.length)
                .ok_or(Error::corrupt("section table", "out of bounds"))?;
            format::check_crc(&bytes, e.crc, || {
                format!(
                    "section {}",
                    Kind::from_u16(e.kind)
                        .map_or_else(|| e.kind.to_string(), |k| k.name().to_string())
                )
            })?;
        }
        // 2. The whole-file checksum over every byte before the footer
        // (the header and the padding between sections too).
        let body_len = self.whole.len() - FOOTER_LEN;
        format::check_crc(
            self.whole.get(..body_len).unwrap_or_default(),
            self.footer.file_crc,
            || "whole file".into(),
        )
    }
}

/// The union of the posting lists one query meets (every address of a
/// CIDR, every rdata name of a zone).
///
/// A crafted index can point any number of keys at one large list, or at
/// lists that overlap in POSTINGS, so that decoding them all takes far
/// more work than the file's size. A list met twice is decoded once (a
/// writer may share lists), and the distinct lists decoded may not add up
/// to more bytes than POSTINGS holds, which lists that do not overlap never
/// do.
pub(crate) struct PostingUnion {
    ids: roaring::RoaringBitmap,
    seen: HashSet<u64>,
    left: u64,
    /// Ids added, counting repeats, and whether a list came twice.
    added: u64,
    repeated: bool,
}

impl PostingUnion {
    /// Adds the list `ptr` refers to.
    pub(crate) fn add(&mut self, a: &Archive, ptr: u64) -> Result<()> {
        if ptr & POSTING_INLINE == 0 {
            if !self.seen.insert(ptr) {
                self.repeated = true;
                return Ok(());
            }
            let stored = a.stored_posting(ptr)?.len() as u64 + 4;
            self.left = self
                .left
                .checked_sub(stored)
                .ok_or(Error::corrupt("POSTINGS", "posting lists overlap"))?;
        }
        let bm = a.posting(ptr)?;
        self.added += bm.len();
        if self.ids.is_empty() {
            self.ids = bm;
        } else {
            self.ids |= bm;
        }
        Ok(())
    }

    /// The record ids of every list added.
    pub(crate) fn into_ids(self) -> roaring::RoaringBitmap {
        self.ids
    }

    /// Whether two lists added share a record. Address lists never do (a
    /// record holds one address), so for them this is damage.
    pub(crate) fn overlapped(&self) -> bool {
        self.repeated || self.added != self.ids.len()
    }
}

thread_local! {
    /// One zstd decompression context per thread: creating a context
    /// costs more than decompressing a small block.
    static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Decompresses one zstd frame of at most `capacity` bytes into `out`
/// (emptied first), reusing its memory, with this thread's context.
fn decompress_into(frame: &[u8], capacity: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
    out.clear();
    out.reserve(capacity);
    DCTX.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(std::io::Error::other)?;
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        match slot.as_mut() {
            Some(d) => d.decompress_to_buffer(frame, out).map(|_| ()),
            None => {
                *out = zstd::bulk::decompress(frame, capacity)?;
                Ok(())
            }
        }
    })
}

/// [`decompress_into`] a new buffer.
fn decompress(frame: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(frame, capacity, &mut out)?;
    Ok(out)
}

/// Reads the `i`th little-endian u32 of a slice.
pub(crate) fn read_u32(b: &[u8], i: usize, what: &'static str) -> Result<u32> {
    let s = i
        .checked_mul(4)
        .and_then(|p| b.get(p..p.checked_add(4)?))
        .ok_or(Error::corrupt(what, "index out of range"))?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the `i`th little-endian u64 of a slice.
pub(crate) fn read_u64(b: &[u8], i: usize, what: &'static str) -> Result<u64> {
    let s = i
        .checked_mul(8)
        .and_then(|p| b.get(p..p.checked_add(8)?))
        .ok_or(Error::corrupt(what, "index out of range"))?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Ok(u64::from_le_bytes(a))
}

fn parse_sources(b: &[u8]) -> Result<(Vec<String>, Vec<Vec<u16>>)> {
    let mut r = Reader::new(b, "SOURCES");
    let n = r.u32()?;
    if n > 65_536 || n as usize > r.remaining() {
        return Err(Error::corrupt("SOURCES", "too many sources"));
    }
    let mut labels = Vec::with_capacity(n as usize);
    for _ in 0..n {
        labels.push(record::escape_text(r.len_bytes()?));
    }
    let sets = r.varint()?;
    if sets > r.remaining() as u64 {
        return Err(Error::corrupt("SOURCES", "too many source sets"));
    }
    let mut out = Vec::with_capacity(sets as usize);
    for _ in 0..sets {
        let k = r.varint()?;
        if k > r.remaining() as u64 {
            return Err(Error::corrupt("SOURCES", "source set too large"));
        }
        let mut set = Vec::with_capacity(k as usize);
        for _ in 0..k {
            let id = r.varint()?;
            if id >= u64::from(n) {
                return Err(Error::corrupt("SOURCES", "source id out of range"));
            }
            set.push(id as u16);
        }
        // Entries list their sources sorted by label.
        set.sort_by(|&a, &b| labels.get(usize::from(a)).cmp(&labels.get(usize::from(b))));
        out.push(set);
    }
    if r.remaining() != 0 {
        return Err(Error::corrupt("SOURCES", "trailing bytes"));
    }
    Ok((labels, out))
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Archive>();
}

pub(crate) use format::IPV4_ENTRY_LEN as V4_LEN;
pub(crate) use format::IPV6_ENTRY_LEN as V6_LEN;
