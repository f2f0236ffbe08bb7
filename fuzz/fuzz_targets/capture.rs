//! Fuzz target: any bytes given to the capture decoder, as a whole capture,
//! as a frame of every link type it reads, and as a DNS message, must be
//! decoded or counted as skipped, never panic or hang; every observation
//! it emits must be canonical (what `Entry::new` would make of it).
//!
//! Run with `cargo +nightly fuzz run capture` from the repository root
//! (see `fuzz/README.md`); the real captures in `capture/tests/data/pcaps`
//! make a good seed corpus.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pdns_capture::{Decoder, Options};
use pdnsfile::Entry;

/// Link types the decoder reads (LINKTYPE_ values), and one it does not.
const LINKS: [u32; 16] = [
    0, 1, 10, 12, 14, 101, 105, 108, 113, 127, 129, 228, 229, 239, 276, 147,
];

fn check(e: Entry) {
    let canon = Entry::new(&e.rrname, e.rrtype, &e.rdata, 0, 0, None);
    match canon {
        Ok(c) => assert_eq!((c.rrname, c.rdata), (e.rrname, e.rdata)),
        Err(err) => panic!("not canonical: {err}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        dns_ports: vec![53, 5353],
        source: Some("pcap:fuzz".into()),
    };
    let mut d = Decoder::new(opts);
    let _ = d.read(data, &mut check);
    for link in LINKS {
        d.frame(link, 1, data, &mut check);
    }
    d.message(data, 1, &mut check);
    d.finish(&mut check);
});
