//! Captures written by the test itself, for what the real captures do not
//! cover: each container variant, link type and tunnel, fragments and TCP
//! segments in hostile orders, and hostile DNS.
#![allow(clippy::unwrap_used)]

use pdns_capture::synth::{self, flags, PcapWriter, Rr};
use pdns_capture::{sniff, Decoder, Options, Stats};
use pdnsfile::Entry;

/// An observation as the tests compare it: name, type, rdata, second.
type Obs = (String, u16, String, u64);

const T: u32 = 1_700_000_000;
const SRV: [u8; 4] = [192, 0, 2, 53];
const CLI: [u8; 4] = [198, 51, 100, 7];
const SRV6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
];
const CLI6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,
];

fn a(name: &str, ip: [u8; 4]) -> Rr<'_> {
    Rr {
        name,
        rtype: 1,
        rdata: ip.to_vec(),
    }
}

/// A response with one A record for `name` (192.0.2.n).
fn resp(name: &str, n: u8) -> Vec<u8> {
    synth::response(7, name, &[a(name, [192, 0, 2, n])], &[])
}

fn v4_udp(dns: &[u8]) -> Vec<u8> {
    synth::ipv4(SRV, CLI, 17, 1, (0, false), &synth::udp(53, 40000, dns))
}

fn v6_udp(dns: &[u8]) -> Vec<u8> {
    synth::ipv6(SRV6, CLI6, 17, &synth::udp(53, 40000, dns))
}

/// Decodes a whole capture; returns (name, type, rdata, time) and stats.
fn decode_with(bytes: &[u8], opts: Options) -> (Vec<Obs>, Stats) {
    assert!(sniff(bytes));
    let mut d = Decoder::new(opts);
    let mut out = Vec::new();
    d.read_observations(bytes, &mut |o| {
        let e: Entry = o.entry();
        // The sort item made straight from the packet is the entry's.
        let mut item = Vec::new();
        o.encode_item(&mut item);
        assert_eq!(item, pdnsfile::sortkey::encode(&e), "{e:?}");
        assert_eq!(
            (e.time_first, e.time_last, e.count),
            (e.time_first, e.time_first, Some(1))
        );
        out.push((e.rrname, e.rrtype, e.rdata, e.time_first));
    })
    .unwrap();
    (out, d.stats().clone())
}

fn decode(bytes: &[u8]) -> (Vec<Obs>, Stats) {
    decode_with(bytes, Options::default())
}

fn pcap(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), link).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.packet(T + u32::try_from(i).unwrap(), 0, f).unwrap();
    }
    w.into_inner()
}

fn one(name: &str, n: u8, t: u64) -> Vec<Obs> {
    vec![(name.to_string(), 1, format!("192.0.2.{n}"), t)]
}

#[test]
fn pcap_byte_orders_and_resolutions() {
    for (be, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut w = PcapWriter::with_format(Vec::new(), 1, be, nanos).unwrap();
        let frac = if nanos { 999_999_999 } else { 999_999 };
        w.packet(
            T,
            frac,
            &synth::ethernet(0x0800, &v4_udp(&resp("a.example", 1))),
        )
        .unwrap();
        let (got, s) = decode(&w.into_inner());
        assert_eq!(got, one("a.example", 1, u64::from(T)), "be {be} ns {nanos}");
        assert_eq!((s.packets, s.dns_messages, s.records), (1, 1, 1));
    }
}

/// pcapng block: type, body, with both lengths.
fn block(btype: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = u32::try_from(12 + body.len() + pad).unwrap();
    let mut b = Vec::new();
    b.extend_from_slice(&btype.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0u8, pad));
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1a2b_3c4d_u32.to_le_bytes());
    body.extend_from_slice(&[1, 0, 0, 0]);
    body.extend_from_slice(&u64::MAX.to_le_bytes());
    block(0x0a0d_0d0a, &body)
}

fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&link.to_le_bytes());
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&262_144_u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend_from_slice(&[9, 0, 1, 0, r, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]);
    }
    block(1, &body)
}

