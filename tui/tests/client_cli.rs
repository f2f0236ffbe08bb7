//! The client's start-up checks, through the real binary without a
//! terminal: a broken config file is an error naming the file and the
//! key; no terminal is a clear error; `pdns demo` without a terminal
//! prints its summary.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn pdns(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pdns"));
    c.env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("PDNS_TUI_CONFIG");
    c
}

#[test]
fn startup_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let out = pdns(home).arg("demo").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Demo archive:"), "{stdout}");
    let archive = home.join("cache/pdns/demo.pdns");
    assert!(archive.exists());

    // Without a terminal, the client says so.
    let out = pdns(home).arg(&archive).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));

    // A folder opens every *.pdns in it (then wants a terminal); a
    // missing archive is named.
    let out = pdns(home).arg(archive.parent().unwrap()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
    let out = pdns(home).arg(home.join("nope.pdns")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.pdns"));

    // A broken config names the file and the key, before anything else.
    let cfg = home.join("config/pdns/tui.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, "[keys.normal]\npivot = \"entr\"\n").unwrap();
    let out = pdns(home).arg(&archive).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}: keys.normal.pivot: \"entr\"", cfg.display())),
        "{err}"
    );

    // No archive at all.
    let out = pdns(home).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pdns demo"));
}
