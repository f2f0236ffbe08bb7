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
