//! DNS captures (pcap, pcapng) to passive DNS observations: the sensor
//! path of `pdns-build`.
//!
//! This crate knows packets, not archives or command lines. It reads a
//! capture as a stream (never whole in memory), follows each frame down
//! its link layer, tunnels, IP (reassembling fragments) and UDP or TCP
//! (reassembling streams) to DNS responses, and turns every record of
//! their answer, authority and additional sections into a
//! [`pdnsfile::Entry`] seen once at the packet's second. Aggregation is
//! the caller's (the builder's) business. Queries are counted and left
//! aside: without pairing, a one-way tap gives the same result.
//!
//! # Overview of types
//!
//! - [`sniff`]: is this the start of a pcap or pcapng file?
//! - [`Options`]: which ports carry DNS, which source label to set.
//! - [`Decoder`]: reads captures, calls a sink per observation, keeps
//!   [`Stats`]; or hands out the DNS responses undecoded
//!   ([`Decoder::read_messages`]) for [`decode_message`] to decode on
//!   other threads.
//! - [`Stats`]: packets, DNS messages, records, and skips by reason; its
//!   `Display` is the summary line.
//! - [`rdata_presentation`]: the canonical text of wire rdata, as the
//!   decoder makes it.
//! - [`synth`]: writers of synthetic packets and pcap files, for tests
//!   and benchmark generators.
//!
//! # What is read
//!
//! - Containers: pcap (both byte orders, micro- and nanosecond, the
//!   Kuznetzov variant) and pcapng (several sections and interfaces, each
//!   with its link type, `if_tsresol` and `if_tsoffset`; other blocks
//!   skipped), by `pcap-parser`.
//! - Link layers: Ethernet with 802.1Q/802.1ad tags, MPLS and PPPoE;
//!   Linux cooked SLL and SLL2; raw IP (`RAW`, `IPV4`, `IPV6`); BSD
//!   `NULL` and `LOOP`; Linux `NFLOG`. Others are counted by name.
//! - Tunnels: GRE (and ERSPAN II), VXLAN, Geneve, GTP-U, Teredo, IP in IP
//!   (4in4, 6in4, 4in6, 6in6), GRE-in-UDP. Others are counted by name.
//! - IPv4 and IPv6 (extension headers) with fragment reassembly, fragments
//!   in any order: at most 4096 datagrams pending, 30 s of capture time.
//! - UDP and TCP on the DNS ports (53 and [`Options::dns_ports`]); TCP
//!   streams reassembled (out of order, retransmissions used once,
//!   several messages per segment, messages over segments): at most
//!   16384 streams, 128 KiB waiting after a hole each, idle 120 s.
//! - DNS by the `domain` crate; every type, unknown ones as RFC 3597
//!   `\# len hex`.
//!
//! Broken input (a compression loop, a pointer out of range, a record
//! running past the message, a truncated capture, garbage on port 53) is
//! counted by reason in [`Stats::skipped`] and never stops the run: the
//! records of a message read before the point where it broke are kept,
//! as Wireshark keeps them.
//!
//! # Example
//!
//! ```no_run
//! use pdns_capture::{Decoder, Options};
//! # fn main() -> Result<(), pdns_capture::Error> {
//! let file = std::fs::File::open("dns.pcap").map_err(pdns_capture::Error::Io)?;
//! let mut decoder = Decoder::new(Options { source: Some("pcap:dns".into()), ..Options::default() });
//! let mut n = 0;
//! decoder.read(file, &mut |entry| {
//!     n += 1;
//!     println!("{} {} {}", entry.rrname, entry.rrtype, entry.rdata);
//! })?;
//! eprintln!("{n} observations; {}", decoder.stats());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod dns;
mod frag;
mod net;
mod stats;
pub mod synth;
mod tcp;

use std::cell::Cell;
use std::io::{self, Read};

use pcap_parser::pcapng::Block;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
use pdnsfile::Entry;

pub use dns::{rdata_presentation, Observation, Sink};
pub use stats::Stats;

use net::Messages;

