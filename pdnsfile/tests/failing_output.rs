//! A writer whose output fails part way: every stage of the archive
//! (record blocks, the sections copied at the end, the footer) must end in
//! an error naming the write, never a panic or a hang, while the forward
//! name index that `Writer::finish` builds on another thread is still
//! working.

#![allow(clippy::unwrap_used)]

use std::io::{self, Write};

use pdnsfile::record::Entry;
use pdnsfile::{Writer, WriterOptions};

/// Accepts `left` bytes, then fails every write.
struct FailAfter {
    left: usize,
}

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("disk full (test)"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Enough names, addresses and rdata names that every index has work
/// left when the output fails.
fn entries() -> Vec<Entry> {
    let mut v = Vec::new();
    for i in 0..20_000u32 {
        let name = format!("h{i}.zone{}.example", i % 97);
        let [_, b, c, d] = i.to_be_bytes();
        let mut a = Entry::new(&name, 1, &format!("10.{b}.{c}.{d}"), 100, 200, Some(1)).unwrap();
        a.add_source("test");
        v.push(a);
        let target = format!("t{}.cdn.example", i % 5000);
        let mut cname = Entry::new(&name, 5, &target, 100, 200, Some(1)).unwrap();
        cname.add_source("test");
        v.push(cname);
        let mut six =
            Entry::new(&name, 28, &format!("2001:db8::{i:x}"), 100, 200, Some(1)).unwrap();
        six.add_source("test");
        v.push(six);
    }
    v.sort_by(|a, b| a.cmp_key(b));
    v
}

fn write(out: impl Write, entries: &[Entry], dir: &std::path::Path) -> pdnsfile::Result<()> {
    let opts = WriterOptions {
        tmp_dir: Some(dir.to_path_buf()),
        ..WriterOptions::default()
    };
    let mut w = Writer::new(out, opts)?;
    for e in entries {
        w.add(e)?;
    }
    w.finish().map(|_| ())
}

#[test]
fn an_output_that_fails_at_any_point_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let entries = entries();
    let mut whole = Vec::new();
    write(&mut whole, &entries, dir.path()).unwrap();
    let len = whole.len();
    // In the record blocks, in each part of the sections written at the
    // end, and in the footer's last byte.
    let mut limits: Vec<usize> = (1..20).map(|k| len / 20 * k).collect();
    limits.extend([0, 31, len - 64, len - 1]);
    for limit in limits {
        let got = write(FailAfter { left: limit }, &entries, dir.path());
        let e = got.expect_err("the output failed, so must the archive");
        assert!(
            e.to_string().contains("writing the archive"),
            "at {limit} of {len}: {e}"
        );
    }
    // Every temporary file was removed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