fn epb(iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&iface.to_le_bytes());
    body.extend_from_slice(&u32::try_from(ts >> 32).unwrap().to_le_bytes());
    body.extend_from_slice(&u32::try_from(ts & 0xffff_ffff).unwrap().to_le_bytes());
    let len = u32::try_from(data.len()).unwrap();
    body.extend_from_slice(&len.to_le_bytes());
    body.extend_from_slice(&len.to_le_bytes());
    body.extend_from_slice(data);
    body.extend(std::iter::repeat_n(0u8, (4 - data.len() % 4) % 4));
    block(6, &body)
}

#[test]
fn pcapng_interfaces_with_their_link_types_and_resolutions() {
    let mut f = shb();
    f.extend(idb(1, None)); // Ethernet, microseconds
    f.extend(idb(101, Some(9))); // raw IP, nanoseconds
    f.extend(idb(113, Some(0x80 | 10))); // SLL, 2^-10 s
    f.extend(block(4, &[0, 0, 0, 0])); // name resolution: skipped
    f.extend(block(0x0bad, &[1, 2, 3, 4])); // custom: skipped
    let eth = synth::ethernet(0x0800, &v4_udp(&resp("eth.example", 1)));
    f.extend(epb(0, u64::from(T) * 1_000_000 + 5, &eth));
    f.extend(epb(
        1,
        u64::from(T + 1) * 1_000_000_000 + 7,
        &v6_udp(&resp("raw.example", 2)),
    ));
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend(v4_udp(&resp("sll.example", 3)));
    f.extend(epb(2, u64::from(T + 2) * 1024 + 1000, &sll));
    f.extend(epb(9, 0, &eth)); // no such interface
    f.extend(block(5, &[0; 12])); // interface statistics: skipped
    let (got, s) = decode(&f);
    let mut want = one("eth.example", 1, u64::from(T));
    want.extend(one("raw.example", 2, u64::from(T + 1)));
    want.extend(one("sll.example", 3, u64::from(T + 2)));
    assert_eq!(got, want);
    assert_eq!(s.skipped.get("pcapng-unknown-interface"), Some(&1));
}

#[test]
fn link_types() {
    let ip4 = v4_udp(&resp("x.example", 9));
    let ip6 = v6_udp(&resp("x.example", 9));
    let tag = |tpid: u16, inner: u16, p: &[u8]| {
        let mut v = vec![0, 11];
        v.extend_from_slice(&inner.to_be_bytes());
        v.extend_from_slice(p);
        (tpid, v)
    };
    let (t1, vlan) = tag(0x8100, 0x0800, &ip4);
    let (t2, inner) = tag(0x8100, 0x86dd, &ip6);
    let (t3, qinq) = tag(0x88a8, t2, &inner);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd];
    sll.extend_from_slice(&ip6);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ip4);
    let mut null_le = 2u32.to_le_bytes().to_vec();
    null_le.extend_from_slice(&ip4);
    let mut null_be6 = 24u32.to_be_bytes().to_vec();
    null_be6.extend_from_slice(&ip6);
    let mut loop6 = 30u32.to_be_bytes().to_vec();
    loop6.extend_from_slice(&ip6);
    let cases: Vec<(&str, u32, Vec<u8>)> = vec![
        ("ethernet", 1, synth::ethernet(0x0800, &ip4)),
        ("802.1Q", 1, synth::ethernet(t1, &vlan)),
        ("QinQ", 1, synth::ethernet(t3, &qinq)),
        ("SLL", 113, sll),
        ("SLL2", 276, sll2),
        ("RAW v4", 101, ip4.clone()),
        ("RAW v6", 101, ip6.clone()),
        ("IPV4", 228, ip4.clone()),
        ("IPV6", 229, ip6.clone()),
        ("NULL little-endian", 0, null_le),
        ("NULL big-endian v6", 0, null_be6),
        ("LOOP", 108, loop6),
    ];
    for (what, link, frame) in cases {
        let (got, s) = decode(&pcap(link, &[frame]));
        assert_eq!(got, one("x.example", 9, u64::from(T)), "{what}: {s}");
    }
    let (got, s) = decode(&pcap(147, &[ip4]));
    assert!(got.is_empty());
    assert_eq!(s.unknown_links.get("linktype 147"), Some(&1), "{s}");
    assert!(
        s.to_string()
            .contains("link types not read: linktype 147 1"),
        "{s}"
    );
}

