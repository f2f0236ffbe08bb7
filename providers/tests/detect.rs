//! Format detection on near misses, cut-off buffers and the assumed
//! shapes (the samples themselves are in `samples.rs` and `exports.rs`).

#![allow(clippy::unwrap_used)]

mod common;

use pdns_providers::{detect, Format};

#[test]
fn unknown_content_is_none() {
    for (what, bytes) in [
        ("empty", &b""[..]),
        ("white space", b" \n\t\n"),
        ("empty object", b"{}"),
        ("empty array", b"[]"),
        ("unknown keys", br#"{"foo": 1, "bar": [1, 2]}"#),
        ("numbers", b"[1, 2, 3]"),
        (
            "Zeek conn.log JSON",
            br#"{"ts":1722470400.1,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","service":"http"}"#,
        ),
        (
            "Zeek conn.log TSV",
            b"#separator \\x09\n#set_separator\t,\n#path\tconn\n#fields\tts\tuid\tquery\tanswers\n",
        ),
        ("Zeek TSV without #path or #fields", b"#separator \\x09\n#set_separator\t,\n"),
        (
            "headerless TSV",
            b"1722470400.1\tC1\t10.0.0.5\t53012\t192.0.2.53\t53\tudp\t1\t-\twww.example.com\n",
        ),
        ("CSV", b"rrname,rrtype,rdata\nwww.example.com,A,192.0.2.1\n"),
        ("|| without a time", b"foo||bar||baz||qux\n"),
        ("|| with too few fields", b"1722470400.123456||10.0.0.5||x\n"),
        ("gamelinux comment only", b"#timestamp||client||server||class\n"),
        ("pcap", b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00"),
        ("gzip", b"\x1f\x8b\x08\x00\x00\x00\x00\x00"),
        ("zstd", b"\x28\xb5\x2f\xfd\x00\x58"),
        ("HTML error page", b"<html><body>Rate Limit Exceeded</body></html>"),
        ("plain text error", b"Error: no results found for query.\n"),
        ("Kaspersky without DNS sections", br#"{"Zone":"Green","DomainGeneralInfo":{"Domain":"example.com"}}"#),
        ("JSON string", br#""rrname""#),
    ] {
        assert_eq!(detect(bytes), None, "{what}");
    }
}

#[test]
fn json_lines_by_keys() {
    let cases: [(&str, Format); 12] = [
        (r#"{"cond":"begin"}"#, Format::Dnsdb2),
        (
            r#"{"obj":{"rrname":"a.example.","rrtype":"A","rdata":["192.0.2.1"],"time_first":1,"time_last":2}}"#,
            Format::Dnsdb2,
        ),
        (
            r#"{"rrname":"a.example.","rrtype":"A","rdata":["192.0.2.1"],"bailiwick":"example.","time_first":1,"time_last":2}"#,
            Format::Dnsdb,
        ),
        (
            r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2,"sources":["x"]}"#,
            Format::Cof,
        ),
        (
            r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            Format::Cof,
        ),
        (
            r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":"1","time_last":"2"}"#,
            Format::Circl,
        ),
        (
            r#"{"rrname":"192.0.2.1","rrtype":"A","rdata":"a.example","time_first":1,"time_last":2}"#,
            Format::Circl,
        ),
        (
            r#"{"timestamp":"2024-08-01T00:00:00.0+0000","event_type":"flow","flow_id":1}"#,
            Format::Suricata,
        ),
        (
            r#"{"ts":1.5,"uid":"C1","query":"a.example","answers":["192.0.2.1"]}"#,
            Format::ZeekJson,
        ),
        (
            r#"{"timestamp_s":1,"timestamp_ms":2,"query":"a.","type":"A","answer":"192.0.2.1"}"#,
            Format::PassivednsJson,
        ),
        (
            r#"{"query":"a.example","answer":"192.0.2.1","rrtype":"a","firstSeenTimestamp":1000}"#,
            Format::Mnemonic,
        ),
        (
            r#"[{"rrname":"a","rrtype":"A","rdata":"192.0.2.1;","count":1,"time_first":1,"time_last":2}]"#,
            Format::Qihoo360,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(detect(line.as_bytes()), Some(want), "{line}");
    }
    // A byte-order mark and blank lines in front.
    let bom = "\u{feff}\n\n{\"cond\":\"begin\"}\n";
    assert_eq!(detect(bom.as_bytes()), Some(Format::Dnsdb2));
    // A later line can settle the COF producer.
    let two = "{\"rrname\":\"a\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1,\"time_last\":2}\n{\"rrname\":\"b\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.2\",\"time_first\":1,\"time_last\":2,\"zone_time_first\":1}\n";
    assert_eq!(detect(two.as_bytes()), Some(Format::Dnsdb));
}

#[test]
fn cut_off_buffers() {
    // A pretty-printed document cut in the middle of a string.
    let vt = common::text("samples/virustotal_resolutions.json");
    for n in [200, 300, 700] {
        assert_eq!(detect(&vt.as_bytes()[..n]), Some(Format::VirusTotal), "{n}");
    }
    // A JSON-lines file whose first line is longer than the buffer.
    let line = format!(
        "{{\"rrname\":\"a.example.\",\"bailiwick\":\"example.\",\"rrtype\":\"TXT\",\"rdata\":[\"{}\"]}}\n",
        "x".repeat(5000)
    );
    assert_eq!(detect(&line.as_bytes()[..4096]), Some(Format::Dnsdb));
    // A gamelinux log cut in its second line.
    let log = common::text("samples/passivedns_gamelinux.log");
    assert_eq!(detect(&log.as_bytes()[..150]), Some(Format::Passivedns));
    // Non-UTF-8 bytes inside a Zeek header block.
    let mut zeek = common::data("samples/zeek_dns.log");
    zeek.extend_from_slice(b"1\tC\t\xff\xfe\n");
    assert_eq!(detect(&zeek), Some(Format::Zeek));
}

#[test]
fn assumed_shapes() {
    for (doc, want) in [
        (
            r#"{"DomainGeneralInfo":{"Domain":"example.com"},"DomainDnsResolutions":[]}"#,
            Format::Kaspersky,
        ),
        (
            r#"{"IpDnsResolutions":[{"Domain":"a.example"}]}"#,
            Format::Kaspersky,
        ),
        (
            r#"{"records":[{"name":"a.example","rr":"192.0.2.1","type":"A"}],"hasMoreRecords":false}"#,
            Format::Umbrella,
        ),
        (
            r#"{"features":{},"rrs_tf":[{"first_seen":"2024-01-01","last_seen":"2024-01-02","rrs":[]}]}"#,
            Format::Umbrella,
        ),
        (
            r#"[{"name":"a.example","rr":"192.0.2.1","type":"A","firstSeen":1}]"#,
            Format::Umbrella,
        ),
        (r#"{"passive_dns":[],"count":0}"#, Format::Otx),
        (
            r#"{"results":[],"queryValue":"a.example"}"#,
            Format::PassiveTotal,
        ),
        (
            r#"{"endpoint":"/v1/history/a.example/dns/a","records":[]}"#,
            Format::SecurityTrails,
        ),
        (
            r#"{"response_code":0,"verbose_msg":"not found","resolutions":[]}"#,
            Format::VirusTotal2,
        ),
        (
            r#"{"responseCode":402,"data":[],"messages":[]}"#,
            Format::Mnemonic,
        ),
    ] {
        assert_eq!(detect(doc.as_bytes()), Some(want), "{doc}");
    }
}

#[test]
fn cof_producers_by_their_marks() {
    let cases: [(&str, &str, Format); 6] = [
        (
            "DNSDB rdata lookup (no bailiwick): count first, trailing dot",
            r#"{"count":58,"time_first":1717200000,"time_last":1722470400,"rrname":"mail.example.org.","rrtype":"A","rdata":"203.0.113.25"}"#,
            Format::Dnsdb,
        ),
        (
            "count first without the dot",
            r#"{"count":58,"time_first":1717200000,"time_last":1722470400,"rrname":"mail.example.org","rrtype":"A","rdata":"203.0.113.25"}"#,
            Format::Cof,
        ),
        (
            "trailing dot with rrname first (mnemonic's COF)",
            r#"{"rrname":"www.example.com.","rrtype":"A","rdata":"192.0.2.10","count":214,"time_first":1704067200,"time_last":1725148800}"#,
            Format::Cof,
        ),
        (
            "CIRCL marks win over the order",
            r#"{"count":"5","time_first":1717200000,"time_last":1722470400,"rrname":"mail.example.org.","rrtype":"A","rdata":"203.0.113.25"}"#,
            Format::Circl,
        ),
        (
            "a COF array whose TXT rdata holds semicolons is COF",
            r#"[{"rrname":"s1._domainkey.example.com","rrtype":"TXT","rdata":"\"v=DKIM1; k=rsa; p=MIGf\"","time_first":1700000000,"time_last":1700000001}]"#,
            Format::Cof,
        ),
        (
            "Qihoo 360 ends every rdata with a semicolon",
            r#"[{"rrname":"www.example.com","rrtype":"A","rdata":"192.0.2.10;192.0.2.11;","count":3,"time_first":1704067200,"time_last":1725148800},{"rrname":"example.com","rrtype":"NS","rdata":"ns1.example.com;","count":4,"time_first":1,"time_last":2}]"#,
            Format::Qihoo360,
        ),
    ];
    for (what, text, want) in cases {
        assert_eq!(detect(text.as_bytes()), Some(want), "{what}");
    }
}

/// DNSDB lines without a bailiwick (rdata lookups, FORMATS.md §1) are
/// known by DNSDB's whole shape on every line: its key order and fully
/// qualified names. Each case that is not DNSDB is a shape someone else
/// writes (or an ambiguous one), which must stay generic COF.
#[test]
fn dnsdb_rdata_lookups_by_shape_on_every_line() {
    // Lines DNSDB v1 sends for `rdata/ip` and `rdata/name` lookups.
    let a = r#"{"count":58,"time_first":1717200000,"time_last":1722470400,"rrname":"mail.example.org.","rrtype":"A","rdata":"203.0.113.25"}"#;
    let ns = r#"{"count":12,"time_first":1717200000,"time_last":1722470400,"rrname":"example.org.","rrtype":"NS","rdata":"ns1.example.net."}"#;
    let root = r#"{"count":3,"zone_time_first":1717200000,"zone_time_last":1722470400,"rrname":".","rrtype":"NS","rdata":"a.root-servers.example."}"#;
    let root_wire = r#"{"count":3,"time_first":1717200000,"time_last":1722470400,"rrname":".","rrtype":"NS","rdata":"a.root-servers.example."}"#;
    // dnsdbq's own additions may come anywhere.
    let dnsdbq = r#"{"count":58,"time_first":1717200000,"time_last":1722470400,"rrname":"mail.example.org.","rrtype":"A","rdata":"203.0.113.25","_dnsdbq":{"x":1}}"#;
    // mnemonic's COF: trailing dots, but `rrname` first.
    let mnemonic = r#"{"rrname":"www.example.com.","rrtype":"A","rdata":"192.0.2.10","count":214,"time_first":1704067200,"time_last":1725148800}"#;
    // The same with its keys sorted (`jq -S`): `count` comes first, but
    // the rest is not DNSDB's order.
    let sorted = r#"{"count":214,"rdata":"192.0.2.10","rrname":"www.example.com.","rrtype":"A","time_first":1704067200,"time_last":1725148800}"#;
    // The COF draft's order (count first) with dotted names.
    let draft = r#"{"count":4,"time_first":1298495035,"rrtype":"A","rrname":"ietf.example.","rdata":"192.0.2.4","time_last":1298495035}"#;
    // DNSDB's order, but a name-valued rdata without its dot.
    let bare_target = r#"{"count":12,"time_first":1717200000,"time_last":1722470400,"rrname":"example.org.","rrtype":"CNAME","rdata":"edge.example.net"}"#;
    // An escaped dot is part of the last label, not a trailing dot.
    let escaped = r#"{"count":1,"time_first":1,"time_last":2,"rrname":"a\\.","rrtype":"A","rdata":"192.0.2.1"}"#;
    let cases: [(&str, Vec<&str>, Format); 11] = [
        ("the audit's line", vec![a], Format::Dnsdb),
        (
            "several rdata-lookup lines",
            vec![a, ns, root],
            Format::Dnsdb,
        ),
        ("dnsdbq additions", vec![dnsdbq, ns], Format::Dnsdb),
        ("the root alone proves no dot", vec![root_wire], Format::Cof),
        ("mnemonic's COF", vec![mnemonic], Format::Cof),
        ("sorted keys", vec![sorted], Format::Cof),
        ("the draft's order", vec![draft], Format::Cof),
        ("name rdata without its dot", vec![bare_target], Format::Cof),
        ("escaped final dot", vec![escaped], Format::Cof),
        // One line that is not DNSDB's decides against it.
        (
            "a DNSDB-like line, then mnemonic's",
            vec![a, mnemonic],
            Format::Cof,
        ),
        (
            "mnemonic's, then a DNSDB-like line",
            vec![mnemonic, ns],
            Format::Cof,
        ),
    ];
    for (what, lines, want) in cases {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        assert_eq!(detect(text.as_bytes()), Some(want), "{what}");
    }
    // Lines with a bailiwick or zone times are DNSDB whatever else is
    // there (as before).
    let text = format!("{mnemonic}\n{root}\n");
    assert_eq!(detect(text.as_bytes()), Some(Format::Dnsdb));
}

/// A top-level array is Qihoo 360 only in 360's own shape (FORMATS.md
/// §7); a `;` inside an rdata, or a `;`-ended rdata in an array that also
/// has COF-only keys or rdata lists, is COF.
#[test]
fn cof_arrays_are_not_qihoo() {
    let qihoo = r#"{"rrname":"www.example.com","rrtype":"A","rdata":"192.0.2.10;192.0.2.11;","count":3,"time_first":1704067200,"time_last":1725148800}"#;
    let dkim = r#"{"rrname":"s1._domainkey.example.com","rrtype":"TXT","rdata":"\"v=DKIM1; k=rsa; p=MIGf\"","time_first":1700000000,"time_last":1700000001}"#;
    // An unquoted TXT that ends with `;`, from a COF server that names
    // its sensor.
    let dmarc_sensor = r#"{"rrname":"_dmarc.example.com","rrtype":"TXT","rdata":"v=DMARC1; p=none;","time_first":1700000000,"time_last":1700000001,"sensor_id":"s1"}"#;
    let dmarc_bailiwick = r#"{"rrname":"_dmarc.example.com","rrtype":"TXT","rdata":"v=DMARC1; p=none;","bailiwick":"example.com","time_first":1700000000,"time_last":1700000001}"#;
    let list = r#"{"rrname":"example.com","rrtype":"NS","rdata":["ns1.example.com","ns2.example.com"],"time_first":1700000000,"time_last":1700000001}"#;
    let cases: [(&str, Vec<&str>, Format); 7] = [
        ("360's shape", vec![qihoo], Format::Qihoo360),
        ("DKIM TXT with `;` inside", vec![dkim], Format::Cof),
        (
            "DKIM after a 360-shaped object",
            vec![qihoo, dkim],
            Format::Cof,
        ),
        (
            "`;`-ended TXT with sensor_id",
            vec![dmarc_sensor],
            Format::Cof,
        ),
        (
            "`;`-ended TXT with bailiwick",
            vec![dmarc_bailiwick],
            Format::Cof,
        ),
        (
            "an rdata list among `;`-ended strings",
            vec![qihoo, list],
            Format::Cof,
        ),
        ("an rdata list first", vec![list, qihoo], Format::Cof),
    ];
    for (what, objects, want) in cases {
        let text = format!("[{}]", objects.join(","));
        assert_eq!(detect(text.as_bytes()), Some(want), "{what}");
        let pretty = format!("[\n  {}\n]\n", objects.join(",\n  "));
        assert_eq!(detect(pretty.as_bytes()), Some(want), "{what} (pretty)");
    }
    // Read as detected, the DKIM string stays one TXT entry.
    let text = format!("[{dkim}]");
    let p = common::parse(detect(text.as_bytes()).unwrap(), &text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.entries.len(), 1, "{:?}", p.entries);
    assert_eq!(p.entries[0].rdata, "\"v=DKIM1; k=rsa; p=MIGf\"");
    assert_eq!(p.entries[0].sources, ["cof"]);
}

/// Every fixture file of the crate, whole and cut to its first 200 bytes,
/// is detected as it was before the DNSDB and Qihoo rules were tightened.
/// A new fixture must be added here.
#[test]
fn every_fixture_keeps_its_format() {
    let want = |dir: &str, file: &str| -> Option<Format> {
        Some(match (dir, file) {
            ("samples", "circl_cof.jsonl") => Format::Circl,
            ("samples", "dnsdb_v1.jsonl") => Format::Dnsdb,
            ("samples", "dnsdb_v2_saf.jsonl") => Format::Dnsdb2,
            ("samples", "mnemonic.json") => Format::Mnemonic,
            ("samples", "mnemonic_cof.jsonl") => Format::Cof,
            ("samples", "otx_passive_dns.json") => Format::Otx,
            ("samples", "passivedns_gamelinux.json") => Format::PassivednsJson,
            ("samples", "passivedns_gamelinux.log") => Format::Passivedns,
            ("samples", "passivetotal.json") => Format::PassiveTotal,
            ("samples", "qihoo360_flint.json") => Format::Qihoo360,
            ("samples", "securitytrails_dns_history.json") => Format::SecurityTrails,
            ("samples", "suricata_eve_dns.json") => Format::Suricata,
            ("samples", "virustotal_resolutions.json") => Format::VirusTotal,
            ("samples", "virustotal_v2_domain_report.json") => Format::VirusTotal2,
            ("samples", "virustotal_v2_ip_report.json") => Format::VirusTotal2,
            ("samples", "zeek_dns.json") => Format::ZeekJson,
            ("samples", "zeek_dns.log") => Format::Zeek,
            ("exports", "analyzer-d4-passivedns__eg.json") => Format::Circl,
            ("exports", "dnsdb2-python__saf_records.jsonl") => Format::Dnsdb2,
            ("exports", "gamelinux-passivedns__README_example.log") => Format::Passivedns,
            ("exports", "pdns-qof__draft-cof-08_examples.jsonl") => Format::Cof,
            ("exports", "pdns-qof__testdata_data.jsonl") => Format::Cof,
            ("exports", f) if f.starts_with("zeek__") => Format::Zeek,
            _ => return None,
        })
    };
    let mut seen = 0;
    for dir in ["samples", "exports"] {
        let mut files: Vec<String> = std::fs::read_dir(common::data_path(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        for file in files {
            let Some(format) = want(dir, &file) else {
                panic!("{dir}/{file} has no expected format in this test");
            };
            let bytes = common::data(&format!("{dir}/{file}"));
            assert_eq!(detect(&bytes), Some(format), "{dir}/{file}");
            let head = &bytes[..bytes.len().min(200)];
            assert_eq!(detect(head), Some(format), "{dir}/{file} (200 bytes)");
            seen += 1;
        }
    }
    assert!(seen >= 40, "only {seen} fixtures found");
    // Each line of the DNSDB v1 sample alone is DNSDB too, its rdata
    // lookup (the last line, no bailiwick) included; each line of
    // mnemonic's COF alone stays generic COF.
    for line in common::text("samples/dnsdb_v1.jsonl").lines() {
        assert_eq!(detect(line.as_bytes()), Some(Format::Dnsdb), "{line}");
    }
    for line in common::text("samples/mnemonic_cof.jsonl").lines() {
        assert_eq!(detect(line.as_bytes()), Some(Format::Cof), "{line}");
    }
}

/// A passivedns log written with another `-d` is recognised when that
/// delimiter is given, and only then; the delimiter changes nothing for
/// the other formats, and an empty one is the default.
#[test]
fn passivedns_logs_by_the_given_delimiter() {
    use pdns_providers::detect_with_delimiter;
    let log = b"1722470400.123456;10.0.0.1;192.0.2.53;IN;www.example.com.;A;192.0.2.1;300;3\n\
                1722470401.000001;10.0.0.1;192.0.2.53;IN;example.com.;MX;mx.example.com.;300;1\n";
    assert_eq!(detect(log), None);
    assert_eq!(detect_with_delimiter(log, ";"), Some(Format::Passivedns));
    assert_eq!(detect_with_delimiter(log, ","), None);
    // Lines that do not start with a time are not such a log, nor are
    // files whose first column is a small number (an id, a count).
    assert_eq!(detect_with_delimiter(b"name;type;data;x\n", ";"), None);
    assert_eq!(
        detect_with_delimiter(b"1,www.example.com,A,192.0.2.1\n", ","),
        None
    );
    assert_eq!(
        detect_with_delimiter(b"17\twww.example.com\tA\t192.0.2.1\n", "\t"),
        None
    );
    // An H time holds spaces and colons: a log written with -d ' ' or
    // -d ':' is recognised all the same.
    let spaced = b"2024-08-01 00:00:00.123456 www.example.com. A 192.0.2.1 3\n";
    assert_eq!(detect_with_delimiter(spaced, " "), Some(Format::Passivedns));
    let colons = b"2024-08-01 00:00:00.123456:www.example.com.:A:192.0.2.1:3\n";
    assert_eq!(detect_with_delimiter(colons, ":"), Some(Format::Passivedns));
    let default = common::text("samples/passivedns_gamelinux.log");
    assert_eq!(
        detect_with_delimiter(default.as_bytes(), ""),
        Some(Format::Passivedns)
    );
    let zeek = common::text("samples/zeek_dns.log");
    assert_eq!(
        detect_with_delimiter(zeek.as_bytes(), "\t"),
        Some(Format::Zeek)
    );
    let cof = br#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2,"sources":["x"]}"#;
    assert_eq!(detect_with_delimiter(cof, ";"), Some(Format::Cof));
}
