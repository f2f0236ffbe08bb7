//! Hostile and malformed inputs, per-record error semantics, options, and
//! the assumed shapes (Kaspersky, Umbrella): bad records become errors
//! with a reason, never panics; good records around them survive; nothing
//! printable by a caller holds a control character.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use pdns_providers::{parse_document, parse_document_with, Format, Options, ParseError, Parser};
use serde_json::json;

fn printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn line_error(format: Format, line: &str) -> ParseError {
    let mut out = Vec::new();
    Parser::new(format).parse_line(line, &mut out).unwrap_err()
}

#[test]
fn control_characters_are_escaped_everywhere() {
    let line = r#"{"rrname":"evil\u001b[31m.Example.com.","rrtype":"TXT","rdata":"\"\u001b]0;pwned\u0007\"","time_first":1,"time_last":2}"#;
    let p = parse(Format::Cof, line);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[entry(
            "evil\\027[31m.example.com",
            TXT,
            "\"\\027]0;pwned\\007\"",
            1,
            2,
            None,
            "cof",
            None,
        )],
    );
    // In error messages too.
    for (format, line) in [
        (
            Format::Cof,
            r#"{"rrname":"a","rrtype":"A\u001b[2J","rdata":"x","time_first":1,"time_last":2}"#,
        ),
        (
            Format::Cof,
            r#"{"rrname":"a","rrtype":"A","rdata":"\u001b[2J","time_first":1,"time_last":2}"#,
        ),
        (
            Format::Cof,
            r#"{"rrname":"a","rrtype":"A","rdata":"192.0.2.1","time_first":"\u009b2J","time_last":2}"#,
        ),
        (
            Format::Suricata,
            r#"{"event_type":"dns","timestamp":"x","dns":{"type":"\u001b[2J"}}"#,
        ),
    ] {
        let e = line_error(format, line);
        assert!(printable(e.message()), "{e:?}");
        assert!(printable(&e.to_string()), "{e:?}");
    }
    // Zeek escapes octets as \xNN: they come back as octets, then \ddd.
    let tsv = "#separator \\x09\n#fields\tts\tquery\tqtype\tanswers\n1\tevil\\x1b.example\t16\tTXT 3 a\\x07\\x2c\n";
    let p = parse(Format::Zeek, tsv);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[entry(
            "evil\\027.example",
            TXT,
            "\"a\\007,\"",
            1,
            1,
            Some(1),
            "zeek",
            None,
        )],
    );
    // Sensor labels from the data are escaped as well.
    let eve = r#"{"timestamp":"2024-08-01T00:00:00+0000","event_type":"dns","host":"s\u001b1","dns":{"version":3,"type":"response","answers":[{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1"}]}}"#;
    let p = parse(Format::Suricata, eve);
    assert_eq!(p.entries[0].sources, ["suricata:s\\0271"]);
}