#[test]
fn tunnels() {
    let inner4 = v4_udp(&resp("t.example", 4));
    let inner6 = v6_udp(&resp("t.example", 4));
    let outer_udp =
        |port: u16, p: &[u8]| synth::ipv4(CLI, SRV, 17, 9, (0, false), &synth::udp(50000, port, p));
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
    vx.extend(synth::ethernet(0x0800, &inner4));
    let mut gen = vec![0x00, 0, 0x65, 0x58, 0, 0, 1, 0];
    gen.extend(synth::ethernet(0x0800, &inner4));
    let mut gtp = vec![0x30, 0xff];
    gtp.extend_from_slice(&u16::try_from(inner4.len()).unwrap().to_be_bytes());
    gtp.extend_from_slice(&[0, 0, 0, 1]);
    gtp.extend_from_slice(&inner4);
    let mut gtp_ext = vec![0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0, 0];
    gtp_ext.extend_from_slice(&inner6);
    let mut teredo = vec![0, 0, 0x12, 0x34, 1, 2, 3, 4];
    teredo.extend_from_slice(&inner6);
    let mut gre = vec![0x20, 0, 0x08, 0x00, 0, 0, 0, 42];
    gre.extend_from_slice(&inner4);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("VXLAN", outer_udp(4789, &vx)),
        ("Geneve", outer_udp(6081, &gen)),
        ("GTP-U", outer_udp(2152, &gtp)),
        ("GTP-U extension header", outer_udp(2152, &gtp_ext)),
        ("Teredo", outer_udp(3544, &teredo)),
        (
            "GRE with key",
            synth::ipv4(CLI, SRV, 47, 9, (0, false), &gre),
        ),
        ("GRE-in-UDP", outer_udp(4754, &gre)),
        (
            "IPv4 in IPv4",
            synth::ipv4(CLI, SRV, 4, 9, (0, false), &inner4),
        ),
        (
            "IPv6 in IPv4",
            synth::ipv4(CLI, SRV, 41, 9, (0, false), &inner6),
        ),
        ("IPv4 in IPv6", synth::ipv6(CLI6, SRV6, 4, &inner4)),
    ];
    for (what, frame) in cases {
        let (got, s) = decode(&pcap(101, &[frame]));
        assert_eq!(got, one("t.example", 4, u64::from(T)), "{what}: {s}");
    }
    let pptp = vec![0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0];
    let (got, s) = decode(&pcap(
        101,
        &[synth::ipv4(CLI, SRV, 47, 9, (0, false), &pptp)],
    ));
    assert!(got.is_empty());
    assert_eq!(s.unopened.get("GRE version 1 (PPTP)"), Some(&1), "{s}");
    assert!(
        s.to_string().contains("not opened: GRE version 1 (PPTP) 1"),
        "{s}"
    );
}

/// A response big enough to need fragments: 40 A records.
fn big_response() -> (Vec<u8>, Vec<Obs>) {
    let names: Vec<String> = (0..40).map(|i| format!("n{i}.frag.example")).collect();
    let rrs: Vec<Rr<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| a(n, [10, 0, 0, u8::try_from(i).unwrap()]))
        .collect();
    let want = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), 1, format!("10.0.0.{i}"), u64::from(T)))
        .collect();
    (synth::response(1, "frag.example", &rrs, &[]), want)
}

#[test]
fn ipv4_fragments_in_any_order() {
    let (dns, want) = big_response();
    let udp = synth::udp(53, 40000, &dns);
    let chunks: Vec<&[u8]> = udp.chunks(400).collect();
    let frags: Vec<Vec<u8>> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let off = u16::try_from(i * 400 / 8).unwrap();
            synth::ipv4(SRV, CLI, 17, 77, (off, i + 1 < chunks.len()), c)
        })
        .collect();
    assert!(frags.len() >= 3);
    // Last first, then the middle ones reversed, the first last; and a
    // duplicate of one fragment.
    let mut order: Vec<Vec<u8>> = frags.iter().rev().cloned().collect();
    order.insert(1, frags[1].clone());
    let mut w = PcapWriter::new(Vec::new(), 101).unwrap();
    for f in &order {
        w.packet(T, 0, f).unwrap();
    }
    let (mut got, s) = decode(&w.into_inner());
    got.sort();
    let mut want = want;
    want.sort();
    assert_eq!(got, want, "{s}");
    assert_eq!(s.dns_messages, 1);
    // An incomplete datagram is counted when the capture ends.
    let (got, s) = decode(&pcap(101, &[frags[0].clone()]));
    assert!(got.is_empty());
    assert_eq!(s.skipped.get("ip-fragments-incomplete"), Some(&1), "{s}");
}

