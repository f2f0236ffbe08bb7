//! The `pdns-build` binary as cron runs it: exit codes, bad-line reports,
//! the output lock, and a build killed with SIGKILL at several points that
//! must leave the previous archive untouched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pdnsfile::{Archive, Filter, Query};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pdns-build"))
}

/// Writes `n` COF lines with distinct names (deterministic).
fn cof_file(path: &Path, n: usize, offset: usize) {
    let mut s = String::with_capacity(n * 120);
    for i in offset..offset + n {
        s.push_str(&format!(
            "{{\"rrname\":\"h{i}.zone{}.example\",\"rrtype\":\"A\",\"rdata\":\"10.{}.{}.{}\",\"time_first\":{},\"time_last\":{},\"count\":{}}}\n",
            i % 97,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255,
            1_600_000_000 + i,
            1_600_000_100 + i,
            i % 7 + 1
        ));
    }
    fs::write(path, s).unwrap();
}

fn build(out: &Path, inputs: &[&Path]) -> std::process::Output {
    bin()
        .arg("build")
        .arg("-o")
        .arg(out)
        .args(inputs)
        .output()
        .unwrap()
}

fn build_strict(out: &Path, input: &Path) -> std::process::Output {
    bin()
        .args(["build", "--strict", "-o"])
        .arg(out)
        .arg(input)
        .output()
        .unwrap()
}

/// Inputs of several chunks (1 MiB, or 8192 lines) are cut between
/// lines, whatever the lines' length: no line is lost or split.
#[test]
fn large_inputs_are_cut_between_lines() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.jsonl");
    cof_file(&short, 40_000, 0);
    let long = dir.path().join("long.jsonl");
    let pad = "x".repeat(900);
    let mut s = String::new();
    for i in 0..4000 {
        s.push_str(&format!(
            "{{\"rrname\":\"h{i}.example\",\"rrtype\":\"TXT\",\"rdata\":\"{pad}{i}\",\"time_first\":1600000000,\"time_last\":1600000001}}\n"
        ));
    }
    fs::write(&long, s).unwrap();
    assert!(fs::metadata(&short).unwrap().len() > 3 << 20);
    assert!(fs::metadata(&long).unwrap().len() > 3 << 20);
    let out = dir.path().join("out.pdns");
    let o = build_strict(&out, &short);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(count(&out), 40_000);
    let o = build_strict(&out, &long);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(count(&out), 4000);
    // More lines than a chunk takes, in less than a chunk's bytes.
    let many = dir.path().join("many.jsonl");
    let mut s = String::new();
    for i in 0..10_000 {
        s.push_str(&format!(
            "{{\"rrname\":\"a{i}.e\",\"rrtype\":\"A\",\"rdata\":\"10.0.0.1\",\"time_first\":1,\"time_last\":2}}\n"
        ));
    }
    fs::write(&many, s).unwrap();
    assert!(fs::metadata(&many).unwrap().len() < 1 << 20);
    let o = build_strict(&out, &many);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(count(&out), 10_000);
}

#[test]
fn builds_and_reports_bad_lines_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    fs::write(
        &input,
        concat!(
            "{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1,\"time_last\":2,\"count\":1}\n",
            "{\"rrname\":\"b.example\",\"rrtype\":\"A\",\"rdata\":\"not-an-ip\",\"time_first\":1,\"time_last\":2}\n",
            "{\"rrname\":\"c.\\u001b[31mexample\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.3\",\"time_first\":1,\"time_last\":2}\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("a.pdns");
    let o = build(&out, &[&input]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("in.jsonl:2: bad-rdata"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "raw escape reached the terminal: {stderr}"
    );
    let a = Archive::open(&out).unwrap();
    a.verify().unwrap();
    assert_eq!(a.record_count(), 2);
    let names: Vec<String> = a
        .query(&Query::All, &Filter::default())
        .unwrap()
        .map(|e| e.unwrap().rrname)
        .collect();
    assert_eq!(names, ["c.\\027[31mexample", "a.example"]);

    // --strict fails the run and publishes nothing.
    let out2 = dir.path().join("b.pdns");
    let o = build_strict(&out2, &input);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("in.jsonl:2:"));
    assert!(!out2.exists());
}

#[test]
fn unknown_format_is_named_and_other_files_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    cof_file(&good, 10, 0);
    let junk = dir.path().join("notes.txt");
    fs::write(&junk, "this is not passive DNS\nat all\n").unwrap();
    let out = dir.path().join("a.pdns");
    let o = build(&out, &[&junk, &good]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("notes.txt: not in any known format"),
        "{stderr}"
    );
    assert_eq!(Archive::open(&out).unwrap().record_count(), 10);
}