#[test]
fn huge_and_negative_numbers() {
    let base = |extra: &str| {
        format!(r#"{{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1",{extra}}}"#)
    };
    for (extra, reason) in [
        (r#""time_first":1e30,"time_last":2"#, "bad-time"),
        (
            r#""time_first":99999999999999999999,"time_last":2"#,
            "bad-time",
        ),
        (
            r#""time_first":"99999999999999999999999","time_last":2"#,
            "bad-time",
        ),
        (r#""time_first":-5,"time_last":2"#, "bad-time"),
        // Milliseconds where seconds belong: after the year 9999.
        (r#""time_first":1704067200000,"time_last":2"#, "bad-time"),
        (r#""time_first":1,"time_last":2,"count":1e30"#, "bad-number"),
        (r#""time_first":1,"time_last":2,"count":-1"#, "bad-number"),
        (r#""time_first":1,"time_last":2,"count":2.5"#, "bad-number"),
        (
            r#""time_first":1,"time_last":2,"count":"184467440737095516160""#,
            "bad-number",
        ),
        (r#""time_first":1,"time_last":2,"count":{}"#, "bad-number"),
    ] {
        assert_eq!(
            line_error(Format::Cof, &base(extra)).reason(),
            reason,
            "{extra}"
        );
    }
    // The largest count is fine; times given in reverse are put in order.
    let mut out = Vec::new();
    Parser::new(Format::Cof)
        .parse_line(
            &base(r#""time_first":9,"time_last":3,"count":18446744073709551615"#),
            &mut out,
        )
        .unwrap();
    assert_eq!(
        (out[0].time_first, out[0].time_last, out[0].count),
        (3, 9, Some(u64::MAX))
    );
}

#[test]
fn wrong_types() {
    for (line, reason) in [
        (
            r#"{"rrname":5,"rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            "bad-shape",
        ),
        (
            r#"{"rrname":"a","rrtype":true,"rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            "bad-rrtype",
        ),
        (
            r#"{"rrname":"a","rrtype":70000,"rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            "bad-rrtype",
        ),
        (
            r#"{"rrname":"a","rrtype":"BOGUS","rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            "bad-rrtype",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":{"x":1},"time_first":1,"time_last":2}"#,
            "bad-shape",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":["192.0.2.1",7],"time_first":1,"time_last":2}"#,
            "bad-shape",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":[],"time_first":1,"time_last":2}"#,
            "bad-rdata",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":"192.0.2.1","time_first":[1],"time_last":2}"#,
            "bad-time",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2,"bailiwick":7}"#,
            "bad-shape",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":"192.0.2.1"}"#,
            "missing-field",
        ),
        (
            r#"{"rrname":"","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            "bad-name",
        ),
        (
            r#"{"rrname":"a..b","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
            "bad-name",
        ),
        (
            r#"{"rrname":"a","rrtype":"A","rdata":"192.0.2.300","time_first":1,"time_last":2}"#,
            "bad-rdata",
        ),
        (r#"["rrname"]"#, "bad-shape"),
        ("42", "bad-shape"),
        ("null", "bad-shape"),
    ] {
        assert_eq!(line_error(Format::Cof, line).reason(), reason, "{line}");
    }
    let long = format!(
        r#"{{"rrname":"{}","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}}"#,
        "a.".repeat(5000)
    );
    let e = line_error(Format::Cof, &long);
    assert_eq!(e.reason(), "bad-name");
    assert!(e.message().len() < 600);
}

#[test]
fn truncated_and_broken_json() {
    for line in [
        r#"{"rrname": "a.example", "rrtype": "A""#,
        r#"{"rrname": "a.example", "rrtype": "A", "rdata": "192.0.2.1", "time_first": NaN}"#,
        "{\"rrname\": \"a\u{0}\"",
        "\u{1b}[2J",
    ] {
        let e = line_error(Format::Cof, line);
        assert_eq!(e.reason(), "bad-json", "{line}");
        assert!(printable(e.message()));
    }
    // Deep nesting hits serde_json's recursion limit, not the stack.
    let deep = "[".repeat(100_000);
    assert_eq!(line_error(Format::Suricata, &deep).reason(), "bad-json");
    // A document format: the document cut short.
    let vt = text("samples/virustotal_resolutions.json");
    let p = parse(Format::VirusTotal, &vt[..vt.len() / 2]);
    assert!(p.entries.is_empty());
    assert_eq!(reasons(&p), ["bad-json"]);
    assert_eq!(p.errors[0].0, 1);
}

#[test]
fn a_document_keeps_its_good_records() {
    let doc = json!({"passive_dns": [
        {"hostname": "a.example", "address": "192.0.2.1", "record_type": "A", "first": "2024-01-01T00:00:00", "last": "2024-01-02T00:00:00"},
        {"hostname": "b.example", "address": "192.0.2.2", "record_type": "A", "first": "yesterday", "last": "today"},
        {"hostname": "c.example", "address": "ns.example", "first": "2024-01-01T00:00:00", "last": "2024-01-01T00:00:00"},
        "not an object",
        {"hostname": "d.example", "address": "192.0.2.4", "record_type": "A", "first": "2024-01-01T00:00:00"},
        // Refused when the entry is made, after the record was read: still
        // named by its place in the document.
        {"hostname": "e.example", "address": "not-an-address", "record_type": "AAAA", "first": "2024-01-01T00:00:00"},
    ]});
    let (entries, errors) = parse_document(Format::Otx, &doc);
    assert_entries(
        &entries,
        &[
            entry(
                "a.example",
                A,
                "192.0.2.1",
                JAN1,
                JAN1 + 86_400,
                None,
                "otx",
                None,
            ),
            entry("d.example", A, "192.0.2.4", JAN1, JAN1, None, "otx", None),
        ],
    );
    let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.reason(), e.message())).collect();
    assert_eq!(
        got,
        [
            (
                "bad-time",
                "passive_dns[1]: first is not a time: \"yesterday\""
            ),
            ("bad-shape", "passive_dns[3]: entry is not a JSON object"),
            (
                "bad-rdata",
                "passive_dns[5]: rdata \"not-an-address\": invalid rdata: AAAA: not an IPv6 address"
            ),
        ]
    );
    // On a line, the first problem is returned and the others counted;
    // the good entries are still delivered.
    let mut out = Vec::new();
    let e = Parser::new(Format::Otx)
        .parse_line(&doc.to_string(), &mut out)
        .unwrap_err();
    assert_eq!(out.len(), 2);
    assert_eq!(e.reason(), "bad-time");
    assert!(
        e.message().ends_with("(and 2 more problems on this line)"),
        "{e}"
    );
}

#[test]
fn provider_errors() {
    for (format, doc) in [
        (
            Format::Mnemonic,
            json!({"responseCode": 402, "data": [], "messages": [{"message": "Resource limit exceeded"}]}),
        ),
        (Format::PassiveTotal, json!({"message": "quota_exceeded"})),
        (
            Format::VirusTotal,
            json!({"error": {"code": "QuotaExceededError", "message": "Quota exceeded"}}),
        ),
        (
            Format::VirusTotal2,
            json!({"response_code": -1, "verbose_msg": "Invalid IP address"}),
        ),
        (Format::Qihoo360, json!({"err": 403, "msg": "token error"})),
        (Format::Otx, json!({"detail": "Authentication required"})),
        (
            Format::SecurityTrails,
            json!({"message": "You've exceeded the usage limits"}),
        ),
        (Format::Umbrella, json!({"errorMessage": "Not authorized"})),
    ] {
        let (entries, errors) = parse_document(format, &doc);
        assert!(entries.is_empty(), "{format}");
        let r: Vec<_> = errors.iter().map(ParseError::reason).collect();
        assert_eq!(r, ["provider-error"], "{format}");
    }
    let p = parse(Format::Dnsdb2, "{\"cond\":\"begin\"}\n{\"cond\":\"failed\",\"msg\":\"Processing timeout; results may be incomplete\"}\n");
    assert_eq!(reasons(&p), ["provider-error"]);
    assert!(p.errors[0].1.message().contains("Processing timeout"));
    // VT v2 "not in the dataset" is no error, just nothing.
    let (entries, errors) = parse_document(
        Format::VirusTotal2,
        &json!({"response_code": 0, "verbose_msg": "not found"}),
    );
    assert!(entries.is_empty() && errors.is_empty());
}

#[test]
fn options_and_labels() {
    // Our own COF keeps its sources, a caller's label replaces them.
    let mut e = entry(
        "www.example.com",
        MX,
        "10 mx.example.com",
        5,
        9,
        Some(3),
        "dnsdb",
        Some("example.com"),
    );
    e.add_source("zeek:ams1");
    let line = pdnsfile::cof::to_line(&e);
    let p = parse(Format::Cof, &line);
    assert_eq!(p.entries, [e.clone()]);
    let opts = Options {
        source: Some("import-2024".into()),
        ..Options::default()
    };
    let p = parse_with(Format::Cof, &opts, &line);
    assert_eq!(p.entries[0].sources, ["import-2024"]);

    // Sensor host names.
    let z = r#"{"ts":1,"uid":"C","_node_name":"worker-1","query":"a.example","qtype":1,"answers":["192.0.2.1"]}"#;
    assert_eq!(
        parse(Format::ZeekJson, z).entries[0].sources,
        ["zeek:worker-1"]
    );
    assert_eq!(
        parse_with(Format::ZeekJson, &opts, z).entries[0].sources,
        ["import-2024"]
    );
    let g = r#"{"timestamp_s":1,"hostname":"sensor1","class":"IN","query":"a.example.","type":"A","answer":"192.0.2.1","count":2}"#;
    assert_eq!(
        parse(Format::PassivednsJson, g).entries[0].sources,
        ["passivedns:sensor1"]
    );

    // Bad options are refused up front.
    for bad in [
        Options {
            source: Some("  ".into()),
            ..Options::default()
        },
        Options {
            query: Some("a..b".into()),
            ..Options::default()
        },
        Options {
            passivedns_fields: Some("SQT".into()),
            ..Options::default()
        },
        Options {
            passivedns_fields: Some("SQTAz".into()),
            ..Options::default()
        },
        Options {
            passivedns_delimiter: Some(String::new()),
            ..Options::default()
        },
    ] {
        assert!(
            Parser::with_options(Format::Passivedns, &bad).is_err(),
            "{bad:?}"
        );
    }
    assert!(parse_document_with(
        Format::Otx,
        &Options {
            query: Some("a..b".into()),
            ..Options::default()
        },
        &json!({})
    )
    .is_err());
}

#[test]
fn passivedns_field_specs_and_delimiters() {
    // -f HhCQTAtn -d '\t': local time text, a host column; H is read as UTC.
    let opts = Options {
        passivedns_fields: Some("nAtTQChH".into()),
        passivedns_delimiter: Some("\t".into()),
        ..Options::default()
    };
    let line =
        "2024-08-01 00:00:00.123456\tsensor-ams1\tIN\twww.example.com.\tA\t192.0.2.10\t60\t4\n";
    let p = parse_with(Format::Passivedns, &opts, line);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[entry(
            "www.example.com",
            A,
            "192.0.2.10",
            AUG1,
            AUG1,
            Some(4),
            "passivedns:sensor-ams1",
            None,
        )],
    );
    // A TXT answer holding the delimiter is rejoined; elsewhere extra
    // fields are an error, as are missing ones.
    let txt = "1722470400.000001||10.0.0.1||192.0.2.53||IN||example.com.||TXT||\"a||b\"||300||1";
    let p = parse(Format::Passivedns, txt);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.entries[0].rdata, "\"a||b\"");
    let extra =
        "1722470400.000001||10.0.0.1||192.0.2.53||IN||example.com.||A||192.0.2.1||x||300||1";
    assert_eq!(reasons(&parse(Format::Passivedns, extra)), ["bad-fields"]);
    let short = "1722470400.000001||10.0.0.1||192.0.2.53||IN||example.com.";
    assert_eq!(reasons(&parse(Format::Passivedns, short)), ["bad-fields"]);
    // A log written with -f SMcsCQLTAtn read with the default spec: the
    // query length 16 sits in the type column. It is not type 16 (TXT),
    // so nothing is rejoined into a bogus TXT answer...
    let with_len =
        "1722470400.123456||10.0.0.1||192.0.2.53||IN||www.example.com.||16||A||192.0.2.1||300||1";
    let p = parse(Format::Passivedns, with_len);
    assert_eq!(reasons(&p), ["bad-fields"]);
    assert!(p.entries.is_empty());
    // ...and with the spec it was written with, it is read as it is.
    let opts = Options {
        passivedns_fields: Some("SMcsCQLTAtn".into()),
        ..Options::default()
    };
    let p = parse_with(Format::Passivedns, &opts, with_len);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        (
            p.entries[0].rrname.as_str(),
            p.entries[0].rrtype,
            p.entries[0].rdata.as_str()
        ),
        ("www.example.com", A, "192.0.2.1")
    );
    // Lossy answers as logged, class CH skipped, every rcode skipped.
    let lines = "1||c||s||IN||example.com.||MX||MX.Example.com.||300||1\n\
                 1||c||s||IN||example.com.||SOA||ns1.example.com.||300||1\n\
                 1||c||s||CH||version.bind.||TXT||\"9.18\"||0||1\n\
                 1||c||s||IN||x.example.||CNAME||SERVFAIL||0||1\n\
                 1||c||s||IN||x.example.||A||UNKNOWN-ERROR-12||0||1\n";
    let p = parse(Format::Passivedns, lines);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[
            entry(
                "example.com",
                MX,
                "mx.example.com",
                1,
                1,
                Some(1),
                "passivedns",
                None,
            ),
            entry(
                "example.com",
                SOA,
                "ns1.example.com",
                1,
                1,
                Some(1),
                "passivedns",
                None,
            ),
        ],
    );
    assert_eq!(p.skipped, skips(&[("not-in-class", 1), ("rcode", 2)]));
    // Octets that are not UTF-8 survive as escapes.
    let mut out = Vec::new();
    Parser::new(Format::Passivedns)
        .parse_line_bytes(
            b"1||c||s||IN||caf\xe9.example.||A||192.0.2.1||60||1",
            &mut out,
        )
        .unwrap();
    assert_eq!(out[0].rrname, "caf\\233.example");
}

/// Every `-f` letter gamelinux passivedns takes (FORMATS.md §9.1) is
/// accepted; the columns that carry nothing an entry stores (client and
/// server addresses and MACs, protocol, lengths, TTL) are skipped, and
/// the columns come in passivedns's print order whatever the letter order.
#[test]
fn passivedns_every_field_letter() {
    // All seventeen letters: H wins over S and M, as in passivedns.
    let opts = Options {
        passivedns_fields: Some("nltALTQCpWswchMSH".into()),
        ..Options::default()
    };
    let line = "2024-08-01 00:00:00.000001||sensor-1||10.0.0.5||00:11:22:33:44:55||192.0.2.53\
                ||66:77:88:99:aa:bb||udp||IN||www.example.com.||16||A||192.0.2.1||9||60||7";
    let p = parse_with(Format::Passivedns, &opts, line);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[entry(
            "www.example.com",
            A,
            "192.0.2.1",
            AUG1,
            AUG1,
            Some(7),
            "passivedns:sensor-1",
            None,
        )],
    );
    // S and M make one `sec.usec` column; `p` (tcp/udp) alone is skipped.
    let opts = Options {
        passivedns_fields: Some("SMpQTA".into()),
        ..Options::default()
    };
    let p = parse_with(
        Format::Passivedns,
        &opts,
        "1722470400.999999||tcp||a.example.||AAAA||2001:db8::1",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_entries(
        &p.entries,
        &[entry(
            "a.example",
            AAAA,
            "2001:db8::1",
            AUG1,
            AUG1,
            None,
            "passivedns",
            None,
        )],
    );
}

/// The `H` column is `YYYY-MM-DD HH:MM:SS.usec` (local time of the
/// sensor, read as UTC): other time shapes mean the spec does not match
/// the log and are `time` errors, not silently taken.
#[test]
fn passivedns_h_time_is_read_as_printed() {
    let opts = Options {
        passivedns_fields: Some("HQTA".into()),
        ..Options::default()
    };
    let good = "2024-08-01 00:00:00.123456||a.example.||A||192.0.2.1\n\
                2024-08-01 00:00:59||b.example.||A||192.0.2.2\n";
    let p = parse_with(Format::Passivedns, &opts, good);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let times: Vec<u64> = p.entries.iter().map(|e| e.time_first).collect();
    assert_eq!(times, [AUG1, AUG1 + 59]);
    for bad in [
        // An `S`/`SM` column read with `H`.
        "1722470400.123456",
        "1722470400",
        // Shapes passivedns never prints.
        "2024-08-01T00:00:00.123456",
        "2024-08-01 00:00:00.123456+02:00",
        "2024-08-01 00:00:00.",
        "2024-08-01",
        "2024-08-01 24:00:00.000000",
        "2024-02-30 00:00:00.000000",
        " 2024-08-01 00:00:00.000000",
        "2024-08-01 00:00:00.00000é",
    ] {
        let p = parse_with(
            Format::Passivedns,
            &opts,
            &format!("{bad}||a.example.||A||192.0.2.1"),
        );
        assert_eq!(reasons(&p), ["bad-time"], "{bad:?}");
    }
}

/// `H` times are the sensor's local time: read in the zone the operator
/// names, with its daylight saving rules (an ambiguous time in the hour
/// repeated in autumn is the first pass through it; one in the hour
/// skipped in spring moves forward by the gap), or at a fixed offset.
/// The JSON log's `timestamp` (used without `timestamp_s`) follows the
/// same zone.
#[test]
fn passivedns_h_times_in_the_sensor_time_zone() {
    let zoned = |zone: &str, time: &str| -> u64 {
        let opts = Options {
            passivedns_fields: Some("HQTA".into()),
            passivedns_time_zone: Some(zone.into()),
            ..Options::default()
        };
        let p = parse_with(
            Format::Passivedns,
            &opts,
            &format!("{time}||a.example.||A||192.0.2.1\n"),
        );
        assert!(p.errors.is_empty(), "{zone} {time}: {:?}", p.errors);
        p.entries[0].time_first
    };
    // Summer (UTC+2), winter (UTC+1), autumn's repeated hour, spring's
    // skipped hour (the values as Python's zoneinfo computes them).
    assert_eq!(zoned("Europe/Berlin", "2024-08-01 00:00:00.5"), AUG1 - 7200);
    assert_eq!(zoned("Europe/Berlin", "2024-01-15 12:00:00"), 1_705_316_400);
    assert_eq!(zoned("Europe/Berlin", "2024-10-27 02:30:00"), 1_729_989_000);
    assert_eq!(zoned("Europe/Berlin", "2024-03-31 02:30:00"), 1_711_848_600);
    assert_eq!(zoned("UTC", "2024-08-01 00:00:00"), AUG1);
    assert_eq!(zoned("+05:30", "2024-08-01 00:00:00"), AUG1 - 19_800);
    assert_eq!(zoned("-0800", "2024-08-01 00:00:00"), AUG1 + 28_800);
    assert_eq!(zoned("+02", "2024-08-01 00:00:00"), AUG1 - 7200);
    assert_eq!(zoned("+14:00", "2024-08-01 00:00:00"), AUG1 - 14 * 3600);
    assert_eq!(zoned("Z", "2024-08-01 00:00:00"), AUG1);
    assert_eq!(zoned("europe/berlin", "2024-08-01 00:00:00"), AUG1 - 7200);

    let opts = Options {
        passivedns_time_zone: Some("America/New_York".into()),
        ..Options::default()
    };
    let json = r#"{"timestamp":"2024-08-01 00:00:00","query":"a.example.","type":"A","answer":"192.0.2.1","class":"IN"}"#;
    let p = parse_with(Format::PassivednsJson, &opts, json);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.entries[0].time_first, AUG1 + 4 * 3600);
    // Time text in another shape is read as it says, zone or not.
    let json = r#"{"timestamp":"2024-08-01T00:00:00+02:00","query":"a.example.","type":"A","answer":"192.0.2.1"}"#;
    assert_eq!(
        parse_with(Format::PassivednsJson, &opts, json).entries[0].time_first,
        AUG1 - 7200
    );
    // timestamp_s is an instant: no zone applies to it.
    let json = r#"{"timestamp_s":1722470400,"timestamp":"2024-08-01 00:00:00","query":"a.example.","type":"A","answer":"192.0.2.1"}"#;
    assert_eq!(
        parse_with(Format::PassivednsJson, &opts, json).entries[0].time_first,
        AUG1
    );
}

/// An `H` time holds a space and colons: a log written with `-d ' '` (or
/// `-d ':'`) is cut after the time by its shape, then by the delimiter.
#[test]
fn passivedns_h_time_with_a_delimiter_inside_it() {
    for d in [" ", ":"] {
        let opts = Options {
            passivedns_fields: Some("HQTAn".into()),
            passivedns_delimiter: Some(d.into()),
            ..Options::default()
        };
        let line = [
            "2024-08-01 00:00:00.123456",
            "a.example.",
            "A",
            "192.0.2.1",
            "3",
        ]
        .join(d);
        let p = parse_with(Format::Passivedns, &opts, &format!("{line}\n"));
        assert!(p.errors.is_empty(), "{d:?}: {:?}", p.errors);
        assert_eq!(
            (p.entries[0].time_first, p.entries[0].count),
            (AUG1, Some(3)),
            "{d:?}"
        );
        // A line without an H time where one must be is a bad time.
        let bad = ["1722470400", "a.example.", "A", "192.0.2.1", "3"].join(d);
        let p = parse_with(Format::Passivedns, &opts, &format!("{bad}\n"));
        assert_eq!(reasons(&p), ["bad-time"], "{d:?}");
    }
}

/// A time zone that is neither a known IANA name nor an offset is refused
/// when the parser is made, naming it; names are never taken as paths.
#[test]
fn passivedns_unknown_time_zones_are_refused() {
    for bad in [
        "",
        "Mars/Olympus_Mons",
        "../../etc/passwd",
        "/etc/localtime",
        "+25:00",
        "+14:30",
        "+05:60",
        "+5:30",
        "+05:30:00",
        "UTC; rm -rf",
    ] {
        let opts = Options {
            passivedns_time_zone: Some(bad.into()),
            ..Options::default()
        };
        let e = Parser::with_options(Format::Passivedns, &opts).unwrap_err();
        assert!(e.to_string().contains("unknown time zone"), "{bad:?}: {e}");
    }
}

/// Only a type mnemonic of a free-text answer (TXT, SPF, HINFO, NAPTR, any
/// case) lets extra delimiter-separated pieces join the answer. A number
/// in the type column (a `...QLTA...` log read with the default spec puts
/// the query length there, and 16 is TXT's number) is a `fields` error.
#[test]
fn passivedns_numeric_type_never_rejoins_the_answer() {
    // Written with -f SMcsCQLTAtn, read with the default SMcsCQTAtn.
    let line =
        "1722470400.000001||10.0.0.1||192.0.2.53||IN||www.example.com.||16||A||192.0.2.1||300||1";
    let p = parse(Format::Passivedns, line);
    assert!(p.entries.is_empty(), "{:?}", p.entries);
    assert_eq!(reasons(&p), ["bad-fields"]);
    assert!(
        p.errors[0].1.message().contains("field spec"),
        "{}",
        p.errors[0].1
    );
    for t in ["13", "35", "99", "TYPE16"] {
        let l = format!("1||c||s||IN||a.example.||{t}||x||y||300||1");
        assert_eq!(
            reasons(&parse(Format::Passivedns, &l)),
            ["bad-fields"],
            "{t}"
        );
    }
    // The mnemonics still rejoin, in any case.
    let lines = "1||c||s||IN||a.example.||txt||\"a||b\"||300||1\n\
                 1||c||s||IN||a.example.||SPF||\"v=spf1 ||x\"||300||1\n\
                 1||c||s||IN||a.example.||HINFO||\"PC||x\" \"Linux\"||300||1\n";
    let p = parse(Format::Passivedns, lines);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let got: Vec<(u16, &str)> = p
        .entries
        .iter()
        .map(|e| (e.rrtype, e.rdata.as_str()))
        .collect();
    assert_eq!(got[0], (TXT, "\"a||b\""));
    assert_eq!(got[1], (SPF, "\"v=spf1 ||x\""));
    assert_eq!(got[2].0, 13);
    assert!(got[2].1.contains("PC||x"), "{got:?}");
}

/// A bad spec is refused up front with the letter named and the known
/// letters listed; a delimiter with a line break could never match.
#[test]
fn passivedns_check_spec_names_the_problem() {
    use pdns_providers::passivedns::{check_spec, FIELD_LETTERS};
    assert!(check_spec("SMcsCQTAtn", "||").is_ok());
    assert!(check_spec(FIELD_LETTERS, "\t").is_ok());
    let e = check_spec("SMcsCQTAtnx", "||").unwrap_err();
    assert!(e.message().contains("'x'"), "{e}");
    assert!(e.message().contains(FIELD_LETTERS), "{e}");
    for (f, d) in [("SQT", "||"), ("MQTA", "||"), ("SQTA", ""), ("SQTA", "\n")] {
        assert!(check_spec(f, d).is_err(), "{f:?} {d:?}");
    }
}

#[test]
fn zeek_edge_cases() {
    let hdr = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#fields\tts\tid.resp_p\tquery\tqclass\tqtype\trcode\tanswers\n";
    let p = parse(
        Format::Zeek,
        &format!(
            "{hdr}\
             10\t53\tmx.example\t1\t15\t0\talias.example,mx1.example\n\
             11\t53\texample.com\t1\t255\t0\t192.0.2.1,ns1.example.com,192.0.2.2\n\
             12\t53\t(empty)\t1\t2\t0\ta.root-servers.net\n\
             13\t53\tx.example\t3\t16\t0\tTXT 1 a\n\
             14\t53\tx.example\t1\t16\t0\tTXT 9 short\n\
             15\t53\tx.example\t1\t1\n"
        ),
    );
    assert_entries(
        &p.entries,
        &[
            // MX query: names are MX (exchange only) owned by the query;
            // the alias in front cannot be told apart (documented).
            entry(
                "mx.example",
                MX,
                "alias.example",
                10,
                10,
                Some(1),
                "zeek",
                None,
            ),
            entry(
                "mx.example",
                MX,
                "mx1.example",
                10,
                10,
                Some(1),
                "zeek",
                None,
            ),
            // ANY: the address before the first name is certain.
            entry("example.com", A, "192.0.2.1", 11, 11, Some(1), "zeek", None),
            // The root is logged as an empty query.
            entry(".", NS, "a.root-servers.net", 12, 12, Some(1), "zeek", None),
        ],
    );
    assert_eq!(reasons(&p), ["bad-rdata", "bad-fields"]);
    assert_eq!(
        p.skipped,
        skips(&[("ambiguous", 2), ("header", 5), ("not-in-class", 1)])
    );
    // No header and not the base column count.
    assert_eq!(reasons(&parse(Format::Zeek, "1\t2\t3\n")), ["no-header"]);
    // Another log in the same stream: a new #separator resets the header.
    let two = format!("{hdr}10\t53\ta.example\t1\t1\t0\t192.0.2.1\n#separator \\x09\n#path\tconn\n#fields\tts\tuid\n1\tC\n");
    let p = parse(Format::Zeek, &two);
    assert_eq!(p.entries.len(), 1);
    assert_eq!(p.skipped.get("not-dns"), Some(&1));
}

#[test]
fn suricata_edge_cases() {
    let ev = |dns: serde_json::Value| {
        json!({"timestamp": "2024-07-31T16:00:00.000000-0800", "event_type": "dns", "dns": dns})
            .to_string()
    };
    let lines = [
        ev(json!({"version": 3, "type": "response", "answers": [
            {"rrname": "a.example", "rrtype": "A", "rdata": "192.0.2.1", "rrname_truncated": true},
            {"rrname": "a.example", "rrtype": "NULL"},
            {"rrname": "a.example", "rrtype": "SSHFP", "sshfp": {"fingerprint": "AB:CD:EF", "algo": 1, "type": 2}},
            {"rrname": "a.example", "rrtype": "A", "rdata": 7}],
            "additionals": [{"rrname": "", "rrtype": "OPT", "opt": []}]})),
        // Grouped with a CNAME chain, v3 style: owners from queries[0].
        ev(
            json!({"version": 3, "type": "response", "queries": [{"rrname": "www.example", "rrtype": "A"}],
            "grouped": {"CNAME": ["b.example", "c.example"], "A": ["192.0.2.9"], "TXT": ["x\"y"]}}),
        ),
        json!({"timestamp": "2024-08-01T00:00:00+0000", "event_type": "alert", "dns": {}})
            .to_string(),
    ];
    let p = parse(Format::Suricata, &lines.join("\n"));
    let t = AUG1;
    assert_entries(
        &p.entries,
        &[
            entry(
                "a.example",
                44,
                "1 2 abcdef",
                t,
                t,
                Some(1),
                "suricata",
                None,
            ),
            entry(
                "www.example",
                CNAME,
                "b.example",
                t,
                t,
                Some(1),
                "suricata",
                None,
            ),
            entry(
                "b.example",
                CNAME,
                "c.example",
                t,
                t,
                Some(1),
                "suricata",
                None,
            ),
            entry("c.example", A, "192.0.2.9", t, t, Some(1), "suricata", None),
            entry(
                "c.example",
                TXT,
                "\"x\\\"y\"",
                t,
                t,
                Some(1),
                "suricata",
                None,
            ),
        ],
    );
    assert_eq!(reasons(&p), ["bad-shape"]);
    assert_eq!(
        p.skipped,
        skips(&[
            ("meta-type", 1),
            ("no-rdata", 1),
            ("not-dns", 1),
            ("truncated", 1)
        ])
    );
}

#[test]
fn other_documents() {
    // Mnemonic: a record of class CH is skipped; a bare array of records.
    let doc = json!([
        {"query": "version.bind", "answer": "\"9.18\"", "rrtype": "txt", "rrclass": "ch", "firstSeenTimestamp": 1000, "lastSeenTimestamp": 2000},
        {"query": "a.example.", "answer": "v=spf1 -all", "rrtype": "txt", "rrclass": "in", "firstSeenTimestamp": 1999, "times": null},
    ]);
    let (entries, errors) = parse_document(Format::Mnemonic, &doc);
    assert!(errors.is_empty(), "{errors:?}");
    assert_entries(
        &entries,
        &[entry(
            "a.example",
            TXT,
            "\"v=spf1 -all\"",
            1,
            1,
            None,
            "mnemonic",
            None,
        )],
    );

    // SecurityTrails: MX with priority, NS, TXT, SOA skipped (RNAME only).
    let doc = json!({"endpoint": "/v1/history/example.com/dns/mx", "records": [
        {"first_seen": "2024-01-01", "last_seen": "2024-01-01", "type": "mx", "values": [{"hostname": "MX.example.com", "priority": 10}, {"hostname": "mx2.example.com"}]},
        {"first_seen": "2024-01-01", "last_seen": "2024-01-01", "type": "ns", "values": [{"nameserver": "ns1.example.com"}]},
        {"first_seen": "2024-01-01", "last_seen": "2024-01-01", "type": "txt", "values": [{"value": "v=spf1 -all"}]},
        {"first_seen": "2024-01-01", "last_seen": "2024-01-01", "type": "soa", "values": [{"email": "hostmaster.example.com"}]},
    ]});
    let (entries, errors) = parse_document(Format::SecurityTrails, &doc);
    assert!(errors.is_empty(), "{errors:?}");
    let (f, l) = (JAN1, JAN1 + 86_399);
    let s = "securitytrails";
    assert_entries(
        &entries,
        &[
            entry("example.com", MX, "10 mx.example.com", f, l, None, s, None),
            entry("example.com", MX, "mx2.example.com", f, l, None, s, None),
            entry("example.com", NS, "ns1.example.com", f, l, None, s, None),
            entry("example.com", TXT, "\"v=spf1 -all\"", f, l, None, s, None),
        ],
    );
    // Without an endpoint, the query must be given.
    let doc = json!({"records": [{"first_seen": "2024-01-01", "last_seen": "2024-01-01", "type": "a", "values": [{"ip": "192.0.2.1"}]}]});
    let (_, errors) = parse_document(Format::SecurityTrails, &doc);
    assert_eq!(errors[0].reason(), "no-query");
    let opts = Options {
        query: Some("www.example.com".into()),
        ..Options::default()
    };
    let (entries, _) = parse_document_with(Format::SecurityTrails, &opts, &doc).unwrap();
    assert_eq!(entries[0].rrname, "www.example.com");

    // OTX without record_type and with a name: ambiguous, skipped.
    let mut p = Parser::new(Format::Otx);
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    p.parse_value(&json!({"passive_dns": [{"hostname": "a.example", "address": "ns.example", "first": "2024-01-01T00:00:00"}]}), &mut out, &mut errors);
    assert!(out.is_empty() && errors.is_empty());
    assert_eq!(p.skipped().get("ambiguous"), Some(&1));

    // A line format given a document: an array of records.
    let (entries, errors) = parse_document(
        Format::Circl,
        &json!([{"rrname": "192.0.2.1", "rrtype": "A", "rdata": "a.example", "time_first": "1", "time_last": "2"}, {"rrname": 1}]),
    );
    assert_eq!(entries[0].rrname, "a.example");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message().starts_with("[1]: "));
}

#[test]
fn kaspersky_assumed_shape() {
    let doc = json!({
        "Zone": "Green",
        "DomainGeneralInfo": {"Domain": "www.example.com", "HitsCount": 1000},
        "DomainDnsResolutions": [
            {"Ip": "192.0.2.10", "FirstSeen": "2024-01-01T00:00:00Z", "LastSeen": "2024-09-01T00:00:00Z", "HitsCount": 42},
            {"Ip": "2001:db8::10", "FirstSeen": "2024-08-01T00:00:00.000Z", "LastSeen": "2024-08-01T00:00:00.000Z"},
            {"Ip": "not an ip", "FirstSeen": "2024-08-01T00:00:00Z"},
        ]
    });
    let (entries, errors) = parse_document(Format::Kaspersky, &doc);
    let s = "kaspersky";
    assert_entries(
        &entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                Some(42),
                s,
                None,
            ),
            entry(
                "www.example.com",
                AAAA,
                "2001:db8::10",
                AUG1,
                AUG1,
                None,
                s,
                None,
            ),
        ],
    );
    assert_eq!(
        errors.iter().map(ParseError::reason).collect::<Vec<_>>(),
        ["bad-rdata"]
    );

    let doc = json!({
        "IpGeneralInfo": {"Ip": "192.0.2.10"},
        "IpDnsResolutions": [{"Domain": "WWW.example.com", "FirstSeen": "2024-01-01 00:00:00", "LastSeen": "2024-09-01 00:00:00", "HitsCount": "7"}]
    });
    let (entries, errors) = parse_document(Format::Kaspersky, &doc);
    assert!(errors.is_empty(), "{errors:?}");
    assert_entries(
        &entries,
        &[entry(
            "www.example.com",
            A,
            "192.0.2.10",
            JAN1,
            SEP1,
            Some(7),
            s,
            None,
        )],
    );
}