#[test]
fn ipv6_fragments_in_any_order() {
    let (dns, want) = big_response();
    let udp = synth::udp(53, 40000, &dns);
    let chunks: Vec<&[u8]> = udp.chunks(504).collect();
    let mut frames: Vec<Vec<u8>> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let off = u16::try_from(i * 504).unwrap() | u16::from(i + 1 < chunks.len());
            // A destination-options header before the Fragment header.
            let mut ext = vec![44, 0, 1, 4, 0, 0, 0, 0];
            ext.extend_from_slice(&[17, 0]);
            ext.extend_from_slice(&off.to_be_bytes());
            ext.extend_from_slice(&0xdead_beef_u32.to_be_bytes());
            ext.extend_from_slice(c);
            synth::ipv6(SRV6, CLI6, 60, &ext)
        })
        .collect();
    frames.swap(0, 2);
    let (mut got, s) = decode(&pcap(101, &frames));
    got.sort();
    let mut want: Vec<_> = want;
    for w in &mut want {
        w.3 = u64::from(T) + u64::try_from(frames.len() - 1).unwrap();
    }
    want.sort();
    assert_eq!(got, want, "{s}");
}

/// Frames of one TCP flow from the server: (seq offset, flags, payload).
fn tcp_capture(segs: &[(u32, u8, &[u8])]) -> Vec<u8> {
    let isn = 0xffff_fff0_u32; // wraps during the stream
    let frames: Vec<Vec<u8>> = segs
        .iter()
        .map(|(off, fl, p)| {
            synth::ipv4(
                SRV,
                CLI,
                6,
                1,
                (0, false),
                &synth::tcp(53, 40000, isn.wrapping_add(*off), *fl, p),
            )
        })
        .collect();
    pcap(101, &frames)
}

fn framed(m: &[u8]) -> Vec<u8> {
    let mut v = u16::try_from(m.len()).unwrap().to_be_bytes().to_vec();
    v.extend_from_slice(m);
    v
}

#[test]
fn tcp_reassembly() {
    let m1 = framed(&resp("one.example", 1));
    let m2 = framed(&resp("two.example", 2));
    let m3 = framed(&resp("three.example", 3));
    let mut stream = m1.clone();
    stream.extend_from_slice(&m2);
    stream.extend_from_slice(&m3);
    // m1 and m2 in one segment, m3 split in three; the segments arrive
    // out of order, one twice.
    let a = m1.len() + m2.len();
    let (s1, s2, s3) = (&stream[..a], &stream[a..a + 5], &stream[a + 5..a + 20]);
    let s4 = &stream[a + 20..];
    let off = |n: usize| u32::try_from(n).unwrap() + 1;
    let cap = tcp_capture(&[
        (0, flags::SYN, b""),
        (off(a + 5), flags::ACK, s3),
        (off(0), flags::ACK | flags::PSH, s1),
        (off(a + 20), flags::ACK, s4),
        (off(0), flags::ACK | flags::PSH, s1),
        (off(a), flags::ACK, s2),
        (off(stream.len()), flags::FIN | flags::ACK, b""),
    ]);
    let (got, s) = decode(&cap);
    let mut want = one("one.example", 1, u64::from(T) + 2);
    want.extend(one("two.example", 2, u64::from(T) + 2));
    want.extend(one("three.example", 3, u64::from(T) + 5));
    assert_eq!(got, want, "{s}");
    assert_eq!(s.skipped.get("tcp-retransmission"), Some(&1), "{s}");
    assert_eq!(s.dns_messages, 3);
}

