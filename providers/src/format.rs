//! The formats this crate reads, their `--format` names and default
//! source labels.

use std::fmt;
use std::str::FromStr;

/// Every provider export and sensor log format this crate reads.
///
/// The data shapes, with their sources and confidence, are in the
/// project's `providers/FORMATS.md`; each variant names its section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Farsight/DomainTools DNSDB API v1: COF JSON lines with trailing dots,
    /// `bailiwick`, `zone_time_*` (FORMATS.md §1). SAF lines are accepted
    /// too, so a v2 file read as v1 still works.
    Dnsdb,
    /// DNSDB API v2 Streaming API Framing: `{"cond":…}` / `{"obj":…}` lines
    /// (§1); a stream without a terminal `cond` is reported as truncated by
    /// [`crate::Parser::finish`].
    Dnsdb2,
    /// CIRCL passive DNS COF JSON lines, including its swapped
    /// rrname/rdata answers and numbers sent as strings (§2, §0.9).
    Circl,
    /// mnemonic PassiveDNS `/pdns/v3` envelope (`responseCode`, `data[]`
    /// with `query`/`answer`, millisecond times) (§3).
    Mnemonic,
    /// mnemonic's COF variant `/pdns/v3/cof` (§2, §3).
    MnemonicCof,
    /// VirusTotal API v3 resolutions (`data[].attributes`) (§4).
    VirusTotal,
    /// VirusTotal API v2 domain or IP report (`resolutions[]`); the
    /// queried value must be given as [`crate::Options::query`] (§4).
    VirusTotal2,
    /// RiskIQ PassiveTotal v2 `/dns/passive` (§5).
    PassiveTotal,
    /// AlienVault/LevelBlue OTX `passive_dns` section (§6).
    Otx,
    /// Qihoo 360 "flint": a JSON array with `;`-joined rdata (§7).
    Qihoo360,
    /// SecurityTrails DNS history (§8).
    SecurityTrails,
    /// gamelinux/passivedns text log, `||`-separated (§9.1).
    Passivedns,
    /// gamelinux/passivedns JSON lines (`-j`) (§9.1).
    PassivednsJson,
    /// Zeek `dns.log` in TSV with `#separator`/`#fields` headers (§9.2).
    Zeek,
    /// Zeek `dns.log` as JSON lines (§9.2).
    ZeekJson,
    /// Suricata `eve.json` DNS events, versions 1, 2 and 3 (§9.3).
    Suricata,
    /// Generic COF JSON lines, including this project's own output
    /// (`pdnsfile::cof::to_line`, with its `sources` field).
    Cof,
    /// Kaspersky Threat Intelligence Portal DNS-resolution sections; field
    /// names are assumed (FORMATS.md §8 marks them unverified), see
    /// [`crate::kaspersky`].
    Kaspersky,
    /// OpenDNS / Cisco Umbrella Investigate passive DNS; field names partly
    /// assumed (§8), see [`crate::umbrella`].
    Umbrella,
}