#[test]
fn a_second_build_on_the_same_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.pdns");
    let _held = pdns_build::publish::OutputLock::acquire(&out).unwrap();
    let input = dir.path().join("in.jsonl");
    cof_file(&input, 5, 0);
    let o = build(&out, &[&input]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("another pdns-build is writing this output")
    );
    assert!(!out.exists());
}

#[test]
fn sigkill_never_damages_the_previous_archive() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nightly.pdns");
    let small = dir.path().join("small.jsonl");
    cof_file(&small, 100, 0);
    assert_eq!(build(&out, &[&small]).status.code(), Some(0));
    let before = fs::read(&out).unwrap();

    // Large enough that the build runs for a while even in release.
    let big = dir.path().join("big.jsonl");
    cof_file(&big, 400_000, 1_000);
    let mut killed_while_running = 0;
    for delay_ms in [0u64, 20, 80, 200, 500, 1_000, 2_000] {
        let mut child = bin()
            .args(["build", "--memory", "64M", "-o"])
            .arg(&out)
            .arg(&big)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let now = fs::read(&out).unwrap();
        // Either the build finished (a complete new archive) or the old
        // archive is there byte for byte; never anything in between.
        if now != before {
            let a = Archive::open(&out).unwrap();
            a.verify().unwrap();
            assert_eq!(a.record_count(), 400_000, "a published archive is complete");
            fs::write(&out, &before).unwrap();
        } else {
            Archive::open(&out).unwrap().verify().unwrap();
        }
    }
    assert!(
        killed_while_running >= 3,
        "the build was too fast to be killed mid-way"
    );
    // The lock died with the process: a new build runs and cleans up the
    // killed builds' temporary files.
    let started = Instant::now();
    assert_eq!(build(&out, &[&small]).status.code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(60));
    let leftovers: Vec<PathBuf> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn base_carries_forward_and_reruns_skip_ingested_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.jsonl");
    cof_file(&day1, 50, 0);
    let day2 = dir.path().join("day2.jsonl");
    cof_file(&day2, 30, 40); // 10 keys overlap with day 1
    let mon = dir.path().join("mon.pdns");
    assert_eq!(build(&mon, &[&day1]).status.code(), Some(0));
    let tue = dir.path().join("tue.pdns");
    let run = || {
        bin()
            .args(["build", "--base"])
            .arg(&mon)
            .arg("-o")
            .arg(&tue)
            .arg(&day1)
            .arg(&day2)
            .output()
            .unwrap()
    };
    let o = run();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("already ingested, skipped"), "{stderr}");
    let a = Archive::open(&tue).unwrap();
    a.verify().unwrap();
    assert_eq!(a.record_count(), 70);
    // Overlapping keys were counted once per ingestion: day 1 once, day 2 once.
    let e = first_entry(&a, "h45.zone45.example");
    assert_eq!(e.count, Some(2 * (45 % 7 + 1)));
    assert_eq!(a.meta().unwrap().inputs.len(), 2);
    // A retried run with the same base changes nothing.
    let before = fs::read(&tue).unwrap();
    assert_eq!(run().status.code(), Some(0));
    assert_eq!(fs::read(&tue).unwrap(), before);
    // Building on top of tue skips both inputs entirely.
    let wed = dir.path().join("wed.pdns");
    let o = bin()
        .args(["build", "--base"])
        .arg(&tue)
        .arg("-o")
        .arg(&wed)
        .arg(&day1)
        .arg(&day2)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let w = Archive::open(&wed).unwrap();
    let all = |x: &Archive| {
        x.query(&Query::All, &Filter::default())
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    assert_eq!(all(&w), all(&a));
}