#[test]
fn more_dns_ports() {
    let frame = synth::ipv4(
        SRV,
        CLI,
        17,
        1,
        (0, false),
        &synth::udp(5353, 40000, &resp("p.example", 5)),
    );
    let cap = pcap(101, &[frame]);
    let (got, s) = decode(&cap);
    assert!(got.is_empty());
    assert_eq!(s.not_dns, 1);
    let opts = Options {
        dns_ports: vec![53, 5353],
        source: Some("pcap:test".into()),
    };
    let mut d = Decoder::new(opts);
    let mut out = Vec::new();
    d.read(cap.as_slice(), &mut |e| out.push(e)).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].sources, ["pcap:test"]);
}

#[test]
fn all_sections_every_type_and_odd_octets() {
    let mut txt = vec![5];
    txt.extend_from_slice(b"a\"b\\\x07");
    let mx = {
        let mut v = vec![0, 10];
        synth::push_name(&mut v, "MX.Example");
        v
    };
    let answers = vec![
        Rr {
            name: "WWW.Example",
            rtype: 1,
            rdata: vec![192, 0, 2, 1],
        },
        Rr {
            name: "www.example",
            rtype: 28,
            rdata: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1].to_vec(),
        },
        Rr {
            name: "www.example",
            rtype: 16,
            rdata: txt,
        },
        Rr {
            name: "www.example",
            rtype: 15,
            rdata: mx,
        },
        Rr {
            name: "www.example",
            rtype: 65_280,
            rdata: vec![0xde, 0xad],
        },
        Rr {
            name: "www.example",
            rtype: 43,
            rdata: vec![0x30, 0x39, 13, 2, 0xab, 0xcd],
        },
    ];
    let mut odd = b"\x03a b\x04c.\xffd\x07example\x00".to_vec();
    odd.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 2]);
    let mut dns = synth::response(
        1,
        "www.example",
        &answers,
        &[Rr {
            name: "ns.example",
            rtype: 1,
            rdata: vec![192, 0, 2, 3],
        }],
    );
    // One more additional record with odd octets in its owner, and an OPT.
    dns.extend_from_slice(&odd);
    dns.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    dns[11] = 3;
    let (got, s) = decode(&pcap(101, &[v4_udp(&dns)]));
    let t = u64::from(T);
    let e = |n: &str, ty: u16, r: &str| (n.to_string(), ty, r.to_string(), t);
    assert_eq!(
        got,
        vec![
            e("www.example", 1, "192.0.2.1"),
            e("www.example", 28, "2001:db8::1"),
            e("www.example", 16, "\"a\\\"b\\\\\\007\""),
            e("www.example", 15, "10 mx.example"),
            e("www.example", 65_280, "\\# 2 dead"),
            e("www.example", 43, "12345 13 2 abcd"),
            e("ns.example", 1, "192.0.2.3"),
            e("a\\032b.c\\.\\255d.example", 1, "192.0.2.2"),
        ],
        "{s}"
    );
}

/// A response whose answer is `owner` (raw wire bytes) with an A record,
/// after one good answer; ancount 2.
fn with_bad_second(owner: &[u8], rdlen: u16) -> Vec<u8> {
    let mut dns = resp("good.example", 1);
    dns[7] = 2;
    dns.extend_from_slice(owner);
    dns.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1]);
    dns.extend_from_slice(&rdlen.to_be_bytes());
    dns.extend_from_slice(&[192, 0, 2, 99]);
    dns
}

#[test]
fn hostile_dns_is_counted_and_the_good_records_kept() {
    let mut loop_msg = resp("good.example", 1);
    loop_msg[7] = 2;
    let at = u16::try_from(loop_msg.len()).unwrap();
    loop_msg.extend_from_slice(&(0xc000 | at).to_be_bytes()); // points at itself
    loop_msg.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
    let mut absurd = resp("good.example", 1);
    absurd[6] = 0xff;
    absurd[7] = 0xff;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("compression loop", loop_msg, "dns-bad-pointer"),
        (
            "pointer out of range",
            with_bad_second(&[0xc3, 0xff], 4),
            "dns-bad-pointer",
        ),
        (
            "bad label type",
            with_bad_second(&[0x45, b'a', 0], 4),
            "dns-bad-label",
        ),
        (
            "rdlength past the end",
            with_bad_second(&[0], 400),
            "dns-truncated",
        ),
        ("absurd counts", absurd, "dns-truncated"),
    ];
    for (what, dns, reason) in cases {
        let good = v4_udp(&resp("after.example", 2));
        let (got, s) = decode(&pcap(101, &[v4_udp(&dns), good]));
        let mut want = one("good.example", 1, u64::from(T));
        want.extend(one("after.example", 2, u64::from(T) + 1));
        assert_eq!(got, want, "{what}: {s}");
        assert_eq!(s.skipped.get(reason), Some(&1), "{what}: {s}");
    }
}