#[test]
fn umbrella_shapes() {
    let s = "umbrella";
    // Assumed /pdns records, one with an IP-lookup direction.
    let doc = json!({"records": [
        {"name": "www.example.com", "rr": "192.0.2.10", "type": "A", "firstSeen": JAN1, "lastSeen": SEP1, "minTtl": 60, "maxTtl": 300},
        {"name": "192.0.2.11", "rr": "www.example.com", "type": "A", "firstSeenISO": "2024-06-01T00:00Z", "lastSeenISO": "2024-07-01T00:00Z"},
        {"name": "www.example.com", "rr": "edge.example.net.", "type": "CNAME", "firstSeen": JUN1},
    ], "hasMoreRecords": false, "totalNumRecords": 3});
    let (entries, errors) = parse_document(Format::Umbrella, &doc);
    assert!(errors.is_empty(), "{errors:?}");
    assert_entries(
        &entries,
        &[
            entry(
                "www.example.com",
                A,
                "192.0.2.10",
                JAN1,
                SEP1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                A,
                "192.0.2.11",
                JUN1,
                JUL1,
                None,
                s,
                None,
            ),
            entry(
                "www.example.com",
                CNAME,
                "edge.example.net",
                JUN1,
                JUN1,
                None,
                s,
                None,
            ),
        ],
    );
    // Legacy rr_history for a domain (pyinvestigate's test keys).
    let doc = json!({"features": {"age": 5}, "rrs_tf": [
        {"first_seen": "2024-06-01", "last_seen": "2024-06-02", "rrs": [
            {"name": "bibikun.example.", "ttl": 600, "class": "IN", "type": "A", "rr": "192.0.2.20"},
            {"name": "bibikun.example.", "ttl": 600, "class": "CH", "type": "A", "rr": "192.0.2.21"}]}]});
    let (entries, errors) = parse_document(Format::Umbrella, &doc);
    assert!(errors.is_empty(), "{errors:?}");
    assert_entries(
        &entries,
        &[entry(
            "bibikun.example",
            A,
            "192.0.2.20",
            JUN1,
            JUN1 + 2 * 86_400 - 1,
            None,
            s,
            None,
        )],
    );
    // Legacy IP history has no times at all: errors, nothing invented.
    let doc = json!({"features": {}, "rrs": [{"rr": "www.example.com.", "ttl": 86400, "class": "IN", "type": "A", "name": "192.0.2.10"}]});
    let (entries, errors) = parse_document(Format::Umbrella, &doc);
    assert!(entries.is_empty());
    assert_eq!(
        errors.iter().map(ParseError::reason).collect::<Vec<_>>(),
        ["bad-time"]
    );
}

