//! From a captured frame to DNS messages: link layers, tunnels, IPv4 and
//! IPv6 (with fragment reassembly), UDP and TCP.
//!
//! Every header is read with checked slicing: a short or lying header
//! ends the packet with a skip reason, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::frag::{self, Defrag, Outcome};
use crate::tcp::{self, Reassembler, Segment};
use crate::{Options, Stats};

/// Link types read (values of the tcpdump.org LINKTYPE_ registry).
pub(crate) mod link {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// DLT_RAW as OpenBSD and some others write it in files.
    pub const RAW_12: u32 = 12;
    pub const RAW_14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const NFLOG: u32 = 239;
    pub const LINUX_SLL2: u32 = 276;
    pub const FDDI: u32 = 10;
    pub const IEEE802_11: u32 = 105;
    pub const RADIOTAP: u32 = 127;
    pub const ARCNET_LINUX: u32 = 129;
}

/// Names of link types we do not read, for the summary.
fn link_name(l: u32) -> String {
    let n = match l {
        6 => "IEEE802_5",
        7 => "ARCNET_BSD",
        9 => "PPP",
        10 => "FDDI",
        50 => "PPP_HDLC",
        104 => "C_HDLC",
        105 => "IEEE802_11",
        119 => "PRISM_HEADER",
        127 => "IEEE802_11_RADIOTAP",
        129 => "ARCNET_LINUX",
        163 => "IEEE802_11_AVS",
        192 => "PPI",
        195 => "IEEE802_15_4",
        220 => "USB_LINUX_MMAPPED",
        252 => "WIRESHARK_UPPER_PDU",
        _ => return format!("linktype {l}"),
    };
    format!("linktype {l} ({n})")
}

/// Tunnels, one inside the other, opened at most this deep: real
/// captures nest two or three; more is a crafted loop.
const MAX_DEPTH: u8 = 8;

/// Capture seconds between two sweeps of expired fragments and streams.
const SWEEP_EVERY: u64 = 10;

/// The state of the packet path: fragments and TCP streams in progress.
pub(crate) struct Dissector {
    pub opts: Options,
    pub stats: Stats,
    defrag: Defrag,
    tcp: Reassembler,
    last_sweep: u64,
}

