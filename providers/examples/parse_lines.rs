//! Parses a line-framed export with one parser on one thread and prints
//! the time, to measure the parsers alone (no sort, no archive): as
//! entries (`Parser::parse_line_bytes`), or with `items` as the sort
//! items a build makes (`Parser::parse_line_items`):
//!
//! ```text
//! cargo run --release -p pdns-providers --example parse_lines -- FILE [FORMAT] [items]
//! ```

use std::io::{BufRead, BufReader};
use std::time::Instant;

use pdns_providers::{detect, Format, Parser};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: parse_lines FILE [FORMAT]")?;
    let mut r = BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let format = match args.next() {
        Some(f) => f.parse::<Format>().map_err(|e| format!("{e}"))?,
        None => detect(r.fill_buf()?).ok_or("format not detected")?,
    };
    let items_mode = args.next().as_deref() == Some("items");
    let (mut items, mut ends) = (Vec::new(), Vec::new());
    let mut parser = Parser::new(format);
    let (mut lines, mut entries, mut bad) = (0u64, 0u64, 0u64);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let started = Instant::now();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        lines += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if items_mode {
            if parser
                .parse_line_items(line, &mut items, &mut ends, &mut out)
                .is_err()
            {
                bad += 1;
            }
            entries += ends.len() as u64;
            items.clear();
            ends.clear();
            continue;
        }
        if parser.parse_line_bytes(line, &mut out).is_err() {
            bad += 1;
        }
        entries += out.len() as u64;
        out.clear();
    }
    let s = started.elapsed().as_secs_f64();
    println!(
        "{format}: {lines} lines, {entries} entries, {bad} bad, {s:.2} s, {:.0} lines/s, {:.0} ns/line",
        lines as f64 / s,
        s * 1e9 / lines as f64
    );
    Ok(())
}