/// Errors that stop reading a capture. Damage inside a capture is not an
/// error: it is counted in [`Stats`] and reading goes on where it can.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start like a pcap or pcapng file.
    #[error("not a pcap or pcapng capture")]
    NotACapture,
    /// Reading the input failed.
    #[error("cannot read the capture")]
    Io(#[source] io::Error),
}

/// The first bytes of pcap (both byte orders, micro- and nanosecond, and
/// the Kuznetzov variant) and pcapng (the Section Header Block type,
/// which reads the same in both byte orders).
const MAGICS: [[u8; 4]; 7] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xcd, 0x34],
    [0x0a, 0x0d, 0x0d, 0x0a],
];

/// Whether `head`, the first bytes of an (uncompressed) input, is a pcap
/// or pcapng capture. Four bytes are enough.
pub fn sniff(head: &[u8]) -> bool {
    head.get(..4)
        .is_some_and(|m| MAGICS.iter().any(|x| x.as_slice() == m))
}

/// How to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// UDP and TCP ports that carry DNS (either end of the flow): 53 by
    /// default.
    pub dns_ports: Vec<u16>,
    /// Source label added to every entry (the builder uses
    /// `pcap:<file stem>`); none when `None`.
    pub source: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dns_ports: vec![53],
            source: None,
        }
    }
}

/// Largest capture block accepted: pcap-parser needs a whole block in its
/// buffer; packets are at most 256 KiB (libpcap's MAXIMUM_SNAPLEN), so a
/// longer block is damage, not data.
const MAX_BLOCK: usize = 1 << 20;

/// Reads captures and emits observations; counts everything in [`Stats`].
///
/// One decoder can read several captures in turn; the counters add up.
/// Memory is bounded whatever the input: the capture is read through a
/// 64 KiB buffer (grown to at most 1 MiB for a large block), and the
/// fragment and stream tables are bounded (see the crate docs).
pub struct Decoder {
    dissector: net::Dissector,
}

/// One pcapng interface: link type, units per second, offset in seconds.
#[derive(Clone, Copy)]
struct Interface {
    link: u32,
    per_second: u64,
    offset: i64,
}

/// Timestamp units per second of a pcapng `if_tsresol`: 10^n, or 2^n
/// when the high bit is set. (pcap-parser 0.16's `ts_resolution` refuses
/// every power of two, checking the value with its flag bit.)
fn per_second(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

/// Keeps the I/O error that pcap-parser reduces to `ReadError`.
struct Keep<R> {
    inner: R,
    error: Option<io::Error>,
}

impl<R: Read> Read for Keep<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let copy = io::Error::new(e.kind(), e.to_string());
                    self.error = Some(e);
                    return Err(copy);
                }
                ok => return ok,
            }
        }
    }
}