/// An archive damaged after it was written (here one bit in a name block,
/// which has no checksum of its own) is neither built upon nor merged:
/// both would copy its entries into a new archive whose checksums are
/// valid, and the damage would pass every later `verify`.
#[test]
fn damaged_archives_are_neither_a_base_nor_merged() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.jsonl");
    cof_file(&day1, 200, 0);
    let day2 = dir.path().join("day2.jsonl");
    cof_file(&day2, 50, 500);
    let mon = dir.path().join("mon.pdns");
    assert_eq!(build(&mon, &[&day1]).status.code(), Some(0));
    let a = Archive::open(&mon).unwrap();
    let nt = a
        .sections()
        .into_iter()
        .find(|s| s.name == "NAME_TABLE")
        .unwrap();
    let mut bytes = fs::read(&mon).unwrap();
    // Past the table's header and offsets, inside the first name block.
    let at = usize::try_from(nt.offset + nt.length - 3).unwrap();
    bytes[at] ^= 0x01;
    let damaged = dir.path().join("damaged.pdns");
    fs::write(&damaged, &bytes).unwrap();

    // Yesterday's output stays as it was.
    let tue = dir.path().join("tue.pdns");
    assert_eq!(build(&tue, &[&day2]).status.code(), Some(0));
    let before = fs::read(&tue).unwrap();
    let o = bin()
        .args(["build", "--base"])
        .arg(&damaged)
        .arg("-o")
        .arg(&tue)
        .arg(&day2)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("damaged.pdns: the base archive is damaged; nothing published")
            && stderr.contains("section NAME_TABLE"),
        "{stderr}"
    );
    assert_eq!(fs::read(&tue).unwrap(), before);

    let month = dir.path().join("month.pdns");
    let o = bin()
        .args(["merge", "-o"])
        .arg(&month)
        .arg(&tue)
        .arg(&damaged)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("damaged.pdns: damaged archive; nothing merged")
            && stderr.contains("section NAME_TABLE"),
        "{stderr}"
    );
    assert!(!month.exists());
    // The intact archive is still a good base.
    let o = bin()
        .args(["build", "--base"])
        .arg(&mon)
        .arg("-o")
        .arg(&tue)
        .arg(&day2)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(Archive::open(&tue).unwrap().record_count(), 250);
}

