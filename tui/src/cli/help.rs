//! Long help texts shared by `--help` and the README.

/// The time fences, pictured (dnsdbq's semantics).
pub const FENCES: &str = "\
Time fences (dnsdbq's semantics; every bound is inclusive):

            A                          B
            [==========================]          the window
   |====|                                          1 ended before A
       |==========|                                2 overlaps the start
                 |=========|                       3 inside
                          |===================|    4 overlaps the end
                                          |===|    5 started after B
 |==========================================|      6 spans the window

  --last-after A --first-before B   seen during the window      2 3 4 6
  --within A..B                     completely within it        3
    (= --first-after A --last-before B)
  --first-after A                   first seen at or after A    3 4 5
  --last-before B                   last seen at or before B    1 2 3
  --at T                            live at T: first <= T <= last
";

/// Query kinds, output and exit codes of `pdns query`.
pub const QUERY: &str = "\
Queries:
  www.example.com        exact name (U-labels are converted to punycode)
  *.example.com          every name below a zone
  www.example.*          names starting with these labels
  ~paypal.com            names within edit distance 1 (~2paypal.com: 2)
  /^mail[0-9]+\\./        names matching a regex (over A-labels)
  192.0.2.1, 2001:db8::1 entries whose A/AAAA rdata is this address
  192.0.2.0/24           ... falls in this prefix
  rdata:ns1.evil.example entries whose rdata names this name (rdata:*.zone too)
  ns:NAME mx:NAME cname:NAME   the same, restricted to NS, MX or CNAME

Archives: -a (repeatable), else $PDNS_ARCHIVES (paths separated by ':'),
else `archives = [...]` in $XDG_CONFIG_HOME/pdns/config.toml. A folder
means every *.pdns file in it.

Results are sorted and limited over the whole match set; with --limit the
total goes to standard error, and text and dig output end with a comment
line when results were left out. Pivots follow names and addresses hop by
hop (--pivot N) up to --pivot-cap entries, reported when reached.

Exit codes: 0 results, 1 no results, 2 usage error (bad option, query,
time or configuration), 3 archive error (cannot open or read an archive).
A closed output pipe (| head) ends the run quietly with 0.
";