#[test]
fn meta_types_and_idn() {
    let p = parse(
        Format::Cof,
        r#"{"rrname":"a.example","rrtype":"OPT","rdata":"x","time_first":1,"time_last":2}
{"rrname":"a.example","rrtype":"ANY","rdata":"x","time_first":1,"time_last":2}
{"rrname":"bücher.example","rrtype":"A","rdata":"192.0.2.1","time_first":1,"time_last":2}"#,
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.skipped, skips(&[("meta-type", 2)]));
    // U-labels are kept as octets, escaped; no punycode conversion.
    assert_eq!(p.entries[0].rrname, "b\\195\\188cher.example");
}

#[test]
fn no_panic_on_cut_or_mutated_samples() {
    // Every sample, cut at every 11th byte of its first 600 and with those
    // bytes replaced by a few troublesome ones, through its own parser and
    // a text, a TSV and a JSON-lines parser: errors are fine, panics are
    // not.
    let dir = data_path("samples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let zeek_hostile = "#separator #\n#fields#ts#query\n#x\n1#a\n#separator \\x\n#separator \\x0\n";
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let n = bytes.len().min(600);
        let own = pdns_providers::detect(&bytes).unwrap();
        for format in [own, Format::Passivedns, Format::Zeek, Format::Cof] {
            for cut in (0..n).step_by(11) {
                let _ = pdns_providers::detect(&bytes[..cut]);
                let mut p = Parser::new(format);
                let _ = p.parse_text(&String::from_utf8_lossy(&bytes[..cut]));
                for b in [b'"', b'\\', b'\n', b'\t', b'|', 0xff] {
                    let mut m = bytes.clone();
                    m[cut] = b;
                    let mut p = Parser::new(format);
                    let mut out = Vec::new();
                    for line in m.split(|c| *c == b'\n') {
                        let _ = p.parse_line_bytes(line, &mut out);
                    }
                    let _ = p.finish();
                }
            }
        }
    }
    for format in Format::ALL {
        let _ = Parser::new(format).parse_text(zeek_hostile);
    }
}