/// COF is parsed on two threads in 1 MiB chunks: bad lines far apart
/// (in different chunks, some at chunk edges) are still reported in input
/// order with their own line numbers, every good line is kept, and
/// `--strict` stops at the first bad line without hanging.
#[test]
fn parallel_parsing_keeps_line_numbers_order_and_strict() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    let n = 40_000;
    let bad: Vec<usize> = vec![3, 9_001, 9_002, 17_777, 25_000, 39_999];
    let mut s = String::new();
    for i in 1..=n {
        if bad.contains(&i) {
            s.push_str(&format!("{{\"rrname\":\"bad{i}.example\",\"rrtype\":\"A\",\"rdata\":\"no\",\"time_first\":1,\"time_last\":2}}\n"));
        } else {
            s.push_str(&format!(
                "{{\"rrname\":\"h{i}.example\",\"rrtype\":\"TXT\",\"rdata\":\"\\\"{}\\\"\",\"time_first\":1,\"time_last\":2,\"count\":1}}\n",
                "x".repeat(i % 40)
            ));
        }
    }
    // No newline after the last line.
    s.pop();
    assert!(s.len() > 3 << 20, "the input must span several chunks");
    fs::write(&input, s).unwrap();
    let out = dir.path().join("a.pdns");
    let o = build(&out, &[&input]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let reported: Vec<usize> = stderr
        .lines()
        .filter_map(|l| l.split("big.jsonl:").nth(1))
        .filter_map(|l| l.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(reported, bad, "{stderr}");
    assert!(stderr.contains(&format!("{n} lines")), "{stderr}");
    let a = Archive::open(&out).unwrap();
    assert_eq!(a.record_count() as usize, n - bad.len());

    let out2 = dir.path().join("b.pdns");
    let started = Instant::now();
    let o = build_strict(&out2, &input);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("big.jsonl:3:"), "{stderr}");
    assert!(!stderr.contains("big.jsonl:9001:"), "{stderr}");
    assert!(!out2.exists());
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// A pipe named by a path (`/dev/stdin`, `<(zcat ...)`) is read once,
/// whole, like `-`: not opened a second time to hash it (which would take
/// part of its bytes), and not recorded as an ingested input, since its
/// path names nothing a rerun could find again.
#[test]
fn a_pipe_is_read_whole_and_not_recorded() {
    use std::io::Write as _;
    if !Path::new("/dev/stdin").exists() {
        eprintln!("no /dev/stdin here; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    cof_file(&input, 30_000, 0);
    let out = dir.path().join("p.pdns");
    let mut child = bin()
        .args(["build", "-o"])
        .arg(&out)
        .arg("/dev/stdin")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let data = fs::read(&input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("30000 lines, 30000 entries, 0 bad lines"),
        "{stderr}"
    );
    let a = Archive::open(&out).unwrap();
    assert_eq!(a.record_count(), 30_000);
    assert!(a.meta().unwrap().inputs.is_empty());
}

/// The first entry of `name` in `a`.
fn first_entry(a: &Archive, name: &str) -> pdnsfile::Entry {
    a.query(&Query::Name(name.into()), &Filter::default())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
}

fn count(archive: &Path) -> u32 {
    Archive::open(archive).unwrap().record_count()
}

/// Links in an input folder are followed, to files and to folders; a
/// link back up the tree is listed once, and the output (and its lock)
/// in a folder it reads is not taken for an input.
#[cfg(unix)]
#[test]
fn folders_follow_links_once_and_skip_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir_all(data.join("sub")).unwrap();
    cof_file(&data.join("a.jsonl"), 10, 0);
    cof_file(&data.join("sub/b.jsonl"), 10, 100);
    let inputs = dir.path().join("in");
    fs::create_dir(&inputs).unwrap();
    std::os::unix::fs::symlink(data.join("a.jsonl"), inputs.join("a.jsonl")).unwrap();
    std::os::unix::fs::symlink(data.join("sub"), inputs.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", inputs.join("up")).unwrap();
    let out = inputs.join("out.pdns");
    for _ in 0..2 {
        let o = build(&out, &[&inputs]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        assert!(
            !stderr
                .lines()
                .any(|l| l.contains("input:") && l.contains("out.pdns")),
            "{stderr}"
        );
        // Each file once, whichever way the folder reaches it.
        assert_eq!(count(&out), 20, "{stderr}");
    }
}

/// A path that does not exist is an input not read: the others are built
/// and the run exits 3; when nothing at all could be read, nothing is
/// published and the run fails.
#[test]
fn a_missing_input_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    cof_file(&good, 10, 0);
    let missing = dir.path().join("missing.jsonl");
    let out = dir.path().join("out.pdns");
    let o = build(&out, &[&missing, &good]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("input not read"), "{stderr}");
    assert_eq!(count(&out), 10);
    let none = dir.path().join("none.pdns");
    let o = build(&none, &[&missing]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing published"), "{stderr}");
    assert!(!none.exists());
}

/// A file reached twice (named twice, and through a link in a folder) is
/// read once, even one that is not recorded as ingested (only bad
/// lines); a folder that holds no file (a mount that is not there) is an
/// input not read.
#[cfg(unix)]
#[test]
fn inputs_reached_twice_are_read_once_and_empty_folders_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    let bad = data.join("bad.jsonl");
    fs::write(
        &bad,
        "{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"not-an-address\",\"time_first\":1,\"time_last\":2}\n",
    )
    .unwrap();
    let good = data.join("good.jsonl");
    cof_file(&good, 10, 0);
    std::os::unix::fs::symlink(&good, data.join("link.jsonl")).unwrap();
    std::os::unix::fs::symlink(&bad, data.join("zlink.jsonl")).unwrap();
    let out = dir.path().join("out.pdns");
    let o = build(&out, &[&bad, &data, &good, &data]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.matches(":1: ").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("cof, 10 lines, 10 entries").count(),
        1,
        "{stderr}"
    );
    let a = Archive::open(&out).unwrap();
    assert_eq!(a.record_count(), 10);
    assert_eq!(first_entry(&a, "h3.zone3.example").count, Some(4));
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = build(&out, &[&empty, &good]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("no input file in this folder"), "{stderr}");
    let before = fs::read(&out).unwrap();
    let o = build(&out, &[&empty]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing published"), "{stderr}");
    assert_eq!(fs::read(&out).unwrap(), before);
    // A folder that holds only the output (and its lock) is empty too.
    let own = dir.path().join("own");
    fs::create_dir(&own).unwrap();
    let day = own.join("day.pdns");
    fs::copy(&out, &day).unwrap();
    let o = build(&day, &[&own]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(fs::read(&day).unwrap(), before);
    // A folder whose only content is a link to a folder read already is
    // not empty: its files were read, once. So is a hard link.
    let other = dir.path().join("other");
    fs::create_dir(&other).unwrap();
    std::os::unix::fs::symlink(&data, other.join("again")).unwrap();
    let hard = dir.path().join("hard");
    fs::create_dir(&hard).unwrap();
    fs::hard_link(&good, hard.join("same.jsonl")).unwrap();
    let o = build(&out, &[&good, &data, &other, &hard]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "bad.jsonl: {stderr}");
    assert!(!stderr.contains("no input file"), "{stderr}");
    assert_eq!(
        stderr.matches("cof, 10 lines, 10 entries").count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        first_entry(&Archive::open(&out).unwrap(), "h3.zone3.example").count,
        Some(4)
    );
}

/// An input that fails after some of its entries were taken (a gzip file
/// cut short) stops the run with nothing published: the rerun that reads
/// it whole would count them twice. One that fails before gives nothing
/// and is an input not read, as any.
#[test]
fn an_input_that_fails_midway_publishes_nothing() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("big.jsonl");
    cof_file(&plain, 40_000, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&fs::read(&plain).unwrap()).unwrap();
    let gz = gz.finish().unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    fs::write(&cut, &gz[..gz.len() * 3 / 4]).unwrap();
    let good = dir.path().join("good.jsonl");
    cof_file(&good, 10, 50_000);
    let out = dir.path().join("out.pdns");
    assert_eq!(build(&out, &[&good]).status.code(), Some(0));
    let before = fs::read(&out).unwrap();
    let o = build(&out, &[&good, &cut]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cut.jsonl.gz: failed after"), "{stderr}");
    assert!(stderr.contains("nothing published"), "{stderr}");
    assert_eq!(fs::read(&out).unwrap(), before);
    // Cut within its first chunk: nothing of it taken, the others built.
    let small = dir.path().join("small.jsonl.gz");
    fs::write(&small, &gz[..2000]).unwrap();
    let o = build(&out, &[&good, &small]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert_eq!(count(&out), 10);
}

/// A file that gave no entry, only bad lines, is not recorded as
/// ingested: the rerun after a fix reads it. A file recorded once is
/// skipped however the rerun names it.
#[test]
fn what_is_recorded_as_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    fs::write(
        &bad,
        "{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"not-an-address\",\"time_first\":1,\"time_last\":2}\n".repeat(2),
    )
    .unwrap();
    let good = dir.path().join("good.jsonl");
    cof_file(&good, 10, 0);
    let out = dir.path().join("out.pdns");
    let o = build(&out, &[&bad, &good]);
    assert_eq!(o.status.code(), Some(3));
    let inputs = Archive::open(&out).unwrap().meta().unwrap().inputs.clone();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert!(Path::new(&inputs[0].path).is_absolute(), "{inputs:?}");
    // Rerun with the base: the bad file is read again (and is bad
    // again), the good one is skipped though named another way.
    let other = dir.path().join(".").join("good.jsonl");
    let o = bin()
        .args(["build", "--base"])
        .arg(&out)
        .arg("-o")
        .arg(&out)
        .arg(&bad)
        .arg(&other)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("bad.jsonl:1:"), "{stderr}");
    assert!(stderr.contains("already ingested, skipped"), "{stderr}");
    let a = Archive::open(&out).unwrap();
    assert_eq!(a.record_count(), 10);
    let e = first_entry(&a, "h3.zone3.example");
    assert_eq!(e.count, Some(4), "counted once (3 % 7 + 1)");
}

/// Bad sizes are usage errors (exit 2), found by the argument parser; a
/// budget too small to sort in is refused the same way.
#[test]
fn bad_memory_sizes_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    cof_file(&input, 10, 0);
    for size in ["abc", "48M", "12X"] {
        let o = bin()
            .args(["build", "--memory", size, "-o"])
            .arg(dir.path().join("o.pdns"))
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "--memory {size}");
    }
    let o = bin()
        .args(["build", "--memory", "64M", "-o"])
        .arg(dir.path().join("o.pdns"))
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

/// `--quiet` and `--log-format json` hold for every command and for the
/// error that ends a run; a closed stderr does not make a build fail.
#[test]
fn log_options_hold_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    cof_file(&input, 10, 0);
    let a = dir.path().join("a.pdns");
    assert_eq!(build(&a, &[&input]).status.code(), Some(0));
    let m = dir.path().join("m.pdns");
    let o = bin()
        .args(["-q", "merge", "-o"])
        .arg(&m)
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = bin()
        .args(["--log-format", "json", "merge", "-o"])
        .arg(&m)
        .arg(&a)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let v: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(v["step"], "done");
    assert_eq!(v["entries"], 10);
    let o = bin()
        .args(["--log-format", "json", "build", "-o"])
        .arg(dir.path().join("x.pdns"))
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for line in stderr.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["level"] == "warn" || v["level"] == "error", "{line}");
    }
    assert!(stderr.contains("\"level\":\"error\""), "{stderr}");
    // Standard error closed before the first line.
    let o = bin()
        .args(["build", "-o"])
        .arg(dir.path().join("c.pdns"))
        .arg(&input)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let mut child = bin()
        .args(["build", "-o"])
        .arg(dir.path().join("d.pdns"))
        .arg(&input)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(count(&dir.path().join("d.pdns")), 10);
}