/// How a format's input is cut into parser calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// One record per line: feed lines to [`crate::Parser::parse_line`].
    Lines,
    /// One JSON document (an API response) per file or response: give the
    /// parsed value to [`crate::Parser::parse_value`]. Several documents
    /// one after the other (or one per line) are accepted by
    /// [`crate::Parser::parse_text`].
    Document,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 19] = [
        Format::Dnsdb,
        Format::Dnsdb2,
        Format::Circl,
        Format::Mnemonic,
        Format::MnemonicCof,
        Format::VirusTotal,
        Format::VirusTotal2,
        Format::PassiveTotal,
        Format::Otx,
        Format::Qihoo360,
        Format::SecurityTrails,
        Format::Passivedns,
        Format::PassivednsJson,
        Format::Zeek,
        Format::ZeekJson,
        Format::Suricata,
        Format::Cof,
        Format::Kaspersky,
        Format::Umbrella,
    ];

    /// The name given to `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Dnsdb => "dnsdb",
            Format::Dnsdb2 => "dnsdb2",
            Format::Circl => "circl",
            Format::Mnemonic => "mnemonic",
            Format::MnemonicCof => "mnemonic-cof",
            Format::VirusTotal => "virustotal",
            Format::VirusTotal2 => "virustotal2",
            Format::PassiveTotal => "passivetotal",
            Format::Otx => "otx",
            Format::Qihoo360 => "qihoo360",
            Format::SecurityTrails => "securitytrails",
            Format::Passivedns => "passivedns",
            Format::PassivednsJson => "passivedns-json",
            Format::Zeek => "zeek",
            Format::ZeekJson => "zeek-json",
            Format::Suricata => "suricata",
            Format::Cof => "cof",
            Format::Kaspersky => "kaspersky",
            Format::Umbrella => "umbrella",
        }
    }

    /// Parses a `--format` name (any case). A few common aliases are
    /// accepted (`dnsdb1`, `saf`, `vt`, `vt2`, `riskiq`, `alienvault`,
    /// `360`, `flint`, `gamelinux`, `zeek-tsv`, `bro`, `eve`, `opendns`,
    /// `investigate`, `kaspersky-tip`).
    pub fn from_name(name: &str) -> Option<Format> {
        let n = name.trim().to_ascii_lowercase().replace('_', "-");
        if let Some(f) = Format::ALL.iter().find(|f| f.name() == n) {
            return Some(*f);
        }
        Some(match n.as_str() {
            "dnsdb1" | "dnsdb-v1" => Format::Dnsdb,
            "dnsdb-v2" | "saf" | "dnsdb-saf" => Format::Dnsdb2,
            "circl-cof" => Format::Circl,
            "mnemoniccof" => Format::MnemonicCof,
            "vt" | "vt3" | "virustotal3" => Format::VirusTotal,
            "vt2" => Format::VirusTotal2,
            "riskiq" | "pt" => Format::PassiveTotal,
            "alienvault" | "levelblue" => Format::Otx,
            "360" | "flint" | "qihoo" => Format::Qihoo360,
            "st" => Format::SecurityTrails,
            "gamelinux" | "passivedns-text" => Format::Passivedns,
            "gamelinux-json" | "passivednsjson" => Format::PassivednsJson,
            "zeek-tsv" | "bro" | "dns.log" => Format::Zeek,
            "zeekjson" | "bro-json" => Format::ZeekJson,
            "eve" | "eve-json" => Format::Suricata,
            "kaspersky-tip" | "tip" => Format::Kaspersky,
            "opendns" | "investigate" | "cisco-umbrella" => Format::Umbrella,
            _ => return None,
        })
    }

    /// The source label given to entries when the caller sets none.
    /// Sensor formats add the sensor's host name when a record carries one
    /// (`zeek:HOST`, `suricata:HOST`, `passivedns:HOST`); our own COF keeps
    /// the `sources` it carries and uses `cof` only when there are none.
    pub fn default_source(self) -> &'static str {
        match self {
            Format::Dnsdb | Format::Dnsdb2 => "dnsdb",
            Format::Circl => "circl",
            Format::Mnemonic | Format::MnemonicCof => "mnemonic",
            Format::VirusTotal | Format::VirusTotal2 => "virustotal",
            Format::PassiveTotal => "passivetotal",
            Format::Otx => "otx",
            Format::Qihoo360 => "qihoo360",
            Format::SecurityTrails => "securitytrails",
            Format::Passivedns | Format::PassivednsJson => "passivedns",
            Format::Zeek | Format::ZeekJson => "zeek",
            Format::Suricata => "suricata",
            Format::Cof => "cof",
            Format::Kaspersky => "kaspersky",
            Format::Umbrella => "umbrella",
        }
    }

    /// Whether each line of the format is parsed on its own, with no
    /// state carried from earlier lines, so that a file may be parsed by
    /// several [`crate::Parser`] clones at once. Not so for Zeek TSV
    /// (headers), DNSDB SAF (stream framing), CIRCL (swaps learned from
    /// earlier lines), nor for document formats.
    pub fn lines_are_independent(self) -> bool {
        matches!(
            self,
            Format::Cof
                | Format::MnemonicCof
                | Format::PassivednsJson
                | Format::ZeekJson
                | Format::Suricata
                | Format::Passivedns
        )
    }

    /// Whether the format is read line by line or as whole documents.
    pub fn framing(self) -> Framing {
        match self {
            Format::Mnemonic
            | Format::VirusTotal
            | Format::VirusTotal2
            | Format::PassiveTotal
            | Format::Otx
            | Format::Qihoo360
            | Format::SecurityTrails
            | Format::Kaspersky
            | Format::Umbrella => Framing::Document,
            _ => Framing::Lines,
        }
    }

    /// Whether the format is JSON (lines or documents), as opposed to the
    /// two text formats (Zeek TSV, gamelinux text).
    pub fn is_json(self) -> bool {
        !matches!(self, Format::Zeek | Format::Passivedns)
    }

    /// A one-line description for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Format::Dnsdb => "Farsight DNSDB API v1 JSON lines",
            Format::Dnsdb2 => "Farsight DNSDB API v2 SAF JSON lines",
            Format::Circl => "CIRCL passive DNS COF JSON lines",
            Format::Mnemonic => "mnemonic PassiveDNS /pdns/v3 JSON",
            Format::MnemonicCof => "mnemonic PassiveDNS /pdns/v3/cof JSON lines",
            Format::VirusTotal => "VirusTotal API v3 resolutions JSON",
            Format::VirusTotal2 => "VirusTotal API v2 domain or IP report JSON",
            Format::PassiveTotal => "RiskIQ PassiveTotal /v2/dns/passive JSON",
            Format::Otx => "AlienVault OTX passive_dns JSON",
            Format::Qihoo360 => "Qihoo 360 flint JSON array",
            Format::SecurityTrails => "SecurityTrails DNS history JSON",
            Format::Passivedns => "gamelinux passivedns text log",
            Format::PassivednsJson => "gamelinux passivedns JSON lines",
            Format::Zeek => "Zeek dns.log (TSV)",
            Format::ZeekJson => "Zeek dns.log (JSON lines)",
            Format::Suricata => "Suricata eve.json DNS events",
            Format::Cof => "Passive DNS Common Output Format JSON lines",
            Format::Kaspersky => "Kaspersky TIP DNS resolutions JSON (assumed fields)",
            Format::Umbrella => "Cisco Umbrella Investigate pDNS JSON (partly assumed fields)",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--format` name that is not known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {name:?}; known formats: {known}")]
pub struct UnknownFormat {
    /// The name given (escaped).
    pub name: String,
    /// The known names, comma-separated.
    pub known: String,
}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::from_name(s).ok_or_else(|| UnknownFormat {
            name: pdnsfile::record::escape_text_str(s),
            known: Format::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert!(!f.default_source().is_empty());
            assert!(!f.description().is_empty());
        }
        assert_eq!(Format::from_name("ZEEK_JSON"), Some(Format::ZeekJson));
        assert_eq!(Format::from_name("eve"), Some(Format::Suricata));
        assert!("nope".parse::<Format>().is_err());
        let mut names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Format::ALL.len());
    }
}