#[test]
fn dnsdb_saf_lines_as_one_document() {
    let lines = text("exports/dnsdb2-python__saf_records.jsonl");
    let doc: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (entries, errors) = parse_document(Format::Dnsdb2, &json!(doc));
    assert_eq!(entries.len(), 4);
    assert!(errors.is_empty(), "{errors:?}");
    // Without the terminator: truncated.
    let (entries, errors) = parse_document(Format::Dnsdb2, &json!(doc[..3]));
    assert_eq!(entries.len(), 4);
    assert_eq!(
        errors.iter().map(ParseError::reason).collect::<Vec<_>>(),
        ["truncated"]
    );
}

#[test]
fn invalid_utf8_inside_json_strings() {
    let mut out = Vec::new();
    Parser::new(Format::ZeekJson)
        .parse_line_bytes(
            b"{\"ts\":1,\"uid\":\"C\",\"query\":\"caf\xe9.example\",\"qtype\":1,\"answers\":[\"192.0.2.1\"]}",
            &mut out,
        )
        .unwrap();
    assert_eq!(out[0].rrname, "caf\\233.example");
    let mut out = Vec::new();
    Parser::new(Format::Cof)
        .parse_line_bytes(
            b"{\"rrname\":\"caf\xe9.example\",\"rrtype\":\"TXT\",\"rdata\":\"\xff\",\"time_first\":1,\"time_last\":1}",
            &mut out,
        )
        .unwrap();
    assert_eq!(
        (out[0].rrname.as_str(), out[0].rdata.as_str()),
        ("caf\\233.example", "\\255")
    );
    // Outside a string it is broken JSON.
    let e = Parser::new(Format::Cof)
        .parse_line_bytes(b"{\xff}", &mut out)
        .unwrap_err();
    assert_eq!(e.reason(), "bad-json");
}