#[test]
fn addresses_of_the_wrong_length_are_skipped_and_the_rest_kept() {
    let rr = |rtype: u16, rdata: Vec<u8>| Rr {
        name: "x.example",
        rtype,
        rdata,
    };
    let v6: Vec<u8> = (1..=16).collect();
    let answers = [
        rr(1, vec![192, 0, 2, 1]),
        rr(1, vec![192, 0, 2]),
        rr(1, vec![192, 0, 2, 1, 9]),
        rr(28, vec![192, 0, 2, 1]),
        rr(28, [v6.as_slice(), &[17]].concat()),
        rr(28, v6.clone()),
        rr(1, Vec::new()),
    ];
    let (got, s) = decode(&pcap(
        101,
        &[v4_udp(&synth::response(3, "x.example", &answers, &[]))],
    ));
    let t = u64::from(T);
    assert_eq!(
        got,
        vec![
            ("x.example".to_string(), 1, "192.0.2.1".to_string(), t),
            (
                "x.example".to_string(),
                28,
                "102:304:506:708:90a:b0c:d0e:f10".to_string(),
                t
            ),
        ],
        "{s}"
    );
    assert_eq!(s.skipped.get("dns-bad-rdata"), Some(&5), "{s}");
}

#[test]
fn garbage_and_truncation_never_panic() {
    // Deterministic pseudo-random bytes (xorshift).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = v4_udp(&synth::response(
        3,
        "z.example",
        &[
            a("z.example", [1, 2, 3, 4]),
            Rr {
                name: "z.example",
                rtype: 15,
                rdata: vec![0, 1, 0xc0, 12],
            },
        ],
        &[],
    ));
    let mut frames = Vec::new();
    for i in 0..3000 {
        let mut f = base.clone();
        let n = f.len();
        match i % 3 {
            // Garbage on port 53.
            0 => {
                for b in f.iter_mut().skip(28) {
                    *b = u8::try_from(next() & 0xff).unwrap();
                }
            }
            // A few flipped octets anywhere after the IP header.
            1 => {
                for _ in 0..4 {
                    let at = 20 + usize::try_from(next()).unwrap() % (n - 20);
                    f[at] = u8::try_from(next() & 0xff).unwrap();
                }
            }
            // Cut short.
            _ => f.truncate(usize::try_from(next()).unwrap() % n),
        }
        frames.push(f);
    }
    // Random TCP segments on port 53: sequence numbers, flags, lengths.
    for i in 0..2000u32 {
        let len = usize::try_from(next() % 300).unwrap();
        let payload: Vec<u8> = (0..len)
            .map(|_| u8::try_from(next() & 0xff).unwrap())
            .collect();
        let seq = if i % 2 == 0 {
            u32::try_from(next() & 0xffff_ffff).unwrap()
        } else {
            i * 100
        };
        let fl = u8::try_from(next() & 0x17).unwrap();
        let port = u16::try_from(next() % 8).unwrap();
        frames.push(synth::ipv4(
            SRV,
            CLI,
            6,
            1,
            (0, false),
            &synth::tcp(53, port, seq, fl, &payload),
        ));
    }
    let started = std::time::Instant::now();
    for link in [101, 1, 113, 276, 0] {
        let (_, s) = decode(&pcap(link, &frames));
        assert_eq!(s.packets, 5000);
    }
    assert!(started.elapsed().as_secs() < 20);
    // A capture cut in the middle of a packet record keeps what came
    // before.
    let mut cap = pcap(
        101,
        &[
            v4_udp(&resp("kept.example", 1)),
            v4_udp(&resp("lost.example", 2)),
        ],
    );
    cap.truncate(cap.len() - 10);
    let (got, s) = decode(&cap);
    assert_eq!(got, one("kept.example", 1, u64::from(T)));
    assert_eq!(s.skipped.get("capture-truncated"), Some(&1), "{s}");
    // Not a capture at all.
    let mut d = Decoder::new(Options::default());
    assert!(d
        .read(&b"hello world, not a pcap"[..], &mut |_| {})
        .is_err());
}

