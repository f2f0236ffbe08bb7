#!/usr/bin/env python3
"""Regenerates captures.jsonl, the interim demo data set.

Until the capture importer lands, the demo archive is built from tshark's
reading of real captures (../shared/data/oracle/NAME.tsv: unique answer
tuples with first/last seen and count), converted to COF JSON lines with
the source label `tshark:NAME`. Only captures under permissive licences
(BSD, MIT, Apache-2.0) are used; see README.md for origins.

    python3 make_demo.py ../../../shared/data/oracle > captures.jsonl
"""
import json
import os
import sys

PERMISSIVE = ("arkime__", "dnscap__", "dpkt__", "dsc__", "suricata__", "tcpdump__", "zeek__", "pcapparser__")


def main(oracle):
    for name in sorted(os.listdir(oracle)):
        if not name.endswith(".tsv") or name.endswith((".records.tsv", ".fields.tsv")) or name == "SUMMARY.tsv":
            continue
        if not name.startswith(PERMISSIVE):
            continue
        capture = name[: -len(".tsv")]
        with open(os.path.join(oracle, name), encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                rrname, rrtype, rdata, first, last, count = line.rstrip("\n").split("\t")[:6]
                print(json.dumps({
                    "rrname": rrname, "rrtype": rrtype, "rdata": rdata,
                    "time_first": int(first), "time_last": int(last), "count": int(count),
                    "sources": ["tshark:" + capture.split(".")[0]],
                }, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1])
