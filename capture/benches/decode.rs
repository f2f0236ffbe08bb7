//! Decoder throughput on an in-memory synthetic capture (20 000 exchanges,
//! a query and a response each, 1–3 A records per response). The
//! end-to-end figures against tshark are in `benches/CAPTURE.md`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pdns_capture::synth::{self, PcapWriter, Rr};
use pdns_capture::{Decoder, Options};

fn capture(exchanges: u32) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), 1).unwrap_or_else(|_| unreachable!());
    for i in 0..exchanges {
        let name = format!("h{}.zone{}.example", i % 61, i % 4999);
        let [_, _, hi, lo] = i.to_be_bytes();
        let answers: Vec<Rr<'_>> = (0..=(i % 3))
            .map(|j| Rr {
                name: &name,
                rtype: 1,
                rdata: vec![10, hi, lo, u8::try_from(j).unwrap_or(0)],
            })
            .collect();
        let id = u16::try_from(i & 0xffff).unwrap_or(0);
        for dns in [
            synth::query(id, &name),
            synth::response(id, &name, &answers, &[]),
        ] {
            let (sp, dp) = if dns[2] & 0x80 != 0 {
                (53, 40000)
            } else {
                (40000, 53)
            };
            let ip = synth::ipv4(
                [192, 0, 2, 53],
                [10, 0, 0, 7],
                17,
                id,
                (0, false),
                &synth::udp(sp, dp, &dns),
            );
            let _ = w.packet(
                1_700_000_000 + i / 1000,
                (i % 1000) * 1000,
                &synth::ethernet(0x0800, &ip),
            );
        }
    }
    w.into_inner()
}

fn decode(c: &mut Criterion) {
    let bytes = capture(20_000);
    let records: u64 = (0..20_000u64).map(|i| i % 3 + 1).sum();
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("decode 40k packets", |b| {
        b.iter(|| {
            let mut d = Decoder::new(Options::default());
            let mut n = 0u64;
            let _ = d.read(black_box(bytes.as_slice()), &mut |e| {
                n += e.rdata.len() as u64;
            });
            assert_eq!(d.stats().records, records, "{}", d.stats());
            black_box(n)
        });
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