#[test]
fn state_is_bounded() {
    // First fragments of 10 000 datagrams that never complete, and
    // 20 000 TCP streams that never close: the decoder's tables stay
    // within their bounds and everything is counted at the end.
    let mut frames = Vec::new();
    for id in 0..10_000u16 {
        frames.push(synth::ipv4(SRV, CLI, 17, id, (0, true), &[0; 16]));
    }
    for port in 0..20_000u16 {
        frames.push(synth::ipv4(
            SRV,
            CLI,
            6,
            1,
            (0, false),
            &synth::tcp(53, port, 5, flags::ACK, &[0, 40, 1]),
        ));
    }
    // All at one second, so nothing expires: the bounds must hold.
    let mut w = PcapWriter::new(Vec::new(), 101).unwrap();
    for f in &frames {
        w.packet(T, 0, f).unwrap();
    }
    let (got, s) = decode(&w.into_inner());
    assert!(got.is_empty());
    let frags = s
        .skipped
        .get("ip-fragments-incomplete")
        .copied()
        .unwrap_or(0);
    assert_eq!(frags, 10_000, "{s}");
    let evicted = s.skipped.get("tcp-stream-evicted").copied().unwrap_or(0);
    // Evicted by eighths of the table when it is full.
    assert!(
        (20_000 - 16_384..=20_000 - 16_384 + 2048).contains(&evicted),
        "{s}"
    );
    let left = s
        .skipped
        .get("tcp-incomplete-message")
        .copied()
        .unwrap_or(0);
    assert_eq!(evicted + left, 20_000, "{s}");
}

/// Counts the bytes read through it.
struct Counting<'a> {
    inner: &'a [u8],
    read: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = std::io::Read::read(&mut self.inner, buf)?;
        self.read.set(self.read.get() + n);
        Ok(n)
    }
}

/// `read_messages` hands out the responses undecoded, with their times,
/// leaves queries out (counted), and stops reading at the next block when
/// the caller says so: a pipe that does not end is not read to its end for
/// nothing.
#[test]
fn read_messages_hands_out_responses_and_stops_when_asked() {
    let mut frames = Vec::new();
    for i in 0..20_000u32 {
        let name = format!("h{i}.example");
        frames.push(synth::ethernet(0x0800, &v4_udp(&synth::query(7, &name))));
        frames.push(synth::ethernet(0x0800, &v4_udp(&resp(&name, 1))));
    }
    let bytes = pcap(1, &frames);
    let read_all = |stop_after: Option<usize>| {
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let input = Counting {
            inner: &bytes,
            read: std::rc::Rc::clone(&read),
        };
        let mut dec = Decoder::new(Options::default());
        let mut got = Vec::new();
        dec.read_messages(input, &mut |m, t| {
            got.push((m.to_vec(), t));
            stop_after.is_none_or(|n| got.len() < n)
        })
        .unwrap();
        (got, dec.stats().clone(), read.get())
    };
    let (all, stats, read) = read_all(None);
    assert_eq!(all.len(), 20_000);
    assert_eq!((stats.packets, stats.queries), (40_000, 20_000));
    assert_eq!(read, bytes.len());
    // Each is the response as sent, decodable apart.
    let mut st = Stats::default();
    let mut obs = Vec::new();
    pdns_capture::decode_message(&all[5].0, all[5].1, None, &mut st, &mut |o| {
        obs.push(o.entry())
    });
    assert_eq!(obs.len(), 1);
    assert_eq!(
        (obs[0].rrname.as_str(), obs[0].rdata.as_str()),
        ("h5.example", "192.0.2.1")
    );
    assert_eq!((st.dns_messages, st.records), (1, 1));
    // Told to stop after three: reading ends within a buffer or two.
    let (some, _, read) = read_all(Some(3));
    assert_eq!(some.len(), 3);
    assert!(
        read < bytes.len() / 8,
        "read {read} of {} bytes",
        bytes.len()
    );
}
