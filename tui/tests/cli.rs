//! `pdns` as a process: every query kind, filter, format, batch mode,
//! pivots and graphs, archive resolution, exit codes and escaping, on
//! small archives written here with `pdnsfile::Writer`.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pdnsfile::{Entry, Writer, WriterOptions};

const T0: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z
const DAY: u64 = 86_400;

fn entry(
    name: &str,
    t: &str,
    rdata: &str,
    days: (u64, u64),
    count: Option<u64>,
    sources: &[&str],
) -> Entry {
    let t = pdnsfile::rrtype::parse(t).unwrap();
    let mut e = Entry::new(name, t, rdata, T0 + days.0 * DAY, T0 + days.1 * DAY, count).unwrap();
    for s in sources {
        e.add_source(s);
    }
    e
}

fn write(path: &Path, mut v: Vec<Entry>) {
    v.sort_by(|a, b| a.cmp_key(b));
    let mut w = Writer::new(
        std::fs::File::create(path).unwrap(),
        WriterOptions::default(),
    )
    .unwrap();
    for e in v {
        w.push(e).unwrap();
    }
    w.finish().unwrap();
}

fn fixture_entries() -> Vec<Entry> {
    let mut hostile = entry("evil.example", "TXT", "\"x\"", (1, 2), Some(1), &["circl"]);
    // Raw control characters, as a hostile or damaged archive could hold.
    hostile.rdata = "\"\u{1b}[31mred, \"\"alert\u{7}\"".into();
    hostile.add_source("evil\u{1b}]0;pwned\u{7}");
    vec![
        entry(
            "www.example.com",
            "A",
            "192.0.2.1",
            (0, 10),
            Some(10),
            &["dnsdb"],
        ),
        entry(
            "www.example.com",
            "A",
            "192.0.2.2",
            (20, 30),
            Some(5),
            &["circl"],
        ),
        entry(
            "www.example.com",
            "AAAA",
            "2001:db8::1",
            (5, 6),
            None,
            &["dnsdb"],
        ),
        entry(
            "example.com",
            "MX",
            "10 mail.example.com",
            (0, 30),
            Some(2),
            &["dnsdb"],
        ),
        entry(
            "example.com",
            "NS",
            "ns1.evil.example",
            (0, 30),
            Some(7),
            &["circl", "dnsdb"],
        ),
        entry(
            "mail.example.com",
            "A",
            "192.0.2.25",
            (0, 30),
            Some(3),
            &["dnsdb"],
        ),
        entry(
            "mail7.example.com",
            "A",
            "192.0.2.26",
            (3, 4),
            Some(1),
            &["dnsdb"],
        ),
        entry(
            "other.example.net",
            "A",
            "192.0.2.1",
            (2, 3),
            Some(1),
            &["circl"],
        ),
        entry(
            "other.example.net",
            "NS",
            "ns1.evil.example",
            (2, 3),
            Some(1),
            &["circl"],
        ),
        entry(
            "alias.example.org",
            "CNAME",
            "www.example.com",
            (4, 8),
            Some(4),
            &["dnsdb"],
        ),
        entry(
            "ns1.evil.example",
            "A",
            "203.0.113.9",
            (0, 30),
            Some(9),
            &["dnsdb"],
        ),
        entry(
            "xn--bcher-kva.example",
            "A",
            "198.51.100.7",
            (1, 2),
            Some(2),
            &["dnsdb"],
        ),
        entry(
            "paypa1.com",
            "A",
            "203.0.113.10",
            (1, 2),
            Some(1),
            &["circl"],
        ),
        entry(
            "paypal.com",
            "A",
            "203.0.113.11",
            (1, 2),
            Some(1),
            &["dnsdb"],
        ),
        hostile,
    ]
}