/// The README's cron jobs (`builder/contrib/pdns-cron.sh`) on a folder
/// layout of three nights: the first creates the running total, a night
/// with a bad line still publishes both archives (exit 3), a rerun
/// counts nothing twice, and the monthly job merges the nights and
/// deletes old nightly files with their locks.
#[cfg(unix)]
#[test]
fn cron_script_runs_the_readme_layout() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("no bash here; cron_script_runs_the_readme_layout skipped");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/pdns-cron.sh");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let cron = |args: &[&str]| {
        let o = Command::new("bash")
            .arg(&script)
            .args(args)
            .env("PDNS_ROOT", root)
            .env("PDNS_BUILD", env!("CARGO_BIN_EXE_pdns-build"))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    for (day, offset) in [("2026-10-31", 0), ("2026-11-01", 5), ("2026-11-02", 10)] {
        let d = root.join("incoming").join(day);
        fs::create_dir_all(&d).unwrap();
        cof_file(&d.join("export.jsonl"), 10, offset);
    }
    let bad = root.join("incoming/2026-11-02/bad.jsonl");
    fs::write(
        &bad,
        "{\"rrname\":\"a.example\",\"rrtype\":\"A\",\"rdata\":\"not-an-address\",\"time_first\":1,\"time_last\":2}\n",
    )
    .unwrap();
    assert_eq!(cron(&["nightly", "2026-10-31"]), (Some(0), String::new()));
    assert_eq!(count(&root.join("current.pdns")), 10);
    assert_eq!(cron(&["nightly", "2026-11-01"]).0, Some(0));
    assert_eq!(cron(&["nightly", "2026-11-02"]).0, Some(3));
    assert_eq!(count(&root.join("nightly/2026-11-02.pdns")), 10);
    // Names 0..20 over three nights of 10, overlapping by 5.
    assert_eq!(count(&root.join("current.pdns")), 20);
    let before = fs::read(root.join("current.pdns")).unwrap();
    assert_eq!(cron(&["nightly", "2026-11-02"]).0, Some(3));
    let e = first_entry(
        &Archive::open(root.join("current.pdns")).unwrap(),
        "h12.zone12.example",
    );
    // Seen on the nights of 11-01 and 11-02, once each.
    assert_eq!(e.count, Some(2 * (12 % 7 + 1)));
    assert_eq!(fs::read(root.join("current.pdns")).unwrap(), before);
    let log = fs::read_to_string(root.join("log/pdns-build.log")).unwrap();
    assert!(log.lines().all(|l| l.starts_with('{')), "{log}");
    // A night with no input (a mount that is not there) fails and
    // publishes nothing; the running total stays.
    fs::create_dir_all(root.join("incoming/2026-11-03")).unwrap();
    let (code, stderr) = cron(&["nightly", "2026-11-03"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!root.join("nightly/2026-11-03.pdns").exists());
    assert_eq!(fs::read(root.join("current.pdns")).unwrap(), before);
    // An old night, its lock and a killed build's temporary go; the
    // month's nights are merged first.
    let old = root.join("nightly/2026-10-31.pdns");
    let stale = root.join("nightly/.2026-10-30.pdns.a1B2c3.tmp");
    fs::write(&stale, b"half an archive").unwrap();
    for f in [
        old.clone(),
        root.join("nightly/2026-10-31.pdns.lock"),
        stale.clone(),
    ] {
        assert!(f.exists(), "{}", f.display());
        let t = Command::new("touch")
            .args(["-d", "2000-01-01"])
            .arg(&f)
            .status()
            .unwrap();
        assert!(t.success());
    }
    assert_eq!(cron(&["monthly", "2026-11"]).0, Some(0));
    assert_eq!(count(&root.join("monthly/2026-11.pdns")), 15);
    assert!(!old.exists());
    assert!(!root.join("nightly/2026-10-31.pdns.lock").exists());
    assert!(!stale.exists());
    assert!(root.join("nightly/2026-11-01.pdns").exists());
}

