//! Decodes a capture and prints the counters and the time taken, without
//! writing an archive: the decoder's own throughput.
//!
//! ```text
//! cargo run --release -p pdns-capture --example decode -- FILE.pcap
//! ```

use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use pdns_capture::{Decoder, Options};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: decode FILE.pcap");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("decode: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let started = Instant::now();
    let mut decoder = Decoder::new(Options::default());
    let mut rdata_bytes = 0usize;
    if let Err(e) = decoder.read(BufReader::with_capacity(1 << 20, file), &mut |e| {
        rdata_bytes += e.rdata.len();
    }) {
        eprintln!("decode: {path}: {e}");
        return ExitCode::FAILURE;
    }
    let secs = started.elapsed().as_secs_f64();
    let s = decoder.stats();
    println!("{s}");
    #[allow(clippy::cast_precision_loss)]
    let (pps, mbps) = (s.packets as f64 / secs, bytes as f64 / secs / 1e6);
    println!("{secs:.2} s, {pps:.0} packets/s, {mbps:.1} MB/s ({rdata_bytes} rdata bytes)");
    ExitCode::SUCCESS
}