struct Fixture {
    dir: tempfile::TempDir,
    archive: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.pdns");
    write(&archive, fixture_entries());
    Fixture { dir, archive }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs pdns with no archive list in the environment and an empty
/// configuration folder, so only the arguments decide.
fn run_in(f: &Fixture, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pdns"));
    c.args(args)
        .env_remove("PDNS_ARCHIVES")
        .env("XDG_CONFIG_HOME", f.dir.path().join("config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap(),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// `pdns query -a FIXTURE ARGS...`.
fn query(f: &Fixture, args: &[&str]) -> Out {
    let mut v = vec!["query", "-a", f.archive.to_str().unwrap()];
    v.extend(args);
    run_in(f, &v, &[], None)
}

/// The first field (names) of each text line.
fn names(o: &Out) -> Vec<String> {
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    o.stdout
        .lines()
        .map(|l| {
            let mut f = l.split_whitespace();
            format!(
                "{} {} {}",
                f.next().unwrap(),
                f.next().unwrap(),
                f.next().unwrap()
            )
        })
        .collect()
}

#[test]
fn exact_name_as_text() {
    let f = fixture();
    let o = query(&f, &["www.example.com"]);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stdout,
        "\
www.example.com  A     192.0.2.1    2023-11-14T22:13:20Z .. 2023-11-24T22:13:20Z  count=10  [dnsdb]
www.example.com  A     192.0.2.2    2023-12-04T22:13:20Z .. 2023-12-14T22:13:20Z  count=5  [circl]
www.example.com  AAAA  2001:db8::1  2023-11-19T22:13:20Z .. 2023-11-20T22:13:20Z  count=?  [dnsdb]
"
    );
    assert_eq!(o.stderr, "");
    // Case and a trailing dot do not matter.
    assert_eq!(query(&f, &["WWW.Example.COM."]).stdout, o.stdout);
}

#[test]
fn every_query_kind() {
    let f = fixture();
    let q = |s: &str| names(&query(&f, &[s]));
    assert_eq!(
        q("*.example.com"),
        [
            "mail.example.com A 192.0.2.25",
            "mail7.example.com A 192.0.2.26",
            "www.example.com A 192.0.2.1",
            "www.example.com A 192.0.2.2",
            "www.example.com AAAA 2001:db8::1",
        ]
    );
    assert_eq!(
        q("www.example.*"),
        [
            "www.example.com A 192.0.2.1",
            "www.example.com A 192.0.2.2",
            "www.example.com AAAA 2001:db8::1",
        ]
    );
    assert_eq!(
        q("~paypal.com"),
        ["paypa1.com A 203.0.113.10", "paypal.com A 203.0.113.11"]
    );
    assert_eq!(q("~2paypal.co"), q("~paypal.com"));
    assert_eq!(q("/^mail[0-9]+\\./"), ["mail7.example.com A 192.0.2.26"]);
    // Results come in key order: by name in DNS order (com before net).
    assert_eq!(
        q("192.0.2.1"),
        [
            "www.example.com A 192.0.2.1",
            "other.example.net A 192.0.2.1"
        ]
    );
    assert_eq!(q("2001:db8::1"), ["www.example.com AAAA 2001:db8::1"]);
    assert_eq!(
        q("192.0.2.0/24"),
        [
            "mail.example.com A 192.0.2.25",
            "mail7.example.com A 192.0.2.26",
            "www.example.com A 192.0.2.1",
            "www.example.com A 192.0.2.2",
            "other.example.net A 192.0.2.1",
        ]
    );
    assert_eq!(
        q("rdata:ns1.evil.example"),
        [
            "example.com NS ns1.evil.example",
            "other.example.net NS ns1.evil.example",
        ]
    );
    assert_eq!(q("ns:*.evil.example"), q("rdata:ns1.evil.example"));
    assert_eq!(q("mx:mail.example.com"), ["example.com MX 10"]);
    assert_eq!(
        q("cname:www.example.com"),
        ["alias.example.org CNAME www.example.com"]
    );
    assert_eq!(query(&f, &["ns:www.example.com"]).code, 1);
    assert_eq!(query(&f, &["cname:mail.example.com"]).code, 1);
    // U-labels become punycode.
    assert_eq!(
        q("bücher.example"),
        ["xn--bcher-kva.example A 198.51.100.7"]
    );
    assert_eq!(q("*.EXAMPLE"), q("*.example"));
}

#[test]
fn filters() {
    let f = fixture();
    let q = |args: &[&str]| names(&query(&f, args));
    let www = "www.example.com";
    assert_eq!(
        q(&["-t", "AAAA", www]),
        ["www.example.com AAAA 2001:db8::1"]
    );
    assert_eq!(q(&["-t", "aaaa,A", www]).len(), 3);
    // 192.0.2.1 was seen from day 0 to 10, .2 from 20 to 30, the AAAA on days 5-6.
    let day = |d: u64| (T0 + d * DAY).to_string();
    assert_eq!(q(&["--first-after", &day(5), www]).len(), 2);
    assert_eq!(
        q(&["--first-before", &day(4), www]),
        ["www.example.com A 192.0.2.1"]
    );
    assert_eq!(
        q(&["--last-after", "2023-12-01", www]),
        ["www.example.com A 192.0.2.2"]
    );
    assert_eq!(
        q(&["--last-before", "2023-11-21T00:00:00Z", www]),
        ["www.example.com AAAA 2001:db8::1"]
    );
    // Seen during days 8..21: the first (until day 10) and the second (from 20).
    let during = q(&["--last-after", &day(8), "--first-before", &day(21), www]);
    assert_eq!(
        during,
        ["www.example.com A 192.0.2.1", "www.example.com A 192.0.2.2"]
    );
    assert_eq!(
        q(&["--within", &format!("{}..{}", day(4), day(7)), www]),
        ["www.example.com AAAA 2001:db8::1"]
    );
    assert_eq!(
        q(&["--within", &format!("{}..{}", day(0), day(10)), www]),
        [
            "www.example.com A 192.0.2.1",
            "www.example.com AAAA 2001:db8::1"
        ]
    );
    assert_eq!(q(&["--at", &day(25), www]), ["www.example.com A 192.0.2.2"]);
    assert_eq!(q(&["--at", &day(10), www]), ["www.example.com A 192.0.2.1"]);
    assert_eq!(query(&f, &["--at", &day(15), www]).code, 1);
    assert_eq!(
        q(&["--source", "circl", www]),
        ["www.example.com A 192.0.2.2"]
    );
    assert_eq!(q(&["--source", "circl", "--source", "dnsdb", www]).len(), 3);
    assert_eq!(query(&f, &["--source", "nobody", www]).code, 1);
}

#[test]
fn json_is_cof_and_escaped() {
    let f = fixture();
    let o = query(&f, &["--format", "json", "other.example.net"]);
    assert_eq!(
        o.stdout,
        format!(
            "{{\"rrname\":\"other.example.net\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":{},\"time_last\":{},\"count\":1,\"sources\":[\"circl\"]}}\n\
             {{\"rrname\":\"other.example.net\",\"rrtype\":\"NS\",\"rdata\":\"ns1.evil.example\",\"time_first\":{},\"time_last\":{},\"count\":1,\"sources\":[\"circl\"]}}\n",
            T0 + 2 * DAY,
            T0 + 3 * DAY,
            T0 + 2 * DAY,
            T0 + 3 * DAY
        )
    );
    let o = query(&f, &["--format", "json", "evil.example"]);
    assert!(
        !o.stdout
            .bytes()
            .any(|b| b < 0x20 && b != b'\n' || b >= 0x7f),
        "{:?}",
        o.stdout
    );
    // The archive reader escapes raw octets as \ddd; JSON carries that text.
    assert!(
        o.stdout
            .contains(r#""rdata":"\"\\027[31mred, \"\"alert\\007\"""#),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(r#""evil\\027]0;pwned\\007""#),
        "{}",
        o.stdout
    );
}

#[test]
fn text_csv_dig_escape_controls() {
    let f = fixture();
    for format in ["text", "csv", "dig"] {
        let o = query(&f, &["--format", format, "evil.example"]);
        assert_eq!(o.code, 0);
        let control = |b: u8| b < 0x20 && b != b'\n' && b != b'\t' || b >= 0x7f;
        assert!(!o.stdout.bytes().any(control), "{format}: {:?}", o.stdout);
        assert!(o.stdout.contains("\\027[31mred"), "{format}: {}", o.stdout);
        assert!(
            o.stdout.contains("evil\\027]0;pwned\\007"),
            "{format}: {}",
            o.stdout
        );
    }
}

#[test]
fn csv_has_a_header_and_quotes() {
    let f = fixture();
    let o = query(&f, &["--format", "csv", "-t", "TXT,NS", "*.example"]);
    assert_eq!(
        o.stdout,
        "rrname,rrtype,rdata,time_first,time_last,count,sources,bailiwick\n\
         evil.example,TXT,\"\"\"\\027[31mred, \"\"\"\"alert\\007\"\"\",2023-11-15T22:13:20Z,2023-11-16T22:13:20Z,1,\"circl,evil\\027]0;pwned\\007\",\n"
    );
    let o = query(&f, &["--format", "csv", "--unicode", "bücher.example"]);
    assert_eq!(
        o.stdout,
        "rrname,rrname_unicode,rrtype,rdata,rdata_unicode,time_first,time_last,count,sources,bailiwick\n\
         xn--bcher-kva.example,bücher.example,A,198.51.100.7,,2023-11-15T22:13:20Z,2023-11-16T22:13:20Z,2,dnsdb,\n"
    );
    let o = query(&f, &["--unicode", "*.example", "-t", "A"]);
    assert!(
        o.stdout
            .contains("xn--bcher-kva.example (bücher.example)  A  198.51.100.7"),
        "{}",
        o.stdout
    );
}

/// `--unicode` shows U-labels for names in rdata too, in every format,
/// and only where a name holds A-labels.
#[test]
fn unicode_covers_names_in_rdata_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("u.pdns");
    write(
        &archive,
        vec![
            entry(
                "shop.example",
                "CNAME",
                "xn--bcher-kva.example",
                (0, 1),
                Some(1),
                &["dnsdb"],
            ),
            entry(
                "xn--bcher-kva.example",
                "MX",
                "10 xn--mller-kva.example",
                (0, 1),
                Some(1),
                &["dnsdb"],
            ),
            entry(
                "plain.example",
                "TXT",
                "\"xn--bcher-kva.example\"",
                (0, 1),
                Some(1),
                &["dnsdb"],
            ),
        ],
    );
    let f = Fixture { dir, archive };
    let o = query(&f, &["--unicode", "*.example"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for shown in [
        "CNAME  xn--bcher-kva.example (bücher.example) ",
        "xn--bcher-kva.example (bücher.example)  MX     10 xn--mller-kva.example (10 müller.example)  2023",
    ] {
        assert!(o.stdout.contains(shown), "{shown}\n{}", o.stdout);
    }
    // A name inside TXT is text, not a name.
    assert!(!o.stdout.contains("(\"bücher"), "{}", o.stdout);

    let o = query(&f, &["--unicode", "--format", "json", "shop.example"]);
    assert_eq!(
        o.stdout.trim_end(),
        "{\"rrname\":\"shop.example\",\"rrtype\":\"CNAME\",\"rdata\":\"xn--bcher-kva.example\",\"time_first\":1700000000,\"time_last\":1700086400,\"count\":1,\"sources\":[\"dnsdb\"],\"rdata_unicode\":\"b\\u00fccher.example\"}"
    );
    let o = query(
        &f,
        &["--unicode", "--format", "csv", "xn--bcher-kva.example"],
    );
    assert!(
        o.stdout
            .contains(",bücher.example,MX,10 xn--mller-kva.example,10 müller.example,"),
        "{}",
        o.stdout
    );
    let o = query(
        &f,
        &["--unicode", "--format", "dig", "xn--bcher-kva.example"],
    );
    assert!(
        o.stdout
            .contains(" unicode=bücher.example rdata_unicode=10\\032müller.example"),
        "{}",
        o.stdout
    );
    // Without the flag, none of it.
    let o = query(&f, &["--format", "json", "shop.example"]);
    assert!(!o.stdout.contains("unicode"), "{}", o.stdout);
}

#[test]
fn dig_format() {
    let f = fixture();
    let o = query(&f, &["--format", "dig", "example.com"]);
    assert_eq!(
        o.stdout,
        "example.com.\tIN\tNS\tns1.evil.example.\t; first=2023-11-14T22:13:20Z last=2023-12-14T22:13:20Z count=7 sources=circl,dnsdb\n\
         example.com.\tIN\tMX\t10 mail.example.com.\t; first=2023-11-14T22:13:20Z last=2023-12-14T22:13:20Z count=2 sources=dnsdb\n"
    );
}

#[test]
fn sort_and_limit_over_everything() {
    let f = fixture();
    let o = query(&f, &["--sort", "-count", "--limit", "2", "*.example.com"]);
    assert_eq!(
        o.stdout,
        "\
www.example.com  A  192.0.2.1  2023-11-14T22:13:20Z .. 2023-11-24T22:13:20Z  count=10  [dnsdb]
www.example.com  A  192.0.2.2  2023-12-04T22:13:20Z .. 2023-12-14T22:13:20Z  count=5  [circl]
# 3 more results not shown (--limit 2; 5 in all)
"
    );
    assert_eq!(o.stderr, "pdns: 5 results, 2 shown (--limit 2)\n");
    let o = query(
        &f,
        &["--sort", "first,-name", "--format", "csv", "*.example.com"],
    );
    let firsts: Vec<&str> = o
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        firsts,
        [
            "www.example.com",
            "mail.example.com",
            "mail7.example.com",
            "www.example.com",
            "www.example.com"
        ]
    );
    // Without a sort, the limit keeps key order and still counts everything.
    let o = query(&f, &["--limit", "1", "--format", "json", "192.0.2.0/24"]);
    assert_eq!(o.stdout.lines().count(), 1);
    assert!(o.stdout.starts_with(r#"{"rrname":"mail.example.com""#));
    assert_eq!(o.stderr, "pdns: 5 results, 1 shown (--limit 1)\n");
    let o = query(&f, &["--sort", "bogus", "x.example"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cannot sort by \"bogus\""),
        "{}",
        o.stderr
    );
}

#[test]
fn summarize() {
    let f = fixture();
    let o = query(&f, &["--summarize", "www.example.com"]);
    assert_eq!(
        o.stdout,
        "\
entries     3
count       15 (1 entries without a count)
time span   2023-11-14T22:13:20Z .. 2023-12-14T22:13:20Z
types       A 2, AAAA 1
sources     circl 1, dnsdb 2
"
    );
    let o = query(&f, &["--summarize", "--format", "json", "www.example.com"]);
    assert_eq!(
        o.stdout,
        format!(
            "{{\"by_source\":{{\"circl\":1,\"dnsdb\":2}},\"by_type\":{{\"A\":2,\"AAAA\":1}},\"count\":15,\"entries\":3,\"time_first\":{T0},\"time_last\":{},\"unknown_counts\":1}}\n",
            T0 + 30 * DAY
        )
    );
    assert_eq!(query(&f, &["--summarize", "nothing.example"]).code, 1);
}

#[test]
fn batch_mode() {
    let f = fixture();
    let file = f.dir.path().join("queries.txt");
    std::fs::write(
        &file,
        "# names to check\nwww.example.com\n\n  other.example.net  \nnothing.example\n",
    )
    .unwrap();
    let a = f.archive.to_str().unwrap();
    let o = run_in(
        &f,
        &["query", "-a", a, "-f", file.to_str().unwrap(), "-t", "A"],
        &[],
        None,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "\
# query: www.example.com
www.example.com  A  192.0.2.1  2023-11-14T22:13:20Z .. 2023-11-24T22:13:20Z  count=10  [dnsdb]
www.example.com  A  192.0.2.2  2023-12-04T22:13:20Z .. 2023-12-14T22:13:20Z  count=5  [circl]
# query: other.example.net
other.example.net  A  192.0.2.1  2023-11-16T22:13:20Z .. 2023-11-17T22:13:20Z  count=1  [circl]
# query: nothing.example
"
    );
    let o = run_in(
        &f,
        &["query", "-a", a, "-f", "-", "--format", "json", "-t", "A"],
        &[],
        Some("other.example.net\npaypal.com\n"),
    );
    let tags: Vec<&str> = o
        .stdout
        .lines()
        .map(|l| &l[l.find(r#""query""#).unwrap()..])
        .collect();
    assert_eq!(
        tags,
        [
            r#""query":"other.example.net"}"#,
            r#""query":"paypal.com"}"#
        ]
    );
    let o = run_in(
        &f,
        &["query", "-a", a, "-f", "-", "--format", "csv"],
        &[],
        Some("paypal.com\nmx:mail.example.com\n"),
    );
    assert_eq!(
        o.stdout,
        "query,rrname,rrtype,rdata,time_first,time_last,count,sources,bailiwick\n\
         paypal.com,paypal.com,A,203.0.113.11,2023-11-15T22:13:20Z,2023-11-16T22:13:20Z,1,dnsdb,\n\
         mx:mail.example.com,example.com,MX,10 mail.example.com,2023-11-14T22:13:20Z,2023-12-14T22:13:20Z,2,dnsdb,\n"
    );
    // A bad line is reported with its number and skipped; the run goes on
    // and ends with exit code 2.
    let o = run_in(
        &f,
        &["query", "-a", a, "-f", "-"],
        &[],
        Some("10.0.0.0/99\npaypal.com\n"),
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .starts_with("pdns: -:1: invalid query: \"10.0.0.0/99\""),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("paypal.com  A"));
    // Summaries, one CSV row per query.
    let o = run_in(
        &f,
        &[
            "query",
            "-a",
            a,
            "-f",
            "-",
            "--summarize",
            "--format",
            "csv",
        ],
        &[],
        Some("paypal.com\nwww.example.com\n"),
    );
    assert_eq!(
        o.stdout,
        "query,entries,count,unknown_counts,time_first,time_last,types,sources\n\
         paypal.com,1,1,0,2023-11-15T22:13:20Z,2023-11-16T22:13:20Z,A=1,dnsdb=1\n\
         www.example.com,3,15,1,2023-11-14T22:13:20Z,2023-12-14T22:13:20Z,A=2 AAAA=1,circl=1 dnsdb=2\n"
    );
    // Nothing found anywhere: 1.
    let o = run_in(
        &f,
        &["query", "-a", a, "-f", "-"],
        &[],
        Some("# only\nnothing.example\n"),
    );
    assert_eq!(o.code, 1);
}

#[test]
fn pivots_with_paths() {
    let f = fixture();
    let o = query(
        &f,
        &["--pivot", "1", "--format", "csv", "alias.example.org"],
    );
    assert_eq!(
        o.stdout,
        "rrname,rrtype,rdata,time_first,time_last,count,sources,bailiwick,pivot_path\n\
         alias.example.org,CNAME,www.example.com,2023-11-18T22:13:20Z,2023-11-22T22:13:20Z,4,dnsdb,,alias.example.org\n\
         www.example.com,A,192.0.2.1,2023-11-14T22:13:20Z,2023-11-24T22:13:20Z,10,dnsdb,,alias.example.org > www.example.com\n\
         www.example.com,A,192.0.2.2,2023-12-04T22:13:20Z,2023-12-14T22:13:20Z,5,circl,,alias.example.org > www.example.com\n\
         www.example.com,AAAA,2001:db8::1,2023-11-19T22:13:20Z,2023-11-20T22:13:20Z,,dnsdb,,alias.example.org > www.example.com\n"
    );
    // Two hops: www's first address leads to other.example.net, and that
    // name to its name server entry.
    let o = query(
        &f,
        &[
            "--pivot",
            "2",
            "--format",
            "json",
            "-t",
            "A,NS",
            "www.example.com",
        ],
    );
    let paths: Vec<&str> = o
        .stdout
        .lines()
        .map(|l| &l[l.find("\"pivot_path\"").unwrap()..])
        .collect();
    assert_eq!(
        paths,
        [
            r#""pivot_path":["www.example.com"]}"#,
            r#""pivot_path":["www.example.com"]}"#,
            r#""pivot_path":["www.example.com","192.0.2.1"]}"#,
            r#""pivot_path":["www.example.com","192.0.2.1","other.example.net"]}"#,
        ]
    );
    let third = o.stdout.lines().nth(3).unwrap();
    assert!(
        third.starts_with(r#"{"rrname":"other.example.net","rrtype":"NS""#),
        "{third}"
    );
    let o = query(&f, &["--pivot", "3", "--pivot-cap", "2", "www.example.com"]);
    assert_eq!(o.code, 0);
    assert_eq!(o.stdout.lines().count(), 3);
    assert!(o.stdout.ends_with("# pivot stopped at the cap of 2 entries (--pivot-cap) in lookup 1; results are incomplete\n"), "{}", o.stdout);
    assert!(
        o.stderr.contains("pivot stopped at the cap of 2 entries"),
        "{}",
        o.stderr
    );
    let o = query(&f, &["--pivot", "1", "alias.example.org"]);
    assert!(
        o.stdout
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("[dnsdb]  via alias.example.org > www.example.com"),
        "{}",
        o.stdout
    );
}

#[test]
fn graphs() {
    let f = fixture();
    let o = query(&f, &["--graph", "dot", "--pivot", "1", "alias.example.org"]);
    assert_eq!(
        o.stdout,
        r#"digraph pdns {
  "alias.example.org" [shape=ellipse];
  "www.example.com" [shape=ellipse];
  "192.0.2.1" [shape=box];
  "192.0.2.2" [shape=box];
  "2001:db8::1" [shape=box];
  "alias.example.org" -> "www.example.com" [label="CNAME"];
  "www.example.com" -> "192.0.2.1" [label="A"];
  "www.example.com" -> "192.0.2.2" [label="A"];
  "www.example.com" -> "2001:db8::1" [label="AAAA"];
}
"#
    );
    let file = f.dir.path().join("g.graphml");
    let o = query(
        &f,
        &[
            "--graph",
            "graphml",
            "--graph-out",
            file.to_str().unwrap(),
            "cname:www.example.com",
        ],
    );
    assert_eq!(o.code, 0);
    assert!(o
        .stdout
        .starts_with("alias.example.org  CNAME  www.example.com"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="label" for="node" attr.name="label" attr.type="string"/>
  <key id="kind" for="node" attr.name="kind" attr.type="string"/>
  <key id="type" for="edge" attr.name="type" attr.type="string"/>
  <graph id="pdns" edgedefault="directed">
    <node id="n0"><data key="label">alias.example.org</data><data key="kind">name</data></node>
    <node id="n1"><data key="label">www.example.com</data><data key="kind">name</data></node>
    <edge source="n0" target="n1"><data key="type">CNAME</data></edge>
  </graph>
</graphml>
"#
    );
}

#[test]
fn exit_codes() {
    let f = fixture();
    assert_eq!(query(&f, &["nothing.example"]).code, 1);
    for bad in [
        &["10.0.0.0/33"][..],
        &["-t", "BOGUS", "x.example"],
        &["--first-after", "yesterday", "x.example"],
        &["--within", "2024-02-01..2024-01-01", "x.example"],
        &["/(unclosed/"],
        &["--no-such-option", "x"],
    ] {
        let o = query(&f, bad);
        assert_eq!(o.code, 2, "{bad:?}: {}", o.stderr);
        assert!(!o.stderr.is_empty());
    }
    let junk = f.dir.path().join("junk.pdns");
    std::fs::write(&junk, b"not an archive at all, not at all").unwrap();
    let o = run_in(
        &f,
        &["query", "-a", junk.to_str().unwrap(), "x.example"],
        &[],
        None,
    );
    assert_eq!(o.code, 3);
    assert!(
        o.stderr.contains("junk.pdns: cannot open archive"),
        "{}",
        o.stderr
    );
    let o = run_in(&f, &["query", "x.example"], &[], None);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no archive to read"), "{}", o.stderr);
    let help = run_in(&f, &["query", "--help"], &[], None).stdout;
    assert!(
        help.contains("Exit codes: 0 results, 1 no results, 2 usage error"),
        "{help}"
    );
    assert!(
        help.contains("--last-after A --first-before B   seen during the window"),
        "{help}"
    );
}

#[test]
fn archives_from_env_config_and_folders() {
    let f = fixture();
    // A folder means every archive in it, merged by key.
    let nightly = f.dir.path().join("nightly");
    std::fs::create_dir(&nightly).unwrap();
    write(
        &nightly.join("2023-11-14.pdns"),
        vec![entry(
            "www.example.com",
            "A",
            "192.0.2.1",
            (0, 1),
            Some(4),
            &["zeek"],
        )],
    );
    write(
        &nightly.join("2023-11-15.pdns"),
        vec![entry(
            "www.example.com",
            "A",
            "192.0.2.1",
            (1, 2),
            Some(6),
            &["dnsdb"],
        )],
    );
    std::fs::write(nightly.join("notes.txt"), "not an archive").unwrap();
    let expect = "www.example.com  A  192.0.2.1  2023-11-14T22:13:20Z .. 2023-11-16T22:13:20Z  count=10  [dnsdb,zeek]\n";
    let n = nightly.to_str().unwrap();
    assert_eq!(
        run_in(&f, &["query", "-a", n, "www.example.com"], &[], None).stdout,
        expect
    );
    let both = format!("{}:{}", f.archive.display(), n);
    let o = run_in(
        &f,
        &["query", "-t", "A", "www.example.com"],
        &[("PDNS_ARCHIVES", &both)],
        None,
    );
    assert_eq!(o.stdout.lines().count(), 2, "{}", o.stdout);
    assert!(o.stdout.contains("count=20  [dnsdb,zeek]"), "{}", o.stdout);
    // The total under --limit counts an entry held by several archives once.
    let o = run_in(
        &f,
        &["query", "--limit", "1", "-t", "A", "www.example.com"],
        &[("PDNS_ARCHIVES", &both)],
        None,
    );
    assert_eq!(o.stderr, "pdns: 2 results, 1 shown (--limit 1)\n");
    // The configuration file, paths relative to it.
    let cfg = f.dir.path().join("config/pdns");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("config.toml"), "archives = [\"../../nightly\"]\n").unwrap();
    assert_eq!(
        run_in(&f, &["query", "www.example.com"], &[], None).stdout,
        expect
    );
    std::fs::write(cfg.join("config.toml"), "archives = \"nightly\"\n").unwrap();
    let o = run_in(&f, &["query", "www.example.com"], &[], None);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("config.toml: key `archives`: expected an array of paths, found a string"),
        "{}",
        o.stderr
    );
    // -a wins without reading the broken configuration.
    assert_eq!(
        run_in(&f, &["query", "-a", n, "www.example.com"], &[], None).code,
        0
    );
}

#[test]
fn broken_pipe_is_quiet() {
    let f = fixture();
    let big = f.dir.path().join("big.pdns");
    write(
        &big,
        (0..30_000u64)
            .map(|i| {
                entry(
                    &format!("h{i}.big.example"),
                    "A",
                    "192.0.2.1",
                    (0, 1),
                    Some(1),
                    &["s"],
                )
            })
            .collect(),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_pdns"))
        .args(["query", "-a", big.to_str().unwrap(), "*.big.example"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

#[test]
fn info_verify_dump() {
    let f = fixture();
    let a = f.archive.to_str().unwrap();
    let o = run_in(&f, &["info", a], &[], None);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("entries     15\n"), "{}", o.stdout);
    assert!(
        o.stdout.contains("  evil\\027]0;pwned\\007"),
        "{}",
        o.stdout
    );
    let o = run_in(&f, &["info", "--json", a], &[], None);
    assert!(o.stdout.contains("\"entries\":15"), "{}", o.stdout);
    assert!(o.stdout.is_ascii());
    // The fixture's raw control octets are caught by verify; a clean
    // archive passes; a bad file does not stop the others.
    let clean = f.dir.path().join("clean.pdns");
    write(
        &clean,
        fixture_entries()
            .into_iter()
            .filter(|e| e.rrname != "evil.example")
            .collect(),
    );
    let c = clean.to_str().unwrap();
    let o = run_in(&f, &["verify", c, a, c], &[], None);
    assert_eq!(o.code, 3);
    assert_eq!(
        o.stdout,
        format!(
            "{c}: ok (14 entries, 10 names)\n\
             {a}: FAILED: corrupt archive: BLOCKS: record 9: rdata does not read back as stored (not printable text)\n\
             {c}: ok (14 entries, 10 names)\n"
        )
    );
    assert_eq!(run_in(&f, &["verify", c], &[], None).code, 0);
    let o = run_in(&f, &["dump", a], &[], None);
    assert_eq!(o.stdout.lines().count(), 15);
    assert!(
        o.stdout
            .starts_with(r#"{"rrname":"example.com","rrtype":"NS""#),
        "{}",
        o.stdout
    );
    assert!(o.stdout.is_ascii());
}
