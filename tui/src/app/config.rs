//! The client's config file, `$XDG_CONFIG_HOME/pdns/tui.toml` (or
//! `~/.config/pdns/tui.toml`, or the file named by `PDNS_TUI_CONFIG`).
//! A missing file means the defaults; a broken one is a start-up error
//! that names the file and the key, never a silent fallback.
//!
//! ```toml
//! theme = "light"          # or "dark" (the default)
//! mouse = true             # scroll and click (off by default: it blocks the terminal's own selection)
//! max_rows = 1000000       # rows kept in memory per query; the total is still counted
//!
//! [keys.normal]            # action = key or [keys]; replaces that action's defaults
//! back = ["backspace", "h"]
//! left = ["left"]
//!
//! [colors]                 # role = "FG" or "FG on BG"
//! accent = "#1e90ff"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde::Deserialize;

use super::keymap::{Keymap, Mode};
use super::theme::{parse_style, Theme, ROLES};

/// Rows kept per query unless the config says otherwise: an entry is
/// about 150 bytes in memory, so a million stays near 150 MB.
pub const DEFAULT_MAX_ROWS: usize = 1_000_000;

/// The settings in effect.
#[derive(Clone, Debug)]
pub struct Config {
    /// The keys.
    pub keymap: Keymap,
    /// The colours.
    pub theme: Theme,
    /// Whether mouse events are captured.
    pub mouse: bool,
    /// Rows kept in memory per query.
    pub max_rows: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            keymap: Keymap::defaults(),
            theme: Theme::dark(),
            mouse: false,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    theme: Option<String>,
    mouse: Option<bool>,
    max_rows: Option<usize>,
    #[serde(default)]
    keys: Keys,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Keys {
    #[serde(default)]
    normal: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    input: BTreeMap<String, OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Where the config file is looked for.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PDNS_TUI_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("pdns").join("tui.toml"));
    }
    std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|h| {
        PathBuf::from(h)
            .join(".config")
            .join("pdns")
            .join("tui.toml")
    })
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, per
/// no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Loads the config file if there is one.
///
/// # Errors
///
/// An unreadable file, bad TOML, an unknown setting, action, key, colour
/// role or colour; the message names the file and the key.
pub fn load(no_color: bool) -> Result<Config> {
    match path() {
        Some(p) if p.exists() => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("{}: cannot read the config file", p.display()))?;
            parse(&text, &p, no_color)
        }
        _ => parse("", Path::new("(defaults)"), no_color),
    }
}

/// Parses a config file's text; `path` is only used in messages.
///
/// # Errors
///
/// As [`load`].
pub fn parse(text: &str, path: &Path, no_color: bool) -> Result<Config> {
    let where_ = path.display();
    let file: File = toml::from_str(text).map_err(|e| anyhow!("{where_}: {e}"))?;
    let mut theme = match file.theme.as_deref() {
        None | Some("dark") => Theme::dark(),
        Some("light") => Theme::light(),
        Some(other) => {
            return Err(anyhow!(
                "{where_}: theme: {other:?} is not a theme (\"dark\" or \"light\")"
            ))
        }
    };
    if no_color {
        theme = Theme::monochrome();
    } else {
        for (role, value) in &file.colors {
            let slot = theme.role_mut(role).ok_or_else(|| {
                anyhow!(
                    "{where_}: colors.{role}: no such role (roles: {})",
                    ROLES.join(", ")
                )
            })?;
            *slot = parse_style(*slot, value).ok_or_else(|| {
                anyhow!("{where_}: colors.{role}: {value:?} is not a colour (a name such as \"cyan\", \"#1e90ff\", an index 0-255, or \"FG on BG\")")
            })?;
        }
    }
    let mut overrides = Vec::new();
    for (mode, map) in [
        (Mode::Normal, file.keys.normal),
        (Mode::Input, file.keys.input),
    ] {
        for (action, keys) in map {
            overrides.push((mode, action, keys.into_vec()));
        }
    }
    let keymap = Keymap::with_overrides(&overrides).map_err(|e| anyhow!("{where_}: {e}"))?;
    let max_rows = file.max_rows.unwrap_or(DEFAULT_MAX_ROWS);
    if max_rows == 0 {
        return Err(anyhow!("{where_}: max_rows: must be at least 1"));
    }
    Ok(Config {
        keymap,
        theme,
        mouse: file.mouse.unwrap_or(false),
        max_rows,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn err(text: &str) -> String {
        format!(
            "{:#}",
            parse(text, Path::new("/x/tui.toml"), false).unwrap_err()
        )
    }

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("config.rs");
        let example: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&example, Path::new("example"), false).unwrap();
        assert!(c.mouse);
        assert_eq!(
            c.theme.accent.fg,
            Some(ratatui::style::Color::Rgb(0x1e, 0x90, 0xff))
        );
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        assert!(err("[keys.normal]\npivot = \"entr\"")
            .contains("/x/tui.toml: keys.normal.pivot: \"entr\""));
        assert!(err("[keys.normal]\npivto = \"x\"").contains("keys.normal.pivto"));
        assert!(err("[keys.normal]\npivot = \"q\"").contains("already bound to \"quit\""));
        assert!(err("[colors]\naccent = \"nope\"").contains("colors.accent"));
        assert!(err("[colors]\naccnt = \"red\"").contains("colors.accnt"));
        assert!(err("theme = \"pink\"").contains("theme: \"pink\""));
        let e = err("mose = true");
        assert!(e.contains("/x/tui.toml") && e.contains("mose"), "{e}");
    }

    #[test]
    fn no_color_wins() {
        let c = parse("[colors]\naccent = \"red\"", Path::new("x"), true).unwrap();
        assert_eq!(c.theme, Theme::monochrome());
    }
}