/// `verify` checks each file on its own (a damaged one fails, exit 1,
/// the others still pass), and `info` describes an archive in text and
/// in JSON.
#[test]
fn verify_and_info_commands() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    cof_file(&input, 200, 0);
    let good = dir.path().join("good.pdns");
    assert_eq!(build(&good, &[&input]).status.code(), Some(0));
    let o = bin().arg("verify").arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("good.pdns: ok (200 entries"), "{stdout}");
    // One flipped byte in the middle of the file (record blocks).
    let mut bytes = fs::read(&good).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid] ^= 0x55;
    let bad = dir.path().join("bad.pdns");
    fs::write(&bad, &bytes).unwrap();
    let o = bin().arg("verify").arg(&bad).arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].contains("bad.pdns: FAILED: "), "{stdout}");
    assert!(lines[1].contains("good.pdns: ok"), "{stdout}");
    // A reader that is gone before anything is written (`verify … | true`)
    // does not turn the failure into success.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = bin()
        .arg("verify")
        .arg(&bad)
        .stdout(writer)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let o = bin().arg("info").arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "entries     200",
        "inputs: 1",
        "in.jsonl (",
        "sections:",
        "BLOCKS",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
    let o = bin().args(["info", "--json"]).arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["entries"], 200, "{v}");
}

