//! Cross-reference checks behind [`Archive::verify`].
//!
//! One pass over the record blocks checks them against the block index,
//! the name records and key order, and folds every (address, record) and
//! (rdata name, record) pair into an order-independent digest. A pass over
//! the address tables and the rdata-name index folds their postings into
//! the same digests; the two must agree. Memory stays at one block.

use fst::automaton::AlwaysMatch;

use crate::archive::{Archive, V4_LEN, V6_LEN};
use crate::error::{Error, Result};
use crate::name;
use crate::record;
use crate::rrtype::known;

/// An order-independent multiset digest: a sum of mixed hashes.
#[derive(Default, PartialEq, Eq, Debug)]
struct Digest {
    n: u64,
    sum: u64,
}

impl Digest {
    fn add(&mut self, bytes: &[u8], rid: u32) {
        let h = (u64::from(crc32c::crc32c(bytes)) << 32) | u64::from(rid);
        self.n += 1;
        self.sum = self.sum.wrapping_add(mix(h));
    }
}

/// splitmix64's finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(crate) fn deep(a: &Archive) -> Result<()> {
    let c = |section: &'static str, what: String| Error::corrupt(section, what);
    let mut ips = Digest::default();
    let mut rnames = Digest::default();

    // Names: table, both FSTs, record ranges.
    let mut prev_key: Option<Vec<u8>> = None;
    let mut expect_start = 0u32;
    // Each name block is decoded once, not once per name: a block can hold
    // every name of the archive.
    let per = a.names_per_block();
    let mut block = None;
    for id in 0..a.name_count() {
        let (s, e) = a.name_records(id)?;
        if s != expect_start || e <= s {
            return Err(c("NAME_RECORDS", format!("name {id} has records [{s}, {e}), expected to start at {expect_start} and be non-empty")));
        }
        expect_start = e;
        if id % per == 0 || block.is_none() {
            block = Some(a.decode_name_block(id)?);
        }
        let n = block
            .as_ref()
            .and_then(|b| b.key((id % per) as usize))
            .map(name::from_reversed_key)
            .ok_or_else(|| c("NAME_TABLE", format!("block of name {id} is short")))?;
        let key = name::reversed_key(&n);
        if prev_key.as_ref().is_some_and(|p| *p >= key) {
            return Err(c("NAME_TABLE", format!("name {id} is out of order")));
        }
        if a.names_rev.get(&key)? != Some(u64::from(id)) {
            return Err(c(
                "NAMES_REV",
                format!("name {id} ({n}) is not indexed under its id"),
            ));
        }
        if a.names_fwd.get(n.as_bytes())? != Some(0) {
            return Err(c("NAMES_FWD", format!("name {id} ({n}) is missing")));
        }
        prev_key = Some(key);
    }
    if expect_start != a.record_count() {
        return Err(c(
            "NAME_RECORDS",
            "record ranges do not cover every record".into(),
        ));
    }

    // Records.
    let mut next_rid = 0u32;
    let mut prev: Option<(u32, u16, Vec<u8>)> = None;
    for bi in 0..a.block_count() {
        let info = a.block_info(bi)?;
        if info.first_record != next_rid {
            return Err(c(
                "BLOCK_INDEX",
                format!(
                    "block {bi} starts at record {}, expected {next_rid}",
                    info.first_record
                ),
            ));
        }
        let b = a.decode_block(bi)?;
        let (mut f0, mut f1, mut l0, mut l1) = (u64::MAX, 0, u64::MAX, 0);
        for i in 0..b.len() {
            let rid = info.first_record + i as u32;
            let nid = b.names.get(i).copied().unwrap_or(0);
            let (s, e) = a.name_records(nid)?;
            if rid < s || rid >= e {
                return Err(c(
                    "BLOCKS",
                    format!("record {rid} names {nid}, whose records are [{s}, {e})"),
                ));
            }
            let t = b.types.get(i).copied().unwrap_or(0);
            let rd = b.rdata_bytes(i).to_vec();
            if let Some((pn, pt, prd)) = &prev {
                let ordered = (*pn, *pt) < (nid, t)
                    || ((*pn, *pt) == (nid, t) && prd.as_slice() < rd.as_slice());
                if !ordered {
                    return Err(c("BLOCKS", format!("record {rid} is out of key order")));
                }
            }
            let (tf, tl) = (
                b.time_first.get(i).copied().unwrap_or(0),
                b.time_last.get(i).copied().unwrap_or(0),
            );
            f0 = f0.min(tf);
            f1 = f1.max(tf);
            l0 = l0.min(tl);
            l1 = l1.max(tl);
            match (t, rd.len()) {
                (known::A, 4) | (known::AAAA, 16) => ips.add(&rd, rid),
                _ => {}
            }
            let text = record::decode_rdata(t, &rd);
            // Stored rdata is the canonical presentation (printable ASCII)
            // or address octets (spec 9.4). Other bytes read back escaped,
            // so the entries a reader returns would not be in the file's
            // key order, which merges and federations rely on.
            if record::encode_rdata(t, &text) != rd {
                return Err(c(
                    "BLOCKS",
                    format!(
                        "record {rid}: rdata does not read back as stored (not printable text)"
                    ),
                ));
            }
            let mut seen: Vec<Vec<u8>> = Vec::new();
            for target in record::rdata_names(t, &text) {
                let k = name::reversed_key(target);
                if !seen.contains(&k) {
                    rnames.add(&k, rid);
                    seen.push(k);
                }
            }
            prev = Some((nid, t, rd));
        }
        if (f0, f1, l0, l1) != (info.min_first, info.max_first, info.min_last, info.max_last) {
            return Err(c(
                "BLOCK_INDEX",
                format!("block {bi}: time ranges differ from its records"),
            ));
        }
        next_rid = info.first_record + info.records;
    }
    if next_rid != a.record_count() {
        return Err(c(
            "BLOCK_INDEX",
            format!(
                "blocks hold {next_rid} records, the name records say {}",
                a.record_count()
            ),
        ));
    }

    // Address tables. A crafted table can point every address at one
    // large list: stop as soon as the pairs outnumber the records' (the
    // digests cannot agree then), so the work stays linear in the records.
    let mut ips_idx = Digest::default();
    for (table, width, what) in [(&a.ipv4, V4_LEN, "IPV4"), (&a.ipv6, V6_LEN, "IPV6")] {
        let alen = width - 8;
        let mut prev: Option<&[u8]> = None;
        for chunk in table.chunks_exact(width) {
            let (addr, ptr) = chunk.split_at(alen);
            if prev.is_some_and(|p| p >= addr) {
                return Err(c(what, "addresses are not strictly increasing".into()));
            }
            prev = Some(addr);
            let ptr = crate::archive::read_u64(ptr, 0, what)?;
            for rid in a.posting(ptr)? {
                ips_idx.add(addr, rid);
            }
            if ips_idx.n > ips.n {
                return Err(c(
                    "POSTINGS",
                    "address postings hold more pairs than the A/AAAA records".into(),
                ));
            }
        }
    }
    if ips != ips_idx {
        return Err(c(
            "POSTINGS",
            "address postings do not match the A/AAAA records".into(),
        ));
    }

    // Rdata names.
    let mut rn_idx = Digest::default();
    a.rdata_names.walk(&AlwaysMatch, b"", None, |k, ptr| {
        for rid in a.posting(ptr)? {
            rn_idx.add(k, rid);
        }
        if rn_idx.n > rnames.n {
            return Err(c(
                "RDATA_NAMES",
                "rdata-name postings hold more pairs than the records".into(),
            ));
        }
        Ok(true)
    })?;
    if rnames != rn_idx {
        return Err(c(
            "RDATA_NAMES",
            "rdata-name postings do not match the records".into(),
        ));
    }
    Ok(())
}