#[test]
fn one_page_of_a_longer_answer_is_counted() {
    let rec = json!({"query": "a.example.", "answer": "192.0.2.1", "rrtype": "a", "firstSeenTimestamp": 1_700_000_000_000u64, "lastSeenTimestamp": 1_700_000_000_000u64});
    // mnemonic: count beyond offset + this page's records.
    for (count, offset, more) in [(100, 0, true), (2, 0, false), (3, 1, false), (4, 1, true)] {
        let doc = json!({"responseCode": 200, "count": count, "offset": offset, "limit": 2, "size": 2, "data": [rec, rec]});
        let p = parse(Format::Mnemonic, &doc.to_string());
        assert_eq!(p.entries.len(), 2);
        assert_eq!(
            p.skipped.contains_key("more-pages"),
            more,
            "count {count} offset {offset}"
        );
    }
    // VirusTotal v3: a next link or a cursor.
    let res = json!({"type": "resolution", "attributes": {"host_name": "a.example", "ip_address": "192.0.2.1", "date": 1_700_000_000}});
    for (page, more) in [
        (
            json!({"data": [res], "links": {"self": "x", "next": "https://www.virustotal.com/api/v3/domains/a.example/resolutions?cursor=abc"}}),
            true,
        ),
        (json!({"data": [res], "meta": {"cursor": "abc"}}), true),
        (
            json!({"data": [res], "meta": {"cursor": ""}, "links": {"self": "x"}}),
            false,
        ),
    ] {
        let p = parse(Format::VirusTotal, &page.to_string());
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.skipped.contains_key("more-pages"), more, "{page}");
    }
}