/// Format detection reads the start of standard input whole, however the
/// writer splits it: a DNSDB export piped in two pieces with a pause
/// between them is detected as it is from its file.
#[test]
fn detection_on_stdin_does_not_depend_on_pipe_timing() {
    use std::io::Write as _;
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../providers/tests/data/samples/dnsdb_v1.jsonl");
    let data = fs::read(&sample).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.pdns");
    let mut child = bin()
        .args(["build", "-o"])
        .arg(&out)
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let (a, b) = data.split_at(60);
        stdin.write_all(a)?;
        stdin.flush()?;
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(b)
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let a = Archive::open(&out).unwrap();
    assert_eq!(a.record_count(), 7, "{stderr}");
    assert_eq!(a.sources(), ["dnsdb"], "{stderr}");
}

/// `pdns-build build ARGS -o OUT INPUT`, with its stderr as text.
fn build_with(args: &[&str], out: &Path, input: &Path) -> (Option<i32>, String) {
    let o = bin()
        .arg("build")
        .args(args)
        .arg("-o")
        .arg(out)
        .arg(input)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Asserts that `pdns-build build ARGS` on `input` fails saying `why`,
/// before writing any output.
fn assert_refused(args: &[&str], dir: &Path, input: &Path, why: &str) {
    let never = dir.join("never.pdns");
    let (code, stderr) = build_with(args, &never, input);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    assert!(!never.exists());
}

/// A gamelinux log written with another `-f` and `-d` is read with
/// `--passivedns-fields` and `--passivedns-delimiter`; a letter the
/// sensor does not have is refused before any input is read.
#[test]
fn passivedns_logs_with_their_own_field_spec() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("passivedns.log");
    // -f HhpCQLTAtn -d ';': local time, sensor host, protocol, query length.
    fs::write(
        &log,
        "2024-08-01 00:00:00.123456;sensor-7;udp;IN;www.example.com.;16;A;192.0.2.1;300;3\n\
         2024-08-01 00:00:00.123456;sensor-7;tcp;IN;example.com.;12;MX;mx.example.com.;300;1\n",
    )
    .unwrap();
    let out = dir.path().join("g.pdns");
    let spec = [
        "--passivedns-fields",
        "HhpCQLTAtn",
        "--passivedns-delimiter",
        ";",
    ];
    let (code, stderr) = build_with(
        &[&["--format", "passivedns"], &spec[..]].concat(),
        &out,
        &log,
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("0 bad lines"), "{stderr}");
    let a = Archive::open(&out).unwrap();
    let e = first_entry(&a, "www.example.com");
    assert_eq!(
        (e.rrtype, e.rdata.as_str(), e.count),
        (1, "192.0.2.1", Some(3))
    );
    assert_eq!(e.time_last, 1_722_470_400);
    assert_eq!(a.sources(), ["passivedns:sensor-7"]);
    assert_eq!(first_entry(&a, "example.com").rdata, "mx.example.com");

    // Without --format: the given delimiter is what the log is
    // recognised by.
    let detected = dir.path().join("d.pdns");
    let (code, stderr) = build_with(&spec, &detected, &log);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(Archive::open(&detected).unwrap().record_count(), 2);

    assert_refused(
        &["--passivedns-fields", "SQTAz"],
        dir.path(),
        &log,
        "unknown passivedns field letter 'z'",
    );
}

