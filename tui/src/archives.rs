//! Which archives to open: `-a` options, else the `PDNS_ARCHIVES`
//! variable (paths separated by `:`), else `archives = [...]` in the
//! configuration file (`$XDG_CONFIG_HOME/pdns/config.toml`, by default
//! `~/.config/pdns/config.toml`). A folder stands for every `*.pdns` file
//! in it (nightly files), in name order.
//!
//! The configuration is read only when neither of the first two is given,
//! and folders are listed only when named, so a query that names its
//! archive costs no more than opening it.

use std::path::{Path, PathBuf};

use pdnsfile::{Archive, Federation};

use crate::engine::{Error, Result};

/// The environment variable listing archives.
pub const ENV_VAR: &str = "PDNS_ARCHIVES";

/// The configuration file: `$XDG_CONFIG_HOME/pdns/config.toml`, or
/// `$HOME/.config/pdns/config.toml` when that variable is unset or empty.
pub fn config_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("pdns").join("config.toml"))
}

/// Reads the `archives` key of a configuration file; `Ok(None)` when the
/// file does not exist. Relative paths are taken from the file's folder.
///
/// # Errors
///
/// [`Error::Config`] naming the file (and the key) when it cannot be read,
/// is not TOML, or `archives` is not an array of strings.
pub fn from_config(file: &Path) -> Result<Option<Vec<PathBuf>>> {
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Config {
                file: shown,
                why: format!("cannot read: {e}"),
            })
        }
    };
    let bad = |why: String| Error::Config {
        file: shown.clone(),
        why,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("not valid TOML: {}", e.message())))?;
    let Some(v) = table.get("archives") else {
        return Ok(None);
    };
    let list = v.as_array().ok_or_else(|| {
        bad(format!(
            "key `archives`: expected an array of paths, found a {}",
            v.type_str()
        ))
    })?;
    let dir = file.parent().unwrap_or(Path::new("."));
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let s = p.as_str().ok_or_else(|| {
                bad(format!(
                    "key `archives`: item {} is a {}, not a path string",
                    i + 1,
                    p.type_str()
                ))
            })?;
            Ok(dir.join(s))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The archives to open: `flags` if any, else `PDNS_ARCHIVES`, else the
/// configuration file.
///
/// # Errors
///
/// [`Error::Config`] for a broken configuration file, [`Error::Usage`]
/// when no archive is named anywhere.
pub fn resolve(flags: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !flags.is_empty() {
        return Ok(flags.to_vec());
    }
    if let Some(v) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        return Ok(std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect());
    }
    let cfg = config_path();
    if let Some(file) = &cfg {
        if let Some(list) = from_config(file)? {
            if !list.is_empty() {
                return Ok(list);
            }
        }
    }
    Err(Error::Usage(format!(
        "no archive to read: give -a ARCHIVE_OR_FOLDER, set {ENV_VAR}, or list them as archives = [...] in {}",
        cfg.map_or_else(|| "the configuration file".to_string(), |p| p.display().to_string())
    )))
}

/// Opens archives, a folder standing for every `*.pdns` file in it.
///
/// # Errors
///
/// [`Error::Open`] naming the file that cannot be opened, [`Error::List`]
/// the folder that cannot be listed.
pub fn open(paths: &[PathBuf]) -> Result<Federation> {
    let mut archives = Vec::new();
    let open_one = |f: &Path| {
        Archive::open(f).map_err(|source| Error::Open {
            path: f.display().to_string(),
            source,
        })
    };
    for p in paths {
        if p.is_dir() {
            let listing = std::fs::read_dir(p).map_err(|source| Error::List {
                path: p.display().to_string(),
                source,
            })?;
            let mut files: Vec<PathBuf> = listing
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "pdns") && f.is_file())
                .collect();
            files.sort();
            for f in files {
                archives.push(open_one(&f)?);
            }
        } else {
            archives.push(open_one(p)?);
        }
    }
    Ok(Federation::new(archives))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_config() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        assert_eq!(from_config(&f).unwrap(), None);
        std::fs::write(&f, "archives = [\"a.pdns\", \"/srv/n\"]\nother = 1\n").unwrap();
        assert_eq!(
            from_config(&f).unwrap(),
            Some(vec![dir.path().join("a.pdns"), PathBuf::from("/srv/n")])
        );
        std::fs::write(&f, "archives = \"a.pdns\"\n").unwrap();
        let e = from_config(&f).unwrap_err().to_string();
        assert!(
            e.contains("config.toml: key `archives`: expected an array"),
            "{e}"
        );
        std::fs::write(&f, "archives = [1]\n").unwrap();
        let e = from_config(&f).unwrap_err().to_string();
        assert!(e.contains("item 1 is a integer"), "{e}");
        std::fs::write(&f, "archives = [\n").unwrap();
        let e = from_config(&f).unwrap_err();
        assert!(e.is_usage());
        assert!(e.to_string().contains("config.toml: not valid TOML"), "{e}");
    }
}