/// The network layer found under a link layer.
enum Net<'a> {
    V4(&'a [u8]),
    V6(&'a [u8]),
}

impl Dissector {
    pub fn new(opts: Options) -> Self {
        Dissector {
            opts,
            stats: Stats::default(),
            defrag: Defrag::default(),
            tcp: Reassembler::default(),
            last_sweep: 0,
        }
    }

    /// One captured frame of link type `link` at `time` (Unix seconds).
    pub fn frame(&mut self, link: u32, time: u64, data: &[u8], sink: &mut Messages<'_>) {
        self.stats.packets += 1;
        if time >= self.last_sweep.saturating_add(SWEEP_EVERY) {
            self.sweep(time, sink);
        }
        let mut cx = Cx { time, sink };
        match link {
            link::ETHERNET => self.ethernet(&mut cx, data, 0),
            link::RAW | link::RAW_12 | link::RAW_14 => self.raw_ip(&mut cx, data, 0),
            link::IPV4 => self.net(&mut cx, Net::V4(data), 0),
            link::IPV6 => self.net(&mut cx, Net::V6(data), 0),
            link::LINUX_SLL => match (data.get(14..16), data.get(16..)) {
                (Some(&[a, b]), Some(rest)) => {
                    self.ethertype(&mut cx, u16::from_be_bytes([a, b]), rest, 0);
                }
                _ => self.stats.skip("link-truncated"),
            },
            link::LINUX_SLL2 => match (data.get(0..2), data.get(20..)) {
                (Some(&[a, b]), Some(rest)) => {
                    self.ethertype(&mut cx, u16::from_be_bytes([a, b]), rest, 0);
                }
                _ => self.stats.skip("link-truncated"),
            },
            link::NULL | link::LOOP => match (data.get(0..4), data.get(4..)) {
                (Some(&[a, b, c, d]), Some(rest)) => {
                    // NULL writes the family in the sensor's byte order,
                    // LOOP in network order; families are small numbers,
                    // so whichever reading is small is the right one.
                    let le = u32::from_le_bytes([a, b, c, d]);
                    let fam = if le <= 0xffff {
                        le
                    } else {
                        u32::from_be_bytes([a, b, c, d])
                    };
                    match fam {
                        2 => self.net(&mut cx, Net::V4(rest), 0),
                        // AF_INET6 on Linux, FreeBSD/DragonFly, Darwin,
                        // OpenBSD/NetBSD.
                        10 | 24 | 28 | 30 => self.net(&mut cx, Net::V6(rest), 0),
                        _ => self.stats.not_dns += 1,
                    }
                }
                _ => self.stats.skip("link-truncated"),
            },
            link::NFLOG => self.nflog(&mut cx, data),
            // Frame control, two addresses, then 802.2 LLC.
            link::FDDI => self.llc(&mut cx, data.get(13..).unwrap_or_default()),
            link::IEEE802_11 => self.wifi(&mut cx, data),
            link::RADIOTAP => match data.get(2..4) {
                Some(&[a, b]) => {
                    let len = usize::from(u16::from_le_bytes([a, b]));
                    self.wifi(&mut cx, data.get(len..).unwrap_or_default());
                }
                _ => self.stats.skip("link-truncated"),
            },
            link::ARCNET_LINUX => self.arcnet(&mut cx, data),
            other => {
                *self
                    .stats
                    .unknown_links
                    .entry(link_name(other))
                    .or_default() += 1
            }
        }
    }

    /// Ends the capture: TCP streams still open are closed and counted.
    pub fn finish(&mut self, sink: &mut Messages<'_>) {
        let mut msgs = Vec::new();
        let mut skips = Vec::new();
        self.tcp
            .finish(&mut |m, t| msgs.push((m.to_vec(), t)), &mut |w| {
                skips.push(w)
            });
        self.tcp_out(msgs, skips, sink);
        self.defrag.expire(u64::MAX);
        self.flush_expired_fragments();
    }

    fn sweep(&mut self, now: u64, sink: &mut Messages<'_>) {
        self.last_sweep = now;
        let mut msgs = Vec::new();
        let mut skips = Vec::new();
        self.tcp
            .expire(now, &mut |m, t| msgs.push((m.to_vec(), t)), &mut |w| {
                skips.push(w)
            });
        self.tcp_out(msgs, skips, sink);
        self.defrag.expire(now);
        self.flush_expired_fragments();
    }

    fn flush_expired_fragments(&mut self) {
        if self.defrag.expired > 0 {
            *self
                .stats
                .skipped
                .entry("ip-fragments-incomplete")
                .or_default() += self.defrag.expired;
            self.defrag.expired = 0;
        }
    }

    fn unopened(&mut self, what: String) {
        *self.stats.unopened.entry(what).or_default() += 1;
    }

    fn ethernet(&mut self, cx: &mut Cx<'_>, data: &[u8], depth: u8) {
        match (data.get(12..14), data.get(14..)) {
            (Some(&[a, b]), Some(rest)) => {
                self.ethertype(cx, u16::from_be_bytes([a, b]), rest, depth)
            }
            _ => self.stats.skip("link-truncated"),
        }
    }

    /// The payload of an EtherType (Ethernet, SLL, GRE, Geneve), VLAN
    /// tags (802.1Q, 802.1ad QinQ, and the old 0x9100) taken off first.
    fn ethertype(&mut self, cx: &mut Cx<'_>, etype: u16, data: &[u8], depth: u8) {
        if depth > MAX_DEPTH {
            self.stats.skip("too-deep");
            return;
        }
        match etype {
            0x0800 => self.net(cx, Net::V4(data), depth),
            0x86dd => self.net(cx, Net::V6(data), depth),
            0x8100 | 0x88a8 | 0x9100 => match (data.get(2..4), data.get(4..)) {
                (Some(&[a, b]), Some(rest)) => {
                    self.ethertype(cx, u16::from_be_bytes([a, b]), rest, depth + 1);
                }
                _ => self.stats.skip("link-truncated"),
            },
            // Transparent Ethernet bridging (GRE, Geneve).
            0x6558 => self.ethernet(cx, data, depth + 1),
            // MPLS unicast: labels until bottom of stack, then IP by its
            // version nibble (RFC 4928 keeps other payloads from
            // starting with 4 or 6).
            0x8847 => {
                let mut at = 0;
                loop {
                    let Some(&[_, _, s, _]) = data.get(at..at + 4) else {
                        self.stats.skip("link-truncated");
                        return;
                    };
                    at += 4;
                    if s & 1 == 1 {
                        break;
                    }
                }
                self.raw_ip(cx, data.get(at..).unwrap_or_default(), depth + 1);
            }
            // PPPoE session: 6 octets, then the PPP protocol.
            0x8864 => match (data.get(6..8), data.get(8..)) {
                (Some(&[0x00, 0x21]), Some(rest)) => self.net(cx, Net::V4(rest), depth + 1),
                (Some(&[0x00, 0x57]), Some(rest)) => self.net(cx, Net::V6(rest), depth + 1),
                _ => self.stats.not_dns += 1,
            },
            _ => self.stats.not_dns += 1,
        }
    }

    /// 802.2 LLC with a SNAP header carrying an EtherType (how IP travels
    /// over FDDI and 802.11).
    fn llc(&mut self, cx: &mut Cx<'_>, data: &[u8]) {
        match (data.get(..8), data.get(8..)) {
            (Some(&[0xaa, 0xaa, 0x03, _, _, _, a, b]), Some(rest)) => {
                self.ethertype(cx, u16::from_be_bytes([a, b]), rest, 0);
            }
            (Some(_), _) => self.stats.not_dns += 1,
            _ => self.stats.skip("link-truncated"),
        }
    }

    /// An 802.11 frame: data frames are opened (unless encrypted).
    fn wifi(&mut self, cx: &mut Cx<'_>, data: &[u8]) {
        let Some(&[fc0, fc1]) = data.get(..2) else {
            self.stats.skip("link-truncated");
            return;
        };
        if fc0 & 0x0c != 0x08 {
            // Management and control frames.
            self.stats.not_dns += 1;
            return;
        }
        if fc1 & 0x40 != 0 {
            self.unopened("802.11 protected frame".into());
            return;
        }
        let qos = fc0 & 0x80 != 0;
        // Three addresses, sequence control; a fourth address between
        // two distribution systems; QoS control; HT control when ordered.
        let len = 24
            + 6 * usize::from(fc1 & 0x03 == 0x03)
            + 2 * usize::from(qos)
            + 4 * usize::from(qos && fc1 & 0x80 != 0);
        if fc0 & 0x40 != 0 {
            // Null data: no payload.
            self.stats.not_dns += 1;
            return;
        }
        self.llc(cx, data.get(len..).unwrap_or_default());
    }

    /// Linux ARCnet: source, destination, 2 octets of offset, then the
    /// protocol; RFC 1201 protocols add a split flag and a sequence
    /// number (and 4 octets more in an exception packet).
    fn arcnet(&mut self, cx: &mut Cx<'_>, data: &[u8]) {
        let (Some(&proto), Some(&split)) = (data.get(4), data.get(5)) else {
            self.stats.skip("link-truncated");
            return;
        };
        let rfc1201 = 8 + if split == 0xff { 4 } else { 0 };
        match proto {
            0xd4 => self.net(cx, Net::V4(data.get(rfc1201..).unwrap_or_default()), 0),
            0xc4 => self.net(cx, Net::V6(data.get(rfc1201..).unwrap_or_default()), 0),
            // RFC 1051 IP: no split flag.
            0xf0 => self.net(cx, Net::V4(data.get(5..).unwrap_or_default()), 0),
            _ => self.stats.not_dns += 1,
        }
    }

    /// IP whose version is told by its first nibble.
    fn raw_ip(&mut self, cx: &mut Cx<'_>, data: &[u8], depth: u8) {
        match data.first().map(|b| b >> 4) {
            Some(4) => self.net(cx, Net::V4(data), depth),
            Some(6) => self.net(cx, Net::V6(data), depth),
            Some(_) => self.stats.not_dns += 1,
            None => self.stats.skip("link-truncated"),
        }
    }

    /// Linux NFLOG: a 4-octet header, then type-length-value attributes in
    /// the sensor's byte order; attribute 9 is the packet.
    fn nflog(&mut self, cx: &mut Cx<'_>, data: &[u8]) {
        let Some(&family) = data.first() else {
            self.stats.skip("link-truncated");
            return;
        };
        let mut at = 4;
        while let Some(&[a, b, c, d]) = data.get(at..at + 4) {
            let (len_le, len_be) = (u16::from_le_bytes([a, b]), u16::from_be_bytes([a, b]));
            let le = usize::from(len_le) >= 4 && at + usize::from(len_le) <= data.len();
            let (len, typ) = if le {
                (usize::from(len_le), u16::from_le_bytes([c, d]))
            } else {
                (usize::from(len_be), u16::from_be_bytes([c, d]))
            };
            if len < 4 {
                break;
            }
            if typ == 9 {
                let Some(p) = data.get(at + 4..at + len) else {
                    break;
                };
                match family {
                    2 => self.net(cx, Net::V4(p), 0),
                    10 => self.net(cx, Net::V6(p), 0),
                    _ => self.stats.not_dns += 1,
                }
                return;
            }
            at += (len + 3) & !3;
        }
        self.stats.not_dns += 1;
    }

    fn net(&mut self, cx: &mut Cx<'_>, net: Net<'_>, depth: u8) {
        if depth > MAX_DEPTH {
            self.stats.skip("too-deep");
            return;
        }
        match net {
            Net::V4(d) => self.ipv4(cx, d, depth),
            Net::V6(d) => self.ipv6(cx, d, depth),
        }
    }

    fn ipv4(&mut self, cx: &mut Cx<'_>, d: &[u8], depth: u8) {
        let Some(h) = d.get(..20) else {
            self.stats.skip("ip-truncated");
            return;
        };
        let get = |i: usize| h.get(i).copied().unwrap_or_default();
        if get(0) >> 4 != 4 {
            self.stats.skip("ip-bad-header");
            return;
        }
        let ihl = usize::from(get(0) & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([get(2), get(3)]));
        if ihl < 20 || total < ihl {
            self.stats.skip("ip-bad-header");
            return;
        }
        let flags_off = u16::from_be_bytes([get(6), get(7)]);
        let more = flags_off & 0x2000 != 0;
        let offset = usize::from(flags_off & 0x1fff) * 8;
        // Ethernet pads short frames: the IP length says where data ends.
        // A packet cut by the snap length is read as far as it goes
        // (the DNS decoder keeps what is whole), but a cut fragment
        // would corrupt its datagram.
        let fragment = more || offset > 0;
        let end = if fragment { total } else { total.min(d.len()) };
        let Some(payload) = d.get(ihl..end) else {
            self.stats.skip("ip-truncated");
            return;
        };
        let proto = get(9);
        let src = IpAddr::V4(Ipv4Addr::new(get(12), get(13), get(14), get(15)));
        let dst = IpAddr::V4(Ipv4Addr::new(get(16), get(17), get(18), get(19)));
        if fragment {
            let key = frag::Key {
                src,
                dst,
                proto,
                id: u32::from(u16::from_be_bytes([get(4), get(5)])),
            };
            match self.defrag.add(key, offset, more, payload, cx.time) {
                Outcome::Complete(whole) => self.transport(cx, proto, src, dst, &whole, depth),
                Outcome::Pending => {}
                Outcome::Dropped(why) => self.stats.skip(why),
            }
            self.flush_expired_fragments();
            return;
        }
        self.transport(cx, proto, src, dst, payload, depth);
    }

    fn ipv6(&mut self, cx: &mut Cx<'_>, d: &[u8], depth: u8) {
        let Some(h) = d.get(..40) else {
            self.stats.skip("ip-truncated");
            return;
        };
        let get = |i: usize| h.get(i).copied().unwrap_or_default();
        if get(0) >> 4 != 6 {
            self.stats.skip("ip-bad-header");
            return;
        }
        let plen = usize::from(u16::from_be_bytes([get(4), get(5)]));
        // As for IPv4, a packet cut by the snap length is read as far as
        // it goes; the Fragment header handling refuses cut fragments.
        let cut = 40 + plen > d.len();
        let Some(payload) = d.get(40..(40 + plen).min(d.len())) else {
            self.stats.skip("ip-truncated");
            return;
        };
        if plen == 0 {
            // A jumbogram (RFC 2675), not seen on DNS paths.
            self.stats.skip("ip-truncated");
            return;
        }
        let addr = |at: usize| {
            let mut o = [0u8; 16];
            if let Some(s) = h.get(at..at + 16) {
                o.copy_from_slice(s);
            }
            IpAddr::V6(Ipv6Addr::from(o))
        };
        let (src, dst) = (addr(8), addr(24));
        self.ipv6_ext(cx, get(6), src, dst, payload, cut, depth);
    }

    /// Walks IPv6 extension headers from next header `nh`; `cut` if the
    /// packet was cut by the snap length.
    #[allow(clippy::too_many_arguments)]
    fn ipv6_ext(
        &mut self,
        cx: &mut Cx<'_>,
        mut nh: u8,
        src: IpAddr,
        dst: IpAddr,
        d: &[u8],
        cut: bool,
        depth: u8,
    ) {
        let mut at = 0;
        // Each header advances by at least 8 octets, so the loop ends.
        loop {
            let hdr = d.get(at..at + 2);
            match (nh, hdr) {
                // Hop-by-hop, Routing, Destination options.
                (0 | 43 | 60, Some(&[next, len])) => {
                    nh = next;
                    at += (usize::from(len) + 1) * 8;
                }
                // Authentication header: length in 4-octet units, minus 2.
                (51, Some(&[next, len])) => {
                    nh = next;
                    at += (usize::from(len) + 2) * 4;
                }
                (44, Some(&[next, _])) => {
                    let Some(&[_, _, o1, o2, i1, i2, i3, i4]) = d.get(at..at + 8) else {
                        self.stats.skip("ip-truncated");
                        return;
                    };
                    let fo = u16::from_be_bytes([o1, o2]);
                    let key = frag::Key {
                        src,
                        dst,
                        proto: next,
                        id: u32::from_be_bytes([i1, i2, i3, i4]),
                    };
                    let data = d.get(at + 8..).unwrap_or_default();
                    let (offset, more) = (usize::from(fo & 0xfff8), fo & 1 == 1);
                    if offset == 0 && !more {
                        // An atomic fragment (RFC 6946): not reassembled.
                        nh = next;
                        at += 8;
                        continue;
                    }
                    if cut {
                        self.stats.skip("ip-truncated");
                        return;
                    }
                    match self.defrag.add(key, offset, more, data, cx.time) {
                        Outcome::Complete(whole) => {
                            self.ipv6_ext(cx, next, src, dst, &whole, false, depth + 1);
                        }
                        Outcome::Pending => {}
                        Outcome::Dropped(why) => self.stats.skip(why),
                    }
                    self.flush_expired_fragments();
                    return;
                }
                (0 | 43 | 60 | 51, None) => {
                    self.stats.skip("ip-truncated");
                    return;
                }
                _ => break,
            }
        }
        match d.get(at..) {
            Some(rest) => self.transport(cx, nh, src, dst, rest, depth),
            None => self.stats.skip("ip-truncated"),
        }
    }

    fn transport(
        &mut self,
        cx: &mut Cx<'_>,
        proto: u8,
        src: IpAddr,
        dst: IpAddr,
        d: &[u8],
        depth: u8,
    ) {
        match proto {
            17 => self.udp(cx, src, dst, d, depth),
            6 => self.tcp(cx, src, dst, d),
            4 => self.net(cx, Net::V4(d), depth + 1),
            41 => self.net(cx, Net::V6(d), depth + 1),
            47 => self.gre(cx, d, depth + 1),
            // No next header.
            59 => self.stats.not_dns += 1,
            50 => self.unopened("ESP (encrypted)".into()),
            115 => self.unopened("L2TPv3".into()),
            // ICMP errors quote DNS packets; those are not answers seen.
            _ => self.stats.not_dns += 1,
        }
    }

    fn is_dns_port(&self, p: u16) -> bool {
        self.opts.dns_ports.contains(&p)
    }

    fn udp(&mut self, cx: &mut Cx<'_>, _src: IpAddr, _dst: IpAddr, d: &[u8], depth: u8) {
        let Some(&[s1, s2, d1, d2, l1, l2, _, _]) = d.get(..8) else {
            self.stats.skip("udp-truncated");
            return;
        };
        let (sport, dport) = (u16::from_be_bytes([s1, s2]), u16::from_be_bytes([d1, d2]));
        let len = usize::from(u16::from_be_bytes([l1, l2]));
        // Cut by the snap length: as far as it goes.
        let Some(payload) = d.get(8..len.clamp(8, d.len().max(8))) else {
            self.stats.skip("udp-truncated");
            return;
        };
        if self.is_dns_port(sport) || self.is_dns_port(dport) {
            (cx.sink)(payload, cx.time, &mut self.stats);
            return;
        }
        let port = |p: u16| sport == p || dport == p;
        if port(4789) || port(8472) {
            // VXLAN (RFC 7348; 8472 is Linux's old default): 8 octets.
            match payload.get(8..) {
                Some(inner) => self.ethernet(cx, inner, depth + 1),
                None => self.stats.skip("tunnel-truncated"),
            }
        } else if port(6081) {
            self.geneve(cx, payload, depth + 1);
        } else if port(2152) {
            self.gtpu(cx, payload, depth + 1);
        } else if port(3544) {
            self.teredo(cx, payload, depth + 1);
        } else if port(4754) {
            // GRE-in-UDP (RFC 8086).
            self.gre(cx, payload, depth + 1);
        } else if port(1701) {
            self.unopened("L2TP".into());
        } else if port(4790) {
            self.unopened("VXLAN-GPE".into());
        } else if port(6635) {
            self.unopened("MPLS-in-UDP".into());
        } else {
            self.stats.not_dns += 1;
        }
    }

    fn gre(&mut self, cx: &mut Cx<'_>, d: &[u8], depth: u8) {
        let Some(&[f1, f2, p1, p2]) = d.get(..4) else {
            self.stats.skip("tunnel-truncated");
            return;
        };
        let flags = u16::from_be_bytes([f1, f2]);
        let proto = u16::from_be_bytes([p1, p2]);
        if flags & 0x0007 != 0 {
            self.unopened(format!("GRE version {} (PPTP)", flags & 7));
            return;
        }
        if flags & 0x4000 != 0 {
            self.unopened("GRE with source routing".into());
            return;
        }
        // Checksum (+ reserved), key, sequence number: 4 octets each.
        let at = 4
            + 4 * usize::from(flags & 0x8000 != 0)
            + 4 * usize::from(flags & 0x2000 != 0)
            + 4 * usize::from(flags & 0x1000 != 0);
        let Some(inner) = d.get(at..) else {
            self.stats.skip("tunnel-truncated");
            return;
        };
        match proto {
            0x0800 | 0x86dd | 0x6558 | 0x8100 | 0x88a8 | 0x8847 => {
                self.ethertype(cx, proto, inner, depth);
            }
            // ERSPAN type II: an 8-octet header, then Ethernet.
            0x88be => match inner.get(8..) {
                Some(e) => self.ethernet(cx, e, depth + 1),
                None => self.stats.skip("tunnel-truncated"),
            },
            p => self.unopened(format!("GRE protocol 0x{p:04x}")),
        }
    }

    /// Geneve (RFC 8926): 8 octets plus options, then an EtherType payload.
    fn geneve(&mut self, cx: &mut Cx<'_>, d: &[u8], depth: u8) {
        let Some(&[vo, _, p1, p2]) = d.get(..4) else {
            self.stats.skip("tunnel-truncated");
            return;
        };
        let at = 8 + usize::from(vo & 0x3f) * 4;
        match d.get(at..) {
            Some(inner) => self.ethertype(cx, u16::from_be_bytes([p1, p2]), inner, depth),
            None => self.stats.skip("tunnel-truncated"),
        }
    }

    /// GTP-U (3GPP TS 29.281): G-PDU messages carry user IP packets.
    fn gtpu(&mut self, cx: &mut Cx<'_>, d: &[u8], depth: u8) {
        let Some(&[flags, mtype, _, _]) = d.get(..4) else {
            self.stats.skip("tunnel-truncated");
            return;
        };
        if flags >> 5 != 1 {
            self.unopened(format!("GTP version {}", flags >> 5));
            return;
        }
        if mtype != 0xff {
            // Echo, error indication, end marker: no user data.
            self.stats.not_dns += 1;
            return;
        }
        let mut at = 8;
        if flags & 0x07 != 0 {
            // Sequence number, N-PDU number, next extension header type.
            let Some(&next) = d.get(11) else {
                self.stats.skip("tunnel-truncated");
                return;
            };
            at = 12;
            let mut next = next;
            while next != 0 {
                let Some(&len) = d.get(at) else {
                    self.stats.skip("tunnel-truncated");
                    return;
                };
                let len = usize::from(len) * 4;
                if len == 0 {
                    self.stats.skip("tunnel-malformed");
                    return;
                }
                let Some(&n) = d.get(at + len - 1) else {
                    self.stats.skip("tunnel-truncated");
                    return;
                };
                next = n;
                at += len;
            }
        }
        match d.get(at..) {
            Some(inner) => self.raw_ip(cx, inner, depth),
            None => self.stats.skip("tunnel-truncated"),
        }
    }

    /// Teredo (RFC 4380): IPv6 in UDP, possibly after an authentication
    /// and an origin indication.
    fn teredo(&mut self, cx: &mut Cx<'_>, d: &[u8], depth: u8) {
        let mut at = 0;
        if let Some(&[0, 1, id_len, auth_len]) = d.get(..4) {
            at += 4 + usize::from(id_len) + usize::from(auth_len) + 9;
        }
        if let Some(&[0, 0]) = d.get(at..at + 2) {
            at += 8;
        }
        match d.get(at..) {
            Some(inner) if inner.first().map(|b| b >> 4) == Some(6) => {
                self.net(cx, Net::V6(inner), depth);
            }
            _ => self.stats.not_dns += 1,
        }
    }

    fn tcp(&mut self, cx: &mut Cx<'_>, src: IpAddr, dst: IpAddr, d: &[u8]) {
        let Some(h) = d.get(..20) else {
            self.stats.skip("tcp-truncated");
            return;
        };
        let get = |i: usize| h.get(i).copied().unwrap_or_default();
        let sport = u16::from_be_bytes([get(0), get(1)]);
        let dport = u16::from_be_bytes([get(2), get(3)]);
        if !self.is_dns_port(sport) && !self.is_dns_port(dport) {
            self.stats.not_dns += 1;
            return;
        }
        let seq = u32::from_be_bytes([get(4), get(5), get(6), get(7)]);
        let off = usize::from(get(12) >> 4) * 4;
        let flags = get(13);
        let Some(payload) = d.get(off.max(20)..) else {
            self.stats.skip("tcp-truncated");
            return;
        };
        let seg = Segment {
            seq,
            syn: flags & 0x02 != 0,
            fin: flags & 0x01 != 0,
            rst: flags & 0x04 != 0,
            payload,
        };
        let key = tcp::Key {
            src,
            dst,
            sport,
            dport,
        };
        let mut msgs = Vec::new();
        let mut skips = Vec::new();
        self.tcp.segment(
            key,
            &seg,
            cx.time,
            &mut |m, t| msgs.push((m.to_vec(), t)),
            &mut |w| skips.push(w),
        );
        self.tcp_out(msgs, skips, cx.sink);
    }

    /// Decodes the messages that TCP reassembly completed, each at the
    /// time of the segment that completed it.
    fn tcp_out(
        &mut self,
        msgs: Vec<(Vec<u8>, u64)>,
        skips: Vec<&'static str>,
        sink: &mut Messages<'_>,
    ) {
        for w in skips {
            self.stats.skip(w);
        }
        for (m, t) in msgs {
            sink(&m, t, &mut self.stats);
        }
    }
}

/// Where the DNS messages found go: each with the time of the packet
/// that carried (or completed) it, and the counters, for the caller to
/// decode now or hand to another thread.
pub(crate) type Messages<'s> = dyn FnMut(&[u8], u64, &mut Stats) + 's;

/// What every layer passes down: the packet's time and where messages go.
struct Cx<'a> {
    time: u64,
    sink: &'a mut Messages<'a>,
}