impl Decoder {
    /// A decoder with these options.
    pub fn new(opts: Options) -> Self {
        Decoder {
            dissector: net::Dissector::new(opts),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> &Stats {
        &self.dissector.stats
    }

    /// The options in use.
    pub fn options(&self) -> &Options {
        &self.dissector.opts
    }

    /// Sets the source label for the entries of the next captures.
    pub fn set_source(&mut self, source: Option<String>) {
        self.dissector.opts.source = source;
    }

    /// Reads one whole capture from `input`, calling `sink` with each
    /// observation in capture order. TCP streams and fragments still open
    /// at its end are counted and dropped: captures are independent.
    ///
    /// # Errors
    ///
    /// [`Error::NotACapture`] if the input is not a pcap or pcapng file
    /// (nothing was emitted); [`Error::Io`] if reading fails (what was
    /// read before was emitted). A capture cut short or damaged part way
    /// is not an error: the damage is counted (`capture-truncated`,
    /// `capture-malformed`) and what came before is kept.
    pub fn read<R: Read>(&mut self, input: R, sink: &mut dyn FnMut(Entry)) -> Result<(), Error> {
        self.read_observations(input, &mut |o| sink(o.entry()))
    }

    /// [`Decoder::read`], handing each observation over as it is, borrowed
    /// from its packet: [`Observation::encode_item`] makes its sort item
    /// without the entry's strings.
    ///
    /// # Errors
    ///
    /// As [`Decoder::read`].
    pub fn read_observations<R: Read>(
        &mut self,
        input: R,
        sink: &mut Sink<'_>,
    ) -> Result<(), Error> {
        // Taken out (not copied) while the closure holds it, so that it
        // does not borrow the dissector.
        let source = self.dissector.opts.source.take();
        let read = self.read_raw(
            input,
            &mut |m, time, stats| {
                dns::message(m, time, source.as_deref(), stats, sink);
            },
            &Cell::new(false),
        );
        self.dissector.opts.source = source;
        read
    }

    /// Reads one whole capture as [`Decoder::read`] does, but hands out
    /// the DNS responses found, undecoded, each with its packet's time
    /// (TCP messages reassembled, queries counted and left out), for the
    /// caller to decode with [`decode_message`], on other threads if it
    /// likes. The counts of the link, network and transport layers are
    /// this decoder's [`Stats`]; those of the messages are whatever
    /// `decode_message` was given, for the caller to [`Stats::add`].
    ///
    /// `messages` returns `false` to stop: reading ends at the next
    /// block, without waiting for the end of the input (a pipe may not
    /// end for long) and without handing out what TCP streams hold.
    ///
    /// # Errors
    ///
    /// As [`Decoder::read`].
    pub fn read_messages<R: Read>(
        &mut self,
        input: R,
        messages: &mut dyn FnMut(&[u8], u64) -> bool,
    ) -> Result<(), Error> {
        let stop = Cell::new(false);
        self.read_raw(
            input,
            &mut |m, time, stats| {
                if !stop.get() && dns::is_response(m, stats) && !messages(m, time) {
                    stop.set(true);
                }
            },
            &stop,
        )
    }

    fn read_raw<R: Read>(
        &mut self,
        input: R,
        sink: &mut Messages<'_>,
        stop: &Cell<bool>,
    ) -> Result<(), Error> {
        let mut input = Keep {
            inner: input,
            error: None,
        };
        let result = self.read_blocks(&mut input, sink, stop);
        if !stop.get() {
            self.dissector.finish(sink);
        }
        match (result, input.error) {
            (_, Some(e)) => Err(Error::Io(e)),
            (r, None) => r,
        }
    }

    fn read_blocks<R: Read>(
        &mut self,
        input: &mut R,
        sink: &mut Messages<'_>,
        stop: &Cell<bool>,
    ) -> Result<(), Error> {
        let mut reader = match create_reader(1 << 16, input) {
            Ok(r) => r,
            // Empty input: nothing in it, which is not an error.
            Err(PcapError::Eof) => return Ok(()),
            Err(PcapError::ReadError) => return Err(Error::NotACapture),
            Err(_) => return Err(Error::NotACapture),
        };
        let d = &mut self.dissector;
        let mut legacy_link: u32 = 0;
        let mut interfaces: Vec<Interface> = Vec::new();
        let mut last_time: u64 = 0;
        let mut capacity = 1 << 16;
        while !stop.get() {
            match reader.next() {
                Ok((len, block)) => {
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            // The upper bits of the field may carry the FCS
                            // length (pcap file format, LinkType and
                            // additional information); the type is the low 16.
                            legacy_link = u32::try_from(h.network.0 & 0xffff).unwrap_or(u32::MAX);
                        }
                        PcapBlockOwned::Legacy(b) => {
                            last_time = u64::from(b.ts_sec);
                            d.frame(legacy_link, last_time, b.data, sink);
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                        PcapBlockOwned::NG(Block::InterfaceDescription(i)) => {
                            interfaces.push(Interface {
                                link: u32::try_from(i.linktype.0).unwrap_or(u32::MAX),
                                per_second: per_second(i.if_tsresol).unwrap_or(0),
                                offset: i.ts_offset(),
                            });
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(p)) => {
                            match usize::try_from(p.if_id)
                                .ok()
                                .and_then(|i| interfaces.get(i))
                            {
                                Some(ifc) if ifc.per_second > 0 => {
                                    let units = (u64::from(p.ts_high) << 32) | u64::from(p.ts_low);
                                    let secs = units / ifc.per_second;
                                    last_time = secs.saturating_add_signed(ifc.offset);
                                    // The packet data is padded to 32 bits;
                                    // caplen says how much is real.
                                    let n = usize::try_from(p.caplen).unwrap_or(usize::MAX);
                                    let data = p.data.get(..n).unwrap_or(p.data);
                                    d.frame(ifc.link, last_time, data, sink);
                                }
                                Some(_) => d.stats.skip("pcapng-bad-tsresol"),
                                None => d.stats.skip("pcapng-unknown-interface"),
                            }
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(p)) => match interfaces.first() {
                            // No timestamp in a Simple Packet Block: the
                            // last one seen is the best there is.
                            Some(ifc) => {
                                let n = usize::try_from(p.origlen).unwrap_or(usize::MAX);
                                let data = p.data.get(..n).unwrap_or(p.data);
                                d.frame(ifc.link, last_time, data, sink);
                            }
                            None => d.stats.skip("pcapng-unknown-interface"),
                        },
                        PcapBlockOwned::NG(_) => {}
                    }
                    // The buffer is shifted only when it is refilled, so
                    // each byte is moved at most once.
                    reader.consume_noshift(len);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => {
                    let before = reader.data().len();
                    if reader.refill().is_err() {
                        break;
                    }
                    if reader.data().len() == before && !reader.reader_exhausted() {
                        // The buffer is full and the block still does not
                        // fit in it.
                        if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                            d.stats.skip("capture-block-too-large");
                            break;
                        }
                        capacity *= 2;
                    }
                }
                Err(PcapError::BufferTooSmall) => {
                    if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                        d.stats.skip("capture-block-too-large");
                        break;
                    }
                    capacity *= 2;
                    if reader.refill().is_err() {
                        break;
                    }
                }
                Err(PcapError::UnexpectedEof) => {
                    d.stats.skip("capture-truncated");
                    break;
                }
                Err(PcapError::ReadError) => break,
                Err(_) => {
                    // The framing is lost; nothing after can be trusted.
                    d.stats.skip("capture-malformed");
                    break;
                }
            }
        }
        Ok(())
    }

