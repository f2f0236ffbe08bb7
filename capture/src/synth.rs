//! Writers of synthetic captures: DNS messages, the headers around them,
//! and pcap files. For tests and benchmark generators (this crate's, the
//! builder's, `benches/`), never for decoding.
//!
//! Everything here builds bytes exactly as told, including wrong ones:
//! lengths and checksums are computed where a correct packet needs them,
//! and the caller may damage the result afterwards.

use std::io::{self, Write};

/// Appends `name` (dotted, no escapes) as uncompressed wire labels.
pub fn push_name(out: &mut Vec<u8>, name: &str) {
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let bytes = label.as_bytes();
        out.push(u8::try_from(bytes.len()).unwrap_or(63).min(63));
        out.extend_from_slice(bytes.get(..63).unwrap_or(bytes));
    }
    out.push(0);
}

/// One resource record to put in a response: owner, type, wire rdata.
#[derive(Clone, Debug)]
pub struct Rr<'a> {
    /// Owner name, dotted.
    pub name: &'a str,
    /// Type number.
    pub rtype: u16,
    /// Wire rdata (uncompressed).
    pub rdata: Vec<u8>,
}

/// A DNS response (QR and RD/RA set, class IN, TTL 300) asking `qname`
/// (type A), with `answers` in the answer section and `additional` in
/// the additional section. Names are not compressed.
pub fn response(id: u16, qname: &str, answers: &[Rr<'_>], additional: &[Rr<'_>]) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + answers.len() * 32);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x81, 0x80, 0, 1]);
    m.extend_from_slice(
        &u16::try_from(answers.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(
        &u16::try_from(additional.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    push_name(&mut m, qname);
    m.extend_from_slice(&[0, 1, 0, 1]);
    for rr in answers.iter().chain(additional) {
        push_name(&mut m, rr.name);
        m.extend_from_slice(&rr.rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 1, 0x2c]);
        m.extend_from_slice(
            &u16::try_from(rr.rdata.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        m.extend_from_slice(&rr.rdata);
    }
    m
}

/// A query for `qname` type A.
pub fn query(id: u16, qname: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(32);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    push_name(&mut m, qname);
    m.extend_from_slice(&[0, 1, 0, 1]);
    m
}

/// The Internet checksum (RFC 1071) of `data`.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = match pair {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(u16::try_from(sum).unwrap_or(0))
}

/// An IPv4 header and `payload` (protocol `proto`, identification `id`,
/// fragment offset in 8-octet units and MF flag as given; header
/// checksum computed).
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag: (u16, bool),
    payload: &[u8],
) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
    let fo = frag.0 | if frag.1 { 0x2000 } else { 0 };
    let mut p = Vec::with_capacity(20 + payload.len());
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&fo.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    let c = checksum(p.get(..20).unwrap_or_default());
    if let Some(x) = p.get_mut(10..12) {
        x.copy_from_slice(&c.to_be_bytes());
    }
    p.extend_from_slice(payload);
    p
}

/// An IPv6 header and `payload` (next header `nh`).
pub fn ipv6(src: [u8; 16], dst: [u8; 16], nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + payload.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(
        &u16::try_from(payload.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    p.extend_from_slice(&[nh, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

/// A UDP header (checksum 0, "none", which IPv4 allows) and `payload`.
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + payload.len());
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(
        &u16::try_from(8 + payload.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

/// TCP flag bits.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// PSH.
    pub const PSH: u8 = 0x08;
}

/// A 20-octet TCP header (no options, checksum 0) and `payload`.
pub fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(20 + payload.len());
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

/// An Ethernet II header (fixed addresses) with `ethertype`, then
/// `payload`.
pub fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(14 + payload.len());
    p.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
    p.extend_from_slice(&ethertype.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A pcap file writer.
pub struct PcapWriter<W: Write> {
    out: W,
    big_endian: bool,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header: little-endian, microseconds, `link` (a
    /// LINKTYPE_ value), snap length 262144.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn new(out: W, link: u32) -> io::Result<Self> {
        Self::with_format(out, link, false, false)
    }

    /// Writes the file header in the byte order and time resolution
    /// asked for.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn with_format(mut out: W, link: u32, big_endian: bool, nanos: bool) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let fields = [magic, 0x0002_0004, 0, 0, 262_144, link];
        for (i, f) in fields.iter().enumerate() {
            // The version is two u16 (2, 4); the zone and sigfigs are
            // zero either way.
            if i == 1 {
                let (major, minor) = (2u16, 4u16);
                if big_endian {
                    out.write_all(&major.to_be_bytes())?;
                    out.write_all(&minor.to_be_bytes())?;
                } else {
                    out.write_all(&major.to_le_bytes())?;
                    out.write_all(&minor.to_le_bytes())?;
                }
                continue;
            }
            out.write_all(&if big_endian {
                f.to_be_bytes()
            } else {
                f.to_le_bytes()
            })?;
        }
        Ok(PcapWriter { out, big_endian })
    }

    /// Writes one packet with its timestamp (seconds, and micro- or
    /// nanoseconds as the header says).
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn packet(&mut self, secs: u32, frac: u32, data: &[u8]) -> io::Result<()> {
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        for f in [secs, frac, len, len] {
            self.out.write_all(&if self.big_endian {
                f.to_be_bytes()
            } else {
                f.to_le_bytes()
            })?;
        }
        self.out.write_all(data)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}
