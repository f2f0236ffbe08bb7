# Sourced by compare.sh and build_compare.sh: the one way both load COF
# JSON lines into SQLite with indexes on rrname and rdata (the alternative
# DESIGN.md measures), so their figures stay comparable.
#
# sqlite_load_sql JSONL: prints the sqlite3 script that loads JSONL.
sqlite_load_sql() {
    local us
    us=$(printf '\037')
    cat <<SQL
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA temp_store=MEMORY;
PRAGMA cache_size=-1000000;
CREATE TEMP TABLE raw(j TEXT);
.separator "$us" "\n"
.import --schema temp $1 raw
CREATE TABLE pdns(
  rrname TEXT NOT NULL, rrtype TEXT NOT NULL, rdata TEXT NOT NULL,
  time_first INTEGER, time_last INTEGER, count INTEGER,
  bailiwick TEXT, sources TEXT);
INSERT INTO pdns SELECT j->>'rrname', j->>'rrtype', j->>'rdata', j->>'time_first',
  j->>'time_last', j->>'count', j->>'bailiwick', j->>'sources' FROM temp.raw;
DROP TABLE temp.raw;
CREATE INDEX pdns_rrname ON pdns(rrname);
CREATE INDEX pdns_rdata ON pdns(rdata);
SQL
}