/// `--passivedns-time-zone` places a sensor's local `H` times in its
/// zone; an unknown zone stops the run before any input is read.
#[test]
fn passivedns_local_times_in_the_sensor_zone() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("passivedns.log");
    fs::write(
        &log,
        "2024-08-01 02:00:00.000001||www.example.com.||A||192.0.2.1||5\n",
    )
    .unwrap();
    let out = dir.path().join("z.pdns");
    let zone = ["--passivedns-fields", "HQTAn", "--passivedns-time-zone"];
    let (code, stderr) = build_with(&[&zone[..], &["Europe/Berlin"]].concat(), &out, &log);
    assert_eq!(code, Some(0), "{stderr}");
    let a = Archive::open(&out).unwrap();
    // 02:00 in Berlin's summer is midnight UTC.
    assert_eq!(first_entry(&a, "www.example.com").time_last, 1_722_470_400);

    assert_refused(
        &[&zone[..], &["Europe/Atlantis"]].concat(),
        dir.path(),
        &log,
        "--passivedns-time-zone: unknown time zone \"Europe/Atlantis\"",
    );
}

/// One page of a longer provider answer is said even with `--quiet`:
/// the operator holds an incomplete export.
#[test]
fn an_incomplete_export_is_a_warning() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../providers/tests/data/samples/virustotal_resolutions.json");
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["build", "-q", "-o"])
        .arg(dir.path().join("vt.pdns"))
        .arg(&sample)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 incomplete exports (more-pages)"),
        "{stderr}"
    );
}