    /// Decodes one frame of link type `link` (a LINKTYPE_ value) captured
    /// at `time` (Unix seconds): for callers that have frames from
    /// elsewhere, and for tests.
    pub fn frame(&mut self, link: u32, time: u64, data: &[u8], sink: &mut dyn FnMut(Entry)) {
        // Taken out and put back (see `read_observations`): no copy per
        // frame.
        let source = self.dissector.opts.source.take();
        self.dissector.frame(link, time, data, &mut |m, t, stats| {
            dns::message(m, t, source.as_deref(), stats, &mut |o| sink(o.entry()));
        });
        self.dissector.opts.source = source;
    }

    /// Decodes one DNS message (without TCP length prefix) seen at
    /// `time`.
    pub fn message(&mut self, data: &[u8], time: u64, sink: &mut dyn FnMut(Entry)) {
        let d = &mut self.dissector;
        dns::message(
            data,
            time,
            d.opts.source.as_deref(),
            &mut d.stats,
            &mut |o| sink(o.entry()),
        );
    }

    /// Ends the current frames: what waits after a hole in an open TCP
    /// stream is decoded, incomplete messages and fragments are counted
    /// and dropped. [`Decoder::read`] does this at the end of
    /// each capture.
    pub fn finish(&mut self, sink: &mut dyn FnMut(Entry)) {
        let source = self.dissector.opts.source.take();
        self.dissector.finish(&mut |m, t, stats| {
            dns::message(m, t, source.as_deref(), stats, &mut |o| sink(o.entry()));
        });
        self.dissector.opts.source = source;
    }
}

/// Decodes one DNS response handed out by [`Decoder::read_messages`],
/// seen at `time` (Unix seconds), calling `sink` with each observation
/// and counting the message, its records and any damage in `stats`
/// (which [`Stats::add`] then sums with the decoder's). `source` is the
/// label the entries carry. Never panics, whatever the bytes.
pub fn decode_message(
    data: &[u8],
    time: u64,
    source: Option<&str>,
    stats: &mut Stats,
    sink: &mut Sink<'_>,
) {
    dns::message(data, time, source, stats, sink);
}
