//! `pdns-cof2archive`: builds an archive from COF JSON lines that are
//! already in archive key order (as `pdns-gen --format cof` writes them),
//! so `compare.sh` can time "build from COF JSON lines" end to end without
//! the builder's external sort. Parsing runs on a worker thread, writing
//! on the main thread.
//!
//! ```text
//! pdns-cof2archive IN.jsonl OUT.pdns     # IN may be `-`
//! ```

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use pdnsfile::{Entry, Writer, WriterOptions};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pdns-cof2archive: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        bail!("usage: pdns-cof2archive IN.jsonl OUT.pdns");
    };
    let t0 = Instant::now();
    let reader: Box<dyn Read + Send> = if input == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(input).with_context(|| format!("{input}: cannot open"))?)
    };
    let tmp = format!("{output}.tmp");
    let f = File::create(&tmp).with_context(|| format!("{tmp}: cannot create"))?;
    let mut w = Writer::new(
        BufWriter::with_capacity(1 << 20, f),
        WriterOptions {
            created_by: format!("pdns-cof2archive {}", env!("CARGO_PKG_VERSION")),
            ..WriterOptions::default()
        },
    )?;
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<Entry>>>(8);
    let parser = std::thread::spawn(move || {
        let mut r = BufReader::with_capacity(1 << 20, reader);
        let mut line = String::new();
        let mut batch = Vec::with_capacity(8192);
        let mut no = 0u64;
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            }
            no += 1;
            let t = line.trim_end();
            if t.is_empty() {
                continue;
            }
            match pdnsfile::cof::from_line(t) {
                Ok(mut v) => batch.append(&mut v),
                Err(e) => {
                    let _ = tx.send(Err(anyhow::anyhow!("line {no}: {e}")));
                    return;
                }
            }
            if batch.len() >= 8192 && tx.send(Ok(std::mem::take(&mut batch))).is_err() {
                return;
            }
        }
        let _ = tx.send(Ok(batch));
    });
    let mut n = 0u64;
    for b in rx {
        for e in b? {
            w.add(&e)?;
            n += 1;
        }
    }
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parser thread panicked"))?;
    let out = w.finish()?;
    let f = out.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()?;
    std::fs::rename(&tmp, output).with_context(|| format!("{output}: cannot rename"))?;
    let secs = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "pdns-cof2archive: {n} entries in {secs:.2} s ({:.0} entries/s), {size} bytes ({:.2} bytes/entry)",
        n as f64 / secs.max(1e-9),
        size as f64 / n.max(1) as f64
    );
    Ok(())
}
